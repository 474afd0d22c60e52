// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_fuzz - hostile VFIO user and stress tool for mtty, run inside the
 * L1 test VM (static, busybox environment).
 *
 *   vfio_fuzz fuzz [-n OPS] [-t SECS] [-s SEED] UUID...
 *	random VFIO ioctls (valid and invalid argsz, flags, indexes, counts,
 *	eventfds, bad pointers), region reads/writes at random offsets and
 *	sizes (across region ends, unaligned), config writes, resets, device
 *	fd and whole-stack close/reopen; interleaved with checked operations
 *	(lossless loopback transfer, reset values, BAR sizing, INTx automask)
 *	whose results must match the device spec.  Stops after OPS operations
 *	or SECS seconds, whichever is first.
 *   vfio_fuzz unpriv PATH...
 *	as uid/gid 65534, open(PATH, O_RDWR) must fail with EACCES.
 *   vfio_fuzz pool [-j THREADS] [-n ITERS] [-o OPEN%]
 *	threads creating (random type) and removing mdevs in parallel; the
 *	only allowed create error is ENOSPC, removal must succeed, and the
 *	ports held never exceed the pool (max_ports from sysfs).
 *   vfio_fuzz openrace [-j THREADS] [-n ITERS] UUID
 *	threads racing to open the group (0 or EBUSY) and, through one group,
 *	to get device fds of the same device concurrently (all must work).
 *   vfio_fuzz hold [-r] [-t SECS] UUID
 *	open the device (with -r a REQ eventfd), print "holding", then wait:
 *	with -r until the request arrives (then close, exit 0; exit 1 on
 *	timeout), without -r until killed or SECS pass.
 *   vfio_fuzz xfer UUID
 *	endless checked loopback traffic on every port (to be killed).
 *   vfio_fuzz verify UUID
 *	open, check reset state, and move 4 KiB through every port.
 *   vfio_fuzz leak [-n CYCLES] [-b KIB]
 *	create/open/close/remove CYCLES devices of both types; compare slab
 *	usage (every cache in /proc/slabinfo after shrinking, and SUnreclaim)
 *	against a warmed-up baseline.  Fails if any cache grew by CYCLES/2
 *	objects or more (one leaked object per device) or SUnreclaim by more
 *	than KIB.
 *
 * Output follows the test protocol: "ok - ..." / "not ok - ..." / "# ...".
 * Exit status 0 only if nothing failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "mtty_uart.h"
#include "tap.h"
#include "vfio_dev.h"
#include "vfio_uapi.h"

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

#define PARENT		"/sys/devices/virtual/mtty/mtty"
#define TYPES		PARENT "/mdev_supported_types"
#define MDEV_DEVICES	"/sys/bus/mdev/devices"

#define CFG_INDEX	VFIO_PCI_CONFIG_REGION_INDEX
#define NUM_REGIONS	VFIO_PCI_NUM_REGIONS
#define NUM_IRQS	VFIO_PCI_NUM_IRQS
#define MAX_DEVS	16
#define MAX_REPORTS	25


/* the first MAX_REPORTS failures are printed, all are counted (tap.h) */
#define fail(...)	ok(false, __VA_ARGS__)
#define pass(...)	ok(true, __VA_ARGS__)
#define die(...)	tap_bail("vfio_fuzz", __VA_ARGS__)

/* ---- random numbers (xorshift64*, per thread) ---- */

static __thread uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static unsigned int rn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return rn(100) < pct;
}

static void seed_rng(uint64_t s)
{
	rng_state = s ? s : 1;
	rnd();
}

/* ---- sysfs ---- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t r;
	int err;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s));
	err = r < 0 ? -errno : 0;
	close(fd);
	return err;
}

static long read_long(const char *path)
{
	char buf[64];
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	return strtol(buf, NULL, 0);
}

static void new_uuid(char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i, j = 0;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			out[i] = '-';
		else if (i == 14)
			out[i] = '4';
		else if (i == 19)
			out[i] = hex[8 + rn(4)];
		else
			out[i] = hex[rn(16)];
		j++;
	}
	out[36] = 0;
}

static int mdev_create(int type, const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), TYPES "/mtty-%d/create", type);
	return write_str(path, uuid);
}

static int mdev_remove(const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	return write_str(path, "1");
}

/* ---- the VFIO stack of one device ---- */

struct dev {
	struct vdev v;		/* uuid, nports, container, group, fd */
	int group_no;
	int fd2;		/* a second device fd, sometimes open */
	int efd[NUM_IRQS];	/* eventfds last installed (ours to close) */
};

static int open_stack(struct dev *d)
{
	d->fd2 = -1;
	return vdev_open_flags(&d->v, d->v.uuid, VDEV_OPEN_QUIET);
}

static void close_stack(struct dev *d)
{
	int i;

	if (d->fd2 >= 0)
		close(d->fd2);
	d->fd2 = -1;
	vdev_close(&d->v);
	for (i = 0; i < NUM_IRQS; i++) {
		if (d->efd[i] >= 0)
			close(d->efd[i]);
		d->efd[i] = -1;
	}
}

static int dev_init(struct dev *d, const char *uuid)
{
	int i;

	memset(d, 0, sizeof(*d));
	snprintf(d->v.uuid, sizeof(d->v.uuid), "%s", uuid);
	for (i = 0; i < NUM_IRQS; i++)
		d->efd[i] = -1;
	d->fd2 = d->v.fd = d->v.group = d->v.container = -1;
	d->group_no = vdev_group_no(uuid);
	if (d->group_no < 0 || vdev_type_ports(uuid) < 0)
		return -ENODEV;
	return open_stack(d);
}

/* ---- register access through the device fd: a failure is a failed check ---- */

static int rd(struct dev *d, int port, int reg, uint8_t *v)
{
	if (vdev_rd(&d->v, port, reg, v)) {
		fail("%s: read port %d reg %d: %s", d->v.uuid, port, reg,
		     strerror(errno));
		return -1;
	}
	return 0;
}

static int wr(struct dev *d, int port, int reg, uint8_t v)
{
	if (vdev_wr(&d->v, port, reg, v)) {
		fail("%s: write port %d reg %d: %s", d->v.uuid, port, reg,
		     strerror(errno));
		return -1;
	}
	return 0;
}

static int cfg_rd(struct dev *d, unsigned int off, unsigned int len, uint32_t *v)
{
	*v = 0;
	if (vdev_cfg_rd(&d->v, off, len, v)) {
		fail("%s: config read %u@%#x: %s", d->v.uuid, len, off,
		     strerror(errno));
		return -1;
	}
	return 0;
}

static int cfg_wr(struct dev *d, unsigned int off, unsigned int len, uint32_t v)
{
	if (vdev_cfg_wr(&d->v, off, len, v)) {
		fail("%s: config write %u@%#x: %s", d->v.uuid, len, off,
		     strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- fuzzing state ---- */

static uint8_t *guard_page;	/* followed by an inaccessible page */
static long page_size;
static unsigned long stat_ops[32];
static unsigned long stat_errno[8];	/* 0, EINVAL, ENOTTY, EFAULT, EBADF, other */
static unsigned long stat_other[160];	/* the "other" errnos */

static void count_result(long r)
{
	int e = r >= 0 ? 0 : errno;

	switch (e) {
	case 0: stat_errno[0]++; break;
	case EINVAL: stat_errno[1]++; break;
	case ENOTTY: stat_errno[2]++; break;
	case EFAULT: stat_errno[3]++; break;
	case EBADF: stat_errno[4]++; break;
	default:
		stat_errno[5]++;
		if (e > 0 && e < 160)
			stat_other[e]++;
		break;
	}
}

/* A buffer of @len bytes ending right before the inaccessible page. */
static void *edge_buf(size_t len)
{
	if (len > (size_t)page_size)
		len = page_size;
	return guard_page + page_size - len;
}

static uint32_t fuzz_argsz(uint32_t minsz)
{
	switch (rn(8)) {
	case 0: return 0;
	case 1: return minsz - 1 - rn(minsz);
	case 2: return minsz + rn(64);
	case 3: return rnd();
	case 4: return 0xffffffff;
	default: return minsz;
	}
}

static uint32_t fuzz_index(unsigned int n)
{
	switch (rn(6)) {
	case 0: return rnd();
	case 1: return n + rn(4);
	case 2: return 0xffffffff;
	default: return rn(n);
	}
}

static int region_size(struct dev *d, unsigned int index)
{
	if (index == CFG_INDEX)
		return 256;
	if (index < (unsigned int)d->v.nports)
		return 8;
	return 0;
}

static void fuzz_get_info(struct dev *d)
{
	struct vfio_device_info *info;
	uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	uint8_t buf[256];
	long r;

	if (chance(5)) {
		/* the struct straddles the end of the mapping */
		info = edge_buf(minsz - 1 - rn(minsz - 1));
		r = ioctl(d->v.fd, VFIO_DEVICE_GET_INFO, info);
		count_result(r);
		if (r != -1 || errno != EFAULT)
			fail("GET_INFO across a mapping end: %ld errno %d, want EFAULT",
			     r, errno);
		return;
	}
	memset(buf, rn(256), sizeof(buf));
	info = (void *)buf;
	info->argsz = fuzz_argsz(minsz);
	info->flags = rnd();
	r = ioctl(d->v.fd, VFIO_DEVICE_GET_INFO, info);
	count_result(r);
	if (info->argsz < minsz) {
		if (r != -1 || errno != EINVAL)
			fail("GET_INFO argsz %u: %ld errno %d, want EINVAL",
			     info->argsz, r, errno);
		return;
	}
	if (r != 0)
		fail("GET_INFO argsz %u: %ld errno %d", info->argsz, r, errno);
	else if (!(info->flags & VFIO_DEVICE_FLAGS_PCI) ||
		 !(info->flags & VFIO_DEVICE_FLAGS_RESET) ||
		 info->num_regions != NUM_REGIONS || info->num_irqs != NUM_IRQS)
		fail("GET_INFO: flags %#x regions %u irqs %u", info->flags,
		     info->num_regions, info->num_irqs);
}

static void fuzz_region_info(struct dev *d)
{
	uint32_t minsz = offsetofend(struct vfio_region_info, offset);
	uint8_t buf[256];
	struct vfio_region_info *ri = (void *)buf;
	uint32_t index;
	long r;

	if (chance(5)) {
		ri = edge_buf(4 + rn(minsz - 4));
		ri->argsz = minsz;
		r = ioctl(d->v.fd, VFIO_DEVICE_GET_REGION_INFO, ri);
		count_result(r);
		if (r != -1 || errno != EFAULT)
			fail("GET_REGION_INFO across a mapping end: %ld errno %d",
			     r, errno);
		return;
	}
	memset(buf, rn(256), sizeof(buf));
	ri->argsz = fuzz_argsz(minsz);
	ri->index = index = fuzz_index(NUM_REGIONS);
	r = ioctl(d->v.fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	count_result(r);
	if (ri->argsz < minsz || index >= NUM_REGIONS) {
		if (r != -1 || errno != EINVAL)
			fail("GET_REGION_INFO argsz %u index %u: %ld errno %d, want EINVAL",
			     ri->argsz, index, r, errno);
		return;
	}
	if (r) {
		fail("GET_REGION_INFO index %u: errno %d", index, errno);
		return;
	}
	if (ri->index != index || ri->offset != VDEV_REGION_OFF(index) ||
	    ri->size != (uint64_t)region_size(d, index) ||
	    ri->flags != (ri->size ? VFIO_REGION_INFO_FLAG_READ |
			  VFIO_REGION_INFO_FLAG_WRITE : 0u))
		fail("GET_REGION_INFO %u: offset %#llx size %llu flags %#x", index,
		     (unsigned long long)ri->offset, (unsigned long long)ri->size,
		     ri->flags);
}

static void fuzz_irq_info(struct dev *d)
{
	static const uint32_t cnt[NUM_IRQS] = { 1, 1, 0, 1, 1 };
	static const uint32_t flg[NUM_IRQS] = {
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			VFIO_IRQ_INFO_AUTOMASKED,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		0, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_INFO_EVENTFD,
	};
	uint32_t minsz = offsetofend(struct vfio_irq_info, count);
	uint8_t buf[256];
	struct vfio_irq_info *ii = (void *)buf;
	uint32_t index;
	long r;

	memset(buf, rn(256), sizeof(buf));
	ii->argsz = fuzz_argsz(minsz);
	ii->index = index = fuzz_index(NUM_IRQS);
	r = ioctl(d->v.fd, VFIO_DEVICE_GET_IRQ_INFO, ii);
	count_result(r);
	if (ii->argsz < minsz || index >= NUM_IRQS) {
		if (r != -1 || errno != EINVAL)
			fail("GET_IRQ_INFO argsz %u index %u: %ld errno %d, want EINVAL",
			     ii->argsz, index, r, errno);
		return;
	}
	if (r)
		fail("GET_IRQ_INFO %u: errno %d", index, errno);
	else if (ii->count != cnt[index] || ii->flags != flg[index])
		fail("GET_IRQ_INFO %u: count %u flags %#x, want %u %#x", index,
		     ii->count, ii->flags, cnt[index], flg[index]);
}

/* An fd for SET_IRQS data: usually a fresh eventfd, sometimes hostile. */
static int32_t fuzz_fd(struct dev *d, int *fresh)
{
	int fd;

	*fresh = -1;
	switch (rn(10)) {
	case 0: return -1;
	case 1: return -2 - rn(100);
	case 2: return d->v.container;		/* not an eventfd */
	case 3: return 1000 + rn(1000);		/* not open */
	case 4: return INT32_MAX;
	default:
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		*fresh = fd;
		return fd;
	}
}

static void fuzz_set_irqs(struct dev *d)
{
	static const uint32_t cnt[NUM_IRQS] = { 1, 1, 0, 1, 1 };
	uint32_t minsz = offsetofend(struct vfio_irq_set, count);
	uint8_t buf[512] __attribute__((aligned(8)));
	struct vfio_irq_set *hs = (void *)buf;
	int32_t *fds = (int32_t *)hs->data;
	int fresh[8], i, nfresh = 0, valid = 1, dt, act, sz = 0;
	uint32_t max;
	long r;

	memset(buf, 0, sizeof(buf));
	hs->argsz = sizeof(buf);
	hs->index = fuzz_index(NUM_IRQS);
	hs->start = chance(85) ? 0 : rnd();
	hs->count = chance(80) ? rn(2) : (chance(50) ? rnd() : 2 + rn(4));
	if (chance(85)) {
		hs->flags = (1u << rn(3)) |
			    (VFIO_IRQ_SET_ACTION_MASK << rn(3));
	} else {
		hs->flags = rnd() & (chance(50) ? 0x3f : 0xffffffff);
	}
	dt = hs->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	act = hs->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	if (dt == VFIO_IRQ_SET_DATA_EVENTFD) {
		for (i = 0; i < 8; i++) {
			fds[i] = fuzz_fd(d, &fresh[nfresh]);
			if (fresh[nfresh] >= 0)
				nfresh++;
		}
		sz = 4;
	} else if (dt == VFIO_IRQ_SET_DATA_BOOL) {
		for (i = 0; i < 8; i++)
			hs->data[i] = chance(50) ? rn(256) : 1;
		sz = 1;
	}
	if (chance(10))
		hs->argsz = fuzz_argsz(minsz);

	/* vfio_set_irqs_validate_and_prepare() and the action decode */
	max = hs->index < NUM_IRQS ? cnt[hs->index] : 0;
	if (hs->argsz < minsz || hs->index >= NUM_IRQS ||
	    hs->count >= UINT32_MAX - hs->start ||
	    (hs->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			   VFIO_IRQ_SET_ACTION_TYPE_MASK)) ||
	    hs->start >= max || hs->start + hs->count > max)
		valid = 0;
	if (dt != VFIO_IRQ_SET_DATA_NONE && dt != VFIO_IRQ_SET_DATA_BOOL &&
	    dt != VFIO_IRQ_SET_DATA_EVENTFD)
		valid = 0;
	if (valid && sz && hs->argsz - minsz < (uint64_t)hs->count * sz)
		valid = 0;
	if (act != VFIO_IRQ_SET_ACTION_MASK && act != VFIO_IRQ_SET_ACTION_UNMASK &&
	    act != VFIO_IRQ_SET_ACTION_TRIGGER)
		valid = 0;

	if (chance(3)) {
		/* data past the end of the mapping: EFAULT (or EINVAL first) */
		void *p = edge_buf(minsz + (sz ? sz * hs->count - 1 : 0));

		if (sz && hs->count && hs->count < 64) {
			memcpy(p, hs, minsz);
			r = ioctl(d->v.fd, VFIO_DEVICE_SET_IRQS, p);
			count_result(r);
			if (r == 0 || (errno != EFAULT && errno != EINVAL))
				fail("SET_IRQS with data across a mapping end: %ld errno %d",
				     r, errno);
			goto out;
		}
	}
	r = ioctl(d->v.fd, VFIO_DEVICE_SET_IRQS, hs);
	count_result(r);
	if (!valid) {
		if (r != -1 || errno != EINVAL)
			fail("SET_IRQS argsz %u index %u start %u count %u flags %#x: %ld errno %d, want EINVAL",
			     hs->argsz, hs->index, hs->start, hs->count, hs->flags,
			     r, errno);
	} else if (r) {
		/* state-dependent refusals the spec allows */
		if (errno != EINVAL && errno != EBADF && errno != ENOTTY)
			fail("SET_IRQS index %u count %u flags %#x: errno %d",
			     hs->index, hs->count, hs->flags, errno);
	} else if (act == VFIO_IRQ_SET_ACTION_TRIGGER &&
		   dt == VFIO_IRQ_SET_DATA_EVENTFD && hs->count == 1 &&
		   fds[0] >= 0) {
		/* installed: keep the eventfd, close the one it replaces */
		for (i = 0; i < nfresh; i++) {
			if (fresh[i] == fds[0]) {
				if (d->efd[hs->index] >= 0)
					close(d->efd[hs->index]);
				d->efd[hs->index] = fresh[i];
				fresh[i] = -1;
			}
		}
	}
	/* a valid trigger with fd -1 or DATA_NONE count 0 must succeed */
	if (valid && act == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    ((dt == VFIO_IRQ_SET_DATA_EVENTFD && hs->count == 1 && fds[0] == -1) ||
	     dt == VFIO_IRQ_SET_DATA_NONE) && r)
		fail("SET_IRQS disable/loopback index %u count %u: errno %d",
		     hs->index, hs->count, errno);
out:
	for (i = 0; i < nfresh; i++)
		if (fresh[i] >= 0)
			close(fresh[i]);
}

/* ioctl numbers the device fd must answer with ENOTTY */
static unsigned long fuzz_unknown_cmd(void)
{
	unsigned long cmd;
	unsigned int type, nr;

	for (;;) {
		if (chance(50)) {
			nr = VFIO_BASE + 12 + rn(40);
			if (nr == VFIO_BASE + 17)	/* DEVICE_FEATURE: core */
				continue;
			cmd = _IO(VFIO_TYPE, nr);
			if (chance(30))
				cmd |= (unsigned long)(1 + rn(3)) << _IOC_DIRSHIFT |
				       (unsigned long)rn(1 << 14) << _IOC_SIZESHIFT;
			return cmd;
		}
		cmd = (uint32_t)rnd();
		type = _IOC_TYPE(cmd);
		nr = _IOC_NR(cmd);
		/* the VFS handles some ioctls itself (FIONREAD, FIGETBSZ, ...) */
		if (type == 0 || type == 'T' || type == 'X' || type == 'f' ||
		    type == 0x94 || type == 0x15 || type == '$')
			continue;
		if (type == VFIO_TYPE && nr >= VFIO_BASE + 7 && nr <= VFIO_BASE + 11)
			continue;
		if (type == VFIO_TYPE && nr == VFIO_BASE + 17)
			continue;
		return cmd;
	}
}

static void fuzz_unknown_ioctl(struct dev *d)
{
	unsigned long cmd = fuzz_unknown_cmd();
	uint8_t buf[64];
	long r;

	memset(buf, rn(256), sizeof(buf));
	r = ioctl(d->v.fd, cmd, chance(20) ? (void *)(uintptr_t)rnd() : buf);
	count_result(r);
	if (r != -1 || errno != ENOTTY)
		fail("ioctl %#lx: %ld errno %d, want ENOTTY", cmd, r, errno);
}

/*
 * The features of VFIO migration v2, which mtty implements (12:
 * MIG_PRECOPY_INFOv2, Linux 7.1, answered by the core for every device
 * with migration; not in Debian 12's uapi header).
 */
static bool feature_implemented(uint32_t feature)
{
	switch (feature) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
	case 12:
		return true;
	}
	return false;
}

static void fuzz_feature(struct dev *d)
{
	uint8_t buf[64];
	struct vfio_device_feature *f = (void *)buf;
	long r;

	memset(buf, 0, sizeof(buf));
	f->argsz = fuzz_argsz(sizeof(*f));
	f->flags = chance(50) ? rnd() : (rn(16) | (VFIO_DEVICE_FEATURE_GET << rn(3)));
	r = ioctl(d->v.fd, VFIO_DEVICE_FEATURE, f);
	count_result(r);
	/*
	 * Handled by the VFIO core; mtty implements only VFIO migration v2
	 * (mig_ops, log_ops): every other feature must fail.
	 */
	if (r == 0 && !(f->flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    !feature_implemented(f->flags & VFIO_DEVICE_FEATURE_MASK))
		fail("DEVICE_FEATURE flags %#x succeeded", f->flags);
}

static void fuzz_rw(struct dev *d, int write)
{
	uint8_t buf[1024];
	unsigned int index, size;
	uint64_t off;
	size_t count;
	int valid;
	ssize_t r;

	index = chance(90) ? rn(NUM_REGIONS) : fuzz_index(NUM_REGIONS + 4);
	size = region_size(d, index);
	switch (rn(5)) {
	case 0: off = rnd() & (VDEV_REGION_OFF(1) - 1); break;
	case 1: off = size + rn(8) - 4; break;	/* around the end */
	default: off = size ? rn(size) : rn(16); break;
	}
	switch (rn(5)) {
	case 0: count = rn(sizeof(buf)); break;
	case 1: count = size > off ? size - off + rn(3) : rn(4); break;
	default: count = 1 + rn(4); break;
	}
	if (off > VDEV_REGION_OFF(1) - 1)
		off &= VDEV_REGION_OFF(1) - 1;
	valid = size && off < size && count <= size - off;
	if (write)
		for (size_t i = 0; i < count; i++)
			buf[i] = rn(256);
	if (chance(3) && valid && count) {
		/* user buffer partly unmapped */
		void *p = edge_buf(count - 1);

		r = write ? pwrite(d->v.fd, p, count, VDEV_REGION_OFF(index) + off)
			  : pread(d->v.fd, p, count, VDEV_REGION_OFF(index) + off);
		count_result(r);
		if (count > 1 && (r != -1 || errno != EFAULT))
			fail("%s %zu@%u:%#llx into an unmapped page: %zd errno %d",
			     write ? "write" : "read", count, index,
			     (unsigned long long)off, r, errno);
		return;
	}
	if (write && index == CFG_INDEX && count && off < 0x40 && chance(50)) {
		/* keep the BARs mostly decoding: a guest would */
		buf[0] &= 0xf7;
	}
	r = write ? pwrite(d->v.fd, buf, count, VDEV_REGION_OFF(index) + off)
		  : pread(d->v.fd, buf, count, VDEV_REGION_OFF(index) + off);
	count_result(r);
	if (count == 0) {
		if (r != 0 && !(r == -1 && errno == EINVAL))
			fail("%s 0@%u:%#llx: %zd errno %d", write ? "write" : "read",
			     index, (unsigned long long)off, r, errno);
	} else if (valid) {
		if (r != (ssize_t)count)
			fail("%s %zu@%u:%#llx: %zd errno %d, want %zu",
			     write ? "write" : "read", count, index,
			     (unsigned long long)off, r, errno, count);
	} else if (r != -1 || errno != EINVAL) {
		fail("%s %zu@%u:%#llx (region size %u): %zd errno %d, want EINVAL",
		     write ? "write" : "read", count, index,
		     (unsigned long long)off, size, r, errno);
	}
}

static void fuzz_uart_write(struct dev *d)
{
	static const uint8_t fcr[] = { 0x00, 0x01, 0x07, 0xc7, 0x87, 0x06, 0x27 };
	int port = rn(d->v.nports);
	int reg = rn(8);
	uint8_t v = rn(256);

	if (reg == MTTY_UART_FCR && chance(60))
		v = fcr[rn(sizeof(fcr))];
	if (reg == MTTY_UART_LCR && chance(70))
		v &= 0x7f;
	wr(d, port, reg, v);
}

static void fuzz_uart_read(struct dev *d)
{
	uint8_t v;

	rd(d, rn(d->v.nports), rn(8), &v);
}

/* ---- checked operations ---- */

/* Send @n bytes through @port honouring THRE; all must come back in order. */
static void check_loopback(struct dev *d, int port, unsigned int n)
{
	uint8_t lsr, v, expect[4096];
	unsigned int sent = 0, got = 0, depth, spins = 0, i;
	int fifo = chance(70);

	if (n > sizeof(expect))
		n = sizeof(expect);
	for (i = 0; i < n; i++)
		expect[i] = rnd();
	if (wr(d, port, MTTY_UART_LCR, 0x03) || wr(d, port, MTTY_UART_IER, rn(16)) ||
	    /* FCR clears act only with FCR0 = 1; 0x00 then leaves FIFO mode */
	    wr(d, port, MTTY_UART_FCR, 0x07 | (fifo ? rn(4) << 6 : 0)) ||
	    (!fifo && wr(d, port, MTTY_UART_FCR, 0x00)) ||
	    wr(d, port, MTTY_UART_MCR, rn(32)))
		return;
	depth = fifo ? 16 : 1;
	while (got < n) {
		if (++spins > 100000) {
			fail("%s port %d: loopback stalled at %u/%u sent, %u received",
			     d->v.uuid, port, sent, n, got);
			return;
		}
		if (rd(d, port, MTTY_UART_LSR, &lsr))
			return;
		if ((lsr & 0x20) && sent < n) {
			for (i = 0; i < depth && sent < n; i++)
				if (wr(d, port, MTTY_UART_RBR, expect[sent++]))
					return;
		}
		if (lsr & 0x01) {
			if (rd(d, port, MTTY_UART_RBR, &v))
				return;
			if (v != expect[got]) {
				fail("%s port %d: loopback byte %u is %#x, want %#x",
				     d->v.uuid, port, got, v, expect[got]);
				return;
			}
			got++;
		}
	}
	if (rd(d, port, MTTY_UART_LSR, &lsr))
		return;
	if ((lsr & 0x61) != 0x60)
		fail("%s port %d: LSR %#x after loopback (want idle)", d->v.uuid,
		     port, lsr);
}

static void check_reset(struct dev *d)
{
	static const struct { int reg; uint8_t val; } rv[] = {
		{ MTTY_UART_IER, 0 }, { MTTY_UART_IIR, 0x01 }, { MTTY_UART_LCR, 0 }, { MTTY_UART_MCR, 0 },
		{ MTTY_UART_LSR, 0x60 }, { MTTY_UART_MSR, 0 }, { MTTY_UART_SCR, 0 },
	};
	unsigned int i;
	uint32_t v;
	uint8_t b;
	int p;

	if (ioctl(d->v.fd, VFIO_DEVICE_RESET)) {
		fail("%s: VFIO_DEVICE_RESET: %s", d->v.uuid, strerror(errno));
		return;
	}
	for (p = 0; p < d->v.nports; p++)
		for (i = 0; i < sizeof(rv) / sizeof(rv[0]); i++) {
			if (rd(d, p, rv[i].reg, &b))
				return;
			if (b != rv[i].val)
				fail("%s port %d reg %d after reset: %#x want %#x",
				     d->v.uuid, p, rv[i].reg, b, rv[i].val);
		}
	if (!cfg_rd(d, 0x04, 2, &v) && v != 0)
		fail("%s: command %#x after reset", d->v.uuid, v);
	for (p = 0; p < 6; p++)
		if (!cfg_rd(d, 0x10 + 4 * p, 4, &v) && v != (p < d->v.nports ? 1u : 0u))
			fail("%s: BAR%d %#x after reset", d->v.uuid, p, v);
	if (!cfg_rd(d, 0, 4, &v) && v != 0x32534348)
		fail("%s: ids %#x after reset", d->v.uuid, v);
}

static void check_bar_sizing(struct dev *d)
{
	int bar = rn(6);
	uint32_t old, v;

	if (cfg_rd(d, 0x10 + 4 * bar, 4, &old) ||
	    cfg_wr(d, 0x10 + 4 * bar, 4, 0xffffffff) ||
	    cfg_rd(d, 0x10 + 4 * bar, 4, &v))
		return;
	if (v != (bar < d->v.nports ? 0xfffffff9u : 0u))
		fail("%s: BAR%d sizing read %#x", d->v.uuid, bar, v);
	cfg_wr(d, 0x10 + 4 * bar, 4, old);
}

static int efd_count(int fd, int ms)
{
	return (int)vdev_efd_wait(fd, ms);
}

static int set_irq(struct dev *d, uint32_t index, uint32_t flags, uint32_t count,
		   int32_t fd)
{
	return vdev_set_irqs(&d->v, flags, index, 0, count, &fd, 0);
}

/* INTx fires on THRE, is automasked, and fires again on unmask. */
static void check_intx(struct dev *d)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	const uint32_t trig = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	const uint32_t unmask = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	int p, n;

	if (efd < 0)
		return;
	/* quiet every port, disable MSI, enable INTx */
	for (p = 0; p < d->v.nports; p++)
		if (wr(d, p, MTTY_UART_LCR, 0) || wr(d, p, MTTY_UART_IER, 0))
			goto out;
	if (set_irq(d, VFIO_PCI_MSI_IRQ_INDEX, trig, 1, -1) ||
	    set_irq(d, VFIO_PCI_INTX_IRQ_INDEX, trig, 1, efd)) {
		fail("%s: installing the INTx eventfd: %s", d->v.uuid, strerror(errno));
		goto out;
	}
	if (d->efd[VFIO_PCI_INTX_IRQ_INDEX] >= 0)
		close(d->efd[VFIO_PCI_INTX_IRQ_INDEX]);
	d->efd[VFIO_PCI_INTX_IRQ_INDEX] = efd;
	if (cfg_wr(d, 0x04, 2, 0x0001))
		return;
	efd_count(efd, 0);
	if (set_irq(d, VFIO_PCI_INTX_IRQ_INDEX, unmask, 1, 0))
		fail("%s: INTx unmask: %s", d->v.uuid, strerror(errno));
	if (efd_count(efd, 0))
		fail("%s: INTx fired with every IER clear", d->v.uuid);
	p = rn(d->v.nports);
	wr(d, p, MTTY_UART_FCR, 0x07);
	wr(d, p, MTTY_UART_IER, 0x02);		/* THRI with TX empty: THRE pending */
	n = efd_count(efd, 2000);
	if (n != 1)
		fail("%s port %d: INTx on THRE signalled %d times, want 1",
		     d->v.uuid, p, n);
	wr(d, p, MTTY_UART_IER, 0);
	wr(d, p, MTTY_UART_IER, 0x02);		/* again: still automasked */
	if (efd_count(efd, 50))
		fail("%s port %d: INTx signalled while automasked", d->v.uuid, p);
	if (set_irq(d, VFIO_PCI_INTX_IRQ_INDEX, unmask, 1, 0))
		fail("%s: INTx unmask: %s", d->v.uuid, strerror(errno));
	if (efd_count(efd, 2000) != 1)
		fail("%s port %d: INTx not re-signalled on unmask with the line high",
		     d->v.uuid, p);
	wr(d, p, MTTY_UART_IER, 0);
	set_irq(d, VFIO_PCI_INTX_IRQ_INDEX, unmask, 1, 0);
	if (efd_count(efd, 50))
		fail("%s port %d: INTx signalled on unmask with the line low",
		     d->v.uuid, p);
	return;
out:
	close(efd);
}

static void reopen_device(struct dev *d)
{
	int fd;

	switch (rn(4)) {
	case 0:		/* second fd on the same device, then drop one */
		if (d->fd2 < 0) {
			d->fd2 = ioctl(d->v.group, VFIO_GROUP_GET_DEVICE_FD, d->v.uuid);
			if (d->fd2 < 0)
				fail("%s: second GET_DEVICE_FD: %s", d->v.uuid,
				     strerror(errno));
		} else if (chance(50)) {
			close(d->fd2);
			d->fd2 = -1;
		} else {
			close(d->v.fd);
			d->v.fd = d->fd2;
			d->fd2 = -1;
		}
		break;
	case 1: {	/* bogus device names */
		char name[300];
		size_t i, len = rn(sizeof(name) - 1);
		void *p;

		for (i = 0; i < len; i++)
			name[i] = 1 + rn(255);
		name[len] = 0;
		if (chance(30))
			snprintf(name, sizeof(name), "%.*s", (int)rn(36), d->v.uuid);
		p = name;
		if (chance(10)) {
			/* a name running into the unmapped page, no NUL */
			p = edge_buf(16);
			memset(p, 'a', 16);
		}
		fd = ioctl(d->v.group, VFIO_GROUP_GET_DEVICE_FD, p);
		count_result(fd);
		if (fd >= 0) {
			fail("%s: GET_DEVICE_FD with a bogus name succeeded", d->v.uuid);
			close(fd);
		}
		break;
	}
	default: {	/* close and reopen everything */
		int e;

		close_stack(d);
		e = open_stack(d);
		if (e)
			die("%s: reopening the VFIO stack: %s", d->v.uuid, strerror(-e));
		/* a fresh open starts from a reset device */
		uint8_t lsr;

		if (!rd(d, 0, MTTY_UART_LSR, &lsr) && lsr != 0x60)
			fail("%s: LSR %#x after reopen", d->v.uuid, lsr);
		break;
	}
	}
}

static void fuzz_mmap(struct dev *d)
{
	unsigned int index = rn(NUM_REGIONS + 1);
	void *p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       d->v.fd, VDEV_REGION_OFF(index));

	if (p != MAP_FAILED) {
		fail("%s: mmap of region %u succeeded", d->v.uuid, index);
		munmap(p, page_size);
	}
}

enum {
	OP_RW, OP_UART_W, OP_UART_R, OP_CFG_W, OP_INFO, OP_REGION, OP_IRQINFO,
	OP_SETIRQS, OP_UNKNOWN, OP_FEATURE, OP_RESET, OP_MMAP, OP_LOOPBACK,
	OP_CHECK_RESET, OP_SIZING, OP_INTX, OP_REOPEN, OP_NUM
};
static const char *const op_names[OP_NUM] = {
	"rw", "uart-w", "uart-r", "cfg-w", "info", "region", "irqinfo",
	"set_irqs", "unknown", "feature", "reset", "mmap", "loopback",
	"check-reset", "sizing", "intx", "reopen",
};

static volatile sig_atomic_t alarm_op = -1;
static volatile unsigned long alarm_count;

static void on_alarm(int sig)
{
	char msg[160];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "not ok - vfio_fuzz: operation %lu (%s) hung (watchdog)\n",
		     alarm_count, alarm_op >= 0 ? op_names[alarm_op] : "?");
	if (write(1, msg, n) < 0)
		_exit(3);
	_exit(2);
}

static int cmd_fuzz(int argc, char **argv)
{
	unsigned long ops = 100000, done = 0;
	double secs = 60, t0;
	uint64_t seed = 0;
	struct dev devs[MAX_DEVS];
	int ndev = 0, opt, i;
	struct sigaction sa = { .sa_handler = on_alarm };

	while ((opt = getopt(argc, argv, "n:t:s:")) != -1) {
		switch (opt) {
		case 'n': ops = strtoul(optarg, NULL, 0); break;
		case 't': secs = atof(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	seed_rng(seed);
	tap_comment("vfio_fuzz: seed %" PRIu64 ", %lu ops, %.0f s max", seed, ops, secs);
	for (; optind < argc && ndev < MAX_DEVS; optind++) {
		int e = dev_init(&devs[ndev], argv[optind]);

		if (e)
			die("vfio_fuzz: opening %s: %s", argv[optind], strerror(-e));
		ndev++;
	}
	if (!ndev)
		die("vfio_fuzz: no device given");
	sigaction(SIGALRM, &sa, NULL);

	t0 = tap_now();
	while (done < ops) {
		struct dev *d = &devs[rn(ndev)];
		unsigned int w = rn(1000);
		int op;

		if (!(done & 255) && tap_now() - t0 > secs)
			break;
		if (w < 260) op = OP_RW;
		else if (w < 450) op = OP_UART_W;
		else if (w < 560) op = OP_UART_R;
		else if (w < 600) op = OP_CFG_W;
		else if (w < 640) op = OP_INFO;
		else if (w < 700) op = OP_REGION;
		else if (w < 740) op = OP_IRQINFO;
		else if (w < 860) op = OP_SETIRQS;
		else if (w < 920) op = OP_UNKNOWN;
		else if (w < 935) op = OP_FEATURE;
		else if (w < 960) op = OP_RESET;
		else if (w < 965) op = OP_MMAP;
		else if (w < 975) op = OP_LOOPBACK;
		else if (w < 982) op = OP_CHECK_RESET;
		else if (w < 990) op = OP_SIZING;
		else if (w < 993) op = OP_INTX;
		else op = OP_REOPEN;

		alarm_op = op;
		alarm_count = done;
		alarm(op == OP_INTX || op == OP_LOOPBACK ? 30 : 10);
		switch (op) {
		case OP_RW: fuzz_rw(d, rn(2)); break;
		case OP_UART_W: fuzz_uart_write(d); break;
		case OP_UART_R: fuzz_uart_read(d); break;
		case OP_CFG_W: {
			unsigned int len = 1u << rn(3), off = rn(0x40) & ~(len - 1);

			cfg_wr(d, off, len, rnd());
			break;
		}
		case OP_INFO: fuzz_get_info(d); break;
		case OP_REGION: fuzz_region_info(d); break;
		case OP_IRQINFO: fuzz_irq_info(d); break;
		case OP_SETIRQS: fuzz_set_irqs(d); break;
		case OP_UNKNOWN: fuzz_unknown_ioctl(d); break;
		case OP_FEATURE: fuzz_feature(d); break;
		case OP_RESET:
			if (ioctl(d->v.fd, VFIO_DEVICE_RESET))
				fail("%s: reset: %s", d->v.uuid, strerror(errno));
			break;
		case OP_MMAP: fuzz_mmap(d); break;
		case OP_LOOPBACK:
			check_loopback(d, rn(d->v.nports), 1 + rn(200));
			break;
		case OP_CHECK_RESET: check_reset(d); break;
		case OP_SIZING: check_bar_sizing(d); break;
		case OP_INTX: check_intx(d); break;
		case OP_REOPEN: reopen_device(d); break;
		}
		alarm(0);
		stat_ops[op]++;
		done++;
	}
	alarm(0);
	for (i = 0; i < ndev; i++)
		close_stack(&devs[i]);

	{
		char line[1024];
		int n = 0;

		for (i = 0; i < OP_NUM; i++)
			n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
				      op_names[i], stat_ops[i]);
		tap_comment("vfio_fuzz: ops:%s", line);
		tap_comment("vfio_fuzz: results: ok=%lu EINVAL=%lu ENOTTY=%lu EFAULT=%lu EBADF=%lu other=%lu",
			stat_errno[0], stat_errno[1], stat_errno[2], stat_errno[3],
			stat_errno[4], stat_errno[5]);
		n = 0;
		line[0] = 0;
		for (i = 1; i < 160; i++)
			if (stat_other[i])
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      strerrorname_np(i) ? strerrorname_np(i) : "?",
					      stat_other[i]);
		if (n)
			tap_comment("vfio_fuzz: other errnos:%s", line);
	}
	if (tap_failed() > MAX_REPORTS)
		tap_comment("vfio_fuzz: %u more failures not shown", tap_failed() - MAX_REPORTS);
	if (done < ops)
		tap_comment("vfio_fuzz: time limit reached after %lu of %lu ops", done, ops);
	tap_max_reports(0);	/* the verdict is always printed */
	if (tap_failed())
		fail("vfio_fuzz: %lu ops on %d devices in %.1f s (seed %" PRIu64 "): %u failed checks",
		     done, ndev, tap_now() - t0, seed, tap_failed());
	else
		pass("vfio_fuzz: %lu ops on %d devices in %.1f s (seed %" PRIu64 "), every result as specified",
		     done, ndev, tap_now() - t0, seed);
	printf("VFIO_FUZZ_OPS %lu\n", done);
	return tap_failed() ? 1 : 0;
}

/* ---- unprivileged open ---- */

static int cmd_unpriv(int argc, char **argv)
{
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			int fd;

			if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
				fail("unpriv: cannot drop privileges: %s",
				     strerror(errno));
				_exit(2);
			}
			if (getuid() != 65534 || geteuid() != 65534) {
				fail("unpriv: still uid %d/%d after setuid(65534)",
				     (int)getuid(), (int)geteuid());
				_exit(2);
			}
			fd = open(argv[i], O_RDWR);
			if (fd >= 0) {
				fail("unpriv: uid 65534 opened %s", argv[i]);
				_exit(1);
			}
			if (errno != EACCES) {
				fail("unpriv: uid 65534 open %s: %s, want EACCES",
				     argv[i], strerror(errno));
				_exit(1);
			}
			pass("unpriv: uid 65534 cannot open %s (EACCES)", argv[i]);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
		fflush(stdout);
	}
	return bad ? 1 : 0;
}

/* ---- pool stress: parallel create/remove ---- */

static int pool_ports;
static int pool_held;		/* ports of devices known to exist */
static unsigned long pool_iters, pool_open_pct;
static unsigned long pool_created, pool_full, pool_opened;

static void *pool_thread(void *arg)
{
	unsigned long i;

	seed_rng((uintptr_t)arg * 7919 + tap_now() * 1e6);
	for (i = 0; i < pool_iters; i++) {
		int type = 1 + rn(2), e, held;
		char uuid[40];

		new_uuid(uuid);
		e = mdev_create(type, uuid);
		if (e == -ENOSPC) {
			__atomic_add_fetch(&pool_full, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (e) {
			fail("pool: create mtty-%d %s: %s", type, uuid, strerror(-e));
			continue;
		}
		held = __atomic_add_fetch(&pool_held, type, __ATOMIC_SEQ_CST);
		if (held > pool_ports)
			fail("pool: %d ports in use, pool is %d", held, pool_ports);
		__atomic_add_fetch(&pool_created, 1, __ATOMIC_RELAXED);
		if (chance(pool_open_pct)) {
			struct dev d;

			e = dev_init(&d, uuid);
			if (e) {
				fail("pool: open %s: %s", uuid, strerror(-e));
			} else {
				uint8_t lsr;

				if (!rd(&d, rn(d.v.nports), MTTY_UART_LSR, &lsr) && lsr != 0x60)
					fail("pool: %s LSR %#x on a new device", uuid, lsr);
				close_stack(&d);
				__atomic_add_fetch(&pool_opened, 1, __ATOMIC_RELAXED);
			}
		}
		/* release the ports before the removal returns them */
		__atomic_sub_fetch(&pool_held, type, __ATOMIC_SEQ_CST);
		e = mdev_remove(uuid);
		if (e)
			fail("pool: remove %s: %s", uuid, strerror(-e));
	}
	return NULL;
}

static int cmd_pool(int argc, char **argv)
{
	int threads = 8, opt, i;
	pthread_t tid[64];
	double t0;

	pool_iters = 100;
	pool_open_pct = 20;
	while ((opt = getopt(argc, argv, "j:n:o:")) != -1) {
		switch (opt) {
		case 'j': threads = atoi(optarg); break;
		case 'n': pool_iters = strtoul(optarg, NULL, 0); break;
		case 'o': pool_open_pct = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (threads < 1 || threads > 64)
		threads = 8;
	pool_ports = read_long("/sys/module/mtty/parameters/max_ports");
	if (pool_ports <= 0)
		die("pool: cannot read max_ports");
	t0 = tap_now();
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, pool_thread, (void *)(uintptr_t)(i + 1)))
			die("pthread_create");
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	tap_comment("pool: %d threads x %lu: %lu created (%lu opened), %lu ENOSPC, %.1f s",
		threads, pool_iters, pool_created, pool_opened, pool_full, tap_now() - t0);
	if (!pool_created || !pool_full)
		tap_comment("pool: note: %s", !pool_created ? "nothing created" :
			"the pool never ran full");
	tap_max_reports(0);	/* the verdict is always printed */
	if (tap_failed())
		fail("pool: parallel create/remove on a %d-port pool: %u failures",
		     pool_ports, tap_failed());
	else if (!pool_created)
		fail("pool: parallel create/remove: no device was created");
	else
		pass("pool: %d threads created/removed %lu devices on a %d-port pool (%lu ENOSPC, never over-committed)",
		     threads, pool_created, pool_ports, pool_full);
	return tap_failed() ? 1 : 0;
}

/* ---- concurrent opens of one device ---- */

static const char *race_uuid;
static int race_group_no, race_group_fd = -1;
static unsigned long race_iters;
static unsigned long race_group_ok, race_group_busy, race_dev_ok;

static void *race_group_thread(void *arg)
{
	char path[64];
	unsigned long i;

	(void)arg;
	snprintf(path, sizeof(path), "/dev/vfio/%d", race_group_no);
	for (i = 0; i < race_iters; i++) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			__atomic_add_fetch(&race_group_ok, 1, __ATOMIC_RELAXED);
			close(fd);
		} else if (errno == EBUSY) {
			__atomic_add_fetch(&race_group_busy, 1, __ATOMIC_RELAXED);
		} else {
			fail("openrace: open %s: %s", path, strerror(errno));
		}
	}
	return NULL;
}

static void *race_dev_thread(void *arg)
{
	unsigned long i;

	seed_rng((uintptr_t)arg);
	for (i = 0; i < race_iters; i++) {
		int fd = ioctl(race_group_fd, VFIO_GROUP_GET_DEVICE_FD, race_uuid);
		uint8_t v;

		if (fd < 0) {
			fail("openrace: GET_DEVICE_FD: %s", strerror(errno));
			continue;
		}
		if (pread(fd, &v, 1, VDEV_REGION_OFF(CFG_INDEX)) != 1 || v != 0x48)
			fail("openrace: config read through a raced fd");
		if (chance(20))
			ioctl(fd, VFIO_DEVICE_RESET);
		close(fd);
		__atomic_add_fetch(&race_dev_ok, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int cmd_openrace(int argc, char **argv)
{
	int threads = 4, opt, i;
	pthread_t tid[64];
	struct dev d;
	int e;

	race_iters = 200;
	while ((opt = getopt(argc, argv, "j:n:")) != -1) {
		switch (opt) {
		case 'j': threads = atoi(optarg); break;
		case 'n': race_iters = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (optind >= argc)
		die("openrace: no UUID");
	if (threads < 1 || threads > 64)
		threads = 4;
	race_uuid = argv[optind];
	race_group_no = vdev_group_no(race_uuid);
	if (race_group_no < 0)
		die("openrace: no group for %s", race_uuid);

	/* phase 1: racing opens of the group file */
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, race_group_thread, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	if (!race_group_ok)
		fail("openrace: the group never opened");
	tap_comment("openrace: group opens: %lu ok, %lu EBUSY", race_group_ok,
		race_group_busy);

	/* phase 2: racing device opens through one group */
	e = dev_init(&d, race_uuid);
	if (e)
		die("openrace: open %s: %s", race_uuid, strerror(-e));
	race_group_fd = d.v.group;
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, race_dev_thread, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	close_stack(&d);
	if (race_dev_ok != race_iters * threads)
		fail("openrace: %lu of %lu device opens worked", race_dev_ok,
		     race_iters * threads);
	if (!tap_failed())
		pass("openrace: %d threads: %lu group opens (%lu EBUSY), %lu concurrent device opens",
		     threads, race_group_ok, race_group_busy, race_dev_ok);
	return tap_failed() ? 1 : 0;
}

/* ---- hold the device across a removal ---- */

static int cmd_hold(int argc, char **argv)
{
	int req = 0, opt, efd = -1, e;
	double secs = 60;
	struct dev d;

	while ((opt = getopt(argc, argv, "rt:")) != -1) {
		switch (opt) {
		case 'r': req = 1; break;
		case 't': secs = atof(optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc)
		die("hold: no UUID");
	e = dev_init(&d, argv[optind]);
	if (e)
		die("hold: open %s: %s", argv[optind], strerror(-e));
	if (req) {
		efd = eventfd(0, EFD_CLOEXEC);
		if (set_irq(&d, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
			    VFIO_IRQ_SET_ACTION_TRIGGER, 1, efd))
			die("hold: REQ eventfd: %s", strerror(errno));
	}
	printf("holding %s\n", d.v.uuid);
	fflush(stdout);
	if (req) {
		int n = efd_count(efd, secs * 1000);

		if (n <= 0) {
			printf("hold: no request within %.0f s\n", secs);
			return 1;
		}
		printf("hold: device release requested (%d)\n", n);
		fflush(stdout);
		close_stack(&d);
		close(efd);
		return 0;
	}
	usleep(secs * 1e6);
	close_stack(&d);
	return 0;
}

/* ---- traffic to be killed, and the check afterwards ---- */

static int cmd_xfer(int argc, char **argv)
{
	struct dev d;
	unsigned long rounds = 0;
	int e;

	if (argc < 2)
		die("xfer: no UUID");
	e = dev_init(&d, argv[1]);
	if (e)
		die("xfer: open %s: %s", argv[1], strerror(-e));
	seed_rng(getpid());
	printf("xfer: running\n");
	fflush(stdout);
	for (;;) {
		int p;

		for (p = 0; p < d.v.nports; p++)
			check_loopback(&d, p, 64);
		if (tap_failed())
			return 1;
		if (!(++rounds % 64)) {
			/* leave bytes in flight when the kill comes */
			wr(&d, 0, MTTY_UART_LCR, 0x03);
			wr(&d, 0, MTTY_UART_RBR, 0x55);
		}
	}
}

static int cmd_verify(int argc, char **argv)
{
	struct dev d;
	uint8_t lsr;
	int e, p;

	if (argc < 2)
		die("verify: no UUID");
	e = dev_init(&d, argv[1]);
	if (e) {
		fail("verify: open %s: %s", argv[1], strerror(-e));
		return 1;
	}
	seed_rng(getpid());
	for (p = 0; p < d.v.nports; p++)
		if (!rd(&d, p, MTTY_UART_LSR, &lsr) && lsr != 0x60)
			fail("verify: %s port %d LSR %#x on open (want 0x60)",
			     d.v.uuid, p, lsr);
	check_reset(&d);
	for (p = 0; p < d.v.nports; p++)
		check_loopback(&d, p, 4096);
	close_stack(&d);
	if (!tap_failed())
		pass("verify: %s opens reset and moves 4 KiB per port losslessly",
		     argv[1]);
	return tap_failed() ? 1 : 0;
}

/* ---- leak check ---- */

#define MAX_CACHES 512
struct slabs {
	int n;
	char name[MAX_CACHES][64];
	long objs[MAX_CACHES];
	long objsize[MAX_CACHES];
	long sunreclaim;	/* KiB */
};

static void shrink_all(void)
{
	DIR *dir = opendir("/sys/kernel/slab");
	struct dirent *de;
	char path[512];

	sync();
	write_str("/proc/sys/vm/drop_caches", "3");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", de->d_name);
		write_str(path, "1");
	}
	closedir(dir);
}

static void read_slabs(struct slabs *s)
{
	FILE *f;
	char line[512];

	memset(s, 0, sizeof(*s));
	usleep(500000);		/* let RCU-deferred frees complete */
	shrink_all();
	f = fopen("/proc/slabinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
			long active, num, size;
			char name[64];

			if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num,
				   &size) != 4)
				continue;
			snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
			s->objs[s->n] = active;
			s->objsize[s->n] = size;
			s->n++;
		}
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SUnreclaim: %ld", &s->sunreclaim) == 1)
				break;
		fclose(f);
	}
}

static void churn(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		int type = 1 + (i & 1), e;
		char uuid[40];
		struct dev d;

		new_uuid(uuid);
		e = mdev_create(type, uuid);
		if (e) {
			fail("leak: create mtty-%d: %s", type, strerror(-e));
			return;
		}
		e = dev_init(&d, uuid);
		if (e) {
			fail("leak: open %s: %s", uuid, strerror(-e));
		} else {
			int efd = eventfd(0, EFD_CLOEXEC);
			uint8_t v;

			/* touch regions and interrupts so their paths are covered */
			rd(&d, 0, MTTY_UART_LSR, &v);
			wr(&d, 0, MTTY_UART_RBR, 0x41);
			set_irq(&d, (i & 2) ? VFIO_PCI_MSI_IRQ_INDEX :
				VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				VFIO_IRQ_SET_ACTION_TRIGGER, 1, efd);
			set_irq(&d, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				VFIO_IRQ_SET_ACTION_TRIGGER, 1, efd);
			wr(&d, 0, MTTY_UART_IER, 0x03);
			close(efd);
			close_stack(&d);
		}
		e = mdev_remove(uuid);
		if (e) {
			fail("leak: remove %s: %s", uuid, strerror(-e));
			return;
		}
	}
}

static int cmd_leak(int argc, char **argv)
{
	unsigned long n = 1000;
	long bound_kib = 512, worst = 0;
	static struct slabs a, b;
	int opt, i, j, worst_i = -1, tries;
	double t0;

	while ((opt = getopt(argc, argv, "n:b:")) != -1) {
		switch (opt) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'b': bound_kib = atol(optarg); break;
		default: return 2;
		}
	}
	seed_rng(getpid());
	churn(n / 5 + 10);	/* warm up caches, sysfs, per-cpu slabs */
	read_slabs(&a);
	t0 = tap_now();
	churn(n);
	tap_comment("leak: %lu create/open/close/remove cycles in %.1f s", n, tap_now() - t0);
	/*
	 * Objects freed through RCU (debugfs dentries of a migratable vfio
	 * device, kobject names) are still on their way back after the last
	 * removal: measure again, after a second each, up to 5 times, before
	 * calling growth a leak.  A real leak does not shrink.
	 */
	for (tries = 1;; tries++) {
		read_slabs(&b);
		worst = 0;
		worst_i = -1;
		for (i = 0; i < b.n; i++) {
			for (j = 0; j < a.n; j++)
				if (!strcmp(a.name[j], b.name[i]))
					break;
			if (j == a.n)
				continue;
			if (b.objs[i] - a.objs[j] > worst) {
				worst = b.objs[i] - a.objs[j];
				worst_i = i;
			}
		}
		if ((worst < (long)n / 2 &&
		     b.sunreclaim - a.sunreclaim <= bound_kib) || tries == 5)
			break;
		sleep(1);
	}
	if (!a.n)
		tap_comment("leak: /proc/slabinfo not readable, SUnreclaim only");
	for (i = 0; i < b.n; i++) {
		for (j = 0; j < a.n; j++)
			if (!strcmp(a.name[j], b.name[i]))
				break;
		if (j < a.n && b.objs[i] - a.objs[j] >= (long)n / 4)
			tap_comment("leak: cache %s: %ld -> %ld objects of %ld bytes",
				b.name[i], a.objs[j], b.objs[i], b.objsize[i]);
	}
	tap_comment("leak: SUnreclaim %ld -> %ld KiB; largest cache growth %ld objects (%s); measured %d time(s)",
		a.sunreclaim, b.sunreclaim, worst, worst_i >= 0 ? b.name[worst_i] : "-", tries);
	if (tap_failed())
		return 1;
	if (worst >= (long)n / 2)
		fail("leak: cache %s grew by %ld objects over %lu devices",
		     b.name[worst_i], worst, n);
	else if (b.sunreclaim - a.sunreclaim > bound_kib)
		fail("leak: SUnreclaim grew by %ld KiB over %lu devices (bound %ld KiB)",
		     b.sunreclaim - a.sunreclaim, n, bound_kib);
	else
		pass("leak: %lu device lifecycles: no slab cache grew by %lu+ objects (max %ld), SUnreclaim %+ld KiB (bound %ld)",
		     n, n / 2, worst, b.sunreclaim - a.sunreclaim, bound_kib);
	return tap_failed() ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	tap_max_reports(MAX_REPORTS);
	page_size = sysconf(_SC_PAGESIZE);
	guard_page = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_page == MAP_FAILED || mprotect(guard_page + page_size, page_size,
						 PROT_NONE))
		die("guard page: %s", strerror(errno));
	if (argc < 2) {
		fprintf(stderr, "usage: vfio_fuzz fuzz|unpriv|pool|openrace|hold|xfer|verify|leak ...\n");
		return 2;
	}
	argc--;
	argv++;
	if (!strcmp(argv[0], "fuzz"))
		return cmd_fuzz(argc, argv);
	if (!strcmp(argv[0], "unpriv"))
		return cmd_unpriv(argc, argv);
	if (!strcmp(argv[0], "pool"))
		return cmd_pool(argc, argv);
	if (!strcmp(argv[0], "openrace"))
		return cmd_openrace(argc, argv);
	if (!strcmp(argv[0], "hold"))
		return cmd_hold(argc, argv);
	if (!strcmp(argv[0], "xfer"))
		return cmd_xfer(argc, argv);
	if (!strcmp(argv[0], "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(argv[0], "leak"))
		return cmd_leak(argc, argv);
	fprintf(stderr, "vfio_fuzz: unknown command %s\n", argv[0]);
	return 2;
}
