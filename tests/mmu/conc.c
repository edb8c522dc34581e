/*
 * Concurrent transactions on one translation set (mmu/lock.h), checked
 * after the threads join. Built with ThreadSanitizer for `make test`.
 *
 *   conc [--threads N] [--txns K] [--mode NAME] [--seed S]
 *
 * Per mode (the hashed modes lock a set whole and keep a process-wide view
 * cache, so they are left out):
 *
 *  disjoint   N threads, each on its own window of 64 pages in its own
 *             leaf-table region (all under one upper table, so tables are
 *             linked and unlinked under them too), run random transactions
 *             (add, add_range, find+remove, find+update, remove_range,
 *             protect_range; commit, or now and then forget), each against
 *             a private model applied only when its commit succeeded; an
 *             -EBUSY (a table above the leaves changing under another
 *             thread's region) forgets and retries. After joining, the set
 *             equals the union of the models: every page through mmu_find
 *             and the reference walker, nothing outside the windows,
 *             statistics, and exactly as many table pages as the same
 *             entries added by one thread into a fresh set. Removing
 *             everything gives back every page (nothing leaked). Run
 *             again "anchored": the tables above the leaf tables linked
 *             first and kept by a page in a lock line of its own, where
 *             any -EBUSY is a false conflict (a failure).
 *  settle     a transaction emptying its leaf table settles "the table
 *             above stays" on another window's leaf table without
 *             refusing that window's next transaction.
 *  churn      N threads each map and unmap one page of its own region,
 *             one transaction each, so every one links or unlinks its leaf
 *             table and the upper table they share empties whenever every
 *             page is unmapped at once (a removal then needs the set
 *             whole: -EBUSY, backoff, retry). After each commit a thread
 *             finds its page as committed; at the end every page is mapped
 *             and the tables are exact.
 *  overlap    N threads increment counters kept in the output addresses of
 *             8 shared pages (4 per region, so a transaction may hold one
 *             region and be refused the other): find, update to pa + one
 *             page, commit; -EBUSY forgets. A reader thread finds the pages
 *             without a transaction of its own that holds them and checks
 *             every counter it sees only grows. After joining, each
 *             counter equals the committed increments: a lost update (two
 *             transactions serialised wrongly) or a torn commit shows.
 *
 * Last line: "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu.h"
#include "mmu_host.h"

#define WPAGES   64          /* pages per thread window */
#define MAXT     8
#define NCOUNT   8           /* shared counter pages */
#define PA_BASE  0x40000000ull
#define LOCK_LINES 16        /* mmu_types.h LK_LINES */

static unsigned nthreads = 4, ntxns = 200;
static unsigned page_shift;
static uint64_t region;      /* what one leaf table translates */
static vaddr_t base_va;
static mmu_translation_set_t set;
static int failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

#define FAIL(...) do { pthread_mutex_lock(&out_lock); printf("  FAIL: " __VA_ARGS__); \
	printf("\n"); failures++; pthread_mutex_unlock(&out_lock); } while (0)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static uint64_t pg(void) { return 1ull << page_shift; }

/* ---- disjoint windows ---- */

struct slot { paddr_t pa; unsigned prot; };   /* pa 0: unmapped */

struct worker {
	unsigned id;
	uint64_t seed;
	vaddr_t va;                  /* window base */
	struct slot model[WPAGES];   /* committed */
	struct slot scratch[WPAGES]; /* this transaction's view */
	unsigned commits, forgets, busy;
	uint64_t next_pa;
};

static int add_one(mmu_transaction_t *ta, struct worker *w, unsigned i, unsigned prot)
{
	paddr_t pa = w->next_pa;
	w->next_pa += pg();
	int rc = mmu_add(ta, mmu_mkentry(pa, prot), w->va + i * pg());
	if (!rc)
		w->scratch[i] = (struct slot){ pa, prot };
	return rc;
}

/* One random call on the window, valid for the scratch model: 0, -EBUSY,
 * or another error (a failure). */
static int one_op(mmu_transaction_t *ta, struct worker *w)
{
	unsigned i = (unsigned)(rnd(&w->seed) % WPAGES), kind = (unsigned)(rnd(&w->seed) % 6);
	unsigned prot = rnd(&w->seed) & 1 ? MMU_READ : MMU_READ | MMU_WRITE;
	vaddr_t va = w->va + i * pg();
	mmu_entry_t e;
	int rc;
	switch (kind) {
	case 0:   /* add */
		return w->scratch[i].pa ? 0 : add_one(ta, w, i, prot);
	case 1: { /* add_range over a free run */
		unsigned n = 0;
		while (i + n < WPAGES && n < 8 && !w->scratch[i + n].pa)
			n++;
		if (!n)
			return 0;
		paddr_t pa = w->next_pa;
		w->next_pa += n * pg();
		rc = mmu_add_range(ta, mmu_mkentry(pa, prot), va, n * pg());
		for (unsigned k = 0; !rc && k < n; k++)
			w->scratch[i + k] = (struct slot){ pa + k * pg(), prot };
		return rc;
	}
	case 2:   /* find + remove */
	case 3:   /* find + update */
		rc = mmu_find(ta, va, &e);
		if (rc == -ENOENT && !w->scratch[i].pa)
			return 0;
		if (rc)
			return rc;
		if (mmu_entry_pa(e) != w->scratch[i].pa || mmu_entry_prot(e) != w->scratch[i].prot) {
			FAIL("thread %u: find %#" PRIx64 " got pa %#" PRIx64 " prot %u, expected %#" PRIx64 " %u",
			     w->id, va, mmu_entry_pa(e), mmu_entry_prot(e), w->scratch[i].pa, w->scratch[i].prot);
			return -EIO;
		}
		if (kind == 2) {
			rc = mmu_remove(ta);
			if (!rc)
				w->scratch[i].pa = 0;
		} else {
			rc = mmu_update(ta, mmu_mkprot(e, prot));
			if (!rc)
				w->scratch[i].prot = prot;
		}
		return rc;
	case 4:   /* remove_range */
	case 5: { /* protect_range */
		unsigned n = 1 + (unsigned)(rnd(&w->seed) % 16);
		if (i + n > WPAGES)
			n = WPAGES - i;
		rc = kind == 4 ? mmu_remove_range(ta, va, va + n * pg())
		               : mmu_protect_range(ta, va, va + n * pg(), prot);
		for (unsigned k = 0; !rc && k < n; k++) {
			if (kind == 4)
				w->scratch[i + k].pa = 0;
			else if (w->scratch[i + k].pa)
				w->scratch[i + k].prot = prot;
		}
		return rc;
	}
	}
	return 0;
}

static void *disjoint_thread(void *arg)
{
	struct worker *w = arg;
	for (unsigned done = 0; done < ntxns && !failures;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, &set);
		memcpy(w->scratch, w->model, sizeof(w->model));
		unsigned ops = 1 + (unsigned)(rnd(&w->seed) % 4);
		int rc = 0;
		for (unsigned k = 0; k < ops && !rc; k++)
			rc = one_op(&ta, w);
		if (rc == -EBUSY) {
			mmu_forget(&ta);
			w->busy++;
			continue;   /* the same transaction count again */
		}
		if (rc) {
			if (rc != -EIO)
				FAIL("thread %u: a call failed with %d", w->id, rc);
			mmu_forget(&ta);
			break;
		}
		if (rnd(&w->seed) % 10 == 0) {
			mmu_forget(&ta);
			w->forgets++;
		} else if ((rc = mmu_commit(&ta)) != 0) {
			FAIL("thread %u: commit %d", w->id, rc);
			break;
		} else {
			memcpy(w->model, w->scratch, sizeof(w->model));
			w->commits++;
		}
		done++;
	}
	return NULL;
}

static mmu_entry_t count_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	(void)va;
	(*(uint64_t *)priv)++;
	return e;
}

static void check_disjoint(struct worker *ws, vaddr_t anchor)
{
	uint64_t pages = 0;
	mmu_translation_set_t ref;
	if (mmu_new_translation_set(&ref)) {
		FAIL("reference set");
		return;
	}
	mmu_transaction_t rt;
	mmu_transaction(&rt, &ref);
	if (anchor && !mmu_add(&rt, mmu_mkentry(PA_BASE, MMU_READ), anchor))
		pages++;
	for (unsigned t = 0; t < nthreads; t++)
		for (unsigned i = 0; i < WPAGES; i++) {
			const struct slot *s = &ws[t].model[i];
			vaddr_t va = ws[t].va + i * pg();
			mmu_transaction_t ta;
			mmu_entry_t e;
			mmu_transaction(&ta, &set);
			int rc = mmu_find(&ta, va, &e);
			mmu_forget(&ta);
			paddr_t hw = 0;
			int hrc = mmu_host_hw_translate(&set, va, MMU_READ, &hw);
			if (!s->pa) {
				if (rc != -ENOENT || hrc != -EFAULT)
					FAIL("%#" PRIx64 " should be unmapped: find %d, walker %d", va, rc, hrc);
				continue;
			}
			pages++;
			if (rc || mmu_entry_pa(e) != s->pa || mmu_entry_prot(e) != s->prot || hrc || hw != s->pa)
				FAIL("%#" PRIx64 ": find %d pa %#" PRIx64 " prot %u, walker %d %#" PRIx64
				     "; model %#" PRIx64 " prot %u", va, rc, rc ? 0 : mmu_entry_pa(e),
				     rc ? 0 : mmu_entry_prot(e), hrc, hw, s->pa, s->prot);
			if (mmu_add(&rt, mmu_mkentry(s->pa, s->prot), va))
				FAIL("reference add at %#" PRIx64, va);
		}
	if (mmu_commit(&rt))
		FAIL("reference commit");
	uint64_t seen = 0;
	const struct mmu_geometry *g = mmu_geometry();
	vaddr_t top = (vaddr_t)1 << (g->va_bits - 1);
	if (mmu_scan(&set, 0, top, count_entry, &seen))
		FAIL("scan");
	struct mmu_stats st, rs;
	mmu_stats(&set, &st);
	mmu_stats(&ref, &rs);
	if (seen != pages || st.entries[0] != pages || st.mapped_bytes != pages * pg())
		FAIL("%" PRIu64 " pages in the models, scan saw %" PRIu64 ", stats %" PRIu64
		     " entries / %" PRIu64 " bytes", pages, seen, st.entries[0], st.mapped_bytes);
	if (st.table_pages != rs.table_pages)
		FAIL("table pages: %" PRIu64 " after the threads, %" PRIu64 " for the same entries "
		     "added by one thread", st.table_pages, rs.table_pages);
	mmu_remove_translation_set(&ref);
}

/* ---- churn: one page a thread, linked and unlinked ---- */

static void backoff(uint64_t *seed, unsigned *refused)
{
	*refused += *refused < 12;
	for (volatile uint64_t spin = rnd(seed) % (16ull << *refused); spin; spin--)
		;
}

static void *churn_thread(void *arg)
{
	struct worker *w = arg;
	unsigned refused = 0;
	/* Odd: the last transaction maps. */
	for (unsigned done = 0; done < (ntxns | 1) && !failures;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, &set);
		bool mapped = w->model[0].pa;
		paddr_t pa = w->next_pa;
		int rc = 0;
		if (mapped) {
			rc = mmu_find(&ta, w->va, NULL);
			if (!rc)
				rc = mmu_remove(&ta);
		} else {
			rc = mmu_add(&ta, mmu_mkentry(pa, MMU_READ), w->va);
		}
		if (rc == -EBUSY) {
			mmu_forget(&ta);
			w->busy++;
			backoff(&w->seed, &refused);
			continue;
		}
		refused = 0;
		if (rc || (rc = mmu_commit(&ta))) {
			FAIL("churn thread %u: %d", w->id, rc);
			mmu_forget(&ta);
			break;
		}
		w->model[0] = mapped ? (struct slot){ 0, 0 } : (struct slot){ pa, MMU_READ };
		w->next_pa += mapped ? 0 : pg();
		w->commits++;
		done++;
		mmu_entry_t e;
		mmu_transaction(&ta, &set);
		rc = mmu_find(&ta, w->va, &e);
		mmu_forget(&ta);
		if (mapped ? rc != -ENOENT : rc || mmu_entry_pa(e) != pa)
			FAIL("churn thread %u: right after its commit, find %#" PRIx64 " -> %d", w->id,
			     w->va, rc);
	}
	return NULL;
}

/* ---- overlapping counters ---- */

static _Atomic unsigned long committed[NCOUNT];
static atomic_bool writers_done;

static vaddr_t cva(unsigned k)
{
	/* 4 pages in each of two regions: a transaction may get one and be
	 * refused the other. */
	return base_va + (k / 4) * region + (k % 4) * pg();
}

static paddr_t cpa(unsigned k, uint64_t c)
{
	return PA_BASE + ((uint64_t)k << 32) + c * pg();
}

static void *counter_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
	unsigned long mine[NCOUNT] = { 0 };
	for (unsigned done = 0; done < ntxns && !failures;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, &set);
		unsigned n = 1 + (unsigned)(rnd(&seed) % 3), pick[3];
		int rc = 0;
		for (unsigned j = 0; j < n && !rc; j++) {
			unsigned k = pick[j] = (unsigned)(rnd(&seed) % NCOUNT);
			bool again = false;
			for (unsigned q = 0; q < j; q++)
				again |= pick[q] == k;
			if (again) {
				pick[j] = NCOUNT;
				continue;
			}
			mmu_entry_t e;
			rc = mmu_find(&ta, cva(k), &e);
			if (!rc)
				rc = mmu_update(&ta, mmu_mkentry(mmu_entry_pa(e) + pg(), MMU_READ));
		}
		if (rc == -EBUSY) {
			mmu_forget(&ta);
			continue;
		}
		if (rc || (rc = mmu_commit(&ta))) {
			FAIL("counter thread: %d", rc);
			mmu_forget(&ta);
			break;
		}
		for (unsigned j = 0; j < n; j++)
			if (pick[j] < NCOUNT)
				mine[pick[j]]++;
		done++;
	}
	for (unsigned k = 0; k < NCOUNT; k++)
		committed[k] += mine[k];
	return NULL;
}

static void *reader_thread(void *arg)
{
	(void)arg;
	uint64_t last[NCOUNT] = { 0 };
	unsigned long reads = 0;
	while (!atomic_load(&writers_done) && !failures) {
		for (unsigned k = 0; k < NCOUNT; k++) {
			mmu_transaction_t ta;
			mmu_entry_t e;
			mmu_transaction(&ta, &set);
			int rc = mmu_find(&ta, cva(k), &e);
			mmu_forget(&ta);
			paddr_t pa = rc ? 0 : mmu_entry_pa(e);
			if (rc || pa < cpa(k, 0) || pa >= cpa(k + 1, 0) || (pa & (pg() - 1))) {
				FAIL("reader: page %u: find %d, pa %#" PRIx64, k, rc, pa);
				return NULL;
			}
			uint64_t c = (pa - cpa(k, 0)) / pg();
			if (c < last[k])
				FAIL("reader: page %u went back from %" PRIu64 " to %" PRIu64, k, last[k], c);
			last[k] = c;
			reads++;
		}
	}
	return NULL;
}

/* ---- regions that share a lock line ---- */

/* Open transactions on regions LOCK_LINES and 64 apart (the same line of
 * the set's lock table, the same stripe of the 64-stripe table before it)
 * are disjoint: each gets its region; only the same region is refused.
 * Single-threaded: the open transactions take turns. */

static void lines_case(const char *name)
{
	if (!strncmp(name, "hashed", 6))
		return;   /* one region: its buckets mix every address (mmu/lock.h) */
	mmu_transaction_t a, b, c;
	/* 256 regions up: every region used below under one table above the
	 * leaf tables in every mode (radix-6level's leaf tables translate
	 * half a `region`, and its tables above them 128 `region`s). */
	vaddr_t lb = 256 * region, va = lb + pg();
	struct mmu_stats st0, st;
	/* An anchor keeps the table above the leaf tables linked: linking it
	 * would take the set whole. */
	mmu_transaction(&a, &set);
	if (mmu_add(&a, mmu_mkentry(PA_BASE + 4 * pg(), MMU_READ), lb + 100 * region) ||
	    mmu_commit(&a))
		FAIL("%s: lines: anchor", name);
	mmu_stats(&set, &st0);
	mmu_transaction(&a, &set);
	mmu_transaction(&b, &set);
	mmu_transaction(&c, &set);
	int ra = mmu_add(&a, mmu_mkentry(PA_BASE, MMU_READ), va);
	int rb = mmu_add(&b, mmu_mkentry(PA_BASE + pg(), MMU_READ), va + LOCK_LINES * region);
	int rb2 = mmu_add(&b, mmu_mkentry(PA_BASE + 2 * pg(), MMU_READ), va + 64 * region);
	int rc = mmu_add(&c, mmu_mkentry(PA_BASE + 3 * pg(), MMU_READ), va + pg());
	if (ra || rb || rb2 || rc != -EBUSY)
		FAIL("%s: lines: regions 0, %u and 64 in two transactions: %d %d %d; "
		     "region 0 again: %d (want -EBUSY)", name, LOCK_LINES, ra, rb, rb2, rc);
	mmu_forget(&c);
	if (mmu_commit(&a) || mmu_commit(&b))
		FAIL("%s: lines: commit", name);
	mmu_stats(&set, &st);
	if (st.entries[0] - st0.entries[0] != 3)
		FAIL("%s: lines: %" PRIu64 " pages counted, 3 mapped", name,
		     st.entries[0] - st0.entries[0]);
	/* The three leaf tables are linked now: one-page transactions on the
	 * three regions, open together, hold the line's three slots and
	 * commit leaf-only (no spin lock: each counts in its own slot,
	 * mmu/lock.c), then remove their pages the same way. mmu_stats must
	 * count every slot's commits: entries, bytes and TLB operations. */
	vaddr_t lva[3] = { va + pg(), va + LOCK_LINES * region + pg(), va + 64 * region + pg() };
	for (int round = 0; round < 2; round++) {
		mmu_transaction_t *lt[3] = { &a, &b, &c };
		int lr[3];
		mmu_stats(&set, &st0);
		for (int k = 0; k < 3; k++) {
			mmu_transaction(lt[k], &set);
			lr[k] = round ? mmu_find(lt[k], lva[k], NULL) : 0;
			if (!lr[k])
				lr[k] = round ? mmu_remove(lt[k]) :
				        mmu_add(lt[k], mmu_mkentry(PA_BASE + (5 + k) * pg(), MMU_READ), lva[k]);
		}
		for (int k = 0; k < 3; k++)
			if (lr[k] || mmu_commit(lt[k]))
				FAIL("%s: lines: one-page transactions on three slots, round %d: %d", name,
				     round, lr[k]);
		mmu_stats(&set, &st);
		int64_t want = round ? -3 : 3;
		if ((int64_t)(st.entries[0] - st0.entries[0]) != want ||
		    (int64_t)(st.mapped_bytes - st0.mapped_bytes) != want * (int64_t)pg() ||
		    (round && st.tlb_flushes - st0.tlb_flushes != 3))
			FAIL("%s: lines: three slots' commits counted %" PRId64 " pages, %" PRId64
			     " bytes, %" PRIu64 " TLB operations (want %" PRId64 ", %s)", name,
			     (int64_t)(st.entries[0] - st0.entries[0]),
			     (int64_t)(st.mapped_bytes - st0.mapped_bytes),
			     st.tlb_flushes - st0.tlb_flushes, want, round ? "3" : "any");
	}
	/* The set whole is refused while another transaction holds a region
	 * in a line where the taker holds one of its own (its own slot comes
	 * first in the line: it must not pass for "held already"). A page
	 * 16384 regions up needs a new table above the leaf tables in every
	 * mode: linking it takes the set whole. */
	mmu_transaction(&a, &set);
	mmu_transaction(&b, &set);
	ra = mmu_add(&a, mmu_mkentry(PA_BASE, MMU_READ), va + 2 * pg());
	rb = mmu_add(&b, mmu_mkentry(PA_BASE + pg(), MMU_READ), va + 2 * pg() + LOCK_LINES * region);
	int rw = mmu_add(&a, mmu_mkentry(PA_BASE + 2 * pg(), MMU_READ), lb + 16384 * region);
	if (ra || rb || rw != -EBUSY)
		FAIL("%s: lines: the set whole past a region of its line held by another: %d %d %d "
		     "(want 0 0 -EBUSY)", name, ra, rb, rw);
	mmu_forget(&a);
	mmu_forget(&b);
	if (mmu_clear_range(&set, lb, lb + 101 * region))
		FAIL("%s: lines: clear", name);
}

/* ---- settling "the table above is not empty" ---- */

/* A transaction emptying its leaf table decides whether the table above
 * stays by a slot that cannot empty before its commit. Another window's
 * leaf table, in a region nobody holds, settles it without taking that
 * region: the other window's next transaction must not be refused. Its
 * owner emptying it while the first is open is refused (it cannot settle
 * on the first's held region, and the set whole is held in part), and
 * once the first commits, emptying it frees every table. Single-threaded:
 * the open transactions take turns. */
static void settle_case(const char *name)
{
	if (!strncmp(name, "hashed", 6))
		return;
	/* 384 regions up: A and B share the table above the leaf tables in
	 * every mode (radix-6level's spans 128 regions), in two lock lines. */
	vaddr_t a_va = 384 * region, b_va = a_va + region;
	size_t tables0 = mmu_host_tables_in_use();
	mmu_transaction_t a, b;
	mmu_transaction(&a, &set);
	if (mmu_add(&a, mmu_mkentry(PA_BASE, MMU_READ), a_va) ||
	    mmu_add(&a, mmu_mkentry(PA_BASE + pg(), MMU_READ), b_va) || mmu_commit(&a))
		FAIL("%s: settle: setup", name);
	mmu_transaction(&a, &set);
	int ra = mmu_remove_range(&a, a_va, a_va + pg());   /* empties A's leaf table */
	mmu_transaction(&b, &set);
	int rb = mmu_add(&b, mmu_mkentry(PA_BASE + 2 * pg(), MMU_READ), b_va + pg());
	if (ra || rb)
		FAIL("%s: settle: A emptied %d, then B's own region refused? %d (want 0 0)", name, ra,
		     rb);
	if (!rb && mmu_commit(&b))
		FAIL("%s: settle: B's commit", name);
	else if (rb)
		mmu_forget(&b);
	if (mmu_commit(&a))
		FAIL("%s: settle: A's commit", name);
	/* B empties while A's emptying is open: refused, then done. */
	mmu_transaction(&a, &set);
	ra = mmu_add(&a, mmu_mkentry(PA_BASE, MMU_READ), a_va);
	if (ra || mmu_commit(&a))
		FAIL("%s: settle: A again %d", name, ra);
	mmu_transaction(&a, &set);
	ra = mmu_remove_range(&a, a_va, a_va + pg());
	mmu_transaction(&b, &set);
	rb = mmu_remove_range(&b, b_va, b_va + region);
	if (ra || rb != -EBUSY)
		FAIL("%s: settle: both empty their leaf tables: %d %d (want 0 -EBUSY)", name, ra, rb);
	mmu_forget(&b);
	if (mmu_commit(&a))
		FAIL("%s: settle: A's second commit", name);
	mmu_transaction(&b, &set);
	rb = mmu_remove_range(&b, b_va, b_va + region);
	if (rb || mmu_commit(&b))
		FAIL("%s: settle: B empties after A's commit: %d", name, rb);
	if (mmu_host_tables_in_use() != tables0)
		FAIL("%s: settle: %zu table pages in use after emptying both, %zu before", name,
		     mmu_host_tables_in_use(), tables0);
}

/* ---- pairs: a commit is seen whole by a reader's two finds ---- */

/* A writer moves two pages, A in region 0 and B in region 1 (another
 * lock line), to counter i in one transaction each: leaf-only commits.
 * A reader finds A, then B, in one transaction of its own; B is published
 * after A, so a reader that saw A at i must see B at i or later, however
 * its finds went (lockless while the writer holds the regions). */
static atomic_bool pair_done;
static _Atomic unsigned long pair_reads;
static vaddr_t pair_va(unsigned k) { return base_va + k * region + 2 * pg(); }
static paddr_t pair_pa(unsigned k, uint64_t i) { return PA_BASE + ((uint64_t)k << 36) + i * pg(); }

static void *pair_writer(void *arg)
{
	(void)arg;
	while (!atomic_load(&pair_reads) && !failures)
		;   /* the reader is running */
	for (uint64_t i = 1; i <= ntxns * 4 && !failures;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, &set);
		int rc = 0;
		for (unsigned k = 0; k < 2 && !rc; k++) {
			rc = mmu_find(&ta, pair_va(k), NULL);
			if (!rc)
				rc = mmu_update(&ta, mmu_mkentry(pair_pa(k, i), MMU_READ));
		}
		if (rc == -EBUSY) {   /* the reader holds a region now */
			mmu_forget(&ta);
			continue;
		}
		if (rc || mmu_commit(&ta)) {
			FAIL("pairs: writer %d", rc);
			mmu_forget(&ta);
			break;
		}
		i++;
	}
	atomic_store(&pair_done, true);
	return NULL;
}


static void *pair_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&pair_done) && !failures) {
		mmu_transaction_t ta;
		mmu_entry_t e[2];
		mmu_transaction(&ta, &set);
		int ra = mmu_find(&ta, pair_va(0), &e[0]), rb = mmu_find(&ta, pair_va(1), &e[1]);
		mmu_forget(&ta);
		if (ra || rb) {
			FAIL("pairs: reader: find %d %d", ra, rb);
			break;
		}
		uint64_t a = (mmu_entry_pa(e[0]) - pair_pa(0, 0)) / pg();
		uint64_t b = (mmu_entry_pa(e[1]) - pair_pa(1, 0)) / pg();
		if (b < a) {
			FAIL("pairs: reader saw A at %" PRIu64 " and then B at %" PRIu64
			     ": a commit seen in part", a, b);
			break;
		}
		pair_reads++;
	}
	return NULL;
}

static void pairs_case(const char *name)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, &set);
	for (unsigned k = 0; k < 2; k++)
		if (mmu_add(&ta, mmu_mkentry(pair_pa(k, 0), MMU_READ), pair_va(k)))
			FAIL("%s: pairs: page %u", name, k);
	mmu_commit(&ta);
	atomic_store(&pair_done, false);
	atomic_store(&pair_reads, 0);
	pthread_t w, r;
	pthread_create(&r, NULL, pair_reader, NULL);
	pthread_create(&w, NULL, pair_writer, NULL);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (mmu_clear_range(&set, base_va, base_va + 2 * region))
		FAIL("%s: pairs: clear", name);
}

/* ---- one entry flipped under a lockless reader ---- */

static vaddr_t kva;   /* a page of the kernel half, its leaf table alone (model.c's layout) */

static void kernel_va(void)
{
	struct mmu_host_hwstate hw;
	mmu_host_hwstate(&set, &hw);
	unsigned half = hw.arch == MMU_HOST_ARM64 ? mmu_geometry()->va_bits
	                                          : mmu_geometry()->va_bits - 1;
	kva = (0 - ((vaddr_t)1 << half)) + 3 * region;
}

/* One entry added and removed again and again by a writer on one set,
 * found lockless by a reader on another (or the same) set: the reader may
 * only ever see it absent or whole. */
struct flip {
	const char *what;
	mmu_translation_set_t *writer_set, *reader_set;
	vaddr_t va, read_va;     /* the entry's base; where the reader looks */
	mmu_entry_t e;
	atomic_bool done;
	unsigned long seen, reads;
};

static void *flip_writer(void *arg)
{
	struct flip *f = arg;
	for (unsigned i = 0; i < ntxns * 2 && !failures; i++) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, f->writer_set);
		int rc = i & 1 ? mmu_find(&ta, f->va, NULL) : 0;
		rc = rc ? rc : i & 1 ? mmu_remove(&ta) : mmu_add(&ta, f->e, f->va);
		if (rc == -EBUSY) {
			mmu_forget(&ta);
			i--;
			continue;
		}
		if (rc || mmu_commit(&ta)) {
			FAIL("%s: writer step %u: %d", f->what, i, rc);
			mmu_forget(&ta);
			break;
		}
	}
	atomic_store(&f->done, true);
	return NULL;
}

static void flip_run(const char *name, struct flip *f)
{
	atomic_store(&f->done, false);
	pthread_t w;
	pthread_create(&w, NULL, flip_writer, f);
	f->seen = f->reads = 0;
	while (!atomic_load(&f->done) && !failures) {
		mmu_transaction_t ta;
		mmu_entry_t e;
		mmu_transaction(&ta, f->reader_set);
		int rc = mmu_find(&ta, f->read_va, &e);
		mmu_forget(&ta);
		if (rc != -ENOENT && (rc || mmu_entry_pa(e) != mmu_entry_pa(f->e) ||
		                      mmu_entry_order(e) != mmu_entry_order(f->e))) {
			FAIL("%s: %s: reader: find %d, pa %#" PRIx64 ", order %u", name, f->what, rc,
			     rc ? 0 : mmu_entry_pa(e), rc ? 0 : mmu_entry_order(e));
			break;
		}
		f->seen += !rc;
		f->reads++;
	}
	pthread_join(w, NULL);
}

/* The kernel half, read from another set while its leaf table is linked
 * and freed each time (the half is claimed by the writer's transaction,
 * or free: then the reader's find reads it as committed). A freed table
 * must not be reused while the reader may still walk it: ThreadSanitizer
 * reports the allocator's writes to the page racing with the reader's
 * loads. */
static struct flip kflip;

static void kernel_case(const char *name)
{
	mmu_translation_set_t other;
	if (mmu_new_translation_set(&other)) {
		FAIL("%s: kernel half: second set", name);
		return;
	}
	kernel_va();
	kflip = (struct flip){ .what = "kernel half", .writer_set = &other, .reader_set = &set,
	                       .va = kva, .read_va = kva,
	                       .e = mmu_mkglobal(mmu_mkentry(PA_BASE, MMU_READ)) };
	flip_run(name, &kflip);
	mmu_remove_translation_set(&other);
}

/* A composed entry (two base pages: annotated leaves plus a side-table
 * record) read lockless in the same set while the writer's transaction
 * holds its region: the reader may see a commit's leaves and its record
 * at different moments, and must retry, never take the table for broken. */
static struct flip cflip;

static void composed_case(const char *name)
{
	vaddr_t va = base_va + 5 * region + 2 * pg();
	cflip = (struct flip){ .what = "composed", .writer_set = &set, .reader_set = &set,
	                       .va = va, .read_va = va + pg(),
	                       .e = mmu_mksize(mmu_mkentry(PA_BASE, MMU_READ), 1) };
	flip_run(name, &cflip);
}

/* ---- statistics read while commits count ---- */

/* While the window threads run, mmu_stats again and again: the windows
 * hold base pages only, so every sum must say mapped_bytes = entries[0]
 * pages and nothing of another order. A commit counts its entries and
 * bytes in one line under that line's lock, and mmu_stats sums each line
 * under it: a sum that caught a commit half counted breaks this. */
static atomic_bool windows_done;
static _Atomic unsigned long stats_reads;

static void *stats_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&windows_done) && !failures) {
		struct mmu_stats st;
		mmu_stats(&set, &st);
		uint64_t other = 0;
		for (unsigned k = 1; k < 64; k++)
			other += st.entries[k];
		if (st.mapped_bytes != st.entries[0] * pg() || other) {
			FAIL("stats read during commits: %" PRIu64 " pages, %" PRIu64 " bytes mapped, "
			     "%" PRIu64 " entries of other orders: a commit counted in part",
			     st.entries[0], st.mapped_bytes, other);
			break;
		}
		stats_reads++;
	}
	return NULL;
}

/* ---- driver ---- */

/* Each thread on its own window (one leaf-table region each, all under
 * one upper table); after joining, the set against the union of their
 * models, then everything removed: back to pages_set pages in use. */
static void run_windows(struct worker *ws, void *(*fn)(void *), uint64_t seed,
                        size_t pages_set, vaddr_t anchor, const char *name)
{
	pthread_t th[MAXT], sr;
	int before = failures;
	memset(ws, 0, nthreads * sizeof(*ws));
	mmu_transaction_t ta;
	mmu_transaction(&ta, &set);
	if (anchor && (mmu_add(&ta, mmu_mkentry(PA_BASE, MMU_READ), anchor) || mmu_commit(&ta)))
		FAIL("%s: anchor", name);
	atomic_store(&windows_done, false);
	pthread_create(&sr, NULL, stats_thread, NULL);
	for (unsigned t = 0; t < nthreads; t++) {
		ws[t].id = t;
		ws[t].seed = seed + t + 1;
		ws[t].va = base_va + t * region;
		ws[t].next_pa = PA_BASE + ((uint64_t)(t + 1) << 36);
		pthread_create(&th[t], NULL, fn, &ws[t]);
	}
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	atomic_store(&windows_done, true);
	pthread_join(sr, NULL);
	if (failures == before)
		check_disjoint(ws, anchor);
	if (mmu_clear_range(&set, base_va, anchor ? anchor + pg() : base_va + nthreads * region))
		FAIL("%s: clear", name);
	if (mmu_host_tables_in_use() != pages_set)
		FAIL("%s: %zu pages in use after removing everything, %zu before", name,
		     mmu_host_tables_in_use(), pages_set);
}

static int run_mode(const char *name, uint64_t seed)
{
	int before = failures;
	if (mmu_host_init(256u << 20) || mmu_select_mode(name)) {
		FAIL("%s: cannot select", name);
		return 1;
	}
	const struct mmu_geometry *g = mmu_geometry();
	page_shift = g->page_shift;
	region = pg() << (page_shift - 3);
	base_va = region * 64;   /* clear of 0, inside every mode's user half */
	size_t pages0 = mmu_host_tables_in_use();
	if (mmu_new_translation_set(&set)) {
		FAIL("%s: set", name);
		return 1;
	}
	size_t pages_set = mmu_host_tables_in_use();

	struct worker *ws = calloc(nthreads, sizeof(*ws));
	unsigned commits = 0, busy = 0, forgets = 0, churn_busy = 0, anchored_busy = 0;
	run_windows(ws, disjoint_thread, seed * 7919, pages_set, 0, name);
	for (unsigned t = 0; t < nthreads; t++)
		commits += ws[t].commits, busy += ws[t].busy, forgets += ws[t].forgets;
	/* The same windows with the tables above the leaf tables linked
	 * before the threads start and kept by an anchor page in a lock line
	 * of its own: no call changes a table above the leaves, so nothing
	 * takes the set whole and every region a thread takes is its own.
	 * Any refusal here is a false conflict (docs/transactions.md,
	 * "Locking", "Refusals of disjoint windows"). The hashed modes lock
	 * the set whole for every change. */
	run_windows(ws, disjoint_thread, seed * 7919, pages_set, base_va + (LOCK_LINES - 1) * region,
	            name);
	for (unsigned t = 0; t < nthreads; t++)
		anchored_busy += ws[t].busy;
	if (anchored_busy && strncmp(name, "hashed", 6))
		FAIL("%s: disjoint windows under linked tables: %u -EBUSY (want 0)", name,
		     anchored_busy);
	run_windows(ws, churn_thread, seed * 104729, pages_set, 0, name);
	for (unsigned t = 0; t < nthreads; t++)
		churn_busy += ws[t].busy;
	free(ws);
	lines_case(name);
	settle_case(name);
	pairs_case(name);
	kernel_case(name);
	composed_case(name);

	/* overlap */
	mmu_transaction_t ta;
	mmu_transaction(&ta, &set);
	for (unsigned k = 0; k < NCOUNT; k++) {
		atomic_store(&committed[k], 0);
		if (mmu_add(&ta, mmu_mkentry(cpa(k, 0), MMU_READ), cva(k)))
			FAIL("%s: counter page %u", name, k);
	}
	mmu_commit(&ta);
	atomic_store(&writers_done, false);
	pthread_t rd, th[MAXT];
	pthread_create(&rd, NULL, reader_thread, NULL);
	for (unsigned t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, counter_thread, (void *)(uintptr_t)(seed * 31 + t + 1));
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	atomic_store(&writers_done, true);
	pthread_join(rd, NULL);
	unsigned long total = 0;
	for (unsigned k = 0; k < NCOUNT; k++) {
		mmu_entry_t e;
		mmu_transaction(&ta, &set);
		int rc = mmu_find(&ta, cva(k), &e);
		mmu_forget(&ta);
		unsigned long want = atomic_load(&committed[k]);
		total += want;
		if (rc || mmu_entry_pa(e) != cpa(k, want))
			FAIL("%s: counter %u: find %d, %" PRIu64 " increments in the table, %lu committed",
			     name, k, rc, rc ? 0 : (mmu_entry_pa(e) - cpa(k, 0)) / pg(), want);
	}
	mmu_remove_translation_set(&set);
	if (mmu_host_tables_in_use() != pages0)
		FAIL("%s: %zu pages in use after removing the set, %zu before", name,
		     mmu_host_tables_in_use(), pages0);
	printf("%-16s disjoint: %u commits, %u forgets, %u -EBUSY, anchored %u; churn: %u -EBUSY; "
	       "stats read %lu times; pairs: %lu reads; kernel half: %lu of %lu reads mapped; "
	       "composed: %lu of %lu; overlap: %lu increments: %s\n", name, commits, forgets, busy, anchored_busy, churn_busy,
	       atomic_load(&stats_reads), atomic_load(&pair_reads), kflip.seen, kflip.reads, cflip.seen, cflip.reads, total,
	       failures == before ? "ok" : "FAIL");
	return failures != before;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--txns") && i + 1 < argc)
			ntxns = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--threads N] [--txns K] [--mode NAME] [--seed S]\n", argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAXT)
		nthreads = 4;
	unsigned passed = 0, failed = 0;
	for (size_t i = 0; i < mmu_mode_count(); i++) {
		const char *name = mmu_mode_name(i);
		if (only && strcmp(only, name))
			continue;
		if (run_mode(name, seed))
			failed++;
		else
			passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
