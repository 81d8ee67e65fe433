// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: per-VM quotas on what a guest sends.
 *
 * Each VM has two token buckets, one of records per second and one of
 * payload bytes per second, that its worker consults before it drains the
 * VM's guest-to-host ring: a batch takes at most as many records as there
 * are record tokens, and none at all while the byte bucket is in debt
 * (bytes are charged after the batch, so a bucket may go below zero by
 * one batch).  A bucket holds at most %VMMGMT_HOST_QUOTA_BURST_MS worth of
 * its rate, and never less than one full batch (records) or one largest
 * message (bytes).
 *
 * A VM out of tokens is throttled: its worker leaves the records in the
 * ring and sleeps until the buckets have refilled enough for a batch.  The
 * ring's consumer stays marked running meanwhile, so the guest rings no
 * doorbell; once the ring is full its writers sleep (or get EAGAIN), so a
 * flooding guest's vCPU halts instead of taking CPU time from the others.
 * Nothing is dropped.  What the host and other VMs send to a throttled VM
 * is not limited.
 *
 * The rates are set per VM in /sys/class/misc/vmmgmt-host/vms/<name>/quota/
 * (0: unlimited); a VM starts with the module parameters quota_msgs and
 * quota_bytes.  The buckets are the worker's alone; sysfs only writes the
 * rates (read once per batch) and reads the counters.
 */

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sysfs.h>

#include "vmmgmt_host.h"

/*
 * Defaults for new VMs.  Sized for the test bed (Documentation/vmmgmt.rst,
 * "Quotas"): the sum over the VMs of a host should stay below what the
 * host can carry, so that a VM within its quota keeps its rate whatever
 * the others send.
 */
static unsigned int vmmgmt_host_quota_msgs = VMMGMT_HOST_QUOTA_MSGS;
module_param_named(quota_msgs, vmmgmt_host_quota_msgs, uint, 0644);
MODULE_PARM_DESC(quota_msgs, "records per second a new VM may send (0: unlimited)");

static unsigned int vmmgmt_host_quota_bytes = VMMGMT_HOST_QUOTA_BYTES;
module_param_named(quota_bytes, vmmgmt_host_quota_bytes, uint, 0644);
MODULE_PARM_DESC(quota_bytes, "payload bytes per second a new VM may send (0: unlimited)");

/* Shortest and longest throttled sleep, in nanoseconds. */
#define VMMGMT_HOST_QUOTA_MIN_WAIT_NS	(100 * NSEC_PER_USEC)
#define VMMGMT_HOST_QUOTA_MAX_WAIT_NS	(100 * NSEC_PER_MSEC)

/**
 * vmmgmt_host_quota_init() - give a new VM the default quotas, full
 * buckets.
 * @vm: the VM, not yet running.
 *
 * Context: process context.
 */
void vmmgmt_host_quota_init(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_quota *q = &vm->quota;

	q->msgs = READ_ONCE(vmmgmt_host_quota_msgs);
	q->bytes = READ_ONCE(vmmgmt_host_quota_bytes);
	q->msg_tokens = S64_MAX;	/* clamped to the depth at first use */
	q->byte_tokens = S64_MAX;
	q->last_ns = ktime_get_ns();
	q->wait_ns = 0;
	q->held = false;
	atomic64_set(&q->throttled, 0);
	atomic64_set(&q->throttled_us, 0);
}

/* Most tokens (units times NSEC_PER_SEC) a bucket of @rate holds. */
static s64 vmmgmt_host_quota_depth(u32 rate, u32 floor)
{
	return max_t(s64, (s64)rate * VMMGMT_HOST_QUOTA_BURST_MS * NSEC_PER_MSEC,
		     (s64)floor * NSEC_PER_SEC);
}

/* Add @dt ns worth of @rate to @tokens, at most @depth. */
static void vmmgmt_host_quota_refill(s64 *tokens, u32 rate, u64 dt, s64 depth)
{
	if (*tokens > depth)
		*tokens = depth;
	/* dt is at most the burst: rate * dt stays far below S64_MAX. */
	*tokens = min_t(s64, *tokens + (s64)rate * (s64)dt, depth);
}

/* Nanoseconds until @tokens reach @want at @rate (at least 1). */
static u64 vmmgmt_host_quota_eta(s64 tokens, s64 want, u32 rate)
{
	return div_u64((u64)(want - tokens), rate) + 1;
}

/**
 * vmmgmt_host_quota_budget() - how many records the worker may take now.
 * @vm: the VM.
 *
 * Refills the buckets for the time since the last call.  When the VM is
 * out of tokens, sets @vm->quota.wait_ns to the sleep until a batch's
 * worth (or the end of the byte debt), and notes whether records wait in
 * the ring (vmmgmt_host_quota_sleep() then counts the throttle).
 *
 * Context: the VM's worker.
 * Return: 0 (throttled: @vm->quota.wait_ns is set) up to
 * %VMMGMT_HOST_BATCH.
 */
unsigned int vmmgmt_host_quota_budget(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_quota *q = &vm->quota;
	u32 msgs = READ_ONCE(q->msgs), bytes = READ_ONCE(q->bytes);
	unsigned int budget = VMMGMT_HOST_BATCH;
	s64 mdepth, bdepth, want;
	u64 now = ktime_get_ns();
	u64 dt = min_t(u64, now - q->last_ns,
		       (u64)VMMGMT_HOST_QUOTA_BURST_MS * NSEC_PER_MSEC);
	struct vmmgmt_rec hdr;
	u64 wait = 0;

	q->last_ns = now;
	q->wait_ns = 0;
	if (msgs) {
		mdepth = vmmgmt_host_quota_depth(msgs, VMMGMT_HOST_BATCH);
		vmmgmt_host_quota_refill(&q->msg_tokens, msgs, dt, mdepth);
		budget = min_t(u64, budget,
			       div_u64(max_t(s64, q->msg_tokens, 0),
				       NSEC_PER_SEC));
		if (!budget) {
			/* A batch's worth, or what the bucket holds. */
			want = min_t(s64, mdepth,
				     (s64)VMMGMT_HOST_BATCH * NSEC_PER_SEC);
			wait = vmmgmt_host_quota_eta(q->msg_tokens, want, msgs);
		}
	}
	if (bytes) {
		bdepth = vmmgmt_host_quota_depth(bytes, VMMGMT_MSG_MAX);
		vmmgmt_host_quota_refill(&q->byte_tokens, bytes, dt, bdepth);
		if (q->byte_tokens < 0) {
			budget = 0;
			wait = max(wait, vmmgmt_host_quota_eta(q->byte_tokens,
							       0, bytes));
		}
	}
	if (budget)
		return budget;
	q->wait_ns = clamp_t(u64, wait, VMMGMT_HOST_QUOTA_MIN_WAIT_NS,
			     VMMGMT_HOST_QUOTA_MAX_WAIT_NS);
	q->held = !vmmgmt_ring_peek(&vm->g2h, &hdr);
	return 0;
}

/**
 * vmmgmt_host_quota_charge() - take what a batch consumed from the buckets.
 * @vm: the VM.
 * @msgs: records consumed.
 * @bytes: their payload bytes.
 *
 * Context: the VM's worker, after vmmgmt_host_quota_budget() allowed the
 * batch.
 */
void vmmgmt_host_quota_charge(struct vmmgmt_host_vm *vm, unsigned int msgs,
			      u64 bytes)
{
	struct vmmgmt_host_quota *q = &vm->quota;

	/* A batch is at most VMMGMT_HOST_BATCH records of VMMGMT_MSG_MAX. */
	if (READ_ONCE(q->msgs))
		q->msg_tokens -= (s64)msgs * NSEC_PER_SEC;
	if (READ_ONCE(q->bytes))
		q->byte_tokens -= (s64)bytes * NSEC_PER_SEC;
}

/**
 * vmmgmt_host_quota_sleep() - sleep while a VM is throttled.
 * @vm: the VM; its last batch found no tokens (@vm->quota.wait_ns set).
 *
 * Counts it in the throttled counter when records were left in the ring.  A
 * kick, a message for the VM or kthread_stop() end the sleep early; the
 * next batch then looks at the buckets again.
 *
 * Context: the VM's worker, in TASK_INTERRUPTIBLE; returns in
 * TASK_RUNNING.
 */
void vmmgmt_host_quota_sleep(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_quota *q = &vm->quota;
	u64 ns = q->wait_ns;
	ktime_t t = ns_to_ktime(ns);

	q->wait_ns = 0;
	if (q->held) {
		atomic64_inc(&q->throttled);
		atomic64_add(div_u64(ns, NSEC_PER_USEC), &q->throttled_us);
	}
	/* An eighth of slack lets the timer share an interrupt. */
	schedule_hrtimeout_range(&t, ns / 8, HRTIMER_MODE_REL);
	__set_current_state(TASK_RUNNING);
	atomic_set(&vm->pending, 1);
}

/* ---- sysfs: vms/<name>/quota/ ---- */

static struct vmmgmt_host_vm *vmmgmt_host_quota_vm(struct kobject *kobj)
{
	return container_of(kobj, struct vmmgmt_host_vm, kobj);
}

/*
 * A new rate is read by the worker at its next batch: a throttled worker
 * sleeps at most VMMGMT_HOST_QUOTA_MAX_WAIT_NS.
 */
static ssize_t vmmgmt_host_quota_store(const char *buf, size_t count,
				       u32 *rate)
{
	unsigned int val;
	int ret;

	ret = kstrtouint(buf, 0, &val);
	if (ret)
		return ret;
	WRITE_ONCE(*rate, val);
	return count;
}

static ssize_t msgs_per_s_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_quota_vm(kobj)->quota.msgs));
}

static ssize_t msgs_per_s_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	return vmmgmt_host_quota_store(buf, count,
				       &vmmgmt_host_quota_vm(kobj)->quota.msgs);
}

static ssize_t bytes_per_s_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_quota_vm(kobj)->quota.bytes));
}

static ssize_t bytes_per_s_store(struct kobject *kobj,
				 struct kobj_attribute *attr, const char *buf,
				 size_t count)
{
	return vmmgmt_host_quota_store(buf, count,
				       &vmmgmt_host_quota_vm(kobj)->quota.bytes);
}

static ssize_t throttled_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vmmgmt_host_quota_vm(kobj)->quota.throttled));
}

static ssize_t throttled_us_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vmmgmt_host_quota_vm(kobj)->quota.throttled_us));
}

static struct kobj_attribute msgs_per_s_attr = __ATTR_RW(msgs_per_s);
static struct kobj_attribute bytes_per_s_attr = __ATTR_RW(bytes_per_s);
static struct kobj_attribute throttled_attr = __ATTR_RO(throttled);
static struct kobj_attribute throttled_us_attr = __ATTR_RO(throttled_us);

static struct attribute *vmmgmt_host_quota_attrs[] = {
	&msgs_per_s_attr.attr,
	&bytes_per_s_attr.attr,
	&throttled_attr.attr,
	&throttled_us_attr.attr,
	NULL
};

const struct attribute_group vmmgmt_host_quota_group = {
	.name = "quota",
	.attrs = vmmgmt_host_quota_attrs,
};
