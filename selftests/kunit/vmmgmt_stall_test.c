// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: vmmgmt_stall - KUnit suite for the stall detection (lib/vmmgmt_stall.c)
 *
 * Feeds vmmgmt_stall_look() the looks a watchdog would take at a ring and
 * checks what it asks for: no notification for an idle ring, a ring that
 * moves, or a consumer that waits on purpose; one after exactly
 * %VMMGMT_STALL_LOOKS looks without progress; "recovered" when the ring
 * moves right after it and never otherwise; doubling intervals while
 * notifications do not help, never more than one per look whatever the
 * tail; the state logged once per stall.
 *
 * Run with ``make kunit`` (scripts/kunit); see Documentation/testing.rst.
 */

#include <kunit/test.h>
#include <linux/module.h>

#include "../lib/vmmgmt_stall.c"

/* Looks after which the tests' stalls ask for a dump. */
#define ST_DUMP		20

/* An idle ring, or one drained at every look, is never notified. */
static void vmmgmt_stall_test_quiet(struct kunit *test)
{
	struct vmmgmt_stall st = {};
	unsigned int i;

	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, false, 1234, false,
						  true, ST_DUMP));
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, true, 1234 + 8 * i,
						  false, true, ST_DUMP));
}

/* Records without progress: a notification at the second look, once. */
static void vmmgmt_stall_test_notify(struct kunit *test)
{
	struct vmmgmt_stall st = {};

	/* First seen with records: the baseline. */
	KUNIT_EXPECT_EQ(test, 0U, vmmgmt_stall_look(&st, true, 64, false, true, 0));
	KUNIT_EXPECT_EQ(test, 0U, vmmgmt_stall_look(&st, true, 64, false, true, 0));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMGMT_STALL_NOTIFY,
			vmmgmt_stall_look(&st, true, 64, false, true, 0));
	/* It moved: that notification ended the stall. */
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMGMT_STALL_RECOVERED,
			vmmgmt_stall_look(&st, true, 128, false, true, 0));
	/* A new stall starts from scratch. */
	KUNIT_EXPECT_EQ(test, 0U, vmmgmt_stall_look(&st, true, 128, false, true, 0));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMGMT_STALL_NOTIFY,
			vmmgmt_stall_look(&st, true, 128, false, true, 0));
	/* Drained completely: recovered too. */
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMGMT_STALL_RECOVERED,
			vmmgmt_stall_look(&st, false, 512, false, true, 0));
}

/* Progress that is not after a notification is never "recovered". */
static void vmmgmt_stall_test_no_false_recovery(struct kunit *test)
{
	struct vmmgmt_stall st = {};
	unsigned int i;

	for (i = 0; i < 100; i++) {
		/* One look without progress, then progress: below the bound. */
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, true, i, false, true, 0));
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, true, i, false, true, 0));
	}
}

/* A consumer that waits on purpose is not a stall. */
static void vmmgmt_stall_test_excused(struct kunit *test)
{
	struct vmmgmt_stall st = {};
	unsigned int i;

	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, true, 8, true, true, ST_DUMP));
	/* Excuse lifted: the last excused look was the baseline. */
	KUNIT_EXPECT_EQ(test, 0U, vmmgmt_stall_look(&st, true, 8, false, true, 0));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMGMT_STALL_NOTIFY,
			vmmgmt_stall_look(&st, true, 8, false, true, 0));
}

/*
 * A consumer that never drains: notifications at doubling intervals, at
 * most %VMMGMT_STALL_BACKOFF_MAX + 1 looks apart, never "recovered".
 */
static void vmmgmt_stall_test_backoff(struct kunit *test)
{
	unsigned int i, what, last = 0, n = 0, gap, want = 2;
	struct vmmgmt_stall st = {};

	vmmgmt_stall_look(&st, true, 8, false, true, 0);
	for (i = 1; i <= 2000; i++) {
		what = vmmgmt_stall_look(&st, true, 8, false, true, 0);
		KUNIT_EXPECT_FALSE(test, what & VMMGMT_STALL_RECOVERED);
		if (!(what & VMMGMT_STALL_NOTIFY))
			continue;
		gap = i - last;
		last = i;
		if (n++ == 0) {
			KUNIT_EXPECT_EQ(test, 2U, i);
			continue;
		}
		/* 1, 2, 4 ... looks skipped: 2, 3, 5, 9 ... apart. */
		KUNIT_EXPECT_EQ(test, want, gap);
		want = min_t(unsigned int, (want - 1) * 2,
			     VMMGMT_STALL_BACKOFF_MAX) + 1;
	}
	KUNIT_EXPECT_EQ(test, VMMGMT_STALL_BACKOFF_MAX + 1U, want);
	/* 2000 looks: the first seven, then one per 65 looks at most. */
	KUNIT_EXPECT_LE(test, n, 7U + 2000U / (VMMGMT_STALL_BACKOFF_MAX + 1));
}

/* Whatever the tail does, at most one notification per look. */
static void vmmgmt_stall_test_hostile_tail(struct kunit *test)
{
	static const u32 tails[] = { 0, 0, 0xffffffff, 0xffffffff, 8, 8, 8 };
	struct vmmgmt_stall st = {};
	unsigned int i, what;

	for (i = 0; i < 700; i++) {
		what = vmmgmt_stall_look(&st, i % 3, tails[i % 7], false,
					 true, ST_DUMP);
		KUNIT_EXPECT_EQ(test, 0U, what & ~(VMMGMT_STALL_NOTIFY |
						   VMMGMT_STALL_RECOVERED |
						   VMMGMT_STALL_DUMP));
		KUNIT_EXPECT_LE(test, st.backoff,
				(unsigned int)VMMGMT_STALL_BACKOFF_MAX);
	}
}

/* The state is logged once per stall, at the dump look. */
static void vmmgmt_stall_test_dump(struct kunit *test)
{
	unsigned int i, dumps = 0, at = 0;
	struct vmmgmt_stall st = {};

	vmmgmt_stall_look(&st, true, 8, false, true, ST_DUMP);
	for (i = 1; i <= 200; i++)
		if (vmmgmt_stall_look(&st, true, 8, false, true, ST_DUMP) &
		    VMMGMT_STALL_DUMP) {
			dumps++;
			at = i;
		}
	KUNIT_EXPECT_EQ(test, 1U, dumps);
	KUNIT_EXPECT_EQ(test, (unsigned int)ST_DUMP, at);
	/* Moving ends the stall; the next one is logged again. */
	vmmgmt_stall_look(&st, true, 16, false, true, ST_DUMP);
	for (i = 1, dumps = 0; i <= 200; i++)
		if (vmmgmt_stall_look(&st, true, 16, false, true, ST_DUMP) &
		    VMMGMT_STALL_DUMP)
			dumps++;
	KUNIT_EXPECT_EQ(test, 1U, dumps);
	/* 0: never. */
	for (i = 0; i < 200; i++)
		KUNIT_EXPECT_FALSE(test, vmmgmt_stall_look(&st, true, 16,
							   false, true, 0) &
				   VMMGMT_STALL_DUMP);
}

/* Not armed (the watchdog is off): no notification, no recovery. */
static void vmmgmt_stall_test_unarmed(struct kunit *test)
{
	struct vmmgmt_stall st = {};
	unsigned int i;

	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, 0U,
				vmmgmt_stall_look(&st, true, 8, false, false,
						  0));
	KUNIT_EXPECT_EQ(test, 0U,
			vmmgmt_stall_look(&st, true, 16, false, false, 0));
}

static struct kunit_case vmmgmt_stall_cases[] = {
	KUNIT_CASE(vmmgmt_stall_test_quiet),
	KUNIT_CASE(vmmgmt_stall_test_notify),
	KUNIT_CASE(vmmgmt_stall_test_no_false_recovery),
	KUNIT_CASE(vmmgmt_stall_test_excused),
	KUNIT_CASE(vmmgmt_stall_test_backoff),
	KUNIT_CASE(vmmgmt_stall_test_hostile_tail),
	KUNIT_CASE(vmmgmt_stall_test_dump),
	KUNIT_CASE(vmmgmt_stall_test_unarmed),
	{}
};

static struct kunit_suite vmmgmt_stall_suite = {
	.name = "vmmgmt_stall",
	.test_cases = vmmgmt_stall_cases,
};

kunit_test_suite(vmmgmt_stall_suite);

MODULE_DESCRIPTION("KUnit test of the vmmgmt stall detection (lib/vmmgmt_stall.c)");
MODULE_LICENSE("GPL");
