# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmarks (issue 6): ours against the kernel's sample driver.
#   make bench          both kernels, results in bench/results/ (~20 min)
#   make bench-smoke    < 2 min sanity run of the bench code (for make check)
#   make bench-model    the pure model natively (-O2, no VM): register
#                       operations per second, save + load time
#   make bench-mig      live migration (issue 12): downtime and device state
#                       stream size, ours vs the sample, QEMU 10, on
#                       MIGBENCH_KERNELS (the sample migrates from 6.7: 6.12);
#                       results in bench/results/ (~12 min); part of make bench
#   make bench-mig-smoke  one idle migration per driver (about 40 s of VM, for make check)
#   make bench-count    counted costs (issue 15): QEMU's VFIO trace events per
#                       byte and per guest interrupt, ours vs the sample, in
#                       the nested guest, on COUNT_KERNELS (default: every
#                       line); bench/results/<date>-<kver>-counts.{md,svg,raw.txt};
#                       part of make bench (one L1 boot per line)
# BENCH_ARGS is passed to tests/bench/bench.sh (e.g. BENCH_ARGS="--runs 3"),
# MIGBENCH_ARGS to tests/bench/migbench.sh (e.g. MIGBENCH_ARGS="--rounds 3"),
# COUNT_ARGS to tests/bench/count.sh (e.g. COUNT_ARGS="--sizes 4096,8192").

BENCH_ARGS ?=
MIGBENCH_ARGS ?=
MIGBENCH_KERNELS ?= 6.12
COUNT_KERNELS ?= $(BUILD_KERNELS)
COUNT_ARGS ?=

.PHONY: bench bench-smoke bench-model bench-mig bench-mig-smoke bench-count

bench: modules
	tests/bench/bench.sh --kernels "$(KERNELS)" $(BENCH_ARGS)
	$(MAKE) bench-mig
	$(MAKE) bench-count

bench-count: deps
	@for k in $(COUNT_KERNELS); do scripts/build-module.sh $$k || exit 1; done
	tests/bench/count.sh --kernels "$(COUNT_KERNELS)" $(COUNT_ARGS)

bench-mig: deps
	@for k in $(MIGBENCH_KERNELS); do scripts/build-module.sh $$k || exit 1; done
	tests/bench/migbench.sh --kernels "$(MIGBENCH_KERNELS)" $(MIGBENCH_ARGS)

bench-mig-smoke: deps
	@for k in $(firstword $(MIGBENCH_KERNELS)); do scripts/build-module.sh $$k || exit 1; done
	tests/bench/migbench.sh --smoke --kernels "$(firstword $(MIGBENCH_KERNELS))" $(MIGBENCH_ARGS)

bench-smoke: modules
	tests/bench/bench.sh --smoke --kernels "$(lastword $(KERNELS))" $(BENCH_ARGS)

build/model_ops: tests/bench/model_ops.c $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -Idriver -o $@ tests/bench/model_ops.c $(MODEL_SRCS)

bench-model: build/model_ops
	build/model_ops
