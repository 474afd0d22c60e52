#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# VFIO userspace tests: load mtty, create one mtty-1 and one mtty-2, run
# vfio_client (tests/vm/vfio_client.c) on each, remove them and check that
# the port pool is full again and the kernel log is clean.  A third device
# is removed by vfio_client itself while its fd is open (REQ eventfd).
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

VFIO_BYTES=${VFIO_BYTES:-1048576}

dmesg_mark
if ! check "vfio: vfio_client binary present" test -x /usr/bin/vfio_client; then
	exit 1
fi
if ! check "vfio: load mtty" load_mtty; then
	exit 1
fi

full1=$(avail mtty-1)
full2=$(avail mtty-2)
comment "vfio: available_instances at start: mtty-1 $full1, mtty-2 $full2"

# run_client DESC ARGS...: run vfio_client, report its exit status
run_client() {
	_d=$1
	shift
	_t0=$(cut -d' ' -f1 /proc/uptime)
	vfio_client "$@"
	_rc=$?
	_t1=$(cut -d' ' -f1 /proc/uptime)
	comment "vfio: $_d took $(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", b - a }')s"
	if [ "$_rc" -eq 0 ]; then
		ok "vfio: $_d: vfio_client passed"
	else
		notok "vfio: $_d: vfio_client exit status $_rc"
	fi
}

# new_dev TYPE [what]: create an mdev; its UUID is left in $nu ("" on failure)
new_dev() {
	if nu=$(create_mdev "$1"); then
		ok "vfio: create $1 $nu${2:+ $2}"
	else
		notok "vfio: create $1${2:+ $2}"
		nu=
	fi
}

new_dev mtty-1
u1=$nu
new_dev mtty-2
u2=$nu

if [ -n "$u1" ]; then
	g1=$(mdev_group "$u1")
	check "vfio: mtty-1 group node /dev/vfio/$g1" test -c "/dev/vfio/$g1"
	run_client "mtty-1 (default size)" "$u1"
	check "vfio: remove mtty-1" remove_mdev "$u1"
	check_fail "vfio: mtty-1 gone" test -e "/sys/bus/mdev/devices/$u1"
	check_fail "vfio: /dev/vfio/$g1 gone" test -e "/dev/vfio/$g1"
fi
if [ -n "$u2" ]; then
	g2=$(mdev_group "$u2")
	check "vfio: mtty-2 group node /dev/vfio/$g2" test -c "/dev/vfio/$g2"
	run_client "mtty-2 ($VFIO_BYTES bytes)" --bytes "$VFIO_BYTES" "$u2"
	check "vfio: remove mtty-2" remove_mdev "$u2"
	check_fail "vfio: mtty-2 gone" test -e "/sys/bus/mdev/devices/$u2"
fi

# removal while the device is open: vfio_client --remove expects the REQ
# eventfd to fire, closes the device and checks the mdev disappears.
new_dev mtty-2 "for the removal test"
u3=$nu
if [ -n "$u3" ]; then
	run_client "mtty-2 removed while open" --bytes 4096 --remove "$u3"
	if [ -e "/sys/bus/mdev/devices/$u3" ]; then
		notok "vfio: $u3 still present after removal test"
		remove_mdev "$u3"
	fi
fi

check_eq "vfio: mtty-1 available_instances back to full" "$full1" "$(avail mtty-1)"
check_eq "vfio: mtty-2 available_instances back to full" "$full2" "$(avail mtty-2)"
check "vfio: rmmod mtty" unload_mtty
dmesg_check "vfio"
