// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): host endpoints, a
 * bound /dev/vmmgmt-host file that talks to fake VMs: bind errors, both
 * directions, refusals, full endpoints and flow control, a VM removed
 * under a blocked writer.
 */
#include "vmmgmt_host_vm.h"

/* Host endpoints: a bound /dev/vmmgmt-host file talks to fake VMs. */

/* write() a prepared header with @len payload bytes; 0 or -errno. */
static int ep_write_raw(int fd, const struct vmmgmt_rec *r, size_t len)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX + 64];

	memcpy(buf, r, sizeof(*r));
	memset(buf + sizeof(*r), 0x5a, len);
	return write(fd, buf, sizeof(*r) + len) < 0 ? -errno : 0;
}

FIXTURE(ep) {
	int dev, ep, ep2;
	struct fake_vm a, b;
};

FIXTURE_SETUP(ep)
{
	__u32 port = EP_PORT;

	self->ep = -1;
	self->ep2 = -1;
	if (!fake_vms_setup(_metadata, &self->dev, &self->a, &self->b))
		return;
	self->ep = open_dev();
	self->ep2 = open_dev();
	ASSERT_LE(0, self->ep);
	ASSERT_LE(0, self->ep2);
	ASSERT_EQ(0, ep_bind(self->ep, &port));
	ASSERT_EQ((__u32)EP_PORT, port);
}

FIXTURE_TEARDOWN(ep)
{
	if (self->ep2 >= 0)
		close(self->ep2);
	if (self->ep >= 0)
		close(self->ep);
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

TEST_F(ep, bind_errors)
{
	struct vmmgmt_bind b = { .port = 200, .flags = 1 };
	struct vmmgmt_rec h;
	__u32 port;
	char c;

	/* Unbound: nothing to read. */
	EXPECT_EQ(-1, read(self->ep2, &h, sizeof(h)));
	EXPECT_EQ(ENOTCONN, errno);
	port = EP_PORT;
	EXPECT_EQ(-EADDRINUSE, ep_bind(self->ep2, &port));
	port = VMMGMT_PORT_ECHO;
	EXPECT_EQ(-EADDRINUSE, ep_bind(self->ep2, &port));
	EXPECT_EQ(-1, ioctl(self->ep2, VMMGMT_HOST_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	b.flags = 0;
	b.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->ep2, VMMGMT_HOST_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	port = 0;
	ASSERT_EQ(0, ep_bind(self->ep2, &port));
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, port);
	port = 201;
	EXPECT_EQ(-EISCONN, ep_bind(self->ep2, &port));
	/* Bound and empty. */
	ASSERT_EQ(0, fcntl(self->ep2, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->ep2, &c, 1));
	EXPECT_EQ(EAGAIN, errno);
	/* The port is free again once its file is closed. */
	close(self->ep);
	self->ep = open_dev();
	ASSERT_LE(0, self->ep);
	port = EP_PORT;
	EXPECT_EQ(0, ep_bind(self->ep, &port));
}

/* Guest to host endpoint: addresses, content, order, message sizes. */
TEST_F(ep, guest_to_host)
{
	static __u8 out[VMMGMT_MSG_MAX], in[VMMGMT_MSG_MAX];
	__u32 max = self->a.g2h.max_len, len, i, n = 300;
	struct vmmgmt_rec h;
	__u8 small[8];

	for (i = 0; i < n; i++) {
		len = i % 50 ? 1 + i * 7 % 2000 : max - i % 3;
		fill(out, 5000 + i, len);
		ASSERT_EQ(0, fake_send(&self->a, 5000 + i, EP_PORT, out, len, 0));
		ASSERT_EQ(0, ep_recv(self->ep, &h, in, WAIT_MS)) {
			TH_LOG("message %u", i);
		}
		fill(out, 5000 + i, len);
		EXPECT_EQ(5000ULL + i, h.id);
		EXPECT_EQ(len, h.len);
		EXPECT_EQ((__u16)VMMGMT_MODE_CHAT, h.mode);
		EXPECT_EQ(0, h.flags);
		EXPECT_EQ(0U, h.src.host);
		EXPECT_EQ((__u32)ID_A, h.src.vm);
		EXPECT_EQ((__u32)GUEST_PORT, h.src.port);
		EXPECT_EQ(0U, h.dst.vm);
		EXPECT_EQ((__u32)EP_PORT, h.dst.port);
		ASSERT_EQ(0, memcmp(in, out, len));
	}
	/* A buffer too small: EMSGSIZE, and the message stays queued. */
	ASSERT_EQ(0, fake_send(&self->a, 77, EP_PORT, "0123456789", 10, 0));
	vmmgmt_sleep_ms(200);
	EXPECT_EQ(-1, read(self->ep, small, sizeof(small)));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, ep_recv(self->ep, &h, in, WAIT_MS));
	EXPECT_EQ(77ULL, h.id);
	EXPECT_EQ(0, memcmp(in, "0123456789", 10));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
}

/* Host endpoint to guest, and every write() error. */
TEST_F(ep, host_to_guest)
{
	static __u8 out[VMMGMT_MSG_MAX], in[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h, r = {
		.len = 4, .mode = VMMGMT_MODE_CHAT, .dst = { .vm = ID_A, .port = 9 },
	};
	__u32 max = self->a.h2g.max_len, len, i;

	for (i = 0; i < 200; i++) {
		len = i % 20 ? 1 + i * 13 % 3000 : max;
		fill(out, i, len);
		ASSERT_EQ(0, ep_send(self->ep, ID_A, GUEST_PORT, i, out, len, 0));
		ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("message %u", i);
		}
		EXPECT_EQ((__u64)i, h.id);
		EXPECT_EQ(len, h.len);
		EXPECT_EQ(0U, h.src.vm);
		EXPECT_EQ((__u32)EP_PORT, h.src.port);
		EXPECT_EQ((__u32)ID_A, h.dst.vm);
		EXPECT_EQ((__u32)GUEST_PORT, h.dst.port);
		ASSERT_EQ(0, memcmp(in, out, len));
	}
	/* An unbound file gets a dynamic port on its first write(). */
	ASSERT_EQ(0, ep_send(self->ep2, ID_B, GUEST_PORT, 1, "hi", 2, 0));
	ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS));
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, h.src.port);

	EXPECT_EQ(0, ep_write_raw(self->ep, &r, 4));
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 5));
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 3));
	EXPECT_EQ(-1, write(self->ep, &r, 10));
	EXPECT_EQ(EINVAL, errno);
	r.mode = VMMGMT_MODE_PAD;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.mode = VMMGMT_MODE_CTRL;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.mode = VMMGMT_MODE_MAX;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.mode = VMMGMT_MODE_CHAT;
	r.flags = 0x80;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.flags = 0;
	r.dst.reserved = 1;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.dst.reserved = 0;
	r.dst.host = 3;
	EXPECT_EQ(-EHOSTUNREACH, ep_write_raw(self->ep, &r, 4));
	r.dst.host = 0;
	r.dst.vm = 0;
	EXPECT_EQ(-EINVAL, ep_write_raw(self->ep, &r, 4));
	r.dst.vm = 4242;
	EXPECT_EQ(-EHOSTUNREACH, ep_write_raw(self->ep, &r, 4));
	r.dst.vm = ID_A;
	r.len = VMMGMT_MSG_MAX + 1;
	EXPECT_EQ(-EMSGSIZE, ep_write_raw(self->ep, &r, VMMGMT_MSG_MAX + 1));
	r.len = max + 1;
	if (max < VMMGMT_MSG_MAX)
		EXPECT_EQ(-EMSGSIZE, ep_write_raw(self->ep, &r, max + 1));
	/* Only the one good record arrived. */
	ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS));
	EXPECT_EQ(4U, h.len);
	EXPECT_EQ(-ETIMEDOUT, fake_recv(&self->a, &h, in, sizeof(in), 300));
}

/* A request to a port nobody holds is refused; the VM carries on. */
TEST_F(ep, unbound_port_refused)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;
	__u32 val;

	ASSERT_EQ(0, fake_send(&self->a, 1, EP_PORT + 1, "x", 1, 0));
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR, h.flags);
	ASSERT_EQ(sizeof(val), h.len);
	memcpy(&val, buf, sizeof(val));
	EXPECT_EQ((__u32)ECONNREFUSED, val);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 10, 1));
}

/*
 * An endpoint that does not read: its queue fills, the rest waits in the
 * G2H ring (nothing dropped), and everything arrives in order once it
 * reads.  Meanwhile another VM's traffic is not held up.
 */
TEST_F(ep, full_endpoint_no_drop)
{
	static __u8 out[256], in[VMMGMT_MSG_MAX];
	unsigned int i, sent = 0, round;
	struct vmmgmt_rec h;

	for (round = 0; round < 20 && sent < 600; round++) {
		while (sent < 600) {
			fill(out, sent, sizeof(out));
			if (fake_send(&self->a, sent, EP_PORT, out, sizeof(out), 0))
				break;
			sent++;
		}
		vmmgmt_sleep_ms(100);
	}
	ASSERT_EQ(600U, sent);
	/* The endpoint holds 256; the other VM still gets echoes. */
	EXPECT_EQ(0, echo_run(_metadata, &self->b, 500, 1));
	EXPECT_GT(600, vm_attr_num("t-alpha", "rx_msgs"));
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, ep_recv(self->ep, &h, in, WAIT_MS)) {
			TH_LOG("message %u of %u", i, sent);
		}
		fill(out, i, sizeof(out));
		ASSERT_EQ((__u64)i, h.id);
		ASSERT_EQ(0, memcmp(in, out, sizeof(out)));
	}
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(600, vm_attr_num("t-alpha", "rx_msgs"));
}

/*
 * Closing an endpoint that holds a VM back: the waiting request is
 * refused, and the VM's echo works again.
 */
TEST_F(ep, close_full_endpoint)
{
	static __u8 out[256], in[VMMGMT_MSG_MAX];
	unsigned int sent = 0, refused = 0, round;
	struct vmmgmt_rec h;

	for (round = 0; round < 10; round++) {
		while (!fake_send(&self->a, sent, EP_PORT, out, sizeof(out), 0))
			sent++;
		vmmgmt_sleep_ms(100);
	}
	ASSERT_LT(256U, sent);
	close(self->ep);
	self->ep = -1;
	/* Whatever the endpoint had not read is gone; the rest is refused. */
	while (!fake_recv(&self->a, &h, in, sizeof(in), 1000)) {
		ASSERT_EQ(VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR, h.flags);
		refused++;
	}
	EXPECT_EQ(sent - 256, refused);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 100, 1));
}

/*
 * A guest that does not read: host writes fill the H2G ring and the VM's
 * send queue, then fail with EAGAIN (O_NONBLOCK); nothing that was
 * accepted is lost, and writing works again once the guest reads.
 */
TEST_F(ep, host_to_guest_flow_control)
{
	static __u8 out[1024], in[VMMGMT_MSG_MAX];
	unsigned int i, sent = 0, round, before;
	struct vmmgmt_rec h;
	int ret = 0;

	ASSERT_EQ(0, fcntl(self->ep, F_SETFL, O_NONBLOCK));
	/* Until a round after a pause adds nothing: ring and queue full. */
	for (round = 0; round < 50; round++) {
		before = sent;
		for (;;) {
			fill(out, sent, sizeof(out));
			ret = ep_send(self->ep, ID_A, GUEST_PORT, sent, out,
				      sizeof(out), 0);
			if (ret)
				break;
			sent++;
		}
		ASSERT_EQ(-EAGAIN, ret);
		if (round && sent == before)
			break;
		vmmgmt_sleep_ms(100);
	}
	/* Ring (about 250 such records) plus queue (256). */
	EXPECT_LT(400U, sent);
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("message %u of %u", i, sent);
		}
		fill(out, i, sizeof(out));
		ASSERT_EQ((__u64)i, h.id);
		ASSERT_EQ(0, memcmp(in, out, sizeof(out)));
	}
	EXPECT_EQ(0, ep_send(self->ep, ID_A, GUEST_PORT, 1, out, 8, 0));
	ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS));
}

struct blocked_writer {
	pthread_t tid;
	int fd;
	int ret;
	int sent;
};

static void *blocked_writer_fn(void *arg)
{
	static __u8 out[1024];
	struct blocked_writer *w = arg;
	int i;

	for (i = 0; i < 100000; i++) {
		w->ret = ep_send(w->fd, ID_A, GUEST_PORT, i, out, sizeof(out), 0);
		if (w->ret)
			break;
		__atomic_store_n(&w->sent, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* A writer blocked on a full VM gets ECONNRESET when the VM goes away. */
TEST_F(ep, vm_removed_under_blocked_writer)
{
	struct blocked_writer w = { .fd = self->ep, .ret = 0 };

	int last = -1, now, stable = 0, waited;

	ASSERT_EQ(0, pthread_create(&w.tid, NULL, blocked_writer_fn, &w));
	/* The guest never reads: wait until the writer is stuck. */
	for (waited = 0; waited < 20000 && stable < 3; waited += 200) {
		vmmgmt_sleep_ms(200);
		now = __atomic_load_n(&w.sent, __ATOMIC_ACQUIRE);
		stable = now == last ? stable + 1 : 0;
		last = now;
	}
	ASSERT_EQ(3, stable);
	EXPECT_LT(400, last);
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	ASSERT_EQ(0, pthread_join(w.tid, NULL));
	EXPECT_EQ(-ECONNRESET, w.ret);
	/* The other VM is still there. */
	EXPECT_EQ(0, ep_send(self->ep, ID_B, GUEST_PORT, 1, "b", 1, 0));
	EXPECT_EQ(-EHOSTUNREACH, ep_send(self->ep, ID_A, GUEST_PORT, 1, "a", 1, 0));
}

TEST_HARNESS_MAIN
