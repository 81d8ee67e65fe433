// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: sysfs, /sys/class/misc/vmmgmt/ (vmmgmt<N>/ for
 * further devices).  The device's attributes (ABI and ids, link state,
 * sizes, features, reset), the channel counters, and the statistics
 * collector's settings and counts: one value per file, all written the
 * same way, with DEVICE_ATTR_*(),
 * sysfs_emit() and attribute groups that the misc core creates with the
 * device and removes before misc_deregister() returns
 * (vmmgmt_guest_sysfs_groups).  Documentation/ABI/testing/
 * sysfs-class-misc-vmmgmt has an entry for each.
 *
 * The modes (ABI 0.6) have a directory each, modes/<mode>/: a "modes"
 * kobject under the device's kobject (&vmmgmt_guest_dev.misc.this_device)
 * with one child per mode, a &struct vmmgmt_guest_mode_dir whose
 * attributes find the mode through their kobject.  They hold "enabled",
 * the mode's counters and, for stats, the collector's settings and counts
 * (the device's stats_* files are their deprecated aliases), for file the
 * owner's directory for host-initiated transfers ("dir"): one kobj_type
 * for all, the groups of one mode shown by is_visible() in its directory
 * alone.  The streams' counters (ABI 0.7) are device attributes too.  The
 * character device adds them right after misc_register() and removes
 * them before misc_deregister() (vmmgmt_guest_sysfs_modes_add() and
 * vmmgmt_guest_sysfs_modes_del()).
 *
 * Owns: the attributes and the modes/ kobjects.  May call: the statistics
 * collector (vmmgmt_guest_stats.c), the link (vmmgmt_guest_link.c), the
 * flow control (vmmgmt_guest_flow.c) and the modes (vmmgmt_guest_modes.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>

#include "vmmgmt_guest.h"

/* The device of a sysfs file of the misc device. */
static struct vmmgmt_guest_dev *vmmgmt_guest_dev_from_misc(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct vmmgmt_guest_dev, misc);
}

/* The device's own attributes. */

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
			  vmmgmt_guest_hdr_read32(vdev,
						  VMMGMT_GUEST_HDR_OFF(vm_id)));
}
static DEVICE_ATTR_RO(vm_id);

static ssize_t peer_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  vmmgmt_guest_dev_from_misc(dev)->peer_id);
}
static DEVICE_ATTR_RO(peer_id);

static ssize_t host_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	u32 host_id = vmmgmt_guest_hdr_read32(vdev,
					      VMMGMT_GUEST_HDR_OFF(host_id));

	return sysfs_emit(buf, "%u\n", host_id);
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

static ssize_t features_offered_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	u64 feat = vmmgmt_guest_hdr_read64(vdev,
					   VMMGMT_GUEST_HDR_OFF(features_offered));

	return sysfs_emit(buf, "%#llx\n", feat);
}
static DEVICE_ATTR_RO(features_offered);

static ssize_t features_supported_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%#llx\n", (u64)VMMGMT_GUEST_FEATURES);
}
static DEVICE_ATTR_RO(features_supported);

static ssize_t flow_dests_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n", vmmgmt_guest_flow_count(vdev));
}
static DEVICE_ATTR_RO(flow_dests);

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

static struct attribute *vmmgmt_guest_dev_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_vm_id.attr,
	&dev_attr_peer_id.attr,
	&dev_attr_host_id.attr,
	&dev_attr_link_state.attr,
	&dev_attr_region_size.attr,
	&dev_attr_max_msg_size.attr,
	&dev_attr_vectors.attr,
	&dev_attr_features.attr,
	&dev_attr_features_offered.attr,
	&dev_attr_features_supported.attr,
	&dev_attr_flow_dests.attr,
	&dev_attr_reset.attr,
	NULL
};

static const struct attribute_group vmmgmt_guest_dev_group = {
	.attrs = vmmgmt_guest_dev_attrs,
};

/* The channel counters (&struct vmmgmt_guest_counters). */

/* Shows the counter at byte @off of &vmmgmt_guest_dev.counters. */
static ssize_t vmmgmt_guest_counter_emit(struct device *dev, size_t off,
					 char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);
	atomic64_t *counter = (void *)&vdev->counters + off;

	return sysfs_emit(buf, "%llu\n", (u64)atomic64_read(counter));
}

/*
 * The read-only file @_name shows &vmmgmt_guest_counters.@_field (the
 * same word: two arguments, so that none is used twice).
 */
#define VMMGMT_GUEST_COUNTER_ATTR(_name, _field)			\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return vmmgmt_guest_counter_emit(dev,				\
		offsetof(struct vmmgmt_guest_counters, _field), buf);	\
}									\
static DEVICE_ATTR_RO(_name)

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
VMMGMT_GUEST_COUNTER_ATTR(flow_credits, flow_credits);
VMMGMT_GUEST_COUNTER_ATTR(flow_peers_gone, flow_peers_gone);
VMMGMT_GUEST_COUNTER_ATTR(flow_waits, flow_waits);
VMMGMT_GUEST_COUNTER_ATTR(flow_overflows, flow_overflows);
VMMGMT_GUEST_COUNTER_ATTR(withdrawals_lost, withdrawals_lost);
VMMGMT_GUEST_COUNTER_ATTR(suspends, suspends);
VMMGMT_GUEST_COUNTER_ATTR(resumes, resumes);

/* Binds since the module was loaded that resumed the channel. */
static ssize_t resumed_binds_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", vmmgmt_guest_link_binds(true));
}
static DEVICE_ATTR_RO(resumed_binds);

/* Binds since the module was loaded that reset the channel. */
static ssize_t reset_binds_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", vmmgmt_guest_link_binds(false));
}
static DEVICE_ATTR_RO(reset_binds);

static struct attribute *vmmgmt_guest_counter_attrs[] = {
	&dev_attr_tx_msgs.attr,
	&dev_attr_tx_bytes.attr,
	&dev_attr_rx_msgs.attr,
	&dev_attr_rx_bytes.attr,
	&dev_attr_doorbells.attr,
	&dev_attr_interrupts.attr,
	&dev_attr_rx_polls.attr,
	&dev_attr_drops.attr,
	&dev_attr_violations.attr,
	&dev_attr_stalls_recovered.attr,
	&dev_attr_stall_kicks.attr,
	&dev_attr_flow_credits.attr,
	&dev_attr_flow_peers_gone.attr,
	&dev_attr_flow_waits.attr,
	&dev_attr_flow_overflows.attr,
	&dev_attr_withdrawals_lost.attr,
	&dev_attr_suspends.attr,
	&dev_attr_resumes.attr,
	&dev_attr_resumed_binds.attr,
	&dev_attr_reset_binds.attr,
	NULL
};

static const struct attribute_group vmmgmt_guest_counter_group = {
	.attrs = vmmgmt_guest_counter_attrs,
};

/* The streams' counters (&struct vmmgmt_guest_streams). */

static ssize_t streams_open_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(vdev->streams.nr));
}
static DEVICE_ATTR_RO(streams_open);

/*
 * The read-only file @_name shows the atomic counter
 * &vmmgmt_guest_streams.@_field.
 */
#define VMMGMT_GUEST_STREAMS_ATTR(_name, _field)			\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_dev_from_misc(dev); \
									\
	return sysfs_emit(buf, "%llu\n",				\
			  (u64)atomic64_read(&vdev->streams._field));	\
}									\
static DEVICE_ATTR_RO(_name)

VMMGMT_GUEST_STREAMS_ATTR(streams_opened, opened);
VMMGMT_GUEST_STREAMS_ATTR(streams_reset, reset);
VMMGMT_GUEST_STREAMS_ATTR(stream_tx_bytes, tx_bytes);
VMMGMT_GUEST_STREAMS_ATTR(stream_rx_bytes, rx_bytes);
VMMGMT_GUEST_STREAMS_ATTR(stream_probes, probes);

static struct attribute *vmmgmt_guest_streams_attrs[] = {
	&dev_attr_streams_open.attr,
	&dev_attr_streams_opened.attr,
	&dev_attr_streams_reset.attr,
	&dev_attr_stream_tx_bytes.attr,
	&dev_attr_stream_rx_bytes.attr,
	&dev_attr_stream_probes.attr,
	NULL
};

static const struct attribute_group vmmgmt_guest_streams_group = {
	.attrs = vmmgmt_guest_streams_attrs,
};

/*
 * The misc device's groups (&miscdevice.groups): created with the device,
 * removed before misc_deregister() returns, which also waits for running
 * show() and store() calls.
 */
const struct attribute_group *vmmgmt_guest_sysfs_groups[] = {
	&vmmgmt_guest_dev_group,
	&vmmgmt_guest_counter_group,
	&vmmgmt_guest_streams_group,
	NULL
};

/* The modes: modes/<mode>/ (&struct vmmgmt_guest_mode_dir). */

static struct vmmgmt_guest_mode_dir *vmmgmt_guest_mode_dir(struct kobject *kobj)
{
	return container_of(kobj, struct vmmgmt_guest_mode_dir, kobj);
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vmmgmt_guest_mode_dir *md = vmmgmt_guest_mode_dir(kobj);

	return sysfs_emit(buf, "%d\n", vmmgmt_guest_mode_on(md->vdev, md->mode));
}

/**
 * enabled_store() - the owner turns a mode on (1) or off (0).
 * @kobj: the kobject of modes/<mode>/.
 * @attr: the attribute.
 * @buf: "0" or "1", with an optional newline.
 * @count: length of @buf.
 *
 * Turning stats off stops the sampling too (vmmgmt_guest_stats_enable()).
 * The host learns of it through the region header
 * (vmmgmt_guest_mode_set()).
 *
 * Context: process context; takes &vmmgmt_guest_dev.lock for reading,
 * &vmmgmt_guest_modes.lock and, for stats, &vmmgmt_guest_sampler.lock.
 * Return: @count; -EINVAL for anything but 0 or 1; -ENODEV after removal.
 */
static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct vmmgmt_guest_mode_dir *md = vmmgmt_guest_mode_dir(kobj);
	struct vmmgmt_guest_dev *vdev = md->vdev;
	ssize_t ret = count;
	u8 val;

	if (kstrtou8(buf, 10, &val) || val > 1)
		return -EINVAL;
	down_read(&vdev->lock);
	if (vdev->removed)
		ret = -ENODEV;
	else
		vmmgmt_guest_mode_set(vdev, md->mode, val);
	up_read(&vdev->lock);
	if (ret > 0 && !val && md->mode == VMMGMT_MODE_STATS)
		vmmgmt_guest_stats_enable(vdev, false);
	return ret;
}

static struct kobj_attribute vmmgmt_guest_mode_enabled = __ATTR_RW(enabled);

/* Shows the counter at byte @off of the mode's counters. */
static ssize_t vmmgmt_guest_mode_counter_emit(struct kobject *kobj, size_t off,
					      char *buf)
{
	struct vmmgmt_guest_mode_dir *md = vmmgmt_guest_mode_dir(kobj);
	atomic64_t *counter = (void *)vmmgmt_guest_mode_cnt(md->vdev, md->mode) +
			      off;

	return sysfs_emit(buf, "%llu\n", (u64)atomic64_read(counter));
}

/*
 * The read-only file @_name shows &vmmgmt_guest_mode_counters.@_field
 * (the same word: two arguments, so that none is used twice).
 */
#define VMMGMT_GUEST_MODE_COUNTER_ATTR(_name, _field)			\
static ssize_t mode_##_name##_show(struct kobject *kobj,		\
				   struct kobj_attribute *attr,		\
				   char *buf)				\
{									\
	return vmmgmt_guest_mode_counter_emit(kobj,			\
		offsetof(struct vmmgmt_guest_mode_counters, _field), buf);\
}									\
static struct kobj_attribute vmmgmt_guest_mode_##_name =		\
	__ATTR(_name, 0444, mode_##_name##_show, NULL)

VMMGMT_GUEST_MODE_COUNTER_ATTR(tx_msgs, tx_msgs);
VMMGMT_GUEST_MODE_COUNTER_ATTR(tx_bytes, tx_bytes);
VMMGMT_GUEST_MODE_COUNTER_ATTR(rx_msgs, rx_msgs);
VMMGMT_GUEST_MODE_COUNTER_ATTR(rx_bytes, rx_bytes);
VMMGMT_GUEST_MODE_COUNTER_ATTR(errors, errors);
VMMGMT_GUEST_MODE_COUNTER_ATTR(denials, denials);

static struct attribute *vmmgmt_guest_mode_attrs[] = {
	&vmmgmt_guest_mode_enabled.attr,
	&vmmgmt_guest_mode_tx_msgs.attr,
	&vmmgmt_guest_mode_tx_bytes.attr,
	&vmmgmt_guest_mode_rx_msgs.attr,
	&vmmgmt_guest_mode_rx_bytes.attr,
	&vmmgmt_guest_mode_errors.attr,
	&vmmgmt_guest_mode_denials.attr,
	NULL
};

static const struct attribute_group vmmgmt_guest_mode_group = {
	.attrs = vmmgmt_guest_mode_attrs,
};

/*
 * modes/stats/ also has the collector's settings and counts (&struct
 * vmmgmt_guest_sampler).  The device's stats_* aliases of ABI 0.6 are
 * gone in 0.7.
 */
static struct vmmgmt_guest_dev *vmmgmt_guest_mode_vdev(struct kobject *kobj)
{
	return vmmgmt_guest_dev_from_misc(kobj_to_dev(kobj->parent->parent));
}

static ssize_t sampling_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_mode_vdev(kobj);

	return sysfs_emit(buf, "%d\n", READ_ONCE(vdev->sampler.enabled));
}

/**
 * sampling_store() - start (1) or stop (0) sampling.
 * @kobj: modes/stats/.
 * @attr: the attribute.
 * @buf: "0" or "1" (what kstrtobool() accepts).
 * @count: length of @buf.
 *
 * See vmmgmt_guest_stats_enable().
 *
 * Context: process context; takes &vmmgmt_guest_sampler.lock.
 * Return: @count; -EINVAL; -EPERM to start while the statistics mode is
 * off.
 */
static ssize_t sampling_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	bool val;
	int ret;

	if (kstrtobool(buf, &val))
		return -EINVAL;
	ret = vmmgmt_guest_stats_enable(vmmgmt_guest_mode_vdev(kobj), val);
	return ret ? ret : count;
}

static struct kobj_attribute vmmgmt_guest_mode_sampling = __ATTR_RW(sampling);

static ssize_t period_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_mode_vdev(kobj);

	return sysfs_emit(buf, "%u\n", READ_ONCE(vdev->sampler.period_ms));
}

/**
 * period_ms_store() - set the sampling period.
 * @kobj: modes/stats/.
 * @attr: the attribute.
 * @buf: milliseconds, %VMMGMT_STATS_PERIOD_MIN_MS..%VMMGMT_STATS_PERIOD_MAX_MS.
 * @count: length of @buf.
 *
 * See vmmgmt_guest_stats_set_period().
 *
 * Context: process context; takes &vmmgmt_guest_sampler.lock.
 * Return: @count or -EINVAL.
 */
static ssize_t period_ms_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	u32 val;
	int ret;

	if (kstrtou32(buf, 0, &val))
		return -EINVAL;
	ret = vmmgmt_guest_stats_set_period(vmmgmt_guest_mode_vdev(kobj), val);
	return ret ? ret : count;
}

static struct kobj_attribute vmmgmt_guest_mode_period_ms = __ATTR_RW(period_ms);

static ssize_t samples_sent_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_mode_vdev(kobj);

	return sysfs_emit(buf, "%lld\n", atomic64_read(&vdev->sampler.sent));
}

static struct kobj_attribute vmmgmt_guest_mode_samples_sent =
	__ATTR_RO(samples_sent);

static ssize_t samples_failed_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct vmmgmt_guest_dev *vdev = vmmgmt_guest_mode_vdev(kobj);

	return sysfs_emit(buf, "%lld\n", atomic64_read(&vdev->sampler.failed));
}

static struct kobj_attribute vmmgmt_guest_mode_samples_failed =
	__ATTR_RO(samples_failed);

static struct attribute *vmmgmt_guest_mode_stats_attrs[] = {
	&vmmgmt_guest_mode_sampling.attr,
	&vmmgmt_guest_mode_period_ms.attr,
	&vmmgmt_guest_mode_samples_sent.attr,
	&vmmgmt_guest_mode_samples_failed.attr,
	NULL
};

/* The files of one mode's own group show in that mode's directory alone. */
static umode_t vmmgmt_guest_mode_own_visible(struct kobject *kobj,
					     unsigned int mode,
					     struct attribute *attr)
{
	return vmmgmt_guest_mode_dir(kobj)->mode == mode ? attr->mode : 0;
}

static umode_t vmmgmt_guest_mode_stats_visible(struct kobject *kobj,
					       struct attribute *attr, int n)
{
	return vmmgmt_guest_mode_own_visible(kobj, VMMGMT_MODE_STATS, attr);
}

static const struct attribute_group vmmgmt_guest_mode_stats_group = {
	.attrs = vmmgmt_guest_mode_stats_attrs,
	.is_visible = vmmgmt_guest_mode_stats_visible,
};

/*
 * modes/file/ also has dir: the directory its owner lets the host push
 * files into and pull files from (vmmgmt_guest_modes.c keeps it; the
 * guest's agent, vmmgmtctl file serve, uses it).
 */
static ssize_t dir_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return vmmgmt_guest_mode_file_dir_show(vmmgmt_guest_mode_dir(kobj)->vdev,
					       buf);
}

/**
 * dir_store() - the owner sets the directory for the host's file transfers.
 * @kobj: modes/file/.
 * @attr: the attribute.
 * @buf: an absolute path, with an optional trailing newline; empty (or a
 *	newline alone) for none.
 * @count: length of @buf.
 *
 * See vmmgmt_guest_mode_file_dir_set().
 *
 * Context: process context; takes &vmmgmt_guest_modes.lock.
 * Return: @count; -EINVAL; -ENAMETOOLONG; -ENOMEM.
 */
static ssize_t dir_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	int ret;

	ret = vmmgmt_guest_mode_file_dir_set(vmmgmt_guest_mode_dir(kobj)->vdev,
					     buf, count);
	return ret ? ret : count;
}

static struct kobj_attribute vmmgmt_guest_mode_file_dir = __ATTR_RW(dir);

static struct attribute *vmmgmt_guest_mode_file_attrs[] = {
	&vmmgmt_guest_mode_file_dir.attr,
	NULL
};

static umode_t vmmgmt_guest_mode_file_visible(struct kobject *kobj,
					      struct attribute *attr, int n)
{
	return vmmgmt_guest_mode_own_visible(kobj, VMMGMT_MODE_FILE, attr);
}

static const struct attribute_group vmmgmt_guest_mode_file_group = {
	.attrs = vmmgmt_guest_mode_file_attrs,
	.is_visible = vmmgmt_guest_mode_file_visible,
};

/* Every mode's directory: the common files, and its own (is_visible). */
static const struct attribute_group *vmmgmt_guest_mode_groups[] = {
	&vmmgmt_guest_mode_group,
	&vmmgmt_guest_mode_stats_group,
	&vmmgmt_guest_mode_file_group,
	NULL
};

static void vmmgmt_guest_mode_dir_release(struct kobject *kobj)
{
	kfree(vmmgmt_guest_mode_dir(kobj));
}

static const struct kobj_type vmmgmt_guest_mode_ktype = {
	.release = vmmgmt_guest_mode_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vmmgmt_guest_mode_groups,
};

/**
 * vmmgmt_guest_sysfs_modes_del() - remove modes/ and its directories.
 * @vdev: the device; vmmgmt_guest_sysfs_modes_add() ran, whatever it
 *	returned.
 *
 * After it returns no show() or store() of theirs runs.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_guest_sysfs_modes_del(struct vmmgmt_guest_dev *vdev)
{
	unsigned int m;

	for (m = 0; m < VMMGMT_MODE_MAX; m++) {
		if (!vdev->modes.dirs[m])
			continue;
		kobject_del(&vdev->modes.dirs[m]->kobj);
		kobject_put(&vdev->modes.dirs[m]->kobj);
		vdev->modes.dirs[m] = NULL;
	}
	kobject_put(vdev->modes.dir);
	vdev->modes.dir = NULL;
}

/**
 * vmmgmt_guest_sysfs_modes_add() - add modes/<mode>/ for every mode.
 * @vdev: the device, registered (its misc device's kobject exists).
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno; vmmgmt_guest_sysfs_modes_del() undoes
 * what was added either way.
 */
int vmmgmt_guest_sysfs_modes_add(struct vmmgmt_guest_dev *vdev)
{
	struct vmmgmt_guest_mode_dir *md;
	unsigned int m;
	int ret;

	vdev->modes.dir = kobject_create_and_add("modes",
						 &vdev->misc.this_device->kobj);
	if (!vdev->modes.dir)
		return -ENOMEM;
	for (m = 0; m < VMMGMT_MODE_MAX; m++) {
		if (!vmmgmt_guest_mode_user(m))
			continue;
		md = kzalloc(sizeof(*md), GFP_KERNEL);
		if (!md)
			return -ENOMEM;
		md->vdev = vdev;
		md->mode = m;
		/* @md->mode first: is_visible() reads it. */
		ret = kobject_init_and_add(&md->kobj, &vmmgmt_guest_mode_ktype,
					   vdev->modes.dir, "%s",
					   vmmgmt_mode_name(m));
		if (ret) {
			kobject_put(&md->kobj);
			return ret;
		}
		vdev->modes.dirs[m] = md;
	}
	return 0;
}
