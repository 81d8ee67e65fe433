// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: flow control per destination (ABI 0.7,
 * %VMMGMT_F_FLOW).  A host that accepted the bit never leaves a record of
 * this guest in the guest-to-host ring for want of room at its
 * destination: it holds it aside.  So that what it holds stays small,
 * the guest keeps to credits: at most %VMMGMT_FLOW_WINDOW_MSGS records
 * and %VMMGMT_FLOW_WINDOW_BYTES bytes in flight per destination ((0, vm,
 * 0) for every port of a VM, (0, 0, port) for a host endpoint;
 * lib/vmmgmt_flow.h says which records count), to at most
 * %VMMGMT_FLOW_DESTS destinations at once.  The send path counts each
 * record before the host can see it (vmmgmt_guest_flow_take()), the
 * host's %VMMGMT_CTRL_CREDIT notices give them back
 * (vmmgmt_guest_flow_rx(), from the rx work), and a chat or stream writer
 * waits for credit for its own destination only
 * (vmmgmt_guest_flow_wait()): writers to other destinations are never
 * held up by it.  Records that must not wait (answers, a stream's
 * acknowledgements and resets) are counted too, past the window if need
 * be.  A PEER_GONE notice forgets the destinations at the gone address
 * and is handed to the stream layer (&vmmgmt_guest_dev.peer_gone).  The
 * table belongs to one ring setup: vmmgmt_guest_flow_reset() empties it
 * at each.
 *
 * Owns: &vmmgmt_guest_dev.flow and the flow_* counters.  May call:
 * nothing of the module but &vmmgmt_guest_dev.peer_gone, set at
 * allocation; it wakes its waiters through &vmmgmt_guest_flow.wq, which
 * the link wakes on every link change and removal too.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "vmmgmt_guest.h"

/**
 * vmmgmt_guest_flow_init() - set up the flow control of a new device.
 * @vdev: the device, being allocated.
 *
 * Context: process context.
 */
void vmmgmt_guest_flow_init(struct vmmgmt_guest_dev *vdev)
{
	spin_lock_init(&vdev->flow.lock);
	init_waitqueue_head(&vdev->flow.wq);
	vdev->flow.nr = 0;
}

/**
 * vmmgmt_guest_flow_reset() - give every credit back.
 * @vdev: the device.
 *
 * At each ring setup (a new link generation): the host reset the channel
 * and dropped what it held, so nothing is in flight any more.  Wakes the
 * writers that waited.
 *
 * Context: process context or the rx work; takes &vmmgmt_guest_flow.lock.
 */
void vmmgmt_guest_flow_reset(struct vmmgmt_guest_dev *vdev)
{
	spin_lock(&vdev->flow.lock);
	WRITE_ONCE(vdev->flow.nr, 0);
	spin_unlock(&vdev->flow.lock);
	wake_up_all(&vdev->flow.wq);
}

/* Index of @key in the table, or -1.  Context: flow.lock held. */
static int vmmgmt_guest_flow_find(struct vmmgmt_guest_flow *flow,
				  const struct vmmgmt_addr *key)
{
	unsigned int i;

	for (i = 0; i < flow->nr; i++)
		if (flow->dst[i].key.vm == key->vm &&
		    flow->dst[i].key.port == key->port)
			return i;
	return -1;
}

/* Drop entry @i (the last one takes its place).  Context: flow.lock held. */
static void vmmgmt_guest_flow_del(struct vmmgmt_guest_flow *flow,
				  unsigned int i)
{
	unsigned int last = flow->nr - 1;

	flow->dst[i] = flow->dst[last];
	/* Lockless readers peek at nr (vmmgmt_guest_flow_credit()). */
	WRITE_ONCE(flow->nr, last);
}

/* Whether @d's destination is out of credit. */
static bool vmmgmt_guest_flow_spent(const struct vmmgmt_guest_flow_dest *d)
{
	return d->msgs >= VMMGMT_FLOW_WINDOW_MSGS ||
	       d->bytes >= VMMGMT_FLOW_WINDOW_BYTES;
}

/* Whether the device keeps to credits: the host and the guest said so. */
static bool vmmgmt_guest_flow_on(struct vmmgmt_guest_dev *vdev)
{
	return READ_ONCE(vdev->features) & VMMGMT_F_FLOW;
}

/**
 * vmmgmt_guest_flow_credit() - whether a write to a destination may go.
 * @vdev: the device.
 * @dst: the destination of a write (a file's VMMGMT_IOC_CONNECT address,
 *	or a stream's peer).
 *
 * Context: process context or the rx work; takes &vmmgmt_guest_flow.lock.
 * Return: true if the guest does not keep to credits, or if it has
 * fewer than %VMMGMT_FLOW_WINDOW_MSGS records and
 * %VMMGMT_FLOW_WINDOW_BYTES bytes in flight to @dst's destination and (if
 * none) fewer than %VMMGMT_FLOW_DESTS destinations with records in flight.
 */
bool vmmgmt_guest_flow_credit(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_addr *dst)
{
	struct vmmgmt_guest_flow *flow = &vdev->flow;
	struct vmmgmt_addr key;
	bool ok;
	int at;

	/* Lockless peek first: nothing in flight is the common case. */
	if (!READ_ONCE(flow->nr) || !vmmgmt_guest_flow_on(vdev))
		return true;
	vmmgmt_flow_key(dst, &key);
	spin_lock(&flow->lock);
	at = vmmgmt_guest_flow_find(flow, &key);
	if (at < 0)
		ok = flow->nr < VMMGMT_FLOW_DESTS;
	else
		ok = !vmmgmt_guest_flow_spent(&flow->dst[at]);
	spin_unlock(&flow->lock);
	return ok;
}

/**
 * vmmgmt_guest_flow_count() - destinations with records in flight (sysfs).
 * @vdev: the device.
 *
 * Context: any.
 * Return: the number of entries in the table.
 */
unsigned int vmmgmt_guest_flow_count(struct vmmgmt_guest_dev *vdev)
{
	return READ_ONCE(vdev->flow.nr);
}

/**
 * vmmgmt_guest_flow_take() - count a record about to be posted.
 * @vdev: the device.
 * @hdr: the record.
 * @strict: take only within the credit (vmmgmt_guest_flow_credit()):
 *	for writers that wait for it.
 *
 * Counts it against its destination if the device keeps to credits and
 * the record takes one (vmmgmt_flow_counted()), before the host can see
 * it, so that its credit never comes back first.  Records that may not
 * wait (answers, a stream's acknowledgements and resets) are counted
 * past the window; with %VMMGMT_FLOW_DESTS destinations in flight
 * already they go uncounted, counted in flow_overflows instead.
 *
 * Context: process context or the rx work; &vmmgmt_guest_dev.tx_lock
 * held; takes &vmmgmt_guest_flow.lock.
 * Return: 1 if counted (vmmgmt_guest_flow_untake() if it is not posted
 * after all); 0 if not; -EAGAIN if @strict and there is no credit
 * (nothing counted).
 */
int vmmgmt_guest_flow_take(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, bool strict)
{
	struct vmmgmt_guest_flow *flow = &vdev->flow;
	struct vmmgmt_addr key;
	int counted = 1;
	int at;

	if (!vmmgmt_guest_flow_on(vdev) || !vmmgmt_flow_counted(hdr))
		return 0;
	vmmgmt_flow_key(&hdr->dst, &key);
	spin_lock(&flow->lock);
	at = vmmgmt_guest_flow_find(flow, &key);
	if (strict && (at < 0 ? flow->nr >= VMMGMT_FLOW_DESTS :
				vmmgmt_guest_flow_spent(&flow->dst[at]))) {
		spin_unlock(&flow->lock);
		return -EAGAIN;
	}
	if (at < 0 && flow->nr < VMMGMT_FLOW_DESTS) {
		at = flow->nr;
		flow->dst[at].key = key;
		flow->dst[at].msgs = 0;
		flow->dst[at].bytes = 0;
		WRITE_ONCE(flow->nr, flow->nr + 1);
	}
	if (at >= 0) {
		flow->dst[at].msgs++;
		flow->dst[at].bytes += hdr->len;
	} else {
		counted = 0;
	}
	spin_unlock(&flow->lock);
	if (!counted)
		atomic64_inc(&vdev->counters.flow_overflows);
	return counted;
}

/*
 * Give back @msgs records and @bytes bytes to @key; the entry goes when
 * nothing is in flight any more.  Credits for a destination not in the
 * table (forgotten at PEER_GONE, or never counted) are ignored, and a
 * credit larger than what is in flight takes it to zero, never below:
 * the count cannot underflow, whatever the host sends.  That covers a
 * resumed channel too (vmmgmt_guest_link_bind()): the host may still owe
 * the earlier driver instance credits, which this instance never
 * counted.  For a destination this instance has not written to they are
 * ignored; for one it has, they return its credit early, so that it may
 * have up to one earlier window more in flight there until the first
 * time nothing is in flight (the entry goes, the rest is ignored): the
 * host's held queue limit (ENOBUFS past it) bounds what that costs.
 * Returns
 * 0 if the destination was not known, 1 if it was, 2 if writers may wait
 * for this credit: the destination was out of credit and is not any
 * more, or the table was full and has room now.  Context: flow.lock
 * held.
 */
static int vmmgmt_guest_flow_give(struct vmmgmt_guest_flow *flow,
				  const struct vmmgmt_addr *key, u32 msgs,
				  u64 bytes)
{
	struct vmmgmt_guest_flow_dest *d;
	int at = vmmgmt_guest_flow_find(flow, key);
	bool spent, full = flow->nr >= VMMGMT_FLOW_DESTS;

	if (at < 0)
		return 0;
	d = &flow->dst[at];
	spent = vmmgmt_guest_flow_spent(d);
	d->msgs -= min(d->msgs, msgs);
	d->bytes -= min_t(u64, d->bytes, bytes);
	if (!d->msgs) {
		vmmgmt_guest_flow_del(flow, at);
		return spent || full ? 2 : 1;
	}
	return spent && !vmmgmt_guest_flow_spent(d) ? 2 : 1;
}

/**
 * vmmgmt_guest_flow_untake() - a record counted was not posted after all.
 * @vdev: the device.
 * @hdr: the record vmmgmt_guest_flow_take() counted.
 *
 * Context: as vmmgmt_guest_flow_take().
 */
void vmmgmt_guest_flow_untake(struct vmmgmt_guest_dev *vdev,
			      const struct vmmgmt_rec *hdr)
{
	struct vmmgmt_addr key;
	int given;

	vmmgmt_flow_key(&hdr->dst, &key);
	spin_lock(&vdev->flow.lock);
	given = vmmgmt_guest_flow_give(&vdev->flow, &key, 1, hdr->len);
	spin_unlock(&vdev->flow.lock);
	if (given == 2)
		wake_up_all(&vdev->flow.wq);
}

/* Wake-up condition of a writer; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_flow_woken(struct vmmgmt_guest_dev *vdev,
				    const struct vmmgmt_addr *dst, u32 gen)
{
	return READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP ||
	       READ_ONCE(vdev->link_gen) != gen ||
	       vmmgmt_guest_flow_credit(vdev, dst);
}

/**
 * vmmgmt_guest_flow_wait() - wait for credit for a record's destination.
 * @vdev: the device.
 * @hdr: the record about to be written.
 * @nonblock: fail with -EAGAIN instead of waiting.
 *
 * Returns at once when the record takes no credit
 * (vmmgmt_flow_counted()) or the guest has credit for its destination
 * (vmmgmt_guest_flow_credit()); the caller takes it when it posts
 * (vmmgmt_guest_send_credited()).  Otherwise counts the write in
 * &vmmgmt_guest_counters.flow_waits and sleeps until the host returns
 * credit for it, PEER_GONE for it, a link change (a new generation gives
 * every credit back; a link that is not up makes the send fail with its
 * errno) or removal.  Only writers to @dst wait: the ring and other
 * destinations are not held up.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed), dropped while sleeping and held again on return.
 * Return: 0 to go on and send; -EAGAIN; -ENODEV if the device was removed
 * while waiting; -ERESTARTSYS.
 */
int vmmgmt_guest_flow_wait(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, bool nonblock)
{
	const struct vmmgmt_addr *dst = &hdr->dst;
	u32 gen;
	int ret;

	if (!vmmgmt_flow_counted(hdr) || vmmgmt_guest_flow_credit(vdev, dst))
		return 0;
	atomic64_inc(&vdev->counters.flow_waits);
	if (nonblock)
		return -EAGAIN;
	gen = READ_ONCE(vdev->link_gen);
	/* Another writer may have taken the credit first: wait on. */
	do {
		up_read(&vdev->lock);
		ret = wait_event_interruptible(vdev->flow.wq,
					       vmmgmt_guest_flow_woken(vdev, dst,
								       gen));
		down_read(&vdev->lock);
		if (vdev->removed)
			return -ENODEV;
		if (ret)
			return -ERESTARTSYS;
	} while (!vmmgmt_guest_flow_woken(vdev, dst, gen));
	return 0;
}

/**
 * vmmgmt_guest_flow_addr_ok() - check the address of a notice.
 * @a: the destination a notice is about.
 *
 * Context: any.
 * Return: true for (0, 0, port) with a port, or (0, vm, 0) with a VM.
 */
static bool vmmgmt_guest_flow_addr_ok(const struct vmmgmt_addr *a)
{
	if (a->host || a->reserved)
		return false;
	return a->vm ? !a->port : !!a->port;
}

/**
 * vmmgmt_guest_flow_notice_ok() - check a host notice.
 * @vdev: the device.
 * @hdr: validated private copy of a %VMMGMT_MODE_CTRL record header
 *	without %VMMGMT_REC_F_RESPONSE.
 * @payload: private copy of its payload.
 * @ctrl: filled in with a PEER_GONE notice.
 * @credit: filled in with a CREDIT notice.
 *
 * A notice comes from (0, 0, 0) to (0, vm_id, 0) with flags 0 and id 0,
 * only to a guest that accepted %VMMGMT_F_FLOW, and is either a &struct
 * vmmgmt_credit (op CREDIT, at least one record, a well-formed
 * destination: vmmgmt_guest_flow_addr_ok()) or a &struct vmmgmt_ctrl
 * (op PEER_GONE, reserved zero, a name all zero and a well-formed
 * address).
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held.
 * Return: the notice's op, or 0 if it is malformed.
 */
static u32 vmmgmt_guest_flow_notice_ok(struct vmmgmt_guest_dev *vdev,
				       const struct vmmgmt_rec *hdr,
				       const void *payload,
				       struct vmmgmt_ctrl *ctrl,
				       struct vmmgmt_credit *credit)
{
	static const struct vmmgmt_addr host = { };
	const struct vmmgmt_name *n = &ctrl->name;

	if (!(vdev->features & VMMGMT_F_FLOW) || hdr->flags || hdr->id ||
	    memcmp(&hdr->src, &host, sizeof(host)) || hdr->dst.host ||
	    hdr->dst.vm != vdev->vm_id || hdr->dst.port ||
	    hdr->dst.reserved)
		return 0;
	if (hdr->len == sizeof(*credit)) {
		memcpy(credit, payload, sizeof(*credit));
		if (credit->op != VMMGMT_CTRL_CREDIT || !credit->msgs ||
		    !vmmgmt_guest_flow_addr_ok(&credit->dst))
			return 0;
		return VMMGMT_CTRL_CREDIT;
	}
	if (hdr->len != sizeof(*ctrl))
		return 0;
	memcpy(ctrl, payload, sizeof(*ctrl));
	if (ctrl->op != VMMGMT_CTRL_PEER_GONE || ctrl->reserved ||
	    n->flags || n->reserved ||
	    memchr_inv(n->name, 0, sizeof(n->name)) ||
	    !vmmgmt_guest_flow_addr_ok(&n->addr))
		return 0;
	return VMMGMT_CTRL_PEER_GONE;
}

/**
 * vmmgmt_guest_flow_rx() - take a notice from the host.
 * @vdev: the device.
 * @hdr: validated private copy of a %VMMGMT_MODE_CTRL record header
 *	without %VMMGMT_REC_F_RESPONSE.
 * @payload: private copy of its payload.
 *
 * CREDIT gives back what it says to its destination (credits for a
 * destination not in the table are ignored) and wakes the writers that
 * wait only if the destination was out of credit (or the table full):
 * credit for a destination nobody waits for wakes nobody.  PEER_GONE
 * forgets the destination and, for a VM, every entry of that VM, calls
 * &vmmgmt_guest_dev.peer_gone and wakes the writers.  A
 * malformed notice (vmmgmt_guest_flow_notice_ok()) is counted in
 * violations and dropped, like any bad host record; the channel goes on.
 * A guest never answers a notice.
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held; takes
 * &vmmgmt_guest_flow.lock.
 * Return: 0 (the record is always consumed).
 */
int vmmgmt_guest_flow_rx(struct vmmgmt_guest_dev *vdev,
			 const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_guest_flow *flow = &vdev->flow;
	const struct vmmgmt_addr *a = NULL;
	struct vmmgmt_credit credit;
	struct vmmgmt_ctrl ctrl;
	unsigned int i;
	int given = 0;
	u32 op;

	op = vmmgmt_guest_flow_notice_ok(vdev, hdr, payload, &ctrl, &credit);
	if (!op) {
		atomic64_inc(&vdev->counters.violations);
		dev_warn_ratelimited(&vdev->pdev->dev, "bad control notice: flags %#x id %llu len %u from (%u, %u, %u)\n",
				     hdr->flags, hdr->id, hdr->len,
				     hdr->src.host, hdr->src.vm, hdr->src.port);
		return 0;
	}

	spin_lock(&flow->lock);
	if (op == VMMGMT_CTRL_CREDIT) {
		given = vmmgmt_guest_flow_give(flow, &credit.dst, credit.msgs,
					       credit.bytes);
		if (!given)
			dev_dbg_ratelimited(&vdev->pdev->dev, "credit for (0, %u, %u) not in flight\n",
					    credit.dst.vm, credit.dst.port);
	} else {
		a = &ctrl.name.addr;
		for (i = 0; i < flow->nr;) {
			if (flow->dst[i].key.vm == a->vm &&
			    (a->vm || flow->dst[i].key.port == a->port))
				vmmgmt_guest_flow_del(flow, i);
			else
				i++;
		}
	}
	spin_unlock(&flow->lock);

	if (op == VMMGMT_CTRL_CREDIT) {
		atomic64_inc(&vdev->counters.flow_credits);
		/* Writers sleep only for a destination out of credit. */
		if (given != 2)
			return 0;
	} else {
		atomic64_inc(&vdev->counters.flow_peers_gone);
		if (vdev->peer_gone)
			vdev->peer_gone(vdev, a);
	}
	wake_up_all(&flow->wq);
	return 0;
}
