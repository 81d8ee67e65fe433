// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the character device /dev/vmmgmt-host (root only,
 * mode 0600) and its sysfs attributes (/sys/class/misc/vmmgmt-host/);
 * the per-VM directories below vms/ are vmmgmt_host_sysfs.c's.
 *
 * Ioctl numbers 0x00-0x3f of VMMGMT_IOC_MAGIC belong to this device; see
 * uapi/vmmgmt.h.  Each ioctl has its own handler, called from
 * vmmgmt_host_ioctl().  Every open file is also a host endpoint
 * (vmmgmt_host_ep.c): its private data.  A file that became a stream
 * (VMMGMT_HOST_IOC_STREAM_CONNECT) reads, writes and polls as one
 * (vmmgmt_host_stream.c); a listener adds its accept queue to poll().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
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
 * vmmgmt_host_ioctl_add_vm() - VMMGMT_HOST_IOC_ADD_VM.
 * @file: the open file; it owns the VM.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_add.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_add(), or -EFAULT.
 */
static long vmmgmt_host_ioctl_add_vm(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_vm_add req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return vmmgmt_host_vm_add(file, &req);
}

/**
 * vmmgmt_host_ioctl_del_vm() - VMMGMT_HOST_IOC_DEL_VM.
 * @file: the open file.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_del.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_del(), or -EFAULT.
 */
static long vmmgmt_host_ioctl_del_vm(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_vm_del req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return vmmgmt_host_vm_del(file, &req);
}

/**
 * vmmgmt_host_ioctl_list_vms() - VMMGMT_HOST_IOC_LIST_VMS.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_list.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_list(), or -EFAULT, -ENOMEM.
 */
static long vmmgmt_host_ioctl_list_vms(void __user *uarg)
{
	struct vmmgmt_host_vm_list *list;
	long ret;

	/* 1312 bytes: not for the stack. */
	list = memdup_user(uarg, sizeof(*list));
	if (IS_ERR(list))
		return PTR_ERR(list);
	ret = vmmgmt_host_vm_list(list);
	if (!ret && copy_to_user(uarg, list, sizeof(*list)))
		ret = -EFAULT;
	kfree(list);
	return ret;
}

/**
 * vmmgmt_host_ioctl_adopt_vm() - VMMGMT_HOST_IOC_ADOPT_VM.
 * @file: the open file; it becomes the VM's owner.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_adopt.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_adopt(), or -EFAULT.
 */
static long vmmgmt_host_ioctl_adopt_vm(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_vm_adopt req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return vmmgmt_host_vm_adopt(file, &req);
}

/**
 * vmmgmt_host_ioctl_quiesce() - VMMGMT_HOST_IOC_QUIESCE.
 * @file: the open file; only it may export the VMs and resume.
 * @uarg: user pointer to a &struct vmmgmt_host_quiesce.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_quiesce(), or -EFAULT (the
 * module is quiesced even so: the caller resumes or closes the file).
 */
static long vmmgmt_host_ioctl_quiesce(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_quiesce req;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = vmmgmt_host_vm_quiesce(file, &req);
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

/**
 * vmmgmt_host_ioctl_import_vm() - VMMGMT_HOST_IOC_IMPORT_VM.
 * @file: the open file; it owns the VM.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_import.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_import(), or -EFAULT.
 */
static long vmmgmt_host_ioctl_import_vm(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_vm_import req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return vmmgmt_host_vm_import(file, &req);
}

/**
 * vmmgmt_host_ioctl_resume() - VMMGMT_HOST_IOC_RESUME.
 * @file: the open file.
 * @uarg: user pointer to a &struct vmmgmt_host_quiesce.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of vmmgmt_host_vm_resume(), or -EFAULT.
 */
static long vmmgmt_host_ioctl_resume(struct file *file, void __user *uarg)
{
	struct vmmgmt_host_quiesce req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return vmmgmt_host_vm_resume(file, &req);
}

/**
 * vmmgmt_host_ioctl_stream() - the stream ioctls.
 * @file: the open file.
 * @cmd: VMMGMT_HOST_IOC_STREAM_*.
 * @uarg: the user pointer argument.
 *
 * Context: process context; may sleep.
 * Return: the errors of the stream calls; -ESHUTDOWN while a handover has
 * the endpoints frozen (a stream cannot move to the next module).
 */
static long vmmgmt_host_ioctl_stream(struct file *file, unsigned int cmd,
				     void __user *uarg)
{
	if (vmmgmt_host_ep_frozen())
		return -ESHUTDOWN;
	switch (cmd) {
	case VMMGMT_HOST_IOC_STREAM_CONNECT:
		return vmmgmt_host_stream_connect(file->private_data, uarg);
	case VMMGMT_HOST_IOC_STREAM_LISTEN:
		return vmmgmt_host_stream_listen(file->private_data, uarg);
	case VMMGMT_HOST_IOC_STREAM_ACCEPT:
		return vmmgmt_host_stream_accept(file->private_data, file, uarg);
	default:
		return vmmgmt_host_stream_shutdown(file->private_data);
	}
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
	case VMMGMT_HOST_IOC_ADD_VM:
		return vmmgmt_host_ioctl_add_vm(file, uarg);
	case VMMGMT_HOST_IOC_DEL_VM:
		return vmmgmt_host_ioctl_del_vm(file, uarg);
	case VMMGMT_HOST_IOC_LIST_VMS:
		return vmmgmt_host_ioctl_list_vms(uarg);
	case VMMGMT_HOST_IOC_ADOPT_VM:
		return vmmgmt_host_ioctl_adopt_vm(file, uarg);
	case VMMGMT_HOST_IOC_BIND:
		return vmmgmt_host_ep_bind(file->private_data, uarg);
	case VMMGMT_HOST_IOC_PUBLISH:
		return vmmgmt_host_ep_publish(file->private_data, uarg);
	case VMMGMT_HOST_IOC_LOOKUP:
		return vmmgmt_host_ep_lookup(uarg);
	case VMMGMT_HOST_IOC_SET_TIMEOUT:
		return vmmgmt_host_ep_set_timeout(file->private_data, uarg);
	case VMMGMT_HOST_IOC_STREAM_CONNECT:
	case VMMGMT_HOST_IOC_STREAM_LISTEN:
	case VMMGMT_HOST_IOC_STREAM_ACCEPT:
	case VMMGMT_HOST_IOC_STREAM_SHUTDOWN:
		return vmmgmt_host_ioctl_stream(file, cmd, uarg);
	case VMMGMT_HOST_IOC_QUIESCE:
		return vmmgmt_host_ioctl_quiesce(file, uarg);
	case VMMGMT_HOST_IOC_EXPORT_VM:
		return vmmgmt_host_vm_export(file, uarg);
	case VMMGMT_HOST_IOC_IMPORT_VM:
		return vmmgmt_host_ioctl_import_vm(file, uarg);
	case VMMGMT_HOST_IOC_RESUME:
		return vmmgmt_host_ioctl_resume(file, uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * vmmgmt_host_open() - open /dev/vmmgmt-host: a new, unbound endpoint.
 * @inode: the inode.
 * @file: the file.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOMEM, or -EAGAIN while a handover has the module frozen.
 */
static int vmmgmt_host_open(struct inode *inode, struct file *file)
{
	/* Being replaced: a new file would keep the old module loaded. */
	if (vmmgmt_host_ep_frozen())
		return -EAGAIN;
	/* misc_open() left the miscdevice here; the endpoint replaces it. */
	file->private_data = vmmgmt_host_ep_alloc(file);
	if (!file->private_data)
		return -ENOMEM;
	return nonseekable_open(inode, file);
}

/**
 * vmmgmt_host_release() - the last reference to an open file went away.
 * @inode: unused.
 * @file: the file; every VM it owns is removed (the PERSIST ones are
 *	orphaned instead), its stream or listener closed, its port unbound.
 *
 * Context: process context; may sleep.
 * Return: 0.
 */
static int vmmgmt_host_release(struct inode *inode, struct file *file)
{
	vmmgmt_host_vm_release_file(file);
	vmmgmt_host_stream_ep_release(file->private_data);
	vmmgmt_host_ep_release(file->private_data);
	return 0;
}

/*
 * read_iter and write_iter: one record per call, or the stream's bytes
 * once the file is a stream.
 */
static ssize_t vmmgmt_host_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vmmgmt_host_ep *ep = iocb->ki_filp->private_data;
	struct vmmgmt_host_stream *s = READ_ONCE(ep->stream);
	bool nonblock = vmmgmt_host_iocb_nonblock(iocb);

	if (s)
		return vmmgmt_host_stream_read(s, to, nonblock);
	return vmmgmt_host_ep_read(ep, to, nonblock);
}

static ssize_t vmmgmt_host_write_iter(struct kiocb *iocb,
				      struct iov_iter *from)
{
	struct vmmgmt_host_ep *ep = iocb->ki_filp->private_data;
	struct vmmgmt_host_stream *s = READ_ONCE(ep->stream);
	bool nonblock = vmmgmt_host_iocb_nonblock(iocb);

	if (s)
		return vmmgmt_host_stream_write(s, from, nonblock);
	return vmmgmt_host_ep_write(ep, from, nonblock);
}

static __poll_t vmmgmt_host_poll(struct file *file, poll_table *wait)
{
	struct vmmgmt_host_ep *ep = file->private_data;
	struct vmmgmt_host_stream *s = READ_ONCE(ep->stream);

	if (s)
		return vmmgmt_host_stream_poll(s, file, wait);
	return vmmgmt_host_ep_poll(ep, file, wait) |
	       vmmgmt_host_stream_listen_poll(ep, file, wait);
}

static const struct file_operations vmmgmt_host_fops = {
	.owner = THIS_MODULE,
	.open = vmmgmt_host_open,
	.release = vmmgmt_host_release,
	.read_iter = vmmgmt_host_read_iter,
	.write_iter = vmmgmt_host_write_iter,
	.splice_read = vmmgmt_host_splice_read,
	.splice_write = iter_file_splice_write,
	.poll = vmmgmt_host_poll,
	.unlocked_ioctl = vmmgmt_host_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u.%u\n", VMMGMT_ABI_MAJOR, VMMGMT_ABI_MINOR);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t handover_format_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", VMMGMT_HOST_HANDOVER_FORMAT);
}
static DEVICE_ATTR_RO(handover_format);

static ssize_t handover_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", vmmgmt_host_vm_handover_state());
}

/* "cancel": the module was not unloaded after a handover; open it again. */
static ssize_t handover_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	int ret;

	if (!sysfs_streq(buf, "cancel"))
		return -EINVAL;
	ret = vmmgmt_host_vm_handover_cancel();
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(handover);

static ssize_t policy_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return vmmgmt_host_policy_show(buf);
}

static ssize_t policy_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = vmmgmt_host_policy_store(buf, count);

	return ret ? ret : count;
}
static DEVICE_ATTR_RW(policy);

static ssize_t names_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return vmmgmt_host_names_show(buf);
}
static DEVICE_ATTR_RO(names);

static struct attribute *vmmgmt_host_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_handover_format.attr,
	&dev_attr_handover.attr,
	&dev_attr_policy.attr,
	&dev_attr_names.attr,
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
 * vmmgmt_host_cdev_init() - register /dev/vmmgmt-host and its vms/
 * directory.
 *
 * ADD_VM fails with -ENODEV in the short time between the two.
 *
 * Context: process context (module init); may sleep.
 * Return: 0, or a negative errno from misc_register() or
 * vmmgmt_host_vms_init().
 */
int vmmgmt_host_cdev_init(void)
{
	int ret;

	ret = misc_register(&vmmgmt_host_misc);
	if (ret)
		return ret;
	ret = vmmgmt_host_vms_init(&vmmgmt_host_misc.this_device->kobj);
	if (ret)
		goto err_deregister;
	return 0;

err_deregister:
	misc_deregister(&vmmgmt_host_misc);
	return ret;
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
	vmmgmt_host_vms_exit();
	misc_deregister(&vmmgmt_host_misc);
}
