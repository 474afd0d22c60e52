#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh -- libFuzzer runs of the pure mtty device model (tests/fuzz/fuzz_model.c)
# and of the migration stream loader (tests/fuzz/fuzz_mig.c).
#
#   run.sh check     replay tests/fuzz/corpus, fuzz for $FUZZ_SECS (30) s,
#                    replay tests/fuzz/corpus-mig, fuzz the loader for
#                    $FUZZ_MIG_SECS (15) s, then the mutant check (below)
#   run.sh long      replay, fuzz for $FUZZ_SECS (default 600) s, mutants
#   run.sh mutants   build the harness against deliberately broken copies of
#                    the model and require that each one is caught, with the
#                    expected kind of MISMATCH, by the corpus replay and by
#                    $MUTANT_SECS (20) s of fuzzing from scratch
#   run.sh merge     fold new inputs from build/fuzz/work into the corpus
#
# The harness compares the model with the reference in tests/fuzz/ref_*.c.
#
# Prints "ok - ..." / "not ok - ..." lines and "fuzz-model: N passed, N failed".
# Crash inputs are kept in build/fuzz/crashes/.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mode=${1:-check}
out=build/fuzz
corpus=tests/fuzz/corpus
corpus_mig=tests/fuzz/corpus-mig
CLANG=${CLANG:-clang}
SANITIZERS=fuzzer,address,undefined
FLAGS=(-g -O1 -std=gnu11 -Wall -Wextra -Werror
	"-fsanitize=$SANITIZERS" -fno-sanitize-recover=all)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$top/tests/lib/lib.sh"
finish() {
	tap_done fuzz-model
	exit
}

mkdir -p "$out/work" "$out/crashes"

# build SRCDIR OUT: compile the harness against the model in SRCDIR.
build() {
	"$CLANG" "${FLAGS[@]}" -I"$1" -Itests/fuzz -o "$2" tests/fuzz/fuzz_model.c \
		tests/fuzz/ref_uart.c tests/fuzz/ref_card.c \
		"$1/mtty_uart.c" "$1/mtty_pci.c" "$1/mtty_model.c"
}

# build_mig SRCDIR OUT: the migration loader harness against SRCDIR.
build_mig() {
	"$CLANG" "${FLAGS[@]}" -I"$1" -o "$2" tests/fuzz/fuzz_mig.c \
		"$1/mtty_uart.c" "$1/mtty_pci.c" "$1/mtty_model.c" "$1/mtty_mig.c"
}

# fuzz BIN SECS LOG ARTIFACT-PREFIX [corpus dirs...]: run libFuzzer;
# status 0 if no crash.
# shellcheck disable=SC2317  # run through spawn
fuzz() {
	local bin=$1 secs=$2 log=$3 art=$4
	shift 4
	"$bin" -max_total_time="$secs" -max_len=512 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$art" -print_final_stats=1 "$@" >"$log" 2>&1
}

# Jobs (the main fuzz run, one per mutant) run $JOBS at a time; each writes
# its "ok - ..." / "not ok - ..." / "# ..." lines to a file, collected in
# order by collect.
JOBS=${FUZZ_JOBS:-$(nproc)}
results=()
spawn() {
	local res=$1
	shift
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	results+=("$res")
	"$@" >"$res" 2>&1 &
}
collect() {
	local res line
	wait || true
	for res in "${results[@]}"; do
		while IFS= read -r line; do
			case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) notok "${line#not ok - }" ;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"$res"
	done
	results=()
}

# The reference must stay independent of the model it judges.
independence() {
	local hits
	hits=$(grep -nE '#include.*mtty|mtty_[a-z]|MTTY_' tests/fuzz/ref_*.[ch] |
		grep -v 'MTTY_FUZZ_' || true)
	if [ -z "$hits" ]; then
		ok "reference model (tests/fuzz/ref_*) uses no driver header or name"
	else
		printf '%s\n' "$hits"
		notok "reference model refers to the driver's model"
	fi
}

replay_and_run() {
	local secs=$1 n runs
	independence
	if ! build driver "$out/fuzz_model" 2>"$out/build.log"; then
		cat "$out/build.log"
		notok "fuzz_model builds (clang -fsanitize=fuzzer,address,undefined)"
		finish
	fi
	ok "fuzz_model builds (clang -fsanitize=fuzzer,address,undefined)"

	n=$(find "$corpus" -type f | wc -l)
	if [ "$n" -eq 0 ]; then
		notok "committed corpus $corpus is empty"
	elif "$out/fuzz_model" -runs=0 "$corpus" >"$out/replay.log" 2>&1; then
		ok "corpus replay: $n committed inputs, model and reference agree"
	else
		tail -n 30 "$out/replay.log"
		notok "corpus replay ($n inputs)"
	fi

	spawn "$out/run.result" main_fuzz "$secs"
}

# shellcheck disable=SC2317  # run through spawn
main_fuzz() {
	local secs=$1 runs
	if fuzz "$out/fuzz_model" "$secs" "$out/run.log" "$out/crashes/" \
		"$out/work" "$corpus"; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run.log")
		echo "ok - fuzz_model: ${runs:-?} inputs in ${secs}s, model and reference agree, no sanitizer report"
	else
		grep -E 'MISMATCH|ERROR: (Address|Undefined|libFuzzer)|runtime error|Test unit written' \
			"$out/run.log" | head -n 10
		echo "not ok - fuzz_model: mismatch or crash within ${secs}s (log $out/run.log, input in $out/crashes/)"
	fi
}

# first_kind LOG: the kind of the first MISMATCH line in a libFuzzer log
# shellcheck disable=SC2317  # run through spawn
first_kind() {
	grep -m1 -oE 'MISMATCH kind=[a-z]+' "$1" | sed 's/.*=//' || true
}

# mutant NAME FILE SED-EXPR KINDS: break a copy of the model; KINDS is an
# extended regexp of the mismatch kinds that count as catching it (see
# fuzz_model.c).  Caught = the committed corpus replay AND a short fuzz run
# from an empty corpus both stop at a MISMATCH of an expected kind; a crash
# of any other sort (sanitizer, OOM, timeout, harness failure) does not count.
mutant() {
	mkdir -p "$out/mut"
	spawn "$out/mut/$1.result" mutant_job "$@"
}

# shellcheck disable=SC2317  # run through spawn
mutant_job() {
	local name=$1 file=$2 expr=$3 kinds=$4 dir=$out/mut/$1 rk fk t0 t1
	rm -rf "$dir"
	mkdir -p "$dir"
	cp driver/*.c driver/*.h "$dir/"
	sed -i -e "$expr" "$dir/$file"
	if cmp -s "driver/$file" "$dir/$file"; then
		echo "not ok - mutant $name: the mutation no longer applies to driver/$file (update run.sh)"
		return
	fi
	if ! build "$dir" "$dir/fuzz" 2>"$dir/build.log"; then
		echo "not ok - mutant $name: does not build"
		return
	fi
	# a mutant's crash needs no symbolised stack: the MISMATCH line says it
	export ASAN_OPTIONS=symbolize=0 UBSAN_OPTIONS=symbolize=0
	"$dir/fuzz" -runs=0 -rss_limit_mb=1024 -timeout=10 \
		-artifact_prefix="$dir/" "$corpus" >"$dir/replay.log" 2>&1 || true
	rk=$(first_kind "$dir/replay.log")
	mkdir -p "$dir/work"
	t0=$(date +%s)
	fuzz "$dir/fuzz" "${MUTANT_SECS:-20}" "$dir/log" "$dir/" "$dir/work" -seed=1 || true
	t1=$(date +%s)
	fk=$(first_kind "$dir/log")
	if [[ "$rk" =~ ^($kinds)$ ]] && [[ "$fk" =~ ^($kinds)$ ]]; then
		echo "ok - mutant $name caught: replay kind=$rk, fuzz kind=$fk in $((t1 - t0))s"
	else
		grep -m1 -E 'MISMATCH|ERROR:|runtime error' "$dir/replay.log" "$dir/log" || true
		echo "not ok - mutant $name ($file: $expr): want kind ${kinds//|/ or }; corpus replay: ${rk:-none}, ${MUTANT_SECS:-20}s fuzz: ${fk:-none}"
	fi
}

# The migration loader: replay its corpus, then fuzz for SECS.
mig_replay_and_run() {
	local secs=$1 n runs
	if ! build_mig driver "$out/fuzz_mig" 2>"$out/build-mig.log"; then
		cat "$out/build-mig.log"
		notok "fuzz_mig builds (clang -fsanitize=fuzzer,address,undefined)"
		return
	fi
	ok "fuzz_mig builds (clang -fsanitize=fuzzer,address,undefined)"
	mkdir -p "$out/work-mig"
	n=$(find "$corpus_mig" -type f | wc -l)
	if [ "$n" -eq 0 ]; then
		notok "committed corpus $corpus_mig is empty"
	elif "$out/fuzz_mig" -runs=0 "$corpus_mig" >"$out/replay-mig.log" 2>&1; then
		ok "mig corpus replay: $n committed inputs, every invariant holds"
	else
		tail -n 30 "$out/replay-mig.log"
		notok "mig corpus replay ($n inputs)"
	fi
	if fuzz "$out/fuzz_mig" "$secs" "$out/run-mig.log" "$out/crashes/" -max_len=1024 \
		"$out/work-mig" "$corpus_mig"; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run-mig.log")
		ok "fuzz_mig: ${runs:-?} streams in ${secs}s, no invariant violated, no sanitizer report"
	else
		grep -E 'invariant violated|ERROR: (Address|Undefined|libFuzzer)|runtime error|Test unit written' \
			"$out/run-mig.log" | head -n 10
		notok "fuzz_mig: crash within ${secs}s (log $out/run-mig.log, input in $out/crashes/)"
	fi
}

# mig_mutant NAME SED-EXPR: break a copy of mtty_mig.c, require fuzz_mig to
# crash on the committed corpus (each mutant has a seed found by a long run,
# corpus-mig/mutant-NAME, so the catch does not hang on the host's speed: CI
# once saw fifo-count-doubled survive 10 s), else within $MIG_MUTANT_SECS
# (10) s of fuzzing.
mig_mutant() {
	local name=$1 expr=$2 dir=$out/mut/mig-$1
	rm -rf "$dir"
	mkdir -p "$dir/work"
	cp driver/*.c driver/*.h "$dir/"
	sed -i -e "$expr" "$dir/mtty_mig.c"
	if cmp -s driver/mtty_mig.c "$dir/mtty_mig.c"; then
		notok "mig mutant $name: the mutation no longer applies (update run.sh)"
		return
	fi
	if ! build_mig "$dir" "$dir/fuzz" 2>"$dir/build.log"; then
		notok "mig mutant $name: does not build"
		return
	fi
	if ! "$dir/fuzz" -runs=0 -artifact_prefix="$dir/" "$corpus_mig" >"$dir/log" 2>&1; then
		ok "mig mutant $name caught by the corpus replay: $(grep -m1 -oE 'invariant violated.*|ERROR: [A-Za-z]+Sanitizer: [a-z-]+|runtime error: .*' "$dir/log" | cut -c1-100)"
		return
	fi
	if fuzz "$dir/fuzz" "${MIG_MUTANT_SECS:-10}" "$dir/log" "$dir/" -max_len=1024 \
		"$dir/work" "$corpus_mig" -seed=1; then
		notok "mig mutant $name ($expr) survived ${MIG_MUTANT_SECS:-10}s of fuzzing"
	else
		ok "mig mutant $name caught: $(grep -m1 -oE 'invariant violated.*|ERROR: [A-Za-z]+Sanitizer: [a-z-]+|runtime error: .*' "$dir/log" | cut -c1-110)"
	fi
}

mutants() {
	mutant rx-overfill mtty_uart.c \
		's/while (u->tx.count \&\& u->rx.count < depth)/while (u->tx.count \&\& u->rx.count <= depth)/' \
		'lsr|rbr|iir|stats'
	mutant tx-overfill mtty_uart.c \
		's/if (u->tx.count < mtty_uart_fifo_depth(u)) {/if (u->tx.count <= mtty_uart_fifo_depth(u)) {/' \
		'stats|lsr|rbr|iir'
	mutant rbr-no-count mtty_uart.c 's/\tu->rx_bytes++;//' stats
	mutant clear-wrong-fifo mtty_uart.c \
		's/if (val \& MTTY_FCR_CLEAR_RCVR)/if (val \& MTTY_FCR_CLEAR_XMIT)/' \
		'lsr|rbr|iir|stats'
	mutant no-timeout-iir mtty_uart.c 's/return MTTY_IIR_RX_TIMEOUT;/return MTTY_IIR_RDI;/' iir
	mutant iir-read-keeps-thre mtty_uart.c \
		'/^static u8 uart_read_iir/,/^}/{s/u->thre_int = false;/(void)0;/}' iir
	mutant intx-while-masked mtty_model.c 's/if (!m->intx_masked \&\&/if (/' intx
	mutant intx-unmask-lost mtty_model.c \
		'/^unsigned int mtty_model_intx_unmask/,/^}/{s/return model_update(m, MODEL_NO_PORT, 0);/return 0;/}' intx
	mutant cfg-ignores-wmask mtty_pci.c 's/| (b \& m);/| b;/' cfg
	mutant break-no-nul mtty_uart.c 's/fifo_push(\&u->rx, 0, MTTY_LSR_BI);/;/' 'lsr|rbr|iir|stats'
	mutant bi-with-newest-byte mtty_uart.c \
		'/^static void uart_reveal/,/^}/{s/f->err\[f->head\]/f->err[(f->head + f->count - 1) % MTTY_FIFO_MAX]/g}' \
		'lsr|iir'
	mutant lsr-keeps-errors mtty_uart.c \
		'/^static u8 uart_read_lsr/,/^}/{s/u->lsr_err = 0;/;/}' 'lsr|iir'
	# the review's five (bugs the self-derived checks let through)
	mutant unmask-keeps-mask mtty_model.c \
		'/^unsigned int mtty_model_intx_unmask/,/^}/{s/m->intx_masked = false;/(void)0;/}' intx
	mutant no-dcts mtty_uart.c 's/u->msr_delta |= MTTY_MSR_DCTS;/u->msr_delta |= 0;/' 'msr|iir'
	mutant intx-disable-ro mtty_pci.c 's/^\(\s*\)MTTY_PCI_CMD_INTX_DIS;$/\10;/' 'cfg|intx'
	mutant no-thre-on-drain mtty_uart.c \
		'/^static void uart_pump/,/^}/{s/u->thre_int = true;/(void)had_tx;/}' iir
	mutant teri-wrong-edge mtty_uart.c \
		's/if ((old \& MTTY_MSR_RI) \&\& !(new \& MTTY_MSR_RI))/if (!(old \& MTTY_MSR_RI) \&\& (new \& MTTY_MSR_RI))/' \
		msr
	# the host side (backend tty, issue 14)
	mutant host-rx-drop mtty_uart.c \
		's/fifo_push(\&u->rx, buf\[n\], 0);/if (n != 1) fifo_push(\&u->rx, buf[n], 0);/' \
		'host|rbr|lsr|iir|stats'
	mutant host-tx-no-thre mtty_uart.c \
		'/^unsigned int mtty_uart_host_tx/,/^}/{s/u->thre_int = true;/(void)0;/}' 'iir|intx'
	mutant host-break-lost-on-reset mtty_uart.c 's/MTTY_HOST_EV_BREAK);/0);/' hostev
	mutant host-no-dcd mtty_uart.c \
		's/msr |= MTTY_MSR_DSR | MTTY_MSR_DCD;/msr |= MTTY_MSR_DSR;/' msr
	mutant host-room-no-wake mtty_uart.c \
		'/^static u8 uart_read_rbr/,/^}/{s/u->host_events |= MTTY_HOST_EV_RX_ROOM;/(void)0;/}' \
		hostev
	collect
	mig_mutant fifo-count-doubled 's/if (count > depth)/if (count > 2 * depth)/'
	mig_mutant trailing-accepted 's/if (in.pos != in.len)/if (in.pos > in.len)/'
	mig_mutant ier-bits-4-5 's/(r\[0\] \& ~ier_mask) ||/(r[0] \& ~ier_mask \& ~0x30) ||/'
}

case $mode in
check)
	replay_and_run "${FUZZ_SECS:-30}"
	mig_replay_and_run "${FUZZ_MIG_SECS:-15}"
	mutants
	;;
long)
	replay_and_run "${FUZZ_SECS:-600}"
	mig_replay_and_run "${FUZZ_MIG_SECS:-${FUZZ_SECS:-600}}"
	mutants
	;;
mutants)
	mutants
	;;
merge)
	build driver "$out/fuzz_model"
	mkdir -p "$out/newcorpus"
	"$out/fuzz_model" -merge=1 -use_counters=0 -use_value_profile=0 \
		"$out/newcorpus" "$corpus" "$out/work" >/dev/null 2>&1
	# the hand-written mutant seeds stay whatever their coverage
	cp "$corpus"/mutant-* "$out/newcorpus/"
	rm -rf "$corpus"
	mv "$out/newcorpus" "$corpus"
	ok "corpus merged: $(find "$corpus" -type f | wc -l) inputs"
	;;
*)
	echo "usage: $0 check|long|mutants|merge" >&2
	exit 2
	;;
esac
finish
