// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the scheduling policy of a VM's vCPU threads.
 *
 * The host administrator chooses per VM, in
 * /sys/class/misc/vmmgmt-host/vms/<name>/sched/, a policy (off, observe,
 * demand) and bounds (nice_min..nice_max).  With a policy on, every
 * statistics sample of the VM (vmmgmt_host_stats.c) is handed here by
 * the VM's worker, which only copies what the policy uses and queues a
 * work item; the work item, in process context, maps the guest's demand
 * (its needs and steal) to a nice value within the bounds and, under the
 * demand policy, sets it on the VM's vCPU threads: the threads of the
 * QEMU process vmmgmtd registered that are named "CPU N/KVM" (QEMU names
 * them so with -name NAME,debug-threads=on).  The guest is hostile: its
 * values only ever move the nice value within the bounds; samples are
 * coalesced, so that at most one change follows one sample, and changes
 * are at least %VMMGMT_HOST_SCHED_GAP_NS apart; a scan looks at no more
 * than %VMMGMT_HOST_SCHED_SCAN_MAX threads, at most once a second.
 * Switching the policy off or to observe, and removing the VM (or
 * unloading the module, which removes every VM first), give each thread
 * its nice value from before.  See Documentation/sched.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/* Default bounds: demand can only lower a VM below the host's default. */
#define VMMGMT_HOST_SCHED_NICE_MIN	0
#define VMMGMT_HOST_SCHED_NICE_MAX	10
/* Shortest time between two changes (ns): half the shortest period. */
#define VMMGMT_HOST_SCHED_GAP_NS \
	((u64)VMMGMT_STATS_PERIOD_MIN_MS / 2 * NSEC_PER_MSEC)
/* Shortest time between two scans of QEMU's threads (ns). */
#define VMMGMT_HOST_SCHED_RESCAN_NS	NSEC_PER_SEC
/* The largest score; the scale of urgency. */
#define VMMGMT_HOST_SCHED_SCORE_MAX	100U

static const char * const vmmgmt_host_sched_names[] = {
	[VMMGMT_HOST_SCHED_OFF] = "off",
	[VMMGMT_HOST_SCHED_OBSERVE] = "observe",
	[VMMGMT_HOST_SCHED_DEMAND] = "demand",
};

/**
 * vmmgmt_host_sched_score() - the demand score of one sample.
 * @in: the sample's values (checked by vmmgmt_host_stats_check()).
 * @clamped: set when the guest asked for more than the scale holds.
 *
 * With needs, the demand is the urgency when the guest wants at least one
 * vCPU, else 0; without needs it is half the guest's CPU use (a busy
 * guest that said nothing lands in the middle).  A guest that wants CPU
 * adds a twentieth of its steal (per-mille, so up to 50): time the host
 * did not give it.  The sum is clamped to 0..100; it counts as clamped
 * too when the guest wants more vCPUs than it has.
 *
 * Context: any.
 * Return: the score, 0 (no demand) .. 100.
 */
u32 vmmgmt_host_sched_score(const struct vmmgmt_host_sched_input *in,
			    bool *clamped)
{
	u32 demand, raw;

	if (in->needs)
		demand = in->vcpus_wanted ? min(in->urgency, 1000U) : 0;
	else
		demand = min(in->cpu_util, 1000U) / 20;
	raw = demand;
	if (demand)
		raw += min(in->steal, 1000U) / 20;
	*clamped = raw > VMMGMT_HOST_SCHED_SCORE_MAX ||
		   (in->needs && in->vcpus_wanted > in->nr_cpus);
	return min(raw, VMMGMT_HOST_SCHED_SCORE_MAX);
}

/**
 * vmmgmt_host_sched_nice() - the nice value for a score.
 * @nice_min: the lower bound (most CPU), -20..19.
 * @nice_max: the upper bound (least CPU), @nice_min..19.
 * @score: 0..100; larger values count as 100.
 *
 * Score 0 gives @nice_max, score 100 @nice_min, linear in between.
 *
 * Context: any.
 * Return: a nice value within [@nice_min, @nice_max].
 */
int vmmgmt_host_sched_nice(int nice_min, int nice_max, u32 score)
{
	int span = nice_max - nice_min;

	score = min(score, VMMGMT_HOST_SCHED_SCORE_MAX);
	if (span < 0)
		return nice_max;
	return clamp(nice_max - DIV_ROUND_CLOSEST(span * (int)score,
						  (int)VMMGMT_HOST_SCHED_SCORE_MAX),
		     nice_min, nice_max);
}

/* "CPU N/KVM", QEMU's name for a vCPU thread: N in @vcpu. */
static bool vmmgmt_host_sched_vcpu_name(const char *comm, u32 *vcpu)
{
	const char *p = comm + 4;
	u32 n = 0;

	if (strncmp(comm, "CPU ", 4) || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > 99999)
			return false;
		n = n * 10 + (*p - '0');
	}
	if (strcmp(p, "/KVM"))
		return false;
	*vcpu = n;
	return true;
}

static bool vmmgmt_host_sched_have(const struct vmmgmt_host_sched *sc,
				   struct pid *pid)
{
	u32 i;

	for (i = 0; i < sc->nr_threads; i++)
		if (sc->threads[i].pid == pid)
			return true;
	return false;
}

/*
 * Add QEMU's vCPU threads that are not managed yet, each with its nice
 * value now as the one to restore.  Under RCU: QEMU and its threads may
 * exit meanwhile; a reference to each thread's pid is taken.
 */
static void vmmgmt_host_sched_scan(struct vmmgmt_host_sched *sc)
{
	struct task_struct *qemu, *t;
	char comm[TASK_COMM_LEN];
	u32 seen = 0, vcpu;

	lockdep_assert_held(&sc->lock);
	sc->scan_ns = ktime_get_ns();
	if (!sc->qemu)
		return;
	rcu_read_lock();
	qemu = pid_task(sc->qemu, PIDTYPE_TGID);
	if (qemu && !(qemu->flags & PF_KTHREAD)) {
		for_each_thread(qemu, t) {
			struct vmmgmt_host_sched_thread *th;
			struct pid *pid;

			if (++seen > VMMGMT_HOST_SCHED_SCAN_MAX ||
			    sc->nr_threads >= VMMGMT_HOST_SCHED_THREADS)
				break;
			if (t->flags & PF_EXITING)
				continue;
			__get_task_comm(comm, sizeof(comm), t);
			if (!vmmgmt_host_sched_vcpu_name(comm, &vcpu))
				continue;
			pid = task_pid(t);
			if (!pid || vmmgmt_host_sched_have(sc, pid))
				continue;
			th = &sc->threads[sc->nr_threads++];
			th->pid = get_pid(pid);
			th->vcpu = vcpu;
			th->orig_nice = task_nice(t);
		}
	}
	rcu_read_unlock();
}

static void vmmgmt_host_sched_drop(struct vmmgmt_host_sched *sc, u32 i)
{
	put_pid(sc->threads[i].pid);
	sc->threads[i] = sc->threads[--sc->nr_threads];
}

/*
 * Set @nice on every managed thread (@restore: each its own original)
 * whose value differs, counted in @sc->renices; threads that exited are
 * dropped and counted.
 */
static void vmmgmt_host_sched_set(struct vmmgmt_host_sched *sc, int nice,
				  bool restore)
{
	struct task_struct *t;
	u32 i = 0;
	int want;

	lockdep_assert_held(&sc->lock);
	while (i < sc->nr_threads) {
		t = get_pid_task(sc->threads[i].pid, PIDTYPE_PID);
		if (!t) {
			sc->lost++;
			vmmgmt_host_sched_drop(sc, i);
			continue;
		}
		want = restore ? sc->threads[i].orig_nice : nice;
		if (task_nice(t) != want) {
			set_user_nice(t, want);
			sc->renices++;
		}
		put_task_struct(t);
		i++;
	}
}

/* Give every thread its original nice value and let go of them. */
static void vmmgmt_host_sched_restore(struct vmmgmt_host_sched *sc)
{
	lockdep_assert_held(&sc->lock);
	if (sc->applied)
		vmmgmt_host_sched_set(sc, 0, true);
	while (sc->nr_threads)
		vmmgmt_host_sched_drop(sc, sc->nr_threads - 1);
	sc->applied = false;
	sc->scan_ns = 0;
}

/* Apply @in: compute the target and, under demand, set it. */
static void vmmgmt_host_sched_apply(struct vmmgmt_host_vm *vm,
				    const struct vmmgmt_host_sched_input *in)
{
	struct vmmgmt_host_sched *sc = &vm->sched;
	bool clamped;
	u64 now;
	u32 i;

	lockdep_assert_held(&sc->lock);
	sc->score = vmmgmt_host_sched_score(in, &clamped);
	sc->target = vmmgmt_host_sched_nice(sc->nice_min, sc->nice_max,
					    sc->score);
	sc->have_target = true;
	if (clamped)
		sc->clamped++;

	now = ktime_get_ns();
	/* Threads exit (or start, with CPU hotplug): look again, rarely. */
	for (i = 0; i < sc->nr_threads; i++)
		if (!pid_has_task(sc->threads[i].pid, PIDTYPE_PID))
			break;
	if ((!sc->nr_threads || i < sc->nr_threads) &&
	    (!sc->scan_ns || now - sc->scan_ns >= VMMGMT_HOST_SCHED_RESCAN_NS))
		vmmgmt_host_sched_scan(sc);

	if (!sc->nr_threads) {
		scnprintf(sc->reason, sizeof(sc->reason),
			  "seq %llu: score %u, nice %d: no vCPU thread \"CPU N/KVM\" in QEMU %d",
			  in->seq, sc->score, sc->target, pid_nr(sc->qemu));
		return;
	}
	if (sc->policy != VMMGMT_HOST_SCHED_DEMAND) {
		scnprintf(sc->reason, sizeof(sc->reason),
			  "seq %llu: score %u%s, would set nice %d (observe)",
			  in->seq, sc->score, clamped ? " (clamped)" : "",
			  sc->target);
		return;
	}
	if (sc->applied && sc->nice == sc->target) {
		scnprintf(sc->reason, sizeof(sc->reason),
			  "seq %llu: score %u%s, nice %d kept", in->seq,
			  sc->score, clamped ? " (clamped)" : "", sc->nice);
		/* New threads get the value too. */
		vmmgmt_host_sched_set(sc, sc->nice, false);
		return;
	}
	if (sc->last_change_ns &&
	    now - sc->last_change_ns < VMMGMT_HOST_SCHED_GAP_NS) {
		sc->ratelimited++;
		scnprintf(sc->reason, sizeof(sc->reason),
			  "seq %llu: score %u, nice %d held back: last change %llu ms ago",
			  in->seq, sc->score, sc->target,
			  div_u64(now - sc->last_change_ns, NSEC_PER_MSEC));
		return;
	}
	vmmgmt_host_sched_set(sc, sc->target, false);
	if (!sc->nr_threads) {
		sc->applied = false;
		scnprintf(sc->reason, sizeof(sc->reason),
			  "seq %llu: score %u, nice %d: the vCPU threads exited",
			  in->seq, sc->score, sc->target);
		return;
	}
	scnprintf(sc->reason, sizeof(sc->reason),
		  "seq %llu: score %u%s, nice %d -> %d on %u thread(s)",
		  in->seq, sc->score, clamped ? " (clamped)" : "",
		  sc->applied ? sc->nice : sc->threads[0].orig_nice,
		  sc->target, sc->nr_threads);
	sc->applied = true;
	sc->nice = sc->target;
	sc->adjustments++;
	sc->change_seq = in->seq;
	sc->last_change_ns = now;
}

static void vmmgmt_host_sched_work(struct work_struct *work)
{
	struct vmmgmt_host_sched *sc =
		container_of(work, struct vmmgmt_host_sched, work);
	struct vmmgmt_host_vm *vm =
		container_of(sc, struct vmmgmt_host_vm, sched);
	struct vmmgmt_host_sched_input in;
	bool pending;

	mutex_lock(&sc->lock);
	spin_lock(&sc->in_lock);
	pending = sc->in_pending;
	in = sc->in;
	sc->in_pending = false;
	spin_unlock(&sc->in_lock);
	if (pending && !sc->stopped && sc->policy != VMMGMT_HOST_SCHED_OFF)
		vmmgmt_host_sched_apply(vm, &in);
	mutex_unlock(&sc->lock);
}

/**
 * vmmgmt_host_sched_init() - set up the policy of a new VM (off).
 * @vm: the VM, zeroed but for what vmmgmt_host_vm_add() filled in.
 *
 * Takes a reference to the pid of @vm->qemu_pid in the caller's pid
 * namespace (vmmgmtd's), so that a pid reused after QEMU exited is never
 * mistaken for it.
 *
 * Context: process context: the ADD_VM ioctl.
 */
void vmmgmt_host_sched_init(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_sched *sc = &vm->sched;

	mutex_init(&sc->lock);
	spin_lock_init(&sc->in_lock);
	INIT_WORK(&sc->work, vmmgmt_host_sched_work);
	sc->policy = VMMGMT_HOST_SCHED_OFF;
	sc->nice_min = VMMGMT_HOST_SCHED_NICE_MIN;
	sc->nice_max = VMMGMT_HOST_SCHED_NICE_MAX;
	sc->qemu = vm->qemu_pid ? find_get_pid(vm->qemu_pid) : NULL;
	strscpy(sc->reason, "none", sizeof(sc->reason));
}

/**
 * vmmgmt_host_sched_sample() - hand one sample to the policy.
 * @vm: the VM.
 * @in: what the policy uses of a valid sample, or NULL for a sample
 *	that vmmgmt_host_stats_check() rejected.
 *
 * With the policy off nothing happens.  Otherwise a rejected sample is
 * counted; a valid one replaces the previous one that the work item has
 * not taken yet (so that one change at most follows one sample), and the
 * work item is queued.
 *
 * Context: the VM's worker; takes &vmmgmt_host_sched.in_lock only.
 */
void vmmgmt_host_sched_sample(struct vmmgmt_host_vm *vm,
			      const struct vmmgmt_host_sched_input *in)
{
	struct vmmgmt_host_sched *sc = &vm->sched;

	if (READ_ONCE(sc->policy) == VMMGMT_HOST_SCHED_OFF)
		return;
	spin_lock(&sc->in_lock);
	if (!in) {
		sc->rejected++;
		spin_unlock(&sc->in_lock);
		return;
	}
	if (sc->have_prev &&
	    (in->needs != sc->prev.needs ||
	     in->vcpus_wanted != sc->prev.vcpus_wanted ||
	     in->urgency != sc->prev.urgency))
		sc->needs_seq = in->seq;
	sc->prev = *in;
	sc->have_prev = true;
	sc->in = *in;
	sc->in_pending = true;
	spin_unlock(&sc->in_lock);
	schedule_work(&sc->work);
}

/**
 * vmmgmt_host_sched_stop() - the VM goes away: restore its threads.
 * @vm: the VM; its worker is stopped.
 *
 * Waits for the work item, gives every managed thread its original nice
 * value back and ends the policy: sysfs writes fail with ENODEV from here.
 *
 * Context: process context (VM removal, module unload); may sleep.
 */
void vmmgmt_host_sched_stop(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_sched *sc = &vm->sched;

	cancel_work_sync(&sc->work);
	mutex_lock(&sc->lock);
	sc->stopped = true;
	vmmgmt_host_sched_restore(sc);
	WRITE_ONCE(sc->policy, VMMGMT_HOST_SCHED_OFF);
	mutex_unlock(&sc->lock);
}

/**
 * vmmgmt_host_sched_release() - drop the QEMU pid reference.
 * @vm: the VM, being freed.
 *
 * Context: any (the kobject's release).
 */
void vmmgmt_host_sched_release(struct vmmgmt_host_vm *vm)
{
	put_pid(vm->sched.qemu);
	vm->sched.qemu = NULL;
}

static struct vmmgmt_host_sched *vmmgmt_host_sched_of(struct kobject *kobj)
{
	return &container_of(kobj, struct vmmgmt_host_vm, kobj)->sched;
}

static ssize_t policy_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	u32 p = READ_ONCE(vmmgmt_host_sched_of(kobj)->policy);

	return sysfs_emit(buf, "%s\n", vmmgmt_host_sched_names[p]);
}

/**
 * policy_store() - switch the policy: "off", "observe" or "demand".
 * @kobj: the VM's kobject.
 * @attr: the attribute.
 * @buf: the new policy.
 * @count: its length.
 *
 * Leaving demand restores the threads' nice values; entering observe or
 * demand looks for the vCPU threads, whose values then are the ones to
 * restore.  The next sample is acted on.
 *
 * Context: process context; takes &vmmgmt_host_sched.lock.
 * Return: @count; -EINVAL for another word; -ENODEV once the VM is going.
 */
static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	struct vmmgmt_host_sched *sc = vmmgmt_host_sched_of(kobj);
	int p = sysfs_match_string(vmmgmt_host_sched_names, buf);
	ssize_t ret = count;

	if (p < 0)
		return -EINVAL;
	mutex_lock(&sc->lock);
	if (sc->stopped) {
		ret = -ENODEV;
	} else if (p != sc->policy) {
		if (p != VMMGMT_HOST_SCHED_DEMAND)
			vmmgmt_host_sched_restore(sc);
		if (p != VMMGMT_HOST_SCHED_OFF)
			vmmgmt_host_sched_scan(sc);
		sc->have_target = false;
		WRITE_ONCE(sc->policy, p);
		scnprintf(sc->reason, sizeof(sc->reason),
			  "policy %s: %u vCPU thread(s)",
			  vmmgmt_host_sched_names[p], sc->nr_threads);
	}
	mutex_unlock(&sc->lock);
	return ret;
}

/*
 * Set one bound to the value in @buf; @max selects nice_max.  Under
 * demand the threads move into the new bounds at once.
 */
static ssize_t vmmgmt_host_sched_bound_store(struct kobject *kobj,
					     const char *buf, size_t count,
					     bool max)
{
	struct vmmgmt_host_sched *sc = vmmgmt_host_sched_of(kobj);
	ssize_t ret = count;
	int val;

	if (kstrtoint(buf, 10, &val) || val < MIN_NICE || val > MAX_NICE)
		return -EINVAL;
	mutex_lock(&sc->lock);
	if (sc->stopped) {
		ret = -ENODEV;
	} else if (max ? val < sc->nice_min : val > sc->nice_max) {
		ret = -EINVAL;
	} else {
		if (max)
			sc->nice_max = val;
		else
			sc->nice_min = val;
		if (sc->have_target)
			sc->target = vmmgmt_host_sched_nice(sc->nice_min,
							    sc->nice_max,
							    sc->score);
		if (sc->applied && sc->nice != clamp(sc->nice, sc->nice_min,
						     sc->nice_max)) {
			sc->nice = clamp(sc->nice, sc->nice_min, sc->nice_max);
			vmmgmt_host_sched_set(sc, sc->nice, false);
			sc->adjustments++;
			scnprintf(sc->reason, sizeof(sc->reason),
				  "bounds %d..%d: nice %d", sc->nice_min,
				  sc->nice_max, sc->nice);
		}
	}
	mutex_unlock(&sc->lock);
	return ret;
}

static ssize_t nice_min_store(struct kobject *kobj,
			      struct kobj_attribute *attr, const char *buf,
			      size_t count)
{
	return vmmgmt_host_sched_bound_store(kobj, buf, count, false);
}

static ssize_t nice_max_store(struct kobject *kobj,
			      struct kobj_attribute *attr, const char *buf,
			      size_t count)
{
	return vmmgmt_host_sched_bound_store(kobj, buf, count, true);
}

/* The files that show one integer of &struct vmmgmt_host_sched. */
enum vmmgmt_host_sched_field {
	VMMGMT_HOST_SCHED_F_NICE_MIN,
	VMMGMT_HOST_SCHED_F_NICE_MAX,
	VMMGMT_HOST_SCHED_F_NICE,
	VMMGMT_HOST_SCHED_F_TARGET,
	VMMGMT_HOST_SCHED_F_SCORE,
	VMMGMT_HOST_SCHED_F_NR_THREADS,
	VMMGMT_HOST_SCHED_F_ADJUSTMENTS,
	VMMGMT_HOST_SCHED_F_CLAMPED,
	VMMGMT_HOST_SCHED_F_REJECTED,
	VMMGMT_HOST_SCHED_F_RATELIMITED,
	VMMGMT_HOST_SCHED_F_LOST,
	VMMGMT_HOST_SCHED_F_RENICES,
	VMMGMT_HOST_SCHED_F_NEEDS_SEQ,
	VMMGMT_HOST_SCHED_F_CHANGE_SEQ,
};

/**
 * struct vmmgmt_host_sched_attr - a file showing one value.
 * @attr: the sysfs attribute.
 * @field: which, an &enum vmmgmt_host_sched_field.
 */
struct vmmgmt_host_sched_attr {
	struct kobj_attribute attr;
	enum vmmgmt_host_sched_field field;
};

/**
 * vmmgmt_host_sched_value_show() - show one value of the policy.
 * @kobj: the VM's kobject.
 * @attr: a &struct vmmgmt_host_sched_attr.
 * @buf: the page to fill in.
 *
 * nice shows "none" while the policy does not hold the threads at a
 * value, target and score "none" before the first sample.
 *
 * Context: process context; takes &vmmgmt_host_sched.lock.
 * Return: the length written.
 */
static ssize_t vmmgmt_host_sched_value_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	enum vmmgmt_host_sched_field f =
		container_of(attr, struct vmmgmt_host_sched_attr, attr)->field;
	struct vmmgmt_host_sched *sc = vmmgmt_host_sched_of(kobj);
	bool valid = true;
	s64 val = 0;

	mutex_lock(&sc->lock);
	switch (f) {
	case VMMGMT_HOST_SCHED_F_NICE_MIN:
		val = sc->nice_min;
		break;
	case VMMGMT_HOST_SCHED_F_NICE_MAX:
		val = sc->nice_max;
		break;
	case VMMGMT_HOST_SCHED_F_NICE:
		valid = sc->applied;
		val = sc->nice;
		break;
	case VMMGMT_HOST_SCHED_F_TARGET:
		valid = sc->have_target;
		val = sc->target;
		break;
	case VMMGMT_HOST_SCHED_F_SCORE:
		valid = sc->have_target;
		val = sc->score;
		break;
	case VMMGMT_HOST_SCHED_F_NR_THREADS:
		val = sc->nr_threads;
		break;
	case VMMGMT_HOST_SCHED_F_ADJUSTMENTS:
		val = sc->adjustments;
		break;
	case VMMGMT_HOST_SCHED_F_CLAMPED:
		val = sc->clamped;
		break;
	case VMMGMT_HOST_SCHED_F_RATELIMITED:
		val = sc->ratelimited;
		break;
	case VMMGMT_HOST_SCHED_F_LOST:
		val = sc->lost;
		break;
	case VMMGMT_HOST_SCHED_F_RENICES:
		val = sc->renices;
		break;
	case VMMGMT_HOST_SCHED_F_CHANGE_SEQ:
		val = sc->change_seq;
		break;
	case VMMGMT_HOST_SCHED_F_REJECTED:
	case VMMGMT_HOST_SCHED_F_NEEDS_SEQ:
		spin_lock(&sc->in_lock);
		val = f == VMMGMT_HOST_SCHED_F_REJECTED ? sc->rejected :
			sc->needs_seq;
		spin_unlock(&sc->in_lock);
		break;
	}
	mutex_unlock(&sc->lock);
	if (!valid)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%lld\n", val);
}

/* The file sched/@_name shows the value @_field. */
#define VMMGMT_HOST_SCHED_ATTR(_name, _field)				\
static struct vmmgmt_host_sched_attr vmmgmt_host_sched_attr_##_name = {	\
	.attr = __ATTR(_name, 0444, vmmgmt_host_sched_value_show, NULL),\
	.field = VMMGMT_HOST_SCHED_F_##_field,				\
}

/* Likewise, and root may write it (@_name##_store()). */
#define VMMGMT_HOST_SCHED_ATTR_RW(_name, _field)			\
static struct vmmgmt_host_sched_attr vmmgmt_host_sched_attr_##_name = {	\
	.attr = __ATTR(_name, 0644, vmmgmt_host_sched_value_show,	\
		       _name##_store),					\
	.field = VMMGMT_HOST_SCHED_F_##_field,				\
}

VMMGMT_HOST_SCHED_ATTR(nice, NICE);
VMMGMT_HOST_SCHED_ATTR(target, TARGET);
VMMGMT_HOST_SCHED_ATTR(score, SCORE);
VMMGMT_HOST_SCHED_ATTR(nr_threads, NR_THREADS);
VMMGMT_HOST_SCHED_ATTR(adjustments, ADJUSTMENTS);
VMMGMT_HOST_SCHED_ATTR(clamped, CLAMPED);
VMMGMT_HOST_SCHED_ATTR(rejected, REJECTED);
VMMGMT_HOST_SCHED_ATTR(ratelimited, RATELIMITED);
VMMGMT_HOST_SCHED_ATTR(lost, LOST);
VMMGMT_HOST_SCHED_ATTR(renices, RENICES);
VMMGMT_HOST_SCHED_ATTR(needs_seq, NEEDS_SEQ);
VMMGMT_HOST_SCHED_ATTR(change_seq, CHANGE_SEQ);

VMMGMT_HOST_SCHED_ATTR_RW(nice_min, NICE_MIN);
VMMGMT_HOST_SCHED_ATTR_RW(nice_max, NICE_MAX);

/**
 * threads_show() - the managed threads, one a line: "tid vcpu nice
 * orig_nice" (tid in the reader's pid namespace, 0 if invisible there;
 * nice as the thread has it now; "- " for a thread that exited).
 * @kobj: the VM's kobject.
 * @attr: the attribute.
 * @buf: the page (at most %VMMGMT_HOST_SCHED_THREADS lines of 40 bytes).
 *
 * Context: process context; takes &vmmgmt_host_sched.lock.
 * Return: the length written.
 */
static ssize_t threads_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vmmgmt_host_sched *sc = vmmgmt_host_sched_of(kobj);
	struct task_struct *t;
	int len = 0;
	u32 i;

	mutex_lock(&sc->lock);
	for (i = 0; i < sc->nr_threads; i++) {
		const struct vmmgmt_host_sched_thread *th = &sc->threads[i];

		t = get_pid_task(th->pid, PIDTYPE_PID);
		if (t) {
			len += sysfs_emit_at(buf, len, "%d %u %d %d\n",
					     pid_vnr(th->pid), th->vcpu,
					     task_nice(t), th->orig_nice);
			put_task_struct(t);
		} else {
			len += sysfs_emit_at(buf, len, "- %u - %d\n", th->vcpu,
					     th->orig_nice);
		}
	}
	mutex_unlock(&sc->lock);
	return len;
}

static ssize_t last_reason_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_host_sched *sc = vmmgmt_host_sched_of(kobj);
	ssize_t len;

	mutex_lock(&sc->lock);
	len = sysfs_emit(buf, "%s\n", sc->reason);
	mutex_unlock(&sc->lock);
	return len;
}

static struct kobj_attribute policy_attr = __ATTR_RW(policy);
static struct kobj_attribute threads_attr = __ATTR_RO(threads);
static struct kobj_attribute last_reason_attr = __ATTR_RO(last_reason);

static struct attribute *vmmgmt_host_sched_attrs[] = {
	&policy_attr.attr,
	&vmmgmt_host_sched_attr_nice_min.attr.attr,
	&vmmgmt_host_sched_attr_nice_max.attr.attr,
	&vmmgmt_host_sched_attr_nice.attr.attr,
	&vmmgmt_host_sched_attr_target.attr.attr,
	&vmmgmt_host_sched_attr_score.attr.attr,
	&vmmgmt_host_sched_attr_nr_threads.attr.attr,
	&threads_attr.attr,
	&vmmgmt_host_sched_attr_adjustments.attr.attr,
	&vmmgmt_host_sched_attr_clamped.attr.attr,
	&vmmgmt_host_sched_attr_rejected.attr.attr,
	&vmmgmt_host_sched_attr_ratelimited.attr.attr,
	&vmmgmt_host_sched_attr_lost.attr.attr,
	&vmmgmt_host_sched_attr_renices.attr.attr,
	&vmmgmt_host_sched_attr_needs_seq.attr.attr,
	&vmmgmt_host_sched_attr_change_seq.attr.attr,
	&last_reason_attr.attr,
	NULL
};

const struct attribute_group vmmgmt_host_sched_group = {
	.name = "sched",
	.attrs = vmmgmt_host_sched_attrs,
};
