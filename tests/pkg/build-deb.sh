#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-deb.sh: build build/deb/mtty-dkms_<version>_all.deb with
# dpkg-buildpackage from a copy of the source tree (so debhelper's scratch
# files and the results stay under build/deb/), then run lintian on it
# (report in build/deb/lintian.txt).  Prints the .deb path.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
ver=$(cat VERSION)
out=$top/build/deb
src=$out/mtty-$ver
deb=$out/mtty-dkms_${ver}_all.deb

clog=$(dpkg-parsechangelog -S Version)
if [ "$clog" != "$ver" ]; then
	echo "build-deb: debian/changelog is at $clog but VERSION is $ver" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$src"
# the tree as git sees it (tracked and new files, not ignored ones)
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

log=$out/build.log
if ! (cd "$src" && dpkg-buildpackage -b --no-sign -j2) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
[ -s "$deb" ] || { echo "build-deb: $deb was not produced" >&2; exit 1; }
lintian --info --pedantic "$deb" >"$out/lintian.txt" 2>&1 || true
echo "$deb"
