#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# mtty-udev -- helper of 70-mtty.rules (installed as /usr/lib/udev/mtty-udev).
#
#   mtty-udev is-mtty-group N     exit 0 if IOMMU group N holds an mtty mdev
#   mtty-udev start-parent NAME   start the persistent ("auto") mdevs of the
#                                 mdev parent NAME with mdevctl, unless
#                                 mdevctl's own udev rule already does it
#   mtty-udev mdevctl-rule-works  exit 0 if mdevctl's 60-mdevctl.rules would
#                                 start persistent mdevs on this host
#
# Messages go to the system log (tag "mtty").
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
SYSFS=${MTTY_SYSFS:-/sys}

log() { logger -t mtty -- "$*" 2>/dev/null || echo "mtty: $*" >&2; }

# is_mtty_group N
is_mtty_group() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	for d in "$SYSFS/kernel/iommu_groups/$1/devices/"*; do
		[ -e "$d/mdev_type" ] || continue
		sub=$(readlink -f "$d/mdev_type/../../subsystem" 2>/dev/null) || continue
		[ "${sub##*/}" = mtty ] && return 0
	done
	return 1
}

# The udev rules file that is in effect for NAME (etc > run > lib).
rule_in_effect() {
	for dir in /etc/udev/rules.d /run/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do
		if [ -e "$dir/$1" ] || [ -L "$dir/$1" ]; then
			echo "$dir/$1"
			return 0
		fi
	done
	return 1
}

# mdevctl_rule_works: does 60-mdevctl.rules run an existing mdevctl binary
# for "start-parent-mdevs" on MDEV_STATE=registered?
mdevctl_rule_works() {
	rule=$(rule_in_effect 60-mdevctl.rules) || return 1
	[ "$(readlink -f "$rule")" != /dev/null ] || return 1
	bins=$(grep -v '^[[:space:]]*#' "$rule" | grep 'MDEV_STATE.*registered' |
		grep -o '[^[:space:]"'\''{]*mdevctl start-parent-mdevs' |
		sed 's/ start-parent-mdevs$//')
	[ -n "$bins" ] || return 1
	for b in $bins; do
		case $b in
		/*) [ -x "$b" ] || return 1 ;;
		*) command -v "$b" >/dev/null 2>&1 || return 1 ;;
		esac
	done
	return 0
}

start_parent() {
	name=$1
	if mdevctl_rule_works; then
		log "persistent mdevs of $name are started by 60-mdevctl.rules"
		return 0
	fi
	if ! command -v mdevctl >/dev/null 2>&1; then
		log "mdevctl is not installed; cannot start persistent mdevs of $name"
		return 1
	fi
	out=$(mdevctl start-parent-mdevs "$name" 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | logger -t mtty 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		log "mdevctl start-parent-mdevs $name failed (exit $rc)"
		return "$rc"
	fi
	log "started persistent mdevs of $name: $(mdevctl list -p "$name" 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')"
}

case ${1:-} in
is-mtty-group) is_mtty_group "${2:-}" ;;
start-parent) start_parent "${2:?usage: mtty-udev start-parent NAME}" ;;
mdevctl-rule-works) mdevctl_rule_works ;;
*)
	echo "usage: mtty-udev is-mtty-group N | start-parent NAME | mdevctl-rule-works" >&2
	exit 2
	;;
esac
