/*
 * The MMU layer's locking (docs/transactions.md, "Locking"): what lets
 * transactions on disjoint ranges of one set run on several CPUs at once.
 *
 *  - Region locks: a set's user half is cut into regions of
 *    2^mode->lock_shift bytes (the span of one leaf table in the radix
 *    modes, so no two regions share a leaf table); region r is guarded by
 *    stripe r mod 64, one bit of the set's lock word. A transaction takes
 *    the stripes of what a call may change when the call begins (and of
 *    whatever the call finds it must change beyond that) and holds them to
 *    commit or forget. Taking never waits: a stripe held by another
 *    transaction is -EBUSY for the call (all-or-nothing, the transaction
 *    stays open), so no two transactions can deadlock.
 *  - Structural changes (a store into a live table slot that spans more
 *    than one region, a private copy of a live table above the leaves or
 *    of the side table) take every stripe: the set as a whole.
 *  - The commit lock: a short per-set spin lock around publishing, the TLB
 *    operation and the statistics, with a sequence count that is odd while
 *    a commit publishes (readers outside their regions retry across it).
 *  - Readers in flight: a reader walking a region it does not hold is
 *    counted, and a commit frees the tables it unlinked only once none is.
 *
 * Only C11-style atomics (the compiler's __atomic builtins): the same code
 * in the kernel and on the host, no arch code.
 */
#ifndef ORIGAMI_MMU_LOCK_H
#define ORIGAMI_MMU_LOCK_H

#include "mmu_internal.h"

/* Take the stripes covering [first, last] of ta's set for ta: 0, or -EBUSY
 * when another transaction holds one of them (then nothing was taken). */
int  lock_span(mmu_transaction_t *ta, vaddr_t first, vaddr_t last);
/* Every stripe: the set as a whole (structural changes). */
int  lock_whole(mmu_transaction_t *ta);
/* Whether ta holds every stripe covering [first, last]. */
bool lock_holds(const mmu_transaction_t *ta, vaddr_t first, vaddr_t last);
/* The stripe guarding va's region (regions in use: mode->lock_shift != 0),
 * and whether ta holds it: lock_holds for one address, inline, for the
 * set cursor (mmu/pt_engine.h). */
static inline unsigned lock_stripe(const mmu_translation_set_t *t, vaddr_t va)
{
	return (unsigned)((va >> t->mode->lock_shift) % 64);
}
static inline bool lock_holds_stripe(const mmu_transaction_t *ta, unsigned s)
{
	return ta->lk_held >> s & 1;
}
/* Release every stripe ta holds (commit, forget). */
void lock_release(mmu_transaction_t *ta);

/* Commit: serialise publishing on the set; the sequence count is odd in
 * between. */
void lock_commit_begin(mmu_translation_set_t *t);
void lock_commit_end(mmu_translation_set_t *t);

/* A lockless read of a region not held: count the reader in and return
 * the sequence count to check; lock_read_end counts it out and says
 * whether a commit published meanwhile (then read again). */
uint64_t lock_read_begin(mmu_translation_set_t *t);
bool     lock_read_end(mmu_translation_set_t *t, uint64_t seq);
/* Commit, before freeing unlinked tables: wait until no lockless reader
 * that might still reach them is walking. */
void lock_wait_readers(mmu_translation_set_t *t);

/* The shared kernel half: one transaction at a time changes it (claimed
 * with a compare-and-swap); 0 or -EBUSY. */
int  lock_kernel_claim(mmu_transaction_t *ta);
void lock_kernel_release(mmu_transaction_t *ta);

/* The set list and ASID counter (set creation and removal, kernel-half
 * mirroring). */
void lock_sets(void);
void lock_sets_end(void);

#endif
