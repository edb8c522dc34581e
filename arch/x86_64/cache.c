/*
 * x86_64: instruction-cache synchronisation (include/arch.h).
 */
#include "arch.h"

/*
 * Nothing to do in hardware: Intel SDM vol. 3, 11.6 "Self-Modifying Code":
 * a write to a location that is cached as code invalidates those lines,
 * checked by physical address, so a write through any alias (the direct
 * map) is seen by a later fetch through another linear address; the
 * branch that reaches the new code (arch_probe_exec's call) is enough for
 * one processor (SDM vol. 3, 9.1.3: cross-modifying code on other CPUs
 * would need a serialising instruction there). Only the compiler must not
 * move the caller's stores past this point.
 */
void arch_sync_icache(const void *va, size_t len)
{
	(void)va;
	(void)len;
	__asm__ volatile("" ::: "memory");
}
