// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_tty.c - the host end of ports with backend "tty".
 *
 * A tty driver (ttyMT<minor>, dynamic minors) whose lines are the far ends
 * of null-modem cables to the guest's UARTs, and the mediated device's
 * "backend" attribute that chooses between it and the loopback plug.  The
 * device behaviour (THRE held until the host took the bytes, host bytes
 * only into receiver room, modem lines, breaks) is the pure model's
 * (mtty_uart.c); this file moves bytes, lines and breaks between the model
 * and the tty layer.
 *
 * Locking: mtty_backend_lock (backend changes, removal) is taken before
 * mtty_tty_lock (the minor table and every hport->s), which is taken before
 * the card's s->lock.  The host work (one per card) takes s->lock alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mdev.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/workqueue.h>

#include "mtty_vfio.h"

#define MTTY_TTY_NAME		"ttyMT"
#define MTTY_TTY_MAX_LINES	256

struct mtty_hport {
	struct tty_port port;
	/* the card, NULL once it is gone (mtty_tty_lock) */
	struct mtty_state *s;
	unsigned int index;	/* port of the card */
	unsigned int minor;
	/* under s->lock */
	bool open;		/* the host tty is open (activated) */
	bool throttled;		/* the host's reader asked us to wait */
	bool brk_pending;	/* a guest break behind the TX bytes */
	bool dcd;		/* host DCD as last seen by the host work */
};

static struct tty_driver *mtty_tty_driver;
static unsigned int mtty_tty_lines;
static DEFINE_MUTEX(mtty_backend_lock);
static DEFINE_MUTEX(mtty_tty_lock);
/* by minor: a slot is taken from attach until the tty device is gone */
static struct mtty_hport **mtty_tty_table;

static inline struct mtty_hport *to_hport(struct tty_port *port)
{
	return container_of(port, struct mtty_hport, port);
}

/* The card behind @p with its lock held, or NULL if it is gone. */
static struct mtty_state *hport_lock(struct mtty_hport *p)
{
	struct mtty_state *s;

	mutex_lock(&mtty_tty_lock);
	s = p->s;
	if (s)
		mutex_lock(&s->lock);
	else
		mutex_unlock(&mtty_tty_lock);
	return s;
}

static void hport_unlock(struct mtty_state *s)
{
	mutex_unlock(&s->lock);
	mutex_unlock(&mtty_tty_lock);
}

/* ---- the host work: guest bytes, breaks and lines to the tty ---- */

void mtty_host_kick(struct mtty_state *s)
{
	unsigned int i;

	lockdep_assert_held(&s->lock);

	if (likely(!s->hport))
		return;
	for (i = 0; i < s->model.nports; i++) {
		if (s->uart[i].host_events) {
			mod_delayed_work(system_wq, &s->host_work, 0);
			return;
		}
	}
}

/*
 * Move what the guest sent to the tty's flip buffer, as much as it takes;
 * with the host tty closed the bytes go nowhere, as on a cable with nothing
 * at its end.  Returns true if bytes or a break are left for later.
 */
static bool hport_drain(struct mtty_state *s, struct mtty_hport *p,
			bool *pushed)
{
	struct mtty_uart *u = &s->uart[p->index];
	u8 buf[MTTY_FIFO_MAX];
	unsigned int n, room;

	if (!p->open) {
		mtty_deliver(s, mtty_model_host_tx(&s->model, p->index, buf,
						   sizeof(buf), &n));
		p->brk_pending = false;
		return false;
	}
	if (p->throttled)
		return false;	/* unthrottle kicks the work again */
	if (u->tx.count) {
		room = tty_buffer_request_room(&p->port, u->tx.count);
		mtty_deliver(s, mtty_model_host_tx(&s->model, p->index, buf,
						   min_t(unsigned int, room,
							 sizeof(buf)), &n));
		if (n) {
			tty_insert_flip_string(&p->port, buf, n);
			*pushed = true;
		}
	}
	if (p->brk_pending && !u->tx.count &&
	    tty_insert_flip_char(&p->port, 0, TTY_BREAK)) {
		p->brk_pending = false;
		*pushed = true;
	}
	return u->tx.count || p->brk_pending;
}

static void mtty_host_work(struct work_struct *work)
{
	struct mtty_state *s = container_of(to_delayed_work(work),
					    struct mtty_state, host_work);
	struct mtty_hport *hp[MTTY_MAX_PORTS_PER_DEV] = { };
	bool pushed[MTTY_MAX_PORTS_PER_DEV] = { };
	bool wake[MTTY_MAX_PORTS_PER_DEV] = { };
	bool hangup[MTTY_MAX_PORTS_PER_DEV] = { };
	bool again = false;
	unsigned int i, n;

	mutex_lock(&s->lock);
	if (!s->hport) {
		mutex_unlock(&s->lock);
		return;
	}
	n = s->model.nports;
	for (i = 0; i < n; i++) {
		struct mtty_hport *p = s->hport[i];
		u8 ev = mtty_uart_host_events(&s->uart[i]);
		bool dcd = mtty_uart_host_lines(&s->uart[i]) & MTTY_HOST_DCD;

		hp[i] = p;
		if (ev & MTTY_HOST_EV_BREAK)
			p->brk_pending = true;
		again |= hport_drain(s, p, &pushed[i]);
		wake[i] = ev & MTTY_HOST_EV_RX_ROOM;
		/* the guest dropped DTR: a hang-up unless CLOCAL */
		hangup[i] = p->open && p->dcd && !dcd;
		p->dcd = dcd;
	}
	mutex_unlock(&s->lock);

	/*
	 * The ports stay: detaching them waits for this work.  The tty
	 * calls are made without s->lock, since a line discipline's
	 * write_wakeup may write at once.
	 */
	for (i = 0; i < n; i++) {
		if (pushed[i])
			tty_flip_buffer_push(&hp[i]->port);
		if (wake[i])
			tty_port_tty_wakeup(&hp[i]->port);
		if (hangup[i])
			tty_port_tty_hangup(&hp[i]->port, true);
	}
	if (again)
		schedule_delayed_work(&s->host_work, 1);
}

/* ---- tty_port operations ---- */

static int mtty_port_activate(struct tty_port *port, struct tty_struct *tty)
{
	struct mtty_hport *p = to_hport(port);
	struct mtty_state *s = hport_lock(p);

	if (!s)
		return -ENODEV;
	p->open = true;
	p->throttled = false;
	p->brk_pending = false;
	p->dcd = mtty_uart_host_lines(&s->uart[p->index]) & MTTY_HOST_DCD;
	/* opening raises DTR and RTS, as on a serial port */
	mtty_deliver(s, mtty_model_host_set_lines(&s->model, p->index,
						  MTTY_HOST_DTR |
						  MTTY_HOST_RTS));
	mod_delayed_work(system_wq, &s->host_work, 0);
	hport_unlock(s);
	return 0;
}

static void mtty_port_shutdown(struct tty_port *port)
{
	struct mtty_hport *p = to_hport(port);
	struct mtty_state *s = hport_lock(p);

	if (!s)
		return;
	/* closing drops DTR and RTS: the guest sees DSR, DCD and CTS go */
	p->open = false;
	mtty_deliver(s, mtty_model_host_set_lines(&s->model, p->index, 0));
	hport_unlock(s);
}

static void mtty_port_destruct(struct tty_port *port)
{
	kfree(to_hport(port));
}

static const struct tty_port_operations mtty_port_ops = {
	.activate = mtty_port_activate,
	.shutdown = mtty_port_shutdown,
	.destruct = mtty_port_destruct,
};

/* ---- tty operations ---- */

static int mtty_tty_install(struct tty_driver *driver, struct tty_struct *tty)
{
	struct mtty_hport *p = NULL;
	int ret = -ENODEV;

	mutex_lock(&mtty_tty_lock);
	if (tty->index < mtty_tty_lines)
		p = mtty_tty_table[tty->index];
	if (p && p->s) {
		/* the tty keeps the port until its cleanup */
		tty_port_get(&p->port);
		ret = tty_port_install(&p->port, driver, tty);
		if (ret)
			tty_port_put(&p->port);
		else
			tty->driver_data = p;
	}
	mutex_unlock(&mtty_tty_lock);
	return ret;
}

static void mtty_tty_cleanup(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;

	tty->driver_data = NULL;
	if (p)
		tty_port_put(&p->port);
}

static int mtty_tty_open(struct tty_struct *tty, struct file *filp)
{
	struct mtty_hport *p = tty->driver_data;

	return tty_port_open(&p->port, tty, filp);
}

static void mtty_tty_close(struct tty_struct *tty, struct file *filp)
{
	struct mtty_hport *p = tty->driver_data;

	tty_port_close(&p->port, tty, filp);
}

static void mtty_tty_hangup(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;

	tty_port_hangup(&p->port);
}

/*
 * Host bytes go straight into the guest's receiver, as many as it has room
 * for; the tty layer waits (or returns short) for the rest until the guest
 * reads and the host work wakes the writer.  Nothing is buffered here.
 */
#ifdef MTTY_HAVE_TTY_WRITE_SIZE_T
static ssize_t mtty_tty_write(struct tty_struct *tty, const u8 *buf,
			      size_t count)
#else
static int mtty_tty_write(struct tty_struct *tty, const u8 *buf, int count)
#endif
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);
	unsigned int done = 0;

	if (!s)
		return -EIO;
	mtty_deliver(s, mtty_model_host_rx(&s->model, p->index, buf,
					   min_t(size_t, count, MTTY_FIFO_MAX),
					   &done));
	hport_unlock(s);
	return done;
}

static unsigned int mtty_tty_write_room(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);
	unsigned int room;

	if (!s)
		return 0;
	room = mtty_uart_host_rx_room(&s->uart[p->index]);
	hport_unlock(s);
	return room;
}

static void mtty_tty_throttle(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);

	if (!s)
		return;
	p->throttled = true;
	hport_unlock(s);
}

static void mtty_tty_unthrottle(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);

	if (!s)
		return;
	p->throttled = false;
	mod_delayed_work(system_wq, &s->host_work, 0);
	hport_unlock(s);
}

static int mtty_tty_tiocmget(struct tty_struct *tty)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);
	int ret = 0;
	u8 lines;

	if (!s)
		return -EIO;
	lines = mtty_uart_host_lines(&s->uart[p->index]);
	hport_unlock(s);
	if (lines & MTTY_HOST_DTR)
		ret |= TIOCM_DTR;
	if (lines & MTTY_HOST_RTS)
		ret |= TIOCM_RTS;
	if (lines & MTTY_HOST_CTS)
		ret |= TIOCM_CTS;
	if (lines & MTTY_HOST_DSR)
		ret |= TIOCM_DSR;
	if (lines & MTTY_HOST_DCD)
		ret |= TIOCM_CAR;
	return ret;
}

static int mtty_tty_tiocmset(struct tty_struct *tty, unsigned int set,
			     unsigned int clear)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s = hport_lock(p);
	u8 lines;

	if (!s)
		return -EIO;
	lines = s->uart[p->index].host_mcr;
	if (set & TIOCM_DTR)
		lines |= MTTY_HOST_DTR;
	if (set & TIOCM_RTS)
		lines |= MTTY_HOST_RTS;
	if (clear & TIOCM_DTR)
		lines &= ~MTTY_HOST_DTR;
	if (clear & TIOCM_RTS)
		lines &= ~MTTY_HOST_RTS;
	mtty_deliver(s, mtty_model_host_set_lines(&s->model, p->index, lines));
	hport_unlock(s);
	return 0;
}

/* The start of a break gives the guest one NUL with BI. */
static int mtty_tty_break_ctl(struct tty_struct *tty, int state)
{
	struct mtty_hport *p = tty->driver_data;
	struct mtty_state *s;

	if (!state)
		return 0;
	s = hport_lock(p);
	if (!s)
		return -EIO;
	mtty_deliver(s, mtty_model_host_break(&s->model, p->index));
	hport_unlock(s);
	return 0;
}

static const struct tty_operations mtty_tty_ops = {
	.install = mtty_tty_install,
	.cleanup = mtty_tty_cleanup,
	.open = mtty_tty_open,
	.close = mtty_tty_close,
	.hangup = mtty_tty_hangup,
	.write = mtty_tty_write,
	.write_room = mtty_tty_write_room,
	.throttle = mtty_tty_throttle,
	.unthrottle = mtty_tty_unthrottle,
	.tiocmget = mtty_tty_tiocmget,
	.tiocmset = mtty_tty_tiocmset,
	.break_ctl = mtty_tty_break_ctl,
};

/* ---- the tty device's attributes, for udev's stable names ---- */

static ssize_t mdev_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_name(dev->parent));
}
static DEVICE_ATTR_RO(mdev);

static ssize_t port_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct mtty_hport *p = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", p->index);
}
static DEVICE_ATTR_RO(port);

static struct attribute *mtty_tty_attrs[] = {
	&dev_attr_mdev.attr,
	&dev_attr_port.attr,
	NULL,
};

static const struct attribute_group mtty_tty_group = {
	.name = "mtty",
	.attrs = mtty_tty_attrs,
};

static const struct attribute_group *mtty_tty_groups[] = {
	&mtty_tty_group,
	NULL,
};

/* ---- attaching host ports to a card ---- */

static void hport_unregister(struct mtty_hport *p)
{
	unsigned int minor = p->minor;

	tty_port_tty_hangup(&p->port, false);
	tty_unregister_device(mtty_tty_driver, minor);
	mutex_lock(&mtty_tty_lock);
	mtty_tty_table[minor] = NULL;
	mutex_unlock(&mtty_tty_lock);
	tty_port_put(&p->port);
}

static int hport_free_minor(void)
{
	unsigned int i;

	lockdep_assert_held(&mtty_tty_lock);

	for (i = 0; i < mtty_tty_lines; i++)
		if (!mtty_tty_table[i])
			return i;
	return -ENOSPC;
}

/* Give every port of @s a host tty; mtty_tty_lock and s->lock held. */
static int mtty_host_attach(struct mtty_state *s, struct device *parent)
{
	unsigned int n = s->model.nports;
	struct mtty_hport **ports;
	struct device *tdev;
	unsigned int i;
	int minor;
	int ret;

	ports = kcalloc(n, sizeof(*ports), GFP_KERNEL);
	if (!ports)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct mtty_hport *p;

		minor = hport_free_minor();
		if (minor < 0) {
			ret = minor;
			goto err;
		}
		p = kzalloc(sizeof(*p), GFP_KERNEL);
		if (!p) {
			ret = -ENOMEM;
			goto err;
		}
		tty_port_init(&p->port);
		p->port.ops = &mtty_port_ops;
		p->s = s;
		p->index = i;
		p->minor = minor;
		mtty_tty_table[minor] = p;
		tdev = tty_port_register_device_attr(&p->port, mtty_tty_driver,
						     minor, parent, p,
						     mtty_tty_groups);
		if (IS_ERR(tdev)) {
			ret = PTR_ERR(tdev);
			mtty_tty_table[minor] = NULL;
			tty_port_put(&p->port);
			goto err;
		}
		ports[i] = p;
	}
	for (i = 0; i < n; i++)
		mtty_model_set_backend(&s->model, i, MTTY_BACKEND_TTY);
	s->hport = ports;
	return 0;

err:
	while (i--) {
		ports[i]->s = NULL;
		tty_unregister_device(mtty_tty_driver, ports[i]->minor);
		mtty_tty_table[ports[i]->minor] = NULL;
		tty_port_put(&ports[i]->port);
	}
	kfree(ports);
	return ret;
}

/* Back to loopback: hang the host ttys up and remove them. */
static void mtty_host_detach(struct mtty_state *s)
{
	struct mtty_hport **ports;
	unsigned int i, n;

	lockdep_assert_held(&mtty_backend_lock);

	mutex_lock(&mtty_tty_lock);
	mutex_lock(&s->lock);
	ports = s->hport;
	n = s->model.nports;
	s->hport = NULL;
	for (i = 0; ports && i < n; i++) {
		ports[i]->s = NULL;
		mtty_model_set_backend(&s->model, i, MTTY_BACKEND_LOOPBACK);
	}
	mutex_unlock(&s->lock);
	mutex_unlock(&mtty_tty_lock);
	if (!ports)
		return;
	/* the work uses the ports: let it finish first */
	cancel_delayed_work_sync(&s->host_work);
	for (i = 0; i < n; i++)
		hport_unregister(ports[i]);
	kfree(ports);
}

void mtty_host_init(struct mtty_state *s)
{
	INIT_DELAYED_WORK(&s->host_work, mtty_host_work);
}

/* mdev removal: the VFIO user is gone; hang up and remove the host ttys. */
void mtty_host_remove(struct mtty_state *s)
{
	mutex_lock(&mtty_backend_lock);
	mtty_host_detach(s);
	mutex_unlock(&mtty_backend_lock);
}

/* ---- the mediated device's "backend" attribute ---- */

static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct mtty_state *s = dev_get_drvdata(dev);
	bool tty;

	mutex_lock(&s->lock);
	tty = s->hport;
	mutex_unlock(&s->lock);
	return sysfs_emit(buf, "%s\n", tty ? "tty" : "loopback");
}

/*
 * "loopback" or "tty", for every port of the card; refused with -EBUSY
 * while a user has the VFIO device open.
 */
static ssize_t backend_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct mtty_state *s = dev_get_drvdata(dev);
	bool tty;
	int ret = 0;

	if (sysfs_streq(buf, "tty"))
		tty = true;
	else if (sysfs_streq(buf, "loopback"))
		tty = false;
	else
		return -EINVAL;

	mutex_lock(&mtty_backend_lock);
	if (!tty) {
		mutex_lock(&s->lock);
		if (s->opened)
			ret = -EBUSY;
		mutex_unlock(&s->lock);
		if (!ret)
			mtty_host_detach(s);
		goto out;
	}
	mutex_lock(&mtty_tty_lock);
	mutex_lock(&s->lock);
	if (s->opened)
		ret = -EBUSY;
	else if (!s->hport)
		ret = mtty_host_attach(s, dev);
	mutex_unlock(&s->lock);
	mutex_unlock(&mtty_tty_lock);
out:
	mutex_unlock(&mtty_backend_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(backend);

static struct attribute *mtty_mdev_attrs[] = {
	&dev_attr_backend.attr,
	NULL,
};

static const struct attribute_group mtty_mdev_group = {
	.attrs = mtty_mdev_attrs,
};

/* ---- stats/: the model's interrupt counters since the device was made ---- */

static ssize_t mtty_stat_emit(struct device *dev, char *buf, size_t off)
{
	struct mtty_state *s = dev_get_drvdata(dev);
	u64 v;

	mutex_lock(&s->lock);
	v = *(const u64 *)((const char *)&s->model + off);
	mutex_unlock(&s->lock);
	return sysfs_emit(buf, "%llu\n", (unsigned long long)v);
}

static ssize_t intx_signals_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return mtty_stat_emit(dev, buf,
			      offsetof(struct mtty_model, intx_signals));
}
static DEVICE_ATTR_RO(intx_signals);

static ssize_t intx_timer_signals_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return mtty_stat_emit(dev, buf,
			      offsetof(struct mtty_model, intx_timer_signals));
}
static DEVICE_ATTR_RO(intx_timer_signals);

static ssize_t msi_signals_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return mtty_stat_emit(dev, buf,
			      offsetof(struct mtty_model, msi_signals));
}
static DEVICE_ATTR_RO(msi_signals);

static struct attribute *mtty_stats_attrs[] = {
	&dev_attr_intx_signals.attr,
	&dev_attr_intx_timer_signals.attr,
	&dev_attr_msi_signals.attr,
	NULL,
};

static const struct attribute_group mtty_stats_group = {
	.name = "stats",
	.attrs = mtty_stats_attrs,
};

const struct attribute_group *mtty_mdev_groups[] = {
	&mtty_mdev_group,
	&mtty_stats_group,
	NULL,
};

/* ---- the tty driver ---- */

int mtty_tty_init(unsigned int max_ports)
{
	struct tty_driver *drv;
	int ret;

	mtty_tty_lines = min_t(unsigned int, max_ports, MTTY_TTY_MAX_LINES);
	mtty_tty_table = kcalloc(mtty_tty_lines, sizeof(*mtty_tty_table),
				 GFP_KERNEL);
	if (!mtty_tty_table)
		return -ENOMEM;

	drv = tty_alloc_driver(mtty_tty_lines, TTY_DRIVER_REAL_RAW |
			       TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(drv)) {
		ret = PTR_ERR(drv);
		goto err_table;
	}
	drv->driver_name = "mtty";
	drv->name = MTTY_TTY_NAME;
	drv->major = 0;		/* dynamic */
	drv->minor_start = 0;
	drv->type = TTY_DRIVER_TYPE_SERIAL;
	drv->subtype = SERIAL_TYPE_NORMAL;
	drv->init_termios = tty_std_termios;
	/* no carrier detect unless the host asks for it (clear CLOCAL) */
	drv->init_termios.c_cflag = B9600 | CS8 | CREAD | HUPCL | CLOCAL;
	drv->init_termios.c_ispeed = 9600;
	drv->init_termios.c_ospeed = 9600;
	tty_set_operations(drv, &mtty_tty_ops);
	ret = tty_register_driver(drv);
	if (ret)
		goto err_put;
	mtty_tty_driver = drv;
	return 0;

err_put:
	tty_driver_kref_put(drv);
err_table:
	kfree(mtty_tty_table);
	return ret;
}

void mtty_tty_exit(void)
{
	tty_unregister_driver(mtty_tty_driver);
	tty_driver_kref_put(mtty_tty_driver);
	kfree(mtty_tty_table);
}
