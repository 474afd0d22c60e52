#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The second demo (issue 14): a terminal session between the host and a
# guest through an mtty port whose backend is a host tty, walked in the L1
# VM with every command printed before its output: the L1 half of
# `make demo DEMO=tty` (scripts/demo.sh, mtty.steps=walkthrough-tty; the
# guest half is tests/vm/walkthrough/l2-tty.sh).  Not part of the default
# steps.  Both ends run busybox's microcom, a terminal program like
# minicom (the bed has no minicom; tests/sysvm has the minicom session).
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

say "3. On the host: a terminal on /dev/$tty"
# the terminal's keyboard is a FIFO this script types into; its screen a file
mkfifo /tmp/host.keys
exec 4<>/tmp/host.keys
echo "# microcom -s 115200 /dev/$tty"
microcom -s 115200 "/dev/$tty" </tmp/host.keys >/tmp/host.screen 2>&1 &
mc=$!
# the host's typist: answers once the guest's line is on the screen
(
	n=0
	until grep -qF "$GUEST_LINE" /tmp/host.screen; do
		n=$((n + 1))
		[ "$n" -lt $((L2_TIMEOUT * 5)) ] || exit 1
		usleep 200000
	done
	printf '%s\n' "$HOST_LINE" >&4
) &
typist=$!

say "4. Boot the nested guest with the device"
echo "# qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults -kernel /l2/vmlinux ... \\"
echo "#     -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UUID,addr=05.0"
echo "# (the nested guest's console follows)"
L2_APPEND="mtty.demo=1" run_l2 "$UUID"
check "walkthrough-tty: the guest's terminal showed the host's line" \
	grep -q 'DEMO-TTY-OK' "$L2_LOG"

say "6. On the host: the terminal's screen"
if kill -0 "$typist" 2>/dev/null; then
	kill "$typist"
fi
wait "$typist"
trc=$?
kill "$mc"
wait "$mc"
exec 4>&-
echo "# (typed on the host, once the guest's line was on the screen:"
echo "#  \"$HOST_LINE\")"
echo "# the screen of microcom on /dev/$tty:"
tr -d '\r' </tmp/host.screen
check_eq "walkthrough-tty: the host typed its line after seeing the guest's" 0 "$trc"
check "walkthrough-tty: the host's terminal showed the guest's line" \
	grep -qF "$GUEST_LINE" /tmp/host.screen

say "7. Destroy the mediated device"
run "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
run "ls /sys/class/tty/ | grep ttyMT"
check_fail "walkthrough-tty: mdev removed" test -e "/sys/bus/mdev/devices/$UUID"
run "rmmod mtty"
dmesg_check "walkthrough-tty"
