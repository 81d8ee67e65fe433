// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl vm: vmmgmtd's VM slots, through its control socket
 * DIR/vmmgmtd.ctl (host only; DIR: --dir, $VMMGMT_DIR or /run/vmmgmt);
 * daemon_ask() is upgrade.c's way to vmmgmtd too.
 *
 *   vmmgmtctl vm add NAME [--id N] [--size S[K|M]] [--vectors N]
 *   vmmgmtctl vm del NAME
 *   vmmgmtctl [--json] vm list
 *
 * One request per connection: one line ("vm add NAME id=N size=S
 * vectors=N", "vm del NAME", "vm list"), answered with "ok" and the slots'
 * lines ("NAME id=N size=S vectors=V state=S pid=P registered=0|1
 * adoptions=A"), or with "error: <errno name>: <message>".  vmmgmtd checks
 * the values; see Documentation/vmmgmtd.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmmgmtctl.h"

#define VM_DEFAULT_DIR		"/run/vmmgmt"
#define VM_CTL_FILE		"vmmgmtd.ctl"
#define VM_TIMEOUT_S		10
#define VM_REQUEST_MAX		512

/* The control socket's path, from --dir, $VMMGMT_DIR or the default. */
static void vm_ctl_path(const struct ctl *ctl, char *buf, size_t size)
{
	const char *dir = ctl->dir;

	if (!dir) {
		dir = getenv("VMMGMT_DIR");
		if (!dir || !dir[0])
			dir = VM_DEFAULT_DIR;
	}
	if ((size_t)snprintf(buf, size, "%s/%s", dir, VM_CTL_FILE) >= size)
		usage_error("vm: socket directory too long", dir);
}

static noreturn void vm_connect_failed(const char *path, int err)
{
	const char *hint;

	switch (err) {
	case ENOENT:
		hint = "is vmmgmtd running? (--dir or VMMGMT_DIR: its socket directory)";
		break;
	case ECONNREFUSED:
		hint = "vmmgmtd is not running (the socket is stale)";
		break;
	case EACCES:
	case EPERM:
		hint = "run as root";
		break;
	default:
		hint = NULL;
	}
	vmmgmtctl_err("%s: %s%s%s", path, strerror(err), hint ? ": " : "",
		      hint ? hint : "");
	exit(1);
}

/*
 * Send @request to vmmgmtd and return its whole answer, "ok" or "error:"
 * lines alike (malloc'd, NUL terminated); exits when vmmgmtd cannot be
 * reached or does not answer within @timeout_s seconds.
 */
char *daemon_ask(const struct ctl *ctl, const char *request, int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char path[sizeof(sa.sun_path)], *buf;
	ssize_t n;
	int fd, err;

	vm_ctl_path(ctl, path, sizeof(path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket", NULL, errno, false);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		vm_connect_failed(path, errno);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	err = vmmgmt_write_all(fd, request, strlen(request));
	if (err)
		fail(path, "write", -err, false);
	shutdown(fd, SHUT_WR);

	buf = malloc(cap);
	if (!buf) {
		vmmgmtctl_err("out of memory");
		exit(1);
	}
	for (;;) {
		if (cap - len < 2048) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf) {
				vmmgmtctl_err("out of memory");
				exit(1);
			}
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			vmmgmtctl_err("%s: no answer from vmmgmtd within %d s", path,
				      timeout_s);
			exit(1);
		}
		if (n < 0)
			fail(path, "read", errno, false);
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/*
 * Send @request to vmmgmtd and return its answer after "ok" (malloc'd);
 * exits on errors, vmmgmtd's refusal included.
 */
static char *vm_request(const struct ctl *ctl, const char *request)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	char *buf = daemon_ask(ctl, request, VM_TIMEOUT_S);

	if (!strncmp(buf, "ok\n", 3))
		return buf;
	if (!strncmp(buf, "error: ", 7)) {
		char *nl = strchr(buf, '\n');

		if (nl)
			*nl = '\0';
		/* "vmmgmtctl: vm add web: EEXIST: VM name 'web' in use" */
		vmmgmtctl_err("%.*s: %s", (int)strcspn(request, "\n"), request,
			      buf + 7);
		exit(1);
	}
	vm_ctl_path(ctl, path, sizeof(path));
	vmmgmtctl_err("%s: unexpected answer from vmmgmtd: '%.*s'", path,
		      (int)strcspn(buf, "\n"), buf);
	exit(1);
}

/* A value vmmgmtd can take: no blanks, 1..64 characters. */
static const char *vm_value(const char *val, const char *what)
{
	const char *p;

	if (!val[0] || strlen(val) > 64)
		usage_error(what, val);
	for (p = val; *p; p++)
		if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			usage_error(what, val);
	return val;
}

static bool vm_is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The size in bytes as K or M when it is a whole number of them. */
static void vm_size(const char *bytes, char *buf, size_t size)
{
	unsigned long long v = strtoull(bytes, NULL, 10);

	if (v && !(v & ((1ULL << 20) - 1)))
		snprintf(buf, size, "%lluM", v >> 20);
	else if (v && !(v & ((1ULL << 10) - 1)))
		snprintf(buf, size, "%lluK", v >> 10);
	else
		snprintf(buf, size, "%s", bytes);
}

/* The value of KEY= among the slot line's fields, or "". */
static const char *vm_field(char **keys, char **vals, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return vals[i];
	return "";
}

static void vm_header(void)
{
	printf("%-16s %5s %6s %7s %-9s %8s %10s %9s\n", "VM", "ID", "SIZE",
	       "VECTORS", "STATE", "QEMU_PID", "REGISTERED", "ADOPTIONS");
}

/* One slot line: a table row, or a JSON object (numbers as numbers). */
static void vm_print(const struct ctl *ctl, char *line, bool first)
{
	char *keys[16], *vals[16], *tok, *save, size[32];
	const char *name;
	int n = 0, i;

	name = strtok_r(line, " ", &save);
	if (!name)
		return;
	while ((tok = strtok_r(NULL, " ", &save)) && n < 16) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		keys[n] = tok;
		vals[n++] = eq + 1;
	}
	if (ctl->json) {
		printf("%s{\"name\":", first ? "" : ",");
		json_string(name);
		for (i = 0; i < n; i++) {
			printf(",\"%s\":", keys[i]);
			if (!strcmp(keys[i], "registered"))
				printf("%s", strcmp(vals[i], "0") ? "true" : "false");
			else if (vm_is_number(vals[i]))
				printf("%s", vals[i]);
			else
				json_string(vals[i]);
		}
		printf("}");
		return;
	}
	vm_size(vm_field(keys, vals, n, "size"), size, sizeof(size));
	printf("%-16s %5s %6s %7s %-9s %8s %10s %9s\n", name,
	       vm_field(keys, vals, n, "id"), size,
	       vm_field(keys, vals, n, "vectors"),
	       vm_field(keys, vals, n, "state"),
	       vm_field(keys, vals, n, "pid"),
	       strcmp(vm_field(keys, vals, n, "registered"), "1") ? "no" : "yes",
	       vm_field(keys, vals, n, "adoptions"));
}

/* The slot lines after "ok": a table, or a JSON array (@array) or object. */
static void vm_print_all(const struct ctl *ctl, char *answer, bool array)
{
	char *line = answer + 3, *nl;
	bool first = true;

	if (ctl->json && array)
		printf("[");
	else if (!ctl->json)
		vm_header();
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		vm_print(ctl, line, first);
		first = false;
	}
	if (ctl->json)
		printf("%s\n", array ? "]" : "");
}

int cmd_vm(const struct ctl *ctl, int argc, char **argv)
{
	char request[VM_REQUEST_MAX], *answer;
	const char *sub = argc >= 2 ? argv[1] : NULL;
	bool add = sub && !strcmp(sub, "add");
	size_t n;

	if (!sub)
		usage_error("vm: add, del or list?", NULL);
	if (!add && (ctl->vm_id || ctl->vm_size || ctl->vm_vectors))
		usage_error("vm: --id, --size and --vectors go with vm add", NULL);
	if (add || !strcmp(sub, "del")) {
		if (argc != 3)
			usage_error(argc < 3 ? "vm: which VM?" : "unexpected argument",
				    argc < 3 ? NULL : argv[3]);
		if (!vm_name_ok(argv[2]))
			usage_error("vm: bad VM name (1..31 of A-Z a-z 0-9 _ -)",
				    argv[2]);
		n = snprintf(request, sizeof(request), "vm %s %s", sub, argv[2]);
		if (ctl->vm_id)
			n += snprintf(request + n, sizeof(request) - n, " id=%s",
				      vm_value(ctl->vm_id, "vm add: bad --id"));
		if (ctl->vm_size)
			n += snprintf(request + n, sizeof(request) - n, " size=%s",
				      vm_value(ctl->vm_size, "vm add: bad --size"));
		if (ctl->vm_vectors)
			n += snprintf(request + n, sizeof(request) - n, " vectors=%s",
				      vm_value(ctl->vm_vectors, "vm add: bad --vectors"));
		if (n + 1 >= sizeof(request))
			usage_error("vm add: arguments too long", NULL);
		snprintf(request + n, sizeof(request) - n, "\n");
	} else if (!strcmp(sub, "list")) {
		if (argc != 2)
			usage_error("unexpected argument", argv[2]);
		snprintf(request, sizeof(request), "vm list\n");
	} else {
		usage_error("vm: add, del or list?", sub);
	}

	answer = vm_request(ctl, request);
	if (add || !strcmp(sub, "list"))
		vm_print_all(ctl, answer, !add);
	free(answer);
	return fflush(stdout) ? 1 : 0;
}
