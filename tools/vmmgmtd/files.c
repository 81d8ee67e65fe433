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
 * over socketpairs (tools/tests/vmmgmt_file_test.c); config.c calls
 * vmmgmtd_files_setting() for the files* keys of NAME.conf.
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
#include "vmmgmtd.h"

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
 * bytes of the regular files in it are counted once for the quota.
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
	if (ret) {
		close(e->root_fd);
		e->root_fd = -1;
		snprintf(err, len, "%s: %s", vm, strerror(ret));
		return -ret;
	}
	fd = openat(e->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	pthread_mutex_destroy(&e->lock);
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

static int files_send(int fd, const void *buf, size_t len)
{
	return vmmgmt_write_all(fd, buf, len);
}

static void files_resp_stat(struct vmmgmt_file_resp *resp, const struct stat *st)
{
	resp->mode = htole32(st->st_mode);
	resp->size = htole64(st->st_size);
	resp->mtime_sec = htole64(st->st_mtim.tv_sec);
	resp->mtime_nsec = htole32(st->st_mtim.tv_nsec);
}

/* An answer with only a status: 0, or the stream's -errno. */
static int files_answer(int fd, unsigned int op, int err)
{
	struct vmmgmt_file_resp resp;

	vmmgmt_file_resp_init(&resp, op, err);
	return files_send(fd, &resp, sizeof(resp));
}

/* An answer with a file's stat, or only @err. */
static int files_answer_stat(int fd, unsigned int op, int err,
			     const struct stat *st)
{
	struct vmmgmt_file_resp resp;

	vmmgmt_file_resp_init(&resp, op, err);
	if (!err)
		files_resp_stat(&resp, st);
	return files_send(fd, &resp, sizeof(resp));
}

/* ---- the operations: each answers, and returns only the stream's error ---- */

static int files_stat(struct vmmgmtd_files_export *e, int sfd, const char *path)
{
	struct stat st;
	int fd, err;

	if (files_is_tmp(files_base(path)))
		return files_answer(sfd, VMMGMT_FILE_STAT, -ENOENT);
	err = files_get_open(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_STAT, err);
	fd = files_openat2(e, path, O_PATH);
	err = fd < 0 ? fd : 0;
	if (fd >= 0) {
		if (fstat(fd, &st))
			err = -errno;
		close(fd);
	}
	files_put_open(e);
	return files_answer_stat(sfd, VMMGMT_FILE_STAT, err, &st);
}

static int files_get(struct vmmgmtd_files_export *e, int sfd, const char *path)
{
	struct vmmgmt_file_resp resp;
	bool local;
	struct stat st;
	int fd = -1, err;

	if (files_is_tmp(files_base(path)))
		return files_answer(sfd, VMMGMT_FILE_GET, -ENOENT);
	err = files_get_transfer(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_GET, err);
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
	vmmgmt_file_resp_init(&resp, VMMGMT_FILE_GET, 0);
	files_resp_stat(&resp, &st);
	err = files_send(sfd, &resp, sizeof(resp));
	if (!err) {
		err = vmmgmt_file_send_data(sfd, fd, st.st_size, NULL, NULL, NULL,
					    &local);
		if (local) {
			vmmgmtd_info("%s: file get %s: %s", e->vm, path, strerror(-err));
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
	return files_answer(sfd, VMMGMT_FILE_GET, err);
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

static int files_ls(struct vmmgmtd_files_export *e, int sfd, const char *path)
{
	struct files_entry *ents = NULL;
	struct vmmgmt_file_dirent de;
	struct vmmgmt_file_resp resp;
	unsigned int nr = 0, i;
	bool truncated;
	size_t len;
	int fd, err;

	err = files_get_open(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_LS, err);
	fd = files_openat2(e, path, O_RDONLY | O_DIRECTORY);
	err = fd < 0 ? fd : files_list(fd, &ents, &nr, &truncated);
	files_put_open(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_LS, err);
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

static int files_rm(struct vmmgmtd_files_export *e, int sfd, char *path)
{
	const char *name;
	struct stat st;
	int dfd, err = 0;

	if (e->conf.access != VMMGMTD_FILES_RW)
		return files_answer(sfd, VMMGMT_FILE_RM, -EACCES);
	err = files_get_open(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_RM, err);
	dfd = files_parent(e, path, &name);
	if (dfd < 0) {
		err = dfd;
		goto put_open;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	else if (unlinkat(dfd, name, 0))
		err = -errno;
	else if (S_ISREG(st.st_mode))
		files_account(e, 0, 0, st.st_size);
	close(dfd);
put_open:
	files_put_open(e);
	return files_answer(sfd, VMMGMT_FILE_RM, err);
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

/*
 * The data of a put into @fd, then its permissions, fdatasync() and the
 * rename to @name (RENAME_NOREPLACE for VMMGMT_FILE_F_EXCL).  Return: 0
 * with *@st the new file's; a per-file -errno; or with *@fatal the
 * stream's.
 */
static int files_put_data(int sfd, int dfd, int fd, const char *tmp,
			  const char *name, const struct vmmgmt_file_req *req,
			  struct stat *st, bool *fatal)
{
	unsigned int rflags = le32toh(req->flags) & VMMGMT_FILE_F_EXCL ?
			      RENAME_NOREPLACE : 0;
	int err;

	err = vmmgmt_file_recv_data(sfd, fd, le64toh(req->size), NULL, NULL, NULL,
				    fatal);
	if (err)
		return err;
	/* Permissions only: no set-id or sticky bits from a guest. */
	if (fchmod(fd, le32toh(req->mode) & 0777) || fdatasync(fd) || fstat(fd, st))
		return -errno;
	if (renameat2(dfd, tmp, dfd, name, rflags))
		return -errno;
	return 0;
}

static int files_put(struct vmmgmtd_files_export *e, int sfd, char *path,
		     const struct vmmgmt_file_req *req)
{
	__u64 size = le64toh(req->size), old;
	char tmp[VMMGMT_FILE_NAME_MAX + 1];
	bool fatal = false;
	const char *name;
	struct stat st;
	int dfd, fd, err;

	if (e->conf.access != VMMGMTD_FILES_RW)
		return files_answer(sfd, VMMGMT_FILE_PUT, -EACCES);
	err = files_get_transfer(e);
	if (err)
		return files_answer(sfd, VMMGMT_FILE_PUT, err);
	err = files_get_open(e);
	if (err)
		goto put_transfer;
	dfd = files_parent(e, path, &name);
	if (dfd < 0) {
		err = dfd;
		goto put_open;
	}
	err = files_put_check(dfd, name, le32toh(req->flags), &old);
	if (err)
		goto close_dir;
	err = files_reserve(e, size, old);
	if (err)
		goto close_dir;
	fd = files_tmp_create(dfd, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		goto unreserve;
	}
	/* Ready: the client sends the data now. */
	err = files_answer(sfd, VMMGMT_FILE_PUT, 0);
	fatal = err != 0;
	if (!err)
		err = files_put_data(sfd, dfd, fd, tmp, name, req, &st, &fatal);
	close(fd);
	if (err)
		unlinkat(dfd, tmp, 0);
	files_account(e, size, err ? 0 : size, err ? 0 : old);
	close(dfd);
	files_put_open(e);
	files_put_transfer(e);
	vmmgmtd_debug("%s: file put %s: %llu bytes: %s", e->vm, name,
		      (unsigned long long)size, strerror(-err));
	if (fatal) {
		/* EPROTO can still be told; a broken stream cannot. */
		if (err == -EPROTO)
			files_answer(sfd, VMMGMT_FILE_PUT, err);
		return err;
	}
	return files_answer_stat(sfd, VMMGMT_FILE_PUT, err, &st);
unreserve:
	files_account(e, size, 0, 0);
close_dir:
	close(dfd);
put_open:
	files_put_open(e);
put_transfer:
	files_put_transfer(e);
	return files_answer(sfd, VMMGMT_FILE_PUT, err);
}

/* ---- the session ---- */

/*
 * One request: its header (read), its path, the operation.  Return: 0 to
 * read the next one, 1 at the client's clean end, or the -errno that
 * ends the session.
 */
static int files_request(struct vmmgmtd_files_export *e, int sfd,
			 const struct vmmgmt_file_req *req, char *path)
{
	unsigned int op = le16toh(req->op);
	size_t len = le32toh(req->path_len);
	int err;

	err = vmmgmt_file_read_full(sfd, path, len, NULL);
	if (err)
		return err;
	path[len] = '\0';
	err = vmmgmt_file_path_check(path, len, op);
	if (err)
		return files_answer(sfd, op, err);
	vmmgmtd_debug("%s: file %s %s", e->vm, vmmgmt_file_op_name(op) ?: "?", path);
	switch (op) {
	case VMMGMT_FILE_PUT:
		return files_put(e, sfd, path, req);
	case VMMGMT_FILE_GET:
		return files_get(e, sfd, path);
	case VMMGMT_FILE_LS:
		return files_ls(e, sfd, path);
	case VMMGMT_FILE_RM:
		return files_rm(e, sfd, path);
	default:
		return files_stat(e, sfd, path);
	}
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
		err = vmmgmt_file_read_full(fd, &req, sizeof(req), &got);
		if (err == -EPIPE && !got) {
			err = 0;
			break;
		}
		if (err)
			break;
		err = vmmgmt_file_req_check(&req);
		if (err) {
			/* -v only: a guest could fill the log with these. */
			vmmgmtd_debug("%s: file service: bad request: %s", e->vm,
				      strerror(-err));
			files_answer(fd, le16toh(req.op), err);
			break;
		}
		err = files_request(e, fd, &req, path);
		if (err)
			break;
	}
	free(path);
	return err;
}
