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
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/pci.h>

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
