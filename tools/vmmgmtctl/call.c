// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl call NAME [ARGS...]: call a host service (in a guest).  One
 * stream in calc mode (VMMGMT_IOC_SET_MODE, then VMMGMT_IOC_STREAM_CONNECT
 * to host port VMMGMT_SERVICE_PORT) carries the call, then our stdin to
 * the service (half-closed at its end); the service's stdout and stderr
 * come back in frames and go to ours; its exit status becomes ours.  The
 * protocol is tools/include/vmmgmt_service_proto.h, the model
 * Documentation/services.rst.  Calls vmmgmtctl.c (errors, the device) and
 * libc.
 *
 * VMMGMT_SERVICE_FD=N in the environment: use the connected socket N
 * instead of a stream (the tests run vmmgmtctl against vmmgmtd's runner
 * so; the half-close is then shutdown(SHUT_WR)).
 *
 * Exit status: the service's own; 128 + N when signal N ended it; 124 when
 * it was killed at its time limit (or --timeout passed here); 126 when it
 * could not be started; 127 when there is no such service; 125 for every
 * other failure (refused, mode off, no service on the host, a broken
 * stream), with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmmgmt_service_proto.h"
#include "vmmgmtctl.h"

#define CALL_EXIT_TIMEOUT	124
#define CALL_EXIT_FAILED	125
#define CALL_EXIT_NOEXEC	126
#define CALL_EXIT_NOENT		127
/* --json: output kept of each of stdout and stderr. */
#define CALL_JSON_KEEP		(1024 * 1024)
#define CALL_IN_BUF		65536
#define CALL_NAME_RULES \
	"not a service name (letters, digits, '_', '-', '.'; 1 to 64, not starting with '.' or '-')"

struct call_out {
	char *buf;
	size_t len;
	bool truncated;
};

struct call {
	const struct ctl *ctl;
	const char *name;
	int fd;
	bool socket;			/* VMMGMT_SERVICE_FD: a socket */
	bool stdin_eof, shut, done;
	unsigned char in[CALL_IN_BUF];
	size_t in_len;
	struct vmmgmt_svc_reader rd;	/* the frames from the host */
	/* The end. */
	int err;			/* ERROR's errno, or 0 */
	char msg[VMMGMT_SVC_MSG_MAX + 1];
	struct vmmgmt_svc_exit exit;
	unsigned long long bytes_in;
	struct call_out out[2];		/* --json: stdout, stderr */
	double t0;
};

static noreturn vmmgmt_printf(3, 4) void
call_fail(const struct call *c, int err, const char *fmt, ...);

/* JSON string of @len bytes (control bytes escaped). */
static void json_bytes(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static const char *errno_name(int err)
{
	switch (err) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EPROTO: return "EPROTO";
	case ETIME: return "ETIME";
	case ENOEXEC: return "ENOEXEC";
	case ENOMEM: return "ENOMEM";
	case E2BIG: return "E2BIG";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPERM: return "EPERM";
	default: return "EIO";
	}
}

static int call_exit_code(int err)
{
	switch (err) {
	case ETIME:
	case ETIMEDOUT:
		return CALL_EXIT_TIMEOUT;
	case ENOENT:
		return CALL_EXIT_NOENT;
	case ENOEXEC:
		return CALL_EXIT_NOEXEC;
	default:
		return CALL_EXIT_FAILED;
	}
}

static noreturn void call_fail(const struct call *c, int err,
			       const char *fmt, ...)
{
	char msg[VMMGMT_SVC_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->ctl->json) {
		printf("{\"service\":");
		json_string(c->name);
		printf(",\"result\":\"error\",\"errno\":\"%s\",\"error\":",
		       errno_name(err));
		json_string(msg);
		printf("}\n");
	} else {
		vmmgmtctl_err("call %s: %s", c->name, msg);
	}
	exit(call_exit_code(err));
}

/* The stream to the host's services, in calc mode. */
static int call_connect(struct call *c)
{
	struct vmmgmt_stream_connect sc = { 0 };
	struct vmmgmt_mode_req mr = { 0 };
	const char *path = c->ctl->device ? c->ctl->device : GUEST_DEVICE;
	const char *env = getenv("VMMGMT_SERVICE_FD");
	int fd;

	if (env) {
		c->socket = true;
		return parse_u32(env, "bad VMMGMT_SERVICE_FD", true);
	}
	if (is_host_path(path))
		usage_error("call runs in a guest", path);
	fd = open_device(path, true);
	mr.mode = VMMGMT_MODE_CALC;
	if (ioctl(fd, VMMGMT_IOC_SET_MODE, &mr)) {
		if (errno == EPERM)
			call_fail(c, EPERM,
				  "calc mode is off: 'vmmgmtctl modes enable calc' (root) switches it on");
		fail(path, "SET_MODE calc", errno, true);
	}
	sc.addr.port = VMMGMT_SERVICE_PORT;
	if (c->ctl->timeout_ms > 0)
		sc.timeout_ms = c->ctl->timeout_ms;
	if (ioctl(fd, VMMGMT_IOC_STREAM_CONNECT, &sc)) {
		if (errno == ECONNREFUSED)
			call_fail(c, ECONNREFUSED,
				  "no host services on the host (port %u): vmmgmtd offers them when its services directory exists",
				  VMMGMT_SERVICE_PORT);
		if (errno == ENOTTY)
			call_fail(c, ENOTTY, "the guest module has no streams (ABI 0.7 and later)");
		call_fail(c, errno, "STREAM_CONNECT: %s", strerror(errno));
	}
	return fd;
}

static void call_send_request(struct call *c, int argc, char **argv)
{
	struct vmmgmt_svc_call h = { 0 };
	size_t len = 0, n;
	char *buf;
	int i;

	if (argc > VMMGMT_SVC_ARGS_MAX)
		usage_error("too many arguments for a service call", NULL);
	for (i = 0; i <= argc; i++)
		len += strlen(i ? argv[i - 1] : c->name) + 1;
	if (len > VMMGMT_SVC_CALL_LEN_MAX)
		usage_error("the arguments are too long for a service call", NULL);
	buf = malloc(sizeof(h) + len);
	if (!buf)
		call_fail(c, ENOMEM, "out of memory");
	h.magic = htole32(VMMGMT_SVC_CALL_MAGIC);
	h.version = htole16(VMMGMT_SERVICE_VERSION);
	h.argc = htole16((__u16)argc);
	h.len = htole32((__u32)len);
	memcpy(buf, &h, sizeof(h));
	for (len = sizeof(h), i = 0; i <= argc; i++) {
		const char *s = i ? argv[i - 1] : c->name;

		n = strlen(s) + 1;
		memcpy(buf + len, s, n);
		len += n;
	}
	if (vmmgmt_write_all(c->fd, buf, len))
		call_fail(c, errno, "sending the call: %s", strerror(errno));
	free(buf);
}

/* Output of the service: ours, or kept for --json. */
static void call_output(struct call *c, unsigned int type,
			const unsigned char *p, size_t n)
{
	struct call_out *o = &c->out[type == VMMGMT_SVC_STDERR];
	size_t keep;

	if (!c->ctl->json) {
		if (vmmgmt_write_all(type == VMMGMT_SVC_STDERR ? 2 : 1, p, n))
			call_fail(c, EIO, "writing the service's output: %s",
				  strerror(errno));
		return;
	}
	keep = o->len < CALL_JSON_KEEP ? CALL_JSON_KEEP - o->len : 0;
	if (keep > n)
		keep = n;
	o->truncated = o->truncated || keep < n;
	if (!keep)
		return;
	if (!o->buf) {
		o->buf = malloc(CALL_JSON_KEEP);
		if (!o->buf)
			call_fail(c, ENOMEM, "out of memory");
	}
	memcpy(o->buf + o->len, p, keep);
	o->len += keep;
}

/* One whole frame, checked (vmmgmt_svc_reader_take()); false after the last. */
static bool call_frame(void *arg, unsigned int type,
		       const unsigned char *payload, size_t len)
{
	struct call *c = arg;
	struct vmmgmt_svc_error e;

	switch (type) {
	case VMMGMT_SVC_STDOUT:
	case VMMGMT_SVC_STDERR:
		call_output(c, type, payload, len);
		return true;
	case VMMGMT_SVC_EXIT:
		memcpy(&c->exit, payload, sizeof(c->exit));
		break;
	case VMMGMT_SVC_ERROR:
		memcpy(&e, payload, sizeof(e));
		c->err = (int)le32toh(e.err);
		if (c->err <= 0 || c->err > 4095)
			c->err = EPROTO;
		memcpy(c->msg, payload + sizeof(e), len - sizeof(e));
		c->msg[len - sizeof(e)] = 0;
		break;
	}
	c->done = true;
	return false;
}

/* Bytes from the stream, into frames. */
static void call_take(struct call *c, const unsigned char *p, size_t n)
{
	if (vmmgmt_svc_reader_take(&c->rd, p, n, call_frame, c) < 0)
		call_fail(c, EPROTO, "the host broke the service protocol");
}

/* Our stdin to the stream; at its end, the half-close. */
static void call_feed(struct call *c, short stdin_ev, short stream_ev)
{
	ssize_t n;

	if (stdin_ev & (POLLIN | POLLHUP | POLLERR)) {
		n = read(0, c->in, sizeof(c->in));
		if (n > 0)
			c->in_len = n;
		else if (!n || (errno != EINTR && errno != EAGAIN))
			c->stdin_eof = true;
	}
	if ((stream_ev & POLLOUT) && c->in_len) {
		n = write(c->fd, c->in, c->in_len);
		if (n > 0) {
			memmove(c->in, c->in + n, c->in_len - n);
			c->in_len -= n;
			c->bytes_in += n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* The service no longer reads: what follows says why. */
			c->in_len = 0;
			c->stdin_eof = true;
			c->shut = true;
		}
	}
	if (c->stdin_eof && !c->in_len && !c->shut) {
		c->shut = true;
		if (c->socket)
			shutdown(c->fd, SHUT_WR);
		else
			ioctl(c->fd, VMMGMT_IOC_STREAM_SHUTDOWN);
	}
}

static void call_loop(struct call *c)
{
	unsigned char buf[65536];
	struct pollfd p[2];
	double deadline = c->ctl->timeout_ms > 0 ?
			  c->t0 + c->ctl->timeout_ms / 1000.0 : 0;
	int ms;
	ssize_t n;

	while (!c->done) {
		ms = -1;
		if (deadline) {
			ms = (int)((deadline - vmmgmt_now_s()) * 1000) + 1;
			if (ms <= 0)
				call_fail(c, ETIMEDOUT, "no answer within --timeout %d s",
					  c->ctl->timeout_ms / 1000);
		}
		p[0].fd = !c->stdin_eof && !c->in_len ? 0 : -1;
		p[0].events = POLLIN;
		p[1].fd = c->fd;
		p[1].events = POLLIN | (c->in_len ? POLLOUT : 0);
		p[0].revents = 0;
		p[1].revents = 0;
		if (poll(p, 2, ms) < 0) {
			if (errno == EINTR)
				continue;
			call_fail(c, errno, "poll: %s", strerror(errno));
		}
		call_feed(c, p[0].revents, p[1].revents);
		if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			call_take(c, buf, n);
		} else if (!n) {
			call_fail(c, EPROTO, "the host ended the call without an answer");
		} else if (errno != EAGAIN && errno != EINTR) {
			call_fail(c, errno, "the stream failed: %s",
				  strerror(errno));
		}
	}
}

static int call_report(struct call *c)
{
	unsigned int status = le32toh(c->exit.status);
	unsigned int sig = le32toh(c->exit.signal);
	int i;

	if (c->err)
		call_fail(c, c->err, "%s", c->msg);
	if (c->ctl->json) {
		printf("{\"service\":");
		json_string(c->name);
		printf(",\"result\":\"%s\",\"exit_status\":%u,\"signal\":%u",
		       sig ? "signaled" : "exited", sig ? 0 : status, sig);
		printf(",\"cpu_us\":%llu,\"bytes_in\":%llu,\"seconds\":%.3f",
		       (unsigned long long)le64toh(c->exit.cpu_us), c->bytes_in,
		       vmmgmt_now_s() - c->t0);
		for (i = 0; i < 2; i++) {
			printf(",\"%s\":", i ? "stderr" : "stdout");
			json_bytes(c->out[i].buf ? c->out[i].buf : "",
				   c->out[i].len);
			printf(",\"%s_truncated\":%s", i ? "stderr" : "stdout",
			       c->out[i].truncated ? "true" : "false");
		}
		printf("}\n");
	}
	if (sig)
		return 128 + (sig & 127);
	return (int)(status & 255);
}

/**
 * cmd_call() - vmmgmtctl call NAME [ARGS...] (guest).
 * @ctl: the options (--json, --timeout, --device).
 * @argc: the arguments, "call" first.
 * @argv: "call", NAME and its arguments.
 *
 * Return: the exit status (see the file's comment).
 */
int cmd_call(const struct ctl *ctl, int argc, char **argv)
{
	struct call *c;
	int flags, fd;

	argc--;
	argv++;
	if (argc < 1)
		usage_error("call needs a service NAME", NULL);
	/*
	 * Standard input, output or error closed: /dev/null in their place.
	 * Else the device would be opened as one of them (the stream read
	 * as our own input, or written as our output), and a closed stdin
	 * is never readable: no end of file, no half-close, and poll()'s
	 * POLLNVAL at once, again and again, until the service's limit.
	 */
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd) {
			vmmgmtctl_err("/dev/null: %s", strerror(errno));
			return CALL_EXIT_FAILED;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		vmmgmtctl_err("out of memory");
		return CALL_EXIT_FAILED;
	}
	c->ctl = ctl;
	c->name = argv[0];
	c->t0 = vmmgmt_now_s();
	c->rd.payload = malloc(VMMGMT_SVC_FRAME_MAX);
	if (!c->rd.payload)
		call_fail(c, ENOMEM, "out of memory");
	signal(SIGPIPE, SIG_IGN);
	/* Check the name before the stream: a typo needs no host. */
	if (!vmmgmt_svc_name_ok(c->name))
		usage_error(CALL_NAME_RULES, c->name);
	c->fd = call_connect(c);
	call_send_request(c, argc - 1, argv + 1);
	flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK))
		call_fail(c, errno, "fcntl: %s", strerror(errno));
	call_loop(c);
	return call_report(c);
}
