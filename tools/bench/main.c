// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt-bench: the command line: options, the table of commands, usage.
 * Calls the commands' *_main() functions (guest.c, flood.c, server.c,
 * vm2vm.c, stream.c, h2g.c, service.c, file.c) and libc.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmt-bench COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  guest              in a guest: echo figures through " VMMGMT_GUEST_DEV "\n"
		"                     and, with --vsock-cid, through AF_VSOCK\n"
		"  smoke              guest with few messages and a plausibility check\n"
		"  vsock-echo-server  in the host VM: echo over AF_VSOCK (SOCK_SEQPACKET\n"
		"                     on --vsock-port, SOCK_STREAM with a 4-byte length\n"
		"                     prefix on the port after it)\n"
		"  flood              in a guest: 64 B messages to the echo service as\n"
		"                     fast as they go, until a message on --ctl-port\n"
		"  victim             in a guest: on each round name received on\n"
		"                     --ctl-port, the 64 B chat rate; \"done\" prints\n"
		"                     the chat_flood_ figures\n"
		"  host-echo-server   in the host VM: echo as a userspace endpoint of\n"
		"                     " VMMGMT_HOST_DEV " on --host-port (exits %d when the\n"
		"                     module has no VMMGMT_HOST_IOC_BIND)\n"
		"  vm2vm              in guest A: the 64 B chat stream to guest B\n"
		"                     (--peer-vm, --peer-port) through vmmgmt, then\n"
		"                     through the vsock relay at --vsock-cid\n"
		"                     --vsock-port (default %u); then the stream_tput_vm2vm\n"
		"                     figures to B's stream server (ports + 1); ends B's\n"
		"                     vm2vm-echo\n"
		"  vm2vm-echo         in guest B: echo on vmmgmt --peer-port (default\n"
		"                     %u) and vsock SOCK_SEQPACKET --vsock-port, and a\n"
		"                     stream-server on both ports + 1, until guest A's\n"
		"                     vm2vm is done\n"
		"  vsock-relay        in the host VM: relay vsock connections on\n"
		"                     --vsock-port to --relay-cid --relay-port\n"
		"                     (SOCK_SEQPACKET), and SOCK_STREAM on the ports\n"
		"                     after them\n"
		"  stream             in a guest: the stream_tput_ figures, a stream of\n"
		"                     1 MiB writes for %d s each way against the host\n"
		"                     VM's stream-server: vmmgmt (--host-port, default\n"
		"                     %u) and vsock SOCK_STREAM (--vsock-cid, default 2;\n"
		"                     --vsock-port, default %u), --rounds (%d) each\n"
		"  stream-server      in the host VM: serve those streams on vmmgmt\n"
		"                     --host-port and vsock --vsock-port (default %u),\n"
		"                     and file's vsock side (into /tmp, removed after)\n"
		"  service            in a guest: service_rtt_p50_ms, 100 runs of\n"
		"                     'vmmgmtctl call sha256' on 64 bytes (calc mode on,\n"
		"                     the host's vmmgmtd serving sha256)\n"
		"  file               in a guest: file_tput_g2h_vs_vsock, a %d MiB file\n"
		"                     to the host by 'vmmgmtctl file put' (file mode on,\n"
		"                     the host's vmmgmtd serving files=rw), then over\n"
		"                     vsock SOCK_STREAM (--vsock-cid, default 2;\n"
		"                     --vsock-port, default %u) to the stream-server,\n"
		"                     --rounds (%d) each\n"
		"  h2g                in the host VM: the chat_*_h2g figures, host to\n"
		"                     guest, from a " VMMGMT_HOST_DEV " endpoint to\n"
		"                     VM --peer-vm port --peer-port and over vsock to\n"
		"                     --vsock-cid --vsock-port, where the guest runs\n"
		"                     vm2vm-echo; ends that echo\n"
		"\n"
		"Options:\n"
		"  -s, --seconds S     length of each rate run (default %d)\n"
		"  -N, --rounds N      rounds of every figure, 1 to %d (default\n"
		"                      VMMGMT_BENCH_ROUNDS, else %d): figures are the\n"
		"                      median with min= and max=\n"
		"  -n, --msgs N        at most N messages per rate run\n"
		"  -r, --samples N     round trips for the percentiles, shared by the\n"
		"                      rounds (default 3000)\n"
		"  -c, --vsock-cid C   also measure vsock to CID C (2: the host)\n"
		"  -p, --vsock-port P  vsock port (default %u; vm2vm, vsock-relay: %u)\n"
		"  -P, --host-port P   also measure a host userspace endpoint on port P\n"
		"  -k, --ctl-port P    flood, victim: the guest port the host commands\n"
		"  -m, --marks         print BENCH-MARK lines around the 64 B vmmgmt runs\n"
		"                      and pause 2 s at each (host-side counters)\n"
		"  -V, --peer-vm ID    vm2vm: guest B's VM id\n"
		"  -o, --peer-port P   vm2vm, vm2vm-echo: guest B's vmmgmt port; h2g:\n"
		"                      the guest's (default %u)\n"
		"  -C, --relay-cid C   vsock-relay: CID to relay to (guest B)\n"
		"  -R, --relay-port P  vsock-relay: port to relay to (default %u)\n"
		"Output: lines \"FIGURE <name> <value> <unit> min=V max=V\" (the\n"
		"median of the rounds and their spread) and \"INFO ...\".\n",
		EXIT_UNSUPPORTED, VM2VM_RELAY_PORT, VM2VM_PORT, STREAM_SECONDS,
		STREAM_BENCH_PORT, STREAM_BENCH_PORT, BENCH_ROUNDS_DEFAULT,
		STREAM_BENCH_PORT, FILE_BENCH_MIB, STREAM_BENCH_PORT,
		BENCH_ROUNDS_DEFAULT, BENCH_SECONDS_DEFAULT, BENCH_ROUNDS_MAX,
		BENCH_ROUNDS_DEFAULT, VSOCK_PORT_DEFAULT, VM2VM_RELAY_PORT,
		H2G_PORT, VSOCK_PORT_DEFAULT);
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		bench_err("bad %s '%s'", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* smoke: guest with few messages, unless told otherwise. */
static int smoke_prepare(struct opts *o, const char *cmd)
{
	(void)cmd;
	o->smoke = true;
	o->rounds = 1;
	if (o->msgs == ~0UL)
		o->msgs = 300;
	o->large_msgs = o->msgs / 10 ? o->msgs / 10 : 1;
	if (o->samples == 3000)
		o->samples = 200;
	return 0;
}

/* flood, victim: the host commands them on --ctl-port. */
static int ctl_prepare(struct opts *o, const char *cmd)
{
	if (!o->ctl_port) {
		bench_err("%s needs --ctl-port", cmd);
		return EXIT_USAGE;
	}
	return 0;
}

/* vm2vm, vsock-relay: the relay's vsock port by default. */
static void relay_port_default(struct opts *o)
{
	if (!o->vsock_port_set)
		o->vsock_port = VM2VM_RELAY_PORT;
}

static int vm2vm_prepare(struct opts *o, const char *cmd)
{
	(void)cmd;
	relay_port_default(o);
	if (!o->peer_vm || !o->cid) {
		bench_err("vm2vm needs --peer-vm and --vsock-cid");
		return EXIT_USAGE;
	}
	return 0;
}

static int relay_prepare(struct opts *o, const char *cmd)
{
	(void)cmd;
	relay_port_default(o);
	if (!o->relay_cid) {
		bench_err("vsock-relay needs --relay-cid");
		return EXIT_USAGE;
	}
	return 0;
}

static int host_server_prepare(struct opts *o, const char *cmd)
{
	(void)cmd;
	if (!o->host_port) {
		bench_err("host-echo-server needs --host-port");
		return EXIT_USAGE;
	}
	return 0;
}

/* h2g: the guest's echo for it, on H2G_PORT by default. */
static int h2g_prepare(struct opts *o, const char *cmd)
{
	(void)cmd;
	if (o->peer_port == VM2VM_PORT)
		o->peer_port = H2G_PORT;
	if (!o->peer_vm || !o->cid) {
		bench_err("h2g needs --peer-vm and --vsock-cid");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * stream, stream-server, file: the stream-server's ports by default; the
 * guest's commands the host VM (CID 2).
 */
static int stream_prepare(struct opts *o, const char *cmd)
{
	if (!o->host_port)
		o->host_port = STREAM_BENCH_PORT;
	if (!o->vsock_port_set)
		o->vsock_port = STREAM_BENCH_PORT;
	if (strcmp(cmd, "stream-server") && !o->cid)
		o->cid = 2;
	return 0;
}

/*
 * The commands.  prepare (none: nothing to check) completes and checks
 * the options for the command: 0, or an exit code after a message.
 */
static const struct bench_cmd {
	const char *name;
	int (*prepare)(struct opts *o, const char *cmd);
	int (*run)(const struct opts *o);
} commands[] = {
	{ "guest", NULL, guest_main },
	{ "smoke", smoke_prepare, guest_main },
	{ "flood", ctl_prepare, flood_main },
	{ "victim", ctl_prepare, victim_main },
	{ "vsock-echo-server", NULL, vsock_server_main },
	{ "vm2vm", vm2vm_prepare, vm2vm_main },
	{ "vsock-relay", relay_prepare, vsock_relay_main },
	{ "vm2vm-echo", NULL, vm2vm_echo_main },
	{ "host-echo-server", host_server_prepare, host_server_main },
	{ "stream", stream_prepare, stream_main },
	{ "stream-server", stream_prepare, stream_server_main },
	{ "h2g", h2g_prepare, h2g_main },
	{ "service", NULL, service_main },
	{ "file", stream_prepare, file_main },
};

/* The default rounds: VMMGMT_BENCH_ROUNDS, else BENCH_ROUNDS_DEFAULT. */
static unsigned int rounds_default(void)
{
	const char *env = getenv("VMMGMT_BENCH_ROUNDS");

	return env && *env ? parse_num(env, "VMMGMT_BENCH_ROUNDS") :
			     BENCH_ROUNDS_DEFAULT;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'N' },
		{ "msgs", required_argument, NULL, 'n' },
		{ "samples", required_argument, NULL, 'r' },
		{ "vsock-cid", required_argument, NULL, 'c' },
		{ "vsock-port", required_argument, NULL, 'p' },
		{ "host-port", required_argument, NULL, 'P' },
		{ "ctl-port", required_argument, NULL, 'k' },
		{ "marks", no_argument, NULL, 'm' },
		{ "peer-vm", required_argument, NULL, 'V' },
		{ "peer-port", required_argument, NULL, 'o' },
		{ "relay-cid", required_argument, NULL, 'C' },
		{ "relay-port", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.seconds = BENCH_SECONDS_DEFAULT, .msgs = ~0UL, .large_msgs = ~0UL, .samples = 3000,
		.vsock_port = VSOCK_PORT_DEFAULT, .peer_port = VM2VM_PORT,
		.relay_port = VSOCK_PORT_DEFAULT,
	};
	const char *cmd;
	size_t i;
	char *end;
	int opt, ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	o.rounds = rounds_default();
	cmd = argv[1];
	argv++;
	argc--;
	while ((opt = getopt_long(argc, argv, "s:N:n:r:c:p:P:k:mV:o:C:R:h", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds <= 0) {
				bench_err("bad seconds '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'N':
			o.rounds = parse_num(optarg, "rounds");
			break;
		case 'n':
			o.msgs = parse_num(optarg, "message count");
			o.large_msgs = o.msgs;
			break;
		case 'r':
			o.samples = parse_num(optarg, "sample count");
			break;
		case 'c':
			o.cid = parse_num(optarg, "CID");
			break;
		case 'p':
			o.vsock_port = parse_num(optarg, "port");
			o.vsock_port_set = true;
			break;
		case 'V':
			o.peer_vm = parse_num(optarg, "VM id");
			break;
		case 'o':
			o.peer_port = parse_num(optarg, "port");
			break;
		case 'C':
			o.relay_cid = parse_num(optarg, "CID");
			break;
		case 'R':
			o.relay_port = parse_num(optarg, "port");
			break;
		case 'P':
			o.host_port = parse_num(optarg, "port");
			break;
		case 'k':
			o.ctl_port = parse_num(optarg, "port");
			break;
		case 'm':
			o.marks = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!o.rounds || o.rounds > BENCH_ROUNDS_MAX) {
		bench_err("rounds must be 1 to %d, not %u", BENCH_ROUNDS_MAX,
			  o.rounds);
		return EXIT_USAGE;
	}
	if (optind != argc || !o.msgs || !o.samples) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		ret = commands[i].prepare ? commands[i].prepare(&o, cmd) : 0;
		return ret ? ret : commands[i].run(&o);
	}
	bench_err("unknown command '%s' (see vmmgmt-bench --help)", cmd);
	return EXIT_USAGE;
}
