// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the character device /dev/vmmgmt (and
 * /dev/vmmgmt1, /dev/vmmgmt2, ... for further devices): its open files
 * and the ioctl switch.  Its sysfs attributes are vmmgmt_guest_sysfs.c's.
 *
 * Lifetime: an open file holds a reference to its &struct vmmgmt_guest_dev, so
 * the structure outlives a PCI unbind.  File operations run under
 * &vmmgmt_guest_dev.lock held for reading and give -ENODEV once the device is
 * marked removed; vmmgmt_guest_cdev_unregister() marks it with the lock held
 * for writing, which waits for operations in flight.  An operation that
 * waits for data or space drops the lock while it sleeps and is woken by
 * the removal.  Sysfs attributes need no such check: misc_deregister()
 * removes them and waits for running show() calls before the device is
 * torn down.
 *
 * Each open file is one endpoint (&struct vmmgmt_guest_ep): VMMGMT_IOC_BIND
 * gives it a port, VMMGMT_IOC_CONNECT a destination; write() sends one
 * message as one record (waiting while the guest has no credit for that
 * destination, vmmgmt_guest_flow.c), read() returns one message.  The names
 * ioctls are vmmgmt_guest_names.c's, VMMGMT_IOC_SET_NEEDS the statistics
 * collector's.  A file that became a stream or a listener (the stream
 * ioctls) reads, writes and polls through the streams
 * (vmmgmt_guest_stream.c).  read_iter and write_iter serve read(),
 * readv(), splice() and sendfile() alike.
 *
 * Owns: the misc device and its minor numbers, &struct vmmgmt_guest_ep
 * but its names, its stream and its listener.  May call: the names
 * (vmmgmt_guest_names.c), the statistics collector
 * (vmmgmt_guest_stats.c), the streams (vmmgmt_guest_stream.c), the sysfs
 * attributes (vmmgmt_guest_sysfs.c), the device object
 * (vmmgmt_guest_dev.c), the link (vmmgmt_guest_link.c) and the flow
 * control (vmmgmt_guest_flow.c); nothing calls it but the PCI transport.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "vmmgmt_guest_compat.h"
#include "vmmgmt_guest.h"

/* Numbers the misc devices: 0 is "vmmgmt", N is "vmmgmtN". */
static DEFINE_IDA(vmmgmt_guest_minor_ida);

/**
 * vmmgmt_guest_open() - open /dev/vmmgmt*; the file becomes an unbound endpoint
 * and takes a device reference.
 * @inode: the device node.
 * @file: the new file; the misc core set private_data to our miscdevice.
 *
 * The misc core calls this with misc_mtx held, and misc_deregister() takes
 * misc_mtx too, so the device cannot be unregistered (nor its driver
 * reference dropped) before kref_get() below, and BAR2 is mapped.  Looks
 * at the header's link state, so a link that came up without an
 * interrupt is seen.
 *
 * Context: process context, misc_mtx held by the caller; takes
 * &vmmgmt_guest_dev.rx_lock and &vmmgmt_guest_dev.tx_lock if the link changed.
 * Return: 0, -ENOMEM, or a negative errno from stream_open().
 */
static int vmmgmt_guest_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct vmmgmt_guest_dev *vdev =
		container_of(misc, struct vmmgmt_guest_dev, misc);
	struct vmmgmt_guest_ep *ep;
	int ret;

	ret = stream_open(inode, file);
	if (ret)
		return ret;
	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return -ENOMEM;
	mutex_init(&ep->mutex);
	INIT_LIST_HEAD(&ep->rxq);
	init_waitqueue_head(&ep->rx_wq);
	mutex_init(&ep->name_mutex);
	INIT_LIST_HEAD(&ep->names);
	ep->mode = VMMGMT_MODE_CHAT;
	ep->vdev = vdev;
	kref_get(&vdev->kref);

	xa_lock(&vdev->ports);
	list_add_tail(&ep->node, &vdev->eps);
	xa_unlock(&vdev->ports);
	file->private_data = ep;

	vmmgmt_guest_link_refresh(vdev);
	return 0;
}

/**
 * vmmgmt_guest_release() - close an endpoint: withdraw its names, free its port
 * and its queue.
 * @inode: the device node.
 * @file: the file.
 *
 * A stream sends FIN (or RST), a listener refuses its backlog
 * (vmmgmt_guest_stream_ep_release()); neither waits for the host.  Names
 * go next, so that nobody looks up a port that is gone; their withdrawal
 * waits for room in the ring for %VMMGMT_GUEST_CLOSE_TIMEOUT at most
 * (vmmgmt_guest_names_release()), and nothing else here waits for the
 * host.  Messages still queued are freed without counting them as drops;
 * those that are requests (neither a response nor an error answer) are
 * first answered with ECONNREFUSED, as a request to a port nobody holds
 * is, so that their senders learn they were not read (the answers never
 * wait: one that finds the ring full is counted in the mode's errors).
 * If the rx work waits for room in a queue, it is queued again: a record
 * for the port that closed is now dropped instead.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading, then
 * xa_lock(&vmmgmt_guest_dev.ports).
 * Return: 0.
 */
static int vmmgmt_guest_release(struct inode *inode, struct file *file)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_msg *msg, *tmp;
	bool kick;

	vmmgmt_guest_stream_ep_release(ep);
	vmmgmt_guest_names_release(ep);
	down_read(&vdev->lock);
	xa_lock(&vdev->ports);
	if (ep->port)
		__xa_erase(&vdev->ports, ep->port);
	list_del(&ep->node);
	kick = vdev->rx_stalled && !vdev->removed;
	if (kick)
		vdev->rx_stalled = false;
	xa_unlock(&vdev->ports);
	if (kick)
		vmmgmt_guest_rx_queue(vdev);
	/* Out of the port table: the rx work adds nothing to @ep->rxq now. */
	list_for_each_entry_safe(msg, tmp, &ep->rxq, node) {
		if (!vdev->removed &&
		    !(msg->rec.flags & (VMMGMT_REC_F_RESPONSE | VMMGMT_REC_F_ERROR)))
			vmmgmt_guest_answer_err(vdev, &msg->rec, ECONNREFUSED);
		kfree(msg);
	}
	up_read(&vdev->lock);

	mutex_destroy(&ep->name_mutex);
	mutex_destroy(&ep->mutex);
	kfree(ep);
	vmmgmt_guest_dev_put(vdev);
	return 0;
}

/**
 * vmmgmt_guest_ep_dequeue() - copy out the oldest queued message and drop it.
 * @ep: the endpoint.
 * @to: where the message goes.
 *
 * A message longer than @to stays queued (-EMSGSIZE), so that the
 * caller can retry with a larger buffer; so does one that could not be
 * copied (-EFAULT).  An error answer from the host is consumed and
 * returned as its errno.  Sets the source for VMMGMT_IOC_LAST_SRC.  When
 * the rx work left records in the ring for lack of room, queues it again.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed) and @ep->mutex held; takes xa_lock(&vmmgmt_guest_dev.ports).
 * Return: the message length; -EAGAIN if none is queued; -EMSGSIZE;
 * -EFAULT; the negative errno of an error answer.
 */
static ssize_t vmmgmt_guest_ep_dequeue(struct vmmgmt_guest_ep *ep,
				       struct iov_iter *to)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_msg *msg;
	ssize_t ret;
	bool kick;

	xa_lock(&vdev->ports);
	msg = list_first_entry_or_null(&ep->rxq, struct vmmgmt_guest_msg, node);
	xa_unlock(&vdev->ports);
	/* Only readers, serialised by @ep->mutex, take messages off. */
	if (!msg)
		return -EAGAIN;
	if (msg->len > iov_iter_count(to))
		return -EMSGSIZE;
	if (!msg->err && copy_to_iter(msg->data, msg->len, to) != msg->len)
		return -EFAULT;

	xa_lock(&vdev->ports);
	list_del(&msg->node);
	ep->rxq_msgs--;
	ep->rxq_bytes -= msg->len;
	kick = vdev->rx_stalled;
	vdev->rx_stalled = false;
	xa_unlock(&vdev->ports);
	if (kick)
		vmmgmt_guest_rx_queue(vdev);

	ep->last_src = msg->src;
	ep->has_last = true;
	ret = msg->err ? -(ssize_t)msg->err : (ssize_t)msg->len;
	kfree(msg);
	return ret;
}

/* Wake-up condition of a reader; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_ep_readable(struct vmmgmt_guest_ep *ep)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;

	return READ_ONCE(ep->rxq_msgs) || READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP;
}

/**
 * vmmgmt_guest_read_iter() - receive one message.
 * @iocb: the request on the open file (an endpoint).
 * @to: where the message goes: its size is the buffer's.
 *
 * Returns the oldest message queued for this file's port, whole: message
 * boundaries are kept.  A buffer shorter than the message fails with
 * EMSGSIZE and leaves the message queued.  When the host answered a
 * message with an error (for example EHOSTUNREACH for a destination it
 * cannot reach), read() consumes the answer and fails with that errno;
 * VMMGMT_IOC_LAST_SRC then gives the address that was not reached.  Queued
 * messages are returned even when the link went down; with none queued, a link
 * that is not up fails at once, and otherwise read() blocks (EAGAIN with
 * O_NONBLOCK).  An unbound file has no port and receives nothing until a
 * write() or VMMGMT_IOC_BIND gives it one.  A file that is a stream reads
 * bytes instead (vmmgmt_guest_stream_ep_read()).
 *
 * Context: process context; may sleep (without &vmmgmt_guest_dev.lock).
 * Return: the message length; -ENODEV after removal; -ENOTCONN or -EPIPE
 * (see vmmgmt_guest_link_errno()); -EAGAIN; -EMSGSIZE; -EFAULT; -ERESTARTSYS;
 * the host's error answer (-EHOSTUNREACH, ...).
 */
static ssize_t vmmgmt_guest_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	bool kicked;
	ssize_t ret;
	u32 state;

	if (vmmgmt_guest_stream_ep_is(ep))
		return vmmgmt_guest_stream_ep_read(ep, iocb, to);
	for (;;) {
		down_read(&vdev->lock);
		if (vdev->removed) {
			ret = -ENODEV;
			break;
		}
		state = vmmgmt_guest_link_refresh(vdev);
		if (mutex_lock_interruptible(&ep->mutex)) {
			ret = -ERESTARTSYS;
			break;
		}
		ret = vmmgmt_guest_ep_dequeue(ep, to);
		mutex_unlock(&ep->mutex);
		if (ret != -EAGAIN)
			break;
		if (state != VMMGMT_LINK_UP) {
			ret = vmmgmt_guest_link_errno(state);
			break;
		}
		if ((file->f_flags & O_NONBLOCK) ||
		    (iocb->ki_flags & IOCB_NOWAIT))
			break;
		/* About to sleep: a lingering rx consumer looks once more. */
		kicked = vmmgmt_guest_rx_kick(vdev);
		up_read(&vdev->lock);
		/*
		 * Queued on rx_wq before the flag is read: either the rx work
		 * sees this reader (vmmgmt_guest_rx_reader_waits()) or this
		 * reader sees the consumer linger and goes round to kick it.
		 */
		if (wait_event_interruptible(ep->rx_wq,
					     vmmgmt_guest_ep_readable(ep) ||
					     (!kicked &&
					      READ_ONCE(vdev->rx_linger))))
			return -ERESTARTSYS;
	}
	up_read(&vdev->lock);
	return ret;
}

/**
 * vmmgmt_guest_write_iter() - send one message.
 * @iocb: the request on the open file (an endpoint).
 * @from: the message: one record of the file's mode, at most the ring's
 *	maximum payload (min(%VMMGMT_MSG_MAX, ring size / 4)).
 *
 * The record goes from (0, vm_id, port) to the address set with
 * VMMGMT_IOC_CONNECT; an unbound file first gets a dynamic port.  Blocks
 * while the guest has no credit for that address (ABI 0.7,
 * vmmgmt_guest_flow_wait()), then while the ring is full (EAGAIN
 * with O_NONBLOCK, in both cases).  Re-checks the link state in the header
 * first.  A message longer than %VMMGMT_MSG_MAX gets EMSGSIZE even while
 * the link is down; one longer than the ring allows gets it once the link
 * is up.  A file that is a stream writes bytes instead
 * (vmmgmt_guest_stream_ep_write()).
 *
 * Context: process context; may sleep (without &vmmgmt_guest_dev.lock).
 * Return: the message length; -ENODEV after removal; -ENOTCONN or -EPIPE (see
 * vmmgmt_guest_link_errno()); -EDESTADDRREQ without VMMGMT_IOC_CONNECT;
 * -EMSGSIZE; -EAGAIN; -EADDRINUSE if no dynamic port is left; -ENOMEM;
 * -EFAULT; -ERESTARTSYS.
 */
static ssize_t vmmgmt_guest_write_iter(struct kiocb *iocb,
				       struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_rec hdr = { .mode = READ_ONCE(ep->mode) };
	size_t len = iov_iter_count(from);
	void *data = NULL;
	ssize_t ret;
	u32 state;

	if (vmmgmt_guest_stream_ep_is(ep))
		return vmmgmt_guest_stream_ep_write(ep, iocb, from);
	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
		goto unlock;
	}
	/* The owner turned the file's mode off: it keeps it, mute. */
	if (!vmmgmt_guest_mode_on(vdev, hdr.mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, hdr.mode)->denials);
		ret = -EPERM;
		goto unlock;
	}
	/* Too long for any ring: EMSGSIZE whatever the link state. */
	if (len > VMMGMT_MSG_MAX) {
		ret = -EMSGSIZE;
		goto unlock;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	if (state != VMMGMT_LINK_UP) {
		ret = vmmgmt_guest_link_errno(state);
		goto unlock;
	}
	data = kvmalloc(len ? len : 1, GFP_KERNEL);
	if (!data) {
		ret = -ENOMEM;
		goto unlock;
	}
	if (!copy_from_iter_full(data, len, from)) {
		ret = -EFAULT;
		goto unlock;
	}

	if (mutex_lock_interruptible(&ep->mutex)) {
		ret = -ERESTARTSYS;
		goto unlock;
	}
	ret = ep->connected ? 0 : -EDESTADDRREQ;
	if (!ret && !ep->port)
		ret = vmmgmt_guest_ep_bind(ep, 0);
	hdr.dst = ep->peer;
	hdr.src.port = ep->port;
	mutex_unlock(&ep->mutex);
	if (ret)
		goto unlock;

	hdr.src.vm = READ_ONCE(vdev->vm_id);
	hdr.len = len;
	/* Only writers without credit for their destination wait there. */
	ret = vmmgmt_guest_send_credited(vdev, &hdr, data,
					 (file->f_flags & O_NONBLOCK) ||
					 (iocb->ki_flags & IOCB_NOWAIT));
	if (!ret)
		ret = len;
	else if (ret != -EAGAIN && ret != -ERESTARTSYS)
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, hdr.mode)->errors);
unlock:
	up_read(&vdev->lock);
	kvfree(data);
	return ret;
}

/**
 * vmmgmt_guest_poll_ring() - whether a message of the largest size fits
 * into the ring.
 * @vdev: the device; &vmmgmt_guest_dev.lock held for reading.
 *
 * Without room it asks the host for an interrupt when room appears.
 *
 * Context: process context; takes &vmmgmt_guest_dev.tx_lock.
 * Return: EPOLLOUT | EPOLLWRNORM, 0 (no room), or EPOLLERR (the link is
 * not up, or the ring is broken).
 */
static __poll_t vmmgmt_guest_poll_ring(struct vmmgmt_guest_dev *vdev)
{
	__poll_t mask = EPOLLERR;
	int ret;

	mutex_lock(&vdev->tx_lock);
	if (vdev->link_state == VMMGMT_LINK_UP) {
		ret = vmmgmt_ring_space(&vdev->tx, vdev->tx.max_len);
		if (!ret || (ret == -ENOSPC &&
			     !vmmgmt_ring_prod_wait(&vdev->tx,
						    vdev->tx.max_len)))
			mask = EPOLLOUT | EPOLLWRNORM;
		else if (ret == -ENOSPC)
			mask = 0;
	}
	mutex_unlock(&vdev->tx_lock);
	return mask;
}

/**
 * vmmgmt_guest_poll() - readiness of an endpoint.
 * @file: the open file.
 * @wait: the poll table.
 *
 * EPOLLIN when a message is queued for this file; EPOLLOUT when the file's
 * own destination (VMMGMT_IOC_CONNECT) has credit (ABI 0.7) and the
 * ring has room for a message of the largest size (so any write() of one
 * message then succeeds); EPOLLERR when the link is not up (read() and
 * write() fail at once); EPOLLERR | EPOLLHUP after removal.  Without room
 * it asks the host for an interrupt when room appears; while the
 * destination has no credit, a CREDIT notice (or a link change) wakes
 * the poller.
 * Streams and listeners have their own (vmmgmt_guest_stream_ep_poll()).
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading,
 * &vmmgmt_guest_ep.mutex and &vmmgmt_guest_dev.tx_lock.
 * Return: the event mask.
 */
static __poll_t vmmgmt_guest_poll(struct file *file, poll_table *wait)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_addr dst;
	__poll_t mask = 0;
	bool connected;
	u32 state;

	if (vmmgmt_guest_stream_ep_is(ep))
		return vmmgmt_guest_stream_ep_poll(ep, file, wait);
	poll_wait(file, &ep->rx_wq, wait);
	poll_wait(file, &vdev->tx_wq, wait);
	poll_wait(file, &vdev->flow.wq, wait);

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return EPOLLERR | EPOLLHUP;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	xa_lock(&vdev->ports);
	if (ep->rxq_msgs)
		mask |= EPOLLIN | EPOLLRDNORM;
	xa_unlock(&vdev->ports);
	/* Nothing to read: a lingering rx consumer looks once more. */
	if (!(mask & EPOLLIN) && state == VMMGMT_LINK_UP)
		vmmgmt_guest_rx_kick(vdev);

	mutex_lock(&ep->mutex);
	connected = ep->connected;
	dst = ep->peer;
	mutex_unlock(&ep->mutex);

	/* Without credit it is not writable; a CREDIT wakes flow.wq. */
	if (state != VMMGMT_LINK_UP)
		mask |= EPOLLERR;
	else if (!connected || vmmgmt_guest_flow_credit(vdev, &dst))
		mask |= vmmgmt_guest_poll_ring(vdev);
	up_read(&vdev->lock);
	return mask;
}

/**
 * vmmgmt_guest_ioctl_bind() - VMMGMT_IOC_BIND.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_bind.
 *
 * Records a resumed channel holds for ports no file held yet are looked at
 * again (vmmgmt_guest_rx_port_bound()).
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading and
 * @ep->mutex.
 * Return: 0 with the port written back; -EFAULT; -EINVAL (nonzero flags
 * or reserved); -EISCONN if the file already has a port; -EADDRINUSE;
 * -ENOMEM; -ENODEV after removal.
 */
static long vmmgmt_guest_ioctl_bind(struct vmmgmt_guest_ep *ep,
				    void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_bind b;
	long ret;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.reserved)
		return -EINVAL;

	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
		goto unlock;
	}
	mutex_lock(&ep->mutex);
	ret = ep->port ? -EISCONN : vmmgmt_guest_ep_bind(ep, b.port);
	b.port = ep->port;
	mutex_unlock(&ep->mutex);
	if (!ret)
		vmmgmt_guest_rx_port_bound(vdev);
unlock:
	up_read(&vdev->lock);
	if (!ret && copy_to_user(uarg, &b, sizeof(b)))
		return -EFAULT;
	return ret;
}

/**
 * vmmgmt_guest_ioctl_connect() - VMMGMT_IOC_CONNECT.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_addr.
 *
 * May be repeated; the last address wins.
 *
 * Context: process context; takes @ep->mutex.
 * Return: 0; -EFAULT; -EINVAL (nonzero reserved); -ENODEV after removal.
 */
static long vmmgmt_guest_ioctl_connect(struct vmmgmt_guest_ep *ep,
				       void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_addr addr;
	long ret = 0;

	if (copy_from_user(&addr, uarg, sizeof(addr)))
		return -EFAULT;
	if (addr.reserved)
		return -EINVAL;

	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
	} else {
		mutex_lock(&ep->mutex);
		ep->peer = addr;
		ep->connected = true;
		mutex_unlock(&ep->mutex);
	}
	up_read(&vdev->lock);
	return ret;
}

/**
 * vmmgmt_guest_ioctl_last_src() - VMMGMT_IOC_LAST_SRC.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_addr.
 *
 * Context: process context; takes @ep->mutex.
 * Return: 0; -ENOMSG if read() has not returned a message yet; -EFAULT;
 * -ENODEV after removal.
 */
static long vmmgmt_guest_ioctl_last_src(struct vmmgmt_guest_ep *ep,
					void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_addr addr;
	bool removed, has;

	down_read(&vdev->lock);
	removed = vdev->removed;
	up_read(&vdev->lock);
	if (removed)
		return -ENODEV;

	mutex_lock(&ep->mutex);
	has = ep->has_last;
	addr = ep->last_src;
	mutex_unlock(&ep->mutex);
	if (!has)
		return -ENOMSG;
	if (copy_to_user(uarg, &addr, sizeof(addr)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_guest_ioctl_get_version() - VMMGMT_IOC_GET_VERSION.
 * @vdev: the file's device.
 * @uarg: user pointer to a &struct vmmgmt_version.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENODEV if the device was removed, -EFAULT on a bad pointer.
 */
static long vmmgmt_guest_ioctl_get_version(struct vmmgmt_guest_dev *vdev,
					   void __user *uarg)
{
	struct vmmgmt_version ver = {
		.abi_major = VMMGMT_ABI_MAJOR,
		.abi_minor = VMMGMT_ABI_MINOR,
	};
	bool removed;

	down_read(&vdev->lock);
	removed = vdev->removed;
	up_read(&vdev->lock);
	if (removed)
		return -ENODEV;

	if (copy_to_user(uarg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_guest_ioctl_get_info() - VMMGMT_IOC_GET_INFO.
 * @vdev: the file's device.
 * @uarg: user pointer to a &struct vmmgmt_info.
 *
 * Copies what it needs from the header (which the host may rewrite at
 * any time) under the lock, then copies to user space without it.  The
 * link state is the guest's view (see vmmgmt_guest_link_refresh()).
 *
 * Context: process context; may sleep.  Takes &vmmgmt_guest_dev.lock for
 * reading.
 * Return: 0, -ENODEV if the device was removed, -EFAULT on a bad pointer.
 */
static long vmmgmt_guest_ioctl_get_info(struct vmmgmt_guest_dev *vdev,
					void __user *uarg)
{
	struct vmmgmt_info info = { };

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return -ENODEV;
	}
	info.vm_id = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(vm_id));
	info.peer_id = vdev->peer_id;
	info.link_state = vmmgmt_guest_link_refresh(vdev);
	info.host_id =
		vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(host_id));
	info.region_size = vdev->region_size;
	vmmgmt_guest_hdr_read_abi(vdev, &info.abi_major, &info.abi_minor);
	info.vectors = vdev->nvec;
	up_read(&vdev->lock);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_guest_ioctl_set_mode() - VMMGMT_IOC_SET_MODE: the file's mode.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_mode_req.
 *
 * Chat, file, calc and cmd are modes a file can be in; the statistics
 * mode is the collector's.  A mode the owner has off is refused and
 * counted in its denials.  A bound file may change its mode: records of
 * the old mode for its port are dropped from then on.
 *
 * Context: process context; takes &vmmgmt_guest_ep.mutex.
 * Return: 0; -EFAULT; -EINVAL; -EPERM; -ERESTARTSYS.
 */
static long vmmgmt_guest_ioctl_set_mode(struct vmmgmt_guest_ep *ep,
					void __user *uarg)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_mode_req r;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags || r.reserved || !vmmgmt_guest_mode_user(r.mode) ||
	    r.mode == VMMGMT_MODE_STATS)
		return -EINVAL;
	if (!vmmgmt_guest_mode_on(vdev, r.mode)) {
		atomic64_inc(&vmmgmt_guest_mode_cnt(vdev, r.mode)->denials);
		return -EPERM;
	}
	if (mutex_lock_interruptible(&ep->mutex))
		return -ERESTARTSYS;
	WRITE_ONCE(ep->mode, r.mode);
	mutex_unlock(&ep->mutex);
	return 0;
}

/**
 * vmmgmt_guest_ioctl_get_mode() - VMMGMT_IOC_GET_MODE: the file's mode.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_mode_req, filled in.
 *
 * Context: process context.
 * Return: 0 or -EFAULT.
 */
static long vmmgmt_guest_ioctl_get_mode(struct vmmgmt_guest_ep *ep,
					void __user *uarg)
{
	struct vmmgmt_mode_req r = { .mode = READ_ONCE(ep->mode) };

	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}

/* Release of an accepted stream's file: FIN or RST, then its references. */
static int vmmgmt_guest_stream_file_release(struct inode *inode,
					    struct file *file)
{
	vmmgmt_guest_dev_put(vmmgmt_guest_stream_file_close(file));
	return 0;
}

/* The files VMMGMT_IOC_STREAM_ACCEPT returns (anonymous inodes). */
static const struct file_operations vmmgmt_guest_stream_fops = {
	.owner = THIS_MODULE,
	.release = vmmgmt_guest_stream_file_release,
	.read_iter = vmmgmt_guest_stream_read_iter,
	.write_iter = vmmgmt_guest_stream_write_iter,
	.splice_read = vmmgmt_guest_splice_read,
	.splice_write = iter_file_splice_write,
	.poll = vmmgmt_guest_stream_file_poll,
	.unlocked_ioctl = vmmgmt_guest_stream_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * vmmgmt_guest_ioctl() - ioctl dispatcher of /dev/vmmgmt*.
 * @file: the open file.
 * @cmd: ioctl number, see uapi/vmmgmt.h.
 * @arg: user pointer argument.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -ENOTTY for an unknown @cmd, otherwise the
 * errors listed in uapi/vmmgmt.h for @cmd.
 */
static long vmmgmt_guest_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMMGMT_IOC_GET_VERSION:
		return vmmgmt_guest_ioctl_get_version(ep->vdev, uarg);
	case VMMGMT_IOC_GET_INFO:
		return vmmgmt_guest_ioctl_get_info(ep->vdev, uarg);
	case VMMGMT_IOC_BIND:
		return vmmgmt_guest_ioctl_bind(ep, uarg);
	case VMMGMT_IOC_CONNECT:
		return vmmgmt_guest_ioctl_connect(ep, uarg);
	case VMMGMT_IOC_LAST_SRC:
		return vmmgmt_guest_ioctl_last_src(ep, uarg);
	case VMMGMT_IOC_PUBLISH:
		return vmmgmt_guest_names_publish(ep, uarg);
	case VMMGMT_IOC_WITHDRAW:
		return vmmgmt_guest_names_withdraw(ep, uarg);
	case VMMGMT_IOC_LOOKUP:
		return vmmgmt_guest_names_lookup(ep, uarg);
	case VMMGMT_IOC_LIST_NAMES:
		return vmmgmt_guest_names_list(ep, uarg);
	case VMMGMT_IOC_SET_MODE:
		return vmmgmt_guest_ioctl_set_mode(ep, uarg);
	case VMMGMT_IOC_GET_MODE:
		return vmmgmt_guest_ioctl_get_mode(ep, uarg);
	case VMMGMT_IOC_SET_NEEDS:
		return vmmgmt_guest_stats_set_needs(ep->vdev, uarg);
	case VMMGMT_IOC_STREAM_CONNECT:
		return vmmgmt_guest_stream_connect(ep, uarg);
	case VMMGMT_IOC_STREAM_LISTEN:
		return vmmgmt_guest_stream_listen(ep, uarg);
	case VMMGMT_IOC_STREAM_ACCEPT:
		return vmmgmt_guest_stream_accept(ep, file, uarg,
						  &vmmgmt_guest_stream_fops);
	case VMMGMT_IOC_STREAM_SHUTDOWN:
		return vmmgmt_guest_stream_ep_shutdown(ep);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmgmt_guest_fops = {
	.owner = THIS_MODULE,
	.open = vmmgmt_guest_open,
	.release = vmmgmt_guest_release,
	.read_iter = vmmgmt_guest_read_iter,
	.write_iter = vmmgmt_guest_write_iter,
	.splice_read = vmmgmt_guest_splice_read,
	.splice_write = iter_file_splice_write,
	.poll = vmmgmt_guest_poll,
	.unlocked_ioctl = vmmgmt_guest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * vmmgmt_guest_cdev_register() - create /dev/vmmgmt* and its sysfs attributes.
 * @vdev: a fully set up device; nothing may fail after this in probe.
 *
 * Context: process context; may sleep.
 * Return: 0, or a negative errno (nothing left registered).
 */
int vmmgmt_guest_cdev_register(struct vmmgmt_guest_dev *vdev)
{
	int ret;

	ret = ida_alloc(&vmmgmt_guest_minor_ida, GFP_KERNEL);
	if (ret < 0)
		return ret;
	vdev->minor_id = ret;
	if (vdev->minor_id)
		snprintf(vdev->name, sizeof(vdev->name), "vmmgmt%u",
			 vdev->minor_id);
	else
		strscpy(vdev->name, "vmmgmt", sizeof(vdev->name));

	vdev->misc.minor = MISC_DYNAMIC_MINOR;
	vdev->misc.name = vdev->name;
	vdev->misc.fops = &vmmgmt_guest_fops;
	vdev->misc.parent = &vdev->pdev->dev;
	vdev->misc.groups = vmmgmt_guest_sysfs_groups;
	ret = misc_register(&vdev->misc);
	if (ret)
		goto err_free_minor_id;
	ret = vmmgmt_guest_sysfs_modes_add(vdev);
	if (ret)
		goto err_del_modes;
	return 0;

err_del_modes:
	vmmgmt_guest_sysfs_modes_del(vdev);
	misc_deregister(&vdev->misc);
err_free_minor_id:
	ida_free(&vmmgmt_guest_minor_ida, vdev->minor_id);
	return ret;
}

/**
 * vmmgmt_guest_cdev_unregister() - remove /dev/vmmgmt* and detach open files.
 * @vdev: the device.
 *
 * After this returns no new file can be opened, no sysfs show() runs,
 * and every file operation, current or future, has stopped touching the
 * hardware: files still open get -ENODEV, streams fail with ENODEV and the
 * streams' work is stopped (vmmgmt_guest_streams_remove()).
 *
 * Context: process context; may sleep.  Takes misc_mtx (in
 * misc_deregister()), &vmmgmt_guest_dev.lock for writing, then
 * xa_lock(&vmmgmt_guest_dev.ports) to wake waiters.
 */
void vmmgmt_guest_cdev_unregister(struct vmmgmt_guest_dev *vdev)
{
	vmmgmt_guest_sysfs_modes_del(vdev);
	misc_deregister(&vdev->misc);
	ida_free(&vmmgmt_guest_minor_ida, vdev->minor_id);

	/* Sleepers do not hold the lock; they see @removed once woken. */
	down_write(&vdev->lock);
	WRITE_ONCE(vdev->removed, true);
	up_write(&vdev->lock);
	vmmgmt_guest_wake_all(vdev);
	vmmgmt_guest_streams_remove(vdev);
}
