#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark step (runs inside L1, busybox sh): our driver against the
# kernel's sample driver (/lib/mtty/sample/mtty.ko), one after the other in
# the same boot (both register the class/parent "mtty").  Driven by
# tests/bench/bench.sh; results are "# BENCH ..." lines the host parses.
#
# Kernel command line options (bench.sh sets them):
#   bench.runs=N        rounds of the L1 measurements, ours and sample
#                       alternating within each round (default 5)
#   bench.regsecs=S     seconds per register-access measurement (0.5)
#   bench.loopsecs=S    seconds per loopback measurement (1)
#   bench.scale=1,16    pool sizes for the create/remove scale test
#                       (default 1,16,256,1024,4096,16384; max_ports is
#                       raised to the largest)
#   bench.scaleruns=N   runs per size through sysfs (3)
#   bench.mdevctl=N     largest size also measured through mdevctl (0: off)
#   bench.l2=0|1        nested-guest throughput (default 1)
#   bench.l2runs=N bench.l2secs=S   runs and seconds per burst in L2
#   bench.deep=PARAMS   insmod parameters that select the 16750-style deep
#                       FIFO (default: auto, see deep_setup)
#   bench.deeptype=T    mdev type with the deep FIFO (default: auto)
# shellcheck source=../../vm/steps/lib.sh disable=SC1091
. /steps/lib.sh

SAMPLE_KO=/lib/mtty/sample/mtty.ko
RUNS=5 REGSECS=0.5 LOOPSECS=1 SCALE=1,16,256,1024,4096,16384 SCALERUNS=3 MDEVCTL_MAX=0
L2=1 L2RUNS=3 L2SECS=4 DEEP=auto DEEPTYPE=auto
read -r CMDLINE </proc/cmdline
for arg in $CMDLINE; do
	case $arg in
	bench.runs=*) RUNS=${arg#*=} ;;
	bench.regsecs=*) REGSECS=${arg#*=} ;;
	bench.loopsecs=*) LOOPSECS=${arg#*=} ;;
	bench.scale=*) SCALE=${arg#*=} ;;
	bench.scaleruns=*) SCALERUNS=${arg#*=} ;;
	bench.mdevctl=*) MDEVCTL_MAX=${arg#*=} ;;
	bench.l2=*) L2=${arg#*=} ;;
	bench.l2runs=*) L2RUNS=${arg#*=} ;;
	bench.l2secs=*) L2SECS=${arg#*=} ;;
	bench.deep=*) DEEP=${arg#*=} ;;
	bench.deeptype=*) DEEPTYPE=${arg#*=} ;;
	esac
done
SCALE=$(echo "$SCALE" | tr ',' ' ')
MAXSCALE=0
for n in $SCALE; do
	[ "$n" -gt "$MAXSCALE" ] && MAXSCALE=$n
done

bench() { echo "# BENCH $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

bench info kernel="$(uname -r)" runs="$RUNS" regsecs="$REGSECS" \
	loopsecs="$LOOPSECS" scale="$(echo "$SCALE" | tr ' ' ',')" \
	l2="$L2" l2runs="$L2RUNS" l2secs="$L2SECS" \
	cpus="$(grep -c '^processor' /proc/cpuinfo)"

if [ ! -f "$SAMPLE_KO" ]; then
	notok "bench: sample driver $SAMPLE_KO missing (run.sh --sample-ko)"
	exit 1
fi
if ! command -v vfio_bench >/dev/null; then
	notok "bench: vfio_bench missing (run.sh --bin build/bench/vfio_bench)"
	exit 1
fi

# drv_load ours|sample [insmod params...]
drv_load() {
	_d=$1
	shift
	if mtty_loaded; then
		remove_all_mdevs
		rmmod mtty || return 1
	fi
	if [ "$_d" = sample ]; then
		MTTY_KO=$SAMPLE_KO load_mtty "$@"
	else
		MTTY_KO=/lib/mtty/mtty.ko load_mtty "$@"
	fi
}

drv_unload() {
	remove_all_mdevs
	rmmod mtty
}

# ---------------------------------------------------------------- deep FIFO
# The deep (16750-style, 64-byte) FIFO is selected, in this order, by
# bench.deeptype / bench.deep, by a type whose directory or name mentions
# 16750 or "deep", or by a module parameter "deep_fifo" of our driver:
# written at run time if it is writable (devices created while it is 1 get
# the deep FIFO), else given to insmod.
DEEP_PARAMS='' DEEP_TYPE='' DEEP_HOW='' DEEP_RW=0
deep_setup() {
	drv_load ours || return 1
	if [ "$DEEPTYPE" != auto ]; then
		DEEP_TYPE=$DEEPTYPE
	elif [ "$DEEP" = auto ]; then
		for t in "$MTTY_TYPES"/*; do
			[ -d "$t" ] || continue
			if echo "${t##*/} $(cat "$t/name" 2>/dev/null)" |
				grep -qiE '16750|deep'; then
				DEEP_TYPE=${t##*/}
				break
			fi
		done
	fi
	if [ -n "$DEEP_TYPE" ]; then
		DEEP_HOW="type:$DEEP_TYPE"
	elif [ "$DEEP" != auto ]; then
		DEEP_PARAMS=$DEEP
		DEEP_TYPE=mtty-2
		DEEP_HOW="insmod:$(echo "$DEEP" | tr ' ' ':')"
	elif [ -e /sys/module/mtty/parameters/deep_fifo ]; then
		DEEP_TYPE=mtty-2
		if [ -w /sys/module/mtty/parameters/deep_fifo ] &&
			echo 0 >/sys/module/mtty/parameters/deep_fifo 2>/dev/null; then
			DEEP_RW=1
			DEEP_HOW="param:deep_fifo=1"
		else
			DEEP_PARAMS=deep_fifo=1
			DEEP_HOW="insmod:deep_fifo=1"
		fi
	fi
	drv_unload
	[ -n "$DEEP_HOW" ]
}

# create_deep: create a deep-FIFO device with the driver loaded for it
create_deep() {
	if [ "$DEEP_RW" = 1 ]; then
		echo 1 >/sys/module/mtty/parameters/deep_fifo || return 1
		_du=$(create_mdev "$DEEP_TYPE")
		_drc=$?
		echo 0 >/sys/module/mtty/parameters/deep_fifo
		[ "$_drc" -eq 0 ] && echo "$_du"
		return "$_drc"
	fi
	create_mdev "$DEEP_TYPE"
}

# ------------------------------------------------------- L1: regs + loop
# l1_round TAG RUN BURSTS [fifo64]: one device, register costs + loopback
l1_round() {
	_tag=$1 _run=$2 _bursts=$3 _mode=${4:-}
	_u=$(create_mdev mtty-2) || { notok "bench $_tag: create mtty-2"; return 1; }
	if [ -z "$_mode" ]; then
		vfio_bench regs "$_u" "$_tag" "$_run" "$REGSECS" ||
			notok "bench $_tag run $_run: vfio_bench regs failed"
	fi
	for _b in $_bursts; do
		# shellcheck disable=SC2086 # $_mode is empty or one word
		vfio_bench loop "$_u" "$_tag" "$_run" "$_b" "$LOOPSECS" $_mode ||
			notok "bench $_tag run $_run: loopback burst $_b failed"
	done
	remove_mdev "$_u"
}

HAVE_DEEP=0
if deep_setup; then
	HAVE_DEEP=1
	bench deep how="$DEEP_HOW"
	comment "bench: deep FIFO via $DEEP_HOW"
else
	bench deep how=pending
	comment "bench: no deep-FIFO option found in the driver (pending)"
fi

echo "# bench: L1 rounds start (uptime $(uptime_s)s)"
r=1
while [ "$r" -le "$RUNS" ]; do
	if drv_load ours; then
		l1_round ours "$r" "15 16"
		drv_unload
	else
		notok "bench: load our mtty.ko"
	fi
	if drv_load sample; then
		# the sample loses data (and wedges) once 16 bytes are queued
		l1_round sample "$r" "15"
		drv_unload
	else
		notok "bench: load the sample mtty.ko"
	fi
	if [ "$HAVE_DEEP" = 1 ]; then
		# shellcheck disable=SC2086 # word splitting of params intended
		if drv_load ours $DEEP_PARAMS; then
			_u=$(create_deep) &&
				for _b in 15 64; do
					vfio_bench loop "$_u" deep "$r" "$_b" "$LOOPSECS" fifo64 ||
						notok "bench deep run $r: loopback burst $_b failed"
				done
			drv_unload
		fi
	fi
	r=$((r + 1))
done
echo "# bench: L1 rounds done (uptime $(uptime_s)s)"

# --------------------------------------------------------------- scale
mdevctl_ok=0
if [ "$MDEVCTL_MAX" -gt 0 ]; then
	if command -v mdevctl >/dev/null; then
		mkdir -p /etc/mdevctl.d/scripts.d/callouts \
			/etc/mdevctl.d/scripts.d/notifiers \
			/usr/lib/mdevctl/scripts.d/callouts \
			/usr/lib/mdevctl/scripts.d/notifiers
		drv_load ours && {
			if mdevctl types >/dev/null 2>&1; then
				mdevctl_ok=1
			else
				comment "bench: mdevctl types: $(mdevctl types 2>&1 | head -n 3)"
			fi
			drv_unload
		}
	else
		comment "bench: mdevctl not in L1 (bench.sh --bin mdevctl)"
	fi
	bench mdevctl available="$mdevctl_ok"
	[ "$mdevctl_ok" = 1 ] || notok "bench: mdevctl usable in L1"
fi

echo "# bench: scale start (uptime $(uptime_s)s)"
if drv_load ours max_ports="$MAXSCALE"; then
	for n in $SCALE; do
		r=1
		while [ "$r" -le "$SCALERUNS" ]; do
			# `mdevctl list` timed once, with the most devices
			_list=''
			[ "$mdevctl_ok" = 1 ] && [ "$n" = "$MAXSCALE" ] &&
				[ "$r" = "$SCALERUNS" ] && _list=list
			# shellcheck disable=SC2086 # $_list is empty or one word
			vfio_bench scale "$MTTY_TYPES" mtty-1 "$n" ours "$r" $_list ||
				notok "bench scale: $n devices via sysfs"
			r=$((r + 1))
		done
		if [ "$mdevctl_ok" = 1 ] && [ "$n" -le "$MDEVCTL_MAX" ]; then
			vfio_bench scale "$MTTY_TYPES" mtty-1 "$n" ours 1 mdevctl mtty ||
				notok "bench scale: $n devices via mdevctl"
		fi
	done
	bench scalemax tag=ours max_ports="$(cat /sys/module/mtty/parameters/max_ports)" \
		avail="$(cat "$MTTY_TYPES/mtty-1/available_instances")"
	drv_unload
else
	notok "bench scale: load our mtty.ko max_ports=$MAXSCALE"
fi
# The sample has a fixed pool of 24 ports.
if drv_load sample; then
	for n in $SCALE; do
		[ "$n" -le 16 ] || continue
		r=1
		while [ "$r" -le "$SCALERUNS" ]; do
			vfio_bench scale "$MTTY_TYPES" mtty-1 "$n" sample "$r" ||
				notok "bench scale: sample, $n devices via sysfs"
			r=$((r + 1))
		done
	done
	drv_unload
fi
echo "# bench: scale done (uptime $(uptime_s)s)"

# --------------------------------------------------------------- L2 guest
# l2_bench DRIVER TAG TYPE BURSTS [insmod params]: one guest, one device.
# With DEEP2=1 a deep-FIFO device is passed as well (00:06.0, tag deep).
l2_bench() {
	_drv=$1 _tag=$2 _type=$3 _bursts=$4
	shift 4
	drv_load "$_drv" "$@" || { notok "bench L2 $_tag: load driver"; return 1; }
	_u=$(create_mdev "$_type") || { notok "bench L2 $_tag: create $_type"; drv_unload; return 1; }
	_app="bench.tag=$_tag bench.bursts=$_bursts bench.runs=$L2RUNS bench.secs=$L2SECS"
	if [ "$DEEP2" = 1 ]; then
		if _u2=$(create_deep); then
			_app="$_app bench.tag2=deep bench.bursts2=15,64,4096"
			L2_APPEND=$_app run_l2 "$_u" -device \
				"vfio-pci,sysfsdev=/sys/bus/mdev/devices/$_u2,addr=06.0" ||
				notok "bench L2 $_tag+deep: guest run"
		else
			notok "bench L2: create a deep-FIFO device"
			L2_APPEND=$_app run_l2 "$_u" || notok "bench L2 $_tag: guest run"
		fi
	else
		L2_APPEND=$_app run_l2 "$_u" || notok "bench L2 $_tag: guest run"
	fi
	drv_unload
}

if [ "$L2" = 1 ]; then
	echo "# bench: L2 start (uptime $(uptime_s)s)"
	# The deep FIFO shares the guest with the default one unless it
	# needs its own insmod parameters.
	DEEP2=0
	[ "$HAVE_DEEP" = 1 ] && [ -z "$DEEP_PARAMS" ] && DEEP2=1
	l2_bench ours ours mtty-2 15,16,4096
	DEEP2=0
	l2_bench sample sample mtty-2 15
	if [ "$HAVE_DEEP" = 1 ] && [ -n "$DEEP_PARAMS" ]; then
		# shellcheck disable=SC2086
		l2_bench ours deep "$DEEP_TYPE" 15,64,4096 $DEEP_PARAMS
	fi
	echo "# bench: L2 done (uptime $(uptime_s)s)"
fi
ok "bench: step finished"
