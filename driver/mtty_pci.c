// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_pci.c - configuration space of the mtty serial card: fixed identity
 * registers, a writable command register and interrupt line, and one I/O BAR
 * per port that sizes like hardware.  Pure model: no kernel headers.
 */
#include "mtty_pci.h"

static void put16(u8 *b, unsigned int off, u16 val)
{
	b[off] = val & 0xff;
	b[off + 1] = val >> 8;
}

static void put32(u8 *b, unsigned int off, u32 val)
{
	put16(b, off, val & 0xffff);
	put16(b, off + 2, val >> 16);
}

void mtty_pci_reset(struct mtty_pci *p)
{
	unsigned int i;

	memset(p->cfg, 0, sizeof(p->cfg));
	put16(p->cfg, 0x00, MTTY_PCI_VENDOR_ID);
	put16(p->cfg, 0x02, MTTY_PCI_DEVICE_ID);
	put16(p->cfg, MTTY_PCI_STATUS, MTTY_PCI_STS_DEVSEL_MED);
	p->cfg[0x08] = MTTY_PCI_REVISION;
	p->cfg[0x09] = MTTY_PCI_PROG_IF;
	put16(p->cfg, 0x0a, MTTY_PCI_CLASS);
	for (i = 0; i < p->nbars; i++)
		put32(p->cfg, MTTY_PCI_BAR0 + 4 * i, 0x1);	/* I/O space */
	put16(p->cfg, 0x2c, MTTY_PCI_VENDOR_ID);	/* subsystem vendor */
	put16(p->cfg, 0x2e, MTTY_PCI_DEVICE_ID);	/* subsystem */
	p->cfg[MTTY_PCI_INTERRUPT_PIN] = 0x01;		/* INTA# */
}

void mtty_pci_init(struct mtty_pci *p, unsigned int nbars, u32 bar_size)
{
	/*
	 * The card reports no parity or system errors, so those enables are
	 * hardwired to 0 as the PCI spec allows; firmware that sets SERR#
	 * enable reads back the 0x0001 the seed's lspci shows.
	 */
	u16 cmd_mask = MTTY_PCI_CMD_IO | MTTY_PCI_CMD_MASTER |
		       MTTY_PCI_CMD_INTX_DIS;
	unsigned int i;

	if (nbars > MTTY_PCI_NUM_BARS)
		nbars = MTTY_PCI_NUM_BARS;
	p->nbars = nbars;
	p->bar_size = bar_size;

	memset(p->wmask, 0, sizeof(p->wmask));
	put16(p->wmask, MTTY_PCI_COMMAND, cmd_mask);
	/* I/O BARs: address bits above the size are writable, bit 0 reads 1 */
	for (i = 0; i < nbars; i++)
		put32(p->wmask, MTTY_PCI_BAR0 + 4 * i, ~(bar_size - 1) & ~0x3u);
	p->wmask[MTTY_PCI_INTERRUPT_LINE] = 0xff;

	mtty_pci_reset(p);
}

u32 mtty_pci_read(const struct mtty_pci *p, unsigned int off, unsigned int len)
{
	u32 val = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		val |= (u32)p->cfg[off + i] << (8 * i);
	return val;
}

void mtty_pci_write(struct mtty_pci *p, unsigned int off, unsigned int len,
		    u32 val)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		u8 m = p->wmask[off + i];
		u8 b = (val >> (8 * i)) & 0xff;

		p->cfg[off + i] = (p->cfg[off + i] & ~m) | (b & m);
	}
}

u16 mtty_pci_command(const struct mtty_pci *p)
{
	return mtty_pci_read(p, MTTY_PCI_COMMAND, 2);
}

void mtty_pci_set_intx_status(struct mtty_pci *p, bool asserted)
{
	if (asserted)
		p->cfg[MTTY_PCI_STATUS] |= MTTY_PCI_STS_INTX;
	else
		p->cfg[MTTY_PCI_STATUS] &= ~MTTY_PCI_STS_INTX;
}
