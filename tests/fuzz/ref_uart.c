// SPDX-License-Identifier: GPL-2.0-only
/*
 * ref_uart.c - reference 16550A for the differential model fuzzer, written
 * from the PC16550D datasheet (section references below) plus the card's
 * documented wiring (docs/design.md, man/mtty.4).  See ref_model.h.
 */
#include <string.h>

#include "ref_model.h"


/* IER (datasheet 8.4) */
#define IER_ERBFI	0x01	/* received data available */
#define IER_ETBEI	0x02	/* transmitter holding register empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */
/* LCR (8.1) */
#define LCR_BREAK	0x40
#define LCR_DLAB	0x80
/* MCR (8.6) */
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
/* LSR (8.3) */
#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_RXFIFO_ERR	0x80
/* FCR (8.5) */
#define FCR_ENABLE	0x01
#define FCR_RX_RESET	0x02
#define FCR_TX_RESET	0x04
#define FCR_BIG		0x20	/* TL16C750: 64-byte FIFO, written with DLAB */

unsigned int ref_uart_depth(const struct ref_uart *u)
{
	if (!u->fifo_on)
		return 1;	/* 16450 mode: one holding register each way */
	return u->big_fifo ? 64 : 16;
}

static unsigned int trigger_level(const struct ref_uart *u)
{
	/* PC16550D FCR7:6 = 1, 4, 8, 14; TL16C750 64-byte: 1, 16, 32, 56 */
	static const unsigned int small[4] = { 1, 4, 8, 14 };
	static const unsigned int big[4] = { 1, 16, 32, 56 };

	return u->big_fifo ? big[u->trigger_sel] : small[u->trigger_sel];
}

/*
 * 8.3: "In the FIFO mode this error is associated with the particular
 * character in the FIFO it applies to. This error is revealed to the CPU
 * when its associated character is at the top of the FIFO."  Called
 * whenever the top of the receiver FIFO may have changed.
 */
static void reveal_top(struct ref_uart *u)
{
	if (u->rx_count && u->rx_err[0]) {
		u->lsr_revealed |= u->rx_err[0];
		u->rx_err[0] = 0;
	}
}

static void rx_append(struct ref_uart *u, uint8_t byte, uint8_t err)
{
	u->rx_data[u->rx_count] = byte;
	u->rx_err[u->rx_count] = err;
	u->rx_count++;
	reveal_top(u);
}

static uint8_t rx_take(struct ref_uart *u)
{
	uint8_t byte = u->rx_data[0];

	memmove(u->rx_data, u->rx_data + 1, u->rx_count - 1);
	memmove(u->rx_err, u->rx_err + 1, u->rx_count - 1);
	u->rx_count--;
	reveal_top(u);
	return byte;
}

/*
 * The cable (backend "tty") is in use outside loop mode; in loop mode the
 * 16550 disconnects its serial input and output from the pins (8.6 MCR4)
 * and the UART talks to itself whatever the port is plugged into.
 */
static bool on_cable(const struct ref_uart *u)
{
	return u->cable && !(u->mcr & MCR_LOOP);
}

/* A host break waiting on the cable enters as soon as there is room. */
static void far_break_enters(struct ref_uart *u)
{
	if (on_cable(u) && u->far_break_waiting &&
	    u->rx_count < ref_uart_depth(u)) {
		u->far_break_waiting = false;
		rx_append(u, 0x00, LSR_BI);
	}
}

/*
 * The card's wire: the serial output of the transmitter is the input of
 * its own receiver, and no time passes, so a byte leaves the transmitter
 * exactly when the receiver can hold it (the card never overruns).  When
 * the transmitter FIFO becomes empty, THRE rises: that is the THRE
 * interrupt event (8.4, table IV "transmitter holding register empty").
 */
static void shift_out(struct ref_uart *u)
{
	bool had_data = u->tx_count > 0;

	if (on_cable(u)) {
		/* the host takes the bytes (ref_uart_far_take) */
		far_break_enters(u);
		return;
	}
	while (u->tx_count && u->rx_count < ref_uart_depth(u)) {
		rx_append(u, u->tx_data[0], 0);
		memmove(u->tx_data, u->tx_data + 1, u->tx_count - 1);
		u->tx_count--;
	}
	if (had_data && !u->tx_count)
		u->thre_event = true;
}

/*
 * Modem inputs (8.7).  In loop mode (MCR4) the outputs are wired
 * internally: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.  Otherwise the card
 * behaves as a loopback plug: RTS->CTS, DTR->DSR and DCD, RI open; or, with
 * the cable plugged, as a null-modem cable: the host's RTS->CTS, the host's
 * DTR->DSR and DCD, RI open.
 */
static void update_modem_inputs(struct ref_uart *u)
{
	bool loop = u->mcr & MCR_LOOP;
	bool cts = u->mcr & MCR_RTS;
	bool dsr = u->mcr & MCR_DTR;
	bool ri = loop && (u->mcr & MCR_OUT1);
	bool dcd = loop ? !!(u->mcr & MCR_OUT2) : !!(u->mcr & MCR_DTR);

	if (!loop && u->cable) {
		cts = u->far_rts;
		dsr = u->far_dtr;
		dcd = u->far_dtr;
	}

	/* MSR0, 1, 3: any change; MSR2 (TERI): RI# input low to high,
	 * i.e. the RI bit of the MSR going from 1 to 0 */
	if (cts != u->cts)
		u->dcts = true;
	if (dsr != u->dsr)
		u->ddsr = true;
	if (u->ri && !ri)
		u->teri = true;
	if (dcd != u->dcd)
		u->ddcd = true;
	u->cts = cts;
	u->dsr = dsr;
	u->ri = ri;
	u->dcd = dcd;
}

void ref_uart_pending(const struct ref_uart *u, bool pending[REF_IRQ_NCLASSES])
{
	pending[REF_IRQ_LINE_STATUS] = (u->ier & IER_ELSI) &&
		(u->lsr_revealed & (LSR_OE | LSR_PE | LSR_FE | LSR_BI));
	pending[REF_IRQ_RX_DATA] = (u->ier & IER_ERBFI) && u->rx_count > 0;
	pending[REF_IRQ_THR_EMPTY] = (u->ier & IER_ETBEI) && u->thre_event &&
		u->tx_count == 0;
	pending[REF_IRQ_MODEM] = (u->ier & IER_EDSSI) &&
		(u->dcts || u->ddsr || u->teri || u->ddcd);
}

uint8_t ref_uart_iir_id(const struct ref_uart *u)
{
	bool p[REF_IRQ_NCLASSES];

	ref_uart_pending(u, p);
	if (p[REF_IRQ_LINE_STATUS])
		return 0x06;
	if (p[REF_IRQ_RX_DATA]) {
		/* character timeout (1100) below the trigger level: no time
		 * passes in the card, so the timeout has always expired */
		if (u->fifo_on && u->rx_count < trigger_level(u))
			return 0x0c;
		return 0x04;
	}
	if (p[REF_IRQ_THR_EMPTY])
		return 0x02;
	if (p[REF_IRQ_MODEM])
		return 0x00;
	return 0x01;
}

static uint8_t read_iir(struct ref_uart *u)
{
	uint8_t id = ref_uart_iir_id(u);
	uint8_t v = id;

	if (u->fifo_on)
		v |= 0xc0;		/* IIR7:6 set when FCR0 = 1 */
	if (u->big_fifo && u->fifo_on)
		v |= 0x20;		/* TL16C750 IIR5: 64-byte FIFO enabled */
	/* the THRE interrupt is cleared by reading the IIR that reports it */
	if (id == 0x02)
		u->thre_event = false;
	return v;
}

static uint8_t read_lsr(struct ref_uart *u)
{
	uint8_t v = u->lsr_revealed;
	unsigned int i;

	if (u->rx_count)
		v |= LSR_DR;
	if (!u->tx_count)
		v |= LSR_THRE | LSR_TEMT;	/* the shift register is never busy */
	if (u->fifo_on) {
		/* LSR7: a PE/FE/BI anywhere in the FIFO (incl. the one shown) */
		bool err = u->lsr_revealed & (LSR_PE | LSR_FE | LSR_BI);

		for (i = 0; i < u->rx_count; i++)
			err = err || u->rx_err[i];
		if (err)
			v |= LSR_RXFIFO_ERR;
	}
	u->lsr_revealed = 0;		/* LSR1-4 clear when LSR is read */
	return v;
}

static uint8_t read_msr(struct ref_uart *u)
{
	uint8_t v = (u->dcts ? 0x01 : 0) | (u->ddsr ? 0x02 : 0) |
		    (u->teri ? 0x04 : 0) | (u->ddcd ? 0x08 : 0) |
		    (u->cts ? 0x10 : 0) | (u->dsr ? 0x20 : 0) |
		    (u->ri ? 0x40 : 0) | (u->dcd ? 0x80 : 0);

	u->dcts = u->ddsr = u->teri = u->ddcd = false;
	return v;
}

uint8_t ref_uart_read(struct ref_uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REF_RBR_THR_DLL:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;	/* the card reads 0 from an empty RBR */
		u->n_delivered++;
		{
			uint8_t b = rx_take(u);

			shift_out(u);	/* room in RX: the transmitter moves on */
			return b;
		}
	case REF_IER_DLM:
		return dlab ? u->dlm : u->ier;
	case REF_IIR_FCR:
		return read_iir(u);
	case REF_LCR:
		return u->lcr;
	case REF_MCR:
		return u->mcr;
	case REF_LSR:
		return read_lsr(u);
	case REF_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void write_fcr(struct ref_uart *u, uint8_t val)
{
	unsigned int depth0 = ref_uart_depth(u);
	bool clear_rx, clear_tx;

	/*
	 * 8.5: "FCR0 must be 1 when other FCR bits are written to or they
	 * will not be programmed."  Writing 0 selects 16450 mode.
	 */
	if (!(val & FCR_ENABLE)) {
		u->fifo_on = false;
		clear_rx = clear_tx = false;
	} else {
		u->fifo_on = true;
		u->trigger_sel = val >> 6;
		if (u->deep && (u->lcr & LCR_DLAB))
			u->big_fifo = val & FCR_BIG;
		clear_rx = val & FCR_RX_RESET;
		clear_tx = val & FCR_TX_RESET;
	}
	/* "When changing from the FIFO Mode to the 16450 Mode and vice
	 * versa, data is automatically cleared from the FIFOs" (the card does
	 * the same when the 16750 FIFO size changes) */
	if (ref_uart_depth(u) != depth0)
		clear_rx = clear_tx = true;
	if (clear_rx)
		u->rx_count = 0;	/* bytes and their error flags */
	if (clear_tx && u->tx_count) {
		u->tx_count = 0;
		u->thre_event = true;	/* the transmitter FIFO became empty */
	}
	shift_out(u);
}

static void write_lcr(struct ref_uart *u, uint8_t val)
{
	bool break_starts = (val & LCR_BREAK) && !(u->lcr & LCR_BREAK);

	u->lcr = val;
	if (!break_starts)
		return;
	if (on_cable(u)) {
		/* the spacing line reaches the host, not our receiver */
		u->note_break = true;
		return;
	}
	/*
	 * The spacing line reaches our own receiver: one all-zero character
	 * with BI (8.3 LSR4: "only one zero character is loaded into the
	 * FIFO"), its flag travelling with it.  A full receiver overruns
	 * (8.3 LSR1, "indicated to the CPU as soon as it happens"): in FIFO
	 * mode the new character is lost ("the character in the shift
	 * register is overwritten, but it is not transferred to the FIFO");
	 * in 16450 mode it replaces the unread one in RBR ("thereby
	 * destroying the previous character").
	 */
	if (u->rx_count < ref_uart_depth(u)) {
		rx_append(u, 0x00, LSR_BI);
	} else if (!u->fifo_on) {
		u->rx_data[0] = 0x00;
		u->rx_err[0] = LSR_BI;
		u->lsr_revealed |= LSR_OE;
		reveal_top(u);
	} else {
		u->lsr_revealed |= LSR_OE;
	}
}

void ref_uart_write(struct ref_uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REF_RBR_THR_DLL:
		if (dlab) {
			u->dll = val;
			break;
		}
		/* writing THR clears the THRE interrupt (table IV) */
		u->thre_event = false;
		if (u->tx_count < ref_uart_depth(u)) {
			u->tx_data[u->tx_count++] = val;
			u->n_accepted++;
			if (on_cable(u))
				u->note_tx = true;
		} else {
			u->n_dropped++;	/* the card drops a byte written to a full FIFO */
		}
		shift_out(u);
		break;
	case REF_IER_DLM:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* enabling ETBEI while THRE is set raises the THRE interrupt */
		if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI) && !u->tx_count)
			u->thre_event = true;
		/* IER7:4 read 0 on a 16550A; the 16750 adds sleep/low power */
		u->ier = val & (u->deep ? 0x3f : 0x0f);
		break;
	case REF_IIR_FCR:
		write_fcr(u, val);
		break;
	case REF_LCR:
		write_lcr(u, val);
		break;
	case REF_MCR: {
		bool was_on_cable = on_cable(u);

		/* MCR7:5 read 0 on a 16550A; the 16750 adds autoflow (MCR5) */
		u->mcr = val & (u->deep ? 0x3f : 0x1f);
		update_modem_inputs(u);
		/* loop mode on or off rewires the transmitter and receiver */
		shift_out(u);
		if (!was_on_cable && on_cable(u) && u->tx_count)
			u->note_tx = true;
		break;
	}
	case REF_LSR:
	case REF_MSR:
		break;		/* factory test registers: writes ignored */
	default:
		u->scr = val;
		break;
	}
}

void ref_uart_reset(struct ref_uart *u)
{
	uint64_t acc = u->n_accepted, del = u->n_delivered, drop = u->n_dropped;
	bool deep = u->deep;
	bool cable = u->cable, far_dtr = u->far_dtr, far_rts = u->far_rts;
	bool note_break = u->note_break;

	/* table III: IER, IIR, FCR, LCR, MCR, LSR (0x60), MSR deltas reset,
	 * both FIFOs empty.  SCR and the divisor are undefined at power-on;
	 * the card defines them as 0 and 12 (9600 baud at 1.8432 MHz). */
	memset(u, 0, sizeof(*u));
	u->deep = deep;
	u->n_accepted = acc;
	u->n_delivered = del;
	u->n_dropped = drop;
	u->dll = 12;
	/*
	 * The cable is not part of the UART: the host's lines stay, and a
	 * break the guest sent has gone out.  The receiver's contents are
	 * cleared, a host break still waiting with them; the transmitter's
	 * bytes are gone, so there is nothing new for the host.
	 */
	u->cable = cable;
	u->far_dtr = far_dtr;
	u->far_rts = far_rts;
	u->note_break = note_break;
	/* MCR = 0: the inputs as the plug or cable drives them, no delta */
	update_modem_inputs(u);
	u->dcts = u->ddsr = u->teri = u->ddcd = false;
}

void ref_uart_power_on(struct ref_uart *u, bool deep)
{
	memset(u, 0, sizeof(*u));
	u->deep = deep;
	ref_uart_reset(u);
}

/* ---- the far end: a null-modem cable to a host tty (issue 14) ---- */

/* Plug a cable in (or pull it): a new far end, the UART reset. */
void ref_uart_plug(struct ref_uart *u, bool cable)
{
	u->cable = cable;
	u->far_dtr = u->far_rts = false;
	u->note_break = false;
	ref_uart_reset(u);
}

/* The host takes up to @len of the guest's bytes, oldest first. */
unsigned int ref_uart_far_take(struct ref_uart *u, uint8_t *buf,
			       unsigned int len)
{
	unsigned int n = 0;

	if (!on_cable(u))
		return 0;
	while (n < len && n < u->tx_count) {
		buf[n] = u->tx_data[n];
		n++;
	}
	memmove(u->tx_data, u->tx_data + n, u->tx_count - n);
	u->tx_count -= n;
	/* the last byte left: THRE rises, the THRE interrupt event */
	if (n && !u->tx_count)
		u->thre_event = true;
	return n;
}

/* Bytes the receiver takes from the host now: its free room, none while
 * a host break waits (it comes first). */
unsigned int ref_uart_far_room(const struct ref_uart *u)
{
	if (!on_cable(u) || u->far_break_waiting)
		return 0;
	return ref_uart_depth(u) - u->rx_count;
}

unsigned int ref_uart_far_give(struct ref_uart *u, const uint8_t *buf,
			       unsigned int len)
{
	unsigned int room = ref_uart_far_room(u), n;

	for (n = 0; n < len && n < room; n++)
		rx_append(u, buf[n], 0);
	return n;
}

void ref_uart_far_break(struct ref_uart *u)
{
	if (!on_cable(u))
		return;
	u->far_break_waiting = true;
	far_break_enters(u);
}

void ref_uart_far_set(struct ref_uart *u, bool dtr, bool rts)
{
	if (!u->cable)
		return;
	u->far_dtr = dtr;
	u->far_rts = rts;
	update_modem_inputs(u);
}

/* In loop mode the 16550's modem outputs are inactive on the pins. */
uint8_t ref_uart_far_lines(const struct ref_uart *u)
{
	uint8_t v;

	if (!u->cable)
		return 0;
	v = (u->far_dtr ? REF_FAR_DTR : 0) | (u->far_rts ? REF_FAR_RTS : 0);
	if (!(u->mcr & MCR_LOOP)) {
		if (u->mcr & MCR_DTR)
			v |= REF_FAR_DSR | REF_FAR_DCD;
		if (u->mcr & MCR_RTS)
			v |= REF_FAR_CTS;
	}
	return v;
}
