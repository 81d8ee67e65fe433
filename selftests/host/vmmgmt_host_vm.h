/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the host module's fake-VM selftests, one program per fixture:
 * vmmgmt_host_vm_test (registration, echo, quotas, resets),
 * vmmgmt_host_hostile_test, vmmgmt_host_teardown_test, vmmgmt_host_ep_test
 * (host endpoints), vmmgmt_host_route_test (VM to VM),
 * vmmgmt_host_stream_test (streams on host endpoints),
 * vmmgmt_host_names_test, vmmgmt_host_ctl_test (vmmgmtctl),
 * vmmgmt_host_flow_test (flow control) and vmmgmt_host_persist_test (VMs
 * that outlive their daemon).  Each program plays vmmgmtd, host
 * applications and the guest.
 *
 * A fake VM is a sealed memfd and eventfds registered with
 * VMMGMT_HOST_IOC_ADD_VM; the test maps the region and runs the guest's
 * side of both rings with lib/vmmgmt_ring.c compiled in, as the guest
 * module does (vmmgmt_host_util.h).  Here: the ids and names of the two
 * fake VMs, sending and receiving their records, resets, the echo run
 * every fixture ends with, and a host endpoint's bind.  The programs run
 * in the host VM with vmmgmt_host.ko loaded; without the device the tests
 * are skipped unless VMMGMT_REQUIRE_DEVICE is set.
 */
#ifndef VMMGMT_HOST_VM_H
#define VMMGMT_HOST_VM_H

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

/*
 * open_host_dev() - in a fixture's set-up: skip the test when there is
 * no /dev/vmmgmt-host (unless VMMGMT_REQUIRE_DEVICE), else open it.
 * Return: true with *@dev open; false when the test was skipped (*@dev
 * is -1 then).
 */
static inline bool open_host_dev(struct __test_metadata *_metadata, int *dev)
{
	*dev = -1;
	if (need_skip())
		SKIP(return false, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	*dev = open_dev();
	ASSERT_LE(0, *dev) TH_LOG("open " VMMGMT_HOST_DEV ": %s", strerror(errno));
	return true;
}

/* Two registered fake VMs: @a as t-alpha (ID_A), @b as t-beta (ID_B). */
static inline int fake_vms_add(int dev, struct fake_vm *a, struct fake_vm *b)
{
	int ret;

	if (fake_vm_init(a, ID_A, "t-alpha", REGION) ||
	    fake_vm_init(b, ID_B, "t-beta", REGION))
		return -ENOMEM;
	ret = fake_vm_add(dev, a);
	return ret ? ret : fake_vm_add(dev, b);
}

/*
 * fake_vms_setup() - a fixture's set-up: /dev/vmmgmt-host open in *@dev
 * (or the test skipped) and fake_vms_add() of @a and @b.
 * Return: true when set up; false when the test was skipped.
 */
static inline bool fake_vms_setup(struct __test_metadata *_metadata, int *dev,
				  struct fake_vm *a, struct fake_vm *b)
{
	if (!open_host_dev(_metadata, dev))
		return false;
	ASSERT_EQ(0, fake_vms_add(*dev, a, b));
	return true;
}

/* A fixture's teardown: close @dev (when open), remove both fake VMs. */
static inline void fake_vms_teardown(int dev, struct fake_vm *a,
				     struct fake_vm *b)
{
	if (dev >= 0)
		close(dev);
	fake_vm_fini(a);
	fake_vm_fini(b);
}

/* Post one CHAT record from GUEST_PORT to (@vm, @port). */
static inline int fake_send_to(struct fake_vm *f, __u64 id, __u32 vm, __u32 port,
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
static inline int fake_send(struct fake_vm *f, __u64 id, __u32 port,
			    const void *payload, __u32 len, __u16 flags)
{
	return fake_send_to(f, id, VMMGMT_HOST_PEER_ID, port, payload, len,
			    flags);
}

/* Take one answer off the H2G ring, sleeping on call[0] when it is empty. */
static inline int fake_recv(struct fake_vm *f, struct vmmgmt_rec *h, void *buf,
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

static inline int count_fds(void)
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
static inline long read_meminfo(const char *field)
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

static inline bool wait_link(const struct fake_vm *f, __u32 state, int ms)
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
static inline int fake_reset(struct fake_vm *f, int ms)
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

static inline void fill(__u8 *buf, __u64 id, __u32 len)
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
static inline int echo_run(struct __test_metadata *_metadata, struct fake_vm *f,
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

/*
 * Flow control (vmmgmt_host_flow_test): the fake guest says it takes the
 * host's notices (VMMGMT_F_FLOW), as the guest module does each time it
 * sets the rings up (after registration and after every reset).
 */
static inline void fake_flow_accept(struct fake_vm *f)
{
	__atomic_or_fetch(&f->hdr->features_accepted, VMMGMT_F_FLOW,
			  __ATOMIC_RELEASE);
}

/*
 * fake_notice() - whether a record from the H2G ring is a host notice.
 * Return: its op (VMMGMT_CTRL_CREDIT with *@addr its destination and
 * *@msgs the records returned, VMMGMT_CTRL_PEER_GONE with *@addr set and
 * *@msgs 0), or 0 for any other record.
 */
static inline __u32 fake_notice(const struct vmmgmt_rec *h, const void *buf,
				struct vmmgmt_addr *addr, __u32 *msgs)
{
	struct vmmgmt_credit cr;
	struct vmmgmt_ctrl c;

	if (h->mode != VMMGMT_MODE_CTRL || (h->flags & VMMGMT_REC_F_RESPONSE))
		return 0;
	if (h->len == sizeof(cr)) {
		memcpy(&cr, buf, sizeof(cr));
		*addr = cr.dst;
		*msgs = cr.msgs;
		return cr.op;
	}
	if (h->len != sizeof(c))
		return 0;
	memcpy(&c, buf, sizeof(c));
	*addr = c.name.addr;
	*msgs = 0;
	return c.op;
}

/* Host endpoints (vmmgmt_host_ep_test, vmmgmt_host_names_test). */
#define EP_PORT		100

/* Bind host endpoint @fd to *@port (0: any free one), which it updates. */
static inline int ep_bind(int fd, __u32 *port)
{
	struct vmmgmt_bind b = { .port = *port };

	if (ioctl(fd, VMMGMT_HOST_IOC_BIND, &b))
		return -errno;
	*port = b.port;
	return 0;
}

/* write() one record from a host endpoint; 0 or -errno. */
static inline int ep_send(int fd, __u32 vm, __u32 port, __u64 id,
			  const void *data, __u32 len, __u16 flags)
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
static inline int ep_recv(int fd, struct vmmgmt_rec *h, void *data, int ms)
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

/*
 * Wait up to @ms for a kernel log record from here on that contains
 * @needle; the records read are consumed.  @fd: /dev/kmsg opened with
 * O_NONBLOCK (kmsg_open()).
 */
static inline bool kmsg_wait(int fd, const char *needle, int ms)
{
	char rec[2048];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = 0;
			if (strstr(rec, needle))
				return true;
			continue;
		}
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (ms <= 0)
			return false;
		vmmgmt_sleep_ms(10);
		ms -= 10;
	}
}

/* /dev/kmsg for the records from now on (non-blocking), or -1. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The records from here on that contain @needle, until none is left. */
static inline int kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	ssize_t n;
	int count = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = 0;
			count += !!strstr(rec, needle);
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue;
		return count;
	}
}

#endif /* VMMGMT_HOST_VM_H */
