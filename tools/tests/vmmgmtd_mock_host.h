/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmtd_mock_host.c's way to libc: with -Wl,--wrap=SYM the linker sends
 * vmmgmtd's calls of SYM to __wrap_SYM (the mock) and __real_SYM to libc.
 */
#ifndef VMMGMTD_MOCK_HOST_H
#define VMMGMTD_MOCK_HOST_H

int __real_open(const char *path, int flags, ...);
int __real_close(int fd);
int __real_access(const char *path, int mode);
int __real_ioctl(int fd, unsigned long req, ...);
long __real_syscall(long nr, ...);

int __wrap_open(const char *path, int flags, ...);
int __wrap_close(int fd);
int __wrap_access(const char *path, int mode);
int __wrap_ioctl(int fd, unsigned long req, ...);
long __wrap_syscall(long nr, ...);

#endif /* VMMGMTD_MOCK_HOST_H */
