# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmarks (issue 6): ours against the kernel's sample driver.
#   make bench          both kernels, results in bench/results/ (~20 min)
#   make bench-smoke    < 2 min sanity run of the bench code (for make check)
# BENCH_ARGS is passed to tests/bench/bench.sh (e.g. BENCH_ARGS="--runs 3").

BENCH_ARGS ?=

.PHONY: bench bench-smoke

bench: modules
	tests/bench/bench.sh --kernels "$(KERNELS)" $(BENCH_ARGS)

bench-smoke: modules
	tests/bench/bench.sh --smoke --kernels "$(lastword $(KERNELS))" $(BENCH_ARGS)
