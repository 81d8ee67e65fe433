// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the /dev/vmmgmt data path without a peer: binding,
 * connecting, message size limits, LAST_SRC, the errors and poll() events
 * that follow the link state, and the sysfs counters.
 *
 * Runs with or without the host side: each test reads the link state
 * from sysfs and asserts the behaviour that state calls for.  Without the
 * device the tests are skipped, unless VMMGMT_REQUIRE_DEVICE is set.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

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

static const char * const counters[] = {
	"tx_msgs", "tx_bytes", "rx_msgs", "rx_bytes", "doorbells",
	"interrupts", "rx_polls", "drops", "violations", "max_msg_size",
};

static int read_counter(const char *name, unsigned long long *val)
{
	return vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, name, val);
}

FIXTURE(data) {
	int fd;
	int state;	/* link state from sysfs */
};

FIXTURE_SETUP(data)
{
	self->fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	ASSERT_LE(0, self->fd)
		TH_LOG("open " VMMGMT_GUEST_DEV ": %s", strerror(errno));
	self->state = sysfs_link_state();
	ASSERT_LE(0, self->state);
}

FIXTURE_TEARDOWN(data)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(data, bind_dynamic_then_eisconn)
{
	struct vmmgmt_bind b = { .port = 0 };

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b))
		TH_LOG("BIND 0: %s", strerror(errno));
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, b.port);
	b.port = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EISCONN, errno);
	b.port = 1234;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EISCONN, errno);
}

TEST_F(data, bind_dynamic_ports_differ)
{
	struct vmmgmt_bind a = { 0 }, b = { 0 };
	int fd2;

	fd2 = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &a));
	ASSERT_EQ(0, ioctl(fd2, VMMGMT_IOC_BIND, &b));
	EXPECT_NE(a.port, b.port);
	close(fd2);
}

TEST_F(data, bind_in_use_until_close)
{
	struct vmmgmt_bind b = { .port = 4242 };
	int fd2;

	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b))
		TH_LOG("BIND 4242: %s", strerror(errno));
	EXPECT_EQ(4242U, b.port);

	fd2 = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd2, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EADDRINUSE, errno);

	/* Closing the owner frees the port. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, ioctl(fd2, VMMGMT_IOC_BIND, &b))
		TH_LOG("BIND 4242 after close: %s", strerror(errno));
	close(fd2);
}

TEST_F(data, bind_connect_einval)
{
	struct vmmgmt_bind b = { .port = 0, .flags = 1 };
	struct vmmgmt_addr a = { .reserved = 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	b.flags = 0;
	b.reserved = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_CONNECT, &a));
	EXPECT_EQ(EINVAL, errno);
	/* A failed BIND leaves the file unbound. */
	b.reserved = 0;
	EXPECT_EQ(0, ioctl(self->fd, VMMGMT_IOC_BIND, &b));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_BIND, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_CONNECT, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(data, last_src_before_read)
{
	struct vmmgmt_addr a;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_LAST_SRC, &a));
	EXPECT_EQ(ENOMSG, errno);
}

TEST_F(data, write_too_long)
{
	struct vmmgmt_addr dst = { .port = VMMGMT_PORT_ECHO };
	unsigned long long max;
	size_t len = VMMGMT_MSG_MAX + 1;
	char *buf;

	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &dst));
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, len));
	EXPECT_EQ(EMSGSIZE, errno);

	ASSERT_EQ(0, read_counter("max_msg_size", &max));
	if (self->state != VMMGMT_LINK_UP) {
		EXPECT_EQ(0ULL, max);
	} else {
		/* The ring's own limit, when it is below VMMGMT_MSG_MAX. */
		EXPECT_LE(max, (unsigned long long)VMMGMT_MSG_MAX);
		EXPECT_LE(4096ULL, max);
		errno = 0;
		EXPECT_EQ(-1, write(self->fd, buf, max + 1));
		EXPECT_EQ(EMSGSIZE, errno);
	}
	free(buf);
}

/* Errors and poll() events as the link state says; never skipped. */
TEST_F(data, errors_follow_link_state)
{
	struct vmmgmt_addr dst = { .port = VMMGMT_PORT_ECHO };
	unsigned long long tx0, tx1;
	struct pollfd pfd;
	char buf[8] = "ping";

	ASSERT_EQ(0, read_counter("tx_msgs", &tx0));
	ASSERT_EQ(0, ioctl(self->fd, VMMGMT_IOC_CONNECT, &dst));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	pfd.fd = self->fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 0));

	if (self->state != VMMGMT_LINK_UP) {
		TH_LOG("link %s: expecting %s", self->state ? "broken" : "down",
		       strerror(link_errno(self->state)));
		EXPECT_TRUE(pfd.revents & POLLERR);
		EXPECT_FALSE(pfd.revents & (POLLIN | POLLOUT));
		errno = 0;
		EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(link_errno(self->state), errno);
		errno = 0;
		EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(link_errno(self->state), errno);
		ASSERT_EQ(0, read_counter("tx_msgs", &tx1));
		EXPECT_EQ(tx0, tx1);
		return;
	}
	TH_LOG("link up: expecting EAGAIN on an empty queue");
	EXPECT_EQ(POLLOUT, pfd.revents);
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(data, counters)
{
	unsigned long long v;
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		snprintf(path, sizeof(path), VMMGMT_GUEST_SYSFS "/%s", counters[i]);
		ASSERT_EQ(0, stat(path, &st))
			TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(0444U, st.st_mode & 07777);
		EXPECT_EQ(0, read_counter(counters[i], &v))
			TH_LOG("%s does not hold one number", path);
	}
	/* A sound host never sends what the guest must reject. */
	ASSERT_EQ(0, read_counter("violations", &v));
	EXPECT_EQ(0ULL, v);
}

TEST_HARNESS_MAIN
