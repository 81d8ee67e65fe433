// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: module init and exit.
 *
 * The management core for the virtual management devices of the VMs on
 * this host: /dev/vmmgmt-host, VM registration and one worker per VM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/stringify.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

static int __init vmmgmt_host_init(void)
{
	int ret;

	vmmgmt_host_watch_init();
	ret = vmmgmt_host_vm_init();
	if (ret)
		goto err_watch_exit;
	/* The character device is the last thing registered. */
	ret = vmmgmt_host_cdev_init();
	if (ret)
		goto err_vm_exit;
	pr_info("ABI %u.%u loaded\n", VMMGMT_ABI_MAJOR, VMMGMT_ABI_MINOR);
	return 0;

err_vm_exit:
	vmmgmt_host_vm_exit();
err_watch_exit:
	vmmgmt_host_watch_exit();
	pr_err("cannot register /dev/vmmgmt-host: %d\n", ret);
	return ret;
}

static void __exit vmmgmt_host_exit(void)
{
	/* The character device is the first thing removed. */
	vmmgmt_host_cdev_exit();
	/* A QEMU exit work that removed the last VM may still run. */
	vmmgmt_host_vm_exit();
	/* The hold of ports after a handover ends with the module. */
	vmmgmt_host_ep_exit();
	vmmgmt_host_watch_exit();
	vmmgmt_host_policy_exit();
}

module_init(vmmgmt_host_init);
module_exit(vmmgmt_host_exit);

MODULE_DESCRIPTION("vmmgmt virtual management device, host side");
MODULE_LICENSE("GPL");
/*
 * The highest VM state format (VMMGMT_HOST_HANDOVER_FORMAT) this module
 * imports; it imports 1 up to it.  vmmgmtd reads it from the .ko before
 * it stops anything ("vmmgmtctl upgrade").
 */
MODULE_INFO(vmmgmt_handover, __stringify(VMMGMT_HOST_HANDOVER_FORMAT));
