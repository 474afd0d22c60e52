#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /minicom.sh TTY -- run by /demo.sh (l2-guest.sh) in the nested guest of the
# operator-stack VM test: minicom, driven like a person at a terminal, on
# one port of the mtty card.
# /minicom.sh --peer TTY -- the same on a port whose backend is "tty": the
# other end is a minicom on the host (tests/sysvm/sysvm-test.sh), so nothing
# comes back; the person types a line for the host, then waits for the
# host's line ("host minicom says HEX over") and for the host to leave (the
# host's close drops DCD, seen in /proc/tty/driver/serial), then quits.
# Markers on the console (the host reads them): "MTTY-L2-TTY-UP tty=T
# line=LINE" (minicom is up, LINE is what is typed), "MTTY-L2-TTY-GOT-HOST
# line=LINE" (what arrived from the host, from the capture file),
# "MTTY-L2-TTY-HOST-LEFT dcd=0|1 ..." (DCD after the host left).  minicom runs under script(1) (a pseudo
# terminal, TERM=vt100); the "keyboard" watches the screen like a person:
# waits for the welcome, types a line, waits for it to come back, then
# quits with Ctrl-A X and Enter (the "Leave Minicom? Yes" dialog).  The mtty port
# loops data back, so the typed line must come back: in minicom's capture
# file (-C) and on its screen.
# Results: "ok - L2 minicom ..." / "not ok - L2 minicom ...".  Exit 0 if all
# passed, 1 otherwise.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
peer=''
if [ "${1:-}" = --peer ]; then
	peer=1
	shift
fi
t=${1:?usage: minicom.sh [--peer] TTY}
failed=0
# wait_text (its own ok/notok below)
# shellcheck source=../lib/lib.sh disable=SC1091
. /usr/lib/mtty-tests/lib.sh
# the console, for the markers of --peer (stdout of the keyboard is minicom)
exec 3>&1
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
# minicom refuses a user without a passwd entry ("You don't exist. Go
# away."): the guest's initramfs has no /etc/passwd
[ -s /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
[ -s /etc/group ] || echo 'root:x:0:' >/etc/group
export TERM=vt100 HOME=/root
# minicom's defaults switch hardware flow control on, and the mtty UART
# does not raise CTS: the settings a person saves once with "minicom -s"
# (Serial port setup: F - Hardware Flow Control: No) go to ~/.minirc.dfl
printf 'pu rtscts           No\npu xonxoff          No\n' >"$HOME/.minirc.dfl"
if [ -n "$peer" ]; then
	msg="guest minicom on $t says $$-$(cut -d' ' -f1 /proc/uptime)"
else
	msg="typed into minicom on $t $$"
fi
cap=/tmp/minicom-$t.cap
screen=/tmp/minicom-$t.screen
rm -f "$cap" "$screen"
stty -F "/dev/$t" 115200 raw -echo -crtscts clocal 2>/dev/null

# the keyboard: wait for minicom's welcome, type a line, wait for it to
# come back, Ctrl-A X, Enter ("Leave Minicom?" Yes)
keyboard() {
	wait_text "$screen" 'CTRL-A Z' 60 || echo "# minicom: no welcome screen after 60 s" >&2
	printf '%s\r' "$msg"
	wait_text "$screen" "$msg" 30 || echo "# minicom: the line did not come back within 30 s" >&2
	printf '\001x'
	# the "Leave Minicom?" dialog reaches the screen file only once
	# minicom reads the answer: give it the time a person would
	sleep 3
	printf '\r'
	# until minicom has gone (script(1) ends with it)
	wait_text "$screen" 'NO SUCH TEXT' 5
}
# the port's line in /proc/tty/driver/serial ("N: uart:... RTS|DTR|DSR|CD")
port_line() { grep -E "^${t#ttyS}: " /proc/tty/driver/serial; }
dcd_up() { port_line | grep -qE '[ |]CD([ |]|$)'; }
# the keyboard of --peer: welcome, tell the host, type a line for it, wait
# for the host's line, report it, wait for the host to leave, Ctrl-A X
peer_keyboard() {
	wait_text "$screen" 'CTRL-A Z' 60 || echo "# minicom: no welcome screen after 60 s" >&2
	echo "MTTY-L2-TTY-UP tty=$t line=$msg" >&3
	printf '%s\r' "$msg"
	_end=$(($(cut -d. -f1 /proc/uptime) + 120))
	until grep -aq 'host minicom says [0-9a-f]* over' "$cap" 2>/dev/null; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ] || break
		usleep 300000
	done
	got=$(grep -ao 'host minicom says [0-9a-f]* over' "$cap" 2>/dev/null | head -n1)
	if [ -n "$got" ]; then
		echo "MTTY-L2-TTY-GOT-HOST line=$got" >&3
		# the host leaves now: wait for DCD to drop.  minicom's status
		# line does not show it until its next redraw, so ask the 8250
		# driver (/proc/tty/driver/serial: "N: uart:... RTS|DTR|DSR|CD")
		_t0=$(cut -d. -f1 /proc/uptime)
		_end=$((_t0 + 60))
		while dcd_up; do
			if [ "$(cut -d. -f1 /proc/uptime)" -ge "$_end" ]; then
				echo "# minicom: the host did not leave within 60 s" >&2
				break
			fi
			usleep 300000
		done
		if dcd_up; then
			echo "MTTY-L2-TTY-HOST-LEFT dcd=1 ($(port_line))" >&3
		else
			echo "MTTY-L2-TTY-HOST-LEFT dcd=0 secs=$(($(cut -d. -f1 /proc/uptime) - _t0)) ($(port_line))" >&3
		fi
	else
		echo "MTTY-L2-TTY-GOT-HOST line=" >&3
		echo "# minicom: no line from the host within 120 s" >&2
	fi
	printf '\001x'
	sleep 3
	printf '\r'
	wait_text "$screen" 'NO SUCH TEXT' 5
}
typist() {
	if [ -n "$peer" ]; then
		peer_keyboard
	else
		keyboard
	fi
}
typist 2>"/tmp/minicom-$t.kbd" |
	timeout 240 script -q -c "minicom -D /dev/$t -b 115200 -o -C $cap" /dev/null >"$screen" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "on /dev/$t: started, and left with Ctrl-A X (exit 0)"
else
	notok "on /dev/$t: left with Ctrl-A X (exit $rc$( [ "$rc" -eq 124 ] && echo ': still running after 240 s'))"
fi
sed 's/^/# /' "/tmp/minicom-$t.kbd"
# what the person saw, without the escape sequences
esc=$(printf '\033')
sed "s/${esc}\[[0-9;?]*[A-Za-z]//g; s/${esc}[()].//g; s/${esc}.//g" "$screen" |
	tr -d '\000\016\017\r' | grep -av '^ *$' | tail -n 12 | sed 's/^/# minicom screen| /'
echo "# /dev/$t after minicom: $(stty -F "/dev/$t" -a 2>/dev/null | tr '\n' ' ')"
if [ -n "$peer" ]; then
	# what came from the host: the host checks it is the line it typed
	if grep -aq 'host minicom says [0-9a-f][0-9a-f]* over' "$cap" 2>/dev/null; then
		ok "on /dev/$t: a line from the host's minicom arrived (capture file)"
	else
		notok "on /dev/$t: a line from the host's minicom arrived (capture: $(head -c 200 "$cap" 2>/dev/null | tr -c '[:print:]' '.'))"
	fi
	if grep -qF "$msg" "$cap" 2>/dev/null; then
		notok "on /dev/$t: the typed line did not come back (the port's far end is the host, not a loopback)"
	else
		ok "on /dev/$t: the typed line did not come back (the port's far end is the host, not a loopback)"
	fi
	exit "$failed"
fi
if grep -qF "$msg" "$cap" 2>/dev/null; then
	ok "on /dev/$t: the typed line came back (capture file)"
else
	notok "on /dev/$t: the typed line came back (capture: $(head -c 200 "$cap" 2>/dev/null | tr -c '[:print:]' '.'))"
fi
if grep -aqF "$msg" "$screen"; then
	ok "on /dev/$t: the typed line is on minicom's screen"
else
	notok "on /dev/$t: the typed line is on minicom's screen"
fi
exit "$failed"
