// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: a guest that stops reading stalls nobody but itself
 * (issue 12, flow control per destination, ABI 0.7).
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment
 * below) after the normal guests are done.  It starts its own vmmgmtd
 * for two VMs, allows them to talk (policy "allow hol-b hol-c"), binds
 * two host endpoints of its own (an echo endpoint, HOL_ECHO_PORT, and
 * one for the guests' reports, HOL_REPORT_PORT; see
 * selftests/vmmgmt_hol_proto.h) and boots, one at a time:
 *   hol-c (id 42, vmmgmt.mode=hol-c): binds HOL_C_PORT and listens for
 *	streams on HOL_C_STREAM_PORT, and never reads either: once B's
 *	messages fill its port's queue, its module leaves the rest in its
 *	host-to-guest ring, the host's send queue for it fills, and it is
 *	wedged.  VMMGMT_HOL_HOLD seconds (default 20) after the first
 *	message reached its port it breaks its own rings (the indexes it
 *	writes: the host does not read the guest-to-host ring of a VM
 *	whose host-to-guest ring is full, but waits for room there);
 *   hol-b (id 41, vmmgmt.mode=hol-b): the victim and the flooder, on the
 *	test's commands (selftests/guest-tools/vmmgmt_hol_peer.c).
 * Then (the host is the third participant), with B's quotas lifted:
 *  1. B's echo rate to the test's echo endpoint, 8 messages in flight,
 *     for VMMGMT_HOL_SECS seconds (default 4), C idle;
 *  2. B floods C: a stream to C's listener until its window closes, and
 *     blocking chat writes to C's port until one blocks (the host holds
 *     B's records for C and told B's module XOFF);
 *  3. B's echo rate again, with C wedged and B's writers blocked: at
 *     least 0.9 times the rate of 1 (the figure hol_victim_rate_kept);
 *  4. a host endpoint writer to C with a send timeout of 1000 ms
 *     (VMMGMT_HOST_IOC_SET_TIMEOUT) fails with ETIMEDOUT after 0.9 to
 *     1.5 s, and another one (timeout 600 s) is left blocked;
 *  5. C breaks its ring (host sysfs link_state "broken"): within 1 s B's
 *     blocked chat writer has returned and its file has the host's
 *     EHOSTDOWN answer for what was held; the blocked host writer fails
 *     with EPIPE within 1 s; a new host write fails with EPIPE at once;
 *  6. no kernel warning in the host, no problem in the guests' logs.
 * Each check is one TAP result.  With VMMGMT_HOL_FIGURES set it also
 * prints "FIGURE-HOST hol hol_victim_rate_kept RATIO ratio" for
 * scripts/bench.
 *
 * Environment (all required): VMMGMTD, VMMGMT_GUEST_KERNEL,
 * VMMGMT_GUEST_INITRD, VMMGMT_HOL_DIR (a directory for vmmgmtd's
 * sockets).  Without them the test is skipped, unless
 * VMMGMT_REQUIRE_DEVICE is set; it is skipped as well when the host
 * module is older than ABI 0.7.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vmmgmt.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"
#include "vmmgmt_guest_reports.h"
#include "../vmmgmt_hol_proto.h"

#define POLICY			VMMGMT_HOST_SYSFS "/policy"
/* A guest boots in 15-40 s under the TCG host VM; some slack. */
#define BOOT_SECS		150
#define NCHECKS			14
/* The bounds the issue sets. */
#define RATE_KEPT_MIN		0.9
#define WRITER_BOUND_S		1.0
#define HOST_TIMEOUT_MS		1000
#define HOST_TIMEOUT_SLACK_S	0.5
/* "At once". */
#define AT_ONCE_S		0.5

static struct boot_guest guests[] = {
	{ .name = "hol-b", .id = 41, .mode = "hol-b" },
	{ .name = "hol-c", .id = 42, .mode = "hol-c" },
};

static struct boot_guest *const gb = &guests[0];
static struct boot_guest *const gc = &guests[1];

static const char * const dump_keys[] = { "hol: ", NULL };

/* ---- the echo endpoint ---- */

static int echo_fd = -1;
static bool echo_stop;		/* __atomic */
static unsigned long long echoed, echo_errors;	/* __atomic */
static pthread_t echo_tid;

/* Answer every record with its payload, to where it came from. */
static void *echo_thread(void *arg)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct pollfd p = { .fd = echo_fd, .events = POLLIN };
	struct vmmgmt_rec r;
	ssize_t n;

	(void)arg;
	while (!__atomic_load_n(&echo_stop, __ATOMIC_RELAXED)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(echo_fd, buf, sizeof(buf));
		if (n < (ssize_t)sizeof(r)) {
			__atomic_add_fetch(&echo_errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		memcpy(&r, buf, sizeof(r));
		if (r.flags || r.mode != VMMGMT_MODE_CHAT) {
			__atomic_add_fetch(&echo_errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		r.dst = r.src;
		memset(&r.src, 0, sizeof(r.src));
		memcpy(buf, &r, sizeof(r));
		if (write(echo_fd, buf, n) != n)
			__atomic_add_fetch(&echo_errors, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&echoed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int echo_start(void)
{
	struct vmmgmt_bind b = { .port = HOL_ECHO_PORT };

	echo_fd = open_dev();
	if (echo_fd < 0 || ioctl(echo_fd, VMMGMT_HOST_IOC_BIND, &b))
		return -errno;
	return pthread_create(&echo_tid, NULL, echo_thread, NULL) ? -EAGAIN : 0;
}

static void echo_end(void)
{
	if (echo_fd < 0)
		return;
	__atomic_store_n(&echo_stop, true, __ATOMIC_RELAXED);
	pthread_join(echo_tid, NULL);
	close(echo_fd);
	echo_fd = -1;
}

/* ---- host writers to C ---- */

/* A host file with send timeout @ms; -errno on failure. */
static int open_writer(unsigned int ms)
{
	struct vmmgmt_host_timeout t = { .send_ms = ms };

	return vmmgmt_open_ioctl(VMMGMT_HOST_DEV, VMMGMT_HOST_IOC_SET_TIMEOUT, &t);
}

/* One HOL_FLOOD_LEN-byte chat record to C's port: 0 or errno, and how long. */
static int write_c(int fd, double *secs)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + HOL_FLOOD_LEN];
	struct vmmgmt_rec r = {
		.len = HOL_FLOOD_LEN, .mode = VMMGMT_MODE_CHAT,
		.dst = { .port = HOL_C_PORT },
	};
	double t = vmmgmt_now_s();
	ssize_t n;

	r.dst.vm = gc->id;
	memcpy(buf, &r, sizeof(r));
	memset(buf + sizeof(r), 'h', HOL_FLOOD_LEN);
	n = write(fd, buf, sizeof(buf));
	*secs = vmmgmt_now_s() - t;
	if (n == (ssize_t)sizeof(buf))
		return 0;
	return n < 0 ? errno : EIO;
}

/* The writer left blocked at C's break. */
static struct {
	int fd;
	int writes;	/* that went through before one blocked */
	int err;	/* __atomic; -1 while in write() */
	double t;	/* when that write returned */
	pthread_t tid;
} blocked = { .fd = -1, .err = -1 };

static void *blocked_writer(void *arg)
{
	double secs;
	int err;

	(void)arg;
	while (!(err = write_c(blocked.fd, &secs)) && blocked.writes < 1000)
		blocked.writes++;
	blocked.t = vmmgmt_now_s();
	__atomic_store_n(&blocked.err, err, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- C's state on the host ---- */

static bool c_state_is(const char *want)
{
	char buf[32];

	return !vm_attr(gc->name, "link_state", buf, sizeof(buf)) &&
	       !strncmp(buf, want, strlen(want));
}

/* Print the host's flow counters of B (ABI 0.7 sysfs), when there. */
static void print_flow_counters(const char *when)
{
	ksft_print_msg("%s: hol-b held %lld, credit notices %lld, overflows %lld; hol-c %s\n",
		       when, vm_attr_num(gb->name, "held"),
		       vm_attr_num(gb->name, "credit_notices"),
		       vm_attr_num(gb->name, "held_overflows"),
		       c_state_is("up") ? "up" : c_state_is("broken") ?
		       "broken" : "other");
}

static void deny_pair(void)
{
	vmmgmt_write_text(POLICY, "deny hol-b hol-c\n");
}

static void on_fatal(void)
{
	deny_pair();
	dump_guests();
}

/* "rate LABEL R ..." from B, within @secs; R, or -1. */
static double wait_rate(const char *label, double secs, long long *errors)
{
	char prefix[32], text[REPORT_TEXT_MAX];
	double rate = -1;

	snprintf(prefix, sizeof(prefix), "rate %s ", label);
	if (!reports_wait(gb->id, prefix, secs, text, sizeof(text), NULL))
		return -1;
	if (sscanf(text + strlen(prefix), "%lf", &rate) != 1)
		rate = -1;
	*errors = report_num(text, "errors", -1);
	return rate;
}

int main(void)
{
	unsigned int hold, secs, i;
	double idle, wedged, ratio = 0, t_flooded = 0, t_break = 0, t, d;
	double deadline, t_answer = 0;
	char text[REPORT_TEXT_MAX] = "", ret_text[REPORT_TEXT_MAX] = "";
	char args[96], want[40];
	long long e_idle = -1, e_wedged = -1;
	bool ok, flooded, streams, broke_early, found;
	int kwarn0, fd, err, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	boot_init("VMMGMT_HOL_DIR", "/tmp/hol-vmmgmtd.log", guests,
		  ARRAY_SIZE(guests));
	boot.dump_keys = dump_keys;
	boot.on_fatal = on_fatal;
	boot_need_kvm();
	host_need_abi(7, "flow control");
	hold = boot_env_uint("VMMGMT_HOL_HOLD", 20);
	secs = boot_env_uint("VMMGMT_HOL_SECS", 4);
	signal(SIGPIPE, SIG_IGN);
	ksft_set_plan(NCHECKS);
	boot_begin();
	kwarn0 = kernel_warnings();
	start_vmmgmtd();

	/* 1. The pair may talk. */
	ret = vmmgmt_write_text(POLICY, "allow hol-b hol-c\n");
	ksft_test_result(!ret, "policy: allow hol-b hol-c (%s)\n",
			 ret ? strerror(-ret) : "ok");

	/* 2. The test's endpoints. */
	ret = reports_start(HOL_REPORT_PORT);
	if (!ret)
		ret = echo_start();
	ksft_test_result(!ret, "host endpoints: reports on port %d, echo on port %d\n",
			 HOL_REPORT_PORT, HOL_ECHO_PORT);
	if (ret)
		fatal("host endpoints: %s", strerror(-ret));

	/* 3, 4. The guests, one boot at a time: C first, it only waits. */
	snprintf(args, sizeof(args), "iomem=relaxed vmmgmt.hol_hold=%u", hold);
	start_guest(gc, args);
	ok = reports_wait(gc->id, "ready", BOOT_SECS, text, sizeof(text), NULL);
	streams = report_num(text, "streams", 0) == 1;
	ksft_test_result(ok && streams, "hol-c booted: %s (streams expected)\n",
			 ok ? text : "no report");
	if (!ok)
		fatal("hol-c not ready within %d s: see %s", BOOT_SECS, gc->log);
	start_guest(gb, NULL);
	ok = reports_wait(gb->id, "ready", BOOT_SECS, text, sizeof(text), NULL);
	ksft_test_result(ok && report_num(text, "streams", 0) == 1,
			 "hol-b booted: %s (streams expected)\n",
			 ok ? text : "no report");
	if (!ok)
		fatal("hol-b not ready within %d s: see %s", BOOT_SECS, gb->log);
	/*
	 * The channel's rate, not the module's default quota (4000 records
	 * a second, about what B reaches): capped at the quota in both
	 * phases, a rate that drops with C wedged would not show.
	 */
	ret = vmmgmt_write_text(VMMGMT_HOST_VMS_SYSFS "/hol-b/quota/msgs_per_s", "0");
	if (!ret)
		ret = vmmgmt_write_text(VMMGMT_HOST_VMS_SYSFS "/hol-b/quota/bytes_per_s",
					"0");
	ksft_print_msg("hol-b's quotas lifted (0, unlimited): %s\n",
		       ret ? strerror(-ret) : "ok");

	/* 5. B's rate with C idle. */
	guest_command(gb->id, HOL_B_CTL_PORT, "rate idle %u", secs);
	idle = wait_rate("idle", secs + 30, &e_idle);
	ksft_test_result(idle > 0 && !e_idle,
			 "hol-b's echo rate to the host, hol-c idle: %.1f a second, %lld errors\n",
			 idle, e_idle);
	if (idle <= 0)
		fatal("no rate from hol-b");

	/* 6. B floods C: a stream until its window closes, then chat. */
	guest_command(gb->id, HOL_B_CTL_PORT, "flood %u", gc->id);
	ok = reports_wait(gb->id, "flood started", 25, NULL, 0, NULL);
	flooded = reports_wait(gc->id, "flooded", 10, NULL, 0, &t_flooded);
	if (!flooded)
		t_flooded = vmmgmt_now_s();
	found = reports_wait(gb->id, "writer blocked", 15, text, sizeof(text),
			     NULL);
	ret = streams ? reports_wait(gb->id, "stream connected", 0, NULL, 0, NULL) : 1;
	print_flow_counters("flooded");
	ksft_test_result(ok && flooded && found && ret,
			 "hol-b floods hol-c: %s%s, chat writer %s\n",
			 streams ? "stream " : "no stream",
			 streams ? ret ? "connected" : "NOT CONNECTED" : "",
			 found ? text : "NEVER BLOCKED");

	/* 7. B's rate with C wedged: the figure. */
	guest_command(gb->id, HOL_B_CTL_PORT, "rate wedged %u", secs);
	wedged = wait_rate("wedged", secs + 30, &e_wedged);
	ratio = wedged > 0 ? wedged / idle : 0;
	print_flow_counters("measured");
	ksft_test_result(ratio >= RATE_KEPT_MIN && !e_wedged,
			 "hol-b's rate with hol-c wedged: %.1f a second, %.3f of idle (at least %.1f), %lld errors\n",
			 wedged, ratio, RATE_KEPT_MIN, e_wedged);
	ksft_print_msg("figure: hol_victim_rate_kept %.3f (idle %.1f, wedged %.1f a second)\n",
		       ratio, idle, wedged);
	if (getenv("VMMGMT_HOL_FIGURES")) {
		printf("FIGURE-HOST hol hol_victim_rate_kept %.3f ratio\n", ratio);
		fflush(stdout);
	}

	/* 8. A host writer to wedged C: its timeout, then ETIMEDOUT. */
	broke_early = !c_state_is("up");
	fd = open_writer(HOST_TIMEOUT_MS);
	err = fd < 0 ? -fd : 0;
	d = 0;
	for (i = 0; !err && i < 1000; i++)
		err = write_c(fd, &d);
	broke_early |= !c_state_is("up");
	ksft_test_result(err == ETIMEDOUT && d >= HOST_TIMEOUT_MS / 1000.0 - 0.1 &&
			 d <= HOST_TIMEOUT_MS / 1000.0 + HOST_TIMEOUT_SLACK_S &&
			 !broke_early,
			 "host writer (timeout %d ms) to wedged hol-c: %s after %.2f s, %u writes went through%s\n",
			 HOST_TIMEOUT_MS, err ? strerror(err) : "never blocked",
			 d, i ? i - 1 : 0,
			 broke_early ? " (hol-c broke too early: raise VMMGMT_HOL_HOLD)" : "");
	if (fd >= 0)
		close(fd);

	/* One more, left blocked until C breaks. */
	blocked.fd = open_writer(600000);
	if (blocked.fd < 0) {
		ksft_print_msg("no host writer to leave blocked: %s\n",
			       strerror(-blocked.fd));
		blocked.err = -blocked.fd;
		blocked.t = 0;
	} else if (pthread_create(&blocked.tid, NULL, blocked_writer, NULL)) {
		fatal("pthread_create");
	}
	vmmgmt_sleep_ms(500);
	if (blocked.fd >= 0 && __atomic_load_n(&blocked.err, __ATOMIC_ACQUIRE) != -1)
		ksft_print_msg("host writer to block returned at once: %s, %d writes\n",
			       strerror(blocked.err), blocked.writes);

	/* 9. C breaks its ring. */
	deadline = (flooded ? t_flooded : vmmgmt_now_s()) + hold + 30;
	while (!c_state_is("broken") && vmmgmt_now_s() < deadline)
		vmmgmt_sleep_ms(5);
	t_break = vmmgmt_now_s();
	ok = c_state_is("broken");
	print_flow_counters("broken");
	ksft_test_result(ok,
			 "hol-c broke its ring: host link_state %s, %.1f s after it was flooded\n",
			 ok ? "broken" : "NOT broken", t_break - t_flooded);
	if (!ok)
		t_break = vmmgmt_now_s();

	/* 10. B's blocked writer: returned, and EHOSTDOWN for what was held. */
	found = false;
	t = 0;
	while (!found && reports_wait(gb->id, "writer ", t_break + 5 - vmmgmt_now_s(),
				      text, sizeof(text), &t)) {
		if (!strncmp(text, "writer returned", 15))
			snprintf(ret_text, sizeof(ret_text), "%s", text);
		else if (!strncmp(text, "writer answer", 13) && t >= t_break - 0.1 &&
			 report_num(text, "errno", 0) == EHOSTDOWN)
			found = true;
	}
	t_answer = t;
	snprintf(want, sizeof(want), "%d", EHOSTDOWN);
	ksft_test_result(ok && found && t_answer - t_break <= WRITER_BOUND_S,
			 "hol-b's blocked writer to hol-c: %s; the EHOSTDOWN (%s) answer reported %.2f s after the break (at most %.1f)\n",
			 ret_text[0] ? ret_text : "never returned", want,
			 found ? t_answer - t_break : -1.0, WRITER_BOUND_S);

	/* 11. The blocked host writer: EPIPE. */
	deadline = t_break + 5;
	while (__atomic_load_n(&blocked.err, __ATOMIC_ACQUIRE) == -1 &&
	       vmmgmt_now_s() < deadline)
		vmmgmt_sleep_ms(5);
	err = __atomic_load_n(&blocked.err, __ATOMIC_ACQUIRE);
	d = err == -1 || blocked.fd < 0 ? -1.0 : blocked.t - t_break;
	ksft_test_result(ok && err == EPIPE && d >= -0.1 && d <= WRITER_BOUND_S,
			 "blocked host writer to hol-c: %s, %.2f s after the break (at most %.1f)\n",
			 err == -1 ? "still blocked" : strerror(err), d,
			 WRITER_BOUND_S);

	/* 12. A new host write: EPIPE at once. */
	fd = open_writer(HOST_TIMEOUT_MS);
	err = fd < 0 ? -fd : write_c(fd, &d);
	ksft_test_result(ok && err == EPIPE && d <= AT_ONCE_S,
			 "host write to broken hol-c: %s after %.2f s (EPIPE at once)\n",
			 err ? strerror(err) : "went through", d);
	if (fd >= 0)
		close(fd);
	/* What became of B's stream to C: printed, not checked. */
	if (reports_wait(gb->id, "stream ended", 0.5, text, sizeof(text), NULL))
		ksft_print_msg("hol-b's stream to hol-c: %s\n", text);

	/* 13, 14. No problem anywhere. */
	kill_all();
	if (__atomic_load_n(&blocked.err, __ATOMIC_ACQUIRE) == -1)
		ksft_print_msg("the blocked host writer is still blocked with hol-c gone\n");
	else if (blocked.fd >= 0)
		pthread_join(blocked.tid, NULL);
	echo_end();
	reports_stop();
	deny_pair();
	boot_check_guest_logs();
	boot_check_host_log(kwarn0);
	boot_finished();
}
