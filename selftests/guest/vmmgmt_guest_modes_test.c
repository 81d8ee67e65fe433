// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the modes a guest's owner turns on and off (ABI
 * 0.6).
 *
 * Checks, through sysfs modes/<mode>/ and VMMGMT_IOC_SET_MODE/GET_MODE:
 * the defaults (chat and stats on, file, calc and cmd off, a new file in
 * chat mode); enabling and disabling, and what the attributes refuse;
 * EINVAL for a mode a file cannot be in, EPERM for one that is off (for
 * SET_MODE and for write() of a file whose mode was turned off); that the
 * records a file sends carry its mode (an echo in calc mode comes back to
 * a calc file and is counted as calc, not chat); that a record of a
 * disabled mode arriving from the host is refused, answered with EPERM
 * and counted, and never reaches a file; that the guest tells the host
 * its modes in the region header; that the stats_* aliases of ABI 0.6
 * are gone; and modes/file/dir, the owner's directory for the host's
 * push and pull (in modes/file/ alone; an absolute path up to PATH_MAX - 1
 * bytes, a trailing newline stripped, anything else refused).
 *
 * Every test restores the default modes in its teardown.  Needs the host
 * side; skipped while the link is not up, and without the device unless
 * VMMGMT_REQUIRE_DEVICE is set.
 */
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <vmmgmt.h>

/* The harness leaves parameters unused; see vmmgmt_guest_echo_test.c. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmmgmt_guest_util.h"
#include "../vmmgmt_bar.h"
/* The modes' names as the modules spell them (vmmgmt_mode_name()). */
#include "vmmgmt_name_rules.c"

#define MODES_DIR	VMMGMT_GUEST_SYSFS "/modes"
/* An answer from the host's echo, or a record routed back to this VM. */
#define MODES_WAIT_MS	5000
/* How long a record that must not arrive is waited for. */
#define MODES_QUIET_MS	500
/* Messages that fill one file's receive queue (VMMGMT_RXQ_MAX_MSGS). */
#define MODES_RXQ_MSGS	256

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

static void mode_path(char *buf, size_t size, int mode, const char *attr)
{
	snprintf(buf, size, MODES_DIR "/%s/%s", vmmgmt_mode_name(mode), attr);
}

static int mode_set(int mode, bool on)
{
	char path[128];

	mode_path(path, sizeof(path), mode, "enabled");
	return vmmgmt_write_text(path, on ? "1" : "0");
}

/* A mode's attribute as a number; -1 when it cannot be read. */
static long long mode_ull(int mode, const char *attr)
{
	unsigned long long v;
	char path[128];

	mode_path(path, sizeof(path), mode, attr);
	if (vmmgmt_read_u64(path, &v))
		return -1;
	return v;
}

static int file_set_mode(int fd, __u32 mode)
{
	struct vmmgmt_mode_req r = { .mode = mode };

	return ioctl(fd, VMMGMT_IOC_SET_MODE, &r) ? -errno : 0;
}

static int file_get_mode(int fd)
{
	struct vmmgmt_mode_req r = { .mode = 0xdead };

	if (ioctl(fd, VMMGMT_IOC_GET_MODE, &r))
		return -errno;
	return r.mode;
}

/* Bind @fd to a dynamic port and return it (0 on failure). */
static __u32 bind_any(int fd)
{
	struct vmmgmt_bind b = { 0 };

	if (ioctl(fd, VMMGMT_IOC_BIND, &b))
		return 0;
	return b.port;
}

static int connect_to(int fd, const struct vmmgmt_addr *a)
{
	return ioctl(fd, VMMGMT_IOC_CONNECT, a) ? -errno : 0;
}

/* Wait up to @ms for a message on @fd; 1 when one is there, 0 if not. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	return n > 0 && (p.revents & POLLIN);
}

/* Restore what the module loads with: chat and stats on, the rest off. */
static void modes_restore(void)
{
	int m;

	for (m = VMMGMT_MODE_CHAT; m <= VMMGMT_MODE_CMD; m++)
		mode_set(m, VMMGMT_MODES_DEFAULT & VMMGMT_MODE_BIT(m));
}

FIXTURE(modes) {
	int fd;
	__u32 vm_id;
	unsigned long long sampling, period;
};

FIXTURE_SETUP(modes)
{
	unsigned long long vm_id;

	if (!open_link_up(_metadata, &self->fd))
		return;
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/vm_id", &vm_id));
	self->vm_id = vm_id;
	modes_restore();
	ASSERT_EQ(0, vmmgmt_read_u64(MODES_DIR "/stats/sampling", &self->sampling));
	ASSERT_EQ(0, vmmgmt_read_u64(MODES_DIR "/stats/period_ms", &self->period));
}

FIXTURE_TEARDOWN(modes)
{
	char buf[32];

	modes_restore();
	if (self->fd < 0)
		return;
	/* The sampling as the test found it (guest-init may have set it). */
	snprintf(buf, sizeof(buf), "%llu", self->period);
	vmmgmt_write_text(MODES_DIR "/stats/period_ms", buf);
	vmmgmt_write_text(MODES_DIR "/stats/sampling", self->sampling ? "1" : "0");
	close(self->fd);
}

/* chat and stats on, the others off; every counter there; chat files. */
TEST_F(modes, defaults)
{
	static const char *const counters[] = {
		"tx_msgs", "tx_bytes", "rx_msgs", "rx_bytes", "errors",
		"denials",
	};
	char path[128];
	struct stat st;
	size_t i;
	int m;

	for (m = VMMGMT_MODE_CHAT; m <= VMMGMT_MODE_CMD; m++) {
		bool on = VMMGMT_MODES_DEFAULT & VMMGMT_MODE_BIT(m);

		EXPECT_EQ(on, mode_ull(m, "enabled"))
			TH_LOG("modes/%s/enabled", vmmgmt_mode_name(m));
		mode_path(path, sizeof(path), m, "enabled");
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0644U, st.st_mode & 0777)
			TH_LOG("%s mode %o", path, st.st_mode & 0777);
		for (i = 0; i < ARRAY_SIZE(counters); i++) {
			unsigned long long v;

			mode_path(path, sizeof(path), m, counters[i]);
			EXPECT_EQ(0, vmmgmt_read_u64(path, &v))
				TH_LOG("%s unreadable", path);
		}
	}
	EXPECT_EQ(VMMGMT_MODE_CHAT, file_get_mode(self->fd));
}

/* enabled takes 0 and 1 (and what kstrtobool reads so), nothing else. */
TEST_F(modes, enable_disable)
{
	char path[128];

	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CMD, true));
	EXPECT_EQ(1, mode_ull(VMMGMT_MODE_CMD, "enabled"));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CMD, false));
	EXPECT_EQ(0, mode_ull(VMMGMT_MODE_CMD, "enabled"));
	mode_path(path, sizeof(path), VMMGMT_MODE_CMD, "enabled");
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(path, "2"));
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(path, "maybe"));
	EXPECT_EQ(0, mode_ull(VMMGMT_MODE_CMD, "enabled"));
	/* The counters are read-only. */
	mode_path(path, sizeof(path), VMMGMT_MODE_CMD, "tx_msgs");
	EXPECT_NE(0, vmmgmt_write_text(path, "0"));
}

/* SET_MODE: EINVAL for what no file can be in, EPERM for a mode off. */
TEST_F(modes, set_mode_errors)
{
	struct vmmgmt_mode_req r = { .mode = VMMGMT_MODE_CHAT, .flags = 1 };
	long long denials = mode_ull(VMMGMT_MODE_FILE, "denials");

	EXPECT_EQ(-EINVAL, file_set_mode(self->fd, 99));
	EXPECT_EQ(-EINVAL, file_set_mode(self->fd, VMMGMT_MODE_MAX));
	EXPECT_EQ(-EINVAL, file_set_mode(self->fd, VMMGMT_MODE_PAD));
	EXPECT_EQ(-EINVAL, file_set_mode(self->fd, VMMGMT_MODE_CTRL));
	EXPECT_EQ(-EINVAL, file_set_mode(self->fd, VMMGMT_MODE_STATS));
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_SET_MODE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_SET_MODE, &r));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_LE(0, denials);
	EXPECT_EQ(-EPERM, file_set_mode(self->fd, VMMGMT_MODE_FILE));
	EXPECT_EQ(denials + 1, mode_ull(VMMGMT_MODE_FILE, "denials"));
	EXPECT_EQ(VMMGMT_MODE_CHAT, file_get_mode(self->fd));

	ASSERT_EQ(0, mode_set(VMMGMT_MODE_FILE, true));
	EXPECT_EQ(0, file_set_mode(self->fd, VMMGMT_MODE_FILE));
	EXPECT_EQ(VMMGMT_MODE_FILE, file_get_mode(self->fd));
	EXPECT_EQ(0, file_set_mode(self->fd, VMMGMT_MODE_CHAT));
	EXPECT_EQ(VMMGMT_MODE_CHAT, file_get_mode(self->fd));
}

/* A file whose mode is turned off keeps it and cannot send. */
TEST_F(modes, write_in_disabled_mode)
{
	char msg[16] = "hello";
	long long denials;

	ASSERT_EQ(0, connect_to(self->fd, &echo_addr));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CHAT, false));
	denials = mode_ull(VMMGMT_MODE_CHAT, "denials");
	EXPECT_EQ(-1, write(self->fd, msg, sizeof(msg)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(denials + 1, mode_ull(VMMGMT_MODE_CHAT, "denials"));
	EXPECT_EQ(VMMGMT_MODE_CHAT, file_get_mode(self->fd));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CHAT, true));
	EXPECT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)));
	ASSERT_EQ(1, wait_readable(self->fd, MODES_WAIT_MS));
	EXPECT_EQ((ssize_t)sizeof(msg), read(self->fd, msg, sizeof(msg)));
}

/*
 * The records of a calc file carry calc: the echo comes back as calc, to
 * the calc file, and the calc counters move while chat's do not.
 */
TEST_F(modes, mode_carried)
{
	long long tx, rx, txb, chat_tx, chat_rx;
	char msg[100], ans[100];

	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CALC, true));
	ASSERT_EQ(0, file_set_mode(self->fd, VMMGMT_MODE_CALC));
	ASSERT_EQ(0, connect_to(self->fd, &echo_addr));
	tx = mode_ull(VMMGMT_MODE_CALC, "tx_msgs");
	txb = mode_ull(VMMGMT_MODE_CALC, "tx_bytes");
	rx = mode_ull(VMMGMT_MODE_CALC, "rx_msgs");
	chat_tx = mode_ull(VMMGMT_MODE_CHAT, "tx_msgs");
	chat_rx = mode_ull(VMMGMT_MODE_CHAT, "rx_msgs");
	memset(msg, 'c', sizeof(msg));
	ASSERT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)));
	ASSERT_EQ(1, wait_readable(self->fd, MODES_WAIT_MS))
		TH_LOG("no echo of a calc record");
	ASSERT_EQ((ssize_t)sizeof(ans), read(self->fd, ans, sizeof(ans)));
	EXPECT_EQ(0, memcmp(msg, ans, sizeof(msg)));
	EXPECT_EQ(tx + 1, mode_ull(VMMGMT_MODE_CALC, "tx_msgs"));
	EXPECT_EQ(txb + (long long)sizeof(msg),
		  mode_ull(VMMGMT_MODE_CALC, "tx_bytes"));
	EXPECT_EQ(rx + 1, mode_ull(VMMGMT_MODE_CALC, "rx_msgs"));
	EXPECT_EQ(chat_tx, mode_ull(VMMGMT_MODE_CHAT, "tx_msgs"));
	EXPECT_EQ(chat_rx, mode_ull(VMMGMT_MODE_CHAT, "rx_msgs"));
}

/* A chat record for a port held by a calc file does not reach it. */
TEST_F(modes, other_mode_not_delivered)
{
	struct vmmgmt_addr self_addr = { .vm = self->vm_id };
	char msg[32] = "not for a calc file";
	int calc;

	calc = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, calc);
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CALC, true));
	ASSERT_EQ(0, file_set_mode(calc, VMMGMT_MODE_CALC));
	self_addr.port = bind_any(calc);
	ASSERT_NE(0U, self_addr.port);
	ASSERT_EQ(0, connect_to(self->fd, &self_addr));
	ASSERT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)));
	EXPECT_EQ(0, wait_readable(calc, MODES_QUIET_MS));
	close(calc);
}

/*
 * A request of a disabled mode from the host: the calc request of one
 * calc file to another of this VM is held in the host-to-guest ring (a
 * chat file's full receive queue stops the guest's consumer in front of
 * it) while calc is turned off; when the chat file reads, it arrives
 * with calc off.  It must not reach the calc file; the guest must answer
 * it with EPERM, and that answer, coming back in calc mode while calc is
 * still off, must not reach the sender either: two calc denials.
 */
TEST_F_TIMEOUT(modes, disabled_mode_refused, 120)
{
	struct vmmgmt_addr to_calc = { .vm = self->vm_id };
	long long denials, rx, chat_rx;
	char msg[64] = { 0 };
	int sender, receiver, i, n;

	ASSERT_EQ(0, connect_to(self->fd, &echo_addr));
	ASSERT_NE(0U, bind_any(self->fd));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CALC, true));
	sender = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	receiver = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, sender);
	ASSERT_LE(0, receiver);
	ASSERT_EQ(0, file_set_mode(sender, VMMGMT_MODE_CALC));
	ASSERT_EQ(0, file_set_mode(receiver, VMMGMT_MODE_CALC));
	ASSERT_NE(0U, bind_any(sender));
	to_calc.port = bind_any(receiver);
	ASSERT_NE(0U, to_calc.port);
	ASSERT_EQ(0, connect_to(sender, &to_calc));

	/* One echo more than the chat file's queue holds: the consumer stops. */
	chat_rx = mode_ull(VMMGMT_MODE_CHAT, "rx_msgs");
	for (i = 0; i < MODES_RXQ_MSGS + 1; i++)
		ASSERT_EQ((ssize_t)sizeof(msg), write(self->fd, msg, sizeof(msg)));
	for (i = 0; i < MODES_WAIT_MS / 10; i++) {
		if (mode_ull(VMMGMT_MODE_CHAT, "rx_msgs") >= chat_rx + MODES_RXQ_MSGS)
			break;
		usleep(10000);
	}
	ASSERT_EQ(chat_rx + MODES_RXQ_MSGS, mode_ull(VMMGMT_MODE_CHAT, "rx_msgs"))
		TH_LOG("the chat file's queue did not fill");

	/* The calc request queues up behind the held echo. */
	ASSERT_EQ((ssize_t)sizeof(msg), write(sender, msg, sizeof(msg)));
	usleep(300000);
	rx = mode_ull(VMMGMT_MODE_CALC, "rx_msgs");
	denials = mode_ull(VMMGMT_MODE_CALC, "denials");
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CALC, false));

	/* Drain the chat file: the held records arrive with calc off. */
	for (n = 0; n < MODES_RXQ_MSGS + 1; n++) {
		if (!wait_readable(self->fd, MODES_WAIT_MS))
			break;
		ASSERT_EQ((ssize_t)sizeof(msg), read(self->fd, msg, sizeof(msg)));
	}
	EXPECT_EQ(MODES_RXQ_MSGS + 1, n);
	for (i = 0; i < MODES_WAIT_MS / 10; i++) {
		if (mode_ull(VMMGMT_MODE_CALC, "denials") >= denials + 2)
			break;
		usleep(10000);
	}
	EXPECT_EQ(denials + 2, mode_ull(VMMGMT_MODE_CALC, "denials"))
		TH_LOG("the request and its EPERM answer are two denials");
	EXPECT_EQ(rx, mode_ull(VMMGMT_MODE_CALC, "rx_msgs"));
	EXPECT_EQ(0, wait_readable(receiver, MODES_QUIET_MS));
	EXPECT_EQ(0, wait_readable(sender, 0));

	/* On again, calc works again between the same files. */
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CALC, true));
	ASSERT_EQ((ssize_t)sizeof(msg), write(sender, msg, sizeof(msg)));
	EXPECT_EQ(1, wait_readable(receiver, MODES_WAIT_MS));
	close(sender);
	close(receiver);
}

/* The guest tells the host its modes: region header guest_modes. */
TEST_F(modes, header_tells_host)
{
	size_t off = offsetof(struct vmmgmt_region_header, guest_modes);
	size_t feat = offsetof(struct vmmgmt_region_header, features_accepted);
	__u32 *modes;
	__u8 *bar;
	size_t size;
	int ret;

	ret = map_sysfs_bar(VMMGMT_GUEST_SYSFS "/device", 2, &bar, &size);
	if (ret == -EPERM || ret == -EACCES)
		SKIP(return, "BAR2 cannot be mapped (kernel without iomem=relaxed)");
	ASSERT_EQ(0, ret) TH_LOG("map BAR2: %s", strerror(-ret));
	modes = (__u32 *)(bar + off);
	if (!(__atomic_load_n((__u64 *)(bar + feat), __ATOMIC_ACQUIRE) &
	      VMMGMT_F_MODES)) {
		munmap(bar, size);
		SKIP(return, "the host does not offer VMMGMT_F_MODES");
	}
	EXPECT_EQ(VMMGMT_MODES_DEFAULT, __atomic_load_n(modes, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_FILE, true));
	EXPECT_EQ(VMMGMT_MODES_DEFAULT | VMMGMT_MODE_BIT(VMMGMT_MODE_FILE),
		  __atomic_load_n(modes, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_CHAT, false));
	EXPECT_EQ(VMMGMT_MODE_BIT(VMMGMT_MODE_STATS) |
		  VMMGMT_MODE_BIT(VMMGMT_MODE_FILE), __atomic_load_n(modes, __ATOMIC_ACQUIRE));
	modes_restore();
	EXPECT_EQ(VMMGMT_MODES_DEFAULT, __atomic_load_n(modes, __ATOMIC_ACQUIRE));
	munmap(bar, size);
}

/*
 * The statistics mode: modes/stats/ holds the collector's settings and
 * counts, and the device's stats_* aliases of ABI 0.6 are gone (0.7);
 * with the mode off, sampling is off and cannot be turned on, and
 * VMMGMT_IOC_SET_NEEDS is refused.
 */
TEST_F(modes, stats_mode)
{
	struct vmmgmt_stats_needs needs = { .vcpus_wanted = 1 };
	unsigned long long v;
	long long sent, failed;

	EXPECT_EQ(-ENOENT, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/stats_period_ms", &v));
	EXPECT_EQ(-ENOENT, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/stats_enable", &v));
	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/stats/period_ms", "300"));
	EXPECT_EQ(300, mode_ull(VMMGMT_MODE_STATS, "period_ms"));

	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/stats/sampling", "1"));
	EXPECT_EQ(1, mode_ull(VMMGMT_MODE_STATS, "sampling"));
	usleep(700000);
	sent = mode_ull(VMMGMT_MODE_STATS, "samples_sent");
	failed = mode_ull(VMMGMT_MODE_STATS, "samples_failed");
	EXPECT_LT(0, sent);
	EXPECT_LE(0, failed);

	/* Off: sampling stops and stays off; needs are refused. */
	ASSERT_EQ(0, mode_set(VMMGMT_MODE_STATS, false));
	EXPECT_EQ(0, mode_ull(VMMGMT_MODE_STATS, "sampling"));
	EXPECT_EQ(-EPERM, vmmgmt_write_text(MODES_DIR "/stats/sampling", "1"));
	EXPECT_EQ(-1, ioctl(self->fd, VMMGMT_IOC_SET_NEEDS, &needs));
	EXPECT_EQ(EPERM, errno);
	sent = mode_ull(VMMGMT_MODE_STATS, "samples_sent");
	usleep(700000);
	EXPECT_EQ(sent, mode_ull(VMMGMT_MODE_STATS, "samples_sent"));

	ASSERT_EQ(0, mode_set(VMMGMT_MODE_STATS, true));
	needs.vcpus_wanted = 0;
	EXPECT_EQ(0, ioctl(self->fd, VMMGMT_IOC_SET_NEEDS, &needs));
}

/* What modes/file/dir holds now, as read (its newline and all). */
static int file_dir_get(char *buf, size_t size)
{
	return vmmgmt_read_raw(MODES_DIR "/file/dir", buf, size);
}

/* Write @len bytes of @buf to modes/file/dir in one write(): 0 or -errno. */
static int file_dir_put(const char *buf, size_t len)
{
	int fd, err = 0;

	fd = open(MODES_DIR "/file/dir", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/*
 * modes/file/dir: the directory the owner lets the host push into and
 * pull from.  The module only keeps the string (vmmgmtctl file serve
 * uses it); the value the test found is put back at its end.
 */
TEST_F(modes, file_dir)
{
	char *saved = malloc(8192), *buf = malloc(8192), path[128];
	struct stat st;
	size_t len;
	int m;

	ASSERT_NE(NULL, saved);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, file_dir_get(saved, 8192));
	ASSERT_EQ(0, stat(MODES_DIR "/file/dir", &st));
	EXPECT_EQ(0644U, st.st_mode & 0777);
	/* Only in modes/file/. */
	for (m = VMMGMT_MODE_CHAT; m <= VMMGMT_MODE_CMD; m++) {
		if (m == VMMGMT_MODE_FILE)
			continue;
		mode_path(path, sizeof(path), m, "dir");
		EXPECT_NE(0, stat(path, &st)) TH_LOG("%s exists", path);
	}
	EXPECT_NE(0, stat(MODES_DIR "/file/sampling", &st));

	/* Set (echo's newline stripped), replaced, cleared. */
	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/file/dir", "/srv/from-host\n"));
	ASSERT_EQ(0, file_dir_get(buf, 8192));
	EXPECT_STREQ("/srv/from-host\n", buf);
	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/file/dir", "/a dir/with spaces"));
	ASSERT_EQ(0, file_dir_get(buf, 8192));
	EXPECT_STREQ("/a dir/with spaces\n", buf);
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(MODES_DIR "/file/dir", "relative/dir"));
	EXPECT_EQ(-EINVAL, vmmgmt_write_text(MODES_DIR "/file/dir", "/two\nlines"));
	EXPECT_EQ(-EINVAL, file_dir_put("/nul\0inside", 12));
	ASSERT_EQ(0, file_dir_get(buf, 8192));
	EXPECT_STREQ("/a dir/with spaces\n", buf) TH_LOG("a refused value changed it");
	ASSERT_EQ(0, vmmgmt_write_text(MODES_DIR "/file/dir", "\n"));
	ASSERT_EQ(0, file_dir_get(buf, 8192));
	EXPECT_STREQ("\n", buf);

	/* PATH_MAX - 1 bytes (and echo's newline) fit; PATH_MAX do not. */
	memset(buf, 'd', 8192);
	buf[0] = '/';
	buf[PATH_MAX - 1] = '\n';
	EXPECT_EQ(0, file_dir_put(buf, PATH_MAX));
	ASSERT_EQ(0, file_dir_get(buf, 8192));
	len = strlen(buf);
	EXPECT_EQ((size_t)PATH_MAX - 1, len) TH_LOG("%zu bytes read back", len);
	memset(buf, 'd', 8192);
	buf[0] = '/';
	EXPECT_EQ(-ENAMETOOLONG, file_dir_put(buf, PATH_MAX));

	/* What the test found, back ("\n": none). */
	EXPECT_EQ(0, file_dir_put(saved, strlen(saved)));
	free(saved);
	free(buf);
}

TEST_HARNESS_MAIN
