// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench guest and smoke: every guest-to-host echo figure of one
 * guest, in --rounds rounds, against the host module's in-kernel echo
 * service, a host userspace endpoint (--host-port, the headline's
 * vmmgmt side) and a vsock echo server (--vsock-cid); with the cost of
 * the 64 B chat runs (host plus guest CPU time per message, the guest's
 * notifications per message) and the ratios to vsock.  Calls
 * transport.c, measure.c, stats.c and libc.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* The guest's transports, measured one after the other in each round. */
enum { T_KERNEL, T_HOSTUSER, T_VSOCK, T_COUNT };

/* A transport's figures are named with its suffix. */
static const char * const t_suffix[T_COUNT] = {
	[T_KERNEL] = "", [T_HOSTUSER] = "_hostuser", [T_VSOCK] = "_vsock",
};

/* One transport's measurements, round by round. */
struct rounds {
	struct conn c;
	bool used;		/* connected: measured in every round */
	bool ok;		/* every run of every round worked */
	size_t large;		/* size of its "64 KiB" messages */
	double rate_small[BENCH_ROUNDS_MAX], rate_large[BENCH_ROUNDS_MAX];
	double tput_large[BENCH_ROUNDS_MAX];
	double p50[BENCH_ROUNDS_MAX], p99[BENCH_ROUNDS_MAX];
	double echo_notif[BENCH_ROUNDS_MAX];	/* T_KERNEL */
	/* the chat_ (streamed) runs */
	double chat_small[BENCH_ROUNDS_MAX], chat_tput[BENCH_ROUNDS_MAX];
	double chat_db[BENCH_ROUNDS_MAX], chat_irq[BENCH_ROUNDS_MAX];
	double cpu[BENCH_ROUNDS_MAX];		/* µs of CPU per message */
};

/* What every round shares: the CPU query connection, vsock's device. */
struct bench_ctx {
	struct conn query;	/* to host-echo-server; fd -1: no CPU figures */
	char vsock_dev[256];	/* "virtioN": vsock's, in /proc/interrupts */
	long clk_tck;
};

/* A counter of the guest module's sysfs directory; 0 or -errno. */
static int read_counter(const char *name, unsigned long long *val)
{
	return vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, name, val);
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

/* The transport's notification counters now: vmmgmt's sysfs, vsock's IRQs. */
struct notes {
	unsigned long long db, irq;
	bool ok;
};

static void notes_now(const struct bench_ctx *x, int t, struct notes *n)
{
	long long irq;
	char *text;

	n->db = 0;
	n->irq = 0;
	if (t != T_VSOCK) {
		n->ok = !read_counter("doorbells", &n->db) &&
			!read_counter("interrupts", &n->irq);
		return;
	}
	text = x->vsock_dev[0] ? read_text_file("/proc/interrupts") : NULL;
	irq = text ? irq_count_parse(text, x->vsock_dev) : -1;
	free(text);
	n->ok = irq >= 0;
	n->irq = irq >= 0 ? irq : 0;
}

/*
 * The virtio device vsock's driver is bound to ("virtioN", the name its
 * vectors carry in /proc/interrupts) into @dev, or "" when none is.
 */
static void find_vsock_dev(char *dev, size_t cap)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/vmw_vsock_virtio_transport");
	struct dirent *e;

	dev[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6)) {
			snprintf(dev, cap, "%s", e->d_name);
			break;
		}
	closedir(d);
}

/* The host VM's CPU ticks, from host-echo-server (CPU_QUERY); 0 or -1. */
static int host_cpu(const struct bench_ctx *x, struct cpu_ticks *t)
{
	char buf[512];
	ssize_t n;

	if (x->query.fd < 0 ||
	    msg_send(&x->query, CPU_QUERY, sizeof(CPU_QUERY) - 1))
		return -1;
	n = msg_recv(&x->query, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return cpu_ticks_parse(buf, t) ? -1 : 0;
}

/* Both systems' CPU ticks: the guest's own and the host VM's. */
struct cpu_pair {
	struct cpu_ticks guest, host;
	bool ok;
};

static void cpu_now(const struct bench_ctx *x, struct cpu_pair *p)
{
	p->ok = !host_cpu(x, &p->host) && !cpu_ticks_now(&p->guest);
}

/*
 * The 64 B chat run of round @r (STREAM_WINDOW in flight) with its cost:
 * the host's and the guest's CPU time per message (their /proc/stat
 * around the run, the host's through host-echo-server) and the
 * transport's notifications per message.  0, or -1 after a message.
 */
static int chat_small_round(struct rounds *tr, int t, unsigned int r,
			    const struct bench_ctx *x, const struct opts *o)
{
	struct cpu_pair c0, c1;
	struct notes n0, n1;
	unsigned long msgs = 0;
	double v, g = 0, h = 0;

	if (t == T_KERNEL)
		mark(o, "stream64-start");
	cpu_now(x, &c0);
	notes_now(x, t, &n0);
	v = rate_measure(&tr->c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
	notes_now(x, t, &n1);
	cpu_now(x, &c1);
	if (t == T_KERNEL)
		mark(o, "stream64-end");
	if (v < 0)
		return -1;
	tr->chat_small[r] = v;
	/* vsock's device not found: only its interrupt figure is missing. */
	if ((!n0.ok || !n1.ok) && t != T_VSOCK) {
		bench_err("cannot read " VMMGMT_GUEST_SYSFS "/doorbells or interrupts");
		return -1;
	}
	tr->chat_db[r] = (double)(n1.db - n0.db) / msgs;
	tr->chat_irq[r] = n0.ok && n1.ok ? (double)(n1.irq - n0.irq) / msgs : -1;
	tr->cpu[r] = -1;
	if (c0.ok && c1.ok) {
		g = c1.guest.busy - c0.guest.busy;
		h = c1.host.busy - c0.host.busy;
		tr->cpu[r] = (g + h) * 1e6 / x->clk_tck / msgs;
	}
	printf("INFO chat%s round %u: %lu messages of 64 B, %u in flight, %.0f msg/s; ",
	       t_suffix[t], r + 1, msgs, STREAM_WINDOW, v);
	if (c0.ok && c1.ok)
		printf("CPU ticks: guest %.0f, host VM %.0f (and %llu running guests); ",
		       g, h, c1.host.guest - c0.host.guest);
	else
		printf("CPU not read; ");
	printf("%llu doorbells, %llu interrupts\n", n1.db - n0.db,
	       n1.irq - n0.irq);
	fflush(stdout);
	return 0;
}

/* Round @r of transport @t: every run once.  0, or -1 after a message. */
static int measure_round(struct rounds *tr, int t, unsigned int r,
			 const struct bench_ctx *x, const struct opts *o)
{
	unsigned long msgs = 0, samples;
	long long n0 = 0, n1 = 0;
	struct notes a, b;
	double v;

	if (t == T_KERNEL) {
		mark(o, "rate64-start");
		notes_now(x, t, &a);
	}
	v = rate_measure(&tr->c, SMALL, 64, o->msgs, o, &msgs);
	if (t == T_KERNEL) {
		notes_now(x, t, &b);
		mark(o, "rate64-end");
		if (!a.ok || !b.ok) {
			bench_err("cannot read " VMMGMT_GUEST_SYSFS "/doorbells or interrupts");
			return -1;
		}
		n0 = a.db + a.irq;
		n1 = b.db + b.irq;
	}
	if (v < 0)
		return -1;
	tr->rate_small[r] = v;
	if (t == T_KERNEL) {
		printf("INFO guest notifications during the 64 B run, round %u: ",
		       r + 1);
		printf("%lld for %lu messages\n", n1 - n0, msgs);
		tr->echo_notif[r] = (double)(n1 - n0) / msgs;
	}
	v = rate_measure(&tr->c, tr->large, 4, o->large_msgs, o, &msgs);
	if (v < 0)
		return -1;
	tr->rate_large[r] = v;
	tr->tput_large[r] = v * tr->large;
	/* Each round takes its share of the samples, at least 100. */
	samples = o->samples / o->rounds;
	if (samples < 100)
		samples = o->samples < 100 ? o->samples : 100;
	if (rtt_measure(&tr->c, t_suffix[t], samples, 2 * o->seconds,
			&tr->p50[r], &tr->p99[r]))
		return -1;
	if (chat_small_round(tr, t, r, x, o))
		return -1;
	v = rate_measure(&tr->c, tr->large, STREAM_WINDOW_LARGE,
			 o->large_msgs, o, &msgs);
	if (v < 0)
		return -1;
	tr->chat_tput[r] = v * tr->large;
	return 0;
}

/* Whether every value of @v (n rounds) is a measurement (>= 0). */
static bool all_measured(const double *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v[i] < 0)
			return false;
	return true;
}

/* The MB/s of @n rounds of bytes per second. */
static void to_mb(const double *bps, double *mb, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		mb[i] = bps[i] / 1e6;
}

/* The figures of one transport over its rounds. */
static void report(const struct rounds *tr, int t, unsigned int n)
{
	const char *s = t_suffix[t];
	double v[BENCH_ROUNDS_MAX];
	unsigned int i;

	figure_spread("echo_rate_64B", s, tr->rate_small, n, "msg/s");
	figure_spread("echo_rate_64KiB", s, tr->rate_large, n, "msg/s");
	figure_spread("echo_rtt_p50_64B", s, tr->p50, n, "us");
	figure_spread("echo_rtt_p99_64B", s, tr->p99, n, "us");
	/* Ping-pong: the round trip of one message at a time. */
	figure_spread("chat_rtt_p50_64B", s, tr->p50, n, "us");
	figure_spread("chat_rate_64B", s, tr->chat_small, n, "msg/s");
	to_mb(tr->chat_tput, v, n);
	figure_spread("chat_tput_64KiB", s, v, n, "MB/s");
	if (all_measured(tr->cpu, n))
		figure_spread("chat_cpu_per_msg", s, tr->cpu, n, "us/msg");
	if (t == T_KERNEL)
		figure_spread("echo_notifications_per_msg", s, tr->echo_notif,
			      n, "notif/msg");
	if (t != T_VSOCK) {
		for (i = 0; i < n; i++)
			v[i] = tr->chat_db[i] + tr->chat_irq[i];
		figure_spread("chat_notifications_per_msg", s, v, n,
			      "notif/msg");
		figure_spread("chat_doorbells_per_msg", s, tr->chat_db, n,
			      "doorbell/msg");
	}
	if (all_measured(tr->chat_irq, n))
		figure_spread("chat_interrupts_per_msg", s, tr->chat_irq, n,
			      "irq/msg");
}

/*
 * The ratios of vmmgmt transport @t to vsock, named with @vs: each the
 * ratio of the two medians, with the smallest and largest per-round
 * ratio as min= and max=.
 */
static void report_ratios(const struct rounds *a, const char *vs,
			  const struct rounds *b, unsigned int n)
{
	char name[96];

	snprintf(name, sizeof(name), "echo_rate_64B%s", vs);
	figure_ratio(name, "", a->rate_small, b->rate_small, n);
	snprintf(name, sizeof(name), "echo_rtt_p50_64B%s", vs);
	figure_ratio(name, "", a->p50, b->p50, n);
	snprintf(name, sizeof(name), "echo_tput_64KiB%s", vs);
	figure_ratio(name, "", a->tput_large, b->tput_large, n);
	snprintf(name, sizeof(name), "chat_rate_64B%s", vs);
	figure_ratio(name, "", a->chat_small, b->chat_small, n);
	snprintf(name, sizeof(name), "chat_rtt_p50_64B%s", vs);
	figure_ratio(name, "", a->p50, b->p50, n);
	snprintf(name, sizeof(name), "chat_tput_64KiB%s", vs);
	figure_ratio(name, "", a->chat_tput, b->chat_tput, n);
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

/*
 * Connect the transports the options ask for, and the CPU query
 * connection (to host-echo-server, beside the measured one).  Returns
 * the failures.
 */
static int connect_all(struct rounds *tr, struct bench_ctx *x,
		       size_t large, const struct opts *o)
{
	int fails = 0, err;

	err = open_vmmgmt(&tr[T_KERNEL].c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(VMMGMT_GUEST_DEV ": %s", strerror(-err));
		fails++;
	}
	tr[T_KERNEL].used = !err;
	tr[T_KERNEL].large = large;
	if (o->host_port) {
		err = open_vmmgmt(&tr[T_HOSTUSER].c, o->host_port);
		if (!err) {
			err = open_vmmgmt(&x->query, o->host_port);
			if (err)
				close(tr[T_HOSTUSER].c.fd);
		}
		if (err) {
			bench_err(VMMGMT_GUEST_DEV " to host port %u: %s",
				  o->host_port, strerror(-err));
			x->query.fd = -1;
			fails++;
		}
		tr[T_HOSTUSER].used = !err;
		tr[T_HOSTUSER].large = large;
	}
	if (o->cid) {
		err = vsock_connect(&tr[T_VSOCK].c, o);
		fails += err != 0;
		tr[T_VSOCK].used = !err;
		tr[T_VSOCK].large = LARGE;
		find_vsock_dev(x->vsock_dev, sizeof(x->vsock_dev));
		printf("INFO vsock's virtio device: %s\n",
		       x->vsock_dev[0] ? x->vsock_dev : "none found");
	}
	return fails;
}

int guest_main(const struct opts *o)
{
	static struct rounds tr[T_COUNT];
	struct bench_ctx x = { .query = { .fd = -1 } };
	unsigned long long max = 0;
	size_t large = LARGE;
	unsigned int r, n = o->rounds;
	int fails = 0, t;

	/*
	 * A lost answer would block a read() for good: the whole run is
	 * bounded (each run stops after o->seconds, the round trips after
	 * twice that; 8 s of marks per round).
	 */
	alarm(n * T_COUNT * (6 * o->seconds + 10) + 120);
	x.clk_tck = sysconf(_SC_CLK_TCK);
	if (x.clk_tck <= 0)
		x.clk_tck = 100;
	if (read_counter("max_msg_size", &max) || !max) {
		bench_err("no vmmgmt link (" VMMGMT_GUEST_SYSFS "/max_msg_size)");
		return 1;
	}
	if (max < large)
		large = max;
	fails += connect_all(tr, &x, large, o);
	for (t = 0; t < T_COUNT; t++) {
		tr[t].ok = tr[t].used;
		if (!tr[t].used)
			continue;
		printf("INFO transport%s: %s, 64 KiB runs with %zu-byte messages, ",
		       t_suffix[t], kind_names[tr[t].c.kind], tr[t].large);
		printf("%u rounds of %.1f s\n", n, o->seconds);
	}
	printf("INFO headline: userspace to userspace, the _hostuser figures (host-echo-server ");
	printf("on %s) against _vsock (vsock-echo-server); the figures without ", VMMGMT_HOST_DEV);
	printf("suffix and the _kernel_echo_vs_vsock ratios are the in-kernel echo: secondary, ");
	printf("not like for like\n");
	fflush(stdout);
	/* Rounds alternate the transports, so that drift hits all alike. */
	for (r = 0; r < n; r++)
		for (t = 0; t < T_COUNT; t++)
			if (tr[t].ok && measure_round(&tr[t], t, r, &x, o)) {
				tr[t].ok = false;
				fails++;
			}
	for (t = 0; t < T_COUNT; t++) {
		if (tr[t].ok)
			report(&tr[t], t, n);
		if (tr[t].used)
			close(tr[t].c.fd);
	}
	if (x.query.fd >= 0)
		close(x.query.fd);
	if (tr[T_VSOCK].ok) {
		if (tr[T_HOSTUSER].ok) {
			report_ratios(&tr[T_HOSTUSER], "_hostuser_vs_vsock",
				      &tr[T_VSOCK], n);
			if (all_measured(tr[T_HOSTUSER].cpu, n) &&
			    all_measured(tr[T_VSOCK].cpu, n))
				figure_ratio("chat_cpu_per_msg_vs_vsock", "",
					     tr[T_HOSTUSER].cpu,
					     tr[T_VSOCK].cpu, n);
		}
		if (tr[T_KERNEL].ok) {
			report_ratios(&tr[T_KERNEL], "_kernel_echo_vs_vsock",
				      &tr[T_VSOCK], n);
			if (all_measured(tr[T_KERNEL].cpu, n) &&
			    all_measured(tr[T_VSOCK].cpu, n))
				figure_ratio("chat_cpu_per_msg_kernel_echo_vs_vsock",
					     "", tr[T_KERNEL].cpu,
					     tr[T_VSOCK].cpu, n);
		}
	}
	if (o->smoke && tr[T_KERNEL].ok) {
		const struct rounds *k = &tr[T_KERNEL];

		if (!(k->rate_small[0] > 0 && k->rate_large[0] > 0 &&
		      k->p50[0] > 0 && k->p99[0] >= k->p50[0] &&
		      k->chat_small[0] > 0 && k->chat_tput[0] > 0)) {
			bench_err("smoke: implausible figures");
			fails++;
		}
	}
	return fails ? 1 : 0;
}
