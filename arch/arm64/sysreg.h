/*
 * AArch64 system registers and the bits of them the boot code sets.
 * Shared by C and assembly. Field positions cite the register descriptions
 * of the Arm ARM (DDI 0487), chapter D19 "AArch64 System Register
 * Descriptions".
 */
#ifndef ORIGAMI_ARM64_SYSREG_H
#define ORIGAMI_ARM64_SYSREG_H

/* MPIDR_EL1 Aff3 (39:32) and Aff2..Aff0 (23:0): a CPU's id (D19.2). */
#define MPIDR_AFF_MASK		0xff00ffffff
/* CurrentEL: EL in bits [3:2]. */
#define CURRENTEL_EL1		(1 << 2)
#define CURRENTEL_EL2		(2 << 2)

#include "vmsa_bits.h"   /* ARM64_U64 */

/*
 * SCTLR_EL1 while the MMU is off (entry.S, until the boot map is on):
 * MMU (M) and data cache (C) off, instruction cache (I) on, SP alignment
 * checks (SA, SA0) on. Alignment checks (A) on: with M=0 every data access
 * is Device-nGnRnE (Arm ARM DDI 0487I.a D8.2.10), where an unaligned
 * access faults whatever A says (B2.5); QEMU 7.2 does not model that
 * (QEMU issue #1204), A=1 makes it check the same rule.
 *
 * SCTLR_EL1 with the MMU on: M, C and I on, A off. Every data access the C
 * code makes is then to Normal memory, where unaligned accesses are
 * allowed and picolibc and GCC make them; the UART (Device memory) is
 * reached only with aligned accesses of its register width.
 *
 * RES1 bits of Armv8.0 (29, 28, 23, 22, 20, 11) are set: where later
 * features give them a meaning (LSMAOE, nTLSMD, SPAN, EIS, TSCXT, EOS),
 * 1 keeps the Armv8.0 behaviour. SPAN (23) is cleared where FEAT_PAN
 * exists (mmu_arch.c), so that taking an exception sets PSTATE.PAN.
 */
#define SCTLR_EL1_RES1		((3 << 28) | (3 << 22) | (1 << 20) | (1 << 11))
#define SCTLR_EL1_M		(1 << 0)
#define SCTLR_EL1_A		(1 << 1)
#define SCTLR_EL1_C		(1 << 2)
#define SCTLR_EL1_SA		(1 << 3)
#define SCTLR_EL1_SA0		(1 << 4)
#define SCTLR_EL1_I		(1 << 12)
#define SCTLR_EL1_SPAN		(1 << 23)
#define SCTLR_EL1_EPAN		(ARM64_U64(1) << 57)
#define SCTLR_EL1_MMU_OFF	(SCTLR_EL1_RES1 | SCTLR_EL1_A | SCTLR_EL1_SA | \
				 SCTLR_EL1_SA0 | SCTLR_EL1_I)
#define SCTLR_EL1_MMU_ON	(SCTLR_EL1_RES1 | SCTLR_EL1_M | SCTLR_EL1_C | \
				 SCTLR_EL1_SA | SCTLR_EL1_SA0 | SCTLR_EL1_I)

/* PSTATE.PAN as a register (S3_0_C4_C2_3, FEAT_PAN): bit 22. */
#define PSTATE_PAN_REG		S3_0_C4_C2_3
#define PSTATE_PAN		(1 << 22)

/*
 * TCR_EL1 (D19.2). Bits 15:0 describe the TTBR0 half only (T0SZ, EPD0,
 * IRGN0, ORGN0, SH0, TG0): the trampoline (mmu_arch.c) swaps them alone.
 * IRGN/ORGN: walks Inner/Outer Write-Back Write-Allocate; SH: Inner
 * Shareable walks (and leaves, when DS = 1).
 */
#define TCR_T0SZ_SHIFT		0
#define TCR_T1SZ_SHIFT		16
#define TCR_TTBR0_FIELDS	0xffff
#define TCR_IRGN0_WBWA		(1 << 8)
#define TCR_ORGN0_WBWA		(1 << 10)
#define TCR_SH0_INNER		(3 << 12)
#define TCR_TG0_4K		(0 << 14)
#define TCR_TG0_64K		(1 << 14)
#define TCR_TG0_16K		(2 << 14)
#define TCR_IRGN1_WBWA		(1 << 24)
#define TCR_ORGN1_WBWA		(1 << 26)
#define TCR_SH1_INNER		(3 << 28)
#define TCR_TG1_SHIFT		30
#define TCR_TG1_16K		(ARM64_U64(1) << 30)
#define TCR_TG1_4K		(ARM64_U64(2) << 30)
#define TCR_TG1_64K		(ARM64_U64(3) << 30)
#define TCR_IPS_SHIFT		32
#define TCR_IPS_48		5	/* the PARange encoding of 48 bits */
#define TCR_AS			(ARM64_U64(1) << 36)	/* 16-bit ASIDs */
#define TCR_DS			(ARM64_U64(1) << 59)	/* FEAT_LPA2: 52-bit VA and OA, 4K/16K */
#define TCR_HA			(ARM64_U64(1) << 39)	/* FEAT_HAFDBS: hardware Access flag */
#define TCR_HD			(ARM64_U64(1) << 40)	/* FEAT_HAFDBS: hardware dirty state (DBM) */
#define TCR_WALK_ATTRS		(TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | \
				 TCR_IRGN1_WBWA | TCR_ORGN1_WBWA | TCR_SH1_INNER)
/* The boot map's TCR_EL1 (entry.S): 4 KiB granule and 48-bit VAs in both
 * halves; IPS and AS are added from the ID registers. */
#define TCR_BOOT_TSZ		16
#define TCR_BOOT		(TCR_BOOT_TSZ << TCR_T0SZ_SHIFT | TCR_BOOT_TSZ << TCR_T1SZ_SHIFT | \
				 TCR_TG0_4K | TCR_TG1_4K | TCR_WALK_ATTRS)

/* TTBRn_EL1: ASID in 63:48; with a 52-bit OA, BADDR[51:48] in bits 5:2. */
#define TTBR_ASID_SHIFT		48

/*
 * ID register fields (D19.2), each 4 bits: ID_AA64MMFR0_EL1 PARange (3:0),
 * ASIDBits (7:4; 0b0010: 16 bits), TGran4 (31:28; 0b1111: no 4 KiB
 * granule); ID_AA64MMFR1_EL1 PAN (23:20; 1 FEAT_PAN, 3 FEAT_PAN3).
 */
#define ID_MMFR0_PARANGE_SHIFT	0
#define ID_MMFR0_ASIDBITS_SHIFT	4
#define ID_MMFR0_ASIDBITS_16	2
#define ID_MMFR0_TGRAN4_SHIFT	28
#define ID_MMFR0_TGRAN4_NONE	0xf
#define ID_MMFR1_PAN_SHIFT	20
#define ID_MMFR1_HAFDBS_SHIFT	0	/* 1: Access flag, 2: and dirty state */
#define ID_MMFR1_PAN3		3

/* CTR_EL0.DminLine (19:16): log2 of the words in the smallest D-cache line. */
#define CTR_EL0_DMINLINE_SHIFT	16

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

/* The GICv3 CPU interface at EL1 (Arm GICv3/v4 spec, IHI 0069, 12.2):
 * SRE, PMR, group 1 enable, SGI generation, acknowledge and end. */
#define ICC_SRE_EL1		S3_0_C12_C12_5
#define ICC_PMR_EL1		S3_0_C4_C6_0
#define ICC_IGRPEN1_EL1		S3_0_C12_C12_7
#define ICC_SGI1R_EL1		S3_0_C12_C11_5
#define ICC_IAR1_EL1		S3_0_C12_C12_0
#define ICC_EOIR1_EL1		S3_0_C12_C12_1

/* SPSR for the drop to EL1: EL1h (SP_EL1), D, A, I, F masked. */
#define SPSR_EL1H_DAIF		0x3c5

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Two steps, so that reg may be a macro (ICC_*). */
#define read_sysreg(reg) read_sysreg_(reg)
#define read_sysreg_(reg) ({						\
	uint64_t __val;							\
	__asm__ volatile("mrs %0, " #reg : "=r"(__val));		\
	__val;								\
})
/* Two steps, so that reg may be a macro (PSTATE_PAN_REG). */
#define write_sysreg(reg, val) write_sysreg_(reg, val)
#define write_sysreg_(reg, val)						\
	__asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

/* An unsigned field of an ID register (Arm ARM D19.2: ID_AA64*_EL1). */
static inline unsigned id_field(uint64_t reg, unsigned shift)
{
	return (reg >> shift) & 0xf;
}
#endif

#endif
