/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of a ring_fuzz input, shared by the fuzz target (ring_fuzz.c) and
 * the seed generator (ring_seed.c):
 *
 *	struct fuzz_cfg			what the consumer does
 *	struct vmmgmt_ring_ctrl		the shared indexes
 *	data area			FUZZ_DATA_SIZE bytes
 *
 * An input shorter than that is padded with zero bytes.
 */
#ifndef _VMMGMT_RING_FUZZ_H
#define _VMMGMT_RING_FUZZ_H

#include <linux/types.h>
#include <vmmgmt_types.h>

/*
 * The model's own limits, written out from the wire format
 * (Documentation/ring.rst, the comments of uapi/vmmgmt_types.h), never
 * taken from the code under test (lib/vmmgmt_ring.[ch], or the uapi
 * macros it uses): a wrong limit in the code is then a difference the
 * fuzzer finds.
 */
/* The smallest data area, 16 KiB: the fuzzer reaches its end often. */
#define FUZZ_DATA_SIZE		16384
/* A record header: struct vmmgmt_rec. */
#define MODEL_HDR_SIZE		48
/* Records start on multiples of 8 bytes. */
#define MODEL_ALIGN		8
/* The largest payload of any record, 64 KiB. */
#define MODEL_MSG_MAX		65536
/* Modes: PAD 0, CTRL 1, CHAT, STATS, FILE, CALC, CMD; 7 is no mode. */
#define MODEL_MODE_PAD		0
#define MODEL_MODE_CTRL		1
#define MODEL_MODE_MAX		7
/* Record flags: RESPONSE, ERROR, STREAM. */
#define MODEL_REC_F_KNOWN	0x7

#define FUZZ_NOPS		32

/* The largest payload in a ring: min(64 KiB, data_size / 4). */
static inline __u32 model_max_len(__u32 size)
{
	return size / 4 < MODEL_MSG_MAX ? size / 4 : MODEL_MSG_MAX;
}

/*
 * Operation bytes: the low three bits choose the operation, the others
 * are its argument.
 */
enum fuzz_op {
	FUZZ_OP_POP0,		/* vmmgmt_ring_pop() */
	FUZZ_OP_POP1,
	FUZZ_OP_SCAN,		/* vmmgmt_ring_scan(), budget 1 + arg */
	FUZZ_OP_PEEK,		/* vmmgmt_ring_peek() */
	FUZZ_OP_DRAIN,		/* vmmgmt_ring_drain(), budget 1 + arg */
	FUZZ_OP_STOP,		/* cons_start/cons_stop and the notify queries */
	FUZZ_OP_POST,		/* vmmgmt_ring_post() of a record of arg-derived length */
	FUZZ_OP_MUTATE,		/* the peer rewrites 1 + arg / 4 bytes */
};

/**
 * struct fuzz_cfg - the consumer's side of a fuzz input.
 * @tail: the consumer's private tail (rounded down to a multiple of 8).
 * @nops: 1 + @nops % %FUZZ_NOPS operations are run.
 * @bufsel: payload buffer: 0 for the ring's maximum, else @bufsel * 16
 *	bytes.
 * @seed: seeds the choices made during the run (mutations, declined
 *	records in a batch).
 * @ops: the operations, &enum fuzz_op in the low three bits.
 */
struct fuzz_cfg {
	__u32 tail;
	__u8 nops;
	__u8 bufsel;
	__u16 seed;
	__u8 ops[FUZZ_NOPS];
};

#define FUZZ_INPUT_SIZE		(sizeof(struct fuzz_cfg) + \
				 sizeof(struct vmmgmt_ring_ctrl) + \
				 FUZZ_DATA_SIZE)

#endif /* _VMMGMT_RING_FUZZ_H */
