/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt ring: one side's view of a single-producer, single-consumer ring
 * in the shared region (the layout is in uapi/vmmgmt.h, the protocol in
 * Documentation/ring.rst).
 *
 * The same code runs in vmmgmt_host.ko, vmmgmt_guest.ko, the KUnit suite
 * and the userspace fuzzer.  The consumer treats the shared memory as
 * hostile; the producer trusts nothing it reads back from it either.
 */
#ifndef _VMMGMT_RING_H
#define _VMMGMT_RING_H

#include "vmmgmt_ring_env.h"

#include <vmmgmt_types.h>

/**
 * enum vmmgmt_ring_err - why a ring was declared broken.
 * @VMMGMT_RING_OK: no violation seen.
 * @VMMGMT_RING_ERR_HEAD_AHEAD: the producer's head is more than data_size
 *	bytes ahead of the consumer's tail.
 * @VMMGMT_RING_ERR_HEAD_BEHIND: the producer's head is behind the tail.
 * @VMMGMT_RING_ERR_SKIP: fewer bytes were produced than the implicit skip
 *	at the end of the data area needs.
 * @VMMGMT_RING_ERR_SHORT: fewer bytes were produced than a record header.
 * @VMMGMT_RING_ERR_LEN: a record's len exceeds the ring's maximum.
 * @VMMGMT_RING_ERR_MODE: a record's mode is not an &enum vmmgmt_mode.
 * @VMMGMT_RING_ERR_FLAGS: a record has flag bits outside
 *	%VMMGMT_REC_F_KNOWN.
 * @VMMGMT_RING_ERR_RESERVED: a reserved field of a record's addresses is
 *	not zero.
 * @VMMGMT_RING_ERR_PAD: a PAD record does not end exactly at the end of
 *	the data area, or has flags.
 * @VMMGMT_RING_ERR_CROSS: a record crosses the end of the data area.
 * @VMMGMT_RING_ERR_TRUNC: a record extends beyond the produced bytes.
 * @VMMGMT_RING_ERR_TAIL: (producer) the consumer's tail is not within
 *	data_size bytes behind the head.
 * @VMMGMT_RING_ERR_MAX: number of values.
 *
 * Values are stable within a build only; use vmmgmt_ring_err_name() to
 * show them.
 */
enum vmmgmt_ring_err {
	VMMGMT_RING_OK = 0,
	VMMGMT_RING_ERR_HEAD_AHEAD,
	VMMGMT_RING_ERR_HEAD_BEHIND,
	VMMGMT_RING_ERR_SKIP,
	VMMGMT_RING_ERR_SHORT,
	VMMGMT_RING_ERR_LEN,
	VMMGMT_RING_ERR_MODE,
	VMMGMT_RING_ERR_FLAGS,
	VMMGMT_RING_ERR_RESERVED,
	VMMGMT_RING_ERR_PAD,
	VMMGMT_RING_ERR_CROSS,
	VMMGMT_RING_ERR_TRUNC,
	VMMGMT_RING_ERR_TAIL,
	VMMGMT_RING_ERR_MAX,
};

/**
 * struct vmmgmt_ring - one side (producer or consumer) of a ring.
 * @ctrl: the shared indexes.
 * @data: the shared data area, @size bytes.
 * @size: size of the data area, a power of two.
 * @max_len: largest payload of a record: min(%VMMGMT_MSG_MAX, @size / 4).
 * @idx: this side's own index: the producer's head or the consumer's
 *	tail.  The shared copy is only ever written from it, never read
 *	back, so a peer that scribbles on it changes nothing here.
 * @pub: (consumer) the tail last published in @ctrl.
 * @chk: (consumer) @pub when vmmgmt_ring_cons_need_notify() last looked.
 * @kicked: (producer) @idx when vmmgmt_ring_need_notify() last looked:
 *	the posts since then are [@kicked, @idx).
 * @waiting: (producer) prod_waiting is set in @ctrl.
 * @use_notify_at: (producer) the consumer keeps notify_at in @ctrl up to
 *	date (%VMMGMT_F_NOTIFY_AT): notify only when a post passes it,
 *	rather than whenever cons_running is clear.
 * @err: the first violation seen; while it is not %VMMGMT_RING_OK the
 *	ring refuses every operation with -EPROTO and touches no shared
 *	memory.  Cleared by the reset functions.
 *
 * Not locked: a ring has one producer and one consumer, and each side's
 * caller serialises the calls on its own struct vmmgmt_ring.
 */
struct vmmgmt_ring {
	struct vmmgmt_ring_ctrl *ctrl;
	u8 *data;
	u32 size;
	u32 max_len;
	u32 idx;
	u32 pub;
	u32 chk;
	u32 kicked;
	bool waiting;
	bool use_notify_at;
	enum vmmgmt_ring_err err;
};

/**
 * struct vmmgmt_ring_state - one side's private state, as a host module
 * hands it to the next one (the shared control block stays where it is).
 * @idx: &vmmgmt_ring.idx.
 * @pub: &vmmgmt_ring.pub.
 * @chk: &vmmgmt_ring.chk.
 * @kicked: &vmmgmt_ring.kicked.
 * @waiting: &vmmgmt_ring.waiting.
 * @use_notify_at: &vmmgmt_ring.use_notify_at.
 * @err: &vmmgmt_ring.err.
 */
struct vmmgmt_ring_state {
	u32 idx;
	u32 pub;
	u32 chk;
	u32 kicked;
	u8 waiting;
	u8 use_notify_at;
	u16 err;
};

/**
 * typedef vmmgmt_ring_cb_t - receives one record from vmmgmt_ring_drain().
 * @ctx: the caller's context.
 * @hdr: the validated record header (a private copy).
 * @payload: @hdr->len bytes of payload (a private copy).
 *
 * Return: 0 to consume the record, non-zero to leave it in the ring and
 * end the batch (for example when the destination has no room).
 */
typedef int (*vmmgmt_ring_cb_t)(void *ctx, const struct vmmgmt_rec *hdr,
				const void *payload);

int vmmgmt_ring_init(struct vmmgmt_ring *ring, struct vmmgmt_ring_ctrl *ctrl,
		     void *data, u32 data_size);
int vmmgmt_ring_prod_reset(struct vmmgmt_ring *ring, u32 idx);
int vmmgmt_ring_cons_reset(struct vmmgmt_ring *ring, u32 idx);
void vmmgmt_ring_save(const struct vmmgmt_ring *ring,
		      struct vmmgmt_ring_state *st);
int vmmgmt_ring_restore(struct vmmgmt_ring *ring,
			const struct vmmgmt_ring_state *st, bool producer);
u32 vmmgmt_ring_rec_size(u32 len);
enum vmmgmt_ring_err vmmgmt_ring_error(const struct vmmgmt_ring *ring);
const char *vmmgmt_ring_err_name(enum vmmgmt_ring_err err);

int vmmgmt_ring_space(struct vmmgmt_ring *ring, u32 len);
int vmmgmt_ring_post(struct vmmgmt_ring *ring, const struct vmmgmt_rec *hdr,
		     const void *payload);
bool vmmgmt_ring_need_notify(struct vmmgmt_ring *ring);
void vmmgmt_ring_use_notify_at(struct vmmgmt_ring *ring, bool on);
bool vmmgmt_ring_notify_at_passed(u32 old, u32 new, u32 at);
bool vmmgmt_ring_prod_wait(struct vmmgmt_ring *ring, u32 len);

int vmmgmt_ring_peek(struct vmmgmt_ring *ring, struct vmmgmt_rec *hdr);
int vmmgmt_ring_pop(struct vmmgmt_ring *ring, struct vmmgmt_rec *hdr,
		    void *buf, size_t buf_size);
int vmmgmt_ring_scan(struct vmmgmt_ring *ring, u32 *pos, unsigned int budget,
		     vmmgmt_ring_cb_t cb, void *ctx, void *buf,
		     size_t buf_size);
int vmmgmt_ring_drain(struct vmmgmt_ring *ring, unsigned int budget,
		      vmmgmt_ring_cb_t cb, void *ctx, void *buf,
		      size_t buf_size);
void vmmgmt_ring_cons_start(struct vmmgmt_ring *ring);
bool vmmgmt_ring_cons_stop(struct vmmgmt_ring *ring);
bool vmmgmt_ring_cons_need_notify(struct vmmgmt_ring *ring);

#endif /* _VMMGMT_RING_H */
