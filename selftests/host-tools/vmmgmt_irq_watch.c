// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_irq_watch: the lost-interrupt watcher of one guest (L2) in the
 * host VM (Documentation/testbed.rst, "Lost interrupts").
 *
 * Nested KVM on TCG sometimes leaves a vector waiting in a guest vCPU's
 * local APIC IRR, nothing in service, and the vCPU never takes it: a
 * guest that waits for its timer then sleeps for good, or one whose
 * device interrupts wait for the next other event.  Every 500 ms
 * (VMMGMT_IRQ_WATCH_MS) this program asks the guest's QEMU, over a QMP
 * socket of its own (-qmp unix:SOCK,server=on,wait=off), for the vCPU's
 * registers and local APIC.  When a vector deliverable above the
 * processor priority waits with an empty ISR while the vCPU has
 * interrupts on (halted or running), the same in two looks in a row, at
 * the same instruction, it presses a key on the guest's keyboard (an
 * i8042 interrupt makes KVM evaluate the APIC again) and prints one line:
 *
 *   VMMGMT-GUEST-KICK NAME vector(s) V... (vCPU halted|running, RIP R CPL=N,
 *	at BYTES INSTRUCTION, after THE 4 BYTES BEFORE): key pressed
 *
 * scripts/vm/check-run counts them by vector in a NOTE (see there and
 * Documentation/testbed.rst, "Lost interrupts", for why a guest's are
 * not failures).  A guest that QEMU keeps stopped (QMP "stop") is not
 * looked at.
 *
 * Usage: vmmgmt_irq_watch NAME QMP_SOCKET
 * Runs until QEMU closes the socket (it exited); exit 1 when QEMU never
 * listened within 60 s.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_MAX	16384
#define KICK_FMT	"VMMGMT-GUEST-KICK %s vector(s) %s (vCPU %s, RIP %s, at%s, after%s): key pressed\n"
#define LISTEN_SECS	60
/* Between two looks (VMMGMT_IRQ_WATCH_MS overrides). */
#define WATCH_MS	500

static char answer[ANSWER_MAX];
static size_t answer_len;	/* bytes in @answer, from one read to the next */

/*
 * The next line from QEMU into @line (NUL-terminated, without its
 * newline).  Return: true, or false when QEMU closed the socket or did
 * not answer within the socket's timeout.
 */
static bool read_line(int fd, char *line, size_t size)
{
	char *nl;
	ssize_t n;
	size_t len;

	for (;;) {
		nl = memchr(answer, '\n', answer_len);
		if (nl) {
			len = nl - answer;
			if (len >= size)
				len = size - 1;
			memcpy(line, answer, len);
			line[len] = '\0';
			answer_len -= nl + 1 - answer;
			memmove(answer, nl + 1, answer_len);
			return true;
		}
		if (answer_len == sizeof(answer))
			answer_len = 0;	/* a line longer than any answer */
		n = read(fd, answer + answer_len, sizeof(answer) - answer_len);
		if (n <= 0)
			return false;
		answer_len += n;
	}
}

/*
 * Send @cmd (one JSON object) and read lines until its answer (events
 * are skipped), into @line.  Return: true for a "return" answer.
 */
static bool qmp(int fd, const char *cmd, char *line, size_t size)
{
	size_t len = strlen(cmd);

	if (write(fd, cmd, len) != (ssize_t)len)
		return false;
	for (;;) {
		if (!read_line(fd, line, size))
			return false;
		if (strstr(line, "\"return\""))
			return true;
		if (strstr(line, "\"error\""))
			return false;
	}
}

/* The text of a human monitor command's answer, unescaped, into @out. */
static bool hmp(int fd, const char *cmd, char *out, size_t size)
{
	static char line[ANSWER_MAX];
	char req[256];
	const char *s;
	size_t n = 0;

	snprintf(req, sizeof(req),
		 "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"%s\"}}\n",
		 cmd);
	if (!qmp(fd, req, line, sizeof(line)))
		return false;
	s = strstr(line, "\"return\"");
	s = s ? strchr(s + 8, '"') : NULL;
	if (!s)
		return false;
	for (s++; *s && *s != '"' && n + 1 < size; s++) {
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			break;
		case '\0':
			s--;
			break;
		default:
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return true;
}

/* The rest of the line of @text that starts with @key, into @out. */
static bool line_of(const char *text, const char *key, char *out, size_t size)
{
	const char *s = text;
	size_t len = strlen(key), n;

	while (s && *s) {
		if (!strncmp(s, key, len)) {
			s += len;
			n = strcspn(s, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, s, n);
			out[n] = '\0';
			return true;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return false;
}

/*
 * Look once: the vectors that wait with nothing in service, into @vecs
 * (empty when none), whether the vCPU is halted, and its instruction
 * pointer and privilege level into @ip.  Return: false
 * when QEMU did not answer.
 */
static bool look(int fd, char *vecs, size_t size, bool *halted, char *ip,
		 size_t ip_size)
{
	static char regs[ANSWER_MAX], lapic[ANSWER_MAX];
	char isr[512], irr[512];
	const char *s, *rfl;
	unsigned long v, flags = 0;
	unsigned int ppr = 0;
	char *end;
	size_t n = 0;

	vecs[0] = '\0';
	if (!hmp(fd, "info registers", regs, sizeof(regs)) ||
	    !hmp(fd, "info lapic", lapic, sizeof(lapic)))
		return false;
	*halted = strstr(regs, "HLT=1");
	rfl = strstr(regs, "RFL=");
	if (!rfl)
		rfl = strstr(regs, "EFL=");
	if (rfl)
		flags = strtoul(rfl + 4, NULL, 16);
	/* Interrupts off: none can be taken, none is lost. */
	if (!(flags & 0x200))
		return true;
	s = strstr(regs, "RIP=");
	if (!s)
		s = strstr(regs, "EIP=");
	ip[0] = '\0';
	if (s)
		snprintf(ip, ip_size, "%.*s", (int)strcspn(s + 4, "\t\n "), s + 4);
	s = strstr(regs, "CPL=");
	if (s && ip[0])
		snprintf(ip + strlen(ip), ip_size - strlen(ip), " CPL=%c", s[4]);
	if (!line_of(lapic, "ISR", isr, sizeof(isr)) || !strstr(isr, "(none)"))
		return true;
	s = strstr(lapic, "PPR 0x");
	if (s)
		ppr = strtoul(s + 4, NULL, 16);
	if (!line_of(lapic, "IRR", irr, sizeof(irr)))
		return true;
	for (s = irr; *s; ) {
		if (*s < '0' || *s > '9') {
			s++;
			continue;
		}
		v = strtoul(s, &end, 10);
		s = end;
		if (v < 256 && (v >> 4) > (ppr >> 4) && n + 5 < size)
			n += snprintf(vecs + n, size - n, "%s%lu", n ? " " : "", v);
	}
	return true;
}

/* Connect to @path, retried until QEMU listens (LISTEN_SECS). */
static int connect_qmp(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	char line[1024];
	int fd, i;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	for (i = 0; i < LISTEN_SECS * 10; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The greeting, then leave capabilities negotiation mode. */
	if (!read_line(fd, line, sizeof(line)) || !strstr(line, "\"QMP\"") ||
	    !qmp(fd, "{\"execute\": \"qmp_capabilities\"}\n", line, sizeof(line))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	char vecs[256], seen[256] = "", line[1024], ip[64], was_ip[64] = "";
	char insn[256], before[256];
	const char *env = getenv("VMMGMT_IRQ_WATCH_MS");
	unsigned int ms = env ? strtoul(env, NULL, 10) : 0;
	const char *s, *b;
	bool halted, was_halted = false;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: vmmgmt_irq_watch NAME QMP_SOCKET\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = connect_qmp(argv[2]);
	if (fd < 0) {
		printf("VMMGMT-GUEST-WATCH %s: no QMP monitor at %s\n", argv[1], argv[2]);
		return 1;
	}
	for (;;) {
		usleep((ms ? ms : WATCH_MS) * 1000);
		if (!qmp(fd, "{\"execute\": \"query-status\"}\n", line, sizeof(line)))
			break;
		if (!strstr(line, "\"running\": true")) {
			seen[0] = '\0';
			continue;
		}
		if (!look(fd, vecs, sizeof(vecs), &halted, ip, sizeof(ip)))
			break;
		if (vecs[0] && halted == was_halted && !strcmp(vecs, seen) &&
		    !strcmp(ip, was_ip)) {
			/* The instruction it sits at: "ADDR: BYTES INSN". */
			if (!hmp(fd, "x/1i $pc", insn, sizeof(insn)))
				insn[0] = '\0';
			insn[strcspn(insn, "\n")] = '\0';
			s = strchr(insn, ':');
			/* And the bytes before it (an sti: fb). */
			if (!hmp(fd, "x/4xb $pc-4", before, sizeof(before)))
				before[0] = '\0';
			before[strcspn(before, "\n")] = '\0';
			b = strchr(before, ':');
			if (!hmp(fd, "sendkey shift", line, sizeof(line)))
				break;
			printf(KICK_FMT, argv[1], vecs, halted ? "halted" : "running", ip,
			       s ? s + 1 : " ?", b ? b + 1 : " ?");
			vecs[0] = '\0';
		}
		snprintf(seen, sizeof(seen), "%s", vecs);
		was_halted = halted;
		snprintf(was_ip, sizeof(was_ip), "%s", ip);
	}
	close(fd);
	return 0;
}
