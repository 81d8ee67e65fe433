// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the ring.  The code is lib/vmmgmt_ring.c, shared
 * with the guest module and the tests; this file only compiles it into
 * vmmgmt_host.ko.
 */
#include "../lib/vmmgmt_ring.c"
