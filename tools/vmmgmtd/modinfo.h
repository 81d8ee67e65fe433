/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtd: the .modinfo section of a kernel module file (.ko), read from
 * its ELF section headers.  Self-contained (libc only) so that
 * tools/tests/vmmgmtd_modinfo_test.c builds it alone.
 */
#ifndef VMMGMTD_MODINFO_H
#define VMMGMTD_MODINFO_H

#include <stddef.h>

/* Largest .modinfo section we read; a module's is a few hundred bytes. */
#define VMMGMTD_MODINFO_MAX	(1024 * 1024)

/**
 * struct vmmgmtd_modinfo - the strings of a module's .modinfo section.
 * @buf: the section, NUL-terminated (one NUL added after it).
 * @len: bytes of the section, without the added NUL.
 */
struct vmmgmtd_modinfo {
	char *buf;
	size_t len;
};

int vmmgmtd_modinfo_read(int fd, struct vmmgmtd_modinfo *mi, char *err,
			 size_t errlen);
const char *vmmgmtd_modinfo_get(const struct vmmgmtd_modinfo *mi,
				const char *key);
void vmmgmtd_modinfo_free(struct vmmgmtd_modinfo *mi);

#endif /* VMMGMTD_MODINFO_H */
