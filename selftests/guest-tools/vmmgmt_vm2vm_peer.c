// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_vm2vm_peer: the two guests of the host's guest-to-guest stream
 * test (selftests/host/vmmgmt_stream_vm2vm_test.c; ports, the stream's
 * bytes and the texts in selftests/vmmgmt_stream_proto.h).  Run by
 * guest-init's vmmgmt.mode=stream-a and stream-b.
 *
 *   vmmgmt_vm2vm_peer a
 *	Binds STREAM_A_CTL_PORT and runs the test's commands, one at a
 *	time: "connect VM PORT" (VMMGMT_IOC_STREAM_CONNECT, report the
 *	errno, close); "send VM PORT BYTES SEED" (a stream of BYTES bytes
 *	of stream_fill(), hashed with SHA-256 as written, shut down, then
 *	read until the peer's end of stream); "flow VM PORT" (write until
 *	the stream fails; "a streaming" after STREAM_FLOWING bytes).
 *   vmmgmt_vm2vm_peer b
 *	Listens on STREAM_B_PORT; reads each stream it accepts to its end
 *	(or error), hashing it, reports, closes it, accepts the next.
 *
 * Reports go to the test's endpoint (0:0:STREAM_REPORT_PORT) and to
 * stdout, lines starting with "stream: ".  Both check their SHA-256 with
 * the FIPS examples first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "kselftest.h"

#include <vmmgmt_sha256.h>
#include "../vmmgmt_stream_proto.h"
#include "vmmgmt_peer.h"

static int report_fd = -1;
static unsigned int abi_minor;
static const char *sha_ok;
static __u8 buf[STREAM_CHUNK];

static __printf(1, 2) void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	peer_vreport(report_fd, "stream: ", STREAM_TEXT_MAX, fmt, ap);
	va_end(ap);
}

static void cmd_send(unsigned int vm, unsigned int port,
		     unsigned long long bytes, __u64 seed)
{
	struct pollfd p = { .events = POLLIN };
	unsigned long long sent = 0, extra = 0;
	char hex[VMMGMT_SHA256_HEX] = "-";
	struct vmmgmt_sha256 sha;
	__u64 state = seed | 1;
	double t0 = vmmgmt_now_s();
	int fd, err = 0, eof = 0;
	size_t chunk;
	ssize_t n;

	fd = peer_stream_to(vm, port);
	if (fd < 0) {
		report("a sent err=%d bytes=0 sha=- secs=0 eof=0", -fd);
		return;
	}
	vmmgmt_sha256_init(&sha);
	while (sent < bytes && !err) {
		chunk = bytes - sent < STREAM_CHUNK ? bytes - sent : STREAM_CHUNK;
		stream_fill(&state, buf, (chunk + 7) & ~(size_t)7);
		vmmgmt_sha256_update(&sha, buf, chunk);
		err = -vmmgmt_write_all(fd, buf, chunk);
		if (!err)
			sent += chunk;
	}
	vmmgmt_sha256_final_hex(&sha, hex);
	if (!err && ioctl(fd, VMMGMT_IOC_STREAM_SHUTDOWN))
		err = errno;
	/* The peer closes once it read everything: our end of stream. */
	p.fd = fd;
	while (!err && !eof) {
		if (poll(&p, 1, 60000) <= 0) {
			err = ETIMEDOUT;
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR)
			err = errno;
		else if (!n)
			eof = 1;
		else if (n > 0)
			extra += n;
	}
	report("a sent err=%d bytes=%llu sha=%s secs=%.2f eof=%d%s", err, sent,
	       hex, vmmgmt_now_s() - t0, eof, extra ? " (bytes came back)" : "");
	close(fd);
}

static void cmd_flow(unsigned int vm, unsigned int port)
{
	unsigned long long sent = 0;
	__u64 state = 0x5eed;
	bool told = false;
	int fd, err;

	fd = peer_stream_to(vm, port);
	if (fd < 0) {
		report("a reset err=%d bytes=0 (connect)", -fd);
		return;
	}
	for (;;) {
		stream_fill(&state, buf, sizeof(buf));
		err = -vmmgmt_write_all(fd, buf, sizeof(buf));
		if (err)
			break;
		sent += sizeof(buf);
		if (!told && sent >= STREAM_FLOWING) {
			report("a streaming bytes=%llu", sent);
			told = true;
		}
	}
	report("a reset err=%d bytes=%llu", err, sent);
	close(fd);
}

static int a_main(void)
{
	char cmd[STREAM_TEXT_MAX + 1];
	unsigned long long bytes;
	unsigned int vm, port;
	__u64 seed;
	int ctl, fd, ret;

	ctl = peer_open_bound(STREAM_A_CTL_PORT);
	if (ctl < 0) {
		report("a FAIL bind %d: %s", STREAM_A_CTL_PORT, strerror(errno));
		return 1;
	}
	report("a ready abi=0.%u sha=%s", abi_minor, sha_ok);
	for (;;) {
		ret = peer_read_cmd(ctl, cmd, sizeof(cmd), "stream: a ");
		if (ret <= 0)
			return ret ? 1 : 0;
		if (sscanf(cmd, "connect %u %u", &vm, &port) == 2) {
			fd = peer_stream_to(vm, port);
			report("a connect err=%d", fd < 0 ? -fd : 0);
			if (fd >= 0)
				close(fd);
		} else if (sscanf(cmd, "send %u %u %llu %llu", &vm, &port, &bytes,
				  (unsigned long long *)&seed) == 4) {
			cmd_send(vm, port, bytes, seed);
		} else if (sscanf(cmd, "flow %u %u", &vm, &port) == 2) {
			cmd_flow(vm, port);
		} else {
			report("a unknown command '%s'", cmd);
		}
	}
}

static int b_main(void)
{
	struct vmmgmt_stream_accept a;
	unsigned long long got;
	char hex[VMMGMT_SHA256_HEX];
	struct vmmgmt_sha256 sha;
	int lfd, err;
	double t0;
	ssize_t n;

	lfd = peer_stream_listen(STREAM_B_PORT);
	err = lfd < 0 ? -lfd : 0;
	report("b ready abi=0.%u sha=%s listen=%d", abi_minor, sha_ok, err);
	if (err)
		return 1;
	for (;;) {
		memset(&a, 0, sizeof(a));
		if (ioctl(lfd, VMMGMT_IOC_STREAM_ACCEPT, &a)) {
			if (errno == EINTR)
				continue;
			report("b accept err=%d", errno);
			return 1;
		}
		report("b accepted peer=%u:%u", a.peer.vm, a.peer.port);
		t0 = vmmgmt_now_s();
		got = 0;
		err = 0;
		vmmgmt_sha256_init(&sha);
		for (;;) {
			n = read(a.fd, buf, sizeof(buf));
			if (n < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			if (!n)
				break;
			vmmgmt_sha256_update(&sha, buf, n);
			got += n;
		}
		vmmgmt_sha256_final_hex(&sha, hex);
		report("b recv err=%d bytes=%llu sha=%s secs=%.2f", err, got, hex,
		       vmmgmt_now_s() - t0);
		close(a.fd);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "a") && strcmp(argv[1], "b"))) {
		fprintf(stderr, "Usage: %s a | b\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sha_ok = vmmgmt_sha256_selftest() ? "BAD" : "ok";
	abi_minor = peer_abi_minor();
	report_fd = peer_open_to(VMMGMT_HOST_PEER_ID, STREAM_REPORT_PORT);
	if (report_fd < 0)
		printf("stream: no report file: %s\n", strerror(errno));
	return argv[1][0] == 'a' ? a_main() : b_main();
}
