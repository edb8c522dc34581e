/*
 * The MMU layer's locks: the set's lock lines (regions held, leaf-only
 * commits in flight, their statistics), the commit lock and its sequence
 * count, readers in flight, the kernel half's claim (design in lock.h and
 * docs/transactions.md, "Locking").
 */
#include <stddef.h>
#include "lock.h"

#define ALL      (~(uint64_t)0)   /* a slot's region: every region (the set whole) */

_Static_assert(sizeof(struct lk_line) == LK_LINE_BYTES, "mmu_types.h: LK_LINE_BYTES");
_Static_assert(LK_LINE_BYTES % LK_ALIGN == 0, "lock lines start on cache lines");
_Static_assert(LK_LINES <= 32, "mmu_transaction.lk_held has a bit per line");

static void spin_lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			;
}

static void spin_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* Another's slot, under the spin lock: a holder frees its slot without
 * it (lock_fast_end), with a release store this acquire pairs with, so
 * whoever takes the slot next sees its counts and the freeing commit's
 * stores. */
static mmu_transaction_t *slot_holder(const struct lk_line *ln, unsigned k)
{
	return __atomic_load_n(&ln->slot[k].ta, __ATOMIC_ACQUIRE);
}

/* ta's first slot in line ln, which it holds a region of: the slot a
 * commit over several lines begins and ends in. A commit of one line uses
 * ta->lk_slot (the slot taken last) at both ends instead: no scan, and
 * when ta holds two regions of the line the two are not the same slot. */
static struct lk_slot *own_slot(struct lk_line *ln, const mmu_transaction_t *ta)
{
	unsigned k = 0;
	while (k < LK_SLOTS - 1 && lock_slot_ta(ln, k) != ta)
		k++;
	return &ln->slot[k];
}

static uint64_t slot_region(const struct lk_line *ln, unsigned k)
{
	return __atomic_load_n(&ln->slot[k].region, __ATOMIC_RELAXED);
}

static void slot_set(struct lk_line *ln, unsigned k, mmu_transaction_t *ta, uint64_t region)
{
	__atomic_store_n(&ln->slot[k].region, region, __ATOMIC_RELAXED);
	__atomic_store_n(&ln->slot[k].ta, ta, __ATOMIC_RELAXED);
}

/* Whether ta holds region r (or the set whole) in its line: read without
 * the spin lock, see slot_ta. */
static bool holds_region(const mmu_transaction_t *ta, uint64_t r)
{
	if (ta->lk_whole)
		return true;
	unsigned li = (unsigned)(r % LK_LINES);
	if (!(ta->lk_held & (1u << li)))
		return false;
	const struct lk_line *ln = &lock_lines(ta->set)[li];
	for (unsigned k = 0; k < LK_SLOTS; k++)
		if (lock_slot_ta(ln, k) == ta && (slot_region(ln, k) == r || slot_region(ln, k) == ALL))
			return true;
	return false;
}

/* Take region r of line li for ta: 0, -EBUSY (another transaction holds
 * it or the set whole) or -ENOSPC (no free slot in the line), in one pass
 * over the slots. The first take of a one-page transaction. */
static int take_region(mmu_transaction_t *ta, unsigned li, uint64_t r)
{
	struct lk_line *ln = &lock_lines(ta->set)[li];
	int free = -1, err = 0;
	spin_lock(&ln->spin);
#pragma GCC unroll 4
	for (int k = LK_SLOTS - 1; k >= 0; k--) {   /* downwards: free ends at the lowest */
		mmu_transaction_t *h = slot_holder(ln, (unsigned)k);
		uint64_t hr = ln->slot[k].region;
		if (!h)
			free = k;
		else if (hr == r || hr == ALL) {
			err = -EBUSY;   /* held by another, or already by ta */
			if (h == ta) {
				err = 0;
				ta->lk_slot = (uint8_t)k;
			}
			goto out;
		}
	}
	if (free < 0) {
		err = -ENOSPC;
		goto out;
	}
	slot_set(ln, (unsigned)free, ta, r);
	ta->lk_slot = (uint8_t)free;
	ta->lk_held |= 1u << li;
out:
	spin_unlock(&ln->spin);
	return err;
}

/* take_region for lock_span_many, apart: with a copy inlined there too,
 * lock_span_'s one-region take measured 8-10% slower per one-page
 * transaction (bench/scale, x86-64-4level, at the same instruction count:
 * code placement), so only lock_span_ has it inline. */
static __attribute__((noinline)) int take_region_slow(mmu_transaction_t *ta, unsigned li,
                                                      uint64_t r)
{
	return take_region(ta, li, r);
}

/* Take every region of line li for ta (the set whole): 0, or -EBUSY when
 * another transaction holds any. ta's own regions of the line are
 * subsumed: their slots are freed, the lowest free slot says ALL. */
static int take_all(mmu_transaction_t *ta, unsigned li)
{
	struct lk_line *ln = &lock_lines(ta->set)[li];
	int free = -1, err = 0;
	spin_lock(&ln->spin);
	for (unsigned k = 0; k < LK_SLOTS; k++) {
		mmu_transaction_t *h = slot_holder(ln, k);
		if (h && h != ta) {
			err = -EBUSY;
			goto out;
		}
		if (h && ln->slot[k].region == ALL)
			goto out;   /* held already */
	}
	for (unsigned k = 0; k < LK_SLOTS; k++)
		if (!slot_holder(ln, k) || lock_slot_ta(ln, k) == ta) {
			slot_set(ln, k, NULL, 0);
			if (free < 0)
				free = (int)k;
		}
	slot_set(ln, (unsigned)free, ta, ALL);   /* free >= 0: nobody else is here */
	ta->lk_slot = (uint8_t)free;   /* its slots of the line were freed */
	ta->lk_held |= 1u << li;
out:
	spin_unlock(&ln->spin);
	return err;
}

/* The regions [first, last] span, 0 when the mode locks the set as a
 * whole (lock_shift 0: the hashed table shares its buckets across all
 * addresses) or the span has more than LK_LINES regions. */
static uint64_t span(const mmu_translation_set_t *t, vaddr_t first, vaddr_t last, uint64_t *r0)
{
	unsigned sh = t->mode->lock_shift;
	if (!sh)
		return 0;
	*r0 = first >> sh;
	uint64_t n = (last >> sh) - *r0 + 1;
	return n > LK_LINES ? 0 : n;
}

int lock_whole(mmu_transaction_t *ta)
{
	if (ta->lk_whole)
		return 0;
	for (unsigned li = 0; li < LK_LINES; li++) {
		int err = take_all(ta, li);
		if (err)
			return err;
	}
	ta->lk_whole = true;
	ta->lk_lo = 0;
	ta->lk_hi = ~(vaddr_t)0;
	return 0;
}

/* Remember [r0's region] as held (lock.h, lock_span): ta holds it to
 * commit or forget, which empty the range again. */
static void note_held(mmu_transaction_t *ta, uint64_t r0)
{
	unsigned sh = ta->set->mode->lock_shift;
	ta->lk_lo = (vaddr_t)r0 << sh;
	ta->lk_hi = ta->lk_lo + (((vaddr_t)1 << sh) - 1);
}

static int lock_span_many(mmu_transaction_t *ta, vaddr_t first, vaddr_t last);

int lock_span_(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	if (ta->lk_whole)
		return 0;
	unsigned sh = ta->set->mode->lock_shift;
	uint64_t r0 = first >> sh;
	if (!sh || r0 != last >> sh)
		return lock_span_many(ta, first, last);
	/* One region: the common case, kept apart so that it saves few
	 * registers. */
	unsigned li = (unsigned)(r0 % LK_LINES);
	if (!(ta->lk_held & (1u << li)) || !holds_region(ta, r0)) {
		int err = take_region(ta, li, r0);
		if (err)
			return err == -ENOSPC ? lock_whole(ta) : err;
	}
	note_held(ta, r0);
	return 0;
}

/* lock_span_ of more than one region, or in a mode that locks the set
 * whole (lock_shift 0): never one region, which lock_span_ takes and notes
 * itself. */
static __attribute__((noinline)) int lock_span_many(mmu_transaction_t *ta, vaddr_t first,
                                                    vaddr_t last)
{
	uint64_t r0 = 0, n = span(ta->set, first, last, &r0);
	if (!n)
		return lock_whole(ta);
	for (uint64_t r = r0; r < r0 + n; r++) {
		/* The line's bit first: a line ta holds nothing in costs no
		 * call. */
		if ((ta->lk_held & (1u << (r % LK_LINES))) && holds_region(ta, r))
			continue;
		int err = take_region_slow(ta, (unsigned)(r % LK_LINES), r);
		/* A full line (say ta's own regions r, r + LK_LINES, ...):
		 * the set whole instead, which needs nobody else in it. */
		if (err == -ENOSPC)
			return lock_whole(ta);
		if (err)
			return err;
	}
	return 0;
}

bool lock_holds_(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	if (ta->lk_whole)
		return true;
	uint64_t r0 = 0, n = span(ta->set, first, last, &r0);
	if (!n)
		return false;
	for (uint64_t r = r0; r < r0 + n; r++)
		if (!holds_region(ta, r))
			return false;
	if (n == 1)
		note_held(ta, r0);
	return true;
}

bool lock_idle(mmu_transaction_t *ta, vaddr_t va)
{
	unsigned sh = ta->set->mode->lock_shift;
	if (!sh)
		return false;
	uint64_t r = va >> sh;
	struct lk_line *ln = &lock_lines(ta->set)[r % LK_LINES];
	bool idle = true;
	/* A slot seen free (an acquire load) orders this after the release
	 * of whoever held r last (lock_release and lock_fast_end free a slot
	 * after publishing), so a read of r's tables after this sees that
	 * holder's commit. */
	spin_lock(&ln->spin);
	for (unsigned k = 0; k < LK_SLOTS; k++) {
		mmu_transaction_t *h = slot_holder(ln, k);
		uint64_t hr = ln->slot[k].region;
		if (h && h != ta && (hr == r || hr == ALL))
			idle = false;
	}
	spin_unlock(&ln->spin);
	return idle;
}

void lock_release(mmu_transaction_t *ta)
{
	struct lk_line *ls = lock_lines(ta->set);
	for (uint32_t m = ta->lk_held; m; m &= m - 1) {
		struct lk_line *ln = &ls[__builtin_ctz(m)];
		spin_lock(&ln->spin);
		lock_free_slots(ln, ta);
		spin_unlock(&ln->spin);
	}
	lock_txn_init(ta);
}

/* ---- leaf-only commits ---- */

/* Add d to line ln's statistics: false (nothing added) when its orders do
 * not fit the line. Under ln's spin lock. */
static bool count_in(struct lk_line *ln, const struct txn_delta *d)
{
	int at[3];
	unsigned used = ln->used;
	for (unsigned i = 0; i < d->used; i++) {
		unsigned k = 0;
		while (k < used && ln->order[k] != d->order[i])
			k++;
		if (k == used) {
			if (used == LK_ORDERS)
				return false;
			used++;   /* claimed below, once all fit */
		}
		at[i] = (int)k;
	}
	for (unsigned i = 0; i < d->used; i++) {
		unsigned k = (unsigned)at[i];
		if (k >= ln->used) {
			ln->order[k] = d->order[i];
			ln->n[k] = 0;
			/* Release: a holder reading used without the spin lock
			 * (lock_fast_begin) sees order[k] set. */
			__atomic_store_n(&ln->used, (uint8_t)(k + 1), __ATOMIC_RELEASE);
		}
		ln->n[k] += d->n[i];
	}
	ln->mapped += d->mapped;
	return true;
}

int lock_fast_begin_many(mmu_transaction_t *ta,
                                                          const struct txn_delta *d)
{
	uint32_t m = ta->lk_held;
	/* Statistics go to the lowest line held, under its spin lock (the
	 * orders may not be the line's first, or the line has none yet); every
	 * line held marks the commit begun in ta's slot there. */
	struct lk_line *ls = lock_lines(ta->set), *ln = &ls[__builtin_ctz(m)];
	spin_lock(&ln->spin);
	bool fits = count_in(ln, d);
	spin_unlock(&ln->spin);
	if (!fits)
		return 0;
	/* Begun in the slot the commit will end in: one line ends inline in
	 * ta->lk_slot (lock_fast_end), which need not be ta's first slot of
	 * the line when ta holds two regions there; several lines end in
	 * own_slot (lock_fast_end_many). Else the slot's seqlock stays odd and
	 * every reader of it (mmu_stats, lockless finds) spins. */
	if (!(m & (m - 1))) {
		lock_slot_begin(&ln->slot[ta->lk_slot]);
		return LK_COUNTED;
	}
	for (; m; m &= m - 1)
		lock_slot_begin(own_slot(&ls[__builtin_ctz(m)], ta));
	return LK_COUNTED;
}

void lock_fast_end_many(mmu_transaction_t *ta,
                                                         const struct txn_delta *d,
                                                         const uint8_t tlb_ops[4])
{
	struct lk_line *ls = lock_lines(ta->set);
	bool first = true;
	for (uint32_t m = ta->lk_held; m; m &= m - 1, first = false) {
		struct lk_line *ln = &ls[__builtin_ctz(m)];
		lock_end_in(ln, own_slot(ln, ta), ta, first ? d : NULL, first ? tlb_ops : NULL);
	}
	lock_txn_init(ta);
}

/* Slot s's counts, whole: read between its commits (the seqlock reader's
 * side of struct lk_slot; a commit in flight is waited out). */
static void slot_counts(const struct lk_slot *s, int64_t *mapped, int64_t *n, uint64_t tlb[4])
{
	for (;;) {
		uint32_t e = __atomic_load_n(&s->ended, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->begun, __ATOMIC_RELAXED) != e)
			continue;
		*mapped = __atomic_load_n(&s->mapped, __ATOMIC_RELAXED);
		*n = __atomic_load_n(&s->n, __ATOMIC_RELAXED);
		for (unsigned k = 0; k < 4; k++)
			tlb[k] = __atomic_load_n(&s->tlb_ops[k], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->begun, __ATOMIC_RELAXED) == e)
			return;
	}
}

void lock_sum_stats(mmu_translation_set_t *t, struct mmu_set_counts *c, uint64_t tlb_ops[4])
{
	struct lk_line *ls = lock_lines(t);
	for (unsigned li = 0; li < LK_LINES; li++) {
		struct lk_line *ln = &ls[li];
		spin_lock(&ln->spin);
		for (unsigned k = 0; k < ln->used; k++)
			c->entries[ln->order[k]] += (uint64_t)ln->n[k];
		c->mapped_bytes += (uint64_t)ln->mapped;
		/* A slot's entries are of order[0]: none before the line has
		 * one (lock_fast_begin). */
		for (unsigned k = 0; k < LK_SLOTS; k++) {
			int64_t mapped, n;
			uint64_t tlb[4];
			slot_counts(&ln->slot[k], &mapped, &n, tlb);
			if (ln->used)
				c->entries[ln->order[0]] += (uint64_t)n;
			c->mapped_bytes += (uint64_t)mapped;
			for (unsigned j = 0; j < 4; j++)
				tlb_ops[j] += tlb[j];
		}
		spin_unlock(&ln->spin);
	}
}

unsigned lock_holders(mmu_translation_set_t *t, mmu_transaction_t **out, unsigned max)
{
	struct lk_line *ls = lock_lines(t);
	unsigned n = 0;
	for (unsigned li = 0; li < LK_LINES; li++) {
		spin_lock(&ls[li].spin);
		for (unsigned k = 0; k < LK_SLOTS; k++) {
			mmu_transaction_t *h = slot_holder(&ls[li], k);
			unsigned j = 0;
			while (h && j < n && out[j] != h)
				j++;
			if (h && j == n && n < max)
				out[n++] = h;
		}
		spin_unlock(&ls[li].spin);
	}
	return n;
}

/* ---- the commit lock and its sequence count ---- */

void lock_commit_begin(mmu_translation_set_t *t, bool kernel)
{
	spin_lock(&t->lk.commit);
	/* Odd while publishing; the fence orders the count before the stores
	 * that publish (the seqlock writer's side). Kernel-half changes are
	 * one at a time (lock_kernel_claim), so the mode's count has one
	 * writer too. */
	__atomic_store_n(&t->lk.seq, t->lk.seq + 1, __ATOMIC_RELAXED);
	if (kernel)
		__atomic_store_n(&t->mode->kernel_seq, t->mode->kernel_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void lock_commit_end(mmu_translation_set_t *t, bool kernel)
{
	if (kernel)
		__atomic_store_n(&t->mode->kernel_seq, t->mode->kernel_seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->lk.seq, t->lk.seq + 1, __ATOMIC_RELEASE);
	spin_unlock(&t->lk.commit);
}

void lock_commit_hold(mmu_translation_set_t *t)
{
	spin_lock(&t->lk.commit);
}

void lock_commit_drop(mmu_translation_set_t *t)
{
	spin_unlock(&t->lk.commit);
}

/* ---- lockless readers ---- */

/* What a read at va checks: the set's counters, or the mode's for the
 * kernel half (shared by every set: a commit on another set changes it). */
static void counters(mmu_translation_set_t *t, bool kernel, uint64_t **seq, uint32_t **readers)
{
	*seq = kernel ? &t->mode->kernel_seq : &t->lk.seq;
	*readers = kernel ? &t->mode->kernel_readers : &t->lk.readers;
}

static struct lk_line *line_of(mmu_translation_set_t *t, vaddr_t va)
{
	unsigned sh = t->mode->lock_shift;
	return sh ? &lock_lines(t)[(va >> sh) % LK_LINES] : NULL;
}

/* The leaf-only commits begun and ended in line ln, summed over its slots
 * (each slot's counts only grow, so the sums move whenever one does). */
static uint32_t line_ended(const struct lk_line *ln, int mo)
{
	uint32_t e = 0;
	for (unsigned k = 0; k < LK_SLOTS; k++)
		e += __atomic_load_n(&ln->slot[k].ended, mo);
	return e;
}

static uint32_t line_begun(const struct lk_line *ln, int mo)
{
	uint32_t b = 0;
	for (unsigned k = 0; k < LK_SLOTS; k++)
		b += __atomic_load_n(&ln->slot[k].begun, mo);
	return b;
}

struct lock_snap lock_read_begin(mmu_translation_set_t *t, vaddr_t va)
{
	struct lock_snap s = { .kernel = va >= t->mode->kernel_base };
	struct lk_line *ln = s.line = s.kernel ? NULL : line_of(t, va);
	uint64_t *seq;
	uint32_t *readers;
	counters(t, s.kernel, &seq, &readers);
	for (;;) {
		/* Counted in before looking: a commit that has not seen the
		 * count yet frees nothing this walk can reach (its unlinking
		 * stores precede its look at the count, all sequentially
		 * consistent). */
		__atomic_fetch_add(readers, 1, __ATOMIC_SEQ_CST);
		s.seq = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
		/* ended before begun: a commit seen ended is seen begun. */
		uint32_t e = ln ? line_ended(ln, __ATOMIC_ACQUIRE) : 0;
		s.begun = ln ? line_begun(ln, __ATOMIC_ACQUIRE) : 0;
		if (!(s.seq & 1) && s.begun == e)
			return s;
		/* A commit is publishing: step out so it can free, then wait. */
		__atomic_fetch_sub(readers, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(seq, __ATOMIC_RELAXED) == s.seq &&
		       (!ln || line_ended(ln, __ATOMIC_RELAXED) == e))
			;
	}
}

bool lock_read_end(mmu_translation_set_t *t, struct lock_snap s)
{
	struct lk_line *ln = s.line;
	uint64_t *seq;
	uint32_t *readers;
	counters(t, s.kernel, &seq, &readers);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	bool same = __atomic_load_n(seq, __ATOMIC_RELAXED) == s.seq &&
	            (!ln || line_begun(ln, __ATOMIC_RELAXED) == s.begun);
	__atomic_fetch_sub(readers, 1, __ATOMIC_RELEASE);
	return same;
}

void lock_wait_readers(mmu_translation_set_t *t, bool kernel)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(&t->lk.readers, __ATOMIC_ACQUIRE))
		;
	while (kernel && __atomic_load_n(&t->mode->kernel_readers, __ATOMIC_ACQUIRE))
		;
}

/* ---- the kernel half ---- */

int lock_kernel_claim(mmu_transaction_t *ta)
{
	struct mmu_transaction *none = NULL;
	struct mmu_mode *m = ta->set->mode;
	if (__atomic_load_n(&m->kernel_owner, __ATOMIC_RELAXED) == ta) {
		ta->lk_kernel = true;
		return 0;
	}
	if (!__atomic_compare_exchange_n(&m->kernel_owner, &none, ta, false, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		return -EBUSY;
	ta->lk_kernel = true;   /* release looks at the mode's word only then */
	return 0;
}

void lock_kernel_release(mmu_transaction_t *ta)
{
	struct mmu_transaction *me = ta, **owner = &ta->set->mode->kernel_owner;
	/* Looked at first: a compare-and-swap takes the (mode-wide) cache line
	 * even when it fails, and most transactions never claimed the half. */
	if (__atomic_load_n(owner, __ATOMIC_RELAXED) == ta)
		__atomic_compare_exchange_n(owner, &me, NULL, false, __ATOMIC_RELEASE,
		                            __ATOMIC_RELAXED);
}

void lock_kernel_stats(struct mmu_mode *m)
{
	spin_lock(&m->kernel_stats_lock);
}

void lock_kernel_stats_end(struct mmu_mode *m)
{
	spin_unlock(&m->kernel_stats_lock);
}

/* ---- the set list ---- */

static uint32_t sets_lock;

void lock_sets(void)
{
	spin_lock(&sets_lock);
}

void lock_sets_end(void)
{
	spin_unlock(&sets_lock);
}
