// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the link, the channel to the host.  Follows the
 * link state in the region header, sets up the two rings at link-up,
 * resets and breaks the channel, posts records to the guest-to-host ring
 * (vmmgmt_guest_send(), the one send path of the module) and drains the
 * host-to-guest ring: chat records into the open files' receive queues,
 * records of the modes with a handler (&vmmgmt_guest_dev.rx_mode) to that
 * handler, stream segments to the stream layer (&vmmgmt_guest_dev.rx_stream)
 * and the host's notices to the flow control (vmmgmt_guest_flow.c).
 *
 * Owns: &vmmgmt_guest_dev's link, ring, rx and tx fields, the link errno
 * of read(), write() and control calls, the feature bits accepted.  May
 * call: the flow control (vmmgmt_guest_flow.c), the ring
 * (vmmgmt_guest_ring.c) and the stall watchdog (vmmgmt_guest_watchdog.c),
 * nothing above; the mode handlers it calls through
 * &vmmgmt_guest_dev.rx_mode, and the stream hooks (.rx_stream, .peer_gone,
 * .link_changed), are set when the device is allocated
 * (vmmgmt_guest_dev.c).
 *
 * The guest does not trust the host either: the ring layout is read from
 * the header once, at link-up, and checked against BAR2 before any ring
 * is touched; the consumer side of lib/vmmgmt_ring.c validates every
 * record; and records that are neither chat messages for this VM nor
 * answers to this module's control requests (names) are counted as
 * violations and dropped.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "vmmgmt_guest.h"

/* Records the rx work handles per batch before it yields the CPU. */
#define VMMGMT_GUEST_RX_BUDGET	64

/*
 * While the rx consumer lingers, it looks again at least this often
 * (jiffies: the timer rides on the tick, no timer of its own to program).
 */
#define VMMGMT_GUEST_RX_LINGER	1

/*
 * How long a resumed channel keeps the records an earlier driver instance
 * left in H2G for ports no file holds yet (&vmmgmt_guest_dev.rx_hold).
 */
#define VMMGMT_GUEST_RX_HOLD	(5 * HZ)

/* How long vmmgmt_guest_link_unbind() waits for the host to drain G2H. */
#define VMMGMT_GUEST_UNBIND_TIMEOUT	(2 * HZ)
/* ... looking this often (milliseconds). */
#define VMMGMT_GUEST_UNBIND_POLL_MS	10

/* Binds since the module was loaded, all devices: resumed, reset. */
static atomic64_t vmmgmt_guest_binds_resumed = ATOMIC64_INIT(0);
static atomic64_t vmmgmt_guest_binds_reset = ATOMIC64_INIT(0);

/**
 * vmmgmt_guest_wake_all() - wake every waiter of the device.
 * @vdev: the device.
 *
 * After a link change (or a new generation) or removal: writers (those
 * waiting for room and those waiting for credit for a destination),
 * readers and pollers re-check their condition and return the matching
 * error.  The streams learn of it first (&vmmgmt_guest_dev.link_changed).
 *
 * Context: process context; takes xa_lock(&@vdev->ports) and whatever
 * &vmmgmt_guest_dev.link_changed takes (spinlocks).
 */
void vmmgmt_guest_wake_all(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_ep *ep;

	if (vdev->link_changed)
		vdev->link_changed(vdev);
	wake_up_all(&vdev->tx_wq);
	wake_up_all(&vdev->flow.wq);
	wake_up_all(&vdev->ctrl_wq);
	xa_lock(&vdev->ports);
	list_for_each_entry(ep, &vdev->eps, node)
		wake_up_all(&ep->rx_wq);
	xa_unlock(&vdev->ports);
}

/**
 * vmmgmt_guest_link_errno() - the error read() and write() give for a link
 * that is not up.
 * @state: an &enum vmmgmt_link_state other than UP.
 *
 * Context: any.
 * Return: -ENOTCONN while no host module serves the region, -EPIPE once
 * the channel is broken (by the host, or because the guest saw the host
 * break a rule).
 */
int vmmgmt_guest_link_errno(u32 state)
{
	return state == VMMGMT_LINK_DOWN ? -ENOTCONN : -EPIPE;
}

/* A writer waiting for ring space looks again after this long. */
#define VMMGMT_GUEST_TX_RECHECK	msecs_to_jiffies(10)

/* Wake-up condition of a writer; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_tx_wakeup(struct vmmgmt_guest_dev *vdev, int seq)
{
	return atomic_read(&vdev->tx_seq) != seq || READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP;
}

/*
 * How vmmgmt_guest_post() waits for room: not at all, interruptibly for as
 * long as it takes, or uninterruptibly for a bounded time.
 */
enum vmmgmt_guest_tx_wait {
	VMMGMT_GUEST_TX_NOWAIT,
	VMMGMT_GUEST_TX_WAIT,
	VMMGMT_GUEST_TX_BOUNDED,
};

static int vmmgmt_guest_post(struct vmmgmt_guest_dev *vdev,
			     const struct vmmgmt_rec *hdr, const void *data,
			     enum vmmgmt_guest_tx_wait how,
			     unsigned long *timeout, bool credit);

/**
 * vmmgmt_guest_send() - post one record to the guest-to-host ring.
 * @vdev: the device.
 * @hdr: the record header, filled in by the caller: mode, flags, id, src,
 *	dst, and len, the length of @data.
 * @data: @hdr->len payload bytes.
 * @nonblock: fail with -EAGAIN instead of waiting for space.
 *
 * The one send path of the module: the character device's write(), the
 * names' control requests and the statistics collector's samples all
 * post through it.  A record is counted against its destination's credits
 * (ABI 0.7, vmmgmt_guest_flow_take()) before the host can see it; the
 * caller waited for credit if it may wait.  A posted record arms the stall
 * watchdog, and counts
 * in &vmmgmt_guest_counters.tx_msgs and tx_bytes unless it is a
 * statistics sample (the collector counts those in its own samples_sent).
 *
 * Rings the doorbell only when the host is not draining the ring.  To
 * wait for space it announces itself (prod_waiting), so that the host
 * interrupts it when it frees some; it notes the interrupt count before,
 * so an interrupt between the check and the sleep is not lost.  It also
 * looks again every %VMMGMT_GUEST_TX_RECHECK: a host that frees space without
 * the interrupt (the ring protocol asks for it, but a guest must not hang
 * on a host's bug) costs throughput, not a stuck writer.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed), dropped while sleeping and held again on return; or, with
 * @nonblock only, the rx work (&vmmgmt_guest_dev.rx_lock held, BAR2
 * mapped until remove cancels it).  Takes &vmmgmt_guest_dev.tx_lock.
 * Return: 0; -ENODEV if the device was removed while waiting; -ENOTCONN or
 * -EPIPE; -EMSGSIZE above the ring's maximum payload; -EAGAIN;
 * -ERESTARTSYS.
 */
int vmmgmt_guest_send(struct vmmgmt_guest_dev *vdev,
		      const struct vmmgmt_rec *hdr, const void *data,
		      bool nonblock)
{
	return vmmgmt_guest_post(vdev, hdr, data,
				 nonblock ? VMMGMT_GUEST_TX_NOWAIT :
					    VMMGMT_GUEST_TX_WAIT, NULL, false);
}

/**
 * vmmgmt_guest_send_credited() - post one record within its destination's
 * credit.
 * @vdev: the device.
 * @hdr: the record header, as for vmmgmt_guest_send().
 * @data: @hdr->len payload bytes.
 * @nonblock: fail with -EAGAIN instead of waiting for credit or space.
 *
 * For writers that may wait (a chat write(), a stream's data): waits for
 * credit for @hdr's destination (vmmgmt_guest_flow_wait()), then takes it
 * and posts in one step under the producer mutex, so that writers racing
 * for the same credit never take more than the window: one that finds it
 * gone waits again.  Records that take no credit are posted as by
 * vmmgmt_guest_send().
 *
 * Context: as vmmgmt_guest_send(), process context only.
 * Return: as vmmgmt_guest_send().
 */
int vmmgmt_guest_send_credited(struct vmmgmt_guest_dev *vdev,
			       const struct vmmgmt_rec *hdr, const void *data,
			       bool nonblock)
{
	int ret;

	for (;;) {
		ret = vmmgmt_guest_flow_wait(vdev, hdr, nonblock);
		if (ret)
			return ret;
		ret = vmmgmt_guest_post(vdev, hdr, data,
					nonblock ? VMMGMT_GUEST_TX_NOWAIT :
						   VMMGMT_GUEST_TX_WAIT,
					NULL, true);
		/* Only credit taken first by another writer says EAGAIN. */
		if (ret != -EAGAIN || nonblock)
			return ret;
	}
}

/**
 * vmmgmt_guest_send_timeout() - post one record, waiting a bounded time for
 * room.
 * @vdev: the device.
 * @hdr: the record header, as for vmmgmt_guest_send().
 * @data: @hdr->len payload bytes.
 * @timeout: jiffies it may wait for room in the ring, 0 not to wait;
 *	decreased by the time it waited.
 *
 * As vmmgmt_guest_send(), but the wait for room is uninterruptible and
 * ends after *@timeout: for close(), which must neither hang on a host
 * that does not drain the ring nor give up at the first signal.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed), dropped while sleeping and held again on return.  Takes
 * &vmmgmt_guest_dev.tx_lock.
 * Return: 0; -ETIMEDOUT when no room came within *@timeout (-EAGAIN when
 * it was 0); the other errors of vmmgmt_guest_send() but -ERESTARTSYS.
 */
int vmmgmt_guest_send_timeout(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_rec *hdr, const void *data,
			      unsigned long *timeout)
{
	if (!*timeout)
		return vmmgmt_guest_post(vdev, hdr, data,
					 VMMGMT_GUEST_TX_NOWAIT, NULL, false);
	return vmmgmt_guest_post(vdev, hdr, data, VMMGMT_GUEST_TX_BOUNDED,
				 timeout, false);
}

/*
 * vmmgmt_guest_post() - vmmgmt_guest_send() and vmmgmt_guest_send_timeout():
 * @how says how to wait for room; for VMMGMT_GUEST_TX_BOUNDED, *@timeout
 * jiffies at most, and *@timeout is decreased by the time waited.  With
 * @credit the record goes only within its destination's credit (-EAGAIN
 * without it, vmmgmt_guest_flow_take()).
 */
static int vmmgmt_guest_post(struct vmmgmt_guest_dev *vdev,
			     const struct vmmgmt_rec *hdr, const void *data,
			     enum vmmgmt_guest_tx_wait how,
			     unsigned long *timeout, bool credit)
{
	unsigned long deadline = 0, now;
	bool counted;
	long left;
	int ret, seq;

	if (how == VMMGMT_GUEST_TX_BOUNDED)
		deadline = jiffies + *timeout;
	for (;;) {
		mutex_lock(&vdev->tx_lock);
		if (vdev->link_state != VMMGMT_LINK_UP) {
			ret = vmmgmt_guest_link_errno(vdev->link_state);
			break;
		}
		seq = atomic_read(&vdev->tx_seq);
		/* Counted before the host can see it (and return it). */
		ret = vmmgmt_guest_flow_take(vdev, hdr, credit);
		if (ret < 0)
			break;
		counted = ret;
		ret = vmmgmt_ring_post(&vdev->tx, hdr, data);
		if (ret && counted)
			vmmgmt_guest_flow_untake(vdev, hdr);
		if (!ret) {
			trace_vmmgmt_guest_tx(vdev->vm_id, hdr);
			if (vmmgmt_ring_need_notify(&vdev->tx))
				vmmgmt_guest_doorbell(vdev);
			vmmgmt_guest_watch_arm(vdev);
			if (hdr->mode != VMMGMT_MODE_STATS) {
				atomic64_inc(&vdev->counters.tx_msgs);
				atomic64_add(hdr->len,
					     &vdev->counters.tx_bytes);
			}
			if (vmmgmt_guest_mode_user(hdr->mode)) {
				struct vmmgmt_guest_mode_counters *c;

				c = vmmgmt_guest_mode_cnt(vdev, hdr->mode);
				atomic64_inc(&c->tx_msgs);
				atomic64_add(hdr->len, &c->tx_bytes);
			}
			break;
		}
		if (ret == -EPROTO) {
			mutex_unlock(&vdev->tx_lock);
			vmmgmt_guest_link_break(vdev);
			ret = -EPIPE;
			goto out;
		}
		if (ret != -ENOSPC)
			break;
		if (how == VMMGMT_GUEST_TX_NOWAIT) {
			ret = -EAGAIN;
			break;
		}
		now = jiffies;
		if (how == VMMGMT_GUEST_TX_BOUNDED &&
		    time_after_eq(now, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		if (!vmmgmt_ring_prod_wait(&vdev->tx, hdr->len)) {
			mutex_unlock(&vdev->tx_lock);
			continue;
		}
		mutex_unlock(&vdev->tx_lock);

		up_read(&vdev->lock);
		ret = 0;
		if (how == VMMGMT_GUEST_TX_BOUNDED) {
			wait_event_timeout(vdev->tx_wq,
					   vmmgmt_guest_tx_wakeup(vdev, seq),
					   min(VMMGMT_GUEST_TX_RECHECK,
					       deadline - now));
		} else {
			left = wait_event_interruptible_timeout(vdev->tx_wq,
								vmmgmt_guest_tx_wakeup(vdev, seq),
								VMMGMT_GUEST_TX_RECHECK);
			if (left < 0)
				ret = -ERESTARTSYS;
		}
		down_read(&vdev->lock);
		if (vdev->removed)
			ret = -ENODEV;
		if (ret)
			goto out;
	}
	mutex_unlock(&vdev->tx_lock);
out:
	if (how == VMMGMT_GUEST_TX_BOUNDED) {
		now = jiffies;
		*timeout = time_before(now, deadline) ? deadline - now : 0;
	}
	return ret;
}

/**
 * vmmgmt_guest_answer_err() - answer a host record with an errno.
 * @vdev: the device.
 * @req: the record answered (a request: no %VMMGMT_REC_F_RESPONSE).
 * @err: the positive errno.
 *
 * The answer has @req's mode and id, goes from @req's destination to its
 * source, and carries %VMMGMT_REC_F_RESPONSE | %VMMGMT_REC_F_ERROR and
 * @err as a __u32.  It never waits: an answer that finds no room in the
 * ring is counted in the mode's errors and lost (the requester times
 * out).
 *
 * Context: the rx work (&vmmgmt_guest_dev.rx_lock held) or process
 * context with &vmmgmt_guest_dev.lock held for reading; takes
 * &vmmgmt_guest_dev.tx_lock.
 */
void vmmgmt_guest_answer_err(struct vmmgmt_guest_dev *vdev,
			     const struct vmmgmt_rec *req, u32 err)
{
	struct vmmgmt_rec ans = {
		.len = sizeof(err),
		.mode = req->mode,
		.flags = VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR,
		.id = req->id,
		.src = req->dst,
		.dst = req->src,
	};

	if (vmmgmt_guest_send(vdev, &ans, &err, true) &&
	    vmmgmt_guest_mode_user(req->mode))
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, req->mode)->errors);
}

/* [start, end) of an area of the region; end > start. */
struct vmmgmt_guest_area {
	u64 start;
	u64 end;
};

/**
 * vmmgmt_guest_check_layout() - check the host's ring descriptors against BAR2.
 * @vdev: the device.
 * @desc: private copies of the header's two descriptors.
 *
 * Each control block is 64-byte aligned, each data area 8-byte aligned
 * and a power of two of at least %VMMGMT_RING_MIN_DATA; every area lies
 * inside the region after the header, and no two areas overlap.
 *
 * Context: any context.
 * Return: true if the layout is safe to use.
 */
static bool vmmgmt_guest_check_layout(const struct vmmgmt_guest_dev *vdev,
				      const struct vmmgmt_ring_desc *desc)
{
	struct vmmgmt_guest_area area[4];
	unsigned int i, j;

	for (i = 0; i < 2; i++) {
		const struct vmmgmt_ring_desc *d = &desc[i];

		if (d->reserved || d->ctrl_offset % VMMGMT_CACHELINE ||
		    d->data_offset % VMMGMT_RING_ALIGN ||
		    d->data_size < VMMGMT_RING_MIN_DATA ||
		    !is_power_of_2(d->data_size))
			return false;
		area[2 * i].start = d->ctrl_offset;
		area[2 * i].end = (u64)d->ctrl_offset +
				  sizeof(struct vmmgmt_ring_ctrl);
		area[2 * i + 1].start = d->data_offset;
		area[2 * i + 1].end = (u64)d->data_offset + d->data_size;
	}
	for (i = 0; i < ARRAY_SIZE(area); i++) {
		if (area[i].start < sizeof(struct vmmgmt_region_header) ||
		    area[i].end > vdev->region_size)
			return false;
		for (j = 0; j < i; j++)
			if (area[i].start < area[j].end &&
			    area[j].start < area[i].end)
				return false;
	}
	return true;
}

/**
 * vmmgmt_guest_link_features() - negotiate the feature bits (ABI 0.3).
 * @vdev: the device; both rings were just set up.
 *
 * %VMMGMT_F_NOTIFY_AT offered by the host: the host's G2H consumer keeps
 * notify_at, so the doorbell is rung only when a post passes it.  The
 * guest's rx consumer keeps notify_at in any case (the ring code does), so
 * it accepts the bit whenever it is offered, and the host then interrupts
 * only when its posts pass the guest's notify_at.  The host clears the
 * accepted bits whenever it lays the region out, so this runs at every
 * ring setup.  &vmmgmt_guest_dev.features shows the result in sysfs.
 * %VMMGMT_F_MODES (ABI 0.6) is accepted whenever offered: the modes that
 * are on go into the header first (vmmgmt_guest_modes_publish()).
 * %VMMGMT_F_FLOW (ABI 0.7) is accepted whenever offered: the host's
 * notices go to vmmgmt_guest_flow_rx().  %VMMGMT_F_STREAM (ABI 0.7) too:
 * the streams take the segments (&vmmgmt_guest_dev.rx_stream).  Only the
 * bits of %VMMGMT_GUEST_FEATURES are ever accepted: a bit the ABI defines
 * but the module does not implement yet is left alone.
 *
 * Context: process context; @vdev->rx_lock and @vdev->tx_lock held; takes
 * &vmmgmt_guest_modes.lock.
 */
static void vmmgmt_guest_link_features(struct vmmgmt_guest_dev *vdev)
{
	u64 feat;

	feat = vmmgmt_guest_hdr_read64(vdev,
				       VMMGMT_GUEST_HDR_OFF(features_offered));
	feat &= VMMGMT_GUEST_FEATURES;
	vmmgmt_ring_use_notify_at(&vdev->tx, feat & VMMGMT_F_NOTIFY_AT);
	/*
	 * The modes before the bit that makes the host read them; from here
	 * on every change of a mode writes them too.
	 */
	WRITE_ONCE(vdev->features, feat);
	if (feat & VMMGMT_F_MODES)
		vmmgmt_guest_modes_publish(vdev);
	/* Pairs with the host reading features_accepted, then guest_modes. */
	smp_wmb();
	vmmgmt_guest_hdr_write32(vdev, VMMGMT_GUEST_HDR_OFF(features_accepted),
				 lower_32_bits(feat));
	vmmgmt_guest_hdr_write32(vdev,
				 VMMGMT_GUEST_HDR_OFF(features_accepted) + 4,
				 upper_32_bits(feat));
}

/*
 * Private copies of the header's two ring descriptors, each field read
 * once.  Context: any; BAR2 mapped.
 */
static void vmmgmt_guest_read_desc(struct vmmgmt_guest_dev *vdev,
				   struct vmmgmt_ring_desc *desc)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		size_t off = VMMGMT_GUEST_HDR_OFF(rings[i]);

		desc[i].ctrl_offset = vmmgmt_guest_hdr_read32(vdev, off);
		desc[i].data_offset = vmmgmt_guest_hdr_read32(vdev, off + 4);
		desc[i].data_size = vmmgmt_guest_hdr_read32(vdev, off + 8);
		desc[i].reserved = vmmgmt_guest_hdr_read32(vdev, off + 12);
	}
}

/**
 * vmmgmt_guest_link_setup() - set up both rings from the header.
 * @vdev: the device; the header said UP.
 *
 * Reads the descriptors once and checks them.  Each side adopts the index
 * it finds in shared memory rather than 0: the guest module may have been
 * unbound and bound again while the host kept the region (same
 * generation), and the host's private indexes are where the guest's
 * previous instance left them.  A fresh region has 0 there.  On a
 * channel vmmgmt_guest_link_bind() resumes, what H2G holds is held for the
 * files of this instance (&vmmgmt_guest_dev.rx_hold); otherwise records
 * left in the host-to-guest ring for ports nobody holds any more are
 * dropped and counted as they are drained.
 *
 * Context: process context; @vdev->rx_lock and @vdev->tx_lock held.
 * Return: %VMMGMT_LINK_UP, or %VMMGMT_LINK_BROKEN when the layout is bad.
 */
static u32 vmmgmt_guest_link_setup(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_ring_desc desc[2];
	const struct vmmgmt_ring_desc *g2h = &desc[VMMGMT_RING_G2H];
	const struct vmmgmt_ring_desc *h2g = &desc[VMMGMT_RING_H2G];
	struct vmmgmt_ring_ctrl *ctrl;

	vmmgmt_guest_read_desc(vdev, desc);
	/*
	 * Whatever the host held for us went with the old generation.  On a
	 * resumed channel (vmmgmt_guest_link_bind()) this instance has
	 * nothing in flight either: credits the host still owes the earlier
	 * instance find no entry and are ignored (vmmgmt_guest_flow_rx()).
	 */
	vmmgmt_guest_flow_reset(vdev);
	WRITE_ONCE(vdev->rx_hold, false);
	if (!vmmgmt_guest_check_layout(vdev, desc))
		goto bad;

	ctrl = vdev->region + g2h->ctrl_offset;
	if (vmmgmt_ring_init(&vdev->tx, ctrl, vdev->region + g2h->data_offset,
			     g2h->data_size) ||
	    vmmgmt_ring_prod_reset(&vdev->tx, READ_ONCE(ctrl->head)))
		goto bad;
	ctrl = vdev->region + h2g->ctrl_offset;
	if (vmmgmt_ring_init(&vdev->rx, ctrl, vdev->region + h2g->data_offset,
			     h2g->data_size) ||
	    vmmgmt_ring_cons_reset(&vdev->rx, READ_ONCE(ctrl->tail)))
		goto bad;
	vdev->rx_scan = READ_ONCE(ctrl->tail);
	if (vdev->resuming) {
		/* Checked sane by vmmgmt_guest_link_resumable(); a hint. */
		vdev->rx_hold_end = READ_ONCE(ctrl->head);
		vdev->rx_hold_bytes = vdev->rx_hold_end - vdev->rx.idx;
		vdev->rx_hold_until = jiffies + VMMGMT_GUEST_RX_HOLD;
		WRITE_ONCE(vdev->rx_hold, vdev->rx_hold_bytes &&
			   vdev->rx_hold_bytes <= h2g->data_size);
	}
	vmmgmt_guest_link_features(vdev);
	/* The new consumer is stopped: nothing to linger on. */
	WRITE_ONCE(vdev->rx_linger, false);
	return VMMGMT_LINK_UP;

bad:
	atomic64_inc(&vdev->counters.violations);
	trace_vmmgmt_guest_violation(VMMGMT_TRACE_VIOL_LAYOUT, 0);
	dev_err_ratelimited(&vdev->pdev->dev,
			    "bad ring layout: g2h %#x/%#x/%#x h2g %#x/%#x/%#x in %llu bytes\n",
			    g2h->ctrl_offset, g2h->data_offset, g2h->data_size,
			    h2g->ctrl_offset, h2g->data_offset, h2g->data_size,
			    vdev->region_size);
	return VMMGMT_LINK_BROKEN;
}

/**
 * vmmgmt_guest_hdr_link_state() - read the header's link state once.
 * @vdev: the device; BAR2 still mapped.
 *
 * An acquire read: the host writes the layout, the generation and the
 * reset acknowledgment before UP, so fields read after it are at least as
 * new.
 *
 * Context: any; does not sleep.
 * Return: the header's link_state.
 */
static u32 vmmgmt_guest_hdr_link_state(struct vmmgmt_guest_dev *vdev)
{
	/* Pairs with the host's smp_wmb() before it writes UP. */
	return le32_to_cpu(smp_load_acquire((__le32 *)(vdev->region +
					    VMMGMT_GUEST_HDR_OFF(link_state))));
}

/**
 * vmmgmt_guest_link_refresh() - follow the header's link state.
 * @vdev: the device; BAR2 still mapped.
 *
 * Cheap when nothing changed.  DOWN or BROKEN in the header take the link
 * down or break it; UP with a generation the rings were not set up for
 * sets them up (again).  A link the guest found broken stays broken until
 * the host reinitialises the region (a new generation).  While a reset the
 * guest asked for is pending, the link stays DOWN until the header says
 * UP with the request acknowledged (reset_ack), which the host writes
 * together with the new generation.  Waiters are woken on every change.
 *
 * Context: process context; may sleep; takes @vdev->rx_lock, then
 * @vdev->tx_lock, when the state changes.
 * Return: the resulting &enum vmmgmt_link_state.
 */
u32 vmmgmt_guest_link_refresh(struct vmmgmt_guest_dev *vdev)
{
	u32 hdr_state, gen, ack, state, old;
	bool new_gen = false;

	/*
	 * Generation and acknowledgment first: the host writes them after
	 * DOWN and before UP, so an UP read after them is not older than
	 * they are (no half-done reset is taken for a finished one).
	 */
	gen = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(generation));
	ack = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(reset_ack));
	/* Pairs with the host's smp_wmb() between DOWN and the header. */
	smp_rmb();
	hdr_state = vmmgmt_guest_hdr_link_state(vdev);

	/* A pending reset keeps the link DOWN: no fast path returns UP. */
	old = READ_ONCE(vdev->link_state);
	if (hdr_state == VMMGMT_LINK_UP && old != VMMGMT_LINK_DOWN &&
	    gen == READ_ONCE(vdev->link_gen))
		return old;
	if (hdr_state == VMMGMT_LINK_DOWN && old == VMMGMT_LINK_DOWN)
		return old;
	if (hdr_state != VMMGMT_LINK_UP && hdr_state != VMMGMT_LINK_DOWN &&
	    old == VMMGMT_LINK_BROKEN)
		return old;

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	old = vdev->link_state;
	if (vdev->reset_pending && hdr_state == VMMGMT_LINK_UP &&
	    ack == vdev->reset_req)
		vdev->reset_pending = false;
	if (vdev->reset_pending) {
		state = VMMGMT_LINK_DOWN;
	} else if (hdr_state == VMMGMT_LINK_UP) {
		if (old == VMMGMT_LINK_DOWN || gen != vdev->link_gen) {
			vdev->vm_id = vmmgmt_guest_hdr_read32(vdev,
							      VMMGMT_GUEST_HDR_OFF(vm_id));
			state = vmmgmt_guest_link_setup(vdev);
			new_gen = gen != vdev->link_gen;
			WRITE_ONCE(vdev->link_gen, gen);
		} else {
			state = old;
		}
	} else if (hdr_state == VMMGMT_LINK_DOWN) {
		state = VMMGMT_LINK_DOWN;
	} else {
		state = VMMGMT_LINK_BROKEN;
	}
	WRITE_ONCE(vdev->link_state, state);
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);

	if (state != old) {
		dev_info_ratelimited(&vdev->pdev->dev, "link %u -> %u (generation %u)\n",
				     old, state, gen);
		vmmgmt_guest_wake_all(vdev);
		if (state == VMMGMT_LINK_UP)
			vmmgmt_guest_rx_queue(vdev);
	} else if (new_gen) {
		/* Reset behind our back: streams of the old one are over. */
		vmmgmt_guest_wake_all(vdev);
	}
	return state;
}

/* Wait condition of vmmgmt_guest_link_reset(): the host acknowledged @req. */
static bool vmmgmt_guest_link_reset_done(struct vmmgmt_guest_dev *vdev, u32 req)
{
	u32 ack;

	if (!READ_ONCE(vdev->reset_pending))
		return true;
	/* The ack first, then UP: as in vmmgmt_guest_link_refresh(). */
	ack = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(reset_ack));
	/* Pairs with the host's smp_wmb() between DOWN and the header. */
	smp_rmb();
	return ack == req &&
	       vmmgmt_guest_hdr_link_state(vdev) == VMMGMT_LINK_UP;
}

/**
 * vmmgmt_guest_link_reset() - ask the host to reset the channel.
 * @vdev: the device; BAR0 and BAR2 still mapped (probe, or a sysfs store).
 * @timeout: jiffies to wait for the host's acknowledgment; 0 not to wait.
 *
 * Takes the link DOWN locally first, so that no writer and no rx batch
 * touches the rings while the host lays them out again, then writes a new
 * reset_request into the header (ABI 0.2) and rings the doorbell.  The
 * host answers with reset_ack equal to the request, a new generation and
 * UP, and an interrupt; vmmgmt_guest_link_refresh() then sets the rings up from
 * scratch.  Records in flight in either ring are lost, and readers and
 * writers of a link that is not up get their usual errors meanwhile.  With
 * no host serving the region (header DOWN) the request stays pending and
 * registration of the VM serves it.
 *
 * Context: process context; may sleep; takes @vdev->rx_lock, then
 * @vdev->tx_lock.
 * Return: 0 once the host acknowledged (and the link was refreshed);
 * -EOPNOTSUPP if the header's ABI is older than 0.2 (nothing is written);
 * -ENOTCONN if no host serves the region, or @timeout is 0; -ETIMEDOUT if
 * the host did not acknowledge within @timeout; -ERESTARTSYS on a signal.
 * In the last three cases the request stays pending.
 */
int vmmgmt_guest_link_reset(struct vmmgmt_guest_dev *vdev,
			    unsigned long timeout)
{
	u16 major, minor;
	u32 req, old, hdr_state;
	long ret;

	vmmgmt_guest_hdr_read_abi(vdev, &major, &minor);
	if (major != VMMGMT_ABI_MAJOR || minor < 2)
		return -EOPNOTSUPP;

	/* Whether a host serves the region, before it starts resetting. */
	hdr_state = vmmgmt_guest_hdr_link_state(vdev);

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	req = 1 + vmmgmt_guest_hdr_read32(vdev,
					  VMMGMT_GUEST_HDR_OFF(reset_request));
	/* Never the value the host acted on last: that would be no request. */
	if (req ==
	    vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(reset_ack)))
		req++;
	vdev->reset_req = req;
	vdev->reset_pending = true;
	old = vdev->link_state;
	WRITE_ONCE(vdev->link_state, VMMGMT_LINK_DOWN);
	/* Our rings are quiet (both locks held) before the host is asked. */
	smp_mb();
	vmmgmt_guest_hdr_write32(vdev, VMMGMT_GUEST_HDR_OFF(reset_request),
				 req);
	trace_vmmgmt_guest_reset(req);
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);

	if (old != VMMGMT_LINK_DOWN)
		vmmgmt_guest_wake_all(vdev);
	/* writel() orders the request before the doorbell. */
	vmmgmt_guest_doorbell(vdev);
	dev_info_ratelimited(&vdev->pdev->dev, "channel reset requested (%u)\n",
			     req);

	if (hdr_state == VMMGMT_LINK_DOWN || !timeout)
		return -ENOTCONN;
	ret = wait_event_interruptible_timeout(vdev->tx_wq,
					       vmmgmt_guest_link_reset_done(vdev, req),
					       timeout);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ETIMEDOUT;
	vmmgmt_guest_link_refresh(vdev);
	return 0;
}

/*
 * vmmgmt_guest_link_resumable() - whether the channel can be taken over as
 * it is: the header says UP with no reset pending (reset_request equal
 * to reset_ack), the layout checks out against BAR2
 * (vmmgmt_guest_check_layout()), and in each ring the head is aligned
 * and at most data_size bytes ahead of the tail.  Context: process
 * context (probe); BAR2 mapped; the link is DOWN.
 */
static bool vmmgmt_guest_link_resumable(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_ring_desc desc[2];
	const struct vmmgmt_ring_ctrl *ctrl;
	u32 head, tail, i;
	u16 major, minor;

	vmmgmt_guest_hdr_read_abi(vdev, &major, &minor);
	if (major != VMMGMT_ABI_MAJOR || minor < 2)
		return false;
	/* UP first: the host writes the rest before it (acquire). */
	if (vmmgmt_guest_hdr_link_state(vdev) != VMMGMT_LINK_UP)
		return false;
	if (vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(reset_request)) !=
	    vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(reset_ack)))
		return false;
	vmmgmt_guest_read_desc(vdev, desc);
	if (!vmmgmt_guest_check_layout(vdev, desc))
		return false;
	for (i = 0; i < 2; i++) {
		ctrl = vdev->region + desc[i].ctrl_offset;
		head = READ_ONCE(ctrl->head);
		tail = READ_ONCE(ctrl->tail);
		if ((head | tail) % VMMGMT_RING_ALIGN ||
		    head - tail > desc[i].data_size)
			return false;
	}
	return true;
}

/**
 * vmmgmt_guest_link_bind() - take the channel over at probe: resume it, or
 * reset it.
 * @vdev: the device being probed; its interrupts are set up, its node not
 *	yet registered.
 * @resume: an earlier driver instance let go of the channel in this boot
 *	(vmmgmt_guest_link_unbind() said so, and the PCI transport kept the
 *	mark); false for the first bind of a boot.
 *
 * Resumes when @resume and the channel checks out
 * (vmmgmt_guest_link_resumable()): the rings are set up at the positions
 * the header holds (the G2H producer's head, the H2G consumer's tail), no
 * reset is asked for, and the records waiting in H2G are delivered to the
 * files of this instance that bind their ports within
 * %VMMGMT_GUEST_RX_HOLD (&vmmgmt_guest_dev.rx_hold).  Otherwise asks the
 * host for a clean channel and waits for it, as vmmgmt_guest_link_reset()
 * does.  Counts the bind (vmmgmt_guest_link_binds()) and logs one line:
 * "bound: resumed the channel (H2G holds N bytes)" or "bound: reset the
 * channel".  Until it is called the rx work does nothing (the device was
 * allocated with &vmmgmt_guest_dev.rx_off set), so that an interrupt
 * pending from before the bind cannot set the rings up first.
 *
 * Context: process context (probe); may sleep; takes
 * &vmmgmt_guest_dev.rx_lock, then &vmmgmt_guest_dev.tx_lock.
 * Return: 0 when resumed, else what vmmgmt_guest_link_reset() returns.
 */
int vmmgmt_guest_link_bind(struct vmmgmt_guest_dev *vdev, bool resume)
{
	u32 state = VMMGMT_LINK_DOWN, bytes = 0;
	bool resumable = resume && vmmgmt_guest_link_resumable(vdev);

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	vdev->resuming = resumable;
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);
	/* From here on the rx work may set the rings up (allocation). */
	WRITE_ONCE(vdev->rx_off, false);
	if (resumable) {
		state = vmmgmt_guest_link_refresh(vdev);
		mutex_lock(&vdev->rx_lock);
		mutex_lock(&vdev->tx_lock);
		vdev->resuming = false;
		if (vdev->rx_hold)
			bytes = vdev->rx_hold_bytes;
		mutex_unlock(&vdev->tx_lock);
		mutex_unlock(&vdev->rx_lock);
	}
	if (state == VMMGMT_LINK_UP) {
		atomic64_inc(&vmmgmt_guest_binds_resumed);
		dev_info(&vdev->pdev->dev, "bound: resumed the channel (H2G holds %u bytes)\n",
			 bytes);
		return 0;
	}
	atomic64_inc(&vmmgmt_guest_binds_reset);
	dev_info(&vdev->pdev->dev, "bound: reset the channel\n");
	return vmmgmt_guest_link_reset(vdev, VMMGMT_GUEST_RESET_TIMEOUT);
}

/**
 * vmmgmt_guest_link_binds() - binds since the module was loaded.
 * @resumed: count the binds that resumed the channel, else those that
 *	reset it.
 *
 * Context: any.
 * Return: the count, over all devices.
 */
u64 vmmgmt_guest_link_binds(bool resumed)
{
	return atomic64_read(resumed ? &vmmgmt_guest_binds_resumed :
				       &vmmgmt_guest_binds_reset);
}

/* Counts a record of vmmgmt_guest_tx_pending(); @ctx is the count. */
static int vmmgmt_guest_tx_count(void *ctx, const struct vmmgmt_rec *hdr,
				 const void *payload)
{
	(*(u32 *)ctx)++;
	return 0;
}

/*
 * vmmgmt_guest_tx_pending() - the records the host has not consumed yet
 * in G2H, and their bytes (*@bytes).  Walks a private consumer view from
 * the host's tail to our head: nothing in shared memory is written.  A
 * tail that is not within the ring counts as nothing pending (0, and
 * *@bytes 0).  Context: &vmmgmt_guest_dev.tx_lock held, link UP.
 */
static u32 vmmgmt_guest_tx_pending(struct vmmgmt_guest_dev *vdev, u32 *bytes)
{
	struct vmmgmt_ring view;
	u32 n = 0, pos, tail;
	u64 scratch;

	/* Pairs with the host's release of its tail, as in the ring. */
	tail = smp_load_acquire(&vdev->tx.ctrl->tail);
	*bytes = vdev->tx.idx - tail;
	if (*bytes > vdev->tx.size || tail % VMMGMT_RING_ALIGN ||
	    vmmgmt_ring_init(&view, vdev->tx.ctrl, vdev->tx.data,
			     vdev->tx.size)) {
		*bytes = 0;
		return 0;
	}
	view.idx = tail;
	pos = tail;
	/* Each record takes at least a header: the walk is bounded. */
	vmmgmt_ring_scan(&view, &pos, vdev->tx.size / sizeof(struct vmmgmt_rec),
			 vmmgmt_guest_tx_count, &n, &scratch, 0);
	return n;
}

/*
 * vmmgmt_guest_link_host_state() - whether this instance leaves state at
 * the host that only a channel reset clears: a name a closing file could
 * not withdraw (withdrawals_lost), or a file still open with a published
 * name, a stream or a listener.  Context: removal (the files' ioctls
 * fail with ENODEV now, so the answer does not change); takes
 * xa_lock(&ports).
 */
static bool vmmgmt_guest_link_host_state(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_ep *ep;
	bool kept = false;

	if (atomic64_read(&vdev->counters.withdrawals_lost))
		return true;
	xa_lock(&vdev->ports);
	list_for_each_entry(ep, &vdev->eps, node) {
		if (READ_ONCE(ep->nr_names) || READ_ONCE(ep->stream) ||
		    READ_ONCE(ep->listener)) {
			kept = true;
			break;
		}
	}
	xa_unlock(&vdev->ports);
	return kept;
}

/**
 * vmmgmt_guest_link_unbind() - let go of the channel at remove, without
 * losing records.
 * @vdev: the device; its files are detached, sampling, the stall
 *	watchdog and the rx work are stopped (nothing posts any more), its
 *	interrupts are freed, BAR0 and BAR2 still mapped.
 *
 * Waits, at most %VMMGMT_GUEST_UNBIND_TIMEOUT, until the host consumed
 * everything this instance posted to G2H, ringing the doorbell once in
 * case the host sleeps.  Neither resets the channel nor touches H2G: the
 * records the host posted there and nobody consumed stay for the next
 * driver instance (vmmgmt_guest_link_bind()).  Logs one line: "unbound:
 * G2H drained (N records), H2G keeps M bytes", or, when the host did not
 * drain in time, how many records and bytes were left in G2H.
 *
 * Files still open (a sysfs unbind under a process that holds one; rmmod
 * waits for them) lose what their queues hold, but if one of them
 * published a name or is a stream or a listener, that stays with the
 * host, which only a reset withdraws, and so does a name a closed file
 * could not withdraw: then the next instance must reset the channel.
 *
 * Context: process context (remove); may sleep; takes
 * &vmmgmt_guest_dev.tx_lock and &vmmgmt_guest_dev.rx_lock, one at a time.
 * Return: true if the link was up to the end, in the same generation,
 * and no open file left names or streams with the host: the next
 * instance may resume the channel; false if it must reset it.
 */
bool vmmgmt_guest_link_unbind(struct vmmgmt_guest_dev *vdev)
{
	unsigned long deadline = jiffies + VMMGMT_GUEST_UNBIND_TIMEOUT;
	u32 records, left, bytes, keeps, gen, state;
	bool kept, up;

	kept = vmmgmt_guest_link_host_state(vdev);
	mutex_lock(&vdev->tx_lock);
	state = vdev->link_state;
	gen = vdev->link_gen;
	records = state == VMMGMT_LINK_UP ?
		  vmmgmt_guest_tx_pending(vdev, &bytes) : 0;
	mutex_unlock(&vdev->tx_lock);
	if (state != VMMGMT_LINK_UP) {
		dev_info(&vdev->pdev->dev, "unbound: link %u, not up: the next bind resets the channel\n",
			 state);
		return false;
	}

	if (bytes)
		vmmgmt_guest_doorbell(vdev);
	for (;;) {
		mutex_lock(&vdev->tx_lock);
		left = vmmgmt_guest_tx_pending(vdev, &bytes);
		mutex_unlock(&vdev->tx_lock);
		up = vmmgmt_guest_hdr_link_state(vdev) == VMMGMT_LINK_UP &&
		     vmmgmt_guest_hdr_read32(vdev,
					     VMMGMT_GUEST_HDR_OFF(generation)) == gen;
		if (!bytes || !up || time_after(jiffies, deadline))
			break;
		msleep(VMMGMT_GUEST_UNBIND_POLL_MS);
	}

	mutex_lock(&vdev->rx_lock);
	keeps = READ_ONCE(vdev->rx.ctrl->head) - vdev->rx.idx;
	mutex_unlock(&vdev->rx_lock);
	if (keeps > vdev->rx.size)
		keeps = 0;
	if (!up) {
		dev_info(&vdev->pdev->dev, "unbound: the channel went down or was reset meanwhile: the next bind resets it\n");
		return false;
	}
	if (!bytes)
		dev_info(&vdev->pdev->dev, "unbound: G2H drained (%u records), H2G keeps %u bytes\n",
			 records, keeps);
	else
		dev_warn(&vdev->pdev->dev, "unbound: G2H not drained within %u ms (%u of %u records, %u bytes left), H2G keeps %u bytes\n",
			 jiffies_to_msecs(VMMGMT_GUEST_UNBIND_TIMEOUT), left,
			 records, bytes, keeps);
	if (kept) {
		dev_info(&vdev->pdev->dev, "unbound: names or streams stay with the host (files still open, or withdrawals lost): the next bind resets the channel\n");
		return false;
	}
	return true;
}

/**
 * vmmgmt_guest_link_break() - the guest saw the host break a ring rule.
 * @vdev: the device.
 *
 * Called after a ring call returned -EPROTO.  The link stays broken until
 * the host reinitialises the region (a new generation), for example
 * after vmmgmt_guest_link_reset().
 *
 * Context: process context; takes @vdev->rx_lock, then @vdev->tx_lock, so
 * the caller holds neither.
 */
void vmmgmt_guest_link_break(struct vmmgmt_guest_dev *vdev)
{
	enum vmmgmt_ring_err err;
	bool changed;

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	err = vmmgmt_ring_error(&vdev->rx);
	if (err == VMMGMT_RING_OK)
		err = vmmgmt_ring_error(&vdev->tx);
	changed = vdev->link_state == VMMGMT_LINK_UP &&
		  err != VMMGMT_RING_OK;
	if (changed)
		WRITE_ONCE(vdev->link_state, VMMGMT_LINK_BROKEN);
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);

	if (!changed)
		return;
	atomic64_inc(&vdev->counters.violations);
	trace_vmmgmt_guest_violation(VMMGMT_TRACE_VIOL_RING, err);
	dev_err_ratelimited(&vdev->pdev->dev, "host broke a ring rule (%s), link broken\n",
			    vmmgmt_ring_err_name(err));
	vmmgmt_guest_wake_all(vdev);
}

/*
 * A host record that is not for this module: counted in violations and
 * dropped (consumed: returns 0).
 */
static int vmmgmt_guest_rx_bad(struct vmmgmt_guest_dev *vdev,
			       const struct vmmgmt_rec *hdr)
{
	atomic64_inc(&vdev->counters.violations);
	trace_vmmgmt_guest_violation(VMMGMT_TRACE_VIOL_RECORD, 0);
	trace_vmmgmt_guest_drop(hdr, EPROTO);
	dev_warn_ratelimited(&vdev->pdev->dev, "dropped host record: mode %u flags %#x to (%u, %u, %u)\n",
			     hdr->mode, hdr->flags, hdr->dst.host, hdr->dst.vm,
			     hdr->dst.port);
	return 0;
}

/* Whether a host record looks like a CREDIT notice (its length says). */
static bool vmmgmt_guest_rx_is_credit(const struct vmmgmt_rec *hdr)
{
	return hdr->mode == VMMGMT_MODE_CTRL && !hdr->flags &&
	       hdr->len == sizeof(struct vmmgmt_credit);
}

/*
 * vmmgmt_guest_rx_scan_one() - what the rx work does with a record it looks
 * at ahead of a stalled one: a CREDIT notice is taken now (its writers
 * need not wait for the stalled reader), the rest waits for its turn.
 */
static int vmmgmt_guest_rx_scan_one(void *ctx, const struct vmmgmt_rec *hdr,
				    const void *payload)
{
	if (payload && vmmgmt_guest_rx_is_credit(hdr))
		vmmgmt_guest_flow_rx(ctx, hdr, payload);
	return 0;
}

/*
 * vmmgmt_guest_rx_held() - whether the record at the consumer's tail is one
 * a resumed channel's earlier instance left in H2G
 * (&vmmgmt_guest_dev.rx_hold), and the hold lasts.  Context: the rx work,
 * &vmmgmt_guest_dev.rx_lock held.
 */
static bool vmmgmt_guest_rx_held(struct vmmgmt_guest_dev *vdev)
{
	return vdev->rx_hold && (s32)(vdev->rx.idx - vdev->rx_hold_end) < 0 &&
	       time_before(jiffies, vdev->rx_hold_until);
}

/*
 * vmmgmt_guest_rx_before() - whether the record at the consumer's tail was
 * posted for the earlier instance of a resumed channel, however long ago.
 * Context: as vmmgmt_guest_rx_held().
 */
static bool vmmgmt_guest_rx_before(struct vmmgmt_guest_dev *vdev)
{
	return vdev->rx_hold && (s32)(vdev->rx.idx - vdev->rx_hold_end) < 0;
}

/**
 * vmmgmt_guest_rx_deliver() - queue one host record to the file bound to its
 * port.
 * @ctx: the device.
 * @hdr: validated private copy of the record header.
 * @payload: private copy of its payload.
 *
 * A stream segment (%VMMGMT_REC_F_STREAM) for this VM goes to
 * &vmmgmt_guest_dev.rx_stream, and is a violation while there is none.  A
 * control answer goes to its handler in &vmmgmt_guest_dev.rx_mode
 * (vmmgmt_guest_names_rx()), a control notice (ABI 0.7: CREDIT,
 * PEER_GONE, without %VMMGMT_REC_F_RESPONSE) to the flow control
 * (vmmgmt_guest_flow_rx()).  Any other record that is not of a mode the
 * owner turns on and off (%VMMGMT_MODES_USER), for this VM, is a
 * violation.  A record of a mode that is off is refused: counted in the
 * mode's denials and, unless it is an answer itself, answered with
 * EPERM.  A record of a mode with a handler (stats: the host's requests
 * to the collector) goes to it; the others go to the file bound to their
 * port if that file is in their mode, and are dropped otherwise (as for
 * a port nobody holds), and answered with ECONNREFUSED if they are
 * requests (no %VMMGMT_REC_F_RESPONSE, no %VMMGMT_REC_F_ERROR), as the
 * host answers requests to its ports.  All of these are consumed.  An
 * error answer
 * (%VMMGMT_REC_F_ERROR, payload a __u32 errno) is queued as an error that
 * read() returns.  When the file's queue
 * is full the record stays in the ring and the batch ends: the reader
 * that makes room queues the rx work again; meanwhile the rx work takes
 * the CREDIT notices behind it (vmmgmt_guest_rx_scan_one()), and skips
 * them here when their turn comes (below &vmmgmt_guest_dev.rx_scan).
 * On a resumed channel (&vmmgmt_guest_dev.rx_hold), a record the earlier
 * driver instance left for a port no file holds stays in the ring the
 * same way until a file binds a port (vmmgmt_guest_rx_port_bound()) or the
 * hold ends; then it is dropped (and answered) as above.  Answers to the
 * earlier instance's control requests (its files' name withdrawals) are
 * dropped: nobody waits for them.
 *
 * Context: the rx work, @vdev->rx_lock held; takes xa_lock(&ports).
 * Return: 0 to consume the record, 1 to leave it in the ring.
 */
static int vmmgmt_guest_rx_deliver(void *ctx, const struct vmmgmt_rec *hdr,
				   const void *payload)
{
	struct vmmgmt_guest_dev *vdev = ctx;
	struct vmmgmt_guest_mode_counters *cnt;
	struct vmmgmt_guest_msg *msg;
	struct vmmgmt_guest_ep *ep;

	if (hdr->flags & VMMGMT_REC_F_STREAM) {
		if (!vdev->rx_stream || hdr->dst.host ||
		    hdr->dst.vm != vdev->vm_id)
			return vmmgmt_guest_rx_bad(vdev, hdr);
		return vdev->rx_stream(vdev, hdr, payload);
	}
	if (hdr->mode == VMMGMT_MODE_CTRL) {
		/* Taken already while the rx work was stalled before it. */
		if (vmmgmt_guest_rx_is_credit(hdr) &&
		    (s32)(vdev->rx.idx - vdev->rx_scan) < 0)
			return 0;
		if (!(hdr->flags & VMMGMT_REC_F_RESPONSE))
			return vmmgmt_guest_flow_rx(vdev, hdr, payload);
		/* Answers to the earlier instance's requests: nobody waits. */
		if (vmmgmt_guest_rx_before(vdev))
			return 0;
		return vdev->rx_mode[hdr->mode](vdev, hdr, payload);
	}
	if (!vmmgmt_guest_mode_user(hdr->mode) || hdr->dst.host ||
	    hdr->dst.vm != vdev->vm_id)
		return vmmgmt_guest_rx_bad(vdev, hdr);
	cnt = vmmgmt_guest_mode_cnt(vdev, hdr->mode);
	if (!vmmgmt_guest_mode_on(vdev, hdr->mode)) {
		atomic64_inc(&cnt->denials);
		trace_vmmgmt_guest_drop(hdr, EPERM);
		dev_dbg_ratelimited(&vdev->pdev->dev, "refused a %s record from (%u, %u, %u): the mode is off\n",
				    vmmgmt_mode_name(hdr->mode),
				    hdr->src.host, hdr->src.vm, hdr->src.port);
		if (!(hdr->flags & VMMGMT_REC_F_RESPONSE))
			vmmgmt_guest_answer_err(vdev, hdr, EPERM);
		return 0;
	}
	if (vdev->rx_mode[hdr->mode])
		return vdev->rx_mode[hdr->mode](vdev, hdr, payload);

	msg = kmalloc(struct_size(msg, data, hdr->len), GFP_KERNEL);
	if (!msg) {
		atomic64_inc(&vdev->counters.drops);
		atomic64_inc(&cnt->errors);
		trace_vmmgmt_guest_drop(hdr, ENOMEM);
		return 0;
	}
	msg->src = hdr->src;
	msg->err = 0;
	msg->len = hdr->len;
	msg->rec = *hdr;
	memcpy(msg->data, payload, hdr->len);
	if (hdr->flags & VMMGMT_REC_F_ERROR) {
		u32 err = EPROTO;

		/* The payload is a __u32 errno; anything else is EPROTO. */
		if (hdr->len == sizeof(err))
			memcpy(&err, payload, sizeof(err));
		msg->err = err && err < MAX_ERRNO ? err : EPROTO;
		msg->len = 0;
	}

	xa_lock(&vdev->ports);
	ep = xa_load(&vdev->ports, hdr->dst.port);
	if (!ep && vmmgmt_guest_rx_held(vdev)) {
		/* Left for a file of this instance: bind queues the work. */
		vdev->rx_stalled = true;
		xa_unlock(&vdev->ports);
		kfree(msg);
		return 1;
	}
	/* A stream or a listener reads no messages: they would pile up. */
	if (!ep || READ_ONCE(ep->mode) != hdr->mode ||
	    READ_ONCE(ep->stream) || READ_ONCE(ep->listener)) {
		xa_unlock(&vdev->ports);
		kfree(msg);
		atomic64_inc(&vdev->counters.drops);
		atomic64_inc(&cnt->errors);
		trace_vmmgmt_guest_drop(hdr, ECONNREFUSED);
		/* A request nobody takes: its sender learns, as from the host. */
		if (!(hdr->flags & (VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR)))
			vmmgmt_guest_answer_err(vdev, hdr, ECONNREFUSED);
		return 0;
	}
	if (ep->rxq_msgs &&
	    (ep->rxq_msgs >= VMMGMT_GUEST_RXQ_MAX_MSGS ||
	     ep->rxq_bytes + msg->len > VMMGMT_GUEST_RXQ_MAX_BYTES)) {
		vdev->rx_stalled = true;
		xa_unlock(&vdev->ports);
		kfree(msg);
		return 1;
	}
	list_add_tail(&msg->node, &ep->rxq);
	ep->rxq_msgs++;
	ep->rxq_bytes += msg->len;
	wake_up_interruptible_poll(&ep->rx_wq, EPOLLIN | EPOLLRDNORM);
	xa_unlock(&vdev->ports);

	atomic64_inc(&vdev->counters.rx_msgs);
	atomic64_add(hdr->len, &vdev->counters.rx_bytes);
	atomic64_inc(&cnt->rx_msgs);
	atomic64_add(hdr->len, &cnt->rx_bytes);
	return 0;
}

/*
 * vmmgmt_ring_drain()'s callback: vmmgmt_guest_rx_deliver(), and the
 * trace event of each record consumed.
 */
static int vmmgmt_guest_rx_one(void *ctx, const struct vmmgmt_rec *hdr,
			       const void *payload)
{
	struct vmmgmt_guest_dev *vdev = ctx;
	int ret = vmmgmt_guest_rx_deliver(vdev, hdr, payload);

	if (!ret)
		trace_vmmgmt_guest_rx(vdev->vm_id, hdr);
	return ret;
}

/**
 * vmmgmt_guest_rx_kick() - a reader ran dry: end the rx consumer's lingering.
 * @vdev: the device; not removed (&vmmgmt_guest_dev.lock held for reading).
 *
 * While the rx work lingers (&vmmgmt_guest_dev.rx_linger) the host does not
 * interrupt, so a reader about to sleep for want of a message queues the
 * rx work: it drains what the host posted meanwhile, or, finding
 * nothing, re-arms the interrupt before the reader's wait matters.
 *
 * Context: process context.
 * Return: true if the consumer lingered and the work was queued.
 */
bool vmmgmt_guest_rx_kick(struct vmmgmt_guest_dev *vdev)
{
	if (!READ_ONCE(vdev->rx_linger))
		return false;
	vmmgmt_guest_rx_queue(vdev);
	return true;
}

/**
 * vmmgmt_guest_rx_poll() - the lingering rx consumer's periodic look.
 * @work: &vmmgmt_guest_dev.rx_poll.work.
 *
 * Queues the rx work unless the device is going away
 * (&vmmgmt_guest_dev.rx_off).
 *
 * Context: process context (&vmmgmt_guest_wq).
 */
void vmmgmt_guest_rx_poll(struct work_struct *work)
{
	struct vmmgmt_guest_dev *vdev;

	vdev = container_of(to_delayed_work(work), struct vmmgmt_guest_dev,
			    rx_poll);

	if (!READ_ONCE(vdev->rx_off))
		vmmgmt_guest_rx_queue(vdev);
}

/**
 * vmmgmt_guest_rx_shutdown() - stop the rx work and its periodic look.
 * @vdev: the device; its interrupts are freed, and no reader queues the
 *	rx work any more (removed, or never registered); or a system sleep
 *	begins (user space is frozen), until vmmgmt_guest_rx_resume().
 *
 * Each of the two may queue the other, so a flag stops both first; then
 * each is cancelled, the look twice (a batch running at the first cancel
 * may have queued it again).  An interrupt that queues the rx work later
 * finds the flag and does nothing.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_guest_rx_shutdown(struct vmmgmt_guest_dev *vdev)
{
	WRITE_ONCE(vdev->rx_off, true);
	cancel_delayed_work_sync(&vdev->rx_poll);
	cancel_work_sync(&vdev->rx_work);
	cancel_delayed_work_sync(&vdev->rx_poll);
}

/**
 * vmmgmt_guest_rx_resume() - restart the rx work after a system sleep.
 * @vdev: the device; vmmgmt_guest_rx_shutdown() stopped its rx work.
 *
 * Looks at the header first: a host that reset the channel meanwhile is
 * a new generation, set up as usual (vmmgmt_guest_link_refresh()), and a
 * region whose G2H head is not the one this side left is set up again
 * too.  Then runs the rx work once: an interrupt may have come while it
 * was off.
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.rx_lock, then
 * &vmmgmt_guest_dev.tx_lock.
 */
void vmmgmt_guest_rx_resume(struct vmmgmt_guest_dev *vdev)
{
	bool changed = false;

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	/*
	 * Only this side writes the G2H head, but a region laid out anew
	 * (a restore from hibernation into a new QEMU) may carry the same
	 * generation: then take it over as at a bind, from what it holds.
	 */
	if (vdev->link_state == VMMGMT_LINK_UP &&
	    READ_ONCE(vdev->tx.ctrl->head) != vdev->tx.idx) {
		WRITE_ONCE(vdev->link_state, VMMGMT_LINK_DOWN);
		changed = true;
	}
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);
	if (changed)
		dev_info(&vdev->pdev->dev, "resume: not the region the link was set up in, setting it up again\n");
	WRITE_ONCE(vdev->rx_off, false);
	vmmgmt_guest_link_refresh(vdev);
	vmmgmt_guest_rx_queue(vdev);
}

/**
 * vmmgmt_guest_rx_port_bound() - a file bound a port.
 * @vdev: the device; not removed.
 *
 * While a resumed channel holds records for ports no file held yet
 * (&vmmgmt_guest_dev.rx_hold), the rx work looks at them again: they may
 * be for this port.
 *
 * Context: process context; takes xa_lock(&vmmgmt_guest_dev.ports).
 */
void vmmgmt_guest_rx_port_bound(struct vmmgmt_guest_dev *vdev)
{
	bool kick;

	if (!READ_ONCE(vdev->rx_hold))
		return;
	xa_lock(&vdev->ports);
	kick = vdev->rx_stalled;
	vdev->rx_stalled = false;
	xa_unlock(&vdev->ports);
	if (kick)
		vmmgmt_guest_rx_queue(vdev);
}

/**
 * vmmgmt_guest_rx_reader_waits() - whether a reader sleeps on an empty queue.
 * @vdev: the device.
 *
 * Such a reader could not ask a lingering consumer to look again: the rx
 * work must re-arm the interrupt instead of lingering.  Publishes
 * &vmmgmt_guest_dev.rx_linger first; the full barrier pairs with the one a
 * reader passes between queueing itself and reading the flag, so a reader
 * that goes to sleep right after is either seen here or kicks the work
 * (vmmgmt_guest_rx_kick()).
 *
 * Context: the rx work, @vdev->rx_lock held; takes xa_lock(&@vdev->ports).
 * Return: true if some endpoint with nothing queued has a waiter.
 */
static bool vmmgmt_guest_rx_reader_waits(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_ep *ep;
	bool waits = false;

	WRITE_ONCE(vdev->rx_linger, true);
	/* flag store before the waiters are looked at; see above */
	smp_mb();
	xa_lock(&vdev->ports);
	list_for_each_entry(ep, &vdev->eps, node) {
		/* Lockless: the smp_mb() above pairs with the waiter's. */
		if (!ep->rxq_msgs && waitqueue_active(&ep->rx_wq)) {
			waits = true;
			break;
		}
	}
	xa_unlock(&vdev->ports);
	return waits;
}

/**
 * vmmgmt_guest_rx_work() - drain the host-to-guest ring, one bounded batch.
 * @work: &vmmgmt_guest_dev.rx_work.
 *
 * Re-checks the link first (the interrupt that queued it may announce
 * link-up).  Marks the consumer running while it drains, so the host
 * does not interrupt; a full batch queues the work again instead of
 * looping, and so does a head that moved while stopping.  Notifies the
 * host when it waits for space that this batch freed.
 *
 * NAPI-like lingering: a batch that found several records (the host
 * streams answers), or any record while lingering already, leaves the
 * consumer marked running instead of re-arming the interrupt, and the
 * work looks again when a reader runs dry (vmmgmt_guest_rx_kick()) or after
 * %VMMGMT_GUEST_RX_LINGER, whichever comes first.  It does not linger while a
 * reader already sleeps on an empty queue (vmmgmt_guest_rx_reader_waits()), nor
 * when the host waited for room in the ring (large records fill it): the
 * host's refill must be drained when it comes, not when a reader ran dry.
 * The first look that finds nothing stops the consumer: an idle VM lingers
 * at most once, and one message at a time (one record per batch) never
 * lingers.
 *
 * Context: process context (&vmmgmt_guest_wq); takes @vdev->rx_lock,
 * and xa_lock(&@vdev->ports) inside it.
 */
void vmmgmt_guest_rx_work(struct work_struct *work)
{
	struct vmmgmt_guest_dev *vdev =
		container_of(work, struct vmmgmt_guest_dev, rx_work);
	bool again = false, broken = false, linger = false, stalled;
	unsigned long hold = 0;
	bool host_waits;
	int n;

	/* Removal or a system sleep: a late interrupt's queueing. */
	if (READ_ONCE(vdev->rx_off))
		return;
	if (vmmgmt_guest_link_refresh(vdev) != VMMGMT_LINK_UP)
		return;

	mutex_lock(&vdev->rx_lock);
	if (vdev->link_state != VMMGMT_LINK_UP)
		goto unlock;
	if (vdev->rx_hold) {
		/* Held records are looked at again: a port may be bound. */
		xa_lock(&vdev->ports);
		vdev->rx_stalled = false;
		xa_unlock(&vdev->ports);
	}

	vmmgmt_ring_cons_start(&vdev->rx);
	n = vmmgmt_ring_drain(&vdev->rx, VMMGMT_GUEST_RX_BUDGET,
			      vmmgmt_guest_rx_one, vdev, vdev->rx_buf,
			      VMMGMT_MSG_MAX);
	if (n < 0) {
		/* -EPROTO; -EMSGSIZE cannot happen with a maximal buffer. */
		broken = true;
		goto unlock;
	}
	/* The host waits for room: its refill is drained on its interrupt. */
	host_waits = vmmgmt_ring_cons_need_notify(&vdev->rx);
	if (host_waits)
		vmmgmt_guest_doorbell(vdev);

	xa_lock(&vdev->ports);
	stalled = vdev->rx_stalled;
	xa_unlock(&vdev->ports);
	/*
	 * The CREDIT notices behind a stalled record are taken now, so that
	 * one file that does not read does not stop every writer.
	 */
	if (stalled &&
	    vmmgmt_ring_scan(&vdev->rx, &vdev->rx_scan, UINT_MAX,
			     vmmgmt_guest_rx_scan_one, vdev, vdev->rx_buf,
			     sizeof(struct vmmgmt_credit)) < 0) {
		broken = true;
		goto unlock;
	}
	/* What was looked at stays within a ring of the tail. */
	if ((s32)(vdev->rx.idx - vdev->rx_scan) > 0)
		vdev->rx_scan = vdev->rx.idx;
	if (vdev->rx_hold && (s32)(vdev->rx.idx - vdev->rx_hold_end) >= 0)
		WRITE_ONCE(vdev->rx_hold, false);
	/*
	 * Held records wait for a bind, or for the end of the hold.  Not a
	 * second look at the clock: a hold that ended since the record was
	 * left must still bring the work back, at once.
	 */
	if (stalled && vdev->rx_hold && (s32)(vdev->rx.idx - vdev->rx_hold_end) < 0)
		hold = max_t(long, (long)(vdev->rx_hold_until - jiffies), 1);
	if (stalled)
		/* A reader queues the work when it makes room. */
		vmmgmt_ring_cons_stop(&vdev->rx);
	else if (n == VMMGMT_GUEST_RX_BUDGET)
		again = true;
	else if ((n > 1 || (n && vdev->rx_linger)) && !host_waits &&
		 !vmmgmt_guest_rx_reader_waits(vdev))
		linger = true;
	else
		again = vmmgmt_ring_cons_stop(&vdev->rx);
	if (vdev->rx_linger)
		atomic64_inc(&vdev->counters.rx_polls);
	WRITE_ONCE(vdev->rx_linger, linger);
unlock:
	mutex_unlock(&vdev->rx_lock);
	if (broken)
		vmmgmt_guest_link_break(vdev);
	else if (again)
		vmmgmt_guest_rx_queue(vdev);
	else if (linger && !READ_ONCE(vdev->rx_off))
		queue_delayed_work(vmmgmt_guest_wq, &vdev->rx_poll,
				   VMMGMT_GUEST_RX_LINGER);
	else if (hold && !READ_ONCE(vdev->rx_off))
		mod_delayed_work(vmmgmt_guest_wq, &vdev->rx_poll, hold);
	else if (!linger)
		/* Stopped: the interrupt is armed, no look is due. */
		cancel_delayed_work(&vdev->rx_poll);
}
