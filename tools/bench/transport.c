// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench: the transports, one message per send and receive: a
 * /dev/vmmgmt file, a vsock SOCK_SEQPACKET socket, a vsock SOCK_STREAM
 * socket with a 4-byte length prefix per message, or in the host VM a
 * /dev/vmmgmt-host endpoint (one struct vmmgmt_rec and its payload per
 * read() and write()).  Calls libc and the devices' ioctls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "bench.h"

const char * const kind_names[] = {
	[K_VMMGMT] = "vmmgmt", [K_SEQPACKET] = "vsock SOCK_SEQPACKET",
	[K_STREAM] = "vsock SOCK_STREAM (4-byte length prefix)",
	[K_VMMGMT_HOST] = "vmmgmt host endpoint",
};

static int full_write(int fd, const struct iovec *iov_in, int cnt)
{
	struct iovec iov[2];
	ssize_t n;
	int i = 0;

	memcpy(iov, iov_in, cnt * sizeof(*iov));
	while (i < cnt) {
		n = writev(fd, iov + i, cnt - i);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (i < cnt && (size_t)n >= iov[i].iov_len) {
			n -= iov[i].iov_len;
			i++;
		}
		if (i < cnt) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	return 0;
}

/* Exactly @len bytes; the stream's end is the peer's reset here. */
static int full_read(int fd, void *buf, size_t len)
{
	int err = vmmgmt_read_full(fd, buf, len, NULL);

	return err == -EPIPE ? -ECONNRESET : err;
}

/*
 * A host endpoint's record: the header and the payload in one writev()
 * (the device takes a record per call, from all of its iovecs).
 */
static int host_rec_send(const struct conn *c, const void *buf, size_t len)
{
	struct vmmgmt_rec rec = {
		.len = len, .mode = VMMGMT_MODE_CHAT, .dst = c->dst,
	};
	struct iovec iov[2] = {
		{ .iov_base = &rec, .iov_len = sizeof(rec) },
		{ .iov_base = (void *)buf, .iov_len = len },
	};
	ssize_t n;

	do {
		n = writev(c->fd, iov, 2);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(rec) + len ? 0 : -EIO;
}

/* The payload of the next record into buf; its length or -errno. */
static ssize_t host_rec_recv(const struct conn *c, void *buf, size_t cap)
{
	struct vmmgmt_rec rec;
	struct iovec iov[2] = {
		{ .iov_base = &rec, .iov_len = sizeof(rec) },
		{ .iov_base = buf, .iov_len = cap },
	};
	ssize_t n;

	do {
		n = readv(c->fd, iov, 2);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(rec) || (size_t)n != sizeof(rec) + rec.len)
		return -EPROTO;
	return rec.len;
}

/* Send one message; 0 or -errno. */
int msg_send(const struct conn *c, const void *buf, size_t len)
{
	struct iovec iov[2];
	uint32_t hdr = len;
	ssize_t n;

	if (c->kind == K_VMMGMT_HOST)
		return host_rec_send(c, buf, len);
	if (c->kind == K_STREAM) {
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)buf;
		iov[1].iov_len = len;
		return full_write(c->fd, iov, 2);
	}
	do {
		n = write(c->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Receive one message into buf (cap bytes); its length or -errno. */
ssize_t msg_recv(const struct conn *c, void *buf, size_t cap)
{
	uint32_t hdr;
	ssize_t n;
	int err;

	if (c->kind == K_VMMGMT_HOST)
		return host_rec_recv(c, buf, cap);
	if (c->kind == K_STREAM) {
		err = full_read(c->fd, &hdr, sizeof(hdr));
		if (err)
			return err;
		if (hdr > cap)
			return -EMSGSIZE;
		err = full_read(c->fd, buf, hdr);
		return err ? err : (ssize_t)hdr;
	}
	do {
		n = read(c->fd, buf, cap);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0 && c->kind == K_SEQPACKET)
		return -ECONNRESET;
	return n;
}

/* A /dev/vmmgmt file on a dynamic port, connected to (0, vm, port). */
int open_vmmgmt_to(struct conn *c, unsigned int vm, unsigned int port)
{
	struct vmmgmt_addr dst = { .host = 0, .vm = vm, .port = port };
	struct vmmgmt_bind b = { 0 };
	int err;

	c->kind = K_VMMGMT;
	c->fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (ioctl(c->fd, VMMGMT_IOC_BIND, &b) ||
	    ioctl(c->fd, VMMGMT_IOC_CONNECT, &dst)) {
		err = -errno;
		close(c->fd);
		return err;
	}
	return 0;
}

int open_vmmgmt(struct conn *c, unsigned int port)
{
	return open_vmmgmt_to(c, VMMGMT_HOST_PEER_ID, port);
}

/*
 * In the host VM: a /dev/vmmgmt-host endpoint on a dynamic port whose
 * records go to (0, vm, port), a guest's bound file.
 */
int open_vmmgmt_host(struct conn *c, unsigned int vm, unsigned int port)
{
	struct vmmgmt_bind b = { 0 };
	int err;

	memset(&c->dst, 0, sizeof(c->dst));
	c->dst.vm = vm;
	c->dst.port = port;
	c->kind = K_VMMGMT_HOST;
	c->fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (ioctl(c->fd, VMMGMT_HOST_IOC_BIND, &b)) {
		err = -errno;
		close(c->fd);
		return err;
	}
	return 0;
}

int open_vsock(struct conn *c, enum transport kind, unsigned int cid,
	       unsigned int port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port,
	};
	int err;

	c->kind = kind;
	c->fd = socket(AF_VSOCK, (kind == K_STREAM ? SOCK_STREAM :
				  SOCK_SEQPACKET) | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(c->fd);
		return err;
	}
	return 0;
}

