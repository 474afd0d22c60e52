#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# migbench.sh -- live-migration figures of our mtty driver beside the
# kernel's sample driver (issue 12 item 4), measured in the same VM run.
#
#   migbench.sh [--kernels "6.12"] [--rounds N] [--idle N] [--stream N]
#               [--secs S] [--smoke] [--out DIR]
#
# Per kernel line (the sample has migration from 6.7: 6.12 and newer; the
# sample is built by tests/bench/sample.sh), one L1 VM (tests/vm/run.sh
# --qemu10, under the shared VM lock) runs tests/bench/steps/60-migbench.sh:
# N rounds, each ours then the sample (ABAB), each with an idle VM (no guest
# kernel) migrated --idle times and a guest streaming through ttyS1
# migrated --stream times, QEMU 10 over a unix socket.  Writes
#   OUT/<date>-<kver>-migration.md    tables (medians, min/max, ratios)
#   OUT/<date>-<kver>-migration.csv   one row per migration
#   OUT/<date>-<kver>-migration.raw.txt   the records themselves
# Defaults: --rounds 2 --idle 5 --stream 3 (about 12 minutes of VM).
#
# --smoke: one round, one idle migration per driver, no guest, on the
# first kernel, into build/bench/migsmoke; fails unless both drivers
# produced a completed record with device bytes and the VM run had no
# failed check.  For make check (about 3 minutes).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
export MTTY_CACHE

log() { printf 'migbench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"

KERNELS=6.12 ROUNDS=2 IDLE=5 STREAM=3 SECS='' SMOKE='' OUT=$REPO/bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) KERNELS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--idle) IDLE=$2; shift ;;
	--stream) STREAM=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--smoke) SMOKE=1 ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '/^#   migbench.sh/,/^set -e/{s/^# \{0,1\}//;/^set -e/d;p}' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
if [ -n "$SMOKE" ]; then
	KERNELS=${KERNELS%% *} ROUNDS=1 IDLE=1 STREAM=0
	OUT=$REPO/build/bench/migsmoke
fi
for v in "$ROUNDS" "$IDLE" "$STREAM"; do
	case $v in '' | *[!0-9]*) die "--rounds/--idle/--stream want numbers" ;; esac
done
BUILD=$REPO/build/bench
mkdir -p "$OUT" "$BUILD"

# the L2 guest's /init and the HMP client
gcc -static -O2 -Wall -Wextra -Werror -pthread -I"$REPO/tests/lib" \
	-o "$BUILD/l2bench" "$BENCH_DIR/l2bench.c" "$REPO/tests/lib/tap.c"
make -C "$REPO" -s build/hmp

DATE=$(date +%Y-%m-%d)
# what the VM run is made of (HEAD may move while it waits for the lock)
GITREV=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')
total_pass=0 total_fail=0

run_kernel() {
	local line=$1 ko sample env kver prefix raw out append consolelog t0 t1 rc=0 pass fail
	local l2arg=()
	# the streaming guest's /init (the idle VM boots no guest kernel)
	[ "$STREAM" -eq 0 ] || l2arg=(--l2init "$BUILD/l2bench")
	ko=$REPO/build/$line/driver/mtty.ko
	[ -f "$ko" ] || die "$ko missing (scripts/build-module.sh $line)"
	sample=$("$BENCH_DIR/sample.sh" "$line")
	env=$("$REPO/tests/vm/kernel.sh" "$line")
	kver=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$env")
	prefix=$OUT/$DATE-$kver-migration
	raw=$prefix.raw.txt
	out=$BUILD/${SMOKE:+smoke-}migrun-$line.out
	append="migbench.rounds=$ROUNDS migbench.idle=$IDLE migbench.stream=$STREAM"
	[ -z "$SECS" ] || append="$append migbench.secs=$SECS"

	log "$line: booting L1 ($kver) once the VM lock is free"
	t0=$(date +%s)
	"$REPO/tests/vm/run.sh" --kernel "$line" -q --qemu10 --ko "$ko" \
		--sample-ko "$sample" --bin "$REPO/build/hmp" "${l2arg[@]}" \
		--extra-steps "$BENCH_DIR/steps" --steps 60-migbench \
		--append "$append" >"$out" 2>&1 || rc=$?
	t1=$(date +%s)
	bench_collect "$out" "$raw" "$rc" '^# BENCH ' || die "$line: no console log from run.sh"
	consolelog=$BENCH_CONSOLELOG pass=$BENCH_PASS fail=$BENCH_FAIL
	if [ "$fail" -gt 0 ]; then
		grep -a '^not ok - \|^  not ok - ' "$out" | head -n 30 >&2 || true
	fi
	{
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), host: $(nproc) CPUs, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "- our module: \`build/$line/driver/mtty.ko\` (version $(cat "$REPO/VERSION" 2>/dev/null || echo '?'), git $GITREV at the start)"
		echo "- sample: $(bench_sample_origin "$sample" "$kver")"
		echo "- VM run: $((t1 - t0)) s including the wait for the VM lock; test cases: $pass passed, $fail failed (console log: \`${consolelog#"$REPO"/}\`)"
		echo "- parameters: \`$append\`"
	} >"$BUILD/${SMOKE:+smoke-}mignotes-$line.md"
	"$BENCH_DIR/migreport.sh" "$raw" "$kver" "$prefix" "$BUILD/${SMOKE:+smoke-}mignotes-$line.md"
	log "$line: $prefix.md ($pass passed, $fail failed, $((t1 - t0)) s)"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	if [ -n "$SMOKE" ]; then
		smoke_check "$raw"
	fi
}

# both drivers migrated with counted device bytes
smoke_check() {
	local raw=$1 drv
	for drv in ours sample; do
		if grep -Eq "^BENCH mig drv=$drv .*status=completed downtime_ms=[0-9]+ .* load_bytes=[1-9]" "$raw"; then
			echo "ok - migbench-smoke: $drv: a completed migration with downtime and device bytes"
			total_pass=$((total_pass + 1))
		else
			echo "not ok - migbench-smoke: $drv: no completed migration record with downtime and device bytes"
			total_fail=$((total_fail + 1))
		fi
	done
}

for k in $KERNELS; do
	run_kernel "$k"
done
echo "migbench${SMOKE:+-smoke}: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
