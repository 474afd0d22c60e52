# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared by the benchmark drivers (bench.sh, count.sh, migbench.sh): what
# to do with one L1 run of tests/vm/run.sh once it is over, and what their
# reports say about the sample.
#
# bench_collect OUT RAW RC [PATTERN]
#   OUT: run.sh's output; RAW: where the "BENCH ..." records go; RC: run.sh's
#   exit status; PATTERN (grep -a, default 'BENCH '): the console lines that
#   are records, each cut to start at "BENCH ".
#   Sets BENCH_CONSOLELOG (run.sh's console log, from its "==== ..., log PATH"
#   line), BENCH_PASS and BENCH_FAIL (run.sh's closing "[vm-LINE: ]N passed, N failed",
#   test cases; BENCH_FAIL is at least 1 if that line is missing or RC is not 0).
#   Returns 1, with OUT on stderr, when there is no console log.
#
# bench_sample_origin SAMPLE_KO KVER
#   One markdown line (no "- sample: " prefix): what the sample module
#   SAMPLE_KO (tests/bench/sample.sh's output) was built from, the Debian
#   package and version its build dir recorded in "source", and how
#   ("compat").
#
# bench_run_notes LINE SAMPLE_KO KVER SECS RAW [EXTRA...]
#   The "## Run" section of a report on one L1 run, after bench_collect
#   (BENCH_PASS, BENCH_FAIL, BENCH_CONSOLELOG): date and host, our module
#   (build/LINE), the sample (bench_sample_origin), the VM run's SECS and
#   checks, each EXTRA as a "- " line, the raw records file RAW (a link
#   beside the report), and the failed checks of the console log, if any.

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

bench_sample_origin() {
	local dir=${1%/*} kver=$2 origin compat
	origin=$(cat "$dir/source" 2>/dev/null) || origin=''
	[ -n "$origin" ] || origin="an unrecorded source (no $dir/source)"
	compat=$(cat "$dir/compat" 2>/dev/null) || compat=''
	# shellcheck disable=SC2016 # markdown backquotes
	printf '`samples/vfio-mdev/mtty.c` from %s, built out of tree by tests/bench/sample.sh for %s, compat: %s' \
		"$origin" "$kver" "${compat:-?}"
	case $compat in
	6.1-shim) printf ' (tests/bench/sample-compat.h force-included and the iommufd / migration-data-size ops initialisers dropped, nothing else changed)' ;;
	esac
	printf '\n'
}

bench_run_notes() {
	local line=$1 sample=$2 kver=$3 secs=$4 raw=$5 e
	shift 5
	echo "## Run"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), host: $(nproc) CPUs, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- our module: \`build/$line/driver/mtty.ko\` (version $(cat "$REPO/VERSION" 2>/dev/null || echo '?'), git $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?'))"
	echo "- sample: $(bench_sample_origin "$sample" "$kver")"
	echo "- VM run: $secs s including the wait for the VM lock; checks: $BENCH_PASS passed, $BENCH_FAIL failed (console log: \`${BENCH_CONSOLELOG#"$REPO"/}\`)"
	for e in "$@"; do
		echo "- $e"
	done
	echo "- raw records: [${raw##*/}](${raw##*/})"
	if [ "$BENCH_FAIL" -gt 0 ]; then
		echo
		echo "**Failed checks in this run:**"
		echo
		tr -d '\r' <"$BENCH_CONSOLELOG" | grep -a '^not ok - ' | sed 's/^/    /' | head -n 30
	fi
}
