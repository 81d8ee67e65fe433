// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): names published by
 * host endpoints (ioctl) and guests (CTRL records), the guests' LIST, a
 * flood of control records.
 */
#include "vmmgmt_host_vm.h"

/* Names: published by host endpoints (ioctl) and guests (CTRL records). */

#define NAMES_SYSFS	VMMGMT_HOST_SYSFS "/names"

static int name_ioctl(int fd, unsigned long cmd, const char *name,
		      struct vmmgmt_addr *addr)
{
	struct vmmgmt_name n = { 0 };

	snprintf((char *)n.name, sizeof(n.name), "%s", name);
	if (addr && cmd == VMMGMT_HOST_IOC_PUBLISH)
		n.addr = *addr;
	if (ioctl(fd, cmd, &n))
		return -errno;
	if (addr)
		*addr = n.addr;
	return 0;
}

/* One CTRL request from a fake guest; the answer's errno, or 0. */
static int fake_ctrl(struct __test_metadata *_metadata, struct fake_vm *f,
		     __u32 op, const char *name, __u32 port,
		     struct vmmgmt_addr *addr)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_ctrl c = { .op = op };
	static __u64 id = 1000;
	struct vmmgmt_rec r = {
		.len = sizeof(c), .mode = VMMGMT_MODE_CTRL, .id = ++id,
		.src = { .port = GUEST_PORT },
	};
	struct vmmgmt_rec h;
	__u32 err;

	snprintf((char *)c.name.name, sizeof(c.name.name), "%s", name);
	c.name.addr.port = port;
	if (vmmgmt_ring_post(&f->g2h, &r, &c))
		return -EIO;
	if (vmmgmt_ring_need_notify(&f->g2h))
		kick(f->kick[0]);
	if (fake_recv(f, &h, buf, sizeof(buf), WAIT_MS))
		return -ETIMEDOUT;
	EXPECT_EQ(id, h.id);
	EXPECT_EQ((__u16)VMMGMT_MODE_CTRL, h.mode);
	if (h.flags & VMMGMT_REC_F_ERROR) {
		if (h.len != sizeof(err))
			return -EBADMSG;
		memcpy(&err, buf, sizeof(err));
		return err;
	}
	if (h.flags != VMMGMT_REC_F_RESPONSE || h.len != sizeof(c))
		return -EBADMSG;
	memcpy(&c, buf, sizeof(c));
	if (addr)
		*addr = c.name.addr;
	return 0;
}

FIXTURE(names) {
	int dev, ep;
	struct fake_vm a, b;
};

FIXTURE_SETUP(names)
{
	__u32 port = EP_PORT;

	self->ep = -1;
	if (!fake_vms_setup(_metadata, &self->dev, &self->a, &self->b))
		return;
	self->ep = open_dev();
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, ep_bind(self->ep, &port));
}

FIXTURE_TEARDOWN(names)
{
	if (self->ep >= 0)
		close(self->ep);
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

TEST_F(names, host_endpoint)
{
	struct vmmgmt_addr addr = { 0 };
	struct vmmgmt_name n = { 0 };
	char buf[4096];
	int other;

	other = open_dev();
	ASSERT_LE(0, other);
	/* Not bound: nothing to publish. */
	EXPECT_EQ(-ENOTCONN, name_ioctl(other, VMMGMT_HOST_IOC_PUBLISH,
					"t-svc", NULL));
	EXPECT_EQ(-EINVAL, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH,
				      "bad name", NULL));
	EXPECT_EQ(-EINVAL, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH,
				      "", NULL));
	memset(n.name, 'x', sizeof(n.name));
	EXPECT_EQ(-1, ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH, &n));
	EXPECT_EQ(EINVAL, errno);
	addr.port = EP_PORT + 1;
	EXPECT_EQ(-EINVAL, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH,
				      "t-svc", &addr));
	ASSERT_EQ(0, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH, "t-svc",
				NULL));
	/* Again by its owner: fine; by another file: taken. */
	EXPECT_EQ(0, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH, "t-svc",
				NULL));
	EXPECT_EQ(-ENOTCONN, name_ioctl(other, VMMGMT_HOST_IOC_PUBLISH,
					"t-svc", NULL));
	ASSERT_EQ(0, name_ioctl(other, VMMGMT_HOST_IOC_LOOKUP, "t-svc", &addr));
	EXPECT_EQ(0U, addr.vm);
	EXPECT_EQ((__u32)EP_PORT, addr.port);
	EXPECT_EQ(-ENOENT, name_ioctl(other, VMMGMT_HOST_IOC_LOOKUP, "t-none",
				      &addr));
	ASSERT_EQ(0, vmmgmt_read_text(NAMES_SYSFS, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "t-svc 0 0 100"));
	/* A guest finds it too. */
	ASSERT_EQ(0, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_LOOKUP,
			       "t-svc", 0, &addr));
	EXPECT_EQ((__u32)EP_PORT, addr.port);
	/* Withdrawn when the file is closed. */
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(-ENOENT, name_ioctl(other, VMMGMT_HOST_IOC_LOOKUP, "t-svc",
				      &addr));
	close(other);
}

TEST_F(names, guest_publish)
{
	struct vmmgmt_addr addr;
	char buf[4096], name[32];
	int i;

	ASSERT_EQ(0, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_PUBLISH,
			       "t-db.primary", 5432, &addr));
	EXPECT_EQ((__u32)ID_A, addr.vm);
	EXPECT_EQ(5432U, addr.port);
	/* Taken, for the other guest and for a host endpoint. */
	EXPECT_EQ(EADDRINUSE, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_PUBLISH,
					"t-db.primary", 1, NULL));
	EXPECT_EQ(-EADDRINUSE, name_ioctl(self->ep, VMMGMT_HOST_IOC_PUBLISH,
					  "t-db.primary", NULL));
	/* Looked up by the other guest and by the host. */
	ASSERT_EQ(0, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_LOOKUP,
			       "t-db.primary", 0, &addr));
	EXPECT_EQ((__u32)ID_A, addr.vm);
	EXPECT_EQ(5432U, addr.port);
	ASSERT_EQ(0, name_ioctl(self->ep, VMMGMT_HOST_IOC_LOOKUP,
				"t-db.primary", &addr));
	EXPECT_EQ((__u32)ID_A, addr.vm);
	ASSERT_EQ(0, vmmgmt_read_text(NAMES_SYSFS, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "t-db.primary 0 1001 5432"));
	/* Only its owner withdraws it. */
	EXPECT_EQ(ENOENT, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_WITHDRAW,
				    "t-db.primary", 0, NULL));
	EXPECT_EQ(0, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_WITHDRAW,
			       "t-db.primary", 0, NULL));
	EXPECT_EQ(ENOENT, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_LOOKUP,
				    "t-db.primary", 0, NULL));
	/* Bad requests. */
	EXPECT_EQ(EINVAL, fake_ctrl(_metadata, &self->a, 99, "t-x", 0, NULL));
	EXPECT_EQ(EINVAL, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_PUBLISH,
				    "t x", 1, NULL));
	/* At most 64 names per VM. */
	for (i = 0; i < VMMGMT_NAMES_PER_OWNER; i++) {
		snprintf(name, sizeof(name), "t-n%d", i);
		ASSERT_EQ(0, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_PUBLISH,
				       name, 100 + i, NULL));
	}
	EXPECT_EQ(ENOSPC, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_PUBLISH,
				    "t-one-more", 1, NULL));
	/* The other VM still can. */
	EXPECT_EQ(0, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_PUBLISH,
			       "t-one-more", 1, NULL));
	/* A VM's names go with it. */
	ASSERT_EQ(0, del_vm(self->dev, ID_A));
	EXPECT_EQ(-ENOENT, name_ioctl(self->ep, VMMGMT_HOST_IOC_LOOKUP, "t-n0",
				      &addr));
	EXPECT_EQ(0, name_ioctl(self->ep, VMMGMT_HOST_IOC_LOOKUP, "t-one-more",
				&addr));
	EXPECT_EQ(0, vm_attr_num("t-beta", "violations"));
}

/*
 * One VMMGMT_CTRL_LIST request from fake VM @f with cursor @after and
 * @port in addr.port (must be 0); the answer in @l, its length in @len.
 * Return: 0, the errno the host answered with, or -1 for no answer.
 */
static int fake_list(struct __test_metadata *_metadata, struct fake_vm *f,
		     const char *after, __u32 port,
		     struct vmmgmt_name_list *l, __u32 *len)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_ctrl c = { .op = VMMGMT_CTRL_LIST };
	static __u64 id = 50000;
	struct vmmgmt_rec r = {
		.len = sizeof(c), .mode = VMMGMT_MODE_CTRL, .id = ++id,
		.src = { .port = GUEST_PORT },
	};
	struct vmmgmt_rec h;
	__u32 err;

	snprintf((char *)c.name.name, sizeof(c.name.name), "%s", after);
	c.name.addr.port = port;
	if (vmmgmt_ring_post(&f->g2h, &r, &c))
		return -1;
	if (vmmgmt_ring_need_notify(&f->g2h))
		kick(f->kick[0]);
	if (fake_recv(f, &h, buf, sizeof(buf), WAIT_MS))
		return -1;
	EXPECT_EQ(id, h.id);
	if (h.flags & VMMGMT_REC_F_ERROR) {
		memcpy(&err, buf, sizeof(err));
		return err;
	}
	EXPECT_EQ(VMMGMT_REC_F_RESPONSE, h.flags);
	*len = h.len;
	memset(l, 0, sizeof(*l));
	memcpy(l, buf, h.len < sizeof(*l) ? h.len : sizeof(*l));
	return 0;
}

/* A guest lists the table page by page; bad list requests get EINVAL. */
TEST_F(names, guest_list)
{
	const size_t head = offsetof(struct vmmgmt_name_list, names);
	static struct vmmgmt_name_list l;
	char after[VMMGMT_NAME_MAX] = "", name[32];
	unsigned int i, pages = 0, found = 0;
	__u32 len;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t-l%02u", 39 - i);
		ASSERT_EQ(0, fake_ctrl(_metadata, &self->a, VMMGMT_CTRL_PUBLISH,
				       name, 200 + 39 - i, NULL));
	}
	do {
		ASSERT_EQ(0, fake_list(_metadata, &self->b, after, 0, &l, &len));
		ASSERT_GE((__u32)VMMGMT_NAMES_PER_LIST, l.count);
		/* Cut after the last entry; the cursor comes back. */
		EXPECT_EQ(head + l.count * sizeof(l.names[0]), len);
		EXPECT_EQ(0, memcmp(l.after, after, sizeof(after)));
		EXPECT_EQ(0U, l.flags & ~VMMGMT_NAME_LIST_F_MORE);
		if (!pages++) {
			EXPECT_EQ((__u32)VMMGMT_NAMES_PER_LIST, l.count);
			EXPECT_EQ((__u32)VMMGMT_NAME_LIST_F_MORE, l.flags);
		}
		for (i = 0; i < l.count; i++) {
			EXPECT_LT(0, strcmp((char *)l.names[i].name, after));
			memcpy(after, l.names[i].name, sizeof(after));
			if (strncmp(after, "t-l", 3))
				continue;
			snprintf(name, sizeof(name), "t-l%02u", found);
			EXPECT_STREQ(name, after);
			EXPECT_EQ((__u32)ID_A, l.names[i].addr.vm);
			EXPECT_EQ((__u32)(200 + found), l.names[i].addr.port);
			found++;
		}
	} while (l.count && (l.flags & VMMGMT_NAME_LIST_F_MORE) && pages < 200);
	EXPECT_EQ(40U, found);
	EXPECT_LE(2U, pages);
	/* After the last name: an empty page. */
	ASSERT_EQ(0, fake_list(_metadata, &self->b, "zzzzzzzz", 0, &l, &len));
	EXPECT_EQ(0U, l.count);
	EXPECT_EQ(head, len);
	EXPECT_EQ(0U, l.flags);
	/* What the host checks: the cursor, the address, the length. */
	EXPECT_EQ(EINVAL, fake_list(_metadata, &self->b, "t x", 0, &l, &len));
	EXPECT_EQ(EINVAL, fake_list(_metadata, &self->b, "", 7, &l, &len));
	EXPECT_EQ(EINVAL, fake_ctrl(_metadata, &self->b, VMMGMT_CTRL_LIST + 1,
				    "t-l00", 0, NULL));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "violations"));
}

/* A guest that floods CTRL requests gets answers and breaks nothing. */
TEST_F(names, ctrl_flood)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_ctrl c = { .op = VMMGMT_CTRL_PUBLISH };
	struct vmmgmt_rec r = {
		.len = sizeof(c), .mode = VMMGMT_MODE_CTRL,
		.src = { .port = GUEST_PORT },
	};
	unsigned int sent = 0, got = 0;
	struct vmmgmt_rec h;

	while (got < 5000) {
		while (sent < 5000 && sent - got < 200) {
			snprintf((char *)c.name.name, sizeof(c.name.name),
				 "t-f%u", sent % 100);
			c.name.addr.port = sent;
			r.id = sent;
			if (vmmgmt_ring_post(&self->a.g2h, &r, &c))
				break;
			if (vmmgmt_ring_need_notify(&self->a.g2h))
				kick(self->a.kick[0]);
			sent++;
		}
		ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
		ASSERT_EQ((__u64)got, h.id);
		got++;
	}
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ(0, echo_run(_metadata, &self->b, 100, 1));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 100, 1));
}

TEST_HARNESS_MAIN
