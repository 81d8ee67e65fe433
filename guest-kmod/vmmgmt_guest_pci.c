// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the PCI transport.
 *
 * Binds to QEMU's ivshmem-doorbell device (1af4:1110, revision 1) only
 * when its shared region (BAR2) carries a vmmgmt header of a compatible
 * ABI major version; any other ivshmem device is left unbound for its
 * own driver.  BAR0 holds the ivshmem registers, BAR1 the MSI-X table.
 *
 * The interrupt handler wakes writers waiting for ring space and queues
 * the rx work (vmmgmt_guest_link.c), which drains the host-to-guest ring.
 * Unbinding lets go of the channel without losing records and binding
 * again resumes it (vmmgmt_guest_link_unbind(), vmmgmt_guest_link_bind());
 * a system sleep quiesces the device and wakes it again (dev_pm_ops).
 *
 * Owns: module init and exit, the PCI driver, BAR mappings and
 * interrupts, the power management callbacks, the unbind mark in BAR0.
 * May call: every other file of the module, to set the device up in
 * probe, take it down in remove and quiesce it for a system sleep (the
 * top of the calls: nothing calls it).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm.h>
#include <linux/slab.h>

#include "vmmgmt_guest_compat.h"
#include "vmmgmt_guest.h"

#define VMMGMT_GUEST_PCI_VENDOR_ID	0x1af4	/* Red Hat, Inc. */
#define VMMGMT_GUEST_PCI_DEVICE_ID	0x1110	/* Inter-VM shared memory */
#define VMMGMT_GUEST_PCI_REVISION	1	/* QEMU's ivshmem-spec.txt */

#define VMMGMT_GUEST_BAR_REGS		0
#define VMMGMT_GUEST_BAR_REGION	2

/*
 * The mark a driver instance leaves in BAR0's Interrupt Mask register
 * when it let go of a channel the next instance may resume
 * (vmmgmt_guest_link_unbind()).  With MSI-X the register only stores what
 * is written (QEMU's ivshmem uses it for INTx alone, and bit 0 stays
 * clear so no INTx could ever be unmasked), it is the guest's own (the
 * host module never sees it), and a reset of the device, as at every
 * boot of the VM, sets it to 0: a mark found at probe was left in this
 * boot, by an instance whose open files are gone.
 */
#define VMMGMT_GUEST_MARK_UNBOUND	0x766d6d00

/**
 * vmmgmt_guest_map_region() - map BAR2 and check that it holds a vmmgmt region.
 * @vdev: the device being probed; sets @vdev->region and
 *	@vdev->region_size.
 *
 * A BAR2 of the wrong size, without the magic or with another ABI major
 * belongs to some other ivshmem user: say so in one line and let probe
 * fail with -ENODEV, which leaves the device unbound.
 *
 * BAR2 is mapped as normal write-back cached memory (memremap()), not
 * with the uncached ioremap() that suits registers: behind the BAR there
 * is no device but ordinary host RAM (the shared memory file QEMU maps),
 * kept coherent by the CPUs' caches like any RAM shared between threads.
 * The ring (lib/vmmgmt_ring.c) then works with plain loads and stores,
 * READ_ONCE()/WRITE_ONCE() and the smp_*() barriers, exactly as on the
 * host, and memcpy() of payloads runs at memory speed instead of one
 * uncached access per word.  On x86 memremap(MEMREMAP_WB) of a range that
 * is not system RAM is ioremap_cache().  Request and mapping are
 * device-managed and undone after remove returns.
 *
 * Context: process context (probe); may sleep.
 * Return: 0 for a vmmgmt region, -ENODEV for a foreign one, or another
 * negative errno if BAR2 could not be mapped.
 */
static int vmmgmt_guest_map_region(struct vmmgmt_guest_dev *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 size = pci_resource_len(pdev, VMMGMT_GUEST_BAR_REGION);
	resource_size_t start;
	u16 major, minor;
	u64 magic;

	static_assert(VMMGMT_REGION_MIN_SIZE >=
		      sizeof(struct vmmgmt_region_header));

	if (!(pci_resource_flags(pdev, VMMGMT_GUEST_BAR_REGION) &
	      IORESOURCE_MEM) ||
	    size < sizeof(struct vmmgmt_region_header)) {
		dev_info(&pdev->dev, "BAR2 cannot hold a vmmgmt header, not binding\n");
		return -ENODEV;
	}
	if (size < VMMGMT_REGION_MIN_SIZE || size > VMMGMT_REGION_MAX_SIZE) {
		dev_info(&pdev->dev, "BAR2 size %llu outside %llu..%llu, not binding\n",
			 size, VMMGMT_REGION_MIN_SIZE, VMMGMT_REGION_MAX_SIZE);
		return -ENODEV;
	}

	start = pci_resource_start(pdev, VMMGMT_GUEST_BAR_REGION);
	if (!devm_request_mem_region(&pdev->dev, start, size, KBUILD_MODNAME))
		return -EBUSY;
	vdev->region = devm_memremap(&pdev->dev, start, size, MEMREMAP_WB);
	if (IS_ERR(vdev->region))
		return PTR_ERR(vdev->region);
	vdev->region_size = size;

	magic = vmmgmt_guest_hdr_read64(vdev, VMMGMT_GUEST_HDR_OFF(magic));
	if (magic != VMMGMT_MAGIC) {
		dev_info(&pdev->dev, "no vmmgmt magic in BAR2 (%#llx), not binding\n",
			 magic);
		return -ENODEV;
	}
	vmmgmt_guest_hdr_read_abi(vdev, &major, &minor);
	if (major != VMMGMT_ABI_MAJOR) {
		dev_info(&pdev->dev, "vmmgmt ABI %u.%u in BAR2, driver speaks %u.x, not binding\n",
			 major, minor, VMMGMT_ABI_MAJOR);
		return -ENODEV;
	}
	return 0;
}

/**
 * vmmgmt_guest_irq() - the host notified us (any vector).
 * @irq: the Linux IRQ number.
 * @data: the device.
 *
 * The host interrupts when it posted records while the rx work was not
 * running, or when it freed space a writer waits for: wake the writers
 * and queue the rx work, which also re-checks the link state.
 *
 * Context: hard IRQ.
 * Return: IRQ_HANDLED.
 */
static irqreturn_t vmmgmt_guest_irq(int irq, void *data)
{
	struct vmmgmt_guest_dev *vdev = data;

	/* MSI-X: ivshmem needs no acknowledgment. */
	atomic64_inc(&vdev->counters.interrupts);
	trace_vmmgmt_guest_notify(vdev->vm_id, VMMGMT_TRACE_INTERRUPT);
	atomic_inc(&vdev->tx_seq);
	wake_up_all(&vdev->tx_wq);
	vmmgmt_guest_rx_queue(vdev);
	return IRQ_HANDLED;
}

/**
 * vmmgmt_guest_free_irqs() - free the first @count vectors' IRQs and all
 * vectors.
 * @vdev: the device.
 * @count: number of IRQs requested so far.
 *
 * Context: process context; may sleep (waits for running handlers).
 */
static void vmmgmt_guest_free_irqs(struct vmmgmt_guest_dev *vdev,
				   unsigned int count)
{
	while (count--)
		free_irq(pci_irq_vector(vdev->pdev, count), vdev);
	pci_free_irq_vectors(vdev->pdev);
}

/**
 * vmmgmt_guest_setup_irqs() - enable MSI-X and request an IRQ on every vector.
 * @vdev: the device being probed; sets @vdev->nvec.
 *
 * Asks for as many vectors as the device has and accepts as few as one.
 *
 * Context: process context (probe); may sleep.
 * Return: 0 on success, a negative errno otherwise (nothing left
 * allocated).
 */
static int vmmgmt_guest_setup_irqs(struct vmmgmt_guest_dev *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i;
	int nvec, ret;

	nvec = pci_msix_vec_count(pdev);
	if (nvec < 0) {
		dev_err(&pdev->dev, "no MSI-X capability (ivshmem vectors=0?)\n");
		return nvec;
	}
	nvec = pci_alloc_irq_vectors(pdev, 1, nvec, PCI_IRQ_MSIX);
	if (nvec < 0) {
		dev_err(&pdev->dev, "cannot allocate MSI-X vectors: %d\n", nvec);
		return nvec;
	}

	snprintf(vdev->irq_name, sizeof(vdev->irq_name), "%s@%s",
		 KBUILD_MODNAME, pci_name(pdev));
	for (i = 0; i < nvec; i++) {
		ret = request_irq(pci_irq_vector(pdev, i), vmmgmt_guest_irq, 0,
				  vdev->irq_name, vdev);
		if (ret) {
			dev_err(&pdev->dev, "cannot request IRQ for vector %u: %d\n",
				i, ret);
			vmmgmt_guest_free_irqs(vdev, i);
			return ret;
		}
	}
	vdev->nvec = nvec;
	return 0;
}

/**
 * vmmgmt_guest_probe() - bind to an ivshmem-doorbell device carrying a vmmgmt
 * region.
 * @pdev: the PCI device.
 * @id: the matching entry of vmmgmt_guest_pci_ids.
 *
 * The character device is registered last, once everything it can reach
 * is ready.  BAR mappings and the enable are device-managed (pcim_*).
 *
 * Context: process context; may sleep.
 * Return: 0 when bound, -ENODEV for an ivshmem device that is not ours,
 * another negative errno on failure.
 */
static int vmmgmt_guest_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct vmmgmt_guest_dev *vdev;
	bool resume;
	u32 vm_id;
	int ret;

	if (pdev->revision != VMMGMT_GUEST_PCI_REVISION) {
		dev_info(&pdev->dev, "ivshmem revision %u, not %u, not binding\n",
			 pdev->revision, VMMGMT_GUEST_PCI_REVISION);
		return -ENODEV;
	}

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	vdev = vmmgmt_guest_dev_alloc(pdev);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	ret = vmmgmt_guest_map_region(vdev);
	if (ret)
		goto err_put;

	vdev->regs = vmmgmt_guest_pcim_iomap_region(pdev, VMMGMT_GUEST_BAR_REGS,
						    KBUILD_MODNAME);
	if (IS_ERR(vdev->regs)) {
		ret = PTR_ERR(vdev->regs);
		goto err_put;
	}
	vdev->peer_id = ioread32(vdev->regs + VMMGMT_IVSHMEM_REG_IVPOSITION);
	vm_id = vmmgmt_guest_hdr_read32(vdev, VMMGMT_GUEST_HDR_OFF(vm_id));
	if (vm_id != vdev->peer_id)
		dev_warn(&pdev->dev, "header vm_id %u differs from IVPosition %u\n",
			 vm_id, vdev->peer_id);

	/* MSI-X messages are memory writes by the device. */
	pci_set_master(pdev);
	ret = vmmgmt_guest_setup_irqs(vdev);
	if (ret)
		goto err_clear_master;

	pci_set_drvdata(pdev, vdev);
	/*
	 * The channel an earlier instance of this boot let go of is resumed
	 * where it stopped; otherwise a clean channel for this instance,
	 * whatever an earlier driver (or boot) left in the rings: wait for
	 * the host's answer so that the link is up when the node appears.
	 * Not fatal: without a host, or with one older than ABI 0.2, the
	 * link follows the header as before.  The mark is cleared either
	 * way: only a clean unbind sets it again.
	 */
	resume = ioread32(vdev->regs + VMMGMT_IVSHMEM_REG_INTRMASK) ==
		 VMMGMT_GUEST_MARK_UNBOUND;
	iowrite32(0, vdev->regs + VMMGMT_IVSHMEM_REG_INTRMASK);
	ret = vmmgmt_guest_link_bind(vdev, resume);
	if (ret && ret != -EOPNOTSUPP && ret != -ENOTCONN)
		dev_warn(&pdev->dev, "the host did not acknowledge the channel reset (%d); link down until it does\n",
			 ret);
	ret = vmmgmt_guest_cdev_register(vdev);
	if (ret)
		goto err_free_irqs;

	dev_info(&pdev->dev, "/dev/%s: vm_id %u, peer_id %u, %llu byte region, %u vectors\n",
		 vdev->name, vm_id, vdev->peer_id, vdev->region_size,
		 vdev->nvec);
	return 0;

err_free_irqs:
	pci_set_drvdata(pdev, NULL);
	vmmgmt_guest_free_irqs(vdev, vdev->nvec);
	/* The watchdog queues the rx work: it stops first. */
	vmmgmt_guest_watch_stop(vdev);
	vmmgmt_guest_rx_shutdown(vdev);
err_clear_master:
	pci_clear_master(pdev);
err_put:
	vmmgmt_guest_watch_stop(vdev);
	vmmgmt_guest_dev_put(vdev);
	return ret;
}

/**
 * vmmgmt_guest_remove() - unbind, in the reverse order of vmmgmt_guest_probe().
 * @pdev: the PCI device.
 *
 * Open files keep the &struct vmmgmt_guest_dev alive but, once
 * vmmgmt_guest_cdev_unregister() returns, no longer touch the hardware nor
 * queue the rx work; once the interrupts are freed nothing else queues
 * it but the stall watchdog, stopped next, and its own periodic look;
 * vmmgmt_guest_rx_shutdown() stops both and waits for a running batch.
 * Then nothing posts nor consumes any more: vmmgmt_guest_link_unbind()
 * waits for the host to take what G2H holds and leaves H2G as it is, and
 * if the channel can be resumed the mark says so to the next instance
 * (vmmgmt_guest_probe()).  No reset is asked for.  The managed BAR
 * mappings go away after this function returns.
 *
 * Context: process context; may sleep (up to 2 s for the host).
 */
static void vmmgmt_guest_remove(struct pci_dev *pdev)
{
	struct vmmgmt_guest_dev *vdev = pci_get_drvdata(pdev);

	vmmgmt_guest_cdev_unregister(vdev);
	vmmgmt_guest_stats_stop(vdev);
	pci_set_drvdata(pdev, NULL);
	vmmgmt_guest_free_irqs(vdev, vdev->nvec);
	/* The watchdog queues the rx work: it stops first. */
	vmmgmt_guest_watch_stop(vdev);
	vmmgmt_guest_rx_shutdown(vdev);
	if (vmmgmt_guest_link_unbind(vdev))
		iowrite32(VMMGMT_GUEST_MARK_UNBOUND,
			  vdev->regs + VMMGMT_IVSHMEM_REG_INTRMASK);
	pci_clear_master(pdev);
	vmmgmt_guest_dev_put(vdev);
}

/**
 * vmmgmt_guest_suspend() - a system sleep begins (suspend, freeze, poweroff).
 * @dev: the PCI device's struct device.
 *
 * Quiesces the device without resetting anything: sampling, the rx work
 * (and its periodic look) and the stall watchdog stop; the rings, the
 * link and the files stay as they are.  User space is frozen already, so
 * no file posts meanwhile.
 *
 * Context: process context (the PM core); may sleep.
 * Return: 0.
 */
static int vmmgmt_guest_suspend(struct device *dev)
{
	struct vmmgmt_guest_dev *vdev = dev_get_drvdata(dev);

	/* The rx work first: a host request it takes could queue sampling. */
	vmmgmt_guest_rx_shutdown(vdev);
	vmmgmt_guest_stats_pause(vdev);
	vmmgmt_guest_watch_pause(vdev);
	atomic64_inc(&vdev->counters.suspends);
	dev_info(dev, "suspended: rx work, stall watchdog and sampling stopped (link %u)\n",
		 READ_ONCE(vdev->link_state));
	return 0;
}

/**
 * vmmgmt_guest_resume() - the system sleep ended (resume, thaw, restore).
 * @dev: the PCI device's struct device.
 *
 * Looks at the header again (a host that reset the channel meanwhile is
 * followed as any reset is), then restarts the rx work, runs it once (a
 * notification may have come while it was off), and restarts the stall
 * watchdog and sampling.
 *
 * Context: process context (the PM core); may sleep.
 * Return: 0.
 */
static int vmmgmt_guest_resume(struct device *dev)
{
	struct vmmgmt_guest_dev *vdev = dev_get_drvdata(dev);

	vmmgmt_guest_rx_resume(vdev);
	vmmgmt_guest_watch_arm(vdev);
	vmmgmt_guest_stats_resume(vdev);
	atomic64_inc(&vdev->counters.resumes);
	dev_info(dev, "resumed: link %u, generation %u\n",
		 READ_ONCE(vdev->link_state), READ_ONCE(vdev->link_gen));
	return 0;
}

static DEFINE_SIMPLE_DEV_PM_OPS(vmmgmt_guest_pm_ops, vmmgmt_guest_suspend,
				vmmgmt_guest_resume);

static const struct pci_device_id vmmgmt_guest_pci_ids[] = {
	{ PCI_DEVICE(VMMGMT_GUEST_PCI_VENDOR_ID, VMMGMT_GUEST_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmmgmt_guest_pci_ids);

static struct pci_driver vmmgmt_guest_pci_driver = {
	.name = "vmmgmt",
	.id_table = vmmgmt_guest_pci_ids,
	.probe = vmmgmt_guest_probe,
	.remove = vmmgmt_guest_remove,
	.driver.pm = pm_sleep_ptr(&vmmgmt_guest_pm_ops),
};

static int __init vmmgmt_guest_init(void)
{
	int ret;

	ret = vmmgmt_guest_watch_module_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&vmmgmt_guest_pci_driver);
	if (ret)
		vmmgmt_guest_watch_module_exit();
	return ret;
}

static void __exit vmmgmt_guest_exit(void)
{
	pci_unregister_driver(&vmmgmt_guest_pci_driver);
	vmmgmt_guest_watch_module_exit();
}

module_init(vmmgmt_guest_init);
module_exit(vmmgmt_guest_exit);

MODULE_DESCRIPTION("vmmgmt virtual management device, guest side (ivshmem-doorbell)");
MODULE_LICENSE("GPL");
