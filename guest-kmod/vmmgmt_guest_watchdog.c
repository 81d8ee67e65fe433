// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt guest module: the stall watchdog, and the device's debugfs files.
 *
 * The ring protocol notifies once per idle period of a consumer
 * (Documentation/ring.rst): one doorbell or interrupt that never arrives
 * would leave records in a ring nobody looks at, for good.  The guest
 * does not rely on the host's watchdog for that.  While either ring holds
 * records, a delayed work looks at both each stall_ms / 2; a ring whose
 * consumer made no progress for stall_ms is notified again: the host by
 * the doorbell (and writers waiting for room look again), this side by
 * queueing the rx work.  When the consumer moves after that, the stall
 * counts in stalls_recovered, with a rate-limited log line; notifications
 * that do not help are repeated at doubling intervals and counted in
 * stall_kicks.  The tx ring is not watched while the host's consumer is
 * marked running (it needs no doorbell: it waits for its quota or for a
 * full destination, and the host's watchdog watches it), the rx ring
 * not while a reader's full queue holds it up (that reader restarts it).
 * A ring without progress for %VMMGMT_GUEST_WATCH_DUMP_MS has the channel's
 * state logged once.
 *
 * The work is armed whenever a record is posted, and stops at a look that
 * finds both rings empty %VMMGMT_GUEST_WATCH_ANSWER_MS or more after the
 * last post: the answers to what the guest posted (an echo, a call, a
 * name request) come later, and the interrupt that announces them may
 * be lost too (6.1, 2026-12-07: guest 1's echo test waited for 732
 * answers in H2G for minutes, the host's repeated interrupts did not
 * arrive, and the watchdog had stopped at a look between the requests'
 * consumption and the answers).  An idle guest has no timer running.
 * Lost interrupts for records the guest did not ask for are the host's
 * watchdog's to repeat.
 *
 * debugfs, vmmgmt/<PCI address>/channel: both rings' indexes and flags,
 * the rx consumer's state and the watchdog's view.
 *
 * Owns: &vmmgmt_guest_dev.watch_work, watch, watch_gen and debugfs, the
 * stall_ms parameter, the module's workqueue (&vmmgmt_guest_wq).  May
 * call: the shared stall detection (lib/vmmgmt_stall.c) only; it rings the
 * doorbell with the header's inline vmmgmt_guest_doorbell() and queues the
 * link's rx work with vmmgmt_guest_rx_queue(), so that the link can arm it
 * after every post.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "vmmgmt_guest.h"

/*
 * vmmgmt_guest_stall_ms: a ring with records and no progress for this long is
 * notified again.  0 turns the watchdog off.
 */
static unsigned int vmmgmt_guest_stall_ms = 1000;
module_param_named(stall_ms, vmmgmt_guest_stall_ms, uint, 0644);
MODULE_PARM_DESC(stall_ms, "notify a ring again when it held records without progress for this long (ms; 0: off; default 1000)");

/*
 * vmmgmt_guest_wq: the workqueue of the rx work, the rx poll and the
 * stall watchdog (vmmgmt_guest_rx_queue()): high priority, so that they
 * wait neither behind the system workqueue's items nor behind the
 * guest's busy processes.  Here, at the bottom of the module, so that
 * every layer may queue on it.
 */
struct workqueue_struct *vmmgmt_guest_wq;

/* How long after the last post the watchdog looks for answers (ms). */
#define VMMGMT_GUEST_WATCH_ANSWER_MS	30000

/* The shortest look interval honoured, in milliseconds. */
#define VMMGMT_GUEST_WATCH_MIN_MS	10
/* A stall this long has the channel's state logged, once. */
#define VMMGMT_GUEST_WATCH_DUMP_MS	10000
/* Room for the channel's state. */
#define VMMGMT_GUEST_WATCH_STATE_MAX	1024

/* vmmgmt/ in debugfs; an error pointer when debugfs is absent. */
static struct dentry *vmmgmt_guest_debugfs;

static const char * const vmmgmt_guest_watch_names[VMMGMT_GUEST_WATCH_RINGS] = {
	[VMMGMT_GUEST_WATCH_TX] = "G2H",
	[VMMGMT_GUEST_WATCH_RX] = "H2G",
};

/* The interval between looks in milliseconds; 0 when off. */
static unsigned int vmmgmt_guest_watch_tick_ms(void)
{
	unsigned int ms = READ_ONCE(vmmgmt_guest_stall_ms);

	return ms ? max_t(unsigned int, ms / 2, VMMGMT_GUEST_WATCH_MIN_MS) : 0;
}

/**
 * vmmgmt_guest_watch_arm() - make sure the watchdog looks within a tick.
 * @vdev: the device; not removed.
 *
 * Called after a record was posted: notes when, for the answers' window
 * (&vmmgmt_guest_dev.watch_posted).  Cheap when a look is queued already.
 *
 * Context: any context.
 */
void vmmgmt_guest_watch_arm(struct vmmgmt_guest_dev *vdev)
{
	unsigned int ms = vmmgmt_guest_watch_tick_ms();

	WRITE_ONCE(vdev->watch_posted, jiffies);
	if (ms && !READ_ONCE(vdev->rx_off) &&
	    !delayed_work_pending(&vdev->watch_work))
		queue_delayed_work(vmmgmt_guest_wq, &vdev->watch_work,
				   msecs_to_jiffies(ms));
}

/*
 * Both rings, the rx consumer and the watchdog, as text lines into @s.
 * Each side's private indexes are read without its lock (READ_ONCE()): a
 * snapshot for a person to read.
 */
static void vmmgmt_guest_watch_state(struct seq_buf *s,
				     struct vmmgmt_guest_dev *vdev)
{
	const struct vmmgmt_ring_ctrl *t = vdev->tx.ctrl, *r = vdev->rx.ctrl;
	int i;

	seq_buf_printf(s, "link %u generation %u vm_id %u\n",
		       READ_ONCE(vdev->link_state), READ_ONCE(vdev->link_gen),
		       READ_ONCE(vdev->vm_id));
	if (READ_ONCE(vdev->link_state) != VMMGMT_LINK_UP || !t || !r)
		return;
	seq_buf_printf(s, "g2h head %u kicked %u use_notify_at %d",
		       READ_ONCE(vdev->tx.idx), READ_ONCE(vdev->tx.kicked),
		       READ_ONCE(vdev->tx.use_notify_at));
	seq_buf_printf(s, " tail %u cons_running %u notify_at %u (host)",
		       READ_ONCE(t->tail), READ_ONCE(t->cons_running),
		       READ_ONCE(t->notify_at));
	seq_buf_printf(s, " prod_waiting %u\n", READ_ONCE(t->prod_waiting));
	seq_buf_printf(s, "h2g head %u (host) tail %u cons_running %u",
		       READ_ONCE(r->head), READ_ONCE(vdev->rx.idx),
		       READ_ONCE(r->cons_running));
	seq_buf_printf(s, " notify_at %u prod_waiting %u (host)\n",
		       READ_ONCE(r->notify_at), READ_ONCE(r->prod_waiting));
	seq_buf_printf(s, "rx work_pending %d linger %d stalled %d",
		       work_pending(&vdev->rx_work),
		       READ_ONCE(vdev->rx_linger), READ_ONCE(vdev->rx_stalled));
	/* Lockless: a hint for the reader of the dump, nothing waits on it. */
	seq_buf_printf(s, "; tx waiters %d\n", waitqueue_active(&vdev->tx_wq));
	seq_buf_printf(s, "counters doorbells %lld interrupts %lld",
		       atomic64_read(&vdev->counters.doorbells),
		       atomic64_read(&vdev->counters.interrupts));
	seq_buf_printf(s, " tx_msgs %lld rx_msgs %lld",
		       atomic64_read(&vdev->counters.tx_msgs),
		       atomic64_read(&vdev->counters.rx_msgs));
	seq_buf_printf(s, " stalls_recovered %lld stall_kicks %lld\n",
		       atomic64_read(&vdev->counters.stalls_recovered),
		       atomic64_read(&vdev->counters.stall_kicks));
	/* The watchdog's view, as its work last left it. */
	for (i = 0; i < VMMGMT_GUEST_WATCH_RINGS; i++)
		seq_buf_printf(s, "watch %s pending %d still %u acted %d backoff %u\n",
			       vmmgmt_guest_watch_names[i],
			       READ_ONCE(vdev->watch[i].pending),
			       READ_ONCE(vdev->watch[i].still),
			       READ_ONCE(vdev->watch[i].acted),
			       READ_ONCE(vdev->watch[i].backoff));
}

/* Log the channel's state, a kernel log line per line of it. */
static void vmmgmt_guest_watch_log(struct vmmgmt_guest_dev *vdev)
{
	char *buf, *p, *line;
	struct seq_buf s;

	buf = kmalloc(VMMGMT_GUEST_WATCH_STATE_MAX, GFP_KERNEL);
	if (!buf)
		return;
	seq_buf_init(&s, buf, VMMGMT_GUEST_WATCH_STATE_MAX);
	vmmgmt_guest_watch_state(&s, vdev);
	p = (char *)seq_buf_str(&s);
	while ((line = strsep(&p, "\n")) && *line)
		dev_warn(&vdev->pdev->dev, "%s\n", line);
	kfree(buf);
}

/**
 * vmmgmt_guest_watch_ring() - one look at one ring.
 * @vdev: the device.
 * @i: which ring.
 * @pending: the ring holds records now.
 * @tail: its consumer's index now.
 * @excused: the consumer waits on purpose (a reader's full queue).
 * @tick_ms: the interval between looks.
 *
 * vmmgmt_stall_look() decides, as for the host's watchdog; this counts,
 * logs and dumps.
 *
 * Context: the watchdog's work.
 * Return: true if the ring's consumer should be notified now.
 */
static bool vmmgmt_guest_watch_ring(struct vmmgmt_guest_dev *vdev,
				    enum vmmgmt_guest_watch_ring i,
				    bool pending, u32 tail, bool excused,
				    unsigned int tick_ms)
{
	struct vmmgmt_stall *st = &vdev->watch[i];
	unsigned int still = st->still, what;

	what = vmmgmt_stall_look(st, pending, tail, excused, true,
				 DIV_ROUND_UP(VMMGMT_GUEST_WATCH_DUMP_MS,
					      tick_ms));
	if (what & VMMGMT_STALL_RECOVERED) {
		atomic64_inc(&vdev->counters.stalls_recovered);
		dev_info_ratelimited(&vdev->pdev->dev, "%s ring stalled for %u ms; moving again after the watchdog's %s\n",
				     vmmgmt_guest_watch_names[i],
				     still * tick_ms,
				     i == VMMGMT_GUEST_WATCH_TX ?
				     "doorbell" : "look");
	}
	if (what & VMMGMT_STALL_DUMP) {
		dev_warn(&vdev->pdev->dev, "%s ring without progress for %u ms; channel state follows\n",
			 vmmgmt_guest_watch_names[i], st->still * tick_ms);
		vmmgmt_guest_watch_log(vdev);
	}
	if (!(what & VMMGMT_STALL_NOTIFY))
		return false;
	atomic64_inc(&vdev->counters.stall_kicks);
	return true;
}

/**
 * vmmgmt_guest_watch_work() - the watchdog's look at both rings.
 * @work: &vmmgmt_guest_dev.watch_work.
 *
 * Looks again a tick later while the link is up and either ring holds
 * records or the last post was less than %VMMGMT_GUEST_WATCH_ANSWER_MS
 * ago; otherwise stops until the next post arms it.
 *
 * Context: process context (&vmmgmt_guest_wq); takes &vmmgmt_guest_dev.rx_lock,
 * then &vmmgmt_guest_dev.tx_lock, briefly.
 */
static void vmmgmt_guest_watch_work(struct work_struct *work)
{
	struct vmmgmt_guest_dev *vdev = container_of(to_delayed_work(work),
						     struct vmmgmt_guest_dev,
						     watch_work);
	unsigned int tick_ms = vmmgmt_guest_watch_tick_ms();
	bool tx_pending = false, rx_pending = false, host_busy = false;
	bool stalled, up, answers;
	u32 tx_tail = 0, rx_tail = 0;

	mutex_lock(&vdev->rx_lock);
	mutex_lock(&vdev->tx_lock);
	up = vdev->link_state == VMMGMT_LINK_UP;
	if (up) {
		tx_tail = READ_ONCE(vdev->tx.ctrl->tail);
		tx_pending = vdev->tx.idx != tx_tail;
		host_busy = READ_ONCE(vdev->tx.ctrl->cons_running);
		rx_tail = vdev->rx.idx;
		rx_pending = READ_ONCE(vdev->rx.ctrl->head) != rx_tail;
	}
	mutex_unlock(&vdev->tx_lock);
	mutex_unlock(&vdev->rx_lock);
	if (!up || !tick_ms || vdev->watch_gen != READ_ONCE(vdev->link_gen)) {
		memset(vdev->watch, 0, sizeof(vdev->watch));
		vdev->watch_gen = READ_ONCE(vdev->link_gen);
		if (!up || !tick_ms)
			return;
	}

	/*
	 * A host consumer marked running looks without a doorbell; it may
	 * wait for its quota or for a full destination (a host endpoint
	 * that reads slowly): its own watchdog is for that.
	 */
	if (vmmgmt_guest_watch_ring(vdev, VMMGMT_GUEST_WATCH_TX, tx_pending,
				    tx_tail, host_busy, tick_ms)) {
		vmmgmt_guest_doorbell(vdev);
		/* Writers waiting for room look again. */
		atomic_inc(&vdev->tx_seq);
		wake_up_all(&vdev->tx_wq);
	}
	xa_lock(&vdev->ports);
	stalled = vdev->rx_stalled;
	xa_unlock(&vdev->ports);
	if (vmmgmt_guest_watch_ring(vdev, VMMGMT_GUEST_WATCH_RX, rx_pending,
				    rx_tail, stalled, tick_ms) &&
	    !READ_ONCE(vdev->rx_off))
		vmmgmt_guest_rx_queue(vdev);

	/* Answers to the last posts are still due: they may come unannounced. */
	answers = time_before(jiffies, READ_ONCE(vdev->watch_posted) +
			      msecs_to_jiffies(VMMGMT_GUEST_WATCH_ANSWER_MS));
	if ((tx_pending || rx_pending || answers) && !READ_ONCE(vdev->rx_off))
		queue_delayed_work(vmmgmt_guest_wq, &vdev->watch_work,
				   msecs_to_jiffies(tick_ms));
}

static int vmmgmt_guest_channel_show(struct seq_file *m, void *unused)
{
	char *buf = kmalloc(VMMGMT_GUEST_WATCH_STATE_MAX, GFP_KERNEL);
	struct seq_buf s;

	if (!buf)
		return -ENOMEM;
	seq_buf_init(&s, buf, VMMGMT_GUEST_WATCH_STATE_MAX);
	vmmgmt_guest_watch_state(&s, m->private);
	seq_puts(m, seq_buf_str(&s));
	kfree(buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmmgmt_guest_channel);

/**
 * vmmgmt_guest_watch_init() - set up a device's watchdog and debugfs files.
 * @vdev: the device, being probed; its work items are not running.
 *
 * Context: process context.
 */
void vmmgmt_guest_watch_init(struct vmmgmt_guest_dev *vdev)
{
	INIT_DELAYED_WORK(&vdev->watch_work, vmmgmt_guest_watch_work);
	vdev->debugfs = debugfs_create_dir(pci_name(vdev->pdev),
					   vmmgmt_guest_debugfs);
	debugfs_create_file("channel", 0400, vdev->debugfs, vdev,
			    &vmmgmt_guest_channel_fops);
}

/**
 * vmmgmt_guest_watch_stop() - stop a device's watchdog, remove its debugfs
 * files.
 * @vdev: the device; nothing posts any more (its files and its statistics
 *	collector are gone), so nothing arms the watchdog.  Called before
 *	vmmgmt_guest_rx_shutdown(): the watchdog queues the rx work.  May be
 *	called twice.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_guest_watch_stop(struct vmmgmt_guest_dev *vdev)
{
	debugfs_remove_recursive(vdev->debugfs);
	vdev->debugfs = NULL;
	cancel_delayed_work_sync(&vdev->watch_work);
}

/**
 * vmmgmt_guest_watch_pause() - stop a device's watchdog for a system sleep.
 * @vdev: the device; &vmmgmt_guest_dev.rx_off is set already, so nothing
 *	arms the watchdog again until vmmgmt_guest_watch_arm() after the
 *	sleep.  The debugfs files stay.
 *
 * Context: process context; may sleep.
 */
void vmmgmt_guest_watch_pause(struct vmmgmt_guest_dev *vdev)
{
	cancel_delayed_work_sync(&vdev->watch_work);
}

/**
 * vmmgmt_guest_watch_module_init() - create &vmmgmt_guest_wq and vmmgmt/ in
 * debugfs.
 *
 * Context: process context (module init), before the driver is registered.
 * Return: 0 or -ENOMEM.
 */
int vmmgmt_guest_watch_module_init(void)
{
	vmmgmt_guest_wq = alloc_workqueue("vmmgmt_guest", WQ_HIGHPRI, 0);
	if (!vmmgmt_guest_wq)
		return -ENOMEM;
	vmmgmt_guest_debugfs = debugfs_create_dir("vmmgmt", NULL);
	return 0;
}

/**
 * vmmgmt_guest_watch_module_exit() - remove vmmgmt/ from debugfs, destroy
 * &vmmgmt_guest_wq.
 *
 * Context: process context (module exit), after every device is removed
 * (which cancelled its work items).
 */
void vmmgmt_guest_watch_module_exit(void)
{
	debugfs_remove_recursive(vmmgmt_guest_debugfs);
	destroy_workqueue(vmmgmt_guest_wq);
}
