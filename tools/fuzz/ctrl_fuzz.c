// SPDX-License-Identifier: GPL-2.0
/*
 * ctrl_fuzz - libFuzzer target for the host's check of a control request
 * from a guest (lib/vmmgmt_name_rules.c, vmmgmt_ctrl_check(), which
 * vmmgmt_host_ctrl() runs on every %VMMGMT_MODE_CTRL record before it
 * touches the name table).
 *
 * The input is the record's payload, copied into a buffer of exactly its
 * length.  It crashes on a read past the payload (ASan), on undefined
 * behaviour (UBSan), and when the check differs from a model of the rules
 * of &struct vmmgmt_ctrl, &struct vmmgmt_name and &enum vmmgmt_ctrl_op
 * (uapi/vmmgmt_types.h), written out again here with its own limits: a
 * request let through that breaks a rule or one refused that breaks none,
 * or a request that is not the bytes the guest sent.
 */

#include "vmmgmt_name_rules.c"

#include "parse_fuzz.h"

/* enum vmmgmt_ctrl_op: the requests; CREDIT (16), PEER_GONE (17) are notices. */
#define M_PUBLISH	1
#define M_WITHDRAW	2
#define M_LOOKUP	3
#define M_LIST		4

/* Offsets in struct vmmgmt_ctrl. */
#define M_OFF_OP		0
#define M_OFF_RESERVED		4
#define M_OFF_NAME		8
#define M_OFF_ADDR		(M_OFF_NAME + 32)	/* host, vm, port, reserved */
#define M_OFF_FLAGS		(M_OFF_ADDR + 16)
#define M_OFF_NRESERVED		(M_OFF_FLAGS + 4)

static __u32 get32(const __u8 *p, size_t off)
{
	__u32 v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* Does the model serve the request? */
static bool model_ok(const __u8 *p, size_t len)
{
	__u32 op;

	if (len != MODEL_CTRL_SIZE)
		return false;
	op = get32(p, M_OFF_OP);
	if (get32(p, M_OFF_RESERVED) || get32(p, M_OFF_FLAGS) ||
	    get32(p, M_OFF_NRESERVED))
		return false;
	switch (op) {
	case M_LIST:
		/* A valid name or all zero, and a zero address. */
		return model_zero(p + M_OFF_ADDR, 16) &&
		       (model_zero(p + M_OFF_NAME, MODEL_NAME_SIZE) ||
			model_pub_name_ok(p + M_OFF_NAME));
	case M_PUBLISH:
		/* Only the port: the host fills in host and VM. */
		if (get32(p, M_OFF_ADDR) || get32(p, M_OFF_ADDR + 4) ||
		    get32(p, M_OFF_ADDR + 12))
			return false;
		return model_pub_name_ok(p + M_OFF_NAME);
	case M_WITHDRAW:
	case M_LOOKUP:
		return model_pub_name_ok(p + M_OFF_NAME);
	default:
		return false;
	}
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	struct vmmgmt_ctrl req;
	bool ok;
	__u8 *p;
	int ret;

	if (size > 65536)
		return 0;
	p = malloc(size ? size : 1);
	FUZZ_ASSERT(p);
	memcpy(p, data, size);
	memset(&req, 0xa5, sizeof(req));

	ret = vmmgmt_ctrl_check(size, p, &req);
	ok = model_ok(p, size);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ok != !ret)
		fprintf(stderr, "ctrl_fuzz: check says %d, the model %s\n", ret,
			ok ? "serves it" : "refuses it");
	FUZZ_ASSERT(ok == !ret);
	/* What the host serves is what the guest sent. */
	if (!ret)
		FUZZ_ASSERT(!memcmp(&req, p, MODEL_CTRL_SIZE));
	free(p);
	return 0;
}
