// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl sched: the scheduling policy of a VM's vCPU threads (host
 * only), /sys/class/misc/vmmgmt-host/vms/<name>/sched/ (see
 * Documentation/sched.rst).
 *
 *   vmmgmtctl sched VM                   show the policy and its counters
 *   vmmgmtctl sched VM POLICY [MIN MAX]  set the bounds (if given), then
 *                                        the policy
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmgmtctl.h"

static const char * const sched_files[] = {
	"policy", "nice_min", "nice_max", "nice", "target", "score",
	"nr_threads", "adjustments", "clamped", "rejected", "ratelimited",
	"lost", "needs_seq", "change_seq", "last_reason",
};

static void sched_write(const char *dir, const char *file, const char *val)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path, "open", errno, false);
	if (write(fd, val, strlen(val)) < 0)
		fail(path, "write", errno, false);
	close(fd);
}

/* A nice value, -20..19, or a usage error. */
static const char *nice_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < -20 || v > 19)
		usage_error("sched: bad nice value (-20..19)", s);
	return s;
}

int cmd_sched(const struct ctl *ctl, int argc, char **argv)
{
	char dir[256], path[320], val[160];
	const char *min = NULL, *max = NULL;
	size_t i;
	int ret;

	if (argc != 2 && argc != 3 && argc != 5)
		usage_error("sched: VM [off|observe|demand [MIN MAX]]", NULL);
	if (!vm_name_ok(argv[1]))
		usage_error("sched: bad VM name", argv[1]);
	if (argc >= 3 && strcmp(argv[2], "off") && strcmp(argv[2], "observe") &&
	    strcmp(argv[2], "demand"))
		usage_error("sched: POLICY is off, observe or demand", argv[2]);
	if (argc == 5) {
		min = nice_arg(argv[3]);
		max = nice_arg(argv[4]);
		if (atoi(min) > atoi(max))
			usage_error("sched: MIN above MAX", argv[3]);
	}
	snprintf(dir, sizeof(dir), HOST_SYSFS "/vms/%s/sched", argv[1]);
	if (access(dir, F_OK)) {
		if (access(HOST_SYSFS, F_OK))
			fail(HOST_SYSFS, "sched", errno, false);
		vmmgmtctl_err("sched: no VM '%s' (see vmmgmtctl status)", argv[1]);
		return 1;
	}
	if (min) {
		/* In an order that never has min above max in between. */
		snprintf(path, sizeof(path), "%s/nice_max", dir);
		ret = read_file(path, val, sizeof(val));
		if (ret)
			fail(path, "read", -ret, false);
		if (atoi(min) > atoi(val)) {
			sched_write(dir, "nice_max", max);
			sched_write(dir, "nice_min", min);
		} else {
			sched_write(dir, "nice_min", min);
			sched_write(dir, "nice_max", max);
		}
	}
	if (argc >= 3) {
		sched_write(dir, "policy", argv[2]);
		return 0;
	}

	if (ctl->json) {
		printf("{\"vm\":");
		json_string(argv[1]);
	} else {
		printf("vm:           %s\n", argv[1]);
	}
	for (i = 0; i < ARRAY_SIZE(sched_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sched_files[i]);
		ret = read_file(path, val, sizeof(val));
		if (ret)
			fail(path, "read", -ret, false);
		if (ctl->json) {
			printf(",\"%s\":", sched_files[i]);
			json_string(val);
		} else {
			printf("%-13s %s\n", sched_files[i], val);
		}
	}
	if (ctl->json)
		printf("}\n");
	return 0;
}
