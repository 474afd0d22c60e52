// SPDX-License-Identifier: GPL-2.0-only
/*
 * l2init - /init (PID 1) of the nested L2 guest of the mtty VM tests.
 *
 * The L2 guest is booted by QEMU inside the L1 VM with an mtty mdev passed
 * through (-device vfio-pci,sysfsdev=...,addr=05.0).  This program checks,
 * from the guest's point of view, that the device looks like the seed dump
 * (config space, BARs, 8250_pci probe messages, ttyS names) and that every
 * port loops data back losslessly, then powers the guest off.
 *
 * Output protocol: "ok - L2 ..." / "not ok - L2 ..." per check, "# ..."
 * comments, "# L2 summary: N passed, N failed", then "MTTY-L2-DONE".
 * The first line printed is "MTTY-L2-INIT-START".
 *
 * Kernel command line parameters (all optional):
 *   mtty.vendor=0x4348 mtty.device=0x3253  PCI IDs to look for (config space
 *                              is still compared against the seed values)
 *   mtty.ports=2               expected ports (= non-zero I/O BARs) per device
 *   mtty.bytes=65536           bytes per loopback run and port
 *   mtty.timeout=300           seconds allowed per loopback run
 *   mtty.idle=60               give up a run after this many seconds without
 *                              any received byte
 *   mtty.ttybase=1             first expected ttyS number (-1: don't assert
 *                              names); the seed shows ttyS1, ttyS2 with
 *                              8250.nr_uarts=4
 *   mtty.watchdog=S            global watchdog (default: per phase)
 *   mtty.l2=stream             stream mode (instead of the loopback runs,
 *                              after the same PCI/tty checks): writes a
 *                              position-dependent byte sequence through
 *                              every port continuously for
 *                              mtty.stream_secs=120 seconds and verifies
 *                              every byte read back (no loss, duplicate
 *                              or alteration), printing "# stream progress
 *                              t=S rx=N bad=N ..." every 3 s; built to
 *                              run while the host migrates the guest
 *                              (tests/vm/steps/70-migrate.sh)
 *   mtty.peer=BDF              the device at BDF (e.g. 0000:00:06.0) is
 *                              tty-backed (its ports' other ends are host
 *                              ttys): it has mtty.peer_ports=1 ports, which
 *                              skip the loopback runs; instead, after
 *                              them, each port writes mtty.bytes of
 *                              peer_g2h() (tests/lib/peerpat.h) while it
 *                              reads and checks as many of peer_h2g(),
 *                              which tests/vm/tty_peer.c in L1 sends on
 *                              the host tty once the guest's first byte
 *                              arrived (tests/vm/steps/60-nested.sh)
 *   mtty.demo=1                if /demo.sh exists: run "/bin/busybox sh
 *                              /demo.sh" instead of the checks, then power off
 *                              (demo.sh should simply exit; its exit status
 *                              is reported as one ok/not ok line)
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -pthread -o l2init l2init.c
 *
 * Smoke test without mtty: QEMU's pci-serial-2x (mtty.vendor=0x1b36
 * mtty.device=0x0003; the seed ID/class/BAR checks then fail as expected)
 * with each port on "-chardev pipe,id=cN,path=FIFO" where FIFO is a named
 * pipe without .in/.out files: QEMU opens it O_RDWR, so it loops back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/serial.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "peerpat.h"
#include "rawtty.h"

#define SEED_VENDOR	0x4348
#define SEED_DEVICE	0x3253
#define SEED_COMMAND	0x0001
#define SEED_STATUS	0x0200
#define SEED_REV	0x10
#define MAX_DEVS	8
#define MAX_PORTS	32
#define MAX_BYTES	(64UL << 20)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define SYSLOG_READ_ALL		3
#define SYSLOG_SIZE_BUFFER	10
#define SYSLOG_CONSOLE_LEVEL	8

static struct config {
	unsigned long vendor;
	unsigned long device;
	long ports;
	unsigned long bytes;
	long timeout;
	long idle;
	long demo;
	long ttybase;
	long watchdog;
	int stream;
	long stream_secs;
	char peer[64];
	long peer_ports;
} cfg = {
	.vendor = SEED_VENDOR,
	.device = SEED_DEVICE,
	.ports = 2,
	.bytes = 65536,
	.timeout = 300,
	.idle = 60,
	.demo = 0,
	.ttybase = 1,
	.watchdog = 0,
	.stream = 0,
	.stream_secs = 120,
	.peer = "",
	.peer_ports = 1,
};

static volatile sig_atomic_t n_pass, n_fail;
static const char *volatile wd_phase = "startup";

/* ---------------------------------------------------------------- output */

static void say(const char *fmt, ...) __printf(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int result(int good, const char *fmt, ...)
	__printf(2, 3);
static int result(int good, const char *fmt, ...)
{
	va_list ap;

	fputs(good ? "ok - L2 " : "not ok - L2 ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (good)
		n_pass++;
	else
		n_fail++;
	return good;
}

/* ------------------------------------------------------------- watchdog */

static size_t put_str(char *buf, size_t pos, size_t size, const char *s)
{
	while (*s && pos + 1 < size)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_num(char *buf, size_t pos, size_t size, long v)
{
	char tmp[24];
	int i = 0;

	if (v < 0) {
		pos = put_str(buf, pos, size, "-");
		v = -v;
	}
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i < (int)sizeof(tmp));
	while (i > 0 && pos + 1 < size)
		buf[pos++] = tmp[--i];
	return pos;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
}

/* async-signal-safe: only write(), sync(), reboot(), _exit() */
static void watchdog_fired(int sig)
{
	char buf[256];
	size_t n = 0;

	(void)sig;
	n = put_str(buf, n, sizeof(buf), "\nnot ok - L2 watchdog (phase: ");
	n = put_str(buf, n, sizeof(buf), wd_phase);
	n = put_str(buf, n, sizeof(buf), ")\n# L2 summary: ");
	n = put_num(buf, n, sizeof(buf), n_pass);
	n = put_str(buf, n, sizeof(buf), " passed, ");
	n = put_num(buf, n, sizeof(buf), n_fail + 1);
	n = put_str(buf, n, sizeof(buf), " failed\nMTTY-L2-DONE\n");
	if (write(STDOUT_FILENO, buf, n) < 0)
		n = 0;
	power_off();
	_exit(1);
}

static void set_watchdog(const char *phase, long secs)
{
	wd_phase = phase;
	if (cfg.watchdog > 0)
		return;		/* one global deadline, armed once */
	if (secs < 1)
		secs = 1;
	alarm((unsigned int)secs);
}

static void finish(void)
{
	alarm(0);
	say("# L2 summary: %d passed, %d failed", (int)n_pass, (int)n_fail);
	say("MTTY-L2-DONE");
	sync();
	if (reboot(RB_POWER_OFF) < 0)
		say("# reboot(RB_POWER_OFF) failed: %s", strerror(errno));
	if (reboot(RB_HALT_SYSTEM) < 0)
		say("# reboot(RB_HALT_SYSTEM) failed: %s", strerror(errno));
	_exit(1);
}

/* ---------------------------------------------------------------- helpers */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ms_left(double deadline, int cap)
{
	double left = (deadline - now()) * 1000.0;

	if (left <= 0)
		return 0;
	if (left > cap)
		return cap;
	return (int)left + 1;
}

/* Bytes that still arrive on @fd within a second (none may, after a
 * complete transfer); read into @buf and counted. */
static size_t read_extra(int fd, unsigned char *buf, size_t len)
{
	double end = now() + 1.0;
	size_t extra = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = ms_left(end, 300);
		ssize_t r;

		if (ms <= 0)
			break;
		if (poll(&p, 1, ms) <= 0)
			continue;
		r = read(fd, buf, len);
		if (r > 0)
			extra += (size_t)r;
		else if (r == 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return extra;
}

/* Reads a whole (small) file; NUL-terminates. Returns length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got + 1 < size) {
		ssize_t r = read(fd, buf + got, size - 1 - got);

		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

static int read_ulong_file(const char *path, unsigned long *val)
{
	char buf[64], *end;
	ssize_t n = read_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* bounded string copy that always terminates (truncates silently) */
static void scopy(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static unsigned int cfg8(const unsigned char *c, int off)
{
	return c[off];
}

static unsigned int cfg16(const unsigned char *c, int off)
{
	return c[off] | (unsigned int)c[off + 1] << 8;
}

static uint32_t cfg32(const unsigned char *c, int off)
{
	return cfg16(c, off) | (uint32_t)cfg16(c, off + 2) << 16;
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* ------------------------------------------------------ console & mounts */

static void setup_console(void)
{
	int fd, i, need = 0;

	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			need = 1;
	if (!need)
		return;
	mkdir("/dev", 0755);
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0) {
		mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	}
	if (fd < 0)
		return;		/* nowhere to report; carry on blind */
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static int is_mountpoint(const char *dir)
{
	struct stat a, b;
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return 0;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static int do_mount(const char *src, const char *dir, const char *type,
		    unsigned long flags, const char *data)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		say("# mkdir %s: %s", dir, strerror(errno));
		return 0;
	}
	if (is_mountpoint(dir)) {
		say("# %s already mounted", dir);
		return 1;
	}
	if (mount(src, dir, type, flags, data) < 0) {
		say("# mount -t %s %s %s: %s", type, src, dir, strerror(errno));
		return 0;
	}
	return 1;
}

/* --------------------------------------------------------------- cmdline */

static int parse_num(const char *key, const char *val, long min, long max,
		     long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 0);
	if (errno || end == val || *end || v < min || v > max) {
		result(0, "kernel cmdline mtty.%s=%s is invalid (allowed %ld..%ld), using %ld",
		       key, val, min, max, *out);
		return 0;
	}
	*out = v;
	return 1;
}

static void parse_cmdline(void)
{
	char buf[4096], *save = NULL, *tok;
	ssize_t n = read_file("/proc/cmdline", buf, sizeof(buf));
	long v;

	if (n < 0) {
		result(0, "read /proc/cmdline: %s (using defaults)",
		       strerror((int)-n));
		return;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	say("# kernel cmdline: %s", buf);
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *key, *val;

		if (strncmp(tok, "mtty.", 5))
			continue;
		key = tok + 5;
		val = strchr(key, '=');
		if (!val) {
			say("# ignoring cmdline word %s (no value)", tok);
			continue;
		}
		*val++ = '\0';
		if (!strcmp(key, "vendor")) {
			v = (long)cfg.vendor;
			if (parse_num(key, val, 0, 0xffff, &v))
				cfg.vendor = (unsigned long)v;
		} else if (!strcmp(key, "device")) {
			v = (long)cfg.device;
			if (parse_num(key, val, 0, 0xffff, &v))
				cfg.device = (unsigned long)v;
		} else if (!strcmp(key, "ports")) {
			parse_num(key, val, 1, 6, &cfg.ports);
		} else if (!strcmp(key, "bytes")) {
			v = (long)cfg.bytes;
			if (parse_num(key, val, 1, (long)MAX_BYTES, &v))
				cfg.bytes = (unsigned long)v;
		} else if (!strcmp(key, "timeout")) {
			parse_num(key, val, 1, 86400, &cfg.timeout);
		} else if (!strcmp(key, "idle")) {
			parse_num(key, val, 1, 86400, &cfg.idle);
		} else if (!strcmp(key, "demo")) {
			parse_num(key, val, 0, 1, &cfg.demo);
		} else if (!strcmp(key, "ttybase")) {
			parse_num(key, val, -1, 1000, &cfg.ttybase);
		} else if (!strcmp(key, "watchdog")) {
			parse_num(key, val, 0, 86400, &cfg.watchdog);
		} else if (!strcmp(key, "l2")) {
			if (!strcmp(val, "stream"))
				cfg.stream = 1;
			else if (!strcmp(val, "checks"))
				cfg.stream = 0;
			else
				result(0, "kernel cmdline mtty.l2=%s is invalid (stream or checks)",
				       val);
		} else if (!strcmp(key, "peer")) {
			scopy(cfg.peer, sizeof(cfg.peer), val);
		} else if (!strcmp(key, "peer_ports")) {
			parse_num(key, val, 1, 6, &cfg.peer_ports);
		} else if (!strcmp(key, "stream_secs")) {
			parse_num(key, val, 1, 86400, &cfg.stream_secs);
		} else {
			say("# ignoring unknown parameter mtty.%s=%s", key, val);
		}
	}
}

/* --------------------------------------------------------------- kernel log */

static char *klog_read(void)
{
	int size = klogctl(SYSLOG_SIZE_BUFFER, NULL, 0);
	char *buf;
	int n;

	if (size <= 0) {
		say("# klogctl(SYSLOG_ACTION_SIZE_BUFFER): %s",
		    size < 0 ? strerror(errno) : "size 0");
		size = 1 << 20;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		say("# malloc(%d) for the kernel log failed", size + 1);
		return NULL;
	}
	n = klogctl(SYSLOG_READ_ALL, buf, size);
	if (n < 0) {
		say("# klogctl(SYSLOG_ACTION_READ_ALL): %s", strerror(errno));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Calls fn(line, arg) for each line of log (line is a NUL-terminated copy). */
static void klog_foreach(const char *log, void (*fn)(const char *, void *),
			 void *arg)
{
	char line[1024];

	while (log && *log) {
		const char *eol = strchr(log, '\n');
		size_t len = eol ? (size_t)(eol - log) : strlen(log);

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, log, len);
		line[len] = '\0';
		fn(line, arg);
		if (!eol)
			break;
		log = eol + 1;
	}
}

struct klog_port {
	const char *bdf;
	unsigned long io;
	int found;
	int is_16550a;
	char name[32];
	char line[1024];
};

static void klog_port_line(const char *line, void *arg)
{
	struct klog_port *kp = arg;
	size_t blen = strlen(kp->bdf);
	const char *p = line;
	char name[32];
	unsigned long io;

	while ((p = strstr(p, kp->bdf))) {
		const char *q = p + blen;

		p += blen;
		if (q[0] != ':' || q[1] != ' ')
			continue;
		if (sscanf(q + 2, "%31s at I/O 0x%lx", name, &io) != 2)
			continue;
		if (io != kp->io)
			continue;
		/* keep the last registration of this address */
		kp->found = 1;
		kp->is_16550a = strstr(q, " is a 16550A") != NULL;
		scopy(kp->name, sizeof(kp->name), name);
		scopy(kp->line, sizeof(kp->line), line);
		break;
	}
}

static const char *const bad_patterns[] = {
	"WARNING:", "BUG:", "Oops", "Call Trace", "general protection",
	"refcount_t", "lockdep", "nobody cared", "Disabling IRQ",
	"too much work for irq",
};

struct klog_bad {
	int hits;
};

static void klog_bad_line(const char *line, void *arg)
{
	struct klog_bad *kb = arg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_patterns); i++) {
		if (strstr(line, bad_patterns[i])) {
			if (kb->hits < 60)
				say("# klog: %s", line);
			kb->hits++;
			return;
		}
	}
}

static void check_klog_clean(void)
{
	char *log = klog_read();
	struct klog_bad kb = { 0 };

	if (!log) {
		result(0, "kernel log readable for the WARNING/BUG/Oops scan");
		return;
	}
	klog_foreach(log, klog_bad_line, &kb);
	result(kb.hits == 0,
	       "kernel log has no WARNING:/BUG:/Oops/Call Trace/general protection/refcount_t/lockdep/nobody cared/Disabling IRQ/too much work for irq (%d matching lines)",
	       kb.hits);
	free(log);
}

/* ------------------------------------------------------------- PCI checks */

struct barport {
	char bdf[64];
	int bar;
	unsigned long io;
};

struct ttyport {
	char name[32];
	char bdf[64];
	int line;
	unsigned long io;
	int fd;
};

static struct barport barports[MAX_PORTS];
static int n_barports;
static struct ttyport ttys[MAX_PORTS];
static int n_ttys;

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int scan_pci(char (*bdfs)[64], int max)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int n = 0;

	if (!d) {
		say("# opendir /sys/bus/pci/devices: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		unsigned long ven, dev;
		int r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		r = read_ulong_file(path, &ven);
		if (!r) {
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/device", de->d_name);
			r = read_ulong_file(path, &dev);
		}
		if (r) {
			say("# %s: %s", path, strerror(-r));
			continue;
		}
		say("# pci %s %04lx:%04lx", de->d_name, ven, dev);
		if (ven != cfg.vendor || dev != cfg.device)
			continue;
		if (n < max)
			scopy(bdfs[n++], 64, de->d_name);
		else
			say("# more than %d matching devices; ignoring %s",
			    max, de->d_name);
	}
	closedir(d);
	qsort(bdfs, (size_t)n, 64, cmp_str);
	return n;
}

static void hexdump(const char *bdf, const unsigned char *c, size_t n)
{
	size_t off, i;

	say("# %s config space (%zu bytes, lspci -xxx style):", bdf, n);
	for (off = 0; off < n; off += 16) {
		char line[80];
		int pos = snprintf(line, sizeof(line), "%02zx:", off);

		for (i = off; i < off + 16 && i < n; i++)
			pos += snprintf(line + pos, sizeof(line) - (size_t)pos,
					" %02x", c[i]);
		say("# %s", line);
	}
}

/* Reads line `bar` of the sysfs resource file: start, end, flags. */
static int read_resource(const char *bdf, int bar, unsigned long long *start,
			 unsigned long long *end, unsigned long long *flags)
{
	char path[PATH_MAX], buf[2048], *p;
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = buf;
	for (i = 0; i < bar && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llx %llx %llx", start, end, flags) != 3)
		return -EINVAL;
	return 0;
}

static int all_zero(const unsigned char *c, int from, int to)
{
	int i;

	for (i = from; i <= to; i++)
		if (c[i])
			return 0;
	return 1;
}

/* a tty-backed device (mtty.peer=BDF): its ports talk to host ttys */
static int is_peer(const char *bdf)
{
	return cfg.peer[0] && !strcmp(bdf, cfg.peer);
}

static long dev_ports(const char *bdf)
{
	return is_peer(bdf) ? cfg.peer_ports : cfg.ports;
}

static void check_config(const char *bdf)
{
	char path[PATH_MAX];
	unsigned char c[4096];
	ssize_t n = 0;
	unsigned int v;
	int fd, bar, nonzero = 0;

	memset(c, 0, sizeof(c));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		result(0, "%s open config: %s", bdf, strerror(errno));
		return;
	}
	n = pread(fd, c, sizeof(c), 0);
	if (n < 0) {
		result(0, "%s read config: %s", bdf, strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	result(n == 256, "%s config space readable (%zd bytes, expected 256)",
	       bdf, n);
	if (n < 64) {
		result(0, "%s config header too short to check (%zd bytes)",
		       bdf, n);
		return;
	}
	hexdump(bdf, c, (size_t)n);

	result(cfg16(c, 0) == SEED_VENDOR && cfg16(c, 2) == SEED_DEVICE,
	       "%s vendor:device %04x:%04x (seed %04x:%04x)", bdf,
	       cfg16(c, 0), cfg16(c, 2), SEED_VENDOR, SEED_DEVICE);
	v = cfg16(c, 4);
	result(v & 1, "%s command 0x%04x has I/O space enabled (bit 0)",
	       bdf, v);
	result(v == SEED_COMMAND, "%s command 0x%04x equals seed value 0x%04x",
	       bdf, v, SEED_COMMAND);
	v = cfg16(c, 6);
	result(v == SEED_STATUS, "%s status 0x%04x (seed 0x%04x)", bdf, v,
	       SEED_STATUS);
	result(cfg8(c, 8) == SEED_REV, "%s revision 0x%02x (seed 0x%02x)",
	       bdf, cfg8(c, 8), SEED_REV);
	result(cfg8(c, 9) == 0x02 && cfg8(c, 10) == 0x00 && cfg8(c, 11) == 0x07,
	       "%s class bytes 09-0b %02x %02x %02x (seed 02 00 07: serial 16550)",
	       bdf, cfg8(c, 9), cfg8(c, 10), cfg8(c, 11));
	result(cfg8(c, 0x0e) == 0, "%s header type 0x%02x (seed 0x00)", bdf,
	       cfg8(c, 0x0e));
	result(cfg8(c, 0x0c) == 0 && cfg8(c, 0x0d) == 0 && cfg8(c, 0x0f) == 0,
	       "%s cache line 0x%02x, latency 0x%02x, BIST 0x%02x (seed all 0)",
	       bdf, cfg8(c, 0x0c), cfg8(c, 0x0d), cfg8(c, 0x0f));

	for (bar = 0; bar < 6; bar++)
		if (cfg32(c, 0x10 + 4 * bar))
			nonzero++;
	result(nonzero == dev_ports(bdf),
	       "%s has %d non-zero BARs (expected %s=%ld)", bdf, nonzero,
	       is_peer(bdf) ? "mtty.peer_ports" : "mtty.ports",
	       dev_ports(bdf));

	for (bar = 0; bar < 6; bar++) {
		uint32_t b = cfg32(c, 0x10 + 4 * bar);
		unsigned long io = b & ~3UL;
		unsigned long long rs, re, rf;
		int r;

		if (bar >= dev_ports(bdf)) {
			result(b == 0, "%s BAR%d 0x%08x is unused (0)", bdf,
			       bar, b);
			continue;
		}
		if (!result((b & 3) == 1 && io != 0,
			    "%s BAR%d 0x%08x is an I/O BAR at 0x%lx", bdf, bar,
			    b, io))
			continue;
		r = read_resource(bdf, bar, &rs, &re, &rf);
		if (r) {
			result(0, "%s BAR%d sysfs resource: %s", bdf, bar,
			       strerror(-r));
		} else {
			result(rs == io && re - rs + 1 == 8 && (rf & 0x100),
			       "%s BAR%d kernel resource 0x%llx-0x%llx flags 0x%llx matches (I/O, size 8)",
			       bdf, bar, rs, re, rf);
		}
		if (n_barports < MAX_PORTS) {
			struct barport *bp = &barports[n_barports++];

			scopy(bp->bdf, sizeof(bp->bdf), bdf);
			bp->bar = bar;
			bp->io = io;
		}
	}
	result(cfg16(c, 0x2c) == SEED_VENDOR && cfg16(c, 0x2e) == SEED_DEVICE,
	       "%s subsystem %04x:%04x (seed %04x:%04x)", bdf,
	       cfg16(c, 0x2c), cfg16(c, 0x2e), SEED_VENDOR, SEED_DEVICE);
	result(cfg8(c, 0x34) == 0, "%s capability pointer 0x%02x (seed 0)",
	       bdf, cfg8(c, 0x34));
	result(cfg8(c, 0x3d) == 0x01, "%s interrupt pin 0x%02x (seed 0x01, INTA)",
	       bdf, cfg8(c, 0x3d));
	say("# %s interrupt line %u", bdf, cfg8(c, 0x3c));
	result(all_zero(c, 0x28, 0x2b) && all_zero(c, 0x30, 0x33) &&
	       all_zero(c, 0x35, 0x3b) && all_zero(c, 0x3e, 0x3f),
	       "%s CardBus CIS, ROM BAR, reserved, min_gnt/max_lat are 0",
	       bdf);
}

/* -------------------------------------------------- tty <-> BAR mapping */

/*
 * PCI function a tty belongs to: the last path component of the resolved
 * /sys/class/tty/<tty>/device that looks like a PCI address dddd:bb:dd.f
 * (6.1 links straight to the PCI device; 6.12 links to a serial-base port
 * device "<bdf>:0.0" below it). Returns 0 or -errno.
 */
static int tty_pci_dev(const char *tty, char *out, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX], *comp, *save = NULL;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/class/tty/%s/device", tty);
	if (!realpath(path, real))
		return -errno;
	for (comp = strtok_r(real, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		unsigned int dom, bus, dev, fn;
		char tail;

		if (strlen(comp) == 12 &&
		    sscanf(comp, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn,
			   &tail) == 4) {
			scopy(out, size, comp);
			found = 1;
		}
	}
	return found ? 0 : -ENODEV;
}

/* Fills ttys[] with every /sys/class/tty entry whose device is bdf. */
static void collect_ttys(const char *bdf)
{
	DIR *d = opendir("/sys/class/tty");
	struct dirent *de;
	int found = 0;

	if (!d) {
		result(0, "opendir /sys/class/tty: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX], pdev[64];
		unsigned long io = 0;
		int r;

		if (strncmp(de->d_name, "ttyS", 4))
			continue;
		if (tty_pci_dev(de->d_name, pdev, sizeof(pdev)) ||
		    strcmp(pdev, bdf))
			continue;	/* not on a PCI device / not ours */
		snprintf(path, sizeof(path), "/sys/class/tty/%s/port",
			 de->d_name);
		r = read_ulong_file(path, &io);
		if (r)
			say("# %s: %s", path, strerror(-r));
		if (n_ttys >= MAX_PORTS)
			break;
		scopy(ttys[n_ttys].name, sizeof(ttys[n_ttys].name), de->d_name);
		scopy(ttys[n_ttys].bdf, sizeof(ttys[n_ttys].bdf), bdf);
		ttys[n_ttys].line = atoi(de->d_name + 4);
		ttys[n_ttys].io = io;
		ttys[n_ttys].fd = -1;
		say("# %s: %s (sysfs port 0x%lx)", bdf, de->d_name, io);
		n_ttys++;
		found++;
	}
	closedir(d);
	result(found == dev_ports(bdf),
	       "%s has %d ttyS ports in /sys/class/tty (expected %ld)", bdf,
	       found, dev_ports(bdf));
}

static int cmp_tty(const void *a, const void *b)
{
	const struct ttyport *x = a, *y = b;
	int r = strcmp(x->bdf, y->bdf);

	return r ? r : x->line - y->line;
}

static void check_bar_ttys(void)
{
	char *log = klog_read();
	int i;

	if (!log)
		result(0, "kernel log readable (klogctl SYSLOG_ACTION_READ_ALL)");
	for (i = 0; i < n_barports; i++) {
		struct barport *bp = &barports[i];
		struct klog_port kp;
		char path[PATH_MAX], pdev[64];
		unsigned long io = 0;
		int r;

		memset(&kp, 0, sizeof(kp));
		kp.bdf = bp->bdf;
		kp.io = bp->io;
		klog_foreach(log, klog_port_line, &kp);
		if (kp.found)
			say("# klog: %s", kp.line);
		if (!result(kp.found && kp.is_16550a,
			    "%s BAR%d: kernel log has \"%s: %s at I/O 0x%lx ... is a 16550A\"",
			    bp->bdf, bp->bar, bp->bdf,
			    kp.found ? kp.name : "ttyS?", bp->io))
			continue;
		if (cfg.ttybase >= 0) {
			char want[32];

			snprintf(want, sizeof(want), "ttyS%ld",
				 cfg.ttybase + i);
			result(!strcmp(kp.name, want),
			       "%s BAR%d is %s (expected %s)", bp->bdf, bp->bar,
			       kp.name, want);
		}
		r = tty_pci_dev(kp.name, pdev, sizeof(pdev));
		if (r) {
			result(0, "%s sysfs device link to a PCI device: %s",
			       kp.name, strerror(-r));
			continue;
		}
		snprintf(path, sizeof(path), "/sys/class/tty/%s/port", kp.name);
		r = read_ulong_file(path, &io);
		result(!strcmp(pdev, bp->bdf) && !r && io == bp->io,
		       "%s sysfs: device %s, port 0x%lx (expected %s, 0x%lx)",
		       kp.name, pdev, r ? 0UL : io, bp->bdf, bp->io);
	}
	free(log);
}

/* --------------------------------------------------------------- loopback */

struct lb {
	struct ttyport *tp;
	unsigned char *tx;
	unsigned char *want;	/* peer: what must arrive (else tx) */
	int peer;		/* exchange with a host tty, not a loopback */
	size_t n;
	uint32_t seed;
	double t_start, t_done, deadline;
	int stop;		/* __atomic */
	/* writer */
	size_t wrote;
	int werr;
	const char *wwhat;
	/* reader */
	size_t got, nbad, first_bad, extra;
	int rerr;
	const char *rwhat;
	int timed_out, idle_out;
	pthread_t wt, rt;
	int have_wt, have_rt;
};

static int stopped(struct lb *l)
{
	return __atomic_load_n(&l->stop, __ATOMIC_SEQ_CST);
}

static size_t next_chunk(uint32_t *rs)
{
	uint32_t r = xorshift32(rs);

	/* mix of tiny and large writes */
	if (r & 0x80000000u)
		return 1 + (r >> 8) % 32;
	return 1 + (r >> 8) % 4096;
}

static void writer_fail(struct lb *l, int err, const char *what)
{
	l->wwhat = what;
	__atomic_store_n(&l->werr, err, __ATOMIC_SEQ_CST);
}

static void *writer(void *arg)
{
	struct lb *l = arg;
	uint32_t rs = l->seed ^ 0x9e3779b9u;
	size_t off = 0, want = 0;

	while (off < l->n && !stopped(l)) {
		struct pollfd p = { .fd = l->tp->fd, .events = POLLOUT };
		size_t len;
		ssize_t w;
		int r;

		if (now() >= l->deadline) {
			writer_fail(l, ETIMEDOUT, "timeout");
			break;
		}
		r = poll(&p, 1, ms_left(l->deadline, 500));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			writer_fail(l, errno, "poll");
			break;
		}
		if (r == 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			writer_fail(l, EIO, "poll revents ERR/HUP/NVAL");
			break;
		}
		if (!want)
			want = next_chunk(&rs);
		len = want < l->n - off ? want : l->n - off;
		w = write(l->tp->fd, l->tx + off, len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			writer_fail(l, errno, "write");
			break;
		}
		off += (size_t)w;
		want = (size_t)w >= want ? 0 : want - (size_t)w;
		__atomic_store_n(&l->wrote, off, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct lb *l = arg;
	const unsigned char *want_rx = l->want ? l->want : l->tx;
	unsigned char buf[4096];
	double last = now();

	while (l->got < l->n) {
		struct pollfd p = { .fd = l->tp->fd, .events = POLLIN };
		size_t want;
		ssize_t r, i;
		double t = now();
		int pr;

		if (t >= l->deadline) {
			l->timed_out = 1;
			break;
		}
		if (t - last >= (double)cfg.idle) {
			l->idle_out = 1;
			break;
		}
		if (__atomic_load_n(&l->werr, __ATOMIC_SEQ_CST))
			break;	/* writer gave up; nothing more will come */
		pr = poll(&p, 1, ms_left(l->deadline, 500));
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			l->rerr = errno;
			l->rwhat = "poll";
			break;
		}
		if (pr == 0)
			continue;
		if (p.revents & (POLLERR | POLLNVAL)) {
			l->rerr = EIO;
			l->rwhat = "poll revents ERR/NVAL";
			break;
		}
		want = l->n - l->got;
		if (want > sizeof(buf))
			want = sizeof(buf);
		r = read(l->tp->fd, buf, want);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			l->rerr = errno;
			l->rwhat = "read";
			break;
		}
		if (r == 0) {
			l->rerr = EPIPE;
			l->rwhat = "read returned EOF";
			break;
		}
		for (i = 0; i < r; i++) {
			if (buf[i] != want_rx[l->got + (size_t)i]) {
				if (!l->nbad)
					l->first_bad = l->got + (size_t)i;
				l->nbad++;
			}
		}
		l->got += (size_t)r;
		last = now();
	}
	l->t_done = now();
	if (l->got == l->n) {
		/* nothing beyond what was written may arrive */
		l->extra += read_extra(l->tp->fd, buf, sizeof(buf));
	}
	/*
	 * A loopback has everything back once the writer is done; a peer's
	 * reader can be done first, and its writer must go on to the end.
	 */
	if (!l->peer || l->got != l->n)
		__atomic_store_n(&l->stop, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int open_port(struct ttyport *tp)
{
	char path[PATH_MAX];
	const char *what;
	struct termios t;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", tp->name);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		result(0, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (rawtty_set(fd, 1, &what) < 0) {
		result(0, "set raw mode on %s: %s: %s", path, what,
		       strerror(errno));
		close(fd);
		return -1;
	}
	memset(&t, 0, sizeof(t));
	if (tcgetattr(fd, &t) < 0) {
		result(0, "tcgetattr %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!result(!(t.c_cflag & CRTSCTS) && (t.c_cflag & CLOCAL) &&
		    (t.c_cflag & CREAD) && !(t.c_lflag & (ECHO | ICANON)) &&
		    !(t.c_iflag & (IXON | IXOFF)) &&
		    cfgetospeed(&t) == B115200 && cfgetispeed(&t) == B115200,
		    "%s opened, raw -echo -crtscts clocal 115200", path)) {
		close(fd);
		return -1;
	}
	tp->fd = fd;
	return fd;
}

/*
 * Flushes the tty buffers and discards anything still arriving from the
 * device (left over from an earlier failed run) until it is quiet for
 * 300 ms, at most 5 s.
 */
static void drain_port(struct ttyport *tp)
{
	unsigned char buf[4096];
	double end = now() + 5.0;
	size_t stale = 0;

	if (tcflush(tp->fd, TCIOFLUSH) < 0)
		say("# tcflush %s: %s", tp->name, strerror(errno));
	while (now() < end) {
		struct pollfd p = { .fd = tp->fd, .events = POLLIN };
		int r = poll(&p, 1, ms_left(end, 300));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(tp->fd, buf, sizeof(buf));
		if (n > 0)
			stale += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	if (stale)
		say("# %s: discarded %zu stale bytes before the run", tp->name,
		    stale);
}

static void run_loopback(struct lb *ls, int n, const char *phase)
{
	int i;

	set_watchdog(phase, cfg.timeout + cfg.idle + 120);
	for (i = 0; i < n; i++) {
		struct lb *l = &ls[i];
		uint32_t rs = l->seed ? l->seed : 1;
		size_t k;

		l->n = cfg.bytes;
		l->tx = malloc(l->n);
		if (!l->tx) {
			result(0, "%s: malloc(%zu) failed", l->tp->name, l->n);
			l->stop = 1;
			continue;
		}
		if (l->peer) {
			l->want = malloc(l->n);
			if (!l->want) {
				result(0, "%s: malloc(%zu) failed", l->tp->name,
				       l->n);
				free(l->tx);
				l->tx = NULL;
				l->stop = 1;
				continue;
			}
			for (k = 0; k < l->n; k++) {
				l->tx[k] = peer_g2h(k);
				l->want[k] = peer_h2g(k);
			}
		} else {
			for (k = 0; k < l->n; k++)
				l->tx[k] = (unsigned char)(xorshift32(&rs) >> 24);
		}
		drain_port(l->tp);
	}
	for (i = 0; i < n; i++) {
		struct lb *l = &ls[i];
		int e;

		if (!l->tx)
			continue;
		l->t_start = now();
		l->deadline = l->t_start + (double)cfg.timeout;
		e = pthread_create(&l->rt, NULL, reader, l);
		if (e) {
			result(0, "%s: pthread_create(reader): %s",
			       l->tp->name, strerror(e));
			continue;
		}
		l->have_rt = 1;
		e = pthread_create(&l->wt, NULL, writer, l);
		if (e) {
			result(0, "%s: pthread_create(writer): %s",
			       l->tp->name, strerror(e));
			__atomic_store_n(&l->stop, 1, __ATOMIC_SEQ_CST);
			l->werr = e;
			l->wwhat = "pthread_create";
			continue;
		}
		l->have_wt = 1;
	}
	for (i = 0; i < n; i++) {
		struct lb *l = &ls[i];
		const char *kind = l->peer ?
			"exchange with the host tty, each way," : "loopback";
		double dt;
		int good;

		if (l->have_rt)
			pthread_join(l->rt, NULL);
		/* a peer's writer that is still sending finishes (or times out) */
		if (!l->peer || l->got != l->n || !l->have_rt)
			__atomic_store_n(&l->stop, 1, __ATOMIC_SEQ_CST);
		if (l->have_wt)
			pthread_join(l->wt, NULL);
		if (!l->have_rt || !l->have_wt)
			goto out;
		dt = l->t_done - l->t_start;
		say("# %s %s: wrote %zu, received %zu of %zu bytes in %.3f s (%.0f bytes/s)",
		    phase, l->tp->name, l->wrote, l->got, l->n, dt,
		    dt > 0 ? (double)l->got / dt : 0.0);
		good = l->got == l->n && l->wrote == l->n && l->nbad == 0 &&
		       l->extra == 0 && !l->rerr && !l->werr;
		if (good) {
			result(1, "%s %s %s %zu bytes byte-identical",
			       phase, l->tp->name, kind, l->n);
		} else {
			char why[512];
			int p = 0;

			p += snprintf(why + p, sizeof(why) - (size_t)p,
				      "wrote %zu, received %zu of %zu", l->wrote,
				      l->got, l->n);
			if (l->nbad)
				p += snprintf(why + p, sizeof(why) - (size_t)p,
					      ", %zu mismatching bytes, first at offset %zu",
					      l->nbad, l->first_bad);
			if (l->extra)
				p += snprintf(why + p, sizeof(why) - (size_t)p,
					      ", %zu unexpected extra bytes",
					      l->extra);
			if (l->timed_out)
				p += snprintf(why + p, sizeof(why) - (size_t)p,
					      ", timeout after %ld s",
					      cfg.timeout);
			if (l->idle_out)
				p += snprintf(why + p, sizeof(why) - (size_t)p,
					      ", nothing received for %ld s",
					      cfg.idle);
			if (l->rerr)
				p += snprintf(why + p, sizeof(why) - (size_t)p,
					      ", reader %s: %s", l->rwhat,
					      strerror(l->rerr));
			if (l->werr)
				snprintf(why + p, sizeof(why) - (size_t)p,
					 ", writer %s: %s (wrote %zu)",
					 l->wwhat, strerror(l->werr),
					 l->wrote);
			result(0, "%s %s %s %zu bytes: %s", phase,
			       l->tp->name, kind, l->n, why);
		}
out:
		free(l->tx);
		l->tx = NULL;
		free(l->want);
		l->want = NULL;
	}
}

static void check_overruns(struct ttyport *tp)
{
	struct serial_icounter_struct ic;
	char buf[8192], want[16], *p, *eol, line[512] = "";
	unsigned long oe = 0, bo = 0;
	ssize_t n;
	int ic_ok, proc_ok = 0;
	const char *s;

	memset(&ic, 0, sizeof(ic));
	ic_ok = ioctl(tp->fd, TIOCGICOUNT, &ic) == 0;
	if (ic_ok)
		say("# %s icount: tx %d rx %d frame %d parity %d overrun %d buf_overrun %d brk %d",
		    tp->name, ic.tx, ic.rx, ic.frame, ic.parity, ic.overrun,
		    ic.buf_overrun, ic.brk);
	else
		say("# %s TIOCGICOUNT: %s", tp->name, strerror(errno));

	n = read_file("/proc/tty/driver/serial", buf, sizeof(buf));
	if (n < 0) {
		say("# /proc/tty/driver/serial: %s", strerror((int)-n));
	} else {
		snprintf(want, sizeof(want), "%d:", tp->line);
		for (p = buf; p && *p; p = eol ? eol + 1 : NULL) {
			eol = strchr(p, '\n');
			if (eol)
				*eol = '\0';
			if (!strncmp(p, want, strlen(want))) {
				scopy(line, sizeof(line), p);
				proc_ok = 1;
				break;
			}
		}
		if (proc_ok) {
			say("# /proc/tty/driver/serial: %s", line);
			s = strstr(line, " oe:");
			if (s)
				oe = strtoul(s + 4, NULL, 10);
			s = strstr(line, " bo:");
			if (s)
				bo = strtoul(s + 4, NULL, 10);
		} else {
			say("# no line %s in /proc/tty/driver/serial", want);
		}
	}
	result(ic_ok && proc_ok && ic.overrun == 0 && ic.buf_overrun == 0 &&
	       oe == 0 && bo == 0,
	       "%s no overruns (icount overrun %d buf_overrun %d%s; /proc oe %lu bo %lu%s)",
	       tp->name, ic.overrun, ic.buf_overrun,
	       ic_ok ? "" : " [TIOCGICOUNT failed]", oe, bo,
	       proc_ok ? "" : " [line missing]");
}

/*
 * Interrupts the guest took on @irq so far (all CPUs, /proc/interrupts),
 * -1 if it has no line there.  For the counting smoke of 60-nested
 * (issue 15): "# L2 COUNT irq=N interrupts=M".
 */
static long long irq_total(int irq)
{
	static char buf[65536];
	char *p, *eol, *q, *end;
	long long sum = -1;
	ssize_t n = read_file("/proc/interrupts", buf, sizeof(buf));

	if (n < 0 || irq <= 0)
		return -1;
	for (p = buf; p && *p; p = eol ? eol + 1 : NULL) {
		eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		if (strtol(p, &q, 10) != irq || q == p || *q != ':')
			continue;
		sum = 0;
		for (q++;; q = end) {
			long long v = strtoll(q, &end, 10);

			if (end == q)
				break;
			sum += v;
		}
		break;
	}
	return sum;
}

static void loopback_tests(void)
{
	struct lb ls[MAX_PORTS];
	struct ttyport *open_ports[MAX_PORTS];
	int i, n = 0, irqs[MAX_PORTS];

	if (!n_ttys) {
		result(0, "no ttyS ports found for loopback");
		return;
	}
	qsort(ttys, (size_t)n_ttys, sizeof(ttys[0]), cmp_tty);
	for (i = 0; i < n_ttys; i++)
		if (!is_peer(ttys[i].bdf) && open_port(&ttys[i]) >= 0)
			open_ports[n++] = &ttys[i];

	for (i = 0; i < n; i++) {
		memset(&ls[0], 0, sizeof(ls[0]));
		ls[0].tp = open_ports[i];
		ls[0].seed = 0x1000u + (uint32_t)open_ports[i]->line;
		run_loopback(&ls[0], 1, "single");
	}
	if (n >= 2) {
		memset(ls, 0, sizeof(ls));
		for (i = 0; i < n; i++) {
			ls[i].tp = open_ports[i];
			/* distinct patterns per port: cross-talk is detected */
			ls[i].seed = 0x51ed2700u + 7919u * (uint32_t)i;
		}
		run_loopback(ls, n, "concurrent");
	}
	set_watchdog("overrun check", 120);
	for (i = 0; i < n; i++) {
		struct serial_struct ss;

		memset(&ss, 0, sizeof(ss));
		irqs[i] = ioctl(open_ports[i]->fd, TIOCGSERIAL, &ss) == 0 ? ss.irq : -1;
		check_overruns(open_ports[i]);
		if (tcflush(open_ports[i]->fd, TCIOFLUSH) < 0)
			say("# tcflush %s: %s", open_ports[i]->name,
			    strerror(errno));
		if (close(open_ports[i]->fd) < 0)
			say("# close %s: %s", open_ports[i]->name,
			    strerror(errno));
		open_ports[i]->fd = -1;
	}
	for (i = 0; i < n; i++) {
		int j, dup = 0;

		for (j = 0; j < i; j++)
			dup |= irqs[j] == irqs[i];
		if (!dup)
			say("# L2 COUNT irq=%d interrupts=%lld", irqs[i],
			    irq_total(irqs[i]));
	}
}

/*
 * The ports of the tty-backed device (mtty.peer=BDF), all at once: each
 * writes peer_g2h() and checks that peer_h2g() arrives, which the L1
 * program on the port's host tty sends once it saw the guest's first
 * byte (so nothing it sends can meet a port that is not open yet).
 */
static void peer_tests(void)
{
	struct lb ls[MAX_PORTS];
	struct ttyport *open_ports[MAX_PORTS];
	int i, n = 0, found = 0;

	if (!cfg.peer[0])
		return;
	for (i = 0; i < n_ttys; i++) {
		if (!is_peer(ttys[i].bdf))
			continue;
		found++;
		if (open_port(&ttys[i]) >= 0)
			open_ports[n++] = &ttys[i];
	}
	if (!result(found > 0, "peer device %s has ttyS ports for the host tty exchange (%d)",
		    cfg.peer, found))
		return;
	memset(ls, 0, sizeof(ls));
	for (i = 0; i < n; i++) {
		ls[i].tp = open_ports[i];
		ls[i].peer = 1;
	}
	if (n)
		run_loopback(ls, n, "peer");
	set_watchdog("overrun check", 120);
	for (i = 0; i < n; i++) {
		check_overruns(open_ports[i]);
		if (close(open_ports[i]->fd) < 0)
			say("# close %s: %s", open_ports[i]->name,
			    strerror(errno));
		open_ports[i]->fd = -1;
	}
}

/* ---------------------------------------------------------------- stream */

/*
 * Stream mode: every port carries an endless position-dependent sequence,
 * byte i = (i * 7 + i / 251 + salt) & 0xff (salt per port, so cross-talk
 * shows), for cfg.stream_secs seconds.  The reader checks each byte
 * against its position: a lost or duplicated byte shifts everything after
 * it and shows as mismatches, as does an altered one.
 */
struct stream {
	struct ttyport *tp;
	unsigned int salt;
	int stop;		/* __atomic: writer stops */
	int wdone;		/* __atomic: writer returned, wrote is final */
	size_t wrote;		/* __atomic */
	size_t got;		/* __atomic */
	size_t nbad;		/* __atomic */
	size_t first_bad, extra;
	int werr, rerr, idle_out;
	const char *wwhat, *rwhat;
	pthread_t wt, rt;
	int have_wt, have_rt;
};

static unsigned char stream_byte(size_t i, unsigned int salt)
{
	return (unsigned char)((i * 7 + i / 251 + salt) & 0xff);
}

static void *stream_writer(void *arg)
{
	struct stream *st = arg;
	unsigned char buf[4096];
	uint32_t rs = 0x2545f491u ^ st->salt;
	size_t off = 0;

	while (!__atomic_load_n(&st->stop, __ATOMIC_SEQ_CST)) {
		struct pollfd p = { .fd = st->tp->fd, .events = POLLOUT };
		size_t len = next_chunk(&rs), k;
		ssize_t w;
		int r;

		r = poll(&p, 1, 500);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st->wwhat = "poll";
			st->werr = errno;
			break;
		}
		if (r == 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			st->wwhat = "poll revents ERR/HUP/NVAL";
			st->werr = EIO;
			break;
		}
		if (len > sizeof(buf))
			len = sizeof(buf);
		for (k = 0; k < len; k++)
			buf[k] = stream_byte(off + k, st->salt);
		w = write(st->tp->fd, buf, len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			st->wwhat = "write";
			st->werr = errno;
			break;
		}
		off += (size_t)w;
		__atomic_store_n(&st->wrote, off, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st->wdone, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Reads and checks until the writer has stopped and everything it wrote
 * arrived, then waits 1 s for bytes beyond that (duplicates at the end).
 * Idleness is counted in empty 500 ms polls, not in guest clock time,
 * which may jump when the guest resumes after a migration.
 */
static void *stream_reader(void *arg)
{
	struct stream *st = arg;
	unsigned char buf[4096];
	long empty = 0;
	size_t got = 0, nbad = 0;

	for (;;) {
		struct pollfd p = { .fd = st->tp->fd, .events = POLLIN };
		ssize_t r, i;
		int pr;

		/* not just "stop": a write() may still be under way */
		if (__atomic_load_n(&st->wdone, __ATOMIC_SEQ_CST) &&
		    got >= __atomic_load_n(&st->wrote, __ATOMIC_SEQ_CST))
			break;
		if (empty >= cfg.idle * 2) {
			st->idle_out = 1;
			break;
		}
		pr = poll(&p, 1, 500);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			st->rwhat = "poll";
			st->rerr = errno;
			break;
		}
		if (pr == 0) {
			empty++;
			continue;
		}
		if (p.revents & (POLLERR | POLLNVAL)) {
			st->rwhat = "poll revents ERR/NVAL";
			st->rerr = EIO;
			break;
		}
		r = read(st->tp->fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			st->rwhat = "read";
			st->rerr = errno;
			break;
		}
		if (r == 0) {
			st->rwhat = "read returned EOF";
			st->rerr = EPIPE;
			break;
		}
		empty = 0;
		for (i = 0; i < r; i++) {
			if (buf[i] != stream_byte(got + (size_t)i, st->salt)) {
				if (!nbad)
					st->first_bad = got + (size_t)i;
				nbad++;
			}
		}
		got += (size_t)r;
		__atomic_store_n(&st->got, got, __ATOMIC_SEQ_CST);
		__atomic_store_n(&st->nbad, nbad, __ATOMIC_SEQ_CST);
	}
	if (!st->rerr && !st->idle_out) {
		st->extra += read_extra(st->tp->fd, buf, sizeof(buf));
	}
	/* a reader that gave up stops its writer too */
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void stream_progress(struct stream *sts, int n, double t0)
{
	char detail[1024];
	size_t rx = 0, bad = 0;
	int i, p = 0;

	detail[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t g = __atomic_load_n(&sts[i].got, __ATOMIC_SEQ_CST);
		size_t b = __atomic_load_n(&sts[i].nbad, __ATOMIC_SEQ_CST);
		size_t w = __atomic_load_n(&sts[i].wrote, __ATOMIC_SEQ_CST);

		rx += g;
		bad += b;
		if (p < (int)sizeof(detail))
			p += snprintf(detail + p, sizeof(detail) - (size_t)p,
				      "%s%s tx %zu rx %zu bad %zu",
				      i ? "; " : "", sts[i].tp->name, w, g, b);
	}
	say("# stream progress t=%.0f rx=%zu bad=%zu (%s)", now() - t0, rx,
	    bad, detail);
}

static void stream_tests(void)
{
	struct stream sts[MAX_PORTS];
	size_t tx_all = 0, rx_all = 0, bad_all = 0, extra_all = 0;
	double t0, next;
	int i, n = 0, e, all_good = 1;

	if (!n_ttys) {
		result(0, "no ttyS ports found for the stream");
		return;
	}
	qsort(ttys, (size_t)n_ttys, sizeof(ttys[0]), cmp_tty);
	memset(sts, 0, sizeof(sts));
	for (i = 0; i < n_ttys; i++) {
		if (open_port(&ttys[i]) < 0)
			continue;
		drain_port(&ttys[i]);
		sts[n].tp = &ttys[i];
		sts[n].salt = 0x5au * (unsigned int)(n + 1);
		n++;
	}
	/* the streams, the drain and 2 minutes for the result */
	set_watchdog("stream", cfg.stream_secs + cfg.idle + 180);
	say("# stream: %d port(s) for %ld s, byte i = (i*7 + i/251 + salt) & 0xff",
	    n, cfg.stream_secs);
	t0 = now();
	for (i = 0; i < n; i++) {
		e = pthread_create(&sts[i].rt, NULL, stream_reader, &sts[i]);
		if (e) {
			result(0, "stream %s: pthread_create(reader): %s",
			       sts[i].tp->name, strerror(e));
			sts[i].stop = 1;
			continue;
		}
		sts[i].have_rt = 1;
		e = pthread_create(&sts[i].wt, NULL, stream_writer, &sts[i]);
		if (e) {
			result(0, "stream %s: pthread_create(writer): %s",
			       sts[i].tp->name, strerror(e));
			__atomic_store_n(&sts[i].stop, 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&sts[i].wdone, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		sts[i].have_wt = 1;
	}
	say("STREAM-START");
	next = t0 + 3.0;
	for (;;) {
		double t = now();
		int running = 0;

		for (i = 0; i < n; i++)
			running += !__atomic_load_n(&sts[i].stop, __ATOMIC_SEQ_CST);
		if (t - t0 >= (double)cfg.stream_secs || !running)
			break;
		if (t >= next) {
			stream_progress(sts, n, t0);
			next = t + 3.0;
		}
		usleep(200000);
	}
	for (i = 0; i < n; i++)
		__atomic_store_n(&sts[i].stop, 1, __ATOMIC_SEQ_CST);
	stream_progress(sts, n, t0);
	say("STREAM-STOP writers stopped at t=%.0f; draining", now() - t0);
	for (i = 0; i < n; i++) {
		struct stream *st = &sts[i];
		char why[512];
		int p = 0, good;

		if (st->have_wt)
			pthread_join(st->wt, NULL);
		if (st->have_rt)
			pthread_join(st->rt, NULL);
		if (!st->have_wt || !st->have_rt) {
			all_good = 0;
			continue;
		}
		good = st->got == st->wrote && !st->nbad && !st->extra &&
		       !st->werr && !st->rerr && !st->idle_out && st->got > 0;
		p += snprintf(why + p, sizeof(why) - (size_t)p,
			      "wrote %zu, received %zu, %zu mismatches",
			      st->wrote, st->got, st->nbad);
		if (st->nbad)
			p += snprintf(why + p, sizeof(why) - (size_t)p,
				      " (first at offset %zu)", st->first_bad);
		p += snprintf(why + p, sizeof(why) - (size_t)p,
			      ", %zu extra", st->extra);
		if (st->idle_out)
			p += snprintf(why + p, sizeof(why) - (size_t)p,
				      ", nothing received for %ld s", cfg.idle);
		if (st->rerr)
			p += snprintf(why + p, sizeof(why) - (size_t)p,
				      ", reader %s: %s", st->rwhat,
				      strerror(st->rerr));
		if (st->werr)
			snprintf(why + p, sizeof(why) - (size_t)p,
				 ", writer %s: %s", st->wwhat,
				 strerror(st->werr));
		result(good, "stream %s: %s", st->tp->name, why);
		all_good &= good;
		tx_all += st->wrote;
		rx_all += st->got;
		bad_all += st->nbad;
		extra_all += st->extra;
	}
	say("STREAM-RESULT ports=%d secs=%ld written=%zu received=%zu mismatches=%zu extra=%zu %s",
	    n, cfg.stream_secs, tx_all, rx_all, bad_all, extra_all,
	    all_good && n > 0 ? "good" : "bad");
	set_watchdog("overrun check", 120);
	for (i = 0; i < n; i++) {
		check_overruns(sts[i].tp);
		if (close(sts[i].tp->fd) < 0)
			say("# close %s: %s", sts[i].tp->name, strerror(errno));
		sts[i].tp->fd = -1;
	}
}

/* ------------------------------------------------------------------ demo */

static void run_demo(void)
{
	pid_t pid, w;
	int status = 0;

	set_watchdog("demo", cfg.timeout + 600);
	say("# demo mode: running /bin/busybox sh /demo.sh");
	pid = fork();
	if (pid < 0) {
		result(0, "fork for /demo.sh: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		char *const argv[] = { "sh", "/demo.sh", NULL };
		char *const envp[] = {
			"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/",
			"TERM=dumb", NULL,
		};

		execve("/bin/busybox", argv, envp);
		say("# execve /bin/busybox: %s", strerror(errno));
		_exit(127);
	}
	/* PID 1 also reaps orphans until demo.sh itself is done */
	for (;;) {
		w = waitpid(-1, &status, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			say("# waitpid: %s", strerror(errno));
			break;
		}
		if (w == pid)
			break;
	}
	result(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "demo.sh finished (%s %d)",
	       WIFSIGNALED(status) ? "signal" : "exit status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	char bdfs[MAX_DEVS][64];
	struct sigaction sa;
	struct utsname uts;
	int ndev, i, mounts_ok;

	if (getpid() != 1) {
		/* it mounts things and powers the machine off: PID 1 only */
		fprintf(stderr, "l2init: must run as PID 1 (/init of the L2 guest)\n");
		return 2;
	}
	setup_console();
	say("MTTY-L2-INIT-START");
	/*
	 * From here on only panics go to the console (dmesg -n 1): the guests
	 * boot with loglevel=5 so that a dying boot shows why, but kernel
	 * messages must not split the result lines this init and /demo.sh
	 * print there.
	 */
	if (klogctl(SYSLOG_CONSOLE_LEVEL, NULL, 1) < 0)
		say("# klogctl(SYSLOG_ACTION_CONSOLE_LEVEL): %s", strerror(errno));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_fired;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		say("# sigaction(SIGALRM): %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	alarm(120);		/* until the cmdline is known */

	mounts_ok = do_mount("proc", "/proc", "proc",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mounts_ok &= do_mount("sysfs", "/sys", "sysfs",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mounts_ok &= do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID,
			      "mode=0755");
	result(mounts_ok, "mounted /proc, /sys and /dev (devtmpfs)");

	parse_cmdline();
	if (uname(&uts) == 0)
		say("# L2 kernel %s", uts.release);
	say("# config: vendor 0x%04lx device 0x%04lx ports %ld bytes %lu timeout %ld s idle %ld s ttybase %ld demo %ld watchdog %ld mode %s stream_secs %ld peer %s peer_ports %ld",
	    cfg.vendor, cfg.device, cfg.ports, cfg.bytes, cfg.timeout,
	    cfg.idle, cfg.ttybase, cfg.demo, cfg.watchdog,
	    cfg.stream ? "stream" : "checks", cfg.stream_secs,
	    cfg.peer[0] ? cfg.peer : "-", cfg.peer_ports);
	if (cfg.watchdog > 0)
		alarm((unsigned int)cfg.watchdog);
	set_watchdog("pci checks", 300);

	if (cfg.demo) {
		if (access("/demo.sh", R_OK) == 0) {
			run_demo();
			finish();
		}
		result(0, "mtty.demo=1 but /demo.sh is missing: %s; running the checks",
		       strerror(errno));
	}

	ndev = scan_pci(bdfs, MAX_DEVS);
	result(ndev > 0, "found %d PCI device(s) %04lx:%04lx", ndev < 0 ? 0 : ndev,
	       cfg.vendor, cfg.device);
	for (i = 0; i < ndev; i++)
		check_config(bdfs[i]);
	set_watchdog("tty checks", 300);
	check_bar_ttys();
	for (i = 0; i < ndev; i++)
		collect_ttys(bdfs[i]);

	if (cfg.stream) {
		stream_tests();
	} else {
		loopback_tests();
		peer_tests();
	}

	set_watchdog("kernel log scan", 120);
	check_klog_clean();
	finish();
	return 0;
}
