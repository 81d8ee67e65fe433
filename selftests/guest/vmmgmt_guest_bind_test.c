// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: which ivshmem devices it binds, and what a driver
 * unbind and bind, or a system sleep, leave of the channel.
 *
 * Reads BAR2 of every ivshmem device (1af4:1110) through sysfs and checks
 * that the driver bound exactly those whose region starts with a vmmgmt
 * header of our ABI major.  VMMGMT_EXPECT_FOREIGN, when set, is the number
 * of ivshmem devices that must stay unbound.
 *
 * With CONFIG_IO_STRICT_DEVMEM (Debian's kernels), a BAR that a driver has
 * claimed cannot be mapped from sysfs; such a device is unbound for the
 * read and bound again, which also exercises remove and probe.
 *
 * unbind_keeps_h2g: echo answers the host posted while the driver was
 * unbound reach a file of the next instance bound to the same port, all
 * of them, in order, and the bind resumed the channel (resumed_binds
 * moved, reset_binds did not).  To have answers in flight at the unbind
 * whatever the timing, a file first fills its receive queue with echo
 * answers it does not read: the rx work then leaves the numbered ones in
 * the ring.
 *
 * Sleep and wake (freeze, suspend to RAM) need QEMU to wake the guest:
 * vmmgmt_restart_test (host) does them through QMP.
 */
#include <dirent.h>
#include <endian.h>
#include <poll.h>
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

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

/* Open the device (retrying while a bind brings it up), bind @port (0: any). */
static int open_bound(__u32 *port, bool connect_echo)
{
	struct vmmgmt_bind b = { .port = *port };
	int fd = -1, i, err;

	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			vmmgmt_sleep_ms(20);
	}
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMMGMT_IOC_BIND, &b) ||
	    (connect_echo && ioctl(fd, VMMGMT_IOC_CONNECT, &echo_addr))) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = b.port;
	return fd;
}

/* Read one message within @ms milliseconds: its length, or -errno. */
static int read_within(int fd, void *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = read(fd, buf, size);
	return n < 0 ? -errno : (int)n;
}

static __u64 dev_attr(const char *name)
{
	char path[PATH_MAX];
	__u64 v = ~0ULL;

	snprintf(path, sizeof(path), VMMGMT_GUEST_SYSFS "/%s", name);
	if (vmmgmt_read_u64(path, &v))
		return ~0ULL;
	return v;
}

/* The plug: echo answers a file's full receive queue holds. */
#define PLUG_MSGS	256
/* The numbered echo requests whose answers must survive the unbind. */
#define KEPT_MSGS	20

TEST(unbind_keeps_h2g)
{
	__u64 resumed, reset, drops;
	char bdf[NAME_MAX + 1], msg[64], want[64];
	__u32 port = 0, port2;
	int fd, fd2, i, n;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	ASSERT_LE(0, fd);
	close(fd);
	if (sysfs_link_state() != VMMGMT_LINK_UP)
		SKIP(return, "link not up: no host module serves this VM");
	ASSERT_EQ(0, link_name(VMMGMT_GUEST_SYSFS "/device", bdf, sizeof(bdf)));
	ASSERT_NE(0, bdf[0]);
	resumed = dev_attr("resumed_binds");
	reset = dev_attr("reset_binds");
	ASSERT_NE(~0ULL, resumed);
	ASSERT_NE(~0ULL, reset);

	fd = open_bound(&port, true);
	ASSERT_LE(0, fd) TH_LOG("open, bind, connect: %s", strerror(-fd));
	/* Fill the queue: the answers behind it stay in the H2G ring. */
	for (i = 0; i < PLUG_MSGS; i++) {
		n = snprintf(msg, sizeof(msg), "plug %d", i);
		ASSERT_EQ(n, write(fd, msg, n)) TH_LOG("plug %d: %s", i, strerror(errno));
	}
	for (i = 0; i < KEPT_MSGS; i++) {
		n = snprintf(msg, sizeof(msg), "kept %d", i);
		ASSERT_EQ(n, write(fd, msg, n)) TH_LOG("kept %d: %s", i, strerror(errno));
	}
	/* The unbind waits until the host took all of them (echoed). */
	ASSERT_EQ(0, pci_unbind(bdf));
	close(fd);
	ASSERT_EQ(0, pci_bind_vmmgmt(bdf));

	port2 = port;
	fd2 = open_bound(&port2, false);
	ASSERT_LE(0, fd2) TH_LOG("open and bind port %u again: %s", port,
				 strerror(-fd2));
	for (i = 0; i < KEPT_MSGS; i++) {
		n = snprintf(want, sizeof(want), "kept %d", i);
		memset(msg, 0, sizeof(msg));
		ASSERT_EQ(n, read_within(fd2, msg, sizeof(msg) - 1, 8000))
			TH_LOG("echo %d of %d after the bind: %s", i, KEPT_MSGS,
			       i ? "missing" : "none came");
		ASSERT_STREQ(want, msg);
	}
	EXPECT_EQ(resumed + 1, dev_attr("resumed_binds"));
	EXPECT_EQ(reset, dev_attr("reset_binds"));
	drops = dev_attr("drops");
	EXPECT_EQ(0ULL, drops);
	EXPECT_EQ(VMMGMT_LINK_UP, sysfs_link_state());
	close(fd2);
}

TEST_HARNESS_MAIN
