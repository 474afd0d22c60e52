#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vm-test.sh -- install, use and purge the mtty-dkms package in the Debian 12
# or 13 systemd VM of tests/sysvm, booted under QEMU/TCG with a Debian kernel.
#
#   tests/pkg/vm-test.sh [--suite bookworm|trixie] --kernel LINE [--deb FILE]
#                        [--timeout S] [-q]
#
# --suite: bookworm (Debian 12, default; lines 6.1, 6.12) or trixie
# (Debian 13; lines trixie, trixie-backports), as tests/sysvm/run.sh.
# 1. the package: build/deb/mtty-dkms_<version>_all.deb (built if missing or
#    older than the tree's debian/ and install sources; --deb to pass one);
# 2. the base image and boot initramfs of tests/sysvm (mkrootfs.sh,
#    mkinitrd.sh: shared and cached; nothing of mtty, no compiler, no dkms);
# 3. a flat apt repository of what the test installs that the image lacks:
#    the running kernel's linux-headers (from $MTTY_CACHE/debs, the
#    tests/vm/kernel.sh downloads) and the closure of dkms (compiler, make,
#    ...), resolved against the image's dpkg status (bookworm: with the
#    host's apt; trixie: with a private apt configuration of the image's
#    own sources, plus trixie-backports for that line, in
#    $MTTY_CACHE/pkgvm/apt-<suite>-<line>/); cached in
#    $MTTY_CACHE/pkgvm/repo-<kver>-<key>/;
# 4. boots the image (-drive ...,snapshot=on) with a second disk holding the
#    repository, the .deb and vm-steps.sh, which the boot initramfs unpacks
#    into the root; vm-steps.sh runs the operator's commands offline and
#    writes results to the second serial port.
# Prints ok/not ok lines and "pkgvm-<run>: N passed, N failed" (run: the
# line on bookworm, SUITE-LINE otherwise).
# Logs: build/pkgvm/<run>/{console,results,qemu}.log
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

LINE='' DEB='' TIMEOUT=2400 QUIET=''
vm_test_args --deb DEB "[--suite bookworm|trixie] --kernel LINE [--deb FILE] [--timeout S] [-q]" "$@"

# the host-side checks are one test case, the package scenario in the VM
# one more (tally_finish in tests/lib/host.sh)
finish() {
	tally_finish "pkgvm-$TAG"
	exit
}

"$HERE/deps.sh" || die "packaging tools missing (tests/pkg/deps.sh)"
VER=$(cat "$TOP/VERSION")
: "${KVER:?} ${VMLINUZ:?}"

OUT=$TOP/build/pkgvm/$TAG
rm -rf "$OUT"
mkdir -p "$OUT"

# --- 1. the package
if [ -z "$DEB" ]; then
	DEB=$TOP/build/deb/mtty-dkms_${VER}_all.deb
	newer=$(find "$TOP/debian" "$TOP/driver" "$TOP/systemd" "$TOP/udev" \
		"$TOP/mdevctl.d" "$TOP/libvirt-xml" "$TOP/man" "$TOP/docs" \
		"$TOP/examples" "$TOP/mk" "$TOP/VERSION" "$TOP/dkms.conf.in" \
		-newer "$DEB" -print -quit 2>/dev/null || true)
	if [ ! -s "$DEB" ] || [ -n "$newer" ]; then
		"$HERE/build-deb.sh" >/dev/null || die "make deb failed"
	fi
fi
[ -s "$DEB" ] || die "no package $DEB"
ok "package ${DEB##*/} built"

# --- 2. image and boot initramfs (tests/sysvm)
IMG=$("$TOP/tests/sysvm/mkrootfs.sh" --suite "$SUITE" "${ENVS[@]}") || die "base image failed"
[ -f "$IMG" ] || die "base image: mkrootfs.sh printed \"$IMG\", not an image file"
BOOT=$("$TOP/tests/sysvm/mkinitrd.sh" "$ENV_FILE") || die "boot initramfs failed"

# --- 3. the local mirror for this kernel
STATUS=$OUT/image-dpkg-status
debugfs -R 'cat /var/lib/dpkg/status' "$IMG" >"$STATUS" 2>/dev/null ||
	die "cannot read the image's dpkg status (debugfs)"
grep -q '^Package: mdevctl$' "$STATUS" || die "image dpkg status looks wrong"
WANT="dkms linux-headers-$KVER"
# Debian's 6.12 headers depend on the kernel image package (signed or
# unsigned): offer the unsigned one tests/vm/kernel.sh already downloaded
hdr=$(compgen -G "$MTTY_CACHE/debs/linux-headers-${KVER}_*.deb" | head -n1 || true)
if [ -n "$hdr" ] && dpkg-deb -f "$hdr" Depends | grep -q "linux-image-$KVER"; then
	WANT="$WANT linux-image-$KVER-unsigned"
fi
local_mirror
echo "# local mirror: $REPO ($(du -sh "$REPO" | cut -f1), $(grep -c '^Package:' "$REPO/Packages") packages)"
grep -q "^Package: linux-headers-$KVER\$" "$REPO/Packages" ||
	{ notok "local mirror holds linux-headers-$KVER"; finish; }
grep -q '^Package: dkms$' "$REPO/Packages" || { notok "local mirror holds dkms"; finish; }
ok "local mirror: headers of $KVER, dkms and their dependencies"
find "$MTTY_CACHE/pkgvm" -maxdepth 1 -name 'repo-*' -mtime +7 ! -path "$REPO" \
	-exec rm -rf {} + 2>/dev/null || true

# --- payload for the second disk
STAGE=$OUT/stage
umask 022
mkdir -p "$STAGE/srv" "$STAGE/etc/apt/sources.list.d" "$STAGE/usr/lib/mtty-pkgvm" \
	"$STAGE/root" "$STAGE/etc/systemd/system/multi-user.target.wants"
cp -a "$REPO" "$STAGE/srv/mtty-repo"
echo 'deb [trusted=yes] file:/srv/mtty-repo ./' >"$STAGE/etc/apt/sources.list.d/mtty-local.list"
cp "$DEB" "$STAGE/root/"
printf "VER='%s'\nDEB='/root/%s'\n" "$VER" "${DEB##*/}" >"$STAGE/usr/lib/mtty-pkgvm/env"
install -m 755 "$HERE/vm-steps.sh" "$STAGE/usr/lib/mtty-pkgvm/vm-steps.sh"
install -D -m 644 "$TOP/tests/lib/lib.sh" "$STAGE$MTTY_LIB_IMG"
install -m 644 "$HERE/mtty-pkgvm-test.service" "$STAGE/etc/systemd/system/"
ln -s /etc/systemd/system/mtty-pkgvm-test.service \
	"$STAGE/etc/systemd/system/multi-user.target.wants/mtty-pkgvm-test.service"
PAYLOAD=$OUT/payload.tar
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner -cf "$PAYLOAD" .
rm -rf "$STAGE"
trap 'rm -f "$OUT/payload.tar"' EXIT
log "payload $(du -h "$PAYLOAD" | cut -f1), image $IMG"

# --- 4. boot
boot_sysvm "$OUT" "$VMLINUZ" "$BOOT" "$IMG" "$PAYLOAD" "$TIMEOUT" "$QUIET"
sysvm_tally "pkgvm-$LINE" "$OUT" PKGVM-DONE "$TIMEOUT"
finish
