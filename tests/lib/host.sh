# SPDX-License-Identifier: GPL-2.0-only
# host.sh -- the host-side part of the test library (tests/lib/lib.sh
# sources it under bash): kernel images, initramfs staging, the host-wide
# VM lock, booting the systemd VM and tallying its results.  Sourced by
# tests/vm/{kernel,mkinitramfs,run}.sh, tests/sysvm/*.sh, tests/pkg/vm-test.sh.
# Not used inside the VMs.
# shellcheck shell=bash

MTTY_CACHE=${MTTY_CACHE:-/var/cache/mtty}
# shellcheck disable=SC2034 # used by the scripts sourcing this file
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034
VM_DIR=$REPO_DIR/tests/vm
TALLY_PASS=0 TALLY_FAIL=0 TALLY_ASSERTS=0 TALLY_AFAIL=0 TALLY_RETRIES=0
# shellcheck disable=SC2034 # staged into every VM image: the in-VM scripts source it from there
MTTY_LIB_IMG=/usr/lib/mtty-tests/lib.sh

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print the sha256 of stdin (hex only).
sha_stdin() { sha256sum | cut -c1-64; }

# Short content hash of a list of files (contents + names).
hash_files() {
	local f
	for f in "$@"; do
		printf '%s\n' "${f##*/}"
		sha256sum <"$f"
	done | sha_stdin | cut -c1-16
}

# Run "$@" while holding an exclusive lock named $1 under $MTTY_CACHE/locks.
with_lock() {
	local name=$1
	shift
	mkdir -p "$MTTY_CACHE/locks"
	(
		flock 9
		"$@"
	) 9>"$MTTY_CACHE/locks/$name.lock"
}

# is_static FILE: true if FILE is an ELF executable without dynamic deps.
is_static() {
	[ "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
		! ldd "$1" >/dev/null 2>&1
}

# need_cmds CMD...: fail with an apt hint if a host tool is missing.
need_cmds() {
	local c missing=''
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] && return 0
	die "missing host tools:$missing (apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils zstd pciutils setserial)"
}

# Canonical in-image path for a host path on a usr-merged system:
# /lib/x -> /usr/lib/x, /lib64/x -> /usr/lib64/x, /bin/x -> /usr/bin/x,
# /sbin/x -> /usr/sbin/x.  The images contain the compat symlinks.
img_path() {
	case $1 in
	/lib/* | /lib64/* | /bin/* | /sbin/*) printf '/usr%s\n' "$1" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# stage_file ROOT SRC [DEST]: copy SRC (dereferenced) into ROOT at DEST
# (default: SRC's path), mapped through img_path.
stage_file() {
	local root=$1 src=$2 dest=${3:-$2}
	dest=$(img_path "$dest")
	mkdir -p "$root${dest%/*}"
	cp -L --preserve=mode "$src" "$root$dest"
}

# stage_elf ROOT BIN [DEST]: stage a dynamically linked binary and every
# shared library ldd reports for it (including the ELF interpreter).
stage_elf() {
	local root=$1 bin=$2 dest=${3:-$2} lib
	stage_file "$root" "$bin" "$dest"
	while read -r lib; do
		[ -n "$lib" ] || continue
		[ -e "$root$(img_path "$lib")" ] && continue
		stage_file "$root" "$lib"
	done < <(ldd "$bin" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

# Create the usr-merge compat symlinks and base directories in ROOT.
stage_skeleton() {
	local root=$1 d
	mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
	for d in bin sbin lib lib64; do
		ln -sfn "usr/$d" "$root/$d"
	done
	mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run" \
		"$root/root" "$root/etc" "$root/mnt"
	# /dev/console so the kernel can open the initial console before
	# devtmpfs is mounted (needs root; the kernel's built-in default
	# initramfs provides it too, so failure here is not fatal).
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
}

# Install busybox (static) with applet symlinks into ROOT/usr/bin.
stage_busybox() {
	local root=$1 bb a
	bb=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
	is_static "$bb" || die "$bb is not static (apt-get install busybox-static)"
	cp -L "$bb" "$root/usr/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] && continue
		[ -e "$root/usr/bin/$a" ] || ln -s busybox "$root/usr/bin/$a"
	done
}

# l2_vmlinux: path of the kernel the nested (L2) guests boot, on both host
# lines: Debian 12's 6.1 unless MTTY_L2_LINE=6.12.  Under nested TCG (QEMU
# 7.2) the 6.12 kernel dies in early boot in a third to a half of its boots
# (an interrupt frame with garbage EFLAGS after a %gs-prefixed
# cmpxchg16b or decl, then a #DB or BUG in the handler; docs/testing.md);
# the 6.1 kernel has not once.  The driver under test runs in L1, whose
# kernel is the line being tested.
l2_vmlinux() {
	local line=${MTTY_L2_LINE:-6.1} env
	case $line in 6.1 | 6.12) ;; *) die "MTTY_L2_LINE must be 6.1 or 6.12" ;; esac
	env=$("$VM_DIR/kernel.sh" "$line") || return 1
	sed -n "s/^VMLINUX='\(.*\)'\$/\1/p" "$env"
}

# module_order MODDIR NAME...: the paths (relative to MODDIR) of the modules
# NAME... and of everything they depend on, dependencies first, from
# MODDIR/modules.dep; "missing NAME" for a NAME that is no module there
# (built in).
module_order() {
	local moddir=$1
	shift
	awk -v want="$*" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub(/-/, "_", p); return p }
	function visit(p,   i, n, d) {
		if (p in seen) return
		seen[p] = 1
		n = split(deps[p], d, " ")
		for (i = n; i >= 1; i--) visit(d[i])
		print p
	}
	{ p = $1; sub(/:$/, "", p); $1 = ""; deps[p] = $0; byname[base(p)] = p }
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			if (w[i] in byname) visit(byname[w[i]])
			else print "missing " w[i]
		}
	}' "$moddir/modules.dep"
}

# Write a newc cpio of directory ROOT to OUT (atomically).
mk_cpio() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --quiet --reproducible) >"$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out"
}

# vm_lock_inherited: true if this shell already holds the VM lock as an
# open descriptor (a caller ran `flock vm.lock ...`): locking it again
# would deadlock on ourselves.
vm_lock_inherited() {
	local fd want
	want=$(readlink -f "$MTTY_CACHE/locks/vm.lock")
	for fd in "/proc/$$/fd/"*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$want" ] && return 0
	done
	return 1
}

# vm_lock: hold the host-wide VM lock ($MTTY_CACHE/locks/vm.lock) on fd 8
# for the rest of this shell (and its children), after waiting for any other
# VM run; nothing if MTTY_VM_PARALLEL=1 or the lock is already held.  One VM
# at a time per host: they are CPU bound, parallel runs only thrash and
# stretch timeouts.
vm_lock() {
	if [ -n "${MTTY_VM_PARALLEL:-}" ] || vm_lock_inherited; then
		return 0
	fi
	mkdir -p "$MTTY_CACHE/locks"
	exec 8>"$MTTY_CACHE/locks/vm.lock"
	if ! flock -n 8; then
		log "waiting for another VM run to finish ($MTTY_CACHE/locks/vm.lock)"
		flock 8
	fi
}

# suite_lines SUITE: the kernel lines of a Debian release's system image
# (tests/vm/kernel.sh); its image holds the modules of all of them
suite_lines() {
	case $1 in
	bookworm) echo '6.1 6.12' ;;
	trixie) echo 'trixie trixie-backports' ;;
	*) log "error: --suite bookworm|trixie (got '$1')"; return 1 ;;
	esac
}

# vm_test_args OPT VAR USAGE ARGS...: the options of a test on the systemd
# VM: --kernel 6.1|6.12 (sets LINE), --timeout S (TIMEOUT), -q (QUIET) and
# OPT VALUE (sets the variable named VAR); USAGE for the error message.
# Then the kernels: ENV_61 and ENV_612 (kernel.sh env files of both lines,
# whose modules go into the one shared image), ENV_FILE (LINE's), sourced.
# shellcheck disable=SC2034 # LINE, TIMEOUT, QUIET, ENV_*: for the caller
vm_test_args() {
	local opt=$1 var=$2 usage=$3 l
	shift 3
	SUITE=bookworm
	while [ $# -gt 0 ]; do
		case $1 in
		--suite) SUITE=$2; shift ;;
		--kernel) LINE=$2; shift ;;
		--timeout) TIMEOUT=$2; shift ;;
		-q | --quiet) QUIET=1 ;;
		"$opt") printf -v "$var" '%s' "$2"; shift ;;
		*) die "usage: $0 $usage" ;;
		esac
		shift
	done
	LINES=$(suite_lines "$SUITE") || exit 1
	if [ "$SUITE" = bookworm ]; then TAG=$LINE; else TAG=$SUITE-$LINE; fi
	case " $LINES " in
	*" $LINE "*) ;;
	*) die "--kernel: $SUITE's lines are ${LINES// /, } (got '$LINE')" ;;
	esac
	ENVS=()
	for l in $LINES; do
		ENVS+=("$("$VM_DIR/kernel.sh" "$l")") || die "kernel $l (tests/vm/kernel.sh)"
		[ "$l" = "$LINE" ] && ENV_FILE=${ENVS[-1]}
	done
	# shellcheck disable=SC1090
	. "$ENV_FILE"
}

# boot_sysvm OUT VMLINUZ INITRD IMG PAYLOAD TIMEOUT QUIET: boot the Debian 12
# systemd image of tests/sysvm (tests/sysvm/run.sh, tests/pkg/vm-test.sh)
# under TCG with the VM lock (vm_lock): the image with snapshot=on (the
# cached file is never written), PAYLOAD as a second read-only disk, serial
# ports OUT/console.log and OUT/results.log; the results are shown live
# unless QUIET is non-empty (then printed at the end).  The initramfs and
# image are used through private references in OUT (a copy, a hard link),
# so the shared cache may replace them while we wait for the lock.  Sets
# BOOT_RC (QEMU's exit status; 124/137: TIMEOUT seconds passed) and
# BOOT_SECS.
boot_sysvm() {
	local out=$1 kernel=$2 initrd=$3 img=$4 payload=$5 timeout=$6 quiet=$7
	local qpid tpid='' t0 link=''
	: >"$out/console.log"
	: >"$out/results.log"
	cp "$initrd" "$out/boot.cpio"
	if ln -f "$img" "$out/rootfs.ext4" 2>/dev/null; then
		img=$out/rootfs.ext4 link=1
	fi
	log "booting ${kernel##*/} (waiting for the VM lock), console: $out/console.log"
	t0=$(date +%s)
	BOOT_RC=0
	vm_lock
	timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -M pc \
		-cpu max,-svm,-la57 -smp 2 -m 2560 -nodefaults -display none \
		-kernel "$kernel" -initrd "$out/boot.cpio" \
		-append "console=ttyS0 loglevel=4 panic=-1" \
		-drive "file=$img,format=raw,if=virtio,snapshot=on" \
		-drive "file=$payload,format=raw,if=virtio,readonly=on" \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		</dev/null >"$out/qemu.log" 2>&1 &
	qpid=$!
	if [ -z "$quiet" ]; then
		tail -n +1 -F --pid="$qpid" "$out/results.log" 2>/dev/null | tr -d '\r' &
		tpid=$!
	fi
	wait "$qpid" || BOOT_RC=$?
	if [ -n "$tpid" ]; then
		wait "$tpid" 2>/dev/null || true
	else
		tr -d '\r' <"$out/results.log"
	fi
	if [ -n "$link" ]; then rm -f "$out/rootfs.ext4"; fi
	BOOT_SECS=$(($(date +%s) - t0))
	echo "# VM exited with status $BOOT_RC after ${BOOT_SECS}s (including the wait for the VM lock)"
	if [ -s "$out/qemu.log" ]; then sed 's/^/# qemu: /' "$out/qemu.log"; fi
}

# tally_cases NAME FILE: the test cases in the results FILE.  A line
# "# case: TITLE" starts a case (before the first: the case NAME); the
# "ok - L2..." / "not ok - L2..." lines of a case are a case of their own
# (TITLE: nested guest).  The ok/not ok lines are the assertions; a case
# passes if none failed.  Prints one "ok - NAME: TITLE (N assertions)" /
# "not ok - ..." line per case; sets TALLY_PASS, TALLY_FAIL (cases),
# TALLY_ASSERTS, TALLY_AFAIL (assertions) and TALLY_RETRIES (the
# "# retrying" lines of retry_note).
tally_cases() {
	local name=$1 file=$2 title n bad cases
	TALLY_PASS=0 TALLY_FAIL=0 TALLY_ASSERTS=0 TALLY_AFAIL=0
	TALLY_RETRIES=$(tr -d '\r' <"$file" | grep -c '^# retrying ' || true)
	cases=$(tr -d '\r' <"$file" | awk -v dflt="$name" '
		BEGIN { title = dflt }
		/^# case: / { title = substr($0, 9); next }
		/^(not )?ok - / {
			key = title
			if ($0 ~ /^(not )?ok - L2[: ]/)
				key = key ": nested guest"
			if (!(key in n))
				order[++k] = key
			n[key]++
			if ($0 ~ /^not ok - /)
				bad[key]++
		}
		END { for (i = 1; i <= k; i++) printf "%s\t%d\t%d\n", order[i], n[order[i]], bad[order[i]] + 0 }')
	while IFS=$'\t' read -r title n bad; do
		[ -n "$title" ] || continue
		TALLY_ASSERTS=$((TALLY_ASSERTS + n))
		TALLY_AFAIL=$((TALLY_AFAIL + bad))
		if [ "$bad" -eq 0 ]; then
			echo "ok - $name: $title ($n assertions)"
			TALLY_PASS=$((TALLY_PASS + 1))
		else
			echo "not ok - $name: $title ($n assertions, $bad failed)"
			TALLY_FAIL=$((TALLY_FAIL + 1))
		fi
	done <<<"$cases"
}

# sysvm_tally NAME OUT DONE_MARKER TIMEOUT [REACHED_RE]: after boot_sysvm,
# the test cases of OUT/results.log (tally_cases: one per "# case:" scenario);
# if the test never printed DONE_MARKER (it did not reach its end), show
# the console's last lines and count that as a failed case (with the last
# match of REACHED_RE, e.g. a phase marker); list the failed checks.  Sets
# the TALLY_* counts.
sysvm_tally() {
	local name=$1 out=$2 marker=$3 timeout=$4 reached_re=${5:-} r why
	r=$(tr -d '\r' <"$out/results.log")
	tally_cases "$name" "$out/results.log"
	if ! grep -q "^$marker" <<<"$r"; then
		case $BOOT_RC in 124 | 137) why="timed out after ${timeout}s" ;; *) why="VM exit $BOOT_RC" ;; esac
		[ -z "$reached_re" ] || why="$why; reached: $(grep -o "$reached_re" <<<"$r" | tail -n1)"
		echo "# last console lines:"
		tr -d '\r' <"$out/console.log" | tail -n 40 | sed 's/^/# console| /'
		echo "not ok - $name: the VM test did not reach its end ($why)"
		TALLY_FAIL=$((TALLY_FAIL + 1))
	fi
	if [ "$TALLY_AFAIL" -gt 0 ]; then
		echo "# failed:"
		grep '^not ok - ' <<<"$r" | sed 's/^/#   /' || true
	fi
}

# tally_finish NAME: the closing lines of a VM test: its own host-side
# checks (MTTY_PASS/MTTY_FAILED, one case "host checks") plus the TALLY_*
# cases of the VM; "# NAME: N assertions checked, N failed", "retries: N",
# "NAME: N passed, N failed" (cases); true if all passed.
tally_finish() {
	local name=$1 p=$TALLY_PASS f=$TALLY_FAIL
	if [ "$MTTY_FAILED" -gt 0 ]; then
		f=$((f + 1))
	elif [ "$MTTY_PASS" -gt 0 ]; then
		p=$((p + 1))
	fi
	echo "# $name: $((TALLY_ASSERTS + MTTY_PASS + MTTY_FAILED)) assertions checked, $((TALLY_AFAIL + MTTY_FAILED)) failed"
	echo "retries: $TALLY_RETRIES"
	echo "$name: $p passed, $f failed"
	[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
}

# local_mirror: the flat apt repository of WANT (a list of packages) and
# everything they pull in that the image lacks, resolved against the
# image's dpkg status ($STATUS) and cached as $MTTY_CACHE/pkgvm/repo-<kver>-
# <key>; sets REPO.  Uses the caller's SUITE, LINE, TAG, IMG, KVER and OUT
# (logs).  bookworm: resolved with the host's apt (a Debian 12 host); other
# releases: a private apt configuration of the image's own sources (plus
# the line's backports suite) in $MTTY_CACHE/pkgvm/apt-<tag>/.  The kernel
# debs tests/vm/kernel.sh downloaded ($MTTY_CACHE/debs) are reused.
# (tests/pkg/vm-test.sh, tests/fleet/ansible-test.sh)
# shellcheck disable=SC2034,SC2153 # REPO: for the caller; WANT, STATUS: from it
local_mirror() {
	# APTOPT: how apt resolves WANT against the image.  bookworm: the host's own
	# apt (a Debian 12 host); other releases: a private apt configuration with
	# the image's own sources (and the kernel line's backports suite), lists
	# refreshed once a day; the host's sources are never read or changed.
	APTOPT=()
	LISTS=/var/lib/apt/lists
	if [ "$SUITE" != bookworm ]; then
		A=$MTTY_CACHE/pkgvm/apt-$TAG
		mkdir -p "$A/lists/partial" "$A/archives/partial"
		debugfs -R 'cat /etc/apt/sources.list' "$IMG" 2>/dev/null | grep '^deb ' >"$A/sources.list.tmp" ||
			die "cannot read the image's /etc/apt/sources.list (debugfs)"
		case $LINE in
		*-backports)
			bpo=$(sed -n "1s/^\(deb [^ ]*\) [^ ]* /\1 $LINE /p" "$A/sources.list.tmp")
			echo "$bpo" >>"$A/sources.list.tmp"
			;;
		esac
		if ! cmp -s "$A/sources.list.tmp" "$A/sources.list"; then
			mv -f "$A/sources.list.tmp" "$A/sources.list"
			rm -f "$A/.updated"
		else
			rm -f "$A/sources.list.tmp"
		fi
		APTOPT=(-o "Dir::Etc::sourcelist=$A/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
			-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A" -o "Dir::Cache::archives=$A/archives"
			-o "Dir::Cache::pkgcache=$A/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$A/srcpkgcache.bin"
			-o "APT::Sandbox::User=root" -o "Acquire::Languages=none")
		if [ -z "$(find "$A/.updated" -mmin -1440 2>/dev/null)" ]; then
			log "apt-get update for the $SUITE image's sources (private configuration $A)"
			if flock "$A/.lock" apt-get "${APTOPT[@]}" -o Dir::State::status=/dev/null -q update >"$OUT/apt-update.log" 2>&1; then
				touch "$A/.updated"
			else
				[ -e "$A/.updated" ] || { cat "$OUT/apt-update.log" >&2; die "apt-get update of $A failed"; }
				log "warning: apt-get update of $A failed; using old lists"
			fi
		fi
		LISTS=$A/lists
	fi
	KEY=$({ echo "$SUITE $WANT"; sha256sum <"$STATUS"; stat -c '%Y %s' "$LISTS"/*_Packages* 2>/dev/null; } |
		sha_stdin | cut -c1-16)
	REPO=$MTTY_CACHE/pkgvm/repo-$KVER-$KEY
	# shellcheck disable=SC2317,SC2086 # run through with_lock; WANT is a list
	build_repo() {
		local tmp f
		[ -s "$REPO/Packages" ] && return 0
		tmp=$MTTY_CACHE/pkgvm/.repo.$$
		rm -rf "$tmp"
		mkdir -p "$tmp/partial"
		# reuse the kernel debs tests/vm/kernel.sh downloaded
		for f in "$MTTY_CACHE"/debs/*"$KVER"*.deb "$MTTY_CACHE"/debs/linux-kbuild-*.deb; do
			[ -e "$f" ] || continue
			cp -l "$f" "$tmp/" 2>/dev/null || cp "$f" "$tmp/"
		done
		log "resolving $WANT against the image (apt-get --download-only)"
		apt-get "${APTOPT[@]}" install --download-only -y -q --no-install-recommends \
			-o Dir::State::status="$STATUS" -o Dir::Cache::archives="$tmp/" \
			-o Debug::NoLocking=1 $WANT >"$OUT/repo.log" 2>&1 ||
			{ cat "$OUT/repo.log" >&2; die "cannot resolve $WANT"; }
		rm -rf "$tmp/partial" "$tmp/lock"
		# only what apt chose (drop the other kernel's seeded debs)
		sed -n 's/^Inst \([^ ]*\) .*/\1/p' <(apt-get "${APTOPT[@]}" install -s -q --no-install-recommends \
			-o Dir::State::status="$STATUS" -o Debug::NoLocking=1 $WANT 2>/dev/null) |
			sort -u >"$tmp/.chosen"
		for f in "$tmp"/*.deb; do
			grep -qxF "$(dpkg-deb -f "$f" Package)" "$tmp/.chosen" || rm -f "$f"
		done
		(cd "$tmp" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
		rm -f "$tmp/.chosen"
		rm -rf "$REPO"
		mv "$tmp" "$REPO"
	}
	mkdir -p "$MTTY_CACHE/pkgvm"
	with_lock "pkgvm-repo" build_repo
}
