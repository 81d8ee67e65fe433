/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmgmt: the wire format.
 *
 * Everything that crosses the shared region: its header, the two rings,
 * the record header, addresses, the control records (names) and the
 * statistics sample, and the ivshmem-doorbell registers.  Both kernel
 * modules, the ring library, the fuzzer and the tools use it; the ioctls
 * of the two character devices are in <vmmgmt.h>, which includes this
 * file (the way vhost_types.h and vhost.h are split).
 *
 * Rules: fixed-width types only, explicit padding that must be zero,
 * structures grow only into their reserved space, and every size is
 * asserted at the end of this file.
 */
#ifndef _UAPI_LINUX_VMMGMT_TYPES_H
#define _UAPI_LINUX_VMMGMT_TYPES_H

#include <linux/types.h>

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
#define VMMGMT_ABI_MINOR		9

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
/**
 * VMMGMT_F_MODES - (ABI 0.6) feature bit: in &vmmgmt_region_header
 * .features_offered the host says that it reads
 * &vmmgmt_region_header.guest_modes; in .features_accepted the guest says
 * that it keeps that field up to date.  Without the bit in both, the host
 * knows nothing of the guest's modes and assumes none is refused.
 */
#define VMMGMT_F_MODES			0x2ULL
/**
 * VMMGMT_F_FLOW - (ABI 0.7) feature bit: in .features_offered the host
 * says that it never leaves a guest record in the guest-to-host ring for
 * want of room at its destination (it holds it aside, see
 * Documentation/vmmgmt.rst "Flow control"), that it returns the guest's
 * credits per destination as it delivers (%VMMGMT_CTRL_CREDIT) and that it
 * tells the guest when a peer went away (%VMMGMT_CTRL_PEER_GONE); in
 * .features_accepted the guest says that it keeps within its credits
 * (%VMMGMT_FLOW_WINDOW_MSGS, %VMMGMT_FLOW_WINDOW_BYTES) and understands
 * those notices.  The host sends notices only to a guest that accepted
 * the bit.
 */
#define VMMGMT_F_FLOW			0x4ULL
/**
 * VMMGMT_F_STREAM - (ABI 0.7) feature bit: in .features_offered the host
 * says that it routes stream segments (records with %VMMGMT_REC_F_STREAM);
 * in .features_accepted the guest says that it may send them and takes
 * them.  A guest sends no segment to a host that did not offer the bit
 * (an older host would break the channel on the unknown flag), and the
 * host sends none to a guest that did not accept it.
 */
#define VMMGMT_F_STREAM			0x8ULL
/** VMMGMT_F_KNOWN - every feature bit this ABI version defines. */
#define VMMGMT_F_KNOWN			(VMMGMT_F_NOTIFY_AT | VMMGMT_F_MODES | \
					 VMMGMT_F_FLOW | VMMGMT_F_STREAM)

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

/** VMMGMT_MODE_BIT - the bit of mode @m in a mode mask. */
#define VMMGMT_MODE_BIT(m)		(1U << (m))
/**
 * VMMGMT_MODES_USER - (ABI 0.6) the modes a guest owner turns on and off:
 * chat, stats, file, calc and cmd.  PAD and CTRL are the channel's own.
 */
#define VMMGMT_MODES_USER		(VMMGMT_MODE_BIT(VMMGMT_MODE_CHAT) | \
					 VMMGMT_MODE_BIT(VMMGMT_MODE_STATS) | \
					 VMMGMT_MODE_BIT(VMMGMT_MODE_FILE) | \
					 VMMGMT_MODE_BIT(VMMGMT_MODE_CALC) | \
					 VMMGMT_MODE_BIT(VMMGMT_MODE_CMD))
/** VMMGMT_MODES_DEFAULT - (ABI 0.6) the modes on after the guest module loads. */
#define VMMGMT_MODES_DEFAULT		(VMMGMT_MODE_BIT(VMMGMT_MODE_CHAT) | \
					 VMMGMT_MODE_BIT(VMMGMT_MODE_STATS))

/** VMMGMT_REC_F_RESPONSE - the record answers the request with its @id. */
#define VMMGMT_REC_F_RESPONSE		0x0001
/** VMMGMT_REC_F_ERROR - a response whose payload is a __u32 errno. */
#define VMMGMT_REC_F_ERROR		0x0002
/**
 * VMMGMT_REC_F_STREAM - (ABI 0.7, %VMMGMT_F_STREAM) the record is a stream
 * segment: its payload starts with a &struct vmmgmt_stream_seg, its @id is
 * the stream's id, its @mode the stream's mode.  With
 * %VMMGMT_REC_F_RESPONSE and %VMMGMT_REC_F_ERROR it is the host's error
 * answer to a segment it could not deliver (the payload is then a __u32
 * errno only, and the stream fails with it).
 */
#define VMMGMT_REC_F_STREAM		0x0004
/** VMMGMT_REC_F_KNOWN - every flag bit defined; others are rejected. */
#define VMMGMT_REC_F_KNOWN		0x0007

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
 * @guest_modes: (ABI 0.6, %VMMGMT_F_MODES) written by the guest: the
 *	modes its owner has enabled, a mask of VMMGMT_MODE_BIT() within
 *	%VMMGMT_MODES_USER; reset to zero by the host whenever it lays the
 *	region out.  Advice for host tools ("file mode is off in this
 *	guest"): the guest refuses records of a disabled mode whatever this
 *	field says, and the host ignores bits outside %VMMGMT_MODES_USER.
 * @guest_pad: zero.
 * @reserved: must be zero; later minor versions grow into it.
 *
 * The host writes every field but @features_accepted, @reset_request and
 * @guest_modes.
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
	__u32 guest_modes;
	__u32 guest_pad;
	__u64 reserved[15];
};

/** VMMGMT_PORT_ECHO - host port of the built-in echo service. */
#define VMMGMT_PORT_ECHO		7
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
 * @VMMGMT_CTRL_CREDIT: (ABI 0.7, %VMMGMT_F_FLOW) a notice from the host, not
 *	a request: records of this guest to a destination left the host's
 *	hands (delivered to the destination's queue, or answered with an
 *	error); the guest may send that many more there.  Its payload is a
 *	&struct vmmgmt_credit, not a &struct vmmgmt_ctrl.
 * @VMMGMT_CTRL_PEER_GONE: (ABI 0.7) a notice: the endpoints at
 *	&vmmgmt_ctrl.name.addr went away: (0, vm, 0) a VM that was
 *	unregistered, (0, 0, port) a host endpoint.  Streams with a peer
 *	there are over (ECONNRESET).  A VM that resets its channel causes no
 *	notice: a stream with it learns of the reset from the RST its next
 *	segment gets.
 *
 * Notices are %VMMGMT_MODE_CTRL records from (0, 0, 0) to (0, vm, 0)
 * without %VMMGMT_REC_F_RESPONSE and with id 0: a &struct vmmgmt_credit,
 * or a &struct vmmgmt_ctrl whose name.name is all zero.  A guest never
 * answers them.
 */
enum vmmgmt_ctrl_op {
	VMMGMT_CTRL_PUBLISH = 1,
	VMMGMT_CTRL_WITHDRAW = 2,
	VMMGMT_CTRL_LOOKUP = 3,
	VMMGMT_CTRL_LIST = 4,
	VMMGMT_CTRL_CREDIT = 16,
	VMMGMT_CTRL_PEER_GONE = 17,
};

/**
 * VMMGMT_FLOW_WINDOW_MSGS - (ABI 0.7) records a guest that accepted
 * %VMMGMT_F_FLOW may have in flight to one destination: counted when it
 * posts them, returned by %VMMGMT_CTRL_CREDIT notices.  Destinations are
 * (0, vm, 0) for every port of another VM and (0, 0, port) for a host
 * endpoint; the records counted are all but control requests,
 * statistics samples and records to (0, 0, 0) (those the host consumes
 * or refuses itself).  The host returns
 * credits once half a window is due (records or bytes), or sooner when
 * the guest has records in flight to many destinations.
 */
#define VMMGMT_FLOW_WINDOW_MSGS		32
/** VMMGMT_FLOW_WINDOW_BYTES - (ABI 0.7) payload bytes in flight likewise. */
#define VMMGMT_FLOW_WINDOW_BYTES	(512 * 1024)
/**
 * VMMGMT_FLOW_DESTS - (ABI 0.7) destinations a guest has records in flight
 * to at once; a writer to one more waits for one of them to be returned.
 */
#define VMMGMT_FLOW_DESTS		64
/**
 * VMMGMT_HELD_MSGS - (ABI 0.7) most records the host holds for one VM
 * while their destinations are full; past it (or %VMMGMT_HELD_BYTES) it
 * answers a record with ENOBUFS.  A guest within its credits reaches it
 * only with four destinations or more wedged at once.
 */
#define VMMGMT_HELD_MSGS		128
/** VMMGMT_HELD_BYTES - (ABI 0.7) most payload bytes it holds for one VM. */
#define VMMGMT_HELD_BYTES		(2 * 1024 * 1024)

/**
 * struct vmmgmt_credit - (ABI 0.7) payload of a %VMMGMT_CTRL_CREDIT notice.
 * @op: %VMMGMT_CTRL_CREDIT.
 * @msgs: records returned, at least 1.
 * @dst: the destination: (0, vm, 0) or (0, 0, port).
 * @bytes: their payload bytes.
 *
 * The host sends one once half a window of records or of bytes is owed
 * for the destination, or at once while it owes this guest for more than
 * %VMMGMT_FLOW_DESTS / 2 destinations.
 */
struct vmmgmt_credit {
	__u32 op;
	__u32 msgs;
	struct vmmgmt_addr dst;
	__u64 bytes;
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

/**
 * enum vmmgmt_stream_op - (ABI 0.7) what a stream segment says.
 * @VMMGMT_STREAM_SYN: open a stream to a listening port; @window is the
 *	opener's receive window.  The opener chose the record's @id (not 0,
 *	unique among its open streams from that source address).
 * @VMMGMT_STREAM_ACCEPT: the listener accepted the stream; @window is its
 *	receive window.
 * @VMMGMT_STREAM_DATA: stream bytes after the segment header, the first
 *	at stream offset @seq (the bytes sent before it); at least 1 byte.
 * @VMMGMT_STREAM_ACK: a window update only.
 * @VMMGMT_STREAM_FIN: the sender writes no more; @seq is the stream's
 *	total length (half-close: the peer reads end-of-file after it).
 * @VMMGMT_STREAM_RST: the stream is over; a __u32 errno follows the
 *	segment header (ECONNREFUSED: nobody listens, or the backlog is full;
 *	ECONNRESET: the peer closed without reading everything, or went away;
 *	EPROTO: a segment broke the rules; EPERM: the mode is disabled).
 */
enum vmmgmt_stream_op {
	VMMGMT_STREAM_SYN = 1,
	VMMGMT_STREAM_ACCEPT = 2,
	VMMGMT_STREAM_DATA = 3,
	VMMGMT_STREAM_ACK = 4,
	VMMGMT_STREAM_FIN = 5,
	VMMGMT_STREAM_RST = 6,
};

/**
 * VMMGMT_STREAM_WINDOW - (ABI 0.7) the receive window each end of a
 * stream grants, in bytes: the most stream data in flight or buffered
 * unread in one direction.
 */
#define VMMGMT_STREAM_WINDOW		(256 * 1024)
/**
 * VMMGMT_STREAMS_MAX - (ABI 0.7) most streams open (connected, being
 * connected, or waiting in a backlog) in one guest, and on the host for
 * one VM's host endpoints.
 */
#define VMMGMT_STREAMS_MAX		64
/** VMMGMT_STREAM_BACKLOG_MAX - (ABI 0.7) most streams waiting for accept. */
#define VMMGMT_STREAM_BACKLOG_MAX	16

/**
 * struct vmmgmt_stream_seg - (ABI 0.7) the start of a stream segment's
 * payload (%VMMGMT_REC_F_STREAM).
 * @op: an &enum vmmgmt_stream_op value.
 * @flags: zero.
 * @reserved: zero.
 * @window: the sender of the segment may receive stream bytes up to
 *	offset @ack + @window: its peer sends no byte past that.  At most
 *	%VMMGMT_STREAM_WINDOW.  Never moves back.
 * @seq: DATA: the stream offset of its first byte; FIN: the total length;
 *	0 otherwise.
 * @ack: the peer's stream bytes the sender of the segment has consumed
 *	(read by its application); never moves back.
 *
 * Every segment but SYN and RST carries @window and @ack.  A segment that
 * breaks a rule (an offset out of order, data past the window, data after
 * FIN, a window or ack that moves back, an unknown op, nonzero flags or
 * reserved) resets the stream with EPROTO; it never breaks the channel.
 */
struct vmmgmt_stream_seg {
	__u8 op;
	__u8 flags;
	__u16 reserved;
	__u32 window;
	__u64 seq;
	__u64 ack;
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

/**
 * enum vmmgmt_stats_ctl_op - what a host's statistics request asks.
 * @VMMGMT_STATS_CTL_GET: report the sampling settings.
 * @VMMGMT_STATS_CTL_SET: set them: &vmmgmt_stats_ctl.sampling, and
 *	&vmmgmt_stats_ctl.period_ms unless it is 0 (keep the period).
 */
enum vmmgmt_stats_ctl_op {
	VMMGMT_STATS_CTL_GET = 1,
	VMMGMT_STATS_CTL_SET = 2,
};

/**
 * struct vmmgmt_stats_ctl - (ABI 0.6) payload of a %VMMGMT_MODE_STATS
 * request from the host to a guest module (destination (0, vm, 0)), and of
 * the guest's answer: the host drives the sampling of a guest whose owner
 * enabled the statistics mode.
 * @op: an &enum vmmgmt_stats_ctl_op value.
 * @sampling: 1 to sample, 0 to stop (SET); the answer carries the setting.
 * @period_ms: %VMMGMT_STATS_PERIOD_MIN_MS..%VMMGMT_STATS_PERIOD_MAX_MS, or
 *	0 to keep it (SET); the answer carries the setting.
 * @reserved: zero.
 *
 * The answer is a %VMMGMT_REC_F_RESPONSE record of mode
 * %VMMGMT_MODE_STATS with the request's id, from (0, vm, 0): this
 * structure with the settings now in force, or with %VMMGMT_REC_F_ERROR a
 * __u32 errno: EPERM (the guest's owner has disabled the statistics
 * mode), EINVAL (a bad request).
 */
struct vmmgmt_stats_ctl {
	__u32 op;
	__u32 sampling;
	__u32 period_ms;
	__u32 reserved;
};

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
static_assert(sizeof(struct vmmgmt_ring_desc) == 16, "ring descriptor size");
static_assert(sizeof(struct vmmgmt_ring_ctrl) == 2 * VMMGMT_CACHELINE, "ring control size");
static_assert(sizeof(struct vmmgmt_addr) == 16, "address size");
static_assert(sizeof(struct vmmgmt_rec) == 48, "record header size");
static_assert(sizeof(struct vmmgmt_name) == 56, "name size");
static_assert(sizeof(struct vmmgmt_ctrl) == 64, "ctrl size");
static_assert(sizeof(struct vmmgmt_name_list) ==
	      64 + VMMGMT_NAMES_PER_LIST * sizeof(struct vmmgmt_name),
	      "name list size");
/* The largest list answer fits the smallest ring (VMMGMT_RING_MIN_DATA / 4). */
static_assert(sizeof(struct vmmgmt_name_list) <= VMMGMT_RING_MIN_DATA / 4,
	      "largest name list");
static_assert(sizeof(struct vmmgmt_stream_seg) == 24, "stream segment size");
static_assert(sizeof(struct vmmgmt_stats_cpu) == 48, "stats cpu size");
static_assert(sizeof(struct vmmgmt_stats_needs) == 16, "stats needs size");
static_assert(sizeof(struct vmmgmt_stats_sample) == 240, "stats sample size");
static_assert(sizeof(struct vmmgmt_stats_ctl) == 16, "stats ctl size");
/* The largest sample fits the smallest ring (VMMGMT_RING_MIN_DATA / 4). */
static_assert(sizeof(struct vmmgmt_stats_sample) +
	      VMMGMT_STATS_MAX_CPUS * sizeof(struct vmmgmt_stats_cpu) <=
	      VMMGMT_RING_MIN_DATA / 4, "largest stats sample");

#endif /* _UAPI_LINUX_VMMGMT_TYPES_H */
