// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_file_proto_test: unit test of file mode's protocol without a VM:
 * vmmgmtd's file service (tools/vmmgmtd/files.c) and vmmgmtctl's client
 * (tools/vmmgmtctl/file_client.c), built in, talk over socketpairs, the
 * server in a thread per session, in a temporary export directory with a
 * sibling directory "outside" that nothing may reach.  Cases: put/get
 * round trips checked by SHA-256 (a small file, an empty one, 64 MiB
 * sparse-ish), modes carried, ls, stat, rm, a read-only export, the
 * quota (EDQUOT), files open (EMFILE), transfers (EBUSY), every escape
 * (.., absolute, symlinks out, symlinks in without files_links, magic
 * links of /proc/self), a byte flipped in transit (EBADMSG), a truncated
 * stream, a sender that fails, oversize and broken header fields; after
 * each, no file under the real name, no temporary file left, nothing new
 * outside the export.  Then the guest's agent's exports (put alone, a
 * refusing export, the audit hook's events).  Last, vmmgmtctl's file
 * commands themselves (tools/vmmgmtctl/vmmgmtctl, VMMGMT_FILE_FD=N)
 * against the service, their argument errors, and file serve and file
 * recv (two vmmgmtctl on a socketpair, VMMGMT_FILE_PEER for the peer's
 * VM, VMMGMT_SYSFS for a sysfs of the test's own) against file push,
 * pull and send: modes/file/enabled and dir read for every stream,
 * EPERM, EACCES, escapes, --from, puts only, the audit lines.
 *
 * Usage: tools/tests/vmmgmt_file_proto_test (make -C tools test).  Prints TAP;
 * exit 0 only when every check passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../vmmgmtd/files.h"
#include "../vmmgmtctl/file_client.h"
#include "vmmgmt_file_proto.h"

static unsigned int tests, failures;
static char top[64], exp_dir[128], out_dir[128], local_dir[128];

static void check(bool ok, const char *what)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %u - %s\n", ok ? "" : "not ", tests, what);
	fflush(stdout);
}

/* check() of an errno: @got (0 or -errno) must be @want. */
static void check_err(int got, int want, const char *what)
{
	char buf[256];

	if (got == want) {
		check(true, what);
		return;
	}
	snprintf(buf, sizeof(buf), "%s: got %d (%s), want %d (%s)", what, got,
		 strerror(-got), want, strerror(-want));
	check(false, buf);
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- sessions: a server thread on one end of a socketpair ---- */

struct session {
	struct vmmgmtd_files_export *e;
	int cfd, sfd;
	int ret;		/* vmmgmtd_files_serve()'s */
	pthread_t thread;
};

static void *session_thread(void *arg)
{
	struct session *s = arg;

	s->ret = vmmgmtd_files_serve(s->e, s->sfd);
	close(s->sfd);
	return NULL;
}

static void session_open(struct session *s, struct vmmgmtd_files_export *e)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	s->e = e;
	s->cfd = sv[0];
	s->sfd = sv[1];
	s->ret = 1;
	if (pthread_create(&s->thread, NULL, session_thread, s))
		die("pthread_create");
}

/* The client's end; return what the server's session returned. */
static int session_close(struct session *s)
{
	shutdown(s->cfd, SHUT_WR);
	pthread_join(s->thread, NULL);
	close(s->cfd);
	return s->ret;
}

/* The client goes away without reading the rest: the server's writes fail. */
static int session_abort(struct session *s)
{
	close(s->cfd);
	pthread_join(s->thread, NULL);
	return s->ret;
}

/* ---- exports ---- */

static void export_open(struct vmmgmtd_files_export *e, const char *dir,
			enum vmmgmtd_files_access access, bool links,
			__u64 quota)
{
	struct vmmgmtd_files_conf conf;
	char err[256];

	vmmgmtd_files_conf_init(&conf);
	conf.access = access;
	conf.dir = (char *)dir;
	conf.links = links;
	conf.quota = quota;
	if (vmmgmtd_files_open(e, "test", &conf, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
}

/* ---- local files ---- */

static void path_of(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* A file of @size bytes of the pattern @seed in @dir; @holes: sparse. */
static void make_file(const char *dir, const char *name, __u64 size,
		      __u64 seed, bool holes)
{
	char path[256], *buf = malloc(1 << 20);
	__u64 off;
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !buf || ftruncate(fd, size))
		die(path);
	for (off = 0; off < size; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? size - off : (1 << 20);

		/* Sparse-ish: one MiB in four written, the rest holes. */
		if (holes && (off >> 20) % 4)
			continue;
		vmmgmt_pattern_fill(seed, off, buf, n);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			die(path);
	}
	close(fd);
	free(buf);
}

/* SHA-256 of the file @dir/@name; false if it cannot be read. */
static bool file_sha(const char *dir, const char *name, __u8 *digest)
{
	struct vmmgmt_sha256 sha;
	char path[256], buf[65536];
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	vmmgmt_sha256_init(&sha);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		vmmgmt_sha256_update(&sha, buf, n);
	close(fd);
	vmmgmt_sha256_final(&sha, digest);
	return !n;
}

static bool exists(const char *dir, const char *name)
{
	struct stat st;
	char path[256];

	path_of(path, sizeof(path), dir, name);
	return !lstat(path, &st);
}

/* The entries of @dir: how many, and whether a put's temporary is one. */
static unsigned int count_entries(const char *dir, bool *tmp)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*tmp = false;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (!strncmp(de->d_name, VMMGMT_FILE_TMP_PREFIX,
			     strlen(VMMGMT_FILE_TMP_PREFIX)))
			*tmp = true;
	}
	closedir(d);
	return n;
}

/*
 * Nothing new outside the export: outside/ holds its one file, the
 * temporary directory its three, and the export no put's temporary.
 */
static void check_outside(const char *what)
{
	bool tmp_out, tmp_top, tmp_exp;
	char buf[256];

	count_entries(exp_dir, &tmp_exp);
	snprintf(buf, sizeof(buf), "%s: nothing left outside the export or half-written",
		 what);
	check(count_entries(out_dir, &tmp_out) == 1 && exists(out_dir, "secret") &&
	      count_entries(top, &tmp_top) == 3 && !tmp_exp, buf);
}

/* Put the local file @name as @remote: the client's answer. */
static int put_local_x(struct session *s, const char *name, const char *remote,
		       struct vmmgmt_file_xfer *x)
{
	struct stat st;
	char path[256];
	int fd, err;

	path_of(path, sizeof(path), local_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	err = vmmgmt_file_client_put(s->cfd, fd, st.st_size, st.st_mode, remote, x);
	close(fd);
	return err;
}

static int put_local(struct session *s, const char *name, const char *remote,
		     __u32 flags, __u8 *digest)
{
	struct vmmgmt_file_xfer x = { .flags = flags };
	int err = put_local_x(s, name, remote, &x);

	if (digest)
		memcpy(digest, x.digest, sizeof(x.digest));
	return err;
}

/* Get @remote into the local file @name (removed again on an error). */
static int get_local(struct session *s, const char *remote, const char *name,
		     __u8 *digest)
{
	char path[256];
	int fd, err;

	struct vmmgmt_file_xfer x = { 0 };

	path_of(path, sizeof(path), local_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	err = vmmgmt_file_client_get(s->cfd, remote, fd, &x);
	close(fd);
	if (err)
		unlink(path);
	else if (digest)
		memcpy(digest, x.digest, sizeof(x.digest));
	return err;
}

/* ---- raw requests, for what the client never sends ---- */

static void raw_req(struct vmmgmt_file_req *req, unsigned int op,
		    const char *path, __u64 size)
{
	vmmgmt_file_req_init(req, op, strlen(path));
	req->size = htole64(size);
	req->mode = htole32(op == VMMGMT_FILE_PUT ? 0644 : 0);
}

/*
 * The header and its path in one write(), so that a server that answers
 * the header alone and ends the session cannot make it fail half-way.
 */
static void raw_send(int fd, const struct vmmgmt_file_req *req,
		     const void *path, size_t len)
{
	struct iovec iov[2] = {
		{ (void *)req, sizeof(*req) }, { (void *)path, len },
	};

	if (vmmgmt_file_writev_all(fd, iov, 2))
		die("raw write");
}

/* The server's answer: 0, its -status, -EPROTO, or the stream's. */
static int raw_answer(int fd, unsigned int op)
{
	struct vmmgmt_file_resp resp;
	int err = vmmgmt_read_full(fd, &resp, sizeof(resp), NULL);

	if (err)
		return err;
	if (vmmgmt_file_resp_check(&resp, op))
		return -EPROTO;
	return -(int)le32toh(resp.status);
}

static void raw_chunk(int fd, const void *data, __u32 len, __u32 hdr_len)
{
	struct vmmgmt_file_chunk c = {
		.magic = htole32(VMMGMT_FILE_DATA_MAGIC),
		.len = htole32(hdr_len),
	};

	struct iovec iov[2] = { { &c, sizeof(c) }, { (void *)data, len } };

	/* One write(), as raw_send(). */
	if (vmmgmt_file_writev_all(fd, iov, 2))
		die("raw chunk");
}

static void raw_end(int fd, __u64 total, const void *data, size_t len)
{
	struct vmmgmt_file_end end = {
		.magic = htole32(VMMGMT_FILE_END_MAGIC),
		.total = htole64(total),
	};
	struct vmmgmt_sha256 sha;

	vmmgmt_sha256_init(&sha);
	vmmgmt_sha256_update(&sha, data, len);
	vmmgmt_sha256_final(&sha, end.sha256);
	if (vmmgmt_write_all(fd, &end, sizeof(end)))
		die("raw end");
}

/* ---- the cases ---- */

static int ls_collect(void *arg, const char *name,
		      const struct vmmgmt_file_info *info)
{
	char *buf = arg;

	(void)info;
	strcat(buf, name);
	strcat(buf, S_ISDIR(info->mode) ? "/ " : " ");
	return 0;
}

static void test_round_trips(struct vmmgmtd_files_export *e)
{
	__u8 sent[VMMGMT_SHA256_DIGEST], got[VMMGMT_SHA256_DIGEST];
	__u8 local[VMMGMT_SHA256_DIGEST], remote[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_info info;
	struct session s;
	char path[256];
	struct stat st;

	session_open(&s, e);
	make_file(local_dir, "small", 100000, 1, false);
	check_err(put_local(&s, "small", "small.bin", 0, sent), 0, "put small");
	check(file_sha(local_dir, "small", local) && file_sha(exp_dir, "small.bin", remote) &&
	      !memcmp(local, remote, sizeof(local)) && !memcmp(local, sent, sizeof(local)),
	      "put small: the export's copy has the local file's SHA-256");
	check_err(get_local(&s, "small.bin", "small.back", got), 0, "get small");
	check(file_sha(local_dir, "small.back", remote) && !memcmp(local, remote, sizeof(local)) &&
	      !memcmp(got, local, sizeof(local)), "get small: same SHA-256 back");

	make_file(local_dir, "empty", 0, 0, false);
	check_err(put_local(&s, "empty", "empty", 0, sent), 0, "put an empty file");
	check_err(vmmgmt_file_client_stat(s.cfd, "empty", &info), 0, "stat the empty file");
	check(info.size == 0 && S_ISREG(info.mode), "stat: a regular file of 0 bytes");
	check_err(get_local(&s, "empty", "empty.back", got), 0, "get the empty file");
	check(file_sha(local_dir, "empty.back", remote) && !memcmp(sent, remote, sizeof(sent)),
	      "the empty file's SHA-256 round trip");

	make_file(local_dir, "big", 64ULL << 20, 7, true);
	check_err(put_local(&s, "big", "big.bin", 0, sent), 0, "put 64 MiB sparse-ish");
	check(file_sha(local_dir, "big", local) && file_sha(exp_dir, "big.bin", remote) &&
	      !memcmp(local, remote, sizeof(local)), "64 MiB: the export's SHA-256 matches");
	path_of(path, sizeof(path), exp_dir, "big.bin");
	check(!stat(path, &st) && st.st_size == 64LL << 20 &&
	      (__u64)st.st_blocks * 512 <= 20ULL << 20,
	      "64 MiB: the export's copy stays sparse (16 MiB of data, the rest holes)");
	check_err(get_local(&s, "big.bin", "big.back", got), 0, "get 64 MiB");
	check(file_sha(local_dir, "big.back", remote) && !memcmp(local, remote, sizeof(local)),
	      "64 MiB: the copy back matches");
	path_of(path, sizeof(path), local_dir, "big");
	unlink(path);
	path_of(path, sizeof(path), local_dir, "big.back");
	unlink(path);

	path_of(path, sizeof(path), local_dir, "small");
	chmod(path, 0640);
	check_err(put_local(&s, "small", "mode.bin", 0, NULL), 0, "put a 0640 file");
	check_err(vmmgmt_file_client_stat(s.cfd, "mode.bin", &info), 0, "stat it");
	check((info.mode & 07777) == 0640 && info.size == 100000,
	      "its mode 0640 and size are carried");
	check_err(put_local(&s, "small", "small.bin", VMMGMT_FILE_F_EXCL, NULL), -EEXIST,
		  "put with EXCL over an existing file: EEXIST");
	check_err(put_local(&s, "small", "small.bin", 0, NULL), 0, "put over an existing file");
	check_err(session_close(&s), 0, "the session ends cleanly");
	check_outside("round trips");
}

static void test_ls_stat_rm(struct vmmgmtd_files_export *e)
{
	struct vmmgmt_file_info info;
	char list[4096] = "", path[256];
	struct session s;
	bool trunc;

	path_of(path, sizeof(path), exp_dir, "dir");
	mkdir(path, 0755);
	path_of(path, sizeof(path), exp_dir, "dir/inner");
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	path_of(path, sizeof(path), exp_dir, ".vmmgmt-put-stale");
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	path_of(path, sizeof(path), exp_dir, "fifo");
	mkfifo(path, 0644);

	session_open(&s, e);
	check_err(vmmgmt_file_client_ls(s.cfd, "", ls_collect, list, &trunc), 0, "ls the export");
	check(!strcmp(list, "big.bin dir/ empty fifo mode.bin small.bin ") && !trunc,
	      "ls: every entry in name order, put's temporaries hidden");
	list[0] = '\0';
	check_err(vmmgmt_file_client_ls(s.cfd, "dir", ls_collect, list, &trunc), 0, "ls dir");
	check(!strcmp(list, "inner "), "ls dir: its one file");
	check_err(vmmgmt_file_client_ls(s.cfd, "small.bin", ls_collect, list, &trunc),
		  -ENOTDIR, "ls of a file: ENOTDIR");
	check_err(vmmgmt_file_client_stat(s.cfd, "", &info), 0, "stat the export");
	check(S_ISDIR(info.mode), "stat of the export: a directory");
	check_err(vmmgmt_file_client_stat(s.cfd, "nothing", &info), -ENOENT,
		  "stat of a missing file: ENOENT");
	check_err(vmmgmt_file_client_stat(s.cfd, ".vmmgmt-put-stale", &info), -ENOENT,
		  "stat of a put's temporary: ENOENT");
	check_err(get_local(&s, "dir", "x", NULL), -EISDIR, "get a directory: EISDIR");
	check_err(get_local(&s, "fifo", "x", NULL), -EINVAL,
		  "get a FIFO: EINVAL, and the session does not hang");
	check_err(put_local(&s, "small", "dir", 0, NULL), -EISDIR,
		  "put over a directory: EISDIR");
	check_err(put_local(&s, "small", ".vmmgmt-put-x", 0, NULL), -EINVAL,
		  "put to a temporary's name: EINVAL");
	check_err(vmmgmt_file_client_rm(s.cfd, "dir"), -EISDIR, "rm a directory: EISDIR");
	check_err(vmmgmt_file_client_rm(s.cfd, "nothing"), -ENOENT, "rm a missing file: ENOENT");
	check_err(vmmgmt_file_client_rm(s.cfd, "mode.bin"), 0, "rm a file");
	check(!exists(exp_dir, "mode.bin"), "rm: the file is gone");
	check_err(vmmgmt_file_client_rm(s.cfd, "dir/inner"), 0, "rm a file in a directory");
	check_err(session_close(&s), 0, "the session ends cleanly");
	path_of(path, sizeof(path), exp_dir, ".vmmgmt-put-stale");
	unlink(path);
	path_of(path, sizeof(path), exp_dir, "fifo");
	unlink(path);
	check_outside("ls, stat, rm");
}

static void test_read_only(void)
{
	struct vmmgmtd_files_export e;
	struct session s;

	export_open(&e, exp_dir, VMMGMTD_FILES_RO, false, 0);
	session_open(&s, &e);
	check_err(put_local(&s, "small", "ro.bin", 0, NULL), -EACCES,
		  "read-only export: put refused with EACCES");
	check(!exists(exp_dir, "ro.bin"), "read-only: nothing written");
	check_err(vmmgmt_file_client_rm(s.cfd, "small.bin"), -EACCES,
		  "read-only export: rm refused with EACCES");
	check(exists(exp_dir, "small.bin"), "read-only: nothing removed");
	check_err(get_local(&s, "small.bin", "ro.back", NULL), 0, "read-only export: get works");
	check_err(session_close(&s), 0, "the session ends cleanly");
	vmmgmtd_files_close(&e);
	check_outside("read-only");
}

static void test_quota(void)
{
	struct vmmgmtd_files_export e;
	char sub[192];
	struct session s;

	snprintf(sub, sizeof(sub), "%s/dir", exp_dir);
	/* The export's dir/ is empty: a quota of 1 MiB for it. */
	export_open(&e, sub, VMMGMTD_FILES_RW, false, 1 << 20);
	make_file(local_dir, "600k", 600 << 10, 3, false);
	make_file(local_dir, "900k", 900 << 10, 4, false);
	session_open(&s, &e);
	check_err(put_local(&s, "600k", "a", 0, NULL), 0, "quota 1 MiB: put 600 KiB");
	check_err(put_local(&s, "600k", "b", 0, NULL), -EDQUOT,
		  "quota: another 600 KiB refused with EDQUOT");
	check(!exists(sub, "b"), "quota: nothing of the refused file");
	check_err(put_local(&s, "900k", "a", 0, NULL), 0,
		  "quota: replacing the 600 KiB by 900 KiB fits");
	check_err(vmmgmt_file_client_rm(s.cfd, "a"), 0, "quota: rm frees it");
	check_err(put_local(&s, "600k", "b", 0, NULL), 0, "quota: then 600 KiB fits again");
	check_err(vmmgmt_file_client_rm(s.cfd, "b"), 0, "quota: rm");
	check_err(session_close(&s), 0, "the session ends cleanly");
	vmmgmtd_files_close(&e);
	check_outside("quota");
}

/* A raw put that got its first answer and holds its transfer. */
static void held_put(struct session *s, const char *remote, __u64 size)
{
	struct vmmgmt_file_req req;

	raw_req(&req, VMMGMT_FILE_PUT, remote, size);
	raw_send(s->cfd, &req, remote, strlen(remote));
	check_err(raw_answer(s->cfd, VMMGMT_FILE_PUT), 0, "a put under way");
}

static void test_limits(void)
{
	struct vmmgmtd_files_export e;
	struct vmmgmtd_files_conf conf;
	struct vmmgmt_file_info info;
	struct session a, b;
	char data[10] = "0123456789", err[256];

	vmmgmtd_files_conf_init(&conf);
	conf.access = VMMGMTD_FILES_RW;
	conf.dir = exp_dir;
	conf.max_transfers = 1;
	conf.max_open = 2;
	if (vmmgmtd_files_open(&e, "test", &conf, err, sizeof(err)))
		die(err);
	session_open(&a, &e);
	session_open(&b, &e);
	held_put(&a, "held", sizeof(data));
	check_err(put_local(&b, "small", "other", 0, NULL), -EBUSY,
		  "a second transfer beyond files_max_transfers=1: EBUSY");
	check_err(get_local(&b, "small.bin", "x", NULL), -EBUSY,
		  "a get beyond files_max_transfers=1: EBUSY");
	check_err(vmmgmt_file_client_stat(b.cfd, "small.bin", &info), 0,
		  "a stat while one file is open (files_max_open=2)");
	e.conf.max_open = 1;
	check_err(vmmgmt_file_client_stat(b.cfd, "small.bin", &info), -EMFILE,
		  "a stat beyond files_max_open=1: EMFILE");
	raw_chunk(a.cfd, data, sizeof(data), sizeof(data));
	raw_end(a.cfd, sizeof(data), data, sizeof(data));
	check_err(raw_answer(a.cfd, VMMGMT_FILE_PUT), 0, "the held put completes");
	check_err(vmmgmt_file_client_stat(b.cfd, "held", &info), 0,
		  "after it, a stat is served again");
	check_err(vmmgmt_file_client_rm(b.cfd, "held"), 0, "rm it");
	check_err(session_close(&a), 0, "session a ends cleanly");
	check_err(session_close(&b), 0, "session b ends cleanly");
	vmmgmtd_files_close(&e);
	check_outside("limits");
}

struct escape {
	const char *path;
	int want_nolinks, want_links;	/* files_links=0, =1 */
};

static void test_escapes(void)
{
	static const struct escape cases[] = {
		{ "../x", -EXDEV, -EXDEV },
		{ "../outside/secret", -EXDEV, -EXDEV },
		{ "/etc/passwd", -EXDEV, -EXDEV },
		{ "/x", -EXDEV, -EXDEV },
		{ "a/../../b", -EXDEV, -EXDEV },
		{ "dir/../../outside/secret", -EXDEV, -EXDEV },
		{ "out/secret", -ELOOP, -EXDEV },	/* symlink to ../outside */
		{ "root/etc/passwd", -ELOOP, -EXDEV },	/* symlink to / */
		{ "in/inner2", -ELOOP, 0 },		/* symlink to dir, inside */
		{ "loop/x", -ELOOP, -ELOOP },		/* symlink to itself */
	};
	struct vmmgmtd_files_export nolinks, links;
	struct vmmgmt_file_info info;
	struct session s, t;
	char path[256], what[256];
	unsigned int i;

	path_of(path, sizeof(path), exp_dir, "out");
	if (symlink("../outside", path))
		die(path);
	path_of(path, sizeof(path), exp_dir, "root");
	if (symlink("/", path))
		die(path);
	path_of(path, sizeof(path), exp_dir, "in");
	if (symlink("dir", path))
		die(path);
	path_of(path, sizeof(path), exp_dir, "loop");
	if (symlink("loop", path))
		die(path);
	path_of(path, sizeof(path), exp_dir, "dir/inner2");
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	path_of(path, sizeof(path), exp_dir, "a");
	mkdir(path, 0755);

	export_open(&nolinks, exp_dir, VMMGMTD_FILES_RW, false, 0);
	export_open(&links, exp_dir, VMMGMTD_FILES_RW, true, 0);
	session_open(&s, &nolinks);
	session_open(&t, &links);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct escape *c = &cases[i];

		snprintf(what, sizeof(what), "get '%s' (files_links=0)", c->path);
		check_err(get_local(&s, c->path, "esc", NULL), c->want_nolinks, what);
		snprintf(what, sizeof(what), "stat '%s' (files_links=0)", c->path);
		check_err(vmmgmt_file_client_stat(s.cfd, c->path, &info),
			  c->want_nolinks, what);
		snprintf(what, sizeof(what), "get '%s' (files_links=1)", c->path);
		check_err(get_local(&t, c->path, "esc", NULL), c->want_links, what);
		if (!c->want_links)
			continue;
		snprintf(what, sizeof(what), "put '%s' (files_links=1)", c->path);
		check_err(put_local(&t, "small", c->path, 0, NULL), c->want_links, what);
		snprintf(what, sizeof(what), "rm '%s' (files_links=1)", c->path);
		check_err(vmmgmt_file_client_rm(t.cfd, c->path), c->want_links, what);
	}
	check(exists(out_dir, "secret") && !exists(top, "x") && !exists(top, "b"),
	      "escapes: the file outside is still there, nothing created beside the export");
	check_err(put_local(&s, "small", "in/new", 0, NULL), -ELOOP,
		  "put through a symlink inside, files_links=0: ELOOP");
	check_err(put_local(&t, "small", "in/new", 0, NULL), 0,
		  "put through a symlink inside, files_links=1: allowed");
	check(exists(exp_dir, "dir/new"), "... and it is in the directory linked to");
	check_err(vmmgmt_file_client_rm(s.cfd, "in"), 0,
		  "rm of a symlink removes the link itself");
	check(exists(exp_dir, "dir") && !exists(exp_dir, "in"), "... not what it points to");
	check_err(session_close(&s), 0, "session (files_links=0) ends cleanly");
	check_err(session_close(&t), 0, "session (files_links=1) ends cleanly");
	vmmgmtd_files_close(&nolinks);
	vmmgmtd_files_close(&links);
	path_of(path, sizeof(path), exp_dir, "out");
	unlink(path);
	path_of(path, sizeof(path), exp_dir, "root");
	unlink(path);
	path_of(path, sizeof(path), exp_dir, "loop");
	unlink(path);
	check_outside("escapes");
}

/* /proc/self as an export (an administrator's mistake): its magic links. */
static void test_magic_links(void)
{
	static const char * const paths[] = {
		"root/etc/passwd", "cwd", "exe", "fd/0", "root",
	};
	struct vmmgmtd_files_export e;
	struct vmmgmt_file_info info;
	struct session s;
	char what[128];
	unsigned int i;

	export_open(&e, "/proc/self", VMMGMTD_FILES_RO, true, 0);
	session_open(&s, &e);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		snprintf(what, sizeof(what), "magic link '%s' refused (files_links=1): ELOOP",
			 paths[i]);
		check_err(vmmgmt_file_client_stat(s.cfd, paths[i], &info), -ELOOP, what);
	}
	check_err(get_local(&s, "root/etc/passwd", "esc", NULL), -ELOOP,
		  "get through the magic link root/: ELOOP");
	check_err(vmmgmt_file_client_stat(s.cfd, "status", &info), 0,
		  "a plain file of that export is served");
	check_err(session_close(&s), 0, "the session ends cleanly");
	vmmgmtd_files_close(&e);
}

static void test_corruption(struct vmmgmtd_files_export *e)
{
	struct vmmgmt_file_req req;
	struct session s;
	char data[1000], bad[1000];

	vmmgmt_pattern_fill(9, 0, data, sizeof(data));
	memcpy(bad, data, sizeof(bad));
	bad[500] ^= 0x20;

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, "flip.bin", sizeof(data));
	raw_send(s.cfd, &req, "flip.bin", 8);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "flip: put accepted");
	raw_chunk(s.cfd, bad, sizeof(bad), sizeof(bad));
	raw_end(s.cfd, sizeof(data), data, sizeof(data));
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), -EBADMSG,
		  "a byte flipped in transit: EBADMSG");
	check(!exists(exp_dir, "flip.bin"), "flip: no file under the real name");
	check_outside("flip");
	/* The framing held: the session goes on. */
	raw_req(&req, VMMGMT_FILE_PUT, "flip.bin", sizeof(data));
	raw_send(s.cfd, &req, "flip.bin", 8);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "flip: the same session puts again");
	raw_chunk(s.cfd, data, 600, 600);
	raw_chunk(s.cfd, data + 600, 400, 400);
	raw_end(s.cfd, sizeof(data), data, sizeof(data));
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "two good chunks: stored");
	check_err(vmmgmt_file_client_rm(s.cfd, "flip.bin"), 0, "rm it");

	/* Chunks that break the rules end the session with EPROTO. */
	raw_req(&req, VMMGMT_FILE_PUT, "over.bin", 10);
	raw_send(s.cfd, &req, "over.bin", 8);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "over: put accepted");
	raw_chunk(s.cfd, data, 20, 20);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), -EPROTO,
		  "a chunk past the announced size: EPROTO");
	check_err(session_close(&s), -EPROTO, "... and the session ends with EPROTO");
	check(!exists(exp_dir, "over.bin"), "over: no file");
	check_outside("over");

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, "big.chunk", 1 << 20);
	raw_send(s.cfd, &req, "big.chunk", 9);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "oversize chunk: put accepted");
	raw_chunk(s.cfd, data, 0, VMMGMT_FILE_CHUNK_MAX + 1);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), -EPROTO,
		  "a chunk over VMMGMT_FILE_CHUNK_MAX: EPROTO");
	check_err(session_close(&s), -EPROTO, "... the session ends");
	check(!exists(exp_dir, "big.chunk"), "oversize chunk: no file");

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, "short.bin", sizeof(data));
	raw_send(s.cfd, &req, "short.bin", 9);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "short end: put accepted");
	raw_chunk(s.cfd, data, 100, 100);
	raw_end(s.cfd, 100, data, 100);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), -EPROTO,
		  "an end before the announced size: EPROTO");
	check_err(session_close(&s), -EPROTO, "... the session ends");
	check(!exists(exp_dir, "short.bin"), "short end: no file");

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, "cut.bin", sizeof(data));
	raw_send(s.cfd, &req, "cut.bin", 7);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "truncated: put accepted");
	raw_chunk(s.cfd, data, 300, sizeof(data));
	check_err(session_close(&s), -EPIPE,
		  "a stream cut in the middle of a chunk ends the session (EPIPE)");
	check(!exists(exp_dir, "cut.bin"), "truncated stream: no file");
	check_outside("truncated stream");
}

/* A sender whose file ends early: it says so in the end, nothing stays. */
static void test_sender_fails(struct vmmgmtd_files_export *e)
{
	struct vmmgmt_file_xfer x = { 0 };
	struct session s;
	int p[2];

	if (pipe(p))
		die("pipe");
	if (write(p[1], "only ten b", 10) != 10)
		die("write");
	close(p[1]);
	session_open(&s, e);
	check_err(vmmgmt_file_client_put(s.cfd, p[0], 5000, 0644, "shrunk", &x), -EIO,
		  "a local file that ends early: put fails with EIO");
	close(p[0]);
	check(!exists(exp_dir, "shrunk"), "... and no file is left");
	check_err(session_close(&s), 0, "... and the session ends cleanly");
	check_outside("sender fails");
}

/* Does @dir hold a partial file of an interrupted put? */
static bool has_part(const char *dir)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, VMMGMT_FILE_PART_PREFIX,
			     strlen(VMMGMT_FILE_PART_PREFIX)))
			found = true;
	if (d)
		closedir(d);
	return found;
}

/* A put of @len bytes of @data as @remote cut after @chunks whole chunks. */
static void put_cut(struct vmmgmtd_files_export *e, const char *remote,
		    const char *data, __u64 len, unsigned int chunks)
{
	struct vmmgmt_file_req req;
	struct session s;
	unsigned int i;

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, remote, len);
	raw_send(s.cfd, &req, remote, strlen(remote));
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), 0, "cut put: accepted");
	for (i = 0; i < chunks; i++)
		raw_chunk(s.cfd, data + (__u64)i * VMMGMT_FILE_CHUNK_MAX,
			  VMMGMT_FILE_CHUNK_MAX, VMMGMT_FILE_CHUNK_MAX);
	check_err(session_close(&s), -EPIPE, "cut put: the session ends (EPIPE)");
}

/*
 * --resume: a put whose stream broke leaves a hidden partial file that a
 * resumed put continues (only the rest sent), or starts over when the
 * local file differs; rm drops it; a get continues from what the local
 * file holds, or says -ESTALE when that differs.
 */
static void test_resume(struct vmmgmtd_files_export *e)
{
	const __u64 size = 4 * VMMGMT_FILE_CHUNK_MAX + 1000;
	__u8 local[VMMGMT_SHA256_DIGEST], remote[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_xfer x = { .flags = VMMGMT_FILE_F_RESUME };
	char path[256], ls[512] = "", *data;
	bool trunc;
	struct session s;
	int fd;

	data = malloc(size);
	if (!data)
		die("malloc");
	make_file(local_dir, "res", size, 21, false);
	path_of(path, sizeof(path), local_dir, "res");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, data, size) != (ssize_t)size)
		die(path);
	close(fd);

	put_cut(e, "res.bin", data, size, 3);
	check(!exists(exp_dir, "res.bin") && has_part(exp_dir),
	      "a put cut after 3 chunks: no file, a partial file kept");
	session_open(&s, e);
	check_err(vmmgmt_file_client_ls(s.cfd, "", ls_collect, ls, &trunc), 0, "ls");
	check(!strstr(ls, ".vmmgmt"), "ls does not show the partial file");
	check_err(put_local_x(&s, "res", "res.bin", &x), 0, "put --resume");
	check(x.resumed == 3 * VMMGMT_FILE_CHUNK_MAX && !x.restarted,
	      "put --resume sent only what the partial file lacked");
	check(file_sha(local_dir, "res", local) && file_sha(exp_dir, "res.bin", remote) &&
	      !memcmp(local, remote, sizeof(local)) && !memcmp(x.digest, local, sizeof(local)),
	      "put --resume: the export's file has the local SHA-256");
	check(!has_part(exp_dir), "put --resume: the partial file is gone");

	/* What the host kept is not this file's: cancelled, sent whole. */
	data[10] ^= 1;
	put_cut(e, "res2.bin", data, size, 2);
	data[10] ^= 1;
	memset(&x, 0, sizeof(x));
	x.flags = VMMGMT_FILE_F_RESUME;
	check_err(put_local_x(&s, "res", "res2.bin", &x), 0,
		  "put --resume over a partial file of other bytes");
	check(!x.resumed && x.restarted, "... restarted whole");
	check(file_sha(exp_dir, "res2.bin", remote) && !memcmp(local, remote, sizeof(local)) &&
	      !has_part(exp_dir), "... the export's file is the local one, no partial left");

	/* Nothing kept: a resumed put is a whole put. */
	memset(&x, 0, sizeof(x));
	x.flags = VMMGMT_FILE_F_RESUME;
	check_err(put_local_x(&s, "res", "res3.bin", &x), 0, "put --resume with nothing kept");
	check(!x.resumed && !x.restarted, "... sent whole");

	/* rm drops a partial file with or without the file. */
	put_cut(e, "res4.bin", data, size, 1);
	check(has_part(exp_dir), "another cut put: a partial file");
	check_err(vmmgmt_file_client_rm(s.cfd, "res4.bin"), -ENOENT,
		  "rm of the name that never arrived: ENOENT");
	check(!has_part(exp_dir), "... and its partial file is gone");

	/* A get that goes on from what the local file holds. */
	path_of(path, sizeof(path), local_dir, "res.part");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, 700000) != 700000)
		die(path);
	memset(&x, 0, sizeof(x));
	x.flags = VMMGMT_FILE_F_RESUME;
	x.have = 700000;
	check_err(vmmgmt_file_client_get(s.cfd, "res.bin", fd, &x), 0, "get --resume");
	close(fd);
	check(x.resumed == 700000 && file_sha(local_dir, "res.part", remote) &&
	      !memcmp(local, remote, sizeof(local)),
	      "get --resume: fetched the rest, the whole SHA-256 matches");

	/* The local bytes differ: -ESTALE, the stream is to be closed. */
	fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, data + 1, 5000) != 5000)
		die(path);
	memset(&x, 0, sizeof(x));
	x.flags = VMMGMT_FILE_F_RESUME;
	x.have = 5000;
	check_err(vmmgmt_file_client_get(s.cfd, "res.bin", fd, &x), -ESTALE,
		  "get --resume onto other bytes: ESTALE");
	close(fd);
	check_err(session_abort(&s), -EPIPE,
		  "... the client closes the stream: the server's session ends");

	/* The local file holds more than the host's: fetched whole. */
	session_open(&s, e);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, data, 1, size + 10) != 1)
		die(path);
	memset(&x, 0, sizeof(x));
	x.flags = VMMGMT_FILE_F_RESUME;
	x.have = size + 11;
	check_err(vmmgmt_file_client_get(s.cfd, "res.bin", fd, &x), 0,
		  "get --resume with more than the file: whole");
	close(fd);
	check(!x.resumed && file_sha(local_dir, "res.part", remote) &&
	      !memcmp(local, remote, sizeof(local)), "... and the copy matches");
	check_err(session_close(&s), 0, "the session ends cleanly");
	unlink(path);
	free(data);
	check_outside("resume");
}

/* A request header with one field broken; the answer must be @want. */
static void bad_header(struct vmmgmtd_files_export *e, const char *what,
		       void (*tweak)(struct vmmgmt_file_req *req), int want,
		       bool ends)
{
	struct vmmgmt_file_req req;
	struct session s;
	char buf[160];
	int ret;

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_PUT, "hdr.bin", 10);
	tweak(&req);
	raw_send(s.cfd, &req, "hdr.bin", 7);
	check_err(raw_answer(s.cfd, le16toh(req.op)), want, what);
	ret = session_close(&s);
	snprintf(buf, sizeof(buf), "%s: the session %s", what, ends ? "ends" : "goes on");
	check(ends ? ret == want : ret == 0 || ret == -EPROTO, buf);
	check(!exists(exp_dir, "hdr.bin"), "... and no file");
}

static void tw_magic(struct vmmgmt_file_req *r) { r->magic = htole32(0x12345678); }
static void tw_version(struct vmmgmt_file_req *r) { r->version = htole16(2); }
static void tw_op(struct vmmgmt_file_req *r) { r->op = htole16(9); }
static void tw_flags(struct vmmgmt_file_req *r) { r->flags = htole32(0x80); }
static void tw_reserved(struct vmmgmt_file_req *r) { r->reserved = htole32(1); }
static void tw_mode(struct vmmgmt_file_req *r) { r->mode = htole32(0170644); }
static void tw_size(struct vmmgmt_file_req *r) { r->size = htole64(VMMGMT_FILE_SIZE_MAX + 1); }
static void tw_path(struct vmmgmt_file_req *r) { r->path_len = htole32(VMMGMT_FILE_PATH_MAX + 1); }
static void tw_stat_size(struct vmmgmt_file_req *r)
{
	r->op = htole16(VMMGMT_FILE_STAT);
	r->mode = 0;
}

static void test_headers(struct vmmgmtd_files_export *e)
{
	struct vmmgmt_file_req req;
	struct session s;
	char *name;

	bad_header(e, "bad magic: EPROTO", tw_magic, -EPROTO, true);
	bad_header(e, "version 2: EPROTONOSUPPORT", tw_version, -EPROTONOSUPPORT, true);
	bad_header(e, "op 9: EOPNOTSUPP", tw_op, -EOPNOTSUPP, true);
	bad_header(e, "unknown flags: EINVAL", tw_flags, -EINVAL, true);
	bad_header(e, "reserved nonzero: EINVAL", tw_reserved, -EINVAL, true);
	bad_header(e, "mode with type bits: EINVAL", tw_mode, -EINVAL, true);
	bad_header(e, "size over VMMGMT_FILE_SIZE_MAX: EFBIG", tw_size, -EFBIG, true);
	bad_header(e, "path_len over VMMGMT_FILE_PATH_MAX: ENAMETOOLONG", tw_path,
		   -ENAMETOOLONG, true);
	bad_header(e, "stat with a size: EINVAL", tw_stat_size, -EINVAL, true);

	session_open(&s, e);
	raw_req(&req, VMMGMT_FILE_GET, "", 0);
	req.path_len = htole32(7);
	raw_send(s.cfd, &req, "a\0/etc", 7);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_GET), -EINVAL, "a NUL in the path: EINVAL");
	name = malloc(VMMGMT_FILE_PATH_MAX + 1);
	memset(name, 'n', VMMGMT_FILE_NAME_MAX + 1);
	name[VMMGMT_FILE_NAME_MAX + 1] = '\0';
	raw_req(&req, VMMGMT_FILE_STAT, name, 0);
	raw_send(s.cfd, &req, name, strlen(name));
	check_err(raw_answer(s.cfd, VMMGMT_FILE_STAT), -ENAMETOOLONG,
		  "a 256-byte component: ENAMETOOLONG");
	memset(name, 'n', VMMGMT_FILE_PATH_MAX);
	for (int i = 200; i < VMMGMT_FILE_PATH_MAX; i += 200)
		name[i] = '/';
	name[VMMGMT_FILE_PATH_MAX] = '\0';
	raw_req(&req, VMMGMT_FILE_STAT, name, 0);
	raw_send(s.cfd, &req, name, strlen(name));
	check_err(raw_answer(s.cfd, VMMGMT_FILE_STAT), -ENOENT,
		  "a 4095-byte path within the limits: resolved (ENOENT)");
	raw_req(&req, VMMGMT_FILE_PUT, "", 0);
	raw_send(s.cfd, &req, "", 0);
	check_err(raw_answer(s.cfd, VMMGMT_FILE_PUT), -EINVAL, "put of an empty path: EINVAL");
	check_err(vmmgmt_file_client_rm(s.cfd, "dir/.."), -EINVAL, "rm 'dir/..': EINVAL");
	check_err(vmmgmt_file_client_rm(s.cfd, "."), -EINVAL, "rm '.': EINVAL");
	check_err(session_close(&s), 0, "the session went on after each refusal");
	free(name);
	check_outside("headers");
}

/* ---- vmmgmtctl file itself, on a socket (VMMGMT_FILE_FD) ---- */

static char ctl_path[512];

/*
 * Run vmmgmtctl @args with one session's client end as VMMGMT_FILE_FD;
 * its stdout in @out.  Return: its exit status, or -1.
 */
static int run_ctl(struct vmmgmtd_files_export *e, char *out, size_t size,
		   const char *const *args)
{
	const char *argv[16] = { ctl_path };
	struct session s;
	int p[2], status, i;
	char fdnum[16];
	ssize_t n, len = 0;
	pid_t pid;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	session_open(&s, e);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		snprintf(fdnum, sizeof(fdnum), "%d", s.cfd);
		setenv("VMMGMT_FILE_FD", fdnum, 1);
		if (fcntl(s.cfd, F_SETFD, 0) || dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(ctl_path, (char **)argv);
		_exit(127);
	}
	close(p[1]);
	close(s.cfd);
	while (len < (ssize_t)size - 1 && (n = read(p[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	pthread_join(s.thread, NULL);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * vmmgmtctl --resume: a put after one cut short on the host, a get onto
 * the part file an interrupted get left; @local is the 300000-byte file
 * whose SHA-256 @want (as "\"sha256\":\"...\"") names.
 */
static void test_cli_resume(struct vmmgmtd_files_export *e, const char *local,
			    const char *back, const char *want)
{
	char out[4096], part[64], path[320], *data = malloc(300000);
	int fd, ret;

	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (!data || fd < 0 || read(fd, data, 300000) != 300000)
		die(local);
	close(fd);
	/* A put of the first chunk only (300000 bytes announced). */
	put_cut(e, "cli.res", data, 300000, 1);
	ret = run_ctl(e, out, sizeof(out),
		      (const char *[]){ "--json", "--resume", "file", "put", local, "cli.res",
					NULL });
	check(ret == 0 && strstr(out, "\"resumed\":262144,\"restarted\":false") &&
	      strstr(out, want) && !has_part(exp_dir),
	      "vmmgmtctl --json --resume file put: the 256 KiB kept on the host not sent again");

	/* What an interrupted get of cli.res to @back would have left. */
	vmmgmt_file_part_name(VMMGMT_FILE_GET_PART_PREFIX, "cli.back", part, sizeof(part));
	path_of(path, sizeof(path), local_dir, part);
	unlink(back);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, 123456) != 123456)
		die(path);
	close(fd);
	ret = run_ctl(e, out, sizeof(out),
		      (const char *[]){ "--json", "--resume", "file", "get", "cli.res", back,
					NULL });
	check(ret == 0 && strstr(out, "\"resumed\":123456") && strstr(out, want) &&
	      access(path, F_OK) && !access(back, F_OK),
	      "vmmgmtctl --json --resume file get: the rest after 123456 kept bytes, renamed into place");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "file", "rm", "cli.res", NULL });
	check(ret == 0, "vmmgmtctl file rm cli.res");
	free(data);
}

static void test_cli(struct vmmgmtd_files_export *e)
{
	__u8 digest[VMMGMT_SHA256_DIGEST], got[VMMGMT_SHA256_DIGEST];
	char out[4096], local[256], back[256], hex[VMMGMT_SHA256_HEX], want[128];
	struct stat st;
	int ret;

	ret = readlink("/proc/self/exe", ctl_path, sizeof(ctl_path) - 64);
	if (ret < 0)
		die("readlink");
	ctl_path[ret] = '\0';
	snprintf(strrchr(ctl_path, '/'), 64, "/../vmmgmtctl/vmmgmtctl");
	if (stat(ctl_path, &st)) {
		/* make -C tools test builds it first: its absence is a failure. */
		check(false, "vmmgmtctl is built (tools/vmmgmtctl/vmmgmtctl)");
		return;
	}
	make_file(local_dir, "cli", 300000, 11, false);
	file_sha(local_dir, "cli", digest);
	vmmgmt_sha256_hex(digest, hex);
	path_of(local, sizeof(local), local_dir, "cli");

	ret = run_ctl(e, out, sizeof(out),
		      (const char *[]){ "--json", "file", "put", local, "sub/", NULL });
	check(ret == 1 && strstr(out, "\"errno\":2"),
	      "vmmgmtctl file put into a missing directory: exit 1, errno 2 in the JSON");
	ret = run_ctl(e, out, sizeof(out),
		      (const char *[]){ "--json", "file", "put", local, "dir/", NULL });
	snprintf(want, sizeof(want), "\"sha256\":\"%s\"", hex);
	check(ret == 0 && strstr(out, "\"result\":\"ok\"") && strstr(out, want) &&
	      strstr(out, "\"remote\":\"dir/cli\"") && exists(exp_dir, "dir/cli"),
	      "vmmgmtctl --json file put LOCAL dir/: exit 0, its SHA-256, the file there");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "file", "stat", "dir/cli", NULL });
	check(ret == 0 && strstr(out, "size:   300000") && strstr(out, "type:   file"),
	      "vmmgmtctl file stat: size and type");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "--json", "file", "ls", "dir", NULL });
	check(ret == 0 && strstr(out, "{\"name\":\"cli\",\"type\":\"file\"") &&
	      strstr(out, "\"truncated\":false,\"result\":\"ok\"}"),
	      "vmmgmtctl --json file ls dir");
	path_of(back, sizeof(back), local_dir, "cli.back");
	ret = run_ctl(e, out, sizeof(out),
		      (const char *[]){ "--json", "file", "get", "dir/cli", back, NULL });
	check(ret == 0 && strstr(out, want) && file_sha(local_dir, "cli.back", got) &&
	      !memcmp(got, digest, sizeof(got)),
	      "vmmgmtctl --json file get: the same SHA-256, the file renamed into place");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "--json", "file", "get",
		      "../outside/secret", local_dir, NULL });
	check(ret == 1 && strstr(out, "\"errno\":18") && !exists(local_dir, "secret"),
	      "vmmgmtctl file get ../outside/secret: EXDEV, nothing written locally");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "--json", "file", "ls", "..", NULL });
	check(ret == 1 && strstr(out, "\"result\":\"error\"") && strstr(out, "\"errno\":18"),
	      "vmmgmtctl --json file ls ..: exit 1, the error and EXDEV in the JSON");
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "file", "rm", "dir/cli", NULL });
	check(ret == 0 && !exists(exp_dir, "dir/cli"), "vmmgmtctl file rm");
	test_cli_resume(e, local, back, want);
	check_outside("vmmgmtctl file");
}

/* ---- the guest's agent's exports: put alone, refusals, the audit ---- */

/* What the audit hook heard last, and how often. */
struct audit_log {
	unsigned int n;
	struct vmmgmtd_files_event last;
	char path[VMMGMT_FILE_PATH_MAX + 1];
};

static void audit_record(const struct vmmgmtd_files_export *e,
			 const struct vmmgmtd_files_event *ev)
{
	struct audit_log *l = e->audit_arg;

	l->n++;
	l->last = *ev;
	snprintf(l->path, sizeof(l->path), "%s", ev->path);
	l->last.path = l->path;
}

/* The audit of one session's last request (read once it ended). */
static bool audit_is(const struct audit_log *l, unsigned int op,
		     const char *path, __u64 size, __u64 bytes, int err)
{
	return l->n && l->last.op == op && !strcmp(l->path, path) &&
	       l->last.size == size && l->last.bytes == bytes &&
	       l->last.err == err;
}

static void test_agent_exports(struct vmmgmtd_files_export *rw)
{
	struct audit_log log = { 0 };
	struct vmmgmtd_files_export e, r;
	struct vmmgmt_file_info info;
	struct session s;
	char list[64] = "";
	bool truncated;

	/* A put-only export (file recv's): puts alone. */
	export_open(&e, exp_dir, VMMGMTD_FILES_PUT_ONLY, false, 0);
	e.audit = audit_record;
	e.audit_arg = &log;
	session_open(&s, &e);
	check_err(put_local(&s, "small", "drop.bin", 0, NULL), 0, "put-only export: put");
	check_err(get_local(&s, "drop.bin", "esc", NULL), -EACCES, "put-only export: get: EACCES");
	check_err(vmmgmt_file_client_stat(s.cfd, "drop.bin", &info), -EACCES,
		  "put-only export: stat: EACCES");
	check_err(vmmgmt_file_client_ls(s.cfd, "", ls_collect, list, &truncated), -EACCES,
		  "put-only export: ls: EACCES");
	check_err(vmmgmt_file_client_rm(s.cfd, "drop.bin"), -EACCES, "put-only export: rm: EACCES");
	check_err(session_close(&s), 0, "put-only export: the session goes on after each refusal");
	check(exists(exp_dir, "drop.bin") && log.n == 5 &&
	      audit_is(&log, VMMGMT_FILE_RM, "drop.bin", 0, 0, -EACCES),
	      "put-only export: the file stays; five requests audited, the last the refused rm");
	/*
	 * The audit is read once the session ended: the server records a
	 * request after its answer, which the client may see first (CI
	 * preview, 2026-12-07).
	 */
	session_open(&s, &e);
	check_err(put_local(&s, "small", "sub/drop.bin", 0, NULL), -EACCES,
		  "put-only export: put below its directory: EACCES");
	session_close(&s);
	check(audit_is(&log, VMMGMT_FILE_PUT, "sub/drop.bin", 100000, 0, -EACCES),
	      "audit: the refused put, its size announced, no bytes");
	session_open(&s, &e);
	check_err(put_local(&s, "small", ".profile", 0, NULL), -EACCES,
		  "put-only export: a hidden name: EACCES");
	check_err(put_local(&s, "small", "drop.bin", 0, NULL), -EEXIST,
		  "put-only export: a name that exists is never replaced: EEXIST");
	session_close(&s);
	check(!exists(exp_dir, ".profile") && !exists(exp_dir, "sub"),
	      "put-only export: nothing hidden or below it written");
	session_open(&s, &e);
	check_err(put_local(&s, "small", "drop2.bin", 0, NULL), 0, "put-only export: another put");
	session_close(&s);
	check(audit_is(&log, VMMGMT_FILE_PUT, "drop2.bin", 100000, 100000, 0) && !log.last.from,
	      "audit: the put, its size and bytes, nothing kept");
	vmmgmtd_files_close(&e);

	/* The read-write export's audit of a get and an ls. */
	rw->audit = audit_record;
	rw->audit_arg = &log;
	session_open(&s, rw);
	check_err(get_local(&s, "drop.bin", "drop.back", NULL), 0, "read-write export: get");
	session_close(&s);
	check(audit_is(&log, VMMGMT_FILE_GET, "drop.bin", 100000, 100000, 0),
	      "audit: the get, the file's size and the bytes sent");
	session_open(&s, rw);
	check_err(vmmgmt_file_client_rm(s.cfd, "drop.bin"), 0, "rm drop.bin");
	check_err(vmmgmt_file_client_rm(s.cfd, "drop2.bin"), 0, "rm drop2.bin");
	session_close(&s);
	check(audit_is(&log, VMMGMT_FILE_RM, "drop2.bin", 0, 0, 0), "audit: the rm");
	rw->audit = NULL;

	/* A refusing export: every request gets its errno, the session ends. */
	vmmgmtd_files_refusing(&r, "refused", -EPERM);
	r.audit = audit_record;
	r.audit_arg = &log;
	session_open(&s, &r);
	check_err(put_local(&s, "small", "no.bin", 0, NULL), -EPERM, "refusing export: put: EPERM");
	check_err(session_close(&s), -EPERM, "refusing export: the session ended with it");
	check(!exists(exp_dir, "no.bin") &&
	      audit_is(&log, VMMGMT_FILE_PUT, "no.bin", 100000, 0, -EPERM),
	      "refusing export: nothing written, the refusal audited");
	vmmgmtd_files_close(&r);
	check_outside("agent exports");
}

/* ---- vmmgmtctl file serve and recv against push, pull and send ---- */

/* A vmmgmtctl command line, NULL-terminated. */
#define ARGV(...)	((const char *const []){ __VA_ARGS__, NULL })

static char agent_sys[256], agent_dir[256], recv_dir[256];

/* What one run of a client against file serve or recv left. */
struct agent_run {
	int rc, srv_rc;			/* the client's and the server's exits */
	char out[4096], err[4096];	/* the client's stdout and stderr */
	char audit[4096];		/* the server's stderr */
};

/* The file @path holds @text, with a newline. */
static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f))
		die(path);
}

/* The file @name of local_dir into @buf (at most @size - 1 bytes). */
static void read_out(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), local_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? 0 : read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * Start vmmgmtctl @args with @fd as VMMGMT_FILE_FD (as a stream of VM
 * @peer, NULL: the host's), agent_sys as its sysfs, stdout and stderr
 * to the files @out and @err of local_dir.
 */
static pid_t spawn_ctl(const char *const *args, int fd, const char *out,
		       const char *err, const char *peer)
{
	const char *argv[16] = { ctl_path };
	char fdnum[16], path[256];
	pid_t pid;
	int i, o;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	snprintf(fdnum, sizeof(fdnum), "%d", fd);
	setenv("VMMGMT_FILE_FD", fdnum, 1);
	setenv("VMMGMT_SYSFS", agent_sys, 1);
	if (peer)
		setenv("VMMGMT_FILE_PEER", peer, 1);
	path_of(path, sizeof(path), local_dir, out);
	o = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o < 0 || dup2(o, STDOUT_FILENO) < 0 || fcntl(fd, F_SETFD, 0))
		_exit(127);
	path_of(path, sizeof(path), local_dir, err);
	o = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o < 0 || dup2(o, STDERR_FILENO) < 0)
		_exit(127);
	execv(ctl_path, (char **)argv);
	_exit(127);
}

static int wait_ctl(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * vmmgmtctl @srv (file serve or recv; the stream is VM @peer's, NULL:
 * the host's) and vmmgmtctl @cli on the two ends of a socketpair.
 */
static void run_agent(struct agent_run *r, const char *const *srv,
		      const char *peer, const char *const *cli)
{
	pid_t s, c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	s = spawn_ctl(srv, sv[0], "agent.out", "agent.err", peer);
	c = spawn_ctl(cli, sv[1], "cli.out", "cli.err", NULL);
	close(sv[0]);
	close(sv[1]);
	r->rc = wait_ctl(c);
	r->srv_rc = wait_ctl(s);
	read_out("agent.err", r->audit, sizeof(r->audit));
	read_out("cli.out", r->out, sizeof(r->out));
	read_out("cli.err", r->err, sizeof(r->err));
}

/* vmmgmtctl @args alone (a usage error is all it gets to): its exit. */
static int run_alone(const char *const *args, char *err, size_t size)
{
	int rc;

	rc = wait_ctl(spawn_ctl(args, 2, "cli.out", "cli.err", NULL));
	read_out("cli.err", err, size);
	return rc;
}

static void test_cli_args(void)
{
	const char *const *const bad[] = {
		ARGV("file", "push"),
		ARGV("file", "push", "web"),
		ARGV("file", "push", "web", "a", "b", "c"),
		ARGV("file", "push", "bad/vm", "a"),
		ARGV("file", "pull", "web"),
		ARGV("file", "pull", "web", "a", "b", "c"),
		ARGV("--json", "file", "pull", "web", "a", "-"),
		ARGV("--resume", "file", "pull", "web", "a", "-"),
		ARGV("file", "send"),
		ARGV("file", "send", "3"),
		ARGV("file", "send", "0", "a"),
		ARGV("file", "send", "no/name", "a"),
		ARGV("file", "send", "3", "a", "b", "c"),
		ARGV("file", "serve", "dir"),
		ARGV("--from", "3", "file", "serve"),
		ARGV("file", "recv", "a", "b"),
		ARGV("--from", ",", "file", "recv"),
		ARGV("--from", "3,0", "file", "recv"),
		ARGV("--from", "bad/name", "file", "recv"),
		ARGV("--from", "", "file", "recv"),
		ARGV("file", "frobnicate"),
	};
	char err[4096], what[512];
	unsigned int i, j;
	size_t n;
	int rc;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rc = run_alone(bad[i], err, sizeof(err));
		n = snprintf(what, sizeof(what), "vmmgmtctl");
		for (j = 0; bad[i][j]; j++)
			n += snprintf(what + n, sizeof(what) - n, " %s",
				      bad[i][j][0] ? bad[i][j] : "''");
		snprintf(what + n, sizeof(what) - n, ": a usage error (exit 2)");
		check(rc == 2 && strstr(err, "see vmmgmtctl --help"), what);
	}
	rc = run_alone(ARGV("file", "recv", "/nonexistent-vmmgmt"), err, sizeof(err));
	check(rc == 1 && strstr(err, "No such file or directory"),
	      "vmmgmtctl file recv DIR: a DIR that does not exist: exit 1");
}

/* The agent's sysfs: modes/file/enabled and modes/file/dir. */
static void agent_set(const char *enabled, const char *dir)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/modes/file/enabled", agent_sys);
	write_text(path, enabled);
	snprintf(path, sizeof(path), "%s/modes/file/dir", agent_sys);
	write_text(path, dir);
}

/*
 * A partial file that a push of @name cut after @len bytes of @local
 * left in @dir; its path in @path.
 */
static void agent_partial(const char *dir, const char *name,
			  const char *local, size_t len, char *path,
			  size_t size)
{
	char part[64], *data = malloc(len);
	int fd;

	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (!data || fd < 0 || read(fd, data, len) != (ssize_t)len)
		die(local);
	close(fd);
	vmmgmt_file_part_name(VMMGMT_FILE_PART_PREFIX, name, part, sizeof(part));
	path_of(path, size, dir, part);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die(path);
	close(fd);
	free(data);
}

/* file serve: push and pull below modes/file/dir, and its refusals. */
static void test_cli_serve(const char *local, const char *sha)
{
	const char *const *serve = ARGV("file", "serve");
	char back[320], path[320];
	struct agent_run r;

	run_agent(&r, serve, NULL, ARGV("--json", "file", "push", "web", local, "p.bin"));
	check(r.rc == 0 && r.srv_rc == 0 && strstr(r.out, "\"op\":\"push\",\"vm\":\"web\"") &&
	      strstr(r.out, sha) && exists(agent_dir, "p.bin"),
	      "file push web LOCAL p.bin into file serve: exit 0, its SHA-256, in modes/file/dir");
	check(strstr(r.audit, "vmmgmtctl: file-audit: agent=serve peer=0:0:0 op=put ") &&
	      strstr(r.audit, " path=\"p.bin\" size=300000 kept=0 bytes=300000 result=ok"),
	      "file serve: the push audited (peer, op, path, size, bytes, result)");
	path_of(back, sizeof(back), local_dir, "p.back");
	run_agent(&r, serve, NULL, ARGV("--json", "file", "pull", "web", "p.bin", back));
	check(r.rc == 0 && strstr(r.out, "\"op\":\"pull\"") && strstr(r.out, sha) &&
	      !access(back, F_OK) &&
	      strstr(r.audit, "op=get path=\"p.bin\" size=300000 kept=0 bytes=300000 result=ok"),
	      "file pull web p.bin LOCAL from file serve: exit 0, the same SHA-256, audited");

	agent_partial(agent_dir, "r.bin", local, 262144, path, sizeof(path));
	run_agent(&r, serve, NULL,
		  ARGV("--json", "--resume", "file", "push", "web", local, "r.bin"));
	check(r.rc == 0 && strstr(r.out, "\"resumed\":262144") && strstr(r.out, sha) &&
	      access(path, F_OK) &&
	      strstr(r.audit, "size=300000 kept=262144 bytes=37856 result=ok"),
	      "file push --resume: only the bytes the partial file lacked, audited so");

	run_agent(&r, serve, NULL,
		  ARGV("--json", "file", "pull", "web", "../../outside/secret", local_dir));
	check(r.rc == 1 && strstr(r.out, "\"errno\":18") && !exists(local_dir, "secret") &&
	      strstr(r.audit, "result=error errno=18"),
	      "file pull of a path out of modes/file/dir: EXDEV, audited");
	path_of(path, sizeof(path), agent_dir, "link");
	if (symlink("p.bin", path))
		die(path);
	run_agent(&r, serve, NULL, ARGV("file", "pull", "web", "link", back));
	check(r.rc == 1 && strstr(r.err, "Too many levels of symbolic links"),
	      "file pull of a symbolic link, even to a file beside it: ELOOP");

	/* What the guest's owner decides, read again for every stream. */
	agent_set("0", agent_dir);
	run_agent(&r, serve, NULL, ARGV("--json", "file", "push", "web", local, "off.bin"));
	check(r.rc == 1 && strstr(r.out, "\"errno\":1") && strstr(r.err, "file mode is off") &&
	      !exists(agent_dir, "off.bin") &&
	      strstr(r.audit, "result=refused errno=1 error=\"Operation not permitted\"") &&
	      strstr(r.audit, " reason=\"file mode is off\""),
	      "file mode off: push refused with EPERM, nothing written, audited with the reason");
	agent_set("1", "");
	run_agent(&r, serve, NULL, ARGV("--json", "file", "pull", "web", "p.bin", back));
	check(r.rc == 1 && strstr(r.out, "\"errno\":13") && strstr(r.err, "modes/file/dir") &&
	      strstr(r.audit, "reason=\"no directory set for the host (modes/file/dir)\""),
	      "no directory set: pull refused with EACCES, audited");
	agent_set("1", "agent-dir");
	run_agent(&r, serve, NULL, ARGV("--json", "file", "push", "web", local, "rel.bin"));
	check(r.rc == 1 && strstr(r.out, "\"errno\":13") && !exists(agent_dir, "rel.bin"),
	      "a relative modes/file/dir: EACCES");
	agent_set("1", recv_dir);
	run_agent(&r, serve, NULL, ARGV("file", "push", "web", local, "moved.bin"));
	check(r.rc == 0 && exists(recv_dir, "moved.bin") && !exists(agent_dir, "moved.bin"),
	      "a new modes/file/dir applies to the next stream");
	path_of(path, sizeof(path), recv_dir, "moved.bin");
	unlink(path);
	agent_set("1", agent_dir);
	run_agent(&r, serve, "3", ARGV("file", "put", local, "vm.bin"));
	check(r.rc == 1 && r.srv_rc == 1 && !exists(agent_dir, "vm.bin") &&
	      strstr(r.audit, "agent=serve peer=0:3:0 op=stream result=closed"),
	      "file serve: a stream of another VM is closed at once, audited");
}

/* file recv: other VMs' send, puts only, --from. */
static void test_cli_recv(const char *local, const char *sha)
{
	const char *const *recv = ARGV("file", "recv", recv_dir);
	char back[320];
	struct agent_run r;

	run_agent(&r, recv, "3", ARGV("--json", "file", "send", "3", local));
	check(r.rc == 0 && r.srv_rc == 0 && strstr(r.out, "\"op\":\"send\",\"vm\":\"3\"") &&
	      strstr(r.out, sha) && exists(recv_dir, "cli") &&
	      strstr(r.audit, "agent=recv peer=0:3:0 op=put path=\"cli\" size=300000"),
	      "file recv DIR: file send of VM 3 lands in DIR, audited");
	run_agent(&r, ARGV("--from", "4,5", "file", "recv", recv_dir), "3",
		  ARGV("--json", "file", "send", "3", local, "x.bin"));
	check(r.rc == 1 && strstr(r.out, "\"errno\":13") && !exists(recv_dir, "x.bin") &&
	      strstr(r.audit, "reason=\"VM 3 is not in --from\""),
	      "file recv --from 4,5: VM 3's send refused with EACCES, audited");
	run_agent(&r, ARGV("--from", "4,3", "file", "recv", recv_dir), "3",
		  ARGV("file", "send", "3", local, "y.bin"));
	check(r.rc == 0 && exists(recv_dir, "y.bin"), "file recv --from 4,3: VM 3's send taken");
	path_of(back, sizeof(back), local_dir, "recv.back");
	run_agent(&r, recv, "3", ARGV("--json", "file", "get", "cli", back));
	check(r.rc == 1 && strstr(r.out, "\"errno\":13") && access(back, F_OK),
	      "file recv: anything but a put (a get) refused with EACCES");
	run_agent(&r, recv, "3", ARGV("file", "send", "3", local, "../esc.bin"));
	check(r.rc == 1 && !exists(local_dir, "esc.bin") && strstr(r.audit, "errno=13"),
	      "file recv: a send out of DIR: EACCES");
	run_agent(&r, recv, "3", ARGV("file", "send", "3", local, "y.bin"));
	check(r.rc == 1 && strstr(r.audit, "errno=17"),
	      "file recv: a send onto a file DIR holds: EEXIST, not replaced");
	run_agent(&r, recv, NULL, ARGV("file", "send", "3", local, "h.bin"));
	check(r.rc == 1 && !exists(recv_dir, "h.bin") &&
	      strstr(r.audit, "agent=recv peer=0:0:0 op=stream result=closed"),
	      "file recv: a stream of the host is closed at once");
}

static void test_cli_agent(void)
{
	char sha[128], hex[VMMGMT_SHA256_HEX], local[256], path[320];
	__u8 digest[VMMGMT_SHA256_DIGEST];

	file_sha(local_dir, "cli", digest);
	vmmgmt_sha256_hex(digest, hex);
	snprintf(sha, sizeof(sha), "\"sha256\":\"%s\"", hex);
	path_of(local, sizeof(local), local_dir, "cli");
	snprintf(agent_sys, sizeof(agent_sys), "%s/agent-sysfs", local_dir);
	snprintf(agent_dir, sizeof(agent_dir), "%s/agent-dir", local_dir);
	snprintf(recv_dir, sizeof(recv_dir), "%s/recv-dir", local_dir);
	snprintf(path, sizeof(path), "%s/modes", agent_sys);
	if (mkdir(agent_sys, 0755) || mkdir(path, 0755) ||
	    mkdir(strcat(path, "/file"), 0755) || mkdir(agent_dir, 0755) ||
	    mkdir(recv_dir, 0755))
		die("mkdir");
	agent_set("1", agent_dir);
	test_cli_serve(local, sha);
	test_cli_recv(local, sha);
	check_outside("vmmgmtctl file serve and recv");
}

/* A session that sends nothing is ended after the export's idle_ms. */
static void test_idle(struct vmmgmtd_files_export *e)
{
	struct vmmgmt_file_info info;
	struct session s;
	double t0;

	e->idle_ms = 300;
	session_open(&s, e);
	check_err(vmmgmt_file_client_stat(s.cfd, "", &info), 0, "idle: a first request");
	t0 = vmmgmt_now_s();
	pthread_join(s.thread, NULL);
	check_err(s.ret, -ETIMEDOUT, "idle: then nothing for 300 ms ends the session");
	check(vmmgmt_now_s() - t0 < 5, "idle: ... within seconds");
	close(s.cfd);
	e->idle_ms = VMMGMTD_FILES_IDLE_MS;
}

int main(void)
{
	struct vmmgmtd_files_export e;
	char path[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A session the server ended: EPIPE for the client, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(top, sizeof(top), "/tmp/vmmgmt-file-test.XXXXXX");
	if (!mkdtemp(top))
		die("mkdtemp");
	snprintf(exp_dir, sizeof(exp_dir), "%s/export", top);
	snprintf(out_dir, sizeof(out_dir), "%s/outside", top);
	snprintf(local_dir, sizeof(local_dir), "%s/local", top);
	if (mkdir(exp_dir, 0755) || mkdir(out_dir, 0755) || mkdir(local_dir, 0755))
		die("mkdir");
	path_of(path, sizeof(path), out_dir, "secret");
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));

	printf("TAP version 13\n");
	check(!vmmgmt_sha256_selftest(), "SHA-256 of the FIPS 180-4 examples");
	export_open(&e, exp_dir, VMMGMTD_FILES_RW, false, 0);
	test_round_trips(&e);
	test_ls_stat_rm(&e);
	test_read_only();
	test_quota();
	test_limits();
	test_escapes();
	test_magic_links();
	test_corruption(&e);
	test_sender_fails(&e);
	test_resume(&e);
	test_headers(&e);
	test_idle(&e);
	test_agent_exports(&e);
	test_cli(&e);
	if (!access(ctl_path, X_OK)) {
		test_cli_args();
		test_cli_agent();
	}
	vmmgmtd_files_close(&e);

	if (!failures) {
		snprintf(path, sizeof(path), "rm -rf '%s'", top);
		if (system(path))
			printf("# could not remove %s\n", top);
	} else {
		printf("# left for inspection: %s\n", top);
	}
	printf("1..%u\n# %u passed, %u failed\n", tests, tests - failures, failures);
	return failures ? 1 : 0;
}
