// SPDX-License-Identifier: GPL-2.0
/*
 * parse_seed - write the seed corpora of stats_fuzz, ctrl_fuzz and
 * namelist_fuzz (the layouts are in parse_fuzz.h): valid inputs of
 * several shapes and a few at the edges of a rule, so that the fuzzers
 * start past the first checks.  Its output is kept in the tree, in
 * tools/fuzz/seeds/TARGET/; run it again after a change of the wire
 * format:
 *
 *	make -C tools/fuzz seeds
 *
 * Usage: parse_seed DIR	(writes DIR/stats_fuzz/, ctrl_fuzz/, namelist_fuzz/)
 */

#include <errno.h>
#include <sys/stat.h>
#include <vmmgmt_types.h>

#include "parse_fuzz.h"

static const char *dir;
static int nr_seeds;

static void seed_write(const char *target, const char *name, const void *a,
		       size_t alen, const void *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f)) {
		perror(path);
		exit(1);
	}
	nr_seeds++;
}

/* A valid sample of @nr_cpus CPUs, the period @period_ms. */
static size_t stats_sample(struct vmmgmt_stats_sample *s, __u32 nr_cpus,
			   __u64 seq, __u32 period_ms, __u16 flags)
{
	__u32 entries = nr_cpus < VMMGMT_STATS_MAX_CPUS ? nr_cpus :
			VMMGMT_STATS_MAX_CPUS;
	__u64 period = (__u64)period_ms * 1000000;
	__u32 i;

	memset(s, 0, sizeof(*s) + entries * sizeof(s->cpu[0]));
	s->version = VMMGMT_STATS_VERSION;
	s->flags = flags;
	s->nr_cpus = nr_cpus;
	s->seq = seq;
	s->timestamp = seq * period + 12345;
	s->period = period;
	s->nr_cpu_entries = entries;
	for (i = 0; i < entries; i++) {
		s->cpu[i].cpu = i * 2 + (nr_cpus > 64);
		s->cpu[i].user = period / 4;
		s->cpu[i].system = period / 8;
		s->cpu[i].idle = period / 2;
		s->cpu[i].iowait = period / 16;
		s->cpu[i].steal = period / 32;
	}
	s->total.cpu = nr_cpus;
	s->total.user = (__u64)nr_cpus * (period / 4);
	s->total.system = (__u64)nr_cpus * (period / 8);
	s->total.idle = (__u64)nr_cpus * (period / 2);
	s->total.iowait = (__u64)nr_cpus * (period / 16);
	s->total.steal = (__u64)nr_cpus * (period / 32);
	s->runnable = 3;
	s->nr_threads = 250;
	s->load_avg[0] = 153;
	s->load_avg[1] = 80;
	s->load_avg[2] = 20;
	if (flags & VMMGMT_STATS_F_PSI) {
		s->psi_some_avg10[VMMGMT_STATS_PSI_CPU] = 1250;
		s->psi_some_avg10[VMMGMT_STATS_PSI_IO] = 10000;
		s->psi_full_avg10[VMMGMT_STATS_PSI_MEMORY] = 7;
	}
	s->mem_total = 2 * 1024 * 1024;
	s->mem_free = 1024 * 1024;
	s->mem_available = 1536 * 1024;
	s->mem_cached = 300 * 1024;
	if (flags & VMMGMT_STATS_F_NEEDS) {
		s->needs.vcpus_wanted = 2;
		s->needs.urgency = 70;
	}
	return sizeof(*s) + entries * sizeof(s->cpu[0]);
}

static void stats_seeds(void)
{
	static union {
		struct vmmgmt_stats_sample s;
		__u8 b[sizeof(struct vmmgmt_stats_sample) +
		       VMMGMT_STATS_MAX_CPUS * sizeof(struct vmmgmt_stats_cpu)];
	} u;
	struct stats_fuzz_in in = { 0 };
	const __u16 both = VMMGMT_STATS_F_PSI | VMMGMT_STATS_F_NEEDS;
	size_t len;

	len = stats_sample(&u.s, 1, 1, 1000, 0);
	seed_write("stats_fuzz", "first-1cpu", &in, sizeof(in), &u, len);
	len = stats_sample(&u.s, 4, 8, 200, both);
	in.prev_valid = 1;
	in.prev_seq = 7;
	in.prev_timestamp = 7 * 200000000ULL;
	seed_write("stats_fuzz", "next-4cpu-psi-needs", &in, sizeof(in), &u, len);
	len = stats_sample(&u.s, 100, 9, 60000, VMMGMT_STATS_F_PSI);
	seed_write("stats_fuzz", "64of100cpu-longest", &in, sizeof(in), &u, len);
	len = stats_sample(&u.s, 64, 1, 100, VMMGMT_STATS_F_NEEDS);
	in.prev_seq = 1000;
	in.prev_timestamp = ~0ULL;
	seed_write("stats_fuzz", "restart-64cpu-shortest", &in, sizeof(in), &u, len);
	/* Periods at the bounds: 50 ms and 600 s. */
	len = stats_sample(&u.s, 2, 1, 50, 0);
	in.prev_valid = 0;
	seed_write("stats_fuzz", "period-50ms", &in, sizeof(in), &u, len);
	len = stats_sample(&u.s, 8192, 3, 600000, both);
	seed_write("stats_fuzz", "8192cpu-600s", &in, sizeof(in), &u, len);
	/* Too short, and a header that is not the host's. */
	seed_write("stats_fuzz", "short", &in, sizeof(in), &u, 100);
	len = stats_sample(&u.s, 2, 5, 1000, 0);
	in.dst[1] = 3;
	seed_write("stats_fuzz", "bad-header", &in, sizeof(in), &u, len);
}

static void ctrl_seeds(void)
{
	struct vmmgmt_ctrl c;
	static const char *const names[] = { "db-primary", "a", "x.y_z-0",
		"abcdefghijklmnopqrstuvwxyz01234" };
	unsigned int i;
	char fn[64];

	for (i = 0; i < 4; i++) {
		memset(&c, 0, sizeof(c));
		c.op = VMMGMT_CTRL_PUBLISH + i;
		if (c.op != VMMGMT_CTRL_LIST || i % 2)
			snprintf((char *)c.name.name, VMMGMT_NAME_MAX, "%s", names[i]);
		if (c.op == VMMGMT_CTRL_PUBLISH)
			c.name.addr.port = 80;
		if (c.op == VMMGMT_CTRL_LOOKUP)
			c.name.addr.vm = 2;
		snprintf(fn, sizeof(fn), "op%u", c.op);
		seed_write("ctrl_fuzz", fn, &c, sizeof(c), NULL, 0);
	}
	memset(&c, 0, sizeof(c));
	c.op = VMMGMT_CTRL_LIST;
	snprintf((char *)c.name.name, VMMGMT_NAME_MAX, "m");
	seed_write("ctrl_fuzz", "list-after", &c, sizeof(c), NULL, 0);
	c.op = VMMGMT_CTRL_CREDIT;
	seed_write("ctrl_fuzz", "notice-op", &c, sizeof(c), NULL, 0);
	seed_write("ctrl_fuzz", "short", &c, sizeof(c) - 8, NULL, 0);
}

static void namelist_seeds(void)
{
	static struct vmmgmt_name_list l;
	const size_t head = offsetof(struct vmmgmt_name_list, names);
	__u8 after[VMMGMT_NAME_MAX] = { 0 };
	unsigned int i;

	/* Empty table. */
	memset(&l, 0, sizeof(l));
	seed_write("namelist_fuzz", "empty", after, sizeof(after), &l, head);
	/* A few names from the start. */
	for (i = 0; i < 5; i++) {
		snprintf((char *)l.names[i].name, VMMGMT_NAME_MAX, "vm%u.svc-%c",
			 i, 'a' + i);
		l.names[i].addr.vm = i + 1;
		l.names[i].addr.port = 1000 + i;
	}
	l.count = 5;
	seed_write("namelist_fuzz", "five", after, sizeof(after), &l,
		   head + 5 * sizeof(l.names[0]));
	/* A full page after a cursor, more to come. */
	snprintf((char *)after, sizeof(after), "B");
	memcpy(l.after, after, sizeof(after));
	for (i = 0; i < VMMGMT_NAMES_PER_LIST; i++) {
		memset(&l.names[i], 0, sizeof(l.names[i]));
		snprintf((char *)l.names[i].name, VMMGMT_NAME_MAX, "C%02u_%s", i,
			 i % 3 ? "x" : "abcdefghijklmnopqrstuvw");
		l.names[i].addr.port = i;
	}
	l.count = VMMGMT_NAMES_PER_LIST;
	l.flags = VMMGMT_NAME_LIST_F_MORE;
	seed_write("namelist_fuzz", "full-more", after, sizeof(after), &l, sizeof(l));
	/* Out of order: refused. */
	l.count = 2;
	l.flags = 0;
	snprintf((char *)l.names[1].name, VMMGMT_NAME_MAX, "C");
	seed_write("namelist_fuzz", "unordered", after, sizeof(after), &l,
		   head + 2 * sizeof(l.names[0]));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	stats_seeds();
	ctrl_seeds();
	namelist_seeds();
	printf("parse_seed: %d seeds in %s\n", nr_seeds, dir);
	return 0;
}
