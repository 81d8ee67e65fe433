// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of the one name check both modules use
 * (lib/vmmgmt_name_rules.c): lengths, the allowed characters of VM names
 * and of published names, what may follow the terminator; and the names
 * of the modes.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "../lib/vmmgmt_name_rules.c"

static bool vmmgmt_name_test_check(const char *s, const char *punct)
{
	u8 buf[VMMGMT_NAME_MAX] = {};

	strscpy(buf, s, sizeof(buf));
	return vmmgmt_name_valid(buf, punct);
}

static void vmmgmt_name_test_lengths(struct kunit *test)
{
	u8 buf[VMMGMT_NAME_MAX];

	KUNIT_EXPECT_FALSE(test, vmmgmt_name_test_check("", VMMGMT_NAME_PUNCT_VM));
	KUNIT_EXPECT_TRUE(test, vmmgmt_name_test_check("a", VMMGMT_NAME_PUNCT_VM));
	memset(buf, 'x', sizeof(buf));
	buf[VMMGMT_NAME_MAX - 1] = 0;
	KUNIT_EXPECT_TRUE(test, vmmgmt_name_valid(buf, VMMGMT_NAME_PUNCT_VM));
	/* No terminator at all. */
	buf[VMMGMT_NAME_MAX - 1] = 'x';
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_valid(buf, VMMGMT_NAME_PUNCT_VM));
}

static void vmmgmt_name_test_chars(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, vmmgmt_name_test_check("guest-0_A9", VMMGMT_NAME_PUNCT_VM));
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_test_check("svc.echo", VMMGMT_NAME_PUNCT_VM));
	KUNIT_EXPECT_TRUE(test, vmmgmt_name_test_check("svc.echo", VMMGMT_NAME_PUNCT_PUBLISHED));
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_test_check("a b", VMMGMT_NAME_PUNCT_PUBLISHED));
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_test_check("a/b", VMMGMT_NAME_PUNCT_PUBLISHED));
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_test_check("caf\xc3\xa9",
							VMMGMT_NAME_PUNCT_PUBLISHED));
}

static void vmmgmt_name_test_tail(struct kunit *test)
{
	u8 buf[VMMGMT_NAME_MAX] = "abc";

	KUNIT_EXPECT_TRUE(test, vmmgmt_name_valid(buf, VMMGMT_NAME_PUNCT_VM));
	/* A byte after the terminator hides data in a fixed-size field. */
	buf[VMMGMT_NAME_MAX - 1] = 'z';
	KUNIT_EXPECT_FALSE(test, vmmgmt_name_valid(buf, VMMGMT_NAME_PUNCT_VM));
}

/* The modes' names: the five a guest's owner switches, nothing else. */
static void vmmgmt_name_test_modes(struct kunit *test)
{
	unsigned int m, named = 0;

	KUNIT_EXPECT_STREQ(test, vmmgmt_mode_name(VMMGMT_MODE_CHAT), "chat");
	KUNIT_EXPECT_STREQ(test, vmmgmt_mode_name(VMMGMT_MODE_STATS), "stats");
	KUNIT_EXPECT_STREQ(test, vmmgmt_mode_name(VMMGMT_MODE_FILE), "file");
	KUNIT_EXPECT_STREQ(test, vmmgmt_mode_name(VMMGMT_MODE_CALC), "calc");
	KUNIT_EXPECT_STREQ(test, vmmgmt_mode_name(VMMGMT_MODE_CMD), "cmd");
	KUNIT_EXPECT_NULL(test, vmmgmt_mode_name(VMMGMT_MODE_PAD));
	KUNIT_EXPECT_NULL(test, vmmgmt_mode_name(VMMGMT_MODE_CTRL));
	KUNIT_EXPECT_NULL(test, vmmgmt_mode_name(VMMGMT_MODE_MAX));
	for (m = 0; m < 32; m++) {
		if (!vmmgmt_mode_name(m))
			continue;
		named++;
		KUNIT_EXPECT_TRUE(test, VMMGMT_MODES_USER & VMMGMT_MODE_BIT(m));
	}
	KUNIT_EXPECT_EQ(test, named, 5U);
}

static struct kunit_case vmmgmt_name_cases[] = {
	KUNIT_CASE(vmmgmt_name_test_lengths),
	KUNIT_CASE(vmmgmt_name_test_chars),
	KUNIT_CASE(vmmgmt_name_test_tail),
	KUNIT_CASE(vmmgmt_name_test_modes),
	{}
};

static struct kunit_suite vmmgmt_name_suite = {
	.name = "vmmgmt_name",
	.test_cases = vmmgmt_name_cases,
};

kunit_test_suite(vmmgmt_name_suite);

MODULE_DESCRIPTION("KUnit test of the vmmgmt name check (lib/vmmgmt_name_rules.c)");
MODULE_LICENSE("GPL");
