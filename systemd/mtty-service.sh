#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# mtty-service -- start/stop/status logic of mtty.service (installed as
# /usr/lib/mtty/mtty-service; the unit runs it, operators may run "status").
#
#   mtty-service start    modprobe mtty (options: /etc/modprobe.d/mtty.conf),
#                         wait until udev has started the persistent devices,
#                         print the status
#   mtty-service stop     refuse if a device is open (by a VM); otherwise stop
#                         every mtty device (mdevctl stop) and unload mtty
#   mtty-service status   what is loaded and which devices run
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
SYSFS=${MTTY_SYSFS:-/sys}
PARENT=$SYSFS/class/mdev_bus/mtty

say() { echo "mtty: $*"; }
err() { echo "mtty: error: $*" >&2; }

loaded() { [ -d "$SYSFS/module/mtty" ]; }

# mtty_devices: UUIDs of the existing (running) mtty mdevs.
mtty_devices() {
	for d in "$SYSFS/bus/mdev/devices/"*; do
		[ -e "$d/mdev_type" ] || continue
		sub=$(readlink -f "$d/mdev_type/../../subsystem" 2>/dev/null) || continue
		[ "${sub##*/}" = mtty ] && echo "${d##*/}"
	done
}

# dev_group UUID: VFIO group number of an mdev.
dev_group() {
	g=$(readlink "$SYSFS/bus/mdev/devices/$1/iommu_group" 2>/dev/null) || return 1
	echo "${g##*/}"
}

# dev_type UUID: mdev type name (mtty-1, mtty-2).
dev_type() {
	t=$(readlink -f "$SYSFS/bus/mdev/devices/$1/mdev_type" 2>/dev/null) || return 1
	echo "${t##*/}"
}

# users UUID: "PID (comm)" of every process that has the device open,
# through its VFIO group or its VFIO device cdev.
users() {
	g=$(dev_group "$1") || return 0
	pats="-lname /dev/vfio/$g"
	for c in "$SYSFS/bus/mdev/devices/$1/vfio-dev/"vfio*; do
		[ -e "$c" ] && pats="$pats -o -lname /dev/vfio/devices/${c##*/}"
	done
	# shellcheck disable=SC2086 # $pats is a list of find arguments
	find /proc/[0-9]*/fd -maxdepth 1 \( $pats \) 2>/dev/null |
		cut -d/ -f3 | sort -un | while read -r pid; do
			echo "$pid ($(cat "/proc/$pid/comm" 2>/dev/null))"
		done
}

refcnt() { cat "$SYSFS/module/mtty/refcnt" 2>/dev/null || echo 0; }

status() {
	if ! loaded; then
		say "module not loaded (start it with: systemctl start mtty)"
		return 0
	fi
	ver=$(cat "$SYSFS/module/mtty/version" 2>/dev/null || echo '?')
	mp=$(cat "$SYSFS/module/mtty/parameters/max_ports" 2>/dev/null || echo '?')
	say "module mtty $ver loaded on $(uname -r), max_ports=$mp, in use by $(refcnt) opener(s)"
	for t in "$PARENT/mdev_supported_types/"*; do
		[ -d "$t" ] || continue
		say "type ${t##*/} ($(cat "$t/name" 2>/dev/null)): $(cat "$t/available_instances" 2>/dev/null) more can be created"
	done
	n=0
	for u in $(mtty_devices); do
		n=$((n + 1))
		g=$(dev_group "$u")
		who=$(users "$u" | tr '\n' ' ')
		say "device $u $(dev_type "$u") running, /dev/vfio/$g${who:+, open by $who}"
	done
	[ "$n" -gt 0 ] || say "no mtty device running"
	if command -v mdevctl >/dev/null 2>&1; then
		mdevctl list --defined -p mtty 2>/dev/null | sed -n "s/^\(.\+\)/mtty: defined: \1/p"
	fi
	return 0
}

# start_missing_auto: mdevctl start every "start": "auto" definition of
# /etc/mdevctl.d/mtty that is not running.
start_missing_auto() {
	for f in /etc/mdevctl.d/mtty/*; do
		[ -f "$f" ] || continue
		u=${f##*/}
		[ -e "$SYSFS/bus/mdev/devices/$u" ] && continue
		tr -d ' \t\n' <"$f" | grep -q '"start":"auto"' || continue
		if mdevctl start -u "$u"; then
			say "started device $u"
		else
			err "cannot start device $u (see above)"
		fi
	done
}

start() {
	was_loaded=
	loaded && was_loaded=1
	if ! modprobe mtty; then
		err "cannot load the mtty module for kernel $(uname -r);" \
			"is it installed for this kernel? (see modinfo mtty, dkms status)"
		return 1
	fi
	i=0
	while [ ! -d "$PARENT" ]; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			err "module loaded but $PARENT did not appear"
			return 1
		fi
		sleep 0.1
	done
	if [ -n "$was_loaded" ]; then
		# No MDEV_STATE=registered event will come: start the "auto"
		# devices that are not running here.
		start_missing_auto
	fi
	# the udev rule starts the persistent devices: wait for it to finish
	udevadm settle --timeout=120 || err "udevadm settle timed out"
	status
}

stop() {
	if ! loaded; then
		say "module not loaded"
		return 0
	fi
	busy=
	devs=$(mtty_devices)
	for u in $devs; do
		who=$(users "$u" | tr '\n' ' ')
		if [ -n "$who" ]; then
			err "refusing to stop: device $u (/dev/vfio/$(dev_group "$u")) is open by ${who% }; shut the VM down or detach the device first (virsh detach-device)"
			busy=1
		fi
	done
	if [ -z "$busy" ] && [ "$(refcnt)" -gt 0 ]; then
		err "refusing to stop: module mtty is in use (refcnt $(refcnt)); close every mtty device first"
		busy=1
	fi
	if [ -n "$busy" ]; then
		err "nothing was stopped; mtty stays loaded"
		return 1
	fi
	for u in $devs; do
		if command -v mdevctl >/dev/null 2>&1; then
			mdevctl stop -u "$u" || echo 1 >"$SYSFS/bus/mdev/devices/$u/remove"
		else
			echo 1 >"$SYSFS/bus/mdev/devices/$u/remove"
		fi
		if [ -e "$SYSFS/bus/mdev/devices/$u" ]; then
			err "cannot stop device $u"
			return 1
		fi
		say "stopped device $u"
	done
	if ! modprobe -r mtty; then
		err "cannot unload mtty (refcnt $(refcnt))"
		return 1
	fi
	say "module mtty unloaded"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: mtty-service start|stop|status" >&2
	exit 2
	;;
esac
