// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtctl: messages and names.
 *
 * The same commands work on the host (/dev/vmmgmt-host: records with a
 * struct vmmgmt_rec header) and in a guest (/dev/vmmgmt: one message per
 * read and write, addresses through ioctls); which one is decided by the
 * device that exists, or by --device.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmmgmtctl.h"

/* A message as the commands see it, on either side. */
struct msg {
	struct vmmgmt_addr src;
	__u32 len;
	int err;		/* an error answer's errno, or 0 */
	__u8 data[VMMGMT_MSG_MAX];
};

/*
 * The device to use: --device, else the host's, else the guest's; exits
 * when there is none.  *@host: whether it is the host's (by its name).
 */
const char *pick_device(const struct ctl *ctl, bool *host)
{
	const char *path = ctl->device;

	if (!path && access(HOST_DEVICE, F_OK) == 0)
		path = HOST_DEVICE;
	if (!path && access(GUEST_DEVICE, F_OK) == 0)
		path = GUEST_DEVICE;
	if (!path) {
		vmmgmtctl_err("neither %s nor %s exists: load vmmgmt_host.ko (host) or vmmgmt_guest.ko (guest), or give --device",
			      HOST_DEVICE, GUEST_DEVICE);
		exit(1);
	}
	*host = is_host_path(path);
	return path;
}

__u32 parse_u32(const char *arg, const char *what, bool zero_ok)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v > 0xffffffffULL ||
	    arg[0] == '-' || (!v && !zero_ok))
		usage_error(what, arg);
	return v;
}

void check_name(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len >= VMMGMT_NAME_MAX)
		usage_error("bad name (1..31 of A-Z a-z 0-9 _ . -)", name);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			usage_error("bad name (1..31 of A-Z a-z 0-9 _ . -)",
				    name);
}

/* Look NAME up (VMMGMT_HOST_IOC_LOOKUP or VMMGMT_IOC_LOOKUP); exits on error. */
static void lookup_name(const char *arg, int fd, const char *path, bool host,
			struct vmmgmt_addr *addr)
{
	struct vmmgmt_name nm = { 0 };

	check_name(arg);
	memcpy(nm.name, arg, strlen(arg));
	if (ioctl(fd, host ? VMMGMT_HOST_IOC_LOOKUP : VMMGMT_IOC_LOOKUP, &nm)) {
		if (errno == ENOENT) {
			vmmgmtctl_err("%s: no such name published", arg);
			exit(1);
		}
		fail(path, "LOOKUP", errno, !host);
	}
	*addr = nm.addr;
}

/*
 * DEST: VM:PORT, HOST:VM:PORT or a published name (looked up with
 * VMMGMT_HOST_IOC_LOOKUP on the host, VMMGMT_IOC_LOOKUP in a guest).
 */
void parse_dest(const char *arg, int fd, const char *path, bool host,
		struct vmmgmt_addr *addr)
{
	char buf[64], *f[3], *p;
	int n = 0;

	memset(addr, 0, sizeof(*addr));
	if (!strchr(arg, ':')) {
		lookup_name(arg, fd, path, host, addr);
		return;
	}
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		usage_error("bad address (VM:PORT or HOST:VM:PORT)", arg);
	for (p = strtok(buf, ":"); p && n < 3; p = strtok(NULL, ":"))
		f[n++] = p;
	if (p || n < 2)
		usage_error("bad address (VM:PORT or HOST:VM:PORT)", arg);
	if (n == 3)
		addr->host = parse_u32(f[0], "bad host id", true);
	addr->vm = parse_u32(f[n - 2], "bad VM id", true);
	addr->port = parse_u32(f[n - 1], "bad port", true);
}

/* MESSAGE from the argument, or all of stdin when there is none. */
static size_t read_message(int argc, char **argv, int i, __u8 *buf)
{
	size_t len = 0;
	ssize_t n;

	if (i < argc) {
		len = strlen(argv[i]);
		if (len > VMMGMT_MSG_MAX)
			usage_error("message longer than 65536 bytes", NULL);
		memcpy(buf, argv[i], len);
		return len;
	}
	for (;;) {
		n = read(STDIN_FILENO, buf + len, VMMGMT_MSG_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vmmgmtctl_err("stdin: %s", strerror(errno));
			exit(1);
		}
		if (!n)
			break;
		len += n;
		if (len > VMMGMT_MSG_MAX)
			usage_error("message longer than 65536 bytes", NULL);
	}
	return len;
}

/* Wait until @fd is readable; false on timeout. */
static bool wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&p, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret > 0;
}

/* Receive one message on either side; 0, or an errno of read(). */
static int recv_one(int fd, bool host, struct msg *m)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct vmmgmt_rec r;
	ssize_t n;

	m->err = 0;
	if (host) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return errno;
		memcpy(&r, buf, sizeof(r));
		m->src = r.src;
		m->len = r.len;
		memcpy(m->data, buf + sizeof(r), r.len);
		if (r.flags & VMMGMT_REC_F_ERROR && r.len == sizeof(__u32)) {
			memcpy(&m->err, m->data, sizeof(__u32));
			m->len = 0;
		}
		return 0;
	}
	n = read(fd, m->data, sizeof(m->data));
	/* An error answer from the host comes as read()'s errno. */
	/* Our buffer fits any message: EMSGSIZE is the host's answer. */
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EFAULT ||
		      errno == ENOTCONN || errno == EPIPE || errno == ENODEV))
		return errno;
	if (ioctl(fd, VMMGMT_IOC_LAST_SRC, &m->src))
		return errno;
	if (n < 0) {
		m->err = errno;
		m->len = 0;
	} else {
		m->len = n;
	}
	return 0;
}

static bool printable(const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isprint(p[i]) && p[i] != '\n' && p[i] != '\t')
			return false;
	return true;
}

static void print_msg(const struct ctl *ctl, const struct msg *m)
{
	char *text;
	size_t i;

	if (ctl->json) {
		printf("{\"src\":{\"host\":%u,\"vm\":%u,\"port\":%u},\"len\":%u",
		       m->src.host, m->src.vm, m->src.port, m->len);
		if (m->err) {
			printf(",\"error\":");
			json_string(strerror(m->err));
			printf(",\"errno\":%d}\n", m->err);
			return;
		}
		/* Bytes as \u00XX where they are not plain characters. */
		text = malloc(m->len + 1);
		if (!text) {
			vmmgmtctl_err("out of memory");
			exit(1);
		}
		memcpy(text, m->data, m->len);
		text[m->len] = '\0';
		printf(",\"data\":");
		if (printable(m->data, m->len)) {
			json_string(text);
		} else {
			putchar('"');
			for (i = 0; i < m->len; i++)
				printf("\\u%04x", m->data[i]);
			putchar('"');
		}
		free(text);
		printf("}\n");
		return;
	}
	printf("from %u:%u:%u", m->src.host, m->src.vm, m->src.port);
	if (m->err) {
		printf(": error: %s\n", strerror(m->err));
		return;
	}
	printf(" (%u bytes): ", m->len);
	if (printable(m->data, m->len)) {
		fwrite(m->data, 1, m->len, stdout);
		if (!m->len || m->data[m->len - 1] != '\n')
			putchar('\n');
	} else {
		for (i = 0; i < m->len; i++)
			printf("%02x%s", m->data[i], i + 1 < m->len ? " " : "\n");
		if (!m->len)
			putchar('\n');
	}
	fflush(stdout);
}

/* Bind @fd to @port (0: a dynamic one); returns the port. */
static __u32 bind_port(int fd, bool host, const char *path, __u32 port)
{
	struct vmmgmt_bind b = { .port = port };

	if (ioctl(fd, host ? VMMGMT_HOST_IOC_BIND : VMMGMT_IOC_BIND, &b))
		fail(path, "bind", errno, !host);
	return b.port;
}

/* Print messages until --count is reached (or forever); exit status. */
static int print_loop(const struct ctl *ctl, int fd, bool host,
		      const char *path)
{
	static struct msg m;
	unsigned long n = 0;
	int err;

	while (!ctl->count || n < ctl->count) {
		if (!wait_readable(fd, ctl->timeout_ms)) {
			vmmgmtctl_err("%s: no message within %d ms", path,
				      ctl->timeout_ms);
			return 1;
		}
		err = recv_one(fd, host, &m);
		if (err == EINTR || err == EAGAIN)
			continue;
		if (err)
			fail(path, "read", err, !host);
		print_msg(ctl, &m);
		n++;
	}
	return 0;
}

int cmd_send(const struct ctl *ctl, int argc, char **argv)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct vmmgmt_rec *r = (struct vmmgmt_rec *)buf;
	struct vmmgmt_addr dst;
	const char *path;
	static struct msg m;
	size_t len;
	bool host;
	int fd, err;

	if (argc < 2 || argc > 3)
		usage_error("send needs DEST and at most one MESSAGE", NULL);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	parse_dest(argv[1], fd, path, host, &dst);
	len = read_message(argc, argv, 2, buf + sizeof(*r));
	if (host) {
		memset(r, 0, sizeof(*r));
		r->len = len;
		r->mode = VMMGMT_MODE_CHAT;
		r->dst = dst;
		if (write(fd, buf, sizeof(*r) + len) < 0)
			fail(path, "write", errno, false);
	} else {
		if (ioctl(fd, VMMGMT_IOC_CONNECT, &dst))
			fail(path, "connect", errno, true);
		if (write(fd, buf + sizeof(*r), len) < 0)
			fail(path, "write", errno, true);
	}
	if (!ctl->wait)
		return 0;
	if (!wait_readable(fd, ctl->timeout_ms)) {
		vmmgmtctl_err("%s: no answer within %d ms", path,
			      ctl->timeout_ms);
		return 1;
	}
	err = recv_one(fd, host, &m);
	if (err)
		fail(path, "read", err, !host);
	print_msg(ctl, &m);
	return m.err ? 1 : 0;
}

int cmd_recv(const struct ctl *ctl, int argc, char **argv)
{
	struct ctl c = *ctl;
	const char *path;
	bool host;
	int fd;

	if (argc != 2)
		usage_error("recv needs one argument: PORT", NULL);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	bind_port(fd, host, path, parse_u32(argv[1], "bad port", false));
	if (!c.count)
		c.count = 1;
	return print_loop(&c, fd, host, path);
}

/* Publish @name for @fd's bound port; exits on error. */
void publish_name(int fd, bool host, const char *path, const char *name)
{
	struct vmmgmt_name n = { 0 };

	memcpy(n.name, name, strlen(name));
	if (ioctl(fd, host ? VMMGMT_HOST_IOC_PUBLISH : VMMGMT_IOC_PUBLISH, &n)) {
		if (errno == EADDRINUSE) {
			vmmgmtctl_err("%s: name published by someone else already",
				      name);
			exit(1);
		}
		fail(path, name, errno, !host);
	}
}

/* "host port P", or "HOST:VM:PORT" in a guest, for the messages below. */
void local_addr(int fd, bool host, __u32 port, char *buf, size_t size)
{
	struct vmmgmt_info info = { 0 };

	if (host || ioctl(fd, VMMGMT_IOC_GET_INFO, &info))
		snprintf(buf, size, "%s port %u", host ? "host" : "local",
			 port);
	else
		snprintf(buf, size, "%u:%u:%u", info.host_id, info.vm_id, port);
}

/*
 * Bind the endpoint of listen and echo-server: PORT (0 or none: a dynamic
 * one), then publish --name when given.  Returns the port.
 */
static __u32 serve_setup(int fd, bool host, const char *path, __u32 port,
			 const char *name)
{
	port = bind_port(fd, host, path, port);
	if (name)
		publish_name(fd, host, path, name);
	return port;
}

/* All digits: a PORT rather than a NAME in listen's arguments. */
bool is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int cmd_listen(const struct ctl *ctl, int argc, char **argv)
{
	const char *path, *name = ctl->name;
	char where[64];
	__u32 port = 0;
	bool host;
	int fd, i = 1;

	/* listen [NAME] [PORT]; a NAME of digits only needs --name. */
	if (argc > 3)
		usage_error("listen takes at most NAME and PORT", NULL);
	if (i < argc && !is_number(argv[i])) {
		if (name)
			usage_error("listen: NAME given twice", argv[i]);
		name = argv[i++];
	}
	if (i < argc)
		port = parse_u32(argv[i++], "bad port", false);
	if (i < argc)
		usage_error("unexpected argument", argv[i]);
	if (name)
		check_name(name);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	port = serve_setup(fd, host, path, port, name);
	local_addr(fd, host, port, where, sizeof(where));
	if (name)
		fprintf(stderr, "vmmgmtctl: listening as '%s' on %s\n", name,
			where);
	else
		fprintf(stderr, "vmmgmtctl: listening on %s\n", where);
	return print_loop(ctl, fd, host, path);
}

int cmd_lookup(const struct ctl *ctl, int argc, char **argv)
{
	struct vmmgmt_addr a;
	const char *path;
	bool host;
	int fd;

	if (argc != 2)
		usage_error("lookup needs one argument: NAME", NULL);
	check_name(argv[1]);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	lookup_name(argv[1], fd, path, host, &a);
	close(fd);
	if (ctl->json) {
		printf("{\"name\":");
		json_string(argv[1]);
		printf(",\"host\":%u,\"vm\":%u,\"port\":%u}\n", a.host, a.vm,
		       a.port);
	} else {
		printf("%s %u:%u:%u\n", argv[1], a.host, a.vm, a.port);
	}
	return 0;
}

/* How long a host server waits for the next module after a handover. */
#define REOPEN_MS	60000

/*
 * The host module is being replaced (read() said ESHUTDOWN): close @fd,
 * open the device again once the new module is in (open() fails with
 * EAGAIN while the old one is frozen, ENOENT or ENODEV while none is
 * loaded or one is going or coming), and
 * bind the same port and publish the same name.  Returns the new file.
 */
static int host_reopen(int fd, const char *path, __u32 port, const char *name)
{
	int waited = 0;

	close(fd);
	fprintf(stderr, "vmmgmtctl: host module being replaced, reopening %s\n",
		path);
	for (;;) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			break;
		if ((errno != EAGAIN && errno != ENOENT && errno != ENODEV) ||
		    waited >= REOPEN_MS)
			fail(path, NULL, errno, false);
		usleep(20000);
		waited += 20;
	}
	serve_setup(fd, true, path, port, name);
	fprintf(stderr, "vmmgmtctl: %s open again, port %u\n", path, port);
	return fd;
}

/* Every 100000 messages echoed: how many so far. */
static void echo_progress(const struct ctl *ctl, unsigned long long echoed)
{
	if (ctl->json) {
		printf("{\"echoed_total\":%llu}\n", echoed);
		fflush(stdout);
	} else {
		fprintf(stderr, "vmmgmtctl: %llu messages echoed\n", echoed);
	}
}

/* Host side of echo-server: records in, records out. */
static int echo_host(const struct ctl *ctl, int fd, const char *path,
		     __u32 port)
{
	static __u8 buf[sizeof(struct vmmgmt_rec) + VMMGMT_MSG_MAX];
	struct vmmgmt_rec *r = (struct vmmgmt_rec *)buf;
	unsigned long long echoed = 0;
	struct vmmgmt_addr src;
	ssize_t n;

	while (!ctl->count || echoed < ctl->count) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ESHUTDOWN) {
				fd = host_reopen(fd, path, port, ctl->name);
				continue;
			}
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
			echo_progress(ctl, echoed);
	}
	return 0;
}

/*
 * Guest side of echo-server: one message per read(), sent back to
 * LAST_SRC.  Error answers (a reply the host could not deliver) are
 * reported and skipped.
 */
static int echo_guest(const struct ctl *ctl, int fd, const char *path)
{
	static __u8 buf[VMMGMT_MSG_MAX];
	unsigned long long echoed = 0;
	struct vmmgmt_addr src;
	ssize_t n;

	while (!ctl->count || echoed < ctl->count) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && (errno == EFAULT || errno == ENOTCONN ||
			      errno == EPIPE || errno == ENODEV))
			fail(path, "read", errno, true);
		if (ioctl(fd, VMMGMT_IOC_LAST_SRC, &src))
			fail(path, "LAST_SRC", errno, true);
		if (n < 0) {
			vmmgmtctl_err("echo to %u:%u:%u: %s", src.host, src.vm,
				      src.port, strerror(errno));
			continue;
		}
		if (ioctl(fd, VMMGMT_IOC_CONNECT, &src))
			fail(path, "connect", errno, true);
		if (write(fd, buf, n) != n) {
			vmmgmtctl_err("echo to %u:%u:%u: %s", src.host, src.vm,
				      src.port, strerror(errno));
			continue;
		}
		if (ctl->json) {
			printf("{\"echoed\":%zd,\"to\":\"%u:%u:%u\"}\n", n,
			       src.host, src.vm, src.port);
			fflush(stdout);
		} else {
			fprintf(stderr, "vmmgmtctl: echoed %zd bytes to %u:%u:%u\n",
				n, src.host, src.vm, src.port);
		}
		echoed++;
	}
	return 0;
}

int cmd_echo_server(const struct ctl *ctl, int argc, char **argv)
{
	const char *path;
	char where[64];
	__u32 port = 0;
	bool host;
	int fd;

	if (argc > 2)
		usage_error("echo-server takes at most one argument: PORT", NULL);
	if (argc == 2)
		port = parse_u32(argv[1], "bad port (0..4294967295)", true);
	if (ctl->name)
		check_name(ctl->name);
	path = pick_device(ctl, &host);
	fd = open_device(path, !host);
	port = serve_setup(fd, host, path, port, ctl->name);
	local_addr(fd, host, port, where, sizeof(where));
	if (ctl->json) {
		/* The host is VM 0 of host 0, its address HOST:VM:PORT too. */
		if (host)
			snprintf(where, sizeof(where), "0:0:%u", port);
		printf("{\"echo_server\":\"%s\",\"name\":", where);
		if (ctl->name)
			json_string(ctl->name);
		else
			printf("null");
		printf("}\n");
		fflush(stdout);
	} else if (ctl->name) {
		fprintf(stderr, "vmmgmtctl: echo server on %s as '%s'\n", where,
			ctl->name);
	} else {
		fprintf(stderr, "vmmgmtctl: echo server on %s\n", where);
	}
	return host ? echo_host(ctl, fd, path, port) : echo_guest(ctl, fd, path);
}

/* One line of a sysfs file, without its newline; "" when unreadable. */
static void sysfs_read(const char *dir, const char *attr, char *buf,
		       size_t size)
{
	if (vmmgmt_read_attr(dir, attr, buf, size))
		buf[0] = '\0';
}

/* One entry of the names listing; @n entries came before it. */
static void print_name(const struct ctl *ctl, const char *name, unsigned int h,
		       unsigned int vm, unsigned int port, unsigned int n)
{
	if (ctl->json) {
		printf("%s{\"name\":", n ? "," : "");
		json_string(name);
		printf(",\"host\":%u,\"vm\":%u,\"port\":%u}", h, vm, port);
	} else {
		printf("%-31s %u:%u:%u%s\n", name, h, vm, port,
		       vm ? "" : " (host)");
	}
}

static void print_names_head(const struct ctl *ctl)
{
	if (ctl->json)
		printf("[");
	else
		printf("%-31s %s\n", "NAME", "ADDRESS (HOST:VM:PORT)");
}

/* On the host: the name table's sysfs file. */
static int names_host(const struct ctl *ctl)
{
	char line[256], name[VMMGMT_NAME_MAX + 1];
	unsigned int h, vm, port, n = 0;
	FILE *f;

	f = fopen(HOST_SYSFS "/names", "re");
	if (!f) {
		vmmgmtctl_err(HOST_SYSFS "/names: %s: is vmmgmt_host.ko loaded?",
			      strerror(errno));
		return 1;
	}
	print_names_head(ctl);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %u %u %u", name, &h, &vm, &port) != 4)
			continue;
		print_name(ctl, name, h, vm, port, n++);
	}
	fclose(f);
	if (ctl->json)
		printf("]\n");
	return 0;
}

/* In a guest: the host's name table, page by page (ABI 0.5). */
static int names_guest(const struct ctl *ctl, const char *path)
{
	struct vmmgmt_name_list l;
	char after[VMMGMT_NAME_MAX] = "";
	unsigned int i, n = 0, page = 0;
	const struct vmmgmt_name *e;
	int fd;

	fd = open_device(path, true);
	do {
		memset(&l, 0, sizeof(l));
		memcpy(l.after, after, sizeof(l.after));
		if (ioctl(fd, VMMGMT_IOC_LIST_NAMES, &l)) {
			if (errno == EOPNOTSUPP || errno == ENOTTY) {
				vmmgmtctl_err("names: %s: %s: the %s module is older than ABI 0.5 and cannot list names",
					      path, strerror(errno),
					      errno == ENOTTY ? "guest" : "host's");
				exit(1);
			}
			fail(path, "LIST_NAMES", errno, true);
		}
		if (!page++)
			print_names_head(ctl);
		for (i = 0; i < l.count && i < VMMGMT_NAMES_PER_LIST; i++) {
			e = &l.names[i];
			print_name(ctl, (const char *)e->name, e->addr.host,
				   e->addr.vm, e->addr.port, n++);
		}
		if (!l.count)
			break;
		memcpy(after, l.names[l.count - 1].name, sizeof(after));
	} while (l.flags & VMMGMT_NAME_LIST_F_MORE);
	close(fd);
	if (ctl->json)
		printf("]\n");
	return 0;
}

int cmd_names(const struct ctl *ctl, int argc, char **argv)
{
	const char *path;
	bool host;

	(void)argv;
	if (argc != 1)
		usage_error("names takes no argument", NULL);
	path = pick_device(ctl, &host);
	return host ? names_host(ctl) : names_guest(ctl, path);
}

static const char *const host_counters[] = {
	"rx_msgs", "tx_msgs", "kicks", "notifications_sent", "drops",
	"denied", "violations",
};

static const char *const guest_counters[] = {
	"tx_msgs", "rx_msgs", "doorbells", "interrupts", "drops",
	"violations",
};

static void status_vm(const struct ctl *ctl, const char *dir, const char *name,
		      const char *const *counters, size_t nr, bool first)
{
	char id[32], state[32], val[32];
	size_t i;

	sysfs_read(dir, "vm_id", id, sizeof(id));
	sysfs_read(dir, "link_state", state, sizeof(state));
	if (ctl->json) {
		printf("%s{\"name\":", first ? "" : ",");
		json_string(name);
		printf(",\"vm_id\":%s,\"link_state\":", id[0] ? id : "null");
		json_string(state);
		for (i = 0; i < nr; i++) {
			sysfs_read(dir, counters[i], val, sizeof(val));
			printf(",\"%s\":%s", counters[i], val[0] ? val : "null");
		}
		printf("}");
		return;
	}
	printf("%-16s %5s %-7s", name, id, state);
	for (i = 0; i < nr; i++) {
		sysfs_read(dir, counters[i], val, sizeof(val));
		printf(" %12s", val);
	}
	printf("\n");
}

static void status_header(const char *const *counters, size_t nr)
{
	size_t i;

	printf("%-16s %5s %-7s", "VM", "ID", "LINK");
	for (i = 0; i < nr; i++)
		printf(" %12.12s", counters[i]);
	printf("\n");
}

int cmd_status(const struct ctl *ctl, int argc, char **argv)
{
	const size_t nh = ARRAY_SIZE(host_counters);
	const size_t ng = ARRAY_SIZE(guest_counters);
	char dir[512];
	struct dirent *de;
	bool first = true;
	DIR *d;

	(void)argv;
	if (argc != 1)
		usage_error("status takes no argument", NULL);
	d = opendir(HOST_SYSFS "/vms");
	if (!d) {
		if (access(GUEST_SYSFS "/link_state", F_OK)) {
			vmmgmtctl_err("status: neither %s nor %s exists: load a vmmgmt module",
				      HOST_SYSFS "/vms", GUEST_SYSFS);
			return 1;
		}
		if (ctl->json) {
			status_vm(ctl, GUEST_SYSFS, "self", guest_counters, ng,
				  true);
			printf("\n");
		} else {
			status_header(guest_counters, ng);
			status_vm(ctl, GUEST_SYSFS, "self", guest_counters, ng,
				  true);
		}
		return 0;
	}
	if (ctl->json)
		printf("[");
	else
		status_header(host_counters, nh);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), HOST_SYSFS "/vms/%s", de->d_name);
		status_vm(ctl, dir, de->d_name, host_counters, nh, first);
		first = false;
	}
	closedir(d);
	if (ctl->json)
		printf("]\n");
	return 0;
}
