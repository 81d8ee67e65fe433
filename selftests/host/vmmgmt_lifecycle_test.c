// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: teardown under traffic, with real QEMU guests.
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment below)
 * after the normal guests are done.  It starts its own vmmgmtd for four VMs
 * (life-a..life-d, ids 21..24) in its own socket directory and boots one
 * guest at a time with vmmgmt.mode=traffic: the guest's
 * vmmgmt_echo_traffic keeps echo messages flowing until the link goes down.
 *
 *  1. life-a: traffic flows (its rx_msgs in sysfs grows); kill -9 QEMU.
 *     Within a bounded time the VM's sysfs dir and its kernel thread are
 *     gone, vmmgmtd's fd count is back to its baseline, vmalloc, shmem and
 *     unreclaimable slab are back within a tolerance, vmmgmtd still runs.
 *  2. life-b: traffic flows (vmmgmtd still serves), in bursts; while the
 *     guest sleeps in a pause, SIGTERM vmmgmtd.  Under ABI 0.8 vmmgmtd
 *     registers its VMs with VMMGMT_HOST_VM_F_PERSIST: the VM stays
 *     (sysfs dir, thread; orphan 1) and its traffic goes on, the guest
 *     never sees its link go down.  A new vmmgmtd adopts it ("adopted"
 *     in its log, adoptions 1, orphan 0) and the traffic still flows.
 *     kill -9 life-b's QEMU: the module removes the VM, the new
 *     vmmgmtd's fd count is back to what the first one had at start.
 *  3. life-c: a new guest gets a working channel from the new vmmgmtd;
 *     SIGKILL vmmgmtd: the same checks as for SIGTERM.
 *  4. life-d: a new guest on the vmmgmtd started after the SIGKILL;
 *     SIGTERM vmmgmtd (the VM stays), kill -9 QEMU to end it.  Then
 *     nothing of the test is left: no VM, no vmmgmt-* thread, memory
 *     back within the tolerance, no kernel warning.
 *
 * Every check is one TAP result.  Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_LIFE_DIR       a directory for vmmgmtd's sockets (created)
 * Without them the test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"

#define NGUESTS			4
/*
 * TAP results, set as the plan before the first: a check that is not
 * reached makes the run fail (scripts/vm/tap-check, ksft_finished()).
 */
#define NCHECKS			51
/* A guest boots in 15-30 s under the TCG host VM; some slack. */
#define BOOT_SECS		120
/* Teardown is synchronous in the host; a few seconds of scheduling. */
#define GONE_SECS		10
/* life-b: 1 s bursts of traffic, PAUSE_SECS asleep in poll() between. */
#define PAUSE_SECS		3
/*
 * Memory tolerances, kB, for /proc/meminfo after a teardown against the
 * baseline, with no guest running in either (measured noise: tens of kB).
 *
 * Shmem: a VM that is not torn down keeps its 1 MiB region pinned (+1024
 * kB): half of that is caught.  VmallocUsed counts vmalloc()ed pages
 * (kernel stacks, KVM's per-VM data, kvmalloc() fallbacks; a running QEMU
 * adds about 200 kB), not vmap(): the region's vmap is checked exactly, by
 * the vmmgmt_host entries in /proc/vmallocinfo.  SUnreclaim moves with
 * every process that starts or ends; one VM's own slab objects are a few
 * kB, so this only catches repeated or large leaks.
 */
#define TOL_VMALLOC_KB		256
#define TOL_SHMEM_KB		512
#define TOL_SUNRECLAIM_KB	256

static struct boot_guest guests[NGUESTS] = {
	{ .name = "life-a", .id = 21, .mode = "traffic" },
	{ .name = "life-b", .id = 22, .mode = "traffic" },
	{ .name = "life-c", .id = 23, .mode = "traffic" },
	{ .name = "life-d", .id = 24, .mode = "traffic" },
};

static const char * const dump_keys[] = { "traffic: ", NULL };
static int kwarn_base;

/* ---- what the host holds ---- */

struct snap {
	int threads;		/* vmmgmt-* kernel threads */
	int fds;		/* vmmgmtd's open fds, -1 without vmmgmtd */
	int vms;		/* entries of VMMGMT_HOST_VMS_SYSFS */
	int vmaps;		/* vmmgmt_host's areas in /proc/vmallocinfo */
	long slab, sunreclaim, vmalloc, shmem;	/* /proc/meminfo, kB */
};

static long meminfo_kb(const char *key)
{
	char buf[256];
	size_t len = strlen(key);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, key, len) && buf[len] == ':') {
			val = strtol(buf + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/* Number of entries in @path (without . and ..), -1 if unreadable. */
static int count_dir(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int vmmgmtd_fds(void)
{
	char path[64];

	if (boot.vmmgmtd_pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)boot.vmmgmtd_pid);
	return count_dir(path);
}

/* Lines of /proc/vmallocinfo allocated by vmmgmt_host.ko (root only). */
static int count_vmaps(void)
{
	char buf[512];
	int n = 0;
	FILE *f = fopen("/proc/vmallocinfo", "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, "[vmmgmt_host]"))
			n++;
	fclose(f);
	return n;
}

static void snapshot(struct snap *s)
{
	s->vmaps = count_vmaps();
	s->threads = count_threads("vmmgmt-");
	s->fds = vmmgmtd_fds();
	s->vms = count_dir(VMMGMT_HOST_VMS_SYSFS);
	s->slab = meminfo_kb("Slab");
	s->sunreclaim = meminfo_kb("SUnreclaim");
	s->vmalloc = meminfo_kb("VmallocUsed");
	s->shmem = meminfo_kb("Shmem");
}

static void print_snap(const char *what, const struct snap *s)
{
	ksft_print_msg("%s threads %d, vmmgmtd fds %d, VMs %d, vmmgmt_host vmaps %d\n",
		       what, s->threads, s->fds, s->vms, s->vmaps);
	ksft_print_msg("%s Slab %ld SUnreclaim %ld VmallocUsed %ld Shmem %ld kB\n",
		       what, s->slab, s->sunreclaim, s->vmalloc, s->shmem);
}

/*
 * Memory after teardown against @base, with no guest running in either.
 * No drop_caches: it would also drop the clean pages of a leaked region
 * (what the module wrote through its vmap is not marked dirty), hiding
 * the leak from Shmem.
 */
static void check_memory(const char *what, const struct snap *base)
{
	struct snap s;

	snapshot(&s);
	print_snap(what, &s);
	ksft_test_result(s.vmaps == base->vmaps,
			 "%s: vmmgmt_host areas in /proc/vmallocinfo %d -> %d\n", what,
			 base->vmaps, s.vmaps);
	ksft_test_result(s.vmalloc - base->vmalloc < TOL_VMALLOC_KB,
			 "%s: VmallocUsed %ld -> %ld kB (tolerance +%d)\n", what,
			 base->vmalloc, s.vmalloc, TOL_VMALLOC_KB);
	ksft_test_result(s.shmem - base->shmem < TOL_SHMEM_KB,
			 "%s: Shmem %ld -> %ld kB (tolerance +%d)\n", what,
			 base->shmem, s.shmem, TOL_SHMEM_KB);
	ksft_test_result(s.sunreclaim - base->sunreclaim < TOL_SUNRECLAIM_KB,
			 "%s: SUnreclaim %ld -> %ld kB (tolerance +%d)\n", what,
			 base->sunreclaim, s.sunreclaim, TOL_SUNRECLAIM_KB);
}

/* Boot guest @g (vmmgmt.mode=traffic), as host-init boots its guests. */
static void start_traffic(struct boot_guest *g, int relink_wait, int pause)
{
	char args[128];

	snprintf(args, sizeof(args), "vmmgmt.relink_wait=%d vmmgmt.pause=%d",
		 relink_wait, pause);
	start_guest(g, args);
}

/*
 * Wait until @g's guest runs echo traffic: its host rx_msgs is above
 * zero, then grows within PAUSE_SECS + 2 s.  Fills @rx0 and @rx1.
 */
static bool wait_traffic(struct boot_guest *g, unsigned long long *rx0,
			 unsigned long long *rx1)
{
	double end = vmmgmt_now_s() + BOOT_SECS;
	unsigned long long pid;
	char path[256];

	boot_vm_path(g, "rx_msgs", path, sizeof(path));
	*rx0 = *rx1 = 0;
	while (vmmgmt_read_u64(path, rx0) || *rx0 == 0) {
		if (vmmgmt_now_s() >= end || wait_exit(g->pid, 0) != -1) {
			g->pid = 0;
			return false;
		}
		vmmgmt_sleep_ms(200);
	}
	boot_vm_path(g, "qemu_pid", path, sizeof(path));
	if (vmmgmt_read_u64(path, &pid) || pid != (unsigned long long)g->pid) {
		ksft_print_msg("%s: host says qemu_pid %llu, we started %d\n",
			       g->name, pid, (int)g->pid);
		return false;
	}
	boot_vm_path(g, "rx_msgs", path, sizeof(path));
	end = vmmgmt_now_s() + PAUSE_SECS + 2;
	do {
		vmmgmt_sleep_ms(200);
		if (vmmgmt_read_u64(path, rx1))
			return false;
	} while (*rx1 <= *rx0 && vmmgmt_now_s() < end);
	return *rx1 > *rx0;
}

static void check_gone(const char *what, const struct boot_guest *g)
{
	bool dir_gone, thread_gone;
	double t = boot_wait_vm_gone(g, GONE_SECS, &dir_gone, &thread_gone);

	ksft_test_result(dir_gone, "%s: %s's sysfs dir gone (%.2f s)\n", what,
			 g->name, t);
	ksft_test_result(thread_gone, "%s: kernel thread vmmgmt-%s gone\n",
			 what, g->name);
}

/*
 * The guest's traffic tool is still at it: no "link down" and no "FAIL"
 * line in its log (under ABI 0.8 a daemon that goes away leaves the
 * channel alone).
 */
static void check_guest_undisturbed(const char *what, const struct boot_guest *g)
{
	char line[512] = "";
	bool bad;

	bad = find_line(g->log, 0, "traffic: link down", line, sizeof(line)) ||
	      find_line(g->log, 0, "traffic: FAIL", line, sizeof(line));
	ksft_test_result(!bad, "%s: %s's traffic never saw its link go down%s%s\n",
			 what, g->name, bad ? ": " : "", line);
}

/* vmmgmtd stopped: @g's VM stays registered, an orphan, with its thread. */
static void check_kept(const char *what, const struct boot_guest *g, int vms)
{
	char path[256];
	long long orphan = boot_wait_orphan(g, GONE_SECS);
	bool ok;

	boot_vm_path(g, NULL, path, sizeof(path));
	ok = !access(path, F_OK) && boot_vm_threads(g) == 1 && orphan == 1 &&
	     count_dir(VMMGMT_HOST_VMS_SYSFS) == vms;
	ksft_test_result(ok,
			 "%s: %s's VM kept: sysfs dir, thread %d, orphan %lld, VMs %d (want %d)\n",
			 what, g->name, boot_vm_threads(g), orphan,
			 count_dir(VMMGMT_HOST_VMS_SYSFS), vms);
}

/* kill -9 @g's QEMU: the host module removes its VM by itself. */
static void kill_guest(const char *what, struct boot_guest *g)
{
	kill(g->pid, SIGKILL);
	waitpid(g->pid, NULL, 0);
	g->pid = 0;
	check_gone(what, g);
}

/* vmmgmtd's fd count is @fds0 again within GONE_SECS (it closes on EOF). */
static bool fds_back(int fds0)
{
	int i;

	for (i = 0; i < GONE_SECS * 10; i++) {
		if (vmmgmtd_fds() == fds0)
			return true;
		vmmgmt_sleep_ms(100);
	}
	return false;
}

static void check_traffic(const char *what, struct boot_guest *g)
{
	unsigned long long rx0, rx1;
	bool ok = wait_traffic(g, &rx0, &rx1);

	ksft_test_result(ok, "%s: %s echo traffic flows (host rx_msgs %llu -> %llu)\n",
			 what, g->name, rx0, rx1);
	if (!ok) {
		dump_file(g->log, g->name);
		fatal("%s: no traffic from %s: see /tmp/%s.log", what, g->name,
		      g->name);
	}
}

/* No kernel problem in any guest's console log. */
static void check_guest_logs(void)
{
	char line[512] = "";
	bool found = guest_log_warning(line, sizeof(line));

	ksft_test_result(!found, "guests: no kernel warning in their logs%s%s\n",
			 found ? ": " : "", line);
}

/*
 * Wait until @g's guest starts a pause (its "traffic: pause" line), then
 * 300 ms more: it sleeps in poll() with nothing in flight.
 */
static bool wait_idle(const struct boot_guest *g)
{
	long from = file_size(g->log);

	if (!wait_line(g->log, from, "traffic: pause", NULL, 0, PAUSE_SECS + 5))
		return false;
	vmmgmt_sleep_ms(300);
	return true;
}

static void check_no_warning(const char *what)
{
	int n = kernel_warnings();

	/* Not "==": the kernel log is a ring, old lines may have gone. */
	ksft_test_result(n >= 0 && n <= kwarn_base,
			 "%s: no new kernel warning (%d problem lines, %d before)\n",
			 what, n, kwarn_base);
}

int main(void)
{
	struct snap base, during;
	long from;
	int status, fds0;

	ksft_print_header();
	boot_init("VMMGMT_LIFE_DIR", "/tmp/life-vmmgmtd.log", guests, NGUESTS);
	boot.dump_keys = dump_keys;
	boot_need_kvm();
	ksft_set_plan(NCHECKS);
	boot_begin();
	kwarn_base = kernel_warnings();

	/* 1. QEMU killed while traffic flows. */
	start_vmmgmtd();
	/* Memory is compared with this: KVM's caches warm, as after guests. */
	ksft_test_result(!boot_warm_kvm(), "KVM VM created and destroyed before the baseline\n");
	snapshot(&base);
	fds0 = base.fds;
	print_snap("before life-a:", &base);
	start_traffic(&guests[0], 0, 0);
	check_traffic("qemu killed", &guests[0]);
	snapshot(&during);
	print_snap("life-a running:", &during);
	/* What the checks below must see go away is there. */
	ksft_test_result(boot_vm_threads(&guests[0]) == 1 && during.vms == base.vms + 1 &&
			 during.vmaps > base.vmaps && during.fds > fds0 &&
			 during.shmem - base.shmem >= 1024 - TOL_SHMEM_KB,
			 "qemu killed: while running: thread, VM, vmap %d -> %d, fds %d -> %d, Shmem +%ld kB\n",
			 base.vmaps, during.vmaps, fds0, during.fds, during.shmem - base.shmem);
	kill(guests[0].pid, SIGKILL);
	waitpid(guests[0].pid, NULL, 0);
	guests[0].pid = 0;
	check_gone("qemu killed", &guests[0]);
	/* vmmgmtd closes its fds when it sees QEMU's EOF: give it time. */
	ksft_test_result(fds_back(fds0),
			 "qemu killed: vmmgmtd fds back to baseline (%d -> %d -> %d)\n",
			 fds0, during.fds, vmmgmtd_fds());
	ksft_test_result(wait_exit(boot.vmmgmtd_pid, 0) == -1,
			 "qemu killed: vmmgmtd still running\n");
	ksft_test_result(count_dir(VMMGMT_HOST_VMS_SYSFS) == base.vms,
			 "qemu killed: VMs in sysfs back to %d\n", base.vms);
	check_memory("qemu killed", &base);
	check_no_warning("qemu killed");

	/*
	 * 2. vmmgmtd stopped with SIGTERM while a guest runs traffic: the VM
	 * stays (ABI 0.8), a new vmmgmtd adopts it.
	 */
	start_traffic(&guests[1], 0, PAUSE_SECS);
	check_traffic("after qemu kill, vmmgmtd serves a new guest", &guests[1]);
	snapshot(&during);
	print_snap("life-b running:", &during);
	/*
	 * Stop vmmgmtd while the guest sleeps between bursts, with nothing
	 * in flight: nothing may wake it with an error.
	 */
	ksft_test_result(wait_idle(&guests[1]), "vmmgmtd SIGTERM: life-b sleeps in a pause\n");
	status = stop_vmmgmtd(SIGTERM);
	ksft_test_result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "vmmgmtd SIGTERM: vmmgmtd exited 0 (status %#x)\n", status);
	check_kept("vmmgmtd SIGTERM", &guests[1], base.vms + 1);
	check_traffic("vmmgmtd SIGTERM: no daemon, traffic flows", &guests[1]);
	from = file_size(boot.vmmgmtd_log);
	start_vmmgmtd();
	boot_check_adopted("vmmgmtd restarted", &guests[1], from, 1);
	check_traffic("vmmgmtd restarted: adopted life-b", &guests[1]);
	check_guest_undisturbed("vmmgmtd SIGTERM and restart", &guests[1]);
	kill_guest("adopted life-b's QEMU killed", &guests[1]);
	/* No fd of the adopted VM is left: its pidfd went with its QEMU. */
	ksft_test_result(fds_back(fds0),
			 "adopted life-b's QEMU killed: new vmmgmtd's fds %d, as the first's at start (%d)\n",
			 vmmgmtd_fds(), fds0);
	check_memory("vmmgmtd SIGTERM", &base);

	/* 3. A new guest after the restart; then SIGKILL vmmgmtd. */
	start_traffic(&guests[2], 0, 0);
	check_traffic("vmmgmtd restarted after SIGTERM: new guest", &guests[2]);
	status = stop_vmmgmtd(SIGKILL);
	ksft_test_result(status != -1 && WIFSIGNALED(status),
			 "vmmgmtd SIGKILL: vmmgmtd killed (status %#x)\n", status);
	check_kept("vmmgmtd SIGKILL", &guests[2], base.vms + 1);
	check_traffic("vmmgmtd SIGKILL: no daemon, traffic flows", &guests[2]);
	from = file_size(boot.vmmgmtd_log);
	start_vmmgmtd();
	boot_check_adopted("vmmgmtd restarted after SIGKILL", &guests[2], from, 1);
	check_traffic("vmmgmtd restarted after SIGKILL: adopted life-c", &guests[2]);
	check_guest_undisturbed("vmmgmtd SIGKILL and restart", &guests[2]);
	kill_guest("adopted life-c's QEMU killed", &guests[2]);

	/* 4. A new guest on the vmmgmtd started after the SIGKILL. */
	start_traffic(&guests[3], 0, 0);
	check_traffic("vmmgmtd restarted after SIGKILL: new guest", &guests[3]);
	status = stop_vmmgmtd(SIGTERM);
	ksft_test_result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "end: vmmgmtd exited 0 on SIGTERM (status %#x)\n", status);
	check_kept("end", &guests[3], base.vms + 1);
	kill_guest("end", &guests[3]);
	ksft_test_result(count_dir(VMMGMT_HOST_VMS_SYSFS) == base.vms &&
			 count_threads("vmmgmt-") == base.threads,
			 "end: VMs in sysfs %d, vmmgmt-* threads %d, as before the test\n",
			 count_dir(VMMGMT_HOST_VMS_SYSFS), count_threads("vmmgmt-"));
	check_memory("end", &base);
	check_no_warning("end");
	check_guest_logs();

	dump_file(boot.vmmgmtd_log, "vmmgmtd");
	dump_file(guests[1].log, "life-b");
	kill_all();
	ksft_finished();
}
