/*
 * riscv64: instruction-cache synchronisation (include/arch.h).
 */
#include "arch.h"

/*
 * FENCE.I (unprivileged spec, "Zifencei" chapter): makes this hart's
 * earlier stores visible to its own instruction fetches. It takes no
 * address, so va and len only say what the caller wrote. It orders this
 * hart only: the kernel runs on one (another hart would need an IPI or
 * the SBI remote fence). Zifencei is inside -march=rv64i with
 * -misa-spec=2.2 (arch.mk).
 */
void arch_sync_icache(const void *va, size_t len)
{
	(void)va;
	(void)len;
	__asm__ volatile("fence.i" ::: "memory");
}
