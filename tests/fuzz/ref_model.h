/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ref_model.h - reference model of the mtty card for the model fuzzer's
 * differential oracle (tests/fuzz/fuzz_model.c).
 *
 * Written from the documents, not from driver/: the National/TI PC16550D
 * datasheet (register set, FIFO and interrupt rules), the TL16C750
 * datasheet for the 64-byte mode, the PCI Local Bus Specification 3.0
 * (type 0 header, command/status, I/O BARs, INTx Disable) and VFIO's INTx
 * contract (level, automasked when signalled, UNMASK re-signals a line
 * that is still high); the card-specific choices (identity, one 8-byte I/O
 * BAR per port, no capability list, instant loopback of a transmitter
 * into its own receiver, loopback-plug modem wiring, immediate character
 * timeout, MSI on each new interrupt event) are those of docs/design.md and
 * man/mtty.4.  The host end of a port (backend "tty", issue 14) is a
 * null-modem cable to a tty on the host, with no time and no buffer on
 * the cable: see "The far end" below.  Nothing here includes or copies driver headers: register
 * names, constants and state layout are this file's own.
 *
 * State is kept the datasheet's way: each FIFO is an array whose element 0
 * is the top, every received byte carries its own error flags, and each
 * interrupt class has its own pending rule evaluated from the state on
 * demand (ref_uart_pending()).
 */
#ifndef REF_MODEL_H
#define REF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* ---- 16550A register file (PC16550D table II), offsets in the BAR ---- */
enum {
	REF_RBR_THR_DLL = 0,
	REF_IER_DLM = 1,
	REF_IIR_FCR = 2,
	REF_LCR = 3,
	REF_MCR = 4,
	REF_LSR = 5,
	REF_MSR = 6,
	REF_SCR = 7,
};

/* Interrupt classes in priority order (PC16550D table IV). */
enum ref_irq_class {
	REF_IRQ_LINE_STATUS,	/* IIR 0110 */
	REF_IRQ_RX_DATA,	/* IIR 0100, or 1100 below the trigger level */
	REF_IRQ_THR_EMPTY,	/* IIR 0010 */
	REF_IRQ_MODEM,		/* IIR 0000 */
	REF_IRQ_NCLASSES
};


#define REF_FIFO_CAP	64	/* largest FIFO (TL16C750 64-byte mode) */

struct ref_uart {
	bool deep;			/* TL16C750-style 64-byte mode exists */

	/* receiver FIFO: rx_data[0] is the top (next byte RBR returns) */
	uint8_t rx_data[REF_FIFO_CAP];
	uint8_t rx_err[REF_FIFO_CAP];	/* PE/FE/BI flags that came with it */
	unsigned int rx_count;
	/* transmitter FIFO: tx_data[0] is the next byte to shift out */
	uint8_t tx_data[REF_FIFO_CAP];
	unsigned int tx_count;

	/* plain registers */
	uint8_t ier, lcr, mcr, scr, dll, dlm;

	/* FCR as programmed */
	bool fifo_on;			/* FCR0 */
	unsigned int trigger_sel;	/* FCR7:6 */
	bool big_fifo;			/* FCR5 (16750 only, DLAB writes) */

	/* LSR error bits revealed to the CPU and not yet read */
	uint8_t lsr_revealed;

	/* THRE interrupt: set by the event, reset by THR write / IIR read */
	bool thre_event;

	/* modem inputs as the MSR shows them, and their change detectors */
	bool cts, dsr, ri, dcd;
	bool dcts, ddsr, teri, ddcd;

	/* byte counters, kept across resets (the card's statistics) */
	uint64_t n_accepted, n_delivered, n_dropped;

	/*
	 * The far end (issue 14, backend "tty"): a null-modem cable to a
	 * host tty, kept across the UART's resets.  Outside loop mode the
	 * host takes the transmitter's bytes itself (THRE stays clear until
	 * it has taken the last one), gives bytes only into receiver room,
	 * drives CTS from its RTS and DSR+DCD from its DTR and sees the
	 * guest's RTS as its CTS and the guest's DTR as its DSR+DCD; a break
	 * goes either way, a host break entering the receiver as one NUL
	 * with BI as soon as there is room (host bytes wait behind it).
	 */
	bool cable;			/* backend tty: the cable is plugged */
	bool far_dtr, far_rts;		/* the host's outputs */
	bool far_break_waiting;		/* host break not yet in the receiver */
	/* what the host side must have been told since it last looked */
	bool note_tx;			/* new bytes wait for the host */
	bool note_break;		/* the guest sent a break */
};

/* the host's view of the cable's lines */
#define REF_FAR_DTR	0x01
#define REF_FAR_RTS	0x02
#define REF_FAR_CTS	0x04
#define REF_FAR_DSR	0x08
#define REF_FAR_DCD	0x10

void ref_uart_power_on(struct ref_uart *u, bool deep);
void ref_uart_reset(struct ref_uart *u);
uint8_t ref_uart_read(struct ref_uart *u, unsigned int reg);
void ref_uart_write(struct ref_uart *u, unsigned int reg, uint8_t val);
/* pending[c] for each class: enabled in IER and its condition present */
void ref_uart_pending(const struct ref_uart *u, bool pending[REF_IRQ_NCLASSES]);
/* IIR bits 3:0 as a read would return them now (no side effect) */
uint8_t ref_uart_iir_id(const struct ref_uart *u);
unsigned int ref_uart_depth(const struct ref_uart *u);

/* the far end (cable plugged; otherwise no byte moves and lines read 0) */
void ref_uart_plug(struct ref_uart *u, bool cable);
unsigned int ref_uart_far_take(struct ref_uart *u, uint8_t *buf,
			       unsigned int len);
unsigned int ref_uart_far_room(const struct ref_uart *u);
unsigned int ref_uart_far_give(struct ref_uart *u, const uint8_t *buf,
			       unsigned int len);
void ref_uart_far_break(struct ref_uart *u);
void ref_uart_far_set(struct ref_uart *u, bool dtr, bool rts);
uint8_t ref_uart_far_lines(const struct ref_uart *u);	/* REF_FAR_* */

/* ---- the card: PCI type 0 function + ports + VFIO interrupt delivery ---- */
#define REF_MAX_PORTS	2

enum ref_irq_mode { REF_MODE_NONE, REF_MODE_INTX, REF_MODE_MSI };

/* what one operation delivered to the VFIO user */
#define REF_OUT_INTX	0x1
#define REF_OUT_MSI	0x2

struct ref_card {
	unsigned int nports;
	struct ref_uart port[REF_MAX_PORTS];

	/* writable configuration state (PCI 3.0 6.2.2, 6.2.5) */
	bool io_enable, bus_master, intx_disable;
	uint32_t bar_addr[6];		/* address bits 31:3 as written */
	uint8_t irq_line;

	/* VFIO interrupt plumbing */
	enum ref_irq_mode mode;
	bool intx_masked;
	uint64_t intx_count, msi_count;
};

void ref_card_init(struct ref_card *c, unsigned int nports, bool deep);
void ref_card_reset(struct ref_card *c);
unsigned int ref_card_bar_read(struct ref_card *c, unsigned int port,
			       unsigned int reg, uint8_t *val);
unsigned int ref_card_bar_write(struct ref_card *c, unsigned int port,
				unsigned int reg, uint8_t val);
uint8_t ref_card_cfg_byte(const struct ref_card *c, unsigned int off);
uint32_t ref_card_cfg_read(const struct ref_card *c, unsigned int off,
			   unsigned int len);
unsigned int ref_card_cfg_write(struct ref_card *c, unsigned int off,
				unsigned int len, uint32_t val);
unsigned int ref_card_set_mode(struct ref_card *c, enum ref_irq_mode mode);
void ref_card_mask(struct ref_card *c);
unsigned int ref_card_unmask(struct ref_card *c);
/* INTA# as the function drives it (before INTx Disable and VFIO masking) */
bool ref_card_irq_line(const struct ref_card *c);
/* the far end of a port, with the interrupt it may cause */
unsigned int ref_card_far_take(struct ref_card *c, unsigned int port,
			       uint8_t *buf, unsigned int len,
			       unsigned int *done);
unsigned int ref_card_far_give(struct ref_card *c, unsigned int port,
			       const uint8_t *buf, unsigned int len,
			       unsigned int *done);
unsigned int ref_card_far_break(struct ref_card *c, unsigned int port);
unsigned int ref_card_far_set(struct ref_card *c, unsigned int port,
			      bool dtr, bool rts);

#endif /* REF_MODEL_H */
