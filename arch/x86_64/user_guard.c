/*
 * x86_64: which protections the CPU enforces on the supervisor
 * (include/arch.h), read from its live control registers.
 */
#include "arch.h"
#include "mmu.h"
#include "x86.h"

/*
 * SDM vol. 3, 4.6.1: with CR4.SMAP = 1 (and EFLAGS.AC = 0, which the
 * kernel never sets) supervisor data accesses to user-mode addresses
 * fault; with CR4.SMEP = 1 supervisor fetches from them do. Without them
 * (the qemu64 CPU has neither) the supervisor reaches user pages freely.
 */
unsigned arch_user_guard(void)
{
	uint64_t cr4 = read_cr4();

	return (cr4 & CR4_SMAP ? MMU_READ | MMU_WRITE : 0) | (cr4 & CR4_SMEP ? MMU_EXEC : 0);
}

/* SDM vol. 3, 4.6.1 and 2.2.1: XD is honoured only with IA32_EFER.NXE =
 * 1, which a CPU without NX cannot set (the formats then keep "not
 * executable" in a software bit the CPU ignores). */
bool arch_nx_enforced(void)
{
	return rdmsr(MSR_EFER) & EFER_NXE;
}
