// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd logging: the macros are in vmmgmtd.h; -v sets this flag.
 */
#include "vmmgmtd.h"

bool vmmgmtd_verbose;
