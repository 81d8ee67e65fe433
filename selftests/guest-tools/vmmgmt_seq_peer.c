// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_seq_peer: the guests of the host's restart test
 * (selftests/host/vmmgmt_restart_test.c; ports, records and texts in
 * selftests/vmmgmt_seq_proto.h).  Run by guest-init's vmmgmt.mode=seq
 * and seq-once.
 *
 *   vmmgmt_seq_peer [--rate N] [--module PATH] [--stream-echo]
 *	Binds SEQ_GUEST_PORT, connected to the test's SEQ_HOST_PORT, and
 *	reports "ready".  Then sends N (default SEQ_RATE) data records a
 *	second, numbered from 0, and counts the numbers of the test's data
 *	records (lost, duplicated, reordered), until it is killed.  A write
 *	refused for the moment (EAGAIN: the ring or the credit is full) is
 *	tried again with the same number; any other failed write or read
 *	(an error answer) counts as an error.  No catching up: after a
 *	pause (QEMU stopped, the guest frozen) the rate goes on from then.
 *	The test's commands:
 *	"report N": the counters, against the test's first N records.
 *	"freeze", "mem": echo freeze (or deep >/sys/power/mem_sleep and
 *	mem: ACPI S3) >/sys/power/state, asleep until the test wakes the
 *	guest through QEMU; reports the device's suspends and resumes
 *	counters before and after.  The same file is used on after it.
 *	"reload": closes the file, rmmod vmmgmt_guest, insmod PATH (default
 *	/lib/modules/vmmgmt_guest.ko), waits for the link, opens and binds
 *	again and goes on with its numbers.
 *	--stream-echo (the soak): also listens for streams on
 *	SEQ_STREAM_PORT and writes every byte of the one it accepted last
 *	back into it; a stream that fails is closed (the test connects
 *	again).  The listener and the stream are closed for a reload and
 *	the listener opened again after it.
 *   vmmgmt_seq_peer --once
 *	Reports "hello", waits for the test's "bye", answers "bye" and
 *	exits once the link went down (the test removes the VM).
 *
 * Reports go to stdout too, lines starting with "seq: "; the counters
 * start with "VMMGMT-SEQ ".  Exit 1 on what it cannot go on after.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "kselftest.h"

#include "../vmmgmt_seq_proto.h"
#include "vmmgmt_peer.h"

#define MEM_SLEEP		"/sys/power/mem_sleep"
#define POWER_STATE		"/sys/power/state"
/* Errors printed one by one; the count goes on. */
#define ERRORS_SHOWN		20

static int dev_fd = -1;
static struct seq_track track;
static unsigned long long sent, errors, waits;
static const char *module_path = "/lib/modules/vmmgmt_guest.ko";
/* --stream-echo: the listener and the stream accepted last, or -1. */
static bool stream_echo;
static int listen_fd = -1, stream_fd = -1;
static unsigned long long echoed, echo_streams;

/* One report: "@prefix TEXT" on stdout and TEXT to the test's endpoint. */
static __printf(2, 3) void say(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	peer_vreport(dev_fd, prefix, SEQ_TEXT_MAX, fmt, ap);
	va_end(ap);
}

static void count_error(const char *op, int err)
{
	if (++errors <= ERRORS_SHOWN)
		printf("seq: %s: %s (error %llu)\n", op, strerror(err), errors);
}

/* The file: bound to SEQ_GUEST_PORT, writes to the test; non-blocking. */
static int open_file(void)
{
	int fd = peer_open_bound_to(SEQ_GUEST_PORT, 0, SEQ_HOST_PORT);

	if (fd < 0) {
		printf("seq: open, bind %u, connect 0:%u: %s\n", SEQ_GUEST_PORT,
		       SEQ_HOST_PORT, strerror(-fd));
		return fd;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK)) {
		printf("seq: O_NONBLOCK: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The next data record; a refusal for now (EAGAIN) is tried again later. */
static void send_one(void)
{
	struct seq_data d = { .magic = SEQ_MAGIC, .seq = sent };
	ssize_t n = write(dev_fd, &d, sizeof(d));

	if (n == (ssize_t)sizeof(d))
		sent++;
	else if (n < 0 && errno == EAGAIN)
		waits++;
	else
		count_error("write", n < 0 ? errno : EIO);
}

static void report_counts(unsigned long long n)
{
	long long lo, hi;
	unsigned long long lost = seq_track_missing(&track, n, &lo, &hi);

	say("VMMGMT-SEQ ",
	    "sent=%llu recv=%llu lost=%llu dup=%llu reordered=%llu errors=%llu missing_lo=%lld missing_hi=%lld waits=%llu of=%llu",
	    sent, track.recv, lost, track.dup, track.reordered,
	    errors + track.bogus, lo, hi, waits, n);
}

static unsigned long long dev_counter(const char *attr)
{
	__u64 v;

	return vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, attr, &v) ? -1ULL : v;
}

/*
 * "freeze" (suspend to idle) or "mem" (suspend to RAM, ACPI S3): the guest
 * sleeps until the test wakes it through QEMU (QMP system_powerdown, the
 * ACPI power button, for freeze; QMP system_wakeup for S3).
 */
static void do_sleep(const char *state)
{
	unsigned long long s0 = dev_counter("suspends"), r0 = dev_counter("resumes");
	char states[128] = "", mem[128] = "";
	double t0 = vmmgmt_now_s();
	int rc;

	vmmgmt_read_text(POWER_STATE, states, sizeof(states));
	if (!strstr(states, state)) {
		say("seq: ", "slept %s rc=-1 why=no-%s-in-%s(%s)", state, state, POWER_STATE,
		    states);
		return;
	}
	if (!strcmp(state, "mem")) {
		/* S3, not the s2idle that "mem" may also mean. */
		vmmgmt_read_text(MEM_SLEEP, mem, sizeof(mem));
		rc = strstr(mem, "deep") ? vmmgmt_write_text(MEM_SLEEP, "deep") : -ENOENT;
		if (rc) {
			say("seq: ", "slept %s rc=%d why=no-deep-in-%s(%s)", state, rc, MEM_SLEEP,
			    mem);
			return;
		}
	}
	fflush(stdout);
	rc = vmmgmt_write_text(POWER_STATE, state);
	say("seq: ",
	    "slept %s rc=%d secs=%.1f suspends0=%lld suspends1=%lld resumes0=%lld resumes1=%lld",
	    state, rc, vmmgmt_now_s() - t0, (long long)s0, (long long)dev_counter("suspends"),
	    (long long)r0, (long long)dev_counter("resumes"));
}

/* The echo's listener, non-blocking; failures are printed, not counted. */
static void echo_listen(void)
{
	if (!stream_echo)
		return;
	listen_fd = peer_stream_listen(SEQ_STREAM_PORT);
	if (listen_fd < 0) {
		printf("seq: stream listen %u: %s\n", SEQ_STREAM_PORT, strerror(-listen_fd));
		listen_fd = -1;
	} else if (fcntl(listen_fd, F_SETFL, O_NONBLOCK)) {
		printf("seq: stream listener O_NONBLOCK: %s\n", strerror(errno));
	}
}

static void echo_close(void)
{
	if (stream_fd >= 0)
		close(stream_fd);
	if (listen_fd >= 0)
		close(listen_fd);
	stream_fd = -1;
	listen_fd = -1;
}

/* A waiting stream replaces the one before (the test connected again). */
static void echo_accept(void)
{
	struct vmmgmt_stream_accept a = { .flags = VMMGMT_ACCEPT_NONBLOCK };

	if (ioctl(listen_fd, VMMGMT_IOC_STREAM_ACCEPT, &a))
		return;
	if (stream_fd >= 0)
		close(stream_fd);
	stream_fd = a.fd;
	echo_streams++;
	printf("seq: stream %llu accepted (%llu bytes echoed so far)\n", echo_streams, echoed);
}

/* The stream's bytes back into it; a stream that failed is closed. */
static void echo_bytes(void)
{
	char buf[4096];
	ssize_t n, w, off;

	n = read(stream_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (off = 0; n > 0 && off < n; off += w) {
		w = write(stream_fd, buf + off, n - off);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = stream_fd, .events = POLLOUT };

			poll(&p, 1, 100);
			w = 0;
		} else if (w <= 0) {
			break;
		}
	}
	if (n > 0 && off == n) {
		echoed += n;
		return;
	}
	printf("seq: stream %llu over (%s) after %llu bytes echoed\n", echo_streams,
	       n == 0 ? "end" : strerror(errno), echoed);
	close(stream_fd);
	stream_fd = -1;
}

/* "reload": the guest module out and in again, under the same numbers. */
static void do_reload(void)
{
	double t0 = vmmgmt_now_s();
	char cmd[300];
	int rc;

	close(dev_fd);
	dev_fd = -1;
	echo_close();
	fflush(stdout);
	rc = system("rmmod vmmgmt_guest 2>&1");
	if (!rc) {
		snprintf(cmd, sizeof(cmd), "insmod %s 2>&1", module_path);
		rc = system(cmd);
	}
	if (!rc && !peer_wait_link(true, 30)) {
		printf("seq: link not up 30 s after insmod (link_state %s)\n",
		       peer_link_state());
		rc = -ETIMEDOUT;
	}
	if (!rc) {
		dev_fd = open_file();
		if (dev_fd < 0)
			rc = dev_fd;
	}
	say("seq: ", "reloaded rc=%d secs=%.1f", rc, vmmgmt_now_s() - t0);
	if (dev_fd < 0)
		exit(1);
	echo_listen();
}

/* One command; false for "bye". */
static bool obey(char *text)
{
	if (!strcmp(text, "bye")) {
		say("seq: ", "bye");
		return false;
	}
	if (!strncmp(text, "report ", 7)) {
		report_counts(strtoull(text + 7, NULL, 10));
	} else if (!strcmp(text, "freeze") || !strcmp(text, "mem")) {
		do_sleep(text);
	} else if (!strcmp(text, "reload")) {
		do_reload();
	} else {
		printf("seq: not a command: '%s'\n", text);
		errors++;
	}
	return true;
}

/* Everything queued for the file; false once "bye" came. */
static bool receive(void)
{
	char buf[sizeof(struct seq_data) + SEQ_TEXT_MAX + 1];
	unsigned int i;
	ssize_t n;
	__u64 seq;

	for (i = 0; i < 64; i++) {
		n = read(dev_fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			count_error("read", errno);
			/* A link that is not up fails at once: no spinning. */
			if (errno == ENOTCONN || errno == EPIPE)
				vmmgmt_sleep_ms(100);
			return true;
		}
		if (seq_is_data(buf, n, &seq)) {
			seq_track_add(&track, seq);
			continue;
		}
		buf[n] = '\0';
		if (!obey(buf))
			return false;
	}
	return true;
}

/* The traffic, until killed (or "bye" with @once). */
static void run(double rate, bool once)
{
	double next = vmmgmt_now_s(), now;
	struct pollfd p[3];
	int ms;

	for (;;) {
		now = vmmgmt_now_s();
		if (!once && now >= next) {
			send_one();
			next += 1 / rate;
			/* No burst to catch up after a pause. */
			if (next < now - 0.2)
				next = now;
		}
		ms = once ? 1000 : (int)((next - now) * 1000);
		p[0] = (struct pollfd){ .fd = dev_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = stream_fd, .events = POLLIN };
		if (poll(p, 3, ms > 0 ? ms : 0) <= 0)
			continue;
		if (listen_fd >= 0 && (p[1].revents & POLLIN))
			echo_accept();
		/* Before receive(): a reload there closes the stream. */
		if (stream_fd >= 0 && p[2].fd == stream_fd && p[2].revents)
			echo_bytes();
		if (p[0].revents && !receive())
			return;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmt_seq_peer [--rate N] [--module PATH] [--stream-echo] | --once\n"
		"Numbered records to and from the host's restart test, until killed.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "module", required_argument, NULL, 'm' },
		{ "once", no_argument, NULL, 'o' },
		{ "stream-echo", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double rate = SEQ_RATE;
	bool once = false;
	int c;

	while ((c = getopt_long(argc, argv, "r:m:osh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rate = atof(optarg);
			break;
		case 'm':
			module_path = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 's':
			stream_echo = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (rate <= 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!peer_wait_link(true, 30)) {
		printf("seq: link not up after 30 s (link_state %s)\n", peer_link_state());
		return 1;
	}
	dev_fd = open_file();
	if (dev_fd < 0)
		return 1;
	if (once) {
		say("seq: ", "hello");
		run(rate, true);
		/* The test removes the VM now: wait for the link to go. */
		if (!peer_wait_link(false, 300)) {
			printf("seq: link still up 300 s after the chat\n");
			return 1;
		}
		printf("seq: link %s after the chat\n", peer_link_state());
		return 0;
	}
	echo_listen();
	say("seq: ", "ready abi=0.%u rate=%.0f", peer_abi_minor(), rate);
	run(rate, false);
	return 0;
}
