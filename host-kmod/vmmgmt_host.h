/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmgmt host module: declarations shared between its files.
 *
 * vmmgmt_host_main.c	module init and exit, in dependency order
 * vmmgmt_host_cdev.c	/dev/vmmgmt-host: ioctls and sysfs
 *
 * VM registration (an ADD_VM ioctl, one kernel thread per VM) will live
 * in its own file and be set up by module init before the character
 * device, which stays the last thing registered and the first removed.
 */
#ifndef _VMMGMT_HOST_H
#define _VMMGMT_HOST_H

int vmmgmt_host_cdev_init(void);
void vmmgmt_host_cdev_exit(void);

#endif /* _VMMGMT_HOST_H */
