// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: reading and parsing a control request (the grammar is in
 * ctl.c), apart from the socket and the daemon's state, so that the
 * fuzzer (tools/fuzz/vmmgmtd_ctl_fuzz.c) runs the same code.  It calls
 * only config.c's checks of names and values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmgmtd.h"

#define VMMGMTD_CTL_ARGS_MAX	8

static const char vmmgmtd_ctl_usage[] =
	"vm add NAME [id=N] [size=S[K|M]] [vectors=N], vm del NAME, vm list, upgrade wait=S PATH";

/* Longest wait=SECS of "upgrade". */
#define VMMGMTD_CTL_UPGRADE_WAIT_MAX	3600

/* upgrade wait=SECS PATH: @args is what follows "upgrade ". */
static int vmmgmtd_ctl_parse_upgrade(char *args, struct vmmgmtd_ctl_req *req,
				     char *err, size_t len)
{
	unsigned long wait_s = 0;
	char *path = args;

	errno = 0;
	if (!strncmp(args, "wait=", 5) && args[5] >= '0' && args[5] <= '9')
		wait_s = strtoul(args + 5, &path, 10);
	if (errno || *path != ' ' || !wait_s || wait_s > VMMGMTD_CTL_UPGRADE_WAIT_MAX) {
		snprintf(err, len, "usage: upgrade wait=SECS (1..%u) PATH",
			 VMMGMTD_CTL_UPGRADE_WAIT_MAX);
		return -EINVAL;
	}
	path++;
	if (path[0] != '/') {
		snprintf(err, len, "module path '%.200s' is not absolute", path);
		return -EINVAL;
	}
	req->op = VMMGMTD_CTL_UPGRADE;
	req->path = path;
	req->wait_s = wait_s;
	return 0;
}

/*
 * The request line, without its newline (a last line without one counts).
 * Return: 1 with a line, 0 when the peer sent nothing (an "in use" probe),
 * or -errno (-EMSGSIZE: too long).
 */
int vmmgmtd_ctl_read(int fd, char *buf, size_t size)
{
	bool nl = false;
	int n = vmmgmt_read_upto_nl(fd, buf, size, &nl);

	if (n < 0)
		return n;
	return n || nl ? 1 : 0;
}

/* One KEY=VALUE of "vm add"; false with a message in @err. */
static bool vmmgmtd_ctl_setting(struct vmmgmtd_ctl_req *req, char *arg,
				char *err, size_t len)
{
	char *eq = strchr(arg, '=');
	const char *val;
	bool *given;

	if (!eq || eq == arg) {
		snprintf(err, len, "expected KEY=VALUE (id, size, vectors), got '%s'",
			 arg);
		return false;
	}
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(arg, "id"))
		given = &req->id_given;
	else if (!strcmp(arg, "size"))
		given = &req->size_given;
	else if (!strcmp(arg, "vectors"))
		given = &req->vectors_given;
	else
		given = NULL;
	if (given && *given) {
		snprintf(err, len, "'%s' given twice", arg);
		return false;
	}
	if (given == &req->id_given &&
	    !vmmgmtd_parse_id(val, req->name, &req->id, err, len))
		return false;
	if (given == &req->size_given &&
	    !vmmgmtd_parse_size(val, &req->size, err, len))
		return false;
	if (given == &req->vectors_given &&
	    !vmmgmtd_parse_vectors(val, &req->vectors, err, len))
		return false;
	if (!given) {
		snprintf(err, len, "unknown setting '%s' (id, size, vectors)", arg);
		return false;
	}
	*given = true;
	return true;
}

int vmmgmtd_ctl_parse(char *line, struct vmmgmtd_ctl_req *req, char *err,
		      size_t len)
{
	char *argv[VMMGMTD_CTL_ARGS_MAX + 1], *save;
	int argc = 0, i;

	memset(req, 0, sizeof(*req));
	/* Its path is the rest of the line: not split at blanks. */
	if (!strncmp(line, "upgrade ", 8))
		return vmmgmtd_ctl_parse_upgrade(line + 8, req, err, len);
	for (argv[argc] = strtok_r(line, " \t", &save); argv[argc];
	     argv[argc] = strtok_r(NULL, " \t", &save)) {
		if (++argc > VMMGMTD_CTL_ARGS_MAX) {
			snprintf(err, len, "too many arguments");
			return -E2BIG;
		}
	}
	if (argc >= 2 && !strcmp(argv[0], "vm")) {
		if (!strcmp(argv[1], "list") && argc == 2) {
			req->op = VMMGMTD_CTL_LIST;
			return 0;
		}
		if (!strcmp(argv[1], "del")) {
			if (argc != 3)
				goto usage;
			req->op = VMMGMTD_CTL_DEL;
			req->name = argv[2];
			return 0;
		}
		if (!strcmp(argv[1], "add")) {
			if (argc < 3)
				goto usage;
			if (!vmmgmtd_check_name(argv[2], strlen(argv[2]), err, len))
				return -EINVAL;
			req->op = VMMGMTD_CTL_ADD;
			req->name = argv[2];
			for (i = 3; i < argc; i++)
				if (!vmmgmtd_ctl_setting(req, argv[i], err, len))
					return -EINVAL;
			return 0;
		}
	}
	snprintf(err, len, "unknown request: %s", vmmgmtd_ctl_usage);
	return -EINVAL;
usage:
	snprintf(err, len, "usage: %s", vmmgmtd_ctl_usage);
	return -EINVAL;
}
