#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Migration benchmark step (runs inside L1, busybox sh; driven by
# tests/bench/migbench.sh): QEMU 10 (/opt/qemu10, run.sh --qemu10) live-
# migrates a nested VM with an mtty-2 mdev between two mdevs A and B over a
# unix socket, with our driver and with the kernel's sample
# (/lib/mtty/sample/mtty.ko), one after the other in the same boot,
# interleaved: round 1 ours, sample; round 2 ours, sample; ...
#
# Two scenarios per driver and round:
#   idle    QEMU without a guest kernel (SeaBIOS finds nothing to boot and
#           halts): the card as the firmware left it; cheap (no L2 boot)
#   stream  the L2 guest (tests/bench/l2bench.c as /init) loops a checked
#           byte sequence through ttyS1 with at most 15 bytes in flight
#           (the sample loses data at 16) while it is migrated
# Per migration a "# BENCH mig ..." record: QEMU's own figures from the
# source's "info migrate" (downtime, total time, RAM, sync count) and the
# device's state stream counted from QEMU's trace events (-trace, log
# backend, one file per QEMU): vfio_save_block (one per read of the
# migration data fd that returned data, with its size) split at the
# device's move to STOP_COPY into pre-copy and stop-copy, vfio_save_iterate
# (pre-copy iterations), vfio_state_pending_exact (the stop-copy size the
# driver announced last) and, on the destination, vfio_load_state_device_data
# (bytes written into the destination's data fd).
# Checks: every migration completes, the destination runs, the bytes loaded
# equal the bytes saved and are not zero; our guest's stream is intact.  The
# sample's stream outcome is recorded ("# BENCH migstream"), not asserted.
#
# Kernel command line options (migbench.sh sets them):
#   migbench.rounds=N   ABAB rounds (default 2)
#   migbench.idle=N     migrations per idle VM (5; 0: no idle scenario)
#   migbench.stream=N   migrations per streaming guest (3; 0: none)
#   migbench.secs=S     guest streaming time (default 30 + 25 per migration)
#   migbench.drivers=ours,sample   drivers to measure (default both)
# shellcheck source=../../vm/steps/lib.sh disable=SC1091
. /steps/lib.sh

Q10=/opt/qemu10
QEMU10=$Q10/bin/qemu-system-x86_64
HMP=/usr/bin/hmp
SAMPLE_KO=/lib/mtty/sample/mtty.ko
OUR_KO=/lib/mtty/mtty.ko
ROUNDS=2 IDLE=5 STREAM=3 SECS='' DRIVERS=ours,sample
MIG_VFIO_OPTS=enable-migration=on,x-device-dirty-page-tracking=off
BOOT_TIMEOUT=400 MIG_TIMEOUT=180
read -r CMDLINE </proc/cmdline
for arg in $CMDLINE; do
	case $arg in
	migbench.rounds=*) ROUNDS=${arg#*=} ;;
	migbench.idle=*) IDLE=${arg#*=} ;;
	migbench.stream=*) STREAM=${arg#*=} ;;
	migbench.secs=*) SECS=${arg#*=} ;;
	migbench.drivers=*) DRIVERS=${arg#*=} ;;
	esac
done
[ -n "$SECS" ] || SECS=$((30 + 25 * STREAM))
DRIVERS=$(echo "$DRIVERS" | tr ',' ' ')
W=/tmp/migbench
SOCK=$W/mig.sock
KV=$(uname -r)

bench() { echo "# BENCH $*"; }
uptime_s() { cut -d. -f1 /proc/uptime; }

# the L2 payload only for the streaming guest (idle needs no guest kernel)
need="$QEMU10 $HMP"
case " $DRIVERS " in *" sample "*) need="$need $SAMPLE_KO" ;; esac
[ "$STREAM" -eq 0 ] || need="$need /l2/vmlinux /l2/initramfs.cpio"
for f in $need; do
	if [ ! -e "$f" ]; then
		notok "migbench: $f missing (migbench.sh passes --qemu10, --bin build/hmp, --sample-ko, --l2init)"
		exit 0
	fi
done
[ ! -d $Q10/lib/qemu ] || export QEMU_MODULE_DIR=$Q10/lib/qemu
bench miginfo kernel="$KV" qemu="$(tr ' ' '_' <$Q10/version)" rounds="$ROUNDS" \
	idle="$IDLE" stream="$STREAM" secs="$SECS" vfio="$MIG_VFIO_OPTS"
rm -rf "$W"
mkdir -p "$W"

# trace events of the figures (log backend into -D FILE)
printf '%s\n' vfio_save_setup vfio_save_block vfio_save_block_precopy_empty_hit \
	vfio_save_iterate vfio_save_complete_precopy vfio_state_pending_exact \
	vfio_migration_set_state vfio_load_state_device_data >"$W/events"

# qstart N UUID SCEN TAG [qemu args]: start QEMU N on mdev UUID, scenario
# idle (no kernel) or stream (the L2 guest), sets PID_N.
qstart() {
	_n=$1 _u=$2 _sc=$3 _tag=$4
	shift 4
	: >"$W/con-$_n.log"
	if [ "$_sc" = stream ]; then
		set -- -kernel /l2/vmlinux -initrd /l2/initramfs.cpio -append \
			"console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq bench.tag=$_tag bench.bursts=15 bench.runs=1 bench.secs=$SECS bench.idle=60" \
			"$@"
	fi
	timeout -s KILL $((BOOT_TIMEOUT + SECS + 900)) \
		"$QEMU10" -L $Q10/share/qemu -accel tcg -M pc -m 256 \
		-nodefaults -display none -no-reboot \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$_u,addr=05.0,$MIG_VFIO_OPTS" \
		-serial "file:$W/con-$_n.log" \
		-monitor "unix:$W/mon-$_n.sock,server,nowait" \
		-trace "events=$W/events" -D "$W/trace-$_n.log" \
		"$@" </dev/null >"$W/qemu-$_n.log" 2>&1 &
	eval "PID_$_n=\$!"
	ALL="$ALL $_n"
}

pid_of() { eval "echo \"\$PID_$1\""; }
# (busybox sh has no local variables: each helper has names of its own)
alive() {
	_ps=$(cut -d' ' -f3 "/proc/$(pid_of "$1")/stat" 2>/dev/null) && [ "$_ps" != Z ]
}
hmp_to() { "$HMP" -t 60 "$W/mon-$1.sock" "$2"; }
con() { tr -d '\r' <"$W/con-$1.log"; }
show_qemu() { [ ! -s "$W/qemu-$1.log" ] || sed "s/^/# qemu $1: /" "$W/qemu-$1.log"; }

# wait_exit N SECS: sets QRC
wait_exit() {
	_wend=$(($(uptime_s) + $2))
	while alive "$1"; do
		[ "$(uptime_s)" -lt "$_wend" ] || return 1
		sleep 1
	done
	wait "$(pid_of "$1")"
	QRC=$?
}

kill_all() {
	for _i in $ALL; do
		if alive "$_i"; then
			kill -KILL "$(pid_of "$_i")" 2>/dev/null
			wait "$(pid_of "$_i")" 2>/dev/null
		fi
	done
	ALL=''
}

# info_val TEXT KEY: the number after "KEY:" in "info migrate" output
info_val() {
	printf '%s\n' "$1" | awk -v k="$2" '
		{ l = tolower($0); sub(/^ */, "", l) }
		index(l, k ":") == 1 { s = substr(l, length(k) + 2); sub(/^ */, "", s); sub(/[^0-9.].*/, "", s); print s; exit }'
}

# save_stats FILE FROM: device figures from the source's trace after line
# FROM: pre_bytes pre_reads stop_bytes stop_reads iters empty pend_stop ret
# bufsize (QEMU's read buffer: the data size the driver announced at setup,
# at most 1 MiB)
save_stats() {
	awk -v from="$2" '
		function num(key,   s) {
			if (!match($0, key " -?[0-9]+")) return -1
			s = substr($0, RSTART + length(key) + 1, RLENGTH - length(key) - 1)
			return s + 0
		}
		NR <= from { next }
		$1 == "vfio_migration_set_state" && /new state STOP_COPY/ { stop = 1 }
		$1 == "vfio_save_block" {
			n = num("data_size")
			if (stop) { sb += n; sr++ } else { pb += n; pr++ }
		}
		$1 == "vfio_save_iterate" { it++ }
		$1 == "vfio_save_block_precopy_empty_hit" { em++ }
		$1 == "vfio_state_pending_exact" { ps = num("stopcopy size") }
		$1 == "vfio_save_complete_precopy" { ret = num("ret") }
		$1 == "vfio_save_setup" { buf = num("data buffer size") }
		END { printf "%d %d %d %d %d %d %d %s %d\n", pb, pr, sb, sr, it, em,
			ps == "" ? -1 : ps, ret == "" ? "none" : ret, buf == "" ? -1 : buf }' "$1"
}

# load_stats FILE: bytes and chunks written into the destination's data fd
load_stats() {
	awk '$1 == "vfio_load_state_device_data" {
			if (match($0, /size [0-9]+/)) { b += substr($0, RSTART + 5, RLENGTH - 5); c++ } }
		END { printf "%d %d\n", b, c }' "$1"
}

# migrate SRC DST DRV ROUND SCEN K: one socket migration SRC -> DST (DST
# already started with -incoming) with its record and checks.
migrate() {
	_s=$1 _d=$2 _what="migbench $3 $5 round $4 migration $6"
	_from=$(wc -l <"$W/trace-$_s.log" 2>/dev/null || echo 0)
	_streaming=na
	if [ "$5" = stream ]; then
		_streaming=1
		con "$_s" | grep -q '^# BENCH guest ' && _streaming=0
	fi
	_out=$(hmp_to "$_s" "migrate -d unix:$SOCK")
	if [ -n "$_out" ]; then
		notok "$_what: 'migrate -d' refused: $(printf '%s' "$_out" | tr '\n' ' ')"
		return 1
	fi
	_end=$(($(uptime_s) + MIG_TIMEOUT))
	while :; do
		_info=$(hmp_to "$_s" "info migrate") || { notok "$_what: monitor"; return 1; }
		_st=$(printf '%s\n' "$_info" | awk 'tolower($0) ~ /^ *(migration )?status:/ { sub(/^[^:]*: */, ""); print; exit }')
		case $_st in
		completed | failed | cancelled) break ;;
		esac
		if [ "$(uptime_s)" -ge "$_end" ]; then
			_st=timeout
			break
		fi
		sleep 1
	done
	# the destination has loaded once it runs
	_run=0 _end=$(($(uptime_s) + 60))
	while [ "$_st" = completed ] && [ "$(uptime_s)" -lt "$_end" ]; do
		case $(hmp_to "$_d" "info status") in
		*"status: running"*) _run=1; break ;;
		esac
		alive "$_d" || break
		sleep 1
	done
	# shellcheck disable=SC2046 # word splitting of the numbers intended
	set -- "$3" "$4" "$5" "$6" $(save_stats "$W/trace-$_s.log" "$_from") \
		$(load_stats "$W/trace-$_d.log")
	bench mig drv="$1" round="$2" scen="$3" k="$4" status="$_st" \
		downtime_ms="$(info_val "$_info" downtime)" \
		total_ms="$(info_val "$_info" "total time")" \
		setup_ms="$(info_val "$_info" setup)" \
		ram_kb="$(info_val "$_info" "transferred ram")" \
		syncs="$(info_val "$_info" "dirty sync count")" \
		vfio_kb="$(info_val "$_info" "vfio device transferred")" \
		pre_bytes="$5" pre_reads="$6" stop_bytes="$7" stop_reads="$8" \
		iters="$9" empty="${10}" pending_stop="${11}" complete_ret="${12}" \
		bufsize="${13}" load_bytes="${14}" load_chunks="${15}" streaming="$_streaming"
	if [ "$_st" != completed ]; then
		printf '%s\n' "$_info" | sed 's/^/# info migrate: /'
		show_qemu "$_s"
		show_qemu "$_d"
		notok "$_what: migration $_st"
		return 1
	fi
	check_eq "$_what: destination running" 1 "$_run" || { show_qemu "$_d"; return 1; }
	_saved=$(($5 + $7))
	if [ "$_saved" -gt 0 ] && [ "$_saved" -eq "${14}" ]; then
		ok "$_what: completed, device state $_saved bytes saved ($5 pre-copy in $6 reads, $7 stop-copy in $8 reads) = bytes loaded, downtime $(info_val "$_info" downtime) ms"
	else
		notok "$_what: device state saved $_saved bytes ($5 + $7), loaded ${14}"
	fi
	hmp_to "$_s" quit >/dev/null
	if wait_exit "$_s" 30; then
		check_eq "$_what: source QEMU quit cleanly" 0 "$QRC"
	else
		notok "$_what: source QEMU still running 30 s after quit"
	fi
}

# scenario DRV ROUND SCEN COUNT: a VM on A, COUNT migrations A->B->A...
scenario() {
	_drv=$1 _r=$2 _sc=$3 _cnt=$4
	_w="migbench $_drv $_sc round $_r"
	ALL='' QN=$((QN + 1))
	_cur=$QN _src=$A _dst=$B
	qstart "$_cur" "$_src" "$_sc" "$_drv"
	if [ "$_sc" = stream ]; then
		_end=$(($(uptime_s) + BOOT_TIMEOUT))
		while ! con "$_cur" | grep -q '^# BENCH guestuart '; do
			if ! alive "$_cur" || [ "$(uptime_s)" -ge "$_end" ]; then
				show_qemu "$_cur"
				con "$_cur" | tail -n 20 | sed 's/^/# con: /'
				notok "$_w: guest did not start its stream"
				kill_all
				return 1
			fi
			sleep 1
		done
		sleep 5
	else
		sleep 3
		alive "$_cur" || { show_qemu "$_cur"; notok "$_w: QEMU exited"; return 1; }
	fi
	_k=1
	while [ "$_k" -le "$_cnt" ]; do
		QN=$((QN + 1))
		rm -f "$SOCK"
		qstart "$QN" "$_dst" "$_sc" "$_drv" -incoming "unix:$SOCK"
		if ! wait_for_path "$SOCK" 60; then
			show_qemu "$QN"
			notok "$_w: destination did not listen"
			kill_all
			return 1
		fi
		migrate "$_cur" "$QN" "$_drv" "$_r" "$_sc" "$_k" || { kill_all; return 1; }
		_cur=$QN _t=$_src _src=$_dst _dst=$_t
		_k=$((_k + 1))
	done
	if [ "$_sc" = idle ]; then
		hmp_to "$_cur" quit >/dev/null
		wait_exit "$_cur" 30 || notok "$_w: last QEMU did not quit"
		kill_all
		return 0
	fi
	# the guest finishes its stream and powers off
	if ! wait_exit "$_cur" $((SECS + 300)); then
		if [ "$_drv" = ours ]; then
			notok "$_w: guest did not finish"
		else
			comment "$_w: guest did not finish (recorded, not asserted)"
		fi
	fi
	_res=$(con "$_cur" | grep '^# BENCH guest tag=' | tail -n1)
	_res=${_res#\# BENCH guest }
	bench migstream drv="$_drv" round="$_r" migrations="$_cnt" "${_res:-missing=1}"
	case $_drv:$_res in
	ours:*" bad=0 lost=0 wedged=0 "*)
		ok "$_w: guest stream intact across $_cnt migrations ($_res)" ;;
	ours:*)
		con "$_cur" | tail -n 20 | sed 's/^/# con: /'
		notok "$_w: guest stream after $_cnt migrations: ${_res:-no result}" ;;
	*) comment "$_w: guest stream (recorded, not asserted): ${_res:-no result}" ;;
	esac
	kill_all
}

QN=0 ALL='' A='' B=''
dmesg_mark
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for drv in $DRIVERS; do
		if mtty_loaded; then
			remove_all_mdevs
			rmmod mtty
		fi
		ko=$OUR_KO
		[ "$drv" = sample ] && ko=$SAMPLE_KO
		if ! MTTY_KO=$ko load_mtty; then
			notok "migbench: load $drv ($ko)"
			continue
		fi
		if ! A=$(create_mdev mtty-2) || ! B=$(create_mdev mtty-2); then
			notok "migbench: $drv: create two mtty-2"
			continue
		fi
		[ "$IDLE" -eq 0 ] || scenario "$drv" "$r" idle "$IDLE"
		[ "$STREAM" -eq 0 ] || scenario "$drv" "$r" stream "$STREAM"
		remove_all_mdevs
		check "migbench: rmmod $drv, round $r" rmmod mtty
	done
	r=$((r + 1))
done
dmesg_check "migbench"
