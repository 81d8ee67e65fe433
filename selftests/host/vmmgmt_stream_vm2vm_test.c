// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: a stream from one guest to another through the host
 * (issue 12, streams, ABI 0.7).
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment
 * below) after the normal guests are done.  It starts its own vmmgmtd
 * for two VMs, binds a host endpoint for the guests' reports
 * (STREAM_REPORT_PORT, selftests/vmmgmt_stream_proto.h) and boots, one at
 * a time:
 *   stream-b (id 52, vmmgmt.mode=stream-b): listens on STREAM_B_PORT and
 *	reads every stream it accepts to its end, hashing it (SHA-256);
 *   stream-a (id 51, vmmgmt.mode=stream-a): opens streams on the test's
 *	commands (selftests/guest-tools/vmmgmt_vm2vm_peer.c).
 * Then:
 *  1. the policy does not allow the pair: a's VMMGMT_IOC_STREAM_CONNECT
 *     to b's listener fails with EACCES, and b accepts nothing;
 *  2. "allow stream-a stream-b": a streams VMMGMT_STREAM_MIB MiB (default
 *     256) of pseudo-random bytes to b, shuts its side down and reads
 *     b's end of stream; both ends' SHA-256 and byte counts must agree,
 *     within VMMGMT_STREAM_SECS seconds (default 150);
 *  3. a streams again without end; once it flows, the test kills b's
 *     QEMU: a's write fails with ECONNRESET within 2 s of the kill;
 *  4. no kernel warning in the host, no problem in the guests' logs.
 * Each check is one TAP result.
 *
 * Environment (all required): VMMGMTD, VMMGMT_GUEST_KERNEL,
 * VMMGMT_GUEST_INITRD, VMMGMT_STREAM_DIR (a directory for vmmgmtd's
 * sockets).  Without them the test is skipped, unless
 * VMMGMT_REQUIRE_DEVICE is set; it is skipped as well when the host
 * module is older than ABI 0.7.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vmmgmt.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"
#include "vmmgmt_guest_reports.h"
#include "../vmmgmt_stream_proto.h"

#define POLICY			VMMGMT_HOST_SYSFS "/policy"
#define BOOT_SECS		150
#define NCHECKS			10
/* A killed peer resets the stream within this long. */
#define RESET_BOUND_S		2.0
#define SEED			0x766d6d676d74ULL

static struct boot_guest guests[] = {
	{ .name = "stream-a", .id = 51, .mode = "stream-a" },
	{ .name = "stream-b", .id = 52, .mode = "stream-b" },
};

static struct boot_guest *const ga = &guests[0];
static struct boot_guest *const gb = &guests[1];

static const char * const dump_keys[] = { "stream: ", NULL };

static void deny_pair(void)
{
	vmmgmt_write_text(POLICY, "deny stream-a stream-b\n");
}

static void on_fatal(void)
{
	deny_pair();
	dump_guests();
}

/* Whether the policy file lists the pair. */
static bool pair_listed(void)
{
	char buf[4096];

	return !vmmgmt_read_text(POLICY, buf, sizeof(buf)) &&
	       (strstr(buf, "stream-a stream-b") || strstr(buf, "stream-b stream-a"));
}

int main(void)
{
	char text[REPORT_TEXT_MAX] = "", atext[REPORT_TEXT_MAX] = "", line[512] = "";
	char asha[80], bsha[80];
	unsigned int mib, limit;
	unsigned long long bytes;
	long long abytes, bbytes, aerr, berr;
	double t0, t_kill, t, secs;
	bool ok, got;
	int kwarn0, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	boot_init("VMMGMT_STREAM_DIR", "/tmp/stream-vmmgmtd.log", guests,
		  ARRAY_SIZE(guests));
	boot.dump_keys = dump_keys;
	boot.on_fatal = on_fatal;
	boot_need_kvm();
	host_need_abi(7, "streams");
	mib = boot_env_uint("VMMGMT_STREAM_MIB", 256);
	limit = boot_env_uint("VMMGMT_STREAM_SECS", 150);
	bytes = (unsigned long long)mib << 20;
	ksft_set_plan(NCHECKS);
	boot_begin();
	kwarn0 = kernel_warnings();
	start_vmmgmtd();

	/* 1. The pair is not allowed (yet). */
	ret = vmmgmt_write_text(POLICY, "deny stream-a stream-b\n");
	ksft_test_result(!ret && !pair_listed(),
			 "policy: stream-a and stream-b not allowed\n");

	/* 2. The reports' endpoint. */
	ret = reports_start(STREAM_REPORT_PORT);
	ksft_test_result(!ret, "host endpoint for the guests' reports on port %d\n",
			 STREAM_REPORT_PORT);
	if (ret)
		fatal("report endpoint: %s", strerror(-ret));

	/* 3, 4. The guests, one boot at a time: the listener first. */
	start_guest(gb, NULL);
	ok = reports_wait(gb->id, "b ready", BOOT_SECS, text, sizeof(text), NULL);
	ksft_test_result(ok && report_num(text, "listen", -1) == 0 &&
			 strstr(text, " sha=ok"),
			 "stream-b booted: %s (listening, SHA-256 self-test ok)\n",
			 ok ? text : "no report");
	if (!ok)
		fatal("stream-b not ready within %d s: see %s", BOOT_SECS, gb->log);
	start_guest(ga, NULL);
	ok = reports_wait(ga->id, "a ready", BOOT_SECS, text, sizeof(text), NULL);
	ksft_test_result(ok && strstr(text, " sha=ok"),
			 "stream-a booted: %s (SHA-256 self-test ok)\n",
			 ok ? text : "no report");
	if (!ok)
		fatal("stream-a not ready within %d s: see %s", BOOT_SECS, ga->log);

	/* 5. Denied by the policy. */
	guest_command(ga->id, STREAM_A_CTL_PORT, "connect %u %d", gb->id,
		      STREAM_B_PORT);
	ok = reports_wait(ga->id, "a connect", 30, text, sizeof(text), NULL);
	aerr = ok ? report_num(text, "err", -1) : -1;
	got = reports_wait(gb->id, "b accepted", 0.5, NULL, 0, NULL);
	ksft_test_result(aerr == EACCES && !got,
			 "policy denies the pair: stream-a's connect to stream-b's listener: %s (EACCES); stream-b accepted %s\n",
			 aerr < 0 ? "no report" : aerr ? strerror(aerr) : "connected",
			 got ? "ONE" : "none");

	/* 6, 7. Allowed: the whole stream, checked at both ends. */
	ret = vmmgmt_write_text(POLICY, "allow stream-a stream-b\n");
	if (ret)
		ksft_print_msg("allow stream-a stream-b: %s\n", strerror(-ret));
	t0 = vmmgmt_now_s();
	guest_command(ga->id, STREAM_A_CTL_PORT, "send %u %d %llu %llu", gb->id,
		      STREAM_B_PORT, bytes, SEED);
	/* b's end, unless a gives up first. */
	got = false;
	ok = false;
	while (!got && vmmgmt_now_s() - t0 < limit) {
		got = reports_wait(gb->id, "b recv", 0.5, text, sizeof(text), NULL);
		if (!got && !ok)
			ok = reports_wait(ga->id, "a sent", 0, atext,
					  sizeof(atext), NULL);
		if (ok && report_num(atext, "err", 0))
			break;
	}
	if (!ok)
		ok = reports_wait(ga->id, "a sent", got ? 30 : 1, atext,
				  sizeof(atext), NULL);
	secs = vmmgmt_now_s() - t0;
	if (!got && !ok)
		fatal("%u MiB from stream-a to stream-b: no end within %u s", mib,
		      limit);
	/* Who stream-b says it accepted: stream-a. */
	if (reports_wait(gb->id, "b accepted", 0, line, sizeof(line), NULL))
		ksft_print_msg("stream-b: %s (stream-a is VM %u)\n", line, ga->id);
	line[0] = '\0';
	berr = got ? report_num(text, "err", -1) : -1;
	bbytes = got ? report_num(text, "bytes", -1) : -1;
	report_str(text, "sha", bsha, sizeof(bsha));
	aerr = ok ? report_num(atext, "err", -1) : -1;
	abytes = ok ? report_num(atext, "bytes", -1) : -1;
	report_str(atext, "sha", asha, sizeof(asha));
	ksft_test_result(got && !berr && bbytes == (long long)bytes &&
			 strlen(bsha) == 64 && !strcmp(asha, bsha),
			 "%u MiB stream-a -> stream-b: stream-b read %lld bytes to the end (err %lld), SHA-256 %s stream-a's (%.1f s, %.1f MB/s)\n",
			 mib, bbytes, berr,
			 strlen(bsha) == 64 && !strcmp(asha, bsha) ? "equal to" :
			 "NOT equal to", secs, got ? bytes / secs / 1e6 : 0.0);
	ksft_test_result(ok && !aerr && abytes == (long long)bytes &&
			 report_num(atext, "eof", 0) == 1,
			 "stream-a: %s (all written, shut down, stream-b's end of stream read)\n",
			 ok ? atext : "no report");

	/* 8. stream-b killed mid-stream: stream-a's stream is reset. */
	guest_command(ga->id, STREAM_A_CTL_PORT, "flow %u %d", gb->id,
		      STREAM_B_PORT);
	/* "a streaming", or "a reset" if it never flowed. */
	text[0] = '\0';
	t = 0;
	ok = reports_wait(ga->id, "a ", 60, text, sizeof(text), &t) &&
	     !strncmp(text, "a streaming", 11) &&
	     reports_wait(gb->id, "b accepted", 5, NULL, 0, NULL);
	if (!ok)
		ksft_print_msg("stream-a's stream to stream-b not flowing: %s\n",
			       text);
	t_kill = vmmgmt_now_s();
	if (gb->pid > 0) {
		kill(gb->pid, SIGKILL);
		waitpid(gb->pid, NULL, 0);
		gb->pid = 0;
	}
	got = !strncmp(text, "a reset", 7);
	if (!got)
		got = reports_wait(ga->id, "a reset", RESET_BOUND_S + 10, text,
				   sizeof(text), &t);
	aerr = got ? report_num(text, "err", -1) : -1;
	ksft_test_result(ok && got && aerr == ECONNRESET && t >= t_kill &&
			 t - t_kill <= RESET_BOUND_S,
			 "stream-b killed mid-stream: stream-a's stream %s %.2f s after the kill (ECONNRESET within %.0f s)\n",
			 !ok ? "never flowed;" : !got ? "not reset" :
			 aerr ? strerror(aerr) : "ended without error",
			 got ? t - t_kill : -1.0, RESET_BOUND_S);
	for (t = vmmgmt_now_s() + 10; vm_attr_num(gb->name, "vm_id") >= 0 &&
	     vmmgmt_now_s() < t;)
		vmmgmt_sleep_ms(100);
	ksft_print_msg("stream-b's VM %s\n", vm_attr_num(gb->name, "vm_id") >= 0 ?
		       "still registered 10 s after its QEMU was killed" :
		       "is gone from the host");

	/* 9, 10. No problem anywhere. */
	kill_all();
	reports_stop();
	deny_pair();
	boot_check_guest_logs();
	boot_check_host_log(kwarn0);
	boot_finished();
}
