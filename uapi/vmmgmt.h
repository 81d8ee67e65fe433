/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmgmt: the virtual management device ABI.
 *
 * One definition of everything that crosses a boundary: the layout of the
 * shared region that backs BAR2 of the ivshmem-doorbell device, and the
 * ioctls of /dev/vmmgmt-host (host) and /dev/vmmgmt (guest). Used by both
 * kernel modules, by the userspace tools and by the tests.
 *
 * Rules: fixed-width types only, explicit padding that must be zero,
 * structures grow only into their reserved space, and every size is
 * asserted at the end of this file.
 */
#ifndef _UAPI_LINUX_VMMGMT_H
#define _UAPI_LINUX_VMMGMT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * VMMGMT_MAGIC - first eight bytes of a vmmgmt region: "vmmgmt" and two
 * zero bytes, read as a little-endian 64-bit integer. The guest module
 * binds to an ivshmem device only when BAR2 starts with this value.
 */
#define VMMGMT_MAGIC			0x0000746d676d6d76ULL

/** VMMGMT_ABI_MAJOR - incompatible changes bump this; peers must match. */
#define VMMGMT_ABI_MAJOR		0
/** VMMGMT_ABI_MINOR - compatible additions bump this. */
#define VMMGMT_ABI_MINOR		5

/** VMMGMT_REGION_MIN_SIZE - smallest region a host may offer (bytes). */
#define VMMGMT_REGION_MIN_SIZE		(64ULL << 10)
/** VMMGMT_REGION_MAX_SIZE - largest region a host may offer (bytes). */
#define VMMGMT_REGION_MAX_SIZE		(64ULL << 20)
/** VMMGMT_REGION_DEFAULT_SIZE - region size vmmgmtd uses by default. */
#define VMMGMT_REGION_DEFAULT_SIZE	(1024ULL * 1024)

/**
 * VMMGMT_VECTORS_DEFAULT - interrupt vectors vmmgmtd offers per direction
 * by default (eventfds for the host peer and for the guest's own id); QEMU
 * is started with ivshmem-doorbell,vectors= of the same value.
 */
#define VMMGMT_VECTORS_DEFAULT		2

/** VMMGMT_HOST_PEER_ID - ivshmem peer id (and VM id) of the host. */
#define VMMGMT_HOST_PEER_ID		0
/** VMMGMT_VM_ID_MAX - largest VM id: ivshmem peer ids are 16 bits. */
#define VMMGMT_VM_ID_MAX		0xffff
/** VMMGMT_NAME_MAX - size of a VM name buffer, including the NUL. */
#define VMMGMT_NAME_MAX			32

/**
 * VMMGMT_F_NOTIFY_AT - (ABI 0.3) feature bit: the consumer of a ring keeps
 * &vmmgmt_ring_ctrl.notify_at up to date.  In &vmmgmt_region_header
 * .features_offered the host says that it does so for the guest-to-host
 * ring (the guest may then ring the doorbell only when its head passes
 * notify_at); in .features_accepted the guest says that it does so for the
 * host-to-guest ring (the host may then interrupt it only when its head
 * passes notify_at).  Without the bit the peer notifies as in ABI 0.2
 * (whenever cons_running is clear).
 */
#define VMMGMT_F_NOTIFY_AT		0x1ULL
/** VMMGMT_F_KNOWN - every feature bit this ABI version defines. */
#define VMMGMT_F_KNOWN			VMMGMT_F_NOTIFY_AT

/**
 * enum vmmgmt_link_state - state of a VM's channel, kept in the region
 * header by the host.
 * @VMMGMT_LINK_DOWN: no host module is serving the region.
 * @VMMGMT_LINK_UP: the host module serves the region.
 * @VMMGMT_LINK_BROKEN: the host saw a protocol violation and stopped
 *	reading the region until the guest resets the channel
 *	(&vmmgmt_region_header.reset_request).
 */
enum vmmgmt_link_state {
	VMMGMT_LINK_DOWN = 0,
	VMMGMT_LINK_UP = 1,
	VMMGMT_LINK_BROKEN = 2,
};

/**
 * enum vmmgmt_ring_id - the two rings of a region.
 * @VMMGMT_RING_G2H: guest to host; the guest produces, the host consumes.
 * @VMMGMT_RING_H2G: host to guest; the host produces, the guest consumes.
 */
enum vmmgmt_ring_id {
	VMMGMT_RING_G2H = 0,
	VMMGMT_RING_H2G = 1,
};

/**
 * struct vmmgmt_ring_desc - where one ring lives in the region.
 * @ctrl_offset: byte offset of its &struct vmmgmt_ring_ctrl (64-aligned).
 * @data_offset: byte offset of its data area (8-aligned).
 * @data_size: size of the data area: a power of two, at least
 *	%VMMGMT_RING_MIN_DATA.
 * @reserved: zero.
 */
struct vmmgmt_ring_desc {
	__u32 ctrl_offset;
	__u32 data_offset;
	__u32 data_size;
	__u32 reserved;
};

/** VMMGMT_RING_MIN_DATA - smallest ring data area (bytes). */
#define VMMGMT_RING_MIN_DATA		(16 * 1024)
/** VMMGMT_RING_ALIGN - records start on multiples of this (bytes). */
#define VMMGMT_RING_ALIGN		8
/** VMMGMT_CACHELINE - the indexes of producer and consumer are apart. */
#define VMMGMT_CACHELINE		64

/**
 * struct vmmgmt_ring_ctrl - indexes of one single-producer,
 * single-consumer ring.
 * @head: bytes produced since the ring was reset, free-running modulo
 *	2^32; written only by the producer, after the record's bytes.
 * @prod_waiting: non-zero while the producer waits for space.  The
 *	producer sets it, then (after a full barrier) reads @tail once more
 *	before it sleeps.  The consumer publishes @tail, then (after a full
 *	barrier) notifies the producer if @prod_waiting is set.  Written only
 *	by the producer.
 * @prod_pad: zero; keeps the producer's cache line its own.
 * @tail: bytes consumed, free-running modulo 2^32; written only by the
 *	consumer, after it has copied the record out.
 * @cons_running: non-zero while the consumer is draining the ring.  The
 *	producer publishes @head, then (after a full barrier) notifies only
 *	if @cons_running is zero.  The consumer clears @cons_running, then
 *	(after a full barrier) reads @head once more before it sleeps.
 * @notify_at: (ABI 0.3, %VMMGMT_F_NOTIFY_AT) the index at which the
 *	consumer wants its next notification: when it goes idle it writes
 *	its tail here, then (after a full barrier) reads @head once more
 *	before it sleeps.  A producer that uses it publishes @head, then
 *	(after a full barrier) notifies only if its post moved the head
 *	from before @notify_at to past it.  Records posted after that, while
 *	the consumer is woken but not yet idle again, need no notification.
 *	Written only by the consumer; any value is harmless to the peer (at
 *	worst a notification too many or too few for this ring).
 * @cons_pad: zero.
 *
 * A consumer keeps both @cons_running and @notify_at up to date; the
 * producer uses @notify_at only when the feature was negotiated for the
 * ring's direction (see %VMMGMT_F_NOTIFY_AT), @cons_running otherwise.
 *
 * Invariant: 0 <= @head - @tail <= data_size.  Offsets in the data area
 * are the index modulo data_size.
 */
struct vmmgmt_ring_ctrl {
	__u32 head;
	__u32 prod_waiting;
	__u32 prod_pad[14];
	__u32 tail;
	__u32 cons_running;
	__u32 notify_at;
	__u32 cons_pad[13];
};

/**
 * struct vmmgmt_addr - an endpoint: (host, VM, port).
 * @host: host id; 0 means "this host".
 * @vm: VM id; %VMMGMT_HOST_PEER_ID (0) is the host itself.
 * @port: port within that VM or host.
 * @reserved: zero.
 */
struct vmmgmt_addr {
	__u32 host;
	__u32 vm;
	__u32 port;
	__u32 reserved;
};

/**
 * enum vmmgmt_mode - what a record carries.
 * @VMMGMT_MODE_PAD: filler up to the end of the data area; consumers skip
 *	it.  Its @len covers the rest of the data area after the header.
 * @VMMGMT_MODE_CTRL: channel control between module and host module.
 * @VMMGMT_MODE_CHAT: a message between endpoints.
 * @VMMGMT_MODE_STATS: guest statistics for the host.
 * @VMMGMT_MODE_FILE: file transfer requests and data.
 * @VMMGMT_MODE_CALC: computation requests and results.
 * @VMMGMT_MODE_CMD: host-initiated commands and their answers.
 * @VMMGMT_MODE_MAX: one past the last valid mode.
 */
enum vmmgmt_mode {
	VMMGMT_MODE_PAD = 0,
	VMMGMT_MODE_CTRL = 1,
	VMMGMT_MODE_CHAT = 2,
	VMMGMT_MODE_STATS = 3,
	VMMGMT_MODE_FILE = 4,
	VMMGMT_MODE_CALC = 5,
	VMMGMT_MODE_CMD = 6,
	VMMGMT_MODE_MAX,
};

/** VMMGMT_REC_F_RESPONSE - the record answers the request with its @id. */
#define VMMGMT_REC_F_RESPONSE		0x0001
/** VMMGMT_REC_F_ERROR - a response whose payload is a __u32 errno. */
#define VMMGMT_REC_F_ERROR		0x0002
/** VMMGMT_REC_F_KNOWN - every flag bit defined; others are rejected. */
#define VMMGMT_REC_F_KNOWN		0x0003

/** VMMGMT_MSG_MAX - largest payload of one record (bytes). */
#define VMMGMT_MSG_MAX			(64 * 1024)

/**
 * struct vmmgmt_rec - header of one record in a ring.
 * @len: payload bytes that follow the header.  The record takes
 *	sizeof(struct vmmgmt_rec) + @len bytes rounded up to
 *	%VMMGMT_RING_ALIGN, never wraps around the end of the data area, and
 *	@len is at most min(%VMMGMT_MSG_MAX, data_size / 4).  When fewer than
 *	sizeof(struct vmmgmt_rec) bytes are left before the end of the data
 *	area, both sides skip them without a record.
 * @mode: an &enum vmmgmt_mode value.
 * @flags: %VMMGMT_REC_F_* bits; unknown bits are a protocol violation.
 * @id: chosen by the requester; a response carries the request's @id.
 * @src: the sender.  The host overwrites it on records a guest sends.
 * @dst: the destination.
 */
struct vmmgmt_rec {
	__u32 len;
	__u16 mode;
	__u16 flags;
	__u64 id;
	struct vmmgmt_addr src;
	struct vmmgmt_addr dst;
};

/**
 * struct vmmgmt_region_header - start of the shared region (BAR2).
 * @magic: %VMMGMT_MAGIC.
 * @abi_major: %VMMGMT_ABI_MAJOR of the host that wrote the header.
 * @abi_minor: %VMMGMT_ABI_MINOR of the host that wrote the header.
 * @header_size: sizeof(struct vmmgmt_region_header) as the host knows it.
 * @region_size: size of the whole region in bytes.
 * @features_offered: %VMMGMT_F_* bits the host offers (ABI 0.3:
 *	%VMMGMT_F_NOTIFY_AT).
 * @features_accepted: %VMMGMT_F_* bits the guest accepted (subset of
 *	offered); written by the guest each time it sets the rings up, reset
 *	to zero by the host whenever it lays the region out.
 * @link_state: an &enum vmmgmt_link_state value.
 * @host_id: this host's id; 0 means "this host".
 * @vm_id: the VM's id, equal to its ivshmem peer id (IVPosition).
 * @generation: bumped by the host each time it (re)initialises the region.
 * @name: the VM's name, NUL-terminated.
 * @rings: where the host placed the two rings, indexed by
 *	&enum vmmgmt_ring_id.  The host keeps its own copy: a guest that
 *	rewrites these changes nothing on the host side.
 * @reset_request: (ABI 0.2) written by the guest: a value different from
 *	the one the host last acted on asks the host to reset the channel
 *	(see @reset_ack).  The guest writes a new value, then rings the
 *	host's doorbell; meanwhile it leaves both rings alone.
 * @reset_ack: (ABI 0.2) written by the host: the @reset_request value it
 *	last acted on.  On a new request the host marks the link DOWN, lays
 *	the header, ring descriptors and ring control blocks out afresh
 *	(records in flight are lost), bumps @generation, writes @reset_ack,
 *	then UP, and interrupts the guest.  Registration sets it to the
 *	@reset_request it finds, which counts as served.
 * @reserved: must be zero; later minor versions grow into it.
 *
 * The host writes every field but @features_accepted and @reset_request.
 * A guest may write anything anywhere in the region: the host treats all
 * of it as hostile.
 */
struct vmmgmt_region_header {
	__u64 magic;
	__u16 abi_major;
	__u16 abi_minor;
	__u32 header_size;
	__u64 region_size;
	__u64 features_offered;
	__u64 features_accepted;
	__u32 link_state;
	__u32 host_id;
	__u32 vm_id;
	__u32 generation;
	__u8 name[VMMGMT_NAME_MAX];
	struct vmmgmt_ring_desc rings[2];
	__u32 reset_request;
	__u32 reset_ack;
	__u64 reserved[16];
};

/**
 * struct vmmgmt_version - answer of the version queries.
 * @abi_major: %VMMGMT_ABI_MAJOR of the module.
 * @abi_minor: %VMMGMT_ABI_MINOR of the module.
 * @pad: zero.
 * @features: feature bits the module supports (none defined yet).
 * @reserved: zero.
 */
struct vmmgmt_version {
	__u16 abi_major;
	__u16 abi_minor;
	__u32 pad;
	__u64 features;
	__u64 reserved[2];
};

/**
 * struct vmmgmt_info - what the guest module knows of its device.
 * @vm_id: the VM id from the region header.
 * @peer_id: the ivshmem peer id from the IVPosition register.
 * @link_state: an &enum vmmgmt_link_state value.
 * @host_id: host id from the region header.
 * @region_size: size of BAR2 in bytes.
 * @abi_major: ABI major version found in the region header.
 * @abi_minor: ABI minor version found in the region header.
 * @vectors: MSI-X vectors the guest module enabled.
 * @reserved: zero.
 */
struct vmmgmt_info {
	__u32 vm_id;
	__u32 peer_id;
	__u32 link_state;
	__u32 host_id;
	__u64 region_size;
	__u16 abi_major;
	__u16 abi_minor;
	__u32 vectors;
	__u64 reserved[4];
};

/** VMMGMT_VECTORS_MAX - most eventfds per direction a VM may register. */
#define VMMGMT_VECTORS_MAX		8

/** VMMGMT_PORT_ECHO - host port of the built-in echo service. */
#define VMMGMT_PORT_ECHO		7
/** VMMGMT_PORT_DYNAMIC - ports from here on are assigned on bind(0). */
#define VMMGMT_PORT_DYNAMIC		0x8000

/**
 * struct vmmgmt_host_vm_add - register a VM with the host module.
 * @vm_id: the VM's id and ivshmem peer id, 1..%VMMGMT_VM_ID_MAX; unique.
 * @region_fd: the region: a memfd sealed with F_SEAL_SHRINK and
 *	F_SEAL_GROW, of a power-of-two size within %VMMGMT_REGION_MIN_SIZE
 *	and %VMMGMT_REGION_MAX_SIZE.  The host module (re)writes its header
 *	and lays out the rings.
 * @nr_vectors: eventfds in each of @kick_fds and @call_fds,
 *	1..%VMMGMT_VECTORS_MAX.
 * @flags: zero.
 * @kick_fds: eventfds QEMU signals when the guest rings the host's
 *	doorbell (peer 0, vector v); the host module waits on them.
 * @call_fds: eventfds the host module signals to interrupt the guest on
 *	vector v (QEMU's irqfds).
 * @qemu_pid: the QEMU process that serves the VM (SO_PEERCRED).
 * @pad: zero.
 * @name: the VM's name, NUL-terminated, [A-Za-z0-9_-], unique.
 * @reserved: zero.
 *
 * The VM stays registered until VMMGMT_HOST_IOC_DEL_VM or until the file
 * that registered it is closed.
 */
struct vmmgmt_host_vm_add {
	__u32 vm_id;
	__s32 region_fd;
	__u32 nr_vectors;
	__u32 flags;
	__s32 kick_fds[VMMGMT_VECTORS_MAX];
	__s32 call_fds[VMMGMT_VECTORS_MAX];
	__u32 qemu_pid;
	__u32 pad;
	__u8 name[VMMGMT_NAME_MAX];
	__u64 reserved[5];
};

/**
 * struct vmmgmt_host_vm_del - unregister a VM.
 * @vm_id: the id given to VMMGMT_HOST_IOC_ADD_VM.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_host_vm_del {
	__u32 vm_id;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct vmmgmt_bind - make an open file an endpoint on a port.
 * @port: the port; 0 asks for a free one from %VMMGMT_PORT_DYNAMIC up,
 *	which is written back.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_bind {
	__u32 port;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct vmmgmt_name - a published name and the address it stands for.
 * @name: 1..%VMMGMT_NAME_MAX - 1 characters of [A-Za-z0-9_.-],
 *	NUL-terminated, zero after the NUL.
 * @addr: the address.  To publish, only @addr.port is used (the rest must
 *	be zero; the host fills in host and VM); a lookup fills it in.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_name {
	__u8 name[VMMGMT_NAME_MAX];
	struct vmmgmt_addr addr;
	__u32 flags;
	__u32 reserved;
};

/** VMMGMT_NAMES_MAX - most names published on one host. */
#define VMMGMT_NAMES_MAX		4096
/** VMMGMT_NAMES_PER_OWNER - most names one VM or host file publishes. */
#define VMMGMT_NAMES_PER_OWNER		64

/**
 * enum vmmgmt_ctrl_op - what a %VMMGMT_MODE_CTRL request asks the host.
 * @VMMGMT_CTRL_PUBLISH: publish &vmmgmt_ctrl.name for the sender's VM and
 *	&vmmgmt_ctrl.name.addr.port.
 * @VMMGMT_CTRL_WITHDRAW: withdraw a name the sender's VM published.
 * @VMMGMT_CTRL_LOOKUP: look a name up; the answer carries its address.
 * @VMMGMT_CTRL_LIST: (ABI 0.5) list published names, in strcmp() order,
 *	from the first one after &vmmgmt_ctrl.name.name (all zero: from the
 *	first one); the answer is a &struct vmmgmt_name_list.
 */
enum vmmgmt_ctrl_op {
	VMMGMT_CTRL_PUBLISH = 1,
	VMMGMT_CTRL_WITHDRAW = 2,
	VMMGMT_CTRL_LOOKUP = 3,
	VMMGMT_CTRL_LIST = 4,
};

/**
 * struct vmmgmt_ctrl - payload of a %VMMGMT_MODE_CTRL record from a guest
 * to the host (destination (0, 0, 0)), and of the host's answer.
 * @op: an &enum vmmgmt_ctrl_op value.
 * @reserved: zero.
 * @name: the name and address the request is about; the answer carries
 *	it back, with the address filled in.
 *
 * The answer is a %VMMGMT_REC_F_RESPONSE record with the request's id:
 * this structure (for %VMMGMT_CTRL_LIST a &struct vmmgmt_name_list cut
 * after its last entry), or with %VMMGMT_REC_F_ERROR a __u32 errno
 * (EINVAL for a bad request, EADDRINUSE for a name taken, ENOSPC past
 * %VMMGMT_NAMES_PER_OWNER or %VMMGMT_NAMES_MAX, ENOENT for a name that is
 * not published, by this VM for WITHDRAW).  For %VMMGMT_CTRL_LIST,
 * &vmmgmt_ctrl.name.name may also be all zero and &vmmgmt_ctrl.name.addr
 * must be zero.
 */
struct vmmgmt_ctrl {
	__u32 op;
	__u32 reserved;
	struct vmmgmt_name name;
};

/** VMMGMT_NAMES_PER_LIST - most names one &struct vmmgmt_name_list holds. */
#define VMMGMT_NAMES_PER_LIST		32
/** VMMGMT_NAME_LIST_F_MORE - names after the last one of the list exist. */
#define VMMGMT_NAME_LIST_F_MORE		0x1

/**
 * struct vmmgmt_name_list - (ABI 0.5) one page of the host's name table:
 * argument of VMMGMT_IOC_LIST_NAMES and answer to %VMMGMT_CTRL_LIST.
 * @after: the names listed are those that sort after this one
 *	(strcmp()); all zero to start with the first.  A valid name or all
 *	zero.  The answer carries it back.
 * @count: entries of @names filled in, 0..%VMMGMT_NAMES_PER_LIST; zero
 *	in a request.
 * @flags: zero in a request; in the answer %VMMGMT_NAME_LIST_F_MORE when
 *	more names follow the last entry (list again with @after set to it).
 * @reserved: zero.
 * @names: the names, in strcmp() order, each with its address.
 *
 * As a %VMMGMT_CTRL_LIST answer it is cut after entry @count: the record
 * is offsetof(struct vmmgmt_name_list, names) + @count *
 * sizeof(struct vmmgmt_name) bytes long.  Names published or withdrawn
 * between two pages show up or not; none is listed twice.
 */
struct vmmgmt_name_list {
	__u8 after[VMMGMT_NAME_MAX];
	__u32 count;
	__u32 flags;
	__u64 reserved[3];
	struct vmmgmt_name names[VMMGMT_NAMES_PER_LIST];
};

/** VMMGMT_STATS_VERSION - layout version of &struct vmmgmt_stats_sample. */
#define VMMGMT_STATS_VERSION		1
/** VMMGMT_STATS_MAX_CPUS - most per-CPU entries one sample carries. */
#define VMMGMT_STATS_MAX_CPUS		64
/** VMMGMT_STATS_MAX_GUEST_CPUS - most online CPUs a sample may claim. */
#define VMMGMT_STATS_MAX_GUEST_CPUS	8192
/** VMMGMT_STATS_PERIOD_MIN_MS - shortest sampling period (ms). */
#define VMMGMT_STATS_PERIOD_MIN_MS	100
/** VMMGMT_STATS_PERIOD_MAX_MS - longest sampling period (ms). */
#define VMMGMT_STATS_PERIOD_MAX_MS	60000
/** VMMGMT_STATS_PERIOD_DEFAULT_MS - sampling period after load (ms). */
#define VMMGMT_STATS_PERIOD_DEFAULT_MS	1000
/** VMMGMT_STATS_VCPUS_WANTED_MAX - largest &vmmgmt_stats_needs.vcpus_wanted. */
#define VMMGMT_STATS_VCPUS_WANTED_MAX	1024
/** VMMGMT_STATS_URGENCY_MAX - largest &vmmgmt_stats_needs.urgency. */
#define VMMGMT_STATS_URGENCY_MAX	100
/** VMMGMT_STATS_PSI_MAX - largest PSI average (100.00 %, in 1/100 %). */
#define VMMGMT_STATS_PSI_MAX		10000

/** VMMGMT_STATS_F_PSI - the PSI fields are valid (the guest has PSI). */
#define VMMGMT_STATS_F_PSI		0x0001
/** VMMGMT_STATS_F_NEEDS - a guest process set &vmmgmt_stats_sample.needs. */
#define VMMGMT_STATS_F_NEEDS		0x0002
/** VMMGMT_STATS_F_KNOWN - every sample flag defined; others are rejected. */
#define VMMGMT_STATS_F_KNOWN		0x0003

/**
 * enum vmmgmt_stats_psi_res - index of the PSI arrays of a sample.
 * @VMMGMT_STATS_PSI_CPU: /proc/pressure/cpu.
 * @VMMGMT_STATS_PSI_MEMORY: /proc/pressure/memory.
 * @VMMGMT_STATS_PSI_IO: /proc/pressure/io.
 * @VMMGMT_STATS_PSI_NR: number of resources.
 */
enum vmmgmt_stats_psi_res {
	VMMGMT_STATS_PSI_CPU = 0,
	VMMGMT_STATS_PSI_MEMORY = 1,
	VMMGMT_STATS_PSI_IO = 2,
	VMMGMT_STATS_PSI_NR = 3,
};

/**
 * struct vmmgmt_stats_cpu - CPU time spent over one sampling period, in
 * nanoseconds, by one CPU or by all of them together.
 * @user: user time, nice included.
 * @system: system time, hard and soft interrupts included.
 * @idle: idle time.
 * @iowait: idle time with I/O outstanding.
 * @steal: time the hypervisor ran something else while the vCPU wanted
 *	to run.
 * @cpu: the guest's CPU number (for &vmmgmt_stats_sample.total: the
 *	number of CPUs summed).
 * @reserved: zero.
 *
 * For one CPU the five times add up to about &vmmgmt_stats_sample.period
 * (tick-based accounting makes them a tick or two off).
 */
struct vmmgmt_stats_cpu {
	__u64 user;
	__u64 system;
	__u64 idle;
	__u64 iowait;
	__u64 steal;
	__u32 cpu;
	__u32 reserved;
};

/**
 * struct vmmgmt_stats_needs - what guest processes asked for
 * (VMMGMT_IOC_SET_NEEDS); the last request wins.
 * @vcpus_wanted: vCPUs the guest could use now, 0 (no opinion) ..
 *	%VMMGMT_STATS_VCPUS_WANTED_MAX.
 * @urgency: how much it matters, 0 (not at all) .. %VMMGMT_STATS_URGENCY_MAX.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_stats_needs {
	__u32 vcpus_wanted;
	__u32 urgency;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct vmmgmt_stats_sample - (ABI 0.4) payload of a %VMMGMT_MODE_STATS
 * record, from a guest to the host (destination (0, 0, 0), flags 0, no
 * answer).
 * @version: %VMMGMT_STATS_VERSION.
 * @flags: %VMMGMT_STATS_F_* bits; unknown bits make the host reject it.
 * @seq: 1 for the first sample after the guest module loaded, then one
 *	more for each sample (also across disabling and enabling).
 * @timestamp: guest CLOCK_MONOTONIC at sampling, in nanoseconds.
 * @period: nanoseconds since the previous sample (or since stats were
 *	enabled); the CPU times cover exactly this interval.
 * @nr_cpus: online CPUs of the guest, 1..%VMMGMT_STATS_MAX_GUEST_CPUS.
 * @nr_cpu_entries: entries in @cpu: min(@nr_cpus,
 *	%VMMGMT_STATS_MAX_CPUS), the CPUs with the lowest numbers.
 * @total: the CPU times of all online CPUs added up.
 * @runnable: tasks runnable now (the 4th field of /proc/loadavg).
 * @nr_threads: threads that exist now.
 * @load_avg: the 1, 5 and 15 minute load averages, times 100.
 * @psi_some_avg10: PSI "some" avg10 for cpu, memory and io (&enum
 *	vmmgmt_stats_psi_res), in 1/100 % (0..%VMMGMT_STATS_PSI_MAX).  Zero
 *	without %VMMGMT_STATS_F_PSI.
 * @psi_full_avg10: PSI "full" avg10, likewise (cpu full is 0 on kernels
 *	that do not report it).
 * @mem_total: usable RAM in KiB (MemTotal).
 * @mem_free: free RAM in KiB (MemFree).
 * @mem_available: RAM available for new work in KiB (MemAvailable).
 * @mem_cached: page cache in KiB (Cached).
 * @needs: what guest processes asked for; zero without
 *	%VMMGMT_STATS_F_NEEDS.
 * @reserved: zero; later versions grow into it.
 * @cpu: @nr_cpu_entries per-CPU entries, in increasing CPU order.
 *
 * The record's length is exactly sizeof(struct vmmgmt_stats_sample) +
 * @nr_cpu_entries * sizeof(struct vmmgmt_stats_cpu).  The host checks
 * every field against these rules and its bounds (see
 * Documentation/stats.rst) and drops, and counts, a sample that breaks
 * any of them.
 */
struct vmmgmt_stats_sample {
	__u16 version;
	__u16 flags;
	__u32 nr_cpus;
	__u64 seq;
	__u64 timestamp;
	__u64 period;
	__u32 nr_cpu_entries;
	__u32 runnable;
	__u32 nr_threads;
	__u32 load_avg[3];
	__u32 psi_some_avg10[VMMGMT_STATS_PSI_NR];
	__u32 psi_full_avg10[VMMGMT_STATS_PSI_NR];
	struct vmmgmt_stats_cpu total;
	__u64 mem_total;
	__u64 mem_free;
	__u64 mem_available;
	__u64 mem_cached;
	struct vmmgmt_stats_needs needs;
	__u64 reserved[8];
	struct vmmgmt_stats_cpu cpu[];
};

/* One ioctl magic for both character devices (free in ioctl-number.rst). */
#define VMMGMT_IOC_MAGIC		0xB9

/*
 * /dev/vmmgmt-host (mode 0600, host): numbers 0x00-0x3f.
 *
 * VMMGMT_HOST_IOC_GET_VERSION - fill a struct vmmgmt_version.
 *	Errors: EFAULT (bad pointer).
 * Any other number fails with ENOTTY.
 */
#define VMMGMT_HOST_IOC_GET_VERSION \
	_IOR(VMMGMT_IOC_MAGIC, 0x00, struct vmmgmt_version)

/*
 * VMMGMT_HOST_IOC_ADD_VM - register a VM (struct vmmgmt_host_vm_add).
 *	Errors: EFAULT; EINVAL (nonzero flags, pad or reserved, bad id, name,
 *	vector count, region size or seals); EBADF (an fd is not open);
 *	EINVAL (an fd is not a memfd or an eventfd as required); EEXIST (id
 *	or name in use); ENOSPC (too many VMs); ENOMEM.
 * VMMGMT_HOST_IOC_DEL_VM - unregister a VM (struct vmmgmt_host_vm_del)
 *	added through this same file.  Errors: EFAULT; EINVAL; ENOENT.
 * VMMGMT_HOST_IOC_BIND - make this file a host endpoint at (0, 0, port)
 *	(struct vmmgmt_bind; port 0 asks for a dynamic one, written back).
 *	Errors: EFAULT; EINVAL; EADDRINUSE (port taken, or the echo port 7);
 *	EISCONN (file already bound); EADDRNOTAVAIL; ENOMEM.
 *
 * Every open file is an endpoint: write() sends and read() receives one
 * record each, a struct vmmgmt_rec followed by exactly len payload bytes;
 * the module sets src.  poll(): EPOLLIN when a record is queued, EPOLLOUT
 * always.
 *	write() errors: EINVAL (count and len disagree, mode PAD/CTRL or
 *	unknown, unknown flags, nonzero reserved, dst.vm 0), EMSGSIZE,
 *	EHOSTUNREACH (no such VM, or dst.host not 0), EPIPE (the VM's channel
 *	is broken), EAGAIN (the VM's send queue is full and O_NONBLOCK;
 *	otherwise write() blocks), ECONNRESET (the VM went away while the
 *	writer waited), ENOMEM, EFAULT.  An unbound file is bound to a
 *	dynamic port first.
 *	read() errors: ENOTCONN (not bound), EAGAIN, EMSGSIZE (buffer
 *	shorter than the next record, which stays queued), EFAULT.
 */
#define VMMGMT_HOST_IOC_ADD_VM \
	_IOW(VMMGMT_IOC_MAGIC, 0x01, struct vmmgmt_host_vm_add)
#define VMMGMT_HOST_IOC_DEL_VM \
	_IOW(VMMGMT_IOC_MAGIC, 0x02, struct vmmgmt_host_vm_del)
#define VMMGMT_HOST_IOC_BIND \
	_IOWR(VMMGMT_IOC_MAGIC, 0x10, struct vmmgmt_bind)

/*
 * VMMGMT_HOST_IOC_PUBLISH - publish a name for this file's bound port
 *	(struct vmmgmt_name; addr.port must be 0 or the bound port).  The
 *	name is withdrawn when the file is closed.  Errors: EFAULT; EINVAL
 *	(bad name, nonzero flags, reserved or addr fields); ENOTCONN (file not
 *	bound); EADDRINUSE (name taken); ENOSPC (VMMGMT_NAMES_PER_OWNER names
 *	for this file, or VMMGMT_NAMES_MAX in all); ENOMEM.
 * VMMGMT_HOST_IOC_LOOKUP - fill in the address of a published name
 *	(struct vmmgmt_name).  Errors: EFAULT; EINVAL; ENOENT.
 */
#define VMMGMT_HOST_IOC_PUBLISH \
	_IOW(VMMGMT_IOC_MAGIC, 0x11, struct vmmgmt_name)
#define VMMGMT_HOST_IOC_LOOKUP \
	_IOWR(VMMGMT_IOC_MAGIC, 0x12, struct vmmgmt_name)

/*
 * /dev/vmmgmt (guest): numbers 0x40-0x7f.
 *
 * VMMGMT_IOC_GET_VERSION - fill a struct vmmgmt_version with the guest
 *	module's ABI version.  Errors: EFAULT; ENODEV if the device was
 *	removed.
 * VMMGMT_IOC_GET_INFO - fill a struct vmmgmt_info about the device this
 *	file was opened on.  Errors: EFAULT; ENODEV if the device was removed.
 * Any other number fails with ENOTTY.
 *
 * Each open file is one endpoint.  write() sends one message as one record
 * (mode CHAT, from (0, vm_id, the file's port) to the VMMGMT_IOC_CONNECT
 * address; an unbound file first gets a dynamic port); read() returns one
 * message sent to the file's port, boundaries kept.  poll(): EPOLLIN when
 * a message is queued, EPOLLOUT when a message of the largest size fits
 * into the ring, EPOLLERR when the link is not up.
 *	write() errors: ENOTCONN (link down), EPIPE (link broken),
 *	EDESTADDRREQ (no VMMGMT_IOC_CONNECT), EMSGSIZE (longer than
 *	VMMGMT_MSG_MAX, or than the ring allows: sysfs max_msg_size), EAGAIN
 *	(ring full and O_NONBLOCK; otherwise write() blocks), EFAULT, ENOMEM.
 *	read() errors: ENOTCONN, EPIPE (nothing queued and the link is not
 *	up), EAGAIN (nothing queued and O_NONBLOCK; otherwise read() blocks),
 *	EMSGSIZE (buffer shorter than the next message, which stays queued),
 *	EFAULT; or the errno the host answered a message with (a record with
 *	VMMGMT_REC_F_ERROR: EHOSTUNREACH, ECONNREFUSED, EACCES, EHOSTDOWN,
 *	EMSGSIZE or ENOBUFS, see Documentation/vmmgmt.rst), which is
 *	consumed.
 *	Both fail with ENODEV once the device was removed.
 */
#define VMMGMT_IOC_GET_VERSION \
	_IOR(VMMGMT_IOC_MAGIC, 0x40, struct vmmgmt_version)
#define VMMGMT_IOC_GET_INFO \
	_IOR(VMMGMT_IOC_MAGIC, 0x41, struct vmmgmt_info)

/*
 * VMMGMT_IOC_BIND - bind this file to a local port (struct vmmgmt_bind).
 *	Errors: EFAULT; EINVAL; EADDRINUSE; EISCONN (already bound).
 * VMMGMT_IOC_CONNECT - set the destination of write() (struct
 *	vmmgmt_addr).  Errors: EFAULT; EINVAL (nonzero reserved).
 * VMMGMT_IOC_LAST_SRC - the source of the message read() returned last
 *	(struct vmmgmt_addr).  Errors: EFAULT; ENOMSG (nothing read yet).
 */
#define VMMGMT_IOC_BIND \
	_IOWR(VMMGMT_IOC_MAGIC, 0x42, struct vmmgmt_bind)
#define VMMGMT_IOC_CONNECT \
	_IOW(VMMGMT_IOC_MAGIC, 0x43, struct vmmgmt_addr)
#define VMMGMT_IOC_LAST_SRC \
	_IOR(VMMGMT_IOC_MAGIC, 0x44, struct vmmgmt_addr)

/*
 * Names, through the host's name table: each ioctl sends a
 * VMMGMT_MODE_CTRL request (struct vmmgmt_ctrl) to (0, 0, 0) and waits up
 * to 5 s for the host's answer.  Names are 1..VMMGMT_NAME_MAX - 1
 * characters of [A-Za-z0-9_.-], NUL-padded; flags and reserved must be 0.
 * Besides the errors listed, all three fail with ENODEV (device removed),
 * ENOTCONN or EPIPE (link down or broken), ECONNRESET (the channel was
 * reset before the answer came), ETIMEDOUT (no answer within 5 s), EPROTO
 * (a malformed answer), EAGAIN (too many requests in flight), ENOMEM,
 * EFAULT and EINTR.
 *
 * Names in a guest, ABI 0.3 (a 0.2 host answers the requests too):
 *
 * VMMGMT_IOC_PUBLISH - publish name for (0, vm_id, this file's port)
 *	(struct vmmgmt_name; addr.port must be 0 or the bound port, the rest
 *	of addr 0).  Publishing a name of this file again succeeds.  The
 *	name is withdrawn when the file is closed, and by the host when the
 *	channel is reset.  Errors: EINVAL (bad name, nonzero flags, reserved
 *	or addr fields); EDESTADDRREQ (the file is not bound: VMMGMT_IOC_BIND
 *	first); EADDRINUSE (name taken, by another VM or another file);
 *	ENOSPC (VMMGMT_NAMES_PER_OWNER names for this file or this VM, or
 *	VMMGMT_NAMES_MAX on the host).
 * VMMGMT_IOC_WITHDRAW - withdraw a name this file published (struct
 *	vmmgmt_name; addr is ignored).  Errors: EINVAL; ENOENT (not a name
 *	this file published).
 * VMMGMT_IOC_LOOKUP - fill in addr of a published name (struct
 *	vmmgmt_name; addr is ignored on input).  Errors: EINVAL; ENOENT
 *	(nobody published the name).
 */
#define VMMGMT_IOC_PUBLISH \
	_IOW(VMMGMT_IOC_MAGIC, 0x45, struct vmmgmt_name)
#define VMMGMT_IOC_WITHDRAW \
	_IOW(VMMGMT_IOC_MAGIC, 0x46, struct vmmgmt_name)
#define VMMGMT_IOC_LOOKUP \
	_IOWR(VMMGMT_IOC_MAGIC, 0x47, struct vmmgmt_name)

/*
 * VMMGMT_IOC_LIST_NAMES - (ABI 0.5) one page of the host's published names
 *	(struct vmmgmt_name_list): set after (all zero for the first page),
 *	count, flags and reserved to zero; the answer fills in count, names
 *	and flags (VMMGMT_NAME_LIST_F_MORE: call again with after set to the
 *	last name).  Errors: EINVAL (bad after, nonzero count, flags or
 *	reserved); EOPNOTSUPP (the host's module is older than ABI 0.5);
 *	EPROTO (a malformed answer); and those of the other names ioctls.
 */
#define VMMGMT_IOC_LIST_NAMES \
	_IOWR(VMMGMT_IOC_MAGIC, 0x48, struct vmmgmt_name_list)

/*
 * VMMGMT_IOC_SET_NEEDS - (ABI 0.4) set what the guest could use now
 *	(struct vmmgmt_stats_needs); the next statistics sample carries it,
 *	and every later one until it is set again.  All zero clears it.
 *	Needs CAP_SYS_ADMIN.  Errors: EFAULT; EPERM; EINVAL (a value above
 *	its maximum, nonzero flags or reserved); ENODEV.
 */
#define VMMGMT_IOC_SET_NEEDS \
	_IOW(VMMGMT_IOC_MAGIC, 0x50, struct vmmgmt_stats_needs)

/* ivshmem-doorbell BAR0 registers (QEMU docs/specs/ivshmem-spec.txt). */
#define VMMGMT_IVSHMEM_REG_INTRMASK	0x00
#define VMMGMT_IVSHMEM_REG_INTRSTATUS	0x04
#define VMMGMT_IVSHMEM_REG_IVPOSITION	0x08
#define VMMGMT_IVSHMEM_REG_DOORBELL	0x0c

/* The layout is the ABI: these sizes change only with a new major. */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif
static_assert(sizeof(struct vmmgmt_region_header) == 256, "region header size");
static_assert(sizeof(struct vmmgmt_version) == 32, "version size");
static_assert(sizeof(struct vmmgmt_host_vm_add) == 160, "vm_add size");
static_assert(sizeof(struct vmmgmt_host_vm_del) == 16, "vm_del size");
static_assert(sizeof(struct vmmgmt_bind) == 16, "bind size");
static_assert(sizeof(struct vmmgmt_ring_desc) == 16, "ring descriptor size");
static_assert(sizeof(struct vmmgmt_ring_ctrl) == 2 * VMMGMT_CACHELINE, "ring control size");
static_assert(sizeof(struct vmmgmt_addr) == 16, "address size");
static_assert(sizeof(struct vmmgmt_rec) == 48, "record header size");
static_assert(sizeof(struct vmmgmt_info) == 64, "info size");
static_assert(sizeof(struct vmmgmt_name) == 56, "name size");
static_assert(sizeof(struct vmmgmt_ctrl) == 64, "ctrl size");
static_assert(sizeof(struct vmmgmt_name_list) ==
	      64 + VMMGMT_NAMES_PER_LIST * sizeof(struct vmmgmt_name),
	      "name list size");
/* The largest list answer fits the smallest ring (VMMGMT_RING_MIN_DATA / 4). */
static_assert(sizeof(struct vmmgmt_name_list) <= VMMGMT_RING_MIN_DATA / 4,
	      "largest name list");
static_assert(sizeof(struct vmmgmt_stats_cpu) == 48, "stats cpu size");
static_assert(sizeof(struct vmmgmt_stats_needs) == 16, "stats needs size");
static_assert(sizeof(struct vmmgmt_stats_sample) == 240, "stats sample size");
/* The largest sample fits the smallest ring (VMMGMT_RING_MIN_DATA / 4). */
static_assert(sizeof(struct vmmgmt_stats_sample) +
	      VMMGMT_STATS_MAX_CPUS * sizeof(struct vmmgmt_stats_cpu) <=
	      VMMGMT_RING_MIN_DATA / 4, "largest stats sample");

#endif /* _UAPI_LINUX_VMMGMT_H */
