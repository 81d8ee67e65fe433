// SPDX-License-Identifier: GPL-2.0
/* The stream protocol rules shared with host-kmod (lib/vmmgmt_stream.c). */
#include "../lib/vmmgmt_stream.c"
