/*
 * x86-64: the CPU's paging features, read once here for every user: the
 * banner (cpu.c), the MMU hooks (mmu_arch.c) and the paging modes' probe
 * (pt_x86.c). Arch code, not a format: it includes no MMU header.
 */
#ifndef ORIGAMI_X86_CPU_FEATURES_H
#define ORIGAMI_X86_CPU_FEATURES_H

#include <stdbool.h>

/* What the CPU offers (CPUID). */
struct x86_cpu {
	bool page1gb;    /* CPUID.80000001H:EDX.Page1GB[bit 26] */
	bool la57;       /* CPUID.(EAX=07H,ECX=0):ECX.LA57[bit 16] */
	bool nx;         /* CPUID.80000001H:EDX.NX[bit 20] */
};
/* Kernel: cpu.c, from CPUID; host: pt_x86.c, a simulated CPU that has
 * everything. */
void x86_read_cpu(struct x86_cpu *c);
/* Kernel only: the paging depth boot.S turned on (CR4.LA57), 4 or 5. It
 * cannot change while paging is on, so that is the one mode of the two
 * that runs. */
unsigned x86_running_levels(void);

#endif
