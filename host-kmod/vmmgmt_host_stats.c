// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: statistics samples from guests.  The worker hands
 * every %VMMGMT_MODE_STATS record to vmmgmt_host_stats_rx(), which checks
 * every field of the sample (a guest is hostile), drops and counts a
 * sample that breaks a rule, and keeps the last
 * %VMMGMT_HOST_STATS_HISTORY samples, reduced to what the host uses, for
 * sysfs: /sys/class/misc/vmmgmt-host/vms/<name>/stats/.  The rules are
 * lib/vmmgmt_stats_rules.c's (compiled in by vmmgmt_host_stats_rules.c).
 * See Documentation/stats.rst and
 * Documentation/ABI/testing/sysfs-class-misc-vmmgmt-host.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_stats_rules.h"

/**
 * vmmgmt_host_stats_init() - set up the statistics of a new VM.
 * @gs: the VM's &vmmgmt_host_vm.gstats, zeroed.
 *
 * Context: any.
 */
void vmmgmt_host_stats_init(struct vmmgmt_host_vm_stats *gs)
{
	spin_lock_init(&gs->lock);
}

/**
 * vmmgmt_host_stats_check() - validate one sample from a guest.
 * @gs: the VM's statistics, for the sequence rules.  Caller holds
 *	&vmmgmt_host_vm_stats.lock, or owns @gs alone.
 * @hdr: the record header.
 * @s: @hdr->len bytes of payload, a private copy.
 *
 * The rules are in lib/vmmgmt_stats_rules.c (vmmgmt_stats_check()),
 * shared with the fuzzer; this adds the VM's last accepted sample.
 *
 * Context: any; does not sleep.
 * Return: NULL when the sample is valid, else what is wrong with it.
 */
const char *vmmgmt_host_stats_check(const struct vmmgmt_host_vm_stats *gs,
				    const struct vmmgmt_rec *hdr,
				    const struct vmmgmt_stats_sample *s)
{
	const struct vmmgmt_stats_prev prev = {
		.valid = gs->count,
		.seq = gs->last_seq,
		.timestamp = gs->last_timestamp,
	};

	return vmmgmt_stats_check(hdr, s, &prev);
}

/* @part of @whole in per-mille, 0 when @whole is 0. */
static u16 vmmgmt_host_permille(u64 part, u64 whole)
{
	if (!whole)
		return 0;
	/* part <= whole < 2^53 (the bounds of the check): no overflow. */
	return div64_u64(part * 1000, whole);
}

/* Reduce a CPU entry to per-mille shares of its five times. */
static void vmmgmt_host_stats_share(const struct vmmgmt_stats_cpu *c,
				    struct vmmgmt_host_cpu_share *sh)
{
	u64 sum = c->user + c->system + c->idle + c->iowait + c->steal;

	sh->cpu = c->cpu;
	sh->user = vmmgmt_host_permille(c->user, sum);
	sh->system = vmmgmt_host_permille(c->system, sum);
	sh->idle = vmmgmt_host_permille(c->idle, sum);
	sh->iowait = vmmgmt_host_permille(c->iowait, sum);
	sh->steal = vmmgmt_host_permille(c->steal, sum);
}

/**
 * vmmgmt_host_stats_rx() - take a %VMMGMT_MODE_STATS record from a guest.
 * @vm: the VM that sent it.
 * @hdr: the record header.
 * @payload: @hdr->len bytes, the worker's private copy.
 *
 * A valid sample becomes the VM's latest and enters its history; an
 * invalid one is counted in stats/rejected and its reason kept for
 * stats/last_error.  Either way the record is consumed, without answer.
 *
 * Context: the VM's worker; takes &vmmgmt_host_vm_stats.lock.
 */
void vmmgmt_host_stats_rx(struct vmmgmt_host_vm *vm,
			  const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_host_vm_stats *gs = &vm->gstats;
	const struct vmmgmt_stats_sample *s = payload;
	struct vmmgmt_host_sched_input in;
	struct vmmgmt_host_stats_point *p;
	struct vmmgmt_host_cpu_share sh;
	const char *err;
	u32 i;

	spin_lock(&gs->lock);
	err = vmmgmt_host_stats_check(gs, hdr, s);
	if (err) {
		gs->rejected++;
		gs->last_error = err;
		spin_unlock(&gs->lock);
		vmmgmt_host_log_warn(vm, "statistics sample rejected: %s\n",
				     err);
		vmmgmt_host_sched_sample(vm, NULL);
		return;
	}

	p = &gs->hist[gs->next];
	gs->next = (gs->next + 1) % VMMGMT_HOST_STATS_HISTORY;
	gs->count = min(gs->count + 1, VMMGMT_HOST_STATS_HISTORY);
	gs->samples++;
	gs->last_seq = s->seq;
	gs->last_timestamp = s->timestamp;

	memset(p, 0, sizeof(*p));
	p->host_ns = ktime_get_ns();
	p->seq = s->seq;
	p->period_ms = div_u64(s->period, NSEC_PER_MSEC);
	p->nr_cpus = s->nr_cpus;
	vmmgmt_host_stats_share(&s->total, &sh);
	p->cpu_user = sh.user;
	p->cpu_system = sh.system;
	p->idle = sh.idle;
	p->iowait = sh.iowait;
	p->steal = sh.steal;
	p->cpu_util = sh.user + sh.system;
	p->runnable = s->runnable;
	p->nr_threads = s->nr_threads;
	p->load1 = s->load_avg[0];
	p->load5 = s->load_avg[1];
	p->load15 = s->load_avg[2];
	p->psi = !!(s->flags & VMMGMT_STATS_F_PSI);
	p->psi_cpu_some = s->psi_some_avg10[VMMGMT_STATS_PSI_CPU];
	p->psi_cpu_full = s->psi_full_avg10[VMMGMT_STATS_PSI_CPU];
	p->psi_memory_some = s->psi_some_avg10[VMMGMT_STATS_PSI_MEMORY];
	p->psi_memory_full = s->psi_full_avg10[VMMGMT_STATS_PSI_MEMORY];
	p->psi_io_some = s->psi_some_avg10[VMMGMT_STATS_PSI_IO];
	p->psi_io_full = s->psi_full_avg10[VMMGMT_STATS_PSI_IO];
	p->mem_total = s->mem_total;
	p->mem_free = s->mem_free;
	p->mem_available = s->mem_available;
	p->mem_cached = s->mem_cached;
	p->vcpus_wanted = s->needs.vcpus_wanted;
	p->urgency = s->needs.urgency;

	gs->nr_percpu = s->nr_cpu_entries;
	for (i = 0; i < s->nr_cpu_entries; i++)
		vmmgmt_host_stats_share(&s->cpu[i], &gs->percpu[i]);
	spin_unlock(&gs->lock);

	in.seq = s->seq;
	in.nr_cpus = s->nr_cpus;
	in.needs = s->flags & VMMGMT_STATS_F_NEEDS;
	in.vcpus_wanted = s->needs.vcpus_wanted;
	in.urgency = s->needs.urgency;
	in.cpu_util = sh.user + sh.system;
	in.steal = sh.steal;
	vmmgmt_host_sched_sample(vm, &in);
}

static struct vmmgmt_host_vm_stats *vmmgmt_host_stats_of(struct kobject *kobj)
{
	return &container_of(kobj, struct vmmgmt_host_vm, kobj)->gstats;
}

/* The latest point, or NULL before the first sample.  Lock held. */
static const struct vmmgmt_host_stats_point *
vmmgmt_host_stats_latest(const struct vmmgmt_host_vm_stats *gs)
{
	if (!gs->count)
		return NULL;
	return &gs->hist[(gs->next + VMMGMT_HOST_STATS_HISTORY - 1) %
			 VMMGMT_HOST_STATS_HISTORY];
}

/**
 * struct vmmgmt_host_stats_attr - a file showing one value of the latest
 * sample.
 * @attr: the sysfs attribute.
 * @offset: offset of the u64 value in &struct vmmgmt_host_stats_point.
 */
struct vmmgmt_host_stats_attr {
	struct kobj_attribute attr;
	size_t offset;
};

/**
 * vmmgmt_host_stats_value_show() - show one value of the latest sample.
 * @kobj: the VM's kobject.
 * @attr: a &struct vmmgmt_host_stats_attr.
 * @buf: the page to fill in.
 *
 * Context: process context; takes &vmmgmt_host_vm_stats.lock.
 * Return: the length written; -ENODATA before the first valid sample.
 */
static ssize_t vmmgmt_host_stats_value_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	const struct vmmgmt_host_stats_attr *sa =
		container_of(attr, struct vmmgmt_host_stats_attr, attr);
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	const struct vmmgmt_host_stats_point *p;
	u64 val = 0;

	spin_lock(&gs->lock);
	p = vmmgmt_host_stats_latest(gs);
	if (p)
		val = *(const u64 *)((const void *)p + sa->offset);
	spin_unlock(&gs->lock);
	if (!p)
		return -ENODATA;
	return sysfs_emit(buf, "%llu\n", val);
}

/* The file stats/@_name shows &vmmgmt_host_stats_point.@_field. */
#define VMMGMT_HOST_STATS_ATTR(_name, _field)				\
static struct vmmgmt_host_stats_attr vmmgmt_host_stats_attr_##_name = {	\
	.attr = __ATTR(_name, 0444, vmmgmt_host_stats_value_show, NULL),\
	.offset = offsetof(struct vmmgmt_host_stats_point, _field),	\
}

VMMGMT_HOST_STATS_ATTR(seq, seq);
VMMGMT_HOST_STATS_ATTR(period_ms, period_ms);
VMMGMT_HOST_STATS_ATTR(nr_cpus, nr_cpus);
VMMGMT_HOST_STATS_ATTR(cpu_util, cpu_util);
VMMGMT_HOST_STATS_ATTR(cpu_user, cpu_user);
VMMGMT_HOST_STATS_ATTR(cpu_system, cpu_system);
VMMGMT_HOST_STATS_ATTR(idle, idle);
VMMGMT_HOST_STATS_ATTR(iowait, iowait);
VMMGMT_HOST_STATS_ATTR(steal, steal);
VMMGMT_HOST_STATS_ATTR(runnable, runnable);
VMMGMT_HOST_STATS_ATTR(nr_threads, nr_threads);
VMMGMT_HOST_STATS_ATTR(load1, load1);
VMMGMT_HOST_STATS_ATTR(load5, load5);
VMMGMT_HOST_STATS_ATTR(load15, load15);
VMMGMT_HOST_STATS_ATTR(psi, psi);
VMMGMT_HOST_STATS_ATTR(psi_cpu_some, psi_cpu_some);
VMMGMT_HOST_STATS_ATTR(psi_cpu_full, psi_cpu_full);
VMMGMT_HOST_STATS_ATTR(psi_memory_some, psi_memory_some);
VMMGMT_HOST_STATS_ATTR(psi_memory_full, psi_memory_full);
VMMGMT_HOST_STATS_ATTR(psi_io_some, psi_io_some);
VMMGMT_HOST_STATS_ATTR(psi_io_full, psi_io_full);
VMMGMT_HOST_STATS_ATTR(mem_total, mem_total);
VMMGMT_HOST_STATS_ATTR(mem_free, mem_free);
VMMGMT_HOST_STATS_ATTR(mem_available, mem_available);
VMMGMT_HOST_STATS_ATTR(mem_cached, mem_cached);
VMMGMT_HOST_STATS_ATTR(vcpus_wanted, vcpus_wanted);
VMMGMT_HOST_STATS_ATTR(urgency, urgency);

static ssize_t samples_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	u64 val;

	spin_lock(&gs->lock);
	val = gs->samples;
	spin_unlock(&gs->lock);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t rejected_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	u64 val;

	spin_lock(&gs->lock);
	val = gs->rejected;
	spin_unlock(&gs->lock);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t last_error_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	const char *err;

	spin_lock(&gs->lock);
	err = gs->last_error;
	spin_unlock(&gs->lock);
	return sysfs_emit(buf, "%s\n", err ? err : "none");
}

static ssize_t age_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	const struct vmmgmt_host_stats_point *p;
	u64 then = 0;

	spin_lock(&gs->lock);
	p = vmmgmt_host_stats_latest(gs);
	if (p)
		then = p->host_ns;
	spin_unlock(&gs->lock);
	if (!p)
		return -ENODATA;
	return sysfs_emit(buf, "%llu\n",
			  div_u64(ktime_get_ns() - then, NSEC_PER_MSEC));
}

/**
 * percpu_show() - per-CPU shares of the latest sample, one CPU a line:
 * "cpu user system idle iowait steal", in per-mille.
 * @kobj: the VM's kobject.
 * @attr: the attribute.
 * @buf: the page (at most %VMMGMT_STATS_MAX_CPUS lines of 30 bytes).
 *
 * Context: process context; takes &vmmgmt_host_vm_stats.lock.
 * Return: the length written; -ENODATA before the first valid sample.
 */
static ssize_t percpu_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	struct vmmgmt_host_cpu_share *sh;
	int len = 0;
	u32 i, n;

	sh = kmalloc_array(VMMGMT_STATS_MAX_CPUS, sizeof(*sh), GFP_KERNEL);
	if (!sh)
		return -ENOMEM;
	spin_lock(&gs->lock);
	n = gs->count ? gs->nr_percpu : 0;
	memcpy(sh, gs->percpu, n * sizeof(*sh));
	spin_unlock(&gs->lock);
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%u %u %u %u %u %u\n", sh[i].cpu,
				     sh[i].user, sh[i].system, sh[i].idle,
				     sh[i].iowait, sh[i].steal);
	kfree(sh);
	return n ? len : -ENODATA;
}

/**
 * history_show() - the kept samples, oldest first, one a line.
 * @kobj: the VM's kobject.
 * @attr: the attribute.
 * @buf: the page.
 *
 * Columns: seq age_ms period_ms cpu_util steal iowait runnable load1
 * psi_cpu_some psi_memory_some psi_io_some mem_available vcpus_wanted
 * urgency; at most %VMMGMT_HOST_STATS_HISTORY lines of at most 126 bytes.
 *
 * Context: process context; takes &vmmgmt_host_vm_stats.lock.
 * Return: the length written (0 before the first sample).
 */
static ssize_t history_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vmmgmt_host_vm_stats *gs = vmmgmt_host_stats_of(kobj);
	struct vmmgmt_host_stats_point *h;
	u32 i, n, first;
	u64 now;
	int len = 0;

	h = kmalloc_array(VMMGMT_HOST_STATS_HISTORY, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	spin_lock(&gs->lock);
	n = gs->count;
	first = (gs->next + VMMGMT_HOST_STATS_HISTORY - n) %
		VMMGMT_HOST_STATS_HISTORY;
	for (i = 0; i < n; i++)
		h[i] = gs->hist[(first + i) % VMMGMT_HOST_STATS_HISTORY];
	spin_unlock(&gs->lock);

	now = ktime_get_ns();
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len,
				     "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
				     h[i].seq,
				     div_u64(now - h[i].host_ns, NSEC_PER_MSEC),
				     h[i].period_ms, h[i].cpu_util,
				     h[i].steal, h[i].iowait,
				     h[i].runnable, h[i].load1, h[i].psi_cpu_some,
				     h[i].psi_memory_some, h[i].psi_io_some,
				     h[i].mem_available, h[i].vcpus_wanted,
				     h[i].urgency);
	kfree(h);
	return len;
}

static struct kobj_attribute samples_attr = __ATTR_RO(samples);
static struct kobj_attribute rejected_attr = __ATTR_RO(rejected);
static struct kobj_attribute last_error_attr = __ATTR_RO(last_error);
static struct kobj_attribute age_ms_attr = __ATTR_RO(age_ms);
static struct kobj_attribute percpu_attr = __ATTR_RO(percpu);
static struct kobj_attribute history_attr = __ATTR_RO(history);

static struct attribute *vmmgmt_host_stats_attrs[] = {
	&samples_attr.attr,
	&rejected_attr.attr,
	&last_error_attr.attr,
	&age_ms_attr.attr,
	&percpu_attr.attr,
	&history_attr.attr,
	&vmmgmt_host_stats_attr_seq.attr.attr,
	&vmmgmt_host_stats_attr_period_ms.attr.attr,
	&vmmgmt_host_stats_attr_nr_cpus.attr.attr,
	&vmmgmt_host_stats_attr_cpu_util.attr.attr,
	&vmmgmt_host_stats_attr_cpu_user.attr.attr,
	&vmmgmt_host_stats_attr_cpu_system.attr.attr,
	&vmmgmt_host_stats_attr_idle.attr.attr,
	&vmmgmt_host_stats_attr_iowait.attr.attr,
	&vmmgmt_host_stats_attr_steal.attr.attr,
	&vmmgmt_host_stats_attr_runnable.attr.attr,
	&vmmgmt_host_stats_attr_nr_threads.attr.attr,
	&vmmgmt_host_stats_attr_load1.attr.attr,
	&vmmgmt_host_stats_attr_load5.attr.attr,
	&vmmgmt_host_stats_attr_load15.attr.attr,
	&vmmgmt_host_stats_attr_psi.attr.attr,
	&vmmgmt_host_stats_attr_psi_cpu_some.attr.attr,
	&vmmgmt_host_stats_attr_psi_cpu_full.attr.attr,
	&vmmgmt_host_stats_attr_psi_memory_some.attr.attr,
	&vmmgmt_host_stats_attr_psi_memory_full.attr.attr,
	&vmmgmt_host_stats_attr_psi_io_some.attr.attr,
	&vmmgmt_host_stats_attr_psi_io_full.attr.attr,
	&vmmgmt_host_stats_attr_mem_total.attr.attr,
	&vmmgmt_host_stats_attr_mem_free.attr.attr,
	&vmmgmt_host_stats_attr_mem_available.attr.attr,
	&vmmgmt_host_stats_attr_mem_cached.attr.attr,
	&vmmgmt_host_stats_attr_vcpus_wanted.attr.attr,
	&vmmgmt_host_stats_attr_urgency.attr.attr,
	NULL
};

const struct attribute_group vmmgmt_host_stats_group = {
	.name = "stats",
	.attrs = vmmgmt_host_stats_attrs,
};
