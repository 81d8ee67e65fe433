// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: restarts of everything around a running guest, under
 * sequence-numbered traffic both ways (ABI 0.9).
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
 *  7. "vmmgmtctl upgrade" of a copy of the host module whose modinfo says
 *     vmmgmt_handover=0 (it imports no state format): refused, exit not
 *     0, "cannot hand over"; nothing stopped: no ESHUTDOWN at the test's
 *     endpoint, restart-a's handovers and generation unchanged, its
 *     traffic never stopped.
 *  8. The host module replaced UPGRADES times: "vmmgmtctl --json upgrade
 *     $VMMGMT_HOST_KO", the module the host VM loaded: exit 0, every VM
 *     handed over, the pause printed.  The test's endpoint sees ESHUTDOWN
 *     once the old module quiesced, closes both its files, opens the
 *     device again (EAGAIN, ENOENT and ENODEV retried) and binds SEQ_HOST_PORT
 *     again (vmmgmt_guest_reports.h); the sender sends again what was
 *     refused meanwhile (ESHUTDOWN, or EHOSTUNREACH before the new module
 *     took restart-a: never accepted, so no duplicate; counted and
 *     printed).  restart-a's sysfs handovers up by one, its generation
 *     unchanged and its link up (its channel was not reset), owned by
 *     vmmgmtd's file in the new module (orphan 0), one worker thread, one
 *     kernel log line on its handover; its traffic resumes, and nothing is
 *     lost, duplicated or reordered either way.
 * Then no kernel warning in the host's log or the guests'.  The cases run
 * in the order 3, 1, 2, 4, 5, 7, 8, 6: QEMU's stop needs no more than a
 * working channel, and checks the test's own machinery before the cases
 * that need ABI 0.8 of the host module, vmmgmtd and the guest module, and
 * then 0.9 (the handover).  The counts are since the start: a record lost
 * in one case fails the following ones too (each case's TAP lines name
 * it).
 *
 * Every check is one TAP result; single_pass_plan() counts them for the
 * plan, printed before them.
 *
 * VMMGMT_SOAK_MINUTES=N (scripts/soak) makes it a fault-injection soak:
 * after the start, rounds of the cases 3, 1, 2, 4, 5, 7 and 8 until N
 * minutes are over (QEMU stopped for SOAK_STOP_SECS only; restart-b
 * added and removed each round, booted only every SOAK_EVERY rounds, as
 * it is slow), and every SOAK_EVERY rounds case 6 and restart-a booted
 * again:
 * both ends' numbers start over (epoch_end(), start_traffic()); the
 * totals of all of restart-a's lives go on.  Case 6 ends the last round.
 * In the soak restart-c (id 33, vmmgmt.mode=seq, on vmmgmtd's command
 * line) boots after restart-a's first start and exchanges numbered
 * records with the test too until the end (sides[C]); every other round
 * the cases 3, 4 and 5 stop, freeze and reload it instead of restart-a,
 * and after each case the other guest's counts are checked as well
 * (check_other(): its own TAP lines, soak only).  restart-a boots with
 * vmmgmt.mode=seq-stream and echoes a stream the test checks byte by
 * byte (stream_thread()); its bytes lost go into soak_msgs_lost, and
 * soak_stream_bytes and soak_stream_resets are printed too.
 * The same TAP lines as a single pass (and restart-c's), per-round
 * headers, and at the end the FIGURE lines of scripts/soak (soak_faults,
 * soak_stream_bytes, soak_stream_resets, soak_msgs_lost,
 * soak_msgs_duplicated, soak_msgs_reordered, soak_host_kernel_warnings)
 * and one TAP result: none lost, duplicated, reordered, no warning; the
 * plan comes last (the number of rounds is not known before).
 *
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_RESTART_DIR    a directory for vmmgmtd's sockets (created)
 * and VMMGMTCTL (default /opt/vmmgmt/bin/vmmgmtctl), VMMGMT_HOST_KO (the
 * host module the host VM loaded, which case 8 loads again; default
 * HOST_KO, /lib/modules/vmmgmt_host.ko).  Without them the test is
 * skipped, unless VMMGMT_REQUIRE_DEVICE is set.  No other program may
 * keep /dev/vmmgmt-host open without closing it on ESHUTDOWN (the old
 * module can only be unloaded once every file is closed):
 * scripts/vm/host-init stops its own users of it before this test.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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
/* Case 8: the host module replaced this many times a round. */
#define UPGRADES		2
/* The host module the host VM loaded (scripts/vm/host-init). */
#define HOST_KO			"/lib/modules/vmmgmt_host.ko"

enum { A, B, C, NGUESTS };

static struct boot_guest guests[NGUESTS] = {
	[A] = { .name = "restart-a", .id = 31, .mode = "seq" },
	[B] = { .name = "restart-b", .id = 32, .mode = "seq-once", .late = true },
	/* The soak's second guest with traffic (not booted in a single pass). */
	[C] = { .name = "restart-c", .id = 33, .mode = "seq", .late = true },
};

static const char * const dump_keys[] = { "seq: ", NULL };

/*
 * The test's side of the traffic with a guest: restart-a, and in the soak
 * restart-c too (sides[A], sides[C]).  Protected by @lock: everything but
 * @tid and @stop.
 */
struct seq_side {
	pthread_mutex_t lock;
	pthread_t tid;
	bool stop;			/* __atomic */
	unsigned long long sent;	/* data records written to restart-a */
	unsigned long long write_errs;	/* failed writes (the number retried) */
	int write_err;			/* the last one's errno */
	/*
	 * Writes refused because the host module was being replaced (the
	 * number retried too: nothing was accepted): ESHUTDOWN, or
	 * EHOSTUNREACH while @upgrading (a new module that has not taken
	 * the guest over yet).  Not in @write_errs.
	 */
	unsigned long long shut_retries, unreach_retries;
	struct seq_track rx;		/* the guest's data records */
	double last_rx, max_gap;	/* vmmgmt_now_s() */
	unsigned long long answered;	/* error answers to our data records */
	long long answered_lo, answered_hi;
	int answer_err;			/* the last one's errno */
	unsigned long long stray;	/* data from another VM, odd answers */
	/* When the case began: its write errors, retries and answers. */
	unsigned long long case_write_errs, case_retries, case_answered;
	bool running;			/* the sender runs */
};

static struct seq_side sides[NGUESTS];
/* __atomic: vmmgmtctl upgrade runs. */
static bool upgrading;
/*
 * The guest the cases 3, 4 and 5 stop, freeze and reload: restart-a,
 * and in the soak restart-c every other round; the other's traffic goes
 * on and is checked too.
 */
static unsigned int cur = A;

static int kwarn_base;

/* The faults injected, by kind (the soak's summary). */
enum fault {
	F_QEMU_STOP, F_VMMGMTD_KILL, F_VM_ADD_DEL, F_SUSPEND, F_RELOAD,
	F_HANDOVER, F_VMMGMTD_STOP, F_QEMU_KILL, NFAULTS
};

static const char * const fault_names[NFAULTS] = {
	[F_QEMU_STOP] = "QEMU stop and cont",
	[F_VMMGMTD_KILL] = "vmmgmtd SIGKILL and adoption",
	[F_VM_ADD_DEL] = "vm add and del",
	[F_SUSPEND] = "guest suspend (freeze, RAM)",
	[F_RELOAD] = "guest module reload",
	[F_HANDOVER] = "host module replaced (vmmgmtctl upgrade)",
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
 * from each guest's current life (check_counts(): since its boot),
 * @total of all lives before.
 */
struct msg_counts {
	unsigned long long lost, dup, reordered;
};

static struct msg_counts epoch[NGUESTS], total;

/* The soak: VMMGMT_SOAK_MINUTES set; its end (vmmgmt_now_s()). */
static bool soak;
static double soak_end;
/*
 * A guest's /init gives its peer this long (vmmgmt.seq_secs, the
 * step's time limit): in the soak restart-c lives the whole soak.
 */
#define PEER_SECS		900
static unsigned int peer_secs = PEER_SECS;
/* Error answers printed one by one: the first ones, then one in so many. */
#define ANSWER_PRINT_FIRST	20
#define ANSWER_PRINT_EVERY	500
static int stop_secs = STOP_SECS;
/* restart-a's sysfs adoptions since it was registered. */
static long long adoptions;

/* The side of the guest with VM id @vm: restart-c's, or restart-a's. */
static struct seq_side *side_of(__u32 vm)
{
	return vm == guests[C].id ? &sides[C] : &sides[A];
}

/* reports.take: the guests' data and the error answers to ours. */
static bool seq_take(const struct vmmgmt_rec *r, const void *payload, size_t len)
{
	struct seq_side *s = side_of(r->src.vm);
	double now = vmmgmt_now_s();
	unsigned long long nth;
	__u32 err = 0;
	__u64 n;

	if (r->flags & VMMGMT_REC_F_ERROR) {
		if (len == sizeof(err))
			memcpy(&err, payload, sizeof(err));
		pthread_mutex_lock(&s->lock);
		/*
		 * Our data records' ids are their number + 1 (the last may
		 * be answered before the sender counted it).
		 */
		if (r->id && r->id <= s->sent + 1) {
			n = r->id - 1;
			if (!s->answered || (long long)n < s->answered_lo)
				s->answered_lo = n;
			if ((long long)n > s->answered_hi)
				s->answered_hi = n;
			s->answered++;
			s->answer_err = err;
		} else {
			s->stray++;
		}
		nth = s->answered + s->stray;
		pthread_mutex_unlock(&s->lock);
		/*
		 * The first ones, then one in ANSWER_PRINT_EVERY: each case
		 * prints their count and range, and thousands of lines on the
		 * host VM's emulated serial console slow every guest.
		 */
		if (nth <= ANSWER_PRINT_FIRST || !(nth % ANSWER_PRINT_EVERY))
			ksft_print_msg("error answer %s to record id %llu (vm %u; %llu so far)\n",
				       strerror(err), (unsigned long long)r->id, r->src.vm,
				       (unsigned long long)nth);
		return true;
	}
	if (!seq_is_data(payload, len, &n))
		return false;
	pthread_mutex_lock(&s->lock);
	if (r->src.vm != guests[A].id && r->src.vm != guests[C].id) {
		s->stray++;
	} else {
		seq_track_add(&s->rx, n);
		if (s->last_rx > 0 && now - s->last_rx > s->max_gap)
			s->max_gap = now - s->last_rx;
		s->last_rx = now;
	}
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* One data record numbered @n to guest @g's peer; 0 or -errno. */
static int send_data(unsigned int g, __u64 n)
{
	struct seq_data d = { .magic = SEQ_MAGIC, .seq = n };
	struct vmmgmt_rec r = {
		.len = sizeof(d), .mode = VMMGMT_MODE_CHAT, .id = n + 1,
		.dst = { .vm = guests[g].id, .port = SEQ_GUEST_PORT },
	};
	__u8 buf[sizeof(r) + sizeof(d)];
	ssize_t w;

	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), &d, sizeof(d));
	/* -ESHUTDOWN also while the endpoint is closed for a handover. */
	w = reports_write(false, buf, sizeof(buf));
	if (w < 0)
		return w;
	return w == (ssize_t)sizeof(buf) ? 0 : -EIO;
}

/*
 * The sender thread of guest @arg (its index in guests[]): SEQ_RATE
 * records a second; a failed one is retried with the same number (it
 * was not accepted: no duplicate).
 */
static void *seq_sender(void *arg)
{
	unsigned int g = (unsigned int)(unsigned long)arg;
	struct seq_side *s = &sides[g];
	double next = vmmgmt_now_s(), now;
	unsigned long long n;
	int err;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		now = vmmgmt_now_s();
		if (now < next) {
			vmmgmt_sleep_ms((unsigned int)((next - now) * 1000) + 1);
			continue;
		}
		next += 1.0 / SEQ_RATE;
		/* No burst to catch up after a write that blocked. */
		if (next < now - 0.2)
			next = now;
		pthread_mutex_lock(&s->lock);
		n = s->sent;
		pthread_mutex_unlock(&s->lock);
		err = send_data(g, n);
		pthread_mutex_lock(&s->lock);
		if (!err) {
			s->sent++;
		} else if (err == -ESHUTDOWN) {
			s->shut_retries++;
		} else if (err == -EHOSTUNREACH &&
			   __atomic_load_n(&upgrading, __ATOMIC_RELAXED)) {
			s->unreach_retries++;
		} else {
			s->write_errs++;
			s->write_err = -err;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void start_sender(unsigned int g)
{
	struct seq_side *s = &sides[g];

	__atomic_store_n(&s->stop, false, __ATOMIC_RELAXED);
	if (pthread_create(&s->tid, NULL, seq_sender, (void *)(unsigned long)g))
		fatal("sender thread: %s", strerror(errno));
	s->running = true;
}

static void stop_sender(unsigned int g)
{
	struct seq_side *s = &sides[g];

	if (!s->running)
		return;
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	pthread_join(s->tid, NULL);
	s->running = false;
}

static unsigned long long rx_recv(unsigned int g)
{
	unsigned long long n;

	pthread_mutex_lock(&sides[g].lock);
	n = sides[g].rx.recv;
	pthread_mutex_unlock(&sides[g].lock);
	return n;
}

/* Wait up to @secs until more than @from records came from guest @g. */
static bool wait_rx_beyond(unsigned int g, unsigned long long from, double secs)
{
	double end = vmmgmt_now_s() + secs;

	while (rx_recv(g) <= from) {
		if (vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(50);
	}
	return true;
}

/* The guest other than @g with traffic in the soak: its index, or -1. */
static int other_guest(unsigned int g)
{
	unsigned int o = g == A ? C : A;

	return soak && sides[o].running ? (int)o : -1;
}

/*
 * A case starts: its longest gaps, write errors and error answers from
 * now on, for each guest.
 */
static void case_begin(const char *what)
{
	struct seq_side *s;
	unsigned int g;

	ksft_print_msg("---- %s\n", what);
	for (g = 0; g < NGUESTS; g++) {
		s = &sides[g];
		pthread_mutex_lock(&s->lock);
		s->max_gap = 0;
		s->case_write_errs = s->write_errs;
		s->case_retries = s->shut_retries + s->unreach_retries;
		s->case_answered = s->answered;
		pthread_mutex_unlock(&s->lock);
	}
}

/* case_begin() of a case on the guest @cur: restart-c's named. */
static void case_begin_on(const char *what)
{
	char title[128];

	snprintf(title, sizeof(title), "%s%s%s", what, cur == A ? "" : " on ",
		 cur == A ? "" : guests[cur].name);
	case_begin(title);
}

/* @text's "word=N" (report_num() wants a blank before the word). */
static long long counter(const char *text, const char *word)
{
	char t[REPORT_TEXT_MAX + 2];

	snprintf(t, sizeof(t), " %s", text);
	return report_num(t, word, -1);
}

/*
 * check_counts(): records of the test that the guest never got but that
 * were answered with an error are not lost; its writes are not checked.
 */
#define CHECK_RELOAD		0x1
/* check_counts(): the longest silence of restart-a during the case too. */
#define CHECK_GAP		0x2
/* check_counts(): writes refused for a module handover (retried) may be. */
#define CHECK_HANDOVER		0x4

/* The TAP results check_counts() prints with @flags. */
static unsigned int counts_results(unsigned int flags)
{
	return 3 + !(flags & CHECK_RELOAD) + !!(flags & CHECK_GAP);
}

/*
 * The counters of both directions with guest @g after the case @what,
 * since its boot: the guest's for the test's records, the test's for the
 * guest's; @flags: CHECK_*.  restart-c's TAP lines name it.
 */
static void check_counts(unsigned int g, const char *what_case, unsigned int flags)
{
	struct seq_side *s = &sides[g];
	char what[128];
	bool reload = flags & CHECK_RELOAD, gap = flags & CHECK_GAP;
	unsigned long long n, g2h_lost, answered, rx_dup, rx_reord, stray, werrs;
	unsigned long long retries, shut, unreach;
	long long g_sent, g_lost, g_dup, g_reord, g_err, g_lo, g_hi, h2g_lost, lo, hi;
	long long a_lo, a_hi;
	char rep[REPORT_TEXT_MAX];
	double max_gap;
	bool ok;
	int err;

	if (g == A)
		snprintf(what, sizeof(what), "%s", what_case);
	else
		snprintf(what, sizeof(what), "%s (%s)", what_case, guests[g].name);
	pthread_mutex_lock(&s->lock);
	n = s->sent;
	pthread_mutex_unlock(&s->lock);
	/* After every record counted in @n: the same send queue, in order. */
	err = guest_command(guests[g].id, SEQ_GUEST_PORT, "report %llu", n);
	if (err)
		fatal("%s: report command to %s: %s", what, guests[g].name, strerror(-err));
	if (!reports_wait(guests[g].id, "sent=", ANSWER_SECS, rep, sizeof(rep), NULL))
		fatal("%s: no counters from %s within %d s", what, guests[g].name,
		      ANSWER_SECS);
	g_sent = counter(rep, "sent");
	g_lost = counter(rep, "lost");
	g_dup = counter(rep, "dup");
	g_reord = counter(rep, "reordered");
	g_err = counter(rep, "errors");
	g_lo = counter(rep, "missing_lo");
	g_hi = counter(rep, "missing_hi");

	/* The guest's report came after all it sent before: in order too. */
	pthread_mutex_lock(&s->lock);
	g2h_lost = seq_track_missing(&s->rx, g_sent < 0 ? 0 : g_sent, &lo, &hi);
	rx_dup = s->rx.dup;
	rx_reord = s->rx.reordered;
	stray = s->stray + s->rx.bogus;
	answered = s->answered;
	a_lo = s->answered_lo;
	a_hi = s->answered_hi;
	werrs = s->write_errs - s->case_write_errs;
	shut = s->shut_retries;
	unreach = s->unreach_retries;
	retries = shut + unreach - s->case_retries;
	max_gap = s->max_gap;
	pthread_mutex_unlock(&s->lock);

	/* Both counts are since the start: answered ones were not lost. */
	h2g_lost = g_lost - (long long)answered;
	ksft_print_msg("%s: host -> guest: sent %llu, guest missed %lld (%lld..%lld),\n",
		       what, n, g_lost, g_lo, g_hi);
	ksft_print_msg("  error answers %llu (%lld..%lld, last %s),\n", answered, a_lo, a_hi,
		       answered ? strerror(s->answer_err) : "-");
	ksft_print_msg("  lost %lld, dup %lld, reordered %lld\n", h2g_lost, g_dup, g_reord);
	ksft_print_msg("%s: guest -> host: sent %lld, lost %llu (%lld..%lld), dup %llu,\n",
		       what, g_sent, g2h_lost, lo, hi, rx_dup);
	ksft_print_msg("  reordered %llu, stray %llu; guest errors %lld; longest gap %.2f s\n",
		       rx_reord, stray, g_err, max_gap);
	ksft_print_msg("%s: test's writes failed %llu (last: %s); refused by a module handover\n",
		       what, werrs, werrs ? strerror(s->write_err) : "none");
	ksft_print_msg("  and sent again %llu (in all: ESHUTDOWN %llu, EHOSTUNREACH %llu)\n",
		       retries, shut, unreach);

	epoch[g].lost = (h2g_lost > 0 ? h2g_lost : 0) + g2h_lost;
	epoch[g].dup = (g_dup > 0 ? g_dup : 0) + rx_dup;
	epoch[g].reordered = (g_reord > 0 ? g_reord : 0) + rx_reord;

	/* Answered records are ones the guest missed, and no others. */
	ok = g_sent >= 0 && h2g_lost == 0 && g_dup == 0 && g_reord == 0 &&
	     (reload || answered == s->case_answered) &&
	     (!answered || (a_lo >= g_lo && a_hi <= g_hi));
	ksft_test_result(ok,
			 "%s: host -> guest: lost %lld, duplicated %lld, reordered %lld of %llu (%llu answered with an error)\n",
			 what, h2g_lost, g_dup, g_reord, n, answered);
	ksft_test_result(g_sent > 0 && !g2h_lost && !rx_dup && !rx_reord && !stray,
			 "%s: guest -> host: lost %llu, duplicated %llu, reordered %llu of %lld (stray %llu)\n",
			 what, g2h_lost, rx_dup, rx_reord, g_sent, stray);
	ksft_test_result(g_err == 0, "%s: guest: write and read errors %lld\n", what, g_err);
	if (!reload)
		ksft_test_result(!werrs && (!retries || (flags & CHECK_HANDOVER)),
				 "%s: test's writes to the guest: %llu failed, %llu refused by a module handover\n",
				 what, werrs, retries);
	if (gap)
		ksft_test_result(max_gap <= GAP_MAX_S,
				 "%s: traffic never stopped: longest gap %.2f s (at most %.1f)\n",
				 what, max_gap, GAP_MAX_S);
}

/*
 * In the soak, the counters of the guest other than @g that has traffic:
 * a fault of @g's must not touch it (@flags: CHECK_*).
 */
static void check_other(unsigned int g, const char *what, unsigned int flags)
{
	int o = other_guest(g);

	if (o >= 0)
		check_counts(o, what, flags);
}

/* Guest @g's traffic is back after @what: records from it again. */
static void check_resumed(unsigned int g, const char *what)
{
	double t0 = vmmgmt_now_s();
	bool ok = wait_rx_beyond(g, rx_recv(g) + SEQ_RATE / 2, RESUME_SECS);

	ksft_test_result(ok, "%s: traffic from %s again (%.1f s)\n", what,
			 g == A ? "the guest" : guests[g].name, vmmgmt_now_s() - t0);
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
	r0 = rx_recv(A);
	vmmgmt_sleep_ms(2000);
	r1 = rx_recv(A);
	ksft_test_result(orphan == 1 && r1 - r0 >= SEQ_RATE,
			 "vmmgmtd SIGKILL: restart-a kept (orphan %lld), %llu records from it in 2 s without vmmgmtd\n",
			 orphan, r1 - r0);
	from = file_size(boot.vmmgmtd_log);
	start_vmmgmtd();
	boot_check_adopted("vmmgmtd restarted", a, from, ++adoptions);
	vmmgmt_sleep_ms(1000);
	check_counts(A, "vmmgmtd SIGKILL and restart", CHECK_GAP);
	check_other(A, "vmmgmtd SIGKILL and restart", CHECK_GAP);
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
	bool dir_gone, thread_gone, ok, hello;
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
		/* The soak boots it beside two guests' traffic: 58 s to more than 120. */
		int hello_secs = soak ? 2 * BOOT_SECS : BOOT_SECS;

		t = vmmgmt_now_s();
		start_guest(b, NULL);
		hello = reports_wait(b->id, "hello", hello_secs, NULL, 0, NULL);
		if (!hello && boot_died_before_module(b, out, sizeof(out))) {
			/*
			 * Before vmmgmt_guest was loaded: the test bed's
			 * emulation.  Once; its new log starts empty.
			 */
			ksft_print_msg("vm add: %s died booting (%s): once more\n",
				       b->name, out);
			kill(b->pid, SIGKILL);
			waitpid(b->pid, NULL, 0);
			b->pid = 0;
			t = vmmgmt_now_s();
			start_guest(b, NULL);
			hello = reports_wait(b->id, "hello", hello_secs, NULL, 0, NULL);
		}
		if (!hello)
			fatal("vm add: no hello from %s within %d s: see %s", b->name,
			      hello_secs, b->log);
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
	/*
	 * Its peer ends when the link goes; then its /init prints the
	 * guest's kernel log over its emulated serial port and powers off:
	 * up to a minute and more in the soak, beside two guests' traffic
	 * (its boot took 58 to 72 s there), hence BOOT_SECS.
	 */
	if (boot_b) {
		t = vmmgmt_now_s();
		ok = boot_stop_guest(b, BOOT_SECS);
		ksft_test_result(ok,
				 "vm del: %s's guest saw its link go and powered off (%.1f s)\n",
				 b->name, vmmgmt_now_s() - t);
	}
	check_counts(A, "vm add and del beside it", CHECK_GAP);
	check_other(A, "vm add and del beside it", CHECK_GAP);
}

/* 3. QEMU stop for stop_secs (STOP_SECS, SOAK_STOP_SECS), then cont. */
static void case_qemu_stop(void)
{
	struct boot_guest *a = &guests[cur];
	unsigned long long r0, r1;
	bool ok;

	case_begin_on("case 3: QEMU stop, cont");
	ok = !guest_qmp(a, "stop");
	faults[F_QEMU_STOP]++;
	ksft_test_result(ok, "qemu stop: QMP stop\n");
	if (!ok)
		fatal("qemu stop: no QMP stop of %s", a->name);
	/* A record or two may still have been in flight. */
	vmmgmt_sleep_ms(500);
	r0 = rx_recv(cur);
	vmmgmt_sleep_ms(stop_secs * 1000);
	r1 = rx_recv(cur);
	ok = !guest_qmp(a, "cont");
	ksft_test_result(ok && r1 - r0 < SEQ_RATE / 10,
			 "qemu cont after %d s: QMP cont; %llu records came from the stopped guest\n",
			 stop_secs, r1 - r0);
	if (!ok)
		fatal("qemu cont: no QMP cont of %s", a->name);
	check_resumed(cur, "qemu cont");
	check_counts(cur, "qemu stop and cont", 0);
	check_other(cur, "qemu stop and cont of the other guest", CHECK_GAP);
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
	case_begin_on(title);
	ok = !guest_command(guests[cur].id, SEQ_GUEST_PORT, state);
	faults[F_SUSPEND]++;
	vmmgmt_sleep_ms(SLEEP_SECS * 1000);
	ok = ok && !guest_qmp(&guests[cur], wake);
	snprintf(key, sizeof(key), "slept %s", state);
	ok = ok && reports_wait(guests[cur].id, key, ANSWER_SECS, rep, sizeof(rep), NULL);
	ksft_test_result(ok && counter(rep, "rc") == 0, "%s: the guest slept and woke: %s\n",
			 what, ok ? rep : "(no answer)");
	s0 = counter(rep, "suspends0");
	s1 = counter(rep, "suspends1");
	r0 = counter(rep, "resumes0");
	r1 = counter(rep, "resumes1");
	ksft_test_result(s0 >= 0 && r0 >= 0 && s1 > s0 && r1 > r0,
			 "%s: guest module's suspends %lld -> %lld, resumes %lld -> %lld\n",
			 what, s0, s1, r0, r1);
	check_resumed(cur, what);
	check_counts(cur, what, 0);
	check_other(cur, "the other guest asleep", CHECK_GAP);
}

/* 5. The guest module reloaded under the peer's feet. */
static void case_reload(void)
{
	char rep[REPORT_TEXT_MAX] = "";
	bool ok;

	case_begin_on("case 5: guest module reload");
	faults[F_RELOAD]++;
	ok = !guest_command(guests[cur].id, SEQ_GUEST_PORT, "reload") &&
	     reports_wait(guests[cur].id, "reloaded", ANSWER_SECS, rep, sizeof(rep), NULL);
	ksft_test_result(ok && counter(rep, "rc") == 0,
			 "reload: rmmod and insmod vmmgmt_guest, file bound again: %s\n",
			 ok ? rep : "(no answer)");
	if (!ok)
		fatal("reload: %s did not come back", guests[cur].name);
	check_resumed(cur, "reload");
	check_counts(cur, "guest module reload", CHECK_RELOAD);
	check_other(cur, "guest module reload of the other guest", CHECK_GAP);
}

/* The host module the host VM loaded: what "vmmgmtctl upgrade" loads again. */
static const char *host_ko(void)
{
	const char *p = getenv("VMMGMT_HOST_KO");

	return p && *p ? p : HOST_KO;
}

/* The VMs the host module has now (its sysfs vms/ directories), or -1. */
static int count_vms(void)
{
	DIR *d = opendir(VMMGMT_HOST_VMS_SYSFS);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* /dev/kmsg at its end, for klog_since(); -1 if it cannot be read. */
static int klog_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The kernel's own lines (facility 0: not the console copies of the test
 * bed, nor this test's TAP lines) since klog_mark() returned @fd, which
 * is closed: those naming @who are printed, and those that also contain
 * @word (in any case) counted, the first into @line.  Return: the count,
 * or -1 if /dev/kmsg could not be read.
 */
static int klog_since(int fd, const char *who, const char *word, char *line, size_t size)
{
	char rec[2048], *msg;
	int count = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		/* Overwritten before we read it: the next one. */
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "PRI,SEQ,USEC,FLAGS;TEXT\n", PRI = facility * 8 + level. */
		msg = strchr(rec, ';');
		if (!msg || atoi(rec) >= 8)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		if (!strstr(msg, who))
			continue;
		ksft_print_msg("host kernel: %s\n", msg);
		if (strcasestr(msg, word) && !count++ && line && size)
			snprintf(line, size, "%s", msg);
	}
	if (n < 0 && errno != EAGAIN)
		count = -1;
	close(fd);
	return count;
}

/*
 * A copy of the host module @path as @copy whose modinfo string
 * vmmgmt_handover=N says 0 instead (N's digits made zeros: the same
 * length, nothing else moves): a module that imports no state format.
 * Return: the strings changed (one), 0 if @path has none, or -errno.
 */
static int make_refusing_ko(const char *path, const char *copy)
{
	static const char key[] = "vmmgmt_handover=";
	char *buf = NULL, *p, *q, *end;
	int changed = 0, err = 0;
	FILE *f = NULL;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	buf = malloc(st.st_size ? st.st_size : 1);
	f = fopen(path, "rb");
	if (!buf || !f || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		err = buf && f ? -EIO : -errno;
		goto out;
	}
	fclose(f);
	f = NULL;
	end = buf + st.st_size;
	for (p = buf; (p = memmem(p, end - p, key, strlen(key))); p = q) {
		p += strlen(key);
		for (q = p; q < end && isdigit((unsigned char)*q); q++)
			;
		/* Only a .modinfo string: key=digits and its NUL. */
		if (q == p || q == end || *q)
			continue;
		memset(p, '0', q - p);
		changed++;
	}
	f = fopen(copy, "wb");
	if (!f || fwrite(buf, 1, st.st_size, f) != (size_t)st.st_size || fflush(f))
		err = f ? -EIO : -errno;
out:
	if (f)
		fclose(f);
	free(buf);
	return err ? err : changed;
}

/*
 * The value of "@key" in vmmgmtctl's JSON answer @out: a pointer to its
 * first character, or NULL.
 */
static const char *json_value(const char *out, const char *key)
{
	char k[48];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\"", key);
	p = strstr(out, k);
	if (!p)
		return NULL;
	p += strlen(k);
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		return NULL;
	while (*p == ' ')
		p++;
	return p;
}

/* The number "@key" in @out, or -1. */
static long long json_num(const char *out, const char *key)
{
	const char *p = json_value(out, key);

	return p && isdigit((unsigned char)*p) ? strtoll(p, NULL, 10) : -1;
}

/* What the host module's sysfs says of a VM around a handover. */
struct vm_view {
	long long handovers, generation, orphan, persist, adoptions;
	char link[16];
	int threads;
};

static void vm_view(const struct boot_guest *g, struct vm_view *v)
{
	v->handovers = vm_attr_num(g->name, "handovers");
	v->generation = vm_attr_num(g->name, "generation");
	v->orphan = vm_attr_num(g->name, "orphan");
	v->persist = vm_attr_num(g->name, "persist");
	v->adoptions = vm_attr_num(g->name, "adoptions");
	if (vm_attr(g->name, "link_state", v->link, sizeof(v->link)))
		snprintf(v->link, sizeof(v->link), "?");
	v->threads = boot_vm_threads(g);
}

/*
 * Print the other processes that have /dev/vmmgmt-host open (not this
 * test, not its vmmgmtd): the old module cannot be unloaded while they
 * keep it open without closing it on ESHUTDOWN.
 */
static void print_device_users(void)
{
	char path[300], link[64], comm[64];
	struct dirent *de, *fe;
	DIR *d, *fd_dir;
	ssize_t n;
	pid_t pid;

	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid() || pid == boot.vmmgmtd_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fd_dir = opendir(path);
		if (!fd_dir)
			continue;
		while ((fe = readdir(fd_dir))) {
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, VMMGMT_HOST_DEV))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (vmmgmt_read_text(path, comm, sizeof(comm)))
				snprintf(comm, sizeof(comm), "?");
			ksft_print_msg("pid %d (%s) has %s open: the old module waits for it\n",
				       (int)pid, comm, VMMGMT_HOST_DEV);
			break;
		}
		closedir(fd_dir);
	}
	closedir(d);
}

/*
 * 7. "vmmgmtctl upgrade" of a module that cannot take the running one's
 * state (a copy of it whose modinfo says vmmgmt_handover=0): refused
 * before anything stopped.
 */
static void case_upgrade_refused(void)
{
	static const char copy[] = "/tmp/vmmgmt_host-handover0.ko";
	struct boot_guest *a = &guests[A];
	struct reports_ep ep0, ep1;
	struct vm_view v0, v1;
	char out[2048] = "";
	int changed, rc = -1;
	bool ok;

	case_begin("case 7: vmmgmtctl upgrade refused (vmmgmt_handover=0)");
	changed = make_refusing_ko(host_ko(), copy);
	ksft_test_result(changed > 0,
			 "upgrade refused: %s: a copy of %s with vmmgmt_handover=0 (%d string%s changed)\n",
			 copy, host_ko(), changed, changed == 1 ? "" : "s");
	vm_view(a, &v0);
	ep0 = reports_endpoint();
	if (changed > 0) {
		rc = boot_vmmgmtctl(out, sizeof(out), "upgrade %s", copy);
		ksft_print_msg("vmmgmtctl upgrade %s: exit %d:\n%s", copy, rc, out);
	}
	ok = rc > 0 && strstr(out, "cannot hand over");
	ksft_test_result(ok,
			 "upgrade refused: vmmgmtctl upgrade exit %d, says it cannot hand over: %s\n",
			 rc, first_line(out));
	/* Time for an ESHUTDOWN that must not come. */
	vmmgmt_sleep_ms(1000);
	vm_view(a, &v1);
	ep1 = reports_endpoint();
	ok = ep1.shutdowns == ep0.shutdowns && ep1.reopens == ep0.reopens &&
	     v0.handovers >= 0 && v1.handovers == v0.handovers &&
	     v0.generation > 0 && v1.generation == v0.generation;
	ksft_test_result(ok,
			 "upgrade refused: nothing stopped: ESHUTDOWN at the test's endpoint %llu times, handovers %lld -> %lld, generation %lld -> %lld\n",
			 ep1.shutdowns - ep0.shutdowns, v0.handovers, v1.handovers,
			 v0.generation, v1.generation);
	unlink(copy);
	check_counts(A, "upgrade refused", CHECK_GAP);
	check_other(A, "upgrade refused", CHECK_GAP);
}

/*
 * 8. The host module replaced, the @n-th time (of UPGRADES a round):
 * "vmmgmtctl upgrade" with the .ko the host VM loaded, under restart-a's
 * traffic.  The test's endpoint reopens by itself (the reports reader);
 * the sender sends again what was refused meanwhile.
 */
static void case_upgrade(unsigned int n)
{
	char out[2048] = "", title[96], what[32], kline[512] = "";
	struct boot_guest *a = &guests[A];
	struct reports_ep ep0, ep;
	long long vms, paused;
	struct vm_view v0, v1;
	int rc, nr_vms, klog, klines;
	const char *up;
	bool reopened;
	double t;

	snprintf(what, sizeof(what), "upgrade %u", n);
	snprintf(title, sizeof(title), "case 8: host module replaced (vmmgmtctl upgrade, %u of %d)",
		 n, UPGRADES);
	case_begin(title);
	print_device_users();
	vm_view(a, &v0);
	nr_vms = count_vms();
	ep0 = reports_endpoint();
	klog = klog_mark();
	__atomic_store_n(&upgrading, true, __ATOMIC_RELAXED);
	t = vmmgmt_now_s();
	rc = boot_vmmgmtctl(out, sizeof(out), "--json upgrade %s", host_ko());
	faults[F_HANDOVER]++;
	ksft_print_msg("%s: vmmgmtctl --json upgrade %s: exit %d after %.2f s:\n%s", what,
		       host_ko(), rc, vmmgmt_now_s() - t, out);
	/*
	 * The reader thread opens the endpoint again by itself (not waited
	 * for when nothing quiesced: an upgrade that failed at once).
	 */
	reopened = (rc == 0 || reports_endpoint().shutdowns > ep0.shutdowns) &&
		   reports_wait_reopened(ep0.reopens, REPORTS_REOPEN_SECS);
	__atomic_store_n(&upgrading, false, __ATOMIC_RELAXED);
	ep = reports_endpoint();
	up = json_value(out, "upgraded");
	vms = json_num(out, "vms");
	paused = json_num(out, "paused_ms");
	ksft_test_result(rc == 0 && up && !strncmp(up, "true", 4),
			 "%s: vmmgmtctl upgrade %s: exit %d: %s\n", what, host_ko(), rc,
			 first_line(out));
	ksft_test_result(nr_vms > 0 && vms == nr_vms && paused >= 0,
			 "%s: %lld VMs handed over (%d registered before), guests paused %lld ms\n",
			 what, vms, nr_vms, paused);
	ksft_test_result(reopened && ep.shutdowns > ep0.shutdowns,
			 "%s: the test's endpoint: ESHUTDOWN, files closed, %s open again (%llu opens refused) and port %u bound again %.2f s after\n",
			 what, VMMGMT_HOST_DEV, ep.open_refused - ep0.open_refused, SEQ_HOST_PORT,
			 ep.secs);
	vm_view(a, &v1);
	ksft_test_result(v0.handovers >= 0 && v1.handovers == v0.handovers + 1,
			 "%s: %s's handovers %lld -> %lld\n", what, a->name, v0.handovers,
			 v1.handovers);
	ksft_test_result(v0.generation > 0 && v1.generation == v0.generation &&
			 !strcmp(v1.link, "up"),
			 "%s: %s's channel not reset: generation %lld -> %lld, link %s\n", what,
			 a->name, v0.generation, v1.generation, v1.link);
	ksft_test_result(v1.orphan == 0 && v1.persist == 1 && v1.threads == 1,
			 "%s: %s owned by vmmgmtd in the new module: orphan %lld, persist %lld, worker threads %d\n",
			 what, a->name, v1.orphan, v1.persist, v1.threads);
	klines = klog_since(klog, a->name, "hand", kline, sizeof(kline));
	ksft_test_result(klines == 1, "%s: %d kernel log line%s on %s's handover: %s\n", what,
			 klines, klines == 1 ? "" : "s", a->name, klines > 0 ? kline : "none");
	/* The next adoption (the soak's next round) counts on from here. */
	adoptions = v1.adoptions;
	check_resumed(A, what);
	check_counts(A, what, CHECK_HANDOVER);
	check_other(A, what, CHECK_HANDOVER);
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
	check_counts(A, "vmmgmtd SIGTERM", CHECK_GAP);
	check_other(A, "vmmgmtd SIGTERM", CHECK_GAP);
	stop_sender(A);
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

/* Boot guest @g (vmmgmt.mode=seq) and wait for its peer's "ready". */
static void boot_seq_guest(unsigned int g)
{
	char args[64];

	snprintf(args, sizeof(args), "vmmgmt.seq_rate=%d vmmgmt.seq_secs=%u", SEQ_RATE,
		 peer_secs);
	start_guest(&guests[g], args);
	if (!reports_wait(guests[g].id, "ready", BOOT_SECS, NULL, 0, NULL))
		fatal("%s not ready within %d s: see %s", guests[g].name, BOOT_SECS,
		      guests[g].log);
}

/*
 * restart-a's life begins: vmmgmtd started, restart-a booted (its
 * numbers and the test's from 0), the sender started, traffic checked.
 */
static void start_traffic(void)
{
	start_vmmgmtd();
	adoptions = 0;
	boot_seq_guest(A);
	start_sender(A);
	case_begin("start: traffic both ways");
	check_resumed(A, "start");
	vmmgmt_sleep_ms(1000);
	check_counts(A, "start", CHECK_GAP);
	check_other(A, "start", CHECK_GAP);
}

/*
 * The soak's restart-c: booted once after restart-a's first start (on
 * vmmgmtd's command line from the start), its traffic until the end.
 */
static void start_c(void)
{
	boot_seq_guest(C);
	start_sender(C);
	case_begin("start: traffic both ways with restart-c");
	check_resumed(C, "start");
	vmmgmt_sleep_ms(1000);
	check_counts(C, "start", CHECK_GAP);
}

/* The counts of guest @g's life so far go into the totals. */
static void epoch_add(unsigned int g)
{
	total.lost += epoch[g].lost;
	total.dup += epoch[g].dup;
	total.reordered += epoch[g].reordered;
	memset(&epoch[g], 0, sizeof(epoch[g]));
}

/*
 * restart-a's life ended (case 6: its QEMU killed, the sender stopped):
 * its counts into the totals, the test's side of the numbers from 0.
 */
static void epoch_end(void)
{
	struct seq_side *s = &sides[A];

	epoch_add(A);
	/* A record of the old restart-a the reader thread had not read yet. */
	vmmgmt_sleep_ms(500);
	pthread_mutex_lock(&s->lock);
	free(s->rx.seen);
	memset(&s->rx, 0, sizeof(s->rx));
	s->sent = 0;
	s->write_errs = 0;
	s->write_err = 0;
	s->shut_retries = 0;
	s->unreach_retries = 0;
	s->last_rx = 0;
	s->max_gap = 0;
	s->answered = 0;
	s->answered_lo = -1;
	s->answered_hi = -1;
	s->answer_err = 0;
	s->stray = 0;
	pthread_mutex_unlock(&s->lock);
}

/*
 * The soak's stream (SEQ_STREAM_PORT): the test's thread connects to
 * restart-a's echo (vmmgmt_seq_peer --stream-echo), writes
 * seq_stream_byte(offset) and checks every byte that comes back.  A
 * stream that fails is closed and connected again; its bytes in flight
 * are lost unless @may_reset is set (a fault that resets streams by
 * design: guest module reload, host module upgrade, QEMU kill).  Protected
 * by @lock: the counters.
 */
#define STREAM_INFLIGHT		(64 * 1024)
#define STREAM_CHUNK		4096
/* At the end: the echo of what was sent comes back within this. */
#define STREAM_DRAIN_SECS	20

static struct {
	pthread_mutex_t lock;
	pthread_t tid;
	bool running, stop;		/* stop, may_reset: __atomic */
	bool may_reset;
	int fd;
	unsigned long long sent, checked;	/* of the current stream */
	unsigned long long bytes;	/* checked, all streams */
	unsigned long long resets;	/* streams that failed */
	unsigned long long corrupt, lost, in_flight_reset;
} strm = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static void stream_may_reset(bool on)
{
	__atomic_store_n(&strm.may_reset, on, __ATOMIC_RELAXED);
}

static int stream_connect(void)
{
	struct vmmgmt_stream_connect c = {
		.addr = { .vm = guests[A].id, .port = SEQ_STREAM_PORT },
		.timeout_ms = 1000,
	};
	int fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_HOST_IOC_STREAM_CONNECT, &c) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The stream failed (@why): closed; its bytes in flight counted. */
static void stream_reset(const char *why, int err)
{
	bool allowed = __atomic_load_n(&strm.may_reset, __ATOMIC_RELAXED);
	unsigned long long flight;

	close(strm.fd);
	strm.fd = -1;
	pthread_mutex_lock(&strm.lock);
	flight = strm.sent - strm.checked;
	strm.resets++;
	if (allowed)
		strm.in_flight_reset += flight;
	else
		strm.lost += flight;
	strm.sent = 0;
	strm.checked = 0;
	pthread_mutex_unlock(&strm.lock);
	ksft_print_msg("stream: %s (%s) with %llu bytes in flight: %s\n", why, strerror(err),
		       flight, allowed ? "a fault that resets streams" : "LOST");
}

/* The echo's bytes: checked against the pattern; false on a mismatch. */
static bool stream_check(const __u8 *buf, ssize_t n)
{
	unsigned long long bad = 0;
	ssize_t i;

	pthread_mutex_lock(&strm.lock);
	for (i = 0; i < n; i++)
		bad += buf[i] != seq_stream_byte(strm.checked + i);
	strm.checked += n;
	strm.bytes += n - bad;
	strm.corrupt += bad;
	pthread_mutex_unlock(&strm.lock);
	return !bad;
}

/* One round of the stream: read the echo, write more of the pattern. */
static void stream_step(bool write_more)
{
	__u8 buf[STREAM_CHUNK];
	struct pollfd p = { .fd = strm.fd, .events = POLLIN };
	unsigned long long off;
	ssize_t n, i;

	if (write_more && strm.sent - strm.checked < STREAM_INFLIGHT)
		p.events |= POLLOUT;
	/*
	 * A read even without POLLIN: a file of a module being replaced
	 * (ESHUTDOWN) is closed at once whatever its poll() says.
	 */
	if (poll(&p, 1, 100) < 0)
		p.revents = 0;
	n = read(strm.fd, buf, sizeof(buf));
	if (n == 0) {
		stream_reset("end of stream from the echo", EPIPE);
		return;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		stream_reset("read", errno);
		return;
	}
	if (n > 0 && !stream_check(buf, n)) {
		stream_reset("bytes not the pattern", EBADMSG);
		return;
	}
	if (!(p.revents & POLLOUT) || !write_more)
		return;
	off = strm.sent;
	for (i = 0; i < STREAM_CHUNK; i++)
		buf[i] = seq_stream_byte(off + i);
	n = write(strm.fd, buf, STREAM_CHUNK);
	if (n > 0) {
		pthread_mutex_lock(&strm.lock);
		strm.sent += n;
		pthread_mutex_unlock(&strm.lock);
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		stream_reset("write", errno);
	}
}

static void *stream_thread(void *arg)
{
	double end;
	int fd;

	(void)arg;
	while (!__atomic_load_n(&strm.stop, __ATOMIC_RELAXED)) {
		if (strm.fd < 0) {
			fd = stream_connect();
			if (fd < 0) {
				vmmgmt_sleep_ms(200);
				continue;
			}
			strm.fd = fd;
			ksft_print_msg("stream: connected to %s:%u\n", guests[A].name,
				       SEQ_STREAM_PORT);
		}
		stream_step(true);
	}
	/* The echo of all that was sent, then the stream closed. */
	end = vmmgmt_now_s() + STREAM_DRAIN_SECS;
	while (strm.fd >= 0 && strm.checked < strm.sent && vmmgmt_now_s() < end)
		stream_step(false);
	if (strm.fd >= 0 && strm.checked < strm.sent)
		stream_reset("no echo at the end", ETIMEDOUT);
	if (strm.fd >= 0)
		close(strm.fd);
	strm.fd = -1;
	return NULL;
}

static void stream_start(void)
{
	if (!soak)
		return;
	if (pthread_create(&strm.tid, NULL, stream_thread, NULL))
		fatal("stream thread: %s", strerror(errno));
	strm.running = true;
}

/* Before restart-a goes for good; the counters are final after it. */
static void stream_stop(void)
{
	if (!strm.running)
		return;
	__atomic_store_n(&strm.stop, true, __ATOMIC_RELAXED);
	pthread_join(strm.tid, NULL);
	strm.running = false;
}

/* The stream's bytes lost: corrupted, or in flight in a stream reset by no fault. */
static unsigned long long stream_lost(void)
{
	unsigned long long n;

	pthread_mutex_lock(&strm.lock);
	n = strm.lost + strm.corrupt;
	pthread_mutex_unlock(&strm.lock);
	return n;
}

/*
 * The cases around restart-a's traffic: once, or the soak's rounds until
 * soak_end; the last round ends with case 6 (restart-a gone).
 */
static void run_rounds(void)
{
	unsigned int round, i;

	for (round = 1;; round++) {
		/* The soak's even rounds stop, freeze and reload restart-c. */
		cur = soak && !(round % 2) ? C : A;
		if (soak)
			ksft_print_msg("==== soak round %u, %.0f s left, %llu faults so far (%s)\n",
				       round, soak_end - vmmgmt_now_s(), soak_faults(),
				       guests[cur].name);
		/* First what needs no more than the channel: a base line. */
		case_qemu_stop();
		case_vmmgmtd_kill();
		case_vm_add_del(round % SOAK_EVERY == 1);
		case_sleep("suspend to RAM and wake", "mem", "system_wakeup");
		case_sleep("freeze and thaw", "freeze", "system_powerdown");
		/* restart-a's reload resets the stream, restart-c's not. */
		stream_may_reset(cur == A);
		case_reload();
		stream_may_reset(false);
		case_upgrade_refused();
		stream_may_reset(true);
		for (i = 1; i <= UPGRADES; i++)
			case_upgrade(i);
		stream_may_reset(false);
		if (!soak || vmmgmt_now_s() >= soak_end)
			break;
		if (round % SOAK_EVERY)
			continue;
		stream_may_reset(true);
		case_qemu_kill();
		/* restart-a's log (and restart-b's) start empty at their boot. */
		boot_check_guest_logs();
		epoch_end();
		start_traffic();
		stream_may_reset(false);
	}
	cur = A;
	stream_stop();
	case_qemu_kill();
}

/*
 * The TAP results of the single pass, for the plan printed before them:
 * each case's own, then its check_counts()'s (the soak's number of
 * rounds is not known before: it prints its plan at the end).
 */
static unsigned int single_pass_plan(void)
{
	return 1 + counts_results(CHECK_GAP) +			/* start */
	       3 + counts_results(0) +				/* 3. QEMU stop */
	       4 + counts_results(CHECK_GAP) +			/* 1. SIGKILL */
	       7 + counts_results(CHECK_GAP) +			/* 2. restart-b booted */
	       2 * (3 + counts_results(0)) +			/* 4. both sleeps */
	       2 + counts_results(CHECK_RELOAD) +		/* 5. reload */
	       3 + counts_results(CHECK_GAP) +			/* 7. upgrade refused */
	       UPGRADES * (8 + counts_results(CHECK_HANDOVER)) +	/* 8. upgrades */
	       4 + counts_results(CHECK_GAP) +			/* 6. SIGTERM, kill */
	       2;						/* the kernel logs */
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
	pthread_mutex_lock(&strm.lock);
	ksft_print_msg("soak: stream bytes checked %llu, corrupted %llu, lost %llu,\n",
		       strm.bytes, strm.corrupt, strm.lost);
	ksft_print_msg("  resets %llu (%llu bytes in flight then)\n", strm.resets,
		       strm.in_flight_reset);
	printf("FIGURE soak_stream_bytes %llu\n", strm.bytes);
	printf("FIGURE soak_stream_resets %llu\n", strm.resets);
	pthread_mutex_unlock(&strm.lock);
	printf("FIGURE soak_msgs_lost %llu\n",
	       total.lost + epoch[A].lost + epoch[C].lost + stream_lost());
	printf("FIGURE soak_msgs_duplicated %llu\n", total.dup + epoch[A].dup + epoch[C].dup);
	printf("FIGURE soak_msgs_reordered %llu\n",
	       total.reordered + epoch[A].reordered + epoch[C].reordered);
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
	unsigned int i;

	ksft_print_header();
	boot_init("VMMGMT_RESTART_DIR", "/tmp/restart-vmmgmtd.log", guests, NGUESTS);
	if (minutes) {
		if (atoi(minutes) <= 0)
			ksft_exit_fail_msg("VMMGMT_SOAK_MINUTES=%s: not a number of minutes\n",
					   minutes);
		soak = true;
		stop_secs = SOAK_STOP_SECS;
		guests[A].mode = "seq-stream";
		/* On vmmgmtd's command line from the start, as restart-a. */
		guests[C].late = false;
	}
	for (i = 0; i < NGUESTS; i++) {
		pthread_mutex_init(&sides[i].lock, NULL);
		sides[i].answered_lo = -1;
		sides[i].answered_hi = -1;
	}
	boot.dump_keys = dump_keys;
	boot.on_fatal = on_fatal;
	boot_need_kvm();
	host_need_abi(9, "host module handover");
	if (!soak)
		ksft_set_plan(single_pass_plan());
	boot_begin();
	kwarn_base = kernel_warnings();

	reports.take = seq_take;
	if (reports_start(SEQ_HOST_PORT))
		fatal("bind host port %u: %s", SEQ_HOST_PORT, strerror(errno));
	/* The minutes count from restart-a's first boot on. */
	if (soak) {
		soak_end = vmmgmt_now_s() + 60.0 * atoi(minutes);
		peer_secs = PEER_SECS + 60 * atoi(minutes);
	}
	start_traffic();
	if (soak)
		start_c();
	stream_start();
	run_rounds();

	stop_sender(C);
	reports_stop();
	boot_check_guest_logs();
	boot_check_host_log(kwarn_base);
	kill_all();
	if (soak) {
		epoch_add(A);
		epoch_add(C);
		warnings = soak_figures();
		ksft_test_result(!total.lost && !stream_lost() && !total.dup && !total.reordered &&
				 strm.bytes && !warnings,
				 "soak: %llu faults: lost %llu, stream bytes lost %llu of %llu, duplicated %llu, reordered %llu, host kernel warnings %lld\n",
				 soak_faults(), total.lost, stream_lost(), strm.bytes, total.dup,
				 total.reordered, warnings);
	}
	if (soak)
		ksft_set_plan(ksft_test_num());
	boot_finished();
}
