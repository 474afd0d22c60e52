#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The second demo (issue 14): a terminal session between the host and a
# guest through an mtty port whose backend is a host tty, walked in the L1
# VM with every command printed before its output: the L1 half of
# `make demo DEMO=tty` (scripts/demo.sh, mtty.steps=walkthrough-tty; the
# guest half is tests/vm/walkthrough/l2-tty.sh).  Not part of the default
# steps.  The host runs minicom (staged from the host system by demo.sh),
# the guest busybox's microcom (its initramfs has no minicom).
# The guest types its line first (a port that is not open yet would lose
# what arrives), the host answers once that line is on its screen, the
# guest waits for the answer; either side missing the other's line fails
# the step.  The two lines must match those of l2-tty.sh.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
GUEST_LINE="Hello host, this is the nested guest typing on its ttyS1"
HOST_LINE="Hello guest, this is the L1 host typing on the port's host tty"

# say: a banner line; run: print "# <cmd>" then its output
say() { printf '\n==== %s\n' "$*"; }
run() {
	printf '# %s\n' "$*"
	sh -c "$*" 2>&1
}

dmesg_mark
say "1. Load mtty, create a one-port device, wire its port to a host tty"
run "insmod /lib/mtty/mtty.ko"
run "echo $UUID > $MTTY_TYPES/mtty-1/create"
run "cat /sys/bus/mdev/devices/$UUID/backend"
run "echo tty > /sys/bus/mdev/devices/$UUID/backend"
run "cat /sys/bus/mdev/devices/$UUID/backend"
check_eq "walkthrough-tty: backend is tty" tty "$(cat "/sys/bus/mdev/devices/$UUID/backend")"

say "2. Find the port's host tty"
run "ls /sys/bus/mdev/devices/$UUID/tty/"
tty=$(ls "/sys/bus/mdev/devices/$UUID/tty/" 2>/dev/null)
run "cat /sys/class/tty/$tty/mtty/mdev /sys/class/tty/$tty/mtty/port"
run "ls -l /dev/$tty"
echo "# (this bed runs no udev: with the package's udev rule the same tty is"
echo "#  also /dev/mtty/$UUID/port0, group dialout)"
if ! check "walkthrough-tty: host tty /dev/$tty" test -c "/dev/$tty"; then
	exit 1
fi

say "3. On the host: minicom on /dev/$tty"
# minicom (staged by demo.sh with run.sh --l1elf) runs under script(1), a
# pseudo terminal with TERM=vt100; its keyboard is this script, which
# watches the screen and the capture file like a person would
if ! check "walkthrough-tty: minicom and script(1) in this VM (make demo-tty stages them)" \
	sh -c 'command -v minicom >/dev/null && command -v script >/dev/null'; then
	remove_mdev "$UUID"
	unload_mtty
	exit 1
fi
[ -e /dev/pts/ptmx ] || { mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
mkdir -p /run/lock /var/lock /root
# minicom wants a passwd entry ("You don't exist. Go away.")
[ -s /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
[ -s /etc/group ] || echo 'root:x:0:' >/etc/group
# the setting a person saves once with "minicom -s": no hardware flow
# control (the guest's port may not raise RTS before it is opened)
printf 'pu rtscts           No\npu xonxoff          No\n' >/root/.minirc.dfl
screen=/tmp/host.screen cap=/tmp/host.cap
: >"$cap"
# the host's keyboard: waits for minicom's welcome, then for the guest's
# line, types its answer and Enter; once the guest is done (the file
# /tmp/guest.done), Ctrl-A X and Enter ("Leave Minicom? Yes")
keyboard() {
	wait_text "$screen" 'CTRL-A Z' 60 || echo "no minicom welcome screen after 60 s" >&2
	: >/tmp/host.welcome
	if wait_text "$cap" "$GUEST_LINE" "$L2_TIMEOUT"; then
		printf '%s\r' "$HOST_LINE"
		: >/tmp/host.typed
	else
		echo "the guest's line did not arrive" >&2
	fi
	wait_file /tmp/guest.done "$L2_TIMEOUT"
	printf '\001x'
	sleep 3
	printf '\r'
	wait_text "$screen" 'NO SUCH TEXT' 5
}
echo "# minicom -D /dev/$tty -b 115200 -o -C $cap   (under script(1), TERM=vt100)"
rm -f /tmp/guest.done /tmp/host.welcome /tmp/host.typed
keyboard 2>/tmp/host.kbd |
	HOME=/root TERM=vt100 script -q -c "minicom -D /dev/$tty -b 115200 -o -C $cap" /dev/null \
		>"$screen" 2>&1 &
mc=$!
wait_file /tmp/host.welcome 70
check "walkthrough-tty: minicom is up on /dev/$tty" grep -aqF 'CTRL-A Z' "$screen"

say "4. Boot the nested guest with the device"
echo "# qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults -kernel /l2/vmlinux ... \\"
echo "#     -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UUID,addr=05.0"
echo "# (the nested guest's console follows)"
L2_APPEND="mtty.demo=1" run_l2 "$UUID"
check "walkthrough-tty: the guest's terminal showed the host's line" \
	grep -q 'DEMO-TTY-OK' "$L2_LOG"

say "6. On the host: minicom's screen"
: >/tmp/guest.done
if ! wait_gone "$mc" 150; then
	kill "$mc"
	notok "walkthrough-tty: minicom did not quit on Ctrl-A X"
fi
wait "$mc"
sed 's/^/# keyboard: /' /tmp/host.kbd
if [ -e /tmp/host.typed ]; then
	echo "# (typed on the host once the guest's line was on the screen, then Enter:"
	echo "#  \"$HOST_LINE\")"
fi
echo "# minicom's screen, without the escape sequences, up to the \"Leave Minicom?\" box:"
esc=$(printf '\033')
sed "s/${esc}\[[0-9;?]*[A-Za-z]//g; s/${esc}[()].//g; s/${esc}.//g" "$screen" |
	tr -d '\000\016\017\r' | grep -av '^ *$' |
	awk '{
		# the box is drawn with "+---" or, with vt100 line drawing, "lqqq"
		i = index($0, "+-----"); j = index($0, "lqqqqq")
		if (j && (!i || j < i)) i = j
		if (i) { if (i > 1) print substr($0, 1, i - 1); exit }
		print
	}' |
	sed 's/^/| /'
check "walkthrough-tty: the host typed its line after the guest's had arrived" test -e /tmp/host.typed
check "walkthrough-tty: the guest's line arrived in minicom (capture file)" \
	grep -aqF "$GUEST_LINE" "$cap"
check "walkthrough-tty: the guest's line is on minicom's screen" \
	grep -aqF "$GUEST_LINE" "$screen"

say "7. Destroy the mediated device"
run "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
run "ls /sys/class/tty/ | grep ttyMT"
check_fail "walkthrough-tty: mdev removed" test -e "/sys/bus/mdev/devices/$UUID"
run "rmmod mtty"
dmesg_check "walkthrough-tty"
