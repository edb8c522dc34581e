/*
 * AArch64 VMSAv8-64 stage 1 translation table descriptors, EL1&0 regime
 * (Arm ARM DDI 0487, chapter D8; older revisions number it D4/D5). One
 * format for every arm64 mode: the granule (PT_PAGE_SHIFT 12, 14, 16) and
 * the OA size (PT_PA_BITS 48 or 52) of the mode file select the variant:
 *   48-bit OA: OA[47:granule] in descriptor bits 47:granule;
 *   4K or 16K with TCR_EL1.DS = 1 (FEAT_LPA2): OA[49:granule] in place,
 *   OA[51:50] in bits 9:8, which then no longer hold SH (from TCR_EL1);
 *   64K with a 52-bit OA (FEAT_LPA): OA[51:48] in bits 15:12.
 * Levels: ours n is the Arm ARM's 3 - n (0 = pages); the root is Arm level
 * 0 (4K-48, 16K-48, 16K-52), 1 (64K) or -1 (4K-52); a level resolves
 * granule - 3 VA bits. The bits (D8.3) are in vmsa_bits.h.
 */
#ifndef ORIGAMI_PT_VMSA_H
#define ORIGAMI_PT_VMSA_H
#include "pt_format.h"
#include "vmsa_bits.h"      /* the descriptor bits and MAIR_EL1, shared with entry.S */

/* pt_vmsa.c: 0 if this CPU can run the granule/VA/OA combination; -ENOTSUP. */
int vmsa_probe(unsigned page_shift, unsigned va_bits, unsigned pa_bits);
#ifdef PT_PAGE_SHIFT   /* the rest needs a mode's geometry */
/* The variant: TCR_EL1.DS = 1 (4K, 16K), or FEAT_LPA (64K); both 52-bit OA. */
#define VMSA_DS    (PT_PA_BITS == 52 && PT_PAGE_SHIFT < 16)
#define VMSA_LPA64 (PT_PA_BITS == 52 && PT_PAGE_SHIFT == 16)
/* Highest OA bit held in place: 49 with DS (OA[51:50] in bits 9:8). */
#define VMSA_OA_TOP (VMSA_DS ? 50 : 48)
#define VMSA_OA_MASK (((1ull << VMSA_OA_TOP) - 1) & ~((1ull << PT_PAGE_SHIFT) - 1))
/* Every descriptor bit that holds part of an address. */
#define VMSA_ADDR_FIELD (VMSA_OA_MASK | (VMSA_DS ? 3ull << 8 : 0) | (VMSA_LPA64 ? 0xfull << 12 : 0))

/* log2 of the bytes one descriptor at this level maps. */
static inline unsigned vmsa_level_shift(unsigned l) { return PT_PAGE_SHIFT + l * (PT_PAGE_SHIFT - 3); }
static inline pt_entry_t vmsa_addr(paddr_t pa)
{
	return (pa & VMSA_OA_MASK) | (VMSA_DS ? (pa >> 50 & 0x3) << 8 : 0) |   /* OA[51:50] */
	       (VMSA_LPA64 ? (pa >> 48 & 0xf) << 12 : 0);                       /* OA[51:48] */
}
static inline paddr_t vmsa_pa(pt_entry_t e)
{
	return (e & VMSA_OA_MASK) | (VMSA_DS ? (e >> 8 & 0x3) << 50 : 0) |
	       (VMSA_LPA64 ? (e >> 12 & 0xf) << 48 : 0);
}

/* Bits 1:0: 0b11 table (page at Arm level 3), 0b01 block (reserved at Arm
 * level 3, where it faults like 0b00), 0bx0 invalid. */
static inline enum pt_kind pt_kind(pt_entry_t e, unsigned level)
{
	if (!(e & VMSA_VALID))
		return PT_ABSENT;
	return e & VMSA_TABLE ? (level ? PT_TABLE : PT_LEAF) : (level ? PT_LEAF : PT_ABSENT);
}

/* Pages at level 0; blocks (D8.3) at Arm levels 2 and 1 with 4K (2M, 1G),
 * at Arm level 0 (512G) only with DS; at Arm level 2 with 16K (32M), at
 * Arm level 1 (64G) only with DS; at Arm level 2 with 64K (512M), at Arm
 * level 1 (4T) only with a 52-bit OA. */
static inline bool pt_leaf_ok(unsigned level)
{
	switch (PT_PAGE_SHIFT) {
	case 12: return level <= 2 || (level == 3 && VMSA_DS);
	case 14: return level <= 1 || (level == 2 && VMSA_DS);
	default: return level <= 1 || (level == 2 && VMSA_LPA64);
	}
}
#define pt_leaf_ok pt_leaf_ok

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
#define pt_contig_lg2 pt_contig_lg2
static inline bool pt_leaf_contig(pt_entry_t e, unsigned level) { return e & VMSA_CONTIG; }
#define pt_leaf_contig pt_leaf_contig
static inline paddr_t pt_table_pa(pt_entry_t e, unsigned level) { return vmsa_pa(e); }

/* D8.3 table descriptor; APTable/UXNTable/PXNTable/NSTable 0: no limit. */
static inline pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half)
{ return vmsa_addr(table) | VMSA_TABLE | VMSA_VALID; }

/*
 * Stage 1 permissions (D8.4, "Memory access control"): AP[2:1] = 00 EL1
 * RW, 10 EL1 RO, 01 EL1+EL0 RW, 11 EL1+EL0 RO. A user page is never
 * executable at EL1 (PXN), a kernel page never at EL0 (UXN). Normal memory
 * is Inner Shareable; Device and Non-cacheable memory are Outer Shareable
 * whatever SH says (D8.5). Each entry of a contiguous group holds its own OA.
 */
static inline pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa, unsigned level,
                                    bool contig)
{
	pt_entry_t e = vmsa_addr(pa) | VMSA_VALID | (level == 0 ? VMSA_TABLE : 0);
	e |= (pt_entry_t)a->memtype << VMSA_ATTRINDX_SHIFT | (VMSA_DS ? 0 : VMSA_SH_INNER);
	bool writable = a->prot & MMU_WRITE;   /* clean: read-only + DBM (vmsa_bits.h) */
	e |= (writable && a->dirty ? 0 : VMSA_AP_RO) | (writable ? VMSA_DBM : 0);
	if (a->prot & MMU_USER)
		e |= VMSA_AP_EL0 | VMSA_PXN | (a->prot & MMU_EXEC ? 0 : VMSA_UXN);
	else
		e |= VMSA_UXN | (a->prot & MMU_EXEC ? 0 : VMSA_PXN);
	e |= (a->accessed ? VMSA_AF : 0) | (a->global ? 0 : VMSA_NG);
	e |= (a->dirty ? VMSA_SW_DIRTY : 0) | (a->annotated ? VMSA_SW_ANNOTATED : 0);
	return e | (contig ? VMSA_CONTIG : 0);
}

static inline paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va)
{	/* a block's OA bits below its size are RES0 */
	return vmsa_pa(e) & ~((1ull << vmsa_level_shift(level)) - 1);
}

static inline void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a)
{
	bool user = e & VMSA_AP_EL0;
	bool writable = !(e & VMSA_AP_RO) || (e & VMSA_DBM);
	a->prot = MMU_READ | (writable ? MMU_WRITE : 0) | (user ? MMU_USER : 0) |
	          (e & (user ? VMSA_UXN : VMSA_PXN) ? 0 : MMU_EXEC);
	a->memtype = (uint8_t)((e & VMSA_ATTRINDX_MASK) >> VMSA_ATTRINDX_SHIFT);
	a->global = !(e & VMSA_NG), a->accessed = e & VMSA_AF;
	a->dirty = (e & VMSA_SW_DIRTY) || ((e & VMSA_DBM) && !(e & VMSA_AP_RO));
	a->annotated = e & VMSA_SW_ANNOTATED;
}

/* Every valid AP value grants read: execute-only cannot be expressed. */
static inline bool pt_attr_ok(unsigned prot, unsigned memtype) { return prot & MMU_READ; }
#define pt_attr_ok pt_attr_ok

/* D8.16.1, "Using break-before-make...": changing a live valid entry's OA,
 * size (table/block, Contiguous), memory type, shareability or nG needs
 * invalid + flush first; permissions, AF and software bits change in
 * place. A contiguous group is rewritten whole in one commit (as Linux). */
static inline bool pt_needs_bbm(pt_entry_t old, pt_entry_t new, unsigned level)
{
	if (pt_kind(old, level) == PT_ABSENT || pt_kind(new, level) == PT_ABSENT)
		return false;
	return (old ^ new) & (VMSA_VALID | VMSA_TABLE | VMSA_ADDR_FIELD | VMSA_ATTRINDX_MASK |
	                      VMSA_SH_MASK | VMSA_NG | VMSA_CONTIG);
}
#define pt_needs_bbm pt_needs_bbm
static inline int pt_mode_init(void) { return vmsa_probe(PT_PAGE_SHIFT, PT_VA_BITS, PT_PA_BITS); }
#define pt_mode_init pt_mode_init
static inline void pt_hwstate(struct mmu_host_hwstate *hw) { hw->lpa2 = VMSA_DS; }
#define pt_hwstate pt_hwstate
#include "pt_defaults.h"
#endif /* PT_PAGE_SHIFT */
#endif
