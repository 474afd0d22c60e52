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
 * bursts and drains -- and the host side of backend "tty" (issue 14): the
 * backend set while the VFIO device is closed, the host taking the guest's
 * bytes into a buffer of a given size, giving bytes, sending a break,
 * setting its DTR/RTS, and the host work looking at what it was told.
 * Both models get every operation; after each one the harness compares
 *
 *  - the value of every register read (UART and config space);
 *  - the interrupt outputs: the INTx/MSI signals the operation returned,
 *    the INTx line the device drives, VFIO's INTx mask state, and the
 *    signal counters;
 *  - side-effect-free views: the whole config space, each port's IIR
 *    identification and pending-source set, the byte counters;
 *  - the host side: the backend, the bytes the host took (in order), the
 *    receiver room the host sees, the bytes waiting either way, the modem
 *    lines the host sees (TIOCMGET), whether the card may migrate; and
 *    when the host work looks (host_poll): a guest break reported exactly
 *    when one was sent, new guest bytes, changed lines and room for a
 *    host writer that was turned away never left unreported (a lost
 *    report is a byte or a writer stuck for good).
 *
 * The first difference prints one line
 *   MISMATCH kind=<kind> port=<p> step=<n> op=<operation> model=<v> ref=<v>
 * and aborts (libFuzzer saves the input).  Kinds: rbr dll dlm ier iir lcr
 * mcr lsr msr scr (UART reads; iir also for the IIR/pending view), cfg,
 * intx, msi, stats, host (the host side's view and bytes), hostev (what the
 * host side was told).
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
	       OP_RESET, OP_MODE, OP_MASK, OP_UNMASK, OP_BACKEND, OP_HOST_TX,
	       OP_HOST_RX, OP_HOST_BREAK, OP_HOST_LINES, OP_HOST_POLL };

/*
 * The host side as the glue sees it, per port: a host writer was turned
 * away (short write) and waits for a wake-up; the lines the host work saw
 * when it last looked.
 */
static bool writer_waiting[MTTY_MAX_PORTS_PER_DEV];
static u8 lines_seen[MTTY_MAX_PORTS_PER_DEV];
static struct { enum op_kind kind; unsigned int a, b, c, port; } op;

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

/* The current operation, for a MISMATCH line or the FUZZ_TRACE log. */
static void describe_op(char *opdesc, size_t size)
{
	static const char *const modes[] = { "none", "intx", "msi" };

	switch (op.kind) {
	case OP_INIT:
		snprintf(opdesc, size, "init(ports=%u,deep=%u)", op.a, op.b);
		break;
	case OP_BAR_READ:
		snprintf(opdesc, size, "bar_read(port=%u,reg=%u%s)", op.port,
			 op.a, op.c ? ",dlab" : "");
		break;
	case OP_BAR_WRITE:
		snprintf(opdesc, size, "bar_write(port=%u,reg=%u%s,val=%#x)",
			 op.port, op.a, op.c ? ",dlab" : "", op.b);
		break;
	case OP_CFG_WRITE:
		snprintf(opdesc, size, "cfg_write(off=%#x,len=%u,val=%#x)",
			 op.a, op.b, op.c);
		break;
	case OP_CFG_READ:
		snprintf(opdesc, size, "cfg_read(off=%#x,len=%u)", op.a, op.b);
		break;
	case OP_RESET:
		snprintf(opdesc, size, "reset");
		break;
	case OP_MODE:
		snprintf(opdesc, size, "set_irq_mode(%s)", modes[op.a % 3]);
		break;
	case OP_MASK:
		snprintf(opdesc, size, "intx_mask");
		break;
	case OP_UNMASK:
		snprintf(opdesc, size, "intx_unmask");
		break;
	case OP_BACKEND:
		snprintf(opdesc, size, "set_backend(port=%d,%s)",
			 op.a == 2 ? -1 : (int)op.b, op.c ? "tty" : "loopback");
		break;
	case OP_HOST_TX:
		snprintf(opdesc, size, "host_tx(port=%u,len=%u)", op.a, op.b);
		break;
	case OP_HOST_RX:
		snprintf(opdesc, size, "host_rx(port=%u,len=%u,first=%#x)",
			 op.a, op.b, op.c);
		break;
	case OP_HOST_BREAK:
		snprintf(opdesc, size, "host_break(port=%u)", op.a);
		break;
	case OP_HOST_LINES:
		snprintf(opdesc, size, "host_set_lines(port=%u,%#x)",
			 op.a, op.b);
		break;
	case OP_HOST_POLL:
		snprintf(opdesc, size, "host_poll(port=%u)", op.a);
		break;
	}
}

static void mismatch(const char *kind, int port, unsigned long long model,
		     unsigned long long refv, const char *what)
{
	char opdesc[64];

	describe_op(opdesc, sizeof(opdesc));
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

/* The host's modem lines in the reference's encoding (REF_FAR_*). */
static u8 host_lines(const struct mtty_uart *u)
{
	u8 l = mtty_uart_host_lines(u), v = 0;

	v |= (l & MTTY_HOST_DTR) ? REF_FAR_DTR : 0;
	v |= (l & MTTY_HOST_RTS) ? REF_FAR_RTS : 0;
	v |= (l & MTTY_HOST_CTS) ? REF_FAR_CTS : 0;
	v |= (l & MTTY_HOST_DSR) ? REF_FAR_DSR : 0;
	v |= (l & MTTY_HOST_DCD) ? REF_FAR_DCD : 0;
	return v;
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
	static int trace = -1;
	struct mtty_uart uc;
	struct ref_uart rc;
	unsigned int p, off, k;
	bool any_cable = false;
	char what[64];

	if (trace < 0)
		trace = !!getenv("FUZZ_TRACE");
	if (trace) {
		describe_op(what, sizeof(what));
		fprintf(stderr, "step %lu: %s\n", step, what);
	}

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
		/* LSR and MSR as a read would return them, read from copies */
		uc = *u;
		rc = *r;
		SAME("lsr", p, mtty_uart_read(&uc, MTTY_UART_LSR),
		     ref_uart_read(&rc, 5), "(LSR, peeked)");
		SAME("msr", p, mtty_uart_read(&uc, MTTY_UART_MSR),
		     ref_uart_read(&rc, 6), "(MSR, peeked)");
		SAME("host", p, u->backend == MTTY_BACKEND_TTY, r->cable,
		     "(backend tty)");
		if (r->cable) {
			SAME("host", p, u->tx.count, r->tx_count,
			     "(bytes waiting for the host)");
			SAME("host", p, u->rx.count, r->rx_count,
			     "(bytes in the receiver)");
		}
		SAME("host", p, mtty_uart_host_rx_room(u), ref_uart_far_room(r),
		     "(receiver room for the host)");
		SAME("host", p, host_lines(u), ref_uart_far_lines(r),
		     "(host modem lines)");
		any_cable |= r->cable;
	}
	SAME("host", -1, mtty_model_migratable(&m), !any_cable,
	     "(migratable)");
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
	op.port = p;
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
	op.port = p;
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

static void host_poll(unsigned int p);

/*
 * The backend attribute written while no user has the device open: the
 * user's close (interrupts released, device reset), the new backend on
 * every port of the card (@port < 0) or, beyond what the attribute does,
 * on one port, then the next user's open (device reset), after which the
 * host work runs.
 */
static void set_backend(int port, bool tty)
{
	unsigned int p;

	set_op(OP_BACKEND, port < 0 ? 2 : 0, port < 0 ? 0 : port, tty);
	set_mode(0);
	dev_reset();
	for (p = 0; p < m.nports; p++) {
		if (port >= 0 && p != (unsigned int)port)
			continue;
		set_op(OP_BACKEND, port < 0 ? 2 : 0, p, tty);
		mtty_model_set_backend(&m, p, tty ? MTTY_BACKEND_TTY :
					 MTTY_BACKEND_LOOPBACK);
		ref_uart_plug(&ref.port[p], tty);
		/* a new host tty: nobody writing, its lines as they are */
		writer_waiting[p] = false;
		lines_seen[p] = host_lines(&m.uart[p]) &
				(REF_FAR_CTS | REF_FAR_DSR | REF_FAR_DCD);
		compare_state();
	}
	dev_reset();
	/* the open kicks the host work */
	for (p = 0; p < m.nports; p++)
		host_poll(p);
}

/* The host takes up to @len bytes into a buffer of exactly that size. */
static void host_tx(unsigned int p, unsigned int len)
{
	u8 *buf = malloc(len), *rbuf = malloc(len);
	unsigned int sig, rsig, n, rn, i;

	if (!buf || !rbuf)
		abort();
	set_op(OP_HOST_TX, p, len, 0);
	sig = mtty_model_host_tx(&m, p, buf, len, &n);
	rsig = ref_card_far_take(&ref, p, rbuf, len, &rn);
	SAME("host", (int)p, n, rn, "(bytes the host took)");
	for (i = 0; i < n; i++)
		SAME("host", (int)p, buf[i], rbuf[i], "(byte the host took)");
	compare_sig(sig, rsig);
	compare_state();
	free(buf);
	free(rbuf);
}

/* The host writes @len bytes @first, @first + 1, ...; a short write waits. */
static void host_rx(unsigned int p, unsigned int len, u8 first)
{
	u8 *buf = malloc(len);
	unsigned int sig, rsig, n, rn, i;

	if (!buf)
		abort();
	for (i = 0; i < len; i++)
		buf[i] = (u8)(first + i);
	set_op(OP_HOST_RX, p, len, first);
	sig = mtty_model_host_rx(&m, p, buf, len, &n);
	rsig = ref_card_far_give(&ref, p, buf, len, &rn);
	SAME("host", (int)p, n, rn, "(bytes the receiver took from the host)");
	if (n < len)
		writer_waiting[p] = true;
	compare_sig(sig, rsig);
	compare_state();
	free(buf);
}

static void host_break(unsigned int p)
{
	unsigned int sig, rsig;

	set_op(OP_HOST_BREAK, p, 0, 0);
	sig = mtty_model_host_break(&m, p);
	rsig = ref_card_far_break(&ref, p);
	compare_sig(sig, rsig);
	compare_state();
}

static void host_set_lines(unsigned int p, u8 lines)
{
	unsigned int sig, rsig;
	u8 l = ((lines & 1) ? MTTY_HOST_DTR : 0) | ((lines & 2) ? MTTY_HOST_RTS : 0);

	set_op(OP_HOST_LINES, p, lines & 3, 0);
	sig = mtty_model_host_set_lines(&m, p, l);
	rsig = ref_card_far_set(&ref, p, lines & 1, lines & 2);
	compare_sig(sig, rsig);
	compare_state();
}

/*
 * The host work runs: it takes the events and acts on them.  A guest
 * break is reported exactly when one was sent; new bytes for the host,
 * changes of the guest's lines as the host sees them (CTS, DSR, DCD: a
 * hang-up is seen from DCD) and room for a waiting
 * writer must be reported (spare reports only cost a wake-up).  A
 * loopback port tells the host nothing.
 */
static void host_poll(unsigned int p)
{
	struct ref_uart *r = &ref.port[p];
	u8 ev, lines;

	set_op(OP_HOST_POLL, p, 0, 0);
	ev = mtty_uart_host_events(&m.uart[p]);
	/* the host's own DTR/RTS are its own news */
	lines = host_lines(&m.uart[p]) & (REF_FAR_CTS | REF_FAR_DSR | REF_FAR_DCD);
	if (!r->cable)
		SAME("hostev", (int)p, ev, 0, "(events of a loopback port)");
	SAME("hostev", (int)p, !!(ev & MTTY_HOST_EV_BREAK), r->note_break,
	     "(guest break reported)");
	if (r->note_tx)
		SAME("hostev", (int)p, !!(ev & MTTY_HOST_EV_TX), 1,
		     "(new guest bytes reported)");
	if (lines != lines_seen[p])
		SAME("hostev", (int)p, !!(ev & MTTY_HOST_EV_MCTRL), 1,
		     "(changed lines reported)");
	if (writer_waiting[p] && ref_uart_far_room(r))
		SAME("hostev", (int)p, !!(ev & MTTY_HOST_EV_RX_ROOM), 1,
		     "(room for the waiting writer reported)");
	if (ev & MTTY_HOST_EV_RX_ROOM)
		writer_waiting[p] = false;
	lines_seen[p] = lines;
	r->note_tx = false;
	r->note_break = false;
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

/*
 * Opcodes 10 and 11 with any of bits 7:5 set: the host side of port @p.
 * Returns nonzero when the input ends inside the operation.
 */
static int host_op(u8 op, unsigned int p)
{
	u8 a, b;

	switch (((op & 1) << 3) | op >> 5) {
	case 1: case 7: case 12:	/* the host reads what the guest sent */
		if (!next(&a))
			return 1;
		host_tx(p, 1 + a % 72);
		break;
	case 2: case 6: case 11: case 15:	/* the host writes */
		if (!next(&a) || !next(&b))
			return 1;
		host_rx(p, 1 + a % 72, b);
		break;
	case 3: case 10:		/* tcsendbreak */
		host_break(p);
		break;
	case 4: case 13:		/* TIOCMSET, open (DTR+RTS), close (0) */
		if (!next(&a))
			return 1;
		host_set_lines(p, a);
		break;
	case 5: case 14:		/* the host work runs */
		host_poll(p);
		break;
	case 9:		/* echo tty|loopback > backend; or one port's */
		if (!next(&a))
			return 1;
		set_backend((a & 2) ? (int)p : -1, !(a & 1));
		break;
	}
	return 0;
}

/* The host side at the end: take what the guest sent, look once more. */
static void host_drain(unsigned int p)
{
	if (!ref.port[p].cable)
		return;
	host_tx(p, REF_FIFO_CAP);
	host_poll(p);
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

	memset(writer_waiting, 0, sizeof(writer_waiting));
	memset(lines_seen, 0, sizeof(lines_seen));
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
		case 10: case 11:
			if (!(op & 0xe0)) {
				if (op & 1)	/* VFIO UNMASK (the guest's EOI) */
					intx_unmask();
				else		/* VFIO MASK */
					intx_mask();
				break;
			}
			if (host_op(op, p))
				return 0;
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
	for (p = 0; p < nports; p++) {
		drain(p);
		host_drain(p);
	}
	return 0;
}
