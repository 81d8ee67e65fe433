/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the host selftests: a fake VM (a sealed memfd and eventfds
 * registered with VMMGMT_HOST_IOC_ADD_VM, the guest's side of both rings
 * run with lib/vmmgmt_ring.c compiled in, as the guest module does) and
 * readers of a VM's sysfs files and of /proc; the paths, clock, sleeps
 * and sysfs readers are tools/include/vmmgmt_user.h's.  Include after
 * kselftest_harness.h.
 *
 * A zeroed &struct fake_vm holds nothing: fake_vm_fini() of it is a no-op
 * (descriptor 0 is never one of ours), so fixtures need no set-up of it.
 */
#ifndef VMMGMT_HOST_UTIL_H
#define VMMGMT_HOST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmmgmt.h>
#include <vmmgmt_user.h>

/* The guest's side of the rings: the same code as in the modules. */
#include "vmmgmt_ring.c"

#define SEALS		(F_SEAL_SHRINK | F_SEAL_GROW)

struct fake_vm {
	__u32 id;
	char name[VMMGMT_NAME_MAX];
	size_t size;
	int memfd;
	int kick[2];
	int call[2];
	struct vmmgmt_region_header *hdr;
	struct vmmgmt_ring g2h;		/* we produce */
	struct vmmgmt_ring h2g;		/* we consume */
};

static inline int open_dev(void)
{
	return open(VMMGMT_HOST_DEV, O_RDWR | O_CLOEXEC);
}

static inline bool need_skip(void)
{
	return access(VMMGMT_HOST_DEV, F_OK) && errno == ENOENT &&
	       !getenv("VMMGMT_REQUIRE_DEVICE");
}

static inline int make_region(size_t size, int seals)
{
	int fd = memfd_create("vmmgmt-test", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, size) || (seals && fcntl(fd, F_ADD_SEALS, seals))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Region, eventfds and mapping of a fake VM; not registered yet. */
static inline int fake_vm_init(struct fake_vm *f, __u32 id,
			       const char *name, size_t size)
{
	int v;

	memset(f, 0, sizeof(*f));
	f->id = id;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->size = size;
	f->memfd = make_region(size, SEALS);
	for (v = 0; v < 2; v++) {
		f->kick[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	if (f->memfd < 0 || f->kick[0] < 0 || f->kick[1] < 0 ||
	    f->call[0] < 0 || f->call[1] < 0)
		return -1;
	f->hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->memfd, 0);
	if (f->hdr == MAP_FAILED) {
		f->hdr = NULL;
		return -1;
	}
	return 0;
}

static inline void fake_vm_fini(struct fake_vm *f)
{
	int v;

	if (f->hdr)
		munmap(f->hdr, f->size);
	f->hdr = NULL;
	if (f->memfd > 0)
		close(f->memfd);
	for (v = 0; v < 2; v++) {
		if (f->kick[v] > 0)
			close(f->kick[v]);
		if (f->call[v] > 0)
			close(f->call[v]);
	}
	memset(f, 0, sizeof(*f));
}

static inline void fake_vm_req(const struct fake_vm *f,
			       struct vmmgmt_host_vm_add *r)
{
	memset(r, 0, sizeof(*r));
	r->vm_id = f->id;
	r->region_fd = f->memfd;
	r->nr_vectors = 2;
	r->kick_fds[0] = f->kick[0];
	r->kick_fds[1] = f->kick[1];
	r->call_fds[0] = f->call[0];
	r->call_fds[1] = f->call[1];
	r->qemu_pid = getpid();
	memcpy(r->name, f->name, strlen(f->name));
}

static inline int add_vm(int dev, const struct vmmgmt_host_vm_add *r)
{
	return ioctl(dev, VMMGMT_HOST_IOC_ADD_VM, r) ? -errno : 0;
}

static inline int del_vm(int dev, __u32 id)
{
	struct vmmgmt_host_vm_del d = { .vm_id = id };

	return ioctl(dev, VMMGMT_HOST_IOC_DEL_VM, &d) ? -errno : 0;
}

/* Attach the guest's side of the rings the host laid out, from index 0. */
static inline int fake_vm_attach(struct fake_vm *f)
{
	struct vmmgmt_ring_desc *d = f->hdr->rings;
	__u8 *base = (__u8 *)f->hdr;

	if (vmmgmt_ring_init(&f->g2h, (void *)(base + d[VMMGMT_RING_G2H].ctrl_offset),
			     base + d[VMMGMT_RING_G2H].data_offset,
			     d[VMMGMT_RING_G2H].data_size) ||
	    vmmgmt_ring_init(&f->h2g, (void *)(base + d[VMMGMT_RING_H2G].ctrl_offset),
			     base + d[VMMGMT_RING_H2G].data_offset,
			     d[VMMGMT_RING_H2G].data_size))
		return -EPROTO;
	vmmgmt_ring_prod_reset(&f->g2h, 0);
	vmmgmt_ring_cons_reset(&f->h2g, 0);
	return 0;
}

/* Register and attach the guest's side of the rings the host laid out. */
static inline int fake_vm_add(int dev, struct fake_vm *f)
{
	struct vmmgmt_host_vm_add r;
	int ret;

	fake_vm_req(f, &r);
	ret = add_vm(dev, &r);
	if (ret)
		return ret;
	return fake_vm_attach(f);
}

static inline void kick(int fd)
{
	__u64 one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		perror("kick");
}

/* Post one record; ring the doorbell only when the host may sleep. */
static inline int fake_post(struct fake_vm *f, const struct vmmgmt_rec *r,
			    const void *payload)
{
	int ret;

	ret = vmmgmt_ring_post(&f->g2h, r, payload);
	if (ret)
		return ret;
	if (vmmgmt_ring_need_notify(&f->g2h))
		kick(f->kick[0]);
	return 0;
}

static inline int vm_attr(const char *name, const char *attr, char *buf,
			  size_t size)
{
	char dir[256];

	snprintf(dir, sizeof(dir), VMMGMT_HOST_VMS_SYSFS "/%s", name);
	return vmmgmt_read_attr(dir, attr, buf, size);
}

static inline long long vm_attr_num(const char *name, const char *attr)
{
	char buf[64];

	if (vm_attr(name, attr, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/* Kernel threads whose name starts with @prefix. */
static inline int count_threads(const char *prefix)
{
	struct dirent *de;
	char path[300], comm[64];
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (!vmmgmt_read_text(path, comm, sizeof(comm)) &&
		    !strncmp(comm, prefix, strlen(prefix)))
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Threads named @prefix*, once none is left or @ms have passed: a
 * kthread that kthread_stop() waited for still has its /proc entry for
 * a moment (it is released after it signalled its end).
 */
static inline int count_threads_settled(const char *prefix, int ms)
{
	int n;

	while ((n = count_threads(prefix)) > 0 && ms > 0) {
		vmmgmt_sleep_ms(10);
		ms -= 10;
	}
	return n;
}

#endif /* VMMGMT_HOST_UTIL_H */
