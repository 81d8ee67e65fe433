/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtctl: declarations shared by its files.
 *
 * vmmgmtctl.c	options, usage, version and info
 * msg.c	messages and names: send, recv, listen, lookup, echo-server,
 *		names, status
 * stats.c	guest statistics: stats and top (host), needs (guest)
 * sched.c	the scheduling policy of a VM's vCPU threads (host)
 * modes.c	modes: list and switch them (guest), host-driven sampling
 *		(host: stats VM --period/--off/--get)
 * stream.c	streams (ABI 0.7): connect, accept
 * file.c	file mode's clients: file put, get, ls, rm, stat, send
 *		(guest), push, pull (host), with file_client.c, the client
 *		of the file protocol on any stream
 * file_serve.c	file mode's servers in a guest: file serve (the host's
 *		push and pull), file recv (other VMs' send), on vmmgmtd's
 *		file service (../vmmgmtd/files.c)
 * vm.c		vmmgmtd's VMs through its control socket: vm add, del, list
 *		(host)
 * upgrade.c	replacing the host module through vmmgmtd: upgrade (host)
 */
#ifndef VMMGMTCTL_H
#define VMMGMTCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "vmmgmt.h"
#include "vmmgmt_user.h"

/* vmmgmtctl's short names for the paths of vmmgmt_user.h. */
#define HOST_DEVICE	VMMGMT_HOST_DEV
#define GUEST_DEVICE	VMMGMT_GUEST_DEV
#define HOST_SYSFS	VMMGMT_HOST_SYSFS
#define GUEST_SYSFS	VMMGMT_GUEST_SYSFS

#define EXIT_USAGE	2

/* One line on stderr; a macro, so that the compiler checks the format. */
#define vmmgmtctl_err(fmt, ...) \
	fprintf(stderr, "vmmgmtctl: " fmt "\n", ##__VA_ARGS__)

struct ctl {
	const char *device;	/* --device, or NULL */
	bool json;
	bool wait;		/* --wait: send waits for one answer */
	unsigned long count;	/* --count: messages recv/listen print; 0: all */
	int timeout_ms;		/* --timeout, -1 for none */
	const char *name;	/* --name: listen, echo-server publish it */
	unsigned int period_ms;	/* stats --period: ask the guest to sample */
	bool stats_off;		/* stats --off: ask the guest to stop */
	bool stats_get;		/* stats --get: ask the guest how it samples */
	const char *output;	/* --output: connect, accept write data there */
	char **exec_argv;	/* accept: the CMD after "--", NULL-terminated */
	const char *dir;	/* vm: --dir, vmmgmtd's socket directory */
	const char *vm_id;	/* vm add --id */
	const char *vm_size;	/* vm add --size */
	const char *vm_vectors;	/* vm add --vectors */
	const char *upgrade_wait;	/* upgrade --wait SECS */
	bool resume;		/* file put, get: --resume */
	const char *from;	/* file recv --from: VM,... */
};

noreturn void usage_error(const char *msg, const char *arg);
noreturn void fail(const char *path, const char *what, int err, bool guest);
int open_device(const char *path, bool guest);
void json_string(const char *s);
bool is_host_path(const char *path);
const char *pick_device(const struct ctl *ctl, bool *host);

int cmd_send(const struct ctl *ctl, int argc, char **argv);
int cmd_recv(const struct ctl *ctl, int argc, char **argv);
int cmd_listen(const struct ctl *ctl, int argc, char **argv);
int cmd_echo_server(const struct ctl *ctl, int argc, char **argv);
int cmd_lookup(const struct ctl *ctl, int argc, char **argv);
int cmd_names(const struct ctl *ctl, int argc, char **argv);
int cmd_status(const struct ctl *ctl, int argc, char **argv);
int cmd_stats(const struct ctl *ctl, int argc, char **argv);
int cmd_needs(const struct ctl *ctl, int argc, char **argv);
int cmd_top(const struct ctl *ctl, int argc, char **argv);
int cmd_sched(const struct ctl *ctl, int argc, char **argv);
int cmd_modes(const struct ctl *ctl, int argc, char **argv);
int cmd_connect(const struct ctl *ctl, int argc, char **argv);
int cmd_accept(const struct ctl *ctl, int argc, char **argv);
int cmd_file(const struct ctl *ctl, int argc, char **argv);
int cmd_call(const struct ctl *ctl, int argc, char **argv);
int cmd_vm(const struct ctl *ctl, int argc, char **argv);
int cmd_upgrade(const struct ctl *ctl, int argc, char **argv);
void upgrade_take_wait(struct ctl *ctl, int *argc, char **argv);
char *daemon_ask(const struct ctl *ctl, const char *request, int timeout_s);
int stats_request(const struct ctl *ctl, const char *vm);

/* msg.c, also for stream.c */
__u32 parse_u32(const char *arg, const char *what, bool zero_ok);
void check_name(const char *name);
bool is_number(const char *s);
void parse_dest(const char *arg, int fd, const char *path, bool host,
		struct vmmgmt_addr *addr);
void publish_name(int fd, bool host, const char *path, const char *name);
void local_addr(int fd, bool host, __u32 port, char *buf, size_t size);

/* A small sysfs file, less its newline; 0 or -errno. */
static inline int read_file(const char *path, char *buf, size_t size)
{
	return vmmgmt_read_text(path, buf, size);
}

/* stream.c, also for file.c and file_serve.c */
void fmt_bytes(unsigned long long n, char *buf, size_t size);
__u32 listen_setup(int fd, bool host, const char *path, __u32 port,
		   const char *name);
bool wait_stream(int lfd, int timeout_ms);

/* modes.c, also for file.c and file_serve.c */
int guest_has_mode(const char *vm, const char *mode);
void guest_sysfs(const struct ctl *ctl, char *buf, size_t size);
void set_mode_or_exit(int fd, const char *path, __u32 mode);

/* file_serve.c, for file.c */
int file_serve(const struct ctl *ctl, int argc, char **argv);
int file_recv(const struct ctl *ctl, int argc, char **argv);

/* stats.c, also for sched.c */
bool vm_name_ok(const char *name);

#endif /* VMMGMTCTL_H */
