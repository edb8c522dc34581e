/*
 * The conformance cases (conformance.c) on the host library: every mode it
 * lists (RISC-V modes with and without Svnapot), each case on a freshly
 * selected mode, the reference walkers (host/ref_*.c) as the hardware, raw
 * table snapshots, allocation-failure injection (tests/mmu/harness.h).
 *
 *   conformance [--mode LABEL] [--case NAME]
 *
 * One result per (mode, case); the last line is "N passed, N failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- the environment ---------------------------------------------------- */

size_t hx_tables_in_use(void)
{
	return mmu_host_tables_in_use();
}

paddr_t hx_pa(const struct hx_mode *m, unsigned order, unsigned k)
{
	return hx_made_up_pa((uint64_t)1 << (m->geo.page_shift + order), k);
}

/* The host has no kernel of its own: the whole kernel half is the case's. */
vaddr_t hx_kernel_window(const struct hx_mode *m, uint64_t align, uint64_t span)
{
	return m->kernel_base;
}

static const unsigned accesses[] = { MMU_READ, MMU_WRITE, MMU_EXEC,
                                     MMU_READ | MMU_USER, MMU_WRITE | MMU_USER, MMU_EXEC | MMU_USER };
#define NACCESS (sizeof(accesses) / sizeof(accesses[0]))

/* The reference walker, all six accesses (read/write/exec x
 * supervisor/user). */
bool hx_hw_check(mmu_translation_set_t *t, vaddr_t va, bool mapped, paddr_t pa,
                 unsigned prot, char *why, size_t len)
{
	for (size_t a = 0; a < NACCESS; a++) {
		paddr_t got = 0;
		int rc = mmu_host_hw_translate(t, va, accesses[a], &got);
		bool ok = mapped && access_allowed(prot, accesses[a]);
		if (ok ? rc == 0 && got == pa : rc == -EFAULT)
			continue;
		if (mapped)
			snprintf(why, len, "walker at %#" PRIx64 " access %#x, prot %#x: expected %s %#" PRIx64
			         ", got rc %d pa %#" PRIx64, va, accesses[a], prot,
			         ok ? "pa" : "-EFAULT, not", pa, rc, got);
		else
			snprintf(why, len, "walker at unmapped %#" PRIx64 " access %#x: expected -EFAULT, got rc %d pa %#" PRIx64,
			         va, accesses[a], rc, got);
		return false;
	}
	return true;
}

/* The walker reads the tables, not a CPU: nothing runs on a set. */
void hx_set_gone(mmu_translation_set_t *t)
{
}

int hx_tlb_stale(mmu_translation_set_t *t)
{
	return mmu_host_tlb_check(t);
}

bool hx_fail_alloc_after(long n)
{
	mmu_host_fail_alloc_after(n);
	return true;
}

const char hx_snap_what[] = "raw tables";

void hx_snap_take(mmu_translation_set_t *t, struct hx_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->len = mmu_host_snapshot(t, NULL, 0);
	s->buf = malloc(s->len ? s->len : 1);
	mmu_host_snapshot(t, s->buf, s->len);
	s->tables = mmu_host_tables_in_use();
}

bool hx_snap_same(const struct hx_snap *a, const struct hx_snap *b)
{
	return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
}

void hx_snap_drop(struct hx_snap *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* The progress line (mode, then case names as they start) is open. */
static bool line_open;

void hx_fail(const char *label, const char *case_name, const char *msg)
{
	if (line_open)
		putchar('\n');
	line_open = false;
	printf("FAIL mode=%s case=%s: %s\n", label, case_name, msg);
	fflush(stdout);
}

/* ---- the runner --------------------------------------------------------- */

/* The case's view of the freshly selected mode. */
static struct hx_mode mode_of(const struct mode_env *env)
{
	struct hx_mode m = {
		.name = env->cfg.name, .geo = env->geo, .arm64 = env->arch == MMU_HOST_ARM64,
		.every_mode = true, .memtypes = !env->cfg.nopbmt, .user_top = env->user_top, .kernel_base = env->kernel_base,
	};
	snprintf(m.label, sizeof(m.label), "%s", env->cfg.label);
	return m;
}

/* RISC-V modes once more without Svpbmt, as QEMU's default rv64 CPU runs
 * them in the kernel: the cases then expect memory types refused. */
static size_t add_nopbmt(struct mode_cfg *cfgs, size_t n, size_t max)
{
	size_t all = n;
	for (size_t i = 0; i < n && all < max; i++) {
		struct mode_env env;
		if (!cfgs[i].svnapot || mode_enter(&cfgs[i], &env) != 0 || env.arch != MMU_HOST_RISCV)
			continue;
		cfgs[all] = cfgs[i];
		cfgs[all].nopbmt = true;
		snprintf(cfgs[all].label, sizeof(cfgs[all].label), "%s-nopbmt", cfgs[i].name);
		all++;
	}
	mmu_host_set_riscv_ext(true, true);
	return all;
}

int main(int argc, char **argv)
{
	const char *only_mode = NULL, *only_case = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			only_mode = argv[++i];
		else if (!strcmp(argv[i], "--case") && i + 1 < argc)
			only_case = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--mode LABEL] [--case NAME]\n", argv[0]);
			return 2;
		}
	}
	struct mode_cfg cfgs[MODE_CFG_MAX];
	size_t ncfg = host_start(cfgs, MODE_CFG_MAX);
	if (!ncfg) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	ncfg = add_nopbmt(cfgs, ncfg, MODE_CFG_MAX);
	unsigned passed = 0, failed = 0;
	for (size_t m = 0; m < ncfg; m++) {
		if (only_mode && strcmp(only_mode, cfgs[m].label) != 0)
			continue;
		unsigned mode_failed = 0;
		/* The case names as they start: if the library dies, the
		 * output says where. */
		printf("%-16s", cfgs[m].label);
		line_open = true;
		for (size_t k = 0; k < conformance_ncases(); k++) {
			const char *name = conformance_case_name(k);
			if (only_case && strcmp(only_case, name) != 0)
				continue;
			if (!line_open)
				printf("%-16s", "  ...");
			line_open = true;
			printf(" %s", name);
			fflush(stdout);
			struct mode_env env;
			if (mode_enter(&cfgs[m], &env) != 0) {
				failed++, mode_failed++;
				continue;
			}
			struct hx_mode mode = mode_of(&env);
			struct conformance_result r = conformance_run(k, &mode, env.baseline);
			if (r.fails || r.skipped) {
				if (r.skipped)
					hx_fail(mode.label, name, r.skipped);
				failed++, mode_failed++;
			} else {
				passed++;
			}
		}
		printf("%s%s\n", line_open ? ": " : "  ...: ", mode_failed ? "FAIL" : "ok");
		line_open = false;
		fflush(stdout);
	}
	mmu_host_set_riscv_ext(true, true);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
