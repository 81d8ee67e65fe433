/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt host module: the kernel API differences between the kernels it
 * supports (Debian's 6.1 and 6.12), kept in one place.  The VMMGMT_HAVE_*
 * macros come from feature tests in Kbuild.
 */
#ifndef _VMMGMT_HOST_COMPAT_H
#define _VMMGMT_HOST_COMPAT_H

#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/shmem_fs.h>

/**
 * vmmgmt_host_eventfd_signal() - add one to an eventfd's counter.
 * @ctx: the eventfd.
 *
 * eventfd_signal() lost its count argument in 6.8
 * (VMMGMT_HAVE_EVENTFD_SIGNAL_NOCOUNT comes from a feature test in Kbuild).
 *
 * Context: any context; must not nest inside another eventfd's wakeup.
 */
static inline void vmmgmt_host_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VMMGMT_HAVE_EVENTFD_SIGNAL_NOCOUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/**
 * vmmgmt_host_shmem_seals() - the seals of a shmem (memfd) file.
 * @file: a file for which shmem_file() is true.
 *
 * Neither 6.1 nor 6.12 exports memfd_fcntl() or memfd_file_seals_ptr(),
 * but both declare struct shmem_inode_info, whose @seals field is what
 * F_GET_SEALS returns for a shmem file.  Seals are only ever added, so a
 * single read is enough to know that a seal is set.
 *
 * Context: any context.
 * Return: the F_SEAL_* bits of @file.
 */
static inline unsigned int vmmgmt_host_shmem_seals(struct file *file)
{
	return READ_ONCE(SHMEM_I(file_inode(file))->seals);
}

/*
 * vmmgmt_host_splice_read - &file_operations.splice_read of the files
 * that implement read_iter (/dev/vmmgmt-host and stream files): 6.5
 * replaced generic_file_splice_read() by copy_splice_read() for files
 * without a page cache (VMMGMT_HAVE_COPY_SPLICE_READ comes from a
 * feature test in Kbuild).  Both call read_iter.
 */
#ifdef VMMGMT_HAVE_COPY_SPLICE_READ
#define vmmgmt_host_splice_read		copy_splice_read
#else
#define vmmgmt_host_splice_read		generic_file_splice_read
#endif

#endif /* _VMMGMT_HOST_COMPAT_H */
