// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: a VM's shared region.
 *
 * Owns what the module does to the region itself: taking the region file
 * from vmmgmtd and checking it, pinning and mapping its pages, and laying
 * out its header and rings (at registration and on a reset the guest asks
 * for), with the feature bits the host offers (the notify_at parameter
 * lives here).  It also reads back what the guest says in the header
 * about its modes (vmmgmt_host_region_modes()) and whether it takes flow
 * control notices (vmmgmt_host_region_flow()).
 *
 * The region is a shmem file (a memfd) sealed against shrinking and
 * growing.  Its pages are pinned (one reference each, taken through
 * shmem_read_mapping_page()) and mapped with vmap(): whatever userspace
 * later does to the file (punching holes, unmapping, closing it), the
 * module keeps writing to pages it owns a reference to, never to freed
 * memory.
 *
 * May call: the shared ring (vmmgmt_host_ring.c) only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/* Seals a region must carry: its size cannot change under QEMU. */
#define VMMGMT_HOST_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

/*
 * vmmgmt_host_notify_at: offer %VMMGMT_F_NOTIFY_AT to guests (read when a
 * region is laid out) and honour it when a guest accepted it; off, the
 * module notifies as in ABI 0.2 (whenever cons_running is clear).  For
 * comparisons (make bench); changing it affects regions laid out later.
 */
bool vmmgmt_host_notify_at = true;
module_param_named(notify_at, vmmgmt_host_notify_at, bool, 0644);
MODULE_PARM_DESC(notify_at, "offer and use the notify_at index (ABI 0.3; default Y)");

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
int vmmgmt_host_region_get(struct vmmgmt_host_vm *vm, int fd)
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
void vmmgmt_host_region_unmap(struct vmmgmt_host_vm *vm)
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
int vmmgmt_host_region_map(struct vmmgmt_host_vm *vm)
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
 * The features offered are %VMMGMT_F_MODES, %VMMGMT_F_FLOW,
 * %VMMGMT_F_STREAM, and %VMMGMT_F_NOTIFY_AT unless the notify_at
 * parameter is off; features_accepted and guest_modes start at zero, for
 * the guest to fill in.
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

	/* Keep in step with vmmgmt_host_region_attach(). */

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
	/* We read guest_modes (sysfs, and write() refuses disabled modes). */
	hdr->features_offered |= VMMGMT_F_MODES;
	/* We hold records for full destinations and send notices. */
	hdr->features_offered |= VMMGMT_F_FLOW;
	/* We route stream segments (vmmgmt_host_stream.c, ..._route.c). */
	hdr->features_offered |= VMMGMT_F_STREAM;
	hdr->features_accepted = 0;
	hdr->host_id = 0;
	hdr->vm_id = vm->id;
	hdr->generation = vm->generation;
	memset(hdr->name, 0, sizeof(hdr->name));
	strscpy(hdr->name, vm->name, sizeof(hdr->name));
	WRITE_ONCE(hdr->reset_ack, vm->reset_seen);
	/* Nothing is known of the guest's modes until it says so again. */
	WRITE_ONCE(hdr->guest_modes, 0);
	hdr->guest_pad = 0;
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
 * vmmgmt_host_region_attach() - set up the ring views on a region that a
 * previous module laid out (a handover, VMMGMT_HOST_IOC_IMPORT_VM).
 * @vm: the VM with its region mapped.
 *
 * The layout is computed from the size as vmmgmt_host_region_init() lays
 * it out, not read from the header (the guest may have scribbled on
 * it); nothing in the region is written.  The caller restores each side's
 * private state.
 *
 * Context: process context; before the VM's worker runs.
 * Return: 0, or -EINVAL if the shared ring code rejects the layout.
 */
int vmmgmt_host_region_attach(struct vmmgmt_host_vm *vm)
{
	u32 data_size = vm->size / 4;
	u8 *base = (u8 *)vm->hdr;
	u32 g2h_ctrl = sizeof(*vm->hdr);
	int ret;

	ret = vmmgmt_ring_init(&vm->g2h, (void *)(base + g2h_ctrl),
			       base + vm->size / 4, data_size);
	if (!ret)
		ret = vmmgmt_ring_init(&vm->h2g,
				       (void *)(base + g2h_ctrl +
						sizeof(struct vmmgmt_ring_ctrl)),
				       base + vm->size / 2, data_size);
	return ret;
}

/**
 * vmmgmt_host_region_modes() - the modes the guest says it has enabled.
 * @vm: the VM, its region mapped (the caller keeps it from being removed:
 *	a sysfs file of the VM, or @vm->tx_lock held with @vm->dead clear).
 * @modes: returns a mask of VMMGMT_MODE_BIT() within %VMMGMT_MODES_USER.
 *
 * The header is the guest's: each field is read once, and bits outside
 * %VMMGMT_MODES_USER are ignored.  The answer is advice (the guest
 * refuses records of a disabled mode whatever it wrote here), so a value
 * that changes right after it was read does no harm.
 *
 * Context: any context.
 * Return: true if the guest accepted %VMMGMT_F_MODES and @modes is what
 * it says; false if it did not (an older guest module, or none bound
 * since the region was laid out): nothing is known, @modes is 0.
 */
bool vmmgmt_host_region_modes(const struct vmmgmt_host_vm *vm, u32 *modes)
{
	const struct vmmgmt_region_header *hdr = vm->hdr;

	*modes = 0;
	if (!(READ_ONCE(hdr->features_accepted) & VMMGMT_F_MODES))
		return false;
	*modes = READ_ONCE(hdr->guest_modes) & VMMGMT_MODES_USER;
	return true;
}

/**
 * vmmgmt_host_region_flow() - whether the guest takes flow control notices.
 * @vm: the VM, its region mapped (its worker, or @vm->tx_lock held with
 *	@vm->dead clear).
 *
 * The header is the guest's: the answer is what it says now, read once.
 * A guest that claims the feature without understanding it only gets
 * notices it ignores.
 *
 * Context: any context.
 * Return: true if the guest accepted %VMMGMT_F_FLOW.
 */
bool vmmgmt_host_region_flow(const struct vmmgmt_host_vm *vm)
{
	return READ_ONCE(vm->hdr->features_accepted) & VMMGMT_F_FLOW;
}
