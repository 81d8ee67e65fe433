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

	err = vmmgmt_file_read_full(sfd, resp, sizeof(*resp), NULL);
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

/**
 * vmmgmt_file_client_put() - send a file to the server.
 * @sfd: the stream.
 * @src: the file's data, read from where it stands.
 * @size: its bytes.
 * @mode: its permission bits.
 * @flags: VMMGMT_FILE_F_*.
 * @remote: the path in the export.
 * @info: the new file as the server made it, or NULL.
 * @digest: the SHA-256 sent (VMMGMT_SHA256_DIGEST bytes), or NULL.
 * @progress: called after each chunk, or NULL.
 * @arg: its argument.
 *
 * The server's first answer says whether it takes the file; only then
 * the data goes, and its final answer says whether the SHA-256 matched
 * and the file is in place.
 *
 * Context: blocking.
 * Return: 0, or the -errno of the server, of @src or of the stream.
 */
int vmmgmt_file_client_put(int sfd, int src, __u64 size, __u32 mode,
			   __u32 flags, const char *remote,
			   struct vmmgmt_file_info *info, __u8 *digest,
			   vmmgmt_file_progress_fn progress, void *arg)
{
	struct vmmgmt_file_resp resp;
	bool local;
	int err, final;

	err = file_request(sfd, VMMGMT_FILE_PUT, remote, size,
			   mode & VMMGMT_FILE_MODE_MASK, flags);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_PUT, &resp);
	if (err)
		return err;
	err = vmmgmt_file_send_data(sfd, src, size, progress, arg, digest, &local);
	if (err && !local)
		return err;
	final = file_answer(sfd, VMMGMT_FILE_PUT, &resp);
	if (err)
		return err;
	if (!final)
		file_info(info, &resp);
	return final;
}

/**
 * vmmgmt_file_client_get() - fetch a file from the server.
 * @sfd: the stream.
 * @remote: the path in the export.
 * @dst: where the data goes (write()).
 * @info: the file as the server saw it, or NULL.
 * @digest: the SHA-256 received and checked, or NULL.
 * @progress: called after each chunk, or NULL.
 * @arg: its argument.
 *
 * Context: blocking.
 * Return: 0 once every byte was written to @dst and the SHA-256 matched;
 * -EBADMSG when it did not; or the -errno of the server, of @dst or of
 * the stream.  The caller drops what went to @dst on an error.
 */
int vmmgmt_file_client_get(int sfd, const char *remote, int dst,
			   struct vmmgmt_file_info *info, __u8 *digest,
			   vmmgmt_file_progress_fn progress, void *arg)
{
	struct vmmgmt_file_resp resp;
	bool fatal;
	int err;

	err = file_request(sfd, VMMGMT_FILE_GET, remote, 0, 0, 0);
	if (!err)
		err = file_answer(sfd, VMMGMT_FILE_GET, &resp);
	if (err)
		return err;
	file_info(info, &resp);
	return vmmgmt_file_recv_data(sfd, dst, le64toh(resp.size), progress, arg,
				     digest, &fatal);
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

	err = vmmgmt_file_read_full(sfd, &de, sizeof(de), NULL);
	if (err)
		return err;
	len = le16toh(de.name_len);
	if (!len || len > VMMGMT_FILE_NAME_MAX || de.reserved)
		return -EPROTO;
	err = vmmgmt_file_read_full(sfd, name, len, NULL);
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
