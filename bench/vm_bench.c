/*
 * vm_bench: the core's memory code on the host (issue 13), next to the
 * mmu_* figures of bench/bench.c. Links core/vm.c and core/frames.c with
 * build/host/libmmu.a (-O2, no sanitizers), data frames in a simulated RAM.
 *
 * Per mode (default sv39 arm64-4k-48 x86-64-4level; BENCH_MODES overrides):
 *   one-page txn   262,144 transactions of one mmu_add of a base page and
 *                  its commit (the row bench.c reports as "one-page txns")
 *   demand fault   a 1 GiB anonymous area, 4K pages only (max_order 0),
 *                  every page touched once through vm_fault (no trap entry):
 *                  ns per fault, zeroing the frame included
 *   fork           vm_fork of a space with that GiB mapped: ns per 4K page
 *                  (write-protecting the parent, copying the tables, one
 *                  reference per frame)
 * Each figure is the median of BENCH_RUNS (default 5) runs, in the thread's
 * CPU time (steadier than the wall clock on a shared machine).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernel.h"
#include "mmu_host.h"
#include "vm.h"
#include "host_ram.h"

#define GIB       (1ull << 30)
#define SIM_BYTES (GIB + (64ull << 20))   /* the GiB plus the allocator's state */
#define VA_BASE   (1ull << 32)

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: steadier on a shared machine */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "vm_bench: %s failed (%d)\n", what, err);
	exit(1);
}

/* ns per one-page transaction, 262,144 of them on a fresh set. */
static double one_page_txn(uint64_t page)
{
	mmu_translation_set_t t;
	uint64_t n = GIB >> 12, pa = SIM_BASE;
	int err = mmu_new_translation_set(&t);

	if (err)
		fail("mmu_new_translation_set", err);
	double t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		mmu_transaction_t ta;
		mmu_transaction(&ta, &t);
		if ((err = mmu_add(&ta, mmu_mkentry(pa, MMU_READ | MMU_WRITE | MMU_USER), VA_BASE + i * page)) ||
		    (err = mmu_commit(&ta)))
			fail("mmu_add", err);
	}
	double ns = (now_ns() - t0) / (double)n;
	mmu_remove_translation_set(&t);
	return ns;
}

int main(void)
{
	const char *env = getenv("BENCH_MODES"), *runs_env = getenv("BENCH_RUNS");
	char modes[256];
	int runs = runs_env ? atoi(runs_env) : 5;
	struct boot_info bi;

	if (runs < 1)
		runs = 1;
	if (runs > 31)
		runs = 31;
	snprintf(modes, sizeof(modes), "%s", env && *env ? env : "sv39 arm64-4k-48 x86-64-4level");
	if (host_ram_init(SIM_BYTES, &bi) || mmu_host_init(256ull << 20))
		fail("simulated memory", -1);
	printf("vm_bench: the core's fault path and fork on the host (median of %d runs, thread CPU time)\n", runs);
	printf("%-16s %14s %16s %14s %14s\n", "mode", "1-page txn ns", "demand fault ns", "x 1-page txn",
	       "fork ns/4K");
	for (char *m = strtok(modes, " "); m; m = strtok(NULL, " ")) {
		double txn[31], flt[31], frk[31];
		if (mmu_select_mode(m)) {
			printf("%-16s unknown mode\n", m);
			continue;
		}
		uint64_t page = 1ull << mmu_geometry()->page_shift;
		if (page != 4096) {
			printf("%-16s skipped (base page %llu bytes, not 4K)\n", m, (unsigned long long)page);
			continue;
		}
		for (int r = 0; r < runs; r++) {
			struct vm_space vs, child;
			vaddr_t at;
			int err;

			txn[r] = one_page_txn(page);
			frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
			if ((err = vm_space_init(&vs)))
				fail("vm_space_init", err);
			vs.max_order = 0;
			if ((err = vm_mmap(&vs, VA_BASE, GIB, MMU_READ | MMU_WRITE, VM_FIXED, &at)))
				fail("vm_mmap", err);
			double t0 = now_ns();
			for (vaddr_t va = at; va < at + GIB; va += page)
				if ((err = vm_fault(&vs, va, MMU_WRITE, true)))
					fail("vm_fault", err);
			flt[r] = (now_ns() - t0) / (double)(GIB / page);
			if (vs.counts.mapped[0] != GIB / page)
				fail("4K pages only", (int)vs.counts.mapped[0]);
			t0 = now_ns();
			if ((err = vm_fork(&child, &vs)))
				fail("vm_fork", err);
			frk[r] = (now_ns() - t0) / (double)(GIB >> 12);
			vm_space_destroy(&child);
			vm_space_destroy(&vs);
		}
		double t = median(txn, runs), f = median(flt, runs);
		printf("%-16s %14.1f %16.1f %14.2f %14.1f\n", m, t, f, f / t, median(frk, runs));
		fflush(stdout);
	}
	return 0;
}
