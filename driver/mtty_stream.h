/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_stream.h - the data file of a VFIO migration transfer, as records.
 * Pure model: no kernel headers.
 *
 * A transfer is exactly two records, each a little-endian header
 * (u32 tag, u32 payload length) followed by its payload:
 *
 *   HELLO  "MTHL"  12 bytes: u32 file format version (1), u32 port count,
 *                  u32 flags (bit 0: deep FIFO).  Sent first, in PRE_COPY
 *                  already, so a destination that cannot take the card
 *                  refuses the transfer before the source stops.
 *   STATE  "MTST"  the device state as mtty_model_save() writes it
 *                  (its own magic and version, see mtty_mig.h).
 *
 * Nothing may follow STATE.  A reader checks every record as soon as it is
 * complete (mtty_mig_check_prefix) and loads the state only when the whole
 * transfer has arrived (mtty_mig_restore).
 */
#ifndef MTTY_STREAM_H
#define MTTY_STREAM_H

#include "mtty_mig.h"
#include "mtty_model.h"

#define MTTY_REC_HELLO		0x4c48544dU	/* "MTHL" */
#define MTTY_REC_STATE		0x5453544dU	/* "MTST" */
#define MTTY_REC_HDR_SIZE	8
#define MTTY_HELLO_SIZE		12
#define MTTY_FILE_VERSION	1
#define MTTY_HELLO_DEEP		0x1

/* Largest transfer: both records at their largest. */
#define MTTY_MIG_FILE_MAX	(2 * MTTY_REC_HDR_SIZE + MTTY_HELLO_SIZE + \
				 MTTY_MIG_MAX_SIZE)

/*
 * Append the HELLO record; bytes written or -ENOSPC, or -EOPNOTSUPP for a
 * card with a host-backed port (mtty_model_migratable()): such a card
 * refuses to migrate before anything is sent.
 */
long mtty_mig_put_hello(const struct mtty_model *m, u8 *buf, size_t len);
/* Append the STATE record; bytes written or a negative errno. */
long mtty_mig_put_state(const struct mtty_model *m, u8 *buf, size_t len);
/* Bytes of a whole transfer of this card's current state. */
size_t mtty_mig_stream_size(const struct mtty_model *m);

/*
 * Check the first @len bytes of a transfer to the card @m (only its port
 * count and deep flag are read): 0 if they can still become a transfer this
 * card loads, otherwise the errno the load would fail with: -EBADMSG bad
 * record tag or order, -ENODEV another card, -EOPNOTSUPP unknown file
 * version or a card @m with a host-backed port, -EMSGSIZE a record too
 * long or bytes after STATE, -EINVAL a malformed HELLO.
 */
int mtty_mig_check_prefix(const struct mtty_model *m, const u8 *buf,
			  size_t len);
/*
 * Load a whole transfer into @m.  Everything is checked before anything
 * changes; on error @m is untouched (-EMSGSIZE also for a truncated
 * transfer).  On success *@sig says what the caller must signal.
 */
int mtty_mig_restore(struct mtty_model *m, const u8 *buf, size_t len,
		     unsigned int *sig);

#endif /* MTTY_STREAM_H */
