// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: flow control of VM-to-VM messages, end to end.
 *
 * One file sends to another file's port in this same VM by the VM's own
 * address (0, vm_id, port): the host module routes the record as it
 * routes any VM-to-VM message (from this VM's guest-to-host ring to the
 * destination VM's send queue, then into its host-to-guest ring), and
 * the guest module queues it for the receiving file.  The receiver does
 * not read at first, so every stage fills in turn: its file's queue, the
 * host-to-guest ring, the host's send queue of the VM, and the
 * guest-to-host ring.  Then the sender must block (or get EAGAIN with
 * O_NONBLOCK), nothing may be dropped, the sender must go on as soon as
 * the receiver reads, and every message must arrive, in order, intact.
 *
 * Needs the host side; skipped while the link is not up, and without the
 * device unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

#define FLOW_LEN	64
/* More than every stage of the path holds with 64 B messages. */
#define FLOW_CAP	200000
/* The sender counts as stuck once it made no progress for this long. */
#define FLOW_STALL_MS	1500
/* A message, or the sender's progress once the receiver reads. */
#define FLOW_WAIT_MS	10000
/* Messages the sender must get through after the receiver reads. */
#define FLOW_MORE	200

FIXTURE(flow) {
	int rx, tx;
	struct vmmgmt_addr dst;
	unsigned long long drops;
};

FIXTURE_SETUP(flow)
{
	struct vmmgmt_bind b = { 0 };
	unsigned long long vm_id;

	self->tx = -1;
	if (!open_link_up(_metadata, &self->rx))
		return;
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vm_id", &vm_id));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/drops", &self->drops));
	ASSERT_EQ(0, ioctl(self->rx, VMMGMT_IOC_BIND, &b));
	self->dst.host = 0;
	self->dst.vm = vm_id;
	self->dst.port = b.port;
	self->tx = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->tx);
	ASSERT_EQ(0, ioctl(self->tx, VMMGMT_IOC_CONNECT, &self->dst));
}

FIXTURE_TEARDOWN(flow)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
}

/* Message seq: its number, then bytes that depend on it. */
static void make_msg(__u8 *buf, __u64 seq)
{
	unsigned int i;

	memcpy(buf, &seq, sizeof(seq));
	for (i = sizeof(seq); i < FLOW_LEN; i++)
		buf[i] = (__u8)(seq * 131 + i);
}

/*
 * Read message @seq from @fd (waiting up to FLOW_WAIT_MS) and check it;
 * 0, or -errno / -EBADMSG.
 */
static int recv_check(int fd, __u64 seq, __u64 *got_seq)
{
	__u8 buf[FLOW_LEN + 1], want[FLOW_LEN];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&p, 1, FLOW_WAIT_MS);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	*got_seq = ~0ULL;
	if (n >= (ssize_t)sizeof(*got_seq))
		memcpy(got_seq, buf, sizeof(*got_seq));
	make_msg(want, seq);
	if (n != FLOW_LEN || memcmp(buf, want, FLOW_LEN))
		return -EBADMSG;
	return 0;
}

/*
 * O_NONBLOCK: write until EAGAIN, again after pauses until a pause lets
 * nothing more in (every stage full, or the sender out of credit); then
 * read a queue's worth, see the sender get through again, and read
 * everything.
 */
TEST_F_TIMEOUT(flow, nonblock_eagain_then_all_arrive, 120)
{
	unsigned long long drops;
	__u64 sent = 0, more = 0, seq, got;
	unsigned int round, eagains = 0;
	__u8 msg[FLOW_LEN];
	__u64 before;
	double end;
	ssize_t n;
	int ret;

	ASSERT_EQ(0, fcntl(self->tx, F_SETFL, O_NONBLOCK));
	for (round = 0; round < 100 && sent < FLOW_CAP; round++) {
		before = sent;
		for (;;) {
			make_msg(msg, sent);
			n = write(self->tx, msg, FLOW_LEN);
			if (n < 0)
				break;
			ASSERT_EQ(FLOW_LEN, n);
			sent++;
		}
		ASSERT_EQ(EAGAIN, errno)
			TH_LOG("write %llu: %s", (unsigned long long)sent,
			       strerror(errno));
		eagains++;
		if (round && sent == before)
			break;
		vmmgmt_sleep_ms(500);
	}
	TH_LOG("%llu messages in before a pause let none more in (%u EAGAINs)",
	       (unsigned long long)sent, eagains);
	ASSERT_GT((__u64)FLOW_CAP, sent);
	/* More than the receiving file's own queue: the path held them. */
	ASSERT_LT((__u64)256, sent);

	/*
	 * The receiver reads its queue's worth: the sender gets through
	 * again (with credits the sender stops one window past the full
	 * queue: the credit notices wait in the ring behind the records
	 * that do not fit the receiver's queue).
	 */
	for (seq = 0; seq < 256; seq++) {
		ret = recv_check(self->rx, seq, &got);
		ASSERT_EQ(0, ret)
			TH_LOG("message %llu: %s (carries %llu)",
			       (unsigned long long)seq, strerror(-ret),
			       (unsigned long long)got);
	}
	end = vmmgmt_now_ms() + FLOW_WAIT_MS;
	while (more < 10 && vmmgmt_now_ms() < end) {
		make_msg(msg, sent + more);
		n = write(self->tx, msg, FLOW_LEN);
		if (n == FLOW_LEN) {
			more++;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		vmmgmt_sleep_ms(10);
	}
	ASSERT_EQ((__u64)10, more)
		TH_LOG("the sender got only %llu more through in %d ms after the receiver read",
		       (unsigned long long)more, FLOW_WAIT_MS);

	/* Everything, in order, intact, and nothing else. */
	for (; seq < sent + more; seq++) {
		ret = recv_check(self->rx, seq, &got);
		ASSERT_EQ(0, ret)
			TH_LOG("message %llu of %llu: %s (carries %llu)",
			       (unsigned long long)seq,
			       (unsigned long long)(sent + more),
			       strerror(-ret), (unsigned long long)got);
	}
	ASSERT_EQ(0, fcntl(self->rx, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->rx, msg, sizeof(msg)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/drops", &drops));
	EXPECT_EQ(self->drops, drops);
}

struct writer {
	int fd;
	__u64 limit;		/* stop once this many are sent */
	__u64 sent;
	bool in_write;
	bool done;
	int err;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	__u8 msg[FLOW_LEN];
	__u64 seq;
	ssize_t n;

	for (seq = 0; seq < __atomic_load_n(&w->limit, __ATOMIC_ACQUIRE);
	     seq++) {
		make_msg(msg, seq);
		__atomic_store_n(&w->in_write, true, __ATOMIC_RELEASE);
		n = write(w->fd, msg, FLOW_LEN);
		__atomic_store_n(&w->in_write, false, __ATOMIC_RELEASE);
		if (n != FLOW_LEN) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		__atomic_store_n(&w->sent, seq + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A blocking writer fills the path and then sleeps in write(); the
 * receiver's reads wake it, it sends FLOW_MORE more, and every message
 * arrives in order.
 */
TEST_F_TIMEOUT(flow, blocking_writer_woken, 180)
{
	struct writer w = { .fd = self->tx, .limit = FLOW_CAP };
	__u64 last = 0, cur, seq, got, limit;
	unsigned long long drops;
	double since, end;
	pthread_t tid;
	int ret;

	ASSERT_EQ(0, pthread_create(&tid, NULL, writer_fn, &w));
	/* Until the writer sits in write() without progress. */
	since = vmmgmt_now_ms();
	end = since + 120000;
	for (;;) {
		vmmgmt_sleep_ms(100);
		cur = __atomic_load_n(&w.sent, __ATOMIC_ACQUIRE);
		if (cur != last) {
			last = cur;
			since = vmmgmt_now_ms();
		} else if (__atomic_load_n(&w.in_write, __ATOMIC_ACQUIRE) &&
			   vmmgmt_now_ms() - since >= FLOW_STALL_MS) {
			break;
		}
		if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) ||
		    vmmgmt_now_ms() > end)
			break;
	}
	limit = last + FLOW_MORE;
	__atomic_store_n(&w.limit, limit, __ATOMIC_RELEASE);
	ASSERT_FALSE(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		pthread_join(tid, NULL);
		TH_LOG("the writer never blocked: %llu sent, error %d",
		       (unsigned long long)w.sent, w.err);
	}
	TH_LOG("writer blocked after %llu messages", (unsigned long long)last);
	ASSERT_LT((__u64)256, last) {
		pthread_cancel(tid);
		pthread_join(tid, NULL);
	}

	for (seq = 0; seq < limit; seq++) {
		ret = recv_check(self->rx, seq, &got);
		if (ret) {
			TH_LOG("message %llu of %llu: %s (carries %llu), writer sent %llu",
			       (unsigned long long)seq,
			       (unsigned long long)limit, strerror(-ret),
			       (unsigned long long)got,
			       (unsigned long long)w.sent);
			break;
		}
	}
	if (seq < limit)
		pthread_cancel(tid);
	pthread_join(tid, NULL);
	ASSERT_EQ(limit, seq);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(limit, w.sent);
	ASSERT_EQ(0, fcntl(self->rx, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->rx, &got, sizeof(got)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/drops", &drops));
	EXPECT_EQ(self->drops, drops);
}

TEST_HARNESS_MAIN
