/*
 * Differential random tester of the MMU layer: for every mode, seeded
 * random sequences of add/update/remove/find/commit/forget, clear_range,
 * copy_range and dup (tests/mmu/model.c), each step checked against a
 * plain model through mmu_find and the reference walker.
 *
 *   diff [--seeds N] [--first-seed S] [--steps K] [--mode LABEL] [-v]
 *
 * One result per (mode, seed); the last line is "N passed, N failed". A
 * failure names mode and seed: rerun it alone with --mode/--first-seed
 * --seeds 1 -v to see every operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int main(int argc, char **argv)
{
	unsigned long seeds = 4, first = 1, steps = 300;
	const char *only = NULL;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--first-seed") && i + 1 < argc)
			first = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--seeds N] [--first-seed S] [--steps K] [--mode LABEL] [-v]\n",
			        argv[0]);
			return 2;
		}
	}
	struct mode_cfg cfgs[MODE_CFG_MAX];
	size_t ncfg = host_start(cfgs, MODE_CFG_MAX);
	if (!ncfg) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	struct model *m = calloc(1, sizeof(*m));
	unsigned passed = 0, failed = 0;
	for (size_t c = 0; c < ncfg; c++) {
		if (only && strcmp(only, cfgs[c].label) != 0)
			continue;
		unsigned mode_failed = 0;
		for (unsigned long seed = first; seed < first + seeds; seed++) {
			struct mode_env env;
			char label[32];
			snprintf(label, sizeof(label), "seed %lu", seed);
			if (mode_enter(&cfgs[c], &env) != 0) {
				failed++, mode_failed++;
				continue;
			}
			struct model_src src;
			src_seed(&src, seed);
			if (model_init(m, &env, label) == 0) {
				m->verbose = verbose;
				for (unsigned long k = 0; k < steps && !m->fails; k++)
					model_step(m, &src);
			}
			model_fini(m);
			if (m->fails)
				failed++, mode_failed++;
			else
				passed++;
		}
		printf("%-16s %s\n", cfgs[c].label, mode_failed ? "FAIL" : "ok");
	}
	mmu_host_set_riscv_ext(true, true);
	free(m->snap);
	free(m->now);
	free(m->before);
	free(m);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
