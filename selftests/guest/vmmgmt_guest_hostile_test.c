// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt: a hostile guest, in a real guest.  While vmmgmt_guest.ko is
 * bound, this program maps the region (BAR2, sysfs resource2) and the
 * ivshmem registers (BAR0, resource0) itself, breaks the guest-to-host
 * ring in one way per variant (garbage, impossible indexes, huge and
 * "negative" lengths, a record across the end, bad modes and flags, a
 * bogus host-to-guest tail, bytes flipped while the host reads and
 * another thread sends, a storm of raw reset requests) and rings the
 * host's doorbell (BAR0 DOORBELL, host peer 0, vector 0).
 *
 * After each: the guest module follows the header to link_state
 * "broken", the sysfs attribute "reset" brings the channel back with a
 * new generation, and messages through /dev/vmmgmt to the host's echo
 * service come back intact.  The host must survive all of it without a
 * kernel warning, which the harness checks in the host VM's log.
 *
 * The test bed runs it in one guest only (guest-init, vmmgmt.hostile=1),
 * as root, with iomem=relaxed; the test `channel_works` alone
 * (-t channel_works) checks a channel after a module reload.  Without
 * the device the tests are skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <vmmgmt.h>

/*
 * The harness and its TEST() expansions leave parameters unused, and
 * TEST_F()'s setjmp() wrapper trips -Wclobbered; the selftests build
 * with -Wextra -Werror.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "../vmmgmt_bar.h"
#include "vmmgmt_guest_util.h"

#define REC_SIZE	((__u32)sizeof(struct vmmgmt_rec))
/* How long the host and the guest module get to react. */
#define WAIT_MS		10000
/* How long the flip thread flips before it gives up on breaking. */
#define FLIP_MS		5000
/* How long the raw reset storm lasts. */
#define SPAM_MS		2000

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

/* The bound device's BARs as this program sees them. */
struct hostile_dev {
	char bdf[32];
	__u8 *region;		/* BAR2 */
	size_t region_size;
	__u8 *regs;		/* BAR0 */
	size_t regs_size;
	/* The G2H ring and the H2G control block, from the header. */
	struct vmmgmt_ring_ctrl *g2h;
	__u8 *g2h_data;
	__u32 g2h_size;
	struct vmmgmt_ring_ctrl *h2g;
};

static __u32 hdr32(const struct hostile_dev *d, size_t off)
{
	return __atomic_load_n((__u32 *)(d->region + off),
			       __ATOMIC_ACQUIRE);
}

#define HDR(d, field) hdr32(d, offsetof(struct vmmgmt_region_header, field))

/* The host's consumer index as it published it. */
static __u32 g2h_tail(const struct hostile_dev *d)
{
	return __atomic_load_n(&d->g2h->tail, __ATOMIC_ACQUIRE);
}

/* Ring the host's doorbell: peer 0 (the host), vector 0. */
static void doorbell(const struct hostile_dev *d)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n((__u32 *)(d->regs + VMMGMT_IVSHMEM_REG_DOORBELL),
			 (VMMGMT_HOST_PEER_ID << 16) | 0, __ATOMIC_RELEASE);
}

/* "0x1af4\n" in a sysfs file of PCI device bdf. */
static bool pci_id_is(const char *bdf, const char *file, const char *want)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, file);
	return !vmmgmt_read_raw(path, buf, sizeof(buf)) && !strcmp(buf, want);
}

static int map_bar(const char *bdf, int bar, __u8 **map,
		   size_t *size)
{
	char dir[256];

	if (snprintf(dir, sizeof(dir), PCI_DEVICES "/%s", bdf) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	return map_sysfs_bar(dir, bar, map, size);
}

/*
 * The device behind /dev/vmmgmt: 1af4:1110 bound to the vmmgmt driver.
 * Maps BAR0 and BAR2 and finds the rings where the header says they are.
 */
static int hostile_dev_open(struct hostile_dev *d)
{
	__u32 ctrl, data, size;
	char drv[64];
	int err;

	memset(d, 0, sizeof(*d));
	err = link_name(VMMGMT_GUEST_SYSFS "/device", d->bdf, sizeof(d->bdf));
	if (err)
		return err;
	if (!d->bdf[0])
		return -ENODEV;
	err = pci_driver_of(d->bdf, drv, sizeof(drv));
	if (err)
		return err;
	if (!pci_id_is(d->bdf, "vendor", "0x1af4\n") ||
	    !pci_id_is(d->bdf, "device", "0x1110\n") ||
	    strcmp(drv, VMMGMT_DRIVER))
		return -ENODEV;
	err = map_bar(d->bdf, 2, &d->region, &d->region_size);
	if (!err)
		err = map_bar(d->bdf, 0, &d->regs, &d->regs_size);
	if (err)
		return err;
	if (d->regs_size < VMMGMT_IVSHMEM_REG_DOORBELL + 4)
		return -EINVAL;

	ctrl = HDR(d, rings[VMMGMT_RING_G2H].ctrl_offset);
	data = HDR(d, rings[VMMGMT_RING_G2H].data_offset);
	size = HDR(d, rings[VMMGMT_RING_G2H].data_size);
	if (ctrl + sizeof(struct vmmgmt_ring_ctrl) > d->region_size ||
	    (__u64)data + size > d->region_size || size < VMMGMT_RING_MIN_DATA ||
	    size & (size - 1))
		return -EPROTO;
	d->g2h = (void *)(d->region + ctrl);
	d->g2h_data = d->region + data;
	d->g2h_size = size;
	ctrl = HDR(d, rings[VMMGMT_RING_H2G].ctrl_offset);
	if (ctrl + sizeof(struct vmmgmt_ring_ctrl) > d->region_size)
		return -EPROTO;
	d->h2g = (void *)(d->region + ctrl);
	return 0;
}

static void hostile_dev_close(struct hostile_dev *d)
{
	if (d->region)
		munmap((void *)d->region, d->region_size);
	if (d->regs)
		munmap((void *)d->regs, d->regs_size);
	memset(d, 0, sizeof(*d));
}

/* Wait up to ms for sysfs link_state to read state. */
static bool wait_state(int state, int ms)
{
	long long end = vmmgmt_now_ms() + ms;

	do {
		if (sysfs_link_state() == state)
			return true;
		vmmgmt_sleep_ms(10);
	} while (vmmgmt_now_ms() < end);
	return false;
}

/* Wait until the host has consumed everything: tail == head. */
static bool wait_g2h_idle(const struct hostile_dev *d, int ms)
{
	long long end = vmmgmt_now_ms() + ms;

	do {
		if (__atomic_load_n(&d->g2h->tail, __ATOMIC_ACQUIRE) ==
		    __atomic_load_n(&d->g2h->head, __ATOMIC_ACQUIRE))
			return true;
		vmmgmt_sleep_ms(5);
	} while (vmmgmt_now_ms() < end);
	return false;
}

/* Open, bind to a dynamic port and connect to the echo service. */
static int open_echo(void)
{
	struct vmmgmt_bind b = { 0 };
	int fd, err;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_IOC_BIND, &b) ||
	    ioctl(fd, VMMGMT_IOC_CONNECT, &echo_addr)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * read() with a timeout: the length, or -errno (-ETIMEDOUT).  poll()'s
 * answer is only a hint: a reset between poll() and read() can take the
 * readiness back (poll() reported the link down, read() then finds it up
 * again with nothing queued), so the read does not block; it polls again
 * until the time is up.
 */
static ssize_t read_timeout(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long end = vmmgmt_now_ms() + ms;
	int flags = fcntl(fd, F_GETFL);
	int ret, err;
	ssize_t n;

	if (flags < 0)
		return -errno;
	for (;;) {
		ret = poll(&p, 1, (int)(end > vmmgmt_now_ms() ? end - vmmgmt_now_ms() : 0));
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		if (fcntl(fd, F_SETFL, flags | O_NONBLOCK))
			return -errno;
		n = read(fd, buf, len);
		err = errno;
		if (fcntl(fd, F_SETFL, flags))
			return -errno;
		if (n >= 0)
			return n;
		if (err != EAGAIN)
			return -err;
	}
}

static void pattern(__u8 *buf, size_t len, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (__u8)(seq * 131 + i * 7 + 1);
}

/*
 * Send n messages of sizes 1.. through the echo service, one at a time,
 * and check each answer's length and content.  0 or -errno (-EBADMSG for
 * a wrong answer).
 */
static int echo_check(struct __test_metadata *_metadata, unsigned int n,
		      size_t max)
{
	static __u8 out[VMMGMT_MSG_MAX], in[VMMGMT_MSG_MAX + 1];
	unsigned int i;
	size_t len;
	ssize_t got;
	int fd;

	fd = open_echo();
	if (fd < 0) {
		TH_LOG("open_echo: %s", strerror(-fd));
		return fd;
	}
	for (i = 0; i < n; i++) {
		len = 1 + (i * 997) % max;
		pattern(out, len, i);
		if (write(fd, out, len) != (ssize_t)len) {
			got = -errno;
			TH_LOG("echo %u: write %zu: %s", i, len, strerror(errno));
			close(fd);
			return got;
		}
		got = read_timeout(fd, in, sizeof(in), WAIT_MS);
		if (got != (ssize_t)len || memcmp(in, out, len)) {
			TH_LOG("echo %u: %zd bytes back, want %zu%s", i, got, len,
			       got == (ssize_t)len ? ", content differs" : "");
			close(fd);
			return got < 0 ? (int)got : -EBADMSG;
		}
	}
	close(fd);
	return 0;
}

/*
 * Put the G2H ring's next record at byte offset target of the data area:
 * send echo messages through the driver (the module then also writes
 * the PAD or the skip at the end of the area) and wait for each answer.
 */
static int advance_to(struct __test_metadata *_metadata,
		      const struct hostile_dev *d, __u32 target, size_t max)
{
	static __u8 buf[VMMGMT_MSG_MAX + 1];
	__u32 pos, gap, len;
	int i, fd, ret = 0;

	fd = open_echo();
	if (fd < 0)
		return fd;
	for (i = 0; i < 64; i++) {
		pos = __atomic_load_n(&d->g2h->head, __ATOMIC_ACQUIRE) &
		      (d->g2h_size - 1);
		if (pos == target)
			break;
		if (pos < target && target - pos >= REC_SIZE) {
			/* Exactly there, leaving no gap below a header. */
			gap = target - pos;
			len = gap - REC_SIZE;
			if (len > max)
				len = (gap - 2 * REC_SIZE < max ?
				       gap - 2 * REC_SIZE : max) & ~7U;
		} else {
			/* Past the end first. */
			len = max & ~7U;
		}
		memset(buf, 0x5a, len);
		if (write(fd, buf, len) != (ssize_t)len ||
		    read_timeout(fd, buf, sizeof(buf), WAIT_MS) != (ssize_t)len) {
			ret = -EIO;
			break;
		}
	}
	close(fd);
	if (!ret && (__atomic_load_n(&d->g2h->head, __ATOMIC_ACQUIRE) &
		     (d->g2h_size - 1)) != target)
		ret = -ERANGE;
	if (!ret && !wait_g2h_idle(d, WAIT_MS))
		ret = -ETIMEDOUT;
	if (ret)
		TH_LOG("advance to %u: %s", target, strerror(-ret));
	return ret;
}

/*
 * Where a record written now would start: the host's tail (published
 * in the control block), past an end of the data area too short for a
 * header.  Returns the free-running index.
 */
static __u32 next_slot(const struct hostile_dev *d)
{
	__u32 idx = __atomic_load_n(&d->g2h->tail, __ATOMIC_ACQUIRE);
	__u32 left = d->g2h_size - (idx & (d->g2h_size - 1));

	return left < REC_SIZE ? idx + left : idx;
}

static struct vmmgmt_rec *slot_rec(const struct hostile_dev *d, __u32 idx)
{
	return (void *)(d->g2h_data + (idx & (d->g2h_size - 1)));
}

/* Write a record header at idx and publish head = idx + bytes. */
static void post_raw(const struct hostile_dev *d, __u32 idx,
		     const struct vmmgmt_rec *rec, __u32 bytes)
{
	struct vmmgmt_rec *r = slot_rec(d, idx);

	memcpy((void *)r, rec, sizeof(*rec));
	__atomic_store_n(&d->g2h->head, idx + bytes, __ATOMIC_RELEASE);
}

/* xorshift32 */
static __u32 rnd(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

enum kind {
	GARBAGE,
	HEAD_AHEAD,
	HEAD_BEHIND,
	LEN_HUGE,
	LEN_2G,
	LEN_NEGATIVE,
	ACROSS_END,
	PAD_SHORT,
	BAD_MODE,
	BAD_FLAGS,
	RESERVED_ADDR,
	H2G_TAIL,
	FLIP,
	RESET_STORM,
};

FIXTURE(hostile) {
	struct hostile_dev d;
	unsigned long long max;
};

FIXTURE_VARIANT(hostile) {
	enum kind kind;
};

FIXTURE_VARIANT_ADD(hostile, garbage) { .kind = GARBAGE };
FIXTURE_VARIANT_ADD(hostile, head_ahead) { .kind = HEAD_AHEAD };
FIXTURE_VARIANT_ADD(hostile, head_behind) { .kind = HEAD_BEHIND };
FIXTURE_VARIANT_ADD(hostile, len_huge) { .kind = LEN_HUGE };
FIXTURE_VARIANT_ADD(hostile, len_2g) { .kind = LEN_2G };
FIXTURE_VARIANT_ADD(hostile, len_negative) { .kind = LEN_NEGATIVE };
FIXTURE_VARIANT_ADD(hostile, across_end) { .kind = ACROSS_END };
FIXTURE_VARIANT_ADD(hostile, pad_short) { .kind = PAD_SHORT };
FIXTURE_VARIANT_ADD(hostile, bad_mode) { .kind = BAD_MODE };
FIXTURE_VARIANT_ADD(hostile, bad_flags) { .kind = BAD_FLAGS };
FIXTURE_VARIANT_ADD(hostile, reserved_addr) { .kind = RESERVED_ADDR };
FIXTURE_VARIANT_ADD(hostile, h2g_tail) { .kind = H2G_TAIL };
FIXTURE_VARIANT_ADD(hostile, flip_while_sending) { .kind = FLIP };
FIXTURE_VARIANT_ADD(hostile, reset_storm) { .kind = RESET_STORM };

/* Map the device, check the link is up and read max_msg_size. */
static void dev_setup(struct __test_metadata *_metadata,
		      struct hostile_dev *d, unsigned long long *max)
{
	int state, err;

	ASSERT_EQ(0U, geteuid()) TH_LOG("needs root (BAR mappings, sysfs reset)");
	err = hostile_dev_open(d);
	ASSERT_EQ(0, err) TH_LOG("mapping the BARs: %s", strerror(-err));
	state = sysfs_link_state();
	ASSERT_EQ(VMMGMT_LINK_UP, state)
		TH_LOG("link_state %d before the test", state);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/max_msg_size", max));
	ASSERT_LE(4096ULL, *max);
	ASSERT_GE((unsigned long long)VMMGMT_MSG_MAX, *max);
}

FIXTURE_SETUP(hostile)
{
	memset(&self->d, 0, sizeof(self->d));
	if (access(VMMGMT_GUEST_DEV, F_OK) && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	dev_setup(_metadata, &self->d, &self->max);
}

FIXTURE_TEARDOWN(hostile)
{
	hostile_dev_close(&self->d);
}

struct sender {
	pthread_t tid;
	bool stop;		/* __atomic accesses */
	int in;			/* __atomic: 'w' in write(), 'r' in read, 0 */
	unsigned long sent, answered, differ;
	int err;		/* the errno that ended it, or 0 */
};

/* Echo traffic through the driver until stopped or the link fails. */
static void *sender_fn(void *arg)
{
	static __u8 out[4096], in[4096];
	struct sender *s = arg;
	ssize_t n;
	size_t len;
	int fd;

	fd = open_echo();
	if (fd < 0) {
		s->err = -fd;
		return NULL;
	}
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		len = 64 + (s->sent * 61) % (sizeof(out) - 64);
		pattern(out, len, s->sent);
		__atomic_store_n(&s->in, 'w', __ATOMIC_RELAXED);
		if (write(fd, out, len) != (ssize_t)len) {
			s->err = errno;
			break;
		}
		s->sent++;
		__atomic_store_n(&s->in, 'r', __ATOMIC_RELAXED);
		n = read_timeout(fd, in, sizeof(in), 200);
		__atomic_store_n(&s->in, 0, __ATOMIC_RELAXED);
		if (n == -ETIMEDOUT)
			continue;	/* lost to a reset; go on */
		if (n < 0) {
			s->err = -n;
			break;
		}
		s->answered++;
		if (n != (ssize_t)len || memcmp(in, out, len))
			s->differ++;
	}
	close(fd);
	return NULL;
}

/*
 * Join the sender, which ends within one write() or 200 ms read once
 * stopped.  If it does not within WAIT_MS, say where it hangs and what
 * the rings and the header show, and cancel it (write() and poll() are
 * cancellation points), so that the test fails at once with the
 * evidence instead of being killed by the harness's timeout.
 */
static bool join_sender(struct __test_metadata *_metadata,
			const struct hostile_dev *d, struct sender *s)
{
	struct timespec until;
	int err, in;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	err = pthread_timedjoin_np(s->tid, NULL, &until);
	if (!err)
		return true;
	in = __atomic_load_n(&s->in, __ATOMIC_RELAXED);
	TH_LOG("sender still in %s after %d ms (join: %s), %lu sent, %lu answered; link_state %d",
	       in == 'w' ? "write()" : in == 'r' ? "its read" : "neither",
	       WAIT_MS, strerror(err), s->sent, s->answered, sysfs_link_state());
	TH_LOG("header: link_state %u generation %u reset_request %u reset_ack %u",
	       HDR(d, link_state), HDR(d, generation), HDR(d, reset_request),
	       HDR(d, reset_ack));
	TH_LOG("G2H: head %u tail %u prod_waiting %u cons_running %u notify_at %u",
	       d->g2h->head, d->g2h->tail, d->g2h->prod_waiting,
	       d->g2h->cons_running, d->g2h->notify_at);
	TH_LOG("H2G: head %u tail %u prod_waiting %u cons_running %u notify_at %u",
	       d->h2g->head, d->h2g->tail, d->h2g->prod_waiting,
	       d->h2g->cons_running, d->h2g->notify_at);
	pthread_cancel(s->tid);
	pthread_join(s->tid, NULL);
	return false;
}

/* Flip bytes of the records just written, and now and then the head. */
static void flip_until_broken(struct __test_metadata *_metadata,
			      const struct hostile_dev *d, unsigned long *flips)
{
	long long end = vmmgmt_now_ms() + FLIP_MS;
	__u32 seed = 0x1234567, head, off;

	while (vmmgmt_now_ms() < end) {
		head = __atomic_load_n(&d->g2h->head, __ATOMIC_ACQUIRE);
		off = (head - 1 - rnd(&seed) % 256) & (d->g2h_size - 1);
		__atomic_fetch_xor(&d->g2h_data[off],
				   (__u8)(1 + rnd(&seed) % 255), __ATOMIC_RELAXED);
		if (!(rnd(&seed) % 64))
			__atomic_fetch_xor(&d->g2h->head,
					   1U << (rnd(&seed) % 32),
					   __ATOMIC_RELEASE);
		(*flips)++;
		if (!(*flips % 16)) {
			doorbell(d);
			if (HDR(d, link_state) == VMMGMT_LINK_BROKEN)
				return;
		}
	}
}

/* Raw reset requests and doorbells, bypassing the driver. */
static void reset_storm(const struct hostile_dev *d, unsigned long *requests)
{
	__u32 *req = (__u32 *)(d->region +
		offsetof(struct vmmgmt_region_header, reset_request));
	long long end = vmmgmt_now_ms() + SPAM_MS;

	while (vmmgmt_now_ms() < end) {
		__atomic_fetch_add(req, 1, __ATOMIC_RELEASE);
		doorbell(d);
		(*requests)++;
	}
}

TEST_F_TIMEOUT(hostile, break_reset_echo, 120)
{
	struct hostile_dev *d = &self->d;
	__u32 idx, gen0, gen1, seed = 0xc0ffee, i;
	struct vmmgmt_rec rec = {
		.mode = VMMGMT_MODE_CHAT,
		.dst = { .port = VMMGMT_PORT_ECHO },
	};
	unsigned long flips = 0, requests = 0;
	struct sender snd = { 0 };
	bool threads = false;
	int err;

	/* The channel works before anything is done to it. */
	ASSERT_EQ(0, echo_check(_metadata, 8, self->max));
	ASSERT_TRUE(wait_g2h_idle(d, WAIT_MS));
	gen0 = HDR(d, generation);

	switch (variant->kind) {
	case GARBAGE:
		for (i = 0; i < d->g2h_size; i++)
			d->g2h_data[i] = (__u8)rnd(&seed);
		for (i = 0; i < sizeof(struct vmmgmt_ring_ctrl); i++)
			((__u8 *)d->g2h)[i] = (__u8)rnd(&seed);
		break;
	case HEAD_AHEAD:
		__atomic_store_n(&d->g2h->head, g2h_tail(d) + d->g2h_size + 8,
				 __ATOMIC_RELEASE);
		break;
	case HEAD_BEHIND:
		__atomic_store_n(&d->g2h->head, g2h_tail(d) - 8,
				 __ATOMIC_RELEASE);
		break;
	case LEN_HUGE:
	case LEN_2G:
	case LEN_NEGATIVE:
		rec.len = variant->kind == LEN_HUGE ? (__u32)self->max + 8 :
			  variant->kind == LEN_2G ? 0x80000000U : 0xfffffff8U;
		idx = next_slot(d);
		post_raw(d, idx, &rec, REC_SIZE + 64);
		break;
	case ACROSS_END:
		/* 128 bytes before the end, a record of 512. */
		ASSERT_EQ(0, advance_to(_metadata, d, d->g2h_size - 128,
					self->max));
		idx = next_slot(d);
		ASSERT_EQ(d->g2h_size - 128, idx & (d->g2h_size - 1));
		rec.len = 512;
		post_raw(d, idx, &rec, REC_SIZE + 512);
		break;
	case PAD_SHORT:
		/* A PAD must run to the end of the data area; this one stops. */
		rec.mode = VMMGMT_MODE_PAD;
		rec.len = 64;
		idx = next_slot(d);
		post_raw(d, idx, &rec, REC_SIZE + 64);
		break;
	case BAD_MODE:
		rec.mode = VMMGMT_MODE_MAX + 0x70;
		idx = next_slot(d);
		post_raw(d, idx, &rec, REC_SIZE);
		break;
	case BAD_FLAGS:
		rec.flags = 0x8000;
		idx = next_slot(d);
		post_raw(d, idx, &rec, REC_SIZE);
		break;
	case RESERVED_ADDR:
		rec.dst.reserved = 1;
		idx = next_slot(d);
		post_raw(d, idx, &rec, REC_SIZE);
		break;
	case H2G_TAIL:
		/* Our consumer index, impossible; the host's next post sees it. */
		__atomic_store_n(&d->h2g->tail,
				 __atomic_load_n(&d->h2g->head, __ATOMIC_ACQUIRE) +
				 3 * VMMGMT_RING_MIN_DATA + 8,
				 __ATOMIC_RELEASE);
		err = open_echo();
		ASSERT_LE(0, err);
		EXPECT_EQ(4, write(err, "tail", 4));
		close(err);
		break;
	case FLIP:
	case RESET_STORM:
		ASSERT_EQ(0, pthread_create(&snd.tid, NULL, sender_fn, &snd));
		threads = true;
		vmmgmt_sleep_ms(200);
		if (variant->kind == FLIP)
			flip_until_broken(_metadata, d, &flips);
		else
			reset_storm(d, &requests);
		break;
	}
	doorbell(d);

	if (variant->kind == RESET_STORM) {
		/* Whatever state the storm left: the guest module follows. */
		TH_LOG("%lu raw reset requests; link_state %d, host generation %u -> %u",
		       requests, sysfs_link_state(), gen0, HDR(d, generation));
		EXPECT_LT(0U, HDR(d, generation) - gen0);
	} else {
		if (variant->kind == FLIP &&
		    HDR(d, link_state) != VMMGMT_LINK_BROKEN) {
			/* Flips that missed every header: break it for sure. */
			TH_LOG("%lu flips did not break the ring in %d ms; head forced ahead",
			       flips, FLIP_MS);
			__atomic_store_n(&d->g2h->head,
					 g2h_tail(d) + d->g2h_size + 8,
					 __ATOMIC_RELEASE);
			doorbell(d);
		}
		EXPECT_TRUE(wait_state(VMMGMT_LINK_BROKEN, WAIT_MS))
			TH_LOG("link_state %d, header %u: the host did not break the channel",
			       sysfs_link_state(), HDR(d, link_state));
		/* Broken stays broken: more doorbells change nothing. */
		doorbell(d);
		vmmgmt_sleep_ms(50);
		EXPECT_EQ(VMMGMT_LINK_BROKEN, sysfs_link_state());
		EXPECT_EQ(gen0, HDR(d, generation));
	}
	if (threads) {
		__atomic_store_n(&snd.stop, true, __ATOMIC_RELAXED);
		ASSERT_TRUE(join_sender(_metadata, d, &snd));
		TH_LOG("sender: %lu sent, %lu answered (%lu differed), ended by %s; %lu flips",
		       snd.sent, snd.answered, snd.differ,
		       snd.err ? strerror(snd.err) : "stop", flips);
		EXPECT_LT(0UL, snd.sent);
	}

	/* The guest asks for a reset: a new generation, and it works. */
	gen1 = HDR(d, generation);
	err = vmmgmt_write_text(VMMGMT_GUEST_SYSFS "/reset", "1");
	ASSERT_EQ(0, err) TH_LOG("sysfs reset: %s", strerror(-err));
	EXPECT_EQ(VMMGMT_LINK_UP, sysfs_link_state());
	EXPECT_EQ(HDR(d, reset_request), HDR(d, reset_ack));
	EXPECT_NE(gen1, HDR(d, generation));
	EXPECT_EQ(0U, g2h_tail(d));
	ASSERT_EQ(0, echo_check(_metadata, 100, self->max));
}

FIXTURE(up) {
	struct hostile_dev d;
	unsigned long long max;
};

FIXTURE_SETUP(up)
{
	memset(&self->d, 0, sizeof(self->d));
	if (access(VMMGMT_GUEST_DEV, F_OK) && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	dev_setup(_metadata, &self->d, &self->max);
}

FIXTURE_TEARDOWN(up)
{
	hostile_dev_close(&self->d);
}

/*
 * A reset of a working channel: a new generation, the request
 * acknowledged, and the channel works; only true asks for one.
 */
TEST_F(up, reset_while_up)
{
	struct hostile_dev *d = &self->d;
	__u32 gen;

	gen = HDR(d, generation);
	ASSERT_EQ(0, vmmgmt_write_text(VMMGMT_GUEST_SYSFS "/reset", "1"));
	EXPECT_EQ(VMMGMT_LINK_UP, sysfs_link_state());
	EXPECT_NE(gen, HDR(d, generation));
	EXPECT_EQ(HDR(d, reset_request), HDR(d, reset_ack));
	gen = HDR(d, generation);
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(VMMGMT_GUEST_SYSFS "/reset", "0"));
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(VMMGMT_GUEST_SYSFS "/reset", "maybe"));
	EXPECT_EQ(gen, HDR(d, generation));
	ASSERT_EQ(0, echo_check(_metadata, 20, self->max));
}

/*
 * The channel is up and echoes: run alone (-t channel_works) after the
 * guest module was loaded again, whose probe asked for a reset.
 */
TEST(channel_works)
{
	unsigned long long max;
	struct stat st;
	int state;

	if (access(VMMGMT_GUEST_DEV, F_OK) && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	state = sysfs_link_state();
	ASSERT_EQ(VMMGMT_LINK_UP, state) TH_LOG("link_state %d", state);
	ASSERT_EQ(0, stat(VMMGMT_GUEST_SYSFS "/reset", &st));
	EXPECT_EQ(0200U, st.st_mode & 07777);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/max_msg_size", &max));
	ASSERT_LE(4096ULL, max);
	ASSERT_EQ(0, echo_check(_metadata, 200, max));
}

TEST_HARNESS_MAIN
