#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkrootfs.sh -- build (or reuse) the Debian base root filesystem image of
# the mtty operator-stack VM test (tests/sysvm).
#
#   mkrootfs.sh [--suite bookworm|trixie] [ENV_FILE...]
#        (env files printed by tests/vm/kernel.sh, by default those of the
#        suite's kernel lines, suite_lines in tests/lib/host.sh; suite: the
#        Debian release of the image, bookworm = Debian 12 by default,
#        trixie = Debian 13)
#
# The image is an ext4 file made with "mkfs.ext4 -d" (no loop devices) from
# an mmdebstrap --variant=minbase tree with systemd, udev, kmod, mdevctl,
# libvirt, QEMU and minicom (the host end of a tty-backend port), plus
# /usr/lib/modules/<kver> of every given kernel.  It
# contains nothing of mtty: the package is installed into a throw-away
# overlay of it on each run (see run.sh).  Cached as
# $MTTY_CACHE/sysvm/rootfs-<suite>-<key>.ext4, key = hash of the suite, the
# package list, this script and the kernel versions.  Prints the image path.
# The same package names on both releases, without recommends: on trixie
# libvirt-daemon-system itself depends on the QEMU and node-device drivers
# (libvirt-daemon-driver-qemu, -nodedev, ...), on bookworm libvirt-daemon
# contains them.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"

SUITE=bookworm
if [ "${1:-}" = --suite ]; then
	SUITE=${2:-}
	shift 2 || true
fi
case $SUITE in
bookworm | trixie) ;;
*) die "mkrootfs.sh: unknown suite '$SUITE' (bookworm or trixie)" ;;
esac
PKGS="systemd systemd-sysv udev kmod dbus mdevctl libvirt-daemon-system minicom
	libvirt-clients qemu-system-x86 libxml2-utils procps"
MIRRORS=(
	"deb http://deb.debian.org/debian $SUITE main"
	"deb http://deb.debian.org/debian $SUITE-updates main"
	"deb http://deb.debian.org/debian-security $SUITE-security main"
)

if [ $# -eq 0 ]; then
	lines=$(suite_lines "$SUITE") || exit 1
	for l in $lines; do
		envf=$("$VM_DIR/kernel.sh" "$l") || die "kernel $l (tests/vm/kernel.sh)"
		set -- "$@" "$envf"
	done
fi
KVERS=() MODDIRS=()
# env_get FILE VAR: value of VAR in a kernel.sh env file.
env_get() { sed -n "s/^$2='\\(.*\\)'\$/\\1/p" "$1"; }
for envf in "$@"; do
	KVERS+=("$(env_get "$envf" KVER)")
	MODDIRS+=("$(env_get "$envf" MODDIR)")
	if [ -z "${KVERS[-1]}" ] || [ ! -d "${MODDIRS[-1]}" ]; then die "bad env file $envf"; fi
done

OUTDIR=$MTTY_CACHE/sysvm
mkdir -p "$OUTDIR"
# shellcheck disable=SC2086
KEY=$( { echo "$SUITE" $PKGS; printf '%s\n' "${MIRRORS[@]}" "${KVERS[@]}"; sha256sum <"$0"; } |
	sha_stdin | cut -c1-16)
IMG=$OUTDIR/rootfs-$SUITE-$KEY.ext4

build() {
	local tree i kv md size pkgs
	[ -s "$IMG" ] && return 0
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing (apt-get install mmdebstrap)"
	tree=$OUTDIR/.tree-$KEY.$$
	rm -rf "$tree"
	# shellcheck disable=SC2086 # split the list
	pkgs=$(echo $PKGS | tr ' ' ',')
	log "mmdebstrap $SUITE minbase + $pkgs (a few minutes)"
	mmdebstrap --variant=minbase --mode=root --format=directory \
		--aptopt='APT::Install-Recommends "false"' \
		--include="$pkgs" "$SUITE" "$tree" "${MIRRORS[@]}" >&2
	# kernel modules of every kernel line the test boots
	for i in "${!KVERS[@]}"; do
		kv=${KVERS[$i]} md=${MODDIRS[$i]}
		log "adding modules of $kv"
		mkdir -p "$tree/usr/lib/modules"
		cp -a "$md" "$tree/usr/lib/modules/$kv"
	done
	# a bootable, quiet, test-friendly system
	echo mtty-sysvm >"$tree/etc/hostname"
	printf '127.0.1.1\tmtty-sysvm\n' >>"$tree/etc/hosts"
	printf '/dev/vda\t/\text4\tdefaults\t0\t1\n' >"$tree/etc/fstab"
	chroot "$tree" passwd -d root >/dev/null
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
		e2scrub_reap.service fstrim.timer dpkg-db-backup.timer; do
		ln -sfn /dev/null "$tree/etc/systemd/system/$u"
	done
	rm -f "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*_Packages
	size=$(du -sm "$tree" | cut -f1)
	size=$((size + size / 4 + 1536))
	log "mkfs.ext4 -d (${size} MiB)"
	rm -f "$IMG.tmp"
	# stdout is the image path: mkfs.ext4 says "Creating regular file"
	# there even with -q when the file is new
	mkfs.ext4 -q -F -L mtty-sysvm -d "$tree" "$IMG.tmp" "${size}M" >&2
	rm -rf "$tree"
	mv -f "$IMG.tmp" "$IMG"
	log "built $IMG"
}

with_lock "sysvm-rootfs-$SUITE" build
# drop images of other keys unused for a week
find "$OUTDIR" -maxdepth 1 -name 'rootfs-*.ext4' -mtime +7 ! -name "${IMG##*/}" -delete 2>/dev/null || true
touch "$IMG"
printf '%s\n' "$IMG"
