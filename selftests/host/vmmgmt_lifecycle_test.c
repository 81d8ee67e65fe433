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
 *  2. life-b: traffic flows (vmmgmtd still serves); SIGTERM vmmgmtd.  The
 *     host module unregisters the VM (sysfs dir, thread gone), the guest's
 *     traffic ends with ENOTCONN, not a hang.  A new vmmgmtd starts; the
 *     still running QEMU does not come back to it (QEMU never reconnects
 *     its ivshmem-doorbell chardev) and the guest's link stays down.
 *  3. life-c: a new guest gets a working channel from the new vmmgmtd;
 *     SIGKILL vmmgmtd: same checks as for SIGTERM.
 *  4. life-d: a new guest after the SIGKILL; SIGTERM vmmgmtd to end it.
 *     Then nothing of the test is left: no VM, no vmmgmt-* thread, memory
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
/* A guest boots in 15-30 s under the TCG host VM; some slack. */
#define BOOT_SECS		120
/* Teardown is synchronous in the host; a few seconds of scheduling. */
#define GONE_SECS		10
/* The guest's traffic tool waits this long for a link that came back. */
#define RELINK_WAIT		8
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

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

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

static int thread_count_of(const struct boot_guest *g)
{
	char name[64];

	snprintf(name, sizeof(name), "vmmgmt-%s", g->name);
	return count_threads(name);
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

static void vm_path(const struct boot_guest *g, const char *file, char *buf,
		    size_t size)
{
	snprintf(buf, size, VMMGMT_HOST_VMS_SYSFS "/%s%s%s", g->name, file ? "/" : "",
		 file ? file : "");
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

	vm_path(g, "rx_msgs", path, sizeof(path));
	*rx0 = *rx1 = 0;
	while (vmmgmt_read_u64(path, rx0) || *rx0 == 0) {
		if (vmmgmt_now_s() >= end || wait_exit(g->pid, 0) != -1) {
			g->pid = 0;
			return false;
		}
		vmmgmt_sleep_ms(200);
	}
	vm_path(g, "qemu_pid", path, sizeof(path));
	if (vmmgmt_read_u64(path, &pid) || pid != (unsigned long long)g->pid) {
		ksft_print_msg("%s: host says qemu_pid %llu, we started %d\n",
			       g->name, pid, (int)g->pid);
		return false;
	}
	vm_path(g, "rx_msgs", path, sizeof(path));
	end = vmmgmt_now_s() + PAUSE_SECS + 2;
	do {
		vmmgmt_sleep_ms(200);
		if (vmmgmt_read_u64(path, rx1))
			return false;
	} while (*rx1 <= *rx0 && vmmgmt_now_s() < end);
	return *rx1 > *rx0;
}

/* Wait until @g's sysfs dir and kernel thread are gone; seconds or -1. */
static double wait_vm_gone(const struct boot_guest *g, bool *dir_gone,
			   bool *thread_gone)
{
	double start = vmmgmt_now_s();
	char path[256];

	vm_path(g, NULL, path, sizeof(path));
	for (;;) {
		*dir_gone = !exists(path);
		*thread_gone = thread_count_of(g) == 0;
		if (*dir_gone && *thread_gone)
			return vmmgmt_now_s() - start;
		if (vmmgmt_now_s() - start >= GONE_SECS)
			return -1;
		vmmgmt_sleep_ms(20);
	}
}

static void check_gone(const char *what, const struct boot_guest *g)
{
	bool dir_gone, thread_gone;
	double t = wait_vm_gone(g, &dir_gone, &thread_gone);

	ksft_test_result(dir_gone, "%s: %s's sysfs dir gone (%.2f s)\n", what,
			 g->name, t);
	ksft_test_result(thread_gone, "%s: kernel thread vmmgmt-%s gone\n",
			 what, g->name);
}

/*
 * The guest's traffic tool ended with ENOTCONN, not a hang or EPIPE; with
 * @idle, it was in a pause and its poll() returned, rather than sleeping
 * to the end of the pause.  (The interrupts it counted are in the line but
 * not checked: runs without the host's interrupt at teardown also showed
 * a poll() woken with 0 interrupts, see Documentation/testing.rst.)
 */
static void check_guest_enotconn(const char *what, const struct boot_guest *g,
				 bool idle)
{
	char line[512] = "";
	bool ok;

	ok = wait_line(g->log, 0, "traffic: link down: ", line, sizeof(line),
		       20) && strstr(line, "ENOTCONN") &&
	     (!idle || strstr(line, "woken while idle"));
	if (!ok)
		find_line(g->log, 0, "traffic: FAIL", line, sizeof(line));
	ksft_test_result(ok, "%s: %s's %s failed with ENOTCONN: %s\n",
			 what, g->name, idle ? "sleeping poll()/read()" : "writes/reads",
			 line[0] ? line : "(no line from the guest)");
}

/* QEMU of @g exits by itself (its guest powered off) within @secs. */
static void check_qemu_exits(const char *what, struct boot_guest *g, double secs)
{
	int status = wait_exit(g->pid, secs);

	ksft_test_result(status != -1, "%s: %s's QEMU exited after its guest finished\n",
			 what, g->name);
	if (status == -1) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
	}
	g->pid = 0;
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
	struct snap base, during, after;
	char line[512];
	long from;
	int status, fds0, i;
	bool back;

	ksft_print_header();
	boot_init("VMMGMT_LIFE_DIR", "/tmp/life-vmmgmtd.log", guests, NGUESTS);
	boot.dump_keys = dump_keys;
	boot_need_kvm();
	boot_begin();
	kwarn_base = kernel_warnings();

	/* 1. QEMU killed while traffic flows. */
	start_vmmgmtd();
	snapshot(&base);
	fds0 = base.fds;
	print_snap("before life-a:", &base);
	start_traffic(&guests[0], 0, 0);
	check_traffic("qemu killed", &guests[0]);
	snapshot(&during);
	print_snap("life-a running:", &during);
	/* What the checks below must see go away is there. */
	ksft_test_result(thread_count_of(&guests[0]) == 1 && during.vms == base.vms + 1 &&
			 during.vmaps > base.vmaps && during.fds > fds0 &&
			 during.shmem - base.shmem >= 1024 - TOL_SHMEM_KB,
			 "qemu killed: while running: thread, VM, vmap %d -> %d, fds %d -> %d, Shmem +%ld kB\n",
			 base.vmaps, during.vmaps, fds0, during.fds, during.shmem - base.shmem);
	kill(guests[0].pid, SIGKILL);
	waitpid(guests[0].pid, NULL, 0);
	guests[0].pid = 0;
	check_gone("qemu killed", &guests[0]);
	/* vmmgmtd closes its fds when it sees QEMU's EOF: give it time. */
	back = false;
	for (i = 0; i < GONE_SECS * 10 && !back; i++) {
		back = vmmgmtd_fds() == fds0;
		if (!back)
			vmmgmt_sleep_ms(100);
	}
	ksft_test_result(back, "qemu killed: vmmgmtd fds back to baseline (%d -> %d -> %d)\n",
			 fds0, during.fds, vmmgmtd_fds());
	ksft_test_result(wait_exit(boot.vmmgmtd_pid, 0) == -1,
			 "qemu killed: vmmgmtd still running\n");
	ksft_test_result(count_dir(VMMGMT_HOST_VMS_SYSFS) == base.vms,
			 "qemu killed: VMs in sysfs back to %d\n", base.vms);
	check_memory("qemu killed", &base);
	check_no_warning("qemu killed");

	/* 2. vmmgmtd stopped with SIGTERM while a guest runs traffic. */
	start_traffic(&guests[1], RELINK_WAIT, PAUSE_SECS);
	check_traffic("after qemu kill, vmmgmtd serves a new guest", &guests[1]);
	snapshot(&during);
	print_snap("life-b running:", &during);
	/*
	 * Stop vmmgmtd while the guest sleeps between bursts, with nothing
	 * in flight: only the host's interrupt at teardown can wake it.
	 */
	ksft_test_result(wait_idle(&guests[1]), "vmmgmtd SIGTERM: life-b sleeps in a pause\n");
	status = stop_vmmgmtd(SIGTERM);
	ksft_test_result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "vmmgmtd SIGTERM: vmmgmtd exited 0 (status %#x)\n", status);
	check_gone("vmmgmtd SIGTERM", &guests[1]);
	ksft_test_result(count_dir(VMMGMT_HOST_VMS_SYSFS) == base.vms,
			 "vmmgmtd SIGTERM: VMs in sysfs back to %d\n", base.vms);
	check_guest_enotconn("vmmgmtd SIGTERM", &guests[1], true);
	from = file_size(boot.vmmgmtd_log);
	start_vmmgmtd();
	/*
	 * life-b's QEMU lives on.  Its ivshmem-doorbell never reconnects
	 * (Documentation/vmmgmtd.rst): the new vmmgmtd does not hear from
	 * it, and the guest's link stays down until the guest gives up
	 * (RELINK_WAIT) and powers off.
	 */
	ksft_test_result(wait_line(guests[1].log, 0, "traffic: link still down after",
				   line, sizeof(line), RELINK_WAIT + 10),
			 "vmmgmtd restarted: running life-b's link stays down (QEMU does not reconnect)\n");
	ksft_test_result(!find_line(boot.vmmgmtd_log, from, "life-b (id 22): connected", NULL, 0),
			 "vmmgmtd restarted: no connection from life-b's QEMU\n");
	check_qemu_exits("vmmgmtd SIGTERM", &guests[1], 30);
	snapshot(&after);
	ksft_test_result(after.fds == fds0,
			 "vmmgmtd restarted: new vmmgmtd's fds %d, as the first's at start (%d)\n",
			 after.fds, fds0);
	check_memory("vmmgmtd SIGTERM", &base);

	/* 3. A new guest after the restart; then SIGKILL vmmgmtd. */
	start_traffic(&guests[2], 0, 0);
	check_traffic("vmmgmtd restarted after SIGTERM: new guest", &guests[2]);
	status = stop_vmmgmtd(SIGKILL);
	ksft_test_result(status != -1 && WIFSIGNALED(status),
			 "vmmgmtd SIGKILL: vmmgmtd killed (status %#x)\n", status);
	check_gone("vmmgmtd SIGKILL", &guests[2]);
	ksft_test_result(count_dir(VMMGMT_HOST_VMS_SYSFS) == base.vms,
			 "vmmgmtd SIGKILL: VMs in sysfs back to %d\n", base.vms);
	check_guest_enotconn("vmmgmtd SIGKILL", &guests[2], false);
	check_qemu_exits("vmmgmtd SIGKILL", &guests[2], 30);

	/* 4. vmmgmtd again (it removes the stale sockets); a new guest. */
	start_vmmgmtd();
	start_traffic(&guests[3], 0, 0);
	check_traffic("vmmgmtd restarted after SIGKILL: new guest", &guests[3]);
	status = stop_vmmgmtd(SIGTERM);
	ksft_test_result(status != -1 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "end: vmmgmtd exited 0 on SIGTERM (status %#x)\n", status);
	check_gone("end", &guests[3]);
	check_guest_enotconn("end", &guests[3], false);
	check_qemu_exits("end", &guests[3], 30);
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
	ksft_set_plan(ksft_test_num());
	ksft_finished();
}
