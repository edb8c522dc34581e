/*
 * arm64: which protections the CPU enforces on EL1 (include/arch.h).
 */
#include "arch.h"
#include "mmu.h"
#include "sysreg.h"

/*
 * Fetches: pt_vmsa.h gives every EL0 page PXN (and the Arm ARM never lets
 * EL1 execute what EL0 can write). Reads and writes: only with
 * PSTATE.PAN = 1 (FEAT_PAN, Armv8.1, which mmu_arch.c turns on where the
 * CPU has it); a CPU without it (Cortex-A57) lets EL1 read and write EL0
 * pages. The live PSTATE.PAN is read through its system-register encoding
 * (PSTATE_PAN_REG, for assemblers without Armv8.1 names; read_sysreg
 * would not expand the macro), and only when the CPU has FEAT_PAN: the
 * read is UNDEFINED otherwise.
 */
unsigned arch_user_guard(void)
{
	uint64_t pan;

	if (!id_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_PAN_SHIFT))
		return MMU_EXEC;
	__asm__ volatile("mrs %0, s3_0_c4_c2_3" : "=r"(pan));
	return MMU_EXEC | (pan & PSTATE_PAN ? MMU_READ | MMU_WRITE : 0);
}

/* PXN and UXN are always honoured (VMSAv8-64 has no switch for them). */
bool arch_nx_enforced(void)
{
	return true;
}
