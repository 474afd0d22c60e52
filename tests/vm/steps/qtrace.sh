#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# qtrace.sh -- count the nested QEMU's VFIO trace events (issue 15).
# Sourced by steps (busybox sh in L1); not a step itself.
#
# QEMU 7.2 (the L2 QEMU in L1) has these events for a vfio-pci device:
#   vfio_region_read (NAME:regionN+0xOFF, SIZE) = 0xDATA   a BAR read
#   vfio_region_write (NAME:regionN+0xOFF, 0xDATA, SIZE)   a BAR write
#   vfio_intx_interrupt (NAME) Pin A    the INTx eventfd fired (QEMU woke)
#   vfio_intx_eoi (NAME) EOI            QEMU's EOI: deassert + one
#                                       VFIO_DEVICE_SET_IRQS unmask ioctl
# Every region access is one VM exit plus one pread/pwrite on the device
# fd; without KVM irqfd QEMU treats every BAR access as a possible EOI,
# and vfio_intx_eoi fires when an interrupt was pending (then it unmasks:
# unmask calls == EOI events).
#
#   qtrace_events            write the event list, print its path
#   L2_TRACE=$(qtrace_events) run_l2 ...   (the hook in lib.sh's run_l2)
#   qtrace_count LOG UUID=TAG[,UUID=TAG]   print one "# BENCH ctrace" line
#                            per phase (see below)
#   qtrace_total LOG UUID    print totals of a device over the whole run
#
# Phases: l2bench's count mode writes a phase number to port 0's scratch
# register (BAR0 + 7) before each phase; the 8250 driver never writes SCR
# after probing.  Every event of that device up to its next SCR write
# belongs to the phase.  Per phase: region-0 accesses by register (rd_RBR,
# wr_THR, rd_LSR, ...; DLL/DLM while LCR.DLAB is set), acc (all region-0
# accesses), other (accesses to other regions), intx, eoi.  Events before
# the first mark (the guest's boot and probe) are in phase 0.

QTRACE_EVENTS=/tmp/qtrace-events

qtrace_events() {
	printf '%s\n' vfio_region_read vfio_region_write vfio_intx_interrupt \
		vfio_intx_eoi >"$QTRACE_EVENTS"
	echo "$QTRACE_EVENTS"
}

# The awk program shared by qtrace_count and qtrace_total.
# shellcheck disable=SC2016 # an awk program
QTRACE_AWK='
function hexval(h,    i, v) {
	v = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}
function flush(d,    line, k, parts) {
	if (!(d in seg))
		return
	line = "# BENCH ctrace tag=" tag[d] " mark=" seg[d]
	for (k in c) {
		split(k, parts, SUBSEP)
		if (parts[1] == d) {
			line = line " " parts[2] "=" c[k]
			delete c[k]
		}
	}
	print line
}
BEGIN {
	n = split(map, m, ",")
	for (i = 1; i <= n; i++) {
		split(m[i], kv, "=")
		tag[kv[1]] = kv[2]
	}
	rn[0] = "RBR"; rn[1] = "IER"; rn[2] = "IIR"; rn[3] = "LCR"
	rn[4] = "MCR"; rn[5] = "LSR"; rn[6] = "MSR"; rn[7] = "SCR"
	wn[0] = "THR"; wn[1] = "IER"; wn[2] = "FCR"; wn[3] = "LCR"
	wn[4] = "MCR"; wn[5] = "LSR"; wn[6] = "MSR"; wn[7] = "SCR"
}
{
	ev = $1
	sub(/^[0-9]+@[0-9.]+:/, "", ev)
	if (ev !~ /^vfio_(region_read|region_write|intx_interrupt|intx_eoi)$/)
		next
	if (!match($0, /\([^:) ]+/))
		next
	d = substr($0, RSTART + 1, RLENGTH - 1)
	if (!(d in tag))
		next
	if (!(d in seg))
		seg[d] = 0
	if (ev == "vfio_intx_interrupt") {
		c[d, "intx"]++
		next
	}
	if (ev == "vfio_intx_eoi") {
		c[d, "eoi"]++
		next
	}
	if (!match($0, /region[0-9]+\+0x[0-9a-fA-F]+/))
		next
	s = substr($0, RSTART + 6, RLENGTH - 6)
	split(s, rp, /[+]0x/)
	reg = rp[1] + 0
	off = hexval(rp[2])
	if (reg != 0) {
		c[d, "other"]++
		next
	}
	if (ev == "vfio_region_write") {
		data = 0
		if (match($0, /, 0x[0-9a-fA-F]+,/))
			data = hexval(substr($0, RSTART + 4, RLENGTH - 5))
		if (off == 3)
			dlab[d] = int(data / 128) % 2
		if (off == 7 && !dlab[d]) {
			flush(d)
			seg[d] = data
		}
		name = "wr_" wn[off]
	} else {
		name = "rd_" rn[off]
	}
	if (dlab[d] && off < 2)
		name = substr(name, 1, 3) (off ? "DLM" : "DLL")
	c[d, name]++
	c[d, "acc"]++
}
END {
	for (d in seg)
		flush(d)
}'

# qtrace_count LOG UUID=TAG[,UUID=TAG...]
qtrace_count() {
	awk -v map="$2" "$QTRACE_AWK" "$1"
}

# qtrace_total LOG UUID: "ACC INTX EOI RBR THR LSR IIR" of a device over
# the whole run: all its region accesses, INTx events, EOIs, and region
# 0's RBR reads, THR writes, LSR reads, IIR reads (DLAB ignored).  Fixed-
# string greps only (grep -F): a 256 KiB loopback traces about a million
# lines, and a regular-expression pass over them takes about 15 s under
# nested TCG, a fixed-string one about 1 s.  A read's trace has ", SIZE)"
# after the offset, a write's ", 0xDATA".
qtrace_total() {
	_qt_d=$2
	grep -F "($_qt_d)" "$1" >"$1.intx"
	printf '%s %s %s %s %s %s %s\n' \
		"$(grep -c -F "($_qt_d:region" "$1")" \
		"$(grep -c -F 'vfio_intx_interrupt' "$1.intx")" \
		"$(grep -c -F 'vfio_intx_eoi' "$1.intx")" \
		"$(grep -c -F "($_qt_d:region0+0x0, 1)" "$1")" \
		"$(grep -c -F "($_qt_d:region0+0x0, 0x" "$1")" \
		"$(grep -c -F "($_qt_d:region0+0x5, 1)" "$1")" \
		"$(grep -c -F "($_qt_d:region0+0x2, 1)" "$1")"
	rm -f "$1.intx"
}
