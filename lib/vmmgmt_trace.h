/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt trace events: the values both modules' events name
 * (Documentation/vmmgmt.rst, "Trace events").  The event classes they
 * share are in vmmgmt_trace_classes.h.
 */
#ifndef _VMMGMT_TRACE_H
#define _VMMGMT_TRACE_H

/**
 * enum vmmgmt_trace_notify - the notifications the events name.
 * @VMMGMT_TRACE_INTERRUPT: the host interrupts the guest (sent by the
 *	host, taken by the guest's interrupt handler).
 * @VMMGMT_TRACE_DOORBELL: the guest rings the host's doorbell (sent by
 *	the guest, taken by the host's kick hook).
 * @VMMGMT_TRACE_INTERRUPT_DROPPED: an interrupt the host skipped, by
 *	fault injection (debugfs drop_calls).
 * @VMMGMT_TRACE_DOORBELL_DROPPED: a doorbell the host ignored, by fault
 *	injection (debugfs drop_kicks).
 */
enum vmmgmt_trace_notify {
	VMMGMT_TRACE_INTERRUPT,
	VMMGMT_TRACE_DOORBELL,
	VMMGMT_TRACE_INTERRUPT_DROPPED,
	VMMGMT_TRACE_DOORBELL_DROPPED,
};

/**
 * enum vmmgmt_trace_violation - what a guest's violation event is about.
 * @VMMGMT_TRACE_VIOL_RING: a ring rule the host broke (its enum
 *	vmmgmt_ring_err comes with it).
 * @VMMGMT_TRACE_VIOL_LAYOUT: the rings' layout in the header is bad.
 * @VMMGMT_TRACE_VIOL_RECORD: a host record not for this module (dropped).
 */
enum vmmgmt_trace_violation {
	VMMGMT_TRACE_VIOL_RING,
	VMMGMT_TRACE_VIOL_LAYOUT,
	VMMGMT_TRACE_VIOL_RECORD,
};

#endif /* _VMMGMT_TRACE_H */
