#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh: boot Debian's kernel under QEMU (TCG) and walk the seed's steps
# 1-8 with our driver: load, sysfs tree, create, nested guest with the mdev
# (lspci, 16550A detection, setserial, a terminal typing on ttyS1 and reading
# it back), destroy.  DEMO_KERNEL=6.1 picks the other kernel.
# DEMO=tty (make demo DEMO=tty, or make demo-tty) shows the second demo
# instead: a device whose port is wired to a host tty (backend tty), found
# in sysfs, a terminal on it in L1 and one on the nested guest's ttyS1,
# a line typed on each side arriving on the other.
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
extra=()
case ${DEMO:-seed} in
seed) step=walkthrough guest=tests/vm/walkthrough/l2-walkthrough.sh ;;
tty)
	step=walkthrough-tty guest=tests/vm/walkthrough/l2-tty.sh
	# the host's terminal: this system's minicom and script(1) in L1
	for p in minicom script; do
		command -v "$p" >/dev/null || {
			echo "demo.sh: $p missing (scripts/deps.sh installs it)" >&2
			exit 1
		}
	done
	extra=(--l1elf "$(command -v minicom)" --l1elf "$(command -v script)"
		--l1file "$(readlink -f /lib/terminfo/v/vt100):/usr/share/terminfo/v/vt100")
	;;
*)
	echo "demo.sh: DEMO=${DEMO} is not a demo (seed or tty)" >&2
	exit 2
	;;
esac
tests/vm/run.sh --kernel "$line" --ko "build/$line/driver/mtty.ko" \
	--steps "$step" --l2init build/l2init \
	--l2file "$guest:demo.sh" \
	--bin build/vfio_client ${extra[@]+"${extra[@]}"} -q 2>&1 | tee "$out" || rc=$?
log=$(sed -n 's/.*log: \(\/[^ ]*console-[^ ]*\.log\).*/\1/p' "$out" | head -n1)
echo
if [ "$step" = walkthrough ]; then
	echo "Demo console (L1; steps 4-7 run in the nested guest):"
else
	echo "Demo console (L1, the host; step 5 runs in the nested guest):"
fi
# The walk-through as a person would see it: the L1 console from step 1 to
# the end of step 8 and, of the nested guest's console, what its script
# printed (steps 4-7); without the harness around them (test-case marks,
# kernel-log dumps, the guest's boot messages and its init's own lines).
# Every "not ok" line stays.
tr -d '\r' <"$log" | awk -v step="$step" '
	/^==== 1\./ { on = 1 }
	!on { next }
	$0 ~ "^# step " step " done" || /^MTTY-L1-DONE/ { exit }
	/^not ok - / { print; next }
	/^# L2\| / {
		sub(/^# L2\| /, "")
		if (/^==== [0-9]/ && !guest) { guest = 1; print "" }
		if (guest) print
		next
	}
	{ guest = 0 }
	/^# (case|dmesg|L2): / || /^ok - (L2 |step )/ { next }
	{ print }'
exit "$rc"
