/*
 * bench: the mmu_* operations of every host mode against the physical limit
 * of this machine, in one run (issue 7). Written against include/mmu.h and
 * include/mmu_host.h only; links build/host/libmmu.a (-O2, no sanitizers).
 *
 * For every mode mmu_mode_count() lists, each workload runs over 1 GiB at a
 * 1 GiB-aligned VA (VA_BASE), as one transaction unless the workload says
 * otherwise, BENCH_RUNS times (at least 7) on a fresh translation set; the
 * median time is reported. The same run measures the limit: a scalar loop
 * storing 262,144 PTE-sized values (2 MiB), and memset of the same 2 MiB.
 * Every figure is ns per 4K-equivalent page (the total time / 262,144, so a
 * mode with 64K base pages does a sixteenth of the descriptors for the same
 * GiB) and its ratio to the scalar store limit per 8-byte descriptor.
 *
 * Each mode runs in a child process pinned to one CPU (a crash or hang in a
 * young engine is reported for that mode, the others still run), with
 * results written to shared memory; one mode at a time, two when a loaded
 * machine would otherwise break the 5 minutes the issue allows.
 * The limit is sampled before every workload on the workload's own CPU, so
 * it sees the same machine the workloads do; the parent prints the table
 * and build/bench/results.json.
 *
 *   bench [-o results.json] [-t results.txt] [-m results.md] [modes...]
 *   BENCH_RUNS=n        runs per workload (default 7)
 *   BENCH_JOBS=n|auto   modes at a time, each child pinned to its own CPU
 *                       (default auto: one, two if the run would not fit 5 min)
 *   BENCH_BUDGET=s      what "would not fit" means (default 270 s)
 *   BENCH_WORKLOADS=... only the workload groups named (e.g. "pp-map split")
 *   BENCH_TIMEOUT=s     per mode (default 240, wall): a hung mode is reported, not waited for
 *   BENCH_CLOCK=cpu|wall  what the figures are timed with (default cpu: the
 *                       thread's CPU time, see tick_ns)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmu.h"
#include "mmu_host.h"
#include "direct.h"
#include "store_floor.h"

/* Under `valgrind --tool=callgrind --collect-atstart=no`, count only the
 * timed phases (bench/profile.sh, CALLGRIND=1): instructions, not time, so
 * the figure does not move with the machine's load. No-ops otherwise. */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

#define GIB        (1ull << 30)
#define VA_BASE    GIB                   /* 1 GiB-aligned, user half of every mode */
#define PA_BASE    (4ull << 30)          /* 1 GiB-aligned output addresses */
#define PAGES_4K   262144ull             /* 4K-equivalent pages in 1 GiB */
#define PROT_RW    (MMU_READ | MMU_WRITE)
#define HASHED_SLOTS 248                 /* entries per table page of the hashed mode */
#define MAX_RUNS   101

/* ---- results, shared between the per-mode children and the parent ---- */

enum wl_id {
	W_MAP_BASE, W_MAP_2M, W_MAP_AUTO,
	W_QUERY_SEQ, W_QUERY_SHUF, W_QUERY_SCAN,
	W_PROT_FIND, W_PROT_SCAN,
	W_UNMAP_CLEAR, W_UNMAP_REMOVE,
	W_PP_MAP, W_PP_UNMAP,
	W_SPLIT, W_MERGE,
	W_MAP_RANGE, W_PROT_RANGE, W_UNMAP_RANGE,
	W_COUNT
};

#define MAX_MODES  64
#define MAX_ROWS   (MAX_MODES * W_COUNT)
#define LIM_SAMPLES 64                   /* limit samples per mode */
#define LIM_PER_GROUP 3                  /* taken before each workload group */

static const char *const wl_name[W_COUNT] = {
	"map-4k", "map-2m", "map-auto",
	"query-seq", "query-shuf", "query-scan",
	"protect-find", "protect-scan",
	"unmap-clear", "unmap-remove",
	"pp-map", "pp-unmap",
	"split", "merge",
	"map-range", "protect-range", "unmap-range",
};

/* What each row means (printed under the table). */
static const char *const wl_help[W_COUNT] = {
	"1 txn: mmu_add of every base page (4K, or the mode's base page)",
	"1 txn: mmu_add of 2M entries (or the native order nearest 2M)",
	"1 txn: one mmu_add of a 1 GiB entry; the library picks native sizes",
	"1 txn: mmu_find of every base page in address order (4K-mapped GiB)",
	"1 txn: mmu_find of every base page in a shuffled order",
	"mmu_scan over the GiB, callback keeps each entry (the iterator path)",
	"1 txn: mmu_find + mmu_update(prot R) per base page, RW -> R",
	"mmu_scan returning each entry with prot R",
	"mmu_clear_range of the 4K-mapped GiB, tables reclaimed",
	"1 txn: mmu_find + mmu_remove per base page",
	"262,144 one-page txns (base pages of the GiB): mmu_add + commit",
	"the same pages, one txn each: mmu_find + mmu_remove + commit",
	"1 txn, 2M-mapped GiB: unmap every other base page (find, update to base order, remove)",
	"1 txn: remap the holes as base pages, then per 2M remove its pages and re-add one 2M entry",
	"1 txn: one mmu_add_range of the GiB in base pages",
	"1 txn: one mmu_protect_range of the 4K-mapped GiB, RW -> R",
	"1 txn: one mmu_remove_range of the 4K-mapped GiB, tables reclaimed",
};

/* Targets on x86-64-4level (ratio to the scalar store limit); other modes
 * within 1.3x of x86-64-4level on the same row. 0: no target. */
static const double wl_target[W_COUNT] = {
	[W_MAP_BASE] = 8, [W_QUERY_SEQ] = 8, [W_QUERY_SCAN] = 3,
	[W_UNMAP_CLEAR] = 3, [W_UNMAP_REMOVE] = 3,
	[W_PP_MAP] = 15, [W_PP_UNMAP] = 15,
	[W_MAP_RANGE] = 2, [W_UNMAP_RANGE] = 3,
};
#define REF_MODE    "x86-64-4level"
#define ERR_NOT_RUN (-3000)                /* an earlier crash stopped the mode */
#define MODE_SLACK  1.3

struct row {
	char mode[32];
	int wl;                  /* enum wl_id */
	int err;                 /* 0, a negative errno, or -1000 - signal (crash) */
	int runs;
	uint64_t ops;            /* API operations (or transactions) timed per run */
	double ns_median, ns_min, ns_max;   /* whole run */
	double wall_median;
	uint64_t tables_used, tables_min;
	uint64_t tlb[4], tlb_min;           /* by kind: page, range, asid, all */
	uint64_t desc_bytes;     /* derived: descriptors changed x 8 */
	double   allocs_per_txn; /* page allocations per transaction (measured) */
	uint64_t book_bytes;     /* transaction bookkeeping pages allocated, bytes (measured) */
	unsigned page_shift;
	unsigned desc_size;
	unsigned va_bits, levels, big_shift;   /* for the mode's heading */
	bool big_contig;                       /* the 2m rows' entries are contiguous groups */
};

/* Each mode's child writes only its own slots (children may run at once). */
struct shared {
	struct row slot[MAX_MODES][W_COUNT];
	/* Limit samples the child takes before each workload, so that the
	 * limit sees the same machine (load, neighbour) as the workloads. */
	double lim_store[MAX_MODES][LIM_SAMPLES], lim_memset[MAX_MODES][LIM_SAMPLES];
	int nlim[MAX_MODES];
};
static struct shared *sh;
static int cur_mode;                     /* the child's mode index */
static double lim_quiet, lim_median;     /* for the header: parent's median, median of all */
static int bench_jobs = 1;
static char jobs_note[96];               /* when auto jobs went up */
static double budget_s = 270;            /* the issue's 5 minutes, less building */
static double child_cpu;                 /* user + system seconds of the children */
static char load_before[64], load_after[64];   /* /proc/loadavg */

static void read_load(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");
	snprintf(buf, n, "?");
	if (f) {
		if (fgets(buf, (int)n, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}
static struct direct_result direct[2];

/* The parent's compacted copy, in mode then workload order. */
static struct row rows[MAX_ROWS];
static int nrows;

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The clock of every figure: by default the thread's CPU time, which stops
 * while the scheduler runs someone else, so a shared machine (this one runs
 * other builds and tests beside the bench) inflates the figures far less
 * than wall time does; cache and memory contention still show. BENCH_CLOCK=
 * wall uses CLOCK_MONOTONIC instead. Wall time is recorded beside it.
 */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static uint64_t tick_ns(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *clock_name(void)
{
	return bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- the physical limit ---- */

/* store_ptes (store_floor.h): the store floor. */
__attribute__((noinline)) static void memset_ptes(uint64_t *buf, size_t n)
{
	memset(buf, 0x5a, n * sizeof(*buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

struct limit { double store_ns, memset_ns; int samples; };   /* per 8-byte descriptor */

static uint64_t *lim_buf;

/* n samples of each (ns per descriptor) into s[] and m[]. */
static void sample_limit(int n, double *s, double *m)
{
	if (!lim_buf) {
		lim_buf = aligned_alloc(1 << 21, PAGES_4K * 8);
		if (!lim_buf) {
			perror("bench: aligned_alloc");
			exit(1);
		}
		memset(lim_buf, 0, PAGES_4K * 8);
	}
	for (int i = 0; i < n; i++) {
		uint64_t t0 = tick_ns();
		store_ptes(lim_buf, PAGES_4K, PA_BASE + ((uint64_t)i << 30));
		uint64_t t1 = tick_ns();
		memset_ptes(lim_buf, PAGES_4K);
		uint64_t t2 = tick_ns();
		s[i] = (double)(t1 - t0) / PAGES_4K;
		m[i] = (double)(t2 - t1) / PAGES_4K;
	}
}

/* ---- per-mode geometry the bench derives ---- */

struct ctx {
	const struct mmu_geometry *g;
	unsigned ps;             /* base page shift */
	uint64_t page;           /* base page bytes */
	uint64_t npages;         /* base pages in the GiB */
	unsigned bits;           /* index bits per radix level */
	unsigned nlev;           /* radix levels, root included */
	bool radix;              /* false: no levels (hashed): no radix minimum */
	unsigned desc_size;      /* bytes per descriptor: 8, or 16 (hashed) */
	unsigned big;            /* native order nearest 2M */
	unsigned gib_order;      /* order of a 1 GiB entry */
	unsigned auto_native;    /* largest native order within 1 GiB */
	uint64_t base_tables;    /* table pages of a fresh set */
	uint32_t *perm;          /* shuffled base-page indices */
};

static unsigned native_below(const struct ctx *c, unsigned order)
{
	uint64_t fit = c->g->native_orders & (order >= 63 ? ~0ull : (2ull << order) - 1);
	return fit ? 63 - (unsigned)__builtin_clzll(fit) : 0;
}

/*
 * Index bits per level: page_shift - 3 (8-byte descriptors, every real
 * format), unless another width both fits va_bits in `levels` levels and
 * explains more of the native orders as whole levels (the synthetic
 * radix-6level: 8 bits). Levels then follow from va_bits and the width.
 */
static void derive_radix(struct ctx *c)
{
	const struct mmu_geometry *g = c->g;
	unsigned span = g->va_bits - g->page_shift;
	unsigned best = g->page_shift - 3, best_score = 0;
	c->radix = g->levels >= 2;
	if (!c->radix) {
		c->bits = best;
		c->nlev = 1;
		return;
	}
	unsigned cand[3] = { g->page_shift - 3, span / g->levels,
	                     (span + g->levels - 1) / g->levels };
	for (int k = 0; k < 3; k++) {
		unsigned b = cand[k];
		if (!b)
			continue;
		int top = (int)span - (int)((g->levels - 1) * b);
		if (top < 1 || top > (int)b)
			continue;
		unsigned score = 0;
		for (unsigned o = 0; o < 64; o++)
			if ((g->native_orders >> o & 1) && o % b == 0)
				score++;
		if (score > best_score) {
			best = b;
			best_score = score;
		}
	}
	c->bits = best;
	c->nlev = (span + best - 1) / best;
}

/*
 * The fewest table pages a set needs to map [va, va + len) with leaves of
 * native order `order` (a contiguous group sits in the level of its
 * entries: level = order / bits): the root, plus at every level from the
 * leaves' up to below the root, one table per distinct span that level's
 * tables cover. A set with nothing mapped needs its root only.
 */
/* The levelless hashed mode (host/hashed.c): a directory page and 16-byte
 * entries, 248 to a page, one per native leaf; never less than the fixed
 * table a fresh set starts with. */
static uint64_t hashed_min(const struct ctx *c, uint64_t leaves)
{
	uint64_t need = 1 + (leaves + HASHED_SLOTS - 1) / HASHED_SLOTS;
	return need > c->base_tables ? need : c->base_tables;
}

static uint64_t radix_min(const struct ctx *c, vaddr_t va, uint64_t len, unsigned order)
{
	if (!c->radix)
		return hashed_min(c, len >> (c->ps + order));
	uint64_t n = 1;
	if (!len)
		return n;
	for (unsigned j = order / c->bits; j + 1 < c->nlev; j++) {
		unsigned s = c->ps + (j + 1) * c->bits;
		n += ((va + len - 1) >> s) - (va >> s) + 1;
	}
	return n;
}

/* Descriptors written for one entry of that order: the native pieces it is
 * built of, each a contiguous group of 2^(order mod bits) descriptors. */
static uint64_t descs_of(const struct ctx *c, unsigned order)
{
	unsigned n = native_below(c, order);
	return (1ull << (order - n)) << (c->radix ? n % c->bits : 0);
}

/* ---- workloads ---- */

struct sample {
	double ns, wall;         /* bench_clock, and wall time */
	uint64_t ops;
	uint64_t tables_used, tables_min;
	uint64_t tlb[4], tlb_min;
	uint64_t desc;           /* descriptors changed (derived) */
	uint64_t txns;           /* transactions in the phase */
	uint64_t allocs, book;   /* page allocations, bookkeeping bytes in the phase */
};

static void tlb_read(mmu_translation_set_t *t, uint64_t v[4])
{
	for (int k = 0; k < 4; k++)
		v[k] = mmu_host_tlb_ops(t, (enum mmu_tlb_kind)k);
}

static uint64_t tables_of(mmu_translation_set_t *t)
{
	struct mmu_stats st;
	mmu_stats(t, &st);
	return st.table_pages;
}

/*
 * Profiling only the timed phases: under `perf record --control
 * fifo:CTL,ACK -D -1`, with BENCH_PERF_CTL=CTL and BENCH_PERF_ACK=ACK, the
 * bench enables the events at the start of each timed phase and disables
 * them at its end, so set-up and checks stay out of the profile
 * (bench/profile.sh).
 */
static int perf_ctl = -1, perf_ack = -1;

static void perf_cmd(const char *cmd)
{
	if (perf_ctl == -2)
		return;
	if (perf_ctl < 0) {
		const char *c = getenv("BENCH_PERF_CTL"), *a = getenv("BENCH_PERF_ACK");
		perf_ctl = c ? open(c, O_WRONLY) : -1;
		perf_ack = a && perf_ctl >= 0 ? open(a, O_RDONLY) : -1;
		if (perf_ctl < 0) {
			perf_ctl = -2;
			return;
		}
	}
	if (write(perf_ctl, cmd, strlen(cmd)) < 0)
		return;
	char ch;
	while (perf_ack >= 0 && read(perf_ack, &ch, 1) == 1 && ch != '\n')
		;
}

/* Bracket a timed phase: the TLB counters and tables before and after. */
struct phase { uint64_t t0, w0, tlb0[4], tab0, al0, bk0; };

static void phase_begin(mmu_translation_set_t *t, struct phase *p)
{
	tlb_read(t, p->tlb0);
	p->tab0 = tables_of(t);
	mmu_host_alloc_counts(&p->al0, &p->bk0);
	perf_cmd("enable\n");
	CALLGRIND_TOGGLE_COLLECT;
	p->w0 = now_ns();
	p->t0 = tick_ns();
}

static void phase_end(mmu_translation_set_t *t, struct phase *p, struct sample *s)
{
	uint64_t t1 = tick_ns(), w1 = now_ns();
	CALLGRIND_TOGGLE_COLLECT;
	perf_cmd("disable\n");
	uint64_t v[4];
	s->ns = (double)(t1 - p->t0);
	s->wall = (double)(w1 - p->w0);
	tlb_read(t, v);
	for (int k = 0; k < 4; k++)
		s->tlb[k] = v[k] - p->tlb0[k];
	s->tables_used = tables_of(t);
	uint64_t al, bk;
	mmu_host_alloc_counts(&al, &bk);
	s->allocs = al - p->al0;
	s->book = bk - p->bk0;
	s->txns = 1;
}

static uint64_t tab_delta(mmu_translation_set_t *t, const struct phase *p)
{
	uint64_t now = tables_of(t);
	return now > p->tab0 ? now - p->tab0 : p->tab0 - now;
}

static mmu_entry_t entry_at(const struct ctx *c, uint64_t i, unsigned order, unsigned prot)
{
	uint64_t bytes = c->page << order;
	return mmu_mksize(mmu_mkentry(PA_BASE + i * bytes, prot), order);
}

/* Map the GiB with entries of `order` in one transaction. */
static int map_gib(const struct ctx *c, mmu_translation_set_t *t, unsigned order)
{
	mmu_transaction_t ta;
	uint64_t bytes = c->page << order, n = GIB / bytes;
	int err = 0;
	mmu_transaction(&ta, t);
	/* The loop a kernel writes (and the direct baseline, bench/direct.c):
	 * the entry's size in a local, not read from *c, which the compiler
	 * reloads (with the shift and multiply of entry_at) after each store
	 * into a table, since that store might change it; and the error
	 * tested where it is returned ("if (err) goto out"), where GCC drops
	 * the test on the inline path that returns 0 (a loop condition
	 * "i < n && !err" kept the result in a flag and tested it again). */
	for (uint64_t i = 0; i < n; i++) {
		err = mmu_add(&ta, mmu_mksize(mmu_mkentry(PA_BASE + i * bytes, PROT_RW), order),
		              VA_BASE + i * bytes);
		if (err)
			break;
	}
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

static int w_map(const struct ctx *c, mmu_translation_set_t *t, unsigned order,
                 unsigned min_order, struct sample *s)
{
	struct phase p;
	phase_begin(t, &p);
	int err = map_gib(c, t, order);
	phase_end(t, &p, s);
	uint64_t bytes = c->page << order;
	s->ops = GIB / bytes;
	s->tables_min = radix_min(c, VA_BASE, GIB, min_order);
	s->tlb_min = 1;
	s->desc = s->ops * descs_of(c, order) + tab_delta(t, &p);
	return err;
}

/* mmu_find of every base page, in order or shuffled; checks what it finds. */
static int w_query(const struct ctx *c, mmu_translation_set_t *t, bool shuffled,
                   struct sample *s)
{
	int err = map_gib(c, t, 0);
	if (err)
		return err;
	mmu_transaction_t ta;
	mmu_entry_t e;
	uint64_t sum = 0, want = 0;
	for (uint64_t i = 0; i < c->npages; i++)
		want += PA_BASE + i * c->page;
	struct phase p;
	phase_begin(t, &p);
	mmu_transaction(&ta, t);
	for (uint64_t i = 0; i < c->npages && !err; i++) {
		uint64_t k = shuffled ? c->perm[i] : i;
		err = mmu_find(&ta, VA_BASE + k * c->page, &e);
		sum += mmu_entry_pa(e);
	}
	int cerr = mmu_commit(&ta);
	phase_end(t, &p, s);
	s->ops = c->npages;
	s->tables_min = radix_min(c, VA_BASE, GIB, 0);
	s->tlb_min = 0;
	s->desc = 0;
	if (!err && sum != want)
		err = -EIO;   /* found the wrong translations */
	return err ? err : cerr;
}

struct scan_arg { uint64_t n, sum; unsigned prot; };

static mmu_entry_t scan_keep(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct scan_arg *a = priv;
	a->n++;
	a->sum += mmu_entry_pa(e);
	return e;
}

static mmu_entry_t scan_prot(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct scan_arg *a = priv;
	a->n++;
	return mmu_mkprot(e, a->prot);
}

static int w_query_scan(const struct ctx *c, mmu_translation_set_t *t, struct sample *s)
{
	int err = map_gib(c, t, 0);
	if (err)
		return err;
	struct scan_arg a = { 0, 0, 0 };
	uint64_t want = 0;
	for (uint64_t i = 0; i < c->npages; i++)
		want += PA_BASE + i * c->page;
	struct phase p;
	phase_begin(t, &p);
	err = mmu_scan(t, VA_BASE, VA_BASE + GIB, scan_keep, &a);
	phase_end(t, &p, s);
	s->ops = c->npages;
	s->tables_min = radix_min(c, VA_BASE, GIB, 0);
	s->tlb_min = 0;
	s->desc = 0;
	if (!err && (a.n != c->npages || a.sum != want))
		err = -EIO;
	return err;
}

static int w_protect(const struct ctx *c, mmu_translation_set_t *t, bool scan,
                     struct sample *s)
{
	int err = map_gib(c, t, 0);
	if (err)
		return err;
	struct phase p;
	struct scan_arg a = { 0, 0, MMU_READ };
	phase_begin(t, &p);
	if (scan) {
		err = mmu_scan(t, VA_BASE, VA_BASE + GIB, scan_prot, &a);
	} else {
		mmu_transaction_t ta;
		mmu_entry_t e;
		mmu_transaction(&ta, t);
		for (uint64_t i = 0; i < c->npages && !err; i++) {
			err = mmu_find(&ta, VA_BASE + i * c->page, &e);
			if (!err)
				err = mmu_update(&ta, mmu_mkprot(e, MMU_READ));
		}
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	phase_end(t, &p, s);
	s->ops = c->npages;
	s->tables_min = radix_min(c, VA_BASE, GIB, 0);
	s->tlb_min = 1;
	s->desc = c->npages;
	if (!err) {   /* spot check: the last page is read-only now */
		mmu_transaction_t ta;
		mmu_entry_t e;
		mmu_transaction(&ta, t);
		err = mmu_find(&ta, VA_BASE + GIB - c->page, &e);
		if (!err && mmu_entry_prot(e) != MMU_READ)
			err = -EIO;
		mmu_forget(&ta);
	}
	return err;
}

static int w_unmap(const struct ctx *c, mmu_translation_set_t *t, bool clear,
                   struct sample *s)
{
	int err = map_gib(c, t, 0);
	if (err)
		return err;
	struct phase p;
	phase_begin(t, &p);
	if (clear) {
		err = mmu_clear_range(t, VA_BASE, VA_BASE + GIB);
	} else {
		mmu_transaction_t ta;
		mmu_transaction(&ta, t);
		for (uint64_t i = 0; i < c->npages && !err; i++) {
			err = mmu_find(&ta, VA_BASE + i * c->page, NULL);
			if (!err)
				err = mmu_remove(&ta);
		}
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	phase_end(t, &p, s);
	s->ops = c->npages;
	s->tables_min = radix_min(c, VA_BASE, 0, 0);
	s->tlb_min = 1;
	s->desc = c->npages + tab_delta(t, &p);
	return err;
}

/* The range calls over the GiB in base pages: map, protect, remove. */
static int w_range(const struct ctx *c, mmu_translation_set_t *t, int wl, struct sample *s)
{
	int err = wl == W_MAP_RANGE ? 0 : map_gib(c, t, 0);
	if (err)
		return err;
	struct phase p;
	mmu_transaction_t ta;
	phase_begin(t, &p);
	mmu_transaction(&ta, t);
	if (wl == W_MAP_RANGE)
		err = mmu_add_range(&ta, entry_at(c, 0, 0, PROT_RW), VA_BASE, GIB);
	else if (wl == W_PROT_RANGE)
		err = mmu_protect_range(&ta, VA_BASE, VA_BASE + GIB, MMU_READ);
	else
		err = mmu_remove_range(&ta, VA_BASE, VA_BASE + GIB);
	if (err)
		mmu_forget(&ta);
	else
		err = mmu_commit(&ta);
	phase_end(t, &p, s);
	s->ops = 1;
	s->tables_min = radix_min(c, VA_BASE, wl == W_UNMAP_RANGE ? 0 : GIB, 0);
	s->tlb_min = 1;
	s->desc = c->npages + (wl == W_PROT_RANGE ? 0 : tab_delta(t, &p));
	if (!err && wl != W_UNMAP_RANGE) {   /* spot check: the last page */
		mmu_entry_t e;
		mmu_transaction(&ta, t);
		err = mmu_find(&ta, VA_BASE + GIB - c->page, &e);
		if (!err && (mmu_entry_pa(e) != PA_BASE + GIB - c->page ||
		             mmu_entry_prot(e) != (wl == W_MAP_RANGE ? PROT_RW : MMU_READ)))
			err = -EIO;
		mmu_forget(&ta);
	}
	return err;
}

/* One transaction per base page: map all, then unmap all. */
static int w_per_page(const struct ctx *c, mmu_translation_set_t *t, struct sample *sm,
                      struct sample *su)
{
	struct phase p;
	mmu_transaction_t ta;
	int err = 0;
	phase_begin(t, &p);
	for (uint64_t i = 0; i < c->npages && !err; i++) {
		mmu_transaction(&ta, t);
		err = mmu_add(&ta, entry_at(c, i, 0, PROT_RW), VA_BASE + i * c->page);
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	phase_end(t, &p, sm);
	sm->ops = c->npages;
	sm->txns = c->npages;
	sm->tables_min = radix_min(c, VA_BASE, GIB, 0);
	sm->tlb_min = c->npages;
	sm->desc = c->npages + tab_delta(t, &p);
	if (err)
		return err;

	phase_begin(t, &p);
	for (uint64_t i = 0; i < c->npages && !err; i++) {
		mmu_transaction(&ta, t);
		err = mmu_find(&ta, VA_BASE + i * c->page, NULL);
		if (!err)
			err = mmu_remove(&ta);
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	phase_end(t, &p, su);
	su->ops = c->npages;
	su->txns = c->npages;
	su->tables_min = radix_min(c, VA_BASE, 0, 0);
	su->tlb_min = c->npages;
	su->desc = c->npages + tab_delta(t, &p);
	return err ? -2000 + err : 0;   /* -2000: the second phase failed */
}

/* 2M-mapped GiB: unmap every other base page (one transaction), then remap
 * the holes and merge each 2M back (one transaction). */
static int w_split_merge(const struct ctx *c, mmu_translation_set_t *t, struct sample *ss,
                         struct sample *sg)
{
	int err = map_gib(c, t, c->big);
	if (err)
		return err;
	uint64_t bigb = c->page << c->big, nbig = GIB / bigb, per = 1ull << c->big;
	struct phase p;
	mmu_transaction_t ta;
	mmu_entry_t e;

	phase_begin(t, &p);
	mmu_transaction(&ta, t);
	uint64_t splits = 0;
	for (uint64_t i = 0; i < c->npages && !err; i += 2) {
		vaddr_t va = VA_BASE + i * c->page;
		err = mmu_find(&ta, va, &e);
		if (!err && mmu_entry_order(e) != 0) {
			paddr_t pa = mmu_entry_pa(e) + (va - mmu_current_va(&ta));
			err = mmu_update(&ta, mmu_mksize(mmu_mkentry(pa, mmu_entry_prot(e)), 0));
			splits++;
		}
		if (!err)
			err = mmu_remove(&ta);
	}
	if (err)
		mmu_forget(&ta);
	else
		err = mmu_commit(&ta);
	phase_end(t, &p, ss);
	ss->ops = c->npages / 2;
	ss->tables_min = c->radix ? radix_min(c, VA_BASE, GIB, 0) : hashed_min(c, c->npages / 2);
	ss->tlb_min = 1;
	ss->desc = nbig * (descs_of(c, c->big) + per + per / 2) + tab_delta(t, &p);
	if (err)
		return err;

	phase_begin(t, &p);
	mmu_transaction(&ta, t);
	for (uint64_t b = 0; b < nbig && !err; b++) {
		uint64_t first = b * per;
		for (uint64_t i = first; i < first + per && !err; i += 2)
			err = mmu_add(&ta, entry_at(c, i, 0, PROT_RW), VA_BASE + i * c->page);
		for (uint64_t i = first; i < first + per && !err; i++) {
			err = mmu_find(&ta, VA_BASE + i * c->page, NULL);
			if (!err)
				err = mmu_remove(&ta);
		}
		if (!err)
			err = mmu_add(&ta, entry_at(c, b, c->big, PROT_RW), VA_BASE + b * bigb);
	}
	if (err)
		mmu_forget(&ta);
	else
		err = mmu_commit(&ta);
	phase_end(t, &p, sg);
	sg->ops = nbig;
	sg->tables_min = radix_min(c, VA_BASE, GIB, c->big);
	sg->tlb_min = 1;
	sg->desc = nbig * (per / 2 + per + descs_of(c, c->big)) + tab_delta(t, &p);
	(void)splits;
	return err ? -2000 + err : 0;
}

/* One run of a workload (group) on a fresh set: up to two timed phases. */
static int run_once(struct ctx *c, int wl, struct sample s[2])
{
	mmu_translation_set_t t;
	memset(s, 0, 2 * sizeof(*s));
	int err = mmu_new_translation_set(&t);
	if (err)
		return err;
	switch (wl) {
	case W_MAP_BASE:     err = w_map(c, &t, 0, 0, s); break;
	case W_MAP_2M:       err = w_map(c, &t, c->big, c->big, s); break;
	case W_MAP_AUTO:     err = w_map(c, &t, c->gib_order, c->auto_native, s); break;
	case W_QUERY_SEQ:    err = w_query(c, &t, false, s); break;
	case W_QUERY_SHUF:   err = w_query(c, &t, true, s); break;
	case W_QUERY_SCAN:   err = w_query_scan(c, &t, s); break;
	case W_PROT_FIND:    err = w_protect(c, &t, false, s); break;
	case W_PROT_SCAN:    err = w_protect(c, &t, true, s); break;
	case W_UNMAP_CLEAR:  err = w_unmap(c, &t, true, s); break;
	case W_UNMAP_REMOVE: err = w_unmap(c, &t, false, s); break;
	case W_PP_MAP:       err = w_per_page(c, &t, &s[0], &s[1]); break;
	case W_SPLIT:        err = w_split_merge(c, &t, &s[0], &s[1]); break;
	case W_MAP_RANGE: case W_PROT_RANGE: case W_UNMAP_RANGE:
		err = w_range(c, &t, wl, s);
		break;
	}
	mmu_remove_translation_set(&t);
	return err;
}

static struct row *new_row(const char *mode, int wl)
{
	if (cur_mode >= MAX_MODES)
		return NULL;
	struct row *r = &sh->slot[cur_mode][wl];
	memset(r, 0, sizeof(*r));
	snprintf(r->mode, sizeof(r->mode), "%s", mode);
	r->wl = wl;
	return r;
}

/* Runs every workload of one mode; rows go to shared memory as they finish
 * so that a crash loses only the workload it happened in. */
static void bench_mode(const char *mode, int runs)
{
	struct ctx c = { 0 };
	int err = mmu_select_mode(mode);
	if (err) {
		struct row *r = new_row(mode, W_MAP_BASE);
		if (r)
			r->err = err;
		return;
	}
	c.g = mmu_geometry();
	c.ps = c.g->page_shift;
	c.page = 1ull << c.ps;
	c.npages = GIB >> c.ps;
	derive_radix(&c);
	c.desc_size = c.radix ? 8 : 16;
	/* Native order nearest 2M (log distance; the smaller on a tie). */
	int best = -1;
	for (unsigned o = 0; o < 64; o++)
		if (c.g->native_orders >> o & 1) {
			int d = abs((int)(o + c.ps) - 21);
			if (best < 0 || d < abs(best + (int)c.ps - 21))
				best = (int)o;
		}
	c.big = best < 0 ? 0 : (unsigned)best;
	c.gib_order = 30 - c.ps;
	c.auto_native = native_below(&c, c.gib_order);
	mmu_translation_set_t t;
	if (!mmu_new_translation_set(&t)) {
		c.base_tables = tables_of(&t);
		mmu_remove_translation_set(&t);
	}
	c.perm = malloc(c.npages * sizeof(*c.perm));
	for (uint64_t i = 0; i < c.npages; i++)
		c.perm[i] = (uint32_t)i;
	for (uint64_t i = c.npages - 1; i > 0; i--) {
		uint64_t j = rng() % (i + 1);
		uint32_t x = c.perm[i];
		c.perm[i] = c.perm[j];
		c.perm[j] = x;
	}

	static const int groups[] = { W_MAP_BASE, W_MAP_2M, W_MAP_AUTO, W_QUERY_SEQ,
	                              W_QUERY_SHUF, W_QUERY_SCAN, W_PROT_FIND, W_PROT_SCAN,
	                              W_UNMAP_CLEAR, W_UNMAP_REMOVE, W_PP_MAP, W_SPLIT,
	                              W_MAP_RANGE, W_PROT_RANGE, W_UNMAP_RANGE };
	enum { NG = sizeof(groups) / sizeof(groups[0]) };
	const char *only = getenv("BENCH_WORKLOADS");
	bool on[NG];
	int nsub[NG], gerr[NG], done[NG];
	static double ns[NG][2][MAX_RUNS], wall[NG][2][MAX_RUNS];
	double spent[NG];
	/* Every selected row exists from the start, so a crash leaves the
	 * workloads it prevented marked as not run rather than missing. */
	for (int gi = 0; gi < NG; gi++) {
		int wl = groups[gi];
		on[gi] = !(only && *only && !strstr(only, wl_name[wl]));
		nsub[gi] = (wl == W_PP_MAP || wl == W_SPLIT) ? 2 : 1;
		gerr[gi] = 0;
		done[gi] = 0;
		spent[gi] = 0;
		for (int k = 0; on[gi] && k < nsub[gi]; k++) {
			struct row *x = new_row(mode, wl + k);
			if (!x)
				return;
			x->err = ERR_NOT_RUN;
			x->page_shift = c.ps;
			x->va_bits = c.g->va_bits;
			x->levels = c.g->levels;
			x->big_shift = c.ps + c.big;
			x->big_contig = c.radix && c.big % c.bits;
			x->desc_size = c.desc_size;
		}
	}
	/*
	 * Runs go round the workloads (run 1 of each, then run 2 of each...)
	 * rather than seven in a row: this VM has slow phases lasting seconds
	 * (the same binary on an idle machine saw one workload 1.8x slower for
	 * all seven back-to-back runs); spread over the rounds they hit one or
	 * two runs of a workload, which the median then drops.
	 */
	for (int i = 0; i < runs; i++) {
		for (int gi = 0; gi < NG; gi++) {
			int wl = groups[gi];
			if (!on[gi] || gerr[gi])
				continue;
			struct row *r[2] = { &sh->slot[cur_mode][wl], &sh->slot[cur_mode][wl + 1] };
			int nl = sh->nlim[cur_mode];
			if (i == 0 && nl + LIM_PER_GROUP <= LIM_SAMPLES) {
				sample_limit(LIM_PER_GROUP, &sh->lim_store[cur_mode][nl],
				             &sh->lim_memset[cur_mode][nl]);
				sh->nlim[cur_mode] = nl + LIM_PER_GROUP;
			}
			for (int k = 0; k < nsub[gi]; k++)
				r[k]->err = -1000 - SIGKILL;   /* until this run completes */
			struct sample s[2];
			uint64_t t_start = now_ns();
			int err = run_once(&c, wl, s);
			spent[gi] += (double)(now_ns() - t_start) / 1e9;
			if (!err) {
				for (int k = 0; k < nsub[gi]; k++) {
					ns[gi][k][i] = s[k].ns;
					wall[gi][k][i] = s[k].wall;
				}
				done[gi]++;
			}
			gerr[gi] = err;
			for (int k = 0; k < nsub[gi]; k++) {
				struct row *x = r[k];
				int n = done[gi];
				x->runs = n;
				/* err <= -2000: the first phase passed and the second
				 * failed with err + 2000; otherwise both rows take err
				 * (the second phase never ran). */
				x->err = err <= -2000 ? (k ? err + 2000 : 0) : err;
				if (n) {
					double v[MAX_RUNS];
					memcpy(v, ns[gi][k], sizeof(double) * (size_t)n);
					x->ns_median = median(v, n);
					x->ns_min = v[0];
					x->ns_max = v[n - 1];
					memcpy(v, wall[gi][k], sizeof(double) * (size_t)n);
					x->wall_median = median(v, n);
				}
				if (n || err) {   /* a failed first run still says what it saw */
					x->ops = s[k].ops;
					x->tables_used = s[k].tables_used;
					x->tables_min = s[k].tables_min;
					memcpy(x->tlb, s[k].tlb, sizeof(x->tlb));
					x->tlb_min = s[k].tlb_min;
					x->desc_bytes = s[k].desc * c.desc_size;
					x->allocs_per_txn = (double)s[k].allocs / (double)(s[k].txns ? s[k].txns : 1);
					x->book_bytes = s[k].book;
				}
			}
		}
	}
	for (int gi = 0; gi < NG; gi++)
		if (on[gi])
			fprintf(stderr, "  %-14s %-13s %6.2fs%s\n", mode, wl_name[groups[gi]], spent[gi],
			        gerr[gi] ? " (error)" : "");
	free(c.perm);
}

/* ---- report ---- */

static const struct row *find_row(const char *mode, int wl);
static double ns_per_page(const struct row *r);

/* The direct baseline beside the same workloads through the MMU layer,
 * x86-64-4level and sv39: the price of the abstraction as one ratio. */
static void print_direct(FILE *f, const struct limit *lim, bool md)
{
	static const char *const mode[2] = { "x86-64-4level", "sv39" };
	static const struct { int d, wl; const char *what; } pair[] = {
		{ DIRECT_MAP, W_MAP_BASE, "map n pages / mmu_add per page, 1 txn" },
		{ DIRECT_MAP, W_MAP_RANGE, "map n pages / one mmu_add_range" },
		{ DIRECT_QUERY, W_QUERY_SEQ, "query n pages / mmu_find per page" },
		{ DIRECT_UNMAP, W_UNMAP_CLEAR, "unmap n + free tables / mmu_clear_range" },
		{ DIRECT_UNMAP, W_UNMAP_RANGE, "unmap n + free tables / one mmu_remove_range" },
		{ DIRECT_PP_MAP, W_PP_MAP, "map one page / one-page txn (add, commit)" },
		{ DIRECT_PP_UNMAP, W_PP_UNMAP, "unmap one page / one-page txn (find, remove, commit)" },
	};
	if (md)
		fprintf(f, "\nDirect baseline (bench/direct.c: a plain walker as a small kernel "
		           "writes it, same process, same pinned CPU), ns per 4K page:\n\n"
		           "| workload (direct / MMU layer) | mode | direct | x limit | MMU layer | x limit "
		           "| layer / direct |\n|---|---|---:|---:|---:|---:|---:|\n");
	else
		fprintf(f, "\nDirect baseline (bench/direct.c: a plain walker as a small kernel writes "
		           "it, same process, same pinned CPU), ns per 4K page:\n"
		           "  %-54s %-14s %8s %7s %9s %7s %8s\n", "workload (direct / MMU layer)",
		        "mode", "direct", "xlim", "layer", "xlim", "ratio");
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(pair) / sizeof(pair[0]); i++) {
			double d = direct[k].ns[pair[i].d];
			const struct row *r = find_row(mode[k], pair[i].wl);
			double o = r && r->runs && !r->err ? ns_per_page(r) : 0;
			if (md)
				fprintf(f, "| %s | %s | %.2f | %.1f | %.2f | %.1f | %.2f |\n", pair[i].what,
				        mode[k], d, d / lim->store_ns, o, o / lim->store_ns, o ? o / d : 0);
			else
				fprintf(f, "  %-54s %-14s %8.2f %7.1f %9.2f %7.1f %8.2f\n", pair[i].what,
				        mode[k], d, d / lim->store_ns, o, o / lim->store_ns, o ? o / d : 0);
		}
	fprintf(f, "\n");
}

static const char *err_name(int err)
{
	static char buf[32];
	switch (err) {
	case -EINVAL: return "-EINVAL";
	case -ENOMEM: return "-ENOMEM";
	case -EEXIST: return "-EEXIST";
	case -ENOENT: return "-ENOENT";
	case -ERANGE: return "-ERANGE";
	case -ENOTSUP: return "-ENOTSUP";
	case -EBUSY: return "-EBUSY";
	case -EIO: return "wrong-result";
	case 0: return "no complete run";
	case ERR_NOT_RUN: return "not run";
	}
	if (err <= -1000 && err > -1100) {
		snprintf(buf, sizeof(buf), "crash(sig %d)", -1000 - err);
		return buf;
	}
	snprintf(buf, sizeof(buf), "err %d", err);
	return buf;
}

static double ns_per_page(const struct row *r)
{
	return r->ns_median / (double)PAGES_4K;
}

/* Time per descriptor the workload must change (derived count): the
 * engine's cost per store, comparable with the limit's ns per PTE across
 * formats whose native sizes need different numbers of descriptors. */
static double ns_per_desc(const struct row *r)
{
	uint64_t n = r->desc_bytes / (r->desc_size ? r->desc_size : 8);
	return n ? r->ns_median / (double)n : 0;
}

static const struct row *find_row(const char *mode, int wl)
{
	for (int i = 0; i < nrows; i++)
		if (rows[i].wl == wl && !strcmp(rows[i].mode, mode))
			return &rows[i];
	return NULL;
}

static uint64_t tlb_total(const struct row *r)
{
	return r->tlb[0] + r->tlb[1] + r->tlb[2] + r->tlb[3];
}

/* Target verdict for a row: "" (none), "ok" or "MISS ...". */
static void verdict(const struct row *r, double limit, char *out, size_t n)
{
	out[0] = 0;
	if (r->err || !r->runs)
		return;
	if (!strcmp(r->mode, REF_MODE)) {
		double tgt = wl_target[r->wl];
		if (tgt == 0)
			return;
		double ratio = ns_per_page(r) / limit;
		if (ratio <= tgt)
			snprintf(out, n, "ok <=%gx", tgt);
		else
			snprintf(out, n, "MISS %.0fx>%gx", ratio, tgt);
		return;
	}
	const struct row *ref = find_row(REF_MODE, r->wl);
	if (!ref || ref->err || !ref->runs)
		return;
	double rel = ns_per_page(r) / ns_per_page(ref);
	if (rel <= MODE_SLACK)
		snprintf(out, n, "ok %.2fx x86", rel);
	else
		snprintf(out, n, "MISS %.2fx x86", rel);
}

static void print_table(FILE *f, const struct limit *lim, const char *machine, int runs,
                        double secs)
{
	fprintf(f, "Machine: %s; load average before %s, after %s\n", machine, load_before,
	        load_after);
	fprintf(f, "Limit: scalar store of 262144 PTE-sized values (2 MiB) %.3f ns/PTE "
	           "(%.3f ms per GiB of 4K PTEs); memset of the same %.3f ns/PTE\n",
	        lim->store_ns, lim->store_ns * PAGES_4K / 1e6, lim->memset_ns);
	fprintf(f, "  (best of %d samples taken on each workload's CPU before it; their median "
	           "%.3f; median on the parent's CPU before the modes ran %.3f)\n", lim->samples,
	        lim_median, lim_quiet);
	fprintf(f, "Clock: %s (BENCH_CLOCK=cpu: the thread's CPU time; wall: CLOCK_MONOTONIC; "
	           "both in results.json).\n", clock_name());
	fprintf(f, "Median of %d runs (round-robin over the workloads), fresh set per run, 1 GiB "
	           "at VA %#llx, %d mode(s) at a time%s, each pinned to its own CPU.\nns/op = run time / ops; ns/4K = run time / "
	           "262144 (4K-equivalent pages of the GiB); xlim = ns/4K / store limit.\n", runs,
	        (unsigned long long)VA_BASE, jobs_note[0] ? 1 : bench_jobs, jobs_note);
	fprintf(f, "Targets on " REF_MODE "; other modes within %.1fx of it. "
	           "tables: used/min; tlb: page/range/asid/all, min = one per commit.\n\n",
	        MODE_SLACK);
	const char *last = "";
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		if (strcmp(r->mode, last)) {
			unsigned bs = r->big_shift;
			fprintf(f, "%s%s (base page %uK, %u-bit VA, %u level%s; 2m rows use %llu%c entries%s)\n",
			        i ? "\n" : "", r->mode, r->page_shift ? (1u << r->page_shift) >> 10 : 0,
			        r->va_bits, r->levels, r->levels == 1 ? "" : "s",
			        bs >= 30 ? 1ull << (bs - 30) : bs >= 20 ? 1ull << (bs - 20) : 1ull << (bs - 10),
			        bs >= 30 ? 'G' : bs >= 20 ? 'M' : 'K',
			        r->big_contig ? ", contiguous groups" : "");
			fprintf(f, "  %-13s %8s %9s %9s %8s  %-16s %13s %17s %9s %7s %9s %8s\n",
			        "workload", "ops", "ns/op", "ns/4K", "xlim", "target",
			        "tables", "tlb p/r/a/all", "desc KiB", "ns/desc", "alloc/txn", "book KiB");
			last = r->mode;
		}
		char tg[40], tab[32], tlb[48];
		verdict(r, lim->store_ns, tg, sizeof(tg));
		snprintf(tab, sizeof(tab), "%llu/%llu%s", (unsigned long long)r->tables_used,
		         (unsigned long long)r->tables_min,
		         r->tables_used == r->tables_min ? "" : "!");
		snprintf(tlb, sizeof(tlb), "%llu/%llu/%llu/%llu%s", (unsigned long long)r->tlb[0],
		         (unsigned long long)r->tlb[1], (unsigned long long)r->tlb[2],
		         (unsigned long long)r->tlb[3], tlb_total(r) == r->tlb_min ? "" : "!");
		if (!r->runs) {
			fprintf(f, "  %-13s %8s %9s %9s %8s  %-16s\n", wl_name[r->wl], "-", "-", "-",
			        "-", err_name(r->err));
			continue;
		}
		char nd[16] = "-";
		if (r->desc_bytes)
			snprintf(nd, sizeof(nd), "%.1f", ns_per_desc(r));
		fprintf(f, "  %-13s %8llu %9.1f %9.2f %8.1f  %-16s %13s %17s %9.1f %7s %9.2f %8.1f\n",
		        wl_name[r->wl], (unsigned long long)r->ops,
		        r->ns_median / (double)(r->ops ? r->ops : 1), ns_per_page(r),
		        ns_per_page(r) / lim->store_ns, tg, tab, tlb, r->desc_bytes / 1024.0, nd,
		        r->allocs_per_txn, r->book_bytes / 1024.0);
		if (r->err)
			fprintf(f, "  %-13s (after %d good runs: %s)\n", "", r->runs, err_name(r->err));
	}
	fprintf(f, "\n'!' marks tables above the minimum or TLB operations other than one per "
	           "commit.\nalloc/txn: page allocations (tables, copies, bookkeeping) per transaction; "
	           "book KiB: transaction bookkeeping pages allocated in the timed phase (measured, "
	           "mmu_host_alloc_counts).\nWorkloads:\n");
	for (int w = 0; w < W_COUNT; w++)
		fprintf(f, "  %-13s %s\n", wl_name[w], wl_help[w]);
	fprintf(f, "ns/desc = run time / descriptors changed (the derived count below).\n");
	fprintf(f, "desc KiB is derived, not measured: descriptors the workload must change "
	           "(leaves, contiguous groups counted per slot, plus table links) x 8 bytes "
	           "(16 in hashed).\n"
	           "tables min: radix modes, the root plus one table per distinct span each level "
	           "below it covers, from the leaves' level up\n(levels of page_shift - 3 index "
	           "bits, 8 for radix-6level, read from native_orders); hashed: directory + "
	           "entries/248, at least the fixed table.\n");
	fprintf(f, "Bench wall time: %.1f s (%s the 300 s budget), CPU time of the modes %.1f s\n",
	        secs, secs <= 300 ? "within" : "OVER", child_cpu);
	print_direct(f, lim, false);
}

static void print_misses(FILE *f, double limit)
{
	int n = 0;
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char tg[40];
		verdict(r, limit, tg, sizeof(tg));
		bool miss = tg[0] == 'M';
		bool tab = r->runs && r->tables_used != r->tables_min;
		bool tlb = r->runs && tlb_total(r) != r->tlb_min;
		if (!miss && !tab && !tlb && !r->err)
			continue;
		if (!n++)
			fprintf(f, "\nMissed targets and failures:\n");
		fprintf(f, "  %-14s %-13s", r->mode, wl_name[r->wl]);
		if (miss && !strcmp(r->mode, REF_MODE))
			fprintf(f, " time %.2fx limit, target %gx: %.0fx over", ns_per_page(r) / limit,
			        wl_target[r->wl], ns_per_page(r) / limit / wl_target[r->wl]);
		else if (miss)
			fprintf(f, " time %s (%.2fx limit)", tg, ns_per_page(r) / limit);
		if (tab)
			fprintf(f, " tables %llu > min %llu", (unsigned long long)r->tables_used,
			        (unsigned long long)r->tables_min);
		if (tlb)
			fprintf(f, " tlb ops %llu vs %llu", (unsigned long long)tlb_total(r),
			        (unsigned long long)r->tlb_min);
		if (r->err)
			fprintf(f, " %s", err_name(r->err));
		fprintf(f, "\n");
	}
	if (!n)
		fprintf(f, "\nEvery target met.\n");
}

/*
 * The same figures for README.md: the reference mode's full table, a matrix
 * of ns per 4K page for every mode, and the full text table folded away.
 */
static void print_markdown(FILE *f, const struct limit *lim, const char *machine, int runs,
                           double secs, const char *txt_path)
{
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(f, "Measured %s by `make bench` (%d runs per figure, median, %s clock; %d mode(s) "
	           "at a time%s, each on its own CPU; %.1f s wall, %.1f s CPU).\n\n", when, runs,
	        bench_clock == CLOCK_MONOTONIC ? "wall" : "thread CPU-time",
	        jobs_note[0] ? 1 : bench_jobs, jobs_note, secs, child_cpu);
	fprintf(f, "Machine: %s. Load average before %s, after %s.\n\n", machine, load_before,
	        load_after);
	fprintf(f, "Limit: a scalar loop storing 262,144 PTE-sized values (2 MiB) takes %.3f ns per "
	           "value, best of %d samples (memset of the same: %.3f ns). Every figure is ns per "
	           "4K-equivalent page "
	           "of the GiB and its ratio to that store limit.\n\n", lim->store_ns, lim->samples,
	        lim->memset_ns);
	bool ref = false;
	for (int i = 0; i < nrows; i++)
		ref |= !strcmp(rows[i].mode, REF_MODE);
	if (ref) {
		fprintf(f, "%s (the targets apply here):\n\n", REF_MODE);
		fprintf(f, "| workload | ops | ns/op | ns/4K page | x limit | target | tables used/min "
		           "| TLB ops page/range/asid/all (min) | desc KiB (derived) | allocs/txn | bookkeeping KiB |\n");
		fprintf(f, "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
		for (int i = 0; i < nrows; i++) {
			const struct row *r = &rows[i];
			if (strcmp(r->mode, REF_MODE))
				continue;
			if (!r->runs) {
				fprintf(f, "| %s | | | | | %s | | | | | |\n", wl_name[r->wl], err_name(r->err));
				continue;
			}
			char tg[40];
			verdict(r, lim->store_ns, tg, sizeof(tg));
			fprintf(f, "| %s | %llu | %.1f | %.2f | %.1f | %s | %llu/%llu | %llu/%llu/%llu/%llu "
			           "(%llu) | %.1f | %.2f | %.1f |\n", wl_name[r->wl], (unsigned long long)r->ops,
			        r->ns_median / (double)(r->ops ? r->ops : 1), ns_per_page(r),
			        ns_per_page(r) / lim->store_ns, tg, (unsigned long long)r->tables_used,
			        (unsigned long long)r->tables_min, (unsigned long long)r->tlb[0],
			        (unsigned long long)r->tlb[1], (unsigned long long)r->tlb[2],
			        (unsigned long long)r->tlb[3], (unsigned long long)r->tlb_min,
			        r->desc_bytes / 1024.0, r->allocs_per_txn, r->book_bytes / 1024.0);
		}
		fprintf(f, "\n");
	}
	print_direct(f, lim, true);
	fprintf(f, "Every mode, ns per 4K-equivalent page (err: the workload failed; * tables above "
	           "the minimum; ! TLB operations other than one per commit):\n\n| mode |");
	for (int w = 0; w < W_COUNT; w++)
		fprintf(f, " %s |", wl_name[w]);
	fprintf(f, "\n|---|");
	for (int w = 0; w < W_COUNT; w++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	const char *last = "";
	for (int i = 0; i < nrows; i++) {
		if (!strcmp(rows[i].mode, last))
			continue;
		last = rows[i].mode;
		fprintf(f, "| %s |", last);
		for (int w = 0; w < W_COUNT; w++) {
			const struct row *r = find_row(last, w);
			if (!r)
				fprintf(f, " |");
			else if (!r->runs)
				fprintf(f, " %s |", err_name(r->err));
			else
				fprintf(f, ns_per_page(r) < 1 ? " %.3f%s%s |" : " %.1f%s%s |", ns_per_page(r),
				        r->tables_used != r->tables_min ? "*" : "",
				        tlb_total(r) != r->tlb_min ? "!" : "");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\nWorkloads:\n\n");
	for (int w = 0; w < W_COUNT; w++)
		fprintf(f, "- `%s`: %s\n", wl_name[w], wl_help[w]);
	fprintf(f, "\n<details><summary>Full table (build/bench/results.txt)</summary>\n\n```\n");
	FILE *t = txt_path ? fopen(txt_path, "r") : NULL;
	char buf[4096];
	size_t n;
	while (t && (n = fread(buf, 1, sizeof(buf), t)) > 0)
		fwrite(buf, 1, n, f);
	if (t)
		fclose(t);
	fprintf(f, "```\n\n</details>\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

/* One result per line, so that bench-compare (and grep) can read it. */
static void write_json(FILE *f, const struct limit *lim, const char *machine, int runs,
                       double secs)
{
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "{\n\"date\": \"%s\",\n\"machine\": ", when);
	json_str(f, machine);
	fprintf(f, ",\n\"clock\": \"%s\"", clock_name());
	fprintf(f, ",\n\"runs\": %d,\n\"wall_s\": %.1f,\n\"cpu_s\": %.1f,\n", runs, secs, child_cpu);
	fprintf(f, "\"jobs\": %d,\n\"jobs_note\": \"%s\",\n\"loadavg_before\": \"%s\",\n\"loadavg_after\": \"%s\",\n",
	        bench_jobs, jobs_note, load_before, load_after);
	fprintf(f, "\"limit\": {\"store_ns_per_pte\": %.4f, \"memset_ns_per_pte\": %.4f, "
	           "\"samples\": %d, \"store_quiet\": %.4f, \"store_median\": %.4f},\n",
	        lim->store_ns, lim->memset_ns, lim->samples, lim_quiet, lim_median);
	fprintf(f, "\"results\": [\n");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		fprintf(f, "{\"mode\": \"%s\", \"workload\": \"%s\", \"err\": %d, ", r->mode,
		        wl_name[r->wl], r->runs ? r->err : (r->err ? r->err : -1));
		if (r->runs)
			fprintf(f, "\"ns_per_page\": %.3f, \"ratio_to_limit\": %.3f, \"ns_per_op\": %.2f, "
			           "\"ns_per_page_min\": %.3f, \"ns_per_page_max\": %.3f, "
			           "\"wall_ns_per_page\": %.3f, ",
			        ns_per_page(r), ns_per_page(r) / lim->store_ns,
			        r->ns_median / (double)(r->ops ? r->ops : 1), r->ns_min / (double)PAGES_4K,
			        r->ns_max / (double)PAGES_4K, r->wall_median / (double)PAGES_4K);
		else
			fprintf(f, "\"ns_per_page\": null, \"ratio_to_limit\": null, \"ns_per_op\": null, ");
		if (r->runs && r->desc_bytes)
			fprintf(f, "\"ns_per_desc\": %.3f, ", ns_per_desc(r));
		fprintf(f, "\"ops\": %llu, \"tables_used\": %llu, \"tables_min\": %llu, "
		           "\"tlb_ops\": {\"page\": %llu, \"range\": %llu, \"asid\": %llu, "
		           "\"all\": %llu, \"total\": %llu, \"min\": %llu}, \"desc_bytes\": %llu, "
		           "\"runs\": %d}%s\n",
		        (unsigned long long)r->ops, (unsigned long long)r->tables_used,
		        (unsigned long long)r->tables_min, (unsigned long long)r->tlb[0],
		        (unsigned long long)r->tlb[1], (unsigned long long)r->tlb[2],
		        (unsigned long long)r->tlb[3], (unsigned long long)tlb_total(r),
		        (unsigned long long)r->tlb_min, (unsigned long long)r->desc_bytes, r->runs,
		        i + 1 < nrows ? "," : "");
	}
	fprintf(f, "]\n}\n");
}

static void machine_name(char *buf, size_t n)
{
	char model[128] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *p = strchr(line, ':');
			if (p) {
				p += 1 + strspn(p + 1, " \t");
				p[strcspn(p, "\n")] = 0;
				snprintf(model, sizeof(model), "%s", p);
			}
			break;
		}
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	snprintf(buf, n, "%s, %ld CPUs, %s %s %s", model, sysconf(_SC_NPROCESSORS_ONLN),
	         u.sysname, u.release, u.machine);
}

/* The CPUs this process may run on, ascending. Returns how many. */
static int allowed_cpus(int *cpus)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

/* Pin the calling process to one CPU where the system lets us. */
static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

static bool selected(const char *mode, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int i = first; i < argc; i++)
		if (!strcmp(argv[i], mode))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *json_path = "build/bench/results.json", *txt_path = NULL, *md_path = NULL;
	int first = 1;
	while (first + 1 < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-o"))
			json_path = argv[first + 1];
		else if (!strcmp(argv[first], "-t"))
			txt_path = argv[first + 1];
		else if (!strcmp(argv[first], "-m"))
			md_path = argv[first + 1];
		else
			break;
		first += 2;
	}
	int runs = 7;
	if (getenv("BENCH_RUNS"))
		runs = atoi(getenv("BENCH_RUNS"));
	if (runs < 1)
		runs = 1;
	if (runs > MAX_RUNS)
		runs = MAX_RUNS;
	if (getenv("BENCH_CLOCK") && !strcmp(getenv("BENCH_CLOCK"), "wall"))
		bench_clock = CLOCK_MONOTONIC;
	int timeout = getenv("BENCH_TIMEOUT") ? atoi(getenv("BENCH_TIMEOUT")) : 240;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("bench: mmap");
		return 1;
	}
	char machine[256];
	machine_name(machine, sizeof(machine));
	int cpus[CPU_SETSIZE];
	int ncpu = allowed_cpus(cpus);
	/*
	 * One mode at a time unless told otherwise: two at once on this VM's
	 * two CPUs made 48 of 168 figures move by more than 10% between two
	 * runs of the same binary, against 10 with one. Only when the run
	 * would not fit the issue's 5 minutes (a loaded machine) does "auto"
	 * add a second CPU, and the heading says so.
	 */
	if (getenv("BENCH_BUDGET"))
		budget_s = atof(getenv("BENCH_BUDGET"));
	bool auto_jobs = !getenv("BENCH_JOBS") || !strcmp(getenv("BENCH_JOBS"), "auto");
	int max_jobs = ncpu < 2 ? 1 : 2;
	int jobs = auto_jobs ? 1 : atoi(getenv("BENCH_JOBS"));
	if (jobs > ncpu)
		jobs = ncpu;
	if (jobs < 1)
		jobs = 1;
	bench_jobs = jobs;
	size_t nsel = 0, nfinished = 0;
	for (size_t m = 0; m < mmu_mode_count() && m < MAX_MODES; m++)
		nsel += selected(mmu_mode_name(m), argc, argv, first);
	fprintf(stderr, "bench: %s; %d CPU(s) allowed; %d mode(s) at a time, each pinned to its "
	        "own CPU; %d runs per workload\n", machine, ncpu, jobs, runs);
	read_load(load_before, sizeof(load_before));
	uint64_t t0 = now_ns();
	/* The parent's own limit samples, on a quiet CPU before any mode runs. */
	enum { LIM0 = 201 };   /* the floor is the best of many samples */
	double ls[LIM0], lm[LIM0];
	if (ncpu > 0)
		pin_to(cpus[ncpu - 1]);
	sample_limit(LIM0, ls, lm);

	/* The direct baseline, on the same quiet CPU. */
	static const char *const dnames[2] = { "x86-64-4level", "sv39" };
	for (int k = 0; k < 2; k++)
		if (direct_bench(k, VA_BASE, PA_BASE, PAGES_4K, runs, &direct[k]))
			fprintf(stderr, "bench: direct %s: wrong translation\n", dnames[k]);

	int rc = mmu_host_init(GIB);
	if (rc) {
		fprintf(stderr, "bench: mmu_host_init(1 GiB): %d\n", rc);
		return 1;
	}
	/* Up to `jobs` children at once, child j on CPU cpus[ncpu - 1 - j]. */
	pid_t running[CPU_SETSIZE] = { 0 };
	int run_mode[CPU_SETSIZE];
	size_t nmodes = mmu_mode_count() < MAX_MODES ? mmu_mode_count() : MAX_MODES;
	size_t next = 0;
	int active = 0;
	for (;;) {
		while (active < jobs && next < nmodes) {
			size_t m = next++;
			if (!selected(mmu_mode_name(m), argc, argv, first))
				continue;
			int j = 0;
			while (running[j])
				j++;
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				perror("bench: fork");
				return 1;
			}
			if (pid == 0) {
				if (ncpu > 0)
					pin_to(cpus[ncpu - 1 - j]);
				alarm((unsigned)timeout);
				cur_mode = (int)m;
				bench_mode(mmu_mode_name(m), runs);
				_exit(0);
			}
			running[j] = pid;
			run_mode[j] = (int)m;
			active++;
		}
		if (!active)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < CPU_SETSIZE; j++) {
			if (running[j] != pid)
				continue;
			running[j] = 0;
			active--;
			nfinished++;
			/* Projected wall time at this pace, against the budget. */
			double el = (double)(now_ns() - t0) / 1e9;
			if (auto_jobs && jobs < max_jobs && nfinished < nsel &&
			    el / (double)nfinished * (double)nsel > budget_s) {
				jobs = max_jobs;
				bench_jobs = jobs;
				snprintf(jobs_note, sizeof(jobs_note), "; %d at a time after the first %zu "
				         "modes, to fit the budget", jobs, nfinished);
				fprintf(stderr, "bench: %.0f s for %zu of %zu modes: running %d at a time\n",
				        el, nfinished, nsel, jobs);
			}
			int m = run_mode[j];
			if (WIFSIGNALED(status)) {
				fprintf(stderr, "bench: %s: killed by signal %d%s\n", mmu_mode_name((size_t)m),
				        WTERMSIG(status), WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
				/* The workload running then still says SIGKILL: say which. */
				for (int w = 0; w < W_COUNT; w++)
					if (sh->slot[m][w].mode[0] && sh->slot[m][w].err == -1000 - SIGKILL)
						sh->slot[m][w].err = -1000 - WTERMSIG(status);
			}
			break;
		}
	}
	for (int m = 0; m < MAX_MODES; m++)
		for (int w = 0; w < W_COUNT; w++)
			if (sh->slot[m][w].mode[0])
				rows[nrows++] = sh->slot[m][w];

	/* The limit: median of every sample, the parent's and the children's. */
	static double all_s[LIM0 + MAX_MODES * LIM_SAMPLES], all_m[LIM0 + MAX_MODES * LIM_SAMPLES];
	int n = 0;
	for (int i = 0; i < LIM0; i++, n++)
		all_s[n] = ls[i], all_m[n] = lm[i];
	for (int m = 0; m < MAX_MODES; m++)
		for (int i = 0; i < sh->nlim[m]; i++, n++)
			all_s[n] = sh->lim_store[m][i], all_m[n] = sh->lim_memset[m][i];
	/*
	 * The limit is the best sample: what this machine's store path can do.
	 * Samples are 70 us long, so nothing makes one faster than the
	 * hardware allows, while the median moved by 30% between two runs on
	 * this shared machine (another process's cache traffic), which would
	 * move every ratio with it. The median is kept for the record.
	 */
	lim_median = median(all_s, n);
	lim_quiet = median(ls, LIM0);
	double m_median = median(all_m, n);
	struct limit lim = { all_s[0], all_m[0], n };   /* sorted by median() */
	(void)m_median;
	double secs = (double)(now_ns() - t0) / 1e9;
	read_load(load_after, sizeof(load_after));
	struct rusage ru;
	if (!getrusage(RUSAGE_CHILDREN, &ru))
		child_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

	print_table(stdout, &lim, machine, runs, secs);
	print_misses(stdout, lim.store_ns);
	if (txt_path) {
		FILE *f = fopen(txt_path, "w");
		if (f) {
			print_table(f, &lim, machine, runs, secs);
			print_misses(f, lim.store_ns);
			fclose(f);
		}
	}
	if (md_path) {
		FILE *f = fopen(md_path, "w");
		if (f) {
			print_markdown(f, &lim, machine, runs, secs, txt_path);
			fclose(f);
		}
	}
	FILE *f = fopen(json_path, "w");
	if (!f) {
		perror(json_path);
		return 1;
	}
	write_json(f, &lim, machine, runs, secs);
	fclose(f);
	fprintf(stderr, "bench: wrote %s\n", json_path);
	return 0;
}
