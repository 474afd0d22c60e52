#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The seed's steps 1-8 (shared/seed/mtty-sample.txt), walked in the L1 VM
# with every command printed before its output: the L1 half of `make demo`
# (scripts/demo.sh, mtty.steps=walkthrough; the guest half is
# tests/vm/walkthrough/l2-walkthrough.sh); not part of the default steps.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001

# say: a banner line; run: print "# <cmd>" then its output
say() { printf '\n==== %s\n' "$*"; }
run() {
	printf '# %s\n' "$*"
	sh -c "$*" 2>&1
}

# tree DIR: print a directory like tree(1) does, without following links
tree_dir() {
	_prefix=$2
	set -- "$1"/*
	_n=$#
	for _e in "$@"; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		_n=$((_n - 1))
		if [ $_n -eq 0 ]; then _b='`-- '; _c='    '; else _b='|-- '; _c='|   '; fi
		if [ -L "$_e" ]; then
			printf '%s%s%s -> %s\n' "$_prefix" "$_b" "${_e##*/}" "$(readlink "$_e")"
		elif [ -d "$_e" ]; then
			printf '%s%s%s\n' "$_prefix" "$_b" "${_e##*/}"
			(tree_dir "$_e" "$_prefix$_c")
		else
			printf '%s%s%s\n' "$_prefix" "$_b" "${_e##*/}"
		fi
	done
}

dmesg_mark
say "1. Build and load the mtty.ko module"
run "insmod /lib/mtty/mtty.ko"
printf '# tree /sys/devices/virtual/mtty/mtty/\n/sys/devices/virtual/mtty/mtty/\n'
tree_dir /sys/devices/virtual/mtty/mtty ""
check "walkthrough: parent device present" test -d "$MTTY_PARENT"

say "2. Create a mediated device"
run "echo \"$UUID\" > $MTTY_TYPES/mtty-2/create"
run "ls -l /sys/bus/mdev/devices/"
run "ls /dev/vfio/"
run "cat $MTTY_TYPES/mtty-2/available_instances"
check "walkthrough: mdev $UUID created" test -e "/sys/bus/mdev/devices/$UUID"

say "3./4. Add the device to QEMU and boot the VM"
echo "# qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults -kernel /l2/vmlinux ... \\"
echo "#     -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UUID,addr=05.0"
echo "# (the nested guest's console follows)"
L2_APPEND="mtty.demo=1" run_l2 "$UUID"
check "walkthrough: guest ran the seed's steps 4-7" grep -q 'DEMO-LOOPBACK-OK' "$L2_LOG"

say "8. Destroy the mediated device"
run "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
run "ls /sys/bus/mdev/devices/"
check_fail "walkthrough: mdev removed" test -e "/sys/bus/mdev/devices/$UUID"
run "rmmod mtty"
dmesg_check "walkthrough"
