// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt statistics: the host's check of a sample from a guest (see
 * vmmgmt_stats_rules.h).  It owns nothing and calls nothing of either
 * module; vmmgmt_host_stats.c keeps the samples it accepts.
 */
#include "vmmgmt_stats_rules.h"

/* The five times of @c, each at most @max; their sum in @sum. */
static bool vmmgmt_stats_cpu_ok(const struct vmmgmt_stats_cpu *c, u64 max,
				u64 *sum)
{
	if (c->user > max || c->system > max || c->idle > max ||
	    c->iowait > max || c->steal > max)
		return false;
	/* No overflow: max is far below U64_MAX / 5. */
	*sum = c->user + c->system + c->idle + c->iowait + c->steal;
	return *sum <= max;
}

static bool vmmgmt_stats_zero(const void *p, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/**
 * vmmgmt_stats_check() - validate one sample from a guest.
 * @hdr: the record header.
 * @s: @hdr->len bytes of payload, a private copy.
 * @prev: the previous accepted sample, for the sequence rules.
 *
 * The rules are those of &struct vmmgmt_stats_sample: exact length,
 * known version and flags, zero reserved fields, a sequence number and
 * timestamp that move forward (or a sequence restarting at 1), a period
 * within [%VMMGMT_STATS_PERIOD_MIN_MS / 2, 10 * %VMMGMT_STATS_PERIOD_MAX_MS]
 * milliseconds, CPU times that fit into the period (per CPU, plus 25 %
 * and 50 ms of accounting slack) and whose per-CPU entries do not add up
 * to more than the totals, and every other value within its documented
 * range (Documentation/stats.rst, "What the host refuses").
 *
 * Context: any; does not sleep.
 * Return: NULL when the sample is valid, else the name of the rule it
 * breaks (the host's stats/last_error).
 */
const char *vmmgmt_stats_check(const struct vmmgmt_rec *hdr,
			       const struct vmmgmt_stats_sample *s,
			       const struct vmmgmt_stats_prev *prev)
{
	u64 max, sum, user = 0, system = 0, idle = 0, iowait = 0, steal = 0;
	u32 i, entries;

	if (hdr->len < sizeof(*s))
		return "short";
	if (hdr->flags || !vmmgmt_stats_zero(&hdr->dst, sizeof(hdr->dst)))
		return "header";
	if (s->version != VMMGMT_STATS_VERSION)
		return "version";
	if (s->flags & ~VMMGMT_STATS_F_KNOWN)
		return "flags";
	if (!s->nr_cpus || s->nr_cpus > VMMGMT_STATS_MAX_GUEST_CPUS)
		return "nr_cpus";
	entries = s->nr_cpus < VMMGMT_STATS_MAX_CPUS ? s->nr_cpus :
		  VMMGMT_STATS_MAX_CPUS;
	if (s->nr_cpu_entries != entries)
		return "nr_cpu_entries";
	/* entries <= VMMGMT_STATS_MAX_CPUS: no overflow. */
	if (hdr->len != sizeof(*s) + entries * sizeof(s->cpu[0]))
		return "length";
	if (!vmmgmt_stats_zero(s->reserved, sizeof(s->reserved)) ||
	    s->total.reserved)
		return "reserved";
	for (i = 0; i < entries; i++)
		if (s->cpu[i].reserved)
			return "reserved";
	if (!s->seq)
		return "seq";
	if (prev->valid && s->seq != 1 &&
	    (s->seq <= prev->seq || s->timestamp <= prev->timestamp))
		return "seq";
	if (s->period < VMMGMT_STATS_CHECK_PERIOD_MIN ||
	    s->period > VMMGMT_STATS_CHECK_PERIOD_MAX)
		return "period";

	max = s->period + s->period / 4 + VMMGMT_STATS_CHECK_SLACK;
	for (i = 0; i < entries; i++) {
		const struct vmmgmt_stats_cpu *c = &s->cpu[i];

		if (c->cpu >= VMMGMT_STATS_MAX_GUEST_CPUS ||
		    (i && c->cpu <= s->cpu[i - 1].cpu))
			return "cpu number";
		if (!vmmgmt_stats_cpu_ok(c, max, &sum))
			return "cpu time";
		user += c->user;
		system += c->system;
		idle += c->idle;
		iowait += c->iowait;
		steal += c->steal;
	}
	if (s->total.cpu != s->nr_cpus ||
	    !vmmgmt_stats_cpu_ok(&s->total, max * s->nr_cpus, &sum))
		return "total cpu time";
	if (user > s->total.user || system > s->total.system ||
	    idle > s->total.idle || iowait > s->total.iowait ||
	    steal > s->total.steal)
		return "cpu times above total";

	if (s->runnable > VMMGMT_STATS_CHECK_TASKS_MAX ||
	    s->nr_threads > VMMGMT_STATS_CHECK_TASKS_MAX)
		return "tasks";
	if (s->load_avg[0] > VMMGMT_STATS_CHECK_LOAD_MAX ||
	    s->load_avg[1] > VMMGMT_STATS_CHECK_LOAD_MAX ||
	    s->load_avg[2] > VMMGMT_STATS_CHECK_LOAD_MAX)
		return "load";
	for (i = 0; i < VMMGMT_STATS_PSI_NR; i++)
		if (s->psi_some_avg10[i] > VMMGMT_STATS_PSI_MAX ||
		    s->psi_full_avg10[i] > VMMGMT_STATS_PSI_MAX)
			return "psi";
	if (!(s->flags & VMMGMT_STATS_F_PSI) &&
	    (!vmmgmt_stats_zero(s->psi_some_avg10, sizeof(s->psi_some_avg10)) ||
	     !vmmgmt_stats_zero(s->psi_full_avg10, sizeof(s->psi_full_avg10))))
		return "psi";
	if (!s->mem_total || s->mem_total > VMMGMT_STATS_CHECK_MEM_MAX ||
	    s->mem_free > s->mem_total || s->mem_available > s->mem_total ||
	    s->mem_cached > s->mem_total)
		return "memory";
	if (s->needs.vcpus_wanted > VMMGMT_STATS_VCPUS_WANTED_MAX ||
	    s->needs.urgency > VMMGMT_STATS_URGENCY_MAX ||
	    s->needs.flags || s->needs.reserved)
		return "needs";
	if (!(s->flags & VMMGMT_STATS_F_NEEDS) &&
	    !vmmgmt_stats_zero(&s->needs, sizeof(s->needs)))
		return "needs";
	return NULL;
}
