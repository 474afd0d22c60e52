// SPDX-License-Identifier: GPL-2.0-only
/* vfio_dev.c - see vfio_dev.h */
#define _GNU_SOURCE
#include <errno.h>
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

static int type_ports(const char *uuid)
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

static int fail(const char *step)
{
	int err = errno;

	tap_comment("vdev_open: %s: %s", step, strerror(err));
	return -err;
}

int vdev_open(struct vdev *d, const char *uuid)
{
	char path[256], link[256], gpath[300];
	const char *base;
	ssize_t n;
	int type;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	d->nports = type_ports(uuid);

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return fail(path);
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%s", base);

	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return fail("open /dev/vfio/vfio");
	d->group = open(gpath, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return fail(gpath);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	type = ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
	       VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(d->container, VFIO_SET_IOMMU, type))
		return fail("VFIO_SET_IOMMU");
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (d->fd < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	return 0;
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

static void io_error(const char *what, int port, int reg)
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
		io_error("read", port, reg);
		return 0xff;
	}
	return v;
}

void vdev_wr8(const struct vdev *d, int port, int reg, uint8_t val)
{
	if (vdev_wr(d, port, reg, val))
		io_error("write", port, reg);
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
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
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

int vdev_irq_eventfd(const struct vdev *d, uint32_t index, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	int32_t f = fd;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->count = 1;
	memcpy(s->data, &f, sizeof(f));
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
}

int vdev_intx_unmask(const struct vdev *d)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};

	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s);
}
