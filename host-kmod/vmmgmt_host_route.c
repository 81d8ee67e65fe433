// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: records from one VM to another, and the policy.
 *
 * VMs never share memory.  The sender's worker copies a record out of the
 * sender's G2H ring (the ring code did that already), checks the policy,
 * and queues the copy on the destination VM's send queue; the
 * destination's worker, the only producer of its H2G ring, posts it.
 * When the destination's send queue is full the sender's worker holds the
 * record aside (vmmgmt_host_flow.c) and tries again when the
 * destination's worker has made room (or the destination goes away).
 *
 * The policy is a set of VM name pairs allowed to talk to each other, in
 * both directions, kept by name so that it holds across a VM's
 * re-registration.  A VM may always talk to itself and to the host.  It
 * is read and changed through /sys/class/misc/vmmgmt-host/policy.
 *
 * Owns: the policy's pairs.
 *
 * May call: the registry (the destination VM), the region (the
 * destination's modes) and the queues.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/** VMMGMT_HOST_POLICY_MAX - most allowed pairs. */
#define VMMGMT_HOST_POLICY_MAX	4096

/**
 * struct vmmgmt_host_pair - two VM names allowed to talk to each other.
 * @node: in vmmgmt_host_pairs.
 * @a: the smaller name (strcmp()).
 * @b: the other name.
 */
struct vmmgmt_host_pair {
	struct list_head node;
	char a[VMMGMT_NAME_MAX];
	char b[VMMGMT_NAME_MAX];
};

/* Protects the two below; taken by workers, so a spinlock. */
static DEFINE_SPINLOCK(vmmgmt_host_policy_lock);
static LIST_HEAD(vmmgmt_host_pairs);
static unsigned int vmmgmt_host_nr_pairs;

/* The pair's names in their stored order. */
static void vmmgmt_host_pair_order(const char **a, const char **b)
{
	const char *t;

	if (strcmp(*a, *b) > 0) {
		t = *a;
		*a = *b;
		*b = t;
	}
}

/* Context: vmmgmt_host_policy_lock held. */
static struct vmmgmt_host_pair *vmmgmt_host_pair_find(const char *a,
						      const char *b)
{
	struct vmmgmt_host_pair *p;

	vmmgmt_host_pair_order(&a, &b);
	list_for_each_entry(p, &vmmgmt_host_pairs, node)
		if (!strcmp(p->a, a) && !strcmp(p->b, b))
			return p;
	return NULL;
}

/**
 * vmmgmt_host_policy_allowed() - may two VMs talk to each other?
 * @a: one VM's name.
 * @b: the other's.
 *
 * Context: any context but hard IRQ; takes vmmgmt_host_policy_lock.
 * Return: true if @a and @b are the same VM or an allowed pair.
 */
bool vmmgmt_host_policy_allowed(const char *a, const char *b)
{
	bool ret;

	if (!strcmp(a, b))
		return true;
	spin_lock(&vmmgmt_host_policy_lock);
	ret = vmmgmt_host_pair_find(a, b);
	spin_unlock(&vmmgmt_host_policy_lock);
	return ret;
}

/**
 * vmmgmt_host_policy_show() - the policy file: one "allow A B" line per
 * allowed pair.
 * @buf: a sysfs page.
 *
 * Context: process context; takes vmmgmt_host_policy_lock.
 * Return: bytes written (lines that do not fit the page are left out).
 */
ssize_t vmmgmt_host_policy_show(char *buf)
{
	struct vmmgmt_host_pair *p;
	ssize_t n = 0;

	spin_lock(&vmmgmt_host_policy_lock);
	list_for_each_entry(p, &vmmgmt_host_pairs, node) {
		if (n + 8 + 2 * VMMGMT_NAME_MAX > PAGE_SIZE)
			break;
		n += sysfs_emit_at(buf, n, "allow %s %s\n", p->a, p->b);
	}
	spin_unlock(&vmmgmt_host_policy_lock);
	return n;
}

/* A VM name as vmmgmtd registers them: 1..31 of [A-Za-z0-9_-]. */
static bool vmmgmt_host_policy_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= VMMGMT_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

/**
 * vmmgmt_host_policy_store() - change the policy: "allow A B" or
 * "deny A B" (one command per write, surrounding blanks ignored).
 * @buf: what was written, NUL-terminated by sysfs.
 * @count: its length.
 *
 * Allowing an allowed pair and denying a pair that is not allowed both
 * succeed.  A VM that is denied keeps what was already queued for its
 * peer; new records get EACCES.
 *
 * Context: process context; takes vmmgmt_host_policy_lock.
 * Return: 0; -EINVAL (not one of the two commands, a bad name, the same
 * name twice); -ENOSPC (%VMMGMT_HOST_POLICY_MAX pairs); -ENOMEM.
 */
int vmmgmt_host_policy_store(const char *buf, size_t count)
{
	char cmd[8], a[VMMGMT_NAME_MAX + 1], b[VMMGMT_NAME_MAX + 1], extra;
	struct vmmgmt_host_pair *p, *newp;
	const char *x, *y;
	bool allow;
	int ret = 0;

	/* %32s stops at 32 characters: a longer name is rejected below. */
	if (sscanf(buf, "%7s %32s %32s %c", cmd, a, b, &extra) != 3)
		return -EINVAL;
	if (!strcmp(cmd, "allow"))
		allow = true;
	else if (!strcmp(cmd, "deny"))
		allow = false;
	else
		return -EINVAL;
	if (!vmmgmt_host_policy_name_ok(a) || !vmmgmt_host_policy_name_ok(b) ||
	    !strcmp(a, b))
		return -EINVAL;

	newp = allow ? kzalloc(sizeof(*newp), GFP_KERNEL) : NULL;
	if (allow && !newp)
		return -ENOMEM;
	x = a;
	y = b;
	vmmgmt_host_pair_order(&x, &y);

	spin_lock(&vmmgmt_host_policy_lock);
	p = vmmgmt_host_pair_find(x, y);
	if (allow && !p) {
		if (vmmgmt_host_nr_pairs >= VMMGMT_HOST_POLICY_MAX) {
			ret = -ENOSPC;
		} else {
			strscpy(newp->a, x, sizeof(newp->a));
			strscpy(newp->b, y, sizeof(newp->b));
			list_add_tail(&newp->node, &vmmgmt_host_pairs);
			vmmgmt_host_nr_pairs++;
			newp = NULL;
		}
	} else if (!allow && p) {
		list_del(&p->node);
		vmmgmt_host_nr_pairs--;
		newp = p;	/* freed below */
	}
	spin_unlock(&vmmgmt_host_policy_lock);
	kfree(newp);
	if (!ret)
		pr_info("policy: %s %s %s\n", allow ? "allow" : "deny", x, y);
	return ret;
}

/**
 * vmmgmt_host_policy_exit() - free the policy at module exit.
 *
 * Context: process context; nothing else uses the policy any more.
 */
void vmmgmt_host_policy_exit(void)
{
	struct vmmgmt_host_pair *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vmmgmt_host_pairs, node)
		kfree(p);
	INIT_LIST_HEAD(&vmmgmt_host_pairs);
	vmmgmt_host_nr_pairs = 0;
}

/**
 * vmmgmt_host_route_stream_ok() - whether a VM takes stream segments.
 * @dst: the destination VM, not dead (@dst->tx_lock held).
 * @mode: the segment's mode.
 *
 * The host keeps no state for streams between VMs: it only makes sure
 * that the destination's module has streams (%VMMGMT_F_STREAM accepted)
 * and, if it says which modes its owner enabled (%VMMGMT_F_MODES), that
 * the stream's mode is one of them.
 *
 * Context: any context; @dst->tx_lock held.
 * Return: 0; -EOPNOTSUPP (no streams); -EPERM (the mode is disabled).
 */
static int vmmgmt_host_route_stream_ok(struct vmmgmt_host_vm *dst, u16 mode)
{
	u32 modes;

	lockdep_assert_held(&dst->tx_lock);
	if (!(READ_ONCE(dst->hdr->features_accepted) & VMMGMT_F_STREAM))
		return -EOPNOTSUPP;
	if (vmmgmt_host_region_modes(dst, &modes) &&
	    !(modes & VMMGMT_MODE_BIT(mode)))
		return -EPERM;
	return 0;
}

/**
 * vmmgmt_host_route_vm() - pass a record from one VM to another.
 * @vm: the sending VM.
 * @msg: the record, its source already the sender's address, its
 *	destination (0, VM id, port) with a VM id other than the host's; the
 *	destination's send queue owns it when queued, the caller otherwise.
 *
 * Context: the sending VM's worker.
 * Return: 0 when the record is queued for the destination; -ENOBUFS when
 * the destination's send queue is full (@vm->blocked is set and the
 * worker is woken when there is room); or the errno to answer the sender
 * with: -EHOSTUNREACH (no such VM), -EACCES (the policy does not allow
 * it), -EHOSTDOWN (the destination's channel is not up), -EMSGSIZE
 * (longer than the destination's ring carries); for a stream segment also
 * -EOPNOTSUPP (the destination's module has no streams) and -EPERM (the
 * destination's owner disabled the segment's mode).
 */
int vmmgmt_host_route_vm(struct vmmgmt_host_vm *vm,
			 struct vmmgmt_host_msg *msg)
{
	const struct vmmgmt_rec *hdr = &msg->hdr;
	struct vmmgmt_host_vm *dst;
	int ret;

	dst = vmmgmt_host_vm_get(hdr->dst.vm);
	if (!dst)
		return -EHOSTUNREACH;
	ret = -EACCES;
	if (!vmmgmt_host_policy_allowed(vm->name, dst->name)) {
		atomic64_inc(&vm->counters.denied);
		goto out;
	}
	ret = -EMSGSIZE;
	if (hdr->len > dst->h2g.max_len)
		goto out;

	spin_lock(&dst->tx_lock);
	if (dst->dead || READ_ONCE(dst->link_state) != VMMGMT_LINK_UP)
		ret = -EHOSTDOWN;
	else if (hdr->flags & VMMGMT_REC_F_STREAM)
		/* Not dead: the region is mapped while tx_lock is held. */
		ret = vmmgmt_host_route_stream_ok(dst, hdr->mode);
	else
		ret = 0;
	if (!ret && vmmgmt_host_queue_room(&dst->tx, hdr->len)) {
		vmmgmt_host_queue_add(&dst->tx, msg);
		/* While not dead the destination's thread exists. */
		vmmgmt_host_worker_wake(dst);
	} else if (!ret) {
		dst->tx_blocking = true;
		WRITE_ONCE(vm->blocked, true);
		ret = -ENOBUFS;
	}
	spin_unlock(&dst->tx_lock);
out:
	vmmgmt_host_vm_put(dst);
	return ret;
}
