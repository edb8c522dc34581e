/*
 * The real layout of the MMU layer's public types, private to the MMU room
 * (mmu/, the formats, host/): include/mmu.h includes it in place of its
 * opaque storage when the file is compiled with -DMMU_LAYER, and only the
 * MMU room has mmu/ on its include path.
 */
#ifndef ORIGAMI_MMU_TYPES_H
#define ORIGAMI_MMU_TYPES_H

#ifndef ORIGAMI_MMU_H
#error "mmu_types.h is included by mmu.h (with -DMMU_LAYER), not directly"
#endif

struct txn_page;
struct mmu_mode;
struct mmu_txn_state;

struct mmu_entry {
	paddr_t  pa;
	uint32_t order;      /* requested order; may exceed max_order (rejected on use) */
	uint8_t  prot;       /* MMU_READ | ... */
	uint8_t  memtype;    /* enum mmu_memtype */
	uint8_t  flags;      /* MMU_EF_* in mmu/mmu_internal.h */
	uint8_t  counter;    /* valid when MMU_EF_COUNTED */
};

/* Statistics kept per set (user half) and per mode (shared kernel half). */
struct mmu_set_counts {
	uint64_t entries[64];
	uint64_t mapped_bytes;
	uint64_t counters[8];
};

/* The set's lock table (mmu/lock.h): LK_LINES lines of LK_LINE_BYTES, each
 * on cache lines of its own, so that transactions on regions of different
 * lines write no cache line in common. Kept in the set (no allocation, no
 * -ENOMEM at set creation), aligned at run time: the set itself is only
 * 8-byte aligned (mmu.h's opaque storage). Aligned to 128 bytes, not 64:
 * Intel's L2 spatial prefetcher fetches 64-byte lines in 128-byte pairs
 * (Optimization Reference Manual, "Data Prefetch to the L2 and Last Level
 * Cache"), and at 64 a set placed 64 past a 128-byte boundary put one lock
 * line's statistics and the next one's spin lock in one pair
 * (tests/suites.d/lines.sh). */
#define LK_LINES      16
#define LK_LINE_BYTES 256
#define LK_ALIGN      128

/* A half's side table (mmu/meta.c): the first MMU_META_INLINE records
 * kept here, in the set or mode, so that a few composed or counted
 * entries cost no page; a radix tree of pages under root for the rest. */
#define MMU_META_INLINE 4
struct mmu_meta {
	paddr_t  root;                       /* radix tree, 0: none */
	uint64_t va[MMU_META_INLINE];        /* inline records: base va ... */
	uint64_t val[MMU_META_INLINE];       /* ... and record, 0: slot free */
};

#define MMU_SET_CURSORS 32   /* set cursor slots (leaf[] below) */

struct mmu_translation_set {
	struct mmu_mode *mode;               /* the mode the set was created in */
	paddr_t  root;                       /* root table (or hash table) of the user half */
	struct mmu_meta meta;                /* side table of composed/counted entries */
	struct mmu_translation_set *next;    /* every live set, for kernel-half mirroring */
	uint64_t table_pages;                /* table pages owned (not the shared kernel half) */
	uint64_t tlb_ops[4];                 /* of commits under the commit lock, by kind
	                                        (page, range, asid, all); the lock lines hold
	                                        the others'; mmu_stats sums them */
	uint64_t gen;                        /* bumped by every commit and forget that moved or
	                                        freed a table: cached views of them are stale */
	uint32_t asid;
	uint32_t magic;                      /* MMU_SET_MAGIC while initialised */
	uint64_t hw_ctx;                     /* kernel: generation << 32 | hardware ASID, 0: none yet */
	struct mmu_set_counts counts;        /* of commits under the commit lock (lock.h) */
	struct {                             /* mmu/lock.h */
		uint64_t seq;                /* odd while a commit under the lock publishes */
		uint32_t commit;             /* the commit lock */
		uint32_t readers;            /* lockless readers walking */
		unsigned char mem[LK_LINES * LK_LINE_BYTES + LK_ALIGN];   /* the lines */
	} lk;
	/* The set cursor (mmu/pt_engine.h): per slot r mod MMU_SET_CURSORS, a region r of
	 * the user half and the live leaf table a transaction holding r last
	 * walked there, so that the next transaction in r starts at it instead
	 * of the root. Holders of regions MMU_SET_CURSORS apart share a slot: each is
	 * written whole under its sequence count (odd while written, taken by
	 * compare-and-swap) and read lockless. A commit that frees user tables
	 * clears them all. */
	struct mmu_set_cursor {
		uint64_t seq;
		uint64_t region;             /* r + 1; 0: none */
		paddr_t  table;
		void    *view;               /* table, mapped: no mmu_env_phys_to_virt per use */
	} leaf[MMU_SET_CURSORS];
};

/*
 * What a transaction needs for a small change lives here, in the object
 * the caller holds (mmu/txn.h explains the design): a few deferred stores
 * into live tables, the statistics' deltas, the range to flush. Only a
 * bigger change (page copies, new tables, frees, side-table records)
 * allocates the state behind st.
 */
#define TXN_DEFER 8                  /* deferred stores held inline */

struct txn_def {                     /* one store into a live table, made at commit */
	uint64_t *word;                  /* the live descriptor */
	uint64_t val;
	paddr_t  page;                   /* the table page holding it */
	vaddr_t  table_va;               /* first va the table translates */
	uint16_t idx;
	uint8_t  level;
	bool     kernel;
};

struct txn_delta {                   /* statistics change of one half, inline */
	int64_t  mapped;
	int64_t  n[3];                   /* entries of order[i] */
	uint8_t  order[3];
	uint8_t  used;
};

struct txn_flush {
	vaddr_t  start, end;
	uint64_t pages;
	bool     global, changed;
	bool     adds_only;   /* every change so far was a new entry where none was */
};

/* Caches of the one-entry calls (mmu/mmu.c, "fast paths"): what the last
 * call computed that the next one most likely needs again. */
struct txn_fast {
	uint64_t add_key;                /* entry fields (order..counter) last checked by
	                                    mmu_add, 0: none (prot 0 is never valid) */
	uint64_t add_bits;               /* their leaf descriptor, output address left out */
	uint64_t find_key;               /* a leaf descriptor without its output address */
	uint64_t find_word;              /* the entry fields it reads as (0: none) */
	uint64_t upd_key;                /* the entry word (a plain base page of the user half)
	                                    mmu_update last stored through the layer, 0: none */
	uint64_t upd_bits;               /* its leaf descriptor, 0: not built yet (win_try) */
	uint32_t find_level;             /* the level find_key was read at */
};

/* mmu_transaction.setcur (mmu/pt_engine.h, set_cursor): the set cursor
 * serves a transaction's first walk; a transaction that missed it once
 * (random addresses) looks no more, and one that kept it once keeps no
 * more (the next transaction of a region keeps that region's table). */
#define TXN_SETCUR_MISSED 1u
#define TXN_SETCUR_KEPT   2u

struct mmu_transaction {
	/* First: the call window the inline mmu_add and mmu_find read
	 * (include/mmu.h), with the current entry: win.has_current, win.cur_va
	 * (its base va), win.find_va (the address last given to mmu_find),
	 * win.cur_pa and win.cur_word (the entry as last reported: cur_entry()),
	 * win.cur_locked (it was found under its stripes). With the window
	 * open, cur_pa and find_va of an entry an inline mmu_add made
	 * (has_current == MMU_WIN_CUR_ADDED_) are unset until win_fold, and
	 * cur_va and cur_word too while it is the last add of the window's
	 * run (MMU_WIN_CUR_RUN_: mmu_win_settle_ writes them). */
	struct mmu_window_ win;
	struct txn_page *win_pg;             /* the window's private page, NULL: read-only */
	uint64_t win_region;                 /* lock region of the last call that could open it */
	uint32_t win_cnt;                    /* what an inline add adds to win_pg's per-table
	                                        count, kept while it is known; 0: not kept */
	struct mmu_translation_set *set;
	struct mmu_txn_state *st;            /* allocated when a change needs it, NULL before */
	uint32_t magic;                      /* MMU_TXN_MAGIC while open */
	int      status;                     /* sticky error (e.g. -EBUSY) */
	uint64_t op_seq;                     /* changing calls begun, numbering them */
	uint64_t gen;                        /* bumped when this transaction moves or frees
	                                        a page a cached view may point to */
	uint32_t lk_held;                    /* lock lines it holds a region in (lock.h) */
	bool     lk_whole;                   /* it holds the set whole */
	bool     lk_kernel;                  /* it claimed the kernel half (lock_kernel_claim) */
	uint8_t  lk_slot;                    /* its slot in the last line it took a region in */
	vaddr_t  lk_lo, lk_hi;               /* a range it is known to hold (lock.h), empty: lo > hi */
	uint8_t  tlb_n[4];                   /* commit: TLB operations issued, by kind */
	uint8_t  setcur;                     /* TXN_SETCUR_*: its use of the set cursor so far */
	struct txn_flush flush, saved_flush; /* what changed, for the one TLB operation */
	struct txn_flush bbm;                /* commit: descriptors broken before make */
	struct txn_delta delta[2], saved_delta[2];   /* user half, kernel half */
	struct {
		uint8_t n, mark;             /* stores held; n at the start of the call */
		uint8_t spill_n;             /* n before they moved into page copies */
		bool    upper;               /* one of them (or one undone since) is into a table
		                                above the leaves or of the kernel half: not a
		                                leaf-only commit (txn_commit_fast) */
		uint64_t spill_op;           /* the call that moved them, 0 if none */
		struct txn_def e[TXN_DEFER];
	} def;
	struct {                             /* the table that held the last leaf touched */
		uint64_t gen, sgen, kgen;    /* valid while equal to ta->gen, set->gen, kernel_gen */
		vaddr_t  first, last;        /* what the table translates */
		void    *view;               /* its contents as this transaction sees them */
		struct txn_page *pg;         /* its private copy, NULL while only live */
		paddr_t  pa;                 /* the table page */
		uint32_t level;
	} walk;
	struct txn_fast fast;
};

/* The opaque view in mmu.h must pass, copy and allocate the same bytes,
 * and its inline constructors see the entry as two words: pa, then order
 * in the low 32 bits and prot in the next byte (little-endian). */
_Static_assert(__builtin_offsetof(struct mmu_entry, pa) == 0 &&
               __builtin_offsetof(struct mmu_entry, order) == 8 &&
               __builtin_offsetof(struct mmu_entry, prot) == 12 &&
               __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "mmu_entry_t: include/mmu.h's inline constructors assume this layout");
_Static_assert(sizeof(struct mmu_entry) == MMU_ENTRY_WORDS * sizeof(uint64_t) &&
               _Alignof(struct mmu_entry) == _Alignof(uint64_t),
               "mmu_entry_t: mmu.h's MMU_ENTRY_WORDS must match its real size");
_Static_assert(sizeof(struct mmu_translation_set) <= MMU_SET_WORDS * sizeof(uint64_t) &&
               _Alignof(struct mmu_translation_set) <= _Alignof(uint64_t),
               "mmu_translation_set_t outgrew mmu.h's MMU_SET_WORDS");
_Static_assert(__builtin_offsetof(struct mmu_transaction, win) == 0,
               "mmu_transaction_t: the call window must come first (include/mmu.h)");
_Static_assert(sizeof(struct mmu_transaction) <= MMU_TXN_WORDS * sizeof(uint64_t) &&
               _Alignof(struct mmu_transaction) <= _Alignof(uint64_t),
               "mmu_transaction_t outgrew mmu.h's MMU_TXN_WORDS");

#endif
