#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh -- boot a Debian kernel under QEMU/TCG and run the mtty VM steps.
#
#   run.sh --kernel 6.1|6.12 [--ko path/to/mtty.ko] [--steps a,b]
#          [--sample-ko ko] [--bin file]... [--l2init file] [--l2file file]...
#          [--extra-steps dir]... [--l1elf file]... [--l1file file[:path]]...
#          [--timeout S] [--step-timeout S] [--append "kernel args"] [-q]
#          [--bzimage] [--qemu10]
#
# --qemu10 adds QEMU 10 (tests/vm/qemu.sh 10, extracted from
# bookworm-backports) to the initramfs at /opt/qemu10 for the end-to-end
# migration step (70-migrate); the nested guests of the other steps keep
# Debian 12's QEMU 7.2.
#
# L1 boots the uncompressed vmlinux directly (PVH entry; saves the 5-10 s
# of in-guest decompression under TCG); --bzimage boots vmlinuz instead.
#
# Prints the console log live (unless -q), then one line per test case
# (a step, a step's nested guest, the L1 init itself) with its assertions
# (the ok/not ok lines), the failed checks, and at the end
#   # vm-LINE: N assertions checked, N failed
#   retries: N              (early-boot flakes retried, L1 and nested)
#   vm-LINE: N passed, N failed    (test cases)
# Exit status 0 only if nothing failed, something passed and the L1 init
# reached MTTY-L1-DONE.  --ko defaults to build/LINE/driver/mtty.ko (what
# scripts/build-module.sh LINE writes).
# Logs: build/vm-logs/<kver>/console-<time>.log (latest.log -> newest).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"

usage() {
	sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

LINE='' KO='' STEPS='' TIMEOUT=2400 STEP_TIMEOUT='' APPEND='' QUIET='' BZIMAGE='' QEMU10=''
MK_ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) LINE=$2; shift ;;
	--ko) KO=$2; shift ;;
	--steps) STEPS=$2; shift ;;
	--sample-ko | --bin | --l2init | --l2file | --extra-steps | --l1elf | --l1file)
		MK_ARGS+=("$1" "$2")
		shift
		;;
	--timeout) TIMEOUT=$2; shift ;;
	--step-timeout) STEP_TIMEOUT=$2; shift ;;
	--append) APPEND=$2; shift ;;
	-q | --quiet) QUIET=1 ;;
	--bzimage) BZIMAGE=1 ;;
	--qemu10) QEMU10=1 ;;
	-h | --help) usage ;;
	*) log "unknown argument: $1"; usage ;;
	esac
	shift
done
[ -n "$LINE" ] || usage

ENV_FILE=$("$VM_DIR/kernel.sh" "$LINE")
# shellcheck disable=SC1090
. "$ENV_FILE"

if [ -z "$KO" ]; then
	KO=$REPO_DIR/build/$LINE/driver/mtty.ko
	[ -f "$KO" ] || die "no --ko given and no $KO (scripts/build-module.sh $LINE)"
fi
[ -f "$KO" ] || die "no such module: $KO"

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

LOGDIR=$REPO_DIR/build/vm-logs/$KVER
mkdir -p "$LOGDIR"
STAMP=$(date +%Y%m%d-%H%M%S)
LOG=$LOGDIR/console-$STAMP-$$.log
CPIO=$MTTY_CACHE/initramfs/.l1-$$.cpio
cleanup() { rm -f "$CPIO"; }
trap cleanup EXIT

if [ -n "$QEMU10" ]; then
	q10=$("$VM_DIR/qemu.sh" 10) || die "tests/vm/qemu.sh 10 failed"
	MK_ARGS+=(--qemu10 "$(dirname "$q10")")
fi

t0=$(date +%s.%N)
"$VM_DIR/mkinitramfs.sh" --env "$ENV_FILE" --ko "$KO" ${MK_ARGS[@]+"${MK_ARGS[@]}"} \
	-o "$CPIO" >/dev/null
t1=$(date +%s.%N)
log "kernel $KVER, module $KO, initramfs $(du -h "$CPIO" | cut -f1) in $(elapsed "$t0" "$t1")s"

# loglevel=5: a trace before init reaches the console (boot_flake needs
# it); the init lowers the console level to 1 as its first act.
CMDLINE="console=ttyS0 loglevel=5 panic=-1 printk.devkmsg=on log_buf_len=8M"
[ -z "$STEPS" ] || CMDLINE="$CMDLINE mtty.steps=$STEPS"
[ -z "$STEP_TIMEOUT" ] || CMDLINE="$CMDLINE mtty.step_timeout=$STEP_TIMEOUT"
[ -z "$APPEND" ] || CMDLINE="$CMDLINE $APPEND"

L1_KERNEL=$VMLINUX
[ -z "$BZIMAGE" ] || L1_KERNEL=$VMLINUZ
vm_lock
# -la57: with 5-level paging, QEMU 7.2 TCG breaks L1 userspace (readlink
# of /proc/self/exe returns garbage and every static glibc program aborts).
# boot_l1: run the L1 VM with its console in $LOG; sets rc.
boot_l1() {
	log "booting L1 ${L1_KERNEL##*/} (timeout ${TIMEOUT}s), log: $LOG"
	: >"$LOG"
	ln -sfn "${LOG##*/}" "$LOGDIR/latest.log"
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -M pc -cpu "${MTTY_L1_CPU:-max,-svm,-la57}" \
		-smp "${MTTY_L1_SMP:-2}" -m 3G -nodefaults -display none -no-reboot \
		-kernel "$L1_KERNEL" -initrd "$CPIO" -append "$CMDLINE" \
		-serial "file:$LOG" </dev/null >"$LOG.qemu" 2>&1 &
	QPID=$!
	if [ -z "$QUIET" ]; then
		tail -n +1 -F --pid="$QPID" "$LOG" 2>/dev/null | tr -d '\r' &
		TPID=$!
	fi
	rc=0
	wait "$QPID" || rc=$?
	if [ -z "$QUIET" ]; then
		wait "$TPID" 2>/dev/null || true
	fi
}
boot_l1
# Retry once, and say so, only on a recognised early-boot emulator flake
# (boot_flake, tests/lib/lib.sh: e.g. an int3 Oops while the kernel patches
# its own text, before init and before any device probe); a timeout, a run
# whose init started or any other death is never retried.
retries=0
if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && flake=$(boot_flake "$LOG"); then
	retry_note L1 "$LOG" "$flake (qemu status $rc)"
	retries=1
	LOG=${LOG%.log}-retry.log
	boot_l1
fi
t2=$(date +%s.%N)
rm -f "$CPIO"

# Drop old logs (keep the newest 30 per kernel).
find "$LOGDIR" -maxdepth 1 -name 'console-*.log' | sort | head -n -30 |
	while read -r f; do rm -f "$f" "$f.qemu"; done

CLEAN=$(tr -d '\r' <"$LOG")
done_marker=$(printf '%s\n' "$CLEAN" | grep -c '^MTTY-L1-DONE' || true)

echo
echo "==== $KVER: qemu status $rc, wall $(elapsed "$t1" "$t2")s, log $LOG"
if [ -s "$LOG.qemu" ]; then
	sed 's/^/qemu: /' "$LOG.qemu"
fi
# Test cases: each step ("# case: step NAME", printed by the L1 init), the
# nested guest of a step (its "L2" lines) and the L1 init outside the steps;
# the ok/not ok lines are their assertions (tally_cases, tests/lib/host.sh).
tally_cases "vm-$LINE" "$LOG"
passed=$TALLY_PASS failed=$TALLY_FAIL asserts=$TALLY_ASSERTS afailed=$TALLY_AFAIL
if [ "$done_marker" -eq 0 ]; then
	why="no MTTY-L1-DONE"
	case $rc in 124 | 137) why="$why: timed out after ${TIMEOUT}s" ;; esac
	echo "---- last 40 console lines:"
	printf '%s\n' "$CLEAN" | tail -n 40 | sed 's/^/console| /'
	echo "----"
	echo "not ok - vm-$LINE: L1 did not finish ($why)"
	failed=$((failed + 1))
fi
if [ "$afailed" -gt 0 ]; then
	echo "failed checks:"
	printf '%s\n' "$CLEAN" | grep '^not ok - ' | sed 's/^/  /' || true
fi
if [ "$passed" -eq 0 ]; then
	echo "# no test case passed"
fi
echo "# vm-$LINE: $asserts assertions checked, $afailed failed"
# the L1 retry and the nested guests' (run_l2 in the steps)
echo "retries: $((retries + TALLY_RETRIES))"
echo "vm-$LINE: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "$done_marker" -gt 0 ]
