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

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct guest_report r[REPORTS_MAX];
	unsigned int n;
	int fd;		/* the endpoint */
	int cmd_fd;	/* the test's commands go out through this one */
	bool stop;	/* __atomic */
	pthread_t tid;
	double t0;	/* for the printed times */
	/* Takes a record that is no report (the reader thread calls it). */
	bool (*take)(const struct vmmgmt_rec *r, const void *payload, size_t len);
} reports = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
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

static void *reports_reader(void *arg)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + REPORT_TEXT_MAX + 64];
	struct pollfd p = { .fd = reports.fd, .events = POLLIN };
	struct guest_report *g;
	struct vmmgmt_rec r;
	size_t len;
	ssize_t n;

	(void)arg;
	while (!__atomic_load_n(&reports.stop, __ATOMIC_RELAXED)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(reports.fd, buf, sizeof(buf));
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
	reports.fd = open_dev();
	reports.cmd_fd = open_dev();
	if (reports.fd < 0 || reports.cmd_fd < 0 ||
	    ioctl(reports.fd, VMMGMT_HOST_IOC_BIND, &b))
		return -errno;
	if (pthread_create(&reports.tid, NULL, reports_reader, NULL))
		return -EAGAIN;
	return 0;
}

static inline void reports_stop(void)
{
	if (reports.fd < 0)
		return;
	__atomic_store_n(&reports.stop, true, __ATOMIC_RELAXED);
	pthread_join(reports.tid, NULL);
	close(reports.fd);
	close(reports.cmd_fd);
	reports.fd = -1;
	reports.cmd_fd = -1;
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
	if (write(reports.cmd_fd, buf, sizeof(r) + n) != (ssize_t)(sizeof(r) + n))
		return -errno;
	return 0;
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
