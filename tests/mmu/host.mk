# The MMU layer's conformance suite, differential tester and fuzz target,
# written against include/mmu.h and include/mmu_host.h alone. Included by
# mk/host.mk.
#
#   make mmu-conformance            every case, every mode (ASan+UBSan)
#   make mmu-diff [DIFF_SEEDS=n DIFF_STEPS=k]
#                                   seeded random sequences per mode
#   make fuzz [FUZZ_OPS=1000000 FUZZ_SECONDS=1200]
#                                   libFuzzer over the same state machine,
#                                   every mode (each input runs them all),
#                                   until every mode ran FUZZ_OPS operations
#                                   (or FUZZ_SECONDS passed; FUZZ_OPS=0: the
#                                   time alone)
#
# The fuzz target links a clang build of the library with coverage
# (build/fuzz/), since libFuzzer needs clang's sanitizer runtimes.

MMU_TEST_DIR := build/tests/mmu
MMU_TEST_HDRS := tests/mmu/model.h tests/mmu/harness.h include/mmu.h include/mmu_host.h
MMU_TEST_CFLAGS := -std=c11 -O1 -g $(HOST_WARN) -Iinclude $(HOST_SANFLAGS)

DIFF_SEEDS   ?= 8
DIFF_STEPS   ?= 300
FUZZ_OPS     ?= 1000000
FUZZ_SECONDS ?= 1200

.PHONY: mmu-conformance mmu-diff fuzz

# The cases (conformance.c) with the host's harness; the kernel runs the
# same cases with tests/mmu/kernel_harness.c.
CONFORMANCE_SRCS := tests/mmu/conformance.c tests/mmu/host_harness.c tests/mmu/model.c
$(MMU_TEST_DIR)/conformance: $(CONFORMANCE_SRCS) $(MMU_TEST_HDRS) $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(MMU_TEST_CFLAGS) $(CONFORMANCE_SRCS) $(LIBMMU_SAN) -o $@

$(MMU_TEST_DIR)/diff: tests/mmu/diff.c tests/mmu/model.c $(MMU_TEST_HDRS) $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(MMU_TEST_CFLAGS) tests/mmu/diff.c tests/mmu/model.c $(LIBMMU_SAN) -o $@

mmu-conformance: $(MMU_TEST_DIR)/conformance
	$(MMU_TEST_DIR)/conformance

mmu-diff: $(MMU_TEST_DIR)/diff
	$(MMU_TEST_DIR)/diff --seeds $(DIFF_SEEDS) --steps $(DIFF_STEPS)

# ---- libFuzzer ----
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Others' code: warnings stay warnings under clang, so a clang-only one
# cannot stop the fuzzer.
FUZZ_LIB_CFLAGS := -std=c11 -O1 -g -Iinclude -Immu -Immu/format -DMMU_HOST=1 -DMMU_LAYER $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp
FUZZ_CFLAGS := -std=c11 -O1 -g $(HOST_WARN) -Iinclude $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJS := $(LIBMMU_SRCS:%.c=build/fuzz/obj/%.o)
FUZZ_CORPUS := build/fuzz/corpus

# The oracle (the model, the reference walkers, the simulated machine and
# its TLB) carries no coverage instrumentation and no ASan: coverage of the
# checker is no guide to new behaviour of the layer, its comparisons
# (check_walk through the reference walkers) were about half of a run's
# time in __sanitizer_cov_trace_cmp* (perf), and its loads through the
# simulated memory are what the layer's ASan-checked code wrote. UBSan
# stays on. In the layer, coverage counts edges but does not trace
# comparisons (trace-cmp): its operands are addresses derived from the
# input, not input bytes libFuzzer could copy, and tracing them took 60%
# of a run (perf, before: 9.3k checked steps per CPU-second).
FUZZ_ORACLE := host/ref% host/host_env% host/tlb%
FUZZ_NOCOV := -fsanitize-coverage=0 -fno-sanitize=address

build/fuzz/obj/%.o: %.c $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CLANG) $(FUZZ_LIB_CFLAGS) $(if $(filter $(FUZZ_ORACLE),$<),$(FUZZ_NOCOV)) -c $< -o $@

build/fuzz/obj/tests/mmu/model.o: tests/mmu/model.c $(MMU_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CLANG) $(FUZZ_CFLAGS) $(FUZZ_NOCOV) -c $< -o $@

$(MMU_TEST_DIR)/fuzz: tests/mmu/fuzz.c build/fuzz/obj/tests/mmu/model.o $(MMU_TEST_HDRS) $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer tests/mmu/fuzz.c build/fuzz/obj/tests/mmu/model.o \
		$(FUZZ_LIB_OBJS) -o $@

# Seed inputs first (each runs every mode). -entropic=0: entropic's per-
# feature bookkeeping (InputCorpus::UpdateFeatureFrequency) was 28% of a
# run (perf), an input covering every mode having ~25,000 features.
fuzz: $(MMU_TEST_DIR)/fuzz
	@mkdir -p $(FUZZ_CORPUS)
	MMU_FUZZ_SEEDS=$(FUZZ_CORPUS) $(MMU_TEST_DIR)/fuzz
	MMU_FUZZ_OPS=$(FUZZ_OPS) $(MMU_TEST_DIR)/fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=60 -entropic=0 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/ $(FUZZ_CORPUS)

# Concurrent transactions on one set (tests/mmu/conc.c), under
# ThreadSanitizer: its own clang build of the library (build/host-tsan/).
#   make mmu-conc [CONC_THREADS=4 CONC_TXNS=400]
CONC_THREADS ?= 4
CONC_TXNS    ?= 200
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
LIBMMU_TSAN := build/host-tsan/libmmu.a
LIBMMU_TSAN_OBJS := $(LIBMMU_SRCS:%.c=build/host-tsan/obj/%.o)
build/host-tsan/obj/%.o: %.c $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CLANG) -std=c11 -O1 -g $(HOST_WARN) -Iinclude -Immu -Immu/format -DMMU_HOST=1 -DMMU_LAYER $(TSAN_FLAGS) -c $< -o $@
$(LIBMMU_TSAN): $(LIBMMU_TSAN_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(MMU_TEST_DIR)/conc: tests/mmu/conc.c include/mmu.h include/mmu_host.h $(LIBMMU_TSAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CLANG) -std=c11 -O1 -g $(HOST_WARN) -Iinclude $(TSAN_FLAGS) tests/mmu/conc.c $(LIBMMU_TSAN) -lpthread -o $@

.PHONY: mmu-conc
mmu-conc: $(MMU_TEST_DIR)/conc
	$(MMU_TEST_DIR)/conc --threads $(CONC_THREADS) --txns $(CONC_TXNS)
