/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtctl: the client side of the file protocol (file_client.c) on any
 * connected byte stream: a vmmgmt stream to the host's file service in
 * real use (file.c), a socket in the tests (tools/tests/vmmgmt_file_proto_test.c).
 * Each call is one request and its answer; every call returns 0 or a
 * negative errno, the server's (its status) or the stream's.
 */
#ifndef VMMGMT_FILE_CLIENT_H
#define VMMGMT_FILE_CLIENT_H

#include <stdbool.h>

#include <linux/types.h>

#include "vmmgmt_file_proto.h"

/* What the server says about a file. */
struct vmmgmt_file_info {
	__u64 size;
	__u32 mode;		/* st_mode: type and permissions */
	__s64 mtime_sec;
	__u32 mtime_nsec;
};

/* One ls entry; a nonzero return stops the listing with that value. */
typedef int (*vmmgmt_file_ls_fn)(void *arg, const char *name,
				 const struct vmmgmt_file_info *info);

/*
 * One put or get: what the caller asks (in) and what happened (out).
 * Zero it, then set what applies.
 */
struct vmmgmt_file_xfer {
	__u32 flags;		/* in: VMMGMT_FILE_F_* */
	__u64 have;		/* in: get with F_RESUME: bytes of dst kept */
	/* in: called with the bytes so far (the resumed ones first), or NULL */
	vmmgmt_file_progress_fn progress;
	void *arg;
	__u64 resumed;		/* out: bytes not sent again */
	bool restarted;		/* out: put: resumed data differed, sent whole */
	bool broken;		/* out: the stream broke: what arrived may stay */
	struct vmmgmt_file_info info;		/* out: the file, server's view */
	__u8 digest[VMMGMT_SHA256_DIGEST];	/* out: SHA-256 of the file */
};

int vmmgmt_file_client_put(int sfd, int src, __u64 size, __u32 mode,
			   const char *remote, struct vmmgmt_file_xfer *x);
int vmmgmt_file_client_get(int sfd, const char *remote, int dst,
			   struct vmmgmt_file_xfer *x);
int vmmgmt_file_client_stat(int sfd, const char *remote,
			    struct vmmgmt_file_info *info);
int vmmgmt_file_client_rm(int sfd, const char *remote);
int vmmgmt_file_client_ls(int sfd, const char *dir, vmmgmt_file_ls_fn fn,
			  void *arg, bool *truncated);

#endif /* VMMGMT_FILE_CLIENT_H */
