#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 50-stress: concurrency, faults and teardown.
#   pool      threads creating/removing mtty-1/mtty-2 devices in parallel on
#             a small pool (only ENOSPC allowed, never over-committed)
#   openrace  concurrent opens of one device (group: 0/EBUSY; device fds)
#   hold      remove requested while a process holds the device: blocks
#             until the holder dies (no REQ eventfd) or the holder is asked
#             through its REQ eventfd and lets go
#   kill      the VFIO client SIGKILLed mid-transfer, the device reused
#   rmmod     module unload refused while a device is open, clean while
#             devices exist but are closed
#   params    max_ports out of range refused with EINVAL and a message
#   leak      many device lifecycles: no slab cache / SUnreclaim growth
# After each: available_instances back to the full pool, no stray
# /dev/vfio nodes, clean kernel log.  "mtty.fuzz=long" on the kernel
# command line makes the loops longer.
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

FUZZ=/usr/bin/vfio_fuzz
if grep -q 'mtty\.fuzz=long' /proc/cmdline; then
	POOL_ITERS=1000 RACE_ITERS=2000 LEAK_CYCLES=3000 KILLS=20
else
	POOL_ITERS=40 RACE_ITERS=100 LEAK_CYCLES=1000 KILLS=3
fi

if [ ! -x "$FUZZ" ]; then
	notok "stress: $FUZZ missing (tests/vm/run.sh --bin build/vfio_fuzz)"
	exit 1
fi

POOL=24
# clean NAME: full pool, no devices, no stray nodes, kernel log clean.
clean() {
	pool_clean "$1"
	dmesg_check "$1"
	dmesg_mark
}

# reload POOL: (re)load mtty with max_ports=POOL.
reload() {
	! mtty_loaded || unload_mtty || return 1
	POOL=$1
	load_mtty "max_ports=$1"
}

# remove_bg UUID: request removal in the background; status in /tmp/rm.rc.
remove_bg() {
	rm -f /tmp/rm.rc
	(
		if echo 1 >"/sys/bus/mdev/devices/$1/remove"; then
			echo 0 >/tmp/rm.rc
		else
			echo 1 >/tmp/rm.rc
		fi
	) 2>/dev/null &
	RM_PID=$!
}

dmesg_mark

# --- pool: parallel create/remove ---------------------------------------------
check "pool: load mtty max_ports=6" reload 6 || exit 1
"$FUZZ" pool -j 8 -n "$POOL_ITERS" -o 25
check_eq "pool: vfio_fuzz pool exit status" 0 "$?"
clean "pool"

# --- openrace: concurrent opens of one device ----------------------------------
check "openrace: load mtty max_ports=24" reload 24 || exit 1
u=$(create_mdev mtty-2) || notok "openrace: create"
"$FUZZ" openrace -j 4 -n "$RACE_ITERS" "$u"
check_eq "openrace: vfio_fuzz openrace exit status" 0 "$?"
check "openrace: remove" remove_mdev "$u"
clean "openrace"

# --- hold: removal while a process holds the device -----------------------------
u=$(create_mdev mtty-1) || notok "hold: create"
"$FUZZ" hold -t 120 "$u" >/tmp/hold.out 2>&1 &
hpid=$!
check "hold: holder has the device open" wait_text /tmp/hold.out holding 20
remove_bg "$u"
sleep 3
check_fail "hold: remove blocks while the device is open (no REQ eventfd)" \
	test -e /tmp/rm.rc
# device_del() drops the /sys/bus/mdev/devices link before it unbinds the
# driver, so the blocked device is seen under its parent.
check "hold: device still present under the parent while held" \
	test -d "$MTTY_PARENT/$u"
check_eq "hold: its ports still in use" "$((POOL - 1))" "$(avail mtty-1)"
kill -9 "$hpid"
wait "$hpid" 2>/dev/null
n=0
while [ ! -e /tmp/rm.rc ] && [ $n -lt 100 ]; do
	usleep 100000
	n=$((n + 1))
done
check_eq "hold: remove completes once the holder is killed" 0 "$(cat /tmp/rm.rc 2>/dev/null)"
wait "$RM_PID" 2>/dev/null
check_fail "hold: device gone" test -e "/sys/bus/mdev/devices/$u"
clean "hold"

u=$(create_mdev mtty-2) || notok "hold-req: create"
"$FUZZ" hold -r -t 60 "$u" >/tmp/hold.out 2>&1 &
hpid=$!
check "hold-req: holder has the device open with a REQ eventfd" \
	wait_text /tmp/hold.out holding 20
remove_bg "$u"
wait "$hpid"
hrc=$?
sed 's/^/# /' /tmp/hold.out
check_eq "hold-req: holder got the release request and let go" 0 "$hrc"
n=0
while [ ! -e /tmp/rm.rc ] && [ $n -lt 100 ]; do
	usleep 100000
	n=$((n + 1))
done
check_eq "hold-req: remove completes after the release" 0 "$(cat /tmp/rm.rc 2>/dev/null)"
wait "$RM_PID" 2>/dev/null
clean "hold-req"

# --- kill: client killed mid-transfer, device reused ----------------------------
for t in mtty-1 mtty-2; do
	u=$(create_mdev "$t") || notok "kill: create $t"
	i=0
	bad=0
	while [ $i -lt "$KILLS" ]; do
		"$FUZZ" xfer "$u" >/tmp/xfer.out 2>&1 &
		xpid=$!
		wait_text /tmp/xfer.out running 20 || bad=$((bad + 1))
		usleep $((200000 + i * 150000))
		if ! kill -0 "$xpid" 2>/dev/null; then
			comment "kill: xfer exited early: $(cat /tmp/xfer.out)"
			bad=$((bad + 1))
		fi
		kill -9 "$xpid" 2>/dev/null
		wait "$xpid" 2>/dev/null
		"$FUZZ" verify "$u" >/tmp/verify.out 2>&1 || {
			cat /tmp/verify.out
			bad=$((bad + 1))
		}
		i=$((i + 1))
	done
	check_eq "kill: $t: $KILLS clients SIGKILLed mid-transfer, device reset and lossless afterwards" 0 "$bad"
	check "kill: remove $t" remove_mdev "$u"
done
clean "kill"

# --- rmmod: unload while devices exist or are open ------------------------------
u=$(create_mdev mtty-2) || notok "rmmod: create"
u2=$(create_mdev mtty-1) || notok "rmmod: create"
"$FUZZ" hold -t 120 "$u" >/tmp/hold.out 2>&1 &
hpid=$!
check "rmmod: holder has the device open" wait_text /tmp/hold.out holding 20
if out=$(rmmod mtty 2>&1); then
	notok "rmmod: unload refused while a device is open (it succeeded)"
else
	comment "rmmod: $out"
	ok "rmmod: unload refused while a device is open"
fi
check "rmmod: module still loaded" mtty_loaded
check "rmmod: open device still present" test -d "/sys/bus/mdev/devices/$u"
check_eq "rmmod: pool unchanged" "$((POOL - 3))" "$(avail mtty-1)"
kill -9 "$hpid"
wait "$hpid" 2>/dev/null
check "rmmod: unload with two closed devices present" rmmod mtty
check_fail "rmmod: module gone" mtty_loaded
check_eq "rmmod: devices removed with the module" "" "$(ls /sys/bus/mdev/devices)"
check_fail "rmmod: the closed mtty-1 $u2 is gone" test -e "/sys/bus/mdev/devices/$u2"
check_eq "rmmod: no stray /dev/vfio nodes" "" "$(stray_nodes | tr '\n' ' ')"
check "rmmod: reload" reload 24
clean "rmmod"

# --- params: max_ports out of range -----------------------------------------------
unload_mtty
# value, expected insmod error (strerror of the errno), expected kernel message
while read -r p want klog; do
	[ "$p" = '""' ] && p=
	dmesg_mark
	if out=$(insmod "$MTTY_KO" "max_ports=$p" 2>&1); then
		notok "params: insmod max_ports='$p' refused (it loaded)"
		unload_mtty
		continue
	fi
	comment "params: max_ports='$p': $out"
	if printf '%s\n' "$out" | grep -qiE "$want"; then
		ok "params: insmod max_ports='$p' fails with '$want'"
	else
		notok "params: insmod max_ports='$p': expected '$want', got: $out"
	fi
	if dmesg_since_mark | grep -q "$klog"; then
		ok "params: max_ports='$p' logs '$klog'"
	else
		notok "params: max_ports='$p': no '$klog' in the kernel log"
	fi
	check_fail "params: module not loaded after max_ports='$p'" mtty_loaded
done <<EOF
0 invalid.parameters|invalid.argument max_ports=0.out.of.range
65537 invalid.parameters|invalid.argument max_ports=65537.out.of.range
-1 invalid.parameters|invalid.argument invalid.for.parameter
abc invalid.parameters|invalid.argument invalid.for.parameter
"" invalid.parameters|invalid.argument invalid.for.parameter
4294967296 out.of.range invalid.for.parameter
EOF
dmesg_mark
check "params: max_ports=1 loads" reload 1
check_eq "params: max_ports=1: one mtty-1" 1 "$(avail mtty-1)"
check_eq "params: max_ports=1: no mtty-2" 0 "$(avail mtty-2)"
check "params: max_ports=65536 loads" reload 65536
check_eq "params: max_ports=65536: mtty-2 available_instances" 32768 "$(avail mtty-2)"
check "params: reload max_ports=24" reload 24
clean "params"

# --- leak: device lifecycles against slab usage ------------------------------------
"$FUZZ" leak -n "$LEAK_CYCLES" -b 512
check_eq "leak: vfio_fuzz leak exit status" 0 "$?"
clean "leak"
unload_mtty
