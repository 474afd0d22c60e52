#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh -- prove the mtty operator stack (systemd, udev, mdevctl, libvirt)
# on a real Debian systemd host booted under QEMU/TCG.
#
#   tests/sysvm/run.sh [--suite bookworm|trixie] --kernel LINE [--ko mtty.ko]
#                      [--timeout S] [-q]
#
# --suite: the Debian release of the host image, bookworm (Debian 12, the
# default; kernel lines 6.1 and 6.12) or trixie (Debian 13; kernel lines
# trixie = 6.12+deb13 and trixie-backports).
# 1. base image: Debian minbase of that release + systemd, udev, kmod,
#    mdevctl, libvirt, QEMU and the modules of both of its kernel lines
#    (mkrootfs.sh, cached, shared);
# 2. the package: "make install DESTDIR=stage" and "make install-driver
#    KVER=<kver> KO=<ko>" into a staging tree, plus the test harness
#    (sysvm-test.sh + its unit) and the nested guest (the kernel's vmlinux,
#    an initramfs with tests/vm/l2init as /init and l2-guest.sh as /demo.sh);
#    the staging tree goes to the VM as a tar on a second disk and the boot
#    initramfs (mkinitrd.sh) unpacks it into the root on the first boot;
# 3. boots the image with -drive ...,snapshot=on (the cached image is never
#    modified; the overlay lives as long as QEMU, across the test's reboots)
#    and collects the results sysvm-test.sh writes to the second serial port.
# Prints ok/not ok lines and "sysvm-<run>: N passed, N failed" (run: the
# line on bookworm, SUITE-LINE otherwise); exit 0 only if everything passed
# and the test reached its end.
# Logs: build/sysvm/<run>/{console,results}.log
set -euo pipefail
# The whole script is one compound command: bash reads it completely before
# running it, so editing this file does not disturb a run in progress.
{

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$REPO_DIR

LINE='' KO='' TIMEOUT=1800 QUIET=''
vm_test_args --ko KO "[--suite bookworm|trixie] --kernel LINE [--ko mtty.ko] [--timeout S] [-q]" "$@"

# the host-side checks are one test case, every phase in the VM (and its
# nested guest) one more (tally_finish in tests/lib/host.sh)
finish() {
	tally_finish "sysvm-$TAG"
	exit
}

: "${KVER:?} ${VMLINUZ:?} ${VMLINUX:?}"

OUT=$TOP/build/sysvm/$TAG
rm -rf "$OUT"
mkdir -p "$OUT"

if [ -z "$KO" ]; then
	KO=$TOP/build/$LINE/driver/mtty.ko
	[ -f "$KO" ] || KO=$("$TOP/scripts/build-module.sh" "$LINE")
fi
[ -f "$KO" ] || die "no module $KO"
make -s -C "$TOP" build/l2init >/dev/null || die "cannot build build/l2init"

IMG=$("$HERE/mkrootfs.sh" --suite "$SUITE" "${ENVS[@]}") || die "base image failed"
[ -f "$IMG" ] || die "base image: mkrootfs.sh printed \"$IMG\", not an image file"
BOOT=$("$HERE/mkinitrd.sh" "$ENV_FILE") || die "boot initramfs failed"

# --- the package, installed the way an operator does it
STAGE=$OUT/stage
umask 022
mkdir -p "$STAGE"
if make -s -C "$TOP" install DESTDIR="$STAGE" >"$OUT/install.log" 2>&1 &&
	make -s -C "$TOP" install-driver DESTDIR="$STAGE" KVER="$KVER" KO="$KO" \
		>>"$OUT/install.log" 2>&1; then
	ok "make install + install-driver KVER=$KVER into DESTDIR"
else
	sed 's/^/# /' "$OUT/install.log"
	notok "make install into DESTDIR"
	finish
fi
# make uninstall must remove everything but the operator's configuration
U=$OUT/uninstall-check
mkdir -p "$U"
make -s -C "$TOP" install install-driver DESTDIR="$U" KVER="$KVER" KO="$KO" >/dev/null 2>&1
make -s -C "$TOP" uninstall DESTDIR="$U" KVER="$KVER" >/dev/null 2>&1
left=$(cd "$U" && find . -type f | sort | tr '\n' ' ')
if [ "$left" = "./etc/modprobe.d/mtty.conf " ]; then
	ok "make uninstall removes all installed files but /etc/modprobe.d/mtty.conf"
else
	notok "make uninstall leaves: $left"
fi
rm -rf "$U"

# --- the test harness and the nested guest
install -D -m 755 "$HERE/sysvm-test.sh" "$STAGE/usr/lib/mtty-sysvm/sysvm-test.sh"
install -D -m 644 "$TOP/tests/lib/lib.sh" "$STAGE$MTTY_LIB_IMG"
install -D -m 644 "$HERE/mtty-sysvm-test.service" \
	"$STAGE/etc/systemd/system/mtty-sysvm-test.service"
mkdir -p "$STAGE/etc/systemd/system/multi-user.target.wants"
ln -s /etc/systemd/system/mtty-sysvm-test.service \
	"$STAGE/etc/systemd/system/multi-user.target.wants/mtty-sysvm-test.service"
L2ROOT=$OUT/l2root
mkdir -p "$L2ROOT" "$STAGE/var/lib/mtty-sysvm/l2"
stage_skeleton "$L2ROOT"
stage_busybox "$L2ROOT"
stage_elf "$L2ROOT" "$(command -v setserial)" /usr/bin/setserial
install -m 755 "$TOP/build/l2init" "$L2ROOT/init"
install -D -m 644 "$TOP/tests/lib/lib.sh" "$L2ROOT$MTTY_LIB_IMG"
# /demo.sh: the script tests/vm/l2init runs with mtty.demo=1
install -m 755 "$HERE/l2-guest.sh" "$L2ROOT/demo.sh"
# minicom, run under script(1) for a terminal (vt100), typed at like a
# person by /minicom.sh (l2-minicom.sh)
command -v minicom >/dev/null || die "minicom missing (scripts/deps.sh installs it)"
stage_elf "$L2ROOT" "$(command -v minicom)" /usr/bin/minicom
stage_elf "$L2ROOT" "$(command -v script)" /usr/bin/script
stage_file "$L2ROOT" "$(readlink -f /lib/terminfo/v/vt100)" /usr/share/terminfo/v/vt100
install -m 755 "$HERE/l2-minicom.sh" "$L2ROOT/minicom.sh"
mk_cpio "$L2ROOT" "$STAGE/var/lib/mtty-sysvm/l2/initrd.cpio"
rm -rf "$L2ROOT"
L2_VMLINUX=$(l2_vmlinux) || die "no L2 kernel (l2_vmlinux)"
[ -f "$L2_VMLINUX" ] || die "no L2 kernel at '$L2_VMLINUX'"
cp "$L2_VMLINUX" "$STAGE/var/lib/mtty-sysvm/l2/vmlinux"
# the image is usr-merged: /lib is a symlink to usr/lib
if [ -d "$STAGE/lib" ]; then
	cp -a "$STAGE/lib/." "$STAGE/usr/lib/"
	rm -rf "${STAGE:?}/lib"
fi
# depmod for the new module, on the host: "depmod -a" in the VM is what an
# operator runs, but under TCG it takes 4-5 minutes (every module of the
# kernel is read); "depmod -b" over the image's module tree gives the same
# index.  The VM then checks it with "depmod -A" and modinfo.
DM=$OUT/depmod
mkdir -p "$DM/lib/modules"
cp -as "$MODDIR" "$DM/lib/modules/$KVER"
rm -rf "$DM/lib/modules/$KVER/updates"
cp -a "$STAGE/usr/lib/modules/$KVER/updates" "$DM/lib/modules/$KVER/"
depmod -b "$DM" "$KVER" || die "depmod -b failed"
for f in "$DM/lib/modules/$KVER"/modules.*; do
	[ -L "$f" ] || cp "$f" "$STAGE/usr/lib/modules/$KVER/"
done
rm -rf "$DM"
PAYLOAD=$OUT/payload.tar
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner -cf "$PAYLOAD" .
log "payload $(du -h "$PAYLOAD" | cut -f1), image $IMG"

# --- boot
boot_sysvm "$OUT" "$VMLINUZ" "$BOOT" "$IMG" "$PAYLOAD" "$TIMEOUT" "$QUIET"
sysvm_tally "sysvm-$LINE" "$OUT" SYSVM-DONE "$TIMEOUT" 'SYSVM-PHASE-[0-9]-DONE'
finish
}
