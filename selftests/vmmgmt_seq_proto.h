/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the restart test (selftests/host/vmmgmt_restart_test.c) and its
 * guests' program (selftests/guest-tools/vmmgmt_seq_peer.c) agree on:
 * ports, the sequence-numbered data records, the text of commands and
 * reports, and the bookkeeping both ends keep of the sequence numbers
 * they receive (struct seq_track).  Header only; calls libc.
 *
 * Data go both ways at a steady rate, each way numbered from 0 on: the
 * test writes from its endpoint SEQ_HOST_PORT to the peer's file bound
 * to SEQ_GUEST_PORT, and the peer writes from that file (connected to
 * the test's endpoint) to SEQ_HOST_PORT.  A data record is a struct
 * seq_data, nothing else; anything else is one text command or report:
 *
 *	host -> peer:  "report N"   the counters, against the N records the
 *				    test sent before this command
 *		       "freeze"     suspend the guest to idle (the test
 *				    wakes it: QMP system_powerdown)
 *		       "mem"        suspend it to RAM, ACPI S3 (the test
 *				    wakes it: QMP system_wakeup)
 *		       "reload"     reload the guest module, continue
 *		       "bye"        (--once) the chat is over
 *	peer -> host:  "ready abi=0.M"
 *		       "sent=S recv=R lost=L dup=D reordered=O errors=E
 *			missing_lo=A missing_hi=B"   (answer to "report N";
 *			lost: of 0..N-1 never received; A..B the lowest
 *			and highest of those, -1 without any)
 *		       "slept STATE rc=R secs=T suspends0=A suspends1=B
 *			resumes0=C resumes1=D"
 *		       "reloaded rc=R secs=T"
 *		       "hello", "bye"   (--once)
 * The peer prints each report on its console too, the counters as
 * "VMMGMT-SEQ sent=.. recv=.. lost=.. dup=.. reordered=.. errors=..".
 */
#ifndef VMMGMT_SEQ_PROTO_H
#define VMMGMT_SEQ_PROTO_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

/* Host port of the test's endpoint: the peers' data and reports. */
#define SEQ_HOST_PORT		4401
/* The peer's port: the test's data and commands. */
#define SEQ_GUEST_PORT		4410

/*
 * The soak's stream (vmmgmt_seq_peer --stream-echo): the peer listens on
 * this port and echoes every byte of each stream the test connects; the
 * test sends seq_stream_byte(offset) and checks what comes back.
 */
#define SEQ_STREAM_PORT		4420

/* Byte @off of each of the soak's streams (the offset from its start). */
static inline __u8 seq_stream_byte(__u64 off)
{
	return (__u8)(off ^ (off >> 8) ^ (off >> 16) ^ (off >> 24) ^ (off >> 32));
}

/* Data records each way, a second (vmmgmt.seq_rate= in the guest). */
#define SEQ_RATE		100
/* Longest command or report. */
#define SEQ_TEXT_MAX		200

#define SEQ_MAGIC		0x9e5171a5u
/* Beyond this a sequence number is garbage (28 days at SEQ_RATE). */
#define SEQ_MAX			268435456ULL

/**
 * struct seq_data - one data record
 * @magic: %SEQ_MAGIC (not text: its first byte is 0xa5)
 * @pad: zero
 * @seq: its sequence number, from 0 on
 */
struct seq_data {
	__u32 magic;
	__u32 pad;
	__u64 seq;
};

/* A payload of @len bytes is a data record: its sequence number in *@seq. */
static inline bool seq_is_data(const void *buf, size_t len, __u64 *seq)
{
	struct seq_data d;

	if (len != sizeof(d))
		return false;
	memcpy(&d, buf, sizeof(d));
	if (d.magic != SEQ_MAGIC)
		return false;
	*seq = d.seq;
	return true;
}

/**
 * struct seq_track - the sequence numbers one end received
 * @seen: a bit per sequence number received
 * @bits: bits @seen holds
 * @recv: distinct sequence numbers received
 * @dup: records whose number had been received before
 * @reordered: records below the highest number received before them,
 *	not received before (late, not lost)
 * @bogus: numbers of SEQ_MAX and over, or no memory to track them
 * @top: the highest number received, plus one; 0 before any
 */
struct seq_track {
	unsigned char *seen;
	size_t bits;
	unsigned long long recv, dup, reordered, bogus;
	__u64 top;
};

/* Count one record numbered @seq. */
static inline void seq_track_add(struct seq_track *t, __u64 seq)
{
	unsigned char *p;
	size_t bits;

	if (seq >= SEQ_MAX) {
		t->bogus++;
		return;
	}
	if (seq >= t->bits) {
		bits = t->bits ? t->bits : 8192;
		while (bits <= seq)
			bits *= 2;
		p = realloc(t->seen, bits / 8);
		if (!p) {
			t->bogus++;
			return;
		}
		memset(p + t->bits / 8, 0, (bits - t->bits) / 8);
		t->seen = p;
		t->bits = bits;
	}
	if (t->seen[seq / 8] & (1u << (seq % 8))) {
		t->dup++;
		return;
	}
	t->seen[seq / 8] |= 1u << (seq % 8);
	t->recv++;
	if (seq + 1 < t->top)
		t->reordered++;
	else
		t->top = seq + 1;
}

/*
 * Numbers 0..@n-1 never received; the lowest and highest of them into
 * *@lo and *@hi (-1 both without any).
 */
static inline unsigned long long seq_track_missing(const struct seq_track *t,
						   __u64 n, long long *lo,
						   long long *hi)
{
	unsigned long long missing = 0;
	__u64 i;

	*lo = *hi = -1;
	for (i = 0; i < n; i++) {
		if (i < t->bits && (t->seen[i / 8] & (1u << (i % 8))))
			continue;
		if (!missing)
			*lo = i;
		*hi = i;
		missing++;
	}
	return missing;
}

#endif /* VMMGMT_SEQ_PROTO_H */
