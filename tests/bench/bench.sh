#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh -- benchmark our mtty driver against the kernel's sample driver.
#
#   bench.sh [--kernels "6.1 6.12"] [--smoke] [--runs N] [--no-l2]
#            [--mdevctl-max N] [--scale 1,16,256,1024,4096,16384] [--out DIR]
#
# Per kernel line: builds the sample (tests/bench/sample.sh), boots one L1
# VM (tests/vm/run.sh, under the shared VM lock) that runs
# tests/bench/steps/50-bench.sh, collects its "# BENCH" records and writes
#   OUT/<date>-<kver>.md              tables (medians, min/max, ratios)
#   OUT/<date>-<kver>-throughput.svg  chart (gnuplot, if installed)
#   OUT/<date>-<kver>-scale.svg       chart
#   OUT/<date>-<kver>.raw.txt         the records themselves
# and refreshes the "latest" links in bench/README.md.  OUT defaults to
# bench/results.  Our module must already be built (make modules).
#
# --smoke: a < 2 minute sanity run (first kernel only, 1 short round, no L2,
# scale 1 and 16) into build/bench/smoke; fails unless every kind of record
# came out and the VM run had no failed check.  For make check.
#
# Environment: MTTY_CACHE (default /var/cache/mtty), BENCH_DEEP (insmod
# parameters selecting the deep FIFO, default: auto-detect in the VM),
# BENCH_DEEP_TYPE (mdev type with the deep FIFO, default: auto-detect).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
export MTTY_CACHE

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"

KERNELS="6.1 6.12" SMOKE='' RUNS=5 L2=1 MDEVCTL_MAX=256 SCALE=1,16,256,1024,4096,16384
OUT=$REPO/bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) KERNELS=$2; shift ;;
	--smoke) SMOKE=1 ;;
	--runs) RUNS=$2; shift ;;
	--no-l2) L2=0 ;;
	--mdevctl-max) MDEVCTL_MAX=$2; shift ;;
	--scale) SCALE=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '/^#   bench.sh/,/^set -e/{s/^# \{0,1\}//;/^set -e/d;p}' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

REGSECS=0.5 LOOPSECS=1 SCALERUNS=3 L2RUNS=3 L2SECS=4
if [ -n "$SMOKE" ]; then
	KERNELS=${KERNELS%% *}
	RUNS=1 REGSECS=0.1 LOOPSECS=0.3 SCALE=1,16 SCALERUNS=1 L2=0
	[ "$MDEVCTL_MAX" -gt 16 ] && MDEVCTL_MAX=16
	OUT=$REPO/build/bench/smoke
fi
case $RUNS in '' | *[!0-9]*) die "--runs wants a number" ;; esac
mkdir -p "$OUT" "$REPO/build/bench"

# ------------------------------------------------------------------ tools
BUILD=$REPO/build/bench
CFLAGS="-static -O2 -Wall -Wextra -Werror"
# shellcheck disable=SC2086
gcc $CFLAGS -I"$REPO/tests/lib" -I"$REPO/driver" -o "$BUILD/vfio_bench" \
	"$BENCH_DIR/vfio_bench.c" "$REPO/tests/lib/tap.c" "$REPO/tests/lib/vfio_dev.c"
# shellcheck disable=SC2086
gcc $CFLAGS -pthread -I"$REPO/tests/lib" -o "$BUILD/l2bench" \
	"$BENCH_DIR/l2bench.c" "$REPO/tests/lib/tap.c"

# mdevctl (Debian's Rust binary, needs only libc and libgcc_s, which L1 has
# for QEMU): taken from the cached .deb, never installed on the host.
MDEVCTL=''
get_mdevctl() {
	local dir=$MTTY_CACHE/bench/mdevctl deb tmp
	if [ -x "$dir/mdevctl" ]; then
		MDEVCTL=$dir/mdevctl
		return 0
	fi
	mkdir -p "$MTTY_CACHE/debs" "$dir"
	deb=$(find "$MTTY_CACHE/debs" -maxdepth 1 -name 'mdevctl_*_amd64.deb' | sort -V | tail -n1)
	if [ -z "$deb" ]; then
		(cd "$MTTY_CACHE/debs" && apt-get download -q mdevctl >&2) || return 1
		deb=$(find "$MTTY_CACHE/debs" -maxdepth 1 -name 'mdevctl_*_amd64.deb' | sort -V | tail -n1)
	fi
	[ -n "$deb" ] || return 1
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp" && cp "$tmp/usr/bin/mdevctl" "$dir/mdevctl.tmp" &&
		mv -f "$dir/mdevctl.tmp" "$dir/mdevctl"
	rm -rf "$tmp"
	[ -x "$dir/mdevctl" ] && MDEVCTL=$dir/mdevctl
}
if [ "$MDEVCTL_MAX" -gt 0 ]; then
	get_mdevctl || log "warning: no mdevctl binary (apt-get download mdevctl failed); skipping the mdevctl path"
fi
[ -n "$MDEVCTL" ] || MDEVCTL_MAX=0

# The step reaches the VM through run.sh: --steps-dir if the bed has it,
# otherwise as a --bin file that the step list names by path.
STEP=$BENCH_DIR/steps/50-bench.sh
STEP_ARGS=()
if grep -q -- '--steps-dir' "$REPO/tests/vm/run.sh"; then
	STEP_ARGS=(--steps-dir "$BENCH_DIR/steps" --steps 50-bench)
else
	STEP_ARGS=(--bin "$STEP" --steps ../usr/bin/50-bench.sh)
fi

DATE=$(date +%Y-%m-%d)
total_fail=0 total_pass=0
summary=()

run_kernel() {
	local line=$1 ko sample env kver prefix raw out notes append t0 t1 rc=0
	local pass fail mdevbin=() l2arg=()
	ko=$REPO/build/$line/driver/mtty.ko
	[ -f "$ko" ] || die "$ko missing (make modules)"
	sample=$("$BENCH_DIR/sample.sh" "$line")
	env=$("$REPO/tests/vm/kernel.sh" "$line")
	kver=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$env")
	prefix=$OUT/$DATE-$kver
	raw=$prefix.raw.txt
	out=$BUILD/${SMOKE:+smoke-}run-$line.out
	append="bench.runs=$RUNS bench.regsecs=$REGSECS bench.loopsecs=$LOOPSECS"
	append="$append bench.scale=$SCALE bench.scaleruns=$SCALERUNS bench.mdevctl=$MDEVCTL_MAX"
	append="$append bench.l2=$L2 bench.l2runs=$L2RUNS bench.l2secs=$L2SECS"
	[ -z "${BENCH_DEEP:-}" ] || append="$append bench.deep=$BENCH_DEEP"
	[ -z "${BENCH_DEEP_TYPE:-}" ] || append="$append bench.deeptype=$BENCH_DEEP_TYPE"
	[ -z "$MDEVCTL" ] || mdevbin=(--bin "$MDEVCTL")
	[ "$L2" = 0 ] || l2arg=(--l2init "$BUILD/l2bench")

	log "$line: waiting for the VM lock, then booting L1 ($kver)"
	mkdir -p "$MTTY_CACHE/locks"
	t0=$(date +%s)
	flock "$MTTY_CACHE/locks/vm.lock" "$REPO/tests/vm/run.sh" --kernel "$line" -q \
		--ko "$ko" --sample-ko "$sample" --bin "$BUILD/vfio_bench" \
		"${mdevbin[@]}" "${l2arg[@]}" "${STEP_ARGS[@]}" \
		--append "$append" >"$out" 2>&1 || rc=$?
	t1=$(date +%s)
	bench_collect "$out" "$raw" "$rc" || die "$line: no console log from run.sh"
	pass=$BENCH_PASS fail=$BENCH_FAIL

	notes=$BUILD/${SMOKE:+smoke-}notes-$line.md
	# shellcheck disable=SC2016 # markdown backquotes
	bench_run_notes "$line" "$sample" "$kver" "$((t1 - t0))" "$raw" \
		"parameters: \`$append\`" \
		"mdevctl: $([ -n "$MDEVCTL" ] && echo "Debian's /usr/bin/mdevctl copied into L1 (sizes up to $MDEVCTL_MAX)" || echo 'not available, path not measured')" \
		>"$notes"
	"$BENCH_DIR/report.sh" "$raw" "$kver" "$prefix" "$notes" >/dev/null
	log "$line: $prefix.md ($pass passed, $fail failed, $((t1 - t0)) s)"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	summary+=("$kver:$DATE-$kver")

	if [ -n "$SMOKE" ]; then
		smoke_check "$raw"
	fi
}

# Every kind of record the smoke run must produce.
smoke_check() {
	local raw=$1 want
	for want in 'regs tag=ours .*test=lsr_read' 'regs tag=sample .*test=lsr_read' \
		'regs tag=ours .*test=floor_badregion' 'loop tag=ours .*burst=16' \
		'loop tag=sample .*burst=15' 'scale tag=ours .*via=sysfs n=16' \
		'scale tag=sample .*via=sysfs n=16'; do
		if grep -q "^BENCH $want" "$raw"; then
			echo "ok - bench-smoke: record $want"
			total_pass=$((total_pass + 1))
		else
			echo "not ok - bench-smoke: record $want"
			total_fail=$((total_fail + 1))
		fi
	done
}

update_readme() {
	local readme=$REPO/bench/README.md tmp entry
	[ -f "$readme" ] || return 0
	grep -q '<!-- latest-begin -->' "$readme" || return 0
	tmp=$(mktemp)
	{
		sed -n '1,/<!-- latest-begin -->/p' "$readme"
		for entry in "${summary[@]}"; do
			echo "- \`${entry%%:*}\`: [results/${entry#*:}.md](results/${entry#*:}.md)"
		done
		sed -n '/<!-- latest-end -->/,$p' "$readme"
	} >"$tmp"
	cat "$tmp" >"$readme"
	rm -f "$tmp"
}

for k in $KERNELS; do
	run_kernel "$k"
done
if [ -z "$SMOKE" ] && [ "$OUT" = "$REPO/bench/results" ]; then
	update_readme
fi
echo "bench${SMOKE:+-smoke}: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
