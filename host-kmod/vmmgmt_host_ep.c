// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: host endpoints.
 *
 * Every open /dev/vmmgmt-host file may become an endpoint at (0, 0, port)
 * with VMMGMT_HOST_IOC_BIND.  Then read() returns, and write() sends, one
 * record each: a &struct vmmgmt_rec followed by its payload.
 *
 * Receiving: a VM's worker hands a record addressed to a bound port to
 * that endpoint's receive queue.  When the queue is full the worker holds
 * the record aside (vmmgmt_host_flow.c; nothing is dropped) and tries
 * again when the endpoint reads or goes away.
 *
 * Sending: write() validates the record and queues it on the destination
 * VM's send queue; the VM's worker, the only producer of its H2G ring,
 * posts it.  A full send queue blocks the writer (or fails with EAGAIN)
 * until there is room, the VM's channel breaks, resets or goes away, or
 * the file's send timeout ends (VMMGMT_HOST_IOC_SET_TIMEOUT).
 *
 * Ports live in one table: an xarray whose lock also keeps an endpoint
 * alive while a worker queues to it.  An endpoint leaves the table before
 * it is freed.
 *
 * A module handover (ABI 0.9) freezes the endpoints: read() returns what
 * is queued, then ESHUTDOWN, as write() does at once; poll() reports
 * EPOLLHUP; open() fails with EAGAIN.  Programs close their files, which
 * lets the old module go, and open the new module's.  The new module then
 * holds records sent to the ports that were bound (in the senders' held
 * queues: the destination is "full") for %VMMGMT_HOST_HANDOVER_HOLD_MS,
 * until a program binds each of them again; after that time, records to
 * a port still unbound are refused as usual (ECONNREFUSED).
 *
 * Owns: &struct vmmgmt_host_ep, the port table, the frozen state and the
 * ports held after a handover.
 *
 * May call: the registry (the destination VM, waking blocked workers),
 * the region (the guest's modes), the queues, the names and the shared
 * name check.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/* Bound ports: port -> struct vmmgmt_host_ep.  Its lock nests outside
 * &vmmgmt_host_ep.lock.
 */
static DEFINE_XARRAY_ALLOC(vmmgmt_host_ports);

/* VMMGMT_HOST_IOC_QUIESCE froze the endpoints; written under the xa lock. */
static bool vmmgmt_host_ep_is_frozen;

/*
 * Ports bound before a handover, whose records the new module holds until
 * they are bound again or the hold ends (vmmgmt_host_ep_hold_end()).  The
 * entries, and their count, under the port table's lock.
 */
static u32 vmmgmt_host_held_ports[VMMGMT_HOST_HANDOVER_PORTS];
static unsigned int vmmgmt_host_nr_held_ports;

static void vmmgmt_host_ep_hold_end(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmmgmt_host_hold_work, vmmgmt_host_ep_hold_end);

/*
 * Whether records to @port wait for a program to bind it again.  Context:
 * the port table's lock held.
 */
static bool vmmgmt_host_ep_port_held(u32 port)
{
	unsigned int i;

	for (i = 0; i < vmmgmt_host_nr_held_ports; i++)
		if (vmmgmt_host_held_ports[i] == port)
			return true;
	return false;
}

/*
 * Forget a held port that is bound again.  Returns whether it was held.
 * Context: the port table's lock held.
 */
static bool vmmgmt_host_ep_port_unhold(u32 port)
{
	unsigned int i;

	for (i = 0; i < vmmgmt_host_nr_held_ports; i++) {
		if (vmmgmt_host_held_ports[i] != port)
			continue;
		vmmgmt_host_held_ports[i] =
			vmmgmt_host_held_ports[--vmmgmt_host_nr_held_ports];
		return true;
	}
	return false;
}

/* The hold is over: held records to ports still unbound are refused. */
static void vmmgmt_host_ep_hold_end(struct work_struct *work)
{
	unsigned int nr;

	xa_lock(&vmmgmt_host_ports);
	nr = vmmgmt_host_nr_held_ports;
	vmmgmt_host_nr_held_ports = 0;
	xa_unlock(&vmmgmt_host_ports);
	if (nr) {
		pr_info("handover: %u ports not bound again within %u ms: their records are refused\n",
			nr, VMMGMT_HOST_HANDOVER_HOLD_MS);
		vmmgmt_host_vms_unblock();
	}
}

/**
 * vmmgmt_host_ep_frozen() - whether a handover froze the endpoints.
 *
 * Context: any context.
 * Return: true between VMMGMT_HOST_IOC_QUIESCE and VMMGMT_HOST_IOC_RESUME.
 */
bool vmmgmt_host_ep_frozen(void)
{
	return READ_ONCE(vmmgmt_host_ep_is_frozen);
}

/**
 * vmmgmt_host_ep_freeze() - freeze the endpoints for a handover.
 * @ports: filled in with the bound ports.
 * @max: room in @ports.
 *
 * Readers and pollers wake and find the endpoints frozen.
 *
 * Context: process context; takes the port table's lock and the
 * endpoints' wait queue locks.
 * Return: the number of ports, or -ENOSPC if more than @max are bound
 * (nothing is frozen then).
 */
int vmmgmt_host_ep_freeze(u32 *ports, unsigned int max)
{
	struct vmmgmt_host_ep *ep;
	unsigned long port;
	unsigned int nr = 0;

	xa_lock(&vmmgmt_host_ports);
	xa_for_each(&vmmgmt_host_ports, port, ep) {
		if (nr == max) {
			xa_unlock(&vmmgmt_host_ports);
			return -ENOSPC;
		}
		ports[nr++] = port;
	}
	WRITE_ONCE(vmmgmt_host_ep_is_frozen, true);
	xa_for_each(&vmmgmt_host_ports, port, ep)
		wake_up_interruptible_all(&ep->rx_wq);
	xa_unlock(&vmmgmt_host_ports);
	return nr;
}

/**
 * vmmgmt_host_ep_thaw() - end a freeze, and hold records for ports.
 * @ports: ports bound before the handover; records to them are held until
 *	they are bound again, for %VMMGMT_HOST_HANDOVER_HOLD_MS at most.
 * @nr: entries in @ports, at most %VMMGMT_HOST_HANDOVER_PORTS.
 *
 * Context: process context; takes the port table's lock.
 */
void vmmgmt_host_ep_thaw(const u32 *ports, unsigned int nr)
{
	unsigned int i;

	xa_lock(&vmmgmt_host_ports);
	WRITE_ONCE(vmmgmt_host_ep_is_frozen, false);
	vmmgmt_host_nr_held_ports = 0;
	for (i = 0; i < nr; i++)
		if (!xa_load(&vmmgmt_host_ports, ports[i]) &&
		    !vmmgmt_host_ep_port_held(ports[i]))
			vmmgmt_host_held_ports[vmmgmt_host_nr_held_ports++] =
				ports[i];
	xa_unlock(&vmmgmt_host_ports);
	if (nr)
		mod_delayed_work(system_wq, &vmmgmt_host_hold_work,
				 msecs_to_jiffies(VMMGMT_HOST_HANDOVER_HOLD_MS));
}

/**
 * vmmgmt_host_ep_exit() - stop the hold's timer.
 *
 * Context: process context (module exit).
 */
void vmmgmt_host_ep_exit(void)
{
	cancel_delayed_work_sync(&vmmgmt_host_hold_work);
}

/**
 * vmmgmt_host_ep_alloc() - the private data of a newly opened file.
 * @file: the file.
 *
 * Context: process context; may sleep.
 * Return: the endpoint (unbound), or NULL.
 */
struct vmmgmt_host_ep *vmmgmt_host_ep_alloc(struct file *file)
{
	struct vmmgmt_host_ep *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return NULL;
	ep->file = file;
	ep->send_ms = VMMGMT_HOST_SEND_MS;
	mutex_init(&ep->bind_lock);
	mutex_init(&ep->rx_mutex);
	spin_lock_init(&ep->lock);
	vmmgmt_host_queue_init(&ep->rx);
	init_waitqueue_head(&ep->rx_wq);
	return ep;
}

/**
 * vmmgmt_host_ep_release() - the file goes away: unbind and free.
 * @ep: the endpoint.
 *
 * Once the port is out of the table no worker can reach @ep; workers that
 * wait for room in its queue are woken and answer their record with
 * ECONNREFUSED.  Queued messages are freed.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 */
void vmmgmt_host_ep_release(struct vmmgmt_host_ep *ep)
{
	bool blocking;

	vmmgmt_host_names_withdraw_all(ep);
	if (ep->port) {
		xa_erase(&vmmgmt_host_ports, ep->port);
		spin_lock(&ep->lock);
		blocking = ep->blocking;
		spin_unlock(&ep->lock);
		if (blocking)
			vmmgmt_host_vms_unblock();
	}
	vmmgmt_host_queue_purge(&ep->rx);
	mutex_destroy(&ep->rx_mutex);
	mutex_destroy(&ep->bind_lock);
	kfree(ep);
}

/**
 * vmmgmt_host_ep_do_bind() - bind an endpoint to a port.
 * @ep: the endpoint.
 * @port: the port; 0 for a free one from %VMMGMT_PORT_DYNAMIC up.
 *
 * Context: process context; may sleep.
 * Return: the port; or -EISCONN (already bound), -EADDRINUSE (port taken,
 * or the echo service's), -EADDRNOTAVAIL (no dynamic port left), -ENOMEM.
 */
long vmmgmt_host_ep_do_bind(struct vmmgmt_host_ep *ep, u32 port)
{
	bool held = false;
	int ret;

	mutex_lock(&ep->bind_lock);
	if (ep->port) {
		ret = -EISCONN;
		goto out;
	}
	if (port == VMMGMT_PORT_ECHO) {
		ret = -EADDRINUSE;
		goto out;
	}
	if (port) {
		ret = xa_insert(&vmmgmt_host_ports, port, ep, GFP_KERNEL);
		if (ret == -EBUSY)
			ret = -EADDRINUSE;
	} else {
		ret = xa_alloc(&vmmgmt_host_ports, &port, ep,
			       XA_LIMIT(VMMGMT_PORT_DYNAMIC, U32_MAX),
			       GFP_KERNEL);
		if (ret == -EBUSY)
			ret = -EADDRNOTAVAIL;
	}
	if (!ret)
		WRITE_ONCE(ep->port, port);
	/* Records held for the port since a handover go to @ep now. */
	if (!ret) {
		xa_lock(&vmmgmt_host_ports);
		held = vmmgmt_host_ep_port_unhold(port);
		xa_unlock(&vmmgmt_host_ports);
	}
out:
	mutex_unlock(&ep->bind_lock);
	if (held)
		vmmgmt_host_vms_unblock();
	/* Not "ret ? ret : port": that would be unsigned. */
	if (ret)
		return ret;
	return port;
}

/**
 * vmmgmt_host_ep_bind() - VMMGMT_HOST_IOC_BIND.
 * @ep: the endpoint.
 * @uarg: user pointer to a &struct vmmgmt_bind; the port is written back.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (nonzero flags or reserved); or the errors
 * of vmmgmt_host_ep_do_bind().
 */
long vmmgmt_host_ep_bind(struct vmmgmt_host_ep *ep, void __user *uarg)
{
	struct vmmgmt_bind req;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	ret = vmmgmt_host_ep_do_bind(ep, req.port);
	if (ret < 0)
		return ret;
	req.port = ret;
	/* The port stays bound: the caller can still read it with a retry. */
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_host_ep_set_timeout() - VMMGMT_HOST_IOC_SET_TIMEOUT.
 * @ep: the endpoint.
 * @uarg: user pointer to a &struct vmmgmt_host_timeout.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (nonzero flags or reserved, more than
 * %VMMGMT_HOST_SEND_MS_MAX ms).
 */
long vmmgmt_host_ep_set_timeout(struct vmmgmt_host_ep *ep, void __user *uarg)
{
	struct vmmgmt_host_timeout t;

	if (copy_from_user(&t, uarg, sizeof(t)))
		return -EFAULT;
	if (t.flags || t.reserved || t.send_ms > VMMGMT_HOST_SEND_MS_MAX)
		return -EINVAL;
	WRITE_ONCE(ep->send_ms, t.send_ms ? t.send_ms : VMMGMT_HOST_SEND_MS);
	return 0;
}

/**
 * vmmgmt_host_ep_publish() - VMMGMT_HOST_IOC_PUBLISH.
 * @ep: the endpoint; it must be bound.
 * @uarg: user pointer to a &struct vmmgmt_name.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL; -ENOTCONN; or the errors of
 * vmmgmt_host_name_publish().
 */
long vmmgmt_host_ep_publish(struct vmmgmt_host_ep *ep, void __user *uarg)
{
	u32 port = READ_ONCE(ep->port);
	struct vmmgmt_name n;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.flags || n.reserved || n.addr.host || n.addr.vm ||
	    n.addr.reserved || !vmmgmt_name_valid(n.name, VMMGMT_NAME_PUNCT_PUBLISHED))
		return -EINVAL;
	if (!port)
		return -ENOTCONN;
	if (n.addr.port && n.addr.port != port)
		return -EINVAL;
	n.addr.port = port;
	return vmmgmt_host_name_publish(ep, n.name, &n.addr);
}

/**
 * vmmgmt_host_ep_lookup() - VMMGMT_HOST_IOC_LOOKUP.
 * @uarg: user pointer to a &struct vmmgmt_name; its address is filled in.
 *
 * Context: process context; may sleep.
 * Return: 0; -EFAULT; -EINVAL (bad name, nonzero flags or reserved);
 * -ENOENT.
 */
long vmmgmt_host_ep_lookup(void __user *uarg)
{
	struct vmmgmt_name n;
	int ret;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.flags || n.reserved || !vmmgmt_name_valid(n.name, VMMGMT_NAME_PUNCT_PUBLISHED))
		return -EINVAL;
	ret = vmmgmt_host_name_lookup(n.name, &n.addr);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &n, sizeof(n)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_host_ep_deliver() - queue a record from a VM to a host endpoint.
 * @vm: the VM the record came from.
 * @msg: the record, its source already the VM's address; the endpoint's
 *	queue owns it when queued, the caller otherwise.
 *
 * Context: the VM's worker; takes the port table's lock and the
 * endpoint's lock.
 * Return: 0 when queued; -ENOENT if nobody is bound to the port; -ENOBUFS
 * if the endpoint's queue is full, or the port was bound before a
 * handover and is not bound again yet (@vm->blocked is then set, and the
 * worker is woken when the endpoint reads or closes, or the port is bound
 * or its hold ends).
 */
int vmmgmt_host_ep_deliver(struct vmmgmt_host_vm *vm,
			   struct vmmgmt_host_msg *msg)
{
	struct vmmgmt_host_ep *ep;
	int ret = 0;

	xa_lock(&vmmgmt_host_ports);
	ep = xa_load(&vmmgmt_host_ports, msg->hdr.dst.port);
	if (!ep && vmmgmt_host_ep_port_held(msg->hdr.dst.port)) {
		/* Bound before a handover: held until bound again. */
		WRITE_ONCE(vm->blocked, true);
		ret = -ENOBUFS;
		goto out_unlock;
	}
	if (!ep) {
		ret = -ENOENT;
		goto out_unlock;
	}
	spin_lock(&ep->lock);
	if (vmmgmt_host_queue_room(&ep->rx, msg->hdr.len)) {
		vmmgmt_host_queue_add(&ep->rx, msg);
	} else {
		ep->blocking = true;
		WRITE_ONCE(vm->blocked, true);
		ret = -ENOBUFS;
	}
	spin_unlock(&ep->lock);
	if (!ret)
		wake_up_interruptible_poll(&ep->rx_wq, EPOLLIN | EPOLLRDNORM);
out_unlock:
	xa_unlock(&vmmgmt_host_ports);
	return ret;
}

/**
 * vmmgmt_host_ep_read() - read() of a bound file: one record.
 * @ep: the endpoint.
 * @to: where the header and the payload go; its count is the buffer's size.
 * @nonblock: O_NONBLOCK.
 *
 * Context: process context; may sleep.
 * Return: the bytes copied (sizeof(struct vmmgmt_rec) + len); -ENOTCONN if
 * the file is not bound; -EAGAIN; -ESHUTDOWN (nothing queued, and a
 * handover froze the endpoints); -EMSGSIZE if @to is too small (the
 * record stays queued); -EFAULT (it stays queued too); -ERESTARTSYS.
 */
ssize_t vmmgmt_host_ep_read(struct vmmgmt_host_ep *ep, struct iov_iter *to,
			    bool nonblock)
{
	size_t count = iov_iter_count(to);
	struct vmmgmt_host_msg *msg;
	bool blocking;
	size_t size;
	int ret;

	if (!READ_ONCE(ep->port))
		return -ENOTCONN;
	if (mutex_lock_interruptible(&ep->rx_mutex))
		return -ERESTARTSYS;
	for (;;) {
		spin_lock(&ep->lock);
		msg = list_first_entry_or_null(&ep->rx.list,
					       struct vmmgmt_host_msg, node);
		spin_unlock(&ep->lock);
		if (msg)
			break;
		/* Drained, the module being replaced: close and reopen. */
		ret = -ESHUTDOWN;
		if (vmmgmt_host_ep_frozen())
			goto out;
		ret = -EAGAIN;
		if (nonblock)
			goto out;
		ret = wait_event_interruptible(ep->rx_wq,
					       READ_ONCE(ep->rx.msgs) ||
					       vmmgmt_host_ep_frozen());
		if (ret)
			goto out;
	}
	/* Only readers remove messages, and they hold rx_mutex. */
	size = sizeof(msg->hdr) + msg->hdr.len;
	ret = -EMSGSIZE;
	if (count < size)
		goto out;
	ret = -EFAULT;
	if (copy_to_iter(&msg->hdr, sizeof(msg->hdr), to) != sizeof(msg->hdr) ||
	    copy_to_iter(msg->data, msg->hdr.len, to) != msg->hdr.len)
		goto out;

	spin_lock(&ep->lock);
	vmmgmt_host_queue_del(&ep->rx, msg);
	blocking = ep->blocking;
	ep->blocking = false;
	spin_unlock(&ep->lock);
	kvfree(msg);
	mutex_unlock(&ep->rx_mutex);
	if (blocking)
		vmmgmt_host_vms_unblock();
	return size;
out:
	mutex_unlock(&ep->rx_mutex);
	return ret;
}

/**
 * vmmgmt_host_ep_check() - validate a record header from host userspace.
 * @hdr: the header.
 * @count: bytes written (header and payload).
 *
 * Return: 0; -EINVAL (@count and @hdr->len disagree, a PAD or CTRL mode or
 * an unknown one, unknown flags or %VMMGMT_REC_F_STREAM (streams have
 * their own ioctls), nonzero reserved fields, the host as destination);
 * -EMSGSIZE (payload over %VMMGMT_MSG_MAX); -EHOSTUNREACH (another host).
 */
static int vmmgmt_host_ep_check(const struct vmmgmt_rec *hdr, size_t count)
{
	if (hdr->len > VMMGMT_MSG_MAX)
		return -EMSGSIZE;
	if (count != sizeof(*hdr) + hdr->len)
		return -EINVAL;
	if (hdr->mode <= VMMGMT_MODE_CTRL || hdr->mode >= VMMGMT_MODE_MAX)
		return -EINVAL;
	if (hdr->flags & ~VMMGMT_REC_F_KNOWN ||
	    hdr->flags & VMMGMT_REC_F_STREAM)
		return -EINVAL;
	if (hdr->src.reserved || hdr->dst.reserved)
		return -EINVAL;
	if (hdr->dst.host)
		return -EHOSTUNREACH;
	if (hdr->dst.vm == VMMGMT_HOST_PEER_ID)
		return -EINVAL;
	return 0;
}

/**
 * vmmgmt_host_ep_tx_ready() - wait condition of a sender.
 * @vm: the VM.
 * @len: payload bytes of the message to queue.
 * @gen: the VM's generation when the sender started waiting.
 *
 * Context: process context; takes @vm->tx_lock.
 * Return: true if the VM is going away, its channel is not up or was
 * reset, or the message fits.
 */
static bool vmmgmt_host_ep_tx_ready(struct vmmgmt_host_vm *vm, u32 len,
				    u32 gen)
{
	bool ready;

	spin_lock(&vm->tx_lock);
	ready = vm->dead || vm->frozen ||
		READ_ONCE(vm->link_state) != VMMGMT_LINK_UP ||
		READ_ONCE(vm->generation) != gen ||
		vmmgmt_host_queue_room(&vm->tx, len);
	spin_unlock(&vm->tx_lock);
	return ready;
}

/**
 * vmmgmt_host_ep_mode_on() - whether the guest takes records of a mode.
 * @vm: the VM, not dead: its region stays mapped while @vm->tx_lock is
 *	held.
 * @mode: the record's mode.
 *
 * A guest that accepted %VMMGMT_F_MODES refuses records of a mode it has
 * disabled (with an EPERM answer): refusing them here spares the sender
 * the wait for that answer.  A guest that did not accept the feature is
 * assumed to take every mode.
 *
 * Context: any context; @vm->tx_lock held.
 * Return: false if the guest said @mode is disabled.
 */
static bool vmmgmt_host_ep_mode_on(struct vmmgmt_host_vm *vm, u16 mode)
{
	u32 modes;

	lockdep_assert_held(&vm->tx_lock);
	if (!vmmgmt_host_region_modes(vm, &modes))
		return true;
	return modes & VMMGMT_MODE_BIT(mode);
}

/**
 * vmmgmt_host_ep_queue_tx() - queue a message on a VM's send queue.
 * @vm: the VM (a reference held).
 * @msg: the message.
 * @nonblock: O_NONBLOCK.
 * @send_ms: how long to wait for room, in ms.
 *
 * A full queue makes the caller wait until it has room, the channel is
 * no longer up (broken: EPIPE), the VM goes away (ECONNRESET), or @send_ms
 * passed (ETIMEDOUT).  A reset of the channel wakes it too: the queue is
 * posted into the new rings, the wait goes on for the time left.
 *
 * Context: process context; may sleep; takes @vm->tx_lock.
 * Return: 0 when queued (the worker owns @msg now); -EAGAIN; -EPIPE (the
 * VM's channel is not up); -EPERM (the guest has disabled the record's
 * mode); -ECONNRESET (the VM is being removed); -ETIMEDOUT;
 * -ERESTARTSYS; -ESHUTDOWN (a handover froze the VM's channel).
 */
static int vmmgmt_host_ep_queue_tx(struct vmmgmt_host_vm *vm,
				   struct vmmgmt_host_msg *msg, bool nonblock,
				   u32 send_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(send_ms);
	u32 len = msg->hdr.len;
	long left;
	u32 gen;
	int ret;

	for (;;) {
		spin_lock(&vm->tx_lock);
		if (vm->dead) {
			ret = -ECONNRESET;
		} else if (vm->frozen) {
			ret = -ESHUTDOWN;
		} else if (READ_ONCE(vm->link_state) != VMMGMT_LINK_UP) {
			ret = -EPIPE;
		} else if (!vmmgmt_host_ep_mode_on(vm, msg->hdr.mode)) {
			ret = -EPERM;
		} else if (vmmgmt_host_queue_room(&vm->tx, msg->hdr.len)) {
			vmmgmt_host_queue_add(&vm->tx, msg);
			/* While not dead the thread exists. */
			vmmgmt_host_worker_wake(vm);
			ret = 0;
		} else {
			ret = -EAGAIN;
		}
		gen = READ_ONCE(vm->generation);
		spin_unlock(&vm->tx_lock);
		if (ret != -EAGAIN || nonblock)
			return ret;
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(vm->tx_wq,
							vmmgmt_host_ep_tx_ready(vm, len, gen),
							left);
		if (left < 0)
			return -ERESTARTSYS;
		if (!left)
			return -ETIMEDOUT;
	}
}

/**
 * vmmgmt_host_ep_write() - write() of a file: send one record to a VM.
 * @ep: the endpoint; bound to a dynamic port first if it is not bound.
 * @from: a &struct vmmgmt_rec followed by its payload; its count must be
 *	the header's size plus its len.
 * @nonblock: O_NONBLOCK.
 *
 * The source becomes (0, 0, the endpoint's port) whatever @buf says.
 *
 * Context: process context; may sleep.
 * Return: @count; -EFAULT; the errors of vmmgmt_host_ep_check(); -EINVAL
 * if @count is shorter than a header; -EHOSTUNREACH (no such VM);
 * -EMSGSIZE (longer than the VM's ring allows); the errors of
 * vmmgmt_host_ep_queue_tx(); -ENOMEM; the errors of binding; -ESHUTDOWN
 * (a handover froze the endpoints).
 */
ssize_t vmmgmt_host_ep_write(struct vmmgmt_host_ep *ep,
			     struct iov_iter *from, bool nonblock)
{
	size_t count = iov_iter_count(from);
	struct vmmgmt_host_msg *msg;
	struct vmmgmt_host_vm *vm;
	struct vmmgmt_rec hdr;
	long ret;

	if (vmmgmt_host_ep_frozen())
		return -ESHUTDOWN;
	if (count < sizeof(hdr))
		return -EINVAL;
	if (copy_from_iter(&hdr, sizeof(hdr), from) != sizeof(hdr))
		return -EFAULT;
	ret = vmmgmt_host_ep_check(&hdr, count);
	if (ret)
		return ret;
	if (!READ_ONCE(ep->port)) {
		ret = vmmgmt_host_ep_do_bind(ep, 0);
		/* Another thread may have bound the file meanwhile. */
		if (ret < 0 && ret != -EISCONN)
			return ret;
	}

	msg = vmmgmt_host_msg_alloc(hdr.len);
	if (!msg)
		return -ENOMEM;
	if (copy_from_iter(msg->data, hdr.len, from) != hdr.len) {
		ret = -EFAULT;
		goto err_free;
	}
	msg->hdr = hdr;
	msg->hdr.src.host = 0;
	msg->hdr.src.vm = VMMGMT_HOST_PEER_ID;
	msg->hdr.src.port = READ_ONCE(ep->port);

	vm = vmmgmt_host_vm_get(hdr.dst.vm);
	if (!vm) {
		ret = -EHOSTUNREACH;
		goto err_free;
	}
	ret = -EMSGSIZE;
	if (hdr.len <= vm->h2g.max_len)
		ret = vmmgmt_host_ep_queue_tx(vm, msg, nonblock,
					      READ_ONCE(ep->send_ms));
	vmmgmt_host_vm_put(vm);
	if (ret)
		goto err_free;
	return count;

err_free:
	kvfree(msg);
	return ret;
}

/**
 * vmmgmt_host_ep_poll() - poll() of a file.
 * @ep: the endpoint.
 * @file: the file.
 * @wait: the poll table.
 *
 * EPOLLIN when a record is queued; EPOLLHUP (and EPOLLIN) while a
 * handover froze the endpoints.  EPOLLOUT always: each VM has its own
 * send queue, and a write() to a VM whose queue is full blocks (or fails
 * with EAGAIN) on its own.
 *
 * Context: process context.
 * Return: the poll mask.
 */
__poll_t vmmgmt_host_ep_poll(struct vmmgmt_host_ep *ep, struct file *file,
			     poll_table *wait)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &ep->rx_wq, wait);
	if (READ_ONCE(ep->rx.msgs))
		mask |= EPOLLIN | EPOLLRDNORM;
	/* read() drains, then says ESHUTDOWN. */
	if (vmmgmt_host_ep_frozen())
		mask |= EPOLLHUP | EPOLLIN | EPOLLRDNORM;
	return mask;
}
