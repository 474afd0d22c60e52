# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmarks (issue 6): ours against the kernel's sample driver.
#   make bench          both kernels, results in bench/results/ (~20 min)
#   make bench-smoke    < 2 min sanity run of the bench code (for make check)
#   make bench-model    the pure model natively (-O2, no VM): register
#                       operations per second, save + load time
# BENCH_ARGS is passed to tests/bench/bench.sh (e.g. BENCH_ARGS="--runs 3").

BENCH_ARGS ?=

.PHONY: bench bench-smoke bench-model

bench: modules
	tests/bench/bench.sh --kernels "$(KERNELS)" $(BENCH_ARGS)

bench-smoke: modules
	tests/bench/bench.sh --smoke --kernels "$(lastword $(KERNELS))" $(BENCH_ARGS)

build/model_ops: tests/bench/model_ops.c $(MODEL_SRCS) driver/*.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -Idriver -o $@ tests/bench/model_ops.c $(MODEL_SRCS)

bench-model: build/model_ops
	build/model_ops
