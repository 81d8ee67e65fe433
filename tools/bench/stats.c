// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench: the arithmetic of rounds and the counters a figure is
 * made of: the median and spread of a figure's rounds and the FIGURE
 * lines that print them, the ratio of two figures, the CPU time in a
 * /proc/stat text and the interrupts of one device in a /proc/interrupts
 * text.  Pure functions of their arguments but for the printing and the
 * file readers at the end, so that tools/tests/bench_stats_test.c can
 * check them on sample texts.  Calls libc only.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median, minimum and maximum of @n values (1 to BENCH_ROUNDS_MAX).
 * The median is the element of rank n / 2 (0-based) once sorted: the
 * middle one for odd n, the upper of the two middle ones for even n, an
 * actual round's value either way.  With that choice the ratio of two
 * medians lies between the smallest and the largest per-round ratio (of
 * n rounds, n - n / 2 have a value >= the numerator's median and
 * n / 2 + 1 one <= the denominator's: n + 1 in all, so some round is in
 * both and its ratio is >= the ratio of the medians; the same for <=), so
 * figure_ratio()'s value is always inside its own min= .. max=.
 */
void spread_of(const double *v, unsigned int n, struct spread *s)
{
	double sorted[BENCH_ROUNDS_MAX];
	unsigned int i;

	if (n > BENCH_ROUNDS_MAX)
		n = BENCH_ROUNDS_MAX;
	if (!n) {
		memset(s, 0, sizeof(*s));
		return;
	}
	for (i = 0; i < n; i++)
		sorted[i] = v[i];
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	s->med = sorted[n / 2];
	s->min = sorted[0];
	s->max = sorted[n - 1];
}

/*
 * The spread of the ratios of two figures measured in the same @n rounds:
 * med is the ratio of their medians, min and max the smallest and the
 * largest ratio of round i of @a to round i of @b.  A zero denominator
 * gives 0 (the caller has checked that every round measured something).
 */
void ratio_of(const double *a, const double *b, unsigned int n,
	      struct spread *s)
{
	double r[BENCH_ROUNDS_MAX];
	struct spread sa, sb;
	unsigned int i;

	if (n > BENCH_ROUNDS_MAX)
		n = BENCH_ROUNDS_MAX;
	for (i = 0; i < n; i++)
		r[i] = b[i] ? a[i] / b[i] : 0;
	spread_of(r, n, s);
	spread_of(a, n, &sa);
	spread_of(b, n, &sb);
	s->med = sb.med ? sa.med / sb.med : 0;
}

/* Three significant places for small values, one decimal above 10. */
static int places(double v)
{
	return v < 10 ? 3 : 1;
}

void figure(const char *name, const char *suffix, double value,
	    const char *unit)
{
	printf("FIGURE %s%s %.*f %s\n", name, suffix, places(value), value,
	       unit);
	fflush(stdout);
}

/* FIGURE <name><suffix> <med> <unit> min=<min> max=<max> */
static void figure_line(const char *name, const char *suffix,
			const struct spread *s, const char *unit)
{
	printf("FIGURE %s%s %.*f %s min=%.*f max=%.*f\n", name, suffix,
	       places(s->med), s->med, unit, places(s->min), s->min,
	       places(s->max), s->max);
	fflush(stdout);
}

void figure_spread(const char *name, const char *suffix, const double *v,
		   unsigned int n, const char *unit)
{
	struct spread s;

	spread_of(v, n, &s);
	figure_line(name, suffix, &s, unit);
}

void figure_ratio(const char *name, const char *suffix, const double *a,
		  const double *b, unsigned int n)
{
	struct spread s;

	ratio_of(a, b, n, &s);
	figure_line(name, suffix, &s, "x");
}

/*
 * The CPU time in a /proc/stat text (its aggregate "cpu " line): busy is
 * user + nice + system + irq + softirq minus guest and guest_nice, the
 * time this kernel spent on its own work; guest (and guest_nice) is the
 * time it ran its KVM guests' vCPUs, which the kernel also adds to user
 * (and nice), and which the guest's own /proc/stat counts from the
 * inside; idle + iowait + steal is not busy.  In clock ticks (USER_HZ).
 * Fields a kernel does not have (guest before 2.6.24, ...) count as 0.
 * Returns 0, or -EINVAL when the text has no "cpu " line of at least the
 * four first fields.
 */
int cpu_ticks_parse(const char *text, struct cpu_ticks *t)
{
	unsigned long long f[10] = { 0 };
	const char *p = text;
	int n;

	while (p && strncmp(p, "cpu ", 4)) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	n = sscanf(p + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
		   &f[8], &f[9]);
	if (n < 4)
		return -EINVAL;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	t->guest = f[8] + f[9];
	t->busy = f[0] + f[1] + f[2] + f[5] + f[6];
	t->busy = t->busy > t->guest ? t->busy - t->guest : 0;
	return 0;
}

/* Whether @tok (of @len bytes) names device @dev: "dev" or "dev-...". */
static bool irq_name_is(const char *tok, size_t len, const char *dev)
{
	size_t n = strlen(dev);

	if (len && tok[len - 1] == ',')
		len--;
	return len >= n && !strncmp(tok, dev, n) && (len == n || tok[n] == '-');
}

/*
 * The interrupts of device @dev in a /proc/interrupts text: the counts,
 * summed over every CPU column, of each line whose names (the fields
 * after the counts) include @dev or @dev followed by '-': for "virtio1",
 * the MSI-X vectors "virtio1-config", "virtio1-rx", ... (or the shared
 * "virtio1-virtqueues"), or an INTx line "virtio1" (there possibly shared
 * with other devices, "virtio1, vmmgmt": then theirs count too).  Lines
 * without a number before their ':' (the CPU header, NMI:, ERR:, ...)
 * are not devices.  Returns the sum, or -1 when no line names @dev.
 */
long long irq_count_parse(const char *text, const char *dev)
{
	const char *line, *end, *p, *tok, *counts;
	long long sum = 0, line_sum;
	bool found = false, match;
	unsigned long long v;
	size_t len;
	char *q;

	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		p = line;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			continue;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != ':')
			continue;
		counts = p + 1;
		/* The counts: numbers up to the first field that is not one. */
		line_sum = 0;
		for (p = counts;;) {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p >= end || !isdigit((unsigned char)*p))
				break;
			v = strtoull(p, &q, 10);
			if (q < end && *q != ' ' && *q != '\t')
				break;
			line_sum += v;
			p = q;
		}
		/* The rest: chip, hardware IRQ, trigger, then the names. */
		match = false;
		while (p < end && !match) {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			tok = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			len = p - tok;
			match = len && irq_name_is(tok, len, dev);
		}
		if (match) {
			sum += line_sum;
			found = true;
		}
	}
	return found ? sum : -1;
}

/* A whole small file (/proc/stat, /proc/interrupts) into a new string. */
char *read_text_file(const char *path)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* This system's CPU ticks now (cpu_ticks_parse() of /proc/stat). */
int cpu_ticks_now(struct cpu_ticks *t)
{
	char *text = read_text_file("/proc/stat");
	int ret;

	if (!text)
		return -errno;
	ret = cpu_ticks_parse(text, t);
	free(text);
	return ret;
}
