// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_mig.c - save and restore the state of an mtty card as the versioned,
 * little-endian stream described in mtty_mig.h.  Pure model: no kernel
 * headers.
 */
#include "mtty_mig.h"

/* --- writing --- */

struct mig_out {
	u8 *buf;
	size_t pos;
};

static void out_u8(struct mig_out *o, u8 v)
{
	o->buf[o->pos++] = v;
}

static void out_le16(struct mig_out *o, u16 v)
{
	out_u8(o, v & 0xff);
	out_u8(o, v >> 8);
}

static void out_le32(struct mig_out *o, u32 v)
{
	out_le16(o, v & 0xffff);
	out_le16(o, v >> 16);
}

static bool model_deep(const struct mtty_model *m)
{
	return m->nports && m->uart[0].deep;
}

size_t mtty_model_save_size(const struct mtty_model *m)
{
	size_t size = MTTY_MIG_HDR_SIZE + 4 * m->nports;
	unsigned int i;

	for (i = 0; i < m->nports; i++)
		size += MTTY_MIG_PORT_SIZE(m->uart[i].rx.count,
					   m->uart[i].tx.count);
	return size;
}

static void save_fifo(struct mig_out *o, const struct mtty_fifo *f)
{
	unsigned int i;

	out_u8(o, f->count);
	for (i = 0; i < f->count; i++)
		out_u8(o, f->data[(f->head + i) % MTTY_FIFO_MAX]);
	for (i = 0; i < f->count; i++)
		out_u8(o, f->err[(f->head + i) % MTTY_FIFO_MAX]);
}

static void save_port(struct mig_out *o, const struct mtty_uart *u)
{
	u8 flags = 0;

	if (u->fifo64)
		flags |= MTTY_MIG_PORT_FIFO64;
	if (u->thre_int)
		flags |= MTTY_MIG_PORT_THRE;
	out_u8(o, u->ier);
	out_u8(o, u->lcr);
	out_u8(o, u->mcr);
	out_u8(o, u->lsr_err);
	out_u8(o, u->msr_delta);
	out_u8(o, u->scr);
	out_u8(o, u->dll);
	out_u8(o, u->dlm);
	out_u8(o, u->fcr);
	out_u8(o, flags);
	save_fifo(o, &u->rx);
	save_fifo(o, &u->tx);
}

long mtty_model_save(const struct mtty_model *m, u8 *buf, size_t len)
{
	struct mig_out o = { .buf = buf, .pos = 0 };
	unsigned int i;

	if (len < mtty_model_save_size(m))
		return -ENOSPC;

	out_le32(&o, MTTY_MIG_MAGIC);
	out_le16(&o, MTTY_MIG_VERSION);
	out_u8(&o, m->nports);
	out_u8(&o, model_deep(m) ? MTTY_MIG_CARD_DEEP : 0);
	out_u8(&o, m->irq_mode);
	out_u8(&o, m->intx_masked ? MTTY_MIG_IRQ_MASKED : 0);
	out_le16(&o, mtty_pci_read(&m->pci, MTTY_PCI_COMMAND, 2));
	out_u8(&o, mtty_pci_read(&m->pci, MTTY_PCI_INTERRUPT_LINE, 1));
	for (i = 0; i < m->nports; i++)
		out_le32(&o, mtty_pci_read(&m->pci, MTTY_PCI_BAR0 + 4 * i, 4));
	for (i = 0; i < m->nports; i++)
		save_port(&o, &m->uart[i]);
	return o.pos;
}

/* --- reading --- */

struct mig_in {
	const u8 *buf;
	size_t len;
	size_t pos;
};

static int in_u8(struct mig_in *in, u8 *v)
{
	if (in->pos >= in->len)
		return -EMSGSIZE;
	*v = in->buf[in->pos++];
	return 0;
}

static int in_le16(struct mig_in *in, u16 *v)
{
	u8 lo, hi;

	if (in_u8(in, &lo) || in_u8(in, &hi))
		return -EMSGSIZE;
	*v = lo | (u16)hi << 8;
	return 0;
}

static int in_le32(struct mig_in *in, u32 *v)
{
	u16 lo, hi;

	if (in_le16(in, &lo) || in_le16(in, &hi))
		return -EMSGSIZE;
	*v = lo | (u32)hi << 16;
	return 0;
}

/* @n bytes of the stream, or NULL if it ends first */
static const u8 *in_bytes(struct mig_in *in, size_t n)
{
	const u8 *p = in->buf + in->pos;

	if (in->len - in->pos < n)
		return NULL;
	in->pos += n;
	return p;
}

/*
 * A config space field: bits outside the write mask must read as they do
 * on the destination (they never change after init: identity, BAR type).
 */
static bool cfg_field_ok(const struct mtty_pci *p, unsigned int off,
			 unsigned int len, u32 val)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		u8 ro = ~p->wmask[off + i];
		u8 b = (val >> (8 * i)) & 0xff;

		if ((b & ro) != (p->cfg[off + i] & ro))
			return false;
	}
	return true;
}

struct mig_fifo {
	u8 count;
	const u8 *data;
	const u8 *err;
};

static int load_fifo(struct mig_in *in, struct mig_fifo *f,
		     unsigned int depth, bool rx)
{
	unsigned int i;
	int ret;

	ret = in_u8(in, &f->count);
	if (ret)
		return ret;
	if (f->count > depth)
		return -EINVAL;
	f->data = in_bytes(in, f->count);
	f->err = in_bytes(in, f->count);
	if (!f->data || !f->err)
		return -EMSGSIZE;
	for (i = 0; i < f->count; i++) {
		/* only the break NUL carries an error in this model */
		if (f->err[i] && (!rx || f->err[i] != MTTY_LSR_BI ||
				  f->data[i]))
			return -EINVAL;
	}
	return 0;
}

static void apply_fifo(struct mtty_fifo *dst, const struct mig_fifo *f)
{
	memset(dst->err, 0, sizeof(dst->err));
	memcpy(dst->data, f->data, f->count);
	memcpy(dst->err, f->err, f->count);
	dst->head = 0;
	dst->count = f->count;
}

static int load_port(struct mig_in *in, struct mtty_uart *u, bool apply)
{
	u8 ier_mask = u->deep ? MTTY_IER_16750_MASK : MTTY_IER_16550A_MASK;
	u8 mcr_mask = u->deep ? MTTY_MCR_16750_MASK : MTTY_MCR_16550A_MASK;
	u8 fcr_bits = MTTY_FCR_ENABLE | MTTY_FCR_DMA_SELECT |
		      MTTY_FCR_TRIGGER_MASK;
	u8 r[10];	/* IER LCR MCR LSR MSR SCR DLL DLM FCR flags */
	struct mig_fifo rx, tx;
	unsigned int depth, i;
	bool fifo64, thre;
	int ret;

	for (i = 0; i < sizeof(r); i++) {
		ret = in_u8(in, &r[i]);
		if (ret)
			return ret;
	}
	fifo64 = r[9] & MTTY_MIG_PORT_FIFO64;
	thre = r[9] & MTTY_MIG_PORT_THRE;
	if ((r[0] & ~ier_mask) || (r[2] & ~mcr_mask) ||
	    (r[3] & ~MTTY_LSR_OE) || (r[4] & ~MTTY_MSR_DELTA_MASK) ||
	    (r[8] & ~fcr_bits) || (r[8] && !(r[8] & MTTY_FCR_ENABLE)) ||
	    (r[9] & ~(MTTY_MIG_PORT_FIFO64 | MTTY_MIG_PORT_THRE)) ||
	    (fifo64 && !u->deep))
		return -EINVAL;

	if (!(r[8] & MTTY_FCR_ENABLE))
		depth = 1;
	else
		depth = fifo64 ? MTTY_FIFO_16750 : MTTY_FIFO_16550A;
	ret = load_fifo(in, &rx, depth, true);
	if (ret)
		return ret;
	ret = load_fifo(in, &tx, depth, false);
	if (ret)
		return ret;
	/* the transmitter only holds bytes the full receiver cannot take */
	if ((tx.count && rx.count != depth) || (thre && tx.count))
		return -EINVAL;

	if (!apply)
		return 0;
	u->ier = r[0];
	u->lcr = r[1];
	u->mcr = r[2];
	u->lsr_err = r[3];
	u->msr_delta = r[4];
	u->scr = r[5];
	u->dll = r[6];
	u->dlm = r[7];
	u->fcr = r[8];
	u->fifo64 = fifo64;
	u->thre_int = thre;
	apply_fifo(&u->rx, &rx);
	apply_fifo(&u->tx, &tx);
	return 0;
}

/*
 * One pass over the stream: with @apply false only validate it, with
 * @apply true (after a successful validation) also store it into @m.
 */
static int mig_parse(struct mtty_model *m, const u8 *buf, size_t len,
		     bool apply)
{
	struct mig_in in = { .buf = buf, .len = len, .pos = 0 };
	u8 nports, card, mode, irqf, line;
	u16 version, cmd;
	u32 magic, bar[MTTY_MAX_PORTS_PER_DEV];
	unsigned int i;
	int ret;

	ret = in_le32(&in, &magic);
	if (ret)
		return ret;
	if (magic != MTTY_MIG_MAGIC)
		return -EBADMSG;
	ret = in_le16(&in, &version);
	if (ret)
		return ret;
	if (version != MTTY_MIG_VERSION)
		return -EOPNOTSUPP;
	if (in_u8(&in, &nports) || in_u8(&in, &card))
		return -EMSGSIZE;
	if (!nports || nports > MTTY_MAX_PORTS_PER_DEV ||
	    (card & ~MTTY_MIG_CARD_DEEP))
		return -EINVAL;
	if (nports != m->nports ||
	    !!(card & MTTY_MIG_CARD_DEEP) != model_deep(m))
		return -ENODEV;

	if (in_u8(&in, &mode) || in_u8(&in, &irqf) || in_le16(&in, &cmd) ||
	    in_u8(&in, &line))
		return -EMSGSIZE;
	if (mode > MTTY_IRQ_MSI || (irqf & ~MTTY_MIG_IRQ_MASKED) ||
	    !cfg_field_ok(&m->pci, MTTY_PCI_COMMAND, 2, cmd) ||
	    !cfg_field_ok(&m->pci, MTTY_PCI_INTERRUPT_LINE, 1, line))
		return -EINVAL;
	for (i = 0; i < nports; i++) {
		ret = in_le32(&in, &bar[i]);
		if (ret)
			return ret;
		if (!cfg_field_ok(&m->pci, MTTY_PCI_BAR0 + 4 * i, 4, bar[i]))
			return -EINVAL;
	}
	for (i = 0; i < nports; i++) {
		ret = load_port(&in, &m->uart[i], apply);
		if (ret)
			return ret;
	}
	if (in.pos != in.len)
		return -EMSGSIZE;

	if (apply) {
		m->irq_mode = mode;
		m->intx_masked = irqf & MTTY_MIG_IRQ_MASKED;
		mtty_pci_write(&m->pci, MTTY_PCI_COMMAND, 2, cmd);
		mtty_pci_write(&m->pci, MTTY_PCI_INTERRUPT_LINE, 1, line);
		for (i = 0; i < nports; i++)
			mtty_pci_write(&m->pci, MTTY_PCI_BAR0 + 4 * i, 4,
				       bar[i]);
	}
	return 0;
}

int mtty_model_load(struct mtty_model *m, const u8 *buf, size_t len,
		    unsigned int *sig)
{
	unsigned int s;
	int ret;

	ret = mig_parse(m, buf, len, false);
	if (ret)
		return ret;
	/* validated: the second pass cannot fail */
	mig_parse(m, buf, len, true);
	s = mtty_model_refresh(m);
	if (sig)
		*sig = s;
	return 0;
}
