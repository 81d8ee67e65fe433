// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd_ctl_fuzz - libFuzzer target for vmmgmtd's control socket: the
 * bytes a client writes are read as vmmgmtd reads them
 * (vmmgmtd_ctl_read(), one byte at a time up to the newline, here from a
 * memfd instead of the socket) and parsed (vmmgmtd_ctl_parse(), with
 * config.c's checks of names, ids, sizes and vector counts):
 * tools/vmmgmtd/ctl_parse.c and config.c built as they are.
 *
 * The messages vmmgmtd gets from QEMU need no target: on a VM's socket
 * it reads and ignores whatever QEMU sends (vm.c), and from a kick
 * eventfd only the kernel's 8-byte counter (doorbell.c).
 *
 * It crashes on an access out of bounds (ASan), on undefined behaviour
 * (UBSan), and when the result differs from a model of the grammar of
 * Documentation/vmmgmtd.rst ("The control socket", and the bounds of
 * names, ids, sizes and vectors under "Options") written out again here
 * with its own limits: a request taken that the grammar refuses, one
 * refused that it allows or with the wrong errno, or parsed into other
 * values.
 */

#include <sys/mman.h>
#include <unistd.h>

#include "vmmgmtd.h"

#include "parse_fuzz.h"

/* Documentation/vmmgmtd.rst. */
#define M_LINE_MAX	510		/* 511 bytes with the newline */
#define M_WORDS_MAX	8
#define M_NAME_MAX	31
#define M_ID_MAX	65535
#define M_VECTORS_MAX	64
#define M_SIZE_MIN	(64ULL * 1024)
#define M_SIZE_MAX	(64ULL * 1024 * 1024)

/* config.c calls these outside the parsing; never here. */
void vmmgmtd_vm_init(struct vmmgmtd_vm *vm)
{
	(void)vm;
	FUZZ_ASSERT(!"config.c made a slot");
}

const struct vmmgmt_host_vm_info *
vmmgmtd_module_find(const struct vmmgmtd_module_vms *list, const char *name,
		    unsigned int id)
{
	(void)list;
	(void)name;
	(void)id;
	FUZZ_ASSERT(!"config.c asked the module");
	return NULL;
}

struct model {
	int read;		/* 1 a line, 0 nothing (a probe), -EMSGSIZE */
	int ret;		/* for a line: 0, -E2BIG or -EINVAL */
	int op;
	char name[600];
	bool id_given, size_given, vectors_given;
	__u64 id, size, vectors;
	char path[600];		/* upgrade: the rest of the line */
	__u64 wait_s;
};

/* A decimal number of at least one digit, saturated at 2^64 - 1. */
static bool model_number(const char *s, size_t len, __u64 *v)
{
	size_t i;

	if (!len)
		return false;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (*v > (~0ULL - 9) / 10)
			*v = ~0ULL;
		else
			*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool model_vm_name(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > M_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* KEY=VALUE of "vm add". */
static bool model_setting(struct model *m, const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t klen, vlen;
	const char *val;
	__u64 v, mul = 1;

	if (!eq || eq == w)
		return false;
	klen = eq - w;
	val = eq + 1;
	vlen = len - klen - 1;
	if (klen == 2 && !memcmp(w, "id", 2)) {
		if (m->id_given || !model_number(val, vlen, &v) || v < 1 ||
		    v > M_ID_MAX)
			return false;
		m->id_given = true;
		m->id = v;
		return true;
	}
	if (klen == 7 && !memcmp(w, "vectors", 7)) {
		if (m->vectors_given || !model_number(val, vlen, &v) || v < 1 ||
		    v > M_VECTORS_MAX)
			return false;
		m->vectors_given = true;
		m->vectors = v;
		return true;
	}
	if (klen == 4 && !memcmp(w, "size", 4)) {
		if (m->size_given || !vlen)
			return false;
		/* K or M: powers of 1024 (the code takes k and m too). */
		if (val[vlen - 1] == 'K' || val[vlen - 1] == 'k')
			mul = 1024;
		else if (val[vlen - 1] == 'M' || val[vlen - 1] == 'm')
			mul = 1024 * 1024;
		if (!model_number(val, mul == 1 ? vlen : vlen - 1, &v) ||
		    v > M_SIZE_MAX / mul)
			return false;
		v *= mul;
		if (v < M_SIZE_MIN || (v & (v - 1)))
			return false;
		m->size_given = true;
		m->size = v;
		return true;
	}
	return false;
}

/*
 * "upgrade wait=SECS PATH" (vmmgmtd.rst): SECS decimal, 1..3600, then
 * one blank, then an absolute PATH that is the rest of the line, blanks
 * and all.
 */
static void model_upgrade(const char *s, size_t len, struct model *m)
{
	size_t i = 5, d;

	m->ret = -EINVAL;
	if (len < 5 || memcmp(s, "wait=", 5))
		return;
	for (d = i; d < len && s[d] >= '0' && s[d] <= '9'; d++)
		;
	if (d == i || !model_number(s + i, d - i, &m->wait_s) ||
	    m->wait_s < 1 || m->wait_s > 3600)
		return;
	if (d + 1 >= len || s[d] != ' ' || s[d + 1] != '/')
		return;
	memcpy(m->path, s + d + 1, len - d - 1);
	m->path[len - d - 1] = '\0';
	m->ret = 0;
	m->op = VMMGMTD_CTL_UPGRADE;
}

static void model(const __u8 *in, size_t size, struct model *m)
{
	const char *w[M_WORDS_MAX];
	size_t wl[M_WORDS_MAX], len, i, n = 0;
	const char *line = (const char *)in;
	const __u8 *nl;

	memset(m, 0, sizeof(*m));
	if (!size)
		return;		/* a probe */
	nl = memchr(in, '\n', size);
	len = nl ? (size_t)(nl - in) : size;
	if (len > M_LINE_MAX) {
		m->read = -EMSGSIZE;
		return;
	}
	m->read = 1;
	/* A NUL ends the request where it is. */
	len = strnlen(line, len);

	if (len >= 8 && !memcmp(line, "upgrade ", 8)) {
		model_upgrade(line + 8, len - 8, m);
		return;
	}
	/* Words: separated by blanks and tabs. */
	for (i = 0; i < len; ) {
		if (line[i] == ' ' || line[i] == '\t') {
			i++;
			continue;
		}
		if (n == M_WORDS_MAX) {
			m->ret = -E2BIG;
			return;
		}
		w[n] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		wl[n] = line + i - w[n];
		n++;
	}

	m->ret = -EINVAL;
	if (n < 2 || wl[0] != 2 || memcmp(w[0], "vm", 2))
		return;
	if (wl[1] == 4 && !memcmp(w[1], "list", 4) && n == 2) {
		m->ret = 0;
		m->op = VMMGMTD_CTL_LIST;
	} else if (wl[1] == 3 && !memcmp(w[1], "del", 3) && n == 3) {
		m->ret = 0;
		m->op = VMMGMTD_CTL_DEL;
		memcpy(m->name, w[2], wl[2]);
	} else if (wl[1] == 3 && !memcmp(w[1], "add", 3) && n >= 3 &&
		   model_vm_name(w[2], wl[2])) {
		for (i = 3; i < n; i++)
			if (!model_setting(m, w[i], wl[i]))
				return;
		m->ret = 0;
		m->op = VMMGMTD_CTL_ADD;
		memcpy(m->name, w[2], wl[2]);
	}
}

int fuzz_one_input(const __u8 *data, size_t size);

int fuzz_one_input(const __u8 *data, size_t size)
{
	static int fd = -1;
	char line[VMMGMTD_CTL_LINE_MAX], err[VMMGMTD_ERR_MAX];
	struct vmmgmtd_ctl_req r;
	struct model m;
	int ret;

	if (size > 4096)
		return 0;
	if (fd < 0)
		fd = memfd_create("vmmgmtd_ctl_fuzz", MFD_CLOEXEC);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(!ftruncate(fd, 0));
	FUZZ_ASSERT(pwrite(fd, data, size, 0) == (ssize_t)size);
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);

	model(data, size, &m);
	ret = vmmgmtd_ctl_read(fd, line, sizeof(line));
	if (ret != m.read)
		fprintf(stderr, "vmmgmtd_ctl_fuzz: read %d, the model %d\n", ret,
			m.read);
	FUZZ_ASSERT(ret == m.read);
	if (ret != 1)
		return 0;

	err[0] = '\0';
	ret = vmmgmtd_ctl_parse(line, &r, err, sizeof(err));
	if (ret != m.ret)
		fprintf(stderr, "vmmgmtd_ctl_fuzz: parsed %d (%s), the model %d\n",
			ret, err, m.ret);
	FUZZ_ASSERT(ret == m.ret);
	if (ret) {
		FUZZ_ASSERT(err[0] && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	FUZZ_ASSERT((int)r.op == m.op);
	if (r.op == VMMGMTD_CTL_LIST)
		return 0;
	if (r.op == VMMGMTD_CTL_UPGRADE) {
		FUZZ_ASSERT(!strcmp(r.path, m.path) && r.wait_s == m.wait_s);
		return 0;
	}
	FUZZ_ASSERT(!strcmp(r.name, m.name));
	FUZZ_ASSERT(r.id_given == m.id_given && r.size_given == m.size_given &&
		    r.vectors_given == m.vectors_given);
	FUZZ_ASSERT(!r.id_given || r.id == m.id);
	FUZZ_ASSERT(!r.size_given || r.size == m.size);
	FUZZ_ASSERT(!r.vectors_given || r.vectors == m.vectors);
	return 0;
}
