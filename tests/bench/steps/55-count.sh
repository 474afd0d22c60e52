#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Counted benchmark step (issue 15; runs inside L1, busybox sh): the nested
# guest (/init = tests/bench/l2bench.c in count mode) moves a fixed number
# of bytes through ttyS1 per phase, on our driver and on the kernel's
# sample, while the L2 QEMU traces its VFIO events (tests/vm/steps/qtrace.sh).
# Driven by tests/bench/count.sh; results are "# BENCH cphase" lines (the
# guest: bytes, guest interrupts per phase) and "# BENCH ctrace" lines
# (QEMU: region accesses per register, INTx events, EOIs/unmasks per
# phase), joined on tag + mark by tests/bench/countreport.sh.
#
# Kernel command line options (count.sh sets them):
#   count.sizes=8192,16384   bytes per transfer phase (two sizes: linearity)
#   count.ours=15,16,64,4096 bytes in flight, our driver (mtty-2)
#   count.sample=15,1        bytes in flight, the sample (mtty-2)
#   count.deep=15,64,4096    bytes in flight, our deep-FIFO device switched
#                            to the 16750 in the guest (empty: skip)
# shellcheck source=../../vm/steps/lib.sh disable=SC1091
. /steps/lib.sh
# shellcheck source=../../vm/steps/qtrace.sh disable=SC1091
. /steps/qtrace.sh

SAMPLE_KO=/lib/mtty/sample/mtty.ko
SIZES=8192,16384 OURS=15,16,64,4096 SAMPLE=15,1 DEEP=15,64,4096
read -r CMDLINE </proc/cmdline
for arg in $CMDLINE; do
	case $arg in
	count.sizes=*) SIZES=${arg#*=} ;;
	count.ours=*) OURS=${arg#*=} ;;
	count.sample=*) SAMPLE=${arg#*=} ;;
	count.deep=*) DEEP=${arg#*=} ;;
	esac
done
# shellcheck disable=SC2034 # read by run_l2
L2_TIMEOUT=${L2_TIMEOUT_COUNT:-2400}
EVENTS=$(qtrace_events)

echo "# BENCH cinfo kernel=$(uname -r) sizes=$SIZES ours=$OURS sample=$SAMPLE deep=$DEEP qemu=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')"

# drv_load ours|sample
drv_load() {
	if mtty_loaded; then
		remove_all_mdevs
		rmmod mtty || return 1
	fi
	if [ "$1" = sample ]; then
		MTTY_KO=$SAMPLE_KO load_mtty
	else
		# the INTx deferral: the module's default (2000) unless
		# COUNT_DEFER_US is on the L1 command line (run.sh --append
		# COUNT_DEFER_US=0 counts the immediate re-signal)
		MTTY_KO=/lib/mtty/mtty.ko load_mtty \
			${COUNT_DEFER_US:+"intx_defer_us=$COUNT_DEFER_US"}
	fi
}

# count_guest DRIVER TAG BURSTS [DEEP_BURSTS]: one L2 guest, one traced run
count_guest() {
	_drv=$1 _tag=$2 _bursts=$3 _deep=${4:-} _u2=
	dmesg_mark
	drv_load "$_drv" || { notok "count $_tag: load the driver"; return 1; }
	_u=$(create_mdev mtty-2) || { notok "count $_tag: create mtty-2"; return 1; }
	_app="bench.tag=$_tag bench.bursts=$_bursts bench.count=$SIZES"
	_map="$_u=$_tag"
	set --
	if [ -n "$_deep" ]; then
		# a deep-FIFO (16750-capable) device: created while deep_fifo=1
		if echo 1 >/sys/module/mtty/parameters/deep_fifo &&
			_u2=$(create_mdev mtty-2); then
			echo 0 >/sys/module/mtty/parameters/deep_fifo
			_app="$_app bench.tag2=deep16750 bench.bursts2=$_deep bench.uart2=16750"
			_map="$_map,$_u2=deep16750"
			set -- -device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$_u2,addr=06.0"
		else
			notok "count: create a deep-FIFO device (deep_fifo=1)"
		fi
	fi
	if L2_TRACE=$EVENTS L2_APPEND=$_app run_l2 "$_u" "$@"; then
		ok "count $_tag: guest run"
	else
		notok "count $_tag: guest run"
	fi
	if [ -s "$L2_LOG.trace" ]; then
		ok "count $_tag: QEMU trace of $(wc -l <"$L2_LOG.trace") events"
		qtrace_count "$L2_LOG.trace" "$_map"
	else
		notok "count $_tag: no QEMU trace ($L2_LOG.trace)"
	fi
	rm -f "$L2_LOG.trace"
	if [ "$_drv" = ours ]; then
		# our driver's own counters (the sample has none)
		for _x in "$_u=$_tag" ${_u2:+"$_u2=deep16750"}; do
			_s=/sys/bus/mdev/devices/${_x%%=*}/stats
			echo "# BENCH cstats tag=${_x#*=} intx=$(cat "$_s/intx_signals") timer=$(cat "$_s/intx_timer_signals")"
		done
	fi
	remove_all_mdevs
	rmmod mtty || notok "count $_tag: rmmod"
	dmesg_check "count $_tag"
}

[ -f "$SAMPLE_KO" ] || notok "count: sample driver $SAMPLE_KO missing (run.sh --sample-ko)"
count_guest ours ours "$OURS" "$DEEP"
[ -f "$SAMPLE_KO" ] && count_guest sample sample "$SAMPLE"
ok "count: step finished"
