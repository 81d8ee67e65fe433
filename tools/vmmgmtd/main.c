// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: command line, start-up checks, sockets (the VMs' and the control
 * socket) and the poll() loop; the slots and the configuration directory
 * are config.c's, adoption adopt.c's, control requests ctl.c's, the file
 * service's listener files_listen.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmmgmt_file_proto.h"
#include "vmmgmt_service_proto.h"
#include "vmmgmtd.h"

static void vmmgmtd_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmtd [OPTIONS] [NAME[=ID]...]\n"
		"Serve the vmmgmt management device (QEMU ivshmem-doorbell) to each VM NAME\n"
		"on the UNIX socket DIR/NAME.sock.\n"
		"\n"
		"  -d, --dir DIR         socket directory (default %s)\n"
		"  -c, --config-dir CDIR one file per VM: CDIR/NAME.conf with lines id=N,\n"
		"                        size=S[K|M], vectors=N, files=off|ro|rw and the\n"
		"                        file service's files_* keys, # comments\n"
		"                        (default %s;\n"
		"                        a missing default directory is no error)\n"
		"      --services-dir SDIR\n"
		"                        host services: programs SDIR/NAME that guests may\n"
		"                        call (vmmgmtctl call) as SDIR/NAME.conf allows;\n"
		"                        none while SDIR does not exist (default %s)\n"
		"  -s, --size SIZE[K|M]  region size, a power of two from 64K to 64M\n"
		"                        (default %lluK; NAME.conf: size=)\n"
		"  -n, --vectors N       interrupt vectors per direction, 1..%u (default %u;\n"
		"                        NAME.conf: vectors=); start QEMU with\n"
		"                        ivshmem-doorbell,vectors=N\n"
		"  -v, --verbose         also log every doorbell\n"
		"  -f, --foreground      do not detach (for systemd and tests)\n"
		"      --no-module       do not require %s (testing only)\n"
		"  -h, --help            show this help\n"
		"\n"
		"NAME: 1..%u characters of [A-Za-z0-9_-].  ID: the VM id and ivshmem peer\n"
		"id, 1..%u; VMs without an id get the lowest unused ids in order (1, 2, ...):\n"
		"the command line's first, then CDIR's in name order.\n"
		"VMs that an earlier vmmgmtd registered and whose QEMU runs are adopted.\n"
		"Control: DIR/%s (vmmgmtctl vm add|del|list, vmmgmtctl upgrade).\n"
		"QEMU: -chardev socket,path=DIR/NAME.sock,id=C\n"
		"      -device ivshmem-doorbell,chardev=C,vectors=N\n"
		"Signals: SIGUSR1 logs per-VM doorbell counts; SIGTERM, SIGINT exit and\n"
		"leave the VMs registered.\n",
		VMMGMTD_DEFAULT_DIR, VMMGMTD_DEFAULT_CONFIG_DIR,
		VMMGMTD_DEFAULT_SERVICES_DIR,
		(unsigned long long)(VMMGMT_REGION_DEFAULT_SIZE >> 10),
		VMMGMTD_VECTORS_MAX, VMMGMT_VECTORS_DEFAULT, VMMGMT_HOST_DEV,
		VMMGMT_NAME_MAX - 1, VMMGMT_VM_ID_MAX, VMMGMTD_CTL_FILE);
}

/* A usage error: one line on stderr, exit 2. */
#define vmmgmtd_usage_error(fmt, ...) do { \
	fprintf(stderr, "vmmgmtd: " fmt " (see vmmgmtd --help)\n", ##__VA_ARGS__); \
	exit(VMMGMTD_EXIT_USAGE); \
} while (0)

/* NAME[=ID]: a new slot, with the defaults of -s and -n. */
static struct vmmgmtd_vm *vmmgmtd_parse_vm(struct vmmgmtd *d, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	char name[VMMGMT_NAME_MAX], err[VMMGMTD_ERR_MAX];
	struct vmmgmtd_vm *vm;

	if (!vmmgmtd_check_name(arg, len, err, sizeof(err)))
		vmmgmtd_usage_error("%s", err);
	memcpy(name, arg, len);
	name[len] = '\0';
	vm = vmmgmtd_vm_new(d, name);
	if (!vm) {
		vmmgmtd_info("out of memory");
		exit(1);
	}
	if (eq && !vmmgmtd_vm_setting(vm, "id", eq + 1, err, sizeof(err)))
		vmmgmtd_usage_error("%s", err);
	return vm;
}

static void vmmgmtd_parse_vms(struct vmmgmtd *d, int argc, char **argv)
{
	struct vmmgmtd_vm *vm, *other;
	int i;

	for (i = 0; i < argc; i++) {
		vm = vmmgmtd_parse_vm(d, argv[i]);
		if (vmmgmtd_find_name(d, vm->name))
			vmmgmtd_usage_error("duplicate VM name '%s'", vm->name);
		other = vm->id_given ? vmmgmtd_find_id(d, vm->id) : NULL;
		if (other)
			vmmgmtd_usage_error("duplicate VM id %u (%s and %s)",
					    vm->id, other->name, vm->name);
		if (vmmgmtd_vm_add(d, vm)) {
			vmmgmtd_info("out of memory");
			exit(1);
		}
	}
}

static void vmmgmtd_parse_args(struct vmmgmtd *d, int argc, char **argv)
{
	enum { OPT_NO_MODULE = 0x100, OPT_SERVICES_DIR };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "config-dir", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "vectors", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-module", no_argument, NULL, OPT_NO_MODULE },
		{ "services-dir", required_argument, NULL, OPT_SERVICES_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char err[VMMGMTD_ERR_MAX];
	int c;

	d->dir = VMMGMTD_DEFAULT_DIR;
	d->config_dir = VMMGMTD_DEFAULT_CONFIG_DIR;
	d->services_dir = VMMGMTD_DEFAULT_SERVICES_DIR;
	d->region_size = VMMGMT_REGION_DEFAULT_SIZE;
	d->vectors = VMMGMT_VECTORS_DEFAULT;
	d->host_fd = -1;
	d->ctl_fd = -1;
	d->files = (struct vmmgmtd_listener){
		.what = "file service", .port = VMMGMT_FILE_PORT, .fd = -1,
	};
	d->services = (struct vmmgmtd_listener){
		.what = "host services", .port = VMMGMT_SERVICE_PORT, .fd = -1,
	};

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:c:s:n:vfh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!optarg[0])
				vmmgmtd_usage_error("empty socket directory");
			d->dir = optarg;
			break;
		case 'c':
			if (!optarg[0])
				vmmgmtd_usage_error("empty config directory");
			d->config_dir = optarg;
			d->config_dir_given = true;
			break;
		case 's':
			if (!vmmgmtd_parse_size(optarg, &d->region_size, err,
						sizeof(err)))
				vmmgmtd_usage_error("%s", err);
			break;
		case 'n':
			if (!vmmgmtd_parse_vectors(optarg, &d->vectors, err,
						   sizeof(err)))
				vmmgmtd_usage_error("%s", err);
			break;
		case 'v':
			d->verbose = true;
			break;
		case 'f':
			d->foreground = true;
			break;
		case OPT_NO_MODULE:
			d->no_module = true;
			break;
		case OPT_SERVICES_DIR:
			if (!optarg[0])
				vmmgmtd_usage_error("empty services directory");
			d->services_dir = optarg;
			break;
		case 'h':
			vmmgmtd_usage(stdout);
			exit(0);
		case ':':
			vmmgmtd_usage_error("option '%s' needs an argument",
					    argv[optind - 1]);
		default:
			if (optopt)
				vmmgmtd_usage_error("unknown option '-%c'", optopt);
			vmmgmtd_usage_error("unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	/* -s and -n are the defaults of every VM: parse them first. */
	vmmgmtd_parse_vms(d, argc - optind, argv + optind);
}

/* /dev/vmmgmt-host must be there and speak our ABI major. */
static void vmmgmtd_check_module(struct vmmgmtd *d)
{
	struct vmmgmt_version ver;
	unsigned int i;

	if (d->no_module)
		return;
	d->host_fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (d->host_fd < 0) {
		if (errno == ENOENT)
			vmmgmtd_info("%s not found: is vmmgmt_host.ko loaded?",
				     VMMGMT_HOST_DEV);
		else if (errno == EACCES || errno == EPERM)
			vmmgmtd_info("%s: %m: vmmgmtd must run as root",
				     VMMGMT_HOST_DEV);
		else
			vmmgmtd_info("%s: %m", VMMGMT_HOST_DEV);
		exit(1);
	}
	memset(&ver, 0, sizeof(ver));
	if (ioctl(d->host_fd, VMMGMT_HOST_IOC_GET_VERSION, &ver) < 0) {
		vmmgmtd_info("%s: GET_VERSION: %m: is it the vmmgmt_host.ko device?",
			     VMMGMT_HOST_DEV);
		exit(1);
	}
	if (ver.abi_major != VMMGMT_ABI_MAJOR) {
		vmmgmtd_info("%s: module ABI %u.%u, vmmgmtd ABI %u.%u: major versions differ, use matching vmmgmtd and vmmgmt_host.ko",
			     VMMGMT_HOST_DEV, ver.abi_major, ver.abi_minor,
			     VMMGMT_ABI_MAJOR, VMMGMT_ABI_MINOR);
		exit(1);
	}
	vmmgmtd_debug("%s: module ABI %u.%u", VMMGMT_HOST_DEV,
		      ver.abi_major, ver.abi_minor);
	/* ABI 0.8: VMs outlive vmmgmtd, and a new one adopts them. */
	d->persist = ver.abi_minor >= 8;
	if (!d->persist)
		vmmgmtd_debug("%s: module ABI %u.%u: VMs end with vmmgmtd (they outlive it from ABI 0.8 on)",
			      VMMGMT_HOST_DEV, ver.abi_major, ver.abi_minor);
	if (d->vectors > VMMGMT_VECTORS_MAX) {
		vmmgmtd_info("--vectors %u: %s takes at most %u", d->vectors,
			     VMMGMT_HOST_DEV, VMMGMT_VECTORS_MAX);
		exit(1);
	}
	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i]->vectors <= VMMGMT_VECTORS_MAX)
			continue;
		vmmgmtd_info("%s: vectors=%u: %s takes at most %u",
			     d->vms[i]->origin, d->vms[i]->vectors,
			     VMMGMT_HOST_DEV, VMMGMT_VECTORS_MAX);
		exit(1);
	}
}

/*
 * The socket directory: create it if its parent exists.  An existing one
 * must be a directory (not a symbolic link to one) of vmmgmtd's own user
 * that nobody else may write to: whoever can write there could replace
 * a VM's socket, the control socket or the pid file.
 */
static void vmmgmtd_prepare_dir(struct vmmgmtd *d)
{
	struct stat st;

	if (lstat(d->dir, &st) < 0) {
		if (errno != ENOENT) {
			vmmgmtd_info("socket directory %s: %m", d->dir);
			exit(1);
		}
		if (mkdir(d->dir, 0755) < 0) {
			if (errno == ENOENT)
				vmmgmtd_info("socket directory %s: missing, and so is its parent",
					     d->dir);
			else
				vmmgmtd_info("cannot create socket directory %s: %m",
					     d->dir);
			exit(1);
		}
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		vmmgmtd_info("socket directory %s: a symbolic link: give the directory itself",
			     d->dir);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		vmmgmtd_info("socket directory %s: not a directory", d->dir);
		exit(1);
	}
	if (st.st_uid != geteuid()) {
		vmmgmtd_info("socket directory %s: owned by uid %u, not by vmmgmtd's (uid %u)",
			     d->dir, (unsigned int)st.st_uid,
			     (unsigned int)geteuid());
		exit(1);
	}
	/* Group or others may write. */
	if (st.st_mode & 0022) {
		vmmgmtd_info("socket directory %s: writable by its group or others (mode %04o): make it 0755 or stricter",
			     d->dir, (unsigned int)(st.st_mode & 07777));
		exit(1);
	}
	if (access(d->dir, W_OK | X_OK) < 0) {
		vmmgmtd_info("socket directory %s: not writable: %m", d->dir);
		exit(1);
	}
}

/*
 * Is a server listening on @path?  A stale socket file (nobody listening)
 * is removed.  Return 0 when @path is free, else -1 with @err set.
 */
static int vmmgmtd_check_socket(const char *path, const struct sockaddr_un *sa,
				char *err, size_t len)
{
	struct stat st;
	int fd, ret, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, len, "%s: %m", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, len, "%s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, len, "socket: %m");
		return -1;
	}
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = ret ? errno : 0;
	if (ret == 0 || e == EAGAIN || e == EINPROGRESS) {
		close(fd);
		snprintf(err, len, "%s: in use: another server (vmmgmtd?) is listening on it",
			 path);
		errno = EADDRINUSE;
		return -1;
	}
	close(fd);
	if (e != ECONNREFUSED) {
		snprintf(err, len, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, len, "%s: cannot remove stale socket: %m", path);
		return -1;
	}
	vmmgmtd_info("%s: removed stale socket", path);
	return 0;
}

/*
 * A listening socket (mode 0600) on @path, of at most 107 characters:
 * *@fdp, and the file's *@dev and *@ino, so that only our own file is
 * removed later.  Return: 0, or -1 with @err set (and errno).
 */
static int vmmgmtd_bind(const char *path, int *fdp, dev_t *dev, ino_t *ino,
			char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	size_t n = strlen(path);
	int fd, e;

	if (n >= sizeof(sa.sun_path)) {
		snprintf(err, len, "socket path %s: too long (limit %zu characters)",
			 path, sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, n + 1);
	if (vmmgmtd_check_socket(path, &sa, err, len))
		return -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, len, "socket: %m");
		return -1;
	}
	/* Only the daemon's user may connect: a peer gets the VM's memory. */
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		umask(old_umask);
		if (e == EADDRINUSE)
			snprintf(err, len, "%s: in use: another server just bound it",
				 path);
		else
			snprintf(err, len, "%s: bind: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	umask(old_umask);
	if (stat(path, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
	if (listen(fd, 8) < 0) {
		e = errno;
		snprintf(err, len, "%s: listen: %s", path, strerror(e));
		unlink(path);
		close(fd);
		errno = e;
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* Close @fd and remove @path only if it is still the socket we bound. */
static void vmmgmtd_unbind(const char *path, int *fd, dev_t dev, ino_t ino)
{
	struct stat st;

	if (*fd < 0)
		return;
	if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
	close(*fd);
	*fd = -1;
}

/* DIR/NAME.sock for @vm.  Return: 0, or -1 with @err set (and errno). */
int vmmgmtd_listen(struct vmmgmtd *d, struct vmmgmtd_vm *vm, char *err,
		   size_t len)
{
	int n;

	n = snprintf(vm->path, sizeof(vm->path), "%s/%s.sock", d->dir, vm->name);
	if (n < 0 || (size_t)n >= sizeof(vm->path)) {
		snprintf(err, len, "socket path %s/%s.sock: too long (limit %zu characters)",
			 d->dir, vm->name, sizeof(vm->path) - 1);
		errno = ENAMETOOLONG;
		return -1;
	}
	return vmmgmtd_bind(vm->path, &vm->listen_fd, &vm->sock_dev,
			    &vm->sock_ino, err, len);
}

/* Remove the socket file only if it is still the one we bound. */
void vmmgmtd_unlink_socket(struct vmmgmtd_vm *vm)
{
	vmmgmtd_unbind(vm->path, &vm->listen_fd, vm->sock_dev, vm->sock_ino);
}

/* DIR/vmmgmtd.ctl.  Return: 0, or -1 (logged). */
int vmmgmtd_ctl_listen(struct vmmgmtd *d)
{
	char err[VMMGMTD_ERR_MAX];
	int n;

	n = snprintf(d->ctl_path, sizeof(d->ctl_path), "%s/%s", d->dir,
		     VMMGMTD_CTL_FILE);
	if (n < 0 || (size_t)n >= sizeof(d->ctl_path)) {
		vmmgmtd_info("socket path %s/%s: too long (limit %zu characters)",
			     d->dir, VMMGMTD_CTL_FILE, sizeof(d->ctl_path) - 1);
		return -1;
	}
	if (vmmgmtd_bind(d->ctl_path, &d->ctl_fd, &d->ctl_dev, &d->ctl_ino,
			 err, sizeof(err))) {
		vmmgmtd_info("%s", err);
		return -1;
	}
	return 0;
}

void vmmgmtd_ctl_close(struct vmmgmtd *d)
{
	vmmgmtd_unbind(d->ctl_path, &d->ctl_fd, d->ctl_dev, d->ctl_ino);
}

static void vmmgmtd_pid_path(const struct vmmgmtd *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", d->dir, VMMGMTD_PID_FILE);
}

static int vmmgmtd_write_pid(const struct vmmgmtd *d)
{
	char path[4096], line[32];
	int fd, n;

	vmmgmtd_pid_path(d, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		vmmgmtd_info("%s: %m", path);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (write(fd, line, n) != n) {
		vmmgmtd_info("%s: write: %m", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void vmmgmtd_remove_pid(const struct vmmgmtd *d)
{
	char path[4096], line[32];
	ssize_t n;
	int fd;

	vmmgmtd_pid_path(d, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = '\0';
	if (atoi(line) == (int)getpid())
		unlink(path);
}

/*
 * Exit: close every slot (VMs registered with VMMGMT_HOST_VM_F_PERSIST
 * stay registered) and remove our sockets.
 */
static void vmmgmtd_cleanup(struct vmmgmtd *d)
{
	unsigned int i;

	vmmgmtd_handover_abandon(d);
	vmmgmtd_listener_close(&d->files);
	vmmgmtd_listener_close(&d->services);
	for (i = 0; i < d->nr_vms; i++) {
		vmmgmtd_vm_close(d, d->vms[i]);
		vmmgmtd_unlink_socket(d->vms[i]);
	}
	vmmgmtd_ctl_close(d);
	if (d->host_fd >= 0)
		close(d->host_fd);
	d->host_fd = -1;
}

/*
 * Without -f: fork; the child carries on, the parent exits 0 once the
 * child says it is ready (or 1 if the child dies first).
 */
static int vmmgmtd_detach(void)
{
	int pipefd[2], devnull;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		vmmgmtd_info("pipe: %m");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		vmmgmtd_info("fork: %m");
		return -1;
	}
	if (pid > 0) {
		ssize_t r;

		close(pipefd[1]);
		do
			r = read(pipefd[0], &c, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 && c == 'r' ? 0 : 1);
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/") < 0)
		vmmgmtd_info("chdir /: %m");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	return pipefd[1];
}

static int vmmgmtd_signalfd(void)
{
	sigset_t mask;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	/* Host services reap their children: never SIG_IGN inherited. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		vmmgmtd_info("signalfd: %m");
	return fd;
}

/* Return the signal that asks us to exit, or 0 to go on. */
static int vmmgmtd_signal_event(struct vmmgmtd *d, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			vmmgmtd_doorbell_stats(d);
		else
			return si.ssi_signo;
	}
	return 0;
}

/* What a pollfd in the loop stands for. */
enum vmmgmtd_poll_kind {
	VMMGMTD_POLL_CONN, VMMGMTD_POLL_KICK, VMMGMTD_POLL_PIDFD,
	VMMGMTD_POLL_LISTEN, VMMGMTD_POLL_CTL, VMMGMTD_POLL_FILES,
	VMMGMTD_POLL_SERVICES,
};

struct vmmgmtd_poll_tag {
	struct vmmgmtd_vm *vm;
	enum vmmgmtd_poll_kind kind;
	unsigned int vector;
};

struct vmmgmtd_poll {
	struct pollfd *pfds;
	struct vmmgmtd_poll_tag *tags;
	size_t n, max;
};

static void vmmgmtd_poll_add(struct vmmgmtd_poll *p, int fd,
			     struct vmmgmtd_vm *vm, enum vmmgmtd_poll_kind kind,
			     unsigned int vector)
{
	if (fd < 0)
		return;
	p->tags[p->n] = (struct vmmgmtd_poll_tag){ .vm = vm, .kind = kind, .vector = vector };
	p->pfds[p->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	p->n++;
}

/* Room for every fd of this round: slots come and go (vm add, vm del). */
static int vmmgmtd_poll_room(struct vmmgmtd *d, struct vmmgmtd_poll *p)
{
	size_t max = 3, i;
	void *pfds, *tags;

	/* Connection or pidfd (never both), listener, kicks. */
	for (i = 0; i < d->nr_vms; i++)
		max += 3 + d->vms[i]->vectors;
	if (max <= p->max)
		return 0;
	pfds = realloc(p->pfds, max * sizeof(*p->pfds));
	if (pfds)
		p->pfds = pfds;
	tags = realloc(p->tags, max * sizeof(*p->tags));
	if (tags)
		p->tags = tags;
	if (!pfds || !tags)
		return -1;
	p->max = max;
	return 0;
}

static int vmmgmtd_loop(struct vmmgmtd *d, int sfd)
{
	struct vmmgmtd_poll p = { 0 };
	unsigned int i, v;
	bool relisten;
	int sig = 0;
	size_t k;

	while (!sig) {
		if (vmmgmtd_poll_room(d, &p)) {
			vmmgmtd_info("out of memory");
			break;
		}
		/*
		 * Per VM: connection (or the adopted QEMU's pidfd), kicks,
		 * then the listener, so that a QEMU that went away is noticed
		 * before its successor.  The control socket comes last: a
		 * request may add or remove slots, which ends the round.
		 */
		p.n = 0;
		vmmgmtd_poll_add(&p, sfd, NULL, VMMGMTD_POLL_CTL, 0);
		for (i = 0; i < d->nr_vms; i++) {
			struct vmmgmtd_vm *vm = d->vms[i];

			vmmgmtd_poll_add(&p, vm->conn_fd, vm, VMMGMTD_POLL_CONN, 0);
			/*
			 * With the module, its thread owns the kicks; also
			 * while a handover has the VMs in no module, whose
			 * next module wants the doorbells rung meanwhile.
			 */
			for (v = 0; vm->conn_fd >= 0 && d->no_module &&
			     v < vm->vectors; v++)
				vmmgmtd_poll_add(&p, vm->kick[v], vm,
						 VMMGMTD_POLL_KICK, v);
			vmmgmtd_poll_add(&p, vm->pidfd, vm, VMMGMTD_POLL_PIDFD, 0);
			vmmgmtd_poll_add(&p, vm->listen_fd, vm,
					 VMMGMTD_POLL_LISTEN, 0);
		}
		vmmgmtd_poll_add(&p, d->files.fd, NULL, VMMGMTD_POLL_FILES, 0);
		vmmgmtd_poll_add(&p, d->services.fd, NULL,
				 VMMGMTD_POLL_SERVICES, 0);
		vmmgmtd_poll_add(&p, d->ctl_fd, NULL, VMMGMTD_POLL_CTL, 0);

		relisten = d->files.relisten || d->services.relisten;
		if (poll(p.pfds, p.n, relisten ? 1000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			vmmgmtd_info("poll: %m");
			break;
		}
		if (d->files.relisten)
			vmmgmtd_listener_relisten(&d->files, d);
		if (d->services.relisten)
			vmmgmtd_listener_relisten(&d->services, d);
		if (p.pfds[0].revents)
			sig = vmmgmtd_signal_event(d, sfd);

		for (k = 1; k < p.n && !sig; k++) {
			struct vmmgmtd_poll_tag *t = &p.tags[k];

			if (!p.pfds[k].revents)
				continue;
			switch (t->kind) {
			case VMMGMTD_POLL_CONN:
				if (t->vm->conn_fd == p.pfds[k].fd)
					vmmgmtd_vm_conn_event(d, t->vm, p.pfds[k].revents);
				break;
			case VMMGMTD_POLL_KICK:
				/* Skip if the connection ended in this round. */
				if (t->vm->conn_fd >= 0 &&
				    t->vm->kick[t->vector] == p.pfds[k].fd)
					vmmgmtd_doorbell_read(d, t->vm, t->vector);
				break;
			case VMMGMTD_POLL_PIDFD:
				if (t->vm->pidfd == p.pfds[k].fd)
					vmmgmtd_vm_qemu_gone(d, t->vm);
				break;
			case VMMGMTD_POLL_LISTEN:
				vmmgmtd_vm_accept(d, t->vm);
				break;
			case VMMGMTD_POLL_CTL:
				vmmgmtd_ctl_accept(d);
				break;
			case VMMGMTD_POLL_FILES:
				if (d->files.fd == p.pfds[k].fd)
					vmmgmtd_files_accept(d);
				break;
			case VMMGMTD_POLL_SERVICES:
				if (d->services.fd == p.pfds[k].fd)
					vmmgmtd_services_accept(d);
				break;
			}
		}
	}
	free(p.tags);
	free(p.pfds);
	if (sig)
		vmmgmtd_info("exiting on %s", strsignal(sig));
	return sig ? 0 : -1;
}

/*
 * systemd's Type=notify without libsystemd: "READY=1" in one datagram to
 * the socket $NOTIFY_SOCKET names (a path, or an abstract name written
 * with a leading '@').  Nothing to do when it is not set.
 */
static void vmmgmtd_notify_ready(void)
{
	static const char msg[] = "READY=1";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n = path ? strlen(path) : 0;
	int fd;

	if (!n)
		return;
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		vmmgmtd_info("NOTIFY_SOCKET=%s: not a socket path or abstract name",
			     path);
		return;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    sendto(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + n) < 0)
		vmmgmtd_info("NOTIFY_SOCKET=%s: cannot tell systemd that we are ready: %m",
			     path);
	if (fd >= 0)
		close(fd);
}

/* Each VM needs up to 3 + 2 * vectors fds; lift the soft limit. */
static void vmmgmtd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct vmmgmtd_module_vms list = { 0 };
	struct vmmgmtd d = { 0 };
	int ready_fd = -1, sfd, ret = 1;
	char err[VMMGMTD_ERR_MAX];
	unsigned int i;

	vmmgmtd_parse_args(&d, argc, argv);
	vmmgmtd_verbose = d.verbose;
	vmmgmtd_load_config_dir(&d);
	vmmgmtd_check_module(&d);
	/* The module's VMs: configured slots must not collide with them. */
	if (vmmgmtd_module_list(&d, &list)) {
		vmmgmtd_info("%s: LIST_VMS: %m", VMMGMT_HOST_DEV);
		exit(1);
	}
	vmmgmtd_assign_ids(&d, &list);
	vmmgmtd_prepare_dir(&d);
	vmmgmtd_raise_nofile();
	vmmgmtd_check_collisions(&d, &list);
	for (i = 0; i < d.nr_vms; i++) {
		if (vmmgmtd_listen(&d, d.vms[i], err, sizeof(err))) {
			vmmgmtd_info("%s", err);
			goto out;
		}
	}
	if (vmmgmtd_ctl_listen(&d))
		goto out;
	/* Only now that we are the daemon of DIR: adopt the orphans. */
	vmmgmtd_adopt_all(&d, &list);
	free(list.vms);
	list.vms = NULL;

	if (!d.foreground) {
		ready_fd = vmmgmtd_detach();
		if (ready_fd < 0)
			goto out;
	}
	sfd = vmmgmtd_signalfd();
	if (sfd < 0)
		goto out;
	/* After the signal mask: the sessions' threads inherit it. */
	vmmgmtd_files_start(&d);
	vmmgmtd_services_start(&d);
	if (vmmgmtd_write_pid(&d))
		goto out;

	vmmgmtd_info("ready: %u VMs in %s (%u adopted)", d.nr_vms, d.dir,
		     d.nr_adopted);
	for (i = 0; i < d.nr_vms; i++)
		vmmgmtd_debug("%s: id %u, socket %s, region %llu bytes, %u vectors, from %s",
			      d.vms[i]->name, d.vms[i]->id, d.vms[i]->path,
			      (unsigned long long)d.vms[i]->region_size,
			      d.vms[i]->vectors, d.vms[i]->origin);
	vmmgmtd_notify_ready();
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			vmmgmtd_info("cannot tell the parent that we are ready: %m");
		close(ready_fd);
	}

	if (vmmgmtd_loop(&d, sfd) == 0)
		ret = 0;
	vmmgmtd_doorbell_stats(&d);
	vmmgmtd_remove_pid(&d);
out:
	free(list.vms);
	vmmgmtd_cleanup(&d);
	return ret;
}
