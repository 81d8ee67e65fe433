// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench guest and smoke: every echo figure of one guest, against
 * the host module's echo service, a host userspace endpoint
 * (--host-port) and a vsock echo server (--vsock-cid), with the guest's
 * doorbells and interrupts per message and the ratios to vsock.  Calls
 * transport.c, measure.c and libc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* A counter of the guest module's sysfs directory; 0 or -errno. */
static int read_counter(const char *name, unsigned long long *val)
{
	return vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, name, val);
}

/* Guest doorbells plus interrupts so far, or -1. */
static long long notifications(void)
{
	unsigned long long db, irq;

	if (read_counter("doorbells", &db) || read_counter("interrupts", &irq))
		return -1;
	return (long long)(db + irq);
}

/*
 * A point the host VM samples its own counters at: one line, then a pause
 * so that the host reads them before the next run starts.
 */
static void mark(const struct opts *o, const char *what)
{
	if (!o->marks)
		return;
	printf("BENCH-MARK %s\n", what);
	fflush(stdout);
	sleep(2);
}

struct results {
	double rate_small, rate_large, tput_large, p50, p99;
	double stream_small, stream_tput;	/* the chat_ (streamed) runs */
	size_t large;
	bool ok;
};

/* Guest doorbells and interrupts so far; false if unreadable. */
static bool guest_notes(unsigned long long *db, unsigned long long *irq)
{
	return !read_counter("doorbells", db) &&
	       !read_counter("interrupts", irq);
}

/*
 * The chat_ figures: the same echo, streamed with a deep window
 * (STREAM_WINDOW messages of 64 B in flight, STREAM_WINDOW_LARGE of the
 * large size), so that the sender keeps posting while earlier messages
 * are still being consumed; with notif, the guest's doorbells plus
 * interrupts per echoed message during the 64 B run.
 */
static int measure_stream(const struct conn *c, const char *suffix,
			  size_t large, bool notif, const struct opts *o,
			  struct results *res)
{
	unsigned long long db0 = 0, irq0 = 0, db1 = 0, irq1 = 0;
	unsigned long msgs = 0;
	bool ok0 = true, ok1 = true;
	double v;

	if (notif) {
		mark(o, "stream64-start");
		ok0 = guest_notes(&db0, &irq0);
	}
	v = rate_measure(c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
	if (notif) {
		ok1 = guest_notes(&db1, &irq1);
		mark(o, "stream64-end");
	}
	if (v < 0)
		return -1;
	res->stream_small = v;
	figure("chat_rate_64B", suffix, v, "msg/s");
	if (notif) {
		if (!ok0 || !ok1) {
			bench_err("cannot read " VMMGMT_GUEST_SYSFS "/doorbells or interrupts");
			return -1;
		}
		printf("INFO chat stream 64 B, window %u: %lu messages echoed, ",
		       STREAM_WINDOW, msgs);
		printf("%llu doorbells, %llu interrupts\n", db1 - db0,
		       irq1 - irq0);
		figure("chat_notifications_per_msg", suffix,
		       (double)(db1 - db0 + irq1 - irq0) / msgs, "notif/msg");
		figure("chat_doorbells_per_msg", suffix,
		       (double)(db1 - db0) / msgs, "doorbell/msg");
		figure("chat_interrupts_per_msg", suffix,
		       (double)(irq1 - irq0) / msgs, "irq/msg");
	}
	v = rate_measure(c, large, STREAM_WINDOW_LARGE, o->large_msgs, o,
			 &msgs);
	if (v < 0)
		return -1;
	res->stream_tput = v * large;
	figure("chat_tput_64KiB", suffix, v * large / 1e6, "MB/s");
	return 0;
}

/*
 * All figures of one transport; suffix names it ("", "_vsock", ...).
 * With notif, also the guest's notifications per message of the 64 B run;
 * with stream, also the chat_ figures (measure_stream()).
 */
static int measure(const struct conn *c, const char *suffix, size_t large,
		   bool notif, bool stream, const struct opts *o,
		   struct results *res)
{
	long long n0 = 0, n1 = 0;
	unsigned long msgs = 0;
	char name[64];
	double v;

	printf("INFO %s%s: %s, 64 KiB runs with %zu-byte messages\n",
	       "transport", suffix, kind_names[c->kind], large);
	fflush(stdout);
	memset(res, 0, sizeof(*res));
	res->large = large;
	if (notif) {
		mark(o, "rate64-start");
		n0 = notifications();
	}
	v = rate_measure(c, SMALL, 64, o->msgs, o, &msgs);
	if (notif) {
		n1 = notifications();
		mark(o, "rate64-end");
	}
	if (v < 0)
		return -1;
	res->rate_small = v;
	figure("echo_rate_64B", suffix, v, "msg/s");
	if (notif) {
		if (n0 < 0 || n1 < 0) {
			bench_err("cannot read " VMMGMT_GUEST_SYSFS "/doorbells or interrupts");
			return -1;
		}
		printf("INFO guest notifications during the 64 B run: %lld for %lu messages\n",
		       n1 - n0, msgs);
		snprintf(name, sizeof(name), "echo_notifications_per_msg");
		figure(name, suffix, (double)(n1 - n0) / msgs, "notif/msg");
	}
	v = rate_measure(c, large, 4, o->large_msgs, o, &msgs);
	if (v < 0)
		return -1;
	res->rate_large = v;
	res->tput_large = v * large;
	figure("echo_rate_64KiB", suffix, v, "msg/s");
	if (rtt_measure(c, suffix, o, &res->p50, &res->p99))
		return -1;
	figure("echo_rtt_p50_64B", suffix, res->p50, "us");
	figure("echo_rtt_p99_64B", suffix, res->p99, "us");
	/* Ping-pong: the round trip of one message at a time. */
	figure("chat_rtt_p50_64B", suffix, res->p50, "us");
	if (stream && measure_stream(c, suffix, large, notif, o, res))
		return -1;
	res->ok = true;
	return 0;
}

static int vsock_connect(struct conn *c, const struct opts *o)
{
	int err;

	err = open_vsock(c, K_SEQPACKET, o->cid, o->vsock_port);
	if (!err)
		return 0;
	printf("INFO vsock SOCK_SEQPACKET to %u:%u: %s; trying SOCK_STREAM on port %u\n",
	       o->cid, o->vsock_port, strerror(-err), o->vsock_port + 1);
	err = open_vsock(c, K_STREAM, o->cid, o->vsock_port + 1);
	if (err)
		bench_err("vsock connect to %u:%u: %s", o->cid,
			  o->vsock_port + 1, strerror(-err));
	return err;
}

/* Figures of a (named with suffix) divided by those of vsock. */
static void ratios(const struct results *a, const char *suffix,
		   const struct results *vsock)
{
	char name[64];

	snprintf(name, sizeof(name), "echo_rate_64B%s_vs_vsock", suffix);
	figure(name, "", a->rate_small / vsock->rate_small, "x");
	snprintf(name, sizeof(name), "echo_rtt_p50_64B%s_vs_vsock", suffix);
	figure(name, "", a->p50 / vsock->p50, "x");
	snprintf(name, sizeof(name), "echo_tput_64KiB%s_vs_vsock", suffix);
	figure(name, "", a->tput_large / vsock->tput_large, "x");
}

int guest_main(const struct opts *o)
{
	struct results vm = { 0 }, vs = { 0 }, hu = { 0 };
	unsigned long long max = 0;
	size_t large = LARGE;
	struct conn c;
	int fails = 0, err;

	/*
	 * A lost answer would block a read() for good: the whole run is
	 * bounded (each run stops after o->seconds, the round trips after
	 * twice that).
	 */
	alarm(10 * o->seconds + 120);
	if (read_counter("max_msg_size", &max) || !max) {
		bench_err("no vmmgmt link (" VMMGMT_GUEST_SYSFS "/max_msg_size)");
		return 1;
	}
	if (max < large)
		large = max;

	err = open_vmmgmt(&c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(VMMGMT_GUEST_DEV ": %s", strerror(-err));
		return 1;
	}
	fails += measure(&c, "", large, true, true, o, &vm) != 0;
	close(c.fd);

	if (o->host_port) {
		/*
		 * The same through a userspace endpoint on the host
		 * (vmmgmt-bench host-echo-server).
		 */
		err = open_vmmgmt(&c, o->host_port);
		if (err) {
			bench_err(VMMGMT_GUEST_DEV ": %s", strerror(-err));
			fails++;
		} else {
			fails += measure(&c, "_hostuser", large, false, false,
					 o, &hu) != 0;
			close(c.fd);
		}
	}

	if (o->cid) {
		if (vsock_connect(&c, o)) {
			fails++;
		} else {
			fails += measure(&c, "_vsock", LARGE, false, true, o,
					 &vs) != 0;
			close(c.fd);
		}
	}

	if (vm.ok && vs.ok) {
		ratios(&vm, "", &vs);
		figure("chat_rate_64B_vs_vsock", "",
		       vm.stream_small / vs.stream_small, "x");
		figure("chat_rtt_p50_64B_vs_vsock", "", vm.p50 / vs.p50, "x");
		figure("chat_tput_64KiB_vs_vsock", "",
		       vm.stream_tput / vs.stream_tput, "x");
	}
	if (hu.ok && vs.ok)
		ratios(&hu, "_hostuser", &vs);
	if (o->smoke && vm.ok &&
	    !(vm.rate_small > 0 && vm.rate_large > 0 && vm.p50 > 0 &&
	      vm.p99 >= vm.p50 && vm.stream_small > 0 && vm.stream_tput > 0)) {
		bench_err("smoke: implausible figures");
		fails++;
	}
	return fails ? 1 : 0;
}
