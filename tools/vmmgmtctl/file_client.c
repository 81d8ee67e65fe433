// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: the client side of the file protocol
 * (tools/include/vmmgmt_file_proto.h) on one connected, blocking byte
 * stream: put, get, ls, rm, stat.  It calls libc and the protocol header
 * only (no vmmgmtctl.c), so that the tests link it with vmmgmtd's
 * files.c; file.c is its command line.  What the server answers is
 * checked like anything else that comes over the wire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "file_client.h"

/* A request header and its path. */
static int file_request(int sfd, unsigned int op, const char *path,
			__u64 size, __u32 mode, __u32 flags)
{
	size_t len = strlen(path);
	struct vmmgmt_file_req req;
	struct iovec iov[2];

	if (len > VMMGMT_FILE_PATH_MAX)
		return -ENAMETOOLONG;
	vmmgmt_file_req_init(&req, op, len);
	req.size = htole64(size);
	req.mode = htole32(mode);
	req.flags = htole32(flags);
	iov[0] = (struct iovec){ &req, sizeof(req) };
	iov[1] = (struct iovec){ (void *)path, len };
	return vmmgmt_file_writev_all(sfd, iov, 2);
}

/*
 * The answer to @op, checked.  Return: 0, the server's -status, -EPROTO
 * for an answer that breaks the protocol, -EPIPE at the stream's end, or
 * the stream's -errno.
 */
static int file_answer(int sfd, unsigned int op, struct vmmgmt_file_resp *resp)
{
	int err;

	err = vmmgmt_read_full(sfd, resp, sizeof(*resp), NULL);
	if (err)
		return err;
	if (vmmgmt_file_resp_check(resp, op))
		return -EPROTO;
	return -(int)le32toh(resp->status);
}

static void file_info(struct vmmgmt_file_info *info,
		      const struct vmmgmt_file_resp *resp)
{
	if (!info)
		return;
	info->size = le64toh(resp->size);
	info->mode = le32toh(resp->mode);
	info->mtime_sec = (__s64)le64toh(resp->mtime_sec);
	info->mtime_nsec = le32toh(resp->mtime_nsec);
}

/*
 * After the first answer of a resumed transfer: where the data starts,
 * checked against the most it can be (@max).  Return: 0 or -errno.
 */
static int file_resume(int sfd, __u64 max, __u64 *from, __u8 *sha256)
{
	struct vmmgmt_file_resume rs;
	int err;

	err = vmmgmt_read_full(sfd, &rs, sizeof(rs), NULL);
	if (err)
		return err;
	*from = le64toh(rs.offset);
	if (*from > max)
		return -EPROTO;
	memcpy(sha256, rs.sha256, VMMGMT_SHA256_DIGEST);
	return 0;
}

/*
 * Whether the first @len bytes of @fd hash to @want; @sha gets their
 * hash (to go on from).  Return: 1 equal, 0 different, or -errno.
 */
static int file_prefix_same(int fd, __u64 len, const __u8 *want,
			    struct vmmgmt_sha256 *sha)
{
	struct vmmgmt_sha256 copy;
	__u8 got[VMMGMT_SHA256_DIGEST];
	int err;

	vmmgmt_sha256_init(sha);
	err = vmmgmt_file_hash_prefix(fd, len, sha, -1);
	if (err)
		return err;
	copy = *sha;
	vmmgmt_sha256_final(&copy, got);
	return !memcmp(got, want, sizeof(got));
}

/* A put's data from @from on and its final answer. */
static int file_put_data(int sfd, int src, __u64 from, __u64 size,
			 struct vmmgmt_sha256 *sha, struct vmmgmt_file_xfer *x)
{
	struct vmmgmt_file_resp resp;
	bool local;
	int err, final;

	if (x->progress)
		x->progress(x->arg, from, size);
	if (lseek(src, from, SEEK_SET) < 0 && from)
		return -errno;
	err = vmmgmt_file_send_data(sfd, src, from, size, sha, x->progress,
				    x->arg, x->digest, &local);
	if (err && !local) {
		x->broken = true;
		return err;
	}
	final = vmmgmt_read_full(sfd, &resp, sizeof(resp), NULL);
	if (final) {
		x->broken = true;
		return err ? err : final;
	}
	if (vmmgmt_file_resp_check(&resp, VMMGMT_FILE_PUT))
		return err ? err : -EPROTO;
	final = -(int)le32toh(resp.status);
	if (err)
		return err;
	if (!final)
		file_info(&x->info, &resp);
	return final;
}

/**
 * vmmgmt_file_client_put() - send a file to the server.
 * @sfd: the stream.
 * @src: the file's data: a file at its start (or a pipe, without
 *	%VMMGMT_FILE_F_RESUME).
 * @size: its bytes.
 * @mode: its permission bits.
 * @remote: the path in the export.
 * @x: the flags, progress and results (struct vmmgmt_file_xfer).
 *
 * The server's first answer says whether it takes the file; only then
 * the data goes, and its final answer says whether the SHA-256 matched
 * and the file is in place.  With %VMMGMT_FILE_F_RESUME the server says
 * how much of an interrupted put it kept: when the SHA-256 of those bytes
 * is that of @src's first bytes, only the rest goes (@x->resumed);
 * otherwise the put is cancelled and made again whole (@x->restarted).
 *
 * Context: blocking.
 * Return: 0, or the -errno of the server, of @src or of the stream.
 */
int vmmgmt_file_client_put(int sfd, int src, __u64 size, __u32 mode,
			   const char *remote, struct vmmgmt_file_xfer *x)
{
	__u8 theirs[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_resp resp;
	struct vmmgmt_sha256 sha;
	__u32 flags = x->flags;
	__u64 from = 0;
	int err, same;

again:
	err = file_request(sfd, VMMGMT_FILE_PUT, remote, size,
			   mode & VMMGMT_FILE_MODE_MASK, flags);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_PUT, &resp);
	if (!err && flags & VMMGMT_FILE_F_RESUME)
		err = file_resume(sfd, size, &from, theirs);
	if (err)
		return err;
	vmmgmt_sha256_init(&sha);
	if (from) {
		same = file_prefix_same(src, from, theirs, &sha);
		if (same <= 0) {
			/* Not our bytes (or unreadable): cancel, then all of it. */
			err = vmmgmt_file_send_end(sfd, ECANCELED, from, &sha, NULL);
			if (!err)
				err = file_answer(sfd, VMMGMT_FILE_PUT, &resp);
			if (err != -ECANCELED)
				return err ? err : -EPROTO;
			x->restarted = true;
			flags &= ~VMMGMT_FILE_F_RESUME;
			from = 0;
			goto again;
		}
	}
	x->resumed = from;
	return file_put_data(sfd, src, from, size, &sha, x);
}

/**
 * vmmgmt_file_client_get() - fetch a file from the server.
 * @sfd: the stream.
 * @remote: the path in the export.
 * @dst: where the data goes: write() from where it stands; with
 *	%VMMGMT_FILE_F_RESUME a regular file holding @x->have bytes of an
 *	earlier get (its offset is set here).
 * @x: the flags, progress and results (struct vmmgmt_file_xfer).
 *
 * Context: blocking.
 * Return: 0 once every byte was written to @dst and the SHA-256 matched;
 * -EBADMSG when it did not; -ESTALE when the server's first @x->have bytes
 * are not @dst's (the stream is out of step then: close it, and get
 * the file whole); or the -errno of the server, of @dst or of the stream
 * (@x->broken: the stream's; what @dst got can be resumed).
 */
int vmmgmt_file_client_get(int sfd, const char *remote, int dst,
			   struct vmmgmt_file_xfer *x)
{
	bool resume = x->flags & VMMGMT_FILE_F_RESUME;
	__u8 theirs[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_resp resp;
	struct vmmgmt_sha256 sha;
	__u64 from = 0, size;
	int err, same;

	err = file_request(sfd, VMMGMT_FILE_GET, remote, resume ? x->have : 0, 0,
			   resume ? VMMGMT_FILE_F_RESUME : 0);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_GET, &resp);
	if (err)
		goto out;
	file_info(&x->info, &resp);
	size = le64toh(resp.size);
	vmmgmt_sha256_init(&sha);
	if (resume) {
		err = file_resume(sfd, x->have < size ? x->have : size, &from,
				  theirs);
		if (!err && from && from != x->have)
			err = -EPROTO;
		if (err)
			goto out;
		same = from ? file_prefix_same(dst, from, theirs, &sha) : 1;
		if (same <= 0)
			return same ? same : -ESTALE;
		if (ftruncate(dst, from) || lseek(dst, from, SEEK_SET) < 0)
			return -errno;
	}
	x->resumed = from;
	if (x->progress)
		x->progress(x->arg, from, size);
	err = vmmgmt_file_recv_data(sfd, dst, from, size, &sha, x->progress,
				    x->arg, x->digest, &x->broken);
	if (x->broken && err == -EPROTO)
		x->broken = false;
	return err;
out:
	x->broken = err == -EPIPE || err == -ECONNRESET;
	return err;
}

/**
 * vmmgmt_file_client_stat() - what the server says about a path.
 * @sfd: the stream.
 * @remote: the path in the export ("" for the export itself).
 * @info: filled in.
 *
 * Context: blocking.
 * Return: 0, or the -errno of the server or of the stream.
 */
int vmmgmt_file_client_stat(int sfd, const char *remote,
			    struct vmmgmt_file_info *info)
{
	struct vmmgmt_file_resp resp;
	int err;

	err = file_request(sfd, VMMGMT_FILE_STAT, remote, 0, 0, 0);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_STAT, &resp);
	if (!err)
		file_info(info, &resp);
	return err;
}

/**
 * vmmgmt_file_client_rm() - remove a file (not a directory) on the server.
 * @sfd: the stream.
 * @remote: the path in the export.
 *
 * Context: blocking.
 * Return: 0, or the -errno of the server or of the stream.
 */
int vmmgmt_file_client_rm(int sfd, const char *remote)
{
	struct vmmgmt_file_resp resp;
	int err;

	err = file_request(sfd, VMMGMT_FILE_RM, remote, 0, 0, 0);
	return err ? err : file_answer(sfd, VMMGMT_FILE_RM, &resp);
}

/* One LS entry from the stream, checked: 0, -EPROTO or the stream's. */
static int file_dirent(int sfd, char *name, struct vmmgmt_file_info *info)
{
	struct vmmgmt_file_dirent de;
	size_t len;
	int err;

	err = vmmgmt_read_full(sfd, &de, sizeof(de), NULL);
	if (err)
		return err;
	len = le16toh(de.name_len);
	if (!len || len > VMMGMT_FILE_NAME_MAX || de.reserved)
		return -EPROTO;
	err = vmmgmt_read_full(sfd, name, len, NULL);
	if (err)
		return err;
	name[len] = '\0';
	if (strlen(name) != len || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EPROTO;
	memset(info, 0, sizeof(*info));
	info->size = le64toh(de.size);
	info->mode = le32toh(de.mode);
	info->mtime_sec = (__s64)le64toh(de.mtime_sec);
	return 0;
}

/**
 * vmmgmt_file_client_ls() - list a directory of the export.
 * @sfd: the stream.
 * @dir: its path ("" for the export itself).
 * @fn: called for each entry, in name order.
 * @arg: its argument.
 * @truncated: set when the server had more than VMMGMT_FILE_LS_MAX.
 *
 * Every entry is read even when @fn stopped the listing, so that the
 * stream stays in step.
 *
 * Context: blocking.
 * Return: 0, @fn's nonzero value, or the -errno of the server or of the
 * stream.
 */
int vmmgmt_file_client_ls(int sfd, const char *dir, vmmgmt_file_ls_fn fn,
			  void *arg, bool *truncated)
{
	char name[VMMGMT_FILE_NAME_MAX + 1];
	struct vmmgmt_file_info info;
	struct vmmgmt_file_resp resp;
	unsigned int n, i;
	int err, ret = 0;

	err = file_request(sfd, VMMGMT_FILE_LS, dir, 0, 0, 0);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_LS, &resp);
	if (err)
		return err;
	*truncated = le32toh(resp.flags) & VMMGMT_FILE_RESP_F_TRUNCATED;
	n = le32toh(resp.count);
	for (i = 0; i < n; i++) {
		err = file_dirent(sfd, name, &info);
		if (err)
			return err;
		if (!ret)
			ret = fn(arg, name, &info);
	}
	return ret;
}
