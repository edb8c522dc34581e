/*
 * The arch-neutral front end of the MMU layer: modes, entries, validation,
 * orders composed from native sizes, splitting, ranges, scanning and
 * statistics. It knows no level and no descriptor bit: it speaks to a
 * backend (struct mmu_backend) in native leaves, inside a transaction
 * (txn.h) that makes every call all-or-nothing.
 */
#include <string.h>
#include "txn.h"
#include "meta.h"
#include "lock.h"

struct mmu_mode *mmu_cur;
static mmu_translation_set_t *all_sets;
static uint32_t next_asid = 1;

#define HALF_USER   0
#define HALF_KERNEL 1

/* ---- modes -------------------------------------------------------------- */

size_t mmu_mode_count(void)
{
	return mmu_nmodes;
}

const char *mmu_mode_name(size_t i)
{
	return i < mmu_nmodes ? mmu_modes[i]->name : NULL;
}

const char *mmu_current_mode(void)
{
	return mmu_cur ? mmu_cur->name : NULL;
}

const struct mmu_geometry *mmu_geometry(void)
{
	return mmu_cur ? &mmu_cur->geo : NULL;
}

/* Returns 0, -ENOTSUP (unknown, or the CPU lacks it), -EBUSY (a set
 * exists) or -ENOMEM (the shared kernel half could not be built). */
int mmu_select_mode(const char *name)
{
	struct mmu_mode *m = NULL;
	for (size_t i = 0; name && i < mmu_nmodes; i++)
		if (!strcmp(mmu_modes[i]->name, name))
			m = mmu_modes[i];
	if (!m)
		return -ENOTSUP;
	if (all_sets)
		return -EBUSY;
#ifdef MMU_HOST
	host_tlb_reset();   /* new kernel tables: a kernel would flush everything */
#endif
	if (mmu_cur) {
		mmu_cur->be->kernel_fini();
		meta_fini(&mmu_cur->kernel_meta);
		mmu_cur = NULL;
	}
	int err = m->init(m);
	if (err)
		return err;
	memset(&m->kernel_counts, 0, sizeof(m->kernel_counts));
	m->checked.key = 0;   /* what init found (CPU features) may accept other entries */
	m->found.word = 0;
	m->kernel_table_pages = 0;
	m->kernel_owner = NULL;
	memset(&m->kernel_meta, 0, sizeof(m->kernel_meta));
	mmu_cur = m;
	err = m->be->kernel_init();
	if (err)
		mmu_cur = NULL;
	return err;
}

/* ---- entries ------------------------------------------------------------ */

/* The external definitions of the inline constructors (include/mmu.h). */
extern inline mmu_entry_t mmu_mkentry(paddr_t pa, unsigned prot);
extern inline mmu_entry_t mmu_mksize(mmu_entry_t e, unsigned order);
extern inline mmu_entry_t mmu_mkprot(mmu_entry_t e, unsigned prot);
extern inline paddr_t mmu_entry_pa(mmu_entry_t e);


mmu_entry_t mmu_mkmemtype(mmu_entry_t e, enum mmu_memtype t)
{
	e.memtype = (unsigned)t > 0xff ? 0xff : (uint8_t)t;
	return e;
}

mmu_entry_t mmu_mkglobal(mmu_entry_t e)
{
	e.flags |= MMU_EF_GLOBAL;
	return e;
}

mmu_entry_t mmu_mkcount(mmu_entry_t e, unsigned counter)
{
	e.flags |= MMU_EF_COUNTED;
	e.counter = counter > 0xff ? 0xff : (uint8_t)counter;
	return e;
}

mmu_entry_t mmu_mkold(mmu_entry_t e)
{
	e.flags = (uint8_t)((e.flags | MMU_EF_OLD) & ~MMU_EF_ACCESSED);
	return e;
}

mmu_entry_t mmu_mkclean(mmu_entry_t e)
{
	e.flags = (uint8_t)((e.flags | MMU_EF_CLEAN) & ~MMU_EF_DIRTY);
	return e;
}

unsigned mmu_entry_prot(mmu_entry_t e) { return e.prot; }
unsigned mmu_entry_order(mmu_entry_t e) { return e.order; }
bool mmu_entry_global(mmu_entry_t e) { return e.flags & MMU_EF_GLOBAL; }
bool mmu_entry_accessed(mmu_entry_t e) { return e.flags & MMU_EF_ACCESSED; }
bool mmu_entry_dirty(mmu_entry_t e) { return e.flags & MMU_EF_DIRTY; }
enum mmu_memtype mmu_entry_memtype(mmu_entry_t e) { return (enum mmu_memtype)e.memtype; }

static uint64_t entry_bytes(unsigned order)
{
	return (uint64_t)1 << (mmu_cur->geo.page_shift + order);
}

/* The largest native order not above order: what an entry is built of. */
static inline __attribute__((always_inline)) unsigned native_order(unsigned order)
{
	uint64_t fit = mmu_cur->geo.native_orders & ((order >= 63) ? ~0ull : ((2ull << order) - 1));
	return 63 - (unsigned)__builtin_clzll(fit | 1);
}

/* Which half [va, va + bytes) lies in: HALF_USER, HALF_KERNEL, or -ERANGE
 * (non-canonical, beyond the mode's VA range, or across halves). */
static int half_of(vaddr_t va, uint64_t bytes)
{
	if (bytes == 0 || bytes - 1 > ~va)
		return -ERANGE;
	vaddr_t last = va + (bytes - 1);
	if (last < mmu_cur->user_top)
		return HALF_USER;
	if (va >= mmu_cur->kernel_base)
		return HALF_KERNEL;
	return -ERANGE;
}

static bool prot_valid(unsigned prot)
{
	if (prot & ~(unsigned)(MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER))
		return false;
	if ((prot & MMU_WRITE) && !(prot & MMU_READ))
		return false;
	if (!(prot & (MMU_READ | MMU_EXEC)))
		return false;
	return true;
}

/* Everything an entry at va must satisfy. Returns the half, -EINVAL or
 * -ERANGE. */
static int check_entry(mmu_entry_t e, vaddr_t va)
{
	if (e.order > mmu_cur->geo.max_order || !prot_valid(e.prot) ||
	    e.memtype > MMU_MEM_UNCACHED || !mmu_cur->attr_ok(e.prot, e.memtype) ||
	    ((e.flags & MMU_EF_COUNTED) && e.counter >= 8))
		return -EINVAL;
	uint64_t bytes = entry_bytes(e.order);
	if ((va | e.pa) & (bytes - 1))
		return -EINVAL;
	if (mmu_cur->pa_bits < 64 && (e.pa >> mmu_cur->pa_bits ||
	                              (e.pa + bytes - 1) >> mmu_cur->pa_bits))
		return -EINVAL;
	int half = half_of(va, bytes);
	if (half < 0)
		return half;
	bool global = e.flags & MMU_EF_GLOBAL;
	if (global != (half == HALF_KERNEL) || ((e.prot & MMU_USER) && half == HALF_KERNEL))
		return -EINVAL;
	return half;
}

/* Inlined: a struct of bytes returned in a register is stored byte by
 * byte and reloaded as a word, a store-forwarding stall per call. */
static inline __attribute__((always_inline)) struct pt_attr attr_of(mmu_entry_t e)
{
	unsigned n = native_order(e.order);
	return (struct pt_attr){
		.prot = e.prot, .memtype = e.memtype,
		.global = e.flags & MMU_EF_GLOBAL,
		/* Set up front unless mmu_mkold/mmu_mkclean asked otherwise:
		 * no A/D fault on hardware that does not manage them (RISC-V
		 * without Svadu, Arm without FEAT_HAFDBS) for entries no one
		 * watches. */
		.accessed = !(e.flags & MMU_EF_OLD),
		.dirty = !(e.flags & MMU_EF_CLEAN) &&
		         ((e.prot & MMU_WRITE) || (e.flags & MMU_EF_DIRTY)),
		.annotated = n != e.order || (e.flags & MMU_EF_COUNTED),
	};
}

/* The backend's leaf descriptor for e (checked by check_entry), output
 * address left out: 0 where it has none (no leaf_bits, or an entry the
 * side table annotates, which add_one cannot store). */
static uint64_t leaf_bits_of(mmu_entry_t e)
{
	const struct mmu_backend *be = mmu_cur->be;
	struct pt_attr a = attr_of(e);
	return be->leaf_bits && !a.annotated ? be->leaf_bits(&a, e.order) : 0;
}

/* ---- transaction plumbing ------------------------------------------------ */

static int delta_slot(const struct txn_delta *d, unsigned order);
static void delta_add(struct txn_delta *d, int i, unsigned order, int64_t n, uint64_t bytes);

/* ---- the call window (include/mmu.h) ----------------------------------------
 *
 * The inline mmu_add and mmu_find take a call whose every check the window
 * settled when it opened: its leaf table is the cursor's (ta->walk), of
 * base pages, in the user half, under a stripe this transaction holds (so
 * no other transaction changes it, or a table above it, until commit or
 * forget), read without deferred stores (a private copy, or a live table
 * while none is deferred); an add also needs the table private (it stores
 * there directly, as store_private does), the entry word one that
 * mmu_add's checks passed for the user half at order 0 (ta->fast.add_key),
 * and a slot for order 0 in the inline statistics. Every other call
 * closes the window first (txn_ok): the inline adds become statistics, a
 * flush range and the private page's stored words, exactly as the
 * one-entry fast path would have counted them, so the rest of the layer
 * never sees the window open.
 */
static void win_fold(mmu_transaction_t *ta)
{
	struct mmu_window_ *w = &ta->win;
	if (w->run_on) {   /* (a run: only where the window took adds) */
		mmu_win_run_end_(w);
		if (w->has_current == MMU_WIN_CUR_RUN_)
			mmu_win_settle_(w);
		w->run_on = 0;
		/* A run that filled the table's last word: the call closing
		 * the window is a run of calls already if it goes on at the
		 * run's next va (an mmu_add there, in the next table), so
		 * win_open opens the window on its table at once, not on the
		 * call after (a call elsewhere moves win_region; every call
		 * but mmu_add and mmu_find clears it, txn_ok). */
		if (w->run_slot == w->run_end)
			ta->win_region = w->run_va >> mmu_cur->lock_shift;
	}
	if (w->lo <= w->hi) {   /* stored into */
		uint64_t page = 1ull << w->page_shift;
		struct txn_delta *d = &ta->delta[HALF_USER];
		if (w->adds)
			delta_add(d, delta_slot(d, 0), 0, w->adds, page);
		struct txn_flush *f = &ta->flush;
		vaddr_t first = w->base + ((uint64_t)w->lo << w->page_shift);
		vaddr_t end = w->base + ((uint64_t)(w->hi + 1) << w->page_shift);
		if (!f->changed)
			*f = (struct txn_flush){ .start = first, .end = end, .changed = true,
			                         .adds_only = true };
		f->adds_only &= !w->changed;
		f->start = first < f->start ? first : f->start;
		f->end = end > f->end ? end : f->end;
		/* Pages changed: each add once; with removes or updates, the
		 * words between the lowest and highest stored (at least as many) */
		f->pages += w->changed ? w->hi - w->lo + 1 : (uint64_t)w->adds;
		struct txn_page *pg = ta->win_pg;
		uint32_t was = pg->whole_count;
		run_stored(pg, w->lo, w->hi);
		/* A born table's count stays known through adds alone (the
		 * engine's window set win_cnt: nothing else stored there since) */
		if (!w->changed && ta->win_cnt)
			pg->whole_count = was + (uint32_t)w->adds * ta->win_cnt;
	}
	if (w->has_current == MMU_WIN_CUR_ADDED_) {
		/* The last inline add's entry, still in its word (an inline
		 * remove drops it, an inline update rewrites it in place): the
		 * layer reads cur_pa and find_va only with the window closed. */
		uint64_t d = w->slots[(w->cur_va - w->base) >> w->page_shift];
		w->cur_pa = (d & ~w->attr_mask) << w->oa_shift;
		w->find_va = w->cur_va;
		w->has_current = 1;
	}
	w->slots = NULL;
	w->adds = 0;
	w->lo = ~0u;
	w->hi = 0;
	w->add_key = w->upd_key = MMU_WIN_NO_KEY_;
	w->find_word = 0;
	w->chg_mask = ~0ull;
	w->find_off = w->add_off = ~0ull;   /* no va is inside */
}

static inline __attribute__((always_inline)) void win_close(mmu_transaction_t *ta)
{
	if (ta->win.slots)
		win_fold(ta);
}

_Static_assert(((MMU_EF_GLOBAL | MMU_EF_ACCESSED | MMU_EF_DIRTY | MMU_EF_COUNTED | MMU_EF_OLD |
                 MMU_EF_CLEAN) & (MMU_WIN_NO_KEY_ >> 48)) == 0 &&
               __builtin_offsetof(struct mmu_entry, flags) == 14,
               "MMU_WIN_NO_KEY_ must be a flag bit no entry has");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&
               __builtin_offsetof(struct mmu_window_, run_on) ==
               __builtin_offsetof(struct mmu_window_, cur_state) &&
               __builtin_offsetof(struct mmu_window_, has_current) ==
               __builtin_offsetof(struct mmu_window_, cur_state) + 2 &&
               __builtin_offsetof(struct mmu_window_, cur_locked) ==
               __builtin_offsetof(struct mmu_window_, cur_state) + 3,
               "MMU_WIN_RUN_STATE_ is has_current and cur_locked above run_on");

/* The entry word bits a current entry mmu_remove and mmu_update take
 * inline must have clear: a plain base page (order 0, no counter; the user
 * half has no global entry). */
#define WIN_PLAIN_MASK (0xffffffffull | (uint64_t)(MMU_EF_COUNTED | MMU_EF_GLOBAL) << 48)

/* After a call at va that succeeded and left its leaf table in the
 * cursor: the window opens on the second call in a row into one leaf
 * table (a run of calls), so a one-page transaction does not pay for it. */
static void win_try(mmu_transaction_t *ta)
{
	struct mmu_window_ *w = &ta->win;
	const struct mmu_backend *be = mmu_cur->be;
	/* The entry word mmu_add may store inline: one that mmu_add's checks
	 * passed, for a base page of the user half. */
	uint64_t add_bits = 0;
	if (ta->fast.add_key) {
		mmu_entry_t k = mmu_entry_with_key(0, ta->fast.add_key);
		if (k.order == 0 && !(k.flags & MMU_EF_GLOBAL))
			add_bits = ta->fast.add_bits;
	}
	if (!be->window || ta->status || !be->window(ta, w, &ta->win_pg, add_bits))
		return;
	w->adds = 0;
	w->lo = ~0u;
	w->hi = 0;
	w->run_on = 0;
	w->changed = false;
	w->page_shift = (uint8_t)mmu_cur->geo.page_shift;
	w->slot_mask = (uint32_t)(~w->find_off >> w->page_shift);
	w->pa_bad = (1ull << w->page_shift) - 1;
	if (mmu_cur->win_pa_bits < 64)   /* where pa >> oa_shift is the address field */
		w->pa_bad |= ~0ull << mmu_cur->win_pa_bits;
	if (ta->fast.find_word && ta->fast.find_level == 0) {
		w->find_key = ta->fast.find_key;
		w->find_word = ta->fast.find_word;
	}
	/* Stores need the table private and a slot for order 0 in the
	 * inline statistics (the adds and removes count into it). */
	struct txn_delta *d = &ta->delta[HALF_USER];
	int i;
	if (!ta->win_pg || (i = delta_slot(d, 0)) < 0 || w->slot_mask >= UINT16_MAX)
		return;   /* (run_lo and the fold count words in 32 bits; tables hold 8192 at most) */
	if (i == d->used) {
		d->order[d->used++] = 0;
		d->n[i] = 0;
	}
	w->chg_mask = WIN_PLAIN_MASK;
	w->run_slot = w->run_end = w->slots + w->slot_mask + 1;   /* no run */
	if (add_bits) {
		w->add_key = ta->fast.add_key;
		w->add_bits = add_bits;
	}
	/* The word the last mmu_update stored through the layer (a plain base
	 * page of the user half, checked there): its bits once per word. */
	uint64_t uk = ta->fast.upd_key;
	if (uk && !ta->fast.upd_bits)   /* order 0 and not counted: not annotated */
		ta->fast.upd_bits = uk == ta->fast.add_key ? ta->fast.add_bits :
		                    leaf_bits_of(mmu_entry_with_key(0, uk));
	if (uk && ta->fast.upd_bits) {
		w->upd_key = uk;
		w->upd_bits = ta->fast.upd_bits;
	}
}

static inline __attribute__((always_inline)) void win_open(mmu_transaction_t *ta, vaddr_t va)
{
	vaddr_t region = va >> mmu_cur->lock_shift;
	if (region != ta->win_region)
		ta->win_region = region;
	else
		win_try(ta);
}

static inline __attribute__((always_inline)) bool txn_open(const mmu_transaction_t *ta)
{
	/* A transaction is marked open only on a valid set (mmu_transaction):
	 * no test of ta->set for NULL. */
	return ta && ta->magic == MMU_TXN_MAGIC && ta->set->magic == MMU_SET_MAGIC &&
	       ta->set->mode == mmu_cur;
}

/* An open transaction: true, with the window closed. For mmu_add and
 * mmu_find, which continue a run, and for mmu_remove and mmu_update, which
 * do not end one: find/remove pairs open the window at the second find in
 * a leaf table, a one-page find/remove or find/update transaction never. */
static inline __attribute__((always_inline)) bool txn_ok_run(mmu_transaction_t *ta)
{
	if (!txn_open(ta))
		return false;
	win_close(ta);
	return true;
}

/* The same for every other call, which ends the run the window waits
 * for (win_open). */
static inline __attribute__((always_inline)) bool txn_ok(mmu_transaction_t *ta)
{
	if (!txn_ok_run(ta))
		return false;
	ta->win_region = ~0ull;
	return true;
}

/* The current entry is the last add of the open window's run
 * (MMU_WIN_CUR_RUN_, include/mmu.h): written out, and true, so that the
 * inline mmu_remove or mmu_update that sent it here takes it inline
 * after all (the state they take, MMU_WIN_CUR_ADDED_, is not sent back). */
static bool win_run_current(mmu_transaction_t *ta)
{
	if (!txn_open(ta) || ta->win.has_current != MMU_WIN_CUR_RUN_)
		return false;
	mmu_win_settle_(&ta->win);
	return true;
}

static mmu_entry_t cur_entry(const mmu_transaction_t *ta)
{
	return mmu_entry_with_key(ta->win.cur_pa, ta->win.cur_word);
}

static void set_cur(mmu_transaction_t *ta, mmu_entry_t e)
{
	ta->win.cur_pa = e.pa;
	ta->win.cur_word = mmu_entry_key(e);
}

/* e, the entry at base, found at or placed for va, becomes the current
 * entry (mmu_find, mmu_add, mmu_add_range); locked: ta holds its regions. */
static inline __attribute__((always_inline)) void make_current(mmu_transaction_t *ta,
                                                               mmu_entry_t e, vaddr_t base,
                                                               vaddr_t va, bool locked)
{
	ta->win.cur_locked = locked;
	ta->win.has_current = true;
	set_cur(ta, e);
	ta->win.cur_va = base;
	ta->win.find_va = va;
}

/* Take what a change of [first, last] in one half needs (mmu/lock.h):
 * that range's regions of the set, or the kernel half whole. 0 or -EBUSY;
 * what was taken stays taken until commit or forget. */
static int op_lock(mmu_transaction_t *ta, int half, vaddr_t first, vaddr_t last)
{
	return half == HALF_KERNEL ? lock_kernel_claim(ta) : lock_span(ta, first, last);
}

/* Start a changing call on [first, last] of one half: -EBUSY if another
 * transaction holds part of it. */
static int op_begin(mmu_transaction_t *ta, int half, vaddr_t first, vaddr_t last)
{
	if (!txn_ok_run(ta))   /* the calls that end a run reset it themselves */
		return -EINVAL;
	if (ta->status)
		return ta->status;
	int err = op_lock(ta, half, first, last);
	return err ? err : txn_op_begin(ta);
}

static int op_end(mmu_transaction_t *ta, int half, int err)
{
	(void)half;
	txn_op_end(ta, err);
	return err;
}

/* Calls that count changes before they can still fail keep a copy. */
static void save_counts(mmu_transaction_t *ta, int half)
{
	(void)half;
	txn_save_counts(ta);
}

static int op_end_restoring(mmu_transaction_t *ta, int half, int err)
{
	if (err)
		txn_restore_counts(ta);
	return op_end(ta, half, err);
}

static void release(mmu_transaction_t *ta)
{
	if (ta->lk_held)   /* a leaf-only commit released them already */
		lock_release(ta);
	if (mmu_cur && ta->lk_kernel)
		lock_kernel_release(ta);
	ta->magic = 0;
}

/* adds: the change only made an entry where there was none (place), which
 * no TLB can hold a translation of on arm64 and x86; the kernel's TLB
 * shootdown skips other CPUs for those (mmu/env_kernel.c). */
static inline __attribute__((always_inline)) void note_change(mmu_transaction_t *ta, int half,
                                                              vaddr_t va, uint64_t bytes,
                                                              bool adds)
{
	struct txn_flush *f = &ta->flush;
	uint64_t pages = bytes >> mmu_cur->geo.page_shift;
	if (!f->changed) {   /* the first change: the range is it */
		*f = (struct txn_flush){ .start = va, .end = va + (bytes - 1) + 1, .pages = pages,
		                         .global = half == HALF_KERNEL, .changed = true,
		                         .adds_only = adds };
		return;
	}
	f->adds_only &= adds;
	if (va < f->start)
		f->start = va;
	if (va + (bytes - 1) >= f->end)
		f->end = va + (bytes - 1) + 1;   /* 0 when it reaches 2^64 */
	f->pages += pages;
	f->global |= half == HALF_KERNEL;
}

/* The slot of order in the half's inline statistics, or -1 if they are
 * full (then count() needs the state: the general path). */
static int delta_slot(const struct txn_delta *d, unsigned order)
{
	for (unsigned i = 0; i < d->used; i++)
		if (d->order[i] == order)
			return (int)i;
	return d->used < sizeof(d->order) ? d->used : -1;
}

static void delta_add(struct txn_delta *d, int i, unsigned order, int64_t n, uint64_t bytes)
{
	if (i == d->used) {
		d->order[d->used++] = (uint8_t)order;
		d->n[i] = 0;
	}
	d->n[i] += n;
	d->mapped += n * (int64_t)bytes;
}

/* n entries like e added (n > 0) or removed (n < 0): in the transaction
 * object while a few orders change, else in its state. Returns 0 or
 * -ENOMEM (the state could not be allocated). */
static int count(mmu_transaction_t *ta, int half, mmu_entry_t e, int64_t n)
{
	uint64_t bytes = entry_bytes(e.order);
	struct txn_delta *d = &ta->delta[half];
	int i;
	if (!(e.flags & MMU_EF_COUNTED) && (i = delta_slot(d, e.order)) >= 0) {
		delta_add(d, i, e.order, n, bytes);
		return 0;
	}
	int err = txn_need_state(ta);
	if (err)
		return err;
	struct mmu_set_counts *c = &ta->st->counts[half];
	c->entries[e.order] += (uint64_t)n;
	c->mapped_bytes += (uint64_t)n * bytes;
	if (e.flags & MMU_EF_COUNTED)
		c->counters[e.counter] += (uint64_t)n * (bytes >> mmu_cur->geo.page_shift);
	return 0;
}

static uint64_t meta_value(mmu_entry_t e)
{
	return META_USED | e.order | (e.flags & MMU_EF_COUNTED ? (e.counter + 1ull) << 8 : 0);
}

/* Map one entry (composed from native leaves) and its side-table record.
 * Leaves partial changes for op_end to unwind. */
static int place(mmu_transaction_t *ta, int half, mmu_entry_t e, vaddr_t va)
{
	struct pt_attr a = attr_of(e);
	unsigned n = e.order && !a.annotated ? e.order : native_order(e.order);
	int err = mmu_cur->be->change(ta, MMU_LEAF_MAP, va, n, 1ull << (e.order - n), e.pa, &a);
	if (!err && a.annotated)
		err = meta_set(ta, half, va, meta_value(e));
	if (!err)
		err = count(ta, half, e, +1);
	if (!err)
		note_change(ta, half, va, entry_bytes(e.order), true);
	return err;
}

static int unplace(mmu_transaction_t *ta, int half, mmu_entry_t e, vaddr_t va)
{
	unsigned n = native_order(e.order);
	int err = mmu_cur->be->change(ta, MMU_LEAF_UNMAP, va, n, 1ull << (e.order - n), 0, NULL);
	if (!err && attr_of(e).annotated)
		err = meta_del(ta, half, va);
	if (!err)
		err = count(ta, half, e, -1);
	if (!err)
		note_change(ta, half, va, entry_bytes(e.order), false);
	return err;
}

mmu_entry_t mmu_entry_of_leaf(const struct pt_attr *a, paddr_t pa, unsigned order)
{
	return mmu_entry_with_key(pa, mmu_entry_key_of_leaf(a, order));
}

uint64_t mmu_entry_key_of_leaf(const struct pt_attr *a, unsigned order)
{
	/* Old and clean as read, so an update of the entry keeps them. */
	unsigned flags = (a->global ? MMU_EF_GLOBAL : 0) |
	                 (a->accessed ? MMU_EF_ACCESSED : MMU_EF_OLD) |
	                 (a->dirty ? MMU_EF_DIRTY : MMU_EF_CLEAN);
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&
	               __builtin_offsetof(struct mmu_entry, prot) == 12 &&
	               __builtin_offsetof(struct mmu_entry, memtype) == 13 &&
	               __builtin_offsetof(struct mmu_entry, flags) == 14,
	               "mmu_entry_key_of_leaf: the key's bytes are the fields in memory order");
	return order | (uint64_t)a->prot << 32 | (uint64_t)a->memtype << 40 | (uint64_t)flags << 48;
}

/* The entry covering va, as the API reports it: composed entries whole.
 * racing: a lockless read (mmu_find_call_), which may see a commit's
 * leaves and side-table records at different moments (an annotated leaf
 * whose record the commit has just removed): -EAGAIN, and the reader's
 * sequence check decides whether that was a race or a broken table. */
static int find_entry(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out, vaddr_t *base,
                      bool racing)
{
	struct mmu_leaf l;
	int half = half_of(va, 1);
	if (half < 0)
		return -ERANGE;
	int err = mmu_cur->be->lookup(ta, va, &l);
	if (err)
		return err;
	mmu_entry_t e = mmu_entry_of_leaf(&l.attr, l.pa, l.order);
	vaddr_t at = l.va;
	if (l.attr.annotated) {
		uint64_t v = 0;
		for (unsigned k = l.order; k <= mmu_cur->geo.max_order && !v; k++) {
			at = va & ~(entry_bytes(k) - 1);
			v = meta_get(ta, half, at);
			if (v && (v & META_ORDER) != k)
				v = 0;
		}
		if (!v && racing)
			return -EAGAIN;
		if (!v)
			panic_mmu("leaf at %#llx is annotated but has no side-table record",
			          (unsigned long long)l.va);
		e.order = v & META_ORDER;
		e.pa = l.pa - (l.va - at);
		if (v & META_COUNTER) {
			e.flags |= MMU_EF_COUNTED;
			e.counter = (uint8_t)(((v & META_COUNTER) >> 8) - 1);
		}
	}
	*out = e;
	*base = at;
	return 0;
}

/* ---- fast paths of the one-entry calls -------------------------------------
 *
 * mmu_add, mmu_find and mmu_remove of one plain entry (a native order, no
 * side-table record) are the page-fault path. Each first tries the
 * backend's shortcut (add_one, find_one, remove_one: the cursor's table or
 * a walk, one deferred store or one store into a private table), which
 * takes only what needs no allocation and cannot fail after its store, so
 * the call needs no journal and no snapshot to be all-or-nothing; it
 * declines (MMU_FAST_MISS, nothing changed) everything else, and the
 * general path below does the call. What the shortcut cannot see is
 * checked here first: the transaction may change the half, the
 * statistics fit the inline delta. mmu_add's checks of the entry alone
 * (everything of check_entry but addresses) and its descriptor bits are
 * cached per transaction under the entry's fields (ta->fast.add_key).
 */

static bool same_entry(mmu_entry_t a, mmu_entry_t b);

/* The current entry was found while another transaction held its regions;
 * now that the call holds them, is it still what the caller was told?
 * -EBUSY if a commit changed it in between. */
static int cur_still_look(mmu_transaction_t *ta);
static inline __attribute__((always_inline)) int cur_still(mmu_transaction_t *ta)
{
	return ta->win.cur_locked ? 0 : cur_still_look(ta);
}

static __attribute__((noinline)) int cur_still_look(mmu_transaction_t *ta)
{
	mmu_entry_t e;
	vaddr_t base;
	if (find_entry(ta, ta->win.find_va, &e, &base, false) || base != ta->win.cur_va || !same_entry(e, cur_entry(ta)))
		return -EBUSY;
	ta->win.cur_locked = true;
	return 0;
}

/* Whether ta may change [first, last] of that half now: op_begin's
 * locks (mmu/lock.h), taken here; a refusal sends the call down the
 * general path, which returns the -EBUSY. */
static bool may_change(mmu_transaction_t *ta, int half, vaddr_t first, vaddr_t last)
{
	return !ta->status && !op_lock(ta, half, first, last);
}

/* Before a shortcut stores (the caller took the entry's regions with
 * may_change): the order's count fits the inline delta, and a new call begins for the
 * deferred stores (txn_op_begin's part the shortcuts need: they neither
 * journal nor spill). The count's slot, or -1: the general path. */
static int fast_begin(mmu_transaction_t *ta, int half, unsigned order)
{
	int i = delta_slot(&ta->delta[half], order);
	if (i >= 0) {
		ta->op_seq++;
		ta->def.mark = ta->def.n;
	}
	return i;
}

/* After it stored: one entry of order (bytes long) at va added (n = 1)
 * or removed (n = -1), counted, in the flush range, the half claimed
 * (op_end). Inline: half and n are constants at each call. */
static inline __attribute__((always_inline)) void fast_end(mmu_transaction_t *ta, int half,
                                                           int i, unsigned order, int64_t n,
                                                           vaddr_t va, uint64_t bytes)
{
	delta_add(&ta->delta[half], i, order, n, bytes);
	note_change(ta, half, va, bytes, n > 0);
}

/* Remember e (valid, checked by check_entry) for the next mmu_add. */
static void add_cache(mmu_transaction_t *ta, mmu_entry_t e)
{
	uint64_t bits = leaf_bits_of(e);
	ta->fast.add_key = bits ? mmu_entry_key(e) : 0;
	ta->fast.add_bits = bits;
}

static int add_fast(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va)
{
	uint64_t bytes = entry_bytes(e.order);
	int half = e.flags & MMU_EF_GLOBAL ? HALF_KERNEL : HALF_USER, i;
	if (((va | e.pa) & (bytes - 1)) || half_of(va, bytes) != half ||
	    (mmu_cur->pa_bits < 64 && (e.pa + (bytes - 1)) >> mmu_cur->pa_bits) ||
	    !may_change(ta, half, va, va + (bytes - 1)) ||
	    (i = fast_begin(ta, half, e.order)) < 0 ||
	    mmu_cur->be->add_one(ta, va, e.pa, ta->fast.add_bits, e.order))
		return MMU_FAST_MISS;
	if (half == HALF_USER)   /* constants for fast_end */
		fast_end(ta, HALF_USER, i, e.order, +1, va, bytes);
	else
		fast_end(ta, HALF_KERNEL, i, e.order, +1, va, bytes);
	return 0;
}

static int remove_fast(mmu_transaction_t *ta, mmu_entry_t cur, vaddr_t va)
{
	const struct mmu_backend *be = mmu_cur->be;
	int half = half_of(va, 1), i;
	uint64_t bytes = entry_bytes(cur.order);
	if (!be->remove_one || (cur.flags & MMU_EF_COUNTED) || native_order(cur.order) != cur.order ||
	    !may_change(ta, half, va, va + (bytes - 1)) || cur_still(ta) ||
	    (i = fast_begin(ta, half, cur.order)) < 0 || be->remove_one(ta, va, cur.order))
		return MMU_FAST_MISS;
	if (half == HALF_USER)   /* constants for fast_end */
		fast_end(ta, HALF_USER, i, cur.order, -1, va, bytes);
	else
		fast_end(ta, HALF_KERNEL, i, cur.order, -1, va, bytes);
	return 0;
}

/* ---- transactions --------------------------------------------------------- */

/* Only what a call reads before writing it is set here: a one-page
 * transaction must not pay for clearing the whole object (768 bytes of
 * deferred stores, caches and snapshots it mostly never touches). The
 * generation starts at 0 and becomes one of the transaction's own with
 * its first private page (txn.c, record()). */
void mmu_transaction(mmu_transaction_t *ta, mmu_translation_set_t *t)
{
	ta->set = t;
	ta->st = NULL;
	ta->magic = MMU_TXN_MAGIC;
	ta->status = 0;
	ta->op_seq = 0;
	ta->gen = 0;
	ta->flush.changed = false;
	ta->flush.global = false;
	ta->bbm.changed = false;   /* the rest is set by the first break (break_slots) */
	for (int h = 0; h < 2; h++) {
		ta->delta[h].mapped = 0;
		ta->delta[h].used = 0;
	}
	ta->def.n = ta->def.mark = 0;
	ta->def.upper = false;
	ta->def.spill_op = 0;
	ta->walk.view = NULL;
	ta->fast.add_key = 0;
	ta->fast.find_word = 0;
	ta->fast.upd_key = 0;
	lock_txn_init(ta);
	ta->lk_kernel = false;
	ta->setcur = 0;
	for (int k = 0; k < 4; k++)
		ta->tlb_n[k] = 0;
	/* The window closed (what the inline calls test first) and no
	 * current entry; the rest is set when it opens. */
	ta->win.slots = NULL;
	ta->win.add_key = ta->win.upd_key = MMU_WIN_NO_KEY_;
	ta->win.find_word = 0;
	ta->win.chg_mask = ~0ull;
	ta->win.cur_state = 0;   /* no current entry, no run */
	ta->win_region = ~0ull;
	if (!t || t->magic != MMU_SET_MAGIC || t->mode != mmu_cur) {
		ta->status = -EINVAL;
		ta->magic = 0;   /* every call says -EINVAL (txn_open) */
	}
}

/* Returns 0, or -EINVAL for a transaction that is not open. */
static int commit_locked(mmu_transaction_t *ta);

int mmu_commit(mmu_transaction_t *ta)
{
	if (!txn_ok(ta))
		return -EINVAL;
	/* A leaf-only commit publishes under its regions alone; any other
	 * takes the set: publishing, the TLB operation and the statistics go
	 * one such commit at a time. What each commit changes is disjoint by
	 * the region locks, so the order is free (mmu/lock.h). */
	if (txn_empty(ta) || txn_commit_fast(ta)) {
		release(ta);
		return 0;
	}
	return commit_locked(ta);
}

/* A commit under the set's commit lock. Apart from mmu_commit, so that a
 * leaf-only commit saves few registers. */
static __attribute__((noinline)) int commit_locked(mmu_transaction_t *ta)
{
	struct mmu_txn_state *st = ta->st;
	mmu_translation_set_t *t = ta->set;
	bool kernel = txn_kernel_changed(ta);
	lock_commit_begin(t, kernel);
	if (st && st->meta_valid[0])
		meta_publish(&t->meta, &st->meta[0]);
	if (st && st->meta_valid[1])
		meta_publish(&mmu_cur->kernel_meta, &st->meta[1]);
	txn_commit(ta, kernel);
	lock_commit_end(t, kernel);
	release(ta);
	return 0;
}

void mmu_forget(mmu_transaction_t *ta)
{
	if (!txn_ok(ta))
		return;
	txn_forget(ta);
	release(ta);
}

/* The entry covering va: the backend's shortcut, else the general way. */
static inline __attribute__((always_inline)) int lookup(mmu_transaction_t *ta, vaddr_t va,
                                                       mmu_entry_t *e, vaddr_t *base,
                                                       bool racing)
{
	int err = MMU_FAST_MISS;
	if (mmu_cur->be->find_one)
		err = mmu_cur->be->find_one(ta, va, e, base);
	return err == MMU_FAST_MISS ? find_entry(ta, va, e, base, racing) : err;
}

/* The external definitions of the inline calls (include/mmu.h). */
extern inline int mmu_find(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out);
extern inline int mmu_add(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va);
extern inline int mmu_remove(mmu_transaction_t *ta);
extern inline int mmu_update(mmu_transaction_t *ta, mmu_entry_t e);
extern inline void mmu_win_stored_(struct mmu_window_ *w, uint32_t i);
extern inline void mmu_win_run_end_(struct mmu_window_ *w);
extern inline void mmu_win_run_(struct mmu_window_ *w, uint32_t i, vaddr_t va);
extern inline void mmu_win_settle_(struct mmu_window_ *w);

/* mmu_find's lockless read of a region another transaction holds; apart,
 * so that a find under the region's lock saves few registers. */
static __attribute__((noinline)) int find_unheld(mmu_transaction_t *ta, vaddr_t va,
                                                 mmu_entry_t *e, vaddr_t *base)
{
	/* No cursor (ta->walk) into a region not held, before or after: it
	 * notes the generations after its walk, so a table unlinked and freed
	 * by a commit during that walk would pass for current (a retry would
	 * read the freed page). */
	struct lock_snap s;
	int err;
	do {
		ta->walk.view = NULL;
		s = lock_read_begin(ta->set, va);
		err = lookup(ta, va, e, base, true);
	} while (!lock_read_end(ta->set, s));
	ta->walk.view = NULL;
	if (err == -EAGAIN)   /* no commit in between: the table itself is wrong */
		panic_mmu("leaf at %#llx is annotated but has no side-table record",
		          (unsigned long long)va);
	return err;
}

/* mmu_find where the window does not vouch for va. Returns 0, -ENOENT
 * (nothing maps va), -ERANGE (va outside the mode). */
int mmu_find_call_(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out)
{
	if (!txn_ok_run(ta))
		return -EINVAL;
	mmu_entry_t e;
	vaddr_t base;
	int err;
	/* Under the region's lock when it can be had: the entry then stays
	 * as found until commit. Otherwise (another transaction holds it) a
	 * lockless read of what is committed, again if a commit published
	 * meanwhile, so that it sees all of a commit or none of it. */
	int half = half_of(va, 1);
	if (half < 0)
		return -ERANGE;
	/* The kernel half is held only once claimed by a change: an entry
	 * found before is checked again when a change takes it (cur_still). */
	bool held = half == HALF_KERNEL
	            ? __atomic_load_n(&mmu_cur->kernel_owner, __ATOMIC_RELAXED) == ta
	            : !lock_span(ta, va, va);
	if (held) {
		err = lookup(ta, va, &e, &base, false);
		held = !err && (half == HALF_KERNEL ||
		                !lock_span(ta, base, base + (entry_bytes(e.order) - 1)));
	} else {
		err = find_unheld(ta, va, &e, &base);
	}
	if (err)
		return err;
	make_current(ta, e, base, va, held);
	if (out)
		*out = e;
	if (held)
		win_open(ta, va);
	return 0;
}

vaddr_t mmu_current_va(mmu_transaction_t *ta)
{
	if (!txn_open(ta) || !ta->win.has_current)
		return 0;
	if (ta->win.has_current == MMU_WIN_CUR_RUN_)
		mmu_win_settle_(&ta->win);   /* the window stays */
	return ta->win.cur_va;
}

/* ---- entry checks ----------------------------------------------------------
 *
 * What check_entry settles about an entry word alone (everything but its
 * addresses) and the descriptor bits add_cache builds for it are the same
 * for every transaction of the mode, so the last word one transaction
 * checked is kept in the mode for the next (a page-fault path maps with a
 * few distinct words): read lockless under a sequence count, written only
 * by a caller that wins it (a loser keeps its own answer), and cleared
 * when the mode is selected again. */
static bool checked_get(mmu_transaction_t *ta, uint64_t key)
{
	struct mmu_mode *m = mmu_cur;
	uint64_t s = seqc_read_begin(&m->checked.seq);
	uint64_t k = __atomic_load_n(&m->checked.key, __ATOMIC_RELAXED);
	uint64_t b = __atomic_load_n(&m->checked.bits, __ATOMIC_RELAXED);
	if (k != key || !k || !seqc_read_ok(&m->checked.seq, s))
		return false;
	ta->fast.add_key = k;
	ta->fast.add_bits = b;
	return true;
}

static void checked_put(uint64_t key, uint64_t bits)
{
	struct mmu_mode *m = mmu_cur;
	uint64_t s;
	if (!seqc_write_begin(&m->checked.seq, &s))
		return;
	__atomic_store_n(&m->checked.key, key, __ATOMIC_RELAXED);
	__atomic_store_n(&m->checked.bits, bits, __ATOMIC_RELAXED);
	seqc_write_end(&m->checked.seq, s);
}

/* mmu_add's checks of an entry word neither ta nor the mode has cached:
 * the half, or -EINVAL / -ERANGE. Apart, as add_general is. */
static __attribute__((noinline)) int add_check(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va)
{
	int half = check_entry(e, va);
	if (half < 0)
		return half;
	add_cache(ta, e);
	if (ta->fast.add_key)
		checked_put(ta->fast.add_key, ta->fast.add_bits);
	return half;
}

/* mmu_add past its shortcut; apart, so that the shortcut saves few
 * registers. */
static __attribute__((noinline)) int add_general(mmu_transaction_t *ta, mmu_entry_t e,
                                                 vaddr_t va)
{
	int half = check_entry(e, va), err;
	if (half < 0)
		return half;
	if ((err = op_begin(ta, half, va, va + (entry_bytes(e.order) - 1))))
		return err;
	return op_end(ta, half, place(ta, half, e, va));
}

/* mmu_add where the window does not take it. Returns 0, -EINVAL, -ERANGE,
 * -EEXIST, -ENOMEM or -EBUSY. */
int mmu_add_call_(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va)
{
	if (!txn_ok_run(ta))
		return -EINVAL;
	int err = MMU_FAST_MISS;
	uint64_t key = mmu_entry_key(e);
	/* 0: nothing cached (prot 0 is never valid) */
	if ((key != ta->fast.add_key || !key) && !checked_get(ta, key) &&
	    (err = add_check(ta, e, va)) < 0)
		return err;
	err = ta->fast.add_key == key ? add_fast(ta, e, va) : MMU_FAST_MISS;
	if (err)
		err = add_general(ta, e, va);
	if (!err) {
		make_current(ta, e, va, va, true);
		win_open(ta, va);
	}
	return err;
}

/* Returns 0, -ENOENT (no current entry), -EBUSY or -ENOMEM. */
static int remove_general(mmu_transaction_t *ta, mmu_entry_t cur);

/* mmu_remove where the window does not take it. Returns 0, -ENOENT (no
 * current entry), -EBUSY or -ENOMEM. */
int mmu_remove_call_(mmu_transaction_t *ta)
{
	if (win_run_current(ta))
		return mmu_remove(ta);
	if (!txn_ok_run(ta))
		return -EINVAL;
	if (!ta->win.has_current)
		return -ENOENT;
	mmu_entry_t cur = cur_entry(ta);
	if (!remove_fast(ta, cur, ta->win.cur_va)) {
		ta->win.has_current = false;
		return 0;
	}
	return remove_general(ta, cur);
}

/* mmu_remove past its shortcut; apart, so that the shortcut saves few
 * registers. */
static __attribute__((noinline)) int remove_general(mmu_transaction_t *ta, mmu_entry_t cur)
{
	int half = half_of(ta->win.cur_va, 1);
	int err = op_begin(ta, half, ta->win.cur_va, ta->win.cur_va + (entry_bytes(cur.order) - 1));
	if (err)
		return err;
	if ((err = cur_still(ta)))
		return op_end(ta, half, err);
	save_counts(ta, half);
	err = unplace(ta, half, cur, ta->win.cur_va);
	if (!err)
		err = mmu_cur->be->reclaim(ta, ta->win.cur_va, ta->win.cur_va + (entry_bytes(cur.order) - 1));
	err = op_end_restoring(ta, half, err);
	if (!err)
		ta->win.has_current = false;
	return err;
}

/*
 * Replace the current entry. Same order: in place. Smaller: split, the
 * piece holding the last address given to mmu_find takes the new entry,
 * the rest keeps the old translation in pieces of the new order. Bigger:
 * the aligned range around the current entry must be otherwise empty.
 * Returns 0, -ENOENT, -EINVAL, -ERANGE, -EEXIST, -EBUSY or -ENOMEM.
 * (mmu_update where the window does not take it.)
 */
int mmu_update_call_(mmu_transaction_t *ta, mmu_entry_t e)
{
	if (win_run_current(ta))
		return mmu_update(ta, e);
	if (!txn_ok_run(ta))
		return -EINVAL;
	if (!ta->win.has_current)
		return -ENOENT;
	mmu_entry_t old = cur_entry(ta);
	vaddr_t old_va = ta->win.cur_va;
	uint64_t new_bytes = entry_bytes(e.order > mmu_cur->geo.max_order ? 0 : e.order);
	vaddr_t va = (e.order <= old.order ? ta->win.find_va : old_va) & ~(new_bytes - 1);
	int half = check_entry(e, va);
	if (half < 0)
		return half;
	vaddr_t old_last = old_va + (entry_bytes(old.order) - 1), last = va + (new_bytes - 1);
	int err = op_begin(ta, half, va < old_va ? va : old_va, last > old_last ? last : old_last);
	if (err)
		return err;
	if ((err = cur_still(ta)))
		return op_end(ta, half, err);
	save_counts(ta, half);

	if (e.order == old.order) {
		unsigned n = native_order(e.order);
		struct pt_attr a = attr_of(e);
		err = mmu_cur->be->change(ta, MMU_LEAF_REWRITE, va, n, 1ull << (e.order - n), e.pa, &a);
		bool was = attr_of(old).annotated;
		if (!err && was && !a.annotated)
			err = meta_del(ta, half, va);
		else if (!err && a.annotated)
			err = meta_set(ta, half, va, meta_value(e));
		if (!err && !(err = count(ta, half, old, -1)) && !(err = count(ta, half, e, +1)))
			note_change(ta, half, va, new_bytes, false);
	} else if (e.order < old.order) {
		err = unplace(ta, half, old, old_va);
		for (vaddr_t p = old_va; !err && p - old_va < entry_bytes(old.order); p += new_bytes) {
			mmu_entry_t piece = old;
			piece.order = e.order;
			piece.pa = old.pa + (p - old_va);
			err = place(ta, half, p == va ? e : piece, p);
		}
	} else {
		err = unplace(ta, half, old, old_va);
		if (!err)
			err = place(ta, half, e, va);
	}
	err = op_end_restoring(ta, half, err);
	if (!err) {
		set_cur(ta, e);
		ta->win.cur_va = va;
		ta->win.cur_locked = true;
		/* A plain base page of the user half, checked: the word the
		 * window may store for the next updates (win_try). */
		uint64_t k = mmu_entry_key(e);
		if (e.order == 0 && half == HALF_USER && !(e.flags & MMU_EF_COUNTED) &&
		    k != ta->fast.upd_key) {
			ta->fast.upd_key = k;
			ta->fast.upd_bits = 0;
		}
	}
	return err;
}

/* ---- translation sets ------------------------------------------------------ */

/* Returns 0, -EINVAL (no mode selected) or -ENOMEM. */
int mmu_new_translation_set(mmu_translation_set_t *t)
{
	if (!t || !mmu_cur)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->gen = txn_fresh_gen();
	t->mode = mmu_cur;
	/* Under the set list's lock: a kernel-half commit mirrors its root
	 * slots into every listed set, so set_init's copy of them and the
	 * listing must not fall between its publish and its mirroring. */
	lock_sets();
	t->asid = next_asid++;
	int err = mmu_cur->be->set_init(t);
	if (!err) {
		t->magic = MMU_SET_MAGIC;
		t->next = all_sets;
		all_sets = t;
	}
	lock_sets_end();
	return err;
}

void mmu_remove_translation_set(mmu_translation_set_t *t)
{
	if (!t || t->magic != MMU_SET_MAGIC)
		return;
	/* The transactions still open on it (holding regions, or the kernel
	 * half through it) are forgotten: their owners' later calls get
	 * -EINVAL. */
	mmu_transaction_t *open[LK_LINES * 4];
	unsigned n = lock_holders(t, open, sizeof(open) / sizeof(open[0]) - 1);   /* room for k */
	mmu_transaction_t *k = __atomic_load_n(&t->mode->kernel_owner, __ATOMIC_RELAXED);
	for (unsigned i = 0; k && i < n; i++)
		if (open[i] == k)
			k = NULL;   /* listed already */
	if (k && k->set == t)
		open[n++] = k;
	for (unsigned i = 0; i < n; i++) {
		txn_forget(open[i]);
		release(open[i]);
	}
	/* The arch's ASID is t->asid cut to its width: a later set gets this
	 * one's back, and must find nothing of it cached. Flushed before the
	 * tables are freed, as a commit frees unlinked tables after its TLB
	 * operation: no cached walk may lead into a freed page (the host's
	 * walk caches, host/tlb.c, report one). */
	t->tlb_ops[mmu_env_tlb_flush(t, &(struct mmu_flush){ .start = 0, .end = 0, .pages = 0,
	                                                    .global = false })]++;
	t->mode->be->set_fini(t);
	meta_fini(&t->meta);
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_RELEASE);
	lock_sets();
	for (mmu_translation_set_t **p = &all_sets; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	lock_sets_end();
	t->magic = 0;
}

mmu_translation_set_t *mmu_sets(void)
{
	return all_sets;
}

void mmu_activate(mmu_translation_set_t *t)
{
	if (t && t->magic == MMU_SET_MAGIC)
		mmu_env_activate(t);
}

/* The pieces that map [va, end) -> pa with the largest native orders that
 * both addresses allow, carrying e's attributes. */
static int place_pieces(mmu_transaction_t *ta, int half, mmu_entry_t e,
                        vaddr_t va, vaddr_t end, paddr_t pa)
{
	int err = 0;
	while (!err && va < end) {
		unsigned k = native_order(e.order);
		while (k && (((va | pa) & (entry_bytes(k) - 1)) || entry_bytes(k) > end - va))
			k = native_order(k - 1);
		mmu_entry_t piece = e;
		piece.order = k;
		piece.pa = pa;
		err = place(ta, half, piece, va);
		va += entry_bytes(k);
		pa += entry_bytes(k);
	}
	return err;
}

static bool range_ok(vaddr_t start, uint64_t len)
{
	uint64_t page = entry_bytes(0) - 1;
	return !((start | len) & page) && len;
}

/* mmu_remove_range in a transaction of its own. Returns 0, -EINVAL
 * (unaligned, empty), -ERANGE, -EBUSY or -ENOMEM; on error nothing
 * changed. */
int mmu_clear_range(mmu_translation_set_t *t, vaddr_t start, vaddr_t end)
{
	if (!t || t->magic != MMU_SET_MAGIC || t->mode != mmu_cur)
		return -EINVAL;
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	int err = mmu_remove_range(&ta, start, end);
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

/*
 * Copy src's translations of [src_start, +len) to dst at dst_start. An
 * entry that fits whole and stays aligned is copied as it is (so a dup is
 * exact); others, and the parts of entries that straddle the ends, become
 * aligned pieces. dst's range must be empty. Returns 0, -EINVAL, -ERANGE,
 * -EEXIST, -EBUSY or -ENOMEM; on error dst is unchanged.
 */
int mmu_copy_range(mmu_translation_set_t *dst, mmu_translation_set_t *src,
                   vaddr_t dst_start, vaddr_t src_start, size_t len)
{
	if (!dst || !src || dst->magic != MMU_SET_MAGIC || src->magic != MMU_SET_MAGIC ||
	    dst->mode != mmu_cur || src->mode != mmu_cur ||
	    !range_ok(dst_start, len) || !range_ok(src_start, len))
		return -EINVAL;
	int dhalf = half_of(dst_start, len), shalf = half_of(src_start, len);
	if (dhalf < 0 || shalf < 0)
		return -ERANGE;
	if (dst == src && dst_start < src_start + len && src_start < dst_start + len)
		return -EINVAL;
	mmu_transaction_t ta, rd;
	mmu_transaction(&ta, dst);
	mmu_transaction(&rd, src);
	mmu_transaction_t *reader = dst == src ? &ta : &rd;
	/* The source range is read under its regions too, so it stays as
	 * read until the copy commits. */
	int err = op_begin(&ta, dhalf, dst_start, dst_start + (len - 1));
	if (!err && shalf == HALF_USER)
		err = lock_span(reader, src_start, src_start + (len - 1));
	vaddr_t va = src_start, end = src_start + (len - 1);
	struct mmu_leaf l;
	if (!err && !mmu_cur->be->next(&ta, dst_start, dst_start + (len - 1), &l))
		err = -EEXIST;
	while (!err && !mmu_cur->be->next(reader, va, end, &l)) {
		mmu_entry_t e;
		vaddr_t base;
		err = find_entry(reader, l.va > va ? l.va : va, &e, &base, false);
		if (err)
			break;
		vaddr_t last = base + (entry_bytes(e.order) - 1);
		vaddr_t from = base < src_start ? src_start : base;
		vaddr_t to = last > end ? end : last;
		vaddr_t dva = dst_start + (from - src_start);
		if (dhalf == HALF_KERNEL)
			e.flags |= MMU_EF_GLOBAL;
		else
			e.flags &= (uint8_t)~MMU_EF_GLOBAL;
		if (from == base && to == last && !(dva & (entry_bytes(e.order) - 1)))
			err = place(&ta, dhalf, e, dva);
		else
			err = place_pieces(&ta, dhalf, e, dva, dva + (to - from) + 1,
			                   e.pa + (from - base));
		if (to == end)
			break;
		va = to + 1;
	}
	err = op_end(&ta, dhalf, err);
	if (err)
		mmu_forget(&ta);
	else
		err = mmu_commit(&ta);
	if (reader == &rd)
		mmu_forget(&rd);   /* read only: lets its regions go */
	return err;
}

/* Returns 0, -EINVAL or -ENOMEM; on error dst is not initialised. */
int mmu_dup_translation_set(mmu_translation_set_t *dst, mmu_translation_set_t *src)
{
	if (!src || src->magic != MMU_SET_MAGIC || src->mode != mmu_cur || dst == src)
		return -EINVAL;
	int err = mmu_new_translation_set(dst);
	if (err)
		return err;
	err = mmu_copy_range(dst, src, 0, 0, mmu_cur->user_top);
	if (err)
		mmu_remove_translation_set(dst);
	return err;
}

/* ---- range operations ------------------------------------------------------ */

/* Checks [start, end) for the range calls: its half, -EINVAL or -ERANGE. */
static int range_half(vaddr_t start, vaddr_t end)
{
	if (end <= start || !range_ok(start, end - start))
		return -EINVAL;
	return half_of(start, end - start);
}

/* An entry wholly inside a protected range: rewritten in place, same
 * size, no side-table change (order and counter stay). */
static int protect_whole(mmu_transaction_t *ta, int half, mmu_entry_t e, vaddr_t va,
                         unsigned prot)
{
	mmu_entry_t n = mmu_mkprot(e, prot);
	unsigned k = native_order(e.order);
	struct pt_attr a = attr_of(n);
	int err = mmu_cur->be->change(ta, MMU_LEAF_REWRITE, va, k, 1ull << (e.order - k), e.pa, &a);
	if (!err)
		note_change(ta, half, va, entry_bytes(e.order), false);
	return err;
}

/*
 * Remove (prot NULL) or protect every entry overlapping [start, end) of
 * one half. A straddling entry is removed and its pieces outside the
 * range placed again with the old translation, the piece inside (when
 * protecting) with the new protection. Entries already of that
 * protection are left alone, straddling or not. Leaves partial changes
 * for op_end to unwind.
 */
static int each_in_range(mmu_transaction_t *ta, int half, vaddr_t start, vaddr_t end,
                         const unsigned *prot)
{
	int err = 0;
	vaddr_t va = start;
	struct mmu_leaf l;
	uint64_t n;
	while (!err && va < end && !mmu_cur->be->next(ta, va, end - 1, &l)) {
		mmu_entry_t e;
		vaddr_t base;
		if ((err = find_entry(ta, l.va > va ? l.va : va, &e, &base, false)))
			break;
		vaddr_t last = base + (entry_bytes(e.order) - 1);
		va = last + 1;
		if ((base < start || last > end - 1) && (err = op_lock(ta, half, base, last)))
			break;   /* straddles into regions another transaction holds */
		if (prot && e.prot == *prot)
			;
		else if (prot && !mmu_cur->attr_ok(*prot, e.memtype))
			err = -EINVAL;
		else if (base >= start && last <= end - 1 && !prot && mmu_cur->be->unmap_run &&
		         !attr_of(e).annotated &&
		         (n = mmu_cur->be->unmap_run(ta, start, base, end - 1, e.order, &va,
		                                     &err)) != 0) {
			/* A run of plain leaves in one table, or the whole table:
			 * one pass or one unlink, counted once. */
			if (!err)
				err = count(ta, half, e, -(int64_t)n);
			if (!err)
				note_change(ta, half, base, va - base, false);
		} else if (base >= start && last <= end - 1 && prot && mmu_cur->be->protect_run &&
		           !attr_of(e).annotated &&
		           mmu_cur->be->protect_run(ta, base, end - 1, e.order, *prot, &va, &err)) {
			if (!err)   /* a run of plain leaves in one table, in one pass */
				note_change(ta, half, base, va - base, false);
		} else if (err)
			;   /* a run failed before its first change */
		else if (base >= start && last <= end - 1)
			err = prot ? protect_whole(ta, half, e, base, *prot) : unplace(ta, half, e, base);
		else {
			vaddr_t from = base < start ? start : base;
			vaddr_t to = last > end - 1 ? end : last + 1;
			err = unplace(ta, half, e, base);
			if (!err && base < start)
				err = place_pieces(ta, half, e, base, start, e.pa);
			if (!err && last > end - 1)
				err = place_pieces(ta, half, e, end, last + 1, e.pa + (end - base));
			if (!err && prot)
				err = place_pieces(ta, half, mmu_mkprot(e, *prot), from, to,
				                   e.pa + (from - base));
		}
		if (!va)
			break;
	}
	return err;
}

/* One all-or-nothing pass over [start, end): remove (prot NULL: every
 * entry, then the tables left empty) or protect. Returns 0, -EINVAL
 * (unaligned, empty, a protection the hardware cannot express), -ERANGE,
 * -EBUSY or -ENOMEM; on error the transaction is as before the call. No
 * entry is current afterwards. */
static int range_op(mmu_transaction_t *ta, vaddr_t start, vaddr_t end, const unsigned *prot)
{
	if (!txn_ok(ta))
		return -EINVAL;
	int half = range_half(start, end);
	if (half < 0)
		return half;
	if (prot && (!prot_valid(*prot) || ((*prot & MMU_USER) && half == HALF_KERNEL)))
		return -EINVAL;
	int err = op_begin(ta, half, start, end - 1);
	if (err)
		return err;
	save_counts(ta, half);
	err = each_in_range(ta, half, start, end, prot);
	if (!err && !prot)
		err = mmu_cur->be->reclaim(ta, start, end - 1);
	err = op_end_restoring(ta, half, err);
	if (!err)
		ta->win.has_current = false;
	return err;
}

int mmu_remove_range(mmu_transaction_t *ta, vaddr_t start, vaddr_t end)
{
	return range_op(ta, start, end, NULL);
}

int mmu_protect_range(mmu_transaction_t *ta, vaddr_t start, vaddr_t end, unsigned prot)
{
	return range_op(ta, start, end, &prot);
}

/*
 * len / size(e) entries like e from va, pa advancing. An entry that needs
 * no side-table record goes to the backend as one run of native leaves
 * (one pass over each table); others one by one. Returns 0, -EINVAL,
 * -ERANGE, -EEXIST, -EBUSY or -ENOMEM; on error the transaction is as
 * before the call.
 */
int mmu_add_range(mmu_transaction_t *ta, mmu_entry_t e, vaddr_t va, uint64_t len)
{
	if (!txn_ok(ta))
		return -EINVAL;
	int half = check_entry(e, va);
	if (half < 0)
		return half;
	uint64_t bytes = entry_bytes(e.order);
	if (!len || (len & (bytes - 1)) || len - 1 > ~e.pa ||
	    (mmu_cur->pa_bits < 64 && (e.pa + (len - 1)) >> mmu_cur->pa_bits))
		return -EINVAL;
	if (half_of(va, len) != half)
		return -ERANGE;
	int err = op_begin(ta, half, va, va + (len - 1));
	if (err)
		return err;
	save_counts(ta, half);
	struct pt_attr a = attr_of(e);
	if (!a.annotated) {
		err = mmu_cur->be->change(ta, MMU_LEAF_MAP, va, e.order, len / bytes, e.pa, &a);
		if (!err)
			err = count(ta, half, e, (int64_t)(len / bytes));
		if (!err)
			note_change(ta, half, va, len, true);
	} else {
		for (uint64_t off = 0; !err && off < len; off += bytes) {
			mmu_entry_t one = e;
			one.pa = e.pa + off;
			err = place(ta, half, one, va + off);
		}
	}
	err = op_end_restoring(ta, half, err);
	if (!err) {
		vaddr_t last = va + (len - bytes);   /* the last entry placed */
		make_current(ta, mmu_entry_with_key(e.pa + (len - bytes), mmu_entry_key(e)), last,
		             last, true);
	}
	return err;
}

/* ---- scanning and statistics ------------------------------------------------ */

static bool same_entry(mmu_entry_t a, mmu_entry_t b)
{
	uint8_t keep = MMU_EF_GLOBAL | MMU_EF_COUNTED | MMU_EF_OLD | MMU_EF_CLEAN;
	return a.pa == b.pa && a.order == b.order && a.prot == b.prot &&
	       a.memtype == b.memtype && (a.flags & keep) == (b.flags & keep) &&
	       (!(a.flags & MMU_EF_COUNTED) || a.counter == b.counter);
}

/* Leaves mmu_scan reads at a time from one table when their output
 * addresses are not contiguous; a contiguous run at least SCAN_LINEAR
 * long goes to the caller's loop (the inline mmu_scan, include/mmu.h). */
#define SCAN_RUN 64
#define SCAN_LINEAR 8

/* Where the scan goes on after the entry at va of bytes bytes (also back
 * from a run's end, when an entry inside it changed size). */
static void scan_past(struct mmu_scan_ *s, vaddr_t va, uint64_t bytes)
{
	s->va = va + bytes;
	s->done = s->va <= va || s->va > s->last;   /* wrapped past the top, or past the end */
}

int mmu_scan_begin_(struct mmu_scan_ *s, mmu_translation_set_t *t, vaddr_t start, vaddr_t end)
{
	if (!t || t->magic != MMU_SET_MAGIC || t->mode != mmu_cur || end <= start)
		return -EINVAL;
	mmu_transaction(&s->ta, t);
	s->va = start;
	s->last = end - 1;
	s->err = 0;
	s->done = false;
	return 0;
}

/* fn's entry keep for entry e at va: through mmu_update unless the two
 * are the same. Returns true when the caller's run must stop (an error,
 * in s->err, or a change of size: the rest is read again from past va). */
bool mmu_scan_keep_(struct mmu_scan_ *s, mmu_entry_t e, mmu_entry_t keep, vaddr_t va)
{
	if (same_entry(e, keep))
		return false;
	int err = mmu_find(&s->ta, va, NULL);   /* inline inside the call window */
	if (!err)
		err = mmu_update(&s->ta, keep);
	if (!err && keep.order == e.order)
		return false;   /* rewritten in place: the other leaves of the run stay */
	s->err = err;
	scan_past(s, va, entry_bytes(e.order));
	return true;
}

/* fn over n plain leaves of one table, alike but for their output
 * addresses (first, pa[]); those it changes go through mmu_scan_keep_.
 * Sets s->va past what it covered. */
static void scan_run(struct mmu_scan_ *s, const struct mmu_leaf *first, const paddr_t *pa,
                     unsigned n, mmu_scan_fn fn, void *priv)
{
	uint64_t key = mmu_entry_key_of_leaf(&first->attr, first->order);
	uint64_t bytes = entry_bytes(first->order);
	vaddr_t at = first->va;
	scan_past(s, at + (n - 1) * bytes, bytes);
	for (unsigned i = 0; i < n; i++, at += bytes) {
		mmu_entry_t e = mmu_entry_with_key(pa[i], key);
		mmu_entry_t keep = fn(e, at, priv);
		if ((keep.pa != pa[i] || mmu_entry_key(keep) != key) &&
		    mmu_scan_keep_(s, e, keep, at))
			return;
	}
}

/*
 * The next run of entries for the caller's loop (s->run_*): a contiguous
 * stretch of plain leaves of one table, at least SCAN_LINEAR long. Until
 * there is one, it calls fn itself: for a shorter stretch, leaves whose
 * addresses are not contiguous, or any other entry (as mmu_find reports
 * it). Returns how many entries the run has; 0 when the scan is over.
 */
uint64_t mmu_scan_next_(struct mmu_scan_ *s, mmu_scan_fn fn, void *priv)
{
	mmu_transaction_t *ta = &s->ta;
	const struct mmu_backend *be = mmu_cur->be;
	struct mmu_leaf l, first;
	paddr_t run[SCAN_RUN];
	while (!s->err && !s->done) {
		unsigned n = 0;
		bool linear = false;
		/* Mostly a leaf starts right at s->va (the last run ended at its
		 * table's end): read from there at once; the walk for the next
		 * leaf, from the root when the cursor's table is done, only for a
		 * hole or another kind of entry. */
		if (be->leaves)
			n = be->leaves(ta, s->va, s->last, &first, run, SCAN_RUN, &linear);
		if (!n) {
			if (be->next(ta, s->va, s->last, &l))
				break;
			if (!l.attr.annotated && be->leaves)
				n = be->leaves(ta, l.va, s->last, &first, run, SCAN_RUN, &linear);
		}
		if (n) {
			if (linear && n >= SCAN_LINEAR) {
				s->run_va = first.va;
				s->run_pa = first.pa;
				s->run_word = mmu_entry_key_of_leaf(&first.attr, first.order);
				s->run_step = entry_bytes(first.order);
				scan_past(s, first.va + (n - 1) * s->run_step, s->run_step);
				return n;
			}
			for (unsigned i = 0; linear && i < n; i++)   /* short: n < SCAN_LINEAR */
				run[i] = first.pa + i * entry_bytes(first.order);
			scan_run(s, &first, run, n, fn, priv);
			continue;
		}
		mmu_entry_t e;
		vaddr_t va = s->va;
		if ((s->err = mmu_find_call_(ta, l.va > va ? l.va : va, &e)) != 0)
			break;
		vaddr_t base = ta->win.cur_va;
		scan_past(s, base, entry_bytes(e.order));
		mmu_entry_t keep = fn(e, base, priv);
		if (!same_entry(e, keep))
			s->err = mmu_update(ta, keep);
	}
	return 0;
}

/* The scan's transaction: committed, or forgotten after an error (then
 * nothing changed). Returns 0 or the first error. */
int mmu_scan_end_(struct mmu_scan_ *s)
{
	if (s->err) {
		mmu_forget(&s->ta);
		return s->err;
	}
	return mmu_commit(&s->ta);
}

/* Calls fn once per entry overlapping [start, end), in address order, and
 * applies what it returns through mmu_update, all in one transaction.
 * Returns 0, or the first error (then nothing changed). The inline
 * definition is in include/mmu.h. */
extern inline int mmu_scan(mmu_translation_set_t *t, vaddr_t start, vaddr_t end,
                           mmu_scan_fn fn, void *priv);

bool mmu_fault_accessed(mmu_translation_set_t *t, vaddr_t va, unsigned access)
{
	if (!t || t->magic != MMU_SET_MAGIC || t->mode != mmu_cur)
		return false;
	mmu_transaction_t ta;
	mmu_entry_t e;
	mmu_transaction(&ta, t);
	if (!mmu_find_call_(&ta, va, &e)) {
		unsigned p = e.prot, kind = access & (MMU_READ | MMU_WRITE | MMU_EXEC);
		bool allowed = (!(access & MMU_USER) || (p & MMU_USER)) &&
		               (kind == MMU_EXEC ? p & MMU_EXEC : kind == MMU_WRITE ? p & MMU_WRITE :
		                p & MMU_READ);
		bool old = e.flags & MMU_EF_OLD, clean = kind == MMU_WRITE && (e.flags & MMU_EF_CLEAN);
		if (allowed && (old || clean)) {
			e.flags &= (uint8_t)~(MMU_EF_OLD | (clean ? MMU_EF_CLEAN : 0));
			if (mmu_update(&ta, e)) {
				mmu_forget(&ta);
				return false;
			}
			return !mmu_commit(&ta);   /* a failed commit is over, nothing changed */
		}
	}
	mmu_forget(&ta);
	return false;
}

void mmu_stats(mmu_translation_set_t *t, struct mmu_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!t || t->magic != MMU_SET_MAGIC)
		return;
	/* The set's own counts (commits under the set lock) read under that
	 * lock, plus what leaf-only commits counted in the lock lines, each
	 * under its line's lock: every commit counts whole or not at all. */
	struct mmu_set_counts u;
	uint64_t ops[4] = { 0, 0, 0, 0 };
	lock_commit_hold(t);
	u = t->counts;
	out->table_pages = t->table_pages;
	out->tlb_flushes = t->tlb_ops[0] + t->tlb_ops[1] + t->tlb_ops[2] + t->tlb_ops[3];
	lock_commit_drop(t);
	lock_sum_stats(t, &u, ops);
	lock_kernel_stats(t->mode);
	struct mmu_set_counts k = t->mode->kernel_counts;
	lock_kernel_stats_end(t->mode);
	for (unsigned i = 0; i < 64; i++)
		out->entries[i] = u.entries[i] + k.entries[i];
	for (unsigned i = 0; i < 8; i++)
		out->counters[i] = u.counters[i] + k.counters[i];
	out->mapped_bytes = u.mapped_bytes + k.mapped_bytes;
	out->table_bytes = out->table_pages << t->mode->geo.page_shift;
	for (unsigned i = 0; i < 4; i++)
		out->tlb_flushes += ops[i];
}

/* ---- host introspection (the host build only) ------------------------------- */

#ifdef MMU_HOST

int mmu_host_hwstate(mmu_translation_set_t *t, struct mmu_host_hwstate *out)
{
	if (!t || t->magic != MMU_SET_MAGIC)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	t->mode->be->hwstate(t, out);
	return 0;
}

size_t mmu_host_snapshot(mmu_translation_set_t *t, void *buf, size_t max)
{
	if (!t || t->magic != MMU_SET_MAGIC)
		return 0;
	size_t at = t->mode->be->snapshot(t, buf, max);
	at = meta_snapshot(&t->meta, buf, max, at);
	return meta_snapshot(&t->mode->kernel_meta, buf, max, at);
}

/* mmu_host_init, before it drops the simulated memory: -EBUSY while a set
 * exists; otherwise forget the mode and its kernel half without freeing
 * (their pages go with the memory) and number sets from 1 again, as at
 * process start (mmu-api.md, "Host build"). */
int mmu_host_forget(void)
{
	if (all_sets)
		return -EBUSY;
	mmu_cur = NULL;
	next_asid = 1;
	for (size_t i = 0; i < mmu_nmodes; i++)
		mmu_modes[i]->kernel_gen++;   /* no view cached before survives */
	return 0;
}

uint64_t mmu_host_tlb_ops(mmu_translation_set_t *t, enum mmu_tlb_kind kind)
{
	if (!t || t->magic != MMU_SET_MAGIC || (unsigned)kind > MMU_TLB_ALL)
		return 0;
	struct mmu_set_counts c = { 0 };
	uint64_t ops[4] = { 0, 0, 0, 0 };
	lock_sum_stats(t, &c, ops);
	return t->tlb_ops[kind] + ops[kind];
}
#endif
