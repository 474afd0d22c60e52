// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mig.c - VFIO migration v2 of mtty devices, driven through the uAPI
 * the way QEMU drives it.
 *
 *   vfio_mig [--golden DIR] [--deep DEEP] SRC DST [OTHER]
 *
 * SRC and DST are mdevs of one type, OTHER (optional) one of another type,
 * DEEP (optional) an mtty-1 created with the deep_fifo module parameter.
 * Checks the advertised migration flags, every arc of the state machine,
 * that UART state (registers, both FIFOs' bytes, pending and masked
 * interrupts) moves from SRC to DST through STOP_COPY and through
 * PRE_COPY, PRE_COPY info, the data size estimate, region access while
 * stopped, reset and close during a transfer, malformed and mismatched
 * streams (refused, destination usable after reset), and that every
 * golden transfer file in DIR (tests/golden, NAME.mig) loads.
 *
 * Expected values come from the VFIO uAPI (include/uapi/linux/vfio.h) and
 * the 16550A register definitions, not from the driver's code.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mtty_uart.h"
#include "tap.h"
#include "vfio_dev.h"
#include "vfio_uapi.h"

#define XFER_MAX	(64 * 1024)
/* the transfer file's record tags (docs/migration.md) */
#define TAG_HELLO	0x4c48544dU
#define TAG_STATE	0x5453544dU

static struct vdev src, dst, other, deepdev;
static bool has_other, has_deep, kernel_precopy, kernel_data_size;

static const char *state_name(uint32_t s)
{
	static const char *const names[] = {
		"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING",
		"RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ------------------------------------------------- feature ioctls */

static int feature(const struct vdev *d, uint32_t flags, void *data,
		   size_t len)
{
	char buf[sizeof(struct vfio_device_feature) + 64];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	int r;

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	if (data && len)
		memcpy(f->data, data, len);
	r = ioctl(d->fd, VFIO_DEVICE_FEATURE, f);
	if (!r && data && len)
		memcpy(data, f->data, len);
	return r;
}

static int mig_flags(const struct vdev *d, uint64_t *flags)
{
	struct vfio_device_feature_migration m = { 0 };
	int r = feature(d, VFIO_DEVICE_FEATURE_GET |
			VFIO_DEVICE_FEATURE_MIGRATION, &m, sizeof(m));

	*flags = m.flags;
	return r;
}

/* Set the state; returns the data fd (or -2 if none), -1 with errno. */
static int set_state(const struct vdev *d, uint32_t state)
{
	struct vfio_device_feature_mig_state m = { .device_state = state,
						   .data_fd = -2 };

	if (feature(d, VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &m, sizeof(m)))
		return -1;
	return m.data_fd >= 0 ? m.data_fd : -2;
}

static uint32_t get_state(const struct vdev *d)
{
	struct vfio_device_feature_mig_state m = { 0 };

	if (feature(d, VFIO_DEVICE_FEATURE_GET |
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &m, sizeof(m)))
		return 0xffffffff;
	return m.device_state;
}

static int reset(const struct vdev *d)
{
	return ioctl(d->fd, VFIO_DEVICE_RESET);
}

/* read a data fd until end of stream (or ENOMSG in PRE_COPY) */
static ssize_t drain(int fd, uint8_t *buf, size_t len, int *last_errno)
{
	size_t got = 0;
	ssize_t r;

	*last_errno = 0;
	while (got < len) {
		r = read(fd, buf + got, len - got < 7 ? len - got : 7);
		if (r < 0) {
			*last_errno = errno;
			return got;
		}
		if (!r)
			break;
		got += r;
	}
	return got;
}

static int put_all(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		/* odd-sized pieces: records are split across writes */
		size_t n = len - done < 13 ? len - done : 13;

		r = write(fd, buf + done, n);
		if (r < 0)
			return -1;
		done += r;
	}
	return 0;
}

/* ------------------------------------------------------ UART setup */

/*
 * A recognisable state on every port of @d: divisor, 8N1, FIFO with
 * trigger 4, IER RDI|THRI|RLSI, MCR DTR|OUT2, a scratch value and @n
 * bytes received (looped back from THR), port-dependent.
 */
static void prime(const struct vdev *d, int n)
{
	int p, i;

	for (p = 0; p < d->nports; p++) {
		vdev_wr8(d, p, MTTY_UART_LCR, MTTY_LCR_DLAB | 0x03);
		vdev_wr8(d, p, MTTY_UART_DLL, 0x0c + p);
		vdev_wr8(d, p, MTTY_UART_DLM, 0x01);
		vdev_wr8(d, p, MTTY_UART_LCR, 0x03);
		vdev_wr8(d, p, MTTY_UART_FCR, MTTY_FCR_ENABLE | 0x40);
		vdev_wr8(d, p, MTTY_UART_MCR, MTTY_MCR_DTR | MTTY_MCR_OUT2);
		vdev_wr8(d, p, MTTY_UART_SCR, 0xa5 ^ p);
		for (i = 0; i < n; i++)
			vdev_wr8(d, p, MTTY_UART_THR, 'a' + 7 * p + i);
		vdev_wr8(d, p, MTTY_UART_IER, MTTY_IER_RDI | MTTY_IER_THRI |
			 MTTY_IER_RLSI);
	}
}

/* check the state prime(n) left, then read the bytes back */
static void check_primed(const struct vdev *d, int n, const char *what)
{
	int p, i, bad;
	uint8_t lsr, iir;

	for (p = 0; p < d->nports; p++) {
		ok_eq(vdev_rd8(d, p, MTTY_UART_SCR), 0xa5 ^ p,
		      "%s: port %d SCR", what, p);
		ok_eq(vdev_rd8(d, p, MTTY_UART_LCR), 0x03, "%s: port %d LCR",
		      what, p);
		ok_eq(vdev_rd8(d, p, MTTY_UART_MCR),
		      MTTY_MCR_DTR | MTTY_MCR_OUT2, "%s: port %d MCR", what, p);
		ok_eq(vdev_rd8(d, p, MTTY_UART_IER),
		      MTTY_IER_RDI | MTTY_IER_THRI | MTTY_IER_RLSI,
		      "%s: port %d IER", what, p);
		vdev_wr8(d, p, MTTY_UART_LCR, MTTY_LCR_DLAB | 0x03);
		ok_eq(vdev_rd8(d, p, MTTY_UART_DLL) |
		      vdev_rd8(d, p, MTTY_UART_DLM) << 8, 0x010c + p,
		      "%s: port %d divisor", what, p);
		vdev_wr8(d, p, MTTY_UART_LCR, 0x03);
		/* n >= trigger 4: received-data interrupt, FIFOs on */
		iir = vdev_rd8(d, p, MTTY_UART_IIR);
		ok_eq(iir, MTTY_IIR_FIFO_ON | MTTY_IIR_RDI,
		      "%s: port %d IIR (data at trigger level)", what, p);
		bad = 0;
		for (i = 0; i < n; i++) {
			lsr = vdev_rd8(d, p, MTTY_UART_LSR);
			if (!(lsr & MTTY_LSR_DR) ||
			    vdev_rd8(d, p, MTTY_UART_RBR) != 'a' + 7 * p + i)
				bad++;
		}
		ok(!bad, "%s: port %d: %d received bytes in order", what, p, n);
		lsr = vdev_rd8(d, p, MTTY_UART_LSR);
		ok_eq(lsr, MTTY_LSR_THRE | MTTY_LSR_TEMT,
		      "%s: port %d LSR after the FIFO is read empty", what, p);
	}
}

/* ------------------------------------------------------------ tests */

static ssize_t save(const struct vdev *d, uint8_t *buf);

static void test_flags(void)
{
	uint64_t want = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	uint64_t flags = 0;

	if (kernel_precopy)
		want |= VFIO_MIGRATION_PRE_COPY;
	ok(mig_flags(&src, &flags) == 0, "VFIO_DEVICE_FEATURE_MIGRATION");
	ok_eq(flags, want, "migration flags (STOP_COPY|P2P%s)",
	      kernel_precopy ? "|PRE_COPY" : "");
	ok_eq(get_state(&src), VFIO_DEVICE_STATE_RUNNING,
	      "a new device is RUNNING");
}

/* Every arc from every state the device supports, through the core. */
static void test_arcs(void)
{
	static const uint32_t all[] = {
		VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_RUNNING_P2P,
		VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_STOP_COPY,
		VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_PRE_COPY,
		VFIO_DEVICE_STATE_PRE_COPY_P2P,
	};
	unsigned int n = kernel_precopy ? 7 : 5, i, j, bad = 0, cases = 0;
	static uint8_t good[XFER_MAX];
	ssize_t glen;

	/* RESUMING is left only with a stream that loads: one of dst's */
	reset(&dst);
	glen = save(&dst, good);
	set_state(&dst, VFIO_DEVICE_STATE_RUNNING);
	if (!ok(glen > 0, "a stream to resume from (%zd bytes)", glen))
		return;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			uint32_t from = all[i], to = all[j], got;
			int fd1, fd2;
			bool refused;

			if (reset(&src))
				bad++;
			fd1 = set_state(&src, from);
			if (fd1 == -1) {
				tap_comment("cannot reach %s: %s",
					    state_name(from), strerror(errno));
				bad++;
				continue;
			}
			if (from == VFIO_DEVICE_STATE_RESUMING &&
			    put_all(fd1, good, glen))
				bad++;
			fd2 = set_state(&src, to);
			got = get_state(&src);
			/* STOP_COPY -> PRE_COPY* is not permitted */
			refused = from == VFIO_DEVICE_STATE_STOP_COPY &&
				  (to == VFIO_DEVICE_STATE_PRE_COPY ||
				   to == VFIO_DEVICE_STATE_PRE_COPY_P2P);
			if (refused ? fd2 != -1 || got != from :
				      fd2 == -1 || got != to) {
				tap_comment("arc %s -> %s: fd %d (%s), now %s",
					    state_name(from), state_name(to),
					    fd2, fd2 == -1 ? strerror(errno) : "",
					    state_name(got));
				bad++;
			}
			cases++;
			if (fd1 >= 0)
				close(fd1);
			if (fd2 >= 0)
				close(fd2);
		}
	}
	reset(&src);
	ok(!bad, "all %u arcs between the %u states (STOP_COPY -> PRE_COPY* refused)",
	   cases, n);
	ok_eq(get_state(&src), VFIO_DEVICE_STATE_RUNNING, "RUNNING after reset");
}

/* Save @d (STOP_COPY), leaving it in STOP; returns the transfer length. */
static ssize_t save(const struct vdev *d, uint8_t *buf)
{
	int fd, err;
	ssize_t n;

	if (set_state(d, VFIO_DEVICE_STATE_STOP) == -1)
		return -1;
	fd = set_state(d, VFIO_DEVICE_STATE_STOP_COPY);
	if (fd < 0)
		return -1;
	n = drain(fd, buf, XFER_MAX, &err);
	if (err)
		n = -1;
	set_state(d, VFIO_DEVICE_STATE_STOP);
	close(fd);
	return n;
}

/*
 * Load a transfer into @d, from RUNNING to RUNNING.  Returns 0, or the
 * errno of the first step that refused (*at says which: 1 write, 2 the
 * RESUMING -> STOP arc).
 */
static int load(const struct vdev *d, const uint8_t *buf, size_t len, int *at)
{
	int fd, err = 0;

	*at = 0;
	if (set_state(d, VFIO_DEVICE_STATE_STOP) == -1)
		return errno;
	fd = set_state(d, VFIO_DEVICE_STATE_RESUMING);
	if (fd < 0)
		return errno;
	if (put_all(fd, buf, len)) {
		err = errno;
		*at = 1;
	} else if (set_state(d, VFIO_DEVICE_STATE_STOP) == -1) {
		err = errno;
		*at = 2;
	}
	close(fd);
	if (!err && set_state(d, VFIO_DEVICE_STATE_RUNNING) == -1) {
		err = errno;
		*at = 3;
	}
	return err;
}

static void test_stop_copy(void)
{
	static uint8_t buf[XFER_MAX];
	int efd_src = vdev_efd_new(), efd_dst = vdev_efd_new(), at;
	uint8_t v;
	ssize_t n;

	reset(&src);
	reset(&dst);
	vdev_irq_eventfd(&src, VFIO_PCI_INTX_IRQ_INDEX, efd_src);
	vdev_irq_eventfd(&dst, VFIO_PCI_INTX_IRQ_INDEX, efd_dst);
	prime(&src, 9);
	ok(vdev_efd_wait(efd_src, 1000) > 0,
	   "source raised INTx for the received data (then automasked)");

	n = save(&src, buf);
	ok(n > 0, "STOP_COPY: %zd bytes, end of stream", n);
	if (n <= 0)
		return;
	ok_eq(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24,
	      TAG_HELLO, "transfer starts with the HELLO record");

	/* stopped: UART registers refuse access, config space answers */
	errno = 0;
	ok_errno(vdev_rd(&src, 0, MTTY_UART_LSR, &v), EBUSY,
		 "UART read while STOP");
	ok_errno(vdev_wr(&src, 0, MTTY_UART_SCR, 0), EBUSY,
		 "UART write while STOP");
	{
		uint32_t id = 0;

		ok(vdev_cfg_rd(&src, 0, 4, &id) == 0 && id == 0x32534348,
		   "config space readable while STOP (id %08x)", id);
	}

	ok_eq(load(&dst, buf, n, &at), 0, "destination takes the stream");
	/*
	 * The INTx in flight on the source (automasked, line high) is
	 * signalled once on the destination when it runs: its user (QEMU)
	 * does not migrate its own record of it.  Then automasked again.
	 */
	ok(vdev_efd_wait(efd_dst, 1000) > 0,
	   "destination signals the INTx that was in flight, once");
	ok(vdev_efd_wait(efd_dst, 200) == 0, "then automasked: no second signal");
	ok(vdev_intx_unmask(&dst) == 0 && vdev_efd_wait(efd_dst, 1000) > 0,
	   "unmask on the destination re-raises the pending INTx");
	check_primed(&dst, 9, "destination");

	/* the source is untouched by saving and runs on */
	ok(set_state(&src, VFIO_DEVICE_STATE_RUNNING) == -2,
	   "source STOP -> RUNNING");
	check_primed(&src, 9, "source after saving");

	vdev_irq_eventfd(&src, VFIO_PCI_INTX_IRQ_INDEX, -1);
	vdev_irq_eventfd(&dst, VFIO_PCI_INTX_IRQ_INDEX, -1);
	close(efd_src);
	close(efd_dst);
}

static void test_pre_copy(void)
{
	static uint8_t buf[XFER_MAX];
	struct vfio_precopy_info info = { .argsz = sizeof(info) };
	struct vfio_device_feature_mig_data_size ds = { 0 };
	int fd, err, at;
	ssize_t n, m;

	if (!kernel_precopy) {
		tap_comment("PRE_COPY: kernel older than 6.2, not offered");
		return;
	}
	reset(&src);
	reset(&dst);
	prime(&src, 5);
	fd = set_state(&src, VFIO_DEVICE_STATE_PRE_COPY);
	if (!ok(fd >= 0, "RUNNING -> PRE_COPY gives a data fd"))
		return;
	ok(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info) == 0 &&
	   info.initial_bytes == 8 + 12 && info.dirty_bytes == 0,
	   "PRECOPY_INFO: initial 20 (HELLO), dirty 0 (got %llu, %llu)",
	   (unsigned long long)info.initial_bytes,
	   (unsigned long long)info.dirty_bytes);
	n = drain(fd, buf, XFER_MAX, &err);
	ok(n == 20 && err == ENOMSG,
	   "PRE_COPY read: the HELLO, then ENOMSG (got %zd, %s)", n,
	   strerrorname_np(err) ? strerrorname_np(err) : "no error");
	ok(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info) == 0 &&
	   info.initial_bytes == 0, "PRECOPY_INFO: nothing left");
	/* the device still runs: registers answer */
	ok_eq(vdev_rd8(&src, 0, MTTY_UART_SCR), 0xa5, "PRE_COPY: device runs");

	if (kernel_data_size) {
		ok(feature(&src, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &ds,
			   sizeof(ds)) == 0,
		   "VFIO_DEVICE_FEATURE_MIG_DATA_SIZE");
	}
	ok(set_state(&src, VFIO_DEVICE_STATE_STOP_COPY) == -2,
	   "PRE_COPY -> STOP_COPY keeps the same fd");
	ok_errno(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info), EINVAL,
		 "PRECOPY_INFO in STOP_COPY");
	m = drain(fd, buf + n, XFER_MAX - n, &err);
	ok(m > 0 && !err, "STOP_COPY continues the stream: %zd more bytes", m);
	if (kernel_data_size)
		ok_eq(ds.stop_copy_length, n + m,
		      "data size estimate == bytes transferred");
	set_state(&src, VFIO_DEVICE_STATE_STOP);
	close(fd);
	if (m <= 0)
		return;
	ok_eq(load(&dst, buf, n + m, &at), 0,
	      "destination takes the PRE_COPY + STOP_COPY stream");
	check_primed(&dst, 5, "destination (pre-copy)");
	set_state(&src, VFIO_DEVICE_STATE_RUNNING);
}

/* A transfer that ends, one way or another, ends its fd: -ENODEV after. */
static void test_reset_during(void)
{
	static uint8_t buf[64];
	uint8_t v;
	int fd, err;

	reset(&src);
	set_state(&src, VFIO_DEVICE_STATE_STOP);
	fd = set_state(&src, VFIO_DEVICE_STATE_STOP_COPY);
	ok(fd >= 0, "STOP_COPY for the reset test");
	ok(reset(&src) == 0, "VFIO_DEVICE_RESET during STOP_COPY");
	ok_eq(get_state(&src), VFIO_DEVICE_STATE_RUNNING, "RUNNING after reset");
	drain(fd, buf, sizeof(buf), &err);
	ok_eq(err, ENODEV, "the old data fd reads ENODEV");
	close(fd);
	ok(vdev_rd(&src, 0, MTTY_UART_LSR, &v) == 0 && v == 0x60,
	   "UARTs answer again, reset (LSR %02x)", v);

	set_state(&src, VFIO_DEVICE_STATE_STOP);
	fd = set_state(&src, VFIO_DEVICE_STATE_RESUMING);
	ok(fd >= 0, "RESUMING for the reset test");
	ok(reset(&src) == 0, "VFIO_DEVICE_RESET during RESUMING");
	ok_errno(write(fd, buf, 4), ENODEV, "the old data fd refuses writes");
	close(fd);

	/* closing the device ends a transfer too; it reopens RUNNING */
	if (kernel_precopy) {
		fd = set_state(&src, VFIO_DEVICE_STATE_PRE_COPY);
		ok(fd >= 0 && vdev_reopen(&src) == 0,
		   "close and reopen the device during PRE_COPY");
		ok_eq(get_state(&src), VFIO_DEVICE_STATE_RUNNING,
		      "reopened device is RUNNING");
		drain(fd, buf, sizeof(buf), &err);
		ok_eq(err, ENODEV, "the PRE_COPY fd reads ENODEV after close");
		if (fd >= 0)
			close(fd);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* After a refused stream the card must work: reset, RUNNING, loopback. */
static bool usable_after(const struct vdev *d)
{
	uint8_t v = 0;

	if (reset(d) || get_state(d) != VFIO_DEVICE_STATE_RUNNING)
		return false;
	if (vdev_rd8(d, 0, MTTY_UART_SCR) != 0 ||
	    vdev_rd8(d, 0, MTTY_UART_LSR) != 0x60)
		return false;
	vdev_wr8(d, 0, MTTY_UART_THR, 0x5a);
	vdev_rd(d, 0, MTTY_UART_RBR, &v);
	return v == 0x5a;
}

static void refuse(const struct vdev *d, const uint8_t *buf, size_t len,
		   int want_err, int want_at, const char *what)
{
	int at, err = load(d, buf, len, &at);

	ok(err == want_err && at == want_at,
	   "%s: refused with %s at %s", what,
	   strerrorname_np(want_err) ? strerrorname_np(want_err) : "?",
	   want_at == 1 ? "write" : "RESUMING -> STOP");
	if (err != want_err || at != want_at)
		tap_comment("  got %s at step %d", err ?
			    (strerrorname_np(err) ? strerrorname_np(err) : "?") :
			    "success", at);
	if (want_at == 2)
		ok_eq(get_state(d), VFIO_DEVICE_STATE_ERROR,
		      "%s: device in ERROR until reset", what);
	ok(usable_after(d), "%s: destination usable after reset", what);
}

static void test_malformed(void)
{
	static uint8_t good[XFER_MAX], bad[XFER_MAX];
	ssize_t n;
	size_t i;
	int at, err, accepted = 0, refused = 0, broken = 0;

	reset(&src);
	prime(&src, 3);
	n = save(&src, good);
	set_state(&src, VFIO_DEVICE_STATE_RUNNING);
	if (!ok(n > 28, "a good stream to break (%zd bytes)", n))
		return;

	refuse(&dst, good, 0, EMSGSIZE, 2, "empty stream");
	refuse(&dst, good, 18, EMSGSIZE, 2, "truncated HELLO");
	refuse(&dst, good, n - 1, EMSGSIZE, 2, "truncated STATE");
	memcpy(bad, good, n);
	bad[n] = 0;
	refuse(&dst, bad, n + 1, EMSGSIZE, 1, "a byte after STATE");
	memcpy(bad, good, n);
	put32(bad, 0x21212121);
	refuse(&dst, bad, n, EBADMSG, 1, "unknown first record");
	memcpy(bad, good, n);
	put32(bad + 8, 2);
	refuse(&dst, bad, n, EOPNOTSUPP, 1, "file format version 2");
	memcpy(bad, good, n);
	put32(bad + 16, 0x100);
	refuse(&dst, bad, n, EINVAL, 1, "unknown HELLO flag");
	memcpy(bad, good, n);
	put32(bad + 4, 4096);
	refuse(&dst, bad, n, EINVAL, 1, "HELLO of the wrong length");
	memcpy(bad, good, n);
	put32(bad + 24, 0x7fffffff);
	refuse(&dst, bad, n, EMSGSIZE, 1, "STATE longer than any state");
	memcpy(bad, good, n);
	put32(bad + 20, 0x21212121);
	refuse(&dst, bad, n, EBADMSG, 1, "second record not STATE");
	memcpy(bad, good, n);
	bad[28] ^= 0xff;
	refuse(&dst, bad, n, EBADMSG, 2, "STATE with a broken magic");

	if (has_other)
		refuse(&other, good, n, ENODEV, 1,
		       "stream of another card type");
	if (has_deep && src.nports == 1)
		refuse(&deepdev, good, n, ENODEV, 1,
		       "stream of a plain card into a deep one");

	/* every single-byte corruption: refused cleanly or loaded whole */
	for (i = 0; i < (size_t)n; i++) {
		memcpy(bad, good, n);
		bad[i] ^= 0x80 | (i & 0x7f);
		err = load(&dst, bad, n, &at);
		if (!err)
			accepted++;
		else
			refused++;
		if (!usable_after(&dst))
			broken++;
	}
	ok(!broken, "%zd single-byte corruptions: %d refused, %d loaded, "
	   "card usable after each", n, refused, accepted);
}

static void test_golden(const char *dir)
{
	static uint8_t buf[XFER_MAX];
	struct dirent *e;
	int nfiles = 0, at, err;
	DIR *dd = opendir(dir);

	if (!ok(dd != NULL, "golden transfer files in %s", dir))
		return;
	while ((e = readdir(dd))) {
		char path[512];
		const struct vdev *d;
		ssize_t n;
		int fd, want_ports;
		bool deep;

		if (!strstr(e->d_name, ".mig"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
		if (!ok(n > 20, "read %s", e->d_name))
			continue;
		want_ports = buf[12];
		deep = buf[16] & 1;
		if (deep)
			d = has_deep && want_ports == 1 ? &deepdev : NULL;
		else
			d = want_ports == dst.nports ? &dst :
			    has_other && want_ports == other.nports ? &other :
			    NULL;
		if (!ok(d != NULL, "%s: a %d-port%s device to load it into",
			e->d_name, want_ports, deep ? " deep" : ""))
			continue;
		nfiles++;
		reset(d);
		err = load(d, buf, n, &at);
		ok(!err, "golden %s loads (%s)", e->d_name,
		   err ? strerror(err) : "ok");
		set_state(d, VFIO_DEVICE_STATE_RUNNING);
		reset(d);
	}
	closedir(dd);
	ok(nfiles > 0, "%d golden files loaded on this kernel", nfiles);
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio_mig [--golden DIR] [--deep DEEP] SRC DST [OTHER]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *golden = NULL, *deep_uuid = NULL, *uuids[3] = { 0 };
	struct utsname u;
	int i, nu = 0, maj = 0, min = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--golden") && i + 1 < argc)
			golden = argv[++i];
		else if (!strcmp(argv[i], "--deep") && i + 1 < argc)
			deep_uuid = argv[++i];
		else if (argv[i][0] == '-' || nu == 3)
			usage();
		else
			uuids[nu++] = argv[i];
	}
	if (nu < 2)
		usage();
	/* the kernel's release decides what the uAPI offers: 6.2 PRE_COPY */
	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	kernel_precopy = maj > 6 || (maj == 6 && min >= 2);
	kernel_data_size = kernel_precopy;
	tap_comment("vfio_mig on %s: PRE_COPY %s", u.release,
		    kernel_precopy ? "expected" : "not expected");

	tap_tag("mig");
	if (!ok(vdev_open(&src, uuids[0]) == 0, "open source %s", uuids[0]) ||
	    !ok(vdev_open(&dst, uuids[1]) == 0, "open destination %s",
		uuids[1]))
		return tap_done("vfio_mig");
	ok(src.nports > 0 && src.nports == dst.nports,
	   "source and destination have one type (%d ports)", src.nports);
	if (uuids[2]) {
		has_other = ok(vdev_open(&other, uuids[2]) == 0 &&
			       other.nports != src.nports,
			       "open %s of another type", uuids[2]);
	}

	if (deep_uuid)
		has_deep = ok(vdev_open(&deepdev, deep_uuid) == 0 &&
			      deepdev.nports == 1, "open deep mtty-1 %s",
			      deep_uuid);
	if (has_deep) {
		/* a deep card's stream into a plain one: another card */
		static uint8_t buf[XFER_MAX];
		ssize_t n = save(&deepdev, buf);
		int at;

		ok(n > 20 && (buf[16] & 1), "deep card's HELLO has the deep flag");
		set_state(&deepdev, VFIO_DEVICE_STATE_RUNNING);
		if (n > 0 && has_other && other.nports == 1)
			ok_eq(load(&other, buf, n, &at), ENODEV,
			      "deep stream into a plain mtty-1 refused");
		if (n > 0 && src.nports == 1)
			ok_eq(load(&src, buf, n, &at), ENODEV,
			      "deep stream into a plain mtty-1 refused");
		reset(&other);
		reset(&src);
	}

	test_flags();
	test_arcs();
	test_stop_copy();
	test_pre_copy();
	test_reset_during();
	test_malformed();
	if (golden)
		test_golden(golden);
	ok(vdev_io_errors == 0, "no unexpected register access errors (%u)",
	   vdev_io_errors);

	vdev_close(&src);
	vdev_close(&dst);
	if (has_other)
		vdev_close(&other);
	if (has_deep)
		vdev_close(&deepdev);
	return tap_done("vfio_mig");
}
