// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: file mode's clients (Documentation/files.rst).  In a guest:
 * file put, get, ls, rm, stat against the host's file service (vmmgmtd),
 * and file send, a put to another VM's file recv.  On the host: file push
 * and pull, a put and a get to a guest's file serve.  Each command opens
 * one stream (in a guest in file mode: VMMGMT_IOC_SET_MODE, then
 * VMMGMT_IOC_STREAM_CONNECT to host port VMMGMT_FILE_PORT or to VM port
 * VMMGMT_FILE_RECV_PORT; on the host VMMGMT_HOST_IOC_STREAM_CONNECT to VM
 * port VMMGMT_FILE_PORT) and makes one request through file_client.c; a
 * get or pull is written to a temporary file beside the destination and
 * renamed only when its SHA-256 matched.  file serve and file recv, the
 * guest's servers, are file_serve.c.  Calls file_client.c, file_serve.c
 * (for the command table), vmmgmtctl.c (errors, JSON strings, the device),
 * msg.c (numbers, names), modes.c (a VM's modes), stream.c (fmt_bytes())
 * and libc.
 *
 * VMMGMT_FILE_FD=N in the environment: use the connected fd N instead of
 * a stream (the tests run vmmgmtctl against vmmgmtd's service, or against
 * vmmgmtctl file serve, so); push and pull then do not look the VM up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_client.h"
#include "vmmgmtctl.h"

/* How often the progress line is redrawn. */
#define FILE_PROGRESS_MS	500

/*
 * Where a command's stream goes: the host's file service (the guest's own
 * commands), a guest's file serve (push, pull: @host), another VM's file
 * recv (send: @lookup, or @addr).
 */
struct file_peer {
	bool host;			/* from /dev/vmmgmt-host */
	struct vmmgmt_addr addr;
	const char *lookup;		/* a published name, looked up first */
	const char *vm;			/* the VM as given, or NULL (the host) */
};

/* The guest's own commands: the host's file service. */
static const struct file_peer file_host_service = {
	.addr = { .port = VMMGMT_FILE_PORT },
};

/* One command: what it is, for the messages, the progress and --json. */
struct file_cmd {
	const struct ctl *ctl;
	const struct file_peer *peer;
	const char *op;			/* put, get, ls, rm, stat, push, pull, send */
	const char *local, *remote;
	bool progress;			/* stderr is a terminal */
	bool json_written;		/* ls: its object is out already */
	bool started;			/* put, get: the first progress call */
	__u64 base;			/* bytes kept from before (--resume) */
	double t0, last;
};

/* What an errno means from a guest's file serve (push, pull) or recv (send). */
static const char *file_hint_agent(const struct file_cmd *c, int err)
{
	switch (err) {
	case EPERM:
		return "file mode is off in that VM: its owner turns it on (modes enable file)";
	case EACCES:
		return c->peer->host ?
		       "that VM's owner set no directory for the host (modes/file/dir)" :
		       "that VM's recv refuses this VM (--from), subdirectories, hidden names";
	case EEXIST:
		return c->peer->host ? NULL :
		       "that VM's file recv holds that name already: it replaces nothing";
	case EXDEV:
		return "the path leads out of the directory that VM's owner chose";
	case ELOOP:
		return "a symbolic link that VM does not follow (or a loop)";
	default:
		return NULL;
	}
}

/* What an errno means here, when the server sent it. */
static const char *file_hint(const struct file_cmd *c, int err)
{
	const char *h = c->peer->vm ? file_hint_agent(c, err) : NULL;

	if (h)
		return h;
	switch (err) {
	case EXDEV:
		return "the path leads out of the export";
	case ELOOP:
		return "a symbolic link the host does not follow (or a loop)";
	case EACCES:
		return "the export is read-only";
	case EDQUOT:
		return "the export's quota is full";
	case EBUSY:
		return "too many transfers of this VM under way";
	case EMFILE:
		return "too many files of this VM open on the host";
	case EBADMSG:
		return "the SHA-256 did not match: nothing was stored";
	case EPROTO:
		return "the other end broke the file protocol";
	case EPIPE:
		return "the stream ended in the middle";
	default:
		return NULL;
	}
}

/* A get's or a pull's paths come REMOTE LOCAL, the others' LOCAL REMOTE. */
static bool file_fetches(const struct file_cmd *c)
{
	return !strcmp(c->op, "get") || !strcmp(c->op, "pull");
}

/* --json: the object of a failed command (once). */
static void file_json_error(const struct file_cmd *c, int err)
{
	if (!c->ctl->json || c->json_written)
		return;
	printf("{\"op\":\"%s\",", c->op);
	if (c->peer->vm) {
		printf("\"vm\":");
		json_string(c->peer->vm);
		putchar(',');
	}
	printf("\"result\":\"error\",\"error\":");
	json_string(strerror(err));
	printf(",\"errno\":%d}\n", err);
}

/* The end of a failed command: a message (and a JSON object), exit 1. */
static int file_error(const struct file_cmd *c, int err)
{
	const char *h = file_hint(c, err), *first = c->local, *second = c->remote;
	const char *vm = c->peer->vm;

	if (c->progress)
		fprintf(stderr, "\r\033[K");
	if (file_fetches(c)) {
		first = c->remote;
		second = c->local;
	}
	vmmgmtctl_err("file %s %s%s%s%s%s: %s%s%s", c->op, vm ? vm : "",
		      vm && first ? " " : "", first ? first : "",
		      first && second ? " " : "", second ? second : "",
		      strerror(err), h ? ": " : "", h ? h : "");
	file_json_error(c, err);
	return 1;
}

/* The progress line: bytes, rate, ETA (put and get, stderr a terminal). */
static void file_progress(void *arg, __u64 done, __u64 total)
{
	struct file_cmd *c = arg;
	double now = vmmgmt_now_s(), secs = now - c->t0, rate;
	char d[32], t[32];

	if (!c->started) {
		/* The first call: the bytes a resumed transfer kept. */
		c->started = true;
		c->base = done;
	}
	if (!c->progress || (done < total && now - c->last < FILE_PROGRESS_MS / 1e3))
		return;
	c->last = now;
	rate = secs > 0 ? (done - c->base) / secs : 0;
	fmt_bytes(done, d, sizeof(d));
	fmt_bytes(total, t, sizeof(t));
	fprintf(stderr, "\r\033[Kvmmgmtctl: %s %s: %s of %s (%.0f%%), %.1f MB/s",
		c->op, c->remote, d, t, total ? 100.0 * done / total : 100.0,
		rate / 1e6);
	if (done < total && rate > 0)
		fprintf(stderr, ", ETA %.0f s", (total - done) / rate);
	if (done == total)
		fputc('\n', stderr);
}

/* Why STREAM_CONNECT to @p failed, when we can say better than fail(). */
static const char *file_connect_why(const struct file_peer *p, int err)
{
	switch (err) {
	case ECONNREFUSED:
		if (p->host)
			return "no file agent in that VM: its owner runs 'file serve' (root)";
		if (p->vm)
			return "that VM receives no files now: its owner runs 'file recv'";
		return "no file service on the host: vmmgmtd serves it to VMs with files=ro or rw";
	case ENOTTY:
		return p->host ? "the host module has no streams (ABI 0.7 and later)" :
		       "the guest module has no streams (ABI 0.7 and later)";
	case EPERM:
		if (p->host)
			return "that VM's owner turned chat mode off (the host's streams use it)";
		return p->vm ? "file mode is off in that VM" : NULL;
	case EACCES:
		return "the host's policy does not let this pair of VMs talk";
	case EHOSTUNREACH:
		return "no such VM";
	case EHOSTDOWN:
		return "that VM's channel is not up";
	default:
		return NULL;
	}
}

/*
 * The stream of @c: in a guest a file in file mode (the host's file
 * service, or another VM's file recv), on the host a file of the host's
 * device (a guest's file serve); exits with a message when there is none.
 */
static int file_connect(const struct file_cmd *c)
{
	const struct file_peer *p = c->peer;
	const char *path = c->ctl->device ? c->ctl->device :
			   p->host ? HOST_DEVICE : GUEST_DEVICE;
	const char *env = getenv("VMMGMT_FILE_FD"), *why;
	struct vmmgmt_stream_connect sc = { .addr = p->addr };
	int fd, err;

	if (env)
		return parse_u32(env, "bad VMMGMT_FILE_FD", true);
	if (is_host_path(path) != p->host)
		usage_error(p->host ? "file push and pull run on the host" :
			    "this file command runs in a guest", path);
	fd = open_device(path, !p->host);
	if (!p->host)
		set_mode_or_exit(fd, path, VMMGMT_MODE_FILE);
	if (p->lookup)
		parse_dest(p->lookup, fd, path, false, &sc.addr);
	if (c->ctl->timeout_ms > 0)
		sc.timeout_ms = c->ctl->timeout_ms;
	if (ioctl(fd, p->host ? VMMGMT_HOST_IOC_STREAM_CONNECT :
		  VMMGMT_IOC_STREAM_CONNECT, &sc)) {
		err = errno;
		file_json_error(c, err);
		why = file_connect_why(p, err);
		if (!why)
			fail(path, "STREAM_CONNECT", err, !p->host);
		if (p->vm)
			vmmgmtctl_err("%s: VM %s (id %u, port %u): %s", path,
				      p->vm, sc.addr.vm, sc.addr.port, why);
		else
			vmmgmtctl_err("%s: host port %u: %s", path,
				      sc.addr.port, why);
		exit(1);
	}
	return fd;
}

static void file_start(struct file_cmd *c, const struct ctl *ctl,
		       const struct file_peer *peer, const char *op,
		       bool transfer)
{
	memset(c, 0, sizeof(*c));
	c->ctl = ctl;
	c->peer = peer;
	c->op = op;
	c->progress = transfer && isatty(STDERR_FILENO);
	c->t0 = vmmgmt_now_s();
	signal(SIGPIPE, SIG_IGN);
}

/* The end of put and get: --json, or a line on a resumed transfer. */
static void file_done(const struct file_cmd *c, __u64 bytes,
		      const struct vmmgmt_file_xfer *x)
{
	char hex[VMMGMT_SHA256_HEX], b[32];

	if (!c->ctl->json) {
		if (x->resumed) {
			fmt_bytes(x->resumed, b, sizeof(b));
			printf("vmmgmtctl: file %s %s: resumed: %s kept from before\n",
			       c->op, c->remote, b);
		} else if (x->restarted) {
			printf("vmmgmtctl: file %s %s: what was kept differed: sent whole\n",
			       c->op, c->remote);
		}
		return;
	}
	vmmgmt_sha256_hex(x->digest, hex);
	printf("{\"op\":\"%s\",", c->op);
	if (c->peer->vm) {
		printf("\"vm\":");
		json_string(c->peer->vm);
		putchar(',');
	}
	printf("\"local\":");
	json_string(c->local);
	printf(",\"remote\":");
	json_string(c->remote);
	printf(",\"bytes\":%llu,\"resumed\":%llu,\"restarted\":%s",
	       (unsigned long long)bytes, (unsigned long long)x->resumed,
	       x->restarted ? "true" : "false");
	printf(",\"seconds\":%.3f,\"sha256\":\"%s\",\"result\":\"ok\"}\n",
	       vmmgmt_now_s() - c->t0, hex);
}

/* @dir with @name appended when @dir ends with '/' (or @name alone). */
static char *file_join(const char *dir, const char *name)
{
	size_t n = dir ? strlen(dir) : 0;
	char *s;

	if (n && dir[n - 1] != '/')
		return strdup(dir);
	if (asprintf(&s, "%s%s", n ? dir : "", name) < 0)
		return NULL;
	return s;
}

/* The last component of @path, in new memory. */
static char *file_basename(const char *path)
{
	char *copy = strdup(path), *b;

	if (!copy)
		return NULL;
	b = strdup(basename(copy));
	free(copy);
	return b;
}

/* After a failed put or get: what stays for --resume, and the error. */
static int file_failed(const struct file_cmd *c, int err,
		       const struct vmmgmt_file_xfer *x)
{
	file_error(c, err);
	if (x->broken && !c->ctl->json)
		vmmgmtctl_err("file %s %s: what arrived was kept: the same command with --resume goes on from there",
			      c->op, c->remote);
	return 1;
}

/*
 * put, push and send: the regular file @local to @peer as @remote (NULL:
 * @local's name; ending in '/': a directory for it).
 */
static int file_put_to(const struct ctl *ctl, const struct file_peer *peer,
		       const char *op, const char *local, const char *remote)
{
	struct vmmgmt_file_xfer x = { .progress = file_progress };
	struct file_cmd c;
	char *base;
	struct stat st;
	int fd, sfd, err;

	file_start(&c, ctl, peer, op, true);
	x.arg = &c;
	x.flags = ctl->resume ? VMMGMT_FILE_F_RESUME : 0;
	c.local = local;
	base = file_basename(local);
	c.remote = base ? file_join(remote, base) : NULL;
	if (!c.remote)
		return file_error(&c, ENOMEM);
	remote = c.remote;
	fd = open(c.local, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return file_error(&c, errno);
	if (!S_ISREG(st.st_mode))
		return file_error(&c, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
	sfd = file_connect(&c);
	err = vmmgmt_file_client_put(sfd, fd, st.st_size, st.st_mode, remote, &x);
	close(fd);
	close(sfd);
	if (err)
		return file_failed(&c, -err, &x);
	file_progress(&c, st.st_size, st.st_size);
	file_done(&c, st.st_size, &x);
	return 0;
}

static int file_put(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		usage_error("file put needs LOCAL [REMOTE]", NULL);
	return file_put_to(ctl, &file_host_service, "put", argv[2],
			   argc == 4 ? argv[3] : NULL);
}

/*
 * Open and lock the part file @path: ours (a regular file of our user
 * with one link; in a shared directory another user's file of that name
 * is refused, not written into), and still the file under that name once
 * locked (a get that just finished may have renamed it into place).
 * Return: its fd, -EBUSY (another get holds it), -EPERM (not ours), or
 * -errno.
 */
static int file_part_open(const char *path)
{
	struct stat st, now;
	int fd, i;

	for (i = 0; i < 8; i++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st)) {
			close(fd);
			return -errno;
		}
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
			close(fd);
			return -EPERM;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			return errno == EWOULDBLOCK ? -EBUSY : -errno;
		}
		if (!stat(path, &now) && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
			return fd;
		close(fd);
	}
	return -EBUSY;
}

/*
 * The file a get writes before its rename: beside @dst (same directory,
 * so that the rename stays on one file system), named after @dst's last
 * component so that --resume finds it again; locked, so that two gets to
 * the same destination do not mix.  Its name in *@tmp.  Return: its fd,
 * -EBUSY (another get to @dst runs), or -errno.
 */
static int file_part_beside(const char *dst, char **tmp)
{
	char *copy = strdup(dst), *dir, *base;
	char part[VMMGMT_FILE_NAME_MAX + 1];

	if (!copy)
		return -ENOMEM;
	base = file_basename(dst);
	if (!base) {
		free(copy);
		return -ENOMEM;
	}
	vmmgmt_file_part_name(VMMGMT_FILE_GET_PART_PREFIX, base, part, sizeof(part));
	free(base);
	dir = dirname(copy);
	if (asprintf(tmp, "%s/%s", dir, part) < 0) {
		free(copy);
		return -ENOMEM;
	}
	free(copy);
	return file_part_open(*tmp);
}

/*
 * One get on the stream @sfd (closed here) into @fd (the part file):
 * resumed from what it holds with --resume, whole otherwise or when the
 * host's first bytes differ (on a new stream then).  Return: 0 or -errno.
 */
static int file_get_into(struct file_cmd *c, int sfd, int fd,
			 struct vmmgmt_file_xfer *x)
{
	const struct ctl *ctl = c->ctl;
	struct stat st;
	int err;

	if (ctl->resume && !fstat(fd, &st)) {
		x->flags = VMMGMT_FILE_F_RESUME;
		x->have = st.st_size;
	}
	if (!x->flags && ftruncate(fd, 0)) {
		err = -errno;
		close(sfd);
		return err;
	}
	err = vmmgmt_file_client_get(sfd, c->remote, fd, x);
	close(sfd);
	if (err != -ESTALE)
		return err;
	x->flags = 0;
	x->restarted = true;
	c->started = false;
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	sfd = file_connect(c);
	err = vmmgmt_file_client_get(sfd, c->remote, fd, x);
	close(sfd);
	return err;
}

/*
 * Whether a get that failed with @err keeps its part file: when the
 * stream broke and for errors that say nothing about the bytes kept (a
 * busy or unreachable host); not when the file or its bytes are wrong.
 */
static bool file_part_keep(int err, const struct vmmgmt_file_xfer *x)
{
	if (x->broken)
		return true;
	switch (err) {
	case EBUSY:
	case EMFILE:
	case ENFILE:
	case EAGAIN:
	case EINTR:
	case ETIMEDOUT:
	case ENOTCONN:
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ENODEV:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENOSPC:
	case EIO:
		return true;
	default:
		return false;
	}
}

/*
 * get and pull: @remote from @peer to @local (NULL: @remote's name here; a
 * directory: that name in it; "-": stdout).
 */
static int file_get_from(const struct ctl *ctl, const struct file_peer *peer,
			 const char *op, const char *remote, const char *dst)
{
	struct vmmgmt_file_xfer x = { .progress = file_progress };
	char *base, *local, *tmp = NULL;
	bool to_stdout;
	struct file_cmd c;
	struct stat st;
	int fd, sfd, err;

	file_start(&c, ctl, peer, op, true);
	x.arg = &c;
	c.remote = remote;
	base = file_basename(remote);
	if (!base)
		return file_error(&c, ENOMEM);
	local = dst ? (char *)dst : base;
	if (!stat(local, &st) && S_ISDIR(st.st_mode) &&
	    asprintf(&local, "%s/%s", local, base) < 0)
		return file_error(&c, ENOMEM);
	c.local = local;
	to_stdout = !strcmp(local, "-");
	if (to_stdout && ctl->json)
		usage_error("file get or pull to stdout takes no --json", NULL);
	if (to_stdout && ctl->resume)
		usage_error("file get or pull to stdout cannot --resume", NULL);
	if (to_stdout) {
		sfd = file_connect(&c);
		err = vmmgmt_file_client_get(sfd, c.remote, STDOUT_FILENO, &x);
		close(sfd);
		if (err)
			return file_error(&c, -err);
		return 0;
	}
	/* The stream first: without one no part file is made. */
	sfd = file_connect(&c);
	fd = file_part_beside(local, &tmp);
	if (fd < 0) {
		close(sfd);
		if (fd == -EBUSY)
			vmmgmtctl_err("file %s %s %s: another get to %s is under way",
				      op, c.remote, local, local);
		else if (fd == -EPERM)
			vmmgmtctl_err("file %s %s %s: %s is not this user's own file: remove it first",
				      op, c.remote, local, tmp);
		return fd == -EBUSY || fd == -EPERM ? 1 : file_error(&c, -fd);
	}
	err = file_get_into(&c, sfd, fd, &x);
	if (!err && (fchmod(fd, x.info.mode & 0777) || fsync(fd) ||
		     rename(tmp, local)))
		err = -errno;
	/* Kept for --resume unless what it holds is of no use. */
	if (err && !file_part_keep(-err, &x))
		unlink(tmp);
	close(fd);
	if (err)
		return file_failed(&c, -err, &x);
	file_progress(&c, x.info.size, x.info.size);
	file_done(&c, x.info.size, &x);
	return 0;
}

static int file_get(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		usage_error("file get needs REMOTE [LOCAL]", NULL);
	return file_get_from(ctl, &file_host_service, "get", argv[2],
			     argc == 4 ? argv[3] : NULL);
}

/*
 * The id of the host's VM @arg, a name (vms/NAME/vm_id) or an id (the VM
 * whose vm_id it is), and its name in @name; exits when there is none.
 */
static __u32 file_host_vm(const char *arg, char *name, size_t size)
{
	char path[512], val[32];
	struct dirent *de;
	__u32 id = 0;
	DIR *d;

	d = opendir(VMMGMT_HOST_VMS_SYSFS);
	if (!d)
		fail(VMMGMT_HOST_VMS_SYSFS, "file", errno, false);
	while (!id && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/vm_id",
			 de->d_name);
		if (read_file(path, val, sizeof(val)))
			continue;
		/* A name exactly; an id by its value ("07" is 7). */
		if (!strcmp(de->d_name, arg) ||
		    (is_number(arg) &&
		     strtoul(val, NULL, 10) == strtoul(arg, NULL, 10))) {
			id = strtoul(val, NULL, 10);
			snprintf(name, size, "%s", de->d_name);
		}
	}
	closedir(d);
	if (!id) {
		vmmgmtctl_err("file: no VM '%s' (see vmmgmtctl status)", arg);
		exit(1);
	}
	return id;
}

/*
 * The peer of push and pull: a guest's file serve, on VM @arg (a name or
 * an id) port VMMGMT_FILE_PORT.  A VM whose owner has file mode off is
 * refused before any stream.  Exits on error.
 */
static void file_agent_peer(const struct ctl *ctl, const char *op,
			    const char *arg, struct file_peer *p)
{
	static char name[256];
	struct file_cmd c;

	if (!vm_name_ok(arg) && !is_number(arg))
		usage_error("file push and pull: bad VM (a name or an id)", arg);
	memset(p, 0, sizeof(*p));
	p->host = true;
	p->vm = arg;
	p->addr.port = VMMGMT_FILE_PORT;
	if (getenv("VMMGMT_FILE_FD"))
		return;
	p->addr.vm = file_host_vm(arg, name, sizeof(name));
	if (!guest_has_mode(name, "file")) {
		file_start(&c, ctl, p, op, false);
		exit(file_error(&c, EPERM));
	}
}

/* file push VM LOCAL [REMOTE] (host): a put into a guest's file serve. */
static int file_push(const struct ctl *ctl, int argc, char **argv)
{
	struct file_peer p;

	if (argc < 4 || argc > 5)
		usage_error("file push needs VM LOCAL [REMOTE]", NULL);
	file_agent_peer(ctl, "push", argv[2], &p);
	return file_put_to(ctl, &p, "push", argv[3], argc == 5 ? argv[4] : NULL);
}

/* file pull VM REMOTE [LOCAL] (host): a get from a guest's file serve. */
static int file_pull(const struct ctl *ctl, int argc, char **argv)
{
	struct file_peer p;

	if (argc < 4 || argc > 5)
		usage_error("file pull needs VM REMOTE [LOCAL]", NULL);
	file_agent_peer(ctl, "pull", argv[2], &p);
	return file_get_from(ctl, &p, "pull", argv[3], argc == 5 ? argv[4] : NULL);
}

/*
 * file send VM LOCAL [REMOTE] (guest): a put into another VM's file recv,
 * VM an id (port VMMGMT_FILE_RECV_PORT) or a name its file recv published
 * (--name), looked up.
 */
static int file_send(const struct ctl *ctl, int argc, char **argv)
{
	struct file_peer p = { .vm = argc > 2 ? argv[2] : NULL };

	if (argc < 4 || argc > 5)
		usage_error("file send needs VM LOCAL [REMOTE]", NULL);
	if (is_number(p.vm)) {
		p.addr.vm = parse_u32(p.vm, "file send: bad VM id (1 or more; the host: file put)",
				      false);
		p.addr.port = VMMGMT_FILE_RECV_PORT;
	} else {
		check_name(p.vm);
		p.lookup = p.vm;
	}
	return file_put_to(ctl, &p, "send", argv[3], argc == 5 ? argv[4] : NULL);
}

/* "drwxr-xr-x" for st_mode @mode. */
static void file_mode_string(__u32 mode, char *s)
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	s[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISREG(mode) ? '-' : '?';
	for (i = 0; i < 9; i++)
		s[1 + i] = mode & (0400 >> i) ? rwx[i] : '-';
	s[10] = '\0';
}

static const char *file_type(__u32 mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISLNK(mode))
		return "symlink";
	return "other";
}

static void file_time(__s64 sec, char *buf, size_t size)
{
	time_t t = sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)sec);
}

struct file_ls {
	const struct ctl *ctl;
	unsigned int n;
};

static int file_ls_entry(void *arg, const char *name,
			 const struct vmmgmt_file_info *info)
{
	struct file_ls *ls = arg;
	char mode[11], when[32];

	if (ls->ctl->json) {
		printf("%s{\"name\":", ls->n++ ? "," : "");
		json_string(name);
		printf(",\"type\":\"%s\",\"mode\":%u,\"size\":%llu,\"mtime\":%lld}",
		       file_type(info->mode), info->mode & 07777,
		       (unsigned long long)info->size, (long long)info->mtime_sec);
		return 0;
	}
	file_mode_string(info->mode, mode);
	file_time(info->mtime_sec, when, sizeof(when));
	printf("%s %12llu %s %s%s\n", mode, (unsigned long long)info->size, when,
	       name, S_ISDIR(info->mode) ? "/" : "");
	return 0;
}

static int file_ls(const struct ctl *ctl, int argc, char **argv)
{
	struct file_ls ls = { .ctl = ctl };
	struct file_cmd c;
	bool truncated = false;
	int sfd, err;

	if (argc > 3)
		usage_error("file ls takes at most DIR", argv[3]);
	file_start(&c, ctl, &file_host_service, "ls", false);
	c.remote = argc == 3 ? argv[2] : "";
	sfd = file_connect(&c);
	if (ctl->json) {
		printf("{\"dir\":");
		json_string(c.remote);
		printf(",\"entries\":[");
	}
	err = vmmgmt_file_client_ls(sfd, c.remote, file_ls_entry, &ls, &truncated);
	close(sfd);
	if (ctl->json) {
		printf("],\"truncated\":%s,\"result\":\"%s\"",
		       truncated ? "true" : "false", err ? "error" : "ok");
		/* An error carries its errno, as every command's does. */
		if (err) {
			printf(",\"error\":");
			json_string(strerror(-err));
			printf(",\"errno\":%d", -err);
		}
		printf("}\n");
	}
	c.json_written = true;
	if (err)
		return file_error(&c, -err);
	if (truncated)
		vmmgmtctl_err("file ls %s: only the first %u entries", c.remote,
			      VMMGMT_FILE_LS_MAX);
	return 0;
}

static int file_rm(const struct ctl *ctl, int argc, char **argv)
{
	struct file_cmd c;
	int sfd, err;

	if (argc != 3)
		usage_error("file rm needs REMOTE", NULL);
	file_start(&c, ctl, &file_host_service, "rm", false);
	c.remote = argv[2];
	sfd = file_connect(&c);
	err = vmmgmt_file_client_rm(sfd, c.remote);
	close(sfd);
	if (err)
		return file_error(&c, -err);
	if (ctl->json) {
		printf("{\"op\":\"rm\",\"remote\":");
		json_string(c.remote);
		printf(",\"result\":\"ok\"}\n");
	}
	return 0;
}

static int file_stat(const struct ctl *ctl, int argc, char **argv)
{
	struct vmmgmt_file_info info;
	struct file_cmd c;
	char when[32];
	int sfd, err;

	if (argc != 3)
		usage_error("file stat needs REMOTE", NULL);
	file_start(&c, ctl, &file_host_service, "stat", false);
	c.remote = argv[2];
	sfd = file_connect(&c);
	err = vmmgmt_file_client_stat(sfd, c.remote, &info);
	close(sfd);
	if (err)
		return file_error(&c, -err);
	if (ctl->json) {
		printf("{\"op\":\"stat\",\"remote\":");
		json_string(c.remote);
		printf(",\"type\":\"%s\",\"mode\":%u,\"size\":%llu",
		       file_type(info.mode), info.mode & 07777,
		       (unsigned long long)info.size);
		printf(",\"mtime\":%lld,\"mtime_nsec\":%u,\"result\":\"ok\"}\n",
		       (long long)info.mtime_sec, info.mtime_nsec);
		return 0;
	}
	file_time(info.mtime_sec, when, sizeof(when));
	printf("path:   %s\n", c.remote);
	printf("type:   %s\n", file_type(info.mode));
	printf("mode:   %04o\n", info.mode & 07777);
	printf("size:   %llu\n", (unsigned long long)info.size);
	printf("mtime:  %s\n", when);
	return 0;
}

int cmd_file(const struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct ctl *ctl, int argc, char **argv);
	} subs[] = {
		{ "put", file_put },
		{ "get", file_get },
		{ "ls", file_ls },
		{ "rm", file_rm },
		{ "stat", file_stat },
		{ "push", file_push },
		{ "pull", file_pull },
		{ "send", file_send },
		{ "serve", file_serve },
		{ "recv", file_recv },
	};
	size_t i;

	if (argc < 2)
		usage_error("file needs put, get, ls, rm, stat, push, pull, send, serve or recv",
			    NULL);
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(ctl, argc, argv);
	usage_error("unknown file command", argv[1]);
}
