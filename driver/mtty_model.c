// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_model.c - interrupt routing of an mtty card: the UARTs' interrupt
 * outputs are or-ed onto INTA# (level, VFIO automasked) or sent as MSI
 * messages on each new interrupt event.  Pure model: no kernel headers.
 */
#include "mtty_model.h"

void mtty_model_init(struct mtty_model *m, struct mtty_uart *uart,
		     unsigned int nports, bool deep)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (nports > MTTY_MAX_PORTS_PER_DEV)
		nports = MTTY_MAX_PORTS_PER_DEV;
	m->uart = uart;
	m->nports = nports;
	mtty_pci_init(&m->pci, nports, MTTY_BAR_SIZE);
	for (i = 0; i < nports; i++)
		mtty_uart_init(&m->uart[i], deep);
}

bool mtty_model_intx_line(const struct mtty_model *m)
{
	unsigned int i;

	for (i = 0; i < m->nports; i++)
		if (mtty_uart_irq_pending(&m->uart[i]))
			return true;
	return false;
}

/* no port: a change that is not one port's (config space, mode, timer) */
#define MODEL_NO_PORT	(~0u)

/*
 * A source new on @port will be found by the guest's handler without a
 * signal: the user unmasks on every access (intx_lazy), the line is
 * unmasked, and the port's handler is running (its last IIR read showed an
 * interrupt; the 8250 handler reads IIR again until it shows none).
 */
static bool model_handler_finds(const struct mtty_model *m, unsigned int port)
{
	return m->intx_lazy && !m->intx_masked && port < m->nports &&
	       (m->intx_isr & (1u << port)) &&
	       !(mtty_pci_command(&m->pci) & MTTY_PCI_CMD_INTX_DIS);
}

static unsigned int model_defer(struct mtty_model *m)
{
	m->intx_deferred = true;
	m->intx_defer_acts = 0;
	m->intx_defer_periods = 0;
	return MTTY_SIG_INTX_DEFER;
}

/*
 * Re-evaluate the interrupt outputs after a change.  @new_sources are the
 * interrupt sources of @port that were not pending before the change.
 */
static unsigned int model_update(struct mtty_model *m, unsigned int port,
				 unsigned int new_sources)
{
	bool line = mtty_model_intx_line(m);
	unsigned int sig = 0;

	mtty_pci_set_intx_status(&m->pci, line);

	switch (m->irq_mode) {
	case MTTY_IRQ_INTX:
		if (!line) {
			/* serviced: nothing left to re-assert or to tell */
			m->intx_deferred = false;
			m->intx_news = false;
			break;
		}
		if (new_sources && model_handler_finds(m, port)) {
			/* the running handler's next IIR read finds it */
			if (!m->intx_deferred)
				sig |= model_defer(m);
			break;
		}
		if (new_sources) {
			/* any other new event ends a deferral */
			m->intx_deferred = false;
			m->intx_news = true;
		}
		/* a deferred level waits for its timer */
		if (m->intx_deferred)
			break;
		if (!m->intx_masked &&
		    !(mtty_pci_command(&m->pci) & MTTY_PCI_CMD_INTX_DIS)) {
			m->intx_masked = true;
			m->intx_news = false;
			m->intx_signals++;
			sig |= MTTY_SIG_INTX;
		}
		break;
	case MTTY_IRQ_MSI:
		if (new_sources) {
			m->msi_signals++;
			sig |= MTTY_SIG_MSI;
		}
		break;
	case MTTY_IRQ_NONE:
		break;
	}
	return sig;
}

/* a guest access: evidence that its handler is still at work */
static void model_access(struct mtty_model *m)
{
	if (m->intx_deferred && m->intx_defer_acts < 0xff)
		m->intx_defer_acts++;
}

unsigned int mtty_model_bar_read(struct mtty_model *m, unsigned int port,
				 unsigned int reg, u8 *val)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	model_access(m);
	*val = mtty_uart_read(u, reg);
	if (reg == MTTY_UART_IIR) {
		if (*val & MTTY_IIR_NO_INT)
			m->intx_isr &= ~(1u << port);
		else
			m->intx_isr |= 1u << port;
	}
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}

unsigned int mtty_model_bar_write(struct mtty_model *m, unsigned int port,
				  unsigned int reg, u8 val)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	model_access(m);
	mtty_uart_write(u, reg, val);
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}

u32 mtty_model_cfg_read(const struct mtty_model *m, unsigned int off,
			unsigned int len)
{
	return mtty_pci_read(&m->pci, off, len);
}

unsigned int mtty_model_cfg_write(struct mtty_model *m, unsigned int off,
				  unsigned int len, u32 val)
{
	bool dis = mtty_pci_command(&m->pci) & MTTY_PCI_CMD_INTX_DIS;

	mtty_pci_write(&m->pci, off, len, val);
	/*
	 * Clearing INTx Disable with the line high raises the interrupt at
	 * once (vfio-pci unmasks then), deferred or not.
	 */
	if (dis && !(mtty_pci_command(&m->pci) & MTTY_PCI_CMD_INTX_DIS))
		m->intx_deferred = false;
	return model_update(m, MODEL_NO_PORT, 0);
}

void mtty_model_reset(struct mtty_model *m)
{
	unsigned int i;

	for (i = 0; i < m->nports; i++)
		mtty_uart_reset(&m->uart[i]);
	mtty_pci_reset(&m->pci);
	m->intx_deferred = false;
	m->intx_news = false;
	m->intx_isr = 0;
	model_update(m, MODEL_NO_PORT, 0);
}

unsigned int mtty_model_set_irq_mode(struct mtty_model *m,
				     enum mtty_irq_mode mode)
{
	m->irq_mode = mode;
	m->intx_masked = false;
	m->intx_deferred = false;
	m->intx_lazy = false;
	m->intx_news = false;
	m->intx_isr = 0;
	return model_update(m, MODEL_NO_PORT, 0);
}

void mtty_model_intx_mask(struct mtty_model *m)
{
	/* the next unmask re-evaluates the line */
	m->intx_masked = true;
	m->intx_deferred = false;
}

unsigned int mtty_model_intx_unmask(struct mtty_model *m)
{
	m->intx_masked = false;
	m->intx_deferred = false;
	m->intx_lazy = false;
	return model_update(m, MODEL_NO_PORT, 0);
}

unsigned int mtty_model_intx_unmask_deferred(struct mtty_model *m)
{
	if (m->irq_mode != MTTY_IRQ_INTX)
		return 0;
	m->intx_lazy = true;
	if (!m->intx_masked)	/* a second unmask changes nothing */
		return model_update(m, MODEL_NO_PORT, 0);
	m->intx_masked = false;
	/*
	 * Only the level the user was told about is deferred: a source that
	 * became pending since the last signal is news, signalled at once.
	 */
	if (!mtty_model_intx_line(m) || m->intx_news || !m->intx_isr ||
	    (mtty_pci_command(&m->pci) & MTTY_PCI_CMD_INTX_DIS))
		return model_update(m, MODEL_NO_PORT, 0);
	return model_defer(m);
}

unsigned int mtty_model_intx_deferred(struct mtty_model *m)
{
	unsigned int sig;

	if (!m->intx_deferred)
		return 0;
	if (m->intx_defer_acts &&
	    m->intx_defer_periods < MTTY_INTX_DEFER_MAX_PERIODS) {
		/* the guest is still at work in its handler: wait on */
		m->intx_defer_acts = 0;
		m->intx_defer_periods++;
		return MTTY_SIG_INTX_DEFER;
	}
	m->intx_deferred = false;
	sig = model_update(m, MODEL_NO_PORT, 0);
	if (sig & MTTY_SIG_INTX)
		m->intx_timer_signals++;
	return sig;
}

unsigned int mtty_model_refresh(struct mtty_model *m)
{
	unsigned int src = 0;
	unsigned int i;

	for (i = 0; i < m->nports; i++)
		src |= mtty_uart_sources(&m->uart[i]);
	m->intx_deferred = false;
	m->intx_news = false;
	m->intx_isr = 0;
	if (m->irq_mode == MTTY_IRQ_INTX && m->intx_masked) {
		/*
		 * Signalled on the source and not yet unmasked: the new user
		 * has no record of it (QEMU does not migrate intx.pending)
		 * and would never unmask, while its migrated line may be
		 * asserted.  Tell it once, whatever the line does now: its
		 * EOI then deasserts and unmasks, and the card signals again
		 * if a source is still pending.
		 */
		mtty_pci_set_intx_status(&m->pci, mtty_model_intx_line(m));
		m->intx_signals++;
		return MTTY_SIG_INTX;
	}
	return model_update(m, MODEL_NO_PORT, src);
}

/* ---- the host side of a port ---- */

void mtty_model_set_backend(struct mtty_model *m, unsigned int port,
			    u8 backend)
{
	mtty_uart_set_backend(&m->uart[port], backend);
	model_update(m, MODEL_NO_PORT, 0);
}

bool mtty_model_migratable(const struct mtty_model *m)
{
	unsigned int i;

	for (i = 0; i < m->nports; i++)
		if (m->uart[i].backend != MTTY_BACKEND_LOOPBACK)
			return false;
	return true;
}

unsigned int mtty_model_host_tx(struct mtty_model *m, unsigned int port,
				u8 *buf, unsigned int len, unsigned int *done)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	*done = mtty_uart_host_tx(u, buf, len);
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}

unsigned int mtty_model_host_rx(struct mtty_model *m, unsigned int port,
				const u8 *buf, unsigned int len,
				unsigned int *done)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	*done = mtty_uart_host_rx(u, buf, len);
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}

unsigned int mtty_model_host_break(struct mtty_model *m, unsigned int port)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	mtty_uart_host_break(u);
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}

unsigned int mtty_model_host_set_lines(struct mtty_model *m, unsigned int port,
				       u8 lines)
{
	struct mtty_uart *u = &m->uart[port];
	unsigned int before = mtty_uart_sources(u);

	mtty_uart_host_set_lines(u, lines);
	return model_update(m, port, mtty_uart_sources(u) & ~before);
}
