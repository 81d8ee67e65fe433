// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: where host services (services.c) meet the daemon: the
 * listener on host port VMMGMT_SERVICE_PORT, open while the services
 * directory (--services-dir, default VMMGMTD_DEFAULT_SERVICES_DIR)
 * exists, and one detached thread per
 * accepted stream, which serves one call with vmmgmtd_service_serve() for
 * the VM the stream comes from (the peer's VM id that STREAM_ACCEPT
 * reports; a stream of a VM vmmgmtd does not serve is closed).  At most
 * VMMGMTD_SERVICE_CALLS_PER_VM calls of one VM and
 * VMMGMTD_SERVICE_CALLS_MAX in all run at once; one more is answered
 * EBUSY.  The upgrade closes the listener with the file service's
 * (listener.c); the calls under way end with their streams.
 *
 * The threads touch nothing of struct vmmgmtd: they get copies of the
 * VM's name and of the directory.  Calls services.c, listener.c,
 * config.c (slots) and libc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services.h"
#include "vmmgmt_service_proto.h"
#include "vmmgmtd.h"

struct svc_session {
	char *dir;
	char *vm;
	unsigned int id;
	int fd;
	unsigned int slot;
};

/* The calls under way: the VM id of each, 0 for a free slot. */
static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int svc_slots[VMMGMTD_SERVICE_CALLS_MAX];

/* A slot for a call of VM @id; -EBUSY past the limits. */
static int svc_slot_get(unsigned int id)
{
	unsigned int i, mine = 0;
	int free_slot = -1;

	pthread_mutex_lock(&svc_lock);
	for (i = 0; i < VMMGMTD_SERVICE_CALLS_MAX; i++) {
		if (svc_slots[i] == id)
			mine++;
		else if (!svc_slots[i] && free_slot < 0)
			free_slot = (int)i;
	}
	if (mine >= VMMGMTD_SERVICE_CALLS_PER_VM || free_slot < 0)
		free_slot = -EBUSY;
	else
		svc_slots[free_slot] = id;
	pthread_mutex_unlock(&svc_lock);
	return free_slot;
}

static void svc_slot_put(unsigned int slot)
{
	pthread_mutex_lock(&svc_lock);
	svc_slots[slot] = 0;
	pthread_mutex_unlock(&svc_lock);
}

static void svc_session_free(struct svc_session *s)
{
	free(s->dir);
	free(s->vm);
	free(s);
}

static void *svc_session_thread(void *arg)
{
	struct svc_session *s = arg;
	int err;

	err = vmmgmtd_service_serve(s->dir, s->vm, s->id, s->fd);
	if (err && err != -ECONNRESET)
		vmmgmtd_debug("%s: service call: %s", s->vm, strerror(-err));
	close(s->fd);
	svc_slot_put(s->slot);
	svc_session_free(s);
	return NULL;
}

/**
 * vmmgmtd_services_start() - listen for service calls if the services
 * directory exists.
 * @d: the daemon, with the host module's file open.
 *
 * Context: vmmgmtd's loop (start-up, the end of an upgrade).
 */
void vmmgmtd_services_start(struct vmmgmtd *d)
{
	const char *dir = d->services_dir;
	struct stat st;
	int err;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return;
	if (d->services.fd >= 0 || d->host_fd < 0 || d->no_module)
		return;
	err = vmmgmtd_listener_open(&d->services);
	if (err) {
		vmmgmtd_info("host services: %s: listen on host port %u: %s: off",
			     VMMGMT_HOST_DEV, VMMGMT_SERVICE_PORT, strerror(-err));
		return;
	}
	vmmgmtd_info("host services: host port %u, from %s", VMMGMT_SERVICE_PORT,
		     dir);
}

/* A thread for the call on @fd of @vm; false if there is none. */
static bool svc_spawn(const struct vmmgmtd *d, const struct vmmgmtd_vm *vm,
		      int fd, int slot)
{
	struct svc_session *s = calloc(1, sizeof(*s));
	pthread_attr_t attr;
	pthread_t thread;
	bool ok;

	if (!s)
		return false;
	s->dir = strdup(d->services_dir);
	s->vm = strdup(vm->name);
	s->id = vm->id;
	s->fd = fd;
	s->slot = (unsigned int)slot;
	if (!s->dir || !s->vm) {
		svc_session_free(s);
		return false;
	}
	ok = !pthread_attr_init(&attr) &&
	     !pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) &&
	     !pthread_create(&thread, &attr, svc_session_thread, s);
	pthread_attr_destroy(&attr);
	if (!ok)
		svc_session_free(s);
	return ok;
}

/**
 * vmmgmtd_services_accept() - take a stream off the listener and serve
 * its call in a thread, or refuse it.
 * @d: the daemon.
 *
 * Context: vmmgmtd's loop, the listener readable.
 */
void vmmgmtd_services_accept(struct vmmgmtd *d)
{
	struct vmmgmt_stream_accept a;
	struct vmmgmtd_vm *vm;
	int slot;

	if (!vmmgmtd_listener_accept(&d->services, &a))
		return;
	vm = vmmgmtd_find_id(d, a.peer.vm);
	if (!vm) {
		vmmgmtd_debug("host services: a stream of VM %u, which vmmgmtd does not serve: closed",
			      a.peer.vm);
		close(a.fd);
		return;
	}
	slot = svc_slot_get(vm->id);
	if (slot < 0) {
		/* -v only, as everything else a guest can make happen. */
		vmmgmtd_debug("%s: host services: too many calls (%u of a VM, %u in all at most): refused",
			      vm->name, VMMGMTD_SERVICE_CALLS_PER_VM,
			      VMMGMTD_SERVICE_CALLS_MAX);
		vmmgmtd_service_refuse(a.fd, EBUSY,
				       "too many calls under way: try again later");
		close(a.fd);
		return;
	}
	if (!svc_spawn(d, vm, a.fd, slot)) {
		svc_slot_put((unsigned int)slot);
		vmmgmtd_service_refuse(a.fd, ENOMEM,
				       "the host could not start a session");
		close(a.fd);
	}
}
