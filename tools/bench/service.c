// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench service: in a guest, the service_rtt_p50_ms figure (issue
 * 15): SERVICE_CALLS runs of "vmmgmtctl call sha256" on 64 bytes, each
 * timed from its start to its exit (process start, the stream, the
 * host's vmmgmtd starting the service and its answer), the median with
 * min= and max=.  Every answer is checked against the digest computed
 * here; a call that fails or answers wrong fails the command.  There is
 * nothing to compare it with (no goal): it is reported.  The guest's
 * owner must have calc mode on and the host vmmgmtd the sha256 service
 * (host-init does both in bench mode).  Calls libc, stats.c
 * (figure_spread()) and tools/include/vmmgmt_sha256.h.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "vmmgmt_sha256.h"

#define SERVICE_CALLS		100
#define SERVICE_DATA_LEN	64

/*
 * One call: @data on its stdin, its stdout into @out (NUL-terminated).
 * Return: its exit status, or -1 when it could not run.
 */
static int service_call_once(const char *ctl, const unsigned char *data,
			     size_t len, char *out, size_t size)
{
	int in[2], outp[2], status;
	bool written;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(in))
		return -1;
	if (pipe(outp)) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (!pid) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		execl(ctl, "vmmgmtctl", "call", "sha256", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (pid < 0) {
		close(in[1]);
		close(outp[0]);
		return -1;
	}
	written = !vmmgmt_write_all(in[1], data, len);
	close(in[1]);
	while (got + 1 < size && (n = read(outp[0], out + got, size - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(outp[0]);
	if (waitpid(pid, &status, 0) != pid || !written)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/**
 * service_main() - vmmgmt-bench service.
 * @o: the options (none are used but the defaults').
 *
 * Return: 0 with the FIGURE line printed, 1 when a call failed.
 */
int service_main(const struct opts *o)
{
	const char *ctl = getenv("VMMGMTCTL") ? getenv("VMMGMTCTL") :
			  VMMGMTCTL_DEFAULT;
	unsigned char data[SERVICE_DATA_LEN];
	char want[VMMGMT_SHA256_HEX], out[256];
	double ms[SERVICE_CALLS], t0;
	struct vmmgmt_sha256 sha;
	unsigned int i;
	int rc;

	(void)o;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)('a' + i % 26);
	vmmgmt_sha256_init(&sha);
	vmmgmt_sha256_update(&sha, data, sizeof(data));
	vmmgmt_sha256_final_hex(&sha, want);
	printf("INFO service: %d calls of '%s call sha256' on %d bytes\n",
	       SERVICE_CALLS, ctl, SERVICE_DATA_LEN);
	for (i = 0; i < SERVICE_CALLS; i++) {
		t0 = vmmgmt_now_ms();
		rc = service_call_once(ctl, data, sizeof(data), out, sizeof(out));
		ms[i] = vmmgmt_now_ms() - t0;
		out[strcspn(out, "\n")] = '\0';
		if (rc || strcmp(out, want)) {
			fprintf(stderr,
				"vmmgmt-bench: service: call %u: exit %d, answer '%s' (want '%s')\n",
				i, rc, out, want);
			return 1;
		}
	}
	figure_spread("service_rtt_p50_ms", "", ms, SERVICE_CALLS, "ms");
	return 0;
}
