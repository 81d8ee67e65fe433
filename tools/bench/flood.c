// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench flood and victim: a guest that floods the host module's
 * echo service until the host stops it, and a guest that measures its
 * chat rate in the rounds the host names (the chat_flood_ figures).  The
 * host VM drives both through a bound port (--ctl-port).  Calls
 * transport.c, measure.c, stats.c and libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

/* A file bound to port in this guest, for the host's commands. */
static int open_ctl(unsigned int port)
{
	struct vmmgmt_bind b = { .port = port };
	int fd;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_IOC_BIND, &b)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * The start of flood and victim (@who): the host drives them, and stops
 * them, through a file bound to --ctl-port (the alarm bounds a lost
 * command); they measure through @c, a file connected to the echo
 * service.  Returns the control file, or -1 after a message.
 */
static int open_ctl_echo(const struct opts *o, const char *who,
			 struct conn *c)
{
	int fd, err;

	alarm(600);
	fd = open_ctl(o->ctl_port);
	if (fd < 0) {
		bench_err("%s: control port %u: %s", who, o->ctl_port,
			  strerror(-fd));
		return -1;
	}
	err = open_vmmgmt(c, VMMGMT_PORT_ECHO);
	if (err) {
		bench_err(VMMGMT_GUEST_DEV ": %s", strerror(-err));
		close(fd);
		return -1;
	}
	return fd;
}

/* The next command from the host, NUL-terminated, or -errno. */
static int read_cmd(int fd, char *buf, size_t cap)
{
	ssize_t n;

	do {
		n = read(fd, buf, cap - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static void *flood_ctl(void *arg)
{
	int fd = *(int *)arg;
	char cmd[64];

	/* Any command, or an error, ends the flood. */
	read_cmd(fd, cmd, sizeof(cmd));
	__atomic_store_n(&flood_stop, true, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * flood: 64 B messages to the host module's echo service, as fast as the
 * channel takes them (STREAM_WINDOW in flight, blocking writes), until a
 * message arrives on ctl_port.
 */
int flood_main(const struct opts *o)
{
	struct opts fo = *o;
	unsigned long msgs = 0;
	pthread_t tid;
	struct conn c;
	double t0, v;
	int fd;

	fd = open_ctl_echo(o, "flood", &c);
	if (fd < 0)
		return 1;
	if (pthread_create(&tid, NULL, flood_ctl, &fd))
		return 1;
	printf("BENCH-FLOOD start\n");
	fflush(stdout);
	fo.seconds = 550;
	t0 = vmmgmt_now_s();
	v = rate_measure(&c, SMALL, STREAM_WINDOW, ~0UL, &fo, &msgs);
	pthread_join(tid, NULL);
	printf("BENCH-FLOOD end\n");
	if (v < 0)
		return 1;
	printf("INFO flood: %lu messages of 64 B echoed in %.1f s, %.1f msg/s\n",
	       msgs, vmmgmt_now_s() - t0, v);
	close(c.fd);
	close(fd);
	return 0;
}

/* The victim's measurements, by the host's name for each. */
static const char * const victim_rounds[] = {
	"alone_quota_off", "alone_quota_on", "flood_quota_off",
	"flood_quota_on", "flood_quota_flooder",
};

/*
 * victim: after "BENCH-VICTIM ready", wait for a round's name on
 * ctl_port, measure the 64 B chat rate (STREAM_WINDOW in flight, as
 * chat_rate_64B) --rounds times and print its median and spread; "done"
 * ends it with the ratios.  The host sets the quotas and starts the
 * flooding guest between rounds.  Every ratio divides by the victim
 * alone with no quota (alone_quota_off): what the victim keeps of what
 * it gets with nobody else there and no policy in the way.
 */
int victim_main(const struct opts *o)
{
	static double rate[ARRAY_SIZE(victim_rounds)][BENCH_ROUNDS_MAX];
	bool done[ARRAY_SIZE(victim_rounds)] = { false };
	unsigned int i, r, n = o->rounds;
	unsigned long msgs;
	char cmd[64], name[96];
	struct conn c;
	int fd, err;
	double v;

	fd = open_ctl_echo(o, "victim", &c);
	if (fd < 0)
		return 1;
	for (;;) {
		printf("BENCH-VICTIM ready\n");
		fflush(stdout);
		err = read_cmd(fd, cmd, sizeof(cmd));
		if (err) {
			bench_err("victim: control port: %s", strerror(-err));
			return 1;
		}
		if (!strcmp(cmd, "done"))
			break;
		for (i = 0; i < ARRAY_SIZE(victim_rounds); i++)
			if (!strcmp(cmd, victim_rounds[i]))
				break;
		if (i == ARRAY_SIZE(victim_rounds)) {
			bench_err("victim: unknown round '%s'", cmd);
			return 1;
		}
		for (r = 0; r < n; r++) {
			v = rate_measure(&c, SMALL, STREAM_WINDOW, o->msgs, o,
					 &msgs);
			if (v < 0)
				return 1;
			rate[i][r] = v;
		}
		done[i] = true;
		snprintf(name, sizeof(name), "chat_flood_victim_rate_64B_%s",
			 victim_rounds[i]);
		figure_spread(name, "", rate[i], n, "msg/s");
	}
	close(c.fd);
	close(fd);
	/* 0 alone_quota_off, 1 alone_quota_on, 2-4 under the flood. */
	if (done[0] && done[2])
		figure_ratio("chat_flood_victim_rate_kept_quota_off", "",
			     rate[2], rate[0], n);
	if (done[0] && done[4])
		figure_ratio("chat_flood_victim_rate_kept_flooder_quota", "",
			     rate[4], rate[0], n);
	if (done[0] && done[3])
		figure_ratio("chat_flood_victim_rate_kept", "", rate[3],
			     rate[0], n);
	return 0;
}
