/*
 * arm64: the CPU's translation features, read once here for every user:
 * the banner (setup.c), the MMU hooks (mmu_arch.c) and the paging modes'
 * probe (pt_vmsa.c). Arch code, not a format: it includes no MMU header.
 */
#ifndef ORIGAMI_ARM64_CPU_FEATURES_H
#define ORIGAMI_ARM64_CPU_FEATURES_H

#include <stdbool.h>

/*
 * What the CPU offers (ID_AA64MMFR0_EL1.TGran4/16/64, ID_AA64MMFR0_EL1.
 * TGran4/16 = 0b0001/0b0010 for FEAT_LPA2, ID_AA64MMFR2_EL1.VARange for
 * FEAT_LVA, PARange = 0b0110 for FEAT_LPA).
 */
struct vmsa_cpu {
	bool tgran4, tgran16, tgran64;
	bool lpa2;       /* FEAT_LPA2 with 4K: 52-bit VA and OA, TCR_EL1.DS */
	bool lpa2_16k;   /* FEAT_LPA2 with 16K (TGran16 = 0b0010) */
	bool lva_lpa;    /* FEAT_LVA + FEAT_LPA: 52-bit VA and OA with 64K */
};
/* Kernel: setup.c, from the ID registers; host: pt_vmsa.c, a simulated
 * CPU that has everything. */
void vmsa_read_cpu(struct vmsa_cpu *c);

#endif
