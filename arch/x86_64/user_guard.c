/*
 * x86_64: which protections the CPU enforces on the supervisor
 * (include/arch.h), from CPUID: mmu_arch.c turns each one on at the first
 * activation.
 */
#include "arch.h"
#include "mmu.h"
#include "x86.h"

static uint32_t leaf7_ebx(void)
{
	return cpuid(0, 0).eax >= 7 ? cpuid(7, 0).ebx : 0;
}

/*
 * SDM vol. 3A, 4.6.1: with CR4.SMAP = 1 (and EFLAGS.AC = 0) supervisor
 * data accesses to user-mode addresses fault; with CR4.SMEP = 1
 * supervisor fetches from them do. Without them (the qemu64 CPU has
 * neither) the supervisor reaches user pages freely.
 */
unsigned arch_user_guard(void)
{
	uint32_t ebx = leaf7_ebx();

	return (ebx & CPUID_7_0_EBX_SMAP ? MMU_READ | MMU_WRITE : 0) |
	       (ebx & CPUID_7_0_EBX_SMEP ? MMU_EXEC : 0);
}

/* STAC/CLAC set and clear EFLAGS.AC (4.6.1); #UD without SMAP. Spelled as
 * bytes for assemblers that predate them. */
void arch_user_access(bool open)
{
	if (!(leaf7_ebx() & CPUID_7_0_EBX_SMAP))
		return;
	if (open)
		__asm__ volatile(".byte 0x0f, 0x01, 0xcb" ::: "memory");   /* stac */
	else
		__asm__ volatile(".byte 0x0f, 0x01, 0xca" ::: "memory");   /* clac */
}

/* SDM vol. 3A, 4.6.1 and 2.2.1: XD is honoured with IA32_EFER.NXE = 1,
 * which mmu_arch.c sets wherever CPUID has NX; a CPU without it cannot
 * (the formats then keep "not executable" in a bit the CPU ignores). */
bool arch_nx_enforced(void)
{
	uint32_t top = cpuid(0x80000000, 0).eax;

	return top >= 0x80000001 && (cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_NX);
}
