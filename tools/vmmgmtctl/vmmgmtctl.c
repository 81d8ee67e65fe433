// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: the command line tool for the vmmgmt management device.
 *
 * On the host it talks to /dev/vmmgmt-host (vmmgmt_host.ko), in a guest to
 * /dev/vmmgmt (vmmgmt_guest.ko).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmmgmtctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmtctl [OPTIONS] COMMAND [ARGUMENTS]\n"
		"\n"
		"Commands (on the host through %s, in a guest through %s):\n"
		"  version            ABI version of the module and of this tool\n"
		"  info               this guest's management device: VM id, peer id, host\n"
		"                     id, link state, region size, ABI, vectors (guest only)\n"
		"  send DEST [MSG]    send MSG (or all of stdin) as one message to DEST:\n"
		"                     VM:PORT, HOST:VM:PORT or a published name (looked\n"
		"                     up first); VM 0 is the host\n"
		"  recv PORT          bind PORT and print the next message (--count more)\n"
		"  listen [NAME] [PORT]\n"
		"                     bind PORT (or a free one), publish NAME (or --name)\n"
		"                     for it if given, and print messages as they come;\n"
		"                     a NAME of digits only needs --name\n"
		"  lookup NAME        the address a published name stands for\n"
		"  echo-server [PORT] bind PORT (or a free one), publish --name if given,\n"
		"                     and send every message back to its sender until\n"
		"                     killed (or --count messages)\n"
		"  names              the published names, in name order: NAME\n"
		"                     HOST:VM:PORT (a guest asks the host, ABI 0.5)\n"
		"  status             per VM: link state and message counters (host), or\n"
		"                     this guest's device\n"
		"  stats VM           the latest statistics sample of VM (host only);\n"
		"                     with --period MS, --off or --get: ask VM's guest\n"
		"                     module to sample every MS ms, to stop, or how it\n"
		"                     samples (its owner must leave the stats mode on)\n"
		"  top [SECONDS]      every VM's latest sample, refreshed in place every\n"
		"                     SECONDS (1); --count N: N times (host only)\n"
		"  needs VCPUS URGENCY  tell the host this guest could use VCPUS vCPUs\n"
		"                     now, with URGENCY 0..100; 0 0 clears (guest only)\n"
		"  modes [enable|disable MODE]\n"
		"                     this guest's modes (chat, stats, file, calc, cmd):\n"
		"                     on or off, and their counters; enable or disable\n"
		"                     one (guest only, root)\n"
		"  sched VM [POLICY [MIN MAX]]\n"
		"                     the scheduling policy of VM's vCPU threads; with\n"
		"                     POLICY (off, observe, demand) set it, with MIN MAX\n"
		"                     its nice bounds first (host only)\n"
		"  connect DEST       open a stream to the listener at DEST (as for send;\n"
		"                     the host connects to VMs only), copy stdin to it and\n"
		"                     it to stdout until both are at their end (stdin a\n"
		"                     terminal: until the stream's end); the stream is\n"
		"                     shut down at stdin's end.  Exit 0: clean end, 1:\n"
		"                     stream error (ABI 0.7)\n"
		"  accept PORT|NAME [-- CMD [ARGS]]\n"
		"                     listen for streams on PORT, or on a free port\n"
		"                     published as NAME; serve them one at a time like\n"
		"                     connect (stdin goes to the first), or with CMD as\n"
		"                     its stdin and stdout; stop after --count streams\n"
		"                     (default 1, with CMD none) (ABI 0.7)\n"
		"  file put [--resume] LOCAL [REMOTE]\n"
		"                     copy the regular file LOCAL into the host's export\n"
		"                     for this VM as REMOTE (default: LOCAL's name; a\n"
		"                     REMOTE ending in / is a directory), its permissions\n"
		"                     carried; it appears there only once its SHA-256\n"
		"                     matched (guest, file mode on, ABI 0.7); --resume:\n"
		"                     go on from what the host kept of an interrupted put\n"
		"  file get [--resume] REMOTE [LOCAL]\n"
		"                     copy REMOTE from the export to LOCAL (default:\n"
		"                     REMOTE's name here; a directory; - for stdout),\n"
		"                     renamed into place once its SHA-256 matched;\n"
		"                     --resume: go on from what an interrupted get kept\n"
		"  file ls [DIR]      the export's entries (or DIR's): mode, size,\n"
		"                     mtime (UTC), name\n"
		"  file rm REMOTE     remove a file (not a directory) of the export\n"
		"  file stat REMOTE   type, mode, size and mtime of REMOTE\n"
		"  file push [--resume] VM LOCAL [REMOTE]\n"
		"                     put LOCAL into the directory VM's owner chose for\n"
		"                     the host (modes/file/dir), as for file put; VM a\n"
		"                     name or an id (host; VM runs file serve, its file\n"
		"                     mode on)\n"
		"  file pull [--resume] VM REMOTE [LOCAL]\n"
		"                     get REMOTE out of that directory, as for file get\n"
		"                     (host)\n"
		"  file send [--resume] VM LOCAL [REMOTE]\n"
		"                     put LOCAL into the directory of VM's file recv; VM\n"
		"                     an id, or a name that file recv published (guest,\n"
		"                     file mode on, the host's policy letting the pair)\n"
		"  file serve         the agent for the host's push and pull: serve them\n"
		"                     below modes/file/dir while file mode is on, each\n"
		"                     request audited on stderr and syslog (guest, root,\n"
		"                     runs until killed; --count N: N streams)\n"
		"  file recv [--from VM,...] [DIR]\n"
		"                     take other VMs' file send into DIR (default: here),\n"
		"                     puts only, of new names in DIR itself, none\n"
		"                     hidden, from the VMs of --from (ids, or names\n"
		"                     they published) or any VM; --name NAME publishes\n"
		"                     NAME for it; audited like serve; until killed, or\n"
		"                     --count streams, or --timeout without one (guest)\n"
		"  call NAME [ARGS...]\n"
		"                     run the host service NAME with ARGS (after --\n"
		"                     when one starts with -): stdin goes to it, its\n"
		"                     stdout and stderr come back, its exit status is\n"
		"                     ours (124 time limit, 125 refused or failed, 126\n"
		"                     not startable, 127 no such service) (guest, calc\n"
		"                     mode on, ABI 0.7)\n"
		"  vm add NAME [--id N] [--size S[K|M]] [--vectors N]\n"
		"                     a new VM for vmmgmtd to serve on DIR/NAME.sock\n"
		"                     (host; vmmgmtd checks the values, picks an id)\n"
		"  vm del NAME        vmmgmtd unregisters VM NAME, closes its QEMU\n"
		"                     connection and removes its socket (host)\n"
		"  vm list            vmmgmtd's VMs: id, size, vectors, state (waiting,\n"
		"                     connected, adopted), QEMU pid, registered with the\n"
		"                     module, adoptions (host)\n"
		"  upgrade [--wait SECS] MODULE.ko\n"
		"                     vmmgmtd replaces vmmgmt_host by MODULE.ko with the\n"
		"                     VMs running: it checks the file first, quiesces,\n"
		"                     hands every VM over, waits up to SECS (30) for the\n"
		"                     old module to be unused (else it runs on), loads\n"
		"                     the new one and resumes; exit 0 only when done\n"
		"                     (host)\n"
		"\n"
		"Options:\n"
		"  -D, --device PATH  use PATH instead of %s or %s\n"
		"  -j, --json         JSON instead of text: one object per line, or one\n"
		"                     array (names, status, vm list); stats: one object;\n"
		"                     connect, accept: one summary object per stream on\n"
		"                     stdout (peer, bytes_in, bytes_out, seconds,\n"
		"                     result), and the stream's data goes to --output\n"
		"                     or is dropped (counted); file: one object per\n"
		"                     command (put, get: bytes, seconds, sha256; ls:\n"
		"                     entries; stat), or one with result and errno;\n"
		"                     call: one object with the exit status and the\n"
		"                     service's stdout and stderr (1 MiB of each);\n"
		"                     echo-server: its address and name, then one\n"
		"                     object per message echoed (guest) or per 100000\n"
		"                     (host); needs: what was set\n"
		"  -o, --output FILE  connect, accept: write the stream's data to FILE\n"
		"                     (truncated first) instead of stdout\n"
		"  -w, --wait         send: wait for one answer and print it;\n"
		"                     upgrade --wait SECS: see upgrade\n"
		"  -n, --count N      recv, listen, echo-server: stop after N messages\n"
		"                     (recv: 1; listen, echo-server: 0, never); top: N\n"
		"                     refreshes (0, never); accept, file serve, file\n"
		"                     recv: N streams\n"
		"  -N, --name NAME    listen, echo-server, accept PORT, file recv: publish\n"
		"                     NAME for the port (withdrawn when vmmgmtctl exits)\n"
		"  -t, --timeout SEC  send --wait, recv, listen: give up (exit 1) after SEC\n"
		"                     seconds without a message (default: wait forever);\n"
		"                     accept, file recv: without a stream; connect,\n"
		"                     file: wait SEC for the listener to accept\n"
		"                     (default 5); call: the whole call (exit 124)\n"
		"  -p, --period MS    stats VM: sample every MS ms (100..60000)\n"
		"      --off          stats VM: stop sampling\n"
		"      --get          stats VM: how the guest samples now\n"
		"      --dir DIR      vm, upgrade: vmmgmtd's socket directory, with its\n"
		"                     control socket DIR/vmmgmtd.ctl (default\n"
		"                     $VMMGMT_DIR, else /run/vmmgmt)\n"
		"      --resume       file put, get, push, pull, send: send or fetch only\n"
		"                     the bytes an interrupted transfer of the same file\n"
		"                     did not keep, once the SHA-256 of those kept matched\n"
		"      --from VM,...  file recv: take files from these VMs alone\n"
		"      --id N, --size S[K|M], --vectors N\n"
		"                     vm add: the VM's id (default: the lowest free),\n"
		"                     region size and interrupt vectors (default:\n"
		"                     vmmgmtd's -s and -n)\n"
		"  -h, --help         show this help\n"
		"A progress line goes to stderr while a stream runs, and while file put\n"
		"and get run (bytes, rate, ETA), when stderr is a terminal.  Arguments after -- are accept's CMD, or send's MESSAGE.\n",
		HOST_DEVICE, GUEST_DEVICE, HOST_DEVICE, GUEST_DEVICE);
}

noreturn void usage_error(const char *msg, const char *arg)
{
	vmmgmtctl_err("%s%s%s%s (see vmmgmtctl --help)", msg,
		      arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	exit(EXIT_USAGE);
}

/* A hint for the errno of open() or ioctl() on @path. */
static const char *hint(int err, bool guest)
{
	switch (err) {
	case ENOENT:
	case ENXIO:
		return guest ? "is vmmgmt_guest.ko loaded and bound to the ivshmem device?"
			     : "is vmmgmt_host.ko loaded?";
	case EACCES:
	case EPERM:
		return "run as root";
	case ENOTTY:
	case EINVAL:
		return "not a vmmgmt device, or a module of another ABI version";
	case ENODEV:
		return "the device was removed; reload the module or check the VM's ivshmem device";
	default:
		return NULL;
	}
}

noreturn void fail(const char *path, const char *what, int err, bool guest)
{
	const char *h = hint(err, guest);

	vmmgmtctl_err("%s%s%s: %s%s%s", path, what ? ": " : "",
		      what ? what : "", strerror(err), h ? ": " : "", h ? h : "");
	exit(1);
}

bool is_host_path(const char *path)
{
	size_t n = strlen(path), k = strlen("vmmgmt-host");

	return n >= k && !strcmp(path + n - k, "vmmgmt-host");
}

int open_device(const char *path, bool guest)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path, NULL, errno, guest);
	return fd;
}

/* JSON string with the escapes that a device path could need. */
void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *link_state_name(__u32 state)
{
	switch (state) {
	case VMMGMT_LINK_DOWN:
		return "down";
	case VMMGMT_LINK_UP:
		return "up";
	case VMMGMT_LINK_BROKEN:
		return "broken";
	default:
		return NULL;
	}
}

static int get_version(int fd, bool host, struct vmmgmt_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	return ioctl(fd, host ? VMMGMT_HOST_IOC_GET_VERSION : VMMGMT_IOC_GET_VERSION, ver);
}

static int cmd_version(const struct ctl *ctl)
{
	struct vmmgmt_version ver;
	bool host, compatible;
	const char *path = pick_device(ctl, &host);
	int fd;

	fd = open_device(path, !host);
	if (get_version(fd, host, &ver) < 0) {
		/* --device may name the other kind: try its query too. */
		if (errno != ENOTTY)
			fail(path, "GET_VERSION", errno, !host);
		host = !host;
		if (get_version(fd, host, &ver) < 0)
			fail(path, "GET_VERSION", errno, !host);
	}
	close(fd);
	compatible = ver.abi_major == VMMGMT_ABI_MAJOR;

	if (ctl->json) {
		printf("{\"device\":");
		json_string(path);
		printf(",\"side\":\"%s\"", host ? "host" : "guest");
		printf(",\"module_abi_major\":%u", ver.abi_major);
		printf(",\"module_abi_minor\":%u", ver.abi_minor);
		printf(",\"features\":%llu", (unsigned long long)ver.features);
		printf(",\"tool_abi_major\":%u", VMMGMT_ABI_MAJOR);
		printf(",\"tool_abi_minor\":%u", VMMGMT_ABI_MINOR);
		printf(",\"compatible\":%s}\n", compatible ? "true" : "false");
	} else {
		printf("device:      %s\n", path);
		printf("side:        %s\n", host ? "host" : "guest");
		printf("module_abi:  %u.%u\n", ver.abi_major, ver.abi_minor);
		printf("features:    %#llx\n", (unsigned long long)ver.features);
		printf("tool_abi:    %u.%u\n", VMMGMT_ABI_MAJOR, VMMGMT_ABI_MINOR);
		printf("compatible:  %s\n", compatible ? "yes" : "no");
	}
	if (!compatible)
		vmmgmtctl_err("%s: module ABI major %u, vmmgmtctl ABI major %u: use a matching vmmgmtctl",
			      path, ver.abi_major, VMMGMT_ABI_MAJOR);
	return 0;
}

static int cmd_info(const struct ctl *ctl)
{
	const char *path = ctl->device ? ctl->device : GUEST_DEVICE;
	struct vmmgmt_info info;
	const char *state;
	char state_buf[32];
	int fd;

	if (!ctl->device && access(GUEST_DEVICE, F_OK) < 0 && errno == ENOENT &&
	    access(HOST_DEVICE, F_OK) == 0) {
		vmmgmtctl_err("info: %s not found: info describes a guest's device; on the host use 'vmmgmtctl version'",
			      GUEST_DEVICE);
		return 1;
	}
	fd = open_device(path, true);
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, VMMGMT_IOC_GET_INFO, &info) < 0)
		fail(path, "GET_INFO", errno, true);
	close(fd);

	state = link_state_name(info.link_state);
	if (!state) {
		snprintf(state_buf, sizeof(state_buf), "unknown(%u)", info.link_state);
		state = state_buf;
	}
	if (ctl->json) {
		printf("{\"device\":");
		json_string(path);
		printf(",\"vm_id\":%u", info.vm_id);
		printf(",\"peer_id\":%u", info.peer_id);
		printf(",\"host_id\":%u", info.host_id);
		printf(",\"link_state\":\"%s\"", state);
		printf(",\"region_size\":%llu", (unsigned long long)info.region_size);
		printf(",\"abi_major\":%u", info.abi_major);
		printf(",\"abi_minor\":%u", info.abi_minor);
		printf(",\"vectors\":%u}\n", info.vectors);
	} else {
		printf("device:       %s\n", path);
		printf("vm_id:        %u\n", info.vm_id);
		printf("peer_id:      %u\n", info.peer_id);
		printf("host_id:      %u\n", info.host_id);
		printf("link_state:   %s\n", state);
		printf("region_size:  %llu\n", (unsigned long long)info.region_size);
		printf("abi:          %u.%u\n", info.abi_major, info.abi_minor);
		printf("vectors:      %u\n", info.vectors);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct ctl *ctl, int argc, char **argv);
} commands[] = {
	{ "send", cmd_send },
	{ "recv", cmd_recv },
	{ "listen", cmd_listen },
	{ "lookup", cmd_lookup },
	{ "echo-server", cmd_echo_server },
	{ "names", cmd_names },
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "needs", cmd_needs },
	{ "top", cmd_top },
	{ "sched", cmd_sched },
	{ "modes", cmd_modes },
	{ "connect", cmd_connect },
	{ "accept", cmd_accept },
	{ "file", cmd_file },
	{ "call", cmd_call },
	{ "vm", cmd_vm },
	{ "upgrade", cmd_upgrade },
};

/*
 * Split argv at the first "--": getopt sees what comes before it; what
 * follows is accept's CMD (ctl->exec_argv), and for every other command
 * more arguments (send's MESSAGE that starts with "-").  Returns the
 * command's argv, NULL-terminated, in *@cargc entries.
 */
static char **command_args(struct ctl *ctl, char **argv, int dd, int argc,
			   int *cargc)
{
	int i, n = dd - optind, rest = dd < argc ? argc - dd - 1 : 0;
	char **v;

	if (dd < argc && !strcmp(argv[optind], "accept")) {
		ctl->exec_argv = argv + dd + 1;
		rest = 0;
	}
	v = calloc(n + rest + 1, sizeof(*v));
	if (!v) {
		vmmgmtctl_err("out of memory");
		exit(1);
	}
	for (i = 0; i < n; i++)
		v[i] = argv[optind + i];
	for (i = 0; i < rest; i++)
		v[n + i] = argv[dd + 1 + i];
	*cargc = n + rest;
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", no_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'N' },
		{ "period", required_argument, NULL, 'p' },
		{ "off", no_argument, NULL, 'O' },
		{ "get", no_argument, NULL, 'G' },
		{ "output", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'I' },
		{ "size", required_argument, NULL, 'S' },
		{ "vectors", required_argument, NULL, 'V' },
		{ "resume", no_argument, NULL, 'R' },
		{ "from", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl = { .timeout_ms = -1 };
	unsigned long v;
	const char *cmd;
	char *end, **cargv;
	int c, dd, cargc;
	size_t i;

	upgrade_take_wait(&ctl, &argc, argv);
	for (dd = 1; dd < argc && strcmp(argv[dd], "--"); dd++)
		;
	opterr = 0;
	while ((c = getopt_long(dd, argv, ":D:jwn:t:N:p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (!optarg[0])
				usage_error("empty device path", NULL);
			ctl.device = optarg;
			break;
		case 'N':
			ctl.name = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'w':
			ctl.wait = true;
			break;
		case 'n':
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    (c == 't' && (!v || v > 86400)))
				usage_error(c == 'n' ? "bad --count" :
					    "bad --timeout (1..86400 seconds)",
					    optarg);
			if (c == 'n')
				ctl.count = v;
			else
				ctl.timeout_ms = v * 1000;
			break;
		case 'p':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v < VMMGMT_STATS_PERIOD_MIN_MS ||
			    v > VMMGMT_STATS_PERIOD_MAX_MS)
				usage_error("bad --period (100..60000 ms)", optarg);
			ctl.period_ms = v;
			break;
		case 'O':
			ctl.stats_off = true;
			break;
		case 'G':
			ctl.stats_get = true;
			break;
		case 'o':
			if (!optarg[0])
				usage_error("empty output path", NULL);
			ctl.output = optarg;
			break;
		case 'd':
			if (!optarg[0])
				usage_error("empty socket directory", NULL);
			ctl.dir = optarg;
			break;
		case 'I':
			ctl.vm_id = optarg;
			break;
		case 'S':
			ctl.vm_size = optarg;
			break;
		case 'V':
			ctl.vm_vectors = optarg;
			break;
		case 'R':
			ctl.resume = true;
			break;
		case 'F':
			if (!optarg[0])
				usage_error("empty --from", NULL);
			ctl.from = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			usage_error("option needs an argument:", argv[optind - 1]);
		default:
			usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= dd)
		usage_error("no command given", NULL);
	cmd = argv[optind];
	cargv = command_args(&ctl, argv, dd, argc, &cargc);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(&ctl, cargc, cargv);
	if (cargc > 1)
		usage_error("unexpected argument", cargv[1]);
	if (!strcmp(cmd, "version"))
		return cmd_version(&ctl);
	if (!strcmp(cmd, "info"))
		return cmd_info(&ctl);
	usage_error("unknown command", cmd);
}
