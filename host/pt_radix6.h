/*
 * radix-6level: a synthetic six-level format that exists only in the host
 * build. It is built from this format description alone, with no change
 * to the engine: the proof that a deeper hierarchy needs nothing new.
 *
 * 4 KiB pages, 8 index bits per level (256 of a table page's 512 slots are
 * used), 6 x 8 + 12 = 60-bit VAs, sign-extended from bit 59. Leaves at
 * levels 0-4 (4 KiB, 1 MiB, 256 MiB, 64 GiB, 16 TiB), never at the root.
 *
 * Descriptor (host/ref_radix6.c walks the same layout independently):
 *   bit 0 valid, bit 1 leaf, bits 4:2 the level it sits at, 5 R, 6 W, 7 X,
 *   8 U, 9 G, 10 A, 11 D, bits 55:12 address, 57:56 memtype, 58 software.
 * The level tag makes a descriptor read or written at the wrong level a
 * broken invariant the engine reports at once (Hafnium's fake-arch idea).
 */
#ifndef ORIGAMI_PT_RADIX6_H
#define ORIGAMI_PT_RADIX6_H

#include "pt_format.h"

#define R6_V     (1ull << 0)
#define R6_LEAF  (1ull << 1)
#define R6_LEVEL_SHIFT 2
#define R6_LEVEL_MASK (7ull << R6_LEVEL_SHIFT)
#define R6_R     (1ull << 5)
#define R6_W     (1ull << 6)
#define R6_X     (1ull << 7)
#define R6_U     (1ull << 8)
#define R6_G     (1ull << 9)
#define R6_A     (1ull << 10)
#define R6_D     (1ull << 11)
#define R6_ADDR_MASK (((1ull << 44) - 1) << 12)
#define R6_MEMTYPE_SHIFT 56
#define R6_MEMTYPE_MASK (3ull << R6_MEMTYPE_SHIFT)
#define R6_SW_ANNOTATED (1ull << 58)

static inline pt_entry_t r6_tag(unsigned level)
{
	return (pt_entry_t)level << R6_LEVEL_SHIFT;
}

static inline void r6_check(pt_entry_t e, unsigned level)
{
	if ((e & R6_V) && (e & R6_LEVEL_MASK) != r6_tag(level))
		panic_mmu("radix-6level: descriptor %#llx tagged level %llu read at level %u",
		          (unsigned long long)e,
		          (unsigned long long)((e & R6_LEVEL_MASK) >> R6_LEVEL_SHIFT), level);
}

static inline enum pt_kind pt_kind(pt_entry_t e, unsigned level)
{
	r6_check(e, level);
	if (!(e & R6_V))
		return PT_ABSENT;
	return e & R6_LEAF ? PT_LEAF : PT_TABLE;
}

static inline bool pt_leaf_ok(unsigned level) { return level < 5; }
#define pt_leaf_ok pt_leaf_ok

static inline paddr_t pt_table_pa(pt_entry_t e, unsigned level)
{
	r6_check(e, level);
	return e & R6_ADDR_MASK;
}

static inline pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half)
{
	return (table & R6_ADDR_MASK) | r6_tag(level) | R6_V;
}

static inline pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa, unsigned level,
                                    bool contig)
{
	return (pa & R6_ADDR_MASK) | r6_tag(level) | R6_V | R6_LEAF |
	       (a->prot & MMU_READ ? R6_R : 0) | (a->prot & MMU_WRITE ? R6_W : 0) |
	       (a->prot & MMU_EXEC ? R6_X : 0) | (a->prot & MMU_USER ? R6_U : 0) |
	       (a->global ? R6_G : 0) | (a->accessed ? R6_A : 0) | (a->dirty ? R6_D : 0) |
	       ((pt_entry_t)a->memtype << R6_MEMTYPE_SHIFT) |
	       (a->annotated ? R6_SW_ANNOTATED : 0);
}

static inline paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va)
{
	r6_check(e, level);
	return e & R6_ADDR_MASK;
}

static inline void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a)
{
	r6_check(e, level);
	a->prot = (e & R6_R ? MMU_READ : 0) | (e & R6_W ? MMU_WRITE : 0) |
	          (e & R6_X ? MMU_EXEC : 0) | (e & R6_U ? MMU_USER : 0);
	a->memtype = (uint8_t)((e & R6_MEMTYPE_MASK) >> R6_MEMTYPE_SHIFT);
	a->global = e & R6_G;
	a->accessed = e & R6_A;
	a->dirty = e & R6_D;
	a->annotated = e & R6_SW_ANNOTATED;
}

/* Everything else is the defaults: no contiguous groups, every prot and
 * memory type, no break-before-make, every host runs it. */
#include "pt_defaults.h"

#endif
