// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: file mode's servers in a guest (Documentation/files.rst,
 * "Host push and pull, and VM to VM").  Both serve the file protocol with
 * vmmgmtd's own file service (../vmmgmtd/files.c, linked in: the same
 * checks, openat2() with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_SYMLINKS, temporary names, SHA-256, partial files for
 * --resume), each stream on an export of its own:
 *
 * file serve	the agent for the host, long-running, run by root.  It
 *		listens on guest port VMMGMT_FILE_PORT with a file in chat
 *		mode (the host module opens the host's streams in chat mode;
 *		file mode is checked here, in sysfs).  For every stream of the
 *		host it reads modes/file/enabled and modes/file/dir again:
 *		file mode off, every request gets EPERM; no directory (or one
 *		that cannot be opened), EACCES; else put, get, ls, rm and stat
 *		below that directory.  A stream of another VM is closed at
 *		once.
 * file recv	the owner's foreground command for other VMs' file send: it
 *		listens on guest port VMMGMT_FILE_RECV_PORT with a file in
 *		file mode (the module refuses other VMs' streams while the
 *		mode is off), takes puts alone of new, not hidden names in
 *		DIR itself (anything else: EACCES; an existing name: EEXIST),
 *		from the VMs of --from only (others: EACCES), or from any VM
 *		the host's policy lets through.  The host's streams are
 *		closed at once.
 *
 * Two commands and two processes: serve runs for the whole life of the
 * guest as root, recv only while the owner wants files, as whoever owns
 * DIR, and the ports tell the two kinds of peers apart before any byte.
 * Each accepted stream is served by a child process (at most
 * FILE_AGENT_SESSIONS at once, FILE_RECV_SESSIONS_PER_VM of one VM for
 * recv), so that a stalled peer holds its own sessions only.  Every
 * request is audited: one line on stderr and to syslog (file_agent_audit()
 * says how it reads).
 *
 * VMMGMT_FILE_FD=N in the environment (the tests): serve the connected fd
 * N once, in this process, as a stream of VM VMMGMT_FILE_PEER (default 0,
 * the host), the audit on stderr only; VMMGMT_SYSFS=DIR stands for the
 * device's sysfs directory.
 *
 * Calls ../vmmgmtd/files.c, stream.c (the listener), msg.c (numbers,
 * names), modes.c (the sysfs directory), vmmgmtctl.c (errors) and libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "../vmmgmtd/files.h"
#include "vmmgmt_file_proto.h"
#include "vmmgmtctl.h"

/* Sessions (child processes) of one agent at once. */
#define FILE_AGENT_SESSIONS	16
/* recv: sessions of one VM at once, so that one VM cannot hold them all. */
#define FILE_RECV_SESSIONS_PER_VM	4
/* VMs file recv --from names at most. */
#define FILE_RECV_FROM_MAX	64
/* How often the listener's loop looks for ended sessions, in ms. */
#define FILE_AGENT_REAP_MS	1000

/* One of the two servers, as its command line set it up. */
struct file_agent {
	const struct ctl *ctl;
	const char *what;		/* "serve" or "recv" */
	bool recv;
	char sysfs[256];		/* serve: the device's sysfs directory */
	const char *dir;		/* recv: DIR */
	__u32 from[FILE_RECV_FROM_MAX];	/* recv --from: VM ids */
	unsigned int nr_from;
	unsigned int sessions;		/* children running */
	pid_t pid[FILE_AGENT_SESSIONS];	/* their pids (0: a free slot) */
	__u32 vm[FILE_AGENT_SESSIONS];	/* and their peers' VMs */
	unsigned int failed;		/* sessions with a failed request */
};

/* One stream being served: who, and why it is refused (or NULL). */
struct file_session {
	const struct file_agent *a;
	struct vmmgmt_addr peer;
	const char *reason;
	char why[512];
	bool failed;			/* a request failed */
};

/* Whether audit lines go to syslog too (not for VMMGMT_FILE_FD). */
static bool file_audit_syslog;

/* One audit line: stderr, and syslog (LOG_DAEMON, opened by the agent). */
static vmmgmt_printf(2, 3) void file_audit_line(bool failed, const char *fmt, ...)
{
	char line[4 * VMMGMT_FILE_PATH_MAX + 4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmmgmtctl: file-audit: %s\n", line);
	if (file_audit_syslog)
		syslog(failed ? LOG_WARNING : LOG_NOTICE, "file-audit: %s", line);
}

/*
 * The audit hook of every session's export (files.c calls it after each
 * request):
 *
 *   agent=serve peer=0:0:32770 op=put path="in/a.iso" size=N kept=K
 *     bytes=B result=ok
 *   ... result=error errno=2 error="No such file or directory"
 *   ... result=refused errno=1 error="..." reason="file mode is off"
 *
 * peer is the stream's other end (HOST:VM:PORT; VM 0 is the host), op
 * the protocol's (put, get, ls, rm, stat; a push is a put here, a pull a
 * get), size and kept the file's bytes and those kept from an earlier
 * transfer (put, get), bytes those that crossed the stream, entries
 * those of an ls.
 */
static void file_agent_audit(const struct vmmgmtd_files_export *e,
			     const struct vmmgmtd_files_event *ev)
{
	struct file_session *s = e->audit_arg;
	char path[4 * VMMGMT_FILE_PATH_MAX + 3], what[128] = "";
	char head[sizeof(path) + 256], error[256];
	char reason[4 * sizeof(s->why) + 3] = "";
	const char *op = vmmgmt_file_op_name(ev->op);

	vmmgmtd_files_quote(ev->path, path, sizeof(path));
	if (ev->op == VMMGMT_FILE_PUT || ev->op == VMMGMT_FILE_GET)
		snprintf(what, sizeof(what), " size=%llu kept=%llu bytes=%llu",
			 (unsigned long long)ev->size,
			 (unsigned long long)ev->from,
			 (unsigned long long)ev->bytes);
	else if (ev->op == VMMGMT_FILE_LS)
		snprintf(what, sizeof(what), " entries=%u", ev->entries);
	else if (ev->op == VMMGMT_FILE_STAT)
		snprintf(what, sizeof(what), " size=%llu",
			 (unsigned long long)ev->size);
	snprintf(head, sizeof(head), "agent=%s peer=%u:%u:%u op=%s path=%s%s",
		 s->a->what, s->peer.host, s->peer.vm, s->peer.port,
		 op ? op : "(bad request)", path, what);
	if (!ev->err) {
		file_audit_line(false, "%s result=ok", head);
		return;
	}
	s->failed = true;
	vmmgmtd_files_quote(strerror(-ev->err), error, sizeof(error));
	if (s->reason)
		vmmgmtd_files_quote(s->reason, reason, sizeof(reason));
	file_audit_line(true, "%s result=%s errno=%d error=%s%s%s", head,
			s->reason ? "refused" : "error", -ev->err, error,
			s->reason ? " reason=" : "", reason);
}

/* A stream closed before any request: its audit line. */
static void file_audit_closed(const struct file_agent *a,
			      const struct vmmgmt_addr *peer, const char *why)
{
	char reason[512];

	vmmgmtd_files_quote(why, reason, sizeof(reason));
	file_audit_line(true, "agent=%s peer=%u:%u:%u op=stream result=closed reason=%s",
			a->what, peer->host, peer->vm, peer->port, reason);
}

/*
 * serve: whether the host may have a session now, and where.  Return: 0
 * with the directory in @dir, or the -errno every request of the stream
 * gets, with the reason in @s->why.
 */
static int file_serve_check(struct file_session *s, char *dir, size_t size)
{
	char val[16];
	int err;

	err = vmmgmt_read_attr(s->a->sysfs, "modes/file/enabled", val,
			       sizeof(val));
	if (err || strcmp(val, "1")) {
		snprintf(s->why, sizeof(s->why), "%s%s",
			 err ? "modes/file/enabled: " : "file mode is off",
			 err ? strerror(-err) : "");
		return -EPERM;
	}
	err = vmmgmt_read_attr(s->a->sysfs, "modes/file/dir", dir, size);
	if (err || dir[0] != '/') {
		snprintf(s->why, sizeof(s->why), "%s%s",
			 err ? "modes/file/dir: " :
			 "no directory set for the host (modes/file/dir)",
			 err ? strerror(-err) : "");
		return -EACCES;
	}
	return 0;
}

/* recv: whether --from lets @s->peer in: 0, or -EACCES with the reason. */
static int file_recv_check(struct file_session *s)
{
	unsigned int i;

	if (!s->a->nr_from)
		return 0;
	for (i = 0; i < s->a->nr_from; i++)
		if (s->a->from[i] == s->peer.vm)
			return 0;
	snprintf(s->why, sizeof(s->why), "VM %u is not in --from", s->peer.vm);
	return -EACCES;
}

/*
 * Serve one stream @fd of @peer to its end.  Return: true when every
 * request succeeded.
 */
static bool file_agent_session(const struct file_agent *a, int fd,
			       const struct vmmgmt_addr *peer)
{
	struct file_session s = { .a = a, .peer = *peer };
	struct vmmgmtd_files_export e;
	struct vmmgmtd_files_conf conf;
	char who[VMMGMT_NAME_MAX], *dir;
	int err;

	snprintf(who, sizeof(who), "%u:%u:%u", peer->host, peer->vm, peer->port);
	dir = malloc(PATH_MAX + 2);
	if (!dir) {
		file_audit_closed(a, peer, strerror(ENOMEM));
		return false;
	}
	vmmgmtd_files_conf_init(&conf);
	conf.access = a->recv ? VMMGMTD_FILES_PUT_ONLY : VMMGMTD_FILES_RW;
	conf.quota = 0;
	if (a->recv) {
		err = file_recv_check(&s);
		snprintf(dir, PATH_MAX + 2, "%s", a->dir);
	} else {
		err = file_serve_check(&s, dir, PATH_MAX + 2);
	}
	conf.dir = dir;
	if (!err) {
		err = vmmgmtd_files_open(&e, who, &conf, s.why, sizeof(s.why));
		if (err)
			snprintf(s.why, sizeof(s.why), "%s: %s", dir,
				 strerror(-err));
		err = err ? -EACCES : 0;
	}
	if (err) {
		vmmgmtd_files_refusing(&e, who, err);
		s.reason = s.why;
	}
	e.audit = file_agent_audit;
	e.audit_arg = &s;
	err = vmmgmtd_files_serve(&e, fd);
	vmmgmtd_files_close(&e);
	free(dir);
	return !err && !s.failed;
}

/*
 * Whether the agent takes a stream of @peer at all: serve the host's,
 * recv other VMs'.  Others are closed at once, with an audit line.
 */
static bool file_agent_takes(const struct file_agent *a,
			     const struct vmmgmt_addr *peer)
{
	/* This host alone: host id 0 (another host's VM 0 is no VM either). */
	bool host = !peer->host && !peer->vm;

	if (a->recv ? peer->vm != 0 : host)
		return true;
	file_audit_closed(a, peer, a->recv ?
			  "a host: file recv is for other VMs (the host pushes to file serve)" :
			  "not this host: file serve is for the host (VMs send to file recv)");
	return false;
}

/* The slot of the session @pid, free again. */
static void file_agent_slot_free(struct file_agent *a, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < FILE_AGENT_SESSIONS; i++)
		if (a->pid[i] == pid)
			a->pid[i] = 0;
}

/* recv: the sessions of @vm running now. */
static unsigned int file_agent_sessions_of(const struct file_agent *a, __u32 vm)
{
	unsigned int i, n = 0;

	for (i = 0; i < FILE_AGENT_SESSIONS; i++)
		n += a->pid[i] && a->vm[i] == vm;
	return n;
}

/* Count the sessions that ended; with @block, wait for one first. */
static void file_agent_reap(struct file_agent *a, bool block)
{
	int status;
	pid_t pid;

	while (a->sessions) {
		pid = waitpid(-1, &status, block ? 0 : WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			/* ECHILD: none left to wait for (never lose count). */
			memset(a->pid, 0, sizeof(a->pid));
			a->sessions = 0;
			break;
		}
		if (!pid)
			break;
		file_agent_slot_free(a, pid);
		a->sessions--;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			a->failed++;
		block = false;
	}
}

/* A child process for the stream @fd; closed at once when there are too many. */
static void file_agent_spawn(struct file_agent *a, int lfd, int fd,
			     const struct vmmgmt_addr *peer)
{
	const char *busy = NULL;
	unsigned int slot;
	pid_t pid;

	for (slot = 0; slot < FILE_AGENT_SESSIONS && a->pid[slot]; slot++)
		;
	if (slot == FILE_AGENT_SESSIONS)
		busy = "too many sessions at once";
	else if (a->recv &&
		 file_agent_sessions_of(a, peer->vm) >= FILE_RECV_SESSIONS_PER_VM)
		busy = "too many sessions of that VM at once";
	if (busy) {
		file_audit_closed(a, peer, busy);
		close(fd);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (!pid) {
		close(lfd);
		_exit(file_agent_session(a, fd, peer) ? 0 : 1);
	}
	close(fd);
	if (pid < 0) {
		file_audit_closed(a, peer, strerror(errno));
		return;
	}
	a->pid[slot] = pid;
	a->vm[slot] = peer->vm;
	a->sessions++;
}

/*
 * The listener on @port (in file mode for recv), published as --name if
 * given; resolves --from's names on it.  Exits on error.
 */
static int file_agent_listen(struct file_agent *a, __u32 port,
			     const char *const *names, unsigned int nr_names)
{
	const char *path = a->ctl->device ? a->ctl->device : GUEST_DEVICE;
	struct vmmgmt_addr addr;
	char where[64];
	unsigned int i;
	int lfd;

	if (is_host_path(path))
		usage_error("file serve and recv run in a guest", path);
	lfd = open_device(path, true);
	if (a->recv)
		set_mode_or_exit(lfd, path, VMMGMT_MODE_FILE);
	for (i = 0; i < nr_names; i++) {
		parse_dest(names[i], lfd, path, false, &addr);
		a->from[a->nr_from++] = addr.vm;
	}
	port = listen_setup(lfd, false, path, port, a->recv ? a->ctl->name : NULL);
	local_addr(lfd, false, port, where, sizeof(where));
	fprintf(stderr, "vmmgmtctl: file %s: listening on %s\n", a->what, where);
	return lfd;
}

/* Accept and serve streams until --count of them, or for ever. */
static int file_agent_run(struct file_agent *a, __u32 port,
			  const char *const *names, unsigned int nr_names)
{
	unsigned long n = 0, count = a->ctl->count;
	struct vmmgmt_stream_accept sa;
	int lfd, timeout = a->ctl->timeout_ms;
	double idle_since = vmmgmt_now_s();

	lfd = file_agent_listen(a, port, names, nr_names);
	openlog("vmmgmtctl", LOG_PID, LOG_DAEMON);
	file_audit_syslog = true;
	signal(SIGPIPE, SIG_IGN);
	/* Inherited SIG_IGN would reap the sessions before waitpid() counts them. */
	signal(SIGCHLD, SIG_DFL);
	while (!count || n < count) {
		file_agent_reap(a, false);
		if (!wait_stream(lfd, FILE_AGENT_REAP_MS)) {
			if (timeout > 0 && !a->sessions &&
			    (vmmgmt_now_s() - idle_since) * 1000 >= timeout) {
				vmmgmtctl_err("file %s: no stream within %d s", a->what,
					      timeout / 1000);
				return 1;
			}
			continue;
		}
		memset(&sa, 0, sizeof(sa));
		if (ioctl(lfd, VMMGMT_IOC_STREAM_ACCEPT, &sa)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail(a->ctl->device ? a->ctl->device : GUEST_DEVICE,
			     "STREAM_ACCEPT", errno, true);
		}
		n++;
		idle_since = vmmgmt_now_s();
		if (!file_agent_takes(a, &sa.peer)) {
			close(sa.fd);
			continue;
		}
		file_agent_spawn(a, lfd, sa.fd, &sa.peer);
	}
	close(lfd);
	while (a->sessions)
		file_agent_reap(a, true);
	return a->failed ? 1 : 0;
}

/*
 * VMMGMT_FILE_FD=N (the tests): the stream N, of VM VMMGMT_FILE_PEER,
 * served once in this process.
 */
static int file_agent_once(struct file_agent *a, const char *env)
{
	const char *vm = getenv("VMMGMT_FILE_PEER");
	struct vmmgmt_addr peer = { 0 };
	int fd = parse_u32(env, "bad VMMGMT_FILE_FD", true);

	if (vm)
		peer.vm = parse_u32(vm, "bad VMMGMT_FILE_PEER", true);
	signal(SIGPIPE, SIG_IGN);
	if (!file_agent_takes(a, &peer))
		return 1;
	return file_agent_session(a, fd, &peer) ? 0 : 1;
}

/* file serve (guest, root): the agent for the host's push and pull. */
int file_serve(const struct ctl *ctl, int argc, char **argv)
{
	struct file_agent a = { .ctl = ctl, .what = "serve" };
	const char *env = getenv("VMMGMT_FILE_FD");

	if (argc != 2)
		usage_error("file serve takes no argument", argv[2]);
	if (ctl->from)
		usage_error("file serve takes no --from (file recv does)", NULL);
	guest_sysfs(ctl, a.sysfs, sizeof(a.sysfs));
	if (env)
		return file_agent_once(&a, env);
	return file_agent_run(&a, VMMGMT_FILE_PORT, NULL, 0);
}

/*
 * --from VM,...: ids into @a->from, names (published by the senders'
 * owners) into @names, looked up once the device is open.  Return: the
 * names' count.
 */
static unsigned int file_recv_from(struct file_agent *a, char *list,
				   const char **names)
{
	unsigned int nr = 0;
	char *tok, *save;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (a->nr_from + nr >= FILE_RECV_FROM_MAX)
			usage_error("file recv --from: too many VMs (64 at most)", tok);
		if (is_number(tok)) {
			a->from[a->nr_from++] = parse_u32(tok, "file recv --from: bad VM id",
							  false);
			continue;
		}
		check_name(tok);
		names[nr++] = tok;
	}
	if (!a->nr_from && !nr)
		usage_error("file recv --from: no VM", list);
	return nr;
}

/* file recv [--from VM,...] [DIR] (guest): other VMs' file send, into DIR. */
int file_recv(const struct ctl *ctl, int argc, char **argv)
{
	struct file_agent a = { .ctl = ctl, .what = "recv", .recv = true };
	const char *env = getenv("VMMGMT_FILE_FD");
	const char *names[FILE_RECV_FROM_MAX];
	unsigned int nr_names = 0;
	char *list = NULL;
	int fd;

	if (argc > 3)
		usage_error("file recv takes at most DIR", argv[3]);
	a.dir = argc == 3 ? argv[2] : ".";
	if (ctl->from) {
		list = strdup(ctl->from);
		if (!list) {
			vmmgmtctl_err("out of memory");
			return 1;
		}
		nr_names = file_recv_from(&a, list, names);
	}
	fd = open(a.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		vmmgmtctl_err("file recv: %s: %s", a.dir, strerror(errno));
		return 1;
	}
	close(fd);
	if (env) {
		if (nr_names)
			usage_error("file recv --from: a name needs the device (give VM ids)",
				    names[0]);
		return file_agent_once(&a, env);
	}
	return file_agent_run(&a, VMMGMT_FILE_RECV_PORT, names, nr_names);
}
