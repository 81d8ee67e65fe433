// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd_protocol_test: start vmmgmtd in a temporary directory and play
 * QEMU's part of the ivshmem client-server protocol against it.
 *
 * The daemon is $VMMGMTD, or "vmmgmtd" from PATH; vmmgmtctl (vm add, del,
 * list) is $VMMGMTCTL, or "vmmgmtctl" from PATH.  Without
 * /dev/vmmgmt-host (no host module) it runs with --no-module, and the
 * tests of VMs that outlive their vmmgmtd (ABI 0.8) skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <dirent.h>
#include <stdarg.h>
#include <sys/ioctl.h>

/*
 * The selftests build with -Wextra -Werror.  The harness and its TEST()
 * expansions leave parameters unused, and its TEST_F() wrapper keeps a
 * non-volatile "child" across setjmp() (-Wclobbered): after an ASSERT the
 * test process may take the parent's path.  FIXTURE_TEARDOWN_PARENT below
 * then still runs the teardown exactly once, in whichever process.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt.h"
#include "vmmgmt_user.h"

#define MAX_VECTORS	8
#define ALPHA_ID	7	/* given as alpha=7 */
/*
 * Without the module beta gets the lowest unused id.  With it, the test
 * bed's own vmmgmtd has registered guest0=1, guest1=2, ... and the module
 * refuses a second VM 1: beta gets a fixed id out of their way.
 */
#define BETA_ID		(have_module() ? 9U : 1U)
#define WAIT_MS		5000

static const char *daemon_path(void)
{
	const char *p = getenv("VMMGMTD");

	return p && *p ? p : "vmmgmtd";
}

static bool have_module(void)
{
	return access(VMMGMT_HOST_DEV, F_OK) == 0;
}

/* Whole file as a string (empty on error); the caller frees it. */
static char *read_text(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		abort();
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	for (;;) {
		if (cap - len < 2048) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static bool file_contains(const char *path, const char *needle)
{
	char *text = read_text(path);
	bool found = !!strstr(text, needle);

	free(text);
	return found;
}

static bool wait_for_text(const char *path, const char *needle, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (file_contains(path, needle))
			return true;
		vmmgmt_sleep_ms(10);
	}
	return file_contains(path, needle);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * In a child about to exec: die with the test process, so that no daemon
 * outlives a test however the test ends.
 */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
}

/* Start a daemon with stdout and stderr appended to @log. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	die_with_parent(parent);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		_exit(126);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait up to @ms for @pid; return its status, or -1 if still running. */
static int wait_exit(pid_t pid, int ms)
{
	int status;

	for (; ms >= 0; ms -= 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		vmmgmt_sleep_ms(10);
	}
	return -1;
}

static void stop(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	if (wait_exit(pid, WAIT_MS) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * Run vmmgmtd to completion (at most WAIT_MS) with stdout and stderr in
 * files under @tmp; return the wait status, or -1 if it did not exit.
 */
static int run_to_end(const char *tmp, char *const argv[], char **out,
		      char **err)
{
	char out_path[PATH_MAX], err_path[PATH_MAX];
	pid_t pid, parent;
	int status, fd;

	snprintf(out_path, sizeof(out_path), "%s/run.out", tmp);
	snprintf(err_path, sizeof(err_path), "%s/run.err", tmp);
	unlink(out_path);
	unlink(err_path);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		die_with_parent(parent);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	status = wait_exit(pid, WAIT_MS);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	*out = read_text(out_path);
	*err = read_text(err_path);
	unlink(out_path);
	unlink(err_path);
	return status;
}

static void remove_tree(const char *path)
{
	struct dirent *de;
	char sub[PATH_MAX];
	struct stat st;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			remove_tree(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* ---- the QEMU side of the protocol ---- */

struct session {
	int sock;
	int memfd;
	struct vmmgmt_region_header *hdr;
	size_t size;
	unsigned int vectors;
	int kick[MAX_VECTORS];	/* peer 0: we write these */
	int call[MAX_VECTORS];	/* our own id: we would be interrupted */
};

static void session_init(struct session *s)
{
	unsigned int v;

	memset(s, 0, sizeof(*s));
	s->sock = -1;
	s->memfd = -1;
	for (v = 0; v < MAX_VECTORS; v++) {
		s->kick[v] = -1;
		s->call[v] = -1;
	}
}

static void session_close(struct session *s)
{
	unsigned int v;

	for (v = 0; v < MAX_VECTORS; v++) {
		if (s->kick[v] >= 0)
			close(s->kick[v]);
		if (s->call[v] >= 0)
			close(s->call[v]);
	}
	if (s->hdr)
		munmap(s->hdr, s->size);
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->sock >= 0)
		close(s->sock);
	session_init(s);
}

static int connect_vm(const char *dir, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", dir, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Receive one message.  Return 1 with *val and *fd (-1 if none; *nfds is
 * the number of fds that came with it), 0 on EOF, -1 on timeout or error.
 */
static int recv_msg(int sock, __s64 *val, int *fd, int *nfds, int ms)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} control;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	__u64 le;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int i;

	*fd = -1;
	*nfds = 0;
	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvmsg(sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	if (n != sizeof(le) || (msg.msg_flags & MSG_CTRUNC))
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		int cnt, fds[4];

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cmsg), cnt * sizeof(int));
		for (i = 0; i < cnt; i++) {
			if (*fd < 0)
				*fd = fds[i];
			else
				close(fds[i]);
		}
		*nfds += cnt;
	}
	*val = (__s64)le64toh(le);
	return 1;
}

static bool fd_link_is(int fd, const char *prefix)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, prefix, strlen(prefix)) == 0;
}

static bool region_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * Connect to @name and check everything the server sends: version 0, our
 * id, the region, exactly @vectors eventfds for peer 0 then for us, and
 * nothing more.  @generation 0: do not check it.
 */
static void handshake(struct __test_metadata *_metadata, const char *dir,
		      const char *name, unsigned int id, unsigned int vectors,
		      __u64 size, __u32 generation, struct session *s)
{
	struct vmmgmt_region_header *h;
	__s64 val;
	int fd, nfds, seals;
	struct stat st;
	unsigned int v;

	session_init(s);
	s->vectors = vectors;
	s->sock = connect_vm(dir, name);
	ASSERT_LE(0, s->sock) TH_LOG("connect %s/%s.sock: %s", dir, name, strerror(errno));

	ASSERT_EQ(1, recv_msg(s->sock, &val, &fd, &nfds, WAIT_MS));
	EXPECT_EQ(0, val);		/* protocol version */
	ASSERT_EQ(0, nfds);

	ASSERT_EQ(1, recv_msg(s->sock, &val, &fd, &nfds, WAIT_MS));
	EXPECT_EQ(id, val);		/* our peer id */
	ASSERT_EQ(0, nfds);

	ASSERT_EQ(1, recv_msg(s->sock, &val, &fd, &nfds, WAIT_MS));
	ASSERT_EQ(-1, val);		/* shared memory */
	ASSERT_EQ(1, nfds);
	s->memfd = fd;
	EXPECT_TRUE(fd_link_is(fd, "/memfd:"));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(size, (__u64)st.st_size);
	seals = fcntl(fd, F_GET_SEALS);
	ASSERT_LE(0, seals);
	EXPECT_EQ(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
		  seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	EXPECT_NE(0, ftruncate(fd, size / 2));	/* sealed */
	EXPECT_NE(0, ftruncate(fd, size * 2));
	EXPECT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	s->size = size;
	s->hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, s->hdr);
	h = s->hdr;
	EXPECT_EQ(VMMGMT_MAGIC, h->magic);
	EXPECT_EQ(VMMGMT_ABI_MAJOR, h->abi_major);
	EXPECT_EQ(VMMGMT_ABI_MINOR, h->abi_minor);
	EXPECT_EQ(sizeof(*h), h->header_size);
	EXPECT_EQ(size, h->region_size);
	/* With the module, it wrote the header and serves the region. */
	EXPECT_EQ(have_module() ? VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES |
		  VMMGMT_F_FLOW | VMMGMT_F_STREAM : 0ULL, h->features_offered);
	EXPECT_EQ(0ULL, h->features_accepted);
	EXPECT_EQ((__u32)(have_module() ? VMMGMT_LINK_UP : VMMGMT_LINK_DOWN),
		  h->link_state);
	EXPECT_EQ(0U, h->host_id);
	EXPECT_EQ(id, h->vm_id);
	if (generation)
		EXPECT_EQ(generation, h->generation);
	EXPECT_LE(1U, h->generation);
	EXPECT_STREQ(name, (const char *)h->name);
	EXPECT_TRUE(region_zero(h->name + strlen(name), sizeof(h->name) - strlen(name)));
	EXPECT_TRUE(region_zero(h->reserved, sizeof(h->reserved)));
	/* The rest of the region is the guest's and starts out zero. */
	EXPECT_TRUE(region_zero((char *)h + sizeof(*h), size - sizeof(*h)));

	for (v = 0; v < vectors; v++) {
		ASSERT_EQ(1, recv_msg(s->sock, &val, &fd, &nfds, WAIT_MS));
		ASSERT_EQ(1, nfds) TH_LOG("peer 0 vector %u", v);
		s->kick[v] = fd;
		EXPECT_EQ(VMMGMT_HOST_PEER_ID, val) TH_LOG("peer 0 vector %u", v);
		EXPECT_TRUE(fd_link_is(fd, "anon_inode:[eventfd]"));
	}
	for (v = 0; v < vectors; v++) {
		ASSERT_EQ(1, recv_msg(s->sock, &val, &fd, &nfds, WAIT_MS));
		ASSERT_EQ(1, nfds) TH_LOG("own vector %u", v);
		s->call[v] = fd;
		EXPECT_EQ(id, val) TH_LOG("own vector %u", v);
		EXPECT_TRUE(fd_link_is(fd, "anon_inode:[eventfd]"));
	}
	/* Nothing more, and the connection stays open. */
	EXPECT_EQ(-1, recv_msg(s->sock, &val, &fd, &nfds, 200));
}

static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* ---- the fixture: one vmmgmtd serving alpha=7 and beta ---- */

/* One vmmgmtd under test, in its own temporary directory. */
struct daemon {
	char tmp[64];
	char dir[128];		/* created by vmmgmtd */
	char log[128];
	pid_t pid;
	const char *size_arg;	/* -s, or NULL */
	const char *vectors_arg;	/* --vectors, or NULL */
	const char *config_dir;	/* -c, or NULL */
	char *argv[24];
};

FIXTURE(vmmgmtd) {
	struct daemon d;
};

FIXTURE_VARIANT(vmmgmtd) {
	const char *size_arg;	/* NULL: default */
	__u64 size;
	const char *vectors_arg;
	unsigned int vectors;
};

FIXTURE_VARIANT_ADD(vmmgmtd, defaults) {
	.size_arg = NULL, .size = VMMGMT_REGION_DEFAULT_SIZE,
	.vectors_arg = NULL, .vectors = VMMGMT_VECTORS_DEFAULT,
};

FIXTURE_VARIANT_ADD(vmmgmtd, size_128k_vectors_4) {
	.size_arg = "128K", .size = 128 << 10,
	.vectors_arg = "4", .vectors = 4,
};

FIXTURE_VARIANT_ADD(vmmgmtd, size_64m_vectors_1) {
	.size_arg = "64M", .size = 64 << 20,
	.vectors_arg = "1", .vectors = 1,
};

/*
 * argv for a daemon on d->dir serving @names (NULL-terminated); -v with
 * @verbose (its debug lines are not part of one-line errors).
 */
static char **daemon_argv(struct daemon *d, const char *const *names,
			  bool verbose)
{
	int n = 0;

	d->argv[n++] = (char *)daemon_path();
	d->argv[n++] = "-f";
	if (verbose)
		d->argv[n++] = "-v";
	d->argv[n++] = "-d";
	d->argv[n++] = d->dir;
	if (d->size_arg) {
		d->argv[n++] = "-s";
		d->argv[n++] = (char *)d->size_arg;
	}
	if (d->vectors_arg) {
		d->argv[n++] = "--vectors";
		d->argv[n++] = (char *)d->vectors_arg;
	}
	if (d->config_dir) {
		d->argv[n++] = "-c";
		d->argv[n++] = (char *)d->config_dir;
	}
	if (!have_module())
		d->argv[n++] = "--no-module";
	while (*names)
		d->argv[n++] = (char *)*names++;
	d->argv[n] = NULL;
	return d->argv;
}

static const char *const fixture_vms_no_module[] = { "alpha=7", "beta", NULL };
static const char *const fixture_vms_module[] = { "alpha=7", "beta=9", NULL };

/*
 * Start a daemon for @names and wait for its "ready" line, "vmmgmtd: ready:
 * @nr VMs in DIR (" (the number adopted follows); false if it never came.
 */
static bool start_daemon_vms(struct daemon *d, const char *const *names,
			     unsigned int nr)
{
	char ready[256];

	/* A fresh log: an earlier daemon's "ready" must not count. */
	unlink(d->log);
	d->pid = spawn(daemon_argv(d, names, true), d->log);
	if (d->pid < 0)
		return false;
	snprintf(ready, sizeof(ready), "vmmgmtd: ready: %u VMs in %s (", nr, d->dir);
	if (wait_for_text(d->log, ready, WAIT_MS))
		return true;
	stop(d->pid, SIGKILL);
	d->pid = 0;
	return false;
}

static bool start_daemon(struct daemon *d)
{
	return start_daemon_vms(d, have_module() ? fixture_vms_module :
				fixture_vms_no_module, 2);
}

/* A daemon of its own for a TEST(): a new temporary directory. */
static void daemon_init(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->tmp, sizeof(d->tmp), "/tmp/vmmgmtd-test.XXXXXX");
	if (!mkdtemp(d->tmp))
		abort();
	snprintf(d->dir, sizeof(d->dir), "%s/run", d->tmp);
	snprintf(d->log, sizeof(d->log), "%s/vmmgmtd.log", d->tmp);
}

static void daemon_end(struct __test_metadata *_metadata, struct daemon *d)
{
	char *text;

	stop(d->pid, SIGKILL);
	d->pid = 0;
	if (!__test_passed(_metadata) || getenv("VMMGMTD_TEST_LOG")) {
		text = read_text(d->log);
		TH_LOG("vmmgmtd log:\n%s", text);
		free(text);
	}
	remove_tree(d->tmp);
}

FIXTURE_SETUP(vmmgmtd)
{
	struct daemon *d = &self->d;
	char path[PATH_MAX];
	struct stat st;
	char *text;
	bool ok;

	d->pid = 0;
	d->config_dir = NULL;
	d->size_arg = variant->size_arg;
	d->vectors_arg = variant->vectors_arg;
	snprintf(d->tmp, sizeof(d->tmp), "/tmp/vmmgmtd-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(d->tmp));
	snprintf(d->dir, sizeof(d->dir), "%s/run", d->tmp);
	snprintf(d->log, sizeof(d->log), "%s/vmmgmtd.log", d->tmp);

	ok = start_daemon(d);
	if (!ok) {
		text = read_text(d->log);
		TH_LOG("%s did not get ready; its output:\n%s", daemon_path(), text);
		free(text);
		remove_tree(d->tmp);
	}
	ASSERT_TRUE(ok) TH_LOG("set VMMGMTD to the vmmgmtd binary");

	/* The directory was created, the sockets and pid file are there. */
	ASSERT_EQ(0, stat(d->dir, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/alpha.sock", d->dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	snprintf(path, sizeof(path), "%s/beta.sock", d->dir);
	ASSERT_EQ(0, stat(path, &st));
	snprintf(path, sizeof(path), "%s/vmmgmtd.pid", d->dir);
	text = read_text(path);
	EXPECT_EQ(d->pid, atoi(text));
	free(text);
}

/*
 * Normally in the parent of the test process (self is shared), after the
 * test process and with it the daemon (PR_SET_PDEATHSIG) are gone.
 */
FIXTURE_TEARDOWN_PARENT(vmmgmtd)
{
	char *text;

	/* Reap it if it is ours; else it was a child of the test process. */
	if (self->d.pid > 0 && kill(self->d.pid, SIGKILL) == 0)
		waitpid(self->d.pid, NULL, 0);
	if (!__test_passed(_metadata) || getenv("VMMGMTD_TEST_LOG")) {
		text = read_text(self->d.log);
		TH_LOG("vmmgmtd log:\n%s", text);
		free(text);
	}
	remove_tree(self->d.tmp);
}

/*
 * SIGUSR1 until the last stats line for @name contains @want.  Returns
 * that line (static buffer), or NULL after WAIT_MS.
 */
static const char *wait_stats(struct daemon *d, const char *name,
			      const char *want)
{
	static char line[512];
	char key[64];
	int ms;

	snprintf(key, sizeof(key), "vmmgmtd: stats: %s: ", name);
	for (ms = 0; ms < WAIT_MS; ms += 50) {
		char *text, *p, *last = NULL, *end;

		kill(d->pid, SIGUSR1);
		vmmgmt_sleep_ms(50);
		text = read_text(d->log);
		for (p = strstr(text, key); p; p = strstr(p + 1, key))
			last = p;
		line[0] = '\0';
		if (last) {
			end = strchr(last, '\n');
			if (end)
				*end = '\0';
			snprintf(line, sizeof(line), "%s", last);
		}
		free(text);
		if (last && strstr(line, want))
			return line;
	}
	return line[0] ? line : NULL;
}

/* ---- vmmgmtctl vm and the control socket ---- */

static const char *ctl_path(void)
{
	const char *p = getenv("VMMGMTCTL");

	return p && *p ? p : "vmmgmtctl";
}

/*
 * vmmgmtctl --dir @d->dir ARGS... (NULL-terminated); its stdout in *@out,
 * stderr in *@err (the caller frees both); its exit status, -1 if it did
 * not exit or was killed.
 */
static int run_ctl(struct daemon *d, char **out, char **err, ...)
{
	char *argv[16];
	int n = 0, status;
	va_list ap;

	argv[n++] = (char *)ctl_path();
	argv[n++] = "--dir";
	argv[n++] = d->dir;
	va_start(ap, err);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	status = run_to_end(d->tmp, argv, out, err);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* @line to DIR/vmmgmtd.ctl as it is; the whole answer (free it), or NULL. */
static char *ctl_raw(struct daemon *d, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = malloc(65536);
	ssize_t n;
	int fd;

	if (!buf)
		abort();
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/vmmgmtd.ctl",
			     d->dir) >= sizeof(sa.sun_path))
		abort();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    vmmgmt_write_all(fd, line, strlen(line))) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	n = vmmgmt_read_to_end(fd, buf, 65536);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The line of VM @name in a "vm list" answer (static buffer), or "". */
static const char *list_line(const char *answer, const char *name)
{
	static char line[512];
	const char *p = answer;
	size_t len = strlen(name);

	line[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ' ') {
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
			break;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return line;
}

/* ---- the host module's VMs (ABI 0.8) ---- */

/* VM @name as VMMGMT_HOST_IOC_LIST_VMS lists it: 1 found, 0 not, -errno. */
static int module_vm(const char *name, struct vmmgmt_host_vm_info *out)
{
	struct vmmgmt_host_vm_list list;
	__u32 after = 0, i;
	int fd, ret = 0;

	fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		memset(&list, 0, sizeof(list));
		list.after_id = after;
		if (ioctl(fd, VMMGMT_HOST_IOC_LIST_VMS, &list) < 0) {
			ret = -errno;
			break;
		}
		for (i = 0; i < list.count && i < VMMGMT_HOST_VMS_PER_LIST; i++) {
			if (strcmp((const char *)list.vms[i].name, name))
				continue;
			*out = list.vms[i];
			ret = 1;
		}
		if (!list.count)
			break;
		after = list.vms[list.count - 1].vm_id;
	} while (!ret && (list.flags & VMMGMT_HOST_VM_LIST_F_MORE));
	close(fd);
	return ret;
}

/* Wait up to @ms for VM @name to be gone from LIST_VMS. */
static bool module_vm_gone(const char *name, int ms)
{
	struct vmmgmt_host_vm_info info;

	for (; ms > 0; ms -= 20) {
		if (module_vm(name, &info) == 0)
			return true;
		vmmgmt_sleep_ms(20);
	}
	return module_vm(name, &info) == 0;
}

/* DEL_VM through a file of our own (any file may, for PERSIST VMs). */
static int module_del(unsigned int id)
{
	struct vmmgmt_host_vm_del req = { .vm_id = id };
	int fd, ret = 0;

	fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_HOST_IOC_DEL_VM, &req) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

TEST_F(vmmgmtd, handshake)
{
	char want[256];
	struct session s;

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s);
	snprintf(want, sizeof(want),
		 "vmmgmtd: alpha (id %u): connected: pid %d, generation 1, region %llu bytes, sent %u vectors\n",
		 ALPHA_ID, (int)getpid(), (unsigned long long)variant->size,
		 variant->vectors);
	EXPECT_TRUE(wait_for_text(self->d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);
	session_close(&s);
}

TEST_F(vmmgmtd, two_vms)
{
	struct session a, b;

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &a);
	handshake(_metadata, self->d.dir, "beta", BETA_ID, variant->vectors,
		  variant->size, 1, &b);
	/* Separate regions. */
	a.hdr->reserved[0] = 0x1234;
	EXPECT_EQ(0ULL, b.hdr->reserved[0]);
	session_close(&a);
	session_close(&b);
}

TEST_F(vmmgmtd, doorbell_counts)
{
	char want[256], vec[128];
	__u64 one = 1, val, total = 0;
	const char *line;
	struct session s;
	size_t off = 0;
	unsigned int v, i;

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s);

	/* Ring vector v (v + 1) times: the per-vector counts show the order. */
	for (v = 0; v < variant->vectors; v++) {
		for (i = 0; i <= v; i++)
			ASSERT_EQ((ssize_t)sizeof(one), write(s.kick[v], &one, sizeof(one)));
		total += v + 1;
		off += snprintf(vec + off, sizeof(vec) - off, "%s%u", v ? "," : "", v + 1);
	}
	/* The module counts the doorbells, but not per vector. */
	if (have_module())
		snprintf(vec, sizeof(vec), "-");
	snprintf(want, sizeof(want),
		 "id=%u generation=1 state=connected pid=%d doorbells=%llu vectors=%s",
		 ALPHA_ID, (int)getpid(), (unsigned long long)total, vec);
	line = wait_stats(&self->d, "alpha", want);
	ASSERT_NE(NULL, line);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("want '%s', got '%s'", want, line);
	line = wait_stats(&self->d, "beta", "doorbells=0 ");
	ASSERT_NE(NULL, line);
	EXPECT_NE(NULL, strstr(line, "state=idle")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "doorbells=0 ")) TH_LOG("%s", line);

	/* vmmgmtd drained the kicks, and leaves the call eventfds alone. */
	for (v = 0; v < variant->vectors; v++) {
		EXPECT_FALSE(readable(s.kick[v], 0)) TH_LOG("kick %u not drained", v);
		val = 40 + v;
		ASSERT_EQ((ssize_t)sizeof(val), write(s.call[v], &val, sizeof(val)));
	}
	vmmgmt_sleep_ms(100);
	for (v = 0; v < variant->vectors; v++) {
		ASSERT_TRUE(readable(s.call[v], 0));
		ASSERT_EQ((ssize_t)sizeof(val), read(s.call[v], &val, sizeof(val)));
		EXPECT_EQ(40ULL + v, val);
	}
	line = wait_stats(&self->d, "alpha", want);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("call writes counted: %s", line);

	/* -v logs every doorbell read (vmmgmtd reads them only without the module). */
	snprintf(want, sizeof(want), "vmmgmtd: alpha (id %u): doorbell vector 0: +1", ALPHA_ID);
	EXPECT_EQ(!have_module(), file_contains(self->d.log, want));
	session_close(&s);
}

TEST_F(vmmgmtd, second_connection_refused)
{
	char want[256];
	struct session s, b;
	const char *line;
	__u64 one = 1;
	__s64 val;
	int fd2, fd, nfds;

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s);

	fd2 = connect_vm(self->d.dir, "alpha");
	ASSERT_LE(0, fd2);
	/* Closed without a single message. */
	EXPECT_EQ(0, recv_msg(fd2, &val, &fd, &nfds, WAIT_MS));
	close(fd2);
	snprintf(want, sizeof(want),
		 "vmmgmtd: alpha (id %u): refused connection from pid %d: pid %d is connected\n",
		 ALPHA_ID, (int)getpid(), (int)getpid());
	EXPECT_TRUE(wait_for_text(self->d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);

	/* The first connection is still served, and beta is independent. */
	EXPECT_EQ(-1, recv_msg(s.sock, &val, &fd, &nfds, 100));
	ASSERT_EQ((ssize_t)sizeof(one), write(s.kick[0], &one, sizeof(one)));
	snprintf(want, sizeof(want), "generation=1 state=connected pid=%d doorbells=1 ",
		 (int)getpid());
	line = wait_stats(&self->d, "alpha", want);
	ASSERT_NE(NULL, line);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	handshake(_metadata, self->d.dir, "beta", BETA_ID, variant->vectors,
		  variant->size, 1, &b);
	session_close(&b);
	session_close(&s);
}

TEST_F(vmmgmtd, reconnect_bumps_generation)
{
	struct session s1, s2, s3;
	char want[256];

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s1);
	/* Keep the old region mapped: a new connection gets a new region. */
	close(s1.sock);
	s1.sock = -1;
	/* Reconnect at once: vmmgmtd must see the old one go first. */
	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 2, &s2);
	EXPECT_EQ(1U, s1.hdr->generation);
	s2.hdr->reserved[0] = 1;
	EXPECT_EQ(0ULL, s1.hdr->reserved[0]);
	snprintf(want, sizeof(want), "vmmgmtd: alpha (id %u): disconnected: pid %d, generation 1\n",
		 ALPHA_ID, (int)getpid());
	EXPECT_TRUE(wait_for_text(self->d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);
	session_close(&s2);
	snprintf(want, sizeof(want), "vmmgmtd: alpha (id %u): disconnected: pid %d, generation 2\n",
		 ALPHA_ID, (int)getpid());
	EXPECT_TRUE(wait_for_text(self->d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);
	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 3, &s3);
	session_close(&s3);
	session_close(&s1);
}

/* A client that reads nothing and goes away must not hurt the daemon. */
TEST_F(vmmgmtd, client_vanishes)
{
	struct session s;
	int i, fd;

	for (i = 0; i < 20; i++) {
		fd = connect_vm(self->d.dir, "alpha");
		ASSERT_LE(0, fd);
		close(fd);
	}
	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 0, &s);
	EXPECT_GE(21U, s.hdr->generation);
	session_close(&s);
	EXPECT_EQ(0, kill(self->d.pid, 0));
}

TEST_F(vmmgmtd, second_daemon_in_use)
{
	static const char *const again[] = { "alpha", NULL };
	char *out, *err, path[PATH_MAX];
	struct session s;
	int status;
	char *pidtext;

	status = run_to_end(self->d.tmp, daemon_argv(&self->d, again, false), &out, &err);
	ASSERT_NE(-1, status) TH_LOG("second vmmgmtd did not exit");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	EXPECT_EQ(1, count_lines(err)) TH_LOG("stderr: %s", err);
	EXPECT_NE(NULL, strstr(err, "in use")) TH_LOG("stderr: %s", err);
	EXPECT_EQ(0, strncmp(err, "vmmgmtd: ", 9)) TH_LOG("stderr: %s", err);
	free(out);
	free(err);

	/* The first daemon keeps its sockets, pid file and service. */
	snprintf(path, sizeof(path), "%s/vmmgmtd.pid", self->d.dir);
	pidtext = read_text(path);
	EXPECT_EQ(self->d.pid, atoi(pidtext));
	free(pidtext);
	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 0, &s);
	session_close(&s);
}

TEST_F(vmmgmtd, stale_socket_removed)
{
	char path[PATH_MAX];
	struct session s;
	struct stat st;

	/* Killed hard, it leaves its sockets behind. */
	stop(self->d.pid, SIGKILL);
	self->d.pid = 0;
	snprintf(path, sizeof(path), "%s/alpha.sock", self->d.dir);
	ASSERT_EQ(0, stat(path, &st));

	ASSERT_TRUE(start_daemon(&self->d));
	snprintf(path, sizeof(path), "vmmgmtd: %s/alpha.sock: removed stale socket\n", self->d.dir);
	EXPECT_TRUE(file_contains(self->d.log, path));
	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s);
	session_close(&s);
}

TEST_F(vmmgmtd, sigterm_cleans_up)
{
	char path[PATH_MAX], want[256];
	struct session s;
	int status, fd, nfds;
	__s64 val;

	handshake(_metadata, self->d.dir, "alpha", ALPHA_ID, variant->vectors,
		  variant->size, 1, &s);
	ASSERT_EQ(0, kill(self->d.pid, SIGTERM));
	status = wait_exit(self->d.pid, WAIT_MS);
	ASSERT_NE(-1, status);
	self->d.pid = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Our connection was closed, files removed, final stats printed. */
	EXPECT_EQ(0, recv_msg(s.sock, &val, &fd, &nfds, WAIT_MS));
	snprintf(path, sizeof(path), "%s/alpha.sock", self->d.dir);
	EXPECT_NE(0, access(path, F_OK));
	snprintf(path, sizeof(path), "%s/beta.sock", self->d.dir);
	EXPECT_NE(0, access(path, F_OK));
	snprintf(path, sizeof(path), "%s/vmmgmtd.pid", self->d.dir);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_TRUE(file_contains(self->d.log, "vmmgmtd: exiting on "));
	snprintf(want, sizeof(want),
		 "vmmgmtd: stats: beta: id=%u generation=0 state=idle pid=0 doorbells=0",
		 BETA_ID);
	EXPECT_TRUE(file_contains(self->d.log, want));
	if (have_module()) {
		struct vmmgmt_host_vm_info info;

		/* ABI 0.8: the VM outlives vmmgmtd, its QEMU (we) runs. */
		snprintf(want, sizeof(want),
			 "vmmgmtd: alpha (id %u): closing, VM stays registered: pid %d, generation 1\n",
			 ALPHA_ID, (int)getpid());
		EXPECT_TRUE(file_contains(self->d.log, want)) TH_LOG("no line: %s", want);
		ASSERT_EQ(1, module_vm("alpha", &info));
		EXPECT_EQ((__u32)ALPHA_ID, info.vm_id);
		EXPECT_EQ((__u32)getpid(), info.qemu_pid);
		EXPECT_EQ((__u32)(VMMGMT_HOST_VM_F_PERSIST | VMMGMT_HOST_VM_F_ORPHAN), info.flags);
		EXPECT_EQ(0, module_del(ALPHA_ID));
		EXPECT_TRUE(module_vm_gone("alpha", WAIT_MS));
	}
	session_close(&s);
}

/* vm add, list and del through vmmgmtctl and the control socket. */
TEST_F(vmmgmtd, ctl_vm_add_del_list)
{
	char *out, *err, *answer, path[PATH_MAX], want[256];
	struct session s;
	struct stat st;
	__s64 val;
	int fd, nfds;

	/* The control socket: 0600, like the VMs' sockets. */
	snprintf(path, sizeof(path), "%s/vmmgmtd.ctl", self->d.dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 0777);

	answer = ctl_raw(&self->d, "vm list\n");
	ASSERT_NE(NULL, answer);
	EXPECT_EQ(0, strncmp(answer, "ok\n", 3)) TH_LOG("%s", answer);
	EXPECT_EQ(3, count_lines(answer)) TH_LOG("%s", answer);
	snprintf(want, sizeof(want),
		 "alpha id=%u size=%llu vectors=%u state=waiting pid=0 registered=0 adoptions=0",
		 ALPHA_ID, (unsigned long long)variant->size, variant->vectors);
	EXPECT_STREQ(want, list_line(answer, "alpha"));
	free(answer);

	/* Added with the daemon's defaults, and a free id. */
	ASSERT_EQ(0, run_ctl(&self->d, &out, &err, "vm", "add", "gamma", NULL))
		TH_LOG("stdout '%s' stderr '%s'", out, err);
	EXPECT_STREQ("", err);
	EXPECT_NE(NULL, strstr(out, "gamma")) TH_LOG("%s", out);
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s/gamma.sock", self->d.dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600U, st.st_mode & 0777);
	answer = ctl_raw(&self->d, "vm list\n");
	ASSERT_NE(NULL, answer);
	snprintf(want, sizeof(want), " size=%llu vectors=%u state=waiting pid=0 registered=0",
		 (unsigned long long)variant->size, variant->vectors);
	EXPECT_NE(NULL, strstr(list_line(answer, "gamma"), want)) TH_LOG("%s", answer);
	free(answer);

	/* Its own id, size and vectors; QEMU gets them. */
	ASSERT_EQ(0, run_ctl(&self->d, &out, &err, "vm", "add", "delta", "--id", "12",
			     "--size", "128K", "--vectors", "1", NULL))
		TH_LOG("stdout '%s' stderr '%s'", out, err);
	free(out);
	free(err);
	snprintf(want, sizeof(want),
		 "vmmgmtd: delta (id 12): added: socket %s/delta.sock, region 131072 bytes, 1 vectors\n",
		 self->d.dir);
	EXPECT_TRUE(file_contains(self->d.log, want)) TH_LOG("no line: %s", want);
	handshake(_metadata, self->d.dir, "delta", 12, 1, 128 << 10, 1, &s);
	ASSERT_EQ(0, run_ctl(&self->d, &out, &err, "--json", "vm", "list", NULL));
	snprintf(want, sizeof(want),
		 "{\"name\":\"delta\",\"id\":12,\"size\":131072,\"vectors\":1,\"state\":\"connected\",\"pid\":%d,\"registered\":%s,\"adoptions\":0}",
		 (int)getpid(), have_module() ? "true" : "false");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s in %s", want, out);
	EXPECT_EQ('[', out[0]);
	free(out);
	free(err);

	/* Errors: duplicates and bad values, the slots unchanged. */
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "add", "alpha", NULL));
	EXPECT_STREQ("vmmgmtctl: vm add alpha: EEXIST: VM name 'alpha' in use\n", err);
	free(out);
	free(err);
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "add", "eps", "--id", "12", NULL));
	EXPECT_STREQ("vmmgmtctl: vm add eps id=12: EEXIST: VM id 12 in use (by delta)\n", err);
	free(out);
	free(err);
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "add", "eps", "--size", "3M", NULL));
	EXPECT_NE(NULL, strstr(err, "EINVAL: bad size '3M'")) TH_LOG("%s", err);
	free(out);
	free(err);
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "add", "eps", "--vectors", "0", NULL));
	EXPECT_NE(NULL, strstr(err, "EINVAL: bad vector count '0'")) TH_LOG("%s", err);
	free(out);
	free(err);
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "add", "eps", "--id", "0", NULL));
	EXPECT_NE(NULL, strstr(err, "EINVAL: bad VM id '0'")) TH_LOG("%s", err);
	free(out);
	free(err);
	EXPECT_EQ(2, run_ctl(&self->d, &out, &err, "vm", "add", "a.b", NULL));
	free(out);
	free(err);
	EXPECT_EQ(1, run_ctl(&self->d, &out, &err, "vm", "del", "nosuch", NULL));
	EXPECT_STREQ("vmmgmtctl: vm del nosuch: ENOENT: no VM 'nosuch'\n", err);
	free(out);
	free(err);
	answer = ctl_raw(&self->d, "vm add eps colour=blue\n");
	ASSERT_NE(NULL, answer);
	EXPECT_STREQ("error: EINVAL: unknown setting 'colour' (id, size, vectors)\n", answer);
	free(answer);
	answer = ctl_raw(&self->d, "vm frob\n");
	ASSERT_NE(NULL, answer);
	EXPECT_EQ(0, strncmp(answer, "error: EINVAL: unknown request", 30)) TH_LOG("%s", answer);
	free(answer);
	answer = ctl_raw(&self->d, "vm list\n");
	ASSERT_NE(NULL, answer);
	EXPECT_EQ(5, count_lines(answer)) TH_LOG("%s", answer);
	EXPECT_STREQ("", list_line(answer, "eps"));
	free(answer);

	/* Deleting a connected VM: unregistered, QEMU let go, socket gone. */
	EXPECT_EQ(0, run_ctl(&self->d, &out, &err, "vm", "del", "delta", NULL));
	free(out);
	free(err);
	EXPECT_EQ(0, recv_msg(s.sock, &val, &fd, &nfds, WAIT_MS));
	snprintf(path, sizeof(path), "%s/delta.sock", self->d.dir);
	EXPECT_NE(0, access(path, F_OK));
	snprintf(want, sizeof(want),
		 "vmmgmtd: delta (id 12): deleted: state connected, pid %d, registered %d\n",
		 (int)getpid(), have_module());
	EXPECT_TRUE(file_contains(self->d.log, want)) TH_LOG("no line: %s", want);
	if (have_module()) {
		struct vmmgmt_host_vm_info info;

		EXPECT_EQ(0, module_vm("delta", &info));
	}
	EXPECT_EQ(0, run_ctl(&self->d, &out, &err, "vm", "del", "gamma", NULL));
	free(out);
	free(err);
	answer = ctl_raw(&self->d, "vm list\n");
	ASSERT_NE(NULL, answer);
	EXPECT_EQ(3, count_lines(answer)) TH_LOG("%s", answer);
	free(answer);
	/* The name can come back. */
	EXPECT_EQ(0, run_ctl(&self->d, &out, &err, "vm", "add", "delta", "--id", "12", NULL));
	free(out);
	free(err);
	session_close(&s);
}

/* ---- the configuration directory (-c) ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || vmmgmt_write_all(fd, text, strlen(text)))
		abort();
	close(fd);
}

/* One VM per NAME.conf; other files ignored; -s and -n the defaults. */
TEST(config_dir)
{
	static const char *const names[] = { "cmdline=40", NULL };
	static const char *const lines[] = {
		"cmdline id=40 size=262144 vectors=2 state=waiting pid=0 registered=0 adoptions=0",
		"cfg-a id=41 size=131072 vectors=1 state=waiting pid=0 registered=0 adoptions=0",
		"cfg-b id=42 size=262144 vectors=2 state=waiting pid=0 registered=0 adoptions=0",
	};
	char conf[PATH_MAX], want[256], *answer;
	unsigned int i;
	struct daemon d;
	struct session s;

	daemon_init(&d);
	snprintf(conf, sizeof(conf), "%s/vms.d", d.tmp);
	ASSERT_EQ(0, mkdir(conf, 0755));
	write_file(conf, "cfg-a.conf",
		   "# VM cfg-a\n"
		   "id=41\n"
		   "\n"
		   "  size = 128K   # a small one\n"
		   "vectors=1\n");
	write_file(conf, "cfg-b.conf", "# all defaults but the id\nid = 42\n");
	write_file(conf, "README", "not a VM\n");
	write_file(conf, ".hidden.conf", "junk\n");
	write_file(conf, "cfg-c.conf.bak", "junk\n");
	d.config_dir = conf;
	d.size_arg = "256K";
	ASSERT_TRUE(start_daemon_vms(&d, names, 3)) {
		daemon_end(_metadata, &d);
	}
	snprintf(want, sizeof(want), "vmmgmtd: ready: 3 VMs in %s (0 adopted)\n", d.dir);
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	answer = ctl_raw(&d, "vm list\n");
	ASSERT_NE(NULL, answer);
	EXPECT_EQ(4, count_lines(answer)) TH_LOG("%s", answer);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		snprintf(want, sizeof(want), "%.*s", (int)strcspn(lines[i], " "), lines[i]);
		EXPECT_STREQ(lines[i], list_line(answer, want));
	}
	free(answer);
	handshake(_metadata, d.dir, "cfg-a", 41, 1, 128 << 10, 1, &s);
	session_close(&s);
	handshake(_metadata, d.dir, "cfg-b", 42, VMMGMT_VECTORS_DEFAULT, 256 << 10, 1, &s);
	session_close(&s);
	daemon_end(_metadata, &d);
}

struct bad_config {
	const char *file;
	const char *text;
	const char *why;	/* expected after "vmmgmtd: CONF/" */
};

static const struct bad_config bad_configs[] = {
	{ "a.conf", "id=0\n", "a.conf:1: bad VM id '0' for a" },
	{ "a.conf", "# c\nid=70000\n", "a.conf:2: bad VM id '70000' for a" },
	{ "a.conf", "size=3M\n", "a.conf:1: bad size '3M'" },
	{ "a.conf", "vectors=65\n", "a.conf:1: bad vector count '65'" },
	{ "a.conf", "\n\ncolour=blue\n", "a.conf:3: unknown setting 'colour'" },
	{ "a.conf", "id=3\nid=4\n", "a.conf:2: 'id' set twice" },
	{ "a.conf", "id\n", "a.conf:1: expected KEY=VALUE, got 'id'" },
	{ "a.b.conf", "id=3\n", "a.b.conf: bad VM name 'a.b'" },
	{ "cmd.conf", "id=5\n", "cmd.conf: duplicate VM name 'cmd' (also on the command line)" },
	{ "b.conf", "id=9\n", "b.conf: duplicate VM id 9 (cmd and b)" },
};

/* A bad file: one line naming the file and the line, exit 2. */
TEST(config_dir_bad)
{
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX", dir[64], conf[64], want[256];
	char *argv[16], *out, *err;
	unsigned int i;
	int status;

	ASSERT_NE(NULL, mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	snprintf(conf, sizeof(conf), "%s/vms.d", tmp);
	for (i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		const struct bad_config *c = &bad_configs[i];

		remove_tree(conf);
		ASSERT_EQ(0, mkdir(conf, 0755));
		write_file(conf, c->file, c->text);
		argv[0] = (char *)daemon_path();
		argv[1] = "-f";
		argv[2] = "--no-module";
		argv[3] = "-d";
		argv[4] = dir;
		argv[5] = "-c";
		argv[6] = conf;
		argv[7] = "cmd=9";
		argv[8] = NULL;
		status = run_to_end(tmp, argv, &out, &err);
		EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 2)
			TH_LOG("case %u (%s): status %#x", i, c->why, status);
		EXPECT_EQ(1, count_lines(err)) TH_LOG("case %u: stderr '%s'", i, err);
		snprintf(want, sizeof(want), "vmmgmtd: %s/%s", conf, c->why);
		EXPECT_EQ(0, strncmp(err, want, strlen(want)))
			TH_LOG("case %u: want '%s', stderr '%s'", i, want, err);
		EXPECT_STREQ("", out);
		free(out);
		free(err);
	}
	/* A missing -c directory is an error; nothing was created. */
	remove_tree(conf);
	status = run_to_end(tmp, argv, &out, &err);
	EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 2)
		TH_LOG("status %#x", status);
	snprintf(want, sizeof(want), "vmmgmtd: config directory %s: No such file or directory\n",
		 conf);
	EXPECT_STREQ(want, err);
	free(out);
	free(err);
	EXPECT_NE(0, access(dir, F_OK));
	remove_tree(tmp);
}

/* ---- VMs that outlive their vmmgmtd (ABI 0.8, with the host module) ---- */

/*
 * A fake QEMU in a child process (the module watches its pid): connects
 * to DIR/@name.sock, takes the setup (3 + 2 * @vectors messages), says so
 * on a pipe and sleeps.  Its pid, or -1.
 */
static pid_t fake_qemu(const char *dir, const char *name, unsigned int vectors)
{
	int pipefd[2], sock, fd, nfds;
	pid_t parent = getpid(), pid;
	unsigned int got = 0;
	__s64 val;
	char c;

	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		die_with_parent(parent);
		close(pipefd[0]);
		sock = connect_vm(dir, name);
		while (sock >= 0 && got < 3 + 2 * vectors &&
		       recv_msg(sock, &val, &fd, &nfds, WAIT_MS) == 1)
			got++;	/* the fds stay open, as QEMU's would */
		c = got == 3 + 2 * vectors ? 'r' : 'x';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (!readable(pipefd[0], WAIT_MS) || read(pipefd[0], &c, 1) != 1 || c != 'r') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pipefd[0]);
	return pid;
}

/*
 * A VM registered by one vmmgmtd survives its SIGKILL (orphan), a new
 * vmmgmtd adopts it and lets it go when its QEMU exits; a configured slot
 * that collides with a registered VM is skipped.
 */
TEST(adopt_after_sigkill)
{
	static const char *const names[] = { "orphan=13", NULL };
	static const char *const colliding[] = { "orphan=14", "other=13", NULL };
	struct vmmgmt_host_vm_info info;
	char want[256], path[PATH_MAX], *answer;
	struct daemon d;
	struct session s;
	__u64 adoptions = 0;
	int status, fd, fd2, nfds;
	pid_t qemu;
	__s64 val;

	if (!have_module())
		SKIP(return, VMMGMT_HOST_DEV " missing: needs the host module (ABI 0.8)");
	daemon_init(&d);
	d.vectors_arg = "1";
	ASSERT_TRUE(start_daemon_vms(&d, names, 1)) {
		daemon_end(_metadata, &d);
	}
	qemu = fake_qemu(d.dir, "orphan", 1);
	ASSERT_LT(0, qemu) {
		daemon_end(_metadata, &d);
	}
	snprintf(want, sizeof(want), "vmmgmtd: orphan (id 13): connected: pid %d, generation 1,",
		 (int)qemu);
	EXPECT_TRUE(wait_for_text(d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);

	/* SIGKILL: the VM stays, an orphan. */
	kill(d.pid, SIGKILL);
	waitpid(d.pid, &status, 0);
	d.pid = 0;
	ASSERT_EQ(1, module_vm("orphan", &info));
	EXPECT_EQ(13U, info.vm_id);
	EXPECT_EQ((__u32)qemu, info.qemu_pid);
	EXPECT_EQ(1U, info.nr_vectors);
	EXPECT_EQ((__u32)(VMMGMT_HOST_VM_F_PERSIST | VMMGMT_HOST_VM_F_ORPHAN), info.flags);
	EXPECT_EQ(0U, info.adoptions);
	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/orphan");
	EXPECT_EQ(0, access(path, F_OK));

	/* A new vmmgmtd adopts it. */
	ASSERT_TRUE(start_daemon_vms(&d, names, 1)) {
		kill(qemu, SIGKILL);
		daemon_end(_metadata, &d);
	}
	snprintf(want, sizeof(want), "vmmgmtd: ready: 1 VMs in %s (1 adopted)\n", d.dir);
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	snprintf(want, sizeof(want), "vmmgmtd: orphan (id 13): adopted: QEMU pid %d\n", (int)qemu);
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	ASSERT_EQ(1, module_vm("orphan", &info));
	EXPECT_EQ((__u32)VMMGMT_HOST_VM_F_PERSIST, info.flags);
	EXPECT_EQ(1U, info.adoptions);
	EXPECT_EQ(0, vmmgmt_read_attr_u64(path, "adoptions", &adoptions));
	EXPECT_EQ(1ULL, adoptions);
	answer = ctl_raw(&d, "vm list\n");
	ASSERT_NE(NULL, answer);
	snprintf(want, sizeof(want),
		 "orphan id=13 size=%llu vectors=1 state=adopted pid=%d registered=1 adoptions=1",
		 (unsigned long long)VMMGMT_REGION_DEFAULT_SIZE, (int)qemu);
	EXPECT_STREQ(want, list_line(answer, "orphan"));
	free(answer);

	/* Its socket listens, but refuses another QEMU while this one runs. */
	fd = connect_vm(d.dir, "orphan");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, recv_msg(fd, &val, &fd2, &nfds, WAIT_MS));
	close(fd);
	snprintf(want, sizeof(want),
		 "vmmgmtd: orphan (id 13): refused connection from pid %d: adopted QEMU pid %d runs\n",
		 (int)getpid(), (int)qemu);
	EXPECT_TRUE(wait_for_text(d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);

	/* QEMU exits: the VM goes, the slot waits for the next QEMU. */
	kill(qemu, SIGKILL);
	waitpid(qemu, NULL, 0);
	snprintf(want, sizeof(want), "vmmgmtd: orphan (id 13): adopted QEMU pid %d exited\n",
		 (int)qemu);
	EXPECT_TRUE(wait_for_text(d.log, want, WAIT_MS)) TH_LOG("no line: %s", want);
	EXPECT_TRUE(module_vm_gone("orphan", 2000));
	EXPECT_NE(0, access(path, F_OK));
	handshake(_metadata, d.dir, "orphan", 13, 1, VMMGMT_REGION_DEFAULT_SIZE, 1, &s);

	/* SIGTERM leaves it registered too; a colliding slot is skipped. */
	stop(d.pid, SIGTERM);
	d.pid = 0;
	ASSERT_EQ(1, module_vm("orphan", &info));
	EXPECT_EQ((__u32)(VMMGMT_HOST_VM_F_PERSIST | VMMGMT_HOST_VM_F_ORPHAN), info.flags);
	ASSERT_TRUE(start_daemon_vms(&d, colliding, 1)) {
		module_del(13);
		session_close(&s);
		daemon_end(_metadata, &d);
	}
	snprintf(want, sizeof(want),
		 "vmmgmtd: orphan (id 14): skipped: collides with registered VM orphan (id 13, QEMU pid %d)\n",
		 (int)getpid());
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	snprintf(want, sizeof(want),
		 "vmmgmtd: other (id 13): skipped: collides with registered VM orphan (id 13, QEMU pid %d)\n",
		 (int)getpid());
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	snprintf(want, sizeof(want), "vmmgmtd: orphan (id 13): adopted: QEMU pid %d\n",
		 (int)getpid());
	EXPECT_TRUE(file_contains(d.log, want)) TH_LOG("no line: %s", want);
	/* A new registration (our handshake): its first adoption. */
	ASSERT_EQ(1, module_vm("orphan", &info));
	EXPECT_EQ(1U, info.adoptions);
	EXPECT_EQ((__u32)getpid(), info.qemu_pid);

	/* vm del of an adopted VM unregisters it. */
	answer = ctl_raw(&d, "vm del orphan\n");
	ASSERT_NE(NULL, answer);
	EXPECT_STREQ("ok\n", answer);
	free(answer);
	EXPECT_TRUE(module_vm_gone("orphan", WAIT_MS));
	session_close(&s);
	daemon_end(_metadata, &d);
}

/* ---- command lines ---- */

struct bad_cmdline {
	const char *args[6];
	const char *why;	/* expected in the one-line error */
};

static const struct bad_cmdline bad_cmdlines[] = {
	{ { "-s", "3M", "a" }, "bad size" },
	{ { "-s", "32K", "a" }, "bad size" },
	{ { "-s", "128M", "a" }, "bad size" },
	{ { "-s", "1X", "a" }, "bad size" },
	{ { "-s", "-1M", "a" }, "bad size" },
	{ { "-s", "18446744073709551616", "a" }, "bad size" },
	{ { "-s", "", "a" }, "bad size" },
	{ { "-n", "0", "a" }, "bad vector count" },
	{ { "-n", "65", "a" }, "bad vector count" },
	{ { "a", "b", "a" }, "duplicate VM name 'a'" },
	{ { "a/b" }, "bad VM name" },
	{ { "a.b" }, "bad VM name" },
	{ { "" }, "bad VM name" },
	{ { "=3" }, "bad VM name" },
	{ { "abcdefghijabcdefghijabcdefghij12" }, "bad VM name" },	/* 32 */
	{ { "a=0" }, "bad VM id" },
	{ { "a=65536" }, "bad VM id" },
	{ { "a=x" }, "bad VM id" },
	{ { "a=" }, "bad VM id" },
	{ { "a=3", "b=3" }, "duplicate VM id 3" },
	{ { "-d" }, "needs an argument" },
	{ { "--frobnicate", "a" }, "unknown option" },
};

TEST(bad_command_lines)
{
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX", dir[64];
	char *argv[16], *out, *err;
	unsigned int i, j;
	int n, status;
	DIR *d;

	ASSERT_NE(NULL, mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	for (i = 0; i < ARRAY_SIZE(bad_cmdlines); i++) {
		const struct bad_cmdline *c = &bad_cmdlines[i];

		n = 0;
		argv[n++] = (char *)daemon_path();
		argv[n++] = "-f";
		argv[n++] = "--no-module";
		if (!(c->args[0] && !strcmp(c->args[0], "-d"))) {
			argv[n++] = "-d";
			argv[n++] = dir;
		}
		for (j = 0; c->args[j]; j++)
			argv[n++] = (char *)c->args[j];
		argv[n] = NULL;

		status = run_to_end(tmp, argv, &out, &err);
		EXPECT_NE(-1, status) TH_LOG("case %u (%s) did not exit", i, c->why);
		if (status != -1) {
			EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
				    WEXITSTATUS(status) != 127)
				TH_LOG("case %u (%s): status %#x", i, c->why, status);
		}
		EXPECT_EQ(1, count_lines(err)) TH_LOG("case %u: stderr '%s'", i, err);
		EXPECT_EQ(0, strncmp(err, "vmmgmtd: ", 9)) TH_LOG("case %u: stderr '%s'", i, err);
		EXPECT_NE(NULL, strstr(err, c->why))
			TH_LOG("case %u: want '%s', stderr '%s'", i, c->why, err);
		EXPECT_STREQ("", out);
		free(out);
		free(err);
	}
	/* Nothing was created. */
	d = opendir(dir);
	EXPECT_EQ(NULL, d);
	if (d)
		closedir(d);
	remove_tree(tmp);
}

TEST(socket_dir_without_parent)
{
	char *const argv[] = { (char *)daemon_path(), "-f", "--no-module", "-d",
			 "/nonexistent-vmmgmt-parent/run", "a", NULL };
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX";
	char *out, *err;
	int status;

	ASSERT_NE(NULL, mkdtemp(tmp));
	status = run_to_end(tmp, argv, &out, &err);
	EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		TH_LOG("status %#x", status);
	EXPECT_EQ(1, count_lines(err)) TH_LOG("stderr '%s'", err);
	EXPECT_NE(NULL, strstr(err, "/nonexistent-vmmgmt-parent/run")) TH_LOG("stderr '%s'", err);
	free(out);
	free(err);
	remove_tree(tmp);
}

/* Entries of @path but "." and "..", or -1. */
static int dir_entries(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * A socket directory someone else could write to, or a symbolic link to
 * one, is refused with one line that says why, and nothing is created
 * in it.
 */
TEST(socket_dir_unsafe)
{
	static const struct {
		const char *why;
		mode_t mode;
		uid_t uid;
		bool link;
	} cases[] = {
		{ "writable by its group or others (mode 0777)", 0777, 0, false },
		{ "writable by its group or others (mode 0775)", 0775, 0, false },
		{ "owned by uid 65534", 0755, 65534, false },
		{ "a symbolic link", 0755, 0, true },
	};
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX", real[64], dir[64];
	char *const argv[] = { (char *)daemon_path(), "-f", "--no-module",
			       "-d", dir, "a", NULL };
	const char *target;
	char *out, *err;
	unsigned int i;
	int status;

	if (geteuid())
		SKIP(return, "needs root (chown)");
	ASSERT_NE(NULL, mkdtemp(tmp));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(real, sizeof(real), "%s/real%u", tmp, i);
		snprintf(dir, sizeof(dir), "%s/run%u", tmp, i);
		ASSERT_EQ(0, mkdir(real, 0755));
		ASSERT_EQ(0, chmod(real, cases[i].mode));
		ASSERT_EQ(0, chown(real, cases[i].uid, -1));
		if (cases[i].link) {
			ASSERT_EQ(0, symlink(real, dir));
			target = real;
		} else {
			ASSERT_EQ(0, rename(real, dir));
			target = dir;
		}
		status = run_to_end(tmp, argv, &out, &err);
		EXPECT_TRUE(status != -1 && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 1)
			TH_LOG("case %u: status %#x", i, status);
		EXPECT_EQ(1, count_lines(err)) TH_LOG("case %u: stderr '%s'", i, err);
		EXPECT_NE(NULL, strstr(err, cases[i].why))
			TH_LOG("case %u: want '%s', stderr '%s'", i, cases[i].why, err);
		/* Nothing of vmmgmtd's in it. */
		EXPECT_EQ(0, dir_entries(target))
			TH_LOG("case %u: files created", i);
		free(out);
		free(err);
	}
	remove_tree(tmp);
}

TEST(missing_module)
{
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX", dir[64];
	char *const argv[] = { (char *)daemon_path(), "-f", "-d", dir, "a", NULL };
	char *out, *err;
	int status;

	if (have_module())
		SKIP(return, VMMGMT_HOST_DEV " exists: the host module is loaded");
	ASSERT_NE(NULL, mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	status = run_to_end(tmp, argv, &out, &err);
	EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		TH_LOG("status %#x", status);
	EXPECT_STREQ("vmmgmtd: /dev/vmmgmt-host not found: is vmmgmt_host.ko loaded?\n", err);
	EXPECT_NE(0, access(dir, F_OK));
	free(out);
	free(err);
	remove_tree(tmp);
}

TEST(help)
{
	char *const argv[] = { (char *)daemon_path(), "--help", NULL };
	char tmp[] = "/tmp/vmmgmtd-test.XXXXXX";
	char *out, *err;
	int status;

	ASSERT_NE(NULL, mkdtemp(tmp));
	status = run_to_end(tmp, argv, &out, &err);
	EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status %#x", status);
	EXPECT_EQ(0, strncmp(out, "Usage: vmmgmtd ", 15)) TH_LOG("stdout '%s'", out);
	EXPECT_NE(NULL, strstr(out, "--no-module"));
	EXPECT_STREQ("", err);
	free(out);
	free(err);
	remove_tree(tmp);
}

TEST_HARNESS_MAIN
