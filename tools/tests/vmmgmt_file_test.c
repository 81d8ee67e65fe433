// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_file_test: unit test of file mode's protocol without a VM:
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
 * outside the export.  Last, vmmgmtctl's file commands themselves
 * (tools/vmmgmtctl/vmmgmtctl, VMMGMT_FILE_FD=N) against the service.
 *
 * Usage: tools/tests/vmmgmt_file_test (make -C tools test).  Prints TAP;
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
static int put_local(struct session *s, const char *name, const char *remote,
		     __u32 flags, __u8 *digest)
{
	struct vmmgmt_file_info info;
	struct stat st;
	char path[256];
	int fd, err;

	path_of(path, sizeof(path), local_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	err = vmmgmt_file_client_put(s->cfd, fd, st.st_size, st.st_mode, flags,
				     remote, &info, digest, NULL, NULL);
	close(fd);
	return err;
}

/* Get @remote into the local file @name (removed again on an error). */
static int get_local(struct session *s, const char *remote, const char *name,
		     __u8 *digest)
{
	struct vmmgmt_file_info info;
	char path[256];
	int fd, err;

	path_of(path, sizeof(path), local_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	err = vmmgmt_file_client_get(s->cfd, remote, fd, &info, digest, NULL, NULL);
	close(fd);
	if (err)
		unlink(path);
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
	int err = vmmgmt_file_read_full(fd, &resp, sizeof(resp), NULL);

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
	struct session s;
	int p[2];

	if (pipe(p))
		die("pipe");
	if (write(p[1], "only ten b", 10) != 10)
		die("write");
	close(p[1]);
	session_open(&s, e);
	check_err(vmmgmt_file_client_put(s.cfd, p[0], 5000, 0644, 0, "shrunk", NULL, NULL,
					 NULL, NULL), -EIO,
		  "a local file that ends early: put fails with EIO");
	close(p[0]);
	check(!exists(exp_dir, "shrunk"), "... and no file is left");
	check_err(session_close(&s), 0, "... and the session ends cleanly");
	check_outside("sender fails");
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
		check(true, "# SKIP vmmgmtctl not built");
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
	ret = run_ctl(e, out, sizeof(out), (const char *[]){ "file", "rm", "dir/cli", NULL });
	check(ret == 0 && !exists(exp_dir, "dir/cli"), "vmmgmtctl file rm");
	check_outside("vmmgmtctl file");
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
	test_headers(&e);
	test_idle(&e);
	test_cli(&e);
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
