// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_stream_peer: the host side of the guests' stream selftest
 * (selftests/guest/vmmgmt_guest_stream_test.c).  host-init runs it in the
 * host VM in check mode.  The protocol is in selftests/vmmgmt_stream_peer.h.
 *
 * It listens for streams on host port VMMGMT_STREAM_PEER_PORT (or
 * --port) of /dev/vmmgmt-host and serves each accepted stream in a
 * thread of its own: a command line, then sink, source, echo,
 * reset-after, hold, release or result.  One line per stream goes to
 * stderr ("stream-peer: ...").  It prints "stream-peer: listening on
 * host port P" when ready and runs until killed; exit 1 when it cannot
 * listen (3 when the host module has no streams: ENOTTY).
 *
 * Usage: vmmgmt_stream_peer [--port P]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>
#include <vmmgmt_sha256.h>

#include "kselftest.h"

#include "../vmmgmt_stream_peer.h"

#define CHUNK		(1024 * 1024)
#define RESULTS_MAX	512

/* One stream's result, by its guest-chosen tag (and the guest's VM). */
struct result {
	__u32 vm;
	char tag[STREAM_PEER_TAG_MAX];
	char line[128];
	bool pending;
	int held_fd;		/* hold: the stream, until released; or -1 */
	unsigned long seq;	/* age, for reuse */
};

static struct result results[RESULTS_MAX];
static unsigned long result_seq;
static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t results_cond = PTHREAD_COND_INITIALIZER;

struct stream {
	int fd;
	struct vmmgmt_addr peer;
	char who[48];
	char line[STREAM_PEER_LINE_MAX + 1];
	double t0;
};

static __printf(2, 3) void peer_log(const struct stream *s, const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fprintf(stderr, "stream-peer: %s: ", s->who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%.1f s)\n", vmmgmt_now_s() - s->t0);
	funlockfile(stderr);
}

static const char *errno_name(int err)
{
	switch (err) {
	case ECONNRESET:
		return "ECONNRESET";
	case EPIPE:
		return "EPIPE";
	case EPROTO:
		return "EPROTO";
	case ENOTCONN:
		return "ENOTCONN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		return "EOTHER";
	}
}

/*
 * The slot of (vm, tag): its own, else the oldest one that is neither
 * pending nor holding a stream (the oldest of all when every one is).
 * Called with results_lock held.
 */
static struct result *result_slot(__u32 vm, const char *tag)
{
	struct result *r, *old = NULL, *oldest = &results[0];
	int i;

	for (i = 0; i < RESULTS_MAX; i++) {
		r = &results[i];
		if (r->tag[0] && r->vm == vm && !strcmp(r->tag, tag))
			return r;
		if (r->seq < oldest->seq)
			oldest = r;
		if (r->held_fd < 0 && !r->pending && (!old || r->seq < old->seq))
			old = r;
	}
	if (!old)
		old = oldest;
	memset(old, 0, sizeof(*old));
	old->held_fd = -1;
	old->vm = vm;
	snprintf(old->tag, sizeof(old->tag), "%s", tag);
	return old;
}

static void result_set(const struct stream *s, const char *tag, bool pending,
		       const char *fmt, ...)
{
	struct result *r;
	va_list ap;

	if (!tag[0])
		return;
	pthread_mutex_lock(&results_lock);
	r = result_slot(s->peer.vm, tag);
	r->pending = pending;
	r->seq = ++result_seq;
	va_start(ap, fmt);
	vsnprintf(r->line, sizeof(r->line), fmt, ap);
	va_end(ap);
	pthread_cond_broadcast(&results_cond);
	pthread_mutex_unlock(&results_lock);
}

/* read(), again after a signal. */
static ssize_t s_read(struct stream *s, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(s->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Write all of @buf; 0 or -errno. */
static int s_write(struct stream *s, const void *buf, size_t len)
{
	return vmmgmt_write_all(s->fd, buf, len);
}

static int s_shutdown(struct stream *s)
{
	return ioctl(s->fd, VMMGMT_HOST_IOC_STREAM_SHUTDOWN) ? -errno : 0;
}

/* The command line: read byte by byte up to its '\n'; 0 or -errno. */
static int read_line(struct stream *s)
{
	return vmmgmt_read_line(s->fd, s->line, sizeof(s->line));
}

static int drain(struct stream *s, struct vmmgmt_sha256 *h,
		 unsigned long long *bytes)
{
	static __thread char *buf;
	ssize_t n;

	if (!buf)
		buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = s_read(s, buf, CHUNK);
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		if (h)
			vmmgmt_sha256_update(h, buf, n);
		*bytes += n;
	}
}

static void cmd_sink(struct stream *s, const char *tag)
{
	unsigned long long bytes = 0;
	struct vmmgmt_sha256 h;
	char hex[VMMGMT_SHA256_HEX], reply[128];
	int err;

	vmmgmt_sha256_init(&h);
	err = drain(s, &h, &bytes);
	if (err) {
		peer_log(s, "sink: %s after %llu bytes", strerror(-err), bytes);
		result_set(s, tag, false, "error %s", errno_name(-err));
		return;
	}
	vmmgmt_sha256_final_hex(&h, hex);
	snprintf(reply, sizeof(reply), "%s %llu\n", hex, bytes);
	err = s_write(s, reply, strlen(reply));
	if (!err)
		err = s_shutdown(s);
	peer_log(s, "sink: %llu bytes, sha256 %s%s%s", bytes, hex,
		 err ? ", reply: " : "", err ? strerror(-err) : "");
	result_set(s, tag, false, "%s %llu", hex, bytes);
}

static void cmd_source(struct stream *s, unsigned long long n,
		       unsigned long long seed, const char *tag)
{
	unsigned long long off = 0, rest = 0;
	struct vmmgmt_sha256 h;
	char hex[VMMGMT_SHA256_HEX];
	size_t len;
	char *buf;
	int err = 0;

	buf = malloc(CHUNK);
	if (!buf)
		return;
	vmmgmt_sha256_init(&h);
	while (off < n && !err) {
		len = n - off < CHUNK ? n - off : CHUNK;
		vmmgmt_pattern_fill(seed, off, buf, len);
		vmmgmt_sha256_update(&h, buf, len);
		err = s_write(s, buf, len);
		if (!err)
			off += len;
	}
	free(buf);
	if (!err)
		err = s_shutdown(s);
	if (err) {
		peer_log(s, "source: %s after %llu of %llu bytes", strerror(-err),
			 off, n);
		result_set(s, tag, false, "error %s", errno_name(-err));
		return;
	}
	vmmgmt_sha256_final_hex(&h, hex);
	result_set(s, tag, false, "%s %llu", hex, n);
	err = drain(s, NULL, &rest);
	peer_log(s, "source: %llu bytes of seed %llu sent, sha256 %s; then %llu bytes, %s",
		 n, seed, hex, rest, err ? strerror(-err) : "end");
}

static void cmd_echo(struct stream *s, const char *tag)
{
	unsigned long long bytes = 0;
	ssize_t n;
	int err = 0;
	char *buf = malloc(CHUNK);

	if (!buf)
		return;
	for (;;) {
		n = s_read(s, buf, CHUNK);
		if (n <= 0) {
			err = n < 0 ? -errno : s_shutdown(s);
			break;
		}
		err = s_write(s, buf, n);
		if (err)
			break;
		bytes += n;
	}
	free(buf);
	peer_log(s, "echo: %llu bytes, %s", bytes, err ? strerror(-err) : "end");
	if (err)
		result_set(s, tag, false, "error %s", errno_name(-err));
	else
		result_set(s, tag, false, "ok %llu", bytes);
}

static void cmd_reset_after(struct stream *s, unsigned long long n,
			    const char *tag)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	unsigned long long got = 0;
	char *buf = malloc(CHUNK);
	ssize_t k;

	if (!buf)
		return;
	while (got < n) {
		k = s_read(s, buf, n - got < CHUNK ? n - got : CHUNK);
		if (k <= 0) {
			peer_log(s, "reset-after: %s after %llu bytes",
				 k ? strerror(errno) : "end", got);
			result_set(s, tag, false, "error %s",
				   k ? errno_name(errno) : "EOF");
			free(buf);
			return;
		}
		got += k;
	}
	free(buf);
	/* Unread bytes make close() a reset. */
	poll(&p, 1, 10000);
	peer_log(s, "reset-after: read %llu bytes, closing with %s", got,
		 p.revents & POLLIN ? "bytes unread (reset)" : "nothing unread");
	result_set(s, tag, false, "reset-sent %llu", got);
}

/* hold: the stream waits in its result slot until released. */
static void cmd_hold(struct stream *s, const char *tag)
{
	struct timespec until;
	struct result *r;
	int fd = s->fd;

	if (!tag[0]) {
		sleep(STREAM_PEER_HOLD_S);
		peer_log(s, "hold: %d s over", STREAM_PEER_HOLD_S);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STREAM_PEER_HOLD_S;
	pthread_mutex_lock(&results_lock);
	r = result_slot(s->peer.vm, tag);
	r->pending = true;
	r->held_fd = fd;
	r->seq = ++result_seq;
	snprintf(r->line, sizeof(r->line), "held");
	while (r->held_fd == fd &&
	       pthread_cond_timedwait(&results_cond, &results_lock, &until) != ETIMEDOUT)
		;
	if (r->held_fd == fd)
		r->held_fd = -1;
	r->pending = false;
	snprintf(r->line, sizeof(r->line), "released");
	pthread_mutex_unlock(&results_lock);
	peer_log(s, "hold: released");
}

static void cmd_release(struct stream *s, const char *tag)
{
	int i, released = 0;
	char reply[64];

	pthread_mutex_lock(&results_lock);
	for (i = 0; i < RESULTS_MAX; i++) {
		if (results[i].held_fd >= 0 && results[i].vm == s->peer.vm &&
		    !strcmp(results[i].tag, tag)) {
			results[i].held_fd = -1;
			released++;
		}
	}
	pthread_cond_broadcast(&results_cond);
	pthread_mutex_unlock(&results_lock);
	snprintf(reply, sizeof(reply), "released %d\n", released);
	s_write(s, reply, strlen(reply));
	s_shutdown(s);
	peer_log(s, "release %s: %d", tag, released);
}

static void cmd_result(struct stream *s, const char *tag)
{
	char reply[160];
	int i;

	snprintf(reply, sizeof(reply), "unknown\n");
	pthread_mutex_lock(&results_lock);
	for (i = 0; i < RESULTS_MAX; i++) {
		if (results[i].tag[0] && results[i].vm == s->peer.vm &&
		    !strcmp(results[i].tag, tag)) {
			snprintf(reply, sizeof(reply), "%s\n",
				 results[i].pending ? "pending" : results[i].line);
			break;
		}
	}
	pthread_mutex_unlock(&results_lock);
	s_write(s, reply, strlen(reply));
	s_shutdown(s);
	peer_log(s, "result %s: %.*s", tag, (int)strlen(reply) - 1, reply);
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	return n < STREAM_PEER_TAG_MAX &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static void serve(struct stream *s)
{
	char verb[16] = "", tag[64] = "", reply[64];
	unsigned long long a = 0, b = 0;
	int err, k;

	err = read_line(s);
	if (err) {
		peer_log(s, "no command line: %s", strerror(-err));
		return;
	}
	k = sscanf(s->line, "%15s", verb);
	if (k == 1 && (!strcmp(verb, "sink") || !strcmp(verb, "echo") ||
		       !strcmp(verb, "hold"))) {
		k = sscanf(s->line, "%*s %63s", tag);
		if (tag_ok(tag)) {
			if (tag[0])
				result_set(s, tag, true, "pending");
			if (verb[0] == 's')
				cmd_sink(s, tag);
			else if (verb[0] == 'e')
				cmd_echo(s, tag);
			else
				cmd_hold(s, tag);
			return;
		}
	} else if (k == 1 && !strcmp(verb, "source")) {
		k = sscanf(s->line, "%*s %llu %llu %63s", &a, &b, tag);
		if (k >= 2 && tag_ok(tag)) {
			result_set(s, tag, true, "pending");
			cmd_source(s, a, b, tag);
			return;
		}
	} else if (k == 1 && !strcmp(verb, "reset-after")) {
		k = sscanf(s->line, "%*s %llu %63s", &a, tag);
		if (k >= 1 && tag_ok(tag)) {
			result_set(s, tag, true, "pending");
			cmd_reset_after(s, a, tag);
			return;
		}
	} else if (k == 1 && (!strcmp(verb, "result") ||
			      !strcmp(verb, "release"))) {
		k = sscanf(s->line, "%*s %63s", tag);
		if (k == 1 && tag_ok(tag)) {
			if (verb[2] == 's')
				cmd_result(s, tag);
			else
				cmd_release(s, tag);
			return;
		}
	}
	peer_log(s, "bad command line '%s'", s->line);
	snprintf(reply, sizeof(reply), "error bad command\n");
	s_write(s, reply, strlen(reply));
}

static void *stream_thread(void *arg)
{
	struct stream *s = arg;

	serve(s);
	close(s->fd);
	free(s);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmmgmt_stream_listen l = {
		.port = VMMGMT_STREAM_PEER_PORT,
		.backlog = VMMGMT_STREAM_BACKLOG_MAX,
	};
	struct vmmgmt_stream_accept a;
	pthread_attr_t attr;
	struct stream *s;
	pthread_t tid;
	int lfd, opt, i;

	while ((opt = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		if (opt != 'p') {
			fprintf(stderr, "usage: vmmgmt_stream_peer [--port P]\n");
			return 2;
		}
		l.port = strtoul(optarg, NULL, 0);
	}
	for (i = 0; i < RESULTS_MAX; i++)
		results[i].held_fd = -1;
	/* A stream's errors come as errnos; nothing else writes pipes. */
	signal(SIGPIPE, SIG_IGN);
	lfd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (lfd < 0) {
		fprintf(stderr, "stream-peer: " VMMGMT_HOST_DEV ": %s\n",
			strerror(errno));
		return 1;
	}
	if (ioctl(lfd, VMMGMT_HOST_IOC_STREAM_LISTEN, &l)) {
		fprintf(stderr, "stream-peer: VMMGMT_HOST_IOC_STREAM_LISTEN port %u: %s\n",
			l.port, strerror(errno));
		return errno == ENOTTY ? 3 : 1;
	}
	fprintf(stderr, "stream-peer: listening on host port %u\n", l.port);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		memset(&a, 0, sizeof(a));
		if (ioctl(lfd, VMMGMT_HOST_IOC_STREAM_ACCEPT, &a)) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EMFILE || errno == ENOMEM) {
				if (errno == EMFILE || errno == ENOMEM)
					vmmgmt_sleep_ms(100);
				continue;
			}
			fprintf(stderr, "stream-peer: VMMGMT_HOST_IOC_STREAM_ACCEPT: %s\n",
				strerror(errno));
			return 1;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			close(a.fd);
			continue;
		}
		s->fd = a.fd;
		s->peer = a.peer;
		s->t0 = vmmgmt_now_s();
		snprintf(s->who, sizeof(s->who), "%u:%u:%u", a.peer.host,
			 a.peer.vm, a.peer.port);
		if (pthread_create(&tid, &attr, stream_thread, s)) {
			close(s->fd);
			free(s);
		}
	}
}
