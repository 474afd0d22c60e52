#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: the whole test suite behind `make check`.  Every phase runs even
# after a failure; each is logged under build/check/<phase>.log and timed,
# and the run ends with the sum of every phase's "N passed, N failed" line
# (test cases), of its "# ...: N assertions checked, N failed" lines (the
# checks inside the cases; a phase without them: one per case) and of its
# "retries: N" lines (early-boot emulator flakes booted again).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# Kernel lines (tests/vm/kernel.sh): every line is built (W=1, the bookworm
# ones on this host, the others in their build roots, scripts/build-root.sh)
# and DKMS built (tests/pkg/check.sh); VM_LINES boot the L1 suite with a
# nested guest; SYSVM_RUNS the operator-stack image, as SUITE:LINE pairs
# (the Debian release of the image, a kernel line of it: bookworm:6.1,
# bookworm:6.12, trixie:trixie, trixie:trixie-backports; SYSVM_LINES="L ..."
# is short for bookworm:L ...).  `make check-full` (MTTY_FULL=1) runs every
# line in every VM kind; `make check` a covering subset that fits its 35
# minutes: the L1 suite on 6.1 and 7.x with one nested guest each (the seed
# checks on 6.1, the QEMU 10 migration on 7.x), the VFIO client suite (region info, resample, the
# migration state machine and golden streams, the host tty backend;
# CLIENT_STEPS) on every other
# line (CLIENT_LINES: 6.12, trixie, unstable), the operator stack on
# Debian 13 (6.12+deb13, the release whose QEMU takes virsh save/restore of
# an mtty card); Debian 12's (bookworm:6.12) is in make check-full and make
# sysvm-test, its systemd/udev/mdevctl/DKMS path in .ci/run's package VM
# test.  VM_LINES, CLIENT_LINES or SYSVM_RUNS set empty: none of that kind.
BUILD_KERNELS=${BUILD_KERNELS:-6.1 6.12 trixie trixie-backports unstable}
if [ -n "${MTTY_FULL:-}" ]; then
	VM_LINES=${VM_LINES-$BUILD_KERNELS}
	sysvm_default="bookworm:6.1 bookworm:6.12 trixie:trixie trixie:trixie-backports"
else
	VM_LINES=${VM_LINES-6.1 trixie-backports}
	sysvm_default="trixie:trixie"
fi
# CLIENT_LINES: the lines booted for the VFIO client steps only (every
# built line not in VM_LINES, unless set); VFIO_BYTES there: 64 KiB
if [ -z "${CLIENT_LINES+set}" ]; then
	CLIENT_LINES=
	for k in $BUILD_KERNELS; do
		case " $VM_LINES " in *" $k "*) ;; *) CLIENT_LINES="$CLIENT_LINES $k" ;; esac
	done
fi
CLIENT_STEPS=${CLIENT_STEPS:-00-smoke,20-sysfs,30-vfio,32-resample,35-mig,36-hosttty}
if [ -z "${SYSVM_RUNS:-}" ] && [ -n "${SYSVM_LINES:-}" ]; then
	# shellcheck disable=SC2086 # a list
	SYSVM_RUNS=$(printf 'bookworm:%s ' $SYSVM_LINES)
fi
SYSVM_RUNS=${SYSVM_RUNS-$sysvm_default}
for r in $SYSVM_RUNS; do
	case $r in
	bookworm:6.1 | bookworm:6.12 | trixie:trixie | trixie:trixie-backports) ;;
	*) echo "check.sh: SYSVM_RUNS: unknown run '$r' (bookworm:6.1, bookworm:6.12, trixie:trixie, trixie:trixie-backports)" >&2; exit 2 ;;
	esac
done
logdir=$top/build/check
rm -rf "$logdir"
mkdir -p "$logdir"
total_pass=0
total_fail=0
total_asserts=0
total_retries=0
summary=()
start_all=$(date +%s)

# phase NAME CMD...: run CMD with its output in build/check/NAME.log, then
# print the log and add its counts to the totals: test cases from its last
# "N passed, N failed" line, assertions from its "N assertions checked"
# comment lines (else one per case), retries from its "retries: N" lines.
phase() {
	phase_run "$@"
	phase_report "$1"
}

# phase_run NAME CMD...: run CMD with its output in build/check/NAME.log,
# its exit status and seconds in NAME.rc (a lane runs its phases in the
# background with this, phase_report counts them afterwards, in order)
phase_run() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" >"$logdir/$name.log" 2>&1 </dev/null
	rc=$?
	echo "$rc $(($(date +%s) - t0))" >"$logdir/$name.rc"
}

# phase_report NAME: print the phase's log and add its counts to the totals
phase_report() {
	local name=$1 log=$logdir/$1.log rc=1 secs=0 p f a r line
	[ -s "$logdir/$name.rc" ] && read -r rc secs <"$logdir/$name.rc"
	rm -f "$logdir/$name.rc"
	echo "=== $name (${secs}s, exit $rc)"
	cat "$log"
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	p=$(printf '%s\n' "$line" | sed -nE 's/.*(^|[: ])([0-9]+) passed, ([0-9]+) failed.*/\2/p')
	f=$(printf '%s\n' "$line" | sed -nE 's/.*(^|[: ])([0-9]+) passed, ([0-9]+) failed.*/\3/p')
	p=${p:-0}
	f=${f:-0}
	a=$(sed -nE 's/^# [^ ].*: ([0-9]+) assertions checked, [0-9]+ failed$/\1/p' "$log" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$a" -gt 0 ] || a=$((p + f))
	r=$(sed -nE 's/^retries: ([0-9]+)$/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	# a phase that failed without counting a failure still counts as one
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_asserts=$((total_asserts + a))
	total_retries=$((total_retries + r))
	summary+=("$(printf '%-16s %5ss  %5s passed, %3s failed  %6s assertions  %s retries (exit %s)' \
		"$name" "$secs" "$p" "$f" "$a" "$r" "$rc")")
}

# build_line LINE: build one line's module, print its ok/not ok line
build_line() {
	local t0
	t0=$(date +%s)
	# stderr (the reason of a failure, where it was built) stays in the log
	if scripts/build-module.sh "$1" >/dev/null; then
		echo "ok - mtty.ko builds warning-free (W=1) against Debian $1 ($(($(date +%s) - t0))s)"
	else
		echo "not ok - mtty.ko build against Debian $1"
	fi
}

# Two builds at a time, one per core: the lines from this host's apt
# (6.1, 6.12) in turn beside those from the other suites, each in its own
# build root (a root, a kernel download and a suite's apt lists are each
# made under their own lock).
build_modules() {
	local k out n bad lines=" $BUILD_KERNELS " host='' other=''
	# the VM phases need their kernels' modules even if not in BUILD_KERNELS
	# shellcheck disable=SC2086 # a list
	for k in $VM_LINES $CLIENT_LINES $(printf '%s\n' $SYSVM_RUNS | sed 's/^[^:]*://'); do
		case $lines in *" $k "*) ;; *) lines="$lines$k " ;; esac
	done
	for k in $lines; do
		case $k in 6.1 | 6.12) host="$host $k" ;; *) other="$other $k" ;; esac
	done
	out=$logdir/build.other
	# shellcheck disable=SC2086 # lists
	{ for k in $other; do build_line "$k"; done >"$out" 2>&1; } &
	# shellcheck disable=SC2086
	for k in $host; do build_line "$k"; done | tee "$logdir/build.host"
	wait $!
	cat "$out"
	n=$(cat "$logdir/build.host" "$out" | grep -c '^ok - ')
	bad=$(cat "$logdir/build.host" "$out" | grep -c '^not ok - ')
	rm -f "$out" "$logdir/build.host"
	echo "build: $n passed, $bad failed"
	[ "$bad" -eq 0 ]
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

# the unit programs each close with "NAME: N passed, N failed" (test cases);
# the phase reports their sum
unit_tests() {
	local out rc
	out=$(make -s unit 2>&1)
	rc=$?
	printf '%s\n' "$out"
	printf '%s\n' "$out" | awk '/^unit[a-z-]*: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
		END { printf "unit (all programs): %d passed, %d failed\n", p, f }'
	return $rc
}

# prep_images: fill the cache the VM phases read (their kernels, the
# operator-stack images of SYSVM_RUNS' releases and of MTTY_PREP_SUITES,
# which .ci/run sets for its package VM test) while the static phases run;
# warm, a few cache lookups.  Not a test: a failure here shows in the VM
# phase that builds the same thing again under the same lock.
prep_images() {
	local s
	# shellcheck disable=SC2086 # lists
	for s in $({ printf '%s\n' $SYSVM_RUNS | sed 's/:.*//'; printf '%s\n' ${MTTY_PREP_SUITES:-}; } | sort -u); do
		tests/sysvm/mkrootfs.sh --suite "$s" || echo "prep: image $s not built (its VM phase tries again)"
	done
}

# The static phases in two lanes, one per core (the build runs two module
# builds itself; the others are single-threaded), reported in order once
# both are done.
{
	phase_run build build_modules
	phase_run pkg tests/pkg/check.sh
} &
lane_a=$!
phase_run lint scripts/lint.sh
phase_run unit unit_tests
phase_run tools build_tools
phase_run fuzz-model make -s fuzz-check
phase_run security tests/fuzz/security.sh
phase_run fleet tests/fleet/check.sh
phase_run sysvm-static tests/sysvm/static.sh
prep_images >"$logdir/prep.log" 2>&1 </dev/null
wait "$lane_a"
for n in lint unit tools fuzz-model security fleet sysvm-static build pkg; do
	phase_report "$n"
done
echo "=== prep (cache for the VM phases)"
cat "$logdir/prep.log"

# VM phases, one VM at a time: the nested guests boot most reliably on an
# otherwise idle host.
# --qemu10: QEMU 10 in L1 for the end-to-end migration step (70-migrate,
# docs/migration.md); the other nested guests keep QEMU 7.2.
# The QEMU 10 end-to-end migration (70-migrate, about 4 minutes) runs on
# MIGRATE_LINES, the nested guest of the seed checks, the host-tty
# exchange and the counting smoke (60-nested, about 2 minutes) on
# NESTED_LINES; make check: one nested guest per VM line, 60-nested on 6.1,
# 70-migrate on 7.3 (issue 12 asks for a QEMU 10 stream migration on two
# lines: the second is the operator stack's virsh save/restore of a
# streaming guest on Debian 13's 6.12, with Debian 13's own QEMU 10; the
# VFIO-client migration suite, 35-mig, runs on every line); make
# check-full: both everywhere.
if [ -n "${MTTY_FULL:-}" ]; then
	MIGRATE_LINES=${MIGRATE_LINES-$VM_LINES}
	NESTED_LINES=${NESTED_LINES-$VM_LINES}
else
	MIGRATE_LINES=${MIGRATE_LINES-trixie-backports}
	NESTED_LINES=${NESTED_LINES-6.1}
fi
all_steps=$(cd tests/vm/steps && for f in [0-9]*.sh; do
	n=${f%.sh}
	printf '%s ' "${n#*-}"
done)
# Sizes on the VM lines (kernel command-line words the steps read as
# variables).  make check: 256 KiB per port in 30-vfio's mtty-2 run
# (VFIO_BYTES; 1 MiB costs about 25 s more per line) and a 70-migrate of
# two socket migrations and one through a file in a 100 s stream
# (MIG_COUNT, MIG_STREAM_SECS: the three end 35-50 s into it).  make
# check-full: the steps' defaults (1 MiB; four socket migrations in 120 s,
# which end 55-66 s into it) and 36-hosttty with 1 MiB each way per port
# (HOSTTTY_BYTES, issue 14; about 110 s of L1 time per line) instead of
# 64 KiB.
if [ -n "${MTTY_FULL:-}" ]; then
	vm_append=(--append HOSTTTY_BYTES=1048576)
else
	vm_append=(--append "VFIO_BYTES=262144 MIG_COUNT=2 MIG_STREAM_SECS=100")
fi
for k in $VM_LINES; do
	steps=
	# QEMU 10 in L1 only where 70-migrate runs (a larger L1 initramfs)
	q10=()
	for n in $all_steps; do
		case $n in
		migrate) case " $MIGRATE_LINES " in *" $k "*) q10=(--qemu10) ;; *) continue ;; esac ;;
		nested) case " $NESTED_LINES " in *" $k "*) ;; *) continue ;; esac ;;
		esac
		steps=$steps${steps:+,}$n
	done
	phase "vm-$k" tests/vm/run.sh --kernel "$k" -q "${q10[@]}" --steps "$steps" \
		"${vm_append[@]}" \
		--ko "build/$k/driver/mtty.ko" --bin build/vfio_client \
		--bin build/vfio_fuzz --bin build/vfio_mig \
		--bin build/vfio_resample --bin build/vfio_hosttty --bin build/hmp \
		--bin build/tty_peer --l2init build/l2init
done
# The VFIO client steps on the other lines: each is booted once
for k in $CLIENT_LINES; do
	phase "vm-$k-client" tests/vm/run.sh --kernel "$k" -q --steps "$CLIENT_STEPS" \
		--append VFIO_BYTES=65536 --ko "build/$k/driver/mtty.ko" \
		--bin build/vfio_client --bin build/vfio_mig --bin build/vfio_resample \
		--bin build/vfio_hosttty
done
# The operator stack on a booted Debian 12 or 13 systemd host (issues 3,
# 11): the package installed with make install, systemd/udev/mdevctl/
# libvirt, a libvirt guest with hot-plug; one shared cached image per
# release, kernels in turn.
for r in $SYSVM_RUNS; do
	s=${r%%:*} k=${r#*:}
	if [ "$s" = bookworm ]; then n=sysvm-$k; else n=sysvm-$s-$k; fi
	phase "$n" tests/sysvm/run.sh --suite "$s" --kernel "$k" -q --ko "build/$k/driver/mtty.ko"
done

echo
echo "=== make check summary (logs in build/check/)"
printf '%s\n' "${summary[@]}"
echo "total time: $(($(date +%s) - start_all))s"
echo "retries: $total_retries"
echo "# check: $total_asserts assertions checked in the test cases"
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
