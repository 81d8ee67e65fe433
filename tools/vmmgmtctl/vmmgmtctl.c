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

#include "vmmgmt.h"

#define HOST_DEVICE	"/dev/vmmgmt-host"
#define GUEST_DEVICE	"/dev/vmmgmt"

#define EXIT_USAGE	2

/* One line on stderr; a macro, so that the compiler checks the format. */
#define vmmgmtctl_err(fmt, ...) \
	fprintf(stderr, "vmmgmtctl: " fmt "\n", ##__VA_ARGS__)

struct ctl {
	const char *device;	/* --device, or NULL */
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmmgmtctl [OPTIONS] COMMAND\n"
		"\n"
		"Commands:\n"
		"  version   ABI version of the vmmgmt module: the host module through\n"
		"            %s, or the guest module through %s\n"
		"  info      this guest's management device: VM id, peer id, host id,\n"
		"            link state, region size, ABI, vectors (guest only)\n"
		"  echo-server PORT\n"
		"            bind host port PORT (1..4294967295, not 7) and send every\n"
		"            message back to its sender as a response, until killed;\n"
		"            a userspace twin of the module's echo service on port 7\n"
		"            (host only)\n"
		"\n"
		"Options:\n"
		"  -D, --device PATH  use PATH instead of %s or %s\n"
		"  -j, --json         print one JSON object instead of key: value lines\n"
		"  -h, --help         show this help\n",
		HOST_DEVICE, GUEST_DEVICE, HOST_DEVICE, GUEST_DEVICE);
}

static noreturn void usage_error(const char *msg, const char *arg)
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

static noreturn void fail(const char *path, const char *what, int err,
			  bool guest)
{
	const char *h = hint(err, guest);

	vmmgmtctl_err("%s%s%s: %s%s%s", path, what ? ": " : "",
		      what ? what : "", strerror(err), h ? ": " : "", h ? h : "");
	exit(1);
}

static bool is_host_path(const char *path)
{
	size_t n = strlen(path), k = strlen("vmmgmt-host");

	return n >= k && !strcmp(path + n - k, "vmmgmt-host");
}

static int open_device(const char *path, bool guest)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path, NULL, errno, guest);
	return fd;
}

/* JSON string with the escapes that a device path could need. */
static void json_string(const char *s)
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
	const char *path = ctl->device;
	bool host, compatible;
	int fd;

	if (!path && access(HOST_DEVICE, F_OK) == 0)
		path = HOST_DEVICE;
	if (!path && access(GUEST_DEVICE, F_OK) == 0)
		path = GUEST_DEVICE;
	if (!path) {
		vmmgmtctl_err("neither %s nor %s exists: load vmmgmt_host.ko (host) or vmmgmt_guest.ko (guest), or give --device",
			      HOST_DEVICE, GUEST_DEVICE);
		return 1;
	}
	host = is_host_path(path);
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

/* Parse a port: a decimal number, 1..UINT32_MAX. */
static __u32 parse_port(const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || !v || v > 0xffffffffULL ||
	    arg[0] == '-')
		usage_error("bad port (1..4294967295)", arg);
	return v;
}

static int cmd_echo_server(const struct ctl *ctl, const char *port_arg)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	const char *path = ctl->device ? ctl->device : HOST_DEVICE;
	struct vmmgmt_bind bind = { .port = parse_port(port_arg) };
	struct vmmgmt_rec *r = (struct vmmgmt_rec *)buf;
	unsigned long long echoed = 0;
	struct vmmgmt_addr src;
	ssize_t n;
	int fd;

	fd = open_device(path, false);
	if (ioctl(fd, VMMGMT_HOST_IOC_BIND, &bind))
		fail(path, "bind", errno, false);
	fprintf(stderr, "vmmgmtctl: echo server on host port %u\n", bind.port);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(path, "read", errno, false);
		}
		if ((size_t)n < sizeof(*r) || r->flags & VMMGMT_REC_F_RESPONSE)
			continue;
		src = r->src;
		r->src = r->dst;
		r->dst = src;
		r->flags = VMMGMT_REC_F_RESPONSE;
		/* A VM that went away or broke costs one message, not us. */
		if (write(fd, buf, n) != n)
			vmmgmtctl_err("echo to vm %u port %u: %s", src.vm,
				      src.port, strerror(errno));
		else if (++echoed % 100000 == 0)
			fprintf(stderr, "vmmgmtctl: %llu messages echoed\n",
				echoed);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl = { 0 };
	const char *cmd;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":D:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (!optarg[0])
				usage_error("empty device path", NULL);
			ctl.device = optarg;
			break;
		case 'j':
			ctl.json = true;
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
	if (optind >= argc)
		usage_error("no command given", NULL);
	cmd = argv[optind];
	if (!strcmp(cmd, "echo-server")) {
		if (argc - optind != 2)
			usage_error("echo-server needs one argument: PORT", NULL);
		return cmd_echo_server(&ctl, argv[optind + 1]);
	}
	if (argc - optind > 1)
		usage_error("unexpected argument", argv[optind + 1]);
	if (!strcmp(cmd, "version"))
		return cmd_version(&ctl);
	if (!strcmp(cmd, "info"))
		return cmd_info(&ctl);
	usage_error("unknown command", cmd);
}
