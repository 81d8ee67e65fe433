/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt_file_proto.h: the file protocol of file mode (issue 15), carried
 * over one vmmgmt stream from a guest's vmmgmtctl (the client) to the file
 * service of vmmgmtd (the server) on host port VMMGMT_FILE_PORT; the same
 * protocol from the host's vmmgmtctl file push and pull to a guest's
 * vmmgmtctl file serve (guest port VMMGMT_FILE_PORT), and from a guest's
 * file send to another guest's file recv (VMMGMT_FILE_RECV_PORT).  Shared
 * by both ends, the tests and the fuzzer; Documentation/files.rst describes
 * the exchanges, the errors and the security model.
 *
 * Why here and not in uapi/: no module reads or writes any of it.  The
 * modules carry the stream's bytes; this is a protocol between two
 * userspace programs of the project, built from the same tree, so it
 * lives with their other shared headers.  It is still a wire format
 * between a guest and its host, which may run different versions: every
 * message carries VMMGMT_FILE_VERSION, and the rules below are what both
 * ends keep.
 *
 * Rules: every integer is little-endian of fixed width (the __le types,
 * read and written with le16toh() and friends); every struct has explicit
 * padding that must be zero; every length is bounded by a constant here;
 * the receiver checks every field with the checks below before it uses
 * one.  Header only, static inline, libc alone, nothing printed.
 */
#ifndef VMMGMT_FILE_PROTO_H
#define VMMGMT_FILE_PROTO_H

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/types.h>

#include "vmmgmt_sha256.h"
#include "vmmgmt_user.h"

/*
 * The file service's port (below the dynamic ones): on the host vmmgmtd's
 * (the guests' put, get, ls, rm, stat), in a guest vmmgmtctl file serve's
 * (the host's push and pull, into and out of modes/file/dir).
 */
#define VMMGMT_FILE_PORT		21
/*
 * In a guest, vmmgmtctl file recv's port: puts from other VMs (file send).
 * A port of its own, so that the owner's foreground recv and the agent
 * for the host (file serve) can run at once, and a VM whose owner runs no
 * recv refuses a send at connect (ECONNREFUSED).
 */
#define VMMGMT_FILE_RECV_PORT		20

#define VMMGMT_FILE_VERSION		1

/* Magics: four ASCII bytes in stream order, read as a __le32. */
#define VMMGMT_FILE_MAGIC(a, b, c, d) \
	((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
#define VMMGMT_FILE_REQ_MAGIC		VMMGMT_FILE_MAGIC('V', 'M', 'F', 'Q')
#define VMMGMT_FILE_RESP_MAGIC		VMMGMT_FILE_MAGIC('V', 'M', 'F', 'A')
#define VMMGMT_FILE_DATA_MAGIC		VMMGMT_FILE_MAGIC('V', 'M', 'F', 'D')
#define VMMGMT_FILE_END_MAGIC		VMMGMT_FILE_MAGIC('V', 'M', 'F', 'E')

/* Limits. */
#define VMMGMT_FILE_PATH_MAX		4095	/* bytes of a path, no NUL */
#define VMMGMT_FILE_NAME_MAX		255	/* bytes of one component */
#define VMMGMT_FILE_CHUNK_MAX		(256u * 1024)	/* data bytes per chunk */
#define VMMGMT_FILE_SIZE_MAX		(16ULL * 1024 * 1024 * 1024 * 1024)
#define VMMGMT_FILE_LS_MAX		4096	/* entries of one LS answer */
#define VMMGMT_FILE_MODE_MASK		07777u	/* permission bits carried */

/* The final component a PUT writes before its rename; never served. */
#define VMMGMT_FILE_TMP_PREFIX		".vmmgmt-put-"

enum vmmgmt_file_op {
	VMMGMT_FILE_PUT = 1,
	VMMGMT_FILE_GET = 2,
	VMMGMT_FILE_LS = 3,
	VMMGMT_FILE_RM = 4,
	VMMGMT_FILE_STAT = 5,
};

/* PUT: fail with EEXIST if the name exists. */
#define VMMGMT_FILE_F_EXCL		0x1
/*
 * PUT, GET: go on from what the receiver kept of an interrupted transfer
 * (struct vmmgmt_file_resume follows the first answer).  GET: the
 * request's @size is the bytes the client kept.
 */
#define VMMGMT_FILE_F_RESUME		0x2
#define VMMGMT_FILE_F_MASK		(VMMGMT_FILE_F_EXCL | VMMGMT_FILE_F_RESUME)

/* The names of partial files kept for --resume: prefix, 16 hex digits. */
#define VMMGMT_FILE_PART_PREFIX		".vmmgmt-put-part-"
#define VMMGMT_FILE_GET_PART_PREFIX	".vmmgmt-get-part-"

/**
 * struct vmmgmt_file_req - a request, client to server; @path_len bytes of
 * path follow it (relative to the export; no NUL; LS and STAT accept 0
 * for the export itself).
 * @magic: %VMMGMT_FILE_REQ_MAGIC.
 * @version: %VMMGMT_FILE_VERSION.
 * @op: enum vmmgmt_file_op.
 * @flags: VMMGMT_FILE_F_* (PUT: both; GET: %VMMGMT_FILE_F_RESUME; zero
 *	otherwise).
 * @path_len: 0..%VMMGMT_FILE_PATH_MAX.
 * @size: PUT: the file's bytes; GET with %VMMGMT_FILE_F_RESUME: the bytes
 *	the client kept of an earlier get; zero otherwise.
 * @mode: PUT: the permission bits (within %VMMGMT_FILE_MODE_MASK); zero
 *	otherwise.
 * @reserved: zero.
 */
struct vmmgmt_file_req {
	__le32 magic;
	__le16 version;
	__le16 op;
	__le32 flags;
	__le32 path_len;
	__le64 size;
	__le32 mode;
	__le32 reserved;
};

/**
 * struct vmmgmt_file_resp - an answer, server to client.
 * @magic: %VMMGMT_FILE_RESP_MAGIC.
 * @version: %VMMGMT_FILE_VERSION.
 * @op: the request's op.
 * @status: 0, or a positive Linux errno (Documentation/files.rst).
 * @mode: GET, STAT, a PUT's final answer: st_mode (type and permissions).
 * @size: GET: the bytes that follow; STAT, a PUT's final answer: st_size.
 * @mtime_sec: GET, STAT, a PUT's final answer: the modification time.
 * @mtime_nsec: its nanoseconds, 0..999999999.
 * @count: LS: the entries that follow.
 * @flags: LS: %VMMGMT_FILE_RESP_F_TRUNCATED; zero otherwise.
 * @reserved: zero.
 */
struct vmmgmt_file_resp {
	__le32 magic;
	__le16 version;
	__le16 op;
	__le32 status;
	__le32 mode;
	__le64 size;
	__le64 mtime_sec;
	__le32 mtime_nsec;
	__le32 count;
	__le32 flags;
	__le32 reserved;
};

/**
 * struct vmmgmt_file_resume - after the first answer (status 0) of a PUT
 * or GET with %VMMGMT_FILE_F_RESUME: where the data starts.
 * @offset: PUT: the bytes of the server's partial file (0: none); GET: the
 *	request's @size, or 0 when the file is shorter.  The chunks carry
 *	the bytes from @offset on; the end's @total and SHA-256 are still
 *	the whole file's.
 * @sha256: SHA-256 of the server's first @offset bytes: the receiver of a
 *	GET, the sender of a PUT compare it with their own before they go on.
 *	A PUT's sender that finds them different ends the data at once with
 *	%ECANCELED in its end (the server drops its partial file).
 */
struct vmmgmt_file_resume {
	__le64 offset;
	__u8 sha256[VMMGMT_SHA256_DIGEST];
};

/* LS: the directory had more than VMMGMT_FILE_LS_MAX entries. */
#define VMMGMT_FILE_RESP_F_TRUNCATED	0x1

/**
 * struct vmmgmt_file_chunk - one chunk of file data; @len bytes follow.
 * @magic: %VMMGMT_FILE_DATA_MAGIC.
 * @len: 1..%VMMGMT_FILE_CHUNK_MAX.
 */
struct vmmgmt_file_chunk {
	__le32 magic;
	__le32 len;
};

/**
 * struct vmmgmt_file_end - the end of a file's data, after its chunks.
 * @magic: %VMMGMT_FILE_END_MAGIC.
 * @status: 0, or the sender's errno: it could not read the whole file
 *	(the receiver drops what it got and answers or returns that).
 * @total: the bytes of all chunks; must equal the size announced.
 * @sha256: SHA-256 of those bytes; the receiver checks it (EBADMSG).
 */
struct vmmgmt_file_end {
	__le32 magic;
	__le32 status;
	__le64 total;
	__u8 sha256[VMMGMT_SHA256_DIGEST];
};

/**
 * struct vmmgmt_file_dirent - one LS entry; @name_len bytes of name follow.
 * @size: st_size.
 * @mtime_sec: st_mtime.
 * @mode: st_mode (type and permissions).
 * @name_len: 1..%VMMGMT_FILE_NAME_MAX.
 * @reserved: zero.
 */
struct vmmgmt_file_dirent {
	__le64 size;
	__le64 mtime_sec;
	__le32 mode;
	__le16 name_len;
	__le16 reserved;
};

static_assert(sizeof(struct vmmgmt_file_req) == 32, "file req size");
static_assert(sizeof(struct vmmgmt_file_resp) == 48, "file resp size");
static_assert(sizeof(struct vmmgmt_file_chunk) == 8, "file chunk size");
static_assert(sizeof(struct vmmgmt_file_end) == 48, "file end size");
static_assert(sizeof(struct vmmgmt_file_dirent) == 24, "file dirent size");
static_assert(sizeof(struct vmmgmt_file_resume) == 40, "file resume size");

/*
 * The name of a partial file: @prefix and 16 hex digits of the SHA-256 of
 * @name (the name of the file it becomes), so that a name of any length
 * gives one that fits, and an interrupted transfer finds its own again.
 * vmmgmtd keeps a put's beside the export's file (VMMGMT_FILE_PART_PREFIX),
 * vmmgmtctl a get's beside the local one (VMMGMT_FILE_GET_PART_PREFIX).
 */
static inline void vmmgmt_file_part_name(const char *prefix, const char *name,
					 char *out, size_t size)
{
	char hex[VMMGMT_SHA256_HEX];
	struct vmmgmt_sha256 sha;

	vmmgmt_sha256_init(&sha);
	vmmgmt_sha256_update(&sha, name, strlen(name));
	vmmgmt_sha256_final_hex(&sha, hex);
	snprintf(out, size, "%s%.16s", prefix, hex);
}

static inline const char *vmmgmt_file_op_name(unsigned int op)
{
	switch (op) {
	case VMMGMT_FILE_PUT:
		return "put";
	case VMMGMT_FILE_GET:
		return "get";
	case VMMGMT_FILE_LS:
		return "ls";
	case VMMGMT_FILE_RM:
		return "rm";
	case VMMGMT_FILE_STAT:
		return "stat";
	default:
		return NULL;
	}
}

/*
 * The request header alone, before its path is read.  Return: 0;
 * -EPROTO (magic), -EPROTONOSUPPORT (version), -EOPNOTSUPP (op), -EINVAL
 * (flags, mode, size or reserved where they must be zero),
 * -ENAMETOOLONG (path_len), -EFBIG (size).  The path_len error ends the
 * session (its bytes cannot be skipped safely); the others as well, since
 * a client that sends them does not speak this version.
 */
static inline int vmmgmt_file_req_check(const struct vmmgmt_file_req *req)
{
	__u16 op = le16toh(req->op);
	__u32 flags = le32toh(req->flags), mode = le32toh(req->mode);
	__u64 size = le64toh(req->size);

	if (le32toh(req->magic) != VMMGMT_FILE_REQ_MAGIC)
		return -EPROTO;
	if (le16toh(req->version) != VMMGMT_FILE_VERSION)
		return -EPROTONOSUPPORT;
	if (!vmmgmt_file_op_name(op))
		return -EOPNOTSUPP;
	if (req->reserved || flags & ~VMMGMT_FILE_F_MASK)
		return -EINVAL;
	if (le32toh(req->path_len) > VMMGMT_FILE_PATH_MAX)
		return -ENAMETOOLONG;
	if (op == VMMGMT_FILE_GET && flags == VMMGMT_FILE_F_RESUME) {
		if (mode)
			return -EINVAL;
	} else if (op != VMMGMT_FILE_PUT && (flags || mode || size)) {
		return -EINVAL;
	}
	if (mode & ~VMMGMT_FILE_MODE_MASK)
		return -EINVAL;
	if (size > VMMGMT_FILE_SIZE_MAX)
		return -EFBIG;
	return 0;
}

/*
 * A request's path, @len bytes (not NUL-terminated): no NUL, no component
 * over VMMGMT_FILE_NAME_MAX, not empty except for LS and STAT.  Syntax
 * only: where the path leads is for openat2() to decide (the server).
 * Return: 0, -EINVAL or -ENAMETOOLONG.
 */
static inline int vmmgmt_file_path_check(const char *path, size_t len,
					 unsigned int op)
{
	size_t i, comp = 0;

	if (!len && op != VMMGMT_FILE_LS && op != VMMGMT_FILE_STAT)
		return -EINVAL;
	if (len > VMMGMT_FILE_PATH_MAX)
		return -ENAMETOOLONG;
	if (memchr(path, '\0', len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		comp = path[i] == '/' ? 0 : comp + 1;
		if (comp > VMMGMT_FILE_NAME_MAX)
			return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * An answer header for a request of @op.  Return: 0, or -EPROTO for
 * anything a server of this version does not send (a status that is no
 * errno, 1..4095, is one).
 */
static inline int vmmgmt_file_resp_check(const struct vmmgmt_file_resp *resp,
					 unsigned int op)
{
	if (le32toh(resp->magic) != VMMGMT_FILE_RESP_MAGIC ||
	    le16toh(resp->version) != VMMGMT_FILE_VERSION ||
	    le16toh(resp->op) != op || resp->reserved ||
	    le32toh(resp->status) > 4095 ||
	    le32toh(resp->mtime_nsec) > 999999999 ||
	    le32toh(resp->flags) & ~VMMGMT_FILE_RESP_F_TRUNCATED ||
	    le32toh(resp->count) > VMMGMT_FILE_LS_MAX ||
	    le64toh(resp->size) > VMMGMT_FILE_SIZE_MAX)
		return -EPROTO;
	return 0;
}

/* ---- reading and writing whole messages on a byte stream ---- */

static inline void vmmgmt_file_resp_init(struct vmmgmt_file_resp *resp,
					 unsigned int op, int err)
{
	memset(resp, 0, sizeof(*resp));
	resp->magic = htole32(VMMGMT_FILE_RESP_MAGIC);
	resp->version = htole16(VMMGMT_FILE_VERSION);
	resp->op = htole16(op);
	resp->status = htole32(err < 0 ? -err : err);
}

static inline void vmmgmt_file_req_init(struct vmmgmt_file_req *req,
					unsigned int op, size_t path_len)
{
	memset(req, 0, sizeof(*req));
	req->magic = htole32(VMMGMT_FILE_REQ_MAGIC);
	req->version = htole16(VMMGMT_FILE_VERSION);
	req->op = htole16(op);
	req->path_len = htole32(path_len);
}

/* Called after each chunk with the bytes so far and the total. */
typedef void (*vmmgmt_file_progress_fn)(void *arg, __u64 done, __u64 total);

/* All of @iovcnt buffers to @fd (EINTR retried).  Return: 0 or -errno. */
static inline int vmmgmt_file_writev_all(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt) {
		n = writev(fd, iov, iovcnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		while (iovcnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

static inline int vmmgmt_file_send_end(int sfd, int err, __u64 total,
				       struct vmmgmt_sha256 *sha, __u8 *digest)
{
	struct vmmgmt_file_end end = {
		.magic = htole32(VMMGMT_FILE_END_MAGIC),
		.status = htole32(err < 0 ? -err : err),
		.total = htole64(total),
	};
	struct iovec iov = { &end, sizeof(end) };

	vmmgmt_sha256_final(sha, end.sha256);
	if (digest)
		memcpy(digest, end.sha256, VMMGMT_SHA256_DIGEST);
	return vmmgmt_file_writev_all(sfd, &iov, 1);
}

/* The peer of the stream @watch hung up or failed (poll(), no wait). */
static inline bool vmmgmt_file_peer_gone(int watch)
{
	struct pollfd p = { .fd = watch };

	return watch >= 0 && poll(&p, 1, 0) > 0 &&
	       p.revents & (POLLHUP | POLLERR | POLLNVAL);
}

/*
 * Hash the first @len bytes of the file @fd (pread(), its offset left
 * alone) into @sha, which the caller initialised.  A server passes the
 * stream as @watch (else -1): the hashing, which no flow control paces,
 * stops when the peer that asked for it is gone.  Return: 0, -EIO when
 * the file is shorter, -ECONNRESET (@watch gone), or read()'s -errno.
 */
static inline int vmmgmt_file_hash_prefix(int fd, __u64 len,
					  struct vmmgmt_sha256 *sha, int watch)
{
	unsigned int chunks = 0;
	__u64 done = 0;
	ssize_t n;
	char *buf;

	buf = malloc(VMMGMT_FILE_CHUNK_MAX);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < VMMGMT_FILE_CHUNK_MAX ?
			      len - done : VMMGMT_FILE_CHUNK_MAX;

		/* Every 4 MiB: is the peer still there? */
		if (!(++chunks % 16) && vmmgmt_file_peer_gone(watch)) {
			free(buf);
			return -ECONNRESET;
		}

		n = pread(fd, buf, want, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		vmmgmt_sha256_update(sha, buf, n);
		done += n;
	}
	free(buf);
	return 0;
}

/* True when @len bytes at @buf are all zero. */
static inline bool vmmgmt_file_zero(const char *buf, size_t len)
{
	return !len || (!buf[0] && !memcmp(buf, buf + 1, len - 1));
}

/*
 * Send the bytes @from..@size of @src (read() from where it stands: a
 * file at @from, or a pipe) to the stream @sfd as chunks, and the end
 * with @size and the SHA-256 of the whole: @sha holds the hash of the
 * first @from bytes (initialised by the caller; vmmgmt_file_hash_prefix()).
 * If @src ends early or fails, the end carries that error (-EIO for a file
 * that shrank) and so does the return; a file that grew is cut at @size.
 * @digest (VMMGMT_SHA256_DIGEST bytes, or NULL) gets the SHA-256 sent.
 * Return: 0; the -errno of @src (*@local true: the receiver was told);
 * or the stream's -errno (*@local false).
 */
static inline int vmmgmt_file_send_data(int sfd, int src, __u64 from,
					__u64 size, struct vmmgmt_sha256 *sha,
					vmmgmt_file_progress_fn progress,
					void *arg, __u8 *digest, bool *local)
{
	struct vmmgmt_file_chunk hdr = { .magic = htole32(VMMGMT_FILE_DATA_MAGIC) };
	__u64 done = from;
	struct iovec iov[2];
	ssize_t n;
	char *buf;
	int err = 0;

	*local = false;
	buf = malloc(VMMGMT_FILE_CHUNK_MAX);
	if (!buf)
		return -ENOMEM;
	while (done < size) {
		size_t want = size - done < VMMGMT_FILE_CHUNK_MAX ?
			      size - done : VMMGMT_FILE_CHUNK_MAX;

		n = read(src, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			*local = true;
			break;
		}
		vmmgmt_sha256_update(sha, buf, n);
		hdr.len = htole32(n);
		iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
		iov[1] = (struct iovec){ buf, n };
		err = vmmgmt_file_writev_all(sfd, iov, 2);
		if (err)
			goto out;
		done += n;
		if (progress)
			progress(arg, done, size);
	}
	n = vmmgmt_file_send_end(sfd, err, done, sha, digest);
	if (n && !err)
		err = n;
out:
	free(buf);
	return err;
}

/*
 * Whether @dst may get holes: a regular file, not O_APPEND, written from
 * its end on (a new or emptied file, or the end of kept bytes), so that a
 * hole never leaves older bytes standing where zeros belong.
 */
static inline bool vmmgmt_file_may_hole(int dst)
{
	struct stat st;
	off_t pos;
	int fl;

	if (dst < 0 || fstat(dst, &st) || !S_ISREG(st.st_mode))
		return false;
	fl = fcntl(dst, F_GETFL);
	pos = lseek(dst, 0, SEEK_CUR);
	return fl >= 0 && !(fl & O_APPEND) && pos >= st.st_size;
}

/*
 * One received chunk of @len bytes into @dst: with @sparse
 * (vmmgmt_file_may_hole()) an all-zero chunk becomes a hole (*@hole: the
 * file's end is still to be set), anything else is written.  Return: 0
 * or -errno.
 */
static inline int vmmgmt_file_store(int dst, const char *buf, size_t len,
				    bool sparse, bool *hole)
{
	if (sparse && vmmgmt_file_zero(buf, len) && lseek(dst, len, SEEK_CUR) >= 0) {
		*hole = true;
		return 0;
	}
	*hole = false;
	return vmmgmt_write_all(dst, buf, len);
}

/*
 * Receive a file of @size bytes from the stream @sfd, from byte @from on:
 * chunks, then the end, each checked; the bytes go to @dst (write() from
 * where it stands, -1 to drop them; all-zero chunks become holes where
 * vmmgmt_file_may_hole() allows, so that a sparse file stays sparse).  @sha holds the hash
 * of the first @from bytes (initialised by the caller).  A failed write()
 * of @dst does not stop the reading: the rest is dropped, so that the
 * stream stays in step.  Return: 0 (the SHA-256 matched); a per-file
 * error, after which the stream can go on: -EBADMSG (SHA-256), the
 * sender's errno from the end, @dst's -errno; or, with *@fatal set,
 * -EPROTO (a chunk or end that breaks the rules), -EPIPE (the stream
 * ended) or the stream's -errno.  Either way what was written to @dst
 * stands, a trailing hole included.  @digest (or NULL) gets the SHA-256
 * of the bytes received when it matched.
 */
static inline int vmmgmt_file_recv_data(int sfd, int dst, __u64 from,
					__u64 size, struct vmmgmt_sha256 *sha,
					vmmgmt_file_progress_fn progress,
					void *arg, __u8 *digest, bool *fatal)
{
	struct vmmgmt_file_chunk hdr;
	struct vmmgmt_file_end end;
	__u8 got[VMMGMT_SHA256_DIGEST];
	__u64 done = from;
	bool hole = false, sparse = vmmgmt_file_may_hole(dst);
	__u32 len, status;
	int err, werr = 0;
	off_t pos;
	char *buf;

	*fatal = true;
	buf = malloc(VMMGMT_FILE_CHUNK_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		err = vmmgmt_read_full(sfd, &hdr, sizeof(hdr), NULL);
		if (err)
			goto out;
		if (le32toh(hdr.magic) == VMMGMT_FILE_END_MAGIC)
			break;
		len = le32toh(hdr.len);
		err = -EPROTO;
		if (le32toh(hdr.magic) != VMMGMT_FILE_DATA_MAGIC || !len ||
		    len > VMMGMT_FILE_CHUNK_MAX || done > size || len > size - done)
			goto out;
		err = vmmgmt_read_full(sfd, buf, len, NULL);
		if (err)
			goto out;
		vmmgmt_sha256_update(sha, buf, len);
		done += len;
		if (dst >= 0 && !werr) {
			werr = vmmgmt_file_store(dst, buf, len, sparse, &hole);
			if (werr)
				dst = -1;
		}
		if (progress)
			progress(arg, done, size);
	}
	memcpy(&end, &hdr, sizeof(hdr));
	err = vmmgmt_read_full(sfd, (char *)&end + sizeof(hdr),
			       sizeof(end) - sizeof(hdr), NULL);
	if (err)
		goto out;
	status = le32toh(end.status);
	err = -EPROTO;
	if (le64toh(end.total) != done || status > 4095 ||
	    (!status && done != size))
		goto out;
	*fatal = false;
	vmmgmt_sha256_final(sha, got);
	if (status)
		err = -(int)status;
	else if (memcmp(got, end.sha256, sizeof(got)))
		err = -EBADMSG;
	else
		err = werr;
	if (!err && digest)
		memcpy(digest, got, sizeof(got));
out:
	/* A hole at the end: the file's size says where it ends. */
	if (hole && dst >= 0) {
		pos = lseek(dst, 0, SEEK_CUR);
		if ((pos < 0 || ftruncate(dst, pos)) && !err)
			err = -errno;
	}
	free(buf);
	return err;
}

#endif /* VMMGMT_FILE_PROTO_H */
