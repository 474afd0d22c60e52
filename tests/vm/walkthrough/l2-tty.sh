#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# l2-tty.sh -- guest half of `make demo DEMO=tty` (scripts/demo.sh,
# tests/vm/steps/walkthrough-tty.sh): in the nested guest, whose ttyS1 is
# the port of an mtty device with backend tty, a terminal (busybox
# microcom) on /dev/ttyS1 types a line for the host and waits for the
# host's answer.  Staged as /demo.sh, the script the L2 init runs with
# mtty.demo=1; it exits 1 if the host's line does not arrive.  The two
# lines must match those of walkthrough-tty.sh.
PATH=/usr/bin:/bin:/usr/sbin:/sbin
export PATH

GUEST_LINE="Hello host, this is the nested guest typing on its ttyS1"
HOST_LINE="Hello guest, this is the L1 host typing on the port's host tty"

run() {
	printf '# %s\n' "$*"
	OUT=$(sh -c "$*" 2>&1)
	[ -z "$OUT" ] || printf '%s\n' "$OUT"
}

printf '\n==== 5. In the guest: the card, its port, a terminal on /dev/ttyS1\n'
run "dmesg | grep -E 'ttyS1'"
if ! printf '%s\n' "$OUT" | grep -Eq 'ttyS1 at I/O 0x[0-9a-f]+ .* is a 16550A'; then
	echo "not ok - walkthrough-tty: the guest's kernel log shows no ttyS1 16550A"
	exit 1
fi
run "stty -F /dev/ttyS1 115200 raw -echo -crtscts clocal"
# the terminal's keyboard is a FIFO this script types into; its screen a file
mkfifo /tmp/keys
exec 4<>/tmp/keys
echo "# microcom -s 115200 /dev/ttyS1"
microcom -s 115200 /dev/ttyS1 </tmp/keys >/tmp/screen 2>&1 &
mc=$!
echo "# (typed in the guest: \"$GUEST_LINE\")"
printf '%s\n' "$GUEST_LINE" >&4
n=0
until grep -qF "$HOST_LINE" /tmp/screen; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || break
	usleep 200000
done
kill "$mc"
wait "$mc"
exec 4>&-
echo "# the screen of microcom on /dev/ttyS1:"
# the host's Enter is a CR: one line per CR or LF
tr '\r' '\n' </tmp/screen | grep -v '^$'
if grep -qF "$HOST_LINE" /tmp/screen; then
	echo "DEMO-TTY-OK: the host's line arrived on ttyS1"
else
	echo "not ok - walkthrough-tty: the host's line did not arrive on ttyS1 within 120 s"
	exit 1
fi
