// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the pure mtty device model: the real driver sources
 * (driver/mtty_uart.c, mtty_pci.c, mtty_model.c) compiled in userspace.
 */
#include <stdlib.h>
#include <string.h>

#include "mtty_model.h"
#include "unit.h"

UNIT_COUNTERS;

static struct mtty_uart uarts[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;

static void setup(unsigned int nports, bool deep)
{
	memset(uarts, 0xa5, sizeof(uarts));	/* init must not rely on zeroed memory */
	mtty_model_init(&m, uarts, nports, deep);
}

static u8 rd(unsigned int port, unsigned int reg)
{
	u8 v;

	mtty_model_bar_read(&m, port, reg, &v);
	return v;
}

static unsigned int wr(unsigned int port, unsigned int reg, u8 v)
{
	return mtty_model_bar_write(&m, port, reg, v);
}

TEST(uart_reset_values)
{
	setup(2, false);
	CHECK_EQ(rd(0, MTTY_UART_IER), 0, "IER");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0x01, "IIR");
	CHECK_EQ(rd(0, MTTY_UART_LCR), 0, "LCR");
	CHECK_EQ(rd(0, MTTY_UART_MCR), 0, "MCR");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "LSR");
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0, "MSR");
	CHECK_EQ(rd(0, MTTY_UART_SCR), 0, "SCR");
	CHECK_EQ(rd(1, MTTY_UART_LSR), 0x60, "LSR port 1");
}

TEST(uart_scratch_and_divisor)
{
	setup(1, false);
	wr(0, MTTY_UART_SCR, 0x5a);
	CHECK_EQ(rd(0, MTTY_UART_SCR), 0x5a, "SCR");
	wr(0, MTTY_UART_LCR, 0x83);
	wr(0, MTTY_UART_DLL, 0x01);
	wr(0, MTTY_UART_DLM, 0x02);
	CHECK_EQ(rd(0, MTTY_UART_DLL), 0x01, "DLL");
	CHECK_EQ(rd(0, MTTY_UART_DLM), 0x02, "DLM");
	wr(0, MTTY_UART_LCR, 0x03);
	CHECK_EQ(rd(0, MTTY_UART_IER), 0, "IER unaffected by DLM");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & MTTY_LSR_DR, 0, "DLL write is not data");
}

/* The probe sequence of Linux 8250 autoconfig must find a 16550A. */
TEST(uart_autoconfig_16550a)
{
	u8 s2, s3, msr, iir;

	setup(1, false);
	wr(0, MTTY_UART_IER, 0);
	s2 = rd(0, MTTY_UART_IER) & 0x0f;
	wr(0, MTTY_UART_IER, 0x0f);
	s3 = rd(0, MTTY_UART_IER) & 0x0f;
	wr(0, MTTY_UART_IER, 0);
	CHECK(s2 == 0 && s3 == 0x0f, "IER test %x %x", s2, s3);

	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP | MTTY_MCR_OUT2 | MTTY_MCR_RTS);
	msr = rd(0, MTTY_UART_MSR) & 0xf0;
	CHECK_EQ(msr, MTTY_MSR_DCD | MTTY_MSR_CTS, "loopback MSR");
	wr(0, MTTY_UART_MCR, 0);

	wr(0, MTTY_UART_LCR, 0xbf);
	wr(0, MTTY_UART_FCR, 0);	/* EFR write on 16650: FCR here */
	wr(0, MTTY_UART_LCR, 0);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	iir = rd(0, MTTY_UART_IIR);
	CHECK_EQ(iir >> 6, 3, "IIR FIFO bits");

	/* no EFR, not a 16750: bit 5 never sticks */
	wr(0, MTTY_UART_LCR, 0x80);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_FIFO64);
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0xe0, 0xc0, "no 64-byte mode");
	wr(0, MTTY_UART_LCR, 0);
	/* UUE bit of XScale does not stick */
	wr(0, MTTY_UART_IER, 0x40);
	CHECK_EQ(rd(0, MTTY_UART_IER) & 0x40, 0, "IER bit 6");
}

TEST(uart_autoconfig_16750)
{
	u8 s1, s2;

	setup(1, true);
	wr(0, MTTY_UART_LCR, 0);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_FIFO64);
	s1 = rd(0, MTTY_UART_IIR) & 0xe0;
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_LCR, 0x80);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_FIFO64);
	s2 = rd(0, MTTY_UART_IIR) & 0xe0;
	CHECK(s1 == 0xc0 && s2 == 0xe0, "16750 detect %x %x", s1, s2);
	CHECK_EQ(mtty_uart_fifo_depth(&uarts[0]), 64, "depth");
	wr(0, MTTY_UART_LCR, 0);
	/* FCR writes without DLAB keep the 64-byte mode */
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0xc0);
	CHECK_EQ(mtty_uart_fifo_depth(&uarts[0]), 64, "depth kept");
	CHECK_EQ(mtty_uart_rx_trigger(&uarts[0]), 56, "trigger 56");
}

TEST(uart_loopback_bytes)
{
	const char *msg = "hello, mtty";
	size_t i, n = strlen(msg);

	setup(2, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	for (i = 0; i < n; i++)
		wr(0, MTTY_UART_THR, msg[i]);
	CHECK_EQ(rd(1, MTTY_UART_LSR) & MTTY_LSR_DR, 0, "other port idle");
	for (i = 0; i < n; i++) {
		CHECK(rd(0, MTTY_UART_LSR) & MTTY_LSR_DR, "DR at %zu", i);
		CHECK_EQ(rd(0, MTTY_UART_RBR), (u8)msg[i], "byte");
	}
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "drained");
	CHECK_EQ(uarts[0].tx_bytes, n, "tx count");
	CHECK_EQ(uarts[0].rx_bytes, n, "rx count");
}

/* Writing more than the FIFOs hold: THRE stays clear, nothing is lost. */
TEST(uart_backpressure)
{
	unsigned int i, sent = 0, got = 0;
	u8 lsr;

	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	/* 16 fill RX, 16 more wait in TX */
	for (i = 0; i < 32; i++) {
		lsr = rd(0, MTTY_UART_LSR);
		if (i < 17)
			CHECK(lsr & MTTY_LSR_THRE, "THRE before byte %u", i);
		wr(0, MTTY_UART_THR, i);
		sent++;
	}
	CHECK_EQ(uarts[0].rx.count, 16, "RX full");
	CHECK_EQ(uarts[0].tx.count, 16, "TX full");
	lsr = rd(0, MTTY_UART_LSR);
	CHECK_EQ(lsr & (MTTY_LSR_THRE | MTTY_LSR_TEMT), 0, "THRE clear");
	CHECK_EQ(lsr & MTTY_LSR_OE, 0, "no overrun");
	/* one more byte with TX full is dropped and counted, like hardware */
	wr(0, MTTY_UART_THR, 0xee);
	CHECK_EQ(uarts[0].tx_dropped, 1, "dropped");
	while (rd(0, MTTY_UART_LSR) & MTTY_LSR_DR) {
		CHECK_EQ(rd(0, MTTY_UART_RBR), got, "order");
		got++;
	}
	CHECK_EQ(got, sent, "all bytes back");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "idle");
}

/* Bulk transfer the way the 8250 driver does it: lossless. */
TEST(uart_bulk_8250_style)
{
	unsigned int sent = 0, got = 0, total = 1 << 20;
	unsigned int seed = 1, rseed = 1;

	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0xc0);
	wr(0, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI);
	while (got < total) {
		u8 iir = rd(0, MTTY_UART_IIR) & 0x0f;
		unsigned int i;

		if (iir == MTTY_IIR_NO_INT)
			break;
		while (rd(0, MTTY_UART_LSR) & MTTY_LSR_DR) {
			rseed = rseed * 1103515245 + 12345;
			if (rd(0, MTTY_UART_RBR) != (u8)(rseed >> 16))
				break;
			got++;
		}
		if (rd(0, MTTY_UART_LSR) & MTTY_LSR_THRE) {
			for (i = 0; i < 16 && sent < total; i++) {
				seed = seed * 1103515245 + 12345;
				wr(0, MTTY_UART_THR, seed >> 16);
				sent++;
			}
		}
	}
	CHECK_EQ(got, total, "bytes looped back");
	CHECK_EQ(uarts[0].tx_dropped, 0, "dropped");
}

TEST(uart_iir_priorities)
{
	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);	/* trigger 1 */
	wr(0, MTTY_UART_IER, 0x0f);
	/* THRE fires when enabled with TX empty */
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc2, "THRE");
	/* reading IIR cleared it */
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "THRE cleared by IIR read");
	/* re-enabling THRI re-asserts it (Linux's THRE test) */
	wr(0, MTTY_UART_IER, 0x0d);
	wr(0, MTTY_UART_IER, 0x0f);
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI, "THRE again");
	/* data beats THRE */
	wr(0, MTTY_UART_THR, 'a');
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_RDI, "RX data over THRE");
	/*
	 * break behind 'a': its NUL waits in the FIFO; the line status
	 * belongs to the NUL, so 'a' is still plain data (16550A: LSR bits
	 * 1-4 reflect the character at the top of the FIFO)
	 */
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc4, "'a' first: RX data, no RLS yet");
	/* DR, THRE, TEMT and bit 7: an error character is in the FIFO */
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xe1, "LSR with 'a' on top");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 'a', "'a'");
	/* the NUL reached the top: line status beats data */
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "line status with the NUL");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xf1, "LSR: FIFOE, THRE, TEMT, BI, DR");
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc4, "LSR read clears RLS");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x61, "BI and FIFOE cleared");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "break NUL");
	/* RX drained: THRE (set when 'a' left TX) is next */
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI, "THRE after RX");
	/* modem status last */
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS);
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_MSI, "modem status");
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0xb0 | MTTY_MSR_DCTS | MTTY_MSR_DDSR |
		 MTTY_MSR_DDCD, "MSR with deltas");
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0xb0, "deltas cleared");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "idle");
}

TEST(uart_rx_trigger_and_timeout)
{
	unsigned int i;

	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0x80);	/* trigger 8 */
	wr(0, MTTY_UART_IER, MTTY_IER_RDI);
	for (i = 0; i < 7; i++)
		wr(0, MTTY_UART_THR, i);
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_RX_TIMEOUT, "timeout");
	wr(0, MTTY_UART_THR, 7);
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_RDI, "trigger level");
	/* FIFO off: one byte of buffering, plain RDI */
	wr(0, MTTY_UART_FCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_LSR) & MTTY_LSR_DR, 0, "FIFO mode change clears");
	wr(0, MTTY_UART_THR, 1);
	wr(0, MTTY_UART_THR, 2);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0x04, "RDI without FIFO");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & MTTY_LSR_THRE, 0, "second byte waits");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 1, "first");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 2, "second");
}

TEST(uart_fifo_clear)
{
	unsigned int i;

	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	for (i = 0; i < 20; i++)
		wr(0, MTTY_UART_THR, i);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR);
	/* TX refills RX once there is room */
	CHECK_EQ(uarts[0].rx.count, 4, "TX moved into cleared RX");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR |
	   MTTY_FCR_CLEAR_XMIT);
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "both cleared");
}

TEST(uart_modem_loop_mapping)
{
	setup(1, false);
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP | MTTY_MCR_OUT1);
	CHECK_EQ(rd(0, MTTY_UART_MSR) & 0xf0, MTTY_MSR_RI, "OUT1->RI");
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP);
	CHECK(rd(0, MTTY_UART_MSR) & MTTY_MSR_TERI, "TERI on RI falling");
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP | MTTY_MCR_DTR);
	CHECK_EQ(rd(0, MTTY_UART_MSR) & 0xf0, MTTY_MSR_DSR, "DTR->DSR in loop");
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR);
	CHECK_EQ(rd(0, MTTY_UART_MSR) & 0xf0, MTTY_MSR_DSR | MTTY_MSR_DCD,
		 "plug: DTR->DSR+DCD");
	CHECK_EQ(rd(0, MTTY_UART_MCR), MTTY_MCR_DTR, "MCR readback");
	wr(0, MTTY_UART_MCR, 0xff);
	CHECK_EQ(rd(0, MTTY_UART_MCR), 0x1f, "MCR reserved bits");
}

/*
 * Break timing as the 8250 driver sees it (serial8250_rx_chars: LSR, then
 * RBR, per character): the break is reported with its NUL and only with it.
 */
TEST(uart_break_with_its_char)
{
	static const u8 want_lsr[4] = { 0xe1, 0xe1, 0xe1, 0xf1 };
	static const u8 want_rbr[4] = { 'x', 'y', 'z', 0 };
	unsigned int i;

	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0xc0);	/* trigger 14 */
	wr(0, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI);
	wr(0, MTTY_UART_THR, 'x');
	wr(0, MTTY_UART_THR, 'y');
	wr(0, MTTY_UART_THR, 'z');
	wr(0, MTTY_UART_LCR, 0x03 | MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0x03);
	/* three plain bytes ahead of the NUL: below trigger, timeout */
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xcc, "no RLS while 'x' is on top");
	for (i = 0; i < 4; i++) {
		CHECK_EQ(rd(0, MTTY_UART_LSR), want_lsr[i], "LSR before RBR");
		CHECK_EQ(rd(0, MTTY_UART_RBR), want_rbr[i], "RBR");
	}
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "idle, no stale BI");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "no interrupt");

	/* reading LSR twice: the second read no longer shows BI */
	wr(0, MTTY_UART_LCR, 0x03 | MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0x03);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "RLS with the NUL on top");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xf1, "BI reported");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x61, "BI cleared by the read");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xcc, "NUL left as data");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "NUL");

	/* two breaks in a row: each NUL carries its own BI */
	wr(0, MTTY_UART_LCR, 0x03 | MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0x03);
	wr(0, MTTY_UART_LCR, 0x03 | MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0x03);
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xf1, "first NUL: BI");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "first NUL");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "second NUL: RLS again");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xf1, "second NUL: BI");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "second NUL");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "idle");
}

/* 16450 mode (FIFO off): no bit 7; a full holding register overruns. */
TEST(uart_break_no_fifo_and_overrun)
{
	setup(1, false);
	wr(0, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI);
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0x06, "RLS, no FIFO bits");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x71, "BI, DR, THRE, TEMT; no bit 7");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0x04, "then RX data");
	/*
	 * Holding register full of 'A' (datasheet LSR1: in 16450 mode the
	 * next character overwrites RBR, destroying the previous one): the
	 * break NUL replaces it, with OE and its own BI.
	 */
	rd(0, MTTY_UART_RBR);
	wr(0, MTTY_UART_THR, 'A');
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0x06, "overrun raises RLS at once");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x73, "OE, BI, DR: the NUL overwrote 'A'");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "RBR holds the NUL");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "idle");

	/* LSR1-4 are cleared by reading LSR, not by reading RBR */
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "NUL read before LSR");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x70, "BI still latched, DR clear");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "cleared by that read");

	/* FIFO mode, FIFO full of data: overrun at once, not with a byte */
	setup(1, false);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_IER, MTTY_IER_RLSI);
	{
		unsigned int i;

		for (i = 0; i < MTTY_FIFO_16550A; i++)
			wr(0, MTTY_UART_THR, i);
	}
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "OE: RLS");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x63, "OE only, no FIFOE");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "cleared");
}

/*
 * Clearing the receive FIFO drops the errors of the bytes it held; an
 * error already revealed (its character reached the top) stays in LSR
 * until LSR is read.
 */
TEST(uart_break_fifo_clear)
{
	setup(1, true);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_IER, MTTY_IER_RLSI);
	wr(0, MTTY_UART_THR, 'A');
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "NUL behind 'A': no RLS yet");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "no RLS without the NUL");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0x60, "no BI, no FIFOE");

	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "NUL on top: RLS");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR);
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc6, "revealed BI survives the clear");
	CHECK_EQ(rd(0, MTTY_UART_LSR), 0xf0, "BI, FIFOE, empty");
	CHECK_EQ(rd(0, MTTY_UART_IIR), 0xc1, "cleared by reading LSR");
}

TEST(pci_identity)
{
	static const u8 want[0x40] = {
		0x48, 0x43, 0x53, 0x32, 0x00, 0x00, 0x00, 0x02,
		0x10, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x48, 0x43, 0x53, 0x32,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	};
	unsigned int i;

	setup(2, false);
	for (i = 0; i < sizeof(want); i++)
		CHECK_EQ(mtty_model_cfg_read(&m, i, 1), want[i], "config byte");
	CHECK_EQ(mtty_model_cfg_read(&m, 0, 4), 0x32534348, "dword 0");
	CHECK_EQ(mtty_model_cfg_read(&m, 0x0a, 2), 0x0700, "class word");
	for (i = 0x40; i < MTTY_PCI_CFG_SIZE; i++)
		CHECK_EQ(mtty_model_cfg_read(&m, i, 1), 0, "beyond header");
}

TEST(pci_bars)
{
	setup(2, false);
	mtty_model_cfg_write(&m, 0x10, 4, 0xffffffff);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x10, 4), 0xfffffff9, "BAR0 sizing");
	mtty_model_cfg_write(&m, 0x10, 4, 0xc150);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x10, 4), 0xc151, "BAR0 address");
	mtty_model_cfg_write(&m, 0x14, 2, 0xc15f);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x14, 4), 0xc159, "BAR1 word write");
	mtty_model_cfg_write(&m, 0x18, 4, 0xffffffff);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x18, 4), 0, "BAR2 unimplemented");
	setup(1, false);
	mtty_model_cfg_write(&m, 0x14, 4, 0xffffffff);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x14, 4), 0, "BAR1 of mtty-1");
}

TEST(pci_readonly_and_command)
{
	unsigned int off;

	setup(2, false);
	/* every read-only byte ignores writes */
	for (off = 0; off < MTTY_PCI_CFG_SIZE; off++) {
		u8 before = mtty_model_cfg_read(&m, off, 1);

		if (off == 0x04 || off == 0x05 || (off >= 0x10 && off < 0x18) ||
		    off == MTTY_PCI_INTERRUPT_LINE)
			continue;
		mtty_model_cfg_write(&m, off, 1, ~before & 0xff);
		CHECK_EQ(mtty_model_cfg_read(&m, off, 1), before, "RO byte");
	}
	mtty_model_cfg_write(&m, 0x04, 2, 0xffff);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x04, 2), 0x0405, "command mask");
	mtty_model_cfg_write(&m, 0x3c, 1, 10);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x3c, 2), 0x010a, "line/pin");
	mtty_model_reset(&m);
	CHECK_EQ(mtty_model_cfg_read(&m, 0x04, 2), 0, "command after reset");
	CHECK_EQ(mtty_model_cfg_read(&m, 0x10, 4), 1, "BAR after reset");
	CHECK_EQ(mtty_model_cfg_read(&m, 0x3c, 1), 0, "line after reset");
}

TEST(intx_automask)
{
	unsigned int sig;

	setup(2, false);
	sig = mtty_model_set_irq_mode(&m, MTTY_IRQ_INTX);
	CHECK_EQ(sig, 0, "no interrupt while idle");
	sig = wr(1, MTTY_UART_IER, MTTY_IER_THRI);
	CHECK_EQ(sig, MTTY_SIG_INTX, "THRE raises INTx");
	CHECK(mtty_model_cfg_read(&m, 0x06, 1) & MTTY_PCI_STS_INTX,
	      "status INTx bit");
	/* automasked: the still-pending line does not signal again */
	sig = wr(1, MTTY_UART_SCR, 1);
	CHECK_EQ(sig, 0, "masked");
	/* unmask while pending: signal again at once */
	sig = mtty_model_intx_unmask(&m);
	CHECK_EQ(sig, MTTY_SIG_INTX, "unmask re-fires");
	/* service it, then unmask: quiet */
	rd(1, MTTY_UART_IIR);
	CHECK(!mtty_model_intx_line(&m), "line low after IIR read");
	CHECK(!(mtty_model_cfg_read(&m, 0x06, 1) & MTTY_PCI_STS_INTX),
	      "status INTx clear");
	sig = mtty_model_intx_unmask(&m);
	CHECK_EQ(sig, 0, "nothing pending");
	/* INTx Disable in the command register gates the line */
	mtty_model_cfg_write(&m, 0x04, 2, MTTY_PCI_CMD_INTX_DIS);
	sig = wr(0, MTTY_UART_IER, MTTY_IER_THRI);
	CHECK_EQ(sig, 0, "INTx disabled");
	sig = mtty_model_cfg_write(&m, 0x04, 2, 0);
	CHECK_EQ(sig, MTTY_SIG_INTX, "fires when re-enabled");
}

TEST(msi_edges)
{
	unsigned int sig;

	setup(1, false);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	sig = wr(0, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI);
	CHECK_EQ(sig, MTTY_SIG_MSI, "THRE event");
	sig = wr(0, MTTY_UART_THR, 'x');
	CHECK_EQ(sig, MTTY_SIG_MSI, "RX data event");
	sig = wr(0, MTTY_UART_SCR, 0);
	CHECK_EQ(sig, 0, "no event without change");
	rd(0, MTTY_UART_IIR);
	rd(0, MTTY_UART_RBR);
	sig = wr(0, MTTY_UART_THR, 'y');
	CHECK_EQ(sig, MTTY_SIG_MSI, "new data after drain");
	CHECK_EQ(m.intx_signals, 0, "no INTx in MSI mode");
}

TEST(model_reset_clears_uarts)
{
	unsigned int i;

	setup(2, false);
	for (i = 0; i < 2; i++) {
		wr(i, MTTY_UART_FCR, MTTY_FCR_ENABLE);
		wr(i, MTTY_UART_THR, 'z');
		wr(i, MTTY_UART_IER, 0x0f);
		wr(i, MTTY_UART_SCR, 0x77);
	}
	mtty_model_reset(&m);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(rd(i, MTTY_UART_LSR), 0x60, "LSR");
		CHECK_EQ(rd(i, MTTY_UART_IER), 0, "IER");
		CHECK_EQ(rd(i, MTTY_UART_SCR), 0, "SCR");
		CHECK_EQ(rd(i, MTTY_UART_IIR), 0x01, "IIR");
	}
}

/* ---- backend tty: the host end of a null-modem cable ---- */

static unsigned int host_tx(unsigned int port, u8 *buf, unsigned int len,
			    unsigned int *sig)
{
	unsigned int n;

	*sig = mtty_model_host_tx(&m, port, buf, len, &n);
	return n;
}

static unsigned int host_rx(unsigned int port, const u8 *buf,
			    unsigned int len, unsigned int *sig)
{
	unsigned int n;

	*sig = mtty_model_host_rx(&m, port, buf, len, &n);
	return n;
}

TEST(host_loopback_default_untouched)
{
	u8 buf[4] = { 1, 2, 3, 4 };
	unsigned int sig;

	setup(2, false);
	CHECK_EQ(uarts[0].backend, MTTY_BACKEND_LOOPBACK, "default backend");
	CHECK(mtty_model_migratable(&m), "loopback card migrates");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS);
	wr(0, MTTY_UART_THR, 0x41);
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	wr(0, MTTY_UART_LCR, 0);
	CHECK_EQ(mtty_uart_host_events(&uarts[0]), 0, "no host events");
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 0, "no host room");
	CHECK_EQ(host_rx(0, buf, 4, &sig), 0, "host bytes refused");
	CHECK_EQ(host_tx(0, buf, 4, &sig), 0, "no bytes for the host");
	mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR | MTTY_HOST_RTS);
	CHECK_EQ(uarts[0].host_mcr, 0, "host lines ignored");
	mtty_model_host_break(&m, 0);
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0x41, "looped byte");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI),
		 MTTY_LSR_DR | MTTY_LSR_BI, "looped break only");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "break NUL");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & MTTY_LSR_DR, 0, "nothing else");
}

TEST(host_tx_guest_to_host)
{
	u8 buf[32];
	unsigned int sig, i, n;

	setup(2, false);
	mtty_model_set_backend(&m, 1, MTTY_BACKEND_TTY);
	CHECK(!mtty_model_migratable(&m), "tty-backed card does not migrate");
	CHECK_EQ(uarts[0].backend, MTTY_BACKEND_LOOPBACK, "port 0 unchanged");
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(1, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(1, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	CHECK_EQ(rd(1, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI, "THRE at start");
	for (i = 0; i < 16; i++)
		wr(1, MTTY_UART_THR, 0x30 + i);
	CHECK_EQ(uarts[1].tx_dropped, 0, "FIFO took 16");
	CHECK_EQ(mtty_uart_host_events(&uarts[1]) & MTTY_HOST_EV_TX,
		 MTTY_HOST_EV_TX, "host told of TX data");
	CHECK_EQ(rd(1, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_THRE), 0,
		 "nothing looped back, THRE clear while the host has not taken");
	CHECK_EQ(rd(1, MTTY_UART_IIR) & 0x0f, MTTY_IIR_NO_INT, "no interrupt");
	n = host_tx(1, buf, 5, &sig);
	CHECK_EQ(n, 5, "host takes 5");
	CHECK_EQ(sig, 0, "no interrupt while bytes remain");
	CHECK_EQ(rd(1, MTTY_UART_LSR) & MTTY_LSR_THRE, 0, "THRE still clear");
	n += host_tx(1, buf + 5, sizeof(buf) - 5, &sig);
	CHECK_EQ(n, 16, "host takes the rest");
	CHECK_EQ(sig, MTTY_SIG_MSI, "THRE interrupt when the host emptied it");
	for (i = 0; i < 16; i++)
		CHECK_EQ(buf[i], 0x30 + i, "byte order");
	CHECK_EQ(rd(1, MTTY_UART_LSR) & (MTTY_LSR_THRE | MTTY_LSR_TEMT),
		 MTTY_LSR_THRE | MTTY_LSR_TEMT, "THRE and TEMT");
	CHECK_EQ(rd(1, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI, "THRE interrupt");
	CHECK_EQ(host_tx(1, buf, 4, &sig), 0, "nothing more");
	/* the loopback port next to it is unaffected */
	wr(0, MTTY_UART_THR, 0x55);
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0x55, "port 0 still loops");
}

TEST(host_rx_host_to_guest)
{
	u8 in[40], out[40];
	unsigned int sig, i, n, got = 0;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	for (i = 0; i < sizeof(in); i++)
		in[i] = 0xc0 ^ i;
	/* 16450 mode: one byte of room */
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 1, "16450: room 1");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0xc0);
	wr(0, MTTY_UART_IER, MTTY_IER_RDI);
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 16, "FIFO: room 16");
	n = host_rx(0, in, sizeof(in), &sig);
	CHECK_EQ(n, 16, "receiver takes 16, the rest waits");
	CHECK_EQ(sig, MTTY_SIG_MSI, "RX interrupt");
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 0, "full: no room");
	CHECK_EQ(host_rx(0, in + n, sizeof(in) - n, &sig), 0, "none taken");
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_RDI, "trigger level 14");
	mtty_uart_host_events(&uarts[0]);
	while (got < sizeof(in)) {
		u8 lsr = rd(0, MTTY_UART_LSR);

		CHECK_EQ(lsr & MTTY_LSR_ERR_MASK, 0, "never an overrun");
		if (!(lsr & MTTY_LSR_DR))
			break;
		out[got++] = rd(0, MTTY_UART_RBR);
		CHECK(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_RX_ROOM,
		      "room reported after byte %u", got);
		if (n < sizeof(in))
			n += host_rx(0, in + n, sizeof(in) - n, &sig);
	}
	CHECK_EQ(got, sizeof(in), "every byte arrived");
	CHECK(!memcmp(in, out, sizeof(in)), "in order");
	CHECK_EQ(uarts[0].rx_bytes, sizeof(in), "rx count");
}

TEST(host_modem_null_modem)
{
	u8 msr;
	unsigned int sig;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(0, MTTY_UART_IER, MTTY_IER_MSI);
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0, "nothing asserted");
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]), 0, "host sees nothing");

	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR);
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]),
		 MTTY_HOST_DSR | MTTY_HOST_DCD, "guest DTR: host DSR+DCD");
	CHECK_EQ(mtty_uart_host_events(&uarts[0]), MTTY_HOST_EV_MCTRL, "event");
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0, "guest's own DTR not looped");
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS);
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]),
		 MTTY_HOST_DSR | MTTY_HOST_DCD | MTTY_HOST_CTS, "RTS: host CTS");
	CHECK_EQ(mtty_uart_host_events(&uarts[0]), MTTY_HOST_EV_MCTRL, "event");
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2);
	CHECK_EQ(mtty_uart_host_events(&uarts[0]), 0, "OUT2: no host event");

	sig = mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR);
	CHECK_EQ(sig, MTTY_SIG_MSI, "modem status interrupt");
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_MSI, "IIR MSI");
	msr = rd(0, MTTY_UART_MSR);
	CHECK_EQ(msr, MTTY_MSR_DSR | MTTY_MSR_DCD | MTTY_MSR_DDSR |
		 MTTY_MSR_DDCD, "host DTR: DSR+DCD with deltas");
	CHECK_EQ(rd(0, MTTY_UART_MSR), MTTY_MSR_DSR | MTTY_MSR_DCD,
		 "deltas cleared by the read");
	mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR | MTTY_HOST_RTS);
	CHECK_EQ(rd(0, MTTY_UART_MSR), MTTY_MSR_DSR | MTTY_MSR_DCD |
		 MTTY_MSR_CTS | MTTY_MSR_DCTS, "host RTS: CTS with delta");
	sig = mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR | MTTY_HOST_RTS);
	CHECK_EQ(sig, 0, "no change, no interrupt");
	mtty_model_host_set_lines(&m, 0, 0);
	CHECK_EQ(rd(0, MTTY_UART_MSR), MTTY_MSR_DCTS | MTTY_MSR_DDSR |
		 MTTY_MSR_DDCD, "host hang-up: all drop with deltas");
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]),
		 MTTY_HOST_DSR | MTTY_HOST_DCD | MTTY_HOST_CTS,
		 "host's own lines do not loop");

	/* loop mode: the 16550 wiring inside, the host sees the outputs off */
	mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR | MTTY_HOST_RTS);
	rd(0, MTTY_UART_MSR);
	mtty_uart_host_events(&uarts[0]);
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP | MTTY_MCR_OUT2 | MTTY_MCR_RTS);
	CHECK_EQ(rd(0, MTTY_UART_MSR) & 0xf0, MTTY_MSR_DCD | MTTY_MSR_CTS,
		 "loop mode MSR as the 16550");
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]),
		 MTTY_HOST_DTR | MTTY_HOST_RTS, "host sees no guest line");
	CHECK_EQ(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_MCTRL,
		 MTTY_HOST_EV_MCTRL, "host told");
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR);
	CHECK_EQ(rd(0, MTTY_UART_MSR) & 0xf0,
		 MTTY_MSR_DSR | MTTY_MSR_DCD | MTTY_MSR_CTS,
		 "out of loop mode: the host's lines again");
}

TEST(host_break_both_ways)
{
	u8 buf[4] = { 7, 8, 9, 10 }, out[4];
	unsigned int sig;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_IER, MTTY_IER_RLSI | MTTY_IER_RDI);

	/* guest break: an event for the glue, after the queued bytes */
	wr(0, MTTY_UART_THR, 0x61);
	mtty_uart_host_events(&uarts[0]);
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC | 0x03);
	CHECK_EQ(mtty_uart_host_events(&uarts[0]), MTTY_HOST_EV_BREAK,
		 "guest break reaches the host");
	wr(0, MTTY_UART_LCR, 0x03);
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI), 0,
		 "not looped back");
	CHECK_EQ(host_tx(0, out, 4, &sig), 1, "byte before it still there");
	CHECK_EQ(out[0], 0x61, "that byte");

	/* host break: a NUL with BI after the bytes already in */
	host_rx(0, buf, 2, &sig);
	sig = mtty_model_host_break(&m, 0);
	CHECK_EQ(rd(0, MTTY_UART_RBR), 7, "first byte");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 8, "second byte");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_BI | MTTY_LSR_DR),
		 MTTY_LSR_BI | MTTY_LSR_DR, "BI with its NUL");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "the NUL");

	/* a full receiver: the break waits, and so do later host bytes */
	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	host_rx(0, buf, 1, &sig);
	mtty_model_host_break(&m, 0);
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 0, "break pending: no room");
	CHECK_EQ(host_rx(0, buf + 1, 1, &sig), 0, "bytes wait behind it");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_OE | MTTY_LSR_BI), 0,
		 "no overrun, nothing lost");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 7, "the byte");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_BI | MTTY_LSR_DR),
		 MTTY_LSR_BI | MTTY_LSR_DR, "then the break");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0, "its NUL");
	CHECK_EQ(host_rx(0, buf + 1, 1, &sig), 1, "then the next byte");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 8, "in order");
}

TEST(host_loop_mode_and_reset)
{
	u8 out[4];
	unsigned int sig;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	/* 8250 autoconfig's loop test must pass with a tty backend too */
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP);
	wr(0, MTTY_UART_THR, 0x5a);
	CHECK_EQ(host_tx(0, out, 4, &sig), 0, "loop mode: nothing for the host");
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 0, "nor from it");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0x5a, "looped inside");
	mtty_uart_host_events(&uarts[0]);
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS);
	CHECK(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_RX_ROOM,
	      "leaving loop mode wakes the host writer");
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 1, "room again");
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	CHECK(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_RX_ROOM,
	      "a FIFO mode change (receiver cleared) wakes it too");
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 16, "FIFO room");
	mtty_model_host_set_lines(&m, 0, MTTY_HOST_RTS);
	mtty_uart_host_events(&uarts[0]);
	wr(0, MTTY_UART_THR, 0x33);

	mtty_model_reset(&m);
	CHECK_EQ(uarts[0].backend, MTTY_BACKEND_TTY, "backend survives reset");
	CHECK_EQ(uarts[0].host_mcr, MTTY_HOST_RTS, "host lines survive");
	CHECK_EQ(mtty_uart_host_lines(&uarts[0]), MTTY_HOST_RTS,
		 "guest lines dropped");
	CHECK_EQ(mtty_uart_host_events(&uarts[0]),
		 MTTY_HOST_EV_MCTRL | MTTY_HOST_EV_RX_ROOM, "host told");
	CHECK_EQ(host_tx(0, out, 4, &sig), 0, "TX FIFO cleared by reset");
	CHECK_EQ(rd(0, MTTY_UART_MSR), MTTY_MSR_CTS, "host RTS seen");
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_LOOPBACK);
	CHECK_EQ(uarts[0].host_mcr, 0, "back to loopback: host lines gone");
	CHECK(mtty_model_migratable(&m), "migratable again");
}

TEST(host_guest_break_survives_reset)
{
	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	wr(0, MTTY_UART_LCR, MTTY_LCR_SBC);
	/* the device is reset before the host work ran */
	mtty_model_reset(&m);
	CHECK(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_BREAK,
	      "the host still gets the break");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI), 0,
		 "nothing in the guest's own receiver");
	mtty_model_reset(&m);
	CHECK_EQ(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_BREAK, 0,
		 "reported once");
}

TEST(host_tx_thre_and_fifo_clear)
{
	u8 out[20];
	unsigned int sig, i;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	for (i = 0; i < 3; i++)
		wr(0, MTTY_UART_THR, 0x70 + i);
	/* enabling THRI while the host has not taken the bytes: nothing */
	sig = wr(0, MTTY_UART_IER, MTTY_IER_THRI);
	CHECK_EQ(sig, 0, "no THRE interrupt while bytes wait");
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_NO_INT, "IIR quiet");
	/* a transmitter FIFO clear empties it: THRE, and nothing for the host */
	sig = wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_XMIT);
	CHECK_EQ(sig, MTTY_SIG_MSI, "THRE interrupt on the clear");
	CHECK_EQ(host_tx(0, out, sizeof(out), &sig), 0, "the host gets nothing");
	CHECK_EQ(rd(0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI, "THRE reported");
	/* a full FIFO: the 17th byte is the guest's own loss, counted */
	for (i = 0; i < 17; i++)
		wr(0, MTTY_UART_THR, i);
	CHECK_EQ(uarts[0].tx_dropped, 1, "written past a full FIFO");
	CHECK_EQ(host_tx(0, out, sizeof(out), &sig), 16, "16 for the host");
	for (i = 0; i < 16; i++)
		CHECK_EQ(out[i], i, "in order");
}

TEST(host_loop_mode_holds_the_cable)
{
	u8 out[4], b = 0x42;
	unsigned int sig;

	setup(1, false);
	mtty_model_set_backend(&m, 0, MTTY_BACKEND_TTY);
	wr(0, MTTY_UART_IER, MTTY_IER_MSI);
	/* host break and lines while the guest is in loop mode */
	wr(0, MTTY_UART_MCR, MTTY_MCR_LOOP);
	rd(0, MTTY_UART_MSR);
	mtty_model_host_break(&m, 0);
	mtty_model_host_set_lines(&m, 0, MTTY_HOST_DTR);
	CHECK_EQ(rd(0, MTTY_UART_MSR), 0, "loop mode: host lines unseen");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI), 0,
		 "loop mode: host break ignored");
	/* bytes written in loop mode that did not fit stay for the host */
	wr(0, MTTY_UART_THR, 0x11);
	wr(0, MTTY_UART_THR, 0x22);
	mtty_uart_host_events(&uarts[0]);
	wr(0, MTTY_UART_MCR, MTTY_MCR_DTR);
	CHECK_EQ(rd(0, MTTY_UART_MSR), MTTY_MSR_DSR | MTTY_MSR_DCD |
		 MTTY_MSR_DDSR | MTTY_MSR_DDCD,
		 "out of loop mode: the host's DTR with deltas");
	CHECK(mtty_uart_host_events(&uarts[0]) & MTTY_HOST_EV_TX,
	      "the waiting byte is announced to the host");
	CHECK_EQ(host_tx(0, out, sizeof(out), &sig), 1, "the second byte");
	CHECK_EQ(out[0], 0x22, "it is the one that did not loop");
	CHECK_EQ(rd(0, MTTY_UART_RBR), 0x11, "the first looped inside");

	/* a host break waiting for room is dropped by a reset, with the
	 * receiver it was waiting for */
	host_rx(0, &b, 1, &sig);
	mtty_model_host_break(&m, 0);
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 0, "break waits");
	mtty_model_reset(&m);
	CHECK_EQ(mtty_uart_host_rx_room(&uarts[0]), 1, "room after reset");
	CHECK_EQ(rd(0, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI), 0,
		 "receiver empty");
}

int main(void)
{
	RUN(uart_reset_values);
	RUN(uart_scratch_and_divisor);
	RUN(uart_autoconfig_16550a);
	RUN(uart_autoconfig_16750);
	RUN(uart_loopback_bytes);
	RUN(uart_backpressure);
	RUN(uart_bulk_8250_style);
	RUN(uart_iir_priorities);
	RUN(uart_rx_trigger_and_timeout);
	RUN(uart_fifo_clear);
	RUN(uart_modem_loop_mapping);
	RUN(uart_break_with_its_char);
	RUN(uart_break_no_fifo_and_overrun);
	RUN(uart_break_fifo_clear);
	RUN(pci_identity);
	RUN(pci_bars);
	RUN(pci_readonly_and_command);
	RUN(intx_automask);
	RUN(msi_edges);
	RUN(model_reset_clears_uarts);
	RUN(host_loopback_default_untouched);
	RUN(host_tx_guest_to_host);
	RUN(host_rx_host_to_guest);
	RUN(host_modem_null_modem);
	RUN(host_break_both_ways);
	RUN(host_loop_mode_and_reset);
	RUN(host_guest_break_survives_reset);
	RUN(host_tx_thre_and_fifo_clear);
	RUN(host_loop_mode_holds_the_cable);
	return UNIT_DONE("unit");
}
