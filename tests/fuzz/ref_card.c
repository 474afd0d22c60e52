// SPDX-License-Identifier: GPL-2.0-only
/*
 * ref_card.c - reference mtty card for the differential model fuzzer: a
 * PCI 3.0 type 0 function (docs/design.md "Config space", man/mtty.4 "THE
 * GUEST'S VIEW") whose ports' interrupt outputs are or-ed onto INTA#,
 * delivered the way VFIO delivers them.  See ref_model.h.
 */
#include <string.h>

#include "ref_model.h"

/* identity of the card (docs/design.md) */
#define CARD_VENDOR	0x4348
#define CARD_DEVICE	0x3253
#define CARD_REVISION	0x10
#define CARD_PROG_IF	0x02	/* 16550-compatible */
#define CARD_SUBCLASS	0x00	/* serial controller */
#define CARD_BASECLASS	0x07	/* simple communication controller */
#define CARD_BAR_BYTES	8

/* PCI 3.0 6.2.2 command register bits this function implements */
#define CMD_IO_SPACE	0x0001
#define CMD_BUS_MASTER	0x0004
#define CMD_INTX_OFF	0x0400
/* 6.2.3 status register */
#define STS_INT_STATUS	0x0008
#define STS_DEVSEL_MED	0x0200

bool ref_card_irq_line(const struct ref_card *c)
{
	unsigned int i, k;

	for (i = 0; i < c->nports; i++) {
		bool p[REF_IRQ_NCLASSES];

		ref_uart_pending(&c->port[i], p);
		for (k = 0; k < REF_IRQ_NCLASSES; k++)
			if (p[k])
				return true;
	}
	return false;
}

static uint16_t command_reg(const struct ref_card *c)
{
	return (c->io_enable ? CMD_IO_SPACE : 0) |
	       (c->bus_master ? CMD_BUS_MASTER : 0) |
	       (c->intx_disable ? CMD_INTX_OFF : 0);
}

static uint16_t status_reg(const struct ref_card *c)
{
	/* bit 3 follows the function's interrupt, whatever INTx Disable
	 * says (6.2.3); no capability list, no error ever reported */
	return STS_DEVSEL_MED | (ref_card_irq_line(c) ? STS_INT_STATUS : 0);
}

uint8_t ref_card_cfg_byte(const struct ref_card *c, unsigned int off)
{
	unsigned int reg = off & ~3u, sh = 8 * (off & 3);
	uint32_t dw = 0;

	switch (reg) {
	case 0x00:
		dw = CARD_VENDOR | (uint32_t)CARD_DEVICE << 16;
		break;
	case 0x04:
		dw = command_reg(c) | (uint32_t)status_reg(c) << 16;
		break;
	case 0x08:
		dw = CARD_REVISION | CARD_PROG_IF << 8 | CARD_SUBCLASS << 16 |
		     (uint32_t)CARD_BASECLASS << 24;
		break;
	case 0x10: case 0x14: case 0x18: case 0x1c: case 0x20: case 0x24: {
		unsigned int bar = (reg - 0x10) / 4;

		/* I/O BAR: bit 0 = 1 (I/O space), bit 1 reserved 0,
		 * 8 bytes decoded so bits 2:... below the size read 0 */
		if (bar < c->nports)
			dw = (c->bar_addr[bar] & ~(uint32_t)(CARD_BAR_BYTES - 1)) | 1;
		break;
	}
	case 0x2c:
		dw = CARD_VENDOR | (uint32_t)CARD_DEVICE << 16;
		break;
	case 0x3c:
		dw = c->irq_line | 0x01 << 8;	/* interrupt pin INTA# */
		break;
	default:
		/* cache line, latency, header type 0, BIST, CardBus, ROM,
		 * capabilities pointer, Min_Gnt/Max_Lat: all hardwired 0;
		 * the device-specific area 0x40-0xff is empty */
		break;
	}
	return dw >> sh;
}

uint32_t ref_card_cfg_read(const struct ref_card *c, unsigned int off,
			   unsigned int len)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint32_t)ref_card_cfg_byte(c, off + i) << (8 * i);
	return v;
}

static void cfg_write_byte(struct ref_card *c, unsigned int off, uint8_t b)
{
	unsigned int bar;

	switch (off) {
	case 0x04:		/* command, low byte: I/O space, bus master */
		c->io_enable = b & 0x01;
		c->bus_master = b & 0x04;
		return;
	case 0x05:		/* command, high byte: INTx Disable */
		c->intx_disable = b & 0x04;
		return;
	case 0x3c:
		c->irq_line = b;
		return;
	}
	if (off >= 0x10 && off < 0x28) {
		bar = (off - 0x10) / 4;
		if (bar < c->nports) {
			unsigned int sh = 8 * (off & 3);

			c->bar_addr[bar] &= ~((uint32_t)0xff << sh);
			c->bar_addr[bar] |= (uint32_t)b << sh;
		}
	}
	/* everything else is read-only; status has no RW1C bit set ever */
}

/*
 * VFIO INTx (level, automasked): with the trigger set, an unmasked line
 * that is asserted (and not disabled by the guest) is signalled once and
 * masked; it stays quiet until UNMASK.  MSI: a message per operation that
 * made a new interrupt class pending.
 */
static unsigned int deliver(struct ref_card *c, bool new_event)
{
	unsigned int out = 0;

	switch (c->mode) {
	case REF_MODE_INTX:
		if (ref_card_irq_line(c) && !c->intx_disable && !c->intx_masked) {
			c->intx_masked = true;
			c->intx_count++;
			out |= REF_OUT_INTX;
		}
		break;
	case REF_MODE_MSI:
		if (new_event) {
			c->msi_count++;
			out |= REF_OUT_MSI;
		}
		break;
	case REF_MODE_NONE:
		break;
	}
	return out;
}

static bool newly_pending(const bool before[REF_IRQ_NCLASSES],
			  const struct ref_uart *u)
{
	bool after[REF_IRQ_NCLASSES];
	unsigned int k;

	ref_uart_pending(u, after);
	for (k = 0; k < REF_IRQ_NCLASSES; k++)
		if (after[k] && !before[k])
			return true;
	return false;
}

unsigned int ref_card_bar_read(struct ref_card *c, unsigned int port,
			       unsigned int reg, uint8_t *val)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	*val = ref_uart_read(&c->port[port], reg);
	return deliver(c, newly_pending(before, &c->port[port]));
}

unsigned int ref_card_bar_write(struct ref_card *c, unsigned int port,
				unsigned int reg, uint8_t val)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	ref_uart_write(&c->port[port], reg, val);
	return deliver(c, newly_pending(before, &c->port[port]));
}

unsigned int ref_card_cfg_write(struct ref_card *c, unsigned int off,
				unsigned int len, uint32_t val)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		cfg_write_byte(c, off + i, val >> (8 * i));
	/* clearing INTx Disable with the line high lets INTA# through */
	return deliver(c, false);
}

void ref_card_reset(struct ref_card *c)
{
	unsigned int i;

	for (i = 0; i < c->nports; i++)
		ref_uart_reset(&c->port[i]);
	/* PCI reset: command 0, BARs and interrupt line 0; the VFIO
	 * interrupt configuration (mode, mask) belongs to the host side and
	 * is kept */
	c->io_enable = c->bus_master = c->intx_disable = false;
	memset(c->bar_addr, 0, sizeof(c->bar_addr));
	c->irq_line = 0;
	deliver(c, false);	/* the line is low after a reset: no-op */
}

void ref_card_init(struct ref_card *c, unsigned int nports, bool deep)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->nports = nports > REF_MAX_PORTS ? REF_MAX_PORTS : nports;
	for (i = 0; i < c->nports; i++)
		ref_uart_power_on(&c->port[i], deep);
	ref_card_reset(c);
}

unsigned int ref_card_set_mode(struct ref_card *c, enum ref_irq_mode mode)
{
	/* SET_IRQS trigger: a newly configured INTx starts unmasked */
	c->mode = mode;
	c->intx_masked = false;
	return deliver(c, false);
}

void ref_card_mask(struct ref_card *c)
{
	c->intx_masked = true;
}

unsigned int ref_card_unmask(struct ref_card *c)
{
	c->intx_masked = false;
	return deliver(c, false);	/* re-signal a line still high */
}

/* ---- the far ends (backend "tty") ---- */

unsigned int ref_card_far_take(struct ref_card *c, unsigned int port,
			       uint8_t *buf, unsigned int len,
			       unsigned int *done)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	*done = ref_uart_far_take(&c->port[port], buf, len);
	return deliver(c, newly_pending(before, &c->port[port]));
}

unsigned int ref_card_far_give(struct ref_card *c, unsigned int port,
			       const uint8_t *buf, unsigned int len,
			       unsigned int *done)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	*done = ref_uart_far_give(&c->port[port], buf, len);
	return deliver(c, newly_pending(before, &c->port[port]));
}

unsigned int ref_card_far_break(struct ref_card *c, unsigned int port)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	ref_uart_far_break(&c->port[port]);
	return deliver(c, newly_pending(before, &c->port[port]));
}

unsigned int ref_card_far_set(struct ref_card *c, unsigned int port,
			      bool dtr, bool rts)
{
	bool before[REF_IRQ_NCLASSES];

	ref_uart_pending(&c->port[port], before);
	ref_uart_far_set(&c->port[port], dtr, rts);
	return deliver(c, newly_pending(before, &c->port[port]));
}
