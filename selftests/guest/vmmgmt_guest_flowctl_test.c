// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: flow control per destination (ABI 0.7), what one
 * guest can check of it alone.  The guest accepts VMMGMT_F_FLOW (and only
 * the bits it implements) whenever the host offers them; the flow control
 * counters exist in sysfs; a write() and poll() to a destination nobody
 * congested are not held up; and close() of a file that published names
 * returns within a bounded time even when the guest-to-host ring is full
 * and the host cannot drain it (here: this guest stops reading the echo
 * service's answers, so the host's echo fills this guest's own
 * host-to-guest ring and stops draining its guest-to-host ring).  Credits
 * per destination: the host returns them in CREDIT notices, one per 16
 * records owed (half of VMMGMT_FLOW_WINDOW_MSGS), so 64 echo round trips
 * bring exactly four (flow_credits), never leave a writer waiting
 * (flow_waits), and leave no more destinations in flight (flow_dests)
 * than before.  Congestion and PEER_GONE come only from a host with a
 * wedged destination: the host's vmmgmt_hol_test and
 * vmmgmt_host_flow_test drive them.
 *
 * Needs the link up (skipped without it, unless VMMGMT_REQUIRE_DEVICE is
 * set).  The stuck-ring case leaves one name of this guest
 * ("flowctl<vm>.lost<pid>", outside the names test's "t<vm>." names) on
 * the host: a name that close() could not withdraw stays until the
 * channel is reset, which is what the test checks.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

/* close() waits at most 1 s for room (VMMGMT_GUEST_CLOSE_TIMEOUT) ... */
#define CLOSE_BOUND_MS		1000
/* ... plus scheduling slack in a nested, emulated VM. */
#define CLOSE_SLACK_MS		1000
/* A ring that accepts nothing for this long counts as stuck. */
#define STUCK_MS		300
/* Most time spent filling the rings. */
#define FILL_MS			20000
/* An echo round trip after the rings drained again. */
#define ECHO_WAIT_MS		10000

static const char * const flow_attrs[] = {
	"flow_credits", "flow_peers_gone", "flow_waits",
	"flow_overflows", "withdrawals_lost", "flow_dests",
	"features", "features_offered", "features_supported",
};

static int read_attr(const char *name, unsigned long long *val)
{
	__u64 v;
	int err = vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, name, &v);

	if (!err)
		*val = v;
	return err;
}

FIXTURE(flowctl) {
	int fd;
	unsigned long long vm_id;
};

FIXTURE_SETUP(flowctl)
{
	if (!open_link_up(_metadata, &self->fd))
		return;
	ASSERT_EQ(0, read_attr("vm_id", &self->vm_id));
}

FIXTURE_TEARDOWN(flowctl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Every flow control attribute exists and reads as one number. */
TEST_F(flowctl, counters_exist)
{
	unsigned long long v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flow_attrs); i++) {
		const char *name = flow_attrs[i] ? flow_attrs[i] : "?";

		EXPECT_EQ(0, read_attr(name, &v))
			TH_LOG("%s unreadable or not a number", name);
	}
	ASSERT_EQ(0, read_attr("flow_dests", &v));
	EXPECT_GE((unsigned long long)VMMGMT_FLOW_DESTS, v)
		TH_LOG("flow_dests %llu above VMMGMT_FLOW_DESTS", v);
}

/*
 * The module implements VMMGMT_F_FLOW and accepts exactly the offered
 * bits it implements; it never accepts a bit it does not implement.
 */
TEST_F(flowctl, feature_flow_accepted)
{
	unsigned long long feat, offered, supported;

	ASSERT_EQ(0, read_attr("features", &feat));
	ASSERT_EQ(0, read_attr("features_offered", &offered));
	ASSERT_EQ(0, read_attr("features_supported", &supported));
	EXPECT_NE(0ULL, supported & VMMGMT_F_FLOW)
		TH_LOG("features_supported %#llx lacks VMMGMT_F_FLOW", supported);
	EXPECT_EQ(0ULL, supported & ~(unsigned long long)VMMGMT_F_KNOWN);
	EXPECT_EQ(offered & supported, feat)
		TH_LOG("offered %#llx, supported %#llx, accepted %#llx",
		       offered, supported, feat);
	if (!(offered & VMMGMT_F_FLOW))
		TH_LOG("note: this host does not offer VMMGMT_F_FLOW yet");
}

/*
 * A destination nobody congested (the echo service) is writable: poll()
 * gives EPOLLOUT and an O_NONBLOCK write() goes through.
 */
TEST_F(flowctl, uncongested_writable)
{
	struct vmmgmt_addr echo = { .port = VMMGMT_PORT_ECHO };
	struct pollfd p = { .fd = self->fd, .events = POLLOUT };
	char msg[16] = "flowctl", ans[16];
	int fl;

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo));
	ASSERT_EQ(1, poll(&p, 1, ECHO_WAIT_MS));
	EXPECT_TRUE(p.revents & POLLOUT);
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)))
		TH_LOG("write: %s", strerror(errno));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl));
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, ECHO_WAIT_MS));
	ASSERT_EQ((ssize_t)sizeof(msg), read(self->fd, ans, sizeof(ans)));
	EXPECT_EQ(0, memcmp(msg, ans, sizeof(msg)));
}

/* The host returns credits when this many records are owed. */
#define HALF_WINDOW		(VMMGMT_FLOW_WINDOW_MSGS / 2)
/* Echo round trips of ROUND_TRIP_LEN bytes, one at a time. */
#define ROUND_TRIPS		(4 * HALF_WINDOW)
#define ROUND_TRIP_LEN		100

/*
 * Credits come back: 64 echo requests of 100 bytes, each answer read
 * before the next write.  The host echoes at once and owes the credit at
 * once; whatever fewer than 16 it owed this guest for the echo service
 * before, 64 more records take that past 16 exactly four times: four
 * CREDIT notices at least (more only from other traffic of this guest).
 * With at most 16 records in flight no write waits for credit (the writes
 * are non-blocking: a guest that lost credits fails with EAGAIN instead
 * of hanging), and the echo service is in flight afterwards only if it
 * was before: flow_dests is at most 1, or what it was.
 */
TEST_F(flowctl, echo_credits_return)
{
	struct vmmgmt_addr echo = { .port = VMMGMT_PORT_ECHO };
	unsigned long long credits0, credits1, waits0, waits1;
	unsigned long long dests0, dests1, offered;
	char out[ROUND_TRIP_LEN], in[ROUND_TRIP_LEN];
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	unsigned int i;
	int fl, waited;
	ssize_t n;

	ASSERT_EQ(0, read_attr("features_offered", &offered));
	if (!(offered & VMMGMT_F_FLOW))
		SKIP(return, "this host does not offer VMMGMT_F_FLOW");
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo));
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(0, read_attr("flow_credits", &credits0));
	ASSERT_EQ(0, read_attr("flow_waits", &waits0));
	ASSERT_EQ(0, read_attr("flow_dests", &dests0));
	for (i = 0; i < ROUND_TRIPS; i++) {
		memset(out, 'a' + i % 26, sizeof(out));
		out[0] = (char)i;
		n = write(self->fd, out, sizeof(out));
		ASSERT_EQ((ssize_t)sizeof(out), n)
			TH_LOG("write %u: %s", i, strerror(errno));
		ASSERT_EQ(1, poll(&p, 1, ECHO_WAIT_MS))
			TH_LOG("no answer %u", i);
		n = read(self->fd, in, sizeof(in));
		ASSERT_EQ((ssize_t)sizeof(in), n)
			TH_LOG("read %u: %s", i, strerror(errno));
		ASSERT_EQ(0, memcmp(out, in, sizeof(out))) TH_LOG("answer %u", i);
	}
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl));
	/* The last notice follows the last answer: give it time to come. */
	for (waited = 0; waited < ECHO_WAIT_MS; waited += 10) {
		ASSERT_EQ(0, read_attr("flow_credits", &credits1));
		if (credits1 - credits0 >= ROUND_TRIPS / HALF_WINDOW)
			break;
		vmmgmt_sleep_ms(10);
	}
	ASSERT_EQ(0, read_attr("flow_waits", &waits1));
	ASSERT_EQ(0, read_attr("flow_dests", &dests1));
	TH_LOG("flow_credits +%llu, flow_waits +%llu, flow_dests %llu -> %llu",
	       credits1 - credits0, waits1 - waits0, dests0, dests1);
	EXPECT_LE(credits0 + ROUND_TRIPS / HALF_WINDOW, credits1);
	EXPECT_EQ(waits0, waits1);
	EXPECT_GE(dests0 > 1 ? dests0 : 1ULL, dests1);
}

/* A bound file of this VM that published "flowctl<vm>.<what>". */
static int open_published(unsigned long long vm, const char *what,
			  struct vmmgmt_name *n)
{
	struct vmmgmt_bind b = { 0 };
	int fd;

	memset(n, 0, sizeof(*n));
	snprintf((char *)n->name, sizeof(n->name), "flowctl%llu.%s", vm, what);
	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VMMGMT_IOC_BIND, &b) || ioctl(fd, VMMGMT_IOC_PUBLISH, n)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* close() of @fd, timed in milliseconds. */
static double timed_close(int fd)
{
	double t0 = vmmgmt_now_ms();

	close(fd);
	return vmmgmt_now_ms() - t0;
}

/*
 * A healthy channel: close() withdraws the names at once (a lookup after
 * it, behind the withdrawal in the same ring, finds nothing), well within
 * the bound, and loses none.
 */
TEST_F(flowctl, close_withdraws_quickly)
{
	unsigned long long lost0, lost1;
	struct vmmgmt_name n;
	double ms;
	int fd;

	ASSERT_EQ(0, read_attr("withdrawals_lost", &lost0));
	fd = open_published(self->vm_id, "flowctl", &n);
	ASSERT_LE(0, fd) TH_LOG("publish %s: %s", n.name, strerror(errno));
	ms = timed_close(fd);
	EXPECT_GT((double)CLOSE_BOUND_MS, ms) TH_LOG("close took %.0f ms", ms);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_LOOKUP, &n));
	EXPECT_EQ(ENOENT, errno) TH_LOG("%s still published after close", n.name);
	ASSERT_EQ(0, read_attr("withdrawals_lost", &lost1));
	EXPECT_EQ(lost0, lost1);
}

/* Host ports nobody binds: the host answers each record ECONNREFUSED. */
#define FLOOD_PORT0		40000
/*
 * Destinations the flood cycles through: the echo service and
 * FLOOD_DESTS - 1 closed host ports.  Each takes at most
 * VMMGMT_FLOW_WINDOW_BYTES in flight, so together more than any ring.
 */
#define FLOOD_DESTS		24

/* Point @fd at flood destination @i. */
static int flood_connect(int fd, unsigned int i)
{
	struct vmmgmt_addr a = {
		.port = i ? FLOOD_PORT0 + i : VMMGMT_PORT_ECHO,
	};

	return ioctl(fd, VMMGMT_IOC_CONNECT, &a) ? -errno : 0;
}

/*
 * Fill this guest's rings without reading the answers (the echo
 * service's, and the ECONNREFUSED answers of closed host ports), until
 * the guest-to-host ring accepts nothing for STUCK_MS.  A destination
 * out of credit (EAGAIN, counted in flow_waits) passes the turn to the
 * next one.  The ring is stuck when a whole round of destinations got
 * EAGAIN and not all of them for want of credit; when all of them were
 * out of credit for STUCK_MS, the credits kept the ring from filling.
 * Return: 1 stuck, 0 not (credit-limited, or not within FILL_MS), -errno
 * on an unexpected error.
 */
static int fill_rings(int fd, size_t len)
{
	double start = vmmgmt_now_ms(), full_since = 0;
	unsigned int dest = 0, refused = 0;
	unsigned long long w0, w1;
	char *buf = calloc(1, len);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (read_attr("flow_waits", &w0)) {
		free(buf);
		return -EIO;
	}
	while (vmmgmt_now_ms() - start < FILL_MS) {
		if (write(fd, buf, len) == (ssize_t)len) {
			full_since = 0;
			refused = 0;
			read_attr("flow_waits", &w0);
			continue;
		}
		if (errno != EAGAIN) {
			ret = -errno;
			break;
		}
		dest = (dest + 1) % FLOOD_DESTS;
		ret = flood_connect(fd, dest);
		if (ret)
			break;
		if (++refused < FLOOD_DESTS)
			continue;
		refused = 0;
		ret = read_attr("flow_waits", &w1) ? -EIO : 0;
		if (ret)
			break;
		if (!full_since) {
			full_since = vmmgmt_now_ms();
		} else if (vmmgmt_now_ms() - full_since >= STUCK_MS) {
			/* Every EAGAIN of the round was for credit: not stuck. */
			ret = w1 - w0 < FLOOD_DESTS;
			break;
		}
		w0 = w1;
		vmmgmt_sleep_ms(10);
	}
	free(buf);
	return ret;
}

/*
 * fill_rings() with records of @len bytes, then of a quarter of that and
 * so on down to 64 bytes: a ring that refuses a large record may still
 * have room for a small one (a name's withdrawal).  Return: 1 when even
 * the smallest found the ring stuck; else as fill_rings().
 */
static int fill_rings_down(int fd, size_t len)
{
	int ret = 0;

	for (; len >= 64; len /= 4) {
		ret = fill_rings(fd, len);
		if (ret <= 0)
			return ret;
	}
	return ret;
}

/*
 * The guest-to-host ring is full and the host cannot drain it (it waits
 * for room in this guest's host-to-guest ring, which waits for a reader
 * that does not read; with credits per destination it takes many
 * destinations to fill it): close() of a file with a published name gives up
 * the withdrawal after the bound, counts it in withdrawals_lost, and
 * returns.  Once the flooding file is closed the channel works again.
 */
TEST_F(flowctl, close_bounded_when_ring_stuck)
{
	struct vmmgmt_addr echo = { .port = VMMGMT_PORT_ECHO };
	unsigned long long lost0, lost1, max;
	struct vmmgmt_name n;
	char msg[8] = "again", ans[8];
	struct pollfd p;
	int named, flood, stuck;
	char what[24];
	double ms;

	snprintf(what, sizeof(what), "lost%d", (int)getpid());
	named = open_published(self->vm_id, what, &n);
	ASSERT_LE(0, named) TH_LOG("publish %s: %s", n.name, strerror(errno));
	ASSERT_EQ(0, read_attr("max_msg_size", &max));
	ASSERT_LT(0ULL, max);
	flood = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, flood);
	ASSERT_EQ(0, flood_connect(flood, 0));

	stuck = fill_rings_down(flood, max);
	ASSERT_LE(0, stuck) TH_LOG("flood: %s", strerror(-stuck));
	ASSERT_EQ(0, read_attr("withdrawals_lost", &lost0));
	ms = timed_close(named);
	ASSERT_EQ(0, read_attr("withdrawals_lost", &lost1));
	/* Let the host drain again before anything can fail. */
	close(flood);

	TH_LOG("close took %.0f ms with the ring %s, withdrawals_lost +%llu",
	       ms, stuck ? "stuck" : "busy", lost1 - lost0);
	EXPECT_GT((double)(CLOSE_BOUND_MS + CLOSE_SLACK_MS), ms);
	if (stuck) {
		EXPECT_EQ(lost0 + 1, lost1);
		EXPECT_LE((double)CLOSE_BOUND_MS * 0.9, ms)
			TH_LOG("close gave up after %.0f ms only", ms);
	} else {
		/* Credits kept the ring from filling: the name went out. */
		EXPECT_EQ(lost0, lost1);
		TH_LOG("note: the ring never stayed full for %d ms (credits)",
		       STUCK_MS);
	}

	/* The channel works again. */
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo));
	ASSERT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)))
		TH_LOG("write after the flood: %s", strerror(errno));
	p.fd = self->fd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, ECHO_WAIT_MS));
	ASSERT_EQ((ssize_t)sizeof(msg), read(self->fd, ans, sizeof(ans)));
	EXPECT_EQ(0, memcmp(msg, ans, sizeof(msg)));
}

TEST_HARNESS_MAIN
