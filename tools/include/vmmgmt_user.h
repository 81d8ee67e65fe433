/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt_user.h: what every userspace program of vmmgmt needs and would
 * otherwise define again: the paths of both devices and their sysfs
 * roots, ARRAY_SIZE(), the monotonic clock and millisecond sleeps,
 * readers (and one writer) of small sysfs files, a device file opened
 * with one ioctl done, and whole writes and reads of a byte stream
 * (and of its command line).
 *
 * Used by tools/ (vmmgmtd, vmmgmtctl, vmmgmt-bench) and selftests/ (host,
 * guest, guest-tools); both Makefiles put tools/include on the include
 * path.  Header only: every helper is static inline, calls libc alone,
 * prints nothing and returns 0 (or a count, or a file) or a negative
 * errno.  The ABI itself is in uapi/vmmgmt.h, not here.
 */
#ifndef VMMGMT_USER_H
#define VMMGMT_USER_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

/* The guest module's device and its sysfs directory (misc class). */
#define VMMGMT_GUEST_DEV	"/dev/vmmgmt"
#define VMMGMT_GUEST_SYSFS	"/sys/class/misc/vmmgmt"
/* The host module's device, its sysfs directory, one directory per VM. */
#define VMMGMT_HOST_DEV		"/dev/vmmgmt-host"
#define VMMGMT_HOST_SYSFS	"/sys/class/misc/vmmgmt-host"
#define VMMGMT_HOST_VMS_SYSFS	VMMGMT_HOST_SYSFS "/vms"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * printf-like arguments, checked by the compiler: the kernel's __printf()
 * under a name of ours (kselftest.h, which the selftests include after
 * this header, defines __printf() itself).
 */
#define VMMGMT_ATTRIBUTE(x)	__attribute__(x)
#define vmmgmt_printf(a, b)	VMMGMT_ATTRIBUTE((format(printf, a, b)))

/* ---- time: CLOCK_MONOTONIC ---- */

/* Nanoseconds on the monotonic clock. */
static inline __u64 vmmgmt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The same in milliseconds, with the fraction. */
static inline double vmmgmt_now_ms(void)
{
	return vmmgmt_now_ns() / 1e6;
}

/* The same in seconds, with the fraction. */
static inline double vmmgmt_now_s(void)
{
	return vmmgmt_now_ns() / 1e9;
}

/* Sleep @ms milliseconds; a signal does not cut the sleep short. */
static inline void vmmgmt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- sysfs: small files of one value ---- */

/*
 * Read the small file @path into @buf (@size bytes with the NUL) as it
 * is, newline and all.  Return: 0, or -errno.
 */
static inline int vmmgmt_read_raw(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err = 0;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return err;
}

/* vmmgmt_read_raw(), less one trailing newline. */
static inline int vmmgmt_read_text(const char *path, char *buf, size_t size)
{
	size_t n;
	int err;

	err = vmmgmt_read_raw(path, buf, size);
	if (err)
		return err;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/*
 * Read the attribute @path that holds one unsigned number (decimal, or
 * hex with 0x) and a newline, as sysfs_emit() writes it.  Return: 0 with
 * *@val set, -EINVAL when the file holds anything else, or -errno.
 */
static inline int vmmgmt_read_u64(const char *path, __u64 *val)
{
	char buf[64], *end;
	unsigned long long v;
	int err;

	err = vmmgmt_read_raw(path, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf || buf[0] == '-' || strcmp(end, "\n"))
		return -EINVAL;
	*val = v;
	return 0;
}

/* vmmgmt_read_text() of @dir/@attr. */
static inline int vmmgmt_read_attr(const char *dir, const char *attr,
				   char *buf, size_t size)
{
	char path[512];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return vmmgmt_read_text(path, buf, size);
}

/* vmmgmt_read_u64() of @dir/@attr. */
static inline int vmmgmt_read_attr_u64(const char *dir, const char *attr,
				       __u64 *val)
{
	char path[512];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return vmmgmt_read_u64(path, val);
}

/*
 * Write @text to the sysfs file @path in one write(), as sysfs wants.
 * Return: 0, -EIO for a short write, or -errno.
 */
static inline int vmmgmt_write_text(const char *path, const char *text)
{
	ssize_t len = strlen(text), n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

/* ---- device files and byte streams ---- */

/*
 * ioctl(@fd, @req, @arg) on a file just opened (@fd may be a -errno
 * already, passed on as it is).  Return: @fd, or -errno with @fd closed
 * (errno stays set, for a caller that prints it).
 */
static inline int vmmgmt_ioctl_fd(int fd, unsigned long req, void *arg)
{
	int err;

	if (fd < 0)
		return fd;
	if (ioctl(fd, req, arg)) {
		err = errno;
		close(fd);
		errno = err;
		return -err;
	}
	return fd;
}

/*
 * A new file of the device @dev (O_RDWR | O_CLOEXEC) after
 * vmmgmt_ioctl_fd(@req, @arg): a bound, connected, listening or stream
 * file in one call.  Return: its fd, or -errno (errno set).
 */
static inline int vmmgmt_open_ioctl(const char *dev, unsigned long req,
				    void *arg)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	return vmmgmt_ioctl_fd(fd < 0 ? -errno : fd, req, arg);
}

/*
 * Exactly @len bytes from @fd into @buf, a read() after a short one (EINTR
 * retried); *@got (or NULL) says how many came.  Return: 0, -EPIPE when
 * @fd ended first (after some bytes or none), or -errno.
 */
static inline int vmmgmt_read_full(int fd, void *buf, size_t len, size_t *got)
{
	char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	if (got)
		*got = done;
	return done == len ? 0 : -EPIPE;
}

/*
 * All of @len bytes of @buf to @fd, a write() after a short one (EINTR
 * retried).  Return: 0, -EIO if write() returned 0, or -errno.
 */
static inline int vmmgmt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Read @fd to its end (read() returns 0) into @buf, @size bytes with the
 * NUL added after what was read.  Return: how many bytes, -EMSGSIZE when
 * they do not fit, or -errno.
 */
static inline ssize_t vmmgmt_read_to_end(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len + 1 >= size)
			return -EMSGSIZE;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

/*
 * Bytes from @fd, one at a time (the bytes after the line stay unread),
 * into @buf (@size bytes with the NUL) until a '\n' (not kept) or the end
 * of the stream; *@nl says which.  Return: the line's length, -EMSGSIZE
 * for a line that does not fit, or -errno.
 */
static inline int vmmgmt_read_upto_nl(int fd, char *buf, size_t size, bool *nl)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n || buf[len] == '\n') {
			*nl = n;
			buf[len] = '\0';
			return len;
		}
		len++;
	}
	return -EMSGSIZE;
}

/*
 * One line from @fd ended by a '\n' (vmmgmt_read_upto_nl()).
 * Return: 0, -EPROTO at the end of the stream or for a line that does
 * not fit, or -errno.
 */
static inline int vmmgmt_read_line(int fd, char *buf, size_t size)
{
	bool nl = false;
	int n = vmmgmt_read_upto_nl(fd, buf, size, &nl);

	if (n == -EMSGSIZE || (n >= 0 && !nl))
		return -EPROTO;
	return n < 0 ? n : 0;
}

#endif /* VMMGMT_USER_H */
