// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the name check.  The code is lib/vmmgmt_name_rules.c,
 * shared with the other module and the tests; this file only compiles it
 * into vmmgmt_guest.ko.
 */
#include "../lib/vmmgmt_name_rules.c"
