// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the modes the guest's owner turns on and off (ABI
 * 0.6): which are on, each mode's counters, and telling the host
 * (&vmmgmt_region_header.guest_modes).
 *
 * It owns &vmmgmt_guest_dev.modes and nothing else.  It calls no other
 * file of the module: the files above it ask it whether a mode is on
 * (the char device for SET_MODE and write(), the link layer for records
 * from the host, the collector for sampling) and count through the
 * inline helpers of vmmgmt_guest.h; sysfs switches modes through
 * vmmgmt_guest_mode_set().
 *
 * It also keeps the directory the owner grants the host for host-initiated
 * file transfers (sysfs modes/file/dir, &vmmgmt_guest_modes.file_dir): a
 * string for the guest's agent (vmmgmtctl file serve), which reads it for
 * every stream of the host and does all the file I/O in userspace.  The
 * module never opens it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "vmmgmt_guest.h"

/**
 * vmmgmt_guest_modes_init() - the modes of a device being probed.
 * @vdev: the device.
 *
 * Chat and stats on, file, calc and cmd off (%VMMGMT_MODES_DEFAULT);
 * every counter zero.
 *
 * Context: process context, before the device is visible.
 */
void vmmgmt_guest_modes_init(struct vmmgmt_guest_dev *vdev)
{
	mutex_init(&vdev->modes.lock);
	vdev->modes.enabled = VMMGMT_MODES_DEFAULT;
}

/**
 * vmmgmt_guest_modes_free() - free what the modes hold.
 * @vdev: the device, being released (no sysfs file of it is left).
 *
 * Context: process context.
 */
void vmmgmt_guest_modes_free(struct vmmgmt_guest_dev *vdev)
{
	kfree(vdev->modes.file_dir);
	vdev->modes.file_dir = NULL;
}

/* Write the mask to the header.  Context: modes.lock held; BAR2 mapped. */
static void vmmgmt_guest_modes_write(struct vmmgmt_guest_dev *vdev)
{
	vmmgmt_guest_hdr_write32(vdev, VMMGMT_GUEST_HDR_OFF(guest_modes),
				 READ_ONCE(vdev->modes.enabled));
}

/**
 * vmmgmt_guest_modes_publish() - tell the host which modes are on.
 * @vdev: the device; BAR2 mapped (not removed, or the link setup).
 *
 * The host clears &vmmgmt_region_header.guest_modes whenever it lays the
 * region out, so the link layer calls this at every ring setup, after it
 * accepted %VMMGMT_F_MODES; vmmgmt_guest_mode_set() calls it on every
 * change.  Advice for the host's tools only: refusals are decided here.
 *
 * Context: process context; takes &vmmgmt_guest_modes.lock.
 */
void vmmgmt_guest_modes_publish(struct vmmgmt_guest_dev *vdev)
{
	mutex_lock(&vdev->modes.lock);
	vmmgmt_guest_modes_write(vdev);
	mutex_unlock(&vdev->modes.lock);
}

/**
 * vmmgmt_guest_mode_set() - turn a mode on or off.
 * @vdev: the device; BAR2 mapped (&vmmgmt_guest_dev.lock held for
 *	reading, not removed).
 * @mode: one of %VMMGMT_MODES_USER.
 * @on: on or off.
 *
 * Files keep their mode: a file whose mode is off gets EPERM from
 * write(), and records of the mode from the host are refused.  Turning
 * stats off does not stop the sampling by itself: the caller does that
 * (vmmgmt_guest_stats_set()).
 *
 * Context: process context; takes &vmmgmt_guest_modes.lock.
 * Return: true if the mode changed.
 */
bool vmmgmt_guest_mode_set(struct vmmgmt_guest_dev *vdev, unsigned int mode,
			   bool on)
{
	u32 old, new;

	mutex_lock(&vdev->modes.lock);
	old = vdev->modes.enabled;
	new = on ? old | VMMGMT_MODE_BIT(mode) : old & ~VMMGMT_MODE_BIT(mode);
	WRITE_ONCE(vdev->modes.enabled, new);
	if (READ_ONCE(vdev->features) & VMMGMT_F_MODES)
		vmmgmt_guest_modes_write(vdev);
	mutex_unlock(&vdev->modes.lock);
	if (old != new)
		dev_info(&vdev->pdev->dev, "mode %s %s\n",
			 vmmgmt_mode_name(mode), on ? "on" : "off");
	return old != new;
}

/**
 * vmmgmt_guest_mode_file_dir_set() - set or clear the owner's directory
 * for host-initiated file transfers (sysfs modes/file/dir).
 * @vdev: the device.
 * @buf: an absolute path with an optional trailing newline (as echo
 *	writes it), or nothing (a newline alone) for no directory.
 * @count: bytes of @buf.
 *
 * Only the string is kept: whether the path exists, is a directory or is
 * a sensible place is for the guest's agent to find out when the host
 * asks (it refuses then).
 *
 * Context: process context; takes &vmmgmt_guest_modes.lock.
 * Return: 0; -EINVAL (not absolute, a newline or NUL inside); -ENAMETOOLONG
 * (PATH_MAX bytes or more, the trailing newline not counted); -ENOMEM.
 */
int vmmgmt_guest_mode_file_dir_set(struct vmmgmt_guest_dev *vdev,
				   const char *buf, size_t count)
{
	size_t len = count;
	char *dir = NULL;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (len) {
		if (buf[0] != '/' || memchr(buf, '\n', len) ||
		    memchr(buf, '\0', len))
			return -EINVAL;
		dir = kmemdup_nul(buf, len, GFP_KERNEL);
		if (!dir)
			return -ENOMEM;
	}
	mutex_lock(&vdev->modes.lock);
	swap(vdev->modes.file_dir, dir);
	mutex_unlock(&vdev->modes.lock);
	kfree(dir);
	dev_info(&vdev->pdev->dev, "file mode: %s directory for the host\n",
		 len ? "a" : "no");
	return 0;
}

/**
 * vmmgmt_guest_mode_file_dir_show() - the owner's directory for sysfs.
 * @vdev: the device.
 * @buf: the sysfs page.
 *
 * The path and a newline; a newline alone when none is set.  A path of
 * PATH_MAX - 1 bytes fills the page: it is shown without the newline.
 *
 * Context: process context; takes &vmmgmt_guest_modes.lock.
 * Return: the bytes written to @buf.
 */
ssize_t vmmgmt_guest_mode_file_dir_show(struct vmmgmt_guest_dev *vdev,
					char *buf)
{
	ssize_t ret;

	mutex_lock(&vdev->modes.lock);
	ret = sysfs_emit(buf, "%s\n", vdev->modes.file_dir ?: "");
	mutex_unlock(&vdev->modes.lock);
	return ret;
}
