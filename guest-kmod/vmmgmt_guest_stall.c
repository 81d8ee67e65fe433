// SPDX-License-Identifier: GPL-2.0
/* The stall detection shared with host-kmod (lib/vmmgmt_stall.c). */
#include "../lib/vmmgmt_stall.c"
