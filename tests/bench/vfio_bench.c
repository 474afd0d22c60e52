// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_bench - userspace VFIO client that benchmarks an mtty mdev (ours or
 * the kernel's sample driver; both expose the same vfio-pci interface).
 * Runs inside the L1 VM of the bench (tests/bench/steps/50-bench.sh).
 *
 *   vfio_bench regs UUID TAG RUN [SECONDS]
 *	accesses per second of 1-byte UART register accesses (LSR read,
 *	THR write + RBR read pair, SCR write), 4-byte config accesses
 *	(read of 0x00, write of 0x3c) and of the floor: a 1-byte pread of a
 *	region index >= VFIO_PCI_NUM_REGIONS (rejected by the driver before
 *	any lock or emulation) and, for reference, a 1-byte config read.
 *   vfio_bench loop UUID TAG RUN BURST SECONDS [fifo64]
 *	loopback throughput of port 0 driven the way Linux's 8250 driver
 *	drives a 16550A: INTx eventfd, IIR/LSR dispatch, RX drained while
 *	LSR.DR, at most BURST bytes written to THR per THRE; every byte is
 *	checked.  "fifo64" selects the 16750 64-byte FIFO (FCR bit 5 with
 *	DLAB set, like 8250 does for a PORT_16750).
 *   vfio_bench scale TYPES_DIR TYPE N TAG RUN [mdevctl PARENT | list]
 *	create N mdevs of TYPE (through the sysfs create file, or by running
 *	"mdevctl start" per device), then remove them again ("remove" file /
 *	"mdevctl stop"); time per device and memory per device (deltas of
 *	Slab and of used memory in /proc/meminfo); the cost of a read of
 *	TYPE's available_instances with all N present (value checked) and,
 *	with "list", of one "mdevctl list" then.
 *
 * Results: one line per measurement,
 *   # BENCH <test> tag=TAG run=RUN key=value...
 * and "ok - ..." / "not ok - ..." for the sanity checks (data verified,
 * no stall).  Exit status 1 if any check failed.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -Itests/lib -Idriver -o vfio_bench \
 *	tests/bench/vfio_bench.c tests/lib/tap.c tests/lib/vfio_dev.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "mtty_uart.h"
#include "tap.h"
#include "vfio_dev.h"

#define CFG_OFF(o)	(VDEV_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + (o))
#define PASS_LIMIT	512	/* like serial8250_interrupt() */
#define RX_LIMIT	256	/* like serial8250_rx_chars() */

static struct vdev dev;
static const char *tag = "?";
static long run_no;

#define fatal(...)	tap_bail("vfio_bench", __VA_ARGS__)

/* ------------------------------------------------------------ device */

static void open_device(const char *uuid)
{
	tap_tag("bench %s", tag);
	if (vdev_open(&dev, uuid))
		fatal("cannot open %s through VFIO", uuid);
}

static uint8_t rd(int reg)
{
	uint8_t v;

	if (vdev_rd(&dev, 0, reg, &v))
		fatal("read of BAR0 register %d: %s", reg, strerror(errno));
	return v;
}

static void wr(int reg, uint8_t v)
{
	if (vdev_wr(&dev, 0, reg, v))
		fatal("write of BAR0 register %d: %s", reg, strerror(errno));
}

static void cfg_wr(unsigned int off, unsigned int len, uint32_t v)
{
	if (vdev_cfg_wr(&dev, off, len, v))
		fatal("config write at 0x%x: %s", off, strerror(errno));
}

/*
 * Prepare the device the way a guest's firmware and 8250 driver would:
 * reset, I/O decoding on, BARs at guest-like I/O addresses (the sample
 * only caches its BAR base once the BAR holds a non-zero address).
 */
static void guest_like_setup(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	unsigned int i;

	if (ioctl(dev.fd, VFIO_DEVICE_GET_INFO, &di))
		fatal("VFIO_DEVICE_GET_INFO: %s", strerror(errno));
	if (di.flags & VFIO_DEVICE_FLAGS_RESET)
		ioctl(dev.fd, VFIO_DEVICE_RESET);
	for (i = 0; i < 2; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(dev.fd, VFIO_DEVICE_GET_REGION_INFO, &ri) || !ri.size)
			continue;
		cfg_wr(0x10 + 4 * i, 4, 0xc000 + 8 * i);
	}
	cfg_wr(0x04, 2, 0x0001);
}

/* -------------------------------------------------------- register cost */

typedef int (*op_fn)(void);

static int op_lsr(void)
{
	uint8_t v;

	return pread(dev.fd, &v, 1, VDEV_REGION_OFF(0) + MTTY_UART_LSR) == 1;
}

static int op_thr_rbr(void)
{
	uint8_t v = 0x5a;

	if (pwrite(dev.fd, &v, 1, VDEV_REGION_OFF(0) + MTTY_UART_THR) != 1)
		return 0;
	return pread(dev.fd, &v, 1, VDEV_REGION_OFF(0) + MTTY_UART_RBR) == 1 && v == 0x5a;
}

static int op_scr(void)
{
	uint8_t v = 0xa5;

	return pwrite(dev.fd, &v, 1, VDEV_REGION_OFF(0) + MTTY_UART_SCR) == 1;
}

static int op_cfg_rd32(void)
{
	uint32_t v;

	return pread(dev.fd, &v, 4, CFG_OFF(0)) == 4 && v == 0x32534348;
}

static int op_cfg_wr32(void)
{
	uint32_t v = 0x0000010a;	/* interrupt line 10, pin (RO) 1 */

	return pwrite(dev.fd, &v, 4, CFG_OFF(0x3c)) == 4;
}

static int op_cfg_rd8(void)
{
	uint8_t v;

	return pread(dev.fd, &v, 1, CFG_OFF(0)) == 1 && v == 0x48;
}

static int op_floor(void)
{
	uint8_t v;

	/* expected to fail: the cost of getting to the driver and back */
	return pread(dev.fd, &v, 1, VDEV_REGION_OFF(VFIO_PCI_NUM_REGIONS)) < 0;
}

static int zero_fd = -1;

static int op_ref(void)
{
	uint8_t v;

	return pread(zero_fd, &v, 1, 0) == 1;
}

static void measure(const char *name, op_fn fn, int accesses, double secs)
{
	unsigned long ops = 0, i;
	double t0, t;

	/* warm up (caches, TLB), then whole batches until the time is up */
	for (i = 0; i < 200; i++)
		if (!fn())
			fatal("%s: access failed or returned a wrong value (%s)",
			      name, strerror(errno));
	t0 = tap_now();
	do {
		for (i = 0; i < 1000; i++)
			if (!fn())
				fatal("%s: access failed (%s)", name, strerror(errno));
		ops += 1000;
		t = tap_now();
	} while (t - t0 < secs);
	tap_say("# BENCH regs tag=%s run=%ld test=%s accesses=%lu secs=%.4f rate=%.1f",
	    tag, run_no, name, ops * accesses, t - t0, ops * accesses / (t - t0));
}

static int do_regs(double secs)
{
	guest_like_setup();
	wr(MTTY_UART_LCR, VDEV_LCR_WLEN8);
	wr(MTTY_UART_FCR, MTTY_FCR_ENABLE | (MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT));
	wr(MTTY_UART_IER, 0);
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (zero_fd < 0)
		fatal("open /dev/zero: %s", strerror(errno));
	/* not a VFIO access: tracks how fast this VM runs right now */
	measure("ref_devzero", op_ref, 1, secs);
	measure("lsr_read", op_lsr, 1, secs);
	measure("thr_rbr", op_thr_rbr, 2, secs);
	measure("scr_write", op_scr, 1, secs);
	measure("cfg_read32", op_cfg_rd32, 1, secs);
	measure("cfg_write32", op_cfg_wr32, 1, secs);
	measure("floor_badregion", op_floor, 1, secs);
	measure("cfg_read8", op_cfg_rd8, 1, secs);
	measure("ref_devzero", op_ref, 1, secs);
	ok(1, "run %ld: register accesses returned the expected values", run_no);
	return 0;
}

/* ------------------------------------------------------------ loopback */

static int set_irq(uint32_t flags, uint32_t index, uint32_t count, int32_t fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} req;

	memset(&req, 0, sizeof(req));
	req.s.argsz = sizeof(req.s) + (count ? sizeof(int32_t) : 0);
	req.s.flags = flags;
	req.s.index = index;
	req.s.start = 0;
	req.s.count = count;
	req.fd = fd;
	return ioctl(dev.fd, VFIO_DEVICE_SET_IRQS, &req);
}

static uint8_t pattern(uint64_t n)
{
	uint64_t x = n * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(x >> 56) ^ (uint8_t)n;
}

struct loop {
	unsigned int burst;	/* max bytes written per THRE */
	uint64_t sent, rcvd, bad, overrun;
	uint8_t ier;
	int sending;
};

static void rx_chars(struct loop *l, uint8_t lsr)
{
	int max = RX_LIMIT;

	do {
		uint8_t c;

		if (lsr & MTTY_LSR_OE)
			l->overrun++;
		if (!(lsr & MTTY_LSR_DR))
			break;
		c = rd(MTTY_UART_RBR);
		if (c != pattern(l->rcvd))
			l->bad++;
		l->rcvd++;
		lsr = rd(MTTY_UART_LSR);
	} while (--max > 0);
}

static void tx_chars(struct loop *l)
{
	unsigned int n = l->burst;

	while (n-- && l->sending)
		wr(MTTY_UART_THR, pattern(l->sent++));
}

/* one pass of the 8250 interrupt handler; returns 1 if something was pending */
static int handle_irq(struct loop *l)
{
	uint8_t iir = rd(MTTY_UART_IIR), lsr;

	if (iir & MTTY_IIR_NO_INT)
		return 0;
	lsr = rd(MTTY_UART_LSR);
	if (lsr & (MTTY_LSR_DR | MTTY_LSR_BI))
		rx_chars(l, lsr);
	lsr = rd(MTTY_UART_LSR);
	if ((lsr & MTTY_LSR_THRE) && (l->ier & MTTY_IER_THRI)) {
		if (l->sending)
			tx_chars(l);
		if (!l->sending) {
			l->ier &= ~MTTY_IER_THRI;	/* stop_tx */
			wr(MTTY_UART_IER, l->ier);
		}
	}
	return 1;
}

static int do_loop(unsigned int burst, double secs, int fifo64)
{
	struct loop l = { .burst = burst };
	unsigned int wakeups = 0, stalls = 0, quiet = 0, limits = 0, fifo = 16;
	double t0, tend, tlast;
	int efd, passes;
	uint64_t cnt;
	uint8_t iir;

	guest_like_setup();
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		fatal("eventfd: %s", strerror(errno));
	if (set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		    VFIO_PCI_INTX_IRQ_INDEX, 1, efd))
		fatal("SET_IRQS INTx eventfd: %s", strerror(errno));

	/* serial8250_do_startup() + set_termios(), 8N1 */
	wr(MTTY_UART_FCR, MTTY_FCR_ENABLE);
	wr(MTTY_UART_FCR, MTTY_FCR_ENABLE | (MTTY_FCR_CLEAR_RCVR | MTTY_FCR_CLEAR_XMIT));
	wr(MTTY_UART_FCR, 0);
	(void)rd(MTTY_UART_LSR);
	(void)rd(MTTY_UART_RBR);
	(void)rd(MTTY_UART_IIR);
	wr(MTTY_UART_LCR, VDEV_LCR_WLEN8 | MTTY_LCR_DLAB);
	wr(MTTY_UART_DLL, 1);
	wr(MTTY_UART_DLM, 0);
	if (fifo64)
		wr(MTTY_UART_FCR, MTTY_FCR_ENABLE | VDEV_FCR_TRIG_8 | MTTY_FCR_FIFO64);
	wr(MTTY_UART_LCR, VDEV_LCR_WLEN8);
	if (!fifo64) {
		wr(MTTY_UART_FCR, MTTY_FCR_ENABLE);
		wr(MTTY_UART_FCR, MTTY_FCR_ENABLE | VDEV_FCR_TRIG_8);
	}
	iir = rd(MTTY_UART_IIR);
	if (fifo64) {
		if (!ok(iir & MTTY_IIR_FIFO64,
			   "run %ld: 64-byte FIFO mode active (IIR 0x%02x)",
			   run_no, iir))
			return 1;
		fifo = 64;
	}
	if (burst > fifo)
		fatal("burst %u larger than the FIFO (%u)", burst, fifo);
	wr(MTTY_UART_MCR, (MTTY_MCR_DTR | MTTY_MCR_RTS | MTTY_MCR_OUT2));
	l.ier = MTTY_IER_RDI | MTTY_IER_RLSI;
	wr(MTTY_UART_IER, l.ier);

	l.sending = 1;
	t0 = tap_now();
	tend = t0 + secs;
	tlast = t0;
	/* start_tx: enabling THRI with an empty transmitter raises THRE */
	l.ier |= MTTY_IER_THRI;
	wr(MTTY_UART_IER, l.ier);
	passes = 0;
	for (;;) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		/*
		 * INTx is level-triggered: if the last handler run stopped at
		 * PASS_LIMIT with work left, the still-asserted line interrupts
		 * again right after the EOI (unmask), whatever the device
		 * signals.  Otherwise wait for the eventfd.
		 */
		int r = poll(&p, 1, passes >= PASS_LIMIT ? 0 : 1000);
		double t;

		if (r < 0)
			fatal("poll: %s", strerror(errno));
		if (r == 0 && passes >= PASS_LIMIT) {
			/* re-entered for the level-triggered line */
		} else if (r == 0) {
			stalls++;
			/* diagnostics only: reading IIR/LSR may change state */
			if (stalls <= 3)
				tap_say("# bench %s: stall %u at %.3f s: sent %llu rcvd %llu sending %d IER 0x%02x IIR 0x%02x LSR 0x%02x",
				    tag, stalls, tap_now() - t0,
				    (unsigned long long)l.sent,
				    (unsigned long long)l.rcvd, l.sending,
				    l.ier, rd(MTTY_UART_IIR), rd(MTTY_UART_LSR));
		} else {
			if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
				fatal("eventfd read: %s", strerror(errno));
			wakeups++;
		}
		passes = 0;
		while (passes < PASS_LIMIT && handle_irq(&l))
			passes++;
		/* level-triggered INTx: the guest's EOI unmasks it */
		set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			VFIO_PCI_INTX_IRQ_INDEX, 1, -1);
		t = tap_now();
		if (passes)
			tlast = t;
		if (l.sending && t >= tend) {
			l.sending = 0;
			l.ier &= ~MTTY_IER_THRI;
			wr(MTTY_UART_IER, l.ier);
		}
		if (!l.sending && l.rcvd == l.sent)
			break;
		quiet = r == 0 && !passes ? quiet + 1 : 0;
		if (passes >= PASS_LIMIT)
			limits++;
		if (quiet >= 3)
			break;	/* wedged: nothing for 3 s */
	}
	set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_PCI_INTX_IRQ_INDEX, 0, -1);
	wr(MTTY_UART_IER, 0);
	close(efd);

	tap_say("# BENCH loop tag=%s run=%ld burst=%u fifo=%u bytes=%llu secs=%.4f rate=%.1f wakeups=%u limits=%u stalls=%u bad=%llu overrun=%llu lost=%llu",
	    tag, run_no, burst, fifo, (unsigned long long)l.rcvd, tlast - t0,
	    l.rcvd / (tlast - t0), wakeups, limits, stalls,
	    (unsigned long long)l.bad, (unsigned long long)l.overrun,
	    (unsigned long long)(l.sent - l.rcvd));
	ok(l.rcvd == l.sent && l.rcvd > 0,
	      "run %ld burst %u: all %llu bytes came back (%llu missing)",
	      run_no, burst, (unsigned long long)l.sent,
	      (unsigned long long)(l.sent - l.rcvd));
	ok(!l.bad, "run %ld burst %u: bytes intact (%llu wrong)", run_no,
	      burst, (unsigned long long)l.bad);
	return l.rcvd == l.sent && !l.bad ? 0 : 1;
}

/* --------------------------------------------------------------- scale */

static int write_str(const char *path, const char *s);

struct mem {
	long slab, used, vmalloc;	/* KiB */
};

static struct mem meminfo(void)
{
	struct mem m = { 0, 0, 0 };
	long total = 0, free = 0, buffers = 0, cached = 0, v;
	char key[64];
	FILE *f;

	/* fold the per-CPU counter deltas, else Slab lags by up to ~MBs */
	write_str("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");

	if (!f)
		fatal("/proc/meminfo: %s", strerror(errno));
	while (fscanf(f, "%63s %ld kB\n", key, &v) == 2) {
		if (!strcmp(key, "MemTotal:"))
			total = v;
		else if (!strcmp(key, "MemFree:"))
			free = v;
		else if (!strcmp(key, "Buffers:"))
			buffers = v;
		else if (!strcmp(key, "Cached:"))
			cached = v;
		else if (!strcmp(key, "Slab:"))
			m.slab = v;
		else if (!strcmp(key, "VmallocUsed:"))
			m.vmalloc = v;
	}
	fclose(f);
	m.used = total - free - buffers - cached;
	return m;
}

static void scale_uuid(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "b3c4a000-0000-4000-8000-%012x", i);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s));
	if (r < 0)
		r = -errno;
	close(fd);
	return r < 0 ? (int)r : 0;
}

static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* microseconds per read of TYPE/available_instances, checked against @want */
static double avail_cost(const char *types, const char *type, long want)
{
	char path[512], buf[32];
	unsigned int i, reads = 200, bad = 0;
	double t0;

	snprintf(path, sizeof(path), "%s/%s/available_instances", types, type);
	t0 = tap_now();
	for (i = 0; i < reads; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		if (r <= 0) {
			bad++;
			continue;
		}
		buf[r] = 0;
		if (want >= 0 && atol(buf) != want)
			bad++;
	}
	t0 = tap_now() - t0;
	ok(!bad, "run %ld: %u reads of available_instances = %ld (%u wrong)",
	   run_no, reads, want, bad);
	return t0 * 1e6 / reads;
}

static long read_long(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	return atol(buf);
}

/*
 * N devices of TYPE created and removed through sysfs or mdevctl; with
 * @list, one `mdevctl list` is timed while all N exist.
 */
static int do_scale(const char *types, const char *type, unsigned int n,
		    const char *parent, bool list)
{
	char path[512], uuid[64];
	struct mem m0, m1, m2;
	unsigned int i, made = 0, gone = 0;
	double t0, t1, t2, create_s, avail_us, list_ms = -1;
	long avail0;
	int r, err = 0;

	snprintf(path, sizeof(path), "%s/%s/available_instances", types, type);
	avail0 = read_long(path);

	sync();
	m0 = meminfo();
	t0 = tap_now();
	for (i = 0; i < n; i++) {
		scale_uuid(uuid, sizeof(uuid), i);
		if (parent) {
			char *argv[] = { "mdevctl", "start", "-u", uuid, "-p",
					 (char *)parent, "-t", (char *)type, NULL };

			r = run_cmd(argv) ? -EIO : 0;
		} else {
			snprintf(path, sizeof(path), "%s/%s/create", types, type);
			r = write_str(path, uuid);
		}
		if (r) {
			err = r;
			break;
		}
		made++;
	}
	t1 = tap_now();
	create_s = t1 - t0;
	m1 = meminfo();
	avail_us = avail_cost(types, type, avail0 < 0 ? -1 : avail0 - (long)made);
	if (list) {
		char *argv[] = { "mdevctl", "list", NULL };
		double tl = tap_now();

		r = run_cmd(argv);
		list_ms = (tap_now() - tl) * 1e3;
		ok(!r, "run %ld: mdevctl list with %u devices (exit %d)",
		   run_no, made, r);
	}
	t1 = tap_now();		/* removal timed from here */
	for (i = 0; i < made; i++) {
		scale_uuid(uuid, sizeof(uuid), i);
		if (parent) {
			char *argv[] = { "mdevctl", "stop", "-u", uuid, NULL };

			r = run_cmd(argv) ? -EIO : 0;
		} else {
			snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove",
				 uuid);
			r = write_str(path, "1");
		}
		if (!r)
			gone++;
	}
	t2 = tap_now();
	m2 = meminfo();
	ok(made == n, "run %ld: created %u of %u %s devices via %s%s%s", run_no,
	      made, n, type, parent ? "mdevctl" : "sysfs",
	      err ? ", error: " : "", err ? strerror(-err) : "");
	ok(gone == made, "run %ld: removed %u of %u devices via %s", run_no,
	      gone, made, parent ? "mdevctl" : "sysfs");
	if (!made)
		return 1;
	tap_say("# BENCH scale tag=%s run=%ld via=%s n=%u create_us=%.1f remove_us=%.1f avail_us=%.1f list_ms=%.1f slab_kib=%.2f used_kib=%.2f vmalloc_kib=%.2f slab_left_kib=%ld used_left_kib=%ld",
	    tag, run_no, parent ? "mdevctl" : "sysfs", made,
	    create_s * 1e6 / made, (t2 - t1) * 1e6 / made, avail_us, list_ms,
	    (double)(m1.slab - m0.slab) / made, (double)(m1.used - m0.used) / made,
	    (double)(m1.vmalloc - m0.vmalloc) / made,
	    m2.slab - m0.slab, m2.used - m0.used);
	return made == n && gone == made ? 0 : 1;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio_bench regs UUID TAG RUN [SECONDS]\n"
		"       vfio_bench loop UUID TAG RUN BURST SECONDS [fifo64]\n"
		"       vfio_bench scale TYPES_DIR TYPE N TAG RUN [mdevctl PARENT | list]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "regs") && (argc == 5 || argc == 6)) {
		tag = argv[3];
		run_no = atol(argv[4]);
		open_device(argv[2]);
		r = do_regs(argc == 6 ? atof(argv[5]) : 0.5);
	} else if (!strcmp(argv[1], "loop") && (argc == 7 || argc == 8)) {
		tag = argv[3];
		run_no = atol(argv[4]);
		open_device(argv[2]);
		r = do_loop(atoi(argv[5]), atof(argv[6]),
			    argc == 8 && !strcmp(argv[7], "fifo64"));
	} else if (!strcmp(argv[1], "scale") && argc >= 7 && argc <= 9) {
		bool list = argc == 8 && !strcmp(argv[7], "list");

		tag = argv[5];
		run_no = atol(argv[6]);
		if ((argc == 9 && strcmp(argv[7], "mdevctl")) ||
		    (argc == 8 && !list))
			usage();
		r = do_scale(argv[2], argv[3], atoi(argv[4]),
			     argc == 9 ? argv[8] : NULL, list);
	} else {
		usage();
	}
	return r || tap_failed() ? 1 : 0;
}
