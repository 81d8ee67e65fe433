// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: the server side of the ivshmem client-server protocol for one VM.
 *
 * On a connection from QEMU: create the region (a sealed memfd with the
 * vmmgmt header), the host peer's "kick" eventfds and the guest's "call"
 * eventfds, register them with vmmgmt_host.ko (VMMGMT_HOST_IOC_ADD_VM,
 * which writes the header and lays out the rings; not with --no-module),
 * and only then send, as little-endian int64 messages:
 *
 *	0				protocol version
 *	ID				the guest's peer id (the VM id)
 *	-1 + memfd			the shared memory
 *	0 + kick[v], v = 0..N-1		peer 0 (the host), for interrupting it
 *	ID + call[v], v = 0..N-1	the guest's own vectors
 *
 * The connection then stays open and silent until QEMU goes away; then
 * VMMGMT_HOST_IOC_DEL_VM unregisters the VM.  With a module of ABI 0.8 the
 * VM is registered with VMMGMT_HOST_VM_F_PERSIST: it outlives vmmgmtd,
 * which never unregisters a VM when it exits, and the module removes it
 * itself when QEMU exits; DEL_VM after QEMU's hangup may then find it gone
 * already (ENOENT), which is fine.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmmgmtd.h"

#define VMMGMTD_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

void vmmgmtd_vm_init(struct vmmgmtd_vm *vm)
{
	unsigned int v;

	vm->listen_fd = -1;
	vm->conn_fd = -1;
	vm->mem_fd = -1;
	vm->pidfd = -1;
	vm->region = NULL;
	for (v = 0; v < VMMGMTD_VECTORS_MAX; v++) {
		vm->kick[v] = -1;
		vm->call[v] = -1;
	}
}

static void vmmgmtd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Hand the region and eventfds to the host module (VMMGMT_HOST_IOC_ADD_VM). */
static int vmmgmtd_vm_register(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	struct vmmgmt_host_vm_add req;
	unsigned int v;

	memset(&req, 0, sizeof(req));
	req.vm_id = vm->id;
	req.region_fd = vm->mem_fd;
	req.nr_vectors = vm->vectors;
	for (v = 0; v < vm->vectors; v++) {
		req.kick_fds[v] = vm->kick[v];
		req.call_fds[v] = vm->call[v];
	}
	req.qemu_pid = vm->pid;
	if (d->persist)
		req.flags = VMMGMT_HOST_VM_F_PERSIST;
	memcpy(req.name, vm->name, strlen(vm->name));
	if (ioctl(d->host_fd, VMMGMT_HOST_IOC_ADD_VM, &req) < 0) {
		vmmgmtd_info("%s (id %u): registering with %s: %m", vm->name,
			     vm->id, VMMGMT_HOST_DEV);
		return -1;
	}
	vm->registered = true;
	return 0;
}

/*
 * VMMGMT_HOST_IOC_DEL_VM; the module's doorbell count is kept.  ENOENT: the
 * module removed the VM already (its QEMU exited), not an error.
 */
void vmmgmtd_vm_unregister(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	struct vmmgmt_host_vm_del req = { .vm_id = vm->id };

	if (!vm->registered)
		return;
	/* A handover is pending: the VM is in no module (upgrade.c). */
	if (d->host_fd < 0) {
		vm->registered = false;
		return;
	}
	vm->doorbells += vmmgmtd_doorbell_module_kicks(vm);
	if (ioctl(d->host_fd, VMMGMT_HOST_IOC_DEL_VM, &req) < 0 &&
	    errno != ENOENT)
		vmmgmtd_info("%s (id %u): unregistering from %s: %m", vm->name,
			     vm->id, VMMGMT_HOST_DEV);
	vm->registered = false;
}

/*
 * Drop everything a connection (or an adoption) holds; the listening
 * socket stays.  With @unregister, DEL_VM first; without, the VM stays
 * registered with the module (vmmgmtd exits).
 */
void vmmgmtd_vm_release(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			bool unregister)
{
	unsigned int v;

	if (unregister)
		vmmgmtd_vm_unregister(d, vm);
	vm->registered = false;
	vm->adopted = false;
	vmmgmtd_close(&vm->pidfd);

	for (v = 0; v < vm->vectors; v++) {
		vmmgmtd_close(&vm->kick[v]);
		vmmgmtd_close(&vm->call[v]);
	}
	if (vm->region)
		munmap(vm->region, vm->region_size);
	vm->region = NULL;
	vmmgmtd_close(&vm->mem_fd);
	vmmgmtd_close(&vm->conn_fd);
	vm->pid = 0;
}

/* Create, size, seal and map the region and write its header. */
static int vmmgmtd_vm_create_region(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	struct vmmgmt_region_header *hdr;
	char memfd_name[16 + VMMGMT_NAME_MAX];

	snprintf(memfd_name, sizeof(memfd_name), "vmmgmt:%s", vm->name);
	vm->mem_fd = memfd_create(memfd_name, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (vm->mem_fd < 0) {
		vmmgmtd_info("%s (id %u): memfd_create: %m", vm->name, vm->id);
		return -1;
	}
	if (ftruncate(vm->mem_fd, vm->region_size) < 0) {
		vmmgmtd_info("%s (id %u): ftruncate region to %llu bytes: %m",
			     vm->name, vm->id,
			     (unsigned long long)vm->region_size);
		return -1;
	}
	if (fcntl(vm->mem_fd, F_ADD_SEALS, VMMGMTD_SEALS) < 0) {
		vmmgmtd_info("%s (id %u): seal region: %m", vm->name, vm->id);
		return -1;
	}
	vm->region = mmap(NULL, vm->region_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, vm->mem_fd, 0);
	if (vm->region == MAP_FAILED) {
		vm->region = NULL;
		vmmgmtd_info("%s (id %u): mmap region: %m", vm->name, vm->id);
		return -1;
	}

	/*
	 * A fresh memfd reads as zeroes: fill in only what is not zero.  The
	 * host module writes the whole header itself and bumps the generation
	 * it finds there: hand it the previous one.
	 */
	hdr = vm->region;
	if (d->host_fd >= 0) {
		hdr->generation = vm->generation - 1;
		return 0;
	}
	hdr->magic = VMMGMT_MAGIC;
	hdr->abi_major = VMMGMT_ABI_MAJOR;
	hdr->abi_minor = VMMGMT_ABI_MINOR;
	hdr->header_size = sizeof(*hdr);
	hdr->region_size = vm->region_size;
	hdr->features_offered = 0;
	hdr->features_accepted = 0;
	hdr->link_state = VMMGMT_LINK_DOWN;
	hdr->host_id = 0;
	hdr->vm_id = vm->id;
	hdr->generation = vm->generation;
	memset(hdr->name, 0, sizeof(hdr->name));
	memcpy(hdr->name, vm->name, strlen(vm->name));
	return 0;
}

static int vmmgmtd_vm_create_eventfds(struct vmmgmtd_vm *vm)
{
	unsigned int v;

	for (v = 0; v < vm->vectors; v++) {
		vm->kick[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vm->call[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vm->kick[v] < 0 || vm->call[v] < 0) {
			vmmgmtd_info("%s (id %u): eventfd: %m", vm->name, vm->id);
			return -1;
		}
	}
	return 0;
}

/* Send one protocol message: a little-endian int64, optionally one fd. */
static int vmmgmtd_send_msg(int sock, __s64 value, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	__u64 le = htole64((__u64)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != sizeof(le)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int vmmgmtd_vm_send_setup(struct vmmgmtd_vm *vm)
{
	int s = vm->conn_fd;
	unsigned int v;

	if (vmmgmtd_send_msg(s, VMMGMTD_IVSHMEM_PROTOCOL_VERSION, -1) ||
	    vmmgmtd_send_msg(s, vm->id, -1) ||
	    vmmgmtd_send_msg(s, VMMGMTD_IVSHMEM_SHM_MSG, vm->mem_fd))
		return -1;
	for (v = 0; v < vm->vectors; v++)
		if (vmmgmtd_send_msg(s, VMMGMT_HOST_PEER_ID, vm->kick[v]))
			return -1;
	for (v = 0; v < vm->vectors; v++)
		if (vmmgmtd_send_msg(s, vm->id, vm->call[v]))
			return -1;
	return 0;
}

static pid_t vmmgmtd_peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.pid;
}

/*
 * Is the live connection really still there?  A QEMU that just exited and
 * a new one that connects can show up in the same poll() round.
 */
static bool vmmgmtd_vm_conn_alive(struct vmmgmtd_vm *vm)
{
	char c;
	ssize_t n;

	n = recv(vm->conn_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return false;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return false;
	return true;
}

void vmmgmtd_vm_accept(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	pid_t pid;
	int fd;

	fd = accept4(vm->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			vmmgmtd_info("%s (id %u): accept: %m", vm->name, vm->id);
		return;
	}
	pid = vmmgmtd_peer_pid(fd);

	if (vm->conn_fd >= 0 && !vmmgmtd_vm_conn_alive(vm))
		vmmgmtd_vm_disconnect(d, vm, "disconnected");
	if (vm->adopted && vmmgmtd_vm_qemu_exited(vm))
		vmmgmtd_vm_qemu_gone(d, vm);
	if (vm->adopted) {
		vmmgmtd_info("%s (id %u): refused connection from pid %d: adopted QEMU pid %d runs",
			     vm->name, vm->id, (int)pid, (int)vm->pid);
		close(fd);
		return;
	}
	if (vm->conn_fd >= 0) {
		vmmgmtd_info("%s (id %u): refused connection from pid %d: pid %d is connected",
			     vm->name, vm->id, (int)pid, (int)vm->pid);
		close(fd);
		return;
	}
	/* No module to register with until the handover ends (upgrade.c). */
	if (d->handover) {
		vmmgmtd_info("%s (id %u): refused connection from pid %d: a module handover is pending",
			     vm->name, vm->id, (int)pid);
		close(fd);
		return;
	}

	vm->conn_fd = fd;
	vm->pid = pid;
	vm->generation++;
	if (vmmgmtd_vm_create_region(d, vm) ||
	    vmmgmtd_vm_create_eventfds(vm))
		goto fail;
	/* Registered before QEMU (and so the guest) gets anything. */
	if (d->host_fd >= 0 && vmmgmtd_vm_register(d, vm))
		goto fail;
	if (vmmgmtd_vm_send_setup(vm)) {
		if (errno == EPIPE || errno == ECONNRESET) {
			/* Also what a "vmmgmtd: ... in use" probe looks like. */
			vmmgmtd_info("%s (id %u): pid %d left during setup",
				     vm->name, vm->id, (int)pid);
			vmmgmtd_vm_release(d, vm, true);
			return;
		}
		vmmgmtd_info("%s (id %u): sending setup to pid %d: %m",
			     vm->name, vm->id, (int)pid);
		goto fail;
	}
	vmmgmtd_info("%s (id %u): connected: pid %d, generation %u, region %llu bytes, sent %u vectors",
		     vm->name, vm->id, (int)pid, vm->generation,
		     (unsigned long long)vm->region_size, vm->vectors);
	return;

fail:
	vmmgmtd_info("%s (id %u): closed connection from pid %d", vm->name,
		     vm->id, (int)pid);
	vmmgmtd_vm_release(d, vm, true);
}

/* QEMU went away (or the connection failed): DEL_VM, close, log. */
void vmmgmtd_vm_disconnect(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   const char *why)
{
	vmmgmtd_info("%s (id %u): %s: pid %d, generation %u", vm->name, vm->id,
		     why, (int)vm->pid, vm->generation);
	vmmgmtd_vm_release(d, vm, true);
}

/*
 * vmmgmtd exits: close what the slot holds.  A VM registered with
 * VMMGMT_HOST_VM_F_PERSIST stays registered and its QEMU runs on; a new
 * vmmgmtd adopts it.  Without (--no-module, or a module older than ABI
 * 0.8) closing the connection ends it as before.
 */
void vmmgmtd_vm_close(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	if (vm->registered && d->persist) {
		vmmgmtd_info("%s (id %u): closing, VM stays registered: pid %d, generation %u",
			     vm->name, vm->id, (int)vm->pid, vm->generation);
		vm->doorbells += vmmgmtd_doorbell_module_kicks(vm);
		vmmgmtd_vm_release(d, vm, false);
		return;
	}
	if (vm->conn_fd >= 0)
		vmmgmtd_vm_disconnect(d, vm, "closing");
}

enum vmmgmtd_vm_state vmmgmtd_vm_state(const struct vmmgmtd_vm *vm)
{
	if (vm->adopted)
		return VMMGMTD_VM_ADOPTED;
	if (vm->conn_fd >= 0)
		return VMMGMTD_VM_CONNECTED;
	return VMMGMTD_VM_WAITING;
}

const char *vmmgmtd_vm_state_name(const struct vmmgmtd_vm *vm)
{
	switch (vmmgmtd_vm_state(vm)) {
	case VMMGMTD_VM_CONNECTED:
		return "connected";
	case VMMGMTD_VM_ADOPTED:
		return "adopted";
	default:
		return "waiting";
	}
}

/* QEMU never sends anything: data is discarded, EOF or error ends it. */
void vmmgmtd_vm_conn_event(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   short revents)
{
	char buf[256];
	ssize_t n;

	if (revents & POLLIN) {
		n = recv(vm->conn_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			vmmgmtd_debug("%s (id %u): ignored %zd bytes from pid %d",
				      vm->name, vm->id, n, (int)vm->pid);
			return;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR))
			return;
		/* QEMU exiting with setup messages unread: a reset. */
		if (n < 0 && errno != ECONNRESET) {
			vmmgmtd_info("%s (id %u): connection from pid %d: %m",
				     vm->name, vm->id, (int)vm->pid);
			vmmgmtd_vm_disconnect(d, vm, "connection error");
			return;
		}
		vmmgmtd_vm_disconnect(d, vm, "disconnected");
		return;
	}
	if (revents & (POLLHUP | POLLERR | POLLNVAL))
		vmmgmtd_vm_disconnect(d, vm, "disconnected");
}
