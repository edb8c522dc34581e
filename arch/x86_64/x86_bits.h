/*
 * x86-64 paging-structure entry bits and the PAT layout, C-free: the one
 * home of these numbers for the format (pt_x86.h) and for the boot map
 * boot.S builds before any C runs. Intel SDM vol. 3, 4.5 "4-Level Paging
 * and 5-Level Paging" (tables 4-14 to 4-20), 13.12 "Page Attribute Table".
 */
#ifndef ORIGAMI_X86_BITS_H
#define ORIGAMI_X86_BITS_H

/* A 64-bit constant in C, a plain number for the assembler. */
#ifdef __ASSEMBLER__
#define X86_U64(x) x
#else
#define X86_U64(x) x##ull
#endif

#define X86_P    (X86_U64(1) << 0)
#define X86_RW   (X86_U64(1) << 1)
#define X86_US   (X86_U64(1) << 2)
#define X86_PWT  (X86_U64(1) << 3)
#define X86_PCD  (X86_U64(1) << 4)
#define X86_A    (X86_U64(1) << 5)
#define X86_D    (X86_U64(1) << 6)
#define X86_PS   (X86_U64(1) << 7)
#define X86_G    (X86_U64(1) << 8)
#define X86_SW_ANNOTATED (X86_U64(1) << 9)
#define X86_ADDR_MASK (((X86_U64(1) << 52) - 1) & ~X86_U64(0xfff))   /* bits 51:12 */
#define X86_SW_NOEXEC (X86_U64(1) << 58)   /* ignored by the CPU: no-NX CPUs only */
#define X86_XD_BIT 63
#define X86_XD   (X86_U64(1) << X86_XD_BIT)

/*
 * The one PAT layout (SDM 13.12.4, "Programming the PAT"): the power-on
 * value, so the kernel programs nothing or IA32_PAT = X86_PAT_MSR. An entry
 * selects PAT entry 4 * PAT + 2 * PCD + PWT; we use 0-3 (PAT bit clear).
 */
#define X86_PAT_WB  X86_U64(0x06)
#define X86_PAT_WT  X86_U64(0x04)
#define X86_PAT_UCM X86_U64(0x07)   /* UC-: uncached, MTRRs may make it WC */
#define X86_PAT_UC  X86_U64(0x00)
#define X86_PAT_MSR X86_U64(0x0007040600070406)   /* PA0-3 = WB, WT, UC-, UC; PA4-7 again */
/* PAT index of each enum mmu_memtype. */
#define X86_PAT_IDX_NORMAL   0   /* WB */
#define X86_PAT_IDX_UNCACHED 2   /* UC- */
#define X86_PAT_IDX_DEVICE   3   /* UC: strong ordering for MMIO */

#endif
