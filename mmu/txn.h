/*
 * Transactions over table pages: the mechanism behind mmu_transaction(),
 * shared by every backend (radix engine, hashed table) and the side table.
 * docs/transactions.md describes the design; in short:
 *
 * A transaction never stores into a page the hardware can see before
 * commit. Its cost follows the stores it must make:
 *
 *  - A store into a live table is first deferred: kept in the transaction
 *    object itself (txn_defer, up to TXN_DEFER of them), read back through
 *    txn_read, made at commit with one atomic store each. A one-page change
 *    copies no page and allocates nothing.
 *  - Past that, the stores move into private copies of their pages (a
 *    spill, in txn_own), and later stores go there too: the first change to
 *    a live page copies it once, every later read of the page in the
 *    transaction goes to the copy (txn_view), and commit publishes each
 *    copy with one atomic store per changed descriptor.
 *  - Tables allocated by the transaction are private from birth: a fresh
 *    subtree is built where no walker sees it and linked with one store.
 *  - Tables unlinked are freed only after commit's one TLB invalidation.
 *
 * mmu_forget drops the deferred stores and the private pages: the live
 * tables were never touched, so they are restored bit for bit by
 * construction.
 *
 * Each API call is all-or-nothing inside the transaction: the front end
 * brackets it with txn_op_begin/txn_op_end, and a failed call is undone:
 * deferred stores by truncation, page stores from a journal. Only stores
 * into pages that were private before the call began need journaling;
 * pages made private during the call are simply dropped, so a bulk map
 * into fresh tables journals nothing.
 *
 * The state behind ta->st (page records, journal, statistics beyond what
 * fits inline) lives in bookkeeping pages taken from the same allocator,
 * created by the first change that needs it, so an allocation failure
 * anywhere is an ordinary -ENOMEM that unwinds the call.
 */
#ifndef ORIGAMI_MMU_TXN_H
#define ORIGAMI_MMU_TXN_H

#include "mmu_internal.h"

struct txn_page {
	paddr_t  live;           /* page the hardware sees; 0 if born in this transaction */
	paddr_t  pa;             /* the private copy (the page itself if born here) */
	void    *ptr;            /* pa, mapped */
	uint64_t born_op;        /* the call that made it private (mmu_txn_state.op_seq) */
	vaddr_t  va;             /* first va the table translates (backend's use) */
	uint8_t  level;          /* backend's use */
	bool     kernel;         /* belongs to the shared kernel half */
	bool     raw;            /* software-only page: published by plain copy */
	uint32_t stored_lo, stored_hi;   /* words stored into: [lo, hi], empty if lo > hi */
	uint32_t whole_count;    /* born here: its per-table count as the fills that write
	                            only empty slots keep it (pt_engine_range.h, CNT_KNOWN);
	                            0: counted at commit. Every other store clears it. */
	struct txn_page *next;   /* hash chain */
	struct txn_page *all;    /* every record, newest first */
};

/* Words [lo, hi] of private page pg were stored into: the stored range
 * grows to cover them and the count kept for a born table is dropped.
 * Every store into a private page notes it, through txn_store and
 * txn_stored_run or, where the caller stores directly, here. */
static inline void run_stored(struct txn_page *pg, size_t lo, size_t hi)
{
	pg->whole_count = 0;
	if (lo < pg->stored_lo)
		pg->stored_lo = (uint32_t)lo;
	if (hi > pg->stored_hi)
		pg->stored_hi = (uint32_t)hi;
}

/* Bracket one API call. txn_op_begin returns 0; txn_op_end(ta, err)
 * undoes the call's changes when err != 0. */
int  txn_op_begin(mmu_transaction_t *ta);
void txn_op_end(mmu_transaction_t *ta, int err);
/* Keep the statistics and flush range as they are, for txn_restore_counts
 * when the call fails after counting. */
void txn_save_counts(mmu_transaction_t *ta);
void txn_restore_counts(mmu_transaction_t *ta);

/* The state behind ta->st, created if need be: 0 or -ENOMEM. */
int  txn_need_state(mmu_transaction_t *ta);

/* The transaction's view of page pa (its private copy if it has one). */
void *txn_view(mmu_transaction_t *ta, paddr_t pa);
/* The private record of pa, or NULL if the page is still only live. */
struct txn_page *txn_lookup_state(mmu_transaction_t *ta, paddr_t pa);
static inline struct txn_page *txn_lookup(mmu_transaction_t *ta, paddr_t pa)
{
	return ta->st ? txn_lookup_state(ta, pa) : NULL;   /* no state, no private page */
}

/* Generations: a transaction starts below TXN_GEN_EPOCH and takes a value
 * of its own (txn_fresh_gen, 2^32 apart) with its first private page; a
 * set takes one when it is created. */
#define TXN_GEN_EPOCH (1ull << 32)
uint64_t txn_fresh_gen(void);
/* Make pa private (copying it if live). Returns NULL and sets *err. */
struct txn_page *txn_own(mmu_transaction_t *ta, paddr_t pa, int *err);
/* A new zeroed table page, private, of the user or kernel half. Returns
 * NULL and sets *err. */
struct txn_page *txn_new(mmu_transaction_t *ta, bool kernel, int *err);
/* The same, not zeroed: for a table whose every word the caller writes
 * before anything reads it. */
struct txn_page *txn_new_whole(mmu_transaction_t *ta, bool kernel, int *err);
/* Store into a private page; journaled when the page predates the call.
 * Returns 0 or -ENOMEM (then nothing was stored). */
int  txn_store(mmu_transaction_t *ta, struct txn_page *pg, size_t idx, uint64_t val);
/* Words [lo, hi] of the private page pg, all 0 before this call, were
 * just stored into directly (a run of new entries): journaled as one entry
 * (undone by zeroing them) when the page predates the call. Returns 0, or
 * -ENOMEM after zeroing them again. For a page born in this call only the
 * stored range is noted (any words then: nothing is journaled) and it
 * returns 0. */
int  txn_stored_run(mmu_transaction_t *ta, struct txn_page *pg, size_t lo, size_t hi);
/* Store into a word of the transaction state (journaled). */
int  txn_store_word(mmu_transaction_t *ta, uint64_t *word, uint64_t val);
/* Free a table page (live or private) of that half when the transaction
 * commits. Returns 0 or -ENOMEM. */
int  txn_free(mmu_transaction_t *ta, paddr_t pa, bool kernel);

/* ---- deferred stores into live tables (the radix engine's) ---- */

/* Defer d (a store into a live page with no private copy): true, or false
 * when there is no room or the stores already moved into page copies
 * (then the caller owns the page and stores there). Inline, so that d's
 * fields go straight into place. */
static inline bool txn_defer(mmu_transaction_t *ta, const struct txn_def *d)
{
	if (ta->def.spill_op)
		return false;
	/* A store of this call to a word it already stored replaces it;
	 * one to a word an earlier call stored goes on top (undone by
	 * truncation). */
	for (unsigned i = ta->def.mark; i < ta->def.n; i++)
		if (ta->def.e[i].word == d->word) {
			ta->def.e[i].val = d->val;
			return true;
		}
	if (ta->def.n == TXN_DEFER)
		return false;
	/* Field by field: the compiler writes d's values straight into
	 * place, where a struct copy went through the stack. */
	struct txn_def *e = &ta->def.e[ta->def.n++];
	e->word = d->word;
	e->val = d->val;
	e->page = d->page;
	e->table_va = d->table_va;
	e->idx = d->idx;
	e->level = d->level;
	e->kernel = d->kernel;
	ta->def.upper |= d->level || d->kernel;
	return true;
}
/* The word as the transaction sees it: the newest deferred store into it,
 * else its contents. */
uint64_t txn_def_read(const mmu_transaction_t *ta, const uint64_t *word, uint64_t v);
static inline uint64_t txn_read(const mmu_transaction_t *ta, const uint64_t *word)
{
	/* Atomic (relaxed: a plain load on every arch): a live word may be
	 * stored by another CPU's commit while this walk reads it. */
	uint64_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
	return ta->def.n ? txn_def_read(ta, word, v) : v;
}
/* The same for a table descriptor a walk descends through. */
static inline uint64_t txn_read_acquire(const mmu_transaction_t *ta, const uint64_t *word)
{
	uint64_t v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	return ta->def.n ? txn_def_read(ta, word, v) : v;
}
/* Whether a deferred store targets the page pa. */
bool txn_def_in_page(const mmu_transaction_t *ta, paddr_t pa);
/* Whether deferred store i is superseded by a newer one to the same word. */
bool txn_def_superseded(const mmu_transaction_t *ta, unsigned i);

/* Size of a table page in the current mode. */
unsigned txn_page_shift(void);

/* Commit and forget, for the front end. */
/* Commit under the set's commit lock (kernel: the kernel half changed,
 * txn_kernel_changed). */
void txn_commit(mmu_transaction_t *ta, bool kernel);
/* A leaf-only commit without the set's commit lock, if ta's is one
 * (mmu/lock.h); false: nothing done. */
bool txn_commit_fast(mmu_transaction_t *ta);
/* Nothing to publish, flush or count. */
static inline bool txn_empty(const mmu_transaction_t *ta)
{
	return !ta->st && !ta->def.n && !ta->flush.changed && !ta->delta[0].used &&
	       !ta->delta[1].used;
}
bool txn_kernel_changed(const mmu_transaction_t *ta);
/* mmu_env_tlb_flush for ta's commit, counted in ta->tlb_n by kind. */
struct mmu_flush;
void txn_tlb_flush(mmu_transaction_t *ta, const struct mmu_flush *f);
void txn_forget(mmu_transaction_t *ta);

/* Iterate the transaction's private pages (publish). */
struct txn_page *txn_pages(mmu_transaction_t *ta);

/* What a transaction keeps beside the pages when a change needs more than
 * the transaction object holds. */
struct mmu_txn_state {
	struct txn_arena *arena;      /* pages holding records and journal */
	struct txn_page *buckets[128];   /* hash of private pages by live/own pa */
	struct txn_page *all;
	struct txn_journal *jhead;    /* current journal chunk */
	uint64_t jlen;                /* entries ever appended */
	uint64_t op_mark;             /* jlen at txn_op_begin */
	uint64_t op_kept;             /* entries of this call that outlive it */
	uint64_t born_op;             /* the call that created the state */
	uint64_t live_frees;          /* journalled frees of tables the hardware may
	                                 walk: the commit's flush must reach the walk
	                                 caches (mmu_flush.tables_freed) */
	uint64_t user_frees;          /* journalled frees of user-half tables: the
	                                 commit clears the set cursor (txn.c) */
	/* Pending values of the set's fields, published at commit. */
	struct mmu_meta meta[2];      /* side tables: user, kernel (mmu/meta.c) */
	uint64_t meta_valid[2];
	/* Statistics change beyond what fits in ta->delta: added at commit. */
	struct mmu_set_counts counts[2];   /* user half, kernel half (mod 2^64) */
	struct mmu_set_counts saved_counts[2];
	bool saved_valid;
};

/* Whether a cached view taken at (gen, sgen, kgen) is still good. */
static inline bool txn_gen_ok(const mmu_transaction_t *ta, uint64_t gen, uint64_t sgen,
                              uint64_t kgen)
{
	return gen == ta->gen && sgen == __atomic_load_n(&ta->set->gen, __ATOMIC_ACQUIRE) &&
	       kgen == __atomic_load_n(&ta->set->mode->kernel_gen, __ATOMIC_ACQUIRE);
}

#endif
