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
 * whatever SUM says (4.3.1). Every hart with paging has SUM; entry.S
 * clears it.
 */
unsigned arch_user_guard(void)
{
	return MMU_READ | MMU_WRITE | MMU_EXEC;
}

void arch_user_access(bool open)
{
	if (open)
		__asm__ volatile("csrs sstatus, %0" : : "r"(SSTATUS_SUM) : "memory");
	else
		__asm__ volatile("csrc sstatus, %0" : : "r"(SSTATUS_SUM) : "memory");
}

/* X = 0 always refuses fetches (privileged spec 4.3.1). */
bool arch_nx_enforced(void)
{
	return true;
}
