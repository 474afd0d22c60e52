#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# mtty-xml.sh -- write libvirt XML for an mtty device from the templates
# next to this script (installed in /usr/share/mtty/libvirt-xml/).
#
#   mtty-xml.sh -u UUID -n NAME [-t mtty-1|mtty-2] [-o OUTDIR]
#               [-k KERNEL -i INITRD [-c CMDLINE] | -d DISK [-f qcow2|raw]]
#               [-s SERIALLOG] [-m MEMORY_MIB] [-v kvm|qemu] [-S SLOT]
#               [-P PARENT] [-M]
#
# Writes OUTDIR/NAME-hostdev.xml (virsh attach-device/detach-device),
# OUTDIR/NAME-domain.xml (virsh define; the domain NAME with the device)
# and OUTDIR/NAME-nodedev.xml (virsh nodedev-define).  Defaults: type
# mtty-2, OUTDIR ., boot disk /var/lib/libvirt/images/NAME.qcow2 unless a
# kernel is given, serial console on a pty unless -s, 512 MiB, kvm, PCI
# slot 5 (00:05.0, as in the mtty documentation), parent mtty_mtty (the
# name libvirt gives the mtty parent).  -M makes the domain migratable
# (virsh save/restore, virsh migrate; QEMU >= 8.1): the card gets the alias
# ua-mtty0 and a <qemu:override> sets its vfio-pci properties
# enable-migration=on and x-device-dirty-page-tracking=off; a serial log
# (-s) is opened with append='on' (a restored QEMU would truncate it).
# Prints the files written.
set -eu

die() {
	echo "mtty-xml: $*" >&2
	exit 2
}
usage() { sed -n '/^#   mtty-xml.sh/,/^#$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
TEMPLATES=${MTTY_XML_TEMPLATES:-$here}
uuid='' name='' type=mtty-2 out=. kernel='' initrd='' cmdline='console=ttyS0'
disk='' diskfmt=qcow2 serial='' memory=512 virt=kvm slot=5 parent=mtty_mtty mig=''
while getopts u:n:t:o:k:i:c:d:f:s:m:v:S:P:Mh opt; do
	case $opt in
	u) uuid=$OPTARG ;;
	n) name=$OPTARG ;;
	t) type=$OPTARG ;;
	o) out=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	c) cmdline=$OPTARG ;;
	d) disk=$OPTARG ;;
	f) diskfmt=$OPTARG ;;
	s) serial=$OPTARG ;;
	m) memory=$OPTARG ;;
	v) virt=$OPTARG ;;
	S) slot=$OPTARG ;;
	P) parent=$OPTARG ;;
	M) mig=1 ;;
	*) usage ;;
	esac
done
if [ -z "$uuid" ] || [ -z "$name" ]; then usage; fi

uuid=$(printf '%s' "$uuid" | tr 'A-F' 'a-f')
echo "$uuid" | grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' ||
	die "invalid UUID '$uuid'"
echo "$name" | grep -Eqx '[A-Za-z0-9][A-Za-z0-9_.+-]*' ||
	die "invalid domain name '$name' (letters, digits, _ . + -)"
case $type in mtty-1 | mtty-2) ;; *) die "unknown type '$type' (mtty-1, mtty-2)" ;; esac
case $virt in kvm | qemu) ;; *) die "-v must be kvm or qemu" ;; esac
case $diskfmt in qcow2 | raw) ;; *) die "-f must be qcow2 or raw" ;; esac
echo "$memory" | grep -Eqx '[0-9]+' || die "invalid memory size '$memory'"
echo "$slot" | grep -Eqx '[0-9]+|0x[0-9a-fA-F]+' || die "invalid slot '$slot'"
slot=$((slot))
if [ "$slot" -lt 1 ] || [ "$slot" -gt 31 ]; then die "slot must be 1..31"; fi
slothex=$(printf '%02x' "$slot")
for v in "$kernel" "$initrd" "$cmdline" "$disk" "$serial"; do
	case $v in *[\&\<\>\'\"\|]*) die "characters & < > ' \" | are not allowed: $v" ;; esac
done
if [ -n "$kernel" ]; then
	[ -n "$initrd" ] || die "-k needs -i INITRD"
	drop=disk
else
	[ -n "$disk" ] || disk=/var/lib/libvirt/images/$name.qcow2
	drop=kernel
fi
# the serial block to drop
if [ -n "$serial" ]; then nserial=serialpty; else nserial=serialfile; fi
# the migration blocks and attributes (-M)
if [ -n "$mig" ]; then
	dropmig=none qemuns=" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
	append=" append='on'"
else
	dropmig=migration qemuns='' append=''
fi

# fill TEMPLATE: substitute, drop the unused BEGIN/END blocks, keep the rest
fill() {
	sed -e "/<!-- BEGIN $drop -->/,/<!-- END $drop -->/d" \
		-e "/<!-- BEGIN $nserial -->/,/<!-- END $nserial -->/d" \
		-e "/<!-- BEGIN $dropmig -->/,/<!-- END $dropmig -->/d" \
		-e '/<!-- BEGIN [a-z]* -->/d' -e '/<!-- END [a-z]* -->/d' \
		-e "s|@UUID@|$uuid|g" -e "s|@UUID_@|$(echo "$uuid" | tr - _)|g" \
		-e "s|@NAME@|$name|g" -e "s|@TYPE@|$type|g" -e "s|@PARENT@|$parent|g" \
		-e "s|@VIRTTYPE@|$virt|g" -e "s|@MEMORY@|$memory|g" \
		-e "s|@SLOTHEX@|$slothex|g" -e "s|@KERNEL@|$kernel|g" \
		-e "s|@INITRD@|$initrd|g" -e "s|@CMDLINE@|$cmdline|g" \
		-e "s|@DISK@|$disk|g" -e "s|@DISKFORMAT@|$diskfmt|g" \
		-e "s|@SERIALLOG@|$serial|g" -e "s|@QEMUNS@|$qemuns|g" \
		-e "s|@APPEND@|$append|g" "$TEMPLATES/$1"
}

mkdir -p "$out"
for t in hostdev domain nodedev; do
	[ -f "$TEMPLATES/$t.xml.in" ] || die "template $TEMPLATES/$t.xml.in missing"
	fill "$t.xml.in" >"$out/$name-$t.xml.tmp"
	if grep -q '@[A-Z_]*@' "$out/$name-$t.xml.tmp"; then
		die "unfilled placeholder in $out/$name-$t.xml"
	fi
	mv -f "$out/$name-$t.xml.tmp" "$out/$name-$t.xml"
	echo "$out/$name-$t.xml"
done
