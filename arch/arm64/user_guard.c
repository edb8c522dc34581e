/*
 * arm64: which protections the CPU enforces on EL1 (include/arch.h).
 */
#include "arch.h"
#include "mmu.h"

/* ID_AA64MMFR1_EL1.PAN, bits 23:20: 0 = no FEAT_PAN (Arm ARM D19.2). */
#define GUARD_MMFR1_PAN_SHIFT 20
#define GUARD_ID_FIELD_MASK   0xfu
/* PSTATE.PAN as the PAN special register shows it (bit 22). */
#define GUARD_PAN_BIT         (1ull << 22)

/*
 * Fetches: pt_vmsa.h gives every EL0 page PXN (and the Arm ARM never lets
 * EL1 execute what EL0 can write). Reads and writes: only with
 * PSTATE.PAN = 1 (FEAT_PAN, Armv8.1); a CPU without it (Cortex-A57)
 * lets EL1 read and write EL0 pages. The live PSTATE.PAN is read, through
 * its system-register encoding (S3_0_C4_C2_3) for assemblers without
 * Armv8.1 names, only when the CPU has it (otherwise the read is UNDEFINED).
 */
unsigned arch_user_guard(void)
{
	uint64_t mmfr1, pan;

	__asm__ volatile("mrs %0, id_aa64mmfr1_el1" : "=r"(mmfr1));
	if (!((mmfr1 >> GUARD_MMFR1_PAN_SHIFT) & GUARD_ID_FIELD_MASK))
		return MMU_EXEC;
	__asm__ volatile("mrs %0, s3_0_c4_c2_3" : "=r"(pan));
	return MMU_EXEC | (pan & GUARD_PAN_BIT ? MMU_READ | MMU_WRITE : 0);
}

/* PXN and UXN are always honoured (VMSAv8-64 has no switch for them). */
bool arch_nx_enforced(void)
{
	return true;
}
