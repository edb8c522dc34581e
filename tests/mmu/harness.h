/*
 * What the conformance cases (conformance.c) need from where they run, so
 * that the same case code runs in two places:
 *
 *   host_harness.c    the host program `conformance`: every mode of the
 *                     host library, the reference walkers (host/ref_*.c)
 *                     as the hardware, simulated physical memory, raw
 *                     table snapshots, allocation-failure injection;
 *   kernel_harness.c  mmu_conformance_tests() in the kernel: the one mode
 *                     the kernel runs, the CPU's MMU as the hardware (reads
 *                     and writes through the case's mappings, expected
 *                     faults), real frames behind the physical addresses
 *                     RAM allows, table pages counted by the frame
 *                     allocator.
 *
 * The cases speak include/mmu.h and this header only.
 */
#ifndef TESTS_MMU_HARNESS_H
#define TESTS_MMU_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mmu.h"

/* The kernel build on x86_64 has no inttypes.h (core/libc has only what
 * the kernel uses); uint64_t is unsigned long on every LP64 target here,
 * and -Wformat checks it wherever these are used. */
#if __has_include(<inttypes.h>)
#include <inttypes.h>
#else
#define PRIu64 "lu"
#define PRIx64 "lx"
#endif

/* The mode a case runs on, found through the public API and what the
 * environment knows. */
struct hx_mode {
	const char *name;            /* what mmu_current_mode() must say */
	char label[40];              /* "sv39", "sv39-nonapot", ... for messages */
	struct mmu_geometry geo;
	bool arm64;                  /* a commit may add break-before-make flushes */
	bool every_mode;             /* mmu_mode_count() lists every mode of every
	                                arch (the host library), not one arch's */
	bool memtypes;               /* the CPU encodes device and uncached memory
	                                (false: RISC-V without Svpbmt, label
	                                "...-nopbmt"; mmu_add refuses them) */
	vaddr_t user_top;            /* user half [0, user_top) */
	vaddr_t kernel_base;         /* kernel half [kernel_base, 2^64) */
	/* What a new, empty set translates: entries[], mapped_bytes and
	 * counters[] of the global entries that exist before the case (none on
	 * the host; the kernel's own address space in the kernel). The cases
	 * count their own entries on top of it. */
	struct mmu_stats empty;
};

/* Whether an access (MMU_READ, MMU_WRITE or MMU_EXEC, plus MMU_USER for
 * user mode) to a page of prot is allowed: user pages only to user mode
 * (SUM=0 / PAN / SMAP+SMEP), supervisor pages only to the supervisor, and
 * the access kind must be granted. */
static inline bool access_allowed(unsigned prot, unsigned access)
{
	if (!(access & MMU_USER) != !(prot & MMU_USER))
		return false;      /* user access to a supervisor page, or the reverse */
	unsigned need = access & (MMU_READ | MMU_WRITE | MMU_EXEC);
	return (prot & need) == need;
}

/* The physical address the host suite always used for slot k of an order
 * of size bytes: aligned, distinct per k, above the first slots. */
static inline paddr_t hx_made_up_pa(uint64_t size, unsigned k)
{
	return size >= ((uint64_t)1 << 40) ? (paddr_t)(k + 1) * size : (paddr_t)(k + 3) * size;
}

/* ---- given by each harness ---------------------------------------------- */

/* Table pages allocated now (transaction bookkeeping pages included, the
 * harness's own memory excluded). Only differences are compared. */
size_t  hx_tables_in_use(void);

/* A physical address for slot k of an entry of this order: aligned to the
 * order, distinct per (order, k), the same for the same (order, k) until
 * the case ends. */
paddr_t hx_pa(const struct hx_mode *m, unsigned order, unsigned k);

/* Base of a window of the kernel half, aligned to align, whose span bytes
 * the case may fill with global entries and must leave empty; 0 if there
 * is none. */
vaddr_t hx_kernel_window(const struct hx_mode *m, uint64_t align, uint64_t span);

/* The hardware's view of t's committed state at the byte va: mapped to pa
 * with prot (every access prot allows reaches pa, every other one faults),
 * or unmapped (every access faults). Returns true, or false with what
 * differed in why. */
bool    hx_hw_check(mmu_translation_set_t *t, vaddr_t va, bool mapped, paddr_t pa,
                    unsigned prot, char *why, size_t len);

/* t is about to be removed (the CPU must not be left running on it). */
void    hx_set_gone(mmu_translation_set_t *t);

/* How many translations of t (its ASID and the globals) that hx_hw_check
 * saw are still cached and differ from the tables now: the host's
 * software TLB (mmu_host_tlb_check); 0 in the kernel, whose live TLB
 * checks are its own cases. */
int     hx_tlb_stale(mmu_translation_set_t *t);

/* Every table allocation after the next n fails (n = -1: none). Returns
 * false if the environment cannot inject failures. */
bool    hx_fail_alloc_after(long n);

/* A picture of a set's tables: bit for bit on the host (the raw table
 * pages); in the kernel, every entry mmu_scan reports in the user half and
 * the case's kernel window. tables: hx_tables_in_use() when taken. */
struct hx_snap {
	void *buf;
	size_t len;
	uint64_t digest;
	size_t tables;
};
extern const char hx_snap_what[];        /* "raw tables", ... for messages */
void    hx_snap_take(mmu_translation_set_t *t, struct hx_snap *s);
bool    hx_snap_same(const struct hx_snap *a, const struct hx_snap *b);   /* tables not compared */
void    hx_snap_drop(struct hx_snap *s);

/* One failure of a case: what differed, expected and got. */
void    hx_fail(const char *label, const char *case_name, const char *msg);

/* ---- given by conformance.c --------------------------------------------- */

size_t      conformance_ncases(void);
const char *conformance_case_name(size_t k);
struct conformance_result {
	unsigned fails;
	const char *skipped;         /* why the case could not run here, or NULL */
};
/* Runs case k on the selected mode m (baseline: hx_tables_in_use() with no
 * set of the case alive) and removes every set it left. */
struct conformance_result conformance_run(size_t k, const struct hx_mode *m, size_t baseline);

#endif
