#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# VFIO migration v2: two mtty-2, one mtty-1 and a deep mtty-1, vfio_mig (tests/vm/vfio_mig.c)
# walks the state machine, moves UART state from one mtty-2 to the other,
# feeds malformed streams and the golden transfer files; then the devices
# are removed, the pool is whole again and the kernel log is clean.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

dmesg_mark
if ! check "mig: vfio_mig binary present" test -x /usr/bin/vfio_mig; then
	exit 1
fi
if ! check "mig: load mtty" load_mtty; then
	exit 1
fi
full=$(avail mtty-1)
a=$(create_mdev mtty-2) && b=$(create_mdev mtty-2) && c=$(create_mdev mtty-1)
check "mig: create two mtty-2 and one mtty-1" test -n "${c:-}"
# a deep-FIFO mtty-1 for the deep golden stream and the mismatch checks
echo 1 >/sys/module/mtty/parameters/deep_fifo && d=$(create_mdev mtty-1)
echo 0 >/sys/module/mtty/parameters/deep_fifo
check "mig: create a deep mtty-1" test -n "${d:-}"
if [ -n "${c:-}" ] && [ -n "${d:-}" ]; then
	if vfio_mig --golden /usr/share/mtty/golden --deep "$d" "$a" "$b" "$c"; then
		ok "mig: vfio_mig passed"
	else
		notok "mig: vfio_mig exit status $?"
	fi
fi
for u in ${a:-} ${b:-} ${c:-} ${d:-}; do
	check "mig: remove $u" remove_mdev "$u"
done
check_eq "mig: pool whole again" "$full" "$(avail mtty-1)"
check "mig: unload mtty" unload_mtty
dmesg_check "mig"
