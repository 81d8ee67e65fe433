// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: flow control per destination (ABI 0.7,
 * %VMMGMT_F_FLOW).  A host that accepted the bit never leaves a record of
 * this guest in the guest-to-host ring for want of room at its
 * destination: it holds it aside, and tells the guest with an XOFF notice
 * that the destination is congested, then with an XON that it drained.
 * This file keeps the table of congested destinations (at most
 * %VMMGMT_GUEST_FLOW_MAX; an XOFF beyond is counted and ignored: the host
 * then answers the records it cannot hold with ENOBUFS), takes the host's
 * notices (vmmgmt_guest_flow_rx(), from the rx work), and makes a chat
 * writer wait for its own destination only (vmmgmt_guest_flow_wait()):
 * writers to other destinations are never held up by it.  A PEER_GONE
 * notice drops the destinations at the gone address and is handed to the
 * stream layer (&vmmgmt_guest_dev.peer_gone).  The table belongs to one
 * ring setup: vmmgmt_guest_flow_reset() empties it at each.
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
 * vmmgmt_guest_flow_reset() - forget every congested destination.
 * @vdev: the device.
 *
 * At each ring setup (a new link generation): the host reset the channel
 * and dropped what it held, so nothing is congested any more.  Wakes the
 * writers that waited.
 *
 * Context: any context but hard IRQ; takes &vmmgmt_guest_flow.lock.
 */
void vmmgmt_guest_flow_reset(struct vmmgmt_guest_dev *vdev)
{
	spin_lock(&vdev->flow.lock);
	WRITE_ONCE(vdev->flow.nr, 0);
	spin_unlock(&vdev->flow.lock);
	wake_up_all(&vdev->flow.wq);
}

/*
 * Whether a congested destination @c covers @dst: (0, 0, port) only that
 * host port, (0, vm, 0) every port of that VM.
 */
static bool vmmgmt_guest_flow_covers(const struct vmmgmt_addr *c,
				     const struct vmmgmt_addr *dst)
{
	if (dst->host)
		return false;
	if (c->vm)
		return dst->vm == c->vm;
	return !dst->vm && dst->port == c->port;
}

/* Index of @addr in the table, or -1.  Context: flow.lock held. */
static int vmmgmt_guest_flow_find(struct vmmgmt_guest_flow *flow,
				  const struct vmmgmt_addr *addr)
{
	unsigned int i;

	for (i = 0; i < flow->nr; i++)
		if (flow->dst[i].vm == addr->vm &&
		    flow->dst[i].port == addr->port)
			return i;
	return -1;
}

/* Drop entry @i (the last one takes its place).  Context: flow.lock held. */
static void vmmgmt_guest_flow_del(struct vmmgmt_guest_flow *flow,
				  unsigned int i)
{
	unsigned int last = flow->nr - 1;

	flow->dst[i] = flow->dst[last];
	/* Lockless readers peek at nr (vmmgmt_guest_flow_congested()). */
	WRITE_ONCE(flow->nr, last);
}

/**
 * vmmgmt_guest_flow_congested() - whether writes to a destination wait.
 * @vdev: the device.
 * @dst: the destination of a write (a file's VMMGMT_IOC_CONNECT address).
 *
 * Context: any context but hard IRQ; takes &vmmgmt_guest_flow.lock.
 * Return: true if an XOFF without XON covers @dst.
 */
bool vmmgmt_guest_flow_congested(struct vmmgmt_guest_dev *vdev,
				 const struct vmmgmt_addr *dst)
{
	struct vmmgmt_guest_flow *flow = &vdev->flow;
	bool congested = false;
	unsigned int i;

	/* Lockless peek first: nothing congested is the common case. */
	if (!READ_ONCE(flow->nr))
		return false;
	spin_lock(&flow->lock);
	for (i = 0; i < flow->nr && !congested; i++)
		congested = vmmgmt_guest_flow_covers(&flow->dst[i], dst);
	spin_unlock(&flow->lock);
	return congested;
}

/**
 * vmmgmt_guest_flow_count() - congested destinations now (sysfs).
 * @vdev: the device.
 *
 * Context: any.
 * Return: the number of entries in the table.
 */
unsigned int vmmgmt_guest_flow_count(struct vmmgmt_guest_dev *vdev)
{
	return READ_ONCE(vdev->flow.nr);
}

/* Wake-up condition of a writer; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_flow_woken(struct vmmgmt_guest_dev *vdev,
				    const struct vmmgmt_addr *dst, u32 gen)
{
	return READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP ||
	       READ_ONCE(vdev->link_gen) != gen ||
	       !vmmgmt_guest_flow_congested(vdev, dst);
}

/**
 * vmmgmt_guest_flow_wait() - wait until a destination is not congested.
 * @vdev: the device.
 * @dst: the destination of the write.
 * @nonblock: fail with -EAGAIN instead of waiting.
 *
 * Returns at once when no XOFF covers @dst.  Otherwise counts the write in
 * &vmmgmt_guest_counters.flow_waits and sleeps until XON (or PEER_GONE)
 * for it, a link change (a new generation empties the table; a link that
 * is not up makes the send fail with its errno) or removal.  Only writers
 * to @dst wait: the ring and other destinations are not held up.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed), dropped while sleeping and held again on return.
 * Return: 0 to go on and send; -EAGAIN; -ENODEV if the device was removed
 * while waiting; -ERESTARTSYS.
 */
int vmmgmt_guest_flow_wait(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_addr *dst, bool nonblock)
{
	u32 gen;
	int ret;

	if (!vmmgmt_guest_flow_congested(vdev, dst))
		return 0;
	atomic64_inc(&vdev->counters.flow_waits);
	if (nonblock)
		return -EAGAIN;
	gen = READ_ONCE(vdev->link_gen);
	/* Congested again once the lock is back (a new XOFF): wait on. */
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
 * @a: &vmmgmt_ctrl.name.addr of the notice.
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
 * @ctrl: filled in with the notice.
 *
 * A notice comes from (0, 0, 0) to (0, vm_id, 0) with flags 0, id 0 and a
 * &struct vmmgmt_ctrl with an op XOFF, XON or PEER_GONE, reserved zero, a
 * name all zero and a well-formed address (vmmgmt_guest_flow_addr_ok()),
 * and only to a guest that accepted %VMMGMT_F_FLOW.
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held.
 * Return: true if the notice is well-formed.
 */
static bool vmmgmt_guest_flow_notice_ok(struct vmmgmt_guest_dev *vdev,
					const struct vmmgmt_rec *hdr,
					const void *payload,
					struct vmmgmt_ctrl *ctrl)
{
	static const struct vmmgmt_addr host = { };
	const struct vmmgmt_name *n = &ctrl->name;

	if (!(vdev->features & VMMGMT_F_FLOW) || hdr->flags || hdr->id ||
	    memcmp(&hdr->src, &host, sizeof(host)) || hdr->dst.host ||
	    hdr->dst.vm != vdev->vm_id || hdr->dst.port ||
	    hdr->dst.reserved || hdr->len != sizeof(*ctrl))
		return false;
	memcpy(ctrl, payload, sizeof(*ctrl));
	if (ctrl->op != VMMGMT_CTRL_XOFF && ctrl->op != VMMGMT_CTRL_XON &&
	    ctrl->op != VMMGMT_CTRL_PEER_GONE)
		return false;
	return !ctrl->reserved && !n->flags && !n->reserved &&
	       !memchr_inv(n->name, 0, sizeof(n->name)) &&
	       vmmgmt_guest_flow_addr_ok(&n->addr);
}

/**
 * vmmgmt_guest_flow_rx() - take a notice from the host.
 * @vdev: the device.
 * @hdr: validated private copy of a %VMMGMT_MODE_CTRL record header
 *	without %VMMGMT_REC_F_RESPONSE.
 * @payload: private copy of its payload.
 *
 * XOFF adds its destination to the table (once; ignored and counted in
 * flow_overflows when the table is full), XON removes it, PEER_GONE
 * removes it and, for a VM, every entry of that VM, then calls
 * &vmmgmt_guest_dev.peer_gone.  XON and PEER_GONE wake the writers that
 * wait.  A malformed notice (vmmgmt_guest_flow_notice_ok()) is counted
 * in violations and dropped, like any bad host record; the channel goes
 * on.  A guest never answers a notice.
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held; takes
 * &vmmgmt_guest_flow.lock.
 * Return: 0 (the record is always consumed).
 */
int vmmgmt_guest_flow_rx(struct vmmgmt_guest_dev *vdev,
			 const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_guest_flow *flow = &vdev->flow;
	struct vmmgmt_ctrl ctrl;
	const struct vmmgmt_addr *a = &ctrl.name.addr;
	bool full = false;
	unsigned int i;
	int at;

	if (!vmmgmt_guest_flow_notice_ok(vdev, hdr, payload, &ctrl)) {
		atomic64_inc(&vdev->counters.violations);
		dev_warn_ratelimited(&vdev->pdev->dev, "bad control notice: flags %#x id %llu len %u from (%u, %u, %u)\n",
				     hdr->flags, hdr->id, hdr->len,
				     hdr->src.host, hdr->src.vm, hdr->src.port);
		return 0;
	}

	spin_lock(&flow->lock);
	at = vmmgmt_guest_flow_find(flow, a);
	switch (ctrl.op) {
	case VMMGMT_CTRL_XOFF:
		if (at >= 0)
			break;
		if (flow->nr < VMMGMT_GUEST_FLOW_MAX) {
			flow->dst[flow->nr] = *a;
			WRITE_ONCE(flow->nr, flow->nr + 1);
		} else {
			full = true;
		}
		break;
	case VMMGMT_CTRL_XON:
		if (at >= 0)
			vmmgmt_guest_flow_del(flow, at);
		break;
	default:	/* VMMGMT_CTRL_PEER_GONE */
		for (i = 0; i < flow->nr;) {
			if (flow->dst[i].vm == a->vm &&
			    (a->vm || flow->dst[i].port == a->port))
				vmmgmt_guest_flow_del(flow, i);
			else
				i++;
		}
		break;
	}
	spin_unlock(&flow->lock);

	switch (ctrl.op) {
	case VMMGMT_CTRL_XOFF:
		atomic64_inc(&vdev->counters.flow_xoffs);
		if (full) {
			atomic64_inc(&vdev->counters.flow_overflows);
			dev_dbg_ratelimited(&vdev->pdev->dev, "XOFF for (0, %u, %u) ignored: %u destinations congested\n",
					    a->vm, a->port,
					    VMMGMT_GUEST_FLOW_MAX);
		}
		return 0;
	case VMMGMT_CTRL_XON:
		atomic64_inc(&vdev->counters.flow_xons);
		break;
	default:
		atomic64_inc(&vdev->counters.flow_peers_gone);
		if (vdev->peer_gone)
			vdev->peer_gone(vdev, a);
		break;
	}
	wake_up_all(&flow->wq);
	return 0;
}
