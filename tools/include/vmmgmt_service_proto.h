/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt_service_proto.h: the protocol of host services (issue 15,
 * "calculation on the host"), carried over one vmmgmt stream in calc mode
 * from a guest program (vmmgmtctl call, or any program of the guest) to
 * vmmgmtd's service runner on host port VMMGMT_SERVICE_PORT.  Shared by
 * both ends, the tests and the fuzzer; Documentation/services.rst
 * describes the exchange, the errors and the limits.
 *
 * Like vmmgmt_file_proto.h it is a protocol between userspace programs of
 * the project (no module reads it), and still a wire format between a
 * guest and a host that may run different versions: the call carries
 * VMMGMT_SERVICE_VERSION, and both ends keep these rules: integers
 * little-endian of fixed width, reserved fields zero, every length bounded
 * by a constant here, every field checked with the helpers below before
 * it is used.  Header only, static inline, libc alone, nothing printed.
 *
 * The exchange, on one stream:
 *   client -> server: struct vmmgmt_svc_call, then its len bytes (the
 *	service's name and argc arguments, each ending with a NUL), then
 *	the service's standard input as raw bytes, ended by the client's
 *	half-close (end of file);
 *   server -> client: frames (struct vmmgmt_svc_frame and its len bytes):
 *	STDOUT and STDERR carry output as it comes, then exactly one EXIT
 *	(the service ran and ended) or ERROR (it did not run, or was killed
 *	at its time limit), after which the server closes the stream.
 */
#ifndef VMMGMT_SERVICE_PROTO_H
#define VMMGMT_SERVICE_PROTO_H

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <linux/types.h>

/* The host port vmmgmtd's services listen on (below the dynamic ones). */
#define VMMGMT_SERVICE_PORT		22

#define VMMGMT_SERVICE_VERSION		1

/* Magics: four ASCII bytes in stream order, read as a __le32. */
#define VMMGMT_SVC_MAGIC(a, b, c, d) \
	((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
#define VMMGMT_SVC_CALL_MAGIC		VMMGMT_SVC_MAGIC('V', 'M', 'S', 'C')
#define VMMGMT_SVC_FRAME_MAGIC		VMMGMT_SVC_MAGIC('V', 'M', 'S', 'F')

/* Limits. */
#define VMMGMT_SVC_NAME_MAX		64	/* bytes of a service name */
#define VMMGMT_SVC_ARGS_MAX		64	/* arguments of one call */
#define VMMGMT_SVC_CALL_LEN_MAX		16384	/* name and arguments, NULs too */
#define VMMGMT_SVC_FRAME_MAX		65536	/* payload bytes of one frame */
#define VMMGMT_SVC_MSG_MAX		1024	/* text of an ERROR frame */

/**
 * struct vmmgmt_svc_call - the call, first on the stream (client to server).
 * @magic: %VMMGMT_SVC_CALL_MAGIC.
 * @version: %VMMGMT_SERVICE_VERSION.
 * @argc: arguments after the name, at most %VMMGMT_SVC_ARGS_MAX.
 * @len: bytes that follow: the name, a NUL, and each argument with its
 *	NUL; at most %VMMGMT_SVC_CALL_LEN_MAX.
 * @reserved: zero.
 */
struct vmmgmt_svc_call {
	__le32 magic;
	__le16 version;
	__le16 argc;
	__le32 len;
	__le32 reserved;
};

static_assert(sizeof(struct vmmgmt_svc_call) == 16, "call header");

/**
 * enum vmmgmt_svc_frame_type - what a frame from the server carries.
 * @VMMGMT_SVC_STDOUT: bytes the service wrote to its standard output.
 * @VMMGMT_SVC_STDERR: bytes it wrote to its standard error.
 * @VMMGMT_SVC_EXIT: struct vmmgmt_svc_exit; the last frame.
 * @VMMGMT_SVC_ERROR: struct vmmgmt_svc_error and a message; the last frame.
 * @VMMGMT_SVC_FRAME_TYPES: one past the last type.
 */
enum vmmgmt_svc_frame_type {
	VMMGMT_SVC_STDOUT = 1,
	VMMGMT_SVC_STDERR = 2,
	VMMGMT_SVC_EXIT = 3,
	VMMGMT_SVC_ERROR = 4,
	VMMGMT_SVC_FRAME_TYPES,
};

/**
 * struct vmmgmt_svc_frame - a frame header (server to client).
 * @magic: %VMMGMT_SVC_FRAME_MAGIC.
 * @type: an &enum vmmgmt_svc_frame_type value.
 * @reserved: zero.
 * @len: payload bytes that follow, at most %VMMGMT_SVC_FRAME_MAX; for EXIT
 *	exactly sizeof(struct vmmgmt_svc_exit); for ERROR sizeof(struct
 *	vmmgmt_svc_error) and up to %VMMGMT_SVC_MSG_MAX bytes of text.
 * @reserved2: zero.
 */
struct vmmgmt_svc_frame {
	__le32 magic;
	__le16 type;
	__le16 reserved;
	__le32 len;
	__le32 reserved2;
};

static_assert(sizeof(struct vmmgmt_svc_frame) == 16, "frame header");

/**
 * struct vmmgmt_svc_exit - how the service ended (an EXIT frame).
 * @status: its exit status (0 to 255) when @signal is 0.
 * @signal: the signal that ended it, or 0.
 * @cpu_us: CPU time it used, user and system, in microseconds.
 */
struct vmmgmt_svc_exit {
	__le32 status;
	__le32 signal;
	__le64 cpu_us;
};

static_assert(sizeof(struct vmmgmt_svc_exit) == 16, "exit payload");

/**
 * struct vmmgmt_svc_error - why the call failed (an ERROR frame).
 * @err: a positive errno: ENOENT no such service, EACCES the VM may not
 *	call it, EBUSY too many calls, EPROTO a bad call, ETIME killed at
 *	its time limit, ENOEXEC it could not be started, ENOMEM.
 * @reserved: zero.
 *
 * The frame's remaining bytes are a message in English, no NUL.
 */
struct vmmgmt_svc_error {
	__le32 err;
	__le32 reserved;
};

static_assert(sizeof(struct vmmgmt_svc_error) == 8, "error payload");

/**
 * vmmgmt_svc_name_ok() - is @name a service name?
 * @name: a NUL-terminated string.
 *
 * 1 to %VMMGMT_SVC_NAME_MAX bytes of letters, digits, '_', '-' and '.',
 * not starting with '.' or '-': a plain file name in the services
 * directory, never a path, never hidden, never an option.
 */
static inline bool vmmgmt_svc_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > VMMGMT_SVC_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/**
 * vmmgmt_svc_call_check() - check a call header as received.
 * @c: the header.
 *
 * Return: 0; -EPROTO for a wrong magic, version or reserved field, or a
 * length below 2 + argc bytes (a name of one byte and argc empty
 * arguments, each with its NUL); -E2BIG past the limits (checked first).
 */
static inline int vmmgmt_svc_call_check(const struct vmmgmt_svc_call *c)
{
	if (le32toh(c->magic) != VMMGMT_SVC_CALL_MAGIC ||
	    le16toh(c->version) != VMMGMT_SERVICE_VERSION || c->reserved)
		return -EPROTO;
	if (le16toh(c->argc) > VMMGMT_SVC_ARGS_MAX ||
	    le32toh(c->len) > VMMGMT_SVC_CALL_LEN_MAX)
		return -E2BIG;
	if (le32toh(c->len) < 2u + le16toh(c->argc))
		return -EPROTO;
	return 0;
}

/**
 * vmmgmt_svc_call_split() - the name and arguments of a call's bytes.
 * @buf: the @len bytes after the header (not changed).
 * @len: their count, as checked by vmmgmt_svc_call_check().
 * @argc: the header's argument count.
 * @argv: returns the name in [0] and the arguments in [1..@argc], pointers
 *	into @buf, then NULL: room for %VMMGMT_SVC_ARGS_MAX + 2 entries.
 *
 * Return: 0; -EPROTO unless @buf holds exactly @argc + 1 strings, each
 * ended by a NUL, or when the name is not vmmgmt_svc_name_ok().
 */
static inline int vmmgmt_svc_call_split(const char *buf, size_t len,
					unsigned int argc, char **argv)
{
	size_t off = 0;
	unsigned int i;

	if (argc > VMMGMT_SVC_ARGS_MAX)
		return -EPROTO;
	for (i = 0; i <= argc; i++) {
		const char *nul = off < len ? memchr(buf + off, 0, len - off) : NULL;

		if (!nul)
			return -EPROTO;
		argv[i] = (char *)buf + off;
		off = (size_t)(nul - buf) + 1;
	}
	argv[argc + 1] = NULL;
	if (off != len || !vmmgmt_svc_name_ok(argv[0]))
		return -EPROTO;
	return 0;
}

/**
 * vmmgmt_svc_frame_check() - check a frame header as received.
 * @f: the header.
 *
 * Return: 0, or -EPROTO for a wrong magic, type, reserved field or length.
 */
static inline int vmmgmt_svc_frame_check(const struct vmmgmt_svc_frame *f)
{
	__u32 len = le32toh(f->len);

	if (le32toh(f->magic) != VMMGMT_SVC_FRAME_MAGIC || f->reserved ||
	    f->reserved2 || len > VMMGMT_SVC_FRAME_MAX)
		return -EPROTO;
	switch (le16toh(f->type)) {
	case VMMGMT_SVC_STDOUT:
	case VMMGMT_SVC_STDERR:
		return 0;
	case VMMGMT_SVC_EXIT:
		return len == sizeof(struct vmmgmt_svc_exit) ? 0 : -EPROTO;
	case VMMGMT_SVC_ERROR:
		return len >= sizeof(struct vmmgmt_svc_error) &&
		       len <= sizeof(struct vmmgmt_svc_error) + VMMGMT_SVC_MSG_MAX ?
		       0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

/**
 * vmmgmt_svc_frame_init() - fill in a frame header.
 * @f: the header.
 * @type: an &enum vmmgmt_svc_frame_type value.
 * @len: payload bytes.
 */
static inline void vmmgmt_svc_frame_init(struct vmmgmt_svc_frame *f,
					 unsigned int type, __u32 len)
{
	memset(f, 0, sizeof(*f));
	f->magic = htole32(VMMGMT_SVC_FRAME_MAGIC);
	f->type = htole16((__u16)type);
	f->len = htole32(len);
}

/**
 * struct vmmgmt_svc_reader - frames read from the stream (the client).
 * @hdr: the frame being read: its header, @hdr_got bytes of it so far.
 * @hdr_got: header bytes so far.
 * @payload: %VMMGMT_SVC_FRAME_MAX bytes of room for its payload (the
 *	caller's).
 * @payload_got: payload bytes so far.
 */
struct vmmgmt_svc_reader {
	struct vmmgmt_svc_frame hdr;
	size_t hdr_got;
	unsigned char *payload;
	size_t payload_got;
};

/**
 * vmmgmt_svc_reader_take() - feed bytes of the stream; whole frames out.
 * @r: the reader (zeroed but @payload at the start).
 * @p: bytes as they came, in any pieces.
 * @n: their count.
 * @frame: called for each whole frame, its header checked with
 *	vmmgmt_svc_frame_check(): its type, payload and length; returns
 *	false after the last frame (EXIT, ERROR), and the rest of @p is
 *	left alone.
 * @arg: passed to @frame.
 *
 * Return: 0 while more may come; 1 when @frame said it was the last;
 * -EPROTO when a header failed its check (nothing more may be fed).
 */
static inline int
vmmgmt_svc_reader_take(struct vmmgmt_svc_reader *r, const unsigned char *p,
		       size_t n,
		       bool (*frame)(void *arg, unsigned int type,
				     const unsigned char *payload, size_t len),
		       void *arg)
{
	size_t k, len;

	while (n) {
		if (r->hdr_got < sizeof(r->hdr)) {
			k = sizeof(r->hdr) - r->hdr_got;
			if (k > n)
				k = n;
			memcpy((unsigned char *)&r->hdr + r->hdr_got, p, k);
			r->hdr_got += k;
			p += k;
			n -= k;
			if (r->hdr_got < sizeof(r->hdr))
				return 0;
			if (vmmgmt_svc_frame_check(&r->hdr))
				return -EPROTO;
			r->payload_got = 0;
		}
		len = le32toh(r->hdr.len);
		k = len - r->payload_got;
		if (k > n)
			k = n;
		memcpy(r->payload + r->payload_got, p, k);
		r->payload_got += k;
		p += k;
		n -= k;
		if (r->payload_got == len) {
			r->hdr_got = 0;
			if (!frame(arg, le16toh(r->hdr.type), r->payload, len))
				return 1;
		}
	}
	return 0;
}

#endif /* VMMGMT_SERVICE_PROTO_H */
