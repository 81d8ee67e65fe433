// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the character device /dev/vmmgmt (and
 * /dev/vmmgmt1, /dev/vmmgmt2, ... for further devices) with its ioctls
 * and its sysfs attributes (/sys/class/misc/vmmgmt/).
 *
 * Lifetime: an open file holds a reference to its &struct vmmgmt_dev, so
 * the structure outlives a PCI unbind.  File operations run under
 * &vmmgmt_dev.lock held for reading and give -ENODEV once the device is
 * marked removed; vmmgmt_cdev_unregister() marks it with the lock held
 * for writing, which waits for operations in flight.  Sysfs attributes
 * need no such check: misc_deregister() removes them and waits for
 * running show() calls before the device is torn down.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "vmmgmt_guest.h"

/* Numbers the misc devices: 0 is "vmmgmt", N is "vmmgmtN". */
static DEFINE_IDA(vmmgmt_minor_ida);

static struct vmmgmt_dev *vmmgmt_dev_from_misc(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct vmmgmt_dev, misc);
}

/**
 * vmmgmt_open() - open /dev/vmmgmt*; the file takes a device reference.
 * @inode: the device node.
 * @file: the new file; the misc core set private_data to our miscdevice.
 *
 * The misc core calls this with misc_mtx held, and misc_deregister() takes
 * misc_mtx too, so the device cannot be unregistered (nor its driver
 * reference dropped) before kref_get() below.
 *
 * Context: process context, misc_mtx held by the caller.
 * Return: 0, or a negative errno from stream_open().
 */
static int vmmgmt_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct vmmgmt_dev *vdev = container_of(misc, struct vmmgmt_dev, misc);
	int ret;

	ret = stream_open(inode, file);
	if (ret)
		return ret;
	kref_get(&vdev->kref);
	file->private_data = vdev;
	return 0;
}

static int vmmgmt_release(struct inode *inode, struct file *file)
{
	vmmgmt_dev_put(file->private_data);
	return 0;
}

/*
 * The data path (rings in BAR2) is the next step: until the channel
 * exists, read() and write() report that nothing is connected.
 */
static ssize_t vmmgmt_read(struct file *file, char __user *buf, size_t len,
			   loff_t *ppos)
{
	struct vmmgmt_dev *vdev = file->private_data;
	ssize_t ret;

	down_read(&vdev->lock);
	ret = vdev->removed ? -ENODEV : -ENOTCONN;
	up_read(&vdev->lock);
	return ret;
}

static ssize_t vmmgmt_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	struct vmmgmt_dev *vdev = file->private_data;
	ssize_t ret;

	down_read(&vdev->lock);
	ret = vdev->removed ? -ENODEV : -ENOTCONN;
	up_read(&vdev->lock);
	return ret;
}

/**
 * vmmgmt_ioctl_get_version() - VMMGMT_IOC_GET_VERSION.
 * @vdev: the file's device.
 * @uarg: user pointer to a &struct vmmgmt_version.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENODEV if the device was removed, -EFAULT on a bad pointer.
 */
static long vmmgmt_ioctl_get_version(struct vmmgmt_dev *vdev,
				     void __user *uarg)
{
	struct vmmgmt_version ver = {
		.abi_major = VMMGMT_ABI_MAJOR,
		.abi_minor = VMMGMT_ABI_MINOR,
	};
	bool removed;

	down_read(&vdev->lock);
	removed = vdev->removed;
	up_read(&vdev->lock);
	if (removed)
		return -ENODEV;

	if (copy_to_user(uarg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_ioctl_get_info() - VMMGMT_IOC_GET_INFO.
 * @vdev: the file's device.
 * @uarg: user pointer to a &struct vmmgmt_info.
 *
 * Copies what it needs from the header (which the host may rewrite at
 * any time) under the lock, then copies to user space without it.
 *
 * Context: process context; may sleep.  Takes &vmmgmt_dev.lock for
 * reading.
 * Return: 0, -ENODEV if the device was removed, -EFAULT on a bad pointer.
 */
static long vmmgmt_ioctl_get_info(struct vmmgmt_dev *vdev, void __user *uarg)
{
	struct vmmgmt_info info = { };

	down_read(&vdev->lock);
	if (vdev->removed) {
		up_read(&vdev->lock);
		return -ENODEV;
	}
	info.vm_id = vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(vm_id));
	info.peer_id = vdev->peer_id;
	info.link_state = vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(link_state));
	info.host_id = vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(host_id));
	info.region_size = vdev->region_size;
	vmmgmt_hdr_read_abi(vdev, &info.abi_major, &info.abi_minor);
	info.vectors = vdev->nvec;
	up_read(&vdev->lock);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/**
 * vmmgmt_ioctl() - ioctl dispatcher of /dev/vmmgmt*.
 * @file: the open file.
 * @cmd: ioctl number, see uapi/vmmgmt.h.
 * @arg: user pointer argument.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -ENOTTY for an unknown @cmd, otherwise the
 * errors listed in uapi/vmmgmt.h for @cmd.
 */
static long vmmgmt_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vmmgmt_dev *vdev = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMMGMT_IOC_GET_VERSION:
		return vmmgmt_ioctl_get_version(vdev, uarg);
	case VMMGMT_IOC_GET_INFO:
		return vmmgmt_ioctl_get_info(vdev, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmmgmt_fops = {
	.owner = THIS_MODULE,
	.open = vmmgmt_open,
	.release = vmmgmt_release,
	.read = vmmgmt_read,
	.write = vmmgmt_write,
	.unlocked_ioctl = vmmgmt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * vmmgmt_link_state_name() - name of a link state for sysfs.
 * @state: a value of &enum vmmgmt_link_state, as read from the header.
 *
 * Context: any.
 * Return: "down", "up", "broken", or "unknown" for any other value.
 */
static const char *vmmgmt_link_state_name(u32 state)
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
	struct vmmgmt_dev *vdev = vmmgmt_dev_from_misc(dev);
	u16 major, minor;

	vmmgmt_hdr_read_abi(vdev, &major, &minor);
	return sysfs_emit(buf, "%u.%u\n", major, minor);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t vm_id_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vmmgmt_dev *vdev = vmmgmt_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n",
			  vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(vm_id)));
}
static DEVICE_ATTR_RO(vm_id);

static ssize_t peer_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_dev_from_misc(dev)->peer_id);
}
static DEVICE_ATTR_RO(peer_id);

static ssize_t host_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct vmmgmt_dev *vdev = vmmgmt_dev_from_misc(dev);

	return sysfs_emit(buf, "%u\n",
			  vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(host_id)));
}
static DEVICE_ATTR_RO(host_id);

static ssize_t link_state_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vmmgmt_dev *vdev = vmmgmt_dev_from_misc(dev);
	u32 state = vmmgmt_hdr_read32(vdev, VMMGMT_HDR_OFF(link_state));

	return sysfs_emit(buf, "%s\n", vmmgmt_link_state_name(state));
}
static DEVICE_ATTR_RO(link_state);

static ssize_t region_size_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  vmmgmt_dev_from_misc(dev)->region_size);
}
static DEVICE_ATTR_RO(region_size);

static ssize_t vectors_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vmmgmt_dev_from_misc(dev)->nvec);
}
static DEVICE_ATTR_RO(vectors);

static ssize_t interrupts_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vmmgmt_dev *vdev = vmmgmt_dev_from_misc(dev);

	return sysfs_emit(buf, "%llu\n",
			  (u64)atomic64_read(&vdev->interrupts));
}
static DEVICE_ATTR_RO(interrupts);

static struct attribute *vmmgmt_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_vm_id.attr,
	&dev_attr_peer_id.attr,
	&dev_attr_host_id.attr,
	&dev_attr_link_state.attr,
	&dev_attr_region_size.attr,
	&dev_attr_vectors.attr,
	&dev_attr_interrupts.attr,
	NULL
};
ATTRIBUTE_GROUPS(vmmgmt);

/**
 * vmmgmt_cdev_register() - create /dev/vmmgmt* and its sysfs attributes.
 * @vdev: a fully set up device; nothing may fail after this in probe.
 *
 * Context: process context; may sleep.
 * Return: 0, or a negative errno (nothing left registered).
 */
int vmmgmt_cdev_register(struct vmmgmt_dev *vdev)
{
	int ret;

	ret = ida_alloc(&vmmgmt_minor_ida, GFP_KERNEL);
	if (ret < 0)
		return ret;
	vdev->minor_id = ret;
	if (vdev->minor_id)
		snprintf(vdev->name, sizeof(vdev->name), "vmmgmt%u",
			 vdev->minor_id);
	else
		strscpy(vdev->name, "vmmgmt", sizeof(vdev->name));

	vdev->misc.minor = MISC_DYNAMIC_MINOR;
	vdev->misc.name = vdev->name;
	vdev->misc.fops = &vmmgmt_fops;
	vdev->misc.parent = &vdev->pdev->dev;
	vdev->misc.groups = vmmgmt_groups;
	ret = misc_register(&vdev->misc);
	if (ret)
		goto err_free_minor_id;
	return 0;

err_free_minor_id:
	ida_free(&vmmgmt_minor_ida, vdev->minor_id);
	return ret;
}

/**
 * vmmgmt_cdev_unregister() - remove /dev/vmmgmt* and detach open files.
 * @vdev: the device.
 *
 * After this returns no new file can be opened, no sysfs show() runs,
 * and every file operation, current or future, has stopped touching the
 * hardware: files still open get -ENODEV.
 *
 * Context: process context; may sleep.  Takes misc_mtx (in
 * misc_deregister()), then &vmmgmt_dev.lock for writing.
 */
void vmmgmt_cdev_unregister(struct vmmgmt_dev *vdev)
{
	misc_deregister(&vdev->misc);
	ida_free(&vmmgmt_minor_ida, vdev->minor_id);

	down_write(&vdev->lock);
	vdev->removed = true;
	up_write(&vdev->lock);
}
