// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): VM to VM through
 * the host under the administrator's policy: the policy file, denied,
 * unknown and down destinations, request and response, a slow receiver,
 * a receiver removed while the sender waits.
 */
#include "vmmgmt_host_vm.h"

/* VM to VM through the host, under the administrator's policy. */

#define POLICY_SYSFS	VMMGMT_HOST_SYSFS "/policy"

static int policy_write(const char *cmd)
{
	return vmmgmt_write_text(POLICY_SYSFS, cmd);
}

/* Expect one error answer with @err from @f's H2G ring. */
static void expect_error(struct __test_metadata *_metadata, struct fake_vm *f,
			 __u64 id, __u32 err)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;
	__u32 val = 0;

	ASSERT_EQ(0, fake_recv(f, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(id, h.id);
	EXPECT_EQ(VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR, h.flags);
	ASSERT_EQ(sizeof(val), h.len);
	memcpy(&val, buf, sizeof(val));
	EXPECT_EQ(err, val) TH_LOG("errno %u (%s), want %u", val,
				   strerror(val), err);
}

FIXTURE(route) {
	int dev;
	struct fake_vm a, b;
};

FIXTURE_SETUP(route)
{
	fake_vms_setup(_metadata, &self->dev, &self->a, &self->b);
}

FIXTURE_TEARDOWN(route)
{
	policy_write("deny t-alpha t-beta");
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

TEST_F(route, policy_file)
{
	char buf[4096];

	EXPECT_EQ(-EINVAL, policy_write("allow t-alpha"));
	EXPECT_EQ(-EINVAL, policy_write("allow t-alpha t-alpha"));
	EXPECT_EQ(-EINVAL, policy_write("permit t-alpha t-beta"));
	EXPECT_EQ(-EINVAL, policy_write("allow t-alpha t-beta extra"));
	EXPECT_EQ(-EINVAL, policy_write("allow t/alpha t-beta"));
	EXPECT_EQ(-EINVAL,
		  policy_write("allow a0123456789012345678901234567890123 t-beta"));
	ASSERT_EQ(0, policy_write("allow t-beta t-alpha\n"));
	ASSERT_EQ(0, policy_write("allow t-alpha t-beta"));
	ASSERT_EQ(0, vmmgmt_read_text(POLICY_SYSFS, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "allow t-alpha t-beta"));
	/* Once, in a canonical order. */
	EXPECT_EQ(NULL, strstr(buf, "allow t-beta t-alpha"));
	EXPECT_EQ(NULL, strstr(strstr(buf, "t-alpha t-beta") + 1,
			       "t-alpha t-beta"));
	ASSERT_EQ(0, policy_write("deny t-alpha t-beta"));
	ASSERT_EQ(0, vmmgmt_read_text(POLICY_SYSFS, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "t-alpha t-beta"));
	EXPECT_EQ(0, policy_write("deny t-alpha t-beta"));
}

TEST_F(route, denied_unknown_down)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;

	ASSERT_EQ(0, fake_send_to(&self->a, 1, ID_B, GUEST_PORT, "x", 1, 0));
	expect_error(_metadata, &self->a, 1, EACCES);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "denied"));
	/* The denied record never reached the other VM. */
	EXPECT_EQ(0, vm_attr_num("t-beta", "tx_msgs"));
	ASSERT_EQ(0, fake_send_to(&self->a, 2, 4242, GUEST_PORT, "x", 1, 0));
	expect_error(_metadata, &self->a, 2, EHOSTUNREACH);
	ASSERT_EQ(0, policy_write("allow t-alpha t-beta"));
	ASSERT_EQ(0, del_vm(self->dev, ID_B));
	ASSERT_EQ(0, fake_send_to(&self->a, 3, ID_B, GUEST_PORT, "x", 1, 0));
	expect_error(_metadata, &self->a, 3, EHOSTUNREACH);
	/* A VM may always reach itself. */
	ASSERT_EQ(0, fake_send_to(&self->a, 4, ID_A, GUEST_PORT, "me", 2, 0));
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(4ULL, h.id);
	EXPECT_EQ((__u32)ID_A, h.src.vm);
	EXPECT_EQ(0, memcmp(buf, "me", 2));
}

/* Request and answer between two VMs: addresses, content, order. */
TEST_F(route, request_response)
{
	static __u8 out[VMMGMT_MSG_MAX], in[VMMGMT_MSG_MAX];
	__u32 max = self->b.h2g.max_len, len, i, n = 500;
	struct vmmgmt_rec h;

	ASSERT_EQ(0, policy_write("allow t-alpha t-beta"));
	for (i = 0; i < n; i++) {
		len = i % 25 ? 1 + i * 131 % 4000 : max;
		fill(out, i, len);
		ASSERT_EQ(0, fake_send_to(&self->a, i, ID_B, GUEST_PORT, out,
					  len, 0));
		ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("request %u", i);
		}
		ASSERT_EQ((__u64)i, h.id);
		ASSERT_EQ(len, h.len);
		EXPECT_EQ(0U, h.src.host);
		EXPECT_EQ((__u32)ID_A, h.src.vm);
		EXPECT_EQ((__u32)GUEST_PORT, h.src.port);
		EXPECT_EQ((__u32)ID_B, h.dst.vm);
		ASSERT_EQ(0, memcmp(in, out, len));
		/* The answer goes back to the sender's address. */
		ASSERT_EQ(0, fake_send_to(&self->b, i, ID_A, GUEST_PORT, in,
					  len, VMMGMT_REC_F_RESPONSE));
		ASSERT_EQ(0, fake_recv(&self->a, &h, in, sizeof(in), WAIT_MS));
		ASSERT_EQ((__u64)i, h.id);
		EXPECT_EQ(VMMGMT_REC_F_RESPONSE, h.flags);
		EXPECT_EQ((__u32)ID_B, h.src.vm);
		ASSERT_EQ(0, memcmp(in, out, len));
	}
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "drops"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "denied"));
	/* Denied again: new records get EACCES. */
	ASSERT_EQ(0, policy_write("deny t-alpha t-beta"));
	ASSERT_EQ(0, fake_send_to(&self->a, 9, ID_B, GUEST_PORT, "x", 1, 0));
	expect_error(_metadata, &self->a, 9, EACCES);
}

/*
 * A receiver that does not read: its H2G ring and its send queue fill,
 * the rest waits in the sender's G2H ring, nothing is dropped, and
 * everything arrives in order once it reads.
 */
TEST_F(route, slow_receiver_no_drop)
{
	static __u8 out[1024], in[VMMGMT_MSG_MAX];
	unsigned int i, sent = 0, round, before;
	struct vmmgmt_rec h;

	ASSERT_EQ(0, policy_write("allow t-alpha t-beta"));
	for (round = 0; round < 30; round++) {
		before = sent;
		while (!fake_send_to(&self->a, sent, ID_B, GUEST_PORT, out,
				     sizeof(out), 0))
			sent++;
		if (round > 2 && sent == before)
			break;
		vmmgmt_sleep_ms(100);
	}
	/* B's ring (about 240 records) + B's queue (256) + A's ring. */
	EXPECT_LT(700U, sent);
	EXPECT_GT((long long)sent, vm_attr_num("t-alpha", "rx_msgs"));
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, fake_recv(&self->b, &h, in, sizeof(in), WAIT_MS)) {
			TH_LOG("message %u of %u", i, sent);
		}
		ASSERT_EQ((__u64)i, h.id);
	}
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ((long long)sent, vm_attr_num("t-beta", "tx_msgs"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
}

/* The receiver goes away while the sender waits for it. */
TEST_F(route, receiver_removed_while_sender_waits)
{
	static __u8 out[1024], buf[VMMGMT_MSG_MAX];
	unsigned int sent = 0, round, answers = 0;
	struct vmmgmt_rec h;

	ASSERT_EQ(0, policy_write("allow t-alpha t-beta"));
	for (round = 0; round < 10; round++) {
		while (!fake_send_to(&self->a, sent, ID_B, GUEST_PORT, out,
				     sizeof(out), 0))
			sent++;
		vmmgmt_sleep_ms(100);
	}
	ASSERT_EQ(0, del_vm(self->dev, ID_B));
	/* What B had not taken is answered with an error; A works on. */
	while (!fake_recv(&self->a, &h, buf, sizeof(buf), 1000)) {
		EXPECT_EQ(VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR, h.flags);
		answers++;
	}
	EXPECT_LT(0U, answers);
	EXPECT_GT(sent, answers);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1));
}

TEST_HARNESS_MAIN
