/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_vfio.h - state shared by the VFIO glue files (mtty_main.c and
 * mtty_vfio_mig.c).  Kernel only; the pure model never includes it.
 */
#ifndef MTTY_VFIO_H
#define MTTY_VFIO_H

#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "mtty_conftest.h"
#include "mtty_model.h"

struct mtty_migf;
struct mtty_hport;

struct mtty_state {
	struct vfio_device vdev;
	/* serialises the model, the eventfd pointers, running and deferred */
	struct mutex lock;
	struct mtty_model model;
	struct mtty_uart *uart;
	struct eventfd_ctx *intx_trigger;
	struct eventfd_ctx *msi_trigger;
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *err_trigger;
	/*
	 * false while the migration state machine has the device stopped
	 * (STOP, STOP_COPY, RESUMING): UART registers refuse access and
	 * interrupts are collected in @deferred until it runs again.
	 */
	bool running;
	unsigned int deferred;
	/* a user has the VFIO device open: the backend cannot change */
	bool opened;
	/* backend tty: the host end of each port (mtty_tty.c), else NULL */
	struct mtty_hport **hport;
	struct delayed_work host_work;
	/* delivers an INTx deferred by an ioctl unmask (intx_defer_us) */
	struct delayed_work intx_work;

	/*
	 * INTx unmask and mask through eventfds (irqfd resampling); their
	 * threads take @lock, so they are set up and torn down under
	 * @virqfd_lock only, never under @lock.
	 */
	struct mutex virqfd_lock;
	struct virqfd *unmask_virqfd;
	struct virqfd *mask_virqfd;

	/* serialises the migration state machine; taken before @lock */
	struct mutex mig_lock;
	enum vfio_device_mig_state mig_state;
	struct mtty_migf *saving;
	struct mtty_migf *resuming;
};

/* mtty_main.c */
void mtty_deliver(struct mtty_state *s, unsigned int sig);

/* mtty_tty.c */
int mtty_tty_init(unsigned int max_ports);
void mtty_tty_exit(void);
extern const struct attribute_group *mtty_mdev_groups[];
void mtty_host_init(struct mtty_state *s);
void mtty_host_remove(struct mtty_state *s);
/* s->lock held: let the host side act on the model's host events */
void mtty_host_kick(struct mtty_state *s);

/* mtty_vfio_mig.c */
void mtty_mig_init(struct mtty_state *s);
void mtty_mig_destroy(struct mtty_state *s);
/* device reset and close: end any transfer, back to RUNNING */
void mtty_mig_reset(struct mtty_state *s);

#endif /* MTTY_VFIO_H */
