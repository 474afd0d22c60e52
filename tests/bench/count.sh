#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# count.sh -- the counted benchmark (issue 15): per kernel line, our driver
# and the kernel's sample in the nested guest, QEMU's VFIO trace events as
# the counter.
#
#   count.sh [--kernels "6.1 6.12"] [--sizes 8192,16384] [--out DIR]
#
# Per kernel line: builds the sample (tests/bench/sample.sh) and l2bench,
# boots one L1 VM (tests/vm/run.sh, under the shared VM lock) running
# tests/bench/steps/55-count.sh, collects its "# BENCH" records and writes
# (tests/bench/countreport.sh)
#   OUT/<date>-<kver>-counts.md        tables: per byte, per register, per
#                                      guest interrupt; the 8250 floor
#   OUT/<date>-<kver>-counts.svg       chart (gnuplot, if installed)
#   OUT/<date>-<kver>-counts.raw.txt   the records themselves
# OUT defaults to bench/results.  Our module must already be built
# (make modules).  Environment: MTTY_CACHE (default /var/cache/mtty),
# COUNT_OURS / COUNT_SAMPLE / COUNT_DEEP (bytes in flight, defaults
# 15,16,64,4096 / 15,1 / 15,64,4096), COUNT_APPEND (more words for the L1
# command line, e.g. COUNT_DEFER_US=20000: our module's intx_defer_us).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
export MTTY_CACHE

log() { printf 'count: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"

KERNELS="6.1 6.12" SIZES=8192,16384 OUT=$REPO/bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) KERNELS=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '/^#   count.sh/,/^set -e/{s/^# \{0,1\}//;/^set -e/d;p}' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
mkdir -p "$OUT" "$REPO/build/bench"

BUILD=$REPO/build/bench
gcc -static -O2 -Wall -Wextra -Werror -pthread -I"$REPO/tests/lib" -o "$BUILD/l2bench" \
	"$BENCH_DIR/l2bench.c" "$REPO/tests/lib/tap.c"

DATE=$(date +%Y-%m-%d)
total_pass=0 total_fail=0

run_kernel() {
	local line=$1 ko sample env kver prefix raw out notes append t0 t1 rc=0 pass fail
	ko=$REPO/build/$line/driver/mtty.ko
	[ -f "$ko" ] || die "$ko missing (make modules)"
	sample=$("$BENCH_DIR/sample.sh" "$line")
	env=$("$REPO/tests/vm/kernel.sh" "$line")
	kver=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$env")
	prefix=$OUT/$DATE-$kver-counts
	raw=$prefix.raw.txt
	out=$BUILD/count-run-$line.out
	append="count.sizes=$SIZES count.ours=${COUNT_OURS:-15,16,64,4096}"
	append="$append count.sample=${COUNT_SAMPLE:-15,1} count.deep=${COUNT_DEEP:-15,64,4096}"
	append="$append${COUNT_APPEND:+ $COUNT_APPEND}"

	log "$line: waiting for the VM lock, then booting L1 ($kver)"
	mkdir -p "$MTTY_CACHE/locks"
	t0=$(date +%s)
	flock "$MTTY_CACHE/locks/vm.lock" "$REPO/tests/vm/run.sh" --kernel "$line" -q \
		--ko "$ko" --sample-ko "$sample" --l2init "$BUILD/l2bench" \
		--extra-steps "$BENCH_DIR/steps" --steps 55-count \
		--step-timeout 5400 --timeout 6000 \
		--append "$append" >"$out" 2>&1 || rc=$?
	t1=$(date +%s)
	bench_collect "$out" "$raw" "$rc" || die "$line: no console log from run.sh"
	pass=$BENCH_PASS fail=$BENCH_FAIL

	notes=$BUILD/count-notes-$line.md
	# shellcheck disable=SC2016 # markdown backquotes
	bench_run_notes "$line" "$sample" "$kver" "$((t1 - t0))" "$raw" \
		"command: \`${COUNT_APPEND:+COUNT_APPEND=\"$COUNT_APPEND\" }tests/bench/count.sh --kernels $line --sizes $SIZES\` (L1 step tests/bench/steps/55-count.sh)" \
		>"$notes"
	"$BENCH_DIR/countreport.sh" "$raw" "$kver" "$prefix" "$notes" >/dev/null
	log "$line: $prefix.md ($pass passed, $fail failed, $((t1 - t0)) s)"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

for k in $KERNELS; do
	run_kernel "$k"
done
echo "count: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
