// SPDX-License-Identifier: GPL-2.0
/*
 * ring_fuzz - libFuzzer target for the consumer side of the ring, the
 * host's parser of guest memory (lib/vmmgmt_ring.c, built in userspace).
 *
 * The input is the shared memory of one ring (control block and a 16 KiB
 * data area) plus a few bytes that choose the consumer's private tail and
 * a sequence of operations: pop, peek, drain, start/stop (and the
 * producer's notification decision, with cons_running or notify_at), a post
 * from the producer side, and the peer rewriting bytes between the calls (also in
 * the middle of a batch).  See ring_fuzz.h for the layout.
 *
 * It crashes on:
 * - any access outside the data area: ASan (the area and the payload
 *   buffer are exactly their size) and the ring's access hook;
 * - undefined behaviour (UBSan, no recovery);
 * - any result that differs from a reference model of the rules in
 *   Documentation/ring.rst, written out again here independently with
 *   its own limits (ring_fuzz.h; checked against the ring's for every
 *   size of data area at the start): a record handed out that breaks a
 *   rule, a violation not reported or reported as the wrong rule, a wrong
 *   index, a tail published for bytes not consumed, or a payload that is
 *   not the bytes of the record.
 *
 * Build and run with scripts/fuzz (tools/fuzz/Makefile).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>

struct vmmgmt_ring;
static void fuzz_access(const struct vmmgmt_ring *ring, __u32 off, __u32 len);
#define VMMGMT_RING_ACCESS_HOOK	fuzz_access

#include "vmmgmt_ring.c"

#include "ring_fuzz.h"

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			fuzz_fail(#cond, __LINE__);			\
	} while (0)

static void fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "ring_fuzz: invariant violated at ring_fuzz.c:%d: %s\n",
		line, what);
	abort();
}

static void fuzz_access(const struct vmmgmt_ring *ring, u32 off, u32 len)
{
	FUZZ_ASSERT((u64)off + len <= ring->size);
}

/* The state of one run. */
struct fuzz {
	struct vmmgmt_ring_ctrl *ctrl;
	u8 *data;
	struct vmmgmt_ring cons;
	struct vmmgmt_ring prod;
	u8 *buf;
	size_t buf_size;
	u32 rng;
};

static u32 fuzz_rand(struct fuzz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 17;
	f->rng ^= f->rng << 5;
	return f->rng;
}

/* What the rules say the consumer must find next. */
struct ref {
	int ret;			/* 0, -EAGAIN or -EPROTO */
	enum vmmgmt_ring_err err;	/* for -EPROTO */
	u32 start;	/* 0: index of the record; -EAGAIN: the new tail */
	u32 rec;	/* 0: bytes the record takes */
	struct vmmgmt_rec hdr;
};

static void ref_fail(struct ref *r, enum vmmgmt_ring_err err)
{
	r->ret = -EPROTO;
	r->err = err;
}

/*
 * The rules of Documentation/ring.rst, in their order, from the consumer's
 * tail @tail and the producer's head @head.  64-bit arithmetic for the
 * sizes, so that no rule depends on 32-bit wrap-around.
 */
static void ref_next(const struct fuzz *f, u32 head, u32 tail, struct ref *r)
{
	const u64 size = FUZZ_DATA_SIZE, hdr_size = MODEL_HDR_SIZE;
	const u64 max = model_max_len(FUZZ_DATA_SIZE);
	int steps;

	memset(r, 0, sizeof(*r));
	for (steps = 0; ; steps++) {
		u64 avail = (u32)(head - tail);
		u64 off = tail % size, rem = size - off, rec;
		struct vmmgmt_rec h;

		/* A skip or a PAD ends at offset 0: never two in a row. */
		FUZZ_ASSERT(steps < 2);
		if (avail > size)
			return ref_fail(r, avail >= (1ULL << 31) ?
					VMMGMT_RING_ERR_HEAD_BEHIND :
					VMMGMT_RING_ERR_HEAD_AHEAD);
		if (avail == 0) {
			r->ret = -EAGAIN;
			r->start = tail;
			return;
		}
		if (rem < hdr_size) {
			if (avail < rem)
				return ref_fail(r, VMMGMT_RING_ERR_SKIP);
			tail += rem;
			continue;
		}
		if (avail < hdr_size)
			return ref_fail(r, VMMGMT_RING_ERR_SHORT);
		memcpy(&h, f->data + off, sizeof(h));
		if (h.len > max)
			return ref_fail(r, VMMGMT_RING_ERR_LEN);
		if (h.mode >= MODEL_MODE_MAX)
			return ref_fail(r, VMMGMT_RING_ERR_MODE);
		if (h.flags & ~MODEL_REC_F_KNOWN)
			return ref_fail(r, VMMGMT_RING_ERR_FLAGS);
		if (h.src.reserved || h.dst.reserved)
			return ref_fail(r, VMMGMT_RING_ERR_RESERVED);
		if (h.mode == MODEL_MODE_PAD) {
			if (hdr_size + h.len != rem || h.flags)
				return ref_fail(r, VMMGMT_RING_ERR_PAD);
			if (avail < rem)
				return ref_fail(r, VMMGMT_RING_ERR_TRUNC);
			tail += rem;
			continue;
		}
		rec = (hdr_size + h.len + MODEL_ALIGN - 1) / MODEL_ALIGN *
		      MODEL_ALIGN;
		if (rec > rem)
			return ref_fail(r, VMMGMT_RING_ERR_CROSS);
		if (rec > avail)
			return ref_fail(r, VMMGMT_RING_ERR_TRUNC);
		r->ret = 0;
		r->start = tail;
		r->rec = rec;
		r->hdr = h;
		return;
	}
}

/* A record handed out: obeys every rule and is the bytes in the ring. */
static void check_record(const struct fuzz *f, const struct ref *r,
			 const struct vmmgmt_rec *hdr, const void *payload)
{
	u32 off = r->start % FUZZ_DATA_SIZE;

	FUZZ_ASSERT(!memcmp(hdr, &r->hdr, sizeof(*hdr)));
	FUZZ_ASSERT(hdr->len <= model_max_len(FUZZ_DATA_SIZE));
	FUZZ_ASSERT(hdr->len <= f->buf_size);
	FUZZ_ASSERT(hdr->mode > MODEL_MODE_PAD);
	FUZZ_ASSERT(hdr->mode < MODEL_MODE_MAX);
	FUZZ_ASSERT(!(hdr->flags & ~MODEL_REC_F_KNOWN));
	FUZZ_ASSERT(!hdr->src.reserved && !hdr->dst.reserved);
	FUZZ_ASSERT(off + r->rec <= FUZZ_DATA_SIZE);
	FUZZ_ASSERT(!memcmp(payload, f->data + off + MODEL_HDR_SIZE, hdr->len));
}

/* After an -EPROTO, the ring is broken with the rule the model found. */
static void check_broken(const struct fuzz *f, const struct ref *r,
			 u32 tail_before)
{
	FUZZ_ASSERT(vmmgmt_ring_error(&f->cons) == r->err);
	FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == tail_before);
}

/* The consumer's state before an operation. */
struct snap {
	u32 head;	/* shared head */
	u32 tail;	/* shared tail */
	u32 idx;	/* private tail */
	u32 pub;	/* tail last published */
	enum vmmgmt_ring_err err;
};

static void snap(const struct fuzz *f, struct snap *s)
{
	s->head = READ_ONCE(f->ctrl->head);
	s->tail = READ_ONCE(f->ctrl->tail);
	s->idx = f->cons.idx;
	s->pub = f->cons.pub;
	s->err = f->cons.err;
}

/* A broken ring refuses every operation and touches nothing. */
static void check_refused(const struct fuzz *f, const struct snap *s, int ret)
{
	FUZZ_ASSERT(ret == -EPROTO);
	FUZZ_ASSERT(f->cons.idx == s->idx);
	FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == s->tail);
	FUZZ_ASSERT(vmmgmt_ring_error(&f->cons) == s->err);
}

/*
 * The consumer stores its tail when it differs from the one it last
 * stored; otherwise it leaves the shared tail alone (also when the peer
 * scribbled on it: that only misleads the peer's own producer).
 */
static void check_published(const struct fuzz *f, const struct snap *s)
{
	if (f->cons.idx != s->pub)
		FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == f->cons.idx);
	else
		FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == s->tail);
	FUZZ_ASSERT(f->cons.pub == f->cons.idx);
}

static void op_pop(struct fuzz *f)
{
	struct vmmgmt_rec hdr;
	struct snap s;
	struct ref r;
	int ret;

	snap(f, &s);
	ret = vmmgmt_ring_pop(&f->cons, &hdr, f->buf, f->buf_size);
	if (s.err != VMMGMT_RING_OK)
		return check_refused(f, &s, ret);

	ref_next(f, s.head, s.idx, &r);
	if (r.ret == -EPROTO) {
		FUZZ_ASSERT(ret == -EPROTO);
		check_broken(f, &r, s.tail);
		return;
	}
	if (r.ret == -EAGAIN) {
		FUZZ_ASSERT(ret == -EAGAIN);
		FUZZ_ASSERT(f->cons.idx == r.start);
	} else if (r.hdr.len > f->buf_size) {
		FUZZ_ASSERT(ret == -EMSGSIZE);
		FUZZ_ASSERT(!memcmp(&hdr, &r.hdr, sizeof(hdr)));
		FUZZ_ASSERT(f->cons.idx == r.start);
	} else {
		FUZZ_ASSERT(ret == 0);
		check_record(f, &r, &hdr, f->buf);
		FUZZ_ASSERT(f->cons.idx == r.start + r.rec);
	}
	/* Published: exactly what was consumed, within what was produced. */
	check_published(f, &s);
	FUZZ_ASSERT((u32)(f->cons.idx - s.idx) <= (u32)(s.head - s.idx));
}

static void op_peek(struct fuzz *f)
{
	struct vmmgmt_rec hdr;
	struct snap s;
	struct ref r;
	int ret;

	snap(f, &s);
	ret = vmmgmt_ring_peek(&f->cons, &hdr);
	if (s.err != VMMGMT_RING_OK)
		return check_refused(f, &s, ret);

	ref_next(f, s.head, s.idx, &r);
	FUZZ_ASSERT(ret == r.ret);
	if (r.ret == -EPROTO) {
		check_broken(f, &r, s.tail);
		return;
	}
	/* Peek publishes nothing. */
	FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == s.tail);
	FUZZ_ASSERT(f->cons.idx == r.start);
	if (!ret)
		FUZZ_ASSERT(!memcmp(&hdr, &r.hdr, sizeof(hdr)));
}

/* The peer rewrites @n random bytes of the control block or data area. */
static void mutate(struct fuzz *f, unsigned int n)
{
	const u32 span = sizeof(*f->ctrl) + FUZZ_DATA_SIZE;

	while (n--) {
		u32 r = fuzz_rand(f);
		u32 pos = r % span;
		u8 val = r >> 24;

		/* Mostly the indexes and record headers, where it matters. */
		if (r & 0x10000)
			pos = (r >> 3) % 8 < 2 ? (r >> 6) % 8 :
			      (f->cons.idx + (r >> 6) % 64) % FUZZ_DATA_SIZE +
			      sizeof(*f->ctrl);
		if (pos < sizeof(*f->ctrl))
			((u8 *)f->ctrl)[pos] ^= val | 1;
		else
			f->data[pos - sizeof(*f->ctrl)] ^= val | 1;
	}
}

/* What the drain callback knows: the model's tail and the run. */
struct drain_ctx {
	struct fuzz *f;
	u32 tail;		/* the model's tail: after the last record */
	unsigned int seen;	/* records accepted */
	bool declined;
};

static int drain_cb(void *ctx, const struct vmmgmt_rec *hdr,
		    const void *payload)
{
	struct drain_ctx *d = ctx;
	struct fuzz *f = d->f;
	u32 r = fuzz_rand(f);
	struct ref ref;

	/* Nothing changed since the ring read the head for this record. */
	ref_next(f, READ_ONCE(f->ctrl->head), d->tail, &ref);
	FUZZ_ASSERT(ref.ret == 0);
	check_record(f, &ref, hdr, payload);
	FUZZ_ASSERT(payload == f->buf);
	FUZZ_ASSERT(f->cons.idx == ref.start);

	if (r % 8 == 0) {
		d->declined = true;
		return 1;
	}
	d->tail = ref.start + ref.rec;
	d->seen++;
	/* Sometimes the peer writes while the batch runs. */
	if (r % 8 == 1)
		mutate(f, 1 + (r >> 8) % 4);
	return 0;
}

/* What the scan callback knows: where the model says it is. */
struct scan_ctx {
	struct fuzz *f;
	u32 pos;		/* after the last record looked at */
	unsigned int seen;
};

static int scan_cb(void *ctx, const struct vmmgmt_rec *hdr,
		   const void *payload)
{
	struct scan_ctx *d = ctx;
	struct fuzz *f = d->f;
	struct ref ref;

	ref_next(f, READ_ONCE(f->ctrl->head), d->pos, &ref);
	FUZZ_ASSERT(ref.ret == 0);
	if (hdr->len <= f->buf_size) {
		check_record(f, &ref, hdr, payload);
		FUZZ_ASSERT(payload == f->buf);
	} else {
		FUZZ_ASSERT(!payload);
		FUZZ_ASSERT(!memcmp(hdr, &ref.hdr, sizeof(*hdr)));
	}
	d->pos = ref.start + ref.rec;
	d->seen++;
	return 1;	/* ignored: looking consumes nothing */
}

/*
 * Looking ahead from the consumer's tail: the same validation as a
 * drain, and nothing consumed, published or moved.
 */
static void op_scan(struct fuzz *f, unsigned int budget)
{
	struct scan_ctx d = { .f = f, .pos = f->cons.idx };
	u32 pos = f->cons.idx - 8 * (budget % 2);
	struct snap s;
	int ret;

	snap(f, &s);
	ret = vmmgmt_ring_scan(&f->cons, &pos, budget, scan_cb, &d, f->buf,
			       f->buf_size);
	if (s.err != VMMGMT_RING_OK) {
		FUZZ_ASSERT(d.seen == 0);
		return check_refused(f, &s, ret);
	}
	FUZZ_ASSERT(f->cons.idx == s.idx);
	FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == s.tail);
	if (ret >= 0) {
		FUZZ_ASSERT((unsigned int)ret == d.seen);
		/* It goes on after the last record (and a PAD after it). */
		if (ret)
			FUZZ_ASSERT((u32)(pos - d.pos) < FUZZ_DATA_SIZE);
	} else {
		FUZZ_ASSERT(ret == -EPROTO);
		FUZZ_ASSERT(vmmgmt_ring_error(&f->cons) != VMMGMT_RING_OK);
	}
}

static void op_drain(struct fuzz *f, unsigned int budget)
{
	struct drain_ctx d = { .f = f, .tail = f->cons.idx };
	struct snap s;
	struct ref r;
	int ret;

	snap(f, &s);
	ret = vmmgmt_ring_drain(&f->cons, budget, drain_cb, &d, f->buf,
				f->buf_size);
	if (s.err != VMMGMT_RING_OK) {
		FUZZ_ASSERT(d.seen == 0 && !d.declined);
		return check_refused(f, &s, ret);
	}
	if (ret == -EPROTO) {
		ref_next(f, READ_ONCE(f->ctrl->head), d.tail, &r);
		FUZZ_ASSERT(r.ret == -EPROTO);
		FUZZ_ASSERT(vmmgmt_ring_error(&f->cons) == r.err);
		/* The records before the violation were published. */
		if (d.seen)
			FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == d.tail);
		else
			FUZZ_ASSERT(READ_ONCE(f->ctrl->tail) == s.tail);
		return;
	}
	FUZZ_ASSERT(vmmgmt_ring_error(&f->cons) == VMMGMT_RING_OK);
	check_published(f, &s);
	if (ret == -EMSGSIZE) {
		ref_next(f, READ_ONCE(f->ctrl->head), d.tail, &r);
		FUZZ_ASSERT(r.ret == 0 && r.hdr.len > f->buf_size);
		FUZZ_ASSERT(f->cons.idx == r.start);
		return;
	}
	FUZZ_ASSERT(ret >= 0 && (unsigned int)ret == d.seen);
	FUZZ_ASSERT(d.seen <= budget);
	if (d.declined || d.seen == budget) {
		FUZZ_ASSERT(d.seen == budget || d.declined);
		return;
	}
	/* Stopped early without a reason: the ring must be empty. */
	ref_next(f, READ_ONCE(f->ctrl->head), d.tail, &r);
	FUZZ_ASSERT(r.ret == -EAGAIN);
	FUZZ_ASSERT(f->cons.idx == r.start);
}

static void op_stop(struct fuzz *f, unsigned int arg)
{
	bool broken = f->cons.err != VMMGMT_RING_OK;
	bool use_at = arg & 2, more, need;
	u32 old, at;

	if (arg & 1) {
		vmmgmt_ring_cons_start(&f->cons);
		FUZZ_ASSERT(broken || READ_ONCE(f->ctrl->cons_running) == 1);
	}
	more = vmmgmt_ring_cons_stop(&f->cons);
	if (broken) {
		FUZZ_ASSERT(!more);
	} else {
		FUZZ_ASSERT(more == (READ_ONCE(f->ctrl->head) != f->cons.idx));
		FUZZ_ASSERT(READ_ONCE(f->ctrl->cons_running) == more);
		FUZZ_ASSERT(READ_ONCE(f->ctrl->notify_at) == f->cons.idx);
	}
	if (vmmgmt_ring_cons_need_notify(&f->cons))
		FUZZ_ASSERT(!broken && READ_ONCE(f->ctrl->prod_waiting));

	/* The producer's decision, with either protocol (arg bit 1). */
	vmmgmt_ring_use_notify_at(&f->prod, use_at);
	old = f->prod.kicked;
	at = READ_ONCE(f->ctrl->notify_at);
	need = vmmgmt_ring_need_notify(&f->prod);
	if (f->prod.err != VMMGMT_RING_OK) {
		FUZZ_ASSERT(!need && f->prod.kicked == old);
	} else if (use_at) {
		/* notify_at among the bytes posted since the last look. */
		FUZZ_ASSERT(need == ((u32)(at - old) < (u32)(f->prod.idx - old)));
		FUZZ_ASSERT(f->prod.kicked == f->prod.idx);
	} else {
		FUZZ_ASSERT(need == !READ_ONCE(f->ctrl->cons_running));
	}
}

static u8 fuzz_payload[MODEL_MSG_MAX];

/* The producer side, its private head from the input, the tail hostile. */
static void op_post(struct fuzz *f, unsigned int arg)
{
	const u32 max = model_max_len(FUZZ_DATA_SIZE);
	u32 len = (arg * 131 + (fuzz_rand(f) & 7)) % (max + 9);
	struct vmmgmt_rec h = {
		.len = len,
		.mode = MODEL_MODE_CTRL + arg % (MODEL_MODE_MAX - 1),
		.flags = arg & MODEL_REC_F_KNOWN,
		.id = fuzz_rand(f),
	};
	bool broken = f->prod.err != VMMGMT_RING_OK;
	u32 head = f->prod.idx;
	u32 used = head - READ_ONCE(f->ctrl->tail);
	u32 off;
	int ret;

	ret = vmmgmt_ring_post(&f->prod, &h, fuzz_payload);
	if (broken) {
		FUZZ_ASSERT(ret == -EPROTO && f->prod.idx == head);
		return;
	}
	if (len > max) {
		FUZZ_ASSERT(ret == -EMSGSIZE);
		return;
	}
	if (used > FUZZ_DATA_SIZE) {
		FUZZ_ASSERT(ret == -EPROTO);
		FUZZ_ASSERT(vmmgmt_ring_error(&f->prod) == VMMGMT_RING_ERR_TAIL);
		return;
	}
	if (ret == -ENOSPC) {
		FUZZ_ASSERT(f->prod.idx == head);
		return;
	}
	FUZZ_ASSERT(ret == 0);
	FUZZ_ASSERT(READ_ONCE(f->ctrl->head) == f->prod.idx);
	FUZZ_ASSERT((u32)(f->prod.idx - READ_ONCE(f->ctrl->tail)) <=
		    FUZZ_DATA_SIZE);
	off = (f->prod.idx - (MODEL_HDR_SIZE + len + MODEL_ALIGN - 1) /
	       MODEL_ALIGN * MODEL_ALIGN) % FUZZ_DATA_SIZE;
	FUZZ_ASSERT(!memcmp(f->data + off, &h, sizeof(h)));
}

/* The record header's layout is the uapi's; its size is the model's. */
static_assert(sizeof(struct vmmgmt_rec) == MODEL_HDR_SIZE, "record header");

/*
 * The limits the ring takes from its size, against the model's: data
 * areas of 4 KiB to 4 MiB (only powers of two from 16 KiB are taken), the
 * largest payload of each, and the bytes a record takes.  vmmgmt_ring_init()
 * touches no memory, so no area is allocated.
 */
static void check_limits(void)
{
	static u64 ctrl[16], data[1];
	struct vmmgmt_ring ring;
	u32 size, len;
	int ret;

	for (size = 4096; size <= (4u << 20); size *= 2) {
		ret = vmmgmt_ring_init(&ring, (void *)ctrl, data, size);
		if (size < FUZZ_DATA_SIZE) {
			FUZZ_ASSERT(ret == -EINVAL);
			continue;
		}
		FUZZ_ASSERT(ret == 0);
		FUZZ_ASSERT(ring.size == size);
		FUZZ_ASSERT(ring.max_len == model_max_len(size));
		FUZZ_ASSERT(vmmgmt_ring_init(&ring, (void *)ctrl, data,
					     size + MODEL_ALIGN) == -EINVAL);
	}
	for (len = 0; len <= MODEL_MSG_MAX; len++)
		FUZZ_ASSERT(vmmgmt_ring_rec_size(len) ==
			    (MODEL_HDR_SIZE + len + MODEL_ALIGN - 1) /
			    MODEL_ALIGN * MODEL_ALIGN);
}

/*
 * libFuzzer's entry point.  The Makefile passes
 * -Dfuzz_one_input=LLVMFuzzerTestOneInput, which keeps the CamelCase name
 * out of this file (checkpatch).
 */
int fuzz_one_input(const u8 *in, size_t in_size);

int fuzz_one_input(const u8 *in, size_t in_size)
{
	static u8 input[FUZZ_INPUT_SIZE];
	static bool limits_checked;
	struct fuzz_cfg cfg;
	struct fuzz f = { };
	unsigned int i, nops;

	if (!limits_checked) {
		check_limits();
		limits_checked = true;
	}

	if (in_size > sizeof(input))
		in_size = sizeof(input);
	memset(input, 0, sizeof(input));
	memcpy(input, in, in_size);
	memcpy(&cfg, input, sizeof(cfg));

	/* Exactly their size, so that ASan sees one byte too far. */
	f.ctrl = malloc(sizeof(*f.ctrl));
	f.data = malloc(FUZZ_DATA_SIZE);
	FUZZ_ASSERT(f.ctrl && f.data);
	memcpy(f.ctrl, input + sizeof(cfg), sizeof(*f.ctrl));
	memcpy(f.data, input + sizeof(cfg) + sizeof(*f.ctrl), FUZZ_DATA_SIZE);

	FUZZ_ASSERT(!vmmgmt_ring_init(&f.cons, f.ctrl, f.data, FUZZ_DATA_SIZE));
	FUZZ_ASSERT(!vmmgmt_ring_init(&f.prod, f.ctrl, f.data, FUZZ_DATA_SIZE));
	/* Private indexes from the input, without resetting shared memory. */
	f.cons.idx = cfg.tail & ~(u32)(MODEL_ALIGN - 1);
	f.cons.pub = READ_ONCE(f.ctrl->tail);
	f.cons.chk = f.cons.pub;
	f.prod.idx = READ_ONCE(f.ctrl->head) & ~(u32)(MODEL_ALIGN - 1);

	f.buf_size = cfg.bufsel ? cfg.bufsel * 16u : model_max_len(FUZZ_DATA_SIZE);
	f.buf = malloc(f.buf_size);
	FUZZ_ASSERT(f.buf);
	memset(f.buf, 0, f.buf_size);
	f.rng = 0x9e3779b9u ^ cfg.seed ^ ((u32)cfg.nops << 16);

	nops = 1 + cfg.nops % FUZZ_NOPS;
	for (i = 0; i < nops; i++) {
		unsigned int op = cfg.ops[i] & 7, arg = cfg.ops[i] >> 3;

		switch (op) {
		case FUZZ_OP_POP0:
		case FUZZ_OP_POP1:
			op_pop(&f);
			break;
		case FUZZ_OP_SCAN:
			op_scan(&f, 1 + arg);
			break;
		case FUZZ_OP_PEEK:
			op_peek(&f);
			break;
		case FUZZ_OP_DRAIN:
			op_drain(&f, 1 + arg);
			break;
		case FUZZ_OP_STOP:
			op_stop(&f, arg);
			break;
		case FUZZ_OP_POST:
			op_post(&f, arg);
			break;
		case FUZZ_OP_MUTATE:
			mutate(&f, 1 + arg / 4);
			break;
		}
	}

	free(f.buf);
	free(f.data);
	free(f.ctrl);
	return 0;
}
