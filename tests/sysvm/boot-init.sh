#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the boot initramfs of the operator-stack VM (tests/sysvm), busybox
# sh.  Loads the modules the Debian kernel needs to reach its root file
# system (virtio_blk, ext4; list in /etc/sysvm-modules), mounts /dev/vda,
# installs the package payload from /dev/vdb (a tar of "make install
# DESTDIR=..." plus the test harness) on the first boot only, and hands over
# to systemd.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

panic() {
	echo "SYSVM-BOOT-FAILED: $*"
	echo "not ok - boot initramfs: $*" >/dev/ttyS1
	sync
	poweroff -f
}

while read -r ko; do
	[ -n "$ko" ] || continue
	insmod "$ko" || panic "insmod $ko failed"
done </etc/sysvm-modules

n=0
while [ ! -b /dev/vda ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || panic "no /dev/vda"
	usleep 100000
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || panic "cannot mount /dev/vda"
stamp=/newroot/var/lib/mtty-sysvm/payload-installed
if [ -b /dev/vdb ] && [ ! -e "$stamp" ]; then
	echo "sysvm: installing the payload from /dev/vdb"
	tar -xf /dev/vdb -C /newroot || panic "payload extraction failed"
	mkdir -p "${stamp%/*}"
	date >"$stamp"
fi
umount /proc /sys 2>/dev/null
umount /dev 2>/dev/null
exec switch_root /newroot /sbin/init
