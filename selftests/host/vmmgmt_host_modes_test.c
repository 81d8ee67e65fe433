// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the host side of modes (ABI 0.6).  A fake VM (a
 * sealed memfd and eventfds registered with VMMGMT_HOST_IOC_ADD_VM, the
 * guest's side of the rings run with lib/vmmgmt_ring.c) plays a guest
 * module that writes its enabled modes into the region header; the test
 * reads vms/<name>/guest_modes, writes records from a host endpoint to
 * the VM (EPERM for a disabled mode), and sends the host a STATS answer,
 * which must reach the host endpoint it is addressed to, not the
 * statistics.  Runs in the host VM with vmmgmt_host.ko loaded; without
 * the device the tests are skipped unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vmmgmt.h>

/* See vmmgmt_host_vm_test.c: the harness trips these with -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "vmmgmt_host_util.h"

#define REGION		(64 * 1024)
#define WAIT_MS		5000
#define ID_M		1005		/* unused by the test bed's VMs */
#define NAME_M		"t-modes"

#define BIT_OF(m)	VMMGMT_MODE_BIT(VMMGMT_MODE_##m)

/* What the guest module does when its owner changes the modes. */
static void guest_says(struct fake_vm *f, bool accepted, __u32 modes)
{
	f->hdr->guest_modes = modes;
	__atomic_store_n(&f->hdr->features_accepted,
			 accepted ? VMMGMT_F_MODES : 0, __ATOMIC_RELEASE);
}

/* One record of @mode from the host endpoint @ep to the fake VM. */
static int host_send(int ep, __u16 mode)
{
	struct {
		struct vmmgmt_rec r;
		char data[4];
	} m = {
		.r = {
			.len = sizeof(m.data), .mode = mode,
			.dst = { .vm = ID_M, .port = 1 },
		},
		.data = "ping",
	};

	/* Header and payload, without the structure's tail padding. */
	if (write(ep, &m, sizeof(m.r) + sizeof(m.data)) < 0)
		return -errno;
	return 0;
}

/* vms/<name>/tx_msgs once it reaches @n, or after WAIT_MS. */
static long long wait_tx(long long n)
{
	long long got = -1;
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		got = vm_attr_num(NAME_M, "tx_msgs");
		if (got >= n)
			break;
		usleep(5000);
	}
	return got;
}

FIXTURE(modes) {
	int dev;
	int ep;
	__u32 port;	/* the host endpoint's, a dynamic one */
	struct fake_vm f;
};

FIXTURE_SETUP(modes)
{
	struct vmmgmt_bind b = { .port = 0 };

	self->dev = -1;
	self->ep = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open " VMMGMT_HOST_DEV ": %s",
				       strerror(errno));
	ASSERT_EQ(0, fake_vm_init(&self->f, ID_M, NAME_M, REGION));
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->f));
	self->ep = open_dev();
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, ioctl(self->ep, VMMGMT_HOST_IOC_BIND, &b))
		TH_LOG("bind: %s", strerror(errno));
	self->port = b.port;
}

FIXTURE_TEARDOWN(modes)
{
	if (self->ep >= 0)
		close(self->ep);
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->f);
}

TEST_F(modes, header_offers_modes)
{
	EXPECT_EQ(VMMGMT_F_MODES,
		  self->f.hdr->features_offered & VMMGMT_F_MODES);
	EXPECT_EQ(0ULL, self->f.hdr->features_accepted);
	EXPECT_EQ(0U, self->f.hdr->guest_modes);
}

TEST_F(modes, guest_modes_file)
{
	char buf[64];

	/* Nothing said yet: an older guest module, or none. */
	ASSERT_EQ(0, vm_attr(NAME_M, "guest_modes", buf, sizeof(buf)));
	EXPECT_STREQ("unknown", buf);
	/* A mask without the feature accepted means nothing. */
	guest_says(&self->f, false, BIT_OF(CHAT));
	ASSERT_EQ(0, vm_attr(NAME_M, "guest_modes", buf, sizeof(buf)));
	EXPECT_STREQ("unknown", buf);

	guest_says(&self->f, true, BIT_OF(CHAT) | BIT_OF(STATS));
	ASSERT_EQ(0, vm_attr(NAME_M, "guest_modes", buf, sizeof(buf)));
	EXPECT_STREQ("chat stats", buf);
	guest_says(&self->f, true, BIT_OF(CMD) | BIT_OF(CALC) |
		   VMMGMT_MODE_BIT(VMMGMT_MODE_FILE));
	ASSERT_EQ(0, vm_attr(NAME_M, "guest_modes", buf, sizeof(buf)));
	EXPECT_STREQ("file calc cmd", buf);
	/* Bits outside VMMGMT_MODES_USER are the guest's noise. */
	guest_says(&self->f, true, BIT_OF(CTRL) | BIT_OF(PAD) | 0xff000000u);
	ASSERT_EQ(0, vm_attr(NAME_M, "guest_modes", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

TEST_F(modes, write_to_disabled_mode)
{
	/* Nothing known: every mode goes through. */
	EXPECT_EQ(0, host_send(self->ep, VMMGMT_MODE_FILE));
	guest_says(&self->f, true, BIT_OF(CHAT) | BIT_OF(STATS));
	EXPECT_EQ(0, host_send(self->ep, VMMGMT_MODE_CHAT));
	EXPECT_EQ(0, host_send(self->ep, VMMGMT_MODE_STATS));
	EXPECT_EQ(-EPERM, host_send(self->ep, VMMGMT_MODE_FILE));
	EXPECT_EQ(-EPERM, host_send(self->ep, VMMGMT_MODE_CALC));
	EXPECT_EQ(-EPERM, host_send(self->ep, VMMGMT_MODE_CMD));
	guest_says(&self->f, true, 0);
	EXPECT_EQ(-EPERM, host_send(self->ep, VMMGMT_MODE_CHAT));
	/* The guest stops saying: the host stops refusing. */
	guest_says(&self->f, false, 0);
	EXPECT_EQ(0, host_send(self->ep, VMMGMT_MODE_CHAT));
	/* The four accepted ones reach the guest's ring, nothing more. */
	EXPECT_EQ(4, wait_tx(4));
}

TEST_F(modes, stats_answer_reaches_endpoint)
{
	const struct vmmgmt_stats_ctl ctl = {
		.op = VMMGMT_STATS_CTL_GET, .sampling = 1, .period_ms = 1000,
	};
	const struct vmmgmt_rec r = {
		.len = sizeof(ctl), .mode = VMMGMT_MODE_STATS,
		.flags = VMMGMT_REC_F_RESPONSE, .id = 77,
		.src = { .port = 0 },
		.dst = { .port = self->port },
	};
	struct {
		struct vmmgmt_rec r;
		struct vmmgmt_stats_ctl ctl;
	} got;
	struct pollfd p = { .fd = self->ep, .events = POLLIN };

	ASSERT_EQ(0, fake_post(&self->f, &r, &ctl));
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS)) TH_LOG("no answer at the endpoint");
	ASSERT_EQ((ssize_t)sizeof(got), read(self->ep, &got, sizeof(got)));
	EXPECT_EQ(VMMGMT_MODE_STATS, got.r.mode);
	EXPECT_EQ(VMMGMT_REC_F_RESPONSE, got.r.flags);
	EXPECT_EQ(77ULL, got.r.id);
	EXPECT_EQ((__u32)ID_M, got.r.src.vm);
	EXPECT_EQ(0, memcmp(&ctl, &got.ctl, sizeof(ctl)));
	/* Not a sample: the statistics saw nothing. */
	EXPECT_EQ(0, vm_attr_num(NAME_M, "stats/samples"));
	EXPECT_EQ(0, vm_attr_num(NAME_M, "stats/rejected"));
	EXPECT_EQ(0, vm_attr_num(NAME_M, "drops"));
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->f.hdr->link_state);
}

TEST_HARNESS_MAIN
