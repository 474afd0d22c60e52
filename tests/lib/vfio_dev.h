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

/* 16550A values the driver's model names only as a mask (mtty_uart.h) */
#define VDEV_LCR_WLEN8		0x03	/* 8 data bits, 1 stop, no parity */
#define VDEV_FCR_TRIG_1		0x00	/* receiver trigger levels */
#define VDEV_FCR_TRIG_4		0x40
#define VDEV_FCR_TRIG_8		0x80
#define VDEV_FCR_TRIG_14	0xc0

struct vdev {
	char uuid[40];
	int container;
	int group;
	int fd;
	int nports;	/* from the mdev type in sysfs, -1 if unknown */
};

/* the mtty type's port count of mdev @uuid (1 or 2), -1 if unknown */
int vdev_type_ports(const char *uuid);
/* the IOMMU group number of mdev @uuid, -1 if it has none */
int vdev_group_no(const char *uuid);

/*
 * Open mdev @uuid; 0 or -errno (with a comment saying which step).  On
 * failure nothing stays open.  With VDEV_OPEN_ASSERT every step is a test
 * case of its own (ok()), and so are the API version, the type1 extension
 * and the group's viability.  VDEV_OPEN_QUIET: no comment on failure.
 */
#define VDEV_OPEN_ASSERT	0x1
#define VDEV_OPEN_QUIET		0x2
int vdev_open_flags(struct vdev *d, const char *uuid, unsigned int flags);
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
/* count (and comment on the first few) a failed access */
void vdev_io_error(const char *what, int port, int reg);

int vdev_cfg_rd(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t *val);
/* config read, any failure reported as 0xdeadbeef / counted in vdev_io_errors */
uint32_t vdev_cfg(const struct vdev *d, unsigned int off, unsigned int size);
int vdev_cfg_wr(const struct vdev *d, unsigned int off, unsigned int size,
		uint32_t val);

/* a non-blocking eventfd; a program that cannot have one bails out */
int vdev_efd_new(void);
/* wait up to @ms for eventfd @fd: its counter, 0 on timeout */
uint64_t vdev_efd_wait(int fd, int ms);
void vdev_efd_drain(int fd);
/*
 * VFIO_DEVICE_SET_IRQS as given: @count eventfds from @fds (at most 4) with
 * VFIO_IRQ_SET_DATA_EVENTFD, argsz short by @argsz_adj bytes (to test the
 * driver's checks); the ioctl's return.
 */
int vdev_set_irqs(const struct vdev *d, uint32_t flags, uint32_t index,
		  uint32_t start, uint32_t count, const int32_t *fds,
		  uint32_t argsz_adj);
/* one eventfd trigger (fd -1: remove) */
int vdev_irq_eventfd(const struct vdev *d, uint32_t index, int fd);
/* DATA_NONE | ACTION_TRIGGER with count 0: disable the index */
int vdev_irq_disable(const struct vdev *d, uint32_t index);
int vdev_intx_mask(const struct vdev *d);
int vdev_intx_unmask(const struct vdev *d);

#endif /* MTTY_VFIO_DEV_H */
