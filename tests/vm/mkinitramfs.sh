#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkinitramfs.sh -- build the L1 initramfs of the mtty VM test bed.
#
#   mkinitramfs.sh --env KERNEL_ENV --ko mtty.ko -o OUT.cpio
#                  [--sample-ko ko] [--bin file]... [--l2init file]
#                  [--l2file file[:name]]... [--extra-steps dir]...
#                  [--qemu10 DIR] [--l1elf file]... [--l1file file[:path]]...
#
# --l2file puts a file into the nested guest's root, as /name (default: its
# own name).  --l1elf puts a dynamically linked program into the L1 root at
# its own path, with the libraries ldd names (e.g. /usr/bin/minicom for
# make demo-tty); --l1file a plain file, at path (default: its own path).  The test library (tests/lib/lib.sh) is staged in both the L1
# and the L2 root as /usr/lib/mtty-tests/lib.sh.
#
# KERNEL_ENV is the env file printed by kernel.sh.  The result is a
# concatenation of newc cpio archives (the kernel unpacks them in order):
#   base  busybox, qemu-system-x86_64 + libs + TCG module + firmware
#         (cached by the stat of every input file)
#   kmod  vfio/mdev modules of the kernel, decompressed (cached per kver)
#   l2    /l2/vmlinux + /l2/initramfs.cpio (cached per kver + L2 inputs)
#   qemu10  only with --qemu10 DIR (the directory tests/vm/qemu.sh 10
#         extracted): /opt/qemu10/bin/qemu-system-x86_64 + its libraries,
#         the firmware it opens in /opt/qemu10/share/qemu, its TCG module
#         (if a module in that build) in /opt/qemu10/lib/qemu, its version
#         in /opt/qemu10/version (cached by the stat of every input file)
#   run   /init, /steps, mtty.ko, test binaries (always rebuilt, small)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh disable=SC1091
. "$(dirname "$0")/../lib/lib.sh"

ENV_FILE='' KO='' SAMPLE_KO='' L2INIT='' OUT='' QEMU10=''
BINS=() L2FILES=() L2NAMES=() STEP_DIRS=("$VM_DIR/steps") L1ELFS=() L1FILES=()
while [ $# -gt 0 ]; do
	case $1 in
	--env) ENV_FILE=$2; shift ;;
	--ko) KO=$2; shift ;;
	--sample-ko) SAMPLE_KO=$2; shift ;;
	--bin) BINS+=("$2"); shift ;;
	--l2init) L2INIT=$2; shift ;;
	--l2file)
		L2FILES+=("${2%%:*}")
		case $2 in *:*) L2NAMES+=("${2#*:}") ;; *) L2NAMES+=("${2##*/}") ;; esac
		shift
		;;
	--extra-steps) STEP_DIRS+=("$2"); shift ;;
	--qemu10) QEMU10=$2; shift ;;
	--l1elf) L1ELFS+=("$2"); shift ;;
	--l1file) L1FILES+=("$2"); shift ;;
	-o) OUT=$2; shift ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
if [ -z "$ENV_FILE" ] || [ -z "$OUT" ] || [ -z "$KO" ]; then
	die "usage: $0 --env ENV --ko KO -o OUT [--sample-ko KO] [--bin F]... [--l2init F]"
fi
for f in "$ENV_FILE" "$KO" ${SAMPLE_KO:+"$SAMPLE_KO"} ${L2INIT:+"$L2INIT"} \
	${BINS[@]+"${BINS[@]}"} ${L2FILES[@]+"${L2FILES[@]}"} \
	${L1ELFS[@]+"${L1ELFS[@]}"}; do
	[ -f "$f" ] || die "no such file: $f"
done
# shellcheck disable=SC1090
. "$ENV_FILE"
: "${KVER:?} ${MODDIR:?} ${VMLINUX:?}"

need_cmds cpio ldd xz zstd qemu-system-x86_64 lspci setserial flock
IMG=$MTTY_CACHE/initramfs
mkdir -p "$IMG"
LIB_SH=$REPO_DIR/tests/lib/lib.sh
SELF_HASH=$(hash_files "$LIB_SH" "$REPO_DIR/tests/lib/host.sh" "$0")
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not installed"
QEMU_MODDIR=/usr/lib/x86_64-linux-gnu/qemu
# Firmware QEMU opens for -M pc -nodefaults with -kernel (bzImage or PVH).
FIRMWARE="/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/pvh.bin"
# Modules init loads (with their dependencies), if not built in.
L1_MODULES="irqbypass vfio vfio_virqfd vfio_iommu_type1 mdev"

# QEMU 10 (--qemu10 DIR): DIR/root is the extracted package tree.
Q10_ROOT=${QEMU10:+$QEMU10/root}
Q10_BIN=$Q10_ROOT/usr/bin/qemu-system-x86_64
Q10_TCG=$Q10_ROOT/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
# What it opens for -M pc -nodefaults with -kernel (bzImage or PVH), the
# same set as the base part's: SeaBIOS from the extracted seabios package
# (the -L directory holds only a symlink to it).
Q10_FIRMWARE="usr/share/seabios/bios-256k.bin usr/share/qemu/kvmvapic.bin
	usr/share/qemu/linuxboot_dma.bin usr/share/qemu/pvh.bin"
if [ -n "$QEMU10" ]; then
	[ -x "$Q10_BIN" ] || die "--qemu10 $QEMU10: no $Q10_BIN (tests/vm/qemu.sh 10)"
	for f in $Q10_FIRMWARE; do
		[ -f "$Q10_ROOT/$f" ] || die "--qemu10 $QEMU10: no firmware $f"
	done
fi

# Cache key from names, sizes and mtimes of files (cheap, catches upgrades).
stat_key() {
	stat -L -c '%n %s %Y' "$@" | sha_stdin | cut -c1-16
}

elf_deps() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

# Every file the qemu10 part is made of (for its cache key).
q10_inputs() {
	local f
	# the host QEMU too: its libraries (in the base part) are left out
	printf '%s\n' "$QEMU" "$Q10_BIN"
	elf_deps "$Q10_BIN"
	if [ -e "$Q10_TCG" ]; then
		printf '%s\n' "$Q10_TCG"
		elf_deps "$Q10_TCG"
	fi
	for f in $Q10_FIRMWARE; do
		printf '%s\n' "$Q10_ROOT/$f"
	done
}

build_qemu10() {
	local out=$1 root f base_libs
	root=$(mktemp -d "$IMG/.q10.XXXXXX")
	stage_skeleton "$root"
	stage_file "$root" "$Q10_BIN" /opt/qemu10/bin/qemu-system-x86_64
	if [ -e "$Q10_TCG" ]; then
		stage_file "$root" "$Q10_TCG" /opt/qemu10/lib/qemu/accel-tcg-x86_64.so
	fi
	# its libraries, except those the base part has for QEMU 7.2 (the
	# same host files: QEMU 10 from bookworm-backports uses Debian 12's)
	base_libs=" $( { elf_deps "$QEMU"; elf_deps "$QEMU_MODDIR/accel-tcg-x86_64.so"; } |
		tr '\n' ' ') "
	while read -r f; do
		case $base_libs in *" $f "*) continue ;; esac
		[ -e "$root$(img_path "$f")" ] || stage_file "$root" "$f"
	done < <({ elf_deps "$Q10_BIN"; [ ! -e "$Q10_TCG" ] || elf_deps "$Q10_TCG"; } | sort -u)
	for f in $Q10_FIRMWARE; do
		stage_file "$root" "$Q10_ROOT/$f" "/opt/qemu10/share/qemu/${f##*/}"
	done
	"$Q10_BIN" --version | head -n1 >"$root/opt/qemu10/version"
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_base() {
	local out=$1 root
	root=$(mktemp -d "$IMG/.base.XXXXXX")
	stage_skeleton "$root"
	stage_busybox "$root"
	stage_elf "$root" "$QEMU" /usr/bin/qemu-system-x86_64
	stage_elf "$root" "$QEMU_MODDIR/accel-tcg-x86_64.so"
	for f in $FIRMWARE; do
		stage_file "$root" "$f"
	done
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_kmod() {
	local out=$1 root rel dest
	root=$(mktemp -d "$IMG/.kmod.XXXXXX")
	mkdir -p "$root/usr/lib/modules/$KVER" "$root/etc"
	: >"$root/etc/mtty-l1-modules"
	while read -r rel m; do
		if [ "$rel" = missing ]; then
			log "note: $m is not a separate module in $KVER (built in)"
			continue
		fi
		dest=usr/lib/modules/$KVER/${rel%.ko*}.ko
		mkdir -p "$root/${dest%/*}"
		case $rel in
		*.ko.xz) xz -dc "$MODDIR/$rel" >"$root/$dest" ;;
		*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$root/$dest" ;;
		*.ko.gz) gzip -dc "$MODDIR/$rel" >"$root/$dest" ;;
		*.ko) cp "$MODDIR/$rel" "$root/$dest" ;;
		*) die "unexpected module file $rel" ;;
		esac
		printf '/%s\n' "$dest" >>"$root/etc/mtty-l1-modules"
	done < <(module_order "$MODDIR" "$L1_MODULES")
	[ -s "$root/etc/mtty-l1-modules" ] || die "no L1 modules found in $MODDIR"
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_l2_initramfs() {
	local out=$1 root i
	root=$(mktemp -d "$IMG/.l2i.XXXXXX")
	stage_skeleton "$root"
	stage_busybox "$root"
	stage_elf "$root" "$(command -v lspci)" /usr/bin/lspci
	stage_elf "$root" "$(command -v setserial)" /usr/bin/setserial
	stage_file "$root" /usr/share/misc/pci.ids
	stage_file "$root" "$LIB_SH" "$MTTY_LIB_IMG"
	for i in "${!L2FILES[@]}"; do
		cp -L --preserve=mode "${L2FILES[$i]}" "$root/${L2NAMES[$i]}"
	done
	cp -L "$L2INIT" "$root/init"
	chmod 755 "$root/init"
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_l2() {
	local out=$1 l2i=$2 root
	root=$(mktemp -d "$IMG/.l2.XXXXXX")
	mkdir -p "$root/l2"
	ln "$L2_VMLINUX" "$root/l2/vmlinux" 2>/dev/null || cp "$L2_VMLINUX" "$root/l2/vmlinux"
	ln "$l2i" "$root/l2/initramfs.cpio" 2>/dev/null || cp "$l2i" "$root/l2/initramfs.cpio"
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_run() {
	local out=$1 root f d
	root=$(mktemp -d "$IMG/.run.XXXXXX")
	mkdir -p "$root/steps" "$root/usr/bin" "$root/usr/lib/mtty/sample" "$root/etc"
	cp "$VM_DIR/l1-init.sh" "$root/init"
	chmod 755 "$root/init"
	stage_file "$root" "$LIB_SH" "$MTTY_LIB_IMG"
	for d in "${STEP_DIRS[@]}"; do
		for f in "$d"/*.sh; do
			[ -e "$f" ] && cp "$f" "$root/steps/"
		done
	done
	cp "$KO" "$root/usr/lib/mtty/mtty.ko"
	[ -z "$SAMPLE_KO" ] || cp "$SAMPLE_KO" "$root/usr/lib/mtty/sample/mtty.ko"
	for f in ${BINS[@]+"${BINS[@]}"}; do
		if ! is_static "$f" && [ "$(head -c2 "$f")" != '#!' ]; then
			log "warning: $f is not a static executable; L1 only has qemu's libraries"
		fi
		cp -L --preserve=mode "$f" "$root/usr/bin/${f##*/}"
		chmod 755 "$root/usr/bin/${f##*/}"
	done
	for f in ${L1ELFS[@]+"${L1ELFS[@]}"}; do
		stage_elf "$root" "$f"
	done
	for f in ${L1FILES[@]+"${L1FILES[@]}"}; do
		[ -f "${f%%:*}" ] || die "no such file: ${f%%:*}"
		case $f in
		*:*) stage_file "$root" "${f%%:*}" "${f#*:}" ;;
		*) stage_file "$root" "$f" ;;
		esac
	done
	# golden migration transfers (tests/golden): every kernel loads them
	mkdir -p "$root/usr/share/mtty/golden"
	for f in "$REPO_DIR"/tests/golden/*.mig; do
		[ -e "$f" ] && cp "$f" "$root/usr/share/mtty/golden/"
	done
	printf '%s\n' "$KVER" >"$root/etc/mtty-kver"
	mk_cpio "$root" "$out"
	rm -rf "$root"
}

build_if_absent() {
	local out=$1 builder=$2
	shift 2
	[ -s "$out" ] && return 0
	"$builder" "$out" "$@"
	log "built ${out##*/} ($(du -h "$out" | cut -f1))"
}

# cached NAME KEY BUILDER [ARGS]: print the path of $IMG/NAME-KEY.cpio,
# running "BUILDER OUT ARGS" (under a lock) if it does not exist yet.
cached() {
	local name=$1 key=$2 out
	shift 2
	out=$IMG/$name-$key.cpio
	[ -s "$out" ] || with_lock "initramfs-$name" build_if_absent "$out" "$@"
	printf '%s\n' "$out"
}

main() {
	local base kmod l2 l2i run parts key libs
	libs=$( { elf_deps "$QEMU"; elf_deps "$QEMU_MODDIR/accel-tcg-x86_64.so"; } | sort -u)
	# shellcheck disable=SC2086 # word splitting of file lists is intended
	key=$( { echo "$SELF_HASH"; stat_key "$(command -v busybox)" "$QEMU" \
		"$QEMU_MODDIR/accel-tcg-x86_64.so" $FIRMWARE $libs; } | sha_stdin | cut -c1-16)
	base=$(cached base "$key" build_base)

	key=$( { echo "$SELF_HASH $L1_MODULES"; stat_key "$MODDIR/modules.dep"; } | sha_stdin | cut -c1-16)
	kmod=$(cached "kmod-$KVER" "$key" build_kmod)
	parts=("$base" "$kmod")

	if [ -n "$L2INIT" ]; then
		# shellcheck disable=SC2046
		key=$( { echo "$SELF_HASH ${L2NAMES[*]}"; hash_files "$L2INIT" ${L2FILES[@]+"${L2FILES[@]}"};
			stat_key "$(command -v busybox)" "$(command -v lspci)" \
				"$(command -v setserial)" /usr/share/misc/pci.ids \
				$(elf_deps "$(command -v lspci)"); } | sha_stdin | cut -c1-16)
		l2i=$(cached l2-initramfs "$key" build_l2_initramfs)
		L2_VMLINUX=$(l2_vmlinux) || die "no L2 kernel (l2_vmlinux)"
		[ -f "$L2_VMLINUX" ] || die "no L2 kernel at '$L2_VMLINUX'"
		key=$( { echo "$SELF_HASH"; stat_key "$L2_VMLINUX" "$l2i"; } | sha_stdin | cut -c1-16)
		# named after the guest's kernel: both host lines share one part
		l2=$(cached "l2-$(basename "$(dirname "$L2_VMLINUX")")" "$key" build_l2 "$l2i")
		parts+=("$l2")
	fi

	if [ -n "$QEMU10" ]; then
		key=$( { echo "$SELF_HASH"; q10_inputs | xargs stat -L -c '%n %s %Y'; } |
			sha_stdin | cut -c1-16)
		parts+=("$(cached "qemu10-$(basename "$QEMU10")" "$key" build_qemu10)")
	fi

	run=$(mktemp "$IMG/.run-XXXXXX.cpio")
	build_run "$run"
	parts+=("$run")
	mkdir -p "$(dirname "$OUT")"
	cat "${parts[@]}" >"$OUT.tmp.$$"
	mv -f "$OUT.tmp.$$" "$OUT"
	rm -f "$run"
	# Drop cached parts unused for a week (mtime is refreshed on use).
	touch "${parts[@]:0:${#parts[@]}-1}"
	find "$IMG" -maxdepth 1 -name '*.cpio' -mtime +7 -delete 2>/dev/null || true
	printf '%s\n' "$OUT"
}

main
