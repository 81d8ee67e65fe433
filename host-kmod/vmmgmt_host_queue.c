// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: bounded message queues.
 *
 * Owns &struct vmmgmt_host_queue and &struct vmmgmt_host_msg: the
 * receive queue of a host endpoint (vmmgmt_host_ep.c) and the send queue
 * of a VM (filled by host endpoints and by other VMs' workers through
 * vmmgmt_host_route.c, drained by the VM's worker) are both one of these.
 * A queue has no lock of its own: the structure it is in protects it.
 *
 * May call: nothing of the module (the bottom of the call graph).
 */

#include <linux/list.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/**
 * vmmgmt_host_queue_init() - make an empty queue.
 * @q: the queue.
 *
 * Context: any context.
 */
void vmmgmt_host_queue_init(struct vmmgmt_host_queue *q)
{
	INIT_LIST_HEAD(&q->list);
	q->msgs = 0;
	q->bytes = 0;
}

/**
 * vmmgmt_host_queue_room() - whether one more message fits.
 * @q: the queue, its lock held.
 * @len: payload bytes of the message.
 *
 * A message larger than the byte limit still fits into an empty queue.
 *
 * Context: any context; the queue's lock held.
 * Return: true if it fits.
 */
bool vmmgmt_host_queue_room(const struct vmmgmt_host_queue *q, u32 len)
{
	if (!q->msgs)
		return true;
	return q->msgs < VMMGMT_HOST_QUEUE_MSGS &&
	       q->bytes + len <= VMMGMT_HOST_QUEUE_BYTES;
}

/**
 * vmmgmt_host_queue_add() - append a message.
 * @q: the queue, its lock held, with room (vmmgmt_host_queue_room()).
 * @msg: the message.
 *
 * Context: any context; the queue's lock held.
 */
void vmmgmt_host_queue_add(struct vmmgmt_host_queue *q,
			   struct vmmgmt_host_msg *msg)
{
	list_add_tail(&msg->node, &q->list);
	q->msgs++;
	q->bytes += msg->hdr.len;
}

/**
 * vmmgmt_host_queue_insert() - put a message back where it was.
 * @q: the queue, its lock held.
 * @pos: the entry the message goes after: a message on @q, or @q->list
 *	itself for the front.
 * @msg: the message, on no list.
 *
 * Context: any context; the queue's lock held.
 */
void vmmgmt_host_queue_insert(struct vmmgmt_host_queue *q,
			      struct list_head *pos,
			      struct vmmgmt_host_msg *msg)
{
	list_add(&msg->node, pos);
	q->msgs++;
	q->bytes += msg->hdr.len;
}

/**
 * vmmgmt_host_queue_del() - take a message off its queue.
 * @q: the queue, its lock held.
 * @msg: a message on @q; the caller frees it.
 *
 * Context: any context; the queue's lock held.
 */
void vmmgmt_host_queue_del(struct vmmgmt_host_queue *q,
			   struct vmmgmt_host_msg *msg)
{
	list_del(&msg->node);
	q->msgs--;
	q->bytes -= msg->hdr.len;
}

/**
 * vmmgmt_host_queue_purge() - free every message of a queue.
 * @q: the queue; nobody else may use it any more.
 *
 * Context: process context.
 */
void vmmgmt_host_queue_purge(struct vmmgmt_host_queue *q)
{
	struct vmmgmt_host_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &q->list, node) {
		vmmgmt_host_queue_del(q, msg);
		kvfree(msg);
	}
}

/**
 * vmmgmt_host_msg_alloc() - allocate a message with room for its payload.
 * @len: payload bytes, at most %VMMGMT_MSG_MAX.
 *
 * Context: process context; may sleep.
 * Return: the message, or NULL.
 */
struct vmmgmt_host_msg *vmmgmt_host_msg_alloc(u32 len)
{
	struct vmmgmt_host_msg *msg;

	return kvmalloc(struct_size(msg, data, len), GFP_KERNEL);
}
