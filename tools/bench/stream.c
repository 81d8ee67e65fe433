// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench stream and stream-server: the stream_tput_ figures, the
 * throughput of one byte stream with 1 MiB writes for STREAM_SECONDS,
 * through a vmmgmt stream (ABI 0.7) and through its twin, a vsock
 * SOCK_STREAM connection, between the same two programs.
 *
 * stream-server (in the host VM, and in guest B for vm2vm) accepts
 * streams on a vmmgmt listener and on a vsock SOCK_STREAM listener and
 * serves each in a thread: a command line, then
 *   "recv\n"       read to the end of the stream, answer "<bytes>\n";
 *   "send <S>\n"   write 1 MiB chunks for S seconds, then end the stream
 *                  (and read to the end of it);
 *   "file <B>\n"   receive a file of B bytes and its SHA-256, answer "ok",
 *                  remove it at the end of the stream, answer "removed"
 *                  (file.c: file_tput_g2h_vs_vsock's vsock side).
 * The measuring side (stream in a guest; vm2vm in guest A) writes, shuts
 * its side down and takes the answer (g2h, vm2vm), or asks for "send"
 * and reads to the end (h2g); the rate is bytes over the time from its
 * first byte to the answer or the end, on its own clock.  Rounds
 * alternate vmmgmt and vsock; each figure is the median of --rounds
 * with min= and max=, a ratio the ratio of the medians (stats.c).  Calls
 * file.c (the server's "file" command), transport.c (the vsock connect
 * and listen), stats.c (figure lines) and libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define STREAM_CHUNK	(1024 * 1024)
#define STREAM_LINE	64

/* A stream of either transport: shutting down the writing side differs. */
struct bstream {
	int fd;
	enum stream_kind kind;
};

static const char * const stream_kind_names[] = {
	[S_VMMGMT_GUEST] = "vmmgmt stream", [S_VMMGMT_HOST] = "vmmgmt stream",
	[S_VSOCK] = "vsock SOCK_STREAM",
};

static int bs_shutdown(const struct bstream *s)
{
	int ret;

	switch (s->kind) {
	case S_VMMGMT_GUEST:
		ret = ioctl(s->fd, VMMGMT_IOC_STREAM_SHUTDOWN);
		break;
	case S_VMMGMT_HOST:
		ret = ioctl(s->fd, VMMGMT_HOST_IOC_STREAM_SHUTDOWN);
		break;
	default:
		ret = shutdown(s->fd, SHUT_WR);
		break;
	}
	return ret ? -errno : 0;
}

/* Read to the end; the bytes (the last @cap of them in @buf), or -errno. */
static long long bs_drain(int fd, char *buf, size_t cap)
{
	long long total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return total;
		total += n;
	}
}

/* ---- the server ---- */

static void *serve_stream(void *arg)
{
	struct bstream *s = arg;
	char line[STREAM_LINE], ans[32];
	unsigned long long bytes;
	double secs, end;
	long long n = 0;
	char *buf;
	int err;

	buf = calloc(1, STREAM_CHUNK);
	err = buf ? vmmgmt_read_line(s->fd, line, sizeof(line)) : -ENOMEM;
	if (!err && !strcmp(line, "recv")) {
		n = bs_drain(s->fd, buf, STREAM_CHUNK);
		err = n < 0 ? (int)n : 0;
		if (!err) {
			snprintf(ans, sizeof(ans), "%lld\n", n);
			err = vmmgmt_write_all(s->fd, ans, strlen(ans));
		}
		if (!err)
			err = bs_shutdown(s);
	} else if (!err && sscanf(line, "send %lf", &secs) == 1) {
		end = vmmgmt_now_s() + secs;
		while (!err && vmmgmt_now_s() < end) {
			err = vmmgmt_write_all(s->fd, buf, STREAM_CHUNK);
			n += STREAM_CHUNK;
		}
		if (!err)
			err = bs_shutdown(s);
		if (!err)
			bs_drain(s->fd, buf, STREAM_CHUNK);
	} else if (!err && sscanf(line, "file %llu", &bytes) == 1) {
		err = file_recv_serve(s->fd, bytes, &n);
	} else if (!err) {
		err = -EPROTO;
	}
	if (err)
		bench_err("stream-server: %s: %s after %lld bytes",
			  stream_kind_names[s->kind], strerror(-err), n);
	free(buf);
	close(s->fd);
	free(s);
	return NULL;
}

struct stream_listener {
	int fd;
	enum stream_kind kind;
};

static void *stream_accept_loop(void *arg)
{
	struct stream_listener *l = arg;
	struct vmmgmt_stream_accept a;
	struct bstream *s;
	pthread_t tid;
	int fd, ret;

	for (;;) {
		if (l->kind == S_VSOCK) {
			fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		} else {
			memset(&a, 0, sizeof(a));
			ret = ioctl(l->fd, l->kind == S_VMMGMT_HOST ?
				    VMMGMT_HOST_IOC_STREAM_ACCEPT :
				    VMMGMT_IOC_STREAM_ACCEPT, &a);
			fd = ret ? -1 : a.fd;
		}
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EAGAIN)
				continue;
			bench_err("stream-server: %s accept: %s",
				  stream_kind_names[l->kind], strerror(errno));
			return NULL;
		}
		s = malloc(sizeof(*s));
		if (!s) {
			close(fd);
			continue;
		}
		s->fd = fd;
		s->kind = l->kind;
		if (pthread_create(&tid, NULL, serve_stream, s)) {
			close(fd);
			free(s);
			continue;
		}
		pthread_detach(tid);
	}
}

/* A vmmgmt stream listener on @port of this side's device; fd or -errno. */
static int vmmgmt_stream_listen(bool host, unsigned int port)
{
	struct vmmgmt_stream_listen l = { .port = port };

	return vmmgmt_open_ioctl(host ? VMMGMT_HOST_DEV : VMMGMT_GUEST_DEV,
				 host ? VMMGMT_HOST_IOC_STREAM_LISTEN :
				 VMMGMT_IOC_STREAM_LISTEN, &l);
}

/* A thread that accepts on listener @fd (of @kind); @l keeps both for it. */
static int listener_start(struct stream_listener *l, int fd,
			  enum stream_kind kind)
{
	pthread_t tid;

	l->fd = fd;
	l->kind = kind;
	if (pthread_create(&tid, NULL, stream_accept_loop, l))
		return -1;
	pthread_detach(tid);
	return 0;
}

/*
 * Start the listeners in threads: vmmgmt on @port (the host's device in
 * the host VM, else the guest's), vsock SOCK_STREAM on @vport.  Prints a
 * line per listener; 0 when both listen, else -1.
 */
int stream_server_start(unsigned int port, unsigned int vport)
{
	static struct stream_listener l[2];
	bool host = access(VMMGMT_HOST_DEV, F_OK) == 0;
	int fd, fails = 0;

	fd = vmmgmt_stream_listen(host, port);
	if (fd < 0) {
		bench_err("stream-server: vmmgmt stream listener on port %u: %s",
			  port, strerror(-fd));
		fails++;
	} else {
		if (listener_start(&l[0], fd, host ? S_VMMGMT_HOST :
				   S_VMMGMT_GUEST))
			return -1;
		printf("stream-server: vmmgmt streams on port %u\n", port);
	}
	fd = vsock_listen(K_STREAM, vport);
	if (fd < 0) {
		bench_err("stream-server: vsock SOCK_STREAM listener on port %u: %s",
			  vport, strerror(-fd));
		fails++;
	} else {
		if (listener_start(&l[1], fd, S_VSOCK))
			return -1;
		printf("stream-server: vsock SOCK_STREAM on port %u\n", vport);
	}
	fflush(stdout);
	return fails ? -1 : 0;
}

int stream_server_main(const struct opts *o)
{
	/* A client gone early is an EPIPE of its thread, not our end. */
	signal(SIGPIPE, SIG_IGN);
	if (stream_server_start(o->host_port, o->vsock_port))
		return 1;
	for (;;)
		pause();
}

/* ---- the measuring side ---- */

/* A vmmgmt stream from this guest to (0, @vm, @port); fd or -errno. */
static int vmmgmt_stream_to(unsigned int vm, unsigned int port)
{
	struct vmmgmt_stream_connect c = {
		.addr = { .host = 0, .vm = vm, .port = port },
		.timeout_ms = 10000,
	};

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_STREAM_CONNECT, &c);
}

/*
 * One run: open the stream (vmmgmt to (0, @vm, @port), or vsock to
 * @cid:@vport), then write for STREAM_SECONDS and take the answer, or
 * (@to_us) have the other side send and read to the end.
 * Returns MB/s, or -1 after a message.
 */
static double stream_run(bool vsock, unsigned int vm, unsigned int port,
			 unsigned int cid, unsigned int vport, bool to_us)
{
	struct bstream s = { .kind = vsock ? S_VSOCK : S_VMMGMT_GUEST };
	const char *what = stream_kind_names[s.kind];
	long long sent = 0, got = -1;
	char line[STREAM_LINE], *buf;
	double t0, t1, end;
	struct conn c;
	int err;

	buf = calloc(1, STREAM_CHUNK);
	if (!buf)
		return -1;
	if (vsock) {
		err = open_vsock(&c, K_STREAM, cid, vport);
		s.fd = c.fd;
	} else {
		err = vmmgmt_stream_to(vm, port);
		s.fd = err;
		err = err < 0 ? err : 0;
	}
	if (err) {
		bench_err("%s to %u:%u: %s", what, vsock ? cid : vm,
			  vsock ? vport : port, strerror(-err));
		free(buf);
		return -1;
	}
	t0 = vmmgmt_now_s();
	if (to_us) {
		snprintf(line, sizeof(line), "send %d\n", STREAM_SECONDS);
		err = vmmgmt_write_all(s.fd, line, strlen(line));
		if (!err)
			err = bs_shutdown(&s);
		got = err ? err : bs_drain(s.fd, buf, STREAM_CHUNK);
		err = got < 0 ? (int)got : 0;
		sent = got;
	} else {
		err = vmmgmt_write_all(s.fd, "recv\n", 5);
		end = t0 + STREAM_SECONDS;
		while (!err && vmmgmt_now_s() < end) {
			err = vmmgmt_write_all(s.fd, buf, STREAM_CHUNK);
			sent += err ? 0 : STREAM_CHUNK;
		}
		if (!err)
			err = bs_shutdown(&s);
		got = err ? err : vmmgmt_read_to_end(s.fd, line, sizeof(line));
		err = got < 0 ? (int)got : 0;
		if (!err && strtoll(line, NULL, 10) != sent) {
			bench_err("%s: %lld bytes sent, the reader says '%s'",
				  what, sent, line);
			err = -EIO;
		}
	}
	t1 = vmmgmt_now_s();
	close(s.fd);
	free(buf);
	if (err) {
		bench_err("%s %s: %s after %lld bytes", what,
			  to_us ? "to us" : "from us", strerror(-err), sent);
		return -1;
	}
	if (sent <= 0 || t1 <= t0)
		return -1;
	return sent / (t1 - t0) / 1e6;
}

/*
 * @rounds rounds of vmmgmt then vsock in one direction; the figures
 * @base@vs_suffix (the ratio of the medians, with the smallest and the
 * largest ratio of a round's pair), @base and @base without "_vs" of
 * @vs_suffix in MB/s.  @vs_suffix: "_vs_vsock" or "_vs_vsock_relay".
 * Returns 0 when every run worked.
 */
int stream_rounds(const char *base, const char *vs_suffix, unsigned int vm,
		  unsigned int port, unsigned int cid, unsigned int vport,
		  bool to_us, unsigned int rounds)
{
	double vm_r[BENCH_ROUNDS_MAX], vs_r[BENCH_ROUNDS_MAX];
	unsigned int i;

	printf("INFO %s: %u rounds of %d s of 1 MiB writes: vmmgmt to %u:%u, vsock to %u:%u\n",
	       base, rounds, STREAM_SECONDS, vm, port, cid, vport);
	fflush(stdout);
	for (i = 0; i < rounds; i++) {
		vm_r[i] = stream_run(false, vm, port, cid, vport, to_us);
		vs_r[i] = stream_run(true, vm, port, cid, vport, to_us);
		if (vm_r[i] <= 0 || vs_r[i] <= 0)
			return -1;
		printf("INFO %s round %u: vmmgmt %.1f MB/s, vsock %.1f MB/s\n",
		       base, i + 1, vm_r[i], vs_r[i]);
	}
	figure_ratio(base, vs_suffix, vm_r, vs_r, rounds);
	figure_spread(base, "", vm_r, rounds, "MB/s");
	figure_spread(base, strcmp(vs_suffix, "_vs_vsock") ? "_vsock_relay" :
		      "_vsock", vs_r, rounds, "MB/s");
	return 0;
}

/* In a guest: guest to host, then host to guest, against the host VM. */
int stream_main(const struct opts *o)
{
	int fails = 0;

	alarm(4 * o->rounds * (STREAM_SECONDS + 30) + 60);
	fails += stream_rounds("stream_tput_g2h", "_vs_vsock",
			       VMMGMT_HOST_PEER_ID, o->host_port, o->cid,
			       o->vsock_port, false, o->rounds) != 0;
	fails += stream_rounds("stream_tput_h2g", "_vs_vsock",
			       VMMGMT_HOST_PEER_ID, o->host_port, o->cid,
			       o->vsock_port, true, o->rounds) != 0;
	return fails ? 1 : 0;
}
