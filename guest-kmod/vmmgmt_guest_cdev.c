// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the character device /dev/vmmgmt (and
 * /dev/vmmgmt1, /dev/vmmgmt2, ... for further devices) with its ioctls
 * and its sysfs attributes (/sys/class/misc/vmmgmt/).
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
 * message as one record, read() returns one message.  VMMGMT_IOC_PUBLISH,
 * _WITHDRAW and _LOOKUP ask the host's name table with a
 * %VMMGMT_MODE_CTRL request and wait for its answer.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "vmmgmt_guest.h"

/* Numbers the misc devices: 0 is "vmmgmt", N is "vmmgmtN". */
static DEFINE_IDA(vmmgmt_guest_minor_ida);

static struct vmmgmt_guest_dev *vmmgmt_guest_dev_from_misc(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct vmmgmt_guest_dev, misc);
}

/**
 * vmmgmt_guest_link_errno() - the error read() and write() give for a link
 * that is not up.
 * @state: an &enum vmmgmt_link_state other than UP.
 *
 * Context: any.
 * Return: -ENOTCONN while no host module serves the region, -EPIPE once
 * the channel is broken (by the host, or because the guest saw the host
 * break a rule).
 */
static int vmmgmt_guest_link_errno(u32 state)
{
	return state == VMMGMT_LINK_DOWN ? -ENOTCONN : -EPIPE;
}

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
	struct vmmgmt_guest_dev *vdev = container_of(misc, struct vmmgmt_guest_dev, misc);
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
	ep->vdev = vdev;
	kref_get(&vdev->kref);

	xa_lock(&vdev->ports);
	list_add_tail(&ep->node, &vdev->eps);
	xa_unlock(&vdev->ports);
	file->private_data = ep;

	vmmgmt_guest_link_refresh(vdev);
	return 0;
}

static int vmmgmt_guest_ctrl_call(struct vmmgmt_guest_dev *vdev, struct vmmgmt_ctrl *ctrl,
				  struct vmmgmt_name_list *list, u32 *gen, bool wait);

/**
 * vmmgmt_guest_ep_withdraw_all() - withdraw the names a closing file published.
 * @ep: the endpoint, no other user left.
 *
 * Sends one WITHDRAW request per name still valid (published in the
 * current link generation: a channel reset withdrew the others on the
 * host) and does not wait for the answers.
 *
 * Context: process context; may sleep while the ring is full; takes
 * &vmmgmt_guest_dev.lock for reading.
 */
static void vmmgmt_guest_ep_withdraw_all(struct vmmgmt_guest_ep *ep)
{
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_ep_name *en, *tmp;
	struct vmmgmt_ctrl ctrl;
	int ret;

	list_for_each_entry_safe(en, tmp, &ep->names, node) {
		if (en->gen == READ_ONCE(vdev->link_gen)) {
			memset(&ctrl, 0, sizeof(ctrl));
			ctrl.op = VMMGMT_CTRL_WITHDRAW;
			memcpy(ctrl.name.name, en->name, sizeof(en->name));
			ret = vmmgmt_guest_ctrl_call(vdev, &ctrl, NULL, NULL, false);
			/* Gone, or about to be: the host drops a VM's names
			 * when it goes away or resets the channel.
			 */
			if (ret && ret != -ENODEV && ret != -ENOTCONN &&
			    ret != -EPIPE)
				pr_warn_ratelimited("%s: name %s not withdrawn at close: %d\n",
						    vdev->name, en->name, ret);
		}
		list_del(&en->node);
		kfree(en);
	}
	ep->nr_names = 0;
}

/**
 * vmmgmt_guest_release() - close an endpoint: withdraw its names, free its port
 * and its queue.
 * @inode: the device node.
 * @file: the file.
 *
 * Names go first, so that nobody looks up a port that is gone.  Messages
 * still queued are freed without counting them as drops.  If the
 * rx work waits for room in a queue, it is queued again: a record for the
 * port that closed is now dropped instead.
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

	vmmgmt_guest_ep_withdraw_all(ep);
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
		schedule_work(&vdev->rx_work);
	up_read(&vdev->lock);

	list_for_each_entry_safe(msg, tmp, &ep->rxq, node)
		kfree(msg);
	mutex_destroy(&ep->name_mutex);
	mutex_destroy(&ep->mutex);
	kfree(ep);
	vmmgmt_guest_dev_put(vdev);
	return 0;
}

/**
 * vmmgmt_guest_ep_bind() - give an endpoint a port.
 * @ep: the endpoint, unbound.
 * @port: the port, or 0 for a free one from %VMMGMT_PORT_DYNAMIC up.
 *
 * Context: process context; @ep->mutex held; takes
 * xa_lock(&vmmgmt_guest_dev.ports) and may allocate.
 * Return: 0 with @ep->port set; -EADDRINUSE if @port is taken or no
 * dynamic port is left; -ENOMEM.
 */
static int vmmgmt_guest_ep_bind(struct vmmgmt_guest_ep *ep, u32 port)
{
	struct xarray *ports = &ep->vdev->ports;
	int ret;

	if (port)
		ret = xa_insert(ports, port, ep, GFP_KERNEL);
	else
		ret = xa_alloc(ports, &port, ep,
			       XA_LIMIT(VMMGMT_PORT_DYNAMIC, U32_MAX),
			       GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -EADDRINUSE : ret;
	ep->port = port;
	return 0;
}

/**
 * vmmgmt_guest_ep_dequeue() - copy out the oldest queued message and drop it.
 * @ep: the endpoint.
 * @buf: user buffer.
 * @len: its size.
 *
 * A message longer than @len stays queued (-EMSGSIZE), so that the
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
static ssize_t vmmgmt_guest_ep_dequeue(struct vmmgmt_guest_ep *ep, char __user *buf,
				       size_t len)
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
	if (msg->len > len)
		return -EMSGSIZE;
	if (!msg->err && copy_to_user(buf, msg->data, msg->len))
		return -EFAULT;

	xa_lock(&vdev->ports);
	list_del(&msg->node);
	ep->rxq_msgs--;
	ep->rxq_bytes -= msg->len;
	kick = vdev->rx_stalled;
	vdev->rx_stalled = false;
	xa_unlock(&vdev->ports);
	if (kick)
		schedule_work(&vdev->rx_work);

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
 * vmmgmt_guest_read() - receive one message.
 * @file: the open file (an endpoint).
 * @buf: user buffer.
 * @len: its size.
 * @ppos: unused (stream).
 *
 * Returns the oldest message queued for this file's port, whole: message
 * boundaries are kept.  A buffer shorter than the message fails with
 * EMSGSIZE and leaves the message queued.  When the host answered a
 * message with an error (for example EHOSTUNREACH for a destination it
 * cannot reach), read() consumes the answer and fails with that errno;
 * VMMGMT_IOC_LAST_SRC then gives the address that was not reached.  Queued messages are returned
 * even when the link went down; with none queued, a link that is not up
 * fails at once, and otherwise read() blocks (EAGAIN with O_NONBLOCK).  An
 * unbound file has no port and receives nothing until a write() or
 * VMMGMT_IOC_BIND gives it one.
 *
 * Context: process context; may sleep (without &vmmgmt_guest_dev.lock).
 * Return: the message length; -ENODEV after removal; -ENOTCONN or -EPIPE
 * (see vmmgmt_guest_link_errno()); -EAGAIN; -EMSGSIZE; -EFAULT; -ERESTARTSYS;
 * the host's error answer (-EHOSTUNREACH, ...).
 */
static ssize_t vmmgmt_guest_read(struct file *file, char __user *buf, size_t len,
				 loff_t *ppos)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	bool kicked;
	ssize_t ret;
	u32 state;

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
		ret = vmmgmt_guest_ep_dequeue(ep, buf, len);
		mutex_unlock(&ep->mutex);
		if (ret != -EAGAIN)
			break;
		if (state != VMMGMT_LINK_UP) {
			ret = vmmgmt_guest_link_errno(state);
			break;
		}
		if (file->f_flags & O_NONBLOCK)
			break;
		/* About to sleep: a lingering rx consumer looks once more. */
		kicked = vmmgmt_guest_rx_kick(vdev);
		up_read(&vdev->lock);
		/*
		 * Queued on rx_wq before the flag is read: either the rx work
		 * sees this reader (vmmgmt_guest_rx_reader_waits()) or this reader
		 * sees the consumer linger and goes round to kick it.
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

/* A writer waiting for ring space looks again after this long. */
#define VMMGMT_GUEST_TX_RECHECK	msecs_to_jiffies(10)

/* Wake-up condition of a writer; READ_ONCE() hints, checked again. */
static bool vmmgmt_guest_tx_wakeup(struct vmmgmt_guest_dev *vdev, int seq)
{
	return atomic_read(&vdev->tx_seq) != seq || READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP;
}

/**
 * vmmgmt_guest_send() - post one record to the guest-to-host ring.
 * @vdev: the device.
 * @hdr: the record header.
 * @data: @hdr->len payload bytes.
 * @nonblock: fail with -EAGAIN instead of waiting for space.
 *
 * Rings the doorbell only when the host is not draining the ring.  To
 * wait for space it announces itself (prod_waiting), so that the host
 * interrupts it when it frees some; it notes the interrupt count before,
 * so an interrupt between the check and the sleep is not lost.  It also
 * looks again every %VMMGMT_GUEST_TX_RECHECK: a host that frees space without
 * the interrupt (the ring protocol asks for it, but a guest must not hang
 * on a host's bug) costs throughput, not a stuck writer.
 *
 * Context: process context; &vmmgmt_guest_dev.lock held for reading (not
 * removed), dropped while sleeping and held again on return; takes
 * &vmmgmt_guest_dev.tx_lock.
 * Return: 0; -ENODEV if the device was removed while waiting; -ENOTCONN or
 * -EPIPE; -EMSGSIZE above the ring's maximum payload; -EAGAIN;
 * -ERESTARTSYS.
 */
static int vmmgmt_guest_send(struct vmmgmt_guest_dev *vdev, const struct vmmgmt_rec *hdr,
			     const void *data, bool nonblock)
{
	int ret, seq;

	for (;;) {
		mutex_lock(&vdev->tx_lock);
		if (vdev->link_state != VMMGMT_LINK_UP) {
			ret = vmmgmt_guest_link_errno(vdev->link_state);
			break;
		}
		seq = atomic_read(&vdev->tx_seq);
		ret = vmmgmt_ring_post(&vdev->tx, hdr, data);
		if (!ret) {
			if (vmmgmt_ring_need_notify(&vdev->tx))
				vmmgmt_guest_doorbell(vdev);
			vmmgmt_guest_watch_arm(vdev);
			atomic64_inc(&vdev->counters.tx_msgs);
			atomic64_add(hdr->len, &vdev->counters.tx_bytes);
			break;
		}
		if (ret == -EPROTO) {
			mutex_unlock(&vdev->tx_lock);
			vmmgmt_guest_link_break(vdev);
			return -EPIPE;
		}
		if (ret != -ENOSPC)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (!vmmgmt_ring_prod_wait(&vdev->tx, hdr->len)) {
			mutex_unlock(&vdev->tx_lock);
			continue;
		}
		mutex_unlock(&vdev->tx_lock);

		up_read(&vdev->lock);
		ret = wait_event_interruptible_timeout(vdev->tx_wq,
						       vmmgmt_guest_tx_wakeup(vdev, seq),
						       VMMGMT_GUEST_TX_RECHECK);
		down_read(&vdev->lock);
		if (vdev->removed)
			return -ENODEV;
		if (ret < 0)
			return -ERESTARTSYS;
	}
	mutex_unlock(&vdev->tx_lock);
	return ret;
}

/**
 * vmmgmt_guest_write() - send one message.
 * @file: the open file (an endpoint).
 * @buf: the message.
 * @len: its length: one record of mode CHAT, at most the ring's maximum
 *	payload (min(%VMMGMT_MSG_MAX, ring size / 4)).
 * @ppos: unused (stream).
 *
 * The record goes from (0, vm_id, port) to the address set with
 * VMMGMT_IOC_CONNECT; an unbound file first gets a dynamic port.  Blocks
 * while the ring is full (EAGAIN with O_NONBLOCK).  Re-checks the link
 * state in the header first.  A message longer than %VMMGMT_MSG_MAX gets
 * EMSGSIZE even while the link is down; one longer than the ring allows
 * gets it once the link is up.
 *
 * Context: process context; may sleep (without &vmmgmt_guest_dev.lock).
 * Return: @len; -ENODEV after removal; -ENOTCONN or -EPIPE (see
 * vmmgmt_guest_link_errno()); -EDESTADDRREQ without VMMGMT_IOC_CONNECT;
 * -EMSGSIZE; -EAGAIN; -EADDRINUSE if no dynamic port is left; -ENOMEM;
 * -EFAULT; -ERESTARTSYS.
 */
static ssize_t vmmgmt_guest_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_rec hdr = { .mode = VMMGMT_MODE_CHAT };
	void *data = NULL;
	ssize_t ret;
	u32 state;

	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
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
	if (copy_from_user(data, buf, len)) {
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
	hdr.src.vm = READ_ONCE(vdev->vm_id);
	hdr.src.port = ep->port;
	mutex_unlock(&ep->mutex);
	if (ret)
		goto unlock;

	hdr.len = len;
	ret = vmmgmt_guest_send(vdev, &hdr, data, file->f_flags & O_NONBLOCK);
	if (!ret)
		ret = len;
unlock:
	up_read(&vdev->lock);
	kvfree(data);
	return ret;
}

/**
 * vmmgmt_guest_poll() - readiness of an endpoint.
 * @file: the open file.
 * @wait: the poll table.
 *
 * EPOLLIN when a message is queued for this file; EPOLLOUT when the ring
 * has room for a message of the largest size (so any write() of one
 * message then succeeds); EPOLLERR when the link is not up (read() and
 * write() fail at once); EPOLLERR | EPOLLHUP after removal.  Without room
 * it asks the host for an interrupt when room appears.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading and
 * &vmmgmt_guest_dev.tx_lock.
 * Return: the event mask.
 */
static __poll_t vmmgmt_guest_poll(struct file *file, poll_table *wait)
{
	struct vmmgmt_guest_ep *ep = file->private_data;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	__poll_t mask = 0;
	u32 state;
	int ret;

	poll_wait(file, &ep->rx_wq, wait);
	poll_wait(file, &vdev->tx_wq, wait);

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

	if (state != VMMGMT_LINK_UP) {
		mask |= EPOLLERR;
	} else {
		mutex_lock(&vdev->tx_lock);
		if (vdev->link_state == VMMGMT_LINK_UP) {
			ret = vmmgmt_ring_space(&vdev->tx, vdev->tx.max_len);
			if (!ret ||
			    (ret == -ENOSPC &&
			     !vmmgmt_ring_prod_wait(&vdev->tx, vdev->tx.max_len)))
				mask |= EPOLLOUT | EPOLLWRNORM;
			else if (ret != -ENOSPC)
				mask |= EPOLLERR;
		} else {
			mask |= EPOLLERR;
		}
		mutex_unlock(&vdev->tx_lock);
	}
	up_read(&vdev->lock);
	return mask;
}

/**
 * vmmgmt_guest_ioctl_bind() - VMMGMT_IOC_BIND.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_bind.
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading and
 * @ep->mutex.
 * Return: 0 with the port written back; -EFAULT; -EINVAL (nonzero flags
 * or reserved); -EISCONN if the file already has a port; -EADDRINUSE;
 * -ENOMEM; -ENODEV after removal.
 */
static long vmmgmt_guest_ioctl_bind(struct vmmgmt_guest_ep *ep, void __user *uarg)
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
static long vmmgmt_guest_ioctl_connect(struct vmmgmt_guest_ep *ep, void __user *uarg)
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
static long vmmgmt_guest_ioctl_last_src(struct vmmgmt_guest_ep *ep, void __user *uarg)
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

/* Wake-up condition of a control request's waiter; hints, checked again. */
static bool vmmgmt_guest_ctrl_woken(struct vmmgmt_guest_dev *vdev,
				    struct vmmgmt_guest_ctrl_req *req)
{
	return READ_ONCE(req->done) || READ_ONCE(vdev->removed) ||
	       READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP ||
	       READ_ONCE(vdev->link_gen) != req->gen;
}

/**
 * vmmgmt_guest_ctrl_queue() - give a request an id and put it on the list.
 * @vdev: the device.
 * @req: the request.
 *
 * Abandoned requests of an older link generation will never be answered
 * and are freed first; when the list is full, the oldest abandoned ones
 * too (an answer that still comes for them is then a violation).
 *
 * Context: process context; takes xa_lock(&@vdev->ports).
 * Return: 0, or -EAGAIN when %VMMGMT_GUEST_CTRL_MAX_PENDING requests wait.
 */
static int vmmgmt_guest_ctrl_queue(struct vmmgmt_guest_dev *vdev,
				   struct vmmgmt_guest_ctrl_req *req)
{
	struct vmmgmt_guest_ctrl_req *old, *tmp;
	int ret = 0;

	xa_lock(&vdev->ports);
	req->gen = READ_ONCE(vdev->link_gen);
	list_for_each_entry_safe(old, tmp, &vdev->ctrl_reqs, node) {
		if (!old->abandoned ||
		    (old->gen == req->gen &&
		     vdev->nr_ctrl_reqs < VMMGMT_GUEST_CTRL_MAX_PENDING))
			continue;
		list_del(&old->node);
		vdev->nr_ctrl_reqs--;
		kfree(old);
	}
	if (vdev->nr_ctrl_reqs >= VMMGMT_GUEST_CTRL_MAX_PENDING) {
		ret = -EAGAIN;
	} else {
		req->id = ++vdev->ctrl_next_id;
		list_add_tail(&req->node, &vdev->ctrl_reqs);
		vdev->nr_ctrl_reqs++;
	}
	xa_unlock(&vdev->ports);
	return ret;
}

/**
 * vmmgmt_guest_ctrl_call() - ask the host's name table and wait for the answer.
 * @vdev: the device.
 * @ctrl: the request; on success, the answer (a lookup's address).
 * @list: for %VMMGMT_CTRL_LIST, filled in with the answer on success;
 *	NULL for the other requests.
 * @gen: if not NULL, set to the link generation the request was sent in.
 * @wait: wait for the answer; otherwise the request is abandoned once it
 *	is in the ring and the rx work frees it when the answer comes.
 *
 * Sends a %VMMGMT_MODE_CTRL record from (0, vm_id, 0) to (0, 0, 0) with a
 * new id (blocking while the ring is full), then sleeps until the rx work
 * hands over the answer with that id (vmmgmt_guest_rx_ctrl()), at most
 * %VMMGMT_GUEST_CTRL_TIMEOUT.  A request that is not answered stays on the list
 * as abandoned, so that a late answer is not taken for a violation.
 *
 * Context: process context; no lock of @vdev held; takes &vmmgmt_guest_dev.lock
 * for reading (not while it waits for the answer).
 * Return: 0; the negative errno the host answered with (-EINVAL,
 * -EADDRINUSE, -ENOSPC, -ENOENT; -EPROTO for a malformed answer);
 * -ENODEV after removal; -ENOTCONN or -EPIPE (see vmmgmt_guest_link_errno());
 * -ECONNRESET if the channel was reset before the answer came;
 * -ETIMEDOUT; -EAGAIN (too many requests pending); -ENOMEM;
 * -ERESTARTSYS.
 */
static int vmmgmt_guest_ctrl_call(struct vmmgmt_guest_dev *vdev, struct vmmgmt_ctrl *ctrl,
				  struct vmmgmt_name_list *list, u32 *gen, bool wait)
{
	struct vmmgmt_rec hdr = {
		.len = sizeof(*ctrl),
		.mode = VMMGMT_MODE_CTRL,
	};
	struct vmmgmt_guest_ctrl_req *req;
	long left;
	u32 state;
	int ret;

	/* A list answer lives right after the request, freed with it. */
	req = kzalloc(sizeof(*req) + (list ? sizeof(*list) : 0), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->ctrl = *ctrl;
	if (list)
		req->list = (struct vmmgmt_name_list *)(req + 1);

	down_read(&vdev->lock);
	if (vdev->removed) {
		ret = -ENODEV;
		goto unlock_free;
	}
	state = vmmgmt_guest_link_refresh(vdev);
	if (state != VMMGMT_LINK_UP) {
		ret = vmmgmt_guest_link_errno(state);
		goto unlock_free;
	}
	ret = vmmgmt_guest_ctrl_queue(vdev, req);
	if (ret)
		goto unlock_free;
	hdr.id = req->id;
	hdr.src.vm = READ_ONCE(vdev->vm_id);
	ret = vmmgmt_guest_send(vdev, &hdr, ctrl, false);
	up_read(&vdev->lock);

	xa_lock(&vdev->ports);
	if (ret) {
		/* Not sent; only a host guessing ids could have answered. */
		if (!req->done) {
			list_del(&req->node);
			vdev->nr_ctrl_reqs--;
		}
	} else if (!wait) {
		if (!req->done) {
			req->abandoned = true;
			req = NULL;
		}
	}
	xa_unlock(&vdev->ports);
	if (ret || !wait) {
		kfree(req);
		return ret;
	}
	if (gen)
		*gen = req->gen;

	left = wait_event_interruptible_timeout(vdev->ctrl_wq,
						vmmgmt_guest_ctrl_woken(vdev, req),
						VMMGMT_GUEST_CTRL_TIMEOUT);
	xa_lock(&vdev->ports);
	if (req->done) {
		ret = -req->err;
		*ctrl = req->ctrl;
		if (list && !ret)
			memcpy(list, req->list, sizeof(*list));
	} else {
		state = READ_ONCE(vdev->link_state);
		if (READ_ONCE(vdev->removed))
			ret = -ENODEV;
		else if (state != VMMGMT_LINK_UP)
			ret = vmmgmt_guest_link_errno(state);
		else if (READ_ONCE(vdev->link_gen) != req->gen)
			ret = -ECONNRESET;
		else if (left < 0)
			ret = -ERESTARTSYS;
		else
			ret = -ETIMEDOUT;
		/* The list keeps it for a late answer. */
		req->abandoned = true;
		req = NULL;
	}
	xa_unlock(&vdev->ports);
	kfree(req);
	return ret;

unlock_free:
	up_read(&vdev->lock);
	kfree(req);
	return ret;
}

/**
 * vmmgmt_guest_name_from_user() - copy and check a &struct vmmgmt_name.
 * @n: filled in.
 * @uarg: user pointer.
 *
 * Context: process context.
 * Return: 0; -EFAULT; -EINVAL (bad name, nonzero flags or reserved).
 */
static int vmmgmt_guest_name_from_user(struct vmmgmt_name *n, void __user *uarg)
{
	if (copy_from_user(n, uarg, sizeof(*n)))
		return -EFAULT;
	if (!vmmgmt_name_valid(n->name, VMMGMT_NAME_PUNCT_PUBLISHED) || n->flags || n->reserved)
		return -EINVAL;
	return 0;
}

/* Context: @ep->name_mutex held.  Return: this file's entry, or NULL. */
static struct vmmgmt_guest_ep_name *vmmgmt_guest_ep_find_name(struct vmmgmt_guest_ep *ep,
							      const u8 *name)
{
	struct vmmgmt_guest_ep_name *en;

	list_for_each_entry(en, &ep->names, node)
		if (!memcmp(en->name, name, VMMGMT_NAME_MAX))
			return en;
	return NULL;
}

/**
 * vmmgmt_guest_ioctl_publish() - VMMGMT_IOC_PUBLISH.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name.
 *
 * Publishes the name for (0, vm_id, the file's port) and remembers it, so
 * that it is withdrawn when the file is closed.  Publishing a name of this
 * file again succeeds.
 *
 * Context: process context; may sleep; takes @ep->name_mutex, then (in
 * vmmgmt_guest_ctrl_call()) &vmmgmt_guest_dev.lock for reading.
 * Return: 0; -EFAULT; -EINVAL (bad name, nonzero flags, reserved,
 * addr.host, addr.vm or addr.reserved, or addr.port neither 0 nor the
 * bound port); -EDESTADDRREQ (the file is not bound); -ENOSPC
 * (%VMMGMT_NAMES_PER_OWNER names for this file, or the host's limits);
 * -ENOMEM; the errors of vmmgmt_guest_ctrl_call() (-EADDRINUSE for a name
 * taken).
 */
static long vmmgmt_guest_ioctl_publish(struct vmmgmt_guest_ep *ep, void __user *uarg)
{
	struct vmmgmt_ctrl ctrl = { .op = VMMGMT_CTRL_PUBLISH };
	struct vmmgmt_name *n = &ctrl.name;
	struct vmmgmt_guest_ep_name *en, *old;
	u32 port, gen;
	int ret;

	ret = vmmgmt_guest_name_from_user(n, uarg);
	if (ret)
		return ret;
	if (n->addr.host || n->addr.vm || n->addr.reserved)
		return -EINVAL;
	mutex_lock(&ep->mutex);
	port = ep->port;
	mutex_unlock(&ep->mutex);
	if (!port)
		return -EDESTADDRREQ;
	if (n->addr.port && n->addr.port != port)
		return -EINVAL;
	n->addr.port = port;

	en = kzalloc(sizeof(*en), GFP_KERNEL);
	if (!en)
		return -ENOMEM;
	memcpy(en->name, n->name, sizeof(en->name));
	if (mutex_lock_interruptible(&ep->name_mutex)) {
		kfree(en);
		return -ERESTARTSYS;
	}
	/* Ours already: ask again (the host agrees if it still has it). */
	old = vmmgmt_guest_ep_find_name(ep, n->name);
	if (!old && ep->nr_names >= VMMGMT_NAMES_PER_OWNER)
		ret = -ENOSPC;
	else
		ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL, &gen, true);
	if (!ret && old) {
		old->gen = gen;
	} else if (!ret) {
		en->gen = gen;
		list_add_tail(&en->node, &ep->names);
		ep->nr_names++;
		en = NULL;
	}
	mutex_unlock(&ep->name_mutex);
	kfree(en);
	return ret;
}

/**
 * vmmgmt_guest_ioctl_withdraw() - VMMGMT_IOC_WITHDRAW.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name (addr is ignored).
 *
 * Only a name this file published can be withdrawn.  A name the host
 * already dropped (its channel was reset) is forgotten without error.
 *
 * Context: process context; may sleep; takes @ep->name_mutex, then (in
 * vmmgmt_guest_ctrl_call()) &vmmgmt_guest_dev.lock for reading.
 * Return: 0; -EFAULT; -EINVAL; -ENOENT (not a name of this file); the
 * errors of vmmgmt_guest_ctrl_call().
 */
static long vmmgmt_guest_ioctl_withdraw(struct vmmgmt_guest_ep *ep, void __user *uarg)
{
	struct vmmgmt_ctrl ctrl = { .op = VMMGMT_CTRL_WITHDRAW };
	struct vmmgmt_guest_ep_name *en;
	int ret;

	ret = vmmgmt_guest_name_from_user(&ctrl.name, uarg);
	if (ret)
		return ret;
	memset(&ctrl.name.addr, 0, sizeof(ctrl.name.addr));
	if (mutex_lock_interruptible(&ep->name_mutex))
		return -ERESTARTSYS;
	en = vmmgmt_guest_ep_find_name(ep, ctrl.name.name);
	if (!en) {
		ret = -ENOENT;
	} else {
		if (en->gen == READ_ONCE(ep->vdev->link_gen))
			ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL, NULL, true);
		/* ENOENT: a channel reset withdrew it on the host already. */
		if (!ret || ret == -ENOENT) {
			list_del(&en->node);
			ep->nr_names--;
			kfree(en);
			ret = 0;
		}
	}
	mutex_unlock(&ep->name_mutex);
	return ret;
}

/**
 * vmmgmt_guest_ioctl_lookup() - VMMGMT_IOC_LOOKUP.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name; addr is filled in.
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.lock for
 * reading (in vmmgmt_guest_ctrl_call()).
 * Return: 0; -EFAULT; -EINVAL; -ENOENT (nobody published the name); the
 * errors of vmmgmt_guest_ctrl_call().
 */
static long vmmgmt_guest_ioctl_lookup(struct vmmgmt_guest_ep *ep, void __user *uarg)
{
	struct vmmgmt_ctrl ctrl = { .op = VMMGMT_CTRL_LOOKUP };
	int ret;

	ret = vmmgmt_guest_name_from_user(&ctrl.name, uarg);
	if (ret)
		return ret;
	memset(&ctrl.name.addr, 0, sizeof(ctrl.name.addr));
	ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL, NULL, true);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &ctrl.name, sizeof(ctrl.name)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_guest_ioctl_list_names() - VMMGMT_IOC_LIST_NAMES.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name_list.
 *
 * Asks the host for one page of its name table (%VMMGMT_CTRL_LIST) after
 * the name in &vmmgmt_name_list.after.  The answer has been checked by
 * the rx work (vmmgmt_guest_rx_name_list()).
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.lock for
 * reading (in vmmgmt_guest_ctrl_call()).
 * Return: 0; -EFAULT; -EINVAL; -ENOMEM; -EOPNOTSUPP (the host's module
 * does not know the request); the errors of vmmgmt_guest_ctrl_call().
 */
static long vmmgmt_guest_ioctl_list_names(struct vmmgmt_guest_ep *ep, void __user *uarg)
{
	const size_t head = offsetof(struct vmmgmt_name_list, names);
	struct vmmgmt_ctrl ctrl = { .op = VMMGMT_CTRL_LIST };
	struct vmmgmt_name_list *list;
	int ret;

	list = kzalloc(sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(list, uarg, head))
		goto out;
	ret = -EINVAL;
	if (list->count || list->flags ||
	    memchr_inv(list->reserved, 0, sizeof(list->reserved)) ||
	    (memchr_inv(list->after, 0, sizeof(list->after)) &&
	     !vmmgmt_name_valid(list->after, VMMGMT_NAME_PUNCT_PUBLISHED)))
		goto out;
	memcpy(ctrl.name.name, list->after, sizeof(ctrl.name.name));
	ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, list, NULL, true);
	/* The host checks what it knows; EINVAL is an op it does not know. */
	if (ret == -EINVAL)
		ret = -EOPNOTSUPP;
	if (ret)
		goto out;
	if (copy_to_user(uarg, list, sizeof(*list)))
		ret = -EFAULT;
out:
	kfree(list);
	return ret;
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
static long vmmgmt_guest_ioctl_get_info(struct vmmgmt_guest_dev *vdev, void __user *uarg)
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
	info.host_id = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(host_id));
	info.region_size = vdev->region_size;
	vmmgmt_guest_hdr_read_abi(vdev, &info.abi_major, &info.abi_minor);
	info.vectors = vdev->nvec;
	up_read(&vdev->lock);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

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
		return vmmgmt_guest_ioctl_publish(ep, uarg);
	case VMMGMT_IOC_WITHDRAW:
		return vmmgmt_guest_ioctl_withdraw(ep, uarg);
	case VMMGMT_IOC_LOOKUP:
		return vmmgmt_guest_ioctl_lookup(ep, uarg);
	case VMMGMT_IOC_LIST_NAMES:
		return vmmgmt_guest_ioctl_list_names(ep, uarg);
	case VMMGMT_IOC_SET_NEEDS:
		return vmmgmt_guest_stats_set_needs(ep->vdev, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmgmt_guest_fops = {
	.owner = THIS_MODULE,
	.open = vmmgmt_guest_open,
	.release = vmmgmt_guest_release,
	.read = vmmgmt_guest_read,
	.write = vmmgmt_guest_write,
	.poll = vmmgmt_guest_poll,
	.unlocked_ioctl = vmmgmt_guest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * vmmgmt_guest_link_state_name() - name of a link state for sysfs.
 * @state: a value of &enum vmmgmt_link_state, as read from the header.
 *
 * Context: any.
 * Return: "down", "up", "broken", or "unknown" for any other value.
 */
static const char *vmmgmt_guest_link_state_name(u32 state)
{
	switch (state) {
	case VMMGMT_LINK_DOWN:
		return "down";
	case VMMGMT_LINK_UP:
		return "up";
	case VMMGMT_LINK_BROKEN:
		return "broken";
	default:
		return "unknown";
	}
}

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	u16 major, minor;

	vmmgmt_guest_hdr_read_abi(vdev, &major, &minor);
	return sysfs_emit(buf, "%u.%u\n", major, minor);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t vm_id_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n",
			  vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(vm_id)));
}
static DEVICE_ATTR_RO(vm_id);

static ssize_t peer_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_guest_dev_from_misc(dev)->peer_id);
}
static DEVICE_ATTR_RO(peer_id);

static ssize_t host_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n",
			  vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(host_id)));
}
static DEVICE_ATTR_RO(host_id);

static ssize_t link_state_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	u32 state = vmmgmt_guest_link_refresh(vmmgmt_guest_dev_from_misc(dev));

	return sysfs_emit(buf, "%s\n", vmmgmt_guest_link_state_name(state));
}
static DEVICE_ATTR_RO(link_state);

static ssize_t max_msg_size_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	u32 max = 0;

	if (vmmgmt_guest_link_refresh(vdev) == VMMGMT_LINK_UP) {
		mutex_lock(&vdev->tx_lock);
		if (vdev->link_state == VMMGMT_LINK_UP)
			max = vdev->tx.max_len;
		mutex_unlock(&vdev->tx_lock);
	}
	return sysfs_emit(buf, "%u\n", max);
}
static DEVICE_ATTR_RO(max_msg_size);

/**
 * reset_store() - ask the host to reset the channel (sysfs ``reset``).
 * @dev: the misc device.
 * @attr: the attribute.
 * @buf: "1" (anything kstrtobool() reads as true).
 * @count: length of @buf.
 *
 * Waits up to %VMMGMT_GUEST_RESET_TIMEOUT for the host to acknowledge; see
 * vmmgmt_guest_link_reset().  Removal of the device waits for a store in
 * progress, so at most that long.
 *
 * Context: process context; may sleep.
 * Return: @count once the host reset the channel; -EINVAL for a value
 * that is not true; the errors of vmmgmt_guest_link_reset().
 */
static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	bool val;
	int ret;

	if (kstrtobool(buf, &val) || !val)
		return -EINVAL;
	ret = vmmgmt_guest_link_reset(vmmgmt_guest_dev_from_misc(dev),
				      VMMGMT_GUEST_RESET_TIMEOUT);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(reset);

static ssize_t features_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);

	vmmgmt_guest_link_refresh(vdev);
	return sysfs_emit(buf, "%#llx\n", READ_ONCE(vdev->features));
}
static DEVICE_ATTR_RO(features);

static ssize_t region_size_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  vmmgmt_guest_dev_from_misc(dev)->region_size);
}
static DEVICE_ATTR_RO(region_size);

static ssize_t vectors_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_guest_dev_from_misc(dev)->nvec);
}
static DEVICE_ATTR_RO(vectors);

/**
 * struct vmmgmt_guest_counter_attr - a read-only sysfs file showing one counter.
 * @attr: the device attribute.
 * @off: offset of the counter in &struct vmmgmt_guest_counters.
 */
struct vmmgmt_guest_counter_attr {
	struct device_attribute attr;
	size_t off;
};

static ssize_t vmmgmt_guest_counter_show(struct device *dev,
					 struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_counter_attr *sa = container_of(attr, struct vmmgmt_guest_counter_attr,
						   attr);
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	atomic64_t *counter = (void *)&vdev->counters + sa->off;

	return sysfs_emit(buf, "%llu\n", (u64)atomic64_read(counter));
}

/* The file @_name shows the counter &vmmgmt_guest_counters.@_field. */
#define VMMGMT_GUEST_COUNTER_ATTR(_name, _field)					\
static struct vmmgmt_guest_counter_attr vmmgmt_guest_counter_attr_##_name = {		\
	.attr = __ATTR(_name, 0444, vmmgmt_guest_counter_show, NULL),		\
	.off = offsetof(struct vmmgmt_guest_counters, _field),			\
}

VMMGMT_GUEST_COUNTER_ATTR(tx_msgs, tx_msgs);
VMMGMT_GUEST_COUNTER_ATTR(tx_bytes, tx_bytes);
VMMGMT_GUEST_COUNTER_ATTR(rx_msgs, rx_msgs);
VMMGMT_GUEST_COUNTER_ATTR(rx_bytes, rx_bytes);
VMMGMT_GUEST_COUNTER_ATTR(doorbells, doorbells);
VMMGMT_GUEST_COUNTER_ATTR(interrupts, interrupts);
VMMGMT_GUEST_COUNTER_ATTR(rx_polls, rx_polls);
VMMGMT_GUEST_COUNTER_ATTR(drops, drops);
VMMGMT_GUEST_COUNTER_ATTR(violations, violations);
VMMGMT_GUEST_COUNTER_ATTR(stalls_recovered, stalls_recovered);
VMMGMT_GUEST_COUNTER_ATTR(stall_kicks, stall_kicks);

static struct attribute *vmmgmt_guest_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_vm_id.attr,
	&dev_attr_peer_id.attr,
	&dev_attr_host_id.attr,
	&dev_attr_link_state.attr,
	&dev_attr_region_size.attr,
	&dev_attr_max_msg_size.attr,
	&dev_attr_vectors.attr,
	&dev_attr_features.attr,
	&dev_attr_reset.attr,
	&vmmgmt_guest_counter_attr_tx_msgs.attr.attr,
	&vmmgmt_guest_counter_attr_tx_bytes.attr.attr,
	&vmmgmt_guest_counter_attr_rx_msgs.attr.attr,
	&vmmgmt_guest_counter_attr_rx_bytes.attr.attr,
	&vmmgmt_guest_counter_attr_doorbells.attr.attr,
	&vmmgmt_guest_counter_attr_interrupts.attr.attr,
	&vmmgmt_guest_counter_attr_rx_polls.attr.attr,
	&vmmgmt_guest_counter_attr_drops.attr.attr,
	&vmmgmt_guest_counter_attr_violations.attr.attr,
	&vmmgmt_guest_counter_attr_stalls_recovered.attr.attr,
	&vmmgmt_guest_counter_attr_stall_kicks.attr.attr,
	NULL
};

static const struct attribute_group vmmgmt_guest_group = {
	.attrs = vmmgmt_guest_attrs,
};

static const struct attribute_group *vmmgmt_guest_groups[] = {
	&vmmgmt_guest_group,
	&vmmgmt_guest_stats_group,	/* vmmgmt_guest_stats.c */
	NULL
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
	vdev->misc.groups = vmmgmt_guest_groups;
	ret = misc_register(&vdev->misc);
	if (ret)
		goto err_free_minor_id;
	return 0;

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
 * hardware: files still open get -ENODEV.
 *
 * Context: process context; may sleep.  Takes misc_mtx (in
 * misc_deregister()), &vmmgmt_guest_dev.lock for writing, then
 * xa_lock(&vmmgmt_guest_dev.ports) to wake waiters.
 */
void vmmgmt_guest_cdev_unregister(struct vmmgmt_guest_dev *vdev)
{
	misc_deregister(&vdev->misc);
	ida_free(&vmmgmt_guest_minor_ida, vdev->minor_id);

	/* Sleepers do not hold the lock; they see @removed once woken. */
	down_write(&vdev->lock);
	WRITE_ONCE(vdev->removed, true);
	up_write(&vdev->lock);
	vmmgmt_guest_wake_all(vdev);
}
