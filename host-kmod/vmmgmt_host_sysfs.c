// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: one sysfs directory per VM,
 * /sys/class/misc/vmmgmt-host/vms/<name>/, with one value per file (see
 * Documentation/ABI/testing/sysfs-class-misc-vmmgmt-host).  The directory
 * is the VM's kobject; its release frees the VM.
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

static ssize_t generation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(vmmgmt_host_kobj_vm(kobj)->generation));
}

/**
 * struct vmmgmt_host_stat_attr - a counter file.
 * @attr: the sysfs attribute.
 * @offset: offset of the counter in &struct vmmgmt_host_stats.
 */
struct vmmgmt_host_stat_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t vmmgmt_host_stat_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_host_vm *vm = vmmgmt_host_kobj_vm(kobj);
	size_t offset =
		container_of(attr, struct vmmgmt_host_stat_attr, attr)->offset;
	atomic64_t *counter = (void *)&vm->stats + offset;

	return sysfs_emit(buf, "%lld\n", atomic64_read(counter));
}

static struct vmmgmt_host_stat_attr rx_msgs_attr = {
	.attr = __ATTR(rx_msgs, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, rx_msgs),
};

static struct vmmgmt_host_stat_attr rx_bytes_attr = {
	.attr = __ATTR(rx_bytes, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, rx_bytes),
};

static struct vmmgmt_host_stat_attr tx_msgs_attr = {
	.attr = __ATTR(tx_msgs, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, tx_msgs),
};

static struct vmmgmt_host_stat_attr tx_bytes_attr = {
	.attr = __ATTR(tx_bytes, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, tx_bytes),
};

static struct vmmgmt_host_stat_attr kicks_attr = {
	.attr = __ATTR(kicks, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, kicks),
};

static struct vmmgmt_host_stat_attr notifications_sent_attr = {
	.attr = __ATTR(notifications_sent, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, notifications_sent),
};

static struct vmmgmt_host_stat_attr violations_attr = {
	.attr = __ATTR(violations, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, violations),
};

static struct vmmgmt_host_stat_attr hangups_attr = {
	.attr = __ATTR(hangups, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, hangups),
};

static struct vmmgmt_host_stat_attr drops_attr = {
	.attr = __ATTR(drops, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, drops),
};

static struct vmmgmt_host_stat_attr denied_attr = {
	.attr = __ATTR(denied, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, denied),
};

static struct vmmgmt_host_stat_attr resets_attr = {
	.attr = __ATTR(resets, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, resets),
};

static struct vmmgmt_host_stat_attr polls_attr = {
	.attr = __ATTR(polls, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, polls),
};

static struct vmmgmt_host_stat_attr stalls_recovered_attr = {
	.attr = __ATTR(stalls_recovered, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, stalls_recovered),
};

static struct vmmgmt_host_stat_attr stall_kicks_attr = {
	.attr = __ATTR(stall_kicks, 0444, vmmgmt_host_stat_show, NULL),
	.offset = offsetof(struct vmmgmt_host_stats, stall_kicks),
};

static struct kobj_attribute link_state_attr = __ATTR_RO(link_state);
static struct kobj_attribute vm_id_attr = __ATTR_RO(vm_id);
static struct kobj_attribute qemu_pid_attr = __ATTR_RO(qemu_pid);
static struct kobj_attribute generation_attr = __ATTR_RO(generation);

static struct attribute *vmmgmt_host_vm_attrs[] = {
	&link_state_attr.attr,
	&vm_id_attr.attr,
	&qemu_pid_attr.attr,
	&generation_attr.attr,
	&rx_msgs_attr.attr.attr,
	&rx_bytes_attr.attr.attr,
	&tx_msgs_attr.attr.attr,
	&tx_bytes_attr.attr.attr,
	&kicks_attr.attr.attr,
	&notifications_sent_attr.attr.attr,
	&polls_attr.attr.attr,
	&violations_attr.attr.attr,
	&drops_attr.attr.attr,
	&hangups_attr.attr.attr,
	&denied_attr.attr.attr,
	&resets_attr.attr.attr,
	&stalls_recovered_attr.attr.attr,
	&stall_kicks_attr.attr.attr,
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
