// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: where the file service (files.c) meets the daemon: each VM's
 * export opened from its NAME.conf, the stream listener on host port
 * VMMGMT_FILE_PORT (a file of /dev/vmmgmt-host of its own), and one
 * detached thread per accepted stream, which serves it with
 * vmmgmtd_files_serve() on the export of the VM the stream comes from
 * (the peer's VM id that STREAM_ACCEPT reports; a VM without an export
 * gets its stream closed).  The poll() loop (main.c) calls
 * vmmgmtd_files_accept() when the listener is readable; the upgrade
 * (upgrade.c) stops the listener before the old module is quiesced
 * (QUIESCE resets every host stream, so the sessions end and close their
 * files, and the module can go) and starts it again at its end.
 *
 * The threads touch nothing of struct vmmgmtd: only their stream and
 * their export, which they hold a reference of (a "vm del" meanwhile
 * drops the slot's only).  Calls files.c, listener.c, config.c (slots)
 * and libc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmgmt_file_proto.h"
#include "vmmgmtd.h"

/* Sessions at once, all VMs (each VMMGMTD_FILES_SESSIONS_PER_VM at most). */
#define FILES_SESSIONS_MAX	256

static unsigned int files_sessions;

/*
 * The file service's audit hook: a line per request with -v (a guest
 * could fill the log otherwise), always when the host's own file failed
 * under a get.
 */
static void files_log(const struct vmmgmtd_files_export *e,
		      const struct vmmgmtd_files_event *ev)
{
	const char *op = vmmgmt_file_op_name(ev->op);
	char path[1024];

	if (!ev->local && !vmmgmtd_verbose)
		return;
	/* The guest's path, quoted: it must not forge lines of the log. */
	vmmgmtd_files_quote(ev->path, path, sizeof(path));
	vmmgmtd_info("%s: file %s %s: %llu bytes from %llu: %s", e->vm,
		     op ? op : "(bad request)", path,
		     (unsigned long long)ev->bytes, (unsigned long long)ev->from,
		     ev->err ? strerror(-ev->err) : "ok");
}

struct files_session {
	struct vmmgmtd_files_export *e;
	int fd;
};

static void *files_session_thread(void *arg)
{
	struct files_session *s = arg;
	int err;

	err = vmmgmtd_files_serve(s->e, s->fd);
	if (err && err != -ECONNRESET)
		vmmgmtd_debug("%s: file session: %s", s->e->vm, strerror(-err));
	close(s->fd);
	__atomic_sub_fetch(&s->e->sessions, 1, __ATOMIC_RELAXED);
	vmmgmtd_files_unref(s->e);
	free(s);
	__atomic_sub_fetch(&files_sessions, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* The exports of the slots with files=ro or rw: how many are open. */
static unsigned int files_open_exports(struct vmmgmtd *d)
{
	char err[VMMGMTD_ERR_MAX];
	unsigned int i, n = 0;

	for (i = 0; i < d->nr_vms; i++) {
		struct vmmgmtd_vm *vm = d->vms[i];

		if (vm->files.access == VMMGMTD_FILES_OFF)
			continue;
		if (!vm->files_export) {
			vm->files_export = vmmgmtd_files_new(vm->name, &vm->files,
							     err, sizeof(err));
			if (!vm->files_export)
				vmmgmtd_info("file service: %s: off", err);
			else
				vm->files_export->audit = files_log;
		}
		n += !!vm->files_export;
	}
	return n;
}

/**
 * vmmgmtd_files_start() - open the exports of the VMs that have files=ro
 * or rw and, if there is one, listen for their streams.
 * @d: the daemon, with the host module's file open.
 *
 * An export that cannot be opened is logged and stays off; so does the
 * whole service when the listener cannot be made (a module without
 * streams, the port taken).
 *
 * Context: vmmgmtd's loop (start-up, the end of an upgrade).
 */
void vmmgmtd_files_start(struct vmmgmtd *d)
{
	unsigned int n;
	int err;

	n = files_open_exports(d);
	if (!n || d->files.fd >= 0 || d->host_fd < 0 || d->no_module)
		return;
	err = vmmgmtd_listener_open(&d->files);
	if (err) {
		vmmgmtd_info("file service: %s: listen on host port %u: %s: off",
			     VMMGMT_HOST_DEV, VMMGMT_FILE_PORT, strerror(-err));
		return;
	}
	vmmgmtd_info("file service: host port %u, %u VMs", VMMGMT_FILE_PORT, n);
}

/*
 * A thread for the stream @fd of @vm; false if there is none: too many
 * sessions of the VM or of all VMs, or no memory or thread.
 */
static bool files_spawn(struct vmmgmtd_vm *vm, int fd)
{
	struct vmmgmtd_files_export *e = vm->files_export;
	struct files_session *s;
	pthread_attr_t attr;
	pthread_t thread;
	bool ok;

	if (__atomic_add_fetch(&e->sessions, 1, __ATOMIC_RELAXED) >
	    VMMGMTD_FILES_SESSIONS_PER_VM)
		goto busy_vm;
	if (__atomic_add_fetch(&files_sessions, 1, __ATOMIC_RELAXED) >
	    FILES_SESSIONS_MAX)
		goto busy;
	s = malloc(sizeof(*s));
	if (!s)
		goto busy;
	s->e = vm->files_export;
	s->fd = fd;
	vmmgmtd_files_ref(s->e);
	ok = !pthread_attr_init(&attr) &&
	     !pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) &&
	     !pthread_create(&thread, &attr, files_session_thread, s);
	pthread_attr_destroy(&attr);
	if (ok)
		return true;
	vmmgmtd_files_unref(s->e);
	free(s);
busy:
	__atomic_sub_fetch(&files_sessions, 1, __ATOMIC_RELAXED);
busy_vm:
	__atomic_sub_fetch(&e->sessions, 1, __ATOMIC_RELAXED);
	return false;
}

/**
 * vmmgmtd_files_accept() - take a stream off the listener and serve it in
 * a thread, or close it: its VM has no export, or too many sessions run.
 * @d: the daemon.
 *
 * Context: vmmgmtd's loop, the listener readable.
 */
void vmmgmtd_files_accept(struct vmmgmtd *d)
{
	struct vmmgmt_stream_accept a;
	struct vmmgmtd_vm *vm;

	if (!vmmgmtd_listener_accept(&d->files, &a))
		return;
	vm = vmmgmtd_find_id(d, a.peer.vm);
	if (!vm || !vm->files_export) {
		vmmgmtd_debug("file service: a stream of VM %u, which has no export: closed",
			      a.peer.vm);
		close(a.fd);
		return;
	}
	if (!files_spawn(vm, a.fd)) {
		/* -v only, as everything else a guest can make happen. */
		vmmgmtd_debug("%s: file service: no session for a stream (%u of a VM, %u in all at most): closed",
			      vm->name, VMMGMTD_FILES_SESSIONS_PER_VM, FILES_SESSIONS_MAX);
		close(a.fd);
	}
}
