/*
 * Scaling of concurrent transactions on one translation set (issue 15):
 * per-page transactions (begin, add, commit; then begin, find, remove,
 * commit) on 1 and on 2 threads, each thread on its own range of one set
 * (its own leaf-table region, mmu/lock.h), each pinned to its own CPU.
 * Throughput is transactions per second of wall time over the whole run;
 * the table gives the median and the best of several runs and the ratio of
 * the 2-thread to the 1-thread throughput (median over median).
 *
 *   scale [-r runs] [-n txns-per-thread] [-m results.md] [modes...]
 *   scale -t|-T [-n txns-per-thread] [-a offset] mode   (trace mode: see trace_run)
 *
 * -a: the sets placed offset bytes past a 128-byte boundary (default 0).
 *
 * Every thread keeps one page of its range mapped throughout, so its leaf
 * table stays linked: the runs measure the per-page path, not the
 * (whole-set) linking and unlinking of tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu.h"
#include "mmu_host.h"

#define MAXT 2
#define RANGE_PAGES 256

/* The sets, each set_offset bytes past a 128-byte boundary (-a): where a
 * caller's set falls must not decide which of its lines two CPUs share
 * (tests/suites.d/lines.sh traces two placements). */
static _Alignas(128) unsigned char set_mem[MAXT][sizeof(mmu_translation_set_t) + 128];
static unsigned set_offset;
static mmu_translation_set_t *set_at(unsigned t)
{
	return (mmu_translation_set_t *)(void *)(set_mem[t] + set_offset);
}
static bool own_sets;   /* control: each thread its own set */
static bool trace;      /* -t, -T: trace_run instead of the measurements */
static uint64_t page, region, ntx = 200000;
static pthread_barrier_t start;
/* Each thread's own start and end: the main thread may be descheduled
 * between the barrier and its clock read on a loaded machine. */
static uint64_t t_begin[MAXT], t_end[MAXT];
/* Each transaction thread's own CPU time: what sharing the set costs in
 * cache-line transfers and spinning shows here even when the machine gives
 * the two threads little time side by side. */
static uint64_t t_cpu[MAXT];

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One thread's own data. Each on cache lines of its own (128 bytes: Intel's
 * spatial prefetcher fetches lines in pairs), and the loop keeps what it
 * writes per transaction in locals: two workers side by side in one line
 * (40 bytes each), the err each transaction stored made the threads trade
 * that line on every transaction, 50 ns or so of each, whether they shared
 * the set or not. tests/suites.d/lines.sh checks that no cache line is
 * written by both threads. */
struct worker {
	_Alignas(128) unsigned id;
	mmu_translation_set_t *set;
	vaddr_t va;
	int err;
	uint64_t busy;
};
/* The bench's workers and the trace's: the trace checks these very ones. */
static struct worker workers[MAXT];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(unsigned cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* One transaction: map va to pa, or (pa 0) find and remove it; retried
 * on -EBUSY (counted; none is expected on disjoint ranges). */
static int txn_one(mmu_translation_set_t *set, vaddr_t va, paddr_t pa, uint64_t *busy)
{
	for (;;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, set);
		int err = pa ? mmu_add(&ta, mmu_mkentry(pa, MMU_READ | MMU_WRITE), va)
		             : mmu_find(&ta, va, NULL);
		if (!err && !pa)
			err = mmu_remove(&ta);
		if (!err)
			return mmu_commit(&ta);
		mmu_forget(&ta);
		if (err != -EBUSY)
			return err;
		(*busy)++;
	}
}

/* The worker's transactions: ntx / 2 pages each mapped and unmapped, on
 * locals only (struct worker); 0 or the first error. plant: NULL, or a word
 * every transaction adds to (-T: a planted shared line, see trace_run). */
static int txns(const struct worker *w, uint64_t *busy, uint64_t *plant)
{
	uint64_t n = ntx / 2, pg = page;
	paddr_t pa = 0x100000000ull * (w->id + 1);
	vaddr_t base = w->va;
	int err = 0;
	for (uint64_t i = 0; i < n && !err; i++) {
		vaddr_t va = base + (1 + i % (RANGE_PAGES - 1)) * pg;
		err = txn_one(w->set, va, pa + i % RANGE_PAGES * pg, busy);
		if (!err)
			err = txn_one(w->set, va, 0, busy);
		if (plant)
			__atomic_fetch_add(plant, 2, __ATOMIC_RELAXED);
	}
	return err;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	pin(w->id);
	pthread_barrier_wait(&start);
	t_begin[w->id] = now_ns();
	uint64_t c0 = cpu_ns(), busy = 0;
	w->err = txns(w, &busy, NULL);
	w->busy = busy;
	t_end[w->id] = now_ns();
	t_cpu[w->id] = cpu_ns() - c0;
	return NULL;
}

/*
 * Trace mode (-t, -T): what tests/suites.d/lines.sh runs under valgrind
 * --tool=lackey --trace-mem=yes to list the cache lines both workers touch
 * (tests/lines/shared_lines.c). Lackey's trace names no thread, so the two
 * workers of one set take turns and the trace is cut in time: the 1st and
 * 2nd store to tr.turn bracket worker 0's traced round, the 3rd and 4th
 * worker 1's. Each worker first runs a warm-up round (first-time
 * allocations are not the steady state) and marks its round begun only
 * once every other thread (main included) is parked, blocked in the
 * kernel. The threads are alive together, so each keeps its own stack. -T
 * plants a word both workers write on every transaction: the check must
 * find it.
 */
static struct {
	_Alignas(128) uint32_t turn;   /* the marker: only stored to, at the bounds */
	uint32_t parked;               /* parks so far (park) */
	sem_t go[MAXT + 1];            /* worker t's turn; go[MAXT]: main's */
	_Alignas(128) uint64_t planted;
} tr;
static bool plant;

/* Count the thread parked, then block until go[who] is posted. */
static void park(unsigned who)
{
	__atomic_fetch_add(&tr.parked, 1, __ATOMIC_SEQ_CST);
	while (sem_wait(&tr.go[who]))
		;
}

/* Until n parks were counted, and then a little more: a thread runs a few
 * instructions between its count and its block, which must not fall into
 * a traced round. Valgrind runs one thread at a time and switches at a
 * system call: yielding lets the parking one get there. */
static void wait_parked(uint32_t n)
{
	while (__atomic_load_n(&tr.parked, __ATOMIC_ACQUIRE) < n)
		sched_yield();
	for (int i = 0; i < 8; i++)
		sched_yield();
}

static void *traced(void *arg)
{
	struct worker *w = arg;
	uint64_t busy = 0, *word = plant ? &tr.planted : NULL;
	park(w->id);
	w->err = txns(w, &busy, word);
	/* Main and the MAXT workers parked once each at the start (this one
	 * since woken), and the w->id done since. */
	wait_parked(MAXT + 1 + w->id);
	__atomic_store_n(&tr.turn, 2 * w->id + 1, __ATOMIC_RELEASE);
	if (!w->err)
		w->err = txns(w, &busy, word);
	__atomic_store_n(&tr.turn, 2 * w->id + 2, __ATOMIC_RELEASE);
	sem_post(&tr.go[w->id + 1]);
	park(w->id);   /* until main lets it end */
	return NULL;
}

static int trace_run(void)
{
	pthread_t th[MAXT];
	printf("scale: trace marker %p\n", (void *)&tr.turn);
	fflush(stdout);
	for (unsigned t = 0; t <= MAXT; t++)
		sem_init(&tr.go[t], 0, 0);
	for (unsigned t = 0; t < MAXT; t++) {
		workers[t] = (struct worker){ .id = t, .va = region * (64 + t), .set = set_at(0) };
		pthread_create(&th[t], NULL, traced, &workers[t]);
	}
	sem_post(&tr.go[0]);
	park(MAXT);   /* until the last worker is done */
	int err = 0;
	for (unsigned t = 0; t < MAXT; t++) {
		sem_post(&tr.go[t]);
		pthread_join(th[t], NULL);
		err = err ? err : workers[t].err;
	}
	return err;
}

/* The machine's own ceiling: n threads of independent arithmetic, no
 * memory shared; iterations per second. On a quiet 2-core machine its
 * 2 : 1 is about 2; on a shared one it says how much of a second CPU the
 * runs could have had at all. */
static void *spin(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	pin(id);
	pthread_barrier_wait(&start);
	t_begin[id] = now_ns();
	volatile uint64_t x = 0;
	for (uint64_t i = 0; i < ntx * 200; i++)
		x += i;
	t_end[id] = now_ns();
	return NULL;
}

/* Runs fn(arg[t]) on n threads released together (thread t pinned to CPU
 * t, noting t_begin[t] and t_end[t]); their wall time, ns. */
static uint64_t timed(unsigned n, void *(*fn)(void *), void *const *arg)
{
	pthread_t th[MAXT];
	pthread_barrier_init(&start, NULL, n + 1);
	for (unsigned t = 0; t < n; t++)
		pthread_create(&th[t], NULL, fn, arg[t]);
	pthread_barrier_wait(&start);
	for (unsigned t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&start);
	uint64_t first = t_begin[0], last = t_end[0];
	for (unsigned t = 1; t < n; t++) {
		first = t_begin[t] < first ? t_begin[t] : first;
		last = t_end[t] > last ? t_end[t] : last;
	}
	return last - first;
}

static double ceiling(unsigned n)
{
	void *const cpu[MAXT] = { (void *)0, (void *)1 };
	return (double)(n * ntx * 200) / ((double)timed(n, spin, cpu) / 1e9);
}

/* Transactions per second on n threads, or a negative errno; *cpu: CPU
 * nanoseconds per transaction. */
static double measure(unsigned n, uint64_t *busy, double *cpu)
{
	void *arg[MAXT];
	for (unsigned t = 0; t < n; t++) {
		workers[t] = (struct worker){ .id = t, .va = region * (64 + t), .set = set_at(own_sets ? t : 0) };
		arg[t] = &workers[t];
	}
	uint64_t dt = timed(n, run, arg);
	uint64_t spent = 0;
	for (unsigned t = 0; t < n; t++) {
		*busy += workers[t].busy;
		spent += t_cpu[t];
		if (workers[t].err)
			return workers[t].err;
	}
	*cpu = (double)spent / (double)(n * (ntx / 2 * 2));
	return (double)(n * (ntx / 2 * 2)) / ((double)dt / 1e9);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = 5;
	const char *md = NULL;
	const char *modes[16];
	int nmodes = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-r") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			ntx = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "-T")) {
			trace = true;
			plant = argv[i][1] == 'T';
		}
		else if (!strcmp(argv[i], "-a") && i + 1 < argc)
			set_offset = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-m") && i + 1 < argc)
			md = argv[++i];
		else if (nmodes < 16)
			modes[nmodes++] = argv[i];
	}
	if (!nmodes) {
		modes[nmodes++] = "x86-64-4level";
		modes[nmodes++] = "sv39";
	}
	if (runs < 1 || runs > 64)
		runs = 5;
	if (set_offset >= 128 || set_offset % _Alignof(mmu_translation_set_t)) {
		fprintf(stderr, "scale: -a takes a multiple of %zu below 128\n",
		        _Alignof(mmu_translation_set_t));
		return 1;
	}
	char table[4096], load[64] = "?";
	FILE *la = fopen("/proc/loadavg", "r");
	if (la) {
		if (fgets(load, sizeof(load), la))
			load[strcspn(load, "\n")] = 0;
		fclose(la);
	}
	int at = snprintf(table, sizeof(table),
	                  "| mode | 1 thread (txn/s, median / best) | 2 threads, one set | 2 : 1 "
	                  "| control: 2 threads, a set each | 2 : 1 | machine: 2 : 1 of plain arithmetic "
	                  "| CPU per transaction: 1 thread / 2 on one set / 2 on a set each |\n"
	                  "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int m = 0; m < nmodes; m++) {
		if (mmu_host_init(64u << 20) || mmu_select_mode(modes[m]) ||
		    mmu_new_translation_set(set_at(0)) || mmu_new_translation_set(set_at(1))) {
			fprintf(stderr, "scale: cannot set up %s\n", modes[m]);
			return 1;
		}
		page = 1ull << mmu_geometry()->page_shift;
		region = page << (mmu_geometry()->page_shift - 3);
		/* The page that keeps each thread's leaf table linked. */
		for (unsigned s = 0; s < MAXT; s++) {
			mmu_transaction_t ta;
			mmu_transaction(&ta, set_at(s));
			for (unsigned t = 0; t < MAXT; t++)
				if (mmu_add(&ta, mmu_mkentry(0x80000000ull + t * page, MMU_READ),
				            region * (64 + t))) {
					fprintf(stderr, "scale: %s: anchor page\n", modes[m]);
					return 1;
				}
			mmu_commit(&ta);
		}
		if (trace) {
			int err = trace_run();
			if (err)
				fprintf(stderr, "scale: %s: a transaction failed (%d)\n", modes[m], err);
			return err ? 1 : 0;
		}
		double one[64], two[64], ctl[64], c1[64], c2[64], k1[64], k2[64], kc[64];
		uint64_t busy = 0;
		for (int r = 0; r < runs; r++) {
			own_sets = false;
			one[r] = measure(1, &busy, &k1[r]);
			two[r] = measure(2, &busy, &k2[r]);
			own_sets = true;
			ctl[r] = measure(2, &busy, &kc[r]);
			c1[r] = ceiling(1);
			c2[r] = ceiling(2);
			if (one[r] < 0 || two[r] < 0 || ctl[r] < 0) {
				fprintf(stderr, "scale: %s: a transaction failed\n", modes[m]);
				return 1;
			}
		}
		qsort(one, runs, sizeof(double), cmp);
		qsort(two, runs, sizeof(double), cmp);
		qsort(ctl, runs, sizeof(double), cmp);
		qsort(c1, runs, sizeof(double), cmp);
		qsort(c2, runs, sizeof(double), cmp);
		qsort(k1, runs, sizeof(double), cmp);
		qsort(k2, runs, sizeof(double), cmp);
		qsort(kc, runs, sizeof(double), cmp);
		double m1 = one[runs / 2], m2 = two[runs / 2], mc = ctl[runs / 2];
		at += snprintf(table + at, sizeof(table) - at,
		               "| %s | %.2fM / %.2fM | %.2fM / %.2fM | **%.2fx** | %.2fM / %.2fM | %.2fx "
		               "| %.2fx | %.0f / %.0f / %.0f ns |\n",
		               modes[m], m1 / 1e6, one[runs - 1] / 1e6, m2 / 1e6, two[runs - 1] / 1e6,
		               m2 / m1, mc / 1e6, ctl[runs - 1] / 1e6, mc / m1, c2[runs / 2] / c1[runs / 2],
		               k1[runs / 2], k2[runs / 2], kc[runs / 2]);
		if (busy)
			fprintf(stderr, "scale: %s: %" PRIu64 " transactions refused with -EBUSY and retried\n",
			        modes[m], busy);
		mmu_remove_translation_set(set_at(0));
		mmu_remove_translation_set(set_at(1));
	}
	printf("%s", table);
	if (md) {
		FILE *f = fopen(md, "w");
		if (!f)
			return 1;
		fprintf(f, "## Scaling: per-page transactions on one set, 1 and 2 threads\n\n"
		           "Written by `make bench` (`bench/scale.c`): each thread maps and unmaps pages "
		           "of its own range of one set, one transaction per page (%" PRIu64
		           " per thread per run, %d runs), pinned to CPUs 0 and 1; wall-clock "
		           "throughput over the whole run. The controls: the same two threads on a "
		           "set each (what sharing one set costs), and two threads of plain "
		           "arithmetic (how much of a second CPU the machine gave at all; about 2 "
		           "when it is quiet). The last column is CPU time per transaction (thread "
		           "CPU clocks, medians): sharing the set costs what the one-set figure "
		           "grows by over the set-each one. Load average before: %s%s\n\n%s",
		        ntx, runs, load,
		        sched_getscheduler(0) == SCHED_FIFO ?
		                " (run under SCHED_FIFO, `make bench-scale SCALE_RT=1`: the other load "
		                "preempted)" : "",
		        table);
		fclose(f);
	}
	return 0;
}
