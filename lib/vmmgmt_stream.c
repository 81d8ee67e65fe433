// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt streams: the protocol rules of one end of a stream (see
 * vmmgmt_stream.h and Documentation/vmmgmt.rst, "Streams").  It owns
 * nothing and calls nothing of either module.
 *
 * Credits: each end grants %VMMGMT_STREAM_WINDOW bytes beyond what its
 * reader consumed (the ack); the peer sends no byte past ack + window.
 * Acks never move back, nor does the limit they give, so a sender's room
 * only grows until it sends.  A segment that breaks a rule makes the
 * caller reset the stream with EPROTO: a peer can hurt its own streams
 * only.
 */
#include <vmmgmt_types.h>
#include "vmmgmt_stream.h"

/* Largest errno an RST or error answer may carry (as in the kernel). */
#define VMMGMT_STREAM_ERRNO_MAX	4095

/**
 * vmmgmt_stream_init() - a new end of a stream.
 * @st: the state to set up.
 * @opener: this end sends the SYN; otherwise it answers one (it then
 *	passes the SYN to vmmgmt_stream_rx() before anything else).
 *
 * Context: any context.
 */
void vmmgmt_stream_init(struct vmmgmt_stream_state *st, bool opener)
{
	memset(st, 0, sizeof(*st));
	st->state = opener ? VMMGMT_STREAM_S_CONNECTING : VMMGMT_STREAM_S_OPEN;
}

/* The errno of an RST or an error answer, or 0 if it is not one. */
static u32 vmmgmt_stream_errno(const void *p)
{
	u32 err;

	memcpy(&err, p, sizeof(err));
	return err && err <= VMMGMT_STREAM_ERRNO_MAX ? err : 0;
}

/**
 * vmmgmt_stream_parse() - check one stream record and take its segment.
 * @hdr: the record header (a private copy), with %VMMGMT_REC_F_STREAM.
 * @payload: its payload (a private copy), @hdr->len bytes.
 * @seg: filled in: the segment.  An error answer of the host
 *	(%VMMGMT_REC_F_RESPONSE and %VMMGMT_REC_F_ERROR) comes out as an RST.
 * @data_len: filled in: the DATA bytes after the segment header (they
 *	start at @payload + sizeof(*@seg)); 0 for other segments.
 * @rst_err: filled in for an RST or an error answer: its errno.
 *
 * The rules of &struct vmmgmt_stream_seg: a known op, zero flags and
 * reserved, a window of at most %VMMGMT_STREAM_WINDOW (and more than 0
 * in SYN and ACCEPT, whose seq and ack are 0), at least one byte of DATA,
 * no bytes after the header of the others but the errno of an RST (1 ..
 * 4095).
 *
 * Context: any context.
 * Return: 0; -EPROTO if the record breaks a rule.
 */
int vmmgmt_stream_parse(const struct vmmgmt_rec *hdr, const void *payload,
			struct vmmgmt_stream_seg *seg, u32 *data_len,
			u32 *rst_err)
{
	const u16 answer = VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR;
	const u32 size = sizeof(*seg);

	memset(seg, 0, sizeof(*seg));
	*data_len = 0;
	*rst_err = 0;
	if (!(hdr->flags & VMMGMT_REC_F_STREAM))
		return -EPROTO;
	if (hdr->flags & answer) {
		if ((hdr->flags & answer) != answer || hdr->len != sizeof(u32))
			return -EPROTO;
		*rst_err = vmmgmt_stream_errno(payload);
		if (!*rst_err)
			return -EPROTO;
		seg->op = VMMGMT_STREAM_RST;
		return 0;
	}
	if (hdr->len < size)
		return -EPROTO;
	memcpy(seg, payload, size);
	if (seg->flags || seg->reserved || seg->window > VMMGMT_STREAM_WINDOW)
		return -EPROTO;
	switch (seg->op) {
	case VMMGMT_STREAM_SYN:
	case VMMGMT_STREAM_ACCEPT:
		if (!seg->window || seg->seq || seg->ack)
			return -EPROTO;
		fallthrough;
	case VMMGMT_STREAM_ACK:
	case VMMGMT_STREAM_FIN:
		return hdr->len == size ? 0 : -EPROTO;
	case VMMGMT_STREAM_DATA:
		if (hdr->len == size)
			return -EPROTO;
		*data_len = hdr->len - size;
		return 0;
	case VMMGMT_STREAM_RST:
		if (hdr->len != size + sizeof(u32))
			return -EPROTO;
		*rst_err = vmmgmt_stream_errno((const u8 *)payload + size);
		return *rst_err ? 0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

/*
 * The ack and window a segment carries: neither may move back, and the
 * peer cannot have consumed bytes that were never sent.
 */
static int vmmgmt_stream_rx_credit(struct vmmgmt_stream_state *st,
				   const struct vmmgmt_stream_seg *seg)
{
	u64 limit = seg->ack + seg->window;

	if (seg->ack < st->peer_ack || seg->ack > st->tx_next ||
	    limit < st->tx_limit)
		return -EPROTO;
	st->peer_ack = seg->ack;
	st->tx_limit = limit;
	return 0;
}

/**
 * vmmgmt_stream_rx() - apply a segment from the peer.
 * @st: this end.
 * @seg: a segment vmmgmt_stream_parse() accepted; not an RST (the caller
 *	ends the stream with vmmgmt_stream_fail() and the RST's errno).
 * @data_len: its DATA bytes; the caller queues them for the reader when
 *	this returns 0.
 *
 * SYN only as the first segment of an answering end; ACCEPT only while
 * connecting; DATA and FIN at the offset the stream has reached, DATA
 * within the window this end granted and never after FIN.
 *
 * Context: any context; the caller holds the stream's lock.
 * Return: 0; -ENOTCONN if the stream is over (the segment is ignored);
 * -EPROTO if the segment breaks a rule (the caller resets the stream).
 */
int vmmgmt_stream_rx(struct vmmgmt_stream_state *st,
		     const struct vmmgmt_stream_seg *seg, u32 data_len)
{
	if (st->state == VMMGMT_STREAM_S_CLOSED)
		return -ENOTCONN;
	if (seg->op == VMMGMT_STREAM_SYN) {
		/* A fresh answering end: nothing sent, allowed or taken. */
		if (st->state != VMMGMT_STREAM_S_OPEN || st->tx_limit ||
		    st->tx_next || st->rx_next || st->fin_rcvd)
			return -EPROTO;
		st->tx_limit = seg->window;
		return 0;
	}
	if (st->state == VMMGMT_STREAM_S_CONNECTING) {
		if (seg->op != VMMGMT_STREAM_ACCEPT)
			return -EPROTO;
		st->state = VMMGMT_STREAM_S_OPEN;
		st->tx_limit = seg->window;
		return 0;
	}
	switch (seg->op) {
	case VMMGMT_STREAM_DATA:
		if (st->fin_rcvd || seg->seq != st->rx_next || !data_len ||
		    st->rx_next + data_len > st->rx_acked + VMMGMT_STREAM_WINDOW)
			return -EPROTO;
		break;
	case VMMGMT_STREAM_FIN:
		if (st->fin_rcvd || seg->seq != st->rx_next)
			return -EPROTO;
		break;
	case VMMGMT_STREAM_ACK:
		break;
	default:
		return -EPROTO;
	}
	if (vmmgmt_stream_rx_credit(st, seg))
		return -EPROTO;
	if (seg->op == VMMGMT_STREAM_DATA) {
		st->rx_next += data_len;
	} else if (seg->op == VMMGMT_STREAM_FIN) {
		st->fin_rcvd = true;
		st->rx_fin = seg->seq;
	}
	return 0;
}

/**
 * vmmgmt_stream_tx_room() - how many bytes this end may send now.
 * @st: this end.
 *
 * Context: any context; the caller holds the stream's lock.
 * Return: the bytes the peer's window allows; 0 while connecting, after
 * FIN was sent, or once the stream is over.
 */
u64 vmmgmt_stream_tx_room(const struct vmmgmt_stream_state *st)
{
	if (st->state != VMMGMT_STREAM_S_OPEN || st->fin_sent)
		return 0;
	return st->tx_limit - st->tx_next;
}

/**
 * vmmgmt_stream_tx_fill() - the header of the next segment this end sends.
 * @st: this end.
 * @op: an &enum vmmgmt_stream_op value.
 * @data_len: DATA: the bytes that follow (at most vmmgmt_stream_tx_room());
 *	0 for the others.
 * @seg: filled in.
 *
 * Every segment carries this end's ack (what its reader consumed) and its
 * window, which then count as told to the peer; DATA moves the offset on,
 * FIN marks this side shut down, RST ends the stream (the caller appends
 * the errno and calls vmmgmt_stream_fail() for its own side).
 *
 * Context: any context; the caller holds the stream's lock.
 */
void vmmgmt_stream_tx_fill(struct vmmgmt_stream_state *st, u8 op,
			   u32 data_len, struct vmmgmt_stream_seg *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->op = op;
	switch (op) {
	case VMMGMT_STREAM_SYN:
	case VMMGMT_STREAM_ACCEPT:
		seg->window = VMMGMT_STREAM_WINDOW;
		return;
	case VMMGMT_STREAM_RST:
		return;
	case VMMGMT_STREAM_DATA:
		seg->seq = st->tx_next;
		st->tx_next += data_len;
		break;
	case VMMGMT_STREAM_FIN:
		seg->seq = st->tx_next;
		st->fin_sent = true;
		break;
	default:
		break;
	}
	seg->window = VMMGMT_STREAM_WINDOW;
	seg->ack = st->rx_read;
	st->rx_acked = st->rx_read;
}

/**
 * vmmgmt_stream_read() - the reader consumed bytes.
 * @st: this end.
 * @n: bytes taken, at most what was received and not read yet.
 *
 * Context: any context; the caller holds the stream's lock.
 */
void vmmgmt_stream_read(struct vmmgmt_stream_state *st, u32 n)
{
	if (n > st->rx_next - st->rx_read)
		n = st->rx_next - st->rx_read;
	st->rx_read += n;
}

/**
 * vmmgmt_stream_ack_due() - whether to send a window update now.
 * @st: this end.
 *
 * Due once the reader consumed a quarter of the window since the peer was
 * last told: the peer then never waits for more than three quarters of a
 * window to drain, and a bulk transfer costs one ACK per 64 KiB read.
 *
 * Context: any context; the caller holds the stream's lock.
 * Return: true if an ACK should be sent.
 */
bool vmmgmt_stream_ack_due(const struct vmmgmt_stream_state *st)
{
	return st->state == VMMGMT_STREAM_S_OPEN && !st->fin_rcvd &&
	       st->rx_read - st->rx_acked >= VMMGMT_STREAM_WINDOW / 4;
}

/**
 * vmmgmt_stream_at_eof() - whether the reader has read the whole stream.
 * @st: this end.
 *
 * Context: any context; the caller holds the stream's lock.
 * Return: true once the peer sent FIN and every byte before it was read.
 */
bool vmmgmt_stream_at_eof(const struct vmmgmt_stream_state *st)
{
	return st->fin_rcvd && st->rx_read == st->rx_fin;
}

/**
 * vmmgmt_stream_fail() - end the stream.
 * @st: this end.
 * @err: the positive errno readers and writers get from now on (0: a
 *	clean end).  The first failure wins.
 *
 * Context: any context; the caller holds the stream's lock.
 */
void vmmgmt_stream_fail(struct vmmgmt_stream_state *st, int err)
{
	if (st->state == VMMGMT_STREAM_S_CLOSED)
		return;
	st->state = VMMGMT_STREAM_S_CLOSED;
	st->err = err;
}
