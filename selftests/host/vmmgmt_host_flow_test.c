// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): flow control per
 * destination (Documentation/vmmgmt.rst, "Flow control").  A record whose
 * destination is full is held, not left in the ring: the sender's other
 * destinations keep flowing; XOFF and XON notices for a guest that
 * accepted VMMGMT_F_FLOW (none for one that did not); ENOBUFS past the
 * held limits; a closed endpoint refuses what was held; PEER_GONE when a
 * VM goes away or resets; the host writer's send timeout and its errors
 * on a broken channel; resets charged to the quota.
 */
#include "vmmgmt_host_vm.h"

#define P_PORT		EP_PORT		/* an endpoint that does not read */
#define Q_PORT		(EP_PORT + 1)	/* one that does */
#define EP_QUEUE	256		/* VMMGMT_HOST_QUEUE_MSGS */
#define VMMGMT_HOST_BATCH_TEST	64	/* VMMGMT_HOST_BATCH */

/* write() one record from a host endpoint; 0 or -errno. */
static int hep_send(int fd, __u32 vm, __u32 port, __u64 id, const void *data,
		    __u32 len, __u16 flags)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct vmmgmt_rec r = {
		.len = len, .mode = VMMGMT_MODE_CHAT, .flags = flags, .id = id,
		.dst = { .vm = vm, .port = port },
	};
	ssize_t n;

	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), data, len);
	n = write(fd, buf, sizeof(r) + len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)(sizeof(r) + len) ? 0 : -EIO;
}

/* read() one record into @h and @data, waiting up to @ms; 0 or -errno. */
static int hep_recv(int fd, struct vmmgmt_rec *h, void *data, int ms)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&p, 1, ms);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(*h) || (size_t)n != sizeof(*h) + ((struct vmmgmt_rec *)buf)->len)
		return -EIO;
	memcpy(h, buf, sizeof(*h));
	memcpy(data, buf + sizeof(*h), h->len);
	return 0;
}

static int set_timeout(int fd, __u32 ms, __u32 flags, __u64 reserved)
{
	struct vmmgmt_host_timeout t = {
		.send_ms = ms, .flags = flags, .reserved = reserved,
	};

	return ioctl(fd, VMMGMT_HOST_IOC_SET_TIMEOUT, &t) ? -errno : 0;
}

/* Post @n records of @len bytes to (@vm, @port), ids from @id; pacing
 * through a full G2H ring.  0 or -errno.
 */
static int send_n(struct fake_vm *f, __u32 vm, __u32 port, __u64 id,
		  unsigned int n, __u32 len)
{
	static __u8 out[VMMGMT_MSG_MAX];
	unsigned int i, tries = 0;
	int ret;

	for (i = 0; i < n; ) {
		fill(out, id + i, len);
		ret = fake_send_to(f, id + i, vm, port, out, len, 0);
		if (ret == -ENOSPC && tries++ < 500) {
			vmmgmt_sleep_ms(10);
			continue;
		}
		if (ret)
			return ret;
		i++;
	}
	return 0;
}

/* Wait until vms/@name/@attr reads @want; false after @ms. */
static bool wait_attr(const char *name, const char *attr, long long want,
		      int ms)
{
	for (; ms > 0; ms -= 10) {
		if (vm_attr_num(name, attr) == want)
			return true;
		vmmgmt_sleep_ms(10);
	}
	return vm_attr_num(name, attr) == want;
}

/*
 * What came out of a fake VM's H2G ring: notices counted and the last
 * address of each, error answers with their ids and errnos, in order.
 */
struct seen {
	unsigned int xoff, xon, gone, answers, errors, other;
	struct vmmgmt_addr xoff_addr, xon_addr, gone_addr;
	unsigned int xon_after;		/* answers seen before the XON */
	__u64 err_id[512];
	__u32 err_val[512];
};

/* Take everything @f's H2G ring gives within @ms of quiet into @s. */
static void collect(struct fake_vm *f, struct seen *s, int ms)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_addr addr;
	struct vmmgmt_rec h;
	__u32 op, val, msgs;

	while (!fake_recv(f, &h, buf, sizeof(buf), ms)) {
		op = fake_notice(&h, buf, &addr, &msgs);
		if (op == VMMGMT_CTRL_CREDIT) {
			s->xoff++;
			s->xoff_addr = addr;
		} else if (op == VMMGMT_CTRL_PEER_GONE) {
			s->gone++;
			s->gone_addr = addr;
		} else if (h.flags == (VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR) &&
			   h.len == sizeof(val)) {
			memcpy(&val, buf, sizeof(val));
			if (s->errors < 512) {
				s->err_id[s->errors] = h.id;
				s->err_val[s->errors] = val;
			}
			s->errors++;
			s->answers++;
		} else if (h.flags & VMMGMT_REC_F_RESPONSE) {
			s->answers++;
		} else {
			s->other++;
		}
	}
}

static bool addr_is(const struct vmmgmt_addr *a, __u32 vm, __u32 port)
{
	return !a->host && a->vm == vm && a->port == port && !a->reserved;
}

FIXTURE(flow) {
	int dev, p, q;
	struct fake_vm a, b;
};

FIXTURE_SETUP(flow)
{
	__u32 port;

	self->p = -1;
	self->q = -1;
	if (!fake_vms_setup(_metadata, &self->dev, &self->a, &self->b))
		return;
	self->p = open_dev();
	self->q = open_dev();
	ASSERT_LE(0, self->p);
	ASSERT_LE(0, self->q);
	port = P_PORT;
	ASSERT_EQ(0, ep_bind(self->p, &port));
	port = Q_PORT;
	ASSERT_EQ(0, ep_bind(self->q, &port));
}

FIXTURE_TEARDOWN(flow)
{
	if (self->q >= 0)
		close(self->q);
	if (self->p >= 0)
		close(self->p);
	vmmgmt_write_text(VMMGMT_HOST_SYSFS "/policy", "deny t-alpha t-beta");
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

/* The host offers flow control; the counters start at zero. */
TEST_F(flow, features_offered)
{
	EXPECT_EQ(VMMGMT_F_FLOW, self->a.hdr->features_offered & VMMGMT_F_FLOW);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held_overflows"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credit_notices"));
}

/*
 * No head-of-line blocking: A's records to the full endpoint P are held
 * (in order, with later ones behind them), while its records to Q and to
 * the echo service still flow; XOFF for P comes first, XON once P read
 * everything.
 */
TEST_F(flow, held_no_hol_xoff_xon)
{
	static __u8 in[VMMGMT_MSG_MAX], out[64];
	struct seen s = { 0 };
	struct vmmgmt_rec h;
	unsigned int i;

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, EP_QUEUE + 10, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", 10, WAIT_MS));
	/* Q and the echo service are not held up. */
	ASSERT_EQ(0, send_n(&self->a, 0, Q_PORT, 5000, 5, 64));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, hep_recv(self->q, &h, in, WAIT_MS));
		EXPECT_EQ(5000ULL + i, h.id);
	}
	ASSERT_EQ(0, fake_send(&self->a, 7000, VMMGMT_PORT_ECHO, "e", 1, 0));
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.xoff);
	EXPECT_TRUE(addr_is(&s.xoff_addr, 0, P_PORT));
	EXPECT_EQ(0U, s.xon);
	EXPECT_EQ(1U, s.answers);	/* the echo */
	EXPECT_EQ(0U, s.errors);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "credit_notices"));
	/* Later records for P go behind the held ones. */
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, EP_QUEUE + 10, 3, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", 13, WAIT_MS));
	for (i = 0; i < EP_QUEUE + 13; i++) {
		ASSERT_EQ(0, hep_recv(self->p, &h, in, WAIT_MS)) {
			TH_LOG("record %u", i);
		}
		ASSERT_EQ((__u64)i, h.id);
		fill(out, i, sizeof(out));
		ASSERT_EQ(0, memcmp(in, out, sizeof(out)));
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.xon);
	EXPECT_TRUE(addr_is(&s.xon_addr, 0, P_PORT));
	EXPECT_EQ(1U, s.xoff);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held_overflows"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
}

/* A guest that did not accept VMMGMT_F_FLOW: held too, but no notice. */
TEST_F(flow, old_guest_no_notices)
{
	static __u8 in[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;
	unsigned int i;

	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, EP_QUEUE + 10, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", 10, WAIT_MS));
	/* echo_run() fails on anything but its answers: no XOFF. */
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
	for (i = 0; i < EP_QUEUE + 10; i++) {
		ASSERT_EQ(0, hep_recv(self->p, &h, in, WAIT_MS));
		ASSERT_EQ((__u64)i, h.id);
	}
	EXPECT_EQ(-ETIMEDOUT, fake_recv(&self->a, &h, in, sizeof(in), 300));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credit_notices"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
}

/* Past VMMGMT_HELD_MSGS held records, requests are answered ENOBUFS. */
TEST_F(flow, overflow_enobufs)
{
	static __u8 in[VMMGMT_MSG_MAX];
	unsigned int i, over = 5;
	struct seen s = { 0 };
	struct vmmgmt_rec h;

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0,
			    EP_QUEUE + VMMGMT_HELD_MSGS + over, 16));
	ASSERT_TRUE(wait_attr("t-alpha", "held_overflows", over, WAIT_MS));
	EXPECT_EQ(VMMGMT_HELD_MSGS, vm_attr_num("t-alpha", "held"));
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.xoff);
	ASSERT_EQ(over, s.errors);
	for (i = 0; i < over; i++) {
		EXPECT_EQ((__u64)(EP_QUEUE + VMMGMT_HELD_MSGS + i), s.err_id[i]);
		EXPECT_EQ((__u32)ENOBUFS, s.err_val[i]);
	}
	/* The held ones arrive, in order; nothing else. */
	for (i = 0; i < EP_QUEUE + VMMGMT_HELD_MSGS; i++) {
		ASSERT_EQ(0, hep_recv(self->p, &h, in, WAIT_MS));
		ASSERT_EQ((__u64)i, h.id);
	}
	EXPECT_EQ(-ETIMEDOUT, hep_recv(self->p, &h, in, 200));
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.xon);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
}

/* Closing P: what A held for it is refused (ECONNREFUSED), then XON. */
TEST_F(flow, close_refuses_held)
{
	struct seen s = { 0 };
	unsigned int i;

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, EP_QUEUE + 10, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", 10, WAIT_MS));
	collect(&self->a, &s, 200);
	ASSERT_EQ(1U, s.xoff);
	close(self->p);
	self->p = -1;
	collect(&self->a, &s, 500);
	ASSERT_EQ(10U, s.errors);
	for (i = 0; i < 10; i++) {
		EXPECT_EQ((__u64)(EP_QUEUE + i), s.err_id[i]);
		EXPECT_EQ((__u32)ECONNREFUSED, s.err_val[i]);
	}
	EXPECT_EQ(1U, s.xon);
	EXPECT_TRUE(addr_is(&s.xon_addr, 0, P_PORT));
	EXPECT_EQ(10U, s.xon_after);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
}

/*
 * VM to VM: B never reads.  A's records to B are held once B's ring and
 * send queue are full, XOFF names (0, B, 0), A's echo still works; B
 * drains, everything arrives in order, XON.  Then B goes away while A
 * holds records for it: EHOSTDOWN answers and XON.
 */
TEST_F(flow, vm_to_vm_held)
{
	static __u8 in[VMMGMT_MSG_MAX];
	unsigned int i, n = 0;
	struct seen s = { 0 };
	struct vmmgmt_rec h;

	ASSERT_EQ(0, vmmgmt_write_text(VMMGMT_HOST_SYSFS "/policy",
				       "allow t-alpha t-beta"));
	fake_flow_accept(&self->a);
	/* B's ring (about 240 records of 1 KiB) and queue (256), then held. */
	while (vm_attr_num("t-alpha", "held") < 5 && n < 1000) {
		ASSERT_EQ(0, send_n(&self->a, ID_B, GUEST_PORT, n, 20, 1024));
		n += 20;
		vmmgmt_sleep_ms(20);
	}
	ASSERT_LT(0, vm_attr_num("t-alpha", "held"));
	collect(&self->a, &s, 200);
	EXPECT_EQ(1U, s.xoff);
	EXPECT_TRUE(addr_is(&s.xoff_addr, ID_B, 0));
	EXPECT_EQ(0U, s.errors);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 100000));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("record %u of %u", i, n);
		}
		ASSERT_EQ((__u64)i, h.id);
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.xon);
	EXPECT_TRUE(addr_is(&s.xon_addr, ID_B, 0));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));

	/* Again, and B is removed while A holds records for it. */
	memset(&s, 0, sizeof(s));
	n = 0;
	while (vm_attr_num("t-alpha", "held") < 5 && n < 1000) {
		ASSERT_EQ(0, send_n(&self->a, ID_B, GUEST_PORT, n, 20, 1024));
		n += 20;
		vmmgmt_sleep_ms(20);
	}
	ASSERT_LT(0, vm_attr_num("t-alpha", "held"));
	ASSERT_EQ(0, del_vm(self->dev, ID_B));
	collect(&self->a, &s, 500);
	EXPECT_EQ(1U, s.xoff);
	EXPECT_EQ(1U, s.xon);
	EXPECT_LT(0U, s.errors);
	EXPECT_EQ((__u32)EHOSTDOWN, s.err_val[0]);
	EXPECT_EQ(s.errors, s.xon_after);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
}

/* Removal of A: PEER_GONE (0, A, 0) to B; a reset of A: nothing. */
TEST_F(flow, peer_gone)
{
	static __u8 in[VMMGMT_MSG_MAX];
	struct seen s = { 0 };
	struct vmmgmt_rec h;

	/* A reset tells nobody: a reset storm costs other VMs nothing. */
	fake_flow_accept(&self->b);
	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	EXPECT_EQ(-ETIMEDOUT, fake_recv(&self->b, &h, in, sizeof(in), 300));
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	collect(&self->b, &s, 300);
	EXPECT_EQ(1U, s.gone);
	EXPECT_TRUE(addr_is(&s.gone_addr, ID_A, 0));
	EXPECT_EQ(0, echo_run(_metadata, &self->b, 20, 1));
}

struct writer {
	pthread_t tid;
	int fd;
	int ret;
	int sent;	/* __atomic: records written */
	double ms;	/* how long the failing write() took */
};

/* Write 1 KiB records to A until one fails; time that one. */
static void *writer_fn(void *arg)
{
	static __u8 out[1024];
	struct writer *w = arg;
	double t;
	int i;

	for (i = 0; i < 100000; i++) {
		t = vmmgmt_now_ms();
		w->ret = hep_send(w->fd, ID_A, GUEST_PORT, i, out, sizeof(out), 0);
		w->ms = vmmgmt_now_ms() - t;
		if (w->ret)
			break;
		__atomic_store_n(&w->sent, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * A host writer to a VM that never drains gives up after its send
 * timeout (ETIMEDOUT); SET_TIMEOUT checks its argument; streams flags
 * are refused.
 */
TEST_F(flow, writer_timeout)
{
	struct writer w = { .fd = self->q };
	struct vmmgmt_rec r = {
		.len = 1, .mode = VMMGMT_MODE_CHAT, .flags = VMMGMT_REC_F_STREAM,
		.dst = { .vm = ID_A, .port = GUEST_PORT },
	};
	__u8 buf[sizeof(r) + 1] = { 0 };

	EXPECT_EQ(-EINVAL, set_timeout(self->q, 500, 1, 0));
	EXPECT_EQ(-EINVAL, set_timeout(self->q, 500, 0, 1));
	EXPECT_EQ(-EINVAL, set_timeout(self->q, 600001, 0, 0));
	EXPECT_EQ(0, set_timeout(self->q, 0, 0, 0));
	ASSERT_EQ(0, set_timeout(self->q, 500, 0, 0));
	memcpy(buf, &r, sizeof(r));
	EXPECT_EQ(-1, write(self->q, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);

	writer_fn(&w);
	EXPECT_EQ(-ETIMEDOUT, w.ret);
	EXPECT_LE(450, w.ms);
	EXPECT_GE(1500, w.ms);
	TH_LOG("ETIMEDOUT after %.0f ms", w.ms);
	/* The default again: 5 s. */
	ASSERT_EQ(0, set_timeout(self->q, 0, 0, 0));
	writer_fn(&w);
	EXPECT_EQ(-ETIMEDOUT, w.ret);
	EXPECT_LE(4900, w.ms);
	EXPECT_GE(6000, w.ms);
}

/*
 * A guest that never drained its host-to-guest ring breaks it: a consumer
 * index ahead of the producer's.  The host's worker, waiting for room
 * there, sees it at the doorbell (it does not look at the guest-to-host
 * ring while its answers have nowhere to go).
 */
static void break_h2g(struct fake_vm *f)
{
	__u32 head = __atomic_load_n(&f->h2g.ctrl->head, __ATOMIC_ACQUIRE);

	__atomic_store_n(&f->h2g.ctrl->tail, head + 8, __ATOMIC_RELEASE);
	kick(f->kick[0]);
}

/*
 * A writer blocked on a VM that does not drain returns EPIPE as soon as
 * the channel breaks, long before its timeout; a write to a broken
 * channel fails at once.
 */
TEST_F(flow, writer_woken_by_break)
{
	struct writer w = { .fd = self->q };
	double t;
	int last = -1, now, stable = 0, waited;

	ASSERT_EQ(0, set_timeout(self->q, 20000, 0, 0));
	ASSERT_EQ(0, pthread_create(&w.tid, NULL, writer_fn, &w));
	/* The guest never reads: wait until the writer is stuck. */
	for (waited = 0; waited < 15000 && stable < 3; waited += 200) {
		vmmgmt_sleep_ms(200);
		now = __atomic_load_n(&w.sent, __ATOMIC_ACQUIRE);
		stable = now == last ? stable + 1 : 0;
		last = now;
	}
	ASSERT_EQ(3, stable);
	t = vmmgmt_now_ms();
	break_h2g(&self->a);
	ASSERT_TRUE(wait_link(&self->a, VMMGMT_LINK_BROKEN, WAIT_MS));
	ASSERT_EQ(0, pthread_join(w.tid, NULL));
	EXPECT_EQ(-EPIPE, w.ret);
	EXPECT_GE(3000, vmmgmt_now_ms() - t);
	EXPECT_LE(500, w.ms);
	t = vmmgmt_now_ms();
	EXPECT_EQ(-EPIPE, hep_send(self->q, ID_A, GUEST_PORT, 1, "x", 1, 0));
	EXPECT_GE(200, vmmgmt_now_ms() - t);
	/* B is untouched. */
	EXPECT_EQ(0, echo_run(_metadata, &self->b, 20, 1));
}

/*
 * A reset costs one record of the VM's quota.  At 1 record/s, with echo
 * requests waiting in the ring (they take every whole token as it comes),
 * a first reset waits for a token and takes it; a second one must wait
 * for the next: at least most of a second, where a reset with tokens
 * takes milliseconds.
 */
TEST_F(flow, reset_charged_to_quota)
{
	char path[256], old[32];
	double t, quick, slow;
	unsigned int i;

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/t-alpha/quota/msgs_per_s");
	ASSERT_EQ(0, vmmgmt_read_text(path, old, sizeof(old)));
	t = vmmgmt_now_ms();
	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	quick = vmmgmt_now_ms() - t;
	ASSERT_EQ(0, vmmgmt_write_text(path, "1"));
	/* A bucket holds a batch (64): these empty it and wait for more. */
	for (i = 0; i < 2 * VMMGMT_HOST_BATCH_TEST; i++)
		ASSERT_EQ(0, fake_send(&self->a, i, VMMGMT_PORT_ECHO, "q", 1, 0));
	vmmgmt_sleep_ms(300);
	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	t = vmmgmt_now_ms();
	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	slow = vmmgmt_now_ms() - t;
	ASSERT_EQ(0, vmmgmt_write_text(path, old));
	TH_LOG("reset %.1f ms with tokens, %.1f ms without", quick, slow);
	EXPECT_LT(quick, slow);
	EXPECT_LE(800, slow);
	EXPECT_EQ(3, vm_attr_num("t-alpha", "resets"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 1000));
}

TEST_HARNESS_MAIN
