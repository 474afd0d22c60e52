# SPDX-License-Identifier: GPL-2.0-only
# Compat include: the host-side VM helpers live in tests/lib/host.sh, the
# results and kernel-log check in tests/lib/lib.sh (which brings host.sh).
# shellcheck shell=bash
# shellcheck source=../lib/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
