// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: the VM slots and where they come from: the command line
 * (NAME[=ID], parsed in main.c with the checks here), the configuration
 * directory (one NAME.conf per VM: id=N, size=S[K|M], vectors=N, and the
 * file service's files* keys, checked by files.c) and the control socket
 * (ctl.c: vm add).  The checks return false with a message
 * in the caller's buffer; the callers decide whether that ends the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmgmtd.h"

/* Parse a decimal number; false on junk, sign or overflow. */
static bool vmmgmtd_parse_u64(const char *s, __u64 *val, char **end)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno)
		return false;
	*val = v;
	return true;
}

bool vmmgmtd_parse_size(const char *arg, __u64 *size, char *err, size_t len)
{
	__u64 v, shift = 0;
	char *end;

	if (!vmmgmtd_parse_u64(arg, &v, &end))
		goto bad;
	if ((end[0] == 'K' || end[0] == 'k') && !end[1])
		shift = 10;
	else if ((end[0] == 'M' || end[0] == 'm') && !end[1])
		shift = 20;
	else if (end[0])
		goto bad;
	if (v > (VMMGMT_REGION_MAX_SIZE >> shift))
		goto bad;
	v <<= shift;
	if (v < VMMGMT_REGION_MIN_SIZE || (v & (v - 1)))
		goto bad;
	*size = v;
	return true;
bad:
	snprintf(err, len, "bad size '%s': must be a power of two from %lluK to %lluM",
		 arg, (unsigned long long)(VMMGMT_REGION_MIN_SIZE >> 10),
		 (unsigned long long)(VMMGMT_REGION_MAX_SIZE >> 20));
	return false;
}

bool vmmgmtd_parse_vectors(const char *arg, unsigned int *n, char *err,
			   size_t len)
{
	__u64 v;
	char *end;

	if (!vmmgmtd_parse_u64(arg, &v, &end) || *end || v < 1 ||
	    v > VMMGMTD_VECTORS_MAX) {
		snprintf(err, len, "bad vector count '%s': must be 1..%u", arg,
			 VMMGMTD_VECTORS_MAX);
		return false;
	}
	*n = v;
	return true;
}

bool vmmgmtd_parse_id(const char *arg, const char *name, unsigned int *id,
		      char *err, size_t len)
{
	__u64 v;
	char *end;

	if (!vmmgmtd_parse_u64(arg, &v, &end) || *end || v < 1 ||
	    v > VMMGMT_VM_ID_MAX) {
		snprintf(err, len, "bad VM id '%s' for %s: must be 1..%u (0 is the host)",
			 arg, name, VMMGMT_VM_ID_MAX);
		return false;
	}
	*id = v;
	return true;
}

/* The first @len characters of @name: 1..31 of [A-Za-z0-9_-]. */
bool vmmgmtd_check_name(const char *name, size_t len, char *err,
			size_t errlen)
{
	size_t i;

	if (len < 1 || len > VMMGMT_NAME_MAX - 1) {
		snprintf(err, errlen, "bad VM name '%.*s': must be 1..%u characters",
			 (int)len, name, VMMGMT_NAME_MAX - 1);
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			snprintf(err, errlen,
				 "bad VM name '%.*s': only A-Z a-z 0-9 _ - are allowed",
				 (int)len, name);
			return false;
		}
	}
	return true;
}

/* One KEY=VALUE of a config file or a "vm add" request. */
bool vmmgmtd_vm_setting(struct vmmgmtd_vm *vm, const char *key,
			const char *val, char *err, size_t len)
{
	if (!strcmp(key, "id")) {
		if (!vmmgmtd_parse_id(val, vm->name, &vm->id, err, len))
			return false;
		vm->id_given = true;
		return true;
	}
	if (!strcmp(key, "size"))
		return vmmgmtd_parse_size(val, &vm->region_size, err, len);
	if (!strcmp(key, "vectors"))
		return vmmgmtd_parse_vectors(val, &vm->vectors, err, len);
	if (!strncmp(key, "files", 5))
		return vmmgmtd_files_setting(&vm->files, key, val, err, len);
	snprintf(err, len, "unknown setting '%s' (id, size, vectors, files...)", key);
	return false;
}

/* A new slot named @name with the daemon's defaults; NULL without memory. */
struct vmmgmtd_vm *vmmgmtd_vm_new(const struct vmmgmtd *d, const char *name)
{
	struct vmmgmtd_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vmmgmtd_vm_init(vm);
	vmmgmtd_files_conf_init(&vm->files);
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->region_size = d->region_size;
	vm->vectors = d->vectors;
	vm->origin = "command line";
	return vm;
}

/* Append @vm to the slots; 0 or -ENOMEM. */
int vmmgmtd_vm_add(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	struct vmmgmtd_vm **vms;

	vms = realloc(d->vms, (d->nr_vms + 1) * sizeof(*vms));
	if (!vms)
		return -ENOMEM;
	d->vms = vms;
	d->vms[d->nr_vms++] = vm;
	return 0;
}

/* Take @vm out of the slots and free it; its fds must be closed. */
void vmmgmtd_vm_remove(struct vmmgmtd *d, struct vmmgmtd_vm *vm)
{
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i] != vm)
			continue;
		memmove(&d->vms[i], &d->vms[i + 1],
			(d->nr_vms - i - 1) * sizeof(d->vms[0]));
		d->nr_vms--;
		break;
	}
	vmmgmtd_files_unref(vm->files_export);
	free(vm->files.dir);
	free(vm);
}

struct vmmgmtd_vm *vmmgmtd_find_name(const struct vmmgmtd *d,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++)
		if (!strcmp(d->vms[i]->name, name))
			return d->vms[i];
	return NULL;
}

/* Only slots whose id is decided (given, or assigned already). */
struct vmmgmtd_vm *vmmgmtd_find_id(const struct vmmgmtd *d, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++)
		if (d->vms[i]->id_given && d->vms[i]->id == id)
			return d->vms[i];
	return NULL;
}

/*
 * The lowest id that no slot has and, with @list, that the module has not
 * registered either; 0 when all are taken.
 */
unsigned int vmmgmtd_free_id(const struct vmmgmtd *d,
			     const struct vmmgmtd_module_vms *list)
{
	unsigned int id, i;

	for (id = 1; id <= VMMGMT_VM_ID_MAX; id++) {
		if (vmmgmtd_find_id(d, id))
			continue;
		for (i = 0; list && i < list->nr; i++)
			if (list->vms[i].vm_id == id)
				break;
		if (!list || i == list->nr)
			return id;
	}
	return 0;
}

/* A configuration error: one line on stderr, exit 2. */
#define vmmgmtd_config_error(fmt, ...) do { \
	vmmgmtd_info(fmt, ##__VA_ARGS__); \
	exit(VMMGMTD_EXIT_USAGE); \
} while (0)

static char *vmmgmtd_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* The keys of NAME.conf, each allowed once. */
static const char * const vmmgmtd_conf_keys[] = {
	"id", "size", "vectors", "files", "files_dir", "files_links",
	"files_quota", "files_max_open", "files_max_transfers",
};

/* Read @path, the configuration of VM @name, into @vm; exits on errors. */
static void vmmgmtd_load_file(const char *path, struct vmmgmtd_vm *vm)
{
	char *line = NULL, *key, *val, *eq, *hash, err[VMMGMTD_ERR_MAX];
	unsigned int lineno = 0, seen = 0, k;
	size_t cap = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		vmmgmtd_config_error("%s: %m", path);
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = vmmgmtd_trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			vmmgmtd_config_error("%s:%u: expected KEY=VALUE, got '%s'",
					     path, lineno, key);
		*eq = '\0';
		val = vmmgmtd_trim(eq + 1);
		key = vmmgmtd_trim(key);
		for (k = 0; k < ARRAY_SIZE(vmmgmtd_conf_keys); k++)
			if (!strcmp(key, vmmgmtd_conf_keys[k]))
				break;
		if (k < ARRAY_SIZE(vmmgmtd_conf_keys) && seen & (1u << k))
			vmmgmtd_config_error("%s:%u: '%s' set twice", path, lineno,
					     key);
		if (!vmmgmtd_vm_setting(vm, key, val, err, sizeof(err)))
			vmmgmtd_config_error("%s:%u: %s", path, lineno, err);
		seen |= 1u << k;
	}
	if (ferror(f))
		vmmgmtd_config_error("%s: read: %m", path);
	free(line);
	fclose(f);
}

static int vmmgmtd_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/*
 * -c DIR: one slot per DIR/NAME.conf, in name order, after those of the
 * command line.  Other files (and hidden ones) are ignored.  A missing
 * default directory is no error, a missing -c one is; every error is one
 * line naming the file (and the line) and exits 2.
 */
void vmmgmtd_load_config_dir(struct vmmgmtd *d)
{
	char **names = NULL, path[4096], err[VMMGMTD_ERR_MAX];
	unsigned int n = 0, i;
	struct vmmgmtd_vm *vm, *other;
	struct dirent *de;
	size_t len;
	DIR *dir;

	dir = opendir(d->config_dir);
	if (!dir) {
		if (errno == ENOENT && !d->config_dir_given)
			return;
		vmmgmtd_config_error("config directory %s: %m", d->config_dir);
	}
	while ((de = readdir(dir))) {
		char **more;

		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".conf"))
			continue;
		more = realloc(names, (n + 1) * sizeof(*names));
		if (!more)
			vmmgmtd_config_error("out of memory");
		names = more;
		names[n] = strdup(de->d_name);
		if (!names[n])
			vmmgmtd_config_error("out of memory");
		n++;
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), vmmgmtd_name_cmp);

	for (i = 0; i < n; i++) {
		len = strlen(names[i]) - 5;
		snprintf(path, sizeof(path), "%s/%s", d->config_dir, names[i]);
		if (!vmmgmtd_check_name(names[i], len, err, sizeof(err)))
			vmmgmtd_config_error("%s: %s", path, err);
		names[i][len] = '\0';
		other = vmmgmtd_find_name(d, names[i]);
		if (other)
			vmmgmtd_config_error("%s: duplicate VM name '%s' (also on the %s)",
					     path, names[i], other->origin);
		vm = vmmgmtd_vm_new(d, names[i]);
		if (!vm)
			vmmgmtd_config_error("out of memory");
		vm->origin = strdup(path);
		if (!vm->origin)
			vmmgmtd_config_error("out of memory");
		vmmgmtd_load_file(path, vm);
		other = vm->id_given ? vmmgmtd_find_id(d, vm->id) : NULL;
		if (other)
			vmmgmtd_config_error("%s: duplicate VM id %u (%s and %s)",
					     path, vm->id, other->name, vm->name);
		if (vmmgmtd_vm_add(d, vm))
			vmmgmtd_config_error("out of memory");
		free(names[i]);
	}
	free(names);
}

/*
 * Slots without an id: the id of the module's VM of that name if there is
 * one (@list: a VM an earlier vmmgmtd registered, to be adopted), else the
 * lowest id that neither a slot nor a VM of the module has, in order.
 */
void vmmgmtd_assign_ids(struct vmmgmtd *d, const struct vmmgmtd_module_vms *list)
{
	const struct vmmgmt_host_vm_info *info;
	unsigned int i;

	for (i = 0; i < d->nr_vms; i++) {
		struct vmmgmtd_vm *vm = d->vms[i];

		if (vm->id_given)
			continue;
		info = vmmgmtd_module_find(list, vm->name, 0);
		if (info && !vmmgmtd_find_id(d, info->vm_id))
			vm->id = info->vm_id;
		else
			vm->id = vmmgmtd_free_id(d, list);
		if (!vm->id)
			vmmgmtd_config_error("too many VMs (see vmmgmtd --help)");
		vm->id_given = true;
	}
}
