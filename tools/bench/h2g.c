// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench h2g, in the host VM: the host-to-guest chat figures
 * (chat_*_h2g), the mirror of the guest's headline runs.  A userspace
 * program here (this one, a /dev/vmmgmt-host endpoint) sends to a
 * userspace echo in the guest (vmmgmt-bench vm2vm-echo on --peer-port of
 * VM --peer-vm), against the same over vsock (SOCK_SEQPACKET to the
 * guest's CID --vsock-cid, port --vsock-port, where vm2vm-echo answers
 * too): the 64 B chat rate (STREAM_WINDOW in flight), the ping-pong round
 * trip and the 64 KiB chat throughput, in --rounds rounds alternating the
 * transports.  Ends the guest's echo with VM2VM_END whatever happened.
 * Calls transport.c, measure.c, stats.c and libc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

enum { H_VMMGMT, H_VSOCK, H_COUNT };

static const char * const h_suffix[H_COUNT] = {
	[H_VMMGMT] = "_hostuser", [H_VSOCK] = "_vsock",
};

struct h2g_rounds {
	struct conn c;
	size_t large;
	bool ok;
	double rate[BENCH_ROUNDS_MAX], p50[BENCH_ROUNDS_MAX];
	double tput[BENCH_ROUNDS_MAX];
};

/*
 * The largest message up to LARGE the guest's ring carries: the host
 * refuses a bigger one at once with EMSGSIZE (its max_msg_size), so
 * halve until one goes through and its echo comes back.  0 on error.
 */
static size_t probe_large(const struct conn *c)
{
	static unsigned char buf[LARGE + 1];
	size_t len;
	ssize_t n;
	int err;

	for (len = LARGE; len >= SMALL; len /= 2) {
		memset(buf, 0xff, 8);	/* not a sequence number of a run */
		err = msg_send(c, buf, len);
		if (err == -EMSGSIZE)
			continue;
		if (err)
			break;
		n = msg_recv(c, buf, sizeof(buf));
		return n == (ssize_t)len ? len : 0;
	}
	bench_err("h2g: no message size up to %d goes to the guest", LARGE);
	return 0;
}

/* Round @r of one transport (named @s): every run once; 0 or -1. */
static int h2g_round(struct h2g_rounds *h, const char *s, unsigned int r,
		     const struct opts *o)
{
	unsigned long msgs = 0, samples;
	double v, p99;

	v = rate_measure(&h->c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
	if (v < 0)
		return -1;
	h->rate[r] = v;
	samples = o->samples / o->rounds;
	if (samples < 100)
		samples = 100;
	if (rtt_measure(&h->c, "_h2g", samples, 2 * o->seconds, &h->p50[r],
			&p99))
		return -1;
	v = rate_measure(&h->c, h->large, STREAM_WINDOW_LARGE, o->large_msgs,
			 o, &msgs);
	if (v < 0)
		return -1;
	h->tput[r] = v * h->large / 1e6;
	printf("INFO h2g%s round %u: %.0f msg/s of 64 B, p50 %.1f us, ", s,
	       r + 1, h->rate[r], h->p50[r]);
	printf("%.1f MB/s of %zu-byte messages\n", h->tput[r], h->large);
	return 0;
}

static void h2g_report(const struct h2g_rounds *h, const char *s,
		       unsigned int n)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_h2g", s);
	figure_spread("chat_rate_64B", name, h->rate, n, "msg/s");
	figure_spread("chat_rtt_p50_64B", name, h->p50, n, "us");
	figure_spread("chat_tput_64KiB", name, h->tput, n, "MB/s");
}

int h2g_main(const struct opts *o)
{
	static struct h2g_rounds h[H_COUNT];
	unsigned int r, n = o->rounds;
	struct conn end;
	int fails = 0, err, t;

	alarm(n * H_COUNT * (4 * o->seconds + 10) + 120);
	err = open_vmmgmt_host(&h[H_VMMGMT].c, o->peer_vm, o->peer_port);
	if (err) {
		bench_err(VMMGMT_HOST_DEV ": %s", strerror(-err));
		h[H_VMMGMT].c.fd = -1;
	} else {
		h[H_VMMGMT].large = probe_large(&h[H_VMMGMT].c);
	}
	h[H_VMMGMT].ok = h[H_VMMGMT].large > 0;
	err = open_vsock(&h[H_VSOCK].c, K_SEQPACKET, o->cid, o->vsock_port);
	if (err) {
		bench_err("vsock to %u:%u: %s", o->cid, o->vsock_port,
			  strerror(-err));
		h[H_VSOCK].c.fd = -1;
	}
	h[H_VSOCK].large = LARGE;
	h[H_VSOCK].ok = !err;
	printf("INFO h2g: vmmgmt host endpoint to VM %u port %u (large: %zu bytes), ",
	       o->peer_vm, o->peer_port, h[H_VMMGMT].large);
	printf("vsock SOCK_SEQPACKET to %u:%u; %u rounds of %.1f s\n", o->cid,
	       o->vsock_port, n, o->seconds);
	fflush(stdout);
	for (r = 0; r < n; r++)
		for (t = 0; t < H_COUNT; t++)
			if (h[t].ok && h2g_round(&h[t], h_suffix[t], r, o)) {
				h[t].ok = false;
				fails++;
			}
	for (t = 0; t < H_COUNT; t++)
		if (h[t].ok)
			h2g_report(&h[t], h_suffix[t], n);
	if (h[H_VMMGMT].ok && h[H_VSOCK].ok) {
		figure_ratio("chat_rate_64B_hostuser_vs_vsock_h2g", "",
			     h[H_VMMGMT].rate, h[H_VSOCK].rate, n);
		figure_ratio("chat_rtt_p50_64B_hostuser_vs_vsock_h2g", "",
			     h[H_VMMGMT].p50, h[H_VSOCK].p50, n);
		figure_ratio("chat_tput_64KiB_hostuser_vs_vsock_h2g", "",
			     h[H_VMMGMT].tput, h[H_VSOCK].tput, n);
	}
	for (t = 0; t < H_COUNT; t++)
		if (h[t].c.fd >= 0)
			close(h[t].c.fd);
	/* The guest's echo ends here, on a file of its own. */
	err = open_vmmgmt_host(&end, o->peer_vm, o->peer_port);
	if (!err) {
		err = msg_send(&end, VM2VM_END, sizeof(VM2VM_END) - 1);
		close(end.fd);
	}
	if (err) {
		bench_err("h2g: end message to VM %u: %s", o->peer_vm,
			  strerror(-err));
		fails++;
	}
	return fails || !h[H_VMMGMT].ok || !h[H_VSOCK].ok ? 1 : 0;
}
