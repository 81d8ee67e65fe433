// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt stall detection (lib/vmmgmt_stall.h): plain C, compiled into both
 * modules through one-line wrappers, as lib/vmmgmt_ring.c is.
 */

#include "vmmgmt_stall.h"

/**
 * vmmgmt_stall_look() - one look of a watchdog at one ring.
 * @st: the ring's view.
 * @pending: the ring holds records now (head != tail).
 * @tail: its consumer's index now.
 * @excused: the consumer waits on purpose (a quota, a reader's full
 *	queue, a full destination): not a stall.
 * @armed: the watchdog may notify; false, it only keeps its view (and
 *	never counts a recovery).
 * @dump_looks: looks without progress after which the state is to be
 *	logged (once per stall); 0: never.
 *
 * Progress is a consumer index that moved.  A ring that held records at
 * %VMMGMT_STALL_LOOKS looks in a row without progress is stalled: the
 * caller notifies its consumer again.  If the consumer moved by the next
 * look, that notification ended the stall.  If not, the next one waits
 * 1, 2, 4 ... up to %VMMGMT_STALL_BACKOFF_MAX looks, so that a consumer
 * that never drains (a reader that does not read, a guest without a
 * driver) costs a notification at doubling intervals only.  No value of
 * @tail can make it ask for more than one notification per look.
 *
 * Context: any; the caller serialises the looks at one @st.
 * Return: a mask of %VMMGMT_STALL_NOTIFY, %VMMGMT_STALL_RECOVERED and
 * %VMMGMT_STALL_DUMP.
 */
unsigned int vmmgmt_stall_look(struct vmmgmt_stall *st, bool pending,
			       u32 tail, bool excused, bool armed,
			       unsigned int dump_looks)
{
	bool moved = tail != st->tail;
	unsigned int ret = 0;

	if (moved || !pending || !st->pending || excused) {
		if (st->acted && moved)
			ret |= VMMGMT_STALL_RECOVERED;
		memset(st, 0, sizeof(*st));
		st->tail = tail;
		st->pending = pending;
		return ret;
	}
	st->still++;
	if (dump_looks && st->still >= dump_looks && !st->dumped) {
		st->dumped = true;
		ret |= VMMGMT_STALL_DUMP;
	}
	if (st->acted) {
		/* The last notification did not help: wait longer. */
		st->acted = false;
		st->backoff = st->backoff ? st->backoff * 2 : 1;
		if (st->backoff > VMMGMT_STALL_BACKOFF_MAX)
			st->backoff = VMMGMT_STALL_BACKOFF_MAX;
		st->wait = st->backoff;
	}
	if (st->wait) {
		st->wait--;
		return ret;
	}
	if (st->still < VMMGMT_STALL_LOOKS || !armed)
		return ret;
	st->acted = true;
	return ret | VMMGMT_STALL_NOTIFY;
}
