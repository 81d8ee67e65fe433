/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt host module: trace events, in tracefs under events/vmmgmt_host/
 * (Documentation/vmmgmt.rst, "Trace events").  Each names the VM by its
 * id.  vmmgmt_host_trace.c creates them; the worker and the inline
 * notification helper in vmmgmt_host.h fire them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmmgmt_host

#if !defined(_VMMGMT_HOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMMGMT_HOST_TRACE_H

#include <linux/tracepoint.h>
#include <vmmgmt.h>

#include "vmmgmt_trace_classes.h"

/* A record the worker consumed from the VM's G2H ring. */
DEFINE_EVENT(vmmgmt_rec, vmmgmt_host_rx,
	     TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
	     TP_ARGS(vm, hdr)
);

/* A record the worker posted into the VM's H2G ring. */
DEFINE_EVENT(vmmgmt_rec, vmmgmt_host_tx,
	     TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
	     TP_ARGS(vm, hdr)
);

/* A G2H record consumed and not delivered (counted in drops). */
DEFINE_EVENT(vmmgmt_rec, vmmgmt_host_drop,
	     TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
	     TP_ARGS(vm, hdr)
);

/* An interrupt sent to the guest, a doorbell it rang, or a dropped one. */
DEFINE_EVENT(vmmgmt_notify, vmmgmt_host_notify,
	     TP_PROTO(u32 vm, int what),
	     TP_ARGS(vm, what)
);

/*
 * A ring rule the guest broke: @h2g says which ring, @err is its
 * enum vmmgmt_ring_err (lib/vmmgmt_ring.h).
 */
TRACE_EVENT(vmmgmt_host_violation,
	    TP_PROTO(u32 vm, bool h2g, int err),
	    TP_ARGS(vm, h2g, err),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(bool, h2g)
			     __field(int, err)),
	    TP_fast_assign(__entry->vm = vm;
			   __entry->h2g = h2g;
			   __entry->err = err;),
	    TP_printk("vm=%u ring=%s err=%d", __entry->vm,
		      __entry->h2g ? "h2g" : "g2h", __entry->err)
);

/* A channel reset the guest asked for, done: the new generation. */
TRACE_EVENT(vmmgmt_host_reset,
	    TP_PROTO(u32 vm, u32 req, u32 generation, bool was_broken),
	    TP_ARGS(vm, req, generation, was_broken),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, req)
			     __field(u32, generation)
			     __field(bool, was_broken)),
	    TP_fast_assign(__entry->vm = vm;
			   __entry->req = req;
			   __entry->generation = generation;
			   __entry->was_broken = was_broken;),
	    TP_printk("vm=%u request=%u generation=%u was=%s", __entry->vm,
		      __entry->req, __entry->generation,
		      __entry->was_broken ? "broken" : "up")
);

#endif /* _VMMGMT_HOST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmmgmt_host_trace
#include <trace/define_trace.h>
