// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: /dev/vmmgmt-host and its sysfs attributes.
 *
 * Runs in the host VM with vmmgmt_host.ko loaded.  Without the device the
 * tests are skipped, unless VMMGMT_REQUIRE_DEVICE is set: then they fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmmgmt.h>

/*
 * The harness and its TEST() expansions leave parameters unused, and
 * TEST_F()'s setjmp() wrapper trips -Wclobbered; the selftests build
 * with -Wextra -Werror.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "vmmgmt_host_util.h"

FIXTURE(host_dev) {
	int fd;
};

FIXTURE_SETUP(host_dev)
{
	self->fd = open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT && !getenv("VMMGMT_REQUIRE_DEVICE"))
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
	ASSERT_LE(0, self->fd)
		TH_LOG("open " VMMGMT_HOST_DEV ": %s", strerror(errno));
}

FIXTURE_TEARDOWN(host_dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(host_dev, node_is_root_only_char_device)
{
	struct stat st, fst;

	ASSERT_EQ(0, stat(VMMGMT_HOST_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777)
		TH_LOG("mode is %04o", st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	/* The open fd is the same node. */
	ASSERT_EQ(0, fstat(self->fd, &fst));
	EXPECT_EQ(st.st_rdev, fst.st_rdev);
}

TEST_F(host_dev, get_version)
{
	struct vmmgmt_version ver;

	/* Poison, so that fields the module forgets to fill show up. */
	memset(&ver, 0xa5, sizeof(ver));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_HOST_IOC_GET_VERSION, &ver))
		TH_LOG("GET_VERSION: %s", strerror(errno));
	EXPECT_EQ((__u16)VMMGMT_ABI_MAJOR, ver.abi_major);
	EXPECT_EQ((__u16)VMMGMT_ABI_MINOR, ver.abi_minor);
	EXPECT_EQ(0U, ver.pad);
	/* No feature bits are defined yet. */
	EXPECT_EQ(0ULL, ver.features);
	EXPECT_EQ(0ULL, ver.reserved[0]);
	EXPECT_EQ(0ULL, ver.reserved[1]);
}

TEST_F(host_dev, get_version_bad_pointer)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_HOST_IOC_GET_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(host_dev, unknown_ioctls)
{
	const unsigned long cmds[] = {
		/* Unused number in the host range. */
		_IOR(VMMGMT_IOC_MAGIC, 0x3f, struct vmmgmt_version),
		/* Right number, wrong direction and size. */
		_IOW(VMMGMT_IOC_MAGIC, 0x00, __u32),
		/* The guest device's GET_VERSION. */
		VMMGMT_IOC_GET_VERSION,
		/* Another driver's ioctl. */
		TCGETS,
	};
	struct vmmgmt_version ver;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &ver))
			TH_LOG("ioctl %#lx succeeded", cmds[i]);
		EXPECT_EQ(ENOTTY, errno)
			TH_LOG("ioctl %#lx: %s", cmds[i], strerror(errno));
	}
}

TEST_F(host_dev, sysfs_abi_version)
{
	char want[32], got[32];

	snprintf(want, sizeof(want), "%u.%u", VMMGMT_ABI_MAJOR,
		 VMMGMT_ABI_MINOR);
	ASSERT_EQ(0, vmmgmt_read_text(VMMGMT_HOST_SYSFS "/abi_version", got, sizeof(got)));
	EXPECT_STREQ(want, got);
}

TEST_F(host_dev, sysfs_abi_version_read_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(VMMGMT_HOST_SYSFS "/abi_version", &st));
	EXPECT_EQ(0444U, st.st_mode & 07777);
	errno = 0;
	EXPECT_EQ(-1, open(VMMGMT_HOST_SYSFS "/abi_version", O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EACCES, errno);
}

TEST_HARNESS_MAIN
