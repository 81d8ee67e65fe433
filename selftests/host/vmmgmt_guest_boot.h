/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the host selftests that boot their own guests (L2) in the
 * host VM: child processes, the guests' console logs, a vmmgmtd of the
 * test's own in its own socket directory, and QEMU guests on its sockets,
 * booted as scripts/vm/host-init boots its guests.  Include after
 * kselftest.h.
 *
 * A test describes its guests in an array of &struct boot_guest, calls
 * boot_init() (which skips the test outside the host VM), boot_begin(),
 * then start_vmmgmtd() and start_guest().  fatal() and the SIGTERM and
 * SIGINT handlers stop everything the test started.  Each guest's QEMU
 * has a QMP monitor socket (guest_qmp(): stop, cont), and a second one
 * for vmmgmt_irq_watch (start_irq_watch()); boot_vmmgmtctl()
 * runs vmmgmtctl against the test's vmmgmtd.
 *
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   the test's own one    a directory for vmmgmtd's sockets (created)
 * and, for boot_vmmgmtctl() only, VMMGMTCTL (default
 * /opt/vmmgmt/bin/vmmgmtctl).
 */
#ifndef VMMGMT_GUEST_BOOT_H
#define VMMGMT_GUEST_BOOT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmmgmt_host_util.h"

#define BOOT_MAX_GUESTS		8

/* The guests' kernel command line, as scripts/vm/host-init has it. */
#define GUEST_APPEND	"console=ttyS0 quiet panic=-1 printk.devkmsg=on printk.time=0 unknown_nmi_panic"

/**
 * struct boot_guest - a guest a test boots
 * @name: its VM name: vmmgmtd's NAME=ID, vmmgmt.name= and its log's name
 * @id: its VM id: vmmgmtd's NAME=ID and vmmgmt.vm_id=
 * @mode: what its guest-init runs, vmmgmt.mode=
 * @vcpu_names: run QEMU with -name NAME,debug-threads=on, so that its
 *	vCPU thread is "CPU 0/KVM" (find_vcpu())
 * @late: not on vmmgmtd's command line: the test adds it later
 *	(vmmgmtctl vm add)
 * @pid: QEMU, 0 when not running
 * @vcpu: its "CPU 0/KVM" thread once find_vcpu() found it
 * @log: QEMU's output and the guest's serial console, /tmp/NAME.log
 * @qmp: QEMU's QMP monitor socket, /tmp/NAME.qmp (guest_qmp()); fits
 *	into sockaddr_un.sun_path
 * @watch: a second QMP socket, /tmp/NAME.watch, vmmgmt_irq_watch's
 * @ctl_tty: give the guest a second serial port (its ttyS1) whose other
 *	end is the socket @tty (guest_tty_send()): commands that reach the
 *	guest when its vmmgmt channel cannot
 * @tty: /tmp/NAME.tty, with @ctl_tty
 * @tty_fd: the test's connection to @tty, -1 until the first command
 */
struct boot_guest {
	const char *name;
	unsigned int id;
	const char *mode;
	bool vcpu_names;
	bool late;
	pid_t pid;
	pid_t vcpu;
	char log[256];
	char qmp[100];
	char watch[100];
	bool ctl_tty;
	char tty[100];
	int tty_fd;
};

/**
 * struct boot_state - what a test started, for its clean-up
 * @vmmgmtd_bin: $VMMGMTD
 * @kernel: $VMMGMT_GUEST_KERNEL
 * @initrd: $VMMGMT_GUEST_INITRD
 * @dir: vmmgmtd's socket directory, from the test's own variable
 * @vmmgmtd_log: vmmgmtd's output (appended to across restarts)
 * @vmmgmtd_pid: the test's vmmgmtd, 0 when not running
 * @guests: the test's guests, all of them known to its vmmgmtd
 * @nr_guests: how many
 * @dump_keys: with "vmmgmtd: ", "VMMGMT-" and "qemu-system", what makes
 *	a line of a log worth printing in dump_file(); NULL-terminated
 * @on_fatal: more to do in fatal() after the vmmgmtd log was printed
 * @services_dir: vmmgmtd's --services-dir (NULL: its default)
 */
struct boot_state {
	const char *vmmgmtd_bin, *kernel, *initrd, *dir;
	const char *services_dir;
	const char *vmmgmtd_log;
	pid_t vmmgmtd_pid;
	struct boot_guest *guests;
	unsigned int nr_guests;
	const char * const *dump_keys;
	void (*on_fatal)(void);
};

static struct boot_state boot;

/* ---- processes ---- */

/*
 * fork and exec @argv with stdout and stderr appended to @log (NULL:
 * the test's own).
 */
static inline pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	/* Nothing of ours outlives the test. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	execvp(argv[0], argv);
	_exit(127);
}

/* Wait up to @secs for child @pid to exit; its status, or -1. */
static inline int wait_exit(pid_t pid, double secs)
{
	double end = vmmgmt_now_s() + secs;
	int status;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		if (vmmgmt_now_s() >= end)
			return -1;
		vmmgmt_sleep_ms(50);
	}
}

/* SIGKILL the guests' QEMUs, SIGTERM (then SIGKILL) vmmgmtd. */
static inline void kill_all(void)
{
	struct boot_guest *g;
	unsigned int i;

	for (i = 0; i < boot.nr_guests; i++) {
		g = &boot.guests[i];
		if (g->pid > 0) {
			kill(g->pid, SIGKILL);
			waitpid(g->pid, NULL, 0);
			g->pid = 0;
		}
	}
	if (boot.vmmgmtd_pid > 0) {
		kill(boot.vmmgmtd_pid, SIGTERM);
		if (wait_exit(boot.vmmgmtd_pid, 5) == -1) {
			kill(boot.vmmgmtd_pid, SIGKILL);
			waitpid(boot.vmmgmtd_pid, NULL, 0);
		}
		boot.vmmgmtd_pid = 0;
	}
}

static inline void on_signal(int sig)
{
	kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- files ---- */

static inline long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_size;
}

/*
 * The first line of @path at or after byte @from containing @needle,
 * into @line (if not NULL) without its line end.
 */
static inline bool find_line(const char *path, long from, const char *needle,
			     char *line, size_t size)
{
	char buf[1024];
	bool found = false;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return false;
	if (fseek(f, from, SEEK_SET) == 0)
		while (fgets(buf, sizeof(buf), f)) {
			/*
			 * The last line may still be arriving through the
			 * guest's serial console: only whole lines count.
			 */
			if (!strchr(buf, '\n'))
				break;
			if (strstr(buf, needle)) {
				buf[strcspn(buf, "\r\n")] = '\0';
				if (line && size) {
					size_t n = strnlen(buf, size - 1);

					memcpy(line, buf, n);
					line[n] = '\0';
				}
				found = true;
				break;
			}
		}
	fclose(f);
	return found;
}

/* find_line() until it finds the line or @secs have passed. */
static inline bool wait_line(const char *path, long from, const char *needle,
			     char *line, size_t size, double secs)
{
	double end = vmmgmt_now_s() + secs;

	for (;;) {
		if (find_line(path, from, needle, line, size))
			return true;
		if (vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(100);
	}
}

/*
 * Print the lines of @path that matter (boot.dump_keys, and a kernel
 * problem's report), as TAP comments.
 */
static inline void dump_file(const char *path, const char *prefix)
{
	static const char * const keys[] = {
		"vmmgmtd: ", "VMMGMT-", "qemu-system",
	};
	/* A kernel problem, and the lines of its report after it. */
	static const char * const problems[] = {
		"WARNING:", "BUG:", "Oops", "Kernel panic", "double fault",
	};
	const char * const *k;
	unsigned int i, report = 0;
	char buf[512];
	bool show;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		show = report && report--;
		for (i = 0; i < ARRAY_SIZE(problems); i++)
			if (strstr(buf, problems[i]))
				report = 40;
		show |= report == 40;
		for (i = 0; i < ARRAY_SIZE(keys) && !show; i++)
			show = strstr(buf, keys[i]);
		for (k = boot.dump_keys; k && *k && !show; k++)
			show = strstr(buf, *k);
		if (show)
			ksft_print_msg("[%s] %s\n", prefix, buf);
	}
	fclose(f);
}

/* dump_file() of every guest's log. */
static inline void dump_guests(void)
{
	unsigned int i;

	for (i = 0; i < boot.nr_guests; i++)
		dump_file(boot.guests[i].log, boot.guests[i].name);
}

/*
 * The test fails: print the guests' vCPU states, stop everything it
 * started, print vmmgmtd's log (and what boot.on_fatal prints), exit.
 */
static inline void guest_vcpu_state(const struct boot_guest *g);
static inline void guest_threads_state(const struct boot_guest *g);

/*
 * If @g's QEMU has exited (it is reaped here), say so in @out: its exit
 * status and its guest's first failed step, or the console's last line
 * when none failed (a guest that powers off after its script stops
 * being a VM on the host, so a test that fails for want of it is told
 * why in its one line).  True if it had exited.
 */
static inline bool guest_exit_note(struct boot_guest *g, char *out, size_t size)
{
	char buf[512], last[200] = "", step[200] = "", fail[300];
	int status;
	FILE *f;

	if (g->pid <= 0 || waitpid(g->pid, &status, WNOHANG) != g->pid)
		return false;
	g->pid = 0;
	snprintf(fail, sizeof(fail), "VMMGMT-STEP %s ", g->name);
	f = fopen(g->log, "r");
	while (f && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[0])
			continue;
		if (!step[0] && strstr(buf, fail) && strstr(buf, " FAIL rc="))
			snprintf(step, sizeof(step), "%.199s", strstr(buf, fail));
		snprintf(last, sizeof(last), "%.199s", buf);
	}
	if (f)
		fclose(f);
	snprintf(out, size, "%.30s's QEMU had exited (%s %d; %s '%.199s')", g->name,
		 WIFEXITED(status) ? "status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		 step[0] ? "its failed step" : "last console line",
		 step[0] ? step : last);
	return true;
}

static inline __noreturn __printf(1, 2) void fatal(const char *fmt, ...)
{
	char msg[1024], note[400];
	unsigned int i;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A guest that went away is often why: the one line says so. */
	for (i = 0; i < boot.nr_guests; i++)
		if (guest_exit_note(&boot.guests[i], note, sizeof(note))) {
			n = strlen(msg);
			snprintf(msg + n, sizeof(msg) - n, "; %s", note);
		}
	for (i = 0; i < boot.nr_guests; i++)
		if (boot.guests[i].pid > 0) {
			guest_vcpu_state(&boot.guests[i]);
			guest_threads_state(&boot.guests[i]);
		}
	kill_all();
	dump_file(boot.vmmgmtd_log, "vmmgmtd");
	if (boot.on_fatal)
		boot.on_fatal();
	ksft_exit_fail_msg("%s\n", msg);
}

/* ---- kernel logs ---- */

/* Kernel problems, as vm-run also treats them (the guests: the first 5). */
static const char * const boot_kernel_problems[] = {
	"WARNING:", "BUG:", "Oops", "Call Trace:", "blocked for more than",
	"general protection fault", "UBSAN:", "KASAN:", "lockdep",
};

#define BOOT_GUEST_PROBLEMS	5

/*
 * Kernel log lines that vm-run also treats as problems, or -1.  Only the
 * kernel's own ("<0>".."<7>", facility 0): the test bed copies its
 * console output into the log too, as facility user.
 */
static inline int kernel_warnings(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save;
	unsigned int i;
	int n, count = 0;

	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '<' || line[1] < '0' || line[1] > '7' ||
		    line[2] != '>')
			continue;
		for (i = 0; i < ARRAY_SIZE(boot_kernel_problems); i++)
			if (strstr(line, boot_kernel_problems[i])) {
				count++;
				break;
			}
	}
	free(buf);
	return count;
}

/*
 * The first line of a kernel problem in a guest's console log, into
 * @line; false when no guest's log has one.
 */
static inline bool guest_log_warning(char *line, size_t size)
{
	unsigned int i, j;

	for (i = 0; i < boot.nr_guests; i++)
		for (j = 0; j < BOOT_GUEST_PROBLEMS; j++)
			if (find_line(boot.guests[i].log, 0,
				      boot_kernel_problems[j], line, size))
				return true;
	return false;
}

/* A TAP result: no kernel problem in any guest's console log. */
static inline bool boot_check_guest_logs(void)
{
	char line[512] = "";
	bool ok = !guest_log_warning(line, sizeof(line));

	ksft_test_result(ok, "guests' kernel logs: no warning%s%s\n",
			 ok ? "" : ": ", ok ? "" : line);
	return ok;
}

/*
 * A TAP result: no more kernel problems in the host's log than the
 * @before that kernel_warnings() counted at the start.
 */
static inline bool boot_check_host_log(int before)
{
	int n = kernel_warnings();
	bool ok = n >= 0 && n <= before;

	ksft_test_result(ok,
			 "host kernel log: no new warning (%d problem lines, %d before)\n",
			 n, before);
	return ok;
}

/* The end of a test: vmmgmtd's and the guests' logs if a check failed. */
static inline __noreturn void boot_finished(void)
{
	if (ksft_get_fail_cnt()) {
		dump_file(boot.vmmgmtd_log, "vmmgmtd");
		dump_guests();
	}
	ksft_finished();
}

/* ---- the test bed's guest deaths ---- */

#define BOOT_ATTEMPT_ENV	"VMMGMT_BOOT_ATTEMPT"

/* True if @s has a word that vm-run counts as a kernel problem. */
static inline bool boot_problem_line(const char *s)
{
	static const char * const words[] = {
		"Oops", "BUG:", "WARNING:", "Kernel panic", "Call Trace:",
		"general protection fault", "blocked for more than", "UBSAN:",
		"KASAN:", "lockdep", "locking", "lock state", "soft lockup",
		"hard LOCKUP", "kernel BUG at",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(s, words[i]))
			return true;
	return false;
}

/* True if @path has a line of the test bed's known guest death. */
static inline bool boot_testbed_death(const char *path, char *line, size_t size)
{
	return find_line(path, 0, "] traps: PANIC: double fault", line, size) ||
	       find_line(path, 0, "] Oops: double fault", line, size) ||
	       find_line(path, 0, "stack guard page was hit", line, size);
}

/*
 * True if @g's kernel died before its /init loaded vmmgmt_guest: a kernel
 * report ("Oops", "Kernel panic") in its log with no "load vmmgmt_guest"
 * step before it, and no "vmmgmt" in the report (its module list and
 * call trace: an oops inside the module's init, while insmod still ran
 * and before the step's line, names it).  Nothing of vmmgmt's ran in
 * that guest yet (the host
 * had only given its QEMU the device), so such a death is the test bed's
 * emulation (Documentation/testbed.rst, "The double fault": on
 * 2026-12-07 restart-b's boot called address 0 in the random number
 * generator, registers full of garbage).  @line gets the report's RIP
 * line, which names no kernel problem itself (vm-run fails a run on one).
 */
static inline bool boot_died_before_module(const struct boot_guest *g, char *line,
					   size_t size)
{
	bool died = false, named = false, line_set = false;
	char buf[512];
	FILE *f = fopen(g->log, "r");

	if (!f)
		return false;
	snprintf(line, size, "no RIP line");
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!died && strstr(buf, "load vmmgmt_guest"))
			break;
		if (!died && (strstr(buf, "Oops") || strstr(buf, "Kernel panic")))
			died = true;
		if (died && strstr(buf, "vmmgmt")) {
			named = true;
			break;
		}
		if (died && !line_set && strstr(buf, "RIP: ")) {
			snprintf(line, size, "%s", strstr(buf, "RIP: "));
			line_set = true;
		}
	}
	fclose(f);
	return died && !named;
}

/*
 * Run the test (this very program, @argv) twice at most: the test bed's
 * nested emulation now and then kills a guest in the kernel's entry code
 * (a double fault with a user stack pointer in kernel mode, or a stack
 * guard page hit: Documentation/testbed.rst), which is no result of
 * vmmgmt's.  Call first thing in main(): in the first attempt the
 * program runs as a child with its output kept in a file; when it fails
 * and its output shows such a death (dump_guests() prints a dying
 * guest's report), that output is printed as comments (but the lines
 * vm-run would count as kernel problems) and the test
 * starts once more from scratch, on the program's own output; any other
 * outcome is printed as it was.  Returns in the child (and in the
 * second attempt); exits in the parent with the attempt's status.
 */
static inline void boot_attempts(char **argv)
{
	char out[] = "/tmp/vmmgmt-attempt-XXXXXX", line[512], buf[4096];
	int fd, status;
	size_t n;
	pid_t pid;
	FILE *f;

	if (getenv(BOOT_ATTEMPT_ENV))
		return;
	fd = mkstemp(out);
	if (fd < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fd);
		unlink(out);
		return;
	}
	if (!pid) {
		setenv(BOOT_ATTEMPT_ENV, "1", 1);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		return;
	}
	close(fd);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	f = fopen(out, "r");
	if (WIFEXITED(status) && WEXITSTATUS(status) && f &&
	    boot_testbed_death(out, line, sizeof(line))) {
		/*
		 * Not the guest's kernel report itself: vm-run fails a run
		 * on any such line in the host's log (it is in the first
		 * attempt's guest log, which the test printed).
		 */
		printf("# attempt 1: a guest died of the test bed's double fault\n");
		while (fgets(buf, sizeof(buf), f))
			if (!boot_problem_line(buf))
				printf("# attempt 1: %s", buf);
		printf("# starting once more\n");
		fflush(stdout);
		fclose(f);
		unlink(out);
		setenv(BOOT_ATTEMPT_ENV, "2", 1);
		execv("/proc/self/exe", argv);
		ksft_exit_fail_msg("re-exec: %s\n", strerror(errno));
	}
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	if (f)
		fclose(f);
	unlink(out);
	fflush(stdout);
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* ---- set-up ---- */

/*
 * The environment, with the socket directory in @dir_var; skips the test
 * without it (fails it with VMMGMT_REQUIRE_DEVICE set).  Call after
 * ksft_print_header(), before any ksft_set_plan().
 */
static inline void boot_init(const char *dir_var, const char *vmmgmtd_log,
			     struct boot_guest *guests, unsigned int nr_guests)
{
	boot.vmmgmtd_bin = getenv("VMMGMTD");
	boot.kernel = getenv("VMMGMT_GUEST_KERNEL");
	boot.initrd = getenv("VMMGMT_GUEST_INITRD");
	boot.dir = getenv(dir_var);
	boot.vmmgmtd_log = vmmgmtd_log;
	boot.guests = guests;
	boot.nr_guests = nr_guests;
	if (!boot.vmmgmtd_bin || !boot.kernel || !boot.initrd || !boot.dir) {
		if (getenv("VMMGMT_REQUIRE_DEVICE"))
			ksft_exit_fail_msg("VMMGMTD, VMMGMT_GUEST_* or %s unset\n",
					   dir_var);
		ksft_exit_skip("not in the host VM: VMMGMT_GUEST_KERNEL etc. unset\n");
	}
	if (nr_guests > BOOT_MAX_GUESTS)
		ksft_exit_fail_msg("%u guests, at most %d\n", nr_guests,
				   BOOT_MAX_GUESTS);
}

/* The environment variable @name as a number above 0, or @dflt. */
static inline unsigned int boot_env_uint(const char *name, unsigned int dflt)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? (unsigned int)atoi(v) : dflt;
}

/* Skip the test without vmmgmt_host.ko or KVM (or fail it, as above). */
static inline void boot_need_kvm(void)
{
	if (access(VMMGMT_HOST_VMS_SYSFS, F_OK) || access("/dev/kvm", F_OK)) {
		if (getenv("VMMGMT_REQUIRE_DEVICE"))
			ksft_exit_fail_msg(VMMGMT_HOST_VMS_SYSFS " or /dev/kvm missing\n");
		ksft_exit_skip("no vmmgmt_host.ko or no KVM\n");
	}
}

/*
 * Create and destroy a KVM VM with one vCPU, for a test that compares
 * the kernel's memory before and after a guest: the first VM since boot
 * leaves KVM's slab caches (the vCPU's, its FPU state's: large objects
 * in large slabs) with empty slabs they keep (hundreds of kB of
 * SUnreclaim), which a baseline taken on a host VM that ran no guest
 * yet (scripts/vm-run --only) would count as a leak.  Return: 0 or
 * -errno.
 */
static inline int boot_warm_kvm(void)
{
	int kvm, vm, vcpu, err = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		err = -errno;
		goto close_kvm;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		err = -errno;
	else
		close(vcpu);
	/* The last reference: the VM is destroyed here. */
	close(vm);
close_kvm:
	close(kvm);
	return err;
}

/* Clean-up on SIGTERM and SIGINT; the socket dir; no old vmmgmtd log. */
static inline void boot_begin(void)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	mkdir(boot.dir, 0755);
	unlink(boot.vmmgmtd_log);
}

/* ---- vmmgmtd and guests ---- */

/* Start vmmgmtd for the guests (but the late ones); wait until it is ready. */
static inline void start_vmmgmtd(void)
{
	char *argv[6 + BOOT_MAX_GUESTS + 1];
	char ids[BOOT_MAX_GUESTS][32];
	long from = file_size(boot.vmmgmtd_log);
	unsigned int i, n = 0;

	argv[n++] = (char *)boot.vmmgmtd_bin;
	argv[n++] = "-f";
	argv[n++] = "-d";
	argv[n++] = (char *)boot.dir;
	if (boot.services_dir) {
		argv[n++] = "--services-dir";
		argv[n++] = (char *)boot.services_dir;
	}
	for (i = 0; i < boot.nr_guests; i++) {
		if (boot.guests[i].late)
			continue;
		snprintf(ids[i], sizeof(ids[i]), "%s=%u", boot.guests[i].name,
			 boot.guests[i].id);
		argv[n++] = ids[i];
	}
	argv[n] = NULL;
	boot.vmmgmtd_pid = spawn(argv, boot.vmmgmtd_log);
	if (boot.vmmgmtd_pid < 0)
		fatal("fork vmmgmtd: %s", strerror(errno));
	if (!wait_line(boot.vmmgmtd_log, from, "vmmgmtd: ready", NULL, 0, 10))
		fatal("vmmgmtd (pid %d) not ready within 10 s",
		      (int)boot.vmmgmtd_pid);
}

/* Stop vmmgmtd with @sig; its exit status, or -1 if it did not exit. */
static inline int stop_vmmgmtd(int sig)
{
	int status;

	kill(boot.vmmgmtd_pid, sig);
	status = wait_exit(boot.vmmgmtd_pid, 10);
	if (status == -1) {
		kill(boot.vmmgmtd_pid, SIGKILL);
		waitpid(boot.vmmgmtd_pid, NULL, 0);
	}
	boot.vmmgmtd_pid = 0;
	return status;
}

/*
 * vmmgmt_irq_watch (selftests/host-tools/) on @g's watch socket: it
 * undoes the test bed's lost interrupts in @g and prints a
 * VMMGMT-GUEST-KICK line for each on the test's output, which
 * scripts/vm/check-run judges.  It ends with @g's QEMU.
 */
static inline void start_irq_watch(const struct boot_guest *g)
{
	const char *bin = getenv("VMMGMT_IRQ_WATCH");
	char *argv[4];

	if (!bin)
		bin = "/opt/vmmgmt/bin/vmmgmt_irq_watch";
	if (access(bin, X_OK)) {
		ksft_print_msg("%s: no lost-interrupt watcher: %s: %s\n", g->name,
			       bin, strerror(errno));
		return;
	}
	argv[0] = (char *)bin;
	argv[1] = (char *)g->name;
	argv[2] = (char *)g->watch;
	argv[3] = NULL;
	if (spawn(argv, NULL) < 0)
		ksft_print_msg("%s: fork vmmgmt_irq_watch: %s\n", g->name,
			       strerror(errno));
}

/*
 * Boot @g on its vmmgmtd socket, with @args (NULL for none) after the
 * vmmgmt.* parameters on its kernel command line; its log starts empty.
 * Does not wait for the guest.
 */
static inline void start_guest(struct boot_guest *g, const char *args)
{
	static const char * const fixed[] = {
		"qemu-system-x86_64", "-accel", "kvm", "-cpu", "host",
		"-m", "256", "-smp", "1", "-nodefaults", "-display", "none",
		"-no-reboot", "-serial", "stdio",
		"-device", "ivshmem-doorbell,chardev=vmmgmt,vectors=2",
	};
	char append[600], chardev[256], name[64], qmp[300], wqmp[300];
	char tty[300];
	char *argv[ARRAY_SIZE(fixed) + 17];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		argv[n++] = (char *)fixed[i];
	if (g->vcpu_names) {
		argv[n++] = "-name";
		argv[n++] = name;
	}
	argv[n++] = "-kernel";
	argv[n++] = (char *)boot.kernel;
	argv[n++] = "-initrd";
	argv[n++] = (char *)boot.initrd;
	argv[n++] = "-append";
	argv[n++] = append;
	argv[n++] = "-chardev";
	argv[n++] = chardev;
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	argv[n++] = "-qmp";
	argv[n++] = wqmp;
	if (g->ctl_tty) {
		argv[n++] = "-serial";
		argv[n++] = tty;
	}
	argv[n] = NULL;
	snprintf(name, sizeof(name), "%s,debug-threads=on", g->name);
	snprintf(append, sizeof(append),
		 "%s vmmgmt.mode=%s vmmgmt.name=%s vmmgmt.vm_id=%u%s%s",
		 GUEST_APPEND, g->mode, g->name, g->id, args ? " " : "",
		 args ? args : "");
	snprintf(chardev, sizeof(chardev), "socket,path=%s/%s.sock,id=vmmgmt",
		 boot.dir, g->name);
	snprintf(g->log, sizeof(g->log), "/tmp/%s.log", g->name);
	unlink(g->log);
	snprintf(g->qmp, sizeof(g->qmp), "/tmp/%s.qmp", g->name);
	unlink(g->qmp);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", g->qmp);
	snprintf(g->watch, sizeof(g->watch), "/tmp/%s.watch", g->name);
	unlink(g->watch);
	snprintf(wqmp, sizeof(wqmp), "unix:%s,server=on,wait=off", g->watch);
	snprintf(g->tty, sizeof(g->tty), "/tmp/%s.tty", g->name);
	unlink(g->tty);
	snprintf(tty, sizeof(tty), "unix:%s,server=on,wait=off", g->tty);
	if (g->tty_fd > 0)
		close(g->tty_fd);
	g->tty_fd = -1;
	g->vcpu = 0;
	g->pid = spawn(argv, g->log);
	if (g->pid < 0)
		fatal("fork qemu for %s: %s", g->name, strerror(errno));
	start_irq_watch(g);
}

/* @g's QEMU thread named "CPU 0/KVM" (needs @g->vcpu_names), or 0. */
static inline pid_t find_vcpu(const struct boot_guest *g)
{
	char path[300], comm[64];
	struct dirent *de;
	pid_t tid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)g->pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!tid && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm",
			 (int)g->pid, de->d_name);
		if (!vmmgmt_read_text(path, comm, sizeof(comm)) &&
		    !strcmp(comm, "CPU 0/KVM"))
			tid = atoi(de->d_name);
	}
	closedir(d);
	return tid;
}

/*
 * Wait up to @secs for @g's QEMU to exit by itself (its guest powered
 * off); SIGKILL it after that.  True if it exited by itself.
 */
static inline bool boot_stop_guest(struct boot_guest *g, double secs)
{
	bool exited = wait_exit(g->pid, secs) != -1;

	if (!exited) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
	}
	g->pid = 0;
	return exited;
}

/* @g's directory in sysfs, or its file @file (if not NULL), into @buf. */
static inline void boot_vm_path(const struct boot_guest *g, const char *file,
				char *buf, size_t size)
{
	snprintf(buf, size, VMMGMT_HOST_VMS_SYSFS "/%s%s%s", g->name,
		 file ? "/" : "", file ? file : "");
}

/* @g's kernel threads on the host, vmmgmt-NAME. */
static inline int boot_vm_threads(const struct boot_guest *g)
{
	char name[64];

	snprintf(name, sizeof(name), "vmmgmt-%s", g->name);
	return count_threads(name);
}

/*
 * Wait up to @secs until @g's sysfs dir and kernel thread are gone; what
 * is gone into *@dir_gone and *@thread_gone.  Return: the seconds it
 * took, or -1.
 */
static inline double boot_wait_vm_gone(const struct boot_guest *g, double secs,
				       bool *dir_gone, bool *thread_gone)
{
	double start = vmmgmt_now_s();
	char path[256];

	boot_vm_path(g, NULL, path, sizeof(path));
	for (;;) {
		*dir_gone = access(path, F_OK) != 0;
		*thread_gone = boot_vm_threads(g) == 0;
		if (*dir_gone && *thread_gone)
			return vmmgmt_now_s() - start;
		if (vmmgmt_now_s() - start >= secs)
			return -1;
		vmmgmt_sleep_ms(20);
	}
}

/*
 * @g's sysfs orphan once it is 1, or after @secs: the host module marks
 * the VM when its daemon's file is released, which may come a moment
 * after the daemon's exit.  Return: its value, -1 if unreadable.
 */
static inline long long boot_wait_orphan(const struct boot_guest *g, double secs)
{
	double end = vmmgmt_now_s() + secs;
	long long orphan;

	for (;;) {
		orphan = vm_attr_num(g->name, "orphan");
		if (orphan == 1 || vmmgmt_now_s() >= end)
			return orphan;
		vmmgmt_sleep_ms(100);
	}
}

/*
 * The vmmgmtd started at byte @from of its log adopted @g: its log says
 * so (within 10 s), sysfs adoptions is @adoptions and orphan 0: two TAP
 * results.
 */
static inline void boot_check_adopted(const char *what, const struct boot_guest *g,
				      long from, long long adoptions)
{
	char needle[96], line[512] = "";
	bool logged;

	snprintf(needle, sizeof(needle), "%s (id %u): adopted", g->name, g->id);
	logged = wait_line(boot.vmmgmtd_log, from, needle, line, sizeof(line), 10);
	ksft_test_result(logged, "%s: vmmgmtd adopted %s: %s\n", what, g->name,
			 logged ? line : "(no \"adopted\" line in its log)");
	ksft_test_result(vm_attr_num(g->name, "adoptions") == adoptions &&
			 vm_attr_num(g->name, "orphan") == 0,
			 "%s: %s's adoptions %lld (want %lld), orphan %lld (want 0)\n",
			 what, g->name, vm_attr_num(g->name, "adoptions"), adoptions,
			 vm_attr_num(g->name, "orphan"));
}

/*
 * One line @text (a newline is added) to the second serial port of @g
 * (@g->ctl_tty): the guest reads it from its ttyS1.  0 or -errno.
 */
static inline int guest_tty_send(struct boot_guest *g, const char *text)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[256];
	int n;

	if (!g->ctl_tty)
		return -EINVAL;
	if (g->tty_fd < 0) {
		g->tty_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (g->tty_fd < 0)
			return -errno;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", g->tty);
		if (connect(g->tty_fd, (struct sockaddr *)&a, sizeof(a))) {
			n = -errno;
			close(g->tty_fd);
			g->tty_fd = -1;
			return n;
		}
	}
	n = snprintf(line, sizeof(line), "%s\n", text);
	if (n >= (int)sizeof(line))
		return -E2BIG;
	if (write(g->tty_fd, line, n) != n)
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- QEMU's QMP monitor ---- */

/*
 * Send @line to the QMP socket @fd and read until the answer (a line
 * with "return" or "error"), 5 s at most; the answer into @buf.
 * Return: 0 for "return", -1 otherwise.
 */
static inline int qmp_exchange(int fd, const char *line, char *buf, size_t size)
{
	double end = vmmgmt_now_s() + 5;
	size_t len = 0;
	ssize_t n;

	if (line && write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return -1;
	buf[0] = '\0';
	while (vmmgmt_now_s() < end && len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			return -1;
		len += n;
		buf[len] = '\0';
		/* Events ({"event": ...}) may come first. */
		if (strstr(buf, "\"return\""))
			return 0;
		if (strstr(buf, "\"error\""))
			return -1;
		/* The greeting, when @line is NULL. */
		if (!line && strstr(buf, "\"QMP\"") && strchr(buf, '\n'))
			return 0;
	}
	return -1;
}

/*
 * The QMP command @cmd without arguments ("stop", "cont") to @g's QEMU.
 * Return: 0 when QEMU answered "return"; -1 (QEMU's answer printed).
 */
static inline int guest_qmp(const struct boot_guest *g, const char *cmd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char buf[2048], line[128];
	int fd, ret = -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g->qmp);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(line, sizeof(line), "{\"execute\": \"%s\"}\n", cmd);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		snprintf(buf, sizeof(buf), "connect %s: %s", g->qmp, strerror(errno));
	} else if (!qmp_exchange(fd, NULL, buf, sizeof(buf)) &&
		   !qmp_exchange(fd, "{\"execute\": \"qmp_capabilities\"}\n", buf,
				 sizeof(buf))) {
		ret = qmp_exchange(fd, line, buf, sizeof(buf));
	}
	if (ret)
		ksft_print_msg("%s: QMP %s: %s\n", g->name, cmd, buf);
	close(fd);
	return ret;
}

/*
 * If an "info registers" line @p shows a vCPU that runs in the kernel
 * with interrupts off (RFL without IF, HLT=0, CPL=0), its RIP; else 0.
 */
static inline unsigned long long vcpu_irqs_off_ip(const char *p)
{
	const char *rfl = strstr(p, "RFL="), *rip = strstr(p, "RIP=");

	if (!rfl || !rip || (strtoul(rfl + 4, NULL, 16) & 0x200) ||
	    !strstr(p, "HLT=0") || !strstr(p, "CPL=0"))
		return 0;
	return strtoull(rip + 4, NULL, 16);
}

/*
 * One look at @g's vCPU through its QMP socket: the lines of "info
 * registers" and "info lapic" that say where it is, whether it is
 * halted, and which vectors are in service and waiting, printed if
 * @print.  Return: the RIP if it ran in its kernel with interrupts off
 * (vcpu_irqs_off_ip()), else 0.
 */
static inline unsigned long long guest_vcpu_look(const struct boot_guest *g,
						 bool print)
{
	static const char * const cmds[] = { "info registers", "info lapic" };
	static const char * const keys[] = { "RIP=", "ISR", "IRR", "PPR" };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char buf[16384], line[160], *p, *q;
	unsigned long long ip = 0;
	unsigned int c, k;
	size_t len;
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g->qmp);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    qmp_exchange(fd, NULL, buf, sizeof(buf)) ||
	    qmp_exchange(fd, "{\"execute\": \"qmp_capabilities\"}\n", buf,
			 sizeof(buf))) {
		if (print)
			ksft_print_msg("%s: vCPU state: no QMP answer\n", g->name);
		close(fd);
		return 0;
	}
	for (c = 0; c < ARRAY_SIZE(cmds); c++) {
		snprintf(line, sizeof(line),
			 "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"%s\"}}\n",
			 cmds[c]);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			break;
		/* The whole answer: one line with "return". */
		len = 0;
		buf[0] = '\0';
		while (len + 1 < sizeof(buf) &&
		       !(strstr(buf, "\"return\"") && buf[len - 1] == '\n')) {
			n = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += n;
			buf[len] = '\0';
		}
		/* Its text has its line ends escaped: "\r\n". */
		for (p = buf; p && *p; p = q) {
			q = strstr(p, "\\r\\n");
			if (q) {
				*q = '\0';
				q += 4;
			}
			if (!ip)
				ip = vcpu_irqs_off_ip(p);
			for (k = 0; k < ARRAY_SIZE(keys) && print; k++)
				if (strstr(p, keys[k]) && strlen(p) < 200)
					ksft_print_msg("%s: %s\n", g->name, p);
		}
	}
	close(fd);
	return ip;
}

/* Looks at a vCPU found with interrupts off, and how near they must be. */
#define VCPU_SPIN_LOOKS		4
#define VCPU_SPIN_NEAR		0x200

/*
 * Print what @g's vCPU is doing (guest_vcpu_look()).  A vCPU that stays
 * in one place of its kernel with interrupts off, look after look for
 * 2 s, spins there: it takes no timer interrupt, so its own lockup
 * detectors never report it (chat-c in a CI preview on 6.1, 2026-12-08:
 * 60 s in native_queued_spin_lock_slowpath, the timer's and vmmgmt's
 * vectors waiting in its IRR).  It gets an NMI: the guests boot with
 * unknown_nmi_panic (GUEST_APPEND), so their kernel prints where it was,
 * interrupted context and all, in its console log.  One look is not
 * enough: a busy guest is caught with interrupts off now and then (an
 * NMI after one look killed a healthy guest0, 2026-12-08).
 */
static inline void guest_vcpu_state(const struct boot_guest *g)
{
	unsigned long long ip0 = guest_vcpu_look(g, true), ip;
	unsigned int i;

	if (!ip0)
		return;
	for (i = 1; i < VCPU_SPIN_LOOKS; i++) {
		vmmgmt_sleep_ms(500);
		ip = guest_vcpu_look(g, false);
		if (!ip || (ip > ip0 ? ip - ip0 : ip0 - ip) > VCPU_SPIN_NEAR)
			return;
	}
	if (!guest_qmp(g, "inject-nmi")) {
		ksft_print_msg("%s: %s %llx: sent an NMI, its console log shows where\n",
			       g->name,
			       "spins in its kernel with interrupts off near",
			       ip0);
		/* Its report, before the console logs are read. */
		vmmgmt_sleep_ms(3000);
	}
}

/*
 * What @g's QEMU process is doing in the host VM, thread by thread: its
 * name, state, wait channel and the first lines of its kernel stack.  A
 * guest that went silent with its vCPU thread blocked in the host VM's
 * KVM is told apart from one that runs but takes no interrupt
 * (guest_vcpu_state()) or one that QEMU stopped.
 */
static inline void guest_threads_state(const struct boot_guest *g)
{
	char path[320], buf[512], comm[32], wchan[64];
	unsigned int lines;
	struct dirent *d;
	char state;
	FILE *f;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)g->pid);
	dir = opendir(path);
	if (!dir) {
		ksft_print_msg("%s: QEMU threads: %s\n", g->name, strerror(errno));
		return;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		comm[0] = '\0';
		wchan[0] = '\0';
		state = '?';
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)g->pid, d->d_name);
		f = fopen(path, "r");
		if (f) {
			/* pid (comm) state: comm may hold spaces, not ')'. */
			if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')'))
				state = strrchr(buf, ')')[2];
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)g->pid, d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", (int)g->pid, d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = '\0';
			fclose(f);
		}
		ksft_print_msg("%s: QEMU thread %s %s state %c wchan %s\n", g->name,
			       d->d_name, comm, state, wchan[0] ? wchan : "-");
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)g->pid, d->d_name);
		f = fopen(path, "r");
		for (lines = 0; f && lines < 8 && fgets(buf, sizeof(buf), f); lines++)
			ksft_print_msg("%s:   %s", g->name, buf);
		if (f)
			fclose(f);
	}
	closedir(dir);
}

/* ---- vmmgmtctl ---- */

/*
 * Run "vmmgmtctl ARGS" (@fmt, @ap) against the test's vmmgmtd (VMMGMT_DIR
 * is its socket directory), for at most @secs seconds (timeout(1); 0: no
 * limit); its stdout and stderr into @out (what does not fit is read and
 * dropped, so that the command never waits on a full pipe).  Return: its
 * exit status, -1 if it did not run or was killed (the time limit:
 * busybox's timeout sends SIGTERM).
 */
static inline int boot_vmmgmtctl_va(char *out, size_t size, unsigned int secs,
				    const char *fmt, va_list ap)
{
	const char *bin = getenv("VMMGMTCTL");
	char args[512], cmd[1024], limit[32] = "";
	size_t n = 0;
	FILE *p;
	int st;

	vsnprintf(args, sizeof(args), fmt, ap);
	if (secs)
		snprintf(limit, sizeof(limit), "timeout %u ", secs);
	snprintf(cmd, sizeof(cmd), "VMMGMT_DIR='%s' %s%s %s 2>&1", boot.dir, limit,
		 bin ? bin : "/opt/vmmgmt/bin/vmmgmtctl", args);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, size - n, p))
		n += strlen(out + n);
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* boot_vmmgmtctl_va() without a time limit. */
static inline __printf(3, 4) int boot_vmmgmtctl(char *out, size_t size,
						const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = boot_vmmgmtctl_va(out, size, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* boot_vmmgmtctl_va() for at most @secs seconds. */
static inline __printf(4, 5) int boot_vmmgmtctl_timed(char *out, size_t size,
						      unsigned int secs,
						      const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = boot_vmmgmtctl_va(out, size, secs, fmt, ap);
	va_end(ap);
	return rc;
}

#endif /* VMMGMT_GUEST_BOOT_H */
