// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the device object, &struct vmmgmt_guest_dev.
 * vmmgmt_guest_dev_alloc() makes one with every part initialised (locks,
 * work items, the port table, the statistics collector, the stall
 * watchdog, the flow control, the handlers of the modes and the stream
 * hooks above the link); the PCI transport holds one reference from probe
 * to remove, every open file one more, and the last vmmgmt_guest_dev_put()
 * frees it, whichever comes last.
 *
 * Owns: allocation, references and release of the device.  May call: the
 * names (vmmgmt_guest_names.c), the statistics collector
 * (vmmgmt_guest_stats.c), the streams (vmmgmt_guest_stream.c), the link
 * (vmmgmt_guest_link.c), the flow control (vmmgmt_guest_flow.c), the
 * modes (vmmgmt_guest_modes.c) and the stall watchdog
 * (vmmgmt_guest_watchdog.c), to set up and free their parts.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "vmmgmt_guest.h"

static void vmmgmt_guest_dev_release(struct kref *kref)
{
	struct vmmgmt_guest_dev *vdev = container_of(kref,
						     struct vmmgmt_guest_dev,
						     kref);

	vmmgmt_guest_streams_free(vdev);
	vmmgmt_guest_names_free_all(vdev);
	vmmgmt_guest_stats_free(vdev);
	vmmgmt_guest_modes_free(vdev);
	xa_destroy(&vdev->ports);
	kvfree(vdev->rx_buf);
	mutex_destroy(&vdev->tx_lock);
	mutex_destroy(&vdev->rx_lock);
	kfree(vdev);
}

/**
 * vmmgmt_guest_dev_put() - drop a reference to a device.
 * @vdev: the device.
 *
 * The last reference, from the driver or from an open file, frees it.
 *
 * Context: process context.
 */
void vmmgmt_guest_dev_put(struct vmmgmt_guest_dev *vdev)
{
	kref_put(&vdev->kref, vmmgmt_guest_dev_release);
}

/**
 * vmmgmt_guest_dev_alloc() - allocate the device of a PCI function.
 * @pdev: the PCI device being probed.
 *
 * The device starts with one reference (the driver's), the link down, no
 * BAR mapped and no work item running (nor, until
 * vmmgmt_guest_link_bind(), the rx work doing anything); its stall watchdog's debugfs
 * directory exists (vmmgmt_guest_watch_stop() removes it).
 *
 * Context: process context (probe); may sleep.
 * Return: the device, or ERR_PTR(-ENOMEM).  vmmgmt_guest_dev_put() frees
 * it.
 */
struct vmmgmt_guest_dev *vmmgmt_guest_dev_alloc(struct pci_dev *pdev)
{
	struct vmmgmt_guest_dev *vdev;

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	kref_init(&vdev->kref);
	init_rwsem(&vdev->lock);
	mutex_init(&vdev->rx_lock);
	mutex_init(&vdev->tx_lock);
	INIT_WORK(&vdev->rx_work, vmmgmt_guest_rx_work);
	INIT_DELAYED_WORK(&vdev->rx_poll, vmmgmt_guest_rx_poll);
	vdev->pdev = pdev;
	vmmgmt_guest_watch_init(vdev);
	init_waitqueue_head(&vdev->tx_wq);
	xa_init_flags(&vdev->ports, XA_FLAGS_ALLOC);
	INIT_LIST_HEAD(&vdev->eps);
	INIT_LIST_HEAD(&vdev->ctrl_reqs);
	/*
	 * Ids unlike an earlier instance's, whose answers may still come on
	 * a resumed channel (vmmgmt_guest_link_bind()).
	 */
	vdev->ctrl_next_id = get_random_u32();
	init_waitqueue_head(&vdev->ctrl_wq);
	vdev->rx_mode[VMMGMT_MODE_CTRL] = vmmgmt_guest_names_rx;
	vdev->rx_mode[VMMGMT_MODE_STATS] = vmmgmt_guest_stats_rx;
	vmmgmt_guest_streams_init(vdev);
	vdev->rx_stream = vmmgmt_guest_stream_rx;
	vdev->peer_gone = vmmgmt_guest_stream_peer_gone;
	vdev->link_changed = vmmgmt_guest_stream_link_changed;
	vmmgmt_guest_flow_init(vdev);
	vmmgmt_guest_modes_init(vdev);
	vdev->link_state = VMMGMT_LINK_DOWN;
	/*
	 * No rx work until vmmgmt_guest_link_bind() decided how to take the
	 * channel over: an interrupt pending from before must not set the
	 * rings up first.
	 */
	vdev->rx_off = true;
	vdev->rx_buf = kvmalloc(VMMGMT_MSG_MAX, GFP_KERNEL);
	if (!vdev->rx_buf || vmmgmt_guest_stats_init(vdev)) {
		vmmgmt_guest_watch_stop(vdev);
		vmmgmt_guest_dev_put(vdev);
		return ERR_PTR(-ENOMEM);
	}
	return vdev;
}
