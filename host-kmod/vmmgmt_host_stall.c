// SPDX-License-Identifier: GPL-2.0
/* The stall detection shared with guest-kmod (lib/vmmgmt_stall.c). */
#include "../lib/vmmgmt_stall.c"
