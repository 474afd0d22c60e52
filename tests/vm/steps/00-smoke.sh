#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Smoke test of the VM bed: the module loads, registers its parent device
# with the mdev core, unloads again, and the kernel log stays clean.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

dmesg_mark
check "smoke: /dev/vfio/vfio exists" test -c /dev/vfio/vfio
check "smoke: insmod $MTTY_KO" load_mtty
check "smoke: parent $MTTY_PARENT exists" test -d "$MTTY_PARENT"
check "smoke: parent listed in /sys/class/mdev_bus" test -e /sys/class/mdev_bus/mtty
check "smoke: mtty-2 type present" test -d "$MTTY_TYPES/mtty-2"
check "smoke: rmmod mtty" unload_mtty
check_fail "smoke: parent gone after rmmod" test -e "$MTTY_PARENT"
dmesg_check "smoke"
