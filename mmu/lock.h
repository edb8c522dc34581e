/*
 * The MMU layer's locking (docs/transactions.md, "Locking"): what lets
 * transactions on disjoint ranges of one set run on several CPUs at once,
 * writing no cache line in common when their regions fall in different
 * lock lines.
 *
 *  - Regions: a set's user half is cut into regions of 2^mode->lock_shift
 *    bytes (the span of one leaf table in the radix modes, so no two
 *    regions share a leaf table). Region r is kept in lock line r mod
 *    LK_LINES (mmu_types.h), an LK_LINE_BYTES line of the set's lock
 *    table on cache lines of its own. A line records which transaction holds which
 *    of its regions (LK_SLOTS slots, each a transaction and a region, or
 *    "every region" for the set whole), under a short spin lock of the
 *    line: regions r and r + LK_LINES are different regions and do not
 *    conflict (only when more than LK_SLOTS holders crowd into one line is
 *    a region refused that nobody holds). A transaction takes the regions
 *    of what a call may change when the call begins (and whatever the call
 *    finds it must change beyond that) and holds them to commit or forget.
 *    Taking never waits (beyond the line's spin lock): a region held by
 *    another transaction is -EBUSY for the call (all-or-nothing, the
 *    transaction stays open), so no two transactions can deadlock.
 *  - Structural changes (a store into a live table slot that spans more
 *    than one region, a private copy of a live table above the leaves or
 *    of the side table, a span of more than LK_LINES regions) take the set
 *    whole: "every region" in every line.
 *  - Commit, two ways. A leaf-only commit (only deferred stores into leaf
 *    tables of regions it holds: no page copy, no new or freed table, no
 *    kernel-half change, no set held whole) publishes without the set and
 *    without a lock: its slot in each line it holds counts the commit
 *    begun and ended (lockless readers of the line's regions retry across
 *    it), and its statistics and TLB operations are added to its slot of
 *    its first line (statistics of other orders to that line, under its
 *    spin lock). Any other commit takes the
 *    set's commit lock, with the set's sequence count odd meanwhile (and
 *    the mode's kernel-half count when it changes that half), and adds to
 *    the set's own statistics.
 *  - Readers in flight: a reader walking a region it does not hold is
 *    counted (in the set, or in the mode for the shared kernel half), and a
 *    commit frees the tables it unlinked only once none is.
 *
 * Only C11-style atomics (the compiler's __atomic builtins): the same code
 * in the kernel and on the host, no arch code.
 */
#ifndef ORIGAMI_MMU_LOCK_H
#define ORIGAMI_MMU_LOCK_H

#include "mmu_internal.h"

#define LK_SLOTS  3   /* holders per lock line */
#define LK_ORDERS 3   /* entry orders a line counts under its spin lock */

/*
 * A slot of a lock line: its holder and region (written under the line's
 * spin lock by a taker that found it free; freed by its holder, with or
 * without the lock), and what the leaf-only commits of its holders added
 * (issue 12, "The one-page transaction"). Those are written by the slot's
 * holder alone, without the spin lock: begun, then the commit's stores and
 * statistics, then ended (a seqlock: lockless readers of the line's
 * regions and mmu_stats retry across it). A holder hands the slot on with
 * the release store that frees it, which the next taker reads with an
 * acquire load, so the counts pass from holder to holder whole. Cumulative:
 * they belong to the slot, not to a holder.
 */
struct lk_slot {
	mmu_transaction_t *ta;       /* holder, NULL: free */
	uint64_t region;             /* region number, or ALL */
	uint32_t begun, ended;       /* leaf-only commits of its holders (seqlock pair) */
	int64_t  mapped;             /* their statistics: bytes ... */
	int64_t  n;                  /* ... and entries of the line's order[0] */
	uint64_t tlb_ops[4];         /* their TLB operations by kind (enum mmu_tlb_kind) */
};

/*
 * One line of a set's lock table. Everything but the slots' commit counts
 * changes only under spin; those and a slot's freeing do not (struct
 * lk_slot). The line's writers are the transactions holding its regions
 * (and mmu_stats, briefly): transactions on regions of other lines share
 * no cache line with them.
 */
struct lk_line {
	uint32_t spin;
	uint8_t  used;               /* orders counted below (order[0]: the slots' n too) */
	uint8_t  order[LK_ORDERS];
	struct lk_slot slot[LK_SLOTS];
	int64_t  mapped;             /* statistics of leaf-only commits counted under spin */
	int64_t  n[LK_ORDERS];       /* entries of order[i] */
};

/* The set's lock lines (aligned at run time: mmu_types.h). */
static inline struct lk_line *lock_lines(const mmu_translation_set_t *t)
{
	uintptr_t p = (uintptr_t)t->lk.mem;
	return (struct lk_line *)((p + (LK_ALIGN - 1)) & ~(uintptr_t)(LK_ALIGN - 1));
}

/* A transaction begins holding nothing. */
static inline void lock_txn_init(mmu_transaction_t *ta)
{
	ta->lk_held = 0;
	ta->lk_whole = false;
	ta->lk_lo = 1;
	ta->lk_hi = 0;
}

/* The slow paths of lock_span and lock_holds (lock.c). */
int  lock_span_(mmu_transaction_t *ta, vaddr_t first, vaddr_t last);
bool lock_holds_(mmu_transaction_t *ta, vaddr_t first, vaddr_t last);

/* Take the regions covering [first, last] of ta's set for ta: 0, or -EBUSY
 * when another transaction holds one of them. Regions taken before a
 * refusal stay taken (released at commit or forget). Inline for what
 * nearly every call of a one-page transaction asks: a range inside the
 * region it last took or checked (ta->lk_lo..lk_hi, the whole address
 * space once it holds the set whole) costs two compares, no line visit. */
static inline int lock_span(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	if (first >= ta->lk_lo && last <= ta->lk_hi)
		return 0;
	return lock_span_(ta, first, last);
}
/* Every region: the set as a whole (structural changes). */
int  lock_whole(mmu_transaction_t *ta);
/* Whether ta holds every region covering [first, last] (the cache of
 * lock_span kept up to date: hence not const). */
static inline bool lock_holds(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	if (first >= ta->lk_lo && last <= ta->lk_hi)
		return true;
	return lock_holds_(ta, first, last);
}
/* Whether no other transaction holds va's region (or the set whole) now:
 * looked at, nothing taken. A read of the region's tables after it sees
 * every commit of its last holder; what another transaction does with the
 * region afterwards is not stopped (pt_engine_range.h, table_used, says
 * why that suffices there). */
bool lock_idle(mmu_transaction_t *ta, vaddr_t va);
/* Release every region ta holds (forget; a commit under the set lock). */
void lock_release(mmu_transaction_t *ta);

/* A commit under the set's commit lock: publishing serialised on the set,
 * the set's sequence count odd in between (and the kernel half's, when
 * kernel). */
void lock_commit_begin(mmu_translation_set_t *t, bool kernel);
void lock_commit_end(mmu_translation_set_t *t, bool kernel);
/* The commit lock alone (no count moves): reading what such commits add. */
void lock_commit_hold(mmu_translation_set_t *t);
void lock_commit_drop(mmu_translation_set_t *t);

/* A leaf-only commit (txn.c decides which ones are): lock_fast_begin marks
 * the commit begun in ta's slot of every line it holds and either adds
 * the commit's statistics to its first line under that line's spin lock
 * (LK_COUNTED) or leaves them to lock_fast_end (LK_COUNT_AT_END: one line,
 * the line's first order: no spin lock, no atomic read-modify-write at
 * all); 0 (nothing done) when the line has no room for its orders, then
 * the commit goes under the set lock. lock_fast_end adds the TLB
 * operations issued (by kind, enum mmu_tlb_kind) and, for
 * LK_COUNT_AT_END, the statistics d, in ta's slot, marks the commit ended
 * and frees ta's slots. The one-line case inline (the one-page
 * transaction's commit: no call into lock.c), the rest in lock.c. */
enum { LK_COUNTED = 1, LK_COUNT_AT_END = 2 };
int  lock_fast_begin_many(mmu_transaction_t *ta, const struct txn_delta *d);
void lock_fast_end_many(mmu_transaction_t *ta, const struct txn_delta *d,
                        const uint8_t tlb_ops[4]);

/* Slot fields are read without the spin lock only for one's own slots
 * (which only their holder writes), so relaxed atomics suffice there. */
static inline mmu_transaction_t *lock_slot_ta(const struct lk_line *ln, unsigned k)
{
	return __atomic_load_n(&ln->slot[k].ta, __ATOMIC_RELAXED);
}

/* Free ta's slots of line ln (its own: no spin lock needed). */
static inline void lock_free_slots(struct lk_line *ln, mmu_transaction_t *ta)
{
#pragma GCC unroll 4
	for (unsigned k = 0; k < LK_SLOTS; k++)
		if (lock_slot_ta(ln, k) == ta)
			__atomic_store_n(&ln->slot[k].ta, NULL, __ATOMIC_RELEASE);
}

/* The seqlock writer's side on a slot: begun counted before the stores
 * that publish (paired with the reader's acquire fence in lock_read_end:
 * a reader that saw a published store sees begun moved). A release fence,
 * a compiler barrier on x86: a leaf-only commit frees nothing, so no
 * reader count needs looking at (that would need a full fence). */
static inline void lock_slot_begin(struct lk_slot *s)
{
	__atomic_store_n(&s->begun, s->begun + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline int lock_fast_begin(mmu_transaction_t *ta, const struct txn_delta *d)
{
	uint32_t m = ta->lk_held;
	if (!m || ta->lk_whole)
		return 0;
	/* A transaction of one line whose statistics are of the line's first
	 * order (a one-page map or unmap): no spin lock, no atomic read-
	 * modify-write; its statistics go to its slot at the end. The rest in lock.c. */
	struct lk_line *ln = &lock_lines(ta->set)[__builtin_ctz(m)];
	if (m & (m - 1))
		return lock_fast_begin_many(ta, d);
	if (!d->used && !d->mapped) {   /* nothing to count (an update, a protect) */
		lock_slot_begin(&ln->slot[ta->lk_slot]);
		return LK_COUNTED;
	}
	if (d->used != 1 || !__atomic_load_n(&ln->used, __ATOMIC_ACQUIRE) ||
	    ln->order[0] != d->order[0])
		return lock_fast_begin_many(ta, d);
	lock_slot_begin(&ln->slot[ta->lk_slot]);
	return LK_COUNT_AT_END;
}

/* A leaf-only commit ends in line ln: in ta's slot there the statistics d
 * (NULL: counted at the beginning) and the TLB operations it issued
 * (NULL: counted in another line) added, the commit counted ended, then
 * ta's slots freed. No spin lock: the slot is ta's (struct lk_slot).
 * Inline: the one-line case stays a few loads and stores. */
static inline __attribute__((always_inline)) void lock_end_in(struct lk_line *ln,
                                                              struct lk_slot *s,
                                                              mmu_transaction_t *ta,
                                                              const struct txn_delta *d,
                                                              const uint8_t *tlb_ops)
{
	if (d) {
		__atomic_store_n(&s->mapped, s->mapped + d->mapped, __ATOMIC_RELAXED);
		__atomic_store_n(&s->n, s->n + d->n[0], __ATOMIC_RELAXED);
	}
	if (tlb_ops)   /* a commit issues one operation at most: one add */
#pragma GCC unroll 4
		for (unsigned k = 0; k < 4; k++)
			if (tlb_ops[k])
				__atomic_store_n(&s->tlb_ops[k], s->tlb_ops[k] + tlb_ops[k],
				                 __ATOMIC_RELAXED);
	/* After the publishing stores (release): a reader that saw ended move
	 * saw them. */
	__atomic_store_n(&s->ended, s->ended + 1, __ATOMIC_RELEASE);
	lock_free_slots(ln, ta);
}

static inline void lock_fast_end(mmu_transaction_t *ta, const struct txn_delta *d,
                                 const uint8_t tlb_ops[4])
{
	uint32_t m = ta->lk_held;
	if (m & (m - 1)) {
		lock_fast_end_many(ta, d, tlb_ops);
		return;
	}
	struct lk_line *ln = &lock_lines(ta->set)[__builtin_ctz(m)];   /* one line */
	lock_end_in(ln, &ln->slot[ta->lk_slot], ta, d, tlb_ops);
	lock_txn_init(ta);
}

/* A lockless read at va of a region not held: count the reader in and
 * return what to check; lock_read_end counts it out and says whether no
 * commit published there meanwhile (false: read again). */
struct lock_snap {
	uint64_t seq;          /* the set's (or, in the kernel half, the mode's) count */
	struct lk_line *line;  /* va's line, NULL: none (kernel half, no regions) */
	uint32_t begun;        /* leaf-only commits begun in it (its slots' sum) */
	bool     kernel;
};
struct lock_snap lock_read_begin(mmu_translation_set_t *t, vaddr_t va);
bool lock_read_end(mmu_translation_set_t *t, struct lock_snap s);
/* Commit, before freeing unlinked tables: wait until no lockless reader
 * that might still reach them is walking (of the set, and of the kernel
 * half when kernel). */
void lock_wait_readers(mmu_translation_set_t *t, bool kernel);

/* The statistics kept in the lines, summed (each line under its spin
 * lock, so each leaf-only commit counts whole or not at all): added to c
 * and tlb_ops[]. */
void lock_sum_stats(mmu_translation_set_t *t, struct mmu_set_counts *c, uint64_t tlb_ops[4]);
/* The transactions holding regions of t, up to max, each once; how many
 * (mmu_remove_translation_set forgets them). */
unsigned lock_holders(mmu_translation_set_t *t, mmu_transaction_t **out, unsigned max);

/* The shared kernel half: one transaction at a time changes it (claimed
 * with a compare-and-swap, noted in ta->lk_kernel, which mmu_transaction
 * clears); 0 or -EBUSY. */
int  lock_kernel_claim(mmu_transaction_t *ta);
void lock_kernel_release(mmu_transaction_t *ta);

/* The kernel half's statistics (the mode's counts and table pages):
 * added by kernel-half commits, on whatever set, and read by mmu_stats. */
void lock_kernel_stats(struct mmu_mode *m);
void lock_kernel_stats_end(struct mmu_mode *m);

/* The set list and ASID counter (set creation and removal, kernel-half
 * mirroring). */
void lock_sets(void);
void lock_sets_end(void);

#endif
