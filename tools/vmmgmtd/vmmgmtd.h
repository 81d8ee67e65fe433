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

#include "files.h"
#include "vmmgmt.h"
#include "vmmgmt_user.h"

/*
 * Largest -n: far more than the modules use, small enough that one
 * connection's messages always fit in the socket buffer.
 */
#define VMMGMTD_VECTORS_MAX		64

#define VMMGMTD_DEFAULT_DIR		"/run/vmmgmt"
#define VMMGMTD_PID_FILE		"vmmgmtd.pid"
#define VMMGMTD_CTL_FILE		"vmmgmtd.ctl"
#define VMMGMTD_DEFAULT_CONFIG_DIR	"/etc/vmmgmt/vms.d"
/* Host services: NAME and NAME.conf (services.c). */
#define VMMGMTD_DEFAULT_SERVICES_DIR	"/etc/vmmgmt/services"

/* Exit status of usage and configuration errors. */
#define VMMGMTD_EXIT_USAGE		2

/* Longest control request line, and error messages. */
#define VMMGMTD_CTL_LINE_MAX		512
#define VMMGMTD_ERR_MAX			256
/* Error messages of "upgrade", which name the module's path. */
#define VMMGMTD_UPGRADE_ERR_MAX		1024

/* ivshmem client-server protocol (QEMU docs/specs/ivshmem-spec.txt). */
#define VMMGMTD_IVSHMEM_PROTOCOL_VERSION	0
#define VMMGMTD_IVSHMEM_SHM_MSG			(-1)

/* What a slot is doing (vm list: state=). */
enum vmmgmtd_vm_state {
	VMMGMTD_VM_WAITING,		/* for a QEMU to connect */
	VMMGMTD_VM_CONNECTED,		/* a QEMU connected to us */
	VMMGMTD_VM_ADOPTED,		/* a QEMU an earlier vmmgmtd served */
};

/**
 * struct vmmgmtd_vm - one VM slot: its socket and, while QEMU is connected,
 * its region and eventfds; or, for a VM adopted from an earlier vmmgmtd,
 * a pidfd of its QEMU.  All fds are -1 when not open.
 */
struct vmmgmtd_vm {
	char name[VMMGMT_NAME_MAX];
	unsigned int id;		/* VM id == ivshmem peer id, 1..65535 */
	bool id_given;			/* NAME=ID, id=N, or from the module */
	__u64 region_size;		/* for the next connection */
	unsigned int vectors;		/* for the next connection */
	const char *origin;		/* "command line", "FILE", "control", ... */

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
	bool registered;		/* with vmmgmt_host.ko (ADD_VM, ADOPT_VM) */

	/*
	 * Adopted (ADOPT_VM at start): no connection and nothing of the
	 * region here; @pid is the QEMU, watched through @pidfd, which
	 * becomes readable when it exits.
	 */
	bool adopted;
	int pidfd;

	/*
	 * Doorbell counts since vmmgmtd started, all connections.  With the
	 * host module, which owns the kick eventfds, only @doorbells counts:
	 * the module's "kicks" of the connections that ended.
	 */
	__u64 doorbells;
	__u64 doorbells_vec[VMMGMTD_VECTORS_MAX];

	/*
	 * File mode: NAME.conf's files* settings (files.c), and the export
	 * while it is served (files_listen.c; the slot holds a reference,
	 * each session another).
	 */
	struct vmmgmtd_files_conf files;
	struct vmmgmtd_files_export *files_export;
};

/**
 * struct vmmgmtd_handover_vm - one VM between VMMGMT_HOST_IOC_EXPORT_VM
 * and VMMGMT_HOST_IOC_IMPORT_VM (upgrade.c): in no module, its guest
 * paused.  The fds in @add (region, kicks, calls) are vmmgmtd's until
 * IMPORT_VM took them.
 */
struct vmmgmtd_handover_vm {
	struct vmmgmt_host_vm_add add;
	void *state;
	__u32 state_len;
};

/**
 * struct vmmgmtd_handover - a module handover under way or pending
 * (upgrade.c): the VMs exported from the old module and not yet imported
 * into a module, and what QUIESCE returned (the host ports to hold, the
 * state format).  Pending (the upgrade answered an error with VMs still
 * held) until a later "upgrade" imports them.
 */
struct vmmgmtd_handover {
	struct vmmgmtd_handover_vm *vms;
	unsigned int nr;
	struct vmmgmt_host_quiesce quiesce;
	__u64 quiesced_ns;		/* when the guests' pause began */
};

/* What a successful upgrade answers (upgrade.c, ctl.c). */
struct vmmgmtd_upgrade_result {
	unsigned int vms;		/* handed over to the new module */
	__u64 paused_ms;		/* QUIESCE to RESUME */
	unsigned int abi_major, abi_minor;	/* GET_VERSION of the new one */
	unsigned int format;		/* of the states handed over */
};

/**
 * struct vmmgmtd - the daemon's configuration and state.
 */
/**
 * struct vmmgmtd_listener - a service's stream listener on a host port
 * (listener.c).
 * @what: its name in messages.
 * @port: the host port.
 * @fd: the file of /dev/vmmgmt-host that listens, or -1.
 * @relisten: it died with the module (replaced by someone else than this
 *	vmmgmtd's upgrade): listen again, tried once a second.
 */
struct vmmgmtd_listener {
	const char *what;
	__u16 port;
	int fd;
	bool relisten;
};

struct vmmgmtd {
	const char *dir;
	const char *config_dir;
	bool config_dir_given;		/* -c: a missing one is an error */
	const char *services_dir;	/* --services-dir */
	__u64 region_size;		/* -s: the default of every VM */
	unsigned int vectors;		/* -n: the default of every VM */
	bool verbose;
	bool foreground;
	bool no_module;

	int host_fd;			/* /dev/vmmgmt-host, or -1 */
	bool persist;			/* module ABI >= 0.8: PERSIST, ADOPT */
	/*
	 * Non-NULL while an upgrade runs and while a handover is pending;
	 * @host_fd is -1 then from the old module's unloading on.
	 */
	struct vmmgmtd_handover *handover;
	struct vmmgmtd_vm **vms;	/* slots, in the order they came */
	unsigned int nr_vms;
	unsigned int nr_adopted;	/* at start */

	/* The stream listeners of the file service and of host services. */
	struct vmmgmtd_listener files;
	struct vmmgmtd_listener services;

	/* The control socket DIR/vmmgmtd.ctl. */
	char ctl_path[108];
	int ctl_fd;
	dev_t ctl_dev;
	ino_t ctl_ino;
};

/* The VMs the host module has registered (VMMGMT_HOST_IOC_LIST_VMS). */
struct vmmgmtd_module_vms {
	struct vmmgmt_host_vm_info *vms;
	unsigned int nr;
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
void vmmgmtd_vm_release(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			bool unregister);
void vmmgmtd_vm_close(struct vmmgmtd *d, struct vmmgmtd_vm *vm);
void vmmgmtd_vm_unregister(struct vmmgmtd *d, struct vmmgmtd_vm *vm);
enum vmmgmtd_vm_state vmmgmtd_vm_state(const struct vmmgmtd_vm *vm);
const char *vmmgmtd_vm_state_name(const struct vmmgmtd_vm *vm);

/* config.c: VMs from the command line, the config directory, control */
bool vmmgmtd_parse_size(const char *arg, __u64 *size, char *err, size_t len);
bool vmmgmtd_parse_vectors(const char *arg, unsigned int *n, char *err,
			   size_t len);
bool vmmgmtd_parse_id(const char *arg, const char *name, unsigned int *id,
		      char *err, size_t len);
bool vmmgmtd_check_name(const char *name, size_t len, char *err,
			size_t errlen);
bool vmmgmtd_vm_setting(struct vmmgmtd_vm *vm, const char *key,
			const char *val, char *err, size_t len);
struct vmmgmtd_vm *vmmgmtd_vm_new(const struct vmmgmtd *d, const char *name);
int vmmgmtd_vm_add(struct vmmgmtd *d, struct vmmgmtd_vm *vm);
void vmmgmtd_vm_remove(struct vmmgmtd *d, struct vmmgmtd_vm *vm);
struct vmmgmtd_vm *vmmgmtd_find_name(const struct vmmgmtd *d,
				     const char *name);
struct vmmgmtd_vm *vmmgmtd_find_id(const struct vmmgmtd *d, unsigned int id);
unsigned int vmmgmtd_free_id(const struct vmmgmtd *d,
			     const struct vmmgmtd_module_vms *list);
void vmmgmtd_load_config_dir(struct vmmgmtd *d);
void vmmgmtd_assign_ids(struct vmmgmtd *d, const struct vmmgmtd_module_vms *list);

/* main.c: sockets */
int vmmgmtd_listen(struct vmmgmtd *d, struct vmmgmtd_vm *vm, char *err,
		   size_t len);
void vmmgmtd_unlink_socket(struct vmmgmtd_vm *vm);

/* adopt.c: the module's VMs (ABI 0.8) */
int vmmgmtd_module_list(struct vmmgmtd *d, struct vmmgmtd_module_vms *list);
const struct vmmgmt_host_vm_info *
vmmgmtd_module_find(const struct vmmgmtd_module_vms *list, const char *name,
		    unsigned int id);
void vmmgmtd_check_collisions(struct vmmgmtd *d,
			      const struct vmmgmtd_module_vms *list);
void vmmgmtd_adopt_all(struct vmmgmtd *d, const struct vmmgmtd_module_vms *list);
bool vmmgmtd_vm_qemu_exited(const struct vmmgmtd_vm *vm);
int vmmgmtd_vm_watch_qemu(struct vmmgmtd_vm *vm, pid_t pid);
void vmmgmtd_vm_qemu_gone(struct vmmgmtd *d, struct vmmgmtd_vm *vm);

/* A control request as ctl_parse.c reads it (the grammar is in ctl.c). */
enum vmmgmtd_ctl_op {
	VMMGMTD_CTL_ADD = 1,
	VMMGMTD_CTL_DEL,
	VMMGMTD_CTL_LIST,
	VMMGMTD_CTL_UPGRADE,
};

struct vmmgmtd_ctl_req {
	enum vmmgmtd_ctl_op op;
	const char *name;		/* ADD (checked), DEL: in the line */
	bool id_given;			/* ADD: the settings given */
	bool size_given;
	bool vectors_given;
	unsigned int id;
	unsigned int vectors;
	__u64 size;
	const char *path;		/* UPGRADE: absolute, in the line */
	unsigned int wait_s;		/* UPGRADE: 1..3600 */
};

/*
 * ctl_parse.c: the request line from the socket, then parsed; 0 or the
 * negative errno to answer with (-E2BIG, -EINVAL) and a message in @err.
 */
int vmmgmtd_ctl_read(int fd, char *buf, size_t size);
int vmmgmtd_ctl_parse(char *line, struct vmmgmtd_ctl_req *req, char *err,
		      size_t len);

/* ctl.c: the control socket DIR/vmmgmtd.ctl */
int vmmgmtd_ctl_listen(struct vmmgmtd *d);
void vmmgmtd_ctl_accept(struct vmmgmtd *d);
void vmmgmtd_ctl_close(struct vmmgmtd *d);

/* upgrade.c: replacing the host module with VMs running (ABI 0.9) */
int vmmgmtd_upgrade(struct vmmgmtd *d, const char *path, unsigned int wait_s,
		    struct vmmgmtd_upgrade_result *res, char *err);
void vmmgmtd_handover_abandon(struct vmmgmtd *d);

/* listener.c: the stream listeners of the services on host ports */
int vmmgmtd_listener_open(struct vmmgmtd_listener *l);
void vmmgmtd_listener_close(struct vmmgmtd_listener *l);
void vmmgmtd_listener_relisten(struct vmmgmtd_listener *l,
			       const struct vmmgmtd *d);
bool vmmgmtd_listener_accept(struct vmmgmtd_listener *l,
			     struct vmmgmt_stream_accept *a);

/* files_listen.c: the file service's listener and sessions (file mode) */
void vmmgmtd_files_start(struct vmmgmtd *d);
void vmmgmtd_files_accept(struct vmmgmtd *d);

/* services_listen.c: host services' listener and calls */
void vmmgmtd_services_start(struct vmmgmtd *d);
void vmmgmtd_services_accept(struct vmmgmtd *d);

/* doorbell.c: counting guest -> host doorbells (kick eventfds) */
void vmmgmtd_doorbell_read(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   unsigned int vector);
__u64 vmmgmtd_doorbell_module_kicks(const struct vmmgmtd_vm *vm);
void vmmgmtd_doorbell_stats(const struct vmmgmtd *d);

#endif /* VMMGMTD_H */
