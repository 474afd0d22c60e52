#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# migreport.sh RAW KVER OUT_PREFIX [NOTES_FILE]
#
# Turn the "BENCH mig" / "BENCH migstream" records of one migration-bench
# VM run (tests/bench/steps/60-migbench.sh, collected by migbench.sh) into
# OUT_PREFIX.csv (one row per migration) and OUT_PREFIX.md (per scenario and
# driver: medians with min/max of the counted device figures first, QEMU's
# clock figures second, ours/sample ratios, the streaming guests' outcome).
# NOTES_FILE is appended to the report's "Run" section.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 RAW KVER OUT_PREFIX [NOTES]" >&2; exit 2; }
RAW=$1 KVER=$2 OUT=$3 NOTES=${4:-}
grep -q '^BENCH mig ' "$RAW" || { echo "migreport.sh: no migration records in $RAW" >&2; exit 1; }

COLS=drv,round,scen,k,status,downtime_ms,total_ms,setup_ms,ram_kb,syncs,vfio_kb,pre_bytes,pre_reads,stop_bytes,stop_reads,iters,empty,pending_stop,complete_ret,bufsize,load_bytes,load_chunks,streaming
awk -v cols="$COLS" -v kver="$KVER" '
BEGIN { n = split(cols, C, ","); printf "kernel"; for (i = 1; i <= n; i++) printf ",%s", C[i]; print "" }
$2 == "mig" {
	delete F
	for (i = 3; i <= NF; i++) { p = index($i, "="); F[substr($i, 1, p - 1)] = substr($i, p + 1) }
	printf "%s", kver
	for (i = 1; i <= n; i++) printf ",%s", F[C[i]]
	print ""
}' "$RAW" >"$OUT.csv"

{
	echo "<!-- SPDX-License-Identifier: GPL-2.0-only -->"
	echo "# Live migration: ours vs the kernel's sample, $KVER"
	echo
	echo "Written by \`tests/bench/migbench.sh\` (\`make bench-mig\`); one row per migration in"
	echo "[${OUT##*/}.csv](${OUT##*/}.csv).  QEMU 10 in an L1 VM under TCG migrates a nested VM"
	echo "with an \`mtty-2\` mdev (\`vfio-pci,enable-migration=on,x-device-dirty-page-tracking=off\`)"
	echo "between two mdevs over a unix socket; the drivers alternate (ours, sample, ours, ...)"
	echo "in the same boot.  **Counted figures** (bytes and reads of the device's migration data"
	echo "fd, from QEMU's trace events) do not depend on the machine; the **clock figures**"
	echo "(QEMU's \`info migrate\` downtime and total time) are taken under TCG on a shared host"
	echo "and mean little beyond the ratio within this run."
	echo
	awk '
	function num(v) { return v ~ /^-?[0-9.]+$/ }
	function push(k, v) { if (!num(v)) return; L[k] = (k in L) ? L[k] " " v : v }
	function sortl(k,   n, i, j, t) {
		n = split(L[k], S, " ")
		for (i = 2; i <= n; i++) {
			t = S[i] + 0
			for (j = i - 1; j >= 1 && S[j] + 0 > t; j--) S[j + 1] = S[j]
			S[j + 1] = t
		}
		return n
	}
	function med(k,   n) { if (!(k in L)) return ""; n = sortl(k); return n % 2 ? S[(n + 1) / 2] : (S[n / 2] + S[n / 2 + 1]) / 2 }
	function rng(k,   n, m) {
		if (!(k in L)) return "n/a"
		m = med(k); n = sortl(k)
		if (S[1] == S[n]) return fmt(m)
		return sprintf("%s (%s-%s)", fmt(m), fmt(S[1]), fmt(S[n]))
	}
	function fmt(v) { return (v == int(v)) ? sprintf("%d", v) : sprintf("%.1f", v) }
	function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
	$2 == "mig" {
		delete F
		for (i = 3; i <= NF; i++) { p = index($i, "="); F[substr($i, 1, p - 1)] = substr($i, p + 1) }
		g = F["scen"] SUBSEP F["drv"]
		if (!(F["scen"] in SC)) { SC[F["scen"]] = 1; so[++ns] = F["scen"] }
		tot[g]++
		if (F["status"] != "completed") next
		done[g]++
		push(g SUBSEP "dev", F["pre_bytes"] + F["stop_bytes"])
		push(g SUBSEP "pre", F["pre_bytes"]); push(g SUBSEP "prer", F["pre_reads"])
		push(g SUBSEP "stop", F["stop_bytes"]); push(g SUBSEP "stopr", F["stop_reads"])
		push(g SUBSEP "it", F["iters"]); push(g SUBSEP "pend", F["pending_stop"])
		push(g SUBSEP "load", F["load_bytes"]); push(g SUBSEP "chunks", F["load_chunks"])
		push(g SUBSEP "buf", F["bufsize"])
		push(g SUBSEP "down", F["downtime_ms"]); push(g SUBSEP "total", F["total_ms"])
		push(g SUBSEP "setup", F["setup_ms"]); push(g SUBSEP "ram", F["ram_kb"])
		push(g SUBSEP "sync", F["syncs"])
	}
	$2 == "migstream" {
		delete F
		for (i = 3; i <= NF; i++) { p = index($i, "="); F[substr($i, 1, p - 1)] = substr($i, p + 1) }
		st[++nst] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", F["drv"], F["round"],
			F["migrations"], F["bytes"] == "" ? "no result" : F["bytes"], F["bad"], F["lost"],
			F["wedged"], F["unhandled"])
	}
	END {
		print "## Device state stream (counted)"
		print ""
		print "Per migration, median (min-max) over the completed migrations. *bytes* = pre-copy + stop-copy"
		print "bytes QEMU read from the device (`vfio_save_block`); *reads* = reads that returned data;"
		print "*iterations* = `vfio_save_iterate` calls; *announced* = the stop-copy size the driver"
		print "reported last (`vfio_state_pending_exact`); *buffer* = QEMU\x27s read buffer"
		print "(`vfio_save_setup`: the data size the driver announced at setup, at most 1 MiB; a"
		print "stop-copy state larger than it takes more reads); *loaded* = bytes written into the"
		print "destination device (`vfio_load_state_device_data`)."
		print ""
		print "| scenario | driver | completed | bytes | pre-copy bytes | pre-copy reads | stop-copy bytes | stop-copy reads | iterations | announced | buffer | loaded |"
		print "|---|---|---|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= ns; i++) for (d = 1; d <= 2; d++) {
			dv = d == 1 ? "ours" : "sample"; g = so[i] SUBSEP dv
			if (!(g in tot)) continue
			printf "| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", so[i], dv,
				done[g], tot[g], rng(g SUBSEP "dev"), rng(g SUBSEP "pre"), rng(g SUBSEP "prer"),
				rng(g SUBSEP "stop"), rng(g SUBSEP "stopr"), rng(g SUBSEP "it"),
				rng(g SUBSEP "pend"), rng(g SUBSEP "buf"), rng(g SUBSEP "load")
		}
		print ""
		print "## QEMU figures (clocks under TCG: secondary)"
		print ""
		print "| scenario | driver | downtime ms | total ms | setup ms | RAM kB sent | RAM sync rounds | downtime ours/sample |"
		print "|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= ns; i++) for (d = 1; d <= 2; d++) {
			dv = d == 1 ? "ours" : "sample"; g = so[i] SUBSEP dv
			if (!(g in tot)) continue
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", so[i], dv,
				rng(g SUBSEP "down"), rng(g SUBSEP "total"), rng(g SUBSEP "setup"),
				rng(g SUBSEP "ram"), rng(g SUBSEP "sync"),
				d == 1 ? ratio(med(so[i] SUBSEP "ours" SUBSEP "down"), med(so[i] SUBSEP "sample" SUBSEP "down")) : ""
		}
		if (nst) {
			print ""
			print "## Streaming guests"
			print ""
			print "The L2 guest loops a checked byte sequence through ttyS1 (at most 15 bytes in flight) while"
			print "it is migrated; its result after the last migration (ours: asserted intact; the sample: recorded)."
			print ""
			print "| driver | round | migrations | bytes looped | wrong | lost | wedged | unhandled IRQs |"
			print "|---|---|---|---|---|---|---|---|"
			for (i = 1; i <= nst; i++) print st[i]
		}
	}' "$RAW"
	echo
	echo "## Run"
	echo
	[ -z "$NOTES" ] || [ ! -f "$NOTES" ] || cat "$NOTES"
	grep '^BENCH miginfo ' "$RAW" | head -n1 | sed 's/^BENCH miginfo /- step: /'
} >"$OUT.md"
echo "$OUT.md"
