/*
 * libFuzzer target of the MMU layer: the state machine of the differential
 * tester (tests/mmu/model.c), its choices taken from the fuzzer's bytes.
 * Each input runs on every mode configuration in turn, from a fresh
 * simulated memory (mmu_host_init), so every mode gets the same number of
 * operations and a crash input reproduces alone: `build/tests/mmu/fuzz
 * CRASH-FILE`. Any disagreement with the model aborts with a FAIL line
 * naming mode, step and the last operations.
 *
 * The oracle checks after each step what the step touched (the views, the
 * walks and the cached translations of the ranges it changed) and checks
 * everything every FUZZ_FULL_EVERY steps and at the end of each mode's run
 * (struct model, full_every); the differential tester checks everything
 * after every step.
 *
 * At exit it prints how many operations (model steps, each one or more
 * mmu_* calls checked against the model) ran per mode configuration.
 * With MMU_FUZZ_OPS=N in the environment (make fuzz: FUZZ_OPS) it stops
 * once every mode has run N operations, and says at exit whether they did:
 * a run bounded by operations, not by a time the machine's load decides.
 *
 * With MMU_FUZZ_SEEDS=DIR in the environment it writes seed inputs into
 * DIR and exits (make fuzz does this first).
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

#define FUZZ_MAX_STEPS  400     /* per mode and input */
#define FUZZ_FULL_EVERY 64      /* steps between full checks */
#define FUZZ_SEEDS      8       /* seed inputs */

static struct mode_cfg cfgs[MODE_CFG_MAX];
static size_t ncfg;
static struct model *m;
static uint64_t ops[MODE_CFG_MAX];
static uint64_t ops_target;     /* MMU_FUZZ_OPS: per mode, 0 = none */
static struct timespec started, started_cpu;

static uint64_t fewest_ops(void)
{
	uint64_t least = UINT64_MAX;
	for (size_t c = 0; c < ncfg; c++)
		least = ops[c] < least ? ops[c] : least;
	return least;
}

/* Ops per mode; the rate per second of wall time and of this process's
 * CPU time (the machine may be shared: the CPU rate is what a quiet one
 * would give). */
static void print_ops(void)
{
	struct timespec now, cpu;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	double secs = (double)(now.tv_sec - started.tv_sec) + (now.tv_nsec - started.tv_nsec) / 1e9;
	double cpus = (double)(cpu.tv_sec - started_cpu.tv_sec) +
	              (cpu.tv_nsec - started_cpu.tv_nsec) / 1e9;
	uint64_t total = 0, least = fewest_ops();
	for (size_t c = 0; c < ncfg; c++) {
		total += ops[c];
		fprintf(stderr, "fuzz ops: %-16s %llu\n", cfgs[c].label, (unsigned long long)ops[c]);
	}
	fprintf(stderr, "fuzz ops: total %llu in %.1f s (%.0f/s), %.1f s CPU (%.0f/s); fewest per mode %llu\n",
	        (unsigned long long)total, secs, secs > 0 ? total / secs : 0.0, cpus,
	        cpus > 0 ? total / cpus : 0.0, (unsigned long long)least);
	if (ops_target)
		fprintf(stderr, "fuzz ops: target %llu per mode %s\n", (unsigned long long)ops_target,
		        least >= ops_target ? "reached" : "NOT reached (the time limit came first)");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seeds(const char *dir)
{
	for (unsigned c = 0; c < FUZZ_SEEDS; c++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/seed-%u", dir, c);
		FILE *f = fopen(path, "wb");
		if (!f) {
			perror(path);
			exit(1);
		}
		struct model_src rng;
		src_seed(&rng, c + 1);
		for (int i = 0; i < 1024; i++)
			fputc((int)src_below(&rng, 256), f);
		fclose(f);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ncfg = host_start(cfgs, MODE_CFG_MAX);
	if (!ncfg)
		abort();
	m = calloc(1, sizeof(*m));
	clock_gettime(CLOCK_MONOTONIC, &started);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &started_cpu);
	const char *seeds = getenv("MMU_FUZZ_SEEDS");
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	const char *target = getenv("MMU_FUZZ_OPS");
	ops_target = target ? strtoull(target, NULL, 0) : 0;
	atexit(print_ops);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || !ncfg)
		return 0;
	/* The same start for every input: the same addresses, the same ASIDs. */
	if (mmu_host_init(MODEL_HOST_BYTES) != 0)
		abort();
	for (size_t c = 0; c < ncfg; c++) {
		struct mode_env env;
		if (mode_enter(&cfgs[c], &env) != 0)
			abort();
		struct model_src src;
		src_bytes(&src, data, size);
		m->full_every = FUZZ_FULL_EVERY;
		if (model_init(m, &env, "fuzz") != 0)
			abort();
		m->abort_on_fail = true;
		for (int k = 0; k < FUZZ_MAX_STEPS && !src.exhausted; k++, ops[c]++)
			model_step(m, &src);
		model_fini(m);
	}
	/* Done: libFuzzer takes exit() during an input for a crash, and
	 * has written every new input to the corpus already. */
	if (ops_target && fewest_ops() >= ops_target) {
		print_ops();
		fflush(stderr);
		_Exit(0);
	}
	return 0;
}
