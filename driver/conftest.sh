#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# conftest.sh KDIR OUTPUT [make arguments...]
#
# Compile-time feature probes for the kernel APIs mtty uses that changed
# between the kernels we support.  Each probe is a tiny translation unit
# compiled with the target kernel's own Kbuild; the result is a header of
# MTTY_HAVE_* macros.  One probe per API change, each naming the release
# that made the change.  No version or distribution checks.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 KDIR OUTPUT [make arguments...]" >&2
	exit 2
fi
kdir=$1
out=$2
shift 2

if [ ! -e "$kdir/Makefile" ]; then
	echo "conftest: no kernel build tree at $kdir (install linux-headers for the target kernel)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtty-conftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Before the probes: can this compiler build a module for this kernel at
# all?  If not, every probe fails and the real cause (a kernel built by a
# newer compiler, kbuild tools linked against a newer glibc) would be
# reported as a missing API.
mkdir "$tmp/cc"
printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >"$tmp/cc/mtty_cc.c"
# shellcheck disable=SC2016 # make syntax, not shell
printf '$(info mtty-conftest-cc: $(strip $(CC)))\nobj-m += mtty_cc.o\n' >"$tmp/cc/Kbuild"
if ! make -C "$kdir" M="$tmp/cc" "$@" modules >"$tmp/cc.log" 2>&1 || [ ! -s "$tmp/cc/mtty_cc.ko" ]; then
	conf=$kdir/include/config/auto.conf
	[ -e "$conf" ] || conf=$kdir/.config
	built=$(sed -n 's/^CONFIG_CC_VERSION_TEXT=//p' "$conf" 2>/dev/null | sed 's/^"\(.*\)"$/\1/')
	tried=$(sed -n 's/^mtty-conftest-cc: //p' "$tmp/cc.log" | head -n1)
	tried_bin=${tried##* }
	if [ -z "$tried" ]; then
		tried="unknown (kbuild failed before compiling; see below)"
	elif command -v "$tried_bin" >/dev/null 2>&1; then
		tried="$tried = $("$tried_bin" --version 2>/dev/null | head -n1)"
	else
		tried="$tried (not installed here)"
	fi
	# Debian's compiler package: the command without its target triplet
	pkg=${built%% *}
	pkg=${pkg##*-linux-gnu-}
	case $pkg in
	gcc | gcc-[0-9]* | clang*) ;;
	*) pkg="the compiler named above" ;;
	esac
	release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || echo "$kdir")
	case $release in
	*+deb12-* | 6.1.0-*) root=bookworm ;;
	*+deb13-*) root=trixie ;;
	*) root=unstable ;;
	esac
	echo "conftest: cannot build a trivial module for $release with this compiler and kbuild." >&2
	echo "conftest:   the kernel was built with: ${built:-unknown (no CONFIG_CC_VERSION_TEXT in $conf)}" >&2
	echo "conftest:   the compiler tried:        $tried" >&2
	echo "conftest: build it with $pkg (Debian package $pkg) on a system of the kernel's release (its kbuild tools need that release's glibc);" >&2
	echo "conftest: from the mtty source tree: build in a Debian root: scripts/build-root.sh $root (scripts/build-module.sh LINE does it)." >&2
	grep -E 'error|Error 1|not found|GLIBC|unrecognized' "$tmp/cc.log" | sed -n '1,12s/^/conftest: | /p' >&2
	exit 1
fi

printf 'ccflags-y += -Werror\n' >"$tmp/Kbuild"
probes=""

# probe NAME MACRO "release note" <<C-source
probe() {
	cat >"$tmp/$1.c"
	printf 'obj-m += %s.o\n' "$1" >>"$tmp/Kbuild"
	probes="$probes $1:$2"
}

# Linux 6.1 introduced mdev_register_parent() with struct mdev_type and
# mdev_driver.get_available; mtty needs it (no fallback: older kernels are
# not supported).
probe mdev_parent MTTY_HAVE_MDEV_PARENT <<'C'
#include <linux/mdev.h>
static unsigned int avail(struct mdev_type *t) { return 0; }
static struct mdev_driver drv = { .get_available = avail };
static int __maybe_unused probe(struct mdev_parent *p, struct device *d, struct mdev_type **t)
{
	return mdev_register_parent(p, d, &drv, t, 1);
}
C

# Linux 6.1 drivers free their vfio_device with vfio_free_device() from
# their .release callback; Linux 6.2 removed it and the core frees.
probe vfio_free_device MTTY_HAVE_VFIO_FREE_DEVICE <<'C'
#include <linux/vfio.h>
static void __maybe_unused probe(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}
C

# Linux 6.2 added the iommufd callbacks to vfio_device_ops and the
# emulated-IOMMU helpers that mdev drivers plug into them.
probe vfio_iommufd_emulated MTTY_HAVE_VFIO_IOMMUFD_EMULATED <<'C'
#include <linux/vfio.h>
const struct vfio_device_ops probe_ops __maybe_unused = {
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
};
C

# Linux 6.6 added vfio_device_ops.detach_ioas.
probe vfio_detach_ioas MTTY_HAVE_VFIO_DETACH_IOAS <<'C'
#include <linux/vfio.h>
const struct vfio_device_ops probe_ops __maybe_unused = {
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};
C

# Linux 6.8 dropped the count argument of eventfd_signal().
probe eventfd_signal_nocount MTTY_HAVE_EVENTFD_SIGNAL_NOCOUNT <<'C'
#include <linux/eventfd.h>
static void __maybe_unused probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
C

# Linux 6.19 moved VFIO_DEVICE_GET_REGION_INFO into the VFIO core: it calls
# vfio_device_ops.get_region_info_caps and answers -EINVAL without it; the
# ioctl no longer reaches .ioctl.
probe get_region_info_caps MTTY_HAVE_GET_REGION_INFO_CAPS <<'C'
#include <linux/vfio.h>
static int probe_info(struct vfio_device *vdev, struct vfio_region_info *info,
		      struct vfio_info_cap *caps)
{
	return 0;
}
const struct vfio_device_ops probe_ops __maybe_unused = {
	.get_region_info_caps = probe_info,
};
C

# Linux 6.2 added vfio_migration_ops.migration_get_data_size (and the
# PRE_COPY states, found through the uapi's VFIO_MIGRATION_PRE_COPY); the
# core refuses to register a migratable device without it from then on.
probe mig_data_size MTTY_HAVE_MIG_DATA_SIZE <<'C'
#include <linux/vfio.h>
static int probe_size(struct vfio_device *vdev, unsigned long *len)
{
	return 0;
}
const struct vfio_migration_ops probe_ops __maybe_unused = {
	.migration_get_data_size = probe_size,
};
C

# Linux 7.1 added vfio_check_precopy_ioctl(), which also clears the flags
# of VFIO_MIG_GET_PRECOPY_INFO for users of PRECOPY_INFOv2.
probe check_precopy_ioctl MTTY_HAVE_CHECK_PRECOPY_IOCTL <<'C'
#include <linux/vfio.h>
static int __maybe_unused probe(struct vfio_device *vdev, unsigned long arg)
{
	struct vfio_precopy_info info;

	return vfio_check_precopy_ioctl(vdev, VFIO_MIG_GET_PRECOPY_INFO, arg,
					&info);
}
C

# Linux 6.9 moved iova_bitmap into iommufd: without CONFIG_IOMMUFD_DRIVER
# (Debian's kernels) the header has static stubs and every DMA logging
# report fails in the VFIO core with EOPNOTSUPP before it reaches the
# driver, so mtty offers dirty logging only where the real one exists.
# (The probe defines the function: that only fails against the stub.)
probe iova_bitmap MTTY_HAVE_IOVA_BITMAP <<'C'
#include <linux/iova_bitmap.h>
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn)
{
	return 0;
}
C

# Linux 6.6 made tty_operations.write take a size_t count and return
# ssize_t (it was int and int).
probe tty_write_size_t MTTY_HAVE_TTY_WRITE_SIZE_T <<'C'
#include <linux/tty_driver.h>
static ssize_t probe_write(struct tty_struct *tty, const u8 *buf, size_t count)
{
	return count;
}
const struct tty_operations probe_ops __maybe_unused = {
	.write = probe_write,
};
C

targets=""
for p in $probes; do
	targets="$targets ${p%%:*}.o"
done
# shellcheck disable=SC2086 # word splitting of the target list is intended
make -C "$kdir" M="$tmp" -k "$@" $targets >"$tmp/build.log" 2>&1 || true

{
	printf '/* SPDX-License-Identifier: GPL-2.0-only */\n'
	printf '/* Generated by conftest.sh for %s: do not edit. */\n' "$kdir"
	printf '#ifndef MTTY_CONFTEST_H\n#define MTTY_CONFTEST_H\n'
	for p in $probes; do
		name=${p%%:*}
		macro=${p#*:}
		if [ -s "$tmp/$name.o" ]; then
			printf '#define %s 1\n' "$macro"
		else
			printf '/* #undef %s */\n' "$macro"
		fi
	done
	printf '#endif\n'
} >"$out.tmp"

if ! grep -q '^#define MTTY_HAVE_MDEV_PARENT' "$out.tmp"; then
	rm -f "$out.tmp"
	echo "conftest: $kdir lacks mdev_register_parent() (Linux 6.1 or later with CONFIG_VFIO_MDEV is required)" >&2
	sed -n '1,40p' "$tmp/build.log" >&2
	exit 1
fi
mv "$out.tmp" "$out"
