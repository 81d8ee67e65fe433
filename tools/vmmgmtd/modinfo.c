// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: the .modinfo section of a kernel module file, for "upgrade"
 * (upgrade.c) to check a module before anything stops.  Reads the ELF
 * header, the section headers and the section name table with pread(),
 * then the .modinfo section alone: never the whole file.  Only 64-bit
 * little-endian relocatable ELF (x86-64, arm64 modules) is taken; every
 * offset and size is checked against the file's size.  A compressed module
 * (.ko.xz, .ko.zst, .ko.gz) is recognised by its magic and refused.
 *
 * Calls libc only (tools/tests/vmmgmtd_modinfo_test.c builds this file on
 * its own, with tools/include); it prints nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/elf.h>

#include "modinfo.h"
#include "vmmgmt_user.h"

/* Largest section name table we read. */
#define VMMGMTD_SHSTRTAB_MAX	(1024 * 1024)

/* The magic numbers of the compressions kmod loads. */
static const struct {
	const char *magic;
	size_t len;
} vmmgmtd_compressed[] = {
	{ "\3757zXZ\0", 6 },		/* xz: fd 37 7a 58 5a 00 */
	{ "\x28\xb5\x2f\xfd", 4 },	/* zstd */
	{ "\x1f\x8b", 2 },		/* gzip */
};

/* All of @len bytes at @off.  Return: 0, -ENOEXEC (short), or -errno. */
static int vmmgmtd_pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOEXEC;
		done += n;
	}
	return 0;
}

/* Is [@off, @off + @size) inside a file of @file_size bytes? */
static bool vmmgmtd_in_file(uint64_t off, uint64_t size, uint64_t file_size)
{
	return off <= file_size && size <= file_size - off;
}

/* The first bytes: compressed, not ELF, or not 64-bit little-endian. */
static int vmmgmtd_check_ident(const unsigned char *ident, size_t n, char *err,
			       size_t errlen)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmmgmtd_compressed); i++) {
		if (n >= vmmgmtd_compressed[i].len &&
		    !memcmp(ident, vmmgmtd_compressed[i].magic, vmmgmtd_compressed[i].len)) {
			snprintf(err, errlen, "compressed module: decompress it first");
			return -ENOEXEC;
		}
	}
	if (n < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "not an ELF file (not a kernel module)");
		return -ENOEXEC;
	}
	if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB ||
	    ident[EI_VERSION] != EV_CURRENT) {
		snprintf(err, errlen, "not a 64-bit little-endian ELF file (class %u, data %u)",
			 ident[EI_CLASS], ident[EI_DATA]);
		return -ENOEXEC;
	}
	return 0;
}

/* The ELF header of @fd, checked.  Return: 0, or -errno with @err set. */
static int vmmgmtd_read_ehdr(int fd, uint64_t file_size, struct elf64_hdr *eh,
			     char *err, size_t errlen)
{
	size_t n = file_size < sizeof(*eh) ? file_size : sizeof(*eh);
	int ret;

	/* A short file may still be a compressed module: look at it first. */
	ret = vmmgmtd_pread_all(fd, eh, n, 0);
	if (ret) {
		snprintf(err, errlen, "reading the ELF header: %s", strerror(-ret));
		return ret;
	}
	ret = vmmgmtd_check_ident(eh->e_ident, n, err, errlen);
	if (ret)
		return ret;
	if (n < sizeof(*eh)) {
		snprintf(err, errlen, "truncated ELF file");
		return -ENOEXEC;
	}
	if (eh->e_type != ET_REL) {
		snprintf(err, errlen, "ELF type %u, not a relocatable object (not a kernel module)",
			 eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_shentsize != sizeof(struct elf64_shdr) || !eh->e_shnum ||
	    eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum ||
	    !vmmgmtd_in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr),
			     file_size)) {
		snprintf(err, errlen, "bad ELF section header table");
		return -ENOEXEC;
	}
	return 0;
}

/*
 * @size bytes of the section @sh into a new buffer with one NUL added
 * (*@out).  Return: 0, or -errno with @err set.
 */
static int vmmgmtd_read_section(int fd, uint64_t file_size, const struct elf64_shdr *sh,
				size_t max, const char *what, char **out,
				char *err, size_t errlen)
{
	char *buf;
	int ret;

	if (sh->sh_type == SHT_NOBITS ||
	    !vmmgmtd_in_file(sh->sh_offset, sh->sh_size, file_size)) {
		snprintf(err, errlen, "bad ELF section %s (offset %llu, %llu bytes)",
			 what, (unsigned long long)sh->sh_offset,
			 (unsigned long long)sh->sh_size);
		return -ENOEXEC;
	}
	if (sh->sh_size > max) {
		snprintf(err, errlen, "ELF section %s of %llu bytes: more than %zu",
			 what, (unsigned long long)sh->sh_size, max);
		return -EFBIG;
	}
	buf = malloc(sh->sh_size + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = vmmgmtd_pread_all(fd, buf, sh->sh_size, sh->sh_offset);
	if (ret) {
		snprintf(err, errlen, "reading ELF section %s: %s", what,
			 strerror(-ret));
		free(buf);
		return ret;
	}
	buf[sh->sh_size] = '\0';
	*out = buf;
	return 0;
}

/*
 * The index of the section called @name (-1: none), by the name table
 * @names of @names_len bytes (NUL added).
 */
static int vmmgmtd_find_section(const struct elf64_shdr *shdrs, unsigned int nr,
				const char *names, size_t names_len,
				const char *name)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (shdrs[i].sh_name < names_len &&
		    !strcmp(names + shdrs[i].sh_name, name))
			return i;
	return -1;
}

/*
 * vmmgmtd_modinfo_read() - the .modinfo section of the module file @fd.
 * On success @mi holds it (free it with vmmgmtd_modinfo_free()).
 * Return: 0; -ENOEXEC (not a 64-bit little-endian kernel module, or
 * compressed), -EFBIG, -ENOMEM or a read's -errno, with @err set.
 */
int vmmgmtd_modinfo_read(int fd, struct vmmgmtd_modinfo *mi, char *err,
			 size_t errlen)
{
	struct elf64_shdr *shdrs = NULL;
	char *names = NULL;
	struct elf64_hdr eh;
	struct stat st;
	int idx, ret;

	mi->buf = NULL;
	mi->len = 0;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return ret;
	}
	ret = vmmgmtd_read_ehdr(fd, st.st_size, &eh, err, errlen);
	if (ret)
		return ret;
	shdrs = calloc(eh.e_shnum, sizeof(*shdrs));
	if (!shdrs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = vmmgmtd_pread_all(fd, shdrs, eh.e_shnum * sizeof(*shdrs), eh.e_shoff);
	if (ret) {
		snprintf(err, errlen, "reading the ELF section headers: %s",
			 strerror(-ret));
		goto out;
	}
	ret = vmmgmtd_read_section(fd, st.st_size, &shdrs[eh.e_shstrndx],
				   VMMGMTD_SHSTRTAB_MAX, "name table", &names,
				   err, errlen);
	if (ret)
		goto out;
	idx = vmmgmtd_find_section(shdrs, eh.e_shnum, names,
				   shdrs[eh.e_shstrndx].sh_size, ".modinfo");
	if (idx < 0) {
		snprintf(err, errlen, "no .modinfo section (not a kernel module)");
		ret = -ENOEXEC;
		goto out;
	}
	ret = vmmgmtd_read_section(fd, st.st_size, &shdrs[idx],
				   VMMGMTD_MODINFO_MAX, ".modinfo", &mi->buf,
				   err, errlen);
	if (!ret)
		mi->len = shdrs[idx].sh_size;
out:
	free(names);
	free(shdrs);
	return ret;
}

/*
 * vmmgmtd_modinfo_get() - the value of the first "@key=value" string of
 * @mi (strings are NUL-separated; runs of NULs, the padding between them,
 * are skipped).
 * Return: the value (inside @mi), or NULL when there is no @key.
 */
const char *vmmgmtd_modinfo_get(const struct vmmgmtd_modinfo *mi,
				const char *key)
{
	size_t klen = strlen(key), off = 0, n;
	const char *s;

	while (off < mi->len) {
		s = mi->buf + off;
		n = strlen(s);	/* mi->buf[mi->len] is a NUL */
		if (n > klen && !strncmp(s, key, klen) && s[klen] == '=')
			return s + klen + 1;
		off += n + 1;
	}
	return NULL;
}

/* vmmgmtd_modinfo_free() - free what vmmgmtd_modinfo_read() filled in. */
void vmmgmtd_modinfo_free(struct vmmgmtd_modinfo *mi)
{
	free(mi->buf);
	mi->buf = NULL;
	mi->len = 0;
}
