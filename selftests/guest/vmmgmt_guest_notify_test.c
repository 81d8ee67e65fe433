// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: notification suppression under sustained load
 * (ABI 0.3, VMMGMT_F_NOTIFY_AT).
 *
 * The guest and the host module negotiate VMMGMT_F_NOTIFY_AT (sysfs
 * features), and a stream of messages through the host's echo service,
 * with many in flight, costs far fewer doorbells and interrupts (sysfs
 * doorbells, interrupts) than messages: the host's worker is not kicked
 * while it still has the guest's ring in hand, the guest is not
 * interrupted while its rx work is pending, and every answer still
 * arrives, in order and intact.
 *
 * Needs the host side; skipped while the link is not up, and without the
 * device unless VMMGMT_REQUIRE_DEVICE is set.  VMMGMT_NOTIFY_MSGS sets the
 * number of messages (default 10000).
 */
#include <stdint.h>
#include <sys/ioctl.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

#define NOTIFY_MSGS_DEFAULT	10000
/* Messages in flight: below the guest's queue of 256 per file. */
#define NOTIFY_WINDOW		128
#define NOTIFY_LEN		64
/*
 * At most one doorbell, and one interrupt, per this many messages.
 * Without suppression a stream costs about one of each per message (the
 * consumer on the other side drains faster than the producer posts, so it
 * is idle again for every message: measured 1.00 doorbells and 0.78-0.82
 * interrupts per message).  With it, 0.02-0.1 each when the guest has the
 * host VM's vCPU to itself, but up to about 0.33 when another guest loads
 * it (the host's worker then finds the ring empty more often when it
 * looks again, and sleeps until a doorbell); hence 2, not more.
 */
#define NOTIFY_MIN_RATIO	2

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

FIXTURE(notify) {
	int fd;
};

FIXTURE_SETUP(notify)
{
	struct vmmgmt_bind b = { 0 };

	if (!open_link_up(_metadata, &self->fd))
		return;
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo_addr));
}

FIXTURE_TEARDOWN(notify)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * The host of this test bed offers notify_at and (ABI 0.6) modes, and the
 * guest accepts both (ABI 0.7 bits such as VMMGMT_F_FLOW may come on top:
 * vmmgmt_guest_flowctl_test checks those).
 */
TEST_F(notify, feature_negotiated)
{
	unsigned long long feat = ~0ULL;
	char buf[32], *end;

	ASSERT_EQ(0, vmmgmt_read_raw(VMMGMT_GUEST_SYSFS "/features", buf, sizeof(buf)));
	feat = strtoull(buf, &end, 0);
	ASSERT_TRUE(end != buf && *end == '\n') TH_LOG("features: '%s'", buf);
	EXPECT_EQ((unsigned long long)(VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES),
		  feat & (VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES));
	EXPECT_EQ(0ULL, feat & ~(unsigned long long)VMMGMT_F_KNOWN);
}

static unsigned long notify_msgs(void)
{
	const char *s = getenv("VMMGMT_NOTIFY_MSGS");
	unsigned long n = s ? strtoul(s, NULL, 0) : 0;

	return n ? n : NOTIFY_MSGS_DEFAULT;
}

/*
 * A stream as an application that keeps a window full writes it: once
 * half of NOTIFY_WINDOW is answered, write until the window is full
 * again, otherwise read an answer; every answer carries its sequence
 * number.  (Topping the window up one message per answer, as this test
 * first did, is a ping-pong NOTIFY_WINDOW deep: each write could find the
 * host's worker asleep, and beside guest 0's echo test in the lanes run
 * side by side it did 0.55 times a message on 6.1 on 2026-12-07.)  The
 * harness's default 30 s ran out in guest 1 on 6.1 on 2026-12-07 beside
 * guest 0's echo test on a slow day (9 to 22 s before): 120 s, a guard
 * against a hang, not a goal.
 */
TEST_F_TIMEOUT(notify, stream_suppressed, 120)
{
	unsigned long long db0, db1, irq0, irq1;
	unsigned char out[NOTIFY_LEN] = { 0 }, in[NOTIFY_LEN + 1];
	unsigned long n = notify_msgs(), sent = 0, got = 0;
	bool refill = true;
	__u64 seq;
	ssize_t r;

	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/doorbells", &db0));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &irq0));
	while (got < n) {
		if (sent - got <= NOTIFY_WINDOW / 2)
			refill = true;
		if (sent == n || sent - got == NOTIFY_WINDOW)
			refill = false;
		if (refill) {
			seq = sent;
			memcpy(out, &seq, sizeof(seq));
			out[sizeof(seq)] = (unsigned char)(sent * 13);
			r = write(self->fd, out, sizeof(out));
			ASSERT_EQ((ssize_t)sizeof(out), r)
				TH_LOG("write %lu: %s", sent,
				       r < 0 ? strerror(errno) : "short");
			sent++;
			continue;
		}
		r = read(self->fd, in, sizeof(in));
		ASSERT_EQ((ssize_t)sizeof(out), r)
			TH_LOG("read %lu: %s", got,
			       r < 0 ? strerror(errno) : "wrong length");
		memcpy(&seq, in, sizeof(seq));
		ASSERT_EQ(got, seq);
		ASSERT_EQ((unsigned char)(got * 13), in[sizeof(seq)]);
		got++;
	}
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/doorbells", &db1));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &irq1));
	TH_LOG("%lu messages echoed: %llu doorbells, %llu interrupts",
	       n, db1 - db0, irq1 - irq0);
	EXPECT_LE((db1 - db0) * NOTIFY_MIN_RATIO, n);
	EXPECT_LE((irq1 - irq0) * NOTIFY_MIN_RATIO, n);
}

TEST_HARNESS_MAIN
