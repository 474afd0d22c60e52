/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sample-compat.h - build-time shim that lets the kernel's own
 * samples/vfio-mdev/mtty.c (written for 6.12) build against older kernels
 * (Debian 12's 6.1) for the benchmark.  It is passed with "-include" by
 * tests/bench/sample.sh; the sample source itself is never committed and is
 * only touched in the cache (see sample.sh for the few lines it drops).
 *
 * Our own code: API differences only, no sample code.
 */
#ifndef MTTY_BENCH_SAMPLE_COMPAT_H
#define MTTY_BENCH_SAMPLE_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/module.h>
#include <linux/vfio.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
/* 6.8 dropped the counter argument of eventfd_signal() */
#define eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
/* 6.4 dropped the owner argument of class_create() */
#undef class_create
#define class_create(name) ({					\
	static struct lock_class_key __key;			\
	__class_create(THIS_MODULE, (name), &__key);		\
})
#endif

#ifndef VFIO_MIG_GET_PRECOPY_INFO
/*
 * uapi of the PRE_COPY migration states (6.2).  Only needed so that the
 * sample's migration code compiles; the benchmark never migrates.
 */
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7
#endif
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY		(1 << 2)
#endif

#endif /* MTTY_BENCH_SAMPLE_COMPAT_H */
