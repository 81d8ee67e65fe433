// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: a guest's modes as the host sees and drives them (ABI 0.6).
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment
 * below).  It starts its own vmmgmtd for one VM (modes-a, id 33) and boots
 * it with vmmgmt.mode=modes: the guest loads its module with the default
 * modes (chat and stats on) and then runs "vmmgmtctl modes ..." for every
 * "modes ..." message that reaches its port 77.
 *
 *  1. vms/modes-a/guest_modes says "chat stats".
 *  2. The host drives the guest's sampling through the statistics mode
 *     (vmmgmtctl stats VM --get, --period MS, --off, and a raw request
 *     with a period out of range, answered EINVAL): the guest samples
 *     every 200 ms when asked, and stops when asked.
 *  3. A record in a mode the guest has off (file) is refused by write()
 *     with EPERM on the host, at once.
 *  4. The guest's owner turns stats off and file on: guest_modes follows;
 *     vmmgmtctl stats VM --get now fails with the owner's refusal, and a
 *     file record is no longer refused by the host.
 *
 * Every check is one TAP result.  Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_MODES_DIR      a directory for vmmgmtd's sockets (created)
 * Without them the test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"

#define BOOT_SECS		150
#define CTL_PORT		77
#define PERIOD_MS		200
#define ANSWER_SECS		10

static struct boot_guest guests[1] = {
	{ .name = "modes-a", .id = 33, .mode = "modes" },
};

static const char * const dump_keys[] = {
	"vmmgmtctl", "WARNING", "BUG", NULL,
};

/* VMMGMT_HOST_VMS_SYSFS/modes-a/@file into @buf (newline stripped); 0 or -errno. */
static int vm_text(const char *file, char *buf, size_t size)
{
	char path[256];
	size_t n;
	int ret;

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/%s", guests[0].name, file);
	ret = vmmgmt_read_text(path, buf, size);
	if (ret)
		return ret;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Wait up to @secs for guest_modes to read @want. */
static bool wait_guest_modes(const char *want, int secs, char *seen,
			     size_t size)
{
	double end = vmmgmt_now_s() + secs;

	do {
		if (!vm_text("guest_modes", seen, size) && !strcmp(seen, want))
			return true;
		usleep(100 * 1000);
	} while (vmmgmt_now_s() < end);
	return false;
}

/*
 * Run vmmgmtctl with the arguments after @size (NULL-terminated); its
 * output in @out.  Its exit status, or -1 when it did not exit.
 */
static int run_ctl(char *out, size_t size, ...)
{
	static const char ctl_log[] = "/tmp/modes-ctl.log";
	char *argv[8];
	unsigned int n = 0;
	va_list ap;
	int status;
	pid_t pid;

	argv[n++] = "vmmgmtctl";
	va_start(ap, size);
	while (n < ARRAY_SIZE(argv) - 1 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	unlink(ctl_log);
	pid = spawn(argv, ctl_log);
	status = wait_exit(pid, ANSWER_SECS + 5);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (vmmgmt_read_text(ctl_log, out, size))
		out[0] = '\0';
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Cut @s after its first line, for a TAP line. */
static const char *first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* "vmmgmtctl send 33:77 'modes VERB MODE'", and the guest's marker. */
static bool owner_does(const char *verb, const char *mode)
{
	char dst[32], msg[64], want[128], out[512];
	long from = file_size(guests[0].log);

	snprintf(dst, sizeof(dst), "%u:%d", guests[0].id, CTL_PORT);
	snprintf(msg, sizeof(msg), "modes %s %s", verb, mode);
	if (run_ctl(out, sizeof(out), "send", dst, msg, NULL)) {
		ksft_print_msg("vmmgmtctl send %s '%s': %s\n", dst, msg, out);
		return false;
	}
	snprintf(want, sizeof(want), "VMMGMT-MODES %s did: %s", guests[0].name,
		 msg);
	return wait_line(guests[0].log, from, want, NULL, 0, ANSWER_SECS);
}

/*
 * One raw record of @mode from a host file to the guest's @port with
 * @payload; write()'s errno, or 0.  With @answer, wait for the answer to
 * it and copy it there (flags in @answer_flags); -ETIMEDOUT if none came.
 */
static int raw_send(__u16 mode, __u32 port, const void *payload, __u32 len,
		    void *answer, size_t answer_size, __u16 *answer_flags)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct vmmgmt_rec *r = (struct vmmgmt_rec *)buf;
	double end;
	int fd, ret = 0;

	fd = open_dev();
	if (fd < 0)
		return errno;
	memset(r, 0, sizeof(*r));
	r->len = len;
	r->mode = mode;
	r->id = 0x6d6f646573ULL;
	r->dst.vm = guests[0].id;
	r->dst.port = port;
	memcpy(r + 1, payload, len);
	if (write(fd, buf, sizeof(*r) + len) < 0) {
		ret = errno;
		goto out;
	}
	if (!answer)
		goto out;
	end = vmmgmt_now_s() + ANSWER_SECS;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (vmmgmt_now_s() >= end || poll(&p, 1, 500) < 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (!(p.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < (ssize_t)sizeof(*r) || r->id != 0x6d6f646573ULL ||
		    !(r->flags & VMMGMT_REC_F_RESPONSE))
			continue;
		*answer_flags = r->flags;
		memcpy(answer, r + 1, r->len < answer_size ? r->len : answer_size);
		break;
	}
out:
	close(fd);
	return ret;
}

int main(void)
{
	struct boot_guest *g = &guests[0];
	struct vmmgmt_stats_ctl req = { .op = VMMGMT_STATS_CTL_SET };
	char seen[128], out[1024], period[16];
	char *name = (char *)g->name;
	long long s0, s1, s2;
	__u8 answer[16] = { 0 };
	__u16 flags = 0;
	__u32 err;
	bool ok;
	int ret;

	ksft_print_header();
	boot_init("VMMGMT_MODES_DIR", "/tmp/modes-vmmgmtd.log", guests, 1);
	boot.dump_keys = dump_keys;
	boot.on_fatal = dump_guests;
	boot_need_kvm();
	ksft_set_plan(11);
	boot_begin();

	start_vmmgmtd();
	start_guest(g, NULL);
	if (!wait_line(g->log, 0, "VMMGMT-MODES modes-a ready", NULL, 0,
		       BOOT_SECS))
		fatal("%s: not ready: see %s", g->name, g->log);

	/* 1. What the guest's owner has on. */
	ksft_test_result(wait_guest_modes("chat stats", 10, seen, sizeof(seen)),
			 "guest_modes: '%s' (chat stats)\n", seen);

	/* 2. The host drives the sampling. */
	ret = run_ctl(out, sizeof(out), "stats", name, "--get", NULL);
	ok = !ret && strstr(out, "sampling off");
	ksft_test_result(ok, "stats --get: exit %d, '%s' (sampling off)\n", ret,
			 first_line(out));
	snprintf(period, sizeof(period), "%d", PERIOD_MS);
	s0 = vm_attr_num(g->name, "stats/samples");
	ret = run_ctl(out, sizeof(out), "stats", name, "--period", period, NULL);
	ok = !ret && strstr(out, "sampling on, every 200 ms");
	ksft_test_result(ok, "stats --period 200: exit %d, '%s'\n", ret,
			 first_line(out));
	sleep(1);
	s1 = vm_attr_num(g->name, "stats/samples");
	sleep(3);
	s2 = vm_attr_num(g->name, "stats/samples");
	/* 7..16 in 3 s, as check_stats in host-init allows. */
	ksft_test_result(s1 > s0 && s2 - s1 >= 7 && s2 - s1 <= 16,
			 "samples: %lld before, %lld in 3 s at 200 ms\n",
			 s0 < 0 ? 0 : s0, s2 - s1);
	req.sampling = 1;
	req.period_ms = 50;
	ret = raw_send(VMMGMT_MODE_STATS, 0, &req, sizeof(req), answer,
		       sizeof(answer), &flags);
	memcpy(&err, answer, sizeof(err));
	ksft_test_result(!ret && (flags & VMMGMT_REC_F_ERROR) && err == EINVAL,
			 "a period of 50 ms: answered %s (EINVAL)\n",
			 ret ? strerror(ret < 0 ? -ret : ret) :
			 flags & VMMGMT_REC_F_ERROR ? strerror(err) : "ok");
	ret = run_ctl(out, sizeof(out), "stats", name, "--off", NULL);
	ok = !ret && strstr(out, "sampling off");
	sleep(1);
	s1 = vm_attr_num(g->name, "stats/samples");
	sleep(2);
	s2 = vm_attr_num(g->name, "stats/samples");
	ksft_test_result(ok && s2 == s1,
			 "stats --off: exit %d, %lld samples in 2 s after\n", ret,
			 s2 - s1);

	/* 3. The host refuses what the guest has off. */
	ret = raw_send(VMMGMT_MODE_FILE, 9, "x", 1, NULL, 0, NULL);
	ksft_test_result(ret == EPERM, "a file record: write() %s (EPERM)\n",
			 ret ? strerror(ret) : "succeeded");

	/* 4. The owner turns stats off and file on. */
	ksft_test_result(owner_does("disable", "stats") &&
			 owner_does("enable", "file") &&
			 wait_guest_modes("chat file", 10, seen, sizeof(seen)),
			 "owner: stats off, file on: guest_modes '%s'\n", seen);
	ret = run_ctl(out, sizeof(out), "-j", "stats", name, "--get", NULL);
	ok = ret == 1 && strstr(out, "owner disabled");
	ksft_test_result(ok, "stats --get with stats off: exit %d, '%s'\n", ret,
			 first_line(out));
	ret = raw_send(VMMGMT_MODE_FILE, 9, "x", 1, NULL, 0, NULL);
	ksft_test_result(ret == 0, "a file record with file on: write() %s\n",
			 ret ? strerror(ret) : "succeeded");
	ret = raw_send(VMMGMT_MODE_STATS, 0, &req, sizeof(req), NULL, 0, NULL);
	ksft_test_result(ret == EPERM,
			 "a stats request with stats off: write() %s (EPERM)\n",
			 ret ? strerror(ret) : "succeeded");

	kill_all();
	dump_guests();
	ksft_finished();
}
