// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: statistics samples from guests.  A fake VM (a
 * sealed memfd and eventfds registered with VMMGMT_HOST_IOC_ADD_VM, the
 * guest's side of the rings run with lib/vmmgmt_ring.c) posts
 * %VMMGMT_MODE_STATS records; the test reads what the host made of them in
 * /sys/class/misc/vmmgmt-host/vms/<name>/stats/.  Valid samples must show
 * up value for value; hostile ones must be rejected, counted and leave
 * the latest sample and the channel alone.  Runs in the host VM with
 * vmmgmt_host.ko loaded; without the device the tests are skipped unless
 * VMMGMT_REQUIRE_DEVICE is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>

/* See vmmgmt_host_vm.h: the harness trips these with -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "vmmgmt_host_util.h"

#define REGION		(64 * 1024)	/* the smallest: 16 KiB rings */
#define WAIT_MS		5000
#define ID_S		1003		/* unused by the test bed's VMs */
#define NAME_S		"t-stats"

#define MS		1000000ULL	/* ns */
#define SAMPLE_MAX	(sizeof(struct vmmgmt_stats_sample) + \
			 VMMGMT_STATS_MAX_CPUS * sizeof(struct vmmgmt_stats_cpu))

/*
 * Post one STATS record of @len bytes to (0, 0, @port), as the guest
 * module does (with @port 0 and @flags 0).
 */
static int post_to(struct fake_vm *f, const void *s, __u32 len, __u16 flags,
		   __u32 port)
{
	struct vmmgmt_rec r = {
		.len = len, .mode = VMMGMT_MODE_STATS, .flags = flags,
		.dst = { .port = port },
	};

	return fake_post(f, &r, s);
}

static int post(struct fake_vm *f, const void *s, __u32 len, __u16 flags)
{
	return post_to(f, s, len, flags, 0);
}

static __u32 sample_len(const struct vmmgmt_stats_sample *s)
{
	return sizeof(*s) + s->nr_cpu_entries * sizeof(s->cpu[0]);
}

/*
 * A valid sample: @nr_cpus CPUs over one second, each 30 % user, 10 %
 * system, 55 % idle, 2 % iowait and 3 % steal (per-mille 300, 100, 550,
 * 20, 30); the first min(@nr_cpus, 64) of them listed.
 */
static void make_sample(struct vmmgmt_stats_sample *s, __u64 seq,
			__u32 nr_cpus)
{
	const struct vmmgmt_stats_cpu one = {
		.user = 300 * MS, .system = 100 * MS, .idle = 550 * MS,
		.iowait = 20 * MS, .steal = 30 * MS,
	};
	__u32 i;

	memset(s, 0, SAMPLE_MAX);
	s->version = VMMGMT_STATS_VERSION;
	s->flags = VMMGMT_STATS_F_PSI | VMMGMT_STATS_F_NEEDS;
	s->seq = seq;
	s->timestamp = 5000 * MS + seq * 1000 * MS;
	s->period = 1000 * MS;
	s->nr_cpus = nr_cpus;
	s->nr_cpu_entries = nr_cpus < VMMGMT_STATS_MAX_CPUS ?
			    nr_cpus : VMMGMT_STATS_MAX_CPUS;
	for (i = 0; i < s->nr_cpu_entries; i++) {
		s->cpu[i] = one;
		s->cpu[i].cpu = i;
	}
	s->total.user = one.user * nr_cpus;
	s->total.system = one.system * nr_cpus;
	s->total.idle = one.idle * nr_cpus;
	s->total.iowait = one.iowait * nr_cpus;
	s->total.steal = one.steal * nr_cpus;
	s->total.cpu = nr_cpus;
	s->runnable = 3;
	s->nr_threads = 120;
	s->load_avg[0] = 150;
	s->load_avg[1] = 100;
	s->load_avg[2] = 50;
	s->psi_some_avg10[VMMGMT_STATS_PSI_CPU] = 1234;
	s->psi_full_avg10[VMMGMT_STATS_PSI_CPU] = 0;
	s->psi_some_avg10[VMMGMT_STATS_PSI_MEMORY] = 10;
	s->psi_full_avg10[VMMGMT_STATS_PSI_MEMORY] = 5;
	s->psi_some_avg10[VMMGMT_STATS_PSI_IO] = 200;
	s->psi_full_avg10[VMMGMT_STATS_PSI_IO] = 100;
	s->mem_total = 1 << 20;
	s->mem_free = 1 << 19;
	s->mem_available = 600000;
	s->mem_cached = 100000;
	s->needs.vcpus_wanted = 2;
	s->needs.urgency = 50 + seq % 10;
}

/* A number file of stats/; -errno when it cannot be read. */
static long long stat_num(const char *attr)
{
	char path[64], buf[64];
	int ret;

	snprintf(path, sizeof(path), "stats/%s", attr);
	ret = vm_attr(NAME_S, path, buf, sizeof(buf));
	return ret ? ret : atoll(buf);
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Wait until samples + rejected reach @total. */
static bool wait_handled(long long total)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		if (stat_num("samples") + stat_num("rejected") >= total)
			return true;
		vmmgmt_sleep_ms(5);
	}
	return false;
}

/**
 * struct stats_ctx - what both fixtures hold.
 * @dev: /dev/vmmgmt-host, -1 when not open.
 * @f: the fake VM NAME_S, registered.
 * @s: room for the largest sample.
 */
struct stats_ctx {
	int dev;
	struct fake_vm f;
	struct vmmgmt_stats_sample *s;
};

/* Open the device and register the fake VM; the fixtures' set-up. */
static void ctx_setup(struct __test_metadata *_metadata, struct stats_ctx *c)
{
	c->dev = -1;
	c->s = calloc(1, SAMPLE_MAX);
	ASSERT_NE(NULL, c->s);
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	c->dev = open_dev();
	ASSERT_LE(0, c->dev) TH_LOG("open " VMMGMT_HOST_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, fake_vm_init(&c->f, ID_S, NAME_S, REGION));
	ASSERT_EQ(0, fake_vm_add(c->dev, &c->f));
}

static void ctx_teardown(struct stats_ctx *c)
{
	if (c->dev >= 0)
		close(c->dev);
	fake_vm_fini(&c->f);
	free(c->s);
}

FIXTURE(stats) {
	struct stats_ctx c;
};

FIXTURE_SETUP(stats)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(stats)
{
	ctx_teardown(&self->c);
}

TEST_F(stats, none_before_first_sample)
{
	char buf[256];

	EXPECT_EQ(0, stat_num("samples"));
	EXPECT_EQ(0, stat_num("rejected"));
	EXPECT_EQ(-ENODATA, stat_num("cpu_util"));
	EXPECT_EQ(-ENODATA, stat_num("mem_available"));
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/last_error", buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/history", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

TEST_F(stats, valid_samples_appear)
{
	struct vmmgmt_stats_sample *s = self->c.s;
	char buf[4096];
	__u64 seq;

	for (seq = 1; seq <= 3; seq++) {
		make_sample(s, seq, 2);
		ASSERT_EQ(0, post(&self->c.f, s, sample_len(s), 0));
	}
	ASSERT_TRUE(wait_handled(3));
	EXPECT_EQ(3, stat_num("samples"));
	EXPECT_EQ(0, stat_num("rejected"));
	EXPECT_EQ(3, stat_num("seq"));
	EXPECT_EQ(1000, stat_num("period_ms"));
	EXPECT_EQ(2, stat_num("nr_cpus"));
	EXPECT_EQ(400, stat_num("cpu_util"));
	EXPECT_EQ(300, stat_num("cpu_user"));
	EXPECT_EQ(100, stat_num("cpu_system"));
	EXPECT_EQ(550, stat_num("idle"));
	EXPECT_EQ(20, stat_num("iowait"));
	EXPECT_EQ(30, stat_num("steal"));
	EXPECT_EQ(3, stat_num("runnable"));
	EXPECT_EQ(120, stat_num("nr_threads"));
	EXPECT_EQ(150, stat_num("load1"));
	EXPECT_EQ(50, stat_num("load15"));
	EXPECT_EQ(1, stat_num("psi"));
	EXPECT_EQ(1234, stat_num("psi_cpu_some"));
	EXPECT_EQ(5, stat_num("psi_memory_full"));
	EXPECT_EQ(200, stat_num("psi_io_some"));
	EXPECT_EQ(1 << 20, stat_num("mem_total"));
	EXPECT_EQ(600000, stat_num("mem_available"));
	EXPECT_EQ(100000, stat_num("mem_cached"));
	EXPECT_EQ(2, stat_num("vcpus_wanted"));
	EXPECT_EQ(53, stat_num("urgency"));
	EXPECT_LE(0, stat_num("age_ms"));
	EXPECT_GT(WAIT_MS, stat_num("age_ms"));

	ASSERT_EQ(0, vm_attr(NAME_S, "stats/percpu", buf, sizeof(buf)));
	EXPECT_STREQ("0 300 100 550 20 30\n1 300 100 550 20 30", buf);
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/history", buf, sizeof(buf)));
	EXPECT_EQ(2, count_lines(buf)) TH_LOG("history: %s", buf);
	EXPECT_EQ(0, strncmp(buf, "1 ", 2)) TH_LOG("history: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "\n3 ")) TH_LOG("history: %s", buf);

	/* The channel is untouched: no violation, no answer. */
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->c.f.hdr->link_state);
	EXPECT_EQ(0, stat_num("../violations"));
	EXPECT_EQ(0, stat_num("../tx_msgs"));
}

TEST_F(stats, many_cpus_and_history_wraps)
{
	struct vmmgmt_stats_sample *s = self->c.s;
	char buf[8192];
	__u64 seq;

	for (seq = 1; seq <= 40; seq++) {
		make_sample(s, seq, 100);
		ASSERT_EQ(0, post(&self->c.f, s, sample_len(s), 0));
		/* The smallest ring holds 4 of these: let the host drain. */
		ASSERT_TRUE(wait_handled(seq));
	}
	EXPECT_EQ(40, stat_num("samples"));
	EXPECT_EQ(0, stat_num("rejected"));
	EXPECT_EQ(100, stat_num("nr_cpus"));
	EXPECT_EQ(30, stat_num("steal"));
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/percpu", buf, sizeof(buf)));
	EXPECT_EQ(VMMGMT_STATS_MAX_CPUS - 1, count_lines(buf));
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/history", buf, sizeof(buf)));
	EXPECT_EQ(31, count_lines(buf)) TH_LOG("history: %s", buf);
	EXPECT_EQ(0, strncmp(buf, "9 ", 2)) TH_LOG("history: %s", buf);
}

enum hostile_kind {
	BAD_VERSION, TOO_MANY_ENTRIES, FEW_ENTRIES, LONG_RECORD, SHORT_RECORD,
	UNKNOWN_FLAG, REC_FLAGS, REC_DST, RESERVED, SEQ_ZERO, SEQ_BACK,
	PERIOD_ZERO, PERIOD_HUGE, CPU_TIME, CPU_TIME_HUGE, TOTAL_LOW,
	CPU_ORDER, NR_CPUS_HUGE, PSI_HIGH, PSI_NO_FLAG, MEM_FREE, MEM_ZERO,
	NEEDS_HIGH, NEEDS_NO_FLAG, TASKS,
};

FIXTURE(hostile_stats) {
	struct stats_ctx c;
};

FIXTURE_VARIANT(hostile_stats) {
	enum hostile_kind kind;
	const char *error;
};

FIXTURE_VARIANT_ADD(hostile_stats, bad_version) { BAD_VERSION, "version" };
FIXTURE_VARIANT_ADD(hostile_stats, too_many_entries) {
	TOO_MANY_ENTRIES, "nr_cpu_entries" };
FIXTURE_VARIANT_ADD(hostile_stats, few_entries) {
	FEW_ENTRIES, "nr_cpu_entries" };
FIXTURE_VARIANT_ADD(hostile_stats, long_record) { LONG_RECORD, "length" };
FIXTURE_VARIANT_ADD(hostile_stats, short_record) { SHORT_RECORD, "short" };
FIXTURE_VARIANT_ADD(hostile_stats, unknown_flag) { UNKNOWN_FLAG, "flags" };
FIXTURE_VARIANT_ADD(hostile_stats, rec_flags) { REC_FLAGS, "header" };
FIXTURE_VARIANT_ADD(hostile_stats, rec_dst) { REC_DST, "header" };
FIXTURE_VARIANT_ADD(hostile_stats, reserved) { RESERVED, "reserved" };
FIXTURE_VARIANT_ADD(hostile_stats, seq_zero) { SEQ_ZERO, "seq" };
FIXTURE_VARIANT_ADD(hostile_stats, seq_back) { SEQ_BACK, "seq" };
FIXTURE_VARIANT_ADD(hostile_stats, period_zero) { PERIOD_ZERO, "period" };
FIXTURE_VARIANT_ADD(hostile_stats, period_huge) { PERIOD_HUGE, "period" };
FIXTURE_VARIANT_ADD(hostile_stats, cpu_time) { CPU_TIME, "cpu time" };
FIXTURE_VARIANT_ADD(hostile_stats, cpu_time_huge) {
	CPU_TIME_HUGE, "cpu time" };
FIXTURE_VARIANT_ADD(hostile_stats, total_low) {
	TOTAL_LOW, "cpu times above total" };
FIXTURE_VARIANT_ADD(hostile_stats, cpu_order) { CPU_ORDER, "cpu number" };
FIXTURE_VARIANT_ADD(hostile_stats, nr_cpus_huge) { NR_CPUS_HUGE, "nr_cpus" };
FIXTURE_VARIANT_ADD(hostile_stats, psi_high) { PSI_HIGH, "psi" };
FIXTURE_VARIANT_ADD(hostile_stats, psi_no_flag) { PSI_NO_FLAG, "psi" };
FIXTURE_VARIANT_ADD(hostile_stats, mem_free) { MEM_FREE, "memory" };
FIXTURE_VARIANT_ADD(hostile_stats, mem_zero) { MEM_ZERO, "memory" };
FIXTURE_VARIANT_ADD(hostile_stats, needs_high) { NEEDS_HIGH, "needs" };
FIXTURE_VARIANT_ADD(hostile_stats, needs_no_flag) { NEEDS_NO_FLAG, "needs" };
FIXTURE_VARIANT_ADD(hostile_stats, tasks) { TASKS, "tasks" };

FIXTURE_SETUP(hostile_stats)
{
	ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(hostile_stats)
{
	ctx_teardown(&self->c);
}

/* Turn the valid sample 2 of a 2-CPU guest into the variant's bad one. */
static void spoil(struct vmmgmt_stats_sample *s, enum hostile_kind kind,
		  __u32 *len, __u16 *rec_flags)
{
	*rec_flags = 0;
	switch (kind) {
	case BAD_VERSION:
		s->version = VMMGMT_STATS_VERSION + 1;
		break;
	case TOO_MANY_ENTRIES:
		/* 65 entries claimed, and the record long enough for them. */
		s->nr_cpus = VMMGMT_STATS_MAX_CPUS + 1;
		s->total.cpu = s->nr_cpus;
		s->nr_cpu_entries = VMMGMT_STATS_MAX_CPUS + 1;
		*len = sizeof(*s) + s->nr_cpu_entries * sizeof(s->cpu[0]);
		return;
	case FEW_ENTRIES:
		s->nr_cpu_entries = 1;
		break;
	case LONG_RECORD:
		*len = sample_len(s) + sizeof(s->cpu[0]);
		return;
	case SHORT_RECORD:
		*len = sizeof(*s) - 8;
		return;
	case UNKNOWN_FLAG:
		s->flags |= 0x8000;
		break;
	case REC_FLAGS:
		/* Not RESPONSE: a STATS response is an answer, not a sample. */
		*rec_flags = VMMGMT_REC_F_ERROR;
		break;
	case REC_DST:
		/* The test posts it to the echo port. */
		break;
	case RESERVED:
		s->reserved[7] = 1;
		break;
	case SEQ_ZERO:
		s->seq = 0;
		break;
	case SEQ_BACK:
		/* Sample 2 again, a little later: not newer than sample 2. */
		s->seq = 2;
		break;
	case PERIOD_ZERO:
		s->period = 0;
		break;
	case PERIOD_HUGE:
		s->period = 3600ULL * 1000 * MS;
		break;
	case CPU_TIME:
		/* One CPU busy for twice the period. */
		s->cpu[1].user = 2 * s->period;
		s->total.user += 2 * s->period;
		break;
	case CPU_TIME_HUGE:
		s->cpu[0].steal = ~0ULL;
		break;
	case TOTAL_LOW:
		s->total.steal = 0;
		break;
	case CPU_ORDER:
		s->cpu[1].cpu = 0;
		break;
	case NR_CPUS_HUGE:
		s->nr_cpus = VMMGMT_STATS_MAX_GUEST_CPUS + 1;
		break;
	case PSI_HIGH:
		s->psi_some_avg10[VMMGMT_STATS_PSI_IO] = VMMGMT_STATS_PSI_MAX + 1;
		break;
	case PSI_NO_FLAG:
		s->flags &= ~VMMGMT_STATS_F_PSI;
		break;
	case MEM_FREE:
		s->mem_free = s->mem_total + 1;
		break;
	case MEM_ZERO:
		s->mem_total = 0;
		s->mem_free = 0;
		s->mem_available = 0;
		s->mem_cached = 0;
		break;
	case NEEDS_HIGH:
		s->needs.vcpus_wanted = VMMGMT_STATS_VCPUS_WANTED_MAX + 1;
		break;
	case NEEDS_NO_FLAG:
		s->flags &= ~VMMGMT_STATS_F_NEEDS;
		break;
	case TASKS:
		s->runnable = 0xffffffff;
		break;
	}
	*len = sample_len(s);
}

TEST_F(hostile_stats, rejected_and_counted)
{
	struct vmmgmt_stats_sample *s = self->c.s;
	char buf[256];
	__u16 rec_flags;
	__u32 len;

	/* A valid sample 2 first: the later samples are checked against it. */
	make_sample(s, 2, 2);
	ASSERT_EQ(0, post(&self->c.f, s, sample_len(s), 0));
	ASSERT_TRUE(wait_handled(1));
	ASSERT_EQ(1, stat_num("samples"));

	make_sample(s, 3, 2);
	s->needs.urgency = 99;
	spoil(s, variant->kind, &len, &rec_flags);
	ASSERT_EQ(0, post_to(&self->c.f, s, len, rec_flags,
			     variant->kind == REC_DST ? VMMGMT_PORT_ECHO : 0));
	ASSERT_TRUE(wait_handled(2));
	EXPECT_EQ(1, stat_num("samples"));
	EXPECT_EQ(1, stat_num("rejected"));
	ASSERT_EQ(0, vm_attr(NAME_S, "stats/last_error", buf, sizeof(buf)));
	EXPECT_STREQ(variant->error, buf);
	/* The latest sample is still the valid one. */
	EXPECT_EQ(2, stat_num("seq"));
	EXPECT_EQ(52, stat_num("urgency"));

	/* No harm done: the channel is up and the next sample gets in. */
	make_sample(s, 4, 2);
	ASSERT_EQ(0, post(&self->c.f, s, sample_len(s), 0));
	ASSERT_TRUE(wait_handled(3));
	EXPECT_EQ(2, stat_num("samples"));
	EXPECT_EQ(1, stat_num("rejected"));
	EXPECT_EQ(4, stat_num("seq"));
	EXPECT_EQ(54, stat_num("urgency"));
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, self->c.f.hdr->link_state);
	EXPECT_EQ(0, stat_num("../violations"));
}

TEST_HARNESS_MAIN
