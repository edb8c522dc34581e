/*
 * RISC-V Sv39 / Sv48 / Sv57 page-table entries (RISC-V privileged spec,
 * sections 4.3-4.5; Svnapot and Svpbmt chapters). One format for the three
 * modes: they differ only in the number of levels.
 *
 * Levels: our level 0 is the spec's level 0 (4 KiB leaves); the root is
 * level 2 (Sv39), 3 (Sv48) or 4 (Sv57). Every level may hold a leaf
 * (4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB: spec 4.3.1 "superpages").
 */
#ifndef ORIGAMI_PT_SV_H
#define ORIGAMI_PT_SV_H

#include "pt_format.h"
#include "sv_bits.h"  /* the bits themselves, shared with entry.S */

#define SV_PPN_MASK  (((1ull << 44) - 1) << SV_PPN_SHIFT)   /* bits 53:10 */
#define SV_PBMT_NC   (1ull << SV_PBMT_SHIFT)   /* non-cacheable, idempotent */
#define SV_PBMT_IO   (2ull << SV_PBMT_SHIFT)   /* non-cacheable, non-idempotent, strongly ordered */
#define SV_PBMT_MASK (3ull << SV_PBMT_SHIFT)
#define SV_N      (1ull << SV_N_SHIFT)
#define SV_NAPOT_64K_LG2 4                /* 16 base pages; PPN[3:0] = 0b1000 */

/* Extensions of the CPU the mode runs on (pt_sv.c). sv_probe reads them
 * and returns 0, or -ENOTSUP if satp does not take the mode of that many
 * levels. */
extern bool sv_has_svnapot, sv_has_svpbmt;
int sv_probe(unsigned levels);

static inline enum pt_kind pt_kind(pt_entry_t e, unsigned level)
{
	if (!(e & SV_V))
		return PT_ABSENT;
	return (e & (SV_R | SV_X)) ? PT_LEAF : PT_TABLE;   /* spec 4.3.2 step 4 */
}

static inline unsigned pt_contig_lg2(unsigned level)
{
	return level == 0 && sv_has_svnapot ? SV_NAPOT_64K_LG2 : 0;
}
#define pt_contig_lg2 pt_contig_lg2

static inline paddr_t sv_pa(pt_entry_t e)
{
	return ((e & SV_PPN_MASK) >> SV_PPN_SHIFT) << 12;
}

static inline pt_entry_t sv_ppn(paddr_t pa)
{
	return ((pa >> 12) << SV_PPN_SHIFT) & SV_PPN_MASK;
}

static inline paddr_t pt_table_pa(pt_entry_t e, unsigned level) { return sv_pa(e); }

/* Non-leaf: V only; D, A and U are reserved there (spec 4.3.1). */
/* The PPN field (privileged spec 4.4.1, figure "Sv39 page table entry"). */
static inline pt_entry_t pt_leaf_oa(paddr_t pa, unsigned level) { return sv_ppn(pa); }
#define pt_leaf_oa pt_leaf_oa

static inline pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half)
{
	return sv_ppn(table) | SV_V;
}

static inline pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa, unsigned level,
                                    bool contig)
{
	pt_entry_t e = SV_V;
	e |= a->prot & MMU_READ ? SV_R : 0;
	e |= a->prot & MMU_WRITE ? SV_W : 0;
	e |= a->prot & MMU_EXEC ? SV_X : 0;
	e |= a->prot & MMU_USER ? SV_U : 0;
	e |= a->global ? SV_G : 0;
	e |= a->accessed ? SV_A : 0;
	e |= a->dirty ? SV_D : 0;
	e |= a->annotated ? SV_SW_ANNOTATED : 0;
	e |= a->memtype == MMU_MEM_DEVICE ? SV_PBMT_IO : a->memtype == MMU_MEM_UNCACHED ? SV_PBMT_NC : 0;
	if (contig)   /* Svnapot: every PTE of the group names the group, PPN[3:0] = 0b1000 */
		return e | SV_N | sv_ppn(pa & ~0xffffull) | (0x8ull << SV_PPN_SHIFT);
	return e | sv_ppn(pa);
}

static inline bool pt_leaf_contig(pt_entry_t e, unsigned level) { return e & SV_N; }
/* Svnapot: the 16 PTEs of a group are one and the same (pt_mk_leaf). */
static inline bool pt_contig_same(void) { return true; }
#define pt_contig_same pt_contig_same
#define pt_leaf_contig pt_leaf_contig

static inline paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va)
{
	if (e & SV_N)
		return (sv_pa(e) & ~0xffffull) | (va & 0xf000);
	return sv_pa(e);
}

static inline void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a)
{
	a->prot = (e & SV_R ? MMU_READ : 0) | (e & SV_W ? MMU_WRITE : 0) |
	          (e & SV_X ? MMU_EXEC : 0) | (e & SV_U ? MMU_USER : 0);
	a->memtype = (e & SV_PBMT_MASK) == SV_PBMT_IO ? MMU_MEM_DEVICE :
	             (e & SV_PBMT_MASK) == SV_PBMT_NC ? MMU_MEM_UNCACHED : MMU_MEM_NORMAL;
	a->global = e & SV_G;
	a->accessed = e & SV_A;
	a->dirty = e & SV_D;
	a->annotated = e & SV_SW_ANNOTATED;
}

/* Execute-only is a valid leaf (R=0, X=1); memory types need Svpbmt. */
static inline bool pt_attr_ok(unsigned prot, unsigned memtype)
{
	return memtype == MMU_MEM_NORMAL || sv_has_svpbmt;
}
#define pt_attr_ok pt_attr_ok

#ifdef PT_LEVELS   /* a mode file (pt_sv.c includes this for the declarations) */
static inline int pt_mode_init(void) { return sv_probe(PT_LEVELS); }
#define pt_mode_init pt_mode_init
#endif

static inline void pt_hwstate(struct mmu_host_hwstate *hw)
{
	hw->svnapot = sv_has_svnapot;
	hw->svpbmt = sv_has_svpbmt;
}
#define pt_hwstate pt_hwstate

/* Leaves at every level (spec 4.3.1); no break-before-make (spec 4.2.1:
 * any PTE may be rewritten, then SFENCE.VMA): the defaults. */
#include "pt_defaults.h"

#endif
