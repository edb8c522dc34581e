# Host test of the x86-64 TLB code (arch/x86_64/mmu_arch.c) against a model
# CPU (tests/x86tlb/tlb_test.c includes mmu_arch.c itself). Included by
# mk/host.mk.
#
#   make x86tlb-test      build build/tests/x86tlb/tlb_test and run it

X86TLB_TEST := build/tests/x86tlb/tlb_test
X86TLB_CFLAGS := -std=gnu11 -O1 -g $(HOST_WARN) $(HOST_SANFLAGS) \
	-Iinclude -Immu/hooks -Iarch/x86_64

$(X86TLB_TEST): tests/x86tlb/tlb_test.c arch/x86_64/mmu_arch.c arch/x86_64/cpu_features.c $(wildcard arch/x86_64/*.h) \
		include/arch.h include/kernel.h mmu/hooks/arch_mmu.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(X86TLB_CFLAGS) tests/x86tlb/tlb_test.c -o $@

.PHONY: x86tlb-test
x86tlb-test: $(X86TLB_TEST)
	$(X86TLB_TEST)
.PHONY: x86tlb-test-build
x86tlb-test-build: $(X86TLB_TEST)
