/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt flow control: which records a guest's credits count and for
 * which destination (ABI 0.7, %VMMGMT_F_FLOW).  The guest counts a record
 * when it posts it and the host returns the credit when the record leaves
 * its hands; both must agree on these two rules, so both modules (and
 * the KUnit suite) take them from here.  See Documentation/vmmgmt.rst,
 * "Flow control".
 */
#ifndef _VMMGMT_FLOW_H
#define _VMMGMT_FLOW_H

#include "vmmgmt_ring_env.h"
#include <vmmgmt_types.h>

/**
 * vmmgmt_flow_counted() - does a guest record take a credit?
 * @hdr: the record as the guest wrote it.
 *
 * Every record but the ones the host consumes itself: control requests
 * (names) and statistics samples, which are never held, and anything to
 * the host itself, (0, 0, 0), which no endpoint can bind.  Stream
 * segments and responses are counted whatever their mode.
 *
 * Return: true if the record is counted against its destination.
 */
static inline bool vmmgmt_flow_counted(const struct vmmgmt_rec *hdr)
{
	if (!hdr->dst.vm && !hdr->dst.port)
		return false;
	if (hdr->flags & (VMMGMT_REC_F_STREAM | VMMGMT_REC_F_RESPONSE))
		return true;
	return hdr->mode != VMMGMT_MODE_CTRL && hdr->mode != VMMGMT_MODE_STATS;
}

/**
 * vmmgmt_flow_key() - the destination a record's credit belongs to.
 * @dst: the record's destination address.
 * @key: returns (0, vm, 0) for every port of another VM, (0, 0, port)
 *	for a host endpoint; the host id does not count.
 */
static inline void vmmgmt_flow_key(const struct vmmgmt_addr *dst,
				   struct vmmgmt_addr *key)
{
	key->host = 0;
	key->vm = dst->vm;
	key->port = dst->vm ? 0 : dst->port;
	key->reserved = 0;
}

#endif /* _VMMGMT_FLOW_H */
