// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_uart.c - 16550A UART model with the transmitter looped back into the
 * receiver (backend loopback) or wired to a host tty (backend tty).  Pure
 * model: builds in Kbuild and in userspace tests.
 */
#include "mtty_uart.h"

static void fifo_clear(struct mtty_fifo *f)
{
	memset(f->err, 0, sizeof(f->err));
	f->head = 0;
	f->count = 0;
}

static void fifo_push(struct mtty_fifo *f, u8 val, u8 err)
{
	unsigned int i = (f->head + f->count) % MTTY_FIFO_MAX;

	f->data[i] = val;
	f->err[i] = err;
	f->count++;
}

static u8 fifo_pop(struct mtty_fifo *f)
{
	u8 val = f->data[f->head];

	f->err[f->head] = 0;
	f->head = (f->head + 1) % MTTY_FIFO_MAX;
	f->count--;
	return val;
}

/*
 * An error is revealed when its character reaches the top of the RX FIFO
 * (or RBR): from then on it is latched in LSR until LSR is read, whatever
 * happens to the character.  Called wherever the top may have changed.
 */
static void uart_reveal(struct mtty_uart *u)
{
	struct mtty_fifo *f = &u->rx;

	if (f->count && f->err[f->head]) {
		u->lsr_err |= f->err[f->head];
		f->err[f->head] = 0;
	}
}

unsigned int mtty_uart_fifo_depth(const struct mtty_uart *u)
{
	if (!(u->fcr & MTTY_FCR_ENABLE))
		return 1;
	return u->fifo64 ? MTTY_FIFO_16750 : MTTY_FIFO_16550A;
}

unsigned int mtty_uart_rx_trigger(const struct mtty_uart *u)
{
	static const u8 trig16[4] = { 1, 4, 8, 14 };
	static const u8 trig64[4] = { 1, 16, 32, 56 };
	unsigned int sel = (u->fcr & MTTY_FCR_TRIGGER_MASK) >> 6;

	if (!(u->fcr & MTTY_FCR_ENABLE))
		return 1;
	return u->fifo64 ? trig64[sel] : trig16[sel];
}

/* Backend tty outside MCR loop mode: the line leads to the host. */
static bool uart_to_host(const struct mtty_uart *u)
{
	return u->backend == MTTY_BACKEND_TTY && !(u->mcr & MTTY_MCR_LOOP);
}

/*
 * The receiver takes a break character (a NUL carrying BI).  Like every
 * error but overrun, BI travels with its character: LSR shows it (and the
 * line status interrupt fires) once the NUL is at the top of the FIFO.
 */
static void uart_rx_break(struct mtty_uart *u)
{
	fifo_push(&u->rx, 0, MTTY_LSR_BI);
	uart_reveal(u);
}

/*
 * Backend tty: the TX FIFO waits for the host (mtty_uart_host_tx); a host
 * break waiting for room enters the receiver as soon as it has some.
 */
static void uart_pump_host(struct mtty_uart *u)
{
	if (u->host_brk && u->rx.count < mtty_uart_fifo_depth(u)) {
		u->host_brk = false;
		uart_rx_break(u);
	}
	if (u->tx.count)
		u->host_events |= MTTY_HOST_EV_TX;
}

/*
 * Move bytes from the transmitter to the receiver while the receiver has
 * room.  When the transmitter runs dry the THRE interrupt is raised, as a
 * real UART does when its holding register empties.
 */
static void uart_pump(struct mtty_uart *u)
{
	unsigned int depth = mtty_uart_fifo_depth(u);
	bool had_tx = u->tx.count != 0;

	if (uart_to_host(u)) {
		uart_pump_host(u);
		return;
	}

	while (u->tx.count && u->rx.count < depth)
		fifo_push(&u->rx, fifo_pop(&u->tx), 0);
	uart_reveal(u);

	if (had_tx && !u->tx.count)
		u->thre_int = true;
}

static u8 modem_lines(const struct mtty_uart *u)
{
	u8 mcr = u->mcr;
	u8 msr = 0;

	if (uart_to_host(u)) {
		/* null-modem cable: the host's DTR drives DSR and DCD */
		if (u->host_mcr & MTTY_HOST_RTS)
			msr |= MTTY_MSR_CTS;
		if (u->host_mcr & MTTY_HOST_DTR)
			msr |= MTTY_MSR_DSR | MTTY_MSR_DCD;
		return msr;
	}

	if (mcr & MTTY_MCR_RTS)
		msr |= MTTY_MSR_CTS;
	if (mcr & MTTY_MCR_DTR)
		msr |= MTTY_MSR_DSR;

	if (mcr & MTTY_MCR_LOOP) {
		/* internal loopback: the 16550's documented wiring */
		if (mcr & MTTY_MCR_OUT1)
			msr |= MTTY_MSR_RI;
		if (mcr & MTTY_MCR_OUT2)
			msr |= MTTY_MSR_DCD;
	} else if (mcr & MTTY_MCR_DTR) {
		/* a loopback plug ties DTR to DSR and DCD */
		msr |= MTTY_MSR_DCD;
	}
	return msr;
}

u8 mtty_uart_host_lines(const struct mtty_uart *u)
{
	u8 lines = u->host_mcr;

	if (!uart_to_host(u))
		return lines;	/* loop mode: the outputs are inactive */
	if (u->mcr & MTTY_MCR_DTR)
		lines |= MTTY_HOST_DSR | MTTY_HOST_DCD;
	if (u->mcr & MTTY_MCR_RTS)
		lines |= MTTY_HOST_CTS;
	return lines;
}

/* The MSR delta bits for the modem inputs having been @old. */
static void modem_deltas(struct mtty_uart *u, u8 old)
{
	u8 new = modem_lines(u);
	u8 changed = old ^ new;

	if (changed & MTTY_MSR_CTS)
		u->msr_delta |= MTTY_MSR_DCTS;
	if (changed & MTTY_MSR_DSR)
		u->msr_delta |= MTTY_MSR_DDSR;
	if ((old & MTTY_MSR_RI) && !(new & MTTY_MSR_RI))
		u->msr_delta |= MTTY_MSR_TERI;
	if (changed & MTTY_MSR_DCD)
		u->msr_delta |= MTTY_MSR_DDCD;
}

static void uart_set_mcr(struct mtty_uart *u, u8 val)
{
	u8 mask = u->deep ? MTTY_MCR_16750_MASK : MTTY_MCR_16550A_MASK;
	u8 old = modem_lines(u);
	u8 host = mtty_uart_host_lines(u);
	u8 old_mcr = u->mcr;

	u->mcr = val & mask;
	modem_deltas(u, old);
	if (u->backend == MTTY_BACKEND_LOOPBACK)
		return;
	if (mtty_uart_host_lines(u) != host)
		u->host_events |= MTTY_HOST_EV_MCTRL;
	/* out of loop mode the receiver takes host bytes again */
	if ((old_mcr ^ u->mcr) & MTTY_MCR_LOOP)
		u->host_events |= MTTY_HOST_EV_RX_ROOM;
	/* entering or leaving loop mode rewires the transmitter */
	uart_pump(u);
}

static void uart_set_lcr(struct mtty_uart *u, u8 val)
{
	bool brk_start = (val & MTTY_LCR_SBC) && !(u->lcr & MTTY_LCR_SBC);

	u->lcr = val;
	if (!brk_start)
		return;
	if (uart_to_host(u)) {
		/* the glue sends it after the bytes still in the TX FIFO */
		u->host_events |= MTTY_HOST_EV_BREAK;
		return;
	}
	/*
	 * The break condition reaches our own receiver as one NUL character
	 * carrying BI.  A full receiver overruns at once: in FIFO mode the
	 * NUL is lost, in 16450 mode it replaces the unread character in RBR.
	 */
	if (u->rx.count < mtty_uart_fifo_depth(u)) {
		uart_rx_break(u);
		return;
	}
	if (!(u->fcr & MTTY_FCR_ENABLE)) {
		u->rx.data[u->rx.head] = 0;
		u->rx.err[u->rx.head] = MTTY_LSR_BI;
	}
	u->lsr_err |= MTTY_LSR_OE;
	uart_reveal(u);
}

static void uart_set_fcr(struct mtty_uart *u, u8 val)
{
	unsigned int old_depth = mtty_uart_fifo_depth(u);

	/*
	 * "FCR0 must be 1 when other FCR bits are written to or they will
	 * not be programmed": writing it 0 only selects 16450 mode.  The
	 * 16750's 64-byte bit is also written only with DLAB set.
	 */
	if (val & MTTY_FCR_ENABLE) {
		if (u->deep && (u->lcr & MTTY_LCR_DLAB))
			u->fifo64 = !!(val & MTTY_FCR_FIFO64);
		u->fcr = val & (MTTY_FCR_ENABLE | MTTY_FCR_DMA_SELECT |
				MTTY_FCR_TRIGGER_MASK);
	} else {
		u->fcr = 0;
		val = 0;
	}

	if (mtty_uart_fifo_depth(u) != old_depth) {
		/* Changing the FIFO mode resets both FIFOs. */
		val |= MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT;
	}
	if (val & MTTY_FCR_CLEAR_RCVR) {
		fifo_clear(&u->rx);
		if (u->backend != MTTY_BACKEND_LOOPBACK)
			u->host_events |= MTTY_HOST_EV_RX_ROOM;
	}
	if ((val & MTTY_FCR_CLEAR_XMIT) && u->tx.count) {
		fifo_clear(&u->tx);
		u->thre_int = true;
	}
	uart_pump(u);
}

static void uart_set_ier(struct mtty_uart *u, u8 val)
{
	u8 mask = u->deep ? MTTY_IER_16750_MASK : MTTY_IER_16550A_MASK;
	bool thri_on = (val & MTTY_IER_THRI) && !(u->ier & MTTY_IER_THRI);

	u->ier = val & mask;
	/* Enabling the THRE interrupt with the transmitter empty fires it. */
	if (thri_on && !u->tx.count)
		u->thre_int = true;
}

static void uart_write_thr(struct mtty_uart *u, u8 val)
{
	u->thre_int = false;
	if (u->tx.count < mtty_uart_fifo_depth(u)) {
		fifo_push(&u->tx, val, 0);
		u->tx_bytes++;
	} else {
		/* The writer ignored THRE: the byte is lost, as on hardware. */
		u->tx_dropped++;
	}
	uart_pump(u);
}

static u8 uart_read_rbr(struct mtty_uart *u)
{
	u8 val;

	if (!u->rx.count)
		return 0;
	val = fifo_pop(&u->rx);
	u->rx_bytes++;
	if (uart_to_host(u))
		u->host_events |= MTTY_HOST_EV_RX_ROOM;
	uart_pump(u);
	uart_reveal(u);
	return val;
}

/* LSR bits 1-4: the overrun and the errors revealed since LSR was read. */
static u8 uart_line_errors(const struct mtty_uart *u)
{
	return u->lsr_err & (MTTY_LSR_OE | MTTY_LSR_CHAR_ERR_MASK);
}

u8 mtty_uart_lsr_errors(const struct mtty_uart *u)
{
	const struct mtty_fifo *f = &u->rx;
	u8 val = uart_line_errors(u);
	unsigned int i;

	if (u->fcr & MTTY_FCR_ENABLE) {
		/* LSR7: an error shown now or still in the FIFO */
		if (val & MTTY_LSR_CHAR_ERR_MASK)
			val |= MTTY_LSR_FIFOE;
		for (i = 0; i < f->count; i++) {
			if (f->err[(f->head + i) % MTTY_FIFO_MAX]) {
				val |= MTTY_LSR_FIFOE;
				break;
			}
		}
	}
	return val;
}

unsigned int mtty_uart_sources(const struct mtty_uart *u)
{
	unsigned int src = 0;

	if ((u->ier & MTTY_IER_RLSI) && uart_line_errors(u))
		src |= MTTY_SRC_RLS;
	if ((u->ier & MTTY_IER_RDI) && u->rx.count)
		src |= MTTY_SRC_RDA;
	if ((u->ier & MTTY_IER_THRI) && u->thre_int && !u->tx.count)
		src |= MTTY_SRC_THRE;
	if ((u->ier & MTTY_IER_MSI) && (u->msr_delta & MTTY_MSR_DELTA_MASK))
		src |= MTTY_SRC_MS;
	return src;
}

u8 mtty_uart_iir_id(const struct mtty_uart *u)
{
	unsigned int src = mtty_uart_sources(u);

	if (src & MTTY_SRC_RLS)
		return MTTY_IIR_RLSI;
	if (src & MTTY_SRC_RDA) {
		/*
		 * Below the trigger level a real UART reports a character
		 * timeout after four idle character times; no time passes
		 * in this model, so the timeout is immediate.
		 */
		if ((u->fcr & MTTY_FCR_ENABLE) &&
		    u->rx.count < mtty_uart_rx_trigger(u))
			return MTTY_IIR_RX_TIMEOUT;
		return MTTY_IIR_RDI;
	}
	if (src & MTTY_SRC_THRE)
		return MTTY_IIR_THRI;
	if (src & MTTY_SRC_MS)
		return MTTY_IIR_MSI;
	return MTTY_IIR_NO_INT;
}

static u8 uart_read_iir(struct mtty_uart *u)
{
	u8 id = mtty_uart_iir_id(u);
	u8 val = id;

	if (u->fcr & MTTY_FCR_ENABLE)
		val |= MTTY_IIR_FIFO_ON;
	if (u->fifo64 && (u->fcr & MTTY_FCR_ENABLE))
		val |= MTTY_IIR_FIFO64;
	/* Reading IIR clears a THRE interrupt that it reports. */
	if (id == MTTY_IIR_THRI)
		u->thre_int = false;
	return val;
}

static u8 uart_read_lsr(struct mtty_uart *u)
{
	u8 val = mtty_uart_lsr_errors(u);

	if (u->rx.count)
		val |= MTTY_LSR_DR;
	if (!u->tx.count)
		val |= MTTY_LSR_THRE | MTTY_LSR_TEMT;
	/* Reading LSR clears the errors it reported (LSR bits 1-4). */
	u->lsr_err = 0;
	return val;
}

static u8 uart_read_msr(struct mtty_uart *u)
{
	u8 val = modem_lines(u) | u->msr_delta;

	u->msr_delta = 0;
	return val;
}

u8 mtty_uart_read(struct mtty_uart *u, unsigned int reg)
{
	bool dlab = u->lcr & MTTY_LCR_DLAB;

	switch (reg) {
	case MTTY_UART_RBR:
		return dlab ? u->dll : uart_read_rbr(u);
	case MTTY_UART_IER:
		return dlab ? u->dlm : u->ier;
	case MTTY_UART_IIR:
		return uart_read_iir(u);
	case MTTY_UART_LCR:
		return u->lcr;
	case MTTY_UART_MCR:
		return u->mcr;
	case MTTY_UART_LSR:
		return uart_read_lsr(u);
	case MTTY_UART_MSR:
		return uart_read_msr(u);
	case MTTY_UART_SCR:
		return u->scr;
	}
	return 0xff;
}

void mtty_uart_write(struct mtty_uart *u, unsigned int reg, u8 val)
{
	bool dlab = u->lcr & MTTY_LCR_DLAB;

	switch (reg) {
	case MTTY_UART_THR:
		if (dlab)
			u->dll = val;
		else
			uart_write_thr(u, val);
		break;
	case MTTY_UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_set_ier(u, val);
		break;
	case MTTY_UART_FCR:
		uart_set_fcr(u, val);
		break;
	case MTTY_UART_LCR:
		uart_set_lcr(u, val);
		break;
	case MTTY_UART_MCR:
		uart_set_mcr(u, val);
		break;
	case MTTY_UART_LSR:
	case MTTY_UART_MSR:
		/* factory test registers on real parts: ignored */
		break;
	case MTTY_UART_SCR:
		u->scr = val;
		break;
	}
}

void mtty_uart_reset(struct mtty_uart *u)
{
	bool deep = u->deep;
	u8 backend = u->backend;
	u8 host_mcr = u->host_mcr;
	u8 host_lines = mtty_uart_host_lines(u);
	u8 host_events = u->host_events;
	u64 tx_bytes = u->tx_bytes;
	u64 rx_bytes = u->rx_bytes;
	u64 tx_dropped = u->tx_dropped;

	memset(u, 0, sizeof(*u));
	u->deep = deep;
	/* the far end stays connected; it sees the guest's lines drop */
	u->backend = backend;
	u->host_mcr = host_mcr;
	if (backend != MTTY_BACKEND_LOOPBACK) {
		/* a break the guest sent has gone out: the host still gets it */
		u->host_events = host_events & (MTTY_HOST_EV_MCTRL |
						MTTY_HOST_EV_BREAK);
		u->host_events |= MTTY_HOST_EV_RX_ROOM;
		if (mtty_uart_host_lines(u) != host_lines)
			u->host_events |= MTTY_HOST_EV_MCTRL;
	}
	u->tx_bytes = tx_bytes;
	u->rx_bytes = rx_bytes;
	u->tx_dropped = tx_dropped;
	/* divisor latch for 9600 baud at 1.8432 MHz, as firmware leaves it */
	u->dll = 12;
}

void mtty_uart_init(struct mtty_uart *u, bool deep)
{
	memset(u, 0, sizeof(*u));
	u->deep = deep;
	mtty_uart_reset(u);
}

/* ---- the host side (backend tty) ---- */

void mtty_uart_set_backend(struct mtty_uart *u, u8 backend)
{
	u->backend = backend == MTTY_BACKEND_TTY ? MTTY_BACKEND_TTY :
						   MTTY_BACKEND_LOOPBACK;
	u->host_mcr = 0;
	mtty_uart_reset(u);
	u->host_events = 0;
}

unsigned int mtty_uart_host_tx(struct mtty_uart *u, u8 *buf, unsigned int len)
{
	unsigned int n = 0;

	if (!uart_to_host(u))
		return 0;
	while (n < len && u->tx.count)
		buf[n++] = fifo_pop(&u->tx);
	if (n && !u->tx.count)
		u->thre_int = true;
	return n;
}

unsigned int mtty_uart_host_rx_room(const struct mtty_uart *u)
{
	if (!uart_to_host(u) || u->host_brk)
		return 0;
	return mtty_uart_fifo_depth(u) - u->rx.count;
}

unsigned int mtty_uart_host_rx(struct mtty_uart *u, const u8 *buf,
			       unsigned int len)
{
	unsigned int room = mtty_uart_host_rx_room(u);
	unsigned int n;

	for (n = 0; n < len && n < room; n++)
		fifo_push(&u->rx, buf[n], 0);
	uart_reveal(u);
	return n;
}

void mtty_uart_host_break(struct mtty_uart *u)
{
	if (!uart_to_host(u))
		return;
	u->host_brk = true;
	uart_pump_host(u);
}

void mtty_uart_host_set_lines(struct mtty_uart *u, u8 lines)
{
	u8 old = modem_lines(u);

	if (u->backend == MTTY_BACKEND_LOOPBACK)
		return;
	u->host_mcr = lines & (MTTY_HOST_DTR | MTTY_HOST_RTS);
	modem_deltas(u, old);
}

u8 mtty_uart_host_events(struct mtty_uart *u)
{
	u8 ev = u->host_events;

	u->host_events = 0;
	return ev;
}
