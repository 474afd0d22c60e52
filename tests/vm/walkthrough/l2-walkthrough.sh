#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# l2-walkthrough.sh -- guest half of `make demo` (scripts/demo.sh): the
# seed's steps 4-7 inside the nested guest, each command printed before its
# output.  Staged as /demo.sh, the script the L2 init (tests/vm/l2init)
# runs with mtty.demo=1, under busybox sh.
PATH=/usr/bin:/bin:/usr/sbin:/sbin
export PATH

# run CMD: print "# CMD", then its output (kept in $OUT).  The guest has no
# module tree (/lib/modules), so lspci -v says "lspci: Unable to load
# libkmod resources: error -2" on stderr: that one line is not shown.
run() {
	printf '# %s\n' "$*"
	OUT=$(sh -c "$*" 2>&1 | grep -v 'Unable to load libkmod resources')
	[ -z "$OUT" ] || printf '%s\n' "$OUT"
}
# expect WHAT REGEX: the last command's output must match REGEX; a
# walk-through that does not show what it claims says so
expect() {
	printf '%s\n' "$OUT" | grep -Eq "$2" || echo "not ok - walkthrough: $1"
}

printf '\n==== 4. In the Linux guest VM, the device appears as follows\n'
run "lspci -s 00:05.0 -xxvv"
expect "lspci shows the card at 00:05.0" '^00:05.0 Serial controller'
run "dmesg | grep -E '00:05.0|ttyS[12]'"
expect "the guest's kernel log shows ttyS1 as a 16550A" 'ttyS1 at I/O 0x[0-9a-f]+ .* is a 16550A'

printf '\n==== 5. In the Linux guest VM, check the serial ports\n'
run "setserial -g /dev/ttyS*"
expect "setserial shows ttyS1 as a 16550A" '^/dev/ttyS1, UART: 16550A'

printf '\n==== 6./7. Open /dev/ttyS1 with a terminal program, type, read it back\n'
run "stty -F /dev/ttyS1 115200 raw -echo -crtscts clocal"
msg="Hello from the guest, looped back by the host's mtty driver"
echo "# (echo '$msg'; sleep 1) | microcom -t 2000 -s 115200 /dev/ttyS1"
out=$( (echo "$msg"; sleep 1) | microcom -t 2000 -s 115200 /dev/ttyS1 2>&1)
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -qF "$msg"; then
	echo "DEMO-LOOPBACK-OK: ttyS1 echoed the typed line"
else
	echo "not ok - walkthrough: ttyS1 did not echo the typed line"
fi
