// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with a fake VM (vmmgmt_host_vm.h), no guests: the
 * steps of a module handover (ABI 0.9) inside one module.  The test plays
 * vmmgmtd: VMMGMT_HOST_IOC_QUIESCE, VMMGMT_HOST_IOC_EXPORT_VM, then
 * VMMGMT_HOST_IOC_IMPORT_VM and VMMGMT_HOST_IOC_RESUME into the same
 * module (what a new module does with the state, and what vmmgmtd does to
 * give the VMs back when the old module cannot be unloaded).  Replacing
 * the module itself is vmmgmt_restart_test's (vmmgmtctl upgrade).
 *
 * Checked: records the guest posts while the VM is paused, and records a
 * host endpoint had not read, arrive once and in order; records for a
 * port bound before the handover are held until it is bound again; the
 * guest sees no reset (link state and generation kept); host endpoints
 * read ESHUTDOWN and open() fails with EAGAIN while frozen; states that
 * are corrupt, truncated or for another VM are refused with EPROTO; the
 * errors of each step; closing the quiescing file without an export
 * resumes everything; after an export, only "cancel" in sysfs opens the
 * module again.
 */
#include <sys/syscall.h>

#include "vmmgmt_host_vm.h"

#define HO_PORT		4700
#define HO_STATE_MAX	VMMGMT_HOST_HANDOVER_STATE_MAX
#define HANDOVER_ATTR	"/sys/class/misc/vmmgmt-host/handover"

FIXTURE(handover) {
	int dev;
	int ep;
	struct fake_vm a;
	struct vmmgmt_host_vm_export ex;
	void *state;
};

/*
 * ADD_VM of @f as a PERSIST VM whose QEMU is this process.  A VM of the
 * same id that the previous test left is gone once the module saw that
 * test's process exit (its QEMU as far as the module knows): up to 5 s.
 */
static int add_persist(int dev, struct fake_vm *f)
{
	struct vmmgmt_host_vm_add r;
	double end = vmmgmt_now_s() + 5;
	int ret;

	fake_vm_req(f, &r);
	r.flags = VMMGMT_HOST_VM_F_PERSIST;
	r.qemu_pid = getpid();
	while ((ret = add_vm(dev, &r)) == -EEXIST && vmmgmt_now_s() < end)
		vmmgmt_sleep_ms(20);
	return ret ? ret : fake_vm_attach(f);
}

FIXTURE_SETUP(handover)
{
	self->ep = -1;
	self->state = NULL;
	if (!open_host_dev(_metadata, &self->dev))
		return;
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, add_persist(self->dev, &self->a));
	self->state = malloc(HO_STATE_MAX);
	ASSERT_NE(NULL, self->state);
}

FIXTURE_TEARDOWN(handover)
{
	struct vmmgmt_host_quiesce q = { };
	int fd, v;

	if (self->ep >= 0)
		close(self->ep);
	/* Whatever a failed test left: resumed, then removed. */
	if (self->dev >= 0)
		ioctl(self->dev, VMMGMT_HOST_IOC_RESUME, &q);
	vmmgmt_write_text(HANDOVER_ATTR, "cancel");
	/*
	 * Removed through the file that owns it; one a test imported through
	 * a file it closed is an orphan, which any file may remove.
	 */
	fd = open_dev();
	if ((self->dev < 0 || del_vm(self->dev, ID_A)) && fd >= 0)
		del_vm(fd, ID_A);
	if (fd >= 0)
		close(fd);
	if (self->ex.add.region_fd > 0) {
		close(self->ex.add.region_fd);
		for (v = 0; v < (int)self->ex.add.nr_vectors; v++) {
			close(self->ex.add.kick_fds[v]);
			close(self->ex.add.call_fds[v]);
		}
	}
	free(self->state);
	fake_vm_fini(&self->a);
	if (self->dev >= 0)
		close(self->dev);
}

static int quiesce(int fd, struct vmmgmt_host_quiesce *q)
{
	memset(q, 0, sizeof(*q));
	return ioctl(fd, VMMGMT_HOST_IOC_QUIESCE, q) ? -errno : 0;
}

static int resume(int fd, const __u32 *ports, __u32 nr)
{
	struct vmmgmt_host_quiesce q = { .nr_ports = nr };

	if (nr)
		memcpy(q.ports, ports, nr * sizeof(*ports));
	return ioctl(fd, VMMGMT_HOST_IOC_RESUME, &q) ? -errno : 0;
}

static int export_vm(int fd, __u32 id, void *state, __u32 len,
		     struct vmmgmt_host_vm_export *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->vm_id = id;
	ex->state = (__u64)(unsigned long)state;
	ex->state_len = len;
	return ioctl(fd, VMMGMT_HOST_IOC_EXPORT_VM, ex) ? -errno : 0;
}

static int import_vm(int fd, const struct vmmgmt_host_vm_export *ex,
		     const void *state, __u32 len)
{
	struct vmmgmt_host_vm_import im = { .add = ex->add };

	im.state = (__u64)(unsigned long)state;
	im.state_len = len;
	return ioctl(fd, VMMGMT_HOST_IOC_IMPORT_VM, &im) ? -errno : 0;
}

/* A bound host endpoint on @port. */
static int ep_open(__u32 port)
{
	int fd = open_dev();

	if (fd < 0)
		return -1;
	if (ep_bind(fd, &port)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive records @from..@to - 1 at @fd, each once and in order. */
static void recv_seq(struct __test_metadata *_metadata, int fd, __u64 from,
		     __u64 to)
{
	static __u8 data[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h = { };
	__u64 i;

	for (i = from; i < to; i++) {
		ASSERT_EQ(0, ep_recv(fd, &h, data, WAIT_MS)) TH_LOG("record %llu", i);
		ASSERT_EQ(i, h.id);
		ASSERT_EQ((__u32)ID_A, h.src.vm);
	}
}

/* Post records @from..@to - 1 from the fake guest to HO_PORT. */
static void send_seq(struct __test_metadata *_metadata, struct fake_vm *f,
		     __u64 from, __u64 to)
{
	__u64 i;

	for (i = from; i < to; i++)
		ASSERT_EQ(0, fake_send(f, i, HO_PORT, &i, sizeof(i), 0));
}

/*
 * The whole path: records read before, records left unread in the
 * endpoint, records posted while paused; the state checked and refused
 * when damaged; the VM taken back; the port held until bound again.
 */
TEST_F(handover, export_import)
{
	struct vmmgmt_host_vm_state_hdr sh;
	struct vmmgmt_host_quiesce q, q2;
	struct pollfd p;
	__u8 buf[64];
	__u32 gen, len, bad_len, port;
	__u8 *bad;
	int fd;

	self->ep = ep_open(HO_PORT);
	ASSERT_LE(0, self->ep);
	send_seq(_metadata, &self->a, 0, 10);
	recv_seq(_metadata, self->ep, 0, 5);
	/* 5..9 are in the endpoint's queue when the module quiesces. */
	usleep(100 * 1000);
	gen = self->a.hdr->generation;

	ASSERT_EQ(0, quiesce(self->dev, &q));
	EXPECT_EQ((__u32)VMMGMT_HOST_HANDOVER_FORMAT, q.format);
	ASSERT_LE(1U, q.nr_ports);
	for (port = 0; port < q.nr_ports && q.ports[port] != HO_PORT; port++)
		;
	EXPECT_LT(port, q.nr_ports) TH_LOG("port %u not among the bound ports", HO_PORT);
	/* Frozen: a second quiesce, new files, sends; reads drain first. */
	EXPECT_EQ(-EBUSY, quiesce(self->ep, &q2));
	fd = open_dev();
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EAGAIN, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ESHUTDOWN, ep_send(self->ep, ID_A, GUEST_PORT, 1, buf, 8, 0));
	p.fd = self->ep;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLHUP);
	recv_seq(_metadata, self->ep, 5, 10);
	EXPECT_EQ(-1, read(self->ep, buf, sizeof(buf)));
	EXPECT_EQ(ESHUTDOWN, errno);
	/* The guest goes on posting: the records wait in its ring. */
	send_seq(_metadata, &self->a, 10, 40);

	/* Export: wrong file, too small a buffer, then for real. */
	EXPECT_EQ(-EPERM, export_vm(self->ep, ID_A, self->state, HO_STATE_MAX, &self->ex));
	EXPECT_EQ(-ENOENT, export_vm(self->dev, ID_B, self->state, HO_STATE_MAX, &self->ex));
	EXPECT_EQ(-ENOSPC, export_vm(self->dev, ID_A, self->state, 16, &self->ex));
	EXPECT_LT(16U, self->ex.state_len);
	ASSERT_EQ(0, export_vm(self->dev, ID_A, self->state, HO_STATE_MAX, &self->ex));
	len = self->ex.state_len;
	memcpy(&sh, self->state, sizeof(sh));
	EXPECT_EQ((__u32)VMMGMT_HOST_STATE_MAGIC, sh.magic);
	EXPECT_EQ((__u32)VMMGMT_HOST_HANDOVER_FORMAT, sh.format);
	EXPECT_EQ(len, sh.len);
	EXPECT_EQ((__u32)ID_A, sh.vm_id);
	EXPECT_EQ((__u32)ID_A, self->ex.add.vm_id);
	EXPECT_EQ((__u32)VMMGMT_HOST_VM_F_PERSIST, self->ex.add.flags);
	EXPECT_EQ(getpid(), (pid_t)self->ex.add.qemu_pid);
	EXPECT_STREQ("t-alpha", (char *)self->ex.add.name);
	EXPECT_LE(0, fcntl(self->ex.add.region_fd, F_GETFD));
	EXPECT_LE(0, fcntl(self->ex.add.kick_fds[0], F_GETFD));
	EXPECT_LE(0, fcntl(self->ex.add.call_fds[0], F_GETFD));
	/* Gone from the module; the guest saw nothing. */
	EXPECT_EQ(-1, vm_attr_num("t-alpha", "generation"));
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->a.hdr->link_state);
	EXPECT_EQ(gen, self->a.hdr->generation);

	/* Damaged states: nothing registered. */
	bad = malloc(len);
	ASSERT_NE(NULL, bad);
	memcpy(bad, self->state, len);
	bad[0] ^= 1;
	EXPECT_EQ(-EPROTO, import_vm(self->dev, &self->ex, bad, len));
	memcpy(bad, self->state, len);
	((struct vmmgmt_host_vm_state_hdr *)bad)->vm_id = ID_B;
	EXPECT_EQ(-EPROTO, import_vm(self->dev, &self->ex, bad, len));
	memcpy(bad, self->state, len);
	((struct vmmgmt_host_vm_state_hdr *)bad)->format = VMMGMT_HOST_HANDOVER_FORMAT + 1;
	EXPECT_EQ(-EPROTO, import_vm(self->dev, &self->ex, bad, len));
	bad_len = len - 8;
	memcpy(bad, self->state, bad_len);
	((struct vmmgmt_host_vm_state_hdr *)bad)->len = bad_len;
	EXPECT_EQ(-EPROTO, import_vm(self->dev, &self->ex, bad, bad_len));
	EXPECT_EQ(-EPROTO, import_vm(self->dev, &self->ex, bad, 4));
	free(bad);
	EXPECT_EQ(-1, vm_attr_num("t-alpha", "generation"));

	/* Back into the module, paused until resumed. */
	ASSERT_EQ(0, import_vm(self->dev, &self->ex, self->state, len));
	EXPECT_EQ(-EEXIST, import_vm(self->dev, &self->ex, self->state, len));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "handovers"));
	EXPECT_EQ((long long)gen, vm_attr_num("t-alpha", "generation"));
	close(self->ep);
	self->ep = -1;
	ASSERT_EQ(0, resume(self->dev, &q.ports[port], 1));
	/* Records to HO_PORT are held while it is unbound. */
	usleep(300 * 1000);
	self->ep = ep_open(HO_PORT);
	ASSERT_LE(0, self->ep);
	recv_seq(_metadata, self->ep, 10, 40);
	send_seq(_metadata, &self->a, 40, 50);
	recv_seq(_metadata, self->ep, 40, 50);
	EXPECT_EQ(gen, self->a.hdr->generation);
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->a.hdr->link_state);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 1));
}

/* Closing the quiescing file before any export resumes everything. */
TEST_F(handover, close_resumes)
{
	struct vmmgmt_host_quiesce q;
	char st[32];
	int fd;

	fd = open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, quiesce(fd, &q));
	EXPECT_EQ(0, vmmgmt_read_attr("/sys/class/misc/vmmgmt-host", "handover", st,
				      sizeof(st)));
	EXPECT_STREQ("quiesced", st);
	EXPECT_EQ(-EBUSY, resume(self->dev, NULL, 0));
	close(fd);
	EXPECT_EQ(0, vmmgmt_read_attr("/sys/class/misc/vmmgmt-host", "handover", st,
				      sizeof(st)));
	EXPECT_STREQ("none", st);
	fd = open_dev();
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 1));
}

/*
 * After an export the module stays frozen when the file closes, until
 * "cancel" (the daemon could not unload it); then the VM is imported
 * through a new file and runs.
 */
TEST_F(handover, cancel)
{
	struct vmmgmt_host_quiesce q;
	char st[32];
	int fd;

	fd = open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, quiesce(fd, &q));
	ASSERT_EQ(0, export_vm(fd, ID_A, self->state, HO_STATE_MAX, &self->ex));
	close(fd);
	EXPECT_EQ(0, vmmgmt_read_attr("/sys/class/misc/vmmgmt-host", "handover", st,
				      sizeof(st)));
	EXPECT_STREQ("exported", st);
	fd = open_dev();
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(HANDOVER_ATTR, "resume"));
	ASSERT_EQ(0, vmmgmt_write_text(HANDOVER_ATTR, "cancel"));
	fd = open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, import_vm(fd, &self->ex, self->state, self->ex.state_len));
	ASSERT_EQ(0, resume(fd, NULL, 0));
	close(fd);
	/* An orphan now: its importing file is closed. */
	EXPECT_EQ(1, vm_attr_num("t-alpha", "orphan"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 1));
}

/* Bad arguments, and ADD_VM while quiesced. */
TEST_F(handover, errors)
{
	struct vmmgmt_host_quiesce q = { .flags = 1 };
	struct fake_vm b;

	EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_QUIESCE, &q));
	EXPECT_EQ(EINVAL, errno);
	q.flags = 0;
	q.nr_ports = VMMGMT_HOST_HANDOVER_PORTS + 1;
	EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_RESUME, &q));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EPERM, export_vm(self->dev, ID_A, self->state, HO_STATE_MAX, &self->ex));
	ASSERT_EQ(0, quiesce(self->dev, &q));
	ASSERT_EQ(0, fake_vm_init(&b, ID_B, "t-beta", REGION));
	EXPECT_EQ(-EBUSY, fake_vm_add(self->dev, &b));
	fake_vm_fini(&b);
	ASSERT_EQ(0, resume(self->dev, NULL, 0));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 20, 1));
}

TEST_HARNESS_MAIN
