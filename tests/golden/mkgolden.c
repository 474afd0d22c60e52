// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkgolden DIR - write the golden migration streams into DIR by driving the
 * device model through guest-visible operations and saving it:
 *
 *   mtty1-idle.bin  mtty-1 (16550A) right after creation
 *   mtty2-busy.bin  mtty-2 in INTx mode, line high and automasked; port 0:
 *                   "hello" then a break in RX (trigger 4), THRE and modem
 *                   status pending; port 1: 16 bytes in RX, 4 waiting in TX
 *   mtty1-deep.bin  mtty-1 deep FIFO in 64-byte mode, MSI mode, 64 bytes in
 *                   RX and 6 in TX, RX data interrupt pending
 *
 * Each NAME.bin has a NAME.mig beside it: the same state as a whole VFIO
 * transfer (HELLO and STATE records, mtty_stream.h), which the VM test
 * (tests/vm/vfio_mig.c) writes into a device on every kernel line.
 *
 * The files are committed (tests/golden/) and are a contract: every build
 * must restore them (tests/unit/test_mig.c checks the registers by hand).
 * Run `make golden` only when the stream version changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtty_stream.h"

static struct mtty_uart uart[MTTY_MAX_PORTS_PER_DEV];
static struct mtty_model m;

static void wr(unsigned int port, unsigned int reg, u8 v)
{
	mtty_model_bar_write(&m, port, reg, v);
}

/* NAME.mig beside NAME.bin: HELLO + STATE */
static int save_transfer(const char *dir, const char *name)
{
	static u8 buf[MTTY_MIG_FILE_MAX];
	char path[512];
	long h, n;
	FILE *f;

	h = mtty_mig_put_hello(&m, buf, sizeof(buf));
	n = h < 0 ? h : mtty_mig_put_state(&m, buf + h, sizeof(buf) - h);
	snprintf(path, sizeof(path), "%s/%.*s.mig", dir,
		 (int)(strlen(name) - 4), name);
	f = fopen(path, "wb");
	if (n < 0 || !f || fwrite(buf, 1, h + n, f) != (size_t)(h + n) ||
	    fclose(f)) {
		perror(path);
		return 1;
	}
	printf("%s: %ld bytes\n", path, h + n);
	return 0;
}

static int save(const char *dir, const char *name)
{
	static u8 buf[MTTY_MIG_MAX_SIZE];
	char path[512];
	long len = mtty_model_save(&m, buf, sizeof(buf));
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (len < 0 || !f || fwrite(buf, 1, len, f) != (size_t)len ||
	    fclose(f)) {
		perror(path);
		return 1;
	}
	printf("%s: %ld bytes\n", path, len);
	return save_transfer(dir, name);
}

int main(int argc, char **argv)
{
	const char *hello = "hello";
	int ret = 0;
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: mkgolden DIR\n");
		return 2;
	}

	mtty_model_init(&m, uart, 1, false);
	ret |= save(argv[1], "mtty1-idle.bin");

	mtty_model_init(&m, uart, 2, false);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_INTX);
	mtty_model_cfg_write(&m, MTTY_PCI_COMMAND, 2, 0x0005);
	mtty_model_cfg_write(&m, MTTY_PCI_BAR0, 4, 0xc100);
	mtty_model_cfg_write(&m, MTTY_PCI_BAR0 + 4, 4, 0xc108);
	mtty_model_cfg_write(&m, MTTY_PCI_INTERRUPT_LINE, 1, 11);
	wr(0, MTTY_UART_FCR, 0x41);
	wr(0, MTTY_UART_IER, 0x0f);
	wr(0, MTTY_UART_LCR, 0x03);
	wr(0, MTTY_UART_MCR, 0x0b);
	wr(0, MTTY_UART_SCR, 0x5a);
	for (i = 0; hello[i]; i++)
		wr(0, MTTY_UART_THR, hello[i]);
	wr(0, MTTY_UART_LCR, 0x43);
	wr(0, MTTY_UART_LCR, 0x03);
	wr(1, MTTY_UART_FCR, 0x01);
	wr(1, MTTY_UART_LCR, 0x9b);
	wr(1, MTTY_UART_DLL, 0x01);
	wr(1, MTTY_UART_DLM, 0x00);
	wr(1, MTTY_UART_LCR, 0x1b);
	wr(1, MTTY_UART_IER, 0x05);
	for (i = 0; i < 20; i++)
		wr(1, MTTY_UART_THR, 'A' + i);
	ret |= save(argv[1], "mtty2-busy.bin");

	mtty_model_init(&m, uart, 1, true);
	mtty_model_set_irq_mode(&m, MTTY_IRQ_MSI);
	wr(0, MTTY_UART_LCR, 0x80);
	wr(0, MTTY_UART_FCR, 0xe1);
	wr(0, MTTY_UART_LCR, 0x03);
	wr(0, MTTY_UART_IER, 0x01);
	for (i = 0; i < 70; i++)
		wr(0, MTTY_UART_THR, i);
	ret |= save(argv[1], "mtty1-deep.bin");
	return ret;
}
