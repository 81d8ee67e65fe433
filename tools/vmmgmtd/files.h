/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtd: the file service of file mode (files.c): one export directory
 * per VM, served over one connected byte stream at a time per call of
 * vmmgmtd_files_serve().  The protocol is tools/include/vmmgmt_file_proto.h,
 * the model Documentation/files.rst.  No other file of vmmgmtd is needed
 * to use it: the tests drive it over socketpairs, and vmmgmtctl links it
 * as the server of the guest's agent (vmmgmtctl/file_serve.c: file serve
 * for the host's push and pull, file recv for other VMs' send), which
 * opens an export of its own for each stream.
 */
#ifndef VMMGMTD_FILES_H
#define VMMGMTD_FILES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "vmmgmt.h"

/* Where VM NAME's export is unless its configuration says (files_dir=). */
#define VMMGMTD_FILES_ROOT		"/var/lib/vmmgmt/files"
#define VMMGMTD_FILES_QUOTA_DEFAULT	(1024ULL * 1024 * 1024)
#define VMMGMTD_FILES_OPEN_DEFAULT	16
#define VMMGMTD_FILES_XFERS_DEFAULT	4
/* A session that sends no request for this long is ended. */
#define VMMGMTD_FILES_IDLE_MS		60000
/* ... and for a refusing export (vmmgmtd_files_refusing()), this long. */
#define VMMGMTD_FILES_REFUSE_IDLE_MS	5000
/* Sessions (streams being served) of one VM at once. */
#define VMMGMTD_FILES_SESSIONS_PER_VM	16
/* Upper bounds of files_max_open= and files_max_transfers=. */
#define VMMGMTD_FILES_OPEN_MAX		1024
#define VMMGMTD_FILES_XFERS_MAX		64

enum vmmgmtd_files_access {
	VMMGMTD_FILES_OFF,		/* the default: no file service */
	VMMGMTD_FILES_RO,		/* get, ls, stat */
	VMMGMTD_FILES_RW,		/* and put, rm */
	/* put alone, of new names in the directory itself, none hidden (a
	 * guest's file recv: a drop box)
	 */
	VMMGMTD_FILES_PUT_ONLY,
};

/**
 * struct vmmgmtd_files_event - what one request did, for the export's
 * audit hook (&vmmgmtd_files_export.audit), called once per request
 * after its last answer.
 * @op: the request's op (enum vmmgmt_file_op); any value for a header
 *	that broke the protocol.
 * @path: the request's path ("" for the export itself, or when the
 *	header broke the protocol).
 * @size: put: the size announced; get, stat: the file's; else 0.
 * @from: put, get: the bytes kept from an earlier transfer (resume).
 * @bytes: put, get: the file's bytes that crossed the stream.
 * @entries: ls: the entries sent.
 * @err: 0, or the -errno answered, or that ended the session.
 * @local: @err is the server's own failure (a file that could not be
 *	read while it was sent), not the client's doing.
 */
struct vmmgmtd_files_event {
	unsigned int op;
	const char *path;
	__u64 size;
	__u64 from;
	__u64 bytes;
	unsigned int entries;
	int err;
	bool local;
};

struct vmmgmtd_files_export;

/* The audit hook: called in the session's thread, after each request. */
typedef void (*vmmgmtd_files_audit_fn)(const struct vmmgmtd_files_export *e,
				       const struct vmmgmtd_files_event *ev);

/**
 * struct vmmgmtd_files_conf - a VM's file service settings (NAME.conf:
 * files=, files_dir=, files_links=, files_quota=, files_max_open=,
 * files_max_transfers=).
 * @access: off, read-only, read-write, or put alone.
 * @dir: the export directory, or NULL for VMMGMTD_FILES_ROOT/NAME.
 * @links: symlinks inside the export are followed (never out of it).
 * @quota: bytes of regular files the export may hold; 0: no limit.
 * @max_open: files and directories open for the VM at once.
 * @max_transfers: puts and gets under way for the VM at once.
 */
struct vmmgmtd_files_conf {
	enum vmmgmtd_files_access access;
	char *dir;
	bool links;
	__u64 quota;
	unsigned int max_open;
	unsigned int max_transfers;
};

/**
 * struct vmmgmtd_files_export - one VM's export, open and being served;
 * shared by the sessions (threads) that serve that VM's streams.
 * @vm: the VM's name, for the log.
 * @root_fd: the export directory (O_PATH), the base of every openat2().
 * @conf: the settings it was opened with (@conf.dir not kept).
 * @lock: protects the counters below.
 * @names: held while a file of the export is measured and then renamed
 *	over or removed (a put's end, rm, partial files), so that the bytes
 *	counted off are those of the file that went.
 * @used: bytes of the export's regular files: walked at open, kept up to
 *	date by put and rm (not by whoever else writes there).
 * @reserved: the sizes of the puts under way.
 * @open: files and directories open for the VM.
 * @transfers: puts and gets under way.
 * @refs: for vmmgmtd_files_new(): the VM's slot and each session (atomic).
 * @sessions: sessions of the VM being served (atomic; files_listen.c).
 * @idle_ms: how long a session may wait for its next request
 *	(VMMGMTD_FILES_IDLE_MS; the tests shorten it).
 * @refuse: 0, or the -errno that every request gets (and the session
 *	ends): an export of vmmgmtd_files_refusing(), which has no
 *	directory.
 * @audit: called after every request (NULL: none); set after the export
 *	is opened, before it is served.
 * @audit_arg: for @audit.
 */
struct vmmgmtd_files_export {
	char vm[VMMGMT_NAME_MAX];
	int root_fd;
	struct vmmgmtd_files_conf conf;
	pthread_mutex_t lock;
	pthread_mutex_t names;
	__u64 used;
	__u64 reserved;
	unsigned int open;
	unsigned int transfers;
	unsigned int refs;
	unsigned int sessions;
	int idle_ms;
	int refuse;
	vmmgmtd_files_audit_fn audit;
	void *audit_arg;
};

void vmmgmtd_files_conf_init(struct vmmgmtd_files_conf *conf);
bool vmmgmtd_files_setting(struct vmmgmtd_files_conf *conf, const char *key,
			   const char *val, char *err, size_t len);
int vmmgmtd_files_open(struct vmmgmtd_files_export *e, const char *vm,
		       const struct vmmgmtd_files_conf *conf, char *err,
		       size_t len);
void vmmgmtd_files_close(struct vmmgmtd_files_export *e);
void vmmgmtd_files_refusing(struct vmmgmtd_files_export *e, const char *who,
			    int err);
struct vmmgmtd_files_export *vmmgmtd_files_new(const char *vm,
					       const struct vmmgmtd_files_conf *conf,
					       char *err, size_t len);
void vmmgmtd_files_ref(struct vmmgmtd_files_export *e);
void vmmgmtd_files_unref(struct vmmgmtd_files_export *e);
int vmmgmtd_files_serve(struct vmmgmtd_files_export *e, int fd);
void vmmgmtd_files_quote(const char *s, char *out, size_t size);

#endif /* VMMGMTD_FILES_H */
