#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh: boot Debian's kernel under QEMU (TCG) and walk the seed's steps
# 1-8 with our driver: load, sysfs tree, create, nested guest with the mdev
# (lspci, 16550A detection, setserial, a terminal typing on ttyS1 and reading
# it back), destroy.  DEMO_KERNEL=6.1 picks the other kernel.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
line=${DEMO_KERNEL:-6.12}

envfile=$(tests/vm/kernel.sh "$line")
# shellcheck source=/dev/null
. "$envfile"
echo "demo: booting Debian $KVER under QEMU/TCG with a nested guest (about 2 minutes once cached)..."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
tests/vm/run.sh --kernel "$line" --ko "build/$line/driver/mtty.ko" \
	--steps walkthrough --l2init build/l2init \
	--l2file tests/vm/walkthrough/l2-walkthrough.sh:demo.sh \
	--bin build/vfio_client -q 2>&1 | tee "$out" || rc=$?
log=$(sed -n 's/.*log: \(\/[^ ]*console-[^ ]*\.log\).*/\1/p' "$out" | head -n1)
echo
echo "Demo console (L1, with the nested guest's console as 'L2|'):"
tr -d '\r' <"$log" | sed -n '/^==== 1\./,/MTTY-L1-DONE/p' |
	sed -e 's/^# L2| //' -e '/^# dmesg: /d'
exit "$rc"
