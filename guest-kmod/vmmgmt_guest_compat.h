/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt guest module: the kernel API differences between the kernels it
 * supports (Debian's 6.1 and 6.12), kept in one place.  The
 * VMMGMT_GUEST_HAVE_* macros come from feature tests in Kbuild.
 */
#ifndef _VMMGMT_GUEST_COMPAT_H
#define _VMMGMT_GUEST_COMPAT_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/pci.h>

/**
 * vmmgmt_guest_pcim_iomap_region() - request and map one BAR, device-managed.
 * @pdev: the PCI device, enabled with pcim_enable_device().
 * @bar: BAR index.
 * @name: owner name for the request.
 *
 * pcim_iomap_region() is exported from 6.11 on, where pcim_iomap_regions()
 * with pcim_iomap_table() is deprecated; older kernels only have the
 * latter pair.
 *
 * Context: process context; may sleep.
 * Return: the mapping, or an ERR_PTR()-encoded error.
 */
static inline void __iomem *
vmmgmt_guest_pcim_iomap_region(struct pci_dev *pdev, int bar, const char *name)
{
#ifdef VMMGMT_GUEST_HAVE_PCIM_IOMAP_REGION
	return pcim_iomap_region(pdev, bar, name);
#else
	void __iomem *addr;
	int ret;

	ret = pcim_iomap_regions(pdev, BIT(bar), name);
	if (ret)
		return IOMEM_ERR_PTR(ret);
	addr = pcim_iomap_table(pdev)[bar];
	return addr ? addr : IOMEM_ERR_PTR(-ENOMEM);
#endif
}

/*
 * vmmgmt_guest_splice_read - the .splice_read of a file with read_iter
 * that is not in the page cache: copy_splice_read() from 6.5 on, where
 * generic_file_splice_read() is gone; before, the latter, which then
 * reads through read_iter.
 */
#ifdef VMMGMT_GUEST_HAVE_COPY_SPLICE_READ
#define vmmgmt_guest_splice_read	copy_splice_read
#else
#define vmmgmt_guest_splice_read	generic_file_splice_read
#endif

#endif /* _VMMGMT_GUEST_COMPAT_H */
