#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The host tty backend (issue 14, first stage): the mdev attribute
# "backend" (default loopback, values loopback|tty, others refused), one
# host tty per port (ttyMT<n>, a child of the mdev with its mdev and port
# in sysfs), vfio_hosttty (tests/vm/vfio_hosttty.c) on an mtty-2 (data
# both ways, modem lines, breaks, throttling, reset/reopen, migration
# refused, hang-ups), back to loopback, then removal of the mdev while its
# host ttys are open (a reader is hung up, a held fd gets EIO, rmmod waits
# for the last close) and rmmod with a tty-backed device left; the port
# pool is full again and the kernel log clean.
#
# make check runs it on every line (with --bin build/vfio_hosttty); alone:
#   tests/vm/run.sh --kernel LINE -q --steps 36-hosttty --bin build/vfio_hosttty
# HOSTTTY_BYTES (bytes each way per port, default 64 KiB) comes from the L1
# kernel command line: --append HOSTTTY_BYTES=1048576 is the 1 MiB
# exchange of issue 14 (about 2-4 min per port under TCG).
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

HOSTTTY_BYTES=${HOSTTTY_BYTES:-65536}

dmesg_mark
if ! check "hosttty: vfio_hosttty binary present" test -x /usr/bin/vfio_hosttty; then
	exit 1
fi
if ! check "hosttty: load mtty" load_mtty; then
	exit 1
fi
full2=$(avail mtty-2)

# host_ttys UUID: the names of the mdev's host ttys
host_ttys() {
	for _t in /sys/bus/mdev/devices/"$1"/tty/ttyMT*; do
		[ -e "$_t" ] && echo "${_t##*/}"
	done
}

if ! u=$(create_mdev mtty-2); then
	notok "hosttty: create mtty-2"
	unload_mtty
	exit 1
fi
ok "hosttty: create mtty-2 $u"
b=/sys/bus/mdev/devices/$u/backend
check_eq "hosttty: backend defaults to loopback" loopback "$(cat "$b")"
check_eq "hosttty: no host tty with loopback" "" "$(host_ttys "$u")"
if msg=$( (echo pty >"$b") 2>&1); then
	notok "hosttty: backend 'pty' accepted"
else
	case $msg in
	*"Invalid argument"*) ok "hosttty: backend 'pty' refused (Invalid argument)" ;;
	*) notok "hosttty: backend 'pty': expected 'Invalid argument', got '$msg'" ;;
	esac
fi
check_eq "hosttty: still loopback" loopback "$(cat "$b")"
check "hosttty: backend tty set" sh -c "echo tty >$b"
check_eq "hosttty: backend reads tty" tty "$(cat "$b")"
ttys=$(host_ttys "$u")
check_eq "hosttty: two host ttys" 2 "$(echo "$ttys" | wc -w)"
for t in $ttys; do
	check "hosttty: /dev/$t is a character device" test -c "/dev/$t"
	check_eq "hosttty: $t names its mdev" "$u" "$(cat "/sys/class/tty/$t/mtty/mdev")"
done

t0=$(cut -d' ' -f1 /proc/uptime)
if vfio_hosttty --bytes "$HOSTTTY_BYTES" "$u"; then
	ok "hosttty: vfio_hosttty passed"
else
	notok "hosttty: vfio_hosttty failed"
fi
t1=$(cut -d' ' -f1 /proc/uptime)
comment "hosttty: vfio_hosttty took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"

check "hosttty: back to loopback" sh -c "echo loopback >$b"
check_eq "hosttty: host ttys gone" "" "$(host_ttys "$u")"
check "hosttty: tty again" sh -c "echo tty >$b"
ttys=$(host_ttys "$u")
t_a=$(echo "$ttys" | sed -n 1p)
t_b=$(echo "$ttys" | sed -n 2p)

# removal with both host ttys open: a reader and a held descriptor
cat "/dev/$t_b" >/dev/null &
reader=$!
exec 3<>"/dev/$t_a"
usleep 200000
check "hosttty: remove the mdev with its host ttys open" remove_mdev "$u"
check_fail "hosttty: mdev gone" test -e "/sys/bus/mdev/devices/$u"
check_fail "hosttty: /dev/$t_a gone" test -e "/dev/$t_a"
check "hosttty: the reader was hung up and exited" wait_gone "$reader" 50
kill "$reader" 2>/dev/null
check_fail "hosttty: a write on the held, hung-up descriptor fails" \
	sh -c 'dd if=/dev/zero bs=1 count=1 >&3 2>/dev/null'
check_fail "hosttty: rmmod refused while a host tty is still open" unload_mtty
exec 3>&-
check_eq "hosttty: mtty-2 available_instances back to full" "$full2" "$(avail mtty-2)"

# a tty-backed device left at rmmod: removed and its ttys with it
if u2=$(create_mdev mtty-1); then
	check "hosttty: a second device, tty-backed" sh -c "echo tty >/sys/bus/mdev/devices/$u2/backend"
else
	notok "hosttty: create mtty-1"
fi
n=50
until unload_mtty 2>/dev/null; do
	n=$((n - 1))
	if [ "$n" -le 0 ]; then
		break
	fi
	usleep 100000
done
check_fail "hosttty: rmmod mtty once the last host tty closed" mtty_loaded
left=
for t in /sys/class/tty/ttyMT*; do
	[ -e "$t" ] && left="$left ${t##*/}"
done
check_eq "hosttty: no ttyMT left" "" "$left"
dmesg_check "hosttty"
