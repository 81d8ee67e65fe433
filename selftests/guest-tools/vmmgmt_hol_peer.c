// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_hol_peer: the two guests of the host's head-of-line test
 * (selftests/host/vmmgmt_hol_test.c; ports and texts in
 * selftests/vmmgmt_hol_proto.h).  Run by guest-init's vmmgmt.mode=hol-b
 * and hol-c.
 *
 *   vmmgmt_hol_peer b [poll]
 *	Binds HOL_B_CTL_PORT and runs the test's commands:
 *	"rate LABEL SECS": HOL_ECHO_WINDOW messages of HOL_ECHO_LEN bytes
 *	in flight to the test's echo endpoint (0:0:HOL_ECHO_PORT) for SECS
 *	seconds; reports the answers a second (after a 0.5 s warm-up).
 *	"flood VM": with streams (ABI >= 0.7) a stream to VM's
 *	HOL_C_STREAM_PORT, written until its window closes (blocking
 *	writes, or with "poll" non-blocking ones and poll() for POLLOUT
 *	while they get EAGAIN: the stream's poller then waits, not a
 *	writer); then a thread
 *	writes HOL_FLOOD_LEN-byte chat messages to VM's HOL_C_PORT, blocking
 *	(reading the error answers after each write), until a write blocks
 *	(reported by a watcher thread: "writer blocked") and returns.  Then
 *	it reports how the write returned and waits up to 2 s for the
 *	EHOSTDOWN answer the host gives held records when VM's channel
 *	breaks.  The flood runs beside further "rate" commands.
 *   vmmgmt_hol_peer c [--hold SECS]
 *	Binds HOL_C_PORT (never read) and, with streams, listens on
 *	HOL_C_STREAM_PORT and accepts every stream (never read).  Once the
 *	first message is queued on its port it reports "flooded", waits
 *	SECS (default 25) and breaks its own rings: its host-to-guest
 *	consumer index and its guest-to-host producer index far ahead, and
 *	the host's doorbell (BAR2 and BAR0 through sysfs, as
 *	vmmgmt_reset_storm; the guest boots with iomem=relaxed).  It prints
 *	"hol: c broke its ring" and sleeps until killed.
 *
 * Every report also goes to stdout, lines starting with "hol: ".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "kselftest.h"

#include "../vmmgmt_bar.h"
#include "../vmmgmt_hol_proto.h"
#include "vmmgmt_peer.h"

static int report_fd = -1;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char role = '?';
static unsigned int abi_minor;
static bool streams;
/* "poll": the stream is written without blocking, and polled. */
static bool stream_poll;

/* One report: to stdout, and to the test's endpoint as one message. */
static __printf(1, 2) void report(const char *fmt, ...)
{
	char prefix[16];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "hol: %c ", role);
	va_start(ap, fmt);
	pthread_mutex_lock(&report_lock);
	peer_vreport(report_fd, prefix, HOL_TEXT_MAX, fmt, ap);
	pthread_mutex_unlock(&report_lock);
	va_end(ap);
}

/* The guest module's ABI minor; streams from 0.7 on. */
static void find_abi(void)
{
	abi_minor = peer_abi_minor();
	streams = abi_minor >= 7;
}

/* ---- b: the echo rate ---- */

/* Print each line of @path (or of the command @cmd) as a report line. */
static void print_lines(const char *what, FILE *f)
{
	char line[300];

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		printf("hol: %c %s: %s\n", role, what, line);
	}
}

/*
 * The echo stopped answering: print what the test needs to say why, as
 * "hol: " lines on the console (the test prints them): the channel's
 * state from debugfs, and the stacks of the blocked tasks (sysrq w), from
 * the kernel log.
 */
static void dump_stall(double waited)
{
	char path[300];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int fd;

	report("stalled: no answer for %.1f s", waited);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir("/sys/kernel/debug/vmmgmt");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/vmmgmt/%s/channel",
			 de->d_name);
		f = fopen(path, "r");
		print_lines("channel", f);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "w", 1) != 1)
			printf("hol: %c sysrq: %s\n", role, strerror(errno));
		close(fd);
	}
	f = popen("dmesg | tail -n 150", "r");
	print_lines("dmesg", f);
	if (f)
		pclose(f);
	fflush(stdout);
}

static int echo_fd = -1;

/*
 * Where the guest's time goes during a round, for the test's log: the
 * guest's CPU ticks (/proc/stat: user, system, irq, softirq, idle), its
 * context switches and interrupts, and this program's own CPU time and
 * context switches (all its threads: the echo, and the flood's writers).
 */
struct guest_load {
	unsigned long long cpu[8];	/* us ni sy id io hi si st */
	unsigned long long ctxt, intr;
	struct rusage self;
};

static void guest_load_read(struct guest_load *l)
{
	char line[512];
	FILE *f;

	memset(l, 0, sizeof(*l));
	getrusage(RUSAGE_SELF, &l->self);
	f = fopen("/proc/stat", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "cpu ", 4))
			sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu",
			       &l->cpu[0], &l->cpu[1], &l->cpu[2], &l->cpu[3],
			       &l->cpu[4], &l->cpu[5], &l->cpu[6], &l->cpu[7]);
		else if (!strncmp(line, "ctxt ", 5))
			sscanf(line + 5, "%llu", &l->ctxt);
		else if (!strncmp(line, "intr ", 5))
			sscanf(line + 5, "%llu", &l->intr);
	}
	fclose(f);
}

static long long tv_ms(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1000LL +
	       (b->tv_usec - a->tv_usec) / 1000;
}

/* The difference of two readings as "key=value" text. */
static void guest_load_text(const struct guest_load *a,
			    const struct guest_load *b, char *buf, size_t len)
{
	snprintf(buf, len,
		 "ticks=%llu,%llu,%llu,%llu,%llu ctxt=%llu intr=%llu self_ms=%lld,%lld self_cs=%ld,%ld",
		 b->cpu[0] + b->cpu[1] - a->cpu[0] - a->cpu[1],
		 b->cpu[2] - a->cpu[2], b->cpu[5] - a->cpu[5],
		 b->cpu[6] - a->cpu[6], b->cpu[3] + b->cpu[4] - a->cpu[3] - a->cpu[4],
		 b->ctxt - a->ctxt, b->intr - a->intr,
		 tv_ms(&a->self.ru_utime, &b->self.ru_utime),
		 tv_ms(&a->self.ru_stime, &b->self.ru_stime),
		 b->self.ru_nvcsw - a->self.ru_nvcsw,
		 b->self.ru_nivcsw - a->self.ru_nivcsw);
}

/*
 * HOL_ECHO_WINDOW messages in flight to the test's echo endpoint for
 * @secs; the answers a second after a 0.5 s warm-up.
 */
static void measure_rate(const char *label, double secs)
{
	static __u8 buf[HOL_ECHO_LEN + 64];
	struct pollfd p = { .events = POLLIN };
	double start = vmmgmt_now_s(), warm = start + 0.5, end = start + secs;
	double last = start;
	bool dumped = false;
	unsigned long long counted = 0;
	struct guest_load l0, l1;
	unsigned int in_flight = 0;
	bool loaded = false;
	char load[128];
	int errors = 0;
	ssize_t n;

	if (echo_fd < 0)
		echo_fd = peer_open_to(VMMGMT_HOST_PEER_ID, HOL_ECHO_PORT);
	if (echo_fd < 0) {
		report("rate %s 0 msgs=0 secs=0 errors=1 (open: %s)", label,
		       strerror(errno));
		return;
	}
	p.fd = echo_fd;
	memset(buf, 'e', sizeof(buf));
	while (vmmgmt_now_s() < end) {
		while (in_flight < HOL_ECHO_WINDOW) {
			if (write(echo_fd, buf, HOL_ECHO_LEN) != HOL_ECHO_LEN) {
				errors++;
				vmmgmt_sleep_ms(10);
				break;
			}
			in_flight++;
		}
		if (poll(&p, 1, 100) <= 0) {
			if (in_flight && !dumped && vmmgmt_now_s() - last > 3) {
				dump_stall(vmmgmt_now_s() - last);
				dumped = true;
			}
			continue;
		}
		n = read(echo_fd, buf, sizeof(buf));
		if (n != HOL_ECHO_LEN) {
			errors++;
			continue;
		}
		in_flight--;
		last = vmmgmt_now_s();
		if (vmmgmt_now_s() >= warm) {
			if (!loaded) {
				guest_load_read(&l0);
				loaded = true;
			}
			counted++;
		}
	}
	secs = vmmgmt_now_s() - warm;
	guest_load_read(&l1);
	if (!loaded)
		l0 = l1;
	guest_load_text(&l0, &l1, load, sizeof(load));
	/* What is still in flight comes back before the next round. */
	while (in_flight && poll(&p, 1, 2000) > 0) {
		if (read(echo_fd, buf, sizeof(buf)) == HOL_ECHO_LEN)
			in_flight--;
		else
			errors++;
	}
	if (in_flight) {
		/* Not to be counted by the next round. */
		close(echo_fd);
		echo_fd = -1;
	}
	report("rate %s %.1f msgs=%llu secs=%.2f errors=%d %s", label,
	       secs > 0 ? counted / secs : 0.0, counted, secs, errors, load);
}

/* ---- b: the flood ---- */

static unsigned int flood_vm;
/* The stream thread, for the flood's start. */
static int stream_state;	/* __atomic: 0 connecting, 1 connected, -1 over */
static __u64 stream_since;	/* __atomic, ns; 0 when not in write() */
static unsigned long long stream_bytes;	/* __atomic */
/* The chat writer, for its watcher. */
static __u64 writer_since;	/* __atomic, ns; 0 when not in write() */
static unsigned long long writer_writes, writer_enobufs;	/* __atomic */
static bool writer_done;	/* __atomic */

/*
 * The test wedges and frees C in cycles: "pause" parks the flood's
 * threads before their next write (their blocked writes return once C
 * reads), "resume" lets them write again until they block, in cycle
 * flood.cycle (1 for the first flood).
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool paused;
	unsigned int cycle;
	unsigned int threads;	/* flood threads running */
	unsigned int parked;	/* of them, parked */
} flood = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* With flood.lock held: report the pause once every thread is parked. */
static void flood_check_paused(void)
{
	if (flood.paused && flood.parked == flood.threads)
		report("flood paused cycle=%u writes=%llu stream_bytes=%llu",
		       flood.cycle,
		       __atomic_load_n(&writer_writes, __ATOMIC_RELAXED),
		       __atomic_load_n(&stream_bytes, __ATOMIC_RELAXED));
}

/* Before each write of a flood thread: park while paused; true if it did. */
static bool flood_gate(void)
{
	bool parked = false;

	pthread_mutex_lock(&flood.lock);
	while (flood.paused) {
		if (!parked) {
			parked = true;
			flood.parked++;
			flood_check_paused();
		}
		pthread_cond_wait(&flood.cond, &flood.lock);
	}
	if (parked)
		flood.parked--;
	pthread_mutex_unlock(&flood.lock);
	return parked;
}

static bool flood_pausing(void)
{
	bool paused;

	pthread_mutex_lock(&flood.lock);
	paused = flood.paused;
	pthread_mutex_unlock(&flood.lock);
	return paused;
}

static unsigned int flood_cycle(void)
{
	unsigned int cycle;

	pthread_mutex_lock(&flood.lock);
	cycle = flood.cycle;
	pthread_mutex_unlock(&flood.lock);
	return cycle;
}

/* A flood thread ends: a pause waits for it no more. */
static void flood_thread_gone(void)
{
	pthread_mutex_lock(&flood.lock);
	flood.threads--;
	flood_check_paused();
	pthread_mutex_unlock(&flood.lock);
}

static void flood_pause(bool pause)
{
	pthread_mutex_lock(&flood.lock);
	if (pause && !flood.paused) {
		flood.paused = true;
		flood_check_paused();
	} else if (!pause && flood.paused) {
		flood.paused = false;
		flood.cycle++;
		pthread_cond_broadcast(&flood.cond);
	}
	pthread_mutex_unlock(&flood.lock);
}

/* In write() since at least HOL_BLOCKED_MS, by its start time @since. */
static bool blocked_since(const __u64 *since)
{
	__u64 t = __atomic_load_n(since, __ATOMIC_ACQUIRE);

	return t && vmmgmt_now_ns() - t >= HOL_BLOCKED_MS * 1000000ULL;
}

/*
 * One write of @len bytes to the stream @fd: blocking, or with
 * stream_poll non-blocking, waiting in poll() for POLLOUT while it gets
 * EAGAIN (after POLLERR or POLLHUP the write tells the error).
 */
static ssize_t stream_write(int fd, const void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	for (;;) {
		n = write(fd, buf, len);
		if (!stream_poll || n >= 0 || errno != EAGAIN)
			return n;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

static void *stream_thread(void *arg)
{
	static __u8 buf[HOL_STREAM_CHUNK];
	ssize_t n;
	int fd;

	(void)arg;
	fd = peer_stream_to(flood_vm, HOL_C_STREAM_PORT);
	if (fd < 0) {
		report("stream err=%d (%s)", -fd, strerror(-fd));
		__atomic_store_n(&stream_state, -1, __ATOMIC_RELEASE);
		flood_thread_gone();
		return NULL;
	}
	if (stream_poll && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		report("stream err=%d (O_NONBLOCK)", errno);
	report("stream connected poll=%d", stream_poll);
	__atomic_store_n(&stream_state, 1, __ATOMIC_RELEASE);
	memset(buf, 's', sizeof(buf));
	for (;;) {
		flood_gate();
		__atomic_store_n(&stream_since, vmmgmt_now_ns(), __ATOMIC_RELEASE);
		n = stream_write(fd, buf, sizeof(buf));
		__atomic_store_n(&stream_since, 0, __ATOMIC_RELEASE);
		if (n < 0)
			break;
		__atomic_add_fetch(&stream_bytes, n, __ATOMIC_RELAXED);
	}
	report("stream ended err=%d bytes=%llu", errno,
	       __atomic_load_n(&stream_bytes, __ATOMIC_RELAXED));
	__atomic_store_n(&stream_state, -1, __ATOMIC_RELEASE);
	flood_thread_gone();
	return NULL;
}

/* Error answers queued on @fd, counted; true if one was EHOSTDOWN. */
static bool drain_answers(int fd, unsigned long long *ehostdown,
			  unsigned long long *other)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	static __u8 buf[HOL_FLOOD_LEN];
	bool seen = false;

	while (poll(&p, 1, 0) == 1) {
		if (read(fd, buf, sizeof(buf)) >= 0) {
			(*other)++;	/* C sends nothing: unexpected */
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		if (errno == ENOBUFS) {
			__atomic_add_fetch(&writer_enobufs, 1, __ATOMIC_RELAXED);
		} else if (errno == EHOSTDOWN) {
			(*ehostdown)++;
			seen = true;
		} else {
			(*other)++;
			if (errno == ENOTCONN || errno == EPIPE)
				break;
		}
	}
	return seen;
}

/*
 * A write of the chat writer that blocked returned (after @blocked_ns),
 * with @n and @err: report it, and the answers that come within 2 s.
 * True once one of them is EHOSTDOWN.
 */
static bool after_blocked(int fd, ssize_t n, int err, __u64 blocked_ns,
			  unsigned long long *ehostdown,
			  unsigned long long *other)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	__u64 ret_t = vmmgmt_now_ns();
	bool seen = err == EHOSTDOWN;

	report("writer returned rc=%zd errno=%d blocked_ms=%.0f", n, err,
	       blocked_ns / 1e6);
	*ehostdown += seen;
	while (!seen && vmmgmt_now_ns() - ret_t < 2000000000ULL)
		if (poll(&p, 1, 20) == 1)
			seen = drain_answers(fd, ehostdown, other);
	report("writer answer errno=%d after_ms=%.0f nobufs=%llu down=%llu other=%llu",
	       seen ? EHOSTDOWN : 0, (vmmgmt_now_ns() - ret_t) / 1e6,
	       __atomic_load_n(&writer_enobufs, __ATOMIC_RELAXED), *ehostdown,
	       *other);
	return seen;
}

/*
 * Chat to C, reading the error answers after each write.  A write that
 * blocked (C congested: XOFF) and returned while the flood is paused was
 * freed by C reading; otherwise it is reported, with the answers that
 * follow within 2 s, and once one of them is EHOSTDOWN (C's channel
 * broke, the host answered what it held for C) the writer stops.
 */
static void *writer_thread(void *arg)
{
	static __u8 buf[HOL_FLOOD_LEN];
	unsigned long long ehostdown = 0, other = 0, cycle_writes = 0;
	__u64 t, ret_t;
	bool seen = false;
	int fd, err = 0;
	ssize_t n = 0;

	(void)arg;
	fd = peer_open_to(flood_vm, HOL_C_PORT);
	if (fd < 0) {
		report("writer open err=%d", errno);
		__atomic_store_n(&writer_done, true, __ATOMIC_RELEASE);
		flood_thread_gone();
		return NULL;
	}
	memset(buf, 'f', sizeof(buf));
	while (!seen) {
		if (flood_gate())
			cycle_writes = 0;
		t = vmmgmt_now_ns();
		__atomic_store_n(&writer_since, t, __ATOMIC_RELEASE);
		n = write(fd, buf, sizeof(buf));
		err = n < 0 ? errno : 0;
		__atomic_store_n(&writer_since, 0, __ATOMIC_RELEASE);
		ret_t = vmmgmt_now_ns();
		if (n >= 0) {
			__atomic_add_fetch(&writer_writes, 1, __ATOMIC_RELAXED);
			cycle_writes++;
		}
		if (ret_t - t >= HOL_BLOCKED_MS * 1000000ULL && !flood_pausing()) {
			seen = after_blocked(fd, n, err, ret_t - t, &ehostdown,
					     &other);
			continue;
		}
		if (n < 0 && err != EINTR) {
			report("writer failed errno=%d (%s) writes=%llu", err,
			       strerror(err), writer_writes);
			break;
		}
		drain_answers(fd, &ehostdown, &other);
		if (cycle_writes >= HOL_FLOOD_MAX_WRITES) {
			report("writer never-blocked cycle=%u writes=%llu enobufs=%llu",
			       flood_cycle(), writer_writes, writer_enobufs);
			break;
		}
	}
	__atomic_store_n(&writer_done, true, __ATOMIC_RELEASE);
	flood_thread_gone();
	/* The file stays open until the program ends. */
	return NULL;
}

/* Reports the first blocked write of each cycle, the writer's and the stream's. */
static void *watcher_thread(void *arg)
{
	unsigned int cycle, writer_cycle = 0, stream_cycle = 0;

	(void)arg;
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		cycle = flood_cycle();
		if (writer_cycle != cycle && blocked_since(&writer_since)) {
			report("writer blocked cycle=%u writes=%llu enobufs=%llu",
			       cycle,
			       __atomic_load_n(&writer_writes, __ATOMIC_RELAXED),
			       __atomic_load_n(&writer_enobufs, __ATOMIC_RELAXED));
			writer_cycle = cycle;
		}
		if (stream_cycle != cycle && blocked_since(&stream_since)) {
			report("stream blocked cycle=%u bytes=%llu", cycle,
			       __atomic_load_n(&stream_bytes, __ATOMIC_RELAXED));
			stream_cycle = cycle;
		}
		vmmgmt_sleep_ms(20);
	}
	return NULL;
}

static void start_flood(unsigned int vm)
{
	pthread_t s, w, m;
	double end;

	if (flood.cycle) {
		report("flood err=%d (already flooding: resume)", EALREADY);
		return;
	}
	flood_vm = vm;
	flood.cycle = 1;
	if (streams) {
		/* The stream is set up before C's ring stops taking anything. */
		flood.threads++;
		if (pthread_create(&s, NULL, stream_thread, NULL)) {
			report("stream err=%d (pthread_create)", errno);
			flood.threads--;
		} else {
			end = vmmgmt_now_s() + 15;
			while (!__atomic_load_n(&stream_state, __ATOMIC_ACQUIRE) &&
			       vmmgmt_now_s() < end)
				vmmgmt_sleep_ms(20);
			/* Until its window is closed (C reads nothing), up to 5 s. */
			end = vmmgmt_now_s() + 5;
			while (__atomic_load_n(&stream_state, __ATOMIC_ACQUIRE) == 1 &&
			       !blocked_since(&stream_since) && vmmgmt_now_s() < end)
				vmmgmt_sleep_ms(20);
		}
	}
	pthread_mutex_lock(&flood.lock);
	flood.threads++;
	pthread_mutex_unlock(&flood.lock);
	if (pthread_create(&w, NULL, writer_thread, NULL)) {
		report("writer err=%d (pthread_create)", errno);
		flood_thread_gone();
	} else if (pthread_create(&m, NULL, watcher_thread, NULL)) {
		report("watcher err=%d (pthread_create)", errno);
	}
	report("flood started");
}

/* "counters": the guest module's stream and flow counters, one report. */
static void report_counters(void)
{
	static const char * const names[] = {
		"stream_probes", "streams_reset", "streams_open", "flow_dests",
		"flow_credits", "flow_waits",
	};
	char text[HOL_TEXT_MAX], path[128], val[32];
	size_t len = 0;
	unsigned int i;

	text[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names) && len < sizeof(text); i++) {
		snprintf(path, sizeof(path), VMMGMT_GUEST_SYSFS "/%s", names[i]);
		if (vmmgmt_read_text(path, val, sizeof(val)))
			snprintf(val, sizeof(val), "?");
		len += snprintf(text + len, sizeof(text) - len, " %s=%s",
				names[i], val);
	}
	report("counters%s", text);
}

static int b_main(void)
{
	char cmd[HOL_TEXT_MAX + 1], label[32];
	unsigned int vm;
	double secs;
	int ctl, ret;

	ctl = peer_open_bound(HOL_B_CTL_PORT);
	if (ctl < 0) {
		report("FAIL bind %d: %s", HOL_B_CTL_PORT, strerror(errno));
		return 1;
	}
	report("ready abi=0.%u streams=%d", abi_minor, streams);
	for (;;) {
		ret = peer_read_cmd(ctl, cmd, sizeof(cmd), "hol: b ");
		if (ret <= 0)
			return ret ? 1 : 0;
		if (sscanf(cmd, "rate %31s %lf", label, &secs) == 2)
			measure_rate(label, secs);
		else if (sscanf(cmd, "flood %u", &vm) == 1)
			start_flood(vm);
		else if (!strcmp(cmd, "pause"))
			flood_pause(true);
		else if (!strcmp(cmd, "resume"))
			flood_pause(false);
		else if (!strcmp(cmd, "counters"))
			report_counters();
		else
			report("unknown command '%s'", cmd);
	}
}

/* ---- c ---- */

/*
 * What C reads while the test has it read (its serial line's "read"):
 * its chat port and the streams it accepted.
 */
#define C_STREAMS_MAX		8

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool reading;		/* the test's wish */
	bool parked;		/* the reader waits, reads nothing */
	int fds[1 + C_STREAMS_MAX];	/* the chat file, then the streams */
	unsigned int nr;
	unsigned long long records, bytes;
} c = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void c_add_fd(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&c.lock);
	if (c.nr < ARRAY_SIZE(c.fds))
		c.fds[c.nr++] = fd;
	pthread_mutex_unlock(&c.lock);
}

static void *accept_thread(void *arg)
{
	int lfd = *(int *)arg;
	struct vmmgmt_stream_accept a;

	for (;;) {
		memset(&a, 0, sizeof(a));
		if (ioctl(lfd, VMMGMT_IOC_STREAM_ACCEPT, &a)) {
			if (errno == EINTR)
				continue;
			printf("hol: c accept: %s\n", strerror(errno));
			return NULL;
		}
		/* Read only while the test has C read. */
		printf("hol: c accepted a stream from %u:%u:%u (fd %d)\n",
		       a.peer.host, a.peer.vm, a.peer.port, a.fd);
		fflush(stdout);
		c_add_fd(a.fd);
	}
}

/* Reads everything that arrives while c.reading, discards it. */
static void *reader_thread(void *arg)
{
	static __u8 buf[HOL_STREAM_CHUNK];
	struct pollfd p[ARRAY_SIZE(c.fds)];
	unsigned int i, k, nr;
	ssize_t n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&c.lock);
		while (!c.reading) {
			c.parked = true;
			pthread_cond_broadcast(&c.cond);
			pthread_cond_wait(&c.cond, &c.lock);
		}
		c.parked = false;
		nr = c.nr;
		for (i = 0; i < nr; i++)
			p[i] = (struct pollfd){ .fd = c.fds[i], .events = POLLIN };
		pthread_mutex_unlock(&c.lock);
		if (poll(p, nr, 50) <= 0)
			continue;
		for (i = 0; i < nr; i++) {
			if (!(p[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			for (k = 0; k < 256; k++) {
				n = read(p[i].fd, buf, sizeof(buf));
				if (n < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				if (n <= 0 && i) {
					/* A stream that ended: not polled again. */
					pthread_mutex_lock(&c.lock);
					c.fds[i] = -1;
					pthread_mutex_unlock(&c.lock);
					break;
				}
				/* The chat file's error answers are read too. */
				pthread_mutex_lock(&c.lock);
				c.records++;
				c.bytes += n > 0 ? n : 0;
				pthread_mutex_unlock(&c.lock);
			}
		}
	}
	return NULL;
}

/* The test's wish: read or not; returns once the reader has stopped. */
static void c_set_reading(bool reading)
{
	pthread_mutex_lock(&c.lock);
	c.reading = reading;
	pthread_cond_broadcast(&c.cond);
	while (!reading && !c.parked)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
}

/* The control block of ring @id, from the region header; NULL if bogus. */
static struct vmmgmt_ring_ctrl *ring_ctrl(__u8 *region, size_t region_size,
					  int id, __u32 *size)
{
	__u32 ctrl;

	ctrl = __atomic_load_n((__u32 *)(region +
		offsetof(struct vmmgmt_region_header, rings[id].ctrl_offset)),
		__ATOMIC_ACQUIRE);
	*size = __atomic_load_n((__u32 *)(region +
		offsetof(struct vmmgmt_region_header, rings[id].data_size)),
		__ATOMIC_ACQUIRE);
	if ((size_t)ctrl + sizeof(struct vmmgmt_ring_ctrl) > region_size)
		return NULL;
	return (struct vmmgmt_ring_ctrl *)(region + ctrl);
}

/*
 * Break our own channel, as the hostile test's h2g_tail and head_ahead
 * do: our consumer index of the host-to-guest ring far past the host's
 * head (the host, waiting for room there, looks at it when the doorbell
 * rings: it does not read the guest-to-host ring of a VM whose
 * host-to-guest ring is full), and our producer index of the
 * guest-to-host ring far past its tail; then the host's doorbell.
 */
static int break_ring(void)
{
	struct vmmgmt_ring_ctrl *g2h, *h2g;
	size_t region_size, regs_size;
	__u8 *region, *regs;
	__u32 g2h_size, h2g_size;
	int err;

	err = map_sysfs_bar(VMMGMT_GUEST_SYSFS "/device", 2, &region,
			    &region_size);
	if (!err)
		err = map_sysfs_bar(VMMGMT_GUEST_SYSFS "/device", 0, &regs,
				    &regs_size);
	if (err)
		return err;
	if (region_size < sizeof(struct vmmgmt_region_header) ||
	    regs_size < VMMGMT_IVSHMEM_REG_DOORBELL + 4)
		return -EINVAL;
	g2h = ring_ctrl(region, region_size, VMMGMT_RING_G2H, &g2h_size);
	h2g = ring_ctrl(region, region_size, VMMGMT_RING_H2G, &h2g_size);
	if (!g2h || !h2g)
		return -EPROTO;
	__atomic_store_n(&h2g->tail, __atomic_load_n(&h2g->head, __ATOMIC_ACQUIRE) +
			 h2g_size + 3 * VMMGMT_RING_MIN_DATA + 8, __ATOMIC_RELEASE);
	__atomic_store_n(&g2h->head, __atomic_load_n(&g2h->tail, __ATOMIC_ACQUIRE) +
			 g2h_size + 8, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n((__u32 *)(regs + VMMGMT_IVSHMEM_REG_DOORBELL),
			 (VMMGMT_HOST_PEER_ID << 16) | 0, __ATOMIC_RELEASE);
	return 0;
}

/* One command from the serial line; false to stop reading it. */
static bool c_command(const char *line)
{
	char what[16];
	unsigned int seq;
	int err;

	if (sscanf(line, "%15s %u", what, &seq) != 2) {
		printf("hol: c unknown command '%s'\n", line);
		return true;
	}
	if (!strcmp(what, "read")) {
		c_set_reading(true);
	} else if (!strcmp(what, "stop")) {
		c_set_reading(false);
	} else if (!strcmp(what, "break")) {
		c_set_reading(false);
		err = break_ring();
		/* Its own ring is broken now: the console only. */
		if (err) {
			printf("hol: c FAIL breaking its ring: %s\n", strerror(-err));
			return true;
		}
		printf("hol: c broke its ring\n");
	} else {
		printf("hol: c unknown command '%s'\n", line);
		return true;
	}
	pthread_mutex_lock(&c.lock);
	printf("hol: c %s %u done records=%llu bytes=%llu\n", what, seq,
	       c.records, c.bytes);
	pthread_mutex_unlock(&c.lock);
	fflush(stdout);
	return true;
}

/*
 * The test's commands to C come over the second serial port (its ttyS1),
 * not over vmmgmt: C's own channel is what is wedged.  One per line,
 * "WHAT SEQ", acknowledged on the console as "hol: c WHAT SEQ done".
 */
static void *tty_thread(void *arg)
{
	char line[128];
	size_t len = 0;
	struct termios t;
	ssize_t n;
	char ch;
	int fd;

	(void)arg;
	fd = open(HOL_C_TTY, O_RDWR | O_NOCTTY);
	if (fd < 0 || tcgetattr(fd, &t)) {
		printf("hol: c FAIL %s: %s\n", HOL_C_TTY, strerror(errno));
		fflush(stdout);
		return NULL;
	}
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
	for (;;) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("hol: c %s: %s\n", HOL_C_TTY,
			       n ? strerror(errno) : "end of file");
			fflush(stdout);
			return NULL;
		}
		if (ch == '\r')
			continue;
		if (ch != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = ch;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!c_command(line))
			return NULL;
	}
}

static int c_main(void)
{
	struct pollfd p = { .events = POLLIN };
	pthread_t t;
	int chat, lfd = -1;

	chat = peer_open_bound(HOL_C_PORT);
	if (chat < 0) {
		report("FAIL bind %d: %s", HOL_C_PORT, strerror(errno));
		return 1;
	}
	c_add_fd(chat);
	if (streams) {
		lfd = peer_stream_listen(HOL_C_STREAM_PORT);
		if (lfd < 0 || pthread_create(&t, NULL, accept_thread, &lfd)) {
			report("FAIL stream listen %d: %s", HOL_C_STREAM_PORT,
			       strerror(errno));
			streams = false;
		}
	}
	if (pthread_create(&t, NULL, reader_thread, NULL) ||
	    pthread_create(&t, NULL, tty_thread, NULL)) {
		report("FAIL pthread_create: %s", strerror(errno));
		return 1;
	}
	report("ready abi=0.%u streams=%d", abi_minor, streams);
	p.fd = chat;
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	report("flooded");
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || strlen(argv[1]) != 1)
		goto usage;
	role = argv[1][0];
	if (argc == 3) {
		if (strcmp(argv[2], "poll"))
			goto usage;
		stream_poll = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_abi();
	report_fd = peer_open_to(VMMGMT_HOST_PEER_ID, HOL_REPORT_PORT);
	if (report_fd < 0)
		printf("hol: %c no report file: %s\n", role, strerror(errno));
	/* a: the control, measures its rate as b does, floods nothing. */
	if (role == 'b' || role == 'a')
		return b_main();
	if (role == 'c')
		return c_main();
usage:
	fprintf(stderr, "Usage: %s a | b [poll] | c\n", argv[0]);
	return 2;
}
