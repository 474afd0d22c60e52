// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_model.c - libFuzzer target for the pure mtty device model
 * (driver/mtty_uart.c, mtty_pci.c, mtty_model.c compiled in userspace).
 *
 * The input is a program: a header byte choosing the card (1 or 2 ports,
 * 16550A or 16750-capable), then operations -- UART register reads and
 * writes, config space reads and writes, resets, interrupt mode changes,
 * INTx mask/unmask, THRE-honouring bursts and drains.  After every
 * operation the harness checks the invariants the VFIO glue and the guest
 * rely on, against a shadow of its own:
 *
 *  - FIFO counts within the current depth, ring indexes in range, and the
 *    transmitter never holds bytes while the receiver has room;
 *  - loopback conservation: the bytes in RX followed by the bytes in TX
 *    are exactly the bytes accepted by THR (plus break NULs) minus those
 *    read from RBR or cleared by FCR/reset, in order -- nothing invented,
 *    nothing lost, nothing reordered; RBR returns the oldest byte;
 *  - a THR write is accepted iff the TX FIFO has room (always when THRE);
 *  - IIR: the identification equals the highest-priority enabled and
 *    pending source, recomputed here from the register state; FIFO bits;
 *  - LSR DR/THRE/TEMT reflect the FIFOs, OE at once, PE/FE/BI those of
 *    the character on top of RX, bit 7 any error character in the FIFO;
 *    MSR reflects MCR (loop wiring);
 *  - INTx: a signal only in INTx mode, line high, unmasked and not
 *    disabled in the command register; never left asserted, unmasked and
 *    unsignalled; PCI status bit 3 follows the line;  MSI: a signal only
 *    in MSI mode and whenever a new source became pending;
 *  - config space: identity registers unchanged, BARs decode 8 bytes of
 *    I/O space, unused BARs read 0, interrupt pin 1, writes only change
 *    writable bits, multi-byte reads agree with byte reads;
 *  - reset: every register back to its reset value, FIFOs empty.
 *
 * Any violation aborts (libFuzzer reports a crash and saves the input).
 * Build: see mk/fuzz.mk (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtty_model.h"

#define NPORTS_MAX	2

static struct mtty_uart uarts[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;
static struct mtty_pci pristine;	/* config space right after reset */

/* shadow of the bytes in flight per port: RX contents, then TX contents */
struct shadow {
	u8 q[2 * MTTY_FIFO_MAX + 1];
	unsigned int n;
	unsigned long long accepted, delivered, cleared, breaks;
};
static struct shadow sh[MTTY_MAX_PORTS_PER_DEV];

static const u8 *in;
static size_t in_len, in_pos;
static unsigned long step;

#define ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "mtty model invariant violated at " \
				"step %lu: %s: ", step, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, "\n");				\
			abort();					\
		}							\
	} while (0)

static int next(u8 *b)
{
	if (in_pos >= in_len)
		return 0;
	*b = in[in_pos++];
	return 1;
}

static u8 fifo_at(const struct mtty_fifo *f, unsigned int i)
{
	return f->data[(f->head + i) % MTTY_FIFO_MAX];
}

static void shadow_push(struct shadow *s, u8 v)
{
	ASSERT(s->n < sizeof(s->q), "shadow overflow (%u)", s->n);
	s->q[s->n++] = v;
}

static u8 shadow_pop(struct shadow *s)
{
	u8 v = s->q[0];

	ASSERT(s->n > 0, "shadow underflow");
	memmove(s->q, s->q + 1, --s->n);
	return v;
}

static void shadow_drop_front(struct shadow *s, unsigned int k)
{
	ASSERT(k <= s->n, "drop %u of %u", k, s->n);
	memmove(s->q, s->q + k, s->n - k);
	s->n -= k;
	s->cleared += k;
}

static void shadow_drop_back(struct shadow *s, unsigned int k)
{
	ASSERT(k <= s->n, "drop %u of %u", k, s->n);
	s->n -= k;
	s->cleared += k;
}

/* LSR bits 1-4: sticky overrun, errors of the character on top of RX */
static u8 line_errors(const struct mtty_uart *u)
{
	return u->lsr_err | (u->rx.count ? u->rx.err[u->rx.head] : 0);
}

/* LSR bit 7 (FIFO mode): some character in RX carries an error */
static bool fifo_error(const struct mtty_uart *u)
{
	unsigned int i;

	if (!(u->fcr & MTTY_FCR_ENABLE))
		return false;
	for (i = 0; i < u->rx.count; i++)
		if (u->rx.err[(u->rx.head + i) % MTTY_FIFO_MAX])
			return true;
	return false;
}

/* The IIR identification, recomputed from register state. */
static u8 expected_iir_id(const struct mtty_uart *u)
{
	bool fifo = u->fcr & MTTY_FCR_ENABLE;
	unsigned int trig = 1;

	if (fifo) {
		static const u8 t16[4] = { 1, 4, 8, 14 }, t64[4] = { 1, 16, 32, 56 };
		unsigned int sel = u->fcr >> 6;

		trig = u->fifo64 ? t64[sel] : t16[sel];
	}
	if ((u->ier & MTTY_IER_RLSI) && (line_errors(u) & MTTY_LSR_ERR_MASK))
		return MTTY_IIR_RLSI;
	if ((u->ier & MTTY_IER_RDI) && u->rx.count)
		return (fifo && u->rx.count < trig) ? MTTY_IIR_RX_TIMEOUT :
						      MTTY_IIR_RDI;
	if ((u->ier & MTTY_IER_THRI) && u->thre_int && !u->tx.count)
		return MTTY_IIR_THRI;
	if ((u->ier & MTTY_IER_MSI) && (u->msr_delta & MTTY_MSR_DELTA_MASK))
		return MTTY_IIR_MSI;
	return MTTY_IIR_NO_INT;
}

static u8 expected_msr_lines(u8 mcr)
{
	u8 msr = 0;

	if (mcr & MTTY_MCR_RTS)
		msr |= MTTY_MSR_CTS;
	if (mcr & MTTY_MCR_DTR)
		msr |= MTTY_MSR_DSR;
	if (mcr & MTTY_MCR_LOOP) {
		if (mcr & MTTY_MCR_OUT1)
			msr |= MTTY_MSR_RI;
		if (mcr & MTTY_MCR_OUT2)
			msr |= MTTY_MSR_DCD;
	} else if (mcr & MTTY_MCR_DTR) {
		msr |= MTTY_MSR_DCD;
	}
	return msr;
}

static void check_port(unsigned int p)
{
	const struct mtty_uart *u = &m.uart[p];
	const struct shadow *s = &sh[p];
	unsigned int depth = mtty_uart_fifo_depth(u);
	unsigned int i;

	ASSERT(depth == 1 || depth == MTTY_FIFO_16550A ||
	       (u->deep && depth == MTTY_FIFO_16750), "port %u depth %u", p, depth);
	ASSERT(u->rx.count <= depth, "port %u rx.count %u > depth %u", p,
	       u->rx.count, depth);
	ASSERT(u->tx.count <= depth, "port %u tx.count %u > depth %u", p,
	       u->tx.count, depth);
	ASSERT(u->rx.head < MTTY_FIFO_MAX && u->tx.head < MTTY_FIFO_MAX,
	       "port %u head out of range", p);
	ASSERT(!(u->lsr_err & ~MTTY_LSR_OE), "port %u lsr_err %02x", p,
	       u->lsr_err);
	for (i = 0; i < MTTY_FIFO_MAX; i++)
		ASSERT(!u->tx.err[i] &&
		       !(u->rx.err[i] & ~MTTY_LSR_CHAR_ERR_MASK) &&
		       (!u->rx.err[i] ||
			(i - u->rx.head + MTTY_FIFO_MAX) % MTTY_FIFO_MAX <
			u->rx.count), "port %u stray error flag at %u", p, i);
	/* the transmitter drains into the receiver whenever it has room */
	ASSERT(!u->tx.count || u->rx.count == depth,
	       "port %u: %u bytes stuck in TX with RX %u/%u", p, u->tx.count,
	       u->rx.count, depth);
	/* nothing invented, lost or reordered */
	ASSERT(s->n == (unsigned int)u->rx.count + u->tx.count,
	       "port %u holds %u bytes, shadow %u", p,
	       u->rx.count + u->tx.count, s->n);
	for (i = 0; i < u->rx.count; i++)
		ASSERT(fifo_at(&u->rx, i) == s->q[i],
		       "port %u rx[%u]=%02x, want %02x", p, i,
		       fifo_at(&u->rx, i), s->q[i]);
	for (i = 0; i < u->tx.count; i++)
		ASSERT(fifo_at(&u->tx, i) == s->q[u->rx.count + i],
		       "port %u tx[%u]=%02x, want %02x", p, i,
		       fifo_at(&u->tx, i), s->q[u->rx.count + i]);
	/* accounting: accepted + breaks = delivered + held + cleared */
	ASSERT(u->tx_bytes == s->accepted, "port %u tx_bytes %llu, shadow %llu",
	       p, (unsigned long long)u->tx_bytes, s->accepted);
	ASSERT(u->rx_bytes == s->delivered,
	       "port %u rx_bytes %llu, shadow %llu", p,
	       (unsigned long long)u->rx_bytes, s->delivered);
	ASSERT(s->accepted + s->breaks == s->delivered + s->n + s->cleared,
	       "port %u conservation", p);
	/* register sanity */
	ASSERT(!(u->ier & ~(u->deep ? MTTY_IER_16750_MASK : MTTY_IER_16550A_MASK)),
	       "port %u IER %02x", p, u->ier);
	ASSERT(!(u->mcr & ~(u->deep ? MTTY_MCR_16750_MASK : MTTY_MCR_16550A_MASK)),
	       "port %u MCR %02x", p, u->mcr);
	ASSERT(!u->fifo64 || u->deep, "port %u 64-byte FIFO on a 16550A", p);
	ASSERT(mtty_uart_iir_id(u) == expected_iir_id(u),
	       "port %u IIR id %02x, want %02x", p, mtty_uart_iir_id(u),
	       expected_iir_id(u));
	ASSERT(mtty_uart_irq_pending(u) ==
	       (expected_iir_id(u) != MTTY_IIR_NO_INT), "port %u pending", p);
}

static void check_cfg(void)
{
	unsigned int off, i;
	u16 cmd = mtty_pci_command(&m.pci);
	bool line = mtty_model_intx_line(&m);

	for (off = 0; off < MTTY_PCI_CFG_SIZE; off++) {
		u8 now = m.pci.cfg[off];
		u8 ro = ~m.pci.wmask[off];

		if (off == MTTY_PCI_STATUS) {
			ASSERT(!!(now & MTTY_PCI_STS_INTX) == line,
			       "status INTx %02x, line %d", now, line);
			now &= ~MTTY_PCI_STS_INTX;
		}
		ASSERT((now & ro) == (pristine.cfg[off] & ro),
		       "cfg[%02x]=%02x read-only bits changed (was %02x)", off,
		       now, pristine.cfg[off]);
	}
	ASSERT(!(cmd & ~(MTTY_PCI_CMD_IO | MTTY_PCI_CMD_MASTER |
			 MTTY_PCI_CMD_PARITY | MTTY_PCI_CMD_SERR |
			 MTTY_PCI_CMD_INTX_DIS)), "command %04x", cmd);
	for (i = 0; i < MTTY_PCI_NUM_BARS; i++) {
		u32 bar = mtty_model_cfg_read(&m, MTTY_PCI_BAR0 + 4 * i, 4);

		if (i < m.nports)
			ASSERT((bar & 7) == 1, "BAR%u %08x", i, bar);
		else
			ASSERT(bar == 0, "unused BAR%u %08x", i, bar);
	}
	ASSERT(mtty_model_cfg_read(&m, 0, 4) == 0x32534348, "ids");
	ASSERT(mtty_model_cfg_read(&m, 0x2c, 4) == 0x32534348, "subsystem");
	ASSERT(mtty_model_cfg_read(&m, MTTY_PCI_INTERRUPT_PIN, 1) == 1, "pin");
	ASSERT(mtty_model_cfg_read(&m, 0x34, 1) == 0, "cap ptr");
}

/*
 * After an operation returned @sig: validate the signal and that no
 * interrupt is left pending undelivered.  @new_src: sources that became
 * pending in the operation (MSI edge), or -1 if not tracked.
 */
static void check_irq(unsigned int sig, bool was_masked, int new_src)
{
	bool line = mtty_model_intx_line(&m);
	bool dis = mtty_pci_command(&m.pci) & MTTY_PCI_CMD_INTX_DIS;

	ASSERT(!(sig & ~(MTTY_SIG_INTX | MTTY_SIG_MSI)), "sig %x", sig);
	if (sig & MTTY_SIG_INTX) {
		ASSERT(m.irq_mode == MTTY_IRQ_INTX, "INTx signal in mode %d",
		       m.irq_mode);
		ASSERT(line && !dis && !was_masked,
		       "INTx signal: line %d disabled %d was masked %d", line,
		       dis, was_masked);
		ASSERT(m.intx_masked, "INTx not automasked after signal");
	}
	if (sig & MTTY_SIG_MSI) {
		ASSERT(m.irq_mode == MTTY_IRQ_MSI, "MSI signal in mode %d",
		       m.irq_mode);
		ASSERT(new_src != 0, "MSI signal without a new source");
	}
	if (m.irq_mode == MTTY_IRQ_MSI && new_src > 0)
		ASSERT(sig & MTTY_SIG_MSI, "new source %x without MSI", new_src);
	/* level-triggered INTx must not be left asserted and unsignalled */
	ASSERT(!(m.irq_mode == MTTY_IRQ_INTX && line && !dis && !m.intx_masked),
	       "INTx line high, unmasked, enabled and not signalled");
	if (m.irq_mode != MTTY_IRQ_INTX)
		ASSERT(!(sig & MTTY_SIG_INTX), "INTx outside INTx mode");
}

static void check_all(void)
{
	unsigned int p;

	for (p = 0; p < m.nports; p++)
		check_port(p);
	check_cfg();
}

static void check_reset_state(void)
{
	unsigned int p;

	for (p = 0; p < m.nports; p++) {
		const struct mtty_uart *u = &m.uart[p];

		ASSERT(!u->rx.count && !u->tx.count, "port %u FIFOs after reset", p);
		ASSERT(!u->ier && !u->lcr && !u->mcr && !u->scr && !u->fcr &&
		       !u->lsr_err && !u->msr_delta && !u->fifo64,
		       "port %u registers after reset", p);
	}
	ASSERT(!mtty_model_intx_line(&m), "INTx line high after reset");
	ASSERT(!memcmp(m.pci.cfg, pristine.cfg, sizeof(pristine.cfg)),
	       "config space after reset");
}

/* UART register write with the shadow bookkeeping it implies. */
static unsigned int do_bar_write(unsigned int p, unsigned int reg, u8 val)
{
	struct mtty_uart *u = &m.uart[p];
	struct shadow *s = &sh[p];
	bool dlab = u->lcr & MTTY_LCR_DLAB;
	unsigned int depth0 = mtty_uart_fifo_depth(u);
	unsigned int rx0 = u->rx.count, tx0 = u->tx.count;
	u64 acc0 = u->tx_bytes, drop0 = u->tx_dropped;
	u8 lcr0 = u->lcr, ier0 = u->ier;
	unsigned int src0 = mtty_uart_sources(u);
	bool was_masked = m.intx_masked;
	unsigned int sig;

	sig = mtty_model_bar_write(&m, p, reg, val);

	switch (reg) {
	case MTTY_UART_THR:
		if (dlab) {
			ASSERT(u->dll == val, "DLL %02x want %02x", u->dll, val);
			ASSERT(u->tx_bytes == acc0, "DLL write accepted as data");
			break;
		}
		if (tx0 < depth0) {
			ASSERT(u->tx_bytes == acc0 + 1 && u->tx_dropped == drop0,
			       "THR write with room not accepted (tx %u/%u)",
			       tx0, depth0);
			s->accepted++;
			shadow_push(s, val);
		} else {
			ASSERT(u->tx_bytes == acc0 && u->tx_dropped == drop0 + 1,
			       "THR write to a full FIFO accepted");
		}
		ASSERT(!(u->thre_int && u->tx.count), "THRE pending with TX data");
		break;
	case MTTY_UART_IER:
		if (dlab) {
			ASSERT(u->dlm == val && u->ier == ier0, "DLM write");
			break;
		}
		/* enabling THRI with TX empty raises THRE */
		if ((val & MTTY_IER_THRI) && !(ier0 & MTTY_IER_THRI) && !tx0)
			ASSERT(u->thre_int, "THRI 0->1 with TX empty: no THRE");
		break;
	case MTTY_UART_FCR: {
		unsigned int depth1 = mtty_uart_fifo_depth(u);

		if (depth1 != depth0) {
			shadow_drop_front(s, s->n);
		} else {
			if (val & MTTY_FCR_CLEAR_XMIT)
				shadow_drop_back(s, tx0);
			if (val & MTTY_FCR_CLEAR_RCVR)
				shadow_drop_front(s, rx0);
		}
		ASSERT(!!(u->fcr & MTTY_FCR_ENABLE) == !!(val & MTTY_FCR_ENABLE),
		       "FCR enable");
		break;
	}
	case MTTY_UART_LCR:
		ASSERT(u->lcr == val, "LCR %02x want %02x", u->lcr, val);
		if ((val & MTTY_LCR_SBC) && !(lcr0 & MTTY_LCR_SBC)) {
			if (rx0 < depth0) {
				ASSERT(!tx0, "break with TX data and RX room");
				ASSERT(u->rx.err[(u->rx.head + rx0) % MTTY_FIFO_MAX] ==
				       MTTY_LSR_BI, "break NUL without BI");
				s->breaks++;
				shadow_push(s, 0);
			} else {
				ASSERT(u->lsr_err & MTTY_LSR_OE,
				       "break into a full RX FIFO without OE");
			}
		}
		break;
	case MTTY_UART_MCR:
		ASSERT(u->mcr == (val & (u->deep ? MTTY_MCR_16750_MASK :
					 MTTY_MCR_16550A_MASK)), "MCR");
		break;
	case MTTY_UART_SCR:
		ASSERT(u->scr == val, "SCR");
		break;
	}
	check_port(p);
	check_irq(sig, was_masked, mtty_uart_sources(u) & ~src0);
	return sig;
}

static unsigned int do_bar_read(unsigned int p, unsigned int reg, u8 *out)
{
	struct mtty_uart *u = &m.uart[p];
	struct shadow *s = &sh[p];
	bool dlab = u->lcr & MTTY_LCR_DLAB;
	u8 id0 = expected_iir_id(u);
	unsigned int rx0 = u->rx.count, tx0 = u->tx.count;
	u8 lsr_err0 = line_errors(u), mcr0 = u->mcr, delta0 = u->msr_delta;
	bool fifoe0 = fifo_error(u);
	u8 dll0 = u->dll, dlm0 = u->dlm, ier0 = u->ier, lcr0 = u->lcr;
	u8 scr0 = u->scr;
	unsigned int src0 = mtty_uart_sources(u);
	bool was_masked = m.intx_masked;
	unsigned int sig;
	u8 v;

	sig = mtty_model_bar_read(&m, p, reg, &v);
	*out = v;

	switch (reg) {
	case MTTY_UART_RBR:
		if (dlab) {
			ASSERT(v == dll0, "DLL read");
		} else if (rx0) {
			u8 want = shadow_pop(s);

			s->delivered++;
			ASSERT(v == want, "RBR %02x, want %02x (oldest)", v, want);
		} else {
			ASSERT(v == 0 && s->n == 0, "RBR with RX empty");
		}
		break;
	case MTTY_UART_IER:
		ASSERT(v == (dlab ? dlm0 : ier0), "IER/DLM read");
		break;
	case MTTY_UART_IIR:
		ASSERT((v & 0x0f) == id0, "IIR %02x, want id %02x", v, id0);
		ASSERT(!!(v & MTTY_IIR_FIFO_ON) == !!(u->fcr & MTTY_FCR_ENABLE),
		       "IIR FIFO bits %02x", v);
		ASSERT(!(v & 0x10) && !!(v & MTTY_IIR_FIFO64) == u->fifo64,
		       "IIR %02x", v);
		if (id0 == MTTY_IIR_THRI)
			ASSERT(!u->thre_int, "IIR read did not clear THRE");
		break;
	case MTTY_UART_LCR:
		ASSERT(v == lcr0, "LCR read");
		break;
	case MTTY_UART_MCR:
		ASSERT(v == mcr0, "MCR read");
		break;
	case MTTY_UART_LSR:
		ASSERT(!!(v & MTTY_LSR_DR) == !!rx0, "LSR.DR %02x rx %u", v, rx0);
		ASSERT(!!(v & MTTY_LSR_THRE) == !tx0 && !!(v & MTTY_LSR_TEMT) == !tx0,
		       "LSR.THRE/TEMT %02x tx %u", v, tx0);
		ASSERT((v & MTTY_LSR_ERR_MASK) == lsr_err0 &&
		       !!(v & MTTY_LSR_FIFOE) == fifoe0, "LSR errors %02x", v);
		ASSERT(!line_errors(u), "LSR read did not clear errors");
		break;
	case MTTY_UART_MSR:
		ASSERT(v == (expected_msr_lines(mcr0) | delta0),
		       "MSR %02x, MCR %02x delta %02x", v, mcr0, delta0);
		ASSERT(!u->msr_delta, "MSR read did not clear deltas");
		break;
	case MTTY_UART_SCR:
		ASSERT(v == scr0, "SCR read");
		break;
	}
	check_port(p);
	check_irq(sig, was_masked, mtty_uart_sources(u) & ~src0);
	return sig;
}

static void do_cfg_write(unsigned int off, unsigned int len, u32 val)
{
	u8 before[MTTY_PCI_CFG_SIZE];
	bool was_masked = m.intx_masked;
	unsigned int i, sig;

	memcpy(before, m.pci.cfg, sizeof(before));
	sig = mtty_model_cfg_write(&m, off, len, val);
	for (i = 0; i < MTTY_PCI_CFG_SIZE; i++) {
		u8 wm = m.pci.wmask[i];
		u8 now = m.pci.cfg[i], want = before[i];

		if (i >= off && i < off + len)
			want = (want & ~wm) | ((val >> (8 * (i - off))) & wm);
		if (i == MTTY_PCI_STATUS)
			now &= ~MTTY_PCI_STS_INTX, want &= ~MTTY_PCI_STS_INTX;
		ASSERT(now == want, "cfg[%02x]=%02x after write %u@%02x=%08x, want %02x",
		       i, now, len, off, val, want);
	}
	/* BAR sizing: all ones reads back the size mask */
	for (i = 0; i < m.nports; i++)
		if (off == MTTY_PCI_BAR0 + 4 * i && len == 4 && val == 0xffffffff)
			ASSERT(mtty_model_cfg_read(&m, off, 4) == 0xfffffff9,
			       "BAR%u sizing %08x", i, mtty_model_cfg_read(&m, off, 4));
	check_cfg();
	check_irq(sig, was_masked, 0);
}

static void do_cfg_read(unsigned int off, unsigned int len)
{
	u32 v = mtty_model_cfg_read(&m, off, len), b = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		b |= (u32)mtty_model_cfg_read(&m, off + i, 1) << (8 * i);
	ASSERT(v == b, "cfg read %u@%02x %08x vs bytes %08x", len, off, v, b);
	ASSERT(len == 4 || v >> (8 * len) == 0, "cfg read wider than %u", len);
}

static void do_reset(void)
{
	unsigned int p;
	bool was_masked = m.intx_masked;
	u8 v;

	mtty_model_reset(&m);
	for (p = 0; p < m.nports; p++) {
		sh[p].cleared += sh[p].n;
		sh[p].n = 0;
	}
	check_reset_state();
	check_all();
	check_irq(0, was_masked, 0);
	/* the documented reset values, read through the registers */
	for (p = 0; p < m.nports; p++) {
		static const struct { u8 reg, val; } rv[] = {
			{ MTTY_UART_IER, 0 }, { MTTY_UART_IIR, 0x01 },
			{ MTTY_UART_LCR, 0 }, { MTTY_UART_MCR, 0 },
			{ MTTY_UART_LSR, 0x60 }, { MTTY_UART_MSR, 0 },
			{ MTTY_UART_SCR, 0 },
		};
		unsigned int i;

		for (i = 0; i < sizeof(rv) / sizeof(rv[0]); i++) {
			do_bar_read(p, rv[i].reg, &v);
			ASSERT(v == rv[i].val, "port %u reg %u after reset %02x want %02x",
			       p, rv[i].reg, v, rv[i].val);
		}
	}
	for (p = 0; p < m.nports; p++)
		ASSERT(mtty_model_cfg_read(&m, MTTY_PCI_BAR0 + 4 * p, 4) == 1,
		       "BAR%u after reset", p);
	ASSERT(mtty_model_cfg_read(&m, MTTY_PCI_COMMAND, 2) == 0, "command after reset");
}

/* Write up to @n bytes honouring THRE (as the 8250 driver does). */
static void do_burst(unsigned int p, unsigned int n, u8 seed)
{
	unsigned int i;
	u8 lsr;

	if (m.uart[p].lcr & MTTY_LCR_DLAB)
		do_bar_write(p, MTTY_UART_LCR, m.uart[p].lcr & ~MTTY_LCR_DLAB);
	do_bar_read(p, MTTY_UART_LSR, &lsr);
	if (!(lsr & MTTY_LSR_THRE))
		return;
	/* after THRE at most FIFO-size bytes, every one must be accepted */
	for (i = 0; i < n && i < mtty_uart_fifo_depth(&m.uart[p]); i++) {
		u64 acc = m.uart[p].tx_bytes;

		do_bar_write(p, MTTY_UART_THR, (u8)(seed + i));
		ASSERT(m.uart[p].tx_bytes == acc + 1,
		       "byte %u after THRE dropped", i);
	}
}

static void do_drain(unsigned int p)
{
	unsigned int guard = 0;
	u8 lsr, v;

	if (m.uart[p].lcr & MTTY_LCR_DLAB)
		do_bar_write(p, MTTY_UART_LCR, m.uart[p].lcr & ~MTTY_LCR_DLAB);
	for (;;) {
		do_bar_read(p, MTTY_UART_LSR, &lsr);
		if (!(lsr & MTTY_LSR_DR))
			break;
		do_bar_read(p, MTTY_UART_RBR, &v);
		ASSERT(++guard <= 2 * MTTY_FIFO_MAX + 1, "drain does not end");
	}
	ASSERT(sh[p].n == 0, "drained port %u still holds %u bytes", p, sh[p].n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nports, p;
	bool deep;
	u8 hdr, op, a, b, c, d, v;

	in = data;
	in_len = size;
	in_pos = 0;
	step = 0;
	if (!next(&hdr))
		return 0;
	nports = 1 + (hdr & 1);
	deep = hdr & 2;

	memset(uarts, 0x5a, sizeof(uarts));	/* init must not need zeroes */
	memset(sh, 0, sizeof(sh));
	mtty_model_init(&m, uarts, nports, deep);
	pristine = m.pci;
	check_reset_state();
	check_all();

	while (next(&op)) {
		step++;
		p = (op >> 4) % nports;
		switch (op & 0x0f) {
		case 0: case 1: case 2:		/* register write */
			if (!next(&a) || !next(&v))
				return 0;
			do_bar_write(p, a & 7, v);
			break;
		case 3: case 4: case 5:		/* register read */
			if (!next(&a))
				return 0;
			do_bar_read(p, a & 7, &v);
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
			do_cfg_write(off, len, b | c << 8 | (u32)d << 16 |
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
			do_cfg_read(off, len);
			break;
		}
		case 8:
			do_reset();
			break;
		case 9: {			/* VFIO SET_IRQS trigger */
			unsigned int sig = mtty_model_set_irq_mode(&m,
						(enum mtty_irq_mode)((op >> 4) % 3));

			ASSERT(!m.intx_masked || (sig & MTTY_SIG_INTX),
			       "mode change left INTx masked");
			check_irq(sig, false, 0);	/* a mode change unmasks */
			break;
		}
		case 10:			/* VFIO MASK */
			mtty_model_intx_mask(&m);
			ASSERT(m.intx_masked, "mask");
			check_irq(0, true, 0);
			break;
		case 11: {			/* VFIO UNMASK (the guest's EOI) */
			unsigned int sig = mtty_model_intx_unmask(&m);

			check_irq(sig, false, 0);
			break;
		}
		case 12: case 13:		/* THRE-honouring burst */
			if (!next(&a))
				return 0;
			do_burst(p, 1 + (a & 0x3f), a);
			break;
		case 14:			/* read everything back */
			do_drain(p);
			break;
		case 15:			/* FCR shortcut: FIFOs on/off */
			do_bar_write(p, MTTY_UART_FCR, (op & 0x80) ? 0xc7 : 0x00);
			break;
		}
		check_all();
	}
	/* Drain every port: whatever was accepted and not cleared comes back. */
	for (p = 0; p < nports; p++)
		do_drain(p);
	return 0;
}
