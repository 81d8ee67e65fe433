/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' view of the modules' trace events through tracefs
 * (Documentation/vmmgmt.rst, "Trace events"): turn one event system on
 * with an empty buffer, turn it off, and count the lines of the trace
 * that name an event and contain a text.  Used by vmmgmt_host_vm_test
 * (events/vmmgmt_host/) and vmmgmt_guest_dev_test (events/vmmgmt_guest/).
 */
#ifndef VMMGMT_TRACEFS_H
#define VMMGMT_TRACEFS_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest.h"

#define VMMGMT_TRACEFS		"/sys/kernel/tracing"

/* Write @text to tracefs file @rel; 0 or -errno. */
static inline int vmmgmt_tracefs_write(const char *rel, const char *text)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), VMMGMT_TRACEFS "/%s", rel);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

/*
 * Turn the events of @system on (or off), tracing on, the buffer
 * emptied when turning on.  Mounts tracefs if it is not.  0 or -errno.
 */
static inline int vmmgmt_tracefs_events(const char *system, bool on)
{
	char rel[128];
	int ret;

	if (access(VMMGMT_TRACEFS "/trace", F_OK) &&
	    mount("tracefs", VMMGMT_TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	snprintf(rel, sizeof(rel), "events/%s/enable", system);
	if (on) {
		ret = vmmgmt_tracefs_write("trace", "");
		if (!ret)
			ret = vmmgmt_tracefs_write("tracing_on", "1");
		if (ret)
			return ret;
	}
	return vmmgmt_tracefs_write(rel, on ? "1" : "0");
}

/*
 * Lines of the trace with event @event ("vmmgmt_host_rx") and @text
 * anywhere after it (NULL: any); -errno if the trace cannot be read.
 */
static inline long vmmgmt_tracefs_count(const char *event, const char *text)
{
	char line[1024], name[128];
	const char *at;
	long n = 0;
	FILE *f;

	f = fopen(VMMGMT_TRACEFS "/trace", "re");
	if (!f)
		return -errno;
	snprintf(name, sizeof(name), " %s: ", event);
	while (fgets(line, sizeof(line), f)) {
		at = strstr(line, name);
		if (at && (!text || strstr(at, text)))
			n++;
	}
	fclose(f);
	return n;
}

/* vmmgmt_tracefs_count() of @event with the text @fmt says. */
static inline __printf(2, 3)
long vmmgmt_tracefs_countf(const char *event, const char *fmt, ...)
{
	char text[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return vmmgmt_tracefs_count(event, text);
}

#endif /* VMMGMT_TRACEFS_H */
