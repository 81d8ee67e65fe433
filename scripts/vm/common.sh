# SPDX-License-Identifier: GPL-2.0
# Shared by the host VM's and the guests' /init (busybox ash).
# Console protocol read by scripts/vm-run on the machine that started
# the VMs:
#   VMMGMT-STEP <vm> <step> ok|FAIL rc=<n> (<s>s)   one line per step,
#                                                  with its duration
#   VMMGMT-DONE <vm>                          the VM finished its script
#   [dmesg] <line>                            the VM's kernel log, at the end
# plus the TAP output of every selftest, unchanged.

export PATH=/opt/vmmgmt/bin:/usr/sbin:/usr/bin:/sbin:/bin

vm_setup() {
	/bin/busybox --install -s
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	# The modules' debugfs files (channel state, fault injection).
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
	# Kernel warnings reach the console as they happen, and a task stuck
	# for 20 s is reported, so that the harness sees both.
	echo 5 >/proc/sys/kernel/printk
	[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
		echo 20 >/proc/sys/kernel/hung_task_timeout_secs
	ip link set lo up 2>/dev/null
}

# cmdline_get KEY DEFAULT: value of vmmgmt.KEY= on the kernel command line.
cmdline_get() {
	local kv
	for kv in $(cat /proc/cmdline); do
		case $kv in
		vmmgmt.$1=*) echo "${kv#*=}"; return ;;
		esac
	done
	echo "$2"
}

# step NAME TIMEOUT CMD...: run a step, report it in one line.  A program
# runs under timeout(1); a shell function runs in this shell (so that the
# background jobs it starts stay ours) and must bound its own waits.
step() {
	local name=$1 t=$2 rc t0 secs
	shift 2
	read -r t0 _ </proc/uptime
	case $(type "$1") in
	*function*) "$@" ;;
	*) timeout "$t" "$@" ;;
	esac
	rc=$?
	secs=$(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime)
	if [ $rc -eq 0 ]; then
		echo "VMMGMT-STEP $VM $name ok (${secs}s)"
	else
		[ $rc -eq 143 ] && name="$name (timed out after ${t}s)"
		echo "VMMGMT-STEP $VM $name FAIL rc=$rc (${secs}s)"
		STEP_FAILS=$((STEP_FAILS + 1))
	fi
	return $rc
}
STEP_FAILS=0

# wait_for PATH SECONDS: wait until PATH exists.
wait_for() {
	local i=0
	while [ ! -e "$1" ]; do
		[ $i -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# run_selftests DIR: run every selftest binary of DIR as its own step,
# but those named in SELFTEST_EXCLUDE (basenames, space-separated).
# SELFTEST_BEFORE="TEST FUNCTION": call FUNCTION just before TEST runs;
# several such pairs separated by "; ".
# Each step's time limit: SELFTEST_TIMEOUT (default 300 s), or for TEST
# the N of a "TEST=N" word in SELFTEST_TIMEOUTS.
run_selftests() {
	local t w limit rest before
	for t in "$1"/*; do
		[ -x "$t" ] || continue
		case " ${SELFTEST_EXCLUDE:-} " in *" $(basename "$t") "*) continue ;; esac
		rest=${SELFTEST_BEFORE:-}
		while [ -n "$rest" ]; do
			before=${rest%%;*}
			if [ "$before" = "$rest" ]; then rest=; else rest=${rest#*;}; fi
			before=${before# }
			[ "${before%% *}" = "$(basename "$t")" ] && ${before#* }
		done
		limit=${SELFTEST_TIMEOUT:-300}
		for w in ${SELFTEST_TIMEOUTS:-}; do
			[ "${w%%=*}" = "$(basename "$t")" ] && limit=${w#*=}
		done
		step "selftest $(basename "$t")" "$limit" "$t"
	done
}

# vm_report: the kernel log and the closing marker.
vm_report() {
	# Kernel messages only (facility 0, "<0>".."<7>"): what userspace
	# wrote through /dev/kmsg (facility user, "<12>" ...) is already on
	# the console once.
	kernel_log | sed 's/^/[dmesg] /'
	echo "VMMGMT-DONE $VM fails=$STEP_FAILS"
}

vm_poweroff() {
	sync
	poweroff -f
}

vm_finish() {
	vm_report
	vm_poweroff
}

# kernel_log: the kernel's own messages (facility 0), without what
# userspace wrote to /dev/kmsg.
kernel_log() {
	dmesg -r | sed -n 's/^<[0-7]>//p'
}

# to_kmsg: copy stdin to the kernel log, one record per line.  Needs
# printk.devkmsg=on (no rate limit) and printk.time=0 (no timestamp
# before the line) on the kernel command line.
to_kmsg() {
	while IFS= read -r l; do
		printf '%s\n' "$l" >/dev/kmsg
	done
}

# load_modules LIST: the kernel modules scripts/mkinitramfs listed in
# /lib/modules/LIST, in that order: bench-modules (vsock, make bench),
# pm-modules (the guest's ACPI power button, which wakes it from s2idle).
load_modules() {
	local m
	for m in $(cat /lib/modules/"$1"); do
		insmod /lib/modules/"$m" || return 1
	done
}

# say TEXT: one narrated line of the demonstration.
say() {
	echo "==> $*"
}

# show 'COMMAND': one command of the demonstration as an administrator
# types it: print it after a "$" prompt, run it in this shell (eval:
# pipes, redirections and cd work as typed) and print its output below
# it, indented, without terminal control sequences (vmmgmtctl top clears
# the screen first).  Returns the command's status.
show() {
	local rc esc
	esc=$(printf '\033')
	echo "    \$ $1"
	eval "$1" >/tmp/show.out 2>&1
	rc=$?
	# busybox sed knows no \x1b.
	sed "s/$esc\[[0-9;]*[A-Za-z]//g; s/^/    /" /tmp/show.out
	return $rc
}
