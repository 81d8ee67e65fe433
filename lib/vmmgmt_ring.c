// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt ring: the single-producer, single-consumer ring of the shared
 * region, written once for both modules, the KUnit suite and the fuzzer.
 *
 * Each module compiles this file once through a one-line wrapper
 * (host-kmod/vmmgmt_host_ring.c, guest-kmod/vmmgmt_guest_ring.c); the
 * environment differences are in vmmgmt_ring_env.h.  The protocol is
 * described in Documentation/ring.rst.
 *
 * The consumer side is the host's parser of guest data: everything it
 * reads from the shared memory is read once, into private memory, and
 * validated there before it is used.  No loop depends on a value from the
 * shared memory for its bound, and every access is inside the data area.
 */

#include "vmmgmt_ring.h"

#define VMMGMT_REC_HDR		((u32)sizeof(struct vmmgmt_rec))

/*
 * Every access to the data area goes through vmmgmt_ring_read() and
 * vmmgmt_ring_write(), which first call VMMGMT_RING_ACCESS_HOOK(ring, off,
 * len).  The KUnit suite and the fuzzer define it to a function of theirs,
 * before including this file, that asserts the access lies inside the data
 * area; elsewhere it is an empty inline function.
 */
#ifndef VMMGMT_RING_ACCESS_HOOK
#define VMMGMT_RING_ACCESS_HOOK	vmmgmt_ring_access_nop
static inline void vmmgmt_ring_access_nop(const struct vmmgmt_ring *ring,
					  u32 off, u32 len)
{
	(void)ring;
	(void)off;
	(void)len;
}
#endif

static const char * const vmmgmt_ring_err_names[VMMGMT_RING_ERR_MAX] = {
	[VMMGMT_RING_OK]		= "ok",
	[VMMGMT_RING_ERR_HEAD_AHEAD]	= "head_ahead",
	[VMMGMT_RING_ERR_HEAD_BEHIND]	= "head_behind",
	[VMMGMT_RING_ERR_SKIP]		= "short_skip",
	[VMMGMT_RING_ERR_SHORT]		= "short_header",
	[VMMGMT_RING_ERR_LEN]		= "len",
	[VMMGMT_RING_ERR_MODE]		= "mode",
	[VMMGMT_RING_ERR_FLAGS]		= "flags",
	[VMMGMT_RING_ERR_RESERVED]	= "reserved",
	[VMMGMT_RING_ERR_PAD]		= "pad",
	[VMMGMT_RING_ERR_CROSS]		= "cross_end",
	[VMMGMT_RING_ERR_TRUNC]		= "truncated",
	[VMMGMT_RING_ERR_TAIL]		= "tail",
};

/**
 * vmmgmt_ring_read() - copy bytes out of the data area.
 * @ring: either side's view.
 * @off: offset in the data area; @off + @len <= @ring->size.
 * @dst: private destination.
 * @len: bytes to copy.
 *
 * Context: any context.
 */
static void vmmgmt_ring_read(const struct vmmgmt_ring *ring, u32 off,
			     void *dst, u32 len)
{
	VMMGMT_RING_ACCESS_HOOK(ring, off, len);
	memcpy(dst, ring->data + off, len);
}

/**
 * vmmgmt_ring_write() - copy bytes into the data area, or zero them.
 * @ring: the producer's view.
 * @off: offset in the data area; @off + @len <= @ring->size.
 * @src: the bytes, or NULL to write zeroes.
 * @len: bytes to write.
 *
 * Context: any context.
 */
static void vmmgmt_ring_write(struct vmmgmt_ring *ring, u32 off,
			      const void *src, u32 len)
{
	VMMGMT_RING_ACCESS_HOOK(ring, off, len);
	if (src)
		memcpy(ring->data + off, src, len);
	else
		memset(ring->data + off, 0, len);
}

/**
 * vmmgmt_ring_init() - set up one side's view of a ring.
 * @ring: the view to initialise.
 * @ctrl: the ring's shared indexes.
 * @data: the ring's shared data area.
 * @data_size: size of @data: a power of two, at least
 *	%VMMGMT_RING_MIN_DATA.
 *
 * Touches no shared memory: the caller then resets its side with
 * vmmgmt_ring_prod_reset() or vmmgmt_ring_cons_reset().  Both pointers
 * must be 8-byte aligned and point to normal (not __iomem) memory.
 *
 * Context: any context.
 * Return: 0, or -EINVAL when a pointer is NULL or misaligned or
 * @data_size is not a power of two of at least %VMMGMT_RING_MIN_DATA.
 */
int vmmgmt_ring_init(struct vmmgmt_ring *ring, struct vmmgmt_ring_ctrl *ctrl,
		     void *data, u32 data_size)
{
	if (!ring || !ctrl || !data)
		return -EINVAL;
	if (((unsigned long)ctrl | (unsigned long)data) % VMMGMT_RING_ALIGN)
		return -EINVAL;
	if (data_size < VMMGMT_RING_MIN_DATA || (data_size & (data_size - 1)))
		return -EINVAL;

	memset(ring, 0, sizeof(*ring));
	ring->ctrl = ctrl;
	ring->data = data;
	ring->size = data_size;
	ring->max_len = data_size / 4 < VMMGMT_MSG_MAX ?
			data_size / 4 : VMMGMT_MSG_MAX;
	return 0;
}

/**
 * vmmgmt_ring_prod_reset() - (re)start the producer side at an index.
 * @ring: the producer's view.
 * @idx: the index both sides start from (0 in a fresh region), a
 *	multiple of %VMMGMT_RING_ALIGN.
 *
 * Sets the private head and the shared head to @idx, clears the
 * producer's flags and padding and forgets a violation.  Keeps the choice
 * of vmmgmt_ring_use_notify_at().  Only while the
 * consumer is stopped and resets its side to the same @idx.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: 0, or -EINVAL if @idx is not aligned.
 */
int vmmgmt_ring_prod_reset(struct vmmgmt_ring *ring, u32 idx)
{
	struct vmmgmt_ring_ctrl *ctrl = ring->ctrl;

	if (idx % VMMGMT_RING_ALIGN)
		return -EINVAL;
	ring->idx = idx;
	ring->kicked = idx;
	ring->waiting = false;
	ring->err = VMMGMT_RING_OK;
	memset(ctrl->prod_pad, 0, sizeof(ctrl->prod_pad));
	WRITE_ONCE(ctrl->prod_waiting, 0);
	/* Pairs with the consumer's acquire of the head. */
	smp_store_release(&ctrl->head, idx);
	return 0;
}

/**
 * vmmgmt_ring_cons_reset() - (re)start the consumer side at an index.
 * @ring: the consumer's view.
 * @idx: the index both sides start from (0 in a fresh region), a
 *	multiple of %VMMGMT_RING_ALIGN.
 *
 * Sets the private tail and the shared tail to @idx, clears cons_running
 * and the consumer's padding, sets notify_at to @idx (the first record
 * posted after the reset is notified) and forgets a violation (the way a broken
 * channel is revived).  Only while the producer is stopped and resets its
 * side to the same @idx.
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: 0, or -EINVAL if @idx is not aligned.
 */
int vmmgmt_ring_cons_reset(struct vmmgmt_ring *ring, u32 idx)
{
	struct vmmgmt_ring_ctrl *ctrl = ring->ctrl;

	if (idx % VMMGMT_RING_ALIGN)
		return -EINVAL;
	ring->idx = idx;
	ring->pub = idx;
	ring->chk = idx;
	ring->err = VMMGMT_RING_OK;
	memset(ctrl->cons_pad, 0, sizeof(ctrl->cons_pad));
	WRITE_ONCE(ctrl->cons_running, 0);
	WRITE_ONCE(ctrl->notify_at, idx);
	/* Pairs with the producer's acquire of the tail. */
	smp_store_release(&ctrl->tail, idx);
	return 0;
}

/**
 * vmmgmt_ring_save() - copy one side's private state out.
 * @ring: the side; its caller does not use it meanwhile.
 * @st: filled in.
 *
 * Context: any context; serialised with the side's other calls.
 */
void vmmgmt_ring_save(const struct vmmgmt_ring *ring,
		      struct vmmgmt_ring_state *st)
{
	memset(st, 0, sizeof(*st));
	st->idx = ring->idx;
	st->pub = ring->pub;
	st->chk = ring->chk;
	st->kicked = ring->kicked;
	st->waiting = ring->waiting;
	st->use_notify_at = ring->use_notify_at;
	st->err = ring->err;
}

/**
 * vmmgmt_ring_restore() - take over one side from a saved state.
 * @ring: the side, set up by vmmgmt_ring_init() on the same shared ring.
 * @st: what vmmgmt_ring_save() wrote for that side.
 * @producer: the side is the producer (else the consumer).
 *
 * Nothing shared is written: the peer sees no change.  The state is
 * checked as far as the side's own invariants go: aligned indexes, flags
 * that are 0 or 1, a known violation.  The marks that only decide when to
 * notify (@st->kicked, @st->chk) are taken as they are: a wrong one costs
 * a notification, which the stall watchdogs make up for.
 *
 * Context: any context; before the side's other calls.
 * Return: 0, or -EINVAL (@ring is left as vmmgmt_ring_init() set it).
 */
int vmmgmt_ring_restore(struct vmmgmt_ring *ring,
			const struct vmmgmt_ring_state *st, bool producer)
{
	if (st->idx % VMMGMT_RING_ALIGN || st->err >= VMMGMT_RING_ERR_MAX ||
	    st->waiting > 1 || st->use_notify_at > 1)
		return -EINVAL;
	/* The consumer publishes whole records: an aligned tail. */
	if (!producer && st->pub % VMMGMT_RING_ALIGN)
		return -EINVAL;
	ring->idx = st->idx;
	ring->pub = st->pub;
	ring->chk = st->chk;
	ring->kicked = st->kicked;
	ring->waiting = st->waiting;
	ring->use_notify_at = st->use_notify_at;
	ring->err = st->err;
	return 0;
}

/**
 * vmmgmt_ring_rec_size() - bytes a record takes in the data area.
 * @len: its payload length, at most %VMMGMT_MSG_MAX.
 *
 * Context: any context.
 * Return: sizeof(struct vmmgmt_rec) + @len rounded up to
 * %VMMGMT_RING_ALIGN.
 */
u32 vmmgmt_ring_rec_size(u32 len)
{
	return (VMMGMT_REC_HDR + len + VMMGMT_RING_ALIGN - 1) &
	       ~(u32)(VMMGMT_RING_ALIGN - 1);
}

/**
 * vmmgmt_ring_error() - the violation that broke a ring.
 * @ring: either side's view.
 *
 * Context: any context.
 * Return: %VMMGMT_RING_OK, or the first rule the peer broke.
 */
enum vmmgmt_ring_err vmmgmt_ring_error(const struct vmmgmt_ring *ring)
{
	return ring->err;
}

/**
 * vmmgmt_ring_err_name() - short name of a violation, for logs and sysfs.
 * @err: a value of vmmgmt_ring_error().
 *
 * Context: any context.
 * Return: a static string such as "len" or "cross_end"; "unknown" for a
 * value out of range.
 */
const char *vmmgmt_ring_err_name(enum vmmgmt_ring_err err)
{
	if ((unsigned int)err >= VMMGMT_RING_ERR_MAX)
		return "unknown";
	return vmmgmt_ring_err_names[err];
}

/**
 * vmmgmt_ring_violation() - remember the first violation of a ring.
 * @ring: either side's view.
 * @err: the rule that was broken.
 *
 * Context: any context; serialised with the side's other calls.
 * Return: -EPROTO.
 */
static int vmmgmt_ring_violation(struct vmmgmt_ring *ring,
				 enum vmmgmt_ring_err err)
{
	if (ring->err == VMMGMT_RING_OK)
		ring->err = err;
	return -EPROTO;
}

/**
 * vmmgmt_ring_check_hdr() - the checks every record header must pass.
 * @ring: either side's view (for its maximum length).
 * @hdr: a private copy of the header.
 *
 * Context: any context.
 * Return: %VMMGMT_RING_OK, or the first rule @hdr breaks.
 */
static enum vmmgmt_ring_err
vmmgmt_ring_check_hdr(const struct vmmgmt_ring *ring,
		      const struct vmmgmt_rec *hdr)
{
	if (hdr->len > ring->max_len)
		return VMMGMT_RING_ERR_LEN;
	if (hdr->mode >= VMMGMT_MODE_MAX)
		return VMMGMT_RING_ERR_MODE;
	if (hdr->flags & ~VMMGMT_REC_F_KNOWN)
		return VMMGMT_RING_ERR_FLAGS;
	if (hdr->src.reserved || hdr->dst.reserved)
		return VMMGMT_RING_ERR_RESERVED;
	return VMMGMT_RING_OK;
}

/**
 * vmmgmt_ring_prod_need() - bytes the producer needs for a record now.
 * @ring: the producer's view.
 * @rec: vmmgmt_ring_rec_size() of the record.
 * @pre: set to the bytes skipped or padded before it (0 when it fits
 *	before the end of the data area).
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: @pre + @rec.
 */
static u32 vmmgmt_ring_prod_need(const struct vmmgmt_ring *ring, u32 rec,
				 u32 *pre)
{
	u32 rem = ring->size - (ring->idx & (ring->size - 1));

	*pre = rem < rec ? rem : 0;
	return *pre + rec;
}

/**
 * vmmgmt_ring_prod_free() - free bytes as the consumer's tail says.
 * @ring: the producer's view.
 * @free: set to the free bytes.
 *
 * Reads the shared tail once (acquire: the consumer has finished reading
 * the bytes before it, so they may be overwritten) and checks it against
 * the private head.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: 0, or -EPROTO when the tail is not within data_size bytes
 * behind the head (the ring is then broken).
 */
static int vmmgmt_ring_prod_free(struct vmmgmt_ring *ring, u32 *free)
{
	u32 tail, used;

	/* Pairs with vmmgmt_ring_publish(): no write before the reads. */
	tail = smp_load_acquire(&ring->ctrl->tail);
	used = ring->idx - tail;

	if (used > ring->size)
		return vmmgmt_ring_violation(ring, VMMGMT_RING_ERR_TAIL);
	*free = ring->size - used;
	return 0;
}

/**
 * vmmgmt_ring_space() - whether a record fits into the ring now.
 * @ring: the producer's view.
 * @len: payload length of the record.
 *
 * Counts the skip or PAD that vmmgmt_ring_post() would need first.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: 0 if vmmgmt_ring_post() of @len bytes would succeed now;
 * -EMSGSIZE if @len exceeds the ring's maximum; -ENOSPC if the ring is
 * too full; -EPROTO if the ring is broken.
 */
int vmmgmt_ring_space(struct vmmgmt_ring *ring, u32 len)
{
	u32 need, pre, free;
	int ret;

	if (ring->err)
		return -EPROTO;
	if (len > ring->max_len)
		return -EMSGSIZE;
	need = vmmgmt_ring_prod_need(ring, vmmgmt_ring_rec_size(len), &pre);
	ret = vmmgmt_ring_prod_free(ring, &free);
	if (ret)
		return ret;
	return need <= free ? 0 : -ENOSPC;
}

/**
 * vmmgmt_ring_post() - write one record and publish it.
 * @ring: the producer's view.
 * @hdr: the record header; @hdr->len payload bytes follow at @payload.
 * @payload: the payload (may be NULL when @hdr->len is 0).
 *
 * When the record does not fit before the end of the data area, the rest
 * of the area is first skipped (fewer than sizeof(struct vmmgmt_rec)
 * bytes) or filled with a PAD record, and the record goes to offset 0.
 * The bytes between the payload and the next %VMMGMT_RING_ALIGN boundary
 * are zeroed.  The head is published with release semantics after all
 * bytes are written; then the caller asks vmmgmt_ring_need_notify()
 * whether to notify the consumer.  Clears the producer's waiting flag.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: 0; -EMSGSIZE if @hdr->len exceeds the ring's maximum; -EINVAL
 * if @hdr is a PAD or breaks a rule of struct vmmgmt_rec (mode, flags,
 * reserved fields) or @payload is missing; -ENOSPC if the ring is too
 * full; -EPROTO if the ring is broken (the consumer's tail is bogus).
 */
int vmmgmt_ring_post(struct vmmgmt_ring *ring, const struct vmmgmt_rec *hdr,
		     const void *payload)
{
	u32 mask = ring->size - 1;
	u32 len = hdr->len;
	u32 rec, pre, need, free, off;
	int ret;

	if (ring->err)
		return -EPROTO;
	if (len > ring->max_len)
		return -EMSGSIZE;
	if (vmmgmt_ring_check_hdr(ring, hdr) != VMMGMT_RING_OK ||
	    hdr->mode == VMMGMT_MODE_PAD || (len && !payload))
		return -EINVAL;

	rec = vmmgmt_ring_rec_size(len);
	need = vmmgmt_ring_prod_need(ring, rec, &pre);
	ret = vmmgmt_ring_prod_free(ring, &free);
	if (ret)
		return ret;
	if (need > free)
		return -ENOSPC;

	off = ring->idx & mask;
	if (pre >= VMMGMT_REC_HDR) {
		struct vmmgmt_rec pad = {
			.len = pre - VMMGMT_REC_HDR,
			.mode = VMMGMT_MODE_PAD,
		};

		vmmgmt_ring_write(ring, off, &pad, sizeof(pad));
	}
	/* Now @rec bytes fit at @off: off + rec <= size. */
	off = (off + pre) & mask;
	vmmgmt_ring_write(ring, off, hdr, VMMGMT_REC_HDR);
	if (len)
		vmmgmt_ring_write(ring, off + VMMGMT_REC_HDR, payload, len);
	if (rec - VMMGMT_REC_HDR - len)
		vmmgmt_ring_write(ring, off + VMMGMT_REC_HDR + len, NULL,
				  rec - VMMGMT_REC_HDR - len);

	ring->idx += need;
	/* The record's bytes before the head that covers them. */
	smp_store_release(&ring->ctrl->head, ring->idx);
	if (ring->waiting) {
		ring->waiting = false;
		WRITE_ONCE(ring->ctrl->prod_waiting, 0);
	}
	return 0;
}

/**
 * vmmgmt_ring_notify_at_passed() - whether posts passed the consumer's
 * notify_at.
 * @old: the head before the posts.
 * @new: the head after them.
 * @at: the consumer's notify_at, any value.
 *
 * Modulo 2^32, as the indexes run: true if @at lies in [@old, @new), that
 * is, if the posts wrote the byte at which the consumer asked to be
 * notified.  False when nothing was posted (@old == @new).  Any @at gives
 * an answer and nothing else; a bogus one costs the peer its
 * notifications, not this side its progress.
 *
 * Context: any context.
 * Return: true if the consumer must be notified.
 */
bool vmmgmt_ring_notify_at_passed(u32 old, u32 new, u32 at)
{
	return (u32)(new - at - 1) < (u32)(new - old);
}

/**
 * vmmgmt_ring_use_notify_at() - choose how the producer decides to notify.
 * @ring: the producer's view.
 * @on: true when the consumer keeps notify_at up to date
 *	(%VMMGMT_F_NOTIFY_AT was negotiated for this direction).
 *
 * May change at any time between posts: each protocol is complete on its
 * own, because a consumer keeps both cons_running and notify_at.
 *
 * Context: any context; serialised with the producer's other calls.
 */
void vmmgmt_ring_use_notify_at(struct vmmgmt_ring *ring, bool on)
{
	ring->use_notify_at = on;
}

/**
 * vmmgmt_ring_need_notify() - whether to notify the consumer after posting.
 * @ring: the producer's view.
 *
 * Covers every record posted since the last call.  The full barrier
 * orders the head published by vmmgmt_ring_post() before the read of the
 * consumer's state; it pairs with the one in vmmgmt_ring_cons_stop().
 * Either the consumer sees the new head when it looks once more before
 * sleeping, or this sees what it wrote before that look.
 *
 * With vmmgmt_ring_use_notify_at() on, notifies only if the posts since
 * the last call passed notify_at: once per idle period of the consumer,
 * however many records follow before it drains them.  Otherwise (ABI 0.2)
 * notifies whenever cons_running is clear.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: true if the consumer may be asleep and must be notified; false
 * while it is draining the ring, if it was notified already (or, with
 * notify_at, nothing was posted since the last call), or if the ring is
 * broken.
 */
bool vmmgmt_ring_need_notify(struct vmmgmt_ring *ring)
{
	u32 old = ring->kicked;

	if (ring->err)
		return false;
	ring->kicked = ring->idx;
	/* head store before the consumer's state; see vmmgmt_ring_cons_stop() */
	smp_mb();
	if (ring->use_notify_at)
		return vmmgmt_ring_notify_at_passed(old, ring->idx,
						    READ_ONCE(ring->ctrl->notify_at));
	return !READ_ONCE(ring->ctrl->cons_running);
}

/**
 * vmmgmt_ring_prod_wait() - announce that the producer waits for space.
 * @ring: the producer's view.
 * @len: payload length of the record it wants to post.
 *
 * Sets prod_waiting, then (after a full barrier, pairing with the one in
 * vmmgmt_ring_cons_need_notify()) checks the space once more.  If the
 * record fits now the flag is cleared again and the producer must not
 * sleep; otherwise it may sleep until the consumer notifies it.
 * vmmgmt_ring_post() clears the flag.
 *
 * Context: any context; serialised with the producer's other calls.
 * Return: true if the producer may sleep; false if it should try
 * vmmgmt_ring_post() now (the record fits, or post will report an error).
 */
bool vmmgmt_ring_prod_wait(struct vmmgmt_ring *ring, u32 len)
{
	if (ring->err || len > ring->max_len)
		return false;
	ring->waiting = true;
	WRITE_ONCE(ring->ctrl->prod_waiting, 1);
	/* flag store before tail load; see vmmgmt_ring_cons_need_notify() */
	smp_mb();
	if (vmmgmt_ring_space(ring, len) != -ENOSPC) {
		ring->waiting = false;
		WRITE_ONCE(ring->ctrl->prod_waiting, 0);
		return false;
	}
	return true;
}

/**
 * vmmgmt_ring_publish() - publish the consumer's private tail.
 * @ring: the consumer's view.
 *
 * Release semantics: the copies out of the consumed records are complete
 * before the producer may reuse their bytes.  Skips the store when the
 * tail did not move, so an idle poll writes no shared memory.
 *
 * Context: any context; serialised with the consumer's other calls.
 */
static void vmmgmt_ring_publish(struct vmmgmt_ring *ring)
{
	if (ring->pub == ring->idx)
		return;
	ring->pub = ring->idx;
	/* Pairs with the acquire in vmmgmt_ring_prod_free(). */
	smp_store_release(&ring->ctrl->tail, ring->idx);
}

/**
 * vmmgmt_ring_next() - find and validate the next record.
 * @ring: the consumer's view.
 * @hdr: set to a validated private copy of the record's header.
 * @rec_size: set to the bytes the record takes.
 *
 * Reads the shared head once (acquire) and never again in this call.
 * Skips an implicit tail skip or a PAD record (advancing the private
 * tail, not publishing it); after either the next record starts at
 * offset 0, so at most two steps are needed.  Every header is copied into
 * @hdr before it is looked at; a compiler barrier makes sure no check
 * reads the shared copy again.
 *
 * On success the record starts at the private tail, and its header and
 * payload lie inside the data area and within the produced bytes.
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: 0; -EAGAIN if no record is available; -EPROTO on a violation
 * (recorded in @ring->err).
 */
static int vmmgmt_ring_next(struct vmmgmt_ring *ring, struct vmmgmt_rec *hdr,
			    u32 *rec_size)
{
	u32 mask = ring->size - 1;
	u32 head, avail, off, rem, rec;
	enum vmmgmt_ring_err bad;
	int step;

	if (ring->err)
		return -EPROTO;
	/* The only read of the head; pairs with vmmgmt_ring_post(). */
	head = smp_load_acquire(&ring->ctrl->head);

	for (step = 0; step < 2; step++) {
		avail = head - ring->idx;
		if (avail > ring->size)
			return vmmgmt_ring_violation(ring, (s32)avail < 0 ?
						     VMMGMT_RING_ERR_HEAD_BEHIND :
						     VMMGMT_RING_ERR_HEAD_AHEAD);
		if (!avail)
			return -EAGAIN;

		off = ring->idx & mask;
		rem = ring->size - off;
		if (rem < VMMGMT_REC_HDR) {
			/* The implicit skip: no header fits here. */
			if (avail < rem)
				return vmmgmt_ring_violation(ring,
							     VMMGMT_RING_ERR_SKIP);
			ring->idx += rem;
			continue;
		}
		if (avail < VMMGMT_REC_HDR)
			return vmmgmt_ring_violation(ring, VMMGMT_RING_ERR_SHORT);

		vmmgmt_ring_read(ring, off, hdr, VMMGMT_REC_HDR);
		barrier();

		bad = vmmgmt_ring_check_hdr(ring, hdr);
		if (bad != VMMGMT_RING_OK)
			return vmmgmt_ring_violation(ring, bad);
		if (hdr->mode == VMMGMT_MODE_PAD) {
			if (VMMGMT_REC_HDR + hdr->len != rem || hdr->flags)
				return vmmgmt_ring_violation(ring,
							     VMMGMT_RING_ERR_PAD);
			if (avail < rem)
				return vmmgmt_ring_violation(ring,
							     VMMGMT_RING_ERR_TRUNC);
			ring->idx += rem;
			continue;
		}
		rec = vmmgmt_ring_rec_size(hdr->len);
		if (rec > rem)
			return vmmgmt_ring_violation(ring, VMMGMT_RING_ERR_CROSS);
		if (rec > avail)
			return vmmgmt_ring_violation(ring, VMMGMT_RING_ERR_TRUNC);
		*rec_size = rec;
		return 0;
	}
	/*
	 * Not reached: a skip or PAD ends at offset 0, where a PAD would
	 * need the whole data area but fewer bytes than that are left.
	 */
	return -EAGAIN;
}

/**
 * vmmgmt_ring_copy_payload() - copy the payload of the validated record.
 * @ring: the consumer's view, its private tail at the record.
 * @len: the validated payload length.
 * @buf: destination, at least @len bytes.
 *
 * Context: any context; serialised with the consumer's other calls.
 */
static void vmmgmt_ring_copy_payload(const struct vmmgmt_ring *ring, u32 len,
				     void *buf)
{
	u32 off = ring->idx & (ring->size - 1);

	if (len)
		vmmgmt_ring_read(ring, off + VMMGMT_REC_HDR, buf, len);
}

/**
 * vmmgmt_ring_peek() - validate the next record without consuming it.
 * @ring: the consumer's view.
 * @hdr: set to a validated private copy of its header.
 *
 * For sizing a buffer or checking a quota before vmmgmt_ring_pop().  The
 * peer may rewrite the record in between: use the header that pop
 * returns, not this one.  Skips a PAD or implicit skip privately; writes
 * no shared memory.
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: 0; -EAGAIN if the ring is empty; -EPROTO on a violation (see
 * vmmgmt_ring_error(); the ring is broken until
 * vmmgmt_ring_cons_reset()).
 */
int vmmgmt_ring_peek(struct vmmgmt_ring *ring, struct vmmgmt_rec *hdr)
{
	struct vmmgmt_rec h;
	u32 rec;
	int ret;

	ret = vmmgmt_ring_next(ring, &h, &rec);
	if (!ret)
		*hdr = h;
	return ret;
}

/**
 * vmmgmt_ring_pop() - copy out and consume the next record.
 * @ring: the consumer's view.
 * @hdr: set to a validated private copy of the record header.
 * @buf: receives @hdr->len payload bytes.
 * @buf_size: size of @buf.
 *
 * Reads the shared head once, validates the record (Documentation/ring.rst
 * lists the rules), copies header and payload into private memory, then
 * publishes the new tail with release semantics.
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: 0 with a record in @hdr and @buf; -EAGAIN if the ring is empty;
 * -EMSGSIZE if @buf_size is smaller than the payload (@hdr is set, the
 * record stays in the ring); -EPROTO on a violation (see
 * vmmgmt_ring_error(); the ring is broken until vmmgmt_ring_cons_reset()).
 */
int vmmgmt_ring_pop(struct vmmgmt_ring *ring, struct vmmgmt_rec *hdr,
		    void *buf, size_t buf_size)
{
	struct vmmgmt_rec h;
	u32 rec;
	int ret;

	ret = vmmgmt_ring_next(ring, &h, &rec);
	if (ret == -EPROTO)
		return ret;
	if (!ret) {
		if (h.len > buf_size) {
			ret = -EMSGSIZE;
		} else {
			vmmgmt_ring_copy_payload(ring, h.len, buf);
			ring->idx += rec;
		}
		*hdr = h;
	}
	vmmgmt_ring_publish(ring);
	return ret;
}

/**
 * vmmgmt_ring_drain() - hand up to @budget records to a callback.
 * @ring: the consumer's view.
 * @budget: most records to handle in this call (the batch weight).
 * @cb: called with private copies of each record's header and payload.
 * @ctx: passed to @cb.
 * @buf: scratch buffer for the payloads.
 * @buf_size: size of @buf; at least the ring's maximum payload.
 *
 * Each record is validated and copied as by vmmgmt_ring_pop(), then given
 * to @cb; it is consumed only if @cb returns 0.  The tail is published
 * after every consumed record.
 *
 * Context: any context @cb allows; serialised with the consumer's other
 * calls.
 * Return: the number of records consumed (fewer than @budget when the
 * ring became empty or @cb declined one); -EMSGSIZE if a payload does not
 * fit @buf (the record stays in the ring); -EPROTO on a violation (the
 * records before it were consumed).
 */
int vmmgmt_ring_drain(struct vmmgmt_ring *ring, unsigned int budget,
		      vmmgmt_ring_cb_t cb, void *ctx, void *buf,
		      size_t buf_size)
{
	struct vmmgmt_rec h;
	unsigned int n;
	u32 rec;
	int ret = 0;

	for (n = 0; n < budget; n++) {
		ret = vmmgmt_ring_next(ring, &h, &rec);
		if (ret)
			break;
		if (h.len > buf_size) {
			ret = -EMSGSIZE;
			break;
		}
		vmmgmt_ring_copy_payload(ring, h.len, buf);
		if (cb(ctx, &h, buf))
			break;
		ring->idx += rec;
		vmmgmt_ring_publish(ring);
	}
	if (ret == -EPROTO)
		return ret;
	vmmgmt_ring_publish(ring);
	if (ret == -EMSGSIZE)
		return ret;
	return n;
}

/**
 * vmmgmt_ring_scan() - look at records ahead without consuming them.
 * @ring: the consumer's view.
 * @pos: where to look from, a free-running index of the ring: from the
 *	private tail if it is behind it; on return, the index after the
 *	last record looked at (the caller keeps it to go on from there).
 * @budget: most records to look at in this call.
 * @cb: called with a private copy of each record's header, and of its
 *	payload if it fits @buf (else NULL); what it returns is ignored.
 * @ctx: passed to @cb.
 * @buf: scratch buffer for the payloads.
 * @buf_size: size of @buf: the longest payload worth looking at.
 *
 * For a consumer whose next record must wait (its receiver is full) but
 * that must see what follows it (notices that make the receiver drain).
 * Each record is validated as by vmmgmt_ring_drain(); nothing is
 * consumed, published or written to shared memory.  The producer may
 * rewrite a record before it is consumed: what @cb saw is only a hint,
 * and the consumer that acted on it must not act on it again when it
 * consumes the record (it knows by its index: below *@pos).
 *
 * Context: any context @cb allows; serialised with the consumer's other
 * calls.
 * Return: the number of records looked at; -EPROTO on a violation (the
 * ring is broken, as when draining).
 */
int vmmgmt_ring_scan(struct vmmgmt_ring *ring, u32 *pos, unsigned int budget,
		     vmmgmt_ring_cb_t cb, void *ctx, void *buf,
		     size_t buf_size)
{
	u32 tail = ring->idx;
	struct vmmgmt_rec h;
	unsigned int n;
	u32 rec;
	int ret = 0;

	if ((s32)(*pos - tail) > 0)
		ring->idx = *pos;
	for (n = 0; n < budget; n++) {
		ret = vmmgmt_ring_next(ring, &h, &rec);
		if (ret)
			break;
		if (h.len <= buf_size) {
			vmmgmt_ring_copy_payload(ring, h.len, buf);
			cb(ctx, &h, buf);
		} else {
			cb(ctx, &h, NULL);
		}
		ring->idx += rec;
	}
	*pos = ring->idx;
	ring->idx = tail;
	if (ret == -EPROTO)
		return ret;
	return n;
}

/**
 * vmmgmt_ring_cons_start() - tell the producer the consumer is draining.
 * @ring: the consumer's view.
 *
 * Sets cons_running, so the producer stops notifying.  No barrier: if the
 * producer sees the flag late it sends one notification too many.
 *
 * Context: any context; serialised with the consumer's other calls.
 */
void vmmgmt_ring_cons_start(struct vmmgmt_ring *ring)
{
	if (ring->err)
		return;
	WRITE_ONCE(ring->ctrl->cons_running, 1);
}

/**
 * vmmgmt_ring_cons_stop() - stop draining, unless more work appeared.
 * @ring: the consumer's view.
 *
 * Clears cons_running and sets notify_at to the private tail (the next
 * record posted is to be notified), then (after a full barrier that pairs
 * with the one in vmmgmt_ring_need_notify()) reads the head once more.  If
 * it moved, cons_running is set again and the caller must drain again:
 * the producer may have seen the old state and not notified.  notify_at
 * then stays behind the head, so no notification comes for records posted
 * until the next stop.
 *
 * A hostile producer can keep the head moving, so the caller must not spin
 * on this: it schedules another bounded batch instead (and the ring breaks
 * as soon as the head is invalid).
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: true if the head is not at the tail (drain again, still marked
 * running); false if the consumer may sleep, or the ring is broken.
 */
bool vmmgmt_ring_cons_stop(struct vmmgmt_ring *ring)
{
	if (ring->err)
		return false;
	WRITE_ONCE(ring->ctrl->cons_running, 0);
	WRITE_ONCE(ring->ctrl->notify_at, ring->idx);
	/* state stores before head load; see vmmgmt_ring_need_notify() */
	smp_mb();
	if (READ_ONCE(ring->ctrl->head) == ring->idx)
		return false;
	WRITE_ONCE(ring->ctrl->cons_running, 1);
	return true;
}

/**
 * vmmgmt_ring_cons_need_notify() - whether to wake a producer waiting for
 * space.
 * @ring: the consumer's view.
 *
 * Call after consuming records (after vmmgmt_ring_drain(), or after the
 * last vmmgmt_ring_pop() of a batch).  The full barrier orders the
 * published tail before the read of prod_waiting; it pairs with the one in
 * vmmgmt_ring_prod_wait().  Only a tail that moved since the last call can
 * have made room, so an unchanged tail never asks for a notification.
 *
 * Context: any context; serialised with the consumer's other calls.
 * Return: true if the producer waits and the tail moved since the last
 * call; false otherwise or if the ring is broken.
 */
bool vmmgmt_ring_cons_need_notify(struct vmmgmt_ring *ring)
{
	if (ring->err || ring->chk == ring->pub)
		return false;
	ring->chk = ring->pub;
	/* tail store before flag load; see vmmgmt_ring_prod_wait() */
	smp_mb();
	return READ_ONCE(ring->ctrl->prod_waiting) != 0;
}
