/*
 * arm64: instruction-cache synchronisation (include/arch.h).
 */
#include "arch.h"
#include "sysreg.h"

/* CTR_EL0 (Arm ARM D19.2): IminLine 3:0 and DminLine 19:16
 * (CTR_EL0_DMINLINE_SHIFT, sysreg.h), log2 of the smallest line in 4-byte
 * words; IDC (28): no data-cache clean needed for instruction coherence;
 * DIC (29): no instruction-cache invalidation needed. */
#define CTR_IMINLINE_SHIFT 0
#define CTR_IDC            (1ull << 28)
#define CTR_DIC            (1ull << 29)
#define CTR_WORD_BYTES     4u

static uint64_t line_bytes(uint64_t ctr, unsigned shift)
{
	return (uint64_t)CTR_WORD_BYTES << id_field(ctr, shift);
}

/*
 * The sequence of the Arm ARM (DDI 0487), "Synchronization and coherency
 * issues between data and instruction accesses": clean the data
 * cache to the Point of Unification by VA (DC CVAU), DSB ISH so that the
 * clean completes, invalidate the instruction cache by VA to the PoU
 * (IC IVAU), DSB ISH, ISB so that this PE fetches anew. Instruction
 * caches behave as PIPT for IC IVAU (or the CPU is one Linux treats the
 * same way), so any alias of the code works, as Linux's
 * caches_clean_inval_pou() relies on.
 */
void arch_sync_icache(const void *va, size_t len)
{
	uint64_t ctr = read_sysreg(ctr_el0);
	uint64_t start = (uint64_t)(uintptr_t)va, end = start + len;

	if (!(ctr & CTR_IDC)) {
		uint64_t line = line_bytes(ctr, CTR_EL0_DMINLINE_SHIFT);
		for (uint64_t a = start & ~(line - 1); a < end; a += line)
			__asm__ volatile("dc cvau, %0" : : "r"(a) : "memory");
	}
	__asm__ volatile("dsb ish" ::: "memory");
	if (!(ctr & CTR_DIC)) {
		uint64_t line = line_bytes(ctr, CTR_IMINLINE_SHIFT);
		for (uint64_t a = start & ~(line - 1); a < end; a += line)
			__asm__ volatile("ic ivau, %0" : : "r"(a) : "memory");
		__asm__ volatile("dsb ish" ::: "memory");
	}
	__asm__ volatile("isb" ::: "memory");
}
