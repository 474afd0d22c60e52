/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * card.h - one mtty card of the device model (ports and model) for the unit
 * tests of its migration state and transfer records.
 */
#ifndef MTTY_UNIT_CARD_H
#define MTTY_UNIT_CARD_H

#include <string.h>

#include "mtty_model.h"
#include "mtty_uart.h"

struct card {
	struct mtty_uart uart[MTTY_MAX_PORTS_PER_DEV];
	struct mtty_model m;
};

/* a fresh card: poisoned memory first, so that init must set every field */
static inline void card_init(struct card *c, unsigned int nports, bool deep)
{
	memset(c, 0xa5, sizeof(*c));
	mtty_model_init(&c->m, c->uart, nports, deep);
}

#endif /* MTTY_UNIT_CARD_H */
