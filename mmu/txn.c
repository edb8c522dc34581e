/*
 * Transactions over table pages: private copies, a journal to unwind one
 * call, publish at commit. The design is described in txn.h.
 */
#include <string.h>
#include "txn.h"
#include "lock.h"

#define BOOK_SHIFT 12                 /* bookkeeping pages are 4 KiB everywhere */
#define BOOK_BYTES (1u << BOOK_SHIFT)

/* Records and state: a bump allocator over pages, freed as a whole. */
struct txn_arena {
	struct txn_arena *next;
	paddr_t pa;
	size_t used;
	uint64_t data[];
};
#define ARENA_ROOM (BOOK_BYTES - sizeof(struct txn_arena))

enum jkind { J_OWN, J_STORE, J_ZERO, J_FREE_USER, J_FREE_KERNEL };

struct jentry {
	enum jkind kind;
	bool     live;        /* J_FREE_*: a table the hardware may walk (counted
	                         in st->live_frees), not one born in this transaction */
	void    *ptr;         /* J_OWN: the record; J_STORE, J_ZERO: the (first) word */
	uint64_t val;         /* J_STORE: old value; J_ZERO: words; J_FREE_*: pa */
};

/* Journal chunks come from the arena too: a small transaction then needs
 * one bookkeeping page in all. */
struct txn_journal {
	struct txn_journal *prev, *next;
	uint64_t base;        /* index of e[0] in the whole journal */
	size_t n;
	struct jentry e[];
};
#define JCHUNK ((ARENA_ROOM - sizeof(struct txn_journal)) / sizeof(struct jentry) / 2)

#define NBUCKETS (sizeof(((struct mmu_txn_state *)0)->buckets) / sizeof(struct txn_page *))

static unsigned bucket_of(paddr_t pa)
{
	return (unsigned)((pa >> 12) * 0x9E3779B97F4A7C15ull >> 55) % NBUCKETS;
}

/* A generation of its own for each transaction and set: views cached under
 * (transaction, generations) (host/hashed.c's view cache) must never match
 * a later transaction or set that reuses the same memory, so each starts
 * 2^32 above the last, and counting up inside one never reaches the next. */
static uint64_t gen_epoch;
uint64_t txn_fresh_gen(void)
{
	return __atomic_add_fetch(&gen_epoch, 1, __ATOMIC_RELAXED) << 32;
}

unsigned txn_page_shift(void)
{
	return mmu_cur->geo.page_shift;
}

static void *arena_take(struct txn_arena **head, size_t bytes)
{
	struct txn_arena *a = *head;
	bytes = (bytes + 7) & ~(size_t)7;
	if (!a || a->used + bytes > ARENA_ROOM) {
		paddr_t pa = mmu_env_alloc_uninit(BOOK_SHIFT);
		if (!pa)
			return NULL;
#ifdef MMU_HOST
		__atomic_fetch_add(&mmu_host_book_bytes, BOOK_BYTES, __ATOMIC_RELAXED);
#endif
		a = mmu_env_phys_to_virt(pa);
		a->next = *head;
		a->pa = pa;
		a->used = 0;
		*head = a;
	}
	void *p = (char *)a->data + a->used;
	a->used += bytes;
	return p;
}

static int state_create(mmu_transaction_t *ta)
{
	struct txn_arena *arena = NULL;
	struct mmu_txn_state *st = arena_take(&arena, sizeof(*st));
	if (!st)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	st->arena = arena;
	st->born_op = ta->op_seq;
	ta->st = st;
	return 0;
}

int txn_need_state(mmu_transaction_t *ta)
{
	return ta->st ? 0 : state_create(ta);
}

static void state_destroy(mmu_transaction_t *ta)
{
	struct mmu_txn_state *st = ta->st;
	for (struct txn_arena *a = st->arena, *next; a; a = next) {
		next = a->next;
		mmu_env_free(a->pa, BOOK_SHIFT);
	}
	ta->st = NULL;
	ta->gen++;
}

static int journal(struct mmu_txn_state *st, enum jkind kind, void *ptr, uint64_t val)
{
	struct txn_journal *j = st->jhead;
	if (!j || j->n == JCHUNK) {
		j = arena_take(&st->arena, sizeof(*j) + JCHUNK * sizeof(j->e[0]));
		if (!j)
			return -ENOMEM;
		j->prev = st->jhead;
		j->next = NULL;
		j->base = st->jlen;
		j->n = 0;
		if (st->jhead)
			st->jhead->next = j;
		st->jhead = j;
	}
	j->e[j->n++] = (struct jentry){ kind, false, ptr, val };
	st->jlen++;
	st->op_kept += kind != J_STORE && kind != J_ZERO;
	return 0;
}

/* Undo the newest journal entry. */
static void journal_pop(struct mmu_txn_state *st)
{
	struct txn_journal *j = st->jhead;
	while (j->n == 0)
		j = st->jhead = j->prev;
	struct jentry *e = &j->e[--j->n];
	st->jlen--;
	if (e->kind == J_STORE) {
		*(uint64_t *)e->ptr = e->val;
	} else if (e->kind == J_ZERO) {
		memset(e->ptr, 0, e->val * sizeof(uint64_t));
	} else if (e->kind == J_FREE_USER || e->kind == J_FREE_KERNEL) {
		st->live_frees -= e->live;
		st->user_frees -= e->kind == J_FREE_USER;
	} else if (e->kind == J_OWN) {
		/* Records are undone newest first, so this one heads both lists. */
		struct txn_page *pg = e->ptr;
		struct txn_page **b = &st->buckets[bucket_of(pg->live ? pg->live : pg->pa)];
		if (*b != pg || st->all != pg)
			panic_mmu("txn: undoing record %#llx out of order",
			          (unsigned long long)pg->pa);
		*b = pg->next;
		st->all = pg->all;
		mmu_env_free(pg->pa, txn_page_shift());
	}
}

/*
 * A call succeeded: its stores will never be undone one by one again
 * (forget drops every private page whole), so keep only its records and
 * frees. A bulk map then journals nothing that outlives its call.
 */
static void journal_compact(struct mmu_txn_state *st, uint64_t from)
{
	struct txn_journal *rc = st->jhead;
	if (!st->op_kept && rc && rc->base <= from) {   /* stores only, one chunk */
		rc->n = from - rc->base;
		st->jlen = from;
		return;
	}
	while (rc && rc->base > from)
		rc = rc->prev;
	if (!rc)
		return;
	struct txn_journal *wc = rc;
	size_t ri = from - rc->base, wi = ri;
	for (; rc; rc = rc->next, ri = 0)
		for (; ri < rc->n; ri++) {
			if (rc->e[ri].kind == J_STORE || rc->e[ri].kind == J_ZERO)
				continue;
			if (wi == JCHUNK)
				wc = wc->next, wi = 0;
			wc->e[wi++] = rc->e[ri];
		}
	wc->n = wi;
	wc->next = NULL;   /* later chunks stay in the arena until the end */
	st->jhead = wc;
	st->jlen = wc->base + wi;
}

int txn_op_begin(mmu_transaction_t *ta)
{
	ta->op_seq++;
	ta->def.mark = ta->def.n;
	if (ta->st) {
		ta->st->op_mark = ta->st->jlen;
		ta->st->op_kept = 0;
		ta->st->saved_valid = false;
	}
	return 0;
}

void txn_save_counts(mmu_transaction_t *ta)
{
	ta->saved_flush = ta->flush;
	ta->saved_delta[0] = ta->delta[0];
	ta->saved_delta[1] = ta->delta[1];
	if (ta->st) {
		memcpy(ta->st->saved_counts, ta->st->counts, sizeof(ta->st->counts));
		ta->st->saved_valid = true;
	}
}

void txn_restore_counts(mmu_transaction_t *ta)
{
	ta->flush = ta->saved_flush;
	ta->delta[0] = ta->saved_delta[0];
	ta->delta[1] = ta->saved_delta[1];
	/* A state created by this call goes whole in txn_op_end. */
	if (ta->st && ta->st->saved_valid)
		memcpy(ta->st->counts, ta->st->saved_counts, sizeof(ta->st->counts));
}

void txn_op_end(mmu_transaction_t *ta, int err)
{
	struct mmu_txn_state *st = ta->st;
	if (!err) {
		if (st)
			journal_compact(st, st->op_mark);
		return;
	}
	if (st) {
		while (st->jlen > st->op_mark)
			journal_pop(st);
		if (st->born_op == ta->op_seq)
			state_destroy(ta);     /* held nothing before this call */
	}
	if (ta->def.spill_op == ta->op_seq) {
		ta->def.spill_op = 0;      /* the page copies are gone: the stores are back */
		ta->def.n = ta->def.spill_n;
	}
	if (ta->def.n > ta->def.mark)
		ta->def.n = ta->def.mark;
	ta->gen++;
}

/* ---- deferred stores ---- */

uint64_t txn_def_read(const mmu_transaction_t *ta, const uint64_t *word, uint64_t v)
{
	for (unsigned i = ta->def.n; i-- > 0;)
		if (ta->def.e[i].word == word)
			return ta->def.e[i].val;
	return v;
}

bool txn_def_in_page(const mmu_transaction_t *ta, paddr_t pa)
{
	for (unsigned i = 0; i < ta->def.n; i++)
		if (ta->def.e[i].page == pa)
			return true;
	return false;
}

bool txn_def_superseded(const mmu_transaction_t *ta, unsigned i)
{
	for (unsigned j = i + 1; j < ta->def.n; j++)
		if (ta->def.e[j].word == ta->def.e[i].word)
			return true;
	return false;
}

struct txn_page *txn_lookup_state(mmu_transaction_t *ta, paddr_t pa)
{
	struct mmu_txn_state *st = ta->st;
	for (struct txn_page *pg = st->buckets[bucket_of(pa)]; pg; pg = pg->next)
		if ((pg->live ? pg->live : pg->pa) == pa)
			return pg;
	return NULL;
}

void *txn_view(mmu_transaction_t *ta, paddr_t pa)
{
	struct txn_page *pg = txn_lookup(ta, pa);
	return pg ? pg->ptr : mmu_env_phys_to_virt(pa);
}

static struct txn_page *record(mmu_transaction_t *ta, paddr_t live, paddr_t pa, int *err)
{
	struct mmu_txn_state *st;
	if (txn_need_state(ta)) {
		mmu_env_free(pa, txn_page_shift());
		*err = -ENOMEM;
		return NULL;
	}
	st = ta->st;
	struct txn_page *pg = arena_take(&st->arena, sizeof(*pg));
	if (!pg || journal(st, J_OWN, pg, 0)) {
		mmu_env_free(pa, txn_page_shift());
		*err = -ENOMEM;
		return NULL;
	}
	*pg = (struct txn_page){ .live = live, .pa = pa, .ptr = mmu_env_phys_to_virt(pa),
	                         .born_op = ta->op_seq,
	                         .stored_lo = UINT32_MAX };
	struct txn_page **b = &st->buckets[bucket_of(live ? live : pa)];
	pg->next = *b;
	*b = pg;
	pg->all = st->all;
	st->all = pg;
	/* A transaction takes its generation of its own (txn_fresh_gen) only
	 * now, when its first private page appears: before that, every view
	 * it could have cached is of a live page, which stays right for any
	 * transaction at the same address until a commit moves the set's or
	 * the kernel half's generation. A read-only or deferring transaction
	 * never pays the atomic. */
	if (ta->gen < TXN_GEN_EPOCH)
		ta->gen += txn_fresh_gen();
	ta->gen++;
	return pg;
}

/* Move the deferred stores into copies of their pages: done before any
 * live page is copied, so that no copy misses one of them. Undone with
 * the call if it fails (txn_op_end). */
static int spill(mmu_transaction_t *ta)
{
	unsigned n = ta->def.n;
	/* A copy of a live table above the leaves holds slots of regions other
	 * transactions may change: that takes the set as a whole (lock.h). */
	for (unsigned i = 0; i < n; i++)
		if (ta->def.e[i].level && !ta->def.e[i].kernel) {
			int err = lock_whole(ta);
			if (err)
				return err;
			break;
		}
	ta->def.spill_op = ta->op_seq;
	ta->def.spill_n = ta->def.n;
	ta->def.n = 0;
	ta->gen++;
	for (unsigned i = 0; i < n; i++) {
		const struct txn_def *d = &ta->def.e[i];
		int err = 0;
		struct txn_page *pg = txn_own(ta, d->page, &err);
		if (!pg)
			return err;
		pg->level = d->level;
		pg->va = d->table_va;
		pg->kernel = d->kernel;
		if ((err = txn_store(ta, pg, d->idx, d->val)))
			return err;
	}
	return 0;
}

struct txn_page *txn_own(mmu_transaction_t *ta, paddr_t pa, int *err)
{
	struct txn_page *pg = txn_lookup(ta, pa);
	if (pg)
		return pg;
	if (ta->def.n && (*err = spill(ta)))
		return NULL;
	if ((pg = txn_lookup(ta, pa)))
		return pg;
	paddr_t copy = mmu_env_alloc_uninit(txn_page_shift());
	if (!copy) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(mmu_env_phys_to_virt(copy), mmu_env_phys_to_virt(pa), (size_t)1 << txn_page_shift());
	return record(ta, pa, copy, err);
}

static struct txn_page *born(mmu_transaction_t *ta, bool kernel, bool zero, int *err)
{
	paddr_t pa = zero ? mmu_env_alloc(txn_page_shift()) : mmu_env_alloc_uninit(txn_page_shift());
	if (!pa) {
		*err = -ENOMEM;
		return NULL;
	}
	struct txn_page *pg = record(ta, 0, pa, err);
	if (pg)
		pg->kernel = kernel;
	return pg;
}

struct txn_page *txn_new(mmu_transaction_t *ta, bool kernel, int *err)
{
	return born(ta, kernel, true, err);
}

struct txn_page *txn_new_whole(mmu_transaction_t *ta, bool kernel, int *err)
{
	return born(ta, kernel, false, err);
}

int txn_store(mmu_transaction_t *ta, struct txn_page *pg, size_t idx, uint64_t val)
{
	uint64_t *w = (uint64_t *)pg->ptr + idx;
	if (pg->born_op != ta->op_seq && *w != val) {
		int err = journal(ta->st, J_STORE, w, *w);
		if (err)
			return err;
	}
	*w = val;
	run_stored(pg, idx, idx);
	return 0;
}

int txn_stored_run(mmu_transaction_t *ta, struct txn_page *pg, size_t lo, size_t hi)
{
	uint64_t *w = (uint64_t *)pg->ptr + lo;
	if (pg->born_op != ta->op_seq) {
		int err = journal(ta->st, J_ZERO, w, hi - lo + 1);
		if (err) {
			memset(w, 0, (hi - lo + 1) * sizeof(uint64_t));
			return err;
		}
	}
	run_stored(pg, lo, hi);
	return 0;
}

int txn_store_word(mmu_transaction_t *ta, uint64_t *word, uint64_t val)
{
	if (*word != val && ta->st->born_op != ta->op_seq) {
		int err = journal(ta->st, J_STORE, word, *word);
		if (err)
			return err;
	}
	*word = val;
	return 0;
}

int txn_free(mmu_transaction_t *ta, paddr_t pa, bool kernel)
{
	int err = txn_need_state(ta);
	ta->gen++;
	if (err || (err = journal(ta->st, kernel ? J_FREE_KERNEL : J_FREE_USER, NULL, pa)))
		return err;
	/* Live unless born here (a page's record, if any, predates its free
	 * and is undone after it). Counted now, once: the commit's flush
	 * needs only whether any is live (journal_pop uncounts an undone one). */
	const struct txn_page *pg = txn_lookup(ta, pa);
	struct jentry *e = &ta->st->jhead->e[ta->st->jhead->n - 1];
	e->live = !pg || pg->live;
	ta->st->live_frees += e->live;
	ta->st->user_frees += !kernel;
	return 0;
}

struct txn_page *txn_pages(mmu_transaction_t *ta)
{
	return ta->st ? ta->st->all : NULL;
}

void txn_forget(mmu_transaction_t *ta)
{
	struct mmu_txn_state *st = ta->st;
	if (st)   /* views of its private pages cached elsewhere are stale (deferred
	           * stores alone leave none: no shared write for them) */
		__atomic_fetch_add(&ta->set->gen, 1, __ATOMIC_RELEASE);
	ta->def.n = 0;
	if (!st)
		return;
	while (st->jlen)
		journal_pop(st);
	state_destroy(ta);
}

static void add_delta(struct mmu_set_counts *c, const struct txn_delta *d)
{
	c->mapped_bytes += (uint64_t)d->mapped;
	for (unsigned i = 0; i < d->used; i++)
		c->entries[d->order[i]] += (uint64_t)d->n[i];
}

static void add_counts(struct mmu_set_counts *c, const struct mmu_set_counts *d)
{
	c->mapped_bytes += d->mapped_bytes;
	for (unsigned i = 0; i < 64; i++)
		c->entries[i] += d->entries[i];
	for (unsigned i = 0; i < 8; i++)
		c->counters[i] += d->counters[i];
}


/* Whether a change of the kernel half is pending (pages, deferred stores). */
bool txn_kernel_changed(const mmu_transaction_t *ta)
{
	if (ta->flush.global || ta->delta[1].used || ta->delta[1].mapped)
		return true;
	for (unsigned i = 0; i < ta->def.n; i++)
		if (ta->def.e[i].kernel)
			return true;
	for (struct txn_page *pg = ta->st ? ta->st->all : NULL; pg; pg = pg->all)
		if (pg->kernel)
			return true;
	return false;
}

void txn_tlb_flush(mmu_transaction_t *ta, const struct mmu_flush *f)
{
	ta->tlb_n[mmu_env_tlb_flush(ta->set, f)]++;
}

/* The one TLB operation of a commit, after its stores are published. */
static void commit_flush(mmu_transaction_t *ta)
{
	if (ta->flush.changed) {
		struct mmu_flush f = { ta->flush.start, ta->flush.end, ta->flush.pages,
		                       ta->flush.global, ta->flush.adds_only,
		                       ta->st && ta->st->live_frees };
		txn_tlb_flush(ta, &f);
	}
}

/*
 * A leaf-only commit (mmu/lock.h): nothing but deferred stores into leaf
 * tables of the user half, in regions ta holds, and ta does not hold the
 * set whole. It publishes without the set's commit lock: no table is
 * born, copied or freed, so no other transaction's cached view of a table
 * goes stale (the set's generation stays) and nothing waits for readers;
 * statistics and TLB operations go to ta's lock lines. False: nothing
 * done, commit under the set lock (txn_commit).
 */
bool txn_commit_fast(mmu_transaction_t *ta)
{
	const struct mmu_mode *m = ta->set->mode;
	if (ta->st || ta->def.upper || ta->flush.global || ta->delta[1].used ||
	    ta->delta[1].mapped || !m->lock_shift || !lock_fast_begin(ta, &ta->delta[0]))
		return false;
	if (ta->def.n)
		m->be->publish_def(ta);
	/* No page and nothing of the kernel half: all after_publish can have
	 * to do is break-before-make's flush and make (mmu_backend). */
	if (ta->bbm.changed)
		m->be->after_publish(ta);
	mmu_env_publish_barrier();
	if (ta->flush.changed)
		commit_flush(ta);
	ta->def.n = 0;
	lock_fast_end(ta, ta->tlb_n);
	return true;   /* a constant: nothing kept across the calls above */
}

/* A commit that frees user-half tables clears the set cursor (every slot:
 * cheap next to freeing a table, and a slot may hold any region of its
 * residue). Before the frees, while the commit still holds the regions of
 * the tables it frees: a later holder of one of them walks afresh. */
static void forget_set_cursors(mmu_transaction_t *ta)
{
	if (!ta->st->user_frees)   /* counted by txn_free: no journal scan */
		return;
	for (unsigned k = 0; k < MMU_SET_CURSORS; k++) {
		struct mmu_set_cursor *c = &ta->set->leaf[k];
		uint64_t s = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
		/* A slot being written (odd) gets another holder's region:
		 * not one this commit frees. */
		if (!(s & 1) && __atomic_compare_exchange_n(&c->seq, &s, s + 1, false,
		                                           __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			__atomic_store_n(&c->region, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&c->seq, s + 2, __ATOMIC_RELEASE);
		}
	}
}

/* A side-table page (raw: no hardware reads it) over its live copy, a
 * word at a time: lockless mmu_find reads these words while they change
 * (meta.c), and its sequence check throws away a mixed read. */
static void publish_raw(const struct txn_page *pg)
{
	uint64_t *live = mmu_env_phys_to_virt(pg->live);
	const uint64_t *copy = pg->ptr;
	for (size_t i = pg->stored_lo; i <= pg->stored_hi && pg->stored_lo <= pg->stored_hi; i++)
		__atomic_store_n(&live[i], copy[i], __ATOMIC_RELAXED);
}

/*
 * Publish: every private copy over its live page and every deferred store
 * (backend hooks: atomic stores, break-before-make), one TLB invalidation,
 * then free what the transaction unlinked, after the invalidation so no
 * walker can still reach it. Under the set's commit lock (mmu_commit).
 */
void txn_commit(mmu_transaction_t *ta, bool kernel)
{
	struct mmu_txn_state *st = ta->st;
	mmu_translation_set_t *t = ta->set;
	const struct mmu_backend *be = t->mode->be;
	if (txn_empty(ta))
		return;

	mmu_env_publish_barrier();   /* new tables complete before any link to them */
	for (struct txn_page *pg = txn_pages(ta); pg; pg = pg->all)
		if (pg->live && pg->raw)
			publish_raw(pg);
		else if (pg->live)
			be->publish(ta, pg);
	if (ta->def.n)
		be->publish_def(ta);
	if (be->after_publish)
		be->after_publish(ta);
	mmu_env_publish_barrier();
	commit_flush(ta);
	for (unsigned k = 0; k < 4; k++)
		t->tlb_ops[k] += ta->tlb_n[k];

	add_delta(&t->counts, &ta->delta[0]);
	/* The kernel half's counts are the mode's, shared by every set: only
	 * a commit that changed that half writes them, under the mode's
	 * statistics lock (mmu_stats reads them under it). */
	if (kernel) {
		lock_kernel_stats(t->mode);
		add_delta(&t->mode->kernel_counts, &ta->delta[1]);
		lock_kernel_stats_end(t->mode);
	}
	if (st)
		forget_set_cursors(ta);
	/* Before anything is freed: a cursor (another transaction's, on
	 * another CPU) checks the generations before trusting a table. */
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_RELEASE);
	if (kernel)
		__atomic_fetch_add(&t->mode->kernel_gen, 1, __ATOMIC_RELEASE);
	ta->def.n = 0;
	if (!st)
		return;
	int64_t gained[2] = { 0, 0 };
	/* Unlinked tables go only once no lockless reader can still be
	 * walking them (lock.h): of this set, and of the kernel half shared
	 * by every set when it changed. */
	lock_wait_readers(t, kernel);
	for (struct txn_page *pg = st->all; pg; pg = pg->all)
		if (!pg->live)
			gained[pg->kernel]++;
	/* Frees: a page's private copy goes with it; mark it so the shadow
	 * sweep below does not free it twice. */
	for (struct txn_journal *j = st->jhead; j; j = j->prev)
		for (size_t i = 0; i < j->n; i++) {
			struct jentry *e = &j->e[i];
			if (e->kind != J_FREE_USER && e->kind != J_FREE_KERNEL)
				continue;
			bool kern = e->kind == J_FREE_KERNEL;
			struct txn_page *pg = txn_lookup(ta, e->val);
			gained[kern]--;
			if (pg && !pg->live) {
				mmu_env_free(pg->pa, txn_page_shift());   /* born and died here */
			} else {
				mmu_env_free(e->val, txn_page_shift());
				if (pg)
					mmu_env_free(pg->pa, txn_page_shift());
			}
			if (pg)
				pg->pa = 0;
		}
	for (struct txn_page *pg = st->all; pg; pg = pg->all)
		if (pg->live && pg->pa)
			mmu_env_free(pg->pa, txn_page_shift());

	t->table_pages += gained[0];

	add_counts(&t->counts, &st->counts[0]);
	if (kernel) {
		lock_kernel_stats(t->mode);
		t->mode->kernel_table_pages += gained[1];
		add_counts(&t->mode->kernel_counts, &st->counts[1]);
		lock_kernel_stats_end(t->mode);
	}
	state_destroy(ta);
}
