/*
 * VMSAv8-64 stage 1 descriptor bits and the MAIR_EL1 layout, C-free: the
 * one home of these numbers for the format (pt_vmsa.h) and for the boot
 * map the entry code builds before any C runs (entry.S). Arm ARM DDI 0487,
 * D8.3 "Translation table descriptor formats", D8.5 "Memory region
 * attributes".
 */
#ifndef ORIGAMI_ARM64_VMSA_BITS_H
#define ORIGAMI_ARM64_VMSA_BITS_H

/* A 64-bit constant in C, a plain number for the assembler. */
#ifdef __ASSEMBLER__
#define ARM64_U64(x) x
#else
#define ARM64_U64(x) x##ull
#endif

#define VMSA_VALID          (ARM64_U64(1) << 0)
#define VMSA_TABLE          (ARM64_U64(1) << 1)   /* Arm levels 0-2: table; Arm level 3: page */
#define VMSA_ATTRINDX_SHIFT 2                     /* 4:2, a byte of MAIR_EL1 */
#define VMSA_AP_EL0         (ARM64_U64(1) << 6)   /* AP[1]: EL0 has data access */
#define VMSA_AP_RO          (ARM64_U64(1) << 7)   /* AP[2]: read-only */
#define VMSA_AF             (ARM64_U64(1) << 10)
#define VMSA_NG             (ARM64_U64(1) << 11)
#define VMSA_CONTIG         (ARM64_U64(1) << 52)
#define VMSA_PXN            (ARM64_U64(1) << 53)
#define VMSA_UXN            (ARM64_U64(1) << 54)
#define VMSA_ATTRINDX_MASK  (ARM64_U64(7) << VMSA_ATTRINDX_SHIFT)
#define VMSA_SH_MASK        (ARM64_U64(3) << 8)
#define VMSA_SH_INNER       (ARM64_U64(3) << 8)    /* Inner Shareable (DS = 0 only) */
/* Software bits (58:55): annotated (a composed or counted entry) and a
 * dirty bit of its own (see VMSA_DBM below). */
#define VMSA_SW_ANNOTATED   (ARM64_U64(1) << 55)
#define VMSA_SW_DIRTY       (ARM64_U64(1) << 56)
/*
 * Dirty state (Arm ARM D8, "Hardware management of the dirty state"; the
 * scheme Linux uses): a writable page is DBM; while clean it is also
 * read-only (AP[2]), so with TCR_EL1.HD the first write clears AP[2], and
 * without it the write faults and the layer marks it dirty
 * (mmu_fault_accessed). VMSA_SW_DIRTY keeps "dirty" on a page made
 * read-only later (copy-on-write).
 */
#define VMSA_DBM            (ARM64_U64(1) << 51)

/*
 * The one MAIR_EL1 layout: AttrIndx n selects byte n. The indices are the
 * enum mmu_memtype values (pt_vmsa.h checks), so a leaf's AttrIndx is its
 * memtype. The kernel programs MAIR_EL1 = VMSA_MAIR_EL1 once, in entry.S.
 */
#define VMSA_ATTR_NORMAL     0
#define VMSA_ATTR_DEVICE     1
#define VMSA_ATTR_UNCACHED   2
#define VMSA_MAIR_NORMAL_WB  ARM64_U64(0xff)   /* Normal, Inner/Outer Write-Back RW-Allocate */
#define VMSA_MAIR_DEVICE     ARM64_U64(0x04)   /* Device-nGnRE */
#define VMSA_MAIR_NORMAL_NC  ARM64_U64(0x44)   /* Normal, Inner/Outer Non-cacheable */
#define VMSA_MAIR_EL1 (VMSA_MAIR_NORMAL_WB << (8 * VMSA_ATTR_NORMAL) | \
                       VMSA_MAIR_DEVICE << (8 * VMSA_ATTR_DEVICE) |    \
                       VMSA_MAIR_NORMAL_NC << (8 * VMSA_ATTR_UNCACHED))

/*
 * The boot map (entry.S; include/arch.h "The boot map"): 4 KiB granule,
 * 48-bit VAs in both halves, blocks only (1 GiB for the direct map and
 * the identity map, 2 MiB for the image). Its leaves keep SH (bits 9:8)
 * 0: when a later mode sets TCR_EL1.DS (FEAT_LPA2) those bits are
 * OA[51:50], and the trampoline (mmu_arch.c) still walks the identity map
 * then. Every leaf is global, accessed (AF: no Access flag faults),
 * never executable at EL0.
 */
#define BOOT_BLOCK_COMMON   (VMSA_VALID | VMSA_AF | VMSA_UXN)
#define BOOT_BLOCK_CODE     (BOOT_BLOCK_COMMON | VMSA_ATTR_NORMAL << VMSA_ATTRINDX_SHIFT)
#define BOOT_BLOCK_RAM      (BOOT_BLOCK_CODE | VMSA_PXN)
#define BOOT_BLOCK_DEVICE   (BOOT_BLOCK_COMMON | VMSA_PXN | VMSA_ATTR_DEVICE << VMSA_ATTRINDX_SHIFT)
#define BOOT_TABLE          (VMSA_VALID | VMSA_TABLE)
#define BOOT_L0_SHIFT       39      /* 512 GiB a level-0 entry */
#define BOOT_L1_SHIFT       30      /* 1 GiB blocks */
#define BOOT_L2_SHIFT       21      /* 2 MiB blocks */
#define BOOT_INDEX_BITS     9       /* 512 entries a 4 KiB table */
#define BOOT_TABLE_BYTES    4096
/* The direct map: physical [0, 64 GiB) at arch_direct_map_va(), 64
 * 1 GiB blocks of one level-1 table. */
#define BOOT_DMAP_BLOCKS    64
#define ARM64_DIRECT_MAP_VA ARM64_U64(0xffff000000000000)

#endif
