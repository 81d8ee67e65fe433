// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd logging: one line per message on stderr, prefixed "vmmgmtd: ".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "vmmgmtd.h"

static bool vmmgmtd_verbose;

void vmmgmtd_set_verbose(bool verbose)
{
	vmmgmtd_verbose = verbose;
}

static void vmmgmtd_vlog(const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	/* One write per line, so that lines never interleave. */
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "vmmgmtd: %s\n", line);
	fflush(stderr);
	errno = saved;
}

void vmmgmtd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmmgmtd_vlog(fmt, ap);
	va_end(ap);
}

void vmmgmtd_debug(const char *fmt, ...)
{
	va_list ap;

	if (!vmmgmtd_verbose)
		return;
	va_start(ap, fmt);
	vmmgmtd_vlog(fmt, ap);
	va_end(ap);
}
