# SPDX-License-Identifier: GPL-2.0-only
# lib.sh -- the one shell library of the mtty tests: result lines and their
# counts, the kernel-log check with the one list of bad patterns, and the
# recognised early-boot emulator flakes.  POSIX sh: sourced by the host
# scripts (bash) and, staged as /usr/lib/mtty-tests/lib.sh, by the scripts
# inside the VMs (busybox sh in the L1/L2 initramfs, bash in the Debian
# images).  Under bash it also brings the host-side VM helpers (host.sh:
# images, staging, the VM lock, booting the systemd VM).
#
# Result protocol:
#   ok - <desc>        a passed check       (counted in MTTY_PASS)
#   not ok - <desc>    a failed check       (counted in MTTY_FAILED)
#   # ...              comment
#   NAME: N passed, N failed    closing line (tap_done)
# shellcheck shell=sh

MTTY_PASS=${MTTY_PASS:-0}
MTTY_FAILED=${MTTY_FAILED:-0}
# MTTY_TAP_PREFIX: put before every description (e.g. "L2 " in a guest)
MTTY_TAP_PREFIX=${MTTY_TAP_PREFIX:-}

ok() {
	echo "ok - $MTTY_TAP_PREFIX$*"
	MTTY_PASS=$((MTTY_PASS + 1))
}
notok() {
	echo "not ok - $MTTY_TAP_PREFIX$*"
	MTTY_FAILED=$((MTTY_FAILED + 1))
}
# comment TEXT...: every line of TEXT as a "# " line
comment() { printf '%s\n' "$*" | sed 's/^/# /'; }

# check "desc" cmd [args...]: ok if the command exits 0.
check() {
	_desc=$1
	shift
	if "$@"; then
		ok "$_desc"
	else
		_rc=$?
		notok "$_desc (exit $_rc: $*)"
		return 1
	fi
}

# check_fail "desc" cmd [args...]: ok if the command fails (exit != 0).
check_fail() {
	_desc=$1
	shift
	if "$@"; then
		notok "$_desc (unexpectedly succeeded: $*)"
		return 1
	else
		ok "$_desc"
	fi
}

# check_eq "desc" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1 (expected '$2', got '$3')"
		return 1
	fi
}

# tap_done NAME: the closing line "NAME: N passed, N failed"; true if
# something passed and nothing failed.
tap_done() {
	echo "$1: $MTTY_PASS passed, $MTTY_FAILED failed"
	[ "$MTTY_FAILED" -eq 0 ] && [ "$MTTY_PASS" -gt 0 ]
}

# --- kernel log ------------------------------------------------------------
# The one list of kernel-log reports that fail a test, used by every kernel
# log check (VM steps, nested guests, the systemd and package VMs).
MTTY_KLOG_BAD='WARNING:|BUG:|kernel BUG|Oops|cut here|refcount|lockdep|possible circular locking|circular locking|possible recursive locking|Call Trace|general protection|[Kk]ernel panic|KASAN|UBSAN|list_(add|del) corruption|slab-out-of-bounds|use-after-free|hung_task|blocked for more than|INFO: task .* blocked|nobody cared|soft lockup|hard LOCKUP|RCU stall|rcu_sched self-detected|Tainted: .*[DW]'

# klog_bad: the lines of stdin (a kernel log) that match MTTY_KLOG_BAD;
# status 0 if there is one, 1 if none, 2 if grep failed.
klog_bad() { grep -E "$MTTY_KLOG_BAD"; }

# wait_until SECONDS CMD...: run CMD every 0.3 s until it succeeds; 1
# after SECONDS of /proc/uptime (busybox usleep).  wait_text FILE TEXT
# SECONDS: until TEXT (a fixed string) is in FILE, as a person watches a
# terminal's screen; wait_file FILE SECONDS: until FILE exists.
wait_until() {
	_wt_end=$(($(cut -d. -f1 /proc/uptime) + $1))
	shift
	until "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_wt_end" ] || return 1
		usleep 300000
	done
}
wait_text() { wait_until "$3" grep -aqF -- "$2" "$1"; }
wait_file() { wait_until "$2" test -e "$1"; }

# klog_check NAME [LOG]: ok "NAME: kernel log clean" if LOG (default: all
# of dmesg) reports none of MTTY_KLOG_BAD, else not ok with the reports
# and their context as "# dmesg: " lines.  A log that cannot be read fails.
klog_check() {
	if [ $# -ge 2 ]; then
		_kl=$2
	elif ! _kl=$(dmesg) || [ -z "$_kl" ]; then
		notok "$1: kernel log readable"
		return 1
	fi
	printf '%s\n' "$_kl" | klog_bad >/dev/null
	case $? in
	0)
		printf '%s\n' "$_kl" | grep -E -B2 -A12 "$MTTY_KLOG_BAD" | head -n 80 |
			sed 's/^/# dmesg: /'
		notok "$1: kernel log clean"
		return 1
		;;
	1) ok "$1: kernel log clean" ;;
	*)
		notok "$1: kernel log check (grep failed)"
		return 1
		;;
	esac
}

# --- early-boot emulator flakes --------------------------------------------
# boot_flake CONSOLE_LOG: print the name of the known TCG early-boot flake
# (docs/testing.md, "VM steps") the log shows and return 0; return 1 for
# anything else.  Recognised only before the guest's init started
# (MTTY-L1-INIT-START / MTTY-L2-INIT-START) and before the guest touched
# the card (a 0000:00:05.0, serial8250 or ttyS1 line), as the first kernel
# trace: a WARNING in exc_debug_kernel or a BUG in irq_work_run_list (the
# interrupt frame with a garbage EFLAGS), a general protection fault at
# iretq, an int3 Oops while the kernel patches its own text.  The retries
# of run.sh, run_l2 and the systemd VM's guest happen only on these.
boot_flake() {
	tr -d '\r' <"$1" | awk '
	/MTTY-L[12]-INIT-START/ { init = 1; exit }
	!start && /0000:00:05\.0|serial8250|ttyS1/ { probed = 1 }
	!start && /WARNING:|BUG:|Oops|general protection fault/ { start = NR; first = $0 }
	start && NR - start < 60 { trace = trace "\n" $0 }
	END {
		if (init || probed || !start)
			exit 1
		if (first ~ /WARNING:/ && trace ~ /exc_debug_kernel/)
			print "WARNING in exc_debug_kernel (garbage EFLAGS)"
		else if (first ~ /BUG:|kernel BUG/ && trace ~ /irq_work_run_list/)
			print "BUG in irq_work_run_list (garbage EFLAGS)"
		else if (first ~ /general protection fault/ && trace ~ /iret/)
			print "general protection fault at iretq"
		else if (first ~ /Oops: int3/)
			print "int3 Oops during text patching"
		else
			exit 1
	}'
}

# retry_note WHAT LOG SIGNATURE: the dead boot's console tail and the line
# "# retrying WHAT: ..." that tests/vm/run.sh and tests/sysvm/run.sh count
# ("retries: N" in their summary).
retry_note() {
	echo "# $1: early-boot emulator flake: $3; last console lines:"
	tr -d '\r' <"$2" | tail -n 30 | sed "s/^/# $1 (died): /"
	echo "# retrying $1: $3 before init, card not yet probed (log: $2)"
}

# shellcheck disable=SC3028,SC3054 # bash only, as the test says
if [ -n "${BASH_VERSION:-}" ] && [ -f "${BASH_SOURCE[0]%/*}/host.sh" ]; then
	# shellcheck source=host.sh disable=SC1091,SC3028,SC3054
	. "${BASH_SOURCE[0]%/*}/host.sh"
fi
