// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <vmmgmt.h>
static int __init vmmgmt_host_init(void) { return 0; }
static void __exit vmmgmt_host_exit(void) { }
module_init(vmmgmt_host_init);
module_exit(vmmgmt_host_exit);
MODULE_LICENSE("GPL");
