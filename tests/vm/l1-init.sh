#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the L1 VM of the mtty test bed (busybox sh, PID 1).
# Mounts the API filesystems, loads the vfio/mdev modules, runs the test
# steps from /steps and powers off.  Kernel command line:
#   mtty.steps=a,b,c        steps to run (default: all /steps/[0-9]*.sh);
#                           a name is a file name with or without ".sh",
#                           or the part after "NN-" (e.g. "smoke")
#   mtty.step_timeout=S     per-step timeout in seconds (default 1800)
#   mtty.shell=1            start a shell on the console instead of powering
#                           off at the end (interactive debugging)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o size=1G tmpfs /tmp
mount -t tmpfs tmpfs /run
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
exec </dev/console >/dev/console 2>&1

echo "MTTY-L1-INIT-START"
echo "# case: L1 init"
echo "# L1 kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)s"
dmesg -n 1 # keep kernel messages off the console; steps read dmesg
hostname mtty-l1
ip link set lo up 2>/dev/null

# shellcheck source=steps/lib.sh disable=SC1091
. /steps/lib.sh

fatal() {
	echo "not ok - L1 init: $*"
	echo "MTTY-L1-DONE"
	sync
	poweroff -f
	exit 1 # if even poweroff fails: the kernel panics and QEMU exits
}

# Load vfio & co. in dependency order (list made by mkinitramfs.sh).
while read -r ko; do
	[ -n "$ko" ] || continue
	insmod "$ko" || fatal "insmod $ko failed"
done </etc/mtty-l1-modules
[ -c /dev/vfio/vfio ] || fatal "/dev/vfio/vfio missing after loading vfio"
[ -d /sys/class/mdev_bus ] || [ -d /sys/bus/mdev ] || fatal "mdev bus missing"
echo "# modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

STEPS=
STEP_TIMEOUT=1800
SHELL_AT_END=
read -r CMDLINE </proc/cmdline
for arg in $CMDLINE; do
	case $arg in
	mtty.steps=*) STEPS=$(echo "${arg#mtty.steps=}" | tr ',' ' ') ;;
	mtty.step_timeout=*) STEP_TIMEOUT=${arg#mtty.step_timeout=} ;;
	mtty.shell=1) SHELL_AT_END=1 ;;
	esac
done

# find_step NAME: print the path of the step file NAME refers to.
find_step() {
	for f in "/steps/$1" "/steps/$1.sh" /steps/[0-9]*-"$1".sh; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

if [ -z "$STEPS" ]; then
	for f in /steps/[0-9]*.sh; do
		[ -f "$f" ] && STEPS="$STEPS ${f##*/}"
	done
fi
[ -n "$STEPS" ] || notok "L1 init: no steps found"
echo "# steps:$STEPS"

for s in $STEPS; do
	f=$(find_step "$s") || {
		notok "step $s: no such step"
		continue
	}
	name=${f##*/}
	name=${name%.sh}
	echo "# step $name start (uptime $(cut -d' ' -f1 /proc/uptime)s)"
	echo "# case: step $name" # one test case of tests/vm/run.sh
	dmesg_mark
	mkdir -p "/tmp/$name"
	out=/tmp/$name/.out
	{
		(cd "/tmp/$name" && exec timeout -s KILL "$STEP_TIMEOUT" sh "$f")
		echo $? >"/tmp/$name/.rc"
	} 2>&1 | tee "$out"
	rc=$(cat "/tmp/$name/.rc" 2>/dev/null || echo 255)
	if [ "$rc" -eq 137 ]; then
		notok "step $name: timed out after ${STEP_TIMEOUT}s"
	elif [ "$rc" -ne 0 ]; then
		# A failing step normally already said "not ok"; a step that dies
		# without saying so must not pass silently.
		if grep -q '^not ok - ' "$out"; then
			echo "# step $name exited with status $rc"
		else
			notok "step $name: exited with status $rc"
		fi
	elif ! grep -q '^ok - ' "$out"; then
		# a step that ran nothing it could report must not pass
		notok "step $name: exited 0 without reporting a result"
	fi
	# Clean up whatever the step left behind so later steps start fresh.
	if mtty_loaded; then
		echo "# step $name left mtty loaded; removing mdevs and unloading"
		remove_all_mdevs
		rmmod mtty || notok "step $name: cleanup: rmmod mtty failed"
	fi
	dmesg_check "step $name"
	echo "# step $name done (uptime $(cut -d' ' -f1 /proc/uptime)s)"
	echo "# case: L1 init"
done

echo "MTTY-L1-DONE"
if [ -n "$SHELL_AT_END" ]; then
	setsid cttyhack sh -l
fi
sync
poweroff -f
