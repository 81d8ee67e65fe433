// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: restarts of everything around a running guest, under
 * sequence-numbered traffic both ways (ABI 0.8).
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment below)
 * after the normal guests are done.  It starts its own vmmgmtd for
 * restart-a (id 31) in its own socket directory and boots it with
 * vmmgmt.mode=seq: the guest's vmmgmt_seq_peer sends SEQ_RATE numbered
 * records a second to the test's endpoint and counts the numbers of the
 * test's records, which a thread of the test sends at the same rate
 * (ports, records, commands: selftests/vmmgmt_seq_proto.h).  After each
 * case the test asks the peer for its counters ("report N") and checks
 * both directions: nothing lost, duplicated or reordered (the counts are
 * printed and must be 0), and no write or read error in the guest.
 *
 *  1. vmmgmtd SIGKILL: the VM stays (orphan 1) and its records keep
 *     arriving; a new vmmgmtd adopts it ("adopted" in its log, sysfs
 *     adoptions 1, orphan 0); traffic never stopped (no gap over
 *     GAP_MAX_S between two records from the guest).
 *  2. restart-b (id 32) added with "vmmgmtctl vm add" while restart-a
 *     runs, booted (vmmgmt.mode=seq-once), says hello and bye to the test,
 *     removed with "vmmgmtctl vm del" (its VM gone, not in "vm list", its
 *     guest sees its link go and powers off); restart-a's traffic never
 *     stopped.
 *  3. QEMU "stop" (QMP) for STOP_SECS, then "cont": the traffic resumes.
 *  4. The guest frozen (suspend to idle) and woken after SLEEP_SECS by the
 *     ACPI power button (QMP system_powerdown); then suspended to RAM
 *     (ACPI S3) and woken by QMP system_wakeup: the traffic resumes and
 *     the guest module's suspends and resumes counters moved each time.
 *  5. The guest module reloaded (the peer closes its file, rmmod, insmod,
 *     binds again and goes on with its numbers): the test's records sent
 *     meanwhile are each delivered after it or answered with an error
 *     that the test's endpoint reads; lost is what neither happened to.
 *  6. vmmgmtd stopped with SIGTERM: the VM stays (orphan) and its traffic
 *     flows (the last counts); then QEMU killed: the host module removes
 *     the VM by itself, its sysfs dir and thread gone within REMOVED_SECS.
 * Then no kernel warning in the host's log or the guests'.  The cases run
 * in the order 3, 1, 2, 4, 5, 6: QEMU's stop needs no more than a working
 * channel, and checks the test's own machinery before the cases that
 * need ABI 0.8 of the host module, vmmgmtd and the guest module.  The
 * counts are since the start: a record lost in one case fails the
 * following ones too (each case's TAP lines name it).
 *
 * Every check is one TAP result.
 *
 * VMMGMT_SOAK_MINUTES=N (scripts/soak) makes it a fault-injection soak:
 * after the start, rounds of the cases 3, 1, 2, 4 and 5 until N minutes
 * are over (QEMU stopped for SOAK_STOP_SECS only; restart-b added and
 * removed each round, booted only every SOAK_EVERY rounds, as it is
 * slow), and every SOAK_EVERY rounds case 6 and restart-a booted again:
 * both ends' numbers start over (epoch_end(), start_traffic()); the
 * totals of all of restart-a's lives go on.  Case 6 ends the last round.
 * The same TAP lines as a single pass, per-round headers, and at the end
 * the FIGURE lines of scripts/soak (soak_faults, soak_msgs_lost,
 * soak_msgs_duplicated, soak_msgs_reordered, soak_host_kernel_warnings)
 * and one TAP result: none lost, duplicated, reordered, no warning.
 *
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_RESTART_DIR    a directory for vmmgmtd's sockets (created)
 * and VMMGMTCTL (default /opt/vmmgmt/bin/vmmgmtctl).  Without them the
 * test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"
#include "vmmgmt_guest_reports.h"
#include "../vmmgmt_seq_proto.h"

/* A guest boots in 15-30 s under the TCG host VM; some slack. */
#define BOOT_SECS		120
/* Teardown is synchronous in the host; a few seconds of scheduling. */
#define GONE_SECS		10
/* Case 6: the module sees QEMU's exit itself (the issue: within 2 s). */
#define REMOVED_SECS		2
/*
 * The longest silence between two records of restart-a (10 ms apart)
 * that still counts as traffic that never stopped: the TCG host VM
 * starting a daemon or booting restart-b beside it delays the guest.
 */
#define GAP_MAX_S		3.0
#define STOP_SECS		5
/* The soak: a shorter stop; restart-b booted, restart-a rebooted this often. */
#define SOAK_STOP_SECS		1
#define SOAK_EVERY		3
/* Case 4: the guest asleep this long before QEMU wakes it. */
#define SLEEP_SECS		3
/* The peer's answer to a command (a freeze takes 3 s, a reload more). */
#define ANSWER_SECS		60
/* Traffic from the guest resumes after a stop, freeze or reload. */
#define RESUME_SECS		20

enum { A, B, NGUESTS };

static struct boot_guest guests[NGUESTS] = {
	[A] = { .name = "restart-a", .id = 31, .mode = "seq" },
	[B] = { .name = "restart-b", .id = 32, .mode = "seq-once", .late = true },
};

static const char * const dump_keys[] = { "seq: ", NULL };

/*
 * The test's side of the traffic with restart-a.  Protected by @lock:
 * everything but @tid and @stop.
 */
static struct {
	pthread_mutex_t lock;
	pthread_t tid;
	bool stop;			/* __atomic */
	unsigned long long sent;	/* data records written to restart-a */
	unsigned long long write_errs;	/* failed writes (the number retried) */
	int write_err;			/* the last one's errno */
	struct seq_track rx;		/* restart-a's data records */
	double last_rx, max_gap;	/* vmmgmt_now_s() */
	unsigned long long answered;	/* error answers to our data records */
	long long answered_lo, answered_hi;
	int answer_err;			/* the last one's errno */
	unsigned long long stray;	/* data from another VM, odd answers */
} seq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.answered_lo = -1,
	.answered_hi = -1,
};

static int kwarn_base;
static unsigned long long case_write_errs;

/* The faults injected, by kind (the soak's summary). */
enum fault {
	F_QEMU_STOP, F_VMMGMTD_KILL, F_VM_ADD_DEL, F_SUSPEND, F_RELOAD,
	F_VMMGMTD_STOP, F_QEMU_KILL, NFAULTS
};

static const char * const fault_names[NFAULTS] = {
	[F_QEMU_STOP] = "QEMU stop and cont",
	[F_VMMGMTD_KILL] = "vmmgmtd SIGKILL and adoption",
	[F_VM_ADD_DEL] = "vm add and del",
	[F_SUSPEND] = "guest suspend (freeze, RAM)",
	[F_RELOAD] = "guest module reload",
	[F_VMMGMTD_STOP] = "vmmgmtd SIGTERM",
	[F_QEMU_KILL] = "QEMU killed (restart-a booted again)",
};

static unsigned long long faults[NFAULTS];

static unsigned long long soak_faults(void)
{
	unsigned long long n = 0;
	unsigned int i;

	for (i = 0; i < NFAULTS; i++)
		n += faults[i];
	return n;
}

/*
 * Messages lost, duplicated and reordered, both ways together: @epoch
 * from restart-a's current life (check_counts(): since its boot),
 * @total of its lives before.
 */
struct msg_counts {
	unsigned long long lost, dup, reordered;
};

static struct msg_counts epoch, total;

/* The soak: VMMGMT_SOAK_MINUTES set; its end (vmmgmt_now_s()). */
static bool soak;
static double soak_end;
static int stop_secs = STOP_SECS;
/* restart-a's sysfs adoptions since it was registered. */
static long long adoptions;

/* reports.take: restart-a's data and the error answers to ours. */
static bool seq_take(const struct vmmgmt_rec *r, const void *payload, size_t len)
{
	double now = vmmgmt_now_s();
	__u32 err = 0;
	__u64 n;

	if (r->flags & VMMGMT_REC_F_ERROR) {
		if (len == sizeof(err))
			memcpy(&err, payload, sizeof(err));
		pthread_mutex_lock(&seq.lock);
		/*
		 * Our data records' ids are their number + 1 (the last may
		 * be answered before the sender counted it).
		 */
		if (r->id && r->id <= seq.sent + 1) {
			n = r->id - 1;
			if (!seq.answered || (long long)n < seq.answered_lo)
				seq.answered_lo = n;
			if ((long long)n > seq.answered_hi)
				seq.answered_hi = n;
			seq.answered++;
			seq.answer_err = err;
		} else {
			seq.stray++;
		}
		pthread_mutex_unlock(&seq.lock);
		ksft_print_msg("error answer %s to record id %llu\n", strerror(err),
			       (unsigned long long)r->id);
		return true;
	}
	if (!seq_is_data(payload, len, &n))
		return false;
	pthread_mutex_lock(&seq.lock);
	if (r->src.vm != guests[A].id) {
		seq.stray++;
	} else {
		seq_track_add(&seq.rx, n);
		if (seq.last_rx > 0 && now - seq.last_rx > seq.max_gap)
			seq.max_gap = now - seq.last_rx;
		seq.last_rx = now;
	}
	pthread_mutex_unlock(&seq.lock);
	return true;
}

/* One data record numbered @n to restart-a's peer; 0 or -errno. */
static int send_data(__u64 n)
{
	struct seq_data d = { .magic = SEQ_MAGIC, .seq = n };
	struct vmmgmt_rec r = {
		.len = sizeof(d), .mode = VMMGMT_MODE_CHAT, .id = n + 1,
		.dst = { .vm = guests[A].id, .port = SEQ_GUEST_PORT },
	};
	__u8 buf[sizeof(r) + sizeof(d)];
	ssize_t w;

	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), &d, sizeof(d));
	w = write(reports.fd, buf, sizeof(buf));
	if (w < 0)
		return -errno;
	return w == (ssize_t)sizeof(buf) ? 0 : -EIO;
}

/* The sender thread: SEQ_RATE records a second; a failed one is retried. */
static void *seq_sender(void *arg)
{
	double next = vmmgmt_now_s(), now;
	unsigned long long n;
	int err;

	(void)arg;
	while (!__atomic_load_n(&seq.stop, __ATOMIC_RELAXED)) {
		now = vmmgmt_now_s();
		if (now < next) {
			vmmgmt_sleep_ms((unsigned int)((next - now) * 1000) + 1);
			continue;
		}
		next += 1.0 / SEQ_RATE;
		/* No burst to catch up after a write that blocked. */
		if (next < now - 0.2)
			next = now;
		pthread_mutex_lock(&seq.lock);
		n = seq.sent;
		pthread_mutex_unlock(&seq.lock);
		err = send_data(n);
		pthread_mutex_lock(&seq.lock);
		if (!err) {
			seq.sent++;
		} else {
			seq.write_errs++;
			seq.write_err = -err;
		}
		pthread_mutex_unlock(&seq.lock);
	}
	return NULL;
}

static void stop_sender(void)
{
	if (__atomic_exchange_n(&seq.stop, true, __ATOMIC_RELAXED))
		return;
	pthread_join(seq.tid, NULL);
}

static unsigned long long rx_recv(void)
{
	unsigned long long n;

	pthread_mutex_lock(&seq.lock);
	n = seq.rx.recv;
	pthread_mutex_unlock(&seq.lock);
	return n;
}

/* Wait up to @secs until more than @from records came from restart-a. */
static bool wait_rx_beyond(unsigned long long from, double secs)
{
	double end = vmmgmt_now_s() + secs;

	while (rx_recv() <= from) {
		if (vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(50);
	}
	return true;
}

/* A case starts: its longest gap, write errors and error answers from now on. */
/* seq.answered when the case began: only a reload may add to it. */
static unsigned long long case_answered;

static void case_begin(const char *what)
{
	ksft_print_msg("---- %s\n", what);
	pthread_mutex_lock(&seq.lock);
	seq.max_gap = 0;
	case_write_errs = seq.write_errs;
	case_answered = seq.answered;
	pthread_mutex_unlock(&seq.lock);
}

/* @text's "word=N" (report_num() wants a blank before the word). */
static long long counter(const char *text, const char *word)
{
	char t[REPORT_TEXT_MAX + 2];

	snprintf(t, sizeof(t), " %s", text);
	return report_num(t, word, -1);
}

/*
 * The counters of both directions after the case @what, since the
 * start: restart-a's for the test's records, the test's for restart-a's.
 * With @reload, records of the test that the guest never got but that
 * were answered with an error are not lost.  With @gap, the longest
 * silence of restart-a during the case is checked too.
 */
static void check_counts(const char *what, bool reload, bool gap)
{
	unsigned long long n, g2h_lost, answered, rx_dup, rx_reord, stray, werrs;
	long long g_sent, g_lost, g_dup, g_reord, g_err, g_lo, g_hi, h2g_lost, lo, hi;
	long long a_lo, a_hi;
	char rep[REPORT_TEXT_MAX];
	double max_gap;
	bool ok;

	pthread_mutex_lock(&seq.lock);
	n = seq.sent;
	pthread_mutex_unlock(&seq.lock);
	/* After every record counted in @n: the same send queue, in order. */
	if (guest_command(guests[A].id, SEQ_GUEST_PORT, "report %llu", n))
		fatal("%s: report command to restart-a: %s", what, strerror(errno));
	if (!reports_wait(guests[A].id, "sent=", ANSWER_SECS, rep, sizeof(rep), NULL))
		fatal("%s: no counters from restart-a within %d s", what, ANSWER_SECS);
	g_sent = counter(rep, "sent");
	g_lost = counter(rep, "lost");
	g_dup = counter(rep, "dup");
	g_reord = counter(rep, "reordered");
	g_err = counter(rep, "errors");
	g_lo = counter(rep, "missing_lo");
	g_hi = counter(rep, "missing_hi");

	/* The guest's report came after all it sent before: in order too. */
	pthread_mutex_lock(&seq.lock);
	g2h_lost = seq_track_missing(&seq.rx, g_sent < 0 ? 0 : g_sent, &lo, &hi);
	rx_dup = seq.rx.dup;
	rx_reord = seq.rx.reordered;
	stray = seq.stray + seq.rx.bogus;
	answered = seq.answered;
	a_lo = seq.answered_lo;
	a_hi = seq.answered_hi;
	werrs = seq.write_errs - case_write_errs;
	max_gap = seq.max_gap;
	pthread_mutex_unlock(&seq.lock);

	/* Both counts are since the start: answered ones were not lost. */
	h2g_lost = g_lost - (long long)answered;
	ksft_print_msg("%s: host -> guest: sent %llu, guest missed %lld (%lld..%lld),\n",
		       what, n, g_lost, g_lo, g_hi);
	ksft_print_msg("  error answers %llu (%lld..%lld, last %s),\n", answered, a_lo, a_hi,
		       answered ? strerror(seq.answer_err) : "-");
	ksft_print_msg("  lost %lld, dup %lld, reordered %lld\n", h2g_lost, g_dup, g_reord);
	ksft_print_msg("%s: guest -> host: sent %lld, lost %llu (%lld..%lld), dup %llu,\n",
		       what, g_sent, g2h_lost, lo, hi, rx_dup);
	ksft_print_msg("  reordered %llu, stray %llu; guest errors %lld; longest gap %.2f s\n",
		       rx_reord, stray, g_err, max_gap);
	ksft_print_msg("%s: test's writes failed %llu (last: %s)\n", what, werrs,
		       werrs ? strerror(seq.write_err) : "none");

	epoch.lost = (h2g_lost > 0 ? h2g_lost : 0) + g2h_lost;
	epoch.dup = (g_dup > 0 ? g_dup : 0) + rx_dup;
	epoch.reordered = (g_reord > 0 ? g_reord : 0) + rx_reord;

	/* Answered records are ones the guest missed, and no others. */
	ok = g_sent >= 0 && h2g_lost == 0 && g_dup == 0 && g_reord == 0 &&
	     (reload || answered == case_answered) &&
	     (!answered || (a_lo >= g_lo && a_hi <= g_hi));
	ksft_test_result(ok,
			 "%s: host -> guest: lost %lld, duplicated %lld, reordered %lld of %llu (%llu answered with an error)\n",
			 what, h2g_lost, g_dup, g_reord, n, answered);
	ksft_test_result(g_sent > 0 && !g2h_lost && !rx_dup && !rx_reord && !stray,
			 "%s: guest -> host: lost %llu, duplicated %llu, reordered %llu of %lld (stray %llu)\n",
			 what, g2h_lost, rx_dup, rx_reord, g_sent, stray);
	ksft_test_result(g_err == 0, "%s: guest: write and read errors %lld\n", what, g_err);
	if (!reload)
		ksft_test_result(!werrs, "%s: test's writes to the guest: %llu failed\n", what,
				 werrs);
	if (gap)
		ksft_test_result(max_gap <= GAP_MAX_S,
				 "%s: traffic never stopped: longest gap %.2f s (at most %.1f)\n",
				 what, max_gap, GAP_MAX_S);
}

/* The guest's traffic is back after @what: records from it again. */
static void check_resumed(const char *what)
{
	double t0 = vmmgmt_now_s();
	bool ok = wait_rx_beyond(rx_recv() + SEQ_RATE / 2, RESUME_SECS);

	ksft_test_result(ok, "%s: traffic from the guest again (%.1f s)\n", what,
			 vmmgmt_now_s() - t0);
}

/* 1. vmmgmtd SIGKILL and started again: the VM is adopted. */
static void case_vmmgmtd_kill(void)
{
	struct boot_guest *a = &guests[A];
	unsigned long long r0, r1;
	long long orphan;
	long from;
	int status;

	case_begin("case 1: vmmgmtd SIGKILL");
	status = stop_vmmgmtd(SIGKILL);
	faults[F_VMMGMTD_KILL]++;
	ksft_test_result(status != -1 && WIFSIGNALED(status),
			 "vmmgmtd SIGKILL: vmmgmtd killed (status %#x)\n", status);
	orphan = boot_wait_orphan(a, GONE_SECS);
	r0 = rx_recv();
	vmmgmt_sleep_ms(2000);
	r1 = rx_recv();
	ksft_test_result(orphan == 1 && r1 - r0 >= SEQ_RATE,
			 "vmmgmtd SIGKILL: restart-a kept (orphan %lld), %llu records from it in 2 s without vmmgmtd\n",
			 orphan, r1 - r0);
	from = file_size(boot.vmmgmtd_log);
	start_vmmgmtd();
	boot_check_adopted("vmmgmtd restarted", a, from, ++adoptions);
	vmmgmt_sleep_ms(1000);
	check_counts("vmmgmtd SIGKILL and restart", false, true);
}

/* The first line of @out, for a TAP line. */
static const char *first_line(char *out)
{
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/*
 * 2. restart-b added, booted (with @boot_b; the soak's other rounds
 * only add and delete it), chatting, deleted while restart-a runs.
 */
static void case_vm_add_del(bool boot_b)
{
	struct boot_guest *b = &guests[B];
	bool dir_gone, thread_gone, ok;
	char out[2048];
	double t;
	int rc;

	if (boot_b)
		case_begin("case 2: vmmgmtctl vm add, vm del");
	else
		case_begin("case 2: vmmgmtctl vm add, vm del (restart-b not booted)");
	rc = boot_vmmgmtctl(out, sizeof(out), "vm add %s --id %u", b->name, b->id);
	faults[F_VM_ADD_DEL]++;
	ksft_test_result(rc == 0, "vm add: vmmgmtctl vm add %s --id %u: exit %d %s\n", b->name,
			 b->id, rc, first_line(out));
	if (rc)
		fatal("vm add: vmmgmtctl vm add failed: cannot boot %s", b->name);
	if (boot_b) {
		t = vmmgmt_now_s();
		start_guest(b, NULL);
		if (!reports_wait(b->id, "hello", BOOT_SECS, NULL, 0, NULL))
			fatal("vm add: no hello from %s within %d s: see %s", b->name, BOOT_SECS,
			      b->log);
		ksft_test_result(true,
				 "vm add: %s booted on its new socket and said hello (%.0f s)\n",
				 b->name, vmmgmt_now_s() - t);
		ok = !guest_command(b->id, SEQ_GUEST_PORT, "bye") &&
		     reports_wait(b->id, "bye", ANSWER_SECS, NULL, 0, NULL);
		ksft_test_result(ok, "vm add: %s answered the test's bye\n", b->name);
	}

	rc = boot_vmmgmtctl(out, sizeof(out), "vm del %s", b->name);
	ksft_test_result(rc == 0, "vm del: vmmgmtctl vm del %s: exit %d %s\n", b->name, rc,
			 first_line(out));
	t = boot_wait_vm_gone(b, GONE_SECS, &dir_gone, &thread_gone);
	ksft_test_result(dir_gone && thread_gone,
			 "vm del: %s's sysfs dir and thread vmmgmt-%s gone (%.2f s)\n", b->name,
			 b->name, t);
	rc = boot_vmmgmtctl(out, sizeof(out), "vm list");
	ksft_print_msg("vm list after vm del:\n%s", out);
	ksft_test_result(rc == 0 && !strstr(out, b->name) && strstr(out, guests[A].name),
			 "vm del: vm list (exit %d) has %s and no %s\n", rc, guests[A].name,
			 b->name);
	if (boot_b)
		ksft_test_result(boot_stop_guest(b, BOOT_SECS / 2),
				 "vm del: %s's guest saw its link go and powered off\n", b->name);
	check_counts("vm add and del beside it", false, true);
}

/* 3. QEMU stop for stop_secs (STOP_SECS, SOAK_STOP_SECS), then cont. */
static void case_qemu_stop(void)
{
	struct boot_guest *a = &guests[A];
	unsigned long long r0, r1;
	bool ok;

	case_begin("case 3: QEMU stop, cont");
	ok = !guest_qmp(a, "stop");
	faults[F_QEMU_STOP]++;
	ksft_test_result(ok, "qemu stop: QMP stop\n");
	if (!ok)
		fatal("qemu stop: no QMP stop of %s", a->name);
	/* A record or two may still have been in flight. */
	vmmgmt_sleep_ms(500);
	r0 = rx_recv();
	vmmgmt_sleep_ms(stop_secs * 1000);
	r1 = rx_recv();
	ok = !guest_qmp(a, "cont");
	ksft_test_result(ok && r1 - r0 < SEQ_RATE / 10,
			 "qemu cont after %d s: QMP cont; %llu records came from the stopped guest\n",
			 stop_secs, r1 - r0);
	if (!ok)
		fatal("qemu cont: no QMP cont of %s", a->name);
	check_resumed("qemu cont");
	check_counts("qemu stop and cont", false, false);
}

/*
 * 4. The guest asleep (@state: "freeze" or "mem") and woken through QEMU
 * (@wake: QMP "system_powerdown", the ACPI power button, or
 * "system_wakeup") after SLEEP_SECS.
 */
static void case_sleep(const char *what, const char *state, const char *wake)
{
	char rep[REPORT_TEXT_MAX] = "", key[32], title[96];
	long long s0, s1, r0, r1;
	bool ok;

	snprintf(title, sizeof(title), "case 4: guest %s, woken by QMP %s", what, wake);
	case_begin(title);
	ok = !guest_command(guests[A].id, SEQ_GUEST_PORT, state);
	faults[F_SUSPEND]++;
	vmmgmt_sleep_ms(SLEEP_SECS * 1000);
	ok = ok && !guest_qmp(&guests[A], wake);
	snprintf(key, sizeof(key), "slept %s", state);
	ok = ok && reports_wait(guests[A].id, key, ANSWER_SECS, rep, sizeof(rep), NULL);
	ksft_test_result(ok && counter(rep, "rc") == 0, "%s: the guest slept and woke: %s\n",
			 what, ok ? rep : "(no answer)");
	s0 = counter(rep, "suspends0");
	s1 = counter(rep, "suspends1");
	r0 = counter(rep, "resumes0");
	r1 = counter(rep, "resumes1");
	ksft_test_result(s0 >= 0 && r0 >= 0 && s1 > s0 && r1 > r0,
			 "%s: guest module's suspends %lld -> %lld, resumes %lld -> %lld\n",
			 what, s0, s1, r0, r1);
	check_resumed(what);
	check_counts(what, false, false);
}

/* 5. The guest module reloaded under the peer's feet. */
static void case_reload(void)
{
	char rep[REPORT_TEXT_MAX] = "";
	bool ok;

	case_begin("case 5: guest module reload");
	faults[F_RELOAD]++;
	ok = !guest_command(guests[A].id, SEQ_GUEST_PORT, "reload") &&
	     reports_wait(guests[A].id, "reloaded", ANSWER_SECS, rep, sizeof(rep), NULL);
	ksft_test_result(ok && counter(rep, "rc") == 0,
			 "reload: rmmod and insmod vmmgmt_guest, file bound again: %s\n",
			 ok ? rep : "(no answer)");
	if (!ok)
		fatal("reload: restart-a did not come back");
	check_resumed("reload");
	check_counts("guest module reload", true, false);
}

/* 6. vmmgmtd gone, QEMU killed: the module removes the VM by itself. */
static void case_qemu_kill(void)
{
	struct boot_guest *a = &guests[A];
	bool dir_gone, thread_gone;
	char path[256];
	int status;
	double t;

	case_begin("case 6: vmmgmtd stopped, QEMU killed");
	status = stop_vmmgmtd(SIGTERM);
	faults[F_VMMGMTD_STOP]++;
	ksft_test_result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "vmmgmtd SIGTERM: vmmgmtd exited 0 (status %#x)\n", status);
	boot_vm_path(a, NULL, path, sizeof(path));
	ksft_test_result(!access(path, F_OK) && boot_wait_orphan(a, GONE_SECS) == 1,
			 "vmmgmtd SIGTERM: %s still registered, an orphan\n", a->name);
	vmmgmt_sleep_ms(1000);
	/* The last counts: what the test sent and received until now. */
	check_counts("vmmgmtd SIGTERM", false, true);
	stop_sender();
	kill(a->pid, SIGKILL);
	waitpid(a->pid, NULL, 0);
	a->pid = 0;
	faults[F_QEMU_KILL]++;
	t = boot_wait_vm_gone(a, REMOVED_SECS, &dir_gone, &thread_gone);
	ksft_test_result(dir_gone,
			 "qemu killed: the module removed %s by itself: sysfs dir gone (%.2f s, at most %d)\n",
			 a->name, t, REMOVED_SECS);
	ksft_test_result(thread_gone, "qemu killed: kernel thread vmmgmt-%s gone\n", a->name);
}

/*
 * restart-a's life begins: vmmgmtd started, restart-a booted (its
 * numbers and the test's from 0), the sender started, traffic checked.
 */
static void start_traffic(void)
{
	char args[64];

	start_vmmgmtd();
	adoptions = 0;
	snprintf(args, sizeof(args), "vmmgmt.seq_rate=%d", SEQ_RATE);
	start_guest(&guests[A], args);
	if (!reports_wait(guests[A].id, "ready", BOOT_SECS, NULL, 0, NULL))
		fatal("%s not ready within %d s: see %s", guests[A].name, BOOT_SECS,
		      guests[A].log);
	__atomic_store_n(&seq.stop, false, __ATOMIC_RELAXED);
	if (pthread_create(&seq.tid, NULL, seq_sender, NULL))
		fatal("sender thread: %s", strerror(errno));
	case_begin("start: traffic both ways");
	check_resumed("start");
	vmmgmt_sleep_ms(1000);
	check_counts("start", false, true);
}

/* The counts of restart-a's life so far go into the totals. */
static void epoch_add(void)
{
	total.lost += epoch.lost;
	total.dup += epoch.dup;
	total.reordered += epoch.reordered;
	memset(&epoch, 0, sizeof(epoch));
}

/*
 * restart-a's life ended (case 6: its QEMU killed, the sender stopped):
 * its counts into the totals, the test's side of the numbers from 0.
 */
static void epoch_end(void)
{
	epoch_add();
	/* A record of the old restart-a the reader thread had not read yet. */
	vmmgmt_sleep_ms(500);
	pthread_mutex_lock(&seq.lock);
	free(seq.rx.seen);
	memset(&seq.rx, 0, sizeof(seq.rx));
	seq.sent = 0;
	seq.write_errs = 0;
	seq.write_err = 0;
	seq.last_rx = 0;
	seq.max_gap = 0;
	seq.answered = 0;
	seq.answered_lo = -1;
	seq.answered_hi = -1;
	seq.answer_err = 0;
	seq.stray = 0;
	pthread_mutex_unlock(&seq.lock);
}

/*
 * The cases around restart-a's traffic: once, or the soak's rounds until
 * soak_end; the last round ends with case 6 (restart-a gone).
 */
static void run_rounds(void)
{
	unsigned int round;

	for (round = 1;; round++) {
		if (soak)
			ksft_print_msg("==== soak round %u, %.0f s left, %llu faults so far\n",
				       round, soak_end - vmmgmt_now_s(), soak_faults());
		/* First what needs no more than the channel: a base line. */
		case_qemu_stop();
		case_vmmgmtd_kill();
		case_vm_add_del(round % SOAK_EVERY == 1);
		case_sleep("suspend to RAM and wake", "mem", "system_wakeup");
		case_sleep("freeze and thaw", "freeze", "system_powerdown");
		case_reload();
		if (!soak || vmmgmt_now_s() >= soak_end)
			break;
		if (round % SOAK_EVERY)
			continue;
		case_qemu_kill();
		/* restart-a's log (and restart-b's) start empty at their boot. */
		boot_check_guest_logs();
		epoch_end();
		start_traffic();
	}
	case_qemu_kill();
}

/* The soak's figures (scripts/soak reads them); the warnings' number. */
static long long soak_figures(void)
{
	int n = kernel_warnings();
	long long warnings = n >= 0 && kwarn_base >= 0 ? n - kwarn_base : -1;
	unsigned int i;

	for (i = 0; i < NFAULTS; i++)
		ksft_print_msg("soak: %-40s %llu\n", fault_names[i], faults[i]);
	printf("FIGURE soak_faults %llu\n", soak_faults());
	printf("FIGURE soak_msgs_lost %llu\n", total.lost + epoch.lost);
	printf("FIGURE soak_msgs_duplicated %llu\n", total.dup + epoch.dup);
	printf("FIGURE soak_msgs_reordered %llu\n", total.reordered + epoch.reordered);
	printf("FIGURE soak_host_kernel_warnings %lld\n", warnings);
	fflush(stdout);
	return warnings;
}

static void on_fatal(void)
{
	dump_guests();
	if (soak) {
		ksft_print_msg("soak: the figures until the failure:\n");
		soak_figures();
	}
}

int main(void)
{
	const char *minutes = getenv("VMMGMT_SOAK_MINUTES");
	long long warnings;

	ksft_print_header();
	boot_init("VMMGMT_RESTART_DIR", "/tmp/restart-vmmgmtd.log", guests, NGUESTS);
	if (minutes) {
		if (atoi(minutes) <= 0)
			ksft_exit_fail_msg("VMMGMT_SOAK_MINUTES=%s: not a number of minutes\n",
					   minutes);
		soak = true;
		stop_secs = SOAK_STOP_SECS;
	}
	boot.dump_keys = dump_keys;
	boot.on_fatal = on_fatal;
	boot_need_kvm();
	host_need_abi(8, "VMs that outlive vmmgmtd");
	boot_begin();
	kwarn_base = kernel_warnings();

	reports.take = seq_take;
	if (reports_start(SEQ_HOST_PORT))
		fatal("bind host port %u: %s", SEQ_HOST_PORT, strerror(errno));
	/* The minutes count from restart-a's first boot on. */
	if (soak)
		soak_end = vmmgmt_now_s() + 60.0 * atoi(minutes);
	start_traffic();
	run_rounds();

	reports_stop();
	boot_check_guest_logs();
	boot_check_host_log(kwarn_base);
	kill_all();
	if (soak) {
		epoch_add();
		warnings = soak_figures();
		ksft_test_result(!total.lost && !total.dup && !total.reordered && !warnings,
				 "soak: %llu faults: lost %llu, duplicated %llu, reordered %llu, host kernel warnings %lld\n",
				 soak_faults(), total.lost, total.dup, total.reordered, warnings);
	}
	ksft_set_plan(ksft_test_num());
	boot_finished();
}
