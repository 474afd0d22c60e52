#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# security.sh -- host-side hardening checks of the package contents.
#   1. nothing in the repository makes a device or file world-writable:
#      udev rules with MODE granting "other" write, chmod o+w / a+w / 0666 /
#      0777 in scripts and make fragments, umask 000;
#   2. every mdevctl callout (a file named *callout*) survives hostile
#      arguments and JSON: shell metacharacters, quotes, newlines, spaces,
#      over-long values, invalid JSON -- no injected command runs (canary),
#      no shell error, exit status 0-2, finishes within 10 s, and it never
#      writes to an attacker-named path.
#      CALLOUTS="path..." checks those scripts instead (self-test).
# Prints ok/not ok lines and "security: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$top/tests/lib/lib.sh"

mapfile -t files < <(git ls-files --cached --others --exclude-standard |
	grep -v -e '^tests/fuzz/security\.sh$' -e '^docs/' -e '^man/' |
	while read -r f; do [ -f "$f" ] && echo "$f"; done)

# --- 1. world-writable -----------------------------------------------------
mapfile -t rules < <(printf '%s\n' "${files[@]}" | grep -E '\.rules(\.in)?$')
# a mode is world-writable when its last octal digit has the 2 bit
ww_mode='\b0?[0-7]{2}[2367]\b'
hits=$(grep -nE "MODE[:+]?=\"?$ww_mode" -- ${rules[@]+"${rules[@]}"} /dev/null 2>/dev/null)
if [ -n "$hits" ]; then
	printf '%s\n' "$hits" | sed 's/^/# /'
	notok "udev rules grant world write access"
else
	ok "no udev rule grants world write access (${#rules[@]} rule files)"
fi

scripts=()
for f in "${files[@]}"; do
	case $f in
	*.sh | *.mk | Makefile | */Makefile | debian/rules | debian/*.postinst | \
		debian/*.prerm | debian/*.postrm | debian/*.preinst | *.service | \
		*.rules | *.rules.in | *callout* | *-service | *.conf | *.in) scripts+=("$f") ;;
	*) head -c 64 "$f" | grep -qE '^#!.*(ba)?sh' && scripts+=("$f") ;;
	esac
done
hits=$(grep -nE "(chmod|install)[^#]*(-m *|[ =])($ww_mode|[ugo]*o[ugo]*\\+[rxX]*w|a\\+[rxX]*w)|umask +0*0\\b|MODE[:+]?=\"?$ww_mode" \
	-- "${scripts[@]}" /dev/null 2>/dev/null)
if [ -n "$hits" ]; then
	printf '%s\n' "$hits" | sed 's/^/# /'
	notok "scripts/make fragments make something world-writable"
else
	ok "no script, unit or make fragment makes anything world-writable (${#scripts[@]} files)"
fi

# --- 2. hostile input to the mdevctl callout ---------------------------------
# $CALLOUTS (space-separated, relative to the top) overrides the search,
# e.g. to prove the check catches a deliberately vulnerable script
if [ -n "${CALLOUTS:-}" ]; then
	read -ra callouts <<<"$CALLOUTS"
else
	mapfile -t callouts < <(printf '%s\n' "${files[@]}" | grep -i 'callout' |
		grep -vE '\.(md|[0-9]|txt)$')
fi
if [ ${#callouts[@]} -eq 0 ]; then
	echo "# no mdevctl callout in the tree yet: hostile-input check not run"
fi
tmp=$(mktemp -d)
json=$(mktemp)
trap 'rm -rf "$tmp" "$json"' EXIT
canary=$tmp/pwned
hostile=(
	"mtty-2; touch $canary"
	"\$(touch $canary)"
	"\`touch $canary\`"
	"a'b\"c"
	$'line1\nline2'
	"with space"
	"../../../../tmp/x"
	"-rf"
	"$(head -c 4096 /dev/zero | tr '\0' 'A')"
	""
)
jsons=(
	'{"mdev_type":"mtty-2","start":"manual"}'
	"{\"mdev_type\":\"mtty-2; touch $canary\",\"start\":\"auto\"}"
	"{\"mdev_type\":\"\$(touch $canary)\",\"attrs\":[{\"\`touch $canary\`\":\"x\"}]}"
	'{"mdev_type": 12, "start": null, "attrs": {}}'
	'{"mdev_type":"mtty-2"'
	'not json at all'
	''
	"{\"mdev_type\":\"$(head -c 8192 /dev/zero | tr '\0' 'B')\"}"
	'{"mdev_type":"mtty-2","start":"auto","attrs":[],"extra":{"deep":[[[[[[[[[[1]]]]]]]]]]}}'
)
for c in "${callouts[@]}"; do
	bad=0
	runs=0
	for a in "${hostile[@]}"; do
		for j in "${jsons[@]}"; do
			printf '%s' "$j" >"$json"
			for ev in pre:start post:start pre:stop pre:define get:attributes \
				notify:define hostile:parent; do
				set -- "${ev%%:*}" "${ev#*:}" mtty
				# mostly as an mtty device (else the callout exits 2 at once)
				[ "$1" != hostile ] || set -- pre start "$a"
				runs=$((runs + 1))
				out=$(cd "$tmp" && timeout 10 "$top/$c" -t "$a" -e "$1" \
					-a "$2" -s none -u "$a" -p "$3" <"$json" 2>&1)
				rc=$?
				if [ -e "$canary" ]; then
					echo "# $c: injected command ran (arg '${a:0:40}', json '${j:0:60}')"
					rm -f "$canary"
					bad=$((bad + 1))
				fi
				if [ $rc -gt 2 ]; then
					echo "# $c -e $1 -a $2: exit $rc (arg '${a:0:40}', json '${j:0:60}'): ${out:0:200}"
					bad=$((bad + 1))
				fi
				if printf '%s\n' "$out" | grep -qiE 'syntax error|unbound variable|command not found|bad substitution|unexpected'; then
					echo "# $c: shell error: ${out:0:200}"
					bad=$((bad + 1))
				fi
			done
		done
	done
	strays=$(find "$tmp" -mindepth 1 | head -n 5 | tr '\n' ' ')
	[ -z "$strays" ] || { echo "# $c created files: $strays"; bad=$((bad + 1)); }
	if [ $bad -eq 0 ]; then
		ok "callout $c: $runs hostile invocations, no injection, no shell error, exit <= 2"
	else
		notok "callout $c: $bad problems in $runs hostile invocations"
	fi
done

tap_done security
