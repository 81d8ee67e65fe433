// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench vsock-echo-server and host-echo-server, in the host VM:
 * echo over AF_VSOCK (a thread per connection), and echo as a userspace
 * endpoint of /dev/vmmgmt-host, which also answers the guests' queries of
 * the host VM's CPU time.  The vsock listener also serves vm2vm-echo
 * (vm2vm.c).  Calls transport.c, stats.c (reading /proc/stat) and libc.
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
#include <linux/vm_sockets.h>

#include "bench.h"

static void *serve_vsock_conn(void *arg)
{
	struct server_conn *sc = arg;
	struct conn c = { .fd = sc->fd, .kind = sc->kind };
	unsigned char *buf = malloc(LARGE + 1);
	ssize_t n;

	free(sc);
	while (buf) {
		n = msg_recv(&c, buf, LARGE + 1);
		if (n < 0 || n > LARGE)
			break;
		if (msg_send(&c, buf, n))
			break;
	}
	free(buf);
	close(c.fd);
	return NULL;
}

void *vsock_listener(void *arg)
{
	struct server_conn *l = arg, *sc;
	pthread_t tid;
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_err("accept: %s", strerror(errno));
			return NULL;
		}
		sc = malloc(sizeof(*sc));
		if (!sc) {
			close(fd);
			continue;
		}
		sc->fd = fd;
		sc->kind = l->kind;
		if (pthread_create(&tid, NULL, serve_vsock_conn, sc)) {
			free(sc);
			close(fd);
			continue;
		}
		pthread_detach(tid);
	}
}

int vsock_listen(enum transport kind, unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd;

	fd = socket(AF_VSOCK, (kind == K_STREAM ? SOCK_STREAM :
			       SOCK_SEQPACKET) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * SOCK_SEQPACKET on port, SOCK_STREAM with a 4-byte length prefix on
 * port + 1; a thread per connection.  A kernel without SEQPACKET for
 * vsock leaves only the stream listener.
 */
int vsock_server_main(const struct opts *o)
{
	static struct server_conn l[2];
	pthread_t tid[2];
	int i, n = 0, fd;

	for (i = 0; i < 2; i++) {
		enum transport kind = i ? K_STREAM : K_SEQPACKET;

		fd = vsock_listen(kind, o->vsock_port + i);
		if (fd < 0) {
			bench_err("vsock %s listener on port %u: %s",
				  kind_names[kind], o->vsock_port + i,
				  strerror(-fd));
			continue;
		}
		l[n].fd = fd;
		l[n].kind = kind;
		if (pthread_create(&tid[n], NULL, vsock_listener, &l[n])) {
			close(fd);
			continue;
		}
		printf("vsock-echo-server: %s on port %u\n", kind_names[kind],
		       o->vsock_port + i);
		n++;
	}
	fflush(stdout);
	if (!n)
		return 1;
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return 1;
}

/*
 * The answer to a CPU_QUERY in @rec's payload (room for @cap bytes): the
 * "cpu " line of this system's /proc/stat, NUL-terminated.  Returns the
 * payload's length, or 0 when /proc/stat cannot be read (the asking guest
 * then fails its CPU figures).
 */
static size_t cpu_answer(unsigned char *payload, size_t cap)
{
	char *text = read_text_file("/proc/stat"), *nl;
	size_t len;

	if (!text)
		return 0;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	len = strlen(text) + 1;
	if (len > cap)
		len = 0;
	else
		memcpy(payload, text, len);
	free(text);
	return len;
}

/*
 * Echo as a userspace endpoint of the host module: each read() of a bound
 * /dev/vmmgmt-host file is a struct vmmgmt_rec and its payload, each
 * write() one such record.  The answer goes back to the sender with the
 * request's id, like the module's own echo service; a CPU_QUERY is
 * answered with the host VM's CPU counters instead (cpu_answer()).
 */
int host_server_main(const struct opts *o)
{
	struct vmmgmt_bind b = { .port = o->host_port };
	size_t cap = sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX;
	struct vmmgmt_rec *rec;
	unsigned char *buf;
	struct vmmgmt_addr a;
	ssize_t n;
	int fd;

	fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bench_err(VMMGMT_HOST_DEV ": %s", strerror(errno));
		return 1;
	}
	if (ioctl(fd, VMMGMT_HOST_IOC_BIND, &b)) {
		bench_err(VMMGMT_HOST_DEV ": VMMGMT_HOST_IOC_BIND port %u: %s",
			  o->host_port, strerror(errno));
		close(fd);
		return errno == ENOTTY ? EXIT_UNSUPPORTED : 1;
	}
	printf("host-echo-server: bound to port %u\n", b.port);
	fflush(stdout);
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return 1;
	}
	rec = (struct vmmgmt_rec *)buf;
	for (;;) {
		n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*rec) ||
		    (size_t)n != sizeof(*rec) + rec->len) {
			bench_err("host-echo-server: read: %s",
				  n < 0 ? strerror(errno) : "bad record");
			break;
		}
		if (rec->flags & VMMGMT_REC_F_RESPONSE)
			continue;
		if (rec->len >= sizeof(CPU_QUERY) - 1 &&
		    !memcmp(rec + 1, CPU_QUERY, sizeof(CPU_QUERY) - 1)) {
			rec->len = cpu_answer((unsigned char *)(rec + 1),
					      cap - sizeof(*rec));
			n = sizeof(*rec) + rec->len;
		}
		a = rec->src;
		rec->src = rec->dst;
		rec->dst = a;
		rec->flags = VMMGMT_REC_F_RESPONSE;
		if (write(fd, buf, n) != n) {
			bench_err("host-echo-server: write: %s",
				  strerror(errno));
			break;
		}
	}
	free(buf);
	close(fd);
	return 1;
}

