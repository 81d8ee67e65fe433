// SPDX-License-Identifier: GPL-2.0
/*
 * namelist_fuzz - libFuzzer target for the guest's check of the host's
 * answer to a %VMMGMT_CTRL_LIST request (lib/vmmgmt_name_rules.c,
 * vmmgmt_name_list_check(), which vmmgmt_guest.ko runs before it copies
 * the list to the process that asked).
 *
 * The input is the request's cursor and the answer's payload (see
 * parse_fuzz.h), the payload copied into a buffer of exactly its length.
 * It crashes on an access outside the payload or the list (ASan), on
 * undefined behaviour (UBSan), and when the check differs from a model of
 * the rules of &struct vmmgmt_name_list (uapi/vmmgmt_types.h) written out
 * again here with its own limits: an answer accepted that breaks a rule,
 * one refused that breaks none, or a list handed on that is not the
 * answer's bytes followed by zeroes.
 */

#include "vmmgmt_name_rules.c"

#include "parse_fuzz.h"

/* Offsets in struct vmmgmt_name_list and struct vmmgmt_name. */
#define M_OFF_AFTER	0
#define M_OFF_COUNT	32
#define M_OFF_FLAGS	36
#define M_OFF_RESERVED	40	/* 24 bytes */
#define M_F_MORE	0x1
#define M_E_ADDR_RES	(32 + 12)
#define M_E_FLAGS	48
#define M_E_RESERVED	52

static __u32 get32(const __u8 *p, size_t off)
{
	__u32 v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/*
 * strcmp() order of two valid names, or of a name and the all-zero
 * cursor: NUL-padded to the same size, so byte order of the buffers.
 */
static int model_cmp(const __u8 *a, const __u8 *b)
{
	return memcmp(a, b, MODEL_NAME_SIZE);
}

static bool model_ok(const __u8 *after, const __u8 *p, size_t len)
{
	const __u8 *prev = after;
	__u32 count, i;

	if (len < MODEL_LIST_HEAD)
		return false;
	count = get32(p, M_OFF_COUNT);
	if (count > MODEL_LIST_NAMES ||
	    len != MODEL_LIST_HEAD + (size_t)count * MODEL_NAME_ENTRY)
		return false;
	if (get32(p, M_OFF_FLAGS) & ~M_F_MORE ||
	    !model_zero(p + M_OFF_RESERVED, 24) ||
	    memcmp(p + M_OFF_AFTER, after, MODEL_NAME_SIZE))
		return false;
	for (i = 0; i < count; i++) {
		const __u8 *e = p + MODEL_LIST_HEAD + i * MODEL_NAME_ENTRY;

		if (!model_pub_name_ok(e) || get32(e, M_E_ADDR_RES) ||
		    get32(e, M_E_FLAGS) || get32(e, M_E_RESERVED) ||
		    model_cmp(e, prev) <= 0)
			return false;
		prev = e;
	}
	return true;
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	__u8 after[MODEL_NAME_SIZE];
	struct vmmgmt_name_list *l;
	size_t len;
	bool ok, got;
	__u8 *p;

	if (size < sizeof(after) || size - sizeof(after) > 65536)
		return 0;
	memcpy(after, data, sizeof(after));
	/* The guest sends only a valid cursor or an all-zero one. */
	if (!model_pub_name_ok(after))
		memset(after, 0, sizeof(after));
	len = size - sizeof(after);
	p = malloc(len ? len : 1);
	l = malloc(sizeof(*l));
	FUZZ_ASSERT(p && l);
	memcpy(p, data + sizeof(after), len);
	memset(l, 0xa5, sizeof(*l));

	got = vmmgmt_name_list_check(len, p, after, l);
	ok = model_ok(after, p, len);
	if (ok != got)
		fprintf(stderr, "namelist_fuzz: check says %d, the model %d\n",
			got, ok);
	FUZZ_ASSERT(ok == got);
	if (got) {
		/* The answer's bytes, then zeroes up to the list's end. */
		FUZZ_ASSERT(!memcmp(l, p, len));
		FUZZ_ASSERT(len == sizeof(*l) ||
			    model_zero((__u8 *)l + len, sizeof(*l) - len));
	}
	free(l);
	free(p);
	return 0;
}
