/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the host selftests whose guests' programs report back as
 * text messages to a host endpoint of the test (the head-of-line and the
 * guest-to-guest stream tests): a thread reads the endpoint and keeps
 * every report with the time it arrived (vmmgmt_now_s(), the host VM's
 * clock, the one the test measures with); the test waits for a report by
 * its sender and first word(s), and sends its commands to a guest's port
 * as text messages.  A test whose guests also send it other records
 * (data, error answers) sets reports.take: the reader thread hands it
 * every record first, and keeps as a report only what it did not take.
 * Include after vmmgmt_guest_boot.h.
 *
 * The host module replaced under the test (ABI 0.9, vmmgmtctl upgrade):
 * once the old module quiesces, read() returns what was queued and then
 * ESHUTDOWN.  The reader thread then closes both files (the old module
 * can only go once every file of it is closed), opens /dev/vmmgmt-host
 * again, retrying EAGAIN (still quiesced), ENOENT and ENODEV (no module loaded,
 * or one going or coming)
 * every REPORTS_REOPEN_MS for up to REPORTS_REOPEN_SECS, and binds the
 * same port again.  Meanwhile reports_write() and guest_command() fail
 * with ESHUTDOWN: nothing was accepted, the caller may send it again.
 * reports_endpoint() says how often that happened.
 */
#ifndef VMMGMT_GUEST_REPORTS_H
#define VMMGMT_GUEST_REPORTS_H

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmmgmt_guest_boot.h"

#define REPORTS_MAX		256
#define REPORT_TEXT_MAX		256
/* After ESHUTDOWN: try to open the device again this often, this long. */
#define REPORTS_REOPEN_MS	20
#define REPORTS_REOPEN_SECS	30

/**
 * struct guest_report - one report as it arrived
 * @vm: the VM id the host module stamped as its source
 * @t: when the reader thread read it (vmmgmt_now_s())
 * @taken: a reports_wait() returned it already
 * @text: its text, NUL-terminated
 */
struct guest_report {
	unsigned int vm;
	double t;
	bool taken;
	char text[REPORT_TEXT_MAX];
};

/**
 * struct reports_ep - what happened to the endpoint's files so far
 * @shutdowns: ESHUTDOWN seen by the reader thread (files closed)
 * @reopens: the device opened again and the port bound again
 * @open_refused: open() attempts refused meanwhile (EAGAIN, ENOENT, ENODEV)
 * @secs: from the last ESHUTDOWN to the port bound again
 * @gave_up: not open again within REPORTS_REOPEN_SECS, or another error
 */
struct reports_ep {
	unsigned long long shutdowns, reopens, open_refused;
	double secs;
	bool gave_up;
};

/*
 * @fd and @cmd_fd: written by the reader thread only, under @fd_lock
 * for writing; the other threads use them under @fd_lock for reading.
 * @r, @n, @ep and @shut_t: under @lock.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct guest_report r[REPORTS_MAX];
	unsigned int n;
	pthread_rwlock_t fd_lock;
	int fd;		/* the endpoint */
	int cmd_fd;	/* the test's commands go out through this one */
	unsigned int port;	/* @fd is bound to it */
	bool running;	/* the reader thread was started */
	bool stop;	/* __atomic */
	pthread_t tid;
	double t0;	/* for the printed times */
	struct reports_ep ep;
	double shut_t;	/* the last ESHUTDOWN, vmmgmt_now_s() */
	/* Takes a record that is no report (the reader thread calls it). */
	bool (*take)(const struct vmmgmt_rec *r, const void *payload, size_t len);
} reports = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.fd_lock = PTHREAD_RWLOCK_INITIALIZER,
	.fd = -1,
	.cmd_fd = -1,
};

/*
 * Room for more reports (a long run, the restart test's soak): drop the
 * taken ones, keeping the others in their order.  Under reports.lock.
 */
static void reports_drop_taken(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < reports.n; i++) {
		if (reports.r[i].taken)
			continue;
		if (n != i)
			reports.r[n] = reports.r[i];
		n++;
	}
	reports.n = n;
}

/*
 * The old host module quiesced (read() said ESHUTDOWN): close both files,
 * so that it can be unloaded.  Reader thread only.
 */
static void reports_shut(void)
{
	double now = vmmgmt_now_s();

	pthread_rwlock_wrlock(&reports.fd_lock);
	close(reports.fd);
	close(reports.cmd_fd);
	reports.fd = -1;
	reports.cmd_fd = -1;
	pthread_rwlock_unlock(&reports.fd_lock);
	pthread_mutex_lock(&reports.lock);
	reports.ep.shutdowns++;
	reports.shut_t = now;
	pthread_mutex_unlock(&reports.lock);
	ksft_print_msg("%.2f s: report endpoint: ESHUTDOWN (the host module quiesces), closed\n",
		       now - reports.t0);
}

/*
 * Open both files again and bind the endpoint's port (reader thread
 * only).  Return: 0, or -errno of the first call that failed.
 */
static int reports_open_again(void)
{
	struct vmmgmt_bind b = { .port = reports.port };
	int fd, cmd_fd, err;

	fd = open_dev();
	if (fd < 0)
		return -errno;
	cmd_fd = open_dev();
	if (cmd_fd < 0 || ioctl(fd, VMMGMT_HOST_IOC_BIND, &b)) {
		err = -errno;
		if (cmd_fd >= 0)
			close(cmd_fd);
		close(fd);
		return err;
	}
	pthread_rwlock_wrlock(&reports.fd_lock);
	reports.fd = fd;
	reports.cmd_fd = cmd_fd;
	pthread_rwlock_unlock(&reports.fd_lock);
	return 0;
}

/*
 * The files are closed: one attempt to open them again (reader thread
 * only); EAGAIN, ENOENT and ENODEV are tried again REPORTS_REOPEN_MS later, until
 * REPORTS_REOPEN_SECS after the ESHUTDOWN.
 */
static void reports_reopen(void)
{
	double now, since;
	int err;

	if (reports.ep.gave_up) {
		vmmgmt_sleep_ms(100);
		return;
	}
	err = reports_open_again();
	now = vmmgmt_now_s();
	pthread_mutex_lock(&reports.lock);
	since = now - reports.shut_t;
	if (!err) {
		reports.ep.reopens++;
		reports.ep.secs = since;
	} else if ((err == -EAGAIN || err == -ENOENT || err == -ENODEV) &&
		   since < REPORTS_REOPEN_SECS) {
		reports.ep.open_refused++;
	} else {
		reports.ep.gave_up = true;
	}
	pthread_mutex_unlock(&reports.lock);
	if (!err)
		ksft_print_msg("%.2f s: report endpoint: open again, port %u bound, %.2f s on\n",
			       now - reports.t0, reports.port, since);
	else if (reports.ep.gave_up)
		ksft_print_msg("%.2f s: report endpoint: cannot open %s again (%.1f s on): %s\n",
			       now - reports.t0, VMMGMT_HOST_DEV, since, strerror(-err));
	else
		vmmgmt_sleep_ms(REPORTS_REOPEN_MS);
}

static void *reports_reader(void *arg)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + REPORT_TEXT_MAX + 64];
	struct pollfd p = { .events = POLLIN };
	struct guest_report *g;
	struct vmmgmt_rec r;
	size_t len;
	ssize_t n;

	(void)arg;
	while (!__atomic_load_n(&reports.stop, __ATOMIC_RELAXED)) {
		/* Only this thread changes reports.fd: no lock to read it. */
		if (reports.fd < 0) {
			reports_reopen();
			continue;
		}
		p.fd = reports.fd;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(reports.fd, buf, sizeof(buf));
		/* What was queued is read first, then ESHUTDOWN. */
		if ((n < 0 && errno == ESHUTDOWN) || (!n && (p.revents & POLLHUP))) {
			reports_shut();
			continue;
		}
		if (n < (ssize_t)sizeof(r)) {
			ksft_print_msg("report endpoint read: %zd (%s)\n", n,
				       n < 0 ? strerror(errno) : "short");
			vmmgmt_sleep_ms(100);
			continue;
		}
		memcpy(&r, buf, sizeof(r));
		len = n - sizeof(r);
		if (reports.take && reports.take(&r, buf + sizeof(r), len))
			continue;
		if (len >= REPORT_TEXT_MAX)
			len = REPORT_TEXT_MAX - 1;
		pthread_mutex_lock(&reports.lock);
		if (reports.n == REPORTS_MAX)
			reports_drop_taken();
		if (reports.n == REPORTS_MAX) {
			pthread_mutex_unlock(&reports.lock);
			ksft_print_msg("more than %d reports: dropped one\n",
				       REPORTS_MAX);
			continue;
		}
		g = &reports.r[reports.n];
		g->vm = r.src.vm;
		g->t = vmmgmt_now_s();
		g->taken = false;
		memcpy(g->text, buf + sizeof(r), len);
		g->text[len] = '\0';
		reports.n++;
		ksft_print_msg("%.2f s: report from VM %u: %s\n",
			       g->t - reports.t0, g->vm, g->text);
		pthread_cond_broadcast(&reports.cond);
		pthread_mutex_unlock(&reports.lock);
	}
	return NULL;
}

/* Bind the report endpoint to @port and start its reader; 0 or -errno. */
static inline int reports_start(unsigned int port)
{
	struct vmmgmt_bind b = { .port = port };

	reports.t0 = vmmgmt_now_s();
	reports.port = port;
	reports.fd = open_dev();
	reports.cmd_fd = open_dev();
	if (reports.fd < 0 || reports.cmd_fd < 0 ||
	    ioctl(reports.fd, VMMGMT_HOST_IOC_BIND, &b))
		return -errno;
	if (pthread_create(&reports.tid, NULL, reports_reader, NULL))
		return -EAGAIN;
	reports.running = true;
	return 0;
}

static inline void reports_stop(void)
{
	if (!reports.running)
		return;
	__atomic_store_n(&reports.stop, true, __ATOMIC_RELAXED);
	pthread_join(reports.tid, NULL);
	reports.running = false;
	if (reports.fd >= 0)
		close(reports.fd);
	if (reports.cmd_fd >= 0)
		close(reports.cmd_fd);
	reports.fd = -1;
	reports.cmd_fd = -1;
}

/* A copy of what happened to the endpoint's files so far. */
static inline struct reports_ep reports_endpoint(void)
{
	struct reports_ep ep;

	pthread_mutex_lock(&reports.lock);
	ep = reports.ep;
	pthread_mutex_unlock(&reports.lock);
	return ep;
}

/*
 * Wait up to @secs until the endpoint was opened and bound again more
 * than @reopens times (or the reader thread gave up).  Return: whether.
 */
static inline bool reports_wait_reopened(unsigned long long reopens, double secs)
{
	double end = vmmgmt_now_s() + secs;
	struct reports_ep ep;

	for (;;) {
		ep = reports_endpoint();
		if (ep.reopens > reopens)
			return true;
		if (ep.gave_up || vmmgmt_now_s() >= end)
			return false;
		vmmgmt_sleep_ms(REPORTS_REOPEN_MS);
	}
}

/*
 * write() @len bytes of @buf to the endpoint (@cmd false) or to the
 * commands' file (@cmd true).  Return: the bytes written, or -errno;
 * -ESHUTDOWN also while the files are closed for a module handover.
 */
static inline ssize_t reports_write(bool cmd, const void *buf, size_t len)
{
	ssize_t w;
	int fd;

	pthread_rwlock_rdlock(&reports.fd_lock);
	fd = cmd ? reports.cmd_fd : reports.fd;
	if (fd < 0) {
		w = -ESHUTDOWN;
	} else {
		w = write(fd, buf, len);
		if (w < 0)
			w = -errno;
	}
	pthread_rwlock_unlock(&reports.fd_lock);
	return w;
}

/*
 * The first report not taken yet from VM @vm whose text starts with
 * @prefix, within @secs: copied to @out (if not NULL), its arrival time
 * into @t (if not NULL), and taken.  False on timeout.
 */
static inline bool reports_wait(unsigned int vm, const char *prefix,
				double secs, char *out, size_t size, double *t)
{
	double end = vmmgmt_now_s() + secs;
	struct timespec ts;
	unsigned int i;
	bool found = false;

	pthread_mutex_lock(&reports.lock);
	for (;;) {
		for (i = 0; i < reports.n && !found; i++) {
			struct guest_report *g = &reports.r[i];

			if (g->taken || g->vm != vm ||
			    strncmp(g->text, prefix, strlen(prefix)))
				continue;
			g->taken = true;
			found = true;
			if (out && size)
				snprintf(out, size, "%s", g->text);
			if (t)
				*t = g->t;
		}
		if (found || vmmgmt_now_s() >= end)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&reports.cond, &reports.lock, &ts);
	}
	pthread_mutex_unlock(&reports.lock);
	return found;
}

/* One text command to (0, @vm, @port); 0 or -errno. */
static inline __printf(3, 4) int guest_command(unsigned int vm,
					       unsigned int port,
					       const char *fmt, ...)
{
	__u8 buf[sizeof(struct vmmgmt_rec) + REPORT_TEXT_MAX];
	struct vmmgmt_rec r = {
		.mode = VMMGMT_MODE_CHAT,
		.dst = { .vm = vm, .port = port },
	};
	va_list ap;
	ssize_t w;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)buf + sizeof(r), REPORT_TEXT_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= REPORT_TEXT_MAX)
		return -EINVAL;
	r.len = n;
	memcpy(buf, &r, sizeof(r));
	ksft_print_msg("%.2f s: command to VM %u port %u: %s\n",
		       vmmgmt_now_s() - reports.t0, vm, port,
		       (char *)buf + sizeof(r));
	w = reports_write(true, buf, sizeof(r) + n);
	if (w < 0)
		return w;
	return w == (ssize_t)(sizeof(r) + n) ? 0 : -EIO;
}

/* The host module's ABI minor (0 if it cannot say). */
static inline unsigned int host_abi_minor(void)
{
	struct vmmgmt_version v = { 0 };
	int fd = open_dev();

	if (fd < 0)
		return 0;
	if (ioctl(fd, VMMGMT_HOST_IOC_GET_VERSION, &v) ||
	    v.abi_major != VMMGMT_ABI_MAJOR)
		v.abi_minor = 0;
	close(fd);
	return v.abi_minor;
}

/*
 * Skip the test when the host module is older than ABI 0.@minor, the
 * first with @what.  Return: the module's ABI minor.
 */
static inline unsigned int host_need_abi(unsigned int minor, const char *what)
{
	unsigned int have = host_abi_minor();

	if (have < minor)
		ksft_exit_skip("host module ABI 0.%u: no %s before 0.%u\n", have,
			       what, minor);
	return have;
}

/* "word=N" in @text as a number, or @dflt. */
static inline long long report_num(const char *text, const char *word,
				   long long dflt)
{
	char key[48];
	const char *p;

	snprintf(key, sizeof(key), " %s=", word);
	p = strstr(text, key);
	return p ? strtoll(p + strlen(key), NULL, 0) : dflt;
}

/* "word=STRING" in @text into @out (up to a blank), or "". */
static inline void report_str(const char *text, const char *word, char *out,
			      size_t size)
{
	char key[48];
	const char *p;
	size_t n;

	snprintf(key, sizeof(key), " %s=", word);
	p = strstr(text, key);
	if (!p || !size) {
		if (size)
			out[0] = '\0';
		return;
	}
	p += strlen(key);
	n = strcspn(p, " ");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

#endif /* VMMGMT_GUEST_REPORTS_H */
