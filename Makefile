# SPDX-License-Identifier: GPL-2.0-only
#
# mtty: VFIO mediated PCI serial card.
#   make demo    boot a VM and walk the seed's steps 1-8 end to end
#   make demo-tty (or make demo DEMO=tty) the second demo: host <-> guest
#                terminals through a port with backend tty
#   make check   every test: lint, unit, builds and VMs on both kernels
# See README.md.

# KERNELS: the kernel lines the VM tests (and `make modules`) use;
# BUILD_KERNELS: every line the build phase of `make check` and
# `make modules-all` build against (tests/vm/README.md, docs/design.md).
KERNELS ?= 6.1 6.12
BUILD_KERNELS ?= 6.1 6.12 trixie trixie-backports unstable
export BUILD_KERNELS
MTTY_CACHE ?= /var/cache/mtty
export MTTY_CACHE

CC ?= cc
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-Idriver -Itests/unit
MODEL_SRCS := driver/mtty_uart.c driver/mtty_pci.c driver/mtty_model.c \
	driver/mtty_mig.c driver/mtty_stream.c
STATIC_CFLAGS := -static -O2 -Wall -Wextra -Werror

.PHONY: all deps modules modules-all unit lint tools vm-test check check-full sysvm-test \
	demo demo-tty clean golden

all: modules

deps:
	@scripts/deps.sh

modules: deps
	@for k in $(KERNELS); do scripts/build-module.sh $$k || exit 1; done

modules-all: deps
	@for k in $(BUILD_KERNELS); do scripts/build-module.sh $$k || exit 1; done

build/unit/test_model: tests/unit/test_model.c tests/unit/unit.h $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_model.c $(MODEL_SRCS)

build/unit/test_mig: tests/unit/test_mig.c tests/unit/unit.h tests/unit/card.h $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_mig.c $(MODEL_SRCS)

build/unit/test_stream: tests/unit/test_stream.c tests/unit/unit.h tests/unit/card.h $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_stream.c $(MODEL_SRCS)

build/unit/test_intx: tests/unit/test_intx.c tests/unit/unit.h $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_intx.c $(MODEL_SRCS)

unit: build/unit/test_model build/unit/test_mig build/unit/test_stream build/unit/test_intx
	build/unit/test_model
	build/unit/test_intx
	build/unit/test_mig tests/golden
	build/unit/test_stream tests/golden

# The golden migration streams (tests/golden/*.bin) are a committed
# contract: regenerate them only for a new stream version.
build/mkgolden: tests/golden/mkgolden.c $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/golden/mkgolden.c $(MODEL_SRCS)

golden: build/mkgolden
	build/mkgolden tests/golden

TESTLIB := tests/lib/tap.c tests/lib/vfio_dev.c
TESTLIB_CFLAGS := -Itests/lib -Idriver

build/vfio_client: tests/vm/vfio_client.c $(TESTLIB) tests/lib/*.h driver/mtty_uart.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) $(TESTLIB_CFLAGS) -o $@ $< $(TESTLIB)

build/vfio_mig: tests/vm/vfio_mig.c $(TESTLIB) tests/lib/*.h driver/mtty_uart.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) $(TESTLIB_CFLAGS) -o $@ tests/vm/vfio_mig.c $(TESTLIB)

build/vfio_resample: tests/vm/vfio_resample.c $(TESTLIB) tests/lib/*.h driver/mtty_uart.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -Itests/lib -Idriver -o $@ tests/vm/vfio_resample.c $(TESTLIB)

build/vfio_hosttty: tests/vm/vfio_hosttty.c $(TESTLIB) tests/lib/*.h driver/mtty_uart.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) $(TESTLIB_CFLAGS) -o $@ tests/vm/vfio_hosttty.c $(TESTLIB)

build/tty_peer: tests/vm/tty_peer.c tests/lib/tap.c tests/lib/*.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -Itests/lib -o $@ tests/vm/tty_peer.c tests/lib/tap.c

build/l2init: tests/vm/l2init.c tests/lib/rawtty.h tests/lib/peerpat.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -pthread -Itests/lib -o $@ $<

build/hmp: tests/vm/hmp.c
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

tools: build/vfio_client build/l2init build/vfio_fuzz build/vfio_mig \
	build/vfio_resample build/hmp build/vfio_hosttty build/tty_peer

lint: deps
	@scripts/lint.sh

vm-test: modules tools
	@for k in $(KERNELS); do \
		tests/vm/run.sh --kernel $$k --ko build/$$k/driver/mtty.ko --qemu10 \
			--bin build/vfio_client --bin build/vfio_fuzz \
			--bin build/vfio_mig --bin build/vfio_resample \
			--bin build/hmp --bin build/vfio_hosttty \
			--bin build/tty_peer --l2init build/l2init || exit 1; \
	done

check: deps
	@scripts/check.sh

# every kernel line in every VM kind, the package VM test on both lines
# of Debian 12 and of Debian 13, and the two-host Ansible run (make
# fleet-test, mk/fleet.mk); see docs/testing.md for the last run
check-full: deps
	@rc=0; MTTY_FULL=1 scripts/check.sh || rc=1; \
	$(MAKE) pkg-vm-test RUNS="bookworm:6.1 bookworm:6.12 trixie:trixie trixie:trixie-backports" || rc=1; \
	$(MAKE) fleet-test || rc=1; exit $$rc

# The operator-stack VM test (systemd, udev, mdevctl, libvirt on a booted
# Debian image); make check runs it on Debian 13 (trixie:trixie),
# check-full on all four pairs of both releases.  RUNS="SUITE:LINE ..." names (release,
# kernel line) pairs, e.g. RUNS="trixie:trixie trixie:trixie-backports";
# without it, KERNELS on Debian 12.
sysvm-test: deps tools
	@rc=0; for r in $(if $(strip $(RUNS)),$(RUNS),$(addprefix bookworm:,$(KERNELS))); do \
		scripts/build-module.sh "$${r#*:}" >/dev/null && \
		tests/sysvm/run.sh --suite "$${r%%:*}" --kernel "$${r#*:}" \
			--ko "build/$${r#*:}/driver/mtty.ko" || rc=1; \
	done; exit $$rc

demo: deps modules tools
	@DEMO=$(DEMO) scripts/demo.sh

demo-tty: deps modules tools
	@DEMO=tty scripts/demo.sh

clean:
	rm -rf build

# fragments: install, packaging, benchmarks, fuzzing
-include mk/*.mk
