/*
 * AArch64 system registers and the bits of them the boot code sets.
 * Shared by C and assembly. Field positions cite the register descriptions
 * of the Arm ARM (DDI 0487), chapter D19 "AArch64 System Register
 * Descriptions".
 */
#ifndef ORIGAMI_ARM64_SYSREG_H
#define ORIGAMI_ARM64_SYSREG_H

/* CurrentEL: EL in bits [3:2]. */
#define CURRENTEL_EL1		(1 << 2)
#define CURRENTEL_EL2		(2 << 2)

/*
 * SCTLR_EL1 while the MMU is off: MMU (M) and data cache (C) off,
 * instruction cache (I) on, SP alignment checks (SA, SA0) on.
 *
 * Alignment checks (A) on, for this round only: with M=0 every data access
 * is Device-nGnRnE (Arm ARM DDI 0487I.a D8.2.10), and Device memory faults
 * any access not aligned to its element size (B2.5), whatever A says.
 * QEMU 7.2 does not model that (QEMU issue #1204); A=1 makes it check the
 * same rule, so an access that would fault on hardware faults in the boot
 * tests too. Whoever turns the MMU on clears A with it.
 *
 * RES1 bits of Armv8.0 (29, 28, 23, 22, 20, 11) are set: where later
 * features give them a meaning (LSMAOE, nTLSMD, SPAN, EIS, TSCXT, EOS),
 * 1 keeps the Armv8.0 behaviour.
 */
#define SCTLR_EL1_RES1		((3 << 28) | (3 << 22) | (1 << 20) | (1 << 11))
#define SCTLR_EL1_A		(1 << 1)
#define SCTLR_EL1_SA		(1 << 3)
#define SCTLR_EL1_SA0		(1 << 4)
#define SCTLR_EL1_I		(1 << 12)
#define SCTLR_EL1_MMU_OFF	(SCTLR_EL1_RES1 | SCTLR_EL1_A | SCTLR_EL1_SA | \
				 SCTLR_EL1_SA0 | SCTLR_EL1_I)

/* CPACR_EL1.FPEN = 0b11: FP/SIMD at EL1 and EL0 not trapped (picolibc and
 * GCC's varargs use the SIMD registers). */
#define CPACR_EL1_FPEN		(3 << 20)

/* HCR_EL2.RW: EL1 is AArch64. Everything else 0: no stage 2, no traps
 * (E2H too, where it can be cleared). */
#define HCR_EL2_RW		0x80000000	/* bit 31 */
#define HCR_EL2_E2H_BIT		34

/* CNTHCTL_EL2: EL1PCTEN and EL1PCEN, so EL1 reads the physical counter and
 * timer without trapping to EL2; bits 1:0 with E2H=0, 11:10 with E2H=1. */
#define CNTHCTL_EL2_EL1_ACCESS		0x3
#define CNTHCTL_EL2_E2H_EL1_ACCESS	0xc00

/*
 * CPTR_EL2 with E2H=0: the RES1 bits (13, 9, 7:0) with TFP (10), TZ (8)
 * and TSM (12) clear, so FP/SIMD, SVE and SME at EL1 do not trap to an EL2
 * that has no vector table. With E2H=1 it has CPACR_EL1's layout: FPEN
 * (21:20) = 0b11; the kernel uses neither SVE nor SME.
 */
#define CPTR_EL2_NO_TRAPS		0x22ff
#define CPTR_EL2_E2H_NO_FP_TRAPS	(3 << 20)

/* ID_AA64PFR0_EL1.GIC (27:24): non-zero when the GICv3+ system register
 * interface is implemented. */
#define ID_AA64PFR0_EL1_GIC_SHIFT	24

/* ICC_SRE_EL2 (S3_4_C12_C9_5): SRE, the system register interface at EL2,
 * and Enable, letting EL1 use it through ICC_SRE_EL1. */
#define ICC_SRE_EL2		S3_4_C12_C9_5
#define ICC_SRE_EL2_SRE_ENABLE	((1 << 0) | (1 << 3))

/* SPSR for the drop to EL1: EL1h (SP_EL1), D, A, I, F masked. */
#define SPSR_EL1H_DAIF		0x3c5

#ifndef __ASSEMBLER__
#include <stdint.h>

#define read_sysreg(reg) ({						\
	uint64_t __val;							\
	__asm__ volatile("mrs %0, " #reg : "=r"(__val));		\
	__val;								\
})

/* An unsigned field of an ID register (Arm ARM D19.2: ID_AA64*_EL1). */
static inline unsigned id_field(uint64_t reg, unsigned shift)
{
	return (reg >> shift) & 0xf;
}
#endif

#endif
