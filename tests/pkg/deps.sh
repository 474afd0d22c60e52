#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh [--check]: the Debian 12 packages that building and checking the
# mtty-dkms package needs on the build host.  Fast when all are present.
set -euo pipefail

PKGS=(
	dpkg-dev debhelper dh-dkms dkms fakeroot lintian
	python3 python3-yaml man-db groff-base mmdebstrap e2fsprogs
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = --check ]; then
	echo "pkg deps: missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "pkg deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "pkg deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
