// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt names: the one check of a name buffer, the checks of a control
 * request (the host's) and of a name list answer (the guest's), and the
 * names of the modes (see vmmgmt_name_rules.h).  It owns nothing and calls
 * nothing of either module.
 */
#include <vmmgmt_types.h>
#include "vmmgmt_name_rules.h"

static bool vmmgmt_name_char_ok(u8 c, const char *punct)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr(punct, c);
}

/**
 * vmmgmt_name_valid() - check a name buffer from userspace, the host or a
 * guest.
 * @name: %VMMGMT_NAME_MAX bytes.
 * @punct: the characters allowed besides [A-Za-z0-9]:
 *	%VMMGMT_NAME_PUNCT_VM for VM names, %VMMGMT_NAME_PUNCT_PUBLISHED for
 *	published names.
 *
 * Context: any context.
 * Return: true if @name is 1..%VMMGMT_NAME_MAX - 1 allowed characters,
 * NUL-terminated, with only NULs after the terminator.
 */
bool vmmgmt_name_valid(const u8 *name, const char *punct)
{
	size_t i = 0;

	while (i < VMMGMT_NAME_MAX && name[i]) {
		if (!vmmgmt_name_char_ok(name[i], punct))
			return false;
		i++;
	}
	if (!i || i == VMMGMT_NAME_MAX)
		return false;
	for (; i < VMMGMT_NAME_MAX; i++)
		if (name[i])
			return false;
	return true;
}

static bool vmmgmt_name_zero(const void *p, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/**
 * vmmgmt_ctrl_check() - check a %VMMGMT_MODE_CTRL request from a guest.
 * @len: the record's payload length.
 * @payload: @len bytes, a private copy.
 * @req: filled in with the request when @len is right.
 *
 * The rules of &struct vmmgmt_ctrl: exactly its size, zero reserved and
 * name flags; for %VMMGMT_CTRL_LIST a zero address and a valid name or
 * an all-zero one; for the other ops a valid published name, and for
 * %VMMGMT_CTRL_PUBLISH an address with only the port set.  An unknown op
 * is refused too.
 *
 * Context: any context.
 * Return: 0 if the request may be served, else -EINVAL.
 */
int vmmgmt_ctrl_check(u32 len, const void *payload, struct vmmgmt_ctrl *req)
{
	const struct vmmgmt_name *n = &req->name;

	if (len != sizeof(*req))
		return -EINVAL;
	memcpy(req, payload, sizeof(*req));
	if (req->reserved || n->flags || n->reserved)
		return -EINVAL;
	if (req->op == VMMGMT_CTRL_LIST)
		return vmmgmt_name_zero(&n->addr, sizeof(n->addr)) &&
		       (vmmgmt_name_zero(n->name, sizeof(n->name)) ||
			vmmgmt_name_valid(n->name, VMMGMT_NAME_PUNCT_PUBLISHED)) ?
		       0 : -EINVAL;
	if (req->op != VMMGMT_CTRL_PUBLISH && req->op != VMMGMT_CTRL_WITHDRAW &&
	    req->op != VMMGMT_CTRL_LOOKUP)
		return -EINVAL;
	if (req->op == VMMGMT_CTRL_PUBLISH &&
	    (n->addr.host || n->addr.vm || n->addr.reserved))
		return -EINVAL;
	return vmmgmt_name_valid(n->name, VMMGMT_NAME_PUNCT_PUBLISHED) ?
	       0 : -EINVAL;
}

/**
 * vmmgmt_name_list_check() - check the host's answer to %VMMGMT_CTRL_LIST.
 * @len: the record's payload length.
 * @payload: @len bytes, a private copy.
 * @after: the cursor of the request (%VMMGMT_NAME_MAX bytes).
 * @l: filled in with the answer; entries past its count are zeroed.
 *
 * The answer must be exactly as long as its count says, carry the
 * request's cursor back, set no unknown flag, and list valid names in
 * strictly increasing order after the cursor, with zero reserved fields.
 *
 * Context: any context.
 * Return: true if the answer is well-formed (it is then in @l).
 */
bool vmmgmt_name_list_check(u32 len, const void *payload, const u8 *after,
			    struct vmmgmt_name_list *l)
{
	const size_t head = offsetof(struct vmmgmt_name_list, names);
	const u8 *prev = after;
	struct vmmgmt_name *e;
	u32 i;

	if (len < head)
		return false;
	memcpy(l, payload, head);
	if (l->count > VMMGMT_NAMES_PER_LIST ||
	    len != head + l->count * sizeof(l->names[0]) ||
	    l->flags & ~VMMGMT_NAME_LIST_F_MORE ||
	    !vmmgmt_name_zero(l->reserved, sizeof(l->reserved)) ||
	    memcmp(l->after, after, sizeof(l->after)))
		return false;
	memcpy(l->names, (const u8 *)payload + head,
	       l->count * sizeof(l->names[0]));
	memset(&l->names[l->count], 0,
	       (VMMGMT_NAMES_PER_LIST - l->count) * sizeof(l->names[0]));
	for (i = 0; i < l->count; i++) {
		e = &l->names[i];
		if (!vmmgmt_name_valid(e->name, VMMGMT_NAME_PUNCT_PUBLISHED) ||
		    e->flags || e->reserved || e->addr.reserved ||
		    strncmp((const char *)e->name, (const char *)prev,
			    VMMGMT_NAME_MAX) <= 0)
			return false;
		prev = e->name;
	}
	return true;
}

/**
 * vmmgmt_mode_name() - the name of a mode a guest's owner turns on and
 * off, as sysfs and the tools spell it.
 * @mode: an &enum vmmgmt_mode value, or any number.
 *
 * Context: any context.
 * Return: "chat", "stats", "file", "calc" or "cmd"; NULL for PAD, CTRL and
 * numbers that are no mode.
 */
const char *vmmgmt_mode_name(unsigned int mode)
{
	switch (mode) {
	case VMMGMT_MODE_CHAT:
		return "chat";
	case VMMGMT_MODE_STATS:
		return "stats";
	case VMMGMT_MODE_FILE:
		return "file";
	case VMMGMT_MODE_CALC:
		return "calc";
	case VMMGMT_MODE_CMD:
		return "cmd";
	default:
		return NULL;
	}
}
