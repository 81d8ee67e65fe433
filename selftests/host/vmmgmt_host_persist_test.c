// SPDX-License-Identifier: GPL-2.0
/*
 * vmmgmt host module with fake VMs (vmmgmt_host_vm.h), no guests: VMs
 * that outlive their daemon (ABI 0.8).  A VM added with
 * VMMGMT_HOST_VM_F_PERSIST stays when the file that added it is closed
 * (an orphan), is listed (VMMGMT_HOST_IOC_LIST_VMS, in pages) and adopted
 * (VMMGMT_HOST_IOC_ADOPT_VM), may be removed through any file, and goes
 * by itself when its QEMU exits; a VM added without the flag still goes
 * with its file.  The "QEMU" is this test process, or a child it forks
 * and kills.  The kernel log lines of the host module are checked through
 * /dev/kmsg.
 */
#include <signal.h>
#include <sys/syscall.h>

#include "vmmgmt_host_vm.h"

/* The VMs of the paging test: ids LIST_BASE + 1 .. LIST_BASE + LIST_N. */
#define LIST_BASE	2000
#define LIST_N		20
/* A QEMU exit must remove its VM within this. */
#define GONE_MS		2000

FIXTURE(persist) {
	int dev;
	pid_t qemu;		/* a forked fake QEMU, or 0 */
	struct fake_vm a, b;
	struct fake_vm list[LIST_N];
	int kmsg;
};

FIXTURE_SETUP(persist)
{
	self->kmsg = -1;
	if (!open_host_dev(_metadata, &self->dev))
		return;
	ASSERT_EQ(0, fake_vm_init(&self->a, ID_A, "t-alpha", REGION));
	ASSERT_EQ(0, fake_vm_init(&self->b, ID_B, "t-beta", REGION));
	/* Only the records from here on. */
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END));
}

/*
 * Whatever a test left registered is removed here (PERSIST VMs would
 * otherwise stay until their QEMU, this process, exits: the next test
 * would find their ids in use, and rmmod would fail).
 */
FIXTURE_TEARDOWN(persist)
{
	int fd = open_dev();
	int i;

	if (fd >= 0) {
		del_vm(fd, ID_A);
		del_vm(fd, ID_B);
		for (i = 0; i < LIST_N; i++)
			del_vm(fd, LIST_BASE + 1 + i);
		close(fd);
	}
	if (self->qemu > 0) {
		kill(self->qemu, SIGKILL);
		waitpid(self->qemu, NULL, 0);
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
	for (i = 0; i < LIST_N; i++)
		fake_vm_fini(&self->list[i]);
	fake_vms_teardown(self->dev, &self->a, &self->b);
}

/* ADD_VM of @f with @flags and @qemu as its QEMU; 0 or -errno. */
static int add_flags(int dev, struct fake_vm *f, __u32 flags, pid_t qemu)
{
	struct vmmgmt_host_vm_add r;
	int ret;

	fake_vm_req(f, &r);
	r.flags = flags;
	r.qemu_pid = qemu;
	ret = add_vm(dev, &r);
	return ret ? ret : fake_vm_attach(f);
}

static int adopt(int dev, __u32 id, pid_t qemu)
{
	struct vmmgmt_host_vm_adopt a = { .vm_id = id, .qemu_pid = qemu };

	return ioctl(dev, VMMGMT_HOST_IOC_ADOPT_VM, &a) ? -errno : 0;
}

/* One page of VMs with ids above @after into @l; 0 or -errno. */
static int list_page(int dev, __u32 after, struct vmmgmt_host_vm_list *l)
{
	memset(l, 0, sizeof(*l));
	l->after_id = after;
	return ioctl(dev, VMMGMT_HOST_IOC_LIST_VMS, l) ? -errno : 0;
}

/*
 * The entry of VM @id, walking every page; false when it is not listed.
 * Each page must hold at most VMMGMT_HOST_VMS_PER_LIST VMs by increasing
 * id, say MORE exactly when it is full and more follow.
 */
static bool list_find(struct __test_metadata *_metadata, int dev, __u32 id,
		      struct vmmgmt_host_vm_info *out)
{
	static struct vmmgmt_host_vm_list l;
	bool found = false;
	__u32 after = 0, i;

	for (;;) {
		EXPECT_EQ(0, list_page(dev, after, &l));
		EXPECT_GE((__u32)VMMGMT_HOST_VMS_PER_LIST, l.count);
		for (i = 0; i < l.count && i < VMMGMT_HOST_VMS_PER_LIST; i++) {
			EXPECT_LT(after, l.vms[i].vm_id);
			after = l.vms[i].vm_id;
			if (after == id) {
				*out = l.vms[i];
				found = true;
			}
		}
		if (!(l.flags & VMMGMT_HOST_VM_LIST_F_MORE))
			break;
		EXPECT_EQ((__u32)VMMGMT_HOST_VMS_PER_LIST, l.count);
		if (l.count != VMMGMT_HOST_VMS_PER_LIST)
			break;
	}
	return found;
}

static bool vm_dir_exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), VMMGMT_HOST_VMS_SYSFS "/%s", name);
	return !access(path, F_OK);
}

/* Wait up to @ms for the sysfs directory of @name to go; true if gone. */
static bool wait_vm_gone(const char *name, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (!vm_dir_exists(name))
			return true;
		vmmgmt_sleep_ms(10);
	}
	return !vm_dir_exists(name);
}

#define EXPECT_LOG(fmt, ...) do {					\
		char needle_[160];					\
		snprintf(needle_, sizeof(needle_), fmt, ##__VA_ARGS__);	\
		EXPECT_TRUE(kmsg_wait(self->kmsg, needle_, 1000))	\
			TH_LOG("no kernel log line with \"%s\"", needle_); \
	} while (0)

/* A fake QEMU: a child that sleeps until it is killed. */
static pid_t fork_qemu(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

/* A process that has exited and was reaped: its pid is free. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* A fake QEMU whose main thread exits first: another thread runs on. */
static pid_t fork_qemu_leader_gone(void)
{
	pthread_t t;
	pid_t pid = fork();

	if (!pid) {
		if (pthread_create(&t, NULL, sleeper, NULL))
			_exit(1);
		/* Only this thread (the leader) exits: the process lives. */
		syscall(SYS_exit, 0);
	}
	return pid;
}

/* A thread that reports its id and waits until a byte comes on @arg. */
static pid_t tid_of_thread;

static void *report_tid(void *arg)
{
	int *pipefd = arg;
	char c;

	__atomic_store_n(&tid_of_thread, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (read(pipefd[0], &c, 1) < 0)
		return NULL;
	return arg;
}

/*
 * The VM stays when the file that added it is closed, listed as an
 * orphan; its channel keeps working; an adoption claims it, and the
 * adopter's close orphans it again.
 */
TEST_F(persist, survives_close_adopt)
{
	struct vmmgmt_host_vm_info info;
	int dev2;

	dev2 = open_dev();
	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, add_flags(dev2, &self->a, VMMGMT_HOST_VM_F_PERSIST, getpid()));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "persist"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "orphan"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "adoptions"));
	EXPECT_EQ(getpid(), vm_attr_num("t-alpha", "qemu_pid"));
	ASSERT_TRUE(list_find(_metadata, self->dev, ID_A, &info));
	EXPECT_EQ((__u32)VMMGMT_HOST_VM_F_PERSIST, info.flags);

	close(dev2);
	EXPECT_LOG("vm t-alpha (id %u): daemon file closed, VM kept (QEMU pid %d)",
		   ID_A, getpid());
	ASSERT_TRUE(vm_dir_exists("t-alpha"));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "orphan"));
	ASSERT_TRUE(list_find(_metadata, self->dev, ID_A, &info));
	EXPECT_EQ((__u32)(VMMGMT_HOST_VM_F_PERSIST | VMMGMT_HOST_VM_F_ORPHAN),
		  info.flags);
	EXPECT_EQ((__u32)getpid(), info.qemu_pid);
	EXPECT_EQ((__u64)REGION, info.region_size);
	EXPECT_EQ(2U, info.nr_vectors);
	EXPECT_EQ((__u32)VMMGMT_LINK_UP, info.link_state);
	EXPECT_EQ(0U, info.adoptions);
	EXPECT_STREQ("t-alpha", (char *)info.name);
	EXPECT_EQ(0ULL, info.reserved[0] | info.reserved[1]);
	/* The orphan's channel works: the worker runs on. */
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 200, 1));

	ASSERT_EQ(0, adopt(self->dev, ID_A, getpid()));
	EXPECT_LOG("vm t-alpha (id %u): adopted by pid %d (QEMU pid %d)", ID_A,
		   getpid(), getpid());
	EXPECT_EQ(0, vm_attr_num("t-alpha", "orphan"));
	EXPECT_EQ(1, vm_attr_num("t-alpha", "adoptions"));
	ASSERT_TRUE(list_find(_metadata, self->dev, ID_A, &info));
	EXPECT_EQ((__u32)VMMGMT_HOST_VM_F_PERSIST, info.flags);
	EXPECT_EQ(1U, info.adoptions);
	/* Adopting again (the same file) counts too. */
	ASSERT_EQ(0, adopt(self->dev, ID_A, getpid()));
	EXPECT_EQ(2, vm_attr_num("t-alpha", "adoptions"));

	/* The adopter goes: an orphan again, still running. */
	close(self->dev);
	self->dev = -1;
	EXPECT_LOG("vm t-alpha (id %u): daemon file closed, VM kept", ID_A);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "orphan"));
	EXPECT_EQ(0, echo_run(_metadata, &self->a, 50, 1000));
}

/* Without the flag: today's behaviour, the VM goes with its file. */
TEST_F(persist, non_persist_goes_with_file)
{
	struct vmmgmt_host_vm_info info;
	int dev2;

	dev2 = open_dev();
	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, add_flags(dev2, &self->b, 0, getpid()));
	EXPECT_EQ(0, vm_attr_num("t-beta", "persist"));
	EXPECT_EQ(0, vm_attr_num("t-beta", "orphan"));
	ASSERT_TRUE(list_find(_metadata, self->dev, ID_B, &info));
	EXPECT_EQ(0U, info.flags);
	/* Only its own file may remove it. */
	EXPECT_EQ(-ENOENT, del_vm(self->dev, ID_B));
	close(dev2);
	EXPECT_FALSE(vm_dir_exists("t-beta"));
	EXPECT_FALSE(list_find(_metadata, self->dev, ID_B, &info));
}

/*
 * DEL_VM of a PERSIST VM through a file that neither added nor adopted
 * it: refused while its owner holds it, done once it is an orphan.
 */
TEST_F(persist, del_from_other_file)
{
	struct vmmgmt_host_vm_info info;
	int other;

	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, getpid()));
	other = open_dev();
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENOENT, del_vm(other, ID_A));
	EXPECT_TRUE(vm_dir_exists("t-alpha"));
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
	EXPECT_FALSE(vm_dir_exists("t-alpha"));
	EXPECT_FALSE(list_find(_metadata, other, ID_A, &info));
	EXPECT_EQ(-ENOENT, del_vm(other, ID_A));
	EXPECT_EQ(-ENOENT, del_vm(self->dev, ID_A));
	/* And an orphan, through a third file. */
	ASSERT_EQ(0, add_flags(self->dev, &self->b, VMMGMT_HOST_VM_F_PERSIST, getpid()));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(1, vm_attr_num("t-beta", "orphan"));
	EXPECT_EQ(0, del_vm(other, ID_B));
	EXPECT_FALSE(vm_dir_exists("t-beta"));
	close(other);
}

/* ADD_VM with PERSIST needs a live process as its QEMU. */
TEST_F(persist, add_dead_pid)
{
	int pipefd[2], i;
	siginfo_t si;
	pthread_t t;
	pid_t pid;

	pid = dead_pid();
	ASSERT_LT(0, pid);
	EXPECT_EQ(-ESRCH, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, pid));
	EXPECT_EQ(-ESRCH, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, 0));
	EXPECT_EQ(-ESRCH, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, -1));
	/* A zombie has exited too (waited for, not reaped). */
	pid = fork();
	if (!pid)
		_exit(0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, pid));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	/* A live thread's id is no process. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pthread_create(&t, NULL, report_tid, pipefd));
	for (i = 0; i < 500 && !__atomic_load_n(&tid_of_thread, __ATOMIC_ACQUIRE); i++)
		vmmgmt_sleep_ms(10);
	ASSERT_LT(0, tid_of_thread);
	ASSERT_NE(getpid(), tid_of_thread);
	EXPECT_EQ(-ESRCH, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST,
				    tid_of_thread));
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	close(pipefd[0]);
	close(pipefd[1]);
	/* Nothing was registered. */
	EXPECT_FALSE(vm_dir_exists("t-alpha"));
	/* Without PERSIST the pid is not looked at (as before ABI 0.8). */
	pid = dead_pid();
	EXPECT_EQ(0, add_flags(self->dev, &self->a, 0, pid));
	EXPECT_EQ(pid, vm_attr_num("t-alpha", "qemu_pid"));
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
}

/* ADOPT_VM's errors; none of them changes the VM. */
TEST_F(persist, adopt_errors)
{
	struct vmmgmt_host_vm_adopt a = { .vm_id = ID_A, .qemu_pid = getpid() };
	int other;

	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, getpid()));
	ASSERT_EQ(0, add_flags(self->dev, &self->b, 0, getpid()));
	other = open_dev();
	ASSERT_LE(0, other);

	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(other, VMMGMT_HOST_IOC_ADOPT_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(other, VMMGMT_HOST_IOC_ADOPT_VM, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-ENOENT, adopt(other, 4242, getpid()));
	EXPECT_EQ(-ENOENT, adopt(other, 0, getpid()));
	EXPECT_EQ(-ENOENT, adopt(other, VMMGMT_VM_ID_MAX + 1, getpid()));
	EXPECT_EQ(-EPERM, adopt(other, ID_B, getpid()));
	EXPECT_EQ(-ESRCH, adopt(other, ID_A, getppid()));
	EXPECT_EQ(-ESRCH, adopt(other, ID_A, 0));
	EXPECT_EQ(-ESRCH, adopt(other, ID_A, dead_pid()));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "adoptions"));
	EXPECT_EQ(0, vm_attr_num("t-alpha", "orphan"));

	/* @other adopts A: closing self->dev leaves A owned, removes B. */
	EXPECT_EQ(0, adopt(other, ID_A, getpid()));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(0, vm_attr_num("t-alpha", "orphan"));
	EXPECT_FALSE(vm_dir_exists("t-beta"));
	close(other);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "orphan"));
}

/* More VMs than one page holds: pages, MORE, after_id; bad requests. */
TEST_F(persist, list_paging)
{
	static struct vmmgmt_host_vm_list l;
	struct vmmgmt_host_vm_info info;
	char name[VMMGMT_NAME_MAX];
	__u32 i, flags;

	for (i = 0; i < LIST_N; i++) {
		snprintf(name, sizeof(name), "t-list%u", i + 1);
		ASSERT_EQ(0, fake_vm_init(&self->list[i], LIST_BASE + 1 + i,
					  name, VMMGMT_REGION_MIN_SIZE));
		/* Every other one PERSIST: the flags are per VM. */
		flags = i % 2 ? VMMGMT_HOST_VM_F_PERSIST : 0;
		ASSERT_EQ(0, add_flags(self->dev, &self->list[i], flags, getpid()));
	}
	/* Ids above LIST_BASE: the first 16 of ours, and more follow. */
	ASSERT_EQ(0, list_page(self->dev, LIST_BASE, &l));
	EXPECT_EQ((__u32)VMMGMT_HOST_VMS_PER_LIST, l.count);
	EXPECT_EQ((__u32)VMMGMT_HOST_VM_LIST_F_MORE, l.flags);
	EXPECT_EQ((__u32)LIST_BASE, l.after_id);
	for (i = 0; i < VMMGMT_HOST_VMS_PER_LIST; i++) {
		snprintf(name, sizeof(name), "t-list%u", i + 1);
		EXPECT_EQ(LIST_BASE + 1 + i, l.vms[i].vm_id);
		EXPECT_STREQ(name, (char *)l.vms[i].name);
		EXPECT_EQ((__u32)(i % 2 ? VMMGMT_HOST_VM_F_PERSIST : 0),
			  l.vms[i].flags);
		EXPECT_EQ((__u64)VMMGMT_REGION_MIN_SIZE, l.vms[i].region_size);
	}
	/* After the 16th: the other 4, in order. */
	ASSERT_EQ(0, list_page(self->dev, l.vms[VMMGMT_HOST_VMS_PER_LIST - 1].vm_id, &l));
	ASSERT_LE(4U, l.count);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(LIST_BASE + 17 + i, l.vms[i].vm_id);
	/* MORE only when this page is full too (VMs with higher ids). */
	EXPECT_EQ(l.count == VMMGMT_HOST_VMS_PER_LIST ? VMMGMT_HOST_VM_LIST_F_MORE : 0U,
		  l.flags);
	/* Exactly one page from the 5th on. */
	ASSERT_EQ(0, list_page(self->dev, LIST_BASE + 4, &l));
	EXPECT_EQ((__u32)VMMGMT_HOST_VMS_PER_LIST, l.count);
	EXPECT_EQ(LIST_BASE + 5U, l.vms[0].vm_id);
	EXPECT_EQ((__u32)(LIST_BASE + LIST_N), l.vms[15].vm_id);
	/* Past the last id: nothing. */
	ASSERT_EQ(0, list_page(self->dev, VMMGMT_VM_ID_MAX, &l));
	EXPECT_EQ(0U, l.count);
	EXPECT_EQ(0U, l.flags);
	ASSERT_EQ(0, list_page(self->dev, 0xffffffffu, &l));
	EXPECT_EQ(0U, l.count);
	/* The whole walk finds each once, in order (list_find checks). */
	for (i = 0; i < LIST_N; i++)
		EXPECT_TRUE(list_find(_metadata, self->dev, LIST_BASE + 1 + i, &info));
	/* Removed VMs are no longer listed. */
	EXPECT_EQ(0, del_vm(self->dev, LIST_BASE + 17));
	EXPECT_FALSE(list_find(_metadata, self->dev, LIST_BASE + 17, &info));

	/* Bad requests. */
#define BAD_LIST(stmt) do {						\
		memset(&l, 0, sizeof(l));				\
		stmt;							\
		EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_LIST_VMS, &l)); \
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", #stmt);		\
	} while (0)
	BAD_LIST(l.count = 1);
	BAD_LIST(l.flags = VMMGMT_HOST_VM_LIST_F_MORE);
	BAD_LIST(l.pad = 1);
	BAD_LIST(l.reserved[0] = 1);
	BAD_LIST(l.reserved[1] = 1);
#undef BAD_LIST
	EXPECT_EQ(-1, ioctl(self->dev, VMMGMT_HOST_IOC_LIST_VMS, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * QEMU killed, its VM an orphan, QEMU not reaped (a zombie): the module
 * removes the VM within GONE_MS.
 */
TEST_F(persist, qemu_killed_zombie)
{
	struct vmmgmt_host_vm_info info;
	int dev2;

	self->qemu = fork_qemu();
	ASSERT_LT(0, self->qemu);
	dev2 = open_dev();
	ASSERT_LE(0, dev2);
	ASSERT_EQ(0, add_flags(dev2, &self->a, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	close(dev2);
	EXPECT_EQ(1, vm_attr_num("t-alpha", "orphan"));
	vmmgmt_sleep_ms(200);
	ASSERT_TRUE(vm_dir_exists("t-alpha"));

	ASSERT_EQ(0, kill(self->qemu, SIGKILL));
	EXPECT_TRUE(wait_vm_gone("t-alpha", GONE_MS));
	EXPECT_FALSE(list_find(_metadata, self->dev, ID_A, &info));
	EXPECT_LOG("vm t-alpha (id %u): QEMU pid %d exited, VM removed", ID_A,
		   self->qemu);
	/* Gone once: DEL_VM finds nothing, the id is free again. */
	EXPECT_EQ(-ENOENT, del_vm(self->dev, ID_A));
	EXPECT_EQ(self->qemu, waitpid(self->qemu, NULL, 0));
	self->qemu = 0;
	EXPECT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, getpid()));
}

/* QEMU killed and reaped while its daemon's file is still open. */
TEST_F(persist, qemu_killed_owned)
{
	ASSERT_EQ(0, add_flags(self->dev, &self->b, 0, getpid()));
	self->qemu = fork_qemu();
	ASSERT_LT(0, self->qemu);
	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	ASSERT_EQ(0, kill(self->qemu, SIGKILL));
	ASSERT_EQ(self->qemu, waitpid(self->qemu, NULL, 0));
	EXPECT_TRUE(wait_vm_gone("t-alpha", GONE_MS));
	EXPECT_LOG("vm t-alpha (id %u): QEMU pid %d exited, VM removed", ID_A,
		   self->qemu);
	self->qemu = 0;
	/* The other VM of the file is untouched; the file's close is clean. */
	EXPECT_TRUE(vm_dir_exists("t-beta"));
	EXPECT_EQ(-ENOENT, del_vm(self->dev, ID_A));
	close(self->dev);
	self->dev = -1;
	EXPECT_FALSE(vm_dir_exists("t-beta"));
}

/*
 * A QEMU whose main thread exited while another thread runs has not
 * exited: the VM stays until the last thread goes.
 */
TEST_F(persist, qemu_leader_exits_first)
{
	self->qemu = fork_qemu_leader_gone();
	ASSERT_LT(0, self->qemu);
	/* The leader's exit may come before or after the registration. */
	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	vmmgmt_sleep_ms(500);
	EXPECT_TRUE(vm_dir_exists("t-alpha"));
	ASSERT_EQ(0, kill(self->qemu, SIGKILL));
	EXPECT_TRUE(wait_vm_gone("t-alpha", GONE_MS));
	ASSERT_EQ(self->qemu, waitpid(self->qemu, NULL, 0));
	self->qemu = 0;
}

static long long module_refcnt(void)
{
	char buf[32];

	if (vmmgmt_read_attr("/sys/module/vmmgmt_host", "refcnt", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/*
 * Each PERSIST VM holds a reference to the module (rmmod fails while one
 * is registered; not tried here: it would unload the module when the
 * test is wrong), dropped when it goes, whichever way.
 */
TEST_F(persist, module_reference)
{
	long long base = module_refcnt();

	ASSERT_LE(1, base) TH_LOG("/sys/module/vmmgmt_host/refcnt: %lld", base);
	ASSERT_EQ(0, add_flags(self->dev, &self->b, 0, getpid()));
	EXPECT_EQ(base, module_refcnt());
	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, getpid()));
	EXPECT_EQ(base + 1, module_refcnt());
	EXPECT_EQ(0, del_vm(self->dev, ID_A));
	EXPECT_EQ(base, module_refcnt());

	self->qemu = fork_qemu();
	ASSERT_LT(0, self->qemu);
	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	/* A fork shares the open files (no reference of its own): only the VM. */
	EXPECT_EQ(base + 1, module_refcnt());
	ASSERT_EQ(0, kill(self->qemu, SIGKILL));
	ASSERT_EQ(self->qemu, waitpid(self->qemu, NULL, 0));
	self->qemu = 0;
	EXPECT_TRUE(wait_vm_gone("t-alpha", GONE_MS));
	EXPECT_LOG("vm t-alpha (id %u): QEMU pid", ID_A);
	EXPECT_EQ(base, module_refcnt());
}

/* Several PERSIST VMs of one QEMU go together. */
TEST_F(persist, qemu_exit_removes_all_its_vms)
{
	self->qemu = fork_qemu();
	ASSERT_LT(0, self->qemu);
	ASSERT_EQ(0, add_flags(self->dev, &self->a, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	ASSERT_EQ(0, add_flags(self->dev, &self->b, VMMGMT_HOST_VM_F_PERSIST, self->qemu));
	ASSERT_EQ(0, kill(self->qemu, SIGKILL));
	EXPECT_TRUE(wait_vm_gone("t-alpha", GONE_MS));
	EXPECT_TRUE(wait_vm_gone("t-beta", GONE_MS));
	ASSERT_EQ(self->qemu, waitpid(self->qemu, NULL, 0));
	self->qemu = 0;
}

TEST_HARNESS_MAIN
