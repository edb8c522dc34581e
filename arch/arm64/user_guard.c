/*
 * arm64: which protections the CPU enforces on EL1 (include/arch.h).
 */
#include "arch.h"
#include "mmu.h"
#include "sysreg.h"

static bool has_pan(void)
{
	return id_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_PAN_SHIFT) != 0;
}

/*
 * Fetches: pt_vmsa.h gives every EL0 page PXN (and the Arm ARM never lets
 * EL1 execute what EL0 can write). Reads and writes: with PSTATE.PAN = 1
 * (FEAT_PAN, Armv8.1, which mmu_arch.c turns on where the CPU has it); a
 * CPU without it (Cortex-A57) lets EL1 read and write EL0 pages.
 */
unsigned arch_user_guard(void)
{
	return MMU_EXEC | (has_pan() ? MMU_READ | MMU_WRITE : 0);
}

/* PSTATE.PAN through its system-register encoding (an Armv8.0 assembler
 * knows no PAN); UNDEFINED without FEAT_PAN, hence the test. */
void arch_user_access(bool open)
{
	if (has_pan())
		write_sysreg(PSTATE_PAN_REG, open ? 0 : PSTATE_PAN);
}

/* PXN and UXN are always honoured (VMSAv8-64 has no switch for them). */
bool arch_nx_enforced(void)
{
	return true;
}
