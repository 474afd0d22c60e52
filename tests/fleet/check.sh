#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: the fleet examples against the real definitions of the engines
# that consume them (phase "fleet" of make check; no VM, no network but the
# npm registry on a cold cache):
#  - Nova: examples/fleet/openstack/nova-compute.conf through
#    oslo-config-validator with Nova's option namespace (Debian 12's
#    python3-nova), with negative copies that must fail; then
#    tests/fleet/nova_mdev.py runs Nova's libvirt driver on mtty's parent;
#  - KubeVirt: the CR and VirtualMachine as typed TypeScript constants
#    (tests/fleet/kubevirt_ts.py) checked by tsc --strict against
#    @kubevirt-ui-ext/kubevirt-api, with negative cases that must fail;
#  - Ansible: the playbook through ansible-lint (production profile) and
#    ansible-playbook --syntax-check; make fleet-test runs it for real.
# npm packages: tests/fleet/package.json + package-lock.json, installed with
# npm ci into $MTTY_CACHE/npm/<versions>-<lock hash> (MTTY_CACHE defaults
# to /var/cache/mtty).  A check that cannot run fails.
# Prints ok/not ok lines and "fleet: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
here=$top/tests/fleet
work=$top/build/fleet
cache=${MTTY_CACHE:-/var/cache/mtty}/npm
PY=/usr/bin/python3 # Debian's python3 (Nova and its libraries are Debian's)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$top/tests/lib/lib.sh"
finish() {
	tap_done fleet
	exit
}
# tap FILE: count the ok/not ok lines of a sub-check, echo the rest as comments
tap() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$1"
}

rm -rf "$work"
mkdir -p "$work"

npm_pkg=()
command -v npm >/dev/null || npm_pkg=(npm)
if ! scripts/deps.sh python3 python3-yaml python3-nova python3-oslo.config \
	python3-libvirt nodejs ansible-core ansible-lint "${npm_pkg[@]}" >"$work/deps.log" 2>&1; then
	sed 's/^/# /' "$work/deps.log"
	notok "fleet check tools installed (scripts/deps.sh)"
	finish
fi

# ---- Nova: the configuration against Nova's option definitions ----
nova_conf=examples/fleet/openstack/nova-compute.conf
novaver=$(dpkg-query -W -f '${Version}' python3-nova)
oslover=$(dpkg-query -W -f '${Version}' python3-oslo.config)
echo "# python3-nova $novaver, python3-oslo.config $oslover, $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release)"
# [mdev_<type>] groups are registered at run time (register_dynamic_opts), so
# the sample data has no such group: the validator is told to skip it and
# nova_mdev.py checks its options with Nova's own definitions.
validate() { # validate FILE EXCLUDED_GROUP: oslo-config-validator's exit status
	oslo-config-validator --namespace nova.conf --fatal-warnings \
		--exclude-group "$2" --input-file "$1" >"$work/validator.log" 2>&1
}
if validate "$nova_conf" mdev_mtty-2; then
	ok "oslo-config-validator --namespace nova.conf accepts $nova_conf"
else
	sed 's/^/# /' "$work/validator.log"
	notok "oslo-config-validator --namespace nova.conf accepts $nova_conf"
fi
# negative copies: a misspelt option and a misspelt group must be reported
sed 's/^enabled_mdev_types *=/enabled_mdev_type =/' "$nova_conf" >"$work/neg-option.conf"
sed 's/^\[devices\]/[device]/' "$nova_conf" >"$work/neg-group.conf"
for neg in "neg-option.conf:devices/enabled_mdev_type is not part" \
	"neg-group.conf:device/enabled_mdev_types is not part"; do
	f=$work/${neg%%:*}
	if cmp -s "$f" "$nova_conf"; then
		notok "negative copy ${neg%%:*} differs from the example"
	elif validate "$f" mdev_mtty-2; then
		notok "oslo-config-validator rejects ${neg%%:*} (it accepted it)"
	elif grep -q "${neg#*:}" "$work/validator.log"; then
		ok "oslo-config-validator rejects ${neg%%:*}: $(grep -o 'ERROR.*' "$work/validator.log" | head -n1)"
	else
		sed 's/^/# /' "$work/validator.log"
		notok "oslo-config-validator rejects ${neg%%:*} with '${neg#*:}'"
	fi
done

# ---- Nova's libvirt driver on mtty's parent ----
t0=$(date +%s)
"$PY" tests/fleet/nova_mdev.py >"$work/nova_mdev.txt" 2>&1
rc=$?
tap "$work/nova_mdev.txt"
[ "$rc" -eq 0 ] || notok "tests/fleet/nova_mdev.py exited $rc"
echo "# nova_mdev.py: $(($(date +%s) - t0))s"

# ---- Ansible: the playbook by Ansible's own linter and parser ----
playbook=examples/fleet/ansible/mtty-hosts.yml
if (cd "$(dirname "$playbook")" && ansible-lint --offline -p "$(basename "$playbook")") \
	>"$work/ansible-lint.log" 2>&1; then
	ok "ansible-lint accepts $playbook"
else
	sed 's/^/# /' "$work/ansible-lint.log"
	notok "ansible-lint accepts $playbook"
fi
if ANSIBLE_LOCALHOST_WARNING=0 ansible-playbook -i localhost, --syntax-check \
	"$playbook" >"$work/ansible-syntax.log" 2>&1; then
	ok "ansible-playbook --syntax-check $playbook"
else
	sed 's/^/# /' "$work/ansible-syntax.log"
	notok "ansible-playbook --syntax-check $playbook"
fi
# a misplaced keyword must be refused by the parser
sed 's/^  become: true/  becme: true/' "$playbook" >"$work/neg-playbook.yml"
if cmp -s "$work/neg-playbook.yml" "$playbook"; then
	notok "negative playbook differs from $playbook (becme)"
elif ANSIBLE_LOCALHOST_WARNING=0 ansible-playbook -i localhost, --syntax-check \
	"$work/neg-playbook.yml" >"$work/ansible-neg.log" 2>&1; then
	notok "ansible-playbook --syntax-check refuses an unknown play keyword (becme)"
else
	ok "ansible-playbook --syntax-check refuses an unknown play keyword (becme)"
fi

# ---- KubeVirt: typed manifests ----
t0=$(date +%s)
echo "# node $(node --version), npm $(npm --version)"
lock=$here/package-lock.json
ver() { node -p "require('$lock').packages['node_modules/$1'].version"; }
kvver=$(ver @kubevirt-ui-ext/kubevirt-api) && tsver=$(ver typescript) || kvver=
key=kubevirt-api-$kvver-typescript-$tsver-$(sha256sum "$lock" | cut -c1-12)
nm=$cache/$key/node_modules
if [ -z "$kvver" ]; then
	notok "package-lock.json pins @kubevirt-ui-ext/kubevirt-api and typescript"
	finish
fi
if [ ! -e "$cache/$key/.done" ]; then
	rm -rf "$cache/$key.tmp"
	mkdir -p "$cache/$key.tmp"
	cp "$here/package.json" "$lock" "$cache/$key.tmp/"
	if (cd "$cache/$key.tmp" && npm_config_cache=$cache/cache \
		npm ci --ignore-scripts --no-audit --no-fund --prefer-offline) \
		>"$work/npm.log" 2>&1; then
		rm -rf "${cache:?}/$key"
		mv "$cache/$key.tmp" "$cache/$key" && touch "$cache/$key/.done"
	else
		sed 's/^/# /' "$work/npm.log"
	fi
fi
if [ -e "$cache/$key/.done" ]; then
	ok "npm ci: @kubevirt-ui-ext/kubevirt-api $kvver, typescript $tsver ($cache/$key)"
else
	notok "npm ci: @kubevirt-ui-ext/kubevirt-api $kvver, typescript $tsver"
	finish
fi

ts=$work/ts
if ! "$PY" tests/fleet/kubevirt_ts.py "$ts" >"$work/kubevirt_ts.log" 2>&1; then
	sed 's/^/# /' "$work/kubevirt_ts.log"
	notok "the KubeVirt manifests convert to TypeScript (tests/fleet/kubevirt_ts.py)"
	finish
fi
ln -sfn "$nm" "$ts/node_modules"
(cd "$ts" && node node_modules/typescript/bin/tsc -p tsconfig.json --pretty false) \
	>"$work/tsc.log" 2>&1
rc=$?
sed 's/^/# tsc: /' "$work/tsc.log"
check_case() { # FILE EXPECT
	local errs
	errs=$(grep "^$1(" "$work/tsc.log")
	if [ "$2" = expect-ok ]; then
		if [ -z "$errs" ] && grep -q '^export const' "$ts/$1"; then
			ok "tsc --strict: $1 (${1%.ts}.yaml) type-checks as KubeVirt's type"
		else
			notok "tsc --strict: $1 type-checks as KubeVirt's type"
		fi
	elif grep -q "error TS[0-9]*: .*'\"$2\"'" <<<"$errs"; then
		ok "tsc --strict rejects $1: $(grep -o "'\"$2\"'.*" <<<"$errs" | head -n1)"
	else
		notok "tsc --strict rejects $1 naming '$2'"
	fi
}
while IFS=$'\t' read -r f expect; do
	check_case "$f" "$expect"
done <"$ts/cases.txt"
# tsc must have failed (the negative cases) and for no other reason
other=$(grep -v -E "^neg-[a-z-]+\.ts\(" "$work/tsc.log")
if [ "$rc" -ne 0 ] && [ -z "$other" ]; then
	ok "tsc reported errors in the negative cases only"
else
	notok "tsc reported errors in the negative cases only (exit $rc)"
fi
echo "# kubevirt: $(($(date +%s) - t0))s"

finish
