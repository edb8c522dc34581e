/*
 * The MMU abstraction layer: the only interface core/ has to translation.
 *
 * The contract (names, signatures, semantics) is docs/mmu-api.md.
 * The core sees translations (mmu_entry_t), address spaces
 * (mmu_translation_set_t) and transactions (mmu_transaction_t); never a
 * level, a table or a descriptor bit, and never a field of these types
 * ("storage" below).
 */
#ifndef ORIGAMI_MMU_H
#define ORIGAMI_MMU_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t vaddr_t;
typedef uint64_t paddr_t;

/* prot bits */
#define MMU_READ   (1u << 0)
#define MMU_WRITE  (1u << 1)
#define MMU_EXEC   (1u << 2)
#define MMU_USER   (1u << 3)

enum mmu_memtype { MMU_MEM_NORMAL = 0, MMU_MEM_DEVICE, MMU_MEM_UNCACHED };

typedef struct mmu_entry mmu_entry_t;
typedef struct mmu_translation_set mmu_translation_set_t;
typedef struct mmu_transaction mmu_transaction_t;
/* ---- storage --------------------------------------------------------- *
 *
 * The types are complete so that callers can keep them on the stack, embed
 * them and pass entries by value, but their contents are opaque: core/ and
 * the tests see only storage of the right size and alignment. The MMU layer
 * (built with -DMMU_LAYER, the flag of its room in the Makefile) sees the
 * real layout instead, mmu/mmu_types.h, which checks with _Static_assert
 * that it has exactly this size and alignment (so both views pass and copy
 * the same bytes: for mmu_entry_t, the same two registers). core/ cannot
 * read a field: mmu_types.h is not on its include path.
 */
#define MMU_ENTRY_WORDS 2

#define MMU_SET_WORDS   752
#define MMU_TXN_WORDS   128

/*
 * The call window: the first bytes of every transaction object, which the
 * inline mmu_add, mmu_find, mmu_remove and mmu_update below read
 * (docs/transactions.md, "The call window"). They belong to the MMU layer like the rest of the object: the
 * layer opens the window over the one leaf table its last call walked,
 * once it holds that table's lock region and has checked everything a
 * call there could get wrong, and closes it (folding what the inline
 * calls did into its own bookkeeping) at the start of every other call.
 * An inline call handles only what the window vouches for and otherwise
 * calls the layer, so each function keeps one behaviour and one
 * out-of-line symbol.
 */
/* An entry word no constructor makes (flag bit 7, which no MMU_EF_* flag
 * uses: mmu/mmu.c asserts it): the window's add_key and upd_key while
 * it takes no add or update, so that each inline call compares one word. */
#define MMU_WIN_NO_KEY_ (1ull << 55)

/* has_current of a current entry an inline mmu_add made: its find_va is
 * cur_va and its cur_pa is in its word of the window (not stored: fewer
 * stores per add); closing the window writes both (mmu/mmu.c win_fold). */
#define MMU_WIN_CUR_ADDED_ 2
/* has_current while the current entry is the last add of the window's
 * run (run_slot - 1): cur_va and cur_word unset too, until
 * mmu_win_settle_ writes them and makes it MMU_WIN_CUR_ADDED_. The inline
 * mmu_remove and mmu_update take only the low bits' states (1, ADDED). */
#define MMU_WIN_CUR_RUN_ 4
/* cur_state after an inline add: a run (run_on), has_current
 * MMU_WIN_CUR_RUN_, cur_locked; one store. Little-endian, as mmu/mmu.c
 * asserts. */
#define MMU_WIN_RUN_STATE_ ((uint32_t)MMU_WIN_CUR_RUN_ << 16 | 1u << 24 | 1u)

struct mmu_window_ {
	uint64_t *slots;       /* the leaf table's words as the transaction sees them */
	/* The run's next add: word run_slot, at run_va (only where
	 * run_slot < run_end: no run, or a run that reached the table's last
	 * word, keeps run_slot == run_end). An add there goes on with the run
	 * after one compare of va and one of run_slot, whatever call came
	 * between: it stores its word, these two and cur_state, no index. */
	uint64_t *run_slot;
	uint64_t *run_end;     /* slots + the table's words (the three are set, and
	                          read, only while the window takes adds: add_key) */
	vaddr_t   run_va;
	vaddr_t   base;        /* the address its word 0 translates */
	uint64_t  find_off;    /* (va - base) & find_off == 0: va inside the window */
	uint64_t  add_off;     /* the same, and va aligned to a base page */
	uint64_t  add_key;     /* the entry word (after pa) mmu_add may store here ... */
	uint64_t  upd_key;     /* ... mmu_update of the current entry; none: MMU_WIN_NO_KEY_ */
	uint64_t  add_bits;    /* their descriptors, output address left out */
	uint64_t  upd_bits;
	uint64_t  chg_mask;    /* current entry word bits that stop an inline mmu_remove or
	                          mmu_update (its order, a counter); ~0: none inline */
	uint64_t  pa_bad;      /* pa bits no base page may have (offset, beyond the PA size) */
	uint64_t  find_key;    /* a leaf descriptor without its output address ... */
	uint64_t  find_word;   /* ... and the entry word it reads as (0: no find inline) */
	uint64_t  attr_mask;   /* a leaf's bits outside its output address field */
	uint64_t  page_mask;   /* ~(base page size - 1) */
	int32_t   adds;        /* entries added inline, less those removed ... */
	uint32_t  lo, hi;      /* ... the lowest and highest word stored inline: the
	                          run below not yet in them */
	uint32_t  slot_mask;   /* the table's words - 1 */
	uint32_t  run_lo;      /* the run: inline adds into words run_lo, run_lo + 1, ...
	                          run_slot - 1 in that order, kept by its ends and
	                          folded into adds, lo and hi when an add starts another
	                          (mmu_win_run_) or the window closes */
	uint8_t   oa_shift;    /* output address field = pa >> oa_shift */
	uint8_t   page_shift;
	bool      changed;     /* an inline remove or update: not only new entries */
	union {                /* one word: an inline add compares the three at once */
		struct {
			uint16_t run_on;        /* 0: no run (run_lo, run_slot unset) */
			uint8_t  has_current;   /* the current entry (every inline call): 0 none,
			                           1, MMU_WIN_CUR_ADDED_ or MMU_WIN_CUR_RUN_ */
			bool     cur_locked;
		};
		uint32_t cur_state;
	};
	/* in this order: the inline calls store them one by one, not as
	 * vector pairs (more instructions) */
	vaddr_t   cur_va;
	uint64_t  cur_pa;
	vaddr_t   find_va;
	uint64_t  cur_word;
};

#ifdef MMU_LAYER
#include "mmu_types.h"
#else
struct mmu_entry           { uint64_t opaque_[MMU_ENTRY_WORDS]; };
struct mmu_translation_set { uint64_t opaque_[MMU_SET_WORDS]; };
struct mmu_transaction     { uint64_t opaque_[MMU_TXN_WORDS]; };
#endif

/* ---- paging modes and geometry ---------------------------------------- */

size_t      mmu_mode_count(void);
const char *mmu_mode_name(size_t i);
int         mmu_select_mode(const char *name);   /* before any set exists; -ENOTSUP if unknown */
const char *mmu_current_mode(void);

struct mmu_geometry {
	unsigned va_bits;        /* e.g. 39, 48, 57, 52 */
	unsigned page_shift;     /* base page: 12, 14 or 16 */
	unsigned levels;         /* informational only: the core must not depend on it */
	uint64_t native_orders;  /* bit k set: size (1 << page_shift) << k has a native encoding */
	uint64_t max_order;      /* largest order mmu_mksize accepts */
};
const struct mmu_geometry *mmu_geometry(void);

/* ---- entries ---------------------------------------------------------- */

/* mmu_entry_t mmu_mkentry(paddr_t pa, unsigned prot);       inline, below: base page, normal memory */
/* mmu_entry_t mmu_mkprot(mmu_entry_t e, unsigned prot);    inline, below */
mmu_entry_t mmu_mkmemtype(mmu_entry_t e, enum mmu_memtype t);
mmu_entry_t mmu_mkglobal(mmu_entry_t e);                   /* valid in every translation set */
/* mmu_entry_t mmu_mksize(mmu_entry_t e, unsigned order);    inline, below: size = base page << order */
mmu_entry_t mmu_mkcount(mmu_entry_t e, unsigned counter);  /* stats counter 0..7 */
mmu_entry_t mmu_mkold(mmu_entry_t e);     /* Accessed clear: report the next access */
mmu_entry_t mmu_mkclean(mmu_entry_t e);   /* Dirty clear: report the next write */

/* paddr_t mmu_entry_pa(mmu_entry_t e);                       inline, below */
unsigned mmu_entry_prot(mmu_entry_t e);
unsigned mmu_entry_order(mmu_entry_t e);
bool     mmu_entry_global(mmu_entry_t e);
bool     mmu_entry_accessed(mmu_entry_t e);
bool     mmu_entry_dirty(mmu_entry_t e);
enum mmu_memtype mmu_entry_memtype(mmu_entry_t e);

/* ---- translation sets ------------------------------------------------- */

int  mmu_new_translation_set(mmu_translation_set_t *t);
int  mmu_dup_translation_set(mmu_translation_set_t *dst, mmu_translation_set_t *src);
void mmu_remove_translation_set(mmu_translation_set_t *t);
int  mmu_clear_range(mmu_translation_set_t *t, vaddr_t start, vaddr_t end);
int  mmu_copy_range(mmu_translation_set_t *dst, mmu_translation_set_t *src,
                    vaddr_t dst_start, vaddr_t src_start, size_t len);
void mmu_activate(mmu_translation_set_t *t);

/* ---- transactions ----------------------------------------------------- */

void mmu_transaction(mmu_transaction_t *ta, mmu_translation_set_t *t);
int  mmu_commit(mmu_transaction_t *ta);
void mmu_forget(mmu_transaction_t *ta);

/* int mmu_find(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out);   inline, below
 * int mmu_add(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va);       inline, below
 * (these four: a declaration without `inline` here would make every file that
 * includes this one define them externally: C99 6.7.4p7) */
vaddr_t mmu_current_va(mmu_transaction_t *ta);
/* int mmu_update(mmu_transaction_t *ta, mmu_entry_t e);                inline, below
 * int mmu_remove(mmu_transaction_t *ta);                               inline, below */

/*
 * The constructors every mapping loop calls, inline as well (mmu/mmu.c
 * emits their external definitions). An entry is two words: pa, then the
 * order (bits 0-31), prot (32-39), memtype, flags and counter (a byte each
 * above), as mmu/mmu_types.h asserts; a prot or order out of range is
 * carried and rejected on use, as the contract says.
 */
inline mmu_entry_t mmu_mkentry(paddr_t pa, unsigned prot)
{
	uint64_t ew[MMU_ENTRY_WORDS] = { pa, (uint64_t)(prot > 0xff ? 0xff : prot) << 32 };
	mmu_entry_t e;
	__builtin_memcpy(&e, ew, sizeof(ew));
	return e;
}

inline mmu_entry_t mmu_mksize(mmu_entry_t e, unsigned order)
{
	uint64_t ew[MMU_ENTRY_WORDS];
	__builtin_memcpy(ew, &e, sizeof(ew));
	ew[1] = (ew[1] & ~(uint64_t)0xffffffff) | order;
	__builtin_memcpy(&e, ew, sizeof(ew));
	return e;
}

inline mmu_entry_t mmu_mkprot(mmu_entry_t e, unsigned prot)
{
	uint64_t ew[MMU_ENTRY_WORDS];
	__builtin_memcpy(ew, &e, sizeof(ew));
	ew[1] = (ew[1] & ~((uint64_t)0xff << 32)) | (uint64_t)(prot > 0xff ? 0xff : prot) << 32;
	__builtin_memcpy(&e, ew, sizeof(ew));
	return e;
}

inline paddr_t mmu_entry_pa(mmu_entry_t e)
{
	/* The first word alone, no array: a copy through a local array ends
	 * that array's life inside a loop, which keeps GCC from holding a
	 * callback's counters in registers there (the inline mmu_scan). */
	paddr_t pa;
	__builtin_memcpy(&pa, &e, sizeof(pa));
	return pa;
}

/* The layer's part of the four inline calls: everything the window does
 * not take. Callers call mmu_add, mmu_find, mmu_remove and mmu_update. */
int mmu_add_call_(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va);
int mmu_find_call_(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out);
int mmu_remove_call_(mmu_transaction_t *ta);
int mmu_update_call_(mmu_transaction_t *ta, mmu_entry_t e);

/* Note word i of the window stored into by an inline call. */
inline void mmu_win_stored_(struct mmu_window_ *w, uint32_t i)
{
	/* Branches, not min/max: a run of calls moves one bound (mostly up),
	 * so the other is only loaded and compared, never stored. */
	if (i > w->hi)
		w->hi = i;
	if (i < w->lo)
		w->lo = i;
}

/* The run of inline adds ends: into adds, lo and hi. */
inline void mmu_win_run_end_(struct mmu_window_ *w)
{
	if (w->run_on) {
		uint32_t next = (uint32_t)(w->run_slot - w->slots);
		w->adds += (int32_t)(next - w->run_lo);
		mmu_win_stored_(w, w->run_lo);
		mmu_win_stored_(w, next - 1u);
	}
}

/* An inline add into word i, at va, that does not go on with the run
 * (another word, or the first): the run ends, and one begins, whose next
 * word is i + 1 unless i is the table's last. */
inline void mmu_win_run_(struct mmu_window_ *w, uint32_t i, vaddr_t va)
{
	mmu_win_run_end_(w);
	w->run_lo = i;
	w->run_slot = &w->slots[i + 1];
	w->run_va = va - w->page_mask;   /* + the base page size */
	w->cur_state = MMU_WIN_RUN_STATE_;
}

/* The current entry the run's last add made, written out (has_current
 * MMU_WIN_CUR_RUN_ before): an inline remove or update of it, and
 * mmu_current_va. It ends the run's state, not the run. */
inline void mmu_win_settle_(struct mmu_window_ *w)
{
	w->cur_va = w->base + ((uint64_t)(w->run_slot - 1 - w->slots) << w->page_shift);
	w->cur_word = w->add_key;
	w->has_current = MMU_WIN_CUR_ADDED_;
}

/*
 * Inline definitions (C99 6.7.4: mmu/mmu.c emits the external ones): a
 * call inside the open window is a few loads, one compare of the entry
 * word, and for mmu_add one store into the transaction's private copy of
 * the table; an add that goes on with the run compares its va and the
 * run's next word's address, and stores those two and cur_state. The
 * entry is two words, pa then the rest, in both views of mmu_entry_t.
 */
inline int mmu_add(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va)
{
	struct mmu_window_ *w = (struct mmu_window_ *)(void *)ta;
	uint64_t ew[MMU_ENTRY_WORDS];
	__builtin_memcpy(ew, &e, sizeof(ew));
	if (ew[1] == w->add_key && !(ew[0] & w->pa_bad)) {
		uint64_t *p = w->run_slot;
		if (va == w->run_va && p != w->run_end) {
			/* The run's next word: inside the window (below
			 * run_end), a base page's address (run_va). */
			if (!*p) {
				*p = w->add_bits | ew[0] >> w->oa_shift;
				w->run_slot = p + 1;
				w->run_va = va - w->page_mask;   /* + the base page size */
				w->cur_state = MMU_WIN_RUN_STATE_;
				return 0;
			}
		} else {
			uint64_t off = va - w->base;
			uint64_t i = off >> w->page_shift;   /* below slot_mask < 2^16 */
			if (!(off & w->add_off) && !w->slots[i]) {
				w->slots[i] = w->add_bits | ew[0] >> w->oa_shift;
				mmu_win_run_(w, (uint32_t)i, va);
				return 0;
			}
		}
	}
	return mmu_add_call_(ta, e, va);
}

inline int mmu_find(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out)
{
	struct mmu_window_ *w = (struct mmu_window_ *)(void *)ta;
	uint64_t off = va - w->base;
	if (w->find_word && !(off & w->find_off)) {
		uint64_t d = __atomic_load_n(&w->slots[off >> w->page_shift], __ATOMIC_RELAXED);
		if ((d & w->attr_mask) == w->find_key) {
			/* d ^ find_key: its output address field alone */
			uint64_t ew[MMU_ENTRY_WORDS] = { (d ^ w->find_key) << w->oa_shift, w->find_word };
			w->has_current = w->cur_locked = true;
			w->cur_va = va & w->page_mask;
			w->find_va = va;
			w->cur_pa = ew[0];
			w->cur_word = ew[1];
			if (out)
				__builtin_memcpy(out, ew, sizeof(ew));
			return 0;
		}
	}
	return mmu_find_call_(ta, va, out);
}

/*
 * mmu_remove and mmu_update of the current entry inside a window over a
 * private table: a plain base page (chg_mask), found or added under the
 * transaction's lock stripe (cur_locked). A removal that may empty the
 * table (neither neighbour of its word holds anything: the layer writes an
 * absent word as 0) is the layer's, which reclaims the table; an update
 * needs the entry word the window vouches for (upd_key) and a pa it can
 * place, and stores the new descriptor in place (same size: the count
 * does not change).
 */
inline int mmu_remove(mmu_transaction_t *ta)
{
	struct mmu_window_ *w = (struct mmu_window_ *)(void *)ta;
	uint64_t off = w->cur_va - w->base;
	if (!(w->cur_word & w->chg_mask) && (w->has_current & (MMU_WIN_CUR_RUN_ - 1)) &&
	    w->cur_locked && !(off & w->find_off)) {
		uint32_t i = (uint32_t)(off >> w->page_shift);
		uint64_t *s = w->slots;
		if (s[(i + 1) & w->slot_mask] | s[(i - 1) & w->slot_mask]) {
			s[i] = 0;
			mmu_win_stored_(w, i);
			w->adds--;
			w->changed = true;
			w->has_current = false;
			return 0;
		}
	}
	return mmu_remove_call_(ta);   /* (which settles a run's last add and comes back) */
}

inline int mmu_update(mmu_transaction_t *ta, mmu_entry_t e)
{
	struct mmu_window_ *w = (struct mmu_window_ *)(void *)ta;
	uint64_t ew[MMU_ENTRY_WORDS];
	__builtin_memcpy(ew, &e, sizeof(ew));
	uint64_t off = w->cur_va - w->base;
	if (!(w->cur_word & w->chg_mask) && ew[1] == w->upd_key &&
	    (w->has_current & (MMU_WIN_CUR_RUN_ - 1)) && w->cur_locked &&
	    !(off & w->find_off) && !(ew[0] & w->pa_bad)) {
		uint32_t i = (uint32_t)(off >> w->page_shift);
		w->slots[i] = w->upd_bits | ew[0] >> w->oa_shift;
		mmu_win_stored_(w, i);
		w->changed = true;
		w->cur_pa = ew[0];
		w->cur_word = ew[1];
		return 0;
	}
	return mmu_update_call_(ta, e);   /* (which settles a run's last add and comes back) */
}

/*
 * Accessed/dirty emulation, for the fault path (not part of the fixed
 * contract): where the hardware does not manage the bits, an access to an
 * old entry, or a write to a clean writable one, faults. The core's fault
 * entry asks here first: if the entry covering va allows access (MMU_READ,
 * MMU_WRITE or MMU_EXEC, plus MMU_USER for a user access) and only its
 * Accessed (or, for a write, Dirty) state refused it, the state is set in
 * one transaction and the call returns true (retry the access); otherwise
 * false and nothing changed.
 */
bool mmu_fault_accessed(mmu_translation_set_t *t, vaddr_t va, unsigned access);
/* ---- range operations (ordinary transaction calls, all-or-nothing) ---- */

int mmu_add_range(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va, uint64_t len);
int mmu_remove_range(mmu_transaction_t *ta, vaddr_t start, vaddr_t end);
int mmu_protect_range(mmu_transaction_t *ta, vaddr_t start, vaddr_t end, unsigned prot);

/* ---- scanning and statistics ------------------------------------------ */

typedef mmu_entry_t (*mmu_scan_fn)(mmu_entry_t e, vaddr_t va, void *priv);
/* int mmu_scan(mmu_translation_set_t *t, vaddr_t start, vaddr_t end,
 *              mmu_scan_fn fn, void *priv);                 inline, below */

/*
 * mmu_scan is inline too (mmu/mmu.c emits the external definition), so
 * that the loop calling fn runs in the caller, where a callback the
 * compiler sees is inlined into it. The layer hands that loop runs of
 * entries alike but for their address, which advances by the entry's size
 * (a physically contiguous stretch of one table, read in one pass); an
 * entry fn returns bit for bit unchanged costs one compare, any other goes
 * to mmu_scan_keep_. Everything else (other entries, short runs) the
 * layer does itself in mmu_scan_next_, calling fn there.
 * docs/transactions.md, "Ranges and the cursor".
 */
struct mmu_scan_ {
	vaddr_t  va, last;      /* where the scan goes on; its last address */
	vaddr_t  run_va;        /* the run: where it starts, */
	uint64_t run_pa, run_word;   /* its first entry (pa, then the other word), */
	uint64_t run_step;      /* and each entry's size */
	int      err;
	bool     done;
	/* Last: the layer's own view of it may be smaller (mmu/mmu_types.h). */
	mmu_transaction_t ta;   /* the scan's own transaction */
};
int      mmu_scan_begin_(struct mmu_scan_ *s, mmu_translation_set_t *t, vaddr_t start,
                         vaddr_t end);
uint64_t mmu_scan_next_(struct mmu_scan_ *s, mmu_scan_fn fn, void *priv);
bool     mmu_scan_keep_(struct mmu_scan_ *s, mmu_entry_t e, mmu_entry_t keep, vaddr_t va);
int      mmu_scan_end_(struct mmu_scan_ *s);

__attribute__((always_inline)) inline int mmu_scan(mmu_translation_set_t *t, vaddr_t start,
                                                   vaddr_t end, mmu_scan_fn fn, void *priv)
{
	struct mmu_scan_ s;
	int err = mmu_scan_begin_(&s, t, start, end);
	if (err)
		return err;
	for (uint64_t n; (n = mmu_scan_next_(&s, fn, priv)) != 0;) {
		uint64_t pa = s.run_pa, word = s.run_word, step = s.run_step;
		vaddr_t va = s.run_va;
		mmu_entry_t e, keep;
		for (;;) {
			/* No call here but fn, and the entry in scalars, not in an
			 * array: a loop like this one lets the compiler keep what an
			 * inlined fn counts in registers. */
			for (; n; n--, pa += step, va += step) {
				uint64_t k0, k1;
				__builtin_memcpy(&e, &pa, sizeof(pa));
				__builtin_memcpy((char *)&e + sizeof(pa), &word, sizeof(word));
				keep = fn(e, va, priv);
				__builtin_memcpy(&k0, &keep, sizeof(k0));
				__builtin_memcpy(&k1, (char *)&keep + sizeof(k0), sizeof(k1));
				if ((k0 ^ pa) | (k1 ^ word))
					break;
			}
			if (!n || mmu_scan_keep_(&s, e, keep, va))
				break;   /* the run is over, failed, or changed size */
			n--, pa += step, va += step;
		}
	}
	return mmu_scan_end_(&s);
}

struct mmu_stats {
	uint64_t entries[64];
	uint64_t mapped_bytes;
	uint64_t table_pages;
	uint64_t table_bytes;
	uint64_t counters[8];
	uint64_t tlb_flushes;
};
void mmu_stats(mmu_translation_set_t *t, struct mmu_stats *out);

#endif
