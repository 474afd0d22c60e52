#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sample.sh LINE -- build the kernel's own samples/vfio-mdev/mtty.c (the
# reference driver the benchmark compares against) for the Debian kernel
# LINE (6.1, 6.12, trixie-backports, ...) and print the path of the module.
#
# The source comes from Debian's linux-source-6.12 package
# (/usr/src/linux-source-6.12.tar.xz) and is extracted at bench time into
# $MTTY_CACHE/sample-src/<package version>/mtty.c; it is built out of tree in
# $MTTY_CACHE/sample-build/bench-<kver>/.  Nothing of it enters the repo.
#
# The sample is written for 6.12.  If the plain build fails (6.1), it is
# rebuilt with tests/bench/sample-compat.h force-included and with the
# initialisers of ops members the older kernel does not have (iommufd
# binding, migration data size) dropped from the cached copy.  The mode used
# is written to <build dir>/compat ("none" or "6.1-shim") and printed on
# stderr.  Kernels newer than Debian 12 (KROOT_SUITE in their kernel.sh
# env file: trixie, trixie-backports, unstable) are built in the cached
# build root of their release (scripts/build-root.sh), like our module.
# Built from the 6.12 source, the sample builds for 7.3 (trixie-backports)
# but QEMU 10 cannot use it there ("failed to get region 0 info: Invalid
# argument", tests/bench/steps/60-migbench.sh, 2026-12-01): kernels that
# new need the sample of their own source.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
TARBALL=${SAMPLE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
SRC_PKG=${SAMPLE_PKG:-linux-source-6.12}

log() { printf 'sample.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 6.1|6.12"
LINE=$1

ENV_FILE=$("$REPO_DIR/tests/vm/kernel.sh" "$LINE")
# shellcheck disable=SC1090
. "$ENV_FILE"
: "${KVER:?}" "${KDIR:?}"

[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install $SRC_PKG)"
ver=$(dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || true)
[ -n "$ver" ] || ver=unknown-$(stat -c %Y "$TARBALL")

mkdir -p "$MTTY_CACHE/locks"
exec 9>"$MTTY_CACHE/locks/bench-sample.lock"
flock 9

src_dir=$MTTY_CACHE/sample-src/$ver
src=$src_dir/mtty.c
if [ ! -s "$src" ]; then
	log "extracting samples/vfio-mdev/mtty.c from $TARBALL ($SRC_PKG $ver)"
	mkdir -p "$src_dir"
	top=$(tar -tJf "$TARBALL" 2>/dev/null | head -n1 || true)
	top=${top%%/*}
	[ -n "$top" ] || die "cannot list $TARBALL"
	tar -xJOf "$TARBALL" "$top/samples/vfio-mdev/mtty.c" >"$src.tmp" ||
		die "no samples/vfio-mdev/mtty.c in $TARBALL"
	[ -s "$src.tmp" ] || die "empty samples/vfio-mdev/mtty.c in $TARBALL"
	mv -f "$src.tmp" "$src"
fi

bdir=$MTTY_CACHE/sample-build/bench-$KVER
shim=$BENCH_DIR/sample-compat.h
ko=$bdir/mtty.ko
if [ -s "$ko" ] && [ -f "$bdir/compat" ] && [ "$ko" -nt "$src" ] &&
	[ "$ko" -nt "$shim" ] && [ "$ko" -nt "$REPO_DIR/tests/lib/vfio_uapi.h" ] &&
	[ "$ko" -nt "$0" ]; then
	log "cached $ko (compat: $(cat "$bdir/compat"))"
	printf '%s\n' "$ko"
	exit 0
fi

run=()
if [ -n "${KROOT_SUITE:-}" ]; then
	"$REPO_DIR/scripts/build-root.sh" --for "$ENV_FILE" >/dev/null ||
		die "no $KROOT_SUITE build root for $KVER"
	run=("$REPO_DIR/scripts/build-root.sh" --run "$ENV_FILE" "$bdir" --)
fi

build() {
	rm -rf "$bdir"
	mkdir -p "$bdir"
	cp "$src" "$bdir/mtty.c"
	echo 'obj-m := mtty.o' >"$bdir/Kbuild"
	if [ "$1" = 6.1-shim ]; then
		# Ops members that do not exist before 6.2 / 6.7: drop their
		# initialisers (the sample falls back to the legacy container
		# path and never migrates in the benchmark).
		sed -i -E '/^[[:space:]]*\.(bind_iommufd|unbind_iommufd|attach_ioas|detach_ioas|migration_get_data_size)[[:space:]]*=/d' \
			"$bdir/mtty.c"
		echo "ccflags-y += -include $shim" >>"$bdir/Kbuild"
	fi
	"${run[@]}" make -C "$KDIR" M="$bdir" CONFIG_DEBUG_INFO_BTF_MODULES= modules \
		>"$bdir/build.log" 2>&1
}

mode=none
if ! build none; then
	log "plain build against $KVER failed; retrying with the compat shim"
	mode=6.1-shim
	if ! build "$mode"; then
		grep -E 'error' "$bdir/build.log" | head -n 20 >&2
		die "sample build against $KVER failed (log: $bdir/build.log)"
	fi
fi
[ -s "$ko" ] || die "no $ko after build"
echo "$mode" >"$bdir/compat"
log "built $ko (compat: $mode)"
printf '%s\n' "$ko"
