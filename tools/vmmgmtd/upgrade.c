// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: replacing the host module with VMs running (ABI 0.9), for the
 * control request "upgrade" (ctl.c; vmmgmtctl upgrade MODULE.ko).  See
 * Documentation/vmmgmtd.rst, "Upgrading the host module".  The steps:
 *
 *  0. check MODULE.ko before anything stops: a regular, uncompressed
 *     64-bit ELF whose .modinfo (modinfo.c) says name=vmmgmt_host, a
 *     vermagic of the running kernel and vmmgmt_handover=N with N at
 *     least the format the running module writes (its sysfs
 *     handover_format); no VM of another running vmmgmtd;
 *  1. VMMGMT_HOST_IOC_QUIESCE on our file: the workers park, host
 *     endpoints get ESHUTDOWN; keep the bound ports;
 *  2. VMMGMT_HOST_IOC_EXPORT_VM of every VM (LIST_VMS): its state and new
 *     fds of its region and eventfds, held here (struct vmmgmtd_handover);
 *  3. close our file, delete_module("vmmgmt_host", O_NONBLOCK) every
 *     100 ms for up to --wait seconds; on timeout roll back: reopen,
 *     IMPORT_VM every VM into the old module, RESUME;
 *  4. finit_module() of MODULE.ko (the file checked in step 0, still
 *     open); when that fails the handover stays pending;
 *  5. open the new /dev/vmmgmt-host, IMPORT_VM every VM, close our copies
 *     of its fds, RESUME with the ports; the new file is vmmgmtd's
 *     host_fd and owns the VMs; a VM without a slot gets one, like an
 *     adopted VM;
 *  6. answer (ctl.c prints the result).
 *
 * A later "upgrade" with a handover pending (no module loaded, or one that
 * someone loaded meanwhile) goes from step 0 (checked against the pending
 * states' format) to step 4 or 5.  While pending, vmmgmtd refuses QEMU
 * connections and "vm add"/"vm del" (vm.c, ctl.c check d->handover).
 *
 * The whole upgrade runs inside one control request, so vmmgmtd's poll()
 * loop stands still meanwhile (up to --wait seconds plus the load and 5 s
 * for the new device): other control clients wait in the control socket's
 * backlog (vmmgmtctl gives up after 10 s), QEMU connections wait in their
 * sockets' backlog, a QEMU's exit and signals are handled afterwards.  The
 * guests' data path does not go through vmmgmtd.
 *
 * The file service's listener (files_listen.c) is closed before step 1 (its
 * sessions end when QUIESCE resets their streams, and close their files)
 * and opened again at the end, into whichever module then runs.
 *
 * Calls config.c (slots), adopt.c (LIST_VMS, pidfd watch), main.c (a new
 * slot's socket), files_listen.c, modinfo.c and doorbell.c; nothing calls
 * back here but ctl.c and main.c's exit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "modinfo.h"
#include "vmmgmtd.h"

#define VMMGMTD_MODULE_NAME		"vmmgmt_host"
#define VMMGMTD_MODULE_SYSFS		"/sys/module/" VMMGMTD_MODULE_NAME
#define VMMGMTD_UNLOAD_POLL_MS		100
#define VMMGMTD_DEV_WAIT_MS		5000

/* One upgrade request: the module file and the answer's message. */
struct vmmgmtd_upgrade {
	struct vmmgmtd *d;
	const char *path;		/* MODULE.ko, absolute */
	unsigned int wait_s;		/* for the old module to be unused */
	int ko_fd;			/* MODULE.ko, checked, then loaded */
	unsigned int imports;		/* its vmmgmt_handover: formats 1..N */
	char *err;			/* VMMGMTD_UPGRADE_ERR_MAX bytes */
};

/*
 * The answer's message, in u->err of VMMGMTD_UPGRADE_ERR_MAX bytes; a
 * macro, so that the compiler checks the format.
 */
#define vmmgmtd_upgrade_msg(u, fmt, ...) \
	snprintf((u)->err, VMMGMTD_UPGRADE_ERR_MAX, fmt, ##__VA_ARGS__)

/*
 * The running module's parameters ("name=value ...", from
 * /sys/module/vmmgmt_host/parameters/), read before it is unloaded and
 * given to the new one, so that an upgrade changes no setting.  Kept
 * across a pending handover.
 */
static char vmmgmtd_module_params[1024];

static void vmmgmtd_save_params(void)
{
	char val[128], *p = vmmgmtd_module_params;
	size_t left = sizeof(vmmgmtd_module_params);
	struct dirent *de;
	DIR *dir;
	int n;

	dir = opendir(VMMGMTD_MODULE_SYSFS "/parameters");
	if (!dir)
		return;
	*p = '\0';
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    vmmgmt_read_attr(VMMGMTD_MODULE_SYSFS "/parameters", de->d_name,
				     val, sizeof(val)) || !*val || strchr(val, ' '))
			continue;
		n = snprintf(p, left, "%s%s=%s", p == vmmgmtd_module_params ? "" : " ",
			     de->d_name, val);
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= n;
	}
	closedir(dir);
	vmmgmtd_info("upgrade: the module's parameters, passed on: %s",
		     vmmgmtd_module_params[0] ? vmmgmtd_module_params : "(none)");
}

static bool vmmgmtd_module_loaded(void)
{
	return access(VMMGMTD_MODULE_SYSFS, F_OK) == 0;
}

/* ---- step 0: checks before anything stops ---- */

/* MODULE.ko opens and is a regular file.  Return: 0 or -errno. */
static int vmmgmtd_upgrade_open(struct vmmgmtd_upgrade *u)
{
	struct stat st;
	int err;

	u->ko_fd = open(u->path, O_RDONLY | O_CLOEXEC);
	if (u->ko_fd < 0) {
		err = -errno;
		vmmgmtd_upgrade_msg(u, "%s: %s", u->path, strerror(-err));
		return err;
	}
	if (fstat(u->ko_fd, &st) < 0) {
		err = -errno;
		vmmgmtd_upgrade_msg(u, "%s: fstat: %s", u->path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		vmmgmtd_upgrade_msg(u, "%s: not a regular file", u->path);
		return -EINVAL;
	}
	return 0;
}

/* vermagic's first word is the running kernel's release. */
static int vmmgmtd_upgrade_check_vermagic(struct vmmgmtd_upgrade *u,
					  const char *vermagic)
{
	struct utsname uts;
	size_t n;

	if (!vermagic) {
		vmmgmtd_upgrade_msg(u, "%s: no vermagic in its .modinfo", u->path);
		return -ENOEXEC;
	}
	uname(&uts);
	n = strcspn(vermagic, " ");
	if (n != strlen(uts.release) || strncmp(vermagic, uts.release, n)) {
		vmmgmtd_upgrade_msg(u, "%s: built for kernel %.*s, this one runs %s",
				    u->path, (int)n, vermagic, uts.release);
		return -ENOEXEC;
	}
	return 0;
}

/* vmmgmt_handover=N, N >= 1, into u->imports (0: none or not a number). */
static void vmmgmtd_upgrade_parse_imports(struct vmmgmtd_upgrade *u,
					  const char *val)
{
	unsigned long n;
	char *end;

	u->imports = 0;
	if (!val || val[0] < '1' || val[0] > '9')
		return;
	errno = 0;
	n = strtoul(val, &end, 10);
	if (!errno && !*end && n <= 0xffffffffUL)
		u->imports = n;
}

/* MODULE.ko's .modinfo: name, vermagic, vmmgmt_handover. */
static int vmmgmtd_upgrade_check_modinfo(struct vmmgmtd_upgrade *u)
{
	struct vmmgmtd_modinfo mi;
	char msg[VMMGMTD_ERR_MAX];
	const char *name;
	int ret;

	ret = vmmgmtd_modinfo_read(u->ko_fd, &mi, msg, sizeof(msg));
	if (ret) {
		vmmgmtd_upgrade_msg(u, "%s: %s", u->path, msg);
		return ret;
	}
	name = vmmgmtd_modinfo_get(&mi, "name");
	if (!name || strcmp(name, VMMGMTD_MODULE_NAME)) {
		vmmgmtd_upgrade_msg(u, "%s: module '%s', not vmmgmt_host", u->path,
				    name ? name : "(no name)");
		ret = -ENOEXEC;
		goto out;
	}
	ret = vmmgmtd_upgrade_check_vermagic(u, vmmgmtd_modinfo_get(&mi, "vermagic"));
	if (ret)
		goto out;
	vmmgmtd_upgrade_parse_imports(u, vmmgmtd_modinfo_get(&mi, "vmmgmt_handover"));
out:
	vmmgmtd_modinfo_free(&mi);
	return ret;
}

/*
 * The state format the VMs to hand over are in: the pending states', or
 * what the running module writes (its sysfs handover_format).
 */
static int vmmgmtd_upgrade_format(struct vmmgmtd_upgrade *u, __u32 *format)
{
	struct vmmgmtd *d = u->d;
	__u64 f;

	if (d->handover) {
		*format = d->handover->quiesce.format;
		return 0;
	}
	if (d->host_fd < 0 && !vmmgmtd_module_loaded()) {
		vmmgmtd_upgrade_msg(u, "vmmgmt_host is not loaded: use insmod");
		return -ENOENT;
	}
	if (d->host_fd < 0) {
		vmmgmtd_upgrade_msg(u,
				    "vmmgmtd runs with --no-module: it has no VMs in vmmgmt_host to hand over (use rmmod and insmod)");
		return -EOPNOTSUPP;
	}
	if (vmmgmt_read_attr_u64(VMMGMT_HOST_SYSFS, "handover_format", &f) ||
	    !f || f > 0xffffffffULL) {
		vmmgmtd_upgrade_msg(u,
				    "the running vmmgmt_host cannot hand over (no %s/handover_format: ABI older than 0.9); nothing was stopped",
				    VMMGMT_HOST_SYSFS);
		return -EOPNOTSUPP;
	}
	*format = f;
	return 0;
}

/*
 * Every VM of the module must be ours or an orphan: another running
 * vmmgmtd's file would keep the old module loaded (and it would lose its
 * VMs to us).
 */
static int vmmgmtd_upgrade_check_owners(struct vmmgmtd_upgrade *u)
{
	struct vmmgmtd_module_vms list;
	const struct vmmgmtd_vm *vm;
	unsigned int i;
	int err = 0;

	if (u->d->handover)
		return 0;
	if (vmmgmtd_module_list(u->d, &list)) {
		err = -errno;
		vmmgmtd_upgrade_msg(u, "%s: LIST_VMS: %s", VMMGMT_HOST_DEV, strerror(-err));
		return err;
	}
	for (i = 0; i < list.nr && !err; i++) {
		const struct vmmgmt_host_vm_info *info = &list.vms[i];

		if (info->flags & VMMGMT_HOST_VM_F_ORPHAN)
			continue;
		vm = vmmgmtd_find_id(u->d, info->vm_id);
		if (vm && vm->registered && !strcmp(vm->name, (const char *)info->name))
			continue;
		vmmgmtd_upgrade_msg(u,
				    "VM %s (id %u, QEMU pid %u) belongs to another running vmmgmtd: stop it first; nothing was stopped",
				    (const char *)info->name, info->vm_id, info->qemu_pid);
		err = -EBUSY;
	}
	free(list.vms);
	return err;
}

/* The module file cannot take states of @format. */
static void vmmgmtd_upgrade_refuse_format(struct vmmgmtd_upgrade *u, __u32 format)
{
	char imports[96];

	if (u->imports)
		snprintf(imports, sizeof(imports), "imports state formats 1..%u", u->imports);
	else
		snprintf(imports, sizeof(imports),
			 "imports no state format (no vmmgmt_handover in its .modinfo)");
	if (u->d->handover)
		vmmgmtd_upgrade_msg(u,
				    "cannot hand over: %s %s, the held states are of format %u; nothing changed",
				    u->path, imports, format);
	else
		vmmgmtd_upgrade_msg(u,
				    "cannot hand over: %s %s, the running module writes format %u; nothing was stopped",
				    u->path, imports, format);
}

/* Step 0.  Return: 0, or -errno with the message set. */
static int vmmgmtd_upgrade_check(struct vmmgmtd_upgrade *u)
{
	__u32 format;
	int err;

	err = vmmgmtd_upgrade_open(u);
	if (!err)
		err = vmmgmtd_upgrade_check_modinfo(u);
	if (!err)
		err = vmmgmtd_upgrade_format(u, &format);
	if (err)
		return err;
	if (u->imports < format) {
		vmmgmtd_upgrade_refuse_format(u, format);
		return -EPROTO;
	}
	err = vmmgmtd_upgrade_check_owners(u);
	if (err)
		return err;
	vmmgmtd_info("upgrade: %s: imports formats 1..%u, states of format %u%s",
		     u->path, u->imports, format,
		     u->d->handover ? " (a pending handover)" : "");
	return 0;
}

/* ---- steps 1 and 2: quiesce and export ---- */

/* Step 1: QUIESCE; d->handover holds the ports from now on. */
static int vmmgmtd_upgrade_quiesce(struct vmmgmtd_upgrade *u)
{
	struct vmmgmtd *d = u->d;
	struct vmmgmtd_handover *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h) {
		vmmgmtd_upgrade_msg(u, "out of memory; nothing was stopped");
		return -ENOMEM;
	}
	if (ioctl(d->host_fd, VMMGMT_HOST_IOC_QUIESCE, &h->quiesce) < 0) {
		err = -errno;
		if (err == -EBUSY)
			vmmgmtd_upgrade_msg(u,
					    "%s: QUIESCE: another handover is under way; nothing was stopped",
					    VMMGMT_HOST_DEV);
		else if (err == -ENOSPC)
			vmmgmtd_upgrade_msg(u,
					    "%s: QUIESCE: more than %u host ports bound; nothing was stopped",
					    VMMGMT_HOST_DEV, VMMGMT_HOST_HANDOVER_PORTS);
		else
			vmmgmtd_upgrade_msg(u, "%s: QUIESCE: %s; nothing was stopped",
					    VMMGMT_HOST_DEV, strerror(-err));
		free(h);
		return err;
	}
	h->quiesced_ns = vmmgmt_now_ns();
	if (h->quiesce.nr_ports > VMMGMT_HOST_HANDOVER_PORTS)
		h->quiesce.nr_ports = VMMGMT_HOST_HANDOVER_PORTS;
	d->handover = h;
	vmmgmtd_info("upgrade: quiesced: %u host ports kept, state format %u",
		     h->quiesce.nr_ports, h->quiesce.format);
	return 0;
}

/* Close the fds an EXPORT_VM gave us (-1 and 0..2 are left alone). */
static void vmmgmtd_handover_close_fds(struct vmmgmt_host_vm_add *add)
{
	unsigned int v, n = add->nr_vectors;

	if (n > VMMGMT_VECTORS_MAX)
		n = VMMGMT_VECTORS_MAX;
	if (add->region_fd > 2)
		close(add->region_fd);
	add->region_fd = -1;
	for (v = 0; v < n; v++) {
		if (add->kick_fds[v] > 2)
			close(add->kick_fds[v]);
		if (add->call_fds[v] > 2)
			close(add->call_fds[v]);
		add->kick_fds[v] = -1;
		add->call_fds[v] = -1;
	}
}

/*
 * The module's doorbell count of the slot of @vm_id goes into the slot's
 * own before the VM leaves the module (the new one counts from zero).
 */
static void vmmgmtd_upgrade_keep_kicks(struct vmmgmtd *d, __u32 vm_id)
{
	struct vmmgmtd_vm *vm = vmmgmtd_find_id(d, vm_id);

	if (vm && vm->registered)
		vm->doorbells += vmmgmtd_doorbell_module_kicks(vm);
}

/*
 * EXPORT_VM of @info into the next entry of d->handover.  The state buffer
 * is allocated first: once the ioctl succeeded the VM is in no module, and
 * nothing may fail before it is recorded.  Return: 0 (also for a VM gone
 * meanwhile), or -errno with the message set.
 */
static int vmmgmtd_upgrade_export_one(struct vmmgmtd_upgrade *u,
				      const struct vmmgmt_host_vm_info *info)
{
	struct vmmgmtd_handover *h = u->d->handover;
	struct vmmgmt_host_vm_export req;
	void *state, *small;
	int err;

	state = malloc(VMMGMT_HOST_HANDOVER_STATE_MAX);
	if (!state) {
		vmmgmtd_upgrade_msg(u, "out of memory for VM %s's state",
				    (const char *)info->name);
		return -ENOMEM;
	}
	memset(&req, 0, sizeof(req));
	req.vm_id = info->vm_id;
	req.state = (__u64)(unsigned long)state;
	req.state_len = VMMGMT_HOST_HANDOVER_STATE_MAX;
	vmmgmtd_upgrade_keep_kicks(u->d, info->vm_id);
	if (ioctl(u->d->host_fd, VMMGMT_HOST_IOC_EXPORT_VM, &req) < 0) {
		err = -errno;
		free(state);
		if (err == -ENOENT) {
			vmmgmtd_info("upgrade: %s (id %u): gone before its export",
				     (const char *)info->name, info->vm_id);
			return 0;
		}
		vmmgmtd_upgrade_msg(u, "%s: EXPORT_VM of VM %s (id %u): %s",
				    VMMGMT_HOST_DEV, (const char *)info->name,
				    info->vm_id, strerror(-err));
		return err;
	}
	if (req.state_len > VMMGMT_HOST_HANDOVER_STATE_MAX)
		req.state_len = VMMGMT_HOST_HANDOVER_STATE_MAX;
	small = realloc(state, req.state_len ? req.state_len : 1);
	h->vms[h->nr].state = small ? small : state;
	h->vms[h->nr].state_len = req.state_len;
	h->vms[h->nr].add = req.add;
	h->vms[h->nr].add.name[VMMGMT_NAME_MAX - 1] = '\0';
	h->nr++;
	vmmgmtd_debug("upgrade: %s (id %u): exported, %u bytes of state",
		      (const char *)info->name, info->vm_id, req.state_len);
	return 0;
}

/* Step 2: every VM of the module into d->handover. */
static int vmmgmtd_upgrade_export(struct vmmgmtd_upgrade *u)
{
	struct vmmgmtd_handover *h = u->d->handover;
	struct vmmgmtd_module_vms list;
	__u64 bytes = 0;
	unsigned int i;
	int err = 0;

	if (vmmgmtd_module_list(u->d, &list)) {
		err = -errno;
		vmmgmtd_upgrade_msg(u, "%s: LIST_VMS: %s", VMMGMT_HOST_DEV, strerror(-err));
		return err;
	}
	h->vms = calloc(list.nr ? list.nr : 1, sizeof(*h->vms));
	if (!h->vms) {
		free(list.vms);
		vmmgmtd_upgrade_msg(u, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < list.nr && !err; i++)
		err = vmmgmtd_upgrade_export_one(u, &list.vms[i]);
	free(list.vms);
	for (i = 0; i < h->nr; i++)
		bytes += h->vms[i].state_len;
	vmmgmtd_info("upgrade: exported %u VMs (%llu bytes of state)", h->nr,
		     (unsigned long long)bytes);
	return err;
}

/* ---- step 3: unload the old module ---- */

static long vmmgmtd_delete_module(void)
{
	return syscall(SYS_delete_module, VMMGMTD_MODULE_NAME, O_NONBLOCK);
}

/* /sys/module/vmmgmt_host/refcnt, or -1. */
static long long vmmgmtd_module_refcnt(void)
{
	__u64 refs;

	if (vmmgmt_read_attr_u64(VMMGMTD_MODULE_SYSFS, "refcnt", &refs))
		return -1;
	return refs;
}

/*
 * Step 3: close our file and unload the old module, trying every 100 ms
 * for u->wait_s seconds; once a second the log says how many references
 * (open files) keep it.  Return: 0, or -errno with the message set.
 */
static int vmmgmtd_upgrade_unload(struct vmmgmtd_upgrade *u)
{
	__u64 start = vmmgmt_now_ns(), deadline, next_log;
	int err;

	vmmgmtd_save_params();
	close(u->d->host_fd);
	u->d->host_fd = -1;
	deadline = start + u->wait_s * 1000000000ull;
	next_log = start + 1000000000ull;
	for (;;) {
		if (vmmgmtd_delete_module() == 0 || errno == ENOENT)
			break;
		err = -errno;
		if (err != -EWOULDBLOCK && err != -EAGAIN && err != -EBUSY) {
			vmmgmtd_upgrade_msg(u,
					    "delete_module(vmmgmt_host): %s: the old module runs on",
					    strerror(-err));
			return err;
		}
		if (vmmgmt_now_ns() >= deadline) {
			vmmgmtd_upgrade_msg(u,
					    "vmmgmt_host still in use after %u s (%lld references): the old module runs on",
					    u->wait_s, vmmgmtd_module_refcnt());
			return -EBUSY;
		}
		if (vmmgmt_now_ns() >= next_log) {
			vmmgmtd_info("upgrade: waiting for vmmgmt_host to be unused: %lld references",
				     vmmgmtd_module_refcnt());
			next_log += 1000000000ull;
		}
		vmmgmt_sleep_ms(VMMGMTD_UNLOAD_POLL_MS);
	}
	vmmgmtd_info("upgrade: unloaded the old vmmgmt_host after %llu ms",
		     (unsigned long long)((vmmgmt_now_ns() - start) / 1000000));
	return 0;
}

/* ---- step 4: load the new module ---- */

/*
 * finit_module() of the checked file.  EEXIST (someone loaded a
 * vmmgmt_host meanwhile) is no error: the VMs go into that one.
 */
static int vmmgmtd_upgrade_load(struct vmmgmtd_upgrade *u)
{
	int err;

	if (syscall(SYS_finit_module, u->ko_fd, vmmgmtd_module_params, 0) == 0) {
		vmmgmtd_info("upgrade: loaded %s", u->path);
		return 0;
	}
	err = -errno;
	if (err == -EEXIST) {
		vmmgmtd_info("upgrade: a vmmgmt_host is loaded already: the VMs go into it, %s is not loaded",
			     u->path);
		return 0;
	}
	vmmgmtd_upgrade_msg(u,
			    "loading %s: %s: %u VMs paused, their state held: run vmmgmtctl upgrade again with a module that loads (for example the old one)",
			    u->path, strerror(-err), u->d->handover->nr);
	return err;
}

/* ---- step 5: import into the module now loaded ---- */

#define VMMGMTD_HOST_SYSFS	"/sys/class/misc/vmmgmt-host"

/* "cancel" to the module's handover attribute: its endpoints open again. */
static void vmmgmtd_write_cancel(void)
{
	int err = vmmgmt_write_text(VMMGMTD_HOST_SYSFS "/handover", "cancel");

	if (err)
		vmmgmtd_info("upgrade: cancel in %s/handover: %s", VMMGMTD_HOST_SYSFS,
			     strerror(-err));
}

/*
 * /dev/vmmgmt-host of the module now loaded, retrying ENOENT (the device
 * node not there yet) and EAGAIN (a module still quiesced) for 5 s, and
 * of our ABI major.  Return: the fd, or -errno with the message set.
 */
static int vmmgmtd_upgrade_open_dev(struct vmmgmtd_upgrade *u,
				    struct vmmgmt_version *ver)
{
	__u64 deadline = vmmgmt_now_ns() + VMMGMTD_DEV_WAIT_MS * 1000000ull;
	char state[32];
	int fd, err;

	/*
	 * A module that saw its VMs exported stays frozen when our file
	 * closes (it expects to be unloaded): the rollback opens it again.
	 */
	if (!vmmgmt_read_attr(VMMGMTD_HOST_SYSFS, "handover", state, sizeof(state)) &&
	    !strcmp(state, "exported")) {
		vmmgmtd_info("upgrade: the old module was not unloaded: cancelling its handover");
		vmmgmtd_write_cancel();
	}
	for (;;) {
		fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			break;
		err = -errno;
		if ((err != -ENOENT && err != -ENODEV && err != -EAGAIN) ||
		    vmmgmt_now_ns() >= deadline) {
			vmmgmtd_upgrade_msg(u,
					    "%s: %s: %u VMs paused, their state held: run vmmgmtctl upgrade again",
					    VMMGMT_HOST_DEV, strerror(-err),
					    u->d->handover->nr);
			return err;
		}
		vmmgmt_sleep_ms(VMMGMTD_UNLOAD_POLL_MS);
	}
	memset(ver, 0, sizeof(*ver));
	if (ioctl(fd, VMMGMT_HOST_IOC_GET_VERSION, ver) < 0 ||
	    ver->abi_major != VMMGMT_ABI_MAJOR) {
		vmmgmtd_upgrade_msg(u,
				    "%s: not a module of ABI %u.x: %u VMs paused, their state held: run vmmgmtctl upgrade again with another module",
				    VMMGMT_HOST_DEV, VMMGMT_ABI_MAJOR,
				    u->d->handover->nr);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/*
 * vmmgmtd's slot for the imported VM @add: marked registered; without a
 * QEMU connection here its QEMU is watched through a pidfd.  A VM without
 * a slot (an orphan that was not adopted) gets one, with its socket.
 */
static void vmmgmtd_upgrade_own(struct vmmgmtd *d,
				const struct vmmgmt_host_vm_add *add)
{
	const char *name = (const char *)add->name;
	char err[VMMGMTD_ERR_MAX];
	struct vmmgmtd_vm *vm;
	struct stat st;

	vm = vmmgmtd_find_name(d, name);
	if (vm && vm->id != add->vm_id) {
		vmmgmtd_info("upgrade: %s (id %u): slot %s has id %u: the VM is not served here",
			     name, add->vm_id, vm->name, vm->id);
		return;
	}
	if (!vm) {
		vm = vmmgmtd_vm_new(d, name);
		if (!vm || vmmgmtd_vm_add(d, vm)) {
			free(vm);
			vmmgmtd_info("upgrade: %s (id %u): no slot: out of memory",
				     name, add->vm_id);
			return;
		}
		vm->id = add->vm_id;
		vm->id_given = true;
		vm->vectors = add->nr_vectors;
		if (fstat(add->region_fd, &st) == 0)
			vm->region_size = st.st_size;
		vm->origin = "handover";
		if (vmmgmtd_listen(d, vm, err, sizeof(err)))
			vmmgmtd_info("%s (id %u): %s: its next QEMU cannot connect",
				     vm->name, vm->id, err);
	}
	vm->registered = true;
	if (vm->conn_fd < 0 && !vm->adopted &&
	    vmmgmtd_vm_watch_qemu(vm, add->qemu_pid))
		vmmgmtd_info("%s (id %u): QEMU pid %u: pidfd_open: %m (its exit goes unnoticed here)",
			     vm->name, vm->id, add->qemu_pid);
}

/*
 * IMPORT_VM of @hv through @fd.  Return: 0 when it is done with (imported:
 * *@imported set; or dropped because its QEMU exited: ESRCH), else the
 * errno (kept).
 */
static int vmmgmtd_upgrade_import_one(struct vmmgmtd *d, int fd,
				      struct vmmgmtd_handover_vm *hv,
				      bool *imported)
{
	const char *name = (const char *)hv->add.name;
	struct vmmgmt_host_vm_import req;
	struct vmmgmtd_vm *vm;
	int err;

	memset(&req, 0, sizeof(req));
	req.add = hv->add;
	req.state = (__u64)(unsigned long)hv->state;
	req.state_len = hv->state_len;
	*imported = false;
	if (ioctl(fd, VMMGMT_HOST_IOC_IMPORT_VM, &req) == 0) {
		*imported = true;
		vmmgmtd_upgrade_own(d, &hv->add);
		vmmgmtd_debug("upgrade: %s (id %u): imported", name, hv->add.vm_id);
		return 0;
	}
	err = -errno;
	if (err != -ESRCH) {
		vmmgmtd_info("upgrade: %s (id %u): IMPORT_VM: %s: its state is held",
			     name, hv->add.vm_id, strerror(-err));
		return err;
	}
	vmmgmtd_info("upgrade: %s (id %u): dropped: its QEMU pid %u exited",
		     name, hv->add.vm_id, hv->add.qemu_pid);
	vm = vmmgmtd_find_id(d, hv->add.vm_id);
	if (vm && !strcmp(vm->name, name))
		vm->registered = false;
	return 0;
}

/*
 * IMPORT_VM of every held VM through @fd; those done with leave
 * d->handover (their fds closed).  Return: how many were imported; *@err
 * is the first -errno of a VM kept.
 */
static unsigned int vmmgmtd_upgrade_import(struct vmmgmtd *d, int fd, int *err)
{
	struct vmmgmtd_handover *h = d->handover;
	unsigned int i, kept = 0, imported = 0;
	bool done;
	int ret;

	*err = 0;
	for (i = 0; i < h->nr; i++) {
		struct vmmgmtd_handover_vm *hv = &h->vms[i];

		ret = vmmgmtd_upgrade_import_one(d, fd, hv, &done);
		if (ret) {
			if (!*err)
				*err = ret;
			h->vms[kept++] = *hv;
			continue;
		}
		/* Registered or dropped: IMPORT_VM took its own references. */
		imported += done;
		vmmgmtd_handover_close_fds(&hv->add);
		free(hv->state);
	}
	vmmgmtd_info("upgrade: imported %u VMs, %u dropped, %u held", imported,
		     h->nr - kept - imported, kept);
	h->nr = kept;
	return imported;
}

/* Free d->handover (its VMs' fds closed: they are lost). */
static void vmmgmtd_handover_free(struct vmmgmtd *d)
{
	struct vmmgmtd_handover *h = d->handover;
	unsigned int i;

	if (!h)
		return;
	for (i = 0; i < h->nr; i++) {
		vmmgmtd_handover_close_fds(&h->vms[i].add);
		free(h->vms[i].state);
	}
	free(h->vms);
	free(h);
	d->handover = NULL;
}

/*
 * RESUME through @fd with the ports the old module had bound: starts the
 * imported workers, ends a quiesce, holds records for the ports.
 */
static int vmmgmtd_upgrade_resume(struct vmmgmtd *d, int fd)
{
	struct vmmgmt_host_quiesce req;

	memset(&req, 0, sizeof(req));
	req.nr_ports = d->handover->quiesce.nr_ports;
	memcpy(req.ports, d->handover->quiesce.ports, sizeof(req.ports));
	if (ioctl(fd, VMMGMT_HOST_IOC_RESUME, &req) < 0)
		return -errno;
	return 0;
}

/*
 * Step 5 (and the rollback into the old module): import every held VM
 * through @fd, which becomes vmmgmtd's host_fd, and RESUME.  A VM the
 * module refuses (other than ESRCH) stays held: the handover is pending.
 * Return: 0, or -errno with the message set.
 */
static int vmmgmtd_upgrade_finish(struct vmmgmtd_upgrade *u, int fd,
				  const struct vmmgmt_version *ver,
				  struct vmmgmtd_upgrade_result *res)
{
	struct vmmgmtd *d = u->d;
	struct vmmgmtd_handover *h = d->handover;
	unsigned int imported;
	int err, rerr;

	if (d->host_fd >= 0 && d->host_fd != fd)
		close(d->host_fd);
	d->host_fd = fd;
	d->persist = ver->abi_minor >= 8;
	imported = vmmgmtd_upgrade_import(d, fd, &err);
	rerr = vmmgmtd_upgrade_resume(d, fd);
	res->vms = imported;
	res->paused_ms = (vmmgmt_now_ns() - h->quiesced_ns) / 1000000;
	res->abi_major = ver->abi_major;
	res->abi_minor = ver->abi_minor;
	res->format = h->quiesce.format;
	vmmgmtd_info("upgrade: resumed: %u VMs handed over, paused %llu ms, module ABI %u.%u%s",
		     imported, (unsigned long long)res->paused_ms,
		     ver->abi_major, ver->abi_minor, rerr ? " (RESUME failed)" : "");
	if (err) {
		vmmgmtd_upgrade_msg(u,
				    "%s: IMPORT_VM: %s: %u VMs not imported, their state held (see the log): run vmmgmtctl upgrade again with a module that takes them",
				    VMMGMT_HOST_DEV, strerror(-err), h->nr);
		return err;
	}
	vmmgmtd_handover_free(d);
	if (rerr) {
		vmmgmtd_upgrade_msg(u,
				    "%s: RESUME: %s: the %u VMs are imported, their workers start when vmmgmtd closes the file",
				    VMMGMT_HOST_DEV, strerror(-rerr), imported);
		return rerr;
	}
	return 0;
}

/*
 * Finish into the module loaded (steps 5 and the rollback): through our
 * file of it when we have one (the old module quiesced by it, or a module
 * that refused some VMs before), else a new one.
 */
static int vmmgmtd_upgrade_reopen_finish(struct vmmgmtd_upgrade *u,
					 struct vmmgmtd_upgrade_result *res)
{
	struct vmmgmt_version ver;
	int fd = u->d->host_fd;

	if (fd >= 0) {
		memset(&ver, 0, sizeof(ver));
		ioctl(fd, VMMGMT_HOST_IOC_GET_VERSION, &ver);
		return vmmgmtd_upgrade_finish(u, fd, &ver, res);
	}
	fd = vmmgmtd_upgrade_open_dev(u, &ver);
	if (fd < 0)
		return fd;
	return vmmgmtd_upgrade_finish(u, fd, &ver, res);
}

/*
 * The old module runs on after a failure of step 2 or 3: the VMs go back
 * into it.  The answer's message (u->err) stays the failure's, with what
 * the rollback could not do added.
 */
static void vmmgmtd_upgrade_rollback(struct vmmgmtd_upgrade *u)
{
	char why[VMMGMTD_UPGRADE_ERR_MAX], how[VMMGMTD_UPGRADE_ERR_MAX];
	struct vmmgmtd_upgrade_result res;

	snprintf(why, sizeof(why), "%s", u->err);
	vmmgmtd_info("upgrade: %s: rolling back", why);
	if (!vmmgmtd_upgrade_reopen_finish(u, &res)) {
		vmmgmtd_upgrade_msg(u, "%s", why);
		return;
	}
	snprintf(how, sizeof(how), "%s", u->err);
	vmmgmtd_info("upgrade: rollback: %s", how);
	vmmgmtd_upgrade_msg(u, "%.400s; rollback: %.400s", why, how);
}

/* Steps 1 to 3.  Return: 0, or -errno (rolled back) with the message set. */
static int vmmgmtd_upgrade_stop_old(struct vmmgmtd_upgrade *u)
{
	int err;

	err = vmmgmtd_upgrade_quiesce(u);
	if (err)
		return err;
	err = vmmgmtd_upgrade_export(u);
	if (!err)
		err = vmmgmtd_upgrade_unload(u);
	if (err)
		vmmgmtd_upgrade_rollback(u);
	return err;
}

/**
 * vmmgmtd_upgrade() - replace vmmgmt_host with the module file @path,
 * handing every VM over (see the top of this file); or, with a handover
 * pending, finish it.
 * @d: the daemon.
 * @path: the module file, absolute.
 * @wait_s: how long to wait for the old module to be unused.
 * @res: filled in on success.
 * @err: the message on failure (%VMMGMTD_UPGRADE_ERR_MAX bytes).
 *
 * Context: the control request; blocks vmmgmtd's loop (see above).
 * Return: 0, or -errno with @err set.
 */
int vmmgmtd_upgrade(struct vmmgmtd *d, const char *path, unsigned int wait_s,
		    struct vmmgmtd_upgrade_result *res, char *err)
{
	struct vmmgmtd_upgrade u = {
		.d = d, .path = path, .wait_s = wait_s, .ko_fd = -1,
		.err = err,
	};
	int ret;

	memset(res, 0, sizeof(*res));
	ret = vmmgmtd_upgrade_check(&u);
	if (!ret) {
		vmmgmtd_listener_close(&d->files);
		vmmgmtd_listener_close(&d->services);
	}
	if (!ret && !d->handover)
		ret = vmmgmtd_upgrade_stop_old(&u);
	if (!ret && !vmmgmtd_module_loaded())
		ret = vmmgmtd_upgrade_load(&u);
	else if (!ret)
		vmmgmtd_info("upgrade: vmmgmt_host is loaded: the VMs go into it, %s is not loaded",
			     path);
	if (!ret)
		ret = vmmgmtd_upgrade_reopen_finish(&u, res);
	if (u.ko_fd >= 0)
		close(u.ko_fd);
	vmmgmtd_files_start(d);
	vmmgmtd_services_start(d);
	return ret;
}

/**
 * vmmgmtd_handover_abandon() - vmmgmtd exits with a handover pending: the
 * held VMs are in no module, and their state is lost with vmmgmtd.
 * @d: the daemon.
 *
 * Context: exit.
 */
void vmmgmtd_handover_abandon(struct vmmgmtd *d)
{
	unsigned int i;

	if (!d->handover)
		return;
	for (i = 0; i < d->handover->nr; i++)
		vmmgmtd_info("%s (id %u): exiting with its handover pending: its channel state is lost",
			     (const char *)d->handover->vms[i].add.name,
			     d->handover->vms[i].add.vm_id);
	vmmgmtd_handover_free(d);
}
