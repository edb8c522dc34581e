/* The CPU's paging features (cpu_features.h). */
#include "x86.h"
#include "cpu_features.h"

/* CPUID.80000001H:EDX Page1GB (26), NX (20); CPUID.(EAX=07H,ECX=0):ECX
 * LA57 (16) (SDM vol. 2A, CPUID). The one probe of these bits
 * (cpu_features.h). */
void x86_read_cpu(struct x86_cpu *c)
{
	uint32_t ext = cpuid(0x80000000, 0).eax >= 0x80000001 ? cpuid(0x80000001, 0).edx : 0;

	c->page1gb = ext & CPUID_80000001_EDX_PAGE1GB;
	c->nx = ext & CPUID_80000001_EDX_NX;
	c->la57 = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & CPUID_7_0_ECX_LA57);
}

unsigned x86_running_levels(void)
{
	return read_cr4() & CR4_LA57 ? 5 : 4;
}
