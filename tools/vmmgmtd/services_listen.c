// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: where host services (services.c) meet the daemon: the
 * listener on host port VMMGMT_SERVICE_PORT, open while the services
 * directory (--services-dir, default VMMGMTD_DEFAULT_SERVICES_DIR)
 * exists, and one detached thread per
 * accepted stream, which serves one call with vmmgmtd_service_serve() for
 * the VM the stream comes from (the peer's VM id that STREAM_ACCEPT
 * reports; a stream of a VM vmmgmtd does not serve is closed).  A VM's
 * first call always runs; at most VMMGMTD_SERVICE_CALLS_PER_VM calls of
 * one VM, and VMMGMTD_SERVICE_CALLS_MAX beyond each VM's first in all,
 * run at once; one more is answered EBUSY.  The upgrade closes the listener with the file service's
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
};

/*
 * The calls under way, per VM: a VM's first call is always admitted (so
 * no set of VMs can take every call from another), its others while it
 * has fewer than VMMGMTD_SERVICE_CALLS_PER_VM and fewer than
 * VMMGMTD_SERVICE_CALLS_MAX such further calls run in all.
 */
struct svc_vm_calls {
	struct svc_vm_calls *next;
	unsigned int id;
	unsigned int calls;
};

static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct svc_vm_calls *svc_calls;
static unsigned int svc_further;

/* Admit a call of VM @id: 0, -EBUSY past the limits, or -ENOMEM. */
static int svc_admit(unsigned int id)
{
	struct svc_vm_calls *v;
	int ret = 0;

	pthread_mutex_lock(&svc_lock);
	for (v = svc_calls; v && v->id != id; v = v->next)
		;
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		v->id = id;
		v->next = svc_calls;
		svc_calls = v;
	}
	if (v->calls >= VMMGMTD_SERVICE_CALLS_PER_VM ||
	    (v->calls && svc_further >= VMMGMTD_SERVICE_CALLS_MAX)) {
		ret = -EBUSY;
		goto out;
	}
	if (v->calls)
		svc_further++;
	v->calls++;
out:
	pthread_mutex_unlock(&svc_lock);
	return ret;
}

/* A call of VM @id ended. */
static void svc_release(unsigned int id)
{
	struct svc_vm_calls **pv, *v;

	pthread_mutex_lock(&svc_lock);
	for (pv = &svc_calls; *pv && (*pv)->id != id; pv = &(*pv)->next)
		;
	v = *pv;
	if (v && v->calls) {
		v->calls--;
		if (v->calls) {
			svc_further--;
		} else {
			*pv = v->next;
			free(v);
		}
	}
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
	svc_release(s->id);
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
		      int fd)
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
	int err;

	if (!vmmgmtd_listener_accept(&d->services, &a))
		return;
	vm = vmmgmtd_find_id(d, a.peer.vm);
	if (!vm) {
		vmmgmtd_debug("host services: a stream of VM %u, which vmmgmtd does not serve: closed",
			      a.peer.vm);
		close(a.fd);
		return;
	}
	err = svc_admit(vm->id);
	if (err) {
		/* -v only, as everything else a guest can make happen. */
		vmmgmtd_debug("%s: host services: a call refused: %s (%u of a VM, %u beyond each VM's first in all)",
			      vm->name, strerror(-err), VMMGMTD_SERVICE_CALLS_PER_VM,
			      VMMGMTD_SERVICE_CALLS_MAX);
		vmmgmtd_service_refuse(a.fd, -err, err == -EBUSY ?
				       "too many calls under way: try again later" :
				       "the host is out of memory");
		close(a.fd);
		return;
	}
	if (!svc_spawn(d, vm, a.fd)) {
		svc_release(vm->id);
		vmmgmtd_service_refuse(a.fd, ENOMEM,
				       "the host could not start a session");
		close(a.fd);
	}
}
