/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the guests' programs of the host tests that boot their own
 * guests (vmmgmt_echo_traffic, and those that talk to the test in text:
 * vmmgmt_hol_peer, vmmgmt_vm2vm_peer, vmmgmt_seq_peer): files of the
 * guest's device bound, connected, listening or streaming, the link
 * state, the module's ABI minor, a report to the test (a line on stdout
 * and one message to its endpoint) and the test's next command from a
 * control file.  Header only, static inline; calls vmmgmt_user.h, the uapi and
 * libc.  The ports and texts are in each test's header
 * (selftests/vmmgmt_hol_proto.h, selftests/vmmgmt_stream_proto.h).
 */
#ifndef VMMGMT_PEER_H
#define VMMGMT_PEER_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

/* The longest report peer_vreport() sends, with its NUL. */
#define PEER_TEXT_MAX		256

/* A file bound to @port (0: a dynamic one); its fd, or -errno (errno set). */
static inline int peer_open_bound(unsigned int port)
{
	struct vmmgmt_bind b = { .port = port };

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_BIND, &b);
}

/* A bound file whose write() goes to (0, @vm, @port); fd or -errno. */
static inline int peer_open_to(unsigned int vm, unsigned int port)
{
	struct vmmgmt_addr a = { .vm = vm, .port = port };

	return vmmgmt_ioctl_fd(peer_open_bound(0), VMMGMT_IOC_CONNECT, &a);
}

/*
 * A file bound to @port whose write() goes to (0, @vm, @dst_port): it
 * sends and receives on the same port; its fd, or -errno.
 */
static inline int peer_open_bound_to(unsigned int port, unsigned int vm,
				     unsigned int dst_port)
{
	struct vmmgmt_addr a = { .vm = vm, .port = dst_port };

	return vmmgmt_ioctl_fd(peer_open_bound(port), VMMGMT_IOC_CONNECT, &a);
}

/* A stream to (0, @vm, @port), 10 s to connect; its fd, or -errno. */
static inline int peer_stream_to(unsigned int vm, unsigned int port)
{
	struct vmmgmt_stream_connect c = {
		.addr = { .vm = vm, .port = port },
		.timeout_ms = 10000,
	};

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_STREAM_CONNECT, &c);
}

/* A stream listener on @port; its fd, or -errno (errno set). */
static inline int peer_stream_listen(unsigned int port)
{
	struct vmmgmt_stream_listen l = { .port = port };

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_STREAM_LISTEN, &l);
}

/* The device's link state (sysfs link_state) without the newline, or "?". */
static inline const char *peer_link_state(void)
{
	static char buf[32];

	if (vmmgmt_read_attr(VMMGMT_GUEST_SYSFS, "link_state", buf, sizeof(buf)) ||
	    !buf[0])
		return "?";
	return buf;
}

/* Wait up to @secs for the link to be up (@up) or not; true if it is. */
static inline bool peer_wait_link(bool up, double secs)
{
	double end = vmmgmt_now_s() + secs;

	for (;;) {
		if (!strcmp(peer_link_state(), "up") == up)
			return true;
		if (vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(100);
	}
}

/* The guest module's ABI minor; 0 if it cannot say. */
static inline unsigned int peer_abi_minor(void)
{
	struct vmmgmt_version v = { 0 };
	unsigned int minor = 0;
	int fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0 && !ioctl(fd, VMMGMT_IOC_GET_VERSION, &v) &&
	    v.abi_major == VMMGMT_ABI_MAJOR)
		minor = v.abi_minor;
	if (fd >= 0)
		close(fd);
	return minor;
}

/*
 * One report: "@prefix TEXT" on stdout, and TEXT (cut to @max - 1
 * bytes, no NUL) as one message to @fd unless it is negative; a failed
 * write is said on stdout.
 */
static inline void peer_vreport(int fd, const char *prefix, size_t max,
				const char *fmt, va_list ap)
{
	char text[PEER_TEXT_MAX];
	int n;

	if (max > sizeof(text))
		max = sizeof(text);
	n = vsnprintf(text, max, fmt, ap);
	if (n >= (int)max)
		n = max - 1;
	printf("%s%s\n", prefix, text);
	fflush(stdout);
	if (fd >= 0 && write(fd, text, n) != n)
		printf("%sreport write: %s\n", prefix, strerror(errno));
}

/*
 * The test's next command from the bound file @ctl into @cmd (@size
 * bytes with the NUL).  A failed read is said on stdout after @prefix
 * and tried again (100 ms later), unless the file is gone.
 * Return: 1 for a command, 0 for "exit", -1 when @ctl is gone.
 */
static inline int peer_read_cmd(int ctl, char *cmd, size_t size,
				const char *prefix)
{
	ssize_t n;

	for (;;) {
		n = read(ctl, cmd, size - 1);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		printf("%scontrol read: %s\n", prefix, strerror(errno));
		if (errno == ENOTCONN || errno == EPIPE || errno == ENODEV)
			return -1;
		vmmgmt_sleep_ms(100);
	}
	cmd[n] = '\0';
	return strcmp(cmd, "exit") ? 1 : 0;
}

#endif /* VMMGMT_PEER_H */
