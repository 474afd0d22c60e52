/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_pci.h - type 0 PCI configuration space of the mtty serial card.
 * Pure model: no kernel headers.
 */
#ifndef MTTY_PCI_H
#define MTTY_PCI_H

#include "mtty_compat.h"

#define MTTY_PCI_CFG_SIZE	256
#define MTTY_PCI_NUM_BARS	6

#define MTTY_PCI_VENDOR_ID	0x4348
#define MTTY_PCI_DEVICE_ID	0x3253
#define MTTY_PCI_REVISION	0x10
#define MTTY_PCI_CLASS		0x0700	/* serial controller */
#define MTTY_PCI_PROG_IF	0x02	/* 16550-compatible */

/* standard register offsets used by the model and the glue */
#define MTTY_PCI_COMMAND	0x04
#define MTTY_PCI_STATUS		0x06
#define MTTY_PCI_BAR0		0x10
#define MTTY_PCI_INTERRUPT_LINE	0x3c
#define MTTY_PCI_INTERRUPT_PIN	0x3d

#define MTTY_PCI_CMD_IO		0x0001
#define MTTY_PCI_CMD_MASTER	0x0004
#define MTTY_PCI_CMD_PARITY	0x0040
#define MTTY_PCI_CMD_SERR	0x0100
#define MTTY_PCI_CMD_INTX_DIS	0x0400
#define MTTY_PCI_STS_INTX	0x0008
#define MTTY_PCI_STS_DEVSEL_MED	0x0200

struct mtty_pci {
	u8 cfg[MTTY_PCI_CFG_SIZE];
	u8 wmask[MTTY_PCI_CFG_SIZE];	/* bits a write may change */
	unsigned int nbars;		/* I/O BARs 0..nbars-1 are implemented */
	u32 bar_size;
};

void mtty_pci_init(struct mtty_pci *p, unsigned int nbars, u32 bar_size);
void mtty_pci_reset(struct mtty_pci *p);
/*
 * Accesses of 1, 2 or 4 bytes; the caller guarantees that off + len does
 * not exceed MTTY_PCI_CFG_SIZE.  Multi-byte values are little endian.
 */
u32 mtty_pci_read(const struct mtty_pci *p, unsigned int off,
		  unsigned int len);
void mtty_pci_write(struct mtty_pci *p, unsigned int off, unsigned int len,
		    u32 val);

u16 mtty_pci_command(const struct mtty_pci *p);
void mtty_pci_set_intx_status(struct mtty_pci *p, bool asserted);

#endif /* MTTY_PCI_H */
