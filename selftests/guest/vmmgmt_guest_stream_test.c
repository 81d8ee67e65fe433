// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: streams (ABI 0.7), end to end.
 *
 * The host side is vmmgmt_stream_peer (selftests/host-tools/), which
 * host-init runs in the host VM in check mode on host port
 * VMMGMT_STREAM_PEER_PORT (1008); its commands are in
 * selftests/vmmgmt_stream_peer.h.  The tests:
 *  - a stream of VMMGMT_STREAM_BYTES bytes (default 1 GiB) guest to host
 *    and one host to guest, each checked by SHA-256 at both ends (and
 *    the host-to-guest bytes against the pattern, to name the first
 *    wrong byte), with the time each took as a diagnostic line;
 *  - half-close: the guest shuts its side down and still reads the
 *    peer's answer; a write after the shutdown fails with EPIPE;
 *  - resets: the peer closes with bytes unread, the guest's writer and
 *    reader get ECONNRESET; the guest closes with bytes unread, the
 *    peer's stream gets ECONNRESET (asked back with "result");
 *  - O_NONBLOCK and poll(): EAGAIN on an empty stream, POLLIN for echoed
 *    bytes and for the end of stream, POLLHUP once both sides are done;
 *    against a peer that never reads, exactly VMMGMT_STREAM_WINDOW bytes
 *    go out, then EAGAIN and no POLLOUT;
 *  - sendfile() from a file in /tmp into a stream, splice() out of a
 *    stream into a pipe;
 *  - limits: a port nobody listens on (host and this VM) gives
 *    ECONNREFUSED, a full backlog of a listener in this VM (the policy
 *    lets a VM talk to itself) ECONNREFUSED to the connector too much,
 *    VMMGMT_STREAMS_MAX streams open then one more EMFILE, and the
 *    limit frees again once they are closed.
 * And SHA-256 itself against the FIPS 180-4 examples.
 *
 * Skipped without the device (unless VMMGMT_REQUIRE_DEVICE), while the
 * link is not up, or when the guest or the host module is older than ABI
 * 0.7; with ABI 0.7 on both sides a missing stream feature fails.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <vmmgmt.h>
#include <vmmgmt_sha256.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"
#include "../vmmgmt_stream_peer.h"

#define BIG_DEFAULT	(1024ULL * 1024 * 1024)
#define CHUNK		(1024 * 1024)
/* Host and guest ports nobody listens on (below the dynamic range). */
#define NO_HOST_PORT	0x7ff0
#define NO_GUEST_PORT	0x7ff1
/* How long the peer's result may stay pending after our side is done. */
#define RESULT_WAIT_MS	20000

static const struct vmmgmt_addr peer_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_STREAM_PEER_PORT,
};

/* VMMGMT_STREAM_BYTES, or 1 GiB. */
static unsigned long long big_bytes(void)
{
	const char *s = getenv("VMMGMT_STREAM_BYTES");
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return BIG_DEFAULT;
	v = strtoull(s, &end, 0);
	return *end || !v ? BIG_DEFAULT : v;
}

/* A tag for the peer's result table: unique per test and process. */
static void make_tag(char *tag, size_t size, const char *what)
{
	snprintf(tag, size, "%s-%d", what, (int)getpid());
}

/* A new file turned into a stream to @addr; the fd or -errno. */
static int stream_connect(const struct vmmgmt_addr *addr, __u32 timeout_ms)
{
	struct vmmgmt_stream_connect c = { .addr = *addr,
					   .timeout_ms = timeout_ms };

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_STREAM_CONNECT, &c);
}

/* A stream to the peer with its command line sent; the fd or -errno. */
static int peer_open(const char *line)
{
	char cmd[STREAM_PEER_LINE_MAX + 1];
	int fd, err;

	fd = stream_connect(&peer_addr, 0);
	if (fd < 0)
		return fd;
	snprintf(cmd, sizeof(cmd), "%s\n", line);
	err = vmmgmt_write_all(fd, cmd, strlen(cmd));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* One-line exchange: @line to the peer, its whole answer into @ans. */
static int peer_ask(const char *line, char *ans, size_t cap)
{
	ssize_t n;
	int fd;

	fd = peer_open(line);
	if (fd < 0)
		return fd;
	if (ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN)) {
		n = -errno;
		close(fd);
		return n;
	}
	n = vmmgmt_read_to_end(fd, ans, cap);
	close(fd);
	if (n < 0)
		return n;
	if (n && ans[n - 1] == '\n')
		ans[n - 1] = '\0';
	return 0;
}

/* The peer's result of stream @tag once it is no longer pending. */
static int peer_result(const char *tag, char *ans, size_t cap)
{
	double end = vmmgmt_now_ms() + RESULT_WAIT_MS;
	char line[STREAM_PEER_LINE_MAX];
	int err;

	snprintf(line, sizeof(line), "result %s", tag);
	for (;;) {
		err = peer_ask(line, ans, cap);
		if (err || strcmp(ans, "pending") || vmmgmt_now_ms() > end)
			return err;
		vmmgmt_sleep_ms(100);
	}
}

static void peer_release(const char *tag)
{
	char line[STREAM_PEER_LINE_MAX], ans[64];

	snprintf(line, sizeof(line), "release %s", tag);
	peer_ask(line, ans, sizeof(ans));
}

static double mb_per_s(unsigned long long bytes, double secs)
{
	return secs > 0 ? bytes / secs / 1e6 : 0;
}

/* peer_open(@line) for the big transfers: its fd, asserted. */
static int big_open(struct __test_metadata *_metadata, const char *line)
{
	int fd = peer_open(line);

	ASSERT_LE(0, fd) TH_LOG("stream to the peer at host port %u: %s",
				VMMGMT_STREAM_PEER_PORT, strerror(-fd));
	return fd;
}

/*
 * The peer's "<sha256 hex> <bytes>" @ans (@what, for the log) against
 * the @n bytes of SHA-256 @hex at this end; then the rate over @secs,
 * printed for @dir.
 */
static void big_check(struct __test_metadata *_metadata, const char *ans,
		      const char *what, unsigned long long n, const char *hex,
		      const char *dir, double secs)
{
	char got_hex[VMMGMT_SHA256_HEX + 1];
	unsigned long long got_n = 0;
	int k;

	k = sscanf(ans, "%64s %llu", got_hex, &got_n);
	ASSERT_EQ(2, k) TH_LOG("%s'%s'", what, ans);
	EXPECT_EQ(n, got_n);
	EXPECT_STREQ(hex, got_hex);
	ksft_print_msg("%s: %llu bytes in %.1f s, %.1f MB/s (with SHA-256)\n",
		       dir, n, secs, mb_per_s(n, secs));
}

/* FIPS 180-4 examples; and the pattern is the same at any offset. */
TEST(sha256_vectors)
{
	unsigned char whole[100], part[100];
	unsigned long i;

	EXPECT_EQ(0, vmmgmt_sha256_selftest());
	vmmgmt_pattern_fill(42, 0, whole, sizeof(whole));
	for (i = 0; i < 20; i++) {
		vmmgmt_pattern_fill(42, i, part, sizeof(part) - i);
		ASSERT_EQ(0, memcmp(whole + i, part, sizeof(part) - i));
	}
	vmmgmt_pattern_fill(43, 0, part, sizeof(part));
	ASSERT_NE(0, memcmp(whole, part, sizeof(part)));
}

FIXTURE(stream) {
	__u32 vm_id;
	char tag[STREAM_PEER_TAG_MAX];	/* a held stream to release */
};

FIXTURE_SETUP(stream)
{
	struct vmmgmt_version ver = { 0 };
	struct vmmgmt_info info = { 0 };
	int fd;

	self->tag[0] = '\0';
	if (!open_link_up(_metadata, &fd))
		return;
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_GET_VERSION, &ver));
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_GET_INFO, &info));
	close(fd);
	ASSERT_EQ(VMMGMT_ABI_MAJOR, ver.abi_major);
	if (ver.abi_minor < 7)
		SKIP(return, "guest module ABI 0.%u: no streams before 0.7",
		     ver.abi_minor);
	if (info.abi_minor < 7)
		SKIP(return, "host module ABI 0.%u: no streams before 0.7",
		     info.abi_minor);
	self->vm_id = info.vm_id;
}

FIXTURE_TEARDOWN(stream)
{
	if (self->tag[0])
		peer_release(self->tag);
}

TEST_F(stream, refused_without_listener)
{
	struct vmmgmt_addr host = { .port = NO_HOST_PORT };
	struct vmmgmt_addr self_vm = { .vm = self->vm_id,
				       .port = NO_GUEST_PORT };

	ASSERT_EQ(-ECONNREFUSED, stream_connect(&host, 0));
	ASSERT_EQ(-ECONNREFUSED, stream_connect(&self_vm, 0));
}

TEST_F_TIMEOUT(stream, half_close, 60)
{
	static const char msg[] = "half-closed, still listening";
	char ans[160], hex[VMMGMT_SHA256_HEX + 1];
	struct vmmgmt_sha256 s;
	int fd;

	fd = peer_open("sink");
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	ASSERT_EQ(0, vmmgmt_write_all(fd, msg, sizeof(msg) - 1));
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	/* Writing after our shutdown: EPIPE, no SIGPIPE. */
	ASSERT_EQ(-1, write(fd, "x", 1));
	ASSERT_EQ(EPIPE, errno);
	/* The peer saw our end and answers on its half. */
	ASSERT_LT(0, vmmgmt_read_to_end(fd, ans, sizeof(ans)));
	vmmgmt_sha256_init(&s);
	vmmgmt_sha256_update(&s, msg, sizeof(msg) - 1);
	vmmgmt_sha256_final_hex(&s, hex);
	strcat(hex, " ");
	EXPECT_EQ(0, strncmp(ans, hex, strlen(hex))) TH_LOG("answer '%s'", ans);
	EXPECT_EQ(sizeof(msg) - 1, strtoul(ans + strlen(hex), NULL, 10));
	/* At the end the read stays at the end. */
	ASSERT_EQ(0, read(fd, ans, sizeof(ans)));
	close(fd);
}

/* The peer reads 1 MiB and closes with more unread: a reset. */
TEST_F_TIMEOUT(stream, reset_by_peer, 120)
{
	char line[STREAM_PEER_LINE_MAX], ans[160], tag[STREAM_PEER_TAG_MAX];
	unsigned long long sent = 0;
	unsigned char *buf;
	ssize_t n;
	int fd, err = 0;

	buf = calloc(1, 65536);
	ASSERT_NE(NULL, buf);
	make_tag(tag, sizeof(tag), "rstpeer");
	snprintf(line, sizeof(line), "reset-after %u %s", 1 << 20, tag);
	fd = peer_open(line);
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	/* The window keeps the writer blocked until the reset wakes it. */
	while (sent < (256ULL << 20)) {
		err = vmmgmt_write_all(fd, buf, 65536);
		if (err)
			break;
		sent += 65536;
	}
	ASSERT_EQ(-ECONNRESET, err) TH_LOG("write after %llu bytes: %s",
					   sent, strerror(-err));
	ASSERT_LE(1ULL << 20, sent);
	n = read(fd, buf, 65536);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ECONNRESET, errno);
	close(fd);
	ASSERT_EQ(0, peer_result(tag, ans, sizeof(ans)));
	EXPECT_STREQ("reset-sent 1048576", ans);
	free(buf);
}

/* We close with echoed bytes unread: the peer's stream is reset. */
TEST_F_TIMEOUT(stream, reset_by_guest, 60)
{
	char line[STREAM_PEER_LINE_MAX], ans[160], tag[STREAM_PEER_TAG_MAX];
	struct pollfd p;
	unsigned char *buf;
	int fd;

	buf = calloc(1, 65536);
	ASSERT_NE(NULL, buf);
	make_tag(tag, sizeof(tag), "rstguest");
	snprintf(line, sizeof(line), "echo %s", tag);
	fd = peer_open(line);
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	ASSERT_EQ(0, vmmgmt_write_all(fd, buf, 65536));
	p.fd = fd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no echo within 10 s");
	ASSERT_TRUE(p.revents & POLLIN);
	close(fd);
	ASSERT_EQ(0, peer_result(tag, ans, sizeof(ans)));
	EXPECT_STREQ("error ECONNRESET", ans);
	free(buf);
}

TEST_F_TIMEOUT(stream, nonblock_and_poll, 60)
{
	struct pollfd p;
	char buf[16];
	int fd;

	fd = peer_open("echo");
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	/* Nothing to read yet: EAGAIN; the window is open: POLLOUT only. */
	ASSERT_EQ(-1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(EAGAIN, errno);
	p.fd = fd;
	p.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLOUT, p.revents);
	ASSERT_EQ(4, write(fd, "ping", 4));
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no echo within 10 s");
	ASSERT_EQ(POLLIN, p.revents);
	ASSERT_EQ(4, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "ping", 4));
	ASSERT_EQ(-1, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(EAGAIN, errno);
	/* Our end; the peer's end follows: POLLIN and read() 0. */
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no end of stream within 10 s");
	ASSERT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(0, read(fd, buf, sizeof(buf)));
	/* Both sides done: the stream is over. */
	p.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLHUP) TH_LOG("revents %#x", p.revents);
	close(fd);
}

/*
 * A peer that reads nothing: one window of bytes goes out (waiting on
 * POLLOUT when the VM's credit for the destination runs out first), then
 * EAGAIN and no POLLOUT; its close (on release) resets the stream.  The peer
 * read our command line, a few bytes: its window may or may not have
 * moved on by those (an ACK is due only after a quarter of the window).
 */
TEST_F_TIMEOUT(stream, nonblock_window_full, 60)
{
	char line[STREAM_PEER_LINE_MAX];
	unsigned long long total = 0, cmd;
	unsigned char *buf;
	struct pollfd p;
	ssize_t n;
	int fd;

	buf = calloc(1, 65536);
	ASSERT_NE(NULL, buf);
	make_tag(self->tag, sizeof(self->tag), "hold");
	snprintf(line, sizeof(line), "hold %s", self->tag);
	fd = peer_open(line);
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	/* The command line took its share of the window. */
	cmd = strlen(line) + 1;
	for (;;) {
		n = write(fd, buf, 65536);
		if (n < 0) {
			ASSERT_EQ(EAGAIN, errno);
			/*
			 * Out of window, or of the VM's credit for the
			 * destination until the host returns it: POLLOUT
			 * says which.
			 */
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, 1000) == 1 && (p.revents & POLLOUT))
				continue;
			break;
		}
		ASSERT_LT(0, n);
		total += n;
		ASSERT_GE((unsigned long long)VMMGMT_STREAM_WINDOW, total);
	}
	EXPECT_LE((unsigned long long)VMMGMT_STREAM_WINDOW - cmd, total);
	p.fd = fd;
	p.events = POLLOUT | POLLIN;
	ASSERT_EQ(0, poll(&p, 1, 500)) TH_LOG("revents %#x", p.revents);
	ASSERT_EQ(-1, write(fd, buf, 1));
	ASSERT_EQ(EAGAIN, errno);
	/* Released, the peer closes with our bytes unread: a reset. */
	peer_release(self->tag);
	self->tag[0] = '\0';
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no reset within 10 s");
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP)) TH_LOG("revents %#x",
							    p.revents);
	ASSERT_EQ(-1, write(fd, buf, 1));
	ASSERT_EQ(ECONNRESET, errno);
	close(fd);
	free(buf);
}

/* sendfile() from a file in /tmp into a stream to the peer's sink. */
TEST_F_TIMEOUT(stream, sendfile_into_stream, 120)
{
	const size_t size = (8 << 20) + 123;
	char path[] = "/tmp/vmmgmt-stream-XXXXXX";
	char ans[160], hex[VMMGMT_SHA256_HEX + 1];
	struct vmmgmt_sha256 s;
	unsigned char *buf;
	off_t off = 0;
	ssize_t n;
	int fd, file;

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	vmmgmt_pattern_fill(3, 0, buf, size);
	vmmgmt_sha256_init(&s);
	vmmgmt_sha256_update(&s, buf, size);
	vmmgmt_sha256_final_hex(&s, hex);
	file = mkstemp(path);
	ASSERT_LE(0, file);
	unlink(path);
	ASSERT_EQ(0, vmmgmt_write_all(file, buf, size));
	free(buf);

	fd = peer_open("sink");
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	while ((size_t)off < size) {
		n = sendfile(fd, file, &off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_LT(0, n) TH_LOG("sendfile at %lld: %s", (long long)off,
				       n ? strerror(errno) : "0 bytes");
	}
	close(file);
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	ASSERT_LT(0, vmmgmt_read_to_end(fd, ans, sizeof(ans)));
	close(fd);
	strcat(hex, " ");
	EXPECT_EQ(0, strncmp(ans, hex, strlen(hex))) TH_LOG("answer '%s'", ans);
	EXPECT_EQ(size, strtoul(ans + strlen(hex), NULL, 10));
}

/* splice() out of a stream from the peer's source into a pipe. */
TEST_F_TIMEOUT(stream, splice_out_of_stream, 120)
{
	const unsigned long long size = (4 << 20) + 7;
	unsigned char buf[65536], want[65536];
	char line[STREAM_PEER_LINE_MAX];
	unsigned long long off = 0;
	ssize_t n, k, got;
	int fd, pfd[2];

	snprintf(line, sizeof(line), "source %llu 4", size);
	fd = peer_open(line);
	ASSERT_LE(0, fd) TH_LOG("stream to the peer: %s", strerror(-fd));
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	ASSERT_EQ(0, pipe(pfd));
	for (;;) {
		n = splice(fd, NULL, pfd[1], NULL, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_LE(0, n) TH_LOG("splice at %llu: %s", off,
				       strerror(errno));
		if (!n)
			break;
		for (got = 0; got < n; got += k) {
			k = read(pfd[0], buf + got, n - got);
			ASSERT_LT(0, k);
		}
		vmmgmt_pattern_fill(4, off, want, n);
		ASSERT_EQ(0, memcmp(buf, want, n)) TH_LOG("at %llu", off);
		off += n;
	}
	ASSERT_EQ(size, off);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

struct connector {
	struct vmmgmt_addr addr;
	__u32 timeout_ms;
	int fd;			/* the stream, or -errno */
};

static void *connect_thread(void *arg)
{
	struct connector *c = arg;

	c->fd = stream_connect(&c->addr, c->timeout_ms);
	return NULL;
}

/*
 * A listener in this VM with a backlog of 1: one connector waits in it,
 * the next one is refused; accept() then takes the first.
 */
TEST_F_TIMEOUT(stream, backlog_full_refused, 60)
{
	struct vmmgmt_stream_listen l = { .port = 0, .backlog = 1 };
	struct vmmgmt_stream_listen big = {
		.backlog = VMMGMT_STREAM_BACKLOG_MAX + 1,
	};
	struct vmmgmt_stream_accept a = { 0 };
	struct connector c = { .timeout_ms = 20000 };
	struct pollfd p;
	pthread_t tid;
	char byte = 0;
	int lfd, fd;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ioctl(fd, VMMGMT_IOC_STREAM_LISTEN, &big));
	ASSERT_EQ(EINVAL, errno);
	close(fd);

	lfd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, ioctl(lfd, VMMGMT_IOC_STREAM_LISTEN, &l))
		TH_LOG("STREAM_LISTEN: %s", strerror(errno));
	ASSERT_LE((__u32)VMMGMT_PORT_DYNAMIC, l.port);
	c.addr.vm = self->vm_id;
	c.addr.port = l.port;
	ASSERT_EQ(0, pthread_create(&tid, NULL, connect_thread, &c));
	p.fd = lfd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no stream waiting after 10 s");
	ASSERT_EQ(-ECONNREFUSED, stream_connect(&c.addr, 5000));
	ASSERT_EQ(0, ioctl(lfd, VMMGMT_IOC_STREAM_ACCEPT, &a))
		TH_LOG("STREAM_ACCEPT: %s", strerror(errno));
	ASSERT_EQ(0, pthread_join(tid, NULL));
	ASSERT_LE(0, c.fd) TH_LOG("the waiting connector: %s", strerror(-c.fd));
	ASSERT_LE(0, a.fd);
	EXPECT_EQ(self->vm_id, a.peer.vm);
	EXPECT_EQ(0U, a.peer.host);
	/* The two ends are connected. */
	ASSERT_EQ(1, write(c.fd, "s", 1));
	ASSERT_EQ(1, read(a.fd, &byte, 1));
	EXPECT_EQ('s', byte);
	close(a.fd);
	close(c.fd);
	close(lfd);
}

/*
 * peer_open(), waiting up to 10 s for streams closed before to be freed:
 * the guest's count frees at close (EMFILE before), the host's
 * (ECONNREFUSED past VMMGMT_STREAMS_MAX per VM) once the peer has closed
 * its ends too.
 */
static int peer_open_freed(const char *line)
{
	double end = vmmgmt_now_s() + 10;
	int fd;

	do {
		fd = peer_open(line);
		if (fd != -EMFILE && fd != -ECONNREFUSED)
			break;
		vmmgmt_sleep_ms(100);
	} while (vmmgmt_now_s() < end);
	return fd;
}

/*
 * VMMGMT_STREAMS_MAX streams to the peer's echo, then one more: EMFILE.
 * Once they are closed the limit frees again, on both sides, within
 * 10 s.  Last: it fills the limit (streams of the tests before may still
 * count on the host until the peer closed them: each open waits for
 * that as for the freeing).
 */
TEST_F_TIMEOUT(stream, streams_max_emfile, 120)
{
	int fds[VMMGMT_STREAMS_MAX], i, fd = -1;

	for (i = 0; i < VMMGMT_STREAMS_MAX; i++) {
		fds[i] = peer_open_freed("echo");
		ASSERT_LE(0, fds[i]) TH_LOG("stream %d: %s", i,
					    strerror(-fds[i]));
	}
	ASSERT_EQ(-EMFILE, stream_connect(&peer_addr, 0));
	for (i = 0; i < VMMGMT_STREAMS_MAX; i++)
		close(fds[i]);
	fd = peer_open_freed("echo");
	ASSERT_LE(0, fd) TH_LOG("a stream 10 s after closing the others: %s",
				strerror(-fd));
	close(fd);
}

/* The long ones last: the others report first if these run out of time. */

/* VMMGMT_STREAM_BYTES of the pattern to the peer's sink, 1 MiB writes. */
TEST_F_TIMEOUT(stream, guest_to_host_big, 900)
{
	unsigned long long n = big_bytes(), off;
	char line[STREAM_PEER_LINE_MAX], ans[160], hex[VMMGMT_SHA256_HEX];
	char tag[STREAM_PEER_TAG_MAX];
	struct vmmgmt_sha256 s;
	unsigned char *buf;
	double t0, t1;
	size_t len;
	int fd;

	buf = malloc(CHUNK);
	ASSERT_NE(NULL, buf);
	make_tag(tag, sizeof(tag), "g2h");
	snprintf(line, sizeof(line), "sink %s", tag);
	fd = big_open(_metadata, line);
	vmmgmt_sha256_init(&s);
	t0 = vmmgmt_now_s();
	for (off = 0; off < n; off += len) {
		len = n - off < CHUNK ? n - off : CHUNK;
		vmmgmt_pattern_fill(1, off, buf, len);
		vmmgmt_sha256_update(&s, buf, len);
		ASSERT_EQ(0, vmmgmt_write_all(fd, buf, len))
			TH_LOG("write at offset %llu of %llu", off, n);
	}
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	ASSERT_LT(0, vmmgmt_read_to_end(fd, ans, sizeof(ans)));
	t1 = vmmgmt_now_s();
	close(fd);
	vmmgmt_sha256_final_hex(&s, hex);
	big_check(_metadata, ans, "peer answered ", n, hex, "guest to host",
		  t1 - t0);
	free(buf);
}

/*
 * The peer sends VMMGMT_STREAM_BYTES of the pattern; we check every byte
 * against the pattern and the SHA-256 of all against the peer's.  We
 * shut our side down first: a half-closed stream still reads.
 */
TEST_F_TIMEOUT(stream, host_to_guest_big, 900)
{
	unsigned long long n = big_bytes(), off = 0;
	char line[STREAM_PEER_LINE_MAX], ans[160], hex[VMMGMT_SHA256_HEX];
	char tag[STREAM_PEER_TAG_MAX];
	unsigned char *buf, *want;
	struct vmmgmt_sha256 s;
	double t0, t1;
	ssize_t k;
	size_t i;
	int fd;

	buf = malloc(CHUNK);
	want = malloc(CHUNK);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	make_tag(tag, sizeof(tag), "h2g");
	snprintf(line, sizeof(line), "source %llu 2 %s", n, tag);
	t0 = vmmgmt_now_s();
	fd = big_open(_metadata, line);
	ASSERT_EQ(0, ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN));
	vmmgmt_sha256_init(&s);
	for (;;) {
		k = read(fd, buf, CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		ASSERT_LE(0, k) TH_LOG("read at offset %llu: %s", off,
				       strerror(errno));
		if (!k)
			break;
		ASSERT_GE(n, off + k) TH_LOG("more than %llu bytes", n);
		vmmgmt_pattern_fill(2, off, want, k);
		if (memcmp(buf, want, k)) {
			for (i = 0; buf[i] == want[i]; i++)
				;
			ASSERT_EQ(0, 1) TH_LOG("byte %llu is %#x, want %#x",
					       off + i, buf[i], want[i]);
		}
		vmmgmt_sha256_update(&s, buf, k);
		off += k;
	}
	t1 = vmmgmt_now_s();
	close(fd);
	ASSERT_EQ(n, off);
	vmmgmt_sha256_final_hex(&s, hex);
	ASSERT_EQ(0, peer_result(tag, ans, sizeof(ans)));
	big_check(_metadata, ans, "peer's result: ", n, hex, "host to guest",
		  t1 - t0);
	free(buf);
	free(want);
}

TEST_HARNESS_MAIN
