#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh [--check] [PACKAGE...]: install the Debian 12 packages mtty's
# build, tests and demo need (or the PACKAGEs given).  Fast when everything
# is present (one dpkg-query per package).
set -euo pipefail

PKGS=(
	make gcc libc6-dev bc bison flex libelf-dev dwarves kmod file
	cpio busybox-static xz-utils zstd
	qemu-system-x86 qemu-utils
	pciutils setserial minicom gnuplot-nox
	shellcheck clang libclang-rt-14-dev
	mmdebstrap e2fsprogs libvirt0 libxml2-utils
	linux-source-6.12
	python3 python3-yaml python3-nova python3-oslo.config python3-libvirt nodejs
	ansible-core ansible-lint openssh-client
)
# npm for the fleet checks (tests/fleet): Debian's package, unless an npm
# came with another nodejs (NodeSource's nodejs ships npm and conflicts
# with Debian's npm package)
command -v npm >/dev/null || PKGS+=(npm)

check_only=
if [ "${1:-}" = --check ]; then
	check_only=1
	shift
fi
[ $# -eq 0 ] || PKGS=("$@")

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ -n "$check_only" ]; then
	echo "missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
