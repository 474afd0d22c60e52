/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_mig.h - device state of an mtty card as a byte stream, for VFIO
 * migration (v2).  Pure model: no kernel headers.
 *
 * The stream is versioned and written field by field, little endian, never
 * as a copy of a C struct, so that a stream saved by one build restores on
 * every build that knows its version.  docs/migration.md has the table.
 *
 * Version 1 (MTTY_MIG_VERSION), offsets in bytes, P = number of ports:
 *
 *   0   4  magic "MTTY" (4d 54 54 59)
 *   4   2  version
 *   6   1  ports P (1..MTTY_MAX_PORTS_PER_DEV)
 *   7   1  card flags: bit 0 deep FIFO (16750-capable ports); 1-7 zero
 *   8   1  interrupt mode: 0 none, 1 INTx, 2 MSI
 *   9   1  interrupt flags: bit 0 INTx automasked (VFIO); 1-7 zero
 *  10   2  PCI command register (only its writable bits may be set)
 *  12   1  PCI interrupt line
 *  13  4P  PCI BAR0..BAR(P-1), full register values (bit 0 set, 1-2 clear,
 *          address bits above the 8-byte size)
 *  then P port records, in port order:
 *   +0  1  IER             +5  1  SCR
 *   +1  1  LCR             +6  1  DLL
 *   +2  1  MCR             +7  1  DLM
 *   +3  1  LSR overrun: bit 1 (OE) only
 *   +4  1  MSR deltas: bits 0-3 (DCTS, DDSR, TERI, DDCD) only
 *   +8  1  FCR as latched: FIFO enable, DMA mode, trigger; 0 if disabled
 *   +9  1  port flags: bit 0 64-byte FIFO mode, bit 1 THRE interrupt
 *          pending; 2-7 zero
 *  +10  1  RX count N (at most the FIFO depth of the mode: 1, 16 or 64)
 *  +11  N  RX bytes, oldest (the next RBR) first
 *       N  their line errors: 0, or 0x10 (BI) on a NUL
 *       1  TX count M (as RX; M > 0 only with the RX FIFO full)
 *       M  TX bytes, oldest first
 *       M  their errors: always 0
 *
 * Not in the stream: the read-only parts of config space (identity, BAR
 * sizes: fixed by the card type), the PCI status INTx bit and the INTx line
 * (derived from the UARTs), and the statistics counters (tx_bytes, rx_bytes,
 * tx_dropped, intx_signals, msi_signals), which stay those of the
 * destination device.  The card has no PCI capabilities: MSI is enabled
 * through VFIO, so the interrupt mode is its whole state.
 *
 * Versioning: the loader accepts its own version (MTTY_MIG_VERSION) and
 * refuses any other with -EOPNOTSUPP; the first 8 bytes (magic, version,
 * ports, card flags) keep this layout in every version so that an old
 * loader can refuse a newer stream cleanly.  A change of the layout or of
 * the meaning or range of any field needs a new version; a loader of a
 * newer version may keep accepting older versions.
 */
#ifndef MTTY_MIG_H
#define MTTY_MIG_H

#include "mtty_compat.h"
#include "mtty_model.h"

#define MTTY_MIG_MAGIC		0x5954544d	/* "MTTY" little endian */
#define MTTY_MIG_VERSION	1
#define MTTY_MIG_CARD_DEEP	0x01
#define MTTY_MIG_IRQ_MASKED	0x01
#define MTTY_MIG_PORT_FIFO64	0x01
#define MTTY_MIG_PORT_THRE	0x02

#define MTTY_MIG_HDR_SIZE	13	/* before the BARs */
#define MTTY_MIG_PORT_SIZE(n_rx, n_tx)	(12 + 2 * ((n_rx) + (n_tx)))
/* upper bound of a stream of any card, for buffers */
#define MTTY_MIG_MAX_SIZE	(MTTY_MIG_HDR_SIZE + \
				 MTTY_MAX_PORTS_PER_DEV * \
				 (4 + MTTY_MIG_PORT_SIZE(MTTY_FIFO_MAX, \
							 MTTY_FIFO_MAX)))

/* Size of the stream mtty_model_save() writes for @m in its current state. */
size_t mtty_model_save_size(const struct mtty_model *m);

/*
 * Serialise @m into @buf; returns the bytes written, or -ENOSPC if @len is
 * smaller than mtty_model_save_size(@m), or -EOPNOTSUPP if a port of @m has
 * a host backend (mtty_model_migratable(): its far end, a host tty, cannot
 * follow; version 1 has no field for it).  @m is not changed.
 */
long mtty_model_save(const struct mtty_model *m, u8 *buf, size_t len);

/*
 * Restore a stream into @m, a card initialised by mtty_model_init().  The
 * whole stream is validated first; only then is @m's state replaced (its
 * statistics are kept).  Returns 0 or a negative errno, for the first bad
 * field in stream order
 * (-EOPNOTSUPP first of all when a port of @m has a host backend):
 *   -EMSGSIZE   the stream ends early, or bytes follow its end
 *   -EBADMSG    bad magic
 *   -EOPNOTSUPP a version other than MTTY_MIG_VERSION
 *   -ENODEV     another card: port count or deep-FIFO flag differ
 *   -EINVAL     a field out of range: reserved or unwritable bits set,
 *               unknown interrupt mode, a FIFO count above the depth of the
 *               saved FIFO mode, an inconsistent combination (64-byte mode
 *               on a 16550A, THRE pending with TX data, TX data with RX
 *               room, an error flag other than BI on a NUL, INTx mode with
 *               an interrupt pending, INTx enabled and not automasked:
 *               the card would have signalled and masked)
 * On error @m is untouched.  On success *@sig (if @sig is not NULL) gets
 * the MTTY_SIG_* the caller must deliver: the interrupt outputs are
 * re-evaluated as after any change (see mtty_model_refresh()).
 */
int mtty_model_load(struct mtty_model *m, const u8 *buf, size_t len,
		    unsigned int *sig);

#endif /* MTTY_MIG_H */
