// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: guest statistics.  "stats VM" on the host prints the latest
 * sample the host module kept for VM (sysfs vms/VM/stats/); "needs VCPUS
 * URGENCY" in a guest sets what the guest could use (VMMGMT_IOC_SET_NEEDS);
 * "top" on the host shows every VM's latest sample, refreshed in place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmmgmtctl.h"
#include "vmmgmt_name_rules.h"

/* The files of vms/VM/stats/ that hold one number, in the order shown. */
static const struct {
	const char *name;
	const char *unit;
} stat_files[] = {
	{ "samples", "" },
	{ "rejected", "" },
	{ "seq", "" },
	{ "age_ms", "ms" },
	{ "period_ms", "ms" },
	{ "nr_cpus", "" },
	{ "cpu_util", "permille" },
	{ "cpu_user", "permille" },
	{ "cpu_system", "permille" },
	{ "idle", "permille" },
	{ "iowait", "permille" },
	{ "steal", "permille" },
	{ "runnable", "" },
	{ "nr_threads", "" },
	{ "load1", "/100" },
	{ "load5", "/100" },
	{ "load15", "/100" },
	{ "psi", "" },
	{ "psi_cpu_some", "/100 %" },
	{ "psi_cpu_full", "/100 %" },
	{ "psi_memory_some", "/100 %" },
	{ "psi_memory_full", "/100 %" },
	{ "psi_io_some", "/100 %" },
	{ "psi_io_full", "/100 %" },
	{ "mem_total", "KiB" },
	{ "mem_free", "KiB" },
	{ "mem_available", "KiB" },
	{ "mem_cached", "KiB" },
	{ "vcpus_wanted", "" },
	{ "urgency", "" },
};

/* A VM name as vmmgmtd registers them: 1..31 of [A-Za-z0-9_-]. */
bool vm_name_ok(const char *name)
{
	__u8 buf[VMMGMT_NAME_MAX] = { 0 };

	if (strlen(name) >= sizeof(buf))
		return false;
	memcpy(buf, name, strlen(name));
	return vmmgmt_name_valid(buf, VMMGMT_NAME_PUNCT_VM);
}

int cmd_stats(const struct ctl *ctl, int argc, char **argv)
{
	char dir[256], path[320], val[64], err[64];
	bool have_sample;
	size_t i;
	int ret;

	if (argc != 2)
		usage_error(argc < 2 ? "stats: which VM?" : "unexpected argument",
			    argc < 2 ? NULL : argv[2]);
	if (!vm_name_ok(argv[1]))
		usage_error("stats: bad VM name", argv[1]);
	if (!!ctl->period_ms + ctl->stats_off + ctl->stats_get > 1)
		usage_error("stats: give one of --period, --off and --get", NULL);
	if (ctl->period_ms || ctl->stats_off || ctl->stats_get)
		return stats_request(ctl, argv[1]);
	snprintf(dir, sizeof(dir), HOST_SYSFS "/vms/%s/stats", argv[1]);
	if (access(dir, F_OK)) {
		if (access(HOST_SYSFS, F_OK))
			fail(HOST_SYSFS, "stats", errno, false);
		vmmgmtctl_err("stats: no VM '%s' (see vmmgmtctl status)", argv[1]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/last_error", dir);
	if (read_file(path, err, sizeof(err)))
		snprintf(err, sizeof(err), "?");
	snprintf(path, sizeof(path), "%s/seq", dir);
	have_sample = read_file(path, val, sizeof(val)) == 0;

	if (ctl->json) {
		printf("{\"vm\":");
		json_string(argv[1]);
		printf(",\"last_error\":");
		json_string(err);
	} else {
		printf("vm:               %s\n", argv[1]);
	}
	for (i = 0; i < ARRAY_SIZE(stat_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, stat_files[i].name);
		ret = read_file(path, val, sizeof(val));
		if (ret == -ENODATA)
			continue;	/* no sample yet */
		if (ret)
			fail(path, "read", -ret, false);
		if (ctl->json)
			printf(",\"%s\":%s", stat_files[i].name, val);
		else
			printf("%-17s %s%s%s\n", stat_files[i].name, val,
			       stat_files[i].unit[0] ? " " : "",
			       stat_files[i].unit);
	}
	if (ctl->json)
		printf("}\n");
	else if (!have_sample)
		printf("(no sample yet: ask the guest with vmmgmtctl stats %s --period 1000)\n",
		       argv[1]);
	else
		printf("last_error:       %s\n", err);
	return 0;
}

static unsigned long parse_num(const char *s, unsigned long max,
			       const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		usage_error(what, s);
	return v;
}

int cmd_needs(const struct ctl *ctl, int argc, char **argv)
{
	const char *path = ctl->device ? ctl->device : GUEST_DEVICE;
	struct vmmgmt_stats_needs needs = { 0 };
	int fd;

	if (argc != 3)
		usage_error("needs: give VCPUS and URGENCY", NULL);
	needs.vcpus_wanted = parse_num(argv[1], VMMGMT_STATS_VCPUS_WANTED_MAX,
				       "needs: bad VCPUS (0..1024)");
	needs.urgency = parse_num(argv[2], VMMGMT_STATS_URGENCY_MAX,
				  "needs: bad URGENCY (0..100)");
	fd = open_device(path, true);
	if (ioctl(fd, VMMGMT_IOC_SET_NEEDS, &needs) < 0)
		fail(path, "SET_NEEDS", errno, true);
	close(fd);
	/* Text: silent, as set(1) tools are; JSON: what was set. */
	if (ctl->json)
		printf("{\"vcpus_wanted\":%u,\"urgency\":%u}\n",
		       needs.vcpus_wanted, needs.urgency);
	return 0;
}

/* One number of vms/@vm/@file; -1 when absent or before a sample. */
static long long vm_num(const char *vm, const char *file)
{
	char path[512], val[64];

	snprintf(path, sizeof(path), HOST_SYSFS "/vms/%s/%s", vm, file);
	if (read_file(path, val, sizeof(val)))
		return -1;
	return atoll(val);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Print a per-mille value as a percentage with one decimal, or "-". */
static void pct(long long permille)
{
	if (permille < 0)
		printf(" %6s", "-");
	else
		printf(" %5lld.%lld", permille / 10, permille % 10);
}

static void num(long long v, int width)
{
	if (v < 0)
		printf(" %*s", width, "-");
	else
		printf(" %*lld", width, v);
}

/* One screen (or one JSON array) of every registered VM. */
static int top_once(const struct ctl *ctl)
{
	static const char * const json_files[] = {
		"samples", "rejected", "age_ms", "cpu_util", "steal", "iowait",
		"runnable", "load1", "psi_cpu_some", "psi_memory_some",
		"psi_io_some", "mem_available", "vcpus_wanted", "urgency",
	};
	char *names[1024], link[32], path[384];
	struct dirent *de;
	size_t n = 0, i, j;
	DIR *d;

	d = opendir(HOST_SYSFS "/vms");
	if (!d)
		fail(HOST_SYSFS "/vms", "top", errno, false);
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (de->d_name[0] == '.')
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);

	if (ctl->json) {
		printf("[");
		for (i = 0; i < n; i++) {
			printf("%s{\"vm\":", i ? "," : "");
			json_string(names[i]);
			for (j = 0; j < ARRAY_SIZE(json_files); j++) {
				long long v;

				snprintf(path, sizeof(path), "stats/%s",
					 json_files[j]);
				v = vm_num(names[i], path);
				if (v >= 0)
					printf(",\"%s\":%lld", json_files[j], v);
			}
			printf("}");
		}
		printf("]\n");
	} else {
		/* Home, clear: refresh in place. */
		printf("\033[H\033[2J");
		printf("%-16s %-6s %7s %6s %6s %6s %4s %6s %6s %6s %6s %9s %4s %3s\n",
		       "VM", "LINK", "AGE_MS", "CPU%", "STEAL%", "IOWT%", "RUN",
		       "LOAD1", "PSIcpu", "PSImem", "PSIio", "AVAIL_MiB", "WANT",
		       "URG");
		for (i = 0; i < n; i++) {
			long long avail;

			snprintf(path, sizeof(path), HOST_SYSFS "/vms/%s/link_state",
				 names[i]);
			if (read_file(path, link, sizeof(link)))
				snprintf(link, sizeof(link), "?");
			printf("%-16s %-6s", names[i], link);
			num(vm_num(names[i], "stats/age_ms"), 7);
			pct(vm_num(names[i], "stats/cpu_util"));
			pct(vm_num(names[i], "stats/steal"));
			pct(vm_num(names[i], "stats/iowait"));
			num(vm_num(names[i], "stats/runnable"), 4);
			num(vm_num(names[i], "stats/load1"), 6);
			num(vm_num(names[i], "stats/psi_cpu_some"), 6);
			num(vm_num(names[i], "stats/psi_memory_some"), 6);
			num(vm_num(names[i], "stats/psi_io_some"), 6);
			avail = vm_num(names[i], "stats/mem_available");
			num(avail < 0 ? -1 : avail / 1024, 9);
			num(vm_num(names[i], "stats/vcpus_wanted"), 4);
			num(vm_num(names[i], "stats/urgency"), 3);
			printf("\n");
		}
		printf("%zu VMs; LOAD1 and PSI in 1/100 (PSI: %% of 10 s); '-': no sample\n",
		       n);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return fflush(stdout) ? 1 : 0;
}

int cmd_top(const struct ctl *ctl, int argc, char **argv)
{
	unsigned long interval = 1, i;

	if (argc > 2)
		usage_error("unexpected argument", argv[2]);
	if (argc == 2)
		interval = parse_num(argv[1], 3600, "top: bad SECONDS (1..3600)");
	if (!interval)
		usage_error("top: bad SECONDS (1..3600)", argv[1]);
	for (i = 0; !ctl->count || i < ctl->count; i++) {
		if (i)
			sleep(interval);
		if (top_once(ctl))
			return 1;
	}
	return 0;
}
