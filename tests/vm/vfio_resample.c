// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_resample.c - INTx unmask and mask through eventfds, the way a KVM
 * host's irqfd resampler drives them (VFIO_IRQ_SET_ACTION_UNMASK /
 * _MASK with VFIO_IRQ_SET_DATA_EVENTFD), on one mtty device.
 *
 *   vfio_resample UUID
 *
 * The expectations are VFIO's INTx contract (include/uapi/linux/vfio.h:
 * INTx is automasked when it fires; an unmask re-fires it while the
 * device still asserts the line) and PCI's INTx Disable bit, with the
 * 16550A deciding when the line is asserted (THRE and received data).
 * An unmask through the ioctl with the line still high signals later
 * (intx_defer_us), never loses the interrupt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mtty_uart.h"
#include "tap.h"
#include "vfio_dev.h"
#include "vfio_uapi.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_INTX_DISABLE 0x400

static struct vdev d;

static int set_irq(uint32_t flags, int32_t fd, uint32_t count)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + (flags & VFIO_IRQ_SET_DATA_EVENTFD ?
				 count * sizeof(int32_t) : 0);
	s->flags = flags;
	s->index = VFIO_PCI_INTX_IRQ_INDEX;
	s->count = count;
	memcpy(s->data, &fd, sizeof(fd));
	return ioctl(d.fd, VFIO_DEVICE_SET_IRQS, s);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		tap_comment("eventfd write: %s", strerror(errno));
}

/* THRE raises the line (IER THRI with TX empty); reading IIR clears it */
static void raise_thre(void)
{
	vdev_wr8(&d, 0, MTTY_UART_IER, 0);
	vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_THRI);
}

static void lower(void)
{
	vdev_wr8(&d, 0, MTTY_UART_IER, 0);
}

static void test_resample(int trig)
{
	int unmask = vdev_efd_new(), mask = vdev_efd_new();
	uint32_t cmd = 0;
	unsigned int i, lost = 0, extra = 0;

	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		   unmask, 1) == 0, "UNMASK through an eventfd accepted");
	ok_errno(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
			 -2, 1), EINVAL, "UNMASK eventfd -2");
	/* the failed call must not have torn the good one down */
	vdev_efd_drain(trig);

	raise_thre();
	ok(vdev_efd_wait(trig, 1000) > 0, "line high: INTx fires (automasked)");
	ok(vdev_efd_wait(trig, 200) == 0, "automasked: no second signal");
	kick(unmask);
	ok(vdev_efd_wait(trig, 1000) > 0,
	   "resample while the line is still high: fires again");
	ok_eq(vdev_rd8(&d, 0, MTTY_UART_IIR) & 0x0f, MTTY_IIR_THRI,
	      "IIR: THRE is the source (reading it clears THRE)");
	kick(unmask);
	ok(vdev_efd_wait(trig, 300) == 0, "resample with the line low: silent");

	/* masked by the ioctl, unmasked through the eventfd */
	ok(set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, -1, 1) == 0,
	   "MASK (DATA_NONE)");
	raise_thre();
	ok(vdev_efd_wait(trig, 300) == 0, "masked: line high, no signal");
	kick(unmask);
	ok(vdev_efd_wait(trig, 1000) > 0, "eventfd unmask delivers it");
	lower();
	kick(unmask);
	vdev_efd_drain(trig);

	/* INTx Disable in the command register */
	vdev_cfg_rd(&d, PCI_COMMAND, 2, &cmd);
	vdev_cfg_wr(&d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	raise_thre();
	kick(unmask);
	ok(vdev_efd_wait(trig, 300) == 0,
	   "INTx Disable set: no signal, resample or not");
	vdev_cfg_wr(&d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
	kick(unmask);
	ok(vdev_efd_wait(trig, 1000) > 0,
	   "INTx Disable cleared with THRE pending: fires");
	lower();
	kick(unmask);
	vdev_efd_drain(trig);

	/* mask through an eventfd */
	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
		   mask, 1) == 0, "MASK through an eventfd accepted");
	kick(mask);
	usleep(100000);
	raise_thre();
	ok(vdev_efd_wait(trig, 300) == 0, "masked through the eventfd: silent");
	ok(set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, -1, 1) == 0 &&
	   vdev_efd_wait(trig, 1000) > 0, "UNMASK (DATA_NONE) delivers it");
	lower();
	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
		   -1, 1) == 0, "MASK eventfd removed (fd -1)");
	kick(unmask);
	vdev_efd_drain(trig);

	/* no interrupt lost over many rounds of fire / service / resample */
	for (i = 0; i < 2000; i++) {
		uint64_t n;

		vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_RDI);
		vdev_wr8(&d, 0, MTTY_UART_THR, (uint8_t)i);
		n = vdev_efd_wait(trig, 1000);
		if (!n)
			lost++;
		else if (n > 1)
			extra++;
		if (vdev_rd8(&d, 0, MTTY_UART_RBR) != (uint8_t)i)
			lost++;
		kick(unmask);
	}
	ok(!lost, "2000 rounds of RX data, service, resample: none lost (%u)",
	   lost);
	ok(!extra, "no round signalled twice (%u)", extra);
	lower();

	/* removed: the eventfd no longer unmasks */
	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		   -1, 1) == 0, "UNMASK eventfd removed (fd -1)");
	vdev_efd_drain(trig);
	raise_thre();
	ok(vdev_efd_wait(trig, 1000) > 0, "fires (automasked)");
	kick(unmask);
	ok(vdev_efd_wait(trig, 300) == 0, "a removed resample fd unmasks nothing");
	lower();

	/* left armed on purpose: closing the device must tear it down */
	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		   unmask, 1) == 0, "UNMASK eventfd armed again");
	ok(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		   unmask, 1) == 0, "and armed once more (replaces it)");
	close(mask);
	close(unmask);
}

static int unmask_ioctl(void)
{
	return set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		       -1, 1);
}

#define DEFER_PARAM "/sys/module/mtty/parameters/intx_defer_us"

/* write intx_defer_us; returns its old value (static buffer) or NULL */
static const char *set_defer_us(const char *val)
{
	static char old[32];
	char buf[32];
	FILE *f = fopen(DEFER_PARAM, "r");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		ok(0, "read %s", DEFER_PARAM);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	f = fopen(DEFER_PARAM, "w");
	if (!f || fputs(val, f) < 0 || fclose(f)) {
		ok(0, "write %s to %s", val, DEFER_PARAM);
		return NULL;
	}
	snprintf(old, sizeof(old), "%s", buf);
	return old;
}

/* set intx_defer_us to @val, its old value into @saved; false on failure */
static bool push_defer_us(const char *val, char *saved, size_t n)
{
	const char *old = set_defer_us(val);

	if (!old)
		return false;
	snprintf(saved, n, "%s", old);
	return true;
}

/*
 * Unmask through the ioctl, as QEMU without a resampler does on every BAR
 * access: with the line still high the signal is deferred (module
 * parameter intx_defer_us), never lost, and so is a new source on the
 * port while its handler runs; a new source outside it signals at once.
 * Generous timeouts: behaviour, not timing.
 */
/* the first number in file @path, -1 if unreadable */
static long long read_num(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* the device's stats/NAME counter, -1 if unreadable */
static long long read_stat(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/stats/%s",
		 d.uuid, name);
	return read_num(path);
}

/* the module's intx_defer_us is not 0 */
static bool defer_on(void)
{
	return read_num(DEFER_PARAM) > 0;
}

static void test_ioctl_defer(int trig)
{
	unsigned int i, lost = 0, extra = 0;
	long long timer0, timer1;
	bool defer_param;
	char saved[32] = "";

	vdev_efd_drain(trig);
	raise_thre();
	ok(vdev_efd_wait(trig, 1000) > 0, "ioctl: line high, INTx fires");
	ok(unmask_ioctl() == 0, "ioctl UNMASK with the line still high");
	ok(vdev_efd_wait(trig, 3000) > 0,
	   "ioctl unmask, line left high: the signal arrives (at once, or after intx_defer_us)");
	ok(vdev_efd_wait(trig, 300) == 0, "then automasked again");
	/*
	 * A long deferral, so that only the new source can explain a signal
	 * within the next second (and none before it).
	 */
	defer_param = push_defer_us("5000000", saved, sizeof(saved));
	/*
	 * Before the guest's handler ran (no IIR read since the signal) an
	 * unmask never waits: it is QEMU's pseudo-EOI after some other
	 * access, and it deasserted a line that an i8259 guest forgets.
	 */
	ok(unmask_ioctl() == 0, "ioctl UNMASK again, still high, no IIR read");
	if (defer_param)
		ok(vdev_efd_wait(trig, 1000) > 0,
		   "intx_defer_us=5000000, no handler ran (no IIR read): signals at once");
	lower();
	ok(unmask_ioctl() == 0 && vdev_efd_wait(trig, 300) == 0,
	   "line low, unmasked: silent");
	/* inside the handler (its IIR read showed the interrupt) it waits */
	vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_RDI);
	vdev_wr8(&d, 0, MTTY_UART_THR, 'n');
	ok(vdev_efd_wait(trig, 1000) > 0, "RX data fires");
	ok(!(vdev_rd8(&d, 0, MTTY_UART_IIR) & MTTY_IIR_NO_INT),
	   "the handler's IIR read shows it");
	ok(unmask_ioctl() == 0, "ioctl UNMASK inside the handler, RX data pending");
	if (defer_param)
		ok(vdev_efd_wait(trig, 300) == 0,
		   "intx_defer_us=5000000: no signal at once for a line left high");
	/*
	 * A new source on the port whose handler runs (THRE) waits as well:
	 * the handler's next IIR read finds it.
	 */
	vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_THRI | MTTY_IER_RDI);
	if (defer_param)
		ok(vdev_efd_wait(trig, 300) == 0,
		   "intx_defer_us=5000000: a new source on the port inside its handler waits too");
	ok_eq(vdev_rd8(&d, 0, MTTY_UART_RBR), 'n', "RX data read");
	ok_eq(vdev_rd8(&d, 0, MTTY_UART_IIR) & MTTY_IIR_ID_MASK, MTTY_IIR_THRI,
	      "the handler's next IIR read finds the new source (THRE)");
	ok(vdev_rd8(&d, 0, MTTY_UART_IIR) & MTTY_IIR_NO_INT,
	   "the handler's last IIR read: nothing pending");
	ok(vdev_efd_wait(trig, 300) == 0, "serviced inside the handler: no signal");
	/* after the handler's last IIR read a new source signals at once */
	raise_thre();
	ok(vdev_efd_wait(trig, 1000) > 0,
	   "a new source after the handler ended signals at once");
	ok(vdev_efd_wait(trig, 300) == 0, "once: automasked");
	if (defer_param)
		ok(set_defer_us(saved) != NULL,
		   "intx_defer_us restored to %s", saved);
	lower();
	ok(unmask_ioctl() == 0, "ioctl UNMASK with the line low");
	ok(vdev_efd_wait(trig, 300) == 0, "line low: silent");

	/*
	 * INTx Disable toggled around a deferred unmask: a long deferral, so
	 * that the unmask itself signals nothing (with the default 0 it
	 * re-signals at once and the line is automasked again before INTx
	 * Disable is set).
	 */
	defer_param = push_defer_us("5000000", saved, sizeof(saved));
	vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_RDI);
	vdev_wr8(&d, 0, MTTY_UART_THR, 'd');
	ok(vdev_efd_wait(trig, 1000) > 0, "fires");
	if (defer_param) {
		uint32_t cmd = 0;

		vdev_cfg_rd(&d, PCI_COMMAND, 2, &cmd);
		(void)vdev_rd8(&d, 0, MTTY_UART_IIR);	/* the handler */
		ok(unmask_ioctl() == 0, "ioctl UNMASK, line high (deferred)");
		vdev_cfg_wr(&d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
		ok(vdev_efd_wait(trig, 300) == 0,
		   "INTx Disable set while deferred: silent");
		vdev_cfg_wr(&d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
		ok(vdev_efd_wait(trig, 1000) > 0,
		   "INTx Disable cleared, line high: fires");
		ok(set_defer_us(saved) != NULL,
		   "intx_defer_us restored to %s", saved);
	}
	ok_eq(vdev_rd8(&d, 0, MTTY_UART_RBR), 'd', "RX data read");
	lower();
	ok(unmask_ioctl() == 0 && vdev_efd_wait(trig, 300) == 0,
	   "serviced and unmasked: silent");

	/*
	 * A handler that leaves the line high after its pseudo-EOI (reads
	 * IIR, unmasks, only then reads RBR on the next interrupt): every
	 * byte still raises an interrupt, none is lost.  With the deferral
	 * on, each round's re-signal comes from the timer (the device's
	 * stats/intx_timer_signals).
	 */
	timer0 = read_stat("intx_timer_signals");
	vdev_wr8(&d, 0, MTTY_UART_IER, MTTY_IER_RDI);
	for (i = 0; i < 300; i++) {
		uint64_t n;

		vdev_wr8(&d, 0, MTTY_UART_THR, (uint8_t)i);
		n = vdev_efd_wait(trig, 3000);
		if (!n)
			lost++;
		else if (n > 1)
			extra++;
		(void)vdev_rd8(&d, 0, MTTY_UART_IIR);
		unmask_ioctl();		/* line still high: deferred */
		n = vdev_efd_wait(trig, 3000);
		if (!n)
			lost++;
		if (vdev_rd8(&d, 0, MTTY_UART_RBR) != (uint8_t)i)
			lost++;
		unmask_ioctl();		/* line low: nothing */
	}
	ok(!lost, "300 rounds of RX data left pending across an ioctl unmask: none lost (%u)",
	   lost);
	ok(!extra, "no round signalled twice (%u)", extra);
	timer1 = read_stat("intx_timer_signals");
	if (defer_on())
		ok(timer0 >= 0 && timer1 - timer0 >= 300,
		   "stats/intx_timer_signals: each of the 300 deferred re-signals came from the timer (%lld -> %lld)",
		   timer0, timer1);
	else
		ok(timer0 >= 0 && timer1 == timer0,
		   "stats/intx_timer_signals: intx_defer_us=0, no timer signal (%lld -> %lld)",
		   timer0, timer1);
	ok(vdev_efd_wait(trig, 300) == 0, "quiet at the end");
	lower();
}

int main(int argc, char **argv)
{
	int trig;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: vfio_resample UUID\n");
		return 2;
	}
	tap_tag("resample");
	if (!ok(vdev_open(&d, argv[1]) == 0, "open %s", argv[1]))
		return tap_done("vfio_resample");

	ok_errno(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
			 vdev_efd_new(), 1), EINVAL,
		 "UNMASK eventfd before INTx is set up");
	trig = vdev_efd_new();
	ok(vdev_irq_eventfd(&d, VFIO_PCI_INTX_IRQ_INDEX, trig) == 0,
	   "INTx trigger eventfd");
	test_resample(trig);
	ok(vdev_reopen(&d) == 0, "close and reopen with a resample fd armed");
	ok(vdev_irq_eventfd(&d, VFIO_PCI_INTX_IRQ_INDEX, trig) == 0,
	   "INTx trigger eventfd after reopen");
	test_ioctl_defer(trig);
	ok(vdev_io_errors == 0, "no register access errors (%u)",
	   vdev_io_errors);
	vdev_close(&d);
	return tap_done("vfio_resample");
}
