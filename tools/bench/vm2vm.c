// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench vm2vm, vm2vm-echo and vsock-relay: the chat_vm2vm_ and
 * stream_tput_vm2vm_ figures, guest to guest through vmmgmt and, for
 * comparison, through a vsock relay in the host VM.  Calls transport.c,
 * measure.c, stream.c, server.c (the vsock listener), stats.c and libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/*
 * Guest A measures the 64 B chat stream (the chat_rate_64B run: echo with
 * STREAM_WINDOW messages in flight) against guest B instead of the host:
 *  - vmmgmt: A's /dev/vmmgmt file connected to (0, B, --peer-port), where
 *    "vmmgmt-bench vm2vm-echo" in B answers; the host module copies every
 *    message from one VM's ring into the other's (the policy must allow
 *    the pair);
 *  - vsock, its best effort: KVM's vsock does not go from guest to guest,
 *    so A connects to the host VM (CID 2, --vsock-port), where
 *    "vmmgmt-bench vsock-relay" connects on to B's vsock echo server and
 *    copies every message, each way, from one socket to the other.
 * Same framing (SOCK_SEQPACKET, one message per write), same run.  Then
 * the stream figures (stream.c): a vmmgmt stream from A to B's stream
 * server on --peer-port + 1, against vsock SOCK_STREAM through the relay
 * on --vsock-port + 1 to B's vsock port + 1.  When done, A sends
 * VM2VM_END to B's vmmgmt port, which ends vm2vm-echo.
 */

int vm2vm_main(const struct opts *o)
{
	double vm[BENCH_ROUNDS_MAX], vs[BENCH_ROUNDS_MAX];
	unsigned long msgs = 0;
	struct conn c, v;
	bool ok = true;
	unsigned int r;
	int err, stream_err;

	alarm(o->rounds * (4 * o->seconds + 2 * (STREAM_SECONDS + 30)) + 120);
	err = open_vmmgmt_to(&c, o->peer_vm, o->peer_port);
	if (err) {
		bench_err(VMMGMT_GUEST_DEV " to VM %u port %u: %s", o->peer_vm,
			  o->peer_port, strerror(-err));
		return 1;
	}
	printf("INFO vm2vm: vmmgmt to VM %u port %u, vsock through CID %u port %u; %u rounds\n",
	       o->peer_vm, o->peer_port, o->cid, o->vsock_port, o->rounds);
	fflush(stdout);
	err = open_vsock(&v, K_SEQPACKET, o->cid, o->vsock_port);
	if (err) {
		bench_err("vsock to the relay at %u:%u: %s", o->cid,
			  o->vsock_port, strerror(-err));
		ok = false;
	}
	/* Each round: vmmgmt, then the relay. */
	for (r = 0; ok && r < o->rounds; r++) {
		vm[r] = rate_measure(&c, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
		vs[r] = rate_measure(&v, SMALL, STREAM_WINDOW, o->msgs, o, &msgs);
		ok = vm[r] > 0 && vs[r] > 0;
	}
	close(c.fd);
	if (!err)
		close(v.fd);
	if (ok) {
		figure_spread("chat_vm2vm_rate_64B", "", vm, o->rounds, "msg/s");
		figure_spread("chat_vm2vm_rate_64B_vsock_relay", "", vs,
			      o->rounds, "msg/s");
		figure_ratio("chat_vm2vm_rate_64B_vs_vsock_relay", "", vm, vs,
			     o->rounds);
	}

	stream_err = stream_rounds("stream_tput_vm2vm", "_vs_vsock_relay",
				   o->peer_vm, o->peer_port + 1, o->cid,
				   o->vsock_port + 1, false, o->rounds);

	/* B's echo ends here, whatever the figures. */
	err = open_vmmgmt_to(&c, o->peer_vm, o->peer_port);
	if (!err) {
		err = msg_send(&c, VM2VM_END, sizeof(VM2VM_END) - 1);
		close(c.fd);
	}
	if (err)
		bench_err("end message to VM %u: %s", o->peer_vm, strerror(-err));
	return ok && !stream_err && !err ? 0 : 1;
}

/*
 * Guest B: echo on /dev/vmmgmt port --peer-port (answers go to the sender
 * of the message) and over vsock (vsock-echo-server's listeners), and a
 * stream server on both ports + 1, until a VM2VM_END message comes
 * through vmmgmt.
 */
int vm2vm_echo_main(const struct opts *o)
{
	static struct server_conn l;
	struct vmmgmt_bind b = { .port = o->peer_port };
	struct vmmgmt_addr src, last = { 0 };
	unsigned long long echoed = 0;
	unsigned char *buf;
	bool connected = false;
	pthread_t tid;
	ssize_t n;
	int fd;

	fd = vsock_listen(K_SEQPACKET, o->vsock_port);
	if (fd < 0) {
		bench_err("vsock listener on port %u: %s", o->vsock_port,
			  strerror(-fd));
		return 1;
	}
	l.fd = fd;
	l.kind = K_SEQPACKET;
	if (pthread_create(&tid, NULL, vsock_listener, &l))
		return 1;
	pthread_detach(tid);
	/* A's stream figures; a module without streams only loses them. */
	stream_server_start(o->peer_port + 1, o->vsock_port + 1);
	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, VMMGMT_IOC_BIND, &b)) {
		bench_err(VMMGMT_GUEST_DEV " port %u: %s", o->peer_port, strerror(errno));
		return 1;
	}
	buf = malloc(LARGE);
	if (!buf)
		return 1;
	printf("vm2vm-echo: vmmgmt port %u, vsock port %u\n", b.port,
	       o->vsock_port);
	fflush(stdout);
	for (;;) {
		n = read(fd, buf, LARGE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bench_err("vm2vm-echo: read: %s", strerror(errno));
			break;
		}
		if (n == sizeof(VM2VM_END) - 1 &&
		    !memcmp(buf, VM2VM_END, sizeof(VM2VM_END) - 1)) {
			printf("vm2vm-echo: %llu messages echoed through vmmgmt, end\n",
			       echoed);
			free(buf);
			close(fd);
			return 0;
		}
		if (ioctl(fd, VMMGMT_IOC_LAST_SRC, &src)) {
			bench_err("vm2vm-echo: VMMGMT_IOC_LAST_SRC: %s",
				  strerror(errno));
			break;
		}
		/* One sender at a time: connect once per sender. */
		if (!connected || memcmp(&src, &last, sizeof(src))) {
			if (ioctl(fd, VMMGMT_IOC_CONNECT, &src)) {
				bench_err("vm2vm-echo: VMMGMT_IOC_CONNECT: %s",
					  strerror(errno));
				break;
			}
			last = src;
			connected = true;
		}
		if (write(fd, buf, n) != n) {
			bench_err("vm2vm-echo: write: %s", strerror(errno));
			break;
		}
		echoed++;
	}
	free(buf);
	close(fd);
	return 1;
}

struct relay_pipe {
	int from, to;
};

/* Copy messages from one SOCK_SEQPACKET socket to another until EOF. */
static void *relay_pump(void *arg)
{
	struct relay_pipe *p = arg;
	unsigned char *buf = malloc(LARGE + 1);
	ssize_t n;

	while (buf) {
		n = read(p->from, buf, LARGE + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write(p->to, buf, n) != n)
			break;
	}
	free(buf);
	/* Wake the other direction too. */
	shutdown(p->from, SHUT_RDWR);
	shutdown(p->to, SHUT_RDWR);
	return NULL;
}

/*
 * Copy bytes from one SOCK_STREAM socket to another until EOF, then pass
 * the end on (shutdown for writing) and stop: the other direction goes
 * on, so a half-closed stream still gets its answer.  An error resets
 * both.
 */
static void *relay_stream_pump(void *arg)
{
	struct relay_pipe *p = arg;
	unsigned char *buf = malloc(LARGE);
	ssize_t n = -1;

	while (buf) {
		n = read(p->from, buf, LARGE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (vmmgmt_write_all(p->to, buf, n)) {
			n = -1;
			break;
		}
	}
	free(buf);
	if (n == 0) {
		shutdown(p->to, SHUT_WR);
	} else {
		shutdown(p->from, SHUT_RDWR);
		shutdown(p->to, SHUT_RDWR);
	}
	return NULL;
}

struct relay_loop {
	enum transport kind;
	unsigned int port;		/* vsock port to accept on */
	unsigned int cid, to_port;	/* where to */
};

/*
 * Accept on l->port and relay each connection to (l->cid, l->to_port),
 * both ways, one connection at a time (the benchmark makes one).
 */
static void *relay_loop(void *arg)
{
	const struct relay_loop *l = arg;
	void *(*pump)(void *) = l->kind == K_STREAM ? relay_stream_pump :
						      relay_pump;
	struct relay_pipe up, down;
	struct conn out;
	pthread_t t1, t2;
	int lfd, fd, err;

	lfd = vsock_listen(l->kind, l->port);
	if (lfd < 0) {
		bench_err("vsock-relay: listen on port %u: %s", l->port,
			  strerror(-lfd));
		return NULL;
	}
	printf("vsock-relay: port %u to %u:%u (%s)\n", l->port, l->cid,
	       l->to_port, l->kind == K_STREAM ? "SOCK_STREAM" : "SOCK_SEQPACKET");
	fflush(stdout);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_err("vsock-relay: accept: %s", strerror(errno));
			return NULL;
		}
		err = open_vsock(&out, l->kind, l->cid, l->to_port);
		if (err) {
			bench_err("vsock-relay: connect to %u:%u: %s",
				  l->cid, l->to_port, strerror(-err));
			close(fd);
			continue;
		}
		up.from = fd;
		up.to = out.fd;
		down.from = out.fd;
		down.to = fd;
		if (pthread_create(&t1, NULL, pump, &up) ||
		    pthread_create(&t2, NULL, pump, &down)) {
			bench_err("vsock-relay: pthread_create");
			return NULL;
		}
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		close(fd);
		close(out.fd);
	}
}

/*
 * In the host VM: accept vsock connections on --vsock-port and relay each
 * to (--relay-cid, --relay-port), message by message, both ways; the
 * forwarding process a guest needs to reach another guest over vsock.
 * SOCK_STREAM the same, byte by byte, from the ports after those.
 */
int vsock_relay_main(const struct opts *o)
{
	static struct relay_loop l[2];
	pthread_t tid[2];
	int i;

	l[0] = (struct relay_loop){ K_SEQPACKET, o->vsock_port, o->relay_cid,
				    o->relay_port };
	l[1] = (struct relay_loop){ K_STREAM, o->vsock_port + 1, o->relay_cid,
				    o->relay_port + 1 };
	for (i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, relay_loop, &l[i]))
			return 1;
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	return 1;
}
