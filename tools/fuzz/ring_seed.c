// SPDX-License-Identifier: GPL-2.0
/*
 * ring_seed - write the seed corpus of ring_fuzz: valid rings of several
 * shapes, made by the ring's own producer (lib/vmmgmt_ring.c), so that the
 * fuzzer starts from inputs that get past the first checks.
 *
 * Usage: ring_seed DIR	(writes DIR/seed-NN; scripts/fuzz runs it)
 */

#include <stdio.h>
#include <stdlib.h>

#include "vmmgmt_ring.c"

#include "ring_fuzz.h"

/* One input: configuration, control block and data area. */
struct seed {
	struct fuzz_cfg cfg;
	struct vmmgmt_ring_ctrl ctrl;
	u8 data[FUZZ_DATA_SIZE];
};

static struct seed seed;
static struct vmmgmt_ring prod;
static u8 payload[MODEL_MSG_MAX];
static const char *dir;
static int nr_seeds;

/* Start an empty ring whose indexes are at @start. */
static void seed_begin(u32 start)
{
	memset(&seed, 0, sizeof(seed));
	if (vmmgmt_ring_init(&prod, &seed.ctrl, seed.data, FUZZ_DATA_SIZE) ||
	    vmmgmt_ring_prod_reset(&prod, start)) {
		fprintf(stderr, "ring_seed: cannot set up a ring at %#x\n", start);
		exit(1);
	}
	seed.ctrl.tail = start;
	seed.cfg.tail = start;
}

/* Post a record; returns 0 or the ring's error. */
static int seed_post(u32 len, u16 mode, u16 flags, u64 id)
{
	struct vmmgmt_rec h = {
		.len = len,
		.mode = mode,
		.flags = flags,
		.id = id,
		.src = { .host = 0, .vm = 3, .port = 7 },
		.dst = { .host = 0, .vm = 0, .port = (u32)id },
	};
	u32 i;

	for (i = 0; i < len; i++)
		payload[i] = (u8)(id + i);
	return vmmgmt_ring_post(&prod, &h, payload);
}

/* Consume @bytes as a consumer would have: only the indexes move. */
static void seed_consumed(u32 bytes)
{
	seed.cfg.tail += bytes;
	seed.ctrl.tail = seed.cfg.tail;
}

/* Write the seed with these operations (see enum fuzz_op). */
static void seed_write(const u8 *ops, unsigned int nops, u8 bufsel)
{
	char path[4096];
	FILE *f;

	seed.cfg.nops = nops - 1;
	seed.cfg.bufsel = bufsel;
	seed.cfg.seed = (u16)nr_seeds * 7919;
	memset(seed.cfg.ops, 0, sizeof(seed.cfg.ops));
	memcpy(seed.cfg.ops, ops, nops);

	snprintf(path, sizeof(path), "%s/seed-%02d", dir, nr_seeds++);
	f = fopen(path, "wb");
	if (!f || fwrite(&seed, sizeof(seed), 1, f) != 1 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Pops until empty. */
static const u8 pops[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
/* A batch, a stop, a post, a peek, more pops. */
static const u8 mixed[] = {
	FUZZ_OP_DRAIN | 3 << 3, FUZZ_OP_STOP | 1 << 3, FUZZ_OP_POST | 5 << 3,
	FUZZ_OP_PEEK, FUZZ_OP_POP0, FUZZ_OP_DRAIN | 31 << 3, FUZZ_OP_STOP,
};

/* The peer scribbles between pops. */
static const u8 hostile[] = {
	FUZZ_OP_POP0, FUZZ_OP_MUTATE, FUZZ_OP_POP0, FUZZ_OP_MUTATE | 8 << 3,
	FUZZ_OP_POP0, FUZZ_OP_DRAIN | 15 << 3,
};

int main(int argc, char **argv)
{
	u32 n, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* Empty rings, at 0 and just before the 2^32 wrap. */
	seed_begin(0);
	seed_write(pops, 2, 0);
	seed_begin(0xffffff00u);
	seed_write(mixed, sizeof(mixed), 0);

	/* One record of each mode, with each flag combination. */
	seed_begin(0);
	for (n = VMMGMT_MODE_CTRL; n < VMMGMT_MODE_MAX; n++)
		seed_post(n * 10, n, n & VMMGMT_REC_F_KNOWN, n);
	seed_write(pops, 8, 0);
	seed_write(mixed, sizeof(mixed), 0);
	seed_write(hostile, sizeof(hostile), 0);

	/* Many small records, across the end of the area (skip or PAD). */
	for (len = 0; len <= 64; len += 8) {
		seed_begin(0u - 512 - len * 8);
		for (n = 0; seed_post(len + n % 5, VMMGMT_MODE_CHAT, 0, n) == 0 &&
		     n < 40; n++)
			;
		seed_write(pops, sizeof(pops), len % 16 ? 0 : 2);
		seed_write(mixed, sizeof(mixed), 0);
	}

	/* Full rings: of maximum records, and of the smallest ones. */
	seed_begin(0xffffc000u);
	for (n = 0; seed_post(model_max_len(FUZZ_DATA_SIZE), VMMGMT_MODE_FILE, 0, n) == 0; n++)
		;
	seed_write(pops, sizeof(pops), 0);
	seed_write(pops, 3, 100);	/* a buffer too small */
	seed_begin(0x40);
	for (n = 0; seed_post(0, VMMGMT_MODE_STATS, 0, n) == 0; n++)
		;
	seed_write(mixed, sizeof(mixed), 0);

	/* Part consumed: the tail is in the middle, records wrap. */
	seed_begin(0);
	for (n = 0; n < 30; n++)
		seed_post(400 + n, VMMGMT_MODE_CALC, VMMGMT_REC_F_RESPONSE, n);
	seed_consumed(12 * vmmgmt_ring_rec_size(400));
	for (n = 0; n < 12; n++)
		seed_post(401, VMMGMT_MODE_CMD, 0, 100 + n);
	seed_write(pops, sizeof(pops), 0);
	seed_write(hostile, sizeof(hostile), 0);

	/* The implicit skip and PAD right at the end. */
	seed_begin(0u - 16);
	seed_post(8, VMMGMT_MODE_CHAT, 0, 1);
	seed_write(pops, 2, 0);
	seed_begin(0u - 48);
	seed_post(8, VMMGMT_MODE_CHAT, 0, 1);
	seed_write(pops, 2, 0);
	seed_begin(0u - 4136);
	seed_post(model_max_len(FUZZ_DATA_SIZE), VMMGMT_MODE_CHAT, 0, 1);
	seed_write(pops, 2, 0);

	/* A PAD published on its own: the ring is empty after it. */
	seed_begin(0u - 256);
	memcpy(seed.data + FUZZ_DATA_SIZE - 256,
	       &(struct vmmgmt_rec){ .len = 256 - sizeof(struct vmmgmt_rec) },
	       sizeof(struct vmmgmt_rec));
	seed.ctrl.head = 0;
	seed_write(pops, 2, 0);

	printf("ring_seed: %d seeds in %s\n", nr_seeds, dir);
	return 0;
}
