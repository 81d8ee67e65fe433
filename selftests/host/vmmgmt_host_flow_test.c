// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): flow control by
 * credits per destination (Documentation/vmmgmt.rst, "Flow control").
 * A record whose destination is full is held, not left in the ring: the
 * sender's other destinations keep flowing.  A guest that accepted
 * VMMGMT_F_FLOW gets its credits back in CREDIT notices, one per
 * destination once 16 records (or 256 KiB) are owed: the notices for a
 * destination add up to exactly the records and payload bytes sent there
 * once they all left the host's hands (delivered, echoed or answered with
 * an error), never for a record still held, and never for control
 * requests or statistics samples.  The fake guest does not keep to its
 * credits itself, which the host survives.  A guest that did not accept
 * VMMGMT_F_FLOW gets no notice, and past the held limits its record stays
 * in the ring; a flow guest gets ENOBUFS there.  A closed endpoint
 * refuses what was held, a VM that went away too (EHOSTDOWN); PEER_GONE
 * when a VM goes away; the host writer's send timeout and its errors on a
 * broken channel; resets charged to the quota.
 */
#include "vmmgmt_host_vm.h"

#define P_PORT		EP_PORT		/* an endpoint that does not read */
#define Q_PORT		(EP_PORT + 1)	/* one that does */
#define EP_QUEUE	256		/* VMMGMT_HOST_QUEUE_MSGS */
#define VMMGMT_HOST_BATCH_TEST	64	/* VMMGMT_HOST_BATCH */

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

/* A notice is due once this many records are owed for a destination. */
#define HALF_WINDOW	(VMMGMT_FLOW_WINDOW_MSGS / 2)
#define SEEN_DESTS	8
#define SEEN_ERRORS	512
#define TOP_UP_LEN	64

/* What the CREDIT notices for one destination returned. */
struct credit_sum {
	struct vmmgmt_addr dst;
	__u64 msgs, bytes;
	unsigned int notices;
};

/*
 * What came out of a fake VM's H2G ring: credits summed per destination,
 * PEER_GONE notices with the last address, answers, and the error
 * answers with their ids and errnos, in order.
 */
struct seen {
	unsigned int credits, gone, answers, errors, other;
	unsigned int bad;		/* malformed notices */
	unsigned int answers_at_credit;	/* answers seen before the last one */
	struct credit_sum cr[SEEN_DESTS];
	unsigned int ndests;
	struct vmmgmt_addr gone_addr;
	__u64 err_id[SEEN_ERRORS];
	__u32 err_val[SEEN_ERRORS];
};

/*
 * The credit sums of destination (0, @vm, 0) (@vm not 0) or (0, 0,
 * @port): the key of lib/vmmgmt_flow.h.  A new, empty one if none came.
 */
static struct credit_sum *credit(struct seen *s, __u32 vm, __u32 port)
{
	struct vmmgmt_addr key = { .vm = vm, .port = vm ? 0 : port };
	unsigned int i;

	for (i = 0; i < s->ndests; i++)
		if (!memcmp(&s->cr[i].dst, &key, sizeof(key)))
			return &s->cr[i];
	if (s->ndests == SEEN_DESTS) {
		s->bad++;
		return &s->cr[SEEN_DESTS - 1];
	}
	s->cr[s->ndests].dst = key;
	return &s->cr[s->ndests++];
}

/* Count one record from @f's H2G ring in @s. */
static void take(struct fake_vm *f, struct seen *s, const struct vmmgmt_rec *h,
		 const void *buf)
{
	struct vmmgmt_credit cr;
	struct vmmgmt_addr addr;
	struct credit_sum *c;
	__u32 op, val, msgs;

	op = fake_notice(h, buf, &addr, &msgs);
	if (op == VMMGMT_CTRL_CREDIT) {
		memcpy(&cr, buf, sizeof(cr));
		/*
		 * From (0, 0, 0) to (0, vm, 0), id 0, at least one record.
		 * No upper bound: this guest does not keep to its window,
		 * and a pass over the held queue may return more than one.
		 */
		if (h->id || h->flags || h->src.host || h->src.vm ||
		    h->src.port || h->dst.host || h->dst.vm != f->id ||
		    h->dst.port || addr.host || addr.reserved ||
		    (addr.vm && addr.port) || !msgs ||
		    cr.bytes > msgs * (__u64)VMMGMT_MSG_MAX)
			s->bad++;
		c = credit(s, addr.vm, addr.port);
		c->msgs += msgs;
		c->bytes += cr.bytes;
		c->notices++;
		s->credits++;
		s->answers_at_credit = s->answers;
	} else if (op == VMMGMT_CTRL_PEER_GONE) {
		s->gone++;
		s->gone_addr = addr;
		/* Both sides forget the credits of a gone peer here. */
		c = credit(s, addr.vm, addr.port);
		c->msgs = 0;
		c->bytes = 0;
	} else if (op) {
		s->bad++;
	} else if (h->flags == (VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR) &&
		   h->len == sizeof(val)) {
		memcpy(&val, buf, sizeof(val));
		if (s->errors < SEEN_ERRORS) {
			s->err_id[s->errors] = h->id;
			s->err_val[s->errors] = val;
		}
		s->errors++;
		s->answers++;
	} else if (h->flags & VMMGMT_REC_F_RESPONSE) {
		s->answers++;
	} else {
		s->other++;
	}
}

/* Take everything @f's H2G ring gives within @ms of quiet into @s. */
static void collect(struct fake_vm *f, struct seen *s, int ms)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;

	while (!fake_recv(f, &h, buf, sizeof(buf), ms))
		take(f, s, &h, buf);
}

/*
 * @n echo requests of 32 bytes, ids from @id, sent at once; wait for
 * their @n answers, taking what else comes into @s.  0 or -errno.
 */
static int echo_flow(struct fake_vm *f, struct seen *s, unsigned int n,
		     __u64 id)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	unsigned int want = s->answers + n;
	struct vmmgmt_rec h;
	int ret;

	ret = send_n(f, 0, VMMGMT_PORT_ECHO, id, n, 32);
	while (!ret && s->answers < want) {
		ret = fake_recv(f, &h, buf, sizeof(buf), WAIT_MS);
		if (!ret)
			take(f, s, &h, buf);
	}
	return ret;
}

static bool addr_is(const struct vmmgmt_addr *a, __u32 vm, __u32 port)
{
	return !a->host && a->vm == vm && a->port == port && !a->reserved;
}

/*
 * Exact accounting for one destination, (0, @vm, 0) or (0, 0, @port):
 * @msgs records of @bytes payload bytes in all were sent there and have
 * left the host's hands; the notices collected in @s so far returned all
 * but fewer than 16 of them (less than half a window is still owed).
 * Then TOP_UP_LEN byte records to (@vm, @port), ids from @id, bring what
 * is owed to exactly 16: one more notice, after which the sums are
 * exactly what was sent.  A host that returned a credit twice, or lost
 * one, fails here.  Sets *@top_up to the records added.
 */
static void settle(struct __test_metadata *_metadata, struct fake_vm *f,
		   struct seen *s, __u32 vm, __u32 port, __u64 msgs,
		   __u64 bytes, __u64 id, unsigned int *top_up)
{
	struct credit_sum *c = credit(s, vm, port);
	unsigned int notices = c->notices;
	__u64 owed;

	*top_up = 0;
	TH_LOG("(0, %u, %u): %llu of %llu records, %llu of %llu bytes returned",
	       vm, vm ? 0 : port, (unsigned long long)c->msgs,
	       (unsigned long long)msgs, (unsigned long long)c->bytes,
	       (unsigned long long)bytes);
	ASSERT_LE(c->msgs, msgs);
	ASSERT_LE(c->bytes, bytes);
	owed = msgs - c->msgs;
	ASSERT_GT((__u64)HALF_WINDOW, owed);
	ASSERT_GT((__u64)VMMGMT_FLOW_WINDOW_BYTES / 2, bytes - c->bytes);
	*top_up = HALF_WINDOW - owed;
	ASSERT_EQ(0, send_n(f, vm, port, id, *top_up, TOP_UP_LEN));
	collect(f, s, 300);
	EXPECT_EQ(notices + 1, c->notices);
	EXPECT_EQ(msgs + *top_up, c->msgs);
	EXPECT_EQ(bytes + *top_up * TOP_UP_LEN, c->bytes);
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
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credits_lost"));
}

/* Post a LOOKUP of a name nobody published (answered ENOENT). */
static int lookup_none(struct fake_vm *f, __u64 id)
{
	struct vmmgmt_ctrl c = { .op = VMMGMT_CTRL_LOOKUP };
	struct vmmgmt_rec r = {
		.len = sizeof(c), .mode = VMMGMT_MODE_CTRL, .id = id,
		.src = { .port = GUEST_PORT },
	};

	snprintf((char *)c.name.name, sizeof(c.name.name), "t-flow-none");
	return fake_post(f, &r, &c);
}

/* Post a statistics sample (consumed by the host, never answered). */
static int sample(struct fake_vm *f, __u64 seq)
{
	struct vmmgmt_stats_sample smp = {
		.version = VMMGMT_STATS_VERSION, .seq = seq, .nr_cpus = 1,
		.period = 1000000000ULL,
	};
	struct vmmgmt_rec r = {
		.len = sizeof(smp), .mode = VMMGMT_MODE_STATS,
	};

	return fake_post(f, &r, &smp);
}

/*
 * Credits are returned half a window at a time: 15 echo round trips of
 * 100 bytes get no notice, the 16th exactly one, for (0, 0, 7), of 16
 * records and 1600 bytes, after its answer.  Control requests and
 * statistics samples take no credit: 16 of each get no notice either.
 */
TEST_F(flow, ping_pong_half_window)
{
	static __u8 in[VMMGMT_MSG_MAX], out[100];
	struct seen s = { 0 };
	struct credit_sum *c;
	struct vmmgmt_addr addr;
	struct vmmgmt_rec h;
	unsigned int i;
	__u32 op, msgs;

	fake_flow_accept(&self->a);
	for (i = 0; i < HALF_WINDOW; i++) {
		ASSERT_EQ(0, lookup_none(&self->a, 100 + i));
		ASSERT_EQ(0, sample(&self->a, i + 1));
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ((unsigned int)HALF_WINDOW, s.errors);	/* ENOENT */
	EXPECT_EQ(0U, s.credits);
	EXPECT_EQ(0U, s.other);
	for (i = 0; i < HALF_WINDOW; i++) {
		fill(out, i, sizeof(out));
		ASSERT_EQ(0, fake_send(&self->a, i, VMMGMT_PORT_ECHO, out,
				       sizeof(out), 0));
		/* The answer first, never a notice before it. */
		ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS));
		op = fake_notice(&h, in, &addr, &msgs);
		ASSERT_EQ(0U, op) {
			TH_LOG("notice %u after %u round trips", op, i);
		}
		ASSERT_EQ((__u64)i, h.id);
		ASSERT_EQ(VMMGMT_REC_F_RESPONSE, h.flags);
		ASSERT_EQ(sizeof(out), h.len);
		if (i == HALF_WINDOW - 2) {
			collect(&self->a, &s, 300);
			EXPECT_EQ(0U, s.credits);
			EXPECT_EQ(0, vm_attr_num("t-alpha", "credit_notices"));
		}
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.credits);
	EXPECT_EQ(0U, s.bad);
	EXPECT_EQ(1U, s.ndests);
	c = credit(&s, 0, VMMGMT_PORT_ECHO);
	EXPECT_EQ(1U, c->notices);
	EXPECT_EQ((__u64)HALF_WINDOW, c->msgs);
	EXPECT_EQ((__u64)HALF_WINDOW * sizeof(out), c->bytes);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "credit_notices"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credits_lost"));
}

/*
 * No head-of-line blocking: A's records to the full endpoint P are held
 * (in order, with later ones behind them), while its records to Q and to
 * the echo service still flow.  Credits come for what reached P's queue,
 * none for the held records until P read everything; then the notices
 * for P, Q and the echo add up exactly.
 */
TEST_F(flow, held_no_hol_credits)
{
	static __u8 in[VMMGMT_MSG_MAX], out[64];
	unsigned int i, top, n = EP_QUEUE + HALF_WINDOW;
	struct seen s = { 0 };
	struct credit_sum *c;
	struct vmmgmt_rec h = { 0 };

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, n, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", HALF_WINDOW, WAIT_MS));
	/* Q and the echo service are not held up. */
	ASSERT_EQ(0, send_n(&self->a, 0, Q_PORT, 5000, 5, 64));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, ep_recv(self->q, &h, in, WAIT_MS));
		EXPECT_EQ(5000ULL + i, h.id);
	}
	ASSERT_EQ(0, echo_flow(&self->a, &s, 1, 7000));
	collect(&self->a, &s, 300);
	EXPECT_EQ(1U, s.answers);	/* the echo */
	EXPECT_EQ(0U, s.errors);
	EXPECT_EQ(0U, s.bad);
	/* Credits for what P's queue took, not for the held ones. */
	c = credit(&s, 0, P_PORT);
	EXPECT_GE((__u64)EP_QUEUE, c->msgs);
	EXPECT_LT((__u64)(EP_QUEUE - HALF_WINDOW), c->msgs);
	EXPECT_EQ(c->msgs * 64, c->bytes);
	/* Less than half a window owed for Q and the echo: no notice. */
	EXPECT_EQ(0U, credit(&s, 0, Q_PORT)->notices);
	EXPECT_EQ(0U, credit(&s, 0, VMMGMT_PORT_ECHO)->notices);
	EXPECT_EQ(s.credits, vm_attr_num("t-alpha", "credit_notices"));
	/* Later records for P go behind the held ones. */
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, n, 3, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", HALF_WINDOW + 3, WAIT_MS));
	collect(&self->a, &s, 200);
	EXPECT_GE((__u64)EP_QUEUE, credit(&s, 0, P_PORT)->msgs);
	n += 3;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, ep_recv(self->p, &h, in, WAIT_MS)) {
			TH_LOG("record %u", i);
		}
		ASSERT_EQ((__u64)i, h.id);
		fill(out, i, sizeof(out));
		ASSERT_EQ(0, memcmp(in, out, sizeof(out)));
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	settle(_metadata, &self->a, &s, 0, P_PORT, n, n * 64ULL, 10000, &top);
	settle(_metadata, &self->a, &s, 0, Q_PORT, 5, 5 * 64, 11000, &top);
	settle(_metadata, &self->a, &s, 0, VMMGMT_PORT_ECHO, 1, 32, 12000,
	       &top);
	EXPECT_EQ(1U + top, s.answers);
	EXPECT_EQ(0U, s.errors);
	EXPECT_EQ(0U, s.bad);
	EXPECT_EQ(3U, s.ndests);
	EXPECT_EQ(s.credits, vm_attr_num("t-alpha", "credit_notices"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held_overflows"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credits_lost"));
}

/*
 * A guest that did not accept VMMGMT_F_FLOW: held too, but no notice and
 * no ENOBUFS; past VMMGMT_HELD_MSGS its record stays in its ring (and the
 * records behind it) until the destination makes room.
 */
TEST_F(flow, old_guest_no_notices)
{
	static __u8 in[VMMGMT_MSG_MAX];
	unsigned int i, n = EP_QUEUE + VMMGMT_HELD_MSGS + 5;
	struct vmmgmt_rec h;
	__u32 head, tail;

	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, n, 16));
	ASSERT_TRUE(wait_attr("t-alpha", "held", VMMGMT_HELD_MSGS, WAIT_MS));
	EXPECT_EQ(-ETIMEDOUT, fake_recv(&self->a, &h, in, sizeof(in), 300));
	head = __atomic_load_n(&self->a.g2h.ctrl->head, __ATOMIC_ACQUIRE);
	tail = __atomic_load_n(&self->a.g2h.ctrl->tail, __ATOMIC_ACQUIRE);
	EXPECT_NE(head, tail);		/* the last 5 wait in the ring */
	EXPECT_EQ(VMMGMT_HELD_MSGS, vm_attr_num("t-alpha", "held"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held_overflows"));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, ep_recv(self->p, &h, in, WAIT_MS)) {
			TH_LOG("record %u", i);
		}
		ASSERT_EQ((__u64)i, h.id);
	}
	/* echo_run() fails on anything but its answers: no notice. */
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
	EXPECT_EQ(-ETIMEDOUT, fake_recv(&self->a, &h, in, sizeof(in), 300));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credit_notices"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held_overflows"));
}

/*
 * Past VMMGMT_HELD_MSGS held records, requests are answered ENOBUFS; the
 * credits of those come back too, and of the held ones once delivered.
 */
TEST_F(flow, overflow_enobufs)
{
	unsigned int i, top, over = 5, n = EP_QUEUE + VMMGMT_HELD_MSGS + over;
	static __u8 in[VMMGMT_MSG_MAX];
	struct seen s = { 0 };
	struct vmmgmt_rec h = { 0 };

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, n, 16));
	ASSERT_TRUE(wait_attr("t-alpha", "held_overflows", over, WAIT_MS));
	EXPECT_EQ(VMMGMT_HELD_MSGS, vm_attr_num("t-alpha", "held"));
	collect(&self->a, &s, 300);
	ASSERT_EQ(over, s.errors);
	for (i = 0; i < over; i++) {
		EXPECT_EQ((__u64)(EP_QUEUE + VMMGMT_HELD_MSGS + i), s.err_id[i]);
		EXPECT_EQ((__u32)ENOBUFS, s.err_val[i]);
	}
	/* Nothing held is returned yet. */
	EXPECT_GE((__u64)(EP_QUEUE + over), credit(&s, 0, P_PORT)->msgs);
	/* The held ones arrive, in order; nothing else. */
	for (i = 0; i < EP_QUEUE + VMMGMT_HELD_MSGS; i++) {
		ASSERT_EQ(0, ep_recv(self->p, &h, in, WAIT_MS));
		ASSERT_EQ((__u64)i, h.id);
	}
	EXPECT_EQ(-ETIMEDOUT, ep_recv(self->p, &h, in, 200));
	collect(&self->a, &s, 300);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	settle(_metadata, &self->a, &s, 0, P_PORT, n, n * 16ULL, 10000, &top);
	EXPECT_EQ(over, s.errors);
	EXPECT_EQ(0U, s.bad);
	EXPECT_EQ(s.credits, vm_attr_num("t-alpha", "credit_notices"));
}

/*
 * Closing P: what A held for it is refused (ECONNREFUSED), and their
 * credits come back after the answers.
 */
TEST_F(flow, close_refuses_held)
{
	unsigned int i, top, n = EP_QUEUE + HALF_WINDOW;
	struct seen s = { 0 };
	struct credit_sum *c;
	__u64 before;

	fake_flow_accept(&self->a);
	ASSERT_EQ(0, send_n(&self->a, 0, P_PORT, 0, n, 64));
	ASSERT_TRUE(wait_attr("t-alpha", "held", HALF_WINDOW, WAIT_MS));
	collect(&self->a, &s, 200);
	c = credit(&s, 0, P_PORT);
	before = c->msgs;
	EXPECT_GE((__u64)EP_QUEUE, before);
	close(self->p);
	self->p = -1;
	collect(&self->a, &s, 500);
	ASSERT_EQ((unsigned int)HALF_WINDOW, s.errors);
	for (i = 0; i < HALF_WINDOW; i++) {
		EXPECT_EQ((__u64)(EP_QUEUE + i), s.err_id[i]);
		EXPECT_EQ((__u32)ECONNREFUSED, s.err_val[i]);
	}
	/* Half a window at least came free: a notice after the answers. */
	EXPECT_LE(before + HALF_WINDOW, c->msgs);
	EXPECT_EQ((unsigned int)HALF_WINDOW, s.answers_at_credit);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	/* The top-up to the closed port is refused, and returned, too. */
	settle(_metadata, &self->a, &s, 0, P_PORT, n, n * 64ULL, 10000, &top);
	EXPECT_EQ(HALF_WINDOW + top, s.errors);
	ASSERT_EQ(0, echo_flow(&self->a, &s, 5, 90000));
	collect(&self->a, &s, 300);
	EXPECT_EQ(HALF_WINDOW + top + 5, s.answers);
	EXPECT_EQ(0U, s.bad);
	EXPECT_EQ(s.credits, vm_attr_num("t-alpha", "credit_notices"));
}

/*
 * VM to VM: B never reads.  A's records to B are held once B's ring and
 * send queue are full, their credits (for (0, B, 0)) wait, A's echo
 * still works; B drains, everything arrives in order, and the credits
 * for B add up exactly.  Then B goes away while A holds records for it:
 * EHOSTDOWN answers, PEER_GONE (0, B, 0), and again exact credits.
 */
TEST_F(flow, vm_to_vm_held)
{
	static __u8 in[VMMGMT_MSG_MAX];
	unsigned int i, top, n = 0, n2 = 0;
	struct seen s = { 0 };
	struct vmmgmt_rec h;
	int ret;

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
	EXPECT_EQ(0U, s.errors);
	EXPECT_EQ(0U, s.bad);
	EXPECT_GT((__u64)n - vm_attr_num("t-alpha", "held") + 1,
		  credit(&s, ID_B, 0)->msgs);
	ASSERT_EQ(0, echo_flow(&self->a, &s, 10, 100000));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("record %u of %u", i, n);
		}
		ASSERT_EQ((__u64)i, h.id);
	}
	collect(&self->a, &s, 300);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	settle(_metadata, &self->a, &s, ID_B, GUEST_PORT, n, n * 1024ULL,
	       20000, &top);
	for (i = 0; i < top; i++)
		ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS));
	settle(_metadata, &self->a, &s, 0, VMMGMT_PORT_ECHO, 10, 10 * 32,
	       30000, &top);

	/* Again, and B is removed while A holds records for it. */
	while (vm_attr_num("t-alpha", "held") < 5 && n2 < 1000) {
		ASSERT_EQ(0, send_n(&self->a, ID_B, GUEST_PORT, 40000 + n2, 20,
				    1024));
		n2 += 20;
		vmmgmt_sleep_ms(20);
	}
	ASSERT_LT(0, vm_attr_num("t-alpha", "held"));
	collect(&self->a, &s, 200);
	ASSERT_EQ(0U, s.errors);
	ASSERT_EQ(0, del_vm(self->dev, ID_B));
	collect(&self->a, &s, 500);
	EXPECT_EQ(1U, s.gone);
	EXPECT_TRUE(addr_is(&s.gone_addr, ID_B, 0));
	EXPECT_LT(0U, s.errors);
	for (i = 0; i < s.errors && i < SEEN_ERRORS; i++)
		EXPECT_EQ((__u32)EHOSTDOWN, s.err_val[i]);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "held"));
	/*
	 * What the host owed for B was forgotten with the PEER_GONE, on
	 * both sides; the top-up to the VM that is gone is answered, and
	 * returned.
	 */
	ret = s.errors;
	settle(_metadata, &self->a, &s, ID_B, GUEST_PORT, 0, 0, 50000, &top);
	EXPECT_EQ(ret + top, s.errors);
	EXPECT_EQ(0U, s.bad);
	EXPECT_EQ(2U, s.ndests);
	EXPECT_EQ(s.credits, vm_attr_num("t-alpha", "credit_notices"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "credits_lost"));
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
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	collect(&self->b, &s, 300);
	EXPECT_EQ(1U, s.gone);
	EXPECT_TRUE(addr_is(&s.gone_addr, ID_A, 0));
	EXPECT_EQ(0U, s.credits);
	ASSERT_EQ(0, echo_flow(&self->b, &s, 20, 1));
	collect(&self->b, &s, 300);
	EXPECT_EQ(20U, s.answers);
	EXPECT_EQ(1U, s.credits);
	EXPECT_EQ(0U, s.bad);
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
		w->ret = ep_send(w->fd, ID_A, GUEST_PORT, i, out, sizeof(out), 0);
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
	EXPECT_EQ(-EPIPE, ep_send(self->q, ID_A, GUEST_PORT, 1, "x", 1, 0));
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
