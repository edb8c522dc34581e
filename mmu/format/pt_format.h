/*
 * The contract a radix page-table format meets to plug into the generic
 * engine (mmu/pt_engine.h). A format is one header under arch/<arch>/ of
 * constants and short static inline functions, checkable line by line
 * against its manual; a few-line .c file per mode defines the geometry and
 * includes the engine, which is then compiled once per mode (the Linux
 * generic_pt pattern), so every constant below folds away.
 *
 * Levels are numbered from the leaf: level 0 holds base pages in every
 * format, PT_LEVELS - 1 is the root. Each format's header says once how this
 * maps to its manual's numbering.
 *
 * What a mode file defines before including the engine:
 *
 *   PT_MODE            C identifier of the mode (symbol prefix), e.g. sv39
 *   PT_MODE_NAME       its name for mmu_select_mode, e.g. "sv39"
 *   PT_LEVELS          number of levels (root is PT_LEVELS - 1)
 *   PT_PAGE_SHIFT      log2 of the base page and of every table page
 *   PT_VA_BITS         virtual address bits translated by one root
 *   PT_INDEX_BITS      index bits of every level but the root
 *                      (default: PT_PAGE_SHIFT - 3, 8-byte descriptors)
 *   PT_SPLIT_ROOTS     1: the kernel half has its own root (ARM64 TTBR1),
 *                      user VAs are [0, 2^va_bits) and kernel VAs the top
 *                      2^va_bits of the 64-bit space; 0 (default): one
 *                      root, the upper half of its slots is the kernel half
 *                      and is mirrored into every set, VAs sign-extended
 *                      from bit va_bits - 1 (RISC-V, x86-64)
 *   PT_PA_BITS         output address bits a descriptor can hold
 *   PT_HOST_ARCH       enum mmu_host_arch of the reference walker to use
 *
 * and then, in the format header, these functions (all static inline).
 * Those marked [default] are optional: mmu/format/pt_defaults.h, which a
 * format includes last, supplies the simplest hardware's behaviour for
 * each one the format did not define (as a macro of its own name).
 *
 * A format sees only this directory (mmu/format/), include/ and its own
 * arch's headers: the build compiles every format header alone with just
 * those paths, so a format that reaches for the engine fails to build.
 *
 *   enum pt_kind pt_kind(pt_entry_t e, unsigned level);
 *       PT_ABSENT, PT_TABLE (points to the next level) or PT_LEAF.
 *   bool pt_leaf_ok(unsigned level);                  [default: true]
 *       Whether a leaf may sit at this level (in the mode being built: it
 *       may read the mode's feature flags).
 *   unsigned pt_contig_lg2(unsigned level);           [default: 0]
 *       log2 of the entries in a contiguous group at this level (ARM64
 *       contiguous hint, RISC-V Svnapot), 0 where the level has none.
 *   paddr_t pt_table_pa(pt_entry_t e, unsigned level);
 *   pt_entry_t pt_mk_table(paddr_t table, unsigned level, bool user_half);
 *   pt_entry_t pt_mk_leaf(const struct pt_attr *a, paddr_t pa,
 *                         unsigned level, bool contig);
 *       pa is the output address of this slot (already aligned to the slot
 *       size); for a contig group, also of the group's base when the format
 *       needs it: the engine passes each slot its own pa and sets contig.
 *       For contig false the result must be pt_mk_leaf(a, 0, level, false)
 *       OR'ed with an address field that depends on pa and level alone:
 *       the one-entry calls cache the first part (mmu/pt_engine_one.h).
 *   paddr_t pt_leaf_pa(pt_entry_t e, unsigned level, vaddr_t va);
 *       Output address of the slot that translates va.
 *   void pt_leaf_attr(pt_entry_t e, unsigned level, struct pt_attr *a);
 *   bool pt_leaf_contig(pt_entry_t e, unsigned level); [default: false]
 *   pt_entry_t pt_leaf_oa(paddr_t pa, unsigned level);  [optional: the
 *       engine derives it from pt_mk_leaf] The address field of a plain
 *       leaf: pt_mk_leaf(a, pa, level, false) == pt_mk_leaf(a, 0, level,
 *       false) | this.
 *   bool pt_contig_same(void);                        [default: false]
 *       How the members of a contiguous group are written: false, each
 *       holds its own output address (Arm ARM D8.6.1), member k being
 *       pt_mk_leaf(a, 0, level, true) | the address field of pa + k pages;
 *       true, each holds the group's first descriptor (RISC-V Svnapot).
 *       The one-entry mmu_add builds a group so (mmu/pt_engine_one.h).
 *   bool pt_attr_ok(unsigned prot, unsigned memtype);  [default: true]
 *       Whether the hardware can express this prot (e.g. exec-only) and
 *       memory type (e.g. RISC-V without Svpbmt has only PMAs).
 *   bool pt_needs_bbm(pt_entry_t old, pt_entry_t new, unsigned level);
 *                                                      [default: false]
 *       Whether replacing the live old by new needs break-before-make
 *       (Arm ARM D8.16.1); false everywhere but ARM64.
 *   int pt_mode_init(void);                           [default: 0]
 *       Called by mmu_select_mode: reads CPU features (host: simulated
 *       ones); -ENOTSUP if this CPU cannot run the mode.
 *   void pt_hwstate(struct mmu_host_hwstate *hw);     [default: nothing]
 *       Fills the feature flags a hardware walker needs (svnapot, lpa2...).
 */
#ifndef ORIGAMI_PT_FORMAT_H
#define ORIGAMI_PT_FORMAT_H

#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include "mmu.h"
#include "mmu_host.h"   /* struct mmu_host_hwstate, for pt_hwstate */

typedef uint64_t pt_entry_t;

enum pt_kind { PT_ABSENT, PT_TABLE, PT_LEAF };

/* The arch-neutral meaning of a leaf, as a format encodes and decodes it. */
struct pt_attr {
	uint8_t prot;        /* MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER */
	uint8_t memtype;     /* enum mmu_memtype */
	bool    global;
	bool    accessed;
	bool    dirty;
	bool    annotated;   /* software bit: the side table holds more (mmu/meta.c) */
};

/* A broken invariant inside the MMU layer: print and stop (mmu/bug.c). */
__attribute__((noreturn, format(printf, 1, 2))) void panic_mmu(const char *fmt, ...);

#endif
