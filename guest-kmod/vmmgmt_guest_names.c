// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: names.  VMMGMT_IOC_PUBLISH, _WITHDRAW, _LOOKUP and
 * _LIST_NAMES ask the host's name table with a %VMMGMT_MODE_CTRL request
 * (vmmgmt_guest_ctrl_call()) and wait for its answer, which the rx work
 * hands over (vmmgmt_guest_names_rx(), the device's handler of CTRL
 * records).  A file remembers the names it published and withdraws them
 * when it is closed (vmmgmt_guest_names_release()).
 *
 * Owns: &vmmgmt_guest_dev.ctrl_reqs and the other ctrl_* fields, and
 * &vmmgmt_guest_ep.names.  May call: the link (vmmgmt_guest_link.c: the
 * send path, the link state) and the shared name check, nothing else.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/err.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "vmmgmt_guest.h"

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
 * @send_left: NULL to wait for room in the ring as long as it takes
 *	(interruptibly); otherwise at most *@send_left jiffies, decreased by
 *	the time waited (vmmgmt_guest_send_timeout()).
 *
 * Sends a %VMMGMT_MODE_CTRL record from (0, vm_id, 0) to (0, 0, 0) with a
 * new id (blocking while the ring is full), then sleeps until the rx work
 * hands over the answer with that id (vmmgmt_guest_names_rx()), at most
 * %VMMGMT_GUEST_CTRL_TIMEOUT.  A request that is not answered stays on the list
 * as abandoned, so that a late answer is not taken for a violation.
 *
 * Context: process context; no lock of @vdev held; takes &vmmgmt_guest_dev.lock
 * for reading (not while it waits for the answer).
 * Return: 0; the negative errno the host answered with (-EINVAL,
 * -EADDRINUSE, -ENOSPC, -ENOENT; -EPROTO for a malformed answer);
 * -ENODEV after removal; -ENOTCONN or -EPIPE (see vmmgmt_guest_link_errno());
 * -ECONNRESET if the channel was reset before the answer came;
 * -ETIMEDOUT (no answer, or with @send_left no room in time); -EAGAIN
 * (too many requests pending, or with @send_left 0 no room); -ENOMEM;
 * -ERESTARTSYS.
 */
static int vmmgmt_guest_ctrl_call(struct vmmgmt_guest_dev *vdev,
				  struct vmmgmt_ctrl *ctrl,
				  struct vmmgmt_name_list *list, u32 *gen,
				  bool wait, unsigned long *send_left)
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
	if (send_left)
		ret = vmmgmt_guest_send_timeout(vdev, &hdr, ctrl, send_left);
	else
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
	if (!vmmgmt_name_valid(n->name, VMMGMT_NAME_PUNCT_PUBLISHED) ||
	    n->flags || n->reserved)
		return -EINVAL;
	return 0;
}

/* Context: @ep->name_mutex held.  Return: this file's entry, or NULL. */
static struct vmmgmt_guest_ep_name *
vmmgmt_guest_ep_find_name(struct vmmgmt_guest_ep *ep, const u8 *name)
{
	struct vmmgmt_guest_ep_name *en;

	list_for_each_entry(en, &ep->names, node)
		if (!memcmp(en->name, name, VMMGMT_NAME_MAX))
			return en;
	return NULL;
}

/**
 * vmmgmt_guest_names_publish() - VMMGMT_IOC_PUBLISH.
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
long vmmgmt_guest_names_publish(struct vmmgmt_guest_ep *ep, void __user *uarg)
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
		ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL, &gen, true,
					     NULL);
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
 * vmmgmt_guest_names_withdraw() - VMMGMT_IOC_WITHDRAW.
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
long vmmgmt_guest_names_withdraw(struct vmmgmt_guest_ep *ep, void __user *uarg)
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
			ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL,
						     NULL, true, NULL);
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
 * vmmgmt_guest_names_lookup() - VMMGMT_IOC_LOOKUP.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name; addr is filled in.
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.lock for
 * reading (in vmmgmt_guest_ctrl_call()).
 * Return: 0; -EFAULT; -EINVAL; -ENOENT (nobody published the name); the
 * errors of vmmgmt_guest_ctrl_call().
 */
long vmmgmt_guest_names_lookup(struct vmmgmt_guest_ep *ep, void __user *uarg)
{
	struct vmmgmt_ctrl ctrl = { .op = VMMGMT_CTRL_LOOKUP };
	int ret;

	ret = vmmgmt_guest_name_from_user(&ctrl.name, uarg);
	if (ret)
		return ret;
	memset(&ctrl.name.addr, 0, sizeof(ctrl.name.addr));
	ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, NULL, NULL, true, NULL);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &ctrl.name, sizeof(ctrl.name)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_guest_names_list() - VMMGMT_IOC_LIST_NAMES.
 * @ep: the file's endpoint.
 * @uarg: user pointer to a &struct vmmgmt_name_list.
 *
 * Asks the host for one page of its name table (%VMMGMT_CTRL_LIST) after
 * the name in &vmmgmt_name_list.after.  The answer has been checked by
 * the rx work (vmmgmt_name_list_check()).
 *
 * Context: process context; may sleep; takes &vmmgmt_guest_dev.lock for
 * reading (in vmmgmt_guest_ctrl_call()).
 * Return: 0; -EFAULT; -EINVAL; -ENOMEM; -EOPNOTSUPP (the host's module
 * does not know the request); the errors of vmmgmt_guest_ctrl_call().
 */
long vmmgmt_guest_names_list(struct vmmgmt_guest_ep *ep, void __user *uarg)
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
	ret = vmmgmt_guest_ctrl_call(ep->vdev, &ctrl, list, NULL, true, NULL);
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
 * vmmgmt_guest_names_release() - withdraw the names a closing file published.
 * @ep: the endpoint, no other user left.
 *
 * Sends one WITHDRAW request per name still valid (published in the
 * current link generation: a channel reset withdrew the others on the
 * host) and does not wait for the answers.  close() must not wait on a
 * host that does not drain the ring: all the requests together wait at
 * most %VMMGMT_GUEST_CLOSE_TIMEOUT for room, uninterruptibly (a signal
 * does not cut the withdrawal short); a name that does not get through
 * is counted in &vmmgmt_guest_counters.withdrawals_lost and left to the
 * host, which withdraws every name of the VM when the channel is reset.
 *
 * Context: process context; sleeps at most %VMMGMT_GUEST_CLOSE_TIMEOUT
 * for room in the ring (and for the locks of the send path); takes
 * &vmmgmt_guest_dev.lock for reading.
 */
void vmmgmt_guest_names_release(struct vmmgmt_guest_ep *ep)
{
	unsigned long left = VMMGMT_GUEST_CLOSE_TIMEOUT;
	struct vmmgmt_guest_dev *vdev = ep->vdev;
	struct vmmgmt_guest_ep_name *en, *tmp;
	struct vmmgmt_ctrl ctrl;
	int ret;

	list_for_each_entry_safe(en, tmp, &ep->names, node) {
		if (en->gen == READ_ONCE(vdev->link_gen)) {
			memset(&ctrl, 0, sizeof(ctrl));
			ctrl.op = VMMGMT_CTRL_WITHDRAW;
			memcpy(ctrl.name.name, en->name, sizeof(en->name));
			ret = vmmgmt_guest_ctrl_call(vdev, &ctrl, NULL, NULL,
						     false, &left);
			/* Gone, or about to be: the host drops a VM's names
			 * when it goes away or resets the channel.
			 */
			if (ret && ret != -ENODEV && ret != -ENOTCONN &&
			    ret != -EPIPE) {
				atomic64_inc(&vdev->counters.withdrawals_lost);
				pr_warn_ratelimited("%s: name %s not withdrawn at close: %d\n",
						    vdev->name, en->name, ret);
			}
		}
		list_del(&en->node);
		kfree(en);
	}
	ep->nr_names = 0;
}

/**
 * vmmgmt_guest_names_free_all() - free every control request left on a device.
 * @vdev: the device, being freed: nobody waits for an answer any more,
 *	so only abandoned requests are left.
 *
 * Context: process context.
 */
void vmmgmt_guest_names_free_all(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_ctrl_req *req, *tmp;

	list_for_each_entry_safe(req, tmp, &vdev->ctrl_reqs, node) {
		list_del(&req->node);
		kfree(req);
	}
	vdev->nr_ctrl_reqs = 0;
}

/**
 * vmmgmt_guest_names_rx_answer() - check the host's answer to a control
 * request.
 * @req: the request it answers.
 * @hdr: validated private copy of the record header.
 * @payload: private copy of its payload.
 *
 * An error answer carries a __u32 errno (1..%MAX_ERRNO - 1); a success
 * answer a &struct vmmgmt_ctrl with the request's op and name, or for
 * %VMMGMT_CTRL_LIST a &struct vmmgmt_name_list cut after its last entry
 * (vmmgmt_name_list_check()).  Anything else completes the request with
 * EPROTO.
 *
 * Context: any; xa_lock(&vmmgmt_guest_dev.ports) held.
 * Return: true if the answer is well-formed; @req->err and @req->ctrl set.
 */
static bool vmmgmt_guest_names_rx_answer(struct vmmgmt_guest_ctrl_req *req,
					 const struct vmmgmt_rec *hdr,
				  const void *payload)
{
	struct vmmgmt_ctrl ans;
	u32 err;

	req->err = EPROTO;
	if (hdr->flags & VMMGMT_REC_F_ERROR) {
		if (hdr->len != sizeof(err))
			return false;
		memcpy(&err, payload, sizeof(err));
		if (!err || err >= MAX_ERRNO)
			return false;
		req->err = err;
		return true;
	}
	if (req->list) {
		/* The rules are lib/vmmgmt_name_rules.c's, shared with the fuzzer. */
		if (!vmmgmt_name_list_check(hdr->len, payload,
					    req->ctrl.name.name, req->list))
			return false;
		req->err = 0;
		return true;
	}
	if (hdr->len != sizeof(ans))
		return false;
	memcpy(&ans, payload, sizeof(ans));
	if (ans.op != req->ctrl.op ||
	    memcmp(ans.name.name, req->ctrl.name.name, sizeof(ans.name.name)))
		return false;
	req->ctrl.name.addr = ans.name.addr;
	req->err = 0;
	return true;
}

/**
 * vmmgmt_guest_names_rx() - take the host's answer to a control request.
 * @vdev: the device.
 * @hdr: validated private copy of a %VMMGMT_MODE_CTRL record header.
 * @payload: private copy of its payload.
 *
 * Only answers are expected (the link hands the host's notices, without
 * %VMMGMT_REC_F_RESPONSE, to vmmgmt_guest_flow_rx()):
 * %VMMGMT_REC_F_RESPONSE, from (0, 0, 0) to
 * (0, vm_id, 0), with the id of a request in &vmmgmt_guest_dev.ctrl_reqs.
 * Anything else (a request, another address, an unknown or already
 * answered id) is a violation and dropped.  A malformed answer to a
 * pending request completes it with EPROTO and counts as a violation too.
 * The request leaves the list; its waiter is woken, or, if it was
 * abandoned, it is freed.
 *
 * Context: the rx work, @vdev->rx_lock held; takes xa_lock(&ports).
 * Return: 0 (the record is always consumed).
 */
int vmmgmt_guest_names_rx(struct vmmgmt_guest_dev *vdev,
			  const struct vmmgmt_rec *hdr, const void *payload)
{
	struct vmmgmt_guest_ctrl_req *req, *found = NULL;
	bool ok = false, known = false;

	if (!(hdr->flags & VMMGMT_REC_F_RESPONSE) || hdr->src.host ||
	    hdr->src.vm || hdr->src.port || hdr->src.reserved ||
	    hdr->dst.host || hdr->dst.vm != vdev->vm_id || hdr->dst.port ||
	    hdr->dst.reserved)
		goto bad;

	xa_lock(&vdev->ports);
	list_for_each_entry(req, &vdev->ctrl_reqs, node) {
		if (req->id == hdr->id) {
			found = req;
			break;
		}
	}
	if (found) {
		known = true;
		list_del(&found->node);
		vdev->nr_ctrl_reqs--;
		ok = vmmgmt_guest_names_rx_answer(found, hdr, payload);
		if (found->abandoned) {
			kfree(found);
		} else {
			WRITE_ONCE(found->done, true);
			wake_up_all(&vdev->ctrl_wq);
		}
	}
	xa_unlock(&vdev->ports);
	if (ok)
		return 0;
bad:
	atomic64_inc(&vdev->counters.violations);
	dev_warn_ratelimited(&vdev->pdev->dev, "bad control record: flags %#x id %llu len %u from (%u, %u, %u)%s\n",
			     hdr->flags, hdr->id, hdr->len, hdr->src.host,
			     hdr->src.vm, hdr->src.port,
			     known ? ": malformed answer" : "");
	return 0;
}
