/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt guest module: declarations shared between its files.  Calls run
 * down this list, never up it (../shared/tools/file-calls checks it):
 *
 * vmmgmt_guest_pci.c	module init and exit; the PCI transport: probe,
 *			remove, BARs, MSI-X interrupts
 * vmmgmt_guest_cdev.c	/dev/vmmgmt*: open files as endpoints (bind,
 *			connect, read, write, poll) and the ioctl switch;
 *			the file operations of accepted streams
 * vmmgmt_guest_sysfs.c	/sys/class/misc/vmmgmt/: device attributes, the
 *			channel counters, the statistics settings
 * vmmgmt_guest_dev.c	the device object: allocation with every part
 *			initialised, references, release
 * vmmgmt_guest_names.c	the names ioctls and the control call: CTRL
 *			requests to the host's name table and their answers
 * vmmgmt_guest_stats.c	the statistics collector: samples posted to the
 *			host, VMMGMT_IOC_SET_NEEDS
 * vmmgmt_guest_stream.c	streams: listeners, connected and accepted
 *			streams, their files, segments from the host
 * vmmgmt_guest_link.c	the link: link state, ring setup, channel reset,
 *			the one send path, the rx work, refusals of records
 *			of a mode that is off
 * vmmgmt_guest_flow.c	flow control: credits per destination (the host's
 *			CREDIT and PEER_GONE notices), and the writers
 *			that wait for theirs
 * vmmgmt_guest_modes.c	the modes the owner turns on and off, and telling
 *			the host which (the header's guest_modes); the
 *			owner's directory for the host's file transfers
 * vmmgmt_guest_watchdog.c the stall watchdog, and debugfs vmmgmt/<PCI>/
 * vmmgmt_guest_ring.c	the shared ring (lib/vmmgmt_ring.c)
 * vmmgmt_guest_stall.c	the shared stall detection (lib/vmmgmt_stall.c)
 * vmmgmt_guest_name_rules.c the shared name check (lib/vmmgmt_name_rules.c)
 * vmmgmt_guest_stream_rules.c the shared stream protocol rules
 *			(lib/vmmgmt_stream.c)
 * vmmgmt_guest_compat.h	kernel API differences between 6.1 and 6.12
 *
 * The link calls up into the mode files only through
 * &vmmgmt_guest_dev.rx_mode, set at allocation, and into the stream layer
 * through &vmmgmt_guest_dev.rx_stream, .peer_gone and .link_changed.  The
 * locks and their order are described with &struct vmmgmt_guest_dev.
 */
#ifndef _VMMGMT_GUEST_H
#define _VMMGMT_GUEST_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <asm/byteorder.h>

#include <vmmgmt.h>

#include "vmmgmt_ring.h"
#include "vmmgmt_flow.h"
#include "vmmgmt_name_rules.h"
#include "vmmgmt_stream.h"
#include "vmmgmt_stall.h"
#include "vmmgmt_guest_trace.h"

struct dentry;
struct kiocb;
struct iov_iter;
struct pci_dev;
struct poll_table_struct;
struct vmmgmt_guest_listener;
struct vmmgmt_guest_stream;

/* Room for "vmmgmt", a decimal unsigned int and the NUL. */
#define VMMGMT_GUEST_DEV_NAME_LEN	20

/*
 * The feature bits (%VMMGMT_F_*) this module implements: it accepts each
 * of them when the host offers it (vmmgmt_guest_link_features()), and no
 * other, whatever the ABI defines.
 */
#define VMMGMT_GUEST_FEATURES	(VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES | \
				 VMMGMT_F_FLOW | VMMGMT_F_STREAM)

/**
 * struct vmmgmt_guest_counters - counters shown in sysfs; atomic, no lock.
 * @tx_msgs: messages write() posted to the guest-to-host ring.
 * @tx_bytes: payload bytes of @tx_msgs.
 * @rx_msgs: messages from the host queued to an open file.
 * @rx_bytes: payload bytes of @rx_msgs.
 * @doorbells: doorbell writes to the host (BAR0 DOORBELL).
 * @interrupts: interrupts taken on all vectors since probe.
 * @rx_polls: rx batches that ran while the rx consumer lingered (looks
 *	the host did not interrupt for: vmmgmt_guest_rx_work()).
 * @drops: host messages consumed but not delivered: no file bound to
 *	their port (requests among them are answered with ECONNREFUSED), or
 *	no memory for them.
 * @violations: host data that failed validation: a bad ring layout, a
 *	ring rule broken (the ring then stops), or a record that is not a
 *	chat message for this VM.
 * @stalls_recovered: stalls of either ring (records, no progress for
 *	stall_ms) that ended right after the watchdog notified again
 *	(vmmgmt_guest_watchdog.c).
 * @stall_kicks: notifications the watchdog sent: doorbells, or looks at
 *	the rx ring.
 * @flow_credits: (ABI 0.7) CREDIT notices taken from the host.
 * @flow_peers_gone: (ABI 0.7) PEER_GONE notices taken from the host.
 * @flow_waits: (ABI 0.7) chat and stream write()s that found no credit
 *	for their destination: they blocked until the host returned some,
 *	or failed with EAGAIN.
 * @flow_overflows: (ABI 0.7) records posted uncounted because
 *	%VMMGMT_FLOW_DESTS destinations had records in flight already
 *	(answers and stream acknowledgements, which never wait).
 * @withdrawals_lost: (ABI 0.7) names a closing file could not withdraw
 *	within %VMMGMT_GUEST_CLOSE_TIMEOUT (the ring stayed full) or at all;
 *	the host withdraws them when the channel is reset.
 * @suspends: system sleeps (suspend, freeze, poweroff) the device went
 *	through: rx work, stall watchdog and sampling stopped, nothing reset.
 * @resumes: wake-ups from them (resume, thaw, restore).
 */
struct vmmgmt_guest_counters {
	atomic64_t tx_msgs;
	atomic64_t tx_bytes;
	atomic64_t rx_msgs;
	atomic64_t rx_bytes;
	atomic64_t doorbells;
	atomic64_t interrupts;
	atomic64_t rx_polls;
	atomic64_t drops;
	atomic64_t violations;
	atomic64_t stalls_recovered;
	atomic64_t stall_kicks;
	atomic64_t flow_credits;
	atomic64_t flow_peers_gone;
	atomic64_t flow_waits;
	atomic64_t flow_overflows;
	atomic64_t withdrawals_lost;
	atomic64_t suspends;
	atomic64_t resumes;
};

/**
 * struct vmmgmt_guest_flow_dest - a destination with records in flight.
 * @key: (0, 0, port) a host endpoint, (0, vm, 0) every port of a VM.
 * @msgs: records counted and not yet returned by the host.
 * @bytes: their payload bytes.
 */
struct vmmgmt_guest_flow_dest {
	struct vmmgmt_addr key;
	u32 msgs;
	u64 bytes;
};

/**
 * struct vmmgmt_guest_flow - the guest's credits (vmmgmt_guest_flow.c, ABI
 * 0.7, %VMMGMT_F_FLOW).
 * @lock: protects @nr and @dst.  Taken by the rx work (under
 *	&vmmgmt_guest_dev.rx_lock), by the send path and ring setup (under
 *	&vmmgmt_guest_dev.tx_lock), and by writers and pollers; nothing is
 *	taken under it.
 * @wq: writers and pollers without credit for their destination.  Woken
 *	on CREDIT, PEER_GONE, a new ring setup, every link change and
 *	removal (vmmgmt_guest_wake_all()).
 * @nr: entries in @dst.
 * @dst: the destinations with records in flight, in no order.
 */
struct vmmgmt_guest_flow {
	spinlock_t lock;		/* @nr, @dst */
	wait_queue_head_t wq;
	unsigned int nr;
	struct vmmgmt_guest_flow_dest dst[VMMGMT_FLOW_DESTS];
};

/**
 * enum vmmgmt_guest_watch_ring - the rings the watchdog looks at.
 * @VMMGMT_GUEST_WATCH_TX: guest to host; the host consumes.
 * @VMMGMT_GUEST_WATCH_RX: host to guest; the rx work consumes.
 * @VMMGMT_GUEST_WATCH_RINGS: number of values.
 */
enum vmmgmt_guest_watch_ring {
	VMMGMT_GUEST_WATCH_TX,
	VMMGMT_GUEST_WATCH_RX,
	VMMGMT_GUEST_WATCH_RINGS,
};

/**
 * struct vmmgmt_guest_mode_counters - the counters of one mode, shown in
 * sysfs modes/<mode>/; atomic, no lock.
 * @tx_msgs: records of the mode posted to the guest-to-host ring (for
 *	stats: the samples and the answers to the host's requests).
 * @tx_bytes: payload bytes of @tx_msgs.
 * @rx_msgs: records of the mode from the host delivered (to a file, or
 *	for stats to the collector).
 * @rx_bytes: payload bytes of @rx_msgs.
 * @errors: records of the mode that could not be sent (a write() that
 *	failed once the mode allowed it) or delivered (no file of the mode
 *	on the port, no memory, a malformed request, an answer that found
 *	no room).
 * @denials: refusals because the mode is off: records from the host
 *	(answered with EPERM unless they are answers themselves), and
 *	write(), VMMGMT_IOC_SET_MODE, VMMGMT_IOC_SET_NEEDS and sampling
 *	refused with EPERM.
 */
struct vmmgmt_guest_mode_counters {
	atomic64_t tx_msgs;
	atomic64_t tx_bytes;
	atomic64_t rx_msgs;
	atomic64_t rx_bytes;
	atomic64_t errors;
	atomic64_t denials;
};

struct vmmgmt_guest_dev;

/**
 * struct vmmgmt_guest_mode_dir - the sysfs directory modes/<mode>/.
 * @kobj: its kobject; its release frees this structure.
 * @vdev: the device (sysfs removes the directory before the device goes).
 * @mode: the mode, one of %VMMGMT_MODES_USER.
 */
struct vmmgmt_guest_mode_dir {
	struct kobject kobj;
	struct vmmgmt_guest_dev *vdev;
	unsigned int mode;
};

/**
 * struct vmmgmt_guest_modes - the modes of a device (vmmgmt_guest_modes.c).
 * @lock: serialises changes of @enabled with writing it to the header.
 *	Taken after &vmmgmt_guest_dev.lock and &vmmgmt_guest_dev.tx_lock.
 * @enabled: VMMGMT_MODE_BIT() of each mode that is on.  Written under
 *	@lock; read with READ_ONCE() (vmmgmt_guest_mode_on()).
 * @cnt: the counters, by mode.
 * @file_dir: sysfs modes/file/dir: the directory the owner lets the host
 *	push files into and pull files from (an absolute path of at most
 *	PATH_MAX - 1 bytes, no newline), or NULL for none.  Only kept here,
 *	for the guest's agent (vmmgmtctl file serve), which does the file
 *	I/O.  Protected by @lock; freed with the device.
 * @dir: the sysfs directory modes/, NULL until it is added.
 * @dirs: modes/<mode>/, by mode; NULL for the modes that have none.
 */
struct vmmgmt_guest_modes {
	struct mutex lock;		/* see above */
	u32 enabled;
	struct vmmgmt_guest_mode_counters cnt[VMMGMT_MODE_MAX];
	char *file_dir;
	struct kobject *dir;
	struct vmmgmt_guest_mode_dir *dirs[VMMGMT_MODE_MAX];
};

/* The host's statistics requests the collector keeps waiting at most. */
#define VMMGMT_GUEST_STATS_REQS	4

/**
 * struct vmmgmt_guest_stats_req - a host's request to the collector
 * (&struct vmmgmt_stats_ctl), from the rx work to the collector's work.
 * @id: the request's record id; the answer carries it.
 * @src: the requester; the answer goes there.
 * @ctl: the request, checked.
 */
struct vmmgmt_guest_stats_req {
	u64 id;
	struct vmmgmt_addr src;
	struct vmmgmt_stats_ctl ctl;
};

/**
 * struct vmmgmt_guest_sampler - the statistics collector of a device
 * (vmmgmt_guest_stats.c).
 * @lock: protects the fields below but @sent and @failed, and the
 *	sampling itself.  Taken before &vmmgmt_guest_dev.lock.
 * @work: takes one sample per period while @enabled.
 * @enabled: sysfs modes/stats/sampling.
 * @period_ms: sysfs modes/stats/period_ms.  Written under @lock, read with
 *	READ_ONCE() by sysfs.
 * @seq: sequence number of the last sample taken.
 * @last_ns: CLOCK_MONOTONIC time of the last sample or baseline.
 * @needs: what a process set with VMMGMT_IOC_SET_NEEDS.
 * @has_needs: @needs is not all zero.
 * @paused: a system sleep stopped the sampling; @enabled keeps the
 *	owner's choice (vmmgmt_guest_stats_pause()).
 * @prev: per possible CPU, the cumulative CPU times at the last sample
 *	or baseline (nr_cpu_ids entries).
 * @buf: the sample being built (room for %VMMGMT_STATS_MAX_CPUS CPUs).
 * @sent: samples posted to the ring.
 * @failed: samples not posted (link not up, ring full or broken).
 * @req_work: serves the host's requests in @reqs (process context).
 * @req_lock: protects @reqs and @nr_reqs; taken by the rx work.
 * @reqs: the host's requests not served yet, oldest first.
 * @nr_reqs: entries in @reqs, at most %VMMGMT_GUEST_STATS_REQS.
 */
struct vmmgmt_guest_sampler {
	struct mutex lock;		/* see above */
	struct delayed_work work;
	bool enabled;
	u32 period_ms;
	u64 seq;
	u64 last_ns;
	struct vmmgmt_stats_needs needs;
	bool has_needs;
	bool paused;
	struct vmmgmt_stats_cpu *prev;
	struct vmmgmt_stats_sample *buf;
	atomic64_t sent;
	atomic64_t failed;
	struct work_struct req_work;
	spinlock_t req_lock;		/* @reqs; see above */
	struct vmmgmt_guest_stats_req reqs[VMMGMT_GUEST_STATS_REQS];
	unsigned int nr_reqs;
};

/* Most RSTs to streams the guest does not know that wait to be sent. */
#define VMMGMT_GUEST_STREAM_RSTS	32

/**
 * struct vmmgmt_guest_stream_rst - an RST owed to a segment for a stream
 * the guest does not know (or refused), sent by &vmmgmt_guest_streams.work.
 * @id: the stream id.
 * @mode: the segment's mode.
 * @err: the positive errno the RST carries.
 * @src: our address the RST comes from (the segment's destination).
 * @dst: where it goes (the segment's source).
 */
struct vmmgmt_guest_stream_rst {
	u64 id;
	u32 mode;
	u32 err;
	struct vmmgmt_addr src;
	struct vmmgmt_addr dst;
};

/**
 * struct vmmgmt_guest_streams - the streams of a device
 * (vmmgmt_guest_stream.c).
 * @lock: protects @all, @listeners, @nr, @next_id, @off, @rsts, @nr_rsts,
 *	every stream's table and backlog membership and every listener's
 *	backlog.  A spinlock taken by the rx work; a stream's own lock nests
 *	inside it.  Nothing sleeps under it.
 * @all: every stream of the device (connecting, open, in a backlog, or
 *	closed by its file with a segment still owed).
 * @listeners: the listeners, by port.
 * @nr: entries in @all, at most %VMMGMT_STREAMS_MAX.
 * @next_id: the id of the last stream this guest opened.
 * @off: the device is going away: nothing is queued to @work any more.
 * @work: sends the segments owed by the rx work and by closed files
 *	(non-blocking; it tries again a little later while the ring is full).
 * @probe_work: asks the silent peers of streams whose pollers wait for a
 *	window update (vmmgmt_guest_streams_probe_work()).
 * @rsts: RSTs owed to segments of streams the guest does not know.
 * @nr_rsts: entries in @rsts; past %VMMGMT_GUEST_STREAM_RSTS one is lost.
 * @opened: streams that got connected or accepted (sysfs streams_opened).
 * @reset: streams that ended with an error (sysfs streams_reset).
 * @tx_bytes: stream bytes sent in DATA segments (sysfs stream_tx_bytes).
 * @probes: ACKs sent to a peer a writer or poller waited for (sysfs
 *	stream_probes).
 * @rx_bytes: stream bytes received in DATA segments (sysfs stream_rx_bytes).
 */
struct vmmgmt_guest_streams {
	spinlock_t lock;		/* see above */
	struct list_head all;
	struct list_head listeners;
	unsigned int nr;
	u64 next_id;
	bool off;
	struct delayed_work work;
	struct delayed_work probe_work;
	struct vmmgmt_guest_stream_rst rsts[VMMGMT_GUEST_STREAM_RSTS];
	unsigned int nr_rsts;
	atomic64_t opened;
	atomic64_t reset;
	atomic64_t tx_bytes;
	atomic64_t rx_bytes;
	atomic64_t probes;
};

/**
 * struct vmmgmt_guest_dev - one bound ivshmem-doorbell device.
 * @kref: the driver holds one reference from probe to remove; every open
 *	file holds one more, so the structure outlives the PCI binding.
 * @lock: readers (file operations) hold it while they use the device;
 *	remove takes it for writing to wait for them and set @removed.
 *	Nobody sleeps waiting for data or space while holding it.
 * @removed: true once remove has started tearing the device down; no
 *	file operation may then touch @pdev, @regs or @region.
 *	Written under @lock held for writing; read under @lock, or with
 *	READ_ONCE() as a hint in wait conditions.
 * @pdev: the PCI device.  Valid while !@removed.
 * @regs: BAR0, the ivshmem registers.  Valid while !@removed.
 * @region: BAR2, the shared region, mapped as normal cached memory.  The
 *	host may change it at any time: read each field once with
 *	vmmgmt_guest_hdr_read32() and friends and work on the copy.  Valid while
 *	!@removed, and for the rx work until remove cancelled it.
 * @region_size: length of BAR2 in bytes; fixed at probe.
 * @peer_id: IVPosition register; fixed at probe.
 * @nvec: number of MSI-X vectors allocated and requested.
 * @rx_lock: serialises the consumer of the host-to-guest ring (@rx,
 *	@rx_buf, @rx_stalled's consumer side) and link transitions.
 * @tx_lock: serialises the producer of the guest-to-host ring (@tx) and
 *	link transitions.
 * @link_state: the guest's view of the channel, an &enum
 *	vmmgmt_link_state: UP only while both rings are set up and valid.
 *	Written with @rx_lock and @tx_lock held; read under either, or with
 *	READ_ONCE() for a hint.
 * @link_gen: header generation the rings were set up (or refused) for.
 *	Same locking as @link_state.
 * @vm_id: VM id read from the header at link-up.  Same locking as
 *	@link_state.
 * @reset_pending: the guest asked the host to reset the channel
 *	(vmmgmt_guest_link_reset()) and the host has not acknowledged it yet;
 *	the link stays DOWN and neither ring is touched meanwhile.  Same locking
 *	as @link_state.
 * @reset_req: the reset_request value written for @reset_pending.  Same
 *	locking as @link_state.
 * @features: %VMMGMT_F_* bits negotiated at the last ring setup
 *	(vmmgmt_guest_link_features()).  Written with @rx_lock and @tx_lock
 *	held; read with READ_ONCE() for sysfs.
 * @tx: producer view of the guest-to-host ring.  Protected by @tx_lock.
 * @rx: consumer view of the host-to-guest ring.  Protected by @rx_lock.
 * @rx_buf: scratch buffer of %VMMGMT_MSG_MAX bytes for the consumer.
 *	Protected by @rx_lock.
 * @rx_work: drains @rx in bounded batches; queued by the interrupt, by
 *	link-up, by readers that made room in a full queue, and while
 *	@rx_linger by @rx_poll and by readers that ran dry.
 * @rx_poll: while @rx_linger, queues @rx_work after %VMMGMT_GUEST_RX_LINGER.
 * @rx_linger: the last rx batch left the consumer marked running without
 *	an interrupt armed (vmmgmt_guest_rx_work()).  Written with @rx_lock
 *	held, read with READ_ONCE() by readers.
 * @rx_scan: (ABI 0.7) while the rx work is stalled, how far it looked
 *	ahead in @rx for CREDIT notices (vmmgmt_ring_scan()): those below
 *	were taken already.  Set at each ring setup, kept at or ahead of
 *	the tail after each batch (a stale one would pass for ahead after
 *	2 GiB).  @rx_lock.
 * @rx_off: set before removal (or a system sleep) cancels @rx_work and
 *	@rx_poll: neither queues the other any more, and @rx_work does
 *	nothing until vmmgmt_guest_rx_resume() clears it.
 * @resuming: vmmgmt_guest_link_bind() takes the channel over as it is:
 *	the next ring setup holds what H2G holds (@rx_hold).  Same locking
 *	as @link_state.
 * @rx_hold: the ring setup resumed a channel an earlier driver instance
 *	let go of (vmmgmt_guest_link_bind()): records it left in H2G, below
 *	@rx_hold_end, for a port no file holds stay in the ring until
 *	@rx_hold_until, so that the files of this instance can bind their
 *	ports first; later they are dropped and, if they are requests,
 *	answered with ECONNREFUSED.  Cleared once the consumer passed
 *	@rx_hold_end, and at the next ring setup.  Written under @rx_lock;
 *	read with READ_ONCE() as a hint by binders.
 * @rx_hold_end: the H2G head at that ring setup.  @rx_lock.
 * @rx_hold_until: jiffies when the hold ends.  @rx_lock.
 * @rx_hold_bytes: the bytes H2G held at that ring setup.  @rx_lock.
 * @tx_seq: bumped by every interrupt; a writer waiting for ring space
 *	sleeps until it changes.
 * @tx_wq: writers and pollers waiting for ring space or a link change.
 * @ports: bound endpoints (&struct vmmgmt_guest_ep) by port.  Its lock,
 *	xa_lock(&@ports), also protects @eps, @rx_stalled and every
 *	endpoint's receive queue.
 * @eps: every open file's endpoint, bound or not, for wake-ups.
 * @rx_stalled: the rx work left a record in the ring because its file's
 *	queue was full; the reader that makes room queues @rx_work.
 * @ctrl_reqs: &struct vmmgmt_guest_ctrl_req sent to the host and not answered
 *	yet, oldest first.  Protected by xa_lock(&@ports).
 * @nr_ctrl_reqs: entries in @ctrl_reqs.  Same locking.
 * @ctrl_next_id: record id of the last control request.  Same locking.
 * @ctrl_wq: callers waiting for the host's answer to a control request.
 * @rx_mode: by record mode, the function the rx work hands a host record
 *	of that mode to (validated private copies of header and payload,
 *	@rx_lock held; returns 0 to consume it, 1 to leave it in the ring),
 *	or NULL: chat records are queued to the files by the link itself,
 *	others are violations.  Set by vmmgmt_guest_dev_alloc(), fixed after.
 *	The host's CTRL notices (no %VMMGMT_REC_F_RESPONSE) do not go there
 *	but to the flow control (vmmgmt_guest_flow_rx()).
 * @rx_stream: (ABI 0.7) the function the rx work hands every host record
 *	with %VMMGMT_REC_F_STREAM to, whatever its mode, once the link checked
 *	that it is addressed to this VM (same arguments, context and return
 *	value as @rx_mode; the mode is not checked against the modes that
 *	are on: the stream layer answers that itself), or NULL: such
 *	records are violations.  Set at allocation, fixed after.
 * @peer_gone: (ABI 0.7) called by the rx work for each well-formed
 *	%VMMGMT_CTRL_PEER_GONE notice, with its address ((0, vm, 0): a VM,
 *	(0, 0, port): a host endpoint), after the flow control forgot the
 *	credits of the destinations there; or NULL.  Context: the rx work,
 *	@rx_lock held, must not sleep for long nor wait for the ring (send
 *	with nonblock).  Set at allocation, fixed after.
 * @link_changed: called by vmmgmt_guest_wake_all() (a link change, a new
 *	generation, removal) before the waiters are woken, or NULL.  Set at
 *	allocation.
 * @flow: the credits per destination (ABI 0.7).
 * @streams: the streams (ABI 0.7).
 * @counters: the channel counters, shown in sysfs.
 * @modes: the modes the owner turned on, and their counters.
 * @sampler: the statistics collector.
 * @watch_work: the stall watchdog's look (vmmgmt_guest_watchdog.c).
 * @watch: its view of each ring (lib/vmmgmt_stall.h).  Its work only.
 * @watch_gen: the link generation @watch belongs to.  Its work only.
 * @watch_posted: jiffies of the last post (vmmgmt_guest_watch_arm()): the
 *	watchdog keeps looking for %VMMGMT_GUEST_WATCH_ANSWER_MS after it,
 *	for the answers.  WRITE_ONCE() by posters, READ_ONCE() by the work.
 * @debugfs: vmmgmt/<PCI address>/ in debugfs.
 * @minor_id: ida number that chose @name.
 * @name: misc device name: "vmmgmt" for @minor_id 0, else "vmmgmt<N>".
 * @irq_name: name shown in /proc/interrupts.
 * @misc: the character device /dev/@name.
 *
 * Lock order: misc_mtx (held by the misc core around open and
 * misc_deregister()) is never taken while holding @lock.  Then
 * @lock (read) -> @rx_lock -> @tx_lock -> xa_lock(&@ports), and
 * @tx_lock -> &vmmgmt_guest_flow.lock (taken alone otherwise), and
 * @lock (read) -> &vmmgmt_guest_ep.mutex -> xa_lock(&@ports); nothing else is
 * taken under &vmmgmt_guest_ep.mutex.  &vmmgmt_guest_ep.name_mutex comes before
 * @lock: a names ioctl holds it while it waits for the host's answer
 * (without @lock).  The rx work takes @rx_lock and
 * xa_lock(&@ports), never @lock: remove cancels it after freeing the
 * interrupts instead.
 */
struct vmmgmt_guest_dev {
	struct kref kref;
	struct rw_semaphore lock;
	bool removed;
	struct pci_dev *pdev;
	void __iomem *regs;
	void *region;
	u64 region_size;
	u32 peer_id;
	unsigned int nvec;

	struct mutex rx_lock;		/* the H2G consumer; see above */
	struct mutex tx_lock;		/* the G2H producer; see above */
	u32 link_state;
	u32 link_gen;
	u32 vm_id;
	bool reset_pending;
	u32 reset_req;
	u64 features;
	struct vmmgmt_ring tx;
	struct vmmgmt_ring rx;
	void *rx_buf;
	struct work_struct rx_work;
	struct delayed_work rx_poll;
	bool rx_linger;
	u32 rx_scan;
	bool rx_off;
	bool resuming;
	bool rx_hold;
	u32 rx_hold_end;
	unsigned long rx_hold_until;
	u32 rx_hold_bytes;
	atomic_t tx_seq;
	wait_queue_head_t tx_wq;

	struct xarray ports;
	struct list_head eps;
	bool rx_stalled;
	struct list_head ctrl_reqs;
	unsigned int nr_ctrl_reqs;
	u64 ctrl_next_id;
	wait_queue_head_t ctrl_wq;

	int (*rx_mode[VMMGMT_MODE_MAX])(struct vmmgmt_guest_dev *vdev,
					const struct vmmgmt_rec *hdr,
					const void *payload);
	int (*rx_stream)(struct vmmgmt_guest_dev *vdev,
			 const struct vmmgmt_rec *hdr, const void *payload);
	void (*peer_gone)(struct vmmgmt_guest_dev *vdev,
			  const struct vmmgmt_addr *addr);
	void (*link_changed)(struct vmmgmt_guest_dev *vdev);
	struct vmmgmt_guest_flow flow;
	struct vmmgmt_guest_streams streams;

	struct vmmgmt_guest_counters counters;
	struct vmmgmt_guest_modes modes;
	struct vmmgmt_guest_sampler sampler;
	struct delayed_work watch_work;
	struct vmmgmt_stall watch[VMMGMT_GUEST_WATCH_RINGS];
	u32 watch_gen;
	unsigned long watch_posted;
	struct dentry *debugfs;

	unsigned int minor_id;
	char name[VMMGMT_GUEST_DEV_NAME_LEN];
	char irq_name[32];
	struct miscdevice misc;
};

/* A file's receive queue holds at most this many messages ... */
#define VMMGMT_GUEST_RXQ_MAX_MSGS	256
/* ... and this many payload bytes (one message always fits). */
#define VMMGMT_GUEST_RXQ_MAX_BYTES	(1024 * 1024)

/**
 * struct vmmgmt_guest_msg - one received message in a file's queue.
 * @node: in &vmmgmt_guest_ep.rxq.
 * @src: the sender, from the record.
 * @err: 0, or the positive errno of an error answer (a record with
 *	%VMMGMT_REC_F_ERROR): read() then fails with it.
 * @len: payload bytes in @data (0 for an error answer).
 * @rec: the record's header, so that a request still queued when its
 *	file closes can be answered with an error.
 * @data: the payload.
 */
struct vmmgmt_guest_msg {
	struct list_head node;
	struct vmmgmt_addr src;
	int err;
	u32 len;
	struct vmmgmt_rec rec;
	u8 data[];
};

/**
 * struct vmmgmt_guest_ep - the endpoint of one open file.
 * @vdev: the device (the file holds a reference).
 * @mutex: serialises bind, connect, readers and the sender's use of
 *	@port and @peer.
 * @port: local port, 0 while unbound.  Protected by @mutex (release,
 *	with no other user left, reads it without).
 * @peer: destination of write().  Protected by @mutex.
 * @connected: @peer is set.  Protected by @mutex.
 * @last_src: source of the message read() returned last.  Protected by
 *	@mutex.
 * @has_last: @last_src is valid.  Protected by @mutex.
 * @mode: the file's mode (VMMGMT_IOC_SET_MODE), %VMMGMT_MODE_CHAT when
 *	opened: what its records carry, and what it receives.  Written under
 *	@mutex; read with READ_ONCE() by the rx work.
 * @node: in &vmmgmt_guest_dev.eps.  Protected by xa_lock(&vdev->ports).
 * @rxq: received &struct vmmgmt_guest_msg, oldest first.  Protected by
 *	xa_lock(&vdev->ports); only readers (under @mutex) remove entries.
 * @rxq_msgs: messages in @rxq.  Same locking as @rxq.
 * @rxq_bytes: payload bytes in @rxq.  Same locking as @rxq.
 * @rx_wq: readers and pollers of this file.
 * @name_mutex: serialises this file's names ioctls and its release's
 *	withdrawals; protects @names and @nr_names.
 * @names: &struct vmmgmt_guest_ep_name this file published.
 * @nr_names: entries in @names, at most %VMMGMT_NAMES_PER_OWNER.
 * @stream: the stream this file became (VMMGMT_IOC_STREAM_CONNECT), or
 *	NULL.  Written under @mutex; read with READ_ONCE() for dispatch.
 * @listener: the listener this file became (VMMGMT_IOC_STREAM_LISTEN), or
 *	NULL.  Same locking as @stream.
 */
struct vmmgmt_guest_ep {
	struct vmmgmt_guest_dev *vdev;
	struct mutex mutex;		/* port, peer, readers; see above */
	u32 port;
	struct vmmgmt_addr peer;
	bool connected;
	struct vmmgmt_addr last_src;
	bool has_last;
	u32 mode;
	struct list_head node;
	struct list_head rxq;
	unsigned int rxq_msgs;
	size_t rxq_bytes;
	wait_queue_head_t rx_wq;
	struct mutex name_mutex;	/* names ioctls, @names; see above */
	struct list_head names;
	unsigned int nr_names;
	struct vmmgmt_guest_stream *stream;
	struct vmmgmt_guest_listener *listener;
};

/**
 * struct vmmgmt_guest_ep_name - a name a file published.
 * @node: in &vmmgmt_guest_ep.names.
 * @gen: link generation it was published in: the host withdraws every
 *	name of the VM when it resets the channel (a new generation).
 * @name: the name, NUL-padded to %VMMGMT_NAME_MAX bytes.
 */
struct vmmgmt_guest_ep_name {
	struct list_head node;
	u32 gen;
	u8 name[VMMGMT_NAME_MAX];
};

/*
 * How long close() waits for room in the ring to withdraw the file's
 * names, all of them together; then it gives up (counted in
 * &vmmgmt_guest_counters.withdrawals_lost).
 */
#define VMMGMT_GUEST_CLOSE_TIMEOUT	HZ

/* How long a names ioctl waits for the host's answer. */
#define VMMGMT_GUEST_CTRL_TIMEOUT	(5 * HZ)
/* Most control requests in flight per device, abandoned ones included. */
#define VMMGMT_GUEST_CTRL_MAX_PENDING	256

/**
 * struct vmmgmt_guest_ctrl_req - a %VMMGMT_MODE_CTRL request sent to the host.
 * @node: in &vmmgmt_guest_dev.ctrl_reqs while it waits for the answer.
 * @id: the record id; the answer carries it.
 * @gen: link generation it was sent in.
 * @done: the answer came: @err and @ctrl hold it.
 * @abandoned: nobody waits any more (timeout, signal, or a withdrawal
 *	at close); the rx work frees it when the answer comes.
 * @err: 0, or the positive errno the host answered with.
 * @ctrl: the request; on a successful answer, the answer.
 * @list: for %VMMGMT_CTRL_LIST, where a successful answer goes (allocated
 *	with the request, right after it); NULL otherwise.
 *
 * All fields but @id and the request are protected by
 * xa_lock(&vmmgmt_guest_dev.ports).
 */
struct vmmgmt_guest_ctrl_req {
	struct list_head node;
	u64 id;
	u32 gen;
	bool done;
	bool abandoned;
	int err;
	struct vmmgmt_ctrl ctrl;
	struct vmmgmt_name_list *list;
};

/* Byte offset of @field in the region header. */
#define VMMGMT_GUEST_HDR_OFF(field) offsetof(struct vmmgmt_region_header, field)

/**
 * vmmgmt_guest_hdr_read32() - read a 32-bit header field once.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @off: byte offset, from VMMGMT_GUEST_HDR_OFF().
 *
 * Context: any; does not sleep.
 * Return: the little-endian field converted to CPU order.
 */
static inline u32 vmmgmt_guest_hdr_read32(const struct vmmgmt_guest_dev *vdev,
					  size_t off)
{
	return le32_to_cpu(READ_ONCE(*(__le32 *)(vdev->region + off)));
}

/**
 * vmmgmt_guest_hdr_read64() - read a 64-bit header field once.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @off: byte offset, from VMMGMT_GUEST_HDR_OFF(); 8-byte aligned.
 *
 * Context: any; does not sleep.
 * Return: the little-endian field converted to CPU order.
 */
static inline u64 vmmgmt_guest_hdr_read64(const struct vmmgmt_guest_dev *vdev,
					  size_t off)
{
	return le64_to_cpu(READ_ONCE(*(__le64 *)(vdev->region + off)));
}

/**
 * vmmgmt_guest_hdr_read_abi() - read the header's ABI version in one access.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @major: set to the header's abi_major.
 * @minor: set to the header's abi_minor.
 *
 * Both fields share one aligned 32-bit word, so a single read gives a
 * consistent pair even while the host rewrites the header.
 *
 * Context: any; does not sleep.
 */
static inline void
vmmgmt_guest_hdr_read_abi(const struct vmmgmt_guest_dev *vdev, u16 *major,
			  u16 *minor)
{
	u32 word =
		vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(abi_major));

	static_assert(VMMGMT_GUEST_HDR_OFF(abi_minor) ==
		      VMMGMT_GUEST_HDR_OFF(abi_major) + 2);
	*major = lower_16_bits(word);
	*minor = upper_16_bits(word);
}

/**
 * vmmgmt_guest_hdr_write32() - write a 32-bit header field once.
 * @vdev: the device; caller guarantees BAR2 is still mapped.
 * @off: byte offset, from VMMGMT_GUEST_HDR_OFF().
 * @val: the value, in CPU order; stored little-endian.
 *
 * Context: any; does not sleep.
 */
static inline void vmmgmt_guest_hdr_write32(struct vmmgmt_guest_dev *vdev,
					    size_t off, u32 val)
{
	WRITE_ONCE(*(__le32 *)(vdev->region + off), cpu_to_le32(val));
}

/* Doorbell value: interrupt vector 0 of the host's peer. */
#define VMMGMT_GUEST_DOORBELL_HOST	((VMMGMT_HOST_PEER_ID << 16) | 0)

/**
 * vmmgmt_guest_doorbell() - notify the host through the BAR0 doorbell.
 * @vdev: the device; BAR0 still mapped (not removed, or from the rx work
 *	before remove cancelled it).
 *
 * One MMIO write, a VM exit that KVM turns into a kick of the host
 * module's eventfd.  Callers ring it only when the ring code says the
 * host may be asleep.
 *
 * Context: any context.
 */
static inline void vmmgmt_guest_doorbell(struct vmmgmt_guest_dev *vdev)
{
	iowrite32(VMMGMT_GUEST_DOORBELL_HOST,
		  vdev->regs + VMMGMT_IVSHMEM_REG_DOORBELL);
	atomic64_inc(&vdev->counters.doorbells);
	trace_vmmgmt_guest_notify(vdev->vm_id, VMMGMT_TRACE_DOORBELL);
}

extern struct workqueue_struct *vmmgmt_guest_wq;

/**
 * vmmgmt_guest_rx_queue() - queue the rx work on the module's workqueue.
 * @vdev: the device.
 *
 * The rx work, the rx poll and the stall watchdog run on
 * &vmmgmt_guest_wq, a high-priority workqueue of the module's own, not on
 * the system workqueue: another driver's work item that runs long on the
 * system workqueue's pool must not keep the channel undrained (in
 * vmmgmt_neighbour_storm_test a victim's rx work stayed pending for 10 s
 * with the host's interrupt counted, no worker running it, 6.1,
 * 2026-12-07).
 *
 * Context: any context.
 */
static inline void vmmgmt_guest_rx_queue(struct vmmgmt_guest_dev *vdev)
{
	queue_work(vmmgmt_guest_wq, &vdev->rx_work);
}

/* How long vmmgmt_guest_link_reset() waits for the host's acknowledgment. */
#define VMMGMT_GUEST_RESET_TIMEOUT	(10 * HZ)

/**
 * vmmgmt_guest_ep_bind() - give an endpoint a port.
 * @ep: the endpoint, unbound.
 * @port: the port, or 0 for a free one from %VMMGMT_PORT_DYNAMIC up.
 *
 * Context: process context; @ep->mutex held; takes
 * xa_lock(&vmmgmt_guest_dev.ports) and may allocate.
 * Return: 0 with @ep->port set; -EADDRINUSE if @port is taken or no
 * dynamic port is left; -ENOMEM.
 */
static inline int vmmgmt_guest_ep_bind(struct vmmgmt_guest_ep *ep, u32 port)
{
	struct xarray *ports = &ep->vdev->ports;
	int ret;

	if (port)
		ret = xa_insert(ports, port, ep, GFP_KERNEL);
	else
		ret = xa_alloc(ports, &port, ep,
			       XA_LIMIT(VMMGMT_PORT_DYNAMIC, U32_MAX),
			       GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -EADDRINUSE : ret;
	ep->port = port;
	return 0;
}

/* vmmgmt_guest_cdev.c */
int vmmgmt_guest_cdev_register(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_cdev_unregister(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_sysfs.c */
extern const struct attribute_group *vmmgmt_guest_sysfs_groups[];
int vmmgmt_guest_sysfs_modes_add(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_sysfs_modes_del(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_dev.c */
struct vmmgmt_guest_dev *vmmgmt_guest_dev_alloc(struct pci_dev *pdev);
void vmmgmt_guest_dev_put(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_names.c */
long vmmgmt_guest_names_publish(struct vmmgmt_guest_ep *ep,
				void __user *uarg);
long vmmgmt_guest_names_withdraw(struct vmmgmt_guest_ep *ep,
				 void __user *uarg);
long vmmgmt_guest_names_lookup(struct vmmgmt_guest_ep *ep,
			       void __user *uarg);
long vmmgmt_guest_names_list(struct vmmgmt_guest_ep *ep, void __user *uarg);
void vmmgmt_guest_names_release(struct vmmgmt_guest_ep *ep);
int vmmgmt_guest_names_rx(struct vmmgmt_guest_dev *vdev,
			  const struct vmmgmt_rec *hdr, const void *payload);
void vmmgmt_guest_names_free_all(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_stats.c */
int vmmgmt_guest_stats_init(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_stats_stop(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_stats_pause(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_stats_resume(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_stats_free(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_stats_work(struct work_struct *work);
int vmmgmt_guest_stats_enable(struct vmmgmt_guest_dev *vdev, bool on);
int vmmgmt_guest_stats_rx(struct vmmgmt_guest_dev *vdev,
			  const struct vmmgmt_rec *hdr, const void *payload);
void vmmgmt_guest_stats_req_work(struct work_struct *work);
int vmmgmt_guest_stats_set_period(struct vmmgmt_guest_dev *vdev, u32 ms);
long vmmgmt_guest_stats_set_needs(struct vmmgmt_guest_dev *vdev,
				  void __user *uarg);

/* vmmgmt_guest_stream.c */
void vmmgmt_guest_streams_init(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_streams_remove(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_streams_free(struct vmmgmt_guest_dev *vdev);
int vmmgmt_guest_stream_rx(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, const void *payload);
void vmmgmt_guest_stream_peer_gone(struct vmmgmt_guest_dev *vdev,
				   const struct vmmgmt_addr *addr);
void vmmgmt_guest_stream_link_changed(struct vmmgmt_guest_dev *vdev);
bool vmmgmt_guest_stream_ep_is(struct vmmgmt_guest_ep *ep);
ssize_t vmmgmt_guest_stream_ep_read(struct vmmgmt_guest_ep *ep,
				    struct kiocb *iocb, struct iov_iter *to);
ssize_t vmmgmt_guest_stream_ep_write(struct vmmgmt_guest_ep *ep,
				     struct kiocb *iocb,
				     struct iov_iter *from);
__poll_t vmmgmt_guest_stream_ep_poll(struct vmmgmt_guest_ep *ep,
				     struct file *file,
				     struct poll_table_struct *wait);
void vmmgmt_guest_stream_ep_release(struct vmmgmt_guest_ep *ep);
long vmmgmt_guest_stream_connect(struct vmmgmt_guest_ep *ep,
				 void __user *uarg);
long vmmgmt_guest_stream_listen(struct vmmgmt_guest_ep *ep,
				void __user *uarg);
long vmmgmt_guest_stream_accept(struct vmmgmt_guest_ep *ep, struct file *file,
				void __user *uarg,
				const struct file_operations *fops);
ssize_t vmmgmt_guest_stream_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t vmmgmt_guest_stream_write_iter(struct kiocb *iocb,
				       struct iov_iter *from);
__poll_t vmmgmt_guest_stream_file_poll(struct file *file,
				       struct poll_table_struct *wait);
long vmmgmt_guest_stream_file_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg);
struct vmmgmt_guest_dev *vmmgmt_guest_stream_file_close(struct file *file);
long vmmgmt_guest_stream_ep_shutdown(struct vmmgmt_guest_ep *ep);

/* vmmgmt_guest_modes.c */
void vmmgmt_guest_modes_init(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_modes_free(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_modes_publish(struct vmmgmt_guest_dev *vdev);
bool vmmgmt_guest_mode_set(struct vmmgmt_guest_dev *vdev, unsigned int mode,
			   bool on);
int vmmgmt_guest_mode_file_dir_set(struct vmmgmt_guest_dev *vdev,
				   const char *buf, size_t count);
ssize_t vmmgmt_guest_mode_file_dir_show(struct vmmgmt_guest_dev *vdev,
					char *buf);

/**
 * vmmgmt_guest_mode_user() - whether a record mode is one the owner turns
 * on and off.
 * @mode: a record's mode, any value.
 *
 * Context: any.
 * Return: true for chat, stats, file, calc and cmd.
 */
static inline bool vmmgmt_guest_mode_user(unsigned int mode)
{
	return mode < VMMGMT_MODE_MAX &&
	       (VMMGMT_MODES_USER & VMMGMT_MODE_BIT(mode));
}

/**
 * vmmgmt_guest_mode_on() - whether the owner has a mode on.
 * @vdev: the device.
 * @mode: a record's mode, any value.
 *
 * Context: any.
 * Return: true if @mode is one of %VMMGMT_MODES_USER and on.
 */
static inline bool vmmgmt_guest_mode_on(struct vmmgmt_guest_dev *vdev,
					unsigned int mode)
{
	return vmmgmt_guest_mode_user(mode) &&
	       (READ_ONCE(vdev->modes.enabled) & VMMGMT_MODE_BIT(mode));
}

/**
 * vmmgmt_guest_mode_cnt() - the counters of a mode.
 * @vdev: the device.
 * @mode: one of %VMMGMT_MODES_USER (the caller checked).
 *
 * Context: any.
 * Return: &vmmgmt_guest_modes.cnt of @mode.
 */
static inline struct vmmgmt_guest_mode_counters *
vmmgmt_guest_mode_cnt(struct vmmgmt_guest_dev *vdev, unsigned int mode)
{
	return &vdev->modes.cnt[mode];
}

/* vmmgmt_guest_link.c */
u32 vmmgmt_guest_link_refresh(struct vmmgmt_guest_dev *vdev);
int vmmgmt_guest_link_errno(u32 state);
void vmmgmt_guest_link_break(struct vmmgmt_guest_dev *vdev);
int vmmgmt_guest_link_reset(struct vmmgmt_guest_dev *vdev,
			    unsigned long timeout);
int vmmgmt_guest_link_bind(struct vmmgmt_guest_dev *vdev, bool resume);
bool vmmgmt_guest_link_unbind(struct vmmgmt_guest_dev *vdev);
u64 vmmgmt_guest_link_binds(bool resumed);
int vmmgmt_guest_send(struct vmmgmt_guest_dev *vdev,
		      const struct vmmgmt_rec *hdr, const void *data,
		      bool nonblock);
int vmmgmt_guest_send_credited(struct vmmgmt_guest_dev *vdev,
			       const struct vmmgmt_rec *hdr, const void *data,
			       bool nonblock);
int vmmgmt_guest_send_timeout(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_rec *hdr, const void *data,
			      unsigned long *timeout);
void vmmgmt_guest_answer_err(struct vmmgmt_guest_dev *vdev,
			     const struct vmmgmt_rec *req, u32 err);
void vmmgmt_guest_rx_work(struct work_struct *work);
void vmmgmt_guest_rx_poll(struct work_struct *work);
bool vmmgmt_guest_rx_kick(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_rx_shutdown(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_rx_resume(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_rx_port_bound(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_wake_all(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_flow.c */
void vmmgmt_guest_flow_init(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_flow_reset(struct vmmgmt_guest_dev *vdev);
int vmmgmt_guest_flow_rx(struct vmmgmt_guest_dev *vdev,
			 const struct vmmgmt_rec *hdr, const void *payload);
int vmmgmt_guest_flow_take(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, bool strict);
void vmmgmt_guest_flow_untake(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_rec *hdr);
bool vmmgmt_guest_flow_credit(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_addr *dst);
int vmmgmt_guest_flow_wait(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, bool nonblock);
unsigned int vmmgmt_guest_flow_count(struct vmmgmt_guest_dev *vdev);

/* vmmgmt_guest_watchdog.c */
void vmmgmt_guest_watch_arm(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_watch_init(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_watch_stop(struct vmmgmt_guest_dev *vdev);
void vmmgmt_guest_watch_pause(struct vmmgmt_guest_dev *vdev);
int vmmgmt_guest_watch_module_init(void);
void vmmgmt_guest_watch_module_exit(void);

#endif /* _VMMGMT_GUEST_H */
