#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel.sh LINE  -- fetch and unpack one Debian kernel for the VM bed and
# the module builds.
#
# LINE (tests/vm/README.md, docs/design.md "Supported kernels"):
#   6.1               Debian 12's default kernel (linux-image-amd64)
#   6.12              bookworm's linux-image-6.12-amd64
#   trixie (deb13)    Debian 13's linux-image-amd64
#   trixie-backports (bpo, deb13-bpo)
#                     the newest linux-image-amd64 in trixie-backports
#   unstable (sid)    unstable's linux-image-amd64
# The 6.1 and 6.12 lines come from the host's apt; the others through
# scripts/apt-suite.sh (a private apt configuration, host sources
# untouched).  The exact version is resolved at run time (the mirror moves);
# the image (-unsigned; from 6.19 the split linux-binary-unsigned/-modules/
# -base packages), headers (arch + common) and kbuild are downloaded into
# $MTTY_CACHE/debs and unpacked into $MTTY_CACHE/kernels/<kver>/ together
# with an uncompressed vmlinux and an "env-LINE" file (KVER KDIR VMLINUZ
# VMLINUX MODDIR KCONFIG KROOT_SUITE KCC ...).  Prints the env path.
# Idempotent; a cached kernel costs one apt-cache lookup (a few for the
# suite lines).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"

LINES='6.1 6.12 trixie trixie-backports unstable'
usage() {
	echo "usage: $0 LINE   (LINE: ${LINES// /|}; aliases deb13, bpo, sid)" >&2
	exit 2
}
[ $# -eq 1 ] || usage
# LINE: canonical name; SUITE: where its packages come from (bookworm: the
# host's own apt); ROOT_SUITE: the Debian release whose userland builds its
# modules (empty: this Debian 12 host; see scripts/build-root.sh).
case $1 in
6.1) LINE=6.1 SUITE=bookworm ROOT_SUITE='' META=linux-image-amd64 ;;
6.12) LINE=6.12 SUITE=bookworm ROOT_SUITE='' META=linux-image-6.12-amd64 ;;
trixie | deb13) LINE=trixie SUITE=trixie ROOT_SUITE=trixie META=linux-image-amd64 ;;
trixie-backports | bpo | deb13-bpo)
	LINE=trixie-backports SUITE=trixie-backports ROOT_SUITE=trixie META=linux-image-amd64 ;;
unstable | sid) LINE=unstable SUITE=unstable ROOT_SUITE=unstable META=linux-image-amd64 ;;
*) usage ;;
esac
APT_SUITE=$REPO_DIR/scripts/apt-suite.sh

APT_UPDATED=
apt_update_once() {
	[ -z "$APT_UPDATED" ] || return 1
	APT_UPDATED=1
	[ "$SUITE" = bookworm ] || return 1 # apt-suite.sh refreshes its own lists
	log "refreshing apt lists (apt-get update)"
	apt-get update -qq >&2 || log "warning: apt-get update failed"
}

# acache ARGS...: apt-cache for this line's suite (the host's apt for the
# bookworm lines, scripts/apt-suite.sh's private configuration otherwise).
acache() {
	if [ "$SUITE" = bookworm ]; then
		apt-cache "$@"
	else
		"$APT_SUITE" "$SUITE" "$@"
	fi
}

# Print the dependencies of package $1 matching ERE $2 (first match).
apt_dep() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: //p' | grep -E -m1 "$2" || true
}

# deps_of PKG[=VER] ERE: the Depends entries of that exact package (one per
# line, alternatives split, "(= version)" kept) that match ERE.
deps_of() {
	acache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1 |
		sed 's/[,|]/\n/g' | sed 's/^ *//; s/ *$//' | grep -E "$2" || true
}

# kver of the newest kernel of this line already unpacked in the cache.
cached_kver() {
	local d best=
	for d in "$MTTY_CACHE"/kernels/*/.complete; do
		[ -e "$d" ] || continue
		d=${d%/.complete}
		if [ ! -e "$d/env-$LINE" ]; then
			# before env-LINE files: bookworm kernels by release prefix
			[ "$SUITE" = bookworm ] || continue
			case ${d##*/} in "$LINE".*) ;; *) continue ;; esac # 6.1. never matches 6.12.
		fi
		d=${d##*/}
		best=$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V | tail -n1)
	done
	printf '%s\n' "$best"
}

# Stamp of the apt lists: resolution results are reused until it changes.
lists_stamp() {
	stat -c '%n %Y %s' /var/lib/apt/lists/*_Packages* 2>/dev/null | sha_stdin
}

# Sets KVER (the ABI, e.g. 7.3.4+deb13-amd64), KPKGVER (the exact package
# version, empty: apt's candidate), KBUILD and HDR_COMMON (package names).
resolve_kver() {
	local memo=$MTTY_CACHE/kernels/.resolved-$LINE stamp
	KPKGVER=
	if [ "$SUITE" != bookworm ]; then
		resolve_kver_suite
		return
	fi
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

# The newest $META of the suite (madison lists every version the suite's
# sources carry, backports included although they are NotAutomatic; a
# backports suite also lists its base release), then the kernel package it
# depends on, pinned to that exact version.
resolve_kver_suite() {
	local v best='' img
	while read -r v; do
		[ -n "$v" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done < <(acache madison "$META" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	img=
	[ -z "$best" ] || img=$(deps_of "$META=$best" '^linux-image-[0-9]' | head -n1)
	if [ -z "$img" ]; then
		KVER=$(cached_kver)
		[ -n "$KVER" ] || die "cannot resolve $META in $SUITE (scripts/apt-suite.sh $SUITE madison $META) and nothing cached"
		log "warning: cannot resolve $META in $SUITE; using cached $KVER"
		KBUILD='' HDR_COMMON=''
		return
	fi
	KVER=${img%% *}
	KVER=${KVER#linux-image-}
	KPKGVER=$(sed -n 's/.*(= \(.*\))$/\1/p' <<<"$img")
	KPKGVER=${KPKGVER:-$best}
	[[ $KVER =~ ^[0-9]+\.[0-9]+\.[0-9]+.*-amd64$ ]] || die "$META $best depends on unexpected $img"
	KBUILD=$(deps_of "linux-headers-$KVER=$KPKGVER" '^linux-kbuild-' | head -n1)
	KBUILD=${KBUILD%% *}
	HDR_COMMON=$(deps_of "linux-headers-$KVER=$KPKGVER" '^linux-headers-.*-common' | head -n1)
	HDR_COMMON=${HDR_COMMON%% *}
}

# Download package $1 (version $2, default: apt's candidate) into $DEBS
# unless it is there.  Prints the .deb path.
fetch_deb() {
	local pkg=$1 ver=${2:-} f dl
	if [ -z "$ver" ]; then
		ver=$(acache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	fi
	[ -n "$ver" ] || die "apt ($SUITE) has no package $pkg"
	ver=${ver//:/%3a}
	for f in "$DEBS/${pkg}_${ver}_"*.deb; do
		[ -s "$f" ] && { printf '%s\n' "$f"; return; }
	done
	log "downloading $pkg $ver ($SUITE)"
	dl=$DEBS/.dl.$$
	rm -rf "$dl"
	mkdir -p "$dl"
	if [ "$SUITE" = bookworm ]; then
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg=${ver//%3a/:}" >&2)
	else
		(cd "$dl" && "$APT_SUITE" "$SUITE" download "$pkg=${ver//%3a/:}" >&2)
	fi || { rm -rf "$dl"; die "apt-get download $pkg ($SUITE) failed"; }
	for f in "$dl/${pkg}_${ver}_"*.deb; do
		[ -s "$f" ] || continue
		mv -f "$f" "$DEBS/"
		rm -rf "$dl"
		printf '%s\n' "$DEBS/${f##*/}"
		return
	done
	rm -rf "$dl"
	die "downloaded $pkg but cannot find the .deb"
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

# The packages of kernel $KVER.  Up to 6.18 Debian ships one image package
# (linux-image-<abi>-unsigned: /boot/vmlinuz, /boot/config, modules); from
# 6.19 on linux-image-<abi> is an empty package depending on
# linux-binary-<abi> (/usr/lib/modules/<abi>/vmlinuz, signed; the
# -unsigned variant: vmlinuz.unsigned), linux-modules-<abi> (the modules,
# xz) and linux-base-<abi> (config, modules.builtin*, modules.order, a
# placeholder System.map).
kernel_pkgs() {
	if acache show --no-all-versions "linux-binary-unsigned-$KVER${KPKGVER:+=$KPKGVER}" >/dev/null 2>&1; then
		printf '%s\n' "linux-binary-unsigned-$KVER" "linux-modules-$KVER" "linux-base-$KVER"
	else
		printf '%s\n' "linux-image-$KVER-unsigned"
	fi
	printf '%s\n' "linux-headers-$KVER" "$HDR_COMMON" "$KBUILD"
}

unpack() {
	local dest=$MTTY_CACHE/kernels/$KVER tmp deb d img
	[ -e "$dest/.complete" ] && return 0

	if [ -z "$KBUILD" ] || [ -z "$HDR_COMMON" ]; then
		die "cannot resolve kbuild/common headers for linux-headers-$KVER"
	fi

	tmp=$MTTY_CACHE/kernels/.tmp-$KVER.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for d in $(kernel_pkgs); do
		deb=$(fetch_deb "$d" "$KPKGVER")
		log "unpacking ${deb##*/}"
		dpkg-deb -x "$deb" "$tmp"
		case $d in linux-headers-"$KVER") dpkg-deb -f "$deb" Version >"$tmp/.pkgver" ;; esac
	done
	# Split packages install under /usr/lib only; depmod -b (kmod 30) looks
	# under BASE/lib/modules.
	[ -e "$tmp/lib" ] || ln -s usr/lib "$tmp/lib"
	# Debian image packages do not ship modules.dep (postinst runs depmod).
	depmod -b "$tmp" "$KVER"
	d=$tmp/usr/lib/modules/$KVER
	[ -f "$d/modules.dep" ] || d=$tmp/lib/modules/$KVER
	[ -f "$d/modules.dep" ] || die "depmod did not produce modules.dep"

	img=$tmp/boot/vmlinuz-$KVER
	[ -e "$img" ] || img=$tmp/usr/lib/modules/$KVER/vmlinuz.unsigned
	[ -e "$img" ] || img=$tmp/usr/lib/modules/$KVER/vmlinuz
	[ -e "$img" ] || die "no kernel image (boot/vmlinuz-$KVER, usr/lib/modules/$KVER/vmlinuz*) in $(kernel_pkgs | head -n1)"
	log "extracting vmlinux"
	extract_vmlinux "$img" "$tmp/vmlinux" ||
		die "cannot extract vmlinux from ${img#"$tmp"}"
	# ELF class 2 (64-bit) at byte 4, e_machine 0x3e (x86-64) at byte 18
	if [ "$(od -An -tx1 -j4 -N1 "$tmp/vmlinux" | tr -d ' ')" != 02 ] ||
		[ "$(od -An -tx1 -j18 -N2 "$tmp/vmlinux" | tr -d ' ')" != 3e00 ]; then
		die "extracted vmlinux is not an x86-64 ELF"
	fi
	rm -rf "$dest"
	mv "$tmp" "$dest"
	touch "$dest/.complete"
}

# kconfig_val FILE SYMBOL: value of CONFIG_SYMBOL in a .config (unquoted).
kconfig_val() {
	sed -n "s/^CONFIG_$2=//p" "$1" | sed 's/^"\(.*\)"$/\1/' | head -n1
}

write_env() {
	local dest=$MTTY_CACHE/kernels/$KVER moddir common kb vmlinuz kconfig env pkgver hdebs kbs
	moddir=$dest/usr/lib/modules/$KVER
	[ -f "$moddir/modules.dep" ] || moddir=$dest/lib/modules/$KVER
	vmlinuz=$dest/boot/vmlinuz-$KVER
	[ -e "$vmlinuz" ] || vmlinuz=$dest/usr/lib/modules/$KVER/vmlinuz.unsigned
	[ -e "$vmlinuz" ] || vmlinuz=$dest/usr/lib/modules/$KVER/vmlinuz
	kconfig=$dest/boot/config-$KVER
	[ -e "$kconfig" ] || kconfig=$dest/usr/lib/modules/$KVER/config

	# Headers reference these by absolute path (Makefile include and the
	# scripts/tools symlinks resolved from /usr/src; from 7.0 the arch
	# Makefile also sets KBUILD_OUTPUT=/usr/src/linux-headers-<kver>).
	# Build roots (scripts/build-root.sh) make the same links in their own
	# view.
	common=$(cd "$dest/usr/src" && ls -d linux-headers-*-common)
	ensure_link "/usr/src/$common" "$dest/usr/src/$common"
	if grep -q '^KBUILD_OUTPUT *= */usr/src/' "$dest/usr/src/linux-headers-$KVER/Makefile"; then
		ensure_link "/usr/src/linux-headers-$KVER" "$dest/usr/src/linux-headers-$KVER"
	fi
	for kb in "$dest"/usr/lib/linux-kbuild-*; do
		ensure_link "/usr/lib/${kb##*/}" "$kb"
	done

	# .pkgver: since the split layout; older caches: the headers .deb
	hdebs=("$DEBS/linux-headers-${KVER}_"*.deb)
	pkgver=$(cat "$dest/.pkgver" 2>/dev/null) ||
		pkgver=$(dpkg-deb -f "${hdebs[-1]}" Version 2>/dev/null) || pkgver=''
	kbs=("$dest"/usr/lib/linux-kbuild-*)
	env=$dest/env-$LINE
	cat >"$env.tmp.$$" <<-EOF
		# generated by tests/vm/kernel.sh
		KLINE='$LINE'
		KSUITE='$SUITE'
		KROOT_SUITE='$ROOT_SUITE'
		KVER='$KVER'
		KPKGVER='$pkgver'
		KROOT='$dest'
		KDIR='$dest/usr/src/linux-headers-$KVER'
		KHDR_COMMON='$dest/usr/src/$common'
		KKBUILD='${kbs[0]}'
		VMLINUZ='$vmlinuz'
		VMLINUX='$dest/vmlinux'
		MODDIR='$moddir'
		KCONFIG='$kconfig'
		KCC='$(kconfig_val "$kconfig" CC_VERSION_TEXT)'
		KPAHOLE='$(kconfig_val "$kconfig" PAHOLE_VERSION)'
	EOF
	if ! cmp -s "$env.tmp.$$" "$env" 2>/dev/null; then
		mv -f "$env.tmp.$$" "$env"
	else
		rm -f "$env.tmp.$$"
	fi
}

main() {
	need_cmds apt-get apt-cache dpkg-deb depmod flock xz zstd gzip od
	if [ "$SUITE" = bookworm ]; then
		[ -d /var/lib/apt/lists ] && ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 ||
			apt_update_once || true
	fi
	DEBS=$MTTY_CACHE/debs
	mkdir -p "$DEBS" "$MTTY_CACHE/kernels"
	resolve_kver
	with_lock "kernel-$KVER" unpack
	with_lock "kernel-$KVER" write_env
	printf '%s\n' "$MTTY_CACHE/kernels/$KVER/env-$LINE"
}

main
