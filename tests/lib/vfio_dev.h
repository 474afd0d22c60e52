/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_dev.h - one mtty mediated device opened through the VFIO group
 * interface (its own container), and access to its regions and IRQs.
 * Shared by the VFIO test programs.  UART register names come from the
 * driver's own header (driver/mtty_uart.h).
 */
#ifndef MTTY_VFIO_DEV_H
#define MTTY_VFIO_DEV_H

#include <stdint.h>
#include <sys/types.h>

#define VDEV_REGION_OFF(idx)	((uint64_t)(idx) << 40)

struct vdev {
	char uuid[40];
	int container;
	int group;
	int fd;
	int nports;	/* from the mdev type in sysfs, -1 if unknown */
};

/* Open mdev @uuid; 0 or -errno (with a comment saying which step). */
int vdev_open(struct vdev *d, const char *uuid);
void vdev_close(struct vdev *d);
/* Close and open the device fd again (same container and group). */
int vdev_reopen(struct vdev *d);

/* UART register access: -1 with errno on failure */
int vdev_rd(const struct vdev *d, int port, int reg, uint8_t *val);
int vdev_wr(const struct vdev *d, int port, int reg, uint8_t val);
/* the same, any failure reported as 0xff / counted in vdev_io_errors */
uint8_t vdev_rd8(const struct vdev *d, int port, int reg);
void vdev_wr8(const struct vdev *d, int port, int reg, uint8_t val);
extern unsigned int vdev_io_errors;

int vdev_cfg_rd(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t *val);
int vdev_cfg_wr(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t val);

int vdev_efd_new(void);
/* wait up to @ms for eventfd @fd: its counter, 0 on timeout */
uint64_t vdev_efd_wait(int fd, int ms);
void vdev_efd_drain(int fd);
/* VFIO_DEVICE_SET_IRQS of one eventfd trigger (fd -1: remove) */
int vdev_irq_eventfd(const struct vdev *d, uint32_t index, int fd);
int vdev_intx_unmask(const struct vdev *d);

#endif /* MTTY_VFIO_DEV_H */
