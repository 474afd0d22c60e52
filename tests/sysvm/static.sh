#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# static.sh -- quick host-side checks of the operator stack (no VM):
# the mdevctl call-out and the udev helper against a fake sysfs tree, the
# XML generator (make xml) and, when the sysvm base image is cached, its
# output against libvirt 9.0's and 11.3's own RelaxNG schemas (what virt-xml-validate
# does), and the systemd unit with systemd-analyze verify.
# Prints ok/not ok lines and "sysvm-static: N passed, N failed".
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$TOP/tests/lib/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# --- fake sysfs: parent mtty with two types, one mdev in IOMMU group 7,
# and a foreign mdev (parent of class "other") in group 8
S=$T/sys
P=$S/devices/virtual/mtty/mtty
mkdir -p "$S/class/mtty" "$S/class/other" "$S/class/mdev_bus" "$S/module/mtty/parameters"
echo 6 >"$S/module/mtty/parameters/max_ports"
for t in mtty-1 mtty-2; do
	mkdir -p "$P/mdev_supported_types/$t"
done
echo 1 >"$P/mdev_supported_types/mtty-1/available_instances"
echo 0 >"$P/mdev_supported_types/mtty-2/available_instances"
ln -s ../../../../class/mtty "$P/subsystem"
ln -s ../../devices/virtual/mtty/mtty "$S/class/mdev_bus/mtty"
U=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
mkdir -p "$P/$U" "$S/kernel/iommu_groups/7/devices" "$S/kernel/iommu_groups/8/devices"
ln -s ../mdev_supported_types/mtty-2 "$P/$U/mdev_type"
ln -s "$P/$U" "$S/kernel/iommu_groups/7/devices/$U"
O=$S/devices/pci0000:00/0000:00:02.0
mkdir -p "$O/mdev_supported_types/i915-x" "$O/f00"
ln -s "$S/class/other" "$O/subsystem"
ln -s ../mdev_supported_types/i915-x "$O/f00/mdev_type"
ln -s "$O/f00" "$S/kernel/iommu_groups/8/devices/f00"
export MTTY_SYSFS=$S

CO=$TOP/mdevctl.d/callouts/mtty.sh
co() { "$CO" "$@" 2>"$T/err"; }
rc() { "$@" >/dev/null 2>&1; echo $?; }
J='{"mdev_type":"mtty-1","start":"auto","attrs":[]}'
check "callout: exit 2 for another parent" [ "$(rc co -t i915-x -e pre -a start -s none -u x -p 0000:00:02.0 <<<"$J")" = 2 ]
check "callout: start of mtty-1 with room: 0" [ "$(rc co -t mtty-1 -e pre -a start -s none -u x -p mtty <<<"$J")" = 0 ]
check "callout: start of mtty-2 in a full pool: 1" [ "$(rc co -t mtty-2 -e pre -a start -s none -u x -p mtty <<<"$J")" = 1 ]
co -t mtty-2 -e pre -a start -s none -u x -p mtty <<<"$J" >/dev/null
check "callout: full pool message names the pool size" grep -q 'pool (max_ports=6) is full' "$T/err"
check "callout: unknown type: 1" [ "$(rc co -t mtty-7 -e pre -a define -s none -u x -p mtty <<<"$J")" = 1 ]
check "callout: attributes refused" [ "$(rc co -t mtty-1 -e pre -a define -s none -u x -p mtty <<<'{"mdev_type":"mtty-1","start":"auto","attrs":[{"a":"b"}]}')" = 1 ]
check "callout: post events pass" [ "$(rc co -t mtty-2 -e post -a start -s success -u x -p mtty <<<"$J")" = 0 ]
PROV='{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","notify","get","live"]}}'
check "callout: get capabilities (mdevctl >= 1.3) answers version 2 with every action and event" \
	[ "$("$CO" -t mtty-1 -e get -a capabilities -s none -u x -p mtty <<<"$PROV")" = "${PROV/provides/supports}" ]
check "callout: get capabilities claims nothing mdevctl did not offer" \
	[ "$("$CO" -t mtty-1 -e get -a capabilities -s none -u x -p mtty <<<'{"provides":{"version":3,"actions":["start","later"],"events":["pre","soon"]}}')" = '{"supports":{"version":2,"actions":["start"],"events":["pre"]}}' ]
check "callout: get capabilities of another parent: exit 2" \
	[ "$(rc co -t i915-x -e get -a capabilities -s none -u x -p 0000:00:02.0 <<<"$PROV")" = 2 ]
check "callout: live modify without attributes passes" [ "$(rc co -t mtty-1 -e live -a modify -s none -u x -p mtty <<<"$J")" = 0 ]
check "callout: live modify with attributes refused" [ "$(rc co -t mtty-1 -e live -a modify -s none -u x -p mtty <<<'{"mdev_type":"mtty-1","start":"auto","attrs":[{"a":"b"}]}')" = 1 ]
check "callout: get prints []" [ "$("$CO" -t mtty-1 -e get -a attributes -s none -u x -p mtty </dev/null)" = '[]' ]
check "callout: define while not loaded (known type) passes" \
	[ "$(MTTY_SYSFS=$T/none rc co -t mtty-2 -e pre -a define -s none -u x -p mtty <<<"$J")" = 0 ]
MTTY_SYSFS=$T/none co -t mtty-1 -e pre -a start -s none -u x -p mtty <<<"$J" >/dev/null
check "callout: start while not loaded says so" grep -q 'driver is not loaded' "$T/err"

UH=$TOP/udev/mtty-udev.sh
check "mtty-udev: group 7 holds an mtty device" "$UH" is-mtty-group 7
check "mtty-udev: group 8 (other parent) is not ours" [ "$(rc "$UH" is-mtty-group 8)" = 1 ]
check "mtty-udev: group 9 (absent) is not ours" [ "$(rc "$UH" is-mtty-group 9)" = 1 ]
check "mtty-udev: rejects a non-numeric group" [ "$(rc "$UH" is-mtty-group '../7')" = 1 ]

# --- XML generator
X=$T/xml
if make -s -C "$TOP" xml UUID="$U" NAME=demo XMLOUT="$X" >/dev/null &&
	make -s -C "$TOP" xml UUID="$U" NAME=kb XMLOUT="$X" \
		XMLARGS="-v qemu -k /boot/vmlinux -i /boot/initrd -s /var/log/kb.log" >/dev/null &&
	make -s -C "$TOP" xml UUID="$U" NAME=mig XMLOUT="$X" \
		XMLARGS="-M -v qemu -k /boot/vmlinux -i /boot/initrd -s /var/log/mig.log" >/dev/null; then
	ok "make xml writes hostdev, domain and nodedev XML (also migratable, -M)"
else
	notok "make xml"
fi
# -M (migratable, the domain of the sysvm save/restore test): the card's
# user alias, the <qemu:override> of its vfio-pci properties, the serial
# log appended to; without -M none of it
mig_xml_ok() {
	local q="//*[local-name()='override']/*[local-name()='device'][@alias='ua-mtty0']/*[local-name()='frontend']/*[local-name()='property']"
	[ "$(xmllint --xpath 'string(//hostdev/alias/@name)' "$1")" = ua-mtty0 ] &&
		[ "$(xmllint --xpath "string(${q}[@name='enable-migration'][@type='string']/@value)" "$1")" = on ] &&
		[ "$(xmllint --xpath "string(${q}[@name='x-device-dirty-page-tracking'][@type='string']/@value)" "$1")" = off ] &&
		[ "$(xmllint --xpath "namespace-uri(//*[local-name()='override'])" "$1")" = http://libvirt.org/schemas/domain/qemu/1.0 ] &&
		[ "$(xmllint --xpath 'string(//serial/source/@append)' "$1")" = on ]
}
no_mig_xml() { ! grep -Eq "override|ua-mtty0|append=|xmlns:qemu" "$1"; }
check "mtty-xml.sh -M: hostdev alias ua-mtty0, qemu:override enable-migration=on and x-device-dirty-page-tracking=off, serial append='on'" \
	mig_xml_ok "$X/mig-domain.xml"
check "mtty-xml.sh without -M: no override, alias or append" no_mig_xml "$X/kb-domain.xml"
check "mtty-xml.sh refuses a bad UUID" [ "$(rc "$TOP/libvirt-xml/mtty-xml.sh" -u 1234 -n x -o "$X")" = 2 ]
check "mtty-xml.sh refuses an unknown type" [ "$(rc "$TOP/libvirt-xml/mtty-xml.sh" -u "$U" -n x -t mtty-3 -o "$X")" = 2 ]
check "generated XML is well-formed" xmllint --noout "$X"/*.xml
# libvirt 9.0's schemas (Debian 12): from Debian's libvirt0 (scripts/deps.sh
# installs it), else from the cached Debian 12 guest image, which has the
# same files.
R90=/usr/share/libvirt/schemas
if [ ! -f "$R90/domain.rng" ]; then
	R90=$T/schemas
	IMG=$(find "$MTTY_CACHE/sysvm" -maxdepth 1 -name 'rootfs-bookworm-*.ext4' 2>/dev/null | head -n1)
	if [ -n "$IMG" ] && command -v debugfs >/dev/null; then
		debugfs -R "rdump /usr/share/libvirt/schemas $T" "$IMG" >/dev/null 2>&1
	fi
fi
# libvirt 11.3's schemas (Debian 13): trixie's libvirt-common, downloaded
# with scripts/apt-suite.sh and unpacked once per version into
# $MTTY_CACHE/libvirt-schemas/<version>/ (offline: the newest one cached).
trixie_schemas() {
	local ver dir tmp
	ver=$("$TOP/scripts/apt-suite.sh" trixie show --no-all-versions libvirt-common 2>/dev/null |
		sed -n 's/^Version: //p' | head -n1)
	if [ -z "$ver" ]; then
		dir=$(find "$MTTY_CACHE/libvirt-schemas" -mindepth 1 -maxdepth 1 -name '11.*' 2>/dev/null | sort -V | tail -n1)
		[ -n "$dir" ] && echo "$dir"
		return
	fi
	dir=$MTTY_CACHE/libvirt-schemas/$ver
	if [ ! -f "$dir/domain.rng" ]; then
		mkdir -p "$MTTY_CACHE/libvirt-schemas"
		tmp=$(mktemp -d "$MTTY_CACHE/libvirt-schemas/.dl.XXXXXX")
		if (cd "$tmp" && "$TOP/scripts/apt-suite.sh" trixie download "libvirt-common=$ver") >/dev/null 2>&1 &&
			dpkg-deb -x "$tmp"/libvirt-common_*.deb "$tmp/x" &&
			[ -f "$tmp/x/usr/share/libvirt/schemas/domain.rng" ]; then
			rm -rf "$dir"
			mv "$tmp/x/usr/share/libvirt/schemas" "$dir"
		fi
		rm -rf "$tmp"
	fi
	[ -f "$dir/domain.rng" ] && echo "$dir"
}
R113=$(trixie_schemas)
{
	echo "<domain type='qemu'><name>w</name><memory>65536</memory><os><type>hvm</type></os><devices>"
	cat "$X/demo-hostdev.xml"
	echo "</devices></domain>"
} >"$T/wrap.xml"
for set in "9.0 (Debian 12):$R90" "11.3 (Debian 13):$R113"; do
	name=${set%%:*} R=${set#*:}
	if [ -z "$R" ] || [ ! -f "$R/domain.rng" ]; then
		if [ "${name%% *}" = 9.0 ]; then
			echo "# libvirt 9.0 schemas not found (libvirt0 not installed, no Debian 12 sysvm image cached); checks skipped (the VM test runs virt-xml-validate)"
		else
			notok "libvirt 11.3 schemas: trixie's libvirt-common (scripts/apt-suite.sh trixie download libvirt-common) not available"
		fi
		continue
	fi
	for f in "$X"/demo-domain.xml "$X"/kb-domain.xml "$X"/mig-domain.xml; do
		check "libvirt $name schema: ${f##*/}" xmllint --noout --relaxng "$R/domain.rng" "$f"
	done
	check "libvirt $name schema: demo-nodedev.xml" xmllint --noout --relaxng "$R/nodedev.rng" "$X/demo-nodedev.xml"
	check "libvirt $name schema: demo-hostdev.xml (inside a domain)" \
		xmllint --noout --relaxng "$R/domain.rng" "$T/wrap.xml"
done
# --- systemd unit
D=$T/dest
make -s -C "$TOP" install-systemd install-udev DESTDIR="$D" >/dev/null
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify "$D/usr/lib/systemd/system/mtty.service" 2>&1 |
		grep -v 'Command .* is not executable\|not found in PATH\|/usr/lib/mtty/mtty-service')
	if [ -z "$out" ]; then ok "systemd-analyze verify mtty.service"; else
		printf '%s\n' "$out" | sed 's/^/# /'
		notok "systemd-analyze verify mtty.service"
	fi
fi
# shellcheck disable=SC2016 # $1 of the inner script
check "installed files carry no @PLACEHOLDER@" \
	bash -c '! grep -rq "@[A-Z]*@" "$1"' _ "$D"

tap_done sysvm-static
