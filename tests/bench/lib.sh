# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared by the benchmark drivers (bench.sh, count.sh, migbench.sh): what
# to do with one L1 run of tests/vm/run.sh once it is over.
#
# bench_collect OUT RAW RC [PATTERN]
#   OUT: run.sh's output; RAW: where the "BENCH ..." records go; RC: run.sh's
#   exit status; PATTERN (grep -a, default 'BENCH '): the console lines that
#   are records, each cut to start at "BENCH ".
#   Sets BENCH_CONSOLELOG (run.sh's console log, from its "==== ..., log PATH"
#   line), BENCH_PASS and BENCH_FAIL (run.sh's closing "[vm-LINE: ]N passed, N failed",
#   test cases; BENCH_FAIL is at least 1 if that line is missing or RC is not 0).
#   Returns 1, with OUT on stderr, when there is no console log.

# shellcheck disable=SC2034 # the BENCH_* results are the caller's
bench_collect() {
	local out=$1 raw=$2 rc=$3 pattern=${4:-BENCH }
	local re='^\(vm-[^ ]*: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed$'

	BENCH_CONSOLELOG=$(sed -n 's/^==== .*, log \(.*\)$/\1/p' "$out" | tail -n1)
	if [ -z "$BENCH_CONSOLELOG" ] || [ ! -f "$BENCH_CONSOLELOG" ]; then
		cat "$out" >&2
		return 1
	fi
	tr -d '\r' <"$BENCH_CONSOLELOG" | grep -a -- "$pattern" |
		sed 's/^.*BENCH /BENCH /' >"$raw" || true
	BENCH_PASS=$(sed -n "s/$re/\\2/p" "$out" | tail -n1)
	BENCH_FAIL=$(sed -n "s/$re/\\3/p" "$out" | tail -n1)
	BENCH_PASS=${BENCH_PASS:-0} BENCH_FAIL=${BENCH_FAIL:-1}
	[ "$rc" -eq 0 ] || [ "$BENCH_FAIL" -gt 0 ] || BENCH_FAIL=1
}
