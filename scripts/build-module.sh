#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-module.sh LINE: build driver/ against the Debian kernel LINE (6.1 or
# 6.12) into build/LINE/driver/mtty.ko, with W=1, failing on any warning.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
line=${1:?usage: build-module.sh 6.1|6.12}
envfile=$("$top/tests/vm/kernel.sh" "$line")
# shellcheck source=/dev/null
. "$envfile"

out=$top/build/$line/driver
mkdir -p "$out"
# Kbuild writes next to the sources: build a private copy per kernel.
cp "$top"/driver/* "$top/VERSION" "$out/"
log=$top/build/$line/build.log
if ! make -C "$out" KDIR="$KDIR" W=1 >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: build against $KVER failed" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module: warnings building against $KVER (W=1)" >&2
	exit 1
fi
echo "$out/mtty.ko"
