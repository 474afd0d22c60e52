#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# vm-steps.sh -- the package test inside the Debian 12 systemd VM booted by
# tests/pkg/vm-test.sh (started once by mtty-pkgvm-test.service, a test
# harness unit that is not part of the package).  Offline, like an operator
# with a local mirror: /srv/mtty-repo is a flat apt repository holding the
# running kernel's headers and everything mtty-dkms pulls in (dkms, the
# compiler, ...), none of which is installed yet.
#   1. apt install linux-headers-$(uname -r)
#   2. apt install ./mtty-dkms_<version>_all.deb  (DKMS builds mtty here)
#   3. systemctl enable --now mtty; mdevctl start / define devices
#   4. apt remove, then apt purge: module, units, rules, callout, DKMS tree
#      gone; the operator's /etc/mdevctl.d/mtty definitions still there
# Results go to /dev/ttyS1 ("ok - ..." / "not ok - ..." / "# ..."), then
# PKGVM-DONE, and the VM powers off.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
OUT=${PKGVM_OUT:-/dev/ttyS1}
exec >>"$OUT" 2>&1
VER='' DEB=''
# shellcheck source=/dev/null
. /usr/lib/mtty-pkgvm/env # sets VER DEB
KVER=$(uname -r)
U1=5a1e0c3d-7b2f-4c1e-8d90-0f1e2d3c4b01 # mtty-2, mdevctl start (transient)
U2=5a1e0c3d-7b2f-4c1e-8d90-0f1e2d3c4b02 # mtty-1, mdevctl define --auto
U3=5a1e0c3d-7b2f-4c1e-8d90-0f1e2d3c4b03 # mtty-2, JSON written by hand
# shellcheck disable=SC2317 # called through run/timed "$@"
apt_() { apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "$@"; }

# results, checks, the kernel-log patterns: the test library
# (tests/lib/lib.sh), staged by vm-test.sh
# shellcheck source=../lib/lib.sh disable=SC1091
. /usr/lib/mtty-tests/lib.sh
echo "# case: install, use and purge mtty-dkms"
# run CMD...: the command and its output as comments; returns its status
run() {
	out=$("$@" 2>&1)
	rc=$?
	echo "# \$ $* (exit $rc)"
	[ -z "$out" ] || printf '%s\n' "$out" | tail -n 60 | sed 's/^/#   /'
	return $rc
}
now() { date +%s; }
# timed DESC CMD...: run, report ok/not ok with the time it took
timed() {
	d=$1
	shift
	t=$(now)
	if run "$@"; then
		ok "$d ($(($(now) - t))s)"
	else
		notok "$d ($(($(now) - t))s)"
		return 1
	fi
}
finish() {
	echo "PKGVM-DONE"
	sync
	systemctl poweroff
	exit 0
}

echo "# pkg VM test on $KVER, mtty-dkms $VER"
st=$(timeout 300 systemctl is-system-running --wait 2>&1)
echo "# system state: $st"
dmesg >/run/dmesg.before

# ---- 1. headers of the running kernel, from the local mirror ----
run apt_ update
check "nothing of mtty or dkms installed before the test" \
	sh -c '! dpkg -s dkms >/dev/null 2>&1 && ! dpkg -s mtty-dkms >/dev/null 2>&1'
# INITRD=No: the kernel's initramfs hook has nothing to do in this VM (it
# boots from a host-supplied initramfs); mkinitramfs under TCG only costs time
export INITRD=No
timed "apt install linux-headers-$KVER" apt_ install "linux-headers-$KVER" || finish
unset INITRD
check "headers of the running kernel installed (/lib/modules/$KVER/build)" \
	test -e "/lib/modules/$KVER/build/Makefile" -a -e "/lib/modules/$KVER/build/.config"

# ---- 2. the package: apt pulls dkms and the compiler, DKMS builds ----
t=$(now)
if run apt_ install "$DEB"; then
	ok "apt install ./${DEB##*/} (DKMS build included: $(($(now) - t))s)"
else
	notok "apt install ./${DEB##*/} ($(($(now) - t))s)"
	run sh -c "cat /var/lib/dkms/mtty/$VER/build/make.log /var/lib/dkms/mtty/$VER/$KVER/*/log/make.log"
	finish
fi
check "apt pulled in dkms" dpkg -s dkms
run dkms status
check "dkms status: mtty $VER installed for $KVER" \
	sh -c "dkms status -m mtty -v $VER -k $KVER | grep -q ': installed'"
ko=$(modinfo -n mtty 2>/dev/null)
echo "# modinfo -n mtty: $ko"
case $ko in
*/updates/dkms/mtty.ko*) ok "modinfo finds the DKMS-built module ($ko)" ;;
*) notok "modinfo finds the DKMS-built module (got '$ko')" ;;
esac
check "its version is $VER (VERSION file -> MODULE_VERSION)" \
	test "$(modinfo -F version mtty 2>/dev/null)" = "$VER"
check "its vermagic is $KVER" sh -c "modinfo -F vermagic mtty | grep -q '^$KVER '"
check "man pages installed (mtty.4.gz, mtty.service.8.gz)" \
	sh -c 'zcat /usr/share/man/man4/mtty.4.gz | grep -q "^\.SH NAME" &&
		zcat /usr/share/man/man8/mtty.service.8.gz | grep -q "^\.SH NAME"'

# ---- 3. use it ----
timed "systemctl enable --now mtty" systemctl enable --now mtty
check "mtty.service is active" systemctl is-active --quiet mtty
check "the parent /sys/class/mdev_bus/mtty exists" test -d /sys/class/mdev_bus/mtty
run systemctl status --no-pager mtty
timed "mdevctl start -u U1 -p mtty -t mtty-2" mdevctl start -u $U1 -p mtty -t mtty-2
check "device U1 exists in sysfs" test -e /sys/bus/mdev/devices/$U1
timed "mdevctl define --auto -u U2 -p mtty -t mtty-1" mdevctl define --auto -u $U2 -p mtty -t mtty-1
check "mdevctl wrote /etc/mdevctl.d/mtty/U2" test -s /etc/mdevctl.d/mtty/$U2
printf '{\n  "mdev_type": "mtty-2",\n  "start": "manual",\n  "attrs": []\n}\n' \
	>/etc/mdevctl.d/mtty/$U3
run mdevctl list --defined
check "mdevctl list shows the running device U1" sh -c "mdevctl list | grep -q $U1"
check "mdevctl list --defined shows U2 and the hand-written U3" \
	sh -c "mdevctl list --defined | grep -q $U2 && mdevctl list --defined | grep -q $U3"
cp /etc/mdevctl.d/mtty/$U2 /run/U2.json
cp /etc/mdevctl.d/mtty/$U3 /run/U3.json
dpkg -L mtty-dkms | sort >/run/pkg.list
dpkg-query -W -f='${Conffiles}\n' mtty-dkms | awk 'NF {print $1}' >/run/pkg.conffiles
echo "# conffiles: $(tr '\n' ' ' </run/pkg.conffiles)"

# gone_files: files of the package (not directories) that still exist
# (conffiles excluded when $1 is "keep-conffiles")
gone_files() {
	while read -r f; do
		[ -d "$f" ] && [ ! -L "$f" ] && continue
		if [ "${1:-}" = keep-conffiles ] && grep -qxF "$f" /run/pkg.conffiles; then
			continue
		fi
		if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
	done </run/pkg.list
}
# nothing_of_mtty: module, DKMS state, unit, rules, links all gone
nothing_of_mtty() {
	check "$1: mtty module unloaded" test ! -d /sys/module/mtty
	left=$(find /lib/modules /usr/lib/modules -name 'mtty.ko*' 2>/dev/null)
	check "$1: no mtty.ko left under /lib/modules ($left)" test -z "$left"
	check "$1: DKMS forgot mtty (/var/lib/dkms/mtty)" test ! -e /var/lib/dkms/mtty
	check "$1: /usr/src/mtty-$VER gone" test ! -e "/usr/src/mtty-$VER"
	check "$1: unit gone (systemctl cat mtty fails)" sh -c '! systemctl cat mtty.service >/dev/null 2>&1'
	check "$1: udev rule and helper gone" \
		test ! -e /usr/lib/udev/rules.d/70-mtty.rules -a ! -e /usr/lib/udev/mtty-udev
	check "$1: mdevctl callout links gone (mdevctl no longer runs it)" \
		test ! -L /etc/mdevctl.d/scripts.d/callouts/mtty -a ! -L /usr/lib/mdevctl/scripts.d/callouts/mtty \
		-a ! -e /usr/lib/mtty/mdevctl-callout
	check "$1: device U1 gone with the driver" test ! -e /sys/bus/mdev/devices/$U1
	check "$1: modprobe mtty now fails (no module for $KVER)" sh -c '! modprobe -n mtty 2>/dev/null'
}

# ---- 4. remove, then purge ----
timed "apt remove mtty-dkms" apt_ remove mtty-dkms
nothing_of_mtty "after remove"
left=$(gone_files keep-conffiles)
check "after remove: no file of the package left but its conffiles ($left)" test -z "$left"
timed "apt purge mtty-dkms" apt_ purge mtty-dkms
nothing_of_mtty "after purge"
left=$(gone_files)
check "after purge: no file of the package left ($left)" test -z "$left"
check "after purge: dpkg has forgotten mtty-dkms" \
	sh -c "! dpkg-query -W -f='\${Status}' mtty-dkms 2>/dev/null | grep -qE ' (installed|config-files)\$'"
links=$(find /etc/systemd/system -name 'mtty.service' 2>/dev/null)
check "after purge: no enablement symlink of mtty.service left ($links)" test -z "$links"
check "after purge: callout and /etc/modprobe.d/mtty.conf gone" \
	test ! -L /etc/mdevctl.d/scripts.d/callouts/mtty -a ! -e /etc/modprobe.d/mtty.conf
check "after purge: operator's definition U2 (mdevctl define) kept, unchanged" \
	cmp -s /etc/mdevctl.d/mtty/$U2 /run/U2.json
check "after purge: operator's hand-written definition U3 kept, unchanged" \
	cmp -s /etc/mdevctl.d/mtty/$U3 /run/U3.json
run ls -la /etc/mdevctl.d/mtty

dmesg >/run/dmesg.after
new=$(diff /run/dmesg.before /run/dmesg.after | sed -n 's/^> //p')
klog_check "install, use and purge" "$new"
finish
