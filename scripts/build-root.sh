#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-root.sh: minimal Debian build roots for kernels this Debian 12 host
# cannot build modules for.  Kernels from trixie on are built with gcc-14 or
# newer and their kbuild tools (modpost, objtool, resolve_btfids, ...) need
# glibc >= 2.38, so their modules are built in a root of their own release,
# made once with mmdebstrap and cached.
#
#   build-root.sh SUITE [PACKAGE...]
#       make (or reuse) a root of SUITE (trixie, unstable, ...) with the
#       base build packages plus PACKAGEs; print its path
#   build-root.sh --for KERNEL_ENV
#       the root for a kernel of tests/vm/kernel.sh (KROOT_SUITE of its env
#       file) with the compiler the kernel was built with, read from
#       CONFIG_CC_VERSION_TEXT (e.g. gcc-14, gcc-16); print its path
#   build-root.sh --run KERNEL_ENV DIR -- COMMAND [ARG...]
#       run COMMAND as root inside that root, in DIR, in a private mount
#       namespace: the root is a writable overlay thrown away afterwards,
#       DIR and the kernel's cache directory are bind-mounted at their own
#       paths; /usr/src/linux-headers-<kver>{,-common},
#       /usr/lib/linux-kbuild-* and /usr/lib/modules/<kver>/build point
#       into the kernel's tree
#
# Roots live in $MTTY_CACHE/roots/<suite>-<key> (key: a hash of the suite,
# mirror and package list), are built under a lock into a temporary
# directory and renamed into place, and are never modified afterwards.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib.sh
. "$top/tests/vm/lib.sh"

MIRROR=${MTTY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What a module build needs (the compiler is added per kernel); dkms for
# the packaging test (tests/pkg/check.sh), with its own dependencies.
BASE_PKGS=(make binutils libc6-dev bc bison flex libelf-dev dwarves kmod xz-utils dkms)
# Bump when the way roots are made changes (part of the cache key).
ROOT_FORMAT=1

usage() {
	sed -n '/^#   build-root.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# env_get FILE VAR: value of VAR in a kernel.sh env file.
env_get() {
	sed -n "s/^$2='\(.*\)'\$/\1/p" "$1"
}

# cc_pkg "CONFIG_CC_VERSION_TEXT": the Debian package of that compiler.
# "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0" -> gcc-14,
# "gcc-12 (Debian 12.2.0-14) 12.2.0" -> gcc-12,
# "Debian clang version 19.1.7 (3)" -> clang-19.
cc_pkg() {
	local text=$1 w ver
	w=${text%% *}
	w=${w##*-linux-gnu-}
	case $w in
	gcc-[0-9]* | clang-[0-9]*) printf '%s\n' "$w" ;;
	gcc)
		ver=$(sed -n 's/.* \([0-9][0-9]*\)\.[0-9.]*$/\1/p' <<<"$text")
		[ -n "$ver" ] || return 1
		printf 'gcc-%s\n' "$ver"
		;;
	*)
		ver=$(sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' <<<"$text")
		[ -n "$ver" ] || return 1
		printf 'clang-%s\n' "$ver"
		;;
	esac
}

# make_root SUITE PKG...: build the root if missing (caller holds the lock).
make_root() {
	local suite=$1 dir=$2 tmp logf t0 o v aptopts
	shift 2
	[ -e "$dir/.mtty-root" ] && return 0
	need_cmds mmdebstrap apt-config
	# mmdebstrap ignores the host's apt.conf.d; pass on its policy on
	# Release file dates (apt-suite.sh, which resolves the kernels, reads
	# it), e.g. Acquire::Check-Valid-Until "false" for a mirror snapshot
	# whose unstable Release is past its Valid-Until.
	aptopts=()
	for o in Acquire::Check-Valid-Until Acquire::Check-Date; do
		v=$(apt-config dump "$o" | sed -n "s/^$o \"\(.*\)\";\$/\1/p")
		[ -z "$v" ] || aptopts+=("--aptopt=$o \"$v\"")
	done
	# fail fast, naming the package, if the suite lacks one (e.g. a compiler
	# that has not reached it yet)
	for o in "$@"; do
		"$top/scripts/apt-suite.sh" "$suite" show --no-all-versions "$o" >/dev/null 2>&1 ||
			die "cannot make a $suite build root: package $o is not installable from $suite (scripts/apt-suite.sh $suite policy $o)"
	done
	tmp=$MTTY_CACHE/roots/.tmp-${dir##*/}.$$
	logf=$MTTY_CACHE/roots/${dir##*/}.log
	rm -rf "$tmp"
	log "making a $suite build root with: $* (mmdebstrap, ~1 min; log: $logf)"
	t0=$(date +%s)
	if ! mmdebstrap --variant=apt --mode=root --format=directory \
		--include="$(
			IFS=,
			echo "$*"
		)" \
		--aptopt='Acquire::Languages "none"' "${aptopts[@]}" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		"$suite" "$tmp" "deb $MIRROR $suite main" >"$logf" 2>&1; then
		rm -rf "$tmp"
		grep -E '^(E:|W:|I: |  )|unmet|Depends|not installable|Unable' "$logf" | tail -n 25 >&2 || tail -n 25 "$logf" >&2
		die "cannot make a $suite build root with: $* (mmdebstrap failed; full log: $logf)"
	fi
	{
		printf 'suite %s\nmirror %s\npackages %s\n' "$suite" "$MIRROR" "$*"
		# shellcheck disable=SC2016 # dpkg-query format
		chroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' "$@" 2>/dev/null || true
	} >"$tmp/.mtty-root"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	log "made $dir in $(($(date +%s) - t0))s"
}

# root_for SUITE PKG...: print the root's path, building it once.
root_for() {
	local suite=$1 key dir
	shift
	case $suite in
	'' | *[!a-z0-9-]*) die "bad suite name '$suite'" ;;
	esac
	key=$(printf '%s\n' "$ROOT_FORMAT" "$suite" "$MIRROR" "$@" | LC_ALL=C sort | sha_stdin | cut -c1-12)
	dir=$MTTY_CACHE/roots/$suite-$key
	mkdir -p "$MTTY_CACHE/roots"
	if [ ! -e "$dir/.mtty-root" ]; then
		with_lock "root-$suite-$key" make_root "$suite" "$dir" "$@"
	fi
	printf '%s\n' "$dir"
}

# root_for_env ENV: the root for the kernel of a kernel.sh env file.
root_for_env() {
	local envf=$1 suite cc pkg
	[ -f "$envf" ] || die "no kernel env file $envf (tests/vm/kernel.sh LINE prints one)"
	suite=$(env_get "$envf" KROOT_SUITE)
	[ -n "$suite" ] || die "kernel $(env_get "$envf" KVER) builds on this host (no KROOT_SUITE)"
	cc=$(env_get "$envf" KCC)
	pkg=$(cc_pkg "$cc") || die "cannot tell the Debian compiler package from CONFIG_CC_VERSION_TEXT '$cc'"
	root_for "$suite" "${BASE_PKGS[@]}" "$pkg"
}

# The part that runs inside the private mount namespace (unshare -m).
run_inner() {
	local ns=$1 root=$2 envf=$3 dir=$4 kroot p
	shift 4
	kroot=$(env_get "$envf" KROOT)
	mount -t tmpfs -o mode=755 mtty-root "$ns"
	mkdir "$ns/upper" "$ns/work" "$ns/root"
	mount -t overlay overlay \
		-o "lowerdir=$root,upperdir=$ns/upper,workdir=$ns/work" "$ns/root"
	root=$ns/root
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mkdir -p "$root$kroot" "$root$dir"
	mount --bind "$kroot" "$root$kroot"
	mount -o remount,bind,ro "$root$kroot"
	mount --bind "$dir" "$root$dir"
	# absolute paths the headers use, as kernel.sh links them on the host
	p=$(env_get "$envf" KHDR_COMMON)
	ln -sfn "$p" "$root/usr/src/${p##*/}"
	p=$(env_get "$envf" KKBUILD)
	ln -sfn "$p" "$root/usr/lib/${p##*/}"
	p=$(env_get "$envf" KDIR)
	ln -sfn "$p" "$root/usr/src/${p##*/}"
	mkdir -p "$root/usr/lib/modules/${p##*/linux-headers-}"
	ln -sfn "$p" "$root/usr/lib/modules/${p##*/linux-headers-}/build"
	# shellcheck disable=SC2016 # the inner bash expands them
	exec chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb \
		/bin/bash -c 'cd "$1" && shift && exec "$@"' build-root "$dir" "$@"
}

run() {
	local envf=$1 dir=$2 root ns rc
	shift 2
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || usage
	[ "$(id -u)" -eq 0 ] || die "--run needs root (mount namespace, chroot)"
	need_cmds unshare chroot mount
	dir=$(cd "$dir" && pwd -P)
	root=$(root_for_env "$envf")
	# the namespace's tmpfs (overlay upper layer and mount point) is mounted
	# here; only this empty directory is left on the host, removed after
	ns=$(mktemp -d "${TMPDIR:-/tmp}/mtty-root.XXXXXX")
	rc=0
	unshare -m --propagation private "$0" --run-inner "$ns" "$root" "$envf" "$dir" "$@" || rc=$?
	rmdir "$ns" 2>/dev/null || true
	return "$rc"
}

[ $# -ge 1 ] || usage
case $1 in
--for)
	[ $# -eq 2 ] || usage
	root_for_env "$2"
	;;
--run)
	[ $# -ge 4 ] || usage
	shift
	run "$@"
	;;
--run-inner)
	shift
	run_inner "$@"
	;;
-*) usage ;;
*)
	suite=$1
	shift
	root_for "$suite" "${BASE_PKGS[@]}" "$@"
	;;
esac
