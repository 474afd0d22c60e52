#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel.sh LINE  -- fetch and unpack one Debian kernel for the VM bed.
#
# LINE is 6.1 (Debian 12's default kernel, linux-image-amd64) or 6.12
# (bookworm's linux-image-6.12-amd64).  The exact version is resolved from
# apt at run time; image (-unsigned), headers (arch + common) and kbuild are
# downloaded into $MTTY_CACHE/debs and unpacked into
# $MTTY_CACHE/kernels/<kver>/ together with an uncompressed vmlinux and an
# "env" file (KVER KDIR VMLINUZ VMLINUX MODDIR ...).  Prints the env path.
# Idempotent; a cached kernel costs one apt-cache lookup.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 6.1|6.12" >&2; exit 2; }
[ $# -eq 1 ] || usage
LINE=$1
case $LINE in
6.1) META=linux-image-amd64 ;;
6.12) META=linux-image-6.12-amd64 ;;
*) usage ;;
esac

APT_UPDATED=
apt_update_once() {
	[ -z "$APT_UPDATED" ] || return 1
	APT_UPDATED=1
	log "refreshing apt lists (apt-get update)"
	apt-get update -qq >&2 || log "warning: apt-get update failed"
}

# Print the dependencies of package $1 matching ERE $2 (first match).
apt_dep() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: //p' | grep -E -m1 "$2" || true
}

# kver of the newest kernel of this line already unpacked in the cache.
cached_kver() {
	local d best=
	for d in "$MTTY_CACHE"/kernels/*/.complete; do
		[ -e "$d" ] || continue
		d=${d%/.complete}
		d=${d##*/}
		case $d in "$LINE".*) ;; *) continue ;; esac # 6.1. never matches 6.12.
		best=$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V | tail -n1)
	done
	printf '%s\n' "$best"
}

# Stamp of the apt lists: resolution results are reused until it changes.
lists_stamp() {
	stat -c '%n %Y %s' /var/lib/apt/lists/*_Packages* 2>/dev/null | sha_stdin
}

resolve_kver() {
	local img memo=$MTTY_CACHE/kernels/.resolved-$LINE stamp
	stamp=$(lists_stamp)
	if [ -f "$memo" ] && [ "$(sed -n 1p "$memo")" = "$stamp" ]; then
		KVER=$(sed -n 2p "$memo")
		KBUILD=$(sed -n 3p "$memo")
		HDR_COMMON=$(sed -n 4p "$memo")
		[ -e "$MTTY_CACHE/kernels/$KVER/.complete" ] && return 0
	fi
	resolve_kver_apt
	stamp=$(lists_stamp)
	KBUILD=$(apt_dep "linux-headers-$KVER" '^linux-kbuild-')
	HDR_COMMON=$(apt_dep "linux-headers-$KVER" '^linux-headers-.*-common')
	if [ -n "$KBUILD" ] && [ -n "$HDR_COMMON" ]; then
		printf '%s\n' "$stamp" "$KVER" "$KBUILD" "$HDR_COMMON" >"$memo.$$"
		mv -f "$memo.$$" "$memo"
	fi
}

resolve_kver_apt() {
	local img
	img=$(apt_dep "$META" '^linux-image-[0-9]')
	if [ -z "$img" ] && apt_update_once; then
		img=$(apt_dep "$META" '^linux-image-[0-9]')
	fi
	if [ -z "$img" ]; then
		KVER=$(cached_kver)
		[ -n "$KVER" ] || die "cannot resolve $META from apt and nothing cached"
		log "warning: apt cannot resolve $META; using cached $KVER"
		return
	fi
	KVER=${img#linux-image-}
	case $LINE in
	6.1) [[ $KVER == 6.1.* ]] || die "$META resolved to unexpected $img" ;;
	6.12) [[ $KVER == 6.12.* ]] || die "$META resolved to unexpected $img" ;;
	esac
}

# Download package $1 into $DEBS unless the candidate version is present.
# Prints the .deb path.
fetch_deb() {
	local pkg=$1 ver f
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	[ -n "$ver" ] || die "apt has no package $pkg"
	ver=${ver//:/%3a}
	for f in "$DEBS/${pkg}_${ver}_"*.deb; do
		[ -s "$f" ] && { printf '%s\n' "$f"; return; }
	done
	log "downloading $pkg $ver"
	(cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg=${ver//%3a/:}" >&2) ||
		die "apt-get download $pkg failed"
	for f in "$DEBS/${pkg}_${ver}_"*.deb; do
		[ -s "$f" ] && { printf '%s\n' "$f"; return; }
	done
	die "downloaded $pkg but cannot find the .deb in $DEBS"
}

# Make sure absolute path $1 resolves to $2 (a dir in our extraction).
# Only creates it when missing (or a dangling symlink); never touches a
# real directory or a working symlink owned by someone else.
ensure_link() {
	local path=$1 target=$2
	if [ -e "$path" ]; then
		return 0 # real dir, or a working link (same package contents)
	fi
	if [ -L "$path" ]; then
		rm -f "$path" # dangling symlink: safe to replace
	fi
	mkdir -p "${path%/*}"
	ln -s "$target" "$path"
	log "linked $path -> $target"
}

# Find the compressed kernel payload inside a bzImage and decompress it to
# an ELF vmlinux.  Tries every xz / zstd / gzip magic position until the
# output starts with the ELF magic.
extract_vmlinux() {
	local in=$1 out=$2 fmt magic off tool
	for fmt in zstd xz gzip; do
		case $fmt in
		zstd) magic='\x28\xb5\x2f\xfd' tool='zstd -dcq' ;;
		xz) magic='\xfd\x37\x7a\x58\x5a\x00' tool='xz -dcq --single-stream' ;;
		gzip) magic='\x1f\x8b\x08' tool='gzip -dcq' ;;
		esac
		command -v "${tool%% *}" >/dev/null || continue
		while read -r off; do
			# Trailing data after the stream makes the tools complain;
			# the ELF check below is what decides success.
			# shellcheck disable=SC2086
			tail -c +$((off + 1)) "$in" | $tool >"$out.tmp" 2>/dev/null || true
			if [ "$(head -c4 "$out.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				mv -f "$out.tmp" "$out"
				return 0
			fi
		done < <(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1)
	done
	rm -f "$out.tmp"
	return 1
}

unpack() {
	local dest=$MTTY_CACHE/kernels/$KVER tmp deb pkgs d
	[ -e "$dest/.complete" ] && return 0

	if [ -z "$KBUILD" ] || [ -z "$HDR_COMMON" ]; then
		die "cannot resolve kbuild/common headers for linux-headers-$KVER"
	fi
	pkgs="linux-image-$KVER-unsigned linux-headers-$KVER $HDR_COMMON $KBUILD"

	tmp=$MTTY_CACHE/kernels/.tmp-$KVER.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for d in $pkgs; do
		deb=$(fetch_deb "$d")
		log "unpacking ${deb##*/}"
		dpkg-deb -x "$deb" "$tmp"
	done
	# Debian image packages do not ship modules.dep (postinst runs depmod).
	depmod -b "$tmp" "$KVER"
	# Stored on the cache tree under the usr-merged paths if present.
	d=$tmp/lib/modules/$KVER
	[ -d "$d" ] || d=$tmp/usr/lib/modules/$KVER
	[ -f "$d/modules.dep" ] || die "depmod did not produce modules.dep"

	log "extracting vmlinux"
	extract_vmlinux "$tmp/boot/vmlinuz-$KVER" "$tmp/vmlinux" ||
		die "cannot extract vmlinux from vmlinuz-$KVER"
	# ELF class 2 (64-bit) at byte 4, e_machine 0x3e (x86-64) at byte 18
	if [ "$(od -An -tx1 -j4 -N1 "$tmp/vmlinux" | tr -d ' ')" != 02 ] ||
		[ "$(od -An -tx1 -j18 -N2 "$tmp/vmlinux" | tr -d ' ')" != 3e00 ]; then
		die "extracted vmlinux is not an x86-64 ELF"
	fi
	rm -rf "$dest"
	mv "$tmp" "$dest"
	touch "$dest/.complete"
}

write_env() {
	local dest=$MTTY_CACHE/kernels/$KVER moddir common kb
	moddir=$dest/lib/modules/$KVER
	[ -d "$moddir" ] || moddir=$dest/usr/lib/modules/$KVER

	# Headers reference these by absolute path (Makefile include and the
	# scripts/tools symlinks resolved from /usr/src).
	common=$(cd "$dest/usr/src" && ls -d linux-headers-*-common)
	ensure_link "/usr/src/$common" "$dest/usr/src/$common"
	for kb in "$dest"/usr/lib/linux-kbuild-*; do
		ensure_link "/usr/lib/${kb##*/}" "$kb"
	done

	cat >"$dest/env.tmp" <<-EOF
		# generated by tests/vm/kernel.sh
		KLINE='$LINE'
		KVER='$KVER'
		KROOT='$dest'
		KDIR='$dest/usr/src/linux-headers-$KVER'
		VMLINUZ='$dest/boot/vmlinuz-$KVER'
		VMLINUX='$dest/vmlinux'
		MODDIR='$moddir'
		KCONFIG='$dest/boot/config-$KVER'
	EOF
	if ! cmp -s "$dest/env.tmp" "$dest/env" 2>/dev/null; then
		mv -f "$dest/env.tmp" "$dest/env"
	else
		rm -f "$dest/env.tmp"
	fi
}

main() {
	need_cmds apt-get apt-cache dpkg-deb depmod flock xz zstd gzip od
	[ -d /var/lib/apt/lists ] && ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 ||
		apt_update_once || true
	DEBS=$MTTY_CACHE/debs
	mkdir -p "$DEBS" "$MTTY_CACHE/kernels"
	resolve_kver
	with_lock "kernel-$KVER" unpack
	with_lock "kernel-$KVER" write_env
	printf '%s\n' "$MTTY_CACHE/kernels/$KVER/env"
}

main
