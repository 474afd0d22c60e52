// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the migration stream (driver/mtty_mig.c): round trips of
 * random device states, rejection of every out-of-range field with the
 * documented errno and the destination untouched, card mismatches, and the
 * committed golden streams (tests/golden/NAME.bin; argv[1] is their directory).
 *
 * Streams built here follow the table in driver/mtty_mig.h and
 * docs/migration.md, written independently of the saver: the format is a
 * contract between builds.
 */
#include <stdlib.h>
#include <string.h>

#include "mtty_mig.h"
#include "mtty_stream.h"
#include "card.h"
#include "unit.h"

UNIT_COUNTERS;

static const char *golden_dir = "tests/golden";

static struct card src, dst, snap;

/* byte image of a card, for "untouched" checks (pointer excluded) */
static void card_snapshot(struct card *to, const struct card *from)
{
	memcpy(to, from, sizeof(*to));
}

static bool card_same(const struct card *a, const struct card *b)
{
	return !memcmp(a->uart, b->uart, sizeof(a->uart)) &&
	       !memcmp(&a->m.pci, &b->m.pci, sizeof(a->m.pci)) &&
	       a->m.nports == b->m.nports && a->m.irq_mode == b->m.irq_mode &&
	       a->m.intx_masked == b->m.intx_masked &&
	       a->m.intx_signals == b->m.intx_signals &&
	       a->m.msi_signals == b->m.msi_signals;
}

static u8 rd(struct card *c, unsigned int port, unsigned int reg)
{
	u8 v;

	mtty_model_bar_read(&c->m, port, reg, &v);
	return v;
}

static unsigned int wr(struct card *c, unsigned int port, unsigned int reg,
		       u8 v)
{
	return mtty_model_bar_write(&c->m, port, reg, v);
}

/* --- a small deterministic generator --- */

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(rng_state >> 33) % n;
}

/* One random operation, biased towards states with data and interrupts. */
static unsigned int random_op(struct card *c, u8 *out)
{
	unsigned int p = rnd(c->m.nports), k = rnd(100), i;
	static const u8 fcrs[] = { 0x00, 0x01, 0x41, 0x81, 0xc1, 0x07, 0xc9,
				   0x03, 0x21, 0xe1 };
	static const u16 cfg_off[] = { 0x04, 0x10, 0x14, 0x3c, 0x06, 0x00 };
	unsigned int sig = 0;

	*out = 0;
	if (k < 30) {
		sig = wr(c, p, MTTY_UART_THR, rnd(256));
	} else if (k < 45) {
		*out = rd(c, p, rnd(8));
	} else if (k < 55) {
		u8 reg = rnd(8);
		u8 v = rnd(256);

		if (reg == MTTY_UART_FCR)
			v = fcrs[rnd(sizeof(fcrs))];
		sig = wr(c, p, reg, v);
	} else if (k < 60) {
		/* break: SBC 0 -> 1 -> 0 */
		u8 lcr = c->m.uart[p].lcr & ~MTTY_LCR_SBC;

		sig = wr(c, p, MTTY_UART_LCR, lcr | MTTY_LCR_SBC);
		sig |= wr(c, p, MTTY_UART_LCR, lcr);
	} else if (k < 66) {
		/* DLAB dance with 64-byte mode on deep ports */
		u8 lcr = c->m.uart[p].lcr;

		sig = wr(c, p, MTTY_UART_LCR, lcr | MTTY_LCR_DLAB);
		sig |= wr(c, p, MTTY_UART_FCR, fcrs[rnd(sizeof(fcrs))]);
		sig |= wr(c, p, MTTY_UART_LCR, lcr & ~MTTY_LCR_DLAB);
	} else if (k < 72) {
		sig = wr(c, p, MTTY_UART_IER, rnd(256));
	} else if (k < 76) {
		sig = wr(c, p, MTTY_UART_MCR, rnd(256));
	} else if (k < 82) {
		unsigned int off = cfg_off[rnd(sizeof(cfg_off) / 2)];
		unsigned int len = off == 0x3c ? 1 : (off == 0x04 ? 2 : 4);

		sig = mtty_model_cfg_write(&c->m, off, len,
					   rnd(2) ? 0xffffffff :
					   (u32)rnd(0x10000) << rnd(17));
	} else if (k < 86) {
		sig = mtty_model_set_irq_mode(&c->m, rnd(3));
	} else if (k < 88) {
		mtty_model_intx_mask(&c->m);
	} else if (k < 91) {
		sig = mtty_model_intx_unmask(&c->m);
	} else if (k < 97) {
		for (i = rnd(70); i; i--)
			sig |= wr(c, p, MTTY_UART_THR, rnd(256));
	} else if (k < 99) {
		for (i = rnd(20); i; i--)
			*out ^= rd(c, p, MTTY_UART_RBR);
	} else {
		mtty_model_reset(&c->m);
	}
	return sig;
}

static u8 sbuf[MTTY_MIG_MAX_SIZE + 16], sbuf2[MTTY_MIG_MAX_SIZE + 16];

/* Everything a guest can observe, compared by identical accesses. */
static void compare_observable(struct card *a, struct card *b,
			       const char *what)
{
	unsigned int p, r, i;
	u8 va, vb, ra, rb;
	u8 lcr;
	unsigned int sa, sb;

	for (i = 0; i < MTTY_PCI_CFG_SIZE; i++)
		CHECK_EQ(mtty_model_cfg_read(&a->m, i, 1),
			 mtty_model_cfg_read(&b->m, i, 1), what);
	CHECK_EQ(a->m.irq_mode, b->m.irq_mode, what);
	CHECK_EQ(a->m.intx_masked, b->m.intx_masked, what);
	CHECK_EQ(mtty_model_intx_line(&a->m), mtty_model_intx_line(&b->m),
		 what);
	for (p = 0; p < a->m.nports; p++) {
		lcr = rd(a, p, MTTY_UART_LCR);
		CHECK_EQ(lcr, rd(b, p, MTTY_UART_LCR), what);
		/* divisor latch view, then the normal view */
		wr(a, p, MTTY_UART_LCR, lcr | MTTY_LCR_DLAB);
		wr(b, p, MTTY_UART_LCR, lcr | MTTY_LCR_DLAB);
		CHECK_EQ(rd(a, p, MTTY_UART_DLL), rd(b, p, MTTY_UART_DLL), what);
		CHECK_EQ(rd(a, p, MTTY_UART_DLM), rd(b, p, MTTY_UART_DLM), what);
		wr(a, p, MTTY_UART_LCR, lcr & ~MTTY_LCR_DLAB);
		wr(b, p, MTTY_UART_LCR, lcr & ~MTTY_LCR_DLAB);
		for (r = 1; r < MTTY_UART_NREGS; r++)
			CHECK_EQ(rd(a, p, r), rd(b, p, r), what);
		/* the FIFOs, byte by byte with their line status */
		for (i = 0; i < 2 * MTTY_FIFO_MAX + 2; i++) {
			CHECK_EQ(rd(a, p, MTTY_UART_IIR), rd(b, p, MTTY_UART_IIR),
				 what);
			va = rd(a, p, MTTY_UART_LSR);
			vb = rd(b, p, MTTY_UART_LSR);
			CHECK_EQ(va, vb, what);
			ra = rd(a, p, MTTY_UART_RBR);
			rb = rd(b, p, MTTY_UART_RBR);
			CHECK_EQ(ra, rb, what);
			if (!(va & MTTY_LSR_DR))
				break;
		}
		wr(a, p, MTTY_UART_LCR, lcr);
		wr(b, p, MTTY_UART_LCR, lcr);
	}
	/* and they keep behaving the same */
	for (i = 0; i < 200; i++) {
		unsigned long long s = rng_state;

		sa = random_op(a, &va);
		rng_state = s;
		sb = random_op(b, &vb);
		CHECK(sa == sb && va == vb, "%s: op %u sig %x/%x val %x/%x",
		      what, i, sa, sb, va, vb);
	}
}

static void round_trip(unsigned int nports, bool deep, unsigned int seeds)
{
	unsigned int s, n, i, sig;
	long len, len2;
	int ret;
	u8 v;
	bool ok = true;

	for (s = 0; s < seeds; s++) {
		rng_state = s * 7919 + nports * 31 + deep;
		card_init(&src, nports, deep);
		card_init(&dst, nports, deep);
		/* half the time the destination is not fresh */
		if (s & 1)
			for (i = rnd(50); i; i--)
				random_op(&dst, &v);
		for (n = rnd(300); n; n--)
			random_op(&src, &v);

		len = mtty_model_save(&src.m, sbuf, sizeof(sbuf));
		ok &= len > 0 && (size_t)len == mtty_model_save_size(&src.m);
		ret = mtty_model_load(&dst.m, sbuf, len, &sig);
		if (ret) {
			CHECK_EQ(ret, 0, "load of a saved state");
			return;
		}
		len2 = mtty_model_save(&dst.m, sbuf2, sizeof(sbuf2));
		ok &= len2 == len && !memcmp(sbuf, sbuf2, len);
		ok &= !(sig & MTTY_SIG_INTX) || src.m.irq_mode == MTTY_IRQ_INTX;
		compare_observable(&src, &dst, "round trip");
	}
	CHECK(ok, "%u-port %s: %u states saved, restored, re-saved identically",
	      nports, deep ? "deep" : "plain", seeds);
}

TEST(mig_round_trip)
{
	round_trip(1, false, 250);
	round_trip(2, false, 250);
	round_trip(1, true, 250);
	round_trip(2, true, 250);
}

TEST(mig_save_size_and_enospc)
{
	long len;

	card_init(&src, 2, true);
	CHECK_EQ(mtty_model_save_size(&src.m), 13 + 8 + 2 * 12, "idle mtty-2");
	len = mtty_model_save(&src.m, sbuf, mtty_model_save_size(&src.m) - 1);
	CHECK_EQ(len, -ENOSPC, "short buffer");
	len = mtty_model_save(&src.m, sbuf, 0);
	CHECK_EQ(len, -ENOSPC, "no buffer");
	CHECK_EQ(MTTY_MIG_MAX_SIZE, 13 + 6 * (4 + 12 + 2 * 128), "max size");
}

/* --- streams built by hand from the documented table --- */

struct pspec {
	u8 ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr, flags;
	u8 nrx, ntx;
	u8 rx[MTTY_FIFO_MAX], rxe[MTTY_FIFO_MAX];
	u8 tx[MTTY_FIFO_MAX], txe[MTTY_FIFO_MAX];
};

struct spec {
	u32 magic;
	u16 version;
	u8 nports, card, mode, irqf;
	u16 cmd;
	u8 line;
	u32 bar[MTTY_MAX_PORTS_PER_DEV];
	struct pspec port[MTTY_MAX_PORTS_PER_DEV];
};

static size_t build(const struct spec *s, u8 *b)
{
	size_t n = 0;
	unsigned int i, j;

	b[n++] = s->magic;
	b[n++] = s->magic >> 8;
	b[n++] = s->magic >> 16;
	b[n++] = s->magic >> 24;
	b[n++] = s->version;
	b[n++] = s->version >> 8;
	b[n++] = s->nports;
	b[n++] = s->card;
	b[n++] = s->mode;
	b[n++] = s->irqf;
	b[n++] = s->cmd;
	b[n++] = s->cmd >> 8;
	b[n++] = s->line;
	for (i = 0; i < s->nports && i < MTTY_MAX_PORTS_PER_DEV; i++)
		for (j = 0; j < 4; j++)
			b[n++] = s->bar[i] >> (8 * j);
	for (i = 0; i < s->nports && i < MTTY_MAX_PORTS_PER_DEV; i++) {
		const struct pspec *p = &s->port[i];

		b[n++] = p->ier;
		b[n++] = p->lcr;
		b[n++] = p->mcr;
		b[n++] = p->lsr;
		b[n++] = p->msr;
		b[n++] = p->scr;
		b[n++] = p->dll;
		b[n++] = p->dlm;
		b[n++] = p->fcr;
		b[n++] = p->flags;
		b[n++] = p->nrx;
		for (j = 0; j < p->nrx; j++)
			b[n++] = j < MTTY_FIFO_MAX ? p->rx[j] : 0;
		for (j = 0; j < p->nrx; j++)
			b[n++] = j < MTTY_FIFO_MAX ? p->rxe[j] : 0;
		b[n++] = p->ntx;
		for (j = 0; j < p->ntx; j++)
			b[n++] = j < MTTY_FIFO_MAX ? p->tx[j] : 0;
		for (j = 0; j < p->ntx; j++)
			b[n++] = j < MTTY_FIFO_MAX ? p->txe[j] : 0;
	}
	return n;
}

/* A valid mtty-2 state: data (and a break) in port 0, full FIFOs in 1. */
static void base_spec(struct spec *s, bool deep)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->magic = 0x5954544d;
	s->version = 1;
	s->nports = 2;
	s->card = deep ? 1 : 0;
	s->mode = 1;
	s->irqf = 1;
	s->cmd = 0x0405;
	s->line = 10;
	s->bar[0] = 0xc101;
	s->bar[1] = 0xc109;
	s->port[0] = (struct pspec){ .ier = 0x0f, .lcr = 0x03, .mcr = 0x0b,
		.lsr = 0x02, .msr = 0x0b, .scr = 0x5a, .dll = 1, .dlm = 0,
		.fcr = 0x41, .flags = 0x02, .nrx = 3,
		.rx = { 'o', 'k', 0 }, .rxe = { 0, 0, 0x10 } };
	s->port[1] = (struct pspec){ .ier = 0x05, .lcr = 0x1b, .mcr = 0,
		.scr = 0, .dll = 12, .fcr = 0xc1, .nrx = 16, .ntx = 3,
		.tx = { 'x', 'y', 'z' } };
	for (i = 0; i < 16; i++)
		s->port[1].rx[i] = 'A' + i;
}

/* Load @b into a prepared destination; on error check it is untouched. */
static int load_into_dirty(const u8 *b, size_t n, bool deep, unsigned int np)
{
	unsigned int i, sig = 0xdead;
	int ret;
	u8 v;

	rng_state = 42;
	card_init(&dst, np, deep);
	for (i = 0; i < 60; i++)
		random_op(&dst, &v);
	card_snapshot(&snap, &dst);
	ret = mtty_model_load(&dst.m, b, n, &sig);
	if (ret)
		CHECK(card_same(&dst, &snap) && sig == 0xdead,
		      "rejected load (%d) left the destination untouched", ret);
	return ret;
}

static int try_spec(const struct spec *s, bool deep)
{
	u8 b[MTTY_MIG_MAX_SIZE + 16];

	return load_into_dirty(b, build(s, b), deep, 2);
}

TEST(mig_hand_built_stream)
{
	struct spec s;
	u8 b[MTTY_MIG_MAX_SIZE + 16];
	size_t n;
	long len;
	unsigned int sig;
	int ret;

	base_spec(&s, false);
	n = build(&s, b);
	card_init(&dst, 2, false);
	ret = mtty_model_load(&dst.m, b, n, &sig);
	CHECK_EQ(ret, 0, "hand-built stream loads");
	CHECK_EQ(sig, MTTY_SIG_INTX,
		 "automasked INTx: signalled once for the new user");
	len = mtty_model_save(&dst.m, sbuf, sizeof(sbuf));
	CHECK(len == (long)n && !memcmp(sbuf, b, n),
	      "saver writes the documented layout");
	/* what the registers say, from the spec above */
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc6, "port 0: OE pending -> RLS");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0xe3, "port 0 LSR: OE DR FIFOE");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xcc, "3 < trigger 4: timeout");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), 'o', "o");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), 'k', "k");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc6, "break on top");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0xf1, "BI with the NUL");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), 0, "NUL");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc2, "THRE pending");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc0, "then modem status");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_MSR), 0xbb, "MSR lines and deltas");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_SCR), 0x5a, "SCR");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_LSR), 0x01, "port 1: TX busy");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_IIR), 0xc4, "port 1: 16 >= 14");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x04, 2), 0x0405, "command");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x14, 4), 0xc109, "BAR1");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x3c, 1), 10, "line");
}

struct bad {
	const char *what;
	void (*mut)(struct spec *s);
	int err;
};

#define MUT(name, body) static void name(struct spec *s) { body; }
MUT(m_magic, s->magic = 0x5954544e)
MUT(m_magic_be, s->magic = 0x4d545459)
MUT(m_ver0, s->version = 0)
MUT(m_ver2, s->version = 2)
MUT(m_ver256, s->version = 0x100)
MUT(m_np0, s->nports = 0)
MUT(m_np7, s->nports = 7)
MUT(m_np255, s->nports = 255)
MUT(m_np1, s->nports = 1)
MUT(m_np3, s->nports = 3)
MUT(m_card2, s->card = 2)
MUT(m_card80, s->card = 0x80)
MUT(m_carddeep, s->card = 1)
MUT(m_mode3, s->mode = 3)
MUT(m_modeff, s->mode = 0xff)
MUT(m_irqf2, s->irqf = 2)
MUT(m_cmd_mem, s->cmd |= 0x0002)
MUT(m_cmd_parity, s->cmd |= 0x0040)
MUT(m_cmd_serr, s->cmd |= 0x0100)
MUT(m_cmd_hi, s->cmd |= 0x8000)
MUT(m_bar_io, s->bar[0] &= ~1u)
MUT(m_bar_b1, s->bar[1] |= 2)
MUT(m_bar_b2, s->bar[0] |= 4)
MUT(m_ier, s->port[0].ier = 0x10)
MUT(m_ier_deep, s->port[0].ier = 0x40)
MUT(m_mcr, s->port[1].mcr = 0x20)
MUT(m_mcr_deep, s->port[1].mcr = 0x40)
MUT(m_lsr_dr, s->port[0].lsr = 0x03)
MUT(m_lsr_pe, s->port[0].lsr = 0x04)
MUT(m_top_err, s->port[0].nrx = 1; s->port[0].rx[0] = 0; s->port[0].rxe[0] = 0x10)
MUT(m_lsr_80, s->port[0].lsr = 0x80)
MUT(m_msr, s->port[0].msr = 0x10)
MUT(m_fcr_clear, s->port[0].fcr = 0x43)
MUT(m_fcr_64, s->port[0].fcr = 0x61)
MUT(m_fcr_10, s->port[0].fcr = 0x51)
MUT(m_fcr_noen, s->port[0].fcr = 0x40)
MUT(m_flags4, s->port[0].flags = 0x06)
MUT(m_flags80, s->port[1].flags = 0x80)
MUT(m_fifo64_plain, s->port[1].flags = 0x01)
MUT(m_rx17, s->port[1].nrx = 17)
MUT(m_rx255, s->port[1].nrx = 255)
MUT(m_rx_nofifo, { s->port[0].fcr = 0; })
MUT(m_rx65_deep, { s->port[1].flags = 1; s->port[1].nrx = 65; })
MUT(m_tx17, { s->port[1].ntx = 17; })
MUT(m_tx_room, s->port[1].nrx = 15)
MUT(m_thre_tx, s->port[1].flags = 0x02)
MUT(m_rxe_pe, s->port[0].rxe[2] = 0x04)
MUT(m_rxe_fe, s->port[0].rxe[0] = 0x08)
MUT(m_rxe_oe, s->port[0].rxe[1] = 0x02)
MUT(m_rxe_bi_data, s->port[0].rxe[0] = 0x10)
MUT(m_rxe_bi_pe, s->port[0].rxe[2] = 0x14)
MUT(m_txe, s->port[1].txe[2] = 0x10)
MUT(m_intx_unsignalled, { s->irqf = 0; s->cmd = 0x0005; })

static const struct bad bads[] = {
	{ "magic", m_magic, -EBADMSG },
	{ "magic big endian", m_magic_be, -EBADMSG },
	{ "version 0", m_ver0, -EOPNOTSUPP },
	{ "version 2 (newer)", m_ver2, -EOPNOTSUPP },
	{ "version 256", m_ver256, -EOPNOTSUPP },
	{ "0 ports", m_np0, -EINVAL },
	{ "7 ports", m_np7, -EINVAL },
	{ "255 ports", m_np255, -EINVAL },
	{ "mtty-1 stream into mtty-2", m_np1, -ENODEV },
	{ "3-port stream into mtty-2", m_np3, -ENODEV },
	{ "card flag bit 1", m_card2, -EINVAL },
	{ "card flag bit 7", m_card80, -EINVAL },
	{ "deep stream into a plain card", m_carddeep, -ENODEV },
	{ "irq mode 3", m_mode3, -EINVAL },
	{ "irq mode 255", m_modeff, -EINVAL },
	{ "irq flags bit 1", m_irqf2, -EINVAL },
	{ "command memory space", m_cmd_mem, -EINVAL },
	{ "command parity (hardwired 0)", m_cmd_parity, -EINVAL },
	{ "command SERR (hardwired 0)", m_cmd_serr, -EINVAL },
	{ "command bit 15", m_cmd_hi, -EINVAL },
	{ "BAR0 not I/O", m_bar_io, -EINVAL },
	{ "BAR1 bit 1", m_bar_b1, -EINVAL },
	{ "BAR0 bit 2 (inside the 8-byte size)", m_bar_b2, -EINVAL },
	{ "IER bit 4", m_ier, -EINVAL },
	{ "IER bit 6", m_ier_deep, -EINVAL },
	{ "MCR bit 5 on a 16550A", m_mcr, -EINVAL },
	{ "MCR bit 6", m_mcr_deep, -EINVAL },
	{ "LSR DR in the error latch", m_lsr_dr, -EINVAL },
	{ "LSR PE in the error latch (no parity errors here)", m_lsr_pe, -EINVAL },
	{ "BI on the top character (not revealed)", m_top_err, -EINVAL },
	{ "LSR bit 7 in the error latch", m_lsr_80, -EINVAL },
	{ "MSR line bit in the deltas", m_msr, -EINVAL },
	{ "FCR clear bit latched", m_fcr_clear, -EINVAL },
	{ "FCR bit 5 latched", m_fcr_64, -EINVAL },
	{ "FCR bit 4", m_fcr_10, -EINVAL },
	{ "FCR trigger without enable", m_fcr_noen, -EINVAL },
	{ "port flags bit 2", m_flags4, -EINVAL },
	{ "port flags bit 7", m_flags80, -EINVAL },
	{ "64-byte mode on a 16550A", m_fifo64_plain, -EINVAL },
	{ "RX count 17 in 16-byte mode", m_rx17, -EINVAL },
	{ "RX count 255", m_rx255, -EINVAL },
	{ "RX count 3 with the FIFO off", m_rx_nofifo, -EINVAL },
	{ "RX count 65 in 64-byte mode", m_rx65_deep, -EINVAL },
	{ "TX count 17", m_tx17, -EINVAL },
	{ "TX data with RX room", m_tx_room, -EINVAL },
	{ "THRE pending with TX data", m_thre_tx, -EINVAL },
	{ "RX error PE", m_rxe_pe, -EINVAL },
	{ "RX error FE", m_rxe_fe, -EINVAL },
	{ "RX error OE per character", m_rxe_oe, -EINVAL },
	{ "BI on a non-NUL", m_rxe_bi_data, -EINVAL },
	{ "BI with PE", m_rxe_bi_pe, -EINVAL },
	{ "TX error flag", m_txe, -EINVAL },
	{ "INTx pending, enabled, not automasked", m_intx_unsignalled,
	  -EINVAL },
};

TEST(mig_rejects_every_bad_field)
{
	struct spec s;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		base_spec(&s, false);
		bads[i].mut(&s);
		ret = try_spec(&s, false);
		CHECK(ret == bads[i].err, "%s: got %d want %d", bads[i].what,
		      ret, bads[i].err);
	}
	/* the same on a deep card where the field allows more */
	base_spec(&s, true);
	s.port[0].ier = 0x30;
	s.port[1].mcr = 0x20;
	s.port[1].flags = 0x01;	/* 64-byte mode: 16 + 3 is not full */
	CHECK_EQ(try_spec(&s, true), -EINVAL, "deep: TX data with 48 free");
	s.port[1].flags = 0;
	CHECK_EQ(try_spec(&s, true), 0, "deep: IER bits 4-5, MCR bit 5 ok");
	base_spec(&s, true);
	s.port[1].ier = 0x40;
	CHECK_EQ(try_spec(&s, true), -EINVAL, "deep: IER bit 6");
	/* fields that take any value */
	base_spec(&s, false);
	s.line = 0xff;
	s.port[0].scr = 0xff;
	s.port[0].dll = 0xff;
	s.port[0].dlm = 0xff;
	s.port[0].lcr = 0xff;
	s.bar[0] = 0xfffffff9;
	s.irqf = 1;
	s.mode = 0;
	CHECK_EQ(try_spec(&s, false), 0, "full-range fields accepted");
	/* INTx pending and unmasked is fine while INTx is disabled ... */
	base_spec(&s, false);
	s.irqf = 0;
	CHECK_EQ(try_spec(&s, false), 0, "INTx disabled: unmasked ok");
	/* ... or with nothing pending */
	s.cmd = 0x0005;
	s.port[0].ier = 0;
	s.port[1].ier = 0;
	CHECK_EQ(try_spec(&s, false), 0, "INTx: nothing pending");
	s.port[1].ier = 0x08;
	CHECK_EQ(try_spec(&s, false), 0, "INTx: MSI deltas 0, nothing pending");
	s.port[1].ier = 0x01;
	CHECK_EQ(try_spec(&s, false), -EINVAL, "INTx: RX data pending");
	/* 64-byte mode with the FIFO off is a reachable state (depth 1) */
	base_spec(&s, true);
	s.port[0].fcr = 0;
	s.port[0].flags = 1;
	s.port[0].nrx = 1;
	s.port[0].rx[0] = 0;
	s.port[0].lsr = 0x10;	/* the break NUL in RBR, BI revealed */
	CHECK_EQ(try_spec(&s, true), 0, "deep: 64-byte mode, FIFO off");
	s.port[0].nrx = 2;
	CHECK_EQ(try_spec(&s, true), -EINVAL, "deep: 2 bytes, FIFO off");
}

TEST(mig_truncated_and_trailing)
{
	struct spec s;
	u8 b[MTTY_MIG_MAX_SIZE + 16];
	size_t n, k;
	int ret;
	bool ok = true;

	base_spec(&s, false);
	n = build(&s, b);
	for (k = 0; k < n; k++) {
		ret = load_into_dirty(b, k, false, 2);
		ok &= ret == -EMSGSIZE;
	}
	CHECK(ok, "every one of %zu truncations: -EMSGSIZE", n);
	b[n] = 0;
	CHECK_EQ(load_into_dirty(b, n + 1, false, 2), -EMSGSIZE,
		 "one trailing byte");
	CHECK_EQ(load_into_dirty(b, n, false, 2), 0, "exact length");
}

TEST(mig_card_mismatch)
{
	static const struct { unsigned int np; bool deep; } cards[] = {
		{ 1, false }, { 2, false }, { 1, true }, { 2, true },
	};
	unsigned int i, j;
	long len;
	u8 v;

	for (i = 0; i < 4; i++) {
		rng_state = i;
		card_init(&src, cards[i].np, cards[i].deep);
		for (j = 0; j < 100; j++)
			random_op(&src, &v);
		len = mtty_model_save(&src.m, sbuf, sizeof(sbuf));
		for (j = 0; j < 4; j++) {
			int ret = load_into_dirty(sbuf, len, cards[j].deep,
						  cards[j].np);

			CHECK(ret == (i == j ? 0 : -ENODEV),
			      "%u-port %s into %u-port %s: %d", cards[i].np,
			      cards[i].deep ? "deep" : "plain", cards[j].np,
			      cards[j].deep ? "deep" : "plain", ret);
		}
	}
}

/* A card with a host-backed port refuses to save, announce or load. */
TEST(mig_refuses_host_backend)
{
	u8 hello[64];
	long len;
	int ret;

	card_init(&src, 2, false);
	wr(&src, 1, MTTY_UART_SCR, 0x42);
	len = mtty_model_save(&src.m, sbuf, sizeof(sbuf));
	CHECK(len > 0, "loopback card saves: %ld", len);
	card_init(&dst, 2, false);
	mtty_model_set_backend(&dst.m, 0, MTTY_BACKEND_TTY);
	card_snapshot(&snap, &dst);
	ret = mtty_model_load(&dst.m, sbuf, len, NULL);
	CHECK_EQ(ret, -EOPNOTSUPP, "load into a tty-backed card");
	CHECK(card_same(&dst, &snap), "destination untouched");
	ret = mtty_mig_check_prefix(&dst.m, sbuf, 0);
	CHECK_EQ(ret, -EOPNOTSUPP, "transfer refused at once");
	CHECK_EQ(mtty_model_save(&dst.m, sbuf2, sizeof(sbuf2)), -EOPNOTSUPP,
		 "tty-backed card does not save");
	CHECK_EQ(mtty_mig_put_hello(&dst.m, hello, sizeof(hello)), -EOPNOTSUPP,
		 "nor announce a transfer");
	CHECK_EQ(mtty_mig_put_hello(&src.m, hello, sizeof(hello)),
		 MTTY_REC_HDR_SIZE + MTTY_HELLO_SIZE, "loopback card announces");
	mtty_model_set_backend(&dst.m, 0, MTTY_BACKEND_LOOPBACK);
	ret = mtty_model_load(&dst.m, sbuf, len, NULL);
	CHECK_EQ(ret, 0, "back to loopback: loads");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_SCR), 0x42, "state arrived");
}

/* --- golden streams: a contract between builds --- */

static size_t read_golden(const char *name, u8 *b, size_t max)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	f = fopen(path, "rb");
	if (!f) {
		CHECK(0, "open %s", path);
		return 0;
	}
	n = fread(b, 1, max, f);
	fclose(f);
	return n;
}

static void check_resave(const u8 *b, size_t n, const char *name)
{
	long len = mtty_model_save(&dst.m, sbuf2, sizeof(sbuf2));

	CHECK(len == (long)n && !memcmp(sbuf2, b, n),
	      "%s: re-saved stream is identical", name);
}

TEST(golden_mtty1_idle)
{
	u8 b[MTTY_MIG_MAX_SIZE];
	size_t n = read_golden("mtty1-idle.bin", b, sizeof(b));
	unsigned int sig = 0xdead;

	CHECK_EQ(n, 13 + 4 + 12, "mtty1-idle.bin size");
	card_init(&dst, 1, false);
	/* not fresh: everything the stream has must be replaced */
	wr(&dst, 0, MTTY_UART_SCR, 0x99);
	wr(&dst, 0, MTTY_UART_FCR, 0x01);
	wr(&dst, 0, MTTY_UART_THR, 'q');
	mtty_model_cfg_write(&dst.m, 0x04, 2, 0x0005);
	CHECK_EQ(mtty_model_load(&dst.m, b, n, &sig), 0, "load");
	CHECK_EQ(sig, 0, "nothing to signal");
	check_resave(b, n, "mtty1-idle");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IER), 0, "IER");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0x01, "IIR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LCR), 0, "LCR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_MCR), 0, "MCR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0x60, "LSR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_MSR), 0, "MSR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_SCR), 0, "SCR");
	wr(&dst, 0, MTTY_UART_LCR, 0x80);
	CHECK_EQ(rd(&dst, 0, MTTY_UART_DLL), 12, "DLL (9600 baud)");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_DLM), 0, "DLM");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x04, 2), 0, "command");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x10, 4), 1, "BAR0");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x3c, 1), 0, "line");
	CHECK_EQ(dst.m.irq_mode, MTTY_IRQ_NONE, "irq mode");
	card_init(&dst, 2, false);
	CHECK_EQ(mtty_model_load(&dst.m, b, n, &sig), -ENODEV, "into mtty-2");
}

TEST(golden_mtty2_busy)
{
	static const char hello[] = "hello";
	u8 b[MTTY_MIG_MAX_SIZE];
	size_t n = read_golden("mtty2-busy.bin", b, sizeof(b));
	unsigned int sig = 0xdead, i;

	card_init(&dst, 2, false);
	CHECK_EQ(mtty_model_load(&dst.m, b, n, &sig), 0, "load");
	check_resave(b, n, "mtty2-busy");
	/*
	 * INTx mode, line high, signalled and automasked on the source: the
	 * destination's user never saw that signal, so it comes once more
	 */
	CHECK_EQ(sig, MTTY_SIG_INTX, "in flight: signalled once after load");
	CHECK_EQ(dst.m.irq_mode, MTTY_IRQ_INTX, "INTx mode");
	CHECK(dst.m.intx_masked, "automasked");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x06, 2), 0x0208, "status INTx");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x04, 2), 0x0005, "command");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x10, 4), 0xc101, "BAR0");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x14, 4), 0xc109, "BAR1");
	CHECK_EQ(mtty_model_cfg_read(&dst.m, 0x3c, 1), 11, "line");
	CHECK_EQ(mtty_model_intx_unmask(&dst.m), MTTY_SIG_INTX,
		 "unmask with the line high fires");

	/* port 0: "hello", then a break; IER 0x0f, FCR trigger 4 */
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IER), 0x0f, "port 0 IER");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LCR), 0x03, "port 0 LCR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_MCR), 0x0b, "port 0 MCR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_SCR), 0x5a, "port 0 SCR");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc4, "6 bytes >= trigger 4");
	for (i = 0; i < 5; i++) {
		CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0xe1, "DR, FIFOE, no BI");
		CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), (u8)hello[i], "hello");
	}
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc6, "break on top: RLS");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0xf1, "BI");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), 0, "NUL");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc2, "THRE pending");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc0, "modem status");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_MSR), 0xbb, "CTS DSR DCD + deltas");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xc1, "port 0 idle");

	/* port 1: 20 bytes written, 16 in RX, 4 waiting in TX */
	CHECK_EQ(rd(&dst, 1, MTTY_UART_IER), 0x05, "port 1 IER");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_LCR), 0x1b, "port 1 LCR");
	wr(&dst, 1, MTTY_UART_LCR, 0x9b);
	CHECK_EQ(rd(&dst, 1, MTTY_UART_DLL), 0x01, "port 1 DLL");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_DLM), 0x00, "port 1 DLM");
	wr(&dst, 1, MTTY_UART_LCR, 0x1b);
	CHECK_EQ(rd(&dst, 1, MTTY_UART_IIR), 0xc4, "port 1 RX data");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_LSR), 0x01, "port 1 DR, TX busy");
	for (i = 0; i < 20; i++)
		CHECK_EQ(rd(&dst, 1, MTTY_UART_RBR), 'A' + i, "A..T in order");
	CHECK_EQ(rd(&dst, 1, MTTY_UART_LSR), 0x60, "port 1 drained");
}

TEST(golden_mtty1_deep)
{
	u8 b[MTTY_MIG_MAX_SIZE];
	size_t n = read_golden("mtty1-deep.bin", b, sizeof(b));
	unsigned int sig = 0xdead, i;

	card_init(&dst, 1, false);
	CHECK_EQ(mtty_model_load(&dst.m, b, n, &sig), -ENODEV,
		 "deep stream into a 16550A card");
	card_init(&dst, 1, true);
	CHECK_EQ(mtty_model_load(&dst.m, b, n, &sig), 0, "load");
	check_resave(b, n, "mtty1-deep");
	CHECK_EQ(sig, MTTY_SIG_MSI, "MSI mode with RX data pending");
	CHECK_EQ(dst.m.irq_mode, MTTY_IRQ_MSI, "MSI mode");
	CHECK_EQ(mtty_uart_fifo_depth(&dst.uart[0]), 64, "64-byte mode");
	CHECK_EQ(mtty_uart_rx_trigger(&dst.uart[0]), 56, "trigger 56");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IER), 0x01, "IER");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xe4, "64 >= 56: RDI, FIFO64");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0x01, "DR, TX busy");
	for (i = 0; i < 70; i++)
		CHECK_EQ(rd(&dst, 0, MTTY_UART_RBR), i, "0..69 in order");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_LSR), 0x60, "drained");
	CHECK_EQ(rd(&dst, 0, MTTY_UART_IIR), 0xe1, "idle");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		golden_dir = argv[1];
	RUN(mig_round_trip);
	RUN(mig_save_size_and_enospc);
	RUN(mig_hand_built_stream);
	RUN(mig_rejects_every_bad_field);
	RUN(mig_truncated_and_trailing);
	RUN(mig_card_mismatch);
	RUN(mig_refuses_host_backend);
	RUN(golden_mtty1_idle);
	RUN(golden_mtty2_busy);
	RUN(golden_mtty1_deep);
	return UNIT_DONE("unit-mig");
}
