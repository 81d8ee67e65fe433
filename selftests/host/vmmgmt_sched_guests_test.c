// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: the demand scheduling policy with real QEMU guests.
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment below)
 * after the normal guests are done.  It starts its own vmmgmtd for two VMs
 * (sched-a, sched-b, ids 31 and 32) and boots them one after the other
 * with vmmgmt.mode=burn: each guest (one vCPU) sends statistics every
 * 200 ms with its needs, A "1 vCPU at urgency 100", B "1 vCPU at urgency
 * 0", and burns its CPU.  QEMU runs with -name NAME,debug-threads=on, so
 * that its vCPU thread is "CPU 0/KVM"; the test pins both vCPU threads to
 * CPU 0 of the host VM.
 *
 *  1. Policy off: over 10 s, the two vCPU threads get CPU time within
 *     20 % of each other (/proc/<qemu>/task/<tid>/schedstat); the
 *     guests rang at most one doorbell per sample.
 *  2. Policy demand (bounds 0..10, the defaults; B's set with vmmgmtctl
 *     sched): A's thread gets nice 0, B's 10; over 10 s A gets at least
 *     1.5 times B's CPU time.
 *  3. A's needs change (a message to the guest's port 77, "needs V U"):
 *     the host changes A's nice value; the guest prints the sequence
 *     number of its last sample before the change, the host's sched/
 *     change_seq is the sample that changed it: the difference is the
 *     reaction in periods (printed, not checked against the goal).
 *     With VMMGMT_SCHED_FIGURES, 18 more changes without TAP results, for
 *     the figure sched_reaction_periods over REACT_CHANGES.
 *  4. A asks for everything the ABI allows: within its bounds it stays.
 *  5. Policy off gives B's thread its nice value from before back (the
 *     test gave it 2 before demand took it).
 *  6. The administrator removes the VMs (vmmgmtctl vm del; QEMU stopped
 *     but alive, ABI 0.8: vmmgmtd's exit alone leaves them registered):
 *     the host module removes them and both threads have their nice
 *     values from before.
 *
 * Every check is one TAP result.  With VMMGMT_SCHED_FIGURES set it also
 * prints "FIGURE-HOST sched NAME VALUE UNIT" lines for scripts/bench.
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_SCHED_DIR      a directory for vmmgmtd's sockets (created)
 * Without them the test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"

#define BOOT_SECS		150
#define MEASURE_SECS		10
#define PERIOD_MS		200
#define CTL_PORT		77
/* Changes of A's needs the sched_reaction_periods figure is taken over. */
#define REACT_CHANGES		20

/* Their needs (vmmgmt.needs=) are start_burner()'s. */
static struct boot_guest guests[2] = {
	{ .name = "sched-a", .id = 31, .mode = "burn", .vcpu_names = true },
	{ .name = "sched-b", .id = 32, .mode = "burn", .vcpu_names = true },
};

static const char * const dump_keys[] = {
	"vmmgmtctl", "WARNING", "BUG", NULL,
};

static bool figures;

/* A number in VMMGMT_HOST_VMS_SYSFS/<g>/@file; -1 when unreadable or not a number. */
static long long vm_num(const struct boot_guest *g, const char *file)
{
	char path[256], buf[128], *end;
	long long v;

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/%s", g->name, file);
	if (vmmgmt_read_text(path, buf, sizeof(buf)))
		return -1;
	v = strtoll(buf, &end, 10);
	return end == buf ? -1 : v;
}

static int vm_write(const struct boot_guest *g, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s/%s", g->name, file);
	return vmmgmt_write_text(path, val);
}

/* The nice value of @tid, 100 if unreadable. */
static int nice_of(pid_t tid)
{
	int n;

	errno = 0;
	n = getpriority(PRIO_PROCESS, tid);
	return errno ? 100 : n;
}

/* The time @g's vCPU thread ran, ns (schedstat's first field); -1. */
static long long run_ns(const struct boot_guest *g)
{
	char path[128], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat",
		 (int)g->pid, (int)g->vcpu);
	if (vmmgmt_read_text(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/*
 * Boot @g (vmmgmt.mode=burn) with vmmgmt.needs=@needs and wait until it
 * burns with stats on.
 */
static void start_burner(struct boot_guest *g, const char *needs)
{
	char args[128];
	double end;
	cpu_set_t cpu0;

	snprintf(args, sizeof(args), "vmmgmt.needs=%s vmmgmt.stats_period_ms=%d",
		 needs, PERIOD_MS);
	start_guest(g, args);
	end = vmmgmt_now_s() + BOOT_SECS;
	while (!(g->vcpu = find_vcpu(g))) {
		if (vmmgmt_now_s() >= end || wait_exit(g->pid, 0) != -1)
			fatal("%s: no thread \"CPU 0/KVM\" in QEMU %d", g->name,
			      (int)g->pid);
		vmmgmt_sleep_ms(100);
	}
	/* Both vCPU threads on CPU 0 of the host VM, whatever its size. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(g->vcpu, sizeof(cpu0), &cpu0))
		fatal("%s: pin thread %d to CPU 0: %s", g->name, (int)g->vcpu,
		      strerror(errno));
	if (!wait_line(g->log, 0, "VMMGMT-BURN", NULL, 0, end - vmmgmt_now_s()))
		fatal("%s: does not burn: see %s", g->name, g->log);
	/* The first sample comes a period after the guest switched on. */
	end = vmmgmt_now_s() + 10;
	while (vm_num(g, "stats/samples") <= 0) {
		if (vmmgmt_now_s() >= end)
			fatal("%s: no statistics sample within 10 s", g->name);
		vmmgmt_sleep_ms(100);
	}
}

/* Each guest's vCPU time over MEASURE_SECS, and kicks per sample. */
static void measure(long long ran[2], double *kicks_per_sample)
{
	long long r0[2], k0 = 0, s0 = 0, k1 = 0, s1 = 0;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		r0[i] = run_ns(&guests[i]);
		k0 += vm_num(&guests[i], "kicks");
		s0 += vm_num(&guests[i], "stats/samples");
	}
	sleep(MEASURE_SECS);
	for (i = 0; i < 2; i++) {
		ran[i] = run_ns(&guests[i]) - r0[i];
		k1 += vm_num(&guests[i], "kicks");
		s1 += vm_num(&guests[i], "stats/samples");
	}
	*kicks_per_sample = s1 > s0 ? (double)(k1 - k0) / (s1 - s0) : -1;
	ksft_print_msg("over %d s: %s ran %.2f s, %s %.2f s; %lld doorbells for %lld samples\n",
		       MEASURE_SECS, guests[0].name, ran[0] / 1e9,
		       guests[1].name, ran[1] / 1e9, k1 - k0, s1 - s0);
}

/* vmmgmtctl sched @g @policy 0 10: true when it exited 0. */
static bool ctl_sched(const struct boot_guest *g, const char *policy)
{
	char *argv[7];
	int status;
	pid_t pid;

	argv[0] = "vmmgmtctl";
	argv[1] = "sched";
	argv[2] = (char *)g->name;
	argv[3] = (char *)policy;
	argv[4] = "0";
	argv[5] = "10";
	argv[6] = NULL;
	pid = spawn(argv, "/tmp/sched-ctl.log");
	status = wait_exit(pid, 10);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return false;
	}
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

/* Wait up to @secs until @g's vCPU thread has nice @want. */
static bool wait_nice(const struct boot_guest *g, int want, double secs)
{
	double end = vmmgmt_now_s() + secs;

	while (nice_of(g->vcpu) != want) {
		if (vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(20);
	}
	return true;
}

/*
 * Tell guest @g to set its needs (through its port CTL_PORT); the guest
 * prints the sequence number of its last sample before the change.
 * Returns it, or -1.
 */
static long long send_needs(const struct boot_guest *g, unsigned int vcpus,
			    unsigned int urgency)
{
	char dst[32], msg[64], want[128], line[512], *p;
	char *argv[5];
	int status;
	pid_t pid;

	argv[0] = "vmmgmtctl";
	argv[1] = "send";
	argv[2] = dst;
	argv[3] = msg;
	argv[4] = NULL;
	snprintf(dst, sizeof(dst), "%u:%d", g->id, CTL_PORT);
	snprintf(msg, sizeof(msg), "needs %u %u", vcpus, urgency);
	pid = spawn(argv, "/tmp/sched-send.log");
	status = wait_exit(pid, 20);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("vmmgmtctl send %s '%s' failed (status %#x)\n",
			       dst, msg, status);
		return -1;
	}
	snprintf(want, sizeof(want), "VMMGMT-NEEDS %s %u %u after seq ", g->name,
		 vcpus, urgency);
	if (!wait_line(g->log, 0, want, line, sizeof(line), 20))
		return -1;
	p = strstr(line, "after seq ");
	return p ? atoll(p + strlen("after seq ")) : -1;
}

/*
 * Change A's needs and wait for the host to set nice @want on its vCPU
 * thread; the reaction in periods (sched/change_seq minus the guest's last
 * sample before the change), or -1.  With @tap, a TAP result too.
 */
static long long change_demand(struct boot_guest *g, unsigned int urgency, int want,
			       bool tap)
{
	long long before, needs_seq, change_seq;
	bool ok;

	before = send_needs(g, 1, urgency);
	ok = before >= 0 && wait_nice(g, want, 10);
	needs_seq = vm_num(g, "sched/needs_seq");
	change_seq = vm_num(g, "sched/change_seq");
	ksft_print_msg("%s: needs 1 %u after sample %lld; host: needs at %lld, nice %d at %lld\n",
		       g->name, urgency, before, needs_seq, nice_of(g->vcpu),
		       change_seq);
	ok = ok && needs_seq > before && change_seq >= needs_seq;
	if (!tap)
		return ok ? change_seq - before : -1;
	ksft_test_result(ok, "demand change: %s urgency %u: nice %d, %lld period(s) later\n",
			 g->name, urgency, want, ok ? change_seq - before : -1);
	return ok ? change_seq - before : -1;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * For the figure: REACT_CHANGES changes of A's needs in all, the first
 * two (@r1, @r2, TAP results) and more down and up again without TAP
 * results (so that the plan is the same with and without figures; A ends
 * at urgency 100, as after the two).  Prints sched_reaction_periods, the
 * median (rank n/2 once sorted, as vmmgmt-bench's) with min= and max=, or
 * nothing when a change failed.
 */
static void reaction_figure(struct boot_guest *g, long long r1, long long r2)
{
	long long r[REACT_CHANGES];
	unsigned int i;

	r[0] = r1;
	r[1] = r2;
	for (i = 2; i < REACT_CHANGES; i += 2) {
		r[i] = change_demand(g, 0, 10, false);
		r[i + 1] = change_demand(g, 100, 0, false);
	}
	for (i = 0; i < REACT_CHANGES; i++)
		if (r[i] < 0) {
			ksft_print_msg("reaction: change %u of %d failed: no figure\n", i + 1,
				       REACT_CHANGES);
			return;
		}
	qsort(r, REACT_CHANGES, sizeof(*r), cmp_ll);
	printf("FIGURE-HOST sched sched_reaction_periods %lld periods min=%lld max=%lld\n",
	       r[REACT_CHANGES / 2], r[0], r[REACT_CHANGES - 1]);
	fflush(stdout);
}

int main(void)
{
	struct boot_guest *a = &guests[0], *b = &guests[1];
	long long ran[2], r1, r2, clamped0;
	double kps, kps_off, ratio, off_ratio, react = -1;
	char line[256], out[512];
	int status;

	ksft_print_header();
	boot_init("VMMGMT_SCHED_DIR", "/tmp/sched-vmmgmtd.log", guests, 2);
	boot.dump_keys = dump_keys;
	boot.on_fatal = dump_guests;
	figures = getenv("VMMGMT_SCHED_FIGURES");
	boot_need_kvm();
	ksft_set_plan(13);
	boot_begin();

	start_vmmgmtd();
	start_burner(a, "1,100");
	/* A burns: keep it out of B's way while B boots. */
	setpriority(PRIO_PROCESS, a->vcpu, 19);
	start_burner(b, "1,0");
	setpriority(PRIO_PROCESS, a->vcpu, 0);
	ksft_print_msg("%s: QEMU %d, vCPU thread %d; %s: QEMU %d, vCPU thread %d; both on CPU 0\n",
		       a->name, (int)a->pid, (int)a->vcpu, b->name, (int)b->pid,
		       (int)b->vcpu);

	/* 1. Policy off: a fair share. */
	ksft_test_result(!vm_attr("sched-a", "sched/policy", line, sizeof(line)) &&
			 !strcmp(line, "off") && vm_num(a, "sched/nice_min") == 0 &&
			 vm_num(a, "sched/nice_max") == 10 && nice_of(a->vcpu) == 0 &&
			 nice_of(b->vcpu) == 0,
			 "off: policy %s, bounds 0..10, both vCPU threads at nice 0\n", line);
	sleep(1);
	measure(ran, &kps_off);
	off_ratio = ran[1] > 0 ? (double)ran[0] / ran[1] : 0;
	ksft_test_result(ran[0] > 0 && ran[1] > 0 &&
			 (ran[0] < ran[1] ? ran[0] >= 0.8 * ran[1] : ran[1] >= 0.8 * ran[0]),
			 "off: CPU time within 20 %% of each other (A/B %.2f)\n", off_ratio);
	ksft_test_result(kps_off >= 0 && kps_off <= 1.05,
			 "stats: at most one doorbell per sample (%.2f)\n", kps_off);

	/* 2. Demand. */
	setpriority(PRIO_PROCESS, b->vcpu, 2);
	ksft_test_result(!vm_write(a, "sched/policy", "demand") && ctl_sched(b, "demand") &&
			 vm_num(a, "sched/nr_threads") == 1 &&
			 vm_num(b, "sched/nr_threads") == 1,
			 "demand: policy on, one vCPU thread each\n");
	ksft_test_result(wait_nice(a, 0, 10) && wait_nice(b, 10, 10),
			 "demand: %s's vCPU thread at nice %d (0), %s's at %d (10)\n",
			 a->name, nice_of(a->vcpu), b->name, nice_of(b->vcpu));
	sleep(1);
	measure(ran, &kps);
	ratio = ran[1] > 0 ? (double)ran[0] / ran[1] : 0;
	ksft_test_result(ratio >= 1.5,
			 "demand: %s got %.2f times the CPU time of %s (at least 1.5)\n",
			 a->name, ratio, b->name);

	/* 3. A's demand goes down and up again. */
	r1 = change_demand(a, 0, 10, true);
	r2 = change_demand(a, 100, 0, true);
	if (r1 >= 0 && r2 >= 0)
		react = (r1 + r2) / 2.0;
	if (figures)
		reaction_figure(a, r1, r2);

	/* 4. Everything the ABI allows, and narrower bounds. */
	clamped0 = vm_num(a, "sched/clamped");
	vm_write(a, "sched/nice_min", "5");
	ksft_test_result(send_needs(a, 1024, 100) >= 0 && wait_nice(a, 5, 5),
			 "hostile: %s asks for 1024 vCPUs at urgency 100, bounds 5..10: nice %d\n",
			 a->name, nice_of(a->vcpu));
	sleep(1);
	ksft_test_result(nice_of(a->vcpu) == 5 && vm_num(a, "sched/clamped") > clamped0,
			 "hostile: %s stays at its bound 5 (nice %d), clamped %lld -> %lld\n",
			 a->name, nice_of(a->vcpu), clamped0, vm_num(a, "sched/clamped"));

	/* 5. Off restores B's own value. */
	ksft_test_result(!vm_write(b, "sched/policy", "off") && nice_of(b->vcpu) == 2,
			 "off: %s's vCPU thread back at nice 2 (%d)\n", b->name,
			 nice_of(b->vcpu));
	vm_write(b, "sched/policy", "demand");
	ksft_test_result(wait_nice(b, 10, 5),
			 "demand again: %s's vCPU thread at nice 10 (%d)\n", b->name,
			 nice_of(b->vcpu));

	/*
	 * 6. The administrator removes the VMs; QEMU is stopped, not gone
	 * (ABI 0.8: vmmgmtd's exit alone would leave them registered).
	 */
	kill(a->pid, SIGSTOP);
	kill(b->pid, SIGSTOP);
	status = boot_vmmgmtctl(out, sizeof(out), "vm del %s", a->name) ||
		 boot_vmmgmtctl(out + strlen(out), sizeof(out) - strlen(out),
				"vm del %s", b->name) ? -1 : 0;
	if (status)
		ksft_print_msg("vmmgmtctl vm del: %s\n", out);
	ksft_test_result(status != -1 && access(VMMGMT_HOST_VMS_SYSFS "/sched-a", F_OK) &&
			 access(VMMGMT_HOST_VMS_SYSFS "/sched-b", F_OK) &&
			 nice_of(a->vcpu) == 0 && nice_of(b->vcpu) == 2,
			 "VMs removed by vmmgmtctl vm del: vCPU threads back at nice %d (0) and %d (2)\n",
			 nice_of(a->vcpu), nice_of(b->vcpu));
	stop_vmmgmtd(SIGTERM);
	kill_all();
	dump_guests();

	ksft_print_msg("figures: share %.2f under demand (%.2f off), reaction %.1f periods\n",
		       ratio, off_ratio, react);
	ksft_print_msg("figures: %.2f doorbells per sample (%.2f under demand)\n",
		       kps_off, kps);
	if (figures) {
		/*
		 * Both burn on one CPU at nice 0 and 10: the share is the
		 * scheduler's nice weight table at work (1024 / 110), the
		 * sign that the policy's nice values took effect.
		 */
		printf("FIGURE-HOST sched sched_nice_weight_share_ratio %.2f ratio\n", ratio);
		if (kps_off >= 0)
			printf("FIGURE-HOST sched %s %.2f doorbell/sample\n",
			       "stats_notifications_per_period", kps_off);
		fflush(stdout);
	}
	ksft_finished();
}
