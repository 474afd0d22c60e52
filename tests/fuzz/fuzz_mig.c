// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_mig.c - libFuzzer target for the load path of the migration stream
 * (driver/mtty_mig.c with the model compiled in userspace).
 *
 * Input: one byte choosing the destination card (bit 0: 2 ports, bit 1:
 * deep FIFO) and seeding a few operations that leave it in a non-reset
 * state, then the stream handed to mtty_model_load().  Checked:
 *
 *  - nothing crashes or trips ASan/UBSan, whatever the bytes;
 *  - a rejected load returns one of the documented errors and leaves the
 *    destination unchanged byte for byte;
 *  - an accepted load leaves a state the model can reach: FIFO counts
 *    within the depth of the mode, TX data only with RX full, THRE pending
 *    only with TX empty, OE and a revealed BI the only latched errors, the
 *    top character's error revealed, BI only on NULs inside
 *    the RX FIFO, IER/MCR/FCR within their writable bits, 64-byte mode only
 *    on deep ports, config space read-only bits as after init, PCI status
 *    INTx following the line, no INTx left asserted and unsignalled;
 *  - re-saving an accepted stream gives back exactly the input bytes, and
 *    the port can be drained.
 *
 * Any violation aborts.  Build: tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtty_mig.h"

#define ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "mtty mig invariant violated: %s: ", \
				#cond);					\
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, "\n");				\
			abort();					\
		}							\
	} while (0)

static struct mtty_uart uarts[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_uart uarts_before[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m, m_before;
static struct mtty_pci pristine;
static u8 out[MTTY_MIG_MAX_SIZE];

/* a few operations from @seed so that the destination is not pristine */
static void dirty(unsigned int seed)
{
	unsigned int i, n = seed & 7;
	u8 v;

	for (i = 0; i < n; i++) {
		unsigned int p = i % m.nports;

		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 6) {
		case 0:
			mtty_model_bar_write(&m, p, MTTY_UART_FCR, 0xc1);
			break;
		case 1:
			mtty_model_bar_write(&m, p, MTTY_UART_THR, seed >> 8);
			break;
		case 2:
			mtty_model_bar_write(&m, p, MTTY_UART_IER, seed >> 20);
			break;
		case 3:
			mtty_model_bar_write(&m, p, MTTY_UART_LCR, 0x43);
			mtty_model_bar_write(&m, p, MTTY_UART_LCR, 0x03);
			break;
		case 4:
			mtty_model_set_irq_mode(&m, (seed >> 24) % 3);
			mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, seed >> 12);
			break;
		case 5:
			mtty_model_bar_read(&m, p, MTTY_UART_RBR, &v);
			break;
		}
	}
}

static void check_port(unsigned int p)
{
	const struct mtty_uart *u = &m.uart[p];
	unsigned int depth = mtty_uart_fifo_depth(u), i, pos;
	u8 ier = u->deep ? MTTY_IER_16750_MASK : MTTY_IER_16550A_MASK;
	u8 mcr = u->deep ? MTTY_MCR_16750_MASK : MTTY_MCR_16550A_MASK;

	ASSERT(depth == 1 || depth == 16 || (u->deep && depth == 64),
	       "port %u depth %u", p, depth);
	ASSERT(!u->fifo64 || u->deep, "port %u 64-byte mode on a 16550A", p);
	ASSERT(u->rx.count <= depth && u->tx.count <= depth,
	       "port %u counts %u/%u depth %u", p, u->rx.count, u->tx.count,
	       depth);
	ASSERT(u->rx.head < MTTY_FIFO_MAX && u->tx.head < MTTY_FIFO_MAX,
	       "port %u heads", p);
	ASSERT(!u->tx.count || u->rx.count == depth,
	       "port %u TX data with RX room", p);
	ASSERT(!(u->thre_int && u->tx.count), "port %u THRE with TX data", p);
	ASSERT(!(u->lsr_err & ~(MTTY_LSR_OE | MTTY_LSR_BI)),
	       "port %u lsr_err %02x", p, u->lsr_err);
	ASSERT(!u->rx.count || !u->rx.err[u->rx.head],
	       "port %u top character's error not revealed", p);
	ASSERT(!(u->msr_delta & ~MTTY_MSR_DELTA_MASK), "port %u msr_delta", p);
	ASSERT(!(u->ier & ~ier) && !(u->mcr & ~mcr), "port %u IER/MCR", p);
	ASSERT(!(u->fcr & ~(MTTY_FCR_ENABLE | MTTY_FCR_DMA_SELECT |
			    MTTY_FCR_TRIGGER_MASK)) &&
	       (!u->fcr || (u->fcr & MTTY_FCR_ENABLE)), "port %u FCR %02x", p,
	       u->fcr);
	for (i = 0; i < MTTY_FIFO_MAX; i++) {
		pos = (i - u->rx.head + MTTY_FIFO_MAX) % MTTY_FIFO_MAX;
		ASSERT(!u->tx.err[i], "port %u TX error flag", p);
		if (pos >= u->rx.count)
			ASSERT(!u->rx.err[i], "port %u stray RX flag %u", p, i);
		else
			ASSERT(!u->rx.err[i] ||
			       (u->rx.err[i] == MTTY_LSR_BI && !u->rx.data[i]),
			       "port %u RX flag %02x on %02x", p, u->rx.err[i],
			       u->rx.data[i]);
	}
}

static void check_model(void)
{
	bool line = mtty_model_intx_line(&m);
	u16 cmd = mtty_pci_command(&m.pci);
	unsigned int off, p;

	for (p = 0; p < m.nports; p++)
		check_port(p);
	for (off = 0; off < MTTY_PCI_CFG_SIZE; off++) {
		u8 ro = ~m.pci.wmask[off];
		u8 now = m.pci.cfg[off];

		if (off == MTTY_PCI_STATUS) {
			ASSERT(!!(now & MTTY_PCI_STS_INTX) == line,
			       "status INTx %02x line %d", now, line);
			now &= ~MTTY_PCI_STS_INTX;
		}
		ASSERT((now & ro) == (pristine.cfg[off] & ro),
		       "cfg[%02x]=%02x read-only bits", off, now);
	}
	ASSERT(m.irq_mode <= MTTY_IRQ_MSI, "irq mode %d", m.irq_mode);
	ASSERT(!(m.irq_mode == MTTY_IRQ_INTX && line && !m.intx_masked &&
		 !(cmd & MTTY_PCI_CMD_INTX_DIS)),
	       "INTx asserted, unmasked and not signalled");
}

static bool same_as_before(void)
{
	return !memcmp(uarts, uarts_before, sizeof(uarts)) &&
	       !memcmp(&m.pci, &m_before.pci, sizeof(m.pci)) &&
	       m.uart == m_before.uart && m.nports == m_before.nports &&
	       m.irq_mode == m_before.irq_mode &&
	       m.intx_masked == m_before.intx_masked &&
	       m.intx_signals == m_before.intx_signals &&
	       m.msi_signals == m_before.msi_signals;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nports, sig = 0, p, guard;
	bool deep;
	long len;
	int ret;
	u8 lsr, v;

	if (!size)
		return 0;
	nports = 1 + (data[0] & 1);
	deep = data[0] & 2;
	memset(uarts, 0x5a, sizeof(uarts));
	mtty_model_init(&m, uarts, nports, deep);
	pristine = m.pci;
	dirty(data[0] >> 2);
	memcpy(uarts_before, uarts, sizeof(uarts));
	m_before = m;

	ret = mtty_model_load(&m, data + 1, size - 1, &sig);
	if (ret) {
		ASSERT(ret == -EMSGSIZE || ret == -EBADMSG ||
		       ret == -EOPNOTSUPP || ret == -ENODEV || ret == -EINVAL,
		       "undocumented error %d", ret);
		ASSERT(same_as_before(), "rejected load (%d) changed the model",
		       ret);
		return 0;
	}
	ASSERT(!(sig & ~(MTTY_SIG_INTX | MTTY_SIG_MSI)), "sig %x", sig);
	ASSERT(!(sig & MTTY_SIG_INTX) || m.irq_mode == MTTY_IRQ_INTX,
	       "INTx signal in mode %d", m.irq_mode);
	ASSERT(!(sig & MTTY_SIG_MSI) || m.irq_mode == MTTY_IRQ_MSI,
	       "MSI signal in mode %d", m.irq_mode);
	check_model();

	len = mtty_model_save(&m, out, sizeof(out));
	ASSERT(len == (long)(size - 1) && !memcmp(out, data + 1, len),
	       "re-saved stream differs (%ld vs %zu bytes)", len, size - 1);

	/* the restored ports work: drain them the 8250 way */
	for (p = 0; p < nports; p++) {
		/* a BI latched before saving shows once, with any character */
		bool latched = m.uart[p].lsr_err & MTTY_LSR_BI;

		mtty_model_bar_write(&m, p, MTTY_UART_LCR,
				     m.uart[p].lcr & ~MTTY_LCR_DLAB);
		for (guard = 0;; guard++) {
			ASSERT(guard <= 2 * MTTY_FIFO_MAX, "drain port %u", p);
			mtty_model_bar_read(&m, p, MTTY_UART_LSR, &lsr);
			if (!(lsr & MTTY_LSR_DR))
				break;
			mtty_model_bar_read(&m, p, MTTY_UART_RBR, &v);
			ASSERT(!(lsr & MTTY_LSR_BI) || !v ||
			       (latched && !guard), "BI on %02x", v);
		}
		ASSERT(!m.uart[p].rx.count && !m.uart[p].tx.count,
		       "port %u not drained", p);
	}
	check_model();
	return 0;
}
