#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sysvm-test.sh -- the operator-stack test inside the Debian 12 or 13 VM
# booted by tests/sysvm/run.sh.  Differences between the releases are
# detected here (mdevctl's version: its call-out directory, its versioned
# call-outs, modify --live and --force), never skipped.  Started at every boot by mtty-sysvm-test.service (test
# harness only, not part of the package); /var/lib/mtty-sysvm/phase says
# which part runs:
#   1  post-install steps of docs/operator-guide.md, configure max_ports,
#      systemctl enable mtty; reboot
#   2  the driver came up at boot with its options; mdevctl types and
#      define --auto of two devices, and of a third whose backend is "tty"
#      (mdevctl modify --addattr); the call-out refusing a bad backend;
#      reboot
#   3  the devices run again, the tty-backend one with its host tty named
#      by our udev rule; mdevctl start/stop and its errors; callout;
#      /dev/vfio permissions; libvirt node devices; a libvirt guest with an
#      mtty device (microcom, hot-plug, unplug); where QEMU can migrate
#      VFIO devices (Debian 13), virsh save / restore of a guest streaming
#      through its card; the tty-backend card hot-plugged into the guest,
#      whose minicom and a host minicom on /dev/mtty/<uuid>/port0 exchange
#      lines; systemctl stop refusing and stopping;
#      driver-not-loaded error; start again; power off
# Results go to /dev/ttyS1 ("ok - ..." / "not ok - ..." / "# ..."), then
# "SYSVM-PHASE-N-DONE"; the last phase prints "SYSVM-DONE".
# shellcheck disable=SC2016 # bash -c '...' scripts expand their own $1
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LIBVIRT_DEFAULT_URI=qemu:///system
STATE=/var/lib/mtty-sysvm
OUT=${SYSVM_OUT:-/dev/ttyS1}
exec >>"$OUT" 2>&1

U1=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e01 # mtty-1, define --auto (phase 2)
U2=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e02 # mtty-2, define --auto (phase 2)
U3=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e03 # mtty-2, transient start/stop
U4=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e04 # starts that must fail
U5=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e05 # mtty-1, virsh nodedev-define
U6=6f0b7a52-1c3e-4d2a-9e61-0a1b2c3d4e06 # mtty-1, backend tty, define --auto (phase 2)
HOSTTTY=/dev/mtty/$U6/port0 # its host tty, named by 70-mtty.rules
MAX_PORTS=6
PARENT=/sys/devices/virtual/mtty/mtty
# mdevctl 1.2.0 (Debian 12) runs call-outs from /etc/mdevctl.d/scripts.d;
# >= 1.3 (Debian 13: 1.4.0) from /usr/lib/mdevctl/scripts.d first, with
# versioned call-outs (get capabilities), modify --live and --force
OLD_CALLOUT=/etc/mdevctl.d/scripts.d/callouts/mtty
LIB_CALLOUT=/usr/lib/mdevctl/scripts.d/callouts/mtty
MDEVCTL_VER=$(dpkg-query -W -f='${Version}' mdevctl 2>/dev/null)
if dpkg --compare-versions "$MDEVCTL_VER" ge 1.3; then
	MDEVCTL_V2=1 CALLOUT=$LIB_CALLOUT
else
	MDEVCTL_V2='' CALLOUT=$OLD_CALLOUT
fi
XMLGEN=/usr/share/mtty/libvirt-xml/mtty-xml.sh
GUEST=sysvm-guest
GUESTLOG=/var/log/libvirt/qemu/$GUEST-serial.log
# results, checks, the kernel-log patterns, the early-boot flakes: the test
# library (tests/lib/lib.sh), staged beside this script
# shellcheck source=../lib/lib.sh disable=SC1091
. "${MTTY_LIB:-/usr/lib/mtty-tests/lib.sh}"
# run CMD...: show the command and its output as comments, return its status
run() {
	local rc out
	out=$("$@" 2>&1)
	rc=$?
	echo "# \$ $* (exit $rc)"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/#   /'
	return $rc
}
# expect_fail DESC REGEX CMD...: the command must fail and say REGEX
expect_fail() {
	local d=$1 re=$2 rc out
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	echo "# \$ $* (exit $rc)"
	printf '%s\n' "$out" | sed 's/^/#   /'
	if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -Eq "$re"; then
		ok "$d"
	else
		notok "$d (exit $rc, expected failure matching /$re/)"
	fi
}
running() { [ -e "/sys/bus/mdev/devices/$1" ]; }
loaded() { [ -d /sys/module/mtty ]; }
group_of() { basename "$(readlink "/sys/bus/mdev/devices/$1/iommu_group")"; }
avail() { cat "$PARENT/mdev_supported_types/$1/available_instances"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'; }

kernel_log_clean() { klog_check "boot $1 ($(uname -r))"; }

booted() {
	local st
	st=$(timeout 300 systemctl is-system-running --wait 2>&1)
	comment "boot $1 at ${2}s uptime: system $st, kernel $(uname -r)"
	case $st in
	running) ok "boot $1: systemd reached multi-user, no failed unit" ;;
	*)
		notok "boot $1: systemd state '$st'"
		systemctl --failed --no-legend | sed 's/^/# failed: /'
		;;
	esac
}

next_phase() {
	echo "$1" >"$STATE/phase"
	sync
	echo "SYSVM-PHASE-$2-DONE"
	systemctl reboot
	exit 0
}

phase1() {
	booted 1 "$(uptime_s)"
	comment "Debian $(cat /etc/debian_version), mdevctl $MDEVCTL_VER, libvirt $(dpkg-query -W -f='${Version}' libvirt-daemon 2>/dev/null), QEMU $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null), systemd $(dpkg-query -W -f='${Version}' systemd 2>/dev/null)"
	check "mtty is not loaded before it is enabled" bash -c '! [ -d /sys/module/mtty ]'
	check "mtty.service installed but disabled" \
		bash -c '[ "$(systemctl is-enabled mtty 2>&1)" = disabled ]'
	# docs/operator-guide.md "Install": after make install on a live system
	# (run.sh ran the equivalent "depmod -b" on the host: depmod -a takes
	# minutes under TCG; -A only rebuilds when the index is out of date)
	check "depmod -A (module index up to date)" run depmod -A
	check "systemctl daemon-reload" run systemctl daemon-reload
	check "udevadm control --reload" run udevadm control --reload
	check "modinfo finds the installed mtty module for $(uname -r)" \
		bash -c 'modinfo -n mtty | grep -q "/updates/mtty.ko"'
	# Debian 12's and 13's 60-mdevctl.rules call /usr/sbin/mdevctl, which
	# is missing (the binary is /usr/bin/mdevctl)
	if /usr/lib/udev/mtty-udev mdevctl-rule-works; then
		comment "60-mdevctl.rules works on this host: mtty-udev leaves auto-start to it"
	else
		ok "mtty-udev detects that 60-mdevctl.rules cannot start mdevs here ($(grep -o '/usr/sbin/mdevctl' /usr/lib/udev/rules.d/60-mdevctl.rules | head -1) missing)"
	fi
	# configure the module options the operator way
	check "set max_ports=$MAX_PORTS in /etc/modprobe.d/mtty.conf" \
		sed -i "s/^options mtty .*/options mtty max_ports=$MAX_PORTS/" /etc/modprobe.d/mtty.conf
	check "systemctl enable mtty" run systemctl enable mtty
	kernel_log_clean 1
	next_phase 2 1
}

phase2() {
	local t0 out
	t0=$(uptime_s)
	booted 2 "$t0"
	check "boot 2: mtty.service is active" bash -c '[ "$(systemctl is-active mtty)" = active ]'
	check "boot 2: the driver was loaded at boot" loaded
	check "boot 2: max_ports from /etc/modprobe.d/mtty.conf" \
		[ "$(cat /sys/module/mtty/parameters/max_ports)" = "$MAX_PORTS" ]
	for t in mtty-1 mtty-2; do
		for f in available_instances create device_api devices name; do
			[ -e "$PARENT/mdev_supported_types/$t/$f" ] || notok "sysfs: $t/$f missing"
		done
	done
	check "boot 2: the seed's sysfs tree (types, attributes, class link)" \
		bash -c "[ -e $PARENT/mdev_supported_types/mtty-2/create ] && [ -e /sys/class/mdev_bus/mtty ] && [ \"\$(cat $PARENT/mdev_supported_types/mtty-2/device_api)\" = vfio-pci ]"
	check "pool: mtty-1 available $MAX_PORTS, mtty-2 $((MAX_PORTS / 2))" \
		[ "$(avail mtty-1) $(avail mtty-2)" = "$MAX_PORTS $((MAX_PORTS / 2))" ]
	out=$(systemctl status mtty --no-pager 2>&1)
	printf '%s\n' "$out" | sed 's/^/# status| /'
	check "systemctl status mtty says what is loaded" \
		grep -q "module mtty .* loaded on $(uname -r), max_ports=$MAX_PORTS" <<<"$out"
	out=$(mdevctl types 2>&1)
	printf '%s\n' "$out" | sed 's/^/# types| /'
	check "mdevctl types lists mtty-1 and mtty-2" \
		bash -c 'grep -q "mtty-1" <<<"$1" && grep -q "Dual port serial" <<<"$1"' _ "$out"
	check "mdevctl define --auto $U1 mtty-1" run mdevctl define --auto -u "$U1" -p mtty -t mtty-1
	check "mdevctl define --auto $U2 mtty-2" run mdevctl define --auto -u "$U2" -p mtty -t mtty-2
	tty_define
	check "definitions are in /etc/mdevctl.d/mtty with start auto" \
		bash -c "grep -q '\"auto\"' /etc/mdevctl.d/mtty/$U1 && grep -q '\"auto\"' /etc/mdevctl.d/mtty/$U2"
	check "define does not start them" bash -c "! [ -e /sys/bus/mdev/devices/$U1 ]"
	run mdevctl list --defined
	expect_fail "mdevctl define of an unknown type is refused by the callout" \
		"unknown mtty device type" mdevctl define -u "$U4" -p mtty -t mtty-3
	check "the refused definition was not written" [ ! -e "/etc/mdevctl.d/mtty/$U4" ]
	kernel_log_clean 2
	next_phase 3 2
}

# wait_log PATTERN SECONDS: wait for PATTERN in the guest serial log
# (wall-clock deadline: the VM may be slow)
wait_log() {
	local end=$(($(date +%s) + $2))
	while ! tr -d '\r' <"$GUESTLOG" 2>/dev/null | grep -q "$1"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

guest_running() { [ "$(virsh domstate "$GUEST" 2>/dev/null)" = running ]; }

# marker NAME: the guest's last "NAME key=value..." line; marker_val LINE KEY
marker() { tr -d '\r' <"$GUESTLOG" 2>/dev/null | grep "^$1\( \|\$\)" | tail -n1; }
marker_val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# guest_boot: virsh start the guest and wait until its init prints
# MTTY-L2-INIT-START (GUEST_BOOT_S: how long that took).  Returns 0 then;
# 2 if virsh start failed; 1 if the guest kernel died before its init
# started: the domain stopped, a panic on its console, an exception trace
# (loglevel=5 shows them) followed by GUEST_STALL s without console output,
# or no init after GUEST_INIT_WAIT s (a normal boot: 60-160 s here; 3 then:
# a timeout, never retried).  A dead boot's console and QEMU log are shown,
# and the domain destroyed.
GUEST_INIT_WAIT=450 GUEST_STALL=180 GUEST_BOOT_S=''
guest_boot() {
	local t1 end log why='' size=-1 still=0 sz timed_out=0
	rm -f "$GUESTLOG"
	t1=$(uptime_s)
	run virsh start "$GUEST" || return 2
	end=$(($(date +%s) + GUEST_INIT_WAIT))
	while :; do
		log=$(tr -d '\r' <"$GUESTLOG" 2>/dev/null)
		if grep -q MTTY-L2-INIT-START <<<"$log"; then
			GUEST_BOOT_S=$(since "$t1")
			return 0
		fi
		sz=${#log}
		if [ "$sz" -eq "$size" ]; then
			still=$((still + 2))
		else
			still=0 size=$sz
		fi
		if ! guest_running; then
			why="the domain stopped ($(virsh domstate --reason "$GUEST" 2>&1))"
		elif grep -q 'Kernel panic' <<<"$log"; then
			why="kernel panic"
		elif [ "$still" -ge "$GUEST_STALL" ] && grep -Eq -e '---\[ end trace|Call Trace:' <<<"$log"; then
			why="exception trace, then no console output for ${still}s"
		elif [ "$(date +%s)" -ge "$end" ]; then
			why="no init after ${GUEST_INIT_WAIT}s"
			timed_out=1
		fi
		[ -z "$why" ] || break
		sleep 2
	done
	comment "guest kernel died before its init started ($why); its console:"
	printf '%s\n' "$log" | tail -n 40 | sed 's/^/# L2 (died)| /'
	tail -n 10 "/var/log/libvirt/qemu/$GUEST.log" 2>/dev/null | sed 's/^/# qemu log| /'
	guest_running && virsh destroy "$GUEST" >/dev/null 2>&1
	[ "$timed_out" -eq 0 ] || return 3
	return 1
}

# callout_install_checks: where the call-out is linked, that mdevctl runs it
# once per event (MDEVCTL_LOG=debug shows each run), its answer to
# mdevctl >= 1.3's versioning request; on mdevctl >= 1.3 also modify --live
# and --force (not in 1.2.0).
callout_install_checks() {
	local out n f=/root/live.json
	check "call-out linked from $OLD_CALLOUT (mdevctl 1.2.0's directory)" \
		[ "$(readlink -f "$OLD_CALLOUT")" = /usr/lib/mtty/mdevctl-callout ]
	check "call-out linked from $LIB_CALLOUT (mdevctl >= 1.3's directory)" \
		[ "$(readlink -f "$LIB_CALLOUT")" = /usr/lib/mtty/mdevctl-callout ]
	out=$(echo '{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","notify","get","live"]}}' |
		"$CALLOUT" -t mtty-1 -e get -a capabilities -s none -u "$U1" -p mtty)
	comment "get capabilities: $out"
	check "call-out answers get capabilities: version 2, all actions, live event" \
		bash -c 'grep -q "^{\"supports\":{\"version\":2,\"actions\":\[.*\"capabilities\".*\"events\":\[.*\"live\"" <<<"$1"' _ "$out"
	out=$(MDEVCTL_LOG=debug mdevctl start -u "$U3" -p mtty -t mtty-1 2>&1)
	printf '%s\n' "$out" | grep -E 'executing|callout|script' | sed 's/^/# debug| /'
	for ev in pre-start post-start; do
		n=$(grep -c "$ev: executing \"[^\"]*/mtty\"" <<<"$out")
		check "mdevctl $MDEVCTL_VER runs the call-out once for $ev ($n), as $CALLOUT" \
			bash -c '[ "$1" -eq 1 ] && grep -q "$2: executing \"$3\"" <<<"$4"' _ "$n" "$ev" "$CALLOUT" "$out"
	done
	run mdevctl stop -u "$U3"
	if [ -z "$MDEVCTL_V2" ]; then
		comment "mdevctl $MDEVCTL_VER: no versioned call-outs, modify --live or --force (mdevctl >= 1.3)"
		return 0
	fi
	n=$(grep -c 'get-capabilities: executing "[^"]*/mtty"' <<<"$out")
	check "mdevctl $MDEVCTL_VER asks the call-out for its capabilities once ($n), as $LIB_CALLOUT" \
		bash -c '[ "$1" -eq 1 ] && grep -q "get-capabilities: executing \"$2\"" <<<"$3"' _ "$n" "$LIB_CALLOUT" "$out"
	cp "/etc/mdevctl.d/mtty/$U1" /root/u1.before
	echo '{"mdev_type":"mtty-1","start":"auto","attrs":[]}' >"$f"
	check "mdevctl modify --live -u $U1 --jsonfile (no attributes: nothing to apply)" \
		run mdevctl modify --live -u "$U1" --jsonfile "$f"
	echo '{"mdev_type":"mtty-1","start":"auto","attrs":[{"foo":"1"}]}' >"$f"
	expect_fail "mdevctl modify --live with an unknown attribute is refused by the call-out" \
		"take one attribute, backend" mdevctl modify --live -u "$U1" --jsonfile "$f"
	check "$U1 still running, its definition unchanged" \
		bash -c "[ -e /sys/bus/mdev/devices/$U1 ] && cmp -s /root/u1.before /etc/mdevctl.d/mtty/$U1"
	out=$(mdevctl define --force -u "$U4" -p mtty -t mtty-3 2>&1)
	comment "$out"
	check "mdevctl define --force overrides the call-out's refusal (and says so)" \
		bash -c "[ -e /etc/mdevctl.d/mtty/$U4 ] && grep -qi 'forc' <<<\"\$1\"" _ "$out"
	check "mdevctl undefine -u $U4" run mdevctl undefine -u "$U4"
	check "... gone" [ ! -e "/etc/mdevctl.d/mtty/$U4" ]
}

# --- the tty backend (issue 14): the operator's way, no echo into sysfs

# tty_define (phase 2): define --auto of $U6 with backend tty (mdevctl's
# define has no --addattr in 1.2.0 nor 1.4.0: modify --addattr adds it to
# the definition); the call-out refuses a bad value
tty_define() {
	local out f=/root/tty-bogus.json t0
	t0=$(uptime_s)
	check "mdevctl define --auto -u $U6 -p mtty -t mtty-1" \
		run mdevctl define --auto -u "$U6" -p mtty -t mtty-1
	check "mdevctl modify -u $U6 --addattr=backend --value=tty" \
		run mdevctl modify -u "$U6" --addattr=backend --value=tty
	out=$(tr -d ' \t\r\n' <"/etc/mdevctl.d/mtty/$U6")
	check "the definition of $U6 has start auto and attrs backend=tty ($out)" \
		bash -c 'grep -q "\"attrs\":\[{\"backend\":\"tty\"}\]" <<<"$1" && grep -q "\"start\":\"auto\"" <<<"$1"' _ "$out"
	run mdevctl list --defined -v -u "$U6"
	cp "/etc/mdevctl.d/mtty/$U6" /root/u6.before
	expect_fail "mdevctl modify --addattr=backend --value=bogus is refused by the call-out" \
		"mtty attribute backend: one entry, loopback or tty" \
		mdevctl modify -u "$U6" --addattr=backend --value=bogus
	check "... the definition of $U6 is unchanged" cmp /root/u6.before "/etc/mdevctl.d/mtty/$U6"
	echo '{"mdev_type":"mtty-1","start":"auto","attrs":[{"backend":"bogus"}]}' >"$f"
	expect_fail "mdevctl define --jsonfile with backend bogus is refused by the call-out" \
		"mtty attribute backend: one entry, loopback or tty" \
		mdevctl define -u "$U4" -p mtty --jsonfile "$f"
	check "... and was not written" [ ! -e "/etc/mdevctl.d/mtty/$U4" ]
	comment "tty backend definitions took $(since "$t0")s"
}

# tty_boot_checks (phase 3): $U6 came back with its backend; the host tty
# and the name 70-mtty.rules gives it under the real udev
tty_boot_checks() {
	local out real t0
	t0=$(uptime_s)
	check "boot 3: $U6 (mtty-1, backend tty, auto) running after reboot" running "$U6"
	out=$(cat "/sys/bus/mdev/devices/$U6/backend" 2>&1)
	check "boot 3: $U6's backend reads tty (mdevctl applied the attribute at start): '$out'" [ "$out" = tty ]
	udevadm settle --timeout=60
	real=$(readlink -f "$HOSTTTY")
	run ls -l "/dev/mtty/$U6/"
	check "udev: $HOSTTTY is a link to the port's ttyMT node ($real)" \
		bash -c '[ -L "$1" ] && [ -c "$2" ] && [[ "$2" == /dev/ttyMT[0-9]* ]]' _ "$HOSTTTY" "$real"
	out="$(cat "/sys/class/tty/${real##*/}/mtty/mdev" 2>&1) $(cat "/sys/class/tty/${real##*/}/mtty/port" 2>&1)"
	check "${real##*/} belongs to $U6, port 0 (sysfs mtty/mdev, mtty/port: $out)" [ "$out" = "$U6 0" ]
	out=$(stat -c '%U:%G %a' "$real" 2>&1)
	check "$real is root:dialout 660 (got $out)" [ "$out" = "root:dialout 660" ]
	out=$(udevadm info -q symlink "$real" 2>&1)
	comment "udevadm info -q symlink $real: $out"
	check "udev's database has the link mtty/$U6/port0 for ${real##*/}" \
		bash -c 'grep -qw "mtty/$1/port0" <<<"$2"' _ "$U6" "$out"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		bash -c "exec 3<>$HOSTTTY && echo OPENED" 2>&1)
	check "a user outside dialout cannot open $HOSTTTY ($out)" \
		bash -c '! grep -q OPENED <<<"$1" && grep -q "Permission denied" <<<"$1"' _ "$out"
	comment "tty backend boot checks took $(since "$t0")s"
}

# tty_nodedev: libvirt's node device of $U6 lists the mdev's attributes
# (read from mdevctl's definition): seen with Debian 12's libvirt 9.0, so
# asserted from 9.0 on; older versions only get a comment
tty_nodedev() {
	local lv out
	lv=$(dpkg-query -W -f='${Version}' libvirt-daemon 2>/dev/null)
	out=$(virsh nodedev-dumpxml "mdev_${U6//-/_}_mtty" 2>&1)
	printf '%s\n' "$out" | sed 's/^/# nodedev-dumpxml U6| /'
	if grep -Eq "<attr name=.backend. value=.tty./>" <<<"$out"; then
		ok "libvirt $lv: virsh nodedev-dumpxml of $U6 shows <attr name='backend' value='tty'/>"
	elif dpkg --compare-versions "$lv" ge 9; then
		notok "libvirt $lv: virsh nodedev-dumpxml of $U6 shows <attr name='backend' value='tty'/>"
	else
		comment "libvirt $lv: virsh nodedev-dumpxml of $U6 does not show the mdev's attributes"
	fi
}

# host_keyboard: the person at the host's minicom on $HOSTTTY: waits for
# the welcome, then for the guest's minicom to announce its line
# (MTTY-L2-TTY-UP), for that line on the screen, types $HLINE, waits for
# the guest to report it (MTTY-L2-TTY-GOT-HOST), leaves with Ctrl-A X
host_keyboard() {
	local gline
	seen_file "$HM/screen" 'CTRL-A Z' 60 || echo "# host minicom: no welcome screen after 60 s" >&2
	touch "$HM/up"
	if wait_log '^MTTY-L2-TTY-UP ' 300; then
		gline=$(marker MTTY-L2-TTY-UP | sed -n 's/.* line=//p')
		echo "$gline" >"$HM/gline"
		seen_file "$HM/capture" "$gline" 60 ||
			echo "# host minicom: the guest's line did not arrive within 60 s" >&2
		printf '%s\r' "$HLINE"
		wait_log '^MTTY-L2-TTY-GOT-HOST' 120 ||
			echo "# host minicom: no MTTY-L2-TTY-GOT-HOST within 120 s" >&2
	else
		echo "# host minicom: no MTTY-L2-TTY-UP from the guest within 300 s" >&2
	fi
	printf '\001x'
	sleep 3
	printf '\r'
	sleep 5
}

# seen_file FILE TEXT SECONDS: wait until TEXT is in FILE
seen_file() {
	local end=$(($(date +%s) + $3))
	until grep -aqF -- "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.3
	done
}

# tty_guest (one test case, in the guest of phase 3 after its hot-plug
# case): a minicom on the host tty of $U6, then $U6 hot-plugged into the
# guest, whose minicom finds the card's port and talks to the host's
HM=/root/host-minicom
tty_guest() {
	local t0 out rc gline got tt HLINE pid
	echo "# case: tty backend: guest minicom <-> host minicom"
	t0=$(uptime_s)
	if ! wait_log MTTY-L2-WAIT-TTYCARD 120; then
		notok "guest waits for the tty-backend card (no MTTY-L2-WAIT-TTYCARD in 120 s)"
		echo "# case: boot 3"
		return 0
	fi
	rm -rf "$HM"
	mkdir -p "$HM"
	HLINE="host minicom says $(od -An -N4 -tx1 /dev/urandom | tr -d ' \n') over"
	# minicom's default is hardware flow control; what "minicom -s" saves
	printf 'pu rtscts           No\npu xonxoff          No\n' >/root/.minirc.dfl
	{
		host_keyboard 2>"$HM/kbd" |
			TERM=vt100 HOME=/root timeout 600 script -q -c \
				"minicom -D $HOSTTTY -b 115200 -o -C $HM/capture" /dev/null >"$HM/screen" 2>&1
		echo $? >"$HM/rc"
	} &
	pid=$!
	if ! seen_file "$HM/screen" 'CTRL-A Z' 60; then
		notok "host minicom -D $HOSTTTY starts (no welcome screen in 60 s)"
	fi
	check "virsh attach-device $GUEST ttyhot-hostdev.xml (live): $U6 into the guest" \
		run virsh attach-device "$GUEST" /root/xml/ttyhot-hostdev.xml --live
	if wait_log '^MTTY-L2-TTYCARD ' 300; then
		out=$(marker MTTY-L2-TTYCARD)
		tt=$(marker_val "$out" tty)
		comment "guest: $out"
		check "the guest found the card's port in sysfs ($out)" \
			bash -c '[[ "$1" =~ ^ttyS[0-9]+$ ]]' _ "$tt"
	else
		notok "the guest found the card's port (no MTTY-L2-TTYCARD in 300 s)"
	fi
	wait "$pid"
	rc=$(cat "$HM/rc" 2>/dev/null)
	sed 's/^/# /' "$HM/kbd"
	local esc
	esc=$(printf '\033')
	sed "s/${esc}\[[0-9;?]*[A-Za-z]//g; s/${esc}[()].//g; s/${esc}.//g" "$HM/screen" |
		tr -d '\000\016\017\r' | grep -av '^ *$' | tail -n 8 | sed 's/^/# host minicom screen| /'
	check "host minicom on $HOSTTTY: left with Ctrl-A X (exit ${rc:-none})" [ "${rc:-1}" = 0 ]
	gline=$(cat "$HM/gline" 2>/dev/null)
	check "the guest's minicom announced its line (MTTY-L2-TTY-UP line=$gline)" [ -n "$gline" ]
	check "guest -> host: the guest's line arrived in the host minicom's capture file" \
		grep -qF -- "${gline:-no line}" "$HM/capture"
	check "guest -> host: ... and is on the host minicom's screen" \
		grep -aqF -- "${gline:-no line}" "$HM/screen"
	out=$(marker MTTY-L2-TTY-GOT-HOST)
	got=${out#*line=}
	comment "guest: ${out:-no MTTY-L2-TTY-GOT-HOST}"
	check "host -> guest: the guest's minicom got the host's line '$HLINE' (got '$got')" \
		[ "$got" = "$HLINE" ]
	out=$(marker MTTY-L2-TTY-HOST-LEFT)
	comment "guest: ${out:-no MTTY-L2-TTY-HOST-LEFT}"
	check "the host minicom's close drops the guest's DCD (MTTY-L2-TTY-HOST-LEFT dcd=0)" \
		[ "$(marker_val "$out" dcd)" = 0 ]
	check "after the exchange $U6 still has backend tty and its host tty" \
		bash -c '[ "$(cat "/sys/bus/mdev/devices/$1/backend")" = tty ] && [ -c "$2" ]' _ "$U6" "$HOSTTTY"
	comment "tty backend case took $(since "$t0")s"
	echo "# case: boot 3"
}

# --- virsh save / virsh restore of a guest streaming through its mtty card
# (one test case).  Only where QEMU's vfio-pci can migrate a VFIO migration
# v2 device: its enable-migration property (QEMU >= 8.1; Debian 13: 10.0).
SR=sysvm-sr
SR_LOG=/var/log/libvirt/qemu/$SR-serial.log
SR_FILE=/root/$SR.save
SR_STREAM_S=30

# sr_progress FIELD [FROM_LINE]: FIELD (t or rx) of the guest's last
# "# stream progress t=T rx=N" line, from line FROM_LINE of its console on
sr_progress() {
	tr -d '\r' <"$SR_LOG" 2>/dev/null | tail -n "+${2:-1}" |
		awk -v f="$1=" '/^# stream progress t=[0-9]+ rx=[0-9]+ / {
			for (i = 4; i <= 5; i++)
				if (index($i, f) == 1) v = substr($i, length(f) + 1)
		} END { if (v != "") print v }'
}
# sr_wait FIELD MIN SECONDS [FROM_LINE]: wait until FIELD > MIN
sr_wait() {
	local end=$(($(date +%s) + $3)) v
	while :; do
		v=$(sr_progress "$1" "${4:-1}")
		[ -n "$v" ] && [ "$v" -gt "$2" ] && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

save_restore() {
	local plain=$GUEST
	local qv t0 rc out flake n0 rx0 rx1 res kl0 GUEST=$SR GUESTLOG=$SR_LOG
	qv=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)
	if ! qemu-system-x86_64 -device vfio-pci,help 2>&1 | grep -Eq '(^|[[:space:]])enable-migration='; then
		comment "virsh save/restore of a guest with an mtty card: not run here: QEMU $qv's vfio-pci has no enable-migration property (QEMU < 8.1). Debian 12's QEMU 7.2 speaks only VFIO migration v1, which Linux replaced by v2 in 5.18; mtty implements v2 (QEMU >= 8.0, enable-migration=on >= 8.1): docs/migration.md"
		return 0
	fi
	echo "# case: virsh save/restore"
	t0=$(uptime_s)
	kl0=$(dmesg | wc -l)
	klog_check "before virsh save/restore (host)"
	comment "QEMU $qv: vfio-pci has enable-migration; guest streams ${SR_STREAM_S}s through ttyS1 and ttyS2 of $U2, saved and restored mid-stream"
	check "mtty-xml.sh -M writes the migratable domain $SR with $U2" \
		run "$XMLGEN" -M -u "$U2" -n "$SR" -t mtty-2 -v qemu -m 256 -o /root/xml \
		-k "$STATE/l2/vmlinux" -i "$STATE/l2/initrd.cpio" \
		-c "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq noapic mtty.l2=stream mtty.stream_secs=$SR_STREAM_S" \
		-s "$SR_LOG"
	check "virt-xml-validate $SR-domain.xml (qemu:override)" run virt-xml-validate "/root/xml/$SR-domain.xml"
	# without the override (the plain domain of the guest above, started
	# paused: QEMU sets its migration blockers when it creates the device)
	# libvirt refuses the save with QEMU's blocker for the card
	if run virsh define "/root/xml/$plain-domain.xml" && run virsh start --paused "$plain"; then
		expect_fail "without -M: virsh save is refused (QEMU's migration blocker for the card)" \
			"cannot migrate domain: .*[Vv][Ff][Ii][Oo]" virsh save "$plain" "$SR_FILE"
		run virsh destroy "$plain"
	else
		notok "without -M: the plain domain $plain starts paused"
	fi
	run virsh undefine "$plain"
	rm -f "$SR_FILE"
	check "virsh define $SR-domain.xml" run virsh define "/root/xml/$SR-domain.xml"
	out=$(virsh dumpxml "$SR" 2>&1)
	check "libvirt keeps the <qemu:override> of ua-mtty0 (enable-migration on)" \
		bash -c 'grep -q "<qemu:device alias=.ua-mtty0.>" <<<"$1" && grep -q "name=.enable-migration. type=.string. value=.on." <<<"$1"' _ "$out"
	rc=0
	guest_boot || rc=$?
	if [ "$rc" -eq 1 ] && cp "$GUESTLOG" /root/sr-died.log 2>/dev/null &&
		flake=$(boot_flake /root/sr-died.log); then
		retry_note "libvirt save/restore guest" /root/sr-died.log "$flake"
		rc=0
		guest_boot || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		notok "virsh start $SR: guest booted (guest_boot status $rc)"
		sr_cleanup
		return 0
	fi
	ok "virsh start $SR: guest booted (init after ${GUEST_BOOT_S}s)"
	out=$(grep -a 'enable-migration' "/var/log/libvirt/qemu/$SR.log" | tail -n1)
	check "QEMU runs the card with enable-migration=on and x-device-dirty-page-tracking=off" \
		bash -c 'grep -Eq "enable-migration.{1,4}on" <<<"$1" && grep -Eq "x-device-dirty-page-tracking.{1,4}off" <<<"$1"' _ "$out"
	if ! wait_log '^STREAM-START' 300; then
		notok "guest streams through its mtty card (no STREAM-START in 300 s)"
		sr_cleanup
		return 0
	fi
	check "guest streams through both ports of the card" \
		bash -c 'tr -d "\r" <"$1" | grep -q "^# stream: 2 port(s)"' _ "$SR_LOG"
	# mid-stream: a third of the stream written, data received
	if ! sr_wait t $((SR_STREAM_S / 3)) 300 || ! sr_wait rx 0 60; then
		notok "guest stream progresses (t > $((SR_STREAM_S / 3)), rx > 0)"
		sr_cleanup
		return 0
	fi
	check "saving mid-stream (guest at t=$(sr_progress t) of ${SR_STREAM_S}s, rx=$(sr_progress rx), no STREAM-STOP yet)" \
		bash -c '! tr -d "\r" <"$1" | grep -q "^STREAM-STOP"' _ "$SR_LOG"
	rm -f "$SR_FILE"
	if ! check "virsh save $SR $SR_FILE" run timeout 600 virsh save "$SR" "$SR_FILE"; then
		sr_cleanup
		return 0
	fi
	out=$(virsh domstate --reason "$SR" 2>&1)
	check "after the save $SR is shut off (saved): '$out'" [ "$out" = "shut off (saved)" ]
	check "the save file exists ($(stat -c %s "$SR_FILE" 2>/dev/null) bytes)" [ -s "$SR_FILE" ]
	rx0=$(sr_progress rx)
	n0=$(($(tr -d '\r' <"$SR_LOG" | wc -l) + 1))
	comment "guest console at the save: last progress rx=$rx0; $(tr -d '\r' <"$SR_LOG" | grep '^# stream progress' | tail -n1)"
	check "virsh restore $SR_FILE" run timeout 600 virsh restore "$SR_FILE"
	out=$(virsh domstate --reason "$SR" 2>&1)
	check "after the restore $SR is running: '$out'" bash -c '[ "${1%% (*}" = running ]' _ "$out"
	# the stream goes on: two progress lines printed after the restore,
	# the second with more received than the first
	if sr_wait rx -1 180 "$n0" && rx1=$(sr_progress rx "$n0") && sr_wait rx "$rx1" 120 "$n0"; then
		ok "the guest's stream goes on after the restore (rx $rx0 at the save, $rx1 then $(sr_progress rx "$n0") after the restore)"
	else
		notok "the guest's stream goes on after the restore (rx $rx0 at the save; after: '$(sr_progress rx "$n0")')"
	fi
	out=$(($(date +%s) + SR_STREAM_S + 600))
	while guest_running && [ "$(date +%s)" -lt "$out" ]; do
		sleep 2
	done
	check "the restored guest finished its stream and powered off" bash -c '! [ "$(virsh domstate "$1")" = running ]' _ "$SR"
	res=$(tr -d '\r' <"$SR_LOG" | grep '^STREAM-RESULT' | tail -n1)
	comment "guest: ${res:-no STREAM-RESULT}"
	check "every byte through ttyS1 and ttyS2 came back once, in order and unaltered ($res)" \
		bash -c 'w=$(sed -n "s/.* written=\([0-9]*\) .*/\1/p" <<<"$1"); r=$(sed -n "s/.* received=\([0-9]*\) .*/\1/p" <<<"$1");
			[ -n "$w" ] && [ "$w" -gt 0 ] && [ "$w" = "$r" ] && grep -q "^STREAM-RESULT ports=2 .* mismatches=0 extra=0 good$" <<<"$1"' _ "$res"
	check "no stuck interrupt in the guest (no 'nobody cared' / 'Disabling IRQ')" \
		bash -c '! tr -d "\r" <"$1" | grep -Ev "^(not )?ok - " | grep -Eq "nobody cared|Disabling IRQ"' _ "$SR_LOG"
	out=$(tr -d '\r' <"$SR_LOG" | grep '^# L2 summary' | tail -n1)
	check "guest kernel log clean and every guest check passed ($out)" \
		bash -c 'tr -d "\r" <"$2" | grep -q "^ok - L2 kernel log has no " && grep -q "^# L2 summary: [1-9][0-9]* passed, 0 failed" <<<"$1" && tr -d "\r" <"$2" | grep -q "^MTTY-L2-DONE"' _ "$out" "$SR_LOG"
	klog_check "virsh save/restore (host)" "$(dmesg | tail -n "+$((kl0 + 1))")"
	comment "save/restore case took $(since "$t0")s"
	sr_cleanup
}

# sr_cleanup: the guest's console and QEMU's messages as comments; destroy,
# undefine, remove the save file; back to the case of phase 3
sr_cleanup() {
	comment "save/restore guest console:"
	tr -d '\r' <"$SR_LOG" 2>/dev/null | grep -v '^# stream progress' | sed 's/^/# SR| /'
	tr -d '\r' <"$SR_LOG" 2>/dev/null | grep '^# stream progress' | sed -n '1p;$p' | sed 's/^/# SR| /'
	grep -av '^[0-9-]* [0-9:.+]*: starting up\|^LC_ALL=\|^[A-Z_]*=' "/var/log/libvirt/qemu/$SR.log" 2>/dev/null |
		tail -n 15 | sed 's/^/# qemu log| /'
	[ "$(virsh domstate "$SR" 2>/dev/null)" != running ] || virsh destroy "$SR" >/dev/null 2>&1
	check "virsh undefine $SR" run virsh undefine "$SR"
	rm -f "$SR_FILE"
	echo "# case: boot 3"
}

phase3() {
	local t0 out g name t1 rc flake
	t0=$(uptime_s)
	booted 3 "$t0"
	# --- persistent devices came back by themselves
	check "boot 3: $U1 (mtty-1, auto) running after reboot" running "$U1"
	check "boot 3: $U2 (mtty-2, auto) running after reboot" running "$U2"
	tty_boot_checks
	out=$(mdevctl list 2>&1)
	printf '%s\n' "$out" | sed 's/^/# list| /'
	check "mdevctl list shows both" bash -c 'grep -q "$1" <<<"$3" && grep -q "$2" <<<"$3"' _ "$U1" "$U2" "$out"
	check "they were started by our udev rule (journal: mtty-udev)" \
		bash -c 'journalctl -b -t mtty --no-pager | grep -q "started persistent mdevs of mtty"'
	journalctl -b -t mtty -t mdevctl --no-pager | tail -n 5 | sed 's/^/# journal| /'
	out=$(systemctl status mtty --no-pager 2>&1)
	check "systemctl status mtty lists the running devices" \
		bash -c 'grep -q "device $1 mtty-1 running" <<<"$3" && grep -q "device $2 mtty-2 running" <<<"$3"' _ "$U1" "$U2" "$out"
	check "mtty.service is ordered before libvirtd.service" \
		bash -c 'systemctl show -p Before mtty | grep -q libvirtd.service'
	# --- transient start/stop and the errors an operator gets
	check "mdevctl start -u $U3 -p mtty -t mtty-2" run mdevctl start -u "$U3" -p mtty -t mtty-2
	check "$U3 running, pool down to $((MAX_PORTS - 6)) ports ($U6 holds one)" \
		bash -c "[ -e /sys/bus/mdev/devices/$U3 ] && [ \$(cat $PARENT/mdev_supported_types/mtty-1/available_instances) -eq $((MAX_PORTS - 6)) ]"
	expect_fail "full pool: mdevctl start mtty-2 fails with a clear message" \
		"no room for another mtty-2 device.*max_ports=$MAX_PORTS" \
		mdevctl start -u "$U4" -p mtty -t mtty-2
	expect_fail "unknown type: mdevctl start -t mtty-9 fails with a clear message" \
		"unknown mtty device type 'mtty-9'" mdevctl start -u "$U4" -p mtty -t mtty-9
	check "mdevctl stop -u $U3" run mdevctl stop -u "$U3"
	check "$U3 is gone" bash -c "! [ -e /sys/bus/mdev/devices/$U3 ]"
	# --- the callout
	rc=0
	echo '{}' | "$CALLOUT" -t i915-GVTg_V5_4 -e pre -a start -s none -u "$U4" -p 0000:00:02.0 || rc=$?
	check "callout exits 2 for a device that is not an mtty" [ "$rc" -eq 2 ]
	out=$("$CALLOUT" -t mtty-1 -e get -a attributes -s none -u "$U1" -p mtty </dev/null)
	check "callout get returns an empty attribute list" [ "$out" = '[]' ]
	rc=0
	echo '{"mdev_type":"mtty-1","start":"manual","attrs":[{"foo":"1"}]}' |
		"$CALLOUT" -t mtty-1 -e pre -a define -s none -u "$U4" -p mtty 2>/dev/null || rc=$?
	check "callout refuses an unknown attribute (mtty has one: backend)" [ "$rc" -eq 1 ]
	callout_install_checks
	# --- /dev/vfio permissions (before libvirt relabels anything)
	g=$(group_of "$U1")
	out=$(stat -c '%U:%G %a' "/dev/vfio/$g")
	check "/dev/vfio/$g of $U1 is root:kvm 660 (got $out)" [ "$out" = "root:kvm 660" ]
	# the open must be refused (EACCES), not setpriv fail before trying
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		bash -c "echo 'as uid '\$(id -u); exec 3<>/dev/vfio/$g && echo OPENED" 2>&1)
	rc=$?
	comment "as nobody: open /dev/vfio/$g: exit $rc: $out"
	if grep -q "^as uid $(id -u nobody)\$" <<<"$out" && grep -q 'Permission denied' <<<"$out" &&
		! grep -q OPENED <<<"$out"; then
		ok "an unprivileged user cannot open /dev/vfio/$g (Permission denied)"
	else
		notok "an unprivileged user cannot open /dev/vfio/$g (want Permission denied as uid $(id -u nobody); exit $rc)"
	fi
	check "libvirt's QEMU user (libvirt-qemu, groups $(id -Gn libvirt-qemu | tr ' ' ,)) can open /dev/vfio/$g" \
		setpriv --reuid=libvirt-qemu --regid="$(id -g libvirt-qemu)" \
		--groups="$(id -G libvirt-qemu | tr ' ' ,)" -- bash -c "exec 3<>/dev/vfio/$g"
	# --- libvirt node devices
	t1=$(uptime_s)
	out=$(virsh nodedev-list --cap mdev 2>&1)
	comment "first virsh call took $(since "$t1")s"
	printf '%s\n' "$out" | sed 's/^/# nodedev| /'
	check "virsh nodedev-list --cap mdev shows both devices" \
		bash -c 'grep -q "mdev_${1//-/_}" <<<"$3" && grep -q "mdev_${2//-/_}" <<<"$3"' _ "$U1" "$U2" "$out"
	run virsh nodedev-list --cap mdev_types
	# the node-device XML that tests/fleet/nova_mdev.py gives Nova (recorded)
	run virsh nodedev-dumpxml mtty_mtty
	run virsh nodedev-dumpxml "mdev_${U1//-/_}_mtty"
	tty_nodedev
	mkdir -p /root/xml
	check "mtty-xml.sh writes XML for $U5 (node device)" \
		run "$XMLGEN" -u "$U5" -n nd -t mtty-1 -o /root/xml
	check "mtty-xml.sh writes XML for $U1 (hot-plug snippet)" \
		run "$XMLGEN" -u "$U1" -n hot -t mtty-1 -o /root/xml
	check "mtty-xml.sh writes XML for $U6 (hot-plug snippet, backend tty)" \
		run "$XMLGEN" -u "$U6" -n ttyhot -t mtty-1 -o /root/xml
	# The guest's kernel command line: no_timer_check (the IO-APIC timer
	# check fails when nested TCG is slow) and acpi=noirq noapic: PCI
	# interrupts are routed with the BIOS $PIR table (slots 1-6) instead of
	# ACPI _PRT, whose 128-iteration AML loop exceeds ACPICA's 30 s loop
	# timeout under nested TCG when a hot-plugged card is probed
	# (AE_AML_LOOP_TIMEOUT, then "probe with driver serial failed with
	# error -28"); with the IO-APIC the MP table would be used instead, and
	# it lists only the cards present at boot ("can't find IRQ for PCI INT
	# A; probably buggy MP table").  Hot-plug itself stays ACPI (acpiphp).
	check "mtty-xml.sh writes the guest domain with $U2" \
		run "$XMLGEN" -u "$U2" -n "$GUEST" -t mtty-2 -v qemu -m 256 -o /root/xml \
		-k "$STATE/l2/vmlinux" -i "$STATE/l2/initrd.cpio" \
		-c "console=ttyS0 8250.nr_uarts=4 loglevel=5 panic=-1 no_timer_check acpi=noirq noapic mtty.demo=1 mtty.timeout=600 mtty.ttycard=1" -s "$GUESTLOG"
	{
		echo "<domain type='qemu'><name>wrap</name><memory>65536</memory>"
		echo "<os><type>hvm</type></os><devices>"
		cat /root/xml/hot-hostdev.xml
		echo "</devices></domain>"
	} >/root/xml/hostdev-in-domain.xml
	for f in /root/xml/nd-nodedev.xml "/root/xml/$GUEST-domain.xml" /root/xml/hostdev-in-domain.xml; do
		check "virt-xml-validate ${f##*/}" run virt-xml-validate "$f"
	done
	out=$(virsh nodedev-define /root/xml/nd-nodedev.xml 2>&1)
	rc=$?
	comment "$out"
	name=$(sed -n "s/.*Node device '\([^']*\)' defined.*/\1/p" <<<"$out")
	check "virsh nodedev-define (libvirt names it '$name')" test "$rc" -eq 0 -a -n "$name"
	check "nodedev-define stored /etc/mdevctl.d/mtty/$U5" [ -e "/etc/mdevctl.d/mtty/$U5" ]
	check "virsh nodedev-start $name" run virsh nodedev-start "$name"
	check "$U5 is running" running "$U5"
	check "virsh nodedev-autostart $name" run virsh nodedev-autostart "$name"
	check "$U5 definition is now start auto" grep -q '"auto"' "/etc/mdevctl.d/mtty/$U5"
	# --- a libvirt guest with an mtty device
	check "virsh define ${GUEST}-domain.xml" run virsh define "/root/xml/$GUEST-domain.xml"
	# A nested TCG guest kernel rarely dies in early boot, before any device
	# is touched (docs/testing.md): such a boot is retried once, saying so,
	# only if its console shows one of the known flakes (boot_flake); a
	# timeout or any other death is not retried.  tests/sysvm/run.sh
	# counts the retries ("# retrying" lines).
	rc=0
	guest_boot || rc=$?
	if [ "$rc" -eq 1 ] && cp "$GUESTLOG" /root/guest-died.log 2>/dev/null &&
		flake=$(boot_flake /root/guest-died.log); then
		retry_note "libvirt guest" /root/guest-died.log "$flake"
		rc=0
		guest_boot || rc=$?
	fi
	case $rc in
	0) ok "virsh start $GUEST"; ok "guest booted (init after ${GUEST_BOOT_S}s)" ;;
	1) ok "virsh start $GUEST"; notok "guest booted (kernel died before its init)" ;;
	3) ok "virsh start $GUEST"; notok "guest booted (timed out: no init after ${GUEST_INIT_WAIT}s)" ;;
	*) notok "virsh start $GUEST"; notok "guest booted" ;;
	esac
	# while the guest holds $U2: systemctl stop mtty must refuse
	rc=0
	systemctl stop mtty || rc=$?
	comment "systemctl stop mtty with a running guest: exit $rc, unit now $(systemctl is-active mtty)"
	journalctl -b -u mtty --no-pager | grep -E 'refusing|nothing was stopped' | tail -n 3 | sed 's/^/# journal| /'
	check "systemctl stop mtty refuses while a VM holds a device (module and devices stay)" \
		bash -c "[ -d /sys/module/mtty ] && [ -e /sys/bus/mdev/devices/$U2 ] && [ -e /sys/bus/mdev/devices/$U1 ]"
	check "... and says why (journal)" \
		bash -c "journalctl -b -u mtty --no-pager | grep -q 'refusing to stop: device $U2'"
	check "systemctl start mtty brings the unit back" run systemctl start mtty
	check "mtty.service active again" bash -c '[ "$(systemctl is-active mtty)" = active ]'
	if wait_log MTTY-L2-WAIT-HOTPLUG 600; then
		ok "guest checked its boot card and waits for hot-plug"
		check "virsh attach-device $GUEST hot-hostdev.xml (live)" \
			run virsh attach-device "$GUEST" /root/xml/hot-hostdev.xml --live
		# the markers carry what the guest measured (tests/sysvm/l2-guest.sh)
		if wait_log MTTY-L2-HOTPLUG-DONE 420; then
			out=$(marker MTTY-L2-HOTPLUG-DONE)
			comment "guest: $out"
			if [ "$(marker_val "$out" cards)" = 2 ] && [ "$(marker_val "$out" ports)" = 1 ] &&
				[ "$(marker_val "$out" failed)" = 0 ]; then
				ok "guest saw and tested the hot-plugged card ($out)"
			else
				notok "guest saw and tested the hot-plugged card (want cards=2 ports=1 failed=0: $out)"
			fi
		else
			notok "guest saw and tested the hot-plugged card (no MTTY-L2-HOTPLUG-DONE in 420 s)"
			tr -d '\r' <"$GUESTLOG" | tail -n 25 | sed 's/^/# L2 now| /'
		fi
		check "virsh detach-device $GUEST hot-hostdev.xml (live)" \
			run virsh detach-device "$GUEST" /root/xml/hot-hostdev.xml --live
		if wait_log MTTY-L2-UNPLUGGED 360; then
			out=$(marker MTTY-L2-UNPLUGGED)
			comment "guest: $out"
			if [ "$(marker_val "$out" cards)" = 1 ] && [ "$(marker_val "$out" boot_card)" = kept ]; then
				ok "guest saw the card go away ($out)"
			else
				notok "guest saw the card go away (want cards=1 boot_card=kept: $out)"
			fi
		else
			notok "guest saw the card go away (no MTTY-L2-UNPLUGGED in 360 s)"
		fi
		tty_guest
	else
		notok "guest checked its boot card and waits for hot-plug"
	fi
	n=$(($(date +%s) + 120))
	while guest_running && [ "$(date +%s)" -lt "$n" ]; do
		sleep 1
	done
	check "guest powered off by itself" bash -c "! [ \"\$(virsh domstate $GUEST)\" = running ]"
	guest_running && virsh destroy "$GUEST" >/dev/null 2>&1
	comment "guest console:"
	tr -d '\r' <"$GUESTLOG" | sed -e '/^ok - L2/b' -e '/^not ok - L2/b' -e 's/^/# L2| /'
	grep -q '^ok - L2' <(tr -d '\r' <"$GUESTLOG") || notok "no L2 result at all"
	out=$(marker MTTY-L2-GUEST-DONE)
	if [ -n "$out" ]; then
		comment "guest: $out"
	else
		notok "the guest's test did not finish (no MTTY-L2-GUEST-DONE)"
	fi
	check "virsh undefine $GUEST" run virsh undefine "$GUEST"
	save_restore
	# --- stop, driver-not-loaded errors, start again
	check "systemctl stop mtty (no VM): stops the devices" run systemctl stop mtty
	check "... and unloads the module" bash -c '! [ -d /sys/module/mtty ]'
	check "... no mdev left" bash -c '! ls /sys/bus/mdev/devices/* >/dev/null 2>&1'
	check "definitions are kept" bash -c "[ -e /etc/mdevctl.d/mtty/$U1 ] && [ -e /etc/mdevctl.d/mtty/$U5 ]"
	expect_fail "driver not loaded: mdevctl start fails with a clear message" \
		"not loaded|systemctl start mtty|[Pp]arent" mdevctl start -u "$U4" -p mtty -t mtty-1
	check "systemctl start mtty" run systemctl start mtty
	check "auto devices $U1 $U2 $U5 run again" \
		bash -c "[ -e /sys/bus/mdev/devices/$U1 ] && [ -e /sys/bus/mdev/devices/$U2 ] && [ -e /sys/bus/mdev/devices/$U5 ]"
	run /usr/lib/mtty/mtty-service status
	udevadm settle --timeout=60
	check "$U6 runs with backend tty again, $HOSTTTY is back (udev)" \
		bash -c '[ "$(cat "/sys/bus/mdev/devices/$1/backend" 2>/dev/null)" = tty ] && [ -c "$2" ]' _ "$U6" "$HOSTTTY"
	# --- remove (docs: "Remove")
	check "systemctl disable --now mtty" run systemctl disable --now mtty
	check "... unloaded and disabled" \
		bash -c '! [ -d /sys/module/mtty ] && [ "$(systemctl is-enabled mtty 2>&1)" = disabled ]'
	kernel_log_clean 3
	comment "phase 3 took $(since "$t0")s"
	echo 4 >"$STATE/phase"
	sync
	echo "SYSVM-DONE"
	systemctl poweroff
}

mkdir -p "$STATE"
phase=$(cat "$STATE/phase" 2>/dev/null || echo 1)
# every boot (phase) is one test case of tests/sysvm/run.sh
echo "# case: boot $phase"
case $phase in
1) phase1 ;;
2) phase2 ;;
3) phase3 ;;
*) comment "nothing to do in phase $phase"; systemctl poweroff ;;
esac
