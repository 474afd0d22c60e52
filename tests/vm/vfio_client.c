// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_client - userspace VFIO test suite for one mtty mediated device.
 *
 * Usage: vfio_client [--ports N] [--bytes B] [--irq-bytes B] [--remove] UUID
 *
 * Opens the container, the mdev's IOMMU group and the device, then checks
 * the device against the mtty device specification: device/region/irq
 * info, PCI config space, the 16550A UART registers, loopback, lossless
 * bulk transfers (polled, INTx and MSI driven), back-pressure, interrupt
 * priorities, reset and hostile input.  Output is TAP-like:
 * "ok - desc", "not ok - desc", "# comment".  Exit status 1 if any check
 * failed.  With --remove the device is removed via sysfs at the end while
 * the device fd is open, and the REQ eventfd must be signalled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

/* 16550A registers (offsets within a port's BAR region) */
#define UART_RX		0
#define UART_TX		0
#define UART_DLL	0
#define UART_IER	1
#define UART_DLM	1
#define UART_IIR	2
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IER_RLSI	0x04
#define IER_MSI		0x08

#define IIR_NO_INT	0x01
#define IIR_ID		0x0e
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_TIMEOUT	0x0c
#define IIR_FIFO_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_TRIG_1	0x00
#define FCR_TRIG_4	0x40
#define FCR_TRIG_8	0x80
#define FCR_TRIG_14	0xc0

#define LCR_WLEN8	0x03
#define LCR_SBC		0x40
#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI | 0x80)

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

#define FIFO_SIZE	16
#define BAR_SIZE	8
#define CFG_SIZE	256
#define MAX_PORTS	2

#define REGION_OFF(idx)	((uint64_t)(idx) << 40)

static int container_fd = -1, group_fd = -1, dev_fd = -1;
static int nports;
static const char *uuid;
static char tag[16];
static size_t bulk_bytes = 1024 * 1024;
static size_t irq_bytes = (size_t)-1;
static int do_remove;
static unsigned int npass, nfail;

/* ---------------------------------------------------------------- TAP */

static void comment(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void comment(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s: ", cond ? "ok" : "not ok", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (cond)
		npass++;
	else
		nfail++;
	return cond;
}

/* ok if ret == -1 with errno == want */
static int check_errno(long ret, int want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check_errno(long ret, int want, const char *fmt, ...)
{
	int err = errno;
	int good = ret == -1 && err == want;
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	check(good, "%s -> %s", desc, strerrorname_np(want) ? strerrorname_np(want) : "?");
	if (!good) {
		if (ret == -1)
			comment("  got errno %d (%s)", err, strerror(err));
		else
			comment("  got return %ld, no error", ret);
	}
	return good;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------- register access */

static unsigned int io_errors;

static void io_error(const char *what, int port, int reg, ssize_t r)
{
	io_errors++;
	if (io_errors <= 5)
		comment("I/O error: %s port %d reg %d: ret %zd (%s)", what,
			port, reg, r, r < 0 ? strerror(errno) : "short");
}

static uint8_t rd(int port, int reg)
{
	uint8_t v = 0;
	ssize_t r = pread(dev_fd, &v, 1, REGION_OFF(port) + reg);

	if (r != 1) {
		io_error("read", port, reg, r);
		return 0xff;
	}
	return v;
}

static void wr(int port, int reg, uint8_t v)
{
	ssize_t r = pwrite(dev_fd, &v, 1, REGION_OFF(port) + reg);

	if (r != 1)
		io_error("write", port, reg, r);
}

static int cfg_rd(unsigned int off, unsigned int size, uint32_t *val)
{
	uint8_t b[4] = { 0 };
	ssize_t r = pread(dev_fd, b, size,
			  REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	if (r != (ssize_t)size)
		return -1;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static uint32_t cfg(unsigned int off, unsigned int size)
{
	uint32_t v;

	if (cfg_rd(off, size, &v)) {
		io_error("config read", -1, off, -1);
		return 0xdeadbeef;
	}
	return v;
}

static int cfg_wr(unsigned int off, unsigned int size, uint32_t val)
{
	uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };
	ssize_t r = pwrite(dev_fd, b, size,
			   REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return r == (ssize_t)size ? 0 : -1;
}

/* ---------------------------------------------------------- eventfds */

static int efd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0) {
		perror("eventfd");
		exit(2);
	}
	return fd;
}

/* wait up to ms for the eventfd; returns counter value, 0 on timeout */
static uint64_t efd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t cnt = 0;
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return 0;
	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	return cnt;
}

static void efd_drain(int fd)
{
	uint64_t cnt;

	while (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt))
		;
}

static int set_irqs(uint32_t flags, uint32_t index, uint32_t start,
		    uint32_t count, const int32_t *fds, uint32_t argsz_adj)
{
	char buf[sizeof(struct vfio_irq_set) + 4 * sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	size_t dsz = 0;

	memset(buf, 0, sizeof(buf));
	if ((flags & VFIO_IRQ_SET_DATA_EVENTFD) && fds) {
		dsz = count * sizeof(int32_t);
		if (dsz > 4 * sizeof(int32_t))
			dsz = 4 * sizeof(int32_t);
		memcpy(s->data, fds, dsz);
	}
	s->argsz = sizeof(*s) + dsz - argsz_adj;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	return ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, s);
}

static int irq_eventfd(uint32_t index, int fd)
{
	int32_t f = fd;

	return set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			index, 0, 1, &f, 0);
}

static int irq_disable(uint32_t index)
{
	return set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			index, 0, 0, NULL, 0);
}

static int intx_unmask(void)
{
	return set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
}

static int intx_mask(void)
{
	return set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
			VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
}

/* ------------------------------------------------------------ set-up */

static int sysfs_nports(void)
{
	char path[256], link[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (!strcmp(base, "mtty-1"))
		return 1;
	if (!strcmp(base, "mtty-2"))
		return 2;
	return -1;
}

static int open_device(void)
{
	dev_fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, uuid);
	return dev_fd;
}

static void setup(void)
{
	char path[256], link[256], gpath[300];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	const char *base;
	ssize_t n;
	int r;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (!check(n > 0, "iommu_group link of the mdev exists")) {
		comment("readlink %s: %s", path, strerror(errno));
		exit(1);
	}
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%s", base);

	container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (!check(container_fd >= 0, "open /dev/vfio/vfio")) {
		comment("open: %s", strerror(errno));
		exit(1);
	}
	check(ioctl(container_fd, VFIO_GET_API_VERSION) == VFIO_API_VERSION,
	      "VFIO_GET_API_VERSION == %d", VFIO_API_VERSION);
	check(ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0,
	      "container supports VFIO_TYPE1_IOMMU");

	group_fd = open(gpath, O_RDWR | O_CLOEXEC);
	if (!check(group_fd >= 0, "open group %s", gpath)) {
		comment("open: %s", strerror(errno));
		exit(1);
	}
	r = ioctl(group_fd, VFIO_GROUP_GET_STATUS, &gs);
	check(r == 0 && (gs.flags & VFIO_GROUP_FLAGS_VIABLE),
	      "group is viable (flags 0x%x)", gs.flags);
	r = ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd);
	if (!check(r == 0, "VFIO_GROUP_SET_CONTAINER")) {
		comment("SET_CONTAINER: %s", strerror(errno));
		exit(1);
	}
	r = ioctl(container_fd, VFIO_SET_IOMMU,
		  ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
		  VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU);
	if (!check(r == 0, "VFIO_SET_IOMMU type1")) {
		comment("SET_IOMMU: %s", strerror(errno));
		exit(1);
	}
	if (!check(open_device() >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s)", uuid)) {
		comment("GET_DEVICE_FD: %s", strerror(errno));
		exit(1);
	}
}

/* --------------------------------------------------------- info tests */

static void test_device_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int r = ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &di);

	check(r == 0, "VFIO_DEVICE_GET_INFO");
	check(di.flags & VFIO_DEVICE_FLAGS_PCI, "device flags include PCI (0x%x)", di.flags);
	check(di.flags & VFIO_DEVICE_FLAGS_RESET, "device flags include RESET (0x%x)", di.flags);
	check(di.num_regions == VFIO_PCI_NUM_REGIONS, "num_regions %u == %d",
	      di.num_regions, VFIO_PCI_NUM_REGIONS);
	check(di.num_irqs == VFIO_PCI_NUM_IRQS, "num_irqs %u == %d",
	      di.num_irqs, VFIO_PCI_NUM_IRQS);

	memset(&di, 0, sizeof(di));
	di.argsz = offsetof(struct vfio_device_info, num_irqs);
	check_errno(ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &di), EINVAL,
		    "GET_INFO argsz %u (too small)", di.argsz);
}

static int region_info(uint32_t index, struct vfio_region_info *ri, uint32_t argsz)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = argsz;
	ri->index = index;
	return ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

static void test_region_info(void)
{
	struct vfio_region_info ri;
	uint32_t minsz = offsetof(struct vfio_region_info, offset) + sizeof(ri.offset);
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	int i, bars = 0;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		uint64_t esize = 0;
		uint32_t eflags = 0;
		int r = region_info(i, &ri, sizeof(ri));

		if (i < VFIO_PCI_ROM_REGION_INDEX && i < nports) {
			esize = BAR_SIZE;
			eflags = rw;
		} else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			esize = CFG_SIZE;
			eflags = rw;
		}
		if (r == 0 && i < VFIO_PCI_ROM_REGION_INDEX && ri.size == BAR_SIZE)
			bars++;
		if (!check(r == 0 && ri.index == (uint32_t)i && ri.size == esize &&
			   ri.flags == eflags && ri.offset == REGION_OFF(i),
			   "region %d info: size %" PRIu64 " flags 0x%x offset %d<<40",
			   i, esize, eflags, i))
			comment("  got r=%d size %llu flags 0x%x offset 0x%llx (%s)", r,
				(unsigned long long)ri.size, ri.flags,
				(unsigned long long)ri.offset, r ? strerror(errno) : "");
	}
	check(bars == nports, "%d I/O BAR regions of size 8 (== ports)", bars);

	check_errno(region_info(VFIO_PCI_NUM_REGIONS, &ri, sizeof(ri)), EINVAL,
		    "GET_REGION_INFO index %d", VFIO_PCI_NUM_REGIONS);
	check_errno(region_info(0xffffffffu, &ri, sizeof(ri)), EINVAL,
		    "GET_REGION_INFO index 0xffffffff");
	check_errno(region_info(0, &ri, minsz - 1), EINVAL,
		    "GET_REGION_INFO argsz %u (minimum %u)", minsz - 1, minsz);
	check_errno(region_info(VFIO_PCI_CONFIG_REGION_INDEX, &ri, 0), EINVAL,
		    "GET_REGION_INFO argsz 0");
	check(region_info(VFIO_PCI_CONFIG_REGION_INDEX, &ri, minsz) == 0 &&
	      ri.size == CFG_SIZE, "GET_REGION_INFO with exactly the minimum argsz");
}

static void test_irq_info(void)
{
	static const struct {
		uint32_t count, flags;
		const char *name;
	} exp[VFIO_PCI_NUM_IRQS] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD |
			VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, "INTX" },
		[VFIO_PCI_MSI_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD |
			VFIO_IRQ_INFO_NORESIZE, "MSI" },
		[VFIO_PCI_MSIX_IRQ_INDEX] = { 0, 0, "MSIX" },
		[VFIO_PCI_ERR_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD, "ERR" },
		[VFIO_PCI_REQ_IRQ_INDEX] = { 1, VFIO_IRQ_INFO_EVENTFD, "REQ" },
	};
	struct vfio_irq_info ii;
	int i, r;

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		r = ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
		if (exp[i].count)
			check(r == 0 && ii.count == exp[i].count && ii.flags == exp[i].flags,
			      "irq %s info: count %u flags 0x%x (got r=%d count %u flags 0x%x)",
			      exp[i].name, exp[i].count, exp[i].flags, r, ii.count, ii.flags);
		else
			check(r == 0 && ii.count == 0,
			      "irq %s info: count 0 (got r=%d count %u flags 0x%x)",
			      exp[i].name, r, ii.count, ii.flags);
	}
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_NUM_IRQS;
	check_errno(ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO index %d", VFIO_PCI_NUM_IRQS);
	ii.index = 0xffffffffu;
	check_errno(ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO index 0xffffffff");
	ii.index = 0;
	ii.argsz = offsetof(struct vfio_irq_info, count);
	check_errno(ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL,
		    "GET_IRQ_INFO argsz %u (too small)", ii.argsz);
}

/* ------------------------------------------------------- config space */

static void cfg_dump(uint8_t *b)
{
	unsigned int i;
	uint32_t v;

	for (i = 0; i < CFG_SIZE; i++) {
		if (cfg_rd(i, 1, &v)) {
			io_error("config byte read", -1, i, -1);
			v = 0xee;
		}
		b[i] = v;
	}
}

static void test_config(void)
{
	uint8_t snap[CFG_SIZE], after[CFG_SIZE];
	unsigned int i, bad;
	uint32_t v, orig;
	int r;

	cfg_dump(snap);
	check(!memcmp(snap, "\x48\x43\x53\x32", 4), "config 00: 48 43 53 32 (vendor 4348 device 3253)");
	check(cfg(0, 2) == 0x4348 && cfg(2, 2) == 0x3253, "config vendor/device as 16-bit reads");
	check(cfg(0, 4) == 0x32534348, "config dword 0 == 0x32534348 (little endian)");
	check(cfg(6, 2) == 0x0200, "config status 0x0200 (got 0x%04x)", cfg(6, 2));
	check(cfg(8, 4) == 0x07000210, "config 08: rev 10 prog-if 02 subclass 00 class 07 (got 0x%08x)",
	      cfg(8, 4));
	check(cfg(0xc, 4) == 0, "config 0c-0f are 0 (got 0x%08x)", cfg(0xc, 4));
	check(!memcmp(snap + 0x2c, "\x48\x43\x53\x32", 4), "config 2c: subsystem 48 43 53 32");
	check(snap[0x34] == 0, "config 34: capability pointer 0 (got 0x%02x)", snap[0x34]);
	check(snap[0x3d] == 0x01, "config 3d: interrupt pin 0x01 (got 0x%02x)", snap[0x3d]);

	/* BARs */
	for (i = 0; i < 6; i++) {
		unsigned int off = 0x10 + 4 * i;

		orig = cfg(off, 4);
		if ((int)i < nports) {
			check((orig & 7) == 1, "BAR%u is an I/O BAR: (addr & ~7) | 1 (got 0x%08x)", i, orig);
			r = cfg_wr(off, 4, 0xffffffff);
			v = cfg(off, 4);
			check(r == 0 && v == 0xfffffff9,
			      "BAR%u sizing: write 0xffffffff reads 0xfffffff9 (got 0x%08x)", i, v);
			cfg_wr(off, 4, 0xc150 + 8 * i);
			v = cfg(off, 4);
			check(v == ((0xc150 + 8 * i) | 1), "BAR%u write 0x%x reads 0x%x (got 0x%08x)",
			      i, 0xc150 + 8 * i, (0xc150 + 8 * i) | 1, v);
			cfg_wr(off, 4, 0xc15f);
			v = cfg(off, 4);
			check(v == 0xc159, "BAR%u write 0xc15f reads 0xc159 (low bits masked, got 0x%08x)",
			      i, v);
			cfg_wr(off, 4, orig);
			v = cfg(off, 4);
			check(v == orig, "BAR%u restore to 0x%08x (got 0x%08x)", i, orig, v);
		} else {
			check(orig == 0, "unused BAR%u reads 0 (got 0x%08x)", i, orig);
			r = cfg_wr(off, 4, 0xffffffff);
			v = cfg(off, 4);
			check(r == 0 && v == 0, "unused BAR%u ignores 0xffffffff write (got 0x%08x)", i, v);
			cfg_wr(off, 4, 0xc150);
			v = cfg(off, 4);
			check(v == 0, "unused BAR%u ignores address write (got 0x%08x)", i, v);
		}
	}

	/* command register */
	orig = cfg(4, 2);
	comment("command register at open: 0x%04x", orig);
	r = cfg_wr(4, 2, 0x0001);
	check(r == 0 && (cfg(4, 2) & 0x0001) == 0x0001, "command: I/O enable writable (0x%04x)", cfg(4, 2));
	r = cfg_wr(4, 2, 0x0405);
	check(r == 0 && (cfg(4, 2) & 0x0405) == 0x0405,
	      "command: I/O, bus master, INTx disable writable (0x%04x)", cfg(4, 2));
	check(cfg(6, 2) == 0x0200, "status unchanged by command write (0x%04x)", cfg(6, 2));
	r = cfg_wr(4, 2, 0);
	check(r == 0 && cfg(4, 2) == 0, "command: written 0 reads 0 (0x%04x)", cfg(4, 2));

	/* interrupt line is a RW byte, pin is RO */
	r = cfg_wr(0x3c, 1, 0x0a);
	check(r == 0 && cfg(0x3c, 1) == 0x0a, "interrupt line: write 0x0a reads 0x0a");
	r = cfg_wr(0x3c, 2, 0xff55);
	check(r == 0 && cfg(0x3c, 1) == 0x55 && cfg(0x3d, 1) == 0x01,
	      "16-bit write at 3c: line 0x55 written, pin stays 0x01 (got %02x %02x)",
	      cfg(0x3c, 1), cfg(0x3d, 1));
	cfg_wr(0x3c, 1, snap[0x3c]);

	/* writes to read-only registers are ignored, not errors */
	cfg_dump(snap);
	bad = 0;
	bad += cfg_wr(0x00, 4, 0xffffffff) != 0;
	bad += cfg_wr(0x06, 2, 0xffff) != 0;
	bad += cfg_wr(0x08, 4, 0xffffffff) != 0;
	bad += cfg_wr(0x2c, 4, 0xffffffff) != 0;
	bad += cfg_wr(0x34, 1, 0xff) != 0;
	bad += cfg_wr(0x3d, 1, 0xff) != 0;
	bad += cfg_wr(0x0e, 1, 0xff) != 0;
	bad += cfg_wr(0x01, 1, 0x00) != 0;
	bad += cfg_wr(0x2d, 2, 0x0000) != 0;
	check(bad == 0, "writes to read-only registers succeed (count returned)");
	cfg_dump(after);
	check(!memcmp(snap, after, CFG_SIZE), "writes to read-only registers are ignored");
	if (memcmp(snap, after, CFG_SIZE))
		for (i = 0; i < CFG_SIZE; i++)
			if (snap[i] != after[i])
				comment("  config byte 0x%02x: 0x%02x -> 0x%02x", i, snap[i], after[i]);

	/* 1/2/4 byte accesses at every offset agree with the byte dump */
	bad = 0;
	for (i = 0; i + 2 <= CFG_SIZE; i++)
		if (cfg_rd(i, 2, &v) || v != (uint32_t)(after[i] | after[i + 1] << 8))
			bad++;
	check(bad == 0, "2-byte config reads at all offsets 0..254 (incl. unaligned) match (%u bad)", bad);
	bad = 0;
	for (i = 0; i + 4 <= CFG_SIZE; i++)
		if (cfg_rd(i, 4, &v) || v != (uint32_t)(after[i] | after[i + 1] << 8 |
					      after[i + 2] << 16 | (uint32_t)after[i + 3] << 24))
			bad++;
	check(bad == 0, "4-byte config reads at all offsets 0..252 (incl. unaligned) match (%u bad)", bad);
	check(cfg_rd(0xff, 1, &v) == 0 && v == after[0xff], "1-byte config read at 0xff");
	check(cfg_rd(0xfe, 2, &v) == 0, "2-byte config read at 0xfe");
	check(cfg_rd(0xfc, 4, &v) == 0, "4-byte config read at 0xfc");
	check(cfg_wr(0x40, 4, 0) == 0 && cfg_wr(0xff, 1, 0) == 0 && cfg_wr(0xfe, 2, 0) == 0,
	      "config writes inside 0x40..0xff are accepted");
	/* unaligned 2-byte write across command/status boundary */
	r = cfg_wr(0x05, 2, 0x0000);
	check(r == 0 && cfg(6, 2) == 0x0200, "unaligned 2-byte write at 0x05 accepted, status kept");
	cfg_wr(4, 2, 0);
}

/* ------------------------------------------------------- UART basics */

static void port_reset_state(int p)
{
	wr(p, UART_LCR, 0);
	wr(p, UART_IER, 0);
	wr(p, UART_MCR, 0);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	wr(p, UART_FCR, 0);
	(void)rd(p, UART_LSR);
	(void)rd(p, UART_MSR);
	(void)rd(p, UART_IIR);
}

static int check_reset_values(int p, const char *when)
{
	uint8_t ier = rd(p, UART_IER), iir = rd(p, UART_IIR), lcr = rd(p, UART_LCR);
	uint8_t mcr = rd(p, UART_MCR), lsr = rd(p, UART_LSR), scr = rd(p, UART_SCR);

	return check(ier == 0 && iir == 0x01 && lcr == 0 && mcr == 0 && lsr == 0x60 && scr == 0,
		     "port %d %s: IER 00 IIR 01 LCR 00 MCR 00 LSR 60 SCR 00 "
		     "(got %02x %02x %02x %02x %02x %02x)",
		     p, when, ier, iir, lcr, mcr, lsr, scr);
}

static void test_uart_basic(int p)
{
	static const uint8_t pat[] = { 0xa5, 0x5a, 0x00, 0xff, 0x81 };
	uint8_t v, b[8];
	unsigned int i, bad = 0;
	ssize_t r;

	check_reset_values(p, "reset values");
	v = rd(p, UART_MSR);
	check((v & 0xf0) == 0, "port %d MSR with MCR 0: no modem lines (got 0x%02x)", p, v);

	for (i = 0; i < sizeof(pat); i++) {
		wr(p, UART_SCR, pat[i]);
		if (rd(p, UART_SCR) != pat[i])
			bad++;
	}
	check(bad == 0, "port %d scratch register holds written values", p);
	if (nports > 1) {
		wr(p, UART_SCR, 0x10 + p);
		wr(!p, UART_SCR, 0x20 + p);
		check(rd(p, UART_SCR) == 0x10 + p, "port %d scratch independent of port %d", p, !p);
		wr(!p, UART_SCR, 0);
	}

	/* multi-byte access within the BAR: bytes processed sequentially */
	wr(p, UART_SCR, 0x3c);
	r = pread(dev_fd, b, 5, REGION_OFF(p) + 3);
	check(r == 5 && b[0] == 0 && b[1] == 0 && b[2] == 0x60 && b[4] == 0x3c,
	      "port %d 5-byte read at offset 3 returns LCR MCR LSR MSR SCR (%02x %02x %02x %02x %02x)",
	      p, b[0], b[1], b[2], b[3], b[4]);
	r = pread(dev_fd, b, 8, REGION_OFF(p));
	check(r == 8 && b[7] == 0x3c && b[5] == 0x60, "port %d 8-byte read at offset 0", p);
	b[0] = 0x11;	/* LCR */
	b[1] = 0x00;	/* MCR */
	b[2] = 0x60;	/* LSR (ignored) */
	b[3] = 0x00;	/* MSR (ignored) */
	b[4] = 0x77;	/* SCR */
	r = pwrite(dev_fd, b, 5, REGION_OFF(p) + 3);
	check(r == 5 && rd(p, UART_LCR) == 0x11 && rd(p, UART_SCR) == 0x77,
	      "port %d 5-byte write at offset 3 sets LCR and SCR", p);
	wr(p, UART_LCR, 0);
	wr(p, UART_SCR, 0);

	/* DLAB / divisor latch */
	wr(p, UART_LCR, LCR_DLAB | LCR_WLEN8);
	check(rd(p, UART_LCR) == (LCR_DLAB | LCR_WLEN8), "port %d LCR reads back 0x83", p);
	wr(p, UART_DLL, 0x0c);
	wr(p, UART_DLM, 0x00);
	check(rd(p, UART_DLL) == 0x0c && rd(p, UART_DLM) == 0x00, "port %d divisor latch 0x000c", p);
	wr(p, UART_DLL, 0x01);
	wr(p, UART_DLM, 0x02);
	v = rd(p, UART_LSR);
	check(rd(p, UART_DLL) == 0x01 && rd(p, UART_DLM) == 0x02 && v == 0x60,
	      "port %d divisor latch 0x0201, DLL write did not transmit (LSR 0x%02x)", p, v);
	wr(p, UART_LCR, LCR_WLEN8);
	v = rd(p, UART_IER);
	check(v == 0, "port %d DLAB off: offset 1 is IER again (0x%02x)", p, v);
	v = rd(p, UART_LSR);
	check(v == 0x60, "port %d DLAB off: no data received (LSR 0x%02x)", p, v);
	wr(p, UART_LCR, LCR_DLAB | LCR_WLEN8);
	check(rd(p, UART_DLL) == 0x01 && rd(p, UART_DLM) == 0x02, "port %d divisor latch retained", p);
	wr(p, UART_LCR, 0);
}

static int send_str(int p, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (!(rd(p, UART_LSR) & LSR_THRE))
			return -1;
		wr(p, UART_TX, s[i]);
	}
	return 0;
}

static int recv_str(int p, char *buf, size_t max)
{
	size_t n = 0;
	uint8_t lsr;

	while (n < max - 1 && ((lsr = rd(p, UART_LSR)) & LSR_DR)) {
		if (lsr & LSR_ERRS)
			return -1;
		buf[n++] = rd(p, UART_RX);
	}
	buf[n] = 0;
	return n;
}

static void test_loopback(int p)
{
	char msg[32], got[64];
	int q;

	/* with FIFOs enabled */
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	check(rd(p, UART_IIR) == 0xc1, "port %d IIR 0xc1 with FIFOs on", p);
	snprintf(msg, sizeof(msg), "hello port %d", p);
	send_str(p, msg);
	for (q = 0; q < nports; q++)
		if (q != p)
			check(!(rd(q, UART_LSR) & LSR_DR), "port %d data does not reach port %d", p, q);
	recv_str(p, got, sizeof(got));
	check(!strcmp(got, msg), "port %d loopback with FIFO: \"%s\" (got \"%s\")", p, msg, got);
	check(rd(p, UART_LSR) == 0x60, "port %d LSR 0x60 after loopback", p);

	/* without FIFOs: one byte at a time */
	wr(p, UART_FCR, 0);
	check(rd(p, UART_IIR) == 0x01, "port %d IIR 0x01 with FIFOs off", p);
	snprintf(msg, sizeof(msg), "x%d", p);
	send_str(p, msg);	/* 'x' in RX, digit in THR */
	check(rd(p, UART_LSR) == 0x01, "port %d FIFO off: RX holds 1 byte, THR busy (LSR 0x01)", p);
	recv_str(p, got, sizeof(got));
	check(!strcmp(got, msg), "port %d loopback without FIFO: \"%s\" (got \"%s\")", p, msg, got);
	check(rd(p, UART_LSR) == 0x60, "port %d LSR 0x60 after FIFO-less loopback", p);
}

/* RX full back-pressure: bytes wait in TX, none lost */
static void test_backpressure(int p)
{
	uint8_t lsr, c;
	unsigned int i, got = 0, bad = 0, errs = 0;

	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	for (i = 0; i < FIFO_SIZE; i++)
		wr(p, UART_TX, 'A' + i);
	lsr = rd(p, UART_LSR);
	check(lsr == 0x61, "port %d 16 bytes written: RX full, TX empty (LSR 0x%02x)", p, lsr);
	for (i = 0; i < FIFO_SIZE; i++)
		wr(p, UART_TX, 'a' + i);
	lsr = rd(p, UART_LSR);
	check(lsr == 0x01, "port %d 16 more: held in TX, THRE clear, no OE (LSR 0x%02x)", p, lsr);
	usleep(100000);
	lsr = rd(p, UART_LSR);
	check(lsr == 0x01, "port %d TX still held after 100 ms (LSR 0x%02x)", p, lsr);
	c = rd(p, UART_RX);
	lsr = rd(p, UART_LSR);
	check(c == 'A' && lsr == 0x01,
	      "port %d reading 1 byte makes room, TX not yet empty (got '%c', LSR 0x%02x)", p, c, lsr);
	got = 1;
	while (got < 2 * FIFO_SIZE && ((lsr = rd(p, UART_LSR)) & LSR_DR)) {
		if (lsr & LSR_ERRS)
			errs++;
		c = rd(p, UART_RX);
		if (c != (got < FIFO_SIZE ? 'A' + got : 'a' + got - FIFO_SIZE))
			bad++;
		got++;
		if (got == FIFO_SIZE + 1) {
			lsr = rd(p, UART_LSR);
			check(lsr == 0x61, "port %d TX drained into RX: THRE set again (LSR 0x%02x)", p, lsr);
		}
	}
	check(got == 2 * FIFO_SIZE && bad == 0 && errs == 0,
	      "port %d all 32 bytes received in order, no errors (%u got, %u bad)", p, got, bad);
	lsr = rd(p, UART_LSR);
	check(lsr == 0x60, "port %d empty after back-pressure test (LSR 0x%02x)", p, lsr);
	wr(p, UART_FCR, 0);
}

static void test_iir(int p)
{
	uint8_t iir, lsr, c;
	int i;

	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	wr(p, UART_IER, IER_RLSI | IER_RDI | IER_THRI);
	iir = rd(p, UART_IIR);
	check(iir == 0xc2, "port %d THRE interrupt on IER THRI with TX empty (IIR 0x%02x)", p, iir);
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d reading IIR cleared the THRE source (IIR 0x%02x)", p, iir);
	wr(p, UART_IER, IER_RLSI | IER_RDI);
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d no interrupt with THRI off (IIR 0x%02x)", p, iir);
	wr(p, UART_IER, IER_RLSI | IER_RDI | IER_THRI);
	iir = rd(p, UART_IIR);
	check(iir == 0xc2, "port %d THRE re-asserted on IER THRI 0->1 (IIR 0x%02x)", p, iir);

	wr(p, UART_IER, IER_RLSI | IER_RDI | IER_THRI);
	wr(p, UART_TX, 'Z');
	iir = rd(p, UART_IIR);
	check(iir == 0xc4, "port %d RX data outranks THRE (IIR 0x%02x)", p, iir);
	c = rd(p, UART_RX);
	iir = rd(p, UART_IIR);
	check(c == 'Z' && iir == 0xc2, "port %d after RX drained THRE is reported (IIR 0x%02x)", p, iir);
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d THRE cleared by IIR read (IIR 0x%02x)", p, iir);

	/* writing THR also clears a pending THRE */
	wr(p, UART_IER, IER_RLSI);
	wr(p, UART_IER, IER_RLSI | IER_THRI);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_TRIG_14);
	for (i = 0; i < FIFO_SIZE; i++)
		wr(p, UART_TX, 'a' + i);
	wr(p, UART_TX, '!');	/* held in TX: RX is full */
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d no THRE while TX holds data (IIR 0x%02x)", p, iir);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	(void)rd(p, UART_IIR);

	/* trigger level / character timeout */
	wr(p, UART_IER, IER_RDI);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIG_4);
	wr(p, UART_TX, '1');
	wr(p, UART_TX, '2');
	iir = rd(p, UART_IIR);
	check(iir == 0xcc, "port %d 2 bytes below trigger 4: character timeout (IIR 0x%02x)", p, iir);
	wr(p, UART_TX, '3');
	wr(p, UART_TX, '4');
	iir = rd(p, UART_IIR);
	check(iir == 0xc4, "port %d 4 bytes at trigger 4: RX data available (IIR 0x%02x)", p, iir);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);

	/*
	 * Break behind a data byte (16550A datasheet: LSR bits 1-4 reflect
	 * the character at the top of the FIFO): 'q' comes first as plain
	 * data; BI and the line status interrupt arrive with the break's NUL,
	 * which then outranks RX data.  LSR bit 7 flags the error character
	 * waiting in the FIFO.
	 */
	wr(p, UART_IER, IER_RLSI | IER_RDI | IER_THRI);
	(void)rd(p, UART_IIR);
	wr(p, UART_TX, 'q');
	wr(p, UART_MCR, MCR_LOOP);
	wr(p, UART_LCR, LCR_SBC | LCR_WLEN8);
	wr(p, UART_LCR, LCR_WLEN8);
	iir = rd(p, UART_IIR);
	check(iir == 0xc4, "port %d break behind 'q': RX data first, no line status yet (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, UART_LSR);
	check(lsr == 0xe1, "port %d LSR with 'q' on top: DR and bit 7, no BI (0x%02x)", p, lsr);
	c = rd(p, UART_RX);
	check(c == 'q', "port %d 'q' read before the break (0x%02x)", p, c);
	iir = rd(p, UART_IIR);
	check(iir == 0xc6, "port %d line status (break) with its NUL on top outranks RX data (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, UART_LSR);
	check(lsr == 0xf1, "port %d LSR reports BI with the NUL (0x%02x)", p, lsr);
	iir = rd(p, UART_IIR);
	check(iir == 0xc4, "port %d reading LSR clears line status: RX data next (IIR 0x%02x)",
	      p, iir);
	lsr = rd(p, UART_LSR);
	check(lsr == 0x61, "port %d BI and bit 7 cleared by the LSR read (0x%02x)", p, lsr);
	c = rd(p, UART_RX);
	check(c == 0, "port %d break delivers a NUL (0x%02x)", p, c);
	wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
	(void)rd(p, UART_LSR);

	/* modem status is lowest */
	wr(p, UART_IER, IER_MSI);
	(void)rd(p, UART_MSR);
	wr(p, UART_MCR, MCR_LOOP | MCR_RTS);
	iir = rd(p, UART_IIR);
	check(iir == 0xc0, "port %d modem status interrupt on CTS change (IIR 0x%02x)", p, iir);
	c = rd(p, UART_MSR);
	check((c & 0x11) == 0x11, "port %d MSR shows CTS and DCTS (0x%02x)", p, c);
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d MSR read clears modem status interrupt (IIR 0x%02x)", p, iir);
	wr(p, UART_MCR, MCR_LOOP);
	wr(p, UART_IER, IER_MSI | IER_THRI);
	iir = rd(p, UART_IIR);
	c = rd(p, UART_IIR);
	check(iir == 0xc2 && c == 0xc0, "port %d THRE outranks modem status (IIR 0x%02x then 0x%02x)",
	      p, iir, c);
	(void)rd(p, UART_MSR);
	iir = rd(p, UART_IIR);
	check(iir == 0xc1, "port %d all sources serviced (IIR 0x%02x)", p, iir);
	port_reset_state(p);
}

static void test_modem(int p)
{
	static const struct {
		uint8_t mcr, msr;
	} loop[] = {
		{ MCR_LOOP, 0 },
		{ MCR_LOOP | MCR_RTS, MSR_CTS },
		{ MCR_LOOP | MCR_DTR, MSR_DSR },
		{ MCR_LOOP | MCR_OUT1, MSR_RI },
		{ MCR_LOOP | MCR_OUT2, MSR_DCD },
		{ MCR_LOOP | 0x0f, 0xf0 },
		{ MCR_RTS, MSR_CTS },
		{ MCR_DTR, MSR_DSR | MSR_DCD },
		{ MCR_OUT1 | MCR_OUT2, 0 },
		{ 0x0f, MSR_CTS | MSR_DSR | MSR_DCD },
		{ 0, 0 },
	};
	unsigned int i;
	uint8_t msr;

	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		wr(p, UART_MCR, loop[i].mcr);
		msr = rd(p, UART_MSR);
		check((msr & 0xf0) == loop[i].msr && rd(p, UART_MCR) == loop[i].mcr,
		      "port %d MCR 0x%02x -> MSR lines 0x%02x (got 0x%02x)", p,
		      loop[i].mcr, loop[i].msr, msr & 0xf0);
	}
	/* loop mode still loops data back */
	wr(p, UART_MCR, MCR_LOOP);
	wr(p, UART_TX, 'L');
	msr = rd(p, UART_LSR);
	check((msr & LSR_DR) && rd(p, UART_RX) == 'L', "port %d data loops back in MCR loop mode", p);
	wr(p, UART_MCR, 0);
	(void)rd(p, UART_MSR);
}

/* ----------------------------------------------------- bulk transfer */

enum xmode { XM_POLL, XM_INTX, XM_MSI };
static const char *const xmode_name[] = { "polled", "INTx", "MSI" };

struct xfer {
	int port;
	size_t n, sent, got;
	uint32_t txs, rxs;
	size_t bad, first_bad;
	unsigned int lsr_errs;
	uint8_t ier;
};

static uint8_t prng(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x >> 24;
}

static void x_lsr(struct xfer *x, uint8_t lsr)
{
	if (lsr & LSR_ERRS) {
		if (!x->lsr_errs)
			comment("port %d: LSR error bits 0x%02x after %zu bytes", x->port, lsr, x->got);
		x->lsr_errs++;
	}
}

static void x_rx(struct xfer *x, uint8_t c)
{
	if (x->got >= x->n || c != prng(&x->rxs)) {
		if (!x->bad)
			x->first_bad = x->got;
		x->bad++;
	}
	x->got++;
}

static void x_tx(struct xfer *x)
{
	size_t i, n = x->n - x->sent;

	if (n > FIFO_SIZE)
		n = FIFO_SIZE;
	for (i = 0; i < n; i++)
		wr(x->port, UART_TX, prng(&x->txs));
	x->sent += n;
}

/*
 * Drain RX while LSR.DR.  In polled mode (IER 0, no side effects on IIR)
 * a single 6-byte read at offset 0 returns RBR followed by LSR, i.e. the
 * byte and the status after it: one syscall per byte.  With interrupts
 * enabled the 8250 sequence RBR, LSR is used.
 */
static uint8_t x_drain(struct xfer *x, uint8_t lsr, int combined)
{
	unsigned int n = 0;
	uint8_t b[6];

	while ((lsr & LSR_DR) && n++ < 256) {
		if (combined) {
			if (pread(dev_fd, b, 6, REGION_OFF(x->port)) != 6) {
				io_error("rx read", x->port, 0, -1);
				return 0;
			}
			x_rx(x, b[0]);
			lsr = b[5];
		} else {
			x_rx(x, rd(x->port, UART_RX));
			lsr = rd(x->port, UART_LSR);
		}
		x_lsr(x, lsr);
	}
	return lsr;
}

/* one 8250-style interrupt service for a port; returns 1 if it had an irq */
static int x_service(struct xfer *x)
{
	uint8_t iir = rd(x->port, UART_IIR), lsr;

	if (iir & IIR_NO_INT)
		return 0;
	lsr = rd(x->port, UART_LSR);
	x_lsr(x, lsr);
	if (lsr & LSR_DR)
		lsr = x_drain(x, lsr, 0);
	if ((lsr & LSR_THRE) && (x->ier & IER_THRI)) {
		x_tx(x);
		if (x->sent == x->n) {
			x->ier &= ~IER_THRI;
			wr(x->port, UART_IER, x->ier);
		}
	}
	return 1;
}

static void bulk(enum xmode mode, size_t nbytes)
{
	struct xfer xs[MAX_PORTS];
	int p, done, efd = -1, stalled = 0;
	unsigned long irqs = 0, spurious = 0;
	unsigned int ioerr0;
	double t0, tlast;
	size_t progress, lastprog = 0;
	uint32_t index = mode == XM_MSI ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_INTX_IRQ_INDEX;

	if (!nbytes)
		return;
	memset(xs, 0, sizeof(xs));
	for (p = 0; p < nports; p++) {
		xs[p].port = p;
		xs[p].n = nbytes;
		xs[p].txs = xs[p].rxs = 0x2545f491u ^ (p + 1) * 0x9e3779b9u ^ mode * 0x85ebca6bu;
		port_reset_state(p);
		/* like the 8250 driver for a 16550A: FIFO on, RX trigger 8 */
		wr(p, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIG_8);
		wr(p, UART_LCR, LCR_WLEN8);
		wr(p, UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
		(void)rd(p, UART_LSR);
		(void)rd(p, UART_IIR);
	}
	if (mode != XM_POLL) {
		efd = efd_new();
		if (!check(irq_eventfd(index, efd) == 0, "%s bulk: eventfd set", xmode_name[mode])) {
			close(efd);
			return;
		}
		for (p = 0; p < nports; p++) {
			xs[p].ier = IER_RDI | IER_THRI | IER_RLSI;
			wr(p, UART_IER, xs[p].ier);
		}
	}

	t0 = tlast = now();
	ioerr0 = io_errors;
	for (;;) {
		done = 1;
		progress = 0;
		for (p = 0; p < nports; p++) {
			if (xs[p].got < xs[p].n)
				done = 0;
			progress += xs[p].got + xs[p].sent;
		}
		if (done || io_errors != ioerr0)
			break;
		if (progress != lastprog) {
			lastprog = progress;
			tlast = now();
		} else if (now() - tlast > 10) {
			stalled = 1;
			break;
		}

		if (mode == XM_POLL) {
			for (p = 0; p < nports; p++) {
				uint8_t lsr = rd(p, UART_LSR);

				x_lsr(&xs[p], lsr);
				if (lsr & LSR_DR)
					lsr = x_drain(&xs[p], lsr, 1);
				if ((lsr & LSR_THRE) && xs[p].sent < xs[p].n)
					x_tx(&xs[p]);
			}
			continue;
		}

		if (!efd_wait(efd, 5000)) {
			stalled = 1;
			break;
		}
		irqs++;
		/*
		 * One 8250-style pass over the ports per signal.  INTx is level
		 * triggered and automasked: unmask afterwards and it fires again
		 * if a port is still pending.  MSI must fire on every new event
		 * (data written by the pass loops back at once), so one pass per
		 * signal suffices; a missed event shows up as a stall.
		 */
		{
			int any = 0;

			for (p = 0; p < nports; p++)
				any |= x_service(&xs[p]);
			if (!any)
				spurious++;
		}
		if (mode == XM_INTX && intx_unmask()) {
			io_error("INTx unmask", -1, -1, -1);
			break;
		}
	}
	t0 = now() - t0;

	if (stalled) {
		for (p = 0; p < nports; p++)
			comment("stall port %d: sent %zu got %zu IER 0x%02x IIR 0x%02x LSR 0x%02x",
				p, xs[p].sent, xs[p].got, rd(p, UART_IER), rd(p, UART_IIR),
				rd(p, UART_LSR));
	}
	if (mode != XM_POLL) {
		for (p = 0; p < nports; p++)
			wr(p, UART_IER, 0);
		check(irq_disable(index) == 0, "%s bulk: eventfd disabled", xmode_name[mode]);
		close(efd);
	}
	check(!stalled && io_errors == ioerr0,
	      "%s bulk transfer of %zu bytes/port made progress to the end%s", xmode_name[mode],
	      nbytes, stalled ? " (STALLED)" : io_errors != ioerr0 ? " (I/O errors)" : "");
	for (p = 0; p < nports; p++) {
		struct xfer *x = &xs[p];

		check(x->got == x->n && x->bad == 0,
		      "port %d %s bulk: %zu bytes received byte-identical (got %zu, %zu mismatched%s)",
		      p, xmode_name[mode], x->n, x->got, x->bad, x->bad ? ", see first" : "");
		if (x->bad)
			comment("  first mismatch at byte %zu", x->first_bad);
		check(x->lsr_errs == 0, "port %d %s bulk: no LSR OE/error bit ever (%u seen)",
		      p, xmode_name[mode], x->lsr_errs);
		check(rd(p, UART_LSR) == 0x60, "port %d %s bulk: idle afterwards (LSR 0x60)",
		      p, xmode_name[mode]);
	}
	if (mode != XM_POLL) {
		check(irqs > 0, "%s bulk: interrupts delivered (%lu)", xmode_name[mode], irqs);
		comment("%s bulk: %lu interrupts, %lu with nothing pending", xmode_name[mode],
			irqs, spurious);
	}
	comment("%s bulk: %zu bytes x %d port(s) in %.2f s (%.1f KiB/s)", xmode_name[mode],
		nbytes, nports, t0, nbytes * nports / 1024.0 / (t0 > 0 ? t0 : 1));
	for (p = 0; p < nports; p++)
		port_reset_state(p);
}

/* ------------------------------------------------------ interrupts */

static void test_intx(void)
{
	int efd = efd_new(), p;
	uint64_t c;

	for (p = 0; p < nports; p++)
		port_reset_state(p);
	check(irq_eventfd(VFIO_PCI_INTX_IRQ_INDEX, efd) == 0, "INTx: SET_IRQS TRIGGER eventfd");
	c = efd_wait(efd, 300);
	check(c == 0, "INTx: no signal with all IER 0 (%" PRIu64 ")", c);

	p = nports - 1;
	wr(p, UART_FCR, FCR_ENABLE);
	wr(p, UART_IER, IER_THRI);
	c = efd_wait(efd, 3000);
	check(c >= 1, "INTx: eventfd fires on THRE (port %d)", p);
	c = efd_wait(efd, 500);
	check(c == 0, "INTx: automasked, no second signal while asserted (%" PRIu64 ")", c);
	/* a new event while masked: RX data */
	wr(p, UART_IER, IER_THRI | IER_RDI);
	wr(p, UART_TX, 'i');
	c = efd_wait(efd, 500);
	check(c == 0, "INTx: automasked, no signal for a new event while masked (%" PRIu64 ")", c);
	check(intx_unmask() == 0, "INTx: UNMASK (DATA_NONE)");
	c = efd_wait(efd, 3000);
	check(c >= 1, "INTx: fires again right after unmask while still pending");
	/* service: drain RX, clear THRE, disable */
	check(rd(p, UART_IIR) == 0xc4, "INTx: IIR shows RX data");
	(void)rd(p, UART_RX);
	check(rd(p, UART_IIR) == 0xc2, "INTx: then THRE");
	check(rd(p, UART_IIR) == 0xc1, "INTx: then nothing pending");
	check(intx_unmask() == 0, "INTx: UNMASK after service");
	c = efd_wait(efd, 500);
	check(c == 0, "INTx: no signal after unmask when deasserted (%" PRIu64 ")", c);

	/* explicit mask */
	check(intx_mask() == 0, "INTx: MASK (DATA_NONE)");
	wr(p, UART_IER, IER_RDI);
	wr(p, UART_IER, IER_RDI | IER_THRI);
	c = efd_wait(efd, 500);
	check(c == 0, "INTx: masked, no signal for THRE (%" PRIu64 ")", c);
	check(intx_unmask() == 0, "INTx: UNMASK");
	c = efd_wait(efd, 3000);
	check(c >= 1, "INTx: pending interrupt delivered on unmask");
	wr(p, UART_IER, 0);
	check(intx_unmask() == 0, "INTx: UNMASK after disabling IER");
	c = efd_wait(efd, 500);
	check(c == 0, "INTx: silent once IER is 0 (%" PRIu64 ")", c);

	/* every port raises the shared line */
	for (p = 0; p < nports; p++) {
		wr(p, UART_IER, IER_THRI);
		c = efd_wait(efd, 3000);
		check(c >= 1, "INTx: port %d THRE raises the line", p);
		(void)rd(p, UART_IIR);
		wr(p, UART_IER, 0);
		intx_unmask();
		c = efd_wait(efd, 300);
		check(c == 0, "INTx: port %d serviced, line quiet", p);
	}

	check(irq_disable(VFIO_PCI_INTX_IRQ_INDEX) == 0, "INTx: disable (count 0, DATA_NONE)");
	wr(0, UART_IER, IER_THRI);
	c = efd_wait(efd, 300);
	check(c == 0, "INTx: disabled eventfd stays silent");
	wr(0, UART_IER, 0);
	(void)rd(0, UART_IIR);
	close(efd);
	for (p = 0; p < nports; p++)
		port_reset_state(p);

	bulk(XM_INTX, irq_bytes);
}

static void test_msi(void)
{
	int efd = efd_new(), p = 0;
	uint64_t c;

	for (p = 0; p < nports; p++)
		port_reset_state(p);
	p = 0;
	check(irq_eventfd(VFIO_PCI_MSI_IRQ_INDEX, efd) == 0, "MSI: SET_IRQS TRIGGER eventfd");
	c = efd_wait(efd, 300);
	check(c == 0, "MSI: no signal with IER 0 (%" PRIu64 ")", c);
	wr(p, UART_IER, IER_THRI);
	c = efd_wait(efd, 3000);
	check(c >= 1, "MSI: fires on THRE");
	(void)rd(p, UART_IIR);
	wr(p, UART_IER, 0);
	efd_drain(efd);
	wr(p, UART_IER, IER_THRI);
	c = efd_wait(efd, 3000);
	check(c >= 1, "MSI: fires again for a new event without any unmask");
	(void)rd(p, UART_IIR);
	wr(p, UART_IER, IER_RDI);
	efd_drain(efd);
	wr(p, UART_TX, 'm');
	c = efd_wait(efd, 3000);
	check(c >= 1, "MSI: fires on RX data");
	(void)rd(p, UART_RX);
	wr(p, UART_IER, 0);
	efd_drain(efd);
	c = efd_wait(efd, 300);
	check(c == 0, "MSI: quiet when nothing new happens");
	check(irq_disable(VFIO_PCI_MSI_IRQ_INDEX) == 0, "MSI: disable");
	port_reset_state(p);
	close(efd);

	bulk(XM_MSI, irq_bytes);
}

static void test_req(void)
{
	int efd = efd_new();

	check(irq_eventfd(VFIO_PCI_ERR_IRQ_INDEX, efd) == 0, "ERR: set eventfd");
	check(irq_disable(VFIO_PCI_ERR_IRQ_INDEX) == 0, "ERR: clear (count 0, DATA_NONE)");
	check(irq_eventfd(VFIO_PCI_ERR_IRQ_INDEX, efd) == 0, "ERR: set again");
	check(irq_eventfd(VFIO_PCI_ERR_IRQ_INDEX, -1) == 0, "ERR: clear with fd -1");

	check(irq_eventfd(VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: set eventfd");
	check(efd_wait(efd, 200) == 0, "REQ: not signalled while the device stays");
	check(irq_disable(VFIO_PCI_REQ_IRQ_INDEX) == 0, "REQ: clear (count 0, DATA_NONE)");
	check(irq_eventfd(VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: set again");
	check(irq_eventfd(VFIO_PCI_REQ_IRQ_INDEX, -1) == 0, "REQ: clear with fd -1");
	close(efd);
}

/* ------------------------------------------------------------ reset */

static void test_reset(void)
{
	unsigned int p;
	int r;

	for (p = 0; p < (unsigned int)nports; p++) {
		wr(p, UART_SCR, 0x5a);
		wr(p, UART_LCR, LCR_WLEN8);
		wr(p, UART_FCR, FCR_ENABLE);
		wr(p, UART_IER, IER_RDI | IER_THRI);
		wr(p, UART_MCR, MCR_DTR | MCR_OUT2);
		wr(p, UART_TX, 'r');
		wr(p, UART_TX, 's');
		cfg_wr(0x10 + 4 * p, 4, 0xc150 + 8 * p);
	}
	cfg_wr(4, 2, 0x0005);
	check(cfg(4, 2) != 0, "reset: command set to 0x%04x before reset", cfg(4, 2));
	r = ioctl(dev_fd, VFIO_DEVICE_RESET);
	check(r == 0, "VFIO_DEVICE_RESET returns 0%s", r ? strerror(errno) : "");
	for (p = 0; p < (unsigned int)nports; p++) {
		check_reset_values(p, "after VFIO_DEVICE_RESET");
		check(cfg(0x10 + 4 * p, 4) == 1, "reset: BAR%u back to 0x00000001 (got 0x%08x)",
		      p, cfg(0x10 + 4 * p, 4));
		check(rd(p, UART_IIR) == 0x01, "reset: port %u FIFOs off, no interrupt", p);
	}
	check(cfg(4, 2) == 0, "reset: command 0 (got 0x%04x)", cfg(4, 2));
	check(cfg(0, 4) == 0x32534348 && cfg(8, 4) == 0x07000210, "reset: IDs and class intact");
	r = ioctl(dev_fd, VFIO_DEVICE_RESET);
	check(r == 0, "VFIO_DEVICE_RESET twice");
}

/* ---------------------------------------------------- hostile input */

static void test_hostile(void)
{
	size_t bigsz = 1UL << 30;
	char *big;
	uint8_t b[16];
	int last = nports - 1;
	int32_t fds[2] = { -1, -1 };
	uint8_t scr;

	/* lazily backed buffer so that a huge count is a valid user range */
	big = mmap(NULL, bigsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}

	/* region index out of range / without content */
	check_errno(pread(dev_fd, b, 1, REGION_OFF(VFIO_PCI_NUM_REGIONS)), EINVAL,
		    "read region index 9");
	check_errno(pwrite(dev_fd, b, 1, REGION_OFF(VFIO_PCI_NUM_REGIONS)), EINVAL,
		    "write region index 9");
	check_errno(pread(dev_fd, b, 1, REGION_OFF(0xff)), EINVAL, "read region index 255");
	check_errno(pread(dev_fd, b, 1, REGION_OFF(0x7fffff)), EINVAL, "read region index 0x7fffff");
	if (nports < 6)
		check_errno(pread(dev_fd, b, 1, REGION_OFF(nports)), EINVAL,
			    "read unused BAR%d region (size 0)", nports);
	check_errno(pread(dev_fd, b, 1, REGION_OFF(VFIO_PCI_ROM_REGION_INDEX)), EINVAL,
		    "read ROM region (size 0)");
	check_errno(pwrite(dev_fd, b, 1, REGION_OFF(VFIO_PCI_VGA_REGION_INDEX)), EINVAL,
		    "write VGA region (size 0)");
	check_errno(pread(dev_fd, b, 1, -1), EINVAL, "read at negative offset");

	/* BAR: past end, crossing end, huge count */
	wr(last, UART_SCR, 0x42);
	check_errno(pread(dev_fd, b, 1, REGION_OFF(last) + 8), EINVAL, "BAR%d read offset 8", last);
	check_errno(pwrite(dev_fd, b, 1, REGION_OFF(last) + 8), EINVAL, "BAR%d write offset 8", last);
	check_errno(pread(dev_fd, b, 1, REGION_OFF(last) + 0xffffffffffULL), EINVAL,
		    "BAR%d read offset 2^40-1", last);
	check_errno(pread(dev_fd, b, 2, REGION_OFF(last) + 7), EINVAL,
		    "BAR%d read offset 7 count 2 (crosses end)", last);
	check_errno(pread(dev_fd, b, 9, REGION_OFF(last)), EINVAL, "BAR%d read offset 0 count 9", last);
	check_errno(pread(dev_fd, b, 16, REGION_OFF(last)), EINVAL,
		    "BAR%d read offset 0 count 16 (no short read)", last);
	memset(b, 0x99, sizeof(b));
	check_errno(pwrite(dev_fd, b, 2, REGION_OFF(last) + 7), EINVAL,
		    "BAR%d write offset 7 count 2 (crosses end)", last);
	scr = rd(last, UART_SCR);
	check(scr == 0x42, "rejected crossing write left SCR untouched (0x%02x)", scr);
	check_errno(pwrite(dev_fd, b, 16, REGION_OFF(last)), EINVAL,
		    "BAR%d write offset 0 count 16", last);
	check(rd(last, UART_SCR) == 0x42 && rd(last, UART_LSR) == 0x60,
	      "rejected 16-byte write had no partial effect");
	check_errno(pread(dev_fd, big, 65536, REGION_OFF(last)), EINVAL,
		    "BAR%d read count 65536", last);
	check_errno(pread(dev_fd, big, bigsz, REGION_OFF(last)), EINVAL,
		    "BAR%d read count 1 GiB", last);
	check_errno(pwrite(dev_fd, big, bigsz, REGION_OFF(last)), EINVAL,
		    "BAR%d write count 1 GiB", last);

	/* config: past end, crossing end, huge */
	check_errno(pread(dev_fd, b, 1, REGION_OFF(7) + CFG_SIZE), EINVAL, "config read offset 256");
	check_errno(pwrite(dev_fd, b, 1, REGION_OFF(7) + CFG_SIZE), EINVAL, "config write offset 256");
	check_errno(pread(dev_fd, b, 4, REGION_OFF(7) + 0xfd), EINVAL, "config read 4 at 0xfd (crosses end)");
	check_errno(pread(dev_fd, b, 2, REGION_OFF(7) + 0xff), EINVAL, "config read 2 at 0xff (crosses end)");
	check_errno(pwrite(dev_fd, b, 4, REGION_OFF(7) + 0xfe), EINVAL, "config write 4 at 0xfe (crosses end)");
	check_errno(pread(dev_fd, big, 65536, REGION_OFF(7)), EINVAL, "config read count 65536");
	check_errno(pread(dev_fd, big, bigsz, REGION_OFF(7)), EINVAL, "config read count 1 GiB");
	check(cfg(0, 4) == 0x32534348, "config intact after hostile accesses");

	/* ioctls */
	check_errno(ioctl(dev_fd, _IO(VFIO_TYPE, VFIO_BASE + 60)), ENOTTY, "unknown VFIO ioctl");
	check_errno(ioctl(dev_fd, _IOW('x', 1, int), &fds[0]), ENOTTY, "foreign ioctl");
	check_errno(ioctl(dev_fd, VFIO_DEVICE_GET_INFO, NULL), EFAULT, "GET_INFO with NULL argument");

	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 4), EINVAL,
		    "SET_IRQS argsz below minimum");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
			     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS two data types");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
			     VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS two actions");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
		    EINVAL, "SET_IRQS no action");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | (1u << 12),
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 0), EINVAL,
		    "SET_IRQS unknown flag bit");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_NUM_IRQS, 0, 0, NULL, 0), EINVAL, "SET_IRQS index 5");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     0xffffffffu, 0, 0, NULL, 0), EINVAL, "SET_IRQS index 0xffffffff");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0), EINVAL,
		    "SET_IRQS MSIX (0 vectors)");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_ERR_IRQ_INDEX, 1, 1, fds, 0), EINVAL, "SET_IRQS ERR start 1");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_ERR_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS ERR count 2");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			     VFIO_PCI_INTX_IRQ_INDEX, 1, 1, NULL, 0), EINVAL, "SET_IRQS INTx start 1");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS INTx count 2");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds, 0), EINVAL, "SET_IRQS MSI count 2");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0xffffffffu, 2, NULL, 0), EINVAL,
		    "SET_IRQS start+count overflow");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds, sizeof(int32_t)), EINVAL,
		    "SET_IRQS eventfd without room for the fd (argsz)");
	check_errno(set_irqs(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_REQ_IRQ_INDEX, 1, 1, fds, 0), EINVAL, "SET_IRQS REQ start 1");
}

/* ------------------------------------------------------------ reopen */

static void test_reopen(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int fd2;

	check(close(dev_fd) == 0, "close device fd");
	dev_fd = -1;
	fd2 = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, "00000000-0000-0000-0000-000000000000");
	check(fd2 < 0, "GET_DEVICE_FD with an unknown name fails");
	if (fd2 >= 0)
		close(fd2);
	if (!check(open_device() >= 0, "reopen device fd")) {
		comment("GET_DEVICE_FD: %s", strerror(errno));
		return;
	}
	check(ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &di) == 0 && di.num_regions == 9,
	      "GET_INFO after reopen");
	wr(0, UART_SCR, 0x3e);
	check(rd(0, UART_SCR) == 0x3e && cfg(0, 4) == 0x32534348, "BAR and config usable after reopen");
	wr(0, UART_SCR, 0);
}

/* --------------------------------------------------- removal with REQ */

static void test_remove(void)
{
	char path[256], dpath[256];
	int efd = efd_new(), status = 0;
	struct stat st;
	uint64_t c = 0;
	double t;
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	snprintf(dpath, sizeof(dpath), "/sys/bus/mdev/devices/%s", uuid);
	check(irq_eventfd(VFIO_PCI_REQ_IRQ_INDEX, efd) == 0, "REQ: eventfd set for removal");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd;

		/* the child must not keep the device (or its group) open */
		close(dev_fd);
		close(group_fd);
		close(container_fd);
		close(efd);
		fd = open(path, O_WRONLY);

		if (fd < 0 || write(fd, "1\n", 2) != 2)
			_exit(1);
		_exit(close(fd) ? 1 : 0);
	}
	t = now();
	while (now() - t < 30 && !(c = efd_wait(efd, 1000)))
		;
	check(c >= 1, "REQ: eventfd signalled when the open device is removed");
	close(dev_fd);
	dev_fd = -1;
	close(group_fd);
	group_fd = -1;
	close(container_fd);
	container_fd = -1;
	/* the write blocks until the last device fd is closed */
	t = now();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() - t > 60) {
			comment("remove did not complete in 60 s");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(50000);
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "remove completes after the device fd is closed");
	check(stat(dpath, &st) != 0, "mdev %s is gone", uuid);
	close(efd);
}

/* -------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr, "usage: vfio_client [--ports N] [--bytes B] [--irq-bytes B] [--remove] UUID\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i, sp, err_efd;
	double t0 = now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ports") && i + 1 < argc)
			nports = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bulk_bytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--irq-bytes") && i + 1 < argc)
			irq_bytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--remove"))
			do_remove = 1;
		else if (argv[i][0] == '-' || uuid)
			usage();
		else
			uuid = argv[i];
	}
	if (!uuid || strlen(uuid) != 36)
		usage();
	if (irq_bytes == (size_t)-1)
		irq_bytes = bulk_bytes;
	snprintf(tag, sizeof(tag), "vfio %.8s", uuid);

	sp = sysfs_nports();
	if (!nports)
		nports = sp;
	if (nports < 1 || nports > MAX_PORTS) {
		fprintf(stderr, "cannot determine number of ports (%d)\n", nports);
		return 2;
	}
	if (sp > 0)
		check(sp == nports, "mdev_type of %s has %d port(s)", uuid, nports);
	comment("vfio_client: %s, %d port(s), bulk %zu bytes, irq bulk %zu bytes",
		uuid, nports, bulk_bytes, irq_bytes);

	setup();
	test_device_info();
	test_region_info();
	test_irq_info();
	test_config();
	for (i = 0; i < nports; i++) {
		test_uart_basic(i);
		test_loopback(i);
		test_backpressure(i);
		test_iir(i);
		test_modem(i);
	}
	test_reset();
	err_efd = efd_new();
	check(irq_eventfd(VFIO_PCI_ERR_IRQ_INDEX, err_efd) == 0,
	      "ERR: eventfd armed for the transfer tests");
	bulk(XM_POLL, bulk_bytes);
	test_intx();
	test_msi();
	check(efd_wait(err_efd, 0) == 0, "ERR: eventfd never fired during the transfers");
	check(irq_disable(VFIO_PCI_ERR_IRQ_INDEX) == 0, "ERR: eventfd disarmed");
	close(err_efd);
	test_req();
	test_hostile();
	test_reopen();
	if (do_remove && dev_fd >= 0)
		test_remove();
	check(io_errors == 0, "no unexpected register I/O errors (%u)", io_errors);

	comment("vfio_client %s: %u ok, %u not ok, %.1f s", uuid, npass, nfail, now() - t0);
	if (dev_fd >= 0)
		close(dev_fd);
	if (group_fd >= 0)
		close(group_fd);
	if (container_fd >= 0)
		close(container_fd);
	return nfail ? 1 : 0;
}
