#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# report.sh RAW KVER OUT_PREFIX [NOTES_FILE]
#
# Turn the "BENCH ..." records of one benchmark VM run (RAW, one record a
# line, as collected by bench.sh) into OUT_PREFIX.md (tables of medians with
# min/max, ratios, targets) and, if gnuplot is installed, the charts
# OUT_PREFIX-throughput.svg and OUT_PREFIX-scale.svg.  NOTES_FILE (optional)
# is appended verbatim to the report (run metadata from bench.sh).
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 RAW KVER OUT_PREFIX [NOTES]" >&2; exit 2; }
RAW=$1 KVER=$2 OUT=$3 NOTES=${4:-}
[ -s "$RAW" ] || { echo "report.sh: no records in $RAW" >&2; exit 1; }
NAME=${OUT##*/}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

awk -v kver="$KVER" -v name="$NAME" -v tmp="$TMP" '
function kv(   i, p) {
	delete F
	for (i = 3; i <= NF; i++) {
		p = index($i, "=")
		if (p) F[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
}
# add value v to list key k
function push(k, v) { L[k] = (k in L) ? L[k] " " v : v }
function sortl(k,   n, i, j, t) {
	n = split(L[k], S, " ")
	for (i = 2; i <= n; i++) {
		t = S[i] + 0
		for (j = i - 1; j >= 1 && S[j] + 0 > t; j--) S[j + 1] = S[j]
		S[j + 1] = t
	}
	return n
}
function med(k,   n) {
	if (!(k in L)) return ""
	n = sortl(k)
	return n % 2 ? S[(n + 1) / 2] : (S[n / 2] + S[n / 2 + 1]) / 2
}
function mn(k) { if (!(k in L)) return ""; sortl(k); return S[1] }
function mx(k,   n) { if (!(k in L)) return ""; n = sortl(k); return S[n] }
function cnt(k) { return (k in L) ? split(L[k], S, " ") : 0 }
function si(v) {
	if (v == "") return "n/a"
	if (v >= 1e6) return sprintf("%.2f M", v / 1e6)
	if (v >= 1e3) return sprintf("%.1f k", v / 1e3)
	return sprintf("%.1f", v)
}
function x(v) { return v == "" ? "n/a" : sprintf("%.2fx", v) }
function f2(v) { return v == "" ? "n/a" : sprintf("%.2f", v) }
function row3(k, fmt) {
	if (!(k in L)) return "n/a | n/a | n/a"
	return sprintf("%s | %s | %s", fmt == "si" ? si(med(k)) : f2(med(k)),
		fmt == "si" ? si(mn(k)) : f2(mn(k)), fmt == "si" ? si(mx(k)) : f2(mx(k)))
}
function rr(k) {
	if (!(k in L)) return "n/a"
	return sprintf("%s (%s-%s, %d)", x(med(k)), f2(mn(k)), f2(mx(k)), cnt(k))
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : a / b }
function target(ok) { return ok == "" ? "n/a" : (ok ? "met" : "**not met**") }

{ sub(/^.*BENCH /, "BENCH ") }
$1 != "BENCH" { next }
{ kind = $2; kv() }
kind == "info" { for (k in F) info[k] = F[k] }
kind == "deep" { deephow = F["how"] }
kind == "mdevctl" { mdevctl = F["available"] }
kind == "regs" {
	R[F["tag"], F["test"], F["run"]] = F["rate"]
	push("regs " F["tag"] " " F["test"], F["rate"])
	runs[F["run"]] = 1; tests[F["test"]] = 1
	if (F["test"] == "ref_devzero") {
		REF[F["tag"], F["run"]] += F["rate"]; NREF[F["tag"], F["run"]]++
	}
}
kind == "loop" {
	LP[F["tag"], F["burst"], F["run"]] = F["rate"]
	push("loop " F["tag"] " " F["burst"], F["rate"])
	lruns[F["run"]] = 1
	if (F["wakeups"] != "") push("loopwake " F["tag"] " " F["burst"], F["stalls"])
}
kind == "guest" {
	push("guest " F["tag"] " " F["burst"], F["rate"])
	if (F["irqs"] != "" && F["irqs"] >= 0 && F["bytes"] > 0) push("gi " F["tag"] " " F["burst"], F["irqs"] / F["bytes"])
	if (F["wedged"] == 1) gwedged[F["tag"] " " F["burst"]]++
}
kind == "guestuart" { guart[F["tag"]] = "type " F["type"] ", fifo " F["fifo"] }
kind == "scale" {
	k = F["via"] " " F["tag"] " " F["n"]
	push("sc_c " k, F["create_us"]); push("sc_r " k, F["remove_us"])
	push("sc_s " k, F["slab_kib"]); push("sc_u " k, F["used_kib"])
	push("sc_v " k, F["vmalloc_kib"])
	if (F["avail_us"] != "") push("sc_a " k, F["avail_us"])
	if (F["list_ms"] != "" && F["list_ms"] >= 0) { sclist[k] = F["list_ms"]; sclistn = F["n"] }
	sck[k] = 1; scn[F["n"]] = 1; scvia[F["via"]] = 1
}
kind == "scalemax" { scalemax = "max_ports=" F["max_ports"] ", available mtty-1 instances " F["avail"] }

END {
	md = tmp "/report.md"
	nregs = 0
	for (r in runs) nregs++
	printf "# mtty benchmark: %s\n\n", kver > md
	printf "Kernel `%s` (L1 under QEMU TCG, %s vCPUs). %d round(s) of the L1 measurements; in each round our driver and the kernel sample (`samples/vfio-mdev/mtty.c`, built out of tree for this kernel) ran one after the other in the same VM boot.\n\n", kver, info["cpus"], nregs >> md
	print "**All timings are taken under TCG (software CPU emulation, no KVM) on a shared host, so absolute numbers mean little; only ratios taken in the same run mean anything.** Medians over the runs, with min and max.\n" >> md

	# ------------------------------------------------------------ regs
	print "## 1. Register access cost (userspace VFIO client)\n" >> md
	print "Accesses per second (1-byte UART register accesses through `pread`/`pwrite` on the VFIO device fd, 4-byte config accesses). `ours/sample` and `norm.` are medians of per-round ratios (min-max, rounds); `norm.` divides each rate by a `/dev/zero` 1-byte `pread` rate measured in the same phase, which cancels host-load drift between the two drivers phases. `ours/floor` divides by the floor measured on our device fd in the same phase.\n" >> md
	print "| access | ours (median) | min | max | sample (median) | min | max | ours/sample | norm. ours/sample | ours/floor |" >> md
	print "|---|---|---|---|---|---|---|---|---|---|" >> md
	split("lsr_read thr_rbr scr_write cfg_read32 cfg_write32 cfg_read8 floor_badregion ref_devzero", order, " ")
	desc["lsr_read"] = "LSR read (1 B)"; desc["thr_rbr"] = "THR write + RBR read (1 B each)"
	desc["scr_write"] = "SCR write (1 B)"; desc["cfg_read32"] = "config dword read @0x00"
	desc["cfg_write32"] = "config dword write @0x3c"; desc["cfg_read8"] = "config byte read @0x00"
	desc["floor_badregion"] = "floor: 1 B pread of region 9 (rejected)"
	desc["ref_devzero"] = "reference: 1 B pread of /dev/zero"
	for (i = 1; i <= 8; i++) {
		t = order[i]
		if (!(("regs ours " t) in L) && !(("regs sample " t) in L)) continue
		for (r in runs) {
			o = R["ours", t, r]; s = R["sample", t, r]
			if (o != "" && s != "") {
				push("rs " t, o / s)
				ro = REF["ours", r] / NREF["ours", r]; rs = REF["sample", r] / NREF["sample", r]
				if (ro > 0 && rs > 0) push("rn " t, (o / ro) / (s / rs))
			}
			fl = R["ours", "floor_badregion", r]
			if (o != "" && fl != "") push("rf " t, o / fl)
		}
		printf "| %s | %s | %s | %s | %s | %s |\n", desc[t], row3("regs ours " t, "si"),
			row3("regs sample " t, "si"), rr("rs " t), rr("rn " t), rr("rf " t) >> md
	}
	reg_s = med("rs lsr_read"); reg_n = med("rn lsr_read"); reg_f = med("rf lsr_read")
	print "" >> md
	print "Floor: a 1-byte `pread` at offset `9 << 40` (region index 9 = `VFIO_PCI_NUM_REGIONS`). The VFIO core passes it to the driver (fd lookup, `vfs_read`, `vfio_device_fops_read`, the driver read callback), and our driver rejects it with `-EINVAL` from its first bounds check, before taking any lock or touching the device model, so it is the fixed cost every register access pays and nothing else; a served 1-byte config read at offset 0 (row `config byte read`) adds the lock and the emulation and is shown for reference. The floor is measured on our device fd: the sample takes its mutex before rejecting the same access, so its rejected read is not a floor.\n" >> md

	# ------------------------------------------------------------ loop
	print "## 2. Loopback throughput (userspace, 8250-style driving)\n" >> md
	print "Bytes per second through port 0 of an `mtty-2` device, driven like Linux 8250 drives a 16550A: INTx eventfd, IIR/LSR dispatch, RX drained while LSR.DR, up to *burst* bytes written to THR per THRE, INTx unmasked (EOI) after each handler run; a handler run cut at 512 passes is re-entered at once, as a still-asserted level-triggered line would be. Every byte is verified; `stalls` in the raw records count 1-second waits for an interrupt that did not come. **The sample is measured only with bursts under 16 bytes (15): with 16 bytes queued its FIFO index wraps, the data is lost and the port wedges.**\n" >> md
	print "| driver | burst | bytes/s (median) | min | max | runs |" >> md
	print "|---|---|---|---|---|---|" >> md
	split("ours:15 ours:16 sample:15 deep:15 deep:64", lrows, " ")
	for (i = 1; i <= 5; i++) {
		split(lrows[i], p, ":")
		k = "loop " p[1] " " p[2]
		if (!(k in L)) continue
		printf "| %s | %s | %s | %d |\n", p[1] == "deep" ? "ours, 16750 deep FIFO" : p[1], p[2], row3(k, "si"), cnt(k) >> md
	}
	for (r in lruns) {
		s = LP["sample", 15, r]
		if (s == "" || s == 0) continue
		if (LP["ours", 15, r] != "") push("lr15", LP["ours", 15, r] / s)
		if (LP["ours", 16, r] != "") push("lr16", LP["ours", 16, r] / s)
		if (LP["deep", 64, r] != "") push("lrd", LP["deep", 64, r] / s)
		if (LP["deep", 64, r] != "" && LP["ours", 16, r] != "") push("lrdo", LP["deep", 64, r] / LP["ours", 16, r])
	}
	print "\nRatios (medians of per-round ratios, min-max, rounds):\n" >> md
	printf "- ours/sample, both at burst 15: %s\n", rr("lr15") >> md
	printf "- ours at burst 16 (full 16550A FIFO) / sample at burst 15: %s\n", rr("lr16") >> md
	if ("lrd" in L) {
		printf "- deep FIFO at burst 64 / sample at burst 15: %s\n", rr("lrd") >> md
		printf "- deep FIFO at burst 64 / ours at burst 16: %s\n", rr("lrdo") >> md
	}
	print "" >> md

	# ------------------------------------------------------------ guest
	print "## 3. Guest throughput (nested L2 guest, ttyS1 through Linux 8250)\n" >> md
	print "Bytes per second through the first port of the device (ttyS1 with `8250.nr_uarts=4`) in a nested guest (QEMU TCG inside the TCG L1), a reader and a writer thread running concurrently; *burst* is the most bytes in flight (written, not yet read back). Same burst rule for the sample (15).\n" >> md
	if (length(guart) > 0) {
		printf "UART as detected by the guest (TIOCGSERIAL; 4 = 16550A, 8 = 16750):" >> md
		for (t in guart) printf " %s: %s;", t, guart[t] >> md
		print "\n" >> md
	}
	print "| driver | burst | bytes/s (median) | min | max | runs | guest IRQs per byte |" >> md
	print "|---|---|---|---|---|---|---|" >> md
	split("ours:15 ours:16 ours:4096 sample:15 deep:15 deep:64 deep:4096", grows, " ")
	gn = 0
	for (i = 1; i <= 7; i++) {
		split(grows[i], p, ":")
		k = "guest " p[1] " " p[2]
		if (!(k in L)) continue
		gn++
		printf "| %s | %s | %s | %d%s | %s |\n", p[1] == "deep" ? "ours, 16750 deep FIFO" : p[1], p[2], row3(k, "si"), cnt(k),
			((p[1] " " p[2]) in gwedged) ? sprintf(" (%d wedged)", gwedged[p[1] " " p[2]]) : "",
			(("gi " p[1] " " p[2]) in L) ? sprintf("%.3f", med("gi " p[1] " " p[2])) : "n/a" >> md
	}
	if (!gn) print "| (not measured in this run) | | | | | | |" >> md
	gs = med("guest sample 15")
	g15 = ratio(med("guest ours 15"), gs); g16 = ratio(med("guest ours 16"), gs)
	g4k = ratio(med("guest ours 4096"), gs)
	gd64 = ratio(med("guest deep 64"), gs); gd4k = ratio(med("guest deep 4096"), gs)
	gdo = ratio(med("guest deep 4096"), med("guest ours 4096"))
	print "\nRatios of medians:\n" >> md
	printf "- ours/sample at burst 15: %s\n", x(g15) >> md
	printf "- ours at burst 16 / sample at 15: %s; ours at burst 4096 / sample at 15: %s\n", x(g16), x(g4k) >> md
	if (gd64 != "" || gd4k != "") {
		printf "- deep FIFO at burst 64 / sample at 15: %s; at burst 4096: %s\n", x(gd64), x(gd4k) >> md
		printf "- deep FIFO / 16550A default, both at burst 4096: %s\n", x(gdo) >> md
	}
	print "" >> md

	# ------------------------------------------------------------ scale
	print "## 4. Scale: create and remove N devices\n" >> md
	printf "Our driver loaded with the pool raised (%s); N `mtty-1` devices created, then removed, through the sysfs `create`/`remove` files (one `write` each, timed in C) and through `mdevctl start`/`mdevctl stop` (one process per device: includes the exec of mdevctl). Memory per device: `/proc/meminfo` deltas with all N devices present (Slab; used = MemTotal-MemFree-Buffers-Cached, page-granular and blind to per-CPU page lists, so meaningful only for large N; VmallocUsed); kernel memory = slab + vmalloc. `available_instances`: one open/read/close of the type file with all N devices present (mean of 200, value checked). The sample has a fixed 24-port pool, so it is measured up to 16 devices.\n\n", scalemax == "" ? "n/a" : scalemax >> md
	print "| via | driver | N | create us/device (median) | min | max | remove us/device (median) | slab KiB/device | used KiB/device | vmalloc KiB/device | kernel KiB/device (slab+vmalloc) | available_instances read us | runs |" >> md
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|" >> md
	nn = 0
	for (n in scn) NS[++nn] = n + 0
	for (i = 2; i <= nn; i++) { t = NS[i]; for (j = i - 1; j >= 1 && NS[j] > t; j--) NS[j + 1] = NS[j]; NS[j + 1] = t }
	scd = tmp "/scale.dat"
	split("sysfs:ours mdevctl:ours sysfs:sample", srows, " ")
	for (s = 1; s <= 3; s++) {
		split(srows[s], p, ":")
		for (i = 1; i <= nn; i++) {
			k = p[1] " " p[2] " " NS[i]
			if (!(k in sck)) continue
			kmem = (med("sc_s " k) == "" || med("sc_v " k) == "") ? "" : med("sc_s " k) + med("sc_v " k)
			printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %d |\n", p[1], p[2], NS[i], row3("sc_c " k, ""),
				f2(med("sc_r " k)), f2(med("sc_s " k)), f2(med("sc_u " k)), f2(med("sc_v " k)), f2(kmem), f2(med("sc_a " k)), cnt("sc_c " k) >> md
			printf "%s-%s %d %s %s %s %s\n", p[1], p[2], NS[i], med("sc_c " k), med("sc_r " k), med("sc_s " k), med("sc_u " k) > scd
		}
	}
	print "" >> md
	for (v in scvia) {
		# the largest N measured through this path against 16
		big = 0
		for (i = 1; i <= nn; i++) if (NS[i] > 16 && (v " ours " NS[i]) in sck) big = NS[i]
		a = big ? med("sc_c " v " ours " big) : ""; b = med("sc_c " v " ours 16")
		if (a != "" && b != "") {
			printf "- %s: create time per device at %d / at 16 devices: %s (target: within 1.3x; %s)\n", v, big, x(a / b), a / b <= 1.3 ? "met" : "not met" >> md
			flat[v] = a / b
		}
		a = big ? med("sc_r " v " ours " big) : ""; b = med("sc_r " v " ours 16")
		if (a != "" && b != "")
			printf "- %s: remove time per device at %d / at 16 devices: %s\n", v, big, x(a / b) >> md
	}
	for (k in sclist) printf "- `mdevctl list` with %d devices present: %.1f ms (one run)\n", sclistn, sclist[k] >> md
	if (!length(sclist)) print "- `mdevctl list` at full size: not measured (mdevctl not in L1, or bench.mdevctl=0)" >> md
	a = med("sc_c sysfs ours 16"); b = med("sc_c sysfs sample 16")
	if (a != "" && b != "") printf "- sysfs create time per device at 16 devices, ours/sample: %s (lower is better)\n", x(a / b) >> md
	print "" >> md

	# ------------------------------------------------------------ deep
	print "## 5. Deep FIFO (16750-style, 64 bytes)\n" >> md
	if (deephow == "" || deephow == "pending") {
		print "**Pending**: our driver does not expose a deep-FIFO option yet (the model supports a 16750-capable UART, but nothing selects it). Requested: see bench/README.md.\n" >> md
	} else {
		gsub(":", " ", deephow)
		printf "Selected by %s. Loopback and guest rows tagged *ours, 16750 deep FIFO* above; summary:\n\n", deephow >> md
		printf "- loopback, deep at burst 64 / 16550A default at burst 16: %s\n", rr("lrdo") >> md
		printf "- guest, deep / 16550A default at burst 4096: %s\n\n", x(gdo) >> md
		if (guart["deep"] ~ /type 4,/)
			print "The 8250 driver of the guest treated the deep-FIFO port as a 16550A (type 4, 16-byte FIFO, at most 16 bytes written per THRE interrupt): the Linux 8250_pci driver fixes the type of 4348:3253 without probing it, and the Debian x86 kernels do not probe 16550A variants (`CONFIG_SERIAL_8250_16550A_VARIANTS` is not set). The guest rows therefore measure a 16550A; only the userspace loopback uses the 64-byte FIFO.\n" >> md
	}

	# ------------------------------------------------------------ targets
	print "## Targets (measured, not asserted)\n" >> md
	print "| target | measured | |" >> md
	print "|---|---|---|" >> md
	printf "| register access >= 1.2x the sample (LSR read) | %s (normalised %s) | %s |\n", x(reg_s), x(reg_n), target(reg_s == "" ? "" : reg_s >= 1.2) >> md
	printf "| register access within 1.3x of the floor (LSR read) | floor/ours = %s | %s |\n", reg_f == "" ? "n/a" : x(1 / reg_f), target(reg_f == "" ? "" : 1 / reg_f <= 1.3) >> md
	lr = med("lr15")
	printf "| loopback >= 1.0x the sample at 16550A (burst 15) | %s | %s |\n", x(lr), target(lr == "" ? "" : lr >= 1.0) >> md
	printf "| guest >= 1.0x the sample at 16550A (burst 15) | %s | %s |\n", x(g15), target(g15 == "" ? "" : g15 >= 1.0) >> md
	lrd = med("lrd")
	printf "| loopback >= 4x the sample with the deep FIFO | %s | %s |\n", x(lrd), target(lrd == "" ? "" : lrd >= 4) >> md
	gdd = gd4k != "" ? gd4k : gd64
	printf "| guest >= 4x the sample with the deep FIFO | %s | %s |\n", x(gdd), target(gdd == "" ? "" : gdd >= 4) >> md
	fl = ("sysfs" in flat) ? flat["sysfs"] : ""
	printf "| 1024 ports, flat per-device create time (sysfs, 1024 vs 16) | %s | %s |\n", x(fl), target(fl == "" ? "" : fl <= 1.5) >> md
	print "" >> md

	# ------------------------------------------------------------ chart data
	# label, median, min, max, colour (1 ours, 2 sample, 3 deep)
	col["ours"] = 1; col["sample"] = 2; col["deep"] = 3
	split("loop:ours:15 loop:ours:16 loop:sample:15 loop:deep:15 loop:deep:64", c1, " ")
	for (i = 1; i <= 5; i++) {
		split(c1[i], p, ":"); k = "loop " p[2] " " p[3]
		if (k in L) printf "\"%s b%s\" %s %s %s %d\n", p[2], p[3], med(k), mn(k), mx(k), col[p[2]] > (tmp "/tput-l1.dat")
	}
	for (i = 1; i <= 7; i++) {
		split(grows[i], p, ":"); k = "guest " p[1] " " p[2]
		if (k in L) printf "\"%s b%s\" %s %s %s %d\n", p[1], p[2], med(k), mn(k), mx(k), col[p[1]] > (tmp "/tput-l2.dat")
	}
}
' "$RAW"

cp "$TMP/report.md" "$OUT.md"
if command -v gnuplot >/dev/null; then
	if [ -s "$TMP/tput-l1.dat" ] || [ -s "$TMP/tput-l2.dat" ]; then
		yr1='[0:*]' yr2='[0:*]'
		if [ ! -s "$TMP/tput-l1.dat" ]; then
			echo '"(not measured)" 0 0 0 1' >"$TMP/tput-l1.dat"
			yr1='[0:1]'
		fi
		if [ ! -s "$TMP/tput-l2.dat" ]; then
			echo '"(not measured)" 0 0 0 1' >"$TMP/tput-l2.dat"
			yr2='[0:1]'
		fi
		gnuplot <<-EOF
			set terminal svg size 1000,450 dynamic font "sans,11"
			set output "$OUT-throughput.svg"
			set multiplot layout 1,2 title "mtty throughput, $KVER (TCG: compare bars within one panel only)"
			set ylabel "bytes/s (median, min-max)"
			set style fill solid 0.7 border -1
			set boxwidth 0.6
			set xtics font ",9" nomirror
			set grid ytics
			unset key
			set linetype 1 lc rgb "#4477aa"
			set linetype 2 lc rgb "#cc6677"
			set linetype 3 lc rgb "#228833"
			set title "L1 loopback (userspace, 8250-style)"
			set yrange $yr1
			plot "$TMP/tput-l1.dat" using 0:2:(0.6):5:xtic(1) with boxes lc variable, \
			     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt -1
			set title "L2 guest, ttyS1 (reader + writer)"
			set yrange $yr2
			plot "$TMP/tput-l2.dat" using 0:2:(0.6):5:xtic(1) with boxes lc variable, \
			     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt -1
			unset multiplot
		EOF
	fi
	if [ -s "$TMP/scale.dat" ]; then
		gnuplot <<-EOF
			set terminal svg size 900,420 dynamic font "sans,11"
			set output "$OUT-scale.svg"
			set multiplot layout 1,2 title "mtty create/remove scale, $KVER (TCG)"
			set logscale x 2
			set xlabel "devices"
			set ylabel "create time per device (us)"
			set logscale y
			set grid
			set key top left
			plot for [s in "sysfs-ours mdevctl-ours sysfs-sample"] \
				"< grep '^".s." ' $TMP/scale.dat" using 2:3 with linespoints title s
			unset logscale y
			set ylabel "slab KiB per device"
			plot for [s in "sysfs-ours sysfs-sample"] \
				"< grep '^".s." ' $TMP/scale.dat" using 2:5 with linespoints title s
			unset multiplot
		EOF
	fi
fi
{
	echo "## Charts"
	echo
	[ -e "$OUT-throughput.svg" ] && echo "![throughput]($NAME-throughput.svg)"
	echo
	[ -e "$OUT-scale.svg" ] && echo "![scale]($NAME-scale.svg)"
	echo
	if [ -n "$NOTES" ] && [ -s "$NOTES" ]; then
		cat "$NOTES"
	fi
} >>"$OUT.md"
echo "$OUT.md"
