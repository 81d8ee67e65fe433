/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest-to-guest stream test (selftests/host/
 * vmmgmt_stream_vm2vm_test.c) and its guests' program
 * (selftests/guest-tools/vmmgmt_vm2vm_peer.c) agree on: ports, sizes,
 * the stream's bytes, and the text of commands and reports.
 *
 * Every message is text, one command or report per chat record.  The
 * host sends commands to stream-a's STREAM_A_CTL_PORT; both guests send
 * reports to the test's host endpoint STREAM_REPORT_PORT:
 *
 *	host -> a:  "connect VM PORT"	open a stream, report, close it
 *		    "send VM PORT BYTES SEED"	BYTES of stream_fill(SEED)
 *		    "flow VM PORT"	write until the stream fails
 *	a -> host:  "a ready abi=0.M sha=ok|BAD"
 *		    "a connect err=E"
 *		    "a sent err=E bytes=N sha=HEX secs=T eof=0|1"
 *		    "a streaming bytes=N"	(flow: STREAM_FLOWING bytes out)
 *		    "a reset err=E bytes=N"	(flow: the write or read failed)
 *	b -> host:  "b ready abi=0.M sha=ok|BAD listen=E"
 *		    "b accepted peer=VM:PORT"
 *		    "b recv err=E bytes=N sha=HEX secs=T"	(EOF or error)
 */
#ifndef VMMGMT_STREAM_PROTO_H
#define VMMGMT_STREAM_PROTO_H

#include <linux/types.h>
#include <stddef.h>

/* The test's host endpoint for the guests' reports. */
#define STREAM_REPORT_PORT	4330
/* stream-b's listener, stream-a's port for the test's commands. */
#define STREAM_B_PORT		4340
#define STREAM_A_CTL_PORT	4341
/* Each write() and read() of the guests. */
#define STREAM_CHUNK		(1024 * 1024)
/* "flow": "a streaming" once this much is written. */
#define STREAM_FLOWING		(8ULL * 1024 * 1024)
/* Longest command or report. */
#define STREAM_TEXT_MAX		240

/*
 * The stream's bytes: xorshift64 words from @*state (never 0), little
 * end first; @len a multiple of 8.  Cheap, so that the stream is not
 * limited by its source.
 */
static inline void stream_fill(__u64 *state, __u8 *buf, size_t len)
{
	__u64 x = *state;
	size_t i;
	int j;

	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (j = 0; j < 8; j++)
			buf[i + j] = (__u8)(x >> (8 * j));
	}
	*state = x;
}

#endif /* VMMGMT_STREAM_PROTO_H */
