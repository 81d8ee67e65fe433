// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: VMs that outlive their daemon (ABI 0.8).  At start vmmgmtd
 * lists the VMs the host module has registered (VMMGMT_HOST_IOC_LIST_VMS)
 * and adopts those whose daemon is gone (VMMGMT_F_ORPHAN) and whose QEMU
 * runs (VMMGMT_HOST_IOC_ADOPT_VM): each gets a slot (the configured one of
 * that name and id, or a new one with the module's name, id, size and
 * vectors) that watches its QEMU through a pidfd instead of a connection.
 * When the pidfd becomes readable the QEMU has exited: the module removes
 * the VM itself; vmmgmtd unregisters it too (ENOENT if the module was
 * first) so that the next QEMU can register at once, and the slot waits
 * for it.  VMs another running vmmgmtd owns are left alone; a configured
 * slot that collides with one of them, or with an adopted VM of another
 * name or id, is skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmmgmtd.h"

/* glibc 2.36 of Debian 12 may lack the wrapper. */
static int vmmgmtd_pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/*
 * All VMs the module has registered, by increasing id, in @list (free
 * list->vms).  Return: 0, or -errno (errno set) with an empty list.
 */
int vmmgmtd_module_list(struct vmmgmtd *d, struct vmmgmtd_module_vms *list)
{
	struct vmmgmt_host_vm_list page;
	struct vmmgmt_host_vm_info *more;
	__u32 after = 0, i;

	list->vms = NULL;
	list->nr = 0;
	if (d->host_fd < 0 || !d->persist)
		return 0;
	do {
		memset(&page, 0, sizeof(page));
		page.after_id = after;
		if (ioctl(d->host_fd, VMMGMT_HOST_IOC_LIST_VMS, &page) < 0)
			goto fail;
		if (page.count > VMMGMT_HOST_VMS_PER_LIST) {
			errno = EPROTO;
			goto fail;
		}
		if (!page.count)
			break;
		more = realloc(list->vms, (list->nr + page.count) * sizeof(*more));
		if (!more) {
			errno = ENOMEM;
			goto fail;
		}
		list->vms = more;
		for (i = 0; i < page.count; i++) {
			page.vms[i].name[VMMGMT_NAME_MAX - 1] = '\0';
			list->vms[list->nr++] = page.vms[i];
		}
		after = page.vms[page.count - 1].vm_id;
	} while (page.flags & VMMGMT_HOST_VM_LIST_F_MORE);
	return 0;

fail:
	i = errno;
	free(list->vms);
	list->vms = NULL;
	list->nr = 0;
	errno = i;
	return -i;
}

/* The module's VM called @name, or else the one with id @id (0: none). */
const struct vmmgmt_host_vm_info *
vmmgmtd_module_find(const struct vmmgmtd_module_vms *list, const char *name,
		    unsigned int id)
{
	unsigned int i;

	for (i = 0; name && i < list->nr; i++)
		if (!strcmp((const char *)list->vms[i].name, name))
			return &list->vms[i];
	for (i = 0; id && i < list->nr; i++)
		if (list->vms[i].vm_id == id)
			return &list->vms[i];
	return NULL;
}

/*
 * Before the sockets: a configured slot whose name or id belongs to a
 * registered VM that is not the same VM (name and id), or to one that
 * another running vmmgmtd owns, cannot be served: one error line each,
 * and the slot is dropped (vmmgmtd goes on).
 */
void vmmgmtd_check_collisions(struct vmmgmtd *d,
			      const struct vmmgmtd_module_vms *list)
{
	const struct vmmgmt_host_vm_info *by_name, *by_id, *other;
	unsigned int i = 0;

	while (i < d->nr_vms) {
		struct vmmgmtd_vm *vm = d->vms[i];

		by_name = vmmgmtd_module_find(list, vm->name, 0);
		by_id = vmmgmtd_module_find(list, NULL, vm->id);
		other = by_name ? by_name : by_id;
		if (!other || (by_name == by_id &&
			       (other->flags & VMMGMT_HOST_VM_F_ORPHAN))) {
			i++;
			continue;
		}
		if (by_name == by_id)
			vmmgmtd_info("%s (id %u): skipped: registered by another running vmmgmtd (QEMU pid %u)",
				     vm->name, vm->id, other->qemu_pid);
		else
			vmmgmtd_info("%s (id %u): skipped: collides with registered VM %s (id %u, QEMU pid %u)",
				     vm->name, vm->id, (const char *)other->name,
				     other->vm_id, other->qemu_pid);
		vmmgmtd_vm_remove(d, vm);
	}
}

/* A pidfd is readable once its process has exited (a zombie too). */
static bool vmmgmtd_pidfd_exited(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* Is the adopted QEMU gone? */
bool vmmgmtd_vm_qemu_exited(const struct vmmgmtd_vm *vm)
{
	return vm->pidfd >= 0 && vmmgmtd_pidfd_exited(vm->pidfd);
}

/*
 * The adopted VM's QEMU exited: the module removes the VM itself; DEL_VM
 * all the same (ENOENT is fine), so that the next QEMU finds the id and
 * name free, and the slot waits for it.
 */
void vmmgmtd_vm_qemu_gone(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	vmmgmtd_info("%s (id %u): adopted QEMU pid %d exited", vm->name, vm->id,
		     (int)vm->pid);
	vmmgmtd_vm_unregister(d, vm);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->pidfd = -1;
	vm->adopted = false;
	vm->pid = 0;
}

/* From now on @vm's QEMU @pid is watched through @pidfd (see above). */
static void vmmgmtd_vm_watch(struct vmmgmtd_vm *vm, int pidfd, pid_t pid)
{
	vm->pidfd = pidfd;
	vm->pid = pid;
	vm->adopted = true;
	vm->registered = true;
}

/*
 * A VM registered through our file without a QEMU connection here (one
 * handed over from the old module whose QEMU an earlier vmmgmtd served):
 * watch its QEMU like an adopted one.  A QEMU that exited already shows
 * up in the next poll() round.  Return: 0, or -1 with errno set.
 */
int vmmgmtd_vm_watch_qemu(struct vmmgmtd_vm *vm, pid_t pid)
{
	int fd = vmmgmtd_pidfd_open(pid);

	if (fd < 0)
		return -1;
	vmmgmtd_vm_watch(vm, fd, pid);
	return 0;
}

/* Adopt @info into @vm; false when its QEMU is gone or the module refused. */
static bool vmmgmtd_adopt(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			  const struct vmmgmt_host_vm_info *info)
{
	struct vmmgmt_host_vm_adopt req = {
		.vm_id = info->vm_id, .qemu_pid = info->qemu_pid,
	};
	int fd;

	/*
	 * No DEL_VM when QEMU looks gone: the module removes a VM whose QEMU
	 * exited by itself, and a QEMU this daemon cannot see (another PID
	 * namespace) may well run.
	 */
	fd = vmmgmtd_pidfd_open(info->qemu_pid);
	if (fd < 0) {
		vmmgmtd_info("%s (id %u): not adopted: QEMU pid %u: %m",
			     vm->name, vm->id, info->qemu_pid);
		return false;
	}
	if (vmmgmtd_pidfd_exited(fd)) {
		vmmgmtd_info("%s (id %u): not adopted: QEMU pid %u exited",
			     vm->name, vm->id, info->qemu_pid);
		close(fd);
		return false;
	}
	if (ioctl(d->host_fd, VMMGMT_HOST_IOC_ADOPT_VM, &req) < 0) {
		vmmgmtd_info("%s (id %u): not adopted: %s: ADOPT_VM: %m",
			     vm->name, vm->id, VMMGMT_HOST_DEV);
		close(fd);
		return false;
	}
	vmmgmtd_vm_watch(vm, fd, info->qemu_pid);
	vmmgmtd_info("%s (id %u): adopted: QEMU pid %d", vm->name, vm->id,
		     (int)vm->pid);
	return true;
}

/*
 * After the configured sockets listen: adopt every orphaned VM of @list
 * (see vmmgmtd_check_collisions(), which ran first).
 */
void vmmgmtd_adopt_all(struct vmmgmtd *d, const struct vmmgmtd_module_vms *list)
{
	char err[VMMGMTD_ERR_MAX];
	unsigned int i;

	for (i = 0; i < list->nr; i++) {
		const struct vmmgmt_host_vm_info *info = &list->vms[i];
		const char *name = (const char *)info->name;
		struct vmmgmtd_vm *vm;
		bool created = false;

		if (!(info->flags & VMMGMT_HOST_VM_F_ORPHAN)) {
			vmmgmtd_debug("%s (id %u): registered by another vmmgmtd, left alone",
				      name, info->vm_id);
			continue;
		}
		if (!(info->flags & VMMGMT_HOST_VM_F_PERSIST))
			continue;
		vm = vmmgmtd_find_name(d, name);
		if (!vm) {
			vm = vmmgmtd_vm_new(d, name);
			if (!vm || vmmgmtd_vm_add(d, vm)) {
				free(vm);
				vmmgmtd_info("%s (id %u): not adopted: out of memory",
					     name, info->vm_id);
				continue;
			}
			vm->id = info->vm_id;
			vm->id_given = true;
			vm->region_size = info->region_size;
			vm->vectors = info->nr_vectors;
			vm->origin = "module";
			created = true;
		}
		if (!vmmgmtd_adopt(d, vm, info)) {
			if (created)
				vmmgmtd_vm_remove(d, vm);
			continue;
		}
		d->nr_adopted++;
		if (created && vmmgmtd_listen(d, vm, err, sizeof(err)))
			vmmgmtd_info("%s (id %u): %s: its next QEMU cannot connect",
				     vm->name, vm->id, err);
	}
}
