#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lint.sh: static checks.  Kernel C through checkpatch.pl --strict (taken
# from Debian's linux-source-6.12, cached), every shell script through
# ShellCheck, an SPDX line in every source file.  Prints ok/not ok lines and
# "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=${MTTY_CACHE:-/var/cache/mtty}
# shellcheck source-path=SCRIPTDIR source=../tests/lib/lib.sh
. "$top/tests/lib/lib.sh"

# checkpatch.pl from the newest linux-source tarball installed
tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' | sort -V | tail -n1)
if [ -z "$tarball" ]; then
	notok "checkpatch: no /usr/src/linux-source-*.tar.xz (apt install linux-source-6.12)"
else
	ver=$(basename "$tarball" .tar.xz)
	cp_dir=$cache/checkpatch/$ver
	if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$cp_dir"
		tar -xJf "$tarball" -C "$cp_dir" --strip-components=1 \
			"$ver/scripts/checkpatch.pl" "$ver/scripts/spelling.txt" \
			"$ver/scripts/const_structs.checkpatch"
	fi
	for f in driver/*.c driver/*.h; do
		out=$("$cp_dir/scripts/checkpatch.pl" --no-tree --strict --quiet \
			--show-types -f "$f" 2>&1)
		if [ -z "$out" ]; then
			ok "checkpatch --strict $f"
		else
			printf '%s\n' "$out"
			notok "checkpatch --strict $f"
		fi
	done
fi

# shell scripts: *.sh and anything with a sh/bash shebang
mapfile -t shells < <(git ls-files --cached --others --exclude-standard |
	while read -r f; do
		[ -f "$f" ] || continue
		case $f in
		*.sh) echo "$f" ;;
		*) head -c 64 "$f" | grep -qE '^#!.*(ba)?sh' && echo "$f" ;;
		esac
	done)
if out=$(shellcheck -x "${shells[@]}" 2>&1); then
	ok "shellcheck (${#shells[@]} scripts)"
else
	printf '%s\n' "$out"
	notok "shellcheck"
fi

# SPDX header in the first lines of every source file
bad=0
while read -r f; do
	[ -f "$f" ] || continue
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-only'; then
		echo "# missing SPDX GPL-2.0-only: $f"
		bad=1
	fi
done < <(git ls-files --cached --others --exclude-standard |
	grep -E '\.(c|h|sh)$|(^|/)(Makefile|Kbuild)$')
if [ $bad -eq 0 ]; then ok "SPDX headers"; else notok "SPDX headers"; fi

tap_done lint
