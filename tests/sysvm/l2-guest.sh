#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# l2-guest.sh -- the test of the nested guest started by libvirt in the
# operator-stack VM test, staged as /demo.sh (the name tests/vm/l2init runs
# in its script mode, mtty.demo=1; busybox sh, with /proc, /sys and /dev
# mounted).  As a person would after the seed's step 5:
#   - the mtty card (4348:3253) is bound by the 8250 "serial" driver and its
#     ports are 16550A UARTs (dmesg, setserial)
#   - a real terminal program (busybox microcom) sends text and a binary
#     file through ttyS1 and ttyS2 and gets them back (seed steps 6-7)
#   - prints MTTY-L2-WAIT-HOTPLUG, waits for a second card to be hot-plugged
#     (virsh attach-device), checks it the same way, then prints
#     "MTTY-L2-HOTPLUG-DONE cards=N new=SLOT ports=N failed=N" (what it
#     measured: the host asserts cards=2 ports=1 failed=0); waits for the
#     card to go away (virsh detach-device) and prints
#     "MTTY-L2-UNPLUGGED cards=N boot_card=kept|changed" (the host asserts
#     cards=1 boot_card=kept);
#   - with mtty.ttycard=1 on its command line: prints MTTY-L2-WAIT-TTYCARD,
#     waits for a card whose port's backend is "tty" (hot-plugged), finds
#     its ttyS in sysfs, prints "MTTY-L2-TTYCARD card=SLOT tty=ttySN" and
#     runs minicom on it against the host's minicom (/minicom.sh --peer);
#   last "MTTY-L2-GUEST-DONE failed=N".
# Results: "ok - L2 ..." / "not ok - L2 ...".  Exit 0 if all passed.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC2034 # read by lib.sh
MTTY_TAP_PREFIX="L2 "
# shellcheck source=../lib/lib.sh disable=SC1091
. /usr/lib/mtty-tests/lib.sh

# mtty_cards: sysfs paths of the PCI functions with the mtty IDs
mtty_cards() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor" 2>/dev/null)" = 0x4348 ] &&
			[ "$(cat "$d/device" 2>/dev/null)" = 0x3253 ] && echo "$d"
	done
}
count_cards() { mtty_cards | grep -c . ; }

now() { cut -d. -f1 /proc/uptime; }

# wait_cards N SECONDS: wait until N mtty cards are present, with progress
# comments; after 120 s without the card, show the kernel log and ask for a
# PCI rescan (reported as a failure: ACPI hot-plug should not need it)
wait_cards() {
	_want=$1
	_end=$(($(now) + $2))
	_next=$(($(now) + 30))
	_rescan=$(($(now) + 120))
	while [ "$(count_cards)" -ne "$_want" ]; do
		[ "$(now)" -lt "$_end" ] || return 1
		if [ "$(now)" -ge "$_next" ]; then
			echo "# waiting for $_want card(s): have $(count_cards); $(lspci 2>/dev/null | tr '\n' ';')"
			_next=$(($(now) + 30))
		fi
		if [ "$_rescan" -gt 0 ] && [ "$(now)" -ge "$_rescan" ]; then
			dmesg | tail -n 15 | sed 's/^/# dmesg: /'
			notok "card count reached $_want without a manual PCI rescan"
			echo 1 >/sys/bus/pci/rescan
			_rescan=0
		fi
		usleep 500000
	done
}

# ports_of CARD: ttySN names the kernel gave the card's ports (from dmesg)
ports_of() {
	dmesg | sed -n "s/.*${1##*/}: \(ttyS[0-9]*\) at I\/O .* is a 16550A.*/\1/p" | sort -u
}

# tty_of CARD: the ttySN of CARD's ports, from sysfs (the class device's
# "device" link leads into the PCI function), else from dmesg
tty_of() {
	for _d in /sys/class/tty/ttyS*; do
		case $(readlink -f "$_d/device" 2>/dev/null) in
		*/"${1##*/}" | */"${1##*/}"/*) echo "${_d##*/}" ;;
		esac
	done | grep . || ports_of "$1"
}

# microcom_loop TTY: type a line and send a binary file through microcom;
# both must come back unchanged (the mtty port loops data back).
microcom_loop() {
	_t=$1
	stty -F "/dev/$_t" 115200 raw -echo -crtscts clocal 2>/dev/null
	_msg="hello from microcom on $_t $$"
	{ usleep 300000; printf '%s\n' "$_msg"; sleep 2; } |
		timeout 60 microcom -s 115200 -t 3000 "/dev/$_t" >"/tmp/$_t.txt" 2>&1
	if grep -qF "$_msg" "/tmp/$_t.txt"; then
		ok "microcom on /dev/$_t: typed line came back"
	else
		notok "microcom on /dev/$_t: typed line came back (got: $(head -c 200 "/tmp/$_t.txt" | od -c | head -3 | tr '\n' ' '))"
	fi
	head -c 4096 /dev/urandom >"/tmp/$_t.in"
	{ usleep 300000; cat "/tmp/$_t.in"; sleep 3; } |
		timeout 60 microcom -X -s 115200 -t 4000 "/dev/$_t" >"/tmp/$_t.out" 2>/dev/null
	if cmp -s "/tmp/$_t.in" "/tmp/$_t.out"; then
		ok "microcom on /dev/$_t: 4096 random bytes came back byte-identical"
	else
		notok "microcom on /dev/$_t: 4096 random bytes came back (got $(wc -c <"/tmp/$_t.out") bytes)"
	fi
}

# check_card CARD NPORTS: driver, UART types, microcom loopback
check_card() {
	_c=$1 _np=$2
	_drv=$(readlink "$_c/driver" 2>/dev/null)
	check "${_c##*/} is bound to the 8250 PCI driver (serial)" [ "${_drv##*/}" = serial ]
	_ports=$(ports_of "$_c")
	_n=$(echo "$_ports" | grep -c ttyS)
	check "${_c##*/}: dmesg shows $_np ports as 16550A ($(echo "$_ports" | tr '\n' ' '))" [ "$_n" -eq "$_np" ]
	for _t in $_ports; do
		_s=$(setserial -g "/dev/$_t" 2>&1)
		echo "# $_s"
		case $_s in
		*"UART: 16550A"*) ok "setserial: /dev/$_t is a 16550A" ;;
		*) notok "setserial: /dev/$_t is a 16550A" ;;
		esac
		microcom_loop "$_t"
	done
}

first=$(mtty_cards)
check "one mtty card present at boot" [ "$(echo "$first" | grep -c .)" -eq 1 ]
dmesg | grep -E 'ttyS[0-9]+ at' | sed 's/^/# dmesg: /'
for c in $first; do
	check_card "$c" 2
done
# minicom on the boot card's first port, typed at like a person
# (l2-minicom.sh, staged as /minicom.sh by run.sh)
if [ -x /minicom.sh ]; then
	/minicom.sh "$(ports_of "$first" | head -n1)" || MTTY_FAILED=$((MTTY_FAILED + 1))
fi

# new_card FIRST: the mtty card present now that is not in FIRST (the
# list of cards before a hot-plug)
new_card() {
	for _c in $(mtty_cards); do
		echo "$1" | grep -qx "$_c" || echo "$_c"
	done | tail -n1
}

echo "MTTY-L2-WAIT-HOTPLUG"
if wait_cards 2 500; then
	ok "hot-plugged mtty card appeared"
	new=$(new_card "$first")
	# give the driver a moment to bind
	wait_until 30 test -e "$new/driver" || true
	dmesg | grep -E "${new##*/}" | sed 's/^/# dmesg: /'
	before=$MTTY_FAILED
	check_card "$new" 1
	echo "MTTY-L2-HOTPLUG-DONE cards=$(count_cards) new=${new##*/} ports=$(ports_of "$new" | grep -c ttyS) failed=$((MTTY_FAILED - before))"
	wait_cards 1 300
	same=changed
	[ "$(mtty_cards)" != "$first" ] || same=kept
	echo "MTTY-L2-UNPLUGGED cards=$(count_cards) boot_card=$same"
	check "hot-unplugged mtty card went away" [ "$(count_cards)" -eq 1 ]
	check "the boot card is still there" [ "$same" = kept ]
else
	notok "hot-plugged mtty card appeared"
	echo "MTTY-L2-HOTPLUG-DONE cards=$(count_cards) new=none ports=0 failed=1"
fi
# the host-tty card: its port is wired to a tty on the host, where a
# minicom waits (tests/sysvm/sysvm-test.sh)
if grep -q 'mtty\.ttycard=1' /proc/cmdline; then
	first=$(mtty_cards)
	echo "MTTY-L2-WAIT-TTYCARD"
	if wait_cards 2 300; then
		ok "hot-plugged tty-backend card appeared"
		new=$(new_card "$first")
		wait_until 30 test -e "$new/driver" || true
		tt=$(tty_of "$new")
		check "${new##*/}: one port, found in sysfs as $(echo "$tt" | tr '\n' ' ')" [ "$(echo "$tt" | grep -c ttyS)" -eq 1 ]
		echo "MTTY-L2-TTYCARD card=${new##*/} tty=$tt"
		if [ -n "$tt" ] && [ -x /minicom.sh ]; then
			/minicom.sh --peer "$tt" || MTTY_FAILED=$((MTTY_FAILED + 1))
		fi
	else
		notok "hot-plugged tty-backend card appeared"
	fi
	echo "MTTY-L2-TTYCARD-DONE"
fi
klog_check "guest"
echo "MTTY-L2-GUEST-DONE failed=$MTTY_FAILED"
[ "$MTTY_FAILED" -eq 0 ]
