// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the character device /dev/vmmgmt-host (root only,
 * mode 0600) and its sysfs attributes (/sys/class/misc/vmmgmt-host/).
 *
 * Ioctl numbers 0x00-0x3f of VMMGMT_IOC_MAGIC belong to this device; see
 * uapi/vmmgmt.h.  Each ioctl has its own handler, called from
 * vmmgmt_host_ioctl().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/**
 * vmmgmt_host_ioctl_get_version() - VMMGMT_HOST_IOC_GET_VERSION.
 * @uarg: user pointer to a &struct vmmgmt_version.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EFAULT on a bad pointer.
 */
static long vmmgmt_host_ioctl_get_version(void __user *uarg)
{
	struct vmmgmt_version ver = {
		.abi_major = VMMGMT_ABI_MAJOR,
		.abi_minor = VMMGMT_ABI_MINOR,
	};

	if (copy_to_user(uarg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_host_ioctl() - ioctl dispatcher of /dev/vmmgmt-host.
 * @file: the open file.
 * @cmd: ioctl number, see uapi/vmmgmt.h.
 * @arg: user pointer argument.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -ENOTTY for an unknown @cmd, otherwise the
 * errors listed in uapi/vmmgmt.h for @cmd.
 */
static long vmmgmt_host_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMMGMT_HOST_IOC_GET_VERSION:
		return vmmgmt_host_ioctl_get_version(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmgmt_host_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vmmgmt_host_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u.%u\n", VMMGMT_ABI_MAJOR, VMMGMT_ABI_MINOR);
}
static DEVICE_ATTR_RO(abi_version);

static struct attribute *vmmgmt_host_attrs[] = {
	&dev_attr_abi_version.attr,
	NULL
};
ATTRIBUTE_GROUPS(vmmgmt_host);

static struct miscdevice vmmgmt_host_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmmgmt-host",
	.fops = &vmmgmt_host_fops,
	.groups = vmmgmt_host_groups,
	.mode = 0600,
};

/**
 * vmmgmt_host_cdev_init() - register /dev/vmmgmt-host.
 *
 * Context: process context (module init); may sleep.
 * Return: 0, or a negative errno from misc_register().
 */
int vmmgmt_host_cdev_init(void)
{
	return misc_register(&vmmgmt_host_misc);
}

/**
 * vmmgmt_host_cdev_exit() - unregister /dev/vmmgmt-host.
 *
 * Open files keep the module (and so the file operations) alive through
 * &file_operations.owner.
 *
 * Context: process context (module exit); may sleep.
 */
void vmmgmt_host_cdev_exit(void)
{
	misc_deregister(&vmmgmt_host_misc);
}
