// SPDX-License-Identifier: GPL-2.0-only
/*
 * model_ops.c - the pure device model natively (no VM, no kernel): how
 * many register operations per second mtty_model does for the access
 * pattern of Linux's 8250 driver looping data through a port, and the
 * same for a save + load of the migration stream.  A regression guard
 * for the emulation code; the numbers depend on the host.
 *
 *   model_ops [BYTES]     (default 16 MiB per port)
 *
 * Every byte is checked, so a fast but wrong model fails instead of
 * looking good.  Prints "model-ops: N passed, N failed" last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mtty_mig.h"

static struct mtty_uart uart[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u8 rd(unsigned int p, unsigned int reg, unsigned long *ops)
{
	u8 v = 0;

	mtty_model_bar_read(&m, p, reg, &v);
	(*ops)++;
	return v;
}

static void wr(unsigned int p, unsigned int reg, u8 v, unsigned long *ops)
{
	mtty_model_bar_write(&m, p, reg, v);
	(*ops)++;
}

int main(int argc, char **argv)
{
	unsigned long bytes = argc > 1 ? strtoul(argv[1], NULL, 0) : 16ul << 20;
	unsigned long ops = 0, sent = 0, got = 0, bad = 0, i, rounds = 20000;
	static u8 buf[MTTY_MIG_MAX_SIZE];
	unsigned int sig, pass = 0, fail = 0;
	double t0, t;
	long n;

	mtty_model_init(&m, uart, 2, false);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_INTX);
	wr(0, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0xc0, &ops);
	wr(0, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI, &ops);

	/* the 8250 pattern: IIR, LSR, RBR while DR, THR up to 16 on THRE */
	t0 = now();
	while (got < bytes) {
		u8 lsr;
		unsigned int k;

		rd(0, MTTY_UART_IIR, &ops);
		lsr = rd(0, MTTY_UART_LSR, &ops);
		while (lsr & MTTY_LSR_DR) {
			if (rd(0, MTTY_UART_RBR, &ops) != (u8)(got * 7 + 3))
				bad++;
			got++;
			lsr = rd(0, MTTY_UART_LSR, &ops);
		}
		if (lsr & MTTY_LSR_THRE)
			for (k = 0; k < 16 && sent < bytes; k++, sent++)
				wr(0, MTTY_UART_THR, (u8)(sent * 7 + 3), &ops);
		mtty_model_intx_unmask(&m);
	}
	t = now() - t0;
	printf("# loopback: %lu bytes, %lu register operations in %.3f s: %.1f M ops/s, %.2f ops/byte\n",
	       got, ops, t, ops / t / 1e6, (double)ops / got);
	if (!bad && got == bytes)
		pass++, printf("ok - model-ops: %lu bytes looped back in order\n", got);
	else
		fail++, printf("not ok - model-ops: %lu of %lu bytes wrong\n", bad, got);

	/* migration: save and load the busy card */
	for (i = 0; i < 10; i++)
		wr(1, MTTY_UART_THR, 'a' + i, &ops);
	t0 = now();
	for (i = 0; i < rounds; i++) {
		n = mtty_model_save(&m, buf, sizeof(buf));
		if (n < 0 || mtty_model_load(&m, buf, n, &sig))
			bad++;
	}
	t = now() - t0;
	printf("# migration: %lu save + load of %ld bytes in %.3f s: %.1f us each\n",
	       rounds, n, t, t / rounds * 1e6);
	if (!bad)
		pass++, printf("ok - model-ops: %lu save/load round trips\n", rounds);
	else
		fail++, printf("not ok - model-ops: %lu save/load round trips failed\n", bad);
	printf("model-ops: %u passed, %u failed\n", pass, fail);
	return fail != 0;
}
