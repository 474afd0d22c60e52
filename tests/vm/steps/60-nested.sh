#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Nested guest: QEMU inside this VM gets an mtty-2 through
# vfio-pci,sysfsdev=...; its /init (tests/vm/l2init.c) checks the PCI
# identity and config bytes against the seed, the 16550A detection of
# ttyS1/ttyS2, and loops 64 KiB through each port (then both at once),
# byte-identical, with no overrun.  A second device, an mtty-1 with
# backend=tty at 00:06.0 (the guest's ttyS3), carries the host tty
# exchange (issue 14): tty_peer (tests/vm/tty_peer.c) on its host tty
# /dev/ttyMT<n> here in L1 and the guest's init on ttyS3 (mtty.peer=...)
# send each other 64 KiB at once, every byte checked on both ends.  The
# guest's QEMU traces its VFIO events (counting smoke, issue 15:
# qtrace.sh; asserts on counts, never timings).
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh
# shellcheck source=qtrace.sh disable=SC1091
. /steps/qtrace.sh

UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
# the tty-backed mtty-1 and where the guest sees it
PEER_UUID=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
PEER_BDF=0000:00:06.0
PEER_BYTES=65536

dmesg_mark
check "nested: insmod" load_mtty || exit 0
check "nested: create mtty-2 $UUID" \
	sh -c "echo $UUID > $MTTY_TYPES/mtty-2/create"
avail=$(cat "$MTTY_TYPES/mtty-2/available_instances")
check_eq "nested: mtty-2 available_instances 11 with one in use" 11 "$avail"

# --- the tty-backed second device and the L1 end of its cable
peer=
peer_log=/tmp/tty-peer.log
if check "nested: create mtty-1 $PEER_UUID" \
	sh -c "echo $PEER_UUID > $MTTY_TYPES/mtty-1/create" &&
	check "nested: $PEER_UUID backend tty" \
		sh -c "echo tty > /sys/bus/mdev/devices/$PEER_UUID/backend"; then
	host_tty=$(ls "/sys/bus/mdev/devices/$PEER_UUID/tty" 2>/dev/null)
	if check "nested: host tty /dev/$host_tty of $PEER_UUID" test -c "/dev/$host_tty" &&
		check "nested: tty_peer binary present" test -x /usr/bin/tty_peer; then
		: >"$peer_log"
		tty_peer --bytes "$PEER_BYTES" --wait "$L2_TIMEOUT" "/dev/$host_tty" \
			>"$peer_log" 2>&1 &
		peer=$!
		n=50
		until grep -q TTY-PEER-READY "$peer_log" || [ "$n" -le 0 ]; do
			usleep 100000
			n=$((n - 1))
		done
		check "nested: tty_peer has /dev/$host_tty open" grep -q TTY-PEER-READY "$peer_log"
	fi
fi
set -- -device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$PEER_UUID,addr=06.0"
[ -e "/sys/bus/mdev/devices/$PEER_UUID" ] || set --

if L2_APPEND="${L2_APPEND:-} mtty.peer=$PEER_BDF" L2_TRACE=$(qtrace_events) \
	run_l2 "$UUID" "$@"; then
	ok "nested: guest checks all passed"
else
	notok "nested: guest reported failures (see L2 lines above)"
fi
# the guest must have run its loopback on both ports
for tty in ttyS1 ttyS2; do
	if tr -d '\r' <"$L2_LOG" | grep -q "^ok - .*$tty loopback 65536 bytes"; then
		ok "nested: $tty looped back 64 KiB in the guest"
	else
		notok "nested: no successful 64 KiB loopback on $tty"
	fi
done

# the host end: tty_peer is done once the guest's exchange is (it only
# checks for stray bytes for a second more)
if [ -n "$peer" ]; then
	if ! wait_gone "$peer" 300; then
		kill "$peer"
		comment "nested: tty_peer still running 30 s after the guest finished: stopped"
	fi
	wait "$peer"
	prc=$?
	cat "$peer_log"
	check_eq "nested: tty_peer exchanged $PEER_BYTES bytes each way with the guest (exit status)" 0 "$prc"
else
	notok "nested: no tty_peer on the host tty"
fi
if tr -d '\r' <"$L2_LOG" | grep -q "^ok - L2 peer ttyS3 exchange with the host tty, each way, $PEER_BYTES bytes"; then
	ok "nested: ttyS3 in the guest exchanged $PEER_BYTES bytes each way with /dev/$host_tty"
else
	notok "nested: no successful host tty exchange on the guest's ttyS3"
fi

check "nested: remove $PEER_UUID" sh -c "echo 1 > /sys/bus/mdev/devices/$PEER_UUID/remove"

# Counting smoke (issue 15): every kind of count came out and is sane.
# Floor: the guest 8250 driver moves a byte with at least 3 region
# accesses (THR write, RBR read, LSR re-read), so a byte-checked loopback
# of B bytes costs >= 3 B (boot and probe accesses only add).
if [ -s "$L2_LOG.trace" ]; then
	# shellcheck disable=SC2046 # the words of qtrace_total
	set -- $(qtrace_total "$L2_LOG.trace" "$UUID")
	acc=$1 intx=$2 eoi=$3 rbr=$4 thr=$5 lsr=$6 iir=$7
	bytes=$(tr -d '\r' <"$L2_LOG" | sed -n 's/^ok - .* loopback \([0-9]*\) bytes byte-identical.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	bytes1=$(tr -d '\r' <"$L2_LOG" | sed -n 's/^ok - .* ttyS1 loopback \([0-9]*\) bytes byte-identical.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	girq=$(tr -d '\r' <"$L2_LOG" | sed -n 's/^# L2 COUNT irq=[0-9-]* interrupts=\([0-9-]*\)$/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	lostruns=$(tr -d '\r' <"$L2_LOG" | grep -c '^not ok - .*loopback') || true
	comment "nested count: $acc region accesses (RBR $rbr, THR $thr, LSR $lsr, IIR $iir), $intx INTx events, $eoi unmasks, $girq guest interrupts, $bytes bytes looped back; trace $(wc -l <"$L2_LOG.trace") lines"
	check "nested count: $bytes bytes looped back byte-identical, no failed loopback ($lostruns)" \
		test "$bytes" -ge 131072 -a "$lostruns" = 0
	check "nested count: every register kind counted (RBR $rbr, THR $thr, LSR $lsr, IIR $iir)" \
		test "$rbr" -gt 0 -a "$thr" -gt 0 -a "$lsr" -gt 0 -a "$iir" -gt 0
	check "nested count: ttyS1 (region 0): RBR reads, THR writes, LSR reads each >= its $bytes1 bytes" \
		test "$bytes1" -gt 0 -a "$rbr" -ge "$bytes1" -a "$thr" -ge "$bytes1" -a "$lsr" -ge "$bytes1"
	check "nested count: region accesses $acc >= 3 per byte (8250 floor: $((3 * bytes)))" \
		test "$acc" -ge $((3 * bytes))
	check "nested count: QEMU INTx events $intx > 0, unmasks (vfio_intx_eoi) $eoi > 0" \
		test "$intx" -gt 0 -a "$eoi" -gt 0
	check "nested count: guest interrupts $girq > 0" test "$girq" -gt 0
	rm -f "$L2_LOG.trace"
else
	notok "nested count: no QEMU trace ($L2_LOG.trace)"
fi

check "nested: remove $UUID" sh -c "echo 1 > /sys/bus/mdev/devices/$UUID/remove"
avail=$(cat "$MTTY_TYPES/mtty-2/available_instances")
check_eq "nested: pool back to 12 mtty-2" 12 "$avail"
check "nested: rmmod" unload_mtty
dmesg_check "nested"
