// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench: the measurements on one connection: the echo rate with a
 * window of messages in flight (a writer thread, the caller reads), the
 * round-trip percentiles.  Calls transport.c and libc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/*
 * Every message carries its sequence number in its first 8 bytes (when it
 * has that many): an answer that is lost, repeated or out of order stops
 * the run with an error instead of being counted.
 */
static void stamp(unsigned char *buf, size_t len, uint64_t seq)
{
	if (len >= sizeof(seq))
		memcpy(buf, &seq, sizeof(seq));
}

static int check_answer(const unsigned char *buf, ssize_t n, size_t len,
			uint64_t seq, char *err, size_t errlen)
{
	uint64_t got;

	if (n < 0) {
		snprintf(err, errlen, "answer %llu: %s",
			 (unsigned long long)seq, strerror((int)-n));
		return -1;
	}
	if ((size_t)n != len) {
		snprintf(err, errlen, "answer %llu: %zd bytes, want %zu",
			 (unsigned long long)seq, n, len);
		return -1;
	}
	if (len >= sizeof(got)) {
		memcpy(&got, buf, sizeof(got));
		if (got != seq) {
			snprintf(err, errlen, "answer %llu carries sequence number %llu",
				 (unsigned long long)seq, (unsigned long long)got);
			return -1;
		}
	}
	return 0;
}

struct rate_run {
	const struct conn *c;
	size_t len;
	unsigned int window;
	unsigned long max_msgs;
	double seconds;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long sent, got;
	bool writer_done, failed;
	char err[160];
};

static void rate_fail(struct rate_run *r, const char *msg)
{
	pthread_mutex_lock(&r->lock);
	if (!r->failed) {
		r->failed = true;
		snprintf(r->err, sizeof(r->err), "%s", msg);
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Set by the flood's control thread: writers stop sending. */
bool flood_stop;

/* Writer: keep up to window messages in flight until time or count is up. */
static void *rate_writer(void *arg)
{
	struct rate_run *r = arg;
	unsigned char *buf = calloc(1, r->len);
	double end = vmmgmt_now_s() + r->seconds;
	unsigned long seq;
	char msg[160];
	int err;

	if (!buf) {
		rate_fail(r, "out of memory");
		return NULL;
	}
	for (seq = 0; seq < r->max_msgs && vmmgmt_now_s() < end &&
	     !__atomic_load_n(&flood_stop, __ATOMIC_RELAXED); seq++) {
		pthread_mutex_lock(&r->lock);
		while (!r->failed && r->sent - r->got >= r->window)
			pthread_cond_wait(&r->cond, &r->lock);
		pthread_mutex_unlock(&r->lock);
		if (r->failed)
			break;
		stamp(buf, r->len, seq);
		err = msg_send(r->c, buf, r->len);
		if (err) {
			snprintf(msg, sizeof(msg), "send %lu: %s", seq,
				 strerror(-err));
			rate_fail(r, msg);
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->sent++;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->writer_done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	free(buf);
	return NULL;
}

/*
 * Reader: every answer the writer asked for.  Returns the messages echoed
 * per second from the first send to the last answer, or -1.
 */
double rate_measure(const struct conn *c, size_t len,
		    unsigned int window, unsigned long max_msgs,
		    const struct opts *o, unsigned long *msgs)
{
	struct rate_run r = {
		.c = c, .len = len, .window = window,
		.max_msgs = max_msgs, .seconds = o->seconds,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	unsigned char *buf = malloc(len + 1);
	double t0, t1;
	pthread_t tid;
	char err[160];
	ssize_t n;

	if (!buf)
		return -1;
	t0 = vmmgmt_now_s();
	if (pthread_create(&tid, NULL, rate_writer, &r)) {
		free(buf);
		return -1;
	}
	for (;;) {
		pthread_mutex_lock(&r.lock);
		while (!r.failed && r.got == r.sent && !r.writer_done)
			pthread_cond_wait(&r.cond, &r.lock);
		if (r.failed || (r.writer_done && r.got == r.sent)) {
			pthread_mutex_unlock(&r.lock);
			break;
		}
		pthread_mutex_unlock(&r.lock);
		n = msg_recv(c, buf, len + 1);
		if (check_answer(buf, n, len, r.got, err, sizeof(err))) {
			rate_fail(&r, err);
			break;
		}
		pthread_mutex_lock(&r.lock);
		r.got++;
		pthread_cond_broadcast(&r.cond);
		pthread_mutex_unlock(&r.lock);
	}
	t1 = vmmgmt_now_s();
	pthread_join(tid, NULL);
	free(buf);
	if (r.failed) {
		bench_err("%s echo, %zu bytes: %s", kind_names[c->kind], len,
			  r.err);
		return -1;
	}
	if (!r.got || t1 <= t0) {
		bench_err("%s echo, %zu bytes: no message echoed",
			  kind_names[c->kind], len);
		return -1;
	}
	*msgs = r.got;
	return r.got / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sample p (0..100) of n sorted samples: nearest rank. */
static double percentile(const double *s, unsigned long n, unsigned int p)
{
	unsigned long rank = (n * p + 99) / 100;

	return s[rank ? rank - 1 : 0];
}

/*
 * Round trips of 64 B messages one at a time: @samples of them, but no
 * more than @seconds long once 100 are taken.  Fills p50 and p99 in
 * microseconds.
 */
int rtt_measure(const struct conn *c, const char *suffix,
		unsigned long samples, double seconds, double *p50,
		double *p99)
{
	unsigned char out[SMALL] = { 0 }, in[SMALL + 1];
	double *s = calloc(samples, sizeof(*s));
	double end = vmmgmt_now_s() + seconds, t0;
	unsigned long i;
	char err[160];
	ssize_t n;
	int ret;

	if (!s)
		return -1;
	for (i = 0; i < samples && (i < 100 || vmmgmt_now_s() < end); i++) {
		stamp(out, sizeof(out), i);
		t0 = vmmgmt_now_s();
		ret = msg_send(c, out, sizeof(out));
		if (ret) {
			bench_err("%s round trip %lu: send: %s",
				  kind_names[c->kind], i, strerror(-ret));
			free(s);
			return -1;
		}
		n = msg_recv(c, in, sizeof(in));
		s[i] = (vmmgmt_now_s() - t0) * 1e6;
		if (check_answer(in, n, sizeof(out), i, err, sizeof(err))) {
			bench_err("%s round trip: %s", kind_names[c->kind], err);
			free(s);
			return -1;
		}
	}
	qsort(s, i, sizeof(*s), cmp_double);
	*p50 = percentile(s, i, 50);
	*p99 = percentile(s, i, 99);
	printf("INFO round trips%s (%s): %lu samples, min %.1f us, max %.1f us\n",
	       suffix, kind_names[c->kind], i, s[0], s[i - 1]);
	free(s);
	return 0;
}
