// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: /dev/vmmgmt, its ioctls and sysfs attributes,
 * removal of the PCI device while a file is open, and the module's trace
 * events (tracefs events/vmmgmt_guest/).
 *
 * Runs in a guest with vmmgmt_guest.ko loaded.  Without the device the
 * tests are skipped, unless VMMGMT_REQUIRE_DEVICE is set: then they fail.
 * VMMGMT_EXPECT_VM_ID, when set, is the VM id the host gave this guest.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
#include "../vmmgmt_tracefs.h"

static const char * const link_state_names[] = {
	[VMMGMT_LINK_DOWN] = "down",
	[VMMGMT_LINK_UP] = "up",
	[VMMGMT_LINK_BROKEN] = "broken",
};

/* Number of entries in dir other than "." and "..", or -errno. */
static int count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Size of BAR bar of PCI device bdf, from its "resource" file. */
static int pci_bar_size(const char *bdf, int bar, unsigned long long *size)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	int i, err = -EINVAL;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i <= bar; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			goto out;
	}
	*size = end >= start && end ? end - start + 1 : 0;
	err = 0;
out:
	fclose(f);
	return err;
}

FIXTURE(guest_dev) {
	int fd;
	char bdf[64];		/* PCI device behind /dev/vmmgmt */
	bool unbound;		/* a test unbound it; teardown rebinds */
};

FIXTURE_SETUP(guest_dev)
{
	self->fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	ASSERT_LE(0, self->fd)
		TH_LOG("open " VMMGMT_GUEST_DEV ": %s", strerror(errno));
	ASSERT_EQ(0, link_name(VMMGMT_GUEST_SYSFS "/device", self->bdf,
			       sizeof(self->bdf)));
	ASSERT_NE(0, self->bdf[0])
		TH_LOG(VMMGMT_GUEST_SYSFS "/device: no parent device");
}

FIXTURE_TEARDOWN(guest_dev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->unbound && pci_bind_vmmgmt(self->bdf))
		TH_LOG("could not rebind %s to " VMMGMT_DRIVER, self->bdf);
}

TEST_F(guest_dev, node)
{
	unsigned int maj, min;
	char dev[32];
	struct stat st;
	int n;

	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	/* The node is the misc device that sysfs describes. */
	ASSERT_EQ(0, vmmgmt_read_raw(VMMGMT_GUEST_SYSFS "/dev", dev, sizeof(dev)));
	n = sscanf(dev, "%u:%u", &maj, &min);
	ASSERT_EQ(2, n);
	EXPECT_EQ(maj, major(st.st_rdev));
	EXPECT_EQ(min, minor(st.st_rdev));
}

TEST_F(guest_dev, parent_is_ivshmem_bound_to_vmmgmt)
{
	unsigned long long vendor, device;
	char path[PATH_MAX], drv[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", self->bdf);
	ASSERT_EQ(0, vmmgmt_read_u64(path, &vendor));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", self->bdf);
	ASSERT_EQ(0, vmmgmt_read_u64(path, &device));
	EXPECT_EQ(0x1af4ULL, vendor);
	EXPECT_EQ(0x1110ULL, device);
	ASSERT_EQ(0, pci_driver_of(self->bdf, drv, sizeof(drv)));
	EXPECT_STREQ(VMMGMT_DRIVER, drv);
}

TEST_F(guest_dev, get_version)
{
	struct vmmgmt_version ver;

	memset(&ver, 0xa5, sizeof(ver));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_GET_VERSION, &ver))
		TH_LOG("GET_VERSION: %s", strerror(errno));
	EXPECT_EQ((__u16)VMMGMT_ABI_MAJOR, ver.abi_major);
	EXPECT_EQ((__u16)VMMGMT_ABI_MINOR, ver.abi_minor);
	EXPECT_EQ(0U, ver.pad);
	EXPECT_EQ(0ULL, ver.features);
	EXPECT_EQ(0ULL, ver.reserved[0]);
	EXPECT_EQ(0ULL, ver.reserved[1]);
}

TEST_F(guest_dev, get_info)
{
	const char *want_id = getenv("VMMGMT_EXPECT_VM_ID");
	unsigned long long bar2 = 0;
	struct vmmgmt_info info;
	char path[PATH_MAX];
	size_t i;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_GET_INFO, &info))
		TH_LOG("GET_INFO: %s", strerror(errno));

	if (want_id) {
		EXPECT_EQ(strtoul(want_id, NULL, 0), info.vm_id);
	} else {
		TH_LOG("VMMGMT_EXPECT_VM_ID unset: vm_id %u not checked",
		       info.vm_id);
	}
	EXPECT_NE((__u32)VMMGMT_HOST_PEER_ID, info.vm_id);
	EXPECT_LE(info.vm_id, (__u32)VMMGMT_VM_ID_MAX);
	EXPECT_EQ(info.vm_id, info.peer_id);
	EXPECT_EQ((__u16)VMMGMT_ABI_MAJOR, info.abi_major);
	EXPECT_EQ((__u16)VMMGMT_ABI_MINOR, info.abi_minor);
	EXPECT_LE(info.link_state, (__u32)VMMGMT_LINK_BROKEN);

	EXPECT_GE(info.region_size, VMMGMT_REGION_MIN_SIZE);
	EXPECT_LE(info.region_size, VMMGMT_REGION_MAX_SIZE);
	ASSERT_EQ(0, pci_bar_size(self->bdf, 2, &bar2));
	EXPECT_EQ(bar2, info.region_size);

	EXPECT_GE(info.vectors, 1U);
	/* msi_irqs/ lists the vectors the driver enabled. */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/msi_irqs", self->bdf);
	EXPECT_EQ((int)info.vectors, count_entries(path));

	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		EXPECT_EQ(0ULL, info.reserved[i]);
}

TEST_F(guest_dev, sysfs_matches_info)
{
	unsigned long long val;
	struct vmmgmt_info info;
	char buf[64], want[64];

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_GET_INFO, &info));

	snprintf(want, sizeof(want), "%u.%u\n", info.abi_major,
		 info.abi_minor);
	ASSERT_EQ(0, vmmgmt_read_raw(VMMGMT_GUEST_SYSFS "/abi_version", buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);

	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vm_id", &val));
	EXPECT_EQ(info.vm_id, val);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/peer_id", &val));
	EXPECT_EQ(info.peer_id, val);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/host_id", &val));
	EXPECT_EQ(info.host_id, val);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/region_size", &val));
	EXPECT_EQ(info.region_size, val);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vectors", &val));
	EXPECT_EQ(info.vectors, val);

	ASSERT_LE(info.link_state, (__u32)VMMGMT_LINK_BROKEN);
	snprintf(want, sizeof(want), "%s\n", link_state_names[info.link_state]);
	ASSERT_EQ(0, vmmgmt_read_raw(VMMGMT_GUEST_SYSFS "/link_state", buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
}

TEST_F(guest_dev, sysfs_interrupts)
{
	unsigned long long a, b;
	struct stat st;

	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &a));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &b));
	EXPECT_LE(a, b);
	ASSERT_EQ(0, stat(VMMGMT_GUEST_SYSFS "/interrupts", &st));
	EXPECT_EQ(0444U, st.st_mode & 07777);
}

/*
 * Without VMMGMT_IOC_CONNECT: a link that is not up fails read() and
 * write() with ENOTCONN (down) or EPIPE (broken); an up link makes write()
 * ask for a destination and a non-blocking read() find nothing.
 */
TEST_F(guest_dev, read_write_follow_link_state)
{
	char buf[16] = "x";
	int state;

	state = sysfs_link_state();
	ASSERT_LE(0, state);
	TH_LOG("link_state %d", state);
	if (state != VMMGMT_LINK_UP) {
		errno = 0;
		EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(link_errno(state), errno);
		errno = 0;
		EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(link_errno(state), errno);
		return;
	}
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EDESTADDRREQ, errno);
}

TEST_F(guest_dev, bad_pointer)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_GET_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(guest_dev, unknown_ioctls)
{
	const unsigned long cmds[] = {
		_IOR(VMMGMT_IOC_MAGIC, 0x7f, struct vmmgmt_info),
		_IOW(VMMGMT_IOC_MAGIC, 0x41, struct vmmgmt_info),
		VMMGMT_HOST_IOC_GET_VERSION,
		TCGETS,
	};
	struct vmmgmt_info info;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &info))
			TH_LOG("ioctl %#lx succeeded", cmds[i]);
		EXPECT_EQ(ENOTTY, errno)
			TH_LOG("ioctl %#lx: %s", cmds[i], strerror(errno));
	}
}

/*
 * Unbind the PCI device while two files are open: both stay valid but
 * answer ENODEV, the node and the sysfs directory go, and binding again
 * brings back a working device.
 */
TEST_F(guest_dev, remove_while_open)
{
	struct vmmgmt_version ver;
	struct vmmgmt_info info;
	char buf[8] = "x";
	int fd2;

	fd2 = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);

	ASSERT_EQ(0, pci_unbind(self->bdf));
	self->unbound = true;

	EXPECT_NE(0, access(VMMGMT_GUEST_DEV, F_OK));
	EXPECT_NE(0, access(VMMGMT_GUEST_SYSFS, F_OK));

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_GET_INFO, &info));
	EXPECT_EQ(ENODEV, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd2, VMMGMT_IOC_GET_VERSION, &ver));
	EXPECT_EQ(ENODEV, errno);
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	errno = 0;
	EXPECT_EQ(-1, write(fd2, buf, sizeof(buf)));
	EXPECT_EQ(ENODEV, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd2, TCGETS, &info));
	EXPECT_EQ(ENOTTY, errno);

	/* The last close frees the device state. */
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	ASSERT_EQ(0, pci_bind_vmmgmt(self->bdf));
	self->unbound = false;

	self->fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd)
		TH_LOG("open " VMMGMT_GUEST_DEV " after rebind: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_GET_INFO, &info));
	EXPECT_EQ((__u16)VMMGMT_ABI_MAJOR, info.abi_major);
	EXPECT_GE(info.vectors, 1U);
}

#define TRACE_ECHOES	10

/*
 * The module's trace events (Documentation/vmmgmt.rst, "Trace events"),
 * turned on through tracefs, for echoes through the host after a quiet
 * second: each request posted and each answer consumed, naming this VM
 * and the addresses, and at least as many doorbell and interrupt events
 * as the sysfs counters moved by (at least one each: after a quiet
 * second neither side polls the other's ring any more).
 */
TEST_F(guest_dev, trace_events)
{
	const struct vmmgmt_addr echo = {
		.vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
	};
	unsigned long long vm_id, bells0, bells1, irqs0, irqs1;
	struct vmmgmt_bind b = { 0 };
	char buf[64];
	int i, ret, state;
	long n;

	state = sysfs_link_state();
	ASSERT_LE(0, state);
	if (state != VMMGMT_LINK_UP && !device_required())
		SKIP(return, "link not up: no host module serves this VM");
	ASSERT_EQ(VMMGMT_LINK_UP, state);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vm_id", &vm_id));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &echo));
	ret = vmmgmt_tracefs_events("vmmgmt_guest", true);
	ASSERT_EQ(0, ret)
		TH_LOG("tracefs events/vmmgmt_guest: %s", strerror(-ret));
	sleep(1);
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/doorbells", &bells0));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &irqs0));
	for (i = 0; i < TRACE_ECHOES; i++) {
		snprintf(buf, sizeof(buf), "trace %d", i);
		ASSERT_EQ((ssize_t)strlen(buf), write(self->fd, buf, strlen(buf)));
		ASSERT_EQ((ssize_t)strlen(buf), read(self->fd, buf, sizeof(buf)));
	}
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/doorbells", &bells1));
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/interrupts", &irqs1));
	ASSERT_EQ(0, vmmgmt_tracefs_events("vmmgmt_guest", false));

	n = vmmgmt_tracefs_countf("vmmgmt_guest_tx", "vm=%llu mode=%u ", vm_id,
				  VMMGMT_MODE_CHAT);
	EXPECT_EQ(TRACE_ECHOES, n);
	n = vmmgmt_tracefs_countf("vmmgmt_guest_tx", "src=0:%llu:%u dst=0:%u:%u",
				  vm_id, b.port, VMMGMT_HOST_PEER_ID,
				  VMMGMT_PORT_ECHO);
	EXPECT_EQ(TRACE_ECHOES, n);
	n = vmmgmt_tracefs_countf("vmmgmt_guest_rx", "src=0:%u:%u dst=0:%llu:%u",
				  VMMGMT_HOST_PEER_ID, VMMGMT_PORT_ECHO, vm_id,
				  b.port);
	EXPECT_EQ(TRACE_ECHOES, n);
	EXPECT_LE(1ULL, bells1 - bells0);
	EXPECT_LE(1ULL, irqs1 - irqs0);
	n = vmmgmt_tracefs_countf("vmmgmt_guest_notify", "vm=%llu doorbell",
				  vm_id);
	EXPECT_LE((long)(bells1 - bells0), n);
	n = vmmgmt_tracefs_countf("vmmgmt_guest_notify", "vm=%llu interrupt",
				  vm_id);
	EXPECT_LE((long)(irqs1 - irqs0), n);
}

TEST_HARNESS_MAIN
