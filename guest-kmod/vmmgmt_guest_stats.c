// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the statistics collector.  While sysfs
 * modes/stats/sampling is 1, a delayed work samples the guest every
 * modes/stats/period_ms and posts one %VMMGMT_MODE_STATS record (&struct
 * vmmgmt_stats_sample) to the host through the link's send path, with at
 * most one doorbell.
 * VMMGMT_IOC_SET_NEEDS lets a privileged process add what the guest could
 * use; the next sample carries it.  Its sysfs files are
 * vmmgmt_guest_sysfs.c's, which call vmmgmt_guest_stats_enable() and
 * vmmgmt_guest_stats_set_period().
 *
 * Owns: &vmmgmt_guest_dev.sampler.  May call: the link
 * (vmmgmt_guest_link.c), nothing else of the module.
 *
 * Sources: kcpustat_cpu_fetch() and get_cpu_{idle,iowait}_time_us() for
 * CPU times (as /proc/stat), avenrun for load averages, si_meminfo() and
 * si_mem_available() for memory (as /proc/meminfo).  The runnable count
 * and PSI are not exported to modules: they are read from the kernel's own
 * text files, /proc/loadavg and /proc/pressure/{cpu,memory,io} (where
 * kernel_read() can read them: not on Debian's 6.1 and 6.12 for PSI).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/kernel_stat.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/mm.h>
#include <linux/sched/loadavg.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tick.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include "vmmgmt_guest.h"

/* Largest payload of one sample. */
#define VMMGMT_GUEST_STATS_BUF_SIZE	(sizeof(struct vmmgmt_stats_sample) + \
				 VMMGMT_STATS_MAX_CPUS *		\
				 sizeof(struct vmmgmt_stats_cpu))

/**
 * vmmgmt_guest_stats_init() - set up the collector of a device being probed.
 * @vdev: the device; stats start disabled, with the default period.
 *
 * Context: process context; may sleep.
 * Return: 0 or -ENOMEM.  vmmgmt_guest_stats_free() undoes it, also after a
 * failure.
 */
int vmmgmt_guest_stats_init(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_sampler *st = &vdev->sampler;

	mutex_init(&st->lock);
	INIT_DELAYED_WORK(&st->work, vmmgmt_guest_stats_work);
	INIT_WORK(&st->req_work, vmmgmt_guest_stats_req_work);
	spin_lock_init(&st->req_lock);
	st->period_ms = VMMGMT_STATS_PERIOD_DEFAULT_MS;
	st->prev = kcalloc(nr_cpu_ids, sizeof(*st->prev), GFP_KERNEL);
	st->buf = kzalloc(VMMGMT_GUEST_STATS_BUF_SIZE, GFP_KERNEL);
	if (!st->prev || !st->buf)
		return -ENOMEM;
	return 0;
}

/**
 * vmmgmt_guest_stats_free() - free what vmmgmt_guest_stats_init() allocated.
 * @vdev: the device, with no work pending (vmmgmt_guest_stats_stop()).
 *
 * Context: any context that may free memory.
 */
void vmmgmt_guest_stats_free(struct vmmgmt_guest_dev *vdev)
{
	kfree(vdev->sampler.buf);
	kfree(vdev->sampler.prev);
	mutex_destroy(&vdev->sampler.lock);
}

/**
 * vmmgmt_guest_stats_stop() - stop sampling for good (device removal).
 * @vdev: the device, whose sysfs files are gone already (no store can
 *	enable sampling again).
 *
 * Context: process context; may sleep; must not hold
 * &vmmgmt_guest_sampler.lock.
 */
void vmmgmt_guest_stats_stop(struct vmmgmt_guest_dev *vdev)
{
	mutex_lock(&vdev->sampler.lock);
	vdev->sampler.enabled = false;
	mutex_unlock(&vdev->sampler.lock);
	cancel_delayed_work_sync(&vdev->sampler.work);
	/* The rx work, which queues requests, was shut down before. */
	cancel_work_sync(&vdev->sampler.req_work);
}

/* @now - @before for a counter that should only grow; 0 if it did not. */
static u64 vmmgmt_guest_stats_delta(u64 now, u64 before)
{
	return now > before ? now - before : 0;
}

/**
 * vmmgmt_guest_stats_read_cpu() - the cumulative CPU times of one CPU.
 * @cpu: the CPU.
 * @c: filled in with nanoseconds since boot, as /proc/stat counts them.
 *
 * Context: any; does not sleep.
 */
static void vmmgmt_guest_stats_read_cpu(int cpu, struct vmmgmt_stats_cpu *c)
{
	struct kernel_cpustat kcs;
	const u64 *t = kcs.cpustat;
	u64 us;

	kcpustat_cpu_fetch(&kcs, cpu);
	c->user = t[CPUTIME_USER] + t[CPUTIME_NICE];
	c->system = t[CPUTIME_SYSTEM] + t[CPUTIME_IRQ] + t[CPUTIME_SOFTIRQ];
	c->steal = t[CPUTIME_STEAL];
	us = cpu_online(cpu) ? get_cpu_idle_time_us(cpu, NULL) : -1ULL;
	c->idle = us == -1ULL ? t[CPUTIME_IDLE] : us * NSEC_PER_USEC;
	us = cpu_online(cpu) ? get_cpu_iowait_time_us(cpu, NULL) : -1ULL;
	c->iowait = us == -1ULL ? t[CPUTIME_IOWAIT] : us * NSEC_PER_USEC;
	c->cpu = cpu;
	c->reserved = 0;
}

/**
 * vmmgmt_guest_stats_fit() - scale one CPU's times down to the period.
 * @d: the CPU's times over the period.
 * @period: the period in nanoseconds.
 *
 * One CPU cannot spend more than the period, but accounting can catch up
 * in one go (steal time of a vCPU held off for long, tick-based times);
 * then the five times are scaled down to add up to @period, keeping their
 * proportions.
 *
 * Context: any.
 */
static void vmmgmt_guest_stats_fit(struct vmmgmt_stats_cpu *d, u64 period)
{
	u64 sum = d->user + d->system + d->idle + d->iowait + d->steal;

	if (sum <= period)
		return;
	d->user = mul_u64_u64_div_u64(d->user, period, sum);
	d->system = mul_u64_u64_div_u64(d->system, period, sum);
	d->idle = mul_u64_u64_div_u64(d->idle, period, sum);
	d->iowait = mul_u64_u64_div_u64(d->iowait, period, sum);
	d->steal = mul_u64_u64_div_u64(d->steal, period, sum);
}

/**
 * vmmgmt_guest_stats_cpus() - CPU times since the previous call.
 * @st: the collector; its per-CPU baseline moves to now.
 * @s: the sample to fill in (total, nr_cpus, nr_cpu_entries, cpu[]; its
 *	period is set), or NULL to take a baseline only.
 *
 * Context: process context; &vmmgmt_guest_sampler.lock held.
 */
static void vmmgmt_guest_stats_cpus(struct vmmgmt_guest_sampler *st,
				    struct vmmgmt_stats_sample *s)
{
	struct vmmgmt_stats_cpu now, d;
	unsigned int n = 0;
	int cpu;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct vmmgmt_stats_cpu *prev = &st->prev[cpu];

		vmmgmt_guest_stats_read_cpu(cpu, &now);
		if (s && cpu_online(cpu)) {
			d.user = vmmgmt_guest_stats_delta(now.user, prev->user);
			d.system = vmmgmt_guest_stats_delta(now.system,
							    prev->system);
			d.idle = vmmgmt_guest_stats_delta(now.idle, prev->idle);
			d.iowait = vmmgmt_guest_stats_delta(now.iowait,
							    prev->iowait);
			d.steal = vmmgmt_guest_stats_delta(now.steal,
							   prev->steal);
			d.cpu = cpu;
			d.reserved = 0;
			vmmgmt_guest_stats_fit(&d, s->period);
			s->total.user += d.user;
			s->total.system += d.system;
			s->total.idle += d.idle;
			s->total.iowait += d.iowait;
			s->total.steal += d.steal;
			s->total.cpu++;
			if (n < VMMGMT_STATS_MAX_CPUS)
				s->cpu[n++] = d;
		}
		*prev = now;
	}
	cpus_read_unlock();
	if (s) {
		s->nr_cpus = s->total.cpu;
		s->nr_cpu_entries = n;
	}
}

/**
 * vmmgmt_guest_stats_read_file() - read a small /proc file.
 * @path: its path.
 * @buf: the text, NUL-terminated.
 * @size: size of @buf.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno (the file does not exist, or refuses).
 */
static int vmmgmt_guest_stats_read_file(const char *path, char *buf,
					size_t size)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	/*
	 * kernel_read() needs ->read_iter and no ->read, and warns about any
	 * other file: Debian's 6.1 and 6.12 serve /proc/pressure/ with
	 * ->read only, so PSI is absent there.
	 */
	if (!f->f_op->read_iter || f->f_op->read) {
		filp_close(f, NULL);
		return -EOPNOTSUPP;
	}
	n = kernel_read(f, buf, size - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return 0;
}

/**
 * vmmgmt_guest_stats_avg10() - one avg10 value of a /proc/pressure file.
 * @text: the file's text.
 * @kind: "some" or "full".
 *
 * Context: any.
 * Return: the value in 1/100 %, at most %VMMGMT_STATS_PSI_MAX; 0 if the
 * line is missing.
 */
static u32 vmmgmt_guest_stats_avg10(const char *text, const char *kind)
{
	unsigned int whole, frac;
	const char *p = strstr(text, kind);

	if (!p || sscanf(p + strlen(kind), " avg10=%u.%2u", &whole, &frac) != 2)
		return 0;
	return min_t(u64, (u64)whole * 100 + frac, VMMGMT_STATS_PSI_MAX);
}

/**
 * vmmgmt_guest_stats_psi() - fill in the PSI fields of a sample.
 * @s: the sample; %VMMGMT_STATS_F_PSI is set when all three files exist.
 *
 * Context: process context; may sleep.
 */
static void vmmgmt_guest_stats_psi(struct vmmgmt_stats_sample *s)
{
	static const char * const files[VMMGMT_STATS_PSI_NR] = {
		[VMMGMT_STATS_PSI_CPU] = "/proc/pressure/cpu",
		[VMMGMT_STATS_PSI_MEMORY] = "/proc/pressure/memory",
		[VMMGMT_STATS_PSI_IO] = "/proc/pressure/io",
	};
	char text[160];
	int i;

	for (i = 0; i < VMMGMT_STATS_PSI_NR; i++) {
		if (vmmgmt_guest_stats_read_file(files[i], text,
						 sizeof(text))) {
			memset(s->psi_some_avg10, 0, sizeof(s->psi_some_avg10));
			memset(s->psi_full_avg10, 0, sizeof(s->psi_full_avg10));
			return;
		}
		s->psi_some_avg10[i] = vmmgmt_guest_stats_avg10(text, "some");
		s->psi_full_avg10[i] = vmmgmt_guest_stats_avg10(text, "full");
	}
	s->flags |= VMMGMT_STATS_F_PSI;
}

/**
 * vmmgmt_guest_stats_tasks() - fill in the load averages and task counts.
 * @s: the sample.
 *
 * Context: process context; may sleep.
 */
static void vmmgmt_guest_stats_tasks(struct vmmgmt_stats_sample *s)
{
	unsigned int runnable, threads;
	char text[128];
	int i;

	/* Rounded as /proc/loadavg rounds them. */
	for (i = 0; i < 3; i++) {
		unsigned long a = READ_ONCE(avenrun[i]) + FIXED_1 / 200;

		s->load_avg[i] = min_t(u64,
				       (u64)LOAD_INT(a) * 100 + LOAD_FRAC(a),
				       U32_MAX);
	}
	if (vmmgmt_guest_stats_read_file("/proc/loadavg", text, sizeof(text)))
		return;
	if (sscanf(text, "%*s %*s %*s %u/%u", &runnable, &threads) != 2)
		return;
	s->runnable = runnable;
	s->nr_threads = threads;
}

/**
 * vmmgmt_guest_stats_mem() - fill in the memory fields, as /proc/meminfo.
 * @s: the sample.
 *
 * Context: any; does not sleep.
 */
static void vmmgmt_guest_stats_mem(struct vmmgmt_stats_sample *s)
{
	struct sysinfo i;
	long cached;

	si_meminfo(&i);
	cached = global_node_page_state(NR_FILE_PAGES) -
		 global_node_page_state(NR_SWAPCACHE) - i.bufferram;
	if (cached < 0)
		cached = 0;
	s->mem_total = (u64)i.totalram * i.mem_unit >> 10;
	s->mem_free = (u64)i.freeram * i.mem_unit >> 10;
	s->mem_available = (u64)si_mem_available() << (PAGE_SHIFT - 10);
	s->mem_cached = (u64)cached << (PAGE_SHIFT - 10);
}

/**
 * vmmgmt_guest_stats_post() - post a sample to the guest-to-host ring.
 * @vdev: the device.
 * @s: the sample.
 * @len: its length in bytes.
 *
 * Through the link's send path, without waiting for ring space: a sample
 * that does not fit now is dropped (and counted), the next one replaces
 * it anyway.  The doorbell rings only when the host is not draining the
 * ring, so at most once.
 *
 * Context: process context; &vmmgmt_guest_sampler.lock held; takes
 * &vmmgmt_guest_dev.lock for reading, then &vmmgmt_guest_dev.tx_lock.
 * Return: 0 or a negative errno.
 */
static int vmmgmt_guest_stats_post(struct vmmgmt_guest_dev *vdev,
				   const struct vmmgmt_stats_sample *s, u32 len)
{
	struct vmmgmt_rec hdr = {
		.len = len,
		.mode = VMMGMT_MODE_STATS,
		.id = s->seq,
	};
	int ret;

	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
	} else {
		vmmgmt_guest_link_refresh(vdev);
		hdr.src.vm = READ_ONCE(vdev->vm_id);
		ret = vmmgmt_guest_send(vdev, &hdr, s, true);
	}
	up_read(&vdev->lock);
	return ret;
}

/**
 * vmmgmt_guest_stats_work() - take one sample, post it, and plan the next.
 * @work: &vmmgmt_guest_sampler.work.
 *
 * Context: process context (system workqueue); takes
 * &vmmgmt_guest_sampler.lock.
 */
void vmmgmt_guest_stats_work(struct work_struct *work)
{
	struct vmmgmt_guest_sampler *st = container_of(to_delayed_work(work),
						   struct vmmgmt_guest_sampler,
						   work);
	struct vmmgmt_guest_dev *vdev =
		container_of(st, struct vmmgmt_guest_dev, sampler);
	struct vmmgmt_stats_sample *s = st->buf;
	u64 now;
	u32 len;
	int ret;

	mutex_lock(&st->lock);
	if (!st->enabled || st->paused ||
	    !vmmgmt_guest_mode_on(vdev, VMMGMT_MODE_STATS))
		goto unlock;
	now = ktime_get_ns();
	/*
	 * A run that waited for @lock while stats were switched off and on
	 * again comes right after the new baseline: leave it to the run
	 * that enabling queued.
	 */
	if (now - st->last_ns < (u64)st->period_ms * NSEC_PER_MSEC / 2)
		goto unlock;

	memset(s, 0, VMMGMT_GUEST_STATS_BUF_SIZE);
	s->version = VMMGMT_STATS_VERSION;
	s->seq = ++st->seq;
	s->timestamp = now;
	s->period = now - st->last_ns;
	st->last_ns = now;
	vmmgmt_guest_stats_cpus(st, s);
	vmmgmt_guest_stats_tasks(s);
	vmmgmt_guest_stats_psi(s);
	vmmgmt_guest_stats_mem(s);
	if (st->has_needs) {
		s->needs = st->needs;
		s->flags |= VMMGMT_STATS_F_NEEDS;
	}
	len = struct_size(s, cpu, s->nr_cpu_entries);

	ret = vmmgmt_guest_stats_post(vdev, s, len);
	if (ret) {
		atomic64_inc(&st->failed);
		dev_dbg_ratelimited(&vdev->pdev->dev,
				    "stats sample %llu not sent (%d)\n",
				    s->seq, ret);
	} else {
		atomic64_inc(&st->sent);
	}
	schedule_delayed_work(&st->work, msecs_to_jiffies(st->period_ms));
unlock:
	mutex_unlock(&st->lock);
}

/**
 * vmmgmt_guest_stats_set_needs() - VMMGMT_IOC_SET_NEEDS.
 * @vdev: the device.
 * @uarg: user pointer to a &struct vmmgmt_stats_needs.
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_sampler.lock.
 * Return: 0; -EPERM without CAP_SYS_ADMIN, or while the owner has the
 * statistics mode off (counted in its denials); -EFAULT; -EINVAL for a
 * value out of range or nonzero flags or reserved; -ENODEV after removal.
 */
long vmmgmt_guest_stats_set_needs(struct vmmgmt_guest_dev *vdev,
				  void __user *uarg)
{
	struct vmmgmt_stats_needs needs;
	long ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&needs, uarg, sizeof(needs)))
		return -EFAULT;
	if (needs.vcpus_wanted > VMMGMT_STATS_VCPUS_WANTED_MAX ||
	    needs.urgency > VMMGMT_STATS_URGENCY_MAX || needs.flags ||
	    needs.reserved)
		return -EINVAL;
	if (!vmmgmt_guest_mode_on(vdev, VMMGMT_MODE_STATS)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, VMMGMT_MODE_STATS)->denials);
		return -EPERM;
	}

	/*
	 * The file's reference keeps the collector alive;
	 * &vmmgmt_guest_dev.lock is not needed (and would be taken in the wrong
	 * order).
	 */
	mutex_lock(&vdev->sampler.lock);
	if (READ_ONCE(vdev->removed)) {
		ret = -ENODEV;
	} else {
		vdev->sampler.needs = needs;
		vdev->sampler.has_needs = needs.vcpus_wanted || needs.urgency;
	}
	mutex_unlock(&vdev->sampler.lock);
	return ret;
}

/**
 * vmmgmt_guest_stats_enable() - start or stop sampling (sysfs
 * modes/stats/sampling, or the host's request).
 * @vdev: the device.
 * @on: true to start, false to stop; the same as now changes nothing.
 *
 * Starting takes a baseline; the first sample follows one period later.
 * Starting needs the statistics mode on; the owner turning it off stops
 * the sampling through here, after the mode's bit is clear, so that no
 * sampling outlives the mode.
 *
 * Context: process context; takes &vmmgmt_guest_sampler.lock.
 * Return: 0, or -EPERM to start while the statistics mode is off
 * (counted in its denials).
 */
int vmmgmt_guest_stats_enable(struct vmmgmt_guest_dev *vdev, bool on)
{
	struct vmmgmt_guest_sampler *st = &vdev->sampler;
	int ret = 0;

	mutex_lock(&st->lock);
	if (on && !vmmgmt_guest_mode_on(vdev, VMMGMT_MODE_STATS)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, VMMGMT_MODE_STATS)->denials);
		ret = -EPERM;
	} else if (on && !st->enabled) {
		vmmgmt_guest_stats_cpus(st, NULL);
		st->last_ns = ktime_get_ns();
		st->enabled = true;
		mod_delayed_work(system_wq, &st->work,
				 msecs_to_jiffies(st->period_ms));
	} else if (!on && st->enabled) {
		st->enabled = false;
		cancel_delayed_work(&st->work);
	}
	mutex_unlock(&st->lock);
	return ret;
}

/**
 * vmmgmt_guest_stats_pause() - stop sampling for a system sleep.
 * @vdev: the device.
 *
 * Whether sampling is on stays as the owner set it; no sample is taken
 * until vmmgmt_guest_stats_resume().  The host's requests wait in their
 * queue (the rx work that takes them is stopped too).
 *
 * Context: process context; may sleep; must not hold
 * &vmmgmt_guest_sampler.lock.
 */
void vmmgmt_guest_stats_pause(struct vmmgmt_guest_dev *vdev)
{
	mutex_lock(&vdev->sampler.lock);
	vdev->sampler.paused = true;
	mutex_unlock(&vdev->sampler.lock);
	cancel_delayed_work_sync(&vdev->sampler.work);
	cancel_work_sync(&vdev->sampler.req_work);
}

/**
 * vmmgmt_guest_stats_resume() - sample again after a system sleep.
 * @vdev: the device, paused by vmmgmt_guest_stats_pause().
 *
 * If sampling is on, takes a new baseline (the sleep is no period of
 * the guest's) and the next sample follows one period later; requests
 * of the host that waited are served.
 *
 * Context: process context; takes &vmmgmt_guest_sampler.lock.
 */
void vmmgmt_guest_stats_resume(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_sampler *st = &vdev->sampler;

	mutex_lock(&st->lock);
	st->paused = false;
	if (st->enabled) {
		vmmgmt_guest_stats_cpus(st, NULL);
		st->last_ns = ktime_get_ns();
		mod_delayed_work(system_wq, &st->work,
				 msecs_to_jiffies(st->period_ms));
	}
	mutex_unlock(&st->lock);
	schedule_work(&st->req_work);
}

/**
 * vmmgmt_guest_stats_set_period() - set the sampling period (sysfs
 * modes/stats/period_ms).
 * @vdev: the device.
 * @ms: milliseconds, %VMMGMT_STATS_PERIOD_MIN_MS..%VMMGMT_STATS_PERIOD_MAX_MS.
 *
 * A new period applies from the next sample on.
 *
 * Context: process context; takes &vmmgmt_guest_sampler.lock.
 * Return: 0, or -EINVAL for a period out of range.
 */
int vmmgmt_guest_stats_set_period(struct vmmgmt_guest_dev *vdev, u32 ms)
{
	struct vmmgmt_guest_sampler *st = &vdev->sampler;

	if (ms < VMMGMT_STATS_PERIOD_MIN_MS || ms > VMMGMT_STATS_PERIOD_MAX_MS)
		return -EINVAL;
	mutex_lock(&st->lock);
	WRITE_ONCE(st->period_ms, ms);
	mutex_unlock(&st->lock);
	return 0;
}

/*
 * Check a host's request: 0, or -EINVAL to answer it with.
 * Context: any.
 */
static int vmmgmt_guest_stats_req_check(const struct vmmgmt_rec *hdr,
					const struct vmmgmt_stats_ctl *c)
{
	if (hdr->len != sizeof(*c) || hdr->flags || hdr->dst.port || c->reserved)
		return -EINVAL;
	if (c->op == VMMGMT_STATS_CTL_GET)
		return c->sampling || c->period_ms ? -EINVAL : 0;
	if (c->op != VMMGMT_STATS_CTL_SET || c->sampling > 1)
		return -EINVAL;
	if (c->period_ms && (c->period_ms < VMMGMT_STATS_PERIOD_MIN_MS ||
			     c->period_ms > VMMGMT_STATS_PERIOD_MAX_MS))
		return -EINVAL;
	return 0;
}

/**
 * vmmgmt_guest_stats_rx() - a statistics record from the host: a request
 * to the collector (&struct vmmgmt_stats_ctl).
 * @vdev: the device; the owner has the statistics mode on (the link
 *	checked).
 * @hdr: validated private copy of the record header.
 * @payload: private copy of its payload.
 *
 * A request to port 0 that is well formed waits in
 * &vmmgmt_guest_sampler.reqs for the collector's request work, which
 * applies and answers it in process context; a malformed one, or one
 * more than %VMMGMT_GUEST_STATS_REQS waiting, is answered at once with
 * EINVAL or EBUSY.  Answers (the host sends none) are dropped.  Every
 * record counts in the mode's rx or errors.
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held; takes
 * &vmmgmt_guest_sampler.req_lock.
 * Return: 0 (the record is always consumed).
 */
int vmmgmt_guest_stats_rx(struct vmmgmt_guest_dev *vdev,
			  const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_guest_mode_counters *cnt =
		vmmgmt_guest_mode_cnt(vdev, VMMGMT_MODE_STATS);
	struct vmmgmt_guest_sampler *st = &vdev->sampler;
	struct vmmgmt_stats_ctl c = { 0 };
	u32 err;

	if (hdr->flags & VMMGMT_REC_F_RESPONSE) {
		atomic64_inc(&cnt->errors);
		return 0;
	}
	memcpy(&c, payload, min_t(size_t, hdr->len, sizeof(c)));
	err = -vmmgmt_guest_stats_req_check(hdr, &c);
	if (!err) {
		spin_lock(&st->req_lock);
		if (st->nr_reqs < VMMGMT_GUEST_STATS_REQS) {
			st->reqs[st->nr_reqs].id = hdr->id;
			st->reqs[st->nr_reqs].src = hdr->src;
			st->reqs[st->nr_reqs].ctl = c;
			st->nr_reqs++;
		} else {
			err = EBUSY;
		}
		spin_unlock(&st->req_lock);
	}
	if (err) {
		atomic64_inc(&cnt->errors);
		vmmgmt_guest_answer_err(vdev, hdr, err);
		return 0;
	}
	atomic64_inc(&cnt->rx_msgs);
	atomic64_add(hdr->len, &cnt->rx_bytes);
	schedule_work(&st->req_work);
	return 0;
}

/* Apply one request; the settings in force into @ans.  Takes st->lock. */
static int vmmgmt_guest_stats_apply(struct vmmgmt_guest_dev *vdev,
				    const struct vmmgmt_stats_ctl *c,
				    struct vmmgmt_stats_ctl *ans)
{
	struct vmmgmt_guest_sampler *st = &vdev->sampler;
	int ret = 0;

	if (c->op == VMMGMT_STATS_CTL_SET) {
		if (c->period_ms)
			ret = vmmgmt_guest_stats_set_period(vdev, c->period_ms);
		if (!ret)
			ret = vmmgmt_guest_stats_enable(vdev, c->sampling);
	}
	mutex_lock(&st->lock);
	ans->op = c->op;
	ans->sampling = st->enabled;
	ans->period_ms = st->period_ms;
	mutex_unlock(&st->lock);
	return ret;
}

/**
 * vmmgmt_guest_stats_req_work() - serve the host's requests.
 * @work: &vmmgmt_guest_sampler.req_work.
 *
 * Applies each waiting request in turn and answers it with the settings
 * in force, or with the errno it failed with (EPERM: the owner turned
 * the statistics mode off meanwhile).  An answer that finds no room in
 * the ring counts in the mode's errors.
 *
 * Context: process context (system workqueue); takes
 * &vmmgmt_guest_sampler.lock, &vmmgmt_guest_dev.lock for reading and
 * &vmmgmt_guest_sampler.req_lock.
 */
void vmmgmt_guest_stats_req_work(struct work_struct *work)
{
	struct vmmgmt_guest_sampler *st =
		container_of(work, struct vmmgmt_guest_sampler, req_work);
	struct vmmgmt_guest_dev *vdev =
		container_of(st, struct vmmgmt_guest_dev, sampler);
	struct vmmgmt_guest_stats_req req;
	struct vmmgmt_stats_ctl ans;
	struct vmmgmt_rec hdr;
	u32 err;
	int ret;

	for (;;) {
		spin_lock(&st->req_lock);
		if (!st->nr_reqs) {
			spin_unlock(&st->req_lock);
			return;
		}
		req = st->reqs[0];
		st->nr_reqs--;
		memmove(&st->reqs[0], &st->reqs[1],
			st->nr_reqs * sizeof(st->reqs[0]));
		spin_unlock(&st->req_lock);

		memset(&ans, 0, sizeof(ans));
		ret = vmmgmt_guest_stats_apply(vdev, &req.ctl, &ans);
		memset(&hdr, 0, sizeof(hdr));
		hdr.mode = VMMGMT_MODE_STATS;
		hdr.flags = VMMGMT_REC_F_RESPONSE;
		hdr.id = req.id;
		hdr.dst = req.src;
		err = -ret;
		down_read(&vdev->lock);
		if (vdev->removed) {
			up_read(&vdev->lock);
			return;
		}
		hdr.src.vm = READ_ONCE(vdev->vm_id);
		if (ret) {
			hdr.flags |= VMMGMT_REC_F_ERROR;
			hdr.len = sizeof(err);
			ret = vmmgmt_guest_send(vdev, &hdr, &err, true);
		} else {
			hdr.len = sizeof(ans);
			ret = vmmgmt_guest_send(vdev, &hdr, &ans, true);
		}
		up_read(&vdev->lock);
		if (ret)
			atomic64_inc(&vmmgmt_guest_mode_cnt(vdev,
							    VMMGMT_MODE_STATS)->errors);
	}
}
