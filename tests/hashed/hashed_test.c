/*
 * Unit tests of the hashed paging mode (host/hashed.c) beyond the
 * conformance suite, written against include/mmu.h, include/mmu_host.h
 * and the format spec in host/hashed.c's header comment:
 *
 *   layout      entries sit exactly where the spec's hash puts them, with
 *               the spec's tag and translation words; the directory and
 *               hwstate agree
 *   overflow    more leaves than a bucket holds chain into overflow
 *               pages, all found and translated; removing them frees
 *               every page again
 *   oracle      the reference walker refuses what the spec calls a fault
 *               (reserved bits, misaligned output, W without R, a
 *               multiple hit, a wrong aux), tried on raw copies of real
 *               tables
 *   sparse      scan/clear/dup over the whole user half with scattered
 *               entries finish (next() is not quadratic in the range)
 *   sweep       a range removal over shared bucket pages (swept, or
 *               probed leaf by leaf) leaves exactly the rest
 *   sweep_end   a swept removal ending inside a leaf keeps the leaf's
 *               rest and every leaf after it
 *   concurrent  a walker thread translating while another commits
 *               rewrites never sees a torn or missing translation
 *   reselect    leaving the mode frees the kernel table and its chains
 *
 * Last line: "N passed, N failed".
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu.h"
#include "mmu_host.h"

#define R MMU_READ
#define W MMU_WRITE
#define X MMU_EXEC
#define U MMU_USER
#define PAGE 4096ull

static unsigned passed, failed, case_fails;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		case_fails++; \
	} \
} while (0)

/* The walker entry point of the host library (host/ref.h), to try
 * registers that disagree with the tables. */
int ref_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);

/* ---- the spec, restated for the test ---- */

#define SPEC_BUCKETS 31
#define SPEC_HDR     16

static const unsigned spec_orders[] = { 0, 4, 9, 18, 27 };

struct spot { uint64_t page_index, bucket; };

static struct spot spec_spot(vaddr_t base, unsigned k, uint64_t d)
{
	uint64_t key = base >> (12 + k);
	uint64_t x = ((key / SPEC_BUCKETS) ^ ((uint64_t)k << 56)) * 0x9E3779B97F4A7C15ull;
	x ^= x >> 31;
	return (struct spot){ x % d, key % SPEC_BUCKETS };
}

static uint64_t *phys64(paddr_t pa)
{
	return mmu_host_phys(pa);
}

/* The slot holding tag in the chain of (dir, spot): pointer to its tag
 * word, or NULL. */
static uint64_t *spec_find(paddr_t dir, vaddr_t base, unsigned k)
{
	uint64_t *d = phys64(dir);
	struct spot s = spec_spot(base, k, d[0]);
	uint64_t tag = (base & ~0xfffull) | (uint64_t)k << 1 | 1;
	for (paddr_t pa = d[1 + s.page_index]; pa; pa = phys64(pa)[0]) {
		uint64_t *w = phys64(pa);
		for (unsigned e = 0; e < 8; e++)
			if (w[SPEC_HDR + s.bucket * 16 + 2 * e] == tag)
				return &w[SPEC_HDR + s.bucket * 16 + 2 * e];
	}
	return NULL;
}

/* ---- helpers ---- */

static int add_commit(mmu_translation_set_t *t, mmu_entry_t e, vaddr_t va)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	int rc = mmu_add(&ta, e, va);
	if (rc) {
		mmu_forget(&ta);
		return rc;
	}
	return mmu_commit(&ta);
}

static int remove_commit(mmu_translation_set_t *t, vaddr_t va)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	int rc = mmu_find(&ta, va, NULL);
	if (!rc)
		rc = mmu_remove(&ta);
	if (rc) {
		mmu_forget(&ta);
		return rc;
	}
	return mmu_commit(&ta);
}

static uint64_t table_pages(mmu_translation_set_t *t)
{
	struct mmu_stats s;
	mmu_stats(t, &s);
	return s.table_pages;
}

/* ---- cases ---- */

static void case_layout(void)
{
	mmu_translation_set_t t;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	struct mmu_host_hwstate hw;
	CHECK(mmu_host_hwstate(&t, &hw) == 0, "hwstate");
	CHECK(hw.arch == MMU_HOST_HASHED && hw.va_bits == 48 && hw.page_shift == 12,
	      "arch %d va_bits %u page_shift %u", hw.arch, hw.va_bits, hw.page_shift);
	uint64_t d = phys64(hw.root)[0];
	CHECK(d >= 1 && d <= 480 && hw.aux == d * SPEC_BUCKETS, "D %" PRIu64 " aux %" PRIu64, d, hw.aux);
	CHECK(hw.kernel_root && hw.kernel_root != hw.root, "kernel table %#" PRIx64, hw.kernel_root);
	CHECK(table_pages(&t) == 1, "a new set owns its directory only, got %" PRIu64, table_pages(&t));

	const struct mmu_geometry *g = mmu_geometry();
	for (unsigned i = 0; i < sizeof(spec_orders) / sizeof(spec_orders[0]); i++) {
		unsigned k = spec_orders[i];
		CHECK(g->native_orders >> k & 1, "order %u native", k);
		vaddr_t va = (vaddr_t)(i + 1) << 39;
		paddr_t pa = (paddr_t)(i + 1) << 40;
		unsigned prot = i % 2 ? R | W | U : R | X;
		mmu_entry_t e = mmu_mkmemtype(mmu_mksize(mmu_mkentry(pa, prot), k), (enum mmu_memtype)(i % 3));
		CHECK(add_commit(&t, e, va) == 0, "add order %u", k);
		uint64_t *slot = spec_find(hw.root, va, k);
		CHECK(slot, "order %u at %#" PRIx64 " not where the spec's hash puts it", k, va);
		if (slot) {
			uint64_t tr = slot[1];
			uint64_t want = pa | (prot & R ? 1 : 0) | (prot & W ? 2 : 0) | (prot & X ? 4 : 0) |
			                (prot & U ? 8 : 0) | 1ull << 5 | (prot & W ? 1ull << 6 : 0) |
			                (uint64_t)(i % 3) << 8;
			CHECK(tr == want, "order %u translation %#" PRIx64 ", spec says %#" PRIx64, k, tr, want);
		}
	}
	/* A global entry lives in the kernel table with G set. */
	vaddr_t kva = 0xffff800000000000ull + (5ull << 30);
	mmu_entry_t ge = mmu_mkglobal(mmu_mkentry(0x7000000000ull, R | W));
	CHECK(add_commit(&t, ge, kva) == 0, "add global");
	uint64_t *slot = spec_find(hw.kernel_root, kva, 0);
	CHECK(slot && (slot[1] & 1ull << 4), "global entry in the kernel table with G");
	CHECK(spec_find(hw.root, kva, 0) == NULL, "global entry not in the set's table");
	CHECK(remove_commit(&t, kva) == 0, "remove global");
	CHECK(mmu_clear_range(&t, 0, 1ull << 47) == 0, "clear user half");
	CHECK(table_pages(&t) == 1, "cleared set back to its directory, got %" PRIu64, table_pages(&t));
	mmu_remove_translation_set(&t);
}

/* n leaves of order 0 whose bases all hash to the same bucket. */
static unsigned colliding(vaddr_t start, uint64_t d, vaddr_t *out, unsigned n)
{
	struct spot s0 = spec_spot(start, 0, d);
	unsigned got = 0;
	out[got++] = start;
	for (vaddr_t va = start + SPEC_BUCKETS * PAGE; got < n && va < start + (1ull << 40);
	     va += SPEC_BUCKETS * PAGE) {
		struct spot s = spec_spot(va, 0, d);
		if (s.page_index == s0.page_index && s.bucket == s0.bucket)
			out[got++] = va;
	}
	return got;
}

static void case_overflow(void)
{
	mmu_translation_set_t t;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	struct mmu_host_hwstate hw;
	mmu_host_hwstate(&t, &hw);
	size_t base_pages = mmu_host_tables_in_use();
	enum { N = 30 };
	vaddr_t va[N];
	unsigned n = colliding(0x40000000ull, phys64(hw.root)[0], va, N);
	CHECK(n == N, "found only %u colliding pages", n);
	mmu_transaction_t ta;
	mmu_transaction(&ta, &t);
	for (unsigned i = 0; i < n; i++)
		CHECK(mmu_add(&ta, mmu_mkentry(0x100000000ull + i * PAGE, R | W), va[i]) == 0, "add %u", i);
	CHECK(mmu_commit(&ta) == 0, "commit");
	/* 30 in one bucket of 8: the bucket page and three overflow pages. */
	CHECK(table_pages(&t) == 1 + 4, "table pages %" PRIu64 ", expected 5", table_pages(&t));
	for (unsigned i = 0; i < n; i++) {
		paddr_t pa = 0;
		int rc = mmu_host_hw_translate(&t, va[i] + 0x123, MMU_WRITE, &pa);
		CHECK(rc == 0 && pa == 0x100000000ull + i * PAGE + 0x123, "walk %u: rc %d pa %#" PRIx64, i, rc, pa);
		CHECK(spec_find(hw.root, va[i], 0), "leaf %u in the spec's chain", i);
	}
	/* Remove from the middle of the chain first: pages empty in the
	 * middle are unlinked, the rest still translate. */
	for (unsigned i = 8; i < 16; i++)
		CHECK(remove_commit(&t, va[i]) == 0, "remove %u", i);
	CHECK(table_pages(&t) == 1 + 3, "after emptying an overflow page: %" PRIu64 " pages", table_pages(&t));
	for (unsigned i = 0; i < n; i++) {
		paddr_t pa = 0;
		int rc = mmu_host_hw_translate(&t, va[i], MMU_READ, &pa);
		bool gone = i >= 8 && i < 16;
		CHECK(gone ? rc == -EFAULT : rc == 0 && pa == 0x100000000ull + i * PAGE,
		      "walk %u after removals: rc %d", i, rc);
	}
	/* The rest, in one transaction. */
	mmu_transaction(&ta, &t);
	for (unsigned i = 0; i < n; i++)
		if (i < 8 || i >= 16) {
			CHECK(mmu_find(&ta, va[i], NULL) == 0, "find %u", i);
			CHECK(mmu_remove(&ta) == 0, "remove %u", i);
		}
	CHECK(mmu_commit(&ta) == 0, "commit removals");
	CHECK(table_pages(&t) == 1, "all removed: %" PRIu64 " pages", table_pages(&t));
	CHECK(mmu_host_tables_in_use() == base_pages, "tables in use %zu, expected %zu",
	      mmu_host_tables_in_use(), base_pages);
	mmu_remove_translation_set(&t);
}

/* Corrupt a copy of a real entry in place, ask the walker, restore. */
static void case_oracle(void)
{
	mmu_translation_set_t t;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	struct mmu_host_hwstate hw;
	mmu_host_hwstate(&t, &hw);
	vaddr_t va = 0x200000000ull;
	CHECK(add_commit(&t, mmu_mksize(mmu_mkentry(0x300000000ull, R | W | U), 9), va) == 0, "add 2M");
	uint64_t *slot = spec_find(hw.root, va, 9);
	CHECK(slot, "2M leaf where the spec says");
	if (!slot) {
		mmu_remove_translation_set(&t);
		return;
	}
	paddr_t pa;
	CHECK(mmu_host_hw_translate(&t, va + 0x1234, MMU_READ | MMU_USER, &pa) == 0 &&
	      pa == 0x300001234ull, "user read");
	CHECK(mmu_host_hw_translate(&t, va, MMU_READ, &pa) == -EFAULT, "supervisor read of a U page");
	CHECK(mmu_host_hw_translate(&t, va, MMU_EXEC | MMU_USER, &pa) == -EFAULT, "fetch without X");
	CHECK(mmu_host_hw_translate(&t, va + (2ull << 20), MMU_READ | MMU_USER, &pa) == -EFAULT,
	      "past the leaf");

	uint64_t tr = slot[1];
	struct { uint64_t tr; const char *what; } bad[] = {
		{ tr | 1ull << 60, "reserved bit 60" },
		{ tr | 1ull << 10, "reserved bit 10" },
		{ tr | 3ull << 8, "memory type 3" },
		{ tr + PAGE, "output address not 2M-aligned" },
		{ tr & ~1ull, "W without R" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		slot[1] = bad[i].tr;
		CHECK(mmu_host_hw_translate(&t, va, MMU_READ | MMU_USER, &pa) == -EFAULT &&
		      mmu_host_hw_translate(&t, va, MMU_WRITE | MMU_USER, &pa) == -EFAULT,
		      "walker accepted %s", bad[i].what);
	}
	slot[1] = tr;
	/* A multiple hit: the same tag twice in the bucket. */
	uint64_t *twin = NULL;
	uint64_t bucket_base = ((uintptr_t)slot & 0xfff) / 8;
	bucket_base = SPEC_HDR + (bucket_base - SPEC_HDR) / 16 * 16;
	uint64_t *page = (uint64_t *)((uintptr_t)slot & ~(uintptr_t)0xfff);
	for (unsigned e = 0; e < 8 && !twin; e++)
		if (!page[bucket_base + 2 * e])
			twin = &page[bucket_base + 2 * e];
	CHECK(twin, "a free slot next to the leaf");
	if (twin) {
		twin[1] = tr;
		twin[0] = slot[0];
		CHECK(mmu_host_hw_translate(&t, va, MMU_READ | MMU_USER, &pa) == -EFAULT, "multiple hit accepted");
		twin[0] = twin[1] = 0;
	}
	/* Registers that disagree with the table, or a non-canonical va. */
	CHECK(ref_translate(&hw, va, MMU_READ | MMU_USER, &pa) == 0, "the registers as they are");
	hw.aux += SPEC_BUCKETS;
	CHECK(ref_translate(&hw, va, MMU_READ | MMU_USER, &pa) == -EFAULT, "aux off by a page accepted");
	hw.aux -= SPEC_BUCKETS;
	CHECK(ref_translate(&hw, va | 1ull << 50, MMU_READ | MMU_USER, &pa) == -EFAULT,
	      "non-canonical va accepted");
	CHECK(mmu_host_hw_translate(&t, va, MMU_READ | MMU_USER, &pa) == 0, "restored entry translates");
	mmu_remove_translation_set(&t);
}

static mmu_entry_t keep_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	(*(unsigned *)priv)++;
	return e;
}

static void case_sparse(void)
{
	mmu_translation_set_t t, d;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	enum { N = 3000 };
	uint64_t x = 12345;
	mmu_transaction_t ta;
	mmu_transaction(&ta, &t);
	unsigned added = 0;
	for (unsigned i = 0; i < N; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		vaddr_t va = (x >> 17) & ((1ull << 47) - 1) & ~(PAGE - 1);
		if (mmu_add(&ta, mmu_mkentry(0x100000000ull + i * PAGE, R), va) == 0)
			added++;
	}
	CHECK(mmu_commit(&ta) == 0, "commit");
	clock_t c0 = clock();
	unsigned seen = 0;
	CHECK(mmu_scan(&t, 0, 1ull << 47, keep_fn, &seen) == 0, "scan");
	CHECK(seen == added, "scan saw %u of %u", seen, added);
	CHECK(mmu_dup_translation_set(&d, &t) == 0, "dup");
	seen = 0;
	CHECK(mmu_scan(&d, 0, 1ull << 47, keep_fn, &seen) == 0 && seen == added, "dup has %u of %u", seen, added);
	CHECK(mmu_clear_range(&t, 0, 1ull << 47) == 0, "clear");
	CHECK(table_pages(&t) == 1, "cleared: %" PRIu64 " pages", table_pages(&t));
	double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	CHECK(secs < 20, "scan + dup + clear of %u scattered entries took %.1f s", added, secs);
	mmu_remove_translation_set(&d);
	mmu_remove_translation_set(&t);
}

/* One mmu_remove_range over a run of base pages, the table's few bucket
 * pages (two) shared with leaves outside the range: the sweep of
 * host/hashed.c (chains emptied whole, overflow pages unlinked, the rest
 * slot by slot), or, with a hole or a counted leaf in the range, the
 * probe per leaf. Either way: the range faults, everything else
 * translates, the statistics count what is left, no page leaks. */
static void case_sweep(void)
{
	enum { N = 1024, OUT = 40 };
	const vaddr_t a = 0x40000000ull, big = 0x80000000ull;
	const paddr_t pa0 = 0x100000000ull;
	mmu_host_set_hashed_pages(2);
	for (int how = 0; how < 4; how++) {   /* whole, with survivors, a hole, a counted leaf */
		mmu_translation_set_t t;
		CHECK(mmu_new_translation_set(&t) == 0, "new set");
		mmu_transaction_t ta;
		mmu_transaction(&ta, &t);
		CHECK(mmu_add_range(&ta, mmu_mkentry(pa0, R | W), a, N * PAGE) == 0, "%d: map", how);
		unsigned out = how ? OUT : 0;
		if (out) {
			CHECK(mmu_add_range(&ta, mmu_mkentry(pa0 + N * PAGE, R), a + N * PAGE, out * PAGE) == 0,
			      "%d: map after the range", how);
			CHECK(mmu_add(&ta, mmu_mksize(mmu_mkentry(0x200000000ull, R), 9), big) == 0,
			      "%d: map a 2M leaf", how);
		}
		if (how == 2) {
			CHECK(mmu_find(&ta, a + 100 * PAGE, NULL) == 0 && mmu_remove(&ta) == 0, "hole");
		}
		if (how == 3) {
			CHECK(mmu_find(&ta, a + 200 * PAGE, NULL) == 0 &&
			      mmu_update(&ta, mmu_mkcount(mmu_mkentry(pa0 + 200 * PAGE, R | W), 5)) == 0,
			      "counted leaf");
		}
		CHECK(mmu_commit(&ta) == 0, "%d: commit", how);
		mmu_transaction(&ta, &t);
		CHECK(mmu_remove_range(&ta, a, a + N * PAGE) == 0, "%d: remove_range", how);
		CHECK(mmu_commit(&ta) == 0, "%d: commit the removal", how);
		for (unsigned i = 0; i < N + out; i++) {
			paddr_t pa = 0;
			int rc = mmu_host_hw_translate(&t, a + i * PAGE, MMU_READ, &pa);
			CHECK(i < N ? rc == -EFAULT : rc == 0 && pa == pa0 + i * PAGE,
			      "%d: walk page %u: rc %d pa %#" PRIx64, how, i, rc, pa);
		}
		struct mmu_stats st;
		mmu_stats(&t, &st);
		CHECK(st.entries[0] == out && st.entries[9] == (out ? 1 : 0) && !st.counters[5] &&
		      st.mapped_bytes == out * PAGE + (out ? 512 * PAGE : 0),
		      "%d: entries[0] %" PRIu64 " [9] %" PRIu64 ", counters[5] %" PRIu64
		      ", mapped %#" PRIx64, how, st.entries[0], st.entries[9], st.counters[5], st.mapped_bytes);
		if (!out)
			CHECK(table_pages(&t) == 1, "%d: emptied, %" PRIu64 " pages", how, table_pages(&t));
		CHECK(mmu_clear_range(&t, 0, 1ull << 47) == 0, "%d: clear", how);
		CHECK(table_pages(&t) == 1, "%d: cleared, %" PRIu64 " pages", how, table_pages(&t));
		mmu_remove_translation_set(&t);
	}
	mmu_host_set_hashed_pages(0);
}

/* ---- a walker racing commits ---- */

struct race {
	mmu_translation_set_t *t;
	vaddr_t va;
	atomic_bool stop;
	atomic_ulong walks, bad;
};

static void *walker(void *arg)
{
	struct race *r = arg;
	while (!atomic_load(&r->stop)) {
		for (unsigned i = 0; i < 64; i++) {
			paddr_t pa = 0;
			vaddr_t va = r->va + i * PAGE;
			int rc = mmu_host_hw_translate(r->t, va, MMU_READ, &pa);
			/* Always mapped; its pa is one of two, with the page's offset. */
			paddr_t a = 0x500000000ull + i * PAGE, b = 0x600000000ull + i * PAGE;
			if (rc != 0 || (pa != a && pa != b))
				atomic_fetch_add(&r->bad, 1);
			atomic_fetch_add(&r->walks, 1);
		}
	}
	return NULL;
}

static void case_concurrent(void)
{
	mmu_translation_set_t t;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	struct race r = { .t = &t, .va = 0x700000000ull };
	mmu_transaction_t ta;
	mmu_transaction(&ta, &t);
	for (unsigned i = 0; i < 64; i++)
		mmu_add(&ta, mmu_mkentry(0x500000000ull + i * PAGE, R | W), r.va + i * PAGE);
	CHECK(mmu_commit(&ta) == 0, "commit");
	pthread_t th;
	CHECK(pthread_create(&th, NULL, walker, &r) == 0, "thread");
	for (unsigned round = 0; round < 400; round++) {
		paddr_t base = round % 2 ? 0x500000000ull : 0x600000000ull;
		mmu_transaction(&ta, &t);
		for (unsigned i = 0; i < 64; i++) {
			if (mmu_find(&ta, r.va + i * PAGE, NULL) ||
			    mmu_update(&ta, mmu_mkentry(base + i * PAGE, R | (round % 3 ? W : 0))))
				case_fails++;
		}
		mmu_commit(&ta);
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	CHECK(atomic_load(&r.bad) == 0, "%lu of %lu walks saw no or a torn translation",
	      (unsigned long)atomic_load(&r.bad), (unsigned long)atomic_load(&r.walks));
	mmu_remove_translation_set(&t);
}

/* Leaving the mode frees the shared kernel table with whatever global
 * entries (and their overflow pages) it still holds. */
static void case_reselect(void)
{
	size_t base = mmu_host_tables_in_use();
	mmu_translation_set_t t;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	struct mmu_host_hwstate hw;
	mmu_host_hwstate(&t, &hw);
	enum { N = 20 };
	vaddr_t va[N];
	vaddr_t k0 = 0xffff800000000000ull + (7ull << 30);
	unsigned n = colliding(k0, phys64(hw.kernel_root)[0], va, N);
	mmu_transaction_t ta;
	mmu_transaction(&ta, &t);
	for (unsigned i = 0; i < n; i++)
		CHECK(mmu_add(&ta, mmu_mkglobal(mmu_mkentry(0x100000000ull + i * PAGE, R)), va[i]) == 0,
		      "add global %u", i);
	CHECK(mmu_commit(&ta) == 0, "commit");
	mmu_translation_set_t t2;
	CHECK(mmu_new_translation_set(&t2) == 0, "a later set");
	paddr_t pa = 0;
	CHECK(mmu_host_hw_translate(&t2, va[n - 1], MMU_READ, &pa) == 0 &&
	      pa == 0x100000000ull + (n - 1) * PAGE, "a later set sees the globals");
	mmu_remove_translation_set(&t2);
	mmu_remove_translation_set(&t);
	CHECK(mmu_host_tables_in_use() > base, "globals keep their kernel pages");
	CHECK(mmu_select_mode("sv48") == 0 && mmu_select_mode("hashed") == 0, "reselect");
	CHECK(mmu_host_tables_in_use() == base, "after reselecting: tables in use %zu, expected %zu",
	      mmu_host_tables_in_use(), base);
}

/* ---- main ---- */

static void run(const char *name, void (*fn)(void))
{
	size_t base = mmu_host_tables_in_use();
	case_fails = 0;
	fn();
	if (mmu_host_tables_in_use() != base) {
		fprintf(stderr, "FAIL %s: tables in use %zu, expected %zu\n", name,
		        mmu_host_tables_in_use(), base);
		case_fails++;
	}
	printf("%s %s\n", case_fails ? "FAIL" : "PASS", name);
	if (case_fails)
		failed++;
	else
		passed++;
}

/*
 * A removal that sweeps (a run of >= a page's slots of 2M leaves) and
 * ends inside a leaf: the sweep takes only the leaves wholly inside, the
 * front end splits the last one, so the rest of it and every leaf after
 * stay mapped. (The fuzz target found the sweep taking the leaf the range
 * ends in: it tested leaf bases against the end, not leaf ends.)
 */
static void case_sweep_end(void)
{
	enum { N = 512, CUT = 300 };
	const vaddr_t a = 0x40000000ull, big = 2ull << 20, tail = 0x1f7000;
	const paddr_t pa0 = 0x100000000ull;
	const vaddr_t end = a + CUT * big + tail;
	mmu_translation_set_t t;
	mmu_transaction_t ta;
	CHECK(mmu_new_translation_set(&t) == 0, "new set");
	mmu_transaction(&ta, &t);
	CHECK(mmu_add_range(&ta, mmu_mksize(mmu_mkentry(pa0, R | W), 9), a, N * big) == 0, "map");
	CHECK(mmu_commit(&ta) == 0, "commit");
	mmu_transaction(&ta, &t);
	CHECK(mmu_remove_range(&ta, a, end) == 0, "remove_range");
	CHECK(mmu_find(&ta, end, NULL) == 0, "the open transaction lost %#" PRIx64, (uint64_t)end);
	CHECK(mmu_commit(&ta) == 0, "commit the removal");
	for (vaddr_t va = end - 4 * PAGE; va < a + (CUT + 2) * big; va += PAGE) {
		paddr_t pa = 0;
		int rc = mmu_host_hw_translate(&t, va, MMU_READ, &pa);
		CHECK(va < end ? rc == -EFAULT : rc == 0 && pa == pa0 + (va - a),
		      "walk %#" PRIx64 ": rc %d pa %#" PRIx64, (uint64_t)va, rc, pa);
	}
	struct mmu_stats st;
	mmu_stats(&t, &st);
	CHECK(st.entries[9] == N - CUT - 1 && st.entries[0] == (big - tail) / PAGE,
	      "entries[9] %" PRIu64 " [0] %" PRIu64, st.entries[9], st.entries[0]);
	CHECK(mmu_clear_range(&t, 0, 1ull << 47) == 0 && table_pages(&t) == 1, "clear");
	mmu_remove_translation_set(&t);
}

int main(void)
{
	if (mmu_host_init((size_t)512 << 20) || mmu_select_mode("hashed")) {
		printf("FAIL setup: no hashed mode\n0 passed, 1 failed\n");
		return 1;
	}
	run("layout", case_layout);
	run("overflow", case_overflow);
	run("oracle", case_oracle);
	run("sparse", case_sparse);
	run("sweep", case_sweep);
	run("sweep_end", case_sweep_end);
	run("concurrent", case_concurrent);
	run("reselect", case_reselect);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
