# SPDX-License-Identifier: GPL-2.0-only
#
# Fuzzing and hardening (included by the top Makefile).
#   make fuzz-check   model fuzzer against the reference model, short form:
#                     corpus replay + 30 s run + mutant check, in parallel
#                     (about 55 s on 2 CPUs)
#   make fuzz-vm      in-VM fuzz + stress steps (40-fuzz, 50-stress), short
#                     form, on every kernel in $(KERNELS)
#   make fuzz         long forms: model fuzzer $(FUZZ_LONG_SECS) s, in-VM
#                     fuzzer >= 10^6 operations per kernel, longer stress
# See docs/testing.md.

FUZZ_LONG_SECS ?= 600

.PHONY: fuzz fuzz-check fuzz-model-long fuzz-vm fuzz-vm-long fuzz-tools

build/vfio_fuzz: tests/vm/vfio_fuzz.c $(TESTLIB) tests/lib/*.h driver/mtty_uart.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) $(TESTLIB_CFLAGS) -pthread -o $@ $< $(TESTLIB)

fuzz-tools: build/vfio_fuzz

fuzz-check:
	@tests/fuzz/run.sh check

fuzz-model-long:
	@FUZZ_SECS=$(FUZZ_LONG_SECS) tests/fuzz/run.sh long

# $(1): extra run.sh arguments (run.sh takes the shared VM lock itself)
define fuzz_vm_run
	@for k in $(KERNELS); do \
		tests/vm/run.sh --kernel $$k \
			--ko build/$$k/driver/mtty.ko --bin build/vfio_fuzz \
			--steps 40-fuzz,50-stress $(1) || exit 1; \
	done
endef

fuzz-vm: modules build/vfio_fuzz
	$(call fuzz_vm_run,)

fuzz-vm-long: modules build/vfio_fuzz
	$(call fuzz_vm_run,--append mtty.fuzz=long --timeout 7200 --step-timeout 5400)

fuzz: fuzz-model-long fuzz-vm-long
