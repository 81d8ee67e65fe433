/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt names: the one check of a name buffer, for VM names and for
 * published names, and the names of the modes in sysfs, shared by both
 * kernel modules (each compiles lib/vmmgmt_name_rules.c through a
 * one-line wrapper), the KUnit suite and vmmgmtctl.
 */
#ifndef _VMMGMT_NAME_RULES_H
#define _VMMGMT_NAME_RULES_H

#include "vmmgmt_ring_env.h"

/* The characters allowed besides [A-Za-z0-9] in a VM's name. */
#define VMMGMT_NAME_PUNCT_VM		"_-"
/* The characters allowed besides [A-Za-z0-9] in a published name. */
#define VMMGMT_NAME_PUNCT_PUBLISHED	"_.-"

bool vmmgmt_name_valid(const u8 *name, const char *punct);
const char *vmmgmt_mode_name(unsigned int mode);

#endif /* _VMMGMT_NAME_RULES_H */
