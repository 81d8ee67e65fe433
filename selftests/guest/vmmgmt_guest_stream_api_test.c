// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the stream ioctls (ABI 0.7) as far as they go
 * without a peer.
 *
 * Checks that VMMGMT_IOC_STREAM_CONNECT, _LISTEN, _ACCEPT and _SHUTDOWN
 * validate their arguments (EINVAL for nonzero flags or reserved fields,
 * a host id, a backlog above VMMGMT_STREAM_BACKLOG_MAX; ACCEPT on a file
 * that is no listener; ENOTCONN for SHUTDOWN on a file that is no
 * stream); EISCONN on a file set up for messages (VMMGMT_IOC_CONNECT);
 * EPERM for a file whose mode the owner turned off; EOPNOTSUPP for
 * CONNECT and LISTEN when the host does not route streams (it did not
 * offer VMMGMT_F_STREAM, sysfs features); the sysfs counters of the
 * streams; and that messages still keep their boundaries through
 * readv()/writev() (read_iter/write_iter serve both).  When the host
 * routes streams: a listener's port, EISCONN on it, EAGAIN for a
 * non-blocking ACCEPT, poll() with no stream waiting, ENOTCONN for its
 * read(), EADDRINUSE for a second listener on its port, and a stream
 * through the host from a file of this guest to its own listener (bytes,
 * half-close and end of stream, ECONNREFUSED for a port nobody listens
 * on, a few MiB written with write() and sendfile() and read with
 * splice(), checked byte for byte).  The streams of any size are
 * vmmgmt_guest_stream_test's.
 *
 * Needs the host side; skipped while the link is not up, and without the
 * device unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

#define MODES_DIR	VMMGMT_GUEST_SYSFS "/modes"
/* An answer from the host's echo, or a stream routed back to this VM. */
#define API_WAIT_MS	5000
/* Bytes of the bulk loopback: many windows (VMMGMT_STREAM_WINDOW). */
#define API_BULK	(4 << 20)

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

static int stream_connect(int fd, const struct vmmgmt_stream_connect *c)
{
	return ioctl(fd, VMMGMT_IOC_STREAM_CONNECT, c) ? -errno : 0;
}

static int stream_listen(int fd, struct vmmgmt_stream_listen *l)
{
	return ioctl(fd, VMMGMT_IOC_STREAM_LISTEN, l) ? -errno : 0;
}

static int stream_accept(int fd, struct vmmgmt_stream_accept *a)
{
	return ioctl(fd, VMMGMT_IOC_STREAM_ACCEPT, a) ? -errno : 0;
}

/* Whether the host offered, and the guest accepted, VMMGMT_F_STREAM. */
static bool host_has_streams(void)
{
	__u64 feat;

	if (vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/features", &feat))
		return false;
	return feat & VMMGMT_F_STREAM;
}

FIXTURE(api) {
	int fd;
	bool streams;
	__u32 vm_id;
};

FIXTURE_SETUP(api)
{
	__u64 vm_id;

	if (!open_link_up(_metadata, &self->fd))
		return;
	self->streams = host_has_streams();
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vm_id", &vm_id));
	self->vm_id = vm_id;
}

FIXTURE_TEARDOWN(api)
{
	vmmgmt_write_text(MODES_DIR "/calc/enabled", "0");
	if (self->fd >= 0)
		close(self->fd);
}

/* CONNECT: nonzero flags, reserved, host id or address padding. */
TEST_F(api, connect_einval)
{
	struct vmmgmt_stream_connect c = { .addr = echo_addr };

	c.flags = 1;
	EXPECT_EQ(-EINVAL, stream_connect(self->fd, &c));
	c.flags = 0;
	c.reserved = 1;
	EXPECT_EQ(-EINVAL, stream_connect(self->fd, &c));
	c.reserved = 0;
	c.addr.host = 1;
	EXPECT_EQ(-EINVAL, stream_connect(self->fd, &c));
	c.addr.host = 0;
	c.addr.reserved = 1;
	EXPECT_EQ(-EINVAL, stream_connect(self->fd, &c));
	EXPECT_EQ(-EFAULT, ioctl(self->fd, VMMGMT_IOC_STREAM_CONNECT, 8) ?
		  -errno : 0);
}

/* LISTEN: nonzero flags or reserved, a backlog above the maximum. */
TEST_F(api, listen_einval)
{
	struct vmmgmt_stream_listen l = { 0 };

	l.flags = 1;
	EXPECT_EQ(-EINVAL, stream_listen(self->fd, &l));
	l.flags = 0;
	l.reserved = 1;
	EXPECT_EQ(-EINVAL, stream_listen(self->fd, &l));
	l.reserved = 0;
	l.backlog = VMMGMT_STREAM_BACKLOG_MAX + 1;
	EXPECT_EQ(-EINVAL, stream_listen(self->fd, &l));
}

/* ACCEPT on a file that is no listener; SHUTDOWN on one that is no stream. */
TEST_F(api, not_a_listener)
{
	struct vmmgmt_stream_accept a = { 0 };

	EXPECT_EQ(-EINVAL, stream_accept(self->fd, &a));
	a.flags = 0x80;
	EXPECT_EQ(-EINVAL, stream_accept(self->fd, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, stream_accept(self->fd, &a));
	EXPECT_EQ(-ENOTCONN, ioctl(self->fd, VMMGMT_IOC_STREAM_SHUTDOWN) ?
		  -errno : 0);
}

/* A file set up for messages is no stream and no listener. */
TEST_F(api, eisconn_messages)
{
	struct vmmgmt_stream_connect c = { .addr = echo_addr };
	struct vmmgmt_stream_listen l = { 0 };

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo_addr));
	EXPECT_EQ(-EISCONN, stream_connect(self->fd, &c));
	EXPECT_EQ(-EISCONN, stream_listen(self->fd, &l));
	/* Still a message file: an echo comes back whole. */
	EXPECT_EQ(5, write(self->fd, "hello", 5));
}

/* A file in a mode the owner turned off may not open or listen. */
TEST_F(api, eperm_mode_off)
{
	struct vmmgmt_mode_req r = { .mode = VMMGMT_MODE_CALC };
	struct vmmgmt_stream_connect c = { .addr = echo_addr };
	struct vmmgmt_stream_listen l = { 0 };

	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/calc/enabled", "1"));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_SET_MODE, &r));
	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/calc/enabled", "0"));
	EXPECT_EQ(-EPERM, stream_connect(self->fd, &c));
	EXPECT_EQ(-EPERM, stream_listen(self->fd, &l));
}

/* Without VMMGMT_F_STREAM from the host, no stream opens or listens. */
TEST_F(api, eopnotsupp_without_host_streams)
{
	struct vmmgmt_stream_connect c = { .addr = echo_addr };
	struct vmmgmt_stream_listen l = { 0 };

	if (self->streams)
		SKIP(return, "the host routes streams (VMMGMT_F_STREAM)");
	EXPECT_EQ(-EOPNOTSUPP, stream_connect(self->fd, &c));
	EXPECT_EQ(-EOPNOTSUPP, stream_listen(self->fd, &l));
	/* Nothing changed: the file still sends messages. */
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo_addr));
	EXPECT_EQ(3, write(self->fd, "abc", 3));
}

/* The streams' counters in sysfs. */
TEST_F(api, sysfs_counters)
{
	static const char *const attrs[] = {
		"streams_open", "streams_opened", "streams_reset",
		"stream_tx_bytes", "stream_rx_bytes",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		char path[128];
		__u64 v;

		snprintf(path, sizeof(path), VMMGMT_GUEST_SYSFS "/%s",
			 attrs[i]);
		EXPECT_EQ(0, vmmgmt_read_u64(path, &v))
			TH_LOG("%s unreadable", path);
	}
}

/* read_iter/write_iter: one message per call, boundaries kept. */
TEST_F(api, messages_readv_writev)
{
	char a[] = "split ", b[] = "message", in1[4], in2[64];
	struct iovec out[2] = {
		{ .iov_base = a, .iov_len = strlen(a) },
		{ .iov_base = b, .iov_len = strlen(b) },
	};
	struct iovec in[2] = {
		{ .iov_base = in1, .iov_len = sizeof(in1) },
		{ .iov_base = in2, .iov_len = sizeof(in2) },
	};
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	size_t len = strlen(a) + strlen(b);

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo_addr));
	ASSERT_EQ((ssize_t)len, writev(self->fd, out, 2));
	ASSERT_EQ(1, poll(&pfd, 1, API_WAIT_MS));
	ASSERT_EQ((ssize_t)len, readv(self->fd, in, 2));
	EXPECT_EQ(0, memcmp(in1, "spli", 4));
	EXPECT_EQ(0, memcmp(in2, "t message", len - 4));
	/* A buffer shorter than the message: EMSGSIZE, it stays queued. */
	ASSERT_EQ((ssize_t)len, writev(self->fd, out, 2));
	ASSERT_EQ(1, poll(&pfd, 1, API_WAIT_MS));
	EXPECT_EQ(-1, read(self->fd, in1, sizeof(in1)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ((ssize_t)len, read(self->fd, in2, sizeof(in2)));
}

/* A listener: its port, EISCONN, EAGAIN, poll(), read(), a second one. */
TEST_F(api, listener)
{
	struct vmmgmt_stream_listen l = { .backlog = 2 };
	struct vmmgmt_stream_connect c = { .addr = echo_addr };
	struct vmmgmt_stream_accept a = { 0 };
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct vmmgmt_bind b = { 0 };
	char buf[8];
	int fd2;

	if (!self->streams)
		SKIP(return, "the host does not route streams");
	ASSERT_EQ(0, stream_listen(self->fd, &l));
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, l.port);
	EXPECT_EQ(-EISCONN, stream_listen(self->fd, &l));
	EXPECT_EQ(-EISCONN, stream_connect(self->fd, &c));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, stream_accept(self->fd, &a));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-ENOTCONN, ioctl(self->fd, VMMGMT_IOC_STREAM_SHUTDOWN) ?
		  -errno : 0);

	/* Its port is taken; a bound file listens on its own port only. */
	fd2 = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	b.port = l.port;
	EXPECT_EQ(-1, ioctl(fd2, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EADDRINUSE, errno);
	b.port = 0;
	ASSERT_EQ(0, ioctl(fd2, VMMGMT_IOC_BIND, &b));
	l.port = b.port + 1;
	EXPECT_EQ(-EINVAL, stream_listen(fd2, &l));
	l.port = 0;
	ASSERT_EQ(0, stream_listen(fd2, &l));
	EXPECT_EQ(b.port, l.port);
	close(fd2);
}

/* ---- loopback: a child of the test streams to this guest's listener ---- */

/* A new file streaming to (0, @vm, @port); the fd, or -1. */
static int loopback_connect(__u32 vm, __u32 port)
{
	struct vmmgmt_stream_connect c = {
		.addr = { .vm = vm, .port = port },
		.timeout_ms = API_WAIT_MS,
	};
	int fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 || stream_connect(fd, &c))
		return -1;
	return fd;
}

/*
 * @lfd made a listener on a dynamic port, and a child that exits with
 * what @child(@vm, the port) returns; the child's pid.
 */
static pid_t loopback_fork(struct __test_metadata *_metadata, int lfd,
			   __u32 vm, int (*child)(__u32 vm, __u32 port))
{
	struct vmmgmt_stream_listen l = { 0 };
	pid_t pid;

	ASSERT_EQ(0, stream_listen(lfd, &l));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(child(vm, l.port));
	return pid;
}

/* The child's stream, accepted on @lfd into @a within API_WAIT_MS. */
static void loopback_accept(struct __test_metadata *_metadata, int lfd,
			    struct vmmgmt_stream_accept *a)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	ASSERT_EQ(1, poll(&pfd, 1, API_WAIT_MS));
	ASSERT_EQ(0, stream_accept(lfd, a));
}

/* The child @pid exited 0. */
static void loopback_wait(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* The ping sender (a child): "ping", shut down, "pong" and the end back. */
static int ping_send(__u32 vm, __u32 port)
{
	int fd = loopback_connect(vm, port);
	char in[16];

	if (fd < 0)
		return 1;
	if (write(fd, "ping", 4) != 4)
		return 2;
	if (ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN))
		return 3;
	if (write(fd, "x", 1) != -1 || errno != EPIPE)
		return 4;
	/* The listener's answer, then its end of stream. */
	if (read(fd, in, sizeof(in)) != 4 || memcmp(in, "pong", 4))
		return 5;
	if (read(fd, in, sizeof(in)) != 0)
		return 6;
	close(fd);
	return 0;
}

/*
 * A stream from a file of this guest to its own listener, through the
 * host: the connecting side runs in a child (connect waits for accept).
 */
TEST_F(api, loopback)
{
	struct vmmgmt_stream_accept a = { 0 };
	char buf[64];
	pid_t pid;
	int cfd;

	if (!self->streams)
		SKIP(return, "the host does not route streams");
	pid = loopback_fork(_metadata, self->fd, self->vm_id, ping_send);
	loopback_accept(_metadata, self->fd, &a);
	cfd = a.fd;
	EXPECT_EQ(self->vm_id, a.peer.vm);
	EXPECT_EQ(FD_CLOEXEC, fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(4, read(cfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	/* The peer shut its side down: end of stream. */
	EXPECT_EQ(0, read(cfd, buf, sizeof(buf)));
	EXPECT_EQ(4, write(cfd, "pong", 4));
	close(cfd);
	loopback_wait(_metadata, pid);
}

/* The byte at offset @i of the bulk loopback. */
static unsigned char bulk_byte(size_t i)
{
	return (i * 2654435761u) >> 24;
}

/* The bulk sender (a child): half with write(), half with sendfile(). */
static int bulk_send(__u32 vm, __u32 port)
{
	size_t half = API_BULK / 2, i, done;
	unsigned char *buf;
	off_t off = 0;
	int fd, mfd;
	ssize_t n;

	buf = malloc(API_BULK);
	mfd = memfd_create("bulk", 0);
	if (!buf || mfd < 0)
		return 1;
	for (i = 0; i < API_BULK; i++)
		buf[i] = bulk_byte(i);
	if (write(mfd, buf + half, half) != (ssize_t)half)
		return 2;
	fd = loopback_connect(vm, port);
	if (fd < 0)
		return 3;
	for (done = 0; done < half; done += n) {
		n = write(fd, buf + done, half - done);
		if (n <= 0)
			return 4;
	}
	while (off < (off_t)half) {
		n = sendfile(fd, mfd, &off, half - off);
		if (n <= 0)
			return 5;
	}
	if (ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN))
		return 6;
	/* The reader's end of stream: it read everything. */
	if (read(fd, buf, 1) != 0)
		return 7;
	close(fd);
	return 0;
}

/* A few windows through the host: write(), sendfile(), then splice(). */
TEST_F(api, loopback_bulk)
{
	struct vmmgmt_stream_accept a = { 0 };
	size_t got = 0, bad = API_BULK;
	unsigned char buf[65536];
	int cfd, p[2];
	ssize_t n, i;
	pid_t pid;

	if (!self->streams)
		SKIP(return, "the host does not route streams");
	pid = loopback_fork(_metadata, self->fd, self->vm_id, bulk_send);
	loopback_accept(_metadata, self->fd, &a);
	cfd = a.fd;
	ASSERT_EQ(0, pipe(p));
	/* The first half with read(), the rest through a pipe. */
	while (got < API_BULK) {
		if (got < API_BULK / 2) {
			n = read(cfd, buf, sizeof(buf));
		} else {
			n = splice(cfd, NULL, p[1], NULL, sizeof(buf), 0);
			if (n > 0)
				ASSERT_EQ(n, read(p[0], buf, n));
		}
		ASSERT_LT(0, n) TH_LOG("at %zu: %s", got, strerror(errno));
		for (i = 0; i < n; i++)
			if (bad == API_BULK && buf[i] != bulk_byte(got + i))
				bad = got + i;
		got += n;
	}
	EXPECT_EQ((size_t)API_BULK, bad) TH_LOG("first bad byte at %zu", bad);
	EXPECT_EQ(0, read(cfd, buf, sizeof(buf)));
	close(cfd);
	close(p[0]);
	close(p[1]);
	loopback_wait(_metadata, pid);
}

/* Nobody listens on the port: the host or this guest refuses. */
TEST_F(api, refused)
{
	struct vmmgmt_stream_listen l = { 0 };
	struct vmmgmt_stream_connect c = { .timeout_ms = API_WAIT_MS };
	struct vmmgmt_bind b = { 0 };
	int fd2;

	if (!self->streams)
		SKIP(return, "the host does not route streams");
	/* Bound first: the listener's port, once free, is not taken here. */
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	/* Its own port: nobody listens there. */
	c.addr.vm = self->vm_id;
	c.addr.port = b.port;
	EXPECT_EQ(-ECONNREFUSED, stream_connect(self->fd, &c));
	/* A port that was a listener's and is free again. */
	fd2 = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, stream_listen(fd2, &l));
	close(fd2);
	c.addr.port = l.port;
	EXPECT_EQ(-ECONNREFUSED, stream_connect(self->fd, &c));
	/* A file whose connect failed stays a stream that is over. */
	EXPECT_EQ(-EISCONN, stream_connect(self->fd, &c));
}

TEST_HARNESS_MAIN
