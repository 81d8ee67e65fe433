// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: VM lifecycle.
 *
 * VMMGMT_HOST_IOC_ADD_VM validates what vmmgmtd hands over (ids, name,
 * eventfds, the region), takes, maps and lays out the region
 * (vmmgmt_host_region.c), enters the VM into the registry
 * (vmmgmt_host_registry.c), and starts the VM's worker.
 * VMMGMT_HOST_IOC_DEL_VM, and the release of the file that added the VM,
 * undo it in reverse order.
 *
 * Owns: the order in which a VM's parts are set up and torn down, and
 * the VM's eventfd references.
 *
 * May call: the registry, the region, the queues, the worker, flow
 * control (held records, PEER_GONE), the host streams, the watchdog, the
 * names, the quotas, the statistics, the scheduling policy and the VM's
 * kobject type (vmmgmt_host_sysfs.c); nothing calls back.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/**
 * vmmgmt_host_vm_check() - validate the fields of an ADD_VM request that
 * need no lookup.
 * @req: the request, copied from userspace.
 *
 * Context: any context.
 * Return: 0, or -EINVAL.
 */
static int vmmgmt_host_vm_check(const struct vmmgmt_host_vm_add *req)
{
	unsigned int i;

	if (req->flags || req->pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(req->reserved); i++)
		if (req->reserved[i])
			return -EINVAL;
	if (req->vm_id == VMMGMT_HOST_PEER_ID || req->vm_id > VMMGMT_VM_ID_MAX)
		return -EINVAL;
	if (req->nr_vectors < 1 || req->nr_vectors > VMMGMT_VECTORS_MAX)
		return -EINVAL;
	if (!vmmgmt_name_valid(req->name, VMMGMT_NAME_PUNCT_VM))
		return -EINVAL;
	return 0;
}

/**
 * vmmgmt_host_eventfd_get() - take a reference to an eventfd by fd.
 * @fd: the fd.
 * @filep: if not NULL, also returns a reference to the file (the kick
 *	hooks poll it once).
 *
 * Context: process context.
 * Return: the eventfd, or ERR_PTR(-EBADF) if @fd is not open, or
 * ERR_PTR(-EINVAL) if it is not an eventfd.
 */
static struct eventfd_ctx *vmmgmt_host_eventfd_get(int fd, struct file **filep)
{
	struct eventfd_ctx *ctx;
	struct file *file;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx) || !filep)
		fput(file);
	else
		*filep = file;
	return ctx;
}

/**
 * vmmgmt_host_vm_put_eventfds() - drop the eventfd references of a VM.
 * @vm: the VM; its worker is stopped and its kick hooks are removed.
 *
 * Context: process context.
 */
static void vmmgmt_host_vm_put_eventfds(struct vmmgmt_host_vm *vm)
{
	unsigned int v;

	for (v = 0; v < VMMGMT_VECTORS_MAX; v++) {
		if (vm->kicks[v].ctx)
			eventfd_ctx_put(vm->kicks[v].ctx);
		vm->kicks[v].ctx = NULL;
		if (vm->call[v])
			eventfd_ctx_put(vm->call[v]);
		vm->call[v] = NULL;
	}
}

/**
 * vmmgmt_host_vm_get_eventfds() - take the kick and call eventfds.
 * @vm: the VM, with @vm->nr_vectors set.
 * @req: the request.
 * @kick_files: returns a file reference per kick eventfd, for the one
 *	vfs_poll() that hooks it; the caller puts them.
 *
 * Context: process context.
 * Return: 0, -EBADF or -EINVAL; on error nothing is held.
 */
static int vmmgmt_host_vm_get_eventfds(struct vmmgmt_host_vm *vm,
				       const struct vmmgmt_host_vm_add *req,
				       struct file **kick_files)
{
	struct eventfd_ctx *ctx;
	unsigned int v;

	for (v = 0; v < vm->nr_vectors; v++) {
		ctx = vmmgmt_host_eventfd_get(req->kick_fds[v], &kick_files[v]);
		if (IS_ERR(ctx))
			goto err_put;
		vm->kicks[v].ctx = ctx;
		ctx = vmmgmt_host_eventfd_get(req->call_fds[v], NULL);
		if (IS_ERR(ctx))
			goto err_put;
		vm->call[v] = ctx;
	}
	return 0;

err_put:
	for (v = 0; v < vm->nr_vectors; v++) {
		if (kick_files[v])
			fput(kick_files[v]);
		kick_files[v] = NULL;
	}
	vmmgmt_host_vm_put_eventfds(vm);
	return PTR_ERR(ctx);
}

/**
 * vmmgmt_host_vm_add() - VMMGMT_HOST_IOC_ADD_VM.
 * @owner: the /dev/vmmgmt-host file; the VM goes away when it is released.
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0, or the errors listed for VMMGMT_HOST_IOC_ADD_VM in
 * uapi/vmmgmt.h.
 */
int vmmgmt_host_vm_add(struct file *owner,
		       const struct vmmgmt_host_vm_add *req)
{
	struct file *kick_files[VMMGMT_VECTORS_MAX] = { };
	struct vmmgmt_host_vm *vm;
	struct kobject *dir;
	unsigned int v;
	int ret;

	ret = vmmgmt_host_vm_check(req);
	if (ret)
		return ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vm->owner = owner;
	vm->id = req->vm_id;
	vm->qemu_pid = req->qemu_pid;
	vm->nr_vectors = req->nr_vectors;
	strscpy(vm->name, req->name, sizeof(vm->name));
	vm->link_state = VMMGMT_LINK_DOWN;
	atomic_set(&vm->pending, 0);
	spin_lock_init(&vm->tx_lock);
	vmmgmt_host_stats_init(&vm->gstats);
	vmmgmt_host_sched_init(vm);
	vmmgmt_host_quota_init(vm);
	vmmgmt_host_queue_init(&vm->tx);
	vmmgmt_host_flow_init(vm);
	init_waitqueue_head(&vm->tx_wq);
	for (v = 0; v < VMMGMT_VECTORS_MAX; v++)
		vm->kicks[v].vm = vm;
	kobject_init(&vm->kobj, &vmmgmt_host_vm_ktype);

	vm->buf = kvmalloc(VMMGMT_MSG_MAX, GFP_KERNEL);
	if (!vm->buf) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = vmmgmt_host_vm_get_eventfds(vm, req, kick_files);
	if (ret)
		goto err_free_buf;
	ret = vmmgmt_host_region_get(vm, req->region_fd);
	if (ret)
		goto err_put_eventfds;
	ret = vmmgmt_host_region_map(vm);
	if (ret)
		goto err_put_region;

	mutex_lock(&vmmgmt_host_vms_lock);
	ret = vmmgmt_host_vm_reserve(vm, &dir);
	if (ret)
		goto err_unlock;
	/* Whatever the header said before is only a hint: bump it. */
	vm->generation = READ_ONCE(vm->hdr->generation) + 1;
	/* A reset the guest asked for before registration: served by it. */
	vm->reset_seen = READ_ONCE(vm->hdr->reset_request);
	ret = vmmgmt_host_region_init(vm);
	if (ret)
		goto err_release_id;
	ret = kobject_add(&vm->kobj, dir, "%s", vm->name);
	if (ret)
		goto err_release_id;
	ret = vmmgmt_host_worker_create(vm);
	if (ret)
		goto err_del_kobj;

	/* The rings are laid out: the guest may use them from here on. */
	vm->link_state = VMMGMT_LINK_UP;
	/* Header and ring indexes before UP; the guest reads UP first. */
	smp_wmb();
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_UP);
	vmmgmt_host_worker_start(vm, kick_files);

	/* Id reserved before the worker started: senders find it now. */
	vmmgmt_host_vm_publish(vm);
	vmmgmt_host_watch_add(vm);
	kobject_uevent(&vm->kobj, KOBJ_ADD);
	pr_info("%s (id %u): added, pid %u, region %llu bytes, %u vectors, generation %u\n",
		vm->name, vm->id, vm->qemu_pid, vm->size, vm->nr_vectors,
		vm->generation);
	/* From here on a DEL_VM on another thread may free @vm. */
	mutex_unlock(&vmmgmt_host_vms_lock);

	for (v = 0; v < VMMGMT_VECTORS_MAX; v++)
		if (kick_files[v])
			fput(kick_files[v]);
	return 0;

err_del_kobj:
	kobject_del(&vm->kobj);
err_release_id:
	vmmgmt_host_vm_unreserve(vm);
err_unlock:
	mutex_unlock(&vmmgmt_host_vms_lock);
	vmmgmt_host_region_unmap(vm);
err_put_region:
	fput(vm->region);
err_put_eventfds:
	for (v = 0; v < vm->nr_vectors; v++)
		if (kick_files[v])
			fput(kick_files[v]);
	vmmgmt_host_vm_put_eventfds(vm);
err_free_buf:
	kvfree(vm->buf);
err_free:
	/* The kobject's release frees @vm. */
	kobject_put(&vm->kobj);
	return ret;
}

/**
 * vmmgmt_host_vm_destroy() - remove one VM, in the reverse order of
 * vmmgmt_host_vm_add().
 * @vm: the VM, on vmmgmt_host_vms.
 *
 * The worker's kick hooks are removed and the worker stopped before the
 * region is unmapped; host writers waiting for room fail (ECONNRESET),
 * other VMs' workers answer what they held for the VM, and the VMs that
 * take notices get a PEER_GONE for it; the link state in the header reads DOWN afterwards,
 * and the guest gets an interrupt (call_fds[0]) so that it notices.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_destroy(struct vmmgmt_host_vm *vm)
{
	const struct vmmgmt_addr gone = { .vm = vm->id };

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	/* The watchdog and debugfs let go of @vm first. */
	vmmgmt_host_watch_del(vm);
	/* Lookups that took a reference before this see @vm->dead. */
	vmmgmt_host_vm_unpublish(vm);

	/* Senders stop queueing and stop waking the worker. */
	spin_lock(&vm->tx_lock);
	vm->dead = true;
	spin_unlock(&vm->tx_lock);
	wake_up_interruptible_all(&vm->tx_wq);

	vmmgmt_host_worker_stop(vm);
	/* Host streams with the VM fail (ECONNRESET); their waiters wake. */
	vmmgmt_host_stream_vm_gone(vm);
	/* No more samples: the vCPU threads get their nice values back. */
	vmmgmt_host_sched_stop(vm);
	vmmgmt_host_queue_purge(&vm->tx);
	/* What the VM had held dies with it, unanswered. */
	vmmgmt_host_flow_purge(vm);
	vmmgmt_host_names_withdraw_all(vm);
	/* Workers that held records for @vm answer them (EHOSTDOWN). */
	vmmgmt_host_vms_unblock();
	/* The VMs that take notices learn that @vm is gone. */
	vmmgmt_host_flow_peer_gone(&gone);
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_DOWN);
	vm->link_state = VMMGMT_LINK_DOWN;
	/*
	 * Interrupt the guest: it re-reads the link state, and its readers
	 * and writers fail with ENOTCONN instead of sleeping.  QEMU may live
	 * on (vmmgmtd went away); if it is gone, nobody listens.  DOWN is
	 * visible before the interrupt.
	 */
	smp_wmb();
	vmmgmt_host_eventfd_signal(vm->call[0]);
	kobject_del(&vm->kobj);
	vmmgmt_host_region_unmap(vm);
	fput(vm->region);
	vm->region = NULL;
	vmmgmt_host_vm_put_eventfds(vm);
	kvfree(vm->buf);
	vm->buf = NULL;
	pr_info("%s (id %u): removed; stalls_recovered %lld, stall_kicks %lld\n",
		vm->name, vm->id, atomic64_read(&vm->counters.stalls_recovered),
		atomic64_read(&vm->counters.stall_kicks));
	kobject_put(&vm->kobj);
}

/**
 * vmmgmt_host_vm_del() - VMMGMT_HOST_IOC_DEL_VM.
 * @owner: the /dev/vmmgmt-host file the request came through.
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EINVAL for nonzero flags or reserved or a bad id; -ENOENT if
 * no VM with that id was added through @owner.
 */
int vmmgmt_host_vm_del(struct file *owner, const struct vmmgmt_host_vm_del *req)
{
	struct vmmgmt_host_vm *vm;
	int ret = 0;

	if (req->flags || req->reserved)
		return -EINVAL;
	if (req->vm_id == VMMGMT_HOST_PEER_ID || req->vm_id > VMMGMT_VM_ID_MAX)
		return -EINVAL;
	mutex_lock(&vmmgmt_host_vms_lock);
	vm = vmmgmt_host_vm_find(req->vm_id, NULL);
	if (vm && vm->owner == owner)
		vmmgmt_host_vm_destroy(vm);
	else
		ret = -ENOENT;
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/**
 * vmmgmt_host_vm_release_file() - remove every VM a file added.
 * @owner: the /dev/vmmgmt-host file being released.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vm_release_file(struct file *owner)
{
	struct vmmgmt_host_vm *vm;

	mutex_lock(&vmmgmt_host_vms_lock);
	while ((vm = vmmgmt_host_vm_owned(owner)))
		vmmgmt_host_vm_destroy(vm);
	mutex_unlock(&vmmgmt_host_vms_lock);
}
