// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: creates the trace events of vmmgmt_host_trace.h.
 */
#define CREATE_TRACE_POINTS
#include "vmmgmt_host_trace.h"
