// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the check of a statistics sample.  The code is
 * lib/vmmgmt_stats_rules.c, shared with the fuzzer; this file only
 * compiles it into vmmgmt_host.ko.
 */
#include "../lib/vmmgmt_stats_rules.c"
