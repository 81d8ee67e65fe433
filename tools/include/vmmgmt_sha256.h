/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt_sha256.h: SHA-256 (FIPS 180-4, section 6.2) and the
 * deterministic byte pattern the stream tests and their host peer send,
 * for userspace: the guest's stream selftest, the host's stream peer
 * (selftests/host-tools/vmmgmt_stream_peer.c) and vmmgmt-bench.
 *
 * Header only, static inline, libc alone, nothing printed.  The
 * selftest checks it against the FIPS 180-4 example vectors
 * ("abc", the 448-bit message, a million 'a').
 */
#ifndef VMMGMT_SHA256_H
#define VMMGMT_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VMMGMT_SHA256_DIGEST	32
#define VMMGMT_SHA256_HEX	(2 * VMMGMT_SHA256_DIGEST + 1)
#define VMMGMT_SHA256_BLOCK	64

struct vmmgmt_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[VMMGMT_SHA256_BLOCK];
	size_t fill;		/* bytes of buf in use */
};

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes.
 */
static const uint32_t vmmgmt_sha256_k[64] = {
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

static inline uint32_t vmmgmt_sha256_ror(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline void vmmgmt_sha256_init(struct vmmgmt_sha256 *s)
{
	/* FIPS 180-4 5.3.3 */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->fill = 0;
}

/* FIPS 180-4 6.2.2: one 512-bit block. */
static inline void vmmgmt_sha256_block(struct vmmgmt_sha256 *s,
				       const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2, s0, s1;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		s0 = vmmgmt_sha256_ror(w[i - 15], 7) ^
		     vmmgmt_sha256_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		s1 = vmmgmt_sha256_ror(w[i - 2], 17) ^
		     vmmgmt_sha256_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		s1 = vmmgmt_sha256_ror(e, 6) ^ vmmgmt_sha256_ror(e, 11) ^
		     vmmgmt_sha256_ror(e, 25);
		t1 = h + s1 + ((e & f) ^ (~e & g)) + vmmgmt_sha256_k[i] + w[i];
		s0 = vmmgmt_sha256_ror(a, 2) ^ vmmgmt_sha256_ror(a, 13) ^
		     vmmgmt_sha256_ror(a, 22);
		t2 = s0 + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static inline void vmmgmt_sha256_update(struct vmmgmt_sha256 *s,
					const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	s->len += len;
	if (s->fill) {
		n = VMMGMT_SHA256_BLOCK - s->fill;
		if (n > len)
			n = len;
		memcpy(s->buf + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill < VMMGMT_SHA256_BLOCK)
			return;
		vmmgmt_sha256_block(s, s->buf);
		s->fill = 0;
	}
	for (; len >= VMMGMT_SHA256_BLOCK; p += VMMGMT_SHA256_BLOCK,
	     len -= VMMGMT_SHA256_BLOCK)
		vmmgmt_sha256_block(s, p);
	memcpy(s->buf, p, len);
	s->fill = len;
}

/* FIPS 180-4 5.1.1 padding, then the digest, big-endian. */
static inline void vmmgmt_sha256_final(struct vmmgmt_sha256 *s,
				       uint8_t out[VMMGMT_SHA256_DIGEST])
{
	uint64_t bits = s->len * 8;
	int i;

	s->buf[s->fill++] = 0x80;
	if (s->fill > VMMGMT_SHA256_BLOCK - 8) {
		memset(s->buf + s->fill, 0, VMMGMT_SHA256_BLOCK - s->fill);
		vmmgmt_sha256_block(s, s->buf);
		s->fill = 0;
	}
	memset(s->buf + s->fill, 0, VMMGMT_SHA256_BLOCK - 8 - s->fill);
	for (i = 0; i < 8; i++)
		s->buf[VMMGMT_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	vmmgmt_sha256_block(s, s->buf);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* The digest as 64 lowercase hex digits and a NUL. */
static inline void vmmgmt_sha256_hex(const uint8_t d[VMMGMT_SHA256_DIGEST],
				     char hex[VMMGMT_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < VMMGMT_SHA256_DIGEST; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * VMMGMT_SHA256_DIGEST] = '\0';
}

/* final() and hex() in one. */
static inline void vmmgmt_sha256_final_hex(struct vmmgmt_sha256 *s,
					   char hex[VMMGMT_SHA256_HEX])
{
	uint8_t d[VMMGMT_SHA256_DIGEST];

	vmmgmt_sha256_final(s, d);
	vmmgmt_sha256_hex(d, hex);
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
		vmmgmt_sha256_final_hex(&s, hex);
		if (strcmp(hex, v[i].digest))
			return -1;
	}
	return 0;
}

/*
 * The stream pattern: byte i of the stream of seed S is byte (i % 8),
 * little-endian, of word i / 8, the splitmix64 finalizer of
 * S * 0x9e3779b97f4a7c15 + i / 8 (S 0 is taken as 1).  Every word stands
 * on its own, so a receiver checks chunks of any size at any offset and
 * names the first wrong byte.
 */
static inline uint64_t vmmgmt_pattern_word(uint64_t seed, uint64_t n)
{
	uint64_t z = (seed ? seed : 1) * 0x9e3779b97f4a7c15ULL + n;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fill @buf with the @len pattern bytes of @seed from stream offset @off. */
static inline void vmmgmt_pattern_fill(uint64_t seed, uint64_t off,
				       void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t w;
	size_t k;

	while (len) {
		w = vmmgmt_pattern_word(seed, off / 8);
		k = off % 8;
		if (!k && len >= 8) {
			/* little-endian, whatever the CPU */
			for (k = 0; k < 8; k++)
				p[k] = (uint8_t)(w >> (8 * k));
			p += 8;
			off += 8;
			len -= 8;
			continue;
		}
		*p++ = (uint8_t)(w >> (8 * k));
		off++;
		len--;
	}
}

#endif /* VMMGMT_SHA256_H */
