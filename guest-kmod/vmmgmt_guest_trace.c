// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: creates the trace events of vmmgmt_guest_trace.h.
 */
#define CREATE_TRACE_POINTS
#include "vmmgmt_guest_trace.h"
