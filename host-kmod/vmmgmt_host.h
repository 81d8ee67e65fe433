/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt host module: declarations shared between its files.
 *
 * vmmgmt_host_main.c	module init and exit, in dependency order
 * vmmgmt_host_cdev.c	/dev/vmmgmt-host: ioctls and device sysfs
 * vmmgmt_host_vm.c	VM lifecycle: registration, region mapping, removal
 * vmmgmt_host_worker.c	the per-VM kernel thread: kick hooks, G2H drain,
 *			echo service, H2G post, guest notification, channel
 *			reset on the guest's request
 * vmmgmt_host_sysfs.c	/sys/class/misc/vmmgmt-host/vms/<name>/
 * vmmgmt_host_ring.c	the shared ring (lib/vmmgmt_ring.c)
 *
 * Lock order: vmmgmt_host_vms_lock (a mutex, vmmgmt_host_vm.c) is the only
 * lock taken by more than one file.  Under it a VM's worker is started and
 * stopped; the worker itself takes no lock but the eventfds' wait queue
 * locks (inside eventfd_signal() and the wake callback).
 */
#ifndef _VMMGMT_HOST_H
#define _VMMGMT_HOST_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <vmmgmt.h>

#include "vmmgmt_ring.h"

struct eventfd_ctx;
struct file;
struct page;
struct task_struct;
struct vmmgmt_host_vm;

/** VMMGMT_HOST_BATCH - G2H records one batch of a worker handles. */
#define VMMGMT_HOST_BATCH	64

/**
 * struct vmmgmt_host_kick - the hook on one kick eventfd's wait queue.
 * @wait: our entry in the eventfd's wait queue; its callback wakes the
 *	worker.
 * @pt: poll table used once, to find the wait queue and enter @wait.
 * @wqh: the eventfd's wait queue head, set by the poll table callback.
 * @ctx: the eventfd (a reference is held until removal).
 * @vm: the VM this kick belongs to.
 */
struct vmmgmt_host_kick {
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh;
	struct eventfd_ctx *ctx;
	struct vmmgmt_host_vm *vm;
};

/**
 * struct vmmgmt_host_stats - per-VM counters, shown in sysfs.
 * @rx_msgs: records consumed from the G2H ring.
 * @rx_bytes: payload bytes of @rx_msgs.
 * @tx_msgs: records posted to the H2G ring.
 * @tx_bytes: payload bytes of @tx_msgs.
 * @kicks: doorbells (kick eventfd counts) the guest rang.
 * @notifications_sent: signals of call_fds[0].
 * @violations: ring violations seen (the channel broke).
 * @drops: records not delivered (no such destination, or a response
 *	nobody waits for).
 * @hangups: kick eventfds whose last file was closed (POLLHUP).
 * @resets: channel resets the guest requested and the worker carried out.
 *
 * Atomic: the worker, the wait queue callback and sysfs readers touch
 * them without a lock.
 */
struct vmmgmt_host_stats {
	atomic64_t rx_msgs;
	atomic64_t rx_bytes;
	atomic64_t tx_msgs;
	atomic64_t tx_bytes;
	atomic64_t kicks;
	atomic64_t notifications_sent;
	atomic64_t violations;
	atomic64_t drops;
	atomic64_t hangups;
	atomic64_t resets;
};

/**
 * struct vmmgmt_host_vm - one registered VM.
 * @node: in vmmgmt_host_vms.  Protected by vmmgmt_host_vms_lock.
 * @owner: the /dev/vmmgmt-host file that added the VM (not a reference:
 *	the file's release removes its VMs first).
 * @kobj: /sys/class/misc/vmmgmt-host/vms/<name>/; its release frees the
 *	structure.
 * @id: VM id, 1..%VMMGMT_VM_ID_MAX.
 * @name: NUL-terminated name.
 * @qemu_pid: the QEMU process, as given by vmmgmtd.
 * @generation: the generation written into the header.  Set at
 *	registration, then written only by the worker (on a reset).
 * @reset_seen: the header's reset_request value the module last acted on
 *	(the reset_ack it wrote).  Set at registration, then worker only.
 * @nr_vectors: entries in @kicks and @call.
 * @region: the region file (a reference).
 * @pages: the region's pages, each with a reference (pinned).
 * @nr_pages: entries in @pages.
 * @size: region size in bytes.
 * @hdr: the region, mapped with vmap() from @pages.
 * @link_state: our copy of the header's link state; the header's is the
 *	guest's to scribble on.  Written only by the worker after start.
 * @g2h: the consumer side of the guest-to-host ring.  Worker only.
 * @h2g: the producer side of the host-to-guest ring.  Worker only.
 * @h2g_blocked: the H2G ring had no room for an answer: the G2H record
 *	stays where it is until the guest consumes.  Worker only.
 * @h2g_broken: posting to the H2G ring failed (a bogus tail).  Worker only.
 * @blocked_len: payload length of the answer that did not fit.
 * @posted: records posted to H2G in the current batch.  Worker only.
 * @buf: a private copy of one record's payload (%VMMGMT_MSG_MAX bytes).
 * @thread: the worker, vmmgmt-<name>.
 * @pending: set by the wait queue callback (and the worker itself) when
 *	there is work; cleared by the worker before it looks.
 * @kicks: one hook per kick eventfd.
 * @call: the call eventfds (references).
 * @stats: counters.
 */
struct vmmgmt_host_vm {
	struct list_head node;
	struct file *owner;
	struct kobject kobj;
	u32 id;
	char name[VMMGMT_NAME_MAX];
	u32 qemu_pid;
	u32 generation;
	u32 reset_seen;
	u32 nr_vectors;

	struct file *region;
	struct page **pages;
	unsigned long nr_pages;
	u64 size;
	struct vmmgmt_region_header *hdr;
	u32 link_state;

	struct vmmgmt_ring g2h;
	struct vmmgmt_ring h2g;
	bool h2g_blocked;
	bool h2g_broken;
	u32 blocked_len;
	u32 posted;
	void *buf;

	struct task_struct *thread;
	atomic_t pending;
	struct vmmgmt_host_kick kicks[VMMGMT_VECTORS_MAX];
	struct eventfd_ctx *call[VMMGMT_VECTORS_MAX];

	struct vmmgmt_host_stats stats;
};

/* vmmgmt_host_cdev.c */
int vmmgmt_host_cdev_init(void);
void vmmgmt_host_cdev_exit(void);

/* vmmgmt_host_vm.c */
int vmmgmt_host_region_init(struct vmmgmt_host_vm *vm);
int vmmgmt_host_vm_add(struct file *owner,
		       const struct vmmgmt_host_vm_add *req);
int vmmgmt_host_vm_del(struct file *owner,
		       const struct vmmgmt_host_vm_del *req);
void vmmgmt_host_vm_release_file(struct file *owner);
int vmmgmt_host_vms_init(struct kobject *parent);
void vmmgmt_host_vms_exit(void);

/* vmmgmt_host_worker.c */
int vmmgmt_host_worker_create(struct vmmgmt_host_vm *vm);
void vmmgmt_host_worker_start(struct vmmgmt_host_vm *vm,
			      struct file **kick_files);
void vmmgmt_host_worker_stop(struct vmmgmt_host_vm *vm);

/* vmmgmt_host_sysfs.c */
extern const struct kobj_type vmmgmt_host_vm_ktype;

#endif /* _VMMGMT_HOST_H */
