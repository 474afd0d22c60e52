/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * peerpat.h - the two byte streams of the nested guest <-> host tty
 * exchange: the L2 guest (tests/vm/l2init.c, mtty.peer=BDF) writes
 * peer_g2h() on its ttyS port, the L1 program on the host tty
 * (tests/vm/tty_peer.c) writes peer_h2g(); each side checks what it reads
 * against the other stream.  Byte i depends on i, so a lost or duplicated
 * byte shifts everything after it and shows as mismatches, as does an
 * altered one (dropping a byte changes the next one by 7 or 8, resp. 13
 * or 14, never by 0 mod 256).  Header only: l2init is a single static
 * binary.
 */
#ifndef MTTY_PEERPAT_H
#define MTTY_PEERPAT_H

#include <stddef.h>

static inline unsigned char peer_g2h(size_t i)
{
	return (unsigned char)((i * 7 + i / 251 + 0x11) & 0xff);
}

static inline unsigned char peer_h2g(size_t i)
{
	return (unsigned char)((i * 13 + i / 241 + 0x5a) & 0xff);
}

#endif /* MTTY_PEERPAT_H */
