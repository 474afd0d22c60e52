// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_client - userspace VFIO test suite for one mtty mediated device.
 *
 * Usage: vfio_client [--ports N] [--bytes B] [--irq-bytes B] [--remove] UUID
 *
 * Opens the container, the mdev's IOMMU group and the device, then checks
 * the device against the mtty device specification: device/region/irq
 * info, PCI config space, the 16550A UART registers, loopback, lossless
 * bulk transfers (polled, INTx and MSI driven), back-pressure, interrupt
 * priorities, reset and hostile input.  Output is TAP-like:
 * "ok - desc", "not ok - desc", "# comment".  Exit status 1 if any check
 * failed.  With --remove the device is removed via sysfs at the end while
 * the device fd is open, and the REQ eventfd must be signalled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "mtty_uart.h"
#include "tap.h"
#include "vfio_dev.h"

#define CFG_SIZE	256
#define MAX_PORTS	2

static struct vdev dev;
static int nports;
static const char *uuid;
static size_t bulk_bytes = 1024 * 1024;
static size_t irq_bytes = (size_t)-1;
static int do_remove;

/* a register of port @p of the device under test (tests/lib/vfio_dev.h) */
static uint8_t rd(int p, int reg)
{
	return vdev_rd8(&dev, p, reg);
}

static void wr(int p, int reg, uint8_t val)
{
	vdev_wr8(&dev, p, reg, val);
}

/* --------------------------------------------------------- info tests */

static void test_device_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int r = ioctl(dev.fd, VFIO_DEVICE_GET_INFO, &di);

	ok(r == 0, "VFIO_DEVICE_GET_INFO");
	ok(di.flags & VFIO_DEVICE_FLAGS_PCI, "device flags include PCI (0x%x)", di.flags);
	ok(di.flags & VFIO_DEVICE_FLAGS_RESET, "device flags include RESET (0x%x)", di.flags);
	ok(di.num_regions == VFIO_PCI_NUM_REGIONS, "num_regions %u == %d",
	      di.num_regions, VFIO_PCI_NUM_REGIONS);
	ok(di.num_irqs == VFIO_PCI_NUM_IRQS, "num_irqs %u == %d",
	      di.num_irqs, VFIO_PCI_NUM_IRQS);

	memset(&di, 0, sizeof(di));
	di.argsz = offsetof(struct vfio_device_info, num_irqs);
	ok_errno(ioctl(dev.fd, VFIO_DEVICE_GET_INFO, &di), EINVAL,
		    "GET_INFO argsz %u (too small)", di.argsz);
}

static int region_info(uint32_t index, struct vfio_region_info *ri, uint32_t argsz)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = argsz;
	ri->index = index;
	return ioctl(dev.fd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

static void test_region_info(void)
{
	struct vfio_region_info ri;
	uint32_t minsz = offsetof(struct vfio_region_info, offset) + sizeof(ri.offset);
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	int i, bars = 0;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		uint64_t esize = 0;
		uint32_t eflags = 0;
		int r = region_info(i, &ri, sizeof(ri));

		if (i < VFIO_PCI_ROM_REGION_INDEX && i < nports) {
			esize = MTTY_UART_NREGS;
			eflags = rw;
		} else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			esize = CFG_SIZE;
			eflags = rw;
		}
		if (r == 0 && i < VFIO_PCI_ROM_REGION_INDEX && ri.size == MTTY_UART_NREGS)
			bars++;
		if (!ok(r == 0 && ri.index == (uint32_t)i && ri.size == esize &&
			   ri.flags == eflags && ri.offset == VDEV_REGION_OFF(i),
			   "region %d info: size %" PRIu64 " flags 0x%x offset %d<<40",
			   i, esize, eflags, i))
			tap_comment("  got r=%d size %llu flags 0x%x offset 0x%llx (%s)", r,
				(unsigned long long)ri.size, ri.flags,
				(unsigned long long)ri.offset, r ? strerror(errno) : "");
	}
	ok(bars == nports, "%d I/O BAR regions of size 8 (== ports)", bars);

	ok_errno(region_info(VFIO_PCI_NUM_REGIONS, &ri, sizeof(ri)), EINVAL,
		    "GET_REGION_INFO index %d", VFIO_PCI_NUM_REGIONS);
	ok_errno(region_info(0xffffffffu, &ri, sizeof(ri)), EINVAL,
		    "GET_REGION_INFO index 0xffffffff");
	ok_errno(region_info(0, &ri, minsz - 1), EINVAL,
		    "GET_REGION_INFO argsz %u (minimum %u)", minsz - 1, minsz);
	ok_errno(region_info(VFIO_PCI_CONFIG_REGION_INDEX, &ri, 0), EINVAL,
		    "GET_REGION_INFO argsz 0");
	ok(region_info(VFIO_PCI_CONFIG_REGION_INDEX, &ri, minsz) == 0 &&
	      ri.size == CFG_SIZE, "GET_REGION_INFO with exactly the minimum argsz");
}

static void test_irq_info(void)
{
	static const struct {
		uint32_t count, flags;
		const char *name;
	} exp[VFIO_PCI_NUM_IRQS] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD |
			VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, "INTX" },
		[VFIO_PCI_MSI_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD |
			VFIO_IRQ_INFO_NORESIZE, "MSI" },
		[VFIO_PCI_MSIX_IRQ_INDEX] = { 0, 0, "MSIX" },
		[VFIO_PCI_ERR_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD, "ERR" },
		[VFIO_PCI_REQ_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD, "REQ" },
	};
	struct vfio_irq_info ii;
	int i, r;

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		r = ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
		if (exp[i].count)
			ok(r == 0 && ii.count == exp[i].count && ii.flags == exp[i].flags,
			      "irq %s info: count %u flags 0x%x (got r=%d count %u flags 0x%x)",
			      exp[i].name, exp[i].count, exp[i].flags, r, ii.count, ii.flags);
		else
			ok(r == 0 && ii.count == 0,
			      "irq %s info: count 0 (got r=%d count %u flags 0x%x)",
			      exp[i].name, r, ii.count, ii.flags);
	}
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_NUM_IRQS;
	ok_errno(ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO index %d", VFIO_PCI_NUM_IRQS);
	ii.index = 0xffffffffu;
	ok_errno(ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO index 0xffffffff");
	ii.index = 0;
	ii.argsz = offsetof(struct vfio_irq_info, count);
	ok_errno(ioctl(dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO argsz %u (too small)", ii.argsz);
}

/* ------------------------------------------------------- config space */

static void cfg_dump(uint8_t *b)
{
	unsigned int i;
	uint32_t v;

	for (i = 0; i < CFG_SIZE; i++) {
		if (vdev_cfg_rd(&dev, i, 1, &v)) {
			vdev_io_error("config byte read", -1, i);
			v = 0xee;
		}
		b[i] = v;
	}
}

static void test_config(void)
{
	uint8_t snap[CFG_SIZE], after[CFG_SIZE];
	unsigned int i, bad;
	uint32_t v, orig;
	int r;

	cfg_dump(snap);
	ok(!memcmp(snap, "\x48\x43\x53\x32", 4), "config 00: 48 43 53 32 (vendor 4348 device 3253)");
	ok(vdev_cfg(&dev, 0, 2) == 0x4348 && vdev_cfg(&dev, 2, 2) == 0x3253, "config vendor/device as 16-bit reads");
	ok(vdev_cfg(&dev, 0, 4) == 0x32534348, "config dword 0 == 0x32534348 (little endian)");
	ok(vdev_cfg(&dev, 6, 2) == 0x0200, "config status 0x0200 (got 0x%04x)", vdev_cfg(&dev, 6, 2));
	ok(vdev_cfg(&dev, 8, 4) == 0x07000210, "config 08: rev 10 prog-if 02 subclass 00 class 07 (got 0x%08x)",
	      vdev_cfg(&dev, 8, 4));
	ok(vdev_cfg(&dev, 0xc, 4) == 0, "config 0c-0f are 0 (got 0x%08x)", vdev_cfg(&dev, 0xc, 4));
	ok(!memcmp(snap + 0x2c, "\x48\x43\x53\x32", 4), "config 2c: subsystem 48 43 53 32");
	ok(snap[0x34] == 0, "config 34: capability pointer 0 (got 0x%02x)", snap[0x34]);
	ok(snap[0x3d] == 0x01, "config 3d: interrupt pin 0x01 (got 0x%02x)", snap[0x3d]);

	/* BARs */
	for (i = 0; i < 6; i++) {
		unsigned int off = 0x10 + 4 * i;

		orig = vdev_cfg(&dev, off, 4);
		if ((int)i < nports) {
			ok((orig & 7) == 1, "BAR%u is an I/O BAR: (addr & ~7) | 1 (got 0x%08x)", i, orig);
			r = vdev_cfg_wr(&dev, off, 4, 0xffffffff);
			v = vdev_cfg(&dev, off, 4);
			ok(r == 0 && v == 0xfffffff9,
			      "BAR%u sizing: write 0xffffffff reads 0xfffffff9 (got 0x%08x)", i, v);
			vdev_cfg_wr(&dev, off, 4, 0xc150 + 8 * i);
			v = vdev_cfg(&dev, off, 4);
			ok(v == ((0xc150 + 8 * i) | 1), "BAR%u write 0x%x reads 0x%x (got 0x%08x)",
			      i, 0xc150 + 8 * i, (0xc150 + 8 * i) | 1, v);
			vdev_cfg_wr(&dev, off, 4, 0xc15f);
			v = vdev_cfg(&dev, off, 4);
			ok(v == 0xc159, "BAR%u write 0xc15f reads 0xc159 (low bits masked, got 0x%08x)",
			      i, v);
			vdev_cfg_wr(&dev, off, 4, orig);
			v = vdev_cfg(&dev, off, 4);
			ok(v == orig, "BAR%u restore to 0x%08x (got 0x%08x)", i, orig, v);
		} else {
			ok(orig == 0, "unused BAR%u reads 0 (got 0x%08x)", i, orig);
			r = vdev_cfg_wr(&dev, off, 4, 0xffffffff);
			v = vdev_cfg(&dev, off, 4);
			ok(r == 0 && v == 0, "unused BAR%u ignores 0xffffffff write (got 0x%08x)", i, v);
			vdev_cfg_wr(&dev, off, 4, 0xc150);
			v = vdev_cfg(&dev, off, 4);
			ok(v == 0, "unused BAR%u ignores address write (got 0x%08x)", i, v);
		}
	}

	/* command register */
	orig = vdev_cfg(&dev, 4, 2);
	tap_comment("command register at open: 0x%04x", orig);
	r = vdev_cfg_wr(&dev, 4, 2, 0x0001);
	ok(r == 0 && (vdev_cfg(&dev, 4, 2) & 0x0001) == 0x0001, "command: I/O enable writable (0x%04x)", vdev_cfg(&dev, 4, 2));
	r = vdev_cfg_wr(&dev, 4, 2, 0x0405);
	ok(r == 0 && (vdev_cfg(&dev, 4, 2) & 0x0405) == 0x0405,
	      "command: I/O, bus master, INTx disable writable (0x%04x)", vdev_cfg(&dev, 4, 2));
	ok(vdev_cfg(&dev, 6, 2) == 0x0200, "status unchanged by command write (0x%04x)", vdev_cfg(&dev, 6, 2));
	r = vdev_cfg_wr(&dev, 4, 2, 0);
	ok(r == 0 && vdev_cfg(&dev, 4, 2) == 0, "command: written 0 reads 0 (0x%04x)", vdev_cfg(&dev, 4, 2));

	/* interrupt line is a RW byte, pin is RO */
	r = vdev_cfg_wr(&dev, 0x3c, 1, 0x0a);
	ok(r == 0 && vdev_cfg(&dev, 0x3c, 1) == 0x0a, "interrupt line: write 0x0a reads 0x0a");
	r = vdev_cfg_wr(&dev, 0x3c, 2, 0xff55);
	ok(r == 0 && vdev_cfg(&dev, 0x3c, 1) == 0x55 && vdev_cfg(&dev, 0x3d, 1) == 0x01,
	      "16-bit write at 3c: line 0x55 written, pin stays 0x01 (got %02x %02x)",
	      vdev_cfg(&dev, 0x3c, 1), vdev_cfg(&dev, 0x3d, 1));
	vdev_cfg_wr(&dev, 0x3c, 1, snap[0x3c]);

	/* writes to read-only registers are ignored, not errors */
	cfg_dump(snap);
	bad = 0;
	bad += vdev_cfg_wr(&dev, 0x00, 4, 0xffffffff) != 0;
	bad += vdev_cfg_wr(&dev, 0x06, 2, 0xffff) != 0;
	bad += vdev_cfg_wr(&dev, 0x08, 4, 0xffffffff) != 0;
	bad += vdev_cfg_wr(&dev, 0x2c, 4, 0xffffffff) != 0;
	bad += vdev_cfg_wr(&dev, 0x34, 1, 0xff) != 0;
	bad += vdev_cfg_wr(&dev, 0x3d, 1, 0xff) != 0;
	bad += vdev_cfg_wr(&dev, 0x0e, 1, 0xff) != 0;
	bad += vdev_cfg_wr(&dev, 0x01, 1, 0x00) != 0;
	bad += vdev_cfg_wr(&dev, 0x2d, 2, 0x0000) != 0;
	ok(bad == 0, "writes to read-only registers succeed (count returned)");
	cfg_dump(after);
	ok(!memcmp(snap, after, CFG_SIZE), "writes to read-only registers are ignored");
	if (memcmp(snap, after, CFG_SIZE))
		for (i = 0; i < CFG_SIZE; i++)
			if (snap[i] != after[i])
				tap_comment("  config byte 0x%02x: 0x%02x -> 0x%02x", i, snap[i], after[i]);

	/* 1/2/4 byte accesses at every offset agree with the byte dump */
	bad = 0;
	for (i = 0; i + 2 <= CFG_SIZE; i++)
		if (vdev_cfg_rd(&dev, i, 2, &v) || v != (uint32_t)(after[i] | after[i + 1] << 8))
			bad++;
	ok(bad == 0, "2-byte config reads at all offsets 0..254 (incl. unaligned) match (%u bad)", bad);
	bad = 0;
	for (i = 0; i + 4 <= CFG_SIZE; i++)
		if (vdev_cfg_rd(&dev, i, 4, &v) || v != (uint32_t)(after[i] | after[i + 1] << 8 |
					      after[i + 2] << 16 | (uint32_t)after[i + 3] << 24))
			bad++;
	ok(bad == 0, "4-byte config reads at all offsets 0..252 (incl. unaligned) match (%u bad)", bad);
	ok(vdev_cfg_rd(&dev, 0xff, 1, &v) == 0 && v == after[0xff], "1-byte config read at 0xff");
	ok(vdev_cfg_rd(&dev, 0xfe, 2, &v) == 0, "2-byte config read at 0xfe");
	ok(vdev_cfg_rd(&dev, 0xfc, 4, &v) == 0, "4-byte config read at 0xfc");
	ok(vdev_cfg_wr(&dev, 0x40, 4, 0) == 0 && vdev_cfg_wr(&dev, 0xff, 1, 0) == 0 && vdev_cfg_wr(&dev, 0xfe, 2, 0) == 0,
	      "config writes inside 0x40..0xff are accepted");
	/* unaligned 2-byte write across command/status boundary */
	r = vdev_cfg_wr(&dev, 0x05, 2, 0x0000);
	ok(r == 0 && vdev_cfg(&dev, 6, 2) == 0x0200, "unaligned 2-byte write at 0x05 accepted, status kept");
	vdev_cfg_wr(&dev, 4, 2, 0);
}

/* ------------------------------------------------------- UART basics */

static void port_reset_state(int p)
{
	wr(p, MTTY_UART_LCR, 0);
	wr(p, MTTY_UART_IER, 0);
	wr(p, MTTY_UART_MCR, 0);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	wr(p, MTTY_UART_FCR, 0);
	(void)rd(p, MTTY_UART_LSR);
	(void)rd(p, MTTY_UART_MSR);
	(void)rd(p, MTTY_UART_IIR);
}

static int check_reset_values(int p, const char *when)
{
	uint8_t ier = rd(p, MTTY_UART_IER), iir = rd(p, MTTY_UART_IIR), lcr = rd(p, MTTY_UART_LCR);
	uint8_t mcr = rd(p, MTTY_UART_MCR), lsr = rd(p, MTTY_UART_LSR), scr = rd(p, MTTY_UART_SCR);

	return ok(ier == 0 && iir == 0x01 && lcr == 0 && mcr == 0 && lsr == 0x60 && scr == 0,
		     "port %d %s: IER 00 IIR 01 LCR 00 MCR 00 LSR 60 SCR 00 "
		     "(got %02x %02x %02x %02x %02x %02x)",
		     p, when, ier, iir, lcr, mcr, lsr, scr);
}

static void test_uart_basic(int p)
{
	static const uint8_t pat[] = { 0xa5, 0x5a, 0x00, 0xff, 0x81 };
	uint8_t v, b[8];
	unsigned int i, bad = 0;
	ssize_t r;

	check_reset_values(p, "reset values");
	v = rd(p, MTTY_UART_MSR);
	ok((v & 0xf0) == 0, "port %d MSR with MCR 0: no modem lines (got 0x%02x)", p, v);

	for (i = 0; i < sizeof(pat); i++) {
		wr(p, MTTY_UART_SCR, pat[i]);
		if (rd(p, MTTY_UART_SCR) != pat[i])
			bad++;
	}
	ok(bad == 0, "port %d scratch register holds written values", p);
	if (nports > 1) {
		wr(p, MTTY_UART_SCR, 0x10 + p);
		wr(!p, MTTY_UART_SCR, 0x20 + p);
		ok(rd(p, MTTY_UART_SCR) == 0x10 + p, "port %d scratch independent of port %d", p, !p);
		wr(!p, MTTY_UART_SCR, 0);
	}

	/* multi-byte access within the BAR: bytes processed sequentially */
	wr(p, MTTY_UART_SCR, 0x3c);
	r = pread(dev.fd, b, 5, VDEV_REGION_OFF(p) + 3);
	ok(r == 5 && b[0] == 0 && b[1] == 0 && b[2] == 0x60 && b[4] == 0x3c,
	      "port %d 5-byte read at offset 3 returns LCR MCR LSR MSR SCR (%02x %02x %02x %02x %02x)",
	      p, b[0], b[1], b[2], b[3], b[4]);
	r = pread(dev.fd, b, 8, VDEV_REGION_OFF(p));
	ok(r == 8 && b[7] == 0x3c && b[5] == 0x60, "port %d 8-byte read at offset 0", p);
	b[0] = 0x11;	/* LCR */
	b[1] = 0x00;	/* MCR */
	b[2] = 0x60;	/* LSR (ignored) */
	b[3] = 0x00;	/* MSR (ignored) */
	b[4] = 0x77;	/* SCR */
	r = pwrite(dev.fd, b, 5, VDEV_REGION_OFF(p) + 3);
	ok(r == 5 && rd(p, MTTY_UART_LCR) == 0x11 && rd(p, MTTY_UART_SCR) == 0x77,
	      "port %d 5-byte write at offset 3 sets LCR and SCR", p);
	wr(p, MTTY_UART_LCR, 0);
	wr(p, MTTY_UART_SCR, 0);

	/* DLAB / divisor latch */
	wr(p, MTTY_UART_LCR, MTTY_LCR_DLAB | VDEV_LCR_WLEN8);
	ok(rd(p, MTTY_UART_LCR) == (MTTY_LCR_DLAB | VDEV_LCR_WLEN8), "port %d LCR reads back 0x83", p);
	wr(p, MTTY_UART_DLL, 0x0c);
	wr(p, MTTY_UART_DLM, 0x00);
	ok(rd(p, MTTY_UART_DLL) == 0x0c && rd(p, MTTY_UART_DLM) == 0x00, "port %d divisor latch 0x000c", p);
	wr(p, MTTY_UART_DLL, 0x01);
	wr(p, MTTY_UART_DLM, 0x02);
	v = rd(p, MTTY_UART_LSR);
	ok(rd(p, MTTY_UART_DLL) == 0x01 && rd(p, MTTY_UART_DLM) == 0x02 && v == 0x60,
	      "port %d divisor latch 0x0201, DLL write did not transmit (LSR 0x%02x)", p, v);
	wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
	v = rd(p, MTTY_UART_IER);
	ok(v == 0, "port %d DLAB off: offset 1 is IER again (0x%02x)", p, v);
	v = rd(p, MTTY_UART_LSR);
	ok(v == 0x60, "port %d DLAB off: no data received (LSR 0x%02x)", p, v);
	wr(p, MTTY_UART_LCR, MTTY_LCR_DLAB | VDEV_LCR_WLEN8);
	ok(rd(p, MTTY_UART_DLL) == 0x01 && rd(p, MTTY_UART_DLM) == 0x02, "port %d divisor latch retained", p);
	wr(p, MTTY_UART_LCR, 0);
}

static int send_str(int p, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (!(rd(p, MTTY_UART_LSR) & MTTY_LSR_THRE))
			return -1;
		wr(p, MTTY_UART_THR, s[i]);
	}
	return 0;
}

static int recv_str(int p, char *buf, size_t max)
{
	size_t n = 0;
	uint8_t lsr;

	while (n < max - 1 && ((lsr = rd(p, MTTY_UART_LSR)) & MTTY_LSR_DR)) {
		if (lsr & (MTTY_LSR_ERR_MASK | MTTY_LSR_FIFOE))
			return -1;
		buf[n++] = rd(p, MTTY_UART_RBR);
	}
	buf[n] = 0;
	return n;
}

static void test_loopback(int p)
{
	char msg[32], got[64];
	int q;

	/* with FIFOs enabled */
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	ok(rd(p, MTTY_UART_IIR) == 0xc1, "port %d IIR 0xc1 with FIFOs on", p);
	snprintf(msg, sizeof(msg), "hello port %d", p);
	send_str(p, msg);
	for (q = 0; q < nports; q++)
		if (q != p)
			ok(!(rd(q, MTTY_UART_LSR) & MTTY_LSR_DR), "port %d data does not reach port %d", p, q);
	recv_str(p, got, sizeof(got));
	ok(!strcmp(got, msg), "port %d loopback with FIFO: \"%s\" (got \"%s\")", p, msg, got);
	ok(rd(p, MTTY_UART_LSR) == 0x60, "port %d LSR 0x60 after loopback", p);

	/* without FIFOs: one byte at a time */
	wr(p, MTTY_UART_FCR, 0);
	ok(rd(p, MTTY_UART_IIR) == 0x01, "port %d IIR 0x01 with FIFOs off", p);
	snprintf(msg, sizeof(msg), "x%d", p);
	send_str(p, msg);	/* 'x' in RX, digit in THR */
	ok(rd(p, MTTY_UART_LSR) == 0x01, "port %d FIFO off: RX holds 1 byte, THR busy (LSR 0x01)", p);
	recv_str(p, got, sizeof(got));
	ok(!strcmp(got, msg), "port %d loopback without FIFO: \"%s\" (got \"%s\")", p, msg, got);
	ok(rd(p, MTTY_UART_LSR) == 0x60, "port %d LSR 0x60 after FIFO-less loopback", p);
}

/* RX full back-pressure: bytes wait in TX, none lost */
static void test_backpressure(int p)
{
	uint8_t lsr, c;
	unsigned int i, got = 0, bad = 0, errs = 0;

	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	for (i = 0; i < MTTY_FIFO_16550A; i++)
		wr(p, MTTY_UART_THR, 'A' + i);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0x61, "port %d 16 bytes written: RX full, TX empty (LSR 0x%02x)", p, lsr);
	for (i = 0; i < MTTY_FIFO_16550A; i++)
		wr(p, MTTY_UART_THR, 'a' + i);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0x01, "port %d 16 more: held in TX, THRE clear, no OE (LSR 0x%02x)", p, lsr);
	usleep(100000);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0x01, "port %d TX still held after 100 ms (LSR 0x%02x)", p, lsr);
	c = rd(p, MTTY_UART_RBR);
	lsr = rd(p, MTTY_UART_LSR);
	ok(c == 'A' && lsr == 0x01,
	      "port %d reading 1 byte makes room, TX not yet empty (got '%c', LSR 0x%02x)", p, c, lsr);
	got = 1;
	while (got < 2 * MTTY_FIFO_16550A && ((lsr = rd(p, MTTY_UART_LSR)) & MTTY_LSR_DR)) {
		if (lsr & (MTTY_LSR_ERR_MASK | MTTY_LSR_FIFOE))
			errs++;
		c = rd(p, MTTY_UART_RBR);
		if (c != (got < MTTY_FIFO_16550A ? 'A' + got : 'a' + got - MTTY_FIFO_16550A))
			bad++;
		got++;
		if (got == MTTY_FIFO_16550A + 1) {
			lsr = rd(p, MTTY_UART_LSR);
			ok(lsr == 0x61, "port %d TX drained into RX: THRE set again (LSR 0x%02x)", p, lsr);
		}
	}
	ok(got == 2 * MTTY_FIFO_16550A && bad == 0 && errs == 0,
	      "port %d all 32 bytes received in order, no errors (%u got, %u bad)", p, got, bad);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0x60, "port %d empty after back-pressure test (LSR 0x%02x)", p, lsr);
	wr(p, MTTY_UART_FCR, 0);
}

static void test_iir(int p)
{
	uint8_t iir, lsr, c;
	int i;

	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI | MTTY_IER_THRI);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc2, "port %d THRE interrupt on IER THRI with TX empty (IIR 0x%02x)", p, iir);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d reading IIR cleared the THRE source (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d no interrupt with THRI off (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI | MTTY_IER_THRI);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc2, "port %d THRE re-asserted on IER THRI 0->1 (IIR 0x%02x)", p, iir);

	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI | MTTY_IER_THRI);
	wr(p, MTTY_UART_THR, 'Z');
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc4, "port %d RX data outranks THRE (IIR 0x%02x)", p, iir);
	c = rd(p, MTTY_UART_RBR);
	iir = rd(p, MTTY_UART_IIR);
	ok(c == 'Z' && iir == 0xc2, "port %d after RX drained THRE is reported (IIR 0x%02x)", p, iir);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d THRE cleared by IIR read (IIR 0x%02x)", p, iir);

	/* writing THR also clears a pending THRE */
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI);
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_THRI);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | VDEV_FCR_TRIG_14);
	for (i = 0; i < MTTY_FIFO_16550A; i++)
		wr(p, MTTY_UART_THR, 'a' + i);
	wr(p, MTTY_UART_THR, '!');	/* held in TX: RX is full */
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d no THRE while TX holds data (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	(void)rd(p, MTTY_UART_IIR);

	/* trigger level / character timeout */
	wr(p, MTTY_UART_IER, MTTY_IER_RDI);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT | VDEV_FCR_TRIG_4);
	wr(p, MTTY_UART_THR, '1');
	wr(p, MTTY_UART_THR, '2');
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xcc, "port %d 2 bytes below trigger 4: character timeout (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_THR, '3');
	wr(p, MTTY_UART_THR, '4');
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc4, "port %d 4 bytes at trigger 4: RX data available (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);

	/*
	 * Break behind a data byte (16550A datasheet: LSR bits 1-4 reflect
	 * the character at the top of the FIFO): 'q' comes first as plain
	 * data; BI and the line status interrupt arrive with the break's NUL,
	 * which then outranks RX data.  LSR bit 7 flags the error character
	 * waiting in the FIFO.
	 */
	wr(p, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI | MTTY_IER_THRI);
	(void)rd(p, MTTY_UART_IIR);
	wr(p, MTTY_UART_THR, 'q');
	wr(p, MTTY_UART_MCR, MTTY_MCR_LOOP);
	wr(p, MTTY_UART_LCR, MTTY_LCR_SBC | VDEV_LCR_WLEN8);
	wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc4, "port %d break behind 'q': RX data first, no line status yet (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0xe1, "port %d LSR with 'q' on top: DR and bit 7, no BI (0x%02x)", p, lsr);
	c = rd(p, MTTY_UART_RBR);
	ok(c == 'q', "port %d 'q' read before the break (0x%02x)", p, c);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc6, "port %d line status (break) with its NUL on top outranks RX data (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0xf1, "port %d LSR reports BI with the NUL (0x%02x)", p, lsr);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc4, "port %d reading LSR clears line status: RX data next (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, MTTY_UART_LSR);
	ok(lsr == 0x61, "port %d BI and bit 7 cleared by the LSR read (0x%02x)", p, lsr);
	c = rd(p, MTTY_UART_RBR);
	ok(c == 0, "port %d break delivers a NUL (0x%02x)", p, c);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT);
	(void)rd(p, MTTY_UART_LSR);

	/* modem status is lowest */
	wr(p, MTTY_UART_IER, MTTY_IER_MSI);
	(void)rd(p, MTTY_UART_MSR);
	wr(p, MTTY_UART_MCR, MTTY_MCR_LOOP | MTTY_MCR_RTS);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc0, "port %d modem status interrupt on CTS change (IIR 0x%02x)", p, iir);
	c = rd(p, MTTY_UART_MSR);
	ok((c & 0x11) == 0x11, "port %d MSR shows CTS and DCTS (0x%02x)", p, c);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d MSR read clears modem status interrupt (IIR 0x%02x)", p, iir);
	wr(p, MTTY_UART_MCR, MTTY_MCR_LOOP);
	wr(p, MTTY_UART_IER, MTTY_IER_MSI | MTTY_IER_THRI);
	iir = rd(p, MTTY_UART_IIR);
	c = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc2 && c == 0xc0, "port %d THRE outranks modem status (IIR 0x%02x then 0x%02x)",
	      p, iir, c);
	(void)rd(p, MTTY_UART_MSR);
	iir = rd(p, MTTY_UART_IIR);
	ok(iir == 0xc1, "port %d all sources serviced (IIR 0x%02x)", p, iir);
	port_reset_state(p);
}

static void test_modem(int p)
{
	static const struct {
		uint8_t mcr, msr;
	} loop[] = {
		{ MTTY_MCR_LOOP, 0 },
		{ MTTY_MCR_LOOP | MTTY_MCR_RTS, MTTY_MSR_CTS },
		{ MTTY_MCR_LOOP | MTTY_MCR_DTR, MTTY_MSR_DSR },
		{ MTTY_MCR_LOOP | MTTY_MCR_OUT1, MTTY_MSR_RI },
		{ MTTY_MCR_LOOP | MTTY_MCR_OUT2, MTTY_MSR_DCD },
		{ MTTY_MCR_LOOP | 0x0f, 0xf0 },
		{ MTTY_MCR_RTS, MTTY_MSR_CTS },
		{ MTTY_MCR_DTR, MTTY_MSR_DSR | MTTY_MSR_DCD },
		{ MTTY_MCR_OUT1 | MTTY_MCR_OUT2, 0 },
		{ 0x0f, MTTY_MSR_CTS | MTTY_MSR_DSR | MTTY_MSR_DCD },
		{ 0, 0 },
	};
	unsigned int i;
	uint8_t msr;

	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		wr(p, MTTY_UART_MCR, loop[i].mcr);
		msr = rd(p, MTTY_UART_MSR);
		ok((msr & 0xf0) == loop[i].msr && rd(p, MTTY_UART_MCR) == loop[i].mcr,
		      "port %d MCR 0x%02x -> MSR lines 0x%02x (got 0x%02x)", p,
		      loop[i].mcr, loop[i].msr, msr & 0xf0);
	}
	/* loop mode still loops data back */
	wr(p, MTTY_UART_MCR, MTTY_MCR_LOOP);
	wr(p, MTTY_UART_THR, 'L');
	msr = rd(p, MTTY_UART_LSR);
	ok((msr & MTTY_LSR_DR) && rd(p, MTTY_UART_RBR) == 'L', "port %d data loops back in MCR loop mode", p);
	wr(p, MTTY_UART_MCR, 0);
	(void)rd(p, MTTY_UART_MSR);
}

/* ----------------------------------------------------- bulk transfer */

enum xmode { XM_POLL, XM_INTX, XM_MSI };
static const char *const xmode_name[] = { "polled", "INTx", "MSI" };

struct xfer {
	int port;
	size_t n, sent, got;
	uint32_t txs, rxs;
	size_t bad, first_bad;
	unsigned int lsr_errs;
	uint8_t ier;
};

static uint8_t prng(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x >> 24;
}

static void x_lsr(struct xfer *x, uint8_t lsr)
{
	if (lsr & (MTTY_LSR_ERR_MASK | MTTY_LSR_FIFOE)) {
		if (!x->lsr_errs)
			tap_comment("port %d: LSR error bits 0x%02x after %zu bytes", x->port, lsr, x->got);
		x->lsr_errs++;
	}
}

static void x_rx(struct xfer *x, uint8_t c)
{
	if (x->got >= x->n || c != prng(&x->rxs)) {
		if (!x->bad)
			x->first_bad = x->got;
		x->bad++;
	}
	x->got++;
}

static void x_tx(struct xfer *x)
{
	size_t i, n = x->n - x->sent;

	if (n > MTTY_FIFO_16550A)
		n = MTTY_FIFO_16550A;
	for (i = 0; i < n; i++)
		wr(x->port, MTTY_UART_THR, prng(&x->txs));
	x->sent += n;
}

/*
 * Drain RX while LSR.DR.  In polled mode (IER 0, no side effects on IIR)
 * a single 6-byte read at offset 0 returns RBR followed by LSR, i.e. the
 * byte and the status after it: one syscall per byte.  With interrupts
 * enabled the 8250 sequence RBR, LSR is used.
 */
static uint8_t x_drain(struct xfer *x, uint8_t lsr, int combined)
{
	unsigned int n = 0;
	uint8_t b[6];

	while ((lsr & MTTY_LSR_DR) && n++ < 256) {
		if (combined) {
			if (pread(dev.fd, b, 6, VDEV_REGION_OFF(x->port)) != 6) {
				vdev_io_error("rx read", x->port, 0);
				return 0;
			}
			x_rx(x, b[0]);
			lsr = b[5];
		} else {
			x_rx(x, rd(x->port, MTTY_UART_RBR));
			lsr = rd(x->port, MTTY_UART_LSR);
		}
		x_lsr(x, lsr);
	}
	return lsr;
}

/* one 8250-style interrupt service for a port; returns 1 if it had an irq */
static int x_service(struct xfer *x)
{
	uint8_t iir = rd(x->port, MTTY_UART_IIR), lsr;

	if (iir & MTTY_IIR_NO_INT)
		return 0;
	lsr = rd(x->port, MTTY_UART_LSR);
	x_lsr(x, lsr);
	if (lsr & MTTY_LSR_DR)
		lsr = x_drain(x, lsr, 0);
	if ((lsr & MTTY_LSR_THRE) && (x->ier & MTTY_IER_THRI)) {
		x_tx(x);
		if (x->sent == x->n) {
			x->ier &= ~MTTY_IER_THRI;
			wr(x->port, MTTY_UART_IER, x->ier);
		}
	}
	return 1;
}

static void bulk(enum xmode mode, size_t nbytes)
{
	struct xfer xs[MAX_PORTS];
	int p, done, efd = -1, stalled = 0;
	unsigned long irqs = 0, spurious = 0;
	unsigned int ioerr0;
	double t0, tlast;
	size_t progress, lastprog = 0;
	uint32_t index = mode == XM_MSI ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_INTX_IRQ_INDEX;

	if (!nbytes)
		return;
	memset(xs, 0, sizeof(xs));
	for (p = 0; p < nports; p++) {
		xs[p].port = p;
		xs[p].n = nbytes;
		xs[p].txs = xs[p].rxs = 0x2545f491u ^ (p + 1) * 0x9e3779b9u ^ mode * 0x85ebca6bu;
		port_reset_state(p);
		/* like the 8250 driver for a 16550A: FIFO on, RX trigger 8 */
		wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT | VDEV_FCR_TRIG_8);
		wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
		wr(p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2);
		(void)rd(p, MTTY_UART_LSR);
		(void)rd(p, MTTY_UART_IIR);
	}
	if (mode != XM_POLL) {
		efd = vdev_efd_new();
		if (!ok(vdev_irq_eventfd(&dev, index, efd) == 0, "%s bulk: eventfd set", xmode_name[mode])) {
			close(efd);
			return;
		}
		for (p = 0; p < nports; p++) {
			xs[p].ier = MTTY_IER_RDI | MTTY_IER_THRI | MTTY_IER_RLSI;
			wr(p, MTTY_UART_IER, xs[p].ier);
		}
	}

	t0 = tlast = tap_now();
	ioerr0 = vdev_io_errors;
	for (;;) {
		done = 1;
		progress = 0;
		for (p = 0; p < nports; p++) {
			if (xs[p].got < xs[p].n)
				done = 0;
			progress += xs[p].got + xs[p].sent;
		}
		if (done || vdev_io_errors != ioerr0)
			break;
		if (progress != lastprog) {
			lastprog = progress;
			tlast = tap_now();
		} else if (tap_now() - tlast > 10) {
			stalled = 1;
			break;
		}

		if (mode == XM_POLL) {
			for (p = 0; p < nports; p++) {
				uint8_t lsr = rd(p, MTTY_UART_LSR);

				x_lsr(&xs[p], lsr);
				if (lsr & MTTY_LSR_DR)
					lsr = x_drain(&xs[p], lsr, 1);
				if ((lsr & MTTY_LSR_THRE) && xs[p].sent < xs[p].n)
					x_tx(&xs[p]);
			}
			continue;
		}

		if (!vdev_efd_wait(efd, 5000)) {
			stalled = 1;
			break;
		}
		irqs++;
		/*
		 * One 8250-style pass over the ports per signal.  INTx is level
		 * triggered and automasked: unmask afterwards and it fires again
		 * if a port is still pending.  MSI must fire on every new event
		 * (data written by the pass loops back at once), so one pass per
		 * signal suffices; a missed event shows up as a stall.
		 */
		{
			int any = 0;

			for (p = 0; p < nports; p++)
				any |= x_service(&xs[p]);
			if (!any)
				spurious++;
		}
		if (mode == XM_INTX && vdev_intx_unmask(&dev)) {
			vdev_io_error("INTx unmask", -1, -1);
			break;
		}
	}
	t0 = tap_now() - t0;

	if (stalled) {
		for (p = 0; p < nports; p++)
			tap_comment("stall port %d: sent %zu got %zu IER 0x%02x IIR 0x%02x LSR 0x%02x",
				p, xs[p].sent, xs[p].got, rd(p, MTTY_UART_IER), rd(p, MTTY_UART_IIR),
				rd(p, MTTY_UART_LSR));
	}
	if (mode != XM_POLL) {
		for (p = 0; p < nports; p++)
			wr(p, MTTY_UART_IER, 0);
		ok(vdev_irq_disable(&dev, index) == 0, "%s bulk: eventfd disabled", xmode_name[mode]);
		close(efd);
	}
	ok(!stalled && vdev_io_errors == ioerr0,
	      "%s bulk transfer of %zu bytes/port made progress to the end%s", xmode_name[mode],
	      nbytes, stalled ? " (STALLED)" : vdev_io_errors != ioerr0 ? " (I/O errors)" : "");
	for (p = 0; p < nports; p++) {
		struct xfer *x = &xs[p];

		ok(x->got == x->n && x->bad == 0,
		      "port %d %s bulk: %zu bytes received byte-identical (got %zu, %zu mismatched%s)",
		      p, xmode_name[mode], x->n, x->got, x->bad, x->bad ? ", see first" : "");
		if (x->bad)
			tap_comment("  first mismatch at byte %zu", x->first_bad);
		ok(x->lsr_errs == 0, "port %d %s bulk: no LSR OE/error bit ever (%u seen)",
		      p, xmode_name[mode], x->lsr_errs);
		ok(rd(p, MTTY_UART_LSR) == 0x60, "port %d %s bulk: idle afterwards (LSR 0x60)",
		      p, xmode_name[mode]);
	}
	if (mode != XM_POLL) {
		ok(irqs > 0, "%s bulk: interrupts delivered (%lu)", xmode_name[mode], irqs);
		tap_comment("%s bulk: %lu interrupts, %lu with nothing pending", xmode_name[mode],
			irqs, spurious);
	}
	tap_comment("%s bulk: %zu bytes x %d port(s) in %.2f s (%.1f KiB/s)", xmode_name[mode],
		nbytes, nports, t0, nbytes * nports / 1024.0 / (t0 > 0 ? t0 : 1));
	for (p = 0; p < nports; p++)
		port_reset_state(p);
}

/* ------------------------------------------------------ interrupts */

static void test_intx(void)
{
	int efd = vdev_efd_new(), p;
	uint64_t c;

	for (p = 0; p < nports; p++)
		port_reset_state(p);
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_INTX_IRQ_INDEX, efd) == 0, "INTx: SET_IRQS TRIGGER eventfd");
	c = vdev_efd_wait(efd, 300);
	ok(c == 0, "INTx: no signal with all IER 0 (%" PRIu64 ")", c);

	p = nports - 1;
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(p, MTTY_UART_IER, MTTY_IER_THRI);
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "INTx: eventfd fires on THRE (port %d)", p);
	c = vdev_efd_wait(efd, 500);
	ok(c == 0, "INTx: automasked, no second signal while asserted (%" PRIu64 ")", c);
	/* a new event while masked: RX data */
	wr(p, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	wr(p, MTTY_UART_THR, 'i');
	c = vdev_efd_wait(efd, 500);
	ok(c == 0, "INTx: automasked, no signal for a new event while masked (%" PRIu64 ")", c);
	ok(vdev_intx_unmask(&dev) == 0, "INTx: UNMASK (DATA_NONE)");
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "INTx: fires again right after unmask while still pending");
	/* service: drain RX, clear THRE, disable */
	ok(rd(p, MTTY_UART_IIR) == 0xc4, "INTx: IIR shows RX data");
	(void)rd(p, MTTY_UART_RBR);
	ok(rd(p, MTTY_UART_IIR) == 0xc2, "INTx: then THRE");
	ok(rd(p, MTTY_UART_IIR) == 0xc1, "INTx: then nothing pending");
	ok(vdev_intx_unmask(&dev) == 0, "INTx: UNMASK after service");
	c = vdev_efd_wait(efd, 500);
	ok(c == 0, "INTx: no signal after unmask when deasserted (%" PRIu64 ")", c);

	/* explicit mask */
	ok(vdev_intx_mask(&dev) == 0, "INTx: MASK (DATA_NONE)");
	wr(p, MTTY_UART_IER, MTTY_IER_RDI);
	wr(p, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI);
	c = vdev_efd_wait(efd, 500);
	ok(c == 0, "INTx: masked, no signal for THRE (%" PRIu64 ")", c);
	ok(vdev_intx_unmask(&dev) == 0, "INTx: UNMASK");
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "INTx: pending interrupt delivered on unmask");
	wr(p, MTTY_UART_IER, 0);
	ok(vdev_intx_unmask(&dev) == 0, "INTx: UNMASK after disabling IER");
	c = vdev_efd_wait(efd, 500);
	ok(c == 0, "INTx: silent once IER is 0 (%" PRIu64 ")", c);

	/* every port raises the shared line */
	for (p = 0; p < nports; p++) {
		wr(p, MTTY_UART_IER, MTTY_IER_THRI);
		c = vdev_efd_wait(efd, 3000);
		ok(c >= 1, "INTx: port %d THRE raises the line", p);
		(void)rd(p, MTTY_UART_IIR);
		wr(p, MTTY_UART_IER, 0);
		vdev_intx_unmask(&dev);
		c = vdev_efd_wait(efd, 300);
		ok(c == 0, "INTx: port %d serviced, line quiet", p);
	}

	ok(vdev_irq_disable(&dev, VFIO_PCI_INTX_IRQ_INDEX) == 0, "INTx: disable (count 0, DATA_NONE)");
	wr(0, MTTY_UART_IER, MTTY_IER_THRI);
	c = vdev_efd_wait(efd, 300);
	ok(c == 0, "INTx: disabled eventfd stays silent");
	wr(0, MTTY_UART_IER, 0);
	(void)rd(0, MTTY_UART_IIR);
	close(efd);
	for (p = 0; p < nports; p++)
		port_reset_state(p);

	bulk(XM_INTX, irq_bytes);
}

static void test_msi(void)
{
	int efd = vdev_efd_new(), p = 0;
	uint64_t c;

	for (p = 0; p < nports; p++)
		port_reset_state(p);
	p = 0;
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_MSI_IRQ_INDEX, efd) == 0, "MSI: SET_IRQS TRIGGER eventfd");
	c = vdev_efd_wait(efd, 300);
	ok(c == 0, "MSI: no signal with IER 0 (%" PRIu64 ")", c);
	wr(p, MTTY_UART_IER, MTTY_IER_THRI);
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "MSI: fires on THRE");
	(void)rd(p, MTTY_UART_IIR);
	wr(p, MTTY_UART_IER, 0);
	vdev_efd_drain(efd);
	wr(p, MTTY_UART_IER, MTTY_IER_THRI);
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "MSI: fires again for a new event without any unmask");
	(void)rd(p, MTTY_UART_IIR);
	wr(p, MTTY_UART_IER, MTTY_IER_RDI);
	vdev_efd_drain(efd);
	wr(p, MTTY_UART_THR, 'm');
	c = vdev_efd_wait(efd, 3000);
	ok(c >= 1, "MSI: fires on RX data");
	(void)rd(p, MTTY_UART_RBR);
	wr(p, MTTY_UART_IER, 0);
	vdev_efd_drain(efd);
	c = vdev_efd_wait(efd, 300);
	ok(c == 0, "MSI: quiet when nothing new happens");
	ok(vdev_irq_disable(&dev, VFIO_PCI_MSI_IRQ_INDEX) == 0, "MSI: disable");
	port_reset_state(p);
	close(efd);

	bulk(XM_MSI, irq_bytes);
}

static void test_req(void)
{
	int efd = vdev_efd_new();

	ok(vdev_irq_eventfd(&dev, VFIO_PCI_ERR_IRQ_INDEX, efd) == 0, "ERR: set eventfd");
	ok(vdev_irq_disable(&dev, VFIO_PCI_ERR_IRQ_INDEX) == 0, "ERR: clear (count 0, DATA_NONE)");
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_ERR_IRQ_INDEX, efd) == 0, "ERR: set again");
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_ERR_IRQ_INDEX, -1) == 0, "ERR: clear with fd -1");

	ok(vdev_irq_eventfd(&dev, VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: set eventfd");
	ok(vdev_efd_wait(efd, 200) == 0, "REQ: not signalled while the device stays");
	ok(vdev_irq_disable(&dev, VFIO_PCI_REQ_IRQ_INDEX) == 0, "REQ: clear (count 0, DATA_NONE)");
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: set again");
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_REQ_IRQ_INDEX, -1) == 0, "REQ: clear with fd -1");
	close(efd);
}

/* ------------------------------------------------------------ reset */

static void test_reset(void)
{
	unsigned int p;
	int r;

	for (p = 0; p < (unsigned int)nports; p++) {
		wr(p, MTTY_UART_SCR, 0x5a);
		wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
		wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE);
		wr(p, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI);
		wr(p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_OUT2);
		wr(p, MTTY_UART_THR, 'r');
		wr(p, MTTY_UART_THR, 's');
		vdev_cfg_wr(&dev, 0x10 + 4 * p, 4, 0xc150 + 8 * p);
	}
	vdev_cfg_wr(&dev, 4, 2, 0x0005);
	ok(vdev_cfg(&dev, 4, 2) != 0, "reset: command set to 0x%04x before reset", vdev_cfg(&dev, 4, 2));
	r = ioctl(dev.fd, VFIO_DEVICE_RESET);
	ok(r == 0, "VFIO_DEVICE_RESET returns 0%s", r ? strerror(errno) : "");
	for (p = 0; p < (unsigned int)nports; p++) {
		check_reset_values(p, "after VFIO_DEVICE_RESET");
		ok(vdev_cfg(&dev, 0x10 + 4 * p, 4) == 1, "reset: BAR%u back to 0x00000001 (got 0x%08x)",
		      p, vdev_cfg(&dev, 0x10 + 4 * p, 4));
		ok(rd(p, MTTY_UART_IIR) == 0x01, "reset: port %u FIFOs off, no interrupt", p);
	}
	ok(vdev_cfg(&dev, 4, 2) == 0, "reset: command 0 (got 0x%04x)", vdev_cfg(&dev, 4, 2));
	ok(vdev_cfg(&dev, 0, 4) == 0x32534348 && vdev_cfg(&dev, 8, 4) == 0x07000210, "reset: IDs and class intact");
	r = ioctl(dev.fd, VFIO_DEVICE_RESET);
	ok(r == 0, "VFIO_DEVICE_RESET twice");
}

/* ---------------------------------------------------- hostile input */

static void test_hostile(void)
{
	size_t bigsz = 1UL << 30;
	char *big;
	uint8_t b[16];
	int last = nports - 1;
	int32_t fds[2] = { -1, -1 };
	uint8_t scr;

	/* lazily backed buffer so that a huge count is a valid user range */
	big = mmap(NULL, bigsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}

	/* region index out of range / without content */
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(VFIO_PCI_NUM_REGIONS)), EINVAL,
		    "read region index 9");
	ok_errno(pwrite(dev.fd, b, 1, VDEV_REGION_OFF(VFIO_PCI_NUM_REGIONS)), EINVAL,
		    "write region index 9");
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(0xff)), EINVAL, "read region index 255");
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(0x7fffff)), EINVAL, "read region index 0x7fffff");
	if (nports < 6)
		ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(nports)), EINVAL,
			    "read unused BAR%d region (size 0)", nports);
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(VFIO_PCI_ROM_REGION_INDEX)), EINVAL,
		    "read ROM region (size 0)");
	ok_errno(pwrite(dev.fd, b, 1, VDEV_REGION_OFF(VFIO_PCI_VGA_REGION_INDEX)), EINVAL,
		    "write VGA region (size 0)");
	ok_errno(pread(dev.fd, b, 1, -1), EINVAL, "read at negative offset");

	/* BAR: past end, crossing end, huge count */
	wr(last, MTTY_UART_SCR, 0x42);
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(last) + 8), EINVAL, "BAR%d read offset 8", last);
	ok_errno(pwrite(dev.fd, b, 1, VDEV_REGION_OFF(last) + 8), EINVAL, "BAR%d write offset 8", last);
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(last) + 0xffffffffffULL), EINVAL,
		    "BAR%d read offset 2^40-1", last);
	ok_errno(pread(dev.fd, b, 2, VDEV_REGION_OFF(last) + 7), EINVAL,
		    "BAR%d read offset 7 count 2 (crosses end)", last);
	ok_errno(pread(dev.fd, b, 9, VDEV_REGION_OFF(last)), EINVAL, "BAR%d read offset 0 count 9", last);
	ok_errno(pread(dev.fd, b, 16, VDEV_REGION_OFF(last)), EINVAL,
		    "BAR%d read offset 0 count 16 (no short read)", last);
	memset(b, 0x99, sizeof(b));
	ok_errno(pwrite(dev.fd, b, 2, VDEV_REGION_OFF(last) + 7), EINVAL,
		    "BAR%d write offset 7 count 2 (crosses end)", last);
	scr = rd(last, MTTY_UART_SCR);
	ok(scr == 0x42, "rejected crossing write left SCR untouched (0x%02x)", scr);
	ok_errno(pwrite(dev.fd, b, 16, VDEV_REGION_OFF(last)), EINVAL,
		    "BAR%d write offset 0 count 16", last);
	ok(rd(last, MTTY_UART_SCR) == 0x42 && rd(last, MTTY_UART_LSR) == 0x60,
	      "rejected 16-byte write had no partial effect");
	ok_errno(pread(dev.fd, big, 65536, VDEV_REGION_OFF(last)), EINVAL,
		    "BAR%d read count 65536", last);
	ok_errno(pread(dev.fd, big, bigsz, VDEV_REGION_OFF(last)), EINVAL,
		    "BAR%d read count 1 GiB", last);
	ok_errno(pwrite(dev.fd, big, bigsz, VDEV_REGION_OFF(last)), EINVAL,
		    "BAR%d write count 1 GiB", last);

	/* config: past end, crossing end, huge */
	ok_errno(pread(dev.fd, b, 1, VDEV_REGION_OFF(7) + CFG_SIZE), EINVAL, "config read offset 256");
	ok_errno(pwrite(dev.fd, b, 1, VDEV_REGION_OFF(7) + CFG_SIZE), EINVAL, "config write offset 256");
	ok_errno(pread(dev.fd, b, 4, VDEV_REGION_OFF(7) + 0xfd), EINVAL, "config read 4 at 0xfd (crosses end)");
	ok_errno(pread(dev.fd, b, 2, VDEV_REGION_OFF(7) + 0xff), EINVAL, "config read 2 at 0xff (crosses end)");
	ok_errno(pwrite(dev.fd, b, 4, VDEV_REGION_OFF(7) + 0xfe), EINVAL, "config write 4 at 0xfe (crosses end)");
	ok_errno(pread(dev.fd, big, 65536, VDEV_REGION_OFF(7)), EINVAL, "config read count 65536");
	ok_errno(pread(dev.fd, big, bigsz, VDEV_REGION_OFF(7)), EINVAL, "config read count 1 GiB");
	ok(vdev_cfg(&dev, 0, 4) == 0x32534348, "config intact after hostile accesses");

	/* ioctls */
	ok_errno(ioctl(dev.fd, _IO(VFIO_TYPE, VFIO_BASE + 60)), ENOTTY, "unknown VFIO ioctl");
	ok_errno(ioctl(dev.fd, _IOW('x', 1, int), &fds[0]), ENOTTY, "foreign ioctl");
	ok_errno(ioctl(dev.fd, VFIO_DEVICE_GET_INFO, NULL), EFAULT, "GET_INFO with NULL argument");

	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 4), EINVAL,
		    "SET_IRQS argsz below minimum");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
			     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS two data types");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
			     VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS two actions");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS no action");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | (1u << 12),
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 0), EINVAL,
		    "SET_IRQS unknown flag bit");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_NUM_IRQS, 0, 0, NULL, 0), EINVAL, "SET_IRQS index 5");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     0xffffffffu, 0, 0, NULL, 0), EINVAL, "SET_IRQS index 0xffffffff");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0), EINVAL,
		    "SET_IRQS MSIX (0 vectors)");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_ERR_IRQ_INDEX, 1, 1, fds, 0), EINVAL, "SET_IRQS ERR start 1");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_ERR_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS ERR count 2");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			     VFIO_PCI_INTX_IRQ_INDEX, 1, 1, NULL, 0), EINVAL, "SET_IRQS INTx start 1");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS INTx count 2");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS MSI count 2");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0xffffffffu, 2, NULL, 0), EINVAL,
		    "SET_IRQS start+count overflow");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds, sizeof(int32_t)), EINVAL,
		    "SET_IRQS eventfd without room for the fd (argsz)");
	ok_errno(vdev_set_irqs(&dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_REQ_IRQ_INDEX, 1, 1, fds, 0), EINVAL, "SET_IRQS REQ start 1");
}

/* ------------------------------------------------------------ reopen */

static void test_reopen(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int fd2;

	ok(close(dev.fd) == 0, "close device fd");
	dev.fd = -1;
	fd2 = ioctl(dev.group, VFIO_GROUP_GET_DEVICE_FD, "00000000-0000-0000-0000-000000000000");
	ok(fd2 < 0, "GET_DEVICE_FD with an unknown name fails");
	if (fd2 >= 0)
		close(fd2);
	if (!ok(vdev_reopen(&dev) == 0, "reopen device fd")) {
		tap_comment("GET_DEVICE_FD: %s", strerror(errno));
		return;
	}
	ok(ioctl(dev.fd, VFIO_DEVICE_GET_INFO, &di) == 0 && di.num_regions == 9,
	      "GET_INFO after reopen");
	wr(0, MTTY_UART_SCR, 0x3e);
	ok(rd(0, MTTY_UART_SCR) == 0x3e && vdev_cfg(&dev, 0, 4) == 0x32534348, "BAR and config usable after reopen");
	wr(0, MTTY_UART_SCR, 0);
}

/* --------------------------------------------------- removal with REQ */

static void test_remove(void)
{
	char path[256], dpath[256];
	int efd = vdev_efd_new(), status = 0;
	struct stat st;
	uint64_t c = 0;
	double t;
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	snprintf(dpath, sizeof(dpath), "/sys/bus/mdev/devices/%s", uuid);
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: eventfd set for removal");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd;

		/* the child must not keep the device (or its group) open */
		close(dev.fd);
		close(dev.group);
		close(dev.container);
		close(efd);
		fd = open(path, O_WRONLY);

		if (fd < 0 || write(fd, "1\n", 2) != 2)
			_exit(1);
		_exit(close(fd) ? 1 : 0);
	}
	t = tap_now();
	while (tap_now() - t < 30 && !(c = vdev_efd_wait(efd, 1000)))
		;
	ok(c >= 1, "REQ: eventfd signalled when the open device is removed");
	close(dev.fd);
	dev.fd = -1;
	close(dev.group);
	dev.group = -1;
	close(dev.container);
	dev.container = -1;
	/* the write blocks until the last device fd is closed */
	t = tap_now();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (tap_now() - t > 60) {
			tap_comment("remove did not complete in 60 s");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(50000);
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "remove completes after the device fd is closed");
	ok(stat(dpath, &st) != 0, "mdev %s is gone", uuid);
	close(efd);
}

/* -------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: vfio_client [--ports N] [--bytes B] [--irq-bytes B] [--remove] UUID\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i, sp, err_efd;
	double t0 = tap_now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ports") && i + 1 < argc)
			nports = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bulk_bytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--irq-bytes") && i + 1 < argc)
			irq_bytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--remove"))
			do_remove = 1;
		else if (argv[i][0] == '-' || uuid)
			usage();
		else
			uuid = argv[i];
	}
	if (!uuid || strlen(uuid) != 36)
		usage();
	if (irq_bytes == (size_t)-1)
		irq_bytes = bulk_bytes;
	tap_tag("vfio %.8s", uuid);

	sp = vdev_type_ports(uuid);
	if (!nports)
		nports = sp;
	if (nports < 1 || nports > MAX_PORTS)
		tap_bail("vfio_client", "number of ports of %s: %d", uuid, nports);
	if (sp > 0)
		ok(sp == nports, "mdev_type of %s has %d port(s)", uuid, nports);
	tap_comment("vfio_client: %s, %d port(s), bulk %zu bytes, irq bulk %zu bytes",
		uuid, nports, bulk_bytes, irq_bytes);

	if (vdev_open_flags(&dev, uuid, VDEV_OPEN_ASSERT))
		tap_bail("vfio_client", "cannot open %s through VFIO", uuid);
	test_device_info();
	test_region_info();
	test_irq_info();
	test_config();
	for (i = 0; i < nports; i++) {
		test_uart_basic(i);
		test_loopback(i);
		test_backpressure(i);
		test_iir(i);
		test_modem(i);
	}
	test_reset();
	err_efd = vdev_efd_new();
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_ERR_IRQ_INDEX, err_efd) == 0,
	      "ERR: eventfd armed for the transfer tests");
	bulk(XM_POLL, bulk_bytes);
	test_intx();
	test_msi();
	ok(vdev_efd_wait(err_efd, 0) == 0, "ERR: eventfd never fired during the transfers");
	ok(vdev_irq_disable(&dev, VFIO_PCI_ERR_IRQ_INDEX) == 0, "ERR: eventfd disarmed");
	close(err_efd);
	test_req();
	test_hostile();
	test_reopen();
	if (do_remove && dev.fd >= 0)
		test_remove();
	ok(vdev_io_errors == 0, "no unexpected register I/O errors (%u)", vdev_io_errors);

	tap_comment("vfio_client %s: %.1f s", uuid, tap_now() - t0);
	vdev_close(&dev);
	return tap_done("vfio_client");
}
