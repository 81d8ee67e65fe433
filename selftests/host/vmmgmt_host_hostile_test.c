// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): a hostile guest
 * that breaks its ring one way or another (one variant per way) breaks
 * only its own VM, a reset revives it, and a region changed under the
 * module does not reach the module.
 */
#include "vmmgmt_host_vm.h"

FIXTURE(hostile) {
	int dev;
	struct fake_vm a, b;
};

FIXTURE_VARIANT(hostile) {
	int kind;
};

enum { HEAD_AHEAD, BAD_LEN, BAD_MODE, BAD_FLAGS, BAD_H2G_TAIL };
FIXTURE_VARIANT_ADD(hostile, head_ahead) { .kind = HEAD_AHEAD };
FIXTURE_VARIANT_ADD(hostile, bad_len) { .kind = BAD_LEN };
FIXTURE_VARIANT_ADD(hostile, bad_mode) { .kind = BAD_MODE };
FIXTURE_VARIANT_ADD(hostile, bad_flags) { .kind = BAD_FLAGS };
FIXTURE_VARIANT_ADD(hostile, bad_h2g_tail) { .kind = BAD_H2G_TAIL };

FIXTURE_SETUP(hostile)
{
	fake_vms_setup(_metadata, &self->dev, &self->a, &self->b);
}

FIXTURE_TEARDOWN(hostile)
{
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

/* Break @f's G2H ring (or H2G tail) the way @kind says; no doorbell. */
static int hostile_break(struct fake_vm *f, int kind)
{
	struct vmmgmt_ring_ctrl *ctrl = f->g2h.ctrl;
	struct vmmgmt_rec *rec;

	switch (kind) {
	case HEAD_AHEAD:
		ctrl->head += f->g2h.size + 8;
		break;
	case BAD_LEN:
	case BAD_MODE:
	case BAD_FLAGS:
		/* A record at the current head, written by hand. */
		rec = (struct vmmgmt_rec *)(f->g2h.data +
					    (f->g2h.idx & (f->g2h.size - 1)));
		memset(rec, 0, sizeof(*rec));
		rec->mode = VMMGMT_MODE_CHAT;
		rec->dst.port = VMMGMT_PORT_ECHO;
		if (kind == BAD_LEN)
			rec->len = 0xfffffff0;
		if (kind == BAD_MODE)
			rec->mode = 0x77;
		if (kind == BAD_FLAGS)
			rec->flags = 0x8000;
		__atomic_store_n(&ctrl->head, f->g2h.idx + sizeof(*rec),
				 __ATOMIC_RELEASE);
		break;
	case BAD_H2G_TAIL:
		f->h2g.ctrl->tail = 0x12345678;
		return fake_send(f, 1, VMMGMT_PORT_ECHO, "q", 1, 0);
	}
	return 0;
}

TEST_F(hostile, breaks_one_vm_only)
{
	struct fake_vm *a = &self->a;
	struct vmmgmt_ring_ctrl *ctrl = a->g2h.ctrl;
	char buf[64];

	/* Both work first. */
	ASSERT_EQ(0, echo_run(_metadata, a, 10, 100));
	ASSERT_EQ(0, echo_run(_metadata, &self->b, 10, 100));

	ASSERT_EQ(0, hostile_break(a, variant->kind));
	kick(a->kick[0]);
	ASSERT_TRUE(wait_link(a, VMMGMT_LINK_BROKEN, WAIT_MS));
	ASSERT_EQ(0, vm_attr("t-alpha", "link_state", buf, sizeof(buf)));
	EXPECT_STREQ("broken", buf);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "violations"));
	/* More kicks and garbage change nothing. */
	ctrl->head = 0xdeadbeef;
	kick(a->kick[0]);
	kick(a->kick[1]);
	vmmgmt_sleep_ms(100);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ((__u32)VMMGMT_LINK_BROKEN, a->hdr->link_state);

	/* The other VM is not affected. */
	ASSERT_EQ(0, vm_attr("t-beta", "link_state", buf, sizeof(buf)));
	EXPECT_STREQ("up", buf);
	ASSERT_EQ(0, echo_run(_metadata, &self->b, 200, 1000));

	/* Registered again, the same region works again. */
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	ASSERT_EQ(0, fake_vm_add(self->dev, a));
	ASSERT_EQ(0, echo_run(_metadata, a, 50, 2000));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
}

/*
 * A broken channel comes back when the guest asks for a reset: UP with
 * the next generation, reset_ack set, fresh rings that echo again; the
 * violation stays counted and the reset is counted once.
 */
TEST_F(hostile, reset_revives)
{
	struct fake_vm *a = &self->a;
	__u32 gen = a->hdr->generation;
	char buf[64];

	ASSERT_EQ(0, echo_run(_metadata, a, 10, 100));
	ASSERT_EQ(0, hostile_break(a, variant->kind));
	kick(a->kick[0]);
	ASSERT_TRUE(wait_link(a, VMMGMT_LINK_BROKEN, WAIT_MS));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "resets"));
	/* Scribbled layout and indexes: the host lays out its own again. */
	a->hdr->rings[0].data_size = 12345;
	a->hdr->generation = 7;
	a->g2h.ctrl->tail = 0xdead;

	ASSERT_EQ(0, fake_reset(a, WAIT_MS));
	EXPECT_EQ(gen + 1, a->hdr->generation);
	EXPECT_EQ(gen + 1, vm_attr_num("t-alpha", "generation"));
	EXPECT_EQ(a->hdr->reset_request, a->hdr->reset_ack);
	EXPECT_EQ((__u32)REGION / 4, a->hdr->rings[0].data_size);
	EXPECT_EQ(0U, a->g2h.ctrl->tail);
	ASSERT_EQ(0, vm_attr("t-alpha", "link_state", buf, sizeof(buf)));
	EXPECT_STREQ("up", buf);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "resets"));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "violations"));
	ASSERT_EQ(0, echo_run(_metadata, a, 300, 5000));
	/* Broken and reset once more: the same again. */
	ASSERT_EQ(0, hostile_break(a, variant->kind));
	kick(a->kick[0]);
	ASSERT_TRUE(wait_link(a, VMMGMT_LINK_BROKEN, WAIT_MS));
	ASSERT_EQ(0, fake_reset(a, WAIT_MS));
	EXPECT_EQ(gen + 2, a->hdr->generation);
	EXPECT_EQ(2, vm_attr_num("t-alpha", "resets"));
	EXPECT_EQ(2, vm_attr_num("t-alpha", "violations"));
	ASSERT_EQ(0, echo_run(_metadata, a, 50, 9000));
	/* The other VM saw none of it. */
	EXPECT_EQ(0, vm_attr_num("t-beta", "resets"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "violations"));
	ASSERT_EQ(0, echo_run(_metadata, &self->b, 50, 9000));
}

/* Userspace may truncate nothing, but it may punch holes and unmap. */
TEST_F(hostile, region_changes_under_the_module)
{
	struct fake_vm *a = &self->a;

	EXPECT_NE(0, ftruncate(a->memfd, REGION / 2));
	EXPECT_EQ(0, fallocate(a->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, REGION));
	kick(a->kick[0]);
	vmmgmt_sleep_ms(100);
	/* Our view lost the module's pages; the module still has them. */
	EXPECT_EQ(0ULL, a->hdr->magic);
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
	ASSERT_EQ(0, echo_run(_metadata, &self->b, 20, 1));
}

TEST_HARNESS_MAIN
