/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4, section 6.2) for the selftests and their guest
 * programs, which check streams end to end: the sender hashes what it
 * writes, the receiver what it reads, and the test compares the digests.
 * Header-only, no dependencies beyond libc; one context per stream.
 *
 *	struct vmmgmt_sha256 s;
 *	char hex[VMMGMT_SHA256_HEX];
 *
 *	vmmgmt_sha256_init(&s);
 *	vmmgmt_sha256_update(&s, buf, len);	(any number of times)
 *	vmmgmt_sha256_hex(&s, hex);		(ends the context)
 *
 * vmmgmt_sha256_selftest() checks the FIPS 180-2 examples ("abc", the
 * 448-bit message, a million 'a') and the empty message, for a program
 * to run before it
 * trusts its own digests.
 */
#ifndef VMMGMT_SHA256_H
#define VMMGMT_SHA256_H

#include <linux/types.h>
#include <stdio.h>
#include <string.h>

#define VMMGMT_SHA256_LEN	32
/* 64 hex digits and a NUL. */
#define VMMGMT_SHA256_HEX	(2 * VMMGMT_SHA256_LEN + 1)

struct vmmgmt_sha256 {
	__u32 h[8];
	__u64 bytes;		/* message length so far */
	__u8 block[64];	/* a block not yet hashed */
	size_t fill;		/* bytes in @block */
};

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const __u32 vmmgmt_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline __u32 vmmgmt_sha256_ror(__u32 x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state (FIPS 180-4, 6.2.2). */
static inline void vmmgmt_sha256_block(__u32 h[8], const __u8 *p)
{
	__u32 w[64], a, b, c, d, e, f, g, hh, t1, t2, s0, s1;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (__u32)p[4 * i] << 24 | (__u32)p[4 * i + 1] << 16 |
		       (__u32)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		s0 = vmmgmt_sha256_ror(w[i - 15], 7) ^
		     vmmgmt_sha256_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		s1 = vmmgmt_sha256_ror(w[i - 2], 17) ^
		     vmmgmt_sha256_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		s1 = vmmgmt_sha256_ror(e, 6) ^ vmmgmt_sha256_ror(e, 11) ^
		     vmmgmt_sha256_ror(e, 25);
		t1 = hh + s1 + ((e & f) ^ (~e & g)) + vmmgmt_sha256_k[i] + w[i];
		s0 = vmmgmt_sha256_ror(a, 2) ^ vmmgmt_sha256_ror(a, 13) ^
		     vmmgmt_sha256_ror(a, 22);
		t2 = s0 + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static inline void vmmgmt_sha256_init(struct vmmgmt_sha256 *s)
{
	/* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
	static const __u32 h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->fill = 0;
}

static inline void vmmgmt_sha256_update(struct vmmgmt_sha256 *s,
					const void *data, size_t len)
{
	const __u8 *p = data;
	size_t n;

	s->bytes += len;
	if (s->fill) {
		n = 64 - s->fill < len ? 64 - s->fill : len;
		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill < 64)
			return;
		vmmgmt_sha256_block(s->h, s->block);
		s->fill = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		vmmgmt_sha256_block(s->h, p);
	memcpy(s->block, p, len);
	s->fill = len;
}

/* Pad (FIPS 180-4, 5.1.1) and write the digest; the context is used up. */
static inline void vmmgmt_sha256_final(struct vmmgmt_sha256 *s,
				       __u8 out[VMMGMT_SHA256_LEN])
{
	__u64 bits = s->bytes * 8;
	unsigned int i;

	s->block[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->block + s->fill, 0, 64 - s->fill);
		vmmgmt_sha256_block(s->h, s->block);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, 56 - s->fill);
	for (i = 0; i < 8; i++)
		s->block[56 + i] = (__u8)(bits >> (56 - 8 * i));
	vmmgmt_sha256_block(s->h, s->block);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (__u8)(s->h[i] >> 24);
		out[4 * i + 1] = (__u8)(s->h[i] >> 16);
		out[4 * i + 2] = (__u8)(s->h[i] >> 8);
		out[4 * i + 3] = (__u8)s->h[i];
	}
}

/* The digest in lower-case hex; the context is used up. */
static inline void vmmgmt_sha256_hex(struct vmmgmt_sha256 *s,
				     char hex[VMMGMT_SHA256_HEX])
{
	__u8 d[VMMGMT_SHA256_LEN];
	unsigned int i;

	vmmgmt_sha256_final(s, d);
	for (i = 0; i < VMMGMT_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* 0 if the FIPS 180-2 examples (appendix B) come out right, else -1. */
static inline int vmmgmt_sha256_selftest(void)
{
	static const struct {
		const char *msg;
		unsigned int repeat;
		const char *digest;
	} v[] = {
		{ "abc", 1,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "aaaaaaaaaa", 100000,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
		{ "", 1,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ NULL, 0, NULL },
	};
	struct vmmgmt_sha256 s;
	char hex[VMMGMT_SHA256_HEX];
	unsigned int i, j;

	for (i = 0; v[i].msg; i++) {
		vmmgmt_sha256_init(&s);
		for (j = 0; j < v[i].repeat; j++)
			vmmgmt_sha256_update(&s, v[i].msg, strlen(v[i].msg));
		vmmgmt_sha256_hex(&s, hex);
		if (strcmp(hex, v[i].digest))
			return -1;
	}
	return 0;
}

#endif /* VMMGMT_SHA256_H */
