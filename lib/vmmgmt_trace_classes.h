/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt trace events: the event classes both modules' trace headers
 * share, so that a record and a notification read the same in the
 * host's trace and in the guest's.  No include guard: a module's trace
 * header includes this inside its own multi-read section
 * (host-kmod/vmmgmt_host_trace.h, guest-kmod/vmmgmt_guest_trace.h).
 */
#include "vmmgmt_trace.h"

TRACE_DEFINE_ENUM(VMMGMT_TRACE_INTERRUPT);
TRACE_DEFINE_ENUM(VMMGMT_TRACE_DOORBELL);
TRACE_DEFINE_ENUM(VMMGMT_TRACE_INTERRUPT_DROPPED);
TRACE_DEFINE_ENUM(VMMGMT_TRACE_DOORBELL_DROPPED);

/*
 * A record: the VM (on the host the VM whose ring it is, in a guest the
 * guest's own id), its mode, flags, length and addresses (host:vm:port).
 */
DECLARE_EVENT_CLASS(vmmgmt_rec,
		    TP_PROTO(u32 vm, const struct vmmgmt_rec *hdr),
		    TP_ARGS(vm, hdr),
		    TP_STRUCT__entry(__field(u32, vm)
				     __field(u32, len)
				     __field(u16, mode)
				     __field(u16, flags)
				     __field(u32, src_host)
				     __field(u32, src_vm)
				     __field(u32, src_port)
				     __field(u32, dst_host)
				     __field(u32, dst_vm)
				     __field(u32, dst_port)),
		    TP_fast_assign(__entry->vm = vm;
				   __entry->len = hdr->len;
				   __entry->mode = hdr->mode;
				   __entry->flags = hdr->flags;
				   __entry->src_host = hdr->src.host;
				   __entry->src_vm = hdr->src.vm;
				   __entry->src_port = hdr->src.port;
				   __entry->dst_host = hdr->dst.host;
				   __entry->dst_vm = hdr->dst.vm;
				   __entry->dst_port = hdr->dst.port;),
		    TP_printk("vm=%u mode=%u flags=%#x len=%u src=%u:%u:%u dst=%u:%u:%u",
			      __entry->vm, __entry->mode, __entry->flags, __entry->len,
			      __entry->src_host, __entry->src_vm, __entry->src_port,
			      __entry->dst_host, __entry->dst_vm, __entry->dst_port)
);

/* A notification (enum vmmgmt_trace_notify) of the VM's channel. */
DECLARE_EVENT_CLASS(vmmgmt_notify,
		    TP_PROTO(u32 vm, int what),
		    TP_ARGS(vm, what),
		    TP_STRUCT__entry(__field(u32, vm)
				     __field(int, what)),
		    TP_fast_assign(__entry->vm = vm;
				   __entry->what = what;),
		    TP_printk("vm=%u %s", __entry->vm,
			      __print_symbolic(__entry->what,
					       { VMMGMT_TRACE_INTERRUPT, "interrupt" },
					       { VMMGMT_TRACE_DOORBELL, "doorbell" },
					       { VMMGMT_TRACE_INTERRUPT_DROPPED,
						 "interrupt-dropped" },
					       { VMMGMT_TRACE_DOORBELL_DROPPED,
						 "doorbell-dropped" }))
);
