#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sysfs interface of the mtty parent device: the tree documented in the
# user contract (mtty-sample.txt step 1), type names and device_api, port
# pool accounting in available_instances, mdev create/remove via echo and
# the /dev/vfio group node, rejected input with the exact errno text,
# module parameter checks and unloading with a device present.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

P=$MTTY_PARENT
T=$MTTY_TYPES
U1=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
U2=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
U3=83b8f4f2-509f-382f-3c1e-e6bfe0fa1003

dmesg_mark

avail() { cat "$T/$1/available_instances" 2>/dev/null || echo "unreadable"; }

# check_avail WHAT N1 N2: available_instances of mtty-1 / mtty-2
check_avail() {
	check_eq "sysfs: $1: available_instances mtty-1 $2, mtty-2 $3" \
		"$2 $3" "$(avail mtty-1) $(avail mtty-2)"
}

# write_to STRING FILE: echo STRING >FILE in a subshell; prints what the
# shell reported on stderr, returns the status of the write.
write_to() {
	(echo "$1" >"$2") 2>&1
}

# expect_err DESC ERRTEXT STRING FILE: the write must fail with ERRTEXT
# (strerror text, e.g. "Invalid argument") in the shell's message.
expect_err() {
	_d=$1
	_want=$2
	shift 2
	if _msg=$(write_to "$@"); then
		notok "$_d: write of '$1' to ${2##*/} succeeded, expected '$_want'"
		return 1
	fi
	case $_msg in
	*"$_want"*) ok "$_d ($_want)" ;;
	*)
		notok "$_d: expected '$_want', got '$_msg'"
		return 1
		;;
	esac
}

# expect_read_err DESC ERRTEXT FILE: reading FILE must fail with ERRTEXT
expect_read_err() {
	if _msg=$(cat "$3" 2>&1); then
		notok "$1: read of ${3##*/} succeeded ('$_msg'), expected '$2'"
		return 1
	fi
	case $_msg in
	*"$2"*) ok "$1 ($2)" ;;
	*)
		notok "$1: expected '$2', got '$_msg'"
		return 1
		;;
	esac
}

ndevices() { find "$T/$1/devices/" -mindepth 1 -maxdepth 1 | wc -l; }

# dev_present UUID TYPE: the mdev, its type link, devices/ entry and
# /dev/vfio group node all exist
dev_present() {
	_g=$(mdev_group "$1") || return 1
	[ -c "/dev/vfio/$_g" ] || return 1
	[ -e "$T/$2/devices/$1" ] || return 1
	_t=$(readlink "/sys/bus/mdev/devices/$1/mdev_type") || return 1
	[ "${_t##*/}" = "$2" ]
}

# list DIR: sorted entry names of DIR on one line
list() { (cd "$1" 2>/dev/null && printf "%s\n" *) | sort | tr "\n" " "; }

# ------------------------------------------------------------------ load
if ! check "sysfs: load mtty (default parameters)" load_mtty; then
	exit 1
fi

# ------------------------------------------------------------------ tree
check_eq "sysfs: parent directory entries" \
	"mdev_supported_types mtty_dev power subsystem uevent " "$(list "$P")"
check_eq "sysfs: mdev_supported_types has mtty-1 and mtty-2" "mtty-1 mtty-2 " "$(list "$T")"
for t in mtty-1 mtty-2; do
	check_eq "sysfs: $t attributes" \
		"available_instances create device_api devices name " "$(list "$T/$t")"
	check "sysfs: $t/devices is a directory" test -d "$T/$t/devices"
	check_eq "sysfs: $t device_api" "vfio-pci" "$(cat "$T/$t/device_api")"
	check_eq "sysfs: $t has no devices yet" "0" "$(ndevices "$t")"
done
check_eq "sysfs: mtty-1 name" "Single port serial" "$(cat "$T/mtty-1/name")"
check_eq "sysfs: mtty-2 name" "Dual port serial" "$(cat "$T/mtty-2/name")"
for f in autosuspend_delay_ms control runtime_active_time runtime_status \
	runtime_suspended_time; do
	check "sysfs: power/$f exists" test -e "$P/power/$f"
done
check_eq "sysfs: subsystem link" "../../../../class/mtty" "$(readlink "$P/subsystem")"
check "sysfs: uevent readable" cat "$P/uevent"
check_eq "sysfs: mtty_dev group contents" "sample_mtty_dev " "$(list "$P/mtty_dev")"
if v=$(cat "$P/mtty_dev/sample_mtty_dev") && [ -n "$v" ]; then
	ok "sysfs: mtty_dev/sample_mtty_dev readable ('$v')"
else
	notok "sysfs: mtty_dev/sample_mtty_dev readable"
fi
check "sysfs: /sys/class/mdev_bus/mtty is a link" test -L /sys/class/mdev_bus/mtty
check_eq "sysfs: /sys/class/mdev_bus/mtty resolves to the parent" \
	"$(cd "$P" && pwd -P)" "$(cd /sys/class/mdev_bus/mtty && pwd -P)"
check "sysfs: /sys/class/mtty/mtty exists" test -e /sys/class/mtty/mtty

# ---------------------------------------------------- accounting, create
check_avail "default pool of 24 ports" 24 12
if check "sysfs: create mtty-2 via echo" write_to "$U1" "$T/mtty-2/create"; then
	check "sysfs: mdev $U1 in /sys/bus/mdev/devices" test -e "/sys/bus/mdev/devices/$U1"
	check "sysfs: mdev is a child of the parent" test -d "$P/$U1"
	check "sysfs: type link, devices/ entry and /dev/vfio node for $U1" dev_present "$U1" mtty-2
	check_eq "sysfs: mtty-2/devices lists 1 device" "1" "$(ndevices mtty-2)"
	check_avail "one mtty-2 created" 22 11
	G1=$(mdev_group "$U1")
	for _f in intx_signals intx_timer_signals msi_signals; do
		check_eq "sysfs: a new device's stats/$_f reads 0" "0" \
			"$(cat "/sys/bus/mdev/devices/$U1/stats/$_f" 2>&1)"
		check_fail "sysfs: stats/$_f is read-only" \
			write_to 1 "/sys/bus/mdev/devices/$U1/stats/$_f"
	done
fi

# printf without newline, upper case hex: the device name is lower case
if check "sysfs: create mtty-1 with printf (no newline, upper case)" \
	sh -c "printf %s $(echo "$U2" | tr a-f A-F) >$T/mtty-1/create"; then
	check "sysfs: upper-case UUID created as lower-case $U2" dev_present "$U2" mtty-1
	check_avail "mtty-2 + mtty-1 created" 21 10
fi

# ------------------------------------------------------------ bad input
expect_err "sysfs: invalid UUID (short)" "Invalid argument" "not-a-uuid" "$T/mtty-1/create"
expect_err "sysfs: invalid UUID (36 chars, bad hex)" "Invalid argument" \
	"zzb8f4f2-509f-382f-3c1e-e6bfe0fa1001" "$T/mtty-1/create"
expect_err "sysfs: invalid UUID (bad dashes)" "Invalid argument" \
	"83b8f4f2x509f-382f-3c1e-e6bfe0fa1001" "$T/mtty-1/create"
expect_err "sysfs: empty line" "Invalid argument" "" "$T/mtty-1/create"
expect_err "sysfs: over-long UUID" "Invalid argument" "${U3}0" "$T/mtty-1/create"
expect_err "sysfs: UUID with trailing garbage" "Invalid argument" "$U3 x" "$T/mtty-1/create"
expect_err "sysfs: duplicate UUID, same type" "File exists" "$U1" "$T/mtty-2/create"
expect_err "sysfs: duplicate UUID, other type" "File exists" "$U1" "$T/mtty-1/create"
check_avail "nothing changed by rejected creates" 21 10
check_eq "sysfs: still one mtty-1 and one mtty-2" "1 1" "$(ndevices mtty-1) $(ndevices mtty-2)"
check_fail "sysfs: no device $U3 appeared" test -e "/sys/bus/mdev/devices/$U3"

# writes to read-only attributes, reads of write-only ones
for f in "$T/mtty-1/available_instances" "$T/mtty-1/name" "$T/mtty-2/device_api" \
	"$P/mtty_dev/sample_mtty_dev"; do
	expect_err "sysfs: write to read-only ${f#"$P"/}" "Permission denied" 5 "$f"
done
expect_read_err "sysfs: read of write-only create" "Permission denied" "$T/mtty-1/create"
expect_read_err "sysfs: read of write-only remove" "Permission denied" \
	"/sys/bus/mdev/devices/$U1/remove"
check_avail "read-only writes changed nothing" 21 10

# ---------------------------------------------------------------- remove
expect_err "sysfs: remove with non-number" "Invalid argument" "yes" \
	"/sys/bus/mdev/devices/$U1/remove"
check "sysfs: 'echo 0 > remove' is accepted" write_to 0 "/sys/bus/mdev/devices/$U1/remove"
check "sysfs: 'echo 0 > remove' keeps the device" test -e "/sys/bus/mdev/devices/$U1"
check "sysfs: remove mtty-2 via echo 1" write_to 1 "/sys/bus/mdev/devices/$U1/remove"
check_fail "sysfs: $U1 gone from /sys/bus/mdev/devices" test -e "/sys/bus/mdev/devices/$U1"
check_fail "sysfs: $U1 gone from the parent" test -e "$P/$U1"
check_fail "sysfs: $U1 gone from mtty-2/devices" test -e "$T/mtty-2/devices/$U1"
[ -z "${G1:-}" ] || check_fail "sysfs: /dev/vfio/$G1 gone" test -e "/dev/vfio/$G1"
check_avail "after removing the mtty-2" 23 11
# the remove attribute went away with the device; busybox sh reports
# ENOENT on a redirection as "nonexistent directory"
expect_err "sysfs: remove of an already removed device" "nonexistent directory" 1 \
	"/sys/bus/mdev/devices/$U1/remove"
# the same UUID can be used again
if check "sysfs: UUID reusable after removal" write_to "$U1" "$T/mtty-1/create"; then
	# remove written twice through one open file: the second write fails
	if _msg=$( (exec 3>"/sys/bus/mdev/devices/$U1/remove" && echo 1 >&3 &&
		echo 1 >&3) 2>&1); then
		notok "sysfs: remove written twice on one fd: second write succeeded"
	else
		case $_msg in
		*"No such device"*) ok "sysfs: remove written twice on one fd (No such device)" ;;
		*) notok "sysfs: remove written twice on one fd: expected 'No such device', got '$_msg'" ;;
		esac
	fi
	check_fail "sysfs: $U1 removed by the first write" test -e "/sys/bus/mdev/devices/$U1"
fi
check "sysfs: remove the mtty-1" remove_mdev "$U2"
check_avail "pool full again" 24 12
check_eq "sysfs: no devices left" "0 0" "$(ndevices mtty-1) $(ndevices mtty-2)"

# ------------------------------------------------- rmmod with a device
if write_to "$U3" "$T/mtty-2/create" >/dev/null; then
	G3=$(mdev_group "$U3")
	if unload_mtty 2>/dev/null; then
		comment "sysfs: rmmod with a device present: driver removes the device and unloads"
		check_fail "sysfs: rmmod removed the parent" test -e "$P"
		check_fail "sysfs: rmmod removed mdev $U3" test -e "/sys/bus/mdev/devices/$U3"
		check_fail "sysfs: rmmod removed /dev/vfio/$G3" test -e "/dev/vfio/$G3"
		check_fail "sysfs: module gone from /proc/modules" mtty_loaded
	else
		comment "sysfs: rmmod with a device present: refused, module stays"
		check "sysfs: module still loaded after refused rmmod" mtty_loaded
		check "sysfs: device still present after refused rmmod" dev_present "$U3" mtty-2
		check "sysfs: remove the device" remove_mdev "$U3"
		check "sysfs: rmmod after removing the device" unload_mtty
	fi
else
	notok "sysfs: create mtty-2 for the rmmod test"
	unload_mtty
fi

# ------------------------------------------------------ module parameters
for bad in 0 -1; do
	if insmod "$MTTY_KO" max_ports="$bad" 2>/dev/null; then
		notok "sysfs: insmod max_ports=$bad refused"
		remove_all_mdevs
		unload_mtty
	else
		ok "sysfs: insmod max_ports=$bad refused"
	fi
	check_fail "sysfs: module not loaded after max_ports=$bad" mtty_loaded
done

# small pools: max_ports=2 and 3
if check "sysfs: load mtty max_ports=2" load_mtty max_ports=2; then
	check_avail "max_ports=2" 2 1
	if check "sysfs: pool 2: create mtty-2" write_to "$U1" "$T/mtty-2/create"; then
		check_avail "pool 2 used up by one mtty-2" 0 0
		expect_err "sysfs: pool full: create mtty-1" "No space left on device" \
			"$U2" "$T/mtty-1/create"
		expect_err "sysfs: pool full: create mtty-2" "No space left on device" \
			"$U2" "$T/mtty-2/create"
		check_fail "sysfs: pool full: no device created" test -e "/sys/bus/mdev/devices/$U2"
		check_eq "sysfs: pool full: device counts unchanged" "0 1" \
			"$(ndevices mtty-1) $(ndevices mtty-2)"
		check_avail "pool full: unchanged" 0 0
		check "sysfs: pool 2: remove the mtty-2" remove_mdev "$U1"
	fi
	check_avail "pool 2 free again" 2 1
	check "sysfs: rmmod (max_ports=2)" unload_mtty
fi
if check "sysfs: load mtty max_ports=3" load_mtty max_ports=3; then
	check_avail "max_ports=3" 3 1
	write_to "$U1" "$T/mtty-2/create" >/dev/null
	check_avail "pool 3 after one mtty-2" 1 0
	expect_err "sysfs: pool 3: second mtty-2" "No space left on device" "$U2" "$T/mtty-2/create"
	check "sysfs: pool 3: last port as mtty-1" write_to "$U2" "$T/mtty-1/create"
	check_avail "pool 3 full" 0 0
	remove_mdev "$U2"
	check_avail "pool 3 after removing the mtty-1" 1 0
	remove_mdev "$U1"
	check_avail "pool 3 free again" 3 1
	check "sysfs: rmmod (max_ports=3)" unload_mtty
fi

# back to defaults: the pool is full
if check "sysfs: reload with default parameters" load_mtty; then
	check_avail "final: default pool full" 24 12
	check "sysfs: final rmmod" unload_mtty
fi
dmesg_check "sysfs"
