// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): vmmgmtctl's
 * messaging commands (send, status, listen, names, recv) against them.
 */
#include "vmmgmt_host_vm.h"

/* vmmgmtctl's messaging commands against fake VMs. */

/* Run vmmgmtctl with @args; its stdout and stderr in @out; exit status. */
static int run_ctl(const char *args, char *out, size_t size)
{
	const char *bin = getenv("VMMGMTCTL");
	char cmd[512];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1",
		 bin ? bin : "/opt/vmmgmt/bin/vmmgmtctl", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, size - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(ctl) {
	int dev;
	struct fake_vm a;
	char out[8192];
};

FIXTURE_SETUP(ctl)
{
	if (!open_host_dev(_metadata, &self->dev))
		return;
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, fake_vm_add(self->dev, &self->a));
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->dev >= 0)
		close(self->dev);
	fake_vm_fini(&self->a);
}

TEST_F(ctl, send_and_status)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	struct vmmgmt_rec h;

	ASSERT_EQ(0, run_ctl("send 1001:5 hello", self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, fake_recv(&self->a, &h, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(5U, h.len);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(5U, h.dst.port);
	EXPECT_EQ(0U, h.src.vm);
	EXPECT_LE((__u32)VMMGMT_PORT_DYNAMIC, h.src.port);
	/* Errors: exit 1 with the reason, 2 for usage. */
	EXPECT_EQ(1, run_ctl("send 4242:5 x", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "No route to host"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(2, run_ctl("send 1001:x y", self->out, sizeof(self->out)));
	EXPECT_EQ(1, run_ctl("send t-nobody x", self->out, sizeof(self->out)));
	EXPECT_EQ(2, run_ctl("frobnicate", self->out, sizeof(self->out)));
	ASSERT_EQ(0, run_ctl("--json status", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out,
			       "{\"name\":\"t-alpha\",\"vm_id\":1001,\"link_state\":\"up\""))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, run_ctl("status", self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "t-alpha"));
}

/* listen publishes a name and prints what a guest sends to it. */
TEST_F(ctl, listen_names_recv)
{
	char line[1024];
	int i, ret = -1;
	FILE *p;
	static const char listen_cmd[] =
		"${VMMGMTCTL:-/opt/vmmgmt/bin/vmmgmtctl} -j -n 1 -t 20 listen t-ctl 300";

	p = popen(listen_cmd, "r");
	ASSERT_NE(NULL, p);
	/* Wait for the name to appear, then send from the fake guest. */
	for (i = 0; i < 100; i++) {
		ret = run_ctl("names", self->out, sizeof(self->out));
		if (!ret && strstr(self->out, "t-ctl"))
			break;
		vmmgmt_sleep_ms(50);
	}
	EXPECT_NE(NULL, strstr(self->out, "t-ctl                           0:0:300 (host)"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, fake_send(&self->a, 1, 300, "ping", 4, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), p));
	EXPECT_EQ(0, pclose(p));
	EXPECT_STREQ("{\"src\":{\"host\":0,\"vm\":1001,\"port\":5},\"len\":4,\"data\":\"ping\"}\n",
		     line);
	/* The name went with the listener. */
	ASSERT_EQ(0, run_ctl("--json names", self->out, sizeof(self->out)));
	EXPECT_EQ(NULL, strstr(self->out, "t-ctl"));
	/* recv gives up after its timeout. */
	EXPECT_EQ(1, run_ctl("--timeout 1 recv 301", self->out,
			     sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "no message within 1000 ms"));
}

TEST_HARNESS_MAIN
