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
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
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

/**
 * vmmgmt_host_pid_exited() - whether the process of a thread group id has
 * exited: every thread of it is gone or a zombie.
 * @pid: the struct pid of the thread group (its leader's).
 *
 * 6.1 exports thread_group_exited() for this; 6.9 dropped it (pidfs has
 * the test inline).  This is the same test, written with what both
 * kernels have: the leader is gone (reaped), or it is a zombie and no
 * other thread is left (a leader that exited before its threads is not
 * the end of the process).  The kernel wakes @pid's wait_pidfd queue when
 * this becomes true (do_notify_pidfd()) and again when the leader is
 * reaped; exec by another thread hands the leader's struct pid on, so
 * @pid stays the process's.
 *
 * Context: any context; takes the RCU read lock.
 * Return: true when the process has exited.
 */
static inline bool vmmgmt_host_pid_exited(struct pid *pid)
{
	struct task_struct *task;
	bool exited;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	exited = !task ||
		 (READ_ONCE(task->exit_state) && thread_group_empty(task));
	rcu_read_unlock();
	return exited;
}

#endif /* _VMMGMT_HOST_COMPAT_H */
