// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmtd: counting doorbells.  With vmmgmt_host.ko the module owns the
 * kick eventfds (its per-VM thread waits on them) and vmmgmtd only reports
 * the module's count from sysfs.  With --no-module, vmmgmtd drains the kick
 * eventfds itself and counts what it read: the eventfd counter is the
 * number of doorbell writes since the last read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmmgmtd.h"

void vmmgmtd_doorbell_read(struct vmmgmtd *d, struct vmmgmtd_vm *vm,
			   unsigned int vector)
{
	__u64 count;
	ssize_t n;

	n = read(vm->kick[vector], &count, sizeof(count));
	if (n != sizeof(count)) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		vmmgmtd_vm_disconnect(d, vm, "kick eventfd read failed");
		return;
	}
	vm->doorbells += count;
	vm->doorbells_vec[vector] += count;
	vmmgmtd_debug("%s (id %u): doorbell vector %u: +%llu (total %llu)",
		      vm->name, vm->id, vector, (unsigned long long)count,
		      (unsigned long long)vm->doorbells);
}

/* The module's doorbell count of the VM's live registration (or 0). */
__u64 vmmgmtd_doorbell_module_kicks(const struct vmmgmtd_vm *vm)
{
	char dir[128];
	__u64 kicks;

	if (!vm->registered)
		return 0;
	snprintf(dir, sizeof(dir), VMMGMT_HOST_VMS_SYSFS "/%s", vm->name);
	return vmmgmt_read_attr_u64(dir, "kicks", &kicks) ? 0 : kicks;
}

/*
 * One line per VM, key=value, for SIGUSR1 and exit:
 * "stats: NAME: id=ID generation=G state=S pid=P doorbells=T vectors=V0,V1"
 * With the host module the per-vector counts are not known: "vectors=-".
 * State: connected, adopted (a QEMU an earlier vmmgmtd served) or idle.
 */
void vmmgmtd_doorbell_stats(const struct vmmgmtd *d)
{
	unsigned int i, v;

	for (i = 0; i < d->nr_vms; i++) {
		const struct vmmgmtd_vm *vm = d->vms[i];
		char vec[VMMGMTD_VECTORS_MAX * 21 + 1];
		size_t off = 0;

		snprintf(vec, sizeof(vec), "-");
		for (v = 0; d->no_module && v < vm->vectors; v++)
			off += snprintf(vec + off, sizeof(vec) - off, "%s%llu",
					v ? "," : "",
					(unsigned long long)vm->doorbells_vec[v]);
		vmmgmtd_info("stats: %s: id=%u generation=%u state=%s pid=%d doorbells=%llu vectors=%s",
			     vm->name, vm->id, vm->generation,
			     vm->adopted ? "adopted" :
			     vm->conn_fd >= 0 ? "connected" : "idle",
			     vm->conn_fd >= 0 || vm->adopted ? (int)vm->pid : 0,
			     (unsigned long long)(vm->doorbells +
						  vmmgmtd_doorbell_module_kicks(vm)),
			     vec);
	}
}
