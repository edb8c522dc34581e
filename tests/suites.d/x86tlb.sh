#!/bin/bash
# Host test of the x86-64 TLB code (arch/x86_64/mmu_arch.c: PCIDs, INVLPG,
# INVPCID, CR3 and CR4 writes) against a model CPU that follows Intel SDM
# vol. 3A 4.10 (tests/x86tlb/tlb_test.c, ASan/UBSan): the PCID and INVPCID
# paths, which neither QEMU's TCG nor the KVM here offer, for a CPU with
# both, with PCID alone and with neither.
set -u
. tests/boot/suite.sh

dir=build/tests/x86tlb
mkdir -p "$dir"
if make -s build/tests/x86tlb/tlb_test >"$dir/build.log" 2>&1; then
	"$dir/tlb_test" >"$dir/x86tlb.log" 2>&1
	count_verdicts "$dir/x86tlb.log" $? "the x86 TLB model"
else
	fail "build the x86 TLB model (log: $dir/build.log)"
	cat "$dir/build.log"
fi
suite_end
