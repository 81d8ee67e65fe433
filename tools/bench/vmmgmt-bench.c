// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench: echo figures of the vmmgmt channel, and of virtio-vsock in
 * the same VMs for comparison.
 *
 * In a guest, "vmmgmt-bench guest" measures, against the host module's
 * echo service (0, 0, VMMGMT_PORT_ECHO) through /dev/vmmgmt and against a
 * vsock echo server in the host VM ("vmmgmt-bench vsock-echo-server"):
 * the sustained echo rate of 64 B and 64 KiB messages with a window of
 * messages in flight (one writer and one reader thread), the round trip
 * time of 64 B messages one at a time (median and 99th percentile), and
 * for vmmgmt the guest's doorbells and interrupts per echoed message; then
 * the chat_ figures, the same echo streamed with a deep window (the rate,
 * the throughput, and the doorbells and interrupts per message under that
 * sustained load).
 * Every figure is one line "FIGURE <name> <value> <unit>" on stdout.
 * "vmmgmt-bench smoke" runs the vmmgmt part with a few hundred messages
 * and checks that every figure came out, for the test runs.
 *
 * Documentation/testing.rst ("Benchmarks") explains the figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "vmmgmt.h"

#define GUEST_DEV		"/dev/vmmgmt"
#define HOST_DEV		"/dev/vmmgmt-host"
#define GUEST_SYSFS		"/sys/class/misc/vmmgmt"

#define VSOCK_PORT_DEFAULT	7007	/* SOCK_SEQPACKET; STREAM on +1 */
#define SMALL			64
#define LARGE			(64 * 1024)
/* Messages in flight in the streamed (chat_) runs. */
#define STREAM_WINDOW		256
#define STREAM_WINDOW_LARGE	16
#define EXIT_USAGE		2
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* host-echo-server: the host module has no endpoint API (yet). */
#define EXIT_UNSUPPORTED	3

#define bench_err(fmt, ...) \
	fprintf(stderr, "vmmgmt-bench: " fmt "\n", ##__VA_ARGS__)

/* ---- options ---- */

struct opts {
	double seconds;		/* length of each rate run */
	unsigned long msgs;	/* cap on messages of each 64 B rate run */
	unsigned long large_msgs; /* the same for the 64 KiB run */
	unsigned long samples;	/* round trips for the percentiles */
	unsigned int cid;	/* vsock peer; 0: no vsock runs */
	unsigned int vsock_port;
	unsigned int host_port;	/* host endpoint port; 0: no such run */
	unsigned int ctl_port;	/* flood, victim: port the host commands */
	unsigned int peer_vm;	/* vm2vm: the other guest's VM id */
	unsigned int peer_port;	/* vm2vm, vm2vm-echo: its vmmgmt port */
	unsigned int relay_cid;	/* vsock-relay: where to */
	unsigned int relay_port;
	bool marks;		/* print BENCH-MARK lines, pause after each */
	bool smoke;
};

/* ---- time ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- transports: one message per send and receive ---- */

enum transport { K_VMMGMT, K_SEQPACKET, K_STREAM };

static const char * const kind_names[] = {
	[K_VMMGMT] = "vmmgmt", [K_SEQPACKET] = "vsock SOCK_SEQPACKET",
	[K_STREAM] = "vsock SOCK_STREAM (4-byte length prefix)",
};

struct conn {
	int fd;
	enum transport kind;
};

static int full_write(int fd, const struct iovec *iov_in, int cnt)
{
	struct iovec iov[2];
	ssize_t n;
	int i = 0;

	memcpy(iov, iov_in, cnt * sizeof(*iov));
	while (i < cnt) {
		n = writev(fd, iov + i, cnt - i);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (i < cnt && (size_t)n >= iov[i].iov_len) {
			n -= iov[i].iov_len;
			i++;
		}
		if (i < cnt) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	return 0;
}

static int full_read(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		got += n;
	}
	return 0;
}

/* Send one message; 0 or -errno. */
static int msg_send(const struct conn *c, const void *buf, size_t len)
{
	struct iovec iov[2];
	uint32_t hdr = len;
	ssize_t n;

	if (c->kind == K_STREAM) {
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)buf;
		iov[1].iov_len = len;
		return full_write(c->fd, iov, 2);
	}
	do {
		n = write(c->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Receive one message into buf (cap bytes); its length or -errno. */
static ssize_t msg_recv(const struct conn *c, void *buf, size_t cap)
{
	uint32_t hdr;
	ssize_t n;
	int err;

	if (c->kind == K_STREAM) {
		err = full_read(c->fd, &hdr, sizeof(hdr));
		if (err)
			return err;
		if (hdr > cap)
			return -EMSGSIZE;
		err = full_read(c->fd, buf, hdr);
		return err ? err : (ssize_t)hdr;
	}
	do {
		n = read(c->fd, buf, cap);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0 && c->kind == K_SEQPACKET)
		return -ECONNRESET;
	return n;
}

/* A /dev/vmmgmt file on a dynamic port, connected to (0, vm, port). */
static int open_vmmgmt_to(struct conn *c, unsigned int vm, unsigned int port)
{
	struct vmmgmt_addr dst = { .host = 0, .vm = vm, .port = port };
	struct vmmgmt_bind b = { 0 };
	int err;

	c->kind = K_VMMGMT;
	c->fd = open(GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (ioctl(c->fd, VMMGMT_IOC_BIND, &b) ||
	    ioctl(c->fd, VMMGMT_IOC_CONNECT, &dst)) {
		err = -errno;
		close(c->fd);
		return err;
	}
	return 0;
}

static int open_vmmgmt(struct conn *c, unsigned int port)
{
	return open_vmmgmt_to(c, VMMGMT_HOST_PEER_ID, port);
}

static int open_vsock(struct conn *c, enum transport kind, unsigned int cid,
		      unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port,
	};
	int err;

	c->kind = kind;
	c->fd = socket(AF_VSOCK, (kind == K_STREAM ? SOCK_STREAM :
				  SOCK_SEQPACKET) | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(c->fd);
		return err;
	}
	return 0;
}

/* ---- measurements ---- */

/*
 * Every message carries its sequence number in its first 8 bytes (when it
 * has that many): an answer that is lost, repeated or out of order stops
 * the run with an error instead of being counted.
 */
static void stamp(unsigned char *buf, size_t len, uint64_t seq)
{
	if (len >= sizeof(seq))
		memcpy(buf, &seq, sizeof(seq));
}

static int check_answer(const unsigned char *buf, ssize_t n, size_t len,
			uint64_t seq, char *err, size_t errlen)
{
	uint64_t got;

	if (n < 0) {
		snprintf(err, errlen, "answer %llu: %s",
			 (unsigned long long)seq, strerror((int)-n));
		return -1;
	}
	if ((size_t)n != len) {
		snprintf(err, errlen, "answer %llu: %zd bytes, want %zu",
			 (unsigned long long)seq, n, len);
		return -1;
	}
	if (len >= sizeof(got)) {
		memcpy(&got, buf, sizeof(got));
		if (got != seq) {
			snprintf(err, errlen, "answer %llu carries sequence number %llu",
				 (unsigned long long)seq, (unsigned long long)got);
			return -1;
		}
	}
	return 0;
}

struct rate_run {
	const struct conn *c;
	size_t len;
	unsigned int window;
	unsigned long max_msgs;
	double seconds;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long sent, got;
	bool writer_done, failed;
	char err[160];
};

static void rate_fail(struct rate_run *r, const char *msg)
{
	pthread_mutex_lock(&r->lock);
	if (!r->failed) {
		r->failed = true;
		snprintf(r->err, sizeof(r->err), "%s", msg);
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Set by the flood's control thread: writers stop sending. */
static bool flood_stop;

/* Writer: keep up to window messages in flight until time or count is up. */
static void *rate_writer(void *arg)
{
	struct rate_run *r = arg;
	unsigned char *buf = calloc(1, r->len);
	double end = now() + r->seconds;
	unsigned long seq;
	char msg[160];
	int err;

	if (!buf) {
		rate_fail(r, "out of memory");
		return NULL;
	}
	for (seq = 0; seq < r->max_msgs && now() < end &&
	     !__atomic_load_n(&flood_stop, __ATOMIC_RELAXED); seq++) {
		pthread_mutex_lock(&r->lock);
		while (!r->failed && r->sent - r->got >= r->window)
			pthread_cond_wait(&r->cond, &r->lock);
		pthread_mutex_unlock(&r->lock);
		if (r->failed)
			break;
		stamp(buf, r->len, seq);
		err = msg_send(r->c, buf, r->len);
		if (err) {
			snprintf(msg, sizeof(msg), "send %lu: %s", seq,
				 strerror(-err));
			rate_fail(r, msg);
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->sent++;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->writer_done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	free(buf);
	return NULL;
}

/*
 * Reader: every answer the writer asked for.  Returns the messages echoed
 * per second from the first send to the last answer, or -1.
 */
static double rate_measure(const struct conn *c, size_t len,
			   unsigned int window, unsigned long max_msgs,
			   const struct opts *o, unsigned long *msgs)
{
	struct rate_run r = {
		.c = c, .len = len, .window = window,
		.max_msgs = max_msgs, .seconds = o->seconds,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	unsigned char *buf = malloc(len + 1);
	double t0, t1;
	pthread_t tid;
	char err[160];
	ssize_t n;

	if (!buf)
		return -1;
	t0 = now();
	if (pthread_create(&tid, NULL, rate_writer, &r)) {
		free(buf);
		return -1;
	}
	for (;;) {
		pthread_mutex_lock(&r.lock);
		while (!r.failed && r.got == r.sent && !r.writer_done)
			pthread_cond_wait(&r.cond, &r.lock);
		if (r.failed || (r.writer_done && r.got == r.sent)) {
			pthread_mutex_unlock(&r.lock);
			break;
		}
		pthread_mutex_unlock(&r.lock);
		n = msg_recv(c, buf, len + 1);
		if (check_answer(buf, n, len, r.got, err, sizeof(err))) {
			rate_fail(&r, err);
			break;
		}
		pthread_mutex_lock(&r.lock);
		r.got++;
		pthread_cond_broadcast(&r.cond);
		pthread_mutex_unlock(&r.lock);
	}
	t1 = now();
	pthread_join(tid, NULL);
	free(buf);
	if (r.failed) {
		bench_err("%s echo, %zu bytes: %s", kind_names[c->kind], len,
			  r.err);
		return -1;
	}
	if (!r.got || t1 <= t0) {
		bench_err("%s echo, %zu bytes: no message echoed",
			  kind_names[c->kind], len);
		return -1;
	}
	*msgs = r.got;
	return r.got / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sample p (0..100) of n sorted samples: nearest rank. */
static double percentile(const double *s, unsigned long n, unsigned int p)
{
	unsigned long rank = (n * p + 99) / 100;

	return s[rank ? rank - 1 : 0];
}

/*
 * Round trips of 64 B messages one at a time, at most o->samples and at
 * most 2 * o->seconds long.  Fills p50 and p99 in microseconds.
 */
static int rtt_measure(const struct conn *c, const char *suffix,
		       const struct opts *o, double *p50, double *p99)
{
	unsigned char out[SMALL] = { 0 }, in[SMALL + 1];
	double *s = calloc(o->samples, sizeof(*s));
	double end = now() + 2 * o->seconds, t0;
	unsigned long i;
	char err[160];
	ssize_t n;
	int ret;

	if (!s)
		return -1;
	for (i = 0; i < o->samples && (i < 100 || now() < end); i++) {
		stamp(out, sizeof(out), i);
		t0 = now();
		ret = msg_send(c, out, sizeof(out));
		if (ret) {
			bench_err("%s round trip %lu: send: %s",
				  kind_names[c->kind], i, strerror(-ret));
			free(s);
			return -1;
		}
		n = msg_recv(c, in, sizeof(in));
		s[i] = (now() - t0) * 1e6;
		if (check_answer(in, n, sizeof(out), i, err, sizeof(err))) {
			bench_err("%s round trip: %s", kind_names[c->kind], err);
			free(s);
			return -1;
		}
	}
	qsort(s, i, sizeof(*s), cmp_double);
	*p50 = percentile(s, i, 50);
	*p99 = percentile(s, i, 99);
	printf("INFO round trips%s (%s): %lu samples, min %.1f us, max %.1f us\n",
	       suffix, kind_names[c->kind], i, s[0], s[i - 1]);
	free(s);
	return 0;
}

/* ---- guest side ---- */

static int read_counter(const char *name, unsigned long long *val)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), GUEST_SYSFS "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*val = strtoull(buf, NULL, 10);
	return 0;
}

/* Guest doorbells plus interrupts so far, or -1. */
static long long notifications(void)
{
	unsigned long long db, irq;

	if (read_counter("doorbells", &db) || read_counter("interrupts", &irq))
		return -1;
	return (long long)(db + irq);
}

static void figure(const char *name, const char *suffix, double value,
		   const char *unit)
{
	printf("FIGURE %s%s %.*f %s\n", name, suffix,
	       value < 10 ? 3 : 1, value, unit);
	fflush(stdout);
}

/*
 * A point the host VM samples its own counters at: one line, then a pause
 * so that the host reads them before the next run starts.
 */
static void mark(const struct opts *o, const char *what)
{
	if (!o->marks)
		return;
	printf("BENCH-MARK %s\n", what);
	fflush(stdout);
	sleep(2);
}

struct results {
	double rate_small, rate_large, tput_large, p50, p99;
	double stream_small, stream_tput;	/* the chat_ (streamed) runs */
	size_t large;
	bool ok;
};

/* Guest doorbells and interrupts so far; false if unreadable. */
static bool guest_notes(unsigned long long *db, unsigned long long *irq)
{
	return !read_counter("doorbells", db) &&
	       !read_counter("interrupts", irq);
}

/*
 * The chat_ figures: the same echo, streamed with a deep window
 * (STREAM_WINDOW messages of 64 B in flight, STREAM_WINDOW_LARGE of the
 * large size), so that the sender keeps posting while earlier messages
 * are still being consumed; with notif, the guest's doorbells plus
 * interrupts per echoed message during the 64 B run.
 */
static int measure_stream(const struct conn *c, const char *suffix,
			  size_t large, bool notif, const struct opts *o,
			  struct results *res)
{
	unsigned long long db0 = 0, irq0 = 0, db1 = 0, irq1 = 0;
	unsigned long msgs = 0;
	bool ok0 = true, ok1 = true;
	double v;

	if (notif) {
		mark(o, "stream64-start");
		ok0 = guest_notes(&db0, &irq0);
	}
	v = rate_measure(c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
	if (notif) {
		ok1 = guest_notes(&db1, &irq1);
		mark(o, "stream64-end");
	}
	if (v < 0)
		return -1;
	res->stream_small = v;
	figure("chat_rate_64B", suffix, v, "msg/s");
	if (notif) {
		if (!ok0 || !ok1) {
			bench_err("cannot read " GUEST_SYSFS "/doorbells or interrupts");
			return -1;
		}
		printf("INFO chat stream 64 B, window %u: %lu messages echoed, ",
		       STREAM_WINDOW, msgs);
		printf("%llu doorbells, %llu interrupts\n", db1 - db0,
		       irq1 - irq0);
		figure("chat_notifications_per_msg", suffix,
		       (double)(db1 - db0 + irq1 - irq0) / msgs, "notif/msg");
		figure("chat_doorbells_per_msg", suffix,
		       (double)(db1 - db0) / msgs, "doorbell/msg");
		figure("chat_interrupts_per_msg", suffix,
		       (double)(irq1 - irq0) / msgs, "irq/msg");
	}
	v = rate_measure(c, large, STREAM_WINDOW_LARGE, o->large_msgs, o,
			 &msgs);
	if (v < 0)
		return -1;
	res->stream_tput = v * large;
	figure("chat_tput_64KiB", suffix, v * large / 1e6, "MB/s");
	return 0;
}

/*
 * All figures of one transport; suffix names it ("", "_vsock", ...).
 * With notif, also the guest's notifications per message of the 64 B run;
 * with stream, also the chat_ figures (measure_stream()).
 */
static int measure(const struct conn *c, const char *suffix, size_t large,
		   bool notif, bool stream, const struct opts *o,
		   struct results *res)
{
	long long n0 = 0, n1 = 0;
	unsigned long msgs = 0;
	char name[64];
	double v;

	printf("INFO %s%s: %s, 64 KiB runs with %zu-byte messages\n",
	       "transport", suffix, kind_names[c->kind], large);
	fflush(stdout);
	memset(res, 0, sizeof(*res));
	res->large = large;
	if (notif) {
		mark(o, "rate64-start");
		n0 = notifications();
	}
	v = rate_measure(c, SMALL, 64, o->msgs, o, &msgs);
	if (notif) {
		n1 = notifications();
		mark(o, "rate64-end");
	}
	if (v < 0)
		return -1;
	res->rate_small = v;
	figure("echo_rate_64B", suffix, v, "msg/s");
	if (notif) {
		if (n0 < 0 || n1 < 0) {
			bench_err("cannot read " GUEST_SYSFS "/doorbells or interrupts");
			return -1;
		}
		printf("INFO guest notifications during the 64 B run: %lld for %lu messages\n",
		       n1 - n0, msgs);
		snprintf(name, sizeof(name), "echo_notifications_per_msg");
		figure(name, suffix, (double)(n1 - n0) / msgs, "notif/msg");
	}
	v = rate_measure(c, large, 4, o->large_msgs, o, &msgs);
	if (v < 0)
		return -1;
	res->rate_large = v;
	res->tput_large = v * large;
	figure("echo_rate_64KiB", suffix, v, "msg/s");
	if (rtt_measure(c, suffix, o, &res->p50, &res->p99))
		return -1;
	figure("echo_rtt_p50_64B", suffix, res->p50, "us");
	figure("echo_rtt_p99_64B", suffix, res->p99, "us");
	/* Ping-pong: the round trip of one message at a time. */
	figure("chat_rtt_p50_64B", suffix, res->p50, "us");
	if (stream && measure_stream(c, suffix, large, notif, o, res))
		return -1;
	res->ok = true;
	return 0;
}

static int vsock_connect(struct conn *c, const struct opts *o)
{
	int err;

	err = open_vsock(c, K_SEQPACKET, o->cid, o->vsock_port);
	if (!err)
		return 0;
	printf("INFO vsock SOCK_SEQPACKET to %u:%u: %s; trying SOCK_STREAM on port %u\n",
	       o->cid, o->vsock_port, strerror(-err), o->vsock_port + 1);
	err = open_vsock(c, K_STREAM, o->cid, o->vsock_port + 1);
	if (err)
		bench_err("vsock connect to %u:%u: %s", o->cid,
			  o->vsock_port + 1, strerror(-err));
	return err;
}

/* Figures of a (named with suffix) divided by those of vsock. */
static void ratios(const struct results *a, const char *suffix,
		   const struct results *vsock)
{
	char name[64];

	snprintf(name, sizeof(name), "echo_rate_64B%s_vs_vsock", suffix);
	figure(name, "", a->rate_small / vsock->rate_small, "x");
	snprintf(name, sizeof(name), "echo_rtt_p50_64B%s_vs_vsock", suffix);
	figure(name, "", a->p50 / vsock->p50, "x");
	snprintf(name, sizeof(name), "echo_tput_64KiB%s_vs_vsock", suffix);
	figure(name, "", a->tput_large / vsock->tput_large, "x");
}

static int guest_main(const struct opts *o)
{
	struct results vm = { 0 }, vs = { 0 }, hu = { 0 };
	unsigned long long max = 0;
	size_t large = LARGE;
	struct conn c;
	int fails = 0, err;

	/*
	 * A lost answer would block a read() for good: the whole run is
	 * bounded (each run stops after o->seconds, the round trips after
	 * twice that).
	 */
	alarm(10 * o->seconds + 120);
	if (read_counter("max_msg_size", &max) || !max) {
		bench_err("no vmmgmt link (" GUEST_SYSFS "/max_msg_size)");
		return 1;
	}
	if (max < large)
		large = max;

	err = open_vmmgmt(&c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(GUEST_DEV ": %s", strerror(-err));
		return 1;
	}
	fails += measure(&c, "", large, true, true, o, &vm) != 0;
	close(c.fd);

	if (o->host_port) {
		/*
		 * The same through a userspace endpoint on the host
		 * (vmmgmt-bench host-echo-server).
		 */
		err = open_vmmgmt(&c, o->host_port);
		if (err) {
			bench_err(GUEST_DEV ": %s", strerror(-err));
			fails++;
		} else {
			fails += measure(&c, "_hostuser", large, false, false,
					 o, &hu) != 0;
			close(c.fd);
		}
	}

	if (o->cid) {
		if (vsock_connect(&c, o)) {
			fails++;
		} else {
			fails += measure(&c, "_vsock", LARGE, false, true, o,
					 &vs) != 0;
			close(c.fd);
		}
	}

	if (vm.ok && vs.ok) {
		ratios(&vm, "", &vs);
		figure("chat_rate_64B_vs_vsock", "",
		       vm.stream_small / vs.stream_small, "x");
		figure("chat_rtt_p50_64B_vs_vsock", "", vm.p50 / vs.p50, "x");
		figure("chat_tput_64KiB_vs_vsock", "",
		       vm.stream_tput / vs.stream_tput, "x");
	}
	if (hu.ok && vs.ok)
		ratios(&hu, "_hostuser", &vs);
	if (o->smoke && vm.ok &&
	    !(vm.rate_small > 0 && vm.rate_large > 0 && vm.p50 > 0 &&
	      vm.p99 >= vm.p50 && vm.stream_small > 0 && vm.stream_tput > 0)) {
		bench_err("smoke: implausible figures");
		fails++;
	}
	return fails ? 1 : 0;
}

/* ---- guest side: a flooding VM and its victim ---- */

/* A file bound to port in this guest, for the host's commands. */
static int open_ctl(unsigned int port)
{
	struct vmmgmt_bind b = { .port = port };
	int fd;

	fd = open(GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_IOC_BIND, &b)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The next command from the host, NUL-terminated, or -errno. */
static int read_cmd(int fd, char *buf, size_t cap)
{
	ssize_t n;

	do {
		n = read(fd, buf, cap - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static void *flood_ctl(void *arg)
{
	int fd = *(int *)arg;
	char cmd[64];

	/* Any command, or an error, ends the flood. */
	read_cmd(fd, cmd, sizeof(cmd));
	__atomic_store_n(&flood_stop, true, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * flood: 64 B messages to the host module's echo service, as fast as the
 * channel takes them (STREAM_WINDOW in flight, blocking writes), until a
 * message arrives on ctl_port.
 */
static int flood_main(const struct opts *o)
{
	struct opts fo = *o;
	unsigned long msgs = 0;
	pthread_t tid;
	struct conn c;
	double t0, v;
	int fd, err;

	/* The host stops the flood; this bounds a lost command. */
	alarm(600);
	fd = open_ctl(o->ctl_port);
	if (fd < 0) {
		bench_err("flood: control port %u: %s", o->ctl_port,
			  strerror(-fd));
		return 1;
	}
	err = open_vmmgmt(&c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(GUEST_DEV ": %s", strerror(-err));
		return 1;
	}
	if (pthread_create(&tid, NULL, flood_ctl, &fd))
		return 1;
	printf("BENCH-FLOOD start\n");
	fflush(stdout);
	fo.seconds = 550;
	t0 = now();
	v = rate_measure(&c, SMALL, STREAM_WINDOW, ~0UL, &fo, &msgs);
	pthread_join(tid, NULL);
	printf("BENCH-FLOOD end\n");
	if (v < 0)
		return 1;
	printf("INFO flood: %lu messages of 64 B echoed in %.1f s, %.1f msg/s\n",
	       msgs, now() - t0, v);
	close(c.fd);
	close(fd);
	return 0;
}

/* The victim's measurements, by the host's name for each. */
static const char * const victim_rounds[] = {
	"alone_quota_off", "alone_quota_on", "flood_quota_off",
	"flood_quota_on", "flood_quota_flooder",
};

/*
 * victim: after "BENCH-VICTIM ready", wait for a round's name on
 * ctl_port, measure the 64 B chat rate (STREAM_WINDOW in flight, as
 * chat_rate_64B) and print it; "done" ends it with the ratios.  The host
 * sets the quotas and starts the flooding guest between rounds.
 */
static int victim_main(const struct opts *o)
{
	double rate[ARRAY_SIZE(victim_rounds)] = { 0 };
	unsigned long msgs;
	char cmd[64], name[96];
	struct conn c;
	unsigned int i;
	int fd, err;
	double v;

	alarm(600);
	fd = open_ctl(o->ctl_port);
	if (fd < 0) {
		bench_err("victim: control port %u: %s", o->ctl_port,
			  strerror(-fd));
		return 1;
	}
	err = open_vmmgmt(&c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(GUEST_DEV ": %s", strerror(-err));
		return 1;
	}
	for (;;) {
		printf("BENCH-VICTIM ready\n");
		fflush(stdout);
		err = read_cmd(fd, cmd, sizeof(cmd));
		if (err) {
			bench_err("victim: control port: %s", strerror(-err));
			return 1;
		}
		if (!strcmp(cmd, "done"))
			break;
		for (i = 0; i < ARRAY_SIZE(victim_rounds); i++)
			if (!strcmp(cmd, victim_rounds[i]))
				break;
		if (i == ARRAY_SIZE(victim_rounds)) {
			bench_err("victim: unknown round '%s'", cmd);
			return 1;
		}
		v = rate_measure(&c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
		if (v < 0)
			return 1;
		rate[i] = v;
		snprintf(name, sizeof(name), "chat_flood_victim_rate_64B_%s",
			 victim_rounds[i]);
		figure(name, "", v, "msg/s");
	}
	close(c.fd);
	close(fd);
	/* Rounds 0-1 alone, 2-4 under the flood. */
	if (rate[0] > 0 && rate[2] > 0)
		figure("chat_flood_victim_rate_kept_quota_off", "",
		       rate[2] / rate[0], "x");
	if (rate[0] > 0 && rate[4] > 0)
		figure("chat_flood_victim_rate_kept_flooder_quota", "",
		       rate[4] / rate[0], "x");
	if (rate[1] > 0 && rate[3] > 0)
		figure("chat_flood_victim_rate_kept", "", rate[3] / rate[1],
		       "x");
	return 0;
}

/* ---- host VM side: echo servers ---- */

struct server_conn {
	int fd;
	enum transport kind;
};

static void *serve_vsock_conn(void *arg)
{
	struct server_conn *sc = arg;
	struct conn c = { .fd = sc->fd, .kind = sc->kind };
	unsigned char *buf = malloc(LARGE + 1);
	ssize_t n;

	free(sc);
	while (buf) {
		n = msg_recv(&c, buf, LARGE + 1);
		if (n < 0 || n > LARGE)
			break;
		if (msg_send(&c, buf, n))
			break;
	}
	free(buf);
	close(c.fd);
	return NULL;
}

static void *vsock_listener(void *arg)
{
	struct server_conn *l = arg, *sc;
	pthread_t tid;
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_err("accept: %s", strerror(errno));
			return NULL;
		}
		sc = malloc(sizeof(*sc));
		if (!sc) {
			close(fd);
			continue;
		}
		sc->fd = fd;
		sc->kind = l->kind;
		if (pthread_create(&tid, NULL, serve_vsock_conn, sc)) {
			free(sc);
			close(fd);
			continue;
		}
		pthread_detach(tid);
	}
}

static int vsock_listen(enum transport kind, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd;

	fd = socket(AF_VSOCK, (kind == K_STREAM ? SOCK_STREAM :
			       SOCK_SEQPACKET) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * SOCK_SEQPACKET on port, SOCK_STREAM with a 4-byte length prefix on
 * port + 1; a thread per connection.  A kernel without SEQPACKET for
 * vsock leaves only the stream listener.
 */
static int vsock_server_main(const struct opts *o)
{
	static struct server_conn l[2];
	pthread_t tid[2];
	int i, n = 0, fd;

	for (i = 0; i < 2; i++) {
		enum transport kind = i ? K_STREAM : K_SEQPACKET;

		fd = vsock_listen(kind, o->vsock_port + i);
		if (fd < 0) {
			bench_err("vsock %s listener on port %u: %s",
				  kind_names[kind], o->vsock_port + i,
				  strerror(-fd));
			continue;
		}
		l[n].fd = fd;
		l[n].kind = kind;
		if (pthread_create(&tid[n], NULL, vsock_listener, &l[n])) {
			close(fd);
			continue;
		}
		printf("vsock-echo-server: %s on port %u\n", kind_names[kind],
		       o->vsock_port + i);
		n++;
	}
	fflush(stdout);
	if (!n)
		return 1;
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return 1;
}

/*
 * Echo as a userspace endpoint of the host module: each read() of a bound
 * /dev/vmmgmt-host file is a struct vmmgmt_rec and its payload, each
 * write() one such record.  The answer goes back to the sender with the
 * request's id, like the module's own echo service.
 */
static int host_server_main(const struct opts *o)
{
	struct vmmgmt_bind b = { .port = o->host_port };
	size_t cap = sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX;
	struct vmmgmt_rec *rec;
	unsigned char *buf;
	struct vmmgmt_addr a;
	ssize_t n;
	int fd;

	fd = open(HOST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bench_err(HOST_DEV ": %s", strerror(errno));
		return 1;
	}
	if (ioctl(fd, VMMGMT_HOST_IOC_BIND, &b)) {
		bench_err(HOST_DEV ": VMMGMT_HOST_IOC_BIND port %u: %s",
			  o->host_port, strerror(errno));
		close(fd);
		return errno == ENOTTY ? EXIT_UNSUPPORTED : 1;
	}
	printf("host-echo-server: bound to port %u\n", b.port);
	fflush(stdout);
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return 1;
	}
	rec = (struct vmmgmt_rec *)buf;
	for (;;) {
		n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*rec) ||
		    (size_t)n != sizeof(*rec) + rec->len) {
			bench_err("host-echo-server: read: %s",
				  n < 0 ? strerror(errno) : "bad record");
			break;
		}
		if (rec->flags & VMMGMT_REC_F_RESPONSE)
			continue;
		a = rec->src;
		rec->src = rec->dst;
		rec->dst = a;
		rec->flags = VMMGMT_REC_F_RESPONSE;
		if (write(fd, buf, n) != n) {
			bench_err("host-echo-server: write: %s",
				  strerror(errno));
			break;
		}
	}
	free(buf);
	close(fd);
	return 1;
}

/* ---- guest to guest (chat_vm2vm_ figures) ---- */

/*
 * Guest A measures the 64 B chat stream (the chat_rate_64B run: echo with
 * STREAM_WINDOW messages in flight) against guest B instead of the host:
 *  - vmmgmt: A's /dev/vmmgmt file connected to (0, B, --peer-port), where
 *    "vmmgmt-bench vm2vm-echo" in B answers; the host module copies every
 *    message from one VM's ring into the other's (the policy must allow
 *    the pair);
 *  - vsock, its best effort: KVM's vsock does not go from guest to guest,
 *    so A connects to the host VM (CID 2, --vsock-port), where
 *    "vmmgmt-bench vsock-relay" connects on to B's vsock echo server and
 *    copies every message, each way, from one socket to the other.
 * Same framing (SOCK_SEQPACKET, one message per write), same run.  When
 * done, A sends VM2VM_END to B's vmmgmt port, which ends vm2vm-echo.
 */
#define VM2VM_PORT		4200
#define VM2VM_RELAY_PORT	7100
#define VM2VM_END		"END"

static int vm2vm_main(const struct opts *o)
{
	unsigned long msgs = 0;
	double vm = -1, vs = -1;
	struct conn c;
	int err;

	alarm(4 * o->seconds + 120);
	err = open_vmmgmt_to(&c, o->peer_vm, o->peer_port);
	if (err) {
		bench_err(GUEST_DEV " to VM %u port %u: %s", o->peer_vm,
			  o->peer_port, strerror(-err));
		return 1;
	}
	printf("INFO vm2vm: vmmgmt to VM %u port %u, vsock through CID %u port %u\n",
	       o->peer_vm, o->peer_port, o->cid, o->vsock_port);
	fflush(stdout);
	vm = rate_measure(&c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
	close(c.fd);
	if (vm > 0)
		figure("chat_vm2vm_rate_64B", "", vm, "msg/s");

	if (!open_vsock(&c, K_SEQPACKET, o->cid, o->vsock_port)) {
		vs = rate_measure(&c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
		close(c.fd);
	} else {
		bench_err("vsock to the relay at %u:%u: %s", o->cid,
			  o->vsock_port, strerror(errno));
	}
	if (vs > 0)
		figure("chat_vm2vm_rate_64B_vsock_relay", "", vs, "msg/s");
	if (vm > 0 && vs > 0)
		figure("chat_vm2vm_rate_64B_vs_vsock_relay", "", vm / vs, "x");

	/* B's echo ends here, whatever the figures. */
	err = open_vmmgmt_to(&c, o->peer_vm, o->peer_port);
	if (!err) {
		err = msg_send(&c, VM2VM_END, sizeof(VM2VM_END) - 1);
		close(c.fd);
	}
	if (err)
		bench_err("end message to VM %u: %s", o->peer_vm, strerror(-err));
	return vm > 0 && vs > 0 && !err ? 0 : 1;
}

/*
 * Guest B: echo on /dev/vmmgmt port --peer-port (answers go to the sender
 * of the message) and over vsock (vsock-echo-server's listeners) until a
 * VM2VM_END message comes through vmmgmt.
 */
static int vm2vm_echo_main(const struct opts *o)
{
	static struct server_conn l;
	struct vmmgmt_bind b = { .port = o->peer_port };
	struct vmmgmt_addr src, last = { 0 };
	unsigned long long echoed = 0;
	unsigned char *buf;
	bool connected = false;
	pthread_t tid;
	ssize_t n;
	int fd;

	fd = vsock_listen(K_SEQPACKET, o->vsock_port);
	if (fd < 0) {
		bench_err("vsock listener on port %u: %s", o->vsock_port,
			  strerror(-fd));
		return 1;
	}
	l.fd = fd;
	l.kind = K_SEQPACKET;
	if (pthread_create(&tid, NULL, vsock_listener, &l))
		return 1;
	pthread_detach(tid);
	fd = open(GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, VMMGMT_IOC_BIND, &b)) {
		bench_err(GUEST_DEV " port %u: %s", o->peer_port, strerror(errno));
		return 1;
	}
	buf = malloc(LARGE);
	if (!buf)
		return 1;
	printf("vm2vm-echo: vmmgmt port %u, vsock port %u\n", b.port,
	       o->vsock_port);
	fflush(stdout);
	for (;;) {
		n = read(fd, buf, LARGE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bench_err("vm2vm-echo: read: %s", strerror(errno));
			break;
		}
		if (n == sizeof(VM2VM_END) - 1 &&
		    !memcmp(buf, VM2VM_END, sizeof(VM2VM_END) - 1)) {
			printf("vm2vm-echo: %llu messages echoed through vmmgmt, end\n",
			       echoed);
			free(buf);
			close(fd);
			return 0;
		}
		if (ioctl(fd, VMMGMT_IOC_LAST_SRC, &src)) {
			bench_err("vm2vm-echo: VMMGMT_IOC_LAST_SRC: %s",
				  strerror(errno));
			break;
		}
		/* One sender at a time: connect once per sender. */
		if (!connected || memcmp(&src, &last, sizeof(src))) {
			if (ioctl(fd, VMMGMT_IOC_CONNECT, &src)) {
				bench_err("vm2vm-echo: VMMGMT_IOC_CONNECT: %s",
					  strerror(errno));
				break;
			}
			last = src;
			connected = true;
		}
		if (write(fd, buf, n) != n) {
			bench_err("vm2vm-echo: write: %s", strerror(errno));
			break;
		}
		echoed++;
	}
	free(buf);
	close(fd);
	return 1;
}

struct relay_pipe {
	int from, to;
};

/* Copy messages from one SOCK_SEQPACKET socket to another until EOF. */
static void *relay_pump(void *arg)
{
	struct relay_pipe *p = arg;
	unsigned char *buf = malloc(LARGE + 1);
	ssize_t n;

	while (buf) {
		n = read(p->from, buf, LARGE + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write(p->to, buf, n) != n)
			break;
	}
	free(buf);
	/* Wake the other direction too. */
	shutdown(p->from, SHUT_RDWR);
	shutdown(p->to, SHUT_RDWR);
	return NULL;
}

/*
 * In the host VM: accept vsock connections on --vsock-port and relay each
 * to (--relay-cid, --relay-port), message by message, both ways; the
 * forwarding process a guest needs to reach another guest over vsock.
 */
static int vsock_relay_main(const struct opts *o)
{
	struct relay_pipe up, down;
	struct conn out;
	pthread_t t1, t2;
	int lfd, fd, err;

	lfd = vsock_listen(K_SEQPACKET, o->vsock_port);
	if (lfd < 0) {
		bench_err("vsock-relay: listen on port %u: %s", o->vsock_port,
			  strerror(-lfd));
		return 1;
	}
	printf("vsock-relay: port %u to %u:%u\n", o->vsock_port, o->relay_cid,
	       o->relay_port);
	fflush(stdout);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_err("vsock-relay: accept: %s", strerror(errno));
			return 1;
		}
		err = open_vsock(&out, K_SEQPACKET, o->relay_cid, o->relay_port);
		if (err) {
			bench_err("vsock-relay: connect to %u:%u: %s",
				  o->relay_cid, o->relay_port, strerror(-err));
			close(fd);
			continue;
		}
		up.from = fd;
		up.to = out.fd;
		down.from = out.fd;
		down.to = fd;
		/* One connection at a time: the benchmark makes one. */
		if (pthread_create(&t1, NULL, relay_pump, &up) ||
		    pthread_create(&t2, NULL, relay_pump, &down)) {
			bench_err("vsock-relay: pthread_create");
			return 1;
		}
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		close(fd);
		close(out.fd);
	}
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmt-bench COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  guest              in a guest: echo figures through " GUEST_DEV "\n"
		"                     and, with --vsock-cid, through AF_VSOCK\n"
		"  smoke              guest with few messages and a plausibility check\n"
		"  vsock-echo-server  in the host VM: echo over AF_VSOCK (SOCK_SEQPACKET\n"
		"                     on --vsock-port, SOCK_STREAM with a 4-byte length\n"
		"                     prefix on the port after it)\n"
		"  flood              in a guest: 64 B messages to the echo service as\n"
		"                     fast as they go, until a message on --ctl-port\n"
		"  victim             in a guest: on each round name received on\n"
		"                     --ctl-port, the 64 B chat rate; \"done\" prints\n"
		"                     the chat_flood_ figures\n"
		"  host-echo-server   in the host VM: echo as a userspace endpoint of\n"
		"                     " HOST_DEV " on --host-port (exits %d when the\n"
		"                     module has no VMMGMT_HOST_IOC_BIND)\n"
		"  vm2vm              in guest A: the 64 B chat stream to guest B\n"
		"                     (--peer-vm, --peer-port) through vmmgmt, then\n"
		"                     through the vsock relay at --vsock-cid\n"
		"                     --vsock-port (default %u); ends B's vm2vm-echo\n"
		"  vm2vm-echo         in guest B: echo on vmmgmt --peer-port (default\n"
		"                     %u) and vsock SOCK_SEQPACKET --vsock-port until\n"
		"                     guest A's vm2vm is done\n"
		"  vsock-relay        in the host VM: relay vsock connections on\n"
		"                     --vsock-port to --relay-cid --relay-port\n"
		"\n"
		"Options:\n"
		"  -s, --seconds S     length of each rate run (default 5)\n"
		"  -n, --msgs N        at most N messages per rate run\n"
		"  -r, --samples N     round trips for the percentiles (default 3000)\n"
		"  -c, --vsock-cid C   also measure vsock to CID C (2: the host)\n"
		"  -p, --vsock-port P  vsock port (default %u; vm2vm, vsock-relay: %u)\n"
		"  -P, --host-port P   also measure a host userspace endpoint on port P\n"
		"  -k, --ctl-port P    flood, victim: the guest port the host commands\n"
		"  -m, --marks         print BENCH-MARK lines around the 64 B vmmgmt runs\n"
		"                      and pause 2 s at each (host-side counters)\n"
		"  -V, --peer-vm ID    vm2vm: guest B's VM id\n"
		"  -o, --peer-port P   vm2vm, vm2vm-echo: guest B's vmmgmt port\n"
		"  -C, --relay-cid C   vsock-relay: CID to relay to (guest B)\n"
		"  -R, --relay-port P  vsock-relay: port to relay to (default %u)\n"
		"Output: lines \"FIGURE <name> <value> <unit>\" and \"INFO ...\".\n",
		EXIT_UNSUPPORTED, VM2VM_RELAY_PORT, VM2VM_PORT, VSOCK_PORT_DEFAULT,
		VM2VM_RELAY_PORT, VSOCK_PORT_DEFAULT);
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		bench_err("bad %s '%s'", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "msgs", required_argument, NULL, 'n' },
		{ "samples", required_argument, NULL, 'r' },
		{ "vsock-cid", required_argument, NULL, 'c' },
		{ "vsock-port", required_argument, NULL, 'p' },
		{ "host-port", required_argument, NULL, 'P' },
		{ "ctl-port", required_argument, NULL, 'k' },
		{ "marks", no_argument, NULL, 'm' },
		{ "peer-vm", required_argument, NULL, 'V' },
		{ "peer-port", required_argument, NULL, 'o' },
		{ "relay-cid", required_argument, NULL, 'C' },
		{ "relay-port", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.seconds = 5, .msgs = ~0UL, .large_msgs = ~0UL, .samples = 3000,
		.vsock_port = VSOCK_PORT_DEFAULT, .peer_port = VM2VM_PORT,
		.relay_port = VSOCK_PORT_DEFAULT,
	};
	bool vsock_port_set = false;
	const char *cmd;
	char *end;
	int opt;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((opt = getopt_long(argc, argv, "s:n:r:c:p:P:k:mV:o:C:R:h", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds <= 0) {
				bench_err("bad seconds '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			o.msgs = parse_num(optarg, "message count");
			o.large_msgs = o.msgs;
			break;
		case 'r':
			o.samples = parse_num(optarg, "sample count");
			break;
		case 'c':
			o.cid = parse_num(optarg, "CID");
			break;
		case 'p':
			o.vsock_port = parse_num(optarg, "port");
			vsock_port_set = true;
			break;
		case 'V':
			o.peer_vm = parse_num(optarg, "VM id");
			break;
		case 'o':
			o.peer_port = parse_num(optarg, "port");
			break;
		case 'C':
			o.relay_cid = parse_num(optarg, "CID");
			break;
		case 'R':
			o.relay_port = parse_num(optarg, "port");
			break;
		case 'P':
			o.host_port = parse_num(optarg, "port");
			break;
		case 'k':
			o.ctl_port = parse_num(optarg, "port");
			break;
		case 'm':
			o.marks = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !o.msgs || !o.samples) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "guest"))
		return guest_main(&o);
	if (!strcmp(cmd, "smoke")) {
		o.smoke = true;
		if (o.msgs == ~0UL)
			o.msgs = 300;
		o.large_msgs = o.msgs / 10 ? o.msgs / 10 : 1;
		if (o.samples == 3000)
			o.samples = 200;
		return guest_main(&o);
	}
	if (!strcmp(cmd, "flood") || !strcmp(cmd, "victim")) {
		if (!o.ctl_port) {
			bench_err("%s needs --ctl-port", cmd);
			return EXIT_USAGE;
		}
		return cmd[0] == 'f' ? flood_main(&o) : victim_main(&o);
	}
	if (!strcmp(cmd, "vsock-echo-server"))
		return vsock_server_main(&o);
	if (!strcmp(cmd, "vm2vm") || !strcmp(cmd, "vsock-relay")) {
		if (!vsock_port_set)
			o.vsock_port = VM2VM_RELAY_PORT;
		if (cmd[1] == 'm' && (!o.peer_vm || !o.cid)) {
			bench_err("vm2vm needs --peer-vm and --vsock-cid");
			return EXIT_USAGE;
		}
		if (cmd[1] == 's' && !o.relay_cid) {
			bench_err("vsock-relay needs --relay-cid");
			return EXIT_USAGE;
		}
		return cmd[1] == 'm' ? vm2vm_main(&o) : vsock_relay_main(&o);
	}
	if (!strcmp(cmd, "vm2vm-echo"))
		return vm2vm_echo_main(&o);
	if (!strcmp(cmd, "host-echo-server")) {
		if (!o.host_port) {
			bench_err("host-echo-server needs --host-port");
			return EXIT_USAGE;
		}
		return host_server_main(&o);
	}
	bench_err("unknown command '%s' (see vmmgmt-bench --help)", cmd);
	return EXIT_USAGE;
}
