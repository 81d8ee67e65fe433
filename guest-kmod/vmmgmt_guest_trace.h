/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt guest module: trace events, in tracefs under
 * events/vmmgmt_guest/ (Documentation/vmmgmt.rst, "Trace events").  A
 * record's and a notification's events name the guest's own VM id.
 * vmmgmt_guest_trace.c creates them; the link, the interrupt handler and
 * the inline doorbell in vmmgmt_guest.h fire them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmmgmt_guest

#if !defined(_VMMGMT_GUEST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMMGMT_GUEST_TRACE_H

#include <linux/tracepoint.h>
#include <vmmgmt.h>

#include "vmmgmt_trace_classes.h"

TRACE_DEFINE_ENUM(VMMGMT_TRACE_VIOL_RING);
TRACE_DEFINE_ENUM(VMMGMT_TRACE_VIOL_LAYOUT);
TRACE_DEFINE_ENUM(VMMGMT_TRACE_VIOL_RECORD);

/* A record posted into the G2H ring. */
DEFINE_EVENT(vmmgmt_rec, vmmgmt_guest_tx,
	     TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
	     TP_ARGS(vm, hdr)
);

/* A record consumed from the H2G ring (delivered or not). */
DEFINE_EVENT(vmmgmt_rec, vmmgmt_guest_rx,
	     TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
	     TP_ARGS(vm, hdr)
);

/* A doorbell rung, or an interrupt taken. */
DEFINE_EVENT(vmmgmt_notify, vmmgmt_guest_notify,
	     TP_PROTO(u32 vm, int what),
	     TP_ARGS(vm, what)
);

/*
 * A host record consumed and not delivered, and why: ENOMEM,
 * ECONNREFUSED (no file takes it: its sender is answered so), EPERM (its
 * mode is off) or EPROTO (not for this module: a violation too).
 */
TRACE_EVENT(vmmgmt_guest_drop,
	    TP_PROTO(const struct vmmgmt_rec *hdr, int err),
	    TP_ARGS(hdr, err),
	    TP_STRUCT__entry(__field(u32, len)
			     __field(u16, mode)
			     __field(u32, src_vm)
			     __field(u32, src_port)
			     __field(u32, dst_port)
			     __field(int, err)),
	    TP_fast_assign(__entry->len = hdr->len;
			   __entry->mode = hdr->mode;
			   __entry->src_vm = hdr->src.vm;
			   __entry->src_port = hdr->src.port;
			   __entry->dst_port = hdr->dst.port;
			   __entry->err = err;),
	    TP_printk("mode=%u len=%u from vm %u port %u to port %u err=%d",
		      __entry->mode, __entry->len, __entry->src_vm,
		      __entry->src_port, __entry->dst_port, __entry->err)
);

/*
 * Something the host did wrong: @what (enum vmmgmt_trace_violation), and
 * for a ring rule its enum vmmgmt_ring_err (lib/vmmgmt_ring.h) in @err.
 */
TRACE_EVENT(vmmgmt_guest_violation,
	    TP_PROTO(int what, int err),
	    TP_ARGS(what, err),
	    TP_STRUCT__entry(__field(int, what)
			     __field(int, err)),
	    TP_fast_assign(__entry->what = what;
			   __entry->err = err;),
	    TP_printk("%s err=%d",
		      __print_symbolic(__entry->what,
				       { VMMGMT_TRACE_VIOL_RING, "ring" },
				       { VMMGMT_TRACE_VIOL_LAYOUT, "layout" },
				       { VMMGMT_TRACE_VIOL_RECORD, "record" }),
		      __entry->err)
);

/* A channel reset asked of the host (its request number). */
TRACE_EVENT(vmmgmt_guest_reset,
	    TP_PROTO(u32 req),
	    TP_ARGS(req),
	    TP_STRUCT__entry(__field(u32, req)),
	    TP_fast_assign(__entry->req = req;),
	    TP_printk("request=%u", __entry->req)
);

#endif /* _VMMGMT_GUEST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmmgmt_guest_trace
#include <trace/define_trace.h>
