/*
 * The floor under any transaction that takes a lock: what one uncontended
 * atomic read-modify-write costs on this machine, to set beside the plain
 * store floor `make bench` divides by. Issue 12's one-page target (15x the
 * store floor) is a budget in which this must fit along with the walk.
 *
 * Pinned to one CPU (argv[1], default 0); each figure is the best of
 * ROUNDS rounds of OPS back-to-back operations on a private word, so it
 * is the throughput of the instruction with no other CPU near the line.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 50
#define OPS    1000000

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static volatile uint64_t word;


int main(int argc, char **argv)
{
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(argc > 1 ? atoi(argv[1]) : 0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		perror("atomic_floor: sched_setaffinity (running unpinned)");

	double xadd = 1e9, cas = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		double t1 = now_ns();
		for (int i = 0; i < OPS; i++)
			__atomic_fetch_add(&word, 1, __ATOMIC_ACQ_REL);
		double t2 = now_ns();
		for (int i = 0; i < OPS; i++) {
			uint64_t expect = word;
			__atomic_compare_exchange_n(&word, &expect, expect + 1, 0,
			                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
		}
		double t3 = now_ns();
		if ((t2 - t1) / OPS < xadd) xadd = (t2 - t1) / OPS;
		if ((t3 - t2) / OPS < cas) cas = (t3 - t2) / OPS;
	}
	printf("atomic fetch-add %.2f ns, compare-and-swap %.2f ns; best of %d x %d on one CPU "
	       "(compare with make bench's store floor: 15x that is issue 12's one-page budget)\n",
	       xadd, cas, ROUNDS, OPS);
	return 0;
}
