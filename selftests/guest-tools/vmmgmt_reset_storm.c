// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_reset_storm: a guest that floods the host with channel reset
 * requests, as the hostile test's reset_storm does, in bursts, until it is
 * killed.  Used by the guest's vmmgmt.mode=storm (scripts/vm/guest-init)
 * for the host's vmmgmt_neighbour_storm_test: the neighbour whose channel
 * must keep working beside it.
 *
 * It maps the device's BAR2 (the region) and BAR0 (the registers) through
 * sysfs, as the hostile test does, and in each burst bumps reset_request
 * in the region header and rings the host's doorbell as fast as it can,
 * without waiting for any acknowledgment, for B ms or N requests,
 * whichever comes first.  Between bursts it sleeps.  (A doorbell loop
 * of 1 s every 2 s crashed a 6.12 guest under the test bed's nested
 * emulation in one run of three: "stack guard page was hit" in the
 * kernel's entry code; the default N keeps the exits fewer.)
 *
 *   vmmgmt_reset_storm [--burst-ms B] [--pause-ms P] [--requests N]
 *
 * One line per burst: "storm: burst N: R requests, host generation G".
 * Exit status 1 when the device cannot be mapped.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "../vmmgmt_bar.h"

#define GUEST_DEVICE	VMMGMT_GUEST_SYSFS "/device"

/* One BAR of the device, mapped. */
struct bar {
	__u8 *p;
	size_t size;
};

static void usage(const char *argv0)
{
	fprintf(stderr, "Usage: %s [--burst-ms B] [--pause-ms P] [--requests N]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "burst-ms", required_argument, NULL, 'b' },
		{ "pause-ms", required_argument, NULL, 'p' },
		{ "requests", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	long burst_ms = 1000, pause_ms = 1000, max_requests = 1000;
	unsigned long burst = 0, requests;
	struct bar regs, region;
	unsigned int *req, *gen;
	long long end;
	int c, err;

	while ((c = getopt_long(argc, argv, "b:p:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			burst_ms = strtol(optarg, NULL, 10);
			break;
		case 'p':
			pause_ms = strtol(optarg, NULL, 10);
			break;
		case 'n':
			max_requests = strtol(optarg, NULL, 10);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (burst_ms <= 0 || pause_ms < 0 || max_requests <= 0)
		usage(argv[0]);

	err = map_sysfs_bar(GUEST_DEVICE, 2, &region.p, &region.size);
	if (!err)
		err = map_sysfs_bar(GUEST_DEVICE, 0, &regs.p, &regs.size);
	if (err) {
		printf("storm: FAIL mapping the device's BARs: %s\n",
		       strerror(-err));
		return 1;
	}
	if (region.size < sizeof(struct vmmgmt_region_header) ||
	    regs.size < VMMGMT_IVSHMEM_REG_DOORBELL + 4) {
		printf("storm: FAIL BARs too small (%zu, %zu bytes)\n",
		       region.size, regs.size);
		return 1;
	}
	req = (unsigned int *)(region.p +
		offsetof(struct vmmgmt_region_header, reset_request));
	gen = (unsigned int *)(region.p +
		offsetof(struct vmmgmt_region_header, generation));
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		requests = 0;
		end = vmmgmt_now_ms() + burst_ms;
		while (vmmgmt_now_ms() < end && requests < (unsigned long)max_requests) {
			__atomic_fetch_add(req, 1, __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			__atomic_store_n((unsigned int *)(regs.p +
					 VMMGMT_IVSHMEM_REG_DOORBELL),
					 (VMMGMT_HOST_PEER_ID << 16) | 0,
					 __ATOMIC_RELEASE);
			requests++;
		}
		printf("storm: burst %lu: %lu requests, host generation %u\n",
		       ++burst, requests,
		       __atomic_load_n(gen, __ATOMIC_ACQUIRE));
		if (pause_ms)
			vmmgmt_sleep_ms(pause_ms);
	}
}
