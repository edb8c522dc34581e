/*
 * AArch64 VMSAv8-64 stage 1 translation table descriptors, EL1&0 regime
 * (Arm ARM DDI 0487, chapter D8; section names are given too, since older
 * revisions number the chapter D4/D5). One format for the five modes: the
 * granule (PT_PAGE_SHIFT 12, 14, 16) and the OA size (PT_PA_BITS 48 or 52)
 * of the mode file select the variant:
 *   48-bit OA: OA[47:granule] in descriptor bits 47:granule;
 *   4K with TCR_EL1.DS = 1 (FEAT_LPA2): OA[49:12] in place, OA[51:50] in
 *   bits 9:8, which then no longer hold SH (shareability from TCR_EL1);
 *   64K with a 52-bit OA (FEAT_LPA): OA[51:48] in bits 15:12.
 *
 * Levels: our level n is the Arm ARM's level 3 - n (level 0 = Arm level 3,
 * pages); the root is Arm level 0 (4K-48, 16K-48), 1 (64K-48, 64K-52) or
 * -1 (4K-52). Each level resolves granule - 3 VA bits.
 *
 * Descriptors (D8.3, "Translation table descriptor formats"):
 *   bit 0 valid; bit 1: at Arm levels 0-2 table (1) or block (0), at Arm
 *   level 3 page (1; 0 is reserved, treated as invalid);
 *   4:2 AttrIndx, 7:6 AP[2:1], 9:8 SH, 10 AF, 11 nG, 52 Contiguous,
 *   53 PXN, 54 UXN, 58:55 reserved for software use.
 * Tables carry no hierarchical APTable/XNTable bits: the leaf decides.
 */
#ifndef ORIGAMI_PT_VMSA_H
#define ORIGAMI_PT_VMSA_H

#include "mmu_internal.h"   /* pt_format.h and the hooks a format may call */
#include "vmsa_bits.h"      /* the descriptor bits and MAIR_EL1, shared with entry.S */

/* pt_vmsa.c: 0 if this CPU can run the granule/VA/OA combination; -ENOTSUP. */
int vmsa_probe(unsigned page_shift, unsigned va_bits, unsigned pa_bits);


/* The rest needs the mode's geometry (pt_vmsa.c includes this header for
 * the declarations above alone). */
#ifdef PT_PAGE_SHIFT

#define VMSA_ATTRINDX_MASK (7ull << VMSA_ATTRINDX_SHIFT)
#define VMSA_SH_MASK (3ull << 8)
#define VMSA_SH_INNER (3ull << 8)    /* Inner Shareable (DS = 0 only) */
#define VMSA_SW_ANNOTATED (1ull << 55)
/* Software dirty bit: without FEAT_HAFDBS/DBM nothing in hardware records
 * a write, so "dirty" is what the front end says (a writable page starts
 * dirty); a bit of its own keeps it independent of AP[2] and leaves DBM
 * (bit 51) free for hardware dirty management later (as Linux does). */
#define VMSA_SW_DIRTY     (1ull << 56)

/* The mode's variant: TCR_EL1.DS = 1 (4K, 52-bit OA), or FEAT_LPA (64K,
 * 52-bit OA). */
#define VMSA_DS    (PT_PA_BITS == 52 && PT_PAGE_SHIFT < 16)
#define VMSA_LPA64 (PT_PA_BITS == 52 && PT_PAGE_SHIFT == 16)
/* Highest OA bit held in place: 49 with DS (OA[51:50] in bits 9:8). */
#define VMSA_OA_TOP (VMSA_DS ? 50 : 48)
#define VMSA_OA_MASK (((1ull << VMSA_OA_TOP) - 1) & ~((1ull << PT_PAGE_SHIFT) - 1))
/* Every descriptor bit that holds part of an address. */
#define VMSA_ADDR_FIELD (VMSA_OA_MASK | (VMSA_DS ? 3ull << 8 : 0) | \
                         (VMSA_LPA64 ? 0xfull << 12 : 0))

_Static_assert(MMU_MEM_NORMAL == VMSA_ATTR_NORMAL && MMU_MEM_DEVICE == VMSA_ATTR_DEVICE &&
               MMU_MEM_UNCACHED == VMSA_ATTR_UNCACHED,
               "AttrIndx is the memtype: VMSA_MAIR_EL1 relies on the enum's values");

/* log2 of the bytes one descriptor at this level maps: granule - 3 VA
 * bits a level. */
static inline unsigned vmsa_level_shift(unsigned level)
{
	return PT_PAGE_SHIFT + level * (PT_PAGE_SHIFT - 3);
}

static inline pt_entry_t vmsa_addr(paddr_t pa)
{
	pt_entry_t e = pa & VMSA_OA_MASK;
	if (VMSA_DS)
		e |= (pa >> 50 & 0x3) << 8;    /* OA[51:50] */
	if (VMSA_LPA64)
		e |= (pa >> 48 & 0xf) << 12;   /* OA[51:48] */
	return e;
}

static inline paddr_t vmsa_pa(pt_entry_t e)
{
	paddr_t pa = e & VMSA_OA_MASK;
	if (VMSA_DS)
		pa |= (e >> 8 & 0x3) << 50;
	if (VMSA_LPA64)
		pa |= (e >> 12 & 0xf) << 48;
	return pa;
}

static inline enum pt_kind pt_kind(pt_entry_t e, unsigned level)
{
	if (!(e & VMSA_VALID))
		return PT_ABSENT;
	if (level == 0)   /* Arm level 3: 0b01 is reserved and faults like 0b00 */
		return e & VMSA_TABLE ? PT_LEAF : PT_ABSENT;
	return e & VMSA_TABLE ? PT_TABLE : PT_LEAF;
}

/* Pages at level 0; blocks (D8.3) at Arm level 2 and 1 with 4K (2M, 1G)
 * and at Arm level 0 (512G) only with DS; at Arm level 2 with 16K (32M)
 * and at Arm level 1 (64G) only with DS; at Arm level 2 with 64K (512M)
 * and at Arm level 1 (4T) only with a 52-bit OA. */
static inline bool pt_leaf_ok(unsigned level)
{
	switch (PT_PAGE_SHIFT) {
	case 12: return level <= 2 || (level == 3 && VMSA_DS);
	case 14: return level <= 1 || (level == 2 && VMSA_DS);
	default: return level <= 1 || (level == 2 && VMSA_LPA64);
	}
}

/* D8.6, "The Contiguous bit": 16 entries at Arm levels 3, 2, 1 with 4K
 * (64K, 32M, 16G); 128 at Arm level 3 (2M) and 32 at Arm level 2 (1G)
 * with 16K; 32 at Arm levels 3 and 2 with 64K (2M, 16G). */
static inline unsigned pt_contig_lg2(unsigned level)
{
	switch (PT_PAGE_SHIFT) {
	case 12: return level <= 2 ? 4 : 0;
	case 14: return level == 0 ? 7 : level == 1 ? 5 : 0;
	default: return level <= 1 ? 5 : 0;
	}
}

static inline paddr_t pt_table_pa(pt_entry_t e, unsigned level) { return vmsa_pa(e); }

/* D8.3 table descriptor: next-level table address, APTable/UXNTable/
 * PXNTable/NSTable left 0 (no limit on the leaves below). */
static inline pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half)
{
	return vmsa_addr(table) | VMSA_TABLE | VMSA_VALID;
}

/*
 * Stage 1 permissions (D8.4, "Memory access control"): AP[2:1] = 00 EL1
 * RW, 10 EL1 RO, 01 EL1+EL0 RW, 11 EL1+EL0 RO. A user page is never
 * executable at EL1 (PXN = 1), a kernel page never at EL0 (UXN = 1).
 * Normal memory is Inner Shareable; Device and Non-cacheable memory are
 * Outer Shareable whatever SH says (D8.5), so SH is the same for all.
 */
static inline pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa, unsigned level,
                                    bool contig)
{
	pt_entry_t e = vmsa_addr(pa) | VMSA_VALID | (level == 0 ? VMSA_TABLE : 0);
	e |= (pt_entry_t)a->memtype << VMSA_ATTRINDX_SHIFT;
	e |= VMSA_DS ? 0 : VMSA_SH_INNER;
	e |= a->prot & MMU_WRITE ? 0 : VMSA_AP_RO;
	if (a->prot & MMU_USER)
		e |= VMSA_AP_EL0 | VMSA_PXN | (a->prot & MMU_EXEC ? 0 : VMSA_UXN);
	else
		e |= VMSA_UXN | (a->prot & MMU_EXEC ? 0 : VMSA_PXN);
	e |= a->accessed ? VMSA_AF : 0;
	e |= a->global ? 0 : VMSA_NG;
	e |= a->dirty ? VMSA_SW_DIRTY : 0;
	e |= a->annotated ? VMSA_SW_ANNOTATED : 0;
	return e | (contig ? VMSA_CONTIG : 0);   /* each entry of a group holds its own OA */
}

static inline bool pt_leaf_contig(pt_entry_t e, unsigned level) { return e & VMSA_CONTIG; }

static inline paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va)
{
	return vmsa_pa(e) & ~((1ull << vmsa_level_shift(level)) - 1);
}

static inline void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a)
{
	bool user = e & VMSA_AP_EL0;
	a->prot = MMU_READ | (e & VMSA_AP_RO ? 0 : MMU_WRITE) | (user ? MMU_USER : 0) |
	          (e & (user ? VMSA_UXN : VMSA_PXN) ? 0 : MMU_EXEC);
	a->memtype = (uint8_t)((e & VMSA_ATTRINDX_MASK) >> VMSA_ATTRINDX_SHIFT);
	a->global = !(e & VMSA_NG);
	a->accessed = e & VMSA_AF;
	a->dirty = e & VMSA_SW_DIRTY;
	a->annotated = e & VMSA_SW_ANNOTATED;
}

/* Every valid AP value grants read, so execute-only cannot be expressed
 * (for EL1 not at all; for EL0 only with FEAT_EPAN tricks we do not use). */
static inline bool pt_attr_ok(unsigned prot, unsigned memtype)
{
	return prot & MMU_READ;
}

/*
 * D8.16.1, "Using break-before-make when updating translation table
 * entries": a live valid descriptor must be invalidated (and its TLB
 * entries flushed) before a valid one that changes its output address,
 * its size (table <-> block, the Contiguous bit), its memory type or
 * shareability, or nG is written. Permission, AF and software-bit changes
 * may be made in place; a contiguous group is rewritten whole within one
 * commit, so it is consistent again once published (Linux's arm64
 * contpte code changes permissions of whole groups the same way).
 */
static inline bool pt_needs_bbm(pt_entry_t old, pt_entry_t new, unsigned level)
{
	if (pt_kind(old, level) == PT_ABSENT || pt_kind(new, level) == PT_ABSENT)
		return false;
	return (old ^ new) & (VMSA_VALID | VMSA_TABLE | VMSA_ADDR_FIELD | VMSA_ATTRINDX_MASK |
	                      VMSA_SH_MASK | VMSA_NG | VMSA_CONTIG);
}

static inline int pt_mode_init(void) { return vmsa_probe(PT_PAGE_SHIFT, PT_VA_BITS, PT_PA_BITS); }

static inline void pt_hwstate(struct mmu_host_hwstate *hw) { hw->lpa2 = VMSA_DS; }

#endif /* PT_PAGE_SHIFT */
#endif
