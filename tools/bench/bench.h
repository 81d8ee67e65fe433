/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt-bench: echo figures of the vmmgmt channel, and of virtio-vsock in
 * the same VMs for comparison.
 *
 * In a guest, "vmmgmt-bench guest" measures, against the host module's
 * echo service (0, 0, VMMGMT_PORT_ECHO) through /dev/vmmgmt and against a
 * vsock echo server in the host VM ("vmmgmt-bench vsock-echo-server"):
 * the sustained echo rate of 64 B and 64 KiB messages with a window of
 * messages in flight (one writer and one reader thread), the round trip
 * time of 64 B messages one at a time (median and 99th percentile), and
 * for vmmgmt the guest's doorbells and interrupts per echoed message; then
 * the chat_ figures, the same echo streamed with a deep window (the rate,
 * the throughput, and the doorbells and interrupts per message under that
 * sustained load).
 * Every figure is one line "FIGURE <name> <value> <unit>" on stdout.
 * "vmmgmt-bench smoke" runs the vmmgmt part with a few hundred messages
 * and checks that every figure came out, for the test runs.
 *
 * Documentation/testing.rst ("Benchmarks") explains the figures.
 *
 * The files; each calls only files below it in this list:
 *   main.c       the command line: options, the command table, usage
 *   guest.c      guest, smoke: every echo figure of one guest
 *   flood.c      flood, victim: the chat_flood_ rounds the host drives
 *   vm2vm.c      vm2vm, vm2vm-echo, vsock-relay: guest to guest
 *   stream.c     stream, stream-server: the stream_tput_ figures
 *   server.c     vsock-echo-server, host-echo-server (host VM)
 *   measure.c    echo rate and round trips on one connection; FIGURE lines
 *   transport.c  one message per send and receive: vmmgmt, vsock
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
#define STREAM_SECONDS		10
#define STREAM_ROUNDS		3

#define bench_err(fmt, ...) \
	fprintf(stderr, "vmmgmt-bench: " fmt "\n", ##__VA_ARGS__)

struct opts {
	double seconds;		/* length of each rate run */
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

enum transport { K_VMMGMT, K_SEQPACKET, K_STREAM };

extern const char * const kind_names[];

struct conn {
	int fd;
	enum transport kind;
};

int msg_send(const struct conn *c, const void *buf, size_t len);
ssize_t msg_recv(const struct conn *c, void *buf, size_t cap);
int open_vmmgmt_to(struct conn *c, unsigned int vm, unsigned int port);
int open_vmmgmt(struct conn *c, unsigned int port);
int open_vsock(struct conn *c, enum transport kind, unsigned int cid,
	       unsigned int port);

/* measure.c: measurements on one connection, FIGURE lines */

extern bool flood_stop;
double rate_measure(const struct conn *c, size_t len, unsigned int window,
		    unsigned long max_msgs, const struct opts *o,
		    unsigned long *msgs);
int rtt_measure(const struct conn *c, const char *suffix,
		const struct opts *o, double *p50, double *p99);
void figure(const char *name, const char *suffix, double value,
	    const char *unit);

/* stream.c: byte streams, vmmgmt (ABI 0.7) and vsock SOCK_STREAM */

enum stream_kind { S_VMMGMT_GUEST, S_VMMGMT_HOST, S_VSOCK };

int stream_server_start(unsigned int port, unsigned int vport);
int stream_rounds(const char *base, const char *vs_suffix, unsigned int vm,
		  unsigned int port, unsigned int cid, unsigned int vport,
		  bool to_us);

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

#endif /* VMMGMT_BENCH_H */
