/*
 * Inside the MMU layer: what the arch-neutral front end (mmu/mmu.c) asks of
 * a backend, and what every backend may use (transactions, environment).
 *
 *   core/  --mmu.h-->  mmu/mmu.c (front end: entries, validation, composed
 *                      orders, splitting, ranges, stats)
 *                        |  struct mmu_backend (native leaves only)
 *                        v
 *          mmu/pt_engine.h (one radix walker, compiled once per format in
 *                           arch/<arch>/)      host/hashed.c (no levels)
 *                        |  mmu/txn.h (private page copies, journal)
 *                        v
 *          environment: mmu_env_* (host/host_env.c or the kernel)
 */
#ifndef ORIGAMI_MMU_INTERNAL_H
#define ORIGAMI_MMU_INTERNAL_H

#ifndef MMU_LAYER
#error "mmu/ internals are for the MMU room only (compiled with -DMMU_LAYER)"
#endif

#include <errno.h>
#include "mmu.h"
#include "mmu_host.h"
#include "pt_format.h"

struct txn_page;

#define MMU_SET_MAGIC 0x4d4d5553u   /* "MMUS" */
#define MMU_TXN_MAGIC 0x4d4d5458u   /* "MMTX" */

/* mmu_entry.flags */
#define MMU_EF_GLOBAL    (1u << 0)
#define MMU_EF_ACCESSED  (1u << 1)
#define MMU_EF_DIRTY     (1u << 2)
#define MMU_EF_COUNTED   (1u << 3)
#define MMU_EF_OLD       (1u << 4)   /* mmu_mkold: written with Accessed clear */
#define MMU_EF_CLEAN     (1u << 5)   /* mmu_mkclean: written with Dirty clear */

/* A word a lockless reader loads while a commit may store it (mmu_find
 * of a set another transaction holds, mmu/lock.h): a single-word atomic
 * load, relaxed (a plain load), whose mixed reads the reader's sequence
 * check throws away (lock_read_end). */
static inline uint64_t mmu_load_word(const uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

/* A sequence-count cache: a few words any CPU reads lockless and one
 * writer at a time rewrites whole, for answers every transaction of a
 * mode may share (mmu.c's entry checks, eng_find_one's leaf fields, the
 * set cursor). The count is odd while written; a writer takes it with a
 * compare-and-swap and gives up if it cannot (a loser keeps its own
 * answer), so no one waits. A reader:
 *	s = seqc_read_begin(&c->seq); x = relaxed loads of the fields;
 *	if (x is not what it wants || !seqc_read_ok(&c->seq, s)) miss;
 * a writer:
 *	if (seqc_write_begin(&c->seq, &s)) { relaxed stores; seqc_write_end(&c->seq, s); }
 * The orders are the usual seqlock's: the acquire fence keeps the fields'
 * loads before the count's reload, the release fence the odd count
 * before the fields' stores, the release store the fields before the
 * even count. */
static inline uint64_t seqc_read_begin(const uint64_t *seq)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

static inline bool seqc_read_ok(const uint64_t *seq, uint64_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return !(s & 1) && __atomic_load_n(seq, __ATOMIC_RELAXED) == s;
}

static inline bool seqc_write_begin(uint64_t *seq, uint64_t *s)
{
	*s = __atomic_load_n(seq, __ATOMIC_RELAXED);
	if ((*s & 1) ||
	    !__atomic_compare_exchange_n(seq, s, *s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return true;
}

static inline void seqc_write_end(uint64_t *seq, uint64_t s)
{
	__atomic_store_n(seq, s + 2, __ATOMIC_RELEASE);
}

/* The first non-zero word of w at or after i, or n: the next used slot of
 * a table or side-table page (a zero word is empty in every format, as a
 * fresh zeroed table is). Empty slots are tested eight at a time: one at
 * a time, the scans of the host's snapshots were 7% of a fuzzing run
 * (perf), 13% on arm64 64K (8192-slot tables). Not under ASan: table pages
 * are simulated memory, one mmap the sanitizer never poisons, so its
 * check per load could never fire. */
__attribute__((no_sanitize("address")))
static inline size_t mmu_next_nonzero(const uint64_t *w, size_t i, size_t n)
{
	for (; i < n && i % 8; i++)
		if (w[i])
			return i;
	for (; i + 8 <= n; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			break;
	for (; i < n; i++)
		if (w[i])
			return i;
	return n;
}

/* One native translation, as a backend reports it. */
struct mmu_leaf {
	vaddr_t va;              /* base of the native leaf (or contig group) */
	paddr_t pa;              /* output address of that base */
	unsigned order;          /* a native order of the mode */
	struct pt_attr attr;
};

/* What mmu_backend.change does to a run of leaves. */
enum mmu_leaf_op {
	MMU_LEAF_MAP,        /* create them where nothing is mapped */
	MMU_LEAF_REWRITE,    /* replace existing leaves in place */
	MMU_LEAF_UNMAP,      /* remove existing leaves (pa and a unused) */
};

/*
 * A backend deals in native orders only; composing, splitting and the side
 * table are the front end's. Every function that changes state does so
 * through the transaction (mmu/txn.h) and may leave partial changes behind
 * on error: the front end rolls the whole operation back.
 */
struct mmu_backend {
	/* Shared kernel-half tables: created by mmu_select_mode, freed when
	 * another mode is selected. */
	int  (*kernel_init)(void);
	void (*kernel_fini)(void);
	/* Root of a new set, with the kernel half mirrored where it must be. */
	int  (*set_init)(mmu_translation_set_t *t);
	/* Free every table page the set owns (not the shared kernel half). */
	void (*set_fini)(mmu_translation_set_t *t);
	/* Native leaf translating va; -ENOENT. */
	int  (*lookup)(mmu_transaction_t *ta, vaddr_t va, struct mmu_leaf *out);
	/* First native leaf overlapping [va, last]; -ENOENT if none. (Ranges
	 * end inclusively here so the top of the address space has no
	 * overflow.) */
	int  (*next)(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, struct mmu_leaf *out);
	/* Apply op to count consecutive leaves of a native order from va
	 * (to pa, with a, for a map or rewrite): -EEXIST if a map finds any
	 * of the range mapped; -ENOMEM. */
	int  (*change)(mmu_transaction_t *ta, enum mmu_leaf_op op, vaddr_t va, unsigned order,
	               uint64_t count, paddr_t pa, const struct pt_attr *a);
	/* Optional: remove the existing non-annotated leaves of a native
	 * order from va, inside [va, last], as far as one table holds them
	 * (or that whole table, when it lies inside [first, last]: the range
	 * being removed, mapping nothing before va any more). Returns how many
	 * leaves went and sets *next past what was handled (0: use unmap).
	 * *err on failure. */
	uint64_t (*unmap_run)(mmu_transaction_t *ta, vaddr_t first, vaddr_t va, vaddr_t last,
	                      unsigned order, vaddr_t *next, int *err);
	/* Optional: give the run of existing non-annotated leaves of a native
	 * order from va, inside [va, last], in one table, the protection prot
	 * (every other attribute kept). Returns how many leaves it covered and
	 * sets *next past them (0: rewrite entry by entry). *err on failure. */
	uint64_t (*protect_run)(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, unsigned order,
	                        unsigned prot, vaddr_t *next, int *err);
	/* Optional: the leaf at va (first->va) and the ones after it in the
	 * same table with the same order and attributes, as long as each
	 * starts inside [va, last], up to max; all native, with no side-table
	 * record (not annotated) and no contiguous group. first: the first
	 * one; pa[i]: the output address of the i-th. *linear set: their
	 * output addresses advance by their size from first->pa (a
	 * physically contiguous run, read without decoding), pa[] is not
	 * written and max does not apply. Returns how many (0: no such leaf
	 * at va). */
	unsigned (*leaves)(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, struct mmu_leaf *first,
	                   paddr_t *pa, unsigned max, bool *linear);
	/* Free tables left empty in [first, last]; -ENOMEM. */
	int  (*reclaim)(mmu_transaction_t *ta, vaddr_t first, vaddr_t last);
	/* Commit: publish one private copy over its live page (atomic stores,
	 * break-before-make where the format needs it). */
	void (*publish)(mmu_transaction_t *ta, struct txn_page *pg);
	/* Commit: make the transaction's deferred stores (txn.h), if the
	 * backend defers any. */
	void (*publish_def)(mmu_transaction_t *ta);
	/* Commit, after every page is published and the TLB flushed. For a
	 * transaction with no state, no store into the kernel half and no
	 * descriptor broken (ta->bbm) it must have nothing to do: a leaf-only
	 * commit (txn_commit_fast) calls it only when ta->bbm.changed. */
	void (*after_publish)(mmu_transaction_t *ta);

	/* Optional shortcuts of the one-entry calls (mmu.c, "fast paths"):
	 * each takes the common case only and returns MMU_FAST_MISS, having
	 * changed nothing, for everything else. */
	/* The leaf descriptor of an entry of native order `order` (a plain
	 * leaf, or each member of a contiguous group), output address left
	 * out: 0 if the order has none that add_one can take. */
	uint64_t (*leaf_bits)(const struct pt_attr *a, unsigned order);
	/* Map pa at va with leaf_bits' descriptor where the slot is empty in
	 * an existing table and the store needs no allocation: 0. */
	int  (*add_one)(mmu_transaction_t *ta, vaddr_t va, paddr_t pa, uint64_t bits,
	                unsigned order);
	/* The entry translating va when it is a plain leaf (no side-table
	 * record, no contiguous group): 0, or -ENOENT. */
	int  (*find_one)(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out, vaddr_t *base);
	/* Remove the plain leaf of that order at va when its table keeps
	 * other entries (no reclaim): 0. */
	int  (*remove_one)(mmu_transaction_t *ta, vaddr_t va, unsigned order);
	/* Open the call window (mmu.c) over the cursor's table when it can
	 * be: its words, base, offsets and address field, and *pg its
	 * private page (NULL: read-only); ta->win_cnt for inline adds of a
	 * base-page leaf with descriptor bits add_bits (0: none inline).
	 * false: no window. */
	bool (*window)(mmu_transaction_t *ta, struct mmu_window_ *w, struct txn_page **pg,
	               uint64_t add_bits);
#ifdef MMU_HOST
	/* Host: the registers a walker needs; pages for snapshots. */
	void (*hwstate)(mmu_translation_set_t *t, struct mmu_host_hwstate *out);
	size_t (*snapshot)(mmu_translation_set_t *t, void *buf, size_t max);
#endif
};

#define MMU_FAST_MISS 1   /* a shortcut declined: the general path does the call */

/* An entry's fields but its address (order, prot, memtype, flags,
 * counter) as one word: the key of the one-entry calls' caches. */
_Static_assert(sizeof(struct mmu_entry) == 16 && __builtin_offsetof(struct mmu_entry, order) == 8,
               "mmu_entry_key: the fields after pa must fill one word");
static inline uint64_t mmu_entry_key(mmu_entry_t e)
{
	uint64_t k;
	__builtin_memcpy(&k, &e.order, sizeof(k));
	return k;
}
static inline mmu_entry_t mmu_entry_with_key(paddr_t pa, uint64_t key)
{
	mmu_entry_t e;
	e.pa = pa;
	__builtin_memcpy(&e.order, &key, sizeof(key));
	return e;
}
/* The entry a plain leaf (not annotated) of that order reads as (mmu.c),
 * and its fields as a key, computed in a register (an entry built in
 * memory byte by byte and read back as a word stalls the load). */
mmu_entry_t mmu_entry_of_leaf(const struct pt_attr *a, paddr_t pa, unsigned order);
uint64_t mmu_entry_key_of_leaf(const struct pt_attr *a, unsigned order);

struct mmu_mode {
	const char *name;
	struct mmu_geometry geo;         /* filled by init() */
	vaddr_t user_top;                /* user half: [0, user_top) */
	vaddr_t kernel_base;             /* kernel half: [kernel_base, 2^64) */
	unsigned pa_bits;                /* output addresses the format can hold */
	int      win_oa_shift;           /* base page leaf: address field = pa >> it; -1: not so */
	struct {                         /* mmu_add's checks of one entry word, shared by every
	                                    transaction of the mode (mmu.c, "entry checks") */
		uint64_t seq;            /* odd while written */
		uint64_t key, bits;      /* the entry word and its descriptor, key 0: none */
	} checked;
	struct {                         /* the entry fields of one plain leaf's descriptor bits,
	                                    shared the same way (pt_engine_one.h, eng_find_one) */
		uint64_t seq;            /* odd while written */
		uint64_t key, word;      /* descriptor without output address, entry fields;
		                            word 0: none */
		uint64_t level;
	} found;
	uint64_t win_oa_mask;            /* that field */
	unsigned win_pa_bits;            /* for pa below 2^win_pa_bits (<= pa_bits) */
	unsigned host_arch;              /* enum mmu_host_arch */
	unsigned lock_shift;             /* bytes of a locking region, log2; 0: the set is
	                                    one region (mmu/lock.h) */
	/* Read CPU features, fill geo/user_top/kernel_base/pa_bits. Returns 0,
	 * or -ENOTSUP when this CPU cannot run the mode. */
	int  (*init)(struct mmu_mode *m);
	bool (*attr_ok)(unsigned prot, unsigned memtype);
	const struct mmu_backend *be;
	/* The shared kernel half, owned by the mode rather than by any set. */
	paddr_t kernel_root;
	struct mmu_meta kernel_meta;     /* side table of the kernel half */
	struct mmu_set_counts kernel_counts;
	uint64_t kernel_table_pages;
	struct mmu_transaction *kernel_owner;
	uint64_t kernel_gen;              /* bumped by every commit that changed the kernel half */
	uint64_t kernel_seq;              /* odd while such a commit publishes (mmu/lock.h) */
	uint32_t kernel_readers;          /* lockless readers walking the kernel half */
	uint32_t kernel_stats_lock;       /* around kernel_counts, kernel_table_pages */
};

#ifdef MMU_HOST
/* Bytes of transaction bookkeeping pages allocated (mmu_host_alloc_counts). */
extern uint64_t mmu_host_book_bytes;
#endif

/* Per-build table of modes (host/modes_host.c, arch/<arch>/mmu_modes.c),
 * written as a list of mode symbols:
 *   #define MODES(X) X(sv39) X(sv48) X(sv57)
 *   MMU_MODE_TABLE(MODES)
 */
extern struct mmu_mode *const mmu_modes[];
extern const size_t mmu_nmodes;
#define MMU_MODE_DECLARE_(m) extern struct mmu_mode mmu_mode_##m;
#define MMU_MODE_ADDRESS_(m) &mmu_mode_##m,
#define MMU_MODE_TABLE(LIST) \
	LIST(MMU_MODE_DECLARE_) \
	struct mmu_mode *const mmu_modes[] = { LIST(MMU_MODE_ADDRESS_) }; \
	const size_t mmu_nmodes = sizeof(mmu_modes) / sizeof(mmu_modes[0]);
extern struct mmu_mode *mmu_cur;     /* selected mode, NULL before */
/* Every live set, for kernel-half mirroring (linked through ->next). */
mmu_translation_set_t *mmu_sets(void);
#ifdef MMU_HOST
/* mmu/mmu.c, for mmu_host_init: -EBUSY while a set exists, else forget the
 * selected mode without freeing anything (the memory goes). */
int mmu_host_forget(void);
/* host/tlb.c: empty the software TLB (mmu_select_mode's new kernel half). */
void host_tlb_reset(void);
#endif

/* ---- environment: the host simulator or the kernel provide these ---- */

/* A zeroed, naturally aligned page of 2^shift bytes for tables; returns
 * its physical address, or 0 when none is left. */
paddr_t mmu_env_alloc(unsigned shift);
/* The same, contents undefined: for pages the caller overwrites whole
 * (private copies, bookkeeping), so nobody zeroes them for nothing. */
paddr_t mmu_env_alloc_uninit(unsigned shift);
void    mmu_env_free(paddr_t pa, unsigned shift);
void   *mmu_env_phys_to_virt(paddr_t pa);
/* A word of software state kept beside (not in) the allocated page pa: 0
 * when the page is allocated, forgotten when it is freed. The radix engine
 * keeps its per-table counts there (pt_engine_range.h). */
uint32_t *mmu_env_table_word(paddr_t pa);
/* Make table stores visible to the hardware walker before what follows. */
void    mmu_env_publish_barrier(void);
/* What a commit (or one break-before-make step) changed. */
struct mmu_flush {
	vaddr_t  start, end;   /* [start, end) covers every changed translation */
	uint64_t pages;        /* base pages whose translation changed */
	bool     global;       /* kernel half: cached for every ASID */
	bool     adds_only;    /* only new entries where there were none */
	bool     tables_freed; /* a table a walker could reach was unlinked: cached
	                        * walks through it must go too (walk caches) */
};
/* The TLB maintenance for it, chosen by the arch (one page, a range, the
 * ASID, everything): returns which it issued (enum mmu_tlb_kind). The
 * layer counts it (a commit in its lock line or the set, mmu/lock.h): the
 * environment writes nothing of the set, so two CPUs committing on
 * different regions share no cache line here. */
unsigned mmu_env_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f);
/* Load t into this CPU's translation registers (kernel); no-op on the host. */
void    mmu_env_activate(mmu_translation_set_t *t);

#endif
