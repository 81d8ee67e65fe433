// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: names.  VMMGMT_IOC_PUBLISH, _WITHDRAW and _LOOKUP
 * go to the host's name table as VMMGMT_MODE_CTRL requests; this test
 * checks their errors (unbound file, taken name, unknown name, a name of
 * another file, bad strings), the round trip publish -> lookup -> send ->
 * answer inside one guest, withdrawal at close, and that the host's
 * answers are not counted as violations.  VMMGMT_IOC_LIST_NAMES (ABI
 * 0.5) pages through the table in name order; vmmgmtctl names shows it.
 *
 * The name table is the host's, shared by every guest that runs this test
 * at the same time: every name carries this VM's id.  Needs the link up
 * (skipped without it, unless VMMGMT_REQUIRE_DEVICE is set).
 */
#include <poll.h>
#include <sys/ioctl.h>

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

FIXTURE(names) {
	int a, b;		/* two endpoints, bound */
	__u32 port_a, port_b;
	__u32 vm_id;
	int state;
};

static int open_bound(__u32 *port)
{
	struct vmmgmt_bind bind = { 0 };
	int fd;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VMMGMT_IOC_BIND, &bind)) {
		close(fd);
		return -1;
	}
	*port = bind.port;
	return fd;
}

/* A name of this VM: "t<vm>.<what>". */
static void mkname(struct vmmgmt_name *n, __u32 vm, const char *what)
{
	memset(n, 0, sizeof(*n));
	snprintf((char *)n->name, sizeof(n->name), "t%u.%s", vm, what);
}

/* ioctl() that must fail: its errno, or 0 if it succeeded. */
static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	errno = 0;
	if (!ioctl(fd, cmd, arg))
		return 0;
	return errno;
}

FIXTURE_SETUP(names)
{
	struct vmmgmt_info info = { 0 };

	self->a = -1;
	self->b = -1;
	if (access(VMMGMT_GUEST_DEV, F_OK) && !device_required())
		SKIP(return, VMMGMT_GUEST_DEV " absent (no vmmgmt device bound)");
	self->a = open_bound(&self->port_a);
	ASSERT_LE(0, self->a) TH_LOG("open/bind: %s", strerror(errno));
	self->b = open_bound(&self->port_b);
	ASSERT_LE(0, self->b) TH_LOG("open/bind: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_GET_INFO, &info));
	self->vm_id = info.vm_id;
	self->state = sysfs_link_state();
	ASSERT_LE(0, self->state);
	/* Names need the host: without it, only a run that allows it skips. */
	if (self->state != VMMGMT_LINK_UP && !device_required())
		SKIP(return, "link not up (state %d)", self->state);
	ASSERT_EQ(VMMGMT_LINK_UP, self->state);
}

FIXTURE_TEARDOWN(names)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
}

TEST_F(names, publish_unbound)
{
	struct vmmgmt_name n;
	int fd;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	mkname(&n, self->vm_id, "unbound");
	EXPECT_EQ(EDESTADDRREQ, ioctl_err(fd, VMMGMT_IOC_PUBLISH, &n));
	close(fd);
}

TEST_F(names, bad_strings_and_fields)
{
	static const char * const bad[] = {
		"", "with space", "slash/name", "nul\0after", "tab\tname",
		"star*", "dollar$",
	};
	unsigned long cmds[] = {
		VMMGMT_IOC_PUBLISH, VMMGMT_IOC_WITHDRAW, VMMGMT_IOC_LOOKUP,
	};
	struct vmmgmt_name n;
	size_t i, c;

	for (c = 0; c < ARRAY_SIZE(cmds); c++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			memset(&n, 0, sizeof(n));
			/* "nul\0after": junk after the NUL. */
			memcpy(n.name, bad[i], strlen(bad[i]));
			if (i == 3)
				memcpy(n.name + 4, "after", 5);
			EXPECT_EQ(EINVAL, ioctl_err(self->a, cmds[c], &n))
				TH_LOG("cmd %zu name %zu", c, i);
		}
		/* No NUL at all. */
		memset(n.name, 'x', sizeof(n.name));
		memset(&n.addr, 0, sizeof(n.addr));
		n.flags = 0;
		n.reserved = 0;
		EXPECT_EQ(EINVAL, ioctl_err(self->a, cmds[c], &n));
		mkname(&n, self->vm_id, "flags");
		n.flags = 1;
		EXPECT_EQ(EINVAL, ioctl_err(self->a, cmds[c], &n));
		mkname(&n, self->vm_id, "reserved");
		n.reserved = 1;
		EXPECT_EQ(EINVAL, ioctl_err(self->a, cmds[c], &n));
	}
	/* PUBLISH: only addr.port, 0 or the bound one. */
	mkname(&n, self->vm_id, "addr");
	n.addr.vm = self->vm_id;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_PUBLISH, &n));
	mkname(&n, self->vm_id, "addr");
	n.addr.host = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_PUBLISH, &n));
	mkname(&n, self->vm_id, "addr");
	n.addr.port = self->port_b;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_PUBLISH, &n));
	/* None of them was published. */
	mkname(&n, self->vm_id, "addr");
	EXPECT_EQ(ENOENT, ioctl_err(self->b, VMMGMT_IOC_LOOKUP, &n));
}

TEST_F(names, lookup_unknown)
{
	struct vmmgmt_name n;

	mkname(&n, self->vm_id, "nobody-published-this");
	EXPECT_EQ(ENOENT, ioctl_err(self->a, VMMGMT_IOC_LOOKUP, &n));
	EXPECT_EQ(ENOENT, ioctl_err(self->a, VMMGMT_IOC_WITHDRAW, &n));
}

TEST_F(names, publish_lookup_withdraw)
{
	struct vmmgmt_name n, l;

	mkname(&n, self->vm_id, "rt");
	n.addr.port = self->port_a;
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH: %s", strerror(errno));
	/* From the same file and from another one. */
	mkname(&l, self->vm_id, "rt");
	l.addr.port = 12345;	/* ignored on input */
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_LOOKUP, &l))
		TH_LOG("LOOKUP: %s", strerror(errno));
	EXPECT_EQ(0U, l.addr.host);
	EXPECT_EQ(self->vm_id, l.addr.vm);
	EXPECT_EQ(self->port_a, l.addr.port);
	EXPECT_EQ(0, memcmp(l.name, n.name, sizeof(n.name)));
	memset(&l.addr, 0, sizeof(l.addr));
	ASSERT_EQ(0, ioctl(self->b, VMMGMT_IOC_LOOKUP, &l));
	EXPECT_EQ(self->vm_id, l.addr.vm);
	EXPECT_EQ(self->port_a, l.addr.port);
	/* Publishing it again from its file succeeds. */
	mkname(&n, self->vm_id, "rt");
	EXPECT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH again: %s", strerror(errno));

	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_WITHDRAW, &n))
		TH_LOG("WITHDRAW: %s", strerror(errno));
	EXPECT_EQ(ENOENT, ioctl_err(self->b, VMMGMT_IOC_LOOKUP, &l));
	EXPECT_EQ(ENOENT, ioctl_err(self->a, VMMGMT_IOC_WITHDRAW, &n));
}

TEST_F(names, taken_and_not_ours)
{
	struct vmmgmt_name n, l;

	mkname(&n, self->vm_id, "taken");
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH: %s", strerror(errno));
	/* Another file of the same VM, another port: taken. */
	EXPECT_EQ(EADDRINUSE, ioctl_err(self->b, VMMGMT_IOC_PUBLISH, &n));
	/* Not b's to withdraw: the name stays a's. */
	EXPECT_EQ(ENOENT, ioctl_err(self->b, VMMGMT_IOC_WITHDRAW, &n));
	mkname(&l, self->vm_id, "taken");
	ASSERT_EQ(0, ioctl(self->b, VMMGMT_IOC_LOOKUP, &l));
	EXPECT_EQ(self->port_a, l.addr.port);
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_WITHDRAW, &n));
	/* Free now: b gets it. */
	EXPECT_EQ(0, ioctl(self->b, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH by b: %s", strerror(errno));
	memset(&l.addr, 0, sizeof(l.addr));
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_LOOKUP, &l));
	EXPECT_EQ(self->port_b, l.addr.port);
}

TEST_F(names, withdrawn_at_close)
{
	struct vmmgmt_name n, l;
	int i;

	for (i = 0; i < 3; i++) {
		char what[16];

		snprintf(what, sizeof(what), "close%d", i);
		mkname(&n, self->vm_id, what);
		ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
			TH_LOG("PUBLISH %s: %s", n.name, strerror(errno));
	}
	close(self->a);
	self->a = -1;
	/* The withdrawals are ahead of these lookups in the ring. */
	for (i = 0; i < 3; i++) {
		char what[16];

		snprintf(what, sizeof(what), "close%d", i);
		mkname(&l, self->vm_id, what);
		EXPECT_EQ(ENOENT, ioctl_err(self->b, VMMGMT_IOC_LOOKUP, &l))
			TH_LOG("%s still published", l.name);
	}
	mkname(&n, self->vm_id, "close0");
	EXPECT_EQ(0, ioctl(self->b, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH after close: %s", strerror(errno));
}

/* Publish, look up, send to the name's address, answer: one guest. */
TEST_F(names, call_by_name)
{
	unsigned long long v0, v1;
	struct vmmgmt_name n, l;
	struct vmmgmt_addr src;
	struct pollfd p;
	char buf[64];

	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/violations", &v0));
	mkname(&n, self->vm_id, "svc");
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH: %s", strerror(errno));
	mkname(&l, self->vm_id, "svc");
	ASSERT_EQ(0, ioctl(self->b, VMMGMT_IOC_LOOKUP, &l));
	ASSERT_EQ(0, ioctl(self->b, VMMGMT_IOC_CONNECT, &l.addr));
	ASSERT_EQ(5, write(self->b, "call?", 5));

	p.fd = self->a;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no call within 10 s");
	ASSERT_EQ(5, read(self->a, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "call?", 5));
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_LAST_SRC, &src));
	EXPECT_EQ(self->vm_id, src.vm);
	EXPECT_EQ(self->port_b, src.port);
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_CONNECT, &src));
	ASSERT_EQ(7, write(self->a, "answer!", 7));

	p.fd = self->b;
	ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no answer within 10 s");
	ASSERT_EQ(7, read(self->b, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "answer!", 7));
	ASSERT_EQ(0, ioctl(self->b, VMMGMT_IOC_LAST_SRC, &src));
	EXPECT_EQ(self->port_a, src.port);

	/* The host's answers to the names requests were all accepted. */
	ASSERT_EQ(0, vmmgmt_read_u64(VMMGMT_GUEST_SYSFS "/violations", &v1));
	EXPECT_EQ(v0, v1);
}

/* Every name of the host's table, through VMMGMT_IOC_LIST_NAMES pages. */
struct listing {
	struct vmmgmt_name names[VMMGMT_NAMES_MAX];
	unsigned int count, pages, first_count;
	bool first_more, sorted;
};

static int list_all(int fd, struct listing *out)
{
	static struct vmmgmt_name_list l;
	char prev[VMMGMT_NAME_MAX] = "";
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->sorted = true;
	do {
		memset(&l, 0, sizeof(l));
		memcpy(l.after, prev, sizeof(l.after));
		if (ioctl(fd, VMMGMT_IOC_LIST_NAMES, &l))
			return -errno;
		if (!out->pages++) {
			out->first_count = l.count;
			out->first_more = l.flags & VMMGMT_NAME_LIST_F_MORE;
		}
		if (l.count > VMMGMT_NAMES_PER_LIST ||
		    out->count + l.count > VMMGMT_NAMES_MAX ||
		    memcmp(l.after, prev, sizeof(prev)))
			return -EPROTO;
		for (i = 0; i < l.count; i++) {
			if (strncmp((char *)l.names[i].name, prev, sizeof(prev)) <= 0)
				out->sorted = false;
			memcpy(prev, l.names[i].name, sizeof(prev));
			out->names[out->count++] = l.names[i];
		}
		if (!l.count)
			break;
	} while (l.flags & VMMGMT_NAME_LIST_F_MORE);
	return 0;
}

/* Entries of @l whose name starts with @prefix. */
static unsigned int count_prefix(const struct listing *l, const char *prefix)
{
	unsigned int i, n = 0;

	for (i = 0; i < l->count; i++)
		n += !strncmp((const char *)l->names[i].name, prefix,
			      strlen(prefix));
	return n;
}

/* 40 names of one file come back in order, over pages of 32, then go. */
TEST_F(names, list_pages)
{
	static struct listing l;
	struct vmmgmt_name n;
	char what[16], prefix[32];
	unsigned int i, found = 0;

	for (i = 0; i < 40; i++) {
		snprintf(what, sizeof(what), "l%02u", 39 - i);
		mkname(&n, self->vm_id, what);
		ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
			TH_LOG("PUBLISH %s: %s", n.name, strerror(errno));
	}
	ASSERT_EQ(0, list_all(self->b, &l)) TH_LOG("LIST_NAMES failed");
	snprintf(prefix, sizeof(prefix), "t%u.l", self->vm_id);
	EXPECT_TRUE(l.sorted);
	EXPECT_LE(2U, l.pages);
	EXPECT_EQ((unsigned int)VMMGMT_NAMES_PER_LIST, l.first_count);
	EXPECT_TRUE(l.first_more);
	for (i = 0; i < l.count; i++) {
		if (strncmp((char *)l.names[i].name, prefix, strlen(prefix)))
			continue;
		/* In order: l00, l01, ... whatever the order of publishing. */
		snprintf(what, sizeof(what), "l%02u", found);
		mkname(&n, self->vm_id, what);
		EXPECT_EQ(0, memcmp(n.name, l.names[i].name, sizeof(n.name)))
			TH_LOG("entry %u is %s, expected %s", found,
			       l.names[i].name, n.name);
		EXPECT_EQ(0U, l.names[i].addr.host);
		EXPECT_EQ(self->vm_id, l.names[i].addr.vm);
		EXPECT_EQ(self->port_a, l.names[i].addr.port);
		EXPECT_EQ(0U, l.names[i].flags);
		found++;
	}
	EXPECT_EQ(40U, found);
	TH_LOG("%u names in %u pages, %u of this test", l.count, l.pages, found);

	for (i = 0; i < 40; i++) {
		snprintf(what, sizeof(what), "l%02u", i);
		mkname(&n, self->vm_id, what);
		ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_WITHDRAW, &n));
	}
	ASSERT_EQ(0, list_all(self->b, &l));
	EXPECT_EQ(0U, count_prefix(&l, prefix));
	EXPECT_TRUE(l.sorted);
}

/* A list request with a bad cursor or nonzero fields never leaves. */
TEST_F(names, list_bad_arguments)
{
	struct vmmgmt_name_list l;

	memset(&l, 0, sizeof(l));
	memcpy(l.after, "with space", 10);
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	memset(&l, 0, sizeof(l));
	l.after[VMMGMT_NAME_MAX - 1] = 'x';	/* not terminated */
	memset(l.after, 'a', VMMGMT_NAME_MAX - 1);
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	memset(&l, 0, sizeof(l));
	l.count = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	memset(&l, 0, sizeof(l));
	l.flags = VMMGMT_NAME_LIST_F_MORE;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	memset(&l, 0, sizeof(l));
	l.reserved[2] = 1;
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	memset(&l, 0, sizeof(l));
	l.after[0] = '~';
	EXPECT_EQ(EINVAL, ioctl_err(self->a, VMMGMT_IOC_LIST_NAMES, &l));
	/* A valid cursor nobody published is fine: what sorts after it. */
	memset(&l, 0, sizeof(l));
	memset(l.after, 'z', VMMGMT_NAME_MAX - 1);
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_LIST_NAMES, &l))
		TH_LOG("LIST_NAMES after zzz...: %s", strerror(errno));
	EXPECT_EQ(0U, l.count);
	EXPECT_EQ(0U, l.flags);
}

/* The output of @cmd (at most @size - 1 bytes); its exit status. */
static int run_cmd(const char *cmd, char *buf, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	return pclose(f);
}

/* vmmgmtctl names in a guest: the table, and the same as JSON. */
TEST_F(names, vmmgmtctl_names)
{
	static char out[64 * 1024];
	struct vmmgmt_name n;
	char want[128];

	mkname(&n, self->vm_id, "ctl");
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_PUBLISH, &n))
		TH_LOG("PUBLISH: %s", strerror(errno));
	ASSERT_EQ(0, run_cmd("vmmgmtctl names 2>&1", out, sizeof(out)))
		TH_LOG("vmmgmtctl names: %s", out);
	EXPECT_EQ(0, strncmp(out, "NAME ", 5)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\n%-31s 0:%u:%u\n", n.name,
		 self->vm_id, self->port_a);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no line '%s' in:\n%s",
						  want + 1, out);
	ASSERT_EQ(0, run_cmd("vmmgmtctl --json names 2>&1", out, sizeof(out)))
		TH_LOG("vmmgmtctl --json names: %s", out);
	snprintf(want, sizeof(want),
		 "{\"name\":\"%s\",\"host\":0,\"vm\":%u,\"port\":%u}",
		 n.name, self->vm_id, self->port_a);
	EXPECT_EQ('[', out[0]);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no '%s' in:\n%s", want, out);
	ASSERT_EQ(0, ioctl(self->a, VMMGMT_IOC_WITHDRAW, &n));
	ASSERT_EQ(0, run_cmd("vmmgmtctl names 2>&1", out, sizeof(out)));
	snprintf(want, sizeof(want), "\n%s ", n.name);
	EXPECT_EQ(NULL, strstr(out, want)) TH_LOG("withdrawn, still listed:\n%s", out);
}

TEST_HARNESS_MAIN
