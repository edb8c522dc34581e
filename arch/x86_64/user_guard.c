/*
 * x86_64: which supervisor accesses to user pages the CPU refuses
 * (include/arch.h).
 */
#include "arch.h"
#include "mmu.h"

/* CR4.SMEP (bit 20) and CR4.SMAP (bit 21), Intel SDM vol. 3, 2.5. */
#define GUARD_CR4_SMEP (1ull << 20)
#define GUARD_CR4_SMAP (1ull << 21)

/*
 * SDM vol. 3, 4.6.1: with CR4.SMAP = 1 (and EFLAGS.AC = 0, which the
 * kernel never sets) supervisor data accesses to user-mode addresses
 * fault; with CR4.SMEP = 1 supervisor fetches from them do. Without them
 * (the qemu64 CPU has neither) the supervisor reaches user pages freely.
 * The live CR4 says what the boot code enabled.
 */
unsigned arch_user_guard(void)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return (cr4 & GUARD_CR4_SMAP ? MMU_READ | MMU_WRITE : 0) |
	       (cr4 & GUARD_CR4_SMEP ? MMU_EXEC : 0);
}
