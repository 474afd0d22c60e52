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

	if (!mtty_model_migratable(m))
		return -EOPNOTSUPP;
	if (len < mtty_model_save_size(m))
		return -ENOSPC;

	out_le32(&o, MTTY_MIG_MAGIC);
	out_le16(&o, MTTY_MIG_VERSION);
	out_u8(&o, m->nports);
	out_u8(&o, model_deep(m) ? MTTY_MIG_CARD_DEEP : 0);
	out_u8(&o, m->irq_mode);
	/*
	 * A deferred INTx (a line left high at an ioctl unmask or raised
	 * inside the guest's handler, see mtty_model_intx_unmask_deferred())
	 * is a signal still owed: saved
	 * as masked, so the destination signals once on load; the stream
	 * never holds a high, unmasked, enabled line.
	 */
	out_u8(&o, m->intx_masked || m->intx_deferred ?
		   MTTY_MIG_IRQ_MASKED : 0);
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

static int load_fifo(struct mig_in *in, struct mtty_fifo *f,
		     unsigned int depth, bool rx)
{
	const u8 *data, *err;
	unsigned int i;
	u8 count;
	int ret;

	ret = in_u8(in, &count);
	if (ret)
		return ret;
	if (count > depth)
		return -EINVAL;
	data = in_bytes(in, count);
	err = in_bytes(in, count);
	if (!data || !err)
		return -EMSGSIZE;
	for (i = 0; i < count; i++) {
		/* only the break NUL carries an error in this model */
		if (err[i] && (!rx || err[i] != MTTY_LSR_BI || data[i]))
			return -EINVAL;
	}
	memset(f->err, 0, sizeof(f->err));
	memcpy(f->data, data, count);
	memcpy(f->err, err, count);
	f->head = 0;
	f->count = count;
	return 0;
}

/* Parse and check one port record into @t (a scratch UART like @u). */
static int load_port(struct mig_in *in, const struct mtty_uart *u,
		     struct mtty_uart *t)
{
	u8 ier_mask = u->deep ? MTTY_IER_16750_MASK : MTTY_IER_16550A_MASK;
	u8 mcr_mask = u->deep ? MTTY_MCR_16750_MASK : MTTY_MCR_16550A_MASK;
	u8 fcr_bits = MTTY_FCR_ENABLE | MTTY_FCR_DMA_SELECT |
		      MTTY_FCR_TRIGGER_MASK;
	u8 r[10];	/* IER LCR MCR LSR MSR SCR DLL DLM FCR flags */
	unsigned int depth, i;
	int ret;

	for (i = 0; i < sizeof(r); i++) {
		ret = in_u8(in, &r[i]);
		if (ret)
			return ret;
	}
	if ((r[0] & ~ier_mask) || (r[2] & ~mcr_mask) ||
	    (r[3] & ~(MTTY_LSR_OE | MTTY_LSR_BI)) ||
	    (r[4] & ~MTTY_MSR_DELTA_MASK) ||
	    (r[8] & ~fcr_bits) || (r[8] && !(r[8] & MTTY_FCR_ENABLE)) ||
	    (r[9] & ~(MTTY_MIG_PORT_FIFO64 | MTTY_MIG_PORT_THRE)) ||
	    ((r[9] & MTTY_MIG_PORT_FIFO64) && !u->deep))
		return -EINVAL;

	*t = *u;	/* identity and statistics stay the destination's */
	t->ier = r[0];
	t->lcr = r[1];
	t->mcr = r[2];
	t->lsr_err = r[3];
	t->msr_delta = r[4];
	t->scr = r[5];
	t->dll = r[6];
	t->dlm = r[7];
	t->fcr = r[8];
	t->fifo64 = r[9] & MTTY_MIG_PORT_FIFO64;
	t->thre_int = r[9] & MTTY_MIG_PORT_THRE;

	depth = mtty_uart_fifo_depth(t);
	ret = load_fifo(in, &t->rx, depth, true);
	if (ret)
		return ret;
	ret = load_fifo(in, &t->tx, depth, false);
	if (ret)
		return ret;
	/*
	 * The transmitter only holds bytes the full receiver cannot take;
	 * the character on top has its errors already revealed (in LSR).
	 */
	if ((t->tx.count && t->rx.count != depth) ||
	    (t->thre_int && t->tx.count) ||
	    (t->rx.count && t->rx.err[0]))
		return -EINVAL;
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
	struct mtty_uart t;
	unsigned int i, pending = 0;
	int ret;

	if (!mtty_model_migratable(m))
		return -EOPNOTSUPP;
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
		ret = load_port(&in, &m->uart[i], &t);
		if (ret)
			return ret;
		pending |= mtty_uart_sources(&t);
		if (apply)
			m->uart[i] = t;
	}
	if (in.pos != in.len)
		return -EMSGSIZE;
	/*
	 * A card in INTx mode with its line high, unmasked and enabled would
	 * have signalled and automasked: no device is ever in that state.
	 */
	if (mode == MTTY_IRQ_INTX && pending && !(irqf & MTTY_MIG_IRQ_MASKED) &&
	    !(cmd & MTTY_PCI_CMD_INTX_DIS))
		return -EINVAL;

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
