/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtd: host services (services.c): programs the host's administrator
 * offers to guests, run for one call at a time per call of
 * vmmgmtd_service_serve() on a connected byte stream.  The protocol is
 * tools/include/vmmgmt_service_proto.h, the model
 * Documentation/services.rst.  No other file of vmmgmtd is needed to use
 * it: the tests drive it over socketpairs.
 */
#ifndef VMMGMTD_SERVICES_H
#define VMMGMTD_SERVICES_H

#include <stdbool.h>
#include <sys/types.h>

#include <linux/types.h>

/*
 * Calls of one VM at once, and of all VMs beyond each one's first (a
 * VM's first call always runs: services_listen.c).
 */
#define VMMGMTD_SERVICE_CALLS_PER_VM	4
#define VMMGMTD_SERVICE_CALLS_MAX	64
/* Defaults and bounds of NAME.conf's limits. */
#define VMMGMTD_SERVICE_TIMEOUT_DEFAULT	30		/* seconds */
#define VMMGMTD_SERVICE_TIMEOUT_MAX	86400
#define VMMGMTD_SERVICE_MEMORY_DEFAULT	(512ULL << 20)	/* RLIMIT_AS */
#define VMMGMTD_SERVICE_FSIZE_DEFAULT	(64ULL << 20)	/* RLIMIT_FSIZE */
#define VMMGMTD_SERVICE_NOFILE		64		/* RLIMIT_NOFILE */
#define VMMGMTD_SERVICE_NPROC_DEFAULT	64		/* RLIMIT_NPROC */
/* The user a service runs as unless its NAME.conf says (user=). */
#define VMMGMTD_SERVICE_USER_DEFAULT	"nobody"
/* A client that sends no complete call for this long is dropped. */
#define VMMGMTD_SERVICE_CALL_MS		10000
/* After the service ended, its last output may take this long to go. */
#define VMMGMTD_SERVICE_FLUSH_MS	5000

/**
 * struct vmmgmtd_service_conf - a service's NAME.conf, as read for a call.
 * @allowed: the calling VM is in allow= (a list of VM names, or "*").
 * @uid: the user it runs as (user=, a name or UID[:GID]).
 * @gid: its group.
 * @timeout_s: wall-clock limit (timeout=): killed and ETIME past it.
 * @cpu_s: RLIMIT_CPU (cpu=; default @timeout_s).
 * @memory: RLIMIT_AS in bytes (memory=, with K, M or G).
 * @fsize: RLIMIT_FSIZE in bytes (file_size=).
 * @nproc: RLIMIT_NPROC (processes=).
 */
struct vmmgmtd_service_conf {
	bool allowed;
	uid_t uid;
	gid_t gid;
	unsigned int timeout_s;
	unsigned int cpu_s;
	__u64 memory;
	__u64 fsize;
	unsigned int nproc;
};

int vmmgmtd_service_conf_read(const char *path, const char *vm,
			      struct vmmgmtd_service_conf *conf,
			      char *err, size_t len);
int vmmgmtd_service_serve(const char *dir, const char *vm, unsigned int id,
			  int fd);
void vmmgmtd_service_refuse(int fd, int err, const char *msg);

#endif /* VMMGMTD_SERVICES_H */
