// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: the control socket DIR/vmmgmtd.ctl (mode 0600, vmmgmtd's user;
 * vmmgmtctl vm talks to it).  One request per connection: one text line
 * in, answer lines out, then vmmgmtd closes the connection.  The first
 * answer line is "ok" or "error: <errno name>: <message>".
 *
 *	vm add NAME [id=N] [size=S[K|M]] [vectors=N]
 *		a new slot and its socket DIR/NAME.sock; answers "ok" and
 *		the slot's line (as vm list)
 *	vm del NAME
 *		DEL_VM if registered, the QEMU connection closed (an adopted
 *		QEMU is let go), the socket and the slot removed
 *	vm list
 *		"ok", then one line per slot:
 *		NAME id=N size=S vectors=V state=waiting|connected|adopted
 *		pid=P registered=0|1 adoptions=A
 *	upgrade wait=SECS PATH
 *		replace vmmgmt_host by the module file PATH (absolute; the
 *		rest of the line, blanks and all), waiting up to SECS
 *		(1..3600) for the old one to be unused (upgrade.c); answers
 *		"ok" and "upgraded vms=N paused_ms=P abi=A.B format=F"
 *
 * The daemon is single-threaded: a request is read and answered in one go,
 * with a 1 s timeout for each direction (vmmgmtctl writes its line at
 * once).  Only the daemon's user (or root) is served.  The line is read
 * and parsed by ctl_parse.c (which the fuzzer runs too); this file
 * serves it.  "upgrade" holds the
 * loop for its whole run, up to SECS plus the new module's load and 5 s:
 * meanwhile other control clients wait in the socket's backlog (and
 * vmmgmtctl gives up after 10 s), QEMU connections wait in their sockets'
 * backlogs, and QEMU exits and signals are handled afterwards; the guests'
 * data path does not go through vmmgmtd.  While a handover is pending
 * (upgrade.c), "vm add" and "vm del" are refused (EBUSY).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vmmgmtd.h"

#define VMMGMTD_CTL_TIMEOUT_S	1

/* The first answer line for an error, logged too. */
static void vmmgmtd_ctl_fail(FILE *out, const char *req, int err,
			     const char *msg)
{
	const char *name = strerrorname_np(err);

	fprintf(out, "error: %s: %s\n", name ? name : "EIO", msg);
	vmmgmtd_info("control: '%s': %s: %s", req, name ? name : "EIO", msg);
}

/* A macro, so that the compiler checks the format; @err is read first. */
#define vmmgmtd_ctl_error(out, req, err, fmt, ...) do { \
	int __err = (err); \
	char __msg[VMMGMTD_ERR_MAX]; \
	\
	snprintf(__msg, sizeof(__msg), fmt, ##__VA_ARGS__); \
	vmmgmtd_ctl_fail(out, req, __err, __msg); \
} while (0)

/* The adoptions count the module keeps for @vm (0 if not known). */
static unsigned int vmmgmtd_ctl_adoptions(const struct vmmgmtd_vm *vm,
					  const struct vmmgmtd_module_vms *list)
{
	const struct vmmgmt_host_vm_info *info;

	if (!vm->registered)
		return 0;
	info = vmmgmtd_module_find(list, vm->name, 0);
	return info && info->vm_id == vm->id ? info->adoptions : 0;
}

static void vmmgmtd_ctl_vm_line(FILE *out, const struct vmmgmtd_vm *vm,
				const struct vmmgmtd_module_vms *list)
{
	fprintf(out, "%s id=%u size=%llu vectors=%u state=%s pid=%d registered=%d adoptions=%u\n",
		vm->name, vm->id, (unsigned long long)vm->region_size,
		vm->vectors, vmmgmtd_vm_state_name(vm),
		vmmgmtd_vm_state(vm) == VMMGMTD_VM_WAITING ? 0 : (int)vm->pid,
		vm->registered, vmmgmtd_ctl_adoptions(vm, list));
}

static void vmmgmtd_ctl_list(struct vmmgmtd *d, FILE *out)
{
	struct vmmgmtd_module_vms list;
	unsigned int i;

	/* Without the module's list: adoptions=0. */
	vmmgmtd_module_list(d, &list);
	fprintf(out, "ok\n");
	for (i = 0; i < d->nr_vms; i++)
		vmmgmtd_ctl_vm_line(out, d->vms[i], &list);
	free(list.vms);
}

/* Does @vm collide with a slot or a VM of the module?  Answers if so. */
static bool vmmgmtd_ctl_taken(struct vmmgmtd *d, FILE *out, const char *req,
			      const struct vmmgmtd_vm *vm,
			      const struct vmmgmtd_module_vms *list)
{
	const struct vmmgmt_host_vm_info *info;
	const struct vmmgmtd_vm *other;

	if (vmmgmtd_find_name(d, vm->name)) {
		vmmgmtd_ctl_error(out, req, EEXIST, "VM name '%s' in use", vm->name);
		return true;
	}
	info = vmmgmtd_module_find(list, vm->name, 0);
	if (info) {
		vmmgmtd_ctl_error(out, req, EEXIST,
				  "VM name '%s' is registered with %s (id %u, QEMU pid %u)",
				  vm->name, VMMGMT_HOST_DEV, info->vm_id,
				  info->qemu_pid);
		return true;
	}
	if (!vm->id_given)
		return false;
	other = vmmgmtd_find_id(d, vm->id);
	if (other) {
		vmmgmtd_ctl_error(out, req, EEXIST, "VM id %u in use (by %s)",
				  vm->id, other->name);
		return true;
	}
	info = vmmgmtd_module_find(list, NULL, vm->id);
	if (info) {
		vmmgmtd_ctl_error(out, req, EEXIST,
				  "VM id %u is registered with %s (VM %s, QEMU pid %u)",
				  vm->id, VMMGMT_HOST_DEV,
				  (const char *)info->name, info->qemu_pid);
		return true;
	}
	return false;
}

/* Is a module handover pending?  Answers EBUSY if so. */
static bool vmmgmtd_ctl_pending(struct vmmgmtd *d, FILE *out, const char *req)
{
	if (!d->handover)
		return false;
	vmmgmtd_ctl_error(out, req, EBUSY,
			  "a module handover is pending (%u VMs paused): run vmmgmtctl upgrade MODULE.ko first",
			  d->handover->nr);
	return true;
}

/* vm add NAME [KEY=VALUE]..., parsed and checked. */
static void vmmgmtd_ctl_add(struct vmmgmtd *d, FILE *out, const char *req,
			    const struct vmmgmtd_ctl_req *r)
{
	struct vmmgmtd_module_vms list = { 0 };
	char err[VMMGMTD_ERR_MAX];
	struct vmmgmtd_vm *vm;

	if (vmmgmtd_ctl_pending(d, out, req))
		return;
	vm = vmmgmtd_vm_new(d, r->name);
	if (!vm) {
		vmmgmtd_ctl_error(out, req, ENOMEM, "out of memory");
		return;
	}
	vm->origin = "control socket";
	if (r->id_given) {
		vm->id = r->id;
		vm->id_given = true;
	}
	if (r->size_given)
		vm->region_size = r->size;
	if (r->vectors_given)
		vm->vectors = r->vectors;
	if (d->host_fd >= 0 && vm->vectors > VMMGMT_VECTORS_MAX) {
		vmmgmtd_ctl_error(out, req, EINVAL, "vectors=%u: %s takes at most %u",
				  vm->vectors, VMMGMT_HOST_DEV, VMMGMT_VECTORS_MAX);
		goto fail;
	}
	if (vmmgmtd_module_list(d, &list)) {
		vmmgmtd_ctl_error(out, req, errno, "%s: LIST_VMS: %m",
				  VMMGMT_HOST_DEV);
		goto fail;
	}
	if (vmmgmtd_ctl_taken(d, out, req, vm, &list))
		goto fail;
	if (!vm->id_given) {
		vm->id = vmmgmtd_free_id(d, &list);
		if (!vm->id) {
			vmmgmtd_ctl_error(out, req, ENOSPC, "no VM id left");
			goto fail;
		}
		vm->id_given = true;
	}
	if (vmmgmtd_listen(d, vm, err, sizeof(err))) {
		vmmgmtd_ctl_error(out, req, errno, "%s", err);
		goto fail;
	}
	if (vmmgmtd_vm_add(d, vm)) {
		vmmgmtd_unlink_socket(vm);
		vmmgmtd_ctl_error(out, req, ENOMEM, "out of memory");
		goto fail;
	}
	vmmgmtd_info("%s (id %u): added: socket %s, region %llu bytes, %u vectors",
		     vm->name, vm->id, vm->path,
		     (unsigned long long)vm->region_size, vm->vectors);
	fprintf(out, "ok\n");
	vmmgmtd_ctl_vm_line(out, vm, &list);
	free(list.vms);
	return;

fail:
	free(list.vms);
	free(vm);
}

/* vm del NAME */
static void vmmgmtd_ctl_del(struct vmmgmtd *d, FILE *out, const char *req,
			    const struct vmmgmtd_ctl_req *r)
{
	struct vmmgmtd_vm *vm;

	vm = vmmgmtd_find_name(d, r->name);
	if (!vm) {
		vmmgmtd_ctl_error(out, req, ENOENT, "no VM '%s'", r->name);
		return;
	}
	if (vmmgmtd_ctl_pending(d, out, req))
		return;
	vmmgmtd_info("%s (id %u): deleted: state %s, pid %d, registered %d",
		     vm->name, vm->id, vmmgmtd_vm_state_name(vm),
		     vmmgmtd_vm_state(vm) == VMMGMTD_VM_WAITING ? 0 : (int)vm->pid,
		     vm->registered);
	vmmgmtd_vm_release(d, vm, true);
	vmmgmtd_unlink_socket(vm);
	vmmgmtd_vm_remove(d, vm);
	fprintf(out, "ok\n");
}

/* upgrade wait=SECS PATH, parsed. */
static void vmmgmtd_ctl_upgrade(struct vmmgmtd *d, FILE *out, const char *req,
				const struct vmmgmtd_ctl_req *r)
{
	struct vmmgmtd_upgrade_result res;
	char err[VMMGMTD_UPGRADE_ERR_MAX];
	int ret;

	vmmgmtd_info("control: upgrade to %s (wait %u s)", r->path, r->wait_s);
	ret = vmmgmtd_upgrade(d, r->path, r->wait_s, &res, err);
	if (ret) {
		vmmgmtd_ctl_fail(out, req, -ret, err);
		return;
	}
	fprintf(out, "ok\nupgraded vms=%u paused_ms=%llu abi=%u.%u format=%u\n",
		res.vms, (unsigned long long)res.paused_ms, res.abi_major,
		res.abi_minor, res.format);
}

static void vmmgmtd_ctl_request(struct vmmgmtd *d, FILE *out, char *line)
{
	char req[VMMGMTD_CTL_LINE_MAX], err[VMMGMTD_ERR_MAX];
	struct vmmgmtd_ctl_req r;
	int ret;

	snprintf(req, sizeof(req), "%s", line);
	vmmgmtd_debug("control: '%s'", req);
	ret = vmmgmtd_ctl_parse(line, &r, err, sizeof(err));
	if (ret) {
		vmmgmtd_ctl_error(out, req, -ret, "%s", err);
		return;
	}
	switch (r.op) {
	case VMMGMTD_CTL_ADD:
		vmmgmtd_ctl_add(d, out, req, &r);
		break;
	case VMMGMTD_CTL_DEL:
		vmmgmtd_ctl_del(d, out, req, &r);
		break;
	case VMMGMTD_CTL_LIST:
		vmmgmtd_ctl_list(d, out);
		break;
	case VMMGMTD_CTL_UPGRADE:
		vmmgmtd_ctl_upgrade(d, out, req, &r);
		break;
	}
}

void vmmgmtd_ctl_accept(struct vmmgmtd *d)
{
	struct timeval tv = { .tv_sec = VMMGMTD_CTL_TIMEOUT_S };
	char line[VMMGMTD_CTL_LINE_MAX], *answer = NULL;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t size = 0;
	FILE *out;
	int fd, ret;

	fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			vmmgmtd_info("%s: accept: %m", d->ctl_path);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	out = open_memstream(&answer, &size);
	if (!out) {
		vmmgmtd_info("control: out of memory");
		close(fd);
		return;
	}
	ret = vmmgmtd_ctl_read(fd, line, sizeof(line));
	if (ret == 0 || ret == -EAGAIN || ret == -ECONNRESET) {
		/* A probe, or a client that said nothing in time. */
		fclose(out);
		free(answer);
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid()))
		vmmgmtd_ctl_error(out, "", EPERM, "only root controls vmmgmtd");
	else if (ret < 0)
		vmmgmtd_ctl_error(out, "", -ret, "request of more than %zu bytes",
				  sizeof(line) - 1);
	else
		vmmgmtd_ctl_request(d, out, line);
	if (fclose(out) == 0 && vmmgmt_write_all(fd, answer, size))
		vmmgmtd_debug("control: answer not sent: %s", strerror(errno));
	free(answer);
	close(fd);
}
