#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Measurement, not a test of mtty: where the nested (L2) guest's boot spends
# its time, and what kernel arguments shorten it.  Boots the L2 guest of
# run_l2 (Debian 12's QEMU 7.2, an mtty-2 assigned) once per variant of
# extra kernel arguments (BOOTPROF_VARIANTS, '|'-separated; the first is
# the baseline) and prints the seconds until its init started; a variant
# with initcall_debug also prints its initcalls over 300 ms.
#   tests/vm/run.sh --kernel 6.1 --extra-steps tests/vm/measure \
#     --steps 81-l2-bootprofile --l2init build/l2init \
#     --append 'BOOTPROF_VARIANTS=...'
# (kernel command-line words reach the step as variables; spaces inside a
# variant: use '+', turned into spaces here).
# shellcheck source=../steps/lib.sh disable=SC1091
. /steps/lib.sh

WAIT=${BOOTPROF_WAIT:-300}
UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1008
VARIANTS=${BOOTPROF_VARIANTS:-none|initcall_debug+loglevel=8|cryptomgr.notests|acpi=off}

check "bootprofile: insmod" load_mtty || exit 1
check "bootprofile: create mtty-2" sh -c "echo $UUID > $MTTY_TYPES/mtty-2/create" || exit 1

i=0
IFS='|'
# shellcheck disable=SC2086 # split on |
set -- $VARIANTS
unset IFS
for v in "$@"; do
	i=$((i + 1))
	extra=$(echo "$v" | tr '+' ' ')
	[ "$extra" != none ] || extra=
	log=/tmp/bootprof-$i.log
	: >"$log"
	t0=$(cut -d. -f1 /proc/uptime)
	qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults -display none -no-reboot \
		-kernel /l2/vmlinux -initrd /l2/initramfs.cpio \
		-append "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq $extra" \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$UUID,addr=05.0" \
		-serial "file:$log" </dev/null >"$log.qemu" 2>&1 &
	q=$!
	res=timeout
	while [ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$WAIT" ]; do
		if grep -q MTTY-L2-INIT-START "$log"; then
			res=init
			break
		fi
		kill -0 "$q" 2>/dev/null || { res=dead; break; }
		sleep 1
	done
	secs=$(($(cut -d. -f1 /proc/uptime) - t0))
	kill -9 "$q" 2>/dev/null
	wait "$q" 2>/dev/null
	echo "# bootprofile variant=$i args='$extra' result=$res secs=$secs"
	last=$(tr -d '\r' <"$log" | sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\].*/\1/p' | tail -n1)
	echo "# bootprofile variant=$i last kernel timestamp ${last:-?} s"
	case $extra in
	*initcall_debug*)
		tr -d '\r' <"$log" |
			sed -n 's/.*initcall \([^ ]*\) returned [-0-9]* after \([0-9]*\) usecs.*/\2 \1/p' |
			sort -rn | awk '$1 >= 300000 { printf "# bootprofile initcall %8.2f s %s\n", $1 / 1e6, $2 }'
		# the gaps: the kernel's own timeline at a few milestones
		tr -d '\r' <"$log" | grep -E 'Freeing unused|Unpacking initramfs|Run /init|ACPI: Interpreter|PCI: Using|clocksource: Switched|Trying to unpack' |
			sed 's/^/# bootprofile milestone| /'
		;;
	esac
	[ "$res" = init ] || tail -n 20 "$log" | sed "s/^/# bootprofile variant=$i console| /"
done
check "bootprofile: remove mdev" sh -c "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
