/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmgmt: the ioctls of /dev/vmmgmt-host (host) and /dev/vmmgmt (guest),
 * their argument structures, and what read(), write() and poll() do on
 * each.  The wire format they carry is in <vmmgmt_types.h>.
 *
 * Rules: fixed-width types only, explicit padding that must be zero,
 * structures grow only into their reserved space, and every size is
 * asserted at the end of this file.
 */
#ifndef _UAPI_LINUX_VMMGMT_H
#define _UAPI_LINUX_VMMGMT_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include "vmmgmt_types.h"

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
 * @flags: zero or %VMMGMT_HOST_VM_F_PERSIST (ABI 0.8).
 * @kick_fds: eventfds QEMU signals when the guest rings the host's
 *	doorbell (peer 0, vector v); the host module waits on them.
 * @call_fds: eventfds the host module signals to interrupt the guest on
 *	vector v (QEMU's irqfds).
 * @qemu_pid: the QEMU process that serves the VM (SO_PEERCRED), in the
 *	caller's PID namespace.  With %VMMGMT_HOST_VM_F_PERSIST it must be a
 *	live process.
 * @pad: zero.
 * @name: the VM's name, NUL-terminated, [A-Za-z0-9_-], unique.
 * @reserved: zero.
 *
 * Without %VMMGMT_HOST_VM_F_PERSIST the VM stays registered until
 * VMMGMT_HOST_IOC_DEL_VM or until the file that registered it is closed.
 * With it (ABI 0.8) the VM is not tied to that file: it stays until
 * VMMGMT_HOST_IOC_DEL_VM (by its owner, or by anyone once it is an
 * orphan) or until the
 * process @qemu_pid exits, which the module watches itself; a daemon that
 * exits or is killed leaves its VMs running, and a new one finds them
 * with VMMGMT_HOST_IOC_LIST_VMS and claims them with
 * VMMGMT_HOST_IOC_ADOPT_VM.
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
 * VMMGMT_HOST_VM_F_PERSIST - (ABI 0.8) &struct vmmgmt_host_vm_add.flags:
 * the VM outlives the file that registered it and goes away when its QEMU
 * exits (or on VMMGMT_HOST_IOC_DEL_VM).
 */
#define VMMGMT_HOST_VM_F_PERSIST	0x1
/**
 * VMMGMT_HOST_VM_F_ORPHAN - (ABI 0.8) &struct vmmgmt_host_vm_info.flags:
 * the file that registered or last adopted the VM is closed (its daemon
 * exited); the VM runs on.
 */
#define VMMGMT_HOST_VM_F_ORPHAN		0x2

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
 *	vector count, region size or seals); ESRCH (ABI 0.8: PERSIST and
 *	qemu_pid is not a live process); EBADF (an fd is not open);
 *	EINVAL (an fd is not a memfd or an eventfd as required); EEXIST (id
 *	or name in use, or the region is another VM's); ENOSPC (too many
 *	VMs); ENOMEM.
 * VMMGMT_HOST_IOC_DEL_VM - unregister a VM (struct vmmgmt_host_vm_del)
 *	added through this same file (or adopted by it), or (ABI 0.8) an
 *	orphan (VMMGMT_HOST_VM_F_ORPHAN).  Errors: EFAULT; EINVAL; ENOENT.
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
 *	unknown, unknown flags, VMMGMT_REC_F_STREAM (ABI 0.7: streams have
 *	their own ioctls), nonzero reserved, dst.vm 0), EMSGSIZE,
 *	EHOSTUNREACH (no such VM, or dst.host not 0), EPIPE (the VM's channel
 *	is broken), EPERM (the guest accepted VMMGMT_F_MODES and its
 *	guest_modes has the record's mode disabled: the guest would refuse
 *	it), EAGAIN (the VM's send queue is full and O_NONBLOCK; otherwise
 *	write() blocks), ETIMEDOUT (ABI 0.7: it stayed full for the file's
 *	send timeout, VMMGMT_HOST_IOC_SET_TIMEOUT, 5 s by default),
 *	ECONNRESET (the VM went away while the writer waited), EPIPE also
 *	when the channel broke while the writer waited, ENOMEM, EFAULT.  An
 *	unbound file is bound to a dynamic port first.
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
 * into the ring and (ABI 0.7, VMMGMT_F_FLOW) the guest has credit for the
 * file's own destination, EPOLLERR when the link is not up.
 *	write() blocks (ABI 0.7) while the guest has no credit for the
 *	file's destination (VMMGMT_FLOW_WINDOW_MSGS records or
 *	VMMGMT_FLOW_WINDOW_BYTES bytes to (0, 0, port), or to (0, vm, 0) for
 *	every port of that VM, in flight and not yet returned by a
 *	VMMGMT_CTRL_CREDIT notice, or records in flight to
 *	VMMGMT_FLOW_DESTS other destinations), until the host returns
 *	credit, a link change or removal; only writers to that destination
 *	wait.  Then it blocks while the ring is full.
 *	write() errors: ENOTCONN (link down), EPIPE (link broken),
 *	EDESTADDRREQ (no VMMGMT_IOC_CONNECT), EMSGSIZE (longer than
 *	VMMGMT_MSG_MAX, or than the ring allows: sysfs max_msg_size), EAGAIN
 *	(no credit for the destination or ring full, and O_NONBLOCK; otherwise
 *	write() blocks), EFAULT, ENOMEM.
 *	read() errors: ENOTCONN, EPIPE (nothing queued and the link is not
 *	up), EAGAIN (nothing queued and O_NONBLOCK; otherwise read() blocks),
 *	EMSGSIZE (buffer shorter than the next message, which stays queued),
 *	EFAULT; or the errno the host answered a message with (a record with
 *	VMMGMT_REC_F_ERROR: EHOSTUNREACH, ECONNREFUSED, EACCES, EHOSTDOWN,
 *	EMSGSIZE or ENOBUFS: the host was out of memory or, ABI 0.7, its
 *	held queue for this guest was full; see Documentation/vmmgmt.rst),
 *	which is consumed.
 *	Both fail with ENODEV once the device was removed.
 *	close() waits for the host 1 s at most: the names the file published
 *	are withdrawn without waiting for the answers (see VMMGMT_IOC_PUBLISH).
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
 *	name is withdrawn when the file is closed (a withdrawal that finds
 *	no room in the ring within 1 s is given up and counted in sysfs
 *	withdrawals_lost), and by the host when the channel is reset.
 *	Errors: EINVAL (bad name, nonzero flags, reserved
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

/**
 * struct vmmgmt_mode_req - (ABI 0.6) the mode of one open /dev/vmmgmt file.
 * @mode: %VMMGMT_MODE_CHAT, %VMMGMT_MODE_FILE, %VMMGMT_MODE_CALC or
 *	%VMMGMT_MODE_CMD.  (%VMMGMT_MODE_STATS is the module's own: the
 *	module sends the samples, and files add to them with
 *	VMMGMT_IOC_SET_NEEDS.)
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_mode_req {
	__u32 mode;
	__u32 flags;
	__u64 reserved;
};

/*
 * VMMGMT_IOC_SET_MODE - (ABI 0.6) put this file in a mode (struct
 *	vmmgmt_mode_req); a new file is in VMMGMT_MODE_CHAT.  The records the
 *	file sends carry its mode, and only records of its mode reach it.
 *	Errors: EFAULT; EINVAL (not a mode a file can be in, nonzero flags or
 *	reserved); EPERM (the guest's owner has not enabled the mode: sysfs
 *	modes/<mode>/enabled).  Also after the device was removed.
 * VMMGMT_IOC_GET_MODE - (ABI 0.6) the mode of this file (struct
 *	vmmgmt_mode_req).  Errors: EFAULT.
 * A file whose mode the owner disables keeps it: its write() fails with
 *	EPERM until the mode is enabled again, and records of that mode from
 *	the host are answered with EPERM instead of reaching it.
 */
#define VMMGMT_IOC_SET_MODE \
	_IOW(VMMGMT_IOC_MAGIC, 0x49, struct vmmgmt_mode_req)
#define VMMGMT_IOC_GET_MODE \
	_IOR(VMMGMT_IOC_MAGIC, 0x4a, struct vmmgmt_mode_req)

/**
 * struct vmmgmt_stream_connect - (ABI 0.7) open a stream from this file.
 * @addr: the listening endpoint: (0, vm, port) in a guest (vm 0: the
 *	host), (0, vm, port) with a VM id on the host.
 * @timeout_ms: how long to wait for the listener's ACCEPT; 0: 5000.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_stream_connect {
	struct vmmgmt_addr addr;
	__u32 timeout_ms;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct vmmgmt_stream_listen - (ABI 0.7) make this file a listener.
 * @port: the port to listen on; 0 asks for a dynamic one (written back).
 *	In a guest an already bound file listens on its bound port (@port 0
 *	or the same port).
 * @backlog: streams that may wait for accept, 1..%VMMGMT_STREAM_BACKLOG_MAX
 *	(0: the maximum).
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_stream_listen {
	__u32 port;
	__u32 backlog;
	__u32 flags;
	__u32 reserved;
};

/** VMMGMT_ACCEPT_NONBLOCK - the accepted stream's file is O_NONBLOCK. */
#define VMMGMT_ACCEPT_NONBLOCK		0x1

/**
 * struct vmmgmt_stream_accept - (ABI 0.7) take one stream off a listener.
 * @peer: filled in: the address of the stream's other end.
 * @fd: filled in: a new file descriptor (O_CLOEXEC) for the stream.
 * @flags: %VMMGMT_ACCEPT_NONBLOCK or zero.
 * @reserved: zero.
 */
struct vmmgmt_stream_accept {
	struct vmmgmt_addr peer;
	__s32 fd;
	__u32 flags;
	__u64 reserved;
};

/*
 * Streams (ABI 0.7): connection-oriented, ordered, reliable byte streams
 * between two endpoints (a guest file and a host file, or two guest files
 * through the host, policy-checked like messages), of any length, with
 * credit-based flow control: each end grants VMMGMT_STREAM_WINDOW bytes
 * beyond what its reader consumed, and a writer waits (or gets EAGAIN)
 * only for its own stream's window.  See Documentation/vmmgmt.rst,
 * "Streams".  The ioctls are the same on both devices; a file that is a
 * stream (connected or accepted) reads and writes bytes, not records:
 *	read(): the next bytes; 0 at end of stream (the peer shut down its
 *	side); blocks while nothing is buffered (EAGAIN with O_NONBLOCK).
 *	Errors: ECONNRESET (the peer reset the stream, closed it without
 *	reading everything, or went away), EPROTO (the peer broke the
 *	rules), EPIPE/ENOTCONN (the link is broken/down).
 *	write(): returns once all bytes are sent within the peer's window,
 *	blocking while the window is closed (with O_NONBLOCK: the bytes that
 *	fit, or EAGAIN).  Errors: EPIPE (after VMMGMT_IOC_STREAM_SHUTDOWN,
 *	no SIGPIPE), and those of read().
 *	poll(): EPOLLIN with bytes buffered or at end of stream, EPOLLOUT
 *	while the window is open, EPOLLHUP/EPOLLERR once the stream is over.
 *	read_iter and write_iter: splice() and sendfile() work both ways.
 *	close(): sends FIN if the file was not shut down, RST (ECONNRESET)
 *	if unread bytes were buffered; never waits for the peer.
 * VMMGMT_IOC_STREAM_CONNECT (guest) / VMMGMT_HOST_IOC_STREAM_CONNECT
 *	(host) - turn this file into a stream to a listener (struct
 *	vmmgmt_stream_connect); waits for its ACCEPT.  An unbound file is
 *	bound to a dynamic port first.  Errors: EINVAL (nonzero flags or
 *	reserved, addr.host not 0, a host file connecting to vm 0);
 *	EISCONN (the file already is a stream, a listener, or set up for
 *	messages with VMMGMT_IOC_CONNECT); ECONNREFUSED (nobody listens
 *	there, or the backlog is full); EACCES (the policy does not allow
 *	the pair of VMs); EHOSTUNREACH (no such VM); EHOSTDOWN (its channel
 *	is not up); EPERM (the mode is disabled on either side);
 *	EOPNOTSUPP (the peer's module has no streams, ABI < 0.7); EMFILE
 *	(VMMGMT_STREAMS_MAX open); ETIMEDOUT; EINTR; ENOTCONN/EPIPE (link).
 * VMMGMT_IOC_STREAM_LISTEN / VMMGMT_HOST_IOC_STREAM_LISTEN - make this
 *	file a listener (struct vmmgmt_stream_listen; the port is written
 *	back).  Publish a name for it with the names ioctls.  Errors: EINVAL;
 *	EISCONN; EADDRINUSE; EADDRNOTAVAIL.
 * VMMGMT_IOC_STREAM_ACCEPT / VMMGMT_HOST_IOC_STREAM_ACCEPT - wait for a
 *	stream on a listener (struct vmmgmt_stream_accept).  Errors: EINVAL
 *	(not a listener, unknown flags); EAGAIN (O_NONBLOCK on the listener
 *	and none waiting); EMFILE (no fd); EINTR.  poll() on a listener:
 *	EPOLLIN while a stream waits.
 * VMMGMT_IOC_STREAM_SHUTDOWN / VMMGMT_HOST_IOC_STREAM_SHUTDOWN - this
 *	side writes no more (FIN after the bytes already written); reading
 *	goes on.  Errors: ENOTCONN (not a stream).
 */
#define VMMGMT_IOC_STREAM_CONNECT \
	_IOW(VMMGMT_IOC_MAGIC, 0x4b, struct vmmgmt_stream_connect)
#define VMMGMT_IOC_STREAM_LISTEN \
	_IOWR(VMMGMT_IOC_MAGIC, 0x4c, struct vmmgmt_stream_listen)
#define VMMGMT_IOC_STREAM_ACCEPT \
	_IOWR(VMMGMT_IOC_MAGIC, 0x4d, struct vmmgmt_stream_accept)
#define VMMGMT_IOC_STREAM_SHUTDOWN \
	_IO(VMMGMT_IOC_MAGIC, 0x4e)
#define VMMGMT_HOST_IOC_STREAM_CONNECT \
	_IOW(VMMGMT_IOC_MAGIC, 0x13, struct vmmgmt_stream_connect)
#define VMMGMT_HOST_IOC_STREAM_LISTEN \
	_IOWR(VMMGMT_IOC_MAGIC, 0x14, struct vmmgmt_stream_listen)
#define VMMGMT_HOST_IOC_STREAM_ACCEPT \
	_IOWR(VMMGMT_IOC_MAGIC, 0x15, struct vmmgmt_stream_accept)
#define VMMGMT_HOST_IOC_STREAM_SHUTDOWN \
	_IO(VMMGMT_IOC_MAGIC, 0x16)

/**
 * struct vmmgmt_host_timeout - (ABI 0.7) how long write() of a host file
 * waits for room at a VM that does not drain.
 * @send_ms: milliseconds; 0 restores the default (5000).  A write that
 *	waited this long fails with ETIMEDOUT.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_host_timeout {
	__u32 send_ms;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct vmmgmt_host_vm_info - (ABI 0.8) one registered VM, as
 * VMMGMT_HOST_IOC_LIST_VMS reports it.
 * @vm_id: its id.
 * @qemu_pid: the QEMU process that serves it (as given to ADD_VM, in the
 *	PID namespace of the file that registered it).
 * @region_size: bytes of its region.
 * @nr_vectors: its interrupt vectors per direction.
 * @flags: %VMMGMT_HOST_VM_F_PERSIST, %VMMGMT_HOST_VM_F_ORPHAN.
 * @link_state: the &enum vmmgmt_link_state of its channel.
 * @adoptions: VMMGMT_HOST_IOC_ADOPT_VM calls that claimed it.
 * @name: its name, NUL-terminated.
 * @reserved: zero.
 */
struct vmmgmt_host_vm_info {
	__u32 vm_id;
	__u32 qemu_pid;
	__u64 region_size;
	__u32 nr_vectors;
	__u32 flags;
	__u32 link_state;
	__u32 adoptions;
	__u8 name[VMMGMT_NAME_MAX];
	__u64 reserved[2];
};

/** VMMGMT_HOST_VMS_PER_LIST - most VMs one &struct vmmgmt_host_vm_list holds. */
#define VMMGMT_HOST_VMS_PER_LIST	16
/** VMMGMT_HOST_VM_LIST_F_MORE - VMs with higher ids than the last listed exist. */
#define VMMGMT_HOST_VM_LIST_F_MORE	0x1

/**
 * struct vmmgmt_host_vm_list - (ABI 0.8) one page of the registered VMs:
 * argument of VMMGMT_HOST_IOC_LIST_VMS.
 * @after_id: the VMs listed are those with an id above this one; 0 to
 *	start with the first.
 * @count: entries of @vms filled in, 0..%VMMGMT_HOST_VMS_PER_LIST; zero
 *	in the request.
 * @flags: zero in the request; %VMMGMT_HOST_VM_LIST_F_MORE in the answer
 *	when VMs with higher ids than the last entry exist (list again with
 *	@after_id set to its id).
 * @reserved: zero.
 * @vms: the VMs, by increasing id.
 */
struct vmmgmt_host_vm_list {
	__u32 after_id;
	__u32 count;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
	struct vmmgmt_host_vm_info vms[VMMGMT_HOST_VMS_PER_LIST];
};

/**
 * struct vmmgmt_host_vm_adopt - (ABI 0.8) claim a registered VM.
 * @vm_id: its id.
 * @qemu_pid: the QEMU process the caller believes serves it; must match.
 * @reserved: zero.
 */
struct vmmgmt_host_vm_adopt {
	__u32 vm_id;
	__u32 qemu_pid;
	__u64 reserved;
};

/*
 * VMMGMT_HOST_IOC_LIST_VMS - (ABI 0.8) one page of the registered VMs
 *	(struct vmmgmt_host_vm_list).  Errors: EFAULT; EINVAL (nonzero count,
 *	flags, pad or reserved in the request).
 * VMMGMT_HOST_IOC_ADOPT_VM - (ABI 0.8) make this file the VM's owner
 *	(struct vmmgmt_host_vm_adopt): it is no longer an orphan, its
 *	adoptions count grows by one and the kernel log says so.  Only VMs
 *	registered with VMMGMT_HOST_VM_F_PERSIST can be adopted.  Errors:
 *	EFAULT; EINVAL (nonzero reserved); ENOENT (no such VM); ESRCH
 *	(qemu_pid is not the VM's QEMU); EPERM (not a PERSIST VM).
 */
#define VMMGMT_HOST_IOC_LIST_VMS \
	_IOWR(VMMGMT_IOC_MAGIC, 0x18, struct vmmgmt_host_vm_list)
#define VMMGMT_HOST_IOC_ADOPT_VM \
	_IOW(VMMGMT_IOC_MAGIC, 0x19, struct vmmgmt_host_vm_adopt)

/**
 * VMMGMT_HOST_HANDOVER_FORMAT - (ABI 0.9) the format of the VM state a
 * module exports for the next one (VMMGMT_HOST_IOC_EXPORT_VM).  A module
 * imports states of formats 1 up to its own; vmmgmtd refuses to replace a
 * module by one whose .ko says (modinfo vmmgmt_handover) it cannot take
 * the running one's format, before anything stops.
 */
#define VMMGMT_HOST_HANDOVER_FORMAT	1
/** VMMGMT_HOST_HANDOVER_PORTS - most host ports a handover keeps. */
#define VMMGMT_HOST_HANDOVER_PORTS	64
/** VMMGMT_HOST_HANDOVER_STATE_MAX - largest state of one VM, in bytes. */
#define VMMGMT_HOST_HANDOVER_STATE_MAX	(4 * 1024 * 1024)
/**
 * VMMGMT_HOST_HANDOVER_HOLD_MS - how long the new module holds records for
 * the ports bound before a handover (in the senders' held queues, with no
 * error) until a program binds them again.
 */
#define VMMGMT_HOST_HANDOVER_HOLD_MS	10000

/**
 * struct vmmgmt_host_quiesce - (ABI 0.9) the argument of
 * VMMGMT_HOST_IOC_QUIESCE and VMMGMT_HOST_IOC_RESUME.
 * @format: out: the module's %VMMGMT_HOST_HANDOVER_FORMAT.
 * @nr_ports: QUIESCE: out, the host ports bound now, in @ports.  RESUME:
 *	in, the ports to hold records for (%VMMGMT_HOST_HANDOVER_HOLD_MS)
 *	until they are bound again.
 * @ports: see @nr_ports; at most %VMMGMT_HOST_HANDOVER_PORTS.
 * @flags: zero.
 * @pad: zero.
 * @reserved: zero.
 */
struct vmmgmt_host_quiesce {
	__u32 format;
	__u32 nr_ports;
	__u32 ports[VMMGMT_HOST_HANDOVER_PORTS];
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct vmmgmt_host_vm_state_hdr - (ABI 0.9) how a VM's exported state
 * begins; the rest is the module's own, in the format named here.
 * @magic: %VMMGMT_HOST_STATE_MAGIC.
 * @format: %VMMGMT_HOST_HANDOVER_FORMAT of the module that wrote it.
 * @len: bytes of the whole state, this header included.
 * @vm_id: the VM.
 */
struct vmmgmt_host_vm_state_hdr {
	__u32 magic;
	__u32 format;
	__u32 len;
	__u32 vm_id;
};

/** VMMGMT_HOST_STATE_MAGIC - &struct vmmgmt_host_vm_state_hdr.magic. */
#define VMMGMT_HOST_STATE_MAGIC		0x766d686fu

/**
 * struct vmmgmt_host_vm_export - (ABI 0.9) the argument of
 * VMMGMT_HOST_IOC_EXPORT_VM.
 * @vm_id: in: the VM.
 * @flags: in: zero.
 * @state: in: a buffer for the VM's state (starts with a
 *	&struct vmmgmt_host_vm_state_hdr).
 * @state_len: in: the buffer's size; out: the bytes written, or needed
 *	(ENOSPC).
 * @pad: zero.
 * @add: out: what registers the VM again, with VMMGMT_HOST_IOC_IMPORT_VM
 *	here or in the next module: its id, name, QEMU, vectors, flags, and
 *	new fds in the caller for the region and each eventfd (close-on-exec).
 * @reserved: zero.
 */
struct vmmgmt_host_vm_export {
	__u32 vm_id;
	__u32 flags;
	__u64 state;
	__u32 state_len;
	__u32 pad;
	struct vmmgmt_host_vm_add add;
	__u64 reserved[2];
};

/**
 * struct vmmgmt_host_vm_import - (ABI 0.9) the argument of
 * VMMGMT_HOST_IOC_IMPORT_VM.
 * @add: as for VMMGMT_HOST_IOC_ADD_VM (VMMGMT_HOST_IOC_EXPORT_VM filled it
 *	in); the region is taken as it is, not laid out again.
 * @state: the state VMMGMT_HOST_IOC_EXPORT_VM wrote.
 * @state_len: its length.
 * @flags: zero.
 * @reserved: zero.
 */
struct vmmgmt_host_vm_import {
	struct vmmgmt_host_vm_add add;
	__u64 state;
	__u32 state_len;
	__u32 flags;
	__u64 reserved[2];
};

/*
 * Replacing the host module with VMs running (ABI 0.9; vmmgmtd does this
 * for "vmmgmtctl upgrade", see Documentation/vmmgmt.rst):
 *
 * VMMGMT_HOST_IOC_QUIESCE - stop every VM's worker after its current
 *	batch (guest records wait in the rings; guests see a pause, never a
 *	reset) and shut the host endpoints: read() returns what is queued,
 *	then ESHUTDOWN, as do write() and the stream calls; poll() reports
 *	EPOLLHUP; open() fails with EAGAIN until VMMGMT_HOST_IOC_RESUME or
 *	the module is replaced.  Fills in the bound ports (struct
 *	vmmgmt_host_quiesce).  Errors: EFAULT; EINVAL (nonzero flags, pad or
 *	reserved); EBUSY (quiesced already, by another file); ENOSPC (more
 *	than VMMGMT_HOST_HANDOVER_PORTS ports bound; nothing stopped).
 * VMMGMT_HOST_IOC_EXPORT_VM - write a quiesced VM's channel state (ring
 *	positions, held and queued records, credits owed, names, quotas,
 *	scheduling policy) and the fds that register it again (struct
 *	vmmgmt_host_vm_export), and remove it from this module without
 *	touching the guest's view: no link change, no interrupt, no notice
 *	to other VMs.  Errors: EFAULT; EINVAL; ENOENT (no such VM); EPERM
 *	(not quiesced through this file); ENOSPC (state_len too small: the
 *	size needed is written back); EMFILE; ENOMEM.
 * VMMGMT_HOST_IOC_IMPORT_VM - register a VM from an exported state
 *	(struct vmmgmt_host_vm_import), owned by this file, PERSIST; its
 *	worker waits for VMMGMT_HOST_IOC_RESUME (or this file's close).
 *	Errors: those of VMMGMT_HOST_IOC_ADD_VM, and EPROTO (a state of
 *	another format, or that does not match the VM or breaks a limit).
 * VMMGMT_HOST_IOC_RESUME - start the imported VMs' workers, end a
 *	quiesce, and hold records for the given ports until they are bound
 *	again (struct vmmgmt_host_quiesce, in).  Errors: EFAULT; EINVAL.
 */
#define VMMGMT_HOST_IOC_QUIESCE \
	_IOWR(VMMGMT_IOC_MAGIC, 0x1a, struct vmmgmt_host_quiesce)
#define VMMGMT_HOST_IOC_EXPORT_VM \
	_IOWR(VMMGMT_IOC_MAGIC, 0x1b, struct vmmgmt_host_vm_export)
#define VMMGMT_HOST_IOC_IMPORT_VM \
	_IOW(VMMGMT_IOC_MAGIC, 0x1c, struct vmmgmt_host_vm_import)
#define VMMGMT_HOST_IOC_RESUME \
	_IOW(VMMGMT_IOC_MAGIC, 0x1d, struct vmmgmt_host_quiesce)

/*
 * VMMGMT_HOST_IOC_SET_TIMEOUT - (ABI 0.7) set this file's send timeout
 *	(struct vmmgmt_host_timeout).  Errors: EFAULT; EINVAL (nonzero flags
 *	or reserved, more than 600000 ms).
 */
#define VMMGMT_HOST_IOC_SET_TIMEOUT \
	_IOW(VMMGMT_IOC_MAGIC, 0x17, struct vmmgmt_host_timeout)

/*
 * VMMGMT_IOC_SET_NEEDS - (ABI 0.4) set what the guest could use now
 *	(struct vmmgmt_stats_needs); the next statistics sample carries it,
 *	and every later one until it is set again.  All zero clears it.
 *	Needs CAP_SYS_ADMIN.  Errors: EFAULT; EPERM; EINVAL (a value above
 *	its maximum, nonzero flags or reserved); ENODEV.
 */
#define VMMGMT_IOC_SET_NEEDS \
	_IOW(VMMGMT_IOC_MAGIC, 0x50, struct vmmgmt_stats_needs)

/* The layout is the ABI: these sizes change only with a new major. */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif
static_assert(sizeof(struct vmmgmt_version) == 32, "version size");
static_assert(sizeof(struct vmmgmt_host_vm_add) == 160, "vm_add size");
static_assert(sizeof(struct vmmgmt_host_vm_del) == 16, "vm_del size");
static_assert(sizeof(struct vmmgmt_bind) == 16, "bind size");
static_assert(sizeof(struct vmmgmt_info) == 64, "info size");
static_assert(sizeof(struct vmmgmt_mode_req) == 16, "mode request size");
static_assert(sizeof(struct vmmgmt_stream_connect) == 32, "stream connect size");
static_assert(sizeof(struct vmmgmt_stream_listen) == 16, "stream listen size");
static_assert(sizeof(struct vmmgmt_stream_accept) == 32, "stream accept size");
static_assert(sizeof(struct vmmgmt_host_timeout) == 16, "host timeout size");
static_assert(sizeof(struct vmmgmt_host_vm_info) == 80, "vm info size");
static_assert(sizeof(struct vmmgmt_host_vm_list) == 1312, "vm list size");
static_assert(sizeof(struct vmmgmt_host_vm_adopt) == 16, "vm adopt size");
static_assert(sizeof(struct vmmgmt_host_quiesce) == 288, "quiesce size");
static_assert(sizeof(struct vmmgmt_host_vm_state_hdr) == 16, "state header size");
static_assert(sizeof(struct vmmgmt_host_vm_export) == 200, "vm export size");
static_assert(sizeof(struct vmmgmt_host_vm_import) == 192, "vm import size");

#endif /* _UAPI_LINUX_VMMGMT_H */
