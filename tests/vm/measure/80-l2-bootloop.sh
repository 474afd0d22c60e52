#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Measurement, not a test of mtty (issue 10, item 6): boot the nested (L2)
# guest BOOTLOOP_N times under each nested emulator, QEMU 10 (/opt/qemu10,
# run.sh --qemu10) and Debian 12's QEMU 7.2, alternately, with an mtty-2
# assigned, and report per boot whether the guest kernel reached its init
# (MTTY-L2-INIT-START) or died before it (the nested-TCG early-boot flake,
# docs/testing.md), and how long the boot took.  Run with the 6.12 guest:
#   MTTY_L2_LINE=6.12 tests/vm/run.sh --kernel 6.12 --qemu10 \
#     --extra-steps tests/vm/measure --steps 80-l2-bootloop \
#     --l2init build/l2init --append BOOTLOOP_N=4
# Prints "# bootloop EMU try=N result=init|dead|timeout secs=S" lines and a
# summary per emulator.
# shellcheck source=../steps/lib.sh disable=SC1091
. /steps/lib.sh

N=${BOOTLOOP_N:-4}
WAIT=${BOOTLOOP_WAIT:-400}
UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1009
Q10=/opt/qemu10

check "bootloop: insmod" load_mtty || exit 1
check "bootloop: create mtty-2" sh -c "echo $UUID > $MTTY_TYPES/mtty-2/create" || exit 1
check "bootloop: QEMU 10 staged" test -x $Q10/bin/qemu-system-x86_64 || exit 1

# boot EMU: one L2 boot; prints the result line
boot() {
	_emu=$1
	_log=/tmp/bootloop-$_emu-$i.log
	: >"$_log"
	if [ "$_emu" = qemu10 ]; then
		set -- $Q10/bin/qemu-system-x86_64 -L $Q10/share/qemu
	else
		set -- qemu-system-x86_64
	fi
	_t0=$(cut -d. -f1 /proc/uptime)
	"$@" -accel tcg -M pc -m 256 -nodefaults -display none -no-reboot \
		-kernel /l2/vmlinux -initrd /l2/initramfs.cpio \
		-append "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq" \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UUID,addr=05.0" \
		-serial "file:$_log" </dev/null >"$_log.qemu" 2>&1 &
	_q=$!
	_res=timeout
	while [ $(($(cut -d. -f1 /proc/uptime) - _t0)) -lt "$WAIT" ]; do
		if grep -q MTTY-L2-INIT-START "$_log"; then
			_res=init
			break
		fi
		if ! kill -0 "$_q" 2>/dev/null ||
			grep -qE 'Kernel panic|Fatal exception|^\[ *[0-9.]*\] (BUG|WARNING)' "$_log"; then
			_res=dead
			break
		fi
		sleep 1
	done
	_secs=$(($(cut -d. -f1 /proc/uptime) - _t0))
	kill -9 "$_q" 2>/dev/null
	wait "$_q" 2>/dev/null
	echo "# bootloop $_emu try=$i result=$_res secs=$_secs"
	if [ "$_res" != init ]; then
		tail -n 25 "$_log" | sed "s/^/# bootloop $_emu try=$i console| /"
	fi
	eval "n_${_emu}_$_res=\$((\${n_${_emu}_$_res:-0} + 1))"
	[ "$_res" != init ] || eval "s_$_emu=\$((\${s_$_emu:-0} + _secs))"
}

i=1
while [ "$i" -le "$N" ]; do
	boot qemu10
	boot qemu72
	i=$((i + 1))
done
for e in qemu10 qemu72; do
	ni=0 nd=0 nt=0 s=0
	eval "ni=\${n_${e}_init:-0} nd=\${n_${e}_dead:-0} nt=\${n_${e}_timeout:-0} s=\${s_$e:-0}"
	avg=0
	[ "$ni" -eq 0 ] || avg=$((s / ni))
	echo "# bootloop summary $e: $N boots, init $ni, dead $nd, timeout $nt, mean seconds to init $avg"
done
check "bootloop: remove mdev" sh -c "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
check "bootloop: rmmod" unload_mtty
