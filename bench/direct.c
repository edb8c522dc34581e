/*
 * The direct baseline of `make bench`: page tables written the way a small
 * kernel writes them, with no abstraction (the shape of xv6's vm.c walk()/
 * mappages()/uvmunmap()/freewalk(), or Unikraft's paging.c): one walk from
 * the root per page, a table allocated where a link is missing, one store
 * per leaf; no transaction, no rollback, no statistics. Two formats:
 * x86-64 4-level (Intel SDM Vol. 3A 4.5: P, R/W, U/S, address in bits
 * 51:12) and RISC-V Sv39 (privileged spec 4.4: V, R, W, X, U, PPN in bits
 * 53:10). Table pages come from a free list of 4 KiB pages, the "physical"
 * address of a page is its host address (a kernel's direct map).
 *
 * The bench runs it in the same process and on the same pinned CPU as the
 * MMU layer's workloads, so the price of the abstraction is one ratio.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "direct.h"

#define PG      4096ull
#define NENT    512

/* ---- table pages: a free list, as a kernel's page allocator ---- */

struct freepage { struct freepage *next; };
static struct freepage *freelist;

static uint64_t *page_alloc(void)
{
	struct freepage *p = freelist;
	if (p)
		freelist = p->next;
	else if (!(p = aligned_alloc(PG, PG)))
		abort();
	memset(p, 0, PG);
	return (uint64_t *)p;
}

static void page_free(void *pg)
{
	struct freepage *p = pg;
	p->next = freelist;
	freelist = p;
}

/* ---- the two formats ---- */

struct fmt {
	unsigned levels;
	uint64_t (*leaf)(uint64_t pa);
	uint64_t (*link)(uint64_t pa);
	int      (*present)(uint64_t pte);
	int      (*is_leaf)(uint64_t pte);
	uint64_t (*addr)(uint64_t pte);
};

/* x86-64: P 0, R/W 1, U/S 2, A 5, D 6; a table link with P, R/W, U/S. */
static uint64_t x_leaf(uint64_t pa) { return pa | 0x67; }
static uint64_t x_link(uint64_t pa) { return pa | 0x07; }
static int x_present(uint64_t e) { return e & 1; }
static int x_is_leaf(uint64_t e) { (void)e; return 0; }   /* no huge pages here */
static uint64_t x_addr(uint64_t e) { return e & 0x000ffffffffff000ull; }

/* Sv39: V 0, R 1, W 2, X 3, U 4, A 6, D 7; a link has V alone. */
static uint64_t r_leaf(uint64_t pa) { return (pa >> 12) << 10 | 0xc7; }
static uint64_t r_link(uint64_t pa) { return (pa >> 12) << 10 | 0x01; }
static int r_present(uint64_t e) { return e & 1; }
static int r_is_leaf(uint64_t e) { return (e & 0xe) != 0; }
static uint64_t r_addr(uint64_t e) { return (e >> 10) << 12; }

static const struct fmt fmts[2] = {
	{ 4, x_leaf, x_link, x_present, x_is_leaf, x_addr },
	{ 3, r_leaf, r_link, r_present, r_is_leaf, r_addr },
};

/* The leaf slot for va, tables allocated on the way when alloc is set;
 * NULL when a table is missing. */
static inline __attribute__((always_inline))
uint64_t *walk(const struct fmt *f, uint64_t *root, uint64_t va, int alloc)
{
	uint64_t *tbl = root;
	for (unsigned l = f->levels - 1; l > 0; l--) {
		uint64_t *pte = &tbl[(va >> (12 + 9 * l)) & (NENT - 1)];
		if (f->present(*pte)) {
			tbl = (uint64_t *)(uintptr_t)f->addr(*pte);
		} else {
			if (!alloc)
				return NULL;
			tbl = page_alloc();
			*pte = f->link((uint64_t)(uintptr_t)tbl);
		}
	}
	return &tbl[(va >> 12) & (NENT - 1)];
}

/* One page: what a page-fault handler calls. */
static inline __attribute__((always_inline))
void map_one(const struct fmt *f, uint64_t *root, uint64_t va, uint64_t pa)
{
	*walk(f, root, va, 1) = f->leaf(pa);
}

static inline __attribute__((always_inline))
void unmap_one(const struct fmt *f, uint64_t *root, uint64_t va)
{
	uint64_t *pte = walk(f, root, va, 0);
	if (pte)
		*pte = 0;
}

/* Free the tables under tbl (level l) that map nothing, as freewalk()
 * after uvmunmap() does; returns whether tbl is empty now. */
static int reclaim(const struct fmt *f, uint64_t *tbl, unsigned l)
{
	int empty = 1;
	for (unsigned i = 0; i < NENT; i++) {
		uint64_t e = tbl[i];
		if (!f->present(e))
			continue;
		if (l > 0 && !f->is_leaf(e)) {
			uint64_t *child = (uint64_t *)(uintptr_t)f->addr(e);
			if (reclaim(f, child, l - 1)) {
				tbl[i] = 0;
				page_free(child);
				continue;
			}
		}
		empty = 0;
	}
	return empty;
}

static uint64_t ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double med(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

/* Inlined per format with f constant, so the format's helpers compile to
 * the plain bit operations a kernel writes (no calls through pointers). */
static inline __attribute__((always_inline))
int run_fmt(const struct fmt *f, uint64_t va0, uint64_t pa0, uint64_t npages, int runs,
            struct direct_result *out)
{
	double v[DIRECT_W][DIRECT_MAX_RUNS];
	uint64_t sum_bad = 0;
	if (runs > DIRECT_MAX_RUNS)
		runs = DIRECT_MAX_RUNS;
	for (int r = 0; r < runs; r++) {
		uint64_t *root = page_alloc();
		uint64_t t0 = ticks();
		for (uint64_t i = 0; i < npages; i++)
			*walk(f, root, va0 + i * PG, 1) = f->leaf(pa0 + i * PG);
		uint64_t t1 = ticks();
		uint64_t sum = 0;
		for (uint64_t i = 0; i < npages; i++)
			sum += f->addr(*walk(f, root, va0 + i * PG, 0));
		uint64_t t2 = ticks();
		for (uint64_t i = 0; i < npages; i++)
			*walk(f, root, va0 + i * PG, 0) = 0;
		reclaim(f, root, f->levels - 1);
		uint64_t t3 = ticks();
		for (uint64_t i = 0; i < npages; i++) {
			map_one(f, root, va0 + i * PG, pa0 + i * PG);
			__asm__ volatile("" ::: "memory");   /* one call per page: no merging */
		}
		uint64_t t4 = ticks();
		for (uint64_t i = 0; i < npages; i++) {
			unmap_one(f, root, va0 + i * PG);
			__asm__ volatile("" ::: "memory");
		}
		uint64_t t5 = ticks();
		reclaim(f, root, f->levels - 1);
		page_free(root);
		if (sum != npages * pa0 + (npages * (npages - 1) / 2) * PG)
			sum_bad++;
		v[DIRECT_MAP][r] = (double)(t1 - t0) / (double)npages;
		v[DIRECT_QUERY][r] = (double)(t2 - t1) / (double)npages;
		v[DIRECT_UNMAP][r] = (double)(t3 - t2) / (double)npages;
		v[DIRECT_PP_MAP][r] = (double)(t4 - t3) / (double)npages;
		v[DIRECT_PP_UNMAP][r] = (double)(t5 - t4) / (double)npages;
	}
	for (int w = 0; w < DIRECT_W; w++)
		out->ns[w] = med(v[w], runs);
	return sum_bad ? -1 : 0;
}

__attribute__((noinline)) static int run_x86(uint64_t va0, uint64_t pa0, uint64_t n, int runs,
                                             struct direct_result *out)
{
	return run_fmt(&fmts[DIRECT_X86], va0, pa0, n, runs, out);
}

__attribute__((noinline)) static int run_sv39(uint64_t va0, uint64_t pa0, uint64_t n, int runs,
                                              struct direct_result *out)
{
	return run_fmt(&fmts[DIRECT_SV39], va0, pa0, n, runs, out);
}

int direct_bench(int which, uint64_t va0, uint64_t pa0, uint64_t npages, int runs,
                 struct direct_result *out)
{
	return which == DIRECT_X86 ? run_x86(va0, pa0, npages, runs, out)
	                           : run_sv39(va0, pa0, npages, runs, out);
}
