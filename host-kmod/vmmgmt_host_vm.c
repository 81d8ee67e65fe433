// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: VM lifecycle.
 *
 * VMMGMT_HOST_IOC_ADD_VM validates what vmmgmtd hands over (ids, name,
 * eventfds, the region), pins and maps the region, writes its header and
 * ring layout, and starts the VM's worker.  VMMGMT_HOST_IOC_DEL_VM, and the
 * release of the file that added the VM, undo it in reverse order.
 *
 * The region is a shmem file (a memfd) sealed against shrinking and
 * growing.  Its pages are pinned (one reference each, taken through
 * shmem_read_mapping_page()) and mapped with vmap(): whatever userspace
 * later does to the file (punching holes, unmapping, closing it), the
 * module keeps writing to pages it owns a reference to, never to freed
 * memory.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/** VMMGMT_HOST_VMS_MAX - most VMs registered at once. */
#define VMMGMT_HOST_VMS_MAX	1024

/* Seals a region must carry: its size cannot change under QEMU. */
#define VMMGMT_HOST_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

/* Serialises registration and removal; protects the three below. */
static DEFINE_MUTEX(vmmgmt_host_vms_lock);
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
 * vmmgmt_host_vm_find() - look a VM up by id or name.
 * @id: VM id, or 0 to match by name only.
 * @name: VM name, or NULL to match by id only.
 *
 * Context: holds vmmgmt_host_vms_lock.
 * Return: the VM, or NULL.
 */
static struct vmmgmt_host_vm *vmmgmt_host_vm_find(u32 id, const char *name)
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
 * vmmgmt_host_region_get() - take the region file and check it.
 * @vm: the VM; @vm->region and @vm->size are set on success.
 * @fd: the region fd.
 *
 * Context: process context.
 * Return: 0; -EBADF if @fd is not open; -EINVAL if it is not a shmem file
 * (a memfd), lacks F_SEAL_SHRINK or F_SEAL_GROW, or its size is not a
 * power of two within %VMMGMT_REGION_MIN_SIZE..%VMMGMT_REGION_MAX_SIZE.
 */
static int vmmgmt_host_region_get(struct vmmgmt_host_vm *vm, int fd)
{
	struct file *file;
	loff_t size;

	if (fd < 0)
		return -EBADF;
	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!shmem_file(file) ||
	    (vmmgmt_host_shmem_seals(file) & VMMGMT_HOST_SEALS) !=
	    VMMGMT_HOST_SEALS)
		goto err_put;
	/* Sealed: the size is fixed from here on. */
	size = i_size_read(file_inode(file));
	if (size < VMMGMT_REGION_MIN_SIZE || size > VMMGMT_REGION_MAX_SIZE ||
	    !is_power_of_2(size))
		goto err_put;
	vm->region = file;
	vm->size = size;
	return 0;

err_put:
	fput(file);
	return -EINVAL;
}

/**
 * vmmgmt_host_region_unmap() - unmap and unpin the region.
 * @vm: the VM.
 *
 * Context: process context; may sleep.
 */
static void vmmgmt_host_region_unmap(struct vmmgmt_host_vm *vm)
{
	unsigned long i;

	if (vm->hdr)
		vunmap(vm->hdr);
	vm->hdr = NULL;
	for (i = 0; i < vm->nr_pages; i++)
		put_page(vm->pages[i]);
	kvfree(vm->pages);
	vm->pages = NULL;
	vm->nr_pages = 0;
}

/**
 * vmmgmt_host_region_map() - pin every page of the region and map them.
 * @vm: the VM with @vm->region and @vm->size set.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOMEM, or an error from reading a page of the file.
 */
static int vmmgmt_host_region_map(struct vmmgmt_host_vm *vm)
{
	struct address_space *mapping = vm->region->f_mapping;
	unsigned long n = vm->size >> PAGE_SHIFT;
	struct page *page;
	int ret;

	vm->pages = kvcalloc(n, sizeof(*vm->pages), GFP_KERNEL);
	if (!vm->pages)
		return -ENOMEM;
	for (vm->nr_pages = 0; vm->nr_pages < n; vm->nr_pages++) {
		page = shmem_read_mapping_page(mapping, vm->nr_pages);
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			goto err_unmap;
		}
		vm->pages[vm->nr_pages] = page;
	}
	vm->hdr = vmap(vm->pages, n, VM_MAP, PAGE_KERNEL);
	if (!vm->hdr) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	return 0;

err_unmap:
	vmmgmt_host_region_unmap(vm);
	return ret;
}

/**
 * vmmgmt_host_region_init() - write the header and lay out the rings.
 * @vm: the VM with its region mapped, @vm->generation and
 *	@vm->reset_seen set to the values to publish.
 *
 * Layout for a region of S bytes: the header at 0, the G2H ring's control
 * block at sizeof(header), the H2G one on the next two cache lines, the
 * G2H data area at S/4 and the H2G data area at S/2, each S/4 bytes (a
 * power of two of at least %VMMGMT_RING_MIN_DATA since S >= 64 KiB).  The
 * last quarter is reserved for later use.  Both control blocks are zeroed
 * and both ring views start at index 0.  The guest's reset_request is
 * left alone; reset_ack becomes @vm->reset_seen.  The link state stays
 * DOWN; the caller publishes UP when the worker is ready.
 *
 * Used at registration and, for a reset the guest asked for, by the
 * worker (vmmgmt_host_worker.c).
 *
 * Context: process context; before the VM's worker runs, or in the
 * worker.
 * Return: 0, or -EINVAL if the shared ring code rejects the layout.
 */
int vmmgmt_host_region_init(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_region_header *hdr = vm->hdr;
	u32 data_size = vm->size / 4;
	u32 ctrl[2] = { sizeof(*hdr), sizeof(*hdr) +
			sizeof(struct vmmgmt_ring_ctrl) };
	u32 data[2] = { vm->size / 4, vm->size / 2 };
	u8 *base = (u8 *)hdr;
	int i, ret;

	WRITE_ONCE(hdr->link_state, VMMGMT_LINK_DOWN);
	/* DOWN before the rest of the header changes; pairs with the guest. */
	smp_wmb();

	hdr->magic = VMMGMT_MAGIC;
	hdr->abi_major = VMMGMT_ABI_MAJOR;
	hdr->abi_minor = VMMGMT_ABI_MINOR;
	hdr->header_size = sizeof(*hdr);
	hdr->region_size = vm->size;
	/* Our G2H consumer keeps notify_at (the ring code always does). */
	hdr->features_offered = READ_ONCE(vmmgmt_host_notify_at) ?
				VMMGMT_F_NOTIFY_AT : 0;
	hdr->features_accepted = 0;
	hdr->host_id = 0;
	hdr->vm_id = vm->id;
	hdr->generation = vm->generation;
	memset(hdr->name, 0, sizeof(hdr->name));
	strscpy(hdr->name, vm->name, sizeof(hdr->name));
	WRITE_ONCE(hdr->reset_ack, vm->reset_seen);
	memset(hdr->reserved, 0, sizeof(hdr->reserved));

	for (i = 0; i < 2; i++) {
		hdr->rings[i].ctrl_offset = ctrl[i];
		hdr->rings[i].data_offset = data[i];
		hdr->rings[i].data_size = data_size;
		hdr->rings[i].reserved = 0;
		/* Both halves: the guest's half may hold an old index. */
		memset(base + ctrl[i], 0, sizeof(struct vmmgmt_ring_ctrl));
	}

	ret = vmmgmt_ring_init(&vm->g2h, (void *)(base + ctrl[VMMGMT_RING_G2H]),
			       base + data[VMMGMT_RING_G2H], data_size);
	if (!ret)
		ret = vmmgmt_ring_cons_reset(&vm->g2h, 0);
	if (!ret)
		ret = vmmgmt_ring_init(&vm->h2g,
				       (void *)(base + ctrl[VMMGMT_RING_H2G]),
				       base + data[VMMGMT_RING_H2G], data_size);
	if (!ret)
		ret = vmmgmt_ring_prod_reset(&vm->h2g, 0);
	return ret;
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
	if (!vmmgmt_host_vms_kobj) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (vmmgmt_host_vm_find(vm->id, vm->name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	if (vmmgmt_host_nr_vms >= VMMGMT_HOST_VMS_MAX) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	/* Whatever the header said before is only a hint: bump it. */
	vm->generation = READ_ONCE(vm->hdr->generation) + 1;
	/* A reset the guest asked for before registration: served by it. */
	vm->reset_seen = READ_ONCE(vm->hdr->reset_request);
	ret = vmmgmt_host_region_init(vm);
	if (ret)
		goto err_unlock;
	ret = kobject_add(&vm->kobj, vmmgmt_host_vms_kobj, "%s", vm->name);
	if (ret)
		goto err_unlock;
	ret = xa_reserve(&vmmgmt_host_vm_ids, vm->id, GFP_KERNEL);
	if (ret)
		goto err_del_kobj;
	ret = vmmgmt_host_worker_create(vm);
	if (ret)
		goto err_release_id;

	/* The rings are laid out: the guest may use them from here on. */
	vm->link_state = VMMGMT_LINK_UP;
	/* Header and ring indexes before UP; the guest reads UP first. */
	smp_wmb();
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_UP);
	vmmgmt_host_worker_start(vm, kick_files);

	list_add_tail(&vm->node, &vmmgmt_host_vms);
	vmmgmt_host_nr_vms++;
	/* Memory for the id was reserved before the worker started. */
	xa_store(&vmmgmt_host_vm_ids, vm->id, vm, GFP_KERNEL);
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

err_release_id:
	xa_release(&vmmgmt_host_vm_ids, vm->id);
err_del_kobj:
	kobject_del(&vm->kobj);
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
 * region is unmapped; the link state in the header reads DOWN afterwards,
 * and the guest gets an interrupt (call_fds[0]) so that it notices.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_destroy(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	/* The watchdog and debugfs let go of @vm first. */
	vmmgmt_host_watch_del(vm);
	list_del(&vm->node);
	vmmgmt_host_nr_vms--;
	/* Lookups that took a reference before this see @vm->dead. */
	xa_erase(&vmmgmt_host_vm_ids, vm->id);

	/* Senders stop queueing and stop waking the worker. */
	spin_lock(&vm->tx_lock);
	vm->dead = true;
	spin_unlock(&vm->tx_lock);
	wake_up_interruptible_all(&vm->tx_wq);

	vmmgmt_host_worker_stop(vm);
	/* No more samples: the vCPU threads get their nice values back. */
	vmmgmt_host_sched_stop(vm);
	vmmgmt_host_queue_purge(&vm->tx);
	vmmgmt_host_names_withdraw_all(vm);
	/* Workers that waited for room in @vm->tx answer their records. */
	vmmgmt_host_vms_unblock();
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
		vm->name, vm->id, atomic64_read(&vm->stats.stalls_recovered),
		atomic64_read(&vm->stats.stall_kicks));
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
	struct vmmgmt_host_vm *vm, *tmp;

	mutex_lock(&vmmgmt_host_vms_lock);
	list_for_each_entry_safe(vm, tmp, &vmmgmt_host_vms, node)
		if (vm->owner == owner)
			vmmgmt_host_vm_destroy(vm);
	mutex_unlock(&vmmgmt_host_vms_lock);
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
 * the module, and its release removes the VMs it added.
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
