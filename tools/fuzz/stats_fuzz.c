// SPDX-License-Identifier: GPL-2.0
/*
 * stats_fuzz - libFuzzer target for the host's check of a statistics
 * sample from a guest (lib/vmmgmt_stats_rules.c, vmmgmt_stats_check(),
 * which vmmgmt_host.ko runs on every %VMMGMT_MODE_STATS record).
 *
 * The input is the previous sample's sequence and timestamp, the record
 * header's flags and destination, and the payload (see parse_fuzz.h),
 * copied into a buffer of exactly its length.  It crashes on a read past
 * the payload (ASan), on undefined behaviour (UBSan), and when the check
 * differs from a model of the rules of Documentation/stats.rst ("What the
 * host refuses") written out again here with its own limits: a sample
 * accepted that breaks a rule, one refused that breaks none, or refused
 * with the name of a rule it does not break.  For an accepted sample it
 * also checks the claim the host's per-mille arithmetic relies on (every
 * time below 2^53).
 */

#include "vmmgmt_stats_rules.c"

#include "parse_fuzz.h"

/* Documentation/stats.rst and uapi/vmmgmt_types.h, in the model's units. */
#define M_SAMPLE_SIZE		240
#define M_CPU_SIZE		48
#define M_MAX_ENTRIES		64
#define M_MAX_GUEST_CPUS	8192
#define M_VERSION		1
#define M_F_PSI			0x1
#define M_F_NEEDS		0x2
#define M_PERIOD_MIN		50000000ULL		/* 50 ms */
#define M_PERIOD_MAX		600000000000ULL		/* 600 s */
#define M_SLACK			50000000ULL		/* 50 ms */
#define M_TASKS_MAX		4194304ULL		/* 2^22 */
#define M_LOAD_MAX		(4194304ULL * 100)
#define M_PSI_MAX		10000
#define M_MEM_MAX		1125899906842624ULL	/* 1 PiB */
#define M_VCPUS_MAX		1024
#define M_URGENCY_MAX		100

enum rule {
	R_SHORT, R_HEADER, R_LENGTH, R_VERSION, R_FLAGS, R_RESERVED,
	R_NR_CPUS, R_NR_ENTRIES, R_SEQ, R_PERIOD, R_CPU_NUMBER, R_CPU_TIME,
	R_TOTAL, R_ABOVE_TOTAL, R_TASKS, R_LOAD, R_PSI, R_MEMORY, R_NEEDS,
	R_NR
};

static const char *const rule_name[R_NR] = {
	[R_SHORT] = "short", [R_HEADER] = "header", [R_LENGTH] = "length",
	[R_VERSION] = "version", [R_FLAGS] = "flags",
	[R_RESERVED] = "reserved", [R_NR_CPUS] = "nr_cpus",
	[R_NR_ENTRIES] = "nr_cpu_entries", [R_SEQ] = "seq",
	[R_PERIOD] = "period", [R_CPU_NUMBER] = "cpu number",
	[R_CPU_TIME] = "cpu time", [R_TOTAL] = "total cpu time",
	[R_ABOVE_TOTAL] = "cpu times above total", [R_TASKS] = "tasks",
	[R_LOAD] = "load", [R_PSI] = "psi", [R_MEMORY] = "memory",
	[R_NEEDS] = "needs",
};

/* The five times of @c and their sum, each at most @bound. */
static bool model_times_ok(const struct vmmgmt_stats_cpu *c,
			   unsigned __int128 bound)
{
	unsigned __int128 sum = (unsigned __int128)c->user + c->system +
				c->idle + c->iowait + c->steal;

	return c->user <= bound && c->system <= bound && c->idle <= bound &&
	       c->iowait <= bound && c->steal <= bound && sum <= bound;
}

/* Every rule the sample breaks, as a bit mask of enum rule. */
static __u32 model_rules(const struct stats_fuzz_in *in, const __u8 *p,
			 size_t len)
{
	const struct vmmgmt_stats_sample *s = (const void *)p;
	__u32 broken = 0;
	__u64 entries;
	unsigned __int128 bound, sums[5] = { 0 };
	unsigned int i;

	if (in->rec_flags || in->dst[0] || in->dst[1] || in->dst[2] ||
	    in->dst[3])
		broken |= 1u << R_HEADER;
	if (len < M_SAMPLE_SIZE)
		return broken | 1u << R_SHORT;	/* nothing else to read */

	if (s->version != M_VERSION)
		broken |= 1u << R_VERSION;
	if (s->flags & ~(M_F_PSI | M_F_NEEDS))
		broken |= 1u << R_FLAGS;
	if (!model_zero(s->reserved, sizeof(s->reserved)) || s->total.reserved)
		broken |= 1u << R_RESERVED;
	if (s->nr_cpus < 1 || s->nr_cpus > M_MAX_GUEST_CPUS)
		broken |= 1u << R_NR_CPUS;
	entries = s->nr_cpus < M_MAX_ENTRIES ? s->nr_cpus : M_MAX_ENTRIES;
	if (s->nr_cpu_entries != entries)
		broken |= 1u << R_NR_ENTRIES;
	if (len != M_SAMPLE_SIZE + (__u64)s->nr_cpu_entries * M_CPU_SIZE)
		broken |= 1u << R_LENGTH;

	if (!s->seq || ((in->prev_valid & 1) && s->seq != 1 &&
			(s->seq <= in->prev_seq ||
			 s->timestamp <= in->prev_timestamp)))
		broken |= 1u << R_SEQ;
	if (s->period < M_PERIOD_MIN || s->period > M_PERIOD_MAX)
		broken |= 1u << R_PERIOD;

	/* The bound of one CPU: the period, plus 25 %, plus 50 ms. */
	bound = (unsigned __int128)s->period + s->period / 4 + M_SLACK;
	/* The entries, as far as there are bytes for them. */
	for (i = 0; i < s->nr_cpu_entries &&
	     M_SAMPLE_SIZE + (i + 1) * M_CPU_SIZE <= len; i++) {
		const struct vmmgmt_stats_cpu *c = &s->cpu[i];

		if (c->cpu >= M_MAX_GUEST_CPUS || (i && c->cpu <= s->cpu[i - 1].cpu))
			broken |= 1u << R_CPU_NUMBER;
		if (c->reserved)
			broken |= 1u << R_RESERVED;
		if (!model_times_ok(c, bound))
			broken |= 1u << R_CPU_TIME;
		sums[0] += c->user;
		sums[1] += c->system;
		sums[2] += c->idle;
		sums[3] += c->iowait;
		sums[4] += c->steal;
	}
	if (s->total.cpu != s->nr_cpus ||
	    !model_times_ok(&s->total, bound * s->nr_cpus))
		broken |= 1u << R_TOTAL;
	if (sums[0] > s->total.user || sums[1] > s->total.system ||
	    sums[2] > s->total.idle || sums[3] > s->total.iowait ||
	    sums[4] > s->total.steal)
		broken |= 1u << R_ABOVE_TOTAL;

	if (s->runnable > M_TASKS_MAX || s->nr_threads > M_TASKS_MAX)
		broken |= 1u << R_TASKS;
	for (i = 0; i < 3; i++)
		if (s->load_avg[i] > M_LOAD_MAX)
			broken |= 1u << R_LOAD;
	for (i = 0; i < 3; i++)
		if (s->psi_some_avg10[i] > M_PSI_MAX ||
		    s->psi_full_avg10[i] > M_PSI_MAX ||
		    (!(s->flags & M_F_PSI) &&
		     (s->psi_some_avg10[i] || s->psi_full_avg10[i])))
			broken |= 1u << R_PSI;
	/* KiB: 1 KiB .. 1 PiB. */
	if (s->mem_total < 1 || (unsigned __int128)s->mem_total * 1024 > M_MEM_MAX ||
	    s->mem_free > s->mem_total || s->mem_available > s->mem_total ||
	    s->mem_cached > s->mem_total)
		broken |= 1u << R_MEMORY;
	if (s->needs.vcpus_wanted > M_VCPUS_MAX ||
	    s->needs.urgency > M_URGENCY_MAX || s->needs.flags ||
	    s->needs.reserved ||
	    (!(s->flags & M_F_NEEDS) &&
	     (s->needs.vcpus_wanted || s->needs.urgency)))
		broken |= 1u << R_NEEDS;
	return broken;
}

/* What the host does with an accepted sample must not overflow. */
static void check_accepted(const struct vmmgmt_stats_sample *s)
{
	const struct vmmgmt_stats_cpu *c[M_MAX_ENTRIES + 1];
	unsigned int i, n = 0;

	c[n++] = &s->total;
	for (i = 0; i < s->nr_cpu_entries; i++)
		c[n++] = &s->cpu[i];
	for (i = 0; i < n; i++) {
		unsigned __int128 sum = (unsigned __int128)c[i]->user + c[i]->system + c[i]->idle +
			   c[i]->iowait + c[i]->steal;

		/* vmmgmt_host_permille(): part * 1000 in 64 bits. */
		FUZZ_ASSERT(sum < (1ULL << 53));
	}
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	struct stats_fuzz_in in = { 0 };
	struct vmmgmt_stats_prev prev;
	struct vmmgmt_rec hdr = { .mode = VMMGMT_MODE_STATS };
	const char *got;
	__u32 broken;
	size_t len;
	__u8 *p;
	int i;

	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	data += sizeof(in);
	len = size - sizeof(in);
	/* A ring's largest record (VMMGMT_MSG_MAX). */
	if (len > 65536)
		return 0;

	hdr.len = len;
	hdr.flags = in.rec_flags;
	memcpy(&hdr.dst, in.dst, sizeof(hdr.dst));
	prev.valid = in.prev_valid & 1;
	prev.seq = in.prev_seq;
	prev.timestamp = in.prev_timestamp;

	/* Exactly the payload's size (malloc aligns it for every type). */
	p = malloc(len ? len : 1);
	FUZZ_ASSERT(p);
	memcpy(p, data, len);

	got = vmmgmt_stats_check(&hdr, (const void *)p, &prev);
	broken = model_rules(&in, p, len);
	if (!broken) {
		if (got)
			fprintf(stderr, "stats_fuzz: refused as '%s', the model accepts\n",
				got);
		FUZZ_ASSERT(!got);
		check_accepted((const void *)p);
	} else {
		if (!got) {
			for (i = 0; i < R_NR; i++)
				if (broken & (1u << i))
					fprintf(stderr, "stats_fuzz: accepted, breaks '%s'\n",
						rule_name[i]);
		}
		FUZZ_ASSERT(got);
		for (i = 0; i < R_NR; i++)
			if ((broken & (1u << i)) && !strcmp(got, rule_name[i]))
				break;
		if (i == R_NR) {
			fprintf(stderr, "stats_fuzz: refused as '%s', the model says:", got);
			for (i = 0; i < R_NR; i++)
				if (broken & (1u << i))
					fprintf(stderr, " '%s'", rule_name[i]);
			fprintf(stderr, "\n");
			FUZZ_ASSERT(!"refused for a rule the sample does not break");
		}
	}
	free(p);
	return 0;
}
