# Benchmarks of the mmu_* operations against this machine's physical limit
# (issue 7). Included from mk/host.mk; usable alone: `make -f mk/host.mk bench`.
#
#   make bench                 build libmmu.a (-O2, no sanitizers) and bench/bench.c,
#                              run every mode pinned to a CPU: table on stdout,
#                              build/bench/results.json (+ results.txt, and
#                              results.md, copied to docs/benchmark-results.md); the
#                              previous results.json is kept as results.prev.json
#   make bench-compare [OLD=build/bench/results.prev.json] [NEW=build/bench/results.json]
#                              print what changed between two runs
#   BENCH_RUNS=n (default 7), BENCH_MODES="sv39 x86-64-4level" (default: every mode),
#   BENCH_JOBS=n, BENCH_WORKLOADS="pp-map split" (see bench/bench.c)
#   bench/profile.sh [MODE] [GROUP...]   perf profile of the timed phases only
#   make bench-scale [SCALE_RUNS=5 SCALE_TXNS=200000 SCALE_RT=1]
#                              per-page transactions on one set from 1 and 2 threads
#                              (bench/scale.c); make bench runs it too and appends its
#                              table to docs/benchmark-results.md. SCALE_RT=1: under
#                              SCHED_FIFO (chrt -f 10; root or CAP_SYS_NICE), so that
#                              on a shared machine it preempts the other load for the
#                              few seconds it runs (Linux still leaves others 5%)
#   make bench-atomic          one uncontended atomic read-modify-write against the
#                              plain store, pinned (bench/atomic_floor.c): the floor
#                              under any transaction that takes a lock; then the least
#                              a one-page transaction keeping the contract costs, step
#                              by step (bench/txn_floor.c: direct, + lock word, + txn
#                              object and statistics, biased lock)

BENCH_DIR    := build/bench
BENCH_BIN    := $(BENCH_DIR)/bench
BENCH_CMP    := $(BENCH_DIR)/compare
BENCH_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Iinclude
BENCH_RUNS   ?= 7
BENCH_MODES  ?=
OLD ?= $(BENCH_DIR)/results.prev.json
NEW ?= $(BENCH_DIR)/results.json

SCALE_BIN    := $(BENCH_DIR)/scale
SCALE_RUNS   ?= 5
SCALE_TXNS   ?= 200000
SCALE_RT     ?=
SCALE_PRE    := $(if $(SCALE_RT),chrt -f 10)

.PHONY: bench bench-compare bench-scale bench-atomic

ATOMIC_BIN   := $(BENCH_DIR)/atomic_floor
TXNFLOOR_BIN := $(BENCH_DIR)/txn_floor

$(ATOMIC_BIN): bench/atomic_floor.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) bench/atomic_floor.c -o $@

$(TXNFLOOR_BIN): bench/txn_floor.c bench/store_floor.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) bench/txn_floor.c -o $@

bench-atomic: $(ATOMIC_BIN) $(TXNFLOOR_BIN)
	$(Q)$(ATOMIC_BIN) 1
	$(Q)$(TXNFLOOR_BIN) 1

$(SCALE_BIN): bench/scale.c include/mmu.h include/mmu_host.h $(LIBMMU)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) bench/scale.c $(LIBMMU) -lpthread -o $@

bench-scale: $(SCALE_BIN)
	$(Q)$(SCALE_PRE) $(SCALE_BIN) -r $(SCALE_RUNS) -n $(SCALE_TXNS) -m $(BENCH_DIR)/scale.md

$(BENCH_BIN): bench/bench.c bench/direct.c bench/direct.h bench/store_floor.h include/mmu.h include/mmu_host.h $(LIBMMU)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) bench/bench.c bench/direct.c $(LIBMMU) -o $@

$(BENCH_CMP): bench/compare.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) bench/compare.c -o $@

# The bench pins itself (sched_setaffinity): each mode's child to its own CPU,
# one mode at a time, two only if a loaded machine would break the 5-minute
# budget (BENCH_JOBS=auto, the default; BENCH_JOBS=n fixes it).
bench: $(BENCH_BIN) $(BENCH_CMP) $(SCALE_BIN)
	$(Q)if [ -f $(BENCH_DIR)/results.json ]; then cp $(BENCH_DIR)/results.json $(BENCH_DIR)/results.prev.json; fi
	$(Q)BENCH_RUNS=$(BENCH_RUNS) $(BENCH_BIN) -o $(BENCH_DIR)/results.json \
		-t $(BENCH_DIR)/results.txt -m $(BENCH_DIR)/results.md $(BENCH_MODES)
	$(Q){ printf '# Benchmark results\n\nWritten by `make bench` (method: [benchmarks.md](benchmarks.md)).\n\n'; \
		cat $(BENCH_DIR)/results.md; } >docs/benchmark-results.md
	$(Q)$(SCALE_PRE) $(SCALE_BIN) -r $(SCALE_RUNS) -n $(SCALE_TXNS) -m $(BENCH_DIR)/scale.md
	$(Q){ printf '\n'; cat $(BENCH_DIR)/scale.md; } >>docs/benchmark-results.md

bench-compare: $(BENCH_CMP)
	$(Q)for f in $(OLD) $(NEW); do if [ ! -f $$f ]; then \
		echo "bench-compare: no $$f: it compares two runs of 'make bench' (the previous one is kept" \
		     "as $(BENCH_DIR)/results.prev.json), so run 'make bench' twice, or give OLD=... NEW=..." >&2; \
		exit 2; fi; done
	$(Q)$(BENCH_CMP) $(OLD) $(NEW)
