/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt streams: the protocol rules of one end of a stream, shared by
 * both kernel modules (each compiles lib/vmmgmt_stream.c through a
 * one-line wrapper) and the KUnit suite.
 *
 * A stream is a sequence of segments (records with %VMMGMT_REC_F_STREAM,
 * uapi/vmmgmt_types.h) between two endpoints.  This code knows only the
 * numbers: what was sent, what the peer allows, what was received and
 * read, when a window update is due, and whether a segment from the peer
 * keeps the rules.  Buffers, files, wait queues and the transport are the
 * modules' own; nothing here sleeps, allocates or locks (the caller holds
 * the stream's lock).
 */
#ifndef _VMMGMT_STREAM_H
#define _VMMGMT_STREAM_H

#include "vmmgmt_ring_env.h"

struct vmmgmt_rec;
struct vmmgmt_stream_seg;

/**
 * enum vmmgmt_stream_state_id - where one end of a stream is.
 * @VMMGMT_STREAM_S_CONNECTING: SYN sent, no ACCEPT yet (opener only).
 * @VMMGMT_STREAM_S_OPEN: data may flow (either direction may be shut
 *	down already: &vmmgmt_stream_state.fin_sent, .fin_rcvd).
 * @VMMGMT_STREAM_S_CLOSED: over: reset, failed, or both sides shut down
 *	and every byte read.  Nothing is sent or taken any more.
 */
enum vmmgmt_stream_state_id {
	VMMGMT_STREAM_S_CONNECTING,
	VMMGMT_STREAM_S_OPEN,
	VMMGMT_STREAM_S_CLOSED,
};

/**
 * struct vmmgmt_stream_state - the numbers of one end of a stream.
 * @state: an &enum vmmgmt_stream_state_id value.
 * @fin_sent: this end sent FIN: it writes no more.
 * @fin_rcvd: the peer sent FIN: @rx_fin is the stream's length.
 * @tx_next: bytes sent: the offset of the next DATA byte.
 * @tx_limit: the peer allows bytes up to this offset (its ack + window).
 * @peer_ack: the peer's latest ack (bytes of ours it consumed).
 * @rx_next: bytes received: the offset the next DATA must start at.
 * @rx_read: bytes received that the reader consumed.
 * @rx_acked: @rx_read as last told to the peer.
 * @rx_fin: with @fin_rcvd, the stream's total length.
 * @err: with @state %VMMGMT_STREAM_S_CLOSED by a failure, the positive
 *	errno (ECONNRESET, EPROTO, ...); 0 after a clean end.
 */
struct vmmgmt_stream_state {
	u8 state;
	bool fin_sent;
	bool fin_rcvd;
	u64 tx_next;
	u64 tx_limit;
	u64 peer_ack;
	u64 rx_next;
	u64 rx_read;
	u64 rx_acked;
	u64 rx_fin;
	int err;
};

void vmmgmt_stream_init(struct vmmgmt_stream_state *st, bool opener);
int vmmgmt_stream_parse(const struct vmmgmt_rec *hdr, const void *payload,
			struct vmmgmt_stream_seg *seg, u32 *data_len,
			u32 *rst_err);
int vmmgmt_stream_rx(struct vmmgmt_stream_state *st,
		     const struct vmmgmt_stream_seg *seg, u32 data_len);
u64 vmmgmt_stream_tx_room(const struct vmmgmt_stream_state *st);
void vmmgmt_stream_tx_fill(struct vmmgmt_stream_state *st, u8 op,
			   u32 data_len, struct vmmgmt_stream_seg *seg);
void vmmgmt_stream_read(struct vmmgmt_stream_state *st, u32 n);
bool vmmgmt_stream_ack_due(const struct vmmgmt_stream_state *st);
bool vmmgmt_stream_at_eof(const struct vmmgmt_stream_state *st);
void vmmgmt_stream_fail(struct vmmgmt_stream_state *st, int err);

#endif /* _VMMGMT_STREAM_H */
