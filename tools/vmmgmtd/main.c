// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: command line, start-up checks, sockets and the poll() loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
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

#include "vmmgmtd.h"

#define VMMGMTD_EXIT_USAGE	2

static void vmmgmtd_usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmtd [OPTIONS] NAME[=ID]...\n"
		"Serve the vmmgmt management device (QEMU ivshmem-doorbell) to each VM NAME\n"
		"on the UNIX socket DIR/NAME.sock.\n"
		"\n"
		"  -d, --dir DIR         socket directory (default %s)\n"
		"  -s, --size SIZE[K|M]  region size, a power of two from 64K to 64M\n"
		"                        (default %lluK)\n"
		"  -n, --vectors N       interrupt vectors per direction, 1..%u (default %u);\n"
		"                        start QEMU with ivshmem-doorbell,vectors=N\n"
		"  -v, --verbose         also log every doorbell\n"
		"  -f, --foreground      do not detach (for systemd and tests)\n"
		"      --no-module       do not require %s (testing only)\n"
		"  -h, --help            show this help\n"
		"\n"
		"NAME: 1..%u characters of [A-Za-z0-9_-].  ID: the VM id and ivshmem peer\n"
		"id, 1..%u; VMs without =ID get the lowest unused ids in order (1, 2, ...).\n"
		"QEMU: -chardev socket,path=DIR/NAME.sock,id=C\n"
		"      -device ivshmem-doorbell,chardev=C,vectors=N\n"
		"Signals: SIGUSR1 logs per-VM doorbell counts; SIGTERM, SIGINT exit.\n",
		VMMGMTD_DEFAULT_DIR,
		(unsigned long long)(VMMGMT_REGION_DEFAULT_SIZE >> 10),
		VMMGMTD_VECTORS_MAX, VMMGMT_VECTORS_DEFAULT, VMMGMT_HOST_DEV,
		VMMGMT_NAME_MAX - 1, VMMGMT_VM_ID_MAX);
}

/* A usage error: one line on stderr, exit 2. */
#define vmmgmtd_usage_error(fmt, ...) do { \
	fprintf(stderr, "vmmgmtd: " fmt " (see vmmgmtd --help)\n", ##__VA_ARGS__); \
	exit(VMMGMTD_EXIT_USAGE); \
} while (0)

/* Parse a decimal number; false on junk, sign or overflow. */
static bool vmmgmtd_parse_u64(const char *s, __u64 *val, char **end)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno)
		return false;
	*val = v;
	return true;
}

static __u64 vmmgmtd_parse_size(const char *arg)
{
	__u64 size, shift = 0;
	char *end;

	if (!vmmgmtd_parse_u64(arg, &size, &end))
		goto bad;
	if ((end[0] == 'K' || end[0] == 'k') && !end[1])
		shift = 10;
	else if ((end[0] == 'M' || end[0] == 'm') && !end[1])
		shift = 20;
	else if (end[0])
		goto bad;
	if (size > (VMMGMT_REGION_MAX_SIZE >> shift))
		goto bad;
	size <<= shift;
	if (size < VMMGMT_REGION_MIN_SIZE || (size & (size - 1)))
		goto bad;
	return size;
bad:
	vmmgmtd_usage_error("bad size '%s': must be a power of two from %lluK to %lluM",
			    arg, (unsigned long long)(VMMGMT_REGION_MIN_SIZE >> 10),
			    (unsigned long long)(VMMGMT_REGION_MAX_SIZE >> 20));
}

static unsigned int vmmgmtd_parse_vectors(const char *arg)
{
	__u64 n;
	char *end;

	if (!vmmgmtd_parse_u64(arg, &n, &end) || *end || n < 1 ||
	    n > VMMGMTD_VECTORS_MAX)
		vmmgmtd_usage_error("bad vector count '%s': must be 1..%u", arg,
				    VMMGMTD_VECTORS_MAX);
	return n;
}

/* NAME[=ID] */
static void vmmgmtd_parse_vm(const char *arg, struct vmmgmtd_vm *vm)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	__u64 id;
	char *end;
	size_t i;

	if (len < 1 || len > VMMGMT_NAME_MAX - 1)
		vmmgmtd_usage_error("bad VM name '%.*s': must be 1..%u characters",
				    (int)len, arg, VMMGMT_NAME_MAX - 1);
	for (i = 0; i < len; i++) {
		char c = arg[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			vmmgmtd_usage_error("bad VM name '%.*s': only A-Z a-z 0-9 _ - are allowed",
					    (int)len, arg);
	}
	memcpy(vm->name, arg, len);
	vm->name[len] = '\0';
	if (!eq)
		return;
	if (!vmmgmtd_parse_u64(eq + 1, &id, &end) || *end || id < 1 ||
	    id > VMMGMT_VM_ID_MAX)
		vmmgmtd_usage_error("bad VM id '%s' for %s: must be 1..%u (0 is the host)",
				    eq + 1, vm->name, VMMGMT_VM_ID_MAX);
	vm->id = id;
	vm->id_given = true;
}

static bool vmmgmtd_id_used(const struct vmmgmtd *d, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++)
		if (d->vms[i].id == id)
			return true;
	return false;
}

static void vmmgmtd_parse_vms(struct vmmgmtd *d, int argc, char **argv)
{
	unsigned int i, j, next = 1;

	if (argc < 1)
		vmmgmtd_usage_error("no VM names given");
	d->nr_vms = argc;
	d->vms = calloc(argc, sizeof(*d->vms));
	if (!d->vms) {
		fprintf(stderr, "vmmgmtd: out of memory\n");
		exit(1);
	}
	for (i = 0; i < d->nr_vms; i++) {
		vmmgmtd_vm_init(&d->vms[i]);
		vmmgmtd_parse_vm(argv[i], &d->vms[i]);
	}
	for (i = 0; i < d->nr_vms; i++)
		for (j = 0; j < i; j++) {
			if (!strcmp(d->vms[i].name, d->vms[j].name))
				vmmgmtd_usage_error("duplicate VM name '%s'",
						    d->vms[i].name);
			if (d->vms[i].id_given && d->vms[i].id == d->vms[j].id)
				vmmgmtd_usage_error("duplicate VM id %u (%s and %s)",
						    d->vms[i].id, d->vms[j].name,
						    d->vms[i].name);
		}
	/* Ids not given: the lowest unused, in command line order. */
	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i].id_given)
			continue;
		while (next <= VMMGMT_VM_ID_MAX && vmmgmtd_id_used(d, next))
			next++;
		if (next > VMMGMT_VM_ID_MAX)
			vmmgmtd_usage_error("too many VMs");
		d->vms[i].id = next++;
	}
}

static void vmmgmtd_parse_args(struct vmmgmtd *d, int argc, char **argv)
{
	enum { OPT_NO_MODULE = 0x100 };
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "vectors", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-module", no_argument, NULL, OPT_NO_MODULE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	d->dir = VMMGMTD_DEFAULT_DIR;
	d->region_size = VMMGMT_REGION_DEFAULT_SIZE;
	d->vectors = VMMGMT_VECTORS_DEFAULT;
	d->host_fd = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:s:n:vfh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!optarg[0])
				vmmgmtd_usage_error("empty socket directory");
			d->dir = optarg;
			break;
		case 's':
			d->region_size = vmmgmtd_parse_size(optarg);
			break;
		case 'n':
			d->vectors = vmmgmtd_parse_vectors(optarg);
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
	vmmgmtd_parse_vms(d, argc - optind, argv + optind);
}

/* /dev/vmmgmt-host must be there and speak our ABI major. */
static void vmmgmtd_check_module(struct vmmgmtd *d)
{
	struct vmmgmt_version ver;

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
	if (d->vectors > VMMGMT_VECTORS_MAX) {
		vmmgmtd_info("--vectors %u: %s takes at most %u", d->vectors,
			     VMMGMT_HOST_DEV, VMMGMT_VECTORS_MAX);
		exit(1);
	}
}

/* The socket directory: create it if its parent exists. */
static void vmmgmtd_prepare_dir(struct vmmgmtd *d)
{
	struct stat st;

	if (stat(d->dir, &st) < 0) {
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
	if (!S_ISDIR(st.st_mode)) {
		vmmgmtd_info("socket directory %s: not a directory", d->dir);
		exit(1);
	}
	if (access(d->dir, W_OK | X_OK) < 0) {
		vmmgmtd_info("socket directory %s: not writable: %m", d->dir);
		exit(1);
	}
}

/*
 * Is a server listening on @path?  A stale socket file (nobody listening)
 * is removed.  Return 0 when @path is free.
 */
static int vmmgmtd_check_socket(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret, err;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		vmmgmtd_info("%s: %m", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		vmmgmtd_info("%s: exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vmmgmtd_info("socket: %m");
		return -1;
	}
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	err = ret ? errno : 0;
	if (ret == 0 || err == EAGAIN || err == EINPROGRESS) {
		close(fd);
		vmmgmtd_info("%s: in use: another server (vmmgmtd?) is listening on it",
			     path);
		return -1;
	}
	close(fd);
	if (err != ECONNREFUSED) {
		vmmgmtd_info("%s: %s", path, strerror(err));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		vmmgmtd_info("%s: cannot remove stale socket: %m", path);
		return -1;
	}
	vmmgmtd_info("%s: removed stale socket", path);
	return 0;
}

static int vmmgmtd_listen(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int n, fd;

	n = snprintf(vm->path, sizeof(vm->path), "%s/%s.sock", d->dir, vm->name);
	if (n < 0 || (size_t)n >= sizeof(vm->path) ||
	    (size_t)n >= sizeof(sa.sun_path)) {
		vmmgmtd_info("socket path %s/%s.sock: too long (limit %zu characters)",
			     d->dir, vm->name, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, vm->path, n + 1);
	if (vmmgmtd_check_socket(vm->path, &sa))
		return -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vmmgmtd_info("socket: %m");
		return -1;
	}
	/* Only the daemon's user may connect: a peer gets the VM's memory. */
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old_umask);
		if (errno == EADDRINUSE)
			vmmgmtd_info("%s: in use: another server just bound it",
				     vm->path);
		else
			vmmgmtd_info("%s: bind: %m", vm->path);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (stat(vm->path, &st) == 0) {
		vm->sock_dev = st.st_dev;
		vm->sock_ino = st.st_ino;
	}
	vm->listen_fd = fd;
	if (listen(fd, 8) < 0) {
		vmmgmtd_info("%s: listen: %m", vm->path);
		return -1;
	}
	return 0;
}

/* Remove the socket file only if it is still the one we bound. */
static void vmmgmtd_unlink_socket(struct vmmgmtd_vm *vm)
{
	struct stat st;

	if (vm->listen_fd < 0)
		return;
	if (stat(vm->path, &st) == 0 && st.st_dev == vm->sock_dev &&
	    st.st_ino == vm->sock_ino)
		unlink(vm->path);
	close(vm->listen_fd);
	vm->listen_fd = -1;
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
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
	fd = open(path, O_RDONLY | O_CLOEXEC);
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

static void vmmgmtd_cleanup(struct vmmgmtd *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i].conn_fd >= 0)
			vmmgmtd_vm_disconnect(d, &d->vms[i], "closing");
		vmmgmtd_unlink_socket(&d->vms[i]);
	}
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
enum vmmgmtd_poll_kind { VMMGMTD_POLL_CONN, VMMGMTD_POLL_KICK, VMMGMTD_POLL_LISTEN };

struct vmmgmtd_poll_tag {
	struct vmmgmtd_vm *vm;
	enum vmmgmtd_poll_kind kind;
	unsigned int vector;
};

static void vmmgmtd_poll_add(struct pollfd *pfds, struct vmmgmtd_poll_tag *tags,
			     size_t *n, int fd, struct vmmgmtd_vm *vm,
			     enum vmmgmtd_poll_kind kind, unsigned int vector)
{
	tags[*n] = (struct vmmgmtd_poll_tag){ .vm = vm, .kind = kind, .vector = vector };
	pfds[*n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	(*n)++;
}

static int vmmgmtd_loop(struct vmmgmtd *d, int sfd)
{
	size_t max = 1 + (size_t)d->nr_vms * (2 + d->vectors);
	struct vmmgmtd_poll_tag *tags = calloc(max, sizeof(*tags));
	struct pollfd *pfds = calloc(max, sizeof(*pfds));
	unsigned int i, v;
	size_t n, k;
	int sig = 0;

	if (!tags || !pfds) {
		vmmgmtd_info("out of memory");
		free(tags);
		free(pfds);
		return -1;
	}
	while (!sig) {
		/*
		 * Per VM: connection, kicks, then the listener, so that a
		 * QEMU that went away is noticed before its successor.
		 */
		n = 0;
		pfds[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (i = 0; i < d->nr_vms; i++) {
			struct vmmgmtd_vm *vm = &d->vms[i];

			if (vm->conn_fd >= 0) {
				vmmgmtd_poll_add(pfds, tags, &n, vm->conn_fd,
						 vm, VMMGMTD_POLL_CONN, 0);
				/* With the module, its thread owns the kicks. */
				for (v = 0; d->host_fd < 0 && v < d->vectors; v++)
					vmmgmtd_poll_add(pfds, tags, &n, vm->kick[v],
							 vm, VMMGMTD_POLL_KICK, v);
			}
			vmmgmtd_poll_add(pfds, tags, &n, vm->listen_fd, vm,
					 VMMGMTD_POLL_LISTEN, 0);
		}

		if (poll(pfds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			vmmgmtd_info("poll: %m");
			break;
		}
		if (pfds[0].revents)
			sig = vmmgmtd_signal_event(d, sfd);

		for (k = 1; k < n; k++) {
			struct vmmgmtd_poll_tag *t = &tags[k];

			if (!pfds[k].revents)
				continue;
			switch (t->kind) {
			case VMMGMTD_POLL_CONN:
				if (t->vm->conn_fd == pfds[k].fd)
					vmmgmtd_vm_conn_event(d, t->vm, pfds[k].revents);
				break;
			case VMMGMTD_POLL_KICK:
				/* Skip if the connection ended in this round. */
				if (t->vm->conn_fd >= 0 &&
				    t->vm->kick[t->vector] == pfds[k].fd)
					vmmgmtd_doorbell_read(d, t->vm, t->vector);
				break;
			case VMMGMTD_POLL_LISTEN:
				vmmgmtd_vm_accept(d, t->vm);
				break;
			}
		}
	}
	free(tags);
	free(pfds);
	if (sig)
		vmmgmtd_info("exiting on %s", strsignal(sig));
	return sig ? 0 : -1;
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
	struct vmmgmtd d = { 0 };
	int ready_fd = -1, sfd, ret = 1;
	unsigned int i;

	vmmgmtd_parse_args(&d, argc, argv);
	vmmgmtd_verbose = d.verbose;
	vmmgmtd_check_module(&d);
	vmmgmtd_prepare_dir(&d);
	vmmgmtd_raise_nofile();

	for (i = 0; i < d.nr_vms; i++)
		if (vmmgmtd_listen(&d, &d.vms[i]))
			goto out;
	if (!d.foreground) {
		ready_fd = vmmgmtd_detach();
		if (ready_fd < 0)
			goto out;
	}
	sfd = vmmgmtd_signalfd();
	if (sfd < 0)
		goto out;
	if (vmmgmtd_write_pid(&d))
		goto out;

	vmmgmtd_info("ready: %u VMs in %s", d.nr_vms, d.dir);
	for (i = 0; i < d.nr_vms; i++)
		vmmgmtd_debug("%s: id %u, socket %s", d.vms[i].name,
			      d.vms[i].id, d.vms[i].path);
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
	vmmgmtd_cleanup(&d);
	return ret;
}
