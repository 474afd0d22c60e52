/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_uart.h - a 16550A UART (optionally 16750-capable) whose transmitter
 * is wired to its own receiver (backend "loopback", the default) or, like a
 * null-modem cable, to a host-side tty (backend "tty").  Pure model: no
 * kernel headers.
 */
#ifndef MTTY_UART_H
#define MTTY_UART_H

#include "mtty_compat.h"

#define MTTY_UART_NREGS		8
#define MTTY_FIFO_16550A	16
#define MTTY_FIFO_16750		64
#define MTTY_FIFO_MAX		MTTY_FIFO_16750

/* Register offsets (DLAB clear unless noted) */
#define MTTY_UART_RBR		0	/* read: receive buffer */
#define MTTY_UART_THR		0	/* write: transmit holding */
#define MTTY_UART_DLL		0	/* DLAB: divisor latch low */
#define MTTY_UART_IER		1
#define MTTY_UART_DLM		1	/* DLAB: divisor latch high */
#define MTTY_UART_IIR		2	/* read */
#define MTTY_UART_FCR		2	/* write */
#define MTTY_UART_LCR		3
#define MTTY_UART_MCR		4
#define MTTY_UART_LSR		5
#define MTTY_UART_MSR		6
#define MTTY_UART_SCR		7

#define MTTY_IER_RDI		0x01	/* received data available */
#define MTTY_IER_THRI		0x02	/* THR empty */
#define MTTY_IER_RLSI		0x04	/* receiver line status */
#define MTTY_IER_MSI		0x08	/* modem status */
#define MTTY_IER_16550A_MASK	0x0f
#define MTTY_IER_16750_MASK	0x3f	/* + sleep mode, low power mode */

#define MTTY_IIR_NO_INT		0x01
#define MTTY_IIR_ID_MASK	0x0e
#define MTTY_IIR_MSI		0x00
#define MTTY_IIR_THRI		0x02
#define MTTY_IIR_RDI		0x04
#define MTTY_IIR_RLSI		0x06
#define MTTY_IIR_RX_TIMEOUT	0x0c
#define MTTY_IIR_FIFO64		0x20
#define MTTY_IIR_FIFO_ON	0xc0

#define MTTY_FCR_ENABLE		0x01
#define MTTY_FCR_CLEAR_RCVR	0x02
#define MTTY_FCR_CLEAR_XMIT	0x04
#define MTTY_FCR_DMA_SELECT	0x08
#define MTTY_FCR_FIFO64		0x20	/* 16750: only writable with DLAB set */
#define MTTY_FCR_TRIGGER_MASK	0xc0

#define MTTY_LCR_SBC		0x40	/* set break */
#define MTTY_LCR_DLAB		0x80

#define MTTY_MCR_DTR		0x01
#define MTTY_MCR_RTS		0x02
#define MTTY_MCR_OUT1		0x04
#define MTTY_MCR_OUT2		0x08
#define MTTY_MCR_LOOP		0x10
#define MTTY_MCR_16550A_MASK	0x1f
#define MTTY_MCR_16750_MASK	0x3f	/* + autoflow enable */

#define MTTY_LSR_DR		0x01
#define MTTY_LSR_OE		0x02
#define MTTY_LSR_PE		0x04
#define MTTY_LSR_FE		0x08
#define MTTY_LSR_BI		0x10
#define MTTY_LSR_THRE		0x20
#define MTTY_LSR_TEMT		0x40
#define MTTY_LSR_FIFOE		0x80	/* error in RCVR FIFO (FIFO mode) */
#define MTTY_LSR_ERR_MASK	(MTTY_LSR_OE | MTTY_LSR_PE | MTTY_LSR_FE | \
				 MTTY_LSR_BI)
/* the errors that travel with a received character */
#define MTTY_LSR_CHAR_ERR_MASK	(MTTY_LSR_PE | MTTY_LSR_FE | MTTY_LSR_BI)

#define MTTY_MSR_DCTS		0x01
#define MTTY_MSR_DDSR		0x02
#define MTTY_MSR_TERI		0x04
#define MTTY_MSR_DDCD		0x08
#define MTTY_MSR_DELTA_MASK	0x0f
#define MTTY_MSR_CTS		0x10
#define MTTY_MSR_DSR		0x20
#define MTTY_MSR_RI		0x40
#define MTTY_MSR_DCD		0x80

/* What a port's far end is: fixed while a user has the device open. */
#define MTTY_BACKEND_LOOPBACK	0	/* the transmitter feeds the receiver */
#define MTTY_BACKEND_TTY	1	/* a null-modem cable to a host tty */

/*
 * Backend tty: the modem lines of the host end.  The host drives DTR and
 * RTS (MTTY_HOST_DTR/RTS) and sees the guest's: DSR and DCD follow the
 * guest's DTR, CTS the guest's RTS (MTTY_HOST_DSR/DCD/CTS).
 */
#define MTTY_HOST_DTR		0x01
#define MTTY_HOST_RTS		0x02
#define MTTY_HOST_CTS		0x04
#define MTTY_HOST_DSR		0x08
#define MTTY_HOST_DCD		0x10

/*
 * Backend tty: what the host side (the glue) has to act on, accumulated in
 * mtty_uart.host_events until the glue takes them (mtty_uart_host_events).
 */
#define MTTY_HOST_EV_TX		0x01	/* bytes wait in the TX FIFO */
#define MTTY_HOST_EV_RX_ROOM	0x02	/* the receiver made room */
#define MTTY_HOST_EV_MCTRL	0x04	/* the host's DSR/DCD/CTS changed */
#define MTTY_HOST_EV_BREAK	0x08	/* the guest sent a break */

/*
 * A FIFO of characters, each with the line errors it was received with
 * (MTTY_LSR_CHAR_ERR_MASK bits; always 0 in the transmit FIFO).
 */
struct mtty_fifo {
	u8 data[MTTY_FIFO_MAX];
	u8 err[MTTY_FIFO_MAX];	/* per-character PE/FE/BI */
	u8 head;		/* index of the oldest byte */
	u8 count;		/* bytes held */
};

/*
 * Every field is plain data: a reset is a re-initialisation and the fuzzer
 * can compare snapshots.  The transmitter moves bytes from the TX FIFO into
 * the RX FIFO whenever the receiver has room, so a writer that honours THRE
 * can never overrun the receiver: flow control is the guest driver's own.
 */
struct mtty_uart {
	struct mtty_fifo rx;
	struct mtty_fifo tx;
	u8 ier;
	u8 lcr;
	u8 mcr;
	u8 lsr_err;		/* OE and revealed BI, cleared by reading LSR */
	u8 msr_delta;		/* DCTS/DDSR/TERI/DDCD, cleared by reading MSR */
	u8 scr;
	u8 dll;
	u8 dlm;
	u8 fcr;			/* FIFO enable and trigger bits as written */
	bool fifo64;		/* 64-byte mode selected (16750 only) */
	bool thre_int;		/* THRE interrupt pending */
	bool deep;		/* 16750-capable port (fixed at init) */
	/*
	 * The far end, kept across reset.  Backend tty: the TX FIFO is the
	 * queue the host drains (mtty_uart_host_tx), host bytes enter the RX
	 * FIFO only while it has room (mtty_uart_host_rx), so nothing is
	 * dropped either way.  With MCR LOOP set the UART is wired to itself
	 * as with the loopback backend and the host sees neither data nor
	 * modem lines.
	 */
	u8 backend;		/* MTTY_BACKEND_* */
	u8 host_mcr;		/* MTTY_HOST_DTR/RTS as the host drives them */
	bool host_brk;		/* a host break waits for receiver room */
	u8 host_events;		/* MTTY_HOST_EV_* not yet taken by the glue */
	/* statistics, survive reset */
	u64 tx_bytes;		/* accepted into the TX FIFO */
	u64 rx_bytes;		/* handed to the reader through RBR */
	u64 tx_dropped;		/* written to a full TX FIFO */
};

void mtty_uart_init(struct mtty_uart *u, bool deep);
void mtty_uart_reset(struct mtty_uart *u);
u8 mtty_uart_read(struct mtty_uart *u, unsigned int reg);
void mtty_uart_write(struct mtty_uart *u, unsigned int reg, u8 val);

/* Interrupt identification (IIR bits 3:0) without side effects. */
u8 mtty_uart_iir_id(const struct mtty_uart *u);
/*
 * The error bits (OE, PE, FE, BI and FIFOE) the next LSR read returns,
 * without side effects: OE as soon as it happened, PE/FE/BI of the
 * character at the top of the receive FIFO (the one RBR returns next),
 * FIFOE while any character in the FIFO carries an error (FIFO mode).
 */
u8 mtty_uart_lsr_errors(const struct mtty_uart *u);
unsigned int mtty_uart_fifo_depth(const struct mtty_uart *u);
unsigned int mtty_uart_rx_trigger(const struct mtty_uart *u);

/* Bitmask of enabled and pending interrupt sources, one bit per IIR class. */
#define MTTY_SRC_RLS		0x1
#define MTTY_SRC_RDA		0x2
#define MTTY_SRC_THRE		0x4
#define MTTY_SRC_MS		0x8
unsigned int mtty_uart_sources(const struct mtty_uart *u);

static inline bool mtty_uart_irq_pending(const struct mtty_uart *u)
{
	return mtty_uart_sources(u) != 0;
}

/*
 * The host side of a port with backend tty; in loopback mode (or with MCR
 * LOOP set) no byte moves: room and the bytes taken are 0.
 */
void mtty_uart_set_backend(struct mtty_uart *u, u8 backend);
/* Take up to @len bytes the guest sent; THRE is raised when they are all taken. */
unsigned int mtty_uart_host_tx(struct mtty_uart *u, u8 *buf, unsigned int len);
/* Bytes the receiver can take from the host now. */
unsigned int mtty_uart_host_rx_room(const struct mtty_uart *u);
/* Give up to @len bytes to the receiver; returns how many it took. */
unsigned int mtty_uart_host_rx(struct mtty_uart *u, const u8 *buf,
			       unsigned int len);
/* A break from the host: a NUL with BI, after the bytes already received. */
void mtty_uart_host_break(struct mtty_uart *u);
/* Set the host's DTR/RTS (MTTY_HOST_DTR/RTS). */
void mtty_uart_host_set_lines(struct mtty_uart *u, u8 lines);
/* The host's modem lines: MTTY_HOST_DTR/RTS as set, DSR/DCD/CTS as seen. */
u8 mtty_uart_host_lines(const struct mtty_uart *u);
/* Take the MTTY_HOST_EV_* accumulated since the last call. */
u8 mtty_uart_host_events(struct mtty_uart *u);

#endif /* MTTY_UART_H */
