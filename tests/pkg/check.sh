#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: packaging checks that need no VM.  Builds the .deb (make deb
# logic: tests/pkg/build-deb.sh), then checks its metadata, contents and
# maintainer scripts, lintian, the man pages, the fleet manifests, a real
# DKMS build on this host from the package's /usr/src tree against each
# kernel line's headers (private DKMS trees, nothing installed), the same
# inside build roots against $DKMS_ROOT_KERNELS (trixie-backports,
# unstable), the compiler error for a 7.x kernel with gcc-12, the
# BUILD_EXCLUSIVE_CONFIG skip, and the `make install`/`uninstall` layout.
# Prints ok/not ok lines and "pkg: N passed, N failed".

# shellcheck disable=SC2016 # bash -c '...' scripts expand their own "$1"
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
KERNELS=${KERNELS:-6.1 6.12}
# kernels whose DKMS build runs inside a build root (scripts/build-root.sh)
DKMS_ROOT_KERNELS=${DKMS_ROOT_KERNELS:-trixie-backports unstable}
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$top/tests/lib/lib.sh"
finish() {
	tap_done pkg
	exit
}

tests/pkg/deps.sh || { notok "packaging tools installed (tests/pkg/deps.sh)"; finish; }
ver=$(cat VERSION)
work=$top/build/pkg-check
rm -rf "$work"
mkdir -p "$work"

# ---- the package ----
if ! deb=$(tests/pkg/build-deb.sh); then
	notok "make deb builds mtty-dkms_${ver}_all.deb"
	finish
fi
check "make deb builds mtty-dkms_${ver}_all.deb" \
	test "$deb" = "$top/build/deb/mtty-dkms_${ver}_all.deb" -a -s "$deb"

field() { dpkg-deb -f "$deb" "$1"; }
check "package is mtty-dkms $ver, Architecture all" \
	test "$(field Package) $(field Version) $(field Architecture)" = "mtty-dkms $ver all"
deps=$(field Depends)
echo "# Depends: $deps"
check "Depends on dkms with BUILD_EXCLUSIVE_CONFIG support (>= 3.0.3)" \
	grep -q 'dkms (>= 3.0.3' <<<"$deps"
for d in mdevctl kmod udev; do
	check "Depends on $d" grep -qE "(^|, )$d(,| |$)" <<<"$deps"
done

dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/ctl"
(cd "$work/root" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$work/deb.files"

# the documented layout, with the version filled in
docs=$(cd docs && ls -- *.md)
sed -e '/^#/d' -e "s/@VERSION@/$ver/g" tests/pkg/install-layout.txt |
	while read -r l; do
		case $l in
		*@DOCS@) for d in $docs; do echo "${l%@DOCS@}$d"; done ;;
		*) echo "$l" ;;
		esac
	done | sort >"$work/layout"
for d in fleet.md operator-guide.md troubleshooting.md; do
	check "docs/$d exists (installed to /usr/share/doc/mtty/)" test -s "docs/$d"
done

# deb = documented layout + Debian's doc files, man pages gzipped
{
	sed -E 's|^(/usr/share/man/.*)$|\1.gz|' "$work/layout"
	printf '%s\n' /usr/share/doc/mtty-dkms/changelog.gz /usr/share/doc/mtty-dkms/copyright \
		/usr/share/lintian/overrides/mtty-dkms
} | sort >"$work/deb.expected"
if diff -u "$work/deb.expected" "$work/deb.files" >"$work/deb.diff"; then
	ok "package ships exactly the documented files (+ Debian changelog, copyright, lintian overrides)"
else
	sed 's/^/# /' "$work/deb.diff"
	notok "package ships exactly the documented files (+ Debian changelog, copyright, lintian overrides)"
fi
check "package ships no built module (DKMS builds it)" \
	test -z "$(grep -E '\.ko(\.[gx]z|\.zst)?$' "$work/deb.files")"
check "package ships nothing under /etc/mdevctl.d/mtty (operator definitions)" \
	test -z "$(grep '^/etc/mdevctl.d/mtty/' "$work/deb.files")"
check "conftest.sh is executable in the DKMS tree" \
	test -x "$work/root/usr/src/mtty-$ver/conftest.sh"

conf=$work/root/usr/src/mtty-$ver/dkms.conf
check "dkms.conf: PACKAGE_NAME mtty, PACKAGE_VERSION = VERSION ($ver)" \
	bash -c '. "$1" && [ "$PACKAGE_NAME" = mtty ] && [ "$PACKAGE_VERSION" = "$2" ]' _ "$conf" "$ver"
check "dkms.conf: BUILD_EXCLUSIVE_CONFIG needs CONFIG_VFIO and CONFIG_VFIO_MDEV" \
	bash -c '. "$1" && [[ " $BUILD_EXCLUSIVE_CONFIG " == *" CONFIG_VFIO "* ]] &&
		[[ " $BUILD_EXCLUSIVE_CONFIG " == *" CONFIG_VFIO_MDEV "* ]]' _ "$conf"
check 'dkms.conf: MAKE runs the driver Makefile with KDIR=${kernel_source_dir}' \
	grep -qF 'MAKE[0]="make KDIR=${kernel_source_dir}' "$conf"
check "dkms.conf is generated from dkms.conf.in (no @VAR@ left)" \
	test -z "$(grep '@[A-Z_]*@' "$conf")"
check "the DKMS tree's VERSION feeds MODULE_VERSION ($ver)" \
	test "$(cat "$work/root/usr/src/mtty-$ver/VERSION")" = "$ver"
check "debian/changelog version = VERSION" \
	test "$(dpkg-parsechangelog -S Version)" = "$ver"

# maintainer scripts
check "postinst runs DKMS (dh_dkms snippet)" grep -q 'common.postinst' "$work/ctl/postinst"
check "prerm removes the module from DKMS for all kernels" \
	grep -q 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all' "$work/ctl/prerm"
check "prerm stops mtty.service before DKMS removes the module" \
	awk '/deb-systemd-invoke stop mtty.service/ {s=NR} /dkms remove/ {d=NR} END {exit !(s && d && s < d)}' \
	"$work/ctl/prerm"
check "postrm purge forgets the unit's enablement (deb-systemd-helper purge)" \
	grep -q "deb-systemd-helper purge 'mtty.service'" "$work/ctl/postrm"
check "no maintainer script touches /etc/mdevctl.d (outside comments)" \
	test -z "$(grep -v '^[[:space:]]*#' "$work/ctl"/pre* "$work/ctl"/post* | grep 'mdevctl.d')"
for s in postinst prerm postrm preinst; do
	[ -e "$work/ctl/$s" ] || continue
	check "$s is valid sh (sh -n) and shellcheck-clean" \
		bash -c 'sh -n "$1" && shellcheck -s sh -e SC2086,SC2046,SC2166 "$1"' _ "$work/ctl/$s"
done
check "conffiles: only /etc/modprobe.d/mtty.conf" \
	test "$(sort "$work/ctl/conffiles" | tr '\n' ' ')" = "/etc/modprobe.d/mtty.conf "
check "the mdevctl callout in /etc is a symlink to /usr/lib/mtty/mdevctl-callout (removed by apt remove, not a conffile)" \
	test "$(readlink "$work/root/etc/mdevctl.d/scripts.d/callouts/mtty")" = /usr/lib/mtty/mdevctl-callout -a \
	-x "$work/root/usr/lib/mtty/mdevctl-callout"
check "the mdevctl >= 1.3 callout link /usr/lib/mdevctl/scripts.d/callouts/mtty is relative, to the same script" \
	test "$(readlink "$work/root/usr/lib/mdevctl/scripts.d/callouts/mtty")" = ../../../mtty/mdevctl-callout

# ---- lintian ----
lint=$work/lintian.txt
lintian --pedantic --display-info --show-overrides "$deb" >"$lint" 2>&1
lrc=$?
sed 's/^/# lintian: /' "$lint"
check "lintian ran (exit $lrc)" test "$lrc" -le 2
check "lintian: no error or warning tags" test -z "$(grep -E '^[EW]: ' "$lint")"
check "lintian: every override is explained (comment above it)" \
	awk '/^#/ {c=1; next} /^$/ {c=0; next} {if (!c) bad=1; c=0} END {exit bad}' \
	debian/mtty-dkms.lintian-overrides
check "lintian: only overridden tags and no unexplained info tags" \
	test -z "$(grep -E '^[EWI]: ' "$lint")"

# ---- man pages ----
for m in man/mtty.4 man/mtty.service.8; do
	w=$(groff -man -ww -z -Tutf8 "$m" 2>&1)
	check "$m: groff -ww reports no warnings" test -z "$w"
	out=$(MANWIDTH=80 man -l "$m" 2>&1)
	check "$m: man -l renders NAME and SYNOPSIS" \
		bash -c 'grep -q "^NAME" <<<"$1" && grep -q "^SYNOPSIS" <<<"$1"' _ "$out"
	check "$m: version in .TH is $ver" grep -q "^\.TH .*\"mtty $ver\"" "$m"
	gz=$work/root/usr/share/man/man${m##*.}/${m##*/}.gz
	check "$m: the packaged ${gz##*/} renders with man -l" \
		bash -c 'MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q "^NAME"' _ "$gz"
done
out=$(MANWIDTH=80 man -l man/mtty.4)
for s in max_ports mtty-1 mtty-2 available_instances ENOSPC EEXIST CONFIG_VFIO_MDEV; do
	check "mtty(4) documents $s" grep -q -- "$s" <<<"$out"
done

# ---- fleet manifests ----
if python3 tests/pkg/check_fleet.py >"$work/fleet.txt" 2>&1; then :; fi
while read -r line; do
	case $line in
	"ok - "*) ok "fleet: ${line#ok - }" ;;
	"not ok - "*) notok "fleet: ${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done <"$work/fleet.txt"
check "fleet checks produced results" grep -q '^ok - ' "$work/fleet.txt"

# ---- DKMS on this host, from the package's tree (private trees) ----
dk=$work/dkms
mkdir -p "$dk/src" "$dk/tree" "$dk/inst"
cp -a "$work/root/usr/src/mtty-$ver" "$dk/src/"
D=(dkms --dkmstree "$dk/tree" --sourcetree "$dk/src" --installtree "$dk/inst")
check "dkms add -m mtty -v $ver" "${D[@]}" add -m mtty -v "$ver"
for k in $KERNELS; do
	if ! envf=$(tests/vm/kernel.sh "$k"); then
		notok "kernel $k headers for the DKMS build (tests/vm/kernel.sh)"
		continue
	fi
	KVER=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$envf")
	KDIR=$(sed -n "s/^KDIR='\(.*\)'$/\1/p" "$envf")
	t0=$(date +%s)
	if "${D[@]}" build -m mtty -v "$ver" -k "$KVER" --kernelsourcedir "$KDIR" -j 2 \
		>"$work/dkms-$k.log" 2>&1; then
		ok "dkms build for $KVER ($(($(date +%s) - t0))s)"
	else
		sed 's/^/# /' "$work/dkms-$k.log"
		find "$dk/tree" -name make.log -path "*$KVER*" -exec tail -n 30 {} \; | sed 's/^/# /'
		notok "dkms build for $KVER"
		continue
	fi
	ko=$(find "$dk/tree/mtty/$ver/$KVER" -name 'mtty.ko*' | head -n1)
	check "DKMS-built module is for $KVER" \
		bash -c 'modinfo -F vermagic "$1" | grep -q "^$2 "' _ "$ko" "$KVER"
	check "DKMS-built module's MODULE_VERSION is $ver" \
		test "$(modinfo -F version "$ko")" = "$ver"
done

# ---- DKMS inside build roots, for kernels this host cannot build for ----
# (scripts/build-root.sh: the kernel's own Debian release and compiler; the
# root's own dkms, from the package's /usr/src tree, private trees)
for k in $DKMS_ROOT_KERNELS; do
	if ! envf=$(tests/vm/kernel.sh "$k"); then
		notok "kernel $k headers for the DKMS build (tests/vm/kernel.sh)"
		continue
	fi
	KVER=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$envf")
	KDIR=$(sed -n "s/^KDIR='\(.*\)'$/\1/p" "$envf")
	if ! root=$(scripts/build-root.sh --for "$envf" 2>"$work/root-$k.log"); then
		sed 's/^/# /' "$work/root-$k.log"
		notok "build root for $KVER (scripts/build-root.sh --for)"
		continue
	fi
	rt=$work/dkms-root-$k
	mkdir -p "$rt/tree" "$rt/inst"
	R=(scripts/build-root.sh --run "$envf" "$work" --
		dkms --dkmstree "$rt/tree" --sourcetree "$dk/src" --installtree "$rt/inst")
	t0=$(date +%s)
	if "${R[@]}" add -m mtty -v "$ver" >"$work/dkms-root-$k.log" 2>&1 &&
		"${R[@]}" build -m mtty -v "$ver" -k "$KVER" --kernelsourcedir "$KDIR" -j 2 \
			>>"$work/dkms-root-$k.log" 2>&1; then
		ok "dkms build for $KVER in the ${root##*/} root ($(($(date +%s) - t0))s, $(sed -n 's/^dkms //p' "$root/.mtty-root"))"
	else
		sed 's/^/# /' "$work/dkms-root-$k.log"
		find "$rt/tree" -name make.log -path "*$KVER*" -exec tail -n 30 {} \; | sed 's/^/# /'
		notok "dkms build for $KVER in the ${root##*/} root"
		continue
	fi
	ko=$(find "$rt/tree/mtty/$ver/$KVER" -name 'mtty.ko*' | head -n1)
	check "DKMS-built module (root) is for $KVER" \
		bash -c 'modinfo -F vermagic "$1" | grep -q "^$2 "' _ "$ko" "$KVER"
	check "DKMS-built module's (root) MODULE_VERSION is $ver" \
		test "$(modinfo -F version "$ko")" = "$ver"
done

# ---- a 7.x kernel with this host's gcc-12: a clear compiler error ----
if envf=$(tests/vm/kernel.sh trixie-backports); then
	KVER=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$envf")
	KDIR=$(sed -n "s/^KDIR='\(.*\)'$/\1/p" "$envf")
	KCC=$(sed -n "s/^KCC='\(.*\)'$/\1/p" "$envf")
	echo "# building for $KVER (built by $KCC) with gcc-12"
	cc12=$work/cc12
	cp -a "$work/root/usr/src/mtty-$ver" "$cc12"
	make -C "$cc12" KDIR="$KDIR" CC=gcc-12 >"$work/cc12.log" 2>&1
	rc=$?
	sed 's/^/# /' "$work/cc12.log"
	check "gcc-12 against $KVER: the build fails" test "$rc" -ne 0
	want=(
		"conftest: cannot build a trivial module for $KVER with this compiler and kbuild."
		"conftest:   the kernel was built with: $KCC"
		"conftest:   the compiler tried:        gcc-12 = $(gcc-12 --version | head -n1)"
		"conftest: build it with gcc-14 (Debian package gcc-14) on a system of the kernel's release (its kbuild tools need that release's glibc);"
		"conftest: from the mtty source tree: build in a Debian root: scripts/build-root.sh trixie (scripts/build-module.sh LINE does it)."
	)
	[[ $KCC == *gcc-14* ]] || want[3]=${want[3]//gcc-14/${KCC%% *}}
	check "... and says so: the kernel's compiler, the one tried, the package and the build root" \
		bash -c 'for l in "${@:2}"; do grep -qxF -- "$l" "$1" || { echo "# missing: $l"; exit 1; }; done' \
		_ "$work/cc12.log" "${want[@]}"
	check "... not a missing mdev API" bash -c '! grep -q "lacks mdev_register_parent" "$1"' _ "$work/cc12.log"
else
	notok "kernel trixie-backports headers (tests/vm/kernel.sh) for the gcc-12 check"
fi

# a kernel without VFIO mdev support: DKMS skips it with status 77 and says why
fk=$work/fake-kernel
mkdir -p "$fk"
printf 'CONFIG_VFIO=m\n# CONFIG_VFIO_MDEV is not set\nCONFIG_MODULES=y\n' >"$fk/.config"
printf 'all:\n' >"$fk/Makefile"
"${D[@]}" install -m mtty -v "$ver" -k 6.99.0-novfio --kernelsourcedir "$fk" \
	>"$work/dkms-novfio.log" 2>&1
rc=$?
sed 's/^/# /' "$work/dkms-novfio.log"
check "dkms install on a kernel without CONFIG_VFIO_MDEV exits 77 (skip, not failure)" \
	test "$rc" -eq 77
check "... and says it is the BUILD_EXCLUSIVE directive" \
	grep -q 'BUILD_EXCLUSIVE' "$work/dkms-novfio.log"
check "... and builds nothing for it" \
	test -z "$(find "$dk/tree/mtty/$ver" -path '*6.99.0-novfio*' -name '*.ko*')"

# ---- make install / uninstall layout ----
inst=$work/install
if make -s install DESTDIR="$inst" >"$work/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	sed 's/^/# /' "$work/install.log"
	notok "make install DESTDIR=... succeeds"
fi
(cd "$inst" 2>/dev/null && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$work/install.files"
if diff -u "$work/layout" "$work/install.files" >"$work/install.diff"; then
	ok "make install lays out exactly tests/pkg/install-layout.txt"
else
	sed 's/^/# /' "$work/install.diff"
	notok "make install lays out exactly tests/pkg/install-layout.txt"
fi
check "installed dkms.conf = packaged dkms.conf" \
	cmp -s "$inst/usr/src/mtty-$ver/dkms.conf" "$conf"
make -s uninstall DESTDIR="$inst" >>"$work/install.log" 2>&1
left=$(cd "$inst" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort | tr '\n' ' ')
check "make uninstall leaves only the operator's /etc/modprobe.d/mtty.conf (left: $left)" \
	test "$left" = "/etc/modprobe.d/mtty.conf "
pfx=$work/install-local
make -s install DESTDIR="$pfx" PREFIX=/usr/local >>"$work/install.log" 2>&1
check "PREFIX=/usr/local moves sources, docs, man pages and XML under /usr/local" \
	test -e "$pfx/usr/local/src/mtty-$ver/dkms.conf" -a \
	-e "$pfx/usr/local/share/man/man4/mtty.4" -a \
	-e "$pfx/usr/local/share/doc/mtty/fleet.md" -a \
	-e "$pfx/usr/local/share/mtty/libvirt-xml/hostdev.xml.in"

finish
