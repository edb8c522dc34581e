/*
 * Defaults for the optional functions of the format interface (pt_format.h),
 * in the way Linux's generic_pt has them: a format that has its own defines
 * the function and then the name as a macro of itself
 *     static inline unsigned pt_contig_lg2(unsigned level) { ... }
 *     #define pt_contig_lg2 pt_contig_lg2
 * and includes this header last; whatever it left undefined gets the
 * behaviour of the simplest hardware below.
 */
#ifndef ORIGAMI_PT_DEFAULTS_H
#define ORIGAMI_PT_DEFAULTS_H

#include "pt_format.h"

/* Leaves at every level. */
#ifndef pt_leaf_ok
static inline bool pt_leaf_ok(unsigned level) { return true; }
#endif

/* No contiguous groups (no contiguous hint, no Svnapot). */
#ifndef pt_contig_lg2
static inline unsigned pt_contig_lg2(unsigned level) { return 0; }
#endif
#ifndef pt_leaf_contig
static inline bool pt_leaf_contig(pt_entry_t e, unsigned level) { return false; }
#endif
/* A group's members hold their own output addresses (the Arm contiguous bit). */
#ifndef pt_contig_same
static inline bool pt_contig_same(void) { return false; }
#endif

/* Every prot and memory type can be expressed. */
#ifndef pt_attr_ok
static inline bool pt_attr_ok(unsigned prot, unsigned memtype) { return true; }
#endif

/* Any live entry may be rewritten in place, then its TLB entries
 * invalidated (the engine flushes once per commit). */
#ifndef pt_needs_bbm
static inline bool pt_needs_bbm(pt_entry_t old, pt_entry_t new, unsigned level) { return false; }
#endif

/* Every CPU can run the mode. */
#ifndef pt_mode_init
static inline int pt_mode_init(void) { return 0; }
#endif

/* No feature flags for the host's reference walker. */
#ifndef pt_hwstate
static inline void pt_hwstate(struct mmu_host_hwstate *hw) { }
#endif

#endif
