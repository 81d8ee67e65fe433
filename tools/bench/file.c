// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench file, and stream-server's "file" command: the
 * file_tput_g2h_vs_vsock figure (issue 15), a file guest to host with
 * "vmmgmtctl file put" against the same file over vsock between two
 * programs of the bench that do what vmmgmtctl and vmmgmtd do with it.
 *
 * The issue asks for a 512 MiB file.  The guests have 256 MiB of RAM and
 * no disk: their /tmp is a tmpfs of at most half of it, and "vmmgmtctl
 * file put" sends only a regular file, so the file is FILE_BENCH_MIB
 * (64 MiB) of pattern bytes (vmmgmt_pattern_fill(): no all-zero chunk,
 * which the receiver would turn into a hole), the same file for both
 * transports.  Each round, in the guest:
 *
 *   1. write the file, FILE_BENCH_LOCAL, and its SHA-256 (not timed);
 *   2. vmmgmt: run "vmmgmtctl --json file put FILE_BENCH_LOCAL
 *      FILE_BENCH_REMOTE", timed from its fork() to its exit: the
 *      program's start, its stream in file mode to the host's file
 *      service (vmmgmtd, host port 21, the guest's export), 256 KiB
 *      chunks read, hashed and sent, vmmgmtd hashing and writing them,
 *      its fdatasync() and rename() and its final answer.  It must exit
 *      0 and report the file's size and SHA-256; then "vmmgmtctl file
 *      rm FILE_BENCH_REMOTE" (not timed) removes the host's copy;
 *   3. vsock: a SOCK_STREAM connection to the host VM's stream-server
 *      (--vsock-cid, --vsock-port), the line "file <bytes>", the file in
 *      256 KiB read()s, each hashed and written to the socket, then its
 *      32-byte SHA-256; the server (file_recv_serve()) reads 256 KiB at
 *      a time, hashes and writes to a new file in FILE_RECV_DIR of the
 *      host VM, checks the SHA-256, fdatasync()s and renames the file and
 *      answers "ok".  Timed from the open() of the file to that answer.
 *      Then (not timed) the guest ends its side, the server removes its
 *      file and answers "removed" before it closes;
 *   4. remove the guest's file.
 *
 * The figures are MB/s (10^6 bytes per second) of each transport, the
 * medians of --rounds rounds with min= and max=, and their ratio (the
 * ratio of the medians, the per-round ratios as min= and max=; goal of
 * the issue: 1.5 or more).  The guest's owner must have file mode on
 * and the host's vmmgmtd must serve the guest's export with files=rw.
 * Calls transport.c (the vsock connect), stats.c (figure lines), libc
 * and tools/include/vmmgmt_sha256.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "vmmgmt_sha256.h"

#define FILE_BENCH_BYTES	((unsigned long long)FILE_BENCH_MIB << 20)
/* Bytes per read() of both senders and per chunk of both receivers. */
#define FILE_BENCH_IO		(256 * 1024)
#define FILE_BENCH_SEED		15
#define FILE_BENCH_DIR		"/tmp"
#define FILE_BENCH_LOCAL	FILE_BENCH_DIR "/vmmgmt-bench-file"
#define FILE_BENCH_REMOTE	"vmmgmt-bench-file"
/* Room the guest's /tmp must keep beside the file. */
#define FILE_BENCH_SPARE	(16ULL << 20)
/* Seconds a round may take (the alarm() of the whole command). */
#define FILE_ROUND_SECS		80
/* The output of vmmgmtctl kept (its JSON line, or its error). */
#define FILE_OUT_MAX		1024
#define FILE_LINE		160
/* stream-server: where a file goes, the largest it takes. */
#define FILE_RECV_DIR		"/tmp"
#define FILE_RECV_MAX		(1024ULL * 1024 * 1024)

/* ---- the server: stream-server's "file" command, in the host VM ---- */

/* A line to the guest; what it is matters less than the error before. */
static int file_answer(int fd, const char *what, int err)
{
	char ans[FILE_LINE];

	if (err)
		snprintf(ans, sizeof(ans), "error %s: %s\n", what, strerror(-err));
	else
		snprintf(ans, sizeof(ans), "%s\n", what);
	return vmmgmt_write_all(fd, ans, strlen(ans));
}

/**
 * file_recv_serve() - stream-server's "file <bytes>" command.
 * @fd: the connection, its command line read.
 * @bytes: the file's size, from the command line.
 * @got: the bytes received so far, for the caller's message.
 *
 * Receives the file the way vmmgmtd receives a put: FILE_BENCH_IO bytes
 * at a time (the last chunk shorter), each hashed with SHA-256 and
 * written to a new file in FILE_RECV_DIR; then the sender's SHA-256
 * (32 bytes), compared; then fdatasync() and rename() to its final name
 * and the answer "ok" (or "error WHAT: REASON", the file dropped).  Then
 * it reads to the end of the stream, removes the file and answers
 * "removed" (or an error), so that the guest knows that the host VM's
 * /tmp is clean before its next run.  A file that cannot be written is
 * still read to its end, so that the answer comes where the guest waits
 * for it.
 *
 * Context: a thread of stream-server; blocking.
 * Return: 0 when the file arrived whole and was removed; -EFBIG for a
 * size over FILE_RECV_MAX (nothing read); the error the guest was told
 * about the file; or the stream's -errno.
 */
int file_recv_serve(int fd, unsigned long long bytes, long long *got)
{
	static unsigned int seq;
	__u8 want[VMMGMT_SHA256_DIGEST], have[VMMGMT_SHA256_DIGEST];
	char tmp[FILE_LINE], name[FILE_LINE], *buf, *path = NULL;
	unsigned long long done = 0;
	struct vmmgmt_sha256 sha;
	int dfd, err = 0, ferr = 0, rerr;
	unsigned int n;
	size_t len;

	*got = 0;
	if (bytes > FILE_RECV_MAX)
		return -EFBIG;
	buf = malloc(FILE_BENCH_IO);
	if (!buf)
		return -ENOMEM;
	n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	snprintf(tmp, sizeof(tmp), "%s/.vmmgmt-bench-file-%d-%u.part",
		 FILE_RECV_DIR, getpid(), n);
	snprintf(name, sizeof(name), "%s/vmmgmt-bench-file-%d-%u",
		 FILE_RECV_DIR, getpid(), n);
	dfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0600);
	if (dfd < 0)
		ferr = -errno;
	else
		path = tmp;
	vmmgmt_sha256_init(&sha);
	while (done < bytes) {
		len = bytes - done < FILE_BENCH_IO ? bytes - done : FILE_BENCH_IO;
		err = vmmgmt_read_full(fd, buf, len, NULL);
		if (err)
			break;
		vmmgmt_sha256_update(&sha, buf, len);
		if (!ferr)
			ferr = vmmgmt_write_all(dfd, buf, len);
		done += len;
		*got = done;
	}
	if (!err)
		err = vmmgmt_read_full(fd, want, sizeof(want), NULL);
	if (!err) {
		vmmgmt_sha256_final(&sha, have);
		if (memcmp(want, have, sizeof(have)))
			ferr = -EBADMSG;
		if (!ferr && (fdatasync(dfd) || rename(tmp, name)))
			ferr = -errno;
		if (!ferr)
			path = name;
	}
	if (dfd >= 0)
		close(dfd);
	/* A file that did not arrive is dropped at once. */
	if (path && (err || ferr)) {
		unlink(path);
		path = NULL;
	}
	if (!err)
		err = file_answer(fd, ferr ? "file" : "ok", ferr);
	/* The guest ends its side once it took the time: remove, answer. */
	if (!err) {
		while ((err = vmmgmt_read_full(fd, buf, FILE_BENCH_IO, NULL)) == 0)
			;
		err = err == -EPIPE ? 0 : err;
	}
	rerr = path && unlink(path) ? -errno : 0;
	if (!err)
		err = file_answer(fd, rerr ? "unlink" : "removed", rerr);
	free(buf);
	return ferr ? ferr : err ? err : rerr;
}

/* ---- the guest ---- */

/*
 * The file of FILE_BENCH_BYTES pattern bytes at FILE_BENCH_LOCAL, made
 * afresh, and its SHA-256 in @hex.  Refuses (-ENOSPC, after a message)
 * when FILE_BENCH_DIR has not room for it and FILE_BENCH_SPARE more.
 * Return: 0 or -errno.
 */
static int file_make(char *hex)
{
	unsigned long long off, room;
	struct vmmgmt_sha256 sha;
	struct statvfs vfs;
	int fd, err = 0;
	char *buf;

	unlink(FILE_BENCH_LOCAL);
	if (statvfs(FILE_BENCH_DIR, &vfs))
		return -errno;
	room = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	if (room < FILE_BENCH_BYTES + FILE_BENCH_SPARE) {
		bench_err("file: %s has %llu MiB free, the %d MiB file needs %llu",
			  FILE_BENCH_DIR, room >> 20, FILE_BENCH_MIB,
			  (FILE_BENCH_BYTES + FILE_BENCH_SPARE) >> 20);
		return -ENOSPC;
	}
	buf = malloc(FILE_BENCH_IO);
	if (!buf)
		return -ENOMEM;
	fd = open(FILE_BENCH_LOCAL, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	vmmgmt_sha256_init(&sha);
	for (off = 0; !err && off < FILE_BENCH_BYTES; off += FILE_BENCH_IO) {
		vmmgmt_pattern_fill(FILE_BENCH_SEED, off, buf, FILE_BENCH_IO);
		vmmgmt_sha256_update(&sha, buf, FILE_BENCH_IO);
		err = vmmgmt_write_all(fd, buf, FILE_BENCH_IO);
	}
	if (close(fd) && !err)
		err = -errno;
	free(buf);
	if (err) {
		unlink(FILE_BENCH_LOCAL);
		return err;
	}
	vmmgmt_sha256_final_hex(&sha, hex);
	return 0;
}

/*
 * Run @ctl with @argv, its stdout and stderr into @out (@size bytes with
 * the NUL; the rest is read and dropped).  Return: its exit status
 * (128 + the signal that ended it), or -1 when it could not run.
 */
static int file_ctl_run(const char *ctl, char *const argv[], char *out,
			size_t size)
{
	char sink[256];
	size_t got = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		/* dup2() clears FD_CLOEXEC on 1 and 2; the pipe's ends close. */
		if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(127);
		execv(ctl, argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	for (;;) {
		if (got + 1 < size)
			n = read(p[0], out + got, size - 1 - got);
		else
			n = read(p[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < size)
			got += n;
	}
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* @out on one line: its line ends made blanks, the last one dropped. */
static void file_one_line(char *out)
{
	size_t len = strlen(out);
	char *p;

	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	for (p = out; (p = strchr(p, '\n')); p++)
		*p = ' ';
}

/*
 * Whether "vmmgmtctl --json file put" said what it had to: the result ok,
 * the file's size, the SHA-256 @hex.
 */
static bool file_put_said(const char *out, const char *hex)
{
	char bytes[48];
	const char *p;

	snprintf(bytes, sizeof(bytes), "\"bytes\":%llu,", FILE_BENCH_BYTES);
	p = strstr(out, "\"sha256\":\"");
	return strstr(out, "\"result\":\"ok\"") && strstr(out, bytes) && p &&
	       !strncmp(p + strlen("\"sha256\":\""), hex, VMMGMT_SHA256_HEX - 1) &&
	       p[strlen("\"sha256\":\"") + VMMGMT_SHA256_HEX - 1] == '"';
}

/* The vmmgmt run (step 2 above): MB/s, or -1 after a message. */
static double file_vmmgmt_run(const char *ctl, const char *hex)
{
	static char *const put[] = {
		"vmmgmtctl", "--json", "file", "put", FILE_BENCH_LOCAL,
		FILE_BENCH_REMOTE, NULL,
	};
	static char *const rm[] = {
		"vmmgmtctl", "file", "rm", FILE_BENCH_REMOTE, NULL,
	};
	char out[FILE_OUT_MAX], rm_out[FILE_OUT_MAX];
	double t0, t1;
	int rc, rm_rc;

	t0 = vmmgmt_now_s();
	rc = file_ctl_run(ctl, put, out, sizeof(out));
	t1 = vmmgmt_now_s();
	/* Also after a failed put: rm drops a partial file kept for --resume. */
	rm_rc = file_ctl_run(ctl, rm, rm_out, sizeof(rm_out));
	file_one_line(out);
	file_one_line(rm_out);
	if (rc || !file_put_said(out, hex)) {
		bench_err("file: '%s --json file put %s %s': exit %d, said '%s' (want %llu bytes, SHA-256 %s)",
			  ctl, FILE_BENCH_LOCAL, FILE_BENCH_REMOTE, rc, out,
			  FILE_BENCH_BYTES, hex);
		return -1;
	}
	if (rm_rc) {
		bench_err("file: '%s file rm %s': exit %d, said '%s'", ctl,
			  FILE_BENCH_REMOTE, rm_rc, rm_out);
		return -1;
	}
	if (t1 <= t0)
		return -1;
	return FILE_BENCH_BYTES / (t1 - t0) / 1e6;
}

/*
 * The file to @c (step 3 above, up to the answer): the command line,
 * the bytes, the SHA-256 (its hex into @sent).  Return: 0 or -errno.
 */
static int file_vsock_send(int c, int fd, char *buf, char *sent)
{
	__u8 digest[VMMGMT_SHA256_DIGEST];
	unsigned long long done = 0;
	struct vmmgmt_sha256 sha;
	char line[FILE_LINE];
	ssize_t n;
	int err;

	snprintf(line, sizeof(line), "file %llu\n", FILE_BENCH_BYTES);
	err = vmmgmt_write_all(c, line, strlen(line));
	vmmgmt_sha256_init(&sha);
	while (!err && done < FILE_BENCH_BYTES) {
		n = read(fd, buf, FILE_BENCH_IO);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if ((unsigned long long)n > FILE_BENCH_BYTES - done)
			return -EFBIG;
		vmmgmt_sha256_update(&sha, buf, n);
		err = vmmgmt_write_all(c, buf, n);
		done += n;
	}
	if (err)
		return err;
	vmmgmt_sha256_final(&sha, digest);
	vmmgmt_sha256_hex(digest, sent);
	return vmmgmt_write_all(c, digest, sizeof(digest));
}

/* The vsock run (step 3 above): MB/s, or -1 after a message. */
static double file_vsock_run(unsigned int cid, unsigned int port,
			     const char *hex)
{
	char line[FILE_LINE], sent[VMMGMT_SHA256_HEX] = "", *buf;
	double t0, t1 = 0;
	struct conn c = { .fd = -1 };
	int fd, err;

	buf = malloc(FILE_BENCH_IO);
	if (!buf)
		return -1;
	t0 = vmmgmt_now_s();
	fd = open(FILE_BENCH_LOCAL, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno : open_vsock(&c, K_STREAM, cid, port);
	if (err)
		c.fd = -1;	/* open_vsock() closed it */
	else
		err = file_vsock_send(c.fd, fd, buf, sent);
	if (!err)
		err = vmmgmt_read_line(c.fd, line, sizeof(line));
	t1 = vmmgmt_now_s();
	if (!err && strcmp(line, "ok")) {
		bench_err("file: vsock to %u:%u: the server says '%s'", cid,
			  port, line);
		err = -EIO;
	} else if (!err && strcmp(sent, hex)) {
		bench_err("file: vsock: sent SHA-256 %s, the file's is %s",
			  sent, hex);
		err = -EIO;
	} else if (err) {
		bench_err("file: vsock SOCK_STREAM to %u:%u: %s", cid, port,
			  strerror(-err));
	}
	/* Not timed: the server removes its copy once our side ends. */
	if (c.fd >= 0 && !err) {
		if (shutdown(c.fd, SHUT_WR))
			err = -errno;
		if (!err)
			err = vmmgmt_read_line(c.fd, line, sizeof(line));
		if (!err && strcmp(line, "removed")) {
			bench_err("file: vsock to %u:%u: after the end the server says '%s'",
				  cid, port, line);
			err = -EIO;
		} else if (err) {
			bench_err("file: vsock to %u:%u: no 'removed': %s", cid,
				  port, strerror(-err));
		}
	}
	if (c.fd >= 0)
		close(c.fd);
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err || t1 <= t0)
		return -1;
	return FILE_BENCH_BYTES / (t1 - t0) / 1e6;
}

/**
 * file_main() - vmmgmt-bench file, in a guest.
 * @o: the options: --rounds, --vsock-cid (default 2), --vsock-port
 *	(default STREAM_BENCH_PORT, the host VM's stream-server).
 *
 * VMMGMTCTL in the environment names vmmgmtctl (default
 * VMMGMTCTL_DEFAULT).  The guest's own files are removed whatever
 * happens; the host's after each run.
 *
 * Return: 0 with the three FIGURE lines printed, 1 when a run failed.
 */
int file_main(const struct opts *o)
{
	const char *ctl = getenv("VMMGMTCTL") ? getenv("VMMGMTCTL") :
			  VMMGMTCTL_DEFAULT;
	double vm_r[BENCH_ROUNDS_MAX], vs_r[BENCH_ROUNDS_MAX];
	char hex[VMMGMT_SHA256_HEX];
	unsigned int i;
	int err;

	signal(SIGPIPE, SIG_IGN);
	alarm(60 + o->rounds * FILE_ROUND_SECS);
	printf("INFO file_tput_g2h: %u rounds of one %d MiB file of pattern bytes",
	       o->rounds, FILE_BENCH_MIB);
	printf(" (%s, made afresh each round): '%s --json file put' to the host's file service,",
	       FILE_BENCH_LOCAL, ctl);
	printf(" then vsock SOCK_STREAM to %u:%u (stream-server's file command);",
	       o->cid, o->vsock_port);
	printf(" %d KiB reads, SHA-256 on both ends, fdatasync and rename on the host\n",
	       FILE_BENCH_IO / 1024);
	fflush(stdout);
	for (i = 0; i < o->rounds; i++) {
		err = file_make(hex);
		if (err) {
			bench_err("file: making %s: %s", FILE_BENCH_LOCAL,
				  strerror(-err));
			return 1;
		}
		vm_r[i] = file_vmmgmt_run(ctl, hex);
		vs_r[i] = vm_r[i] > 0 ? file_vsock_run(o->cid, o->vsock_port,
						       hex) : -1;
		unlink(FILE_BENCH_LOCAL);
		if (vm_r[i] <= 0 || vs_r[i] <= 0)
			return 1;
		printf("INFO file_tput_g2h round %u: vmmgmt %.1f MB/s, vsock %.1f MB/s\n",
		       i + 1, vm_r[i], vs_r[i]);
		fflush(stdout);
	}
	figure_ratio("file_tput_g2h", "_vs_vsock", vm_r, vs_r, o->rounds);
	figure_spread("file_tput_g2h", "", vm_r, o->rounds, "MB/s");
	figure_spread("file_tput_g2h", "_vsock", vs_r, o->rounds, "MB/s");
	return 0;
}
