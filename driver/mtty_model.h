/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_model.h - one mtty card: PCI configuration space, its UARTs and the
 * interrupt logic between them.  Pure model: no kernel headers.  The VFIO
 * glue serialises all calls and delivers the signals the calls return.
 */
#ifndef MTTY_MODEL_H
#define MTTY_MODEL_H

#include "mtty_compat.h"
#include "mtty_pci.h"
#include "mtty_uart.h"

#define MTTY_MAX_PORTS_PER_DEV	MTTY_PCI_NUM_BARS
#define MTTY_BAR_SIZE		MTTY_UART_NREGS

enum mtty_irq_mode {
	MTTY_IRQ_NONE,
	MTTY_IRQ_INTX,
	MTTY_IRQ_MSI,
};

/* What the caller must signal after a call */
#define MTTY_SIG_INTX		0x1
#define MTTY_SIG_MSI		0x2
/*
 * INTx signal deferred: the caller (re-)arms its timer and calls
 * mtty_model_intx_deferred() when it expires (see below)
 */
#define MTTY_SIG_INTX_DEFER	0x4
/* a deferral outlives at most this many timer periods of guest activity */
#define MTTY_INTX_DEFER_MAX_PERIODS	16

struct mtty_model {
	struct mtty_pci pci;
	struct mtty_uart *uart;		/* nports entries, owned by the caller */
	unsigned int nports;
	enum mtty_irq_mode irq_mode;
	bool intx_masked;		/* VFIO INTx automask state */
	/*
	 * The line is high, unmasked and not signalled yet, because the
	 * guest's handler is running and will find it: unmasked by the ioctl
	 * with the line still high, or a new source on a port inside its
	 * handler.  mtty_model_intx_deferred() signals it, a low line drops
	 * it.  Not migrated: the destination re-evaluates.
	 */
	bool intx_deferred;
	/*
	 * The last unmask came through the ioctl with deferral allowed
	 * (mtty_model_intx_unmask_deferred): the user unmasks on every BAR
	 * access (QEMU without an irqfd resampler), so the line is unmasked
	 * in the middle of the guest's handler.
	 */
	bool intx_lazy;
	/* BAR accesses seen during the current deferral period */
	u8 intx_defer_acts;
	/* timer periods the current deferral was extended by */
	u8 intx_defer_periods;
	/*
	 * A source became pending since the last INTx signal (while masked
	 * or deferred): an ioctl unmask with the line high signals at once.
	 */
	bool intx_news;
	/*
	 * Ports whose last IIR read showed an interrupt: the guest's handler
	 * is running (an 8250 handler reads IIR first and loops until IIR
	 * shows none).  Only then may an ioctl unmask defer: QEMU without a
	 * resampler also unmasks after an access that precedes the guest's
	 * acknowledgment, which deasserts the line; an i8259 (a guest booted
	 * with noapic) drops a level that goes away before it is
	 * acknowledged, so that unmask must signal again at once.  Not
	 * migrated (the destination signals at once until the next IIR read).
	 */
	u8 intx_isr;
	/* statistics */
	u64 intx_signals;		/* all INTx signals ... */
	u64 intx_timer_signals;		/* ... of which deferred ones */
	u64 msi_signals;
};

void mtty_model_init(struct mtty_model *m, struct mtty_uart *uart,
		     unsigned int nports, bool deep);
/* Device reset: UARTs and config space; interrupt wiring is kept. */
void mtty_model_reset(struct mtty_model *m);

unsigned int mtty_model_bar_read(struct mtty_model *m, unsigned int port,
				 unsigned int reg, u8 *val);
unsigned int mtty_model_bar_write(struct mtty_model *m, unsigned int port,
				  unsigned int reg, u8 val);
u32 mtty_model_cfg_read(const struct mtty_model *m, unsigned int off,
			unsigned int len);
unsigned int mtty_model_cfg_write(struct mtty_model *m, unsigned int off,
				  unsigned int len, u32 val);

unsigned int mtty_model_set_irq_mode(struct mtty_model *m,
				     enum mtty_irq_mode mode);
void mtty_model_intx_mask(struct mtty_model *m);
/*
 * Unmask with level semantics, as vfio-pci does: signals at once while the
 * line is high.  For the unmask eventfd, which a KVM host's irqfd
 * resampler writes at the guest's real EOI.
 */
unsigned int mtty_model_intx_unmask(struct mtty_model *m);
/*
 * Unmask through VFIO_DEVICE_SET_IRQS.  A user without an irqfd resampler
 * (QEMU under TCG, or KVM without irqfd) issues it on every BAR access
 * after an interrupt, i.e. in the middle of the guest's handler, so a line
 * that is still high is not re-signalled at once: the unmask returns
 * MTTY_SIG_INTX_DEFER and the caller calls mtty_model_intx_deferred()
 * after a delay.  The line going low (the handler serviced it) drops the
 * deferral.  Only an unmask inside the guest's handler (intx_isr) defers;
 * any other signals at once, as mtty_model_intx_unmask().
 *
 * After such an unmask, a source that becomes pending on a port whose
 * handler is running (its last IIR read showed an interrupt; an 8250
 * handler loops until IIR shows none, so it will find the source) is
 * deferred the same way: typically the receive interrupt of the bytes the
 * handler itself just wrote.  A new source on any other port, or while
 * masked (the user may unmask after its handler without reading IIR
 * again), is news and signals at once, or at the unmask.
 */
unsigned int mtty_model_intx_unmask_deferred(struct mtty_model *m);
/*
 * The caller's delay expired.  If the guest accessed the card during the
 * period (its handler is still at work), the deferral is extended by one
 * more period (MTTY_SIG_INTX_DEFER, at most MTTY_INTX_DEFER_MAX_PERIODS
 * times); otherwise an INTx still due is signalled.
 */
unsigned int mtty_model_intx_deferred(struct mtty_model *m);

/*
 * Re-evaluate the interrupt outputs after the whole state was replaced
 * (migration load): PCI status follows the line; in INTx mode a card that
 * was automasked on the source (signalled, not yet unmasked) signals once,
 * whatever its line does now (the user's own record of that interrupt,
 * e.g. QEMU's intx.pending, is not migrated; without a signal nobody would
 * unmask the card or deassert the migrated line),
 * and in MSI mode one message is due if any source is pending (a spurious
 * interrupt is harmless, a lost one stalls the guest).  Returns MTTY_SIG_*.
 */
unsigned int mtty_model_refresh(struct mtty_model *m);

/*
 * The host side of a port (see mtty_uart.h).  The backend is set while no
 * user has the device open.  Each call returns MTTY_SIG_*; host_tx and
 * host_rx store the bytes moved in *@done.
 */
void mtty_model_set_backend(struct mtty_model *m, unsigned int port,
			    u8 backend);
/* false while a port has a host backend: its far end cannot migrate */
bool mtty_model_migratable(const struct mtty_model *m);
unsigned int mtty_model_host_tx(struct mtty_model *m, unsigned int port,
				u8 *buf, unsigned int len, unsigned int *done);
unsigned int mtty_model_host_rx(struct mtty_model *m, unsigned int port,
				const u8 *buf, unsigned int len,
				unsigned int *done);
unsigned int mtty_model_host_break(struct mtty_model *m, unsigned int port);
unsigned int mtty_model_host_set_lines(struct mtty_model *m, unsigned int port,
				       u8 lines);

/* The INTx line as the device drives it (before VFIO masking). */
bool mtty_model_intx_line(const struct mtty_model *m);

#endif /* MTTY_MODEL_H */
