// SPDX-License-Identifier: GPL-2.0-only
/* vfio_dev.c - see vfio_dev.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "tap.h"
#include "vfio_dev.h"

unsigned int vdev_io_errors;

/* the last component of the symlink @path, "" if it is none */
static const char *link_base(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);
	const char *base;

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	base = strrchr(buf, '/');
	return base ? base + 1 : buf;
}

int vdev_type_ports(const char *uuid)
{
	char path[256], link[256];
	const char *base;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type", uuid);
	base = link_base(path, link, sizeof(link));
	if (!base)
		return -1;
	if (!strcmp(base, "mtty-1"))
		return 1;
	if (!strcmp(base, "mtty-2"))
		return 2;
	return -1;
}

int vdev_group_no(const char *uuid)
{
	char path[256], link[256];
	const char *base;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	base = link_base(path, link, sizeof(link));
	return base && *base ? atoi(base) : -1;
}

/*
 * One step of vdev_open: with VDEV_OPEN_ASSERT a test case, else silent
 * when it works.  False (with errno kept) if it failed.
 */
static bool step(unsigned int flags, bool cond, const char *what)
{
	int err = errno;

	if (flags & VDEV_OPEN_ASSERT)
		ok(cond, "%s", what);
	if (!cond && !(flags & VDEV_OPEN_QUIET))
		tap_comment("vdev_open: %s: %s", what, strerror(err));
	errno = err;
	return cond;
}

int vdev_open_flags(struct vdev *d, const char *uuid, unsigned int flags)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	bool assert = flags & VDEV_OPEN_ASSERT;
	char what[128], gpath[32], name[sizeof(d->uuid)];
	int no, type, r;

	snprintf(name, sizeof(name), "%s", uuid);	/* may be d->uuid */
	uuid = name;
	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	d->nports = vdev_type_ports(uuid);

	no = vdev_group_no(uuid);
	if (!step(flags, no >= 0, "iommu_group link of the mdev exists"))
		goto fail;
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (!step(flags, d->container >= 0, "open /dev/vfio/vfio"))
		goto fail;
	if (assert) {
		ok(ioctl(d->container, VFIO_GET_API_VERSION) == VFIO_API_VERSION,
		   "VFIO_GET_API_VERSION == %d", VFIO_API_VERSION);
		ok(ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0,
		   "container supports VFIO_TYPE1_IOMMU");
	}
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", no);
	snprintf(what, sizeof(what), "open group %s", gpath);
	d->group = open(gpath, O_RDWR | O_CLOEXEC);
	if (!step(flags, d->group >= 0, what))
		goto fail;
	r = ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs);
	snprintf(what, sizeof(what), "group is viable (flags 0x%x)", gs.flags);
	/* not viable: SET_CONTAINER says so (EPERM) */
	step(flags, r == 0 && (gs.flags & VFIO_GROUP_FLAGS_VIABLE), what);
	if (!step(flags, !ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container),
		  "VFIO_GROUP_SET_CONTAINER"))
		goto fail;
	type = ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
	       VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (!step(flags, !ioctl(d->container, VFIO_SET_IOMMU, type),
		  "VFIO_SET_IOMMU type1"))
		goto fail;
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	snprintf(what, sizeof(what), "VFIO_GROUP_GET_DEVICE_FD(%s)", uuid);
	if (!step(flags, d->fd >= 0, what))
		goto fail;
	return 0;
fail:
	r = errno ? -errno : -EIO;
	vdev_close(d);
	return r;
}

int vdev_open(struct vdev *d, const char *uuid)
{
	return vdev_open_flags(d, uuid, 0);
}

int vdev_reopen(struct vdev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->uuid);
	return d->fd < 0 ? -errno : 0;
}

void vdev_close(struct vdev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

int vdev_rd(const struct vdev *d, int port, int reg, uint8_t *val)
{
	ssize_t r = pread(d->fd, val, 1, VDEV_REGION_OFF(port) + reg);

	return r == 1 ? 0 : -1;
}

int vdev_wr(const struct vdev *d, int port, int reg, uint8_t val)
{
	ssize_t r = pwrite(d->fd, &val, 1, VDEV_REGION_OFF(port) + reg);

	return r == 1 ? 0 : -1;
}

void vdev_io_error(const char *what, int port, int reg)
{
	vdev_io_errors++;
	if (vdev_io_errors <= 5)
		tap_comment("I/O error: %s port %d reg %d: %s", what, port, reg,
			    strerror(errno));
}

uint8_t vdev_rd8(const struct vdev *d, int port, int reg)
{
	uint8_t v;

	if (vdev_rd(d, port, reg, &v)) {
		vdev_io_error("read", port, reg);
		return 0xff;
	}
	return v;
}

void vdev_wr8(const struct vdev *d, int port, int reg, uint8_t val)
{
	if (vdev_wr(d, port, reg, val))
		vdev_io_error("write", port, reg);
}

int vdev_cfg_rd(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t *val)
{
	uint8_t b[4] = { 0 };
	ssize_t r = pread(d->fd, b, size,
			  VDEV_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	if (r != (ssize_t)size)
		return -1;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

uint32_t vdev_cfg(const struct vdev *d, unsigned int off, unsigned int size)
{
	uint32_t v;

	if (vdev_cfg_rd(d, off, size, &v)) {
		vdev_io_error("config read", -1, off);
		return 0xdeadbeef;
	}
	return v;
}

int vdev_cfg_wr(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t val)
{
	uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };
	ssize_t r = pwrite(d->fd, b, size,
			   VDEV_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return r == (ssize_t)size ? 0 : -1;
}

int vdev_efd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		tap_bail("vdev", "eventfd: %s", strerror(errno));
	return fd;
}

uint64_t vdev_efd_wait(int fd, int ms)
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

void vdev_efd_drain(int fd)
{
	uint64_t cnt;

	while (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt))
		;
}

int vdev_set_irqs(const struct vdev *d, uint32_t flags, uint32_t index,
		  uint32_t start, uint32_t count, const int32_t *fds,
		  uint32_t argsz_adj)
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
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
}

int vdev_irq_eventfd(const struct vdev *d, uint32_t index, int fd)
{
	int32_t f = fd;

	return vdev_set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1, &f, 0);
}

int vdev_irq_disable(const struct vdev *d, uint32_t index)
{
	return vdev_set_irqs(d, VFIO_IRQ_SET_DATA_NONE |
			     VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0, NULL, 0);
}

int vdev_intx_mask(const struct vdev *d)
{
	return vdev_set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
}

int vdev_intx_unmask(const struct vdev *d)
{
	return vdev_set_irqs(d, VFIO_IRQ_SET_DATA_NONE |
			     VFIO_IRQ_SET_ACTION_UNMASK,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
}
