#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# apt-suite.sh SUITE APT-COMMAND [ARGS...]
#
# Run apt-get or apt-cache against one Debian suite (trixie,
# trixie-backports, unstable, bookworm-backports, ...) through a private apt
# configuration kept under $MTTY_CACHE/apt/SUITE: its own sources list, lists
# and package cache.  The host's own apt sources are never read or changed.
#
#   apt-suite.sh trixie-backports update
#   apt-suite.sh trixie-backports policy linux-image-amd64
#   apt-suite.sh bookworm-backports download qemu-system-x86
#
# "update" is done once per day automatically before any other command.
# Commands other than update/download/source go to apt-cache.
set -euo pipefail

MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
MIRROR=${MTTY_DEBIAN_MIRROR:-http://deb.debian.org/debian}

suite=${1:?usage: apt-suite.sh SUITE COMMAND [ARGS...]}
cmd=${2:?usage: apt-suite.sh SUITE COMMAND [ARGS...]}
shift 2

case $suite in
*[!a-z0-9-]*) echo "apt-suite: bad suite name '$suite'" >&2; exit 2 ;;
esac

dir=$MTTY_CACHE/apt/$suite
mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc"
# Backports need their base suite too (dependencies on the base release).
base=${suite%-backports}
{
	printf 'deb %s %s main\n' "$MIRROR" "$suite"
	[ "$base" = "$suite" ] || printf 'deb %s %s main\n' "$MIRROR" "$base"
} >"$dir/etc/sources.list.tmp"
if ! cmp -s "$dir/etc/sources.list.tmp" "$dir/etc/sources.list" 2>/dev/null; then
	mv -f "$dir/etc/sources.list.tmp" "$dir/etc/sources.list"
	rm -f "$dir/.updated"
else
	rm -f "$dir/etc/sources.list.tmp"
fi

opts=(
	-o "Dir::Etc::sourcelist=$dir/etc/sources.list"
	-o "Dir::Etc::sourceparts=/nonexistent"
	-o "Dir::State::Lists=$dir/lists"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$dir"
	-o "Dir::Cache::archives=$dir/archives"
	-o "Dir::Cache::pkgcache=$dir/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=$dir/srcpkgcache.bin"
	-o "APT::Sandbox::User=root"
	-o "Acquire::Languages=none"
	-o "APT::Get::List-Cleanup=false"
	-o "Debug::NoLocking=1"
)

update() {
	flock "$dir/.lock" apt-get "${opts[@]}" -q update >&2
	touch "$dir/.updated"
}

# Refresh the lists once a day (the mirror moves; kernels are resolved to
# the newest package at run time).
fresh=$(find "$dir/.updated" -mmin -1440 2>/dev/null || true)
case $cmd in
update)
	update
	exit 0
	;;
*)
	[ -n "$fresh" ] || update || {
		[ -e "$dir/.updated" ] || exit 1
		echo "apt-suite: warning: update of $suite failed; using old lists" >&2
	}
	;;
esac

case $cmd in
download | source)
	exec apt-get "${opts[@]}" -q "$cmd" "$@"
	;;
*)
	exec apt-cache "${opts[@]}" "$cmd" "$@"
	;;
esac
