#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-prep.sh -- first boot of a fleet host of tests/fleet/ansible-test.sh
# (run once by mtty-fleet-prep.service, a test harness unit that is not part
# of the package): turn the minimal Debian image into a host Ansible can
# manage, as a provisioning system would: DHCP on the user-mode network
# (systemd-networkd), and from the local mirror /srv/mtty-repo (the only apt
# source: the guest has no route out) openssh-server, python3, python3-apt
# and sudo.  root's authorized_keys (the run's test key) came with the
# payload.  Results go to /dev/ttyS1: "ok - ..."/"not ok - ...", then
# FLEET-PREP-DONE or FLEET-PREP-FAILED.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
exec >>/dev/ttyS1 2>&1

fail() {
	echo "not ok - $(hostname): $*"
	echo "FLEET-PREP-FAILED"
	exit 1
}

systemctl enable --now systemd-networkd.service >/run/fleet-prep.log 2>&1 ||
	fail "systemctl enable --now systemd-networkd"
apt-get -q update >>/run/fleet-prep.log 2>&1 || fail "apt-get update (local mirror)"
apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends install \
	openssh-server python3 python3-apt sudo >>/run/fleet-prep.log 2>&1 || {
	tail -n 30 /run/fleet-prep.log | sed 's/^/# /'
	fail "apt-get install openssh-server python3 python3-apt sudo"
}
systemctl is-active --quiet ssh.service || fail "ssh.service active"
echo "ok - $(hostname): networkd, sshd, python3, python3-apt, sudo ready"
echo "FLEET-PREP-DONE"
