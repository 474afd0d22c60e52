// SPDX-License-Identifier: GPL-2.0-only
/*
 * mtty_vfio_mig.c - VFIO migration v2 for mtty: the device state machine,
 * the data file of a transfer and the (empty) dirty log of a card that does
 * no DMA.  What is transferred and how it is checked is the pure model's
 * business (mtty_mig.c); this file only moves its bytes.
 *
 * A saving transfer produces a HELLO record (card identity) as soon as it
 * starts, so a PRE_COPY user learns early whether the destination fits, and
 * a STATE record when the device is stopped (STOP_COPY).  A resuming
 * transfer checks every record as it arrives and loads the state when the
 * device leaves RESUMING.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mtty_stream.h"
#include "mtty_vfio.h"

struct mtty_migf {
	struct file *filp;
	/* serialises the buffer and @s against the state machine */
	struct mutex lock;
	/* NULL once the transfer has ended (state left, reset, close) */
	struct mtty_state *s;
	bool resuming;
	/* saving: all STATE bytes are in @buf, end of stream is final */
	bool complete;
	size_t len;		/* bytes in buf */
	size_t pos;		/* saving: bytes already read */
	u8 buf[MTTY_MIG_FILE_MAX];
};

static void mtty_migf_disable(struct mtty_migf *migf)
{
	mutex_lock(&migf->lock);
	migf->s = NULL;
	mutex_unlock(&migf->lock);
}

static int mtty_migf_release(struct inode *inode, struct file *filp)
{
	struct mtty_migf *migf = filp->private_data;

	mtty_migf_disable(migf);
	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static ssize_t mtty_migf_read(struct file *filp, char __user *buf, size_t len,
			      loff_t *pos)
{
	struct mtty_migf *migf = filp->private_data;
	ssize_t ret;
	size_t n;

	if (pos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (!migf->s) {
		ret = -ENODEV;
		goto out;
	}
	n = min(len, migf->len - migf->pos);
	if (!n) {
		/* PRE_COPY has no more data for now; STOP_COPY has ended */
		ret = migf->complete ? 0 : -ENOMSG;
		goto out;
	}
	if (copy_to_user(buf, migf->buf + migf->pos, n)) {
		ret = -EFAULT;
		goto out;
	}
	migf->pos += n;
	ret = n;
out:
	mutex_unlock(&migf->lock);
	return ret;
}

static ssize_t mtty_migf_write(struct file *filp, const char __user *buf,
			       size_t len, loff_t *pos)
{
	struct mtty_migf *migf = filp->private_data;
	ssize_t ret;
	int err;

	if (pos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (!migf->s) {
		ret = -ENODEV;
		goto out;
	}
	if (len > sizeof(migf->buf) - migf->len) {
		ret = -EFBIG;
		goto out;
	}
	if (copy_from_user(migf->buf + migf->len, buf, len)) {
		ret = -EFAULT;
		goto out;
	}
	/* refuse a stream as soon as what has arrived cannot be loaded */
	err = mtty_mig_check_prefix(&migf->s->model, migf->buf,
				    migf->len + len);
	if (err) {
		ret = err;
		goto out;
	}
	migf->len += len;
	ret = len;
out:
	mutex_unlock(&migf->lock);
	return ret;
}

#ifdef VFIO_MIGRATION_PRE_COPY
/* Linux 6.2: VFIO_MIG_GET_PRECOPY_INFO on the data file of PRE_COPY */
static long mtty_migf_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct mtty_migf *migf = filp->private_data;
	struct vfio_precopy_info info = {};
	enum vfio_device_mig_state state;
	long ret;

	if (migf->resuming)
		return -ENOTTY;
	mutex_lock(&migf->lock);
	if (!migf->s) {
		ret = -ENODEV;
		goto out;
	}
#ifdef MTTY_HAVE_CHECK_PRECOPY_IOCTL
	/* Linux 7.1: validates and, for PRECOPY_INFOv2 users, zeroes flags */
	ret = vfio_check_precopy_ioctl(&migf->s->vdev, cmd, arg, &info);
	if (ret)
		goto out;
#else
	ret = -ENOTTY;
	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		goto out;
	ret = -EINVAL;
	if (info.argsz < minsz)
		goto out;
#endif
	/* only meaningful while the transfer is in a PRE_COPY state */
	state = READ_ONCE(migf->s->mig_state);
	if (state != VFIO_DEVICE_STATE_PRE_COPY &&
	    state != VFIO_DEVICE_STATE_PRE_COPY_P2P) {
		ret = -EINVAL;
		goto out;
	}
	/* the HELLO record is all the initial data; nothing gets dirty */
	info.initial_bytes = migf->len - migf->pos;
	info.dirty_bytes = 0;
	ret = copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
out:
	mutex_unlock(&migf->lock);
	return ret;
}
#endif

static const struct file_operations mtty_migf_fops = {
	.owner = THIS_MODULE,
	.read = mtty_migf_read,
	.write = mtty_migf_write,
#ifdef VFIO_MIGRATION_PRE_COPY
	.unlocked_ioctl = mtty_migf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
#endif
	.release = mtty_migf_release,
};

static struct mtty_migf *mtty_migf_new(struct mtty_state *s, bool resuming)
{
	struct mtty_migf *migf;
	struct file *filp;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	filp = anon_inode_getfile("mtty_mig", &mtty_migf_fops, migf,
				  resuming ? O_WRONLY : O_RDONLY);
	if (IS_ERR(filp)) {
		kfree(migf);
		return ERR_CAST(filp);
	}
	stream_open(filp->f_inode, filp);
	mutex_init(&migf->lock);
	migf->filp = filp;
	migf->s = s;
	migf->resuming = resuming;
	return migf;
}

/* End both transfers: their files see -ENODEV from now on. */
static void mtty_mig_end_transfers(struct mtty_state *s)
{
	lockdep_assert_held(&s->mig_lock);

	if (s->saving) {
		mtty_migf_disable(s->saving);
		fput(s->saving->filp);
		s->saving = NULL;
	}
	if (s->resuming) {
		mtty_migf_disable(s->resuming);
		fput(s->resuming->filp);
		s->resuming = NULL;
	}
}

/* Stop or start the UARTs; starting delivers what was held back. */
static void mtty_mig_set_running(struct mtty_state *s, bool running)
{
	unsigned int sig;

	mutex_lock(&s->lock);
	s->running = running;
	if (running) {
		sig = s->deferred;
		s->deferred = 0;
		mtty_deliver(s, sig);
	}
	mutex_unlock(&s->lock);
}

/* Start a saving transfer with the HELLO record. */
static struct file *mtty_mig_start_saving(struct mtty_state *s)
{
	struct mtty_migf *migf;
	long n;

	lockdep_assert_held(&s->mig_lock);

	migf = mtty_migf_new(s, false);
	if (IS_ERR(migf))
		return ERR_CAST(migf);
	n = mtty_mig_put_hello(&s->model, migf->buf, sizeof(migf->buf));
	if (n < 0) {
		fput(migf->filp);
		return ERR_PTR(n);
	}
	migf->len = n;
	get_file(migf->filp);
	s->saving = migf;
	return migf->filp;
}

/* The device is stopped: append the STATE record and end the stream. */
static int mtty_mig_finish_saving(struct mtty_state *s)
{
	struct mtty_migf *migf = s->saving;
	long n;

	lockdep_assert_held(&s->mig_lock);

	mutex_lock(&migf->lock);
	mutex_lock(&s->lock);
	n = mtty_mig_put_state(&s->model, migf->buf + migf->len,
			       sizeof(migf->buf) - migf->len);
	mutex_unlock(&s->lock);
	if (n >= 0) {
		migf->len += n;
		migf->complete = true;
	}
	mutex_unlock(&migf->lock);
	return n < 0 ? n : 0;
}

/* RESUMING -> STOP: load what arrived, or refuse it whole. */
static int mtty_mig_load(struct mtty_state *s)
{
	struct mtty_migf *migf = s->resuming;
	unsigned int sig = 0;
	int ret;

	lockdep_assert_held(&s->mig_lock);

	mutex_lock(&migf->lock);
	mutex_lock(&s->lock);
	ret = mtty_mig_restore(&s->model, migf->buf, migf->len, &sig);
	if (ret) {
		/* nothing was loaded: leave a freshly reset card behind */
		mtty_model_reset(&s->model);
		dev_notice_ratelimited(s->vdev.dev,
				       "migration stream refused (%d, %zu bytes)\n",
				       ret, migf->len);
	}
	/* stopped: held back until the device runs */
	mtty_deliver(s, sig);
	mutex_unlock(&s->lock);
	mutex_unlock(&migf->lock);
	return ret;
}

#ifdef VFIO_MIGRATION_PRE_COPY
/* Linux 6.2: the PRE_COPY arcs; false if @next is not one of them */
static bool mtty_mig_step_precopy(struct mtty_state *s,
				  enum vfio_device_mig_state next,
				  struct file **res)
{
	enum vfio_device_mig_state cur = s->mig_state;
	int ret;

	*res = NULL;
	if ((cur == VFIO_DEVICE_STATE_RUNNING &&
	     next == VFIO_DEVICE_STATE_PRE_COPY) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	     next == VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		*res = mtty_mig_start_saving(s);
		return true;
	}
	if ((cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     next == VFIO_DEVICE_STATE_PRE_COPY_P2P) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     next == VFIO_DEVICE_STATE_PRE_COPY))
		return true;
	if (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	    next == VFIO_DEVICE_STATE_STOP_COPY) {
		mtty_mig_set_running(s, false);
		ret = mtty_mig_finish_saving(s);
		if (ret)
			*res = ERR_PTR(ret);
		return true;
	}
	if ((cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     next == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     next == VFIO_DEVICE_STATE_RUNNING_P2P)) {
		/* saving abandoned: the device runs on unchanged */
		mtty_mig_end_transfers(s);
		return true;
	}
	return false;
}
#endif

/* One arc of the state machine, as vfio_mig_get_next_state() hands out. */
static struct file *mtty_mig_step(struct mtty_state *s,
				  enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = s->mig_state;
	struct mtty_migf *migf;
	struct file *filp;
	int ret;

	lockdep_assert_held(&s->mig_lock);

#ifdef VFIO_MIGRATION_PRE_COPY
	if (mtty_mig_step_precopy(s, next, &filp))
		return filp;
#endif
	switch (cur) {
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		if (next == VFIO_DEVICE_STATE_RUNNING ||
		    next == VFIO_DEVICE_STATE_RUNNING_P2P)
			return NULL;	/* no DMA: P2P is RUNNING */
		if (next == VFIO_DEVICE_STATE_STOP) {
			mtty_mig_set_running(s, false);
			return NULL;
		}
		break;
	case VFIO_DEVICE_STATE_STOP:
		if (next == VFIO_DEVICE_STATE_RUNNING_P2P) {
			mtty_mig_set_running(s, true);
			return NULL;
		}
		if (next == VFIO_DEVICE_STATE_STOP_COPY) {
			filp = mtty_mig_start_saving(s);
			if (IS_ERR(filp))
				return filp;
			ret = mtty_mig_finish_saving(s);
			if (ret) {
				mtty_mig_end_transfers(s);
				fput(filp);
				return ERR_PTR(ret);
			}
			return filp;
		}
		if (next == VFIO_DEVICE_STATE_RESUMING) {
			migf = mtty_migf_new(s, true);
			if (IS_ERR(migf))
				return ERR_CAST(migf);
			get_file(migf->filp);
			s->resuming = migf;
			return migf->filp;
		}
		break;
	case VFIO_DEVICE_STATE_STOP_COPY:
		if (next == VFIO_DEVICE_STATE_STOP) {
			mtty_mig_end_transfers(s);
			return NULL;
		}
		break;
	case VFIO_DEVICE_STATE_RESUMING:
		if (next == VFIO_DEVICE_STATE_STOP) {
			ret = mtty_mig_load(s);
			mtty_mig_end_transfers(s);
			return ret ? ERR_PTR(ret) : NULL;
		}
		break;
	default:
		break;
	}
	/* vfio_mig_get_next_state() never hands out another arc */
	WARN_ON_ONCE(1);
	return ERR_PTR(-EINVAL);
}

/*
 * A card with a host tty behind a port cannot migrate (its far end stays
 * on this host): saving and loading are refused before they start, with
 * the device untouched.  Stopping it (a paused VM) is fine.
 */
static bool mtty_mig_refused(struct mtty_state *s,
			     enum vfio_device_mig_state new)
{
	bool migratable;

	switch (new) {
	case VFIO_DEVICE_STATE_STOP_COPY:
	case VFIO_DEVICE_STATE_RESUMING:
#ifdef VFIO_MIGRATION_PRE_COPY
	case VFIO_DEVICE_STATE_PRE_COPY:
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
#endif
		break;
	default:
		return false;
	}
	mutex_lock(&s->lock);
	migratable = mtty_model_migratable(&s->model);
	mutex_unlock(&s->lock);
	if (!migratable)
		dev_notice_ratelimited(s->vdev.dev,
				       "migration refused: a port has the tty backend (set backend to loopback)\n");
	return !migratable;
}

static struct file *mtty_mig_set_state(struct vfio_device *vdev,
				       enum vfio_device_mig_state new)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&s->mig_lock);
	if (mtty_mig_refused(s, new)) {
		mutex_unlock(&s->mig_lock);
		return ERR_PTR(-EOPNOTSUPP);
	}
	while (s->mig_state != new) {
		ret = vfio_mig_get_next_state(vdev, s->mig_state, new, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = mtty_mig_step(s, next);
		if (IS_ERR(res)) {
			/*
			 * A refused stream leaves a reset card, a failed
			 * save a stopped one: ERROR until VFIO_DEVICE_RESET.
			 */
			if (s->mig_state == VFIO_DEVICE_STATE_RESUMING ||
			    next == VFIO_DEVICE_STATE_STOP_COPY)
				s->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		s->mig_state = next;
		/* only the last arc may hand out a file */
		if (res && s->mig_state != new) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&s->mig_lock);
	return res;
}

static int mtty_mig_get_state(struct vfio_device *vdev,
			      enum vfio_device_mig_state *state)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	mutex_lock(&s->mig_lock);
	*state = s->mig_state;
	mutex_unlock(&s->mig_lock);
	return 0;
}

#ifdef MTTY_HAVE_MIG_DATA_SIZE
static int mtty_mig_get_data_size(struct vfio_device *vdev,
				  unsigned long *stop_copy_length)
{
	struct mtty_state *s = container_of(vdev, struct mtty_state, vdev);

	mutex_lock(&s->lock);
	*stop_copy_length = mtty_mig_stream_size(&s->model);
	mutex_unlock(&s->lock);
	return 0;
}
#endif

static const struct vfio_migration_ops mtty_mig_ops = {
	.migration_set_state = mtty_mig_set_state,
	.migration_get_state = mtty_mig_get_state,
#ifdef MTTY_HAVE_MIG_DATA_SIZE
	.migration_get_data_size = mtty_mig_get_data_size,
#endif
};

#ifdef MTTY_HAVE_IOVA_BITMAP
/*
 * The card never writes guest memory, so there is never a dirty page to
 * report; logging exists so that QEMU can track dirty pages through the
 * device instead of requiring it from the IOMMU container.  Offered only
 * where the core can walk a report bitmap (see conftest.sh): elsewhere
 * QEMU falls back to the type1 container's tracking, which is exact for
 * an mdev that pins no pages.
 */
static int mtty_log_start(struct vfio_device *vdev,
			  struct rb_root_cached *ranges, u32 nnodes,
			  u64 *page_size)
{
	return 0;
}

static int mtty_log_stop(struct vfio_device *vdev)
{
	return 0;
}

static int mtty_log_read_and_clear(struct vfio_device *vdev,
				   unsigned long iova, unsigned long length,
				   struct iova_bitmap *dirty)
{
	return 0;
}

static const struct vfio_log_ops mtty_log_ops = {
	.log_start = mtty_log_start,
	.log_stop = mtty_log_stop,
	.log_read_and_clear = mtty_log_read_and_clear,
};
#endif

void mtty_mig_init(struct mtty_state *s)
{
	mutex_init(&s->mig_lock);
	s->mig_state = VFIO_DEVICE_STATE_RUNNING;
	s->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
#ifdef VFIO_MIGRATION_PRE_COPY
	s->vdev.migration_flags |= VFIO_MIGRATION_PRE_COPY;
#endif
	s->vdev.mig_ops = &mtty_mig_ops;
#ifdef MTTY_HAVE_IOVA_BITMAP
	s->vdev.log_ops = &mtty_log_ops;
#endif
}

void mtty_mig_destroy(struct mtty_state *s)
{
	mutex_destroy(&s->mig_lock);
}

void mtty_mig_reset(struct mtty_state *s)
{
	mutex_lock(&s->mig_lock);
	mtty_mig_end_transfers(s);
	s->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mutex_lock(&s->lock);
	s->running = true;
	s->deferred = 0;
	mutex_unlock(&s->lock);
	mutex_unlock(&s->mig_lock);
}
