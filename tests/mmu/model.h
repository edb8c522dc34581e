/*
 * A plain model of translation sets, and a state machine that drives the MMU
 * layer (include/mmu.h, include/mmu_host.h only) and the model side by side,
 * checking after every step that both agree: through mmu_find (the
 * transaction's view) and through the reference walker (the hardware's view
 * of committed state). Shared by the seeded differential tester (diff.c) and
 * the libFuzzer target (fuzz.c): they differ only in where the choices come
 * from (struct model_src).
 */
#ifndef TESTS_MMU_MODEL_H
#define TESTS_MMU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mmu.h"
#include "mmu_host.h"
#include "harness.h"

/* ---- paging-mode configurations ---------------------------------------- */

/* One configuration every test runs: a mode, and for RISC-V whether the
 * simulated CPU has Svnapot (the modes run with and without it). */
struct mode_cfg {
	const char *name;
	bool svnapot;
	bool nopbmt;             /* RISC-V without Svpbmt (only the conformance
	                            suite adds these) */
	unsigned hashed_pages;   /* hashed: bucket pages per table, 0 = default
	                            ("hashed-tiny": 1 page, 31 buckets) */
	char label[40];          /* "sv39", "sv39-nonapot", ... for messages */
};

/* Everything a test needs to know about the selected mode, found through
 * the public API only. */
struct mode_env {
	struct mode_cfg cfg;
	struct mmu_geometry geo;
	enum mmu_host_arch arch;
	vaddr_t user_top;        /* user half [0, user_top) */
	vaddr_t kernel_base;     /* kernel half [kernel_base, 2^64) */
	size_t baseline;         /* mmu_host_tables_in_use() right after select */
};

#define MODE_CFG_MAX 32
/* The simulated memory host_start gives mmu_host_init. */
#define MODEL_HOST_BYTES ((size_t)512 << 20)
/* Fills out[] with every configuration (all modes mmu_mode_count() lists,
 * RISC-V ones twice); returns how many. Needs mmu_host_init() and no set. */
size_t mode_configs(struct mode_cfg *out, size_t max);
/* mmu_host_init() with memory enough for every test, then mode_configs().
 * Returns how many configurations, or 0 after a FAIL line. */
size_t host_start(struct mode_cfg *out, size_t max);
/* Selects cfg and fills env. Returns 0, or a negative errno with a message
 * on stderr. */
int mode_enter(const struct mode_cfg *cfg, struct mode_env *env);

static inline uint64_t page_bytes(const struct mode_env *env, unsigned order)
{
	return (uint64_t)1 << (env->geo.page_shift + order);
}

/* access_allowed(prot, access): harness.h, shared with the conformance
 * cases and the kernel's harness. */

/* ---- where the choices come from ----------------------------------------- */

struct model_src {
	const uint8_t *data;     /* fuzzer bytes, or NULL for the PRNG */
	size_t len, pos;
	uint64_t state;          /* xorshift64* state */
	bool exhausted;          /* fuzzer bytes used up */
};
void src_seed(struct model_src *s, uint64_t seed);
void src_bytes(struct model_src *s, const uint8_t *data, size_t len);
/* A number in [0, n), n > 0. */
uint64_t src_below(struct model_src *s, uint64_t n);

/* ---- the model ------------------------------------------------------------ */

#define MODEL_SETS 3
#define MODEL_MAX  384          /* entries per view */

/* One translation as the model knows it. order < 0: an extent left by
 * mmu_clear_range or mmu_copy_range, whose split into aligned pieces the
 * contract leaves to the engine; each piece must translate like the extent,
 * and the model learns the pieces as mmu_find reports them. */
struct mentry {
	vaddr_t va;
	uint64_t size;
	paddr_t pa;
	unsigned prot;
	unsigned memtype;
	int order;
	bool global;
	int counter;             /* mmu_mkcount tag, -1 if none */
};

struct mview {
	size_t n;
	struct mentry e[MODEL_MAX];   /* sorted by va, disjoint */
};

enum cur_state { CUR_NONE, CUR_SET, CUR_UNKNOWN };

/* Addresses [lo, hi) an operation touched; empty when lo >= hi. */
struct span {
	vaddr_t lo, hi;
};

struct model {
	struct mode_env env;
	const char *label;                   /* e.g. "seed 7", for messages */
	unsigned step;
	unsigned fails;
	bool abort_on_fail;                  /* fuzzing: abort() at once */
	bool verbose;                        /* print every operation */
	bool oom;                            /* table allocations fail during this step */

	/* Orders the sequence uses, and where it maps them. */
	unsigned orders[16];
	unsigned norders;
	unsigned win_order;                  /* both windows: page << win_order bytes */
	vaddr_t uwin, kwin;                  /* user and kernel window bases */
	bool exec_only_ok;                   /* mode accepts MMU_EXEC alone */

	bool live[MODEL_SETS];
	mmu_translation_set_t sets[MODEL_SETS];
	struct mview own[MODEL_SETS];        /* committed, non-global */
	struct mview globals;                /* committed, kernel half */
	uint64_t flushes[MODEL_SETS];        /* tlb_flushes the model expects */

	/* The open transaction, if any. */
	bool open;
	int tset;
	mmu_transaction_t ta;
	struct mview pend, gpend;            /* its view */
	unsigned changes;                    /* successful changing calls */
	bool bbm;                            /* ARM64: the commit breaks before make */
	enum cur_state cur;
	vaddr_t cur_va, find_va;
	bool audit;                          /* snap holds the set's image at begin */
	uint8_t *snap;                       /* mmu_host_snapshot at begin */
	size_t snap_len, snap_cap;
	uint8_t *now, *before;               /* scratch snapshots, kept between steps */
	size_t now_cap, before_cap;
	size_t tables_at_begin;

	/* How much each step checks: with full_every <= 1 (diff.c) every
	 * view, walk and cached translation after every step; otherwise
	 * (fuzz.c) only what the step touched (the spans below), everything
	 * every full_every steps and at model_fini. */
	unsigned full_every;
	bool full_due;                       /* this step asks for a full check */
	bool finishing;                      /* model_fini: the last full check */
	struct span su, sk;                  /* this step: user half of set sset, kernel half */
	int sset;
	struct span tu, tk;                  /* the open transaction so far */

	char trace[32][160];                 /* the last operations, for reports */
	unsigned ntrace;
};

/* Sets the model up for the selected mode (env filled by mode_enter): one
 * empty set. Returns 0, or -1 after reporting a failure. */
int model_init(struct model *m, const struct mode_env *env, const char *label);
/* One random operation followed by a check (see full_every). */
void model_step(struct model *m, struct model_src *src);
/* A full check (unless one failed already), then closes the transaction,
 * removes every global entry and every set, and checks that the table
 * pages come back to the mode's baseline. */
void model_fini(struct model *m);

#endif
