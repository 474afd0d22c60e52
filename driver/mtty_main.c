// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty - VFIO mediated device driver for a virtual PCI serial card.
 *
 * A class device /sys/devices/virtual/mtty/mtty is the mdev parent.  Each
 * mediated device is a PCI serial card (4348:3253) with one 16550A UART per
 * I/O BAR whose transmitter loops back into its receiver.  Everything about
 * the card lives in the pure model (mtty_model.c, mtty_uart.c, mtty_pci.c);
 * this file only translates VFIO regions, ioctls and eventfds to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mtty_vfio.h"

#define MTTY_NAME		"mtty"
#define MTTY_DEFAULT_POOL	24
#define MTTY_MAX_POOL		65536

/* Region offsets in the device fd: index in the bits above 40. */
#define MTTY_REGION_SHIFT	40
#define MTTY_REGION_OFFSET(i)	((u64)(i) << MTTY_REGION_SHIFT)
#define MTTY_REGION_INDEX(pos)	((u64)(pos) >> MTTY_REGION_SHIFT)
#define MTTY_REGION_MASK	(MTTY_REGION_OFFSET(1) - 1)

static unsigned int max_ports = MTTY_DEFAULT_POOL;
module_param(max_ports, uint, 0444);
MODULE_PARM_DESC(max_ports,
		 "Ports shared by all mtty devices (1-65536, default 24)");

static bool deep_fifo;
module_param(deep_fifo, bool, 0644);
MODULE_PARM_DESC(deep_fifo,
		 "Ports of devices created while set are 16750-capable: a 64-byte FIFO selected by FCR bit 5 with DLAB set; Linux guests do not select it (8250_pci fixes this card's type to 16550A) (default N: 16550A)");

static unsigned int intx_defer_us = 2000;
module_param(intx_defer_us, uint, 0644);
MODULE_PARM_DESC(intx_defer_us,
		 "With a user that unmasks INTx through the ioctl on every BAR access (QEMU without an irqfd resampler), a line still high, or newly raised on a port, while the guest's handler is running is signalled once a period of this many microseconds passes without a guest access to the card (at most 16 periods), unless the handler services it first; 0: signal at once (default 2000)");

struct mtty_type {
	struct mdev_type type;
	unsigned int nports;
};

static struct mtty_type mtty_types[] = {
	{
		.type.sysfs_name = "1",
		.type.pretty_name = "Single port serial",
		.nports = 1,
	},
	{
		.type.sysfs_name = "2",
		.type.pretty_name = "Dual port serial",
		.nports = 2,
	},
};

static struct mdev_type *mtty_mdev_types[] = {
	&mtty_types[0].type,
	&mtty_types[1].type,
};

static struct {
	struct device *dev;
	struct mdev_parent parent;
	/* protects free_ports */
	struct mutex pool_lock;
	unsigned int free_ports;
} mtty;

static struct class mtty_class = {
	.name = MTTY_NAME,
};

static void mtty_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef MTTY_HAVE_EVENTFD_SIGNAL_NOCOUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

void mtty_deliver(struct mtty_state *s, unsigned int sig)
{
	lockdep_assert_held(&s->lock);

	mtty_host_kick(s);
	if (likely(!sig))
		return;
	if (sig & MTTY_SIG_INTX_DEFER) {
		/* at least intx_defer_us: one more jiffy than it rounds to */
		mod_delayed_work(system_wq, &s->intx_work,
				 usecs_to_jiffies(READ_ONCE(intx_defer_us)) + 1);
		sig &= ~MTTY_SIG_INTX_DEFER;
		if (!sig)
			return;
	}
	if (unlikely(!s->running)) {
		/* stopped for migration: signal when it runs again */
		s->deferred |= sig;
		return;
	}
	if ((sig & MTTY_SIG_INTX) && s->intx_trigger)
		mtty_eventfd_signal(s->intx_trigger);
	if ((sig & MTTY_SIG_MSI) && s->msi_trigger)
		mtty_eventfd_signal(s->msi_trigger);
}

/* ---- port pool ---- */

static int mtty_pool_get(unsigned int n)
{
	int ret = 0;

	mutex_lock(&mtty.pool_lock);
	if (mtty.free_ports < n)
		ret = -ENOSPC;
	else
		mtty.free_ports -= n;
	mutex_unlock(&mtty.pool_lock);
	return ret;
}

static void mtty_pool_put(unsigned int n)
{
	mutex_lock(&mtty.pool_lock);
	mtty.free_ports += n;
	WARN_ON_ONCE(mtty.free_ports > max_ports);
	mutex_unlock(&mtty.pool_lock);
}

static unsigned int mtty_pool_free(void)
{
	unsigned int n;

	mutex_lock(&mtty.pool_lock);
	n = mtty.free_ports;
	mutex_unlock(&mtty.pool_lock);
	return n;
}

/* ---- region access ---- */

/*
 * Config space: any length inside the 256 bytes, split into naturally
 * aligned pieces of 1, 2 or 4 bytes, each copied to or from the user on its
 * own so no large buffer sits on the stack of every access.
 */
static ssize_t mtty_cfg_rw(struct mtty_state *s, char __user *ubuf,
			   size_t count, unsigned int off, bool write)
{
	unsigned int sig = 0;
	size_t done = 0;
	ssize_t ret = count;

	while (done < count) {
		unsigned int pos = off + done;
		unsigned int len = 1;
		__le32 le = 0;

		if (count - done >= 4 && !(pos & 3))
			len = 4;
		else if (count - done >= 2 && !(pos & 1))
			len = 2;

		if (write) {
			if (copy_from_user(&le, ubuf + done, len)) {
				ret = -EFAULT;
				break;
			}
			mutex_lock(&s->lock);
			sig = mtty_model_cfg_write(&s->model, pos, len,
						   le32_to_cpu(le));
			mtty_deliver(s, sig);
			mutex_unlock(&s->lock);
		} else {
			mutex_lock(&s->lock);
			le = cpu_to_le32(mtty_model_cfg_read(&s->model, pos,
							     len));
			mutex_unlock(&s->lock);
			if (copy_to_user(ubuf + done, &le, len)) {
				ret = -EFAULT;
				break;
			}
		}
		done += len;
	}
	return ret;
}

/* A UART BAR: a run of its eight byte registers, processed in order. */
static ssize_t mtty_bar_rw(struct mtty_state *s, unsigned int port,
			   char __user *ubuf, size_t count, unsigned int off,
			   bool write)
{
	u8 buf[MTTY_BAR_SIZE];
	unsigned int sig = 0;
	size_t i;

	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;

	mutex_lock(&s->lock);
	if (unlikely(!s->running)) {
		/* the UARTs are frozen while the device is stopped */
		mutex_unlock(&s->lock);
		return -EBUSY;
	}
	for (i = 0; i < count; i++) {
		if (write)
			sig |= mtty_model_bar_write(&s->model, port, off + i,
						    buf[i]);
		else
			sig |= mtty_model_bar_read(&s->model, port, off + i,
						   &buf[i]);
	}
	mtty_deliver(s, sig);
	mutex_unlock(&s->lock);

	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	return count;
}

/*
 * All accesses must lie inside one region; a short access is never made.
 */
static ssize_t mtty_rw(struct mtty_state *s, char __user *ubuf, size_t count,
		       loff_t *ppos, bool write)
{
	u64 index, off, size;
	ssize_t ret;

	if (*ppos < 0)
		return -EINVAL;
	index = MTTY_REGION_INDEX(*ppos);
	off = *ppos & MTTY_REGION_MASK;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		size = MTTY_PCI_CFG_SIZE;
	else if (index < s->model.nports)
		size = MTTY_BAR_SIZE;
	else
		return -EINVAL;
	if (off >= size || count > size - off)
		return -EINVAL;
	if (!count)
		return 0;

	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		ret = mtty_cfg_rw(s, ubuf, count, off, write);
	else
		ret = mtty_bar_rw(s, index, ubuf, count, off, write);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t mtty_read(struct vfio_device *vdev, char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	return mtty_rw(s, buf, count, ppos, false);
}

static ssize_t mtty_write(struct vfio_device *vdev, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	return mtty_rw(s, (char __user *)buf, count, ppos, true);
}

/* ---- interrupts ---- */

static unsigned int mtty_irq_count(unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

static void mtty_set_trigger(struct eventfd_ctx **slot, struct eventfd_ctx *ctx)
{
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
}

/*
 * VFIO_IRQ_SET_ACTION_TRIGGER for one interrupt: DATA_EVENTFD with fd >= 0
 * installs a trigger, fd -1 (or count 0 with DATA_NONE) removes it, and
 * DATA_NONE / DATA_BOOL fire it as a loopback test.
 */
static int mtty_irq_trigger(struct mtty_state *s, struct vfio_irq_set *hdr,
			    const void *data)
{
	struct eventfd_ctx **slot;
	enum mtty_irq_mode mode = MTTY_IRQ_NONE;
	struct eventfd_ctx *ctx;
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	unsigned int sig;
	s32 fd;

	lockdep_assert_held(&s->lock);

	switch (hdr->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		slot = &s->intx_trigger;
		mode = MTTY_IRQ_INTX;
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		slot = &s->msi_trigger;
		mode = MTTY_IRQ_MSI;
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		/* accepted so users can wire it; an emulated card never errs */
		slot = &s->err_trigger;
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		slot = &s->req_trigger;
		break;
	default:
		return -EINVAL;
	}

	if (!hdr->count) {
		if (dtype != VFIO_IRQ_SET_DATA_NONE)
			return -EINVAL;
		ctx = NULL;
		goto install;
	}

	if (dtype == VFIO_IRQ_SET_DATA_NONE ||
	    (dtype == VFIO_IRQ_SET_DATA_BOOL && *(const u8 *)data)) {
		if (*slot)
			mtty_eventfd_signal(*slot);
		return 0;
	}
	if (dtype == VFIO_IRQ_SET_DATA_BOOL)
		return 0;

	fd = *(const s32 *)data;
	if (fd < 0) {
		if (fd != -1)
			return -EINVAL;
		ctx = NULL;
		goto install;
	}
	/* INTx and MSI are exclusive, as on vfio-pci */
	if (mode != MTTY_IRQ_NONE && s->model.irq_mode != MTTY_IRQ_NONE &&
	    s->model.irq_mode != mode)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

install:
	mtty_set_trigger(slot, ctx);
	if (mode == MTTY_IRQ_NONE)
		return 0;
	if (ctx)
		sig = mtty_model_set_irq_mode(&s->model, mode);
	else if (s->model.irq_mode == mode)
		sig = mtty_model_set_irq_mode(&s->model, MTTY_IRQ_NONE);
	else
		sig = 0;
	mtty_deliver(s, sig);
	return 0;
}

static int mtty_irq_mask(struct mtty_state *s, struct vfio_irq_set *hdr,
			 const void *data, bool unmask)
{
	u32 dtype = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	lockdep_assert_held(&s->lock);

	if (hdr->index != VFIO_PCI_INTX_IRQ_INDEX)
		return -EINVAL;
	if (s->model.irq_mode != MTTY_IRQ_INTX || hdr->count != 1)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_BOOL && !*(const u8 *)data)
		return 0;

	if (unmask) {
		if (!READ_ONCE(intx_defer_us))
			mtty_deliver(s, mtty_model_intx_unmask(&s->model));
		else
			mtty_deliver(s,
				     mtty_model_intx_unmask_deferred(&s->model));
	} else {
		mtty_model_intx_mask(&s->model);
	}
	return 0;
}

/* an INTx deferral period expired (see intx_defer_us) */
static void mtty_intx_work(struct work_struct *work)
{
	struct mtty_state *s = container_of(to_delayed_work(work),
					    struct mtty_state, intx_work);

	mutex_lock(&s->lock);
	mtty_deliver(s, mtty_model_intx_deferred(&s->model));
	mutex_unlock(&s->lock);
}

#if IS_ENABLED(CONFIG_VFIO_VIRQFD)
/* eventfd wake-up, atomic context: the work needs the mutex */
static int mtty_virqfd_wake(void *opaque, void *data)
{
	return 1;
}

static void mtty_virqfd_unmask(void *opaque, void *data)
{
	struct mtty_state *s = opaque;

	mutex_lock(&s->lock);
	if (s->model.irq_mode == MTTY_IRQ_INTX)
		mtty_deliver(s, mtty_model_intx_unmask(&s->model));
	mutex_unlock(&s->lock);
}

static void mtty_virqfd_mask(void *opaque, void *data)
{
	struct mtty_state *s = opaque;

	mutex_lock(&s->lock);
	if (s->model.irq_mode == MTTY_IRQ_INTX)
		mtty_model_intx_mask(&s->model);
	mutex_unlock(&s->lock);
}

/*
 * VFIO_IRQ_SET_ACTION_(UN)MASK with DATA_EVENTFD: each signal of the
 * eventfd (un)masks INTx as the ioctl would, so a KVM host's irqfd
 * resampler unmasks in the kernel; fd -1 removes it.  Called without
 * s->lock: tearing a virqfd down waits for its work, which takes it.
 */
static int mtty_irq_mask_eventfd(struct mtty_state *s,
				 struct vfio_irq_set *hdr, const void *data,
				 bool unmask)
{
	struct virqfd **slot = unmask ? &s->unmask_virqfd : &s->mask_virqfd;
	int ret = 0;
	s32 fd;

	if (hdr->index != VFIO_PCI_INTX_IRQ_INDEX || hdr->count != 1 || !data)
		return -EINVAL;
	fd = *(const s32 *)data;
	if (fd < -1)
		return -EINVAL;

	mutex_lock(&s->virqfd_lock);
	vfio_virqfd_disable(slot);
	if (fd >= 0) {
		mutex_lock(&s->lock);
		if (s->model.irq_mode != MTTY_IRQ_INTX)
			ret = -EINVAL;
		mutex_unlock(&s->lock);
		if (!ret)
			ret = vfio_virqfd_enable(s, mtty_virqfd_wake,
						 unmask ? mtty_virqfd_unmask :
							  mtty_virqfd_mask,
						 NULL, slot, fd);
	}
	mutex_unlock(&s->virqfd_lock);
	return ret;
}

static void mtty_virqfds_release(struct mtty_state *s)
{
	mutex_lock(&s->virqfd_lock);
	vfio_virqfd_disable(&s->unmask_virqfd);
	vfio_virqfd_disable(&s->mask_virqfd);
	mutex_unlock(&s->virqfd_lock);
}
#else
static int mtty_irq_mask_eventfd(struct mtty_state *s,
				 struct vfio_irq_set *hdr, const void *data,
				 bool unmask)
{
	return -ENOTTY;		/* no CONFIG_VFIO_VIRQFD in this kernel */
}

static void mtty_virqfds_release(struct mtty_state *s)
{
}
#endif

static int mtty_set_irqs(struct mtty_state *s, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	void __user *uarg = (void __user *)arg;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	void *data = NULL;
	u32 action;
	int ret;

	if (copy_from_user(&hdr, uarg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 mtty_irq_count(hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(uarg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	if ((hdr.flags & VFIO_IRQ_SET_DATA_EVENTFD) &&
	    (action == VFIO_IRQ_SET_ACTION_MASK ||
	     action == VFIO_IRQ_SET_ACTION_UNMASK)) {
		ret = mtty_irq_mask_eventfd(s, &hdr, data,
					    action == VFIO_IRQ_SET_ACTION_UNMASK);
		kfree(data);
		return ret;
	}

	mutex_lock(&s->lock);
	switch (action) {
	case VFIO_IRQ_SET_ACTION_MASK:
		ret = mtty_irq_mask(s, &hdr, data, false);
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		ret = mtty_irq_mask(s, &hdr, data, true);
		break;
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		ret = mtty_irq_trigger(s, &hdr, data);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&s->lock);

	kfree(data);
	return ret;
}

static void mtty_irqs_release(struct mtty_state *s)
{
	lockdep_assert_held(&s->lock);

	mtty_set_trigger(&s->intx_trigger, NULL);
	mtty_set_trigger(&s->msi_trigger, NULL);
	mtty_set_trigger(&s->req_trigger, NULL);
	mtty_set_trigger(&s->err_trigger, NULL);
	mtty_model_set_irq_mode(&s->model, MTTY_IRQ_NONE);
}

/* ---- ioctls ---- */

static int mtty_get_device_info(unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;

	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * The one description of the regions: config space, one I/O BAR per port,
 * everything else present but empty.  Only offset, size and flags are set;
 * the callers own argsz and the capability chain (none here).
 */
static int mtty_region_info(struct mtty_state *s, struct vfio_region_info *info)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info->offset = MTTY_REGION_OFFSET(info->index);
	info->cap_offset = 0;
	info->size = 0;
	info->flags = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX)
		info->size = MTTY_PCI_CFG_SIZE;
	else if (info->index < s->model.nports)
		info->size = MTTY_BAR_SIZE;
	if (info->size)
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
	return 0;
}

#ifdef MTTY_HAVE_GET_REGION_INFO_CAPS
/* Linux 6.19+: the VFIO core copies the ioctl in and out and calls this. */
static int mtty_get_region_info_caps(struct vfio_device *vdev,
				     struct vfio_region_info *info,
				     struct vfio_info_cap *caps)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	return mtty_region_info(s, info);
}
#else
/* Before Linux 6.19 VFIO_DEVICE_GET_REGION_INFO reaches the driver. */
static int mtty_get_region_info(struct mtty_state *s, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = mtty_region_info(s, &info);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}
#endif

static int mtty_get_irq_info(unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;

	info.count = mtty_irq_count(info.index);
	info.flags = info.count ? VFIO_IRQ_INFO_EVENTFD : 0;
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index == VFIO_PCI_MSI_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;

	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long mtty_ioctl(struct vfio_device *vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mtty_get_device_info(arg);
#ifndef MTTY_HAVE_GET_REGION_INFO_CAPS
	case VFIO_DEVICE_GET_REGION_INFO:
		return mtty_get_region_info(s, arg);
#endif
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mtty_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return mtty_set_irqs(s, arg);
	case VFIO_DEVICE_RESET:
		/* also ends a migration: the device runs again */
		mtty_mig_reset(s);
		mutex_lock(&s->lock);
		mtty_model_reset(&s->model);
		mtty_host_kick(s);
		mutex_unlock(&s->lock);
		return 0;
	}
	return -ENOTTY;
}

/* ---- vfio_device lifetime ---- */

static int mtty_open_device(struct vfio_device *vdev)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	/* every user starts from a freshly reset card */
	mutex_lock(&s->lock);
	mtty_model_reset(&s->model);
	mtty_host_kick(s);
	s->opened = true;
	mutex_unlock(&s->lock);
	return 0;
}

static void mtty_close_device(struct vfio_device *vdev)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	mtty_mig_reset(s);
	mtty_virqfds_release(s);
	mutex_lock(&s->lock);
	mtty_irqs_release(s);
	mtty_model_reset(&s->model);
	mtty_host_kick(s);
	s->opened = false;
	mutex_unlock(&s->lock);
	/*
	 * Out of INTx mode nothing defers (only an ioctl unmask lets the
	 * model defer), so nothing arms it again once it is cancelled.
	 */
	cancel_delayed_work_sync(&s->intx_work);
}

static void mtty_request(struct vfio_device *vdev, unsigned int count)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);
	struct device *dev = vdev->dev;

	mutex_lock(&s->lock);
	if (s->req_trigger) {
		if (!(count % 10))
			dev_notice_ratelimited(dev,
					       "asking the user to release the device (%u)\n",
					       count);
		mtty_eventfd_signal(s->req_trigger);
	} else if (!count) {
		dev_notice(dev,
			   "no request channel: removal waits until the user closes the device\n");
	}
	mutex_unlock(&s->lock);
}

static int mtty_init_dev(struct vfio_device *vdev)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct mtty_type *t = container_of(mdev->type, struct mtty_type, type);

	s->uart = kcalloc(t->nports, sizeof(*s->uart), GFP_KERNEL);
	if (!s->uart)
		return -ENOMEM;
	mutex_init(&s->lock);
	mutex_init(&s->virqfd_lock);
	INIT_DELAYED_WORK(&s->intx_work, mtty_intx_work);
	s->running = true;
	mtty_model_init(&s->model, s->uart, t->nports, READ_ONCE(deep_fifo));
	mtty_mig_init(s);
	mtty_host_init(s);
	return 0;
}

static void mtty_release_dev(struct vfio_device *vdev)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	cancel_delayed_work_sync(&s->intx_work);
	mtty_mig_destroy(s);
	mutex_destroy(&s->virqfd_lock);
	mutex_destroy(&s->lock);
	kfree(s->uart);
#ifdef MTTY_HAVE_VFIO_FREE_DEVICE
	vfio_free_device(vdev);
#endif
}

static const struct vfio_device_ops mtty_vfio_ops = {
	.name = "vfio-mtty",
	.init = mtty_init_dev,
	.release = mtty_release_dev,
#ifdef MTTY_HAVE_VFIO_IOMMUFD_EMULATED
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
#endif
#ifdef MTTY_HAVE_VFIO_DETACH_IOAS
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#endif
	.open_device = mtty_open_device,
	.close_device = mtty_close_device,
	.read = mtty_read,
	.write = mtty_write,
	.ioctl = mtty_ioctl,
#ifdef MTTY_HAVE_GET_REGION_INFO_CAPS
	.get_region_info_caps = mtty_get_region_info_caps,
#endif
	.request = mtty_request,
};

/* ---- mdev driver ---- */

static int mtty_probe(struct mdev_device *mdev)
{
	struct mtty_type *t = container_of(mdev->type, struct mtty_type, type);
	struct mtty_state *s;
	int ret;

	ret = mtty_pool_get(t->nports);
	if (ret)
		return ret;

	s = vfio_alloc_device(mtty_state, vdev, &mdev->dev, &mtty_vfio_ops);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto err_pool;
	}

	ret = vfio_register_emulated_iommu_dev(&s->vdev);
	if (ret)
		goto err_put;

	dev_set_drvdata(&mdev->dev, s);
	return 0;

err_put:
	vfio_put_device(&s->vdev);
err_pool:
	mtty_pool_put(t->nports);
	return ret;
}

static void mtty_remove(struct mdev_device *mdev)
{
	struct mtty_state *s = dev_get_drvdata(&mdev->dev);
	unsigned int nports = s->model.nports;

	/* waits for the user to close the device, asking via REQ */
	vfio_unregister_group_dev(&s->vdev);
	/* hangs the host ttys up; their users keep only a dead port */
	mtty_host_remove(s);
	vfio_put_device(&s->vdev);
	mtty_pool_put(nports);
}

static unsigned int mtty_get_available(struct mdev_type *mtype)
{
	struct mtty_type *t = container_of(mtype, struct mtty_type, type);

	return mtty_pool_free() / t->nports;
}

static struct mdev_driver mtty_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = MTTY_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = mtty_mdev_groups,
	},
	.probe = mtty_probe,
	.remove = mtty_remove,
	.get_available = mtty_get_available,
};

/* ---- parent device ---- */

static ssize_t sample_mtty_dev_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "mtty %s: %u of %u ports free\n", MTTY_VERSION,
			  mtty_pool_free(), max_ports);
}
static DEVICE_ATTR_RO(sample_mtty_dev);

static struct attribute *mtty_dev_attrs[] = {
	&dev_attr_sample_mtty_dev.attr,
	NULL,
};

static const struct attribute_group mtty_dev_group = {
	.name = "mtty_dev",
	.attrs = mtty_dev_attrs,
};

static const struct attribute_group *mtty_dev_groups[] = {
	&mtty_dev_group,
	NULL,
};

static void mtty_parent_release(struct device *dev)
{
	kfree(dev);
}

static int mtty_parent_add(void)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;

	device_initialize(dev);
	dev->class = &mtty_class;
	dev->release = mtty_parent_release;
	dev->groups = mtty_dev_groups;
	ret = dev_set_name(dev, MTTY_NAME);
	if (ret)
		goto err_put;
	ret = device_add(dev);
	if (ret)
		goto err_put;

	mtty.dev = dev;
	return 0;

err_put:
	put_device(dev);
	return ret;
}

static int __init mtty_init(void)
{
	int ret;

	if (!max_ports || max_ports > MTTY_MAX_POOL) {
		pr_err("max_ports=%u out of range (1-%u)\n", max_ports,
		       MTTY_MAX_POOL);
		return -EINVAL;
	}
	mutex_init(&mtty.pool_lock);
	mtty.free_ports = max_ports;

	ret = mtty_tty_init(max_ports);
	if (ret)
		return ret;
	ret = class_register(&mtty_class);
	if (ret)
		goto err_tty;

	ret = mdev_register_driver(&mtty_driver);
	if (ret)
		goto err_class;

	ret = mtty_parent_add();
	if (ret)
		goto err_driver;

	ret = mdev_register_parent(&mtty.parent, mtty.dev, &mtty_driver,
				   mtty_mdev_types,
				   ARRAY_SIZE(mtty_mdev_types));
	if (ret)
		goto err_parent;

	pr_info("version %s, %u ports\n", MTTY_VERSION, max_ports);
	return 0;

err_parent:
	device_unregister(mtty.dev);
err_driver:
	mdev_unregister_driver(&mtty_driver);
err_class:
	class_unregister(&mtty_class);
err_tty:
	mtty_tty_exit();
	return ret;
}

static void __exit mtty_exit(void)
{
	/* removes every remaining mediated device first */
	mdev_unregister_parent(&mtty.parent);
	device_unregister(mtty.dev);
	mdev_unregister_driver(&mtty_driver);
	class_unregister(&mtty_class);
	mtty_tty_exit();
	mutex_destroy(&mtty.pool_lock);
}

module_init(mtty_init);
module_exit(mtty_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO mediated PCI serial card with 16550A UARTs");
MODULE_VERSION(MTTY_VERSION);
