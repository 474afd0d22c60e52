/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_uapi.h - <linux/vfio.h> plus the VFIO migration uAPI of Linux 6.2
 * (PRE_COPY, PRECOPY_INFO, MIG_DATA_SIZE) for test programs built against
 * Debian 12's linux-libc-dev 6.1.  The values are the kernel's ABI
 * (include/uapi/linux/vfio.h); each is defined only where the system
 * header lacks it.
 */
#ifndef MTTY_VFIO_UAPI_H
#define MTTY_VFIO_UAPI_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY		(1 << 2)
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7

struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};

#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE	9
#endif

#endif /* MTTY_VFIO_UAPI_H */
