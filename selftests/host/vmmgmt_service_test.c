// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host: host services end to end (issue 15, "calculation on the
 * host"): a guest calls programs of the host through vmmgmtd
 * (Documentation/services.rst).
 *
 * Runs in the host VM (scripts/vm/host-init exports the environment
 * below).  It builds a services directory of its own: the shipped sha256
 * and calc (from VMMGMT_SERVICES_SRC) and three test services, whoami
 * (prints what it sees of its caller), sleeper
 * (runs past its time limit of SLEEPER_SECS, with a child in the
 * background) and private (allowed to another VM only); each with its
 * NAME.conf (user 65534:65534).  It starts its own vmmgmtd with that
 * directory (--services-dir) for one VM (svc-a, id 35) and boots it with
 * vmmgmt.mode=service: the guest's owner turns calc mode on and the guest
 * makes its calls (scripts/vm/guest-init, service_main), printing one
 * "VMMGMT-SERVICE svc-a LABEL rc=N secs=S out=... err=..." line per call,
 * which
 * this test checks:
 *
 *  1. calc answers 2^200 and "scale=50; 4*a(1)" exactly (exit 0);
 *  2. whoami: the service ran as 65534:65534, with VMMGMT_VM, VMMGMT_VM_ID
 *     and VMMGMT_SERVICE naming the caller and itself, and its arguments
 *     unchanged;
 *  3. sha256 of VMMGMT_SERVICE_MIB MiB (default 256; passed to the guest
 *     as vmmgmt.service_bytes) streamed from the guest equals the guest's
 *     own sha256sum of the same bytes;
 *  4. sleeper: exit 124 and "time limit" within its limit and a margin
 *     (SLEEPER_MARGIN_SECS), and its background child is gone from the
 *     host;
 *  5. private: refused (125, "may not call"); a service that does not
 *     exist: 127 and "no service"; calc mode off: 125 and "calc mode is
 *     off";
 *  6. vmmgmtd still runs; no kernel warning in the host, no problem in
 *     the guest's log.
 *
 * Environment (all required):
 *   VMMGMTD               vmmgmtd binary
 *   VMMGMT_GUEST_KERNEL   the guests' kernel
 *   VMMGMT_GUEST_INITRD   the guests' initramfs (scripts/vm/guest-init)
 *   VMMGMT_SERVICE_DIR    a directory for vmmgmtd's sockets and the
 *                         services (created)
 *   VMMGMT_SERVICES_SRC   the shipped services (tools/services)
 * Without them the test is skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmmgmt_guest_boot.h"

#define BOOT_SECS		150
/* The guest's calls, sha256 of 256 MiB among them (189 s on 6.1 here). */
#define CALLS_SECS		420
#define SLEEPER_SECS		3
/* The guest's vmmgmtctl start and the ERROR's way back, on this bed. */
#define SLEEPER_MARGIN_SECS	10
#define SERVICE_UID		65534

#define PI_50	"3.14159265358979323846264338327950288419716939937508"
#define POW_200	"1606938044258990275541962092341162602522202993782792835301376"

static struct boot_guest guests[1] = {
	{ .name = "svc-a", .id = 35, .mode = "service" },
};

static const char * const dump_keys[] = {
	"vmmgmtctl", "VMMGMT-SERVICE", "WARNING", "BUG", NULL,
};

static char svc_dir[256], run_dir[256];

/* Write @text to @dir/@name with @mode; fatal on failure. */
static void put_file(const char *dir, const char *name, int mode,
		     const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fatal("%s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) || chmod(path, mode))
		fatal("%s: %s", path, strerror(errno));
}

/* Copy the shipped service @name from @src into @dir (executable). */
static void copy_service(const char *src, const char *dir, const char *name)
{
	char from[512], text[4096];

	snprintf(from, sizeof(from), "%s/%s", src, name);
	if (vmmgmt_read_text(from, text, sizeof(text)))
		fatal("%s: cannot read the shipped service", from);
	put_file(dir, name, 0755, "%s", text);
}

/* The services directory (see the top). */
static void make_services(void)
{
	const char *src = getenv("VMMGMT_SERVICES_SRC");
	const char *svc = svc_dir;

	if (!src)
		fatal("VMMGMT_SERVICES_SRC is not set");
	snprintf(svc_dir, sizeof(svc_dir), "%s/services", boot.dir);
	snprintf(run_dir, sizeof(run_dir), "%s/run", boot.dir);
	mkdir(svc_dir, 0755);
	mkdir(run_dir, 0777);
	if (chmod(run_dir, 01777))
		fatal("%s: %s", run_dir, strerror(errno));
	copy_service(src, svc, "sha256");
	copy_service(src, svc, "calc");
	put_file(svc, "sha256.conf", 0644,
		 "allow = %s\nuser = %d:%d\ntimeout = %d\n", guests[0].name,
		 SERVICE_UID, SERVICE_UID, CALLS_SECS);
	put_file(svc, "calc.conf", 0644, "allow = other-vm, %s\nuser = %d\ntimeout = 20\n",
		 guests[0].name, SERVICE_UID);
	put_file(svc, "whoami", 0755,
		 "#!/bin/sh\nargs=\nfor a; do args=\"$args$a|\"; done\n"
		 "echo \"vm=$VMMGMT_VM id=$VMMGMT_VM_ID service=$VMMGMT_SERVICE uid=$(id -u) gid=$(id -g) args=$args\"\n");
	put_file(svc, "whoami.conf", 0644, "allow = *\nuser = %d:%d\n",
		 SERVICE_UID, SERVICE_UID);
	put_file(svc, "sleeper", 0755,
		 "#!/bin/sh\nsleep 300 &\necho $! >%s/sleeper.pid\nwait\n", run_dir);
	put_file(svc, "sleeper.conf", 0644, "allow = *\nuser = %d\ntimeout = %d\n",
		 SERVICE_UID, SLEEPER_SECS);
	put_file(svc, "private", 0755, "#!/bin/sh\necho secret\n");
	put_file(svc, "private.conf", 0644, "allow = other-vm\nuser = %d\n",
		 SERVICE_UID);
	boot.services_dir = svc_dir;
}

/*
 * The guest's line for @label: its rc, and its out= and err= texts (up
 * to the next field), and how long it took (secs=, -1 if missing, and
 * printed); false if there is none.
 */
static bool call_result(const char *label, int *rc, char *out, size_t out_size,
			char *err, size_t err_size, double *secs)
{
	char needle[128], line[1024], *o, *e, *t;

	snprintf(needle, sizeof(needle), "VMMGMT-SERVICE %s %s rc=",
		 guests[0].name, label);
	if (!find_line(guests[0].log, 0, needle, line, sizeof(line)))
		return false;
	o = strstr(line, " out=");
	e = o ? strstr(o, " err=") : NULL;
	if (sscanf(strstr(line, needle) + strlen(needle), "%d", rc) != 1 ||
	    !o || !e)
		return false;
	*e = '\0';
	t = strstr(line, " secs=");
	*secs = t ? strtod(t + strlen(" secs="), NULL) : -1;
	ksft_print_msg("%s took %.1f s in the guest\n", label, *secs);
	snprintf(out, out_size, "%s", o + strlen(" out="));
	snprintf(err, err_size, "%s", e + strlen(" err="));
	/* The guest turned line ends into spaces: drop the last. */
	o = out + strlen(out);
	while (o > out && o[-1] == ' ')
		*--o = '\0';
	return true;
}

/*
 * One TAP result: @label exited @want_rc, its output @want_out (if set),
 * its message has @want_err (if set), within @max_secs (if not 0).
 */
static void check_call(const char *label, int want_rc, const char *want_out,
		       const char *want_err, double max_secs)
{
	char out[512] = "", err[512] = "";
	double secs = -1;
	int rc = -1;
	bool ok;

	ok = call_result(label, &rc, out, sizeof(out), err, sizeof(err), &secs) &&
	     rc == want_rc && (!want_out || !strcmp(out, want_out)) &&
	     (!want_err || strstr(err, want_err)) &&
	     (!max_secs || (secs >= 0 && secs <= max_secs));
	ksft_test_result(ok, "%s: exit %d (want %d) after %.1f s, out '%s', err '%s'\n",
			 label, rc, want_rc, secs, out, err);
}

/* Is process @pid gone (or only a zombie nobody reaped)? */
static bool pid_gone(int pid)
{
	char path[64], stat[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (vmmgmt_read_text(path, stat, sizeof(stat)))
		return true;
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

int main(void)
{
	struct boot_guest *g = &guests[0];
	char err[512], local[512], host[512], pidtext[32], path[300];
	char args[64];
	int rc = -1, rc2 = -1, pid = 0, before;
	unsigned int mib;
	double t0, secs;
	bool ok;

	ksft_print_header();
	boot_init("VMMGMT_SERVICE_DIR", "/tmp/service-vmmgmtd.log", guests, 1);
	boot.dump_keys = dump_keys;
	boot.on_fatal = dump_guests;
	boot_need_kvm();
	mib = boot_env_uint("VMMGMT_SERVICE_MIB", 256);
	if (mib > 4095)
		fatal("VMMGMT_SERVICE_MIB=%u: at most 4095", mib);
	snprintf(args, sizeof(args), "vmmgmt.service_bytes=%llu",
		 mib * 1048576ULL);
	ksft_set_plan(13);
	boot_begin();
	before = kernel_warnings();
	make_services();

	start_vmmgmtd();
	ksft_test_result(find_line(boot.vmmgmtd_log, 0, "host services: host port 22",
				   NULL, 0),
			 "vmmgmtd listens for service calls (host port 22)\n");
	start_guest(g, args);
	if (!wait_line(g->log, 0, "VMMGMT-SERVICE svc-a ready", NULL, 0,
		       BOOT_SECS))
		fatal("%s: not ready: see %s", g->name, g->log);
	t0 = vmmgmt_now_s();
	if (!wait_line(g->log, 0, "VMMGMT-SERVICE svc-a done", NULL, 0,
		       CALLS_SECS))
		fatal("%s: its calls did not end within %d s", g->name,
		      CALLS_SECS);
	ksft_print_msg("the guest's calls took %.1f s\n", vmmgmt_now_s() - t0);

	/* 1. calc. */
	check_call("calc-pow", 0, POW_200, NULL, 0);
	check_call("calc-pi", 0, PI_50, NULL, 0);

	/* 2. What the service sees. */
	snprintf(local, sizeof(local),
		 "vm=%s id=%u service=whoami uid=%d gid=%d args=one|two words|",
		 g->name, g->id, SERVICE_UID, SERVICE_UID);
	check_call("whoami", 0, local, NULL, 0);

	/* 3. sha256 of @mib MiB, against the guest's own. */
	ok = call_result("sha-local", &rc, local, sizeof(local), err, sizeof(err),
			 &secs) &&
	     call_result("sha-host", &rc2, host, sizeof(host), err, sizeof(err),
			 &secs) &&
	     !rc && !rc2 && strlen(local) == 64 &&
	     strspn(local, "0123456789abcdef") == 64 && !strcmp(local, host);
	ksft_test_result(ok, "sha256 of %u MiB: host '%s' (exit %d), guest '%s' (exit %d)\n",
			 mib, host, rc2, local, rc);

	/* 4. The time limit, and what the service left behind. */
	check_call("sleeper", 124, NULL, "time limit of 3 s",
		   SLEEPER_SECS + SLEEPER_MARGIN_SECS);
	snprintf(path, sizeof(path), "%s/sleeper.pid", run_dir);
	ok = !vmmgmt_read_text(path, pidtext, sizeof(pidtext));
	pid = ok ? atoi(pidtext) : 0;
	ok = ok && pid > 1 && pid_gone(pid);
	ksft_test_result(ok, "sleeper's background child (pid %d) is gone from the host\n",
			 pid);

	/* 5. Refusals. */
	check_call("private", 125, "", "VM 'svc-a' may not call service 'private'", 0);
	check_call("nosuch", 127, "", "no service 'nosuch'", 0);
	check_call("calc-off", 125, "", "calc mode is off", 0);

	/* 6. The host. */
	ksft_test_result(boot.vmmgmtd_pid > 0 && !kill(boot.vmmgmtd_pid, 0) &&
			 !find_line(boot.vmmgmtd_log, 0, "vmmgmtd: exiting", NULL, 0),
			 "vmmgmtd still runs\n");
	kill_all();
	boot_check_guest_logs();
	boot_check_host_log(before);
	boot_finished();
}
