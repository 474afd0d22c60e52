#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# qemu.sh [10]: print the path of a qemu-system-x86_64 for the VM bed.
#
#   (no argument)  Debian 12's own QEMU 7.2 (installed by scripts/deps.sh)
#   10             QEMU 10.0 from bookworm-backports, extracted (never
#                  installed) into $MTTY_CACHE/qemu/<version>/ with the
#                  SeaBIOS it needs; it runs on Debian 12's own libraries.
#                  Its firmware directory is <root>/usr/share/qemu, which
#                  the printed wrapper passes with -L.  Needed for VFIO
#                  migration v2 (Debian 12's QEMU 7.2 has only v1).
#
# The version is resolved from the suite at run time and cached by version.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

case ${1:-} in
"")
	command -v qemu-system-x86_64 || die "qemu-system-x86_64 missing (apt install qemu-system-x86)"
	exit 0
	;;
10) ;;
*) echo "usage: $0 [10]" >&2; exit 2 ;;
esac

SUITE=bookworm-backports
apt_suite() { "$top/scripts/apt-suite.sh" "$SUITE" "$@"; }

# newest version of $1 in the suite itself (backports are NotAutomatic)
suite_version() {
	apt_suite madison "$1" | awk -F' [|] ' -v s="$SUITE/" '$3 ~ s { print $2; exit }'
}

extract() {
	local dest=$1 ver=$2 bios=$3 tmp p f
	[ -e "$dest/.complete" ] && return 0
	tmp=$dest.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp/debs"
	for p in qemu-system-x86="$ver" qemu-system-common="$ver" \
		qemu-system-data="$ver" seabios="$bios"; do
		(cd "$tmp/debs" && apt_suite download "$p" >&2) ||
			die "apt-get download $p from $SUITE failed"
	done
	for f in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$f" "$tmp/root"
	done
	rm -rf "$tmp/debs"
	# SeaBIOS is a symlink into /usr/share/seabios in qemu-system-data
	for f in "$tmp"/root/usr/share/qemu/*.bin; do
		[ -L "$f" ] || continue
		case $(readlink "$f") in
		/usr/share/seabios/*)
			ln -sf "../seabios/$(basename "$(readlink "$f")")" "$f" ;;
		esac
	done
	cat >"$tmp/qemu-system-x86_64" <<-EOF
		#!/bin/sh
		# QEMU $ver from $SUITE, extracted by tests/vm/qemu.sh
		exec "$dest/root/usr/bin/qemu-system-x86_64" -L "$dest/root/usr/share/qemu" "\$@"
	EOF
	chmod +x "$tmp/qemu-system-x86_64"
	"$tmp/root/usr/bin/qemu-system-x86_64" --version >/dev/null ||
		die "extracted QEMU $ver does not run on this system's libraries"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	touch "$dest/.complete"
}

main() {
	local ver bios dest
	need_cmds dpkg-deb apt-get flock
	ver=$(suite_version qemu-system-x86)
	[ -n "$ver" ] || die "no qemu-system-x86 in $SUITE"
	bios=$(suite_version seabios)
	[ -n "$bios" ] || bios=$(apt-cache policy seabios | sed -n 's/ *Candidate: //p')
	dest=$MTTY_CACHE/qemu/${ver//[:~+]/_}
	mkdir -p "$MTTY_CACHE/qemu"
	with_lock "qemu-$ver" extract "$dest" "$ver" "$bios"
	printf '%s\n' "$dest/qemu-system-x86_64"
}

main
