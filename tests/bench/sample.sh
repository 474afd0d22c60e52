#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sample.sh LINE -- build the kernel's own samples/vfio-mdev/mtty.c (the
# reference driver the benchmark compares against) for the Debian kernel
# LINE (6.1, 6.12, trixie-backports, ...) and print the path of the module.
#
# Where the source comes from (KSUITE of the line's kernel.sh env file):
#   6.1, 6.12 (bookworm): the host's linux-source-6.12 package
#     (/usr/src/linux-source-6.12.tar.xz, installed by scripts/deps.sh;
#     SAMPLE_TARBALL / SAMPLE_PKG override it).
#   trixie, trixie-backports, unstable: the suite's own linux-source-X.Y
#     for the kernel's upstream version X.Y.Z (linux-source-6.12 in trixie,
#     -7.3 in trixie-backports, -7.2 in unstable), preferably the kernel's
#     exact package version, else the newest of the same upstream version;
#     downloaded with scripts/apt-suite.sh SUITE download (its private apt
#     cache, never the host's apt) into a scratch directory that is removed
#     afterwards.  Built from the 6.12 source, the sample builds for 7.3 but
#     QEMU 10 cannot use it there ("failed to get region 0 info: Invalid
#     argument", tests/bench/steps/60-migbench.sh, 2026-12-01): kernels that
#     new need the sample of their own source.
# Only samples/vfio-mdev/mtty.c is extracted, once per package version,
# into $MTTY_CACHE/sample-src/<package>_<version>/mtty.c; it is built out
# of tree in $MTTY_CACHE/sample-build/bench-<kver>/.  Nothing of it enters
# the repo.
#
# The sample is written for its kernel.  If the plain build fails (the 6.12
# source against 6.1), it is rebuilt with tests/bench/sample-compat.h
# force-included and with the initialisers of ops members the older kernel
# does not have (iommufd binding, migration data size) dropped from the
# build copy.  The build dir records the mode in <build dir>/compat ("none"
# or "6.1-shim") and the origin in <build dir>/source ("<package>
# <version>"; tests/bench/lib.sh's bench_sample_origin prints both for the
# reports); both are printed on stderr.  Kernels newer than Debian 12
# (KROOT_SUITE in their env file: trixie, trixie-backports, unstable) are
# built in the cached build root of their release (scripts/build-root.sh),
# like our module.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
APT_SUITE=$REPO_DIR/scripts/apt-suite.sh

log() { printf 'sample.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 6.1|6.12|trixie|trixie-backports|unstable"
LINE=$1

ENV_FILE=$("$REPO_DIR/tests/vm/kernel.sh" "$LINE")
# shellcheck disable=SC1090
. "$ENV_FILE"
: "${KVER:?}" "${KDIR:?}"
KSUITE=${KSUITE:-bookworm}

mkdir -p "$MTTY_CACHE/locks"
exec 9>"$MTTY_CACHE/locks/bench-sample.lock"
flock 9

scratch=
cleanup() { [ -z "$scratch" ] || rm -rf "$scratch"; }
trap cleanup EXIT

# extract_sample TARBALL OUT: samples/vfio-mdev/mtty.c of a kernel source
# tarball (linux-source-X.Y/...) into OUT.
extract_sample() {
	local tarball=$1 out=$2
	tar -xJOf "$tarball" --wildcards '*/samples/vfio-mdev/mtty.c' >"$out.tmp" ||
		{ rm -f "$out.tmp"; return 1; }
	[ -s "$out.tmp" ] || { rm -f "$out.tmp"; return 1; }
	mv -f "$out.tmp" "$out"
}

# src_path: the cached mtty.c of SRC_PKG SRC_VER
src_path() { printf '%s/sample-src/%s_%s/mtty.c' "$MTTY_CACHE" "$SRC_PKG" "${SRC_VER//:/%3a}"; }

# Sets SRC_PKG, SRC_VER and src (the cached mtty.c) for the bookworm lines:
# the host's linux-source-6.12.
host_source() {
	local tarball=${SAMPLE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
	SRC_PKG=${SAMPLE_PKG:-linux-source-6.12}
	[ -f "$tarball" ] || die "$tarball missing (apt-get install $SRC_PKG; scripts/deps.sh)"
	SRC_VER=$(dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || true)
	[ -n "$SRC_VER" ] || SRC_VER=unknown-$(stat -c %Y "$tarball")
	src=$(src_path)
	[ -s "$src" ] && return 0
	log "extracting samples/vfio-mdev/mtty.c from $tarball ($SRC_PKG $SRC_VER)"
	mkdir -p "${src%/*}"
	extract_sample "$tarball" "$src" ||
		die "no samples/vfio-mdev/mtty.c in $tarball ($SRC_PKG $SRC_VER)"
}

# Sets SRC_PKG, SRC_VER and src for a line of a newer suite: KSUITE's
# linux-source-X.Y of the kernel's upstream version, fetched once per
# package version.
suite_source() {
	local upstream mm v best='' versions deb inner
	# upstream version: of the kernel's package version (7.3.4-1~bpo13+1),
	# else of the ABI name (7.3.4+deb13-amd64)
	if [ -n "${KPKGVER:-}" ]; then
		upstream=${KPKGVER%-*}
	else
		upstream=${KVER%%[+-]*}
	fi
	mm=$(sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' <<<"$upstream")
	[ -n "$mm" ] || die "cannot tell the kernel version of $KVER (package ${KPKGVER:-?})"
	SRC_PKG=linux-source-$mm

	# The kernel's own package version, already extracted: no apt at all.
	if [ -n "${KPKGVER:-}" ]; then
		SRC_VER=$KPKGVER
		src=$(src_path)
		[ -s "$src" ] && return 0
	fi

	versions=$("$APT_SUITE" "$KSUITE" madison "$SRC_PKG" 2>/dev/null |
		awk -F'|' '{ gsub(/ /, "", $2); if ($2 != "") print $2 }' | sort -u) || true
	[ -n "$versions" ] ||
		die "suite $KSUITE has no package $SRC_PKG (for kernel $KVER; scripts/apt-suite.sh $KSUITE madison $SRC_PKG)"
	if [ -n "${KPKGVER:-}" ] && grep -qxF -- "$KPKGVER" <<<"$versions"; then
		best=$KPKGVER
	else
		while read -r v; do
			[ "${v%-*}" = "$upstream" ] || continue
			if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
		done <<<"$versions"
	fi
	[ -n "$best" ] ||
		die "suite $KSUITE has $SRC_PKG only as ${versions//$'\n'/ }, none of upstream version $upstream (kernel $KVER${KPKGVER:+, package $KPKGVER})"
	[ -z "${KPKGVER:-}" ] || [ "$best" = "$KPKGVER" ] ||
		log "$SRC_PKG $KPKGVER is not in $KSUITE; using $best (same upstream $upstream)"
	SRC_VER=$best
	src=$(src_path)
	[ -s "$src" ] && return 0

	mkdir -p "$MTTY_CACHE/sample-src"
	scratch=$(mktemp -d "$MTTY_CACHE/sample-src/.dl-$SRC_PKG.XXXXXX")
	log "downloading $SRC_PKG $SRC_VER ($KSUITE) for samples/vfio-mdev/mtty.c"
	(cd "$scratch" && "$APT_SUITE" "$KSUITE" download "$SRC_PKG=$SRC_VER" >&2) ||
		die "cannot download $SRC_PKG $SRC_VER from suite $KSUITE (scripts/apt-suite.sh $KSUITE download $SRC_PKG=$SRC_VER)"
	deb=$(find "$scratch" -maxdepth 1 -name "${SRC_PKG}_*.deb" | head -n1)
	[ -s "$deb" ] ||
		die "downloaded $SRC_PKG $SRC_VER from suite $KSUITE but no .deb in $scratch"
	inner=./usr/src/$SRC_PKG.tar.xz
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$scratch" "$inner" ||
		die "no ${inner#.} in $SRC_PKG $SRC_VER (suite $KSUITE)"
	rm -f "$deb"
	mkdir -p "${src%/*}"
	extract_sample "$scratch/$inner" "$src" ||
		die "no samples/vfio-mdev/mtty.c in ${inner#.} of $SRC_PKG $SRC_VER (suite $KSUITE)"
	rm -rf "$scratch"
	scratch=
	log "extracted samples/vfio-mdev/mtty.c of $SRC_PKG $SRC_VER into ${src%/*}"
}

if [ "$KSUITE" = bookworm ]; then
	host_source
else
	suite_source
fi
origin="$SRC_PKG $SRC_VER"
log "source: $origin (suite $KSUITE) for $KVER"

bdir=$MTTY_CACHE/sample-build/bench-$KVER
shim=$BENCH_DIR/sample-compat.h
ko=$bdir/mtty.ko
if [ -s "$ko" ] && [ -f "$bdir/compat" ] && [ "$ko" -nt "$src" ] &&
	[ "$ko" -nt "$shim" ] && [ "$ko" -nt "$REPO_DIR/tests/lib/vfio_uapi.h" ] &&
	[ "$ko" -nt "$0" ] && [ "$(cat "$bdir/source" 2>/dev/null)" = "$origin" ]; then
	log "cached $ko (source: $origin, compat: $(cat "$bdir/compat"))"
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
echo "$origin" >"$bdir/source"
log "built $ko (source: $origin, compat: $mode)"
printf '%s\n' "$ko"
