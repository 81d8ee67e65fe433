/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt-bench: echo figures of the vmmgmt channel, and of virtio-vsock in
 * the same VMs for comparison.
 *
 * In a guest, "vmmgmt-bench guest" measures through /dev/vmmgmt against
 * a userspace endpoint in the host VM ("vmmgmt-bench host-echo-server"
 * on /dev/vmmgmt-host: the _hostuser figures, the headline's vmmgmt
 * side), against the host module's in-kernel echo service (0, 0,
 * VMMGMT_PORT_ECHO: the figures without suffix, secondary) and against a
 * userspace vsock echo server in the host VM ("vmmgmt-bench
 * vsock-echo-server": _vsock): the sustained echo rate of 64 B and 64 KiB
 * messages with a window of messages in flight (one writer and one reader
 * thread), the round trip time of 64 B messages one at a time (median and
 * 99th percentile), the chat_ figures (the same echo streamed with a deep
 * window: rate and throughput) and their cost (host plus guest CPU time
 * per message, notifications per message).  "vmmgmt-bench h2g" in the
 * host VM measures the chat_ figures the other way, host to guest.
 * Every figure is the median of --rounds rounds, one line
 * "FIGURE <name> <median> <unit> min=<v> max=<v>" on stdout.
 * "vmmgmt-bench smoke" runs the kernel echo part with a few hundred
 * messages, one round, and checks that every figure came out, for the
 * test runs.  "vmmgmt-bench stream", "file" and "service" in a guest
 * measure byte streams, a file put (against the same file over vsock,
 * to the host VM's "vmmgmt-bench stream-server") and host service calls.
 *
 * Documentation/testing.rst ("Benchmarks") explains the figures.
 *
 * The files; each calls only files below it in this list:
 *   main.c       the command line: options, the command table, usage
 *   guest.c      guest, smoke: every echo figure of one guest
 *   flood.c      flood, victim: the chat_flood_ rounds the host drives
 *   vm2vm.c      vm2vm, vm2vm-echo, vsock-relay: guest to guest
 *   stream.c     stream, stream-server: the stream_tput_ figures; the
 *                server's "file" command is file.c's
 *   file.c       file: file_tput_g2h_vs_vsock, vmmgmtctl file put
 *                against vsock; stream-server's file receiver
 *   service.c    service: service_rtt_p50_ms, vmmgmtctl call
 *   h2g.c        h2g (host VM): the chat_*_h2g figures
 *   server.c     vsock-echo-server, host-echo-server (host VM)
 *   measure.c    echo rate and round trips on one connection
 *   transport.c  one message per send and receive: vmmgmt (guest or host
 *                side), vsock
 *   stats.c      median and spread of rounds, FIGURE lines, /proc/stat
 *                and /proc/interrupts parsing (libc only)
 */
#ifndef VMMGMT_BENCH_H
#define VMMGMT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmmgmt.h"
#include "vmmgmt_user.h"

#define VSOCK_PORT_DEFAULT	7007	/* SOCK_SEQPACKET; STREAM on +1 */
#define SMALL			64
#define LARGE			(64 * 1024)
/* Messages in flight in the streamed (chat_) runs. */
#define STREAM_WINDOW		256
#define STREAM_WINDOW_LARGE	16
#define EXIT_USAGE		2
/* host-echo-server: the host module has no endpoint API (yet). */
#define EXIT_UNSUPPORTED	3

/* vm2vm (vm2vm.c): B's vmmgmt port, the relay's vsock port, the end. */
#define VM2VM_PORT		4200
#define VM2VM_RELAY_PORT	7100
#define VM2VM_END		"END"

/*
 * stream (stream.c): the host VM's stream-server listens for vmmgmt
 * streams on host port STREAM_BENCH_PORT and for vsock SOCK_STREAM on
 * the same vsock port; for vm2vm guest B's on VM2VM_PORT + 1 and vsock
 * port + 1, reached through the relay's vsock port + 1.
 */
#define STREAM_BENCH_PORT	7200
#define STREAM_SECONDS		5

/*
 * Rounds of every figure (--rounds; default VMMGMT_BENCH_ROUNDS from the
 * environment, else BENCH_ROUNDS_DEFAULT), at most BENCH_ROUNDS_MAX.
 */
#define BENCH_ROUNDS_DEFAULT	3
#define BENCH_ROUNDS_MAX	15
/* Seconds of each rate round (--seconds). */
#define BENCH_SECONDS_DEFAULT	2

/*
 * host-echo-server answers a message that starts with CPU_QUERY (on any
 * connection) with the first line of its /proc/stat, NUL-terminated: the
 * host VM's CPU time around a guest's round (chat_cpu_per_msg).  No
 * message of a measurement starts so (their first 8 bytes are a small
 * sequence number).
 */
#define CPU_QUERY		"VMMGMT-CPU?"
/* h2g: the guest's echo (vm2vm-echo) for the host's h2g runs. */
#define H2G_PORT		4300

/* file, service: the guest's vmmgmtctl, unless VMMGMTCTL names another. */
#define VMMGMTCTL_DEFAULT	"/opt/vmmgmt/bin/vmmgmtctl"

#define bench_err(fmt, ...) \
	fprintf(stderr, "vmmgmt-bench: " fmt "\n", ##__VA_ARGS__)

struct opts {
	double seconds;		/* length of each rate run */
	unsigned int rounds;	/* rounds of every figure */
	unsigned long msgs;	/* cap on messages of each 64 B rate run */
	unsigned long large_msgs; /* the same for the 64 KiB run */
	unsigned long samples;	/* round trips for the percentiles */
	unsigned int cid;	/* vsock peer; 0: no vsock runs */
	unsigned int vsock_port;
	bool vsock_port_set;	/* --vsock-port given */
	unsigned int host_port;	/* host endpoint port; 0: no such run */
	unsigned int ctl_port;	/* flood, victim: port the host commands */
	unsigned int peer_vm;	/* vm2vm: the other guest's VM id */
	unsigned int peer_port;	/* vm2vm, vm2vm-echo: its vmmgmt port */
	unsigned int relay_cid;	/* vsock-relay: where to */
	unsigned int relay_port;
	bool marks;		/* print BENCH-MARK lines, pause after each */
	bool smoke;
};

/* transport.c: one message per send and receive */

enum transport { K_VMMGMT, K_SEQPACKET, K_STREAM, K_VMMGMT_HOST };

extern const char * const kind_names[];

struct conn {
	int fd;
	enum transport kind;
	struct vmmgmt_addr dst;	/* K_VMMGMT_HOST: where each record goes */
};

int msg_send(const struct conn *c, const void *buf, size_t len);
ssize_t msg_recv(const struct conn *c, void *buf, size_t cap);
int open_vmmgmt_to(struct conn *c, unsigned int vm, unsigned int port);
int open_vmmgmt(struct conn *c, unsigned int port);
int open_vmmgmt_host(struct conn *c, unsigned int vm, unsigned int port);
int open_vsock(struct conn *c, enum transport kind, unsigned int cid,
	       unsigned int port);

/* measure.c: measurements on one connection, FIGURE lines */

extern bool flood_stop;
double rate_measure(const struct conn *c, size_t len, unsigned int window,
		    unsigned long max_msgs, const struct opts *o,
		    unsigned long *msgs);
int rtt_measure(const struct conn *c, const char *suffix,
		unsigned long samples, double seconds, double *p50,
		double *p99);

/* stats.c: rounds, FIGURE lines, CPU and interrupt counters */

/* A figure over its rounds: the median (see spread_of()), min and max. */
struct spread {
	double med, min, max;
};

/* CPU time of one system in clock ticks (USER_HZ): cpu_ticks_parse(). */
struct cpu_ticks {
	unsigned long long busy;	/* its own work, not its guests' */
	unsigned long long guest;	/* running its KVM guests */
};

void spread_of(const double *v, unsigned int n, struct spread *s);
void ratio_of(const double *a, const double *b, unsigned int n,
	      struct spread *s);
void figure(const char *name, const char *suffix, double value,
	    const char *unit);
void figure_spread(const char *name, const char *suffix, const double *v,
		   unsigned int n, const char *unit);
void figure_ratio(const char *name, const char *suffix, const double *a,
		  const double *b, unsigned int n);
int cpu_ticks_parse(const char *text, struct cpu_ticks *t);
long long irq_count_parse(const char *text, const char *dev);
char *read_text_file(const char *path);
int cpu_ticks_now(struct cpu_ticks *t);

/* stream.c: byte streams, vmmgmt (ABI 0.7) and vsock SOCK_STREAM */

enum stream_kind { S_VMMGMT_GUEST, S_VMMGMT_HOST, S_VSOCK };

int stream_server_start(unsigned int port, unsigned int vport);
int stream_rounds(const char *base, const char *vs_suffix, unsigned int vm,
		  unsigned int port, unsigned int cid, unsigned int vport,
		  bool to_us, unsigned int rounds);

/* file.c: a file guest to host, vmmgmtctl file put against vsock */

/*
 * The file's size: the 512 MiB do not fit in a guest's /tmp
 * (tmpfs, half of its 256 MiB), and vmmgmtctl file put sends only a
 * regular file.
 */
#define FILE_BENCH_MIB		64

int file_recv_serve(int fd, unsigned long long bytes, long long *got);

/* server.c: echo servers in the host VM; its vsock listener */

/* A listening or accepted vsock socket and its kind. */
struct server_conn {
	int fd;
	enum transport kind;
};

int vsock_listen(enum transport kind, unsigned int port);
void *vsock_listener(void *arg);
int vsock_server_main(const struct opts *o);
int host_server_main(const struct opts *o);

/* the commands, each its file's */
int guest_main(const struct opts *o);
int flood_main(const struct opts *o);
int victim_main(const struct opts *o);
int vm2vm_main(const struct opts *o);
int vm2vm_echo_main(const struct opts *o);
int vsock_relay_main(const struct opts *o);
int stream_main(const struct opts *o);
int stream_server_main(const struct opts *o);
int h2g_main(const struct opts *o);
int service_main(const struct opts *o);
int file_main(const struct opts *o);

#endif /* VMMGMT_BENCH_H */
