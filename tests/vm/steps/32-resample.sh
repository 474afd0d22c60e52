#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# INTx unmask/mask through eventfds (irqfd resampling): vfio_resample
# (tests/vm/vfio_resample.c) on one mtty-1, then remove it, unload, and
# check the kernel log.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

dmesg_mark
if ! check "resample: vfio_resample binary present" test -x /usr/bin/vfio_resample; then
	exit 1
fi
if ! check "resample: load mtty" load_mtty; then
	exit 1
fi
u=$(create_mdev mtty-1)
if check "resample: create mtty-1" test -n "${u:-}"; then
	if vfio_resample "$u"; then
		ok "resample: vfio_resample passed"
	else
		notok "resample: vfio_resample exit status $?"
	fi
	check "resample: remove $u" remove_mdev "$u"
fi
check "resample: unload mtty" unload_mtty
dmesg_check "resample"
