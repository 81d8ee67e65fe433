/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtd: the vmmgmt host daemon.  It serves the ivshmem client-server
 * protocol on one UNIX socket per VM (QEMU's ivshmem-doorbell device is the
 * client) and hands each VM its shared region and eventfds.
 */
#ifndef VMMGMTD_H
#define VMMGMTD_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/types.h>

#include "vmmgmt.h"
#include "vmmgmt_user.h"

/*
 * Largest -n: far more than the modules use, small enough that one
 * connection's messages always fit in the socket buffer.
 */
#define VMMGMTD_VECTORS_MAX		64

#define VMMGMTD_DEFAULT_DIR		"/run/vmmgmt"
#define VMMGMTD_PID_FILE		"vmmgmtd.pid"

/* ivshmem client-server protocol (QEMU docs/specs/ivshmem-spec.txt). */
#define VMMGMTD_IVSHMEM_PROTOCOL_VERSION	0
#define VMMGMTD_IVSHMEM_SHM_MSG			(-1)

/**
 * struct vmmgmtd_vm - one VM slot: its socket and, while QEMU is connected,
 * its region and eventfds.  All fds are -1 when not open.
 */
struct vmmgmtd_vm {
	char name[VMMGMT_NAME_MAX];
	unsigned int id;		/* VM id == ivshmem peer id, 1..65535 */
	bool id_given;			/* NAME=ID on the command line */

	char path[108];			/* DIR/NAME.sock */
	int listen_fd;
	dev_t sock_dev;			/* the socket file we bound, so that */
	ino_t sock_ino;			/* exit removes only our own */

	/* The live connection; conn_fd < 0 when no QEMU is connected. */
	int conn_fd;
	pid_t pid;			/* QEMU's pid from SO_PEERCRED */
	__u32 generation;		/* of the live or the last connection */
	int mem_fd;
	void *region;
	int kick[VMMGMTD_VECTORS_MAX];	/* host peer 0: guest -> host */
	int call[VMMGMTD_VECTORS_MAX];	/* guest's own id: host -> guest */
	bool registered;		/* with vmmgmt_host.ko (ADD_VM) */

	/*
	 * Doorbell counts since vmmgmtd started, all connections.  With the
	 * host module, which owns the kick eventfds, only @doorbells counts:
	 * the module's "kicks" of the connections that ended.
	 */
	__u64 doorbells;
	__u64 doorbells_vec[VMMGMTD_VECTORS_MAX];
};

/**
 * struct vmmgmtd - the daemon's configuration and state.
 */
struct vmmgmtd {
	const char *dir;
	__u64 region_size;
	unsigned int vectors;
	bool verbose;
	bool foreground;
	bool no_module;

	int host_fd;			/* /dev/vmmgmt-host, or -1 */
	struct vmmgmtd_vm *vms;
	unsigned int nr_vms;
};

/*
 * Logging: one line on stderr per message, prefixed "vmmgmtd: ".  Macros,
 * so that the compiler checks every format string; stderr is unbuffered
 * and glibc writes each fprintf() to it with one write().
 */
extern bool vmmgmtd_verbose;

#define vmmgmtd_info(fmt, ...) \
	fprintf(stderr, "vmmgmtd: " fmt "\n", ##__VA_ARGS__)

/* Only with -v. */
#define vmmgmtd_debug(fmt, ...) do { \
	if (vmmgmtd_verbose) \
		vmmgmtd_info(fmt, ##__VA_ARGS__); \
} while (0)

/* vm.c: the ivshmem server side of one VM */
void vmmgmtd_vm_init(struct vmmgmtd_vm *vm);
void vmmgmtd_vm_accept(struct vmmgmtd *d, struct vmmgmtd_vm *vm);
void vmmgmtd_vm_conn_event(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   short revents);
void vmmgmtd_vm_disconnect(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   const char *why);

/* doorbell.c: counting guest -> host doorbells (kick eventfds) */
void vmmgmtd_doorbell_read(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   unsigned int vector);
__u64 vmmgmtd_doorbell_module_kicks(const struct vmmgmtd_vm *vm);
void vmmgmtd_doorbell_stats(const struct vmmgmtd *d);

#endif /* VMMGMTD_H */
