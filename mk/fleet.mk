# SPDX-License-Identifier: GPL-2.0-only
#
# Fleet: the Ansible playbook run for real.
#   make fleet-test     tests/fleet/ansible-test.sh: two booted Debian 12
#                       hosts (TCG), the playbook from this host with
#                       ansible-core, idempotence, --check, a reboot
#                       (slow: DKMS builds in both guests; not in make check)
#                       FLEET_RUN="SUITE:LINE" picks the hosts' release and
#                       kernel line, e.g. FLEET_RUN=trixie:trixie
# Included by the top-level Makefile (-include mk/*.mk).

FLEET_RUN ?= bookworm:6.1

.PHONY: fleet-test

fleet-test: deps deb
	@tests/fleet/ansible-test.sh --suite "$(firstword $(subst :, ,$(FLEET_RUN)))" \
		--kernel "$(lastword $(subst :, ,$(FLEET_RUN)))" --deb $(PKG_DEB)
