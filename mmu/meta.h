/*
 * The side table: what a leaf descriptor has no room for. A composed entry
 * (an order with no native encoding, built of native leaves) and an entry
 * with a stats counter set a software bit in their leaves (pt_attr.
 * annotated) and keep one record here, keyed by the entry's base va:
 * its order and counter. Only annotated entries cost a record, so the
 * common case (native orders, no counter) never touches it.
 *
 * One table per half (user: the set's; kernel: the mode's): its first
 * MMU_META_INLINE records in the struct mmu_meta itself (no page: a range
 * mapped with a few composed entries uses only the tables the hardware
 * needs), the rest in pages that go through the transaction like table
 * pages.
 */
#ifndef ORIGAMI_MMU_META_H
#define ORIGAMI_MMU_META_H

#include "txn.h"

#define META_ORDER   0x00ffull
#define META_COUNTER 0xff00ull     /* counter + 1, 0 when uncounted */
#define META_USED    (1ull << 16)

/* Record of the entry based at va, 0 if none. */
uint64_t meta_get(mmu_transaction_t *ta, int half, vaddr_t va);
/* A transaction's side table made the committed one (mmu_commit, under
 * the set's commit lock), word by word for lockless readers. */
void meta_publish(struct mmu_meta *live, const struct mmu_meta *pending);
/* Returns 0 or -ENOMEM. */
int  meta_set(mmu_transaction_t *ta, int half, vaddr_t va, uint64_t val);
/* Returns 0 or -ENOMEM; a missing record is a broken invariant. */
int  meta_del(mmu_transaction_t *ta, int half, vaddr_t va);
/* Append a committed side table (inline records, then its pages) to buf;
 * returns the new length. */
size_t meta_snapshot(const struct mmu_meta *m, void *buf, size_t max, size_t at);
/* Free a committed side table (no transaction open on it) and empty it. */
void meta_fini(struct mmu_meta *m);

#endif
