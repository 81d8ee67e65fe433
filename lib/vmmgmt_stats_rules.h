/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt statistics: the host's check of a sample from a guest (the rules
 * of &struct vmmgmt_stats_sample and Documentation/stats.rst).  Pure: it
 * reads the record and the previous sample's sequence and timestamp and
 * nothing else, so that vmmgmt_host.ko (through a one-line wrapper) and
 * the userspace fuzzer (tools/fuzz/stats_fuzz.c) compile the same code.
 */
#ifndef _VMMGMT_STATS_RULES_H
#define _VMMGMT_STATS_RULES_H

#include "vmmgmt_ring_env.h"

#include <vmmgmt_types.h>

/* Shortest and longest period a sample may cover (ns): 50 ms, 600 s. */
#define VMMGMT_STATS_CHECK_PERIOD_MIN \
	((u64)VMMGMT_STATS_PERIOD_MIN_MS / 2 * 1000000ULL)
#define VMMGMT_STATS_CHECK_PERIOD_MAX \
	((u64)VMMGMT_STATS_PERIOD_MAX_MS * 10 * 1000000ULL)
/* Tick-based CPU accounting may exceed the period by this (ns). */
#define VMMGMT_STATS_CHECK_SLACK	(50 * 1000000ULL)
/*
 * Bounds of the task counts (2^22), the load averages (times 100) and the
 * memory sizes (2^40 KiB, 1 PiB).
 */
#define VMMGMT_STATS_CHECK_TASKS_MAX	(4U * 1024 * 1024)
#define VMMGMT_STATS_CHECK_LOAD_MAX	(VMMGMT_STATS_CHECK_TASKS_MAX * 100U)
#define VMMGMT_STATS_CHECK_MEM_MAX	(1024ULL * 1024 * 1024 * 1024)

/**
 * struct vmmgmt_stats_prev - what the check needs of the samples before.
 * @valid: a sample was accepted before (the sequence rules apply).
 * @seq: its sequence number.
 * @timestamp: its timestamp.
 */
struct vmmgmt_stats_prev {
	bool valid;
	u64 seq;
	u64 timestamp;
};

const char *vmmgmt_stats_check(const struct vmmgmt_rec *hdr,
			       const struct vmmgmt_stats_sample *s,
			       const struct vmmgmt_stats_prev *prev);

#endif /* _VMMGMT_STATS_RULES_H */
