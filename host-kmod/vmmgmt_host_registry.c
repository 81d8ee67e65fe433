// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the VM registry.
 *
 * Owns the list of registered VMs, their count, the vms/ directory they
 * sit in, and the id table: VM id -> running VM, which workers and
 * senders use to find a destination without vmmgmt_host_vms_lock
 * (vmmgmt_host_vm_get() and vmmgmt_host_vm_put()).  Registration and
 * removal themselves are vmmgmt_host_vm.c's: it holds
 * vmmgmt_host_vms_lock and enters and removes VMs here.  Also wakes the
 * workers that wait for room in a queue that made room
 * (vmmgmt_host_vms_unblock()).
 *
 * May call: nothing of the module but the inline helpers of
 * vmmgmt_host.h (vmmgmt_host_worker_wake()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/** VMMGMT_HOST_VMS_MAX - most VMs registered at once. */
#define VMMGMT_HOST_VMS_MAX	1024

/*
 * Serialises registration and removal (vmmgmt_host_vm.c holds it across
 * both); protects the three below.
 */
DEFINE_MUTEX(vmmgmt_host_vms_lock);
/* Registered VMs.  Protected by vmmgmt_host_vms_lock. */
static LIST_HEAD(vmmgmt_host_vms);
/* Entries in vmmgmt_host_vms.  Protected by vmmgmt_host_vms_lock. */
static unsigned int vmmgmt_host_nr_vms;
/* /sys/class/misc/vmmgmt-host/vms.  Protected by vmmgmt_host_vms_lock. */
static struct kobject *vmmgmt_host_vms_kobj;
/*
 * VM id -> running VM, for lookups from workers and senders that must not
 * take vmmgmt_host_vms_lock.  Changed under vmmgmt_host_vms_lock too; a VM
 * is in it only while its worker runs.
 */
static DEFINE_XARRAY(vmmgmt_host_vm_ids);

/**
 * vmmgmt_host_vm_find() - look a VM up by id or name.
 * @id: VM id, or 0 to match by name only.
 * @name: VM name, or NULL to match by id only.
 *
 * Context: holds vmmgmt_host_vms_lock.
 * Return: the VM, or NULL.
 */
struct vmmgmt_host_vm *vmmgmt_host_vm_find(u32 id, const char *name)
{
	struct vmmgmt_host_vm *vm;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	list_for_each_entry(vm, &vmmgmt_host_vms, node) {
		if (id && vm->id == id)
			return vm;
		if (name && !strcmp(vm->name, name))
			return vm;
	}
	return NULL;
}

/**
 * vmmgmt_host_vm_owned() - a VM that a /dev/vmmgmt-host file added.
 * @owner: the file.
 *
 * Context: holds vmmgmt_host_vms_lock.
 * Return: the first such VM in registration order, or NULL.
 */
struct vmmgmt_host_vm *vmmgmt_host_vm_owned(const struct file *owner)
{
	struct vmmgmt_host_vm *vm;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	list_for_each_entry(vm, &vmmgmt_host_vms, node)
		if (vm->owner == owner)
			return vm;
	return NULL;
}

/**
 * vmmgmt_host_vm_next() - the registered VM with the lowest id above one.
 * @after: the id to start after; 0 for the first VM.
 *
 * The id table holds exactly the registered VMs while
 * vmmgmt_host_vms_lock is held (it changes only under it), so walking it
 * with this yields every VM once, by increasing id.
 *
 * Context: holds vmmgmt_host_vms_lock.
 * Return: the VM, or NULL when no VM has an id above @after.
 */
struct vmmgmt_host_vm *vmmgmt_host_vm_next(u32 after)
{
	unsigned long index = (unsigned long)after + 1;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	if (index > VMMGMT_VM_ID_MAX)
		return NULL;
	return xa_find(&vmmgmt_host_vm_ids, &index, VMMGMT_VM_ID_MAX,
		       XA_PRESENT);
}

/*
 * Whether a registered VM has @region's memory as its region: two VMs on
 * one region would each read the other's rings.
 */
static bool vmmgmt_host_region_taken(const struct file *region)
{
	struct vmmgmt_host_vm *vm;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	list_for_each_entry(vm, &vmmgmt_host_vms, node)
		if (file_inode(vm->region) == file_inode(region))
			return true;
	return false;
}

/**
 * vmmgmt_host_vm_reserve() - make room in the registry for a new VM.
 * @vm: the VM, with its id and name set; not in the registry yet.
 * @dir: returns the vms/ directory, the parent of the VM's kobject.
 *
 * Reserves the VM's id in the id table, so that publishing it later
 * (vmmgmt_host_vm_publish()) cannot fail.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 * Return: 0; -ENODEV (the vms/ directory is gone: module exit);
 * -EEXIST (a VM with that id or name, or on that region, is registered);
 * -ENOSPC (%VMMGMT_HOST_VMS_MAX VMs); -ENOMEM.
 */
int vmmgmt_host_vm_reserve(struct vmmgmt_host_vm *vm, struct kobject **dir)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	if (!vmmgmt_host_vms_kobj)
		return -ENODEV;
	if (vmmgmt_host_vm_find(vm->id, vm->name) ||
	    vmmgmt_host_region_taken(vm->region))
		return -EEXIST;
	if (vmmgmt_host_nr_vms >= VMMGMT_HOST_VMS_MAX)
		return -ENOSPC;
	*dir = vmmgmt_host_vms_kobj;
	return xa_reserve(&vmmgmt_host_vm_ids, vm->id, GFP_KERNEL);
}

/**
 * vmmgmt_host_vm_unreserve() - undo vmmgmt_host_vm_reserve().
 * @vm: the VM, not published.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vm_unreserve(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	xa_release(&vmmgmt_host_vm_ids, vm->id);
}

/**
 * vmmgmt_host_vm_publish() - enter a VM whose worker runs into the registry.
 * @vm: the VM, its id reserved (vmmgmt_host_vm_reserve()).
 *
 * From here on vmmgmt_host_vm_get() finds it, and senders and other VMs'
 * workers may queue to it.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vm_publish(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	list_add_tail(&vm->node, &vmmgmt_host_vms);
	vmmgmt_host_nr_vms++;
	/* Memory for the id was reserved: this cannot fail. */
	xa_store(&vmmgmt_host_vm_ids, vm->id, vm, GFP_KERNEL);
}

/**
 * vmmgmt_host_vm_unpublish() - take a VM out of the registry.
 * @vm: the VM, published.
 *
 * Lookups that took a reference before this still hold the structure;
 * they find the VM dead (&vmmgmt_host_vm.dead) once its removal sets it.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vm_unpublish(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	list_del(&vm->node);
	vmmgmt_host_nr_vms--;
	xa_erase(&vmmgmt_host_vm_ids, vm->id);
}

/**
 * vmmgmt_host_vm_get() - find a registered VM by id and take a reference.
 * @id: the VM id.
 *
 * The reference keeps the structure (not the registration) alive: check
 * @vm->dead under @vm->tx_lock before using the VM's worker.
 *
 * Context: process context (a VM's worker too); takes the id table's lock.
 * Return: the VM, or NULL.  Release it with vmmgmt_host_vm_put().
 */
struct vmmgmt_host_vm *vmmgmt_host_vm_get(u32 id)
{
	struct vmmgmt_host_vm *vm;

	if (id == VMMGMT_HOST_PEER_ID || id > VMMGMT_VM_ID_MAX)
		return NULL;
	xa_lock(&vmmgmt_host_vm_ids);
	vm = xa_load(&vmmgmt_host_vm_ids, id);
	if (vm)
		kobject_get(&vm->kobj);
	xa_unlock(&vmmgmt_host_vm_ids);
	return vm;
}

/**
 * vmmgmt_host_vm_get_next() - the registered VM with the next id, with a
 * reference: walks every VM without vmmgmt_host_vms_lock.
 * @id: the smallest id wanted; returns the id of the VM found.
 *
 * Start with *@id = 1 and go on with *@id + 1.  VMs registered or removed
 * meanwhile are found or not.
 *
 * Context: process context (a VM's worker too); takes the id table's lock.
 * Return: the VM, or NULL when there is none from *@id up.  Release it
 * with vmmgmt_host_vm_put().
 */
struct vmmgmt_host_vm *vmmgmt_host_vm_get_next(u32 *id)
{
	unsigned long index = *id;
	struct vmmgmt_host_vm *vm;

	if (index > VMMGMT_VM_ID_MAX)
		return NULL;
	xa_lock(&vmmgmt_host_vm_ids);
	/* Reserved ids (a VM being added) are not present entries. */
	vm = xa_find(&vmmgmt_host_vm_ids, &index, VMMGMT_VM_ID_MAX, XA_PRESENT);
	if (vm)
		kobject_get(&vm->kobj);
	xa_unlock(&vmmgmt_host_vm_ids);
	if (vm)
		*id = index;
	return vm;
}

/**
 * vmmgmt_host_vm_put() - drop a reference from vmmgmt_host_vm_get().
 * @vm: the VM.
 *
 * Context: process context.
 */
void vmmgmt_host_vm_put(struct vmmgmt_host_vm *vm)
{
	kobject_put(&vm->kobj);
}

/**
 * vmmgmt_host_vms_unblock() - wake the workers that wait for room in
 * another queue (a host endpoint's, or another VM's send queue).
 *
 * Called when a queue that had turned a worker away made room or went
 * away.  A woken worker that still finds no room waits again.
 *
 * Context: process context (a VM's worker too); takes the id table's lock.
 */
void vmmgmt_host_vms_unblock(void)
{
	struct vmmgmt_host_vm *vm;
	unsigned long id;

	xa_lock(&vmmgmt_host_vm_ids);
	xa_for_each(&vmmgmt_host_vm_ids, id, vm) {
		if (!READ_ONCE(vm->blocked))
			continue;
		atomic_set(&vm->held_kick, 1);
		/* VMs in the table have a running worker. */
		vmmgmt_host_worker_wake(vm);
	}
	xa_unlock(&vmmgmt_host_vm_ids);
}

/**
 * vmmgmt_host_vms_init() - create the vms/ directory.
 * @parent: the misc device's kobject.
 *
 * Context: process context (module init); takes vmmgmt_host_vms_lock.
 * Return: 0 or -ENOMEM.
 */
int vmmgmt_host_vms_init(struct kobject *parent)
{
	struct kobject *kobj;

	kobj = kobject_create_and_add("vms", parent);
	if (!kobj)
		return -ENOMEM;
	mutex_lock(&vmmgmt_host_vms_lock);
	vmmgmt_host_vms_kobj = kobj;
	mutex_unlock(&vmmgmt_host_vms_lock);
	return 0;
}

/**
 * vmmgmt_host_vms_exit() - remove the vms/ directory.
 *
 * No VM is left: every open /dev/vmmgmt-host file holds a reference to
 * the module, and its release removes the VMs it added but the PERSIST
 * ones, each of which holds a reference to the module itself until it is
 * removed (rmmod fails while one is registered).
 *
 * Context: process context (module exit); takes vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vms_exit(void)
{
	struct kobject *kobj;

	mutex_lock(&vmmgmt_host_vms_lock);
	kobj = vmmgmt_host_vms_kobj;
	vmmgmt_host_vms_kobj = NULL;
	mutex_unlock(&vmmgmt_host_vms_lock);
	kobject_put(kobj);
}
