// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_intx.c - INTx signalling of the pure model: level unmask (the
 * eventfd a KVM irqfd resampler writes at the guest's EOI) against the
 * deferred unmask of VFIO_DEVICE_SET_IRQS (QEMU without a resampler
 * unmasks on every BAR access), and a simulated QEMU + 8250 handler that
 * counts QEMU-side INTx events per guest interrupt and checks that no
 * byte and no interrupt is lost.
 */
#include <string.h>

#include "mtty_mig.h"
#include "mtty_model.h"
#include "unit.h"

UNIT_COUNTERS;

static struct mtty_uart uarts[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;

static void setup(unsigned int nports)
{
	memset(uarts, 0xa5, sizeof(uarts));
	mtty_model_init(&m, uarts, nports, false);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_INTX);
}

static u8 rd(unsigned int port, unsigned int reg, unsigned int *sig)
{
	u8 v;

	*sig = mtty_model_bar_read(&m, port, reg, &v);
	return v;
}

static unsigned int wr(unsigned int port, unsigned int reg, u8 v)
{
	return mtty_model_bar_write(&m, port, reg, v);
}

/* THRE pending on port 0, signalled and automasked */
static void fire_thre(void)
{
	wr(0, MTTY_UART_IER, 0);
	CHECK_EQ(wr(0, MTTY_UART_IER, MTTY_IER_THRI), MTTY_SIG_INTX,
		 "THRE raises INTx");
	CHECK(m.intx_masked, "automasked");
}

/*
 * RX data pending on port 0, signalled and automasked, and the guest's
 * handler entered: its first access, the IIR read, shows the interrupt
 * (the line stays high until RBR is read)
 */
static void fire_rx_handler(void)
{
	unsigned int sig;

	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(0, MTTY_UART_IER, MTTY_IER_RDI);
	CHECK_EQ(wr(0, MTTY_UART_THR, 'x'), MTTY_SIG_INTX, "RX data raises INTx");
	CHECK(m.intx_masked, "automasked");
	CHECK(!(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_NO_INT),
	      "the handler's IIR read shows the interrupt");
	CHECK(mtty_model_intx_line(&m), "the line stays high");
}

TEST(level_unmask_refires)
{
	unsigned int sig;

	setup(1);
	fire_thre();
	CHECK_EQ(mtty_model_intx_unmask(&m), MTTY_SIG_INTX,
		 "level unmask with the line high fires at once");
	rd(0, MTTY_UART_IIR, &sig);
	CHECK(!mtty_model_intx_line(&m), "IIR read clears THRE");
	CHECK_EQ(mtty_model_intx_unmask(&m), 0, "level unmask, line low: quiet");
	CHECK_EQ(m.intx_timer_signals, 0, "no deferred signal");
}

TEST(ioctl_unmask_line_low)
{
	unsigned int sig;

	setup(1);
	fire_thre();
	rd(0, MTTY_UART_IIR, &sig);
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0,
		 "unmask with the line low: nothing, no deferral");
	CHECK(!m.intx_deferred, "not deferred");
	CHECK(!m.intx_masked, "unmasked");
	CHECK(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_NO_INT,
	      "the handler's last IIR read: nothing pending");
	CHECK_EQ(wr(0, MTTY_UART_IER, 0), 0, "quiet");
	CHECK_EQ(wr(0, MTTY_UART_IER, MTTY_IER_THRI), MTTY_SIG_INTX,
		 "a later source signals at once");
}

TEST(ioctl_unmask_line_high_defers)
{
	u64 before;

	setup(1);
	fire_rx_handler();
	before = m.intx_signals;
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "line high: deferred, the caller arms its timer");
	CHECK(m.intx_deferred && !m.intx_masked, "deferred, unmasked");
	/* accesses that leave the line high do not re-signal */
	CHECK_EQ(wr(0, MTTY_UART_SCR, 1), 0, "no signal on a plain access");
	CHECK_EQ(m.intx_signals, before, "nothing signalled yet");
	/* the guest accessed the card: its handler is at work, wait on */
	CHECK_EQ(mtty_model_intx_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "timer after an access: one more period");
	CHECK(m.intx_deferred && !m.intx_masked, "still deferred");
	/* a period without an access: the timer delivers the level */
	CHECK_EQ(mtty_model_intx_deferred(&m), MTTY_SIG_INTX,
		 "timer: the still-high line is signalled");
	CHECK(m.intx_masked && !m.intx_deferred, "automasked again");
	CHECK_EQ(m.intx_timer_signals, 1, "counted as a timer signal");
	CHECK_EQ(m.intx_signals, before + 1, "and as a signal");
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "a second expiry: nothing");
}

TEST(deferral_dropped_when_serviced)
{
	unsigned int sig;

	setup(1);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	CHECK_EQ(rd(0, MTTY_UART_RBR, &sig), 'x', "the handler reads RBR");
	CHECK_EQ(sig, 0, "servicing signals nothing");
	CHECK(!m.intx_deferred, "line low drops the deferral");
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "timer: nothing to do");
	CHECK_EQ(m.intx_timer_signals, 0, "no timer signal");
}

/*
 * A new source on the port whose handler is running waits with the
 * deferral (the handler's next IIR read finds it); one on another port
 * signals at once.
 */
TEST(new_source_while_deferred)
{
	unsigned int sig;

	setup(2);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	sig = wr(0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	CHECK_EQ(sig, 0, "new source (THRE) on the handler's port: waits");
	CHECK(m.intx_deferred && !m.intx_masked, "still deferred, unmasked");
	CHECK_EQ(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_ID_MASK, MTTY_IIR_RDI,
		 "the handler's next pass finds RX data first");
	wr(1, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(1, MTTY_UART_IER, MTTY_IER_RDI);
	CHECK_EQ(wr(1, MTTY_UART_THR, 'z'), MTTY_SIG_INTX,
		 "RX data on the other port (no handler there) signals at once");
	CHECK(m.intx_masked && !m.intx_deferred, "automasked, deferral gone");
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "the timer finds nothing");
	CHECK_EQ(m.intx_timer_signals, 0, "no timer signal");
}

/*
 * QEMU's pseudo-EOI unmasked in the middle of the handler, line low; the
 * bytes the handler then writes loop back: their receive interrupt waits
 * for the handler's next IIR read instead of a signal.  The same with the
 * level unmask (intx_defer_us=0) signals at once.
 */
static void enter_thre_handler(void)
{
	unsigned int sig;

	setup(1);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	fire_thre();
	CHECK_EQ(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_ID_MASK, MTTY_IIR_THRI,
		 "the handler finds THRE");
}

TEST(handler_own_rx_not_signalled)
{
	unsigned int sig, i;

	enter_thre_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0,
		 "pseudo-EOI, line low: unmasked");
	wr(0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	CHECK_EQ(wr(0, MTTY_UART_THR, 'a'), MTTY_SIG_INTX_DEFER,
		 "the handler's own byte loops back: deferred, timer armed");
	CHECK_EQ(wr(0, MTTY_UART_THR, 'b'), 0, "no re-arm while deferred");
	CHECK(mtty_model_intx_line(&m) && m.intx_deferred && !m.intx_masked,
	      "line high, deferred, unmasked");
	CHECK_EQ(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_ID_MASK, MTTY_IIR_RDI,
		 "next pass: RX data");
	for (i = 0; i < 2; i++)
		rd(0, MTTY_UART_RBR, &sig);
	wr(0, MTTY_UART_IER, MTTY_IER_RDI);	/* __stop_tx */
	CHECK(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_NO_INT, "last pass: none");
	CHECK(!m.intx_deferred && !mtty_model_intx_line(&m),
	      "serviced: the deferral is dropped");
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "the timer finds nothing");
	CHECK_EQ(m.intx_signals, 1, "one signal for the whole handler");

	/* the same with the level unmask: signals at once */
	enter_thre_handler();
	CHECK_EQ(mtty_model_intx_unmask(&m), 0, "level unmask, line low");
	wr(0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	CHECK_EQ(wr(0, MTTY_UART_THR, 'a'), MTTY_SIG_INTX,
		 "level-unmask user: the looped-back byte signals at once");

	/* and while masked it is news for the unmask */
	enter_thre_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0, "ioctl unmask, low");
	wr(0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	mtty_model_intx_mask(&m);
	CHECK_EQ(wr(0, MTTY_UART_THR, 'a'), 0, "masked: nothing yet");
	CHECK(m.intx_news, "news");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX,
		 "the unmask signals the news at once");
}

/*
 * A guest that keeps accessing the card (its handler at work) extends a
 * deferral by at most MTTY_INTX_DEFER_MAX_PERIODS periods.
 */
TEST(deferral_extension_bounded)
{
	unsigned int i, defers = 0, sig = 0;

	setup(1);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	for (i = 0; i < 4 * MTTY_INTX_DEFER_MAX_PERIODS; i++) {
		wr(0, MTTY_UART_SCR, (u8)i);	/* busy, never reads IIR */
		sig = mtty_model_intx_deferred(&m);
		if (sig != MTTY_SIG_INTX_DEFER)
			break;
		defers++;
	}
	CHECK_EQ(defers, MTTY_INTX_DEFER_MAX_PERIODS,
		 "extended exactly the maximum number of periods");
	CHECK_EQ(sig, MTTY_SIG_INTX, "then signalled");
	CHECK_EQ(m.intx_timer_signals, 1, "counted as a timer signal");
}

TEST(news_while_masked_signal_at_unmask)
{
	setup(1);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	fire_thre();
	/* RX data arrives while automasked: news the user was not told */
	wr(0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	CHECK_EQ(wr(0, MTTY_UART_THR, 'x'), 0, "masked: no signal");
	CHECK(m.intx_news, "recorded as news");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX,
		 "ioctl unmask with news pending: signals at once");
	CHECK(!m.intx_deferred && !m.intx_news, "told: no news, no deferral");
	/* the same level again, nothing new, the handler running: deferred */
	{
		unsigned int sig;

		rd(0, MTTY_UART_IIR, &sig);
	}
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "ioctl unmask, nothing new: deferred");
	/* news serviced before the unmask: nothing to tell */
	mtty_model_intx_mask(&m);
	{
		unsigned int sig;

		rd(0, MTTY_UART_RBR, &sig);
		rd(0, MTTY_UART_IIR, &sig);
	}
	CHECK(!mtty_model_intx_line(&m), "serviced");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0, "line low: nothing");
}

/*
 * A VFIO user that unmasks through the ioctl at its real EOI after one
 * 8250-style pass (tests/vm/vfio_client.c): its pass leaves RX data that
 * looped back while it was masked, which is news, so no interrupt waits
 * for the timer.
 */
TEST(one_pass_client_never_waits)
{
	unsigned int sent = 0, got = 0, bad = 0, irqs = 0, n, sig = 0;
	const unsigned int total = 4096;
	u8 lsr;

	setup(1);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	sig = wr(0, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI);
	while (got < total && irqs < 10 * total) {
		if (!(sig & MTTY_SIG_INTX)) {
			sig = mtty_model_intx_deferred(&m);
			if (!(sig & MTTY_SIG_INTX))
				break;		/* stalled */
		}
		irqs++;
		if (rd(0, MTTY_UART_IIR, &n) & MTTY_IIR_NO_INT)
			break;
		lsr = rd(0, MTTY_UART_LSR, &n);
		while (lsr & MTTY_LSR_DR) {
			if (rd(0, MTTY_UART_RBR, &n) != (u8)got)
				bad++;
			got++;
			lsr = rd(0, MTTY_UART_LSR, &n);
		}
		if (lsr & MTTY_LSR_THRE) {
			for (n = 0; n < 16 && sent < total; n++)
				wr(0, MTTY_UART_THR, (u8)sent++);
			if (sent == total)
				wr(0, MTTY_UART_IER, MTTY_IER_RDI);
		}
		sig = mtty_model_intx_unmask_deferred(&m);
	}
	CHECK_EQ(got, total, "every byte back");
	CHECK_EQ(bad, 0, "in order");
	CHECK_EQ(m.intx_timer_signals, 0, "no interrupt waited for the timer");
}

TEST(mask_and_intx_disable_while_deferred)
{
	setup(1);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	mtty_model_intx_mask(&m);
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "masked: the timer is silent");
	CHECK_EQ(mtty_model_intx_unmask(&m), MTTY_SIG_INTX,
		 "level unmask delivers the still-high line");

	/* INTx Disable set while deferred: the timer is silent... */
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred again");
	mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, MTTY_PCI_CMD_INTX_DIS);
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "INTx Disable: timer silent");
	/* ...and clearing it raises the line at once, as vfio-pci does */
	CHECK_EQ(mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, 0), MTTY_SIG_INTX,
		 "INTx Disable cleared with the line high: fires");

	/* cleared while still deferred: fires at once too */
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred once more");
	CHECK_EQ(mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2,
				      MTTY_PCI_CMD_INTX_DIS), 0, "disable");
	CHECK_EQ(mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, 0), MTTY_SIG_INTX,
		 "re-enable: fires without waiting for the timer");
	CHECK_EQ(m.intx_timer_signals, 0, "no timer signal");
}

TEST(ioctl_unmask_with_intx_disabled)
{
	setup(1);
	fire_thre();
	mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, MTTY_PCI_CMD_INTX_DIS);
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0,
		 "INTx Disable set: nothing to defer");
	CHECK(!m.intx_deferred, "not deferred");
	CHECK_EQ(mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, 0), MTTY_SIG_INTX,
		 "cleared: fires");
}

TEST(deferral_and_reset_refresh_mode)
{
	unsigned int sig;

	setup(1);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	mtty_model_reset(&m);
	CHECK(!m.intx_deferred, "reset drops the deferral");
	CHECK_EQ(m.intx_isr, 0, "and forgets the handler");

	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	CHECK_EQ(mtty_model_refresh(&m), MTTY_SIG_INTX,
		 "refresh (migration load) of a deferred, high line signals");
	CHECK(!m.intx_deferred && m.intx_masked, "automasked, not deferred");
	CHECK_EQ(m.intx_isr, 0, "refresh forgets the handler");
	rd(0, MTTY_UART_RBR, &sig);
	CHECK_EQ(mtty_model_intx_unmask(&m), 0, "serviced, unmasked");

	wr(0, MTTY_UART_IER, 0);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "deferred");
	mtty_model_set_irq_mode(&m, MTTY_IRQ_NONE);
	CHECK_EQ(m.intx_isr, 0, "a mode change forgets the handler");
	CHECK(!m.intx_deferred, "leaving INTx mode drops the deferral");
	CHECK_EQ(mtty_model_intx_deferred(&m), 0, "timer: nothing");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0,
		 "unmask outside INTx mode: nothing");
}

/*
 * QEMU without an irqfd resampler (hw/vfio/pci.c): a signal sets
 * intx.pending and asserts the guest's line; every BAR access, after the
 * access, is an EOI when pending: deassert and unmask by the ioctl.  The
 * guest runs an 8250-style handler while its line is asserted.
 */
struct sim {
	bool deferred_mode;	/* the ioctl unmask defers (intx_defer_us) */
	bool pending;		/* QEMU's intx.pending = the guest's line */
	bool timer;		/* the glue's delayed work is armed */
	unsigned int events;	/* QEMU-side INTx events */
	unsigned int guest_irqs;
	unsigned int tx_left, sent, got, bad;
	u8 ier;
	/*
	 * The guest reads LSR right after starting TX, before it can take
	 * the interrupt (interrupts off, as in a tx_empty poll): QEMU's
	 * EOI after that read deasserts a line the guest never acknowledged,
	 * which an i8259 then forgets (guests booted with noapic).
	 */
	bool poll_after_start;
};

static void sim_signal(struct sim *s, unsigned int sig)
{
	if (sig & MTTY_SIG_INTX) {
		s->events++;
		s->pending = true;
	}
	if (sig & MTTY_SIG_INTX_DEFER)
		s->timer = true;
}

static void sim_eoi(struct sim *s)
{
	if (!s->pending)
		return;
	s->pending = false;
	sim_signal(s, s->deferred_mode ? mtty_model_intx_unmask_deferred(&m) :
					 mtty_model_intx_unmask(&m));
}

static u8 sim_rd(struct sim *s, unsigned int reg)
{
	unsigned int sig;
	u8 v = rd(0, reg, &sig);

	/*
	 * The EOI follows the access in the vCPU thread; the signal wakes
	 * QEMU's main loop later.
	 */
	sim_eoi(s);
	sim_signal(s, sig);
	return v;
}

static void sim_wr(struct sim *s, unsigned int reg, u8 v)
{
	unsigned int sig = wr(0, reg, v);

	sim_eoi(s);
	sim_signal(s, sig);
}

/* serial8250_handle_irq, one port, as often as IIR says pending */
static void sim_handler(struct sim *s)
{
	unsigned int pass, n;
	u8 iir, lsr;

	for (pass = 0; pass < 512; pass++) {
		iir = sim_rd(s, MTTY_UART_IIR);
		if (iir & MTTY_IIR_NO_INT)
			break;
		lsr = sim_rd(s, MTTY_UART_LSR);
		while (lsr & MTTY_LSR_DR) {
			if (sim_rd(s, MTTY_UART_RBR) != (u8)s->got)
				s->bad++;
			s->got++;
			lsr = sim_rd(s, MTTY_UART_LSR);
		}
		if (!(lsr & MTTY_LSR_THRE) || !(s->ier & MTTY_IER_THRI))
			continue;
		for (n = 0; n < 16 && s->tx_left; n++, s->tx_left--)
			sim_wr(s, MTTY_UART_THR, (u8)s->sent++);
		if (!s->tx_left) {
			s->ier &= ~MTTY_IER_THRI;
			sim_wr(s, MTTY_UART_IER, s->ier);
		}
	}
}

/* bursts of @burst bytes; returns false on a stall (a lost interrupt) */
static bool sim_run(struct sim *s, unsigned int bursts, unsigned int burst)
{
	unsigned int b, steps;

	setup(1);
	sim_wr(s, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	s->ier = MTTY_IER_RDI;
	sim_wr(s, MTTY_UART_IER, s->ier);
	for (b = 0; b < bursts; b++) {
		s->tx_left = burst;
		s->ier |= MTTY_IER_THRI;
		sim_wr(s, MTTY_UART_IER, s->ier);	/* uart_start_tx */
		if (s->poll_after_start)
			sim_rd(s, MTTY_UART_LSR);
		for (steps = 0; s->got < s->sent + s->tx_left; steps++) {
			if (steps > 1000)
				return false;
			if (s->pending) {
				s->guest_irqs++;
				sim_handler(s);
			} else if (s->timer) {
				/* the guest left its handler: time passes */
				s->timer = false;
				sim_signal(s, mtty_model_intx_deferred(&m));
			} else {
				return false;	/* nothing will happen again */
			}
		}
	}
	/* quiescent at the end: nothing left high and unsignalled */
	if (s->timer)
		sim_signal(s, mtty_model_intx_deferred(&m));
	return !s->pending && !mtty_model_intx_line(&m);
}

TEST(qemu_pseudo_eoi_counts)
{
	struct sim level = { .deferred_mode = false };
	struct sim defer = { .deferred_mode = true };
	const unsigned int bursts = 100, burst = 15;

	CHECK(sim_run(&level, bursts, burst), "level: no stall");
	CHECK(sim_run(&defer, bursts, burst), "deferred: no stall");
	CHECK_EQ(defer.got, bursts * burst, "deferred: every byte received");
	CHECK_EQ(defer.bad, 0, "deferred: in order");
	CHECK_EQ(level.got, bursts * burst, "level: every byte received");
	printf("# %u bursts of %u bytes: QEMU INTx events level %u, deferred %u (timer %llu); guest interrupts %u / %u\n",
	       bursts, burst, level.events, defer.events,
	       (unsigned long long)m.intx_timer_signals, level.guest_irqs,
	       defer.guest_irqs);
	/*
	 * The kernel sample: 2 per burst (the THRE of start_tx, then the
	 * receive of the handler's own bytes); deferred: only the first.
	 */
	CHECK(defer.events <= bursts,
	      "deferred: at most 1 QEMU event per burst (%u)", defer.events);
	CHECK(defer.guest_irqs >= bursts, "deferred: the guest was interrupted");
	CHECK(level.events > defer.events,
	      "level unmask on every access costs more (%u > %u)",
	      level.events, defer.events);
}

/* a guest that leaves its handler with the line high still gets it */
TEST(sloppy_guest_not_lost)
{
	struct sim s = { .deferred_mode = true };
	unsigned int sig;

	setup(1);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE);
	sim_wr(&s, MTTY_UART_IER, MTTY_IER_RDI);
	sim_wr(&s, MTTY_UART_THR, 'a');
	CHECK(s.pending, "RX data asserts the line");
	/* the handler only reads IIR: EOI + deferred unmask, line high */
	CHECK_EQ(sim_rd(&s, MTTY_UART_IIR) & MTTY_IIR_ID_MASK, MTTY_IIR_RDI,
		 "IIR: RX data");
	CHECK(!s.pending && s.timer, "pseudo-EOI deferred the re-assertion");
	/* handler returns without reading RBR; the timer fires */
	s.timer = false;
	sim_signal(&s, mtty_model_intx_deferred(&m));
	CHECK(s.pending, "the timer re-asserts the line: not lost");
	CHECK_EQ(rd(0, MTTY_UART_RBR, &sig), 'a', "data still there");
	CHECK_EQ(m.intx_timer_signals, 1, "one timer signal");
}

/* an unmask before the guest's handler ran does not defer */
TEST(unmask_outside_handler_signals_at_once)
{
	unsigned int sig;

	setup(1);
	fire_thre();
	/* an access before the guest took the interrupt: QEMU's pseudo-EOI */
	rd(0, MTTY_UART_LSR, &sig);
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX,
		 "no IIR read yet: the still-high line signals at once");
	CHECK(m.intx_masked && !m.intx_deferred, "automasked, not deferred");
	CHECK_EQ(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_ID_MASK, MTTY_IIR_THRI,
		 "the handler finds THRE");
	CHECK(!mtty_model_intx_line(&m), "serviced");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), 0, "line low: nothing");
	CHECK(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_NO_INT,
	      "the handler's last IIR read: nothing pending");

	/* an IIR read showing no interrupt ends the handler */
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "inside the handler: deferred");
	CHECK_EQ(rd(0, MTTY_UART_RBR, &sig), 'x', "RBR");
	CHECK(rd(0, MTTY_UART_IIR, &sig) & MTTY_IIR_NO_INT,
	      "the handler's last IIR read: nothing pending");
	CHECK_EQ(m.intx_isr, 0, "the handler ended");
	CHECK_EQ(wr(0, MTTY_UART_THR, 'y'), MTTY_SIG_INTX,
		 "new RX data signals");
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX,
		 "an unmask before the next handler: at once");
	CHECK_EQ(m.intx_timer_signals, 0, "no timer signal");
}

/*
 * The guest polls LSR after starting TX, before it takes the interrupt:
 * the pseudo-EOI deasserts a line it never acknowledged.  The unmask must
 * signal again at once; a deferral would leave the interrupt to the timer
 * (on an i8259 guest every burst would wait for it).
 */
TEST(pseudo_eoi_before_ack_not_deferred)
{
	struct sim s = { .deferred_mode = true, .poll_after_start = true };
	const unsigned int bursts = 100, burst = 15;

	CHECK(sim_run(&s, bursts, burst), "no stall");
	CHECK_EQ(s.got, bursts * burst, "every byte received");
	CHECK_EQ(s.bad, 0, "in order");
	CHECK(!m.intx_timer_signals,
	      "no interrupt waited for the timer (%llu did)",
	      (unsigned long long)m.intx_timer_signals);
	printf("# poll after start: %u bursts of %u bytes: QEMU INTx events %u, guest interrupts %u\n",
	       bursts, burst, s.events, s.guest_irqs);
	CHECK(s.events <= 3 * bursts, "at most 3 QEMU events per burst (%u)",
	      s.events);
}

/*
 * No interrupt is ever lost, whatever the guest does: random accesses of
 * two ports, ioctl and level unmasks, masks, INTx Disable toggles and
 * timer expiries (the glue's delayed work, armed by MTTY_SIG_INTX_DEFER).
 * After every call, a high, enabled, unmasked line must be deferred with
 * the timer armed; and once the guest stays away for a period (the timer
 * fires with no access in between), nothing is deferred any more.
 */
static u32 prng = 0x2545f491;

static u32 rnd(u32 n)
{
	prng ^= prng << 13;
	prng ^= prng >> 17;
	prng ^= prng << 5;
	return prng % n;
}

struct prop {
	bool armed;		/* the glue's delayed work is pending */
	unsigned int bad, deferrals, timer_runs;
};

static void prop_sig(struct prop *p, unsigned int sig)
{
	if (sig & MTTY_SIG_INTX_DEFER) {
		p->armed = true;
		p->deferrals++;
	}
}

static void prop_check(struct prop *p, const char *what)
{
	bool dis = mtty_pci_command(&m.pci) & MTTY_PCI_CMD_INTX_DIS;

	if (mtty_model_intx_line(&m) && !dis && !m.intx_masked &&
	    !(m.intx_deferred && p->armed)) {
		if (!p->bad++)
			printf("# lost after %s: line high, unmasked, deferred %d, timer %d\n",
			       what, m.intx_deferred, p->armed);
	}
}

TEST(random_guest_never_loses_an_interrupt)
{
	static const u8 regs[] = {
		MTTY_UART_RBR, MTTY_UART_IER, MTTY_UART_IIR, MTTY_UART_LSR,
		MTTY_UART_MSR, MTTY_UART_MCR, MTTY_UART_SCR, MTTY_UART_FCR,
	};
	struct prop p = { 0 };
	unsigned int i, j, sig, quiet_bad = 0;
	u16 cmd = 0;

	setup(2);
	for (i = 0; i < 200000; i++) {
		unsigned int op = rnd(100), port = rnd(2);
		u8 reg = regs[rnd(sizeof(regs))];

		if (op < 35) {
			rd(port, reg, &sig);
			prop_sig(&p, sig);
			prop_check(&p, "read");
		} else if (op < 55) {
			u8 val = reg == MTTY_UART_IER ? rnd(16) :
				 reg == MTTY_UART_MCR ? rnd(32) : rnd(256);

			prop_sig(&p, wr(port, reg == MTTY_UART_RBR ?
					      MTTY_UART_THR : reg, val));
			prop_check(&p, "write");
		} else if (op < 75) {
			prop_sig(&p, mtty_model_intx_unmask_deferred(&m));
			prop_check(&p, "ioctl unmask");
		} else if (op < 78) {
			prop_sig(&p, mtty_model_intx_unmask(&m));
			prop_check(&p, "level unmask");
		} else if (op < 83) {
			mtty_model_intx_mask(&m);
			prop_check(&p, "mask");
		} else if (op < 85) {
			cmd ^= MTTY_PCI_CMD_INTX_DIS;
			prop_sig(&p, mtty_model_cfg_write(&m, MTTY_PCI_COMMAND,
							  2, cmd));
			prop_check(&p, "INTx Disable");
		} else if (p.armed) {
			/* the period ends, maybe after more guest accesses */
			p.armed = false;
			p.timer_runs++;
			prop_sig(&p, mtty_model_intx_deferred(&m));
			prop_check(&p, "timer");
		}
		if (rnd(50))
			continue;
		/* the guest stays away: the armed timer runs out */
		for (j = 0; p.armed && j < 2; j++) {
			p.armed = false;
			prop_sig(&p, mtty_model_intx_deferred(&m));
			prop_check(&p, "quiet timer");
		}
		if (m.intx_deferred)
			quiet_bad++;
	}
	printf("# %u deferrals, %u timer runs, %llu signals (%llu by the timer)\n",
	       p.deferrals, p.timer_runs, (unsigned long long)m.intx_signals,
	       (unsigned long long)m.intx_timer_signals);
	CHECK_EQ(p.bad, 0, "never a high, enabled line unmasked without a deferral and its timer");
	CHECK_EQ(quiet_bad, 0, "a quiet period ends every deferral");
	CHECK(p.deferrals > 1000 && m.intx_timer_signals > 100,
	      "the random guest exercised deferrals (%u) and timer signals",
	      p.deferrals);
}

/*
 * Saved while an INTx is deferred (high line, ioctl-unmasked, not yet
 * re-signalled): the stream must load on the destination (whose
 * validation refuses a high, unmasked, enabled line) and the loaded card
 * must signal the owed interrupt.
 */
TEST(deferred_state_migrates)
{
	static struct mtty_uart uarts2[MTTY_MAX_PORTS_PER_DEV];
	static struct mtty_model m2;
	static u8 buf[4096];
	unsigned int sig = 0;
	long n;

	setup(2);
	fire_rx_handler();
	CHECK_EQ(mtty_model_intx_unmask_deferred(&m), MTTY_SIG_INTX_DEFER,
		 "ioctl unmask with the line high defers");
	CHECK(m.intx_deferred && !m.intx_masked, "deferred, unmasked");
	n = mtty_model_save(&m, buf, sizeof(buf));
	CHECK(n > 0, "saved while deferred (%ld)", n);
	memset(uarts2, 0x5a, sizeof(uarts2));
	mtty_model_init(&m2, uarts2, 2, false);
	mtty_model_set_irq_mode(&m2, MTTY_IRQ_INTX);
	CHECK_EQ(mtty_model_load(&m2, buf, n > 0 ? (size_t)n : 0, &sig), 0,
		 "the destination loads it");
	CHECK_EQ(sig, MTTY_SIG_INTX, "and signals the owed interrupt");
	CHECK(m2.intx_masked && !m2.intx_deferred, "automasked, no deferral");
	CHECK(mtty_model_intx_line(&m2), "its line is high");
}

int main(void)
{
	RUN(level_unmask_refires);
	RUN(ioctl_unmask_line_low);
	RUN(ioctl_unmask_line_high_defers);
	RUN(deferral_dropped_when_serviced);
	RUN(new_source_while_deferred);
	RUN(handler_own_rx_not_signalled);
	RUN(deferral_extension_bounded);
	RUN(news_while_masked_signal_at_unmask);
	RUN(one_pass_client_never_waits);
	RUN(mask_and_intx_disable_while_deferred);
	RUN(ioctl_unmask_with_intx_disabled);
	RUN(deferral_and_reset_refresh_mode);
	RUN(qemu_pseudo_eoi_counts);
	RUN(sloppy_guest_not_lost);
	RUN(unmask_outside_handler_signals_at_once);
	RUN(pseudo_eoi_before_ack_not_deferred);
	RUN(random_guest_never_loses_an_interrupt);
	RUN(deferred_state_migrates);
	return UNIT_DONE("test_intx");
}
