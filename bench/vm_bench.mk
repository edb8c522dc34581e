# The core's memory code on the host (issue 13): demand faults through
# vm_fault against the one-page transaction, and fork, per 4K page
# (bench/vm_bench.c). Included by mk/host.mk; `make bench` runs it first.
#
#   make vm-bench  [BENCH_MODES="sv39 x86-64-4level"] [BENCH_RUNS=n]
VM_BENCH_BIN  := build/bench/vm_bench
VM_BENCH_SRCS := bench/vm_bench.c tests/vm/host_ram.c core/vm.c core/ptdump.c core/frames.c core/memmap.c \
	core/printf.c

.PHONY: vm-bench
$(VM_BENCH_BIN): $(VM_BENCH_SRCS) tests/vm/host_ram.h include/vm.h include/kernel.h include/mmu.h include/mmu_host.h $(LIBMMU)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=c11 -O2 -g $(HOST_WARN) -Iinclude -Itests/vm $(VM_BENCH_SRCS) $(LIBMMU) -o $@

vm-bench: $(VM_BENCH_BIN)
	$(Q)BENCH_RUNS=$(BENCH_RUNS) BENCH_MODES="$(BENCH_MODES)" $(VM_BENCH_BIN) | tee build/bench/vm_results.txt

bench: vm-bench
