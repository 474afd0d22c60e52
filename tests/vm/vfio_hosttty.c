// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_hosttty - the host tty backend of one mtty mediated device, from
 * both ends: the guest's UART through VFIO and the host tty (ttyMT<n>)
 * that the driver gives each port of a device whose sysfs attribute
 * "backend" is "tty" (the caller sets it before).
 *
 * Usage: vfio_hosttty [--bytes N] [--seed S] UUID
 *
 * For every port: the backend cannot change while the device is open
 * (EBUSY); modem lines as a null-modem cable from both ends with their
 * delta bits and an MSI for each change; N bytes each way at once, the
 * guest polling its UART and the host using its tty non-blocking, both
 * stalling at random, every byte checked, the host writer held back
 * (EAGAIN) rather than anything dropped; the guest's THRE held while the
 * host does not read, then every byte delivered; breaks both ways; reset
 * and close/reopen of the VFIO device keep the host tty; migration
 * refused (EOPNOTSUPP) with the device running on; host close drops the
 * guest's DCD; a guest DTR drop hangs up a host tty without CLOCAL.
 * Output: "ok - ..." / "not ok - ..." and "vfio-hosttty: N passed, N
 * failed"; exit status 1 if a check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "mtty_uart.h"
#include "rawtty.h"
#include "tap.h"
#include "vfio_dev.h"

#define HOLD_POLLS	20000	/* LSR reads with THRE clear that show a hold */
#define IDLE_LIMIT	2000000	/* loop rounds without progress: stuck */

static struct vdev dev;
static const char *uuid;
static size_t nbytes = 65536;
static unsigned int seed = 1;

static uint8_t rd(int p, int reg)
{
	return vdev_rd8(&dev, p, reg);
}

static void wr(int p, int reg, uint8_t val)
{
	vdev_wr8(&dev, p, reg, val);
}

/* the two directions' byte streams: every value, in a long period */
static uint8_t g2h(size_t i)
{
	return (uint8_t)(i * 7 + 3) ^ (uint8_t)(i >> 8);
}

static uint8_t h2g(size_t i)
{
	return (uint8_t)(i * 13 + 5) ^ (uint8_t)(i >> 9);
}

/* the tty device name (ttyMT<n>) of port @port, into @name */
static int host_tty_name(int port, char *name, size_t len)
{
	char pat[256], want[16];
	glob_t g;
	size_t i;
	int found = -1;

	snprintf(pat, sizeof(pat), "/sys/bus/mdev/devices/%s/tty/ttyMT*/mtty/port",
		 uuid);
	snprintf(want, sizeof(want), "%d\n", port);
	if (glob(pat, 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc && found < 0; i++) {
		char buf[16] = "";
		FILE *f = fopen(g.gl_pathv[i], "r");
		char *p;

		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strcmp(buf, want)) {
			/* .../tty/ttyMTn/mtty/port */
			p = strstr(g.gl_pathv[i], "/tty/ttyMT");
			snprintf(name, len, "%s", p + 5);
			*strchr(name, '/') = 0;
			found = 0;
		}
		fclose(f);
	}
	globfree(&g);
	return found;
}

static int host_open(int port)
{
	char name[64], path[80];
	const char *what;
	int fd;

	if (host_tty_name(port, name, sizeof(name))) {
		ok(0, "port %d: a host tty in sysfs (mtty/port)", port);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (!ok(fd >= 0, "port %d: open %s", port, path)) {
		tap_comment("open: %s", strerror(errno));
		return -1;
	}
	if (!ok(rawtty_set(fd, 0, &what) == 0, "port %d: raw mode", port))
		tap_comment("%s: %s", what, strerror(errno));
	return fd;
}

static int tiocm(int fd)
{
	int v = -1;

	if (ioctl(fd, TIOCMGET, &v) < 0)
		return -1;
	return v;
}

static int backend_write(const char *val)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/backend", uuid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val));
	if (r < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* discard what the host tty holds (and the guest's RX FIFO) */
static void drain_both(int p, int hfd)
{
	uint8_t buf[4096];
	int i;

	for (i = 0; i < 1000; i++) {
		while (rd(p, MTTY_UART_LSR) & MTTY_LSR_DR)
			rd(p, MTTY_UART_RBR);
		if (read(hfd, buf, sizeof(buf)) <= 0 &&
		    (rd(p, MTTY_UART_LSR) & MTTY_LSR_TEMT))
			break;
		usleep(1000);
	}
}

static void uart_setup(int p)
{
	wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
	wr(p, MTTY_UART_FCR, MTTY_FCR_ENABLE | MTTY_FCR_CLEAR_RCVR |
	   MTTY_FCR_CLEAR_XMIT | VDEV_FCR_TRIG_8);
	wr(p, MTTY_UART_IER, 0);
	wr(p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2);
}

/* ------------------------------------------------------- modem lines */

static void test_modem(int p, int hfd, int efd)
{
	uint8_t msr;
	int v, bit;

	rd(p, MTTY_UART_MSR);
	wr(p, MTTY_UART_MCR, 0);
	v = tiocm(hfd);
	ok_eq(v & (TIOCM_CAR | TIOCM_DSR | TIOCM_CTS), 0,
	      "port %d: guest DTR/RTS off: host sees no CD, DSR, CTS", p);
	ok_eq(v & (TIOCM_DTR | TIOCM_RTS), TIOCM_DTR | TIOCM_RTS,
	      "port %d: host's own DTR and RTS raised by its open", p);
	msr = rd(p, MTTY_UART_MSR);
	ok_eq(msr & 0xf0, MTTY_MSR_DSR | MTTY_MSR_DCD | MTTY_MSR_CTS,
	      "port %d: host open: guest MSR DSR, DCD, CTS", p);
	wr(p, MTTY_UART_MCR, MTTY_MCR_DTR);
	ok_eq(tiocm(hfd) & (TIOCM_CAR | TIOCM_DSR | TIOCM_CTS),
	      TIOCM_CAR | TIOCM_DSR, "port %d: guest DTR: host CD and DSR", p);
	wr(p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2);
	ok_eq(tiocm(hfd) & (TIOCM_CAR | TIOCM_DSR | TIOCM_CTS),
	      TIOCM_CAR | TIOCM_DSR | TIOCM_CTS, "port %d: guest RTS: host CTS", p);

	/* host changes: MSR with deltas, and an MSI each */
	wr(p, MTTY_UART_IER, MTTY_IER_MSI);
	rd(p, MTTY_UART_MSR);
	vdev_efd_drain(efd);
	bit = TIOCM_DTR;
	ok(ioctl(hfd, TIOCMBIC, &bit) == 0, "port %d: host TIOCMBIC DTR", p);
	ok(vdev_efd_wait(efd, 5000) > 0, "port %d: MSI for the host's DTR drop", p);
	ok_eq(rd(p, MTTY_UART_IIR) & 0x0f, MTTY_IIR_MSI, "port %d: IIR modem status", p);
	msr = rd(p, MTTY_UART_MSR);
	ok_eq(msr, MTTY_MSR_CTS | MTTY_MSR_DDSR | MTTY_MSR_DDCD,
	      "port %d: DSR and DCD dropped with their deltas", p);
	bit = TIOCM_RTS;
	ok(ioctl(hfd, TIOCMBIC, &bit) == 0, "port %d: host TIOCMBIC RTS", p);
	ok(vdev_efd_wait(efd, 5000) > 0, "port %d: MSI for the host's RTS drop", p);
	ok_eq(rd(p, MTTY_UART_MSR), MTTY_MSR_DCTS, "port %d: CTS dropped with DCTS", p);
	bit = TIOCM_DTR | TIOCM_RTS;
	ok(ioctl(hfd, TIOCMBIS, &bit) == 0, "port %d: host TIOCMBIS DTR|RTS", p);
	ok(vdev_efd_wait(efd, 5000) > 0, "port %d: MSI for the host's raise", p);
	ok_eq(rd(p, MTTY_UART_MSR),
	      MTTY_MSR_CTS | MTTY_MSR_DSR | MTTY_MSR_DCD | MTTY_MSR_DCTS |
	      MTTY_MSR_DDSR | MTTY_MSR_DDCD,
	      "port %d: all back with deltas", p);
	ok_eq(tiocm(hfd) & (TIOCM_DTR | TIOCM_RTS), TIOCM_DTR | TIOCM_RTS,
	      "port %d: host TIOCMGET agrees", p);
	wr(p, MTTY_UART_IER, 0);
}

/* ------------------------------------------------ both ways at once */

static void test_exchange(int p, int hfd)
{
	size_t gtx = 0, grx = 0, htx = 0, hrx = 0;
	unsigned long idle = 0, eagain = 0, gbad = 0, hbad = 0, lsr_err = 0;
	uint8_t buf[4096];
	double t0 = tap_now();

	drain_both(p, hfd);
	while ((gtx < nbytes || grx < nbytes || htx < nbytes || hrx < nbytes) &&
	       idle < IDLE_LIMIT) {
		bool progress = false;
		uint8_t lsr;
		ssize_t n;
		size_t k;

		/* the guest, polling; it stalls one round in four */
		if (rand() % 4) {
			lsr = rd(p, MTTY_UART_LSR);
			lsr_err |= lsr & MTTY_LSR_ERR_MASK;
			if ((lsr & MTTY_LSR_THRE) && gtx < nbytes) {
				for (k = 0; k < MTTY_FIFO_16550A && gtx < nbytes; k++)
					wr(p, MTTY_UART_THR, g2h(gtx++));
				progress = true;
			}
			while ((lsr & MTTY_LSR_DR) && grx < nbytes) {
				if (rd(p, MTTY_UART_RBR) != h2g(grx))
					gbad++;
				grx++;
				progress = true;
				lsr = rd(p, MTTY_UART_LSR);
				lsr_err |= lsr & MTTY_LSR_ERR_MASK;
			}
		}
		/* the host, non-blocking; it stalls one round in three */
		if (rand() % 3) {
			n = read(hfd, buf, sizeof(buf));
			for (k = 0; n > 0 && k < (size_t)n; k++)
				if (buf[k] != g2h(hrx + k))
					hbad++;
			if (n > 0) {
				hrx += n;
				progress = true;
			}
			if (htx < nbytes) {
				size_t len = nbytes - htx;

				if (len > sizeof(buf))
					len = sizeof(buf);
				for (k = 0; k < len; k++)
					buf[k] = h2g(htx + k);
				n = write(hfd, buf, len);
				if (n > 0) {
					htx += n;
					progress = true;
				} else if (n < 0 && errno == EAGAIN) {
					eagain++;
				}
			}
		}
		idle = progress ? 0 : idle + 1;
	}
	ok(gtx == nbytes && hrx == nbytes,
	   "port %d: guest -> host: %zu of %zu bytes arrived", p, hrx, nbytes);
	ok(htx == nbytes && grx == nbytes,
	   "port %d: host -> guest: %zu of %zu bytes arrived", p, grx, nbytes);
	ok_eq(hbad, 0, "port %d: guest -> host: every byte right, in order", p);
	ok_eq(gbad, 0, "port %d: host -> guest: every byte right, in order", p);
	ok_eq(lsr_err, 0, "port %d: no overrun or line error in the guest", p);
	ok(eagain > 0, "port %d: the host writer was held back (%lu EAGAIN), not dropped",
	   p, eagain);
	tap_comment("port %d: %zu bytes each way in %.1fs", p, nbytes,
		    tap_now() - t0);
}

/* ------------------------------------------ THRE held while the host waits */

static void test_hold(int p, int hfd)
{
	size_t sent = 0, got = 0, bad = 0;
	unsigned long held = 0, idle = 0;
	uint8_t buf[4096];
	ssize_t n;

	drain_both(p, hfd);
	/* the host does not read: the tty throttles and the guest is held */
	while (held < HOLD_POLLS && sent < 4 * 1024 * 1024) {
		if (rd(p, MTTY_UART_LSR) & MTTY_LSR_THRE) {
			int k;

			for (k = 0; k < MTTY_FIFO_16550A; k++)
				wr(p, MTTY_UART_THR, g2h(sent++));
			held = 0;
		} else {
			held++;
		}
	}
	ok(held >= HOLD_POLLS, "port %d: THRE held while the host did not read (after %zu bytes)",
	   p, sent);
	ok(sent > 1024, "port %d: the host side took bytes before it held the guest (%zu)",
	   p, sent);
	while (got < sent && idle < IDLE_LIMIT / 10) {
		n = read(hfd, buf, sizeof(buf));
		if (n > 0) {
			ssize_t k;

			for (k = 0; k < n; k++)
				if (buf[k] != g2h(got + k))
					bad++;
			got += n;
			idle = 0;
		} else {
			idle++;
		}
	}
	ok(got == sent && !bad, "port %d: then all %zu bytes arrived, in order (%zu, %zu wrong)",
	   p, sent, got, bad);
	ok(rd(p, MTTY_UART_LSR) & MTTY_LSR_TEMT, "port %d: transmitter empty at the end", p);
}

/* ------------------------------------------------------------ breaks */

static void test_break(int p, int hfd)
{
	struct termios t, saved;
	uint8_t buf[16];
	uint8_t lsr;
	size_t got = 0;
	int i;

	drain_both(p, hfd);
	ok(tcsendbreak(hfd, 0) == 0, "port %d: host tcsendbreak", p);
	for (i = 0; i < 100000 && !((lsr = rd(p, MTTY_UART_LSR)) & MTTY_LSR_DR); i++)
		;
	ok_eq(lsr & (MTTY_LSR_DR | MTTY_LSR_BI), MTTY_LSR_DR | MTTY_LSR_BI,
	      "port %d: guest LSR shows BI with data", p);
	ok_eq(rd(p, MTTY_UART_RBR), 0, "port %d: the break's NUL", p);
	ok_eq(rd(p, MTTY_UART_LSR) & (MTTY_LSR_DR | MTTY_LSR_BI), 0,
	      "port %d: nothing more", p);

	/* a guest break after a byte: the host reads the byte, then \377 \0 \0 */
	tcgetattr(hfd, &saved);
	t = saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT);
	t.c_iflag |= PARMRK;
	ok(tcsetattr(hfd, TCSANOW, &t) == 0, "port %d: host PARMRK", p);
	wr(p, MTTY_UART_THR, 0x42);
	wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8 | MTTY_LCR_SBC);
	wr(p, MTTY_UART_LCR, VDEV_LCR_WLEN8);
	for (i = 0; i < 200000 && got < 4; i++) {
		ssize_t n = read(hfd, buf + got, sizeof(buf) - got);

		if (n > 0)
			got += n;
	}
	ok(got == 4 && buf[0] == 0x42 && buf[1] == 0xff && buf[2] == 0 &&
	   buf[3] == 0, "port %d: host reads the byte, then the break marked (%zu bytes: %02x %02x %02x %02x)",
	   p, got, buf[0], buf[1], buf[2], buf[3]);
	tcsetattr(hfd, TCSANOW, &saved);
}

/* ------------------------------------------ reset, reopen, migration */

static bool one_byte(int p, int hfd, uint8_t v)
{
	int i;

	if (write(hfd, &v, 1) != 1)
		return false;
	for (i = 0; i < 100000; i++)
		if (rd(p, MTTY_UART_LSR) & MTTY_LSR_DR)
			return rd(p, MTTY_UART_RBR) == v;
	return false;
}

static int mig_state(uint32_t flags, uint32_t *state)
{
	char buf[sizeof(struct vfio_device_feature) +
		 sizeof(struct vfio_device_feature_mig_state)];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_mig_state m = { .device_state = *state };
	int r;

	f->argsz = sizeof(buf);
	f->flags = flags | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	memcpy(f->data, &m, sizeof(m));
	r = ioctl(dev.fd, VFIO_DEVICE_FEATURE, f);
	memcpy(&m, f->data, sizeof(m));
	*state = m.device_state;
	return r;
}

static void test_lifecycle(int p, int hfd)
{
	uint32_t st = VFIO_DEVICE_STATE_STOP_COPY;

	drain_both(p, hfd);
	ok(ioctl(dev.fd, VFIO_DEVICE_RESET) == 0, "port %d: VFIO_DEVICE_RESET", p);
	uart_setup(p);
	ok(one_byte(p, hfd, 0x5a), "port %d: the host tty works after a reset", p);
	ok(vdev_reopen(&dev) == 0, "port %d: close and reopen the VFIO device", p);
	uart_setup(p);
	ok(one_byte(p, hfd, 0xa5), "port %d: the host tty works after a reopen", p);
	ok_errno(mig_state(VFIO_DEVICE_FEATURE_SET, &st), EOPNOTSUPP,
		 "port %d: migration (STOP_COPY) refused", p);
	st = 0;
	ok(mig_state(VFIO_DEVICE_FEATURE_GET, &st) == 0 &&
	   st == VFIO_DEVICE_STATE_RUNNING, "port %d: device still RUNNING (%u)", p, st);
	ok(one_byte(p, hfd, 0x3c), "port %d: and still works", p);
}

/* --------------------------------------------------- hang-ups */

static void test_hangups(int p, int hfd)
{
	struct termios t;
	struct pollfd pfd = { .fd = hfd, .events = POLLIN };
	uint8_t b;
	int i, fd2;

	/* host close: the guest's DSR, DCD and CTS drop */
	rd(p, MTTY_UART_MSR);
	fd2 = host_open(p);	/* a second opener: the port stays open */
	close(hfd);
	ok_eq(rd(p, MTTY_UART_MSR) & 0xf0, MTTY_MSR_DSR | MTTY_MSR_DCD | MTTY_MSR_CTS,
	      "port %d: one of two host openers closed: lines stay", p);
	close(fd2);
	ok_eq(rd(p, MTTY_UART_MSR), MTTY_MSR_DDSR | MTTY_MSR_DDCD | MTTY_MSR_DCTS,
	      "port %d: host closed: guest DSR, DCD, CTS dropped with deltas", p);

	/* a host tty without CLOCAL is hung up when the guest drops DTR */
	hfd = host_open(p);
	if (hfd < 0)
		return;
	tcgetattr(hfd, &t);
	t.c_cflag &= ~(tcflag_t)CLOCAL;
	ok(tcsetattr(hfd, TCSANOW, &t) == 0, "port %d: host clears CLOCAL", p);
	wr(p, MTTY_UART_MCR, MTTY_MCR_RTS);
	for (i = 0; i < 500; i++) {
		if (poll(&pfd, 1, 10) > 0 && (pfd.revents & POLLHUP))
			break;
	}
	ok(pfd.revents & POLLHUP, "port %d: guest DTR drop hangs the host tty up (revents 0x%x)",
	   p, pfd.revents);
	ok(read(hfd, &b, 1) == 0, "port %d: the hung-up tty reads end of file", p);
	close(hfd);
	wr(p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2);
	hfd = host_open(p);
	ok(hfd >= 0 && one_byte(p, hfd, 0x77), "port %d: opened again, it works", p);
	if (hfd >= 0)
		close(hfd);
}

int main(int argc, char **argv)
{
	int i, p, efd;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			nbytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] != '-')
			uuid = argv[i];
		else
			break;
	}
	if (!uuid || i < argc) {
		fprintf(stderr, "usage: vfio_hosttty [--bytes N] [--seed S] UUID\n");
		return 2;
	}
	srand(seed);
	tap_tag("hosttty %.8s", uuid);
	if (vdev_open(&dev, uuid))
		tap_bail("vfio-hosttty", "open %s", uuid);
	ok_errno(backend_write("loopback"), EBUSY,
		 "backend cannot change while the device is open");
	efd = vdev_efd_new();
	ok(vdev_irq_eventfd(&dev, VFIO_PCI_MSI_IRQ_INDEX, efd) == 0, "MSI eventfd");
	wr(0, MTTY_UART_IER, 0);

	for (p = 0; p < dev.nports; p++) {
		int hfd = host_open(p);

		if (hfd < 0)
			continue;
		uart_setup(p);
		test_modem(p, hfd, efd);
		test_exchange(p, hfd);
		test_hold(p, hfd);
		test_break(p, hfd);
		test_lifecycle(p, hfd);
		/* the reopen dropped the MSI trigger: set it again */
		ok(vdev_irq_eventfd(&dev, VFIO_PCI_MSI_IRQ_INDEX, efd) == 0,
		   "port %d: MSI eventfd again", p);
		test_hangups(p, hfd);
	}
	ok_eq(vdev_io_errors, 0, "no failed register access");
	vdev_close(&dev);
	return tap_done("vfio-hosttty");
}
