// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the scheduling policy of a VM's vCPU threads
 * (vms/<name>/sched/), driven by a fake guest.  A child process stands in
 * for QEMU: two threads named "CPU 0/KVM" and "CPU 1/KVM" as QEMU names
 * its vCPU threads with -name ...,debug-threads=on, and one I/O thread
 * that must be left alone.  A fake VM (a sealed memfd and eventfds
 * registered with VMMGMT_HOST_IOC_ADD_VM, qemu_pid the child) posts
 * statistics samples with chosen needs and steal, hostile ones too; the
 * test reads the threads' nice values with getpriority() and the policy's
 * files.  Runs in the host VM with vmmgmt_host.ko loaded; without the
 * device the tests are skipped unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* See vmmgmt_host_vm.h: the harness trips these with -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "vmmgmt_host_util.h"

#define REGION		(64 * 1024)	/* the smallest: 16 KiB rings */
#define WAIT_MS		5000
#define ID_S		1004		/* unused by the test bed's VMs */
#define NAME_S		"t-sched"
#define MS		1000000ULL	/* ns */
#define SAMPLE_LEN	(sizeof(struct vmmgmt_stats_sample) + \
			 sizeof(struct vmmgmt_stats_cpu))
/* The module's shortest time between two changes, ms. */
#define GAP_MS		(VMMGMT_STATS_PERIOD_MIN_MS / 2)

/* ---- the fake QEMU: a child with named threads ---- */

enum { T_CPU0, T_CPU1, T_IO, NR_T };

struct fake_qemu {
	pid_t pid;
	pid_t tid[NR_T];
	int cmd;		/* write: a byte ends thread CPU 1 */
};

static int child_cmd = -1, child_tids = -1;

/* A thread of the fake QEMU: name itself, report its tid, sleep. */
static void *child_thread(void *arg)
{
	static const char * const names[NR_T] = {
		"CPU 0/KVM", "CPU 1/KVM", "IO mon_iothread",
	};
	int msg[2] = { (int)(long)arg, (int)gettid() };
	char c;

	prctl(PR_SET_NAME, names[msg[0]]);
	if (write(child_tids, msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	/* CPU 1 exits when the test writes a byte. */
	if (msg[0] == T_CPU1 && read(child_cmd, &c, 1) == 1)
		return NULL;
	for (;;)
		pause();
	return NULL;
}

/*
 * Start the fake QEMU; its threads' tids come back through a pipe.  The
 * threads start at nice @nice.
 */
static int fake_qemu_start(struct fake_qemu *q, int nice)
{
	int tids[2], cmd[2], msg[2], i;
	pthread_t th;

	if (pipe(tids) || pipe(cmd))
		return -errno;
	q->pid = fork();
	if (q->pid < 0)
		return -errno;
	if (!q->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(tids[0]);
		child_cmd = cmd[0];
		child_tids = tids[1];
		if (setpriority(PRIO_PROCESS, 0, nice))
			_exit(1);
		for (i = 0; i < NR_T; i++)
			if (pthread_create(&th, NULL, child_thread,
					   (void *)(long)i))
				_exit(1);
		for (;;)
			pause();
	}
	close(cmd[0]);
	close(tids[1]);
	q->cmd = cmd[1];
	for (i = 0; i < NR_T; i++) {
		if (read(tids[0], msg, sizeof(msg)) != sizeof(msg) ||
		    msg[0] < 0 || msg[0] >= NR_T) {
			close(tids[0]);
			return -EIO;
		}
		q->tid[msg[0]] = msg[1];
	}
	close(tids[0]);
	return 0;
}

static void fake_qemu_stop(struct fake_qemu *q)
{
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, NULL, 0);
		q->pid = 0;
	}
	if (q->cmd >= 0)
		close(q->cmd);
	q->cmd = -1;
}

/* The nice value of thread @tid, or 100 if it cannot be read. */
static int nice_of(pid_t tid)
{
	int n;

	errno = 0;
	n = getpriority(PRIO_PROCESS, tid);
	return errno ? 100 : n;
}

/* ---- the fake VM ---- */

/* A fake VM whose QEMU is @qemu; its samples are numbered from 1. */
static int sched_vm_add(int dev, struct fake_vm *f, pid_t qemu)
{
	struct vmmgmt_host_vm_add r;
	int ret;

	if (fake_vm_init(f, ID_S, NAME_S, REGION))
		return -errno;
	fake_vm_req(f, &r);
	r.qemu_pid = qemu;
	ret = add_vm(dev, &r);
	return ret ? ret : fake_vm_attach(f);
}

static __u64 sample_seq;

/*
 * Post one valid sample of a one-CPU guest over 200 ms: busy (user 90 %)
 * but @steal per-mille stolen, with needs @vcpus @urgency (@needs false:
 * no needs at all).  Values beyond the ABI's maximum make it a sample the
 * host must reject.
 */
static int post_sample(struct fake_vm *f, bool needs, __u32 vcpus,
		       __u32 urgency, __u32 steal)
{
	__u8 buf[SAMPLE_LEN];
	struct vmmgmt_stats_sample *s = (void *)buf;
	struct vmmgmt_rec r = { .len = SAMPLE_LEN, .mode = VMMGMT_MODE_STATS };
	__u64 period = 200 * MS, st = period * steal / 1000;

	memset(buf, 0, sizeof(buf));
	s->version = VMMGMT_STATS_VERSION;
	s->seq = ++sample_seq;
	s->timestamp = 1000 * MS + sample_seq * period;
	s->period = period;
	s->nr_cpus = 1;
	s->nr_cpu_entries = 1;
	s->cpu[0].user = period - st;
	s->cpu[0].steal = st;
	s->total = s->cpu[0];
	s->total.cpu = 1;
	s->runnable = 2;
	s->nr_threads = 50;
	s->mem_total = 1 << 18;
	s->mem_free = 1 << 17;
	s->mem_available = 1 << 17;
	if (needs) {
		s->flags = VMMGMT_STATS_F_NEEDS;
		s->needs.vcpus_wanted = vcpus;
		s->needs.urgency = urgency;
	}
	return fake_post(f, &r, s);
}

/* ---- sysfs ---- */

/* Write @val to sched/@attr: 0 or -errno. */
static int sched_write(const char *attr, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/" NAME_S "/sched/%s", attr);
	return vmmgmt_write_text(path, val);
}

/* A number of sched/; -1000 for "none", -1001 if unreadable. */
static long long sched_num(const char *attr)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "sched/%s", attr);
	if (vm_attr(NAME_S, path, buf, sizeof(buf)))
		return -1001;
	if (!strcmp(buf, "none"))
		return -1000;
	return atoll(buf);
}

static long long stat_num(const char *attr)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "stats/%s", attr);
	return vm_attr(NAME_S, path, buf, sizeof(buf)) ? -1 : atoll(buf);
}

/* Wait until the host handled @n samples in all (valid and rejected). */
static bool wait_handled(long long n)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		if (stat_num("samples") + stat_num("rejected") >= n)
			return true;
		vmmgmt_sleep_ms(5);
	}
	return false;
}

/* Wait until thread @tid has nice @want; its nice value in the end. */
static int wait_nice(pid_t tid, int want)
{
	int ms, n = nice_of(tid);

	for (ms = 0; ms < WAIT_MS && n != want; ms += 5) {
		vmmgmt_sleep_ms(5);
		n = nice_of(tid);
	}
	return n;
}

/*
 * Post a sample, wait until the host handled it and its work item ran
 * (score shows it), and keep the next change out of the rate limit.
 */
static bool sample_and_settle(struct fake_vm *f, bool needs, __u32 vcpus,
			      __u32 urgency, __u32 steal)
{
	long long total = stat_num("samples") + stat_num("rejected") + 1;

	if (post_sample(f, needs, vcpus, urgency, steal) || !wait_handled(total))
		return false;
	vmmgmt_sleep_ms(GAP_MS + 30);
	return true;
}

FIXTURE(sched) {
	int dev;
	struct fake_vm f;
	struct fake_qemu q;
};

FIXTURE_SETUP(sched)
{
	self->dev = -1;
	self->q.pid = 0;
	self->q.cmd = -1;
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	/*
	 * The threads start at nice 3: that is what must come back.  The
	 * child first, so that it holds no copy of the device file.
	 */
	ASSERT_EQ(0, fake_qemu_start(&self->q, 3));
	ASSERT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	self->dev = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("open " VMMGMT_HOST_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, sched_vm_add(self->dev, &self->f, self->q.pid));
}

FIXTURE_TEARDOWN(sched)
{
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->f);
	fake_qemu_stop(&self->q);
}

TEST_F(sched, defaults_and_bad_input)
{
	char buf[256];

	ASSERT_EQ(0, vm_attr(NAME_S, "sched/policy", buf, sizeof(buf)));
	EXPECT_STREQ("off", buf);
	EXPECT_EQ(0, sched_num("nice_min"));
	EXPECT_EQ(10, sched_num("nice_max"));
	EXPECT_EQ(-1000, sched_num("nice"));
	EXPECT_EQ(-1000, sched_num("target"));
	EXPECT_EQ(0, sched_num("nr_threads"));
	EXPECT_EQ(0, sched_num("adjustments"));

	EXPECT_EQ(-EINVAL, sched_write("policy", "bogus"));
	EXPECT_EQ(-EINVAL, sched_write("policy", "demandx"));
	EXPECT_EQ(-EINVAL, sched_write("nice_min", "-21"));
	EXPECT_EQ(-EINVAL, sched_write("nice_max", "20"));
	EXPECT_EQ(-EINVAL, sched_write("nice_min", "abc"));
	EXPECT_EQ(-EINVAL, sched_write("nice_max", "5x"));
	EXPECT_EQ(-EINVAL, sched_write("nice_min", "\n"));
	EXPECT_EQ(-EINVAL, sched_write("policy", "\n"));
	/* min <= max, whichever is written. */
	EXPECT_EQ(-EINVAL, sched_write("nice_min", "11"));
	EXPECT_EQ(-EINVAL, sched_write("nice_max", "-1"));
	EXPECT_EQ(0, sched_num("nice_min"));
	EXPECT_EQ(10, sched_num("nice_max"));
	EXPECT_EQ(0, sched_write("nice_min", "-20"));
	EXPECT_EQ(0, sched_write("nice_max", "19\n"));
	EXPECT_EQ(-20, sched_num("nice_min"));
	EXPECT_EQ(19, sched_num("nice_max"));
	EXPECT_EQ(0, sched_write("nice_min", "4"));
	EXPECT_EQ(0, sched_write("nice_max", "4"));
	EXPECT_EQ(-EINVAL, sched_write("nice_min", "5"));
	EXPECT_EQ(0, sched_write("policy", "observe\n"));
	ASSERT_EQ(0, vm_attr(NAME_S, "sched/policy", buf, sizeof(buf)));
	EXPECT_STREQ("observe", buf);
	/* The two vCPU threads, not the I/O thread. */
	EXPECT_EQ(2, sched_num("nr_threads"));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
}

TEST_F(sched, observe_changes_nothing)
{
	ASSERT_EQ(0, sched_write("policy", "observe"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	EXPECT_EQ(100, sched_num("score"));
	EXPECT_EQ(0, sched_num("target"));
	EXPECT_EQ(-1000, sched_num("nice"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 0, 0));
	EXPECT_EQ(0, sched_num("score"));
	EXPECT_EQ(10, sched_num("target"));
	EXPECT_EQ(0, sched_num("adjustments"));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU1]));
}

TEST_F(sched, demand_follows_needs_within_bounds)
{
	ASSERT_EQ(0, sched_write("nice_min", "-3"));
	ASSERT_EQ(0, sched_write("nice_max", "7"));
	ASSERT_EQ(0, sched_write("policy", "demand"));
	EXPECT_EQ(2, sched_num("nr_threads"));
	/* Urgent: the lower bound.  Adjustments: 1. */
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	EXPECT_EQ(-3, wait_nice(self->q.tid[T_CPU0], -3));
	EXPECT_EQ(-3, wait_nice(self->q.tid[T_CPU1], -3));
	EXPECT_EQ(-3, sched_num("nice"));
	/* The I/O thread is not a vCPU. */
	EXPECT_EQ(3, nice_of(self->q.tid[T_IO]));
	/* Nothing wanted: the upper bound. */
	ASSERT_TRUE(sample_and_settle(&self->f, true, 0, 100, 0));
	EXPECT_EQ(7, wait_nice(self->q.tid[T_CPU0], 7));
	/* No needs, 100 % busy: half of it, 50, the middle (7 - 10 / 2). */
	ASSERT_TRUE(sample_and_settle(&self->f, false, 0, 0, 0));
	EXPECT_EQ(50, sched_num("score"));
	EXPECT_EQ(2, wait_nice(self->q.tid[T_CPU1], 2));
	/*
	 * Urgency 30 and 40 % steal: 30 + 400 / 20 = 50, the same: no
	 * thread is reniced (each change so far set both vCPU threads).
	 */
	EXPECT_EQ(2 * 3, sched_num("renices"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 30, 400));
	EXPECT_EQ(50, sched_num("score"));
	EXPECT_EQ(2, nice_of(self->q.tid[T_CPU1]));
	EXPECT_EQ(2 * 3, sched_num("renices"));
	/* Urgency 10: 7 - 1. */
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 10, 0));
	EXPECT_EQ(10, sched_num("score"));
	EXPECT_EQ(6, wait_nice(self->q.tid[T_CPU0], 6));
	EXPECT_EQ((long long)sample_seq, sched_num("change_seq"));
	/* Narrower bounds move the threads at once. */
	ASSERT_EQ(0, sched_write("nice_max", "1"));
	EXPECT_EQ(1, wait_nice(self->q.tid[T_CPU0], 1));
	EXPECT_EQ(1, nice_of(self->q.tid[T_CPU1]));
	EXPECT_EQ(1, sched_num("nice"));
	EXPECT_EQ(5, sched_num("adjustments"));
	EXPECT_EQ(2 * 5, sched_num("renices"));
}

TEST_F(sched, hostile_needs_stay_in_bounds)
{
	long long adj0, clamped0, rej0, handled;
	double t0, ms;
	int i, n;

	ASSERT_EQ(0, sched_write("nice_min", "2"));
	ASSERT_EQ(0, sched_write("nice_max", "6"));
	ASSERT_EQ(0, sched_write("policy", "demand"));
	/* The most the ABI allows, and all of the time stolen. */
	clamped0 = sched_num("clamped");
	ASSERT_TRUE(sample_and_settle(&self->f, true,
				      VMMGMT_STATS_VCPUS_WANTED_MAX,
				      VMMGMT_STATS_URGENCY_MAX, 1000));
	EXPECT_EQ(2, wait_nice(self->q.tid[T_CPU0], 2));
	EXPECT_EQ(100, sched_num("score"));
	EXPECT_LT(clamped0, sched_num("clamped"));
	/* Beyond the ABI: rejected, counted, nothing moves. */
	rej0 = sched_num("rejected");
	adj0 = sched_num("adjustments");
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1,
				      VMMGMT_STATS_URGENCY_MAX + 1, 0));
	ASSERT_TRUE(sample_and_settle(&self->f, true,
				      VMMGMT_STATS_VCPUS_WANTED_MAX + 1, 0, 0));
	EXPECT_EQ(rej0 + 2, sched_num("rejected"));
	EXPECT_EQ(adj0, sched_num("adjustments"));
	EXPECT_EQ(2, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(2, nice_of(self->q.tid[T_CPU1]));

	/*
	 * A flood swinging from one end to the other: at most one change
	 * per GAP_MS, and the threads never leave the bounds.
	 */
	adj0 = sched_num("adjustments");
	handled = stat_num("samples") + stat_num("rejected");
	t0 = vmmgmt_now_ms();
	for (i = 0; i < 200; i++) {
		if (post_sample(&self->f, true, 1, i % 2 ? 100 : 0, 0))
			break;
		handled++;
		n = nice_of(self->q.tid[T_CPU0]);
		EXPECT_TRUE(n >= 2 && n <= 6) TH_LOG("nice %d", n);
		if (i % 16 == 15)
			ASSERT_TRUE(wait_handled(handled));
	}
	ASSERT_TRUE(wait_handled(handled));
	vmmgmt_sleep_ms(100);
	ms = vmmgmt_now_ms() - t0;
	TH_LOG("%d samples in %.0f ms: %lld changes, %lld held back", i, ms,
	       sched_num("adjustments") - adj0, sched_num("ratelimited"));
	EXPECT_LE(sched_num("adjustments") - adj0, 1 + (long long)(ms / GAP_MS));
	for (i = 0; i < NR_T - 1; i++) {
		n = nice_of(self->q.tid[i]);
		EXPECT_TRUE(n >= 2 && n <= 6) TH_LOG("thread %d nice %d", i, n);
	}
}

TEST_F(sched, off_restores)
{
	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	ASSERT_EQ(0, wait_nice(self->q.tid[T_CPU0], 0));
	ASSERT_EQ(0, wait_nice(self->q.tid[T_CPU1], 0));
	ASSERT_EQ(0, sched_write("policy", "off"));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU1]));
	EXPECT_EQ(0, sched_num("nr_threads"));
	EXPECT_EQ(-1000, sched_num("nice"));
	/* Off: samples change nothing. */
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	/* Observe after demand restores too. */
	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 0, 0));
	ASSERT_EQ(10, wait_nice(self->q.tid[T_CPU0], 10));
	ASSERT_EQ(0, sched_write("policy", "observe"));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU1]));
}

TEST_F(sched, vm_removal_restores)
{
	char path[128];

	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 0, 0));
	ASSERT_EQ(10, wait_nice(self->q.tid[T_CPU0], 10));
	ASSERT_EQ(10, wait_nice(self->q.tid[T_CPU1], 10));
	ASSERT_EQ(0, del_vm(self->dev, ID_S));
	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/" NAME_S);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU1]));
}

TEST_F(sched, file_release_restores)
{
	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	ASSERT_EQ(0, wait_nice(self->q.tid[T_CPU0], 0));
	/* vmmgmtd exits: its file goes, and every VM it added with it. */
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU1]));
}

TEST_F(sched, thread_exit)
{
	char buf[512];
	int i;

	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	ASSERT_EQ(0, wait_nice(self->q.tid[T_CPU1], 0));
	/* CPU 1 exits while managed. */
	ASSERT_EQ(1, write(self->q.cmd, "x", 1));
	for (i = 0; i < 500 && nice_of(self->q.tid[T_CPU1]) != 100; i++)
		vmmgmt_sleep_ms(10);
	ASSERT_EQ(100, nice_of(self->q.tid[T_CPU1]));
	ASSERT_EQ(0, vm_attr(NAME_S, "sched/threads", buf, sizeof(buf)));
	TH_LOG("threads after the exit: %s", buf);
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 0, 0));
	EXPECT_EQ(10, wait_nice(self->q.tid[T_CPU0], 10));
	EXPECT_EQ(1, sched_num("lost"));
	EXPECT_EQ(1, sched_num("nr_threads"));
	ASSERT_EQ(0, sched_write("policy", "off"));
	EXPECT_EQ(3, nice_of(self->q.tid[T_CPU0]));
}

TEST_F(sched, qemu_exit)
{
	ASSERT_EQ(0, sched_write("policy", "demand"));
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 100, 0));
	ASSERT_EQ(0, wait_nice(self->q.tid[T_CPU0], 0));
	fake_qemu_stop(&self->q);
	/* Samples keep coming from a VM whose QEMU is gone. */
	ASSERT_TRUE(sample_and_settle(&self->f, true, 1, 0, 0));
	EXPECT_EQ(0, sched_num("nr_threads"));
	EXPECT_EQ(2, sched_num("lost"));
	ASSERT_EQ(0, sched_write("policy", "off"));
}

TEST(no_vcpu_threads)
{
	struct fake_vm f = { 0 };
	char buf[256];
	int dev, nice0 = nice_of(getpid());

	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	dev = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	/* This process as QEMU: none of its threads is "CPU N/KVM". */
	ASSERT_EQ(0, sched_vm_add(dev, &f, getpid()));
	ASSERT_EQ(0, sched_write("policy", "demand"));
	EXPECT_EQ(0, sched_num("nr_threads"));
	ASSERT_TRUE(sample_and_settle(&f, true, 1, 0, 0));
	EXPECT_EQ(10, sched_num("target"));
	EXPECT_EQ(0, sched_num("adjustments"));
	EXPECT_EQ(nice0, nice_of(getpid()));
	ASSERT_EQ(0, vm_attr(NAME_S, "sched/last_reason", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "no vCPU thread")) TH_LOG("%s", buf);
	close(dev);
	fake_vm_fini(&f);
}

TEST_HARNESS_MAIN
