// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: streams (ABI 0.7), connection-oriented byte
 * streams made of segments (records with %VMMGMT_REC_F_STREAM) between a
 * guest file and a host endpoint or a file of another guest.
 *
 * A /dev/vmmgmt file becomes a stream (VMMGMT_IOC_STREAM_CONNECT) or a
 * listener (VMMGMT_IOC_STREAM_LISTEN); VMMGMT_IOC_STREAM_ACCEPT gives each
 * stream that reached a listener a file of its own (an anonymous inode
 * with vmmgmt_guest_stream_fops).  The numbers of each end (what was sent,
 * what the peer allows, what was received and read) follow the shared
 * rules of lib/vmmgmt_stream.c; this file keeps the buffers, the wait
 * queues, the table of streams and the files around them.
 *
 * Every segment goes out through vmmgmt_guest_send().  The rx work hands
 * segments in through &vmmgmt_guest_dev.rx_stream (vmmgmt_guest_stream_rx())
 * and never sends: what it owes (an RST for a broken rule or an unknown
 * stream) is sent by &vmmgmt_guest_streams.work, non-blocking.  Readers
 * send the window updates (ACK) themselves, non-blocking too; a closed
 * file's FIN or RST is sent at once if the ring has room, else by the
 * work, for at most %VMMGMT_GUEST_STREAM_LINGER.  The window each end
 * grants bounds what is buffered: a peer that sends past it breaks the
 * rules (EPROTO) and only resets its own stream.
 *
 * Owns: &vmmgmt_guest_dev.streams, &struct vmmgmt_guest_stream,
 * &struct vmmgmt_guest_listener, &vmmgmt_guest_ep.stream and .listener,
 * what the stream files do (their file_operations are the character
 * device's, vmmgmt_guest_cdev.c).  May call: the link
 * (vmmgmt_guest_link.c: the send path, the link state, the rx kick), the
 * flow control (vmmgmt_guest_flow.c: a writer waits for credit for its
 * peer) and the shared stream rules, nothing else; the link calls it
 * only through the hooks set at allocation.
 *
 * Locks, outermost first: &vmmgmt_guest_stream.wr_mutex or .rd_mutex,
 * then .tx_mutex, then &vmmgmt_guest_dev.lock (read); .tx_mutex is only
 * ever tried (mutex_trylock()) by those that hold &vmmgmt_guest_dev.lock
 * already, since a sender waiting for ring space drops and takes that
 * lock again while it holds .tx_mutex.  &vmmgmt_guest_ep.mutex ->
 * &vmmgmt_guest_streams.lock -> &vmmgmt_guest_stream.lock (spinlocks,
 * nothing sleeps under them).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "vmmgmt_guest.h"

/* How long VMMGMT_IOC_STREAM_CONNECT waits for ACCEPT without timeout_ms. */
#define VMMGMT_GUEST_STREAM_CONNECT_MS	5000
/* How long a closed stream's FIN or RST is tried while the ring is full. */
#define VMMGMT_GUEST_STREAM_LINGER	HZ
/* The work looks again this long after a send found the ring full. */
#define VMMGMT_GUEST_STREAM_RETRY	msecs_to_jiffies(5)
/*
 * A writer or poller that waited this long for a window update asks the
 * peer again (vmmgmt_guest_stream_probe(), vmmgmt_guest_streams_probe_work()).
 */
#define VMMGMT_GUEST_STREAM_PROBE	msecs_to_jiffies(250)

/* Segments a stream owes its peer (&vmmgmt_guest_stream.owe). */
#define VMMGMT_GUEST_OWE_ACK		BIT(0)
#define VMMGMT_GUEST_OWE_FIN		BIT(1)
#define VMMGMT_GUEST_OWE_RST		BIT(2)

/* Header and errno of an RST, or a header alone. */
#define VMMGMT_GUEST_SEG_SMALL	(sizeof(struct vmmgmt_stream_seg) + sizeof(u32))

/**
 * struct vmmgmt_guest_chunk - received stream bytes, from one DATA segment.
 * @node: in &vmmgmt_guest_stream.rxq.
 * @len: bytes in @data.
 * @off: bytes of @data the reader took already.
 * @data: the bytes.
 */
struct vmmgmt_guest_chunk {
	struct list_head node;
	u32 len;
	u32 off;
	u8 data[];
};

/**
 * struct vmmgmt_guest_stream - one end of a stream in this guest.
 * @ref: the owner (a file, or a listener's backlog) holds one reference,
 *	the table (&vmmgmt_guest_streams.all) one, and every operation in
 *	flight one.
 * @vdev: the device.  The owner's file holds a device reference.
 * @node: in &vmmgmt_guest_streams.all while @in_table.
 * @bl_node: in &vmmgmt_guest_listener.backlog while @in_backlog.
 * @in_table: in the table.  Protected by &vmmgmt_guest_streams.lock.
 * @in_backlog: waits for accept.  Same locking.
 * @port: the local port.  Fixed.
 * @peer: the other end.  Fixed.
 * @id: the stream id.  Fixed.
 * @mode: the stream's mode, the one of the file that opened or listened.
 *	Fixed.
 * @gen: the link generation the stream belongs to.  Fixed.
 * @lock: protects @st, @rxq, @rx_bytes, @owe, @owe_err, @released,
 *	@poll_probe and @deadline.  Nests inside &vmmgmt_guest_streams.lock.
 * @st: the protocol numbers (lib/vmmgmt_stream.h).
 * @rxq: received &struct vmmgmt_guest_chunk, oldest first.  Only readers
 *	(under @rd_mutex) take entries off.
 * @rx_bytes: bytes in @rxq not read yet; at most %VMMGMT_STREAM_WINDOW.
 * @owe: VMMGMT_GUEST_OWE_* segments to send.
 * @owe_err: the errno of an owed RST.
 * @released: the owner let go; the stream leaves the table once nothing
 *	is owed, or at @deadline.
 * @poll_probe: a poller found the window closed: the probe work asks the
 *	peer while pollers wait and it stays closed.
 * @deadline: jiffies after which an owed segment is given up.
 * @rd_mutex: serialises readers.
 * @wr_mutex: serialises writers and shutdown.
 * @tx_mutex: serialises filling in and sending segments, so that the
 *	acks and offsets the peer sees never move back.
 * @rd_wq: readers and pollers.
 * @wr_wq: writers, pollers and the connecting caller.
 */
struct vmmgmt_guest_stream {
	struct kref ref;
	struct vmmgmt_guest_dev *vdev;
	struct list_head node;
	struct list_head bl_node;
	bool in_table;
	bool in_backlog;
	u32 port;
	struct vmmgmt_addr peer;
	u64 id;
	u32 mode;
	u32 gen;
	spinlock_t lock;		/* see above */
	struct vmmgmt_stream_state st;
	struct list_head rxq;
	u32 rx_bytes;
	u8 owe;
	u32 owe_err;
	bool released;
	bool poll_probe;
	unsigned long deadline;
	struct mutex rd_mutex;		/* readers */
	struct mutex wr_mutex;		/* writers, shutdown */
	struct mutex tx_mutex;		/* segment order */
	wait_queue_head_t rd_wq;
	wait_queue_head_t wr_wq;
};

/**
 * struct vmmgmt_guest_listener - a file that listens on a port.
 * @node: in &vmmgmt_guest_streams.listeners.
 * @port: the port.
 * @mode: the mode of its streams (the file's when it began to listen).
 * @max: most streams waiting for accept.
 * @n: streams in @backlog.
 * @backlog: &struct vmmgmt_guest_stream waiting for accept, oldest first.
 * @wq: callers of accept and pollers.
 *
 * All fields but @wq are protected by &vmmgmt_guest_streams.lock; the
 * file that listens owns the structure.
 */
struct vmmgmt_guest_listener {
	struct list_head node;
	u32 port;
	u32 mode;
	unsigned int max;
	unsigned int n;
	struct list_head backlog;
	wait_queue_head_t wq;
};

static void vmmgmt_guest_stream_free(struct kref *ref)
{
	struct vmmgmt_guest_stream *s =
		container_of(ref, struct vmmgmt_guest_stream, ref);
	struct vmmgmt_guest_chunk *c, *tmp;

	list_for_each_entry_safe(c, tmp, &s->rxq, node)
		kvfree(c);
	mutex_destroy(&s->tx_mutex);
	mutex_destroy(&s->wr_mutex);
	mutex_destroy(&s->rd_mutex);
	kfree(s);
}

static void vmmgmt_guest_stream_put(struct vmmgmt_guest_stream *s)
{
	kref_put(&s->ref, vmmgmt_guest_stream_free);
}

/* A new stream with one reference, the owner's; not in the table yet. */
static struct vmmgmt_guest_stream *
vmmgmt_guest_stream_alloc(struct vmmgmt_guest_dev *vdev, bool opener)
{
	struct vmmgmt_guest_stream *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	kref_init(&s->ref);
	s->vdev = vdev;
	spin_lock_init(&s->lock);
	vmmgmt_stream_init(&s->st, opener);
	INIT_LIST_HEAD(&s->rxq);
	mutex_init(&s->rd_mutex);
	mutex_init(&s->wr_mutex);
	mutex_init(&s->tx_mutex);
	init_waitqueue_head(&s->rd_wq);
	init_waitqueue_head(&s->wr_wq);
	return s;
}

static bool vmmgmt_guest_addr_eq(const struct vmmgmt_addr *a,
				 const struct vmmgmt_addr *b)
{
	return a->host == b->host && a->vm == b->vm && a->port == b->port;
}

/* Wake everybody who waits on a stream. */
static void vmmgmt_guest_stream_wake(struct vmmgmt_guest_stream *s)
{
	wake_up_interruptible_all(&s->rd_wq);
	wake_up_interruptible_all(&s->wr_wq);
}

/*
 * End a stream with @err (positive; 0 a clean end) and wake its waiters.
 * The first failure wins.  Any context; takes @s->lock.
 */
static void vmmgmt_guest_stream_fail(struct vmmgmt_guest_stream *s, int err)
{
	bool changed;

	spin_lock(&s->lock);
	changed = s->st.state != VMMGMT_STREAM_S_CLOSED;
	vmmgmt_stream_fail(&s->st, err);
	spin_unlock(&s->lock);
	if (changed && err)
		atomic64_inc(&s->vdev->streams.reset);
	vmmgmt_guest_stream_wake(s);
}

/* Queue the work unless the device is going away; streams.lock held. */
static void vmmgmt_guest_streams_kick_locked(struct vmmgmt_guest_dev *vdev,
					     unsigned long delay)
{
	lockdep_assert_held(&vdev->streams.lock);
	if (!vdev->streams.off)
		mod_delayed_work(system_wq, &vdev->streams.work, delay);
}

static void vmmgmt_guest_streams_kick(struct vmmgmt_guest_dev *vdev)
{
	spin_lock(&vdev->streams.lock);
	vmmgmt_guest_streams_kick_locked(vdev, 0);
	spin_unlock(&vdev->streams.lock);
}

/* Mark segments owed to the peer and have the work send them. */
static void vmmgmt_guest_stream_owe(struct vmmgmt_guest_stream *s, u8 what,
				    u32 err)
{
	spin_lock(&s->lock);
	s->owe |= what;
	if (what & VMMGMT_GUEST_OWE_RST)
		s->owe_err = err;
	spin_unlock(&s->lock);
	vmmgmt_guest_streams_kick(s->vdev);
}

/*
 * Owe an RST with @err to the source of a segment (@hdr) that has no
 * stream here.  Past %VMMGMT_GUEST_STREAM_RSTS waiting, it is lost (the
 * peer's connect times out, its stream fails at its next segment).
 * streams.lock held.
 */
static void vmmgmt_guest_streams_owe_rst_locked(struct vmmgmt_guest_dev *vdev,
						const struct vmmgmt_rec *hdr,
						u32 err)
{
	struct vmmgmt_guest_streams *ss = &vdev->streams;
	struct vmmgmt_guest_stream_rst *r;

	if (ss->off || ss->nr_rsts >= VMMGMT_GUEST_STREAM_RSTS)
		return;
	r = &ss->rsts[ss->nr_rsts++];
	r->id = hdr->id;
	r->mode = hdr->mode;
	r->err = err;
	r->src = hdr->dst;
	r->dst = hdr->src;
	vmmgmt_guest_streams_kick_locked(vdev, 0);
}

/* The stream of (@port, @peer, @id), or NULL; streams.lock held. */
static struct vmmgmt_guest_stream *
vmmgmt_guest_streams_find(struct vmmgmt_guest_dev *vdev, u32 port,
			  const struct vmmgmt_addr *peer, u64 id)
{
	struct vmmgmt_guest_stream *s;

	list_for_each_entry(s, &vdev->streams.all, node)
		if (s->id == id && s->port == port &&
		    vmmgmt_guest_addr_eq(&s->peer, peer))
			return s;
	return NULL;
}

/* The listener on @port, or NULL; streams.lock held. */
static struct vmmgmt_guest_listener *
vmmgmt_guest_streams_listener(struct vmmgmt_guest_dev *vdev, u32 port)
{
	struct vmmgmt_guest_listener *l;

	list_for_each_entry(l, &vdev->streams.listeners, node)
		if (l->port == port)
			return l;
	return NULL;
}

/* Put a stream in the table (a reference of its own); streams.lock held. */
static int vmmgmt_guest_streams_add_locked(struct vmmgmt_guest_dev *vdev,
					   struct vmmgmt_guest_stream *s)
{
	if (vdev->streams.nr >= VMMGMT_STREAMS_MAX)
		return -EMFILE;
	kref_get(&s->ref);
	list_add_tail(&s->node, &vdev->streams.all);
	s->in_table = true;
	vdev->streams.nr++;
	return 0;
}

/*
 * Take a stream out of the table; streams.lock held.  Return: true if it
 * was in it: the caller then drops the table's reference, unlocked.
 */
static bool vmmgmt_guest_streams_del_locked(struct vmmgmt_guest_dev *vdev,
					    struct vmmgmt_guest_stream *s)
{
	if (!s->in_table)
		return false;
	list_del(&s->node);
	s->in_table = false;
	vdev->streams.nr--;
	return true;
}

/* The address this guest sends a stream's segments from. */
static void vmmgmt_guest_stream_hdr(struct vmmgmt_guest_stream *s,
				    struct vmmgmt_rec *hdr, u32 len)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->len = len;
	hdr->mode = s->mode;
	hdr->flags = VMMGMT_REC_F_STREAM;
	hdr->id = s->id;
	hdr->src.vm = READ_ONCE(s->vdev->vm_id);
	hdr->src.port = s->port;
	hdr->dst = s->peer;
}

/**
 * vmmgmt_guest_stream_xmit() - fill in and send one segment of a stream.
 * @s: the stream.
 * @op: an &enum vmmgmt_stream_op value.
 * @buf: DATA: sizeof(struct vmmgmt_stream_seg) bytes of room for the
 *	header, then the @len bytes; NULL for the others.
 * @len: DATA bytes; 0 for the others.
 * @err: RST: the errno it carries.
 * @nonblock: fail with -EAGAIN instead of waiting for ring space.
 *
 * The numbers the segment carries are taken back if it could not be sent,
 * so a failed send changes nothing the peer could notice.
 *
 * Context: process context; @s->tx_mutex held, &vmmgmt_guest_dev.lock
 * held for reading (not removed); takes @s->lock.
 * Return: 0; -EPIPE (FIN sent already) or the stream's error for anything
 * but an RST on a stream that is over; the errors of vmmgmt_guest_send().
 */
static int vmmgmt_guest_stream_xmit(struct vmmgmt_guest_stream *s, u8 op,
				    u8 *buf, u32 len, u32 err, bool nonblock)
{
	u8 small[VMMGMT_GUEST_SEG_SMALL] __aligned(8);
	struct vmmgmt_guest_dev *vdev = s->vdev;
	struct vmmgmt_stream_state save;
	struct vmmgmt_stream_seg *seg;
	struct vmmgmt_rec hdr;
	u32 size = sizeof(*seg) + len;
	int ret = 0;

	seg = (struct vmmgmt_stream_seg *)(buf ? buf : small);
	spin_lock(&s->lock);
	save = s->st;
	if (op != VMMGMT_STREAM_RST) {
		if (s->st.state == VMMGMT_STREAM_S_CLOSED)
			ret = -(s->st.err ? s->st.err : EPIPE);
		else if (s->st.fin_sent && op != VMMGMT_STREAM_ACK)
			ret = -EPIPE;
		else if (op == VMMGMT_STREAM_DATA &&
			 vmmgmt_stream_tx_room(&s->st) < len)
			ret = -EAGAIN;
	}
	if (!ret)
		vmmgmt_stream_tx_fill(&s->st, op, len, seg);
	spin_unlock(&s->lock);
	if (ret)
		return ret;
	if (op == VMMGMT_STREAM_RST) {
		memcpy(small + sizeof(*seg), &err, sizeof(err));
		size += sizeof(err);
	}
	vmmgmt_guest_stream_hdr(s, &hdr, size);
	/* Data goes within the credit of its VM (it may wait for it). */
	if (op == VMMGMT_STREAM_DATA)
		ret = vmmgmt_guest_send_credited(vdev, &hdr, seg, nonblock);
	else
		ret = vmmgmt_guest_send(vdev, &hdr, seg, nonblock);
	if (ret) {
		spin_lock(&s->lock);
		s->st.tx_next = save.tx_next;
		s->st.fin_sent = save.fin_sent;
		s->st.rx_acked = save.rx_acked;
		spin_unlock(&s->lock);
		return ret;
	}
	if (op == VMMGMT_STREAM_DATA)
		atomic64_add(len, &vdev->streams.tx_bytes);
	return 0;
}

/*
 * Send one segment without data (SYN, ACCEPT, FIN) from process context:
 * takes @s->tx_mutex and the device lock for reading around
 * vmmgmt_guest_stream_xmit(); -ENODEV after removal.
 */
static int vmmgmt_guest_stream_send(struct vmmgmt_guest_stream *s, u8 op)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	int ret;

	mutex_lock(&s->tx_mutex);
	down_read(&vdev->lock);
	ret = vdev->removed ? -ENODEV :
	      vmmgmt_guest_stream_xmit(s, op, NULL, 0, 0, false);
	up_read(&vdev->lock);
	mutex_unlock(&s->tx_mutex);
	return ret;
}

/**
 * vmmgmt_guest_stream_flush() - send what a stream owes, without waiting.
 * @s: the stream.
 *
 * An RST first (it ends everything else), else a due ACK, then a FIN.
 * Segments that found the ring full stay owed unless the stream was
 * released and its @deadline passed; any other failure gives them up (the
 * link is down, or the stream is over).
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed); tries @s->tx_mutex, takes @s->lock.
 * Return: true if something is still owed.
 */
static bool vmmgmt_guest_stream_flush(struct vmmgmt_guest_stream *s)
{
	bool due, left;
	u32 err;
	u8 owe;
	int ret = 0;

	if (!mutex_trylock(&s->tx_mutex))
		return true;
	spin_lock(&s->lock);
	owe = s->owe;
	err = s->owe_err;
	due = vmmgmt_stream_ack_due(&s->st);
	spin_unlock(&s->lock);
	if (owe & VMMGMT_GUEST_OWE_RST) {
		ret = vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_RST, NULL, 0,
					       err, true);
		if (!ret)
			owe = VMMGMT_GUEST_OWE_RST | VMMGMT_GUEST_OWE_ACK |
			      VMMGMT_GUEST_OWE_FIN;
	} else {
		if ((owe & VMMGMT_GUEST_OWE_ACK) && due)
			ret = vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_ACK,
						       NULL, 0, 0, true);
		if (!ret && (owe & VMMGMT_GUEST_OWE_FIN))
			ret = vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_FIN,
						       NULL, 0, 0, true);
	}
	mutex_unlock(&s->tx_mutex);

	spin_lock(&s->lock);
	if (ret != -EAGAIN ||
	    (s->released && time_after(jiffies, s->deadline)))
		s->owe &= ~owe;
	left = s->owe;
	spin_unlock(&s->lock);
	return left;
}

/* Send one RST to a stream the guest does not know. */
static int vmmgmt_guest_streams_send_rst(struct vmmgmt_guest_dev *vdev,
					 const struct vmmgmt_guest_stream_rst *r)
{
	u8 buf[VMMGMT_GUEST_SEG_SMALL] __aligned(8) = { };
	struct vmmgmt_stream_seg *seg = (struct vmmgmt_stream_seg *)buf;
	struct vmmgmt_rec hdr = {
		.len = sizeof(buf),
		.mode = r->mode,
		.flags = VMMGMT_REC_F_STREAM,
		.id = r->id,
		.src = r->src,
		.dst = r->dst,
	};

	seg->op = VMMGMT_STREAM_RST;
	memcpy(buf + sizeof(*seg), &r->err, sizeof(r->err));
	return vmmgmt_guest_send(vdev, &hdr, buf, true);
}

/* The RSTs to unknown streams; false if the ring was full. */
static bool vmmgmt_guest_streams_flush_rsts(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_streams *ss = &vdev->streams;
	struct vmmgmt_guest_stream_rst r;
	int ret;

	for (;;) {
		spin_lock(&ss->lock);
		if (!ss->nr_rsts) {
			spin_unlock(&ss->lock);
			return true;
		}
		r = ss->rsts[0];
		spin_unlock(&ss->lock);
		ret = vmmgmt_guest_streams_send_rst(vdev, &r);
		if (ret == -EAGAIN)
			return false;
		/* Only this work takes entries off: the first is still r. */
		spin_lock(&ss->lock);
		ss->nr_rsts--;
		memmove(&ss->rsts[0], &ss->rsts[1],
			ss->nr_rsts * sizeof(ss->rsts[0]));
		spin_unlock(&ss->lock);
	}
}

/*
 * After a flush: a released stream that owes nothing leaves the table.
 * Takes streams.lock and @s->lock; drops the table's reference.
 */
static void vmmgmt_guest_stream_settle(struct vmmgmt_guest_stream *s)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	bool drop = false;

	spin_lock(&vdev->streams.lock);
	spin_lock(&s->lock);
	if (s->released && (!s->owe || vdev->streams.off))
		drop = vmmgmt_guest_streams_del_locked(vdev, s);
	else if (s->owe)
		vmmgmt_guest_streams_kick_locked(vdev,
						 VMMGMT_GUEST_STREAM_RETRY);
	spin_unlock(&s->lock);
	spin_unlock(&vdev->streams.lock);
	if (drop)
		vmmgmt_guest_stream_put(s);
}

/*
 * A reference to each stream that owes a segment (or, with @pollers, that
 * a poller found with its window closed) in @todo, which has room for
 * every stream of the table.  Return: how many.
 */
static unsigned int vmmgmt_guest_streams_grab(struct vmmgmt_guest_dev *vdev,
					      struct vmmgmt_guest_stream **todo,
					      bool pollers)
{
	struct vmmgmt_guest_stream *s;
	unsigned int n = 0;

	spin_lock(&vdev->streams.lock);
	list_for_each_entry(s, &vdev->streams.all, node) {
		if (pollers ? !READ_ONCE(s->poll_probe) : !READ_ONCE(s->owe))
			continue;
		kref_get(&s->ref);
		todo[n++] = s;
	}
	spin_unlock(&vdev->streams.lock);
	return n;
}

/**
 * vmmgmt_guest_streams_work() - send the segments owed by the rx work and by
 * closed files.
 * @work: &vmmgmt_guest_streams.work.
 *
 * Non-blocking sends only; while the ring is full it looks again after
 * %VMMGMT_GUEST_STREAM_RETRY.  A released stream leaves the table once it
 * owes nothing.
 *
 * Context: process context (system workqueue); takes
 * &vmmgmt_guest_dev.lock for reading, the streams' locks.
 */
static void vmmgmt_guest_streams_work(struct work_struct *work)
{
	struct vmmgmt_guest_dev *vdev =
		container_of(to_delayed_work(work), struct vmmgmt_guest_dev,
			     streams.work);
	struct vmmgmt_guest_stream *todo[VMMGMT_STREAMS_MAX];
	unsigned int i, n;
	bool again;

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return;
	}
	again = !vmmgmt_guest_streams_flush_rsts(vdev);

	n = vmmgmt_guest_streams_grab(vdev, todo, false);
	for (i = 0; i < n; i++) {
		vmmgmt_guest_stream_flush(todo[i]);
		vmmgmt_guest_stream_settle(todo[i]);
		vmmgmt_guest_stream_put(todo[i]);
	}
	up_read(&vdev->lock);

	if (again) {
		spin_lock(&vdev->streams.lock);
		vmmgmt_guest_streams_kick_locked(vdev,
						 VMMGMT_GUEST_STREAM_RETRY);
		spin_unlock(&vdev->streams.lock);
	}
}

/**
 * vmmgmt_guest_stream_detach() - the owner lets go of a stream.
 * @s: the stream.
 * @rst_err: 0: FIN if this side was not shut down yet, RST ECONNRESET if
 *	unread bytes were buffered (or the stream was still connecting);
 *	otherwise an RST with this errno in any case (a refused backlog
 *	stream: ECONNREFUSED).
 *
 * Idempotent.  Never waits for the host: the segment is sent at once if
 * the ring has room, else by the work for at most
 * %VMMGMT_GUEST_STREAM_LINGER; the stream then leaves the table.  The
 * owner's reference is the caller's to drop.
 *
 * Context: process context; no lock of the stream held; takes
 * &vmmgmt_guest_dev.lock for reading.
 */
static void vmmgmt_guest_stream_detach(struct vmmgmt_guest_stream *s,
				       u32 rst_err)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	bool fail = false;

	spin_lock(&s->lock);
	if (s->released) {
		spin_unlock(&s->lock);
		return;
	}
	s->released = true;
	s->deadline = jiffies + VMMGMT_GUEST_STREAM_LINGER;
	s->owe &= ~VMMGMT_GUEST_OWE_ACK;
	if (s->st.state == VMMGMT_STREAM_S_CLOSED) {
		s->owe &= ~VMMGMT_GUEST_OWE_FIN;
	} else if (rst_err || s->rx_bytes ||
		   s->st.state == VMMGMT_STREAM_S_CONNECTING) {
		s->owe = VMMGMT_GUEST_OWE_RST;
		s->owe_err = rst_err ? rst_err : ECONNRESET;
		fail = true;
	} else if (!s->st.fin_sent) {
		s->owe |= VMMGMT_GUEST_OWE_FIN;
	}
	spin_unlock(&s->lock);
	if (fail)
		vmmgmt_guest_stream_fail(s, ECONNRESET);

	down_read(&vdev->lock);
	if (!vdev->removed && READ_ONCE(s->owe))
		vmmgmt_guest_stream_flush(s);
	up_read(&vdev->lock);
	vmmgmt_guest_stream_settle(s);
}

/* Whether a stream belongs to a link generation that is gone. */
static bool vmmgmt_guest_stream_stale(struct vmmgmt_guest_stream *s)
{
	return READ_ONCE(s->vdev->link_gen) != s->gen;
}

/**
 * vmmgmt_guest_stream_ack() - after a read: tell the peer about the room.
 * @s: the stream.
 *
 * Sends an ACK when one is due (vmmgmt_stream_ack_due()), without
 * waiting; when the ring is full or a writer is sending, the work sends
 * it (a DATA segment carries the ack too).
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed); tries @s->tx_mutex.
 */
static void vmmgmt_guest_stream_ack(struct vmmgmt_guest_stream *s)
{
	bool due;
	int ret;

	spin_lock(&s->lock);
	due = vmmgmt_stream_ack_due(&s->st);
	spin_unlock(&s->lock);
	if (!due)
		return;
	if (mutex_trylock(&s->tx_mutex)) {
		ret = vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_ACK, NULL, 0, 0,
					       true);
		mutex_unlock(&s->tx_mutex);
		if (ret != -EAGAIN)
			return;
	}
	vmmgmt_guest_stream_owe(s, VMMGMT_GUEST_OWE_ACK, 0);
}

/*
 * Copy buffered bytes to @to.  Return: the bytes copied (0 if none were
 * buffered); -EFAULT if none could be copied.  @s->rd_mutex held.
 */
static ssize_t vmmgmt_guest_stream_copy_out(struct vmmgmt_guest_stream *s,
					    struct iov_iter *to)
{
	struct vmmgmt_guest_chunk *c;
	size_t n, copied, total = 0;
	bool done;

	while (iov_iter_count(to)) {
		spin_lock(&s->lock);
		c = list_first_entry_or_null(&s->rxq, struct vmmgmt_guest_chunk,
					     node);
		spin_unlock(&s->lock);
		/* Only readers, serialised by rd_mutex, take chunks off. */
		if (!c)
			break;
		n = min_t(size_t, c->len - c->off, iov_iter_count(to));
		copied = copy_to_iter(c->data + c->off, n, to);
		spin_lock(&s->lock);
		c->off += copied;
		s->rx_bytes -= copied;
		vmmgmt_stream_read(&s->st, copied);
		done = c->off == c->len;
		if (done)
			list_del(&c->node);
		spin_unlock(&s->lock);
		if (done)
			kvfree(c);
		total += copied;
		if (copied < n)
			return total ? total : -EFAULT;
	}
	return total;
}

/* Wake-up condition of a reader; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_stream_readable(struct vmmgmt_guest_stream *s)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;

	return READ_ONCE(s->rx_bytes) || READ_ONCE(s->st.fin_rcvd) ||
	       READ_ONCE(s->st.state) == VMMGMT_STREAM_S_CLOSED ||
	       READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP ||
	       vmmgmt_guest_stream_stale(s);
}

/*
 * What a reader gets when nothing is buffered: 0 at end of stream, the
 * stream's error, or 1 to wait.  @s->lock held.
 */
static int vmmgmt_guest_stream_rd_end(struct vmmgmt_guest_stream *s)
{
	if (vmmgmt_stream_at_eof(&s->st))
		return 0;
	if (s->st.state == VMMGMT_STREAM_S_CLOSED)
		return s->st.err ? -s->st.err : 0;
	return 1;
}

/**
 * vmmgmt_guest_stream_read() - read bytes of a stream.
 * @s: the stream.
 * @to: where they go.
 * @nonblock: fail with -EAGAIN instead of waiting.
 *
 * Returns the bytes buffered (up to the size of @to), even once the
 * stream failed; then 0 at end of stream, or the stream's error.  With
 * nothing buffered, a link that is not up fails at once.  Sends the
 * window update when one is due.
 *
 * Context: process context; may sleep; takes @s->rd_mutex and
 * &vmmgmt_guest_dev.lock for reading (not while sleeping).
 * Return: bytes read; 0 at end of stream; -ENODEV; -ENOTCONN or -EPIPE;
 * -ECONNRESET, -EPROTO or another errno the stream failed with; -EAGAIN;
 * -EFAULT; -ERESTARTSYS.
 */
static ssize_t vmmgmt_guest_stream_read(struct vmmgmt_guest_stream *s,
					struct iov_iter *to, bool nonblock)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	bool kicked;
	ssize_t ret;
	u32 state;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&s->rd_mutex))
		return -ERESTARTSYS;
	for (;;) {
		down_read(&vdev->lock);
		if (vdev->removed) {
			ret = -ENODEV;
			break;
		}
		state = vmmgmt_guest_link_refresh(vdev);
		ret = vmmgmt_guest_stream_copy_out(s, to);
		if (ret) {
			if (ret > 0 && state == VMMGMT_LINK_UP)
				vmmgmt_guest_stream_ack(s);
			break;
		}
		spin_lock(&s->lock);
		ret = vmmgmt_guest_stream_rd_end(s);
		spin_unlock(&s->lock);
		if (ret <= 0)
			break;
		if (state != VMMGMT_LINK_UP) {
			ret = vmmgmt_guest_link_errno(state);
			break;
		}
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		/* About to sleep: a lingering rx consumer looks once more. */
		kicked = vmmgmt_guest_rx_kick(vdev);
		up_read(&vdev->lock);
		if (wait_event_interruptible(s->rd_wq,
					     vmmgmt_guest_stream_readable(s) ||
					     (!kicked &&
					      READ_ONCE(vdev->rx_linger)))) {
			mutex_unlock(&s->rd_mutex);
			return -ERESTARTSYS;
		}
	}
	up_read(&vdev->lock);
	mutex_unlock(&s->rd_mutex);
	return ret;
}

/* Wake-up condition of a writer; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_stream_writable(struct vmmgmt_guest_stream *s)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;

	return READ_ONCE(s->st.tx_limit) != READ_ONCE(s->st.tx_next) ||
	       READ_ONCE(s->st.state) == VMMGMT_STREAM_S_CLOSED ||
	       READ_ONCE(s->st.fin_sent) || READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP ||
	       vmmgmt_guest_stream_stale(s);
}

/*
 * The room a writer may fill now, or a negative errno why it may not
 * write at all.  &vmmgmt_guest_dev.lock held for reading.
 */
static s64 vmmgmt_guest_stream_wr_room(struct vmmgmt_guest_stream *s)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	u32 state;
	s64 room;

	if (vdev->removed)
		return -ENODEV;
	if (!vmmgmt_guest_mode_on(vdev, s->mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, s->mode)->denials);
		return -EPERM;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	spin_lock(&s->lock);
	if (s->st.fin_sent)
		room = -EPIPE;
	else if (s->st.state == VMMGMT_STREAM_S_CLOSED)
		room = -(s->st.err ? s->st.err : EPIPE);
	else
		room = min_t(u64, vmmgmt_stream_tx_room(&s->st), S32_MAX);
	spin_unlock(&s->lock);
	if (room >= 0 && state != VMMGMT_LINK_UP)
		room = vmmgmt_guest_link_errno(state);
	return room;
}

/* The most stream bytes one DATA segment carries on this ring. */
static u32 vmmgmt_guest_stream_seg_max(struct vmmgmt_guest_dev *vdev)
{
	u32 max;

	mutex_lock(&vdev->tx_lock);
	max = min_t(u32, vdev->tx.max_len, VMMGMT_MSG_MAX);
	mutex_unlock(&vdev->tx_lock);
	return max > sizeof(struct vmmgmt_stream_seg) ?
	       max - sizeof(struct vmmgmt_stream_seg) : 0;
}

/*
 * Send up to @room bytes from @from as one DATA segment (blocking for
 * ring space).  Return: the bytes sent, or a negative errno (nothing
 * consumed from @from).  @s->wr_mutex held.
 */
static ssize_t vmmgmt_guest_stream_send_data(struct vmmgmt_guest_stream *s,
					     u8 *buf, u32 room,
					     struct iov_iter *from)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	size_t n, copied;
	int ret;

	n = min_t(size_t, iov_iter_count(from), room);
	n = min_t(size_t, n, vmmgmt_guest_stream_seg_max(vdev));
	if (!n)
		return -EMSGSIZE;
	copied = copy_from_iter(buf + sizeof(struct vmmgmt_stream_seg), n,
				from);
	if (!copied)
		return -EFAULT;
	if (mutex_lock_interruptible(&s->tx_mutex)) {
		iov_iter_revert(from, copied);
		return -ERESTARTSYS;
	}
	down_read(&vdev->lock);
	ret = vdev->removed ? -ENODEV :
	      vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_DATA, buf, copied, 0,
				       false);
	up_read(&vdev->lock);
	mutex_unlock(&s->tx_mutex);
	if (ret) {
		iov_iter_revert(from, copied);
		return ret;
	}
	return copied;
}

/*
 * A writer waits for a window update: send the peer an ACK, so that a
 * peer whose channel broke or was reset answers after all (the host's
 * error answer, EHOSTDOWN, or the peer module's RST for a stream it does
 * not know) and the stream fails instead of waiting for good.  Only
 * within the credit for the peer's destination
 * (vmmgmt_guest_flow_credit()): at a peer that is up but takes nothing
 * the probes wait in the host's held queue, at most one window of them
 * with whatever else this VM has in flight there, and stop.  Never waits
 * for ring space.  Called by a waiting writer (@s->wr_mutex held) and by
 * the probe work for pollers; &vmmgmt_guest_dev.lock not held.
 */
static void vmmgmt_guest_stream_probe(struct vmmgmt_guest_stream *s)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;

	if (!(READ_ONCE(vdev->features) & VMMGMT_F_FLOW) ||
	    !vmmgmt_guest_flow_credit(vdev, &s->peer))
		return;
	mutex_lock(&s->tx_mutex);
	down_read(&vdev->lock);
	if (!vdev->removed &&
	    !vmmgmt_guest_stream_xmit(s, VMMGMT_STREAM_ACK, NULL, 0, 0, true))
		atomic64_inc(&vdev->streams.probes);
	up_read(&vdev->lock);
	mutex_unlock(&s->tx_mutex);
}

/* Have the probe work look at the pollers in %VMMGMT_GUEST_STREAM_PROBE. */
static void vmmgmt_guest_streams_probe_later(struct vmmgmt_guest_dev *vdev)
{
	spin_lock(&vdev->streams.lock);
	if (!vdev->streams.off)
		queue_delayed_work(system_wq, &vdev->streams.probe_work,
				   VMMGMT_GUEST_STREAM_PROBE);
	spin_unlock(&vdev->streams.lock);
}

/*
 * Whether a poller still waits on @s for a window update: it is open, its
 * window closed, and someone sleeps on @s->wr_wq.  Clears
 * @s->poll_probe otherwise.
 */
static bool vmmgmt_guest_stream_poll_waits(struct vmmgmt_guest_stream *s)
{
	bool waits;

	spin_lock(&s->lock);
	waits = s->poll_probe && s->st.state == VMMGMT_STREAM_S_OPEN &&
		!s->st.fin_sent && !vmmgmt_stream_tx_room(&s->st) &&
		wq_has_sleeper(&s->wr_wq);
	if (!waits)
		s->poll_probe = false;
	spin_unlock(&s->lock);
	return waits;
}

/**
 * vmmgmt_guest_streams_probe_work() - ask the silent peers of pollers.
 * @work: &vmmgmt_guest_streams.probe_work.
 *
 * A poller that waits for a stream's window to open has no writer to
 * probe the peer (vmmgmt_guest_stream_probe()): this work does it every
 * %VMMGMT_GUEST_STREAM_PROBE for each stream a poller found closed
 * (vmmgmt_guest_stream_poll()) while it stays closed and a poller waits,
 * and leaves the streams a writer waits on to that writer.
 *
 * Context: process context (system workqueue); takes the streams' locks
 * and mutexes, and &vmmgmt_guest_dev.lock for reading.
 */
static void vmmgmt_guest_streams_probe_work(struct work_struct *work)
{
	struct vmmgmt_guest_dev *vdev =
		container_of(to_delayed_work(work), struct vmmgmt_guest_dev,
			     streams.probe_work);
	struct vmmgmt_guest_stream *todo[VMMGMT_STREAMS_MAX];
	struct vmmgmt_guest_stream *s;
	unsigned int i, n;
	bool again = false;

	n = vmmgmt_guest_streams_grab(vdev, todo, true);
	for (i = 0; i < n; i++) {
		s = todo[i];
		if (vmmgmt_guest_stream_poll_waits(s)) {
			again = true;
			/* A waiting writer probes on its own. */
			if (mutex_trylock(&s->wr_mutex)) {
				vmmgmt_guest_stream_probe(s);
				mutex_unlock(&s->wr_mutex);
			}
		}
		vmmgmt_guest_stream_put(s);
	}
	if (again)
		vmmgmt_guest_streams_probe_later(vdev);
}

/**
 * vmmgmt_guest_stream_write() - write bytes to a stream.
 * @s: the stream.
 * @from: the bytes.
 * @nonblock: send what the window allows now, -EAGAIN if nothing.
 *
 * Sends DATA segments of at most the ring's largest payload, each within
 * the peer's window, waiting for window updates (and ring space) in
 * between (asking a silent peer again every %VMMGMT_GUEST_STREAM_PROBE:
 * vmmgmt_guest_stream_probe()), and while the guest has no credit for the peer's destination
 * (vmmgmt_guest_flow_wait(): what its VM may have in flight there).
 * A file in a mode the owner turned off gets -EPERM.
 *
 * Context: process context; may sleep; takes @s->wr_mutex, then
 * @s->tx_mutex and &vmmgmt_guest_dev.lock for reading per segment.
 * Return: bytes sent, if any; else -ENODEV, -EPERM, -EPIPE (after
 * shutdown), the stream's error (-ECONNRESET, ...), -ENOTCONN, -EAGAIN,
 * -EFAULT, -ENOMEM or -ERESTARTSYS.
 */
static ssize_t vmmgmt_guest_stream_write(struct vmmgmt_guest_stream *s,
					 struct iov_iter *from, bool nonblock)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	/* What the credit of a DATA segment depends on. */
	const struct vmmgmt_rec data_hdr = {
		.flags = VMMGMT_REC_F_STREAM, .dst = s->peer,
	};
	ssize_t ret = 0, total = 0;
	u8 *buf = NULL;
	long wait;
	s64 room;

	if (mutex_lock_interruptible(&s->wr_mutex))
		return -ERESTARTSYS;
	while (iov_iter_count(from)) {
		down_read(&vdev->lock);
		room = vmmgmt_guest_stream_wr_room(s);
		up_read(&vdev->lock);
		if (room < 0) {
			ret = room;
			break;
		}
		if (!room) {
			if (nonblock) {
				ret = -EAGAIN;
				break;
			}
			/* A silent peer is asked again now and then. */
			wait = wait_event_interruptible_timeout(s->wr_wq,
								vmmgmt_guest_stream_writable(s),
								VMMGMT_GUEST_STREAM_PROBE);
			if (wait < 0) {
				ret = -ERESTARTSYS;
				break;
			}
			if (!wait)
				vmmgmt_guest_stream_probe(s);
			continue;
		}
		/* No credit for the peer's destination: wait for some. */
		down_read(&vdev->lock);
		ret = vdev->removed ? -ENODEV :
		      vmmgmt_guest_flow_wait(vdev, &data_hdr, nonblock);
		up_read(&vdev->lock);
		if (ret)
			break;
		if (!buf) {
			buf = kvmalloc(VMMGMT_MSG_MAX, GFP_KERNEL);
			if (!buf) {
				ret = -ENOMEM;
				break;
			}
		}
		ret = vmmgmt_guest_stream_send_data(s, buf, room, from);
		if (ret < 0)
			break;
		total += ret;
		ret = 0;
	}
	mutex_unlock(&s->wr_mutex);
	kvfree(buf);
	return total ? total : ret;
}

/**
 * vmmgmt_guest_stream_poll() - readiness of a stream.
 * @s: the stream.
 * @file: its file.
 * @wait: the poll table.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading and
 * @s->lock.
 * Return: EPOLLIN with bytes buffered or at end of stream (with
 * EPOLLRDHUP once the peer shut down); EPOLLOUT while the window is open
 * and the guest has credit for the peer's destination (ABI 0.7,
 * vmmgmt_guest_flow_credit());
 * EPOLLHUP (and EPOLLERR after a failure) once the stream is over or both
 * sides shut down; EPOLLERR when the link is not up; EPOLLERR | EPOLLHUP
 * after removal.
 */
static __poll_t vmmgmt_guest_stream_poll(struct vmmgmt_guest_stream *s,
					 struct file *file, poll_table *wait)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	bool credit, probe = false;
	__poll_t mask = 0;
	u32 state;

	poll_wait(file, &s->rd_wq, wait);
	poll_wait(file, &s->wr_wq, wait);
	/* Credit for the peer's destination comes back there. */
	poll_wait(file, &vdev->flow.wq, wait);

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return EPOLLERR | EPOLLHUP;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	credit = vmmgmt_guest_flow_credit(vdev, &s->peer);
	spin_lock(&s->lock);
	if (s->rx_bytes || s->st.fin_rcvd)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (s->st.fin_rcvd)
		mask |= EPOLLRDHUP;
	if (s->st.state == VMMGMT_STREAM_S_CLOSED) {
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
		if (s->st.err)
			mask |= EPOLLERR;
	} else if (vmmgmt_stream_tx_room(&s->st) && credit) {
		mask |= EPOLLOUT | EPOLLWRNORM;
	} else if (s->st.state == VMMGMT_STREAM_S_OPEN && credit &&
		   !s->st.fin_sent) {
		/*
		 * A closed window: a silent peer is asked now and then while
		 * a poller waits (an epoll entry too, whose later calls
		 * bring no poll table).
		 */
		probe = !s->poll_probe;
		s->poll_probe = true;
	}
	if (s->st.fin_sent && vmmgmt_stream_at_eof(&s->st))
		mask |= EPOLLHUP;
	spin_unlock(&s->lock);
	if (probe)
		vmmgmt_guest_streams_probe_later(vdev);
	if (state != VMMGMT_LINK_UP)
		mask |= EPOLLERR;
	else if (!(mask & EPOLLIN))
		/* Nothing to read: a lingering rx consumer looks once more. */
		vmmgmt_guest_rx_kick(vdev);
	up_read(&vdev->lock);
	return mask;
}

/**
 * vmmgmt_guest_stream_shutdown() - this side writes no more: FIN.
 * @s: the stream.
 *
 * Waits for a writer in progress (the FIN follows the bytes already
 * written).  Shutting down twice, or a stream that is over, is no error.
 *
 * Context: process context; may sleep; takes @s->wr_mutex, @s->tx_mutex
 * and &vmmgmt_guest_dev.lock for reading.
 * Return: 0; -ENOTCONN while the stream is not connected yet; -ENODEV;
 * the errors of vmmgmt_guest_send(); -ERESTARTSYS.
 */
static long vmmgmt_guest_stream_shutdown(struct vmmgmt_guest_stream *s)
{
	long ret = 0;
	u8 state;

	if (mutex_lock_interruptible(&s->wr_mutex))
		return -ERESTARTSYS;
	spin_lock(&s->lock);
	state = s->st.state;
	if (state == VMMGMT_STREAM_S_CONNECTING)
		ret = -ENOTCONN;
	else if (state == VMMGMT_STREAM_S_CLOSED || s->st.fin_sent)
		ret = 1;
	spin_unlock(&s->lock);
	if (!ret)
		ret = vmmgmt_guest_stream_send(s, VMMGMT_STREAM_FIN);
	mutex_unlock(&s->wr_mutex);
	vmmgmt_guest_stream_wake(s);
	return ret > 0 ? 0 : ret;
}

/* Whether a read or write of @iocb must not wait. */
static bool vmmgmt_guest_iocb_nonblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

/* The files of accepted streams (their fops are the character device's). */

/**
 * vmmgmt_guest_stream_read_iter() - read_iter of an accepted stream's file.
 * @iocb: the request; its file's private_data is the stream.
 * @to: where the bytes go.
 *
 * Context: process context; may sleep.
 * Return: see vmmgmt_guest_stream_read().
 */
ssize_t vmmgmt_guest_stream_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return vmmgmt_guest_stream_read(iocb->ki_filp->private_data, to,
					vmmgmt_guest_iocb_nonblock(iocb));
}

/**
 * vmmgmt_guest_stream_write_iter() - write_iter of an accepted stream's file.
 * @iocb: the request; its file's private_data is the stream.
 * @from: the bytes.
 *
 * Context: process context; may sleep.
 * Return: see vmmgmt_guest_stream_write().
 */
ssize_t vmmgmt_guest_stream_write_iter(struct kiocb *iocb,
				       struct iov_iter *from)
{
	return vmmgmt_guest_stream_write(iocb->ki_filp->private_data, from,
					 vmmgmt_guest_iocb_nonblock(iocb));
}

/**
 * vmmgmt_guest_stream_file_poll() - poll of an accepted stream's file.
 * @file: the file; its private_data is the stream.
 * @wait: the poll table.
 *
 * Context: process context.
 * Return: see vmmgmt_guest_stream_poll().
 */
__poll_t vmmgmt_guest_stream_file_poll(struct file *file,
				       struct poll_table_struct *wait)
{
	return vmmgmt_guest_stream_poll(file->private_data, file, wait);
}

/**
 * vmmgmt_guest_stream_file_ioctl() - the ioctls of an accepted stream's file.
 * @file: the file; its private_data is the stream.
 * @cmd: the ioctl number.
 * @arg: unused.
 *
 * Context: process context; may sleep.
 * Return: VMMGMT_IOC_STREAM_SHUTDOWN: see vmmgmt_guest_stream_shutdown();
 * -EISCONN for CONNECT and LISTEN; -EINVAL for ACCEPT (not a listener);
 * -ENOTTY for the others.
 */
long vmmgmt_guest_stream_file_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	switch (cmd) {
	case VMMGMT_IOC_STREAM_SHUTDOWN:
		return vmmgmt_guest_stream_shutdown(file->private_data);
	case VMMGMT_IOC_STREAM_CONNECT:
	case VMMGMT_IOC_STREAM_LISTEN:
		return -EISCONN;
	case VMMGMT_IOC_STREAM_ACCEPT:
		return -EINVAL;
	default:
		return -ENOTTY;
	}
}

/**
 * vmmgmt_guest_stream_file_close() - an accepted stream's file is closed.
 * @file: the file; its private_data is the stream.
 *
 * Sends FIN, or RST if unread bytes were buffered
 * (vmmgmt_guest_stream_detach()), and drops the file's reference to the
 * stream.  The file's device reference is the caller's to drop.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading.
 * Return: the device.
 */
struct vmmgmt_guest_dev *vmmgmt_guest_stream_file_close(struct file *file)
{
	struct vmmgmt_guest_stream *s = file->private_data;
	struct vmmgmt_guest_dev *vdev = s->vdev;

	vmmgmt_guest_stream_detach(s, 0);
	vmmgmt_guest_stream_put(s);
	return vdev;
}

/* Segments from the host. */

/*
 * A SYN for no known stream: a new stream in the backlog of the listener
 * on its port, or an RST ECONNREFUSED.  @fresh (may be NULL: no memory)
 * is used if it is taken.  streams.lock held.  Return: true if @fresh was
 * taken (its owner reference now belongs to the backlog).
 */
static bool vmmgmt_guest_streams_syn_locked(struct vmmgmt_guest_dev *vdev,
					    const struct vmmgmt_rec *hdr,
					    const struct vmmgmt_stream_seg *seg,
					    struct vmmgmt_guest_stream *fresh)
{
	struct vmmgmt_guest_listener *l;

	l = vmmgmt_guest_streams_listener(vdev, hdr->dst.port);
	if (!l || l->mode != hdr->mode || l->n >= l->max || !fresh ||
	    vdev->streams.off ||
	    vmmgmt_guest_streams_add_locked(vdev, fresh)) {
		vmmgmt_guest_streams_owe_rst_locked(vdev, hdr, ECONNREFUSED);
		return false;
	}
	fresh->port = hdr->dst.port;
	fresh->peer = hdr->src;
	fresh->id = hdr->id;
	fresh->mode = hdr->mode;
	fresh->gen = READ_ONCE(vdev->link_gen);
	/* A fresh answering end takes its first SYN. */
	vmmgmt_stream_rx(&fresh->st, seg, 0);
	list_add_tail(&fresh->bl_node, &l->backlog);
	fresh->in_backlog = true;
	l->n++;
	wake_up_interruptible_all(&l->wq);
	return true;
}

/*
 * Apply a segment to its stream.  @chunk holds DATA bytes (NULL: no
 * memory); it is consumed when the bytes were queued.
 */
static void vmmgmt_guest_stream_rx_seg(struct vmmgmt_guest_stream *s,
				       const struct vmmgmt_stream_seg *seg,
				       u32 data_len,
				       struct vmmgmt_guest_chunk **chunk)
{
	u32 rst = 0;
	int ret;

	spin_lock(&s->lock);
	ret = vmmgmt_stream_rx(&s->st, seg, data_len);
	if (!ret && data_len) {
		if (s->released) {
			/* Nobody reads any more: the bytes are lost. */
			ret = -ECONNRESET;
		} else if (!*chunk) {
			ret = -ENOMEM;
		} else {
			list_add_tail(&(*chunk)->node, &s->rxq);
			s->rx_bytes += data_len;
			*chunk = NULL;
		}
	}
	spin_unlock(&s->lock);

	if (!ret && data_len)
		atomic64_add(data_len, &s->vdev->streams.rx_bytes);
	if (ret == -EPROTO) {
		dev_dbg_ratelimited(&s->vdev->pdev->dev, "stream %llu from (%u, %u, %u) broke a rule (op %u)\n",
				    s->id, s->peer.host, s->peer.vm,
				    s->peer.port, seg->op);
		rst = EPROTO;
	} else if (ret == -ECONNRESET || ret == -ENOMEM) {
		rst = ECONNRESET;
	}
	if (rst) {
		vmmgmt_guest_stream_fail(s, ret == -ENOMEM ? ENOMEM : rst);
		vmmgmt_guest_stream_owe(s, VMMGMT_GUEST_OWE_RST, rst);
		return;
	}
	vmmgmt_guest_stream_wake(s);
}

/**
 * vmmgmt_guest_stream_rx() - a stream segment from the host
 * (&vmmgmt_guest_dev.rx_stream).
 * @vdev: the device.
 * @hdr: validated private copy of the record header, with
 *	%VMMGMT_REC_F_STREAM.
 * @payload: private copy of its payload.
 *
 * A segment not for this VM or not of a user mode is a violation.  One of
 * a mode the owner turned off is refused (RST EPERM, and its stream fails
 * with EPERM).  A segment that breaks a rule resets its stream (EPROTO).
 * A SYN goes to the listener of its port (RST ECONNREFUSED without one,
 * with a full backlog, or past %VMMGMT_STREAMS_MAX); any other segment for
 * an unknown stream gets RST ECONNRESET, unless it is an RST or an error
 * answer itself.  An RST or an error answer ends its stream with its
 * errno (an ECONNREFUSED answer to a stream that was open with
 * ECONNRESET: the peer's end closed it).  DATA is queued for the reader:
 * the window the guest granted bounds it, so there is always room.  Nothing is sent from here: owed
 * RSTs go to &vmmgmt_guest_streams.work.
 *
 * Context: the rx work, &vmmgmt_guest_dev.rx_lock held; may allocate
 * (GFP_KERNEL, before the spinlocks); takes &vmmgmt_guest_streams.lock
 * and the stream's lock.
 * Return: 0: the record is always consumed.
 */
int vmmgmt_guest_stream_rx(struct vmmgmt_guest_dev *vdev,
			   const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_guest_stream *s, *fresh = NULL;
	struct vmmgmt_guest_chunk *chunk = NULL;
	struct vmmgmt_stream_seg seg;
	u32 data_len, rst_err, mode_err = 0;
	bool quiet;
	int perr;

	if (!vmmgmt_guest_mode_user(hdr->mode) || hdr->dst.host ||
	    hdr->dst.vm != vdev->vm_id) {
		atomic64_inc(&vdev->counters.violations);
		dev_warn_ratelimited(&vdev->pdev->dev, "dropped stream segment: mode %u to (%u, %u, %u)\n",
				     hdr->mode, hdr->dst.host, hdr->dst.vm,
				     hdr->dst.port);
		return 0;
	}
	perr = vmmgmt_stream_parse(hdr, payload, &seg, &data_len, &rst_err);
	/* RSTs and answers are never answered. */
	quiet = (hdr->flags & VMMGMT_REC_F_RESPONSE) ||
		(!perr && seg.op == VMMGMT_STREAM_RST);
	if (!vmmgmt_guest_mode_on(vdev, hdr->mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, hdr->mode)->denials);
		mode_err = EPERM;
	} else if (!perr && seg.op == VMMGMT_STREAM_DATA) {
		chunk = kvmalloc(struct_size(chunk, data, data_len),
				 GFP_KERNEL);
		if (chunk) {
			chunk->len = data_len;
			chunk->off = 0;
			memcpy(chunk->data, (const u8 *)payload + sizeof(seg),
			       data_len);
		}
	} else if (!perr && seg.op == VMMGMT_STREAM_SYN) {
		fresh = vmmgmt_guest_stream_alloc(vdev, false);
	}

	spin_lock(&vdev->streams.lock);
	s = vmmgmt_guest_streams_find(vdev, hdr->dst.port, &hdr->src, hdr->id);
	if (s) {
		kref_get(&s->ref);
	} else if (!mode_err && !perr && seg.op == VMMGMT_STREAM_SYN) {
		if (vmmgmt_guest_streams_syn_locked(vdev, hdr, &seg, fresh))
			fresh = NULL;
	} else if (!quiet) {
		vmmgmt_guest_streams_owe_rst_locked(vdev, hdr,
						    mode_err ? mode_err :
						    perr ? EPROTO : ECONNRESET);
	}
	spin_unlock(&vdev->streams.lock);

	if (!s)
		goto out;
	if (mode_err || perr) {
		vmmgmt_guest_stream_fail(s, mode_err ? mode_err : EPROTO);
		if (!quiet)
			vmmgmt_guest_stream_owe(s, VMMGMT_GUEST_OWE_RST,
						mode_err ? mode_err : EPROTO);
	} else if (seg.op == VMMGMT_STREAM_RST) {
		/*
		 * ECONNREFUSED answers DATA for a stream the peer's end does
		 * not know: for a stream that was open, the peer closed it
		 * (its RST ECONNRESET may come after the answer, or be lost):
		 * a reset, as for the guest's own answer to such DATA.
		 */
		if ((hdr->flags & VMMGMT_REC_F_RESPONSE) &&
		    rst_err == ECONNREFUSED &&
		    READ_ONCE(s->st.state) == VMMGMT_STREAM_S_OPEN)
			rst_err = ECONNRESET;
		vmmgmt_guest_stream_fail(s, rst_err);
	} else {
		vmmgmt_guest_stream_rx_seg(s, &seg, data_len, &chunk);
	}
	vmmgmt_guest_stream_put(s);
out:
	kvfree(chunk);
	if (fresh)
		vmmgmt_guest_stream_put(fresh);
	return 0;
}

/**
 * vmmgmt_guest_stream_peer_gone() - endpoints went away: their streams are
 * over (&vmmgmt_guest_dev.peer_gone).
 * @vdev: the device.
 * @addr: (0, vm, 0): every port of that VM (vm 0: every host endpoint);
 *	(0, 0, port) or (0, vm, port): exactly that endpoint.
 *
 * Each stream with its peer there fails with ECONNRESET; nothing is sent.
 *
 * Context: process context (the rx work); takes &vmmgmt_guest_streams.lock
 * and the streams' locks.
 */
void vmmgmt_guest_stream_peer_gone(struct vmmgmt_guest_dev *vdev,
				   const struct vmmgmt_addr *addr)
{
	struct vmmgmt_guest_stream *s;

	spin_lock(&vdev->streams.lock);
	list_for_each_entry(s, &vdev->streams.all, node) {
		if (s->peer.host != addr->host || s->peer.vm != addr->vm ||
		    (addr->port && s->peer.port != addr->port))
			continue;
		vmmgmt_guest_stream_fail(s, ECONNRESET);
	}
	spin_unlock(&vdev->streams.lock);
}

/**
 * vmmgmt_guest_stream_link_changed() - the link changed, or the device is
 * being removed (&vmmgmt_guest_dev.link_changed).
 * @vdev: the device.
 *
 * Streams of an older link generation (the channel was reset: whatever
 * was in flight is lost) fail with ECONNRESET, every stream with ENODEV
 * once the device is removed; every waiter of a stream or listener looks
 * again.
 *
 * Context: process context, no lock of the streams held; takes
 * &vmmgmt_guest_streams.lock and the streams' locks.
 */
void vmmgmt_guest_stream_link_changed(struct vmmgmt_guest_dev *vdev)
{
	bool removed = READ_ONCE(vdev->removed);
	struct vmmgmt_guest_listener *l;
	struct vmmgmt_guest_stream *s;

	spin_lock(&vdev->streams.lock);
	list_for_each_entry(s, &vdev->streams.all, node) {
		if (removed)
			vmmgmt_guest_stream_fail(s, ENODEV);
		else if (vmmgmt_guest_stream_stale(s))
			vmmgmt_guest_stream_fail(s, ECONNRESET);
		else
			vmmgmt_guest_stream_wake(s);
	}
	list_for_each_entry(l, &vdev->streams.listeners, node)
		wake_up_interruptible_all(&l->wq);
	spin_unlock(&vdev->streams.lock);
}

/* Files of /dev/vmmgmt that are streams or listeners. */

/**
 * vmmgmt_guest_stream_ep_is() - whether a file is a stream or a listener.
 * @ep: the file's endpoint.
 *
 * Once it is, it stays one until it is closed.
 *
 * Context: any.
 * Return: true if its reads, writes and polls are the stream layer's.
 */
bool vmmgmt_guest_stream_ep_is(struct vmmgmt_guest_ep *ep)
{
	return READ_ONCE(ep->stream) || READ_ONCE(ep->listener);
}

/* The file's stream with a reference, or NULL (a listener). */
static struct vmmgmt_guest_stream *
vmmgmt_guest_stream_ep_get(struct vmmgmt_guest_ep *ep)
{
	struct vmmgmt_guest_stream *s;

	mutex_lock(&ep->mutex);
	s = ep->stream;
	if (s)
		kref_get(&s->ref);
	mutex_unlock(&ep->mutex);
	return s;
}

/**
 * vmmgmt_guest_stream_ep_read() - read() of a /dev/vmmgmt file that is a
 * stream.
 * @ep: the file's endpoint (vmmgmt_guest_stream_ep_is()).
 * @iocb: the request.
 * @to: where the bytes go.
 *
 * Context: process context; may sleep.
 * Return: see vmmgmt_guest_stream_read(); -ENOTCONN on a listener.
 */
ssize_t vmmgmt_guest_stream_ep_read(struct vmmgmt_guest_ep *ep,
				    struct kiocb *iocb, struct iov_iter *to)
{
	struct vmmgmt_guest_stream *s = vmmgmt_guest_stream_ep_get(ep);
	ssize_t ret;

	if (!s)
		return -ENOTCONN;
	ret = vmmgmt_guest_stream_read(s, to, vmmgmt_guest_iocb_nonblock(iocb));
	vmmgmt_guest_stream_put(s);
	return ret;
}

/**
 * vmmgmt_guest_stream_ep_write() - write() of a /dev/vmmgmt file that is a
 * stream.
 * @ep: the file's endpoint (vmmgmt_guest_stream_ep_is()).
 * @iocb: the request.
 * @from: the bytes.
 *
 * Context: process context; may sleep.
 * Return: see vmmgmt_guest_stream_write(); -ENOTCONN on a listener.
 */
ssize_t vmmgmt_guest_stream_ep_write(struct vmmgmt_guest_ep *ep,
				     struct kiocb *iocb,
				     struct iov_iter *from)
{
	struct vmmgmt_guest_stream *s = vmmgmt_guest_stream_ep_get(ep);
	ssize_t ret;

	if (!s)
		return -ENOTCONN;
	ret = vmmgmt_guest_stream_write(s, from,
					vmmgmt_guest_iocb_nonblock(iocb));
	vmmgmt_guest_stream_put(s);
	return ret;
}

/**
 * vmmgmt_guest_stream_ep_poll() - poll() of a /dev/vmmgmt file that is a
 * stream or a listener.
 * @ep: the file's endpoint (vmmgmt_guest_stream_ep_is()).
 * @file: the file.
 * @wait: the poll table.
 *
 * The stream's readiness (vmmgmt_guest_stream_poll()); for a listener
 * EPOLLIN while a stream waits for accept.  The wait queues belong to
 * objects the file holds until it is closed.
 *
 * Context: process context.
 * Return: the event mask.
 */
__poll_t vmmgmt_guest_stream_ep_poll(struct vmmgmt_guest_ep *ep,
				     struct file *file,
				     struct poll_table_struct *wait)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_stream *s = vmmgmt_guest_stream_ep_get(ep);
	struct vmmgmt_guest_listener *l;
	__poll_t mask = 0;

	if (s) {
		mask = vmmgmt_guest_stream_poll(s, file, wait);
		vmmgmt_guest_stream_put(s);
		return mask;
	}
	l = READ_ONCE(ep->listener);
	if (!l)
		return EPOLLERR;
	poll_wait(file, &l->wq, wait);
	down_read(&vdev->lock);
	if (vdev->removed)
		mask = EPOLLERR | EPOLLHUP;
	up_read(&vdev->lock);
	spin_lock(&vdev->streams.lock);
	if (l->n)
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&vdev->streams.lock);
	return mask;
}

/**
 * vmmgmt_guest_stream_ep_shutdown() - VMMGMT_IOC_STREAM_SHUTDOWN on a
 * /dev/vmmgmt file.
 * @ep: the file's endpoint.
 *
 * Context: process context; may sleep.
 * Return: see vmmgmt_guest_stream_shutdown(); -ENOTCONN if the file is not
 * a stream.
 */
long vmmgmt_guest_stream_ep_shutdown(struct vmmgmt_guest_ep *ep)
{
	struct vmmgmt_guest_stream *s = vmmgmt_guest_stream_ep_get(ep);
	long ret;

	if (!s)
		return -ENOTCONN;
	ret = vmmgmt_guest_stream_shutdown(s);
	vmmgmt_guest_stream_put(s);
	return ret;
}

/* Close a listener: every stream of its backlog is refused. */
static void vmmgmt_guest_listener_close(struct vmmgmt_guest_dev *vdev,
					struct vmmgmt_guest_listener *l)
{
	struct vmmgmt_guest_stream *s, *tmp;
	LIST_HEAD(refused);

	spin_lock(&vdev->streams.lock);
	list_del(&l->node);
	list_for_each_entry_safe(s, tmp, &l->backlog, bl_node) {
		s->in_backlog = false;
		list_move_tail(&s->bl_node, &refused);
	}
	l->n = 0;
	spin_unlock(&vdev->streams.lock);

	list_for_each_entry_safe(s, tmp, &refused, bl_node) {
		list_del(&s->bl_node);
		vmmgmt_guest_stream_detach(s, ECONNREFUSED);
		vmmgmt_guest_stream_put(s);
	}
	kfree(l);
}

/**
 * vmmgmt_guest_stream_ep_release() - a /dev/vmmgmt file that is a stream or
 * a listener is closed.
 * @ep: the file's endpoint; nobody else uses it any more.
 *
 * A stream sends FIN, or RST (ECONNRESET) if unread bytes were buffered,
 * never waiting for the host (vmmgmt_guest_stream_detach()); a listener
 * refuses its backlog (RST ECONNREFUSED).  The file's port is the
 * caller's to free.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading.
 */
void vmmgmt_guest_stream_ep_release(struct vmmgmt_guest_ep *ep)
{
	if (ep->stream) {
		vmmgmt_guest_stream_detach(ep->stream, 0);
		vmmgmt_guest_stream_put(ep->stream);
		ep->stream = NULL;
	}
	if (ep->listener) {
		vmmgmt_guest_listener_close(ep->vdev, ep->listener);
		ep->listener = NULL;
	}
}

/* Whether the host routes stream segments (it offered VMMGMT_F_STREAM). */
static bool vmmgmt_guest_streams_offered(struct vmmgmt_guest_dev *vdev)
{
	return READ_ONCE(vdev->features) & VMMGMT_F_STREAM;
}

/*
 * Make @ep a stream to @addr: checks, a port, the stream in the table.
 * Return: the stream (the file holds the owner's reference), or an
 * ERR_PTR().  &vmmgmt_guest_dev.lock held for reading.
 */
static struct vmmgmt_guest_stream *
vmmgmt_guest_stream_ep_open(struct vmmgmt_guest_ep *ep,
			    const struct vmmgmt_addr *addr, u32 state)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_stream *s = NULL;
	int ret = 0;

	mutex_lock(&ep->mutex);
	if (ep->stream || ep->listener || ep->connected) {
		ret = -EISCONN;
	} else if (!vmmgmt_guest_mode_on(vdev, ep->mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, ep->mode)->denials);
		ret = -EPERM;
	} else if (state != VMMGMT_LINK_UP) {
		ret = vmmgmt_guest_link_errno(state);
	} else if (!vmmgmt_guest_streams_offered(vdev)) {
		ret = -EOPNOTSUPP;
	} else if (!ep->port) {
		ret = vmmgmt_guest_ep_bind(ep, 0);
	}
	/* Its own port: this file listens on nothing (no self-connect). */
	if (!ret && !addr->host && addr->vm == READ_ONCE(vdev->vm_id) &&
	    addr->port == ep->port)
		ret = -ECONNREFUSED;
	if (!ret) {
		s = vmmgmt_guest_stream_alloc(vdev, true);
		if (!s)
			ret = -ENOMEM;
	}
	if (!ret) {
		s->port = ep->port;
		s->peer = *addr;
		s->mode = ep->mode;
		s->gen = READ_ONCE(vdev->link_gen);
		spin_lock(&vdev->streams.lock);
		s->id = ++vdev->streams.next_id;
		ret = vmmgmt_guest_streams_add_locked(vdev, s);
		spin_unlock(&vdev->streams.lock);
	}
	if (!ret)
		ep->stream = s;
	mutex_unlock(&ep->mutex);
	if (ret) {
		if (s)
			vmmgmt_guest_stream_put(s);
		return ERR_PTR(ret);
	}
	return s;
}

/*
 * Wait for the listener's answer to the SYN.  Return: 0 once the stream
 * is open; the errno it failed with; -ETIMEDOUT, -EINTR, -ENODEV or
 * -ECONNRESET (the channel was reset) while it was still connecting.
 */
static int vmmgmt_guest_stream_connect_wait(struct vmmgmt_guest_stream *s,
					    unsigned long timeout)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	long left;
	int ret;

	left = wait_event_interruptible_timeout(s->wr_wq,
						READ_ONCE(s->st.state) !=
						VMMGMT_STREAM_S_CONNECTING ||
						READ_ONCE(vdev->removed) ||
						vmmgmt_guest_stream_stale(s),
						timeout);
	spin_lock(&s->lock);
	if (s->st.state == VMMGMT_STREAM_S_OPEN)
		ret = 0;
	else if (s->st.state == VMMGMT_STREAM_S_CLOSED)
		ret = -(s->st.err ? s->st.err : ECONNRESET);
	else if (left < 0)
		ret = -EINTR;
	else if (READ_ONCE(vdev->removed))
		ret = -ENODEV;
	else if (vmmgmt_guest_stream_stale(s))
		ret = -ECONNRESET;
	else
		ret = -ETIMEDOUT;
	spin_unlock(&s->lock);
	return ret;
}

/*
 * A connect failed with @err: the stream is over (the file keeps it); one
 * still connecting (timeout, signal, no room for the SYN) owes the peer
 * an RST ECONNRESET, in case the SYN reached a backlog.
 */
static void vmmgmt_guest_stream_connect_failed(struct vmmgmt_guest_stream *s,
					       int err)
{
	bool connecting;

	spin_lock(&s->lock);
	connecting = s->st.state == VMMGMT_STREAM_S_CONNECTING;
	spin_unlock(&s->lock);
	vmmgmt_guest_stream_fail(s, err);
	if (connecting)
		vmmgmt_guest_stream_owe(s, VMMGMT_GUEST_OWE_RST, ECONNRESET);
	vmmgmt_guest_stream_detach(s, 0);
}

/**
 * vmmgmt_guest_stream_connect() - VMMGMT_IOC_STREAM_CONNECT: this file
 * becomes a stream to a listener.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_stream_connect.
 *
 * An unbound file gets a dynamic port.  Sends SYN and waits for the
 * listener's ACCEPT, or its refusal, up to timeout_ms (5000 if 0); the
 * file's own address is refused at once (it cannot listen too).  A
 * connect that times out or is interrupted sends RST.  A file whose
 * connect failed stays a stream that is over: open a new file to try
 * again.
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.lock for
 * reading, @ep->mutex, the stream's locks.
 * Return: 0; -EFAULT; -EINVAL; -ENODEV; -EISCONN; -EPERM (the file's mode
 * is off); -ENOTCONN or -EPIPE (link); -EOPNOTSUPP (the host has no
 * streams); -EMFILE; -ENOMEM; -EADDRINUSE; -ETIMEDOUT; -EINTR; the errno
 * of the peer's refusal (-ECONNREFUSED, -EACCES, -EHOSTUNREACH,
 * -EHOSTDOWN, -EPERM, -EOPNOTSUPP, ...).
 */
long vmmgmt_guest_stream_connect(struct vmmgmt_guest_ep *ep,
				 void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_stream *s;
	struct vmmgmt_stream_connect c;
	unsigned long timeout;
	u32 state;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.reserved || c.addr.host || c.addr.reserved)
		return -EINVAL;
	timeout = msecs_to_jiffies(c.timeout_ms ? c.timeout_ms :
				   VMMGMT_GUEST_STREAM_CONNECT_MS);

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return -ENODEV;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	s = vmmgmt_guest_stream_ep_open(ep, &c.addr, state);
	up_read(&vdev->lock);
	if (IS_ERR(s))
		return PTR_ERR(s);

	ret = vmmgmt_guest_stream_send(s, VMMGMT_STREAM_SYN);
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (!ret)
		ret = vmmgmt_guest_stream_connect_wait(s, timeout);
	if (ret) {
		vmmgmt_guest_stream_connect_failed(s, -ret);
		return ret;
	}
	atomic64_inc(&vdev->streams.opened);
	return 0;
}

/**
 * vmmgmt_guest_stream_listen() - VMMGMT_IOC_STREAM_LISTEN: this file
 * becomes a listener.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_stream_listen; the port is
 *	written back.
 *
 * A bound file listens on its port (port 0 or the same); an unbound one
 * is bound to the port asked for (0: a dynamic one).  Its streams have
 * the file's mode.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading,
 * @ep->mutex, &vmmgmt_guest_streams.lock.
 * Return: 0; -EFAULT; -EINVAL (nonzero flags or reserved, a backlog above
 * %VMMGMT_STREAM_BACKLOG_MAX, another port than the bound one); -ENODEV;
 * -EISCONN; -EPERM (the file's mode is off); -EOPNOTSUPP (the host has no
 * streams); -EADDRINUSE; -ENOMEM.
 */
long vmmgmt_guest_stream_listen(struct vmmgmt_guest_ep *ep,
				void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_listener *l;
	struct vmmgmt_stream_listen req;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved ||
	    req.backlog > VMMGMT_STREAM_BACKLOG_MAX)
		return -EINVAL;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	INIT_LIST_HEAD(&l->backlog);
	init_waitqueue_head(&l->wq);
	l->max = req.backlog ? req.backlog : VMMGMT_STREAM_BACKLOG_MAX;

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		kfree(l);
		return -ENODEV;
	}
	mutex_lock(&ep->mutex);
	if (ep->stream || ep->listener || ep->connected) {
		ret = -EISCONN;
	} else if (!vmmgmt_guest_mode_on(vdev, ep->mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, ep->mode)->denials);
		ret = -EPERM;
	} else if (!vmmgmt_guest_streams_offered(vdev)) {
		ret = -EOPNOTSUPP;
	} else if (ep->port) {
		if (req.port && req.port != ep->port)
			ret = -EINVAL;
	} else {
		ret = vmmgmt_guest_ep_bind(ep, req.port);
	}
	if (!ret) {
		l->port = ep->port;
		l->mode = ep->mode;
		spin_lock(&vdev->streams.lock);
		list_add_tail(&l->node, &vdev->streams.listeners);
		spin_unlock(&vdev->streams.lock);
		ep->listener = l;
		req.port = ep->port;
	}
	mutex_unlock(&ep->mutex);
	up_read(&vdev->lock);
	if (ret) {
		kfree(l);
		return ret;
	}
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

/*
 * Take the oldest stream of a listener's backlog, waiting for one unless
 * @nonblock.  Streams that failed meanwhile are dropped.  Return: the
 * stream with the owner's reference, or an ERR_PTR().
 */
static struct vmmgmt_guest_stream *
vmmgmt_guest_listener_take(struct vmmgmt_guest_dev *vdev,
			   struct vmmgmt_guest_listener *l, bool nonblock)
{
	struct vmmgmt_guest_stream *s;
	bool over;

	for (;;) {
		down_read(&vdev->lock);
		if (vdev->removed) {
			up_read(&vdev->lock);
			return ERR_PTR(-ENODEV);
		}
		spin_lock(&vdev->streams.lock);
		s = list_first_entry_or_null(&l->backlog,
					     struct vmmgmt_guest_stream,
					     bl_node);
		if (s) {
			list_del(&s->bl_node);
			s->in_backlog = false;
			l->n--;
		}
		spin_unlock(&vdev->streams.lock);
		up_read(&vdev->lock);
		if (s) {
			spin_lock(&s->lock);
			over = s->st.state == VMMGMT_STREAM_S_CLOSED;
			spin_unlock(&s->lock);
			if (!over && !vmmgmt_guest_stream_stale(s))
				return s;
			vmmgmt_guest_stream_detach(s, 0);
			vmmgmt_guest_stream_put(s);
			continue;
		}
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		if (wait_event_interruptible(l->wq, READ_ONCE(l->n) ||
					     READ_ONCE(vdev->removed)))
			return ERR_PTR(-ERESTARTSYS);
	}
}

/*
 * A file for an accepted stream, with ACCEPT sent.  Return: the file
 * (it holds the owner's reference of @s and a device reference, which
 * its release drops), or an
 * ERR_PTR() (@s is then still the caller's).
 */
static struct file *
vmmgmt_guest_stream_file(struct vmmgmt_guest_stream *s,
			 const struct file_operations *fops, bool nonblock)
{
	struct vmmgmt_guest_dev *vdev = s->vdev;
	struct file *f;
	int ret;

	ret = vmmgmt_guest_stream_send(s, VMMGMT_STREAM_ACCEPT);
	if (ret)
		return ERR_PTR(ret);

	f = anon_inode_getfile("[vmmgmt-stream]", fops, s,
			       O_RDWR | (nonblock ? O_NONBLOCK : 0));
	if (IS_ERR(f))
		return f;
	stream_open(file_inode(f), f);
	kref_get(&vdev->kref);
	return f;
}

/**
 * vmmgmt_guest_stream_accept() - VMMGMT_IOC_STREAM_ACCEPT: a file for the
 * oldest stream waiting on this listener.
 * @ep: the file's endpoint.
 * @file: the listener's file (O_NONBLOCK: do not wait).
 * @uarg: user pointer to a &struct vmmgmt_stream_accept; peer and fd are
 *	written back.
 * @fops: the file operations of stream files (the character device's,
 *	which call vmmgmt_guest_stream_read_iter() and the others, and
 *	vmmgmt_guest_stream_file_close() on release).
 *
 * Sends the stream's ACCEPT; the new file descriptor is O_CLOEXEC, and
 * O_NONBLOCK with %VMMGMT_ACCEPT_NONBLOCK.  A stream that cannot be given
 * a file is refused (RST ECONNREFUSED).
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (not a listener, unknown flags, nonzero
 * reserved); -EAGAIN; -ENODEV; -EMFILE; -ENOMEM; -ERESTARTSYS; the errors
 * of vmmgmt_guest_send().
 */
long vmmgmt_guest_stream_accept(struct vmmgmt_guest_ep *ep, struct file *file,
				void __user *uarg,
				const struct file_operations *fops)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_listener *l;
	struct vmmgmt_guest_stream *s;
	struct vmmgmt_stream_accept a;
	struct file *f;
	int fd;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~VMMGMT_ACCEPT_NONBLOCK) || a.reserved)
		return -EINVAL;
	mutex_lock(&ep->mutex);
	l = ep->listener;
	mutex_unlock(&ep->mutex);
	/* The listener lives until the file is closed. */
	if (!l)
		return -EINVAL;

	s = vmmgmt_guest_listener_take(vdev, l, file->f_flags & O_NONBLOCK);
	if (IS_ERR(s))
		return PTR_ERR(s);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto refuse;
	f = vmmgmt_guest_stream_file(s, fops,
				     a.flags & VMMGMT_ACCEPT_NONBLOCK);
	if (IS_ERR(f)) {
		put_unused_fd(fd);
		fd = PTR_ERR(f);
		goto refuse;
	}
	a.peer = s->peer;
	a.fd = fd;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		/* The file's release sends FIN and drops its references. */
		fput(f);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, f);
	atomic64_inc(&vdev->streams.opened);
	return 0;

refuse:
	vmmgmt_guest_stream_detach(s, ECONNREFUSED);
	vmmgmt_guest_stream_put(s);
	return fd;
}

/* The device's streams. */

/**
 * vmmgmt_guest_streams_init() - set up a device's streams (allocation).
 * @vdev: the device being allocated.
 *
 * Context: process context.
 */
void vmmgmt_guest_streams_init(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_streams *ss = &vdev->streams;

	spin_lock_init(&ss->lock);
	INIT_LIST_HEAD(&ss->all);
	INIT_LIST_HEAD(&ss->listeners);
	INIT_DELAYED_WORK(&ss->work, vmmgmt_guest_streams_work);
	INIT_DELAYED_WORK(&ss->probe_work, vmmgmt_guest_streams_probe_work);
	/*
	 * Stream ids unlike an earlier instance's, whose streams the host
	 * may not have seen closed on a resumed channel
	 * (vmmgmt_guest_link_bind()).
	 */
	ss->next_id = get_random_u32();
}

/**
 * vmmgmt_guest_streams_remove() - the device is being removed.
 * @vdev: the device, marked removed.
 *
 * Every stream fails with ENODEV and its waiters are woken; the work
 * stops for good, and streams released by their files leave the table.
 * Files still open get -ENODEV from now on.
 *
 * Context: process context; may sleep (waits for the work).
 */
void vmmgmt_guest_streams_remove(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_stream *s, *tmp;
	LIST_HEAD(gone);

	spin_lock(&vdev->streams.lock);
	vdev->streams.off = true;
	vdev->streams.nr_rsts = 0;
	spin_unlock(&vdev->streams.lock);
	cancel_delayed_work_sync(&vdev->streams.work);
	cancel_delayed_work_sync(&vdev->streams.probe_work);
	vmmgmt_guest_stream_link_changed(vdev);

	spin_lock(&vdev->streams.lock);
	list_for_each_entry_safe(s, tmp, &vdev->streams.all, node) {
		if (READ_ONCE(s->released) &&
		    vmmgmt_guest_streams_del_locked(vdev, s))
			list_add_tail(&s->node, &gone);
	}
	spin_unlock(&vdev->streams.lock);
	list_for_each_entry_safe(s, tmp, &gone, node)
		vmmgmt_guest_stream_put(s);
}

/**
 * vmmgmt_guest_streams_free() - drop what is left of a device's streams.
 * @vdev: the device, with its last reference gone (every file closed).
 *
 * Context: process context.
 */
void vmmgmt_guest_streams_free(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_stream *s, *tmp;

	cancel_delayed_work_sync(&vdev->streams.work);
	cancel_delayed_work_sync(&vdev->streams.probe_work);
	list_for_each_entry_safe(s, tmp, &vdev->streams.all, node) {
		vmmgmt_guest_streams_del_locked(vdev, s);
		vmmgmt_guest_stream_put(s);
	}
}
