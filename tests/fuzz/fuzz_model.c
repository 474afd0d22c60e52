// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_model.c - libFuzzer target for the pure mtty device model
 * (driver/mtty_uart.c, mtty_pci.c, mtty_model.c compiled in userspace),
 * checked against an independent reference model (tests/fuzz/ref_*.c,
 * written from the PC16550D datasheet, the PCI 3.0 specification, VFIO's
 * INTx contract and the card's documentation; it shares no code, header
 * or constant with driver/).
 *
 * The input is a program: a header byte choosing the card (1 or 2 ports,
 * 16550A or 16750-capable), then operations -- UART register reads and
 * writes, config space reads and writes of 1, 2 or 4 bytes at any offset,
 * device reset, interrupt mode changes, INTx mask/unmask, THRE-honouring
 * bursts and drains.  Both models get every operation; after each one the
 * harness compares
 *
 *  - the value of every register read (UART and config space);
 *  - the interrupt outputs: the INTx/MSI signals the operation returned,
 *    the INTx line the device drives, VFIO's INTx mask state, and the
 *    signal counters;
 *  - side-effect-free views: the whole config space, each port's IIR
 *    identification and pending-source set, the byte counters.
 *
 * The first difference prints one line
 *   MISMATCH kind=<kind> port=<p> step=<n> op=<operation> model=<v> ref=<v>
 * and aborts (libFuzzer saves the input).  Kinds: rbr dll dlm ier iir lcr
 * mcr lsr msr scr (UART reads; iir also for the IIR/pending view), cfg,
 * intx, msi, stats.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtty_model.h"
#include "ref_model.h"

static struct mtty_uart uarts[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;
static struct ref_card ref;

static const u8 *in;
static size_t in_len, in_pos;
static unsigned long step;
/* the current operation, formatted only when a mismatch is reported */
enum op_kind { OP_INIT, OP_BAR_READ, OP_BAR_WRITE, OP_CFG_WRITE, OP_CFG_READ,
	       OP_RESET, OP_MODE, OP_MASK, OP_UNMASK };
static struct { enum op_kind kind; unsigned int a, b, c; } op;

static const char *const reg_kind[2][8] = {
	{ "rbr", "ier", "iir", "lcr", "mcr", "lsr", "msr", "scr" },
	{ "dll", "dlm", "iir", "lcr", "mcr", "lsr", "msr", "scr" },
};

static void set_op(enum op_kind kind, unsigned int a, unsigned int b,
		   unsigned int c)
{
	op.kind = kind;
	op.a = a;
	op.b = b;
	op.c = c;
}

static void mismatch(const char *kind, int port, unsigned long long model,
		     unsigned long long refv, const char *what)
{
	static const char *const modes[] = { "none", "intx", "msi" };
	char opdesc[64];

	switch (op.kind) {
	case OP_INIT:
		snprintf(opdesc, sizeof(opdesc), "init(ports=%u,deep=%u)", op.a, op.b);
		break;
	case OP_BAR_READ:
		snprintf(opdesc, sizeof(opdesc), "bar_read(reg=%u%s)", op.a,
			 op.c ? ",dlab" : "");
		break;
	case OP_BAR_WRITE:
		snprintf(opdesc, sizeof(opdesc), "bar_write(reg=%u%s,val=%#x)",
			 op.a, op.c ? ",dlab" : "", op.b);
		break;
	case OP_CFG_WRITE:
		snprintf(opdesc, sizeof(opdesc), "cfg_write(off=%#x,len=%u,val=%#x)",
			 op.a, op.b, op.c);
		break;
	case OP_CFG_READ:
		snprintf(opdesc, sizeof(opdesc), "cfg_read(off=%#x,len=%u)", op.a, op.b);
		break;
	case OP_RESET:
		set_op(OP_RESET, 0, 0, 0);
		break;
	case OP_MODE:
		snprintf(opdesc, sizeof(opdesc), "set_irq_mode(%s)", modes[op.a % 3]);
		break;
	case OP_MASK:
		set_op(OP_MASK, 0, 0, 0);
		break;
	case OP_UNMASK:
		set_op(OP_UNMASK, 0, 0, 0);
		break;
	}
	fprintf(stderr, "MISMATCH kind=%s port=%d step=%lu op=%s model=%#llx ref=%#llx%s%s\n",
		kind, port, step, opdesc, model, refv, what ? " " : "",
		what ? what : "");
	fflush(stderr);
	abort();
}

#define SAME(kind, port, a, b, what)					\
	do {								\
		unsigned long long a_ = (a), b_ = (b);			\
		if (a_ != b_)						\
			mismatch(kind, port, a_, b_, what);		\
	} while (0)

static int next(u8 *b)
{
	if (in_pos >= in_len)
		return 0;
	*b = in[in_pos++];
	return 1;
}

/*
 * Side-effect-free comparison of everything observable, after each op.
 * A difference in the set of pending interrupt sources is classified by
 * the source: line status -> lsr, received data -> rbr, THRE -> iir,
 * modem status -> msr.
 */
static void compare_state(void)
{
	static const struct { unsigned int src; const char *kind, *what; } cls[] = {
		{ MTTY_SRC_RLS, "lsr", "(line-status interrupt pending)" },
		{ MTTY_SRC_RDA, "rbr", "(received-data interrupt pending)" },
		{ MTTY_SRC_THRE, "iir", "(THRE interrupt pending)" },
		{ MTTY_SRC_MS, "msr", "(modem-status interrupt pending)" },
	};
	unsigned int p, off, k;
	char what[32];

	for (p = 0; p < m.nports; p++) {
		const struct mtty_uart *u = &m.uart[p];
		const struct ref_uart *r = &ref.port[p];
		bool rp[REF_IRQ_NCLASSES];
		unsigned int rsrc, msrc;

		ref_uart_pending(r, rp);
		rsrc = (rp[REF_IRQ_LINE_STATUS] ? MTTY_SRC_RLS : 0) |
		       (rp[REF_IRQ_RX_DATA] ? MTTY_SRC_RDA : 0) |
		       (rp[REF_IRQ_THR_EMPTY] ? MTTY_SRC_THRE : 0) |
		       (rp[REF_IRQ_MODEM] ? MTTY_SRC_MS : 0);
		msrc = mtty_uart_sources(u);
		for (k = 0; k < sizeof(cls) / sizeof(cls[0]); k++)
			SAME(cls[k].kind, p, !!(msrc & cls[k].src),
			     !!(rsrc & cls[k].src), cls[k].what);
		SAME("iir", p, msrc, rsrc, "(pending sources)");
		SAME("iir", p, mtty_uart_iir_id(u), ref_uart_iir_id(r),
		     "(IIR identification)");
		SAME("stats", p, u->tx_bytes, r->n_accepted, "(tx_bytes)");
		SAME("stats", p, u->rx_bytes, r->n_delivered, "(rx_bytes)");
		SAME("stats", p, u->tx_dropped, r->n_dropped, "(tx_dropped)");
	}
	SAME("intx", -1, mtty_model_intx_line(&m), ref_card_irq_line(&ref),
	     "(INTx line)");
	SAME("intx", -1, m.intx_masked, ref.intx_masked, "(VFIO mask)");
	SAME("intx", -1, m.intx_signals, ref.intx_count, "(INTx signals)");
	SAME("msi", -1, m.msi_signals, ref.msi_count, "(MSI signals)");
	for (off = 0; off < MTTY_PCI_CFG_SIZE; off++) {
		u32 mv = mtty_model_cfg_read(&m, off, 1);
		u8 rv = ref_card_cfg_byte(&ref, off);

		if (mv == rv)
			continue;
		snprintf(what, sizeof(what), "(cfg[%#x])", off);
		mismatch("cfg", -1, mv, rv, what);
	}
}

static void compare_sig(unsigned int sig, unsigned int rsig)
{
	SAME("intx", -1, !!(sig & MTTY_SIG_INTX), !!(rsig & REF_OUT_INTX),
	     "(INTx signal)");
	SAME("msi", -1, !!(sig & MTTY_SIG_MSI), !!(rsig & REF_OUT_MSI),
	     "(MSI signal)");
	SAME("intx", -1, sig & ~(MTTY_SIG_INTX | MTTY_SIG_MSI), 0,
	     "(unknown signal bits)");
}

static u8 bar_read(unsigned int p, unsigned int reg)
{
	bool dlab = ref.port[p].lcr & 0x80;
	u8 v, rv;
	unsigned int sig, rsig;

	set_op(OP_BAR_READ, reg, 0, dlab);
	sig = mtty_model_bar_read(&m, p, reg, &v);
	rsig = ref_card_bar_read(&ref, p, reg, &rv);
	SAME(reg_kind[dlab][reg], p, v, rv, NULL);
	compare_sig(sig, rsig);
	compare_state();
	return v;
}

static void bar_write(unsigned int p, unsigned int reg, u8 v)
{
	bool dlab = ref.port[p].lcr & 0x80;
	unsigned int sig, rsig;

	set_op(OP_BAR_WRITE, reg, v, dlab);
	sig = mtty_model_bar_write(&m, p, reg, v);
	rsig = ref_card_bar_write(&ref, p, reg, v);
	compare_sig(sig, rsig);
	compare_state();
}

static void cfg_write(unsigned int off, unsigned int len, u32 val)
{
	unsigned int sig, rsig;

	set_op(OP_CFG_WRITE, off, len, val);
	sig = mtty_model_cfg_write(&m, off, len, val);
	rsig = ref_card_cfg_write(&ref, off, len, val);
	compare_sig(sig, rsig);
	compare_state();
}

static void cfg_read(unsigned int off, unsigned int len)
{
	set_op(OP_CFG_READ, off, len, 0);
	SAME("cfg", -1, mtty_model_cfg_read(&m, off, len),
	     ref_card_cfg_read(&ref, off, len), NULL);
	compare_state();
}

static void dev_reset(void)
{
	set_op(OP_RESET, 0, 0, 0);
	mtty_model_reset(&m);
	ref_card_reset(&ref);
	compare_state();
}

static void set_mode(unsigned int mode)
{
	unsigned int sig, rsig;

	set_op(OP_MODE, mode, 0, 0);
	sig = mtty_model_set_irq_mode(&m, (enum mtty_irq_mode)mode);
	rsig = ref_card_set_mode(&ref, (enum ref_irq_mode)mode);
	compare_sig(sig, rsig);
	compare_state();
}

static void intx_mask(void)
{
	set_op(OP_MASK, 0, 0, 0);
	mtty_model_intx_mask(&m);
	ref_card_mask(&ref);
	compare_state();
}

static void intx_unmask(void)
{
	unsigned int sig, rsig;

	set_op(OP_UNMASK, 0, 0, 0);
	sig = mtty_model_intx_unmask(&m);
	rsig = ref_card_unmask(&ref);
	compare_sig(sig, rsig);
	compare_state();
}

/* Write up to @n bytes honouring THRE (as the 8250 driver does). */
static void burst(unsigned int p, unsigned int n, u8 seed)
{
	unsigned int i, room;
	u8 lcr = ref.port[p].lcr;

	if (lcr & 0x80)
		bar_write(p, 3, lcr & ~0x80);
	if (!(bar_read(p, 5) & 0x20))
		return;
	room = ref_uart_depth(&ref.port[p]);
	for (i = 0; i < n && i < room; i++)
		bar_write(p, 0, (u8)(seed + i));
}

static void drain(unsigned int p)
{
	unsigned int guard = 0;
	u8 lcr = ref.port[p].lcr;

	if (lcr & 0x80)
		bar_write(p, 3, lcr & ~0x80);
	while ((bar_read(p, 5) & 0x01) && guard++ < 2 * REF_FIFO_CAP + 2)
		bar_read(p, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nports, p;
	bool deep;
	u8 hdr, op, a, b, c, d;

	in = data;
	in_len = size;
	in_pos = 0;
	step = 0;
	if (!next(&hdr))
		return 0;
	nports = 1 + (hdr & 1);
	deep = hdr & 2;

	memset(uarts, 0x5a, sizeof(uarts));	/* init must not need zeroes */
	mtty_model_init(&m, uarts, nports, deep);
	memset(&ref, 0xa5, sizeof(ref));
	ref_card_init(&ref, nports, deep);
	set_op(OP_INIT, nports, deep, 0);
	compare_state();

	while (next(&op)) {
		step++;
		p = (op >> 4) % nports;
		switch (op & 0x0f) {
		case 0: case 1: case 2:		/* register write */
			if (!next(&a) || !next(&b))
				return 0;
			bar_write(p, a & 7, b);
			break;
		case 3: case 4: case 5:		/* register read */
			if (!next(&a))
				return 0;
			bar_read(p, a & 7);
			break;
		case 6: {			/* config write */
			unsigned int len, off;

			if (!next(&a) || !next(&b) || !next(&c) || !next(&d))
				return 0;
			len = 1u << ((op >> 4) % 3);
			off = a;
			if (off + len > MTTY_PCI_CFG_SIZE)
				off = MTTY_PCI_CFG_SIZE - len;
			/* bias towards the interesting registers */
			if (op & 0x80)
				off = (a % 0x40) & ~(len - 1);
			cfg_write(off, len, b | c << 8 | (u32)d << 16 |
				  (u32)(d ^ c) << 24);
			break;
		}
		case 7: {			/* config read */
			unsigned int len, off;

			if (!next(&a))
				return 0;
			len = 1u << ((op >> 4) % 3);
			off = a;
			if (off + len > MTTY_PCI_CFG_SIZE)
				off = MTTY_PCI_CFG_SIZE - len;
			cfg_read(off, len);
			break;
		}
		case 8:
			dev_reset();
			break;
		case 9:				/* VFIO SET_IRQS trigger */
			set_mode((op >> 4) % 3);
			break;
		case 10:			/* VFIO MASK */
			intx_mask();
			break;
		case 11:			/* VFIO UNMASK (the guest's EOI) */
			intx_unmask();
			break;
		case 12: case 13:		/* THRE-honouring burst */
			if (!next(&a))
				return 0;
			burst(p, 1 + (a & 0x3f), a);
			break;
		case 14:			/* read everything back */
			drain(p);
			break;
		case 15:			/* FCR shortcut: FIFOs on/off */
			bar_write(p, 2, (op & 0x80) ? 0xc7 : 0x00);
			break;
		}
	}
	/* Drain every port: whatever was accepted and not cleared comes back. */
	for (p = 0; p < nports; p++)
		drain(p);
	return 0;
}
