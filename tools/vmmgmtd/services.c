// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: host services.  One call per stream: the guest names a program
 * of the services directory (vmmgmtd's --services-dir) and its arguments;
 * if NAME.conf beside it allows the calling VM, the program runs as the
 * user NAME.conf names, in a process group of its own, with resource
 * limits and a wall-clock limit, and VMMGMT_VM (the caller's name),
 * VMMGMT_VM_ID and VMMGMT_SERVICE in its environment.  The rest of the
 * stream from the guest is its standard input; its standard output and
 * error go back in frames as they come, then its exit status.  The
 * protocol is tools/include/vmmgmt_service_proto.h, the model and the
 * settings Documentation/services.rst.
 *
 * Everything from the guest is hostile: the call is checked field by
 * field, the name can only be a plain file name of the directory, a
 * client that sends nothing or stops reading holds only its own call
 * until the time limit, and the service never sees a descriptor of
 * vmmgmtd but its three pipes.  Calls libc only (and log.c's messages).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "services.h"
#include "vmmgmt_service_proto.h"
#include "vmmgmtd.h"

/* Bytes of the service's output waiting for the stream, at most. */
#define SVC_OUT_BUF	(2 * (VMMGMT_SVC_FRAME_MAX + sizeof(struct vmmgmt_svc_frame)))
/* Bytes of standard input waiting for the service, at most. */
#define SVC_IN_BUF	65536

static __u64 svc_parse_bytes(const char *s, bool *ok)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	*ok = !errno && end != s && isdigit((unsigned char)s[0]);
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	/* Bounded before the shift: past 64 bits it would wrap to a small value. */
	*ok = *ok && !*end && v <= (1ULL << 40) >> shift;
	return v << shift;
}

static bool svc_parse_uint(const char *s, unsigned int max, unsigned int *v)
{
	bool ok;
	__u64 n = svc_parse_bytes(s, &ok);

	if (!ok || n > max || strpbrk(s, "KkMmGg"))
		return false;
	*v = (unsigned int)n;
	return true;
}

/*
 * A user's ids from /etc/passwd, read directly: vmmgmtd is linked
 * statically, without NSS modules.
 */
static bool svc_passwd_lookup(const char *name, unsigned int *uid,
			      unsigned int *gid)
{
	char line[1024], *f[4], *save;
	bool found = false;
	unsigned int i;
	FILE *pw = fopen("/etc/passwd", "re");

	if (!pw)
		return false;
	while (!found && fgets(line, sizeof(line), pw)) {
		/* The rest of a line longer than line[] is no entry. */
		if (!strchr(line, '\n') && !feof(pw)) {
			int ch;

			do
				ch = fgetc(pw);
			while (ch != '\n' && ch != EOF);
			continue;
		}
		save = line;
		for (i = 0; i < 4; i++)
			f[i] = strsep(&save, ":");
		if (!f[3] || strcmp(f[0], name))
			continue;
		found = svc_parse_uint(f[2], 0x7fffffff, uid) &&
			svc_parse_uint(f[3], 0x7fffffff, gid);
	}
	fclose(pw);
	return found;
}

/* user=: a name (its primary group) of /etc/passwd, or UID or UID:GID. */
static bool svc_parse_user(const char *s, struct vmmgmtd_service_conf *c)
{
	unsigned int uid, gid;

	if (isdigit((unsigned char)s[0])) {
		const char *colon = strchr(s, ':');
		char num[16];

		if (colon) {
			if ((size_t)(colon - s) >= sizeof(num))
				return false;
			memcpy(num, s, colon - s);
			num[colon - s] = 0;
			if (!svc_parse_uint(num, 0x7fffffff, &uid) ||
			    !svc_parse_uint(colon + 1, 0x7fffffff, &gid))
				return false;
		} else {
			if (!svc_parse_uint(s, 0x7fffffff, &uid))
				return false;
			gid = uid;
		}
	} else if (!svc_passwd_lookup(s, &uid, &gid)) {
		return false;
	}
	c->uid = uid;
	c->gid = gid;
	return true;
}

/* allow=: is @vm among the words of @list ("*": every VM)? */
static bool svc_allows(char *list, const char *vm)
{
	char *save = NULL, *w;

	for (w = strtok_r(list, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save))
		if (!strcmp(w, "*") || !strcmp(w, vm))
			return true;
	return false;
}

/**
 * vmmgmtd_service_conf_read() - read a service's NAME.conf for a call.
 * @path: the file.
 * @vm: the calling VM's name (for allow=).
 * @conf: returns the settings, defaults where the file is silent.
 * @err: returns a message on failure.
 * @len: its size.
 *
 * Lines of "key = value" (allow, user, timeout, cpu, memory, file_size,
 * processes), "#" comments and blank lines.  Without allow= no VM may
 * call the service.
 *
 * Return: 0; -ENOENT when there is no NAME.conf; -EINVAL for a line it
 * does not understand (the call is refused: a typo must not widen what a
 * service may do).
 */
int vmmgmtd_service_conf_read(const char *path, const char *vm,
			      struct vmmgmtd_service_conf *conf,
			      char *err, size_t len)
{
	char line[1024], *key, *val, *end;
	bool user_set = false, cpu_set = false, ok;
	unsigned int lineno = 0;
	FILE *f;

	memset(conf, 0, sizeof(*conf));
	conf->timeout_s = VMMGMTD_SERVICE_TIMEOUT_DEFAULT;
	conf->memory = VMMGMTD_SERVICE_MEMORY_DEFAULT;
	conf->fsize = VMMGMTD_SERVICE_FSIZE_DEFAULT;
	conf->nproc = VMMGMTD_SERVICE_NPROC_DEFAULT;
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		/*
		 * A line longer than line[] (or with a NUL): refused, or its
		 * rest would be read as a line of its own (a comment's tail
		 * as "allow = *").
		 */
		if (!strchr(line, '\n') && !feof(f))
			goto bad;
		key = line + strspn(line, " \t");
		end = key + strcspn(key, "#\r\n");
		*end = 0;
		while (end > key && isspace((unsigned char)end[-1]))
			*--end = 0;
		if (!*key)
			continue;
		val = strchr(key, '=');
		if (!val)
			goto bad;
		end = val;
		*val++ = 0;
		while (end > key && isspace((unsigned char)end[-1]))
			*--end = 0;
		val += strspn(val, " \t");
		if (!strcmp(key, "allow")) {
			conf->allowed = conf->allowed || svc_allows(val, vm);
		} else if (!strcmp(key, "user")) {
			if (!svc_parse_user(val, conf))
				goto bad;
			user_set = true;
		} else if (!strcmp(key, "timeout")) {
			if (!svc_parse_uint(val, VMMGMTD_SERVICE_TIMEOUT_MAX,
					    &conf->timeout_s) || !conf->timeout_s)
				goto bad;
		} else if (!strcmp(key, "cpu")) {
			if (!svc_parse_uint(val, VMMGMTD_SERVICE_TIMEOUT_MAX,
					    &conf->cpu_s) || !conf->cpu_s)
				goto bad;
			cpu_set = true;
		} else if (!strcmp(key, "memory")) {
			conf->memory = svc_parse_bytes(val, &ok);
			if (!ok || conf->memory < (1ULL << 20))
				goto bad;
		} else if (!strcmp(key, "file_size")) {
			conf->fsize = svc_parse_bytes(val, &ok);
			if (!ok)
				goto bad;
		} else if (!strcmp(key, "processes")) {
			if (!svc_parse_uint(val, 4096, &conf->nproc) ||
			    !conf->nproc)
				goto bad;
		} else {
			goto bad;
		}
	}
	fclose(f);
	if (!cpu_set)
		conf->cpu_s = conf->timeout_s;
	if (!user_set) {
		/* Not root: the service runs as vmmgmtd's own user. */
		if (geteuid()) {
			conf->uid = geteuid();
			conf->gid = getegid();
		} else if (!svc_parse_user(VMMGMTD_SERVICE_USER_DEFAULT, conf)) {
			snprintf(err, len, "%s: no user given and no user '%s' on this host",
				 path, VMMGMTD_SERVICE_USER_DEFAULT);
			return -EINVAL;
		}
	}
	return 0;
bad:
	fclose(f);
	snprintf(err, len,
		 "%s:%u: not understood (keys: allow, user, timeout, cpu, memory, file_size, processes)",
		 path, lineno);
	return -EINVAL;
}

/* ---- one call ---- */

struct svc_call {
	int fd;			/* the stream (non-blocking) */
	const char *vm;
	unsigned int id;
	char name[VMMGMT_SVC_NAME_MAX + 1];
	pid_t pid;		/* the service, leader of its process group */
	int pidfd;		/* readable once it exited */
	int in_fd, out_fd, err_fd;	/* its stdin (ours to write), stdout, stderr */
	bool exited, in_eof, in_drop;
	int status;
	struct rusage ru;
	unsigned char in[SVC_IN_BUF];
	size_t in_len;
	unsigned char out[SVC_OUT_BUF];
	size_t out_off, out_len;
};

static double svc_now_ms(void)
{
	return vmmgmt_now_ms();
}

/* poll() for @ms at most on one descriptor; false on a timeout. */
static bool svc_wait(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left = deadline - svc_now_ms();

	if (left <= 0)
		return false;
	return poll(&p, 1, (int)left + 1) > 0;
}

/* Read exactly @len bytes from the stream before @deadline. */
static int svc_read_exact(int fd, void *buf, size_t len, double deadline)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n > 0) {
			got += n;
			continue;
		}
		if (!n)
			return -EPROTO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (!svc_wait(fd, POLLIN, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}

/* Write all of @len bytes to the stream before @deadline. */
static int svc_write_all(int fd, const void *buf, size_t len, double deadline)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (!svc_wait(fd, POLLOUT, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}

/* The last frame of a call that failed: ERROR with @err and a message. */
static vmmgmt_printf(4, 5) void
svc_error_until(int fd, int err, double deadline, const char *fmt, ...)
{
	struct {
		struct vmmgmt_svc_frame f;
		struct vmmgmt_svc_error e;
		char msg[VMMGMT_SVC_MSG_MAX + 1];
	} m;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m.msg, sizeof(m.msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > VMMGMT_SVC_MSG_MAX)
		n = VMMGMT_SVC_MSG_MAX;
	memset(&m.e, 0, sizeof(m.e));
	m.e.err = htole32(err);
	vmmgmt_svc_frame_init(&m.f, VMMGMT_SVC_ERROR, sizeof(m.e) + n);
	svc_write_all(fd, &m, sizeof(m.f) + sizeof(m.e) + n, deadline);
}

#define svc_send_error(fd, err, ...) \
	svc_error_until(fd, err, svc_now_ms() + VMMGMTD_SERVICE_FLUSH_MS, __VA_ARGS__)

/**
 * vmmgmtd_service_refuse() - refuse a call before it is read: one ERROR
 * frame if the stream takes it at once, never waiting.
 * @fd: the stream (made non-blocking).
 * @err: the errno it carries (EBUSY, ENOMEM).
 * @msg: its message.
 *
 * Context: vmmgmtd's loop, which must not wait on a guest.
 */
void vmmgmtd_service_refuse(int fd, int err, const char *msg)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return;
	svc_error_until(fd, err, 0, "%s", msg);
}

/* A hard and soft limit (async-signal-safe). */
static void svc_limit(int resource, rlim_t v)
{
	struct rlimit r = { .rlim_cur = v, .rlim_max = v };

	setrlimit(resource, &r);
}

/*
 * In the child, between fork() and exec: only async-signal-safe calls.
 * Never returns.
 */
static void svc_child(const char *path, char **argv, char *const *envp,
		      const struct vmmgmtd_service_conf *conf,
		      int in, int out, int err)
{
	sigset_t none;
	int fd;

	setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 3, ~0U, 0))
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	/*
	 * Under memory pressure the kernel's OOM killer takes a service
	 * before any VM's QEMU (raising one's own score needs no privilege).
	 */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1000", 4) != 4)
			_exit(126);
		close(fd);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	svc_limit(RLIMIT_CPU, conf->cpu_s);
	svc_limit(RLIMIT_AS, conf->memory);
	svc_limit(RLIMIT_FSIZE, conf->fsize);
	svc_limit(RLIMIT_NOFILE, VMMGMTD_SERVICE_NOFILE);
	svc_limit(RLIMIT_CORE, 0);
	if (!geteuid()) {
		svc_limit(RLIMIT_NPROC, conf->nproc);
		if (setgroups(0, NULL) || setgid(conf->gid) ||
		    setuid(conf->uid))
			_exit(126);
	}
	/*
	 * The thread that forked us waits for us; if it dies, so do we.  Set
	 * after setuid(), which clears it.  No privileges gained by exec (a
	 * setuid program), no ambient capabilities of vmmgmtd's kept.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (chdir("/"))
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

static int svc_start(struct svc_call *c, const char *path, char **argv,
		     const struct vmmgmtd_service_conf *conf)
{
	char vm_env[32 + VMMGMT_SVC_NAME_MAX * 2], id_env[40];
	char svc_env[32 + VMMGMT_SVC_NAME_MAX];
	char *const envp[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
		"BC_LINE_LENGTH=0", vm_env, id_env, svc_env, NULL
	};
	int in[2], out[2], err[2];

	snprintf(vm_env, sizeof(vm_env), "VMMGMT_VM=%s", c->vm);
	snprintf(id_env, sizeof(id_env), "VMMGMT_VM_ID=%u", c->id);
	snprintf(svc_env, sizeof(svc_env), "VMMGMT_SERVICE=%s", c->name);
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	if (pipe2(err, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	c->pid = fork();
	if (!c->pid)
		svc_child(path, argv, envp, conf, in[0], out[1], err[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (c->pid < 0) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		return -EAGAIN;
	}
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = err[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	return 0;
}

static void svc_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Reap the service (and note how it ended) if it exited.  What it left
 * behind in its process group is killed first, while the zombie still
 * holds the group's id.
 */
static void svc_reap(struct svc_call *c)
{
	siginfo_t si;

	if (c->exited)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, c->pid, &si, WEXITED | WNOWAIT | WNOHANG) ||
	    si.si_pid != c->pid)
		return;
	kill(-c->pid, SIGKILL);
	if (wait4(c->pid, &c->status, 0, &c->ru) != c->pid)
		c->status = 0;
	c->exited = true;
	svc_close(&c->pidfd);
}

/*
 * End a service that has not exited: its pipes closed (a child that has
 * not reached setsid() yet, which the group kill misses, then meets end
 * of file and a broken pipe), SIGKILL to it and to its group (it is not
 * reaped yet: its pid is not reused meanwhile), and a wait of at most
 * VMMGMTD_SERVICE_FLUSH_MS; a service that outlives that (a kill that was
 * refused) is logged and left, never waited for without end.
 */
static void svc_kill(struct svc_call *c)
{
	double end = svc_now_ms() + VMMGMTD_SERVICE_FLUSH_MS;

	svc_close(&c->in_fd);
	svc_close(&c->out_fd);
	svc_close(&c->err_fd);
	kill(c->pid, SIGKILL);
	kill(-c->pid, SIGKILL);
	for (;;) {
		svc_reap(c);
		if (c->exited)
			return;
		if (svc_now_ms() >= end)
			break;
		vmmgmt_sleep_ms(10);
	}
	vmmgmtd_info("%s: service %s (pid %d) did not end when killed: left running",
		     c->vm, c->name, (int)c->pid);
}

/* Move one frame of the service's output from @pfd into the out buffer. */
static void svc_take_output(struct svc_call *c, int *pfd, unsigned int type)
{
	struct vmmgmt_svc_frame *f;
	ssize_t n;

	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (sizeof(c->out) - c->out_len < sizeof(*f) + VMMGMT_SVC_FRAME_MAX)
		return;
	f = (struct vmmgmt_svc_frame *)(c->out + c->out_len);
	n = read(*pfd, c->out + c->out_len + sizeof(*f), VMMGMT_SVC_FRAME_MAX);
	if (n > 0) {
		vmmgmt_svc_frame_init(f, type, (__u32)n);
		c->out_len += sizeof(*f) + n;
	} else if (!n || (errno != EAGAIN && errno != EINTR)) {
		svc_close(pfd);
	}
}

/* Standard input: from the stream into the buffer (or dropped). */
static int svc_take_input(struct svc_call *c)
{
	unsigned char drop[4096];
	ssize_t n;

	if (c->in_drop)
		n = read(c->fd, drop, sizeof(drop));
	else
		n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n > 0) {
		if (!c->in_drop)
			c->in_len += n;
		return 0;
	}
	if (!n) {
		c->in_eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -errno;
}

static void svc_give_input(struct svc_call *c)
{
	ssize_t n = write(c->in_fd, c->in, c->in_len);

	if (n > 0) {
		memmove(c->in, c->in + n, c->in_len - n);
		c->in_len -= n;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* It closed its stdin: the rest is read and dropped. */
		svc_close(&c->in_fd);
		c->in_drop = true;
		c->in_len = 0;
	}
}

static int svc_flush_some(struct svc_call *c)
{
	ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (n > 0)
		c->out_off += n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

/*
 * Run the service until it ended and its output is out, or @deadline.
 * Return: 0 when it ended, -ETIME at the deadline, or the stream's error.
 */
static int svc_run(struct svc_call *c, double deadline)
{
	enum { P_STREAM, P_IN, P_OUT, P_ERR, P_PID, P_N };
	struct pollfd p[P_N];
	double left;
	bool room;
	int ret;

	for (;;) {
		if (c->in_eof && !c->in_len)
			svc_close(&c->in_fd);
		if (c->exited && c->out_fd < 0 && c->err_fd < 0)
			return 0;
		left = deadline - svc_now_ms();
		if (left <= 0)
			return -ETIME;
		memset(p, 0, sizeof(p));
		p[P_STREAM].fd = c->fd;
		if (!c->in_eof && (c->in_drop || c->in_len < sizeof(c->in)))
			p[P_STREAM].events |= POLLIN;
		if (c->out_off < c->out_len)
			p[P_STREAM].events |= POLLOUT;
		p[P_IN].fd = c->in_len ? c->in_fd : -1;
		p[P_IN].events = POLLOUT;
		/*
		 * The service's output only while a frame fits in the buffer
		 * (svc_take_output() reads nothing otherwise): a full buffer
		 * waits for the stream, it does not spin on a readable pipe.
		 */
		room = sizeof(c->out) - (c->out_len - c->out_off) >=
		       sizeof(struct vmmgmt_svc_frame) + VMMGMT_SVC_FRAME_MAX;
		p[P_OUT].fd = room ? c->out_fd : -1;
		p[P_OUT].events = POLLIN;
		p[P_ERR].fd = room ? c->err_fd : -1;
		p[P_ERR].events = POLLIN;
		p[P_PID].fd = c->exited ? -1 : c->pidfd;
		p[P_PID].events = POLLIN;
		/* Without a pidfd (old kernels), look every 100 ms. */
		if (poll(p, P_N, c->pidfd < 0 && !c->exited ?
			 (left < 100 ? (int)left + 1 : 100) : (int)left + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		if (p[P_STREAM].revents & (POLLIN | POLLERR)) {
			ret = svc_take_input(c);
			if (ret)
				return ret;
		}
		/* Over for good (we never shut our side down before the end). */
		if (p[P_STREAM].revents & POLLHUP)
			return -EPIPE;
		if (p[P_STREAM].revents & POLLOUT) {
			ret = svc_flush_some(c);
			if (ret)
				return ret;
		}
		if (p[P_IN].revents & (POLLOUT | POLLERR | POLLHUP))
			svc_give_input(c);
		if (p[P_OUT].revents & (POLLIN | POLLHUP | POLLERR))
			svc_take_output(c, &c->out_fd, VMMGMT_SVC_STDOUT);
		if (p[P_ERR].revents & (POLLIN | POLLHUP | POLLERR))
			svc_take_output(c, &c->err_fd, VMMGMT_SVC_STDERR);
		svc_reap(c);
	}
}

/* The call's header and bytes; 0, or a negative errno (ERROR sent). */
static int svc_read_call(struct svc_call *c, char *buf, char **argv)
{
	double deadline = svc_now_ms() + VMMGMTD_SERVICE_CALL_MS;
	struct vmmgmt_svc_call h;
	int ret;

	ret = svc_read_exact(c->fd, &h, sizeof(h), deadline);
	if (!ret)
		ret = vmmgmt_svc_call_check(&h);
	if (!ret)
		ret = svc_read_exact(c->fd, buf, le32toh(h.len), deadline);
	if (!ret)
		ret = vmmgmt_svc_call_split(buf, le32toh(h.len),
					    le16toh(h.argc), argv);
	if (ret == -ECONNRESET || ret == -EPIPE)
		return ret;
	if (ret == -ETIMEDOUT)
		svc_send_error(c->fd, EPROTO, "no complete call within %u s",
			       VMMGMTD_SERVICE_CALL_MS / 1000);
	else if (ret == -E2BIG)
		svc_send_error(c->fd, E2BIG, "the call is over the limits (%u arguments, %u bytes)",
			       VMMGMT_SVC_ARGS_MAX, VMMGMT_SVC_CALL_LEN_MAX);
	else if (ret)
		svc_send_error(c->fd, EPROTO, "not a service call of version %u",
			       VMMGMT_SERVICE_VERSION);
	if (!ret)
		snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	return ret;
}

/* NAME in @dir and its NAME.conf; 0, or a negative errno (ERROR sent). */
static int svc_lookup(struct svc_call *c, const char *dir, char *path,
		      size_t len, struct vmmgmtd_service_conf *conf)
{
	char conf_path[4096], err[512];
	struct stat st;
	int ret;

	snprintf(path, len, "%s/%s", dir, c->name);
	if (stat(path, &st) || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0111) || strstr(c->name, ".conf")) {
		svc_send_error(c->fd, ENOENT, "no service '%s' on this host",
			       c->name);
		return -ENOENT;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/%s.conf", dir, c->name);
	ret = vmmgmtd_service_conf_read(conf_path, c->vm, conf, err,
					sizeof(err));
	if (ret == -ENOENT) {
		svc_send_error(c->fd, EACCES,
			       "service '%s' takes no calls (the host has no %s.conf for it)",
			       c->name, c->name);
		return -EACCES;
	}
	if (ret) {
		/* -v only, as everything else a guest can make happen. */
		vmmgmtd_debug("service %s: %s", c->name, err);
		svc_send_error(c->fd, EACCES,
			       "service '%s' is not configured correctly on this host",
			       c->name);
		return -EACCES;
	}
	if (!conf->allowed) {
		svc_send_error(c->fd, EACCES, "VM '%s' may not call service '%s'",
			       c->vm, c->name);
		return -EACCES;
	}
	return 0;
}

/* The end of a call that ran: its EXIT, or ERROR ETIME; the rest flushed. */
static void svc_finish(struct svc_call *c, int ret,
		       const struct vmmgmtd_service_conf *conf)
{
	double flush = svc_now_ms() + VMMGMTD_SERVICE_FLUSH_MS;
	struct {
		struct vmmgmt_svc_frame f;
		struct vmmgmt_svc_exit e;
	} x;
	__u64 cpu_us;

	if (!c->exited)
		svc_kill(c);
	if (ret && ret != -ETIME)
		return;	/* the stream failed: nobody to tell */
	/*
	 * The client stopped reading: the stream may end inside a frame, and
	 * nothing may follow (the client would read the next frame's bytes
	 * as the rest of that one's payload).
	 */
	if (svc_write_all(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			  flush))
		return;
	if (ret == -ETIME) {
		svc_error_until(c->fd, ETIME, flush,
				"service '%s' ran past its time limit of %u s and was killed",
				c->name, conf->timeout_s);
		return;
	}
	cpu_us = (__u64)(c->ru.ru_utime.tv_sec + c->ru.ru_stime.tv_sec) * 1000000 +
		 c->ru.ru_utime.tv_usec + c->ru.ru_stime.tv_usec;
	memset(&x.e, 0, sizeof(x.e));
	if (WIFSIGNALED(c->status))
		x.e.signal = htole32(WTERMSIG(c->status));
	else
		x.e.status = htole32(WEXITSTATUS(c->status));
	x.e.cpu_us = htole64(cpu_us);
	vmmgmt_svc_frame_init(&x.f, VMMGMT_SVC_EXIT, sizeof(x.e));
	svc_write_all(c->fd, &x, sizeof(x), flush);
}

/**
 * vmmgmtd_service_serve() - serve one call on a connected stream.
 * @dir: the services directory.
 * @vm: the calling VM's name (from its stream's peer, not from the guest).
 * @id: its id.
 * @fd: the stream; made non-blocking; the caller closes it.
 *
 * Reads the call, looks the service up and checks its NAME.conf, runs it
 * (feeding it the rest of the stream, sending its output back) until it
 * ends or its time limit, and sends the last frame.
 *
 * Context: a thread of its own (it may take the service's time limit).
 * Return: 0 when the service ran and ended (whatever its status), else a
 * negative errno (the ERROR frame said why, where the stream still went).
 */
int vmmgmtd_service_serve(const char *dir, const char *vm, unsigned int id,
			  int fd)
{
	char *argv[VMMGMT_SVC_ARGS_MAX + 2], path[4096];
	struct vmmgmtd_service_conf conf;
	struct svc_call *c;
	char *buf;
	int ret, flags;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	c = calloc(1, sizeof(*c));
	buf = malloc(VMMGMT_SVC_CALL_LEN_MAX);
	if (!c || !buf) {
		free(c);
		free(buf);
		svc_send_error(fd, ENOMEM, "the host is out of memory");
		return -ENOMEM;
	}
	c->fd = fd;
	c->vm = vm;
	c->id = id;
	c->in_fd = -1;
	c->out_fd = -1;
	c->err_fd = -1;
	c->pidfd = -1;
	ret = svc_read_call(c, buf, argv);
	if (!ret)
		ret = svc_lookup(c, dir, path, sizeof(path), &conf);
	if (!ret) {
		ret = svc_start(c, path, argv, &conf);
		if (ret)
			svc_send_error(fd, ENOEXEC, "service '%s' could not be started: %s",
				       c->name, strerror(-ret));
	}
	if (!ret) {
		ret = svc_run(c, svc_now_ms() + conf.timeout_s * 1000.0);
		svc_finish(c, ret, &conf);
		vmmgmtd_debug("%s: service %s: %s", vm, c->name,
			      ret == -ETIME ? "killed at its time limit" :
			      ret ? strerror(-ret) : "ended");
	}
	svc_close(&c->in_fd);
	svc_close(&c->out_fd);
	svc_close(&c->err_fd);
	svc_close(&c->pidfd);
	free(buf);
	free(c);
	return ret;
}
