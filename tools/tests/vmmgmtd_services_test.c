// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd_services_test: unit test of host services without a VM:
 * vmmgmtd's service runner (tools/vmmgmtd/services.c) serves calls in a
 * thread per call on one end of a socketpair, the other end driven by raw
 * protocol bytes written here or by vmmgmtctl call itself
 * (tools/vmmgmtctl/vmmgmtctl, VMMGMT_SERVICE_FD=N).  The services are
 * small /bin/sh scripts and their NAME.conf, written by the test into a
 * temporary services directory.
 *
 * Cases: the frame and call helpers of vmmgmt_service_proto.h; NAME.conf
 * parsing; output frames and the exit status; 32 MiB through cat and
 * sha256sum both ways at once; the service's environment, cwd and
 * descriptors; arguments; the time limit (the process group killed); a
 * client that stops reading (no spinning, no cut frame followed by
 * another); policy (allow=, a NAME.conf the runner does not understand);
 * lookup; malformed calls (an ERROR frame each, never a crash); a client
 * that sends half a header (dropped after VMMGMTD_SERVICE_CALL_MS) or
 * closes mid-call; vmmgmtctl's exit statuses and --json.
 *
 * Usage: tools/tests/vmmgmtd_services_test (make -C tools test).  Prints
 * TAP; exit 0 only when every check passed.  Takes about 11 s: the two
 * slow cases (10 s and 7 s) run in threads beside the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../vmmgmtd/services.h"
#include "vmmgmt_service_proto.h"
#include "vmmgmt_sha256.h"
#include "vmmgmt_user.h"

/* The calling VM the runner is told about. */
#define VM		"guest-7"
#define VM_ID		4242
/* Bytes through cat and sha256sum. */
#define BIG_LEN		(32ULL << 20)
#define BIG_SEED	15

static unsigned int tests, failures;
static char top[64], svc_dir[128], run_dir[128], ctl_path[512];
static bool have_ctl;

/* One TAP line: @what's newlines (output quoted in it) shown as \n. */
static void check(bool ok, const char *what)
{
	const char *p;

	tests++;
	if (!ok)
		failures++;
	printf("%sok %u - ", ok ? "" : "not ", tests);
	for (p = what; *p; p++)
		if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	putchar('\n');
	fflush(stdout);
}

static vmmgmt_printf(2, 3) void checkf(bool ok, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	check(ok, buf);
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- the services directory ---- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0 || vmmgmt_write_all(fd, text, len) || fchmod(fd, mode))
		die(path);
	close(fd);
}

/* Service @name: a /bin/sh script of the body @fmt, mode @mode. */
static vmmgmt_printf(3, 4) void
svc_script(const char *name, mode_t mode, const char *fmt, ...)
{
	char path[256], body[4096];
	va_list ap;
	int n;

	n = snprintf(body, sizeof(body), "#!/bin/sh\n");
	va_start(ap, fmt);
	vsnprintf(body + n, sizeof(body) - n, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", svc_dir, name);
	write_file(path, body, mode);
}

/*
 * Its NAME.conf: @fmt, then a user= line naming our own user by number
 * (as root the runner needs one; otherwise it is read and the service
 * runs as vmmgmtd's user anyway).
 */
static vmmgmt_printf(2, 3) void
svc_conf(const char *name, const char *fmt, ...)
{
	char path[256], text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(text + n, sizeof(text) - n, "user = %u\n", (unsigned int)geteuid());
	snprintf(path, sizeof(path), "%s/%s.conf", svc_dir, name);
	write_file(path, text, 0644);
}

/* The same without the user= line. */
static void svc_conf_raw(const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s.conf", svc_dir, name);
	write_file(path, text, 0644);
}

static void make_services(void)
{
	char path[256], *longline;

	svc_script("echo", 0755,
		   "printf 'out-1\\n'\nprintf 'err-1\\n' >&2\nprintf 'out-2'\nexit 3\n");
	svc_conf("echo", "# the first service\nallow = *\n");
	svc_script("ok", 0755, "echo hello\n");
	svc_conf("ok", "allow = *\n");
	svc_script("cat", 0755, "exec cat\n");
	svc_conf("cat", "allow = *\ntimeout = 30\n");
	svc_script("cat3", 0755, "exec cat\n");
	svc_conf("cat3", "allow = *\ntimeout = 3\n");
	svc_script("sha", 0755, "exec sha256sum\n");
	svc_conf("sha", "allow = *\ntimeout = 30\n");
	svc_script("env", 0755,
		   "echo \"vm=$VMMGMT_VM\"\necho \"id=$VMMGMT_VM_ID\"\n"
		   "echo \"service=$VMMGMT_SERVICE\"\necho \"cwd=$(pwd)\"\n"
		   "echo \"uid=$(id -u)\"\necho \"secret=${VMMGMT_TEST_SECRET-unset}\"\n"
		   "echo fds:\nexec ls /proc/self/fd\n");
	svc_conf("env", "allow = *\n");
	svc_script("args", 0755,
		   "echo \"argc=$#\"\nfor a in \"$@\"; do printf '[%%s]\\n' \"$a\"; done\n");
	svc_conf("args", "allow = *\n");
	svc_script("burn", 0755,
		   "i=0\nwhile [ $i -lt 100000 ]; do i=$((i + 1)); done\necho $i\n");
	svc_conf("burn", "allow = *\n");
	svc_script("sleeper", 0755,
		   "sleep 60 &\necho $! > %s/sleeper.bg\necho $$ > %s/sleeper.pid\n"
		   "echo started\nsleep 60\n", run_dir, run_dir);
	svc_conf("sleeper", "allow = *\ntimeout = 1\n");
	svc_script("hold", 0755,
		   "sleep 60 &\necho $! > %s/hold.bg\necho $$ > %s/hold.pid\n"
		   "echo ready\nwait\n", run_dir, run_dir);
	svc_conf("hold", "allow = *\ntimeout = 20\n");
	svc_script("flood", 0755, "exec yes\n");
	svc_conf("flood", "allow = *\ntimeout = 1\n");
	svc_script("killself", 0755, "echo before\nkill -9 $$\necho after\n");
	svc_conf("killself", "allow = *\n");

	/* Policy. */
	svc_script("noconf", 0755, "echo ran\n");
	svc_script("other", 0755, "echo ran\n");
	svc_conf("other", "allow = vm-a vm-b\n");
	svc_script("listed", 0755, "echo ran\n");
	svc_conf("listed", "allow = vm-a,%s\tvm-b\n", VM);
	svc_script("twolines", 0755, "echo ran\n");
	svc_conf("twolines", "allow = vm-a\n  allow=%s  # a comment\n", VM);
	svc_script("typo", 0755, "echo ran\n");
	svc_conf("typo", "allow = *\nallowed = *\n");
	svc_script("badval", 0755, "echo ran\n");
	svc_conf("badval", "allow = *\ntimeout = 5s\n");
	svc_script("nouser", 0755, "echo ran\n");
	svc_conf_raw("nouser", "allow = *\nuser = no-such-user-vmmgmt-test\n");
	svc_script("hugemem", 0755, "echo ran\n");
	svc_conf("hugemem", "allow = *\nmemory = 17179869185G\n");
	/*
	 * A comment longer than the runner's line buffer, whose tail would
	 * read as "allow = *" if the rest of a long line were taken for a
	 * line of its own.
	 */
	svc_script("longline", 0755, "echo ran\n");
	longline = malloc(1100);
	if (!longline)
		die("malloc");
	longline[0] = '#';
	memset(longline + 1, 'x', 1022);
	memcpy(longline + 1023, "allow = *\n", sizeof("allow = *\n"));
	svc_conf("longline", "allow = vm-a\n%s", longline);
	free(longline);

	/* Lookup. */
	svc_script("noexec", 0644, "echo ran\n");
	svc_conf("noexec", "allow = *\n");
	snprintf(path, sizeof(path), "%s/adir", svc_dir);
	if (mkdir(path, 0755))
		die(path);
	svc_conf("adir", "allow = *\n");
	/* An executable NAME.conf: only its name keeps it from being run. */
	snprintf(path, sizeof(path), "%s/ok.conf", svc_dir);
	if (chmod(path, 0755))
		die(path);
}

/* ---- calls: the runner in a thread on one end of a socketpair ---- */

struct sess {
	int cfd, sfd;
	int ret;		/* vmmgmtd_service_serve()'s */
	double t0, t1;		/* ms: opened; the runner returned */
	double cpu_ms;		/* the runner thread's CPU time */
	pthread_t thread;
};

static void *sess_thread(void *arg)
{
	struct sess *s = arg;
	struct rusage ru;

	s->ret = vmmgmtd_service_serve(svc_dir, VM, VM_ID, s->sfd);
	s->t1 = vmmgmt_now_ms();
	if (!getrusage(RUSAGE_THREAD, &ru))
		s->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	close(s->sfd);
	return NULL;
}

/*
 * @inherit: the runner's end without FD_CLOEXEC (the service must not see
 * it); @sndbuf: its SO_SNDBUF, or 0.
 */
static void sess_open2(struct sess *s, bool inherit, int sndbuf)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | (inherit ? 0 : SOCK_CLOEXEC), 0, sv))
		die("socketpair");
	if (sndbuf && setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		die("SO_SNDBUF");
	s->cfd = sv[0];
	s->sfd = sv[1];
	s->ret = 1;
	s->cpu_ms = -1;
	s->t0 = vmmgmt_now_ms();
	s->t1 = 0;
	if (pthread_create(&s->thread, NULL, sess_thread, s))
		die("pthread_create");
}

static void sess_open(struct sess *s, bool inherit)
{
	sess_open2(s, inherit, 0);
}

static void sess_open_sndbuf(struct sess *s, int sndbuf)
{
	sess_open2(s, false, sndbuf);
}

/* Wait @secs at most for the runner; false if it still runs (left so). */
static bool sess_join(struct sess *s, double secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return !pthread_timedjoin_np(s->thread, NULL, &ts);
}

/* What came back on a stream, frame by frame. */
struct reply {
	unsigned char *raw;
	size_t raw_len;
	char *out, *err;	/* STDOUT and STDERR payloads, NUL-terminated */
	size_t out_len, err_len;
	unsigned int frames;
	bool exited, errored;	/* the last frame */
	unsigned int status, sig;
	unsigned long long cpu_us;
	int error;
	char msg[VMMGMT_SVC_MSG_MAX + 1];
	const char *bad;	/* a header that fails, a frame after the last */
	bool cut;		/* the stream ended inside a frame */
	bool eof;		/* ... or it ended at all */
	double ms;		/* until the end */
};

static void buf_add(char **buf, size_t *len, const void *p, size_t n)
{
	char *b = realloc(*buf, *len + n + 1);

	if (!b)
		die("realloc");
	memcpy(b + *len, p, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
}

/* Read @fd until end of file or @deadline (ms); true at end of file. */
static bool read_all(int fd, double deadline, unsigned char **raw, size_t *len)
{
	unsigned char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double left;
	ssize_t n;

	for (;;) {
		left = deadline - vmmgmt_now_ms();
		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			buf_add((char **)raw, len, buf, n);
		else if (!n || (errno != EINTR && errno != EAGAIN))
			return true;
	}
}

static void parse_reply(struct reply *r)
{
	struct vmmgmt_svc_frame f;
	struct vmmgmt_svc_error e;
	struct vmmgmt_svc_exit x;
	size_t off = 0, len;

	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (!r->out || !r->err)
		die("calloc");
	while (off < r->raw_len) {
		if (r->raw_len - off < sizeof(f)) {
			r->cut = true;
			return;
		}
		memcpy(&f, r->raw + off, sizeof(f));
		if (vmmgmt_svc_frame_check(&f)) {
			r->bad = "a frame header fails vmmgmt_svc_frame_check()";
			return;
		}
		if (r->exited || r->errored) {
			r->bad = "a frame after the last one";
			return;
		}
		off += sizeof(f);
		len = le32toh(f.len);
		if (r->raw_len - off < len) {
			r->cut = true;
			len = r->raw_len - off;
			if (le16toh(f.type) == VMMGMT_SVC_STDOUT)
				buf_add(&r->out, &r->out_len, r->raw + off, len);
			return;
		}
		r->frames++;
		switch (le16toh(f.type)) {
		case VMMGMT_SVC_STDOUT:
			buf_add(&r->out, &r->out_len, r->raw + off, len);
			break;
		case VMMGMT_SVC_STDERR:
			buf_add(&r->err, &r->err_len, r->raw + off, len);
			break;
		case VMMGMT_SVC_EXIT:
			memcpy(&x, r->raw + off, sizeof(x));
			r->exited = true;
			r->status = le32toh(x.status);
			r->sig = le32toh(x.signal);
			r->cpu_us = le64toh(x.cpu_us);
			break;
		case VMMGMT_SVC_ERROR:
			memcpy(&e, r->raw + off, sizeof(e));
			r->errored = true;
			r->error = (int)le32toh(e.err);
			memcpy(r->msg, r->raw + off + sizeof(e), len - sizeof(e));
			r->msg[len - sizeof(e)] = '\0';
			if (e.reserved)
				r->bad = "ERROR's reserved field is not zero";
			break;
		}
		off += len;
	}
}

static void reply_free(struct reply *r)
{
	free(r->raw);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* A call's bytes: the header and @argc + 1 strings. */
static size_t call_bytes(char *buf, size_t size, const char *name,
			 unsigned int argc, const char *const *argv)
{
	struct vmmgmt_svc_call h = {
		.magic = htole32(VMMGMT_SVC_CALL_MAGIC),
		.version = htole16(VMMGMT_SERVICE_VERSION),
		.argc = htole16((__u16)argc),
	};
	size_t len = sizeof(h), n;
	unsigned int i;

	for (i = 0; i <= argc; i++) {
		const char *s = i ? argv[i - 1] : name;

		n = strlen(s) + 1;
		if (len + n > size)
			die("call_bytes");
		memcpy(buf + len, s, n);
		len += n;
	}
	h.len = htole32((__u32)(len - sizeof(h)));
	memcpy(buf, &h, sizeof(h));
	return len;
}

/*
 * One call: @bytes (the call, or anything), then @in as stdin, the
 * half-close unless @keep_open, then everything until the end.  The
 * runner must be done within @secs.  Return: it was (its ret in @s).
 */
static bool raw_call(struct sess *s, bool inherit, const void *bytes, size_t len,
		     const void *in, size_t in_len, bool keep_open, double secs,
		     struct reply *r)
{
	double t0 = vmmgmt_now_ms();
	bool joined;

	memset(r, 0, sizeof(*r));
	sess_open(s, inherit);
	/* The runner may have answered and closed already: EPIPE is fine. */
	if (len)
		vmmgmt_write_all(s->cfd, bytes, len);
	if (in_len)
		vmmgmt_write_all(s->cfd, in, in_len);
	if (!keep_open)
		shutdown(s->cfd, SHUT_WR);
	r->eof = read_all(s->cfd, t0 + secs * 1000, &r->raw, &r->raw_len);
	r->ms = vmmgmt_now_ms() - t0;
	parse_reply(r);
	close(s->cfd);
	joined = sess_join(s, 5);
	return joined;
}

/* A well-formed call of @name with @argc arguments and stdin @in. */
static bool call(struct sess *s, const char *name, unsigned int argc,
		 const char *const *argv, const char *in, struct reply *r)
{
	static char buf[VMMGMT_SVC_CALL_LEN_MAX + 64];
	size_t len = call_bytes(buf, sizeof(buf), name, argc, argv);

	return raw_call(s, false, buf, len, in, in ? strlen(in) : 0, false, 15, r);
}

/* The stream was well formed and complete, ended by the server. */
static bool clean(const struct reply *r)
{
	return r->eof && !r->bad && !r->cut;
}

static const char *reply_str(const struct sess *s, bool joined, const struct reply *r)
{
	static char buf[1400];

	snprintf(buf, sizeof(buf),
		 "runner %s ret %d; eof %d bad '%s' cut %d; %u frames; exit %d (status %u signal %u); error %d '%s'",
		 joined ? "done" : "STILL RUNNING", s->ret, r->eof,
		 r->bad ? r->bad : "", r->cut, r->frames, r->exited, r->status,
		 r->sig, r->error, r->msg);
	return buf;
}

/* The call ended with exactly one frame, ERROR @err, and the runner's -@err. */
static void expect_error(const char *what, const struct sess *s, bool joined,
			 const struct reply *r, int err)
{
	bool ok = joined && clean(r) && r->errored && r->error == err &&
		  r->frames == 1 && r->msg[0] && s->ret == -err;

	if (ok)
		checkf(true, "%s: ERROR %s (%s)", what, strerror(err), r->msg);
	else
		checkf(false, "%s: want ERROR %d (%s): %s", what, err, strerror(err),
		       reply_str(s, joined, r));
}

/* ---- processes ---- */

/* A pid from a file the service wrote, or -1. */
static pid_t read_pid(const char *name)
{
	char path[256], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf) > 1 ? (pid_t)atoi(buf) : -1;
}

static void rm_run(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	unlink(path);
}

/*
 * Is @pid gone for good within @ms?  We are the subreaper of the
 * services' orphans, so one killed after its parent is our zombie until
 * reaped here; kill(pid, 0) fails with ESRCH only once it is reaped.
 */
static bool gone(pid_t pid, unsigned int ms)
{
	double deadline = vmmgmt_now_ms() + ms;

	if (pid <= 1)
		return false;
	for (;;) {
		waitpid(pid, NULL, WNOHANG);
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return true;
		if (vmmgmt_now_ms() > deadline)
			return false;
		vmmgmt_sleep_ms(10);
	}
}

/*
 * No process left in the process group @pgid within 3 s (its members
 * that the kill orphaned are our zombies: reaped here first).
 */
static bool group_gone(pid_t pgid)
{
	double deadline = vmmgmt_now_ms() + 3000;

	if (pgid <= 1)
		return false;
	for (;;) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return true;
		if (vmmgmt_now_ms() > deadline)
			return false;
		vmmgmt_sleep_ms(10);
	}
}

/* ---- the cases ---- */

static void test_proto_helpers(void)
{
	struct vmmgmt_svc_frame f;
	struct vmmgmt_svc_call h;
	char *argv[VMMGMT_SVC_ARGS_MAX + 2], buf[256], copy[256], name[80];

	check(vmmgmt_svc_name_ok("sha256") && vmmgmt_svc_name_ok("a.b_c-1") &&
	      vmmgmt_svc_name_ok("x"), "name_ok: plain names");
	check(!vmmgmt_svc_name_ok("") && !vmmgmt_svc_name_ok(".hidden") &&
	      !vmmgmt_svc_name_ok("-x") && !vmmgmt_svc_name_ok("a/b") &&
	      !vmmgmt_svc_name_ok("..") && !vmmgmt_svc_name_ok("a b") &&
	      !vmmgmt_svc_name_ok("a\n"), "name_ok: empty, hidden, option, path, space refused");
	memset(name, 'n', sizeof(name));
	name[VMMGMT_SVC_NAME_MAX] = '\0';
	check(vmmgmt_svc_name_ok(name), "name_ok: 64 bytes");
	name[VMMGMT_SVC_NAME_MAX] = 'n';
	name[VMMGMT_SVC_NAME_MAX + 1] = '\0';
	check(!vmmgmt_svc_name_ok(name), "name_ok: 65 bytes refused");

	/* Frames. */
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDOUT, 0);
	check(!vmmgmt_svc_frame_check(&f), "frame_check: STDOUT of 0 bytes");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDERR, VMMGMT_SVC_FRAME_MAX);
	check(!vmmgmt_svc_frame_check(&f), "frame_check: STDERR of VMMGMT_SVC_FRAME_MAX bytes");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDOUT, VMMGMT_SVC_FRAME_MAX + 1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO,
	      "frame_check: one byte over the maximum: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDOUT, 10);
	f.magic = htole32(VMMGMT_SVC_CALL_MAGIC);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: the call's magic: EPROTO");
	vmmgmt_svc_frame_init(&f, 0, 10);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: type 0: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_FRAME_TYPES, 10);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: type 5: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDOUT, 10);
	f.reserved = htole16(1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: reserved non-zero: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_STDOUT, 10);
	f.reserved2 = htole32(0x100);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: reserved2 non-zero: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_EXIT, sizeof(struct vmmgmt_svc_exit));
	check(!vmmgmt_svc_frame_check(&f), "frame_check: EXIT of 16 bytes");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_EXIT, sizeof(struct vmmgmt_svc_exit) - 1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: EXIT of 15 bytes: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_EXIT, sizeof(struct vmmgmt_svc_exit) + 1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: EXIT of 17 bytes: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_ERROR, sizeof(struct vmmgmt_svc_error));
	check(!vmmgmt_svc_frame_check(&f), "frame_check: ERROR without a message");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_ERROR,
			      sizeof(struct vmmgmt_svc_error) + VMMGMT_SVC_MSG_MAX);
	check(!vmmgmt_svc_frame_check(&f), "frame_check: ERROR with the longest message");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_ERROR, sizeof(struct vmmgmt_svc_error) - 1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO, "frame_check: ERROR of 7 bytes: EPROTO");
	vmmgmt_svc_frame_init(&f, VMMGMT_SVC_ERROR,
			      sizeof(struct vmmgmt_svc_error) + VMMGMT_SVC_MSG_MAX + 1);
	check(vmmgmt_svc_frame_check(&f) == -EPROTO,
	      "frame_check: ERROR's message one byte too long: EPROTO");

	/* Call headers. */
	memset(&h, 0, sizeof(h));
	h.magic = htole32(VMMGMT_SVC_CALL_MAGIC);
	h.version = htole16(VMMGMT_SERVICE_VERSION);
	h.argc = htole16(VMMGMT_SVC_ARGS_MAX);
	h.len = htole32(VMMGMT_SVC_CALL_LEN_MAX);
	check(!vmmgmt_svc_call_check(&h), "call_check: the limits themselves");
	h.argc = htole16(VMMGMT_SVC_ARGS_MAX + 1);
	check(vmmgmt_svc_call_check(&h) == -E2BIG, "call_check: 65 arguments: E2BIG");
	h.argc = 0;
	h.len = htole32(VMMGMT_SVC_CALL_LEN_MAX + 1);
	check(vmmgmt_svc_call_check(&h) == -E2BIG, "call_check: len over the maximum: E2BIG");
	h.len = htole32(1);
	check(vmmgmt_svc_call_check(&h) == -EPROTO, "call_check: len 1: EPROTO");
	h.argc = htole16(3);
	h.len = htole32(4);
	check(vmmgmt_svc_call_check(&h) == -EPROTO, "call_check: len below 2 + argc: EPROTO");
	h.argc = 0;
	h.len = htole32(2);
	h.reserved = htole32(1);
	check(vmmgmt_svc_call_check(&h) == -EPROTO, "call_check: reserved non-zero: EPROTO");
	h.reserved = 0;
	h.version = htole16(VMMGMT_SERVICE_VERSION + 1);
	check(vmmgmt_svc_call_check(&h) == -EPROTO, "call_check: version 2: EPROTO");
	h.version = htole16(VMMGMT_SERVICE_VERSION);
	h.magic = htole32(VMMGMT_SVC_FRAME_MAGIC);
	check(vmmgmt_svc_call_check(&h) == -EPROTO, "call_check: a frame's magic: EPROTO");

	/* Splitting. */
	memcpy(buf, "name\0", 5);
	check(!vmmgmt_svc_call_split(buf, 5, 0, argv) && argv[0] == buf && !argv[1],
	      "call_split: a name alone");
	memcpy(buf, "calc\0one\0\0two words\0", 20);
	memcpy(copy, buf, 20);
	check(!vmmgmt_svc_call_split(buf, 20, 3, argv) && !strcmp(argv[0], "calc") &&
	      !strcmp(argv[1], "one") && !strcmp(argv[2], "") &&
	      !strcmp(argv[3], "two words") && !argv[4] && !memcmp(buf, copy, 20),
	      "call_split: three arguments, one empty; the buffer unchanged");
	check(vmmgmt_svc_call_split(buf, 20, 2, argv) == -EPROTO,
	      "call_split: one string more than argc: EPROTO");
	check(vmmgmt_svc_call_split(buf, 20, 4, argv) == -EPROTO,
	      "call_split: one string fewer than argc: EPROTO");
	check(vmmgmt_svc_call_split(buf, 19, 3, argv) == -EPROTO,
	      "call_split: the last NUL missing: EPROTO");
	memcpy(buf, "name", 4);
	check(vmmgmt_svc_call_split(buf, 4, 0, argv) == -EPROTO,
	      "call_split: no NUL at all: EPROTO");
	memcpy(buf, "name\0x", 6);
	check(vmmgmt_svc_call_split(buf, 6, 0, argv) == -EPROTO,
	      "call_split: bytes after the last string: EPROTO");
	memcpy(buf, "../x\0", 5);
	check(vmmgmt_svc_call_split(buf, 5, 0, argv) == -EPROTO,
	      "call_split: a name that is a path: EPROTO");
	memcpy(buf, "\0a\0", 3);
	check(vmmgmt_svc_call_split(buf, 3, 1, argv) == -EPROTO,
	      "call_split: an empty name: EPROTO");
	check(vmmgmt_svc_call_split(buf, 3, VMMGMT_SVC_ARGS_MAX + 1, argv) == -EPROTO,
	      "call_split: argc over the maximum: EPROTO");
}

/* NAME.conf read directly. */
static void test_conf(void)
{
	struct vmmgmtd_service_conf c;
	char path[256], err[512];
	int ret;

	snprintf(path, sizeof(path), "%s/t.conf", run_dir);
	write_file(path, "# c\n\n allow = a, b\nuser = 1234:56\ntimeout = 7\nmemory = 64M\n"
		   "file_size = 3k\nprocesses = 9\n", 0644);
	ret = vmmgmtd_service_conf_read(path, "b", &c, err, sizeof(err));
	checkf(!ret && c.allowed && c.uid == 1234 && c.gid == 56 && c.timeout_s == 7 &&
	       c.cpu_s == 7 && c.memory == 64ULL << 20 && c.fsize == 3072 && c.nproc == 9,
	       "conf_read: every key (ret %d: %s)", ret, ret ? err : "");
	ret = vmmgmtd_service_conf_read(path, "c", &c, err, sizeof(err));
	check(!ret && !c.allowed, "conf_read: a VM not in allow= is not allowed");
	write_file(path, "allow = *\nuser = 5\ncpu = 2\n", 0644);
	ret = vmmgmtd_service_conf_read(path, "any", &c, err, sizeof(err));
	check(!ret && c.allowed && c.uid == 5 && c.gid == 5 &&
	      c.timeout_s == VMMGMTD_SERVICE_TIMEOUT_DEFAULT && c.cpu_s == 2 &&
	      c.memory == VMMGMTD_SERVICE_MEMORY_DEFAULT &&
	      c.nproc == VMMGMTD_SERVICE_NPROC_DEFAULT,
	      "conf_read: defaults; user=UID takes the UID as the group");
	snprintf(path, sizeof(path), "%s/none.conf", run_dir);
	check(vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err)) == -ENOENT,
	      "conf_read: no file: ENOENT");
	snprintf(path, sizeof(path), "%s/t.conf", run_dir);
	write_file(path, "allow = *\nuser = 0\ntimeout = 0\n", 0644);
	check(vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err)) == -EINVAL,
	      "conf_read: timeout = 0: EINVAL");
	write_file(path, "allow = *\nuser = 0\ntimeout = 86401\n", 0644);
	check(vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err)) == -EINVAL,
	      "conf_read: timeout over a day: EINVAL");
	write_file(path, "allow = *\nuser = 0\nmemory = 17179869185G\n", 0644);
	ret = vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err));
	checkf(ret == -EINVAL,
	       "conf_read: memory = 17179869185G (wraps to 1 GiB in 64 bits): EINVAL (ret %d, memory %llu)",
	       ret, (unsigned long long)c.memory);
	write_file(path, "allow = *\nuser = 0\nfile_size = 1025G\n", 0644);
	check(vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err)) == -EINVAL,
	      "conf_read: file_size over 1 TiB: EINVAL");
	write_file(path, "allow = *\nuser = 0\nnonsense\n", 0644);
	ret = vmmgmtd_service_conf_read(path, "x", &c, err, sizeof(err));
	checkf(ret == -EINVAL && strstr(err, ":3:"),
	       "conf_read: a line without '=': EINVAL, line 3 named (%s)",
	       err);
}

static void test_output(void)
{
	struct reply r;
	struct sess s;
	bool joined;
	double t0;

	joined = call(&s, "echo", 0, NULL, NULL, &r);
	checkf(joined && clean(&r) && r.exited && s.ret == 0,
	       "echo: EXIT, then the end; the runner returns 0 (%s)", reply_str(&s, joined, &r));
	check(!strcmp(r.out, "out-1\nout-2"), "echo: STDOUT frames carry exactly what it printed");
	check(!strcmp(r.err, "err-1\n"), "echo: STDERR frames carry its stderr, apart");
	checkf(r.status == 3 && r.sig == 0, "echo: exit status 3, no signal (status %u, signal %u)",
	       r.status, r.sig);
	checkf(r.cpu_us < 5000000, "echo: cpu_us plausible (%llu)", r.cpu_us);
	reply_free(&r);

	t0 = vmmgmt_now_ms();
	joined = call(&s, "burn", 0, NULL, NULL, &r);
	checkf(joined && clean(&r) && r.exited && r.status == 0 && !strcmp(r.out, "100000\n") &&
	       r.cpu_us >= 10000 && r.cpu_us <= (vmmgmt_now_ms() - t0) * 1000 + 20000,
	       "burn: cpu_us counts the service's CPU time (%llu us in %.0f ms)",
	       r.cpu_us, vmmgmt_now_ms() - t0);
	reply_free(&r);

	joined = call(&s, "killself", 0, NULL, NULL, &r);
	checkf(joined && clean(&r) && r.exited && r.sig == SIGKILL && r.status == 0 &&
	       !strcmp(r.out, "before\n") && s.ret == 0,
	       "killself: EXIT with signal 9 (%s)", reply_str(&s, joined, &r));
	reply_free(&r);

	joined = call(&s, "cat", 0, NULL, "small input\n", &r);
	checkf(joined && clean(&r) && r.exited && r.status == 0 && !strcmp(r.out, "small input\n"),
	       "cat: a line of stdin comes back (%s)", reply_str(&s, joined, &r));
	reply_free(&r);
}

static void test_env(void)
{
	char want[512], *fds;
	struct reply r;
	struct sess s;
	unsigned int n = 0, extra = 0;
	int leak;
	bool joined, fds_ok;
	char buf[128];
	size_t len;

	/* Descriptors the service must not see: one here, the stream's. */
	leak = open("/dev/null", O_RDONLY);
	if (leak < 0)
		die("/dev/null");
	setenv("VMMGMT_TEST_SECRET", "leaked", 1);
	len = call_bytes(buf, sizeof(buf), "env", 0, NULL);
	joined = raw_call(&s, true, buf, len, NULL, 0, false, 15, &r);
	unsetenv("VMMGMT_TEST_SECRET");
	close(leak);
	checkf(joined && clean(&r) && r.exited && r.status == 0,
	       "env: ran (%s)", reply_str(&s, joined, &r));
	snprintf(want, sizeof(want), "vm=%s\nid=%u\nservice=env\n", VM, VM_ID);
	checkf(!strncmp(r.out, want, strlen(want)),
	       "env: VMMGMT_VM, VMMGMT_VM_ID, VMMGMT_SERVICE as the runner was given");
	check(strstr(r.out, "\ncwd=/\n"), "env: the service's cwd is /");
	snprintf(want, sizeof(want), "\nuid=%u\n", (unsigned int)geteuid());
	check(strstr(r.out, want), "env: it runs as the user of its NAME.conf");
	check(strstr(r.out, "\nsecret=unset\n"),
	      "env: nothing of the runner's own environment");
	fds = strstr(r.out, "fds:\n");
	fds_ok = !!fds;
	if (fds) {
		char *save = NULL, *w;

		for (w = strtok_r(fds + 5, "\n", &save); w; w = strtok_r(NULL, "\n", &save), n++) {
			if (n < 3)
				fds_ok = fds_ok && atoi(w) == (int)n;
			else
				extra++;
		}
	}
	checkf(fds_ok && n >= 3 && extra == 1,
	       "env: 0, 1, 2 and ls's own directory are all the descriptors it has (%u listed)", n);
	reply_free(&r);
}

static void test_args(void)
{
	static const char *const args[] = {
		"one", "two words", "", "  lead and trail  ", "tab\there", "*",
		"$HOME", "-x", "quote'\"", "new\nline", "--",
	};
	static char big[VMMGMT_SVC_CALL_LEN_MAX];
	const char *many[VMMGMT_SVC_ARGS_MAX + 1];
	char want[1024], buf[32];
	struct reply r;
	struct sess s;
	unsigned int i;
	size_t len;
	bool joined;

	len = (size_t)snprintf(want, sizeof(want), "argc=%zu\n", ARRAY_SIZE(args));
	for (i = 0; i < ARRAY_SIZE(args); i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "[%s]\n", args[i]);
	joined = call(&s, "args", ARRAY_SIZE(args), args, NULL, &r);
	checkf(joined && clean(&r) && r.exited && !strcmp(r.out, want),
	       "args: arguments arrive unchanged (spaces, empty, glob, $, quotes, newline, --)");
	reply_free(&r);

	joined = call(&s, "args", 0, NULL, NULL, &r);
	check(joined && r.exited && !strcmp(r.out, "argc=0\n"), "args: none");
	reply_free(&r);

	for (i = 0; i < VMMGMT_SVC_ARGS_MAX; i++)
		many[i] = "a";
	joined = call(&s, "args", VMMGMT_SVC_ARGS_MAX, many, NULL, &r);
	snprintf(buf, sizeof(buf), "argc=%u\n", VMMGMT_SVC_ARGS_MAX);
	check(joined && r.exited && !strncmp(r.out, buf, strlen(buf)),
	      "args: VMMGMT_SVC_ARGS_MAX arguments are taken");
	reply_free(&r);

	/* "args\0" and one argument: exactly VMMGMT_SVC_CALL_LEN_MAX bytes. */
	len = VMMGMT_SVC_CALL_LEN_MAX - 5 - 1;
	memset(big, 'b', len);
	big[len] = '\0';
	many[0] = big;
	joined = call(&s, "args", 1, many, NULL, &r);
	check(joined && r.exited && !strncmp(r.out, "argc=1\n[", 8) &&
	      r.out_len == 7 + 1 + len + 2,
	      "args: a call of exactly VMMGMT_SVC_CALL_LEN_MAX bytes is taken");
	reply_free(&r);
}

static void test_timeout(void)
{
	pid_t bg, sh;
	struct reply r;
	struct sess s;
	bool joined;

	rm_run("sleeper.bg");
	rm_run("sleeper.pid");
	joined = call(&s, "sleeper", 0, NULL, NULL, &r);
	checkf(joined && clean(&r) && r.errored && r.error == ETIME && s.ret == -ETIME,
	       "timeout = 1: ERROR ETIME (%s)", reply_str(&s, joined, &r));
	check(!strcmp(r.out, "started\n"), "timeout: its output before the limit still came");
	checkf(r.ms >= 950 && r.ms < 4000, "timeout: after about 1 s (%.0f ms)", r.ms);
	bg = read_pid("sleeper.bg");
	sh = read_pid("sleeper.pid");
	checkf(gone(bg, 3000), "timeout: its background child (pid %d) is gone", (int)bg);
	checkf(gone(sh, 3000) && group_gone(sh),
	       "timeout: the service (pid %d) and its process group are gone",
	       (int)sh);
	reply_free(&r);
}

/* The first byte of @p (stream offset @off on) not of "y\ny\n...", or -1. */
static long long not_yes(const char *p, size_t len, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ((off + i) % 2 ? '\n' : 'y'))
			return (long long)i;
	return -1;
}

/* A client that reads nothing for a while: the runner waits, not spins. */
static void test_slow_reader(void)
{
	char buf[64];
	struct reply r;
	struct sess s;
	size_t len;
	bool joined;

	len = call_bytes(buf, sizeof(buf), "flood", 0, NULL);
	memset(&r, 0, sizeof(r));
	sess_open(&s, false);
	vmmgmt_write_all(s.cfd, buf, len);
	shutdown(s.cfd, SHUT_WR);
	vmmgmt_sleep_ms(1500);
	r.eof = read_all(s.cfd, vmmgmt_now_ms() + 10000, &r.raw, &r.raw_len);
	parse_reply(&r);
	close(s.cfd);
	joined = sess_join(&s, 5);
	checkf(joined && clean(&r) && r.errored && r.error == ETIME && s.ret == -ETIME &&
	       r.out_len > 65536 && not_yes(r.out, r.out_len, 0) < 0,
	       "flood, read only after its time limit: its output intact, then ERROR ETIME (%s; %zu bytes)",
	       reply_str(&s, joined, &r), r.out_len);
	checkf(joined && s.cpu_ms >= 0 && s.cpu_ms < 300,
	       "flood: the runner waited for the reader without spinning (%.0f ms of CPU in %.0f ms)",
	       s.cpu_ms, s.t1 - s.t0);
	reply_free(&r);
}

static void test_policy(void)
{
	static const struct {
		const char *name, *what;
		int err;
	} cases[] = {
		{ "noconf", "no NAME.conf", EACCES },
		{ "other", "allow= names other VMs", EACCES },
		{ "listed", "allow= lists the VM among others (commas, tabs)", 0 },
		{ "twolines", "the VM in a second allow= line", 0 },
		{ "ok", "allow = *", 0 },
		{ "typo", "an unknown key (allowed)", EACCES },
		{ "badval", "timeout = 5s", EACCES },
		{ "nouser", "a user= that is not on this host", EACCES },
		{ "hugemem", "memory = 17179869185G (over the limit, wraps in 64 bits)", EACCES },
		{ "longline", "a comment longer than a line whose tail reads 'allow = *'", EACCES },
	};
	struct reply r;
	struct sess s;
	unsigned int i;
	bool joined;
	char what[256];

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		joined = call(&s, cases[i].name, 0, NULL, NULL, &r);
		snprintf(what, sizeof(what), "policy: %s", cases[i].what);
		if (cases[i].err)
			expect_error(what, &s, joined, &r, cases[i].err);
		else
			checkf(joined && clean(&r) && r.exited && r.status == 0 && s.ret == 0 &&
			       r.out_len > 0, "%s: allowed (%s)", what, reply_str(&s, joined, &r));
		reply_free(&r);
	}
}

static void test_lookup(void)
{
	static const char *const bad[] = { "../x", ".hidden", "-x", "a/b", "a b", "..", "." };
	char name[VMMGMT_SVC_NAME_MAX + 2], buf[256], what[160];
	struct reply r;
	struct sess s;
	unsigned int i;
	bool joined;
	size_t len;

	joined = call(&s, "missing", 0, NULL, NULL, &r);
	expect_error("lookup: no such service", &s, joined, &r, ENOENT);
	reply_free(&r);
	joined = call(&s, "noexec", 0, NULL, NULL, &r);
	expect_error("lookup: a file without x bits (and a NAME.conf)", &s, joined, &r, ENOENT);
	reply_free(&r);
	joined = call(&s, "ok.conf", 0, NULL, NULL, &r);
	expect_error("lookup: NAME.conf itself (executable)", &s, joined, &r, ENOENT);
	reply_free(&r);
	joined = call(&s, "adir", 0, NULL, NULL, &r);
	expect_error("lookup: a directory", &s, joined, &r, ENOENT);
	reply_free(&r);
	memset(name, 'n', VMMGMT_SVC_NAME_MAX);
	name[VMMGMT_SVC_NAME_MAX] = '\0';
	joined = call(&s, name, 0, NULL, NULL, &r);
	expect_error("lookup: a 64-byte name is a name (ENOENT, not EPROTO)", &s, joined, &r,
		     ENOENT);
	reply_free(&r);
	name[VMMGMT_SVC_NAME_MAX] = 'n';
	name[VMMGMT_SVC_NAME_MAX + 1] = '\0';
	joined = call(&s, name, 0, NULL, NULL, &r);
	expect_error("lookup: a 65-byte name", &s, joined, &r, EPROTO);
	reply_free(&r);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		len = call_bytes(buf, sizeof(buf), bad[i], 0, NULL);
		joined = raw_call(&s, false, buf, len, NULL, 0, false, 15, &r);
		snprintf(what, sizeof(what), "lookup: the name '%s'", bad[i]);
		expect_error(what, &s, joined, &r, EPROTO);
		reply_free(&r);
	}
}

/* Exactly @len bytes from the blocking @fd; false at its end or an error. */
static bool read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += n;
	}
	return true;
}

/* A call of "ok" with one header field broken: the answer is ERROR @err. */
static void bad_call(const char *what, const char *body, size_t body_len,
		     unsigned int argc, __u32 len, __u32 magic, __u16 version,
		     __u32 reserved, int err)
{
	struct vmmgmt_svc_call h = {
		.magic = htole32(magic),
		.version = htole16(version),
		.argc = htole16((__u16)argc),
		.len = htole32(len),
		.reserved = htole32(reserved),
	};
	char buf[VMMGMT_SVC_CALL_LEN_MAX + 64];
	struct reply r;
	struct sess s;
	bool joined;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, body_len);
	joined = raw_call(&s, false, buf, sizeof(h) + body_len, NULL, 0, false, 15, &r);
	if (err) {
		expect_error(what, &s, joined, &r, err);
		checkf(r.ms < 3000, "%s: answered at once (%.0f ms)", what, r.ms);
	} else {
		checkf(joined && clean(&r) && r.exited && !strcmp(r.out, "hello\n"),
		       "%s (%s)", what, reply_str(&s, joined, &r));
	}
	reply_free(&r);
}

static void test_protocol(void)
{
	static char body[VMMGMT_SVC_CALL_LEN_MAX + 1];
	const __u32 M = VMMGMT_SVC_CALL_MAGIC;
	const __u16 V = VMMGMT_SERVICE_VERSION;
	char buf[64];
	struct reply r;
	struct sess s;
	bool joined;

	bad_call("raw call: the well-formed call these vary runs", "ok", 3, 0, 3, M, V, 0, 0);
	bad_call("raw call: bad magic", "ok", 3, 0, 3, 0x12345678, V, 0, EPROTO);
	bad_call("raw call: version 2", "ok", 3, 0, 3, M, V + 1, 0, EPROTO);
	bad_call("raw call: version 0", "ok", 3, 0, 3, M, 0, 0, EPROTO);
	bad_call("raw call: reserved non-zero", "ok", 3, 0, 3, M, V, 1, EPROTO);
	memset(body, 'a', sizeof(body));
	bad_call("raw call: argc over VMMGMT_SVC_ARGS_MAX", "ok\0a\0", 5,
		 VMMGMT_SVC_ARGS_MAX + 1, 200, M, V, 0, E2BIG);
	bad_call("raw call: len over VMMGMT_SVC_CALL_LEN_MAX", body, VMMGMT_SVC_CALL_LEN_MAX + 1,
		 0, VMMGMT_SVC_CALL_LEN_MAX + 1, M, V, 0, E2BIG);
	bad_call("raw call: len 1", "o", 1, 0, 1, M, V, 0, EPROTO);
	bad_call("raw call: the name without its NUL", "okok", 4, 0, 4, M, V, 0, EPROTO);
	bad_call("raw call: len past the strings (extra bytes)", "ok\0xx", 5, 0, 5, M, V, 0,
		 EPROTO);
	bad_call("raw call: argc 2 but one argument", "ok\0a\0", 5, 2, 5, M, V, 0, EPROTO);
	bad_call("raw call: the last argument without its NUL", "ok\0a\0bc", 7, 2, 7, M, V, 0,
		 EPROTO);
	bad_call("raw call: len says 100, 3 bytes come, then the end", "ok", 3, 0, 100, M, V, 0,
		 EPROTO);
	bad_call("raw call: a header alone, then the end", "", 0, 0, 3, M, V, 0, EPROTO);

	/* Half a header and the end (bad_call always sends a whole one). */
	memcpy(buf, "VMSC\1\0", 6);
	joined = raw_call(&s, false, buf, 6, NULL, 0, false, 15, &r);
	expect_error("raw call: 6 bytes of a header, then the end", &s, joined, &r, EPROTO);
	checkf(r.ms < 3000, "... answered at once (%.0f ms)", r.ms);
	reply_free(&r);
	joined = raw_call(&s, false, NULL, 0, NULL, 0, false, 15, &r);
	expect_error("raw call: nothing, then the end", &s, joined, &r, EPROTO);
	reply_free(&r);
}

/* A client that closes its end while the service runs. */
static void test_client_gone(void)
{
	struct vmmgmt_svc_frame f;
	char buf[64];
	struct sess s;
	pid_t sh, bg;
	bool joined, ready;
	double t;
	size_t len;

	rm_run("hold.pid");
	rm_run("hold.bg");
	len = call_bytes(buf, sizeof(buf), "hold", 0, NULL);
	sess_open(&s, false);
	vmmgmt_write_all(s.cfd, buf, len);
	/* Its first frame: "ready" (the pid files are written). */
	ready = read_exact(s.cfd, &f, sizeof(f)) && !vmmgmt_svc_frame_check(&f) &&
		le16toh(f.type) == VMMGMT_SVC_STDOUT && le32toh(f.len) == 6 &&
		read_exact(s.cfd, buf, 6) && !memcmp(buf, "ready\n", 6);
	check(ready, "client gone: the service runs (its first frame)");
	sh = read_pid("hold.pid");
	bg = read_pid("hold.bg");
	t = vmmgmt_now_ms();
	close(s.cfd);
	joined = sess_join(&s, 5);
	checkf(joined && s.ret < 0 && s.t1 - t < 2000,
	       "client gone: the runner returns at once (ret %d, %.0f ms)", s.ret,
	       joined ? s.t1 - t : -1.0);
	checkf(gone(sh, 3000) && gone(bg, 3000) && group_gone(sh),
	       "client gone: the service (pid %d) and its child (pid %d) are killed", (int)sh,
	       (int)bg);
}

/* ---- in threads beside the rest: the slow cases ---- */

struct bg_case {
	pthread_t thread;
	struct sess s;
	struct reply r;
	bool joined;
};

static struct bg_case partial, stalled;

/* Half a header and then nothing, the stream left open. */
static void *partial_thread(void *arg)
{
	struct bg_case *b = arg;
	struct vmmgmt_svc_call h = {
		.magic = htole32(VMMGMT_SVC_CALL_MAGIC),
		.version = htole16(VMMGMT_SERVICE_VERSION),
	};
	double t0;

	sess_open(&b->s, false);
	t0 = b->s.t0;
	vmmgmt_write_all(b->s.cfd, &h, 8);
	b->r.eof = read_all(b->s.cfd, t0 + VMMGMTD_SERVICE_CALL_MS + 8000, &b->r.raw,
			    &b->r.raw_len);
	b->r.ms = vmmgmt_now_ms() - t0;
	parse_reply(&b->r);
	close(b->s.cfd);
	b->joined = sess_join(&b->s, 5);
	return NULL;
}

/*
 * A client that stops reading: the runner's flush of the output gives up
 * after VMMGMTD_SERVICE_FLUSH_MS; when the client reads again later, what
 * it gets must be frames of the service's output, never a cut frame with
 * another frame's bytes in its payload.
 */
static void *stalled_thread(void *arg)
{
	struct bg_case *b = arg;
	char buf[64];
	size_t len = call_bytes(buf, sizeof(buf), "flood", 0, NULL);
	int small = 4096;

	/*
	 * A stream that takes little at a time (as a VM's does, a window at
	 * a time): the flush stops inside a frame, not at its end.  Set
	 * before the runner's thread starts.
	 */
	sess_open_sndbuf(&b->s, small);
	vmmgmt_write_all(b->s.cfd, buf, len);
	shutdown(b->s.cfd, SHUT_WR);
	vmmgmt_sleep_ms(1000 + VMMGMTD_SERVICE_FLUSH_MS + 1000);
	b->r.eof = read_all(b->s.cfd, vmmgmt_now_ms() + 10000, &b->r.raw, &b->r.raw_len);
	b->r.ms = vmmgmt_now_ms() - b->s.t0;
	parse_reply(&b->r);
	close(b->s.cfd);
	b->joined = sess_join(&b->s, 5);
	return NULL;
}

static void bg_start(void)
{
	if (pthread_create(&partial.thread, NULL, partial_thread, &partial) ||
	    pthread_create(&stalled.thread, NULL, stalled_thread, &stalled))
		die("pthread_create");
}

static void bg_finish(void)
{
	struct reply *r = &partial.r;
	long long bad;

	pthread_join(partial.thread, NULL);
	/* The runner returns -ETIMEDOUT; the client is told EPROTO. */
	checkf(partial.joined && clean(r) && r->errored && r->error == EPROTO && r->frames == 1 &&
	       partial.s.ret < 0,
	       "half a header, then nothing: dropped with ERROR EPROTO (%s)",
	       reply_str(&partial.s, partial.joined, r));
	checkf(r->ms >= VMMGMTD_SERVICE_CALL_MS - 100 && r->ms < VMMGMTD_SERVICE_CALL_MS + 3000,
	       "... after VMMGMTD_SERVICE_CALL_MS (%.0f ms)", r->ms);
	reply_free(r);

	pthread_join(stalled.thread, NULL);
	r = &stalled.r;
	bad = not_yes(r->out, r->out_len, 0);
	checkf(stalled.joined && stalled.s.ret == -ETIME && r->eof && !r->bad &&
	       r->out_len > 0 && bad < 0 && ((r->errored && r->error == ETIME) || r->cut),
	       "a client that stops reading for %u s: what it reads later is the service's output, whole frames or one cut at the end, nothing after a cut (%s; %zu bytes, first foreign byte %lld)",
	       (1000 + VMMGMTD_SERVICE_FLUSH_MS + 1000) / 1000,
	       reply_str(&stalled.s, stalled.joined, r), r->out_len, bad);
	reply_free(r);
}

/* ---- vmmgmtctl call itself, on a socket (VMMGMT_SERVICE_FD) ---- */

enum ctl_in { IN_NULL, IN_CLOSED, IN_PATTERN };

struct ctl_run {
	int status;		/* exit status, 128 + N for signal N, -1 hung */
	char out[65536];	/* the first bytes of its stdout */
	size_t out_len;
	unsigned long long out_total;
	__u8 out_sha[VMMGMT_SHA256_DIGEST];
	long long mismatch;	/* the first stdout byte unlike the pattern */
	char err[8192];
	size_t err_len;
	double ms, cpu_ms;	/* its run time and CPU time */
	struct sess s;		/* the runner's */
	bool joined;
};

/* The first index where @a and @b differ, or @n. */
static int first_diff(const char *a, const char *b, int n)
{
	int i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

static void run_ctl(struct ctl_run *c, const char *const *args, enum ctl_in in,
		    unsigned long long in_len, double secs)
{
	const char *argv[24] = { ctl_path };
	int inp[2] = { -1, -1 }, outp[2], errp[2], i, st;
	unsigned long long fed = 0;
	char fdnum[16], *buf;
	struct vmmgmt_sha256 sha;
	struct rusage ru;
	struct pollfd p[3];
	double t0 = vmmgmt_now_ms();
	bool killed = false;
	ssize_t n;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->mismatch = -1;
	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	buf = malloc(2 * 65536);
	if (!buf || (in == IN_PATTERN && pipe2(inp, O_CLOEXEC)) || pipe2(outp, O_CLOEXEC) ||
	    pipe2(errp, O_CLOEXEC))
		die("pipe");
	vmmgmt_sha256_init(&sha);
	sess_open(&c->s, false);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		int fd = -1;

		if (in == IN_PATTERN)
			fd = dup2(inp[0], 0);
		else if (in == IN_NULL)
			fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in == IN_NULL && (fd < 0 || dup2(fd, 0) < 0))
			_exit(120);
		if (in == IN_CLOSED)
			close(0);
		if (dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0 || fcntl(c->s.cfd, F_SETFD, 0))
			_exit(120);
		snprintf(fdnum, sizeof(fdnum), "%d", c->s.cfd);
		setenv("VMMGMT_SERVICE_FD", fdnum, 1);
		execv(ctl_path, (char **)argv);
		_exit(121);
	}
	close(c->s.cfd);
	close(outp[1]);
	close(errp[1]);
	if (in == IN_PATTERN) {
		close(inp[0]);
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
		if (!in_len) {
			close(inp[1]);
			inp[1] = -1;
		}
	}
	while (outp[0] >= 0 || errp[0] >= 0) {
		if (vmmgmt_now_ms() - t0 > secs * 1000) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		p[0] = (struct pollfd){ .fd = inp[1], .events = POLLOUT };
		p[1] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		p[2] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		if (poll(p, 3, 100) <= 0)
			continue;
		if (p[0].revents) {
			size_t k = in_len - fed < 65536 ? in_len - fed : 65536;

			vmmgmt_pattern_fill(BIG_SEED, fed, buf, k);
			n = write(inp[1], buf, k);
			if (n > 0)
				fed += n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || fed == in_len) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
		if (p[1].revents) {
			n = read(outp[0], buf, 65536);
			if (n <= 0) {
				close(outp[0]);
				outp[0] = -1;
			} else {
				size_t keep = sizeof(c->out) - 1 - c->out_len;

				if (keep > (size_t)n)
					keep = n;
				memcpy(c->out + c->out_len, buf, keep);
				c->out_len += keep;
				vmmgmt_sha256_update(&sha, buf, n);
				if (c->mismatch < 0) {
					vmmgmt_pattern_fill(BIG_SEED, c->out_total, buf + 65536, n);
					i = first_diff(buf, buf + 65536, (int)n);
					if (i < n)
						c->mismatch = (long long)c->out_total + i;
				}
				c->out_total += n;
			}
		}
		if (p[2].revents) {
			n = read(errp[0], c->err + c->err_len, sizeof(c->err) - 1 - c->err_len);
			if (n <= 0) {
				close(errp[0]);
				errp[0] = -1;
			} else {
				c->err_len += n;
			}
		}
	}
	c->out[c->out_len] = '\0';
	c->err[c->err_len] = '\0';
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	vmmgmt_sha256_final(&sha, c->out_sha);
	/* Its output ended: it exits now (or is killed). */
	while (wait4(pid, &st, killed ? 0 : WNOHANG, &ru) == 0) {
		if (vmmgmt_now_ms() - t0 > secs * 1000) {
			kill(pid, SIGKILL);
			killed = true;
		}
		vmmgmt_sleep_ms(5);
	}
	c->ms = vmmgmt_now_ms() - t0;
	c->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	c->status = killed ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->joined = sess_join(&c->s, 5);
	free(buf);
}

static void test_ctl(void)
{
	__u8 digest[VMMGMT_SHA256_DIGEST];
	char hex[VMMGMT_SHA256_HEX], want[1024], *buf;
	struct vmmgmt_sha256 sha;
	struct ctl_run *c = malloc(sizeof(*c));
	unsigned long long off;
	pid_t sh, bg;

	if (!c)
		die("malloc");
	run_ctl(c, (const char *[]){ "call", "ok", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 0 && !strcmp(c->out, "hello\n") && !c->err_len,
	       "vmmgmtctl call ok: exit 0, its output (status %d, stderr '%s')", c->status, c->err);
	run_ctl(c, (const char *[]){ "call", "echo", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 3 && !strcmp(c->out, "out-1\nout-2") && !strcmp(c->err, "err-1\n"),
	       "vmmgmtctl call echo: exit 3, the service's; stdout and stderr apart (status %d)",
	       c->status);
	run_ctl(c, (const char *[]){ "--json", "call", "echo", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 3 && strstr(c->out, "\"service\":\"echo\"") &&
	       strstr(c->out, "\"result\":\"exited\"") && strstr(c->out, "\"exit_status\":3,") &&
	       strstr(c->out, "\"signal\":0,") && strstr(c->out, "\"cpu_us\":") &&
	       strstr(c->out, "\"stdout\":\"out-1\\nout-2\"") &&
	       strstr(c->out, "\"stderr\":\"err-1\\n\"") && c->out[c->out_len - 1] == '\n',
	       "vmmgmtctl --json call echo: result, exit_status, stdout, stderr (%s)", c->out);
	run_ctl(c, (const char *[]){ "call", "killself", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 128 + 9 && !strcmp(c->out, "before\n"),
	       "vmmgmtctl call killself (kill -9 $$): exit 137 (status %d)", c->status);
	run_ctl(c, (const char *[]){ "--json", "call", "killself", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 128 + 9 && strstr(c->out, "\"result\":\"signaled\"") &&
	       strstr(c->out, "\"signal\":9,") && strstr(c->out, "\"stdout\":\"before\\n\""),
	       "vmmgmtctl --json call killself: result signaled, signal 9 (%s)", c->out);

	rm_run("sleeper.pid");
	run_ctl(c, (const char *[]){ "call", "sleeper", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 124 && !strcmp(c->out, "started\n") && strstr(c->err, "time limit"),
	       "vmmgmtctl call sleeper (timeout = 1): exit 124, a message (status %d, stderr '%s')",
	       c->status, c->err);
	sh = read_pid("sleeper.pid");
	check(gone(sh, 3000) && group_gone(sh), "... and its process group is gone");
	run_ctl(c, (const char *[]){ "--json", "call", "sleeper", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 124 && strstr(c->out, "\"result\":\"error\"") &&
	       strstr(c->out, "\"errno\":\"ETIME\""),
	       "vmmgmtctl --json call sleeper: result error, errno ETIME (%s)", c->out);
	run_ctl(c, (const char *[]){ "call", "other", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 125 && !c->out_len && strstr(c->err, "may not call"),
	       "vmmgmtctl call other (not allowed): exit 125, a message (status %d, stderr '%s')",
	       c->status, c->err);
	run_ctl(c, (const char *[]){ "--json", "call", "other", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 125 && strstr(c->out, "\"result\":\"error\"") &&
	       strstr(c->out, "\"errno\":\"EACCES\""),
	       "vmmgmtctl --json call other: errno EACCES (%s)", c->out);
	run_ctl(c, (const char *[]){ "call", "missing", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 127 && strstr(c->err, "no service"),
	       "vmmgmtctl call missing: exit 127 (status %d, stderr '%s')", c->status, c->err);
	run_ctl(c, (const char *[]){ "call", "../x", NULL }, IN_NULL, 0, 10);
	checkf(c->status != 0 && c->status < 124 && c->joined && c->s.ret == -EPROTO,
	       "vmmgmtctl call ../x: refused before anything is sent (status %d, runner %d)",
	       c->status, c->s.ret);

	run_ctl(c, (const char *[]){ "call", "args", "one", "two words", "", "*", "--", "-x",
		"a -- b", NULL }, IN_NULL, 0, 10);
	checkf(c->status == 0 &&
	       !strcmp(c->out, "argc=6\n[one]\n[two words]\n[]\n[*]\n[-x]\n[a -- b]\n"),
	       "vmmgmtctl call args: arguments unchanged (empty, spaces, -x after --) (%s)",
	       c->out);

	/* 32 MiB both ways at once: stdin in, cat's stdout back. */
	run_ctl(c, (const char *[]){ "call", "cat", NULL }, IN_PATTERN, BIG_LEN, 30);
	checkf(c->status == 0 && c->out_total == BIG_LEN && c->mismatch < 0 && c->joined &&
	       c->s.ret == 0,
	       "vmmgmtctl call cat < 32 MiB: the same 32 MiB back, byte for byte (status %d, %llu bytes, first wrong at %lld, %.0f ms)",
	       c->status, c->out_total, c->mismatch, c->ms);
	buf = malloc(1 << 20);
	if (!buf)
		die("malloc");
	vmmgmt_sha256_init(&sha);
	for (off = 0; off < BIG_LEN; off += 1 << 20) {
		vmmgmt_pattern_fill(BIG_SEED, off, buf, 1 << 20);
		vmmgmt_sha256_update(&sha, buf, 1 << 20);
	}
	free(buf);
	vmmgmt_sha256_final(&sha, digest);
	check(!memcmp(digest, c->out_sha, sizeof(digest)), "... and its SHA-256 is the input's");
	vmmgmt_sha256_hex(digest, hex);
	run_ctl(c, (const char *[]){ "call", "sha", NULL }, IN_PATTERN, BIG_LEN, 30);
	snprintf(want, sizeof(want), "%s  -\n", hex);
	checkf(c->status == 0 && !strcmp(c->out, want),
	       "vmmgmtctl call sha < 32 MiB: sha256sum on the host sees the input's SHA-256 (status %d, %.0f ms)",
	       c->status, c->ms);

	/* Its stdin closed: end of file, not a spin until the time limit. */
	run_ctl(c, (const char *[]){ "call", "cat3", NULL }, IN_CLOSED, 0, 10);
	checkf(c->status == 0 && !c->out_len && c->ms < 2500 && c->cpu_ms < 500,
	       "vmmgmtctl call cat3 with stdin closed: end of input at once (status %d, %.0f ms, %.0f ms CPU)",
	       c->status, c->ms, c->cpu_ms);

	/* --timeout: vmmgmtctl gives up, its end closes, the runner kills. */
	rm_run("hold.pid");
	rm_run("hold.bg");
	run_ctl(c, (const char *[]){ "--timeout", "1", "call", "hold", NULL }, IN_NULL, 0, 10);
	sh = read_pid("hold.pid");
	bg = read_pid("hold.bg");
	checkf(c->status == 124 && c->ms < 3000 && !strcmp(c->out, "ready\n"),
	       "vmmgmtctl --timeout 1 call hold: exit 124 after 1 s (status %d, %.0f ms)",
	       c->status, c->ms);
	checkf(c->joined && c->s.ret < 0 && gone(sh, 3000) && gone(bg, 3000) && group_gone(sh),
	       "... the runner returned (%d) and the service (pid %d) and its child are gone",
	       c->s.ret, (int)sh);
	free(c);
}

int main(void)
{
	struct stat st;
	char path[256];
	double t0 = vmmgmt_now_ms();
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A stream the runner closed: EPIPE here, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* The services' orphans are ours to reap, not an init's that may not. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	snprintf(top, sizeof(top), "/tmp/vmmgmtd-services-test.XXXXXX");
	if (!mkdtemp(top))
		die("mkdtemp");
	snprintf(svc_dir, sizeof(svc_dir), "%s/services", top);
	snprintf(run_dir, sizeof(run_dir), "%s/run", top);
	if (mkdir(svc_dir, 0755) || mkdir(run_dir, 0755) || chmod(top, 0755))
		die("mkdir");
	/* Not /: the service's cwd must be the runner's doing. */
	if (chdir(top))
		die("chdir");
	make_services();

	ret = readlink("/proc/self/exe", ctl_path, sizeof(ctl_path) - 64);
	if (ret < 0)
		die("readlink");
	ctl_path[ret] = '\0';
	snprintf(strrchr(ctl_path, '/'), 64, "/../vmmgmtctl/vmmgmtctl");
	have_ctl = !stat(ctl_path, &st);

	printf("TAP version 13\n");
	printf("# services in %s, running as uid %u\n", svc_dir, (unsigned int)geteuid());
	bg_start();
	test_proto_helpers();
	test_conf();
	test_output();
	test_env();
	test_args();
	test_timeout();
	test_slow_reader();
	test_policy();
	test_lookup();
	test_protocol();
	test_client_gone();
	if (have_ctl)
		test_ctl();
	else
		check(true, "# SKIP vmmgmtctl not built");
	bg_finish();

	if (!failures) {
		snprintf(path, sizeof(path), "rm -rf '%s'", top);
		if (system(path))
			printf("# could not remove %s\n", top);
	} else {
		printf("# left for inspection: %s\n", top);
	}
	printf("1..%u\n# %u passed, %u failed in %.1f s\n", tests, tests - failures, failures,
	       (vmmgmt_now_ms() - t0) / 1000);
	return failures ? 1 : 0;
}
