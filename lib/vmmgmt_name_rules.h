/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt names: the one check of a name buffer, for VM names and for
 * published names, the checks of a control request (the host's) and of a
 * name list answer (the guest's), and the names of the modes in sysfs,
 * shared by both kernel modules (each compiles lib/vmmgmt_name_rules.c
 * through a one-line wrapper), the KUnit suite, vmmgmtctl and the fuzzers
 * (tools/fuzz/ctrl_fuzz.c, namelist_fuzz.c).
 */
#ifndef _VMMGMT_NAME_RULES_H
#define _VMMGMT_NAME_RULES_H

#include "vmmgmt_ring_env.h"

#include <vmmgmt_types.h>

/* The characters allowed besides [A-Za-z0-9] in a VM's name. */
#define VMMGMT_NAME_PUNCT_VM		"_-"
/* The characters allowed besides [A-Za-z0-9] in a published name. */
#define VMMGMT_NAME_PUNCT_PUBLISHED	"_.-"

bool vmmgmt_name_valid(const u8 *name, const char *punct);
int vmmgmt_ctrl_check(u32 len, const void *payload, struct vmmgmt_ctrl *req);
bool vmmgmt_name_list_check(u32 len, const void *payload, const u8 *after,
			    struct vmmgmt_name_list *l);
const char *vmmgmt_mode_name(unsigned int mode);

#endif /* _VMMGMT_NAME_RULES_H */
