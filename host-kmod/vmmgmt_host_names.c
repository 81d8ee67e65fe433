// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the name table.
 *
 * An endpoint publishes a name (for example "db-primary") for its address
 * and others look it up.  One table per host; a name is unique in it.
 * Each entry belongs to an owner (a VM, for names its guest published
 * through %VMMGMT_MODE_CTRL records, or a /dev/vmmgmt-host file), which
 * may hold at most %VMMGMT_NAMES_PER_OWNER of them; its names are
 * withdrawn when the owner goes away.
 *
 * Workers use the table, so it is under a spinlock; entries are
 * allocated before the lock is taken.  %VMMGMT_NAMES_MAX entries bound
 * every walk of the list.  The list is kept in strcmp() order of the
 * names, so that a guest can list it page by page (%VMMGMT_CTRL_LIST).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/**
 * struct vmmgmt_host_name - one published name.
 * @node: in vmmgmt_host_names.
 * @owner: the VM or the host endpoint that published it (compared, never
 *	dereferenced).
 * @name: the name, NUL-terminated.
 * @addr: the address it stands for.
 */
struct vmmgmt_host_name {
	struct list_head node;
	const void *owner;
	char name[VMMGMT_NAME_MAX];
	struct vmmgmt_addr addr;
};

/* Protects the two below. */
static DEFINE_SPINLOCK(vmmgmt_host_names_lock);
static LIST_HEAD(vmmgmt_host_names);
static unsigned int vmmgmt_host_nr_names;

/* Context: vmmgmt_host_names_lock held. */
static struct vmmgmt_host_name *vmmgmt_host_name_find(const char *name)
{
	struct vmmgmt_host_name *n;

	list_for_each_entry(n, &vmmgmt_host_names, node)
		if (!strcmp(n->name, name))
			return n;
	return NULL;
}

/**
 * vmmgmt_host_name_publish() - publish a name.
 * @owner: the VM or host endpoint it belongs to.
 * @name: a name that passed vmmgmt_host_name_valid(name, "_.-").
 * @addr: the address it stands for.
 *
 * Publishing a name again for the same owner and address succeeds.
 *
 * Context: process context; may sleep; takes vmmgmt_host_names_lock.
 * Return: 0; -EADDRINUSE (published by someone else, or by @owner for
 * another address); -ENOSPC (%VMMGMT_NAMES_PER_OWNER for @owner, or
 * %VMMGMT_NAMES_MAX in all); -ENOMEM.
 */
int vmmgmt_host_name_publish(const void *owner, const char *name,
			     const struct vmmgmt_addr *addr)
{
	struct vmmgmt_host_name *n, *old;
	unsigned int mine = 0;
	int ret = 0;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->owner = owner;
	strscpy(n->name, name, sizeof(n->name));
	n->addr = *addr;

	spin_lock(&vmmgmt_host_names_lock);
	old = vmmgmt_host_name_find(name);
	if (old) {
		if (old->owner != owner || memcmp(&old->addr, addr, sizeof(*addr)))
			ret = -EADDRINUSE;
		goto out_unlock;
	}
	list_for_each_entry(old, &vmmgmt_host_names, node)
		mine += old->owner == owner;
	if (mine >= VMMGMT_NAMES_PER_OWNER ||
	    vmmgmt_host_nr_names >= VMMGMT_NAMES_MAX) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	/* Before the first name that sorts after it (or at the end). */
	list_for_each_entry(old, &vmmgmt_host_names, node)
		if (strcmp(old->name, name) > 0)
			break;
	list_add_tail(&n->node, &old->node);
	vmmgmt_host_nr_names++;
	n = NULL;
out_unlock:
	spin_unlock(&vmmgmt_host_names_lock);
	kfree(n);
	return ret;
}

/**
 * vmmgmt_host_name_withdraw() - withdraw one name.
 * @owner: who asks; only the owner may withdraw a name.
 * @name: the name.
 *
 * Context: process context; takes vmmgmt_host_names_lock.
 * Return: 0, or -ENOENT if @owner has no such name.
 */
int vmmgmt_host_name_withdraw(const void *owner, const char *name)
{
	struct vmmgmt_host_name *n;

	spin_lock(&vmmgmt_host_names_lock);
	n = vmmgmt_host_name_find(name);
	if (n && n->owner == owner) {
		list_del(&n->node);
		vmmgmt_host_nr_names--;
	} else {
		n = NULL;
	}
	spin_unlock(&vmmgmt_host_names_lock);
	kfree(n);
	return n ? 0 : -ENOENT;
}

/**
 * vmmgmt_host_names_withdraw_all() - withdraw every name of an owner.
 * @owner: a VM that goes away or resets its channel, or a host endpoint
 *	that is closed.
 *
 * Context: process context; takes vmmgmt_host_names_lock.
 */
void vmmgmt_host_names_withdraw_all(const void *owner)
{
	struct vmmgmt_host_name *n, *tmp;
	LIST_HEAD(gone);

	spin_lock(&vmmgmt_host_names_lock);
	list_for_each_entry_safe(n, tmp, &vmmgmt_host_names, node) {
		if (n->owner != owner)
			continue;
		list_move(&n->node, &gone);
		vmmgmt_host_nr_names--;
	}
	spin_unlock(&vmmgmt_host_names_lock);
	list_for_each_entry_safe(n, tmp, &gone, node)
		kfree(n);
}

/**
 * vmmgmt_host_names_save() - copy out the names an owner published.
 * @owner: the VM (a module handover carries its guest's names).
 * @out: room for @max names; flags and reserved are zeroed.
 * @max: at most %VMMGMT_NAMES_PER_OWNER are ever found.
 *
 * Context: any context but hard IRQ; takes vmmgmt_host_names_lock.
 * Return: the number of names written.
 */
unsigned int vmmgmt_host_names_save(const void *owner, struct vmmgmt_name *out,
				    unsigned int max)
{
	struct vmmgmt_host_name *n;
	unsigned int i = 0;

	spin_lock(&vmmgmt_host_names_lock);
	list_for_each_entry(n, &vmmgmt_host_names, node) {
		if (n->owner != owner || i >= max)
			continue;
		memset(&out[i], 0, sizeof(out[i]));
		memcpy(out[i].name, n->name, sizeof(out[i].name));
		out[i].addr = n->addr;
		i++;
	}
	spin_unlock(&vmmgmt_host_names_lock);
	return i;
}

/**
 * vmmgmt_host_name_lookup() - the address of a published name.
 * @name: the name.
 * @addr: filled in.
 *
 * Context: any context but hard IRQ; takes vmmgmt_host_names_lock.
 * Return: 0, or -ENOENT.
 */
int vmmgmt_host_name_lookup(const char *name, struct vmmgmt_addr *addr)
{
	struct vmmgmt_host_name *n;

	spin_lock(&vmmgmt_host_names_lock);
	n = vmmgmt_host_name_find(name);
	if (n)
		*addr = n->addr;
	spin_unlock(&vmmgmt_host_names_lock);
	return n ? 0 : -ENOENT;
}

/**
 * vmmgmt_host_names_show() - the names file: "NAME HOST VM PORT" lines.
 * @buf: a sysfs page.
 *
 * Context: process context; takes vmmgmt_host_names_lock.
 * Return: bytes written; names that do not fit into the page are left
 * out (vmmgmtctl names reads them all through lookups later).
 */
ssize_t vmmgmt_host_names_show(char *buf)
{
	struct vmmgmt_host_name *n;
	ssize_t len = 0;

	spin_lock(&vmmgmt_host_names_lock);
	list_for_each_entry(n, &vmmgmt_host_names, node) {
		if (len + VMMGMT_NAME_MAX + 3 * 11 + 1 > PAGE_SIZE)
			break;
		len += sysfs_emit_at(buf, len, "%s %u %u %u\n", n->name,
				     n->addr.host, n->addr.vm, n->addr.port);
	}
	spin_unlock(&vmmgmt_host_names_lock);
	return len;
}

/**
 * vmmgmt_host_names_list() - one page of the name table.
 * @after: list the names that sort after this one; "" for the first page.
 * @list: filled in: @list->count names, %VMMGMT_NAME_LIST_F_MORE in
 *	@list->flags if more follow.  @list->after is left alone.
 *
 * Context: any context but hard IRQ; takes vmmgmt_host_names_lock.
 */
static void vmmgmt_host_names_list(const char *after,
				   struct vmmgmt_name_list *list)
{
	struct vmmgmt_host_name *n;
	struct vmmgmt_name *e;

	list->count = 0;
	list->flags = 0;
	spin_lock(&vmmgmt_host_names_lock);
	list_for_each_entry(n, &vmmgmt_host_names, node) {
		if (strcmp(n->name, after) <= 0)
			continue;
		if (list->count == VMMGMT_NAMES_PER_LIST) {
			list->flags |= VMMGMT_NAME_LIST_F_MORE;
			break;
		}
		e = &list->names[list->count++];
		memset(e, 0, sizeof(*e));
		strscpy(e->name, n->name, sizeof(e->name));
		e->addr = n->addr;
	}
	spin_unlock(&vmmgmt_host_names_lock);
}

/**
 * vmmgmt_host_ctrl() - serve one %VMMGMT_MODE_CTRL request from a guest.
 * @vm: the VM it came from; its names belong to it.
 * @hdr: the record header.
 * @payload: @hdr->len bytes.
 * @ans: the answer on success, %VMMGMT_HOST_CTRL_ANS_MAX bytes: the
 *	request with the address filled in, or for %VMMGMT_CTRL_LIST a
 *	&struct vmmgmt_name_list.
 *
 * Everything in the request comes from the guest and is checked
 * (vmmgmt_ctrl_check(), shared with the fuzzer): its length, the op, the
 * zero fields, the name (for %VMMGMT_CTRL_LIST a valid name or all zero).
 *
 * Context: the VM's worker; may sleep.
 * Return: the length of the answer in @ans, or the negative errno to
 * answer with (see &struct vmmgmt_ctrl).
 */
int vmmgmt_host_ctrl(struct vmmgmt_host_vm *vm, const struct vmmgmt_rec *hdr,
		     const void *payload, void *ans)
{
	struct vmmgmt_ctrl *req = ans;
	struct vmmgmt_name *n = &req->name;
	struct vmmgmt_name_list *list = ans;
	char after[VMMGMT_NAME_MAX];
	int ret;

	ret = vmmgmt_ctrl_check(hdr->len, payload, req);
	if (ret)
		return ret;
	if (req->op == VMMGMT_CTRL_LIST) {
		memcpy(after, n->name, sizeof(after));
		memset(list, 0, offsetof(struct vmmgmt_name_list, names));
		memcpy(list->after, after, sizeof(list->after));
		vmmgmt_host_names_list(after, list);
		return offsetof(struct vmmgmt_name_list, names) +
		       list->count * sizeof(list->names[0]);
	}
	switch (req->op) {
	case VMMGMT_CTRL_PUBLISH:
		n->addr.vm = vm->id;
		ret = vmmgmt_host_name_publish(vm, n->name, &n->addr);
		break;
	case VMMGMT_CTRL_WITHDRAW:
		ret = vmmgmt_host_name_withdraw(vm, n->name);
		break;
	case VMMGMT_CTRL_LOOKUP:
		ret = vmmgmt_host_name_lookup(n->name, &n->addr);
		break;
	default:
		ret = -EINVAL;
	}
	return ret ? ret : sizeof(*req);
}
