/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parser fuzzers (stats_fuzz.c, ctrl_fuzz.c, namelist_fuzz.c,
 * vmmgmtd_ctl_fuzz.c) share: how an input is laid out, the failure macro,
 * and the models' own limits and name check.
 *
 * The models take no limit from the code under test (lib/, uapi macros
 * included): every number below is written out from the documentation
 * (uapi/vmmgmt_types.h comments, Documentation/stats.rst,
 * Documentation/vmmgmtd.rst), so that a wrong limit in the code is a
 * difference the fuzzer finds.  Only the layout of the structures, which
 * the uapi asserts, is shared.
 */
#ifndef _VMMGMT_PARSE_FUZZ_H
#define _VMMGMT_PARSE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			fuzz_fail(#cond, __FILE__, __LINE__);		\
	} while (0)

static inline void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz: invariant violated at %s:%d: %s\n", file, line,
		what);
	abort();
}

/* Sizes of the wire structures (uapi/vmmgmt_types.h, asserted there). */
#define MODEL_REC_SIZE		48
#define MODEL_NAME_SIZE		32	/* a name buffer, NUL included */
#define MODEL_NAME_ENTRY	56	/* struct vmmgmt_name */
#define MODEL_CTRL_SIZE		64	/* struct vmmgmt_ctrl */
#define MODEL_LIST_HEAD		64	/* struct vmmgmt_name_list before names */
#define MODEL_LIST_NAMES	32	/* names in one list */

/*
 * A published name (struct vmmgmt_name): 1..31 characters of
 * [A-Za-z0-9_.-], NUL-terminated, zero after the NUL.
 */
static inline bool model_pub_name_ok(const __u8 *b)
{
	size_t len = 0, i;

	while (len < MODEL_NAME_SIZE && b[len])
		len++;
	if (len == 0 || len == MODEL_NAME_SIZE)
		return false;
	for (i = 0; i < len; i++) {
		__u8 c = b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	for (i = len; i < MODEL_NAME_SIZE; i++)
		if (b[i])
			return false;
	return true;
}

static inline bool model_zero(const void *p, size_t len)
{
	const __u8 *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/*
 * Input of stats_fuzz: this, then the sample (the record's payload, its
 * length the rest of the input).
 */
struct stats_fuzz_in {
	__u8 prev_valid;	/* bit 0: a sample was accepted before */
	__u8 pad[7];
	__u64 prev_seq;
	__u64 prev_timestamp;
	__u16 rec_flags;	/* the record header's flags */
	__u16 pad2;
	__u32 dst[4];		/* and its destination */
};

/* Input of ctrl_fuzz: the request's payload, any length. */

/*
 * Input of namelist_fuzz: the cursor of the request (MODEL_NAME_SIZE
 * bytes; used as it is when valid, else all zero, as the guest checks it
 * before sending), then the host's answer (the rest of the input).
 */

/*
 * Input of vmmgmtd_ctl_fuzz: the bytes a client writes to the control
 * socket.
 */

#endif /* _VMMGMT_PARSE_FUZZ_H */
