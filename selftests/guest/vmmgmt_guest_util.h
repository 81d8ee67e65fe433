/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest selftests: PCI devices, the link state, a
 * fixture's open file; the paths and sysfs readers and writer are
 * tools/include/vmmgmt_user.h's.  Every helper returns 0 or a negative
 * errno and does not print.
 */
#ifndef VMMGMT_GUEST_UTIL_H
#define VMMGMT_GUEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmmgmt_user.h>

#define PCI_DEVICES		"/sys/bus/pci/devices"
#define VMMGMT_DRIVER		"vmmgmt"
#define VMMGMT_DRIVER_DIR	"/sys/bus/pci/drivers/" VMMGMT_DRIVER

/* VMMGMT_REQUIRE_DEVICE set: a missing device is a failure, not a skip. */
static inline bool device_required(void)
{
	return !!getenv("VMMGMT_REQUIRE_DEVICE");
}

/* Last component of the symlink at path ("" when there is none). */
static inline int link_name(const char *path, char *name, size_t size)
{
	char target[PATH_MAX];
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		name[0] = '\0';
		return errno == ENOENT ? 0 : -errno;
	}
	target[n] = '\0';
	snprintf(name, size, "%s", basename(target));
	return 0;
}

/* Name of the driver bound to PCI device bdf, "" when unbound. */
static inline int pci_driver_of(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	return link_name(path, name, size);
}

/* Unbind PCI device bdf from its driver. */
static inline int pci_unbind(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	return vmmgmt_write_text(path, bdf);
}

/* Bind PCI device bdf to the vmmgmt driver. */
static inline int pci_bind_vmmgmt(const char *bdf)
{
	return vmmgmt_write_text(VMMGMT_DRIVER_DIR "/bind", bdf);
}

/* Link state as sysfs link_state says: 0 down, 1 up, 2 broken; -errno. */
static inline int sysfs_link_state(void)
{
	static const char * const names[] = { "down\n", "up\n", "broken\n" };
	char buf[32];
	int err, i;

	err = vmmgmt_read_raw(VMMGMT_GUEST_SYSFS "/link_state", buf, sizeof(buf));
	if (err)
		return err;
	for (i = 0; i < 3; i++)
		if (!strcmp(buf, names[i]))
			return i;
	return -EINVAL;
}

/* errno that read() and write() give for a link that is not up. */
static inline int link_errno(int state)
{
	return state == 0 ? ENOTCONN : EPIPE;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * open_link_up() - open VMMGMT_GUEST_DEV in a fixture set-up for tests that
 * need a link that is up: skip when there is no device or no host module
 * serves this VM (both fail with VMMGMT_REQUIRE_DEVICE, which the test bed
 * sets), fail when the link is broken.
 * Return: true with *@fd open; false when the test was skipped.
 */
static inline bool open_link_up(struct __test_metadata *_metadata, int *fd)
{
	int state;

	*fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (*fd < 0 && errno == ENOENT && !device_required())
		SKIP(return false, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	ASSERT_LE(0, *fd)
		TH_LOG("open " VMMGMT_GUEST_DEV ": %s", strerror(errno));
	state = sysfs_link_state();
	ASSERT_LE(0, state);
	if (state == VMMGMT_LINK_DOWN && !device_required())
		SKIP(return false, "link down: no host module serves this VM");
	ASSERT_EQ(VMMGMT_LINK_UP, state)
		TH_LOG("link %s", state == VMMGMT_LINK_DOWN ? "down" : "broken");
	return true;
}
#endif

#endif /* VMMGMT_GUEST_UTIL_H */
