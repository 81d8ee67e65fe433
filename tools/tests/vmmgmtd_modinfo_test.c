// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd_modinfo_test: unit test of vmmgmtd's .modinfo reader
 * (tools/vmmgmtd/modinfo.c, built in), on the build machine, no module
 * loaded.  Synthetic ELF files in memfds, one broken in each way the
 * reader must refuse, then every real module named on the command line
 * (make -C tools test passes the newest 6.12 build of host-kmod/
 * vmmgmt_host.ko, see tools/Makefile): it must say name=vmmgmt_host, a vermagic, and
 * vmmgmt_handover=N with N >= 1 (the host module's handover tag, which
 * "vmmgmtctl upgrade" checks before it stops anything).
 *
 * Prints TAP; exit 0 only when every case passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/elf.h>

#include "../vmmgmtd/modinfo.h"

static unsigned int tests, failures;

static void check(bool ok, const char *what, const char *detail)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %u - %s%s%s\n", ok ? "" : "not ", tests, what,
	       detail && detail[0] ? ": " : "", detail ? detail : "");
}

/* How to break the synthetic module. */
enum fault {
	F_NONE, F_XZ, F_ZSTD, F_GZIP, F_NOT_ELF, F_CLASS32, F_BIG_ENDIAN,
	F_EXEC, F_SHDRS_PAST_END, F_MODINFO_PAST_END, F_NO_MODINFO,
	F_TRUNCATED, F_NAME_PAST_TABLE, F_NOBITS, F_EMPTY,
};

/*
 * A relocatable ELF64 LE file in a memfd: header, .modinfo (@modinfo of
 * @len bytes), the section name table, then the section headers (null,
 * .modinfo, .shstrtab), broken as @fault says.  Return: its fd.
 */
static int synth(const char *modinfo, size_t len, enum fault fault)
{
	static const char names[] = "\0.modinfo\0.shstrtab\0.other";
	size_t mi_off = sizeof(struct elf64_hdr), names_off = mi_off + len;
	size_t sh_off = names_off + sizeof(names), total;
	struct elf64_shdr sh[3];
	struct elf64_hdr eh;
	char *file;
	int fd;

	memset(sh, 0, sizeof(sh));
	memset(&eh, 0, sizeof(eh));

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = sh_off;
	eh.e_shentsize = sizeof(struct elf64_shdr);
	eh.e_shnum = 3;
	eh.e_shstrndx = 2;
	sh[1].sh_name = 1;
	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_offset = mi_off;
	sh[1].sh_size = len;
	sh[2].sh_name = 10;
	sh[2].sh_type = SHT_STRTAB;
	sh[2].sh_offset = names_off;
	sh[2].sh_size = sizeof(names);

	switch (fault) {
	case F_CLASS32:
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		break;
	case F_BIG_ENDIAN:
		eh.e_ident[EI_DATA] = ELFDATA2MSB;
		break;
	case F_EXEC:
		eh.e_type = ET_EXEC;
		break;
	case F_SHDRS_PAST_END:
		eh.e_shoff = sh_off + 8;
		break;
	case F_MODINFO_PAST_END:
		sh[1].sh_size = 1ull << 40;
		break;
	case F_NO_MODINFO:
		sh[1].sh_name = 20;	/* ".other" */
		break;
	case F_NAME_PAST_TABLE:
		sh[1].sh_name = 4096;
		break;
	case F_NOBITS:
		sh[1].sh_type = SHT_NOBITS;
		break;
	default:
		break;
	}

	total = sh_off + sizeof(sh);
	file = calloc(1, total);
	if (!file)
		exit(1);
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + mi_off, modinfo, len);
	memcpy(file + names_off, names, sizeof(names));
	memcpy(file + sh_off, sh, sizeof(sh));
	if (fault == F_XZ)
		memcpy(file, "\3757zXZ\0", 6);	/* fd 37 7a 58 5a 00 */
	if (fault == F_ZSTD)
		memcpy(file, "\x28\xb5\x2f\xfd", 4);
	if (fault == F_GZIP)
		memcpy(file, "\x1f\x8b\x08", 3);
	if (fault == F_NOT_ELF)
		memcpy(file, "#!/bin/sh\n", 10);
	if (fault == F_TRUNCATED)
		total = 40;
	if (fault == F_EMPTY)
		total = 0;

	fd = memfd_create("modinfo-test", MFD_CLOEXEC);
	if (fd < 0 || write(fd, file, total) != (ssize_t)total) {
		perror("memfd");
		exit(1);
	}
	free(file);
	return fd;
}

static const char good[] =
	"license=GPL\0\0\0name=vmmgmt_host\0names=not this\0"
	"vermagic=6.12.118+deb12-cloud-amd64 SMP preempt mod_unload modversions \0"
	"vmmgmt_handover=1\0empty=\0last=no NUL";

static void test_good(void)
{
	struct vmmgmtd_modinfo mi;
	char err[256] = "";
	const char *v;
	int fd = synth(good, sizeof(good) - 1, F_NONE), ret;

	ret = vmmgmtd_modinfo_read(fd, &mi, err, sizeof(err));
	check(ret == 0, "good module: read", err);
	if (ret) {
		close(fd);
		return;
	}
	v = vmmgmtd_modinfo_get(&mi, "name");
	check(v && !strcmp(v, "vmmgmt_host"), "name= (not names=)", v);
	v = vmmgmtd_modinfo_get(&mi, "vermagic");
	check(v && !strncmp(v, "6.12.118+deb12-cloud-amd64 ", 27), "vermagic=", v);
	v = vmmgmtd_modinfo_get(&mi, "vmmgmt_handover");
	check(v && !strcmp(v, "1"), "vmmgmt_handover=", v);
	v = vmmgmtd_modinfo_get(&mi, "empty");
	check(v && !v[0], "an empty value", v);
	v = vmmgmtd_modinfo_get(&mi, "last");
	check(v && !strcmp(v, "no NUL"), "the last string without its NUL", v);
	check(!vmmgmtd_modinfo_get(&mi, "vermagic=6"), "no such key", NULL);
	check(!vmmgmtd_modinfo_get(&mi, "nam"), "a key's prefix is not the key", NULL);
	vmmgmtd_modinfo_free(&mi);
	close(fd);
}

/* @fault must fail with -@errnum and a message that contains @msg. */
static void test_refused(enum fault fault, int errnum, const char *msg,
			 const char *what)
{
	struct vmmgmtd_modinfo mi;
	char err[256] = "", detail[320];
	int fd = synth(good, sizeof(good) - 1, fault), ret;

	ret = vmmgmtd_modinfo_read(fd, &mi, err, sizeof(err));
	snprintf(detail, sizeof(detail), "%d, '%s'", ret, err);
	check(ret == -errnum && strstr(err, msg) && !mi.buf, what, detail);
	if (!ret)
		vmmgmtd_modinfo_free(&mi);
	close(fd);
}

/* A real module: name, vermagic, and the handover tag. */
static void test_module(const char *path)
{
	struct vmmgmtd_modinfo mi;
	char err[256] = "", what[512];
	const char *v;
	char *end;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(what, sizeof(what), "%s: open", path);
	check(fd >= 0, what, fd < 0 ? strerror(errno) : NULL);
	if (fd < 0)
		return;
	ret = vmmgmtd_modinfo_read(fd, &mi, err, sizeof(err));
	snprintf(what, sizeof(what), "%s: .modinfo read", path);
	check(ret == 0, what, err);
	close(fd);
	if (ret)
		return;
	v = vmmgmtd_modinfo_get(&mi, "name");
	snprintf(what, sizeof(what), "%s: name=vmmgmt_host", path);
	check(v && !strcmp(v, "vmmgmt_host"), what, v);
	v = vmmgmtd_modinfo_get(&mi, "vermagic");
	snprintf(what, sizeof(what), "%s: vermagic=", path);
	check(v && v[0] && v[0] != ' ', what, v);
	v = vmmgmtd_modinfo_get(&mi, "vmmgmt_handover");
	snprintf(what, sizeof(what), "%s: vmmgmt_handover=N, N >= 1", path);
	check(v && v[0] >= '1' && v[0] <= '9' && strtoul(v, &end, 10) >= 1 &&
	      !*end, what, v ? v : "missing (MODULE_INFO(vmmgmt_handover, ...))");
	vmmgmtd_modinfo_free(&mi);
}

int main(int argc, char **argv)
{
	int i;

	printf("TAP version 13\n");
	test_good();
	test_refused(F_XZ, ENOEXEC, "compressed module", "xz is refused");
	test_refused(F_ZSTD, ENOEXEC, "compressed module", "zstd is refused");
	test_refused(F_GZIP, ENOEXEC, "compressed module", "gzip is refused");
	test_refused(F_NOT_ELF, ENOEXEC, "not an ELF file", "not ELF");
	test_refused(F_EMPTY, ENOEXEC, "not an ELF file", "an empty file");
	test_refused(F_CLASS32, ENOEXEC, "64-bit little-endian", "32-bit ELF");
	test_refused(F_BIG_ENDIAN, ENOEXEC, "64-bit little-endian", "big-endian ELF");
	test_refused(F_EXEC, ENOEXEC, "not a relocatable", "an executable");
	test_refused(F_TRUNCATED, ENOEXEC, "truncated", "a truncated header");
	test_refused(F_SHDRS_PAST_END, ENOEXEC, "section header table",
		     "section headers past the end");
	test_refused(F_MODINFO_PAST_END, ENOEXEC, "bad ELF section .modinfo",
		     ".modinfo past the end");
	test_refused(F_NOBITS, ENOEXEC, "bad ELF section .modinfo",
		     ".modinfo without bytes (NOBITS)");
	test_refused(F_NO_MODINFO, ENOEXEC, "no .modinfo", "no .modinfo");
	test_refused(F_NAME_PAST_TABLE, ENOEXEC, "no .modinfo",
		     "a section name past the name table");
	for (i = 1; i < argc; i++)
		test_module(argv[i]);
	printf("1..%u\n# %u passed, %u failed\n", tests, tests - failures, failures);
	return failures ? 1 : 0;
}
