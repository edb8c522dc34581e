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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu.h"
#include "mmu_host.h"

#define MAXT 2
#define RANGE_PAGES 256

static mmu_translation_set_t sets[MAXT];
static bool own_sets;   /* control: each thread its own set */
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

struct worker {
	unsigned id;
	mmu_translation_set_t *set;
	vaddr_t va;
	int err;
	uint64_t busy;
};

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
static int txn_one(struct worker *w, vaddr_t va, paddr_t pa)
{
	for (;;) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, w->set);
		int err = pa ? mmu_add(&ta, mmu_mkentry(pa, MMU_READ | MMU_WRITE), va)
		             : mmu_find(&ta, va, NULL);
		if (!err && !pa)
			err = mmu_remove(&ta);
		if (!err)
			return mmu_commit(&ta);
		mmu_forget(&ta);
		if (err != -EBUSY)
			return err;
		w->busy++;
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	pin(w->id);
	pthread_barrier_wait(&start);
	t_begin[w->id] = now_ns();
	uint64_t c0 = cpu_ns();
	paddr_t pa = 0x100000000ull * (w->id + 1);
	for (uint64_t i = 0; i < ntx / 2 && !w->err; i++) {
		vaddr_t va = w->va + (1 + i % (RANGE_PAGES - 1)) * page;
		w->err = txn_one(w, va, pa + i % RANGE_PAGES * page);
		if (!w->err)
			w->err = txn_one(w, va, 0);
	}
	t_end[w->id] = now_ns();
	t_cpu[w->id] = cpu_ns() - c0;
	return NULL;
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
	struct worker w[MAXT];
	void *arg[MAXT];
	for (unsigned t = 0; t < n; t++) {
		w[t] = (struct worker){ .id = t, .va = region * (64 + t), .set = &sets[own_sets ? t : 0] };
		arg[t] = &w[t];
	}
	uint64_t dt = timed(n, run, arg);
	uint64_t spent = 0;
	for (unsigned t = 0; t < n; t++) {
		*busy += w[t].busy;
		spent += t_cpu[t];
		if (w[t].err)
			return w[t].err;
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
		    mmu_new_translation_set(&sets[0]) || mmu_new_translation_set(&sets[1])) {
			fprintf(stderr, "scale: cannot set up %s\n", modes[m]);
			return 1;
		}
		page = 1ull << mmu_geometry()->page_shift;
		region = page << (mmu_geometry()->page_shift - 3);
		/* The page that keeps each thread's leaf table linked. */
		for (unsigned s = 0; s < MAXT; s++) {
			mmu_transaction_t ta;
			mmu_transaction(&ta, &sets[s]);
			for (unsigned t = 0; t < MAXT; t++)
				if (mmu_add(&ta, mmu_mkentry(0x80000000ull + t * page, MMU_READ),
				            region * (64 + t))) {
					fprintf(stderr, "scale: %s: anchor page\n", modes[m]);
					return 1;
				}
			mmu_commit(&ta);
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
		mmu_remove_translation_set(&sets[0]);
		mmu_remove_translation_set(&sets[1]);
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
		           "grows by over the set-each one. Load average before: %s\n\n%s",
		        ntx, runs, load, table);
		fclose(f);
	}
	return 0;
}
