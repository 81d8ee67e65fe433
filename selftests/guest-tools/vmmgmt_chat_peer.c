// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_chat_peer: one guest of the host's chat exchange test
 * (selftests/host/vmmgmt_chat_test.c; the format is in
 * selftests/vmmgmt_chat_proto.h).  Run by the guest's vmmgmt.mode=chat
 * (scripts/vm/guest-init).
 *
 * It binds a /dev/vmmgmt file to CHAT_PORT, publishes its VM name (chat-a,
 * ...) as a name there and waits for the host's CHAT_START.  Then a
 * thread sends its pairwise messages to each other participant (one
 * connected file each), while the main thread reads: it checks every
 * message (frame, checksum, content, the source the host stamped, and
 * the order of each stream: no gap, no repeat) and forwards ring
 * messages to the next participant.  Once everything expected is in and
 * sent it tells the host (CHAT_DONE), keeps reading (anything more is
 * counted as extra) until CHAT_STOP, answers CHAT_REPORT and exits: 0 if
 * it saw no error, 1 otherwise.  Lines start with "chat: ".
 *
 * Usage: vmmgmt_chat_peer --name VM [--timeout SECS]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "kselftest.h"

#include "../vmmgmt_chat_proto.h"

#define MSG_BUF			(sizeof(struct chat_hdr) + CHAT_LARGE_MAX)
#define MAX_ERR_LINES		10
#define PROGRESS_SECS		10

static struct chat_start start;
static unsigned int self;
static int tx_fd[CHAT_PEERS];	/* connected to each other participant */
static int fwd_fd;		/* connected to the next one in the ring */
static int sender_err;		/* __atomic */
static unsigned long long pair_sent;

static __printf(1, 2) void chat_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("chat: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* A file whose write() goes to (0, @vm, @port); fd or -errno (errno set). */
static int open_to(unsigned int vm, unsigned int port)
{
	struct vmmgmt_addr a = { .vm = vm, .port = port };

	return vmmgmt_open_ioctl(VMMGMT_GUEST_DEV, VMMGMT_IOC_CONNECT, &a);
}

static int send_msg(int fd, const void *msg, size_t len)
{
	ssize_t n = write(fd, msg, len);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* The pairwise sender: message k to each other participant in turn. */
static void *pair_sender(void *arg)
{
	static __u8 msg[MSG_BUF];
	unsigned int j;
	__u32 k;
	size_t len;
	int ret;

	(void)arg;
	for (k = 0; k < start.pair_msgs; k++)
		for (j = 0; j < CHAT_PEERS; j++) {
			if (j == self)
				continue;
			len = chat_data_build(msg, CHAT_PAIR, self, j, k, self, k);
			ret = send_msg(tx_fd[j], msg, len);
			if (ret) {
				chat_info("FAIL pairwise write %u to %u: %s\n", k, j,
					  strerror(-ret));
				__atomic_store_n(&sender_err, -ret, __ATOMIC_RELAXED);
				return NULL;
			}
			__atomic_add_fetch(&pair_sent, 1, __ATOMIC_RELAXED);
		}
	return NULL;
}

/*
 * Ring messages on their way to the next participant.  The reader never
 * writes: a reader blocked in write() while its VM's ring waits for a
 * peer that waits for it would close a cycle.  The host keeps at most
 * CHAT_RING_WINDOW of them in flight, so FWD_SLOTS is never reached.
 */
#define FWD_SLOTS		(2 * CHAT_RING_WINDOW)
static struct {
	size_t len;
	__u8 msg[MSG_BUF];
} fwd_q[FWD_SLOTS];
static unsigned int fwd_head, fwd_tail;	/* under fwd_lock */
static bool fwd_end;
static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fwd_cond = PTHREAD_COND_INITIALIZER;
static unsigned long long ring_fwd;	/* __atomic */
static int fwd_err;			/* __atomic */

/* Queue a ring message for the forwarder; false if the queue is full. */
static bool fwd_push(const void *msg, size_t len)
{
	bool ok;

	pthread_mutex_lock(&fwd_lock);
	ok = fwd_head - fwd_tail < FWD_SLOTS;
	if (ok) {
		memcpy(fwd_q[fwd_head % FWD_SLOTS].msg, msg, len);
		fwd_q[fwd_head % FWD_SLOTS].len = len;
		fwd_head++;
		pthread_cond_signal(&fwd_cond);
	}
	pthread_mutex_unlock(&fwd_lock);
	return ok;
}

/* The forwarder: ring messages to the next participant, in order. */
static void *forwarder(void *arg)
{
	static __u8 msg[MSG_BUF];
	struct chat_hdr *h = (struct chat_hdr *)msg;
	size_t len;
	int ret;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&fwd_lock);
		while (fwd_head == fwd_tail && !fwd_end)
			pthread_cond_wait(&fwd_cond, &fwd_lock);
		if (fwd_head == fwd_tail) {
			pthread_mutex_unlock(&fwd_lock);
			return NULL;
		}
		len = fwd_q[fwd_tail % FWD_SLOTS].len;
		memcpy(msg, fwd_q[fwd_tail % FWD_SLOTS].msg, len);
		fwd_tail++;
		pthread_mutex_unlock(&fwd_lock);

		/* As it came: same origin, payload, checksum. */
		h->from = self;
		h->to = (self + 1) % CHAT_PEERS;
		h->seq = __atomic_load_n(&ring_fwd, __ATOMIC_RELAXED);
		ret = send_msg(fwd_fd, msg, len);
		if (ret) {
			chat_info("FAIL forward %llu: %s\n",
				  (unsigned long long)h->seq, strerror(-ret));
			__atomic_store_n(&fwd_err, -ret, __ATOMIC_RELAXED);
			return NULL;
		}
		__atomic_add_fetch(&ring_fwd, 1, __ATOMIC_RELAXED);
	}
}

/* Error answers the host queued on the sending files (none expected). */
static unsigned long long queued_answers(void)
{
	unsigned long long n = 0;
	struct pollfd p;
	unsigned int j;
	__u8 buf[64];

	for (j = 0; j <= CHAT_PEERS; j++) {
		p.fd = j < CHAT_PEERS ? tx_fd[j] : fwd_fd;
		p.events = POLLIN;
		if (p.fd < 0)
			continue;
		while (poll(&p, 1, 0) == 1) {
			n++;
			if (read(p.fd, buf, sizeof(buf)) < 0)
				chat_info("answer on a sending file: %s\n", strerror(errno));
			if (n > 100)
				break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static __u8 msg[MSG_BUF], scratch[CHAT_LARGE_MAX];
	__u64 ring_expect = 0, pair_expect[CHAT_PEERS] = { 0 };
	__u64 ctrl_seen[CHAT_TYPES] = { 0 };
	struct vmmgmt_bind b = { .port = CHAT_PORT };
	struct chat_hdr *h = (struct chat_hdr *)msg;
	struct chat_report rep = { 0 };
	struct vmmgmt_name nm = { 0 };
	struct vmmgmt_addr src;
	const char *why, *bad, *name = NULL;
	unsigned int timeout = 900, j, next, err_lines = 0;
	bool started = false, done = false, stopped = false, frame_ok;
	double last = vmmgmt_now_s();
	pthread_t sender, fwd_thread;
	size_t len;
	ssize_t n;
	int fd, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 't':
			timeout = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: vmmgmt_chat_peer --name VM [--timeout SECS]\n");
			return 2;
		}
	}
	if (!name) {
		fprintf(stderr, "usage: vmmgmt_chat_peer --name VM [--timeout SECS]\n");
		return 2;
	}
	/* A host that never says STOP must not keep the guest forever. */
	alarm(timeout);
	for (j = 0; j < CHAT_PEERS; j++)
		tx_fd[j] = -1;
	fwd_fd = -1;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, VMMGMT_IOC_BIND, &b)) {
		chat_info("FAIL open/bind %s port %u: %s\n", VMMGMT_GUEST_DEV, CHAT_PORT,
			  strerror(errno));
		return 1;
	}
	snprintf((char *)nm.name, sizeof(nm.name), "%s", name);
	if (ioctl(fd, VMMGMT_IOC_PUBLISH, &nm)) {
		chat_info("FAIL publish %s: %s\n", nm.name, strerror(errno));
		return 1;
	}
	chat_info("ready on port %u as %s\n", b.port, nm.name);

	while (!stopped) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* Wake up now and then: the sender may finish last. */
		c = poll(&p, 1, 200);
		if (c == 0)
			goto check_done;
		n = c < 0 ? -1 : read(fd, msg, sizeof(msg));
		if (n < 0) {
			chat_info("FAIL read: %s\n", strerror(errno));
			rep.errors++;
			break;
		}
		why = chat_check_frame(msg, n, started ? self : h->to);
		if (!why && ioctl(fd, VMMGMT_IOC_LAST_SRC, &src))
			why = "VMMGMT_IOC_LAST_SRC failed";
		if (!why && (!started ? src.vm != 0 : src.vm != start.ids[h->from]))
			why = "the host's source is not the sender's VM";
		if (!why && !started && h->type != CHAT_START)
			why = "data before CHAT_START";
		/*
		 * The stream position of a data message with a bad payload is
		 * still checked (and a ring message still forwarded, so that
		 * every hop sees it); a bad control message is dropped.
		 */
		frame_ok = !why;
		bad = frame_ok ? chat_check_content(msg, scratch) : NULL;
		if (bad && h->type != CHAT_RING && h->type != CHAT_PAIR) {
			why = bad;
			bad = NULL;
		}
		if (!why) {
			switch (h->type) {
			case CHAT_START:
				if (started || h->len != sizeof(start)) {
					why = "a second or malformed CHAT_START";
					break;
				}
				memcpy(&start, msg + sizeof(*h), sizeof(start));
				self = start.self;
				if (self < 1 || self >= CHAT_PEERS || h->to != self) {
					why = "bad index in CHAT_START";
					break;
				}
				break;
			case CHAT_RING:
				if (h->from != self - 1 || h->origin != 0 ||
				    h->seq != ring_expect || h->gen_seq != ring_expect)
					why = "ring message out of order";
				ring_expect = h->seq + 1;
				rep.ring_in++;
				break;
			case CHAT_PAIR:
				if (h->origin != h->from || h->gen_seq != h->seq ||
				    h->seq != pair_expect[h->from])
					why = "pairwise message out of order";
				pair_expect[h->from] = h->seq + 1;
				rep.pair_in[h->from]++;
				break;
			case CHAT_STOP:
				if (h->from != 0)
					why = "CHAT_STOP not from the host";
				stopped = true;
				break;
			default:
				why = "unexpected control message";
			}
			if (h->type < CHAT_TYPES && h->type != CHAT_RING &&
			    h->type != CHAT_PAIR && ctrl_seen[h->type]++ &&
			    !why)
				why = "a control message twice";
		}
		if (!why)
			why = bad;
		if (why) {
			rep.errors++;
			if (err_lines++ < MAX_ERR_LINES)
				chat_info("ERROR %s: type %u from %u to %u seq %llu gen_seq %llu len %u (%zd bytes, src vm %u)\n",
					  why, h->type, h->from, h->to,
					  (unsigned long long)h->seq,
					  (unsigned long long)h->gen_seq, h->len, n,
					  src.vm);
		}
		if (done && (h->type == CHAT_RING || h->type == CHAT_PAIR))
			rep.extra++;

		if (h->type == CHAT_START && !started && !why) {
			started = true;
			next = (self + 1) % CHAT_PEERS;
			for (j = 0; j < CHAT_PEERS; j++) {
				if (j == self)
					continue;
				tx_fd[j] = open_to(start.ids[j], CHAT_PORT);
				if (tx_fd[j] < 0)
					break;
			}
			fwd_fd = open_to(start.ids[next], CHAT_PORT);
			if (j < CHAT_PEERS || fwd_fd < 0) {
				chat_info("FAIL open/connect: %s\n", strerror(errno));
				return 1;
			}
			chat_info("start: participant %u of ids %u %u %u %u, ring %u, pairwise %u to each\n",
				  self, start.ids[0], start.ids[1], start.ids[2],
				  start.ids[3], start.ring_msgs, start.pair_msgs);
			if (pthread_create(&fwd_thread, NULL, forwarder, NULL) ||
			    pthread_create(&sender, NULL, pair_sender, NULL)) {
				chat_info("FAIL pthread_create\n");
				return 1;
			}
		} else if (h->type == CHAT_RING && started && frame_ok &&
			   !fwd_push(msg, n)) {
			chat_info("FAIL more than %u ring messages in flight\n",
				  FWD_SLOTS);
			rep.errors++;
			break;
		}

check_done:
		if (started && !done) {
			bool all = __atomic_load_n(&ring_fwd, __ATOMIC_RELAXED) >=
				   start.ring_msgs &&
				   __atomic_load_n(&pair_sent, __ATOMIC_RELAXED) ==
				   3ull * start.pair_msgs;

			for (j = 0; j < CHAT_PEERS; j++)
				if (j != self && rep.pair_in[j] < start.pair_msgs)
					all = false;
			if (all) {
				done = true;
				len = chat_ctrl_build(msg, CHAT_DONE, self, 0, NULL, 0);
				if (send_msg(tx_fd[0], msg, len)) {
					chat_info("FAIL send CHAT_DONE\n");
					rep.errors++;
					break;
				}
				chat_info("done: ring %llu in, %llu forwarded; pairwise %llu sent, %llu %llu %llu %llu in; %llu errors\n",
					  (unsigned long long)rep.ring_in,
					  (unsigned long long)ring_fwd,
					  (unsigned long long)pair_sent,
					  (unsigned long long)rep.pair_in[0],
					  (unsigned long long)rep.pair_in[1],
					  (unsigned long long)rep.pair_in[2],
					  (unsigned long long)rep.pair_in[3],
					  (unsigned long long)rep.errors);
			}
		}
		if (started && vmmgmt_now_s() - last >= PROGRESS_SECS) {
			last = vmmgmt_now_s();
			chat_info("progress: ring %llu in; pairwise %llu sent, %llu %llu %llu %llu in\n",
				  (unsigned long long)rep.ring_in,
				  (unsigned long long)__atomic_load_n(&pair_sent, __ATOMIC_RELAXED),
				  (unsigned long long)rep.pair_in[0],
				  (unsigned long long)rep.pair_in[1],
				  (unsigned long long)rep.pair_in[2],
				  (unsigned long long)rep.pair_in[3]);
		}
		/* The sender thread died: the messages it did not send never come. */
		if ((__atomic_load_n(&sender_err, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&fwd_err, __ATOMIC_RELAXED)) &&
		    !stopped && !done) {
			rep.errors++;
			break;
		}
	}
	if (!started)
		return 1;
	pthread_join(sender, NULL);
	pthread_mutex_lock(&fwd_lock);
	fwd_end = true;
	pthread_cond_signal(&fwd_cond);
	pthread_mutex_unlock(&fwd_lock);
	pthread_join(fwd_thread, NULL);
	rep.ring_fwd = ring_fwd;
	rep.pair_sent = pair_sent;
	rep.answers = queued_answers();
	len = chat_ctrl_build(msg, CHAT_REPORT, self, 0, &rep, sizeof(rep));
	if (send_msg(tx_fd[0], msg, len)) {
		chat_info("FAIL send CHAT_REPORT: %s\n", strerror(errno));
		return 1;
	}
	chat_info("report: ring %llu in, %llu forwarded; pairwise %llu sent, %llu %llu %llu %llu in; %llu errors, %llu extra, %llu error answers\n",
		  (unsigned long long)rep.ring_in, (unsigned long long)rep.ring_fwd,
		  (unsigned long long)rep.pair_sent,
		  (unsigned long long)rep.pair_in[0],
		  (unsigned long long)rep.pair_in[1],
		  (unsigned long long)rep.pair_in[2],
		  (unsigned long long)rep.pair_in[3],
		  (unsigned long long)rep.errors, (unsigned long long)rep.extra,
		  (unsigned long long)rep.answers);
	return stopped && !rep.errors && !rep.extra && !rep.answers ? 0 : 1;
}
