// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt_echo_traffic: continuous echo traffic from a guest until the link
 * goes away.  Used by the guest's vmmgmt.mode=traffic (scripts/vm/guest-init)
 * for the host's lifecycle test (selftests/host/vmmgmt_lifecycle_test.c):
 * the host kills QEMU or vmmgmtd while this runs.
 *
 * It keeps a window of messages in flight to the host's echo service and
 * checks every answer (length, content, order).  It ends at the first
 * error and says why, in one line starting with "traffic: ":
 *
 *   traffic: link down: write: ENOTCONN after N answers (link_state down)
 *	a write or read failed with ENOTCONN; exit 0.  With --pause, a
 *	link that goes down during a pause, while the tool sleeps in poll()
 *	with nothing in flight, must wake it: that line then ends with
 *	"woken while idle by N interrupts".  With --relink-wait
 *	it then waits that long for the link to come up again, says
 *	"traffic: link up again after S s" and starts over, or
 *	"traffic: link still down after S s".
 *   traffic: FAIL ...
 *	anything else: another errno, a wrong answer, or no answer for
 *	--answer-timeout seconds while the link stays up (a hang); exit 1.
 *
 * A progress line every 5 s: "traffic: N answers".
 *
 * --rate N: at most N messages a second (0, the default: as fast as the
 * window allows).
 *
 * --burst S --pause P: S seconds of traffic, then P seconds asleep in
 * poll() on the endpoint, like an agent waiting for messages; each pause
 * starts with a line "traffic: pause P s after N answers".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

#include "vmmgmt_peer.h"

#define WINDOW			8
#define MSG_LEN			256
#define PROGRESS_SECS		5

static const struct vmmgmt_addr echo_addr = {
	.host = 0, .vm = VMMGMT_HOST_PEER_ID, .port = VMMGMT_PORT_ECHO,
};

/* The guest module's interrupt count, 0 if unreadable. */
static unsigned long long interrupts(void)
{
	__u64 n;

	return vmmgmt_read_attr_u64(VMMGMT_GUEST_SYSFS, "interrupts", &n) ? 0 : n;
}

/*
 * The guest's side of the channel when answers stop: the guest module's
 * debugfs view (rings, rx consumer, watchdog), its interrupt line and the
 * threads that wait, for a stall's diagnosis.
 */
static void print_guest_view(void)
{
	static const char * const cmds[] = {
		"cat /sys/kernel/debug/vmmgmt/*/channel",
		"grep -h vmmgmt /proc/interrupts",
		"grep -H . /proc/[0-9]*/task/*/wchan | grep -v ':worker_thread$' | grep -v ':0$'",
		/*
		 * Kernel workers not idle, running ones too (wchan 0), with
		 * their state and stack: a work item that never runs waits
		 * behind one of them.
		 */
		"for t in /proc/[0-9]*/task/*; do read -r c <$t/comm; case $c in kworker*) ;; *) continue ;; esac; read -r w <$t/wchan; case $w in worker_thread|rescuer_thread) continue ;; esac; echo \"$t $c state $(cut -d' ' -f3 $t/stat) wchan $w\"; sed 's/^/  /' $t/stack; done 2>/dev/null",
	};
	char line[512];
	unsigned int i;
	FILE *p;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		p = popen(cmds[i], "r");
		if (!p)
			continue;
		while (fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = '\0';
			printf("traffic: guest: %s\n", line);
		}
		pclose(p);
	}
}

static const char *errno_name(int err)
{
	switch (err) {
	case ENOTCONN: return "ENOTCONN";
	case EPIPE: return "EPIPE";
	case ENODEV: return "ENODEV";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	default: return "errno";
	}
}

/* Byte i of message seq. */
static unsigned char pattern(unsigned long seq, size_t i)
{
	return (unsigned char)(seq * 31 + i * 7 + (seq >> 8));
}

/*
 * One session: open, connect, echo until an error.  Return 0 when the
 * link went down (ENOTCONN), 1 on anything else.
 */
static int session(double answer_timeout, double burst, double pause,
		   double rate)
{
	unsigned char out[MSG_LEN], in[MSG_LEN + 1];
	unsigned long sent = 0, got = 0;
	struct vmmgmt_bind b = { 0 };
	double last = vmmgmt_now_s(), burst_end = vmmgmt_now_s() + burst, t0 = vmmgmt_now_s(), wait;
	const char *op, *idle = "";
	char idle_buf[64];
	unsigned long long irqs;
	struct pollfd pfd;
	size_t i, len;
	ssize_t n;
	int fd, r;

	fd = open(VMMGMT_GUEST_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("traffic: FAIL open %s: %s\n", VMMGMT_GUEST_DEV, strerror(errno));
		return 1;
	}
	if (ioctl(fd, VMMGMT_IOC_BIND, &b) ||
	    ioctl(fd, VMMGMT_IOC_CONNECT, &echo_addr)) {
		printf("traffic: FAIL bind/connect: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	printf("traffic: running on port %u\n", b.port);
	fflush(stdout);
	for (;;) {
		if (vmmgmt_now_s() - last >= PROGRESS_SECS) {
			printf("traffic: %lu answers\n", got);
			fflush(stdout);
			last = vmmgmt_now_s();
		}
		if (pause > 0 && sent == got && vmmgmt_now_s() >= burst_end) {
			/* Idle: only the host can wake us. */
			printf("traffic: pause %.0f s after %lu answers\n", pause, got);
			fflush(stdout);
			irqs = interrupts();
			pfd.fd = fd;
			pfd.events = POLLIN;
			r = poll(&pfd, 1, (int)(pause * 1000));
			if (r < 0) {
				op = "poll";
				goto err;
			}
			if (r > 0) {
				snprintf(idle_buf, sizeof(idle_buf),
					 ", woken while idle by %llu interrupts",
					 interrupts() - irqs);
				idle = idle_buf;
				op = "read";
				n = read(fd, in, sizeof(in));
				if (n < 0)
					goto err;
				printf("traffic: FAIL %zd bytes while idle\n", n);
				goto fail;
			}
			burst_end = vmmgmt_now_s() + burst;
			continue;
		}
		/* --rate: not before this message's time; answers meanwhile. */
		wait = rate > 0 ? t0 + sent / rate - vmmgmt_now_s() : 0;
		if (wait > 0 && sent == got) {
			usleep((useconds_t)(wait * 1e6));
			continue;
		}
		/* Stop sending at the end of a burst; collect the answers. */
		if (sent - got < WINDOW && wait <= 0 &&
		    (pause <= 0 || vmmgmt_now_s() < burst_end)) {
			len = 1 + sent % MSG_LEN;
			for (i = 0; i < len; i++)
				out[i] = pattern(sent, i);
			op = "write";
			n = write(fd, out, len);
			if (n < 0)
				goto err;
			if ((size_t)n != len) {
				printf("traffic: FAIL write %lu: %zd of %zu bytes\n",
				       sent, n, len);
				goto fail;
			}
			sent++;
			continue;
		}
		/* Never block for good: a link that dies must not hang us. */
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)(answer_timeout * 1000));
		if (r < 0) {
			op = "poll";
			goto err;
		}
		if (r == 0) {
			printf("traffic: FAIL no answer for %.0f s after %lu answers (link %s)\n",
			       answer_timeout, got, peer_link_state());
			print_guest_view();
			goto fail;
		}
		op = "read";
		n = read(fd, in, sizeof(in));
		if (n < 0)
			goto err;
		len = 1 + got % MSG_LEN;
		if ((size_t)n != len) {
			printf("traffic: FAIL answer %lu: %zd bytes, want %zu\n",
			       got, n, len);
			goto fail;
		}
		for (i = 0; i < len; i++)
			if (in[i] != pattern(got, i))
				break;
		if (i != len) {
			printf("traffic: FAIL answer %lu: byte %zu differs\n",
			       got, i);
			goto fail;
		}
		got++;
	}
err:
	r = errno;
	if (r == ENOTCONN) {
		printf("traffic: link down: %s: %s after %lu answers (link_state %s)%s\n",
		       op, errno_name(r), got, peer_link_state(), idle);
		close(fd);
		return 0;
	}
	printf("traffic: FAIL %s: %s (%s) after %lu answers (link_state %s)\n",
	       op, errno_name(r), strerror(r), got, peer_link_state());
fail:
	close(fd);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmt_echo_traffic [--relink-wait SECS] [--answer-timeout SECS]\n"
		"                           [--burst SECS --pause SECS] [--rate N]\n"
		"Echo traffic to the host until the link goes down (exit 0) or\n"
		"anything else goes wrong (exit 1).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relink-wait", required_argument, NULL, 'r' },
		{ "answer-timeout", required_argument, NULL, 't' },
		{ "burst", required_argument, NULL, 'b' },
		{ "pause", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double relink = 0, answer_timeout = 10, burst = 1, pause = 0, rate = 0;
	double t0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "r:t:b:p:R:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			relink = atof(optarg);
			break;
		case 't':
			answer_timeout = atof(optarg);
			break;
		case 'b':
			burst = atof(optarg);
			break;
		case 'p':
			pause = atof(optarg);
			break;
		case 'R':
			rate = atof(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!peer_wait_link(true, 30)) {
		printf("traffic: FAIL link not up after 30 s (link_state %s)\n",
		       peer_link_state());
		return 1;
	}
	for (;;) {
		ret = session(answer_timeout, burst, pause, rate);
		if (ret || relink <= 0)
			return ret;
		t0 = vmmgmt_now_s();
		if (!peer_wait_link(true, relink)) {
			printf("traffic: link still down after %.0f s (link_state %s)\n",
			       relink, peer_link_state());
			return 0;
		}
		printf("traffic: link up again after %.1f s\n", vmmgmt_now_s() - t0);
	}
}
