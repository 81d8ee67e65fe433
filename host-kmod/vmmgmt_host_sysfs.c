// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: one sysfs directory per VM,
 * /sys/class/misc/vmmgmt-host/vms/<name>/, with one value per file (see
 * Documentation/ABI/testing/sysfs-class-misc-vmmgmt-host).  The directory
 * is the VM's kobject; its release frees the VM.
 *
 * Owns: the VM's kobject type and the files of the directory itself (the
 * channel counters, identifiers, link state, the guest's modes, the
 * records held for full destinations, and (ABI 0.8) whether the VM is
 * persistent, an orphan, and how often it was adopted).
 *
 * May call: the region (the guest's modes), and the statistics, the
 * scheduling policy and the quotas, for their groups stats/, sched/ and
 * quota/ and the policy's release.
 */

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

static struct vmmgmt_host_vm *vmmgmt_host_kobj_vm(struct kobject *kobj)
{
	return container_of(kobj, struct vmmgmt_host_vm, kobj);
}

static ssize_t link_state_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	static const char * const names[] = {
		[VMMGMT_LINK_DOWN] = "down",
		[VMMGMT_LINK_UP] = "up",
		[VMMGMT_LINK_BROKEN] = "broken",
	};
	u32 state = READ_ONCE(vmmgmt_host_kobj_vm(kobj)->link_state);

	return sysfs_emit(buf, "%s\n",
			  state < ARRAY_SIZE(names) ? names[state] : "unknown");
}

static ssize_t vm_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_host_kobj_vm(kobj)->id);
}

static ssize_t qemu_pid_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_host_kobj_vm(kobj)->qemu_pid);
}

/* ABI 0.8: added with VMMGMT_HOST_VM_F_PERSIST (0 or 1). */
static ssize_t persist_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", vmmgmt_host_kobj_vm(kobj)->persist);
}

/* ABI 0.8: a PERSIST VM whose daemon's file is closed, not adopted since. */
static ssize_t orphan_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->orphan));
}

/* ABI 0.8: VMMGMT_HOST_IOC_ADOPT_VM calls that claimed the VM. */
static ssize_t adoptions_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->adoptions));
}

/* ABI 0.9: times the VM was handed over to a new module. */
static ssize_t handovers_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->handovers));
}

static ssize_t generation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->generation));
}

/**
 * guest_modes_show() - the modes the guest has enabled, as it says in the
 * region header: their names, space-separated, in mode order ("chat
 * stats"); "unknown" if the guest did not accept %VMMGMT_F_MODES; an
 * empty line if it enabled none.
 * @kobj: the VM's kobject.
 * @attr: the attribute.
 * @buf: the page.
 *
 * The region stays mapped while the file exists: removal deletes the
 * kobject (and waits for readers) before it unmaps the region.
 *
 * Context: process context.
 * Return: the length written.
 */
static ssize_t guest_modes_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	const char *name;
	int len = 0;
	u32 modes;
	int m;

	if (!vmmgmt_host_region_modes(vmmgmt_host_kobj_vm(kobj), &modes))
		return sysfs_emit(buf, "unknown\n");
	for (m = 0; m < VMMGMT_MODE_MAX; m++) {
		name = vmmgmt_mode_name(m);
		if ((modes & VMMGMT_MODE_BIT(m)) && name)
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
					     name);
	}
	return len + sysfs_emit_at(buf, len, "\n");
}

/**
 * struct vmmgmt_host_counter_attr - a file showing one channel counter.
 * @attr: the sysfs attribute.
 * @offset: offset of the counter in &struct vmmgmt_host_counters.
 */
struct vmmgmt_host_counter_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t vmmgmt_host_counter_show(struct kobject *kobj,
					struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_host_vm *vm = vmmgmt_host_kobj_vm(kobj);
	size_t offset =
		container_of(attr, struct vmmgmt_host_counter_attr, attr)->offset;
	atomic64_t *counter = (void *)&vm->counters + offset;

	return sysfs_emit(buf, "%lld\n", atomic64_read(counter));
}

/* The file @_name shows &vmmgmt_host_counters.@_field. */
#define VMMGMT_HOST_COUNTER_ATTR(_name, _field)				\
static struct vmmgmt_host_counter_attr vmmgmt_host_counter_attr_##_name = { \
	.attr = __ATTR(_name, 0444, vmmgmt_host_counter_show, NULL),	\
	.offset = offsetof(struct vmmgmt_host_counters, _field),	\
}

VMMGMT_HOST_COUNTER_ATTR(rx_msgs, rx_msgs);
VMMGMT_HOST_COUNTER_ATTR(rx_bytes, rx_bytes);
VMMGMT_HOST_COUNTER_ATTR(tx_msgs, tx_msgs);
VMMGMT_HOST_COUNTER_ATTR(tx_bytes, tx_bytes);
VMMGMT_HOST_COUNTER_ATTR(kicks, kicks);
VMMGMT_HOST_COUNTER_ATTR(notifications_sent, notifications_sent);
VMMGMT_HOST_COUNTER_ATTR(violations, violations);
VMMGMT_HOST_COUNTER_ATTR(hangups, hangups);
VMMGMT_HOST_COUNTER_ATTR(drops, drops);
VMMGMT_HOST_COUNTER_ATTR(denied, denied);
VMMGMT_HOST_COUNTER_ATTR(resets, resets);
VMMGMT_HOST_COUNTER_ATTR(polls, polls);
VMMGMT_HOST_COUNTER_ATTR(stalls_recovered, stalls_recovered);
VMMGMT_HOST_COUNTER_ATTR(stall_kicks, stall_kicks);
VMMGMT_HOST_COUNTER_ATTR(held_overflows, held_overflows);
VMMGMT_HOST_COUNTER_ATTR(credit_notices, credit_notices);
VMMGMT_HOST_COUNTER_ATTR(credits_lost, credits_lost);

/* Records the VM's worker holds now for full destinations. */
static ssize_t held_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->held.msgs));
}

VMMGMT_HOST_COUNTER_ATTR(streams_opened, streams_opened);
VMMGMT_HOST_COUNTER_ATTR(streams_reset, streams_reset);
VMMGMT_HOST_COUNTER_ATTR(stream_tx_bytes, stream_tx_bytes);
VMMGMT_HOST_COUNTER_ATTR(stream_rx_bytes, stream_rx_bytes);

/* Host streams with the VM as peer that exist now (vmmgmt_host_stream.c). */
static ssize_t streams_open_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&vmmgmt_host_kobj_vm(kobj)->streams_open));
}

static struct kobj_attribute link_state_attr = __ATTR_RO(link_state);
static struct kobj_attribute vm_id_attr = __ATTR_RO(vm_id);
static struct kobj_attribute qemu_pid_attr = __ATTR_RO(qemu_pid);
static struct kobj_attribute generation_attr = __ATTR_RO(generation);
static struct kobj_attribute persist_attr = __ATTR_RO(persist);
static struct kobj_attribute orphan_attr = __ATTR_RO(orphan);
static struct kobj_attribute adoptions_attr = __ATTR_RO(adoptions);
static struct kobj_attribute handovers_attr = __ATTR_RO(handovers);
static struct kobj_attribute guest_modes_attr = __ATTR_RO(guest_modes);
static struct kobj_attribute held_attr = __ATTR_RO(held);
static struct kobj_attribute streams_open_attr = __ATTR_RO(streams_open);

static struct attribute *vmmgmt_host_vm_attrs[] = {
	&link_state_attr.attr,
	&vm_id_attr.attr,
	&qemu_pid_attr.attr,
	&generation_attr.attr,
	&persist_attr.attr,
	&orphan_attr.attr,
	&adoptions_attr.attr,
	&handovers_attr.attr,
	&guest_modes_attr.attr,
	&vmmgmt_host_counter_attr_rx_msgs.attr.attr,
	&vmmgmt_host_counter_attr_rx_bytes.attr.attr,
	&vmmgmt_host_counter_attr_tx_msgs.attr.attr,
	&vmmgmt_host_counter_attr_tx_bytes.attr.attr,
	&vmmgmt_host_counter_attr_kicks.attr.attr,
	&vmmgmt_host_counter_attr_notifications_sent.attr.attr,
	&vmmgmt_host_counter_attr_polls.attr.attr,
	&vmmgmt_host_counter_attr_violations.attr.attr,
	&vmmgmt_host_counter_attr_drops.attr.attr,
	&vmmgmt_host_counter_attr_hangups.attr.attr,
	&vmmgmt_host_counter_attr_denied.attr.attr,
	&vmmgmt_host_counter_attr_resets.attr.attr,
	&vmmgmt_host_counter_attr_stalls_recovered.attr.attr,
	&vmmgmt_host_counter_attr_stall_kicks.attr.attr,
	&held_attr.attr,
	&vmmgmt_host_counter_attr_held_overflows.attr.attr,
	&vmmgmt_host_counter_attr_credit_notices.attr.attr,
	&vmmgmt_host_counter_attr_credits_lost.attr.attr,
	&streams_open_attr.attr,
	&vmmgmt_host_counter_attr_streams_opened.attr.attr,
	&vmmgmt_host_counter_attr_streams_reset.attr.attr,
	&vmmgmt_host_counter_attr_stream_tx_bytes.attr.attr,
	&vmmgmt_host_counter_attr_stream_rx_bytes.attr.attr,
	NULL
};

static const struct attribute_group vmmgmt_host_vm_group = {
	.attrs = vmmgmt_host_vm_attrs,
};

static const struct attribute_group *vmmgmt_host_vm_groups[] = {
	&vmmgmt_host_vm_group,
	&vmmgmt_host_stats_group,	/* stats/, vmmgmt_host_stats.c */
	&vmmgmt_host_sched_group,	/* sched/, vmmgmt_host_sched.c */
	&vmmgmt_host_quota_group,	/* quota/, vmmgmt_host_quota.c */
	NULL
};

/**
 * vmmgmt_host_vm_release() - free a VM when its last reference goes.
 * @kobj: the VM's kobject.
 *
 * Every other resource of the VM is released before its last reference is
 * dropped (vmmgmt_host_vm.c), but the QEMU pid the scheduling policy
 * holds; a sysfs reader that still holds the kobject only reads counters
 * and identifiers.
 *
 * Context: any context that may free memory.
 */
static void vmmgmt_host_vm_release(struct kobject *kobj)
{
	vmmgmt_host_sched_release(vmmgmt_host_kobj_vm(kobj));
	kfree(vmmgmt_host_kobj_vm(kobj));
}

const struct kobj_type vmmgmt_host_vm_ktype = {
	.release = vmmgmt_host_vm_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vmmgmt_host_vm_groups,
};
