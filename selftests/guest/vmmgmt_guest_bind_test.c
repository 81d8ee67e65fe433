// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: which ivshmem devices it binds.
 *
 * Reads BAR2 of every ivshmem device (1af4:1110) through sysfs and checks
 * that the driver bound exactly those whose region starts with a vmmgmt
 * header of our ABI major.  VMMGMT_EXPECT_FOREIGN, when set, is the number
 * of ivshmem devices that must stay unbound.
 *
 * With CONFIG_IO_STRICT_DEVMEM (Debian's kernels), a BAR that a driver has
 * claimed cannot be mapped from sysfs; such a device is unbound for the
 * read and bound again, which also exercises remove and probe.
 */
#include <dirent.h>
#include <endian.h>
#include <sys/mman.h>

#include <vmmgmt.h>

/*
 * The harness and its TEST() expansions leave parameters unused, and
 * TEST_F()'s setjmp() wrapper trips -Wclobbered; the selftests build
 * with -Wextra -Werror.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"

#define PCI_COMMAND_OFF		0x04
#define PCI_COMMAND_MEMORY_BIT	0x2

struct ivshmem_dev {
	char bdf[NAME_MAX + 1];
	char driver[64];	/* "" when unbound */
	__u64 magic;
	__u16 abi_major;
};

static int read_id(const char *bdf, const char *file, unsigned long long *v)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, file);
	return vmmgmt_read_u64(path, v);
}

/* Does the device decode memory (PCI_COMMAND_MEMORY)? */
static int pci_memory_enabled(const char *bdf, bool *on)
{
	char path[PATH_MAX];
	__u16 cmd;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &cmd, sizeof(cmd), PCI_COMMAND_OFF);
	close(fd);
	if (n != sizeof(cmd))
		return n < 0 ? -errno : -EIO;
	*on = le16toh(cmd) & PCI_COMMAND_MEMORY_BIT;
	return 0;
}

/* Map the first page of BAR2 and copy the header's magic and abi_major. */
static int read_bar2(struct ivshmem_dev *d)
{
	struct vmmgmt_region_header hdr;
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	void *map;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource2", d->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	map = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	memcpy(&hdr, map, sizeof(hdr));
	munmap(map, page);
	d->magic = le64toh(hdr.magic);
	d->abi_major = le16toh(hdr.abi_major);
	return 0;
}

/*
 * Read BAR2 of d, briefly enabling the device if it does not decode
 * memory, or unbinding it if its driver claimed the BAR.
 */
static int inspect(struct __test_metadata *_metadata, struct ivshmem_dev *d)
{
	char enable[PATH_MAX], drv[64];
	bool mem_on = false;
	int err;

	ASSERT_EQ(0, pci_driver_of(d->bdf, d->driver, sizeof(d->driver)));
	ASSERT_EQ(0, pci_memory_enabled(d->bdf, &mem_on));
	snprintf(enable, sizeof(enable), PCI_DEVICES "/%s/enable", d->bdf);
	if (!mem_on && !d->driver[0])
		ASSERT_EQ(0, vmmgmt_write_text(enable, "1"));

	err = read_bar2(d);
	if (err == -EINVAL && !strcmp(d->driver, VMMGMT_DRIVER)) {
		/* Claimed BAR under CONFIG_IO_STRICT_DEVMEM. */
		ASSERT_EQ(0, pci_unbind(d->bdf));
		err = read_bar2(d);
		EXPECT_EQ(0, pci_bind_vmmgmt(d->bdf));
		ASSERT_EQ(0, pci_driver_of(d->bdf, drv, sizeof(drv)));
		EXPECT_STREQ(VMMGMT_DRIVER, drv)
			TH_LOG("%s not bound again after unbind", d->bdf);
	}
	if (!mem_on && !d->driver[0])
		EXPECT_EQ(0, vmmgmt_write_text(enable, "0"));
	return err;
}

TEST(ivshmem_bound_by_region_content)
{
	const char *want_foreign = getenv("VMMGMT_EXPECT_FOREIGN");
	int ours = 0, unbound = 0, other = 0;
	unsigned long long vendor, device;
	struct ivshmem_dev d;
	struct dirent *de;
	DIR *dir;
	int err;

	dir = opendir(PCI_DEVICES);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (read_id(de->d_name, "vendor", &vendor) ||
		    read_id(de->d_name, "device", &device) ||
		    vendor != 0x1af4 || device != 0x1110)
			continue;

		memset(&d, 0, sizeof(d));
		snprintf(d.bdf, sizeof(d.bdf), "%s", de->d_name);
		err = inspect(_metadata, &d);
		if (err && d.driver[0] && strcmp(d.driver, VMMGMT_DRIVER)) {
			/* Claimed by some other driver: not ours to judge. */
			TH_LOG("%s: bound to %s, BAR2 unreadable", d.bdf,
			       d.driver);
			other++;
			continue;
		}
		ASSERT_EQ(0, err)
			TH_LOG("%s: reading BAR2: %s", d.bdf, strerror(-err));

		TH_LOG("%s: magic %#llx abi_major %u driver '%s'", d.bdf,
		       (unsigned long long)d.magic, d.abi_major, d.driver);
		if (d.magic == VMMGMT_MAGIC && d.abi_major == VMMGMT_ABI_MAJOR) {
			EXPECT_STREQ(VMMGMT_DRIVER, d.driver);
			ours++;
		} else {
			EXPECT_STREQ("", d.driver)
				TH_LOG("%s: foreign region, yet bound", d.bdf);
		}
		if (!d.driver[0])
			unbound++;
	}
	closedir(dir);

	if (!ours && !unbound && !other && !device_required())
		SKIP(return, "no ivshmem devices");
	EXPECT_TRUE(ours >= 1 || !device_required())
		TH_LOG("no ivshmem device with a vmmgmt region");
	if (want_foreign) {
		EXPECT_EQ(strtol(want_foreign, NULL, 0), unbound);
	} else {
		TH_LOG("VMMGMT_EXPECT_FOREIGN unset: %d unbound not checked",
		       unbound);
	}
}

TEST_HARNESS_MAIN
