/*
 * Transactions over table pages: the mechanism behind mmu_transaction(),
 * shared by every backend (radix engine, hashed table) and the side table.
 *
 * A transaction never stores into a page the hardware can see. The first
 * change to a live page makes a private copy (a "shadow"); pages allocated
 * by the transaction are private from birth. Every later read of that page
 * in the transaction goes to the private copy (txn_view), so the
 * transaction sees its own changes. mmu_commit publishes each shadow over
 * its live page with single-word atomic stores (the backend's publish hook
 * orders them and does break-before-make where the format needs it), then
 * one TLB invalidation, then frees what was unlinked. mmu_forget drops the
 * private pages: the live tables were never touched, so they are restored
 * bit for bit by construction.
 *
 * Each API call is all-or-nothing inside the transaction: the front end
 * brackets it with txn_op_begin/txn_op_end, and a failed call is undone
 * from a journal. Only stores into pages that were private before the call
 * began need journaling; pages made private during the call are simply
 * dropped, so a bulk map into fresh tables journals nothing.
 *
 * The transaction's own bookkeeping (records, journal) lives in pages
 * taken from the same allocator, so an allocation failure anywhere is an
 * ordinary -ENOMEM that unwinds the call.
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
	uint32_t dirty_lo, dirty_hi;   /* words stored into: [lo, hi], empty if lo > hi */
	struct txn_page *next;   /* hash chain */
	struct txn_page *all;    /* every record, newest first */
};

/* Bracket one API call. txn_op_begin returns 0, -EBUSY or -ENOMEM;
 * txn_op_end(ta, err) undoes the call's changes when err != 0. */
int  txn_op_begin(mmu_transaction_t *ta);
void txn_op_end(mmu_transaction_t *ta, int err);

/* The transaction's view of page pa (its private copy if it has one). */
void *txn_view(mmu_transaction_t *ta, paddr_t pa);
/* The private record of pa, or NULL if the page is still only live. */
struct txn_page *txn_lookup(mmu_transaction_t *ta, paddr_t pa);
/* Make pa private (copying it if live). Returns NULL and sets *err. */
struct txn_page *txn_own(mmu_transaction_t *ta, paddr_t pa, int *err);
/* A new zeroed table page, private, of the user or kernel half. Returns
 * NULL and sets *err. */
struct txn_page *txn_new(mmu_transaction_t *ta, bool kernel, int *err);
/* Store into a private page; journaled when the page predates the call.
 * Returns 0 or -ENOMEM (then nothing was stored). */
int  txn_store(mmu_transaction_t *ta, struct txn_page *pg, size_t idx, uint64_t val);
/* Store into a word of the transaction state (journaled). */
int  txn_store_word(mmu_transaction_t *ta, uint64_t *word, uint64_t val);
/* Free a table page (live or private) of that half when the transaction
 * commits. Returns 0 or -ENOMEM. */
int  txn_free(mmu_transaction_t *ta, paddr_t pa, bool kernel);

/* Size of a table page in the current mode. */
unsigned txn_page_shift(void);

/* Commit and forget, for the front end. */
void txn_commit(mmu_transaction_t *ta);
void txn_forget(mmu_transaction_t *ta);

/* Iterate the transaction's private pages (publish). */
struct txn_page *txn_pages(mmu_transaction_t *ta);

/* What the front end keeps per transaction, beside the pages. */
struct mmu_txn_state {
	struct txn_arena *arena;      /* pages holding records and journal */
	struct txn_page *buckets[128];   /* hash of private pages by live/own pa */
	struct txn_page *all;
	struct txn_journal *jhead;    /* current journal chunk */
	uint64_t jlen;                /* entries ever appended */
	uint64_t op_mark;             /* jlen at txn_op_begin */
	uint64_t op_seq;              /* calls begun, numbering them */
	uint64_t op_kept;             /* entries of this call that outlive it */
	bool     owns_set, owns_kernel;
	/* Pending values of the set's fields, published at commit. */
	uint64_t meta_root[2];        /* side table roots: user, kernel */
	uint64_t meta_valid[2];
	struct mmu_set_counts counts[2];   /* user half, kernel half */
	struct mmu_set_counts saved_counts; /* before the current call, when it may unwind */
	/* What changed, for the one TLB invalidation at commit. */
	struct txn_flush {
		vaddr_t  start, end;
		uint64_t pages;
		bool     global, changed;
		bool     adds_only;   /* every change so far was a new entry where none was */
	} flush, saved_flush;
};

/* Bumped by anything that can move or free a table page a cached walk
 * (mmu_transaction_t.walk) points to: a new private copy, a free, an
 * unwind, a commit. Cheap to compare, so the cache needs no other care. */
extern uint64_t mmu_walk_gen;

#endif
