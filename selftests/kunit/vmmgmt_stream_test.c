// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of the stream protocol rules both modules use
 * (lib/vmmgmt_stream.c): what a segment may look like, the handshake, the
 * window each end grants, order and end of stream, and a whole transfer
 * between two ends that only ever send what the rules allow.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>

#include "../lib/vmmgmt_stream.c"

/* A record of @op with @extra bytes after the segment header. */
static int vmmgmt_stream_test_parse(const struct vmmgmt_stream_seg *in,
				    u32 extra, u16 flags,
				    struct vmmgmt_stream_seg *out,
				    u32 *data_len, u32 *rst_err)
{
	static u8 buf[sizeof(struct vmmgmt_stream_seg) + 16];
	struct vmmgmt_rec hdr = {
		.len = sizeof(*in) + extra,
		.mode = VMMGMT_MODE_CHAT,
		.flags = flags,
		.id = 1,
	};

	memset(buf, 0, sizeof(buf));
	memcpy(buf, in, sizeof(*in));
	/* An RST's errno, when the caller asks for four bytes more. */
	if (extra == sizeof(u32))
		buf[sizeof(*in)] = ECONNRESET;
	return vmmgmt_stream_parse(&hdr, buf, out, data_len, rst_err);
}

static void vmmgmt_stream_test_segments(struct kunit *test)
{
	struct vmmgmt_stream_seg s = {}, out;
	u32 dl, err;

	/* Each op with its own length. */
	s.op = VMMGMT_STREAM_SYN;
	s.window = VMMGMT_STREAM_WINDOW;
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
							  &out, &dl, &err));
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 1, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.ack = 1;	/* a SYN acks nothing */
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.ack = 0;
	s.window = 0;	/* nor grants nothing */
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.op = VMMGMT_STREAM_DATA;
	s.window = VMMGMT_STREAM_WINDOW;
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_test_parse(&s, 5, VMMGMT_REC_F_STREAM,
							  &out, &dl, &err));
	KUNIT_EXPECT_EQ(test, 5U, dl);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.window = VMMGMT_STREAM_WINDOW + 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 5, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.window = VMMGMT_STREAM_WINDOW;
	s.flags = 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 5, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.flags = 0;
	s.reserved = 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 5, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.reserved = 0;
	s.op = 0;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	s.op = VMMGMT_STREAM_RST + 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	/* RST carries an errno. */
	s.op = VMMGMT_STREAM_RST;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, VMMGMT_REC_F_STREAM,
								&out, &dl, &err));
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_test_parse(&s, sizeof(u32), VMMGMT_REC_F_STREAM,
							  &out, &dl, &err));
	KUNIT_EXPECT_EQ(test, (u32)ECONNRESET, err);
	/* Without the stream flag it is no segment at all. */
	s.op = VMMGMT_STREAM_ACK;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_test_parse(&s, 0, 0, &out, &dl, &err));
}

/* The host's error answer to a segment is an RST with its errno. */
static void vmmgmt_stream_test_answer(struct kunit *test)
{
	const u16 f = VMMGMT_REC_F_STREAM | VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR;
	struct vmmgmt_rec hdr = { .len = sizeof(u32), .mode = VMMGMT_MODE_CHAT };
	struct vmmgmt_stream_seg out;
	u32 e = ECONNREFUSED, dl, err;

	hdr.flags = f;
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_parse(&hdr, &e, &out, &dl, &err));
	KUNIT_EXPECT_EQ(test, (u8)VMMGMT_STREAM_RST, out.op);
	KUNIT_EXPECT_EQ(test, (u32)ECONNREFUSED, err);
	e = 0;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_parse(&hdr, &e, &out, &dl, &err));
	e = 5000;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_parse(&hdr, &e, &out, &dl, &err));
	e = EHOSTUNREACH;
	hdr.flags = VMMGMT_REC_F_STREAM | VMMGMT_REC_F_RESPONSE;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_parse(&hdr, &e, &out, &dl, &err));
}

/* Opener and acceptor, connected: SYN, ACCEPT. */
static void vmmgmt_stream_test_pair(struct kunit *test,
				    struct vmmgmt_stream_state *a,
				    struct vmmgmt_stream_state *b)
{
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_init(a, true);
	vmmgmt_stream_init(b, false);
	KUNIT_EXPECT_EQ(test, 0ULL, vmmgmt_stream_tx_room(a));
	vmmgmt_stream_tx_fill(a, VMMGMT_STREAM_SYN, 0, &seg);
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(b, &seg, 0));
	vmmgmt_stream_tx_fill(b, VMMGMT_STREAM_ACCEPT, 0, &seg);
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(a, &seg, 0));
}

static void vmmgmt_stream_test_handshake(struct kunit *test)
{
	struct vmmgmt_stream_state a, b;
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_init(&a, true);
	KUNIT_EXPECT_EQ(test, (u8)VMMGMT_STREAM_S_CONNECTING, a.state);
	/* Data before ACCEPT breaks the rules. */
	vmmgmt_stream_init(&b, false);
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_DATA, 1, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&a, &seg, 1));

	vmmgmt_stream_test_pair(test, &a, &b);
	KUNIT_EXPECT_EQ(test, (u64)VMMGMT_STREAM_WINDOW, vmmgmt_stream_tx_room(&a));
	KUNIT_EXPECT_EQ(test, (u64)VMMGMT_STREAM_WINDOW, vmmgmt_stream_tx_room(&b));
	/* A second SYN or ACCEPT. */
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_SYN, 0, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 0));
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_ACCEPT, 0, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&a, &seg, 0));
}

static void vmmgmt_stream_test_window(struct kunit *test)
{
	struct vmmgmt_stream_state a, b;
	struct vmmgmt_stream_seg seg, old;

	vmmgmt_stream_test_pair(test, &a, &b);
	/* The whole window in one go is allowed, a byte more is not. */
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, VMMGMT_STREAM_WINDOW, &seg);
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_rx(&b, &seg, VMMGMT_STREAM_WINDOW));
	KUNIT_EXPECT_EQ(test, 0ULL, vmmgmt_stream_tx_room(&a));
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, 1, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 1));

	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, VMMGMT_STREAM_WINDOW, &seg);
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&b, &seg, VMMGMT_STREAM_WINDOW));
	/* Reading less than a quarter is not worth an ACK yet. */
	vmmgmt_stream_read(&b, VMMGMT_STREAM_WINDOW / 4 - 1);
	KUNIT_EXPECT_FALSE(test, vmmgmt_stream_ack_due(&b));
	vmmgmt_stream_read(&b, 1);
	KUNIT_EXPECT_TRUE(test, vmmgmt_stream_ack_due(&b));
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_ACK, 0, &seg);
	KUNIT_EXPECT_FALSE(test, vmmgmt_stream_ack_due(&b));
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&a, &seg, 0));
	KUNIT_EXPECT_EQ(test, (u64)VMMGMT_STREAM_WINDOW / 4, vmmgmt_stream_tx_room(&a));
	old = seg;
	/* An ack or window that moves back. */
	old.ack--;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&a, &old, 0));
	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_ACK, 0, &seg);
	seg.window = VMMGMT_STREAM_WINDOW - 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&a, &seg, 0));
	/* Acking bytes never sent. */
	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_ACK, 0, &seg);
	seg.ack = 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&a, &seg, 0));
}

static void vmmgmt_stream_test_order(struct kunit *test)
{
	struct vmmgmt_stream_state a, b;
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_test_pair(test, &a, &b);
	/* A segment that skips bytes. */
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, 10, &seg);
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, 10, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 10));

	/* FIN at the end, then nothing more; EOF once all is read. */
	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, 10, &seg);
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&b, &seg, 10));
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_FIN, 0, &seg);
	KUNIT_EXPECT_EQ(test, 0ULL, vmmgmt_stream_tx_room(&a));
	KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&b, &seg, 0));
	KUNIT_EXPECT_FALSE(test, vmmgmt_stream_at_eof(&b));
	vmmgmt_stream_read(&b, 10);
	KUNIT_EXPECT_TRUE(test, vmmgmt_stream_at_eof(&b));
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 0));
	seg.op = VMMGMT_STREAM_DATA;
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 1));
	/* Half-closed: the other direction still flows. */
	KUNIT_EXPECT_EQ(test, (u64)VMMGMT_STREAM_WINDOW, vmmgmt_stream_tx_room(&b));
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_DATA, 3, &seg);
	KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_rx(&a, &seg, 3));

	/* A FIN that claims a length other than what arrived. */
	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_DATA, 10, &seg);
	vmmgmt_stream_tx_fill(&a, VMMGMT_STREAM_FIN, 0, &seg);
	KUNIT_EXPECT_EQ(test, -EPROTO, vmmgmt_stream_rx(&b, &seg, 0));
}

static void vmmgmt_stream_test_fail(struct kunit *test)
{
	struct vmmgmt_stream_state a, b;
	struct vmmgmt_stream_seg seg;

	vmmgmt_stream_test_pair(test, &a, &b);
	vmmgmt_stream_fail(&a, ECONNRESET);
	vmmgmt_stream_fail(&a, EPROTO);
	KUNIT_EXPECT_EQ(test, ECONNRESET, a.err);
	KUNIT_EXPECT_EQ(test, 0ULL, vmmgmt_stream_tx_room(&a));
	vmmgmt_stream_tx_fill(&b, VMMGMT_STREAM_DATA, 1, &seg);
	KUNIT_EXPECT_EQ(test, -ENOTCONN, vmmgmt_stream_rx(&a, &seg, 1));
}

/*
 * Two ends move 16 MiB each way in random pieces, reading at random; each
 * sends only what vmmgmt_stream_tx_room() allows and acks when
 * vmmgmt_stream_ack_due() says so.  No segment may break a rule, the
 * receiver may never hold more than a window, and every byte arrives.
 */
static void vmmgmt_stream_test_transfer(struct kunit *test)
{
	const u64 total = 16ULL << 20;
	struct vmmgmt_stream_state end[2];
	struct vmmgmt_stream_seg seg;
	struct rnd_state rnd;
	u64 sent[2] = {}, got[2] = {};
	unsigned int i, steps = 0;
	u32 n;

	prandom_seed_state(&rnd, 42);
	vmmgmt_stream_test_pair(test, &end[0], &end[1]);
	while ((sent[0] < total || sent[1] < total ||
		got[0] < total || got[1] < total) && steps++ < 1000000) {
		i = prandom_u32_state(&rnd) & 1;
		/* Send a piece, at most what the peer allows. */
		n = min_t(u64, total - sent[i],
			  min_t(u64, vmmgmt_stream_tx_room(&end[i]),
				1 + prandom_u32_state(&rnd) % 65536));
		if (n) {
			vmmgmt_stream_tx_fill(&end[i], VMMGMT_STREAM_DATA, n, &seg);
			KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&end[!i], &seg, n));
			sent[i] += n;
		}
		/* The peer reads some of what it holds. */
		n = min_t(u64, end[!i].rx_next - end[!i].rx_read,
			  prandom_u32_state(&rnd) % 100000);
		KUNIT_ASSERT_LE(test, end[!i].rx_next - end[!i].rx_read,
				(u64)VMMGMT_STREAM_WINDOW);
		vmmgmt_stream_read(&end[!i], n);
		got[!i] += n;
		if (vmmgmt_stream_ack_due(&end[!i])) {
			vmmgmt_stream_tx_fill(&end[!i], VMMGMT_STREAM_ACK, 0, &seg);
			KUNIT_ASSERT_EQ(test, 0, vmmgmt_stream_rx(&end[i], &seg, 0));
		}
	}
	KUNIT_EXPECT_EQ(test, total, got[0]);
	KUNIT_EXPECT_EQ(test, total, got[1]);
	/* And both ends shut down cleanly. */
	for (i = 0; i < 2; i++) {
		vmmgmt_stream_tx_fill(&end[i], VMMGMT_STREAM_FIN, 0, &seg);
		KUNIT_EXPECT_EQ(test, 0, vmmgmt_stream_rx(&end[!i], &seg, 0));
	}
	KUNIT_EXPECT_TRUE(test, vmmgmt_stream_at_eof(&end[0]));
	KUNIT_EXPECT_TRUE(test, vmmgmt_stream_at_eof(&end[1]));
}

static struct kunit_case vmmgmt_stream_test_cases[] = {
	KUNIT_CASE(vmmgmt_stream_test_segments),
	KUNIT_CASE(vmmgmt_stream_test_answer),
	KUNIT_CASE(vmmgmt_stream_test_handshake),
	KUNIT_CASE(vmmgmt_stream_test_window),
	KUNIT_CASE(vmmgmt_stream_test_order),
	KUNIT_CASE(vmmgmt_stream_test_fail),
	KUNIT_CASE(vmmgmt_stream_test_transfer),
	{}
};

static struct kunit_suite vmmgmt_stream_test_suite = {
	.name = "vmmgmt_stream",
	.test_cases = vmmgmt_stream_test_cases,
};

kunit_test_suite(vmmgmt_stream_test_suite);

MODULE_DESCRIPTION("KUnit test of the vmmgmt stream protocol rules");
MODULE_LICENSE("GPL");
