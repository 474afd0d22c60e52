/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mtty_compat.h - the only place where the pure device model meets its
 * environment.  The model sources (mtty_uart.c, mtty_pci.c, mtty_model.c,
 * mtty_mig.c) include nothing but this header and their own, so the same
 * files build in Kbuild and in the userspace unit tests and fuzzers.
 * Error codes are the kernel's (<linux/errno.h>) or libc's (<errno.h>);
 * both are the Linux values.
 */
#ifndef MTTY_COMPAT_H
#define MTTY_COMPAT_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* the compiler's own fixed-width types, as <linux/types.h> has them */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
#endif

#endif /* MTTY_COMPAT_H */
