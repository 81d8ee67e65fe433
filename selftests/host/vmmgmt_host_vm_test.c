// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): registration and
 * its validation, the echo service, undeliverable records, a full
 * host-to-guest ring, quotas, channel resets, and the trace events of
 * all of these (tracefs events/vmmgmt_host/).
 */
#include "vmmgmt_host_vm.h"
#include "../vmmgmt_tracefs.h"

static void check_bad(struct __test_metadata *_metadata, int dev,
		      const struct vmmgmt_host_vm_add *r, int want,
		      const char *what)
{
	int ret = add_vm(dev, r);

	EXPECT_EQ(want, ret) {
		TH_LOG("%s: got %d, want %d", what, ret, want);
	}
}

FIXTURE(vm) {
	int dev;
	struct fake_vm a, b;
};

FIXTURE_SETUP(vm)
{
	if (!open_host_dev(_metadata, &self->dev))
		return;
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, fake_vm_init(&self->b, ID_B, "t-beta", REGION));
}

FIXTURE_TEARDOWN(vm)
{
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

TEST_F(vm, add_del)
{
	struct vmmgmt_region_header *h = self->a.hdr;
	char buf[64];
	int other;

	h->generation = 41;
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	EXPECT_EQ(VMMGMT_MAGIC, h->magic);
	EXPECT_EQ(VMMGMT_ABI_MAJOR, h->abi_major);
	EXPECT_EQ(VMMGMT_ABI_MINOR, h->abi_minor);
	EXPECT_EQ(sizeof(*h), h->header_size);
	EXPECT_EQ((__u64)REGION, h->region_size);
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, h->link_state);
	EXPECT_EQ((__u32)ID_A, h->vm_id);
	EXPECT_EQ(42U, h->generation);
	EXPECT_STREQ("t-alpha", (char *)h->name);
	/* Ring layout: control blocks apart, data areas powers of two. */
	EXPECT_EQ(0U, h->rings[0].ctrl_offset % VMMGMT_CACHELINE);
	EXPECT_EQ(0U, h->rings[1].ctrl_offset % VMMGMT_CACHELINE);
	EXPECT_LE(sizeof(*h), h->rings[0].ctrl_offset);
	EXPECT_LE(h->rings[0].ctrl_offset + sizeof(struct vmmgmt_ring_ctrl),
		  h->rings[1].ctrl_offset);
	EXPECT_EQ(0U, h->rings[0].data_size & (h->rings[0].data_size - 1));
	EXPECT_LE((__u32)VMMGMT_RING_MIN_DATA, h->rings[1].data_size);
	EXPECT_LE(h->rings[0].data_offset + h->rings[0].data_size,
		  h->rings[1].data_offset);
	EXPECT_GE((__u32)REGION, h->rings[1].data_offset + h->rings[1].data_size);

	ASSERT_EQ(0, vm_attr("t-alpha", "link_state", buf, sizeof(buf)));
	EXPECT_STREQ("up", buf);
	EXPECT_EQ(ID_A, vm_attr_num("t-alpha", "vm_id"));
	EXPECT_EQ(getpid(), vm_attr_num("t-alpha", "qemu_pid"));
	EXPECT_EQ(42, vm_attr_num("t-alpha", "generation"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ(1, count_threads("vmmgmt-t-alpha"));

	/* Only the file that added it can remove it. */
	other = open_dev();
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENOENT, del_vm(other, ID_A));
	close(other);
	/*
	 * Closing our kick eventfd is not its last file: the module holds
	 * one for the VM's lifetime (ABI 0.9, handed on in a handover), so
	 * no EPOLLHUP comes and the VM runs on.
	 */
	EXPECT_EQ(0, vm_attr_num("t-alpha", "hangups"));
	close(self->a.kick[1]);
	self->a.kick[1] = -1;
	EXPECT_EQ(0, vm_attr_num("t-alpha", "hangups"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 10, 500));
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
	EXPECT_EQ(-ENOENT, del_vm(self->dev, ID_A));
	EXPECT_EQ((__u32)VMMGMT_LINK_DOWN, h->link_state);
	EXPECT_NE(0, access(VMMGMT_HOST_VMS_SYSFS "/t-alpha", F_OK));
	EXPECT_EQ(0, count_threads_settled("vmmgmt-t-alpha", 1000));
	/* The same region again: a new generation. */
	self->a.kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->a.kick[1]);
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	EXPECT_EQ(43U, h->generation);
}

TEST_F(vm, add_validation)
{
	struct vmmgmt_host_vm_add r, ok, rb;
	struct vmmgmt_host_vm_del d;
	int pipefd[2], fd;
	char path[64];

	fake_vm_req(&self->a, &ok);
#define BAD(errno_, stmt) do { \
		r = ok; \
		stmt; \
		check_bad(_metadata, self->dev, &r, -(errno_), #stmt); \
	} while (0)
	/* ABI 0.8: PERSIST (0x1) is the one flag ADD_VM knows. */
	BAD(EINVAL, r.flags = VMMGMT_HOST_VM_F_ORPHAN);
	BAD(EINVAL, r.flags = VMMGMT_HOST_VM_F_PERSIST | 0x80000000u);
	BAD(EINVAL, r.pad = 1);
	BAD(EINVAL, r.reserved[4] = 1);
	BAD(EINVAL, r.vm_id = 0);
	BAD(EINVAL, r.vm_id = VMMGMT_VM_ID_MAX + 1);
	BAD(EINVAL, r.nr_vectors = 0);
	BAD(EINVAL, r.nr_vectors = VMMGMT_VECTORS_MAX + 1);
	BAD(EINVAL, memset(r.name, 0, sizeof(r.name)));
	BAD(EINVAL, r.name[2] = '/');
	BAD(EINVAL, r.name[0] = ' ');
	BAD(EINVAL, memset(r.name, 'x', sizeof(r.name)));
	BAD(EINVAL, r.name[sizeof(r.name) - 1] = 'x');	/* junk after NUL */
	BAD(EBADF, r.kick_fds[1] = -1);
	BAD(EBADF, r.call_fds[0] = 999);
	BAD(EBADF, r.region_fd = -1);
	ASSERT_EQ(0, pipe(pipefd));
	BAD(EINVAL, r.kick_fds[0] = pipefd[0]);
	BAD(EINVAL, r.call_fds[1] = pipefd[1]);
	BAD(EINVAL, r.region_fd = pipefd[0]);
	BAD(EINVAL, r.region_fd = self->a.kick[0]);
	close(pipefd[0]);
	close(pipefd[1]);

	fd = make_region(REGION, 0);			/* unsealed */
	ASSERT_LE(0, fd);
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = make_region(REGION, F_SEAL_SHRINK);	/* may grow */
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = make_region(REGION, F_SEAL_GROW);		/* may shrink */
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = make_region(96 << 10, SEALS);		/* not a power of two */
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = make_region(VMMGMT_REGION_MIN_SIZE / 2, SEALS);
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = make_region(VMMGMT_REGION_MAX_SIZE * 2, SEALS);
	BAD(EINVAL, r.region_fd = fd);
	close(fd);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);	/* not shmem */
	BAD(EINVAL, r.region_fd = fd);
	close(fd);

	/* Nothing of the above registered anything. */
	EXPECT_NE(0, access(VMMGMT_HOST_VMS_SYSFS "/t-alpha", F_OK));
	ASSERT_EQ(0, add_vm(self->dev, &ok));
	/* Duplicate id, duplicate name, another VM's region. */
	BAD(EEXIST, memcpy(r.name, "t-other", 8));
	BAD(EEXIST, r.vm_id = ID_B);
	fake_vm_req(&self->b, &rb);
	r = rb;
	r.region_fd = self->a.memfd;
	check_bad(_metadata, self->dev, &r, -EEXIST, "alpha's region for beta");
	/* Alpha's region opened again (another file, the same memory). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->a.memfd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	r.region_fd = fd;
	check_bad(_metadata, self->dev, &r, -EEXIST, "alpha's region reopened");
	close(fd);
	EXPECT_EQ(0, add_vm(self->dev, &rb));
	EXPECT_EQ(-EFAULT, ioctl(self->dev, VMMGMT_HOST_IOC_ADD_VM, NULL) ? -errno : 0);

	memset(&d, 0, sizeof(d));
	d.vm_id = ID_A;
	d.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_DEL_VM, &d));
	EXPECT_EQ(EINVAL, errno);
	d.flags = 0;
	d.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_DEL_VM, &d));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, del_vm(self->dev, 0));
	EXPECT_EQ(-ENOENT, del_vm(self->dev, 4242));
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
	/* Closing the file removes the VMs it added (beta). */
	close(self->dev);
	self->dev = -1;
	EXPECT_NE(0, access(VMMGMT_HOST_VMS_SYSFS "/t-beta", F_OK));
#undef BAD
}

TEST_F(vm, echo_10000)
{
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	ASSERT_EQ(0, echo_run(_metadata, &self->a, 10000, 1));
	EXPECT_EQ(10000, vm_attr_num("t-alpha", "rx_msgs"));
	EXPECT_EQ(10000, vm_attr_num("t-alpha", "tx_msgs"));
	EXPECT_EQ(vm_attr_num("t-alpha", "rx_bytes"),
		  vm_attr_num("t-alpha", "tx_bytes"));
	EXPECT_LT(0, vm_attr_num("t-alpha", "kicks"));
	EXPECT_LT(0, vm_attr_num("t-alpha", "notifications_sent"));
	/*
	 * Notification suppression bounds the doorbells; with one vCPU the
	 * host drains each record before the next is posted, so about one
	 * per message is expected there, never many more.
	 */
	EXPECT_GE(2 * 10000, vm_attr_num("t-alpha", "kicks"));
	EXPECT_GE(2 * 10000, vm_attr_num("t-alpha", "notifications_sent"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->a.hdr->link_state);
}

TEST_F(vm, undeliverable)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;
	__u32 val;

	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	ASSERT_EQ(0, fake_send(&self->a, 1, 99, "x", 1, 0));
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(1ULL, h.id);
	EXPECT_EQ(VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR, h.flags);
	ASSERT_EQ(sizeof(val), h.len);
	memcpy(&val, buf, sizeof(val));
	EXPECT_EQ((__u32)ECONNREFUSED, val);
	EXPECT_EQ(99U, h.src.port);
	EXPECT_EQ((__u32)ID_A, h.dst.vm);
	/* A response nobody asked for: dropped without an answer. */
	ASSERT_EQ(0, fake_send(&self->a, 2, 99, "y", 1, VMMGMT_REC_F_RESPONSE));
	/* An echo after it shows it was handled, and in order. */
	ASSERT_EQ(0, fake_send(&self->a, 3, VMMGMT_PORT_ECHO, "z", 1, 0));
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(3ULL, h.id);
	EXPECT_EQ(2, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(3, vm_attr_num("t-alpha", "rx_msgs"));
}

/*
 * Fill both rings without reading: once the H2G ring is full the host
 * leaves the requests in the G2H ring (it drops nothing), and it carries
 * on when the guest consumes and rings the doorbell.
 */
TEST_F(vm, h2g_full_no_drop)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	unsigned int i, round, before, sent = 0;
	struct vmmgmt_rec h;

	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	memset(buf, 0xa5, sizeof(buf));
	/*
	 * 8 KiB records: about 31 fit in each 256 KiB ring.  Post until a
	 * round after a pause adds nothing: the host has filled H2G and
	 * stopped taking from G2H.
	 */
	for (round = 0; round < 50; round++) {
		before = sent;
		while (!fake_send(&self->a, sent, VMMGMT_PORT_ECHO, buf, 8192, 0))
			sent++;
		if (round && sent == before)
			break;
		vmmgmt_sleep_ms(200);
	}
	/* Both rings full: more than one ring's worth is kept. */
	EXPECT_LT(40U, sent);
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS)) {
			TH_LOG("answer %u of %u", i, sent);
		}
		EXPECT_EQ((__u64)i, h.id);
	}
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(sent, vm_attr_num("t-alpha", "tx_msgs"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
}

/* Write @val to the VM's quota/@attr; 0 or -errno. */
static int quota_write(const char *name, const char *attr, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/quota/%s", name, attr);
	return vmmgmt_write_text(path, val);
}

/*
 * Quotas (vms/<name>/quota/): a VM starts with the module's defaults; a
 * VM over its records or bytes per second is throttled (counted), its
 * records wait in the ring and none is dropped, and it gets no more than
 * its rate plus one bucket (and one batch over it, for bytes).
 */
TEST_F(vm, quota_throttles_no_drop)
{
	char want[64], got[64];
	long long th0, rx0, bytes;
	double t0, secs;

	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	ASSERT_EQ(0, vmmgmt_read_text("/sys/module/vmmgmt_host/parameters/quota_msgs",
				      want, sizeof(want)));
	ASSERT_EQ(0, vm_attr("t-alpha", "quota/msgs_per_s", got, sizeof(got)));
	EXPECT_STREQ(want, got);
	ASSERT_EQ(0, vmmgmt_read_text("/sys/module/vmmgmt_host/parameters/quota_bytes",
				      want, sizeof(want)));
	ASSERT_EQ(0, vm_attr("t-alpha", "quota/bytes_per_s", got, sizeof(got)));
	EXPECT_STREQ(want, got);
	EXPECT_EQ(-EINVAL, quota_write("t-alpha", "msgs_per_s", "lots"));
	EXPECT_EQ(-EINVAL, quota_write("t-alpha", "bytes_per_s", "-1"));

	/* 1500 records at 1000/s, a bucket of 64 to start with: >= 1.4 s. */
	ASSERT_EQ(0, quota_write("t-alpha", "msgs_per_s", "1000"));
	ASSERT_EQ(0, quota_write("t-alpha", "bytes_per_s", "0"));
	th0 = vm_attr_num("t-alpha", "quota/throttled");
	t0 = vmmgmt_now_s();
	ASSERT_EQ(0, echo_run(_metadata, &self->a, 1500, 1));
	secs = vmmgmt_now_s() - t0;
	TH_LOG("1500 records at 1000/s: %.2f s, throttled %lld times", secs,
	       vm_attr_num("t-alpha", "quota/throttled") - th0);
	EXPECT_LE(1.4, secs);
	EXPECT_LT(th0, vm_attr_num("t-alpha", "quota/throttled"));
	EXPECT_LT(0, vm_attr_num("t-alpha", "quota/throttled_us"));

	/*
	 * Bytes alone at 2 MiB/s: at most a bucket (64 KiB) plus the rate
	 * plus the last batch (64 records, well below 1 MiB here).
	 */
	ASSERT_EQ(0, quota_write("t-alpha", "msgs_per_s", "0"));
	ASSERT_EQ(0, quota_write("t-alpha", "bytes_per_s", "2097152"));
	th0 = vm_attr_num("t-alpha", "quota/throttled");
	rx0 = vm_attr_num("t-alpha", "rx_bytes");
	t0 = vmmgmt_now_s();
	ASSERT_EQ(0, echo_run(_metadata, &self->a, 1000, 2000));
	secs = vmmgmt_now_s() - t0;
	bytes = vm_attr_num("t-alpha", "rx_bytes") - rx0;
	TH_LOG("%lld bytes at 2 MiB/s: %.2f s, throttled %lld times", bytes,
	       secs, vm_attr_num("t-alpha", "quota/throttled") - th0);
	EXPECT_LT(2 * 1024 * 1024, bytes);
	EXPECT_LE((bytes - 1024 * 1024) / 2097152.0, secs);
	EXPECT_LT(th0, vm_attr_num("t-alpha", "quota/throttled"));

	EXPECT_EQ(2500, vm_attr_num("t-alpha", "rx_msgs"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "drops"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
}

/*
 * A reset while the link is up drops what is in flight and starts from
 * index 0; a request made before registration is served by it (reset_ack
 * equal, no reset counted); the same value again is no request.
 */
TEST_F(vm, reset_while_up)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct fake_vm *a = &self->a;
	struct vmmgmt_rec h;
	unsigned int i;
	__u32 gen;

	a->hdr->reset_request = 77;
	ASSERT_EQ(0, fake_vm_add(self->dev, a));
	EXPECT_EQ(77U, a->hdr->reset_ack);
	EXPECT_EQ(77U, a->hdr->reset_request);
	gen = a->hdr->generation;
	/* Kicks with the same value: nothing happens. */
	kick(a->kick[0]);
	ASSERT_EQ(0, echo_run(_metadata, a, 20, 1));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "resets"));
	EXPECT_EQ(gen, a->hdr->generation);

	/* Requests in flight, answers unread: all gone after the reset. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, fake_send(a, 100 + i, VMMGMT_PORT_ECHO, "in flight", 9, 0));
	vmmgmt_sleep_ms(100);
	ASSERT_EQ(0, fake_reset(a, WAIT_MS));
	EXPECT_EQ(gen + 1, a->hdr->generation);
	EXPECT_EQ(78U, a->hdr->reset_ack);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "resets"));
	EXPECT_EQ(0U, a->h2g.ctrl->head);
	EXPECT_EQ(-EAGAIN, vmmgmt_ring_pop(&a->h2g, &h, buf, sizeof(buf)));
	ASSERT_EQ(0, echo_run(_metadata, a, 200, 1000));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
}

struct reset_spammer {
	struct fake_vm *f;
	unsigned long requests;
	bool stop;		/* __atomic accesses */
};

/* A guest that asks for a reset and rings the doorbell, over and over. */
static void *reset_spam_fn(void *arg)
{
	struct reset_spammer *sp = arg;
	struct fake_vm *f = sp->f;

	while (!__atomic_load_n(&sp->stop, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&f->hdr->reset_request, 1, __ATOMIC_RELEASE);
		kick(f->kick[0]);
		sp->requests++;
	}
	return NULL;
}

/*
 * One VM asks for resets as fast as it can while another runs echo
 * traffic: the other VM loses nothing and sees no reset or violation;
 * the spammer gets at most one reset per request and per kick, and
 * works again after a last, orderly reset.
 */
TEST_F(vm, reset_spam_spares_others)
{
	struct reset_spammer sp = { .f = &self->a };
	long long resets, kicks;
	pthread_t t;

	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->b));
	ASSERT_EQ(0, pthread_create(&t, NULL, reset_spam_fn, &sp));
	EXPECT_EQ(0, echo_run(_metadata, &self->b, 3000, 1));
	__atomic_store_n(&sp.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* Let the worker finish with the last request. */
	vmmgmt_sleep_ms(300);

	resets = vm_attr_num("t-alpha", "resets");
	kicks = vm_attr_num("t-alpha", "kicks");
	TH_LOG("%lu requests, %lld kicks, %lld resets", sp.requests, kicks,
	       resets);
	EXPECT_LT(0, resets);
	EXPECT_GE((long long)sp.requests, resets);
	EXPECT_GE(kicks + 1, resets);
	EXPECT_EQ(0, vm_attr_num("t-beta", "resets"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "violations"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "drops"));
	EXPECT_EQ(3000, vm_attr_num("t-beta", "rx_msgs"));

	ASSERT_EQ(0, fake_reset(&self->a, WAIT_MS));
	EXPECT_LE(resets + 1, vm_attr_num("t-alpha", "resets"));
	EXPECT_GE(resets + 2, vm_attr_num("t-alpha", "resets"));
	ASSERT_EQ(0, echo_run(_metadata, &self->a, 200, 1));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "violations"));
}

/*
 * The module's trace events (Documentation/vmmgmt.rst, "Trace events"),
 * turned on through tracefs: each record consumed and posted, the drop
 * of an answer nobody asked for, the doorbells and interrupts (as many
 * as the VM's counters say), a reset, and a ring violation, each naming
 * the VM.  Events of other VMs do not count.
 */
TEST_F(vm, trace_events)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct fake_vm *a = &self->a;
	long kicks, calls, n;
	struct vmmgmt_rec h;
	int ret;

	ASSERT_EQ(0, fake_vm_add(self->dev, a));
	ret = vmmgmt_tracefs_events("vmmgmt_host", true);
	ASSERT_EQ(0, ret)
		TH_LOG("tracefs events/vmmgmt_host: %s", strerror(-ret));
	kicks = vm_attr_num("t-alpha", "kicks");
	calls = vm_attr_num("t-alpha", "notifications_sent");
	ASSERT_EQ(0, echo_run(_metadata, a, 20, 1));
	/* A response nobody asked for: consumed and dropped. */
	ASSERT_EQ(0, fake_send(a, 50, 99, "y", 1, VMMGMT_REC_F_RESPONSE));
	ASSERT_EQ(0, fake_send(a, 51, VMMGMT_PORT_ECHO, "z", 1, 0));
	ASSERT_EQ(0, fake_recv(a, &h, buf, sizeof(buf), WAIT_MS));
	kicks = vm_attr_num("t-alpha", "kicks") - kicks;
	calls = vm_attr_num("t-alpha", "notifications_sent") - calls;
	ASSERT_EQ(0, fake_reset(a, WAIT_MS));
	/* A head too far ahead: the G2H ring is broken (HEAD_AHEAD, 1). */
	a->g2h.ctrl->head += a->g2h.size + 8;
	kick(a->kick[0]);
	ASSERT_TRUE(wait_link(a, VMMGMT_LINK_BROKEN, WAIT_MS));
	ASSERT_EQ(0, vmmgmt_tracefs_events("vmmgmt_host", false));

	/* The 20 echoes, the dropped response and the last echo. */
	n = vmmgmt_tracefs_countf("vmmgmt_host_rx", "vm=%u mode=%u ", ID_A,
				  VMMGMT_MODE_CHAT);
	EXPECT_EQ(22, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_tx", "vm=%u mode=%u ", ID_A,
				  VMMGMT_MODE_CHAT);
	EXPECT_EQ(21, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_tx", "src=0:%u:%u dst=0:%u:%u",
				  VMMGMT_HOST_PEER_ID, VMMGMT_PORT_ECHO, ID_A,
				  GUEST_PORT);
	EXPECT_EQ(21, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_drop", "vm=%u ", ID_A);
	EXPECT_EQ(1, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_drop", "dst=0:%u:99",
				  VMMGMT_HOST_PEER_ID);
	EXPECT_EQ(1, n);
	/* At least as many as counted between the reads of the counters. */
	EXPECT_LE(1, kicks);
	EXPECT_LE(1, calls);
	n = vmmgmt_tracefs_countf("vmmgmt_host_notify", "vm=%u doorbell", ID_A);
	EXPECT_LE(kicks, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_notify", "vm=%u interrupt",
				  ID_A);
	EXPECT_LE(calls, n);
	n = vmmgmt_tracefs_countf("vmmgmt_host_reset", "vm=%u ", ID_A);
	EXPECT_EQ(1, n);
	/* enum vmmgmt_ring_err: VMMGMT_RING_ERR_HEAD_AHEAD. */
	n = vmmgmt_tracefs_countf("vmmgmt_host_violation",
				  "vm=%u ring=g2h err=%d", ID_A,
				  VMMGMT_RING_ERR_HEAD_AHEAD);
	EXPECT_EQ(1, n);
	/* The other VM was not added: nothing of it. */
	n = vmmgmt_tracefs_countf("vmmgmt_host_rx", "vm=%u ", ID_B);
	EXPECT_EQ(0, n);
}

/*
 * The kernel log is limited per VM: a guest that breaks its ring and
 * resets it over and over uses up its own lines (at most
 * VMMGMT_HOST_LOG_BURST, 10, every 5 s), and another VM's violation
 * right after still gets its line.
 */
TEST_F(vm, log_limit_per_vm)
{
	struct fake_vm *a = &self->a, *b = &self->b;
	char want[128];
	int kmsg, i, n;

	ASSERT_EQ(0, fake_vm_add(self->dev, a));
	ASSERT_EQ(0, fake_vm_add(self->dev, b));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	for (i = 0; i < 30; i++) {
		b->g2h.ctrl->head += b->g2h.size + 8;
		kick(b->kick[0]);
		ASSERT_TRUE(wait_link(b, VMMGMT_LINK_BROKEN, WAIT_MS));
		ASSERT_EQ(0, fake_reset(b, WAIT_MS));
	}
	EXPECT_EQ(30, vm_attr_num("t-beta", "violations"));
	snprintf(want, sizeof(want), "t-beta (id %u): G2H ring violation", ID_B);
	n = kmsg_count(kmsg, want);
	EXPECT_LE(1, n);
	EXPECT_GE(10, n);
	a->g2h.ctrl->head += a->g2h.size + 8;
	kick(a->kick[0]);
	ASSERT_TRUE(wait_link(a, VMMGMT_LINK_BROKEN, WAIT_MS));
	snprintf(want, sizeof(want), "t-alpha (id %u): G2H ring violation", ID_A);
	EXPECT_TRUE(kmsg_wait(kmsg, want, 2000)) TH_LOG("no line '%s'", want);
	close(kmsg);
}

TEST_HARNESS_MAIN
