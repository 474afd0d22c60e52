#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# countreport.sh RAW KVER OUT_PREFIX [NOTES_FILE]
#
# Turn the records of one counted-benchmark VM run (tests/bench/count.sh:
# "BENCH cphase" from the guest, "BENCH ctrace" from QEMU's trace, joined
# on tag + mark) into OUT_PREFIX.md (tables) and OUT_PREFIX.svg (a bar
# chart written directly, no plotting tool needed).  NOTES_FILE is
# appended verbatim.  Exit status 1 if a record kind is missing.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 RAW KVER OUT_PREFIX [NOTES]" >&2; exit 2; }
RAW=$1 KVER=$2 OUT=$3 NOTES=${4:-}
[ -s "$RAW" ] || { echo "countreport.sh: no records in $RAW" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

rc=0
awk -v kver="$KVER" -v tmp="$TMP" '
function kv(   i, p) {
	delete F
	for (i = 3; i <= NF; i++) {
		p = index($i, "=")
		if (p) F[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
}
function f3(v) { v = sprintf("%.3f", v); return v == "-0.000" ? "0.000" : v }
function per(v, n) { return n > 0 ? v / n : 0 }
# trace counter k of phase (tag, mark); 0 if absent
function tc(t, m, k) { return ((t SUBSEP m SUBSEP k) in T) ? T[t, m, k] + 0 : 0 }
BEGIN {
	nregs = split("wr_THR rd_RBR rd_LSR rd_IIR rd_MSR wr_IER rd_IER wr_LCR wr_MCR rd_MCR rd_LCR wr_FCR wr_DLL wr_DLM wr_SCR rd_SCR", REGS, " ")
}
$1 == "BENCH" && $2 == "cinfo" { kv(); info = $0; sub(/^BENCH cinfo /, "", info) }
$1 == "BENCH" && $2 == "guestuart" { kv(); UART[F["tag"]] = "type " F["type"] ", fifo " F["fifo"] ", irq " F["irq"] }
$1 == "BENCH" && $2 == "ctrace" {
	kv()
	t = F["tag"]; m = F["mark"]
	# the last record of a mark wins (the guest boot may write SCR too)
	for (k in T) {
		split(k, p, SUBSEP)
		if (p[1] == t && p[2] == m) delete T[k]
	}
	for (k in F)
		if (k != "tag" && k != "mark") T[t, m, k] = F[k]
	ntrace++
}
$1 == "BENCH" && $2 == "cstats" {
	kv()
	STATS[++nstats] = F["tag"] ": " F["intx"] " INTx signals, " F["timer"] " of them by the deferral timer"
	next
}
$1 == "BENCH" && $2 == "cphase" {
	kv()
	if (F["phase"] == "end") next
	t = F["tag"]; b = F["burst"]
	if (!((t SUBSEP b) in SEEN)) {
		SEEN[t, b] = 1
		ORDER[++ncfg] = t SUBSEP b
	}
	if (F["phase"] == "base") {
		BASE[t, b] = F["mark"]
		BIRQ[t, b] = F["irqs"] + 0
		NS[t, b] = 0
	} else {
		n = ++NS[t, b]
		XM[t, b, n] = F["mark"]
		XB[t, b, n] = F["bytes"] + 0
		XW[t, b, n] = F["want"]
		XI[t, b, n] = F["irqs"] + 0
		XBAD[t, b, n] = F["bad"] + F["lost"] + F["wedged"]
	}
	nphase++
}
END {
	md = tmp "/report.md"
	printf "# Counted costs, %s\n\n", kver > md
	print "Issue 15: what an emulated serial port costs a host is exits and round trips, not TCG time. The nested guest (Debian 6.1 L2 kernel, Linux 8250 driver, ttyS1 raw, 115200 8N1) moves a fixed number of bytes through the first port with a fixed number of bytes in flight; the L2 QEMU (7.2) traces `vfio_region_read`, `vfio_region_write`, `vfio_intx_interrupt` and `vfio_intx_eoi` (tests/vm/steps/qtrace.sh), the guest counts its interrupts in /proc/interrupts. Each phase is delimited on both sides by a write of the phase number to the port scratch register; a baseline phase (open, configure, close, no data) is subtracted from every transfer phase. Every byte is checked." > md
	print "" > md
	printf "Run: %s\n\n", info > md
	if (!nphase || !ntrace) {
		print "**No records** (guest phases: " nphase + 0 ", trace phases: " ntrace + 0 "): the run failed, see the notes below." > md
		close(md)
		exit 1
	}
	print "## 1. Per byte and per guest interrupt (larger transfer, baseline subtracted)" > md
	print "" > md
	print "- **region accesses**: BAR reads + writes = VM exits + `pread`/`pwrite` on the VFIO device fd (QEMU without KVM: each also an EOI check)." > md
	print "- **INTx events**: `vfio_intx_interrupt`, the INTx eventfd signalled by the driver and read by QEMU (a QEMU wake-up each)." > md
	print "- **unmasks**: `vfio_intx_eoi`; in QEMU 7.2 each one deasserts the guest line and issues one `VFIO_DEVICE_SET_IRQS` unmask ioctl (`vfio_unmask_single_irqindex`)." > md
	print "- **floor**: what the guest 8250 driver cannot avoid (section 3): 3 per byte, 3 per handler pass of at most 16 bytes (3/16 per byte), 1 per guest interrupt." > md
	print "" > md
	print "| driver | in flight | bytes | region acc./byte | floor | INTx events/byte | unmasks/byte | guest irqs/byte | INTx events/guest irq | unmasks/guest irq | acc./byte, smaller size | marginal acc./byte | lost or bad |" > md
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" > md
	for (i = 1; i <= ncfg; i++) {
		split(ORDER[i], p, SUBSEP)
		t = p[1]; b = p[2]; n = NS[t, b]
		if (!n || !((t SUBSEP b) in BASE)) continue
		bm = BASE[t, b]
		m = XM[t, b, n]; by = XB[t, b, n]
		acc = tc(t, m, "acc") - tc(t, bm, "acc")
		ix = tc(t, m, "intx") - tc(t, bm, "intx")
		eo = tc(t, m, "eoi") - tc(t, bm, "eoi")
		gi = XI[t, b, n] - BIRQ[t, b]
		floor = by > 0 ? 3 + 3 / 16 + gi / by : 0
		small = marg = "n/a"
		if (n >= 2) {
			m1 = XM[t, b, 1]; b1 = XB[t, b, 1]
			a1 = tc(t, m1, "acc") - tc(t, bm, "acc")
			small = f3(per(a1, b1))
			if (by > b1) marg = f3((acc - a1) / (by - b1))
		}
		bad = 0
		for (j = 1; j <= n; j++) bad += XBAD[t, b, j]
		printf "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", t, b, by, f3(per(acc, by)), f3(floor), f3(per(ix, by)), f3(per(eo, by)), f3(per(gi, by)), (gi > 0 ? f3(ix / gi) : "n/a"), (gi > 0 ? f3(eo / gi) : "n/a"), small, marg, bad > md
		printf "\"%s %s\" %.4f %.4f %.4f\n", t, b, per(ix, by), per(eo, by), per(gi, by) > (tmp "/chart.dat")
		GI[t, b] = per(gi, by); IXG[t, b] = (gi > 0 ? ix / gi : -1); IXB[t, b] = per(ix, by)
		for (r = 1; r <= nregs; r++)
			R[t, b, REGS[r]] = per(tc(t, m, REGS[r]) - tc(t, bm, REGS[r]), by)
		OTH[t, b] = tc(t, m, "other") - tc(t, bm, "other")
	}
	print "" > md
	print "Linearity: `acc./byte, smaller size` is the same quotient for the smaller transfer; `marginal` is (accesses(larger) - accesses(smaller)) / (bytes(larger) - bytes(smaller)). Both close to the headline figure mean the counts scale with the bytes and the baseline is right." > md
	print "" > md
	print "## 2. Region accesses per byte, by register (larger transfer, baseline subtracted)" > md
	print "" > md
	hdr = "| driver | in flight |"; sep = "|---|---:|"
	for (r = 1; r <= nregs; r++) {
		used = 0
		for (i = 1; i <= ncfg; i++) {
			split(ORDER[i], p, SUBSEP)
			if (R[p[1], p[2], REGS[r]] > 0.0005 || R[p[1], p[2], REGS[r]] < -0.0005) used = 1
		}
		USED[r] = used
		if (used) { hdr = hdr " " REGS[r] " |"; sep = sep "---:|" }
	}
	print hdr " other regions |" > md
	print sep "---:|" > md
	for (i = 1; i <= ncfg; i++) {
		split(ORDER[i], p, SUBSEP)
		t = p[1]; b = p[2]
		if (!NS[t, b]) continue
		line = "| " t " | " b " |"
		for (r = 1; r <= nregs; r++)
			if (USED[r]) line = line " " f3(R[t, b, REGS[r]]) " |"
		print line " " OTH[t, b] + 0 " |" > md
	}
	print "" > md
	print "## 3. The 8250 floor" > md
	print "" > md
	print "From Linux 6.1/6.12 `drivers/tty/serial/8250/`, for one port on its IRQ, no DMA, no modem-status changes:" > md
	print "" > md
	print "- **per byte, 3**: `serial8250_tx_chars` writes each byte to THR (1); `serial8250_rx_chars` reads each byte from RBR (1) and re-reads LSR after each byte to see whether another is ready (1; the last of these reads finds the FIFO empty and ends the loop)." > md
	print "- **per handler pass, 3**: `serial8250_default_handle_irq` reads IIR (1); `serial8250_handle_irq` reads LSR once before receiving (1) and `serial8250_modem_status` reads MSR (1)." > md
	print "- **per guest interrupt, 1 more**: `serial8250_interrupt` (8250_core.c) loops over the ports of the IRQ until one full pass finds none with an interrupt pending: one extra IIR read that returns NO_INT." > md
	print "- **per burst the transmitter drains, 2**: `start_tx` sets IER.THRI (1 write) and `__stop_tx` clears it when the circular buffer is empty (1 write)." > md
	print "" > md
	print "A pass moves at most 16 bytes each way (the 16550A FIFO; `tx_loadsz` 16), so the floor is **3 + 3/16 = 3.1875 per byte plus 1 per guest interrupt**: the floor column of section 1. Streaming (4096 in flight) sits on it (a guest interrupt there runs many passes: the handler keeps finding data). With 15 bytes in flight a burst costs two passes (receive; transmitter empty) and the two IER writes: 3 + (3 + 3 + 1 + 2)/15 = 3.600 per byte with one interrupt per burst; with 1 byte in flight, 12 (two interrupts per byte). The per-register table shows where anything above the floor went. Region accesses are a regression guard, not a target: both drivers must sit on the same figures." > md
	print "" > md
	if ((("deep16750" SUBSEP 15) in SEEN) || (("deep16750" SUBSEP 64) in SEEN) || (("deep16750" SUBSEP 4096) in SEEN)) {
		print "## 4. Deep FIFO: the 16750 selected in the guest" > md
		print "" > md
		print "Our deep-FIFO device (created with `deep_fifo=1`) at 00:06.0, switched in the guest with `TIOCSSERIAL` type `PORT_16750`, `xmit_fifo_size` 64 (what `setserial /dev/ttyS2 uart 16750` does), against our 16550A device (`ours`) at the same bytes in flight. Target: guest interrupts per byte <= 0.3x of 16550A mode." > md
		print "" > md
		if ("deep16750" in UART) printf "Guest port after the switch: %s.\n\n", UART["deep16750"] > md
		print "| in flight | 16550A guest irqs/byte | 16750 guest irqs/byte | ratio | target <= 0.3x |" > md
		print "|---:|---:|---:|---:|---|" > md
		for (i = 1; i <= ncfg; i++) {
			split(ORDER[i], p, SUBSEP)
			if (p[1] != "deep16750" || !(("ours" SUBSEP p[2]) in GI)) continue
			b = p[2]
			ratio = GI["ours", b] > 0 ? GI["deep16750", b] / GI["ours", b] : -1
			printf "| %s | %s | %s | %s | %s |\n", b, f3(GI["ours", b]), f3(GI["deep16750", b]), (ratio >= 0 ? sprintf("%.2fx", ratio) : "n/a"), (ratio >= 0 && ratio <= 0.3 ? "met" : "not met") > md
		}
		print "" > md
		print "Why: Linux sets `up->fcr` from the port type only in `serial8250_config_port` (probe); `TIOCSSERIAL` changes `port->type` and `fifosize` but not `up->fcr` nor `tx_loadsz`, so after the switch `serial8250_do_set_termios` writes the 16550A FCR value (FIFO enable, RX trigger 8) with DLAB set, without `UART_FCR7_64BYTE`: the device keeps its 16-byte FIFO. A guest gets the 64-byte FIFO only if its kernel probes the 16750 (`CONFIG_SERIAL_8250_16550A_VARIANTS` or `UPF_FULL_PROBE`, neither set for this card on Debian) or writes FCR itself." > md
		print "" > md
	}
	if (("sample" SUBSEP 15) in IXG && ("ours" SUBSEP 15) in IXG) {
		printf "At 15 in flight: INTx events per guest interrupt ours %s, sample %s (target: ours <= sample: %s); INTx events per byte ours %s, sample %s; guest interrupts per byte ours %s, sample %s.\n\n", f3(IXG["ours", 15]), f3(IXG["sample", 15]), (IXG["ours", 15] <= IXG["sample", 15] ? "met" : "not met"), f3(IXB["ours", 15]), f3(IXB["sample", 15]), f3(GI["ours", 15]), f3(GI["sample", 15]) > md
	}
	if (nstats) {
		print "The counters of our driver itself over the whole guest run, boot included (`/sys/bus/mdev/devices/UUID/stats/`; `intx_defer_us` holds a signal while the handler of the guest runs, and the timer sends it only if the handler left it due):" > md
		print "" > md
		for (i = 1; i <= nstats; i++)
			print "- " STATS[i] > md
		print "" > md
	}
	close(tmp "/chart.dat")
	close(md)
}' "$RAW" || rc=$?

# The chart: per configuration, INTx events, unmasks and guest interrupts
# per byte (grouped bars), as plain SVG.
if [ -s "$TMP/chart.dat" ]; then
	awk -v kver="$KVER" '
	{
		match($0, /^"[^"]*"/)
		lab[NR] = substr($0, 2, RLENGTH - 2)
		split(substr($0, RLENGTH + 2), v, " ")
		a[NR] = v[1]; b[NR] = v[2]; c[NR] = v[3]
		for (i = 1; i <= 3; i++) if (v[i] > mx) mx = v[i]
		n = NR
	}
	END {
		if (mx <= 0) mx = 1
		W = 120 + n * 110; H = 420; top = 50; bot = 340; left = 70
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H
		printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		printf "<text x=\"%d\" y=\"20\" font-size=\"14\">Counted round trips per byte, %s (nested guest, QEMU 7.2 trace; deterministic counts, not timings)</text>\n", left, kver
		for (g = 0; g <= 4; g++) {
			y = bot - (bot - top) * g / 4
			printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, W - 20, y, y
			printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", left - 5, y + 4, mx * g / 4
		}
		col[1] = "#4477aa"; col[2] = "#cc6677"; col[3] = "#228833"
		for (i = 1; i <= n; i++) {
			x0 = left + 20 + (i - 1) * 110
			val[1] = a[i]; val[2] = b[i]; val[3] = c[i]
			for (s = 1; s <= 3; s++) {
				h = (bot - top) * val[s] / mx
				printf "<rect x=\"%d\" y=\"%.1f\" width=\"24\" height=\"%.1f\" fill=\"%s\"><title>%s: %.4f</title></rect>\n", x0 + (s - 1) * 26, bot - h, h, col[s], lab[i], val[s]
			}
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x0 + 39, bot + 16, lab[i]
		}
		split("QEMU INTx events per byte|unmasks (vfio_intx_eoi) per byte|guest interrupts per byte", nm, "|")
		for (s = 1; s <= 3; s++) {
			printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", left + (s - 1) * 260, H - 40, col[s]
			printf "<text x=\"%d\" y=\"%d\">%s</text>\n", left + (s - 1) * 260 + 16, H - 30, nm[s]
		}
		print "</svg>"
	}' "$TMP/chart.dat" >"$OUT.svg"
	printf '![chart](%s)\n\n' "${OUT##*/}.svg" >>"$TMP/report.md"
fi
if [ -n "$NOTES" ] && [ -f "$NOTES" ]; then
	cat "$NOTES" >>"$TMP/report.md"
fi
cp "$TMP/report.md" "$OUT.md"
echo "$OUT.md"
exit "$rc"
