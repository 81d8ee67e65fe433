// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: modes (ABI 0.6).  "modes" in a guest lists the modes its
 * owner can turn on and off, with their counters, and "modes enable|disable
 * MODE" switches one (sysfs modes/MODE/enabled).  On the host, "stats VM
 * --period MS|--off|--get" asks the guest module of VM to sample (or to
 * stop, or to say how it samples), through a VMMGMT_MODE_STATS request;
 * the guest's owner must have left the statistics mode on.  Also for
 * file.c and file_serve.c: guest_has_mode() (host), guest_sysfs() and
 * set_mode_or_exit() (guest).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vmmgmtctl.h"
#include "vmmgmt_name_rules.h"

/* Exit status when the guest did not answer in time. */
#define EXIT_TIMEOUT		3
/* How long the host waits for the guest's answer by default. */
#define STATS_ANSWER_MS		5000

static const char *const mode_counters[] = {
	"tx_msgs", "tx_bytes", "rx_msgs", "rx_bytes", "errors", "denials",
};

/* The mode called @name, or -1. */
static int mode_by_name(const char *name)
{
	int m;

	for (m = 0; m < VMMGMT_MODE_MAX; m++)
		if (vmmgmt_mode_name(m) && !strcmp(name, vmmgmt_mode_name(m)))
			return m;
	return -1;
}

/*
 * The sysfs directory of the guest device (--device picks another;
 * VMMGMT_SYSFS=DIR in the environment, for the tests, names it).
 */
void guest_sysfs(const struct ctl *ctl, char *buf, size_t size)
{
	const char *base, *env = getenv("VMMGMT_SYSFS");

	if (env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	if (!ctl->device) {
		snprintf(buf, size, GUEST_SYSFS);
		return;
	}
	base = strrchr(ctl->device, '/');
	snprintf(buf, size, "/sys/class/misc/%s", base ? base + 1 : ctl->device);
}

/*
 * Put the guest's file @fd in @mode (VMMGMT_IOC_SET_MODE); exits with a
 * message when the owner has the mode off, or on any other error.
 */
void set_mode_or_exit(int fd, const char *path, __u32 mode)
{
	struct vmmgmt_mode_req mr = { .mode = mode };
	const char *name = vmmgmt_mode_name(mode);

	if (!ioctl(fd, VMMGMT_IOC_SET_MODE, &mr))
		return;
	if (errno == EPERM) {
		vmmgmtctl_err("%s: %s mode is off: 'vmmgmtctl modes enable %s' (root) switches it on",
			      path, name, name);
		exit(1);
	}
	fail(path, "SET_MODE", errno, true);
}

static int modes_switch(const char *dir, const char *verb, const char *name)
{
	char path[512];
	int mode, fd;
	bool on;

	if (!strcmp(verb, "enable"))
		on = true;
	else if (!strcmp(verb, "disable"))
		on = false;
	else
		usage_error("modes: enable or disable?", verb);
	mode = mode_by_name(name);
	if (mode < 0)
		usage_error("modes: no such mode (chat, stats, file, calc, cmd)",
			    name);
	snprintf(path, sizeof(path), "%s/modes/%s/enabled", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path, "open", errno, true);
	if (write(fd, on ? "1" : "0", 1) != 1)
		fail(path, "write", errno, true);
	close(fd);
	return 0;
}

/* modes [enable|disable MODE] (guest). */
int cmd_modes(const struct ctl *ctl, int argc, char **argv)
{
	char dir[256], path[512], val[64];
	size_t i;
	int m;

	guest_sysfs(ctl, dir, sizeof(dir));
	if (argc == 3)
		return modes_switch(dir, argv[1], argv[2]);
	if (argc != 1)
		usage_error("modes: give no argument, or enable|disable MODE",
			    NULL);
	snprintf(path, sizeof(path), "%s/modes", dir);
	if (access(path, F_OK)) {
		if (access(dir, F_OK))
			fail(dir, "modes", errno, true);
		vmmgmtctl_err("modes: %s has no modes: a guest module older than ABI 0.6",
			      dir);
		return 1;
	}
	if (ctl->json)
		printf("[");
	else
		printf("%-6s %-8s %10s %12s %10s %12s %8s %8s\n", "MODE",
		       "ENABLED", "TX_MSGS", "TX_BYTES", "RX_MSGS", "RX_BYTES",
		       "ERRORS", "DENIALS");
	for (m = VMMGMT_MODE_CHAT; m <= VMMGMT_MODE_CMD; m++) {
		snprintf(path, sizeof(path), "%s/modes/%s/enabled", dir,
			 vmmgmt_mode_name(m));
		if (read_file(path, val, sizeof(val)))
			fail(path, "read", errno, true);
		if (ctl->json)
			printf("%s{\"mode\":\"%s\",\"enabled\":%s",
			       m == VMMGMT_MODE_CHAT ? "" : ",", vmmgmt_mode_name(m),
			       !strcmp(val, "1") ? "true" : "false");
		else
			printf("%-6s %-8s", vmmgmt_mode_name(m),
			       !strcmp(val, "1") ? "on" : "off");
		for (i = 0; i < ARRAY_SIZE(mode_counters); i++) {
			snprintf(path, sizeof(path), "%s/modes/%s/%s", dir,
				 vmmgmt_mode_name(m), mode_counters[i]);
			if (read_file(path, val, sizeof(val)))
				snprintf(val, sizeof(val), ctl->json ? "null" : "-");
			if (ctl->json)
				printf(",\"%s\":%s", mode_counters[i], val);
			else
				printf(" %*s", i % 2 ? 12 : (i < 4 ? 10 : 8),
				       val);
		}
		if (m == VMMGMT_MODE_STATS) {
			char per[32];

			snprintf(path, sizeof(path), "%s/modes/stats/sampling", dir);
			if (read_file(path, val, sizeof(val)))
				snprintf(val, sizeof(val), "?");
			snprintf(path, sizeof(path), "%s/modes/stats/period_ms", dir);
			if (read_file(path, per, sizeof(per)))
				snprintf(per, sizeof(per), "0");
			if (ctl->json)
				printf(",\"sampling\":%s,\"period_ms\":%s",
				       !strcmp(val, "1") ? "true" : "false", per);
			else
				printf("  (sampling %s, every %s ms)",
				       !strcmp(val, "1") ? "on" : "off", per);
		}
		printf(ctl->json ? "}" : "\n");
	}
	if (ctl->json)
		printf("]\n");
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Whether the guest of @vm told the host it has @mode on: 1 yes, 0 no, -1
 * unknown (an older guest module, or none bound).
 */
int guest_has_mode(const char *vm, const char *mode)
{
	char path[512], val[128], *tok, *save;

	snprintf(path, sizeof(path), HOST_SYSFS "/vms/%s/guest_modes", vm);
	if (read_file(path, val, sizeof(val)) || !strcmp(val, "unknown"))
		return -1;
	for (tok = strtok_r(val, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, mode))
			return 1;
	return 0;
}

static void stats_answer_print(const struct ctl *ctl, const char *vm,
			       const struct vmmgmt_stats_ctl *a)
{
	if (ctl->json)
		printf("{\"vm\":\"%s\",\"sampling\":%s,\"period_ms\":%u}\n", vm,
		       a->sampling ? "true" : "false", a->period_ms);
	else
		printf("%s: sampling %s, every %u ms\n", vm,
		       a->sampling ? "on" : "off", a->period_ms);
}

/*
 * stats VM --period MS | --off | --get (host): one VMMGMT_MODE_STATS
 * request to the guest module of VM, and its answer.
 */
int stats_request(const struct ctl *ctl, const char *vm)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	const char *path = ctl->device ? ctl->device : HOST_DEVICE;
	struct vmmgmt_rec *r = (struct vmmgmt_rec *)buf;
	struct vmmgmt_stats_ctl req = { 0 }, ans;
	int wait_ms = ctl->timeout_ms > 0 ? ctl->timeout_ms : STATS_ANSWER_MS;
	char sysfs[512], val[32];
	long long deadline;
	__u64 id;
	ssize_t n;
	int fd;

	snprintf(sysfs, sizeof(sysfs), HOST_SYSFS "/vms/%s/vm_id", vm);
	if (read_file(sysfs, val, sizeof(val))) {
		if (access(HOST_SYSFS, F_OK))
			fail(HOST_SYSFS, "stats", errno, false);
		vmmgmtctl_err("stats: no VM '%s' (see vmmgmtctl status)", vm);
		return 1;
	}
	if (!guest_has_mode(vm, "stats")) {
		vmmgmtctl_err("stats: the statistics mode is off in %s: its owner disabled it (modes/stats/enabled in the guest)",
			      vm);
		return 1;
	}
	if (ctl->stats_get) {
		req.op = VMMGMT_STATS_CTL_GET;
	} else {
		req.op = VMMGMT_STATS_CTL_SET;
		req.sampling = !ctl->stats_off;
		req.period_ms = ctl->stats_off ? 0 : ctl->period_ms;
	}
	id = ((__u64)getpid() << 32) | (__u64)(now_ms() & 0xffffffff);
	memset(r, 0, sizeof(*r));
	r->len = sizeof(req);
	r->mode = VMMGMT_MODE_STATS;
	r->id = id;
	r->dst.vm = strtoul(val, NULL, 10);
	memcpy(r + 1, &req, sizeof(req));

	fd = open_device(path, false);
	if (write(fd, buf, sizeof(*r) + sizeof(req)) < 0) {
		int err = errno;

		if (err == EPERM) {
			vmmgmtctl_err("stats: %s refuses the statistics mode (EPERM): its owner disabled it",
				      vm);
			return 1;
		}
		fail(path, "write", err, false);
	}
	deadline = now_ms() + wait_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, left) == 0) {
			vmmgmtctl_err("stats: no answer from %s within %d ms (is the guest module loaded and bound?)",
				      vm, wait_ms);
			return EXIT_TIMEOUT;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail(path, "read", errno, false);
		}
		if ((size_t)n < sizeof(*r) || r->id != id ||
		    r->mode != VMMGMT_MODE_STATS ||
		    !(r->flags & VMMGMT_REC_F_RESPONSE))
			continue;	/* not the answer to this request */
		break;
	}
	close(fd);
	if (r->flags & VMMGMT_REC_F_ERROR) {
		__u32 err = EPROTO;

		if (r->len == sizeof(err))
			memcpy(&err, r + 1, sizeof(err));
		if (err == EPERM)
			vmmgmtctl_err("stats: %s refused: its owner disabled the statistics mode",
				      vm);
		else
			vmmgmtctl_err("stats: %s refused: %s", vm, strerror(err));
		return 1;
	}
	if (r->len != sizeof(ans)) {
		vmmgmtctl_err("stats: %s sent a malformed answer (%u bytes)", vm,
			      r->len);
		return 1;
	}
	memcpy(&ans, r + 1, sizeof(ans));
	stats_answer_print(ctl, vm, &ans);
	return 0;
}
