// SPDX-License-Identifier: GPL-2.0-only
/*
 * l2bench - /init (PID 1) of the nested L2 guest of the benchmark.
 *
 * The guest is booted by run_l2 (tests/vm/steps/lib.sh) with an mtty mdev
 * (ours or the kernel sample) at 00:05.0; Linux's 8250_pci driver binds it
 * as ttyS1 (8250.nr_uarts=4).  For every burst size and run, a writer
 * thread and a reader (main thread) move data through the first port of the
 * device concurrently for a fixed time; the writer keeps at most BURST bytes
 * in flight (written but not yet read back), so with BURST < 16 the 8250
 * driver never puts 16 bytes into the device's FIFO at once.  Every byte is
 * checked.
 *
 * Kernel command line (all optional):
 *   bench.tag=NAME        label of the results (default "guest")
 *   bench.bursts=15,4096  bursts to measure
 *   bench.tag2=NAME bench.bursts2=...   the same for a second device at
 *                         00:06.0 (measured after the first)
 *   bench.secs=4          seconds of writing per run
 *   bench.runs=3          runs per burst
 *   bench.idle=10         give up a run after this many seconds without
 *                         a received byte (wedged device)
 *   bench.count=8192,16384   count mode (issue 15) instead of timed runs:
 *                         per burst, one baseline phase (open, configure,
 *                         close) and one phase per size moving exactly
 *                         that many bytes (a burst below 4 moves 1/8 of
 *                         it: one byte in flight is slow under nested TCG)
 *   bench.uart=16750 bench.uart2=16750   count mode: switch the port to
 *                         the 16750 first (TIOCSSERIAL type PORT_16750,
 *                         xmit_fifo_size 64: what setserial "uart 16750"
 *                         does)
 *
 * Count mode marks each phase on the QEMU side: before a phase it writes
 * the phase number (32, 33, ...) to the port's scratch register (SCR,
 * BAR0 + 7, through ioperm/outb), which the 8250 driver never touches
 * after probing.  The L1 side (tests/vm/steps/qtrace.sh) splits QEMU's
 * VFIO trace at those writes.  Per phase: "# BENCH cphase tag=... mark=N
 * burst=... phase=base|xfer bytes=... irqs=..." (irqs: the port's IRQ in
 * /proc/interrupts from before open to after close).
 *
 * Output: "MTTY-L2-INIT-START" first; "# BENCH guest tag=... burst=...
 * run=... bytes=... secs=... rate=..." per run, "ok - ..." / "not ok - ..."
 * checks, "MTTY-L2-DONE" last, then power off.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -pthread -Itests/lib -o l2bench \
 *	tests/bench/l2bench.c tests/lib/tap.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/serial.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/stat.h>

#include "rawtty.h"
#include "tap.h"

#define MAX_BURSTS	8
#define CHUNK		4096

struct dev {
	const char *slot;
	char tag[64];
	unsigned int bursts[MAX_BURSTS];
	int nbursts;
	int uart;		/* count mode: port type to select, 0: keep */
};

#define MAX_COUNTS	4
static unsigned long count_sizes[MAX_COUNTS];
static int ncounts;
static unsigned int mark_seq = 32;

static struct dev devs[2] = {
	{ .slot = "0000:00:05.0", .tag = "guest", .bursts = { 15 }, .nbursts = 1 },
	{ .slot = "0000:00:06.0", .tag = "", .bursts = { 15 }, .nbursts = 1 },
};
static const char *tag = "guest";
static double secs = 4;
static long runs = 3, idle_secs = 10;

/* Kernel messages about interrupt trouble ("nobody cared", disabled IRQ). */
static void klog_irq_trouble(void)
{
	static char buf[1 << 20];
	char *line, *save = NULL;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n <= 0)
		return;
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "nobody cared") || strstr(line, "Disabling IRQ") ||
		    strstr(line, "spurious"))
			tap_say("# klog: %s", line);
}

static void finish(void)
{
	alarm(0);
	klog_irq_trouble();
	tap_say("# L2 summary: %u passed, %u failed", tap_passed(), tap_failed());
	tap_say("MTTY-L2-DONE");
	sync();
	reboot(RB_POWER_OFF);
	reboot(RB_HALT_SYSTEM);
	_exit(1);
}

static void watchdog(int sig)
{
	static const char msg[] = "\nnot ok - L2 bench: watchdog fired\nMTTY-L2-DONE\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

static void parse_bursts(struct dev *d, const char *p)
{
	char *end;

	d->nbursts = 0;
	while (*p && d->nbursts < MAX_BURSTS) {
		unsigned long v = strtoul(p, &end, 0);

		if (end == p || !v || v > 65536)
			break;
		d->bursts[d->nbursts++] = (unsigned int)v;
		p = *end == ',' ? end + 1 : end;
	}
	if (!d->nbursts)
		d->bursts[d->nbursts++] = 15;
}

static void parse_cmdline(void)
{
	char buf[4096], *tok, *save = NULL;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(tok, "bench.tag=", 10)) {
			snprintf(devs[0].tag, sizeof(devs[0].tag), "%s", tok + 10);
		} else if (!strncmp(tok, "bench.tag2=", 11)) {
			snprintf(devs[1].tag, sizeof(devs[1].tag), "%s", tok + 11);
		} else if (!strncmp(tok, "bench.bursts=", 13)) {
			parse_bursts(&devs[0], tok + 13);
		} else if (!strncmp(tok, "bench.bursts2=", 14)) {
			parse_bursts(&devs[1], tok + 14);
		} else if (!strncmp(tok, "bench.secs=", 11)) {
			secs = atof(tok + 11);
			if (secs <= 0)
				secs = 4;
		} else if (!strncmp(tok, "bench.runs=", 11)) {
			runs = atol(tok + 11);
			if (runs < 1)
				runs = 1;
		} else if (!strncmp(tok, "bench.count=", 12)) {
			char *p = tok + 12, *end;

			while (*p && ncounts < MAX_COUNTS) {
				unsigned long v = strtoul(p, &end, 0);

				if (end == p || !v || v > (1UL << 24))
					break;
				count_sizes[ncounts++] = v;
				p = *end == ',' ? end + 1 : end;
			}
		} else if (!strncmp(tok, "bench.uart=", 11)) {
			devs[0].uart = atoi(tok + 11) == 16750 ? PORT_16750 : 0;
		} else if (!strncmp(tok, "bench.uart2=", 12)) {
			devs[1].uart = atoi(tok + 12) == 16750 ? PORT_16750 : 0;
		} else if (!strncmp(tok, "bench.idle=", 11)) {
			idle_secs = atol(tok + 11);
			if (idle_secs < 1)
				idle_secs = 10;
		}
	}
}

/* name of the first ttyS whose device is the PCI function SLOT */
static int find_port(const char *slot, char *name, size_t len)
{
	int best = INT_MAX;
	struct dirent *de;
	DIR *d = opendir("/sys/class/tty");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[PATH_MAX], link[PATH_MAX];
		ssize_t n;
		int idx;

		if (sscanf(de->d_name, "ttyS%d", &idx) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/class/tty/%s/device", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strstr(link, slot) && idx < best)
			best = idx;
	}
	closedir(d);
	if (best == INT_MAX)
		return -1;
	snprintf(name, len, "ttyS%d", best);
	return 0;
}

/* interrupts counted for IRQ so far (all CPUs), -1 if unknown */
/*
 * Unhandled interrupts of @irq so far (/proc/irq/N/spurious "unhandled"):
 * interrupts no handler claimed.  Linux disables a line when nearly all
 * of 100000 go unhandled and then only polls it every 100 ms.  The count
 * restarts every 100000 interrupts (a run across that reports -1).
 */
static long long irq_unhandled(int irq)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	if (irq <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/irq/%d/spurious", irq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "unhandled %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static long long irq_count(int irq)
{
	char line[1024], *p, *end;
	long long sum = -1;
	FILE *f;

	if (irq <= 0)
		return -1;
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long n = strtol(line, &p, 10);

		if (p == line || *p != ':' || n != irq)
			continue;
		p++;
		sum = 0;
		for (;;) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
		break;
	}
	fclose(f);
	return sum;
}

static uint8_t pattern(uint64_t n)
{
	uint64_t x = n * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(x >> 56) ^ (uint8_t)n;
}

struct xfer {
	int fd;
	unsigned int burst;
	uint64_t limit;		/* count mode: bytes to move, 0: until deadline */
	double deadline;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t sent, rcvd;
	int done, abort;
	int werr;
};

static void *writer(void *arg)
{
	struct xfer *x = arg;
	uint8_t buf[CHUNK];

	for (;;) {
		uint64_t base;
		size_t n, i;
		ssize_t w;

		pthread_mutex_lock(&x->lock);
		while (!x->abort && x->sent - x->rcvd >= x->burst) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&x->cond, &x->lock, &ts);
		}
		if (x->abort || tap_now() >= x->deadline ||
		    (x->limit && x->sent >= x->limit)) {
			x->done = 1;
			pthread_mutex_unlock(&x->lock);
			break;
		}
		n = x->burst - (size_t)(x->sent - x->rcvd);
		if (x->limit && n > x->limit - x->sent)
			n = (size_t)(x->limit - x->sent);
		base = x->sent;
		pthread_mutex_unlock(&x->lock);
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(base + i);
		w = write(x->fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&x->lock);
		if (w < 0) {
			x->werr = errno;
			x->done = 1;
			pthread_mutex_unlock(&x->lock);
			break;
		}
		x->sent += (uint64_t)w;
		pthread_mutex_unlock(&x->lock);
	}
	return NULL;
}

static int open_port(const char *name)
{
	char path[PATH_MAX];
	const char *what;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ok(0, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (rawtty_set(fd, 0, &what) < 0) {
		ok(0, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Move data through @x (writer thread, reader here) until the writer is
 * done and everything came back, or nothing arrived for idle_secs.
 * Returns -1 if the writer thread could not start; counts wrong bytes
 * in *@bad and notes the time of the last received byte in *@tlast.
 */
static int pump(struct xfer *x, uint64_t *bad, double *tlast)
{
	uint8_t buf[CHUNK];
	double tidle;
	pthread_t th;

	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
	*tlast = tap_now();
	if (pthread_create(&th, NULL, writer, x)) {
		ok(0, "pthread_create failed");
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = x->fd, .events = POLLIN };
		int r = poll(&p, 1, 100), done;
		uint64_t sent;

		if (r > 0) {
			ssize_t n = read(x->fd, buf, sizeof(buf)), i;

			if (n > 0) {
				pthread_mutex_lock(&x->lock);
				for (i = 0; i < n; i++)
					if (buf[i] != pattern(x->rcvd + (uint64_t)i))
						(*bad)++;
				x->rcvd += (uint64_t)n;
				pthread_cond_signal(&x->cond);
				pthread_mutex_unlock(&x->lock);
				*tlast = tap_now();
			}
		}
		pthread_mutex_lock(&x->lock);
		done = x->done;
		sent = x->sent;
		pthread_mutex_unlock(&x->lock);
		if (done && x->rcvd >= sent)
			break;
		tidle = tap_now() - *tlast;
		if (tidle > idle_secs) {
			pthread_mutex_lock(&x->lock);
			x->abort = 1;
			pthread_cond_signal(&x->cond);
			pthread_mutex_unlock(&x->lock);
			break;
		}
	}
	/* a wedged writer may block in write(): flushing unblocks it */
	if (x->abort)
		tcflush(x->fd, TCIOFLUSH);
	pthread_join(th, NULL);
	return 0;
}

static int run_one(const char *port, int irq, unsigned int burst, long run)
{
	long long irq0, irq1, un0, un1;
	struct xfer x = { .burst = burst };
	double t0, tlast;
	uint64_t bad = 0;
	int good;

	x.fd = open_port(port);
	if (x.fd < 0)
		return 1;
	/* the port's handler (its /proc/interrupts line) exists while open */
	irq0 = irq_count(irq);
	un0 = irq_unhandled(irq);
	tcflush(x.fd, TCIOFLUSH);
	t0 = tap_now();
	tlast = t0;
	x.deadline = t0 + secs;
	if (pump(&x, &bad, &tlast) < 0) {
		close(x.fd);
		return 1;
	}
	irq1 = irq_count(irq);
	un1 = irq_unhandled(irq);
	tap_say("# BENCH guest tag=%s run=%ld burst=%u bytes=%llu secs=%.4f rate=%.1f bad=%llu lost=%lld wedged=%d irqs=%lld unhandled=%lld",
	    tag, run, burst, (unsigned long long)x.rcvd, tlast - t0,
	    tlast > t0 ? x.rcvd / (tlast - t0) : 0.0, (unsigned long long)bad,
	    (long long)(x.sent - x.rcvd), x.abort,
	    irq0 >= 0 && irq1 >= 0 ? irq1 - irq0 : -1,
	    un0 >= 0 && un1 >= un0 ? un1 - un0 : -1);
	good = ok(!x.abort && x.rcvd == x.sent && x.rcvd > 0 && !x.werr,
		    "burst %u run %ld: %llu bytes looped back through %s%s",
		    burst, run, (unsigned long long)x.rcvd, port,
		    x.abort ? " (wedged: no data for the idle limit)" : "");
	good &= ok(!bad, "burst %u run %ld: data intact (%llu wrong bytes)",
		     burst, run, (unsigned long long)bad);
	close(x.fd);
	return good ? 0 : 1;
}

/* ------------------------------------------------------------ count mode */

/* I/O port base of BAR0 of PCI function @slot, 0 if unknown */
static unsigned long bar0_io(const char *slot)
{
	unsigned long long start = 0, end = 0, flags = 0;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", slot);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
		start = 0;
	fclose(f);
	/* IORESOURCE_IO */
	if (!(flags & 0x100) || start > 0xfff8)
		return 0;
	return (unsigned long)start;
}

/* write the next phase number to the scratch register of port 0 */
static unsigned int mark(unsigned long io)
{
	unsigned int m = mark_seq++;

	outb((unsigned char)m, (unsigned short)(io + 7));
	return m;
}

/* /proc/interrupts count of @irq; a line not shown yet counts 0 */
static long long irq_count0(int irq)
{
	long long v = irq_count(irq);

	return irq > 0 && v < 0 ? 0 : v;
}

/*
 * One phase: mark, open + configure (+ move @bytes with @burst in flight),
 * close.  Returns 0 if the bytes came back intact.
 */
static int count_phase(const char *port, unsigned long io, int irq,
		       unsigned int burst, unsigned long bytes)
{
	struct xfer x = { .burst = burst, .limit = bytes };
	long long irq0, irq1;
	uint64_t bad = 0;
	double t0, tlast;
	unsigned int m;
	int good = 1;

	m = mark(io);
	irq0 = irq_count0(irq);
	x.fd = open_port(port);
	if (x.fd < 0)
		return 1;
	tcflush(x.fd, TCIOFLUSH);
	t0 = tap_now();
	tlast = t0;
	if (bytes) {
		x.deadline = t0 + 1e9;
		if (pump(&x, &bad, &tlast) < 0)
			x.abort = 1;
	}
	close(x.fd);
	irq1 = irq_count0(irq);
	tap_say("# BENCH cphase tag=%s mark=%u burst=%u phase=%s want=%lu bytes=%llu secs=%.3f irqs=%lld bad=%llu lost=%lld wedged=%d",
	    tag, m, burst, bytes ? "xfer" : "base", bytes,
	    (unsigned long long)x.rcvd, tlast - t0,
	    irq0 >= 0 && irq1 >= 0 ? irq1 - irq0 : -1,
	    (unsigned long long)bad, (long long)(bytes - x.rcvd), x.abort);
	if (bytes) {
		good = ok(!x.abort && x.rcvd == bytes && !x.werr,
			  "count burst %u: %lu bytes looped back through %s",
			  burst, bytes, port);
		good &= ok(!bad, "count burst %u, %lu bytes: data intact (%llu wrong bytes)",
			   burst, bytes, (unsigned long long)bad);
	}
	return good ? 0 : 1;
}

static void count_dev(struct dev *dv, const char *port, int irq)
{
	unsigned long io = bar0_io(dv->slot), div;
	int i, j;

	if (!ok(io != 0, "count: BAR0 of %s is an I/O BAR", dv->slot))
		return;
	if (!ok(ioperm(io, 8, 1) == 0, "count: ioperm(0x%lx, 8): %s", io,
		strerror(errno)))
		return;
	for (i = 0; i < dv->nbursts; i++) {
		div = dv->bursts[i] < 4 ? 8 : 1;
		count_phase(port, io, irq, dv->bursts[i], 0);
		for (j = 0; j < ncounts; j++)
			count_phase(port, io, irq, dv->bursts[i],
				    count_sizes[j] / div);
	}
	/* closes the last phase */
	tap_say("# BENCH cphase tag=%s mark=%u phase=end", tag, mark(io));
}

/* setserial PORT uart 16750: returns the type now set */
static int set_uart(const char *path, int type)
{
	struct serial_struct ss;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK), ret = -1;

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (ioctl(fd, TIOCGSERIAL, &ss) == 0) {
		ss.type = type;
		ss.xmit_fifo_size = type == PORT_16750 ? 64 : 16;
		if (ioctl(fd, TIOCSSERIAL, &ss) == 0 &&
		    ioctl(fd, TIOCGSERIAL, &ss) == 0)
			ret = ss.type;
	}
	close(fd);
	return ret;
}

static void bench_dev(struct dev *dv)
{
	struct serial_struct ss;
	char port[32], path[64];
	long run;
	int i, fd;

	tag = dv->tag;
	tap_tag("L2 bench %s", tag);
	tap_say("# L2 bench: tag %s at %s, %d burst size(s), %ld run(s) of %.1f s",
	    tag, dv->slot, dv->nbursts, runs, secs);
	for (i = 0; i < 100 && find_port(dv->slot, port, sizeof(port)); i++)
		usleep(100000);
	if (!ok(i < 100, "a ttyS port of %s exists", dv->slot))
		return;
	snprintf(path, sizeof(path), "/dev/%s", port);
	if (ncounts && dv->uart)
		ok(set_uart(path, dv->uart) == dv->uart,
		   "%s switched to port type %d (setserial uart 16750)", port, dv->uart);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	memset(&ss, 0, sizeof(ss));
	if (fd >= 0 && ioctl(fd, TIOCGSERIAL, &ss) == 0)
		tap_say("# BENCH guestuart tag=%s port=%s type=%d fifo=%d irq=%d",
		    tag, port, ss.type, ss.xmit_fifo_size, ss.irq);
	if (fd >= 0)
		close(fd);
	if (ncounts) {
		count_dev(dv, port, ss.irq);
		return;
	}
	for (i = 0; i < dv->nbursts; i++)
		for (run = 1; run <= runs; run++)
			run_one(port, ss.irq, dv->bursts[i], run);
}

int main(void)
{
	int d;

	tap_say("MTTY-L2-INIT-START");
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	signal(SIGALRM, watchdog);
	parse_cmdline();
	if (ncounts) {
		unsigned long sum = 0;

		for (d = 0; d < ncounts; d++)
			sum += count_sizes[d];
		/* at 200 bytes/s at least */
		alarm((unsigned int)(180 + (devs[0].nbursts + devs[1].nbursts) *
				     (sum / 200 + (ncounts + 1) * (idle_secs + 5))));
	} else {
		alarm((unsigned int)(180 + (devs[0].nbursts + devs[1].nbursts) * runs *
				     (secs + idle_secs + 5)));
	}
	for (d = 0; d < 2; d++)
		if (devs[d].tag[0])
			bench_dev(&devs[d]);
	finish();
	return 0;
}
