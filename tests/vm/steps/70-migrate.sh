#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end VFIO migration v2 (issue 12): a nested guest under QEMU 10
# (/opt/qemu10, tests/vm/run.sh --qemu10) streams a position-dependent byte
# sequence through both ports of an mtty-2 (l2init mtty.l2=stream) while
# this step live-migrates it between two mtty-2 mdevs A and B over a unix
# socket (A->B->A->B...), then once through a file (migrate file:, restore
# with -incoming file:).  The guest must finish with every byte received
# once and unaltered, no overrun and a clean kernel log; every QEMU must
# report the migration completed and the destination running.
#
# Without /opt/qemu10 the step cannot run and says so as a failure.
# Knobs (environment; from run.sh --append "NAME=value", the kernel hands
# unknown NAME=value arguments to init): MIG_COUNT socket migrations (4),
# MIG_STREAM_SECS guest streaming time (120), MIG_VFIO_OPTS vfio-pci
# options (enable-migration=on,x-device-dirty-page-tracking=off: see
# docs/migration.md "End to end with QEMU 10"), MIG_BOOT_TIMEOUT (400),
# MIG_TIMEOUT per migration (180), MIG_SWITCHOVER_BW (1T before 6.3,
# below; empty: not set), MIG_TRACE (a QEMU -trace pattern, summarised per
# QEMU; e.g. MIG_TRACE=vfio_intx_*).
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

Q10=/opt/qemu10
QEMU10=$Q10/bin/qemu-system-x86_64
HMP=/usr/bin/hmp
MIG_COUNT=${MIG_COUNT:-4}
MIG_STREAM_SECS=${MIG_STREAM_SECS:-120}
MIG_VFIO_OPTS=${MIG_VFIO_OPTS-enable-migration=on,x-device-dirty-page-tracking=off}
MIG_BOOT_TIMEOUT=${MIG_BOOT_TIMEOUT:-400}
MIG_TIMEOUT=${MIG_TIMEOUT:-180}
# Kernels before 6.3 have no VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: QEMU then
# assumes 100 GiB of device state to stop-copy (VFIO_MIG_STOP_COPY_SIZE in
# hw/vfio/migration.c), which never fits the downtime limit, and a live
# migration never switches over.  Telling QEMU the switchover bandwidth
# (threshold = bandwidth x downtime-limit 300 ms > 100 GiB) lets it
# switch over; the downtime it reports is still measured.
kv=$(uname -r)
kmaj=${kv%%.*} kmin=${kv#*.}
kmin=${kmin%%[!0-9]*}
if [ "$kmaj" -lt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -lt 3 ]; }; then
	MIG_SWITCHOVER_BW=${MIG_SWITCHOVER_BW-1T}
fi
MIG_SWITCHOVER_BW=${MIG_SWITCHOVER_BW-}
W=/tmp/mig
MIG_SOCK=$W/mig.sock
STATE=$W/guest.state

if [ ! -x "$QEMU10" ]; then
	notok "migrate: no QEMU 10 in this initramfs ($QEMU10 missing: tests/vm/run.sh --qemu10); VFIO migration v2 end to end cannot be tested"
	exit 0
fi
if [ ! -x "$HMP" ]; then
	notok "migrate: $HMP missing (tests/vm/run.sh --bin build/hmp)"
	exit 0
fi
if [ ! -e /l2/vmlinux ] || [ ! -e /l2/initramfs.cpio ]; then
	notok "migrate: no L2 payload in this initramfs (run.sh --l2init)"
	exit 0
fi
[ ! -d $Q10/lib/qemu ] || export QEMU_MODULE_DIR=$Q10/lib/qemu
comment "migrate: $(cat $Q10/version 2>/dev/null), vfio-pci options '$MIG_VFIO_OPTS', $MIG_COUNT socket migrations + 1 through a file, guest streams ${MIG_STREAM_SECS}s"
[ -z "$MIG_SWITCHOVER_BW" ] ||
	comment "migrate: kernel $kv has no VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: avail-switchover-bandwidth $MIG_SWITCHOVER_BW (else QEMU assumes 100 GiB of device state and never switches over)"
rm -rf "$W"
mkdir -p "$W"

uptime_s() { cut -d. -f1 /proc/uptime; }

# start_qemu N UUID [-incoming URI]: start QEMU instance N on mdev UUID
# (console $W/con-N.log, monitor $W/mon-N.sock, output $W/qemu-N.log);
# sets PID_N.  The command line is the same for every instance except the
# mdev, the files and -incoming.
start_qemu() {
	_n=$1 _u=$2
	shift 2
	: >"$W/con-$_n.log"
	# busybox timeout execs the command: $! is qemu's pid
	timeout -s KILL $((MIG_BOOT_TIMEOUT + MIG_STREAM_SECS + 600)) \
		"$QEMU10" -L $Q10/share/qemu -accel tcg -M pc -m 256 \
		-nodefaults -display none -no-reboot \
		-kernel /l2/vmlinux -initrd /l2/initramfs.cpio \
		-append "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq mtty.l2=stream mtty.stream_secs=$MIG_STREAM_SECS" \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$_u,addr=05.0${MIG_VFIO_OPTS:+,$MIG_VFIO_OPTS}" \
		-serial "file:$W/con-$_n.log" \
		-monitor "unix:$W/mon-$_n.sock,server,nowait" \
		${MIG_TRACE:+-trace "$MIG_TRACE"} \
		"$@" </dev/null >"$W/qemu-$_n.log" 2>&1 &
	eval "PID_$_n=\$!"
	comment "migrate: started QEMU $_n (pid $!) on mdev $_u${1:+ $*}"
}

pid_of() { eval "echo \"\$PID_$1\""; }
# alive N: QEMU N has not exited (an exited, not yet reaped child is a
# zombie, which kill -0 still finds)
alive() {
	_st=$(cut -d' ' -f3 "/proc/$(pid_of "$1")/stat" 2>/dev/null) && [ "$_st" != Z ]
}

# show_qemu N: QEMU N's own output (errors, warnings), as comments; with
# MIG_TRACE (a -trace pattern, e.g. vfio_intx_*) the trace lines are
# summarised: a count per event, the first and the last 8 of them.
show_qemu() {
	[ -s "$W/qemu-$1.log" ] || return 0
	if [ -z "${MIG_TRACE:-}" ]; then
		sed "s/^/# qemu $1: /" "$W/qemu-$1.log"
		return 0
	fi
	# log backend: "event args"
	_tre='^[a-z0-9_][a-z0-9_]* '
	grep -v "$_tre" "$W/qemu-$1.log" | sed "s/^/# qemu $1: /"
	grep "$_tre" "$W/qemu-$1.log" | sed 's/ .*//' |
		sort | uniq -c | sed "s/^ */# qemu $1 trace count: /"
	grep "$_tre" "$W/qemu-$1.log" | head -n 8 | sed "s/^/# qemu $1 trace first: /"
	grep "$_tre" "$W/qemu-$1.log" | tail -n 8 | sed "s/^/# qemu $1 trace last: /"
}

# hmp_to N CMD: monitor command to instance N, answer on stdout.
hmp_to() { "$HMP" -t 60 "$W/mon-$1.sock" "$2"; }

# con N: console of instance N without CRs
con() { tr -d '\r' <"$W/con-$1.log"; }

# last_rx N: total bytes received in the last progress line of N (or "")
last_rx() { con "$1" | sed -n 's/^# stream progress t=[0-9]* rx=\([0-9]*\) .*/\1/p' | tail -n1; }

# wait_console N PATTERN SECS: wait until N's console has a line matching
# PATTERN (grep -E); fails at once if QEMU N exited.
wait_console() {
	_end=$(($(uptime_s) + $3))
	while ! con "$1" | grep -Eq "$2"; do
		if ! alive "$1"; then
			comment "migrate: QEMU $1 exited while waiting for /$2/"
			return 1
		fi
		[ "$(uptime_s)" -lt "$_end" ] || return 1
		sleep 1
	done
}

# wait_progress N MIN SECS: wait for a progress line of N with rx > MIN.
wait_progress() {
	_end=$(($(uptime_s) + $3))
	while :; do
		_rx=$(last_rx "$1")
		[ -n "$_rx" ] && [ "$_rx" -gt "$2" ] && return 0
		alive "$1" || return 1
		[ "$(uptime_s)" -lt "$_end" ] || return 1
		sleep 1
	done
}

# wait_exit N SECS: wait for QEMU N to exit; sets QRC (its status).
wait_exit() {
	_end=$(($(uptime_s) + $2))
	while alive "$1"; do
		[ "$(uptime_s)" -lt "$_end" ] || return 1
		sleep 1
	done
	wait "$(pid_of "$1")"
	QRC=$?
}

# mig_status TEXT: the status in "info migrate" output ("Status:" in
# QEMU 10, "Migration status:" before 9.1).
mig_status() {
	printf '%s\n' "$1" | awk 'tolower($0) ~ /^ *(migration )?status:/ { sub(/^[^:]*: */, ""); print; exit }'
}

# migrate_run SRC URI WHAT: migrate instance SRC to URI, poll "info
# migrate" until it ends; ok if completed.  Prints its statistics.
# Sets MIG_INFO (the last "info migrate" answer).
migrate_run() {
	_src=$1 _uri=$2 _what=$3
	_t0=$(uptime_s)
	if [ -n "$MIG_SWITCHOVER_BW" ]; then
		_out=$(hmp_to "$_src" "migrate_set_parameter avail-switchover-bandwidth $MIG_SWITCHOVER_BW")
		if [ -n "$_out" ]; then
			notok "migrate: $_what: migrate_set_parameter avail-switchover-bandwidth: $_out"
			return 1
		fi
	fi
	_out=$(hmp_to "$_src" "migrate -d $_uri") || {
		notok "migrate: $_what: monitor of QEMU $_src (migrate -d $_uri)"
		return 1
	}
	if [ -n "$_out" ]; then
		printf '%s\n' "$_out" | sed 's/^/# migrate answer: /'
		notok "migrate: $_what: 'migrate -d $_uri' refused: $(printf '%s' "$_out" | tr '\n' ' ')"
		return 1
	fi
	_end=$((_t0 + MIG_TIMEOUT))
	while :; do
		MIG_INFO=$(hmp_to "$_src" "info migrate") || {
			notok "migrate: $_what: monitor of QEMU $_src (info migrate)"
			return 1
		}
		_st=$(mig_status "$MIG_INFO")
		case $_st in
		completed) break ;;
		failed | cancelled | cancelling)
			printf '%s\n' "$MIG_INFO" | sed 's/^/# info migrate: /'
			show_qemu "$_src"
			notok "migrate: $_what: migration $_st"
			return 1
			;;
		esac
		if [ "$(uptime_s)" -ge "$_end" ]; then
			printf '%s\n' "$MIG_INFO" | sed 's/^/# info migrate: /'
			notok "migrate: $_what: not completed within ${MIG_TIMEOUT}s (status '$_st')"
			return 1
		fi
		sleep 1
	done
	printf '%s\n' "$MIG_INFO" | sed 's/^/# info migrate: /'
	ok "migrate: $_what: completed ($(($(uptime_s) - _t0))s in L1; $(printf '%s\n' "$MIG_INFO" | grep -iE 'downtime|total time|transferred|vfio' | tr -s ' \n' ' '))"
}

# quit_src N WHAT: quit QEMU N after it migrated out; ok if it exits 0.
quit_src() {
	hmp_to "$1" quit >/dev/null
	if wait_exit "$1" 30; then
		check_eq "migrate: $2: source QEMU $1 quit cleanly (exit status)" 0 "$QRC"
	else
		notok "migrate: $2: source QEMU $1 still running 30s after quit"
		kill -KILL "$(pid_of "$1")" 2>/dev/null
	fi
}

# dst_running N WHAT: the destination reports "running" (waits up to 60s:
# a file restore loads before it runs).
dst_running() {
	_end=$(($(uptime_s) + 60))
	while :; do
		_s=$(hmp_to "$1" "info status") || {
			show_qemu "$1"
			notok "migrate: $2: monitor of destination QEMU $1"
			return 1
		}
		case $_s in *"status: running"*) break ;; esac
		if [ "$(uptime_s)" -ge "$_end" ] || ! alive "$1"; then
			show_qemu "$1"
			notok "migrate: $2: destination QEMU $1 not running ('$_s')"
			return 1
		fi
		sleep 1
	done
	ok "migrate: $2: destination QEMU $1 running"
}

# stream_goes_on N PREV_RX WHAT: the guest streams on the destination.
stream_goes_on() {
	if wait_progress "$1" "$2" 60; then
		ok "migrate: $3: guest streams on (rx $2 before, $(last_rx "$1") on QEMU $1)"
	else
		show_qemu "$1"
		con "$1" | tail -n 20 | sed "s/^/# con $1: /"
		notok "migrate: $3: no stream progress past rx $2 on QEMU $1 within 60s"
		return 1
	fi
}

# forward N: the console of instance N, results re-prefixed like run_l2's.
forward() {
	con "$1" | sed -e '/^ok - L2/b' -e '/^not ok - L2/b' \
		-e 's/^ok - /ok - L2: /' -e t -e 's/^not ok - /not ok - L2: /' -e t \
		-e "s/^/# L2[$1]| /"
}

cleanup() {
	for _i in $ALL; do
		if alive "$_i"; then
			comment "migrate: killing QEMU $_i (pid $(pid_of "$_i"))"
			kill -KILL "$(pid_of "$_i")" 2>/dev/null
			wait "$(pid_of "$_i")" 2>/dev/null
		fi
	done
}

run() {
	A=$(create_mdev mtty-2) || { notok "migrate: create mdev A"; return 1; }
	B=$(create_mdev mtty-2) || { notok "migrate: create mdev B"; return 1; }
	ok "migrate: mdevs A=$A B=$B"
	T0=$(uptime_s)
	N=0 ALL=0 CUR=$A OTHER=$B CN=A ON=B
	start_qemu 0 "$A"
	if ! wait_console 0 '^STREAM-START' "$MIG_BOOT_TIMEOUT"; then
		show_qemu 0
		forward 0
		notok "migrate: guest on QEMU 0 did not start streaming within ${MIG_BOOT_TIMEOUT}s"
		return 1
	fi
	ok "migrate: guest booted and streams on mdev A ($(($(uptime_s) - T0))s after QEMU start)"
	wait_progress 0 0 30 || { notok "migrate: no stream progress on QEMU 0"; return 1; }
	k=1
	while [ "$k" -le "$MIG_COUNT" ]; do
		what="migration $k (socket, QEMU $N -> $k, mdev $CN -> $ON)"
		rm -f "$MIG_SOCK"
		start_qemu "$k" "$OTHER" -incoming "unix:$MIG_SOCK"
		ALL="$ALL $k"
		if ! wait_for_path "$MIG_SOCK" 60; then
			show_qemu "$k"
			notok "migrate: $what: destination did not listen on $MIG_SOCK within 60s"
			return 1
		fi
		rx=$(last_rx "$N")
		migrate_run "$N" "unix:$MIG_SOCK" "$what" || { show_qemu "$k"; return 1; }
		dst_running "$k" "$what" || return 1
		quit_src "$N" "$what"
		stream_goes_on "$k" "$rx" "$what" || return 1
		_t=$CUR CUR=$OTHER OTHER=$_t _t=$CN CN=$ON ON=$_t N=$k
		k=$((k + 1))
	done
	# through a file: save, quit, restore on the other mdev
	what="file migration (QEMU $N -> $k, mdev $CN -> $ON)"
	rx=$(last_rx "$N")
	migrate_run "$N" "file:$STATE" "$what" || return 1
	comment "migrate: state file $(wc -c <"$STATE") bytes"
	_s=$(hmp_to "$N" "info status")
	check_eq "migrate: $what: source paused after the save" "VM status: paused (postmigrate)" "$_s"
	quit_src "$N" "$what"
	start_qemu "$k" "$OTHER" -incoming "file:$STATE"
	ALL="$ALL $k"
	dst_running "$k" "$what" || return 1
	stream_goes_on "$k" "$rx" "$what" || return 1
	N=$k
	ok "migrate: $((MIG_COUNT + 1)) migrations done $(($(uptime_s) - T0))s after the first QEMU started"
	if con "$N" | grep -q '^STREAM-STOP'; then
		notok "migrate: the guest stopped streaming before the last migration was done (raise MIG_STREAM_SECS)"
	else
		ok "migrate: the guest was still streaming after the last migration"
	fi
	# the guest finishes its stream and powers off
	if wait_exit "$N" $((MIG_STREAM_SECS + 300)); then
		check_eq "migrate: last QEMU ($N) exited after the guest powered off" 0 "$QRC"
	else
		notok "migrate: guest on QEMU $N did not finish within $((MIG_STREAM_SECS + 300))s"
		return 1
	fi
}

dmesg_mark
check "migrate: insmod" load_mtty || exit 0
A='' B='' N=0 ALL=''
run
for i in $ALL; do
	forward "$i"
	show_qemu "$i"
done
cleanup
# The L2 kernel prints "Disabling IRQ #n" (KERN_EMERG, so it reaches the
# console l2init turned down to panics) when it gives up on a stuck line
# ("irq n: nobody cared", in its log scan): name the QEMU it ran on.
irq_ok=1
for i in $ALL; do
	# the kernel's own console line, not l2init's "# klog:" report of it
	d=$(con "$i" | grep '^\[ *[0-9.]*\] Disabling IRQ #' | grep -o 'Disabling IRQ #[0-9]*' | head -n1)
	[ -n "$d" ] || continue
	irq_ok=0
	if [ "$i" -eq 0 ]; then
		notok "migrate: L2 kernel: $d (nobody cared) on QEMU 0, before any migration"
	else
		notok "migrate: L2 kernel: $d (nobody cared) on QEMU $i, after migration $i: the interrupt line stayed asserted"
	fi
done
[ "$irq_ok" -eq 0 ] || ok "migrate: no L2 interrupt line given up (Disabling IRQ) on any QEMU"
res=$(con "$N" | grep '^STREAM-RESULT' | tail -n1)
comment "migrate: guest result: ${res:-none}"
case $res in
*" good") ok "migrate: guest stream intact across $((N)) migrations (${res#STREAM-RESULT })" ;;
*) notok "migrate: guest stream result: ${res:-no STREAM-RESULT line on the console of QEMU $N}" ;;
esac
if con "$N" | grep -q '^# L2 summary: [0-9]* passed, 0 failed' && con "$N" | grep -q '^MTTY-L2-DONE'; then
	ok "migrate: guest finished with no failed check"
else
	notok "migrate: guest did not finish cleanly ($(con "$N" | grep '^# L2 summary' | tail -n1))"
fi
[ -z "$A" ] || check "migrate: remove mdev A" remove_mdev "$A"
[ -z "$B" ] || check "migrate: remove mdev B" remove_mdev "$B"
check "migrate: rmmod" unload_mtty
dmesg_check "migrate"
