/*
 * x86-64 4-level and 5-level paging entries (Intel SDM vol. 3, 4.5
 * "4-Level Paging and 5-Level Paging", tables 4-14 to 4-20; 4.6 "Access
 * Rights"; 4.9 "Paging and Memory Typing"; 13.12 "Page Attribute Table",
 * 11.12 in older editions). One format for the two modes: they differ only
 * in the number of levels.
 *
 * Levels: 0 = PT (4 KiB pages), 1 = PD (PS: 2 MiB pages), 2 = PDPT (PS:
 * 1 GiB pages, with CPUID Page1GB), 3 = PML4, 4 = PML5 (5-level, CR4.LA57).
 *
 * Entries: 0 P, 1 R/W, 2 U/S, 3 PWT, 4 PCD, 5 A, 6 D (leaves), 7 PS (PDE,
 * PDPTE) or PAT (PTE), 8 G (leaves), 11:9 ignored (ours), 12 PAT (PS
 * pages), 51:12 address (PS pages: 51:21 or 51:30, the rest reserved),
 * 58:52 ignored (58: ours, below), 63 XD (EFER.NXE = 1).
 *
 * A CPU without NX (CPUID.80000001H:EDX.NX = 0, hence EFER.NXE = 0) has no
 * XD: bit 63 is then reserved (4.5), and every present page is executable.
 * Such a CPU still runs the modes: a leaf without MMU_EXEC keeps that in
 * the ignored bit 58 instead, so the MMU layer reads back what it was
 * given, but the hardware does not enforce it (x86_has_nx says which).
 */
#ifndef ORIGAMI_PT_X86_H
#define ORIGAMI_PT_X86_H

#include "pt_format.h"
#include "x86_bits.h"   /* the entry bits and the PAT, shared with boot.S */


extern bool x86_has_page1gb;
/* XD is usable (else non-executable is recorded, not enforced: above). */
extern bool x86_has_nx;
/* Reads the CPU once per mode selection; 0, or -ENOTSUP if it cannot run
 * paging with this many levels. */
int x86_probe(unsigned levels);

/* The rest needs the mode's geometry (pt_x86.c includes this header for
 * the declarations above alone). */
#ifdef PT_LEVELS


static inline enum pt_kind pt_kind(pt_entry_t e, unsigned level)
{
	if (!(e & X86_P))
		return PT_ABSENT;
	if (level == 0 || ((level == 1 || level == 2) && (e & X86_PS)))
		return PT_LEAF;
	return PT_TABLE;
}

static inline bool pt_leaf_ok(unsigned level)
{
	return level <= 1 || (level == 2 && x86_has_page1gb);
}
#define pt_leaf_ok pt_leaf_ok

static inline paddr_t pt_table_pa(pt_entry_t e, unsigned level) { return e & X86_ADDR_MASK; }

/* Access rights are the AND of R/W and U/S over every level (SDM 4.6.1):
 * tables grant everything their half allows and the leaf decides. A is set
 * up front so the CPU never writes a live table entry. */
static inline pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half)
{
	return (table & X86_ADDR_MASK) | X86_P | X86_RW | X86_A | (user_half ? X86_US : 0);
}

static inline unsigned x86_pat_index(unsigned memtype)
{
	return memtype == MMU_MEM_DEVICE ? X86_PAT_IDX_DEVICE :
	       memtype == MMU_MEM_UNCACHED ? X86_PAT_IDX_UNCACHED : X86_PAT_IDX_NORMAL;
}

static inline pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa, unsigned level,
                                    bool contig)
{
	unsigned pat = x86_pat_index(a->memtype);
	pt_entry_t e = (pa & X86_ADDR_MASK) | X86_P | (level > 0 ? X86_PS : 0);
	e |= a->prot & MMU_WRITE ? X86_RW : 0;
	e |= a->prot & MMU_USER ? X86_US : 0;
	e |= a->prot & MMU_EXEC ? 0 : x86_has_nx ? X86_XD : X86_SW_NOEXEC;
	e |= pat & 1 ? X86_PWT : 0;
	e |= pat & 2 ? X86_PCD : 0;
	e |= a->global ? X86_G : 0;
	e |= a->accessed ? X86_A : 0;
	e |= a->dirty ? X86_D : 0;
	return e | (a->annotated ? X86_SW_ANNOTATED : 0);
}


/* Bits 51:12 (SDM tables 4-18 to 4-20); a PS page's pa is aligned, so
 * its PAT bit 12 stays clear. */
static inline pt_entry_t pt_leaf_oa(paddr_t pa, unsigned level) { return pa & X86_ADDR_MASK; }
#define pt_leaf_oa pt_leaf_oa

/* A PS page's frame is aligned (bit 12 is PAT, bits up to 20 or 29 reserved). */
static inline paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va)
{
	return e & X86_ADDR_MASK & ~((1ull << (12 + 9 * level)) - 1);
}

static inline void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a)
{
	unsigned pat = (e & X86_PCD ? 2 : 0) | (e & X86_PWT ? 1 : 0);
	a->prot = MMU_READ | (e & X86_RW ? MMU_WRITE : 0) | (e & X86_US ? MMU_USER : 0) |
	          (e & (X86_XD | X86_SW_NOEXEC) ? 0 : MMU_EXEC);
	a->memtype = pat == X86_PAT_IDX_DEVICE ? MMU_MEM_DEVICE :
	             pat == X86_PAT_IDX_UNCACHED ? MMU_MEM_UNCACHED : MMU_MEM_NORMAL;
	a->global = e & X86_G;
	a->accessed = e & X86_A;
	a->dirty = e & X86_D;
	a->annotated = e & X86_SW_ANNOTATED;
}

/* A present page is always readable (SDM 4.6): no execute-only. */
static inline bool pt_attr_ok(unsigned prot, unsigned memtype) { return prot & MMU_READ; }
#define pt_attr_ok pt_attr_ok

static inline int pt_mode_init(void) { return x86_probe(PT_LEVELS); }
#define pt_mode_init pt_mode_init

/* No contiguous groups; no break-before-make (SDM 4.10.4: any entry may be
 * rewritten in place, then invalidated): the defaults. */
#include "pt_defaults.h"

#endif /* PT_LEVELS */
#endif
