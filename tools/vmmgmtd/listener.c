// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: what the services on host ports share (the file service in
 * files_listen.c, host services in services_listen.c): a listener is a
 * file of /dev/vmmgmt-host of its own with STREAM_LISTEN on one port; the
 * poll() loop (main.c) accepts its streams; when the host module is
 * replaced under it by anything but this vmmgmtd's upgrade (ESHUTDOWN) it
 * is closed and opened again once a second until the next module answers.
 * Calls libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmmgmtd.h"

/**
 * vmmgmtd_listener_open() - listen on a host port.
 * @l: the listener: @l->port and @l->what set, @l->fd -1.
 *
 * Context: vmmgmtd's loop.
 * Return: 0, or a negative errno (EAGAIN while the module is frozen,
 * ENOENT or ENODEV while none is loaded, EADDRINUSE, ENOTTY without
 * streams).
 */
int vmmgmtd_listener_open(struct vmmgmtd_listener *l)
{
	struct vmmgmt_stream_listen req = { .port = l->port };
	int fd, err;

	fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_HOST_IOC_STREAM_LISTEN, &req)) {
		err = -errno;
		close(fd);
		return err;
	}
	l->fd = fd;
	l->relisten = false;
	return 0;
}

/**
 * vmmgmtd_listener_close() - stop listening (streams accepted go on).
 * @l: the listener.
 *
 * Context: vmmgmtd's loop.
 */
void vmmgmtd_listener_close(struct vmmgmtd_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/**
 * vmmgmtd_listener_relisten() - try to listen again after the module was
 * replaced under the listener (once a second while @l->relisten is set).
 * @l: the listener.
 * @d: the daemon.
 *
 * Context: vmmgmtd's loop.
 */
void vmmgmtd_listener_relisten(struct vmmgmtd_listener *l,
			       const struct vmmgmtd *d)
{
	if (l->fd >= 0 || d->no_module) {
		l->relisten = false;
		return;
	}
	if (!vmmgmtd_listener_open(l))
		vmmgmtd_info("%s: host port %u again", l->what, l->port);
}

/**
 * vmmgmtd_listener_accept() - take a stream off a readable listener.
 * @l: the listener.
 * @a: returns the stream (@a->fd, blocking) and its peer.
 *
 * On ESHUTDOWN (the module is being replaced) the listener is closed and
 * marked to listen again; on any other error but a transient one it is
 * closed for good, with a message.
 *
 * Context: vmmgmtd's loop.
 * Return: true when @a holds a stream.
 */
bool vmmgmtd_listener_accept(struct vmmgmtd_listener *l,
			     struct vmmgmt_stream_accept *a)
{
	int flags;

	memset(a, 0, sizeof(*a));
	if (ioctl(l->fd, VMMGMT_HOST_IOC_STREAM_ACCEPT, a)) {
		if (errno == EAGAIN || errno == EINTR || errno == EMFILE)
			return false;
		if (errno == ESHUTDOWN) {
			vmmgmtd_info("%s: the host module is being replaced: listening again once it is back",
				     l->what);
			vmmgmtd_listener_close(l);
			l->relisten = true;
			return false;
		}
		vmmgmtd_info("%s: STREAM_ACCEPT: %m: off", l->what);
		vmmgmtd_listener_close(l);
		return false;
	}
	/* The sessions block; the listener alone is non-blocking. */
	flags = fcntl(a->fd, F_GETFL);
	if (flags >= 0)
		fcntl(a->fd, F_SETFL, flags & ~O_NONBLOCK);
	return true;
}
