/*
 * libFuzzer target of the MMU layer: the state machine of the differential
 * tester (tests/mmu/model.c), its choices taken from the fuzzer's bytes.
 * The first byte picks the mode configuration, so one run covers every
 * mode; any disagreement with the model aborts with a FAIL line naming
 * mode, step and the last operations.
 *
 * At exit it prints how many operations (model steps, each one or more
 * mmu_* calls checked against the model) ran per mode configuration.
 *
 * With MMU_FUZZ_SEEDS=DIR in the environment it writes one seed input per
 * mode configuration into DIR and exits (make fuzz does this first).
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

#define FUZZ_MAX_STEPS 400

static struct mode_cfg cfgs[MODE_CFG_MAX];
static size_t ncfg;
static struct model *m;
static uint64_t ops[MODE_CFG_MAX];
static struct timespec started;

static void print_ops(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - started.tv_sec) + (now.tv_nsec - started.tv_nsec) / 1e9;
	uint64_t total = 0, least = UINT64_MAX;
	for (size_t c = 0; c < ncfg; c++) {
		total += ops[c];
		least = ops[c] < least ? ops[c] : least;
		fprintf(stderr, "fuzz ops: %-16s %llu\n", cfgs[c].label, (unsigned long long)ops[c]);
	}
	fprintf(stderr, "fuzz ops: total %llu in %.1f s (%.0f/s), fewest per mode %llu\n",
	        (unsigned long long)total, secs, secs > 0 ? total / secs : 0.0,
	        (unsigned long long)least);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seeds(const char *dir)
{
	for (size_t c = 0; c < ncfg; c++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/mode-%s", dir, cfgs[c].label);
		FILE *f = fopen(path, "wb");
		if (!f) {
			perror(path);
			exit(1);
		}
		struct model_src rng;
		src_seed(&rng, c + 1);
		fputc((int)c, f);
		for (int i = 0; i < 512; i++)
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
	const char *seeds = getenv("MMU_FUZZ_SEEDS");
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	atexit(print_ops);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || !ncfg)
		return 0;
	struct mode_env env;
	if (mode_enter(&cfgs[data[0] % ncfg], &env) != 0)
		abort();
	struct model_src src;
	src_bytes(&src, data + 1, size - 1);
	if (model_init(m, &env, "fuzz") != 0)
		abort();
	m->abort_on_fail = true;
	for (int k = 0; k < FUZZ_MAX_STEPS && !src.exhausted; k++, ops[data[0] % ncfg]++)
		model_step(m, &src);
	model_fini(m);
	return 0;
}
