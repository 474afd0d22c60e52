#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Nested guest: QEMU inside this VM gets an mtty-2 through
# vfio-pci,sysfsdev=...; its /init (tests/vm/l2init.c) checks the PCI
# identity and config bytes against the seed, the 16550A detection of
# ttyS1/ttyS2, and loops 64 KiB through each port (then both at once),
# byte-identical, with no overrun.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001

dmesg_mark
check "nested: insmod" load_mtty || exit 0
check "nested: create mtty-2 $UUID" \
	sh -c "echo $UUID > $MTTY_TYPES/mtty-2/create"
avail=$(cat "$MTTY_TYPES/mtty-2/available_instances")
check_eq "nested: mtty-2 available_instances 11 with one in use" 11 "$avail"

if run_l2 "$UUID"; then
	ok "nested: guest checks all passed"
else
	notok "nested: guest reported failures (see L2 lines above)"
fi
# the guest must have run its loopback on both ports
for tty in ttyS1 ttyS2; do
	if tr -d '\r' <"$L2_LOG" | grep -q "^ok - .*$tty loopback 65536 bytes"; then
		ok "nested: $tty looped back 64 KiB in the guest"
	else
		notok "nested: no successful 64 KiB loopback on $tty"
	fi
done

check "nested: remove $UUID" sh -c "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
avail=$(cat "$MTTY_TYPES/mtty-2/available_instances")
check_eq "nested: pool back to 12 mtty-2" 12 "$avail"
check "nested: rmmod" unload_mtty
dmesg_check "nested"
