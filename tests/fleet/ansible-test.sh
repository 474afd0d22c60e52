#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ansible-test.sh -- run the Ansible playbook examples/fleet/ansible/
# mtty-hosts.yml from this host against two booted Debian systemd hosts,
# the way an operator runs it against a fleet (make fleet-test).
#
#   tests/fleet/ansible-test.sh [--suite bookworm|trixie] --kernel LINE
#                               [--deb FILE] [--timeout S] [-q]
#
# --suite/--kernel as tests/pkg/vm-test.sh (bookworm: 6.1, 6.12; trixie:
# trixie, trixie-backports).
# 1. ansible-lint on the playbook (no VM);
# 2. the package (build/deb/mtty-dkms_<version>_all.deb, built if missing;
#    --deb to pass one), the sysvm base image and boot initramfs
#    (tests/sysvm/mkrootfs.sh, mkinitrd.sh: cached, shared) and a local apt
#    mirror (local_mirror in tests/lib/host.sh, cached) of the running
#    kernel's headers, dkms and what Ansible needs on a managed host
#    (openssh-server, python3, python3-apt, sudo), none of which the image
#    has;
# 3. an SSH key generated for this run (build/fleet-ansible/<run>/id_ed25519)
#    and a payload disk the boot initramfs unpacks on the first boot: the
#    mirror as the only apt source, root's authorized_keys, a first-boot
#    unit (guest-prep.sh) that starts networkd and installs sshd and python3;
# 4. with the VM lock held once for the whole run, boots two hosts (fleet1,
#    fleet2) at once, each on a qcow2 overlay of the cached image, with
#    user-mode networking restricted to the host (restrict=on: no route out)
#    and only hostfwd=tcp:127.0.0.1:PORT-:22;
# 5. from this host, with Debian's ansible-core: an inventory of the two
#    hosts; run 1 (apt installs the headers and the .deb, DKMS builds in each
#    guest; pool size 16; devices defined with mdevctl define --auto and
#    started), asserted on each host over ssh; run 2 must report changed=0
#    on both (PLAY RECAP); --check must not fail (and change nothing);
#    fleet1 is rebooted and its devices must come back.
# Prints ok/not ok lines (one per test case) and
# "fleet-test: N passed, N failed".
# Logs: build/fleet-ansible/<run>/ (fleetN-console.log, fleetN-results.log,
# run1.log, run2.log, check.log, inventory.yml).
set -uo pipefail
# one compound command: bash reads it whole before running it
{

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$REPO_DIR
PLAYBOOK=$TOP/examples/fleet/ansible/mtty-hosts.yml
HOSTS=(fleet1 fleet2)
T0=$(date +%s)

# shellcheck disable=SC2034 # LINE, QUIET: set by vm_test_args (-q: the output is short anyway)
LINE='' DEB='' TIMEOUT=3000 QUIET=''
vm_test_args --deb DEB "[--suite bookworm|trixie] --kernel LINE [--deb FILE] [--timeout S] [-q]" "$@"
: "${KVER:?} ${VMLINUZ:?}"

QPIDS=() LOCKWAIT=0
finish() {
	local p
	for p in "${QPIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	echo "# fleet-test ($SUITE, $KVER): $(($(date +%s) - T0))s, of which ${LOCKWAIT}s waiting for the VM lock"
	tap_done fleet-test
	exit
}

OUT=$TOP/build/fleet-ansible/$TAG
rm -rf "$OUT"
mkdir -p "$OUT"
echo "# fleet test: two $SUITE hosts, kernel $KVER, logs in $OUT"

for c in ansible-playbook ansible-lint ssh ssh-keygen qemu-img qemu-system-x86_64 \
	debugfs dpkg-scanpackages python3; do
	command -v "$c" >/dev/null || { notok "host tool $c present (scripts/deps.sh)"; finish; }
done

# --- 1. the playbook passes ansible-lint
if (cd "${PLAYBOOK%/*}" && ansible-lint --nocolor "${PLAYBOOK##*/}") >"$OUT/lint.log" 2>&1; then
	ok "ansible-lint ${PLAYBOOK#"$TOP"/} ($(ansible-lint --nocolor --version 2>/dev/null | head -n1))"
else
	sed 's/^/# /' "$OUT/lint.log"
	notok "ansible-lint ${PLAYBOOK#"$TOP"/}"
fi

# --- 2. package, image, mirror
if [ -z "$DEB" ]; then
	DEB=$TOP/build/deb/mtty-dkms_$(cat "$TOP/VERSION")_all.deb
	[ -s "$DEB" ] || "$TOP/tests/pkg/build-deb.sh" >/dev/null || die "make deb failed"
fi
[ -s "$DEB" ] || die "no package $DEB"
DEB=$(readlink -f "$DEB")
VER=$(dpkg-deb -f "$DEB" Version)
VER=${VER%%-*}
IMG=$("$TOP/tests/sysvm/mkrootfs.sh" --suite "$SUITE" "${ENVS[@]}") || die "base image failed"
[ -f "$IMG" ] || die "base image: mkrootfs.sh printed \"$IMG\", not an image file"
BOOT=$("$TOP/tests/sysvm/mkinitrd.sh" "$ENV_FILE") || die "boot initramfs failed"
STATUS=$OUT/image-dpkg-status
debugfs -R 'cat /var/lib/dpkg/status' "$IMG" >"$STATUS" 2>/dev/null ||
	die "cannot read the image's dpkg status (debugfs)"
grep -q '^Package: mdevctl$' "$STATUS" || die "image dpkg status looks wrong"
WANT="dkms linux-headers-$KVER openssh-server python3 python3-apt sudo"
# Debian's 6.12 headers depend on the kernel image package (as vm-test.sh)
hdr=$(compgen -G "$MTTY_CACHE/debs/linux-headers-${KVER}_*.deb" | head -n1 || true)
if [ -n "$hdr" ] && dpkg-deb -f "$hdr" Depends | grep -q "linux-image-$KVER"; then
	WANT="$WANT linux-image-$KVER-unsigned"
fi
local_mirror
miss=''
for p in $WANT; do
	grep -q "^Package: $p\$" "$REPO/Packages" || miss="$miss $p"
done
if [ -z "$miss" ]; then
	ok "local mirror ${REPO##*/}: $WANT and their dependencies"
else
	notok "local mirror ${REPO##*/} lacks$miss"
	finish
fi

# --- 3. test key and payload
KEY=$OUT/id_ed25519
ssh-keygen -q -t ed25519 -N '' -C "mtty-fleet-test-$$" -f "$KEY" || die "ssh-keygen failed"
STAGE=$OUT/stage
umask 022
mkdir -p "$STAGE/srv" "$STAGE/etc/apt/sources.list.d" "$STAGE/usr/lib/mtty-fleet" \
	"$STAGE/etc/systemd/system/multi-user.target.wants" "$STAGE/etc/systemd/network"
cp -a "$REPO" "$STAGE/srv/mtty-repo" || die "cannot stage the mirror"
echo '# offline host: the local mirror is the only source (sources.list.d)' \
	>"$STAGE/etc/apt/sources.list"
echo 'deb [trusted=yes] file:/srv/mtty-repo ./' >"$STAGE/etc/apt/sources.list.d/mtty-local.list"
printf '[Match]\nName=e*\n\n[Network]\nDHCP=yes\n' >"$STAGE/etc/systemd/network/20-fleet.network"
install -d -m 700 "$STAGE/root/.ssh"
install -m 600 "$KEY.pub" "$STAGE/root/.ssh/authorized_keys"
install -m 755 "$HERE/guest-prep.sh" "$STAGE/usr/lib/mtty-fleet/guest-prep.sh"
install -m 644 "$HERE/mtty-fleet-prep.service" "$STAGE/etc/systemd/system/"
ln -s /etc/systemd/system/mtty-fleet-prep.service \
	"$STAGE/etc/systemd/system/multi-user.target.wants/mtty-fleet-prep.service"
PAYLOAD=$OUT/payload.tar
tar -C "$STAGE" --owner=0 --group=0 --numeric-owner -cf "$PAYLOAD" . || die "payload tar failed"
rm -rf "$STAGE"

# --- 4. boot both hosts (the VM lock once, for the whole run)
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# a private reference to the image: the shared cache may replace it
BASE=$OUT/rootfs.ext4
ln -f "$IMG" "$BASE" 2>/dev/null || BASE=$IMG
cp "$BOOT" "$OUT/boot.cpio" || die "cannot copy $BOOT"
declare -A PORT DEVS
# the persistent devices of each host (UUID:TYPE ...), for the inventory
DEVS[fleet1]="6d1f0a52-3c0e-4f7a-9b1d-0f1ee7000101:mtty-2 6d1f0a52-3c0e-4f7a-9b1d-0f1ee7000102:mtty-1"
DEVS[fleet2]="6d1f0a52-3c0e-4f7a-9b1d-0f1ee7000201:mtty-2"
log "waiting for the VM lock"
t=$(date +%s)
vm_lock
LOCKWAIT=$(($(date +%s) - t))
echo "# waited ${LOCKWAIT}s for the VM lock"
for h in "${HOSTS[@]}"; do
	PORT[$h]=$(free_port)
	[ "${PORT[$h]}" != "${PORT[fleet1]}" ] || [ "$h" = fleet1 ] || PORT[$h]=$(free_port)
	qemu-img create -q -f qcow2 -F raw -b "$BASE" "$OUT/$h.qcow2" || die "qemu-img create failed"
	: >"$OUT/$h-console.log"
	: >"$OUT/$h-results.log"
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -M pc \
		-cpu max,-svm,-la57 -smp 2 -m 2048 -nodefaults -display none \
		-kernel "$VMLINUZ" -initrd "$OUT/boot.cpio" \
		-append "console=ttyS0 loglevel=4 panic=-1 systemd.hostname=$h" \
		-drive "file=$OUT/$h.qcow2,format=qcow2,if=virtio" \
		-drive "file=$PAYLOAD,format=raw,if=virtio,readonly=on" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${PORT[$h]}-:22" \
		-device virtio-net-pci,netdev=n0 \
		-serial "file:$OUT/$h-console.log" -serial "file:$OUT/$h-results.log" \
		</dev/null >"$OUT/$h-qemu.log" 2>&1 &
	QPIDS+=($!)
	echo "# $h: ssh -p ${PORT[$h]} root@127.0.0.1 (qemu pid $!)"
done

# ssh_ H CMD...: run CMD on host H as root with the test key
ssh_() {
	local h=$1
	shift
	ssh -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20 \
		-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$OUT/known_hosts" \
		-o LogLevel=ERROR -p "${PORT[$h]}" root@127.0.0.1 "$@"
}
console_tail() {
	tr -d '\r' <"$OUT/$1-console.log" | tail -n 30 | sed "s/^/# $1 console| /"
}
# wait_ssh H SECS [NOT_BOOT_ID]: until H answers over ssh (with a boot id
# other than NOT_BOOT_ID); false after SECS
wait_ssh() {
	local h=$1 end=$(($(date +%s) + $2)) not=${3:-} id
	while [ "$(date +%s)" -lt "$end" ]; do
		id=$(ssh_ "$h" cat /proc/sys/kernel/random/boot_id 2>/dev/null) || id=''
		if [ -n "$id" ] && [ "$id" != "$not" ]; then
			return 0
		fi
		sleep 5
	done
	return 1
}

prep_ok=1
end=$(($(date +%s) + 1200))
for h in "${HOSTS[@]}"; do
	while ! grep -q '^FLEET-PREP-' "$OUT/$h-results.log" && [ "$(date +%s)" -lt "$end" ]; do
		sleep 5
	done
	tr -d '\r' <"$OUT/$h-results.log"
	if grep -q '^FLEET-PREP-DONE' "$OUT/$h-results.log" && wait_ssh "$h" 300; then
		ok "$h: booted, prepared and reachable over ssh (key login as root)"
	else
		console_tail "$h"
		notok "$h: booted, prepared and reachable over ssh"
		prep_ok=''
	fi
done
[ -n "$prep_ok" ] || finish
echo "# hosts up after $(($(date +%s) - T0))s"

# --- 5. Ansible
INV=$OUT/inventory.yml
{
	echo '# SPDX-License-Identifier: GPL-2.0-only'
	echo '# generated by tests/fleet/ansible-test.sh'
	echo 'mtty_hosts:'
	echo '  hosts:'
	for h in "${HOSTS[@]}"; do
		echo "    $h:"
		echo "      ansible_port: ${PORT[$h]}"
		echo '      mtty_devices:'
		for d in ${DEVS[$h]}; do
			echo "        - uuid: ${d%%:*}"
			echo "          type: ${d#*:}"
		done
	done
	echo '  vars:'
	echo '    ansible_host: 127.0.0.1'
	echo '    ansible_user: root'
	echo "    ansible_ssh_private_key_file: $KEY"
	echo "    ansible_ssh_common_args: -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$OUT/known_hosts"
	echo '    ansible_python_interpreter: /usr/bin/python3'
	echo '    mtty_max_ports: 16'
} >"$INV"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_PIPELINING=1 ANSIBLE_FORKS=2 \
	ANSIBLE_TIMEOUT=60 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME=$OUT/ansible-home \
	ANSIBLE_LOCAL_TEMP=$OUT/ansible-home/tmp
# play LABEL ARGS...: ansible-playbook against the inventory; the log in
# OUT/LABEL.log, its PLAY RECAP shown; sets PLAY_RC.  Without the VM lock's
# descriptor (8): ssh's ControlPersist masters outlive the run.
play() {
	local label=$1 t
	shift
	t=$(date +%s)
	PLAY_RC=0
	timeout -k 10 1800 ansible-playbook -i "$INV" "$PLAYBOOK" -e "mtty_deb=$DEB" "$@" \
		>"$OUT/$label.log" 2>&1 8>&- || PLAY_RC=$?
	echo "# ansible-playbook $* ($label): exit $PLAY_RC after $(($(date +%s) - t))s"
	sed -n '/^PLAY RECAP/,$p' "$OUT/$label.log" | sed 's/^/#   /'
	if [ "$PLAY_RC" -ne 0 ]; then
		grep -E '^(fatal|failed):|FAILED|ERROR' "$OUT/$label.log" | head -n 20 | sed 's/^/# /'
	fi
}
# recap LABEL HOST FIELD: FIELD (ok, changed, failed, ...) of HOST's
# PLAY RECAP line in LABEL's log ('' if none)
recap() {
	sed -n '/^PLAY RECAP/,$p' "$OUT/$1.log" |
		sed -n "s/^$2 *:.* $3=\([0-9]*\).*/\1/p" | head -n1
}
# recap_ok LABEL HOST: the host was reached and nothing failed
recap_ok() {
	[ "$(recap "$1" "$2" unreachable)" = 0 ] && [ "$(recap "$1" "$2" failed)" = 0 ]
}
# defined_ok H UUID TYPE: mdevctl list --defined shows the device as auto
defined_ok() {
	ssh_ "$1" mdevctl list --defined | grep -Eq "^$2 +mtty +$3 +auto"
}
# klog_host H WHEN: H's kernel log clean (a log that cannot be read fails)
klog_host() {
	local kl
	kl=$(ssh_ "$1" dmesg 2>/dev/null)
	if [ -z "$kl" ]; then
		notok "$1 $2: kernel log readable over ssh"
		return 1
	fi
	klog_check "$1 $2" "$kl"
}
# assert_host H WHEN: the state the playbook promises, on H, over ssh
assert_host() {
	local h=$1 when=$2 u t n=0 bad='' mp
	check "$h $when: dkms status: mtty $VER installed for the running kernel" \
		ssh_ "$h" "dkms status -m mtty -v $VER -k \$(uname -r) | grep -q ': installed'"
	check "$h $when: mtty.service enabled and active" \
		ssh_ "$h" systemctl is-enabled --quiet mtty.service '&&' systemctl is-active --quiet mtty.service
	mp=$(ssh_ "$h" cat /sys/module/mtty/parameters/max_ports 2>&1) || mp="(ssh failed: $mp)"
	check_eq "$h $when: the module runs with the inventory's pool size (max_ports)" 16 "$mp"
	ssh_ "$h" mdevctl list --defined 2>&1 | sed -n "/./s/^/# $h mdevctl list --defined: /p"
	ssh_ "$h" mdevctl list 2>&1 | sed -n "/./s/^/# $h mdevctl list: /p"
	for d in ${DEVS[$h]}; do
		u=${d%%:*} t=${d#*:}
		n=$((n + 1))
		defined_ok "$h" "$u" "$t" || bad="$bad $u:not-defined-auto"
		ssh_ "$h" mdevctl list | grep -Eq "^$u +mtty +$t( |\$)" || bad="$bad $u:not-listed-running"
		ssh_ "$h" test -e "/sys/bus/mdev/devices/$u" || bad="$bad $u:not-in-sysfs"
	done
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		ok "$h $when: its $n device(s) defined (auto) in mdevctl, running, in /sys/bus/mdev/devices"
	else
		notok "$h $when: its devices defined, running, in sysfs (${n} in the inventory;$bad)"
	fi
	klog_host "$h" "$when"
}

for h in "${HOSTS[@]}"; do
	klog_host "$h" "before the playbook"
done

# run 1: everything is installed and configured
play run1
check_eq "run 1: ansible-playbook exits 0" 0 "$PLAY_RC"
for h in "${HOSTS[@]}"; do
	c=$(recap run1 "$h" changed)
	if recap_ok run1 "$h" && [ "${c:-0}" -gt 0 ]; then
		ok "run 1: $h reached, nothing failed, changed=$c"
	else
		notok "run 1: $h reached, nothing failed, something changed (recap: $(grep -E "^$h +:" "$OUT/run1.log" || echo none))"
	fi
	check "$h after run 1: DKMS built the module inside the host (updates/dkms)" \
		ssh_ "$h" "modinfo -n mtty | grep -q /updates/dkms/"
	assert_host "$h" "after run 1"
done

# run 2: idempotent
play run2
check_eq "run 2: ansible-playbook exits 0" 0 "$PLAY_RC"
for h in "${HOSTS[@]}"; do
	c=$(recap run2 "$h" changed)
	if recap_ok run2 "$h" && [ "$c" = 0 ]; then
		ok "run 2: $h reports changed=0 (idempotent)"
	else
		notok "run 2: $h reports changed=0 (got changed='$c'; $(grep -E "^$h +:" "$OUT/run2.log" || echo no recap))"
	fi
done

# --check: dry run on the configured hosts
play check --check
check_eq "--check: ansible-playbook --check exits 0" 0 "$PLAY_RC"
for h in "${HOSTS[@]}"; do
	c=$(recap check "$h" changed)
	if recap_ok check "$h" && [ "$c" = 0 ]; then
		ok "--check: $h reached, nothing failed, nothing would change"
	else
		notok "--check: $h (got changed='$c'; $(grep -E "^$h +:" "$OUT/check.log" || echo no recap))"
	fi
done

# reboot fleet1: the unit loads the module, udev and mdevctl start the
# auto devices
h=fleet1
id=$(ssh_ "$h" cat /proc/sys/kernel/random/boot_id)
ssh_ "$h" systemctl reboot || true
if wait_ssh "$h" 900 "$id"; then
	ok "$h rebooted (new boot id) and is reachable again"
	st=$(ssh_ "$h" timeout 300 systemctl is-system-running --wait 2>&1 || true)
	echo "# $h system state after the reboot: $st"
	assert_host "$h" "after reboot"
else
	console_tail "$h"
	notok "$h rebooted and is reachable again"
fi

# --- power off
for h in "${HOSTS[@]}"; do
	ssh_ "$h" systemctl poweroff 2>/dev/null || true
done
for p in "${QPIDS[@]}"; do
	for _ in $(seq 60); do
		kill -0 "$p" 2>/dev/null || break
		sleep 2
	done
done
finish
}
