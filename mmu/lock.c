/*
 * The MMU layer's locks: region stripes, the commit lock and its sequence
 * count, readers in flight, the kernel half's claim (design in lock.h and
 * docs/transactions.md, "Locking").
 */
#include "lock.h"

#define STRIPES 64u

/* The stripes covering [first, last]: every one when the span reaches 64
 * regions, or when the mode locks the set as a whole (lock_shift 0: the
 * hashed table shares its buckets across all addresses). */
static uint64_t stripes(const mmu_translation_set_t *t, vaddr_t first, vaddr_t last)
{
	unsigned sh = t->mode->lock_shift;
	if (!sh)
		return ~0ull;
	vaddr_t r0 = first >> sh, r1 = last >> sh;
	if (r1 - r0 >= STRIPES - 1)
		return ~0ull;
	unsigned a = (unsigned)(r0 % STRIPES), n = (unsigned)(r1 - r0) + 1;
	uint64_t run = n == 64 ? ~0ull : (1ull << n) - 1;
	return run << a | (a ? run >> (STRIPES - a) : 0);   /* wraps past stripe 63 */
}

static int take(mmu_transaction_t *ta, uint64_t want)
{
	want &= ~ta->lk_held;
	if (!want)
		return 0;
	uint64_t *word = &ta->set->lk.held;
	uint64_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
	do {
		if (old & want)
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(word, &old, old | want, true,
	                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	ta->lk_held |= want;
	return 0;
}

int lock_span(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	return take(ta, stripes(ta->set, first, last));
}

int lock_whole(mmu_transaction_t *ta)
{
	return take(ta, ~0ull);
}

bool lock_holds(const mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	uint64_t want = stripes(ta->set, first, last);
	return (ta->lk_held & want) == want;
}

void lock_release(mmu_transaction_t *ta)
{
	if (ta->lk_held)
		__atomic_fetch_and(&ta->set->lk.held, ~ta->lk_held, __ATOMIC_RELEASE);
	ta->lk_held = 0;
}

/* ---- the commit lock and its sequence count ---- */

void lock_commit_begin(mmu_translation_set_t *t)
{
	uint32_t *l = &t->lk.commit;
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			;
	/* Odd while publishing; the fence orders the count before the stores
	 * that publish (the seqlock writer's side). */
	__atomic_store_n(&t->lk.seq, t->lk.seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void lock_commit_end(mmu_translation_set_t *t)
{
	__atomic_store_n(&t->lk.seq, t->lk.seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->lk.commit, 0, __ATOMIC_RELEASE);
}

/* ---- lockless readers ---- */

uint64_t lock_read_begin(mmu_translation_set_t *t)
{
	for (;;) {
		/* Counted in before looking: a commit that has not seen the
		 * count yet frees nothing this walk can reach (its unlinking
		 * stores precede its look at the count, all sequentially
		 * consistent). */
		__atomic_fetch_add(&t->lk.readers, 1, __ATOMIC_SEQ_CST);
		uint64_t s = __atomic_load_n(&t->lk.seq, __ATOMIC_SEQ_CST);
		if (!(s & 1))
			return s;
		/* A commit is publishing: step out so it can free, then wait. */
		__atomic_fetch_sub(&t->lk.readers, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&t->lk.seq, __ATOMIC_RELAXED) == s)
			;
	}
}

bool lock_read_end(mmu_translation_set_t *t, uint64_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	bool same = __atomic_load_n(&t->lk.seq, __ATOMIC_RELAXED) == seq;
	__atomic_fetch_sub(&t->lk.readers, 1, __ATOMIC_RELEASE);
	return same;
}

void lock_wait_readers(mmu_translation_set_t *t)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(&t->lk.readers, __ATOMIC_ACQUIRE))
		;
}

/* ---- the kernel half ---- */

int lock_kernel_claim(mmu_transaction_t *ta)
{
	struct mmu_transaction *none = NULL;
	struct mmu_mode *m = ta->set->mode;
	if (__atomic_load_n(&m->kernel_owner, __ATOMIC_RELAXED) == ta)
		return 0;
	return __atomic_compare_exchange_n(&m->kernel_owner, &none, ta, false, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED) ? 0 : -EBUSY;
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

/* ---- the set list ---- */

static uint32_t sets_lock;

void lock_sets(void)
{
	while (__atomic_exchange_n(&sets_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&sets_lock, __ATOMIC_RELAXED))
			;
}

void lock_sets_end(void)
{
	__atomic_store_n(&sets_lock, 0, __ATOMIC_RELEASE);
}
