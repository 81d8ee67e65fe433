// SPDX-License-Identifier: GPL-2.0
/*
 * bench_stats_test: unit test of vmmgmt-bench's arithmetic of rounds and
 * counters (tools/bench/stats.c, built in), on the build machine: the
 * median and spread of rounds, the ratio of medians and its per-round
 * spread (which must contain it, on random rounds too), the FIGURE line
 * format scripts/bench parses, the CPU ticks of sample /proc/stat texts
 * (6.x with guest fields, an old one without, one with guest time) and
 * the interrupts of a device in sample /proc/interrupts texts (MSI-X
 * vectors, a shared INTx line, a device whose name another extends).
 *
 * Prints TAP; exit 0 only when every case passed.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"

static unsigned int tests, failures;

static void check(bool ok, const char *what)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %u %s\n", ok ? "" : "not ", tests, what);
}

static bool near(double a, double b)
{
	return fabs(a - b) < (fabs(a) + fabs(b) + 1) / 1e9;
}

static void test_spread(void)
{
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };
	struct spread s;

	spread_of(odd, 3, &s);
	check(s.med == 3 && s.min == 1 && s.max == 5, "spread of 3 rounds: median 3, 1..5");
	spread_of(even, 4, &s);
	check(s.med == 3 && s.min == 1 && s.max == 4,
	      "spread of 4 rounds: the upper middle value, 1..4");
	spread_of(one, 1, &s);
	check(s.med == 7 && s.min == 7 && s.max == 7, "spread of 1 round");
}

static void test_ratio(void)
{
	const double a[] = { 10, 20, 30 }, b[] = { 5, 40, 10 };
	double x[BENCH_ROUNDS_MAX], y[BENCH_ROUNDS_MAX];
	struct spread s;
	unsigned int i, k, n;
	bool inside = true;

	ratio_of(a, b, 3, &s);
	/* medians 20 and 10; per-round ratios 2, 0.5, 3 */
	check(near(s.med, 2) && near(s.min, 0.5) && near(s.max, 3),
	      "ratio of medians 2 with per-round ratios 0.5..3");
	srand(1);
	for (k = 0; k < 20000; k++) {
		n = 1 + rand() % BENCH_ROUNDS_MAX;
		for (i = 0; i < n; i++) {
			x[i] = 1 + rand() % 1000;
			y[i] = 1 + rand() % 1000;
		}
		ratio_of(x, y, n, &s);
		if (s.med < s.min || s.med > s.max)
			inside = false;
	}
	check(inside, "ratio of medians inside its per-round min..max (20000 random sets)");
}

static void test_lines(void)
{
	const double v[] = { 12.25, 1.5, 100 }, w[] = { 2, 3, 50 };
	char buf[512] = "";
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	if (!f || saved < 0) {
		check(false, "FIGURE lines: tmpfile");
		return;
	}
	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	figure_spread("chat_rate_64B", "_hostuser", v, 3, "msg/s");
	figure_ratio("chat_rate_64B_hostuser_vs_vsock", "", v, w, 3);
	figure("echo_rate_64B", "", 5, "msg/s");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	check(!strcmp(buf,
		      "FIGURE chat_rate_64B_hostuser 12.2 msg/s min=1.500 max=100.0\n"
		      "FIGURE chat_rate_64B_hostuser_vs_vsock 4.083 x min=0.500 max=6.125\n"
		      "FIGURE echo_rate_64B 5.000 msg/s\n"),
	      "FIGURE lines: median unit min= max=");
	if (strncmp(buf, "FIGURE chat_rate_64B_hostuser 12.2", 34))
		printf("# got:\n%s", buf);
}

static void test_cpu(void)
{
	/* 6.x: user nice system idle iowait irq softirq steal guest guest_nice */
	const char *v6 =
		"cpu  1000 20 300 5000 40 5 6 7 0 0\n"
		"cpu0 1000 20 300 5000 40 5 6 7 0 0\n"
		"intr 12345 0 0\n";
	/* A KVM host: 600 of user's 1000 and 10 of nice's 20 ran guests. */
	const char *host =
		"cpu  1000 20 300 5000 40 5 6 7 600 10\n";
	const char *old = "cpu  100 0 50 900 0 1 2\n";
	const char *none = "intr 1 2 3\nctxt 4\n";
	struct cpu_ticks t;

	check(!cpu_ticks_parse(v6, &t) && t.busy == 1331 && t.guest == 0,
	      "/proc/stat: busy = user+nice+system+irq+softirq");
	check(!cpu_ticks_parse(host, &t) && t.busy == 721 && t.guest == 610,
	      "/proc/stat: a host's guest time is not its own busy time");
	check(!cpu_ticks_parse(old, &t) && t.busy == 153 && t.guest == 0,
	      "/proc/stat: fields a kernel lacks count as 0");
	check(cpu_ticks_parse(none, &t) == -EINVAL, "/proc/stat without a cpu line: EINVAL");
	check(cpu_ticks_parse("cpu0 1 2 3 4\n", &t) == -EINVAL,
	      "/proc/stat: a cpu0 line is not the aggregate");
}

static void test_irq(void)
{
	const char *msix =
		"           CPU0       CPU1\n"
		"  0:         40          0   IO-APIC   2-edge      timer\n"
		" 24:          0          0   PCI-MSI 65536-edge      virtio1-config\n"
		" 25:       1200         34   PCI-MSI 65537-edge      virtio1-rx\n"
		" 26:         10          0   PCI-MSI 65538-edge      virtio1-tx\n"
		" 27:          5          1   PCI-MSI 65539-edge      virtio1-event\n"
		" 28:        999          0   PCI-MSI 98304-edge      virtio10-input.0\n"
		" 29:         77          0   PCI-MSI 81920-edge      vmmgmt\n"
		"NMI:          0          0   Non-maskable interrupts\n"
		"ERR:          0\n";
	const char *intx =
		"           CPU0\n"
		" 11:        300   IO-APIC  11-fasteoi   virtio0, vmmgmt\n"
		" 10:         20   IO-APIC  10-fasteoi   virtio2\n";

	check(irq_count_parse(msix, "virtio1") == 1250,
	      "/proc/interrupts: the MSI-X vectors of virtio1, both CPUs");
	check(irq_count_parse(msix, "virtio10") == 999,
	      "/proc/interrupts: virtio10 is not virtio1's");
	check(irq_count_parse(msix, "virtio3") == -1,
	      "/proc/interrupts: no such device: -1");
	check(irq_count_parse(intx, "virtio0") == 300,
	      "/proc/interrupts: a shared INTx line names the device");
	check(irq_count_parse(intx, "virtio2") == 20,
	      "/proc/interrupts: an INTx line of its own");
}

int main(void)
{
	printf("TAP version 13\n");
	test_spread();
	test_ratio();
	test_lines();
	test_cpu();
	test_irq();
	printf("1..%u\n", tests);
	return failures ? 1 : 0;
}
