// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt names: the one check of a name buffer, and the names of the
 * modes (see vmmgmt_name_rules.h).  It owns nothing and calls nothing of
 * either module.
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
