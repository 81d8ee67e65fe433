// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h): registration and
 * removal cycles under doorbell storms leave no thread, file, memory or
 * sysfs entry behind.
 */
#include "vmmgmt_host_vm.h"

struct hammer {
	int fd;
	bool stop;		/* __atomic accesses */
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
		kick(h->fd);
	return NULL;
}

FIXTURE(teardown) {
	int dummy;
};

FIXTURE_SETUP(teardown)
{
	if (need_skip())
		SKIP(return, VMMGMT_HOST_DEV " absent (vmmgmt_host.ko not loaded)");
}

FIXTURE_TEARDOWN(teardown)
{
}

/*
 * Many add/del cycles with traffic in flight, removal by DEL_VM and by
 * closing the file, a thread kicking all the while: afterwards no thread,
 * fd, vmalloc or slab memory is left over.
 */
TEST_F(teardown, cycles_leave_nothing)
{
	static __u8 buf[4096];
	long vmalloc0 = 0, slab0 = 0, vmalloc1, slab1;
	int threads0 = 0, fds0 = 0, cycle, i, dev;
	struct fake_vm a, b;
	struct hammer hm;
	pthread_t t;

	/* One cycle first, so that lazily created caches exist. */
	for (cycle = -1; cycle < 40; cycle++) {
		if (cycle == 0) {
			vmmgmt_sleep_ms(200);
			/* Only ours: the test bed's guests come and go. */
			threads0 = count_threads("vmmgmt-t-");
			fds0 = count_fds();
			vmalloc0 = read_meminfo("VmallocUsed");
			slab0 = read_meminfo("Slab");
		}
		dev = open_dev();
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, fake_vm_init(&a, ID_A, "t-alpha", REGION));
		ASSERT_EQ(0, fake_vm_init(&b, ID_B, "t-beta", 64 << 10));
		ASSERT_EQ(0, fake_vm_add(dev, &a));
		ASSERT_EQ(0, fake_vm_add(dev, &b));
		ASSERT_EQ(0, echo_run(_metadata, &a, 20, cycle * 100 + 1000));
		/* Requests in flight at removal. */
		memset(buf, cycle & 0xff, sizeof(buf));
		for (i = 0; i < 30; i++) {
			fake_send(&a, i, VMMGMT_PORT_ECHO, buf, sizeof(buf), 0);
			fake_send(&b, i, VMMGMT_PORT_ECHO, buf, 100, 0);
		}
		hm.fd = a.kick[0];
		hm.stop = false;
		ASSERT_EQ(0, pthread_create(&t, NULL, hammer_fn, &hm));
		if (cycle % 2) {
			EXPECT_EQ(0, del_vm(dev, ID_A));
			EXPECT_EQ(0, del_vm(dev, ID_B));
		}
		close(dev);	/* removes what is left */
		__atomic_store_n(&hm.stop, true, __ATOMIC_RELAXED);
		pthread_join(t, NULL);
		EXPECT_EQ((__u32)VMMGMT_LINK_DOWN, a.hdr->link_state);
		fake_vm_fini(&a);
		fake_vm_fini(&b);
	}
	vmmgmt_sleep_ms(500);
	vmalloc1 = read_meminfo("VmallocUsed");
	slab1 = read_meminfo("Slab");
	EXPECT_EQ(0, threads0);
	EXPECT_EQ(0, count_threads("vmmgmt-t-"));
	EXPECT_EQ(fds0, count_fds());
	/* 40 leaked regions would be 40 MiB of vmalloc space. */
	EXPECT_GT(vmalloc0 + 512, vmalloc1)
		TH_LOG("VmallocUsed %ld -> %ld KiB", vmalloc0, vmalloc1);
	EXPECT_GT(slab0 + 2048, slab1) TH_LOG("Slab %ld -> %ld KiB", slab0, slab1);
	EXPECT_NE(0, access(VMMGMT_HOST_VMS_SYSFS "/t-alpha", F_OK));
}

TEST_HARNESS_MAIN
