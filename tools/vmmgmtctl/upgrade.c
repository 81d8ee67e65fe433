// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl upgrade: replace the host module with VMs running, through
 * vmmgmtd (host only; its control socket as for vm.c):
 *
 *   vmmgmtctl [--dir DIR] [--json] upgrade [--wait SECS] MODULE.ko
 *
 * The request is "upgrade wait=SECS /ABSOLUTE/PATH" (the path is made
 * absolute here, against the current directory); vmmgmtd checks the
 * module, does the handover (tools/vmmgmtd/upgrade.c) and answers "ok" and
 * "upgraded vms=N paused_ms=P abi=A.B format=F", or "error: <errno name>:
 * <message>".  --wait is also send's flag (no value): main() hands
 * upgrade's SECS over in ctl->upgrade_wait (upgrade_take_wait()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmgmtctl.h"

#define UPGRADE_WAIT_DEFAULT_S	30
#define UPGRADE_WAIT_MAX_S	3600
/* Beyond --wait: the new module's load, 5 s for its device, the imports. */
#define UPGRADE_ANSWER_SLACK_S	60
#define UPGRADE_REQUEST_MAX	512

/*
 * Before main()'s getopt: with the command "upgrade" (before any "--"),
 * take "--wait SECS", "--wait=SECS" or "-w SECS" out of @argv (*@argc
 * shrinks) into ctl->upgrade_wait, so that getopt does not see send's
 * --wait, which has no value.
 */
void upgrade_take_wait(struct ctl *ctl, int *argc, char **argv)
{
	int i, end, take;

	for (end = 1; end < *argc && strcmp(argv[end], "--"); end++)
		;
	for (i = 1; i < end && strcmp(argv[i], "upgrade"); i++)
		;
	if (i == end)
		return;
	for (i = 1; i < end; i++) {
		take = 0;
		if (!strncmp(argv[i], "--wait=", 7)) {
			ctl->upgrade_wait = argv[i] + 7;
			take = 1;
		} else if ((!strcmp(argv[i], "--wait") || !strcmp(argv[i], "-w")) &&
			   i + 1 < end) {
			ctl->upgrade_wait = argv[i + 1];
			take = 2;
		}
		if (!take)
			continue;
		memmove(&argv[i], &argv[i + take], (*argc + 1 - i - take) * sizeof(*argv));
		*argc -= take;
		end -= take;
		i--;
	}
}

/* --wait SECS: 1..3600, default 30. */
static unsigned long upgrade_wait(const struct ctl *ctl)
{
	unsigned long v;
	char *end;

	if (ctl->wait)
		usage_error("upgrade: --wait needs SECS", NULL);
	if (!ctl->upgrade_wait)
		return UPGRADE_WAIT_DEFAULT_S;
	errno = 0;
	v = strtoul(ctl->upgrade_wait, &end, 10);
	if (errno || end == ctl->upgrade_wait || *end || ctl->upgrade_wait[0] == '-' ||
	    !v || v > UPGRADE_WAIT_MAX_S)
		usage_error("upgrade: bad --wait (1..3600 seconds)", ctl->upgrade_wait);
	return v;
}

/* "upgrade wait=SECS /ABSOLUTE/MODULE.ko\n" into @buf. */
static void upgrade_request(const char *module, unsigned long wait_s,
			    char *buf, size_t size)
{
	char cwd[4096];
	size_t n;

	if (!module[0] || strchr(module, '\n'))
		usage_error("upgrade: bad module path", module);
	if (module[0] == '/') {
		n = snprintf(buf, size, "upgrade wait=%lu %s\n", wait_s, module);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			fail("getcwd", NULL, errno, false);
		n = snprintf(buf, size, "upgrade wait=%lu %s%s%s\n", wait_s, cwd,
			     strcmp(cwd, "/") ? "/" : "", module);
	}
	if (n >= size)
		usage_error("upgrade: module path too long", module);
}

/* vmmgmtd's refusal: stderr, and with --json an object on stdout; exit 1. */
static noreturn void upgrade_refused(const struct ctl *ctl, char *line)
{
	char *name = line + 7, *msg = strstr(name, ": ");

	line[strcspn(line, "\n")] = '\0';
	vmmgmtctl_err("upgrade: %s", name);
	if (ctl->json && msg) {
		*msg = '\0';
		printf("{\"upgraded\":false,\"errno\":");
		json_string(name);
		printf(",\"error\":");
		json_string(msg + 2);
		printf("}\n");
	}
	exit(1);
}

/* The answer line after "ok", as text or JSON. */
static int upgrade_print(const struct ctl *ctl, const char *line)
{
	unsigned int vms, major, minor, format;
	unsigned long long paused_ms;

	if (sscanf(line, "upgraded vms=%u paused_ms=%llu abi=%u.%u format=%u",
		   &vms, &paused_ms, &major, &minor, &format) != 5) {
		vmmgmtctl_err("upgrade: unexpected answer from vmmgmtd: '%.*s'",
			      (int)strcspn(line, "\n"), line);
		return 1;
	}
	if (ctl->json) {
		printf("{\"upgraded\":true,\"vms\":%u,\"paused_ms\":%llu,", vms,
		       paused_ms);
		printf("\"abi\":\"%u.%u\",\"format\":%u}\n", major, minor, format);
	} else {
		printf("upgraded: %u VMs handed over, paused %llu ms, module ABI %u.%u\n",
		       vms, paused_ms, major, minor);
	}
	return fflush(stdout) ? 1 : 0;
}

int cmd_upgrade(const struct ctl *ctl, int argc, char **argv)
{
	char request[UPGRADE_REQUEST_MAX], *answer;
	unsigned long wait_s = upgrade_wait(ctl);
	int ret;

	if (argc != 2)
		usage_error(argc < 2 ? "upgrade: which module file?" : "unexpected argument",
			    argc < 2 ? NULL : argv[2]);
	upgrade_request(argv[1], wait_s, request, sizeof(request));
	answer = daemon_ask(ctl, request, wait_s + UPGRADE_ANSWER_SLACK_S);
	if (!strncmp(answer, "error: ", 7))
		upgrade_refused(ctl, answer);
	if (strncmp(answer, "ok\n", 3)) {
		vmmgmtctl_err("upgrade: unexpected answer from vmmgmtd: '%.*s'",
			      (int)strcspn(answer, "\n"), answer);
		free(answer);
		return 1;
	}
	ret = upgrade_print(ctl, answer + 3);
	free(answer);
	return ret;
}
