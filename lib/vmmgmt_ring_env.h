/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt ring: what differs between the kernel and userspace.
 *
 * lib/vmmgmt_ring.c is compiled into both kernel modules, into the KUnit
 * suite and, in userspace, into the fuzzer.  This header is the only place
 * that knows which: in the kernel it takes the fixed-width types, the
 * one-time accessors and the barriers from the kernel's headers; elsewhere
 * it defines the same names with the compiler's __atomic builtins, which
 * give the same guarantees (a single access of the natural size, acquire
 * and release ordering, a full fence).
 */
#ifndef _VMMGMT_RING_ENV_H
#define _VMMGMT_RING_ENV_H

#ifdef __KERNEL__

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>

#else /* !__KERNEL__ */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;

/* One access of the object's own size that the compiler may not tear. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
/* Later accesses stay after the load, as in the kernel. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* Earlier accesses stay before the store, as in the kernel. */
#define smp_store_release(p, val) \
	__atomic_store_n((p), (val), __ATOMIC_RELEASE)
/* A full fence: orders earlier stores before later loads, too. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
/* Compiler only: memory may have changed behind the compiler's back. */
#define barrier()		__atomic_signal_fence(__ATOMIC_SEQ_CST)

#endif /* __KERNEL__ */

#endif /* _VMMGMT_RING_ENV_H */
