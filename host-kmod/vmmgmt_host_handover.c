// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: a VM's channel state, as one module hands it to the
 * next (VMMGMT_HOST_IOC_EXPORT_VM, VMMGMT_HOST_IOC_IMPORT_VM).
 *
 * What lives in the region (the rings' shared indexes and records, the
 * header) stays where it is; what lives only in the module is written
 * into a state of format %VMMGMT_HOST_HANDOVER_FORMAT and read back by the
 * next module: each ring side's private indexes and flags, the channel's
 * generation and reset acknowledgment, the held queue and the flow table
 * (records whose destination was full, credits owed to the guest), the
 * send queue (records host endpoints and other VMs queued for the guest),
 * the names the guest published, and the administrator's settings
 * (quotas, the scheduling policy).  Counters and statistics start afresh.
 *
 * Format 1, native byte order (the state never leaves the host), every
 * part 8-byte aligned:
 *
 *	struct vmmgmt_host_state1	the fixed part, nr_* below
 *	struct vmmgmt_host_state1_flow	nr_flow of them
 *	records				nr_held then nr_tx, each a
 *					struct vmmgmt_rec and len bytes
 *	struct vmmgmt_name		nr_names of them
 *
 * The state comes back through userspace (vmmgmtd, root): it is checked
 * as strictly as anything else from there, against the limits of the
 * queues, the flow table and the names, and against the VM it is
 * imported for; a state that breaks one is refused (EPROTO), nothing of
 * it used.
 *
 * Owns: the state format.
 *
 * May call: the queues, the names, the shared ring (its side states) and
 * the shared name check.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/align.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/**
 * struct vmmgmt_host_state1 - the fixed part of a format 1 state.
 * @hdr: magic, format, total length and VM id.
 * @size: the region's size.
 * @nr_vectors: the VM's vectors.
 * @generation: &vmmgmt_host_vm.generation.
 * @reset_seen: &vmmgmt_host_vm.reset_seen.
 * @link_state: &vmmgmt_host_vm.link_state.
 * @flow_on: &vmmgmt_host_vm.flow_on.
 * @h2g_broken: &vmmgmt_host_vm.h2g_broken.
 * @handovers: handovers before this one.
 * @adoptions: &vmmgmt_host_vm.adoptions.
 * @quota_msgs: &vmmgmt_host_quota.msgs.
 * @quota_bytes: &vmmgmt_host_quota.bytes.
 * @sched_policy: &vmmgmt_host_sched.policy.
 * @nice_min: &vmmgmt_host_sched.nice_min.
 * @nice_max: &vmmgmt_host_sched.nice_max.
 * @nr_flow: flow table entries that follow (%VMMGMT_HOST_FLOW_DESTS).
 * @nr_held: held records.
 * @nr_tx: queued records, after the held ones.
 * @nr_names: names, after the records.
 * @pad: zero.
 * @g2h: the G2H ring's consumer side.
 * @h2g: the H2G ring's producer side.
 */
struct vmmgmt_host_state1 {
	struct vmmgmt_host_vm_state_hdr hdr;
	u64 size;
	u32 nr_vectors;
	u32 generation;
	u32 reset_seen;
	u32 link_state;
	u32 flow_on;
	u32 h2g_broken;
	u32 handovers;
	u32 adoptions;
	u32 quota_msgs;
	u32 quota_bytes;
	u32 sched_policy;
	s32 nice_min;
	s32 nice_max;
	u32 nr_flow;
	u32 nr_held;
	u32 nr_tx;
	u32 nr_names;
	u32 pad;
	struct vmmgmt_ring_state g2h;
	struct vmmgmt_ring_state h2g;
};

/**
 * struct vmmgmt_host_state1_flow - one flow table entry.
 * @vm: &vmmgmt_host_flow_dest.vm.
 * @port: &vmmgmt_host_flow_dest.port.
 * @held: &vmmgmt_host_flow_dest.held.
 * @ret_msgs: &vmmgmt_host_flow_dest.ret_msgs.
 * @ret_bytes: &vmmgmt_host_flow_dest.ret_bytes.
 * @used: &vmmgmt_host_flow_dest.used.
 * @pad: zero.
 */
struct vmmgmt_host_state1_flow {
	u32 vm;
	u32 port;
	u32 held;
	u32 ret_msgs;
	u64 ret_bytes;
	u32 used;
	u32 pad;
};

/* Bytes one record takes in a state. */
static size_t vmmgmt_host_state_rec_size(u32 len)
{
	return ALIGN(sizeof(struct vmmgmt_rec) + len, 8);
}

/* Bytes the records of a queue take in a state. */
static size_t vmmgmt_host_state_queue_size(const struct vmmgmt_host_queue *q)
{
	struct vmmgmt_host_msg *msg;
	size_t n = 0;

	list_for_each_entry(msg, &q->list, node)
		n += vmmgmt_host_state_rec_size(msg->hdr.len);
	return n;
}

/**
 * vmmgmt_host_handover_size() - how long a VM's state is.
 * @vm: the VM, its worker parked and its send queue closed to senders
 *	(&vmmgmt_host_vm.frozen).
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 * Return: the bytes vmmgmt_host_handover_save() writes; at most
 * %VMMGMT_HOST_HANDOVER_STATE_MAX given the queues' limits.
 */
size_t vmmgmt_host_handover_size(struct vmmgmt_host_vm *vm)
{
	size_t n = sizeof(struct vmmgmt_host_state1);

	n += VMMGMT_HOST_FLOW_DESTS * sizeof(struct vmmgmt_host_state1_flow);
	n += vmmgmt_host_state_queue_size(&vm->held);
	n += vmmgmt_host_state_queue_size(&vm->tx);
	n += VMMGMT_NAMES_PER_OWNER * sizeof(struct vmmgmt_name);
	return n;
}

/* Writes a queue's records at @p; returns the end. */
static u8 *vmmgmt_host_state_put_queue(u8 *p, const struct vmmgmt_host_queue *q)
{
	struct vmmgmt_host_msg *msg;

	list_for_each_entry(msg, &q->list, node) {
		memcpy(p, &msg->hdr, sizeof(msg->hdr));
		memcpy(p + sizeof(msg->hdr), msg->data, msg->hdr.len);
		p += vmmgmt_host_state_rec_size(msg->hdr.len);
	}
	return p;
}

/**
 * vmmgmt_host_handover_save() - write a VM's state.
 * @vm: the VM, as for vmmgmt_host_handover_size().
 * @buf: vmmgmt_host_handover_size() bytes, zeroed.
 * @len: that size.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 * Return: the bytes written (the names may take less room than reserved).
 */
size_t vmmgmt_host_handover_save(struct vmmgmt_host_vm *vm, void *buf,
				 size_t len)
{
	struct vmmgmt_host_state1 *st = buf;
	struct vmmgmt_host_state1_flow *f;
	struct vmmgmt_name *names;
	unsigned int i;
	u8 *p;

	st->hdr.magic = VMMGMT_HOST_STATE_MAGIC;
	st->hdr.format = VMMGMT_HOST_HANDOVER_FORMAT;
	st->hdr.vm_id = vm->id;
	st->size = vm->size;
	st->nr_vectors = vm->nr_vectors;
	st->generation = vm->generation;
	st->reset_seen = vm->reset_seen;
	st->link_state = vm->link_state;
	st->flow_on = vm->flow_on;
	st->h2g_broken = vm->h2g_broken;
	st->handovers = vm->handovers;
	st->adoptions = vm->adoptions;
	st->quota_msgs = READ_ONCE(vm->quota.msgs);
	st->quota_bytes = READ_ONCE(vm->quota.bytes);
	mutex_lock(&vm->sched.lock);
	st->sched_policy = vm->sched.policy;
	st->nice_min = vm->sched.nice_min;
	st->nice_max = vm->sched.nice_max;
	mutex_unlock(&vm->sched.lock);
	st->nr_flow = VMMGMT_HOST_FLOW_DESTS;
	st->nr_held = vm->held.msgs;
	st->nr_tx = vm->tx.msgs;
	vmmgmt_ring_save(&vm->g2h, &st->g2h);
	vmmgmt_ring_save(&vm->h2g, &st->h2g);

	f = (void *)(st + 1);
	for (i = 0; i < VMMGMT_HOST_FLOW_DESTS; i++) {
		f[i].vm = vm->flow[i].vm;
		f[i].port = vm->flow[i].port;
		f[i].held = vm->flow[i].held;
		f[i].ret_msgs = vm->flow[i].ret_msgs;
		f[i].ret_bytes = vm->flow[i].ret_bytes;
		f[i].used = vm->flow[i].used;
	}
	p = (u8 *)(f + VMMGMT_HOST_FLOW_DESTS);
	p = vmmgmt_host_state_put_queue(p, &vm->held);
	p = vmmgmt_host_state_put_queue(p, &vm->tx);
	names = (void *)p;
	st->nr_names = vmmgmt_host_names_save(vm, names, VMMGMT_NAMES_PER_OWNER);
	p += st->nr_names * sizeof(*names);
	st->hdr.len = p - (u8 *)buf;
	WARN_ON_ONCE(st->hdr.len > len);
	return st->hdr.len;
}

/*
 * Reads @nr records from [*@pos, @end) into @q, within @max_msgs and
 * @max_bytes.  Returns 0 or -EPROTO (a record that breaks a rule or a
 * limit), -ENOMEM; what was read stays in @q for the caller to purge.
 */
static int vmmgmt_host_state_get_queue(const u8 **pos, const u8 *end, u32 nr,
				       struct vmmgmt_host_queue *q,
				       u32 max_msgs, u32 max_bytes)
{
	struct vmmgmt_host_msg *msg;
	struct vmmgmt_rec hdr;
	const u8 *p = *pos;
	u32 i;

	if (nr > max_msgs)
		return -EPROTO;
	for (i = 0; i < nr; i++) {
		if (end - p < (long)sizeof(hdr))
			return -EPROTO;
		memcpy(&hdr, p, sizeof(hdr));
		if (hdr.len > VMMGMT_MSG_MAX ||
		    end - p < (long)vmmgmt_host_state_rec_size(hdr.len) ||
		    q->bytes + hdr.len > max_bytes)
			return -EPROTO;
		msg = vmmgmt_host_msg_alloc(hdr.len);
		if (!msg)
			return -ENOMEM;
		msg->hdr = hdr;
		memcpy(msg->data, p + sizeof(hdr), hdr.len);
		vmmgmt_host_queue_add(q, msg);
		p += vmmgmt_host_state_rec_size(hdr.len);
	}
	*pos = p;
	return 0;
}

/* Checks the fixed part against the VM it is imported for. */
static int vmmgmt_host_state_check(const struct vmmgmt_host_vm *vm,
				   const struct vmmgmt_host_state1 *st,
				   size_t len)
{
	if (len < sizeof(*st) || st->hdr.magic != VMMGMT_HOST_STATE_MAGIC ||
	    st->hdr.format != VMMGMT_HOST_HANDOVER_FORMAT ||
	    st->hdr.len != len || st->hdr.vm_id != vm->id)
		return -EPROTO;
	if (st->size != vm->size || st->nr_vectors != vm->nr_vectors ||
	    st->nr_flow != VMMGMT_HOST_FLOW_DESTS || st->pad)
		return -EPROTO;
	if (st->link_state != VMMGMT_LINK_UP &&
	    st->link_state != VMMGMT_LINK_BROKEN)
		return -EPROTO;
	if (st->flow_on > 1 || st->h2g_broken > 1 ||
	    st->sched_policy > VMMGMT_HOST_SCHED_DEMAND ||
	    st->nice_min < -20 || st->nice_min > st->nice_max ||
	    st->nice_max > 19 || st->nr_names > VMMGMT_NAMES_PER_OWNER)
		return -EPROTO;
	return 0;
}

/* Takes the flow table; the held counts are checked against the records. */
static int vmmgmt_host_state_get_flow(struct vmmgmt_host_vm *vm,
				      const struct vmmgmt_host_state1_flow *f)
{
	struct vmmgmt_host_flow_dest *d;
	unsigned int i;

	vm->flow_nr = 0;
	for (i = 0; i < VMMGMT_HOST_FLOW_DESTS; i++) {
		d = &vm->flow[i];
		if (f[i].used > 1 || f[i].pad)
			return -EPROTO;
		d->vm = f[i].vm;
		d->port = f[i].port;
		d->held = f[i].held;
		d->ret_msgs = f[i].ret_msgs;
		d->ret_bytes = f[i].ret_bytes;
		d->stuck = false;
		d->used = f[i].used;
		if (d->used)
			vm->flow_nr++;
		else if (d->held || d->ret_msgs)
			return -EPROTO;
	}
	return 0;
}

/* The held records, each counted by its destination's entry. */
static int vmmgmt_host_state_check_held(struct vmmgmt_host_vm *vm)
{
	u32 held[VMMGMT_HOST_FLOW_DESTS] = { };
	struct vmmgmt_host_flow_dest *d;
	struct vmmgmt_host_msg *msg;
	unsigned int i;

	list_for_each_entry(msg, &vm->held.list, node) {
		d = vmmgmt_host_flow_lookup(vm, &msg->hdr);
		if (!d)
			return -EPROTO;
		held[d - vm->flow]++;
	}
	for (i = 0; i < VMMGMT_HOST_FLOW_DESTS; i++)
		if (held[i] != vm->flow[i].held)
			return -EPROTO;
	return 0;
}

/* Publishes the guest's names again, for @vm. */
static int vmmgmt_host_state_get_names(struct vmmgmt_host_vm *vm,
				       const struct vmmgmt_name *names, u32 nr)
{
	char name[VMMGMT_NAME_MAX];
	u32 i;
	int ret;

	for (i = 0; i < nr; i++) {
		memcpy(name, names[i].name, sizeof(name));
		if (!vmmgmt_name_valid(names[i].name, VMMGMT_NAME_PUNCT_PUBLISHED) ||
		    names[i].addr.host || names[i].addr.vm != vm->id ||
		    names[i].addr.reserved || names[i].flags || names[i].reserved)
			return -EPROTO;
		ret = vmmgmt_host_name_publish(vm, name, &names[i].addr);
		if (ret)
			return ret == -ENOMEM ? ret : -EPROTO;
	}
	return 0;
}

/**
 * vmmgmt_host_handover_load() - take over a VM's state.
 * @vm: the VM being imported: id, size and vectors set, its region
 *	mapped and its ring views set up on it (nothing written), its queues
 *	and flow table empty, not yet published.
 * @buf: the state, in kernel memory.
 * @len: its length.
 *
 * On error everything taken is undone: queues purged, names withdrawn.
 *
 * Context: process context; may sleep.
 * Return: 0; -EPROTO (a state of another format, or one that does not
 * match @vm or breaks a rule); -ENOMEM; -EADDRINUSE if a name is taken.
 */
int vmmgmt_host_handover_load(struct vmmgmt_host_vm *vm, const void *buf,
			      size_t len)
{
	const struct vmmgmt_host_state1 *st = buf;
	const struct vmmgmt_host_state1_flow *f;
	const u8 *p, *end = (const u8 *)buf + len;
	int ret;

	ret = vmmgmt_host_state_check(vm, st, len);
	if (ret)
		return ret;
	f = (const void *)(st + 1);
	p = (const u8 *)(f + VMMGMT_HOST_FLOW_DESTS);
	if (p > end)
		return -EPROTO;
	ret = vmmgmt_host_state_get_flow(vm, f);
	if (!ret)
		ret = vmmgmt_host_state_get_queue(&p, end, st->nr_held, &vm->held,
						  VMMGMT_HELD_MSGS, VMMGMT_HELD_BYTES);
	if (!ret)
		ret = vmmgmt_host_state_check_held(vm);
	if (!ret)
		ret = vmmgmt_host_state_get_queue(&p, end, st->nr_tx, &vm->tx,
						  VMMGMT_HOST_QUEUE_MSGS +
						  VMMGMT_HOST_NOTICES_MAX,
						  VMMGMT_HOST_QUEUE_BYTES +
						  VMMGMT_HOST_NOTICES_MAX *
						  VMMGMT_MSG_MAX);
	if (!ret && (size_t)(end - p) != st->nr_names * sizeof(struct vmmgmt_name))
		ret = -EPROTO;
	if (!ret && (vmmgmt_ring_restore(&vm->g2h, &st->g2h, false) ||
		     vmmgmt_ring_restore(&vm->h2g, &st->h2g, true)))
		ret = -EPROTO;
	if (!ret)
		ret = vmmgmt_host_state_get_names(vm, (const void *)p, st->nr_names);
	if (ret) {
		vmmgmt_host_names_withdraw_all(vm);
		vmmgmt_host_queue_purge(&vm->tx);
		vmmgmt_host_flow_purge(vm);
		return ret;
	}
	vm->generation = st->generation;
	vm->reset_seen = st->reset_seen;
	vm->link_state = st->link_state;
	vm->flow_on = st->flow_on;
	vm->h2g_broken = st->h2g_broken;
	vm->handovers = st->handovers + 1;
	vm->adoptions = st->adoptions;
	vm->quota.msgs = st->quota_msgs;
	vm->quota.bytes = st->quota_bytes;
	vm->sched.policy = st->sched_policy;
	vm->sched.nice_min = st->nice_min;
	vm->sched.nice_max = st->nice_max;
	/* The held records are tried at once. */
	atomic_set(&vm->held_kick, 1);
	return 0;
}
