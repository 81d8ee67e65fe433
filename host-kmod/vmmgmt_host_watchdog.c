// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module: the stall watchdog, and the channel's debugfs files.
 *
 * The ring protocol notifies once per idle period of a consumer (see
 * Documentation/ring.rst): a single doorbell or interrupt that never
 * arrives would leave records in a ring that nobody looks at, for good.
 * Nested emulation loses interrupts now and then, and a host module or
 * daemon hand-over can open the same window, so the module does not rely
 * on every notification arriving.  One delayed work looks at every VM's
 * two rings each stall_ms / 2.  A ring that holds records while its
 * consumer made no progress for stall_ms gets the notification again: the
 * worker is woken for the guest-to-host ring (a doorbell that did not
 * arrive), the guest is interrupted for the host-to-guest ring, and a
 * worker that waits for room in that ring the guest has made is woken
 * (the guest's doorbell saying so did not arrive).  A worker that waits
 * for its quota or for a full destination does not stall.  When the
 * consumer moves after that, the stall counts in
 * vms/<name>/stalls_recovered, with a log line (at most ten per five
 * seconds a VM).  A notification that does not help (a guest whose
 * reader does not read, a guest without a driver) is repeated at doubling
 * intervals, up to %VMMGMT_STALL_BACKOFF_MAX looks apart, and counted in
 * stall_kicks.  A ring without progress for %VMMGMT_HOST_WATCH_DUMP_MS
 * has its state logged once.
 *
 * The watchdog reads only indexes: the guest's words decide at most
 * whether its own VM is woken or interrupted, once per look at most.
 *
 * debugfs, vmmgmt-host/<name>/: channel (both rings' indexes and flags,
 * the worker's state, the watchdog's view), and drop_kicks / drop_calls,
 * fault injection for tests: the worker ignores that many of the guest's
 * next doorbells, or skips that many of its next interrupts to the guest.
 *
 * Owns: the watch list, the delayed work and the debugfs directories.
 *
 * May call: the shared stall detection only (it wakes workers and
 * interrupts guests with the inline helpers of vmmgmt_host.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <vmmgmt.h>

#include "vmmgmt_host.h"

/*
 * vmmgmt_host_stall_ms: a ring with records and no progress for this long
 * is notified again.  0 turns the watchdog off (it then only keeps its
 * view up to date).
 */
static unsigned int vmmgmt_host_stall_ms = 1000;
module_param_named(stall_ms, vmmgmt_host_stall_ms, uint, 0644);
MODULE_PARM_DESC(stall_ms, "notify a ring again when it held records without progress for this long (ms; 0: off; default 1000)");

/* The shortest look interval honoured, in milliseconds. */
#define VMMGMT_HOST_WATCH_MIN_MS	10
/* Looks while the watchdog is off (stall_ms 0), in milliseconds. */
#define VMMGMT_HOST_WATCH_OFF_MS	1000
/* A stall this long has the channel's state logged, once. */
#define VMMGMT_HOST_WATCH_DUMP_MS	10000

/* Serialises the looks, VM addition and removal; protects the list. */
static DEFINE_MUTEX(vmmgmt_host_watch_lock);
/* VMs with a running worker, in the order they were added. */
static LIST_HEAD(vmmgmt_host_watched);
/* vmmgmt-host/ in debugfs; an error pointer when debugfs is absent. */
static struct dentry *vmmgmt_host_debugfs;

static void vmmgmt_host_watch_fn(struct work_struct *work);
static void vmmgmt_host_watch_log(struct vmmgmt_host_vm *vm);
static DECLARE_DELAYED_WORK(vmmgmt_host_watch_work, vmmgmt_host_watch_fn);

/* The interval between looks, in milliseconds. */
static unsigned int vmmgmt_host_watch_tick_ms(void)
{
	unsigned int ms = READ_ONCE(vmmgmt_host_stall_ms);

	if (!ms)
		return VMMGMT_HOST_WATCH_OFF_MS;
	return max_t(unsigned int, ms / 2, VMMGMT_HOST_WATCH_MIN_MS);
}

static const char * const vmmgmt_host_watch_names[VMMGMT_HOST_WATCH_RINGS] = {
	[VMMGMT_HOST_WATCH_G2H] = "G2H",
	[VMMGMT_HOST_WATCH_H2G] = "H2G",
	[VMMGMT_HOST_WATCH_ROOM] = "H2G room",
};

/**
 * vmmgmt_host_watch_ring() - one look at one ring.
 * @vm: the VM.
 * @r: which ring.
 * @pending: the ring holds records now.
 * @tail: its consumer's index now.
 * @excused: the consumer waits on purpose (a quota): no stall.
 * @tick_ms: the interval between looks.
 *
 * vmmgmt_stall_look() decides; this counts, logs and dumps.
 *
 * Context: the watchdog, vmmgmt_host_watch_lock held.
 * Return: true if the ring's consumer should be notified now.
 */
static bool vmmgmt_host_watch_ring(struct vmmgmt_host_vm *vm,
				   enum vmmgmt_host_watch_ring r, bool pending,
				   u32 tail, bool excused,
				   unsigned int tick_ms)
{
	struct vmmgmt_stall *st = &vm->watch.dir[r];
	unsigned int still = st->still, what;

	what = vmmgmt_stall_look(st, pending, tail, excused,
				 READ_ONCE(vmmgmt_host_stall_ms) != 0,
				 DIV_ROUND_UP(VMMGMT_HOST_WATCH_DUMP_MS,
					      tick_ms));
	if (what & VMMGMT_STALL_RECOVERED) {
		atomic64_inc(&vm->counters.stalls_recovered);
		/* Per VM: one guest's stalls do not hide another's. */
		if (__ratelimit(&vm->watch.rs))
			pr_info("%s (id %u): %s stalled for %u ms; moving again after the watchdog's %s\n",
				vm->name, vm->id, vmmgmt_host_watch_names[r],
				still * tick_ms,
				r == VMMGMT_HOST_WATCH_H2G ?
				"interrupt" : "wake-up");
	}
	if ((what & VMMGMT_STALL_DUMP) && __ratelimit(&vm->watch.rs)) {
		pr_warn("%s (id %u): %s without progress for %u ms; channel state follows\n",
			vm->name, vm->id, vmmgmt_host_watch_names[r],
			st->still * tick_ms);
		vmmgmt_host_watch_log(vm);
	}
	if (!(what & VMMGMT_STALL_NOTIFY))
		return false;
	atomic64_inc(&vm->counters.stall_kicks);
	return true;
}

/**
 * vmmgmt_host_watch_vm() - one look at a VM's two rings.
 * @vm: the VM, on the watch list (its worker runs, its region is mapped).
 * @tick_ms: the interval between looks.
 *
 * Context: the watchdog, vmmgmt_host_watch_lock held.
 */
static void vmmgmt_host_watch_vm(struct vmmgmt_host_vm *vm,
				 unsigned int tick_ms)
{
	struct vmmgmt_host_watch *watch = &vm->watch;
	u32 gen = READ_ONCE(vm->generation);
	u32 g2h_tail, h2g_head, h2g_tail;
	bool throttled;

	/* A reset starts both rings afresh; a broken link has no consumer. */
	if (gen != watch->gen ||
	    READ_ONCE(vm->link_state) != VMMGMT_LINK_UP) {
		memset(watch->dir, 0, sizeof(watch->dir));
		watch->gen = gen;
		return;
	}
	/*
	 * The worker's own indexes and quota wait, read while it may be
	 * changing them: a stale value delays a stall's detection by a look
	 * at most.
	 */
	g2h_tail = READ_ONCE(vm->g2h.idx);
	h2g_head = READ_ONCE(vm->h2g.idx);
	h2g_tail = READ_ONCE(vm->h2g.ctrl->tail);
	throttled = READ_ONCE(vm->quota.wait_ns) != 0;

	/* Waiting for a quota or a full destination is not a stall. */
	if (vmmgmt_host_watch_ring(vm, VMMGMT_HOST_WATCH_G2H,
				   READ_ONCE(vm->g2h.ctrl->head) != g2h_tail,
				   g2h_tail, throttled || READ_ONCE(vm->blocked),
				   tick_ms))
		vmmgmt_host_worker_wake(vm);
	if (vmmgmt_host_watch_ring(vm, VMMGMT_HOST_WATCH_H2G,
				   h2g_head != h2g_tail, h2g_tail, false,
				   tick_ms))
		vmmgmt_host_worker_notify(vm);
	/* The guest drained the ring the worker waits for room in. */
	if (vmmgmt_host_watch_ring(vm, VMMGMT_HOST_WATCH_ROOM,
				   READ_ONCE(vm->h2g_blocked) &&
				   h2g_head == h2g_tail, h2g_head, false,
				   tick_ms))
		vmmgmt_host_worker_wake(vm);
}

/**
 * vmmgmt_host_watch_fn() - the watchdog's periodic look at every VM.
 * @work: vmmgmt_host_watch_work.
 *
 * Context: process context (system workqueue); takes
 * vmmgmt_host_watch_lock.
 */
static void vmmgmt_host_watch_fn(struct work_struct *work)
{
	unsigned int tick_ms = vmmgmt_host_watch_tick_ms();
	struct vmmgmt_host_vm *vm;
	bool any;

	mutex_lock(&vmmgmt_host_watch_lock);
	list_for_each_entry(vm, &vmmgmt_host_watched, watch.node)
		vmmgmt_host_watch_vm(vm, tick_ms);
	any = !list_empty(&vmmgmt_host_watched);
	mutex_unlock(&vmmgmt_host_watch_lock);
	/* No VM, no look: vmmgmt_host_watch_add() starts it again. */
	if (any)
		schedule_delayed_work(&vmmgmt_host_watch_work,
				      msecs_to_jiffies(tick_ms));
}

/* The worker's state, as a word, for the channel dump. */
static const char *vmmgmt_host_watch_task_state(struct vmmgmt_host_vm *vm)
{
	unsigned int state = READ_ONCE(vm->thread->__state);

	if (state == TASK_RUNNING)
		return "running";
	if (state & TASK_INTERRUPTIBLE)
		return "sleeping";
	return "waiting";
}

/* Room for the channel's state: six lines. */
#define VMMGMT_HOST_WATCH_STATE_MAX	1024

/*
 * Both rings, the worker and the watchdog, as text lines into @s.  The
 * worker's fields are read while it runs (READ_ONCE()): a snapshot for a
 * person to read, not a value anything decides on.
 */
static void vmmgmt_host_watch_state(struct seq_buf *s,
				    struct vmmgmt_host_vm *vm)
{
	const struct vmmgmt_ring_ctrl *g = vm->g2h.ctrl, *h = vm->h2g.ctrl;
	const struct vmmgmt_host_watch *w = &vm->watch;
	int r;

	seq_buf_printf(s, "vm %s id %u generation %u link %u\n", vm->name,
		       vm->id, READ_ONCE(vm->generation),
		       READ_ONCE(vm->link_state));
	/* "(guest)": written by the guest. */
	seq_buf_printf(s, "g2h head %u (guest) tail %u cons_running %u",
		       READ_ONCE(g->head), READ_ONCE(vm->g2h.idx),
		       READ_ONCE(g->cons_running));
	seq_buf_printf(s, " notify_at %u prod_waiting %u (guest)\n",
		       READ_ONCE(g->notify_at), READ_ONCE(g->prod_waiting));
	seq_buf_printf(s, "h2g head %u kicked %u use_notify_at %d",
		       READ_ONCE(vm->h2g.idx), READ_ONCE(vm->h2g.kicked),
		       READ_ONCE(vm->h2g.use_notify_at));
	seq_buf_printf(s, " tail %u cons_running %u notify_at %u (guest)",
		       READ_ONCE(h->tail), READ_ONCE(h->cons_running),
		       READ_ONCE(h->notify_at));
	seq_buf_printf(s, " prod_waiting %u\n", READ_ONCE(h->prod_waiting));
	seq_buf_printf(s, "worker %s pending %d",
		       vmmgmt_host_watch_task_state(vm),
		       atomic_read(&vm->pending));
	seq_buf_printf(s, " linger %d streaming %d throttled_ns %llu",
		       READ_ONCE(vm->linger), READ_ONCE(vm->streaming),
		       READ_ONCE(vm->quota.wait_ns));
	seq_buf_printf(s, " blocked %d h2g_blocked %d (len %u) h2g_broken %d",
		       READ_ONCE(vm->blocked), READ_ONCE(vm->h2g_blocked),
		       READ_ONCE(vm->blocked_len), READ_ONCE(vm->h2g_broken));
	seq_buf_printf(s, " tx_queued %u\n", READ_ONCE(vm->tx.msgs));
	seq_buf_printf(s, "counters kicks %lld notifications_sent %lld",
		       atomic64_read(&vm->counters.kicks),
		       atomic64_read(&vm->counters.notifications_sent));
	seq_buf_printf(s, " rx_msgs %lld tx_msgs %lld",
		       atomic64_read(&vm->counters.rx_msgs),
		       atomic64_read(&vm->counters.tx_msgs));
	seq_buf_printf(s, " stalls_recovered %lld stall_kicks %lld",
		       atomic64_read(&vm->counters.stalls_recovered),
		       atomic64_read(&vm->counters.stall_kicks));
	seq_buf_printf(s, " injected_drops %lld\n",
		       atomic64_read(&vm->counters.injected_drops));
	for (r = 0; r < VMMGMT_HOST_WATCH_RINGS; r++)
		seq_buf_printf(s, "watch %s pending %d still %u acted %d backoff %u\n",
			       vmmgmt_host_watch_names[r], w->dir[r].pending,
			       w->dir[r].still, w->dir[r].acted,
			       w->dir[r].backoff);
}

/**
 * vmmgmt_host_watch_log() - log a VM's channel state.
 * @vm: the VM, on the watch list.
 *
 * The lines debugfs shows in vmmgmt-host/<name>/channel, each on a kernel
 * log line of its own.
 *
 * Context: process context; may sleep (allocates).
 */
static void vmmgmt_host_watch_log(struct vmmgmt_host_vm *vm)
{
	char *buf, *p, *line;
	struct seq_buf s;

	buf = kmalloc(VMMGMT_HOST_WATCH_STATE_MAX, GFP_KERNEL);
	if (!buf)
		return;
	seq_buf_init(&s, buf, VMMGMT_HOST_WATCH_STATE_MAX);
	vmmgmt_host_watch_state(&s, vm);
	p = (char *)seq_buf_str(&s);
	while ((line = strsep(&p, "\n")) && *line)
		pr_warn("%s: %s\n", vm->name, line);
	kfree(buf);
}

static int vmmgmt_host_channel_show(struct seq_file *m, void *unused)
{
	char *buf = kmalloc(VMMGMT_HOST_WATCH_STATE_MAX, GFP_KERNEL);
	struct seq_buf s;

	if (!buf)
		return -ENOMEM;
	seq_buf_init(&s, buf, VMMGMT_HOST_WATCH_STATE_MAX);
	/* The watchdog's view is consistent between its looks. */
	mutex_lock(&vmmgmt_host_watch_lock);
	vmmgmt_host_watch_state(&s, m->private);
	mutex_unlock(&vmmgmt_host_watch_lock);
	seq_puts(m, seq_buf_str(&s));
	kfree(buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmmgmt_host_channel);

/**
 * vmmgmt_host_watch_add() - watch a VM whose worker runs.
 * @vm: the VM; its region is mapped and its worker started.
 *
 * Also creates its debugfs directory (nothing fails if debugfs does not).
 *
 * Context: process context; takes vmmgmt_host_watch_lock.
 */
void vmmgmt_host_watch_add(struct vmmgmt_host_vm *vm)
{
	struct dentry *dir;

	memset(&vm->watch.dir, 0, sizeof(vm->watch.dir));
	/* Ten lines per five seconds a VM. */
	ratelimit_state_init(&vm->watch.rs, 5 * HZ, 10);
	vm->watch.gen = vm->generation;
	dir = debugfs_create_dir(vm->name, vmmgmt_host_debugfs);
	vm->watch.debugfs = dir;
	debugfs_create_file("channel", 0400, dir, vm,
			    &vmmgmt_host_channel_fops);
	debugfs_create_atomic_t("drop_kicks", 0600, dir, &vm->drop_kicks);
	debugfs_create_atomic_t("drop_calls", 0600, dir, &vm->drop_calls);

	mutex_lock(&vmmgmt_host_watch_lock);
	list_add_tail(&vm->watch.node, &vmmgmt_host_watched);
	mutex_unlock(&vmmgmt_host_watch_lock);
	/* No-op when a look is queued already. */
	schedule_delayed_work(&vmmgmt_host_watch_work,
			      msecs_to_jiffies(vmmgmt_host_watch_tick_ms()));
}

/**
 * vmmgmt_host_watch_del() - stop watching a VM.
 * @vm: the VM, before its worker is stopped and its region unmapped.
 *
 * Once this returns, the watchdog and the debugfs files no longer touch
 * @vm (debugfs waits for readers in progress).
 *
 * Context: process context; may sleep; takes vmmgmt_host_watch_lock.
 */
void vmmgmt_host_watch_del(struct vmmgmt_host_vm *vm)
{
	debugfs_remove_recursive(vm->watch.debugfs);
	vm->watch.debugfs = NULL;
	mutex_lock(&vmmgmt_host_watch_lock);
	list_del(&vm->watch.node);
	mutex_unlock(&vmmgmt_host_watch_lock);
}

/**
 * vmmgmt_host_watch_init() - create the debugfs directory.
 *
 * Context: process context (module init).
 */
void vmmgmt_host_watch_init(void)
{
	vmmgmt_host_debugfs = debugfs_create_dir("vmmgmt-host", NULL);
}

/**
 * vmmgmt_host_watch_exit() - stop the watchdog, remove debugfs.
 *
 * Context: process context (module exit); no VM is left.
 */
void vmmgmt_host_watch_exit(void)
{
	cancel_delayed_work_sync(&vmmgmt_host_watch_work);
	debugfs_remove_recursive(vmmgmt_host_debugfs);
}
