// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: the file service of file mode (issue 15), the host's side of
 * tools/include/vmmgmt_file_proto.h.  It owns a VM's export directory
 * while it is open (vmmgmtd_files_open()), the per-VM limits (bytes the
 * export holds, files open, transfers under way) and the serving of one
 * connected stream (vmmgmtd_files_serve(), blocking, one request after
 * the other until the client's end); several streams of a VM are served
 * by several threads on one export, whose counters are under its lock.
 * It calls libc and the protocol header only, so that the tests drive it
 * over socketpairs (tools/tests/vmmgmt_file_proto_test.c) and vmmgmtctl
 * links it as the guest's agent (vmmgmtctl/file_serve.c); config.c calls
 * vmmgmtd_files_setting() for the files* keys of NAME.conf.  It prints
 * nothing: what each request did goes to the export's audit hook
 * (struct vmmgmtd_files_event), which vmmgmtd logs with -v
 * (files_listen.c) and the guest's agent writes as its audit lines.
 *
 * Why in vmmgmtd and not a daemon of its own: vmmgmtd already knows every
 * VM by name and id and reads their configuration (NAME.conf is where an
 * export is switched on), it holds /dev/vmmgmt-host, and the host module's
 * streams carry the VM id of their peer, so the id of an accepted stream
 * chooses the export without another configuration or a second process to
 * keep in step on upgrades.  The transfers themselves must not stall
 * vmmgmtd's poll() loop: each stream gets a thread of its own.
 *
 * Every path from the guest is resolved by openat2() below the export
 * with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, and RESOLVE_NO_SYMLINKS
 * unless files_links=1: the kernel, not a string check, decides that a
 * path stays inside.  The string checks here (the protocol's syntax, the
 * final component of put and rm) only come on top.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files.h"
#include "vmmgmt_file_proto.h"

/* How deep the walk at open counts the export's bytes. */
#define FILES_WALK_DEPTH	32

/* ---- configuration ---- */

void vmmgmtd_files_conf_init(struct vmmgmtd_files_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->quota = VMMGMTD_FILES_QUOTA_DEFAULT;
	conf->max_open = VMMGMTD_FILES_OPEN_DEFAULT;
	conf->max_transfers = VMMGMTD_FILES_XFERS_DEFAULT;
}

/* A decimal number with an optional K, M, G or T (powers of 1024). */
static bool files_parse_bytes(const char *s, __u64 *val)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		const char *units = "KMGT", *u = strchr(units, *end & ~0x20);

		if (!u || end[1])
			return false;
		shift = 10 * (u - units + 1);
	}
	if (v > (~0ULL >> shift))
		return false;
	*val = (__u64)v << shift;
	return true;
}

static bool files_parse_uint(const char *s, unsigned int max, unsigned int *val)
{
	__u64 v;

	if (!files_parse_bytes(s, &v) || strpbrk(s, "KMGTkmgt") || !v || v > max)
		return false;
	*val = v;
	return true;
}

/**
 * vmmgmtd_files_setting() - one files* KEY=VALUE of NAME.conf.
 * @conf: the VM's settings.
 * @key: files, files_dir, files_links, files_quota, files_max_open or
 *	files_max_transfers.
 * @val: its value.
 * @err: the message when the setting is refused.
 * @len: @err's size.
 *
 * Context: start-up (config.c), one thread.
 * Return: true, or false with a message in @err.
 */
bool vmmgmtd_files_setting(struct vmmgmtd_files_conf *conf, const char *key,
			   const char *val, char *err, size_t len)
{
	if (!strcmp(key, "files")) {
		if (!strcmp(val, "off"))
			conf->access = VMMGMTD_FILES_OFF;
		else if (!strcmp(val, "ro"))
			conf->access = VMMGMTD_FILES_RO;
		else if (!strcmp(val, "rw"))
			conf->access = VMMGMTD_FILES_RW;
		else
			goto bad;
		return true;
	}
	if (!strcmp(key, "files_dir")) {
		if (val[0] != '/' || strlen(val) >= 4096)
			goto bad;
		free(conf->dir);
		conf->dir = strdup(val);
		if (!conf->dir) {
			snprintf(err, len, "out of memory");
			return false;
		}
		return true;
	}
	if (!strcmp(key, "files_links")) {
		if (strcmp(val, "0") && strcmp(val, "1"))
			goto bad;
		conf->links = val[0] == '1';
		return true;
	}
	if (!strcmp(key, "files_quota"))
		return files_parse_bytes(val, &conf->quota) ? true :
		       (snprintf(err, len, "bad %s '%s': bytes, with K, M, G or T (0: no limit)",
				 key, val), false);
	if (!strcmp(key, "files_max_open"))
		return files_parse_uint(val, VMMGMTD_FILES_OPEN_MAX,
					&conf->max_open) ? true :
		       (snprintf(err, len, "bad %s '%s': 1..%u", key, val,
				 VMMGMTD_FILES_OPEN_MAX), false);
	if (!strcmp(key, "files_max_transfers"))
		return files_parse_uint(val, VMMGMTD_FILES_XFERS_MAX,
					&conf->max_transfers) ? true :
		       (snprintf(err, len, "bad %s '%s': 1..%u", key, val,
				 VMMGMTD_FILES_XFERS_MAX), false);
	snprintf(err, len, "unknown setting '%s' (see vmmgmtd.rst: files*)", key);
	return false;
bad:
	snprintf(err, len, "bad %s '%s' (files: off|ro|rw, files_dir: /PATH, files_links: 0|1)",
		 key, val);
	return false;
}

/* ---- the export ---- */

/* Bytes of the regular files below @dfd (closed here), @depth levels. */
static __u64 files_walk(int dfd, unsigned int depth)
{
	struct dirent *de;
	struct stat st;
	__u64 sum = 0;
	DIR *d;
	int sub;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode)) {
			sum += st.st_size;
		} else if (S_ISDIR(st.st_mode) && depth) {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				sum += files_walk(sub, depth - 1);
		}
	}
	closedir(d);
	return sum;
}

/**
 * vmmgmtd_files_open() - open VM @vm's export to serve it.
 * @e: the export, filled in.
 * @vm: the VM's name.
 * @conf: its settings (@conf->access not off); @conf->dir is not kept.
 * @err: the message on failure.
 * @len: @err's size.
 *
 * The directory must exist (it is not created) and be a directory; the
 * bytes of the regular files in it are counted once for the quota (not
 * without one).
 *
 * Context: any thread; no lock.
 * Return: 0, or -errno with a message in @err.
 */
int vmmgmtd_files_open(struct vmmgmtd_files_export *e, const char *vm,
		       const struct vmmgmtd_files_conf *conf, char *err,
		       size_t len)
{
	char path[4096 + VMMGMT_NAME_MAX + 32];
	int fd, ret;

	memset(e, 0, sizeof(*e));
	e->root_fd = -1;
	if (conf->access == VMMGMTD_FILES_OFF) {
		snprintf(err, len, "%s: file service off", vm);
		return -EPERM;
	}
	if (conf->dir)
		snprintf(path, sizeof(path), "%s", conf->dir);
	else
		snprintf(path, sizeof(path), "%s/%s", VMMGMTD_FILES_ROOT, vm);
	e->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0) {
		ret = -errno;
		snprintf(err, len, "%s: export %s: %s", vm, path, strerror(-ret));
		return ret;
	}
	snprintf(e->vm, sizeof(e->vm), "%s", vm);
	e->idle_ms = VMMGMTD_FILES_IDLE_MS;
	e->conf = *conf;
	e->conf.dir = NULL;
	ret = pthread_mutex_init(&e->lock, NULL);
	if (!ret) {
		ret = pthread_mutex_init(&e->names, NULL);
		if (ret)
			pthread_mutex_destroy(&e->lock);
	}
	if (ret) {
		close(e->root_fd);
		e->root_fd = -1;
		snprintf(err, len, "%s: %s", vm, strerror(ret));
		return -ret;
	}
	/* Counted for the quota alone: without one, no walk. */
	fd = conf->quota ? openat(e->root_fd, ".", O_RDONLY | O_DIRECTORY |
				  O_CLOEXEC) : -1;
	if (fd >= 0)
		e->used = files_walk(fd, FILES_WALK_DEPTH);
	return 0;
}

/**
 * vmmgmtd_files_close() - stop serving an export opened by
 * vmmgmtd_files_open().
 * @e: the export; no session may be serving it any more.
 *
 * Context: any thread.
 */
void vmmgmtd_files_close(struct vmmgmtd_files_export *e)
{
	if (e->root_fd < 0)
		return;
	close(e->root_fd);
	e->root_fd = -1;
	pthread_mutex_destroy(&e->names);
	pthread_mutex_destroy(&e->lock);
}

/**
 * vmmgmtd_files_refusing() - an export without a directory, whose every
 * request is answered with @err and ends the session: for a stream that
 * must be told why it is not served (the guest's agent: file mode off,
 * no directory, a VM not let in); a peer that sends no request within
 * VMMGMTD_FILES_REFUSE_IDLE_MS is let go.
 * @e: the export, filled in; vmmgmtd_files_close() has nothing to undo.
 * @who: the peer, for the audit.
 * @err: a negative errno.
 *
 * Context: any thread.
 */
void vmmgmtd_files_refusing(struct vmmgmtd_files_export *e, const char *who,
			    int err)
{
	memset(e, 0, sizeof(*e));
	e->root_fd = -1;
	e->refuse = err;
	/* A refused peer sends its request at once, or holds a slot for nothing. */
	e->idle_ms = VMMGMTD_FILES_REFUSE_IDLE_MS;
	snprintf(e->vm, sizeof(e->vm), "%s", who);
}

/**
 * vmmgmtd_files_new() - vmmgmtd_files_open() into new memory, with one
 * reference (the VM's slot's).
 * @vm: the VM's name.
 * @conf: its settings.
 * @err: the message on failure.
 * @len: @err's size.
 *
 * Context: vmmgmtd's loop.
 * Return: the export, or NULL with a message in @err.
 */
struct vmmgmtd_files_export *vmmgmtd_files_new(const char *vm,
					       const struct vmmgmtd_files_conf *conf,
					       char *err, size_t len)
{
	struct vmmgmtd_files_export *e = malloc(sizeof(*e));

	if (!e) {
		snprintf(err, len, "%s: out of memory", vm);
		return NULL;
	}
	if (vmmgmtd_files_open(e, vm, conf, err, len)) {
		free(e);
		return NULL;
	}
	e->refs = 1;
	return e;
}

/**
 * vmmgmtd_files_ref() - one more user of an export of vmmgmtd_files_new().
 * @e: the export.
 *
 * Context: any thread.
 */
void vmmgmtd_files_ref(struct vmmgmtd_files_export *e)
{
	__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

/**
 * vmmgmtd_files_unref() - one user fewer: the last closes and frees it.
 * @e: the export, or NULL.
 *
 * Context: any thread.
 */
void vmmgmtd_files_unref(struct vmmgmtd_files_export *e)
{
	if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL))
		return;
	vmmgmtd_files_close(e);
	free(e);
}

/* ---- limits ---- */

/* One more file open for the VM: 0 or -EMFILE. */
static int files_get_open(struct vmmgmtd_files_export *e)
{
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	if (e->open >= e->conf.max_open)
		ret = -EMFILE;
	else
		e->open++;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static void files_put_open(struct vmmgmtd_files_export *e)
{
	pthread_mutex_lock(&e->lock);
	e->open--;
	pthread_mutex_unlock(&e->lock);
}

/* One more transfer for the VM: 0 or -EBUSY. */
static int files_get_transfer(struct vmmgmtd_files_export *e)
{
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	if (e->transfers >= e->conf.max_transfers)
		ret = -EBUSY;
	else
		e->transfers++;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static void files_put_transfer(struct vmmgmtd_files_export *e)
{
	pthread_mutex_lock(&e->lock);
	e->transfers--;
	pthread_mutex_unlock(&e->lock);
}

/*
 * Reserve @size bytes for a put that replaces @old bytes: -EDQUOT when
 * the export would hold more than its quota.
 */
static int files_reserve(struct vmmgmtd_files_export *e, __u64 size, __u64 old)
{
	__u64 after;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	after = e->used - (old < e->used ? old : e->used) + e->reserved;
	if (e->conf.quota && (after > e->conf.quota || size > e->conf.quota - after))
		ret = -EDQUOT;
	else
		e->reserved += size;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/* The end of a reservation: @added bytes more, @removed fewer in the export. */
static void files_account(struct vmmgmtd_files_export *e, __u64 reserved,
			  __u64 added, __u64 removed)
{
	pthread_mutex_lock(&e->lock);
	e->reserved -= reserved;
	e->used += added;
	e->used -= removed < e->used ? removed : e->used;
	pthread_mutex_unlock(&e->lock);
}

/* ---- paths ---- */

/* @path below the export, by openat2(): an fd or -errno. */
static int files_openat2(const struct vmmgmtd_files_export *e,
			 const char *path, int flags)
{
	/* openat2() refuses O_PATH with any flag of a real open. */
	struct open_how how = {
		.flags = flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!e->conf.links)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	do {
		fd = syscall(SYS_openat2, e->root_fd, path[0] ? path : ".",
			     &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd < 0 ? -errno : (int)fd;
}

/* The final component of @path (after its last '/'). */
static const char *files_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool files_is_tmp(const char *name)
{
	return !strncmp(name, VMMGMT_FILE_TMP_PREFIX,
			strlen(VMMGMT_FILE_TMP_PREFIX));
}

/*
 * The directory of @path (O_PATH, by openat2()) and, in @name, its final
 * component, which put and rm use with the *at() calls that do not
 * follow it.  @path is split in place.  Return: the directory's fd, or
 * -EINVAL (a final component that is empty, "." or "..", or one of put's
 * temporary names) or openat2()'s -errno.
 */
static int files_parent(const struct vmmgmtd_files_export *e, char *path,
			const char **name)
{
	char *slash = strrchr(path, '/');
	int fd;

	*name = slash ? slash + 1 : path;
	if (!**name || !strcmp(*name, ".") || !strcmp(*name, "..") ||
	    files_is_tmp(*name))
		return -EINVAL;
	if (!slash)
		return files_openat2(e, "", O_PATH | O_DIRECTORY);
	*slash = '\0';
	/* "/x": the root of the host, which RESOLVE_BENEATH refuses. */
	fd = files_openat2(e, path[0] ? path : "/", O_PATH | O_DIRECTORY);
	*slash = '/';
	return fd;
}

/* ---- answers ---- */

/*
 * One request being served: its export and stream, and what the audit
 * hook hears of it (@ev.err: the status answered last).
 */
struct files_req {
	struct vmmgmtd_files_export *e;
	int sfd;
	struct vmmgmtd_files_event ev;
};

static int files_send(int fd, const void *buf, size_t len)
{
	return vmmgmt_write_all(fd, buf, len);
}

/* The data's progress: the bytes that crossed the stream, for the audit. */
static void files_progress(void *arg, __u64 done, __u64 total)
{
	struct files_req *r = arg;

	(void)total;
	r->ev.bytes = done - r->ev.from;
}

static void files_resp_stat(struct vmmgmt_file_resp *resp, const struct stat *st)
{
	resp->mode = htole32(st->st_mode);
	resp->size = htole64(st->st_size);
	resp->mtime_sec = htole64(st->st_mtim.tv_sec);
	resp->mtime_nsec = htole32(st->st_mtim.tv_nsec);
}

/* An answer to @r with a file's stat, or only @err: 0 or the stream's -errno. */
static int files_answer_stat(struct files_req *r, int err,
			     const struct stat *st)
{
	struct vmmgmt_file_resp resp;

	r->ev.err = err;
	vmmgmt_file_resp_init(&resp, r->ev.op, err);
	if (!err && st)
		files_resp_stat(&resp, st);
	return files_send(r->sfd, &resp, sizeof(resp));
}

/* An answer with only a status. */
static int files_answer(struct files_req *r, int err)
{
	return files_answer_stat(r, err, NULL);
}

/* ---- the operations: each answers, and returns only the stream's error ---- */

static int files_stat(struct files_req *r, const char *path)
{
	struct vmmgmtd_files_export *e = r->e;
	struct stat st;
	int fd, err;

	if (files_is_tmp(files_base(path)))
		return files_answer(r, -ENOENT);
	err = files_get_open(e);
	if (err)
		return files_answer(r, err);
	fd = files_openat2(e, path, O_PATH);
	err = fd < 0 ? fd : 0;
	if (fd >= 0) {
		if (fstat(fd, &st))
			err = -errno;
		close(fd);
	}
	files_put_open(e);
	if (!err)
		r->ev.size = st.st_size;
	return files_answer_stat(r, err, &st);
}

/*
 * The answer that starts a resumed transfer: status 0 and where the data
 * starts, with the SHA-256 of the first @from bytes of @fd into @sha
 * (initialised here).  Return: 0, or the stream's -errno; *@lerr: the
 * local -errno that kept it from being sent (nothing was sent then).
 */
static int files_resume_answer(int sfd, struct vmmgmt_file_resp *resp,
			       int fd, __u64 from, struct vmmgmt_sha256 *sha,
			       int *lerr)
{
	struct vmmgmt_file_resume rs = { .offset = htole64(from) };
	struct vmmgmt_sha256 prefix;
	struct iovec iov[2];

	vmmgmt_sha256_init(sha);
	*lerr = vmmgmt_file_hash_prefix(fd, from, sha, sfd);
	if (*lerr)
		return 0;
	prefix = *sha;
	vmmgmt_sha256_final(&prefix, rs.sha256);
	iov[0] = (struct iovec){ resp, sizeof(*resp) };
	iov[1] = (struct iovec){ &rs, sizeof(rs) };
	return vmmgmt_file_writev_all(sfd, iov, 2);
}

static int files_get(struct files_req *r, const char *path,
		     const struct vmmgmt_file_req *req)
{
	bool resume = le32toh(req->flags) & VMMGMT_FILE_F_RESUME;
	__u64 from = resume ? le64toh(req->size) : 0;
	struct vmmgmtd_files_export *e = r->e;
	struct vmmgmt_file_resp resp;
	struct vmmgmt_sha256 sha;
	int fd = -1, err, lerr;
	int sfd = r->sfd;
	bool local;
	struct stat st;

	if (files_is_tmp(files_base(path)))
		return files_answer(r, -ENOENT);
	err = files_get_transfer(e);
	if (err)
		return files_answer(r, err);
	err = files_get_open(e);
	if (err)
		goto put_transfer;
	/* O_NONBLOCK: a FIFO in the export must not hold the session. */
	fd = files_openat2(e, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		err = fd;
		goto put_open;
	}
	if (fstat(fd, &st))
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(st.st_mode) || st.st_size > (off_t)VMMGMT_FILE_SIZE_MAX)
		err = -EINVAL;
	if (err)
		goto close_fd;
	/* The client kept more than the file has: the file changed. */
	if (from > (__u64)st.st_size)
		from = 0;
	r->ev.size = st.st_size;
	r->ev.from = from;
	vmmgmt_file_resp_init(&resp, VMMGMT_FILE_GET, 0);
	files_resp_stat(&resp, &st);
	if (resume) {
		err = files_resume_answer(sfd, &resp, fd, from, &sha, &lerr);
		if (lerr) {
			err = lerr;
			goto close_fd;
		}
		if (!err && lseek(fd, from, SEEK_SET) < 0)
			err = -errno;	/* the client sees the stream end */
	} else {
		vmmgmt_sha256_init(&sha);
		err = files_send(sfd, &resp, sizeof(resp));
	}
	if (!err) {
		err = vmmgmt_file_send_data(sfd, fd, from, st.st_size, &sha,
					    files_progress, r, NULL, &local);
		if (local) {
			/* The client was told in the end: the session goes on. */
			r->ev.local = true;
			r->ev.err = err;
			err = 0;
		}
	}
	close(fd);
	files_put_open(e);
	files_put_transfer(e);
	return err;
close_fd:
	close(fd);
put_open:
	files_put_open(e);
put_transfer:
	files_put_transfer(e);
	return files_answer(r, err);
}

struct files_entry {
	char *name;
	struct stat st;
};

static int files_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct files_entry *)a)->name,
		      ((const struct files_entry *)b)->name);
}

/* Up to VMMGMT_FILE_LS_MAX entries of @dfd (closed here), sorted by name. */
static int files_list(int dfd, struct files_entry **out, unsigned int *nr,
		      bool *truncated)
{
	struct files_entry *ents;
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	*truncated = false;
	ents = calloc(VMMGMT_FILE_LS_MAX, sizeof(*ents));
	d = ents ? fdopendir(dfd) : NULL;
	if (!d) {
		free(ents);
		close(dfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    files_is_tmp(de->d_name))
			continue;
		if (n == VMMGMT_FILE_LS_MAX) {
			*truncated = true;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &ents[n].st, AT_SYMLINK_NOFOLLOW))
			continue;
		ents[n].name = strdup(de->d_name);
		if (ents[n].name)
			n++;
	}
	closedir(d);
	qsort(ents, n, sizeof(*ents), files_entry_cmp);
	*out = ents;
	*nr = n;
	return 0;
}

static int files_ls(struct files_req *r, const char *path)
{
	struct vmmgmtd_files_export *e = r->e;
	struct files_entry *ents = NULL;
	struct vmmgmt_file_dirent de;
	struct vmmgmt_file_resp resp;
	unsigned int nr = 0, i;
	bool truncated;
	size_t len;
	int sfd = r->sfd;
	int fd, err;

	err = files_get_open(e);
	if (err)
		return files_answer(r, err);
	fd = files_openat2(e, path, O_RDONLY | O_DIRECTORY);
	err = fd < 0 ? fd : files_list(fd, &ents, &nr, &truncated);
	files_put_open(e);
	if (err)
		return files_answer(r, err);
	r->ev.entries = nr;
	vmmgmt_file_resp_init(&resp, VMMGMT_FILE_LS, 0);
	resp.count = htole32(nr);
	resp.flags = htole32(truncated ? VMMGMT_FILE_RESP_F_TRUNCATED : 0);
	err = files_send(sfd, &resp, sizeof(resp));
	for (i = 0; i < nr; i++) {
		len = strlen(ents[i].name);
		memset(&de, 0, sizeof(de));
		de.size = htole64(ents[i].st.st_size);
		de.mtime_sec = htole64(ents[i].st.st_mtim.tv_sec);
		de.mode = htole32(ents[i].st.st_mode);
		de.name_len = htole16(len);
		if (!err)
			err = files_send(sfd, &de, sizeof(de));
		if (!err)
			err = files_send(sfd, ents[i].name, len);
		free(ents[i].name);
	}
	free(ents);
	return err;
}

/* A new temporary file in @dfd, its name in @tmp: an fd or -errno. */
static int files_tmp_create(int dfd, char *tmp, size_t size)
{
	static unsigned int seq;
	int fd, i;

	for (i = 0; i < 16; i++) {
		snprintf(tmp, size, "%s%d-%u-%llx", VMMGMT_FILE_TMP_PREFIX,
			 getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED),
			 (unsigned long long)vmmgmt_now_ns());
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/*
 * The name of the partial file a put to @name leaves for --resume when
 * its stream breaks: VMMGMT_FILE_PART_PREFIX and 16 hex digits of the
 * SHA-256 of @name (a name of any length fits; one partial per name and
 * directory).
 */
static void files_part_name(const char *name, char *part, size_t size)
{
	vmmgmt_file_part_name(VMMGMT_FILE_PART_PREFIX, name, part, size);
}

/* The bytes of the regular file @name in @dfd, 0 if none. */
static __u64 files_size_at(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return 0;
	return st.st_size;
}

/*
 * Remove @name's partial file from @dfd, if there is one, and its bytes
 * from the export's count.  Context: @e->names held.
 */
static void files_part_drop(struct vmmgmtd_files_export *e, int dfd,
			    const char *name)
{
	char part[VMMGMT_FILE_NAME_MAX + 1];
	__u64 bytes;

	files_part_name(name, part, sizeof(part));
	bytes = files_size_at(dfd, part);
	if (!unlinkat(dfd, part, 0))
		files_account(e, 0, 0, bytes);
}

/* Whether @fd is still the regular file @st was of, with one link. */
static bool files_same_file(int fd, const struct stat *st)
{
	struct stat now;

	return !fstat(fd, &now) && S_ISREG(now.st_mode) &&
	       now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
	       now.st_nlink == 1;
}

/*
 * Take @name's partial file for a resumed put of @len bytes: renamed to
 * a new temporary name (in @tmp), so that no other put takes it too, and
 * opened for writing at its end.  One that is no regular file (renamed
 * there by someone else), not this process's user's with one link, or
 * longer than @len is removed, its bytes off the export's count.
 * Return: its fd with *@from its bytes, -ENOENT when there is none (or it
 * was removed), or -errno.
 */
static int files_part_take(struct vmmgmtd_files_export *e, int dfd,
			   const char *name, char *tmp, size_t size, __u64 len,
			   __u64 *from)
{
	char part[VMMGMT_FILE_NAME_MAX + 1];
	struct stat st;
	int fd, i, err;

	files_part_name(name, part, sizeof(part));
	pthread_mutex_lock(&e->names);
	for (i = 0; i < 16; i++) {
		snprintf(tmp, size, "%s%d-%u-%llx", VMMGMT_FILE_TMP_PREFIX,
			 getpid(), i, (unsigned long long)vmmgmt_now_ns());
		if (!renameat2(dfd, part, dfd, tmp, RENAME_NOREPLACE))
			break;
		if (errno != EEXIST) {
			err = -errno;
			pthread_mutex_unlock(&e->names);
			return err;
		}
	}
	pthread_mutex_unlock(&e->names);
	if (i == 16)
		return -EEXIST;
	/* Ours alone now: what it is decides, before anything opens it. */
	if (fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode)) {
		unlinkat(dfd, tmp, 0);
		return -ENOENT;
	}
	/*
	 * Longer than the put, or not a file this server made: one of
	 * another user, or with a second link (in a directory others can
	 * write, the guest's agent runs as root), is never written to.
	 */
	if ((__u64)st.st_size > len || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		unlinkat(dfd, tmp, 0);
		files_account(e, 0, 0, st.st_size);
		return -ENOENT;
	}
	fd = openat(dfd, tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && !files_same_file(fd, &st)) {
		/* Swapped under its temporary name: not ours to write. */
		close(fd);
		unlinkat(dfd, tmp, 0);
		files_account(e, 0, 0, st.st_size);
		return -ENOENT;
	}
	if (fd < 0 || lseek(fd, st.st_size, SEEK_SET) < 0) {
		/* Kept for a later try, under its name again. */
		err = -errno;
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&e->names);
		if (renameat2(dfd, tmp, dfd, part, RENAME_NOREPLACE)) {
			unlinkat(dfd, tmp, 0);
			files_account(e, 0, 0, st.st_size);
		}
		pthread_mutex_unlock(&e->names);
		return err;
	}
	*from = st.st_size;
	return fd;
}

/* Put's checks before its data: the answer to send, or 0 to go on. */
static int files_put_check(int dfd, const char *name, __u32 flags, __u64 *old)
{
	struct stat st;

	*old = 0;
	if (!fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (flags & VMMGMT_FILE_F_EXCL)
			return -EEXIST;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (S_ISREG(st.st_mode))
			*old = st.st_size;
	} else if (errno != ENOENT) {
		return -errno;
	}
	return 0;
}

/* One put under way: what its answers and its accounting need. */
struct files_put_xfer {
	int dfd, fd;
	const char *name;
	char tmp[VMMGMT_FILE_NAME_MAX + 1];
	__u64 size, from, old;
	bool resume, fatal;
	struct vmmgmt_sha256 sha;
	struct stat st;
};

/*
 * The data of a put into @x->fd (from @x->from on), then its permissions
 * and fdatasync().  Return: 0 with @x->st the new file's; a per-file
 * -errno; or with @x->fatal the stream's.
 */
static int files_put_data(struct files_req *r, struct files_put_xfer *x,
			  const struct vmmgmt_file_req *req)
{
	int err;

	err = vmmgmt_file_recv_data(r->sfd, x->fd, x->from, x->size, &x->sha,
				    files_progress, r, NULL, &x->fatal);
	if (err)
		return err;
	/* Permissions only: no set-id or sticky bits from a guest. */
	if (fchmod(x->fd, le32toh(req->mode) & 0777) || fdatasync(x->fd) ||
	    fstat(x->fd, &x->st))
		return -errno;
	return 0;
}

/*
 * A put's file in place: renamed to @x->name (RENAME_NOREPLACE for
 * VMMGMT_FILE_F_EXCL), the bytes of the file it replaced measured just
 * before, and the name's partial file (of an older put) gone.  Return: 0
 * or the rename's -errno (nothing changed then).
 */
static int files_put_commit(struct vmmgmtd_files_export *e,
			    struct files_put_xfer *x, __u32 flags)
{
	unsigned int rflags = flags & VMMGMT_FILE_F_EXCL ? RENAME_NOREPLACE : 0;
	__u64 old;
	int err = 0;

	pthread_mutex_lock(&e->names);
	old = files_size_at(x->dfd, x->name);
	if (renameat2(x->dfd, x->tmp, x->dfd, x->name, rflags)) {
		err = -errno;
	} else {
		files_account(e, x->size - x->from, x->size - x->from, old);
		files_part_drop(e, x->dfd, x->name);
	}
	pthread_mutex_unlock(&e->names);
	return err;
}

/*
 * The end of a put that failed: a broken stream keeps what arrived as
 * the name's partial file (for --resume); any other error drops it.
 */
static void files_put_failed(struct vmmgmtd_files_export *e,
			     struct files_put_xfer *x, int err)
{
	char part[VMMGMT_FILE_NAME_MAX + 1];
	struct stat st;
	__u64 replaced;

	if (x->fatal && err != -EPROTO && !fstat(x->fd, &st) && st.st_size &&
	    !fdatasync(x->fd)) {
		files_part_name(x->name, part, sizeof(part));
		pthread_mutex_lock(&e->names);
		replaced = files_size_at(x->dfd, part);
		if (!renameat2(x->dfd, x->tmp, x->dfd, part, 0)) {
			/* The partial's bytes stay counted; an older one's go. */
			files_account(e, x->size - x->from, st.st_size - x->from,
				      replaced);
			pthread_mutex_unlock(&e->names);
			return;
		}
		pthread_mutex_unlock(&e->names);
	}
	unlinkat(x->dfd, x->tmp, 0);
	files_account(e, x->size - x->from, 0, x->from);
}

static int files_put(struct files_req *r, char *path,
		     const struct vmmgmt_file_req *req)
{
	struct files_put_xfer x = { .dfd = -1, .fd = -1 };
	struct vmmgmtd_files_export *e = r->e;
	/* A drop box (put alone) never replaces a file: as VMMGMT_FILE_F_EXCL. */
	__u32 flags = le32toh(req->flags) |
		      (e->conf.access == VMMGMTD_FILES_PUT_ONLY ?
		       VMMGMT_FILE_F_EXCL : 0);
	char part[VMMGMT_FILE_NAME_MAX + 1];
	struct vmmgmt_file_resp resp;
	int err, lerr = 0;
	int sfd = r->sfd;

	x.size = le64toh(req->size);
	x.resume = flags & VMMGMT_FILE_F_RESUME;
	r->ev.size = x.size;
	err = files_get_transfer(e);
	if (err)
		return files_answer(r, err);
	err = files_get_open(e);
	if (err)
		goto put_transfer;
	x.dfd = files_parent(e, path, &x.name);
	if (x.dfd < 0) {
		err = x.dfd;
		goto put_open;
	}
	err = files_put_check(x.dfd, x.name, flags, &x.old);
	if (err)
		goto close_dir;
	if (x.resume)
		x.fd = files_part_take(e, x.dfd, x.name, x.tmp, sizeof(x.tmp),
				       x.size, &x.from);
	if (x.fd == -ENOENT || !x.resume)
		x.fd = files_tmp_create(x.dfd, x.tmp, sizeof(x.tmp));
	if (x.fd < 0) {
		err = x.fd;
		goto close_dir;
	}
	/* The partial's bytes are counted already: reserve the rest. */
	err = files_reserve(e, x.size - x.from, x.old);
	if (err) {
		/* A partial taken goes back under its name; a new file goes. */
		files_part_name(x.name, part, sizeof(part));
		pthread_mutex_lock(&e->names);
		if (!x.from || renameat2(x.dfd, x.tmp, x.dfd, part, RENAME_NOREPLACE)) {
			unlinkat(x.dfd, x.tmp, 0);
			files_account(e, 0, 0, x.from);
		}
		pthread_mutex_unlock(&e->names);
		goto close_file;
	}
	/* Ready: the client sends the data now. */
	r->ev.from = x.from;
	vmmgmt_file_resp_init(&resp, VMMGMT_FILE_PUT, 0);
	if (x.resume) {
		err = files_resume_answer(sfd, &resp, x.fd, x.from, &x.sha, &lerr);
		if (lerr) {
			/* A client gone while we hashed: the partial stays. */
			err = lerr;
			x.fatal = err == -ECONNRESET;
			files_put_failed(e, &x, err);
			goto close_file;
		}
	} else {
		vmmgmt_sha256_init(&x.sha);
		err = files_send(sfd, &resp, sizeof(resp));
	}
	x.fatal = err != 0;
	if (!err)
		err = files_put_data(r, &x, req);
	if (!err)
		err = files_put_commit(e, &x, flags);
	if (err)
		files_put_failed(e, &x, err);
	close(x.fd);
	close(x.dfd);
	files_put_open(e);
	files_put_transfer(e);
	if (x.fatal) {
		/* EPROTO can still be told; a broken stream cannot. */
		r->ev.err = err;
		if (err == -EPROTO)
			files_answer(r, err);
		return err;
	}
	return files_answer_stat(r, err, &x.st);
close_file:
	close(x.fd);
close_dir:
	close(x.dfd);
put_open:
	files_put_open(e);
put_transfer:
	files_put_transfer(e);
	return files_answer(r, err);
}

static int files_rm(struct files_req *r, char *path)
{
	struct vmmgmtd_files_export *e = r->e;
	const char *name;
	struct stat st;
	int dfd, err = 0;

	err = files_get_open(e);
	if (err)
		return files_answer(r, err);
	dfd = files_parent(e, path, &name);
	if (dfd < 0) {
		err = dfd;
		goto put_open;
	}
	pthread_mutex_lock(&e->names);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	else if (unlinkat(dfd, name, 0))
		err = -errno;
	else if (S_ISREG(st.st_mode))
		files_account(e, 0, 0, st.st_size);
	/* What an interrupted put of the name left goes too. */
	if (!err || err == -ENOENT)
		files_part_drop(e, dfd, name);
	pthread_mutex_unlock(&e->names);
	close(dfd);
put_open:
	files_put_open(e);
	return files_answer(r, err);
}

/* ---- the session ---- */

/*
 * Whether the export's access lets a client make @op on @path: 0 or
 * -EACCES.  A drop box (put alone: a guest's file recv, its DIR perhaps
 * a home directory) takes new names of its directory itself, never one
 * below it or a hidden one (".profile", ".ssh/...").
 */
static int files_may(const struct vmmgmtd_files_export *e, unsigned int op,
		     const char *path)
{
	bool changes = op == VMMGMT_FILE_PUT || op == VMMGMT_FILE_RM;

	switch (e->conf.access) {
	case VMMGMTD_FILES_RW:
		return 0;
	case VMMGMTD_FILES_RO:
		return changes ? -EACCES : 0;
	case VMMGMTD_FILES_PUT_ONLY:
		return op == VMMGMT_FILE_PUT && path[0] != '.' &&
		       !strchr(path, '/') ? 0 : -EACCES;
	default:
		return -EACCES;
	}
}

/* The operation of @r, its path read and checked. */
static int files_do(struct files_req *r, char *path,
		    const struct vmmgmt_file_req *req)
{
	int err;

	if (r->e->refuse) {
		/* Told why, and the session ends. */
		files_answer(r, r->e->refuse);
		return r->e->refuse;
	}
	err = vmmgmt_file_path_check(path, le32toh(req->path_len), r->ev.op);
	if (!err)
		err = files_may(r->e, r->ev.op, path);
	if (err)
		return files_answer(r, err);
	switch (r->ev.op) {
	case VMMGMT_FILE_PUT:
		return files_put(r, path, req);
	case VMMGMT_FILE_GET:
		return files_get(r, path, req);
	case VMMGMT_FILE_LS:
		return files_ls(r, path);
	case VMMGMT_FILE_RM:
		return files_rm(r, path);
	default:
		return files_stat(r, path);
	}
}

/**
 * vmmgmtd_files_quote() - a peer's string (a path) quoted for a log or
 * audit line, so that it cannot forge lines or send terminal escapes.
 * @s: the string: any bytes but NUL.
 * @out: '"', @s with '"' and '\\' escaped and control bytes as \xNN,
 *	'"'; cut short to fit.
 * @size: @out's size: 8 or more; 4 * strlen(@s) + 3 holds any @s whole.
 *
 * Context: any thread.
 */
void vmmgmtd_files_quote(const char *s, char *out, size_t size)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s && n + 6 < size; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			n += snprintf(out + n, size - n, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			n += snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = c;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* Tell the export's audit hook what @r did. */
static void files_audit(struct files_req *r)
{
	if (r->e->audit)
		r->e->audit(r->e, &r->ev);
}

/*
 * One request: its header (read and checked by the caller), its path,
 * the operation, the audit.  Return: 0 to read the next one, or the
 * -errno that ends the session.
 */
static int files_request(struct vmmgmtd_files_export *e, int sfd,
			 const struct vmmgmt_file_req *req, char *path)
{
	struct files_req r = {
		.e = e,
		.sfd = sfd,
		.ev = { .op = le16toh(req->op), .path = path },
	};
	size_t len = le32toh(req->path_len);
	int err;

	/* A refused put's audit says what was announced. */
	if (r.ev.op == VMMGMT_FILE_PUT)
		r.ev.size = le64toh(req->size);
	err = vmmgmt_read_full(sfd, path, len, NULL);
	if (err)
		return err;
	path[len] = '\0';
	err = files_do(&r, path, req);
	if (err && !r.ev.err)
		r.ev.err = err;
	files_audit(&r);
	return err;
}

/* Wait up to @e->idle_ms for the next request: 0 or -ETIMEDOUT. */
static int files_wait_request(const struct vmmgmtd_files_export *e, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&p, 1, e->idle_ms);
	} while (ret < 0 && errno == EINTR);
	return ret ? 0 : -ETIMEDOUT;
}

/**
 * vmmgmtd_files_serve() - serve one connected stream of a VM's client.
 * @e: the VM's export (vmmgmtd_files_open()).
 * @fd: the stream (an accepted vmmgmt stream, or a socket in the tests);
 *	blocking; not closed here.
 *
 * Requests are served one after the other until the client's end.  A
 * request header that breaks the protocol is answered with its errno and
 * ends the session; so do a stream error and a put whose data breaks the
 * rules (nothing of it is left in the export), and @e->idle_ms without a
 * request (-ETIMEDOUT, no answer).
 *
 * Context: one thread per stream; takes @e->lock for the counters.
 * Return: 0 at the client's end after a whole request, or the -errno
 * that ended the session.
 */
int vmmgmtd_files_serve(struct vmmgmtd_files_export *e, int fd)
{
	struct vmmgmt_file_req req;
	size_t got;
	char *path;
	int err;

	path = malloc(VMMGMT_FILE_PATH_MAX + 1);
	if (!path)
		return -ENOMEM;
	for (;;) {
		err = files_wait_request(e, fd);
		if (err)
			break;
		err = vmmgmt_read_full(fd, &req, sizeof(req), &got);
		if (err == -EPIPE && !got) {
			err = 0;
			break;
		}
		if (err)
			break;
		err = vmmgmt_file_req_check(&req);
		if (err) {
			struct files_req r = {
				.e = e,
				.sfd = fd,
				.ev = { .op = le16toh(req.op), .path = "" },
			};

			files_answer(&r, err);
			files_audit(&r);
			break;
		}
		err = files_request(e, fd, &req, path);
		if (err)
			break;
	}
	free(path);
	return err;
}
