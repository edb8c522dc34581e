/*
 * riscv64: which protections the hart enforces on the supervisor
 * (include/arch.h).
 */
#include "arch.h"
#include "mmu.h"
#include "sv_bits.h"

/*
 * Privileged spec 4.1.1.2 (sstatus.SUM): with SUM = 0, S-mode loads and
 * stores to pages with U = 1 fault; S-mode never executes code from them,
 * whatever SUM says (4.3.1). entry.S leaves SUM clear; this reads the live
 * value, so a kernel that set it would say so.
 */
unsigned arch_user_guard(void)
{
	uint64_t sstatus;

	__asm__ volatile("csrr %0, sstatus" : "=r"(sstatus));
	return MMU_EXEC | (sstatus & SSTATUS_SUM ? 0 : MMU_READ | MMU_WRITE);
}

/* X = 0 always refuses fetches (privileged spec 4.3.1). */
bool arch_nx_enforced(void)
{
	return true;
}
