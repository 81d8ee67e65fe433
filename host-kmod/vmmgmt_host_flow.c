// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: flow control per destination.
 *
 * A VM's worker never waits for a full destination with the rest of the
 * guest's records behind it.  A record whose destination (a host
 * endpoint's receive queue, or another VM's send queue) is full goes to
 * the sender's held queue (&vmmgmt_host_vm.held), already copied out of
 * the ring and charged to the sender's quota, and the worker goes on with
 * the next record.  Destinations are (0, 0, port) for a host endpoint and
 * (0, vm, 0) for another VM (its whole send queue), as in
 * lib/vmmgmt_flow.h.  While a record for a destination is held, later
 * records for it are held behind it: the order per destination is kept.
 * The held queue takes at most %VMMGMT_HELD_MSGS records and
 * %VMMGMT_HELD_BYTES payload bytes; the worker answers a request past
 * that with ENOBUFS (guests that accepted %VMMGMT_F_FLOW; an older
 * guest's record stays in its ring, as before ABI 0.7, since it cannot
 * know to stop).
 *
 * Credits keep a guest that accepted %VMMGMT_F_FLOW from ever getting
 * there: it has at most %VMMGMT_FLOW_WINDOW_MSGS records and
 * %VMMGMT_FLOW_WINDOW_BYTES bytes in flight per destination, and the host
 * gives them back as they leave its hands (delivered, or answered with an
 * error: vmmgmt_host_flow_done(), vmmgmt_host_flow_release()).  What is
 * to be returned is kept per destination in the VM's flow table
 * (&vmmgmt_host_vm.flow) and returned in one %VMMGMT_CTRL_CREDIT notice
 * once half a window is due, or at once while the table holds more than
 * %VMMGMT_FLOW_DESTS / 2 destinations (the guest may wait for one of its
 * %VMMGMT_FLOW_DESTS to come free).  So the guest gets one notice per
 * half window, however it sends, and a wedged destination holds at most
 * one window of each sender.  A notice that does not fit the H2G ring now
 * is posted later and never dropped (vmmgmt_host_flow_due(),
 * vmmgmt_host_flow_sent()).
 *
 * The worker retries the held queue first in each batch, woken by the
 * destinations through vmmgmt_host_vms_unblock(); a destination that
 * refuses one record is not asked again in that pass.
 *
 * PEER_GONE: when a VM goes away (not when it resets its channel: a
 * reset storm must cost other VMs nothing), every other VM that accepted
 * %VMMGMT_F_FLOW gets a PEER_GONE notice through its send queue
 * (vmmgmt_host_flow_peer_gone()), up to %VMMGMT_HOST_NOTICES_MAX past the
 * queue's limits; the caller never waits for room.
 *
 * Owns: the held queue's rules, the flow table and the credits; everything
 * here but
 * vmmgmt_host_flow_peer_gone() runs in the VM's worker (or after it
 * stopped) and takes no lock.
 *
 * May call: the registry (every VM), the region (the guest's features)
 * and the queues.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/**
 * vmmgmt_host_flow_init() - an empty held queue and flow table.
 * @vm: the VM, not yet running.
 *
 * Context: any context.
 */
void vmmgmt_host_flow_init(struct vmmgmt_host_vm *vm)
{
	vmmgmt_host_queue_init(&vm->held);
	memset(vm->flow, 0, sizeof(vm->flow));
	vm->flow_nr = 0;
	vm->flow_on = false;
}

/**
 * vmmgmt_host_flow_purge() - free the held records and forget the table.
 * @vm: the VM; its worker (the caller, on a channel reset) or nobody
 *	(removal, after the worker stopped) uses them.
 *
 * A reset drops what was in flight: held records are freed unanswered,
 * and the guest that starts afresh with all its credits is owed none.
 *
 * Context: process context.
 */
void vmmgmt_host_flow_purge(struct vmmgmt_host_vm *vm)
{
	vmmgmt_host_queue_purge(&vm->held);
	memset(vm->flow, 0, sizeof(vm->flow));
	vm->flow_nr = 0;
	/* The new instance says again whether it keeps to credits. */
	vm->flow_on = false;
}

/**
 * vmmgmt_host_flow_lookup() - the flow table entry of a destination.
 * @vm: the sending VM.
 * @hdr: a record to that destination.
 *
 * Context: the VM's worker.
 * Return: the entry, or NULL if nothing is held or owed for it.  It stays
 * where it is while the worker runs.
 */
struct vmmgmt_host_flow_dest *
vmmgmt_host_flow_lookup(struct vmmgmt_host_vm *vm, const struct vmmgmt_rec *hdr)
{
	struct vmmgmt_host_flow_dest *d;
	struct vmmgmt_addr key;

	vmmgmt_flow_key(&hdr->dst, &key);
	for (d = vm->flow; d < vm->flow + VMMGMT_HOST_FLOW_DESTS; d++)
		if (d->used && d->vm == key.vm && d->port == key.port)
			return d;
	return NULL;
}

/*
 * The flow table entry of @hdr's destination, a new one if it has none;
 * NULL when the table is full.  Context: the VM's worker.
 */
static struct vmmgmt_host_flow_dest *
vmmgmt_host_flow_get(struct vmmgmt_host_vm *vm, const struct vmmgmt_rec *hdr)
{
	struct vmmgmt_host_flow_dest *d = vmmgmt_host_flow_lookup(vm, hdr);
	struct vmmgmt_addr key;

	if (d)
		return d;
	for (d = vm->flow; d < vm->flow + VMMGMT_HOST_FLOW_DESTS; d++) {
		if (d->used)
			continue;
		vmmgmt_flow_key(&hdr->dst, &key);
		memset(d, 0, sizeof(*d));
		d->vm = key.vm;
		d->port = key.port;
		d->used = true;
		vm->flow_nr++;
		return d;
	}
	return NULL;
}

/* Free @d once nothing is held for it nor owed.  Context: the worker. */
static void vmmgmt_host_flow_put(struct vmmgmt_host_vm *vm,
				 struct vmmgmt_host_flow_dest *d)
{
	if (d->held || d->ret_msgs)
		return;
	d->used = false;
	vm->flow_nr--;
}

/**
 * vmmgmt_host_flow_done() - a record of the guest left the host's hands.
 * @vm: the sending VM.
 * @hdr: the record as the guest wrote it: delivered, answered with an
 *	error, echoed or dropped, never held.
 *
 * Owes the guest its credit back if it counted the record
 * (vmmgmt_flow_counted()).  With no room in the flow table (a guest that
 * keeps to %VMMGMT_FLOW_DESTS never fills it) the credit is lost and
 * counted in &vmmgmt_host_counters.credits_lost.
 *
 * Context: the VM's worker.
 */
void vmmgmt_host_flow_done(struct vmmgmt_host_vm *vm,
			   const struct vmmgmt_rec *hdr)
{
	struct vmmgmt_host_flow_dest *d;

	if (!vm->flow_on || !vmmgmt_flow_counted(hdr))
		return;
	d = vmmgmt_host_flow_get(vm, hdr);
	if (!d) {
		atomic64_inc(&vm->counters.credits_lost);
		return;
	}
	d->ret_msgs++;
	d->ret_bytes += hdr->len;
}

/**
 * vmmgmt_host_flow_waits() - must a record wait behind held ones?
 * @vm: the sending VM.
 * @hdr: the record; its destination is (0, vm, port) of this host.
 *
 * Context: the VM's worker.
 * Return: true if records for the same destination are held: this one
 * must be held behind them, not delivered ahead.
 */
bool vmmgmt_host_flow_waits(struct vmmgmt_host_vm *vm,
			    const struct vmmgmt_rec *hdr)
{
	struct vmmgmt_host_flow_dest *d;

	if (!vm->held.msgs)
		return false;
	d = vmmgmt_host_flow_lookup(vm, hdr);
	return d && d->held;
}

/**
 * vmmgmt_host_flow_hold() - put a record aside until its destination has
 * room.
 * @vm: the sending VM.
 * @msg: the record, its source the VM's address; the held queue owns it
 *	on success.
 *
 * Context: the VM's worker.
 * Return: 0 when held; -ENOBUFS when the held queue is at
 * %VMMGMT_HELD_MSGS or %VMMGMT_HELD_BYTES, or the flow table is full (the
 * caller answers, counts, or leaves the record in the ring).
 */
int vmmgmt_host_flow_hold(struct vmmgmt_host_vm *vm,
			  struct vmmgmt_host_msg *msg)
{
	struct vmmgmt_host_flow_dest *d;
	u32 len = msg->hdr.len;

	if (vm->held.msgs >= VMMGMT_HELD_MSGS ||
	    vm->held.bytes + len > VMMGMT_HELD_BYTES)
		return -ENOBUFS;
	d = vmmgmt_host_flow_get(vm, &msg->hdr);
	if (!d)
		return -ENOBUFS;
	d->held++;
	/* The destination refused a record in this pass. */
	d->stuck = true;
	vmmgmt_host_queue_add(&vm->held, msg);
	return 0;
}

/* Whether @msg's destination refused a record in the current pass. */
static bool vmmgmt_host_flow_skip(struct vmmgmt_host_vm *vm,
				  const struct vmmgmt_host_msg *msg)
{
	struct vmmgmt_host_flow_dest *d = vmmgmt_host_flow_lookup(vm, &msg->hdr);

	return d && d->stuck;
}

/**
 * vmmgmt_host_flow_first() - start a pass over the held queue.
 * @vm: the VM.
 *
 * Forgets which destinations refused in the last pass.
 *
 * Context: the VM's worker.
 * Return: the oldest held record, or NULL.
 */
struct vmmgmt_host_msg *vmmgmt_host_flow_first(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_flow_dest *d;

	if (!vm->held.msgs)
		return NULL;
	for (d = vm->flow; d < vm->flow + VMMGMT_HOST_FLOW_DESTS; d++)
		d->stuck = false;
	return list_first_entry_or_null(&vm->held.list,
					struct vmmgmt_host_msg, node);
}

/**
 * vmmgmt_host_flow_next() - the next held record worth trying in a pass.
 * @vm: the VM.
 * @pos: where the pass is: a held record's &vmmgmt_host_msg.node, or
 *	what vmmgmt_host_flow_take() returned for a record that left.
 *
 * Skips records whose destination refused one in this pass
 * (vmmgmt_host_flow_put_back()): they stay behind it, in order.
 *
 * Context: the VM's worker.
 * Return: the first held record after @pos to try, or NULL.
 */
struct vmmgmt_host_msg *vmmgmt_host_flow_next(struct vmmgmt_host_vm *vm,
					      struct list_head *pos)
{
	struct vmmgmt_host_msg *msg;

	for (pos = pos->next; pos != &vm->held.list; pos = pos->next) {
		msg = list_entry(pos, struct vmmgmt_host_msg, node);
		if (!vmmgmt_host_flow_skip(vm, msg))
			return msg;
	}
	return NULL;
}

/**
 * vmmgmt_host_flow_take() - take a held record off the queue to try it.
 * @vm: the VM.
 * @msg: a held record.
 *
 * The record leaves the list (a destination's queue may take it) but
 * still counts for its destination until vmmgmt_host_flow_release() or
 * vmmgmt_host_flow_put_back().
 *
 * Context: the VM's worker.
 * Return: the list entry before @msg, where it goes back.
 */
struct list_head *vmmgmt_host_flow_take(struct vmmgmt_host_vm *vm,
					struct vmmgmt_host_msg *msg)
{
	struct list_head *pos = msg->node.prev;

	vmmgmt_host_queue_del(&vm->held, msg);
	return pos;
}

/**
 * vmmgmt_host_flow_put_back() - a taken record could not go now.
 * @vm: the VM.
 * @msg: the record from vmmgmt_host_flow_take().
 * @pos: what vmmgmt_host_flow_take() returned.
 * @d: its destination (vmmgmt_host_flow_lookup() before the take): it
 *	refused the record (or its error answer did not fit the H2G ring),
 *	and is not asked again in this pass.
 *
 * Context: the VM's worker.
 */
void vmmgmt_host_flow_put_back(struct vmmgmt_host_vm *vm,
			       struct vmmgmt_host_msg *msg,
			       struct list_head *pos,
			       struct vmmgmt_host_flow_dest *d)
{
	vmmgmt_host_queue_insert(&vm->held, pos, msg);
	if (d)
		d->stuck = true;
}

/**
 * vmmgmt_host_flow_release() - a taken record was delivered or answered.
 * @vm: the VM.
 * @d: its destination (vmmgmt_host_flow_lookup() before the take; the
 *	record itself may belong to the destination already).
 * @hdr: a copy of the record's header.
 *
 * The guest is owed the record's credit back (if it takes notices and
 * counted it).
 *
 * Context: the VM's worker.
 */
void vmmgmt_host_flow_release(struct vmmgmt_host_vm *vm,
			      struct vmmgmt_host_flow_dest *d,
			      const struct vmmgmt_rec *hdr)
{
	if (WARN_ON_ONCE(!d || !d->held))
		return;
	d->held--;
	if (vm->flow_on && vmmgmt_flow_counted(hdr)) {
		d->ret_msgs++;
		d->ret_bytes += hdr->len;
	}
	vmmgmt_host_flow_put(vm, d);
}

/**
 * vmmgmt_host_flow_forget() - forget the credits owed for a gone peer.
 * @vm: the VM.
 * @addr: the address of a PEER_GONE notice just posted to the guest:
 *	(0, vm, 0) or (0, 0, port).
 *
 * The guest forgets its credits for the destinations at @addr when it
 * takes the notice; the host forgets what it owes for them at the same
 * point of the H2G ring, so that neither side keeps an entry for a peer
 * that is gone.  Held records stay held (they are answered when tried).
 *
 * Context: the VM's worker.
 */
void vmmgmt_host_flow_forget(struct vmmgmt_host_vm *vm,
			     const struct vmmgmt_addr *addr)
{
	struct vmmgmt_host_flow_dest *d;

	for (d = vm->flow; d < vm->flow + VMMGMT_HOST_FLOW_DESTS; d++) {
		if (!d->used || d->vm != addr->vm ||
		    (!addr->vm && d->port != addr->port))
			continue;
		d->ret_msgs = 0;
		d->ret_bytes = 0;
		vmmgmt_host_flow_put(vm, d);
	}
}

/**
 * vmmgmt_host_flow_due() - the next credit notice owed to the guest.
 * @vm: the VM; @vm->flow_on says whether the guest takes notices.
 * @hdr: returns the notice's record header.
 * @credit: returns its payload.
 *
 * A notice is due for a destination once half a window of records or
 * bytes is owed for it, or as soon as anything is while the flow table
 * holds more than %VMMGMT_FLOW_DESTS / 2 destinations.  A guest that does
 * not take notices is owed none: what it was owed is forgotten.
 *
 * Context: the VM's worker.
 * Return: the destination the notice is about (pass it to
 * vmmgmt_host_flow_sent() once posted), or NULL when none is due.
 */
struct vmmgmt_host_flow_dest *
vmmgmt_host_flow_due(struct vmmgmt_host_vm *vm, struct vmmgmt_rec *hdr,
		     struct vmmgmt_credit *credit)
{
	bool crowded = vm->flow_nr > VMMGMT_FLOW_DESTS / 2;
	struct vmmgmt_host_flow_dest *d;

	for (d = vm->flow; d < vm->flow + VMMGMT_HOST_FLOW_DESTS; d++) {
		if (!d->used || !d->ret_msgs)
			continue;
		if (!vm->flow_on) {
			d->ret_msgs = 0;
			d->ret_bytes = 0;
			vmmgmt_host_flow_put(vm, d);
			continue;
		}
		if (!crowded && d->ret_msgs < VMMGMT_FLOW_WINDOW_MSGS / 2 &&
		    d->ret_bytes < VMMGMT_FLOW_WINDOW_BYTES / 2)
			continue;
		memset(hdr, 0, sizeof(*hdr));
		memset(credit, 0, sizeof(*credit));
		hdr->len = sizeof(*credit);
		hdr->mode = VMMGMT_MODE_CTRL;
		hdr->dst.vm = vm->id;
		credit->op = VMMGMT_CTRL_CREDIT;
		credit->msgs = d->ret_msgs;
		credit->bytes = d->ret_bytes;
		credit->dst.vm = d->vm;
		credit->dst.port = d->port;
		return d;
	}
	return NULL;
}

/**
 * vmmgmt_host_flow_sent() - a notice from vmmgmt_host_flow_due() was posted.
 * @vm: the VM.
 * @d: the destination it was about.
 *
 * Context: the VM's worker.
 */
void vmmgmt_host_flow_sent(struct vmmgmt_host_vm *vm,
			   struct vmmgmt_host_flow_dest *d)
{
	atomic64_inc(&vm->counters.credit_notices);
	d->ret_msgs = 0;
	d->ret_bytes = 0;
	vmmgmt_host_flow_put(vm, d);
}

/**
 * vmmgmt_host_flow_is_notice() - is a queued record a host notice?
 * @hdr: a record of a VM's send queue.
 *
 * Host endpoints send no %VMMGMT_MODE_CTRL records and guests' control
 * requests are the host's own: a control record that is not a response
 * is a notice (vmmgmt_host_flow_peer_gone()).
 *
 * Context: any context.
 * Return: true for a notice, which only a guest that accepted
 * %VMMGMT_F_FLOW may be given.
 */
bool vmmgmt_host_flow_is_notice(const struct vmmgmt_rec *hdr)
{
	return hdr->mode == VMMGMT_MODE_CTRL &&
	       !(hdr->flags & VMMGMT_REC_F_RESPONSE);
}

/**
 * vmmgmt_host_flow_notify_gone() - queue one PEER_GONE notice on a VM.
 * @vm: the VM to tell (a reference held).
 * @addr: what went away.
 * @msg: a notice of the right size, filled in here; the send queue owns
 *	it if queued.
 *
 * Context: process context; takes @vm->tx_lock.
 * Return: true if @msg was queued; false if the VM is going away, did not
 * accept %VMMGMT_F_FLOW, or has %VMMGMT_HOST_NOTICES_MAX records past its
 * send queue's limit (counted in its drops).
 */
static bool vmmgmt_host_flow_notify_gone(struct vmmgmt_host_vm *vm,
					 const struct vmmgmt_addr *addr,
					 struct vmmgmt_host_msg *msg)
{
	struct vmmgmt_ctrl *ctrl = (struct vmmgmt_ctrl *)msg->data;
	bool queued = false;

	memset(&msg->hdr, 0, sizeof(msg->hdr));
	memset(ctrl, 0, sizeof(*ctrl));
	msg->hdr.len = sizeof(*ctrl);
	msg->hdr.mode = VMMGMT_MODE_CTRL;
	msg->hdr.dst.vm = vm->id;
	ctrl->op = VMMGMT_CTRL_PEER_GONE;
	ctrl->name.addr.vm = addr->vm;
	ctrl->name.addr.port = addr->port;

	spin_lock(&vm->tx_lock);
	/* While not dead the region is mapped and the thread exists. */
	if (!vm->dead && vmmgmt_host_region_flow(vm)) {
		if (vm->tx.msgs < VMMGMT_HOST_QUEUE_MSGS +
				  VMMGMT_HOST_NOTICES_MAX) {
			vmmgmt_host_queue_add(&vm->tx, msg);
			vmmgmt_host_worker_wake(vm);
			queued = true;
		} else {
			atomic64_inc(&vm->counters.drops);
		}
	}
	spin_unlock(&vm->tx_lock);
	return queued;
}

/**
 * vmmgmt_host_flow_peer_gone() - tell every VM that endpoints went away.
 * @addr: (0, vm, 0) for a VM that was removed (that VM itself is not
 *	told); the notice also allows (0, 0, port) for a host endpoint,
 *	which nothing sends yet (streams with a closed host endpoint get its
 *	RST).
 *
 * Every registered VM whose guest accepted %VMMGMT_F_FLOW gets a
 * %VMMGMT_CTRL_PEER_GONE notice for @addr through its send queue, after
 * what was queued for it before.  Never waits for room: a VM whose send
 * queue holds %VMMGMT_HOST_NOTICES_MAX records past its limit (it does not
 * drain) misses the notice, counted in its drops.  Out of memory, the
 * notices left are not sent.
 *
 * Context: process context, no spinlock held (a VM's worker, VM removal,
 * a host file's release); may sleep (allocation).
 */
void vmmgmt_host_flow_peer_gone(const struct vmmgmt_addr *addr)
{
	struct vmmgmt_host_msg *msg = NULL;
	struct vmmgmt_host_vm *vm;
	u32 id = 1;

	while ((vm = vmmgmt_host_vm_get_next(&id))) {
		if (vm->id != addr->vm) {
			if (!msg)
				msg = vmmgmt_host_msg_alloc(sizeof(struct vmmgmt_ctrl));
			if (msg && vmmgmt_host_flow_notify_gone(vm, addr, msg))
				msg = NULL;
		}
		vmmgmt_host_vm_put(vm);
		if (id++ >= VMMGMT_VM_ID_MAX)
			break;
	}
	kvfree(msg);
}
