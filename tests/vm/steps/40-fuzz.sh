#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 40-fuzz: a hostile VFIO user.  vfio_fuzz drives an mtty-1 and an mtty-2
# device with random ioctls (bad argsz/flags/indexes/counts/eventfds/
# pointers), region accesses at random offsets and sizes, config writes,
# resets and reopens, checking every result against the spec.  Short form
# 10^5 operations; with "mtty.fuzz=long" on the kernel command line 10^6.
# Afterwards: pool back to full, no stray /dev/vfio nodes, slab within
# bounds, kernel log clean.  Also: group nodes are root-only (uid 65534
# gets EACCES).
# shellcheck source=lib.sh disable=SC1091
. /steps/lib.sh

FUZZ=/usr/bin/vfio_fuzz
POOL=8
if grep -q 'mtty\.fuzz=long' /proc/cmdline; then
	OPS=1000000
	SECS=4000
else
	OPS=100000
	SECS=150
fi

if [ ! -x "$FUZZ" ]; then
	notok "fuzz: $FUZZ missing (tests/vm/run.sh --bin build/vfio_fuzz)"
	exit 1
fi

sunreclaim() { sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

dmesg_mark
check "fuzz: load mtty max_ports=$POOL" load_mtty "max_ports=$POOL" || exit 1
if ! u1=$(create_mdev mtty-1) || ! u2=$(create_mdev mtty-2); then
	notok "fuzz: create an mtty-1 and an mtty-2 device"
	exit 1
fi
g1=$(mdev_group "$u1")
g2=$(mdev_group "$u2")

# --- security: the group nodes are root-only -------------------------------
for g in "$g1" "$g2"; do
	check_eq "fuzz: /dev/vfio/$g is root:root 0600" "600 0 0" \
		"$(stat -c '%a %u %g' "/dev/vfio/$g")"
done
check "fuzz: uid 65534 cannot open the group nodes" \
	"$FUZZ" unpriv "/dev/vfio/$g1" "/dev/vfio/$g2"
ww=$(find /dev/vfio -perm -o+w ! -path /dev/vfio/vfio 2>/dev/null | tr '\n' ' ')
check_eq "fuzz: nothing under /dev/vfio but the container is world-writable" "" "$ww"

# --- the fuzzer ---------------------------------------------------------------
slab0=$(sunreclaim)
comment "fuzz: $OPS operations (at most ${SECS}s) on $u1 (mtty-1) and $u2 (mtty-2)"
t0=$(cut -d. -f1 /proc/uptime)
"$FUZZ" fuzz -n "$OPS" -t "$SECS" "$u1" "$u2" >/tmp/fuzz.out 2>&1
rc=$?
t1=$(cut -d. -f1 /proc/uptime)
grep -v '^VFIO_FUZZ_OPS' /tmp/fuzz.out
ran=$(sed -n 's/^VFIO_FUZZ_OPS //p' /tmp/fuzz.out)
check_eq "fuzz: vfio_fuzz exit status" 0 "$rc"
if [ "${ran:-0}" -ge "$OPS" ]; then
	ok "fuzz: $ran operations in $((t1 - t0))s (required $OPS)"
else
	notok "fuzz: only ${ran:-0} of $OPS operations in $((t1 - t0))s"
fi

# the devices still work after all that
check "fuzz: mtty-1 device verifies after fuzzing" "$FUZZ" verify "$u1"
check "fuzz: mtty-2 device verifies after fuzzing" "$FUZZ" verify "$u2"

check "fuzz: remove $u1" remove_mdev "$u1"
check "fuzz: remove $u2" remove_mdev "$u2"
pool_clean "fuzz"
slab1=$(sunreclaim)
comment "fuzz: SUnreclaim ${slab0} -> ${slab1} kB"
if [ $((slab1 - slab0)) -le 4096 ]; then
	ok "fuzz: SUnreclaim grew by at most 4 MiB ($((slab1 - slab0)) kB)"
else
	notok "fuzz: SUnreclaim grew by $((slab1 - slab0)) kB during the fuzz run"
fi
check "fuzz: rmmod mtty" unload_mtty
dmesg_check "fuzz"
