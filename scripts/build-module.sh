#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build-module.sh LINE: build driver/ against the Debian kernel LINE
# (tests/vm/kernel.sh: 6.1, 6.12, trixie, trixie-backports, unstable) into
# build/LINE/driver/mtty.ko, with W=1, failing on any warning.
#
# The bookworm lines (6.1, 6.12) build with this host's compiler; the
# others inside a build root of their own Debian release with the compiler
# the kernel was built with (scripts/build-root.sh, made once and cached).
# Kbuild's "pahole version differs from the one used to build the kernel"
# (7.0 and later) is a note about BTF, not a compiler warning: it is shown
# but does not fail the build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
line=${1:?usage: build-module.sh 6.1|6.12|trixie|trixie-backports|unstable}
envfile=$("$top/tests/vm/kernel.sh" "$line")
# shellcheck source=/dev/null
. "$envfile"
if [ "$line" != "$KLINE" ]; then
	# an alias (deb13, bpo, sid): build/ALIAS -> build/LINE for the callers
	# that look for build/$k/driver/mtty.ko
	mkdir -p "$top/build"
	ln -sfn "$KLINE" "$top/build/$line"
	line=$KLINE
fi

out=$top/build/$line/driver
mkdir -p "$out"
# Kbuild writes next to the sources: build a private copy per kernel.
cp "$top"/driver/* "$top/VERSION" "$out/"
log=$top/build/$line/build.log
run=()
where="with the host's $(cc --version | head -n1)"
if [ -n "${KROOT_SUITE:-}" ]; then
	# made (once) before the build so that its messages stay out of the log
	root=$("$top/scripts/build-root.sh" --for "$envfile") || {
		echo "build-module: no $KROOT_SUITE build root for $KVER (built by $KCC)" >&2
		exit 1
	}
	run=("$top/scripts/build-root.sh" --run "$envfile" "$top/build/$line" --)
	where="in the $KROOT_SUITE root ${root##*/} ($KCC)"
fi
if ! "${run[@]}" make -C "$out" KDIR="$KDIR" W=1 >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: build against $KVER $where failed" >&2
	exit 1
fi
pahole_note='warning: pahole version differs from the one used to build the kernel'
if grep -F -A2 "$pahole_note" "$log" | sed 's/^/build-module: note: /' >&2; then
	echo "build-module: note: (not a compiler warning; BTF is generated only with a pahole at least as new as the kernel's)" >&2
fi
if grep -E 'warning:|error:' "$log" | grep -vF "$pahole_note" >&2; then
	echo "build-module: warnings building against $KVER $where (W=1)" >&2
	exit 1
fi
grep -h '^mtty-btf: ' "$log" >&2 || true
echo "build-module: built against $KVER $where" >&2
echo "$out/mtty.ko"
