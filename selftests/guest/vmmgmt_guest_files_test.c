// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt file mode (issue 15), end to end: the guest's `vmmgmtctl file`
 * against the host's vmmgmtd, which host-init (check mode) starts with
 * files=rw and an empty export for every guest (Documentation/files.rst).
 *
 * Runs vmmgmtctl (VMMGMTCTL, default /opt/vmmgmt/bin/vmmgmtctl, where
 * scripts/mkinitramfs puts it) and reads its exit status, its --json
 * object (a few fields, found by name) and its message:
 *  - the service answers: `file ls` succeeds; no listener on host port
 *    21 (ECONNREFUSED, "no file service on the host") fails the test;
 *  - a 4 MiB file of a known pattern: put, stat (size, type), ls (the
 *    name with its size), get back to a new path (the bytes compared),
 *    rm, then stat fails with ENOENT;
 *  - an empty file: put, stat (size 0), get back (empty), rm;
 *  - `file get ../../etc/passwd` fails with EXDEV and exit status 1,
 *    writing nothing, and so does a put to ../;
 *  - with file mode off in sysfs, `file ls` fails (exit 1, "file mode is
 *    off").
 *
 * The fixture turns file mode on (modes/file/enabled) and restores what
 * it found.  Remote names carry the pid, so a test never meets another's
 * file.  Skipped without the device (unless VMMGMT_REQUIRE_DEVICE), and
 * while the link is not up, like the other guest tests.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

#define CTL_DEFAULT	"/opt/vmmgmt/bin/vmmgmtctl"
#define FILE_ENABLED	VMMGMT_GUEST_SYSFS "/modes/file/enabled"
#define BIG_SIZE	(4U * 1024 * 1024)
#define OUT_MAX		(64 * 1024)
#define ERR_MAX		4096
/* What vmmgmtctl says when nothing listens on host port 21. */
#define NO_SERVICE	"no file service on the host"
#define NO_SERVICE_HINT	" (ECONNREFUSED: nothing listens on host port 21; host-init's vmmgmtd serves file mode)"

/* One run of vmmgmtctl: its exit status (128 + signal), stdout, stderr. */
struct ctl_run {
	int status;
	char out[OUT_MAX];
	char err[ERR_MAX];
	char msg[ERR_MAX + 2048];	/* ctl_ok(), ctl_errno(): why not */
};

static const char *ctl_path(void)
{
	const char *p = getenv("VMMGMTCTL");

	return p && *p ? p : CTL_DEFAULT;
}

/* Read @fd to its end into @buf (NUL-terminated, cut at @size - 1). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char sink[512];
	ssize_t r;

	for (;;) {
		if (n < size - 1)
			r = read(fd, buf + n, size - 1 - n);
		else
			r = read(fd, sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n < size - 1)
			n += r;
	}
	buf[n] = '\0';
}

/*
 * run_ctl() - run vmmgmtctl with @argv (NULL-terminated, without the
 * program) and collect what it says.  stderr is read after stdout: its
 * few lines fit a pipe.
 * Return: 0, or -errno when it could not be started.
 */
static int run_ctl(struct ctl_run *r, const char *const *argv)
{
	const char *args[16];
	int out[2], err[2], st, i;
	pid_t pid;

	args[0] = ctl_path();
	for (i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(args[0], (char *const *)args);
		dprintf(err[1], "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/*
 * The number after "@key": in @s (a --json object), before @end when
 * @end is set; false when there is none.
 */
static bool json_num(const char *s, const char *end, const char *key,
		     long long *v)
{
	char pat[64];
	const char *p;
	char *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p || (end && p > end))
		return false;
	*v = strtoll(p + strlen(pat), &e, 10);
	return e != p + strlen(pat);
}

/* Byte @i of the big file: not periodic within a page or a chunk. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 131) ^ (i >> 9) ^ (i >> 17) * 29);
}

/* Write @size bytes of the pattern to @path; 0 or -errno. */
static int write_pattern(const char *path, size_t size)
{
	unsigned char buf[4096];
	size_t off = 0, k, n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < size && !err) {
		n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (k = 0; k < n; k++)
			buf[k] = pattern(off + k);
		if (write(fd, buf, n) != (ssize_t)n)
			err = errno ? -errno : -EIO;
		off += n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * Check @path against the pattern: @size bytes.  Return: -1 when all
 * match, else the offset of the first difference (or of the end, when
 * the file is shorter or longer); -2 when it cannot be read.
 */
static long long check_pattern(const char *path, size_t size)
{
	unsigned char buf[4096];
	size_t off = 0, k;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (k = 0; k < (size_t)n; k++)
			if (off + k >= size || buf[k] != pattern(off + k)) {
				close(fd);
				return off + k;
			}
		off += n;
	}
	close(fd);
	if (n < 0)
		return -2;
	return off == size ? -1 : (long long)off;
}

/*
 * ctl() - run vmmgmtctl with the arguments that follow (NULL ends them);
 * @r->status is -1 and @r->err says why when it could not be started.
 */
#define ctl(r, ...) ctl_argv(r, (const char *const[]){ __VA_ARGS__, NULL })

static void ctl_argv(struct ctl_run *r, const char *const *argv)
{
	int err = run_ctl(r, argv);

	if (err) {
		r->status = -1;
		snprintf(r->err, sizeof(r->err), "cannot run %s: %s", ctl_path(),
			 strerror(-err));
	}
}

/* vmmgmtctl succeeded (exit 0); else @r->msg says what it said. */
static bool ctl_ok(struct ctl_run *r, const char *what)
{
	snprintf(r->msg, sizeof(r->msg), "%s: exit %d: %s%s", what, r->status,
		 r->err, strstr(r->err, NO_SERVICE) ? NO_SERVICE_HINT : "");
	return r->status == 0;
}

/*
 * vmmgmtctl failed as files.rst "Errors" says: exit 1, "result":"error"
 * and errno @e in its --json; else @r->msg says what it did.
 */
static bool ctl_errno(struct ctl_run *r, const char *what, int e)
{
	long long got = -1;

	if (r->status != 1) {
		snprintf(r->msg, sizeof(r->msg), "%s: exit %d, expected 1 (%s): %s",
			 what, r->status, strerror(e), r->err);
		return false;
	}
	if (!json_num(r->out, NULL, "errno", &got) ||
	    !strstr(r->out, "\"result\":\"error\"")) {
		snprintf(r->msg, sizeof(r->msg), "%s: no error in --json: '%.1024s' (%s)",
			 what, r->out, r->err);
		return false;
	}
	snprintf(r->msg, sizeof(r->msg), "%s: errno %lld (%s), expected %d (%s)",
		 what, got, strerror(got), e, strerror(e));
	return got == e;
}

FIXTURE(files) {
	bool ready;
	char enabled[16];		/* modes/file/enabled as found */
	char dir[64];			/* local files: mkdtemp() */
	char remote[64];		/* this test's remote name */
	char local[128], back[128];	/* what is put, what comes back */
};

FIXTURE_SETUP(files)
{
	int fd;

	self->ready = false;
	self->remote[0] = '\0';
	self->local[0] = '\0';
	if (!open_link_up(_metadata, &fd))
		return;
	close(fd);
	ASSERT_EQ(0, vmmgmt_read_raw(FILE_ENABLED, self->enabled, sizeof(self->enabled)))
		TH_LOG(FILE_ENABLED ": cannot read (no file mode in the guest module?)");
	self->ready = true;	/* the teardown restores it from here on */
	ASSERT_EQ(0, vmmgmt_write_text(FILE_ENABLED, "1"))
		TH_LOG(FILE_ENABLED ": cannot write 1");
	snprintf(self->dir, sizeof(self->dir), "/tmp/vmmgmt-files-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir))
		TH_LOG("mkdtemp: %s", strerror(errno));
	snprintf(self->remote, sizeof(self->remote), "files-test-%d", (int)getpid());
	snprintf(self->local, sizeof(self->local), "%s/put", self->dir);
	snprintf(self->back, sizeof(self->back), "%s/back", self->dir);
}

FIXTURE_TEARDOWN(files)
{
	struct ctl_run *r;

	if (!self->ready)
		return;
	/* Best effort: the remote file of a test that stopped half-way. */
	r = self->remote[0] ? malloc(sizeof(*r)) : NULL;
	if (r) {
		ctl(r, "file", "rm", self->remote);
		free(r);
	}
	if (self->local[0]) {
		unlink(self->local);
		unlink(self->back);
		rmdir(self->dir);
	}
	vmmgmt_write_text(FILE_ENABLED, self->enabled[0] == '1' ? "1" : "0");
}

/* The host's file service listens on port 21 and serves this VM. */
TEST_F(files, service_answers)
{
	static struct ctl_run r;

	ctl(&r, "--json", "file", "ls");
	ASSERT_EQ(NULL, strstr(r.err, NO_SERVICE)) TH_LOG("file ls: %s%s", r.err, NO_SERVICE_HINT);
	ASSERT_TRUE(ctl_ok(&r, "file ls")) TH_LOG("%s", r.msg);
	ASSERT_NE(NULL, strstr(r.out, "\"result\":\"ok\""))
		TH_LOG("file ls --json: '%s'", r.out);
}

/* 4 MiB: put, stat, ls, get back and compare, rm, stat fails. */
TEST_F_TIMEOUT(files, big_round_trip, 180)
{
	static struct ctl_run r;
	long long v = -1, at;
	char name[96];
	const char *e;

	ASSERT_EQ(0, write_pattern(self->local, BIG_SIZE));

	ctl(&r, "--json", "file", "put", self->local, self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file put")) TH_LOG("%s", r.msg);
	ASSERT_TRUE(json_num(r.out, NULL, "bytes", &v)) TH_LOG("file put --json: '%s'", r.out);
	ASSERT_EQ(BIG_SIZE, v) TH_LOG("file put: %lld bytes sent, expected %u", v, BIG_SIZE);

	ctl(&r, "--json", "file", "stat", self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file stat")) TH_LOG("%s", r.msg);
	ASSERT_TRUE(json_num(r.out, NULL, "size", &v)) TH_LOG("file stat --json: '%s'", r.out);
	ASSERT_EQ(BIG_SIZE, v) TH_LOG("file stat: size %lld on the host, expected %u", v, BIG_SIZE);
	ASSERT_NE(NULL, strstr(r.out, "\"type\":\"file\"")) TH_LOG("file stat: '%s'", r.out);

	ctl(&r, "--json", "file", "ls");
	ASSERT_TRUE(ctl_ok(&r, "file ls")) TH_LOG("%s", r.msg);
	snprintf(name, sizeof(name), "\"name\":\"%s\"", self->remote);
	e = strstr(r.out, name);
	ASSERT_NE(NULL, e) TH_LOG("file ls: %s not listed: '%s'", self->remote, r.out);
	v = -1;
	ASSERT_TRUE(json_num(e, strchr(e, '}'), "size", &v)) TH_LOG("file ls: '%s'", r.out);
	ASSERT_EQ(BIG_SIZE, v) TH_LOG("file ls: %s has size %lld, expected %u",
				      self->remote, v, BIG_SIZE);

	ctl(&r, "--json", "file", "get", self->remote, self->back);
	ASSERT_TRUE(ctl_ok(&r, "file get")) TH_LOG("%s", r.msg);
	at = check_pattern(self->back, BIG_SIZE);
	ASSERT_EQ(-1, at) TH_LOG("file get: %s differs from what was put at byte %lld%s",
				 self->back, at, at == -2 ? " (cannot read it)" : "");

	ctl(&r, "--json", "file", "rm", self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file rm")) TH_LOG("%s", r.msg);
	ctl(&r, "--json", "file", "stat", self->remote);
	ASSERT_TRUE(ctl_errno(&r, "file stat after rm", ENOENT)) TH_LOG("%s", r.msg);
}

/* An empty file: put, stat, get back (empty), rm. */
TEST_F(files, empty_round_trip)
{
	static struct ctl_run r;
	struct stat st;
	long long v = -1;

	ASSERT_EQ(0, write_pattern(self->local, 0));
	ctl(&r, "--json", "file", "put", self->local, self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file put (empty)")) TH_LOG("%s", r.msg);
	ctl(&r, "--json", "file", "stat", self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file stat (empty)")) TH_LOG("%s", r.msg);
	ASSERT_TRUE(json_num(r.out, NULL, "size", &v)) TH_LOG("file stat --json: '%s'", r.out);
	ASSERT_EQ(0, v) TH_LOG("file stat: the empty file has size %lld on the host", v);
	ctl(&r, "--json", "file", "get", self->remote, self->back);
	ASSERT_TRUE(ctl_ok(&r, "file get (empty)")) TH_LOG("%s", r.msg);
	ASSERT_EQ(0, stat(self->back, &st)) TH_LOG("file get: %s: %s", self->back, strerror(errno));
	ASSERT_EQ(0, st.st_size) TH_LOG("file get: the empty file came back with %lld bytes",
					(long long)st.st_size);
	ctl(&r, "--json", "file", "rm", self->remote);
	ASSERT_TRUE(ctl_ok(&r, "file rm (empty)")) TH_LOG("%s", r.msg);
}

/* A path out of the export: EXDEV, exit 1, nothing written here. */
TEST_F(files, escape_refused)
{
	static struct ctl_run r;

	ctl(&r, "--json", "file", "get", "../../etc/passwd", self->back);
	ASSERT_TRUE(ctl_errno(&r, "file get ../../etc/passwd", EXDEV)) TH_LOG("%s", r.msg);
	ASSERT_NE(0, access(self->back, F_OK))
		TH_LOG("file get ../../etc/passwd: %s was written", self->back);

	ASSERT_EQ(0, write_pattern(self->local, 100));
	ctl(&r, "--json", "file", "put", self->local, "../files-test-escape");
	ASSERT_TRUE(ctl_errno(&r, "file put ../files-test-escape", EXDEV)) TH_LOG("%s", r.msg);
}

/* File mode off in sysfs: the guest module refuses it (EPERM), exit 1. */
TEST_F(files, mode_off_refused)
{
	static struct ctl_run r;

	ASSERT_EQ(0, vmmgmt_write_text(FILE_ENABLED, "0"));
	ctl(&r, "--json", "file", "ls");
	ASSERT_EQ(1, r.status) TH_LOG("file ls with file mode off: exit %d: %s", r.status, r.err);
	ASSERT_NE(NULL, strstr(r.err, "file mode is off"))
		TH_LOG("file ls with file mode off: '%s'", r.err);
}

TEST_HARNESS_MAIN
