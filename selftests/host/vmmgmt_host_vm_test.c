// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: VM registration, the echo service, host endpoints,
 * hostile guests and teardown, with this program playing vmmgmtd, host
 * applications and the guest.
 *
 * A fake VM is a sealed memfd and eventfds registered with
 * VMMGMT_HOST_IOC_ADD_VM; the test maps the region and runs the guest's
 * side of both rings with lib/vmmgmt_ring.c compiled in, as the guest
 * module does.  Runs in the host VM with vmmgmt_host.ko loaded; without
 * the device the tests are skipped unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>

/*
 * The harness and its TEST() expansions leave parameters unused, and
 * TEST_F()'s setjmp() wrapper trips -Wclobbered; the selftests build
 * with -Wextra -Werror.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "vmmgmt_host_util.h"

#define REGION		(1024 * 1024)
#define GUEST_PORT	5
#define WAIT_MS		5000

/* Ids and names that the VMs of the test bed (guest0=1, ...) do not use. */
#define ID_A		1001
#define ID_B		1002

/* Two registered fake VMs: @a as t-alpha (ID_A), @b as t-beta (ID_B). */
static int fake_vms_add(int dev, struct fake_vm *a, struct fake_vm *b)
{
	int ret;

	if (fake_vm_init(a, ID_A, "t-alpha", REGION) ||
	    fake_vm_init(b, ID_B, "t-beta", REGION))
		return -ENOMEM;
	ret = fake_vm_add(dev, a);
	return ret ? ret : fake_vm_add(dev, b);
}

/* Post one CHAT record from GUEST_PORT to (@vm, @port). */
static int fake_send_to(struct fake_vm *f, __u64 id, __u32 vm, __u32 port,
			const void *payload, __u32 len, __u16 flags)
{
	struct vmmgmt_rec r = {
		.len = len, .mode = VMMGMT_MODE_CHAT, .flags = flags, .id = id,
		.src = { .port = GUEST_PORT },
		.dst = { .vm = vm, .port = port },
	};

	return fake_post(f, &r, payload);
}

/* Post one request to the host. */
static int fake_send(struct fake_vm *f, __u64 id, __u32 port,
		     const void *payload, __u32 len, __u16 flags)
{
	return fake_send_to(f, id, VMMGMT_HOST_PEER_ID, port, payload, len,
			    flags);
}

/* Take one answer off the H2G ring, sleeping on call[0] when it is empty. */
static int fake_recv(struct fake_vm *f, struct vmmgmt_rec *h, void *buf,
		     size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = f->call[0], .events = POLLIN };
	__u64 cnt;
	int ret;

	vmmgmt_ring_cons_start(&f->h2g);
	for (;;) {
		ret = vmmgmt_ring_pop(&f->h2g, h, buf, size);
		if (!ret) {
			/* The host may wait for room for its next answer. */
			if (vmmgmt_ring_cons_need_notify(&f->h2g))
				kick(f->kick[0]);
			return 0;
		}
		if (ret != -EAGAIN)
			return ret;
		if (vmmgmt_ring_cons_stop(&f->h2g))
			continue;
		ret = poll(&p, 1, timeout_ms);
		if (ret <= 0)
			return ret ? -errno : -ETIMEDOUT;
		if (read(f->call[0], &cnt, sizeof(cnt)) != sizeof(cnt))
			return -EIO;
		vmmgmt_ring_cons_start(&f->h2g);
	}
}

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* A field of /proc/meminfo, in KiB. */
static long read_meminfo(const char *field)
{
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) &&
		    line[strlen(field)] == ':') {
			val = atol(line + strlen(field) + 1);
			break;
		}
	fclose(f);
	return val;
}

static bool wait_link(const struct fake_vm *f, __u32 state, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&f->hdr->link_state, __ATOMIC_ACQUIRE) == state)
			return true;
		vmmgmt_sleep_ms(10);
	}
	return false;
}

/*
 * Ask the host to reset @f's channel as the guest module does: a new
 * reset_request, the doorbell, then wait until reset_ack says it was
 * served and the link is UP (the ack first: the host writes it between
 * DOWN and UP), and attach to the fresh rings from index 0.
 */
static int fake_reset(struct fake_vm *f, int ms)
{
	__u32 req = __atomic_load_n(&f->hdr->reset_request, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&f->hdr->reset_request, req, __ATOMIC_RELEASE);
	kick(f->kick[0]);
	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&f->hdr->reset_ack, __ATOMIC_ACQUIRE) == req &&
		    __atomic_load_n(&f->hdr->link_state, __ATOMIC_ACQUIRE) ==
		    VMMGMT_LINK_UP)
			return fake_vm_attach(f);
		vmmgmt_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

static void fill(__u8 *buf, __u64 id, __u32 len)
{
	__u32 j;

	for (j = 0; j < len; j++)
		buf[j] = (__u8)(id * 31 + j);
}

/*
 * Send @n echo requests of pseudo-random sizes (every tenth up to the
 * ring's largest payload, the others up to 1 KiB, the first the largest),
 * pipelined, and check every answer: order, id, addresses, payload.
 */
static int echo_run(struct __test_metadata *_metadata, struct fake_vm *f,
		    unsigned int n, __u64 base_id)
{
	static __u8 out[VMMGMT_MSG_MAX], in[VMMGMT_MSG_MAX], want[VMMGMT_MSG_MAX];
	__u32 max = f->g2h.max_len, seed = 12345 + base_id, len;
	__u32 lens_ring[4096];
	unsigned int sent = 0, got = 0;
	struct vmmgmt_rec h;
	int ret;

	while (got < n) {
		while (sent < n && sent - got < 4096) {
			seed = seed * 1103515245 + 12345;
			if (!sent)
				len = max;
			else
				len = 1 + (seed >> 8) % (sent % 10 ? 1024 : max);
			fill(out, base_id + sent, len);
			ret = fake_send(f, base_id + sent, VMMGMT_PORT_ECHO, out,
					len, 0);
			if (ret == -ENOSPC)
				break;
			if (ret)
				return ret;
			lens_ring[sent % 4096] = len;
			sent++;
		}
		ret = fake_recv(f, &h, in, sizeof(in), WAIT_MS);
		if (ret) {
			TH_LOG("%s: no answer %u of %u (sent %u): %d", f->name,
			       got, n, sent, ret);
			return ret;
		}
		len = lens_ring[got % 4096];
		fill(want, base_id + got, len);
		if (h.id != base_id + got || h.len != len ||
		    h.flags != VMMGMT_REC_F_RESPONSE ||
		    h.mode != VMMGMT_MODE_CHAT ||
		    h.src.host || h.src.vm || h.src.port != VMMGMT_PORT_ECHO ||
		    h.dst.host || h.dst.vm != f->id ||
		    h.dst.port != GUEST_PORT || memcmp(in, want, len)) {
			TH_LOG("%s: answer %u: id %llu len %u flags %#x",
			       f->name, got, (unsigned long long)h.id, h.len,
			       h.flags);
			TH_LOG("src %u:%u dst %u:%u, want id %llu len %u",
			       h.src.vm, h.src.port, h.dst.vm,
			       h.dst.port, (unsigned long long)(base_id + got),
			       len);
			return -EBADMSG;
		}
		got++;
	}
	return 0;
}

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
	self->dev = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open " VMMGMT_HOST_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, fake_vm_init(&self->b, ID_B, "t-beta", REGION));
}

FIXTURE_TEARDOWN(vm)
{
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
	fake_vm_fini(&self->b);
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
	/* The last file of a kick eventfd goes: EPOLLHUP, counted. */
	EXPECT_EQ(0, vm_attr_num("t-alpha", "hangups"));
	close(self->a.kick[1]);
	self->a.kick[1] = -1;
	EXPECT_EQ(1, vm_attr_num("t-alpha", "hangups"));
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

	fake_vm_req(&self->a, &ok);
#define BAD(errno_, stmt) do { \
		r = ok; \
		stmt; \
		check_bad(_metadata, self->dev, &r, -(errno_), #stmt); \
	} while (0)
	BAD(EINVAL, r.flags = 1);
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
	/* Duplicate id, duplicate name. */
	BAD(EEXIST, memcpy(r.name, "t-other", 8));
	BAD(EEXIST, r.vm_id = ID_B);
	fake_vm_req(&self->b, &rb);
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
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/quota/%s", name, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
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
	self->dev = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, fake_vms_add(self->dev, &self->a, &self->b));
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
	fake_vm_fini(&self->b);
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

struct hammer {
	int fd;
	bool stop;		/* __atomic accesses */
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
		kick(h->fd);
	return NULL;
}

FIXTURE(teardown) {
	int dummy;
};

FIXTURE_SETUP(teardown)
{
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
}

FIXTURE_TEARDOWN(teardown)
{
}

/*
 * Many add/del cycles with traffic in flight, removal by DEL_VM and by
 * closing the file, a thread kicking all the while: afterwards no thread,
 * fd, vmalloc or slab memory is left over.
 */
TEST_F(teardown, cycles_leave_nothing)
{
	static __u8 buf[4096];
	long vmalloc0 = 0, slab0 = 0, vmalloc1, slab1;
	int threads0 = 0, fds0 = 0, cycle, i, dev;
	struct fake_vm a, b;
	struct hammer hm;
	pthread_t t;

	/* One cycle first, so that lazily created caches exist. */
	for (cycle = -1; cycle < 40; cycle++) {
		if (cycle == 0) {
			vmmgmt_sleep_ms(200);
			/* Only ours: the test bed's guests come and go. */
			threads0 = count_threads("vmmgmt-t-");
			fds0 = count_fds();
			vmalloc0 = read_meminfo("VmallocUsed");
			slab0 = read_meminfo("Slab");
		}
		dev = open_dev();
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, fake_vm_init(&a, ID_A, "t-alpha", REGION));
		ASSERT_EQ(0, fake_vm_init(&b, ID_B, "t-beta", 64 << 10));
		ASSERT_EQ(0, fake_vm_add(dev, &a));
		ASSERT_EQ(0, fake_vm_add(dev, &b));
		ASSERT_EQ(0, echo_run(_metadata, &a, 20, cycle * 100 + 1000));
		/* Requests in flight at removal. */
		memset(buf, cycle & 0xff, sizeof(buf));
		for (i = 0; i < 30; i++) {
			fake_send(&a, i, VMMGMT_PORT_ECHO, buf, sizeof(buf), 0);
			fake_send(&b, i, VMMGMT_PORT_ECHO, buf, 100, 0);
		}
		hm.fd = a.kick[0];
		hm.stop = false;
		ASSERT_EQ(0, pthread_create(&t, NULL, hammer_fn, &hm));
		if (cycle % 2) {
			EXPECT_EQ(0, del_vm(dev, ID_A));
			EXPECT_EQ(0, del_vm(dev, ID_B));
		}
		close(dev);	/* removes what is left */
		__atomic_store_n(&hm.stop, true, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
		EXPECT_EQ((__u32)VMMGMT_LINK_DOWN, a.hdr->link_state);
		fake_vm_fini(&a);
		fake_vm_fini(&b);
	}
	vmmgmt_sleep_ms(500);
	vmalloc1 = read_meminfo("VmallocUsed");
	slab1 = read_meminfo("Slab");
	EXPECT_EQ(0, threads0);
	EXPECT_EQ(0, count_threads("vmmgmt-t-"));
	EXPECT_EQ(fds0, count_fds());
	/* 40 leaked regions would be 40 MiB of vmalloc space. */
	EXPECT_GT(vmalloc0 + 512, vmalloc1)
		TH_LOG("VmallocUsed %ld -> %ld KiB", vmalloc0, vmalloc1);
	EXPECT_GT(slab0 + 2048, slab1) TH_LOG("Slab %ld -> %ld KiB", slab0, slab1);
	EXPECT_NE(0, access(VMMGMT_HOST_VMS_SYSFS "/t-alpha", F_OK));
}

/* Host endpoints: a bound /dev/vmmgmt-host file talks to fake VMs. */

#define EP_PORT		100

static int ep_bind(int fd, __u32 *port)
{
	struct vmmgmt_bind b = { .port = *port };

	if (ioctl(fd, VMMGMT_HOST_IOC_BIND, &b))
		return -errno;
	*port = b.port;
	return 0;
}

/* write() one record from a host endpoint; 0 or -errno. */
static int ep_send(int fd, __u32 vm, __u32 port, __u64 id, const void *data,
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

/* write() a prepared header with @len payload bytes; 0 or -errno. */
static int ep_write_raw(int fd, const struct vmmgmt_rec *r, size_t len)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX + 64];

	memcpy(buf, r, sizeof(*r));
	memset(buf + sizeof(*r), 0x5a, len);
	return write(fd, buf, sizeof(*r) + len) < 0 ? -errno : 0;
}

/* read() one record into @h and @data, waiting up to @ms; 0 or -errno. */
static int ep_recv(int fd, struct vmmgmt_rec *h, void *data, int ms)
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
	if ((size_t)n < sizeof(*h))
		return -EIO;
	memcpy(h, buf, sizeof(*h));
	if ((size_t)n != sizeof(*h) + h->len)
		return -EIO;
	memcpy(data, buf + sizeof(*h), h->len);
	return 0;
}

FIXTURE(ep) {
	int dev, ep, ep2;
	struct fake_vm a, b;
};

FIXTURE_SETUP(ep)
{
	__u32 port = EP_PORT;

	self->dev = -1;
	self->ep = -1;
	self->ep2 = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	self->ep = open_dev();
	self->ep2 = open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_LE(0, self->ep);
	ASSERT_LE(0, self->ep2);
	ASSERT_EQ(0, fake_vms_add(self->dev, &self->a, &self->b));
	ASSERT_EQ(0, ep_bind(self->ep, &port));
	ASSERT_EQ((__u32)EP_PORT, port);
}

FIXTURE_TEARDOWN(ep)
{
	if (self->ep2 >= 0)
		close(self->ep2);
	if (self->ep >= 0)
		close(self->ep);
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
	fake_vm_fini(&self->b);
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

/* VM to VM through the host, under the administrator's policy. */

#define POLICY_SYSFS	VMMGMT_HOST_SYSFS "/policy"

static int policy_write(const char *cmd)
{
	ssize_t n;
	int fd;

	fd = open(POLICY_SYSFS, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n < 0 ? -errno : 0;
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
	self->dev = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, fake_vms_add(self->dev, &self->a, &self->b));
}

FIXTURE_TEARDOWN(route)
{
	policy_write("deny t-alpha t-beta");
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
	fake_vm_fini(&self->b);
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

	self->dev = -1;
	self->ep = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	self->ep = open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, fake_vms_add(self->dev, &self->a, &self->b));
	ASSERT_EQ(0, ep_bind(self->ep, &port));
}

FIXTURE_TEARDOWN(names)
{
	if (self->ep >= 0)
		close(self->ep);
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
	fake_vm_fini(&self->b);
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

/* vmmgmtctl's messaging commands against fake VMs. */

/* Run vmmgmtctl with @args; its stdout and stderr in @out; exit status. */
static int run_ctl(const char *args, char *out, size_t size)
{
	const char *bin = getenv("VMMGMTCTL");
	char cmd[512];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1",
		 bin ? bin : "/opt/vmmgmt/bin/vmmgmtctl", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, size - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(ctl) {
	int dev;
	struct fake_vm a;
	char out[8192];
};

FIXTURE_SETUP(ctl)
{
	self->dev = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	self->dev = open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
}

TEST_F(ctl, send_and_status)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;

	ASSERT_EQ(0, run_ctl("send 1001:5 hello", self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(5U, h.len);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(5U, h.dst.port);
	EXPECT_EQ(0U, h.src.vm);
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, h.src.port);
	/* Errors: exit 1 with the reason, 2 for usage. */
	EXPECT_EQ(1, run_ctl("send 4242:5 x", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "No route to host"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(2, run_ctl("send 1001:x y", self->out, sizeof(self->out)));
	EXPECT_EQ(1, run_ctl("send t-nobody x", self->out, sizeof(self->out)));
	EXPECT_EQ(2, run_ctl("frobnicate", self->out, sizeof(self->out)));
	ASSERT_EQ(0, run_ctl("--json status", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out,
			       "{\"name\":\"t-alpha\",\"vm_id\":1001,\"link_state\":\"up\""))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, run_ctl("status", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "t-alpha"));
}

/* listen publishes a name and prints what a guest sends to it. */
TEST_F(ctl, listen_names_recv)
{
	char line[1024];
	int i, ret = -1;
	FILE *p;
	static const char listen_cmd[] =
		"${VMMGMTCTL:-/opt/vmmgmt/bin/vmmgmtctl} -j -n 1 -t 20 listen t-ctl 300";

	p = popen(listen_cmd, "r");
	ASSERT_NE(NULL, p);
	/* Wait for the name to appear, then send from the fake guest. */
	for (i = 0; i < 100; i++) {
		ret = run_ctl("names", self->out, sizeof(self->out));
		if (!ret && strstr(self->out, "t-ctl"))
			break;
		vmmgmt_sleep_ms(50);
	}
	EXPECT_NE(NULL, strstr(self->out, "t-ctl                           0:0:300 (host)"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, fake_send(&self->a, 1, 300, "ping", 4, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), p));
	EXPECT_EQ(0, pclose(p));
	EXPECT_STREQ("{\"src\":{\"host\":0,\"vm\":1001,\"port\":5},\"len\":4,\"data\":\"ping\"}\n",
		     line);
	/* The name went with the listener. */
	ASSERT_EQ(0, run_ctl("--json names", self->out, sizeof(self->out)));
	EXPECT_EQ(NULL, strstr(self->out, "t-ctl"));
	/* recv gives up after its timeout. */
	EXPECT_EQ(1, run_ctl("--timeout 1 recv 301", self->out,
			     sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "no message within 1000 ms"));
}

TEST_HARNESS_MAIN
