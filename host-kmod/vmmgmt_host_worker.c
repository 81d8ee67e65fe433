// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the per-VM worker.
 *
 * One kernel thread per VM, vmmgmt-<name>.  The guest's doorbell arrives
 * on the kick eventfds (a KVM ioeventfd); a wait queue entry on each, set
 * up the way KVM's irqfd does it, counts the kick and wakes the thread,
 * nothing else.  The thread drains the guest-to-host ring in batches of
 * %VMMGMT_HOST_BATCH records (fewer, or none for a while, when the VM is
 * over its quota: vmmgmt_host_quota.c), then yields, so that one VM
 * cannot starve the others.  It posts what host endpoints and other VMs
 * queued for the VM, routes each guest record (control requests to the
 * name table, samples to the statistics, to the echo service, to a host
 * endpoint, to another VM, or back as an error), posts the answers into
 * the host-to-guest ring, and signals
 * call_fds[0] only when the guest is not draining already (ABI 0.2:
 * cons_running) or, when the guest accepted %VMMGMT_F_NOTIFY_AT, only
 * when the batch's posts passed the guest's notify_at: once per idle
 * period of the guest's consumer.
 *
 * Every byte of the region is the guest's: the shared ring code validates
 * it and copies each record out before the worker looks at it.  On a
 * violation the channel is marked broken and the worker ignores the VM's
 * rings until the guest asks for a reset (a new reset_request in the
 * header) or the VM is registered again.  A reset is carried out by the
 * worker itself, at the start of a batch, so at most one per batch, and
 * costs the VM one record of its quota.
 *
 * Flow control (vmmgmt_host_flow.c): a record whose destination is full
 * is held aside, never left in the ring while the guest's other records
 * wait behind it; each batch first retries the held records, then posts
 * what was queued for the VM, then drains the ring, then posts the credit
 * notices owed to the guest.
 *
 * Owns: the thread, the kick hooks, the consumer side of the G2H ring and
 * the producer side of the H2G ring.
 *
 * May call: host streams (segments to host ports, a reset's streams),
 * host endpoints (delivery), VM-to-VM routing, flow control (the held
 * queue, notices), the names (control requests), the statistics, the
 * quotas, the region (laid out again on a reset), the registry (waking
 * blocked workers), the queues and the shared ring.  Nothing of these
 * calls the worker's file: they wake it with vmmgmt_host_worker_wake().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/*
 * vmmgmt_host_poll_us: after a batch that consumed records, the worker
 * leaves the G2H consumer marked running (no kick needed) and looks again
 * after this many microseconds, for as long as each look finds records;
 * the first look that finds none stops the consumer (notify_at, re-check)
 * and the worker sleeps until a kick.  A guest that streams messages thus
 * rings no doorbell, and its answers come in batches with one interrupt
 * each.  0: stop right after each batch.
 */
static unsigned int vmmgmt_host_poll_us = 200;
module_param_named(poll_us, vmmgmt_host_poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us, "look at a busy guest's ring again after this many us instead of waiting for its doorbell (0: off; default 200)");

/* The longest vmmgmt_host_poll_us honoured, in microseconds. */
#define VMMGMT_HOST_POLL_MAX_US	10000

/*
 * vmmgmt_host_poll_idle: once a look after poll_us found records (the
 * guest streams: it posted while the worker was not woken for it), the
 * worker goes on looking every poll_us through up to this many looks in a
 * row that find none before it stops the consumer.  A streaming guest that
 * pauses briefly (its one vCPU busy with the answers) then rings no
 * doorbell.  Only a timed look that found several records starts it, so
 * one message at a time (ping-pong) still stops after the first empty
 * look, and an idle VM is looked at no more than this many times after
 * its last record.
 */
static unsigned int vmmgmt_host_poll_idle = 8;
module_param_named(poll_idle, vmmgmt_host_poll_idle, uint, 0644);
MODULE_PARM_DESC(poll_idle, "empty looks a streaming guest's ring gets before the worker waits for its doorbell again (0: stop at the first; default 8, at most 64)");

/* The most vmmgmt_host_poll_idle honoured. */
#define VMMGMT_HOST_POLL_IDLE_MAX	64

/**
 * vmmgmt_host_kick_wake() - wait queue callback of a kick eventfd.
 * @wait: the entry in &struct vmmgmt_host_kick.
 * @mode: unused.
 * @sync: unused.
 * @key: the poll events.
 *
 * On EPOLLIN, consumes the eventfd's count into the VM's kick counter and
 * wakes the worker.  EPOLLHUP (the last file of the eventfd was closed)
 * is only counted: the entry stays queued, which is safe because the VM
 * holds a reference to the eventfd context and with it to the wait queue
 * head, and it is removed by vmmgmt_host_worker_stop().
 *
 * Context: the eventfd's wait queue lock held, interrupts off.
 * Return: 0.
 */
static int vmmgmt_host_kick_wake(wait_queue_entry_t *wait, unsigned int mode,
				 int sync, void *key)
{
	struct vmmgmt_host_kick *kick =
		container_of(wait, struct vmmgmt_host_kick, wait);
	struct vmmgmt_host_vm *vm = kick->vm;
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(kick->ctx, &cnt);
		atomic64_add(cnt, &vm->counters.kicks);
		/* Fault injection: a doorbell that never arrived. */
		if (atomic_dec_if_positive(&vm->drop_kicks) >= 0) {
			atomic64_inc(&vm->counters.injected_drops);
			trace_vmmgmt_host_notify(vm->id,
						 VMMGMT_TRACE_DOORBELL_DROPPED);
			return 0;
		}
		trace_vmmgmt_host_notify(vm->id, VMMGMT_TRACE_DOORBELL);
		vmmgmt_host_worker_wake(vm);
	}
	if (flags & EPOLLHUP)
		atomic64_inc(&vm->counters.hangups);
	return 0;
}

/**
 * vmmgmt_host_kick_queue() - poll table callback: enter the wait queue.
 * @file: the eventfd's file.
 * @wqh: its wait queue head.
 * @pt: the poll table in &struct vmmgmt_host_kick.
 *
 * Context: called from vfs_poll() in vmmgmt_host_worker_start().
 */
static void vmmgmt_host_kick_queue(struct file *file, wait_queue_head_t *wqh,
				   poll_table *pt)
{
	struct vmmgmt_host_kick *kick =
		container_of(pt, struct vmmgmt_host_kick, pt);

	kick->wqh = wqh;
	add_wait_queue(wqh, &kick->wait);
}

/**
 * vmmgmt_host_worker_broken() - mark the channel broken after a violation.
 * @vm: the VM.
 * @ring: the ring that broke, for the message.
 * @what: "G2H" or "H2G".
 *
 * Context: the VM's worker.
 */
static void vmmgmt_host_worker_broken(struct vmmgmt_host_vm *vm,
				      const struct vmmgmt_ring *ring,
				      const char *what)
{
	vm->link_state = VMMGMT_LINK_BROKEN;
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_BROKEN);
	atomic64_inc(&vm->counters.violations);
	trace_vmmgmt_host_violation(vm->id, ring == &vm->h2g,
				    vmmgmt_ring_error(ring));
	vmmgmt_host_log_warn(vm,
			     "%s ring violation (%s): channel broken until the guest resets it\n",
			     what, vmmgmt_ring_err_name(vmmgmt_ring_error(ring)));
	/* Host writers waiting for room fail now (EPIPE). */
	wake_up_interruptible_all(&vm->tx_wq);
	/* Records other VMs hold for this one are answered (EHOSTDOWN). */
	vmmgmt_host_vms_unblock();
	/* Let the guest see the new state. */
	vmmgmt_host_worker_notify(vm);
}

/**
 * vmmgmt_host_worker_h2g_failed() - note why the H2G ring refused.
 * @vm: the VM.
 * @ret: what the ring code said of a post, or of the room for one.
 * @len: payload length of that record.
 *
 * The one place that marks the H2G ring blocked (no room: the G2H record
 * waits until the guest consumes, @vm->blocked_len says how much room is
 * wanted) or broken (a bogus tail: the batch ends in
 * vmmgmt_host_worker_broken()).
 *
 * Context: the VM's worker.
 * Return: true if @ret is an error.
 */
static bool vmmgmt_host_worker_h2g_failed(struct vmmgmt_host_vm *vm, int ret,
					  u32 len)
{
	if (ret == -ENOSPC) {
		vm->h2g_blocked = true;
		vm->blocked_len = len;
	} else if (ret) {
		vm->h2g_broken = true;
	}
	return ret;
}

/**
 * vmmgmt_host_worker_post() - post one record into the H2G ring.
 * @vm: the VM.
 * @hdr: the record header.
 * @payload: @hdr->len bytes.
 *
 * Context: the VM's worker.
 * Return: 0 when posted and counted; otherwise the ring's error, with the
 * ring marked blocked or broken (vmmgmt_host_worker_h2g_failed()).
 */
static int vmmgmt_host_worker_post(struct vmmgmt_host_vm *vm,
				   const struct vmmgmt_rec *hdr,
				   const void *payload)
{
	int ret = vmmgmt_ring_post(&vm->h2g, hdr, payload);

	if (vmmgmt_host_worker_h2g_failed(vm, ret, hdr->len))
		return ret;
	vm->posted++;
	trace_vmmgmt_host_tx(vm->id, hdr);
	atomic64_inc(&vm->counters.tx_msgs);
	atomic64_add(hdr->len, &vm->counters.tx_bytes);
	return 0;
}

/**
 * vmmgmt_host_worker_tx() - post what host endpoints queued for the VM.
 * @vm: the VM.
 *
 * At most %VMMGMT_HOST_BATCH messages, oldest first.  Only the worker
 * removes messages from @vm->tx, so the first one can be looked at
 * without the lock while it is posted.  Notices (PEER_GONE) for a guest
 * that no longer takes them (it reset its channel with an older module)
 * are dropped.
 *
 * Context: the VM's worker; takes @vm->tx_lock.
 * Return: true if messages are left that fit no batch but would fit the
 * ring (the worker goes on without a kick).
 */
static bool vmmgmt_host_worker_tx(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_msg *msg, *next;
	bool blocking, notice;
	unsigned int n;

	spin_lock(&vm->tx_lock);
	msg = list_first_entry_or_null(&vm->tx.list, struct vmmgmt_host_msg,
				       node);
	spin_unlock(&vm->tx_lock);
	for (n = 0; msg && n < VMMGMT_HOST_BATCH; n++) {
		notice = vmmgmt_host_flow_is_notice(&msg->hdr);
		if ((vm->flow_on || !notice) &&
		    vmmgmt_host_worker_post(vm, &msg->hdr, msg->data))
			break;
		/* A PEER_GONE posted: the guest forgets those credits now. */
		if (vm->flow_on && notice)
			vmmgmt_host_flow_forget(vm, &((struct vmmgmt_ctrl *)
						      msg->data)->name.addr);
		/* One lock round per message: unlink it, look at the next. */
		spin_lock(&vm->tx_lock);
		vmmgmt_host_queue_del(&vm->tx, msg);
		next = list_first_entry_or_null(&vm->tx.list,
						struct vmmgmt_host_msg, node);
		spin_unlock(&vm->tx_lock);
		kvfree(msg);
		msg = next;
	}
	if (n) {
		wake_up_interruptible(&vm->tx_wq);
		spin_lock(&vm->tx_lock);
		blocking = vm->tx_blocking;
		vm->tx_blocking = false;
		spin_unlock(&vm->tx_lock);
		/* Other VMs' workers wait for room here. */
		if (blocking)
			vmmgmt_host_vms_unblock();
	}
	return n == VMMGMT_HOST_BATCH && !vm->h2g_blocked;
}

/**
 * vmmgmt_host_worker_consumed() - count a G2H record the worker is done
 * with.
 * @vm: the VM.
 * @hdr: the record.
 * @drop: it was not delivered (counted in drops too).
 *
 * Context: the VM's worker.
 * Return: 0, what vmmgmt_ring_drain() wants for a consumed record.
 */
static int vmmgmt_host_worker_consumed(struct vmmgmt_host_vm *vm,
				       const struct vmmgmt_rec *hdr, bool drop)
{
	trace_vmmgmt_host_rx(vm->id, hdr);
	if (drop) {
		atomic64_inc(&vm->counters.drops);
		trace_vmmgmt_host_drop(vm->id, hdr);
	}
	atomic64_inc(&vm->counters.rx_msgs);
	atomic64_add(hdr->len, &vm->counters.rx_bytes);
	return 0;
}

/**
 * vmmgmt_host_worker_answer() - answer a guest's request.
 * @vm: the VM.
 * @hdr: the request.
 * @src: the request's true source, the VM's own address.
 * @payload: the answer's payload, @len bytes; unused when @err is set.
 * @len: see @payload.
 * @err: 0, or the errno to answer with (%VMMGMT_REC_F_ERROR and a __u32
 *	payload).
 *
 * The answer keeps the request's mode and id and goes from the request's
 * destination back to @src, with %VMMGMT_REC_F_RESPONSE (and
 * %VMMGMT_REC_F_STREAM if the request was a stream segment).
 *
 * Context: the VM's worker.
 * Return: 0 when posted; otherwise the ring's error (blocked or broken:
 * the request stays in the ring).
 */
static int vmmgmt_host_worker_answer(struct vmmgmt_host_vm *vm,
				     const struct vmmgmt_rec *hdr,
				     const struct vmmgmt_addr *src,
				     const void *payload, u32 len, u32 err)
{
	struct vmmgmt_rec out = *hdr;

	out.src = hdr->dst;
	out.dst = *src;
	/* A stream segment's error answer stays a stream record. */
	out.flags = VMMGMT_REC_F_RESPONSE | (hdr->flags & VMMGMT_REC_F_STREAM);
	out.len = len;
	if (err) {
		out.flags |= VMMGMT_REC_F_ERROR;
		out.len = sizeof(err);
		payload = &err;
	}
	return vmmgmt_host_worker_post(vm, &out, payload);
}

/**
 * vmmgmt_host_worker_control() - serve a %VMMGMT_MODE_CTRL request.
 * @vm: the VM.
 * @hdr: the request (not a response).
 * @payload: its payload.
 * @src: the VM's own address for the answer.
 *
 * Whatever its destination, a control request is for the host itself
 * (the name table, vmmgmt_host_ctrl()).  The room for the largest answer
 * is made sure of first: a request must run only once, and one that does
 * not fit stays in the ring, not yet served.
 *
 * Context: the VM's worker; may sleep (allocation).
 * Return: 0 when consumed; 1 to leave it in the ring.
 */
static int vmmgmt_host_worker_control(struct vmmgmt_host_vm *vm,
				      const struct vmmgmt_rec *hdr,
				      const void *payload,
				      const struct vmmgmt_addr *src)
{
	void *ans;
	int ret;

	ret = vmmgmt_ring_space(&vm->h2g, VMMGMT_HOST_CTRL_ANS_MAX);
	if (vmmgmt_host_worker_h2g_failed(vm, ret, VMMGMT_HOST_CTRL_ANS_MAX))
		return 1;
	ans = kmalloc(VMMGMT_HOST_CTRL_ANS_MAX, GFP_KERNEL);
	ret = ans ? vmmgmt_host_ctrl(vm, hdr, payload, ans) : -ENOMEM;
	if (ret < 0)
		ret = vmmgmt_host_worker_answer(vm, hdr, src, NULL, 0, -ret);
	else
		ret = vmmgmt_host_worker_answer(vm, hdr, src, ans, ret, 0);
	kfree(ans);
	if (ret)
		return 1;
	return vmmgmt_host_worker_consumed(vm, hdr, false);
}

/**
 * vmmgmt_host_worker_deliver() - hand a record to its destination's queue.
 * @vm: the sending VM.
 * @msg: the record, its source the VM's address, its destination on this
 *	host; the destination owns it when delivered.
 *
 * To another host port: the host endpoint bound to it
 * (vmmgmt_host_ep_deliver()), or for a stream segment the host's stream
 * layer (vmmgmt_host_stream_rx(), which copies what it keeps: @msg is
 * freed).  To another VM of this host: that VM (vmmgmt_host_route_vm()).
 *
 * Context: the VM's worker; may sleep (the stream layer allocates).
 * Return: 0 when delivered; -ENOBUFS when the destination's queue is full
 * (@vm->blocked is set) or out of memory for a stream segment, which is
 * then not refused but held; or the negative errno to answer a request
 * with: -ECONNREFUSED (nobody bound to the port), or the reasons of
 * vmmgmt_host_stream_rx() and vmmgmt_host_route_vm().
 */
static int vmmgmt_host_worker_deliver(struct vmmgmt_host_vm *vm,
				      struct vmmgmt_host_msg *msg)
{
	int ret;

	if (msg->hdr.dst.vm != VMMGMT_HOST_PEER_ID)
		return vmmgmt_host_route_vm(vm, msg);
	if (msg->hdr.flags & VMMGMT_REC_F_STREAM) {
		/* The stream layer copies what it keeps: never full. */
		ret = vmmgmt_host_stream_rx(vm, &msg->hdr, msg->data);
		if (!ret)
			kvfree(msg);
		return ret == -ENOMEM ? -ENOBUFS : ret;
	}
	ret = vmmgmt_host_ep_deliver(vm, msg);
	return ret == -ENOENT ? -ECONNREFUSED : ret;
}

/**
 * vmmgmt_host_worker_forward() - pass a record on to its destination.
 * @vm: the VM.
 * @hdr: the record, neither a control request nor a sample nor for the
 *	echo service.
 * @payload: its payload.
 * @src: the VM's own address, the source the record gets.
 *
 * A record whose destination is full, or has records held already (they
 * go first), is held (vmmgmt_host_flow_hold()).  Past the held queue's
 * limits a guest that accepted %VMMGMT_F_FLOW gets ENOBUFS; an older
 * guest's record stays in the ring, as before flow control.  Other hosts
 * are not routed yet.
 *
 * Context: the VM's worker; may sleep (allocation).
 * Return: 0 when delivered or held; 1 to leave the record in the ring
 * (the held queue is full, the guest takes no notices: @vm->ring_stuck is
 * set, the worker is woken when a destination has room); or the negative
 * errno to answer a request with: -ENOBUFS (out of memory, or past the
 * held queue's limits), -EHOSTUNREACH, or the reasons of
 * vmmgmt_host_worker_deliver().
 */
static int vmmgmt_host_worker_forward(struct vmmgmt_host_vm *vm,
				      const struct vmmgmt_rec *hdr,
				      const void *payload,
				      const struct vmmgmt_addr *src)
{
	struct vmmgmt_host_msg *msg;
	int ret;

	if (hdr->dst.host)
		return -EHOSTUNREACH;
	msg = vmmgmt_host_msg_alloc(hdr->len);
	if (!msg)
		return -ENOBUFS;
	msg->hdr = *hdr;
	msg->hdr.src = *src;
	memcpy(msg->data, payload, hdr->len);
	ret = -ENOBUFS;
	if (!vmmgmt_host_flow_waits(vm, &msg->hdr))
		ret = vmmgmt_host_worker_deliver(vm, msg);
	/* Delivered: the guest gets its credit back. */
	if (!ret)
		vmmgmt_host_flow_done(vm, hdr);
	if (ret == -ENOBUFS) {
		ret = vmmgmt_host_flow_hold(vm, msg);
		if (!ret)
			return 0;
		if (!vm->flow_on) {
			vm->ring_stuck = true;
			ret = 1;
		} else {
			atomic64_inc(&vm->counters.held_overflows);
		}
	}
	if (ret)
		kvfree(msg);
	return ret;
}

/**
 * vmmgmt_host_worker_held() - retry the held records, oldest first.
 * @vm: the VM.
 *
 * A destination that refuses one record is not asked again in this pass;
 * its later records stay behind it.  A record whose destination went away
 * meanwhile is answered with the reason (a VM that is gone: EHOSTDOWN) or,
 * a response or a stream's RST, dropped and counted.  An answer that does
 * not fit the H2G ring ends the pass: the record stays held until the
 * guest makes room.
 *
 * Context: the VM's worker.
 */
static void vmmgmt_host_worker_held(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_flow_dest *d;
	struct vmmgmt_host_msg *msg;
	struct list_head *pos;
	struct vmmgmt_rec hdr;
	bool request;
	int ret;

	for (msg = vmmgmt_host_flow_first(vm); msg;
	     msg = vmmgmt_host_flow_next(vm, pos)) {
		d = vmmgmt_host_flow_lookup(vm, &msg->hdr);
		/* A stream's RST is never answered, like a response. */
		request = !(msg->hdr.flags & VMMGMT_REC_F_RESPONSE) &&
			  !((msg->hdr.flags & VMMGMT_REC_F_STREAM) &&
			    vmmgmt_host_stream_is_rst(&msg->hdr, msg->data));
		hdr = msg->hdr;
		/* Off the held list: a destination's queue may take it. */
		pos = vmmgmt_host_flow_take(vm, msg);
		ret = vmmgmt_host_worker_deliver(vm, msg);
		/* From here on a delivered @msg is the destination's. */
		if (ret == -ENOBUFS) {
			vmmgmt_host_flow_put_back(vm, msg, pos, d);
			pos = &msg->node;
			continue;
		}
		/* It was there when held: it went away since. */
		if (ret == -EHOSTUNREACH)
			ret = -EHOSTDOWN;
		if (ret && request &&
		    vmmgmt_host_worker_answer(vm, &msg->hdr, &msg->hdr.src,
					      NULL, 0, -ret)) {
			vmmgmt_host_flow_put_back(vm, msg, pos, d);
			return;
		}
		if (ret && !request)
			atomic64_inc(&vm->counters.drops);
		vmmgmt_host_flow_release(vm, d, &hdr);
		if (ret)
			kvfree(msg);
	}
}

/**
 * vmmgmt_host_worker_notices() - post the credit notices owed.
 * @vm: the VM.
 *
 * Notices that do not fit now stay owed (vmmgmt_host_flow.c) and the H2G
 * ring is marked blocked: the next batch waits for the guest to make room.
 *
 * Context: the VM's worker.
 */
static void vmmgmt_host_worker_notices(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_flow_dest *d;
	struct vmmgmt_credit credit;
	struct vmmgmt_rec hdr;

	while (!vm->h2g_blocked && !vm->h2g_broken &&
	       (d = vmmgmt_host_flow_due(vm, &hdr, &credit))) {
		if (vmmgmt_host_worker_post(vm, &hdr, &credit))
			return;
		vmmgmt_host_flow_sent(vm, d);
	}
}

/**
 * vmmgmt_host_worker_rx() - route one record from the guest.
 * @ctx: the VM.
 * @hdr: the validated record header (a private copy).
 * @payload: its payload (a private copy).
 *
 * %VMMGMT_MODE_CTRL requests, whatever their destination, are for the
 * host itself (the name table) and are answered here
 * (vmmgmt_host_worker_control()).  %VMMGMT_MODE_STATS samples are for the
 * host too: they go to vmmgmt_host_stats_rx(), are consumed and never
 * answered; a %VMMGMT_MODE_STATS record with %VMMGMT_REC_F_RESPONSE is
 * not a sample but the guest's answer to a host request (&struct
 * vmmgmt_stats_ctl), and goes to its destination like any other record.
 * Records to (0, 0, %VMMGMT_PORT_ECHO) come back with source
 * and destination swapped and %VMMGMT_REC_F_RESPONSE set.  Stream
 * segments (%VMMGMT_REC_F_STREAM), whatever their mode, are neither
 * control requests nor samples nor echoed: they go to their destination,
 * and one that cannot get there is answered with a stream error answer,
 * unless it is an RST (dropped and counted, like a response).  Everything
 * else goes to its destination (vmmgmt_host_worker_forward()); a request
 * that cannot get there is answered with %VMMGMT_REC_F_ERROR and the
 * reason.  Responses that cannot be delivered are dropped and counted.
 * The sender's address is the VM's own, whatever the guest wrote.
 *
 * Context: the VM's worker, from vmmgmt_ring_drain().
 * Return: 0 when the record is consumed; 1 to leave it in the ring (the
 * H2G ring is full or broken, or the destination's queue is full).
 */
static int vmmgmt_host_worker_rx(void *ctx, const struct vmmgmt_rec *hdr,
				 const void *payload)
{
	struct vmmgmt_host_vm *vm = ctx;
	const struct vmmgmt_addr src = {
		.host = 0, .vm = vm->id, .port = hdr->src.port,
	};
	bool stream = hdr->flags & VMMGMT_REC_F_STREAM;
	/* An RST is never answered: it is dropped like a response. */
	bool request = !(hdr->flags & VMMGMT_REC_F_RESPONSE) &&
		       !(stream && vmmgmt_host_stream_is_rst(hdr, payload));
	u32 err = 0;
	int ret;

	/* Before its first record the guest may have turned credits on. */
	if (!vm->flow_on)
		vm->flow_on = vmmgmt_host_region_flow(vm);
	if (!stream && hdr->mode == VMMGMT_MODE_CTRL && request)
		return vmmgmt_host_worker_control(vm, hdr, payload, &src);
	/* A STATS response answers a host request: routed like chat. */
	if (!stream && hdr->mode == VMMGMT_MODE_STATS && request) {
		vmmgmt_host_stats_rx(vm, hdr, payload);
		return vmmgmt_host_worker_consumed(vm, hdr, false);
	}
	/* Stream segments always go on, even to the echo port. */
	if (stream || hdr->dst.host || hdr->dst.vm != VMMGMT_HOST_PEER_ID ||
	    hdr->dst.port != VMMGMT_PORT_ECHO) {
		ret = vmmgmt_host_worker_forward(vm, hdr, payload, &src);
		if (ret > 0)
			return 1;
		if (!ret)
			return vmmgmt_host_worker_consumed(vm, hdr, false);
		err = -ret;
	}
	/* The echo, or an error answer; a response gets neither. */
	if (!request) {
		vmmgmt_host_flow_done(vm, hdr);
		return vmmgmt_host_worker_consumed(vm, hdr, true);
	}
	if (vmmgmt_host_worker_answer(vm, hdr, &src, payload, hdr->len, err))
		return 1;
	vmmgmt_host_flow_done(vm, hdr);
	return vmmgmt_host_worker_consumed(vm, hdr, err != 0);
}

/**
 * vmmgmt_host_worker_reset() - reset the channel if the guest asked for it.
 * @vm: the VM.
 *
 * The guest asks by writing a reset_request different from the value the
 * module last acted on (@vm->reset_seen) and ringing the doorbell.  The
 * value is read once; the region is laid out afresh from the module's own
 * copy of the layout (vmmgmt_host_region_init(): link DOWN, header, ring
 * descriptors and control blocks, reset_ack), the worker's blocked and
 * broken marks are cleared, the generation is bumped from the module's
 * own copy (not the header's), and UP is published last, as at
 * registration.  Records in flight in either ring are dropped with the
 * old indexes, the records the VM had held are freed (flow control starts
 * afresh), and the names the guest published are withdrawn; what host
 * endpoints and other VMs queued for the VM is posted into the new ring.
 * Host writers waiting for room are woken.  Other VMs are told nothing:
 * a reset storm must cost them nothing, and a stream with the old
 * instance learns of it from the RST its next segment gets.  A reset
 * counts as one record against the VM's quota: without a token it waits,
 * like records do.  A guest that keeps asking gets at most one reset per
 * batch; each costs a header and two control blocks.
 *
 * Context: the VM's worker; may sleep (allocation).
 * Return: false if a reset is asked for but waits for the quota (the
 * worker sleeps, @vm->quota.wait_ns is set); true otherwise.
 */
static bool vmmgmt_host_worker_reset(struct vmmgmt_host_vm *vm)
{
	u32 req = READ_ONCE(vm->hdr->reset_request);
	u32 old_state = vm->link_state;

	if (req == vm->reset_seen)
		return true;
	/* Resets are records of the quota (Documentation/vmmgmt.rst). */
	if (!vmmgmt_host_quota_budget(vm))
		return false;
	vmmgmt_host_quota_charge(vm, 1, 0);
	vm->reset_seen = req;
	WRITE_ONCE(vm->generation, vm->generation + 1);
	WRITE_ONCE(vm->link_state, VMMGMT_LINK_DOWN);
	vm->h2g_blocked = false;
	vm->h2g_broken = false;
	vm->blocked_len = 0;
	vm->posted = 0;
	vm->streaming = false;
	vm->idle_looks = 0;
	vm->ring_stuck = false;
	/* What the guest published belongs to the instance that went away. */
	vmmgmt_host_names_withdraw_all(vm);
	/* So do its held records, and what it was told of congestion. */
	vmmgmt_host_flow_purge(vm);
	/* So do its streams with host endpoints: they fail (ECONNRESET). */
	vmmgmt_host_stream_vm_gone(vm);
	/* The layout is the module's own: the ring code cannot refuse it. */
	if (WARN_ON_ONCE(vmmgmt_host_region_init(vm)))
		return true;
	/* Header, ack and ring indexes before UP; the guest reads UP last. */
	smp_wmb();
	WRITE_ONCE(vm->link_state, VMMGMT_LINK_UP);
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_UP);
	atomic64_inc(&vm->counters.resets);
	trace_vmmgmt_host_reset(vm->id, req, vm->generation,
				old_state == VMMGMT_LINK_BROKEN);
	vmmgmt_host_log_info(vm, "channel reset by the guest (request %u, was %s), generation %u\n",
			     req, old_state == VMMGMT_LINK_BROKEN ? "broken" : "up",
			     vm->generation);
	/* The guest waits for UP with its request acknowledged. */
	vmmgmt_host_worker_notify(vm);
	/* Writers waiting for room look again; the queue goes on. */
	wake_up_interruptible_all(&vm->tx_wq);
	return true;
}

/**
 * vmmgmt_host_worker_keep_polling() - whether an empty look keeps polling.
 * @vm: the VM.
 * @idle: the batch was a timed look (after vmmgmt_host_poll_us) that
 *	found no record.
 *
 * Adaptive polling: while the guest streams (@vm->streaming, set when a
 * timed look found several records), up to vmmgmt_host_poll_idle (at most
 * %VMMGMT_HOST_POLL_IDLE_MAX) empty timed looks in a row keep the G2H
 * consumer marked running.  Anything else ends the stream: the caller
 * stops the consumer and the worker waits for a kick.  Only the presence
 * of records, never a value the guest wrote, decides, and every stream
 * ends after a bounded number of empty looks: an idle VM is soon looked
 * at no more.
 *
 * Context: the VM's worker.
 * Return: true if the worker should look again after vmmgmt_host_poll_us.
 */
static bool vmmgmt_host_worker_keep_polling(struct vmmgmt_host_vm *vm,
					    bool idle)
{
	u32 max = min_t(u32, READ_ONCE(vmmgmt_host_poll_idle),
			VMMGMT_HOST_POLL_IDLE_MAX);

	if (idle && vm->streaming && vm->idle_looks < max &&
	    READ_ONCE(vmmgmt_host_poll_us)) {
		vm->idle_looks++;
		return true;
	}
	vm->streaming = false;
	vm->idle_looks = 0;
	return false;
}

/**
 * vmmgmt_host_worker_batch() - handle at most one batch of records.
 * @vm: the VM.
 *
 * Context: the VM's worker.
 * Return: true if there may be more work right away; false if the worker
 * may sleep until the next kick (with @vm->linger set: until it looks
 * again after vmmgmt_host_poll_us).
 */
static bool vmmgmt_host_worker_batch(struct vmmgmt_host_vm *vm)
{
	bool polled = vm->polled;
	unsigned int budget;
	bool notify, more;
	s64 bytes;
	int ret;

	vm->polled = false;
	if (!vmmgmt_host_worker_reset(vm))
		return false;
	if (vm->link_state != VMMGMT_LINK_UP)
		return false;
	if (vm->h2g_blocked) {
		ret = vmmgmt_ring_space(&vm->h2g, vm->blocked_len);
		/* Sleep until the guest consumes and rings the doorbell. */
		if (ret == -ENOSPC &&
		    vmmgmt_ring_prod_wait(&vm->h2g, vm->blocked_len))
			return false;
		vm->h2g_blocked = false;
	}

	vm->posted = 0;
	vm->ring_stuck = false;
	/*
	 * Whether the guest takes notices and keeps to credits: latched
	 * until the next reset (a guest that set it up after the reset
	 * posts its first records in this batch already).
	 */
	if (!vm->flow_on)
		vm->flow_on = vmmgmt_host_region_flow(vm);
	/*
	 * The held records, when a destination that turned us away may
	 * have room now (or nothing turned us away since the last try): not
	 * on every batch while a destination stays wedged.
	 */
	if (atomic_xchg(&vm->held_kick, 0) || !READ_ONCE(vm->blocked)) {
		WRITE_ONCE(vm->blocked, false);
		vmmgmt_host_worker_held(vm);
	}
	more = vmmgmt_host_worker_tx(vm);
	vmmgmt_ring_cons_start(&vm->g2h);
	/* Out of quota: the records wait in the ring, the worker sleeps. */
	budget = vmmgmt_host_quota_budget(vm);
	ret = 0;
	if (budget) {
		bytes = atomic64_read(&vm->counters.rx_bytes);
		ret = vmmgmt_ring_drain(&vm->g2h, budget,
					vmmgmt_host_worker_rx, vm, vm->buf,
					VMMGMT_MSG_MAX);
		if (ret > 0)
			vmmgmt_host_quota_charge(vm, ret,
						 atomic64_read(&vm->counters.rx_bytes) -
						 bytes);
	}
	vmmgmt_host_worker_notices(vm);
	/*
	 * The guest's word, read once per batch: whatever it says only picks
	 * how this VM's own interrupts are suppressed.
	 */
	vmmgmt_ring_use_notify_at(&vm->h2g,
				  READ_ONCE(vmmgmt_host_notify_at) &&
				  (READ_ONCE(vm->hdr->features_accepted) &
				   VMMGMT_F_NOTIFY_AT));
	notify = vm->posted && vmmgmt_ring_need_notify(&vm->h2g);
	/* A guest writer that found G2H full sleeps until room is made. */
	if (ret > 0 && vmmgmt_ring_cons_need_notify(&vm->g2h))
		notify = true;
	/* Fault injection: an interrupt that never arrives. */
	if (notify && atomic_dec_if_positive(&vm->drop_calls) >= 0) {
		atomic64_inc(&vm->counters.injected_drops);
		trace_vmmgmt_host_notify(vm->id,
					 VMMGMT_TRACE_INTERRUPT_DROPPED);
		notify = false;
	}
	if (notify)
		vmmgmt_host_worker_notify(vm);
	if (ret < 0) {
		vmmgmt_host_worker_broken(vm, &vm->g2h, "G2H");
		return false;
	}
	if (vm->h2g_broken) {
		vmmgmt_host_worker_broken(vm, &vm->h2g, "H2G");
		return false;
	}
	/* Keep cons_running set while blocked: the kick comes from H2G. */
	if (vm->h2g_blocked || more)
		return true;
	/*
	 * Throttled (now, or by the next batch): the consumer stays marked
	 * running, so the guest rings no doorbell while its records wait.
	 */
	if (!budget || (ret == budget && !vmmgmt_host_quota_budget(vm)))
		return false;
	if (ret == budget)
		return true;
	/*
	 * A record stays in the ring for want of room in the held queue: a
	 * destination wakes us when it has room (vmmgmt_host_vms_unblock()),
	 * and cons_stop() would see work right away.
	 */
	if (vm->ring_stuck)
		return false;
	/* Records came: look again soon rather than ask for a kick. */
	if (ret > 0 && READ_ONCE(vmmgmt_host_poll_us)) {
		/*
		 * Several found by a timed look: the guest posts without
		 * waiting for answers.  One only is a round trip that took
		 * longer than poll_us: no stream.
		 */
		vm->streaming = polled && ret > 1;
		vm->idle_looks = 0;
		vm->linger = true;
		return false;
	}
	if (vmmgmt_host_worker_keep_polling(vm, polled && !ret)) {
		vm->linger = true;
		return false;
	}
	return vmmgmt_ring_cons_stop(&vm->g2h);
}

/**
 * vmmgmt_host_worker_linger() - sleep until the next look at a busy ring.
 * @vm: the VM; its last batch set @vm->linger.
 *
 * Sleeps vmmgmt_host_poll_us (at most %VMMGMT_HOST_POLL_MAX_US; a kick, a
 * host endpoint's message or kthread_stop() end it early), then makes the
 * worker look again.  The G2H consumer stays marked running meanwhile, so
 * the guest rings no doorbell: this timer is what makes sure its records
 * are seen.  The next batch that consumes nothing stops the consumer.
 *
 * Context: the VM's worker, in TASK_INTERRUPTIBLE; returns in
 * TASK_RUNNING.
 */
static void vmmgmt_host_worker_linger(struct vmmgmt_host_vm *vm)
{
	u32 us = min_t(u32, READ_ONCE(vmmgmt_host_poll_us),
		       VMMGMT_HOST_POLL_MAX_US);
	ktime_t t = ns_to_ktime((u64)us * NSEC_PER_USEC);

	vm->linger = false;
	vm->polled = true;
	/* A quarter of slack lets the timer share an interrupt. */
	schedule_hrtimeout_range(&t, (u64)us * NSEC_PER_USEC / 4,
				 HRTIMER_MODE_REL);
	__set_current_state(TASK_RUNNING);
	atomic64_inc(&vm->counters.polls);
	atomic_set(&vm->pending, 1);
}

/**
 * vmmgmt_host_worker_fn() - main loop of a VM's kernel thread.
 * @data: the VM.
 *
 * Sleeps until a kick sets @vm->pending, handles one batch, and yields
 * with cond_resched() between batches.  After a batch that consumed
 * records it looks again after vmmgmt_host_poll_us, as long as records
 * keep coming (vmmgmt_host_worker_linger()); otherwise, without kicks, it
 * sleeps.
 *
 * Context: kernel thread, process context.
 * Return: 0 when stopped.
 */
static int vmmgmt_host_worker_fn(void *data)
{
	struct vmmgmt_host_vm *vm = data;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		/* A handover: parked between batches, the rings untouched. */
		if (kthread_should_park()) {
			__set_current_state(TASK_RUNNING);
			kthread_parkme();
			continue;
		}
		if (!atomic_xchg(&vm->pending, 0)) {
			if (vm->quota.wait_ns)
				vmmgmt_host_quota_sleep(vm);
			else if (vm->linger)
				vmmgmt_host_worker_linger(vm);
			else
				schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		if (vmmgmt_host_worker_batch(vm))
			atomic_set(&vm->pending, 1);
		cond_resched();
	}
	return 0;
}

/**
 * vmmgmt_host_worker_create() - create the VM's thread, not yet running.
 * @vm: the VM.
 *
 * Context: process context; may sleep.
 * Return: 0, or the error of kthread_create().
 */
int vmmgmt_host_worker_create(struct vmmgmt_host_vm *vm)
{
	struct task_struct *t;

	t = kthread_create(vmmgmt_host_worker_fn, vm, "vmmgmt-%s", vm->name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	vm->thread = t;
	return 0;
}

/**
 * vmmgmt_host_worker_start() - hook the kick eventfds and start the thread.
 * @vm: the VM, with its rings initialised and its thread created.
 * @kick_files: the kick eventfds' files, polled once each.
 *
 * Each kick gets a wait queue entry through vfs_poll(); the poll result
 * then says whether a kick came before the entry was queued, so that it
 * is not lost.  The thread starts with one batch pending either way.
 *
 * Context: process context.
 */
void vmmgmt_host_worker_start(struct vmmgmt_host_vm *vm,
			      struct file **kick_files)
{
	struct vmmgmt_host_kick *kick;
	unsigned int v;

	for (v = 0; v < vm->nr_vectors; v++) {
		kick = &vm->kicks[v];
		init_waitqueue_func_entry(&kick->wait, vmmgmt_host_kick_wake);
		init_poll_funcptr(&kick->pt, vmmgmt_host_kick_queue);
		/* The first poll also checks for a kick that came early. */
		vfs_poll(kick_files[v], &kick->pt);
	}
	vmmgmt_host_worker_wake(vm);
}

/**
 * vmmgmt_host_worker_park() - stop the worker between two batches.
 * @vm: the VM, its worker started.
 *
 * For a module handover: the worker finishes its batch and sleeps parked
 * until vmmgmt_host_worker_unpark() or vmmgmt_host_worker_stop().  Kicks
 * still wake it (it does not run: a parked thread is not woken) and count
 * in their eventfds; the kick hooks stay.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_host_worker_park(struct vmmgmt_host_vm *vm)
{
	kthread_park(vm->thread);
}

/**
 * vmmgmt_host_worker_unpark() - let a parked worker go on.
 * @vm: the VM, its worker parked by vmmgmt_host_worker_park().
 *
 * The worker looks at the rings at once: what came meanwhile waits there.
 *
 * Context: process context.
 */
void vmmgmt_host_worker_unpark(struct vmmgmt_host_vm *vm)
{
	kthread_unpark(vm->thread);
	vmmgmt_host_worker_wake(vm);
}

/**
 * vmmgmt_host_worker_stop() - unhook the kick eventfds, stop the thread.
 * @vm: the VM.
 *
 * eventfd_ctx_remove_wait_queue() takes the wait queue lock, so once it
 * returns the callback is not running and will not run again for that
 * entry; only then is the thread stopped.  kthread_stop() waits for the
 * thread to leave its loop, after its current batch.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_host_worker_stop(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_kick *kick;
	unsigned int v;
	u64 cnt;

	for (v = 0; v < vm->nr_vectors; v++) {
		kick = &vm->kicks[v];
		if (!kick->wqh)
			continue;
		eventfd_ctx_remove_wait_queue(kick->ctx, &kick->wait, &cnt);
		atomic64_add(cnt, &vm->counters.kicks);
		kick->wqh = NULL;
	}
	kthread_stop(vm->thread);
	vm->thread = NULL;
}
