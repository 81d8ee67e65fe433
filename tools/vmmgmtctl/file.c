// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: file mode in a guest: file put, get, ls, rm, stat against the
 * host's file service (vmmgmtd, Documentation/files.rst).  Each command
 * opens one stream in file mode (VMMGMT_IOC_SET_MODE, then
 * VMMGMT_IOC_STREAM_CONNECT to host port VMMGMT_FILE_PORT) and makes one
 * request through file_client.c; a get is written to a temporary file
 * beside the destination and renamed only when its SHA-256 matched.
 * Calls file_client.c, vmmgmtctl.c (errors, JSON strings, the device),
 * stream.c (fmt_bytes()) and libc.
 *
 * VMMGMT_FILE_FD=N in the environment: use the connected fd N instead of
 * a stream (the tests run vmmgmtctl against vmmgmtd's service so).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_client.h"
#include "vmmgmtctl.h"

/* How often the progress line is redrawn. */
#define FILE_PROGRESS_MS	500

/* One command: what it is, for the messages, the progress and --json. */
struct file_cmd {
	const struct ctl *ctl;
	const char *op;			/* put, get, ls, rm, stat */
	const char *local, *remote;
	bool progress;			/* stderr is a terminal */
	bool json_written;		/* ls: its object is out already */
	double t0, last;
};

/* What an errno means here, when the server sent it. */
static const char *file_hint(int err)
{
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

/* The end of a failed command: a message (or a JSON object), exit 1. */
static int file_error(const struct file_cmd *c, int err)
{
	const char *h = file_hint(err), *first = c->local, *second = c->remote;

	if (c->progress)
		fprintf(stderr, "\r\033[K");
	/* The paths in the command's order: put LOCAL REMOTE, get REMOTE LOCAL. */
	if (!strcmp(c->op, "get")) {
		first = c->remote;
		second = c->local;
	}
	vmmgmtctl_err("file %s %s%s%s: %s%s%s", c->op, first ? first : "",
		      first && second ? " " : "", second ? second : "",
		      strerror(err), h ? ": " : "", h ? h : "");
	if (c->ctl->json && !c->json_written) {
		printf("{\"op\":\"%s\",\"result\":\"error\",\"error\":", c->op);
		json_string(strerror(err));
		printf(",\"errno\":%d}\n", err);
	}
	return 1;
}

/* The progress line: bytes, rate, ETA (put and get, stderr a terminal). */
static void file_progress(void *arg, __u64 done, __u64 total)
{
	struct file_cmd *c = arg;
	double now = vmmgmt_now_s(), secs = now - c->t0, rate;
	char d[32], t[32];

	if (!c->progress || (done < total && now - c->last < FILE_PROGRESS_MS / 1e3))
		return;
	c->last = now;
	rate = secs > 0 ? done / secs : 0;
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

/*
 * The stream to the host's file service, in file mode; exits with a
 * message when there is none.
 */
static int file_connect(const struct ctl *ctl)
{
	struct vmmgmt_stream_connect sc = { 0 };
	struct vmmgmt_mode_req mr = { 0 };
	const char *path = ctl->device ? ctl->device : GUEST_DEVICE;
	const char *env = getenv("VMMGMT_FILE_FD");
	int fd;

	if (env)
		return parse_u32(env, "bad VMMGMT_FILE_FD", true);
	if (is_host_path(path))
		usage_error("file commands run in a guest", path);
	fd = open_device(path, true);
	mr.mode = VMMGMT_MODE_FILE;
	if (ioctl(fd, VMMGMT_IOC_SET_MODE, &mr)) {
		if (errno == EPERM) {
			vmmgmtctl_err("%s: file mode is off: 'vmmgmtctl modes enable file' (root) switches it on",
				      path);
			exit(1);
		}
		fail(path, "SET_MODE file", errno, true);
	}
	sc.addr.port = VMMGMT_FILE_PORT;
	if (ctl->timeout_ms > 0)
		sc.timeout_ms = ctl->timeout_ms;
	if (ioctl(fd, VMMGMT_IOC_STREAM_CONNECT, &sc)) {
		if (errno == ECONNREFUSED) {
			vmmgmtctl_err("%s: no file service on the host (port %u): vmmgmtd serves it to VMs with files=ro or rw",
				      path, VMMGMT_FILE_PORT);
			exit(1);
		}
		if (errno == ENOTTY) {
			vmmgmtctl_err("%s: the guest module has no streams (ABI 0.7 and later)",
				      path);
			exit(1);
		}
		fail(path, "STREAM_CONNECT", errno, true);
	}
	return fd;
}

static void file_start(struct file_cmd *c, const struct ctl *ctl,
		       const char *op, bool transfer)
{
	memset(c, 0, sizeof(*c));
	c->ctl = ctl;
	c->op = op;
	c->progress = transfer && isatty(STDERR_FILENO);
	c->t0 = vmmgmt_now_s();
	signal(SIGPIPE, SIG_IGN);
}

/* --json of put and get. */
static void file_done(const struct file_cmd *c, __u64 bytes,
		      const __u8 *digest)
{
	char hex[VMMGMT_SHA256_HEX];

	if (!c->ctl->json)
		return;
	vmmgmt_sha256_hex(digest, hex);
	printf("{\"op\":\"%s\",\"local\":", c->op);
	json_string(c->local);
	printf(",\"remote\":");
	json_string(c->remote);
	printf(",\"bytes\":%llu,\"seconds\":%.3f,\"sha256\":\"%s\",\"result\":\"ok\"}\n",
	       (unsigned long long)bytes, vmmgmt_now_s() - c->t0, hex);
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

static int file_put(const struct ctl *ctl, int argc, char **argv)
{
	__u8 digest[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_info info;
	struct file_cmd c;
	char *base, *remote;
	struct stat st;
	int fd, sfd, err;

	if (argc < 3 || argc > 4)
		usage_error("file put needs LOCAL [REMOTE]", NULL);
	file_start(&c, ctl, "put", true);
	c.local = argv[2];
	base = file_basename(argv[2]);
	remote = base ? file_join(argc == 4 ? argv[3] : NULL, base) : NULL;
	if (!remote)
		return file_error(&c, ENOMEM);
	c.remote = remote;
	fd = open(c.local, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return file_error(&c, errno);
	if (!S_ISREG(st.st_mode))
		return file_error(&c, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
	sfd = file_connect(ctl);
	err = vmmgmt_file_client_put(sfd, fd, st.st_size, st.st_mode, 0, remote,
				     &info, digest, file_progress, &c);
	close(fd);
	close(sfd);
	if (err)
		return file_error(&c, -err);
	file_progress(&c, st.st_size, st.st_size);
	file_done(&c, st.st_size, digest);
	return 0;
}

/*
 * A temporary file beside @dst (same directory, so that the rename stays
 * on one file system); its name in *@tmp.  Return: its fd, or -errno.
 */
static int file_tmp_beside(const char *dst, char **tmp)
{
	char *copy = strdup(dst), *dir;
	int fd;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (asprintf(tmp, "%s/.vmmgmt-get-XXXXXX", dir) < 0) {
		free(copy);
		return -ENOMEM;
	}
	free(copy);
	fd = mkostemp(*tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int file_get(const struct ctl *ctl, int argc, char **argv)
{
	__u8 digest[VMMGMT_SHA256_DIGEST];
	struct vmmgmt_file_info info;
	char *base, *local, *tmp = NULL;
	bool to_stdout;
	struct file_cmd c;
	struct stat st;
	int fd, sfd, err;

	if (argc < 3 || argc > 4)
		usage_error("file get needs REMOTE [LOCAL]", NULL);
	file_start(&c, ctl, "get", true);
	c.remote = argv[2];
	base = file_basename(argv[2]);
	if (!base)
		return file_error(&c, ENOMEM);
	local = argc == 4 ? argv[3] : base;
	if (!stat(local, &st) && S_ISDIR(st.st_mode) &&
	    asprintf(&local, "%s/%s", local, base) < 0)
		return file_error(&c, ENOMEM);
	c.local = local;
	to_stdout = !strcmp(local, "-");
	if (to_stdout && ctl->json)
		usage_error("file get to stdout takes no --json", NULL);
	fd = to_stdout ? STDOUT_FILENO : file_tmp_beside(local, &tmp);
	if (fd < 0)
		return file_error(&c, -fd);
	sfd = file_connect(ctl);
	err = vmmgmt_file_client_get(sfd, c.remote, fd, &info, digest,
				     file_progress, &c);
	close(sfd);
	if (!err && !to_stdout && (fchmod(fd, info.mode & 0777) || fsync(fd)))
		err = -errno;
	if (!to_stdout)
		close(fd);
	if (!err && tmp && rename(tmp, local))
		err = -errno;
	if (err) {
		if (tmp)
			unlink(tmp);
		return file_error(&c, -err);
	}
	file_progress(&c, info.size, info.size);
	file_done(&c, info.size, digest);
	return 0;
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
	file_start(&c, ctl, "ls", false);
	c.remote = argc == 3 ? argv[2] : "";
	sfd = file_connect(ctl);
	if (ctl->json) {
		printf("{\"dir\":");
		json_string(c.remote);
		printf(",\"entries\":[");
	}
	err = vmmgmt_file_client_ls(sfd, c.remote, file_ls_entry, &ls, &truncated);
	close(sfd);
	if (ctl->json)
		printf("],\"truncated\":%s,\"result\":\"%s\"}\n",
		       truncated ? "true" : "false", err ? "error" : "ok");
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
	file_start(&c, ctl, "rm", false);
	c.remote = argv[2];
	sfd = file_connect(ctl);
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
	file_start(&c, ctl, "stat", false);
	c.remote = argv[2];
	sfd = file_connect(ctl);
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
	};
	size_t i;

	if (argc < 2)
		usage_error("file needs put, get, ls, rm or stat", NULL);
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(ctl, argc, argv);
	usage_error("unknown file command", argv[1]);
}
