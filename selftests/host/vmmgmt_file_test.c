// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: file mode with two guests of its own (issue 15, "Tests";
 * Documentation/files.rst): guest to host, guest to guest, host to guest,
 * two guests at once, and a guest killed in the middle.
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment
 * below).  It writes a configuration directory for a vmmgmtd of its own:
 * file-a (id 61) and file-b (id 62), each with files=rw, no quota and an
 * export of its own in VMMGMT_FILE_DIR/exports, beside which
 * outside/secret lies; starts that vmmgmtd (-c) and boots file-a, then
 * file-b, with vmmgmt.mode=file.  Their guest-init (file_main) turns file
 * mode on as a guest's owner would and plays the test's cues, messages
 * "LABEL VERB ARGS..." to port CUE_PORT (make a file, put it, send it,
 * run file recv or file serve, hash a file, list a directory), each
 * answered by a line "VMMGMT-FILE <vm> LABEL rc=N ..." on its console.
 * Each check is one TAP result:
 *
 *  1. the test's vmmgmtd serves files to both VMs on host port 21;
 *  2-4. file-a puts a sparse file of VMMGMT_FILE_SPARSE_MIB MiB (default
 *     4096, the 4 GiB; 1 MiB of random bytes at every sixteenth
 *     of it, holes between) into its export: exit 0 and the whole size;
 *     the host's copy has the SHA-256 that file-a sent (computed here
 *     again), its size and its mode, and it stays sparse;
 *  5-8. file-a sends a file of VMMGMT_FILE_AB_MIB MiB (default 512, made
 *     the same way: the guests have 256 MiB of RAM) to file-b's
 *     file recv: refused by the host's policy (EACCES, file-a's denied
 *     counter grows, file-b's file recv sees nothing), then, with the
 *     pair allowed, by file-b's owner (file recv --from another VM:
 *     EACCES and its audit line), then accepted (--from file-a): file-b's
 *     copy has file-a's SHA-256 and nothing else arrived;
 *  9-11. file-b's owner runs file serve on a directory of its choosing:
 *     the host pushes 8 MiB into it and pulls the 8 MiB file-b made out of
 *     it (SHA-256 at both ends), and a pull out of the directory is
 *     refused with EXDEV, nothing written on the host;
 *  12-13. both guests put a file of VMMGMT_FILE_AB_MIB MiB into their
 *     exports at once: each export held a put's temporary file at the
 *     same moment, and both copies are right;
 *  14-15. file-a puts the sparse file again as killed.bin; once data of
 *     it arrived the test kills file-a's QEMU (SIGKILL): no file ever
 *     appears under the real name, and what arrived stays as the name's
 *     hidden partial file (for --resume), no temporary file left;
 *  16. the exports hold what the guests put and nothing else, and
 *     outside/secret is unchanged;
 *  17-19. vmmgmtd still runs; no problem in the guests' logs, no new
 *     kernel warning in the host's.
 *
 * The stream carries a sparse file's holes as zeros (files.rst, "Sparse
 * files"): the 4 GiB cross it whole, at this test bed's few MB/s.
 *
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_FILE_DIR       a directory for vmmgmtd's sockets, its
 *                         configuration, the exports and the test's own
 *                         files (created; what the test wrote there
 *                         before is removed first)
 * Without them the test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 * Optional: VMMGMT_FILE_SPARSE_MIB, VMMGMT_FILE_AB_MIB (above), VMMGMTCTL
 * (default /opt/vmmgmt/bin/vmmgmtctl).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"
#include "vmmgmt_file_proto.h"

#define NCHECKS			19
#define POLICY			VMMGMT_HOST_SYSFS "/policy"
#define BOOT_SECS		150
/* guest-init's FILE_CUE_PORT. */
#define CUE_PORT		4210
/* A cue that moves no big file, and a host command that moves PUSH_MIB. */
#define SHORT_SECS		60
#define PUSH_MIB		8
/* guest-init's sparse files: 1 MiB of data in each of 16 strides at most. */
#define DATA_MIB_MAX		16
/* After the kill: the host module resets the stream, the session ends. */
#define SESSION_END_SECS	30
#define MIB			1048576ULL
#define SEED			0x66696c6574657374ULL
#define TEXT_MAX		1024
#define KILLED_NAME		"killed.bin"

static struct boot_guest guests[] = {
	{ .name = "file-a", .id = 61, .mode = "file" },
	{ .name = "file-b", .id = 62, .mode = "file" },
};

static struct boot_guest *const ga = &guests[0];
static struct boot_guest *const gb = &guests[1];

static const char * const dump_keys[] = { "vmmgmtctl", "file service", NULL };

static unsigned int sparse_mib, ab_mib;
static char conf_dir[256], exports[256], exp_a[320], exp_b[320], outside[320];
static char host_dir[256], secret_sha[VMMGMT_SHA256_HEX];

static void deny_pair(void)
{
	vmmgmt_write_text(POLICY, "deny file-a file-b\n");
}

static void on_fatal(void)
{
	deny_pair();
	dump_guests();
}

/* The longest a transfer of @mib MiB may take here: 1.7 MiB/s and a minute. */
static unsigned int xfer_secs(unsigned int mib)
{
	return 60 + mib * 3 / 5;
}

/* The MiB of data in guest-init's sparse file of @mib MiB. */
static unsigned long long data_mib(unsigned int mib)
{
	return mib < DATA_MIB_MAX ? mib : DATA_MIB_MAX;
}

/* ---- files on the host ---- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

/* Remove @path and everything below it; a missing @path is no error. */
static void rm_tree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		fatal("remove %s: %s", path, strerror(errno));
}

static void put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		fatal("%s: %s", path, strerror(errno));
}

/* The SHA-256 of the file @path into @hex; 0 or -errno. */
static int sha256_file(const char *path, char hex[VMMGMT_SHA256_HEX])
{
	struct vmmgmt_sha256 s;
	int fd, err = 0;
	ssize_t n;
	char *buf;

	hex[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(MIB);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	vmmgmt_sha256_init(&s);
	while ((n = read(fd, buf, MIB)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		vmmgmt_sha256_update(&s, buf, n);
	}
	if (!err)
		vmmgmt_sha256_final_hex(&s, hex);
	free(buf);
	close(fd);
	return err;
}

/* @mib MiB of the stream pattern into the new file @path (mode 0644). */
static void write_pattern(const char *path, unsigned int mib)
{
	unsigned long long off;
	char *buf = malloc(MIB);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!buf || fd < 0 || fchmod(fd, 0644))
		fatal("%s: %s", path, strerror(errno));
	for (off = 0; off < mib * MIB; off += MIB) {
		vmmgmt_pattern_fill(SEED, off, buf, MIB);
		if (write(fd, buf, MIB) != (ssize_t)MIB)
			fatal("%s: write: %s", path, strerror(errno));
	}
	if (close(fd))
		fatal("%s: close: %s", path, strerror(errno));
	free(buf);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every entry of @dir but "." and "..", hidden ones too, sorted and
 * comma-separated, into @out.  Return: how many, or -1.
 */
static int dir_names(const char *dir, char *out, size_t size)
{
	char *names[64];
	struct dirent *de;
	unsigned int i, n = 0;
	size_t len = 0;
	DIR *d;

	out[0] = '\0';
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		if (len < size)
			len += snprintf(out + len, size - len, "%s%s", i ? "," : "",
					names[i]);
		free(names[i]);
	}
	return n;
}

/*
 * A put's temporary file in @dir (not a partial file): true with its
 * size in *@size.
 */
static bool find_temp(const char *dir, long long *size)
{
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	*size = -1;
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, VMMGMT_FILE_TMP_PREFIX,
			    strlen(VMMGMT_FILE_TMP_PREFIX)) ||
		    !strncmp(de->d_name, VMMGMT_FILE_PART_PREFIX,
			     strlen(VMMGMT_FILE_PART_PREFIX)))
			continue;
		found = true;
		if (!fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			*size = st.st_size;
	}
	closedir(d);
	return found;
}

/* The size of @dir/@name, -1 if there is none. */
static long long entry_size(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) ? -1 : (long long)st.st_size;
}

/* ---- set-up ---- */

/* The configuration, the exports, outside/secret and the test's own dir. */
static void make_dirs(void)
{
	char path[512], text[512];
	unsigned int i;

	snprintf(conf_dir, sizeof(conf_dir), "%s/vms.d", boot.dir);
	snprintf(exports, sizeof(exports), "%s/exports", boot.dir);
	snprintf(exp_a, sizeof(exp_a), "%s/%s", exports, ga->name);
	snprintf(exp_b, sizeof(exp_b), "%s/%s", exports, gb->name);
	snprintf(outside, sizeof(outside), "%s/outside", exports);
	snprintf(host_dir, sizeof(host_dir), "%s/host", boot.dir);
	rm_tree(conf_dir);
	rm_tree(exports);
	rm_tree(host_dir);
	if (mkdir(conf_dir, 0755) || mkdir(exports, 0755) || mkdir(exp_a, 0755) ||
	    mkdir(exp_b, 0755) || mkdir(outside, 0755) || mkdir(host_dir, 0755))
		fatal("mkdir in %s: %s", boot.dir, strerror(errno));
	for (i = 0; i < ARRAY_SIZE(guests); i++) {
		snprintf(path, sizeof(path), "%s/%s.conf", conf_dir, guests[i].name);
		snprintf(text, sizeof(text),
			 "id=%u\nfiles=rw\nfiles_dir=%s/%s\nfiles_quota=0\n",
			 guests[i].id, exports, guests[i].name);
		put_text(path, text);
	}
	snprintf(path, sizeof(path), "%s/secret", outside);
	put_text(path, "not for any guest\n");
	if (sha256_file(path, secret_sha))
		fatal("%s: cannot hash it", path);
}

/* vmmgmtd with the test's configuration directory; waits until ready. */
static void start_file_vmmgmtd(void)
{
	char *argv[7];
	unsigned int n = 0;

	argv[n++] = (char *)boot.vmmgmtd_bin;
	argv[n++] = "-f";
	argv[n++] = "-d";
	argv[n++] = (char *)boot.dir;
	argv[n++] = "-c";
	argv[n++] = conf_dir;
	argv[n] = NULL;
	boot.vmmgmtd_pid = spawn(argv, boot.vmmgmtd_log);
	if (boot.vmmgmtd_pid < 0)
		fatal("fork vmmgmtd: %s", strerror(errno));
	if (!wait_line(boot.vmmgmtd_log, 0, "vmmgmtd: ready", NULL, 0, 10))
		fatal("vmmgmtd (pid %d) not ready within 10 s",
		      (int)boot.vmmgmtd_pid);
}

/* ---- vmmgmtctl on the host, and the guests' cues ---- */

/* Send the cue "@label @fmt..." to @g's guest-init; fatal if not sent. */
static void cue_vsend(const struct boot_guest *g, const char *label,
		      const char *fmt, va_list ap)
{
	char text[256], out[512];
	int n, rc;

	n = snprintf(text, sizeof(text), "%s ", label);
	vsnprintf(text + n, sizeof(text) - n, fmt, ap);
	rc = boot_vmmgmtctl_timed(out, sizeof(out), SHORT_SECS, "send %u:%d '%s'",
				  g->id, CUE_PORT, text);
	if (rc)
		fatal("%s: cue '%s': vmmgmtctl send exited %d: %s", g->name, text,
		      rc, out);
}

static __printf(3, 4) void cue_send(const struct boot_guest *g,
				    const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cue_vsend(g, label, fmt, ap);
	va_end(ap);
}

/* @g's answer to the cue @label, into @line if not NULL. */
static bool result_find(const struct boot_guest *g, const char *label,
			char *line, size_t size)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "VMMGMT-FILE %s %s rc=", g->name, label);
	return find_line(g->log, 0, needle, line, size);
}

/*
 * The cue "@label @fmt..." to @g, and its answer into @line (TEXT_MAX
 * bytes) within @secs; fatal without one.
 */
static __printf(5, 6) void cue(const struct boot_guest *g, const char *label,
			       unsigned int secs, char *line, const char *fmt, ...)
{
	char needle[128];
	double t0 = vmmgmt_now_s();
	va_list ap;

	va_start(ap, fmt);
	cue_vsend(g, label, fmt, ap);
	va_end(ap);
	snprintf(needle, sizeof(needle), "VMMGMT-FILE %s %s rc=", g->name, label);
	if (!wait_line(g->log, 0, needle, line, TEXT_MAX, secs))
		fatal("%s: no answer to the cue '%s' within %u s", g->name, label,
		      secs);
	ksft_print_msg("%s: %s (%.1f s)\n", g->name, strstr(line, "VMMGMT-FILE"),
		       vmmgmt_now_s() - t0);
}

/* The JSON part of a guest's answer (after " json="), or @line itself. */
static const char *json_of(const char *line)
{
	const char *j = strstr(line, " json=");

	return j ? j + strlen(" json=") : line;
}

/*
 * The value of " @key=" in a guest's answer (before its JSON), up to a
 * space, into @out ("" if there is none).
 */
static bool field(const char *line, const char *key, char *out, size_t size)
{
	const char *json = strstr(line, " json="), *p;
	char needle[32];
	size_t n;

	out[0] = '\0';
	snprintf(needle, sizeof(needle), " %s=", key);
	p = strstr(line, needle);
	if (!p || (json && p > json))
		return false;
	p += strlen(needle);
	n = strcspn(p, " ");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* field() as a number in @base, @dflt if missing or not a number. */
static long long field_num(const char *line, const char *key, int base,
			   long long dflt)
{
	char v[32], *end;
	long long n;

	if (!field(line, key, v, sizeof(v)) || !v[0])
		return dflt;
	n = strtoll(v, &end, base);
	return *end ? dflt : n;
}

static long long rc_of(const char *line)
{
	return field_num(line, "rc", 10, -1);
}

/* The string "@key":"..." of the JSON in @text, into @out. */
static void json_str(const char *text, const char *key, char *out, size_t size)
{
	char needle[64];
	const char *p;
	size_t n;

	out[0] = '\0';
	snprintf(needle, sizeof(needle), "\"%s\":\"", key);
	p = strstr(text, needle);
	if (!p)
		return;
	p += strlen(needle);
	n = strcspn(p, "\"");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The number "@key":N of the JSON in @text, or @dflt. */
static long long json_num(const char *text, const char *key, long long dflt)
{
	char needle[64], *end;
	const char *p;
	long long n;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	p = strstr(text, needle);
	if (!p)
		return dflt;
	n = strtoll(p + strlen(needle), &end, 10);
	return end == p + strlen(needle) ? dflt : n;
}

/* 64 lowercase hex digits. */
static bool is_sha(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static const char *same(const char *a, const char *b)
{
	return is_sha(a) && !strcmp(a, b) ? "equal to" : "NOT equal to";
}

/* ---- the checks ---- */

/* 2-4: a sparse file of sparse_mib MiB from file-a into its export. */
static void test_sparse(void)
{
	unsigned long long bytes = sparse_mib * MIB;
	char line[TEXT_MAX], sha[80], host_sha[VMMGMT_SHA256_HEX], path[512];
	char secs_s[32];
	long long mode, n;
	struct stat st = { 0 };
	double secs;
	bool ok;
	int err;

	cue(ga, "sparse", SHORT_SECS, line, "sparse /tmp/sparse.bin %u", sparse_mib);
	mode = field_num(line, "mode", 8, -1);
	if (rc_of(line) || field_num(line, "bytes", 10, -1) != (long long)bytes)
		fatal("file-a could not make its sparse file");
	cue(ga, "put-sparse", xfer_secs(sparse_mib), line,
	    "put /tmp/sparse.bin sparse.bin");
	json_str(json_of(line), "sha256", sha, sizeof(sha));
	n = json_num(json_of(line), "bytes", -1);
	field(line, "secs", secs_s, sizeof(secs_s));
	secs = strtod(secs_s, NULL);
	ok = rc_of(line) == 0 && n == (long long)bytes &&
	     json_num(json_of(line), "resumed", -1) == 0 && is_sha(sha);
	ksft_test_result(ok,
			 "sparse file guest -> host: file-a's file put of %u MiB exits %lld, bytes %lld (want %llu), resumed 0 (%.1f s, %.2f MB/s)\n",
			 sparse_mib, rc_of(line), n, bytes, secs,
			 secs > 0 ? bytes / secs / 1e6 : 0.0);

	snprintf(path, sizeof(path), "%s/sparse.bin", exp_a);
	err = stat(path, &st) ? -errno : sha256_file(path, host_sha);
	ok = !err && st.st_size == (off_t)bytes && (long long)(st.st_mode & 07777) == mode &&
	     !strcmp(sha, host_sha);
	ksft_test_result(ok,
			 "sparse file: the host's copy: %s, %lld bytes, mode %o (file-a's %llo), SHA-256 %s the one file-a sent\n",
			 err ? strerror(-err) : "there", (long long)st.st_size,
			 (unsigned int)(st.st_mode & 07777), mode, same(sha, host_sha));
	ok = !err && (unsigned long long)st.st_blocks * 512 <= 2 * data_mib(sparse_mib) * MIB;
	ksft_test_result(ok,
			 "sparse file: the host's copy stays sparse: %llu KiB allocated of %llu KiB (%llu MiB of data, at most twice that allowed)\n",
			 (unsigned long long)st.st_blocks / 2, bytes >> 10,
			 data_mib(sparse_mib));
}

/* The audit line of file-b's file recv that the cue @label printed. */
static bool recv_audit(const char *label, char *line, size_t size)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "VMMGMT-FILE %s %s audit: ", gb->name, label);
	line[0] = '\0';
	return find_line(gb->log, 0, needle, line, size);
}

/* 5-8: a file from file-a to file-b: refused twice, then accepted. */
static void test_vm_to_vm(void)
{
	unsigned long long bytes = ab_mib * MIB;
	char line[TEXT_MAX], state[TEXT_MAX], end[TEXT_MAX], audit[TEXT_MAX];
	char names[256] = "", sha[80] = "", bsha[80] = "", why[64];
	long long d0, d1, d2, rc, err, n;
	bool ok, got;

	cue(ga, "ab-make", SHORT_SECS, line, "sparse /tmp/ab.bin %u", ab_mib);
	if (rc_of(line))
		fatal("file-a could not make its file for file-b");
	/* file-b's owner takes files from VM 99 only, for now. */
	cue(gb, "recv-other", SHORT_SECS, line, "recv /tmp/inbox 99");
	if (rc_of(line))
		fatal("file-b: file recv did not start");

	/* The host's policy does not let the pair talk. */
	d0 = vm_attr_num(ga->name, "denied");
	cue(ga, "send-policy", SHORT_SECS, line, "send %u /tmp/ab.bin ab.bin", gb->id);
	rc = rc_of(line);
	err = json_num(json_of(line), "errno", -1);
	d1 = vm_attr_num(ga->name, "denied");
	cue(gb, "state-policy", SHORT_SECS, state, "recvstate /tmp/inbox");
	field(state, "names", names, sizeof(names));
	ok = rc == 1 && err == EACCES && d0 >= 0 && d1 > d0 &&
	     field_num(state, "running", 10, -1) == 1 &&
	     field_num(state, "audits", 10, -1) == 0 && !names[0];
	ksft_test_result(ok,
			 "file-a -> file-b refused by the host's policy: file send exits %lld, errno %lld (want 1, EACCES); file-a's denied %lld -> %lld; file-b's file recv still waits (running=%lld), audited %lld streams, received '%s'\n",
			 rc, err, d0, d1, field_num(state, "running", 10, -1),
			 field_num(state, "audits", 10, -1), names);

	/* Allowed by the host, refused by file-b's owner (--from 99). */
	err = vmmgmt_write_text(POLICY, "allow file-a file-b\n");
	if (err)
		fatal("allow file-a file-b: %s", strerror(-err));
	cue(ga, "send-owner", xfer_secs(ab_mib), line, "send %u /tmp/ab.bin ab.bin",
	    gb->id);
	rc = rc_of(line);
	err = json_num(json_of(line), "errno", -1);
	d2 = vm_attr_num(ga->name, "denied");
	cue(gb, "recv-other-end", SHORT_SECS, end, "recvwait");
	got = recv_audit("recv-other-end", audit, sizeof(audit));
	snprintf(why, sizeof(why), "VM %u is not in --from", ga->id);
	cue(gb, "inbox-owner", SHORT_SECS, state, "ls /tmp/inbox");
	field(state, "names", names, sizeof(names));
	ok = rc == 1 && err == EACCES && d2 == d1 && rc_of(end) == 1 &&
	     field_num(end, "audits", 10, -1) == 1 && got &&
	     strstr(audit, "agent=recv") && strstr(audit, "result=refused errno=13") &&
	     strstr(audit, why) && rc_of(state) == 0 && !names[0];
	ksft_test_result(ok,
			 "file-a -> file-b refused by file-b's owner (file recv --from 99): file send exits %lld, errno %lld (want 1, EACCES); denied %lld (unchanged: %lld); file recv exits %lld after %lld stream(s): '%s'; received '%s'\n",
			 rc, err, d2, d1, rc_of(end), field_num(end, "audits", 10, -1),
			 got ? strstr(audit, "audit: ") : "no audit line", names);

	/* Accepted: file recv --from file-a. */
	cue(gb, "recv-a", SHORT_SECS, line, "recv /tmp/inbox %u", ga->id);
	if (rc_of(line))
		fatal("file-b: file recv did not start");
	cue(ga, "send-ok", xfer_secs(ab_mib), line, "send %u /tmp/ab.bin ab.bin", gb->id);
	rc = rc_of(line);
	n = json_num(json_of(line), "bytes", -1);
	json_str(json_of(line), "sha256", sha, sizeof(sha));
	cue(gb, "recv-a-end", SHORT_SECS, end, "recvwait");
	got = recv_audit("recv-a-end", audit, sizeof(audit));
	ok = rc == 0 && n == (long long)bytes && is_sha(sha) &&
	     vm_attr_num(ga->name, "denied") == d1 && rc_of(end) == 0 &&
	     field_num(end, "audits", 10, -1) == 1 && got &&
	     strstr(audit, "op=put path=\"ab.bin\"") && strstr(audit, "result=ok");
	ksft_test_result(ok,
			 "file-a -> file-b accepted (file recv --from %u): file send of %u MiB exits %lld, bytes %lld; file recv exits %lld: '%s'\n",
			 ga->id, ab_mib, rc, n, rc_of(end),
			 got ? strstr(audit, "audit: ") : "no audit line");

	cue(gb, "ab-sha", SHORT_SECS + ab_mib / 2, line, "sha /tmp/inbox/ab.bin");
	field(line, "sha", bsha, sizeof(bsha));
	n = field_num(line, "bytes", 10, -1);
	cue(gb, "inbox", SHORT_SECS, state, "ls /tmp/inbox");
	field(state, "names", names, sizeof(names));
	ok = rc_of(line) == 0 && n == (long long)bytes && !strcmp(sha, bsha) &&
	     is_sha(sha) && !strcmp(names, "ab.bin,");
	ksft_test_result(ok,
			 "file-a -> file-b: file-b's copy: %lld bytes, SHA-256 %s file-a's; file-b's directory holds '%s' (want 'ab.bin,')\n",
			 n, same(sha, bsha), names);
	cue(gb, "inbox-rm", SHORT_SECS, line, "rm /tmp/inbox/ab.bin");
}

/* 9-11: file-b's owner serves a directory; the host pushes and pulls. */
static void test_push_pull(void)
{
	char push[512], pulled[512], passwd[512], out[TEXT_MAX], line[TEXT_MAX];
	char hsha[VMMGMT_SHA256_HEX], psha[VMMGMT_SHA256_HEX];
	char made_sha[80] = "", bsha[80] = "", jsha[80], names[256];
	long long bytes = PUSH_MIB * MIB, bn, mode, err;
	struct stat st = { 0 };
	int rc;
	bool ok;

	cue(gb, "serve", SHORT_SECS, line, "serve /tmp/serve");
	if (rc_of(line))
		fatal("file-b: file serve did not start");
	cue(gb, "made", SHORT_SECS, line, "mkfile /tmp/serve/made.bin %d", PUSH_MIB);
	field(line, "sha", made_sha, sizeof(made_sha));
	if (rc_of(line) || !is_sha(made_sha))
		fatal("file-b could not make made.bin");

	snprintf(push, sizeof(push), "%s/push.bin", host_dir);
	snprintf(pulled, sizeof(pulled), "%s/pulled.bin", host_dir);
	snprintf(passwd, sizeof(passwd), "%s/passwd.bin", host_dir);
	write_pattern(push, PUSH_MIB);
	if (sha256_file(push, hsha))
		fatal("%s: cannot hash it", push);

	rc = boot_vmmgmtctl_timed(out, sizeof(out), xfer_secs(PUSH_MIB),
				  "--json file push %s %s pushed.bin", gb->name, push);
	json_str(out, "sha256", jsha, sizeof(jsha));
	cue(gb, "pushed", SHORT_SECS, line, "sha /tmp/serve/pushed.bin");
	field(line, "sha", bsha, sizeof(bsha));
	bn = field_num(line, "bytes", 10, -1);
	mode = field_num(line, "mode", 8, -1);
	ok = rc == 0 && !strcmp(jsha, hsha) && !strcmp(bsha, hsha) && bn == bytes &&
	     mode == 0644;
	ksft_test_result(ok,
			 "host push into file-b's directory: exits %d, SHA-256 sent %s the host's file; file-b's copy %lld bytes, mode %llo, SHA-256 %s it\n",
			 rc, same(jsha, hsha), bn, mode, same(bsha, hsha));
	if (!ok)
		ksft_print_msg("file push: %s", out);

	rc = boot_vmmgmtctl_timed(out, sizeof(out), xfer_secs(PUSH_MIB),
				  "--json file pull %s made.bin %s", gb->name, pulled);
	json_str(out, "sha256", jsha, sizeof(jsha));
	err = stat(pulled, &st) ? -errno : sha256_file(pulled, psha);
	ok = rc == 0 && !err && st.st_size == bytes && !strcmp(psha, made_sha) &&
	     !strcmp(jsha, made_sha);
	ksft_test_result(ok,
			 "host pull of file-b's made.bin: exits %d; the host's copy %lld bytes, SHA-256 %s file-b's sha256sum (received %s it)\n",
			 rc, err ? -1LL : (long long)st.st_size, same(psha, made_sha),
			 same(jsha, made_sha));
	if (!ok)
		ksft_print_msg("file pull: %s", out);

	rc = boot_vmmgmtctl_timed(out, sizeof(out), SHORT_SECS,
				  "--json file pull %s ../../etc/passwd %s", gb->name, passwd);
	err = json_num(out, "errno", -1);
	dir_names(host_dir, names, sizeof(names));
	ok = rc == 1 && err == EXDEV && access(passwd, F_OK) &&
	     !strcmp(names, "pulled.bin,push.bin");
	ksft_test_result(ok,
			 "host pull of ../../etc/passwd out of file-b's directory: exits %d, errno %lld (want 1, EXDEV); the host's directory holds '%s'\n",
			 rc, err, names);
	cue(gb, "serve-rm", SHORT_SECS, line, "rm /tmp/serve/made.bin /tmp/serve/pushed.bin");
}

/*
 * 12-13: both guests put a file into their exports at once; the test
 * watches both exports for a put's temporary file meanwhile.
 */
static void test_at_once(void)
{
	unsigned long long bytes = ab_mib * MIB;
	char la[TEXT_MAX] = "", lb[TEXT_MAX] = "", sha_a[80], sha_b[80];
	char ha[VMMGMT_SHA256_HEX] = "", hb[VMMGMT_SHA256_HEX] = "", path[512];
	bool got_a = false, got_b = false, both = false, ok;
	double t0, end;
	long long sa, sb;
	unsigned int i;

	cue(gb, "own-make", SHORT_SECS, la, "sparse /tmp/own.bin %u", ab_mib);
	if (rc_of(la))
		fatal("file-b could not make its file");
	t0 = vmmgmt_now_s();
	end = t0 + 2 * xfer_secs(ab_mib);
	cue_send(ga, "pair-a", "put /tmp/ab.bin pair-a.bin");
	cue_send(gb, "pair-b", "put /tmp/own.bin pair-b.bin");
	for (i = 0; !(got_a && got_b) && vmmgmt_now_s() < end; i++) {
		if (!both && find_temp(exp_a, &sa) && find_temp(exp_b, &sb)) {
			both = true;
			ksft_print_msg("%.2f s: a put's temporary file in each export\n",
				       vmmgmt_now_s() - t0);
		}
		if (i % 10 == 0) {
			got_a = got_a || result_find(ga, "pair-a", la, sizeof(la));
			got_b = got_b || result_find(gb, "pair-b", lb, sizeof(lb));
		}
		vmmgmt_sleep_ms(20);
	}
	if (!got_a || !got_b)
		fatal("the puts of both guests at once: %s within %u s",
		      got_a ? "file-b's did not end" :
		      got_b ? "file-a's did not end" : "neither ended",
		      2 * xfer_secs(ab_mib));
	ksft_print_msg("%s\n", strstr(la, "VMMGMT-FILE"));
	ksft_print_msg("%s\n", strstr(lb, "VMMGMT-FILE"));
	ok = rc_of(la) == 0 && rc_of(lb) == 0 && both;
	ksft_test_result(ok,
			 "two guests at once: file-a's and file-b's file put of %u MiB exit %lld and %lld, both under way at the same moment: %s\n",
			 ab_mib, rc_of(la), rc_of(lb), both ? "yes" : "NO");

	json_str(json_of(la), "sha256", sha_a, sizeof(sha_a));
	json_str(json_of(lb), "sha256", sha_b, sizeof(sha_b));
	snprintf(path, sizeof(path), "%s/pair-a.bin", exp_a);
	sha256_file(path, ha);
	snprintf(path, sizeof(path), "%s/pair-b.bin", exp_b);
	sha256_file(path, hb);
	sa = entry_size(exp_a, "pair-a.bin");
	sb = entry_size(exp_b, "pair-b.bin");
	ok = sa == (long long)bytes && sb == (long long)bytes && !strcmp(ha, sha_a) &&
	     !strcmp(hb, sha_b) && is_sha(sha_a) && is_sha(sha_b) && strcmp(sha_a, sha_b);
	ksft_test_result(ok,
			 "two guests at once: the host's pair-a.bin (%lld bytes) %s the SHA-256 file-a sent, pair-b.bin (%lld bytes) %s file-b's\n",
			 sa, same(ha, sha_a), sb, same(hb, sha_b));
}

/* 14-15: file-a killed in the middle of a put. */
static void test_killed(void)
{
	char part[64], line[TEXT_MAX];
	long long size = -1, psize;
	bool seen = false, real = false, temp = true, ended;
	double end, t_kill;

	vmmgmt_file_part_name(VMMGMT_FILE_PART_PREFIX, KILLED_NAME, part, sizeof(part));
	cue_send(ga, "kill", "put /tmp/sparse.bin " KILLED_NAME);
	end = vmmgmt_now_s() + SHORT_SECS;
	while (vmmgmt_now_s() < end && !result_find(ga, "kill", NULL, 0)) {
		real |= entry_size(exp_a, KILLED_NAME) >= 0;
		if (find_temp(exp_a, &size) && size > 0) {
			seen = true;
			break;
		}
		vmmgmt_sleep_ms(20);
	}
	t_kill = vmmgmt_now_s();
	kill(ga->pid, SIGKILL);
	waitpid(ga->pid, NULL, 0);
	ga->pid = 0;
	ended = result_find(ga, "kill", line, sizeof(line));
	ksft_print_msg("killed file-a's QEMU: its put's temporary file %s (%lld bytes)\n",
		       seen ? "had data" : "never had data", size);

	/* The session ends: the temporary file becomes the partial file. */
	end = t_kill + SESSION_END_SECS;
	for (;;) {
		real |= entry_size(exp_a, KILLED_NAME) >= 0;
		temp = find_temp(exp_a, &size);
		psize = entry_size(exp_a, part);
		if ((!temp && psize >= 0) || vmmgmt_now_s() >= end)
			break;
		vmmgmt_sleep_ms(20);
	}
	real |= entry_size(exp_a, KILLED_NAME) >= 0;
	ksft_test_result(seen && !ended && !real,
			 "file-a killed mid-transfer: its put of %s had sent %s and %s when killed; under the real name: %s (watched until %.1f s after the kill)\n",
			 KILLED_NAME, seen ? "data" : "NO data yet",
			 ended ? "had ENDED" : "had not ended", real ? "A FILE" : "nothing",
			 vmmgmt_now_s() - t_kill);
	ksft_test_result(!temp && psize > 0 && psize < (long long)(sparse_mib * MIB),
			 "file-a killed mid-transfer: what arrived stays hidden as %s (%lld bytes of %llu), no temporary file left (%s)\n",
			 part, psize, sparse_mib * MIB, temp ? "ONE LEFT" : "none");
}

/* 16: the exports hold what the guests put, outside/secret unchanged. */
static void test_exports(void)
{
	char a[512], b[512], top[512], out[512], want_a[512], sha[VMMGMT_SHA256_HEX] = "";
	char part[64], path[512];
	bool ok;

	vmmgmt_file_part_name(VMMGMT_FILE_PART_PREFIX, KILLED_NAME, part, sizeof(part));
	snprintf(want_a, sizeof(want_a), "%s,pair-a.bin,sparse.bin", part);
	dir_names(exp_a, a, sizeof(a));
	dir_names(exp_b, b, sizeof(b));
	dir_names(exports, top, sizeof(top));
	dir_names(outside, out, sizeof(out));
	snprintf(path, sizeof(path), "%s/secret", outside);
	sha256_file(path, sha);
	ok = !strcmp(a, want_a) && !strcmp(b, "pair-b.bin") &&
	     !strcmp(top, "file-a,file-b,outside") && !strcmp(out, "secret") &&
	     !strcmp(sha, secret_sha);
	ksft_test_result(ok,
			 "exports: file-a's holds '%s', file-b's '%s', their parent '%s', outside/ '%s' with secret %s\n",
			 a, b, top, out, strcmp(sha, secret_sha) ? "CHANGED" : "unchanged");
}

int main(void)
{
	char line[TEXT_MAX], args[96];
	unsigned int guest_secs;
	bool ok;
	int kwarn0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	boot_init("VMMGMT_FILE_DIR", "/tmp/file-vmmgmtd.log", guests,
		  ARRAY_SIZE(guests));
	boot.dump_keys = dump_keys;
	boot.on_fatal = on_fatal;
	boot_need_kvm();
	sparse_mib = boot_env_uint("VMMGMT_FILE_SPARSE_MIB", 4096);
	ab_mib = boot_env_uint("VMMGMT_FILE_AB_MIB", 512);
	if (sparse_mib < DATA_MIB_MAX || sparse_mib > 1048576 || ab_mib > 1048576)
		ksft_exit_fail_msg("VMMGMT_FILE_SPARSE_MIB=%u (16..1048576), _AB_MIB=%u\n",
				   sparse_mib, ab_mib);
	/* Each guest's bound for all it does. */
	guest_secs = 600 + 2 * xfer_secs(sparse_mib) + 4 * xfer_secs(ab_mib);
	snprintf(args, sizeof(args), "vmmgmt.file_secs=%u", guest_secs);
	ksft_print_msg("a sparse file of %u MiB guest -> host, %u MiB guest -> guest\n",
		       sparse_mib, ab_mib);
	ksft_set_plan(NCHECKS);
	boot_begin();
	kwarn0 = kernel_warnings();
	deny_pair();
	make_dirs();
	start_file_vmmgmtd();

	/* 1. The file service, on host port 21 (no other vmmgmtd holds it). */
	ok = wait_line(boot.vmmgmtd_log, 0, "file service: host port 21, 2 VMs", line,
		       sizeof(line), 5);
	ksft_test_result(ok, "vmmgmtd serves files to file-a and file-b on host port 21%s\n",
			 ok ? "" : ": its log does not say so (another daemon holds the port?)");
	if (!ok)
		fatal("no file service: see %s", boot.vmmgmtd_log);

	/* The guests, one boot at a time. */
	start_guest(ga, args);
	if (!wait_line(ga->log, 0, "VMMGMT-FILE file-a ready", NULL, 0, BOOT_SECS))
		fatal("file-a: not ready within %d s: see %s", BOOT_SECS, ga->log);
	start_guest(gb, args);
	if (!wait_line(gb->log, 0, "VMMGMT-FILE file-b ready", NULL, 0, BOOT_SECS))
		fatal("file-b: not ready within %d s: see %s", BOOT_SECS, gb->log);

	test_sparse();
	test_vm_to_vm();
	test_push_pull();
	test_at_once();
	test_killed();
	test_exports();

	/* 17. vmmgmtd lived through it all. */
	/* A vmmgmtd that died is a zombie until reaped: kill(0) would pass. */
	ksft_test_result(boot.vmmgmtd_pid > 0 &&
			 waitpid(boot.vmmgmtd_pid, NULL, WNOHANG) == 0 &&
			 !find_line(boot.vmmgmtd_log, 0, "vmmgmtd: exiting", NULL, 0),
			 "vmmgmtd still runs\n");
	cue_send(gb, "end", "done");
	if (!boot_stop_guest(gb, 60))
		ksft_print_msg("file-b did not power off within 60 s: killed\n");

	/* 18, 19. */
	kill_all();
	deny_pair();
	boot_check_guest_logs();
	boot_check_host_log(kwarn0);
	boot_finished();
}
