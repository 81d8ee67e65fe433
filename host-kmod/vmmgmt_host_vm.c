// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: VM lifecycle.
 *
 * VMMGMT_HOST_IOC_ADD_VM validates what vmmgmtd hands over (ids, name,
 * eventfds, the region), takes, maps and lays out the region
 * (vmmgmt_host_region.c), enters the VM into the registry
 * (vmmgmt_host_registry.c), and starts the VM's worker.
 * VMMGMT_HOST_IOC_DEL_VM, and the release of the file that added the VM,
 * undo it in reverse order.
 *
 * VMs added with VMMGMT_HOST_VM_F_PERSIST (ABI 0.8) outlive that file: its
 * release makes them orphans, VMMGMT_HOST_IOC_LIST_VMS lists them and
 * VMMGMT_HOST_IOC_ADOPT_VM gives them a new owner; they go on DEL_VM
 * (through any file) or when their QEMU exits, which this file watches
 * itself (see "The QEMU exit watch" below).  Each holds a reference to
 * the module, so rmmod fails while one is registered.
 *
 * Owns: the order in which a VM's parts are set up and torn down, the
 * VM's eventfd references, its owner and orphan state, the QEMU exit
 * watch (the pid reference, the wait queue entry, the work item and its
 * workqueue) and the module reference of a PERSIST VM.
 *
 * May call: the registry, the region, the queues, the worker, flow
 * control (held records, PEER_GONE), the host streams, the watchdog, the
 * names, the quotas, the statistics, the scheduling policy and the VM's
 * kobject type (vmmgmt_host_sysfs.c); nothing calls back.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"
#include "vmmgmt_host_compat.h"

/**
 * vmmgmt_host_vm_check() - validate the fields of an ADD_VM request that
 * need no lookup.
 * @req: the request, copied from userspace.
 *
 * Context: any context.
 * Return: 0, or -EINVAL.
 */
static int vmmgmt_host_vm_check(const struct vmmgmt_host_vm_add *req)
{
	unsigned int i;

	if ((req->flags & ~VMMGMT_HOST_VM_F_PERSIST) || req->pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(req->reserved); i++)
		if (req->reserved[i])
			return -EINVAL;
	if (req->vm_id == VMMGMT_HOST_PEER_ID || req->vm_id > VMMGMT_VM_ID_MAX)
		return -EINVAL;
	if (req->nr_vectors < 1 || req->nr_vectors > VMMGMT_VECTORS_MAX)
		return -EINVAL;
	if (!vmmgmt_name_valid(req->name, VMMGMT_NAME_PUNCT_VM))
		return -EINVAL;
	return 0;
}

/**
 * vmmgmt_host_eventfd_get() - take a reference to an eventfd by fd.
 * @fd: the fd.
 * @filep: if not NULL, also returns a reference to the file (the kick
 *	hooks poll it once).
 *
 * Context: process context.
 * Return: the eventfd, or ERR_PTR(-EBADF) if @fd is not open, or
 * ERR_PTR(-EINVAL) if it is not an eventfd.
 */
static struct eventfd_ctx *vmmgmt_host_eventfd_get(int fd, struct file **filep)
{
	struct eventfd_ctx *ctx;
	struct file *file;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx) || !filep)
		fput(file);
	else
		*filep = file;
	return ctx;
}

/**
 * vmmgmt_host_vm_put_eventfds() - drop the eventfd references of a VM.
 * @vm: the VM; its worker is stopped and its kick hooks are removed.
 *
 * Context: process context.
 */
static void vmmgmt_host_vm_put_eventfds(struct vmmgmt_host_vm *vm)
{
	unsigned int v;

	for (v = 0; v < VMMGMT_VECTORS_MAX; v++) {
		if (vm->kicks[v].ctx)
			eventfd_ctx_put(vm->kicks[v].ctx);
		vm->kicks[v].ctx = NULL;
		if (vm->call[v])
			eventfd_ctx_put(vm->call[v]);
		vm->call[v] = NULL;
		if (vm->kick_files[v])
			fput(vm->kick_files[v]);
		vm->kick_files[v] = NULL;
		if (vm->call_files[v])
			fput(vm->call_files[v]);
		vm->call_files[v] = NULL;
	}
}

/**
 * vmmgmt_host_vm_get_eventfds() - take the eventfds of an ADD_VM request.
 * @vm: the VM, @vm->nr_vectors set.
 * @req: the request.
 *
 * Keeps a reference to each eventfd and to its file (the kick hooks poll
 * the kick files; a handover hands both kinds on).
 *
 * Context: process context.
 * Return: 0, -EBADF or -EINVAL; on error nothing is held.
 */
static int vmmgmt_host_vm_get_eventfds(struct vmmgmt_host_vm *vm,
				       const struct vmmgmt_host_vm_add *req)
{
	struct eventfd_ctx *ctx;
	unsigned int v;

	for (v = 0; v < vm->nr_vectors; v++) {
		ctx = vmmgmt_host_eventfd_get(req->kick_fds[v],
					      &vm->kick_files[v]);
		if (IS_ERR(ctx))
			goto err_put;
		vm->kicks[v].ctx = ctx;
		ctx = vmmgmt_host_eventfd_get(req->call_fds[v],
					      &vm->call_files[v]);
		if (IS_ERR(ctx))
			goto err_put;
		vm->call[v] = ctx;
	}
	return 0;

err_put:
	vmmgmt_host_vm_put_eventfds(vm);
	return PTR_ERR(ctx);
}

/*
 * The QEMU exit watch of a PERSIST VM.
 *
 * There is no pidfd API for modules, so the VM hooks its own entry
 * (@vm->qemu_wait) on the wait queue that pidfds poll, wait_pidfd of
 * QEMU's struct pid (@vm->qemu, a reference taken at ADD_VM: the number
 * may be reused, the struct pid is not).  The kernel wakes that queue
 * when the process has exited (do_notify_pidfd(), with the tasklist lock
 * held and interrupts off; exit_state is set before, on 6.1 too) and when
 * it is reaped; the wake callback only
 * takes a reference to the VM's kobject and queues @vm->qemu_work on
 * vmmgmt_host_vm_wq.  The work takes vmmgmt_host_vms_lock, checks that
 * the VM is still registered (@vm->qemu set) and QEMU really gone
 * (vmmgmt_host_pid_exited(): a wakeup may come for a leader that exited
 * before its threads, or twice), removes it as DEL_VM does, and drops its
 * reference.
 *
 * The races, and why each is safe:
 * - Wakeup vs removal (DEL_VM, the work itself; module exit cannot come
 *   first, see below).  vmmgmt_host_vm_destroy() unhooks the entry
 *   (remove_wait_queue(): under the queue's lock, which every wakeup
 *   holds while it calls back) before anything else and before it drops
 *   the registration's reference; so the callback never runs on a VM
 *   being freed, and its reference is never the last (the registration's
 *   is still held while it runs), so it may take and drop one in atomic
 *   context.  Only then is the pid put and @vm->qemu cleared: the queue
 *   is in the struct pid, so that order matters too.  Both happen
 *   once: only destroy does them, and only for a VM still registered,
 *   under vmmgmt_host_vms_lock.
 * - Work vs removal.  The work never waits for removal nor removal for the
 *   work (destroy runs under vmmgmt_host_vms_lock, which the work takes:
 *   cancel_work_sync() there would deadlock).  A queued work holds a
 *   kobject reference instead, so the structure outlives it; it finds
 *   @vm->qemu NULL under the lock when DEL_VM came first and only drops
 *   its reference.  queue_work() of a work already queued fails: the
 *   callback drops the reference it took then; a work queued again while
 *   it is running is run once more and finds the VM gone.
 * - The check at ADD_VM.  QEMU may exit between the ESRCH check and the
 *   hook; the wakeup is then lost, so after hooking the add looks once
 *   more and queues the work itself (it runs after the add has released
 *   the lock).
 * - File release vs the work.  The release only orphans a PERSIST VM
 *   (under the lock); the work removes orphans and owned VMs alike.
 * - Module exit.  Each PERSIST VM holds a module reference from its
 *   registration until destroy, so exit comes after the last one is
 *   removed; no callback can queue work then (every entry is unhooked).
 *   A work that removed the last VM still runs module code after destroy
 *   dropped that reference (the log line, its kobject_put(), which may
 *   free the VM through the ktype's release): vmmgmt_host_vm_exit()
 *   destroys the workqueue, which waits for it, before the module goes.
 */

/* Runs the QEMU exit works; destroyed (drained) at module exit. */
static struct workqueue_struct *vmmgmt_host_vm_wq;

/**
 * vmmgmt_host_vm_qemu_kick() - have the work look at QEMU.
 * @vm: the VM, registered, its entry hooked (its registration holds a
 *	reference that outlives this call).
 *
 * Context: any context (the wake callback runs with interrupts off).
 */
static void vmmgmt_host_vm_qemu_kick(struct vmmgmt_host_vm *vm)
{
	/* The work's reference; never the last one when dropped here. */
	kobject_get(&vm->kobj);
	if (!queue_work(vmmgmt_host_vm_wq, &vm->qemu_work))
		kobject_put(&vm->kobj);
}

/**
 * vmmgmt_host_vm_qemu_wake() - wake callback on QEMU's wait_pidfd queue.
 * @wait: the VM's entry.
 * @mode: unused.
 * @sync: unused.
 * @key: unused (the events, EPOLLIN on exit).
 *
 * Context: the exiting (or reaping) task, under the queue's lock and the
 * tasklist lock, interrupts off: only queues the work.
 * Return: 0 (the wakeup goes on to the other entries).
 */
static int vmmgmt_host_vm_qemu_wake(struct wait_queue_entry *wait,
				    unsigned int mode, int sync, void *key)
{
	vmmgmt_host_vm_qemu_kick(container_of(wait, struct vmmgmt_host_vm,
					      qemu_wait));
	return 0;
}

/* Forward: the work removes the VM as DEL_VM does. */
static void vmmgmt_host_vm_destroy(struct vmmgmt_host_vm *vm, bool handed_over);

/**
 * vmmgmt_host_vm_qemu_work() - remove a PERSIST VM whose QEMU exited.
 * @work: &vmmgmt_host_vm.qemu_work; its kobject reference is dropped.
 *
 * Context: process context (vmmgmt_host_vm_wq); takes
 * vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_qemu_work(struct work_struct *work)
{
	struct vmmgmt_host_vm *vm =
		container_of(work, struct vmmgmt_host_vm, qemu_work);
	bool removed = false;

	mutex_lock(&vmmgmt_host_vms_lock);
	/* @vm->qemu is cleared when the VM is removed (DEL_VM came first). */
	if (vm->qemu && vmmgmt_host_pid_exited(vm->qemu)) {
		vmmgmt_host_vm_destroy(vm, false);
		removed = true;
	}
	mutex_unlock(&vmmgmt_host_vms_lock);
	if (removed)
		pr_info("vm %s (id %u): QEMU pid %u exited, VM removed\n",
			vm->name, vm->id, vm->qemu_pid);
	/* May be the last reference: frees @vm. */
	kobject_put(&vm->kobj);
}

/**
 * vmmgmt_host_vm_qemu_get() - take the reference to a PERSIST VM's QEMU.
 * @vm: the VM being added, not registered yet.
 * @nr: the QEMU pid of the request, in the caller's PID namespace.
 *
 * Context: process context (the ADD_VM caller).
 * Return: 0; -ESRCH if @nr is not a thread group id or its process has
 * exited.
 */
static int vmmgmt_host_vm_qemu_get(struct vmmgmt_host_vm *vm, u32 nr)
{
	struct pid *pid;
	bool live;

	if (!nr || nr > PID_MAX_LIMIT)
		return -ESRCH;
	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	rcu_read_lock();
	live = pid_task(pid, PIDTYPE_TGID) && !vmmgmt_host_pid_exited(pid);
	rcu_read_unlock();
	if (!live) {
		put_pid(pid);
		return -ESRCH;
	}
	vm->qemu = pid;
	return 0;
}

/**
 * vmmgmt_host_vm_qemu_watch() - hook a PERSIST VM's exit watch.
 * @vm: the VM, just registered, with @vm->qemu.
 *
 * Also takes the VM's module reference, dropped by vmmgmt_host_vm_destroy().
 *
 * Context: process context (the ADD_VM ioctl: its file holds the module);
 * holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_qemu_watch(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	__module_get(THIS_MODULE);
	add_wait_queue(&vm->qemu->wait_pidfd, &vm->qemu_wait);
	/* QEMU may have exited since the check: that wakeup is lost. */
	if (vmmgmt_host_pid_exited(vm->qemu))
		vmmgmt_host_vm_qemu_kick(vm);
}

/**
 * vmmgmt_host_vm_qemu_unwatch() - unhook a PERSIST VM's exit watch and
 * drop its pid reference; once per VM.
 * @vm: the VM, being removed; nothing for VMs without a watch.
 *
 * After it no wake callback runs for @vm and none will; a work queued
 * before finds @vm->qemu NULL.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_qemu_unwatch(struct vmmgmt_host_vm *vm)
{
	lockdep_assert_held(&vmmgmt_host_vms_lock);
	if (!vm->qemu)
		return;
	/* Waits for a callback running now: it holds the queue's lock. */
	remove_wait_queue(&vm->qemu->wait_pidfd, &vm->qemu_wait);
	/* The queue is in the struct pid: put it only now. */
	put_pid(vm->qemu);
	vm->qemu = NULL;
}

/*
 * The module handover (ABI 0.9).  VMMGMT_HOST_IOC_QUIESCE through a file
 * (vmmgmtd's) freezes every VM (vmmgmt_host_vm_freeze()) and the host
 * endpoints; VMMGMT_HOST_IOC_EXPORT_VM through that file writes a VM's
 * state (vmmgmt_host_handover.c) and removes it without a word to the
 * guest or the other VMs (vmmgmt_host_vm_destroy(), handed over).  Once
 * a VM was exported the module stays frozen after that file closes: it
 * is on its way out, and new files would only keep it loaded; writing
 * "cancel" to the device's handover attribute (vmmgmt_host_cdev.c) ends
 * that, for a daemon that could not unload it and gives the VMs back.
 * VMMGMT_HOST_IOC_IMPORT_VM registers a VM from a state, paused; and
 * VMMGMT_HOST_IOC_RESUME starts the paused VMs, thaws the frozen ones and
 * the endpoints.  All under vmmgmt_host_vms_lock.
 */

/* The file that quiesced the module; NULL when none did. */
static struct file *vmmgmt_host_quiesced_by;
/* VMs exported since the quiesce: the module is being replaced. */
static unsigned int vmmgmt_host_exported;

/**
 * vmmgmt_host_vm_register() - ADD_VM, or IMPORT_VM with a state.
 * @owner: the /dev/vmmgmt-host file; the VM goes away when it is released,
 *	unless it is a PERSIST VM (it is orphaned then).
 * @req: the request, copied from userspace.
 * @state: an exported state, in kernel memory, or NULL for ADD_VM.
 * @state_len: its length.
 *
 * Without @state the region is laid out afresh and the worker starts.
 * With it the region is taken as it is, the state restored, and the VM
 * waits paused for VMMGMT_HOST_IOC_RESUME.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0, or the errors listed for VMMGMT_HOST_IOC_ADD_VM and
 * VMMGMT_HOST_IOC_IMPORT_VM in uapi/vmmgmt.h.
 */
static int vmmgmt_host_vm_register(struct file *owner,
				   const struct vmmgmt_host_vm_add *req,
				   const void *state, size_t state_len)
{
	struct vmmgmt_host_vm *vm;
	struct kobject *dir;
	unsigned int v;
	int ret;

	ret = vmmgmt_host_vm_check(req);
	if (ret)
		return ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vm->owner = owner;
	vm->persist = req->flags & VMMGMT_HOST_VM_F_PERSIST;
	init_waitqueue_func_entry(&vm->qemu_wait, vmmgmt_host_vm_qemu_wake);
	INIT_WORK(&vm->qemu_work, vmmgmt_host_vm_qemu_work);
	vm->id = req->vm_id;
	vm->qemu_pid = req->qemu_pid;
	vm->nr_vectors = req->nr_vectors;
	strscpy(vm->name, req->name, sizeof(vm->name));
	ratelimit_state_init(&vm->log_rs, 5 * HZ, VMMGMT_HOST_LOG_BURST);
	vm->link_state = VMMGMT_LINK_DOWN;
	atomic_set(&vm->pending, 0);
	spin_lock_init(&vm->tx_lock);
	vmmgmt_host_stats_init(&vm->gstats);
	vmmgmt_host_sched_init(vm);
	vmmgmt_host_quota_init(vm);
	vmmgmt_host_queue_init(&vm->tx);
	vmmgmt_host_flow_init(vm);
	init_waitqueue_head(&vm->tx_wq);
	for (v = 0; v < VMMGMT_VECTORS_MAX; v++)
		vm->kicks[v].vm = vm;
	kobject_init(&vm->kobj, &vmmgmt_host_vm_ktype);

	if (vm->persist) {
		ret = vmmgmt_host_vm_qemu_get(vm, req->qemu_pid);
		if (ret)
			goto err_free;
	}
	vm->buf = kvmalloc(VMMGMT_MSG_MAX, GFP_KERNEL);
	if (!vm->buf) {
		ret = -ENOMEM;
		goto err_put_qemu;
	}
	ret = vmmgmt_host_vm_get_eventfds(vm, req);
	if (ret)
		goto err_free_buf;
	ret = vmmgmt_host_region_get(vm, req->region_fd);
	if (ret)
		goto err_put_eventfds;
	ret = vmmgmt_host_region_map(vm);
	if (ret)
		goto err_put_region;

	mutex_lock(&vmmgmt_host_vms_lock);
	/* Quiesced: only the quiescing file gives VMs back (a rollback). */
	ret = -EBUSY;
	if (vmmgmt_host_quiesced_by && (!state || vmmgmt_host_quiesced_by != owner))
		goto err_unlock;
	ret = vmmgmt_host_vm_reserve(vm, &dir);
	if (ret)
		goto err_unlock;
	if (state) {
		ret = vmmgmt_host_region_attach(vm);
		if (!ret)
			ret = vmmgmt_host_handover_load(vm, state, state_len);
	} else {
		/* Whatever the header said before is only a hint: bump it. */
		vm->generation = READ_ONCE(vm->hdr->generation) + 1;
		/* A reset the guest asked for before registration: served. */
		vm->reset_seen = READ_ONCE(vm->hdr->reset_request);
		ret = vmmgmt_host_region_init(vm);
	}
	if (ret)
		goto err_release_id;
	ret = kobject_add(&vm->kobj, dir, "%s", vm->name);
	if (ret)
		goto err_release_id;
	ret = vmmgmt_host_worker_create(vm);
	if (ret)
		goto err_del_kobj;

	if (state) {
		/* The guest's view is the old module's: nothing is written. */
		vm->paused = true;
	} else {
		/* The rings are laid out: the guest may use them from here. */
		vm->link_state = VMMGMT_LINK_UP;
		/* Header and ring indexes before UP; the guest reads UP first. */
		smp_wmb();
		WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_UP);
		vmmgmt_host_worker_start(vm, vm->kick_files);
	}

	/* Id reserved before the worker started: senders find it now. */
	vmmgmt_host_vm_publish(vm);
	vmmgmt_host_watch_add(vm);
	if (vm->persist)
		vmmgmt_host_vm_qemu_watch(vm);
	kobject_uevent(&vm->kobj, KOBJ_ADD);
	if (state)
		pr_info("%s (id %u): handed over (handover %u), pid %u, generation %u kept, %u held and %u queued records\n",
			vm->name, vm->id, vm->handovers, vm->qemu_pid,
			vm->generation, vm->held.msgs, vm->tx.msgs);
	else
		pr_info("%s (id %u): added, pid %u, region %llu bytes, %u vectors, generation %u%s\n",
			vm->name, vm->id, vm->qemu_pid, vm->size, vm->nr_vectors,
			vm->generation, vm->persist ? ", persistent" : "");
	/* From here on a DEL_VM on another thread may free @vm. */
	mutex_unlock(&vmmgmt_host_vms_lock);
	return 0;

err_del_kobj:
	kobject_del(&vm->kobj);
err_release_id:
	/* What a state brought: its names and records. */
	vmmgmt_host_names_withdraw_all(vm);
	vmmgmt_host_queue_purge(&vm->tx);
	vmmgmt_host_flow_purge(vm);
	vmmgmt_host_vm_unreserve(vm);
err_unlock:
	mutex_unlock(&vmmgmt_host_vms_lock);
	vmmgmt_host_region_unmap(vm);
err_put_region:
	fput(vm->region);
err_put_eventfds:
	vmmgmt_host_vm_put_eventfds(vm);
err_free_buf:
	kvfree(vm->buf);
err_put_qemu:
	/* Not hooked yet: only the reference (NULL without PERSIST). */
	put_pid(vm->qemu);
	vm->qemu = NULL;
err_free:
	/* The kobject's release frees @vm. */
	kobject_put(&vm->kobj);
	return ret;
}

/**
 * vmmgmt_host_vm_add() - VMMGMT_HOST_IOC_ADD_VM.
 * @owner: the /dev/vmmgmt-host file; the VM goes away when it is released,
 *	unless it is a PERSIST VM (it is orphaned then).
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0, or the errors listed for VMMGMT_HOST_IOC_ADD_VM in
 * uapi/vmmgmt.h (EBUSY while the module is quiesced).
 */
int vmmgmt_host_vm_add(struct file *owner,
		       const struct vmmgmt_host_vm_add *req)
{
	return vmmgmt_host_vm_register(owner, req, NULL, 0);
}

/**
 * vmmgmt_host_vm_destroy() - remove one VM, in the reverse order of
 * vmmgmt_host_vm_register().
 * @vm: the VM, on vmmgmt_host_vms.
 * @handed_over: exported to the next module (its state written): nothing
 *	is said to the guest or the other VMs, the header is not touched.
 *
 * The worker's kick hooks are removed and the worker stopped before the
 * region is unmapped; host writers waiting for room fail (ECONNRESET),
 * other VMs' workers answer what they held for the VM, and the VMs that
 * take notices get a PEER_GONE for it; the link state in the header reads DOWN afterwards,
 * and the guest gets an interrupt (call_fds[0]) so that it notices.  A
 * PERSIST VM's exit watch is unhooked first and its module reference
 * dropped last.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_destroy(struct vmmgmt_host_vm *vm, bool handed_over)
{
	const struct vmmgmt_addr gone = { .vm = vm->id };
	bool persist = vm->persist;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	/* No QEMU exit work acts on @vm after this (see the watch above). */
	vmmgmt_host_vm_qemu_unwatch(vm);
	/* The watchdog and debugfs let go of @vm first (a freeze did). */
	if (!vm->frozen)
		vmmgmt_host_watch_del(vm);
	/* Lookups that took a reference before this see @vm->dead. */
	vmmgmt_host_vm_unpublish(vm);

	/* Senders stop queueing and stop waking the worker. */
	spin_lock(&vm->tx_lock);
	vm->dead = true;
	spin_unlock(&vm->tx_lock);
	wake_up_interruptible_all(&vm->tx_wq);

	vmmgmt_host_worker_stop(vm);
	/* Host streams with the VM fail (ECONNRESET); their waiters wake. */
	vmmgmt_host_stream_vm_gone(vm);
	/* No more samples: the vCPU threads get their nice values back. */
	vmmgmt_host_sched_stop(vm);
	vmmgmt_host_queue_purge(&vm->tx);
	/* What the VM had held dies with it, unanswered. */
	vmmgmt_host_flow_purge(vm);
	vmmgmt_host_names_withdraw_all(vm);
	if (handed_over)
		goto unmap;
	/* Workers that held records for @vm answer them (EHOSTDOWN). */
	vmmgmt_host_vms_unblock();
	/* The VMs that take notices learn that @vm is gone. */
	vmmgmt_host_flow_peer_gone(&gone);
	WRITE_ONCE(vm->hdr->link_state, VMMGMT_LINK_DOWN);
	vm->link_state = VMMGMT_LINK_DOWN;
	/*
	 * Interrupt the guest: it re-reads the link state, and its readers
	 * and writers fail with ENOTCONN instead of sleeping.  QEMU may live
	 * on (vmmgmtd went away); if it is gone, nobody listens.  DOWN is
	 * visible before the interrupt.
	 */
	smp_wmb();
	vmmgmt_host_eventfd_signal(vm->call[0]);
unmap:
	kobject_del(&vm->kobj);
	vmmgmt_host_region_unmap(vm);
	fput(vm->region);
	vm->region = NULL;
	vmmgmt_host_vm_put_eventfds(vm);
	kvfree(vm->buf);
	vm->buf = NULL;
	pr_info("%s (id %u): %s; stalls_recovered %lld, stall_kicks %lld\n",
		vm->name, vm->id,
		handed_over ? "exported for the next module" : "removed",
		atomic64_read(&vm->counters.stalls_recovered),
		atomic64_read(&vm->counters.stall_kicks));
	kobject_put(&vm->kobj);
	/*
	 * Taken by vmmgmt_host_vm_qemu_watch().  The caller holds the module
	 * (an ioctl's or released file's reference), or is the QEMU exit
	 * work, which module exit waits for.
	 */
	if (persist)
		module_put(THIS_MODULE);
}

/**
 * vmmgmt_host_vm_del() - VMMGMT_HOST_IOC_DEL_VM.
 * @owner: the /dev/vmmgmt-host file the request came through.
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EINVAL for nonzero flags or reserved or a bad id; -ENOENT if
 * no VM with that id was added through @owner (or adopted by it) and no
 * orphaned PERSIST VM has it.
 */
int vmmgmt_host_vm_del(struct file *owner, const struct vmmgmt_host_vm_del *req)
{
	struct vmmgmt_host_vm *vm;
	int ret = 0;

	if (req->flags || req->reserved)
		return -EINVAL;
	if (req->vm_id == VMMGMT_HOST_PEER_ID || req->vm_id > VMMGMT_VM_ID_MAX)
		return -EINVAL;
	mutex_lock(&vmmgmt_host_vms_lock);
	vm = vmmgmt_host_vm_find(req->vm_id, NULL);
	/*
	 * The owner may remove its VM; another file only an orphan (a
	 * PERSIST VM whose daemon is gone), so that a late DEL_VM of a
	 * daemon whose VM the module removed already cannot remove another
	 * daemon's VM that got the same id meanwhile.
	 */
	if (vm && (vm->owner == owner || (vm->persist && vm->orphan)))
		vmmgmt_host_vm_destroy(vm, false);
	else
		ret = -ENOENT;
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/**
 * vmmgmt_host_vm_freeze() - park a VM's worker for a handover.
 * @vm: the VM, registered, not frozen.
 *
 * Senders to it get ESHUTDOWN from now on (waiters wake), the watchdog
 * lets go of it, host streams with it fail (a stream's file cannot move
 * to the next module), and its worker parks after its batch.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_freeze(struct vmmgmt_host_vm *vm)
{
	spin_lock(&vm->tx_lock);
	vm->frozen = true;
	spin_unlock(&vm->tx_lock);
	wake_up_interruptible_all(&vm->tx_wq);
	vmmgmt_host_watch_del(vm);
	vmmgmt_host_stream_vm_gone(vm);
	if (!vm->paused)
		vmmgmt_host_worker_park(vm);
}

/**
 * vmmgmt_host_vm_resume_all() - start paused VMs, thaw frozen ones and
 * the endpoints.
 * @ports: host ports whose records are held until bound again, or NULL.
 * @nr: entries in @ports.
 *
 * Context: process context; holds vmmgmt_host_vms_lock.
 * Return: the VMs started or thawed.
 */
static unsigned int vmmgmt_host_vm_resume_all(const u32 *ports,
					      unsigned int nr)
{
	struct vmmgmt_host_vm *vm;
	unsigned int n = 0;
	u32 after = 0;

	lockdep_assert_held(&vmmgmt_host_vms_lock);
	/*
	 * The endpoints first: a worker that ran before the hold was set
	 * would refuse a record to a port its program has not bound again
	 * yet (one record lost in a 20-minute soak, 2026-12-07).
	 */
	vmmgmt_host_ep_thaw(ports, nr);
	while ((vm = vmmgmt_host_vm_next(after))) {
		after = vm->id;
		if (vm->frozen) {
			spin_lock(&vm->tx_lock);
			vm->frozen = false;
			spin_unlock(&vm->tx_lock);
			vmmgmt_host_watch_add(vm);
			if (!vm->paused)
				vmmgmt_host_worker_unpark(vm);
			n++;
		}
		if (vm->paused) {
			vm->paused = false;
			vmmgmt_host_worker_start(vm, vm->kick_files);
			n++;
		}
	}
	vmmgmt_host_quiesced_by = NULL;
	vmmgmt_host_exported = 0;
	return n;
}

/**
 * vmmgmt_host_vm_release_file() - remove every VM a file owns, but
 * orphan the PERSIST ones (they run on until their QEMU exits).
 * @owner: the /dev/vmmgmt-host file being released.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 */
void vmmgmt_host_vm_release_file(struct file *owner)
{
	struct vmmgmt_host_vm *vm;

	mutex_lock(&vmmgmt_host_vms_lock);
	if (vmmgmt_host_quiesced_by == owner) {
		vmmgmt_host_quiesced_by = NULL;
		/* Nothing left the module: it goes on as it was. */
		if (!vmmgmt_host_exported)
			vmmgmt_host_vm_resume_all(NULL, 0);
		pr_info("handover: the quiescing file closed, %u VMs exported: %s\n",
			vmmgmt_host_exported,
			vmmgmt_host_exported ? "frozen until unloaded (or cancelled in sysfs)" :
			"resumed");
	}
	while ((vm = vmmgmt_host_vm_owned(owner))) {
		if (!vm->persist) {
			vmmgmt_host_vm_destroy(vm, false);
			continue;
		}
		/* No longer @owner's: the loop moves on. */
		vm->owner = NULL;
		/* Imported and never resumed: it runs on its own now. */
		if (vm->paused && !vmmgmt_host_quiesced_by) {
			vm->paused = false;
			vmmgmt_host_worker_start(vm, vm->kick_files);
		}
		WRITE_ONCE(vm->orphan, true);
		pr_info("vm %s (id %u): daemon file closed, VM kept (QEMU pid %u)\n",
			vm->name, vm->id, vm->qemu_pid);
	}
	mutex_unlock(&vmmgmt_host_vms_lock);
}

/**
 * vmmgmt_host_vm_info() - describe a VM for VMMGMT_HOST_IOC_LIST_VMS.
 * @vm: the VM, registered.
 * @info: filled in; its reserved fields are left as they are (zero).
 *
 * Context: holds vmmgmt_host_vms_lock.
 */
static void vmmgmt_host_vm_info(const struct vmmgmt_host_vm *vm,
				struct vmmgmt_host_vm_info *info)
{
	info->vm_id = vm->id;
	info->qemu_pid = vm->qemu_pid;
	info->region_size = vm->size;
	info->nr_vectors = vm->nr_vectors;
	info->flags = (vm->persist ? VMMGMT_HOST_VM_F_PERSIST : 0) |
		      (vm->orphan ? VMMGMT_HOST_VM_F_ORPHAN : 0);
	/* The worker changes it on resets: a snapshot. */
	info->link_state = READ_ONCE(vm->link_state);
	info->adoptions = vm->adoptions;
	strscpy(info->name, vm->name, sizeof(info->name));
}

/**
 * vmmgmt_host_vm_list() - VMMGMT_HOST_IOC_LIST_VMS.
 * @list: the request, copied from userspace; filled in with the VMs with
 *	ids above @list->after_id, by increasing id, and
 *	%VMMGMT_HOST_VM_LIST_F_MORE when more follow.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0, or -EINVAL for nonzero count, flags, pad or reserved.
 */
int vmmgmt_host_vm_list(struct vmmgmt_host_vm_list *list)
{
	struct vmmgmt_host_vm *vm;
	u32 after = list->after_id;

	if (list->count || list->flags || list->pad || list->reserved[0] ||
	    list->reserved[1])
		return -EINVAL;
	/* What the caller had in the entries is not handed back. */
	memset(list->vms, 0, sizeof(list->vms));
	mutex_lock(&vmmgmt_host_vms_lock);
	while ((vm = vmmgmt_host_vm_next(after))) {
		if (list->count == VMMGMT_HOST_VMS_PER_LIST) {
			list->flags |= VMMGMT_HOST_VM_LIST_F_MORE;
			break;
		}
		vmmgmt_host_vm_info(vm, &list->vms[list->count++]);
		after = vm->id;
	}
	mutex_unlock(&vmmgmt_host_vms_lock);
	return 0;
}

/**
 * vmmgmt_host_vm_qemu_is() - whether a pid number names a VM's QEMU.
 * @vm: a PERSIST VM, registered (its @vm->qemu set).
 * @nr: a pid number in the caller's PID namespace.
 *
 * Compares struct pids, not numbers: the VM may have been registered from
 * another namespace, and a number alone could have been reused.
 *
 * Context: holds vmmgmt_host_vms_lock.
 * Return: true if @nr is @vm's QEMU.
 */
static bool vmmgmt_host_vm_qemu_is(const struct vmmgmt_host_vm *vm, u32 nr)
{
	bool same;

	if (!nr || nr > PID_MAX_LIMIT)
		return false;
	rcu_read_lock();
	same = find_vpid(nr) == vm->qemu;
	rcu_read_unlock();
	return same;
}

/**
 * vmmgmt_host_vm_adopt() - VMMGMT_HOST_IOC_ADOPT_VM.
 * @owner: the /dev/vmmgmt-host file the request came through: the VM's
 *	owner from now on.
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EINVAL for nonzero reserved; -ENOENT if no VM has the id;
 * -EPERM if it is not a PERSIST VM; -ESRCH if @req->qemu_pid is not its
 * QEMU.
 */
int vmmgmt_host_vm_adopt(struct file *owner,
			 const struct vmmgmt_host_vm_adopt *req)
{
	struct vmmgmt_host_vm *vm;
	int ret = 0;

	if (req->reserved)
		return -EINVAL;
	if (req->vm_id == VMMGMT_HOST_PEER_ID || req->vm_id > VMMGMT_VM_ID_MAX)
		return -ENOENT;
	mutex_lock(&vmmgmt_host_vms_lock);
	vm = vmmgmt_host_vm_find(req->vm_id, NULL);
	if (!vm)
		ret = -ENOENT;
	else if (!vm->persist)
		ret = -EPERM;
	else if (!vmmgmt_host_vm_qemu_is(vm, req->qemu_pid))
		ret = -ESRCH;
	if (ret)
		goto out_unlock;
	vm->owner = owner;
	WRITE_ONCE(vm->orphan, false);
	WRITE_ONCE(vm->adoptions, vm->adoptions + 1);
	pr_info("vm %s (id %u): adopted by pid %d (QEMU pid %u)\n", vm->name,
		vm->id, task_tgid_nr(current), vm->qemu_pid);
out_unlock:
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/**
 * vmmgmt_host_vm_quiesce() - VMMGMT_HOST_IOC_QUIESCE.
 * @owner: the file asking; only it may export VMs and resume.
 * @req: the request; its ports and format are filled in.
 *
 * Context: process context; takes vmmgmt_host_vms_lock; waits for each
 * worker's batch.
 * Return: 0; -EINVAL (nonzero flags, pad or reserved); -EBUSY (quiesced
 * already, or frozen after an export); -ENOSPC (too many ports bound).
 */
int vmmgmt_host_vm_quiesce(struct file *owner, struct vmmgmt_host_quiesce *req)
{
	struct vmmgmt_host_vm *vm;
	unsigned int n = 0;
	u32 after = 0;
	int ret;

	if (req->flags || req->pad || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	mutex_lock(&vmmgmt_host_vms_lock);
	ret = -EBUSY;
	if (vmmgmt_host_quiesced_by || vmmgmt_host_ep_frozen())
		goto out_unlock;
	/*
	 * Workers first: once every one is parked nothing reaches a host
	 * endpoint's queue any more, so a reader that drained its queue and
	 * then finds the endpoints frozen (ESHUTDOWN) has missed nothing.
	 */
	while ((vm = vmmgmt_host_vm_next(after))) {
		after = vm->id;
		vmmgmt_host_vm_freeze(vm);
		n++;
	}
	ret = vmmgmt_host_ep_freeze(req->ports, ARRAY_SIZE(req->ports));
	if (ret < 0) {
		/* Too many ports: everything runs on as before. */
		vmmgmt_host_vm_resume_all(NULL, 0);
		goto out_unlock;
	}
	req->nr_ports = ret;
	req->format = VMMGMT_HOST_HANDOVER_FORMAT;
	vmmgmt_host_quiesced_by = owner;
	vmmgmt_host_exported = 0;
	pr_info("handover: quiesced by pid %d: %u VMs paused, %u host ports bound\n",
		task_tgid_nr(current), n, req->nr_ports);
	ret = 0;
out_unlock:
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/* Reserves fds for a VM's files in @add; -EMFILE and none kept on error. */
static int vmmgmt_host_vm_export_fds(const struct vmmgmt_host_vm *vm,
				     struct vmmgmt_host_vm_add *add)
{
	unsigned int v;
	int fd;

	add->region_fd = -1;
	for (v = 0; v < VMMGMT_VECTORS_MAX; v++) {
		add->kick_fds[v] = -1;
		add->call_fds[v] = -1;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err;
	add->region_fd = fd;
	for (v = 0; v < vm->nr_vectors; v++) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			goto err;
		add->kick_fds[v] = fd;
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			goto err;
		add->call_fds[v] = fd;
	}
	return 0;
err:
	if (add->region_fd >= 0)
		put_unused_fd(add->region_fd);
	for (v = 0; v < vm->nr_vectors; v++) {
		if (add->kick_fds[v] >= 0)
			put_unused_fd(add->kick_fds[v]);
		if (add->call_fds[v] >= 0)
			put_unused_fd(add->call_fds[v]);
	}
	return fd;
}

/* Installs the fds vmmgmt_host_vm_export_fds() reserved. */
static void vmmgmt_host_vm_install_fds(const struct vmmgmt_host_vm *vm,
				       const struct vmmgmt_host_vm_add *add)
{
	unsigned int v;

	fd_install(add->region_fd, get_file(vm->region));
	for (v = 0; v < vm->nr_vectors; v++) {
		fd_install(add->kick_fds[v], get_file(vm->kick_files[v]));
		fd_install(add->call_fds[v], get_file(vm->call_files[v]));
	}
}

/* Gives reserved fds back (the export failed after reserving them). */
static void vmmgmt_host_vm_unreserve_fds(const struct vmmgmt_host_vm *vm,
					 const struct vmmgmt_host_vm_add *add)
{
	unsigned int v;

	put_unused_fd(add->region_fd);
	for (v = 0; v < vm->nr_vectors; v++) {
		put_unused_fd(add->kick_fds[v]);
		put_unused_fd(add->call_fds[v]);
	}
}

/**
 * vmmgmt_host_vm_export() - VMMGMT_HOST_IOC_EXPORT_VM.
 * @owner: the file that quiesced the module.
 * @uarg: user pointer to a &struct vmmgmt_host_vm_export; the state and
 *	the answer are written back before the fds are installed, so that a
 *	fault leaves neither fds behind nor the VM removed.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EFAULT; -EINVAL; -EPERM (not quiesced through @owner);
 * -ENOENT; -ENOSPC (the size needed is written back); -EMFILE; -ENOMEM.
 */
int vmmgmt_host_vm_export(struct file *owner, void __user *uarg)
{
	struct vmmgmt_host_vm_export req;
	struct vmmgmt_host_vm *vm;
	size_t len;
	void *buf = NULL;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.pad || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	mutex_lock(&vmmgmt_host_vms_lock);
	ret = -EPERM;
	if (vmmgmt_host_quiesced_by != owner)
		goto out_unlock;
	ret = -ENOENT;
	vm = vmmgmt_host_vm_find(req.vm_id, NULL);
	if (!vm || req.vm_id == VMMGMT_HOST_PEER_ID)
		goto out_unlock;
	len = vmmgmt_host_handover_size(vm);
	ret = -ENOMEM;
	buf = kvzalloc(len, GFP_KERNEL);
	if (!buf)
		goto out_unlock;
	len = vmmgmt_host_handover_save(vm, buf, len);
	if (len > req.state_len) {
		req.state_len = len;
		ret = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : -ENOSPC;
		goto out_unlock;
	}
	ret = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(req.state), buf, len))
		goto out_unlock;
	req.state_len = len;
	memset(&req.add, 0, sizeof(req.add));
	req.add.vm_id = vm->id;
	req.add.nr_vectors = vm->nr_vectors;
	req.add.flags = vm->persist ? VMMGMT_HOST_VM_F_PERSIST : 0;
	req.add.qemu_pid = vm->qemu_pid;
	strscpy(req.add.name, vm->name, sizeof(req.add.name));
	ret = vmmgmt_host_vm_export_fds(vm, &req.add);
	if (ret)
		goto out_unlock;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		vmmgmt_host_vm_unreserve_fds(vm, &req.add);
		ret = -EFAULT;
		goto out_unlock;
	}
	vmmgmt_host_vm_install_fds(vm, &req.add);
	vmmgmt_host_exported++;
	vmmgmt_host_vm_destroy(vm, true);
	ret = 0;
out_unlock:
	mutex_unlock(&vmmgmt_host_vms_lock);
	kvfree(buf);
	return ret;
}

/**
 * vmmgmt_host_vm_import() - VMMGMT_HOST_IOC_IMPORT_VM.
 * @owner: the file; it owns the VM.
 * @req: the request, copied from userspace.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0, or the errors listed for VMMGMT_HOST_IOC_IMPORT_VM in
 * uapi/vmmgmt.h.
 */
int vmmgmt_host_vm_import(struct file *owner,
			  const struct vmmgmt_host_vm_import *req)
{
	void *state;
	int ret;

	if (req->flags || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->state_len < sizeof(struct vmmgmt_host_vm_state_hdr) ||
	    req->state_len > VMMGMT_HOST_HANDOVER_STATE_MAX)
		return -EPROTO;
	state = vmemdup_user(u64_to_user_ptr(req->state), req->state_len);
	if (IS_ERR(state))
		return PTR_ERR(state);
	ret = vmmgmt_host_vm_register(owner, &req->add, state, req->state_len);
	kvfree(state);
	return ret;
}

/**
 * vmmgmt_host_vm_resume() - VMMGMT_HOST_IOC_RESUME.
 * @owner: the file asking; the one that quiesced, if one did.
 * @req: the ports whose records are held until bound again.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EINVAL (nonzero flags, pad or reserved, too many ports);
 * -EBUSY (another file quiesced the module).
 */
int vmmgmt_host_vm_resume(struct file *owner,
			  const struct vmmgmt_host_quiesce *req)
{
	unsigned int n;
	int ret = 0;

	if (req->flags || req->pad || req->reserved[0] || req->reserved[1] ||
	    req->nr_ports > ARRAY_SIZE(req->ports))
		return -EINVAL;
	mutex_lock(&vmmgmt_host_vms_lock);
	if (vmmgmt_host_quiesced_by && vmmgmt_host_quiesced_by != owner) {
		ret = -EBUSY;
	} else {
		n = vmmgmt_host_vm_resume_all(req->ports, req->nr_ports);
		pr_info("handover: resumed by pid %d: %u VMs run, records for %u host ports held for %u ms\n",
			task_tgid_nr(current), n, req->nr_ports,
			VMMGMT_HOST_HANDOVER_HOLD_MS);
	}
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/**
 * vmmgmt_host_vm_handover_state() - where a handover stands, for sysfs.
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: "none", "quiesced" (a file quiesced the module) or "exported"
 * (its file closed after exporting VMs: the module waits to be unloaded).
 */
const char *vmmgmt_host_vm_handover_state(void)
{
	const char *state = "none";

	mutex_lock(&vmmgmt_host_vms_lock);
	if (vmmgmt_host_quiesced_by)
		state = "quiesced";
	else if (vmmgmt_host_ep_frozen())
		state = "exported";
	mutex_unlock(&vmmgmt_host_vms_lock);
	return state;
}

/**
 * vmmgmt_host_vm_handover_cancel() - end the frozen state a handover left
 * when its file closed (the module was not unloaded after all).
 *
 * Context: process context; takes vmmgmt_host_vms_lock.
 * Return: 0; -EBUSY while a file has the module quiesced (it resumes).
 */
int vmmgmt_host_vm_handover_cancel(void)
{
	int ret = 0;

	mutex_lock(&vmmgmt_host_vms_lock);
	if (vmmgmt_host_quiesced_by) {
		ret = -EBUSY;
	} else if (vmmgmt_host_ep_frozen()) {
		vmmgmt_host_vm_resume_all(NULL, 0);
		pr_info("handover: cancelled through sysfs: the endpoints open again\n");
	}
	mutex_unlock(&vmmgmt_host_vms_lock);
	return ret;
}

/**
 * vmmgmt_host_vm_init() - create the workqueue of the QEMU exit works.
 *
 * Context: process context (module init, before /dev/vmmgmt-host).
 * Return: 0 or -ENOMEM.
 */
int vmmgmt_host_vm_init(void)
{
	vmmgmt_host_vm_wq = alloc_workqueue("vmmgmt-host-vm", 0, 0);
	return vmmgmt_host_vm_wq ? 0 : -ENOMEM;
}

/**
 * vmmgmt_host_vm_exit() - wait for the QEMU exit works and destroy their
 * workqueue.
 *
 * No VM is registered any more (each PERSIST VM holds the module), so no
 * work can be queued; one that removed the last VM may still run, and is
 * waited for.
 *
 * Context: process context (module exit, after /dev/vmmgmt-host is gone).
 */
void vmmgmt_host_vm_exit(void)
{
	destroy_workqueue(vmmgmt_host_vm_wq);
}
