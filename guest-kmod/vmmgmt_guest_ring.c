// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the ring.  The code is lib/vmmgmt_ring.c, shared
 * with the host module and the tests; this file only compiles it into
 * vmmgmt_guest.ko.
 */
#include "../lib/vmmgmt_ring.c"
