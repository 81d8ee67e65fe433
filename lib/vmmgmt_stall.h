/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt stall detection: one side's watchdog view of one ring.
 *
 * The ring protocol notifies once per idle period of a consumer
 * (Documentation/ring.rst, "Lost notifications"); a notification that is
 * lost leaves records that nobody looks at.  Each module's watchdog looks
 * at its rings periodically and feeds each look to vmmgmt_stall_look(),
 * which says when to notify the consumer again, when that helped, and
 * when to log the channel's state.  The same code runs in both modules
 * and in the KUnit suite.
 */
#ifndef _VMMGMT_STALL_H
#define _VMMGMT_STALL_H

#include "vmmgmt_ring_env.h"

/* Most looks let pass between notifications that do not help. */
#define VMMGMT_STALL_BACKOFF_MAX	64

/* Looks without progress before the consumer is notified again. */
#define VMMGMT_STALL_LOOKS		2

/**
 * struct vmmgmt_stall - the watchdog's view of one ring.
 * @tail: the consumer's index at the last look.
 * @pending: the ring held records at the last look.
 * @still: looks in a row that found records and no progress.
 * @acted: the last look asked for a notification.
 * @dumped: this stall's state was logged.
 * @backoff: looks to let pass after a notification that did not help;
 *	doubles up to %VMMGMT_STALL_BACKOFF_MAX.
 * @wait: looks left before the next notification.
 *
 * Zeroed, it is a ring never looked at.  Not locked: one watchdog looks.
 */
struct vmmgmt_stall {
	u32 tail;
	bool pending;
	unsigned int still;
	bool acted;
	bool dumped;
	unsigned int backoff;
	unsigned int wait;
};

/* What vmmgmt_stall_look() asks of its caller (a bitmask). */
#define VMMGMT_STALL_NOTIFY	0x1	/* notify the consumer again */
#define VMMGMT_STALL_RECOVERED	0x2	/* the last notification helped */
#define VMMGMT_STALL_DUMP	0x4	/* log the channel's state, once */

unsigned int vmmgmt_stall_look(struct vmmgmt_stall *st, bool pending,
			       u32 tail, bool excused, bool armed,
			       unsigned int dump_looks);

#endif /* _VMMGMT_STALL_H */
