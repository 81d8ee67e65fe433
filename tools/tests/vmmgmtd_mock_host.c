// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for vmmgmt_host.ko inside vmmgmtd, for
 * tools/tests/vmmgmtd_upgrade_test on the build machine (no module, no
 * VM, no root).  tools/Makefile links vmmgmtd's objects with this file and
 * -Wl,--wrap for open, close, access, ioctl and syscall: /dev/vmmgmt-host,
 * its sysfs files, /sys/module/vmmgmt_host, the host ioctls (versions,
 * LIST_VMS, ADOPT_VM, ADD_VM, DEL_VM, QUIESCE, EXPORT_VM, IMPORT_VM,
 * RESUME) and delete_module/finit_module act on the state below; anything
 * else goes to libc.  It behaves as uapi/vmmgmt.h says and logs each event
 * as one line to $MOCK_LOG, and "FAIL: ..." for every call that breaks the
 * rules (an export without quiesce, an import of another state, a RESUME
 * with other ports, exported fds left open, ...).
 *
 * Environment: MOCK_LOG (required), MOCK_VMS ("NAME:ID,...": orphaned
 * PERSIST VMs at start), MOCK_QEMU_PID (their QEMU, a live process),
 * MOCK_FORMAT (handover format, 1), MOCK_PORTS ("P,..." bound at QUIESCE),
 * MOCK_EXTRA_REFS (references besides files, e.g. 1: never unloads),
 * MOCK_FINIT_FAILS (how many finit_module() calls fail, ENOEXEC),
 * MOCK_ESRCH_ID (IMPORT_VM of this id: ESRCH), MOCK_FILES_SOCK (STREAM_LISTEN
 * makes the file a UNIX socket listening there, and STREAM_ACCEPT accepts
 * its connections as streams of VM MOCK_FILES_PEER: vmmgmtd's file
 * service for tools/tests/vmmgmtd_files_test).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmmgmt.h"
#include "vmmgmt_user.h"
#include "vmmgmtd_mock_host.h"

#define MOCK_VMS_MAX	16
#define MOCK_FDS_MAX	64

struct mock_vm {
	struct vmmgmt_host_vm_add add;	/* as registered (our fds) */
	bool used;
	int owner;			/* host fd, or -1: orphan */
	bool waiting;			/* imported, until RESUME */
};

/* An fd handed out by EXPORT_VM: vmmgmtd must close it after IMPORT_VM. */
struct mock_out_fd {
	int fd;
	__u32 vm_id;
};

static struct {
	bool ready, loaded;
	unsigned int gen;		/* module loads */
	int files[MOCK_FDS_MAX];	/* open /dev/vmmgmt-host files */
	unsigned int nr_files;
	int quiescer;			/* -1 when not quiesced */
	bool quiesced;
	struct vmmgmt_host_quiesce q;
	struct mock_vm vms[MOCK_VMS_MAX];
	struct mock_out_fd out[MOCK_FDS_MAX * 4];
	unsigned int nr_out;
	unsigned int exported;		/* VMs out of any module */
	int finit_fails;
	FILE *log;
} m = { .quiescer = -1 };

static void mock_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(m.log, fmt, ap);
	va_end(ap);
	fputc('\n', m.log);
	fflush(m.log);
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && v[0] ? atoi(v) : def;
}

/* A VM's region (a memfd) and eventfds, as a QEMU's vmmgmtd made them. */
static void mock_vm_fds(struct vmmgmt_host_vm_add *add)
{
	unsigned int v;

	add->region_fd = memfd_create("mock-region", MFD_CLOEXEC);
	if (add->region_fd >= 0 && ftruncate(add->region_fd, 1 << 20))
		mock_log("FAIL: ftruncate");
	for (v = 0; v < add->nr_vectors; v++) {
		add->kick_fds[v] = eventfd(0, EFD_CLOEXEC);
		add->call_fds[v] = eventfd(0, EFD_CLOEXEC);
	}
}

static void mock_init(void)
{
	char *list, *tok, *save, *colon;
	struct mock_vm *vm;
	unsigned int i = 0;

	if (m.ready)
		return;
	m.ready = true;
	m.loaded = true;
	m.gen = 1;
	m.log = fopen(getenv("MOCK_LOG") ? getenv("MOCK_LOG") : "/dev/null", "a");
	if (!m.log)
		exit(99);
	m.finit_fails = env_int("MOCK_FINIT_FAILS", 0);
	list = strdup(getenv("MOCK_VMS") ? getenv("MOCK_VMS") : "");
	for (tok = strtok_r(list, ",", &save); tok && i < MOCK_VMS_MAX;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		vm = &m.vms[i++];
		vm->used = true;
		vm->owner = -1;
		vm->add.vm_id = atoi(colon + 1);
		vm->add.nr_vectors = 2;
		vm->add.flags = VMMGMT_HOST_VM_F_PERSIST;
		vm->add.qemu_pid = env_int("MOCK_QEMU_PID", 1);
		snprintf((char *)vm->add.name, sizeof(vm->add.name), "%s", tok);
		mock_vm_fds(&vm->add);
	}
	free(list);
}

static bool mock_is_file(int fd)
{
	unsigned int i;

	for (i = 0; i < m.nr_files; i++)
		if (m.files[i] == fd)
			return true;
	return false;
}

static unsigned int mock_nr_vms(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < MOCK_VMS_MAX; i++)
		n += m.vms[i].used;
	return n;
}

/* What keeps the module loaded: files, PERSIST VMs, MOCK_EXTRA_REFS. */
static int mock_refcnt(void)
{
	return m.nr_files + mock_nr_vms() + env_int("MOCK_EXTRA_REFS", 0);
}

/* A memfd that reads as @text: a sysfs file. */
static int mock_text_file(const char *text)
{
	int fd = memfd_create("mock-sysfs", MFD_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int mock_open_dev(void)
{
	int fd;

	if (!m.loaded) {
		errno = ENOENT;
		return -1;
	}
	/* Quiesced: EAGAIN while the quiescing file is open (see the report). */
	if (m.quiesced && m.quiescer >= 0) {
		errno = EAGAIN;
		return -1;
	}
	fd = memfd_create("mock-vmmgmt-host", MFD_CLOEXEC);
	if (fd >= 0 && m.nr_files < MOCK_FDS_MAX)
		m.files[m.nr_files++] = fd;
	mock_log("open gen=%u fd=%d", m.gen, fd);
	return fd;
}

int __wrap_open(const char *path, int flags, ...)
{
	char buf[32];
	int mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	mock_init();
	if (!strcmp(path, VMMGMT_HOST_DEV))
		return mock_open_dev();
	if (!strcmp(path, VMMGMT_HOST_SYSFS "/handover_format")) {
		if (!m.loaded) {
			errno = ENOENT;
			return -1;
		}
		snprintf(buf, sizeof(buf), "%d\n", env_int("MOCK_FORMAT", 1));
		return mock_text_file(buf);
	}
	if (!strcmp(path, "/sys/module/vmmgmt_host/refcnt")) {
		if (!m.loaded) {
			errno = ENOENT;
			return -1;
		}
		snprintf(buf, sizeof(buf), "%d\n", mock_refcnt());
		return mock_text_file(buf);
	}
	if (!strncmp(path, VMMGMT_HOST_SYSFS, strlen(VMMGMT_HOST_SYSFS))) {
		errno = ENOENT;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int __wrap_access(const char *path, int mode)
{
	mock_init();
	if (!strcmp(path, "/sys/module/vmmgmt_host")) {
		if (m.loaded)
			return 0;
		errno = ENOENT;
		return -1;
	}
	return __real_access(path, mode);
}

int __wrap_close(int fd)
{
	unsigned int i;

	mock_init();
	for (i = 0; i < m.nr_files; i++) {
		if (m.files[i] != fd)
			continue;
		m.files[i] = m.files[--m.nr_files];
		if (fd == m.quiescer)
			m.quiescer = -1;
		mock_log("close fd=%d", fd);
		break;
	}
	for (i = 0; i < m.nr_out; i++) {
		if (m.out[i].fd == fd) {
			m.out[i] = m.out[--m.nr_out];
			break;
		}
	}
	return __real_close(fd);
}

static struct mock_vm *mock_find(__u32 id)
{
	unsigned int i;

	for (i = 0; i < MOCK_VMS_MAX; i++)
		if (m.vms[i].used && m.vms[i].add.vm_id == id)
			return &m.vms[i];
	return NULL;
}

static int mock_list(int fd, struct vmmgmt_host_vm_list *l)
{
	unsigned int i;

	(void)fd;
	l->count = 0;
	l->flags = 0;
	for (i = 0; i < MOCK_VMS_MAX; i++) {
		struct mock_vm *vm = &m.vms[i];
		struct vmmgmt_host_vm_info *info;

		if (!vm->used || vm->add.vm_id <= l->after_id)
			continue;
		if (l->count == VMMGMT_HOST_VMS_PER_LIST) {
			l->flags = VMMGMT_HOST_VM_LIST_F_MORE;
			break;
		}
		info = &l->vms[l->count++];
		memset(info, 0, sizeof(*info));
		info->vm_id = vm->add.vm_id;
		info->qemu_pid = vm->add.qemu_pid;
		info->region_size = 1 << 20;
		info->nr_vectors = vm->add.nr_vectors;
		info->flags = vm->add.flags |
			      (mock_is_file(vm->owner) ? 0 : VMMGMT_HOST_VM_F_ORPHAN);
		memcpy(info->name, vm->add.name, sizeof(info->name));
	}
	return 0;
}

static int mock_adopt(int fd, struct vmmgmt_host_vm_adopt *a)
{
	struct mock_vm *vm = mock_find(a->vm_id);

	if (!vm) {
		errno = ENOENT;
		return -1;
	}
	vm->owner = fd;
	mock_log("adopt id=%u fd=%d", a->vm_id, fd);
	return 0;
}

static int mock_del(int fd, struct vmmgmt_host_vm_del *req)
{
	struct mock_vm *vm = mock_find(req->vm_id);

	if (!vm) {
		errno = ENOENT;
		return -1;
	}
	if (vm->owner != fd)
		mock_log("FAIL: DEL_VM of id %u through fd %d, owner %d", req->vm_id, fd,
			 vm->owner);
	vm->used = false;
	mock_log("del id=%u gen=%u", req->vm_id, m.gen);
	return 0;
}

static int mock_quiesce(int fd, struct vmmgmt_host_quiesce *q)
{
	char *ports = strdup(getenv("MOCK_PORTS") ? getenv("MOCK_PORTS") : "");
	char *tok, *save;

	if (m.quiesced) {
		free(ports);
		errno = EBUSY;
		return -1;
	}
	memset(q, 0, sizeof(*q));
	q->format = env_int("MOCK_FORMAT", 1);
	for (tok = strtok_r(ports, ",", &save); tok && q->nr_ports < VMMGMT_HOST_HANDOVER_PORTS;
	     tok = strtok_r(NULL, ",", &save))
		q->ports[q->nr_ports++] = atoi(tok);
	free(ports);
	m.q = *q;
	m.quiesced = true;
	m.quiescer = fd;
	mock_log("quiesce gen=%u fd=%d ports=%u", m.gen, fd, q->nr_ports);
	return 0;
}

/* The state of @vm: a header, then "state of ID". */
static __u32 mock_state(const struct mock_vm *vm, char *buf, __u32 size)
{
	struct vmmgmt_host_vm_state_hdr hdr = {
		.magic = VMMGMT_HOST_STATE_MAGIC, .format = m.q.format,
		.vm_id = vm->add.vm_id,
	};
	char body[64];
	__u32 len;

	len = snprintf(body, sizeof(body), "state of %u", vm->add.vm_id);
	hdr.len = sizeof(hdr) + len;
	if (hdr.len <= size) {
		memcpy(buf, &hdr, sizeof(hdr));
		memcpy(buf + sizeof(hdr), body, len);
	}
	return hdr.len;
}

static int mock_dup_out(int fd, __u32 id)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (nfd >= 0 && m.nr_out < MOCK_FDS_MAX * 4)
		m.out[m.nr_out++] = (struct mock_out_fd){ .fd = nfd, .vm_id = id };
	return nfd;
}

static int mock_export(int fd, struct vmmgmt_host_vm_export *e)
{
	struct mock_vm *vm = mock_find(e->vm_id);
	unsigned int v;
	__u32 len;

	if (!vm) {
		errno = ENOENT;
		return -1;
	}
	if (!m.quiesced || m.quiescer != fd) {
		mock_log("FAIL: EXPORT_VM of id %u without QUIESCE through fd %d", e->vm_id, fd);
		errno = EPERM;
		return -1;
	}
	len = mock_state(vm, (char *)(unsigned long)e->state, e->state_len);
	if (len > e->state_len) {
		e->state_len = len;
		errno = ENOSPC;
		return -1;
	}
	e->state_len = len;
	e->add = vm->add;
	e->add.region_fd = mock_dup_out(vm->add.region_fd, vm->add.vm_id);
	for (v = 0; v < vm->add.nr_vectors; v++) {
		e->add.kick_fds[v] = mock_dup_out(vm->add.kick_fds[v], vm->add.vm_id);
		e->add.call_fds[v] = mock_dup_out(vm->add.call_fds[v], vm->add.vm_id);
	}
	/* The module lets go of its own fds; the VM is in no module now. */
	__real_close(vm->add.region_fd);
	for (v = 0; v < vm->add.nr_vectors; v++) {
		__real_close(vm->add.kick_fds[v]);
		__real_close(vm->add.call_fds[v]);
	}
	vm->used = false;
	m.exported++;
	mock_log("export id=%u gen=%u len=%u", e->vm_id, m.gen, len);
	return 0;
}

/* IMPORT_VM takes its own references to the fds, as fget() would. */
static int mock_import(int fd, struct vmmgmt_host_vm_import *im)
{
	struct mock_vm *slot = NULL, probe = { .add = im->add };
	char want[256];
	unsigned int i, v;
	__u32 len;

	len = mock_state(&probe, want, sizeof(want));
	if (im->state_len != len || memcmp((void *)(unsigned long)im->state, want, len)) {
		mock_log("FAIL: IMPORT_VM of id %u: not the state exported", im->add.vm_id);
		errno = EPROTO;
		return -1;
	}
	if (fcntl(im->add.region_fd, F_GETFD) < 0) {
		mock_log("FAIL: IMPORT_VM of id %u: region fd %d not open", im->add.vm_id,
			 im->add.region_fd);
		errno = EBADF;
		return -1;
	}
	if (im->add.vm_id == (__u32)env_int("MOCK_ESRCH_ID", 0)) {
		errno = ESRCH;
		return -1;
	}
	for (i = 0; i < MOCK_VMS_MAX && !slot; i++)
		if (!m.vms[i].used)
			slot = &m.vms[i];
	slot->used = true;
	slot->add = im->add;
	slot->owner = fd;
	slot->waiting = true;
	slot->add.region_fd = fcntl(im->add.region_fd, F_DUPFD_CLOEXEC, 3);
	for (v = 0; v < im->add.nr_vectors; v++) {
		slot->add.kick_fds[v] = fcntl(im->add.kick_fds[v], F_DUPFD_CLOEXEC, 3);
		slot->add.call_fds[v] = fcntl(im->add.call_fds[v], F_DUPFD_CLOEXEC, 3);
	}
	m.exported--;
	mock_log("import id=%u gen=%u fd=%d", im->add.vm_id, m.gen, fd);
	return 0;
}

static int mock_resume(int fd, struct vmmgmt_host_quiesce *q)
{
	unsigned int i, started = 0;

	if (q->nr_ports != m.q.nr_ports ||
	    memcmp(q->ports, m.q.ports, sizeof(q->ports[0]) * q->nr_ports))
		mock_log("FAIL: RESUME with %u ports, QUIESCE gave %u (or others)",
			 q->nr_ports, m.q.nr_ports);
	for (i = 0; i < m.nr_out; i++)
		if (!mock_find(m.out[i].vm_id) || mock_find(m.out[i].vm_id)->waiting)
			mock_log("FAIL: RESUME: exported fd %d of id %u still open in vmmgmtd",
				 m.out[i].fd, m.out[i].vm_id);
	for (i = 0; i < MOCK_VMS_MAX; i++) {
		if (m.vms[i].used && m.vms[i].waiting && m.vms[i].owner == fd) {
			m.vms[i].waiting = false;
			started++;
		}
	}
	m.quiesced = false;
	m.quiescer = -1;
	mock_log("resume gen=%u fd=%d started=%u ports=%u", m.gen, fd, started, q->nr_ports);
	return 0;
}

static int mock_version(struct vmmgmt_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	ver->abi_major = VMMGMT_ABI_MAJOR;
	ver->abi_minor = VMMGMT_ABI_MINOR;
	return 0;
}

/* STREAM_LISTEN: @fd becomes a UNIX socket listening at $MOCK_FILES_SOCK. */
static int mock_stream_listen(int fd, struct vmmgmt_stream_listen *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("MOCK_FILES_SOCK");
	int s;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENOTTY;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16) ||
	    dup3(s, fd, O_CLOEXEC) < 0) {
		mock_log("FAIL: stream_listen: %s", strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	mock_log("stream_listen fd=%d port=%u", fd, l->port);
	return 0;
}

static int mock_stream_accept(int fd, struct vmmgmt_stream_accept *a)
{
	int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (s < 0)
		return -1;
	a->fd = s;
	a->peer.host = 0;
	a->peer.vm = env_int("MOCK_FILES_PEER", 1);
	a->peer.port = VMMGMT_PORT_DYNAMIC;
	mock_log("stream_accept fd=%d vm=%u", fd, a->peer.vm);
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	mock_init();
	if (!mock_is_file(fd))
		return __real_ioctl(fd, req, arg);
	switch (req) {
	case VMMGMT_HOST_IOC_GET_VERSION:
		return mock_version(arg);
	case VMMGMT_HOST_IOC_LIST_VMS:
		return mock_list(fd, arg);
	case VMMGMT_HOST_IOC_ADOPT_VM:
		return mock_adopt(fd, arg);
	case VMMGMT_HOST_IOC_DEL_VM:
		return mock_del(fd, arg);
	case VMMGMT_HOST_IOC_QUIESCE:
		return mock_quiesce(fd, arg);
	case VMMGMT_HOST_IOC_EXPORT_VM:
		return mock_export(fd, arg);
	case VMMGMT_HOST_IOC_IMPORT_VM:
		return mock_import(fd, arg);
	case VMMGMT_HOST_IOC_RESUME:
		return mock_resume(fd, arg);
	case VMMGMT_HOST_IOC_STREAM_LISTEN:
		return mock_stream_listen(fd, arg);
	case VMMGMT_HOST_IOC_STREAM_ACCEPT:
		return mock_stream_accept(fd, arg);
	}
	mock_log("FAIL: ioctl 0x%lx not mocked", req);
	errno = ENOTTY;
	return -1;
}

static long mock_delete_module(const char *name, unsigned int flags)
{
	if (strcmp(name, "vmmgmt_host") || !(flags & O_NONBLOCK))
		mock_log("FAIL: delete_module(%s, %#x)", name, flags);
	if (!m.loaded) {
		errno = ENOENT;
		return -1;
	}
	if (mock_refcnt()) {
		errno = EWOULDBLOCK;
		return -1;
	}
	m.loaded = false;
	mock_log("delete_module gen=%u exported=%u", m.gen, m.exported);
	return 0;
}

static long mock_finit_module(int fd, const char *params, int flags)
{
	char magic[4];

	if (pread(fd, magic, 4, 0) != 4 || memcmp(magic, "\177ELF", 4) || params[0] || flags)
		mock_log("FAIL: finit_module(%d, '%s', %d): not the checked module", fd,
			 params, flags);
	if (m.loaded) {
		errno = EEXIST;
		return -1;
	}
	if (m.finit_fails > 0) {
		m.finit_fails--;
		mock_log("finit_module failed");
		errno = ENOEXEC;
		return -1;
	}
	m.loaded = true;
	m.gen++;
	m.quiesced = false;
	m.quiescer = -1;
	mock_log("finit_module gen=%u", m.gen);
	return 0;
}

long __wrap_syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	mock_init();
	if (nr == SYS_delete_module)
		return mock_delete_module((const char *)a[0], a[1]);
	if (nr == SYS_finit_module)
		return mock_finit_module(a[0], (const char *)a[1], a[2]);
	return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
