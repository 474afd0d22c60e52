#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh [--check]: the Debian 12 packages that building and checking the
# mtty-dkms package needs on the build host.  Fast when all are present.
set -euo pipefail

exec "$(dirname "$0")/../../scripts/deps.sh" "$@" \
	dpkg-dev debhelper dh-dkms dkms fakeroot lintian \
	python3 python3-yaml man-db groff-base mmdebstrap e2fsprogs
