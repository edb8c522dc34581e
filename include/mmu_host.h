/*
 * The host build of the MMU layer (build/host/libmmu.a): every mode of every
 * architecture in one binary, table pages taken from a simulated physical
 * memory, and a reference walker per architecture that answers what the
 * hardware would do with the raw tables.
 */
#ifndef ORIGAMI_MMU_HOST_H
#define ORIGAMI_MMU_HOST_H

#include "mmu.h"

/* Simulated physical memory for tables. May be called again to start over
 * (only when no set exists). Returns 0, -EINVAL (too small) or -ENOMEM. */
int    mmu_host_init(size_t phys_bytes);
/* n >= 0: every table allocation after the next n fails; -1: none fails. */
void   mmu_host_fail_alloc_after(long n);
/* Table pages allocated and not freed, shared ones and transaction
 * bookkeeping pages included. */
size_t mmu_host_tables_in_use(void);
/* For the bench: page allocations made since mmu_host_init, and bytes of
 * transaction bookkeeping pages (records, journal) among them. */
void   mmu_host_alloc_counts(uint64_t *allocs, uint64_t *book_bytes);
/* The hardware's view (see host/ref_*.c). access is MMU_READ, MMU_WRITE or
 * MMU_EXEC, plus MMU_USER for a user-mode access. Returns 0 and the physical
 * address, or -EFAULT. */
int    mmu_host_hw_translate(mmu_translation_set_t *t, vaddr_t va,
                             unsigned access, paddr_t *pa);

/* ---- further host-only introspection (not part of the fixed contract) --- */

/* Base of the simulated physical memory: table pages live in
 * [mmu_host_phys_base(), mmu_host_phys_base() + phys_bytes). */
paddr_t mmu_host_phys_base(void);
/* Pointer to simulated physical memory at pa, NULL outside it. */
void   *mmu_host_phys(paddr_t pa);

/* What a hardware walker needs to know about a set: the registers the
 * kernel would load to activate it, in the architecture's own terms. */
enum mmu_host_arch { MMU_HOST_RISCV, MMU_HOST_ARM64, MMU_HOST_X86_64,
                     MMU_HOST_RADIX6, MMU_HOST_HASHED };
struct mmu_host_hwstate {
	enum mmu_host_arch arch;
	unsigned va_bits, page_shift, levels;
	paddr_t  root;          /* satp.PPN << 12 / TTBR0 / CR3 / hash table base */
	paddr_t  kernel_root;   /* ARM64: TTBR1; hashed: the global table; else 0 */
	uint64_t aux;           /* hashed: bucket count; otherwise 0 */
	bool     svnapot, svpbmt;    /* RISC-V extensions the tables may use */
	bool     lpa2;               /* ARM64 TCR_EL1.DS = 1 */
};
int mmu_host_hwstate(mmu_translation_set_t *t, struct mmu_host_hwstate *out);

/* Copy of every table page reachable from the set (user half, kernel half
 * and side tables), in walk order, for bit-for-bit comparisons: writes up to
 * max bytes into buf and returns the number of bytes the full image needs. */
size_t mmu_host_snapshot(mmu_translation_set_t *t, void *buf, size_t max);

/* TLB maintenance the host backend would have issued, by kind. */
enum mmu_tlb_kind { MMU_TLB_PAGE, MMU_TLB_RANGE, MMU_TLB_ASID, MMU_TLB_ALL };
uint64_t mmu_host_tlb_ops(mmu_translation_set_t *t, enum mmu_tlb_kind kind);
/* The software TLB (host/tlb.c): every access mmu_host_hw_translate
 * allowed stays cached, per ASID or global for the kernel half, and so does
 * every table descriptor its walks went through, until a flush the layer
 * issued drops it. Re-walks every cached translation of t's ASID and every
 * global one; returns how many differ from the walk (stale: the layer
 * flushed too little), plus the table pages freed since the last check
 * while a cached walk still pointed at them (freed before the TLB
 * operation), and prints the first to stderr. */
int      mmu_host_tlb_check(mmu_translation_set_t *t);
/* The same for the cached translations of pages in [first, last] only
 * (both inclusive; none if first > last); the table pages freed under a cached walk
 * (host/tlb.c: the paging-structure caches) are counted by either. */
int      mmu_host_tlb_check_range(mmu_translation_set_t *t, vaddr_t first, vaddr_t last);

/* What the reference rules find in t's tables (both halves, host/ref.h):
 * bytes mapped by valid leaf descriptors, those descriptors, and the
 * table pages below the roots. 0, or -ENOTSUP for the hashed mode. */
struct mmu_host_census {
	uint64_t mapped_bytes, leaves, tables;
};
int mmu_host_census(mmu_translation_set_t *t, struct mmu_host_census *out);
/* The radix engine's per-table counts (mmu/pt_engine_range.h: plain leaves
 * and other valid entries, kept beside each table below the roots) against
 * the census: every table's two counts must add up to its valid
 * descriptors. Returns 0, or minus the number of tables whose counts are
 * wrong (the first is printed to stderr). The hashed mode keeps none: 0. */
int mmu_host_check_counts(mmu_translation_set_t *t);

/* RISC-V only: whether the simulated CPU has Svnapot / Svpbmt (default both
 * on). Takes effect at the next mmu_select_mode. */
void mmu_host_set_riscv_ext(bool svnapot, bool svpbmt);
/* The hashed mode: bucket pages (D, 1..480) of the tables made from now on;
 * 0 restores the default (480). */
void mmu_host_set_hashed_pages(unsigned d);

#endif
