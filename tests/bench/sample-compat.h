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

/*
 * uapi of the PRE_COPY migration states (6.2) and of the migration data size
 * feature: the tests' own copy (tests/lib/vfio_uapi.h, each defined only
 * where the kernel lacks it).  Only needed so that the sample's migration
 * code compiles; the benchmark never migrates.
 */
#include "../lib/vfio_uapi.h"

#endif /* MTTY_BENCH_SAMPLE_COMPAT_H */
