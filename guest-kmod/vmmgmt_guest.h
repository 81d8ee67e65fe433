/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt guest module: state shared by the PCI transport
 * (vmmgmt_guest_pci.c) and the character device (vmmgmt_guest_cdev.c).
 */
#ifndef _VMMGMT_GUEST_H
#define _VMMGMT_GUEST_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/rwsem.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include <vmmgmt.h>

struct pci_dev;

/* Room for "vmmgmt", a decimal unsigned int and the NUL. */
#define VMMGMT_DEV_NAME_LEN	20

/**
 * struct vmmgmt_dev - one bound ivshmem-doorbell device.
 * @kref: the driver holds one reference from probe to remove; every open
 *	file holds one more, so the structure outlives the PCI binding.
 * @lock: readers (file operations) hold it while they use the device;
 *	remove takes it for writing to wait for them and set @removed.
 * @removed: true once remove has started tearing the device down; no
 *	file operation may then touch @pdev, @regs or @region.
 *	Protected by @lock.
 * @pdev: the PCI device.  Valid while !@removed.
 * @regs: BAR0, the ivshmem registers.  Valid while !@removed.
 * @region: BAR2, the shared region.  The host may change it at any time:
 *	read each field once with vmmgmt_hdr_read32() and friends and work
 *	on the copy.  Valid while !@removed.
 * @region_size: length of BAR2 in bytes; fixed at probe.
 * @peer_id: IVPosition register; fixed at probe.
 * @nvec: number of MSI-X vectors allocated and requested.
 * @interrupts: interrupts taken on all vectors since probe.
 * @minor_id: ida number that chose @name.
 * @name: misc device name: "vmmgmt" for @minor_id 0, else "vmmgmt<N>".
 * @irq_name: name shown in /proc/interrupts.
 * @misc: the character device /dev/@name.
 *
 * Lock order: misc_mtx (held by the misc core around open and
 * misc_deregister()) is never taken while holding @lock.
 */
struct vmmgmt_dev {
	struct kref kref;
	struct rw_semaphore lock;
	bool removed;
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *region;
	u64 region_size;
	u32 peer_id;
	unsigned int nvec;
	atomic64_t interrupts;
	unsigned int minor_id;
	char name[VMMGMT_DEV_NAME_LEN];
	char irq_name[32];
	struct miscdevice misc;
};

/* Byte offset of @field in the region header. */
#define VMMGMT_HDR_OFF(field) offsetof(struct vmmgmt_region_header, field)

/**
 * vmmgmt_hdr_read32() - read a 32-bit header field once.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @off: byte offset, from VMMGMT_HDR_OFF().
 *
 * Context: any; does not sleep.
 * Return: the little-endian field converted to CPU order.
 */
static inline u32 vmmgmt_hdr_read32(const struct vmmgmt_dev *vdev,
				    size_t off)
{
	return ioread32(vdev->region + off);
}

/**
 * vmmgmt_hdr_read64() - read a 64-bit header field.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @off: byte offset, from VMMGMT_HDR_OFF().
 *
 * Two 32-bit reads, low half first: use it only for fields the host does
 * not change while the guest runs (the magic).
 *
 * Context: any; does not sleep.
 * Return: the little-endian field converted to CPU order.
 */
static inline u64 vmmgmt_hdr_read64(const struct vmmgmt_dev *vdev,
				    size_t off)
{
	return ioread64_lo_hi(vdev->region + off);
}

/**
 * vmmgmt_hdr_read_abi() - read the header's ABI version in one access.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @major: set to the header's abi_major.
 * @minor: set to the header's abi_minor.
 *
 * Both fields share one aligned 32-bit word, so a single read gives a
 * consistent pair even while the host rewrites the header.
 *
 * Context: any; does not sleep.
 */
static inline void vmmgmt_hdr_read_abi(const struct vmmgmt_dev *vdev,
				       u16 *major, u16 *minor)
{
	u32 word = vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(abi_major));

	static_assert(VMMGMT_HDR_OFF(abi_minor) ==
		      VMMGMT_HDR_OFF(abi_major) + 2);
	*major = lower_16_bits(word);
	*minor = upper_16_bits(word);
}

void vmmgmt_dev_put(struct vmmgmt_dev *vdev);

int vmmgmt_cdev_register(struct vmmgmt_dev *vdev);
void vmmgmt_cdev_unregister(struct vmmgmt_dev *vdev);

#endif /* _VMMGMT_GUEST_H */
