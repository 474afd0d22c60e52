#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkinitrd.sh ENV_FILE -- build (or reuse) the boot initramfs of the
# operator-stack VM for one kernel: static busybox, boot-init.sh as /init and
# the (decompressed) modules needed to mount an ext4 root on virtio-blk, in
# dependency order.  Cached as $MTTY_CACHE/sysvm/boot-<kver>-<key>.cpio.
# Prints its path.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

[ $# -eq 1 ] || die "usage: $0 KERNEL_ENV"
# shellcheck disable=SC1090
. "$1"
: "${KVER:?} ${MODDIR:?}"
WANT="virtio_pci virtio_blk crc32c_generic ext4"

OUTDIR=$MTTY_CACHE/sysvm
mkdir -p "$OUTDIR"
KEY=$( { echo "$WANT"; hash_files "$0" "$HERE/boot-init.sh" "$HERE/../lib/lib.sh" "$HERE/../lib/host.sh";
	stat -L -c '%n %s %Y' "$(command -v busybox)" "$MODDIR/modules.dep"; } |
	sha_stdin | cut -c1-16)
OUT=$OUTDIR/boot-$KVER-$KEY.cpio

build() {
	local root rel dest
	[ -s "$OUT" ] && return 0
	root=$(mktemp -d "$OUTDIR/.boot.XXXXXX")
	stage_skeleton "$root"
	stage_busybox "$root"
	cp "$HERE/boot-init.sh" "$root/init"
	chmod 755 "$root/init"
	: >"$root/etc/sysvm-modules"
	while read -r rel; do
		dest=usr/lib/modules/$KVER/${rel%.ko*}.ko
		mkdir -p "$root/${dest%/*}"
		case $rel in
		*.ko.xz) xz -dc "$MODDIR/$rel" >"$root/$dest" ;;
		*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$root/$dest" ;;
		*.ko) cp "$MODDIR/$rel" "$root/$dest" ;;
		*) die "unexpected module file $rel" ;;
		esac
		printf '/%s\n' "$dest" >>"$root/etc/sysvm-modules"
	done < <(module_order "$MODDIR" "$WANT" | grep -v '^missing ')
	grep -q '/ext4.ko$' "$root/etc/sysvm-modules" ||
		grep -q '/ext4.ko' "$MODDIR/modules.builtin" || die "no ext4 module in $MODDIR"
	mk_cpio "$root" "$OUT"
	rm -rf "$root"
	log "built ${OUT##*/}"
}

with_lock "sysvm-boot-$KVER" build
touch "$OUT"
find "$OUTDIR" -maxdepth 1 -name "boot-$KVER-*.cpio" ! -name "${OUT##*/}" -delete 2>/dev/null || true
printf '%s\n' "$OUT"
