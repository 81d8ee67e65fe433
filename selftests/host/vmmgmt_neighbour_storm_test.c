// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: one VM's channel keeps moving beside a neighbour's reset
 * storm, and a lost notification, in either direction, costs a bounded
 * stall instead of the channel.
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment)
 * after the normal guests are done.  It starts its own vmmgmtd for two
 * VMs and boots them together:
 *   victim (id 31, vmmgmt.mode=traffic): echo traffic through the host's
 *	echo service, up to 8 messages in flight, VICTIM_RATE a second,
 *	without pause; its guest module's stall watchdog is set to
 *	VICTIM_STALL_MS (vmmgmt.stall_ms);
 *   storm (id 32, vmmgmt.mode=storm): raw channel reset requests in 1 s
 *	bursts with 1 s pauses (vmmgmt_reset_storm), as the hostile test's
 *	reset_storm, which once wedged its neighbour for good (issue 10).
 *
 * The victim's progress is its rx_msgs in sysfs, sampled every SAMPLE_MS;
 * a round's figure is the longest time it did not move.  Three phases,
 * the storm running throughout:
 *  1. natural: no fault injected; every gap stays below NATURAL_LIMIT_MS.
 *  2. host watchdog: each round drops one notification of the victim's
 *     on the host (debugfs drop_calls: an interrupt to the guest; then
 *     drop_kicks: a doorbell), alternately; the host's stall_ms is
 *     HOST_STALL_MS.  Each stall ends within HOST_LIMIT_MS, and the host
 *     counts one more stalls_recovered per round.
 *  3. guest watchdog: the host's watchdog off (stall_ms 0), the same
 *     drops; the guest module's watchdog alone must end each stall within
 *     GUEST_LIMIT_MS, and the host sends nothing on its own (stall_kicks
 *     unchanged).
 * Then: the storm's resets really happened, no kernel warning in the host
 * and no problem in either guest's console log.
 *
 * VMMGMT_STORM_ROUNDS=N sets the rounds of each phase (default 6 for the
 * first two, 4 for the third).  A guest killed by the test bed's nested
 * emulation (a double fault or a stack guard page hit in the kernel's
 * entry code, Documentation/testbed.rst) makes the test start once more
 * from scratch; the second time it fails.  VMMGMT_STORM_WATCHDOGS=off boots the
 * victim and runs the host without any watchdog: the product as it was
 * before them, for the evidence (a dropped notification then stops the
 * victim for good, and the test fails).
 *
 * Environment (all required): VMMGMTD, VMMGMT_GUEST_KERNEL,
 * VMMGMT_GUEST_INITRD, VMMGMT_STORM_DIR (a directory for vmmgmtd's
 * sockets).  Without them the test is skipped, unless
 * VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"

/* Two guests boot together on the host VM's one vCPU under TCG. */
#define BOOT_SECS		180
#define SAMPLE_MS		50
#define ROUND_MS		3000
/* After a drop, the round lasts this long past the stall bound. */
#define INJECT_ROUND_EXTRA_MS	3000
/* A dropped notification must be consumed (a post needed it) by then. */
#define DROP_TAKEN_MS		3000
/*
 * The victim's messages a second.  Unpaced it sends about 4000 on 6.12,
 * and its guest died of a double fault in 3 of 6 runs (the test bed's
 * nested emulation, Documentation/testbed.rst); a gap is measured as well
 * at this rate, one message every millisecond against 50 ms samples.
 */
#define VICTIM_RATE		1000
#define HOST_STALL_MS		1000
#define VICTIM_STALL_MS		3000
/*
 * Limits on the longest gap.  A watchdog notifies after two looks of
 * stall_ms / 2 without progress: between 1 and 1.5 stall_ms after the
 * ring stopped.  Another second allows for the emulated guest to run its
 * work and the sample interval.
 */
#define NATURAL_LIMIT_MS	(HOST_STALL_MS * 3 / 2 + 1000)
#define HOST_LIMIT_MS		(HOST_STALL_MS * 3 / 2 + 1000)
#define GUEST_LIMIT_MS		(VICTIM_STALL_MS * 3 / 2 + 1000)

#define STALL_PARAM	"/sys/module/vmmgmt_host/parameters/stall_ms"
#define DEBUGFS		"/sys/kernel/debug"
#define VICTIM_DEBUGFS	DEBUGFS "/vmmgmt-host/victim"

static struct boot_guest guests[] = {
	{ .name = "victim", .id = 31, .mode = "traffic" },
	{ .name = "storm", .id = 32, .mode = "storm" },
};

static struct boot_guest *const victim = &guests[0];
static struct boot_guest *const storm = &guests[1];

/* The host's stall_ms before the test, put back by cleanup(). */
static char host_stall_saved[32];

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static void set_host_stall(unsigned int ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", ms);
	if (write_text(STALL_PARAM, buf))
		fatal("cannot write %s: %s", STALL_PARAM, strerror(errno));
}

static void restore_host_stall(void)
{
	if (host_stall_saved[0])
		write_text(STALL_PARAM, host_stall_saved);
}

/* The victim's host-side channel state, for a failure's diagnosis. */
static void dump_channel(const char *why)
{
	char buf[2048];

	if (vmmgmt_read_text(VICTIM_DEBUGFS "/channel", buf, sizeof(buf)))
		return;
	ksft_print_msg("%s: victim's channel as the host sees it:\n", why);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		ksft_print_msg("  %s\n", line);
}

/* A sample interval this much longer than asked means the host VM froze. */
#define FROZEN_MS		250

/* Host VM time lost to freezes over the whole test, in ms. */
static long frozen_total_ms;

/*
 * Sample the victim's rx_msgs for @ms; the longest time it did not move,
 * in ms.  @moved: how many it moved by in all.
 *
 * Time the host VM itself did not run is not counted: the test bed's
 * host VM loses a timer interrupt now and then and stands still for about
 * 2 s until vm-run's watcher kicks it (Documentation/testbed.rst), and
 * the guests stand still with it.  A sample that came FROZEN_MS or more
 * late is such a freeze; its lateness is taken off the gap it falls in
 * and added to frozen_total_ms.
 */
static long longest_gap(long ms, long long *moved)
{
	long long first = vm_attr_num(victim->name, "rx_msgs"), last = first;
	double start = vmmgmt_now_s(), t_last = start, end = start + ms / 1000.0;
	double prev = start, t, frozen = 0, late;
	long gap = 0, g;
	long long v;

	while (vmmgmt_now_s() < end) {
		vmmgmt_sleep_ms(SAMPLE_MS);
		t = vmmgmt_now_s();
		late = t - prev - SAMPLE_MS / 1000.0;
		if (late * 1000 >= FROZEN_MS) {
			frozen += late;
			frozen_total_ms += (long)(late * 1000);
		}
		prev = t;
		v = vm_attr_num(victim->name, "rx_msgs");
		if (v != last) {
			g = (long)((t - t_last - frozen) * 1000);
			if (g > gap)
				gap = g;
			last = v;
			t_last = t;
			frozen = 0;
		}
	}
	g = (long)((vmmgmt_now_s() - t_last - frozen) * 1000);
	if (g > gap)
		gap = g;
	*moved = last - first;
	return gap;
}

/*
 * Wait until @attr of @g's VM in sysfs grew twice in a row past @floor
 * (its traffic flows, or its storm resets the channel).
 */
static bool wait_growing(const struct boot_guest *g, const char *attr,
			 long long floor)
{
	double end = vmmgmt_now_s() + BOOT_SECS;
	long long last = -1, v;
	int grew = 0;

	while (vmmgmt_now_s() < end && grew < 2) {
		v = vm_attr_num(g->name, attr);
		if (last > floor && v > last)
			grew++;
		last = v;
		vmmgmt_sleep_ms(500);
	}
	return grew >= 2;
}

/*
 * One round: drop the victim's next interrupt (@file "drop_calls") or
 * doorbell ("drop_kicks") and measure the stall that follows.  Returns
 * the longest gap, or -1 if no notification was dropped in time.
 */
static long inject_round(const char *file, long limit_ms, long long *moved)
{
	char path[256], buf[32];
	double end;

	snprintf(path, sizeof(path), VICTIM_DEBUGFS "/%s", file);
	if (write_text(path, "1"))
		fatal("cannot write %s: %s", path, strerror(errno));
	/* Taken when the worker next needed one. */
	end = vmmgmt_now_s() + DROP_TAKEN_MS / 1000.0;
	while (vmmgmt_now_s() < end) {
		if (!vmmgmt_read_text(path, buf, sizeof(buf)) && !strcmp(buf, "0"))
			return longest_gap(limit_ms + INJECT_ROUND_EXTRA_MS,
					   moved);
		vmmgmt_sleep_ms(10);
	}
	write_text(path, "0");
	return -1;
}

/*
 * The victim's debugfs files, within 5 s; lists what debugfs has if
 * they do not come.
 */
static bool wait_debugfs(void)
{
	char cmd[128];
	int i;

	for (i = 0; i < 50; i++) {
		if (!access(VICTIM_DEBUGFS "/channel", R_OK))
			return true;
		vmmgmt_sleep_ms(100);
	}
	snprintf(cmd, sizeof(cmd), "grep debugfs /proc/mounts; ls -la %s %s/vmmgmt-host",
		 DEBUGFS, DEBUGFS);
	if (system(cmd) < 0)
		ksft_print_msg("cannot run '%s'\n", cmd);
	return false;
}

static unsigned int rounds_env(unsigned int dflt)
{
	const char *s = getenv("VMMGMT_STORM_ROUNDS");

	return s && atoi(s) > 0 ? (unsigned int)atoi(s) : dflt;
}

/*
 * The test bed's nested emulation kills a 6.12 guest under this load now
 * and then: a double fault or a stack guard page hit in the kernel's
 * entry code, with a user stack pointer in kernel mode
 * (Documentation/testbed.rst).  That is no result of vmmgmt's, so the
 * first attempt that meets it starts the test once more from scratch
 * (the results are kept until the end for that); a second one fails.
 */
#define ATTEMPT_ENV		"VMMGMT_STORM_ATTEMPT"
#define RESULTS_MAX		16

static struct {
	bool ok;
	char msg[256];
} results[RESULTS_MAX];
static unsigned int nr_results;
static char **self_argv;

static __printf(2, 3) void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (nr_results == RESULTS_MAX)
		fatal("more than %d results", RESULTS_MAX);
	results[nr_results].ok = ok;
	va_start(ap, fmt);
	vsnprintf(results[nr_results].msg, sizeof(results[0].msg), fmt, ap);
	va_end(ap);
	nr_results++;
}

static bool first_attempt(void)
{
	const char *a = getenv(ATTEMPT_ENV);

	return !a || atoi(a) < 2;
}

/*
 * A guest's kernel died of the test bed's known fault, in this attempt
 * (each attempt's guests start with empty logs); its first line in @line.
 */
static bool testbed_crash(char *line, size_t size)
{
	return guest_log_warning(line, size) &&
	       (strstr(line, "double fault") || strstr(line, "stack guard page"));
}

/* After the test bed's crash in the first attempt: start again. */
static void maybe_again(void)
{
	char line[512] = "";
	unsigned int i;

	if (!first_attempt() || !testbed_crash(line, sizeof(line)))
		return;
	kill_all();
	restore_host_stall();
	for (i = 0; i < nr_results; i++)
		ksft_print_msg("attempt 1: %s %s", results[i].ok ? "ok" : "not ok",
			       results[i].msg);
	ksft_print_msg("a guest died of the test bed's fault (%s): once more\n",
		       line);
	fflush(stdout);
	setenv(ATTEMPT_ENV, "2", 1);
	execv("/proc/self/exe", self_argv);
	ksft_exit_fail_msg("re-exec: %s\n", strerror(errno));
}

/* Phase 2 or 3: @n rounds of drops, alternately interrupts and doorbells. */
static void inject_phase(const char *name, unsigned int n, long limit_ms,
			 const char *counter, long long want_per_round)
{
	long long c0 = vm_attr_num(victim->name, counter), moved, c1;
	long worst = 0, gap;
	unsigned int i, missed = 0, over = 0;
	const char *file;

	for (i = 0; i < n; i++) {
		file = i % 2 ? "drop_kicks" : "drop_calls";
		gap = inject_round(file, limit_ms, &moved);
		ksft_print_msg("%s: round %u: %s: longest gap %ld ms, %lld answers\n",
			       name, i + 1, file, gap, moved);
		if (gap < 0) {
			missed++;
			continue;
		}
		if (gap > worst)
			worst = gap;
		if (gap > limit_ms || !moved) {
			if (!over++)
				dump_channel(name);
		}
	}
	c1 = vm_attr_num(victim->name, counter);
	result(!missed && !over,
	       "%s: %u dropped notifications, each stall ended within %ld ms (longest %ld ms, %u over, %u not taken)\n",
	       name, n, limit_ms, worst, over, missed);
	result(c1 - c0 == want_per_round * n,
	       "%s: host %s +%lld (want %lld)\n", name, counter,
	       c1 - c0, want_per_round * n);
}

/* Lines of the guests' logs that fatal() prints besides its own. */
static const char * const dump_keys[] = { "storm: ", "traffic: ", NULL };

/* The last @n lines of @g's console log, as TAP comments. */
static void tail_log(const struct boot_guest *g, unsigned int n)
{
	char cmd[400];

	ksft_print_msg("last %u lines of %s:\n", n, g->log);
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "tail -n %u %s | sed 's/^/# [%s] /'", n,
		 g->log, g->name);
	if (system(cmd) < 0)
		ksft_print_msg("cannot run '%s'\n", cmd);
}

/* A guest's kernel problem in full, from either console log. */
static void dump_problem(void)
{
	char cmd[400];

	fflush(stdout);
	snprintf(cmd, sizeof(cmd),
		 "grep -h -B2 -A30 -e 'Oops' -e 'PANIC' -e 'BUG:' -e 'WARNING:' %s %s | head -n 80 | sed 's/^/# /'",
		 victim->log, storm->log);
	if (system(cmd) < 0)
		ksft_print_msg("cannot run '%s'\n", cmd);
}

static void cleanup(void)
{
	unsigned int i;

	restore_host_stall();
	dump_guests();
	tail_log(victim, 40);
	dump_problem();
	maybe_again();
	/* The phases that ended before the failure: their own results. */
	for (i = 0; i < nr_results; i++)
		ksft_test_result(results[i].ok, "%s", results[i].msg);
}

int main(int argc, char **argv)
{
	bool off = getenv("VMMGMT_STORM_WATCHDOGS") &&
		   !strcmp(getenv("VMMGMT_STORM_WATCHDOGS"), "off");
	unsigned int i, nat = rounds_env(6), inj = rounds_env(6),
		     ginj = rounds_env(4);
	long long moved, r0, r1, rec0;
	char args[64], line[512] = "";
	long gap, worst = 0;
	int kwarn0;

	(void)argc;
	self_argv = argv;
	if (first_attempt())
		ksft_print_header();
	boot_init("VMMGMT_STORM_DIR", "/tmp/storm-vmmgmtd.log", guests,
		  ARRAY_SIZE(guests));
	boot_need_kvm();
	if (access(DEBUGFS "/vmmgmt-host", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	if (vmmgmt_read_text(STALL_PARAM, host_stall_saved, sizeof(host_stall_saved)))
		ksft_exit_fail_msg("%s: %s\n", STALL_PARAM, strerror(errno));
	boot.on_fatal = cleanup;
	boot.dump_keys = dump_keys;
	boot_begin();
	if (first_attempt())
		ksft_set_plan(9);
	kwarn0 = kernel_warnings();

	set_host_stall(off ? 0 : HOST_STALL_MS);
	start_vmmgmtd();
	snprintf(args, sizeof(args), "vmmgmt.stall_ms=%u vmmgmt.rate=%u",
		 off ? 0 : VICTIM_STALL_MS, VICTIM_RATE);
	/* One guest boots at a time (Documentation/testing.rst). */
	start_guest(victim, args);
	if (!wait_growing(victim, "rx_msgs", 0))
		fatal("victim's traffic not flowing within %d s", BOOT_SECS);
	/* Its tool maps BAR0, which the driver holds, as the hostile test. */
	start_guest(storm, "iomem=relaxed");
	/* Its probe's reset counts once: the storm's come on top. */
	if (!wait_growing(storm, "resets", 1))
		fatal("the storm not resetting within %d s", BOOT_SECS);
	if (!wait_debugfs())
		fatal("%s/channel missing (%s)", VICTIM_DEBUGFS, strerror(errno));
	r0 = vm_attr_num(storm->name, "resets");
	rec0 = vm_attr_num(victim->name, "stalls_recovered");

	/* 1. Natural: the storm alone. */
	for (i = 0; i < nat; i++) {
		gap = longest_gap(ROUND_MS, &moved);
		ksft_print_msg("natural: round %u: longest gap %ld ms, %lld answers, %lld resets\n",
			       i + 1, gap, moved,
			       vm_attr_num(storm->name, "resets"));
		if (gap > worst)
			worst = gap;
	}
	if (worst > NATURAL_LIMIT_MS)
		dump_channel("natural");
	result(worst <= NATURAL_LIMIT_MS,
	       "natural: %u rounds of %d ms beside the storm, longest victim gap %ld ms (limit %d)\n",
	       nat, ROUND_MS, worst, NATURAL_LIMIT_MS);
	ksft_print_msg("natural: host stalls_recovered of the victim +%lld\n",
		       vm_attr_num(victim->name, "stalls_recovered") - rec0);

	/* 2. The host's watchdog ends each stall. */
	inject_phase("host watchdog", inj, HOST_LIMIT_MS, "stalls_recovered",
		     off ? 0 : 1);

	/* 3. The guest's watchdog alone. */
	set_host_stall(0);
	inject_phase("guest watchdog", ginj, GUEST_LIMIT_MS, "stall_kicks", 0);
	restore_host_stall();

	r1 = vm_attr_num(storm->name, "resets");
	ksft_print_msg("the host VM stood still for %ld ms in all (not counted in the gaps)\n",
		       frozen_total_ms);
	result(r1 - r0 > 100,
	       "the storm reset its channel %lld times meanwhile\n",
	       r1 - r0);
	/* Its guest module's probe asks for one reset. */
	result(vm_attr_num(victim->name, "resets") <= 1 &&
	       vm_attr_num(victim->name, "violations") == 0,
	       "victim: no reset but its probe's, no violation\n");
	kill_all();
	result(kernel_warnings() == kwarn0,
	       "no kernel warning in the host\n");
	if (guest_log_warning(line, sizeof(line))) {
		dump_problem();
		maybe_again();
	}
	result(!line[0], "no problem in the guests' logs%s%s\n",
	       line[0] ? ": " : "", line);
	for (i = 0; i < nr_results; i++)
		ksft_test_result(results[i].ok, "%s", results[i].msg);
	ksft_finished();
}
