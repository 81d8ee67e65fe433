// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: vmmgmt_ring - KUnit suite for the ring (lib/vmmgmt_ring.c)
 *
 * Runs the ring code that both modules compile, as the kernel compiler sees
 * it: one producer view and one consumer view of a ring in ordinary memory.
 *
 * The data area and the control block are surrounded by guard bytes that
 * must stay untouched, and the ring's access hook (VMMGMT_RING_ACCESS_HOOK)
 * fails the running test on any read or write that is not inside the data
 * area, so an out-of-bounds access is caught even without KASAN.
 *
 * Cases: argument checks; empty and full rings; thousands of records over
 * hundreds of laps and across the 2^32 wrap of the indexes; every payload
 * size from 0 to the maximum with its content; the implicit tail skip and
 * PAD records; notification suppression in both directions (cons_running,
 * and notify_at of ABI 0.3 with hostile values); the batch
 * helper; and hostile ring states (one parameterised case each) that must
 * break the ring with their own error and leave it broken.
 *
 * Run with ``make kunit`` (scripts/kunit); see Documentation/testing.rst.
 */

#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

struct vmmgmt_ring;
static void rt_access(const struct vmmgmt_ring *ring, u32 off, u32 len);
#define VMMGMT_RING_ACCESS_HOOK	rt_access

/* Found through the -I<repo>/uapi that scripts/kunit passes. */
#include "../lib/vmmgmt_ring.c"

/* Fails the running test on an access outside the data area. */
static void rt_access(const struct vmmgmt_ring *ring, u32 off, u32 len)
{
	struct kunit *test = kunit_get_current_test();

	if ((u64)off + len > ring->size && test)
		KUNIT_FAIL(test, "ring access [%u, %llu) outside the %u-byte data area",
			   off, (u64)off + len, ring->size);
}

#define RT_SIZE		VMMGMT_RING_MIN_DATA	/* 16 KiB: max_len 4096 */
#define RT_MAX		(RT_SIZE / 4)
#define RT_HDR		((u32)sizeof(struct vmmgmt_rec))
#define RT_GUARD	64
#define RT_GUARD_BYTE	0xa5
#define RT_WRAP_START	0xffffff00u	/* 256 bytes before the 2^32 wrap */
#define RT_FULL_START	0xffffc000u	/* one data area before the wrap */

/* A ring in guarded memory with a producer view and a consumer view. */
struct rt {
	u8 *dmem;	/* guard, data area, guard */
	u8 *cmem;	/* guard, control block, guard */
	struct vmmgmt_ring_ctrl *ctrl;
	u8 *data;
	u32 size;
	struct vmmgmt_ring prod;
	struct vmmgmt_ring cons;
	u8 *buf;	/* payloads popped */
	u8 *src;	/* payloads posted */
};

static u8 rt_byte(u64 id, u32 i)
{
	return (u8)(id * 31 + i * 7 + (i >> 8) + 1);
}

/* A ring of @size bytes whose indexes start at @start. */
static struct rt *rt_new(struct kunit *test, u32 size, u32 start)
{
	struct rt *rt;

	rt = kunit_kzalloc(test, sizeof(*rt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rt);
	rt->size = size;
	rt->dmem = kunit_kmalloc(test, size + 2 * RT_GUARD, GFP_KERNEL);
	rt->cmem = kunit_kmalloc(test, sizeof(*rt->ctrl) + 2 * RT_GUARD,
				 GFP_KERNEL);
	rt->buf = kunit_kmalloc(test, VMMGMT_MSG_MAX, GFP_KERNEL);
	rt->src = kunit_kmalloc(test, VMMGMT_MSG_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rt->dmem);
	KUNIT_ASSERT_NOT_NULL(test, rt->cmem);
	KUNIT_ASSERT_NOT_NULL(test, rt->buf);
	KUNIT_ASSERT_NOT_NULL(test, rt->src);

	memset(rt->dmem, RT_GUARD_BYTE, size + 2 * RT_GUARD);
	memset(rt->cmem, RT_GUARD_BYTE, sizeof(*rt->ctrl) + 2 * RT_GUARD);
	rt->data = rt->dmem + RT_GUARD;
	rt->ctrl = (struct vmmgmt_ring_ctrl *)(rt->cmem + RT_GUARD);
	memset(rt->data, 0, size);
	memset(rt->ctrl, 0, sizeof(*rt->ctrl));

	KUNIT_ASSERT_EQ(test, vmmgmt_ring_init(&rt->prod, rt->ctrl, rt->data,
					       size), 0);
	KUNIT_ASSERT_EQ(test, vmmgmt_ring_init(&rt->cons, rt->ctrl, rt->data,
					       size), 0);
	KUNIT_ASSERT_EQ(test, vmmgmt_ring_prod_reset(&rt->prod, start), 0);
	KUNIT_ASSERT_EQ(test, vmmgmt_ring_cons_reset(&rt->cons, start), 0);
	return rt;
}

/* The guard bytes around the data area and the control block. */
static void rt_check_guards(struct kunit *test, struct rt *rt)
{
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(rt->dmem, RT_GUARD_BYTE,
					       RT_GUARD),
			      "guard before the data area was written");
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(rt->data + rt->size,
					       RT_GUARD_BYTE, RT_GUARD),
			      "guard after the data area was written");
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(rt->cmem, RT_GUARD_BYTE,
					       RT_GUARD),
			      "guard before the control block was written");
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(rt->cmem + RT_GUARD +
					       sizeof(*rt->ctrl),
					       RT_GUARD_BYTE, RT_GUARD),
			      "guard after the control block was written");
}

/* The shared indexes, as the peer sees them. */
static u32 rt_tail(const struct rt *rt)
{
	return READ_ONCE(rt->ctrl->tail);
}

static u32 rt_head(const struct rt *rt)
{
	return READ_ONCE(rt->ctrl->head);
}

static struct vmmgmt_rec rt_hdr(u32 len, u64 id)
{
	struct vmmgmt_rec h = {
		.len = len,
		.mode = VMMGMT_MODE_CHAT,
		.flags = VMMGMT_REC_F_RESPONSE,
		.id = id,
		.src = { .host = 0, .vm = 1, .port = 2 },
		.dst = { .host = 0, .vm = 3, .port = (u32)id },
	};

	return h;
}

/* Post a record of @len bytes whose header and payload derive from @id. */
static int rt_post(struct rt *rt, u32 len, u64 id)
{
	struct vmmgmt_rec h = rt_hdr(len, id);
	u32 i;

	for (i = 0; i < len && i < VMMGMT_MSG_MAX; i++)
		rt->src[i] = rt_byte(id, i);
	return vmmgmt_ring_post(&rt->prod, &h, rt->src);
}

/* Pop one record and check that it is the one rt_post(@len, @id) wrote. */
static void rt_pop_check(struct kunit *test, struct rt *rt, u32 len, u64 id)
{
	struct vmmgmt_rec want = rt_hdr(len, id);
	struct vmmgmt_rec h;
	u32 i;

	memset(&h, 0xff, sizeof(h));
	KUNIT_ASSERT_EQ_MSG(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
						  VMMGMT_MSG_MAX), 0,
			    "pop of record %llu (len %u)", id, len);
	KUNIT_ASSERT_EQ_MSG(test, memcmp(&h, &want, sizeof(h)), 0,
			    "header of record %llu", id);
	for (i = 0; i < len; i++)
		if (rt->buf[i] != rt_byte(id, i))
			break;
	KUNIT_ASSERT_EQ_MSG(test, i, len, "payload of record %llu (len %u)",
			    id, len);
	/* The tail the producer sees is the consumer's private one. */
	KUNIT_ASSERT_EQ(test, rt_tail(rt), rt->cons.idx);
}

/* Write a record header straight into the data area, as a peer could. */
static void rt_put(struct rt *rt, u32 off, u32 len, u16 mode, u16 flags)
{
	struct vmmgmt_rec h = rt_hdr(len, 7);

	h.mode = mode;
	h.flags = flags;
	memcpy(rt->data + off, &h, sizeof(h));
}

/* What rt_drain_cb() expects and counts. */
struct rt_drain {
	struct kunit *test;
	u64 next_id;		/* records come with consecutive ids */
	u32 len;		/* each with this payload length */
	unsigned int seen;	/* records accepted */
	unsigned int decline;	/* decline the record after this many... */
	bool declining;		/* ...if set */
};

static int rt_drain_cb(void *ctx, const struct vmmgmt_rec *hdr,
		       const void *payload)
{
	struct rt_drain *d = ctx;
	struct vmmgmt_rec want = rt_hdr(d->len, d->next_id);
	const u8 *p = payload;
	u32 i;

	KUNIT_EXPECT_EQ(d->test, memcmp(hdr, &want, sizeof(want)), 0);
	for (i = 0; i < hdr->len && i < d->len; i++)
		if (p[i] != rt_byte(d->next_id, i))
			break;
	KUNIT_EXPECT_EQ_MSG(d->test, i, d->len, "payload of record %llu",
			    d->next_id);
	if (d->declining && d->seen == d->decline)
		return 1;
	d->seen++;
	d->next_id++;
	return 0;
}

static void vmmgmt_ring_test_init(struct kunit *test)
{
	static const u32 bad_sizes[] = {
		0, 8, RT_SIZE / 2, RT_SIZE + 8, 3 * RT_SIZE, 0xffffffffu,
	};
	struct vmmgmt_ring_ctrl ctrl = { };
	struct vmmgmt_ring ring;
	static u64 area[8];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++)
		KUNIT_EXPECT_EQ_MSG(test, vmmgmt_ring_init(&ring, &ctrl, area,
							   bad_sizes[i]),
				    -EINVAL, "data_size %u", bad_sizes[i]);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, NULL, area, RT_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, &ctrl, NULL, RT_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, &ctrl,
					       (u8 *)area + 4, RT_SIZE),
			-EINVAL);

	/* init touches no shared memory, so a small area can stand in. */
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, &ctrl, area, RT_SIZE), 0);
	KUNIT_EXPECT_EQ(test, ring.max_len, 4096);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, &ctrl, area, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, ring.max_len, VMMGMT_MSG_MAX);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_init(&ring, &ctrl, area, 1u << 31), 0);
	KUNIT_EXPECT_EQ(test, ring.max_len, VMMGMT_MSG_MAX);
	KUNIT_EXPECT_EQ(test, ring.err, VMMGMT_RING_OK);

	KUNIT_EXPECT_EQ(test, vmmgmt_ring_prod_reset(&ring, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_cons_reset(&ring, 12), -EINVAL);

	KUNIT_EXPECT_EQ(test, vmmgmt_ring_rec_size(0), 48);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_rec_size(1), 56);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_rec_size(8), 56);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_rec_size(9), 64);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_rec_size(VMMGMT_MSG_MAX),
			VMMGMT_MSG_MAX + 48);

	KUNIT_EXPECT_STREQ(test, vmmgmt_ring_err_name(VMMGMT_RING_OK), "ok");
	KUNIT_EXPECT_STREQ(test, vmmgmt_ring_err_name(VMMGMT_RING_ERR_MAX),
			   "unknown");
	for (i = 0; i < VMMGMT_RING_ERR_MAX; i++) {
		KUNIT_ASSERT_NOT_NULL(test, vmmgmt_ring_err_name(i));
		for (j = i + 1; j < VMMGMT_RING_ERR_MAX; j++)
			KUNIT_EXPECT_STRNEQ(test, vmmgmt_ring_err_name(i),
					    vmmgmt_ring_err_name(j));
	}
}

static void vmmgmt_ring_test_empty(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);
	struct rt_drain d = { .test = test };
	struct vmmgmt_rec h;

	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
					      VMMGMT_MSG_MAX), -EAGAIN);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_peek(&rt->cons, &h), -EAGAIN);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 8, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX), 0);
	KUNIT_EXPECT_EQ(test, d.seen, 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 0);
	KUNIT_EXPECT_EQ(test, rt->cons.idx, 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->cons), VMMGMT_RING_OK);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, 0), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, RT_MAX), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, RT_MAX + 1),
			-EMSGSIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(rt->data, 0, rt->size));
	rt_check_guards(test, rt);
}

static void vmmgmt_ring_test_full(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_FULL_START);
	const u32 len = RT_SIZE / 4 - RT_HDR;	/* four records fill it */
	struct rt_drain d = { .test = test };
	struct vmmgmt_rec h;
	u32 n;

	for (n = 0; n < 4; n++)
		KUNIT_ASSERT_EQ(test, rt_post(rt, len, n), 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->head - rt->ctrl->tail, RT_SIZE);
	KUNIT_EXPECT_EQ(test, rt_post(rt, len, 4), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rt_post(rt, 0, 4), -ENOSPC);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rt->ctrl->head, rt->prod.idx);

	rt_pop_check(test, rt, len, 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, len), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, len + 8), -ENOSPC);
	KUNIT_ASSERT_EQ(test, rt_post(rt, len, 4), 0);
	for (n = 1; n < 5; n++)
		rt_pop_check(test, rt, len, n);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_peek(&rt->cons, &h), -EAGAIN);

	/* Filled with the smallest records: only a skip's worth stays free. */
	for (n = 0; rt_post(rt, 0, n) == 0; n++)
		KUNIT_ASSERT_LE(test, n, RT_SIZE / RT_HDR);
	KUNIT_EXPECT_GT(test, rt->prod.idx - rt->cons.idx,
			RT_SIZE - 2 * RT_HDR);
	KUNIT_EXPECT_LE(test, rt->prod.idx - rt->cons.idx, RT_SIZE);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, n + 1, rt_drain_cb,
						&d, rt->buf, VMMGMT_MSG_MAX),
			(int)n);
	KUNIT_EXPECT_EQ(test, d.seen, n);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, rt->ctrl->head);
	rt_check_guards(test, rt);
}

static u32 rt_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/*
 * Thousands of records of random sizes, the producer running ahead until
 * the ring is full and the consumer catching up by a random amount, over
 * hundreds of laps of the data area and across the 2^32 index wrap.
 */
static void vmmgmt_ring_test_wrap(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_WRAP_START);
	u32 seed = 0x12345678, lens[64], n_post = 0, n_pop = 0, k;
	u64 bytes = 0;
	bool wrapped = false;

	while (n_pop < 20000) {
		u32 len;

		/* Mostly small, sometimes up to the maximum. */
		len = rt_rand(&seed) % (rt_rand(&seed) % 8 ? 300 : RT_MAX + 1);
		while (n_post - n_pop < ARRAY_SIZE(lens) &&
		       rt_post(rt, len, n_post) == 0) {
			lens[n_post % ARRAY_SIZE(lens)] = len;
			n_post++;
			bytes += vmmgmt_ring_rec_size(len);
			len = rt_rand(&seed) % 300;
		}
		KUNIT_ASSERT_LE(test, rt->prod.idx - rt->cons.idx, RT_SIZE);
		KUNIT_ASSERT_EQ(test, rt->ctrl->head, rt->prod.idx);
		if (rt->prod.idx < RT_WRAP_START)
			wrapped = true;
		for (k = 1 + rt_rand(&seed) % 8; k && n_pop < n_post; k--) {
			rt_pop_check(test, rt, lens[n_pop % ARRAY_SIZE(lens)],
				     n_pop);
			n_pop++;
		}
	}
	KUNIT_EXPECT_TRUE(test, wrapped);
	KUNIT_EXPECT_GT(test, bytes, 100ULL * RT_SIZE);
	kunit_info(test, "%u records, %llu bytes, %llu laps", n_pop, bytes,
		   bytes / RT_SIZE);
	rt_check_guards(test, rt);
}

/*
 * A module handover: both sides' private states are saved and taken over
 * by fresh views (vmmgmt_ring_init() + vmmgmt_ring_restore()) every few
 * records, across the wrap; nothing shared is written by the take-over,
 * and every record arrives once, in order.  Bad states are refused.
 */
static void vmmgmt_ring_test_save_restore(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_WRAP_START);
	struct vmmgmt_ring_ctrl before;
	struct vmmgmt_ring_state ps, cs, bad;
	u32 n_post = 0, n_pop = 0, round;
	bool wrapped = false;

	for (round = 0; round < 2000; round++) {
		while (n_post - n_pop < 40 && rt_post(rt, 200, n_post) == 0)
			n_post++;
		if (rt->prod.idx < RT_WRAP_START)
			wrapped = true;
		/* Some popped, the rest left for the next module. */
		while (n_pop < n_post && (n_pop + round) % 3) {
			rt_pop_check(test, rt, 200, n_pop);
			n_pop++;
		}
		vmmgmt_ring_save(&rt->prod, &ps);
		vmmgmt_ring_save(&rt->cons, &cs);
		memcpy(&before, rt->ctrl, sizeof(before));
		KUNIT_ASSERT_EQ(test, vmmgmt_ring_init(&rt->prod, rt->ctrl,
						       rt->data, RT_SIZE), 0);
		KUNIT_ASSERT_EQ(test, vmmgmt_ring_init(&rt->cons, rt->ctrl,
						       rt->data, RT_SIZE), 0);
		KUNIT_ASSERT_EQ(test, vmmgmt_ring_restore(&rt->prod, &ps, true), 0);
		KUNIT_ASSERT_EQ(test, vmmgmt_ring_restore(&rt->cons, &cs, false), 0);
		KUNIT_ASSERT_EQ(test, memcmp(&before, rt->ctrl, sizeof(before)), 0);
	}
	while (n_pop < n_post) {
		rt_pop_check(test, rt, 200, n_pop);
		n_pop++;
	}
	KUNIT_EXPECT_TRUE(test, wrapped);
	KUNIT_EXPECT_GT(test, n_pop, 3000U);

	bad = ps;
	bad.idx += 1;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_restore(&rt->prod, &bad, true), -EINVAL);
	bad = ps;
	bad.err = VMMGMT_RING_ERR_MAX;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_restore(&rt->prod, &bad, true), -EINVAL);
	bad = cs;
	bad.pub += 4;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_restore(&rt->cons, &bad, false), -EINVAL);
	bad = ps;
	bad.use_notify_at = 7;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_restore(&rt->prod, &bad, true), -EINVAL);
	bad = cs;
	bad.waiting = 2;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_restore(&rt->cons, &bad, false), -EINVAL);
	rt_check_guards(test, rt);
}

/* Every payload size from 0 to the maximum, at every alignment. */
static void vmmgmt_ring_test_sizes(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_WRAP_START);
	u32 len, used, idx;

	for (len = 0; len <= RT_MAX; len++) {
		idx = rt->prod.idx;
		KUNIT_ASSERT_EQ_MSG(test, rt_post(rt, len, len), 0, "len %u",
				    len);
		used = rt->prod.idx - idx;
		KUNIT_ASSERT_GE(test, used, vmmgmt_ring_rec_size(len));
		KUNIT_ASSERT_EQ(test, used % VMMGMT_RING_ALIGN, 0);
		rt_pop_check(test, rt, len, len);
		KUNIT_ASSERT_EQ(test, rt->cons.idx, rt->prod.idx);
		/* Padding after the payload is zero. */
		idx = (rt->prod.idx - vmmgmt_ring_rec_size(len)) & (RT_SIZE - 1);
		KUNIT_ASSERT_NULL(test, memchr_inv(rt->data + idx + RT_HDR + len,
						   0, vmmgmt_ring_rec_size(len) -
						   RT_HDR - len));
	}
	KUNIT_EXPECT_EQ(test, rt_post(rt, RT_MAX + 1, 0), -EMSGSIZE);
	rt_check_guards(test, rt);
}

/* Arguments the producer refuses, and buffers too small for the consumer. */
static void vmmgmt_ring_test_bad_args(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);
	struct rt_drain d = { .test = test, .len = 100 };
	struct vmmgmt_rec h = rt_hdr(0, 1);

	KUNIT_EXPECT_EQ(test, rt_post(rt, RT_MAX + 1, 1), -EMSGSIZE);
	h.len = 0xffffffff;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, rt->src),
			-EMSGSIZE);
	h = rt_hdr(0, 1);
	h.mode = VMMGMT_MODE_PAD;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	h.mode = VMMGMT_MODE_MAX;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	h = rt_hdr(0, 1);
	h.flags = ~VMMGMT_REC_F_KNOWN & 0xffff;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	h = rt_hdr(0, 1);
	h.src.reserved = 1;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	h = rt_hdr(0, 1);
	h.dst.reserved = 1;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	h = rt_hdr(4, 1);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_post(&rt->prod, &h, NULL), -EINVAL);
	/* Nothing was written. */
	KUNIT_EXPECT_EQ(test, rt->prod.idx, 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->head, 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(rt->data, 0, rt->size));

	/* A buffer too small: the header says how much, the record stays. */
	KUNIT_ASSERT_EQ(test, rt_post(rt, 100, 0), 0);
	memset(&h, 0, sizeof(h));
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf, 99),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, h.len, 100);
	KUNIT_EXPECT_EQ(test, rt->cons.idx, 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 4, rt_drain_cb, &d,
						rt->buf, 64), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, d.seen, 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->cons), VMMGMT_RING_OK);
	rt_pop_check(test, rt, 100, 0);
	rt_check_guards(test, rt);
}

/* Start both sides where @rem bytes are left before the end. */
static struct rt *rt_new_at_end(struct kunit *test, u32 rem)
{
	/* Also the 2^32 wrap: these indexes are just below it. */
	return rt_new(test, RT_SIZE, 0u - rem);
}

/* Fewer bytes than a header left: skipped without a record, both sides. */
static void vmmgmt_ring_test_skip(struct kunit *test)
{
	u32 rem;

	for (rem = VMMGMT_RING_ALIGN; rem < RT_HDR; rem += VMMGMT_RING_ALIGN) {
		struct rt *rt = rt_new_at_end(test, rem);
		struct vmmgmt_rec h;

		KUNIT_ASSERT_EQ(test, rt_post(rt, 10, rem), 0);
		KUNIT_EXPECT_EQ(test, rt->prod.idx, 0u - rem + rem + 64);
		/* The skipped bytes are not written, the record is at 0. */
		KUNIT_EXPECT_NULL(test, memchr_inv(rt->data + RT_SIZE - rem, 0,
						   rem));
		memcpy(&h, rt->data, sizeof(h));
		KUNIT_EXPECT_EQ(test, h.id, rem);
		rt_pop_check(test, rt, 10, rem);
		KUNIT_EXPECT_EQ(test, rt->cons.idx, 64);
		KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 64);
		rt_check_guards(test, rt);

		/* A head at the start of the skip is an empty ring. */
		rt = rt_new_at_end(test, rem);
		KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
						      VMMGMT_MSG_MAX),
				-EAGAIN);
		KUNIT_EXPECT_EQ(test, rt->cons.idx, 0u - rem);
		rt_check_guards(test, rt);
	}
}

/* A record that does not fit before the end: PAD, then the record at 0. */
static void vmmgmt_ring_test_pad(struct kunit *test)
{
	static const struct { u32 rem, len; } cases[] = {
		{ 48, 1 }, { 48, RT_MAX }, { 56, 9 }, { 256, 300 },
		{ 4096, RT_MAX }, { 4136, RT_MAX },
	};
	struct rt_drain d = { .test = test, .len = 100, .next_id = 1 };
	struct vmmgmt_rec h;
	struct rt *rt;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 rem = cases[i].rem, len = cases[i].len;

		rt = rt_new_at_end(test, rem);
		KUNIT_ASSERT_EQ(test, rt_post(rt, len, i), 0);
		/* Started rem bytes before the wrap: PAD, record at 0. */
		KUNIT_EXPECT_EQ(test, rt->prod.idx, vmmgmt_ring_rec_size(len));
		memcpy(&h, rt->data + RT_SIZE - rem, sizeof(h));
		KUNIT_EXPECT_EQ(test, h.mode, VMMGMT_MODE_PAD);
		KUNIT_EXPECT_EQ(test, h.len, rem - RT_HDR);
		KUNIT_EXPECT_EQ(test, h.flags, 0);
		rt_pop_check(test, rt, len, i);
		KUNIT_EXPECT_EQ(test, rt->cons.idx, rt->prod.idx);
		rt_check_guards(test, rt);
	}

	/* A record that fits exactly needs no PAD. */
	rt = rt_new_at_end(test, 256);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 256 - RT_HDR, 5), 0);
	KUNIT_EXPECT_EQ(test, rt->prod.idx, 0);
	rt_pop_check(test, rt, 256 - RT_HDR, 5);

	/* A PAD published on its own is consumed; the ring is then empty. */
	rt = rt_new_at_end(test, 64);
	rt_put(rt, RT_SIZE - 64, 64 - RT_HDR, VMMGMT_MODE_PAD, 0);
	WRITE_ONCE(rt->ctrl->head, 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
					      VMMGMT_MSG_MAX), -EAGAIN);
	KUNIT_EXPECT_EQ(test, rt->cons.idx, 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 0);

	/* Through the batch helper, which publishes the skipped PAD too. */
	rt = rt_new_at_end(test, 64);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 100, 1), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 4, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX), 1);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, rt->prod.idx);
	rt_check_guards(test, rt);
}

/* cons_running suppresses notifications; stop() sees a late record. */
static void vmmgmt_ring_test_notify(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);

	/* A fresh consumer is asleep: the first record notifies. */
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 0);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, 0), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));

	/* While it drains, records do not notify. */
	vmmgmt_ring_cons_start(&rt->cons);
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 1);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, 1), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 8, 0);
	rt_pop_check(test, rt, 8, 1);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 0);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, 2), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 8, 2);

	/*
	 * The race: the consumer found the ring empty, a record arrives while
	 * it still looks running (no notification), then it stops.  stop()
	 * must see the record and keep the consumer running.
	 */
	vmmgmt_ring_cons_start(&rt->cons);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &(struct vmmgmt_rec){},
					      rt->buf, VMMGMT_MSG_MAX),
			-EAGAIN);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, 3), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 1);
	rt_pop_check(test, rt, 8, 3);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 0);
	rt_check_guards(test, rt);
}

/* vmmgmt_ring_notify_at_passed(): [old, new) modulo 2^32. */
static void vmmgmt_ring_test_notify_at_passed(struct kunit *test)
{
	static const struct {
		u32 old, new, at;
		bool passed;
	} c[] = {
		{ 0, 56, 0, true },		/* the first byte posted */
		{ 0, 56, 55, true },		/* the last byte posted */
		{ 0, 56, 56, false },		/* the next post's */
		{ 56, 56, 56, false },		/* nothing posted */
		{ 56, 56, 0, false },
		{ 56, 112, 0, false },		/* behind: notified before */
		{ 56, 112, 0xffffffffu, false },
		{ 0xffffffc0u, 0x40, 0xfffffff8u, true },	/* across 2^32 */
		{ 0xffffffc0u, 0x40, 0, true },
		{ 0xffffffc0u, 0x40, 0x3f, true },
		{ 0xffffffc0u, 0x40, 0x40, false },
		{ 0xffffffc0u, 0x40, 0xffffffbfu, false },
		{ 0x1000, 0x2000, 0x80001000u, false },	/* bogus: far ahead */
		{ 0x1000, 0x2000, 0x1001, true },	/* bogus: unaligned */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		KUNIT_EXPECT_EQ_MSG(test, vmmgmt_ring_notify_at_passed(c[i].old,
								       c[i].new,
								       c[i].at),
				    c[i].passed, "case %u: [%#x, %#x) at %#x",
				    i, c[i].old, c[i].new, c[i].at);
}

/*
 * One notification per idle period of the consumer with notify_at (ABI
 * 0.3), however many records come before it drains; and a record that
 * races with stop() is not lost.  Starts @start bytes before the wrap.
 */
static void rt_notify_at_run(struct kunit *test, u32 start)
{
	struct rt *rt = rt_new(test, RT_SIZE, start);
	u64 id = 0, popped = 0;

	vmmgmt_ring_use_notify_at(&rt->prod, true);
	/* A reset consumer asks to be notified of the first record. */
	KUNIT_EXPECT_EQ(test, rt->ctrl->notify_at, start);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, id++), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	/*
	 * Woken but not yet running (cons_running still clear): further
	 * records need no notification, unlike with cons_running alone.
	 */
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 0);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, id++), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	KUNIT_ASSERT_EQ(test, rt_post(rt, 100, id++), 0);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 0, id++), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	/* Nothing posted since the last look: nothing to say. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));

	vmmgmt_ring_cons_start(&rt->cons);
	rt_pop_check(test, rt, 8, popped++);
	rt_pop_check(test, rt, 8, popped++);
	rt_pop_check(test, rt, 100, popped++);
	rt_pop_check(test, rt, 0, popped++);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->notify_at, rt->cons.idx);
	KUNIT_EXPECT_EQ(test, rt->ctrl->notify_at, rt->prod.idx);
	/* Idle again: the next record notifies, once. */
	KUNIT_ASSERT_EQ(test, rt_post(rt, 16, id++), 0);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 16, id++), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	KUNIT_ASSERT_EQ(test, rt_post(rt, 16, id++), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));

	/*
	 * The race: the consumer drains, a record arrives while notify_at is
	 * still behind (no notification), then the consumer stops.  stop()
	 * must see it and keep the consumer running.
	 */
	vmmgmt_ring_cons_start(&rt->cons);
	rt_pop_check(test, rt, 16, popped++);
	rt_pop_check(test, rt, 16, popped++);
	rt_pop_check(test, rt, 16, popped++);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 24, id++), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 1);
	/* Until the next stop, records still need no notification. */
	KUNIT_ASSERT_EQ(test, rt_post(rt, 24, id++), 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 24, popped++);
	rt_pop_check(test, rt, 24, popped++);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_ASSERT_EQ(test, rt_post(rt, 24, id++), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 24, popped++);
	KUNIT_EXPECT_EQ(test, popped, id);
	rt_check_guards(test, rt);
}

static void vmmgmt_ring_test_notify_at(struct kunit *test)
{
	rt_notify_at_run(test, 0);
	rt_notify_at_run(test, RT_WRAP_START);
}

/*
 * A stream of @bursts bursts of @per records, the consumer draining each
 * burst only after it was posted (it is woken asynchronously): the number
 * of notifications the producer sends.  Every record is checked.
 */
static unsigned int rt_stream(struct kunit *test, bool notify_at,
			      unsigned int bursts, unsigned int per)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_WRAP_START);
	struct rt_drain d = { .test = test, .len = 64 };
	unsigned int b, i, notes = 0;
	u64 id = 0;

	vmmgmt_ring_use_notify_at(&rt->prod, notify_at);
	for (b = 0; b < bursts; b++) {
		for (i = 0; i < per; i++) {
			KUNIT_ASSERT_EQ(test, rt_post(rt, 64, id++), 0);
			notes += vmmgmt_ring_need_notify(&rt->prod);
		}
		vmmgmt_ring_cons_start(&rt->cons);
		KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, per + 1,
							rt_drain_cb, &d,
							rt->buf,
							VMMGMT_MSG_MAX),
				per);
		KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	}
	KUNIT_EXPECT_EQ(test, d.seen, bursts * per);
	rt_check_guards(test, rt);
	return notes;
}

/* Suppression under a stream: once per burst, not once per record. */
static void vmmgmt_ring_test_notify_at_stream(struct kunit *test)
{
	/* cons_running alone: the consumer is never seen running. */
	KUNIT_EXPECT_EQ(test, rt_stream(test, false, 100, 10), 1000);
	KUNIT_EXPECT_EQ(test, rt_stream(test, true, 100, 10), 100);
	KUNIT_EXPECT_EQ(test, rt_stream(test, true, 10, 100), 10);
}

/*
 * notify_at is the consumer's to write, and the producer must survive any
 * value: it only changes whether need_notify() says yes.  Switching the
 * protocol between posts loses no notification of an idle consumer.
 */
static void vmmgmt_ring_test_notify_at_hostile(struct kunit *test)
{
	static const u32 bogus[] = { 0, 1, 7, 0x7fffffffu, 0x80000000u,
				     0xfffffff8u, 0xffffffffu };
	struct rt *rt = rt_new(test, RT_SIZE, 0);
	unsigned int i, n;
	u64 id = 0;

	vmmgmt_ring_use_notify_at(&rt->prod, true);
	for (i = 0; i < ARRAY_SIZE(bogus); i++) {
		for (n = 0; n < 50; n++) {
			WRITE_ONCE(rt->ctrl->notify_at, bogus[i] + n * 8);
			KUNIT_ASSERT_EQ(test, rt_post(rt, 64, id), 0);
			vmmgmt_ring_need_notify(&rt->prod);
			rt_pop_check(test, rt, 64, id++);
		}
	}
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->prod), VMMGMT_RING_OK);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->cons), VMMGMT_RING_OK);

	/* An honest consumer again: it goes idle, the protocol switches. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	vmmgmt_ring_use_notify_at(&rt->prod, false);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, id), 0);
	vmmgmt_ring_use_notify_at(&rt->prod, true);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 8, id++);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	vmmgmt_ring_use_notify_at(&rt->prod, true);
	KUNIT_ASSERT_EQ(test, rt_post(rt, 8, id), 0);
	vmmgmt_ring_use_notify_at(&rt->prod, false);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_need_notify(&rt->prod));
	rt_pop_check(test, rt, 8, id++);
	rt_check_guards(test, rt);
}

/* prod_waiting: the consumer wakes a producer that waits for space. */
static void vmmgmt_ring_test_space_notify(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, RT_FULL_START);
	const u32 len = RT_SIZE / 4 - RT_HDR;
	u32 n;

	/* Room: no waiting. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_prod_wait(&rt->prod, len));
	KUNIT_EXPECT_EQ(test, rt->ctrl->prod_waiting, 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_prod_wait(&rt->prod, RT_MAX + 1));

	for (n = 0; n < 4; n++)
		KUNIT_ASSERT_EQ(test, rt_post(rt, len, n), 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_prod_wait(&rt->prod, len));
	KUNIT_EXPECT_EQ(test, rt->ctrl->prod_waiting, 1);

	/* Nothing consumed since the reset: nothing to say. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	rt_pop_check(test, rt, len, 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	/* Once per movement of the tail. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_need_notify(&rt->cons));

	/* The woken producer posts, which clears the flag. */
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_prod_wait(&rt->prod, len));
	KUNIT_ASSERT_EQ(test, rt_post(rt, len, 4), 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->prod_waiting, 0);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_prod_wait(&rt->prod, 0));
	KUNIT_ASSERT_EQ(test, rt_post(rt, 0, 5), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rt->ctrl->prod_waiting, 1);
	rt_pop_check(test, rt, len, 1);
	KUNIT_EXPECT_TRUE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	KUNIT_ASSERT_EQ(test, rt_post(rt, 0, 5), 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->prod_waiting, 0);
	/* The consumer moved on, but nobody waits. */
	rt_pop_check(test, rt, len, 2);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	rt_check_guards(test, rt);
}

/* The batch helper: bounded by its budget, stops where the callback says. */
static void vmmgmt_ring_test_drain(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);
	struct rt_drain d = { .test = test, .len = 20 };
	u32 n;

	for (n = 0; n < 10; n++)
		KUNIT_ASSERT_EQ(test, rt_post(rt, 20, n), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 0, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 4, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX), 4);
	KUNIT_EXPECT_EQ(test, d.seen, 4);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 4 * vmmgmt_ring_rec_size(20));

	/* Declined: the record stays and comes first next time. */
	d.declining = true;
	d.decline = 6;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 100, rt_drain_cb,
						&d, rt->buf, VMMGMT_MSG_MAX),
			2);
	KUNIT_EXPECT_EQ(test, d.seen, 6);
	d.declining = false;
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 100, rt_drain_cb,
						&d, rt->buf, VMMGMT_MSG_MAX),
			4);
	KUNIT_EXPECT_EQ(test, d.seen, 10);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, rt->ctrl->head);
	rt_check_guards(test, rt);
}

/* A scan callback that expects no payload. */
static int rt_scan_null_cb(void *ctx, const struct vmmgmt_rec *hdr,
			   const void *payload)
{
	struct kunit *test = ctx;

	KUNIT_EXPECT_PTR_EQ(test, payload, NULL);
	KUNIT_EXPECT_EQ(test, hdr->len, 20U);
	return 0;
}

/*
 * Looking ahead consumes nothing, goes on where it stopped, never looks
 * behind the consumer, and leaves the records for the drain, in order.
 */
static void vmmgmt_ring_test_scan(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);
	struct rt_drain d = { .test = test, .len = 20 };
	struct rt_drain look = { .test = test, .len = 20 };
	u32 n, pos, rec = vmmgmt_ring_rec_size(20);

	for (n = 0; n < 6; n++)
		KUNIT_ASSERT_EQ(test, rt_post(rt, 20, n), 0);
	/* The consumer is at record 2 when it stalls. */
	KUNIT_ASSERT_EQ(test, vmmgmt_ring_drain(&rt->cons, 2, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX), 2);
	look.next_id = 2;
	pos = 0;	/* behind the consumer: it starts at the consumer */
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_scan(&rt->cons, &pos, 3, rt_drain_cb,
					       &look, rt->buf, VMMGMT_MSG_MAX),
			3);
	KUNIT_EXPECT_EQ(test, look.seen, 3);
	KUNIT_EXPECT_EQ(test, pos, 5 * rec);
	/* Nothing was consumed or published. */
	KUNIT_EXPECT_EQ(test, rt->cons.idx, 2 * rec);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 2 * rec);
	/* It goes on from where it stopped, up to the head. */
	for (n = 6; n < 8; n++)
		KUNIT_ASSERT_EQ(test, rt_post(rt, 20, n), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_scan(&rt->cons, &pos, 100,
					       rt_drain_cb, &look, rt->buf,
					       VMMGMT_MSG_MAX), 3);
	KUNIT_EXPECT_EQ(test, look.next_id, 8);
	KUNIT_EXPECT_EQ(test, pos, 8 * rec);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_scan(&rt->cons, &pos, 100,
					       rt_drain_cb, &look, rt->buf,
					       VMMGMT_MSG_MAX), 0);
	/* The drain still gets every record, in order. */
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 100, rt_drain_cb,
						&d, rt->buf, VMMGMT_MSG_MAX),
			6);
	KUNIT_EXPECT_EQ(test, d.next_id, 8);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, rt->ctrl->head);
	/* A payload longer than the buffer is not copied: NULL. */
	KUNIT_ASSERT_EQ(test, rt_post(rt, 20, 8), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_scan(&rt->cons, &pos, 100,
					       rt_scan_null_cb, test, rt->buf, 8),
			1);
	rt_check_guards(test, rt);
}

/* Neither side trusts its own index in the shared memory. */
static void vmmgmt_ring_test_own_index(struct kunit *test)
{
	struct rt *rt = rt_new(test, RT_SIZE, 0);

	KUNIT_ASSERT_EQ(test, rt_post(rt, 10, 0), 0);
	WRITE_ONCE(rt->ctrl->head, 0x12345678);	/* the consumer scribbles */
	KUNIT_ASSERT_EQ(test, rt_post(rt, 10, 1), 0);
	KUNIT_EXPECT_EQ(test, rt->ctrl->head, 2 * vmmgmt_ring_rec_size(10));

	rt_pop_check(test, rt, 10, 0);
	WRITE_ONCE(rt->ctrl->tail, 0x9abcdef0);	/* the producer scribbles */
	rt_pop_check(test, rt, 10, 1);
	KUNIT_EXPECT_EQ(test, rt->ctrl->tail, 2 * vmmgmt_ring_rec_size(10));
	rt_check_guards(test, rt);
}

/*
 * Hostile ring states.  Each starts from a ring whose indexes are at
 * @start, lets @setup break it as a peer could, then lets @valid records
 * through before the next operation must fail with @want.
 */
struct rt_hostile {
	const char *name;
	u32 start;
	void (*setup)(struct rt *rt);
	enum vmmgmt_ring_err want;
	unsigned int valid;
	bool producer;		/* the producer's check, not the consumer's */
};

#define RT_T(rt)	((rt)->cons.idx)
#define RT_OFF(rt)	(RT_T(rt) & (RT_SIZE - 1))

static void rt_set_head(struct rt *rt, u32 head)
{
	WRITE_ONCE(rt->ctrl->head, head);
}

static void h_head_ahead(struct rt *rt)
{
	rt_post(rt, 8, 0);
	rt_set_head(rt, RT_T(rt) + RT_SIZE + 8);
}

static void h_head_ahead_far(struct rt *rt)
{
	rt_set_head(rt, RT_T(rt) + 0x7ffffff8u);
}

static void h_head_behind(struct rt *rt)
{
	rt_post(rt, 8, 0);
	rt_set_head(rt, RT_T(rt) - 8);
}

static void h_head_behind_far(struct rt *rt)
{
	rt_set_head(rt, RT_T(rt) + 0x80000000u);
}

static void h_len_huge(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0xffffffffu, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + RT_HDR);
}

static void h_len_negative(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), (u32)-48, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + RT_SIZE);
}

static void h_len_max_plus(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), RT_MAX + 1, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + vmmgmt_ring_rec_size(RT_MAX + 1));
}

static void h_len_msg_max(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), VMMGMT_MSG_MAX, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + RT_SIZE);
}

static void h_trunc(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 100, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + RT_HDR + 8);
}

static void h_trunc_unaligned(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 4, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + RT_HDR + 4);
}

static void h_short(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + 16);
}

static void h_short_skip(struct rt *rt)	/* start: 32 bytes before the end */
{
	rt_set_head(rt, RT_T(rt) + 16);
}

static void h_cross(struct rt *rt)	/* start: 64 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 100, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + 64 + 256);
}

static void h_cross_by_8(struct rt *rt)	/* start: 64 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 64 - RT_HDR + 1, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + 72);
}

static void h_mode_max(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0, VMMGMT_MODE_MAX, 0);
	rt_set_head(rt, RT_T(rt) + RT_HDR);
}

static void h_mode_ffff(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0, 0xffff, 0);
	rt_set_head(rt, RT_T(rt) + RT_HDR);
}

static void h_flags(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0, VMMGMT_MODE_CHAT, 0x0008);
	rt_set_head(rt, RT_T(rt) + RT_HDR);
}

static void h_flags_high(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 0, VMMGMT_MODE_CHAT, 0x8001);
	rt_set_head(rt, RT_T(rt) + RT_HDR);
}

static void h_src_reserved(struct rt *rt)
{
	rt_post(rt, 0, 0);
	((struct vmmgmt_rec *)(rt->data + RT_OFF(rt)))->src.reserved = 1;
}

static void h_dst_reserved(struct rt *rt)
{
	rt_post(rt, 0, 0);
	((struct vmmgmt_rec *)(rt->data + RT_OFF(rt)))->dst.reserved = 0x80000000;
}

static void h_pad_short(struct rt *rt)
{
	rt_put(rt, RT_OFF(rt), 100, VMMGMT_MODE_PAD, 0);
	rt_set_head(rt, RT_T(rt) + 1024);
}

static void h_pad_long(struct rt *rt)	/* start: 256 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 256, VMMGMT_MODE_PAD, 0);
	rt_set_head(rt, RT_T(rt) + 1024);
}

static void h_pad_flags(struct rt *rt)	/* start: 256 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 256 - RT_HDR, VMMGMT_MODE_PAD,
	       VMMGMT_REC_F_RESPONSE);
	rt_set_head(rt, RT_T(rt) + 1024);
}

static void h_pad_trunc(struct rt *rt)	/* start: 256 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 256 - RT_HDR, VMMGMT_MODE_PAD, 0);
	rt_set_head(rt, RT_T(rt) + 100);
}

static void h_pad_whole(struct rt *rt)	/* a PAD at 0 over the whole area */
{
	rt_put(rt, 0, RT_SIZE - RT_HDR, VMMGMT_MODE_PAD, 0);
	rt_set_head(rt, RT_T(rt) + RT_SIZE);
}

static void h_after_skip(struct rt *rt)	/* start: 16 bytes before the end */
{
	rt_put(rt, 0, 0, 9, 0);
	rt_set_head(rt, RT_T(rt) + 16 + RT_HDR);
}

static void h_after_pad(struct rt *rt)	/* start: 64 bytes before the end */
{
	rt_put(rt, RT_OFF(rt), 64 - RT_HDR, VMMGMT_MODE_PAD, 0);
	rt_put(rt, 0, 5000, VMMGMT_MODE_CHAT, 0);
	rt_set_head(rt, RT_T(rt) + 64 + 8192);
}

static void h_second(struct rt *rt)
{
	rt_post(rt, 30, 0);
	rt_put(rt, RT_OFF(rt) + vmmgmt_ring_rec_size(30), 1, VMMGMT_MODE_CMD,
	       0x10);
	rt_set_head(rt, RT_T(rt) + vmmgmt_ring_rec_size(30) + 56);
}

static void h_tail_ahead(struct rt *rt)
{
	rt_post(rt, 30, 0);
	WRITE_ONCE(rt->ctrl->tail, rt->prod.idx + 8);
}

static void h_tail_behind(struct rt *rt)
{
	rt_post(rt, 30, 0);
	WRITE_ONCE(rt->ctrl->tail, rt->prod.idx - RT_SIZE - 8);
}

#define RT_END(n)	(0u - (n))	/* indexes @n bytes before the end */

static const struct rt_hostile rt_hostile_cases[] = {
	{ "head_ahead", 0, h_head_ahead, VMMGMT_RING_ERR_HEAD_AHEAD },
	{ "head_ahead_far", RT_WRAP_START, h_head_ahead_far,
	  VMMGMT_RING_ERR_HEAD_AHEAD },
	{ "head_behind", 0, h_head_behind, VMMGMT_RING_ERR_HEAD_BEHIND },
	{ "head_behind_far", RT_WRAP_START, h_head_behind_far,
	  VMMGMT_RING_ERR_HEAD_BEHIND },
	{ "len_huge", 0, h_len_huge, VMMGMT_RING_ERR_LEN },
	{ "len_negative", RT_WRAP_START, h_len_negative, VMMGMT_RING_ERR_LEN },
	{ "len_max_plus_1", 0, h_len_max_plus, VMMGMT_RING_ERR_LEN },
	{ "len_msg_max", 0, h_len_msg_max, VMMGMT_RING_ERR_LEN },
	{ "len_beyond_head", 0, h_trunc, VMMGMT_RING_ERR_TRUNC },
	{ "head_unaligned", 0, h_trunc_unaligned, VMMGMT_RING_ERR_TRUNC },
	{ "partial_header", 0, h_short, VMMGMT_RING_ERR_SHORT },
	{ "partial_skip", RT_END(32), h_short_skip, VMMGMT_RING_ERR_SKIP },
	{ "crosses_end", RT_END(64), h_cross, VMMGMT_RING_ERR_CROSS },
	{ "crosses_end_by_8", RT_END(64), h_cross_by_8, VMMGMT_RING_ERR_CROSS },
	{ "mode_max", 0, h_mode_max, VMMGMT_RING_ERR_MODE },
	{ "mode_ffff", 0, h_mode_ffff, VMMGMT_RING_ERR_MODE },
	{ "flags_unknown", 0, h_flags, VMMGMT_RING_ERR_FLAGS },
	{ "flags_high", 0, h_flags_high, VMMGMT_RING_ERR_FLAGS },
	{ "src_reserved", 0, h_src_reserved, VMMGMT_RING_ERR_RESERVED },
	{ "dst_reserved", 0, h_dst_reserved, VMMGMT_RING_ERR_RESERVED },
	{ "pad_short_of_end", 0, h_pad_short, VMMGMT_RING_ERR_PAD },
	{ "pad_past_end", RT_END(256), h_pad_long, VMMGMT_RING_ERR_PAD },
	{ "pad_with_flags", RT_END(256), h_pad_flags, VMMGMT_RING_ERR_PAD },
	{ "pad_beyond_head", RT_END(256), h_pad_trunc, VMMGMT_RING_ERR_TRUNC },
	{ "pad_whole_area", 0, h_pad_whole, VMMGMT_RING_ERR_LEN },
	{ "bad_after_skip", RT_END(16), h_after_skip, VMMGMT_RING_ERR_MODE },
	{ "bad_after_pad", RT_END(64), h_after_pad, VMMGMT_RING_ERR_LEN },
	{ "bad_second_record", 0, h_second, VMMGMT_RING_ERR_FLAGS, 1 },
	{ "tail_ahead", 0, h_tail_ahead, VMMGMT_RING_ERR_TAIL, 0, true },
	{ "tail_behind", RT_WRAP_START, h_tail_behind, VMMGMT_RING_ERR_TAIL, 0,
	  true },
};

static void rt_hostile_desc(const struct rt_hostile *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rt_hostile, rt_hostile_cases, rt_hostile_desc);

static void rt_hostile_producer(struct kunit *test, struct rt *rt,
				const struct rt_hostile *c)
{
	u32 head = rt_head(rt);

	KUNIT_EXPECT_EQ(test, rt_post(rt, 8, 1), -EPROTO);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->prod), c->want);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_space(&rt->prod, 0), -EPROTO);
	KUNIT_EXPECT_EQ(test, rt_post(rt, 0, 2), -EPROTO);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_need_notify(&rt->prod));
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_prod_wait(&rt->prod, 0));
	KUNIT_EXPECT_EQ(test, rt_head(rt), head);

	/* A reset of both sides revives the ring. */
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_prod_reset(&rt->prod, 64), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_cons_reset(&rt->cons, 64), 0);
	KUNIT_EXPECT_EQ(test, rt_post(rt, 8, 3), 0);
	rt_pop_check(test, rt, 8, 3);
}

static void rt_hostile_consumer(struct kunit *test, struct rt *rt,
				const struct rt_hostile *c)
{
	struct rt_drain d = { .test = test };
	struct vmmgmt_rec h;
	unsigned int i;
	u32 tail;

	for (i = 0; i < c->valid; i++)
		KUNIT_ASSERT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
						      VMMGMT_MSG_MAX), 0);
	tail = rt_tail(rt);
	memset(&h, 0x5a, sizeof(h));
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
					      VMMGMT_MSG_MAX), -EPROTO);
	KUNIT_EXPECT_EQ_MSG(test, vmmgmt_ring_error(&rt->cons), c->want,
			    "got %s, want %s",
			    vmmgmt_ring_err_name(vmmgmt_ring_error(&rt->cons)),
			    vmmgmt_ring_err_name(c->want));
	/* Nothing handed out, nothing published. */
	KUNIT_EXPECT_NULL(test, memchr_inv(&h, 0x5a, sizeof(h)));
	KUNIT_EXPECT_EQ(test, rt_tail(rt), tail);

	/* Broken until reset: every operation refuses. */
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_peek(&rt->cons, &h), -EPROTO);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_pop(&rt->cons, &h, rt->buf,
					      VMMGMT_MSG_MAX), -EPROTO);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_drain(&rt->cons, 8, rt_drain_cb, &d,
						rt->buf, VMMGMT_MSG_MAX),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, d.seen, 0);
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_stop(&rt->cons));
	KUNIT_EXPECT_FALSE(test, vmmgmt_ring_cons_need_notify(&rt->cons));
	WRITE_ONCE(rt->ctrl->cons_running, 0);
	vmmgmt_ring_cons_start(&rt->cons);
	KUNIT_EXPECT_EQ(test, rt->ctrl->cons_running, 0);
	KUNIT_EXPECT_EQ(test, rt_tail(rt), tail);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->cons), c->want);

	KUNIT_EXPECT_EQ(test, vmmgmt_ring_cons_reset(&rt->cons, 0), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_prod_reset(&rt->prod, 0), 0);
	KUNIT_EXPECT_EQ(test, vmmgmt_ring_error(&rt->cons), VMMGMT_RING_OK);
	KUNIT_EXPECT_EQ(test, rt_post(rt, 8, 3), 0);
	rt_pop_check(test, rt, 8, 3);
}

static void vmmgmt_ring_test_hostile(struct kunit *test)
{
	const struct rt_hostile *c = test->param_value;
	struct rt *rt = rt_new(test, RT_SIZE, c->start);

	c->setup(rt);
	if (c->producer)
		rt_hostile_producer(test, rt, c);
	else
		rt_hostile_consumer(test, rt, c);
	rt_check_guards(test, rt);
}

static struct kunit_case vmmgmt_ring_cases[] = {
	KUNIT_CASE(vmmgmt_ring_test_init),
	KUNIT_CASE(vmmgmt_ring_test_empty),
	KUNIT_CASE(vmmgmt_ring_test_full),
	KUNIT_CASE(vmmgmt_ring_test_wrap),
	KUNIT_CASE(vmmgmt_ring_test_save_restore),
	KUNIT_CASE(vmmgmt_ring_test_sizes),
	KUNIT_CASE(vmmgmt_ring_test_bad_args),
	KUNIT_CASE(vmmgmt_ring_test_skip),
	KUNIT_CASE(vmmgmt_ring_test_pad),
	KUNIT_CASE(vmmgmt_ring_test_notify),
	KUNIT_CASE(vmmgmt_ring_test_notify_at_passed),
	KUNIT_CASE(vmmgmt_ring_test_notify_at),
	KUNIT_CASE(vmmgmt_ring_test_notify_at_stream),
	KUNIT_CASE(vmmgmt_ring_test_notify_at_hostile),
	KUNIT_CASE(vmmgmt_ring_test_space_notify),
	KUNIT_CASE(vmmgmt_ring_test_drain),
	KUNIT_CASE(vmmgmt_ring_test_scan),
	KUNIT_CASE(vmmgmt_ring_test_own_index),
	KUNIT_CASE_PARAM(vmmgmt_ring_test_hostile, rt_hostile_gen_params),
	{}
};

static struct kunit_suite vmmgmt_ring_suite = {
	.name = "vmmgmt_ring",
	.test_cases = vmmgmt_ring_cases,
};

kunit_test_suite(vmmgmt_ring_suite);

MODULE_DESCRIPTION("KUnit test of the vmmgmt ring (lib/vmmgmt_ring.c)");
MODULE_LICENSE("GPL");
