// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: streams on host endpoints.
 *
 * A /dev/vmmgmt-host file becomes a listener (VMMGMT_HOST_IOC_STREAM_LISTEN)
 * or a stream to a guest's listener (VMMGMT_HOST_IOC_STREAM_CONNECT; the
 * file itself then reads, writes and polls bytes, like a socket).  A
 * guest's SYN to a listener's port makes a stream that waits in the
 * listener's backlog (its ACCEPT is sent at once, so the guest may write
 * up to a window before the host application accepts) until
 * VMMGMT_HOST_IOC_STREAM_ACCEPT gives it an anon-inode file of its own.
 *
 * The protocol's numbers are lib/vmmgmt_stream.c's (vmmgmt_stream_*());
 * this file keeps the buffers, the files and the wait queues around them.
 * A stream is found by (local port, peer address, id) in one table, which
 * also holds the listeners by port.  Segments from a guest come from its
 * worker (vmmgmt_host_stream_rx()); received DATA is buffered per stream,
 * at most the window this end granted (a peer that sends more breaks the
 * rules: EPROTO).  Segments to a guest are queued on the VM's send queue
 * (&vmmgmt_host_vm.tx), which its worker posts: DATA only while the queue
 * has room (the writer waits for it and for the peer's window); ACK, FIN
 * and RST, a few bytes each, whatever the queue holds, so that a reader
 * or a close() never waits for a guest.  A segment is numbered and queued
 * under the stream's lock in one go, so segments leave in the order their
 * acks and offsets were taken.
 *
 * Every stream with a VM as peer counts against that VM's
 * %VMMGMT_STREAMS_MAX (&vmmgmt_host_vm.streams_open) from SYN or CONNECT
 * until its file is closed.  A VM that is removed or resets its channel
 * fails its streams with ECONNRESET (vmmgmt_host_stream_vm_gone()).
 *
 * Owns: &struct vmmgmt_host_stream, &struct vmmgmt_host_listener, the
 * table of both, the stream files' operations, and the @stream, @listener
 * and @stream_busy fields of &struct vmmgmt_host_ep.
 *
 * May call: host endpoints (binding a port), the registry (the peer VM),
 * the region (the guest's modes), the queues and the shared stream rules.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/* Default wait of VMMGMT_HOST_IOC_STREAM_CONNECT for the ACCEPT. */
#define VMMGMT_HOST_CONNECT_MS	5000

/**
 * struct vmmgmt_host_chunk - stream bytes received in one DATA segment.
 * @node: in &vmmgmt_host_stream.rx.
 * @len: bytes in @data.
 * @off: bytes of @data the reader took already.  Reader only.
 * @data: the bytes.
 */
struct vmmgmt_host_chunk {
	struct list_head node;
	u32 len;
	u32 off;
	u8 data[];
};

/**
 * struct vmmgmt_host_stream - one host end of a stream with a guest.
 * @hnode: in the table.  Protected by vmmgmt_host_streams_mutex.
 * @hashed: in the table (and counted in @vm->streams_open).  Likewise.
 * @qnode: in its listener's backlog while @listener is set.  Likewise.
 * @listener: the listener whose backlog holds the stream, or NULL.
 *	Likewise.
 * @ref: the table, the worker handling a segment, and the file each
 *	hold one.
 * @vm: the peer VM (a reference; check @vm->dead under @vm->tx_lock).
 * @port: the local port.
 * @peer: the peer's address, (0, VM id, port).
 * @id: the stream's id.
 * @mode: the stream's mode, carried by every segment.
 * @rx_mutex: one reader at a time; held across the copy to the reader.
 * @tx_mutex: one writer at a time; held across the wait for room.
 * @lock: protects everything below.
 * @st: the protocol's numbers (lib/vmmgmt_stream.h).
 * @rx: &struct vmmgmt_host_chunk entries, oldest first.  Only the reader
 *	(under @rx_mutex) removes or changes them.
 * @rx_bytes: unread bytes in @rx.
 * @closed: the file was released: received data is dropped.
 * @wq: readers, writers, pollers and the connecting thread wait here.
 */
struct vmmgmt_host_stream {
	struct hlist_node hnode;
	bool hashed;
	struct list_head qnode;
	struct vmmgmt_host_listener *listener;
	struct kref ref;
	struct vmmgmt_host_vm *vm;
	u32 port;
	struct vmmgmt_addr peer;
	u64 id;
	u16 mode;
	struct mutex rx_mutex;	/* see above */
	struct mutex tx_mutex;	/* see above */
	struct mutex lock;	/* see above */
	struct vmmgmt_stream_state st;
	struct list_head rx;
	u32 rx_bytes;
	bool closed;
	wait_queue_head_t wq;
};

/**
 * struct vmmgmt_host_listener - a listening /dev/vmmgmt-host file.
 * @hnode: in the table, by @port.
 * @port: the file's port.
 * @backlog: most streams in @queue, 1..%VMMGMT_STREAM_BACKLOG_MAX.
 * @queue: streams waiting for accept, oldest first.
 * @queued: entries in @queue.
 * @wq: accept() and pollers wait here.
 *
 * All but @wq protected by vmmgmt_host_streams_mutex.
 */
struct vmmgmt_host_listener {
	struct hlist_node hnode;
	u32 port;
	u32 backlog;
	struct list_head queue;
	u32 queued;
	wait_queue_head_t wq;
};

/*
 * The table: streams by (port, peer, id), listeners by port; and the
 * stream fields of host endpoints.  A mutex: taken only in process
 * context (workers, files), never inside a stream's lock.
 */
static DEFINE_MUTEX(vmmgmt_host_streams_mutex);
static DEFINE_HASHTABLE(vmmgmt_host_streams, 8);
static DEFINE_HASHTABLE(vmmgmt_host_listeners, 6);
/* Ids of streams the host opens: unique, whatever the port. */
static atomic64_t vmmgmt_host_stream_ids = ATOMIC64_INIT(0);

static const struct file_operations vmmgmt_host_stream_fops;

/* The table key of a stream. */
static u64 vmmgmt_host_stream_key(u32 port, const struct vmmgmt_addr *peer,
				  u64 id)
{
	return id ^ ((u64)port << 32) ^ ((u64)peer->vm << 16) ^ peer->port;
}

/* Context: vmmgmt_host_streams_mutex held. */
static struct vmmgmt_host_stream *
vmmgmt_host_stream_find(u32 port, const struct vmmgmt_addr *peer, u64 id)
{
	struct vmmgmt_host_stream *s;

	lockdep_assert_held(&vmmgmt_host_streams_mutex);
	hash_for_each_possible(vmmgmt_host_streams, s, hnode,
			       vmmgmt_host_stream_key(port, peer, id))
		if (s->port == port && s->id == id && s->peer.vm == peer->vm &&
		    s->peer.port == peer->port && s->peer.host == peer->host)
			return s;
	return NULL;
}

/* Context: vmmgmt_host_streams_mutex held. */
static struct vmmgmt_host_listener *vmmgmt_host_listener_find(u32 port)
{
	struct vmmgmt_host_listener *l;

	lockdep_assert_held(&vmmgmt_host_streams_mutex);
	hash_for_each_possible(vmmgmt_host_listeners, l, hnode, port)
		if (l->port == port)
			return l;
	return NULL;
}

/**
 * vmmgmt_host_stream_alloc() - a new stream end, not in the table yet.
 * @vm: the peer VM; a reference is taken.
 * @port: the local port.
 * @peer: the peer's address.
 * @id: the stream's id.
 * @mode: its mode.
 * @opener: the host sends the SYN.
 *
 * Context: process context; may sleep.
 * Return: the stream (one reference), or NULL.
 */
static struct vmmgmt_host_stream *
vmmgmt_host_stream_alloc(struct vmmgmt_host_vm *vm, u32 port,
			 const struct vmmgmt_addr *peer, u64 id, u16 mode,
			 bool opener)
{
	struct vmmgmt_host_stream *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	kref_init(&s->ref);
	INIT_LIST_HEAD(&s->qnode);
	INIT_LIST_HEAD(&s->rx);
	kobject_get(&vm->kobj);
	s->vm = vm;
	s->port = port;
	s->peer = *peer;
	s->peer.reserved = 0;
	s->id = id;
	s->mode = mode;
	mutex_init(&s->rx_mutex);
	mutex_init(&s->tx_mutex);
	mutex_init(&s->lock);
	init_waitqueue_head(&s->wq);
	vmmgmt_stream_init(&s->st, opener);
	return s;
}

static void vmmgmt_host_stream_free(struct kref *ref)
{
	struct vmmgmt_host_stream *s =
		container_of(ref, struct vmmgmt_host_stream, ref);
	struct vmmgmt_host_chunk *c, *tmp;

	list_for_each_entry_safe(c, tmp, &s->rx, node)
		kvfree(c);
	vmmgmt_host_vm_put(s->vm);
	mutex_destroy(&s->lock);
	mutex_destroy(&s->tx_mutex);
	mutex_destroy(&s->rx_mutex);
	kfree(s);
}

static void vmmgmt_host_stream_put(struct vmmgmt_host_stream *s)
{
	kref_put(&s->ref, vmmgmt_host_stream_free);
}

/**
 * vmmgmt_host_stream_hash() - enter a stream into the table.
 * @s: the stream.
 *
 * Counts it against its VM's %VMMGMT_STREAMS_MAX.
 *
 * Context: vmmgmt_host_streams_mutex held.
 * Return: 0; -EMFILE if the VM has the most streams already; -EEXIST if
 * the key is taken.
 */
static int vmmgmt_host_stream_hash(struct vmmgmt_host_stream *s)
{
	lockdep_assert_held(&vmmgmt_host_streams_mutex);
	if (atomic_read(&s->vm->streams_open) >= VMMGMT_STREAMS_MAX)
		return -EMFILE;
	if (vmmgmt_host_stream_find(s->port, &s->peer, s->id))
		return -EEXIST;
	hash_add(vmmgmt_host_streams, &s->hnode,
		 vmmgmt_host_stream_key(s->port, &s->peer, s->id));
	s->hashed = true;
	atomic_inc(&s->vm->streams_open);
	kref_get(&s->ref);
	return 0;
}

/*
 * Take a stream out of the table (and of its VM's count); the caller
 * puts the table's reference.  Context: vmmgmt_host_streams_mutex held.
 */
static bool vmmgmt_host_stream_unhash(struct vmmgmt_host_stream *s)
{
	lockdep_assert_held(&vmmgmt_host_streams_mutex);
	if (!s->hashed)
		return false;
	hash_del(&s->hnode);
	s->hashed = false;
	atomic_dec(&s->vm->streams_open);
	return true;
}

/* Wake everyone who waits on a stream: something changed. */
static void vmmgmt_host_stream_wake(struct vmmgmt_host_stream *s)
{
	wake_up_interruptible_all(&s->wq);
}

/**
 * vmmgmt_host_stream_mode_on() - whether the guest takes a mode.
 * @vm: the VM, not dead (@vm->tx_lock held).
 * @mode: the mode.
 *
 * Context: any context; @vm->tx_lock held.
 * Return: false if the guest said (%VMMGMT_F_MODES) that @mode is off.
 */
static bool vmmgmt_host_stream_mode_on(struct vmmgmt_host_vm *vm, u16 mode)
{
	u32 modes;

	lockdep_assert_held(&vm->tx_lock);
	return !vmmgmt_host_region_modes(vm, &modes) ||
	       (modes & VMMGMT_MODE_BIT(mode));
}

/**
 * vmmgmt_host_stream_queue() - number a segment and queue it for the peer.
 * @s: the stream, its lock held.
 * @msg: a message with room for the segment: its payload after the
 *	segment header (DATA bytes, or an RST's errno) is filled in.
 * @op: an &enum vmmgmt_stream_op value.
 * @len: the bytes after the segment header.
 * @bounded: only if the VM's send queue has room (DATA, SYN), refusing a
 *	mode the guest disabled; otherwise whatever the queue holds.
 *
 * The segment header is filled in (vmmgmt_stream_tx_fill()) in the same
 * critical section that queues the message: the order of the queue is
 * the order of the numbers.
 *
 * Context: process context; @s->lock held; takes @vm->tx_lock.
 * Return: 0 when queued (the worker owns @msg); -EAGAIN (no room);
 * -ECONNRESET (the VM is being removed); -EHOSTDOWN (its channel is not
 * up); -EOPNOTSUPP (its module has no streams); -EPERM (the mode is off).
 */
static int vmmgmt_host_stream_queue(struct vmmgmt_host_stream *s,
				    struct vmmgmt_host_msg *msg, u8 op,
				    u32 len, bool bounded)
{
	struct vmmgmt_host_vm *vm = s->vm;
	struct vmmgmt_stream_seg seg;
	int ret = 0;

	lockdep_assert_held(&s->lock);
	memset(&msg->hdr, 0, sizeof(msg->hdr));
	msg->hdr.len = sizeof(seg) + len;
	msg->hdr.mode = s->mode;
	msg->hdr.flags = VMMGMT_REC_F_STREAM;
	msg->hdr.id = s->id;
	msg->hdr.src.port = s->port;
	msg->hdr.dst = s->peer;

	spin_lock(&vm->tx_lock);
	if (vm->dead)
		ret = -ECONNRESET;
	else if (READ_ONCE(vm->link_state) != VMMGMT_LINK_UP)
		ret = -EHOSTDOWN;
	/* Not dead: the region is mapped while tx_lock is held. */
	else if (!(READ_ONCE(vm->hdr->features_accepted) & VMMGMT_F_STREAM))
		ret = -EOPNOTSUPP;
	else if (bounded && !vmmgmt_host_stream_mode_on(vm, s->mode))
		ret = -EPERM;
	else if (bounded && !vmmgmt_host_queue_room(&vm->tx, msg->hdr.len))
		ret = -EAGAIN;
	if (!ret) {
		vmmgmt_stream_tx_fill(&s->st, op, op == VMMGMT_STREAM_DATA ?
				      len : 0, &seg);
		memcpy(msg->data, &seg, sizeof(seg));
		vmmgmt_host_queue_add(&vm->tx, msg);
		/* While not dead the thread exists. */
		vmmgmt_host_worker_wake(vm);
	}
	spin_unlock(&vm->tx_lock);
	return ret;
}

/**
 * vmmgmt_host_stream_ctl() - send a control segment (ACK, FIN, RST).
 * @s: the stream, its lock held.
 * @op: %VMMGMT_STREAM_ACK, %VMMGMT_STREAM_FIN or %VMMGMT_STREAM_RST.
 * @err: an RST's errno.
 *
 * Never waits for the guest: the segment goes onto the VM's send queue
 * whatever it holds (a few bytes; at most one ACK per quarter window
 * read, one FIN and one RST per stream).  One that cannot be queued (the
 * VM is gone, down, or out of memory) is dropped and counted in the VM's
 * drops: the peer learns of the end some other way (its channel reset).
 *
 * Context: process context; @s->lock held.
 */
static void vmmgmt_host_stream_ctl(struct vmmgmt_host_stream *s, u8 op,
				   u32 err)
{
	u32 len = op == VMMGMT_STREAM_RST ? sizeof(err) : 0;
	struct vmmgmt_host_msg *msg;

	lockdep_assert_held(&s->lock);
	msg = vmmgmt_host_msg_alloc(sizeof(struct vmmgmt_stream_seg) + len);
	if (msg) {
		memcpy(msg->data + sizeof(struct vmmgmt_stream_seg), &err, len);
		if (!vmmgmt_host_stream_queue(s, msg, op, len, false))
			return;
	}
	kvfree(msg);
	atomic64_inc(&s->vm->counters.drops);
}

/**
 * vmmgmt_host_stream_fail() - end a stream with an error.
 * @s: the stream, its lock held.
 * @err: the positive errno readers and writers get from now on.
 * @tell: send the peer an RST with @err.
 *
 * Context: process context; @s->lock held.
 */
static void vmmgmt_host_stream_fail(struct vmmgmt_host_stream *s, int err,
				    bool tell)
{
	lockdep_assert_held(&s->lock);
	if (s->st.state == VMMGMT_STREAM_S_CLOSED)
		return;
	if (tell)
		vmmgmt_host_stream_ctl(s, VMMGMT_STREAM_RST, err);
	vmmgmt_stream_fail(&s->st, err);
	atomic64_inc(&s->vm->counters.streams_reset);
	vmmgmt_host_stream_wake(s);
}

/**
 * vmmgmt_host_stream_is_rst() - whether a stream record must never be
 * answered.
 * @hdr: a record with %VMMGMT_REC_F_STREAM (a private copy).
 * @payload: its payload (a private copy).
 *
 * An RST that cannot be delivered is dropped: answering it could make
 * two ends answer each other for ever.
 *
 * Context: any context.
 * Return: true for an RST segment.
 */
bool vmmgmt_host_stream_is_rst(const struct vmmgmt_rec *hdr,
			       const void *payload)
{
	const struct vmmgmt_stream_seg *seg = payload;

	return hdr->len >= sizeof(*seg) && seg->op == VMMGMT_STREAM_RST;
}

/* A mode a stream may have: one a guest file can be in. */
static bool vmmgmt_host_stream_mode_ok(u16 mode)
{
	return mode == VMMGMT_MODE_CHAT || mode == VMMGMT_MODE_FILE ||
	       mode == VMMGMT_MODE_CALC || mode == VMMGMT_MODE_CMD;
}

/**
 * vmmgmt_host_stream_syn() - a guest opens a stream to a host port.
 * @vm: the guest's VM.
 * @hdr: the SYN record, its source the VM's address.
 * @seg: its segment.
 *
 * The stream goes into the listener's backlog and the ACCEPT is sent at
 * once.
 *
 * Context: @vm's worker; may sleep.
 * Return: 0; -ECONNREFUSED (nobody listens on the port, its backlog is
 * full, or the VM has %VMMGMT_STREAMS_MAX streams); -EOPNOTSUPP (the
 * guest did not accept %VMMGMT_F_STREAM: no segment may go back);
 * -EPROTO (a mode no stream has, or a stream with that id exists);
 * -ENOMEM.
 */
static int vmmgmt_host_stream_syn(struct vmmgmt_host_vm *vm,
				  const struct vmmgmt_rec *hdr,
				  const struct vmmgmt_stream_seg *seg)
{
	struct vmmgmt_host_listener *l;
	struct vmmgmt_host_stream *s;
	int ret;

	if (!vmmgmt_host_stream_mode_ok(hdr->mode) || !hdr->id)
		return -EPROTO;
	/* The worker runs: the region is mapped. */
	if (!(READ_ONCE(vm->hdr->features_accepted) & VMMGMT_F_STREAM))
		return -EOPNOTSUPP;
	s = vmmgmt_host_stream_alloc(vm, hdr->dst.port, &hdr->src, hdr->id,
				     hdr->mode, false);
	if (!s)
		return -ENOMEM;
	/* A fresh answering end takes any valid SYN. */
	vmmgmt_stream_rx(&s->st, seg, 0);

	mutex_lock(&vmmgmt_host_streams_mutex);
	l = vmmgmt_host_listener_find(hdr->dst.port);
	if (!l || l->queued >= l->backlog) {
		ret = -ECONNREFUSED;
		goto out_unlock;
	}
	ret = vmmgmt_host_stream_hash(s);
	if (ret) {
		ret = ret == -EEXIST ? -EPROTO : -ECONNREFUSED;
		goto out_unlock;
	}
	list_add_tail(&s->qnode, &l->queue);
	s->listener = l;
	l->queued++;
	atomic64_inc(&vm->counters.streams_opened);
	mutex_lock(&s->lock);
	vmmgmt_host_stream_ctl(s, VMMGMT_STREAM_ACCEPT, 0);
	mutex_unlock(&s->lock);
	wake_up_interruptible_all(&l->wq);
out_unlock:
	mutex_unlock(&vmmgmt_host_streams_mutex);
	vmmgmt_host_stream_put(s);
	return ret;
}

/**
 * vmmgmt_host_stream_seg() - apply a segment from the peer to its stream.
 * @s: the stream, its lock held.
 * @hdr: the record.
 * @seg: its segment, or NULL if the record broke the rules.
 * @data: its DATA bytes.
 * @data_len: their number.
 * @rst_err: an RST's errno.
 * @c: a chunk for the DATA bytes, or NULL; set to NULL if it was used.
 *
 * Context: the VM's worker; @s->lock held.
 */
static void vmmgmt_host_stream_seg(struct vmmgmt_host_stream *s,
				   const struct vmmgmt_rec *hdr,
				   const struct vmmgmt_stream_seg *seg,
				   const void *data, u32 data_len, u32 rst_err,
				   struct vmmgmt_host_chunk **c)
{
	int ret;

	lockdep_assert_held(&s->lock);
	if (!seg || hdr->mode != s->mode) {
		vmmgmt_host_stream_fail(s, EPROTO, true);
		return;
	}
	if (seg->op == VMMGMT_STREAM_RST) {
		vmmgmt_host_stream_fail(s, rst_err, false);
		return;
	}
	ret = vmmgmt_stream_rx(&s->st, seg, data_len);
	if (ret == -EPROTO) {
		vmmgmt_host_stream_fail(s, EPROTO, true);
		return;
	}
	if (ret)	/* Over already: ignored. */
		return;
	if (seg->op == VMMGMT_STREAM_DATA) {
		atomic64_add(data_len, &s->vm->counters.stream_rx_bytes);
		if (!*c) {
			/* Out of memory: this end cannot keep its word. */
			vmmgmt_host_stream_fail(s, ENOBUFS, true);
			return;
		}
		/* Nobody reads any more: the bytes go nowhere. */
		if (s->closed)
			return;
		memcpy((*c)->data, data, data_len);
		(*c)->len = data_len;
		(*c)->off = 0;
		list_add_tail(&(*c)->node, &s->rx);
		WRITE_ONCE(s->rx_bytes, s->rx_bytes + data_len);
		*c = NULL;
	}
	vmmgmt_host_stream_wake(s);
}

/**
 * vmmgmt_host_stream_rx() - a stream segment from a guest to a host port.
 * @vm: the guest's VM.
 * @hdr: the record (%VMMGMT_REC_F_STREAM), its source the VM's address,
 *	its destination (0, 0, port).
 * @payload: its payload.
 *
 * A SYN goes to the listener on the port; anything else to the stream
 * with that (port, source, id).  A segment that breaks the rules resets
 * its stream with EPROTO (an RST back); it never breaks the channel.
 * Segments for no stream: a SYN nobody takes and DATA are refused
 * (answered), an ACK, ACCEPT or FIN (late, after this end was closed)
 * ignored, an RST or error answer dropped by the worker.
 *
 * Context: @vm's worker; may sleep.
 * Return: 0 when consumed; otherwise the errno to answer the segment
 * with: -ECONNREFUSED (nobody listens on the port, its backlog is full,
 * the VM has %VMMGMT_STREAMS_MAX streams, or there is no such stream),
 * -EOPNOTSUPP, -EPROTO, -ENOMEM.
 */
int vmmgmt_host_stream_rx(struct vmmgmt_host_vm *vm,
			  const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_host_stream *s, *old = NULL;
	const struct vmmgmt_stream_seg *segp = NULL;
	struct vmmgmt_host_chunk *c = NULL;
	struct vmmgmt_stream_seg seg;
	u32 data_len, rst_err;

	if (!vmmgmt_stream_parse(hdr, payload, &seg, &data_len, &rst_err))
		segp = &seg;
	mutex_lock(&vmmgmt_host_streams_mutex);
	s = vmmgmt_host_stream_find(hdr->dst.port, &hdr->src, hdr->id);
	/* A new SYN with the key of a stream that is over: a new stream. */
	if (s && segp && seg.op == VMMGMT_STREAM_SYN &&
	    READ_ONCE(s->st.state) == VMMGMT_STREAM_S_CLOSED &&
	    vmmgmt_host_stream_unhash(s)) {
		old = s;
		s = NULL;
	}
	if (s)
		kref_get(&s->ref);
	mutex_unlock(&vmmgmt_host_streams_mutex);
	if (old)
		vmmgmt_host_stream_put(old);
	if (!s) {
		if (!segp || (hdr->flags & VMMGMT_REC_F_RESPONSE))
			return -EPROTO;
		switch (seg.op) {
		case VMMGMT_STREAM_SYN:
			return vmmgmt_host_stream_syn(vm, hdr, &seg);
		case VMMGMT_STREAM_DATA:
		case VMMGMT_STREAM_RST:
			return -ECONNREFUSED;
		default:
			return 0;
		}
	}
	if (segp && seg.op == VMMGMT_STREAM_DATA)
		c = kvmalloc(struct_size(c, data, data_len), GFP_KERNEL);
	mutex_lock(&s->lock);
	vmmgmt_host_stream_seg(s, hdr, segp, (const u8 *)payload + sizeof(seg),
			       data_len, rst_err, &c);
	mutex_unlock(&s->lock);
	kvfree(c);
	vmmgmt_host_stream_put(s);
	return 0;
}

/**
 * vmmgmt_host_stream_vm_gone() - a VM went away or reset its channel.
 * @vm: the VM.
 *
 * Every host stream with @vm as peer fails with ECONNRESET (no RST: the
 * guest's end went with its channel) and leaves the table (and the
 * backlog it waits in); its file, if it has one, reads the error.
 * Waiters wake.
 *
 * Context: process context (VM removal, or the VM's worker on a reset);
 * takes vmmgmt_host_streams_mutex and the streams' locks.
 */
void vmmgmt_host_stream_vm_gone(struct vmmgmt_host_vm *vm)
{
	struct vmmgmt_host_stream *s, *tmp;
	struct hlist_node *next;
	LIST_HEAD(gone);
	unsigned int bkt;

	mutex_lock(&vmmgmt_host_streams_mutex);
	hash_for_each_safe(vmmgmt_host_streams, bkt, next, s, hnode) {
		if (s->vm != vm)
			continue;
		mutex_lock(&s->lock);
		vmmgmt_host_stream_fail(s, ECONNRESET, false);
		mutex_unlock(&s->lock);
		if (s->listener) {
			s->listener->queued--;
			s->listener = NULL;
			list_del_init(&s->qnode);
		}
		/*
		 * Out of the table too: the VM's count drops, and a new
		 * stream of the guest may take the same key.
		 */
		vmmgmt_host_stream_unhash(s);
		list_add_tail(&s->qnode, &gone);
	}
	mutex_unlock(&vmmgmt_host_streams_mutex);
	list_for_each_entry_safe(s, tmp, &gone, qnode) {
		list_del_init(&s->qnode);
		vmmgmt_host_stream_put(s);
	}
}

/**
 * vmmgmt_host_stream_close() - the stream's file goes away.
 * @s: the stream; the file's reference is put.
 *
 * Sends FIN if this side did not shut down yet, or RST (ECONNRESET) if
 * received bytes were left unread; never waits for the guest.
 *
 * Context: process context; may sleep.
 */
static void vmmgmt_host_stream_close(struct vmmgmt_host_stream *s)
{
	bool put;

	/*
	 * The FIN or RST is queued while the stream is still in the table:
	 * the guest's segments that cross it find a stream that is over
	 * (ignored), not a refusal that could reach the guest before it.
	 */
	mutex_lock(&s->lock);
	s->closed = true;
	if (s->st.state == VMMGMT_STREAM_S_OPEN) {
		if (s->st.rx_next != s->st.rx_read)
			vmmgmt_host_stream_fail(s, ECONNRESET, true);
		else if (!s->st.fin_sent)
			vmmgmt_host_stream_ctl(s, VMMGMT_STREAM_FIN, 0);
	} else {
		vmmgmt_host_stream_fail(s, ECONNRESET, true);
	}
	mutex_unlock(&s->lock);

	mutex_lock(&vmmgmt_host_streams_mutex);
	put = vmmgmt_host_stream_unhash(s);
	mutex_unlock(&vmmgmt_host_streams_mutex);
	vmmgmt_host_stream_wake(s);
	if (put)
		vmmgmt_host_stream_put(s);
	vmmgmt_host_stream_put(s);
}

/* The reader's condition, read without the lock. */
static bool vmmgmt_host_stream_readable(struct vmmgmt_host_stream *s)
{
	return READ_ONCE(s->rx_bytes) || READ_ONCE(s->st.fin_rcvd) ||
	       READ_ONCE(s->st.state) == VMMGMT_STREAM_S_CLOSED;
}

/**
 * vmmgmt_host_stream_peek() - what the reader finds.
 * @s: the stream, its lock held.
 * @c: returns the oldest chunk, or NULL.
 *
 * Context: @s->lock held.
 * Return: 1 with bytes to read; 0 at the end of the stream; -EAGAIN with
 * nothing yet; the stream's error once it failed.
 */
static int vmmgmt_host_stream_peek(struct vmmgmt_host_stream *s,
				   struct vmmgmt_host_chunk **c)
{
	lockdep_assert_held(&s->lock);
	*c = list_first_entry_or_null(&s->rx, struct vmmgmt_host_chunk, node);
	if (s->st.state == VMMGMT_STREAM_S_CLOSED && s->st.err)
		return -s->st.err;
	if (*c)
		return 1;
	if (s->st.state == VMMGMT_STREAM_S_CLOSED ||
	    vmmgmt_stream_at_eof(&s->st))
		return 0;
	return -EAGAIN;
}

/**
 * vmmgmt_host_stream_consumed() - the reader took bytes of a chunk.
 * @s: the stream.
 * @c: the oldest chunk.
 * @n: bytes taken from it.
 *
 * Frees a chunk read to its end, and sends the peer an ACK when its due
 * (a quarter of a window read since the last one).
 *
 * Context: process context; the reader (@s->rx_mutex held); takes @s->lock.
 */
static void vmmgmt_host_stream_consumed(struct vmmgmt_host_stream *s,
					struct vmmgmt_host_chunk *c, u32 n)
{
	mutex_lock(&s->lock);
	c->off += n;
	if (c->off == c->len) {
		list_del(&c->node);
		kvfree(c);
	}
	WRITE_ONCE(s->rx_bytes, s->rx_bytes - n);
	vmmgmt_stream_read(&s->st, n);
	if (vmmgmt_stream_ack_due(&s->st))
		vmmgmt_host_stream_ctl(s, VMMGMT_STREAM_ACK, 0);
	mutex_unlock(&s->lock);
}

/**
 * vmmgmt_host_stream_read() - read() of a stream: the next bytes.
 * @s: the stream.
 * @to: where they go.
 * @nonblock: O_NONBLOCK or IOCB_NOWAIT.
 *
 * Returns what is buffered (up to the iterator's count) as soon as there
 * is something; waits while nothing is.
 *
 * Context: process context; may sleep.
 * Return: the bytes copied; 0 at the end of the stream; -EAGAIN;
 * -ERESTARTSYS; -EFAULT; the stream's error (ECONNRESET, EPROTO, ...).
 */
ssize_t vmmgmt_host_stream_read(struct vmmgmt_host_stream *s,
				struct iov_iter *to, bool nonblock)
{
	size_t want = iov_iter_count(to), done = 0, n, copied;
	struct vmmgmt_host_chunk *c;
	int ret = 0;

	if (!want)
		return 0;
	if (mutex_lock_interruptible(&s->rx_mutex))
		return -ERESTARTSYS;
	while (done < want) {
		mutex_lock(&s->lock);
		ret = vmmgmt_host_stream_peek(s, &c);
		mutex_unlock(&s->lock);
		if (ret == -EAGAIN && !done && !nonblock) {
			ret = wait_event_interruptible(s->wq,
						       vmmgmt_host_stream_readable(s));
			if (ret)
				break;
			continue;
		}
		if (ret <= 0)
			break;
		/* Only the reader removes chunks: @c stays without the lock. */
		n = min_t(size_t, c->len - c->off, want - done);
		copied = copy_to_iter(c->data + c->off, n, to);
		if (copied)
			vmmgmt_host_stream_consumed(s, c, copied);
		done += copied;
		if (copied < n) {
			ret = -EFAULT;
			break;
		}
	}
	mutex_unlock(&s->rx_mutex);
	return done ? done : ret;
}

/* The writer's condition, read without the stream's lock. */
static bool vmmgmt_host_stream_writable(struct vmmgmt_host_stream *s)
{
	struct vmmgmt_host_vm *vm = s->vm;
	bool ready;

	if (READ_ONCE(s->st.state) != VMMGMT_STREAM_S_OPEN ||
	    READ_ONCE(s->st.fin_sent))
		return true;
	if (READ_ONCE(s->st.tx_limit) == READ_ONCE(s->st.tx_next))
		return false;
	spin_lock(&vm->tx_lock);
	ready = vm->dead || vmmgmt_host_queue_room(&vm->tx, VMMGMT_MSG_MAX);
	spin_unlock(&vm->tx_lock);
	return ready;
}

/**
 * vmmgmt_host_stream_wait_tx() - wait for the peer's window and for room
 * in the VM's send queue.
 * @s: the stream.
 *
 * Two wait queues: the stream's (ACKs, failure) and the VM's send
 * queue's (its worker posted, or the VM is going away).
 *
 * Context: process context; the writer (@s->tx_mutex held).
 * Return: 0 when something changed; -ERESTARTSYS.
 */
static int vmmgmt_host_stream_wait_tx(struct vmmgmt_host_stream *s)
{
	wait_queue_entry_t ws, wv;
	int ret = 0;

	init_waitqueue_entry(&ws, current);
	init_waitqueue_entry(&wv, current);
	add_wait_queue(&s->wq, &ws);
	add_wait_queue(&s->vm->tx_wq, &wv);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (vmmgmt_host_stream_writable(s))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&s->vm->tx_wq, &wv);
	remove_wait_queue(&s->wq, &ws);
	return ret;
}

/**
 * vmmgmt_host_stream_room() - how many bytes the writer may send now.
 * @s: the stream, its lock held.
 *
 * Context: @s->lock held.
 * Return: the bytes (at most one segment's worth), 0 to wait, or the
 * stream's error: -EPIPE after SHUTDOWN, the failure's errno.
 */
static long vmmgmt_host_stream_room(struct vmmgmt_host_stream *s)
{
	u32 seg_max = min_t(u32, READ_ONCE(s->vm->h2g.max_len), VMMGMT_MSG_MAX) -
		      sizeof(struct vmmgmt_stream_seg);

	lockdep_assert_held(&s->lock);
	if (s->st.state == VMMGMT_STREAM_S_CLOSED)
		return s->st.err ? -s->st.err : -EPIPE;
	if (s->st.fin_sent)
		return -EPIPE;
	return min_t(u64, vmmgmt_stream_tx_room(&s->st), seg_max);
}

/**
 * vmmgmt_host_stream_send() - send one DATA segment of at most @room bytes.
 * @s: the stream.
 * @from: the bytes.
 * @room: what vmmgmt_host_stream_room() allowed.
 *
 * The bytes are copied before the stream's lock is taken; the window can
 * only have grown meanwhile, but the send queue may have filled: then
 * nothing is sent and the iterator is reverted.
 *
 * Context: process context; the writer (@s->tx_mutex held).
 * Return: the bytes sent; -EAGAIN (the send queue is full); -EFAULT;
 * -ENOMEM; the errors of vmmgmt_host_stream_queue().
 */
static ssize_t vmmgmt_host_stream_send(struct vmmgmt_host_stream *s,
				       struct iov_iter *from, u32 room)
{
	u32 n = min_t(size_t, room, iov_iter_count(from));
	const u32 hlen = sizeof(struct vmmgmt_stream_seg);
	struct vmmgmt_host_msg *msg;
	int ret;

	msg = vmmgmt_host_msg_alloc(hlen + n);
	if (!msg)
		return -ENOMEM;
	if (copy_from_iter(msg->data + hlen, n, from) != n) {
		kvfree(msg);
		return -EFAULT;
	}
	mutex_lock(&s->lock);
	ret = vmmgmt_host_stream_room(s);
	if (ret >= 0)
		ret = vmmgmt_host_stream_queue(s, msg, VMMGMT_STREAM_DATA, n,
					       true);
	mutex_unlock(&s->lock);
	if (ret) {
		iov_iter_revert(from, n);
		kvfree(msg);
		/* The channel is not up: what host write() says then. */
		return ret == -EHOSTDOWN ? -EPIPE : ret;
	}
	atomic64_add(n, &s->vm->counters.stream_tx_bytes);
	return n;
}

/**
 * vmmgmt_host_stream_write() - write() of a stream.
 * @s: the stream.
 * @from: the bytes.
 * @nonblock: O_NONBLOCK or IOCB_NOWAIT.
 *
 * Sends everything, in DATA segments of at most the guest's largest
 * record, waiting for the peer's window and for room in the VM's send
 * queue; without waiting (@nonblock) the bytes that fit now.
 *
 * Context: process context; may sleep.
 * Return: the bytes sent; -EAGAIN (nothing fits and @nonblock); -EPIPE
 * (shut down); -ERESTARTSYS; -EFAULT; -ENOMEM; -EHOSTDOWN; -EPERM (the
 * guest disabled the stream's mode); the stream's error.
 */
ssize_t vmmgmt_host_stream_write(struct vmmgmt_host_stream *s,
				 struct iov_iter *from, bool nonblock)
{
	size_t done = 0;
	ssize_t ret = 0;
	long room;

	if (mutex_lock_interruptible(&s->tx_mutex))
		return -ERESTARTSYS;
	while (iov_iter_count(from)) {
		mutex_lock(&s->lock);
		room = vmmgmt_host_stream_room(s);
		mutex_unlock(&s->lock);
		ret = room < 0 ? room : -EAGAIN;
		if (room > 0)
			ret = vmmgmt_host_stream_send(s, from, room);
		if (ret > 0) {
			done += ret;
			continue;
		}
		if (ret != -EAGAIN || nonblock)
			break;
		ret = vmmgmt_host_stream_wait_tx(s);
		if (ret)
			break;
	}
	mutex_unlock(&s->tx_mutex);
	return done ? done : ret;
}

/**
 * vmmgmt_host_stream_poll() - poll() of a stream.
 * @s: the stream.
 * @file: its file.
 * @wait: the poll table.
 *
 * EPOLLIN with bytes buffered or at the end of the stream; EPOLLOUT while
 * the peer's window is open and the VM's send queue has room; EPOLLHUP
 * once the stream is over (EPOLLERR, and EPOLLIN for read() to report
 * it, after a failure) or both sides shut down.
 *
 * Context: process context.
 * Return: the poll mask.
 */
__poll_t vmmgmt_host_stream_poll(struct vmmgmt_host_stream *s,
				 struct file *file, poll_table *wait)
{
	__poll_t mask = 0;
	long room;

	poll_wait(file, &s->wq, wait);
	poll_wait(file, &s->vm->tx_wq, wait);
	mutex_lock(&s->lock);
	if (s->rx_bytes || vmmgmt_stream_at_eof(&s->st))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (s->st.state == VMMGMT_STREAM_S_CLOSED) {
		mask |= EPOLLHUP;
		if (s->st.err)
			mask |= EPOLLERR | EPOLLIN | EPOLLRDNORM;
	} else if (s->st.fin_sent && s->st.fin_rcvd) {
		mask |= EPOLLHUP;
	}
	room = vmmgmt_host_stream_room(s);
	mutex_unlock(&s->lock);
	if (room > 0 && vmmgmt_host_stream_writable(s))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/**
 * vmmgmt_host_stream_listen_poll() - what a listener adds to poll().
 * @ep: the endpoint.
 * @file: its file.
 * @wait: the poll table.
 *
 * Context: process context.
 * Return: EPOLLIN while a stream waits for accept; 0 for a file that is
 * no listener.
 */
__poll_t vmmgmt_host_stream_listen_poll(struct vmmgmt_host_ep *ep,
					struct file *file, poll_table *wait)
{
	struct vmmgmt_host_listener *l = READ_ONCE(ep->listener);

	if (!l)
		return 0;
	poll_wait(file, &l->wq, wait);
	return READ_ONCE(l->queued) ? EPOLLIN | EPOLLRDNORM : 0;
}

/**
 * vmmgmt_host_stream_claim() - start making a file a stream or listener.
 * @ep: the endpoint.
 *
 * Context: process context; takes vmmgmt_host_streams_mutex.
 * Return: 0 (the caller ends with vmmgmt_host_stream_unclaim()); -EISCONN
 * if the file is a stream or a listener already, or becoming one.
 */
static int vmmgmt_host_stream_claim(struct vmmgmt_host_ep *ep)
{
	int ret = 0;

	mutex_lock(&vmmgmt_host_streams_mutex);
	if (ep->stream || ep->listener || ep->stream_busy)
		ret = -EISCONN;
	else
		ep->stream_busy = true;
	mutex_unlock(&vmmgmt_host_streams_mutex);
	return ret;
}

/*
 * End a claim; with @s or @l, the file becomes that stream or listener.
 * Context: process context; takes vmmgmt_host_streams_mutex.
 */
static void vmmgmt_host_stream_unclaim(struct vmmgmt_host_ep *ep,
				       struct vmmgmt_host_stream *s,
				       struct vmmgmt_host_listener *l)
{
	mutex_lock(&vmmgmt_host_streams_mutex);
	if (l)
		hash_add(vmmgmt_host_listeners, &l->hnode, l->port);
	WRITE_ONCE(ep->listener, l);
	WRITE_ONCE(ep->stream, s);
	ep->stream_busy = false;
	mutex_unlock(&vmmgmt_host_streams_mutex);
}

/**
 * vmmgmt_host_stream_port() - the file's port, binding a dynamic one.
 * @ep: the endpoint.
 * @want: the port asked for; 0: the bound one, or any.
 *
 * Context: process context; may sleep.
 * Return: the port; -EINVAL (bound to another port); or the errors of
 * vmmgmt_host_ep_do_bind().
 */
static long vmmgmt_host_stream_port(struct vmmgmt_host_ep *ep, u32 want)
{
	u32 port = READ_ONCE(ep->port);
	long ret;

	if (!port) {
		ret = vmmgmt_host_ep_do_bind(ep, want);
		if (ret != -EISCONN)
			return ret;
		port = READ_ONCE(ep->port);
	}
	if (want && want != port)
		return -EINVAL;
	return port;
}

/**
 * vmmgmt_host_stream_connect_wait() - send the SYN and wait for the answer.
 * @s: the new stream, in the table.
 * @ms: how long to wait for the ACCEPT.
 *
 * Context: process context; may sleep.
 * Return: 0 once the guest accepted; the errno of its RST or the host's
 * error answer (-ECONNREFUSED, -EACCES, ...); -ETIMEDOUT or -EINTR (the
 * guest gets an RST); or the errors of vmmgmt_host_stream_queue(), with
 * -EHOSTUNREACH for a VM being removed.
 */
static int vmmgmt_host_stream_connect_wait(struct vmmgmt_host_stream *s,
					   u32 ms)
{
	struct vmmgmt_host_msg *msg;
	long left;
	int ret;

	msg = vmmgmt_host_msg_alloc(sizeof(struct vmmgmt_stream_seg));
	if (!msg)
		return -ENOMEM;
	mutex_lock(&s->lock);
	ret = vmmgmt_host_stream_queue(s, msg, VMMGMT_STREAM_SYN, 0, true);
	mutex_unlock(&s->lock);
	if (ret) {
		kvfree(msg);
		/* A full send queue: the guest is not draining its ring. */
		if (ret == -EAGAIN)
			return -ETIMEDOUT;
		return ret == -ECONNRESET ? -EHOSTUNREACH : ret;
	}
	left = wait_event_interruptible_timeout(s->wq,
						READ_ONCE(s->st.state) !=
						VMMGMT_STREAM_S_CONNECTING,
						msecs_to_jiffies(ms));
	mutex_lock(&s->lock);
	if (s->st.state == VMMGMT_STREAM_S_OPEN) {
		ret = 0;
	} else if (s->st.state == VMMGMT_STREAM_S_CLOSED) {
		ret = -s->st.err;
	} else {
		ret = left < 0 ? -EINTR : -ETIMEDOUT;
		vmmgmt_host_stream_fail(s, ECONNRESET, true);
	}
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * vmmgmt_host_stream_connect() - VMMGMT_HOST_IOC_STREAM_CONNECT.
 * @ep: the endpoint; bound to a dynamic port first if it is not bound.
 * @uarg: user pointer to a &struct vmmgmt_stream_connect.
 *
 * The stream counts against the VM's %VMMGMT_STREAMS_MAX.  On success the
 * file is the stream; on failure it stays what it was.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (nonzero flags or reserved, addr.host not
 * 0, VM 0); -EISCONN; -EHOSTUNREACH (no such VM); -EMFILE; the errors of
 * vmmgmt_host_stream_connect_wait(); the errors of binding.
 */
long vmmgmt_host_stream_connect(struct vmmgmt_host_ep *ep, void __user *uarg)
{
	struct vmmgmt_stream_connect req;
	struct vmmgmt_host_stream *s;
	struct vmmgmt_host_vm *vm;
	bool hashed;
	long ret;
	u64 id;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved || req.addr.reserved || req.addr.host ||
	    req.addr.vm == VMMGMT_HOST_PEER_ID)
		return -EINVAL;
	ret = vmmgmt_host_stream_claim(ep);
	if (ret)
		return ret;
	ret = vmmgmt_host_stream_port(ep, 0);
	if (ret < 0)
		goto out_unclaim;
	vm = vmmgmt_host_vm_get(req.addr.vm);
	if (!vm) {
		ret = -EHOSTUNREACH;
		goto out_unclaim;
	}
	do {
		id = atomic64_inc_return(&vmmgmt_host_stream_ids);
	} while (!id);
	s = vmmgmt_host_stream_alloc(vm, ret, &req.addr, id, VMMGMT_MODE_CHAT,
				     true);
	vmmgmt_host_vm_put(vm);
	if (!s) {
		ret = -ENOMEM;
		goto out_unclaim;
	}
	mutex_lock(&vmmgmt_host_streams_mutex);
	ret = vmmgmt_host_stream_hash(s);
	mutex_unlock(&vmmgmt_host_streams_mutex);
	if (ret)
		goto out_put;
	ret = vmmgmt_host_stream_connect_wait(s, req.timeout_ms ?:
					      VMMGMT_HOST_CONNECT_MS);
	if (ret) {
		mutex_lock(&s->lock);
		s->closed = true;
		mutex_unlock(&s->lock);
		mutex_lock(&vmmgmt_host_streams_mutex);
		hashed = vmmgmt_host_stream_unhash(s);
		mutex_unlock(&vmmgmt_host_streams_mutex);
		if (hashed)
			vmmgmt_host_stream_put(s);
		goto out_put;
	}
	atomic64_inc(&s->vm->counters.streams_opened);
	/* The file's reference is the one of the allocation. */
	vmmgmt_host_stream_unclaim(ep, s, NULL);
	return 0;

out_put:
	vmmgmt_host_stream_put(s);
out_unclaim:
	vmmgmt_host_stream_unclaim(ep, NULL, NULL);
	return ret;
}

/**
 * vmmgmt_host_stream_listen() - VMMGMT_HOST_IOC_STREAM_LISTEN.
 * @ep: the endpoint; a bound one listens on its port.
 * @uarg: user pointer to a &struct vmmgmt_stream_listen; the port is
 *	written back.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (nonzero flags or reserved, a backlog over
 * %VMMGMT_STREAM_BACKLOG_MAX, a port other than the bound one); -EISCONN;
 * -ENOMEM; the errors of binding (-EADDRINUSE, -EADDRNOTAVAIL).
 */
long vmmgmt_host_stream_listen(struct vmmgmt_host_ep *ep, void __user *uarg)
{
	struct vmmgmt_stream_listen req;
	struct vmmgmt_host_listener *l;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved ||
	    req.backlog > VMMGMT_STREAM_BACKLOG_MAX)
		return -EINVAL;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->backlog = req.backlog ?: VMMGMT_STREAM_BACKLOG_MAX;
	INIT_LIST_HEAD(&l->queue);
	init_waitqueue_head(&l->wq);
	ret = vmmgmt_host_stream_claim(ep);
	if (ret)
		goto err_free;
	ret = vmmgmt_host_stream_port(ep, req.port);
	if (ret < 0) {
		vmmgmt_host_stream_unclaim(ep, NULL, NULL);
		goto err_free;
	}
	l->port = ret;
	vmmgmt_host_stream_unclaim(ep, NULL, l);
	req.port = l->port;
	/* The file listens: the caller can still read the port with a retry. */
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;

err_free:
	kfree(l);
	return ret;
}

/**
 * vmmgmt_host_stream_file() - a new stream file for an accepted stream.
 * @s: the stream; its reference goes to the file.
 * @nonblock: the file is O_NONBLOCK.
 * @fd: returns the reserved descriptor (installed by the caller).
 *
 * Context: process context; may sleep.
 * Return: the file; ERR_PTR(-EMFILE) and the like.
 */
static struct file *vmmgmt_host_stream_file(struct vmmgmt_host_stream *s,
					    bool nonblock, int *fd)
{
	struct file *f;

	*fd = get_unused_fd_flags(O_CLOEXEC);
	if (*fd < 0)
		return ERR_PTR(*fd);
	f = anon_inode_getfile("[vmmgmt-stream]", &vmmgmt_host_stream_fops, s,
			       O_RDWR | (nonblock ? O_NONBLOCK : 0));
	if (IS_ERR(f)) {
		put_unused_fd(*fd);
		return f;
	}
	/* A stream has no position. */
	f->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	return f;
}

/**
 * vmmgmt_host_stream_accept() - VMMGMT_HOST_IOC_STREAM_ACCEPT.
 * @ep: the endpoint, a listener.
 * @file: its file (O_NONBLOCK: do not wait).
 * @uarg: user pointer to a &struct vmmgmt_stream_accept.
 *
 * Context: process context; may sleep.
 * Return: 0 with the new descriptor and the peer written back; -EFAULT;
 * -EINVAL (not a listener, unknown flags, nonzero reserved); -EAGAIN;
 * -ERESTARTSYS; -EMFILE (the stream goes back to the head of the
 * backlog).
 */
long vmmgmt_host_stream_accept(struct vmmgmt_host_ep *ep, struct file *file,
			       void __user *uarg)
{
	struct vmmgmt_host_listener *l = READ_ONCE(ep->listener);
	struct vmmgmt_stream_accept req;
	struct vmmgmt_host_stream *s;
	struct file *f;
	int fd;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!l || (req.flags & ~VMMGMT_ACCEPT_NONBLOCK) || req.reserved)
		return -EINVAL;
	for (;;) {
		mutex_lock(&vmmgmt_host_streams_mutex);
		s = list_first_entry_or_null(&l->queue,
					     struct vmmgmt_host_stream, qnode);
		if (s) {
			list_del_init(&s->qnode);
			s->listener = NULL;
			l->queued--;
			/* The file's reference. */
			kref_get(&s->ref);
		}
		mutex_unlock(&vmmgmt_host_streams_mutex);
		if (s)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(l->wq, READ_ONCE(l->queued)))
			return -ERESTARTSYS;
	}
	f = vmmgmt_host_stream_file(s, req.flags & VMMGMT_ACCEPT_NONBLOCK, &fd);
	if (IS_ERR(f)) {
		mutex_lock(&vmmgmt_host_streams_mutex);
		/* Still in the table: not failed by its VM's removal. */
		if (s->hashed) {
			list_add(&s->qnode, &l->queue);
			s->listener = l;
			l->queued++;
		}
		mutex_unlock(&vmmgmt_host_streams_mutex);
		vmmgmt_host_stream_put(s);
		return PTR_ERR(f);
	}
	req.peer = s->peer;
	req.fd = fd;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		/* The stream is closed with its file. */
		fput(f);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, f);
	return 0;
}

/* SHUTDOWN of a stream: FIN after what was written. */
static long vmmgmt_host_stream_do_shutdown(struct vmmgmt_host_stream *s)
{
	mutex_lock(&s->lock);
	if (s->st.state == VMMGMT_STREAM_S_OPEN && !s->st.fin_sent)
		vmmgmt_host_stream_ctl(s, VMMGMT_STREAM_FIN, 0);
	mutex_unlock(&s->lock);
	vmmgmt_host_stream_wake(s);
	return 0;
}

/**
 * vmmgmt_host_stream_shutdown() - VMMGMT_HOST_IOC_STREAM_SHUTDOWN on a
 * /dev/vmmgmt-host file.
 * @ep: the endpoint.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOTCONN if the file is not a stream.
 */
long vmmgmt_host_stream_shutdown(struct vmmgmt_host_ep *ep)
{
	struct vmmgmt_host_stream *s = READ_ONCE(ep->stream);

	if (!s)
		return -ENOTCONN;
	return vmmgmt_host_stream_do_shutdown(s);
}

/**
 * vmmgmt_host_stream_ep_release() - a /dev/vmmgmt-host file goes away:
 * close its stream, or its listener and every stream in its backlog
 * (each gets an RST, ECONNRESET).
 * @ep: the endpoint, still bound.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_host_stream_ep_release(struct vmmgmt_host_ep *ep)
{
	struct vmmgmt_host_listener *l = ep->listener;
	struct vmmgmt_host_stream *s, *tmp;
	LIST_HEAD(backlog);

	if (ep->stream)
		vmmgmt_host_stream_close(ep->stream);
	if (!l)
		return;
	mutex_lock(&vmmgmt_host_streams_mutex);
	hash_del(&l->hnode);
	list_for_each_entry(s, &l->queue, qnode) {
		s->listener = NULL;
		vmmgmt_host_stream_unhash(s);
	}
	list_splice_init(&l->queue, &backlog);
	mutex_unlock(&vmmgmt_host_streams_mutex);
	list_for_each_entry_safe(s, tmp, &backlog, qnode) {
		list_del_init(&s->qnode);
		mutex_lock(&s->lock);
		s->closed = true;
		vmmgmt_host_stream_fail(s, ECONNRESET, true);
		mutex_unlock(&s->lock);
		vmmgmt_host_stream_put(s);
	}
	kfree(l);
}

static ssize_t vmmgmt_host_stream_read_iter(struct kiocb *iocb,
					    struct iov_iter *to)
{
	return vmmgmt_host_stream_read(iocb->ki_filp->private_data, to,
				       vmmgmt_host_iocb_nonblock(iocb));
}

static ssize_t vmmgmt_host_stream_write_iter(struct kiocb *iocb,
					     struct iov_iter *from)
{
	return vmmgmt_host_stream_write(iocb->ki_filp->private_data, from,
					vmmgmt_host_iocb_nonblock(iocb));
}

static __poll_t vmmgmt_host_stream_file_poll(struct file *file,
					     poll_table *wait)
{
	return vmmgmt_host_stream_poll(file->private_data, file, wait);
}

/**
 * vmmgmt_host_stream_ioctl() - ioctls of an accepted stream's file.
 * @file: the file.
 * @cmd: VMMGMT_HOST_IOC_STREAM_SHUTDOWN; the other stream ioctls fail
 *	with EISCONN (CONNECT, LISTEN) or EINVAL (ACCEPT).
 * @arg: unused.
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno; -ENOTTY for other numbers.
 */
static long vmmgmt_host_stream_ioctl(struct file *file, unsigned int cmd,
				     unsigned long arg)
{
	switch (cmd) {
	case VMMGMT_HOST_IOC_STREAM_SHUTDOWN:
		return vmmgmt_host_stream_do_shutdown(file->private_data);
	case VMMGMT_HOST_IOC_STREAM_CONNECT:
	case VMMGMT_HOST_IOC_STREAM_LISTEN:
		return -EISCONN;
	case VMMGMT_HOST_IOC_STREAM_ACCEPT:
		return -EINVAL;
	default:
		return -ENOTTY;
	}
}

static int vmmgmt_host_stream_release(struct inode *inode, struct file *file)
{
	vmmgmt_host_stream_close(file->private_data);
	return 0;
}

static const struct file_operations vmmgmt_host_stream_fops = {
	.owner = THIS_MODULE,
	.release = vmmgmt_host_stream_release,
	.read_iter = vmmgmt_host_stream_read_iter,
	.write_iter = vmmgmt_host_stream_write_iter,
	.splice_read = vmmgmt_host_splice_read,
	.splice_write = iter_file_splice_write,
	.poll = vmmgmt_host_stream_file_poll,
	.unlocked_ioctl = vmmgmt_host_stream_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
