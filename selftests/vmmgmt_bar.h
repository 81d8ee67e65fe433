/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mapping a PCI BAR of the vmmgmt device from userspace, through sysfs
 * (resourceN of the device's directory), as a hostile guest would: the
 * guest's hostile selftest (selftests/guest/) and the reset storm of the
 * host's neighbour test (selftests/guest-tools/) both do.  The guest
 * module holds BAR0, so the guest boots with iomem=relaxed.
 */
#ifndef VMMGMT_BAR_H
#define VMMGMT_BAR_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>

/*
 * Map all of @dir/resource@bar read-write, shared; 0 with *@map and
 * *@size set, or a negative errno.
 */
static inline int map_sysfs_bar(const char *dir, int bar, __u8 **map,
				size_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	if (snprintf(path, sizeof(path), "%s/resource%d", dir, bar) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*map = p;
	*size = st.st_size;
	return 0;
}

#endif /* VMMGMT_BAR_H */
