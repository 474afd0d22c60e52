#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: the whole test suite behind `make check`.  Runs every phase even
# after a failure, logs each under build/check/, times it, and ends with the
# sum of every phase's "N passed, N failed" line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KERNELS=${KERNELS:-6.1 6.12}
logdir=$top/build/check
mkdir -p "$logdir"
total_pass=0
total_fail=0
summary=()
start_all=$(date +%s)

# phase NAME CMD...: run, tee the output to a log, add up its counts.
phase() {
	local name=$1 log=$logdir/$1.log t0 rc p f line
	shift
	t0=$(date +%s)
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	p=$(printf '%s\n' "$line" | sed -nE 's/.*(^|[: ])([0-9]+) passed, ([0-9]+) failed.*/\2/p')
	f=$(printf '%s\n' "$line" | sed -nE 's/.*(^|[: ])([0-9]+) passed, ([0-9]+) failed.*/\3/p')
	p=${p:-0}
	f=${f:-0}
	# a phase that failed without counting a failure still counts as one
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$(printf '%-22s %4ss  %s passed, %s failed (rc %s)' "$name" \
		$(($(date +%s) - t0)) "$p" "$f" "$rc")")
}

build_modules() {
	local k n=0 bad=0
	for k in $KERNELS; do
		if scripts/build-module.sh "$k" >/dev/null; then
			echo "ok - mtty.ko builds warning-free (W=1) against Debian $k"
			n=$((n + 1))
		else
			echo "not ok - mtty.ko build against Debian $k"
			bad=$((bad + 1))
		fi
	done
	echo "build: $n passed, $bad failed"
	[ $bad -eq 0 ]
}

build_tools() {
	if make -s tools; then
		echo "ok - static test programs build (-Wall -Wextra -Werror)"
		echo "tools: 1 passed, 0 failed"
	else
		echo "not ok - static test programs"
		echo "tools: 0 passed, 1 failed"
		return 1
	fi
}

phase lint scripts/lint.sh
phase unit make -s unit
phase build build_modules
phase tools build_tools
for k in $KERNELS; do
	phase "vm-$k" tests/vm/run.sh --kernel "$k" \
		--ko "build/$k/driver/mtty.ko" --bin build/vfio_client \
		--l2init build/l2init
done

echo
echo "=== make check summary (logs in build/check/)"
printf '%s\n' "${summary[@]}"
echo "total time: $(($(date +%s) - start_all))s"
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
