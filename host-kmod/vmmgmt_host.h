/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt host module: declarations shared between its files.
 *
 * Files, each calling only the files below it (checked with
 * ../shared/tools/file-calls on the build directory: no loops):
 *
 * vmmgmt_host_main.c	module init and exit, in dependency order
 * vmmgmt_host_cdev.c	/dev/vmmgmt-host: ioctls and device sysfs
 * vmmgmt_host_vm.c	VM lifecycle: registration and removal, in order;
 *			VMs that outlive their daemon (PERSIST): orphans,
 *			adoption, the listing, the watch on QEMU's exit
 * vmmgmt_host_worker.c	the per-VM kernel thread: kick hooks, G2H drain
 *			(control requests, the echo service, answers),
 *			H2G post, guest notification, channel reset on the
 *			guest's request
 * vmmgmt_host_stream.c	streams on host endpoints: listeners, accepted
 *			and connected streams, their files, the segments
 *			guests send to (0, 0, port)
 * vmmgmt_host_ep.c	host endpoints: ports bound on /dev/vmmgmt-host
 *			files, their read() and write()
 * vmmgmt_host_route.c	records from one VM to another, and the policy that
 *			says which VMs may talk to each other
 * vmmgmt_host_flow.c	flow control: a VM's held queue (records whose
 *			destination is full), the credits it owes its
 *			guest, PEER_GONE notices to every VM
 * vmmgmt_host_sysfs.c	/sys/class/misc/vmmgmt-host/vms/<name>/
 * vmmgmt_host_stats.c	statistics samples from guests, and their
 *			sysfs files vms/<name>/stats/
 * vmmgmt_host_sched.c	the scheduling policy of a VM's vCPU threads, from
 *			its samples, and its sysfs files vms/<name>/sched/
 * vmmgmt_host_quota.c	per-VM quotas on what a guest sends, and their
 *			sysfs files vms/<name>/quota/
 * vmmgmt_host_watchdog.c the stall watchdog that notifies a ring again when
 *			a notification was lost, and debugfs vmmgmt-host/<name>/
 * vmmgmt_host_names.c	the name table, and the CTRL requests of guests
 * vmmgmt_host_handover.c a VM's channel state as one module hands it to
 *			the next (the format of VMMGMT_HOST_IOC_EXPORT_VM)
 * vmmgmt_host_registry.c the registered VMs: list, vms/ directory, id
 *			table (find, get, put), waking blocked workers
 * vmmgmt_host_region.c	a VM's shared region: take, pin and map it, lay out
 *			its header and rings, read the guest's modes
 * vmmgmt_host_queue.c	bounded message queues (an endpoint's receive
 *			queue, a VM's send queue) and their messages
 * vmmgmt_host_ring.c	the shared ring (lib/vmmgmt_ring.c)
 * vmmgmt_host_stall.c	the shared stall detection (lib/vmmgmt_stall.c)
 * vmmgmt_host_name_rules.c the shared name check (lib/vmmgmt_name_rules.c)
 * vmmgmt_host_stream_rules.c the shared stream protocol rules
 *			(lib/vmmgmt_stream.c)
 *
 * Waking a VM's worker and interrupting its guest are inline helpers here
 * (vmmgmt_host_worker_wake(), vmmgmt_host_worker_notify()): the kick
 * hook, the registry, senders and the watchdog all need them, and none of
 * them may call the worker's file.
 *
 * Locks, outermost first (&vmmgmt_host_ep.rx_mutex and
 * vmmgmt_host_vms_lock are never held together):
 *   &vmmgmt_host_ep.rx_mutex (mutex): one reader of an endpoint at a time.
 *   A stream's rx_mutex and tx_mutex (one reader, one writer; see
 *	vmmgmt_host_stream.c), then vmmgmt_host_streams_mutex (the table of
 *	streams and listeners), then a stream's lock (mutex), then
 *	&vmmgmt_host_vm.tx_lock.  VM removal and a VM's worker take the
 *	table's mutex and streams' locks, never a reader's or writer's.
 *   vmmgmt_host_vms_lock (mutex, vmmgmt_host_registry.c): registration
 *	and removal (vmmgmt_host_vm.c); under it a VM's worker is started
 *	and stopped.
 *   xa_lock of the port table (spinlock, vmmgmt_host_ep.c), then
 *	&vmmgmt_host_ep.lock (spinlock): an endpoint's receive queue.
 *   &vmmgmt_host_vm.tx_lock (spinlock): a VM's send queue.
 *   &vmmgmt_host_sched.lock (mutex, vmmgmt_host_sched.c): a VM's
 *	scheduling policy and its threads; taken by sysfs, the policy's work
 *	item and VM removal (under vmmgmt_host_vms_lock), never by the
 *	worker.  Under it: &vmmgmt_host_sched.in_lock (spinlock), the
 *	worker's hand-over of samples, and RCU for the thread list.
 *   &vmmgmt_host_vm_stats.lock (spinlock): never held with the above.
 *   The wait queue lock of QEMU's &struct pid (wait_pidfd): taken under
 *	vmmgmt_host_vms_lock to hook and unhook a PERSIST VM's exit watch;
 *	the wake callback runs under it (and under the tasklist lock, with
 *	interrupts off) and only takes a reference and queues a work item
 *	(vmmgmt_host_vm.c).
 * The worker takes only the spinlocks, and the eventfds' wait queue locks
 * (inside eventfd_signal() and the wake callback).
 */
#ifndef _VMMGMT_HOST_H
#define _VMMGMT_HOST_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <vmmgmt.h>

#include "vmmgmt_ring.h"
#include "vmmgmt_flow.h"
#include "vmmgmt_name_rules.h"
#include "vmmgmt_stream.h"
#include "vmmgmt_stall.h"
#include "vmmgmt_host_compat.h"
#include "vmmgmt_host_trace.h"

struct eventfd_ctx;
struct file;
struct page;
struct pid;
struct task_struct;
struct vmmgmt_host_vm;
struct vmmgmt_host_stream;
struct vmmgmt_host_listener;
struct iov_iter;

/** VMMGMT_HOST_BATCH - G2H records one batch of a worker handles. */
#define VMMGMT_HOST_BATCH	64

/** VMMGMT_HOST_QUEUE_MSGS - most messages in one queue (endpoint or VM). */
#define VMMGMT_HOST_QUEUE_MSGS	256
/** VMMGMT_HOST_QUEUE_BYTES - most payload bytes in one queue. */
#define VMMGMT_HOST_QUEUE_BYTES	(1024 * 1024)

/**
 * struct vmmgmt_host_msg - one queued message.
 * @node: in a receive queue (&vmmgmt_host_ep.rx) or a VM's send queue
 *	(&vmmgmt_host_vm.tx).
 * @hdr: the record header as it is read() or posted.
 * @data: @hdr.len bytes of payload, right after @hdr, so that header and
 *	payload are copied to userspace in one piece.
 */
struct vmmgmt_host_msg {
	struct list_head node;
	struct vmmgmt_rec hdr;
	u8 data[];
};

/**
 * struct vmmgmt_host_queue - a bounded list of messages.
 * @list: &struct vmmgmt_host_msg entries, oldest first.
 * @msgs: entries in @list, at most %VMMGMT_HOST_QUEUE_MSGS.
 * @bytes: their payload bytes, at most %VMMGMT_HOST_QUEUE_BYTES.
 *
 * Protected by the lock of the structure it is in.
 */
struct vmmgmt_host_queue {
	struct list_head list;
	u32 msgs;
	u32 bytes;
};

/** VMMGMT_HOST_SEND_MS - default send timeout of a host file's write(). */
#define VMMGMT_HOST_SEND_MS	5000
/** VMMGMT_HOST_SEND_MS_MAX - longest send timeout VMMGMT_HOST_IOC_SET_TIMEOUT takes. */
#define VMMGMT_HOST_SEND_MS_MAX	600000

/**
 * struct vmmgmt_host_ep - an open /dev/vmmgmt-host file (its private data).
 * @file: the file.
 * @bind_lock: serialises binding.
 * @port: the bound port, 0 while unbound.  Written once under @bind_lock.
 * @send_ms: how long write() waits for room at a VM, in ms
 *	(VMMGMT_HOST_IOC_SET_TIMEOUT; %VMMGMT_HOST_SEND_MS by default).
 * @rx_mutex: one reader at a time; held across the copy to userspace.
 * @lock: protects @rx and @blocking.
 * @rx: messages from VMs to @port.
 * @blocking: a VM's worker found @rx full and waits for a read.
 * @rx_wq: readers and pollers wait here.
 * @stream: after VMMGMT_HOST_IOC_STREAM_CONNECT, the stream this file is
 *	(read, write and poll go to it).  Set once, freed at release.
 *	Written under vmmgmt_host_streams_mutex (vmmgmt_host_stream.c).
 * @listener: after VMMGMT_HOST_IOC_STREAM_LISTEN, the file's listener.
 *	Likewise.
 * @stream_busy: a CONNECT or LISTEN is under way.  Protected by
 *	vmmgmt_host_streams_mutex.
 */
struct vmmgmt_host_ep {
	struct file *file;
	struct mutex bind_lock;	/* see above */
	u32 port;
	u32 send_ms;
	struct mutex rx_mutex;	/* see above */
	spinlock_t lock;	/* see above */
	struct vmmgmt_host_queue rx;
	bool blocking;
	wait_queue_head_t rx_wq;
	struct vmmgmt_host_stream *stream;
	struct vmmgmt_host_listener *listener;
	bool stream_busy;
};

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
 * struct vmmgmt_host_counters - a VM's channel counters, shown in sysfs
 * (vms/<name>/rx_msgs and so on; not the guest's statistics, which are
 * &struct vmmgmt_host_vm_stats).
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
 * @denied: records to another VM that the policy does not allow.
 * @resets: channel resets the guest requested and the worker carried out.
 * @polls: times the worker looked at the G2H ring again after
 *	vmmgmt_host_poll_us without a kick (see vmmgmt_host_worker.c).
 * @stalls_recovered: stalls of either ring (records, no progress for
 *	stall_ms) that ended right after the watchdog notified again.
 * @stall_kicks: notifications the watchdog sent (vmmgmt_host_watchdog.c).
 * @injected_drops: doorbells ignored and interrupts skipped by fault
 *	injection (debugfs drop_kicks, drop_calls).
 * @held_overflows: records that would have gone past the held queue's
 *	limits (%VMMGMT_HELD_MSGS, %VMMGMT_HELD_BYTES): requests answered
 *	with ENOBUFS, responses dropped (vmmgmt_host_flow.c).
 * @credit_notices: %VMMGMT_CTRL_CREDIT notices posted to the guest.
 * @credits_lost: credits the guest was not given back because its flow
 *	table was full (it had records in flight to more destinations than
 *	%VMMGMT_FLOW_DESTS allows).
 * @streams_opened: host streams with the VM as peer that were opened
 *	(accepted into a backlog, or connected).
 * @streams_reset: such streams that ended in a failure (RST either way,
 *	EPROTO, the VM gone or reset).
 * @stream_tx_bytes: stream bytes host streams sent to the VM.
 * @stream_rx_bytes: stream bytes host streams received from the VM.
 *
 * Atomic: the worker, the wait queue callback and sysfs readers touch
 * them without a lock.
 */
struct vmmgmt_host_counters {
	atomic64_t rx_msgs;
	atomic64_t rx_bytes;
	atomic64_t tx_msgs;
	atomic64_t tx_bytes;
	atomic64_t kicks;
	atomic64_t notifications_sent;
	atomic64_t violations;
	atomic64_t drops;
	atomic64_t hangups;
	atomic64_t denied;
	atomic64_t resets;
	atomic64_t polls;
	atomic64_t stalls_recovered;
	atomic64_t stall_kicks;
	atomic64_t injected_drops;
	atomic64_t held_overflows;
	atomic64_t credit_notices;
	atomic64_t credits_lost;
	atomic64_t streams_opened;
	atomic64_t streams_reset;
	atomic64_t stream_tx_bytes;
	atomic64_t stream_rx_bytes;
};

/**
 * VMMGMT_HOST_FLOW_DESTS - destinations a VM's flow table tracks: twice what
 * a guest keeping to its credits uses.
 */
#define VMMGMT_HOST_FLOW_DESTS	(2 * VMMGMT_FLOW_DESTS)
/**
 * VMMGMT_HOST_NOTICES_MAX - notices (PEER_GONE) a VM's send queue takes
 * beyond its limits (%VMMGMT_HOST_QUEUE_MSGS).
 */
#define VMMGMT_HOST_NOTICES_MAX	64

/**
 * struct vmmgmt_host_flow_dest - one destination a VM's records wait for,
 * or whose credits the guest is still owed (vmmgmt_host_flow.c).
 * @vm: the destination's VM id, 0 for a host endpoint.
 * @port: the host endpoint's port; 0 for a VM (all its ports).
 * @held: records of the VM held for it.
 * @ret_msgs: records that left the host's hands, not yet returned to the
 *	guest by a %VMMGMT_CTRL_CREDIT notice.
 * @ret_bytes: their payload bytes.
 * @stuck: it refused a record in the current pass over the held queue.
 * @used: the entry is in use (@held or @ret_msgs).
 *
 * Worker only.
 */
struct vmmgmt_host_flow_dest {
	u32 vm;
	u32 port;
	u32 held;
	u32 ret_msgs;
	u64 ret_bytes;
	bool stuck;
	bool used;
};

/**
 * enum vmmgmt_host_watch_ring - the rings the watchdog looks at.
 * @VMMGMT_HOST_WATCH_G2H: guest to host; the worker consumes.
 * @VMMGMT_HOST_WATCH_H2G: host to guest; the guest consumes.
 * @VMMGMT_HOST_WATCH_ROOM: the worker waits for room in the host-to-guest
 *	ring (h2g_blocked) that the guest has made: the guest's doorbell
 *	saying so did not arrive.  Progress is the worker's H2G head.
 * @VMMGMT_HOST_WATCH_RINGS: number of values.
 */
enum vmmgmt_host_watch_ring {
	VMMGMT_HOST_WATCH_G2H,
	VMMGMT_HOST_WATCH_H2G,
	VMMGMT_HOST_WATCH_ROOM,
	VMMGMT_HOST_WATCH_RINGS,
};

/**
 * struct vmmgmt_host_watch - a VM as the watchdog sees it.
 * @node: in the watchdog's list.  Protected by its lock.
 * @debugfs: vmmgmt-host/<name>/ in debugfs.
 * @rs: limits the watchdog's log lines for this VM.
 * @gen: the generation @dir belongs to.
 * @dir: one view per &enum vmmgmt_host_watch_ring (lib/vmmgmt_stall.h).
 *	Watchdog only.
 */
struct vmmgmt_host_watch {
	struct list_head node;
	struct dentry *debugfs;
	struct ratelimit_state rs;
	u32 gen;
	struct vmmgmt_stall dir[VMMGMT_HOST_WATCH_RINGS];
};

/** VMMGMT_HOST_QUOTA_MSGS - default records per second a VM may send. */
#define VMMGMT_HOST_QUOTA_MSGS		4000
/** VMMGMT_HOST_QUOTA_BYTES - default payload bytes per second. */
#define VMMGMT_HOST_QUOTA_BYTES		(64 * 1024 * 1024)
/** VMMGMT_HOST_QUOTA_BURST_MS - a bucket holds this long of its rate. */
#define VMMGMT_HOST_QUOTA_BURST_MS	50

/**
 * struct vmmgmt_host_quota - a VM's token buckets (vmmgmt_host_quota.c).
 * @msgs: records per second the guest may send; 0: unlimited.  Written
 *	by sysfs, read once per batch by the worker.
 * @bytes: payload bytes per second; 0: unlimited.  Likewise.
 * @msg_tokens: records that may be consumed, times NSEC_PER_SEC.
 *	Worker only.
 * @byte_tokens: payload bytes, times NSEC_PER_SEC; below zero after a
 *	batch that took more than was left.  Worker only.
 * @last_ns: when the buckets were last refilled.  Worker only.
 * @wait_ns: set when the last batch found no tokens: how long the worker
 *	sleeps before it looks again.  Worker only.
 * @held: records waited in the ring when @wait_ns was set.  Worker only.
 * @throttled: times the worker left records in the ring for lack of
 *	tokens.
 * @throttled_us: the sleeps of those times, in microseconds.
 */
struct vmmgmt_host_quota {
	u32 msgs;
	u32 bytes;
	s64 msg_tokens;
	s64 byte_tokens;
	u64 last_ns;
	u64 wait_ns;
	bool held;
	atomic64_t throttled;
	atomic64_t throttled_us;
};

/** VMMGMT_HOST_STATS_HISTORY - samples kept per VM. */
#define VMMGMT_HOST_STATS_HISTORY	32

/**
 * struct vmmgmt_host_cpu_share - CPU times of one sample as per-mille
 * shares of their sum.
 * @cpu: the guest's CPU number (for the total: the number of CPUs).
 * @user: user and nice.
 * @system: system, hard and soft interrupts.
 * @idle: idle.
 * @iowait: idle with I/O outstanding.
 * @steal: stolen by the host.
 */
struct vmmgmt_host_cpu_share {
	u32 cpu;
	u16 user;
	u16 system;
	u16 idle;
	u16 iowait;
	u16 steal;
};

/**
 * struct vmmgmt_host_stats_point - what the host keeps of one valid
 * sample (see &struct vmmgmt_stats_sample for the meaning of each value).
 * @host_ns: host CLOCK_MONOTONIC when the sample arrived.
 * @seq: the sample's sequence number.
 * @mem_total: KiB.
 * @mem_free: KiB.
 * @mem_available: KiB.
 * @mem_cached: KiB.
 * @period_ms: the period the sample covers, in ms.
 * @nr_cpus: online guest CPUs.
 * @cpu_util: @cpu_user + @cpu_system, per-mille of all CPU time.
 * @runnable: runnable tasks.
 * @nr_threads: threads.
 * @load1: 1-minute load average times 100.
 * @load5: 5-minute load average times 100.
 * @load15: 15-minute load average times 100.
 * @psi: the guest reported PSI.
 * @psi_cpu_some: avg10, in 1/100 %; likewise the next five.
 * @psi_cpu_full: see above.
 * @psi_memory_some: see above.
 * @psi_memory_full: see above.
 * @psi_io_some: see above.
 * @psi_io_full: see above.
 * @vcpus_wanted: from the guest's needs.
 * @urgency: from the guest's needs.
 * @cpu_user: user and nice time, per-mille of all CPU time.
 * @cpu_system: system and interrupt time, likewise.
 * @idle: idle time, likewise.
 * @iowait: I/O wait time, likewise.
 * @steal: stolen time, likewise.
 *
 * All u64, so that one sysfs show function reads any of them.
 */
struct vmmgmt_host_stats_point {
	u64 host_ns;
	u64 seq;
	u64 mem_total;
	u64 mem_free;
	u64 mem_available;
	u64 mem_cached;
	u64 period_ms;
	u64 nr_cpus;
	u64 cpu_util;
	u64 runnable;
	u64 nr_threads;
	u64 load1;
	u64 load5;
	u64 load15;
	u64 psi;
	u64 psi_cpu_some;
	u64 psi_cpu_full;
	u64 psi_memory_some;
	u64 psi_memory_full;
	u64 psi_io_some;
	u64 psi_io_full;
	u64 vcpus_wanted;
	u64 urgency;
	u64 cpu_user;
	u64 cpu_system;
	u64 idle;
	u64 iowait;
	u64 steal;
};

/**
 * struct vmmgmt_host_vm_stats - statistics samples of one VM.
 * @lock: protects everything here; the worker writes, sysfs reads.
 * @samples: valid samples received.
 * @rejected: samples that broke a rule (vmmgmt_host_stats_check()).
 * @last_error: what the last rejected sample broke, or NULL.
 * @last_seq: seq of the latest valid sample.
 * @last_timestamp: guest timestamp of the latest valid sample.
 * @hist: the last @count valid samples, a ring; @next is the slot the
 *	next one takes.
 * @next: see @hist.
 * @count: valid entries in @hist, at most %VMMGMT_HOST_STATS_HISTORY.
 * @nr_percpu: entries in @percpu.
 * @percpu: the per-CPU shares of the latest valid sample.
 */
struct vmmgmt_host_vm_stats {
	spinlock_t lock;	/* see above */
	u64 samples;
	u64 rejected;
	const char *last_error;
	u64 last_seq;
	u64 last_timestamp;
	struct vmmgmt_host_stats_point hist[VMMGMT_HOST_STATS_HISTORY];
	u32 next;
	u32 count;
	u32 nr_percpu;
	struct vmmgmt_host_cpu_share percpu[VMMGMT_STATS_MAX_CPUS];
};

/** VMMGMT_HOST_SCHED_THREADS - most vCPU threads one VM's policy manages. */
#define VMMGMT_HOST_SCHED_THREADS	64
/** VMMGMT_HOST_SCHED_SCAN_MAX - most threads of a QEMU looked at per scan. */
#define VMMGMT_HOST_SCHED_SCAN_MAX	4096

/**
 * enum vmmgmt_host_sched_policy - what the host does with a VM's samples.
 * @VMMGMT_HOST_SCHED_OFF: nothing; the threads keep their own nice values.
 * @VMMGMT_HOST_SCHED_OBSERVE: compute and show the nice value demand would
 *	set; change nothing.
 * @VMMGMT_HOST_SCHED_DEMAND: set the nice value of the VM's vCPU threads
 *	from the guest's needs and steal, within the bounds.
 */
enum vmmgmt_host_sched_policy {
	VMMGMT_HOST_SCHED_OFF,
	VMMGMT_HOST_SCHED_OBSERVE,
	VMMGMT_HOST_SCHED_DEMAND,
};

/**
 * struct vmmgmt_host_sched_thread - one managed vCPU thread.
 * @pid: the thread's pid (a reference), not its task: an exited thread
 *	leaves nothing pinned.
 * @vcpu: N of its name "CPU N/KVM".
 * @orig_nice: its nice value when the policy took it; restored.
 */
struct vmmgmt_host_sched_thread {
	struct pid *pid;
	u32 vcpu;
	int orig_nice;
};

/**
 * struct vmmgmt_host_sched_input - what the policy uses of one valid sample.
 * @seq: the sample's sequence number.
 * @nr_cpus: the guest's online CPUs.
 * @needs: the sample carried needs (%VMMGMT_STATS_F_NEEDS).
 * @vcpus_wanted: from the needs.
 * @urgency: from the needs.
 * @cpu_util: user and system time, per-mille.
 * @steal: stolen time, per-mille.
 */
struct vmmgmt_host_sched_input {
	u64 seq;
	u32 nr_cpus;
	bool needs;
	u32 vcpus_wanted;
	u32 urgency;
	u32 cpu_util;
	u32 steal;
};

/**
 * struct vmmgmt_host_sched - the scheduling policy of one VM.
 * @lock: protects everything below up to @in_lock.
 * @work: applies the latest sample in process context.
 * @qemu: the QEMU process (a reference taken at registration, in
 *	vmmgmtd's pid namespace), or NULL if there was none.
 * @policy: an &enum vmmgmt_host_sched_policy; read without @lock by the
 *	worker (READ_ONCE) to skip VMs whose policy is off.
 * @nice_min: lower bound of the nice values set, -20..19.
 * @nice_max: upper bound, @nice_min..19.
 * @stopped: the VM is being removed: nothing is changed any more.
 * @threads: the managed threads, @nr_threads of them.
 * @nr_threads: see @threads.
 * @scan_ns: when QEMU's threads were last scanned (0: never).
 * @applied: the policy holds the threads at @nice.
 * @nice: the nice value set (demand), meaningful with @applied.
 * @have_target: @target and @score are computed.
 * @target: the nice value the latest sample asks for, within the bounds.
 * @score: the demand score of the latest sample, 0..100.
 * @adjustments: changes of the threads' nice value.
 * @clamped: samples whose demand was beyond the top of the scale.
 * @ratelimited: changes held back because the last was too recent.
 * @lost: managed threads that exited.
 * @renices: nice values set on single threads (a thread already at the
 *	value is left alone).
 * @change_seq: the sample sequence number of the last change.
 * @last_change_ns: when the last change was made (0: never).
 * @reason: the last decision, in words.
 * @in_lock: protects the fields below, the worker's hand-over.
 * @in: the latest valid sample, while @in_pending.
 * @in_pending: @in is new.
 * @have_prev: @prev holds the previous valid sample's needs.
 * @prev: see @have_prev.
 * @needs_seq: sequence number of the first sample that carried needs
 *	different from its predecessor's.
 * @rejected: invalid samples while the policy was on.
 */
struct vmmgmt_host_sched {
	struct mutex lock;	/* see above */
	struct work_struct work;
	struct pid *qemu;
	u32 policy;
	int nice_min;
	int nice_max;
	bool stopped;
	struct vmmgmt_host_sched_thread threads[VMMGMT_HOST_SCHED_THREADS];
	u32 nr_threads;
	u64 scan_ns;
	bool applied;
	int nice;
	bool have_target;
	int target;
	u32 score;
	u64 adjustments;
	u64 clamped;
	u64 ratelimited;
	u64 lost;
	u64 renices;
	u64 change_seq;
	u64 last_change_ns;
	char reason[96];

	spinlock_t in_lock;	/* see above */
	struct vmmgmt_host_sched_input in;
	bool in_pending;
	bool have_prev;
	struct vmmgmt_host_sched_input prev;
	u64 needs_seq;
	u64 rejected;
};

/**
 * struct vmmgmt_host_vm - one registered VM.
 * @node: in vmmgmt_host_vms.  Protected by vmmgmt_host_vms_lock.
 * @owner: the /dev/vmmgmt-host file that added the VM, or (ABI 0.8) last
 *	adopted it; NULL while a PERSIST VM is an orphan.  Not a reference:
 *	the file's release removes its VMs first, or orphans its PERSIST
 *	VMs.  Protected by vmmgmt_host_vms_lock.
 * @persist: added with %VMMGMT_HOST_VM_F_PERSIST: the VM outlives @owner
 *	and goes when its QEMU exits.  Set at registration.
 * @orphan: a PERSIST VM whose @owner was released and that nobody adopted
 *	since.  Protected by vmmgmt_host_vms_lock (sysfs reads it once).
 * @adoptions: VMMGMT_HOST_IOC_ADOPT_VM calls that claimed the VM.
 *	Protected by vmmgmt_host_vms_lock (sysfs reads it once).
 * @handovers: (ABI 0.9) times the VM was handed over to a new module
 *	(VMMGMT_HOST_IOC_IMPORT_VM); carried in its state.  Set at import.
 * @frozen: VMMGMT_HOST_IOC_QUIESCE parked the worker and closed @tx to
 *	senders (they get ESHUTDOWN), until VMMGMT_HOST_IOC_RESUME or
 *	export.  Written under @tx_lock and vmmgmt_host_vms_lock.
 * @paused: imported, its worker not started yet (VMMGMT_HOST_IOC_RESUME
 *	starts it).  Protected by vmmgmt_host_vms_lock.
 * @qemu: a PERSIST VM's QEMU process (a reference), whose wait_pidfd queue
 *	@qemu_wait is on while the VM is registered; NULL for other VMs and
 *	once the VM is removed.  Protected by vmmgmt_host_vms_lock.
 * @qemu_wait: the exit watch's entry on @qemu's wait_pidfd queue.
 * @qemu_work: queued by the exit watch; checks whether QEMU is gone and
 *	removes the VM.  A queued @qemu_work holds a reference to @kobj.
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
 * @blocked: a destination queue (a host endpoint's or another VM's send
 *	queue) turned a record of this VM away (it went to @held, or stayed
 *	in the ring); set under that queue's lock, cleared by the worker
 *	before it tries again.  vmmgmt_host_vms_unblock() wakes the worker.
 * @held_kick: a destination that turned the VM away made room or went
 *	away (vmmgmt_host_vms_unblock()): the worker tries its held records
 *	again.  Without it, while @blocked is set, it does not: a VM that
 *	holds records for a wedged destination pays nothing per batch.
 * @ring_stuck: the last batch left a G2H record in the ring because the
 *	held queue was full (a guest without %VMMGMT_F_FLOW).  Worker only.
 * @flow_on: the guest accepted %VMMGMT_F_FLOW (looked at until it did,
 *	then latched until the next channel reset).
 *	Worker only.
 * @held: records of this VM whose destination was full, oldest first,
 *	bounded by %VMMGMT_HELD_MSGS and %VMMGMT_HELD_BYTES; worker only
 *	(sysfs reads its count).  See vmmgmt_host_flow.c.
 * @flow: the destinations of @held and the credits owed.  Worker only.
 * @flow_nr: entries of @flow in use.  Worker only.
 * @tx_blocking: a worker found @tx full and waits; this VM's worker wakes
 *	the waiting workers when it has made room.  Protected by @tx_lock.
 * @tx_lock: protects @tx, @tx_blocking and @dead.
 * @tx: messages host endpoints sent to the VM, for the worker to post.
 * @tx_wq: senders waiting for room in @tx wait here.
 * @dead: the VM is being removed; nothing more is queued to @tx.
 * @buf: a private copy of one record's payload (%VMMGMT_MSG_MAX bytes).
 * @thread: the worker, vmmgmt-<name>.
 * @pending: set by the wait queue callback (and the worker itself) when
 *	there is work; cleared by the worker before it looks.
 * @linger: the last batch consumed records and left the consumer marked
 *	running: the worker looks again after vmmgmt_host_poll_us instead
 *	of waiting for a kick.  Worker only.
 * @polled: the coming look is one after vmmgmt_host_poll_us, not one a
 *	kick asked for.  Worker only.
 * @streaming: the last look that found records was a timed one and
 *	found several: empty looks keep polling (vmmgmt_host_poll_idle).
 *	Worker only.
 * @idle_looks: timed looks in a row that found no record while
 *	@streaming.  Worker only.
 * @kicks: one hook per kick eventfd.
 * @call: the call eventfds (references).
 * @kick_files: the kick eventfds' files (references): polled when the
 *	worker starts, and handed to the next module.
 * @call_files: the call eventfds' files (references), likewise handed on.
 * @counters: the channel counters.
 * @quota: the VM's quotas and token buckets.
 * @gstats: the guest's statistics samples (vmmgmt_host_stats.c).
 * @sched: the scheduling policy of its vCPU threads (vmmgmt_host_sched.c).
 * @watch: the stall watchdog's view (vmmgmt_host_watchdog.c).
 * @drop_kicks: fault injection: doorbells the worker ignores (consumes
 *	without waking); debugfs vmmgmt-host/<name>/drop_kicks.
 * @drop_calls: fault injection: interrupts the worker skips that the
 *	ring protocol asked for; debugfs vmmgmt-host/<name>/drop_calls.
 * @streams_open: host streams with the VM as peer that exist (being
 *	connected, waiting in a backlog, open, or failed but not closed),
 *	at most %VMMGMT_STREAMS_MAX.  Changed under vmmgmt_host_streams_mutex
 *	(vmmgmt_host_stream.c).
 * @log_rs: the rate limit of the VM's own kernel log lines (violations,
 *	resets, rejected samples: vmmgmt_host_log()), so that a noisy guest hides no other VM's.
 */
struct vmmgmt_host_vm {
	struct list_head node;
	struct file *owner;
	bool persist;
	bool orphan;
	u32 adoptions;
	u32 handovers;
	bool frozen;
	bool paused;
	struct pid *qemu;
	struct wait_queue_entry qemu_wait;
	struct work_struct qemu_work;
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
	bool blocked;
	atomic_t held_kick;
	bool ring_stuck;
	bool flow_on;
	void *buf;
	struct vmmgmt_host_queue held;
	struct vmmgmt_host_flow_dest flow[VMMGMT_HOST_FLOW_DESTS];
	unsigned int flow_nr;

	spinlock_t tx_lock;	/* see above */
	struct vmmgmt_host_queue tx;
	bool tx_blocking;
	wait_queue_head_t tx_wq;
	bool dead;

	struct task_struct *thread;
	atomic_t pending;
	bool linger;
	bool polled;
	bool streaming;
	u32 idle_looks;
	struct vmmgmt_host_kick kicks[VMMGMT_VECTORS_MAX];
	struct eventfd_ctx *call[VMMGMT_VECTORS_MAX];
	struct file *kick_files[VMMGMT_VECTORS_MAX];
	struct file *call_files[VMMGMT_VECTORS_MAX];

	struct vmmgmt_host_counters counters;
	struct vmmgmt_host_quota quota;
	struct vmmgmt_host_vm_stats gstats;
	struct vmmgmt_host_sched sched;
	struct vmmgmt_host_watch watch;
	atomic_t drop_kicks;
	atomic_t drop_calls;
	atomic_t streams_open;
	struct ratelimit_state log_rs;
};

/* A VM's log lines: at most VMMGMT_HOST_LOG_BURST each 5 s per VM. */
#define VMMGMT_HOST_LOG_BURST	10

/**
 * vmmgmt_host_log() - a kernel log line about a VM, rate-limited per VM.
 * @vm: the VM, named at the start of the line with its id.
 * @pr: pr_warn, pr_info, ...
 * @fmt: the rest of the line.
 *
 * The kernel's pr_warn_ratelimited() limits each call site for all VMs
 * together: a guest that breaks its ring over and over would hide the
 * next VM's violation.  Each VM has its own budget (@vm->log_rs).
 */
#define vmmgmt_host_log(vm, pr, fmt, ...)				\
	do {								\
		struct vmmgmt_host_vm *vm_ = (vm);			\
									\
		if (__ratelimit(&vm_->log_rs))				\
			pr("%s (id %u): " fmt, vm_->name, vm_->id,	\
			   ##__VA_ARGS__);				\
	} while (0)

/* A warning about @vm, vmmgmt_host_log(). */
#define vmmgmt_host_log_warn(vm, fmt, ...)				\
	vmmgmt_host_log(vm, pr_warn, fmt, ##__VA_ARGS__)

/* An informational line about @vm, vmmgmt_host_log(). */
#define vmmgmt_host_log_info(vm, fmt, ...)				\
	vmmgmt_host_log(vm, pr_info, fmt, ##__VA_ARGS__)

/**
 * vmmgmt_host_worker_wake() - make the worker look at the VM's rings.
 * @vm: the VM; its worker runs (the caller keeps it from being stopped).
 *
 * What a kick does; also the start of the worker, a message queued for
 * the VM, a destination that made room, and the watchdog for a kick that
 * may have been lost.
 *
 * Context: any context.
 */
static inline void vmmgmt_host_worker_wake(struct vmmgmt_host_vm *vm)
{
	atomic_set(&vm->pending, 1);
	wake_up_process(vm->thread);
}

/**
 * vmmgmt_host_worker_notify() - interrupt the guest (call_fds[0]).
 * @vm: the VM; its eventfds are held (it is not removed yet).
 *
 * Context: any context (eventfd_signal() takes a spinlock).
 */
static inline void vmmgmt_host_worker_notify(struct vmmgmt_host_vm *vm)
{
	vmmgmt_host_eventfd_signal(vm->call[0]);
	atomic64_inc(&vm->counters.notifications_sent);
	trace_vmmgmt_host_notify(vm->id, VMMGMT_TRACE_INTERRUPT);
}

/**
 * vmmgmt_host_iocb_nonblock() - whether a read_iter or write_iter call
 * may not wait.
 * @iocb: the call's kiocb.
 *
 * Context: any context.
 * Return: true for O_NONBLOCK files and IOCB_NOWAIT calls.
 */
static inline bool vmmgmt_host_iocb_nonblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

/* vmmgmt_host_cdev.c */
int vmmgmt_host_cdev_init(void);
void vmmgmt_host_cdev_exit(void);

/* vmmgmt_host_vm.c */
int vmmgmt_host_vm_add(struct file *owner,
		       const struct vmmgmt_host_vm_add *req);
int vmmgmt_host_vm_del(struct file *owner,
		       const struct vmmgmt_host_vm_del *req);
void vmmgmt_host_vm_release_file(struct file *owner);
int vmmgmt_host_vm_list(struct vmmgmt_host_vm_list *list);
int vmmgmt_host_vm_adopt(struct file *owner,
			 const struct vmmgmt_host_vm_adopt *req);
int vmmgmt_host_vm_quiesce(struct file *owner,
			   struct vmmgmt_host_quiesce *req);
int vmmgmt_host_vm_export(struct file *owner, void __user *uarg);
int vmmgmt_host_vm_import(struct file *owner,
			  const struct vmmgmt_host_vm_import *req);
int vmmgmt_host_vm_resume(struct file *owner,
			  const struct vmmgmt_host_quiesce *req);
const char *vmmgmt_host_vm_handover_state(void);
int vmmgmt_host_vm_handover_cancel(void);
int vmmgmt_host_vm_init(void);
void vmmgmt_host_vm_exit(void);

/* vmmgmt_host_worker.c */
int vmmgmt_host_worker_create(struct vmmgmt_host_vm *vm);
void vmmgmt_host_worker_park(struct vmmgmt_host_vm *vm);
void vmmgmt_host_worker_unpark(struct vmmgmt_host_vm *vm);
void vmmgmt_host_worker_start(struct vmmgmt_host_vm *vm,
			      struct file **kick_files);
void vmmgmt_host_worker_stop(struct vmmgmt_host_vm *vm);

/* vmmgmt_host_stream.c */
bool vmmgmt_host_stream_is_rst(const struct vmmgmt_rec *hdr,
			       const void *payload);
int vmmgmt_host_stream_rx(struct vmmgmt_host_vm *vm,
			  const struct vmmgmt_rec *hdr, const void *payload);
void vmmgmt_host_stream_vm_gone(struct vmmgmt_host_vm *vm);
long vmmgmt_host_stream_connect(struct vmmgmt_host_ep *ep, void __user *uarg);
long vmmgmt_host_stream_listen(struct vmmgmt_host_ep *ep, void __user *uarg);
long vmmgmt_host_stream_accept(struct vmmgmt_host_ep *ep, struct file *file,
			       void __user *uarg);
long vmmgmt_host_stream_shutdown(struct vmmgmt_host_ep *ep);
void vmmgmt_host_stream_ep_release(struct vmmgmt_host_ep *ep);
ssize_t vmmgmt_host_stream_read(struct vmmgmt_host_stream *s,
				struct iov_iter *to, bool nonblock);
ssize_t vmmgmt_host_stream_write(struct vmmgmt_host_stream *s,
				 struct iov_iter *from, bool nonblock);
__poll_t vmmgmt_host_stream_poll(struct vmmgmt_host_stream *s,
				 struct file *file, poll_table *wait);
__poll_t vmmgmt_host_stream_listen_poll(struct vmmgmt_host_ep *ep,
					struct file *file, poll_table *wait);

/* vmmgmt_host_ep.c */
struct vmmgmt_host_ep *vmmgmt_host_ep_alloc(struct file *file);
void vmmgmt_host_ep_release(struct vmmgmt_host_ep *ep);
long vmmgmt_host_ep_do_bind(struct vmmgmt_host_ep *ep, u32 port);
long vmmgmt_host_ep_bind(struct vmmgmt_host_ep *ep, void __user *uarg);
long vmmgmt_host_ep_publish(struct vmmgmt_host_ep *ep, void __user *uarg);
long vmmgmt_host_ep_lookup(void __user *uarg);
ssize_t vmmgmt_host_ep_read(struct vmmgmt_host_ep *ep, struct iov_iter *to,
			    bool nonblock);
ssize_t vmmgmt_host_ep_write(struct vmmgmt_host_ep *ep,
			     struct iov_iter *from, bool nonblock);
__poll_t vmmgmt_host_ep_poll(struct vmmgmt_host_ep *ep, struct file *file,
			     poll_table *wait);
long vmmgmt_host_ep_set_timeout(struct vmmgmt_host_ep *ep, void __user *uarg);
int vmmgmt_host_ep_deliver(struct vmmgmt_host_vm *vm,
			   struct vmmgmt_host_msg *msg);
bool vmmgmt_host_ep_frozen(void);
int vmmgmt_host_ep_freeze(u32 *ports, unsigned int max);
void vmmgmt_host_ep_thaw(const u32 *ports, unsigned int nr);
void vmmgmt_host_ep_exit(void);

/* vmmgmt_host_route.c */
int vmmgmt_host_route_vm(struct vmmgmt_host_vm *vm,
			 struct vmmgmt_host_msg *msg);
bool vmmgmt_host_policy_allowed(const char *a, const char *b);
ssize_t vmmgmt_host_policy_show(char *buf);
int vmmgmt_host_policy_store(const char *buf, size_t count);
void vmmgmt_host_policy_exit(void);

/* vmmgmt_host_flow.c */
void vmmgmt_host_flow_init(struct vmmgmt_host_vm *vm);
void vmmgmt_host_flow_purge(struct vmmgmt_host_vm *vm);
bool vmmgmt_host_flow_waits(struct vmmgmt_host_vm *vm,
			    const struct vmmgmt_rec *hdr);
int vmmgmt_host_flow_hold(struct vmmgmt_host_vm *vm,
			  struct vmmgmt_host_msg *msg);
struct vmmgmt_host_msg *vmmgmt_host_flow_first(struct vmmgmt_host_vm *vm);
struct vmmgmt_host_msg *vmmgmt_host_flow_next(struct vmmgmt_host_vm *vm,
					      struct list_head *pos);
struct vmmgmt_host_flow_dest *
vmmgmt_host_flow_lookup(struct vmmgmt_host_vm *vm, const struct vmmgmt_rec *hdr);
struct list_head *vmmgmt_host_flow_take(struct vmmgmt_host_vm *vm,
					struct vmmgmt_host_msg *msg);
void vmmgmt_host_flow_put_back(struct vmmgmt_host_vm *vm,
			       struct vmmgmt_host_msg *msg,
			       struct list_head *pos,
			       struct vmmgmt_host_flow_dest *d);
void vmmgmt_host_flow_release(struct vmmgmt_host_vm *vm,
			      struct vmmgmt_host_flow_dest *d,
			      const struct vmmgmt_rec *hdr);
void vmmgmt_host_flow_forget(struct vmmgmt_host_vm *vm,
			     const struct vmmgmt_addr *addr);
void vmmgmt_host_flow_done(struct vmmgmt_host_vm *vm,
			   const struct vmmgmt_rec *hdr);
struct vmmgmt_host_flow_dest *
vmmgmt_host_flow_due(struct vmmgmt_host_vm *vm, struct vmmgmt_rec *hdr,
		     struct vmmgmt_credit *credit);
void vmmgmt_host_flow_sent(struct vmmgmt_host_vm *vm,
			   struct vmmgmt_host_flow_dest *d);
bool vmmgmt_host_flow_is_notice(const struct vmmgmt_rec *hdr);
void vmmgmt_host_flow_peer_gone(const struct vmmgmt_addr *addr);

/* vmmgmt_host_sysfs.c */
extern const struct kobj_type vmmgmt_host_vm_ktype;

/* vmmgmt_host_stats.c */
extern const struct attribute_group vmmgmt_host_stats_group;
void vmmgmt_host_stats_init(struct vmmgmt_host_vm_stats *gs);
const char *vmmgmt_host_stats_check(const struct vmmgmt_host_vm_stats *gs,
				    const struct vmmgmt_rec *hdr,
				    const struct vmmgmt_stats_sample *s);
void vmmgmt_host_stats_rx(struct vmmgmt_host_vm *vm,
			  const struct vmmgmt_rec *hdr, const void *payload);

/* vmmgmt_host_sched.c */
extern const struct attribute_group vmmgmt_host_sched_group;
void vmmgmt_host_sched_init(struct vmmgmt_host_vm *vm);
void vmmgmt_host_sched_sample(struct vmmgmt_host_vm *vm,
			      const struct vmmgmt_host_sched_input *in);
void vmmgmt_host_sched_stop(struct vmmgmt_host_vm *vm);
void vmmgmt_host_sched_release(struct vmmgmt_host_vm *vm);
u32 vmmgmt_host_sched_score(const struct vmmgmt_host_sched_input *in,
			    bool *clamped);
int vmmgmt_host_sched_nice(int nice_min, int nice_max, u32 score);

/* vmmgmt_host_quota.c */
extern const struct attribute_group vmmgmt_host_quota_group;
void vmmgmt_host_quota_init(struct vmmgmt_host_vm *vm);
unsigned int vmmgmt_host_quota_budget(struct vmmgmt_host_vm *vm);
void vmmgmt_host_quota_charge(struct vmmgmt_host_vm *vm, unsigned int msgs,
			      u64 bytes);
void vmmgmt_host_quota_sleep(struct vmmgmt_host_vm *vm);

/* vmmgmt_host_watchdog.c */
void vmmgmt_host_watch_init(void);
void vmmgmt_host_watch_exit(void);
void vmmgmt_host_watch_add(struct vmmgmt_host_vm *vm);
void vmmgmt_host_watch_del(struct vmmgmt_host_vm *vm);

/* vmmgmt_host_names.c */
/* Largest answer to a %VMMGMT_MODE_CTRL request (a name list). */
#define VMMGMT_HOST_CTRL_ANS_MAX	sizeof(struct vmmgmt_name_list)
int vmmgmt_host_name_publish(const void *owner, const char *name,
			     const struct vmmgmt_addr *addr);
int vmmgmt_host_name_withdraw(const void *owner, const char *name);
void vmmgmt_host_names_withdraw_all(const void *owner);
unsigned int vmmgmt_host_names_save(const void *owner, struct vmmgmt_name *out,
				    unsigned int max);
int vmmgmt_host_name_lookup(const char *name, struct vmmgmt_addr *addr);
ssize_t vmmgmt_host_names_show(char *buf);
int vmmgmt_host_ctrl(struct vmmgmt_host_vm *vm, const struct vmmgmt_rec *hdr,
		     const void *payload, void *ans);

/* vmmgmt_host_handover.c */
size_t vmmgmt_host_handover_size(struct vmmgmt_host_vm *vm);
size_t vmmgmt_host_handover_save(struct vmmgmt_host_vm *vm, void *buf,
				 size_t len);
int vmmgmt_host_handover_load(struct vmmgmt_host_vm *vm, const void *buf,
			      size_t len);

/* vmmgmt_host_registry.c */
extern struct mutex vmmgmt_host_vms_lock;
struct vmmgmt_host_vm *vmmgmt_host_vm_find(u32 id, const char *name);
struct vmmgmt_host_vm *vmmgmt_host_vm_owned(const struct file *owner);
struct vmmgmt_host_vm *vmmgmt_host_vm_next(u32 after);
int vmmgmt_host_vm_reserve(struct vmmgmt_host_vm *vm, struct kobject **dir);
void vmmgmt_host_vm_unreserve(struct vmmgmt_host_vm *vm);
void vmmgmt_host_vm_publish(struct vmmgmt_host_vm *vm);
void vmmgmt_host_vm_unpublish(struct vmmgmt_host_vm *vm);
struct vmmgmt_host_vm *vmmgmt_host_vm_get(u32 id);
struct vmmgmt_host_vm *vmmgmt_host_vm_get_next(u32 *id);
void vmmgmt_host_vm_put(struct vmmgmt_host_vm *vm);
void vmmgmt_host_vms_unblock(void);
int vmmgmt_host_vms_init(struct kobject *parent);
void vmmgmt_host_vms_exit(void);

/* vmmgmt_host_region.c */
extern bool vmmgmt_host_notify_at;
int vmmgmt_host_region_get(struct vmmgmt_host_vm *vm, int fd);
int vmmgmt_host_region_map(struct vmmgmt_host_vm *vm);
void vmmgmt_host_region_unmap(struct vmmgmt_host_vm *vm);
int vmmgmt_host_region_init(struct vmmgmt_host_vm *vm);
int vmmgmt_host_region_attach(struct vmmgmt_host_vm *vm);
bool vmmgmt_host_region_modes(const struct vmmgmt_host_vm *vm, u32 *modes);
bool vmmgmt_host_region_flow(const struct vmmgmt_host_vm *vm);

/* vmmgmt_host_queue.c */
void vmmgmt_host_queue_init(struct vmmgmt_host_queue *q);
void vmmgmt_host_queue_purge(struct vmmgmt_host_queue *q);
bool vmmgmt_host_queue_room(const struct vmmgmt_host_queue *q, u32 len);
void vmmgmt_host_queue_add(struct vmmgmt_host_queue *q,
			   struct vmmgmt_host_msg *msg);
void vmmgmt_host_queue_insert(struct vmmgmt_host_queue *q,
			      struct list_head *pos,
			      struct vmmgmt_host_msg *msg);
void vmmgmt_host_queue_del(struct vmmgmt_host_queue *q,
			   struct vmmgmt_host_msg *msg);
struct vmmgmt_host_msg *vmmgmt_host_msg_alloc(u32 len);

#endif /* _VMMGMT_HOST_H */
