# SPDX-License-Identifier: GPL-2.0-only
# Helpers for test steps running inside the L1 VM (busybox sh).
# Usage at the top of a step:   . /steps/lib.sh
#
# Results, checks and the kernel-log patterns come from the test library
# (tests/lib/lib.sh, staged as /usr/lib/mtty-tests/lib.sh):
#   ok - <desc>        a passed check
#   not ok - <desc>    a failed check
#   # ...              comment
# tests/vm/run.sh counts every step as one test case (and a nested guest as
# one more), with the ok/not ok lines as its assertions.
# shellcheck shell=sh

# shellcheck source=../../lib/lib.sh disable=SC1091
. /usr/lib/mtty-tests/lib.sh

MTTY_KO=${MTTY_KO:-/lib/mtty/mtty.ko}
MTTY_PARENT=${MTTY_PARENT:-/sys/devices/virtual/mtty/mtty}
MTTY_TYPES=$MTTY_PARENT/mdev_supported_types
L2_TIMEOUT=${L2_TIMEOUT:-600}
# Command prefix for the nested QEMU (e.g. "taskset -c 0"); see run_l2.
L2_PIN=${L2_PIN-}

# wait_for_path PATH [seconds]: wait until PATH exists.
wait_for_path() {
	_n=$((${2:-5} * 10))
	while [ ! -e "$1" ]; do
		[ "$_n" -gt 0 ] || return 1
		_n=$((_n - 1))
		usleep 100000
	done
}

# load_mtty [params...]: insmod $MTTY_KO and wait for the parent device.
load_mtty() {
	if ! insmod "$MTTY_KO" "$@"; then
		comment "insmod $MTTY_KO $* failed"
		return 1
	fi
	if ! wait_for_path "$MTTY_PARENT" 5; then
		comment "$MTTY_PARENT did not appear"
		return 1
	fi
}

mtty_loaded() { grep -q '^mtty ' /proc/modules; }

# avail TYPE: available_instances of an mtty type.
avail() { cat "$MTTY_TYPES/$1/available_instances"; }

# stray_nodes: print /dev/vfio entries other than the container node.
stray_nodes() {
	for _f in /dev/vfio/* /dev/vfio/devices/*; do
		[ -e "$_f" ] || continue
		case $_f in
		/dev/vfio/vfio | /dev/vfio/devices) ;;
		*) echo "$_f" ;;
		esac
	done
}

# pool_clean NAME: the pool of $POOL ports is full again and nothing is
# left behind (no mdev, no stray /dev/vfio node).
pool_clean() {
	check_eq "$1: mtty-1 available_instances back to $POOL" "$POOL" "$(avail mtty-1)"
	check_eq "$1: mtty-2 available_instances back to $((POOL / 2))" \
		"$((POOL / 2))" "$(avail mtty-2)"
	check_eq "$1: no mdev left" "" "$(ls /sys/bus/mdev/devices)"
	check_eq "$1: no stray /dev/vfio nodes" "" "$(stray_nodes | tr '\n' ' ')"
}

# unload_mtty: rmmod mtty (the module must be unused).
unload_mtty() { rmmod mtty; }

# new_uuid: print a random UUID.
new_uuid() { cat /proc/sys/kernel/random/uuid; }

# create_mdev TYPE [UUID]: create an mdev of TYPE (mtty-1 / mtty-2);
# prints the UUID.  Fails if the write fails.
create_mdev() {
	_u=${2:-$(new_uuid)}
	echo "$_u" >"$MTTY_TYPES/$1/create" || return 1
	echo "$_u"
}

# remove_mdev UUID
remove_mdev() { echo 1 >"/sys/bus/mdev/devices/$1/remove"; }

# mdev_group UUID: print the VFIO group number of an mdev.
mdev_group() {
	_g=$(readlink "/sys/bus/mdev/devices/$1/iommu_group") || return 1
	echo "${_g##*/}"
}

# remove_all_mdevs: remove every mdev (cleanup helper).
remove_all_mdevs() {
	for _d in /sys/bus/mdev/devices/*; do
		[ -e "$_d/remove" ] || continue
		echo 1 >"$_d/remove" || comment "cannot remove ${_d##*/}"
	done
}

# wait_gone PID TENTHS: wait up to TENTHS tenths of a second for the
# background process PID to exit; true if it did.
wait_gone() {
	_wg_n=$2
	while kill -0 "$1" 2>/dev/null && [ "$_wg_n" -gt 0 ]; do
		usleep 100000
		_wg_n=$((_wg_n - 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# --- kernel log checks ---------------------------------------------------
# dmesg_mark writes a unique marker into the kernel log; dmesg_check NAME
# checks the kernel messages logged since then (klog_check of the test
# library: one list of bad patterns, MTTY_KLOG_BAD), printing them as
# "# dmesg: " lines, and reports "ok - NAME: kernel log clean" or not ok.

MTTY_MARK_SEQ=0

dmesg_mark() {
	MTTY_MARK_SEQ=$((MTTY_MARK_SEQ + 1))
	MTTY_MARK="mtty-mark-$$-$MTTY_MARK_SEQ-$(cut -d' ' -f1 /proc/uptime)"
	echo "$MTTY_MARK" >/dev/kmsg
}

# dmesg_since_mark: kernel messages after the last dmesg_mark (the whole
# log if the mark cannot be found).  Fails if the log cannot be read.
dmesg_since_mark() {
	_all=$(dmesg) && [ -n "$_all" ] || return 1
	if [ -n "${MTTY_MARK:-}" ] && printf '%s\n' "$_all" | grep -qF "$MTTY_MARK"; then
		printf '%s\n' "$_all" | sed -n "/$MTTY_MARK\$/,\$p" | sed 1d
	else
		echo "# dmesg mark not found (never set or log wrapped); checking whole log" >&2
		printf '%s\n' "$_all"
	fi
}

dmesg_check() {
	_name=${1:-dmesg}
	if ! _log=$(dmesg_since_mark); then
		notok "$_name: kernel log readable"
		return 1
	fi
	[ -z "$_log" ] || printf '%s\n' "$_log" | grep -v 'mtty-mark-' | sed 's/^/# dmesg: /'
	klog_check "$_name" "$_log" >/tmp/.klog.$$
	_rc=$?
	# the log itself is printed above: keep only the verdict
	grep -v '^# dmesg: ' /tmp/.klog.$$
	rm -f /tmp/.klog.$$
	return $_rc
}

# --- nested L2 guest -----------------------------------------------------
# run_l2 UUID [extra qemu args...]
# Boots the L2 guest (/l2/vmlinux + /l2/initramfs.cpio) with the mdev
# passed through at 00:05.0 and forwards its result lines as
# "ok - L2: ..." / "not ok - L2: ..." (lines already starting with
# "ok - L2" are kept).  Extra kernel arguments: $L2_APPEND.  Timeout:
# $L2_TIMEOUT seconds.  Returns 0 if the guest finished (MTTY-L2-DONE)
# with no failed check.  Retries once, only on a recognised early-boot
# emulator flake (boot_flake in tests/lib/lib.sh: a known trace before init
# and before the card was probed; L2_RETRY=0 disables the retry), never
# after a timeout or a failed check; the retry is counted by run.sh.
# Extra L2 memory: L2_MEM (MiB, default 256).
# Counting hook (issue 15): L2_TRACE=EVENTS_FILE traces those QEMU events
# (tests/vm/steps/qtrace.sh) into $L2_LOG.trace.
# acpi=noirq: PCI interrupts are routed with the BIOS MP table (the same
# IRQ the BIOS programmed) instead of ACPI _PRT: under nested TCG the
# evaluation of the i440fx _PRT method (a 128-iteration AML loop) is the
# slowest part of the L2 boot (docs/testing.md has the measured times).
L2_SEQ=0
# l2_watch QEMU_PID T0: runs beside an L2 qemu.  Notes the L2 boot time
# when its init starts; before that, kills qemu if the guest kernel stopped
# after an exception (a trace or panic on its console, which loglevel=5
# shows, and no console output for L2_STALL seconds, default 180): such a
# boot is dead, and waiting for L2_TIMEOUT would only cost time.
l2_watch() {
	_w_size=-1 _w_still=0
	while sleep 1; do
		if grep -q MTTY-L2-INIT-START "$L2_LOG"; then
			comment "L2: init started $(($(cut -d. -f1 /proc/uptime) - $2))s after qemu start"
			return 0
		fi
		_w_s=$(wc -c <"$L2_LOG")
		if [ "$_w_s" = "$_w_size" ]; then
			_w_still=$((_w_still + 1))
		else
			_w_still=0 _w_size=$_w_s
		fi
		if [ "$_w_still" -ge "${L2_STALL:-180}" ] &&
			grep -Eq -e '---\[ end trace|Kernel panic|Call Trace:' "$L2_LOG"; then
			comment "L2: kernel stopped after an exception before its init (no console output for ${_w_still}s): stopping qemu"
			: >"$L2_LOG.stopped"
			kill -KILL "$1" 2>/dev/null
			return 0
		fi
	done
}
# shellcheck disable=SC2086 # $L2_PIN is a word list
run_l2() {
	_uuid=$1
	shift
	if [ ! -e /l2/vmlinux ] || [ ! -e /l2/initramfs.cpio ]; then
		notok "L2: no L2 payload in this initramfs (run.sh --l2init)"
		return 1
	fi
	L2_SEQ=$((L2_SEQ + 1))
	_try=1
	while :; do
		L2_LOG=/tmp/l2-$L2_SEQ-$_try.log
		: >"$L2_LOG"
		comment "L2: booting guest with mdev $_uuid (try $_try, timeout ${L2_TIMEOUT}s)"
		_t0=$(cut -d. -f1 /proc/uptime)
		_l2trace=
		[ -z "${L2_TRACE:-}" ] || _l2trace="-trace events=$L2_TRACE,file=$L2_LOG.trace"
		# busybox timeout execs the command: $! is qemu's pid
		timeout -s KILL "$L2_TIMEOUT" $L2_PIN qemu-system-x86_64 -accel tcg -M pc \
			-m "${L2_MEM:-256}" -nodefaults -display none -no-reboot \
			-kernel /l2/vmlinux -initrd /l2/initramfs.cpio \
			-append "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq ${L2_APPEND:-}" \
			-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$_uuid,addr=05.0" \
			-serial "file:$L2_LOG" $_l2trace "$@" </dev/null >"$L2_LOG.qemu" 2>&1 &
		_qpid=$!
		l2_watch "$_qpid" "$_t0" &
		_poll=$!
		wait "$_qpid"
		_rc=$?
		kill "$_poll" 2>/dev/null
		wait "$_poll" 2>/dev/null
		_t1=$(cut -d. -f1 /proc/uptime)
		comment "L2: qemu exited with status $_rc after $((_t1 - _t0))s"
		if [ -s "$L2_LOG.qemu" ]; then
			sed 's/^/# L2 qemu: /' "$L2_LOG.qemu"
		fi
		# Retry once, only on a recognised early-boot emulator flake
		# (boot_flake): the kernel died before its init and before
		# probing the card.  0: the guest kernel panicked (-no-reboot);
		# 137 only if l2_watch stopped a kernel that had stopped after an
		# exception.  A timeout or a failed check is never retried.
		_flake=
		if [ "$_try" -eq 1 ] && [ "${L2_RETRY:-1}" = 1 ] &&
			{ [ "$_rc" -eq 0 ] || [ -e "$L2_LOG.stopped" ]; }; then
			_flake=$(boot_flake "$L2_LOG") || _flake=
		fi
		if [ -n "$_flake" ]; then
			retry_note L2 "$L2_LOG" "$_flake"
			_try=2
			continue
		fi
		break
	done
	# Forward the guest console: results re-prefixed, the rest as comments.
	tr -d '\r' <"$L2_LOG" | sed -e '/^ok - L2/b' -e '/^not ok - L2/b' \
		-e 's/^ok - /ok - L2: /' -e t -e 's/^not ok - /not ok - L2: /' -e t \
		-e 's/^/# L2| /'
	if [ "$_rc" -ne 0 ]; then
		_why="qemu status $_rc"
		if [ -e "$L2_LOG.stopped" ]; then
			_why="kernel stopped after an exception before its init"
		elif [ "$_rc" -eq 137 ]; then
			_why="timed out after ${L2_TIMEOUT}s"
		fi
		notok "L2: guest did not complete ($_why)"
		return 1
	fi
	if ! grep -q MTTY-L2-INIT-START "$L2_LOG"; then
		notok "L2: kernel died before init (try $_try)"
		return 1
	fi
	if ! grep -q MTTY-L2-DONE "$L2_LOG"; then
		notok "L2: guest did not finish (no MTTY-L2-DONE)"
		return 1
	fi
	if tr -d '\r' <"$L2_LOG" | grep -q '^not ok - '; then
		return 1
	fi
	return 0
}
