// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: streams (ABI 0.7): connect and accept.
 *
 * connect DEST opens a stream (VMMGMT_IOC_STREAM_CONNECT in a guest,
 * VMMGMT_HOST_IOC_STREAM_CONNECT on the host) and copies stdin to it and
 * it to stdout at the same time, like socat; accept PORT|NAME makes a
 * listener and serves the streams that come, one at a time, the same way
 * or through a command.  Calls msg.c (addresses, names), vmmgmtctl.c
 * (errors, JSON strings) and libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmmgmtctl.h"

#define XFER_BUF	(256 * 1024)
/* How often the progress line is redrawn. */
#define PROGRESS_MS	500

/* The stream ioctls of the side in use. */
struct stream_ops {
	unsigned long connect, listen, accept, shutdown;
};

static const struct stream_ops host_ops = {
	VMMGMT_HOST_IOC_STREAM_CONNECT, VMMGMT_HOST_IOC_STREAM_LISTEN,
	VMMGMT_HOST_IOC_STREAM_ACCEPT, VMMGMT_HOST_IOC_STREAM_SHUTDOWN,
};

static const struct stream_ops guest_ops = {
	VMMGMT_IOC_STREAM_CONNECT, VMMGMT_IOC_STREAM_LISTEN,
	VMMGMT_IOC_STREAM_ACCEPT, VMMGMT_IOC_STREAM_SHUTDOWN,
};

/* One stream's copy: what it moved, and how it ended. */
struct xfer {
	char peer[48];			/* HOST:VM:PORT */
	unsigned long long bytes_in;	/* read from the stream */
	unsigned long long bytes_out;	/* written to the stream */
	double t0, last_progress;
	bool progress;			/* stderr is a terminal */
	const char *what;		/* the call that failed, or NULL */
	int err;			/* its errno, or 0 */
	int exit_status;		/* accept -- CMD: the command's, or -1 */
};

/* stdin reached its end (for accept's later streams too). */
static bool stdin_done;

/* A stream ioctl failed: ENOTTY means that the module has no streams. */
static noreturn void stream_fail(const char *path, const char *what, int err,
				 bool host)
{
	if (err == ENOTTY) {
		vmmgmtctl_err("%s: %s: %s: the %s module has no streams (ABI 0.7 and later)",
			      path, what, strerror(err), host ? "host" : "guest");
		exit(1);
	}
	fail(path, what, err, !host);
}

/* @n bytes for people: "512 B", "1.5 KiB", "3.2 MiB", "1.25 GiB". */
void fmt_bytes(unsigned long long n, char *buf, size_t size)
{
	if (n >= 1ULL << 30)
		snprintf(buf, size, "%.2f GiB", n / (double)(1ULL << 30));
	else if (n >= 1ULL << 20)
		snprintf(buf, size, "%.1f MiB", n / (double)(1ULL << 20));
	else if (n >= 1ULL << 10)
		snprintf(buf, size, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, size, "%llu B", n);
}

/* The progress line: bytes each way and the rate of both together. */
static void progress(struct xfer *x, bool last)
{
	double now = vmmgmt_now_s(), secs = now - x->t0;
	char in[32], out[32];

	if (!x->progress || (!last && now - x->last_progress < PROGRESS_MS / 1e3))
		return;
	x->last_progress = now;
	fmt_bytes(x->bytes_out, out, sizeof(out));
	fmt_bytes(x->bytes_in, in, sizeof(in));
	fprintf(stderr, "\r\033[Kvmmgmtctl: %s: sent %s, received %s, %.1f MB/s%s",
		x->peer, out, in,
		secs > 0 ? (x->bytes_in + x->bytes_out) / secs / 1e6 : 0.0,
		last ? "\n" : "");
}

/* --json: one object per stream, on stdout. */
static void summary(const struct ctl *ctl, const struct xfer *x)
{
	if (!ctl->json)
		return;
	printf("{\"peer\":\"%s\"", x->peer);
	/* With a command, the command moved the bytes: not counted. */
	if (ctl->exec_argv)
		printf(",\"bytes_in\":null,\"bytes_out\":null");
	else
		printf(",\"bytes_in\":%llu,\"bytes_out\":%llu", x->bytes_in,
		       x->bytes_out);
	printf(",\"seconds\":%.3f", vmmgmt_now_s() - x->t0);
	if (x->err) {
		printf(",\"result\":\"error\",\"error\":");
		json_string(strerror(x->err));
		printf(",\"errno\":%d,\"call\":\"%s\"", x->err, x->what);
	} else if (ctl->exec_argv && x->exit_status) {
		printf(",\"result\":\"command failed\"");
	} else {
		printf(",\"result\":\"ok\"");
	}
	if (ctl->exec_argv)
		printf(",\"exit_status\":%d", x->exit_status);
	printf("}\n");
	fflush(stdout);
}

static int xfer_error(struct xfer *x, const char *what, int err)
{
	x->what = what;
	x->err = err;
	return -1;
}

/* Write what @buf holds to @fd once: bytes written, 0 (EAGAIN) or -1. */
static ssize_t write_some(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n;
}

enum { P_IN, P_STREAM, P_OUT, P_NR };

/*
 * Copy stdin to the stream @sfd (SHUTDOWN at stdin's end) and the stream
 * to @out_fd (-1: count and drop) until both directions are over: the
 * stream at its end and every byte written out, stdin at its end and
 * shut down.  When stdin is a terminal, the stream's end alone ends the
 * copy (an interactive session ends when the peer is done).  0, or -1
 * with x->err set.
 */
static int pump(int sfd, int out_fd, bool host, struct xfer *x)
{
	static char up[XFER_BUF], down[XFER_BUF];
	size_t up_len = 0, up_off = 0, down_len = 0, down_off = 0;
	const struct stream_ops *ops = host ? &host_ops : &guest_ops;
	bool shut = false, s_eof = false, tty_in = isatty(STDIN_FILENO);
	struct pollfd p[P_NR];
	ssize_t n;
	int ret;

	if (fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK) < 0)
		return xfer_error(x, "fcntl", errno);
	for (;;) {
		/* A FIN that does not fit now (EAGAIN) waits for POLLOUT. */
		if (stdin_done && !up_len && !shut) {
			if (!ioctl(sfd, ops->shutdown))
				shut = true;
			else if (errno != EAGAIN && errno != EINTR)
				return xfer_error(x, "shutdown", errno);
		}
		if (s_eof && !down_len && (shut || (tty_in && !stdin_done)))
			break;
		p[P_IN].fd = !stdin_done && !up_len ? STDIN_FILENO : -1;
		p[P_IN].events = POLLIN;
		p[P_STREAM].events = (!s_eof && !down_len ? POLLIN : 0) |
				     (up_len || (stdin_done && !shut) ?
				      POLLOUT : 0);
		p[P_STREAM].fd = p[P_STREAM].events ? sfd : -1;
		p[P_OUT].fd = down_len ? out_fd : -1;
		p[P_OUT].events = POLLOUT;
		ret = poll(p, P_NR, x->progress ? PROGRESS_MS : -1);
		if (ret < 0 && errno != EINTR)
			return xfer_error(x, "poll", errno);
		progress(x, false);
		if (ret <= 0)
			continue;

		if (p[P_IN].revents) {
			n = read(STDIN_FILENO, up, sizeof(up));
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return xfer_error(x, "read stdin", errno);
			if (!n)
				stdin_done = true;
			if (n > 0) {
				up_len = n;
				up_off = 0;
			}
		}
		if (up_len && p[P_STREAM].revents & (POLLOUT | POLLERR | POLLHUP)) {
			n = write_some(sfd, up + up_off, up_len);
			if (n < 0)
				return xfer_error(x, "write", errno);
			up_off += n;
			up_len -= n;
			x->bytes_out += n;
		}
		if (!s_eof && !down_len &&
		    p[P_STREAM].revents & (POLLIN | POLLERR | POLLHUP)) {
			n = read(sfd, down, sizeof(down));
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return xfer_error(x, "read", errno);
			if (!n)
				s_eof = true;
			if (n > 0) {
				x->bytes_in += n;
				if (out_fd >= 0) {
					down_len = n;
					down_off = 0;
				}
			}
		}
		if (down_len && p[P_OUT].revents) {
			n = write_some(out_fd, down + down_off, down_len);
			if (n < 0)
				return xfer_error(x, out_fd == STDOUT_FILENO ?
						  "write stdout" : "write output",
						  errno);
			down_off += n;
			down_len -= n;
		}
	}
	return 0;
}

/* Where the stream's bytes go: --output, stdout, or nowhere (--json). */
static int open_output(const struct ctl *ctl)
{
	int fd;

	if (!ctl->output)
		return ctl->json ? -1 : STDOUT_FILENO;
	fd = open(ctl->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		vmmgmtctl_err("%s: %s", ctl->output, strerror(errno));
		exit(1);
	}
	return fd;
}

static void xfer_start(struct xfer *x, const struct vmmgmt_addr *peer)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->peer, sizeof(x->peer), "%u:%u:%u", peer->host, peer->vm,
		 peer->port);
	x->t0 = vmmgmt_now_s();
	x->progress = isatty(STDERR_FILENO);
	x->exit_status = -2;
}

/* The end of one stream: the last progress line, the error, the summary. */
static int xfer_end(const struct ctl *ctl, struct xfer *x)
{
	progress(x, true);
	if (x->err)
		vmmgmtctl_err("stream %s: %s: %s", x->peer, x->what,
			      strerror(x->err));
	summary(ctl, x);
	return x->err ? 1 : 0;
}

int cmd_connect(const struct ctl *ctl, int argc, char **argv)
{
	struct vmmgmt_stream_connect sc = { 0 };
	const char *path;
	struct xfer x;
	bool host;
	int fd, out, ret;

	if (argc != 2)
		usage_error("connect needs one argument: DEST", NULL);
	if (ctl->exec_argv)
		usage_error("connect takes no command", NULL);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	parse_dest(argv[1], fd, path, host, &sc.addr);
	if (host && !sc.addr.vm)
		usage_error("connect: the host connects to a VM (VM 1 or more)",
			    argv[1]);
	out = open_output(ctl);
	signal(SIGPIPE, SIG_IGN);
	if (ctl->timeout_ms > 0)
		sc.timeout_ms = ctl->timeout_ms;
	xfer_start(&x, &sc.addr);
	if (ioctl(fd, host ? host_ops.connect : guest_ops.connect, &sc)) {
		if (errno == ENOTTY)
			stream_fail(path, "STREAM_CONNECT", errno, host);
		xfer_error(&x, "connect", errno);
		return xfer_end(ctl, &x);
	}
	pump(fd, out, host, &x);
	ret = xfer_end(ctl, &x);
	close(fd);
	return ret;
}

/*
 * accept -- CMD: the stream is the command's stdin and stdout; we wait
 * for it to exit before the next stream.
 */
static int run_command(const struct ctl *ctl, int lfd, int sfd,
		       struct xfer *x)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return xfer_error(x, "fork", errno);
	if (!pid) {
		close(lfd);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(sfd, STDIN_FILENO) < 0 || dup2(sfd, STDOUT_FILENO) < 0) {
			vmmgmtctl_err("dup2: %s", strerror(errno));
			_exit(127);
		}
		if (sfd > STDOUT_FILENO)
			close(sfd);
		execvp(ctl->exec_argv[0], ctl->exec_argv);
		vmmgmtctl_err("%s: %s", ctl->exec_argv[0], strerror(errno));
		_exit(127);
	}
	close(sfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return xfer_error(x, "waitpid", errno);
	x->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
			 128 + WTERMSIG(status);
	if (x->progress || x->exit_status)
		fprintf(stderr, "vmmgmtctl: stream %s: %s exited with status %d\n",
			x->peer, ctl->exec_argv[0], x->exit_status);
	return 0;
}

/*
 * The listener: PORT, or a dynamic port with NAME published for it.  In
 * a guest a named listener is bound first (VMMGMT_IOC_BIND), which the
 * names ioctls want, and listens on its bound port.  Also for file recv
 * and serve (file_serve.c).
 */
__u32 listen_setup(int fd, bool host, const char *path, __u32 port,
		   const char *name)
{
	struct vmmgmt_stream_listen l = { .port = port };
	struct vmmgmt_bind b = { .port = port };

	if (!host && name) {
		if (ioctl(fd, VMMGMT_IOC_BIND, &b))
			fail(path, "bind", errno, true);
		l.port = 0;
	}
	if (ioctl(fd, host ? host_ops.listen : guest_ops.listen, &l))
		stream_fail(path, "STREAM_LISTEN", errno, host);
	if (name)
		publish_name(fd, host, path, name);
	return l.port ? l.port : b.port;
}

/* Wait for a stream on the listener (--timeout); false on timeout. */
bool wait_stream(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&p, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret != 0;
}

int cmd_accept(const struct ctl *ctl, int argc, char **argv)
{
	struct vmmgmt_stream_accept a;
	const char *path, *name = ctl->name;
	unsigned long n = 0, count = ctl->count;
	__u32 port = 0;
	char where[64];
	struct xfer x;
	int lfd, out, fails = 0;
	bool host;

	if (argc != 2)
		usage_error("accept needs PORT or NAME (then -- CMD [ARGS])", NULL);
	if (is_number(argv[1])) {
		port = parse_u32(argv[1], "bad port", false);
	} else {
		if (name)
			usage_error("accept: NAME given twice", argv[1]);
		name = argv[1];
	}
	if (name)
		check_name(name);
	if (ctl->exec_argv && (ctl->output || !ctl->exec_argv[0]))
		usage_error(ctl->output ? "accept -- CMD takes no --output" :
			    "accept: no command after --", NULL);
	if (!count && !ctl->exec_argv)
		count = 1;
	path = pick_device(ctl, &host);
	lfd = open_device(path, !host);
	port = listen_setup(lfd, host, path, port, name);
	local_addr(lfd, host, port, where, sizeof(where));
	if (name)
		fprintf(stderr, "vmmgmtctl: accepting as '%s' on %s\n", name,
			where);
	else
		fprintf(stderr, "vmmgmtctl: accepting on %s\n", where);
	out = ctl->exec_argv ? -1 : open_output(ctl);
	signal(SIGPIPE, SIG_IGN);

	while (!count || n < count) {
		if (!wait_stream(lfd, ctl->timeout_ms)) {
			vmmgmtctl_err("%s: no stream within %d ms", path,
				      ctl->timeout_ms);
			return 1;
		}
		memset(&a, 0, sizeof(a));
		if (ioctl(lfd, host ? host_ops.accept : guest_ops.accept, &a)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			stream_fail(path, "STREAM_ACCEPT", errno, host);
		}
		n++;
		xfer_start(&x, &a.peer);
		if (ctl->exec_argv) {
			x.exit_status = -1;
			run_command(ctl, lfd, a.fd, &x);
			if (x.err)
				vmmgmtctl_err("stream %s: %s: %s", x.peer,
					      x.what, strerror(x.err));
			summary(ctl, &x);
			fails += x.err || x.exit_status;
			continue;
		}
		pump(a.fd, out, host, &x);
		close(a.fd);
		fails += xfer_end(ctl, &x);
	}
	close(lfd);
	return fails ? 1 : 0;
}
