#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /minicom.sh TTY -- run by /demo.sh (l2-demo.sh) in the nested guest of the
# operator-stack VM test: minicom, driven like a person at a terminal, on
# one port of the mtty card.  minicom runs under script(1) (a pseudo
# terminal, TERM=vt100); the "keyboard" types a line, waits, then quits
# with Ctrl-A X and Enter (the "Leave Minicom? Yes" dialog).  The mtty port
# loops data back, so the typed line must come back: in minicom's capture
# file (-C) and on its screen.
# Results: "ok - L2 minicom ..." / "not ok - L2 minicom ...".  Exit 0 if all
# passed, 1 otherwise.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
t=${1:?usage: minicom.sh TTY}
failed=0
ok() { echo "ok - L2 minicom $*"; }
notok() {
	echo "not ok - L2 minicom $*"
	failed=1
}

if ! command -v minicom >/dev/null || ! command -v script >/dev/null; then
	notok "and script(1) staged in the guest"
	exit 1
fi
# script(1) needs a pseudo terminal
[ -e /dev/pts/ptmx ] || { mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
mkdir -p /run/lock /var/lock /root
export TERM=vt100 HOME=/root
msg="typed into minicom on $t $$"
cap=/tmp/minicom-$t.cap
rm -f "$cap"
stty -F "/dev/$t" 115200 raw -echo -crtscts clocal 2>/dev/null
{
	sleep 3
	printf '%s\r' "$msg"
	sleep 3
	printf '\001x'
	sleep 2
	printf '\r'
	sleep 8
} | timeout 90 script -q -c "minicom -D /dev/$t -b 115200 -o -C $cap" /dev/null \
	>"/tmp/minicom-$t.screen" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "on /dev/$t: started, and left with Ctrl-A X (exit 0)"
else
	notok "on /dev/$t: left with Ctrl-A X (exit $rc$( [ "$rc" -eq 124 ] && echo ': still running after 90 s'))"
	tail -c 400 "/tmp/minicom-$t.screen" | tr -c '[:print:]\n' '.' | sed 's/^/# minicom screen: /'
fi
if grep -qF "$msg" "$cap" 2>/dev/null; then
	ok "on /dev/$t: the typed line came back (capture file)"
else
	notok "on /dev/$t: the typed line came back (capture: $(head -c 200 "$cap" 2>/dev/null | tr -c '[:print:]' '.'))"
fi
if grep -aqF "$msg" "/tmp/minicom-$t.screen"; then
	ok "on /dev/$t: the typed line is on minicom's screen"
else
	notok "on /dev/$t: the typed line is on minicom's screen"
fi
exit "$failed"
