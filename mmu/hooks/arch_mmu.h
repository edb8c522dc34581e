/*
 * The arch-MMU hooks: what the kernel environment of the MMU layer
 * (mmu/env_kernel.c) asks of the arch's MMU code (arch/<dir>/mmu_arch.c).
 * Only those two rooms have mmu/hooks/ on their include path: core/ never
 * sees a TLB kind or a root register (it has include/mmu.h).
 */
#ifndef ORIGAMI_ARCH_MMU_H
#define ORIGAMI_ARCH_MMU_H

#include <stdint.h>
#include <stdbool.h>
#include "smp.h"   /* enum smp_shootdown_kind */

/* Order the page-table stores before them against the hardware walker
 * (RISC-V fence w,w; ARM64 dmb ishst; x86 a compiler barrier: TSO). */
void arch_mmu_publish_barrier(void);
/* Kinds of TLB invalidation, in the order of enum mmu_tlb_kind. */
enum arch_tlb_op { ARCH_TLB_PAGE, ARCH_TLB_RANGE, ARCH_TLB_ASID, ARCH_TLB_ALL };
/* Invalidate what translates [start, end) (pages base pages changed) for
 * asid, or for every ASID when global; the arch picks per-address or
 * whole-ASID/whole-TLB invalidation and returns which it issued. */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global);
/* After arch_tlb_flush (which issued op on this CPU), make the CPUs of
 * mask (cpus[] indexes, this one not among them) drop what they may cache
 * of the same translations, and return only when they have: the TLB
 * shootdown (docs/smp.md). Returns how: nothing needed (arm64: the TLBI
 * was broadcast), the firmware (RISC-V SBI RFENCE), IPIs (x86).
 * arch/<dir>/smp.c. */
enum smp_shootdown_kind arch_tlb_shootdown(uint64_t mask, unsigned asid, uint64_t start,
                                           uint64_t end, bool global, enum arch_tlb_op op);
/* Whether other CPUs can hold anything of a translation that was invalid
 * until now: RISC-V harts may cache invalid entries (privileged spec
 * 4.2.1: SFENCE.VMA orders, it is needed after any change); Arm does not
 * cache translation faults (Arm ARM D8.16.1), nor x86 not-present entries
 * (SDM vol. 3A 4.10.2.3). false: a commit that only added entries needs
 * no shootdown. */
extern const bool arch_tlb_caches_invalid;
/* Whether a flush by address may keep cached non-leaf entries, so that a
 * commit that unlinked a table must flush the whole ASID: RISC-V
 * SFENCE.VMA with rs1 != x0 invalidates only leaf entries for that address
 * (privileged spec 4.2.1). Arm's TLBI VAE1 (not VALE1) drops the walk too
 * (Arm ARM D8.16); x86 INVLPG drops every paging-structure cache entry of
 * the PCID (SDM vol. 3A 4.10.4.1). */
extern const bool arch_tlb_range_keeps_walks;
/* Bits of hardware ASID (PCID) this CPU has: riscv ASIDLEN (probed,
 * privileged spec 4.1.11), arm64 8 or 16, x86 12 with PCIDs, else 0 (no
 * tags: every switch flushes). env_kernel.c hands them out. */
unsigned arch_asid_bits(void);
/* The hardware ASID this CPU's translation registers hold now (satp.ASID,
 * TTBR0_EL1.ASID, CR3's PCID), for the SMP tests (smp_cpu_asid). */
unsigned arch_mmu_current_asid(void);
/* What a translation set looks like to this CPU's translation registers. */
struct arch_mmu_root {
	uint64_t root;          /* the set's root table: satp.PPN, TTBR0_EL1, CR3 */
	uint64_t kernel_root;   /* the kernel half's root where it has its own (TTBR1_EL1), else 0 */
	unsigned asid;
	unsigned va_bits, levels, page_shift;   /* the mode */
};
/* Load r into the translation registers (and the kernel half's, where the
 * arch has a separate one, changing the mode's granule or size if the
 * current one differs: arm64 does that through its identity-mapped
 * trampoline). The caller's set must map the running code and stack at
 * the addresses the boot map had them ("the boot map", include/arch.h); after it
 * returns, only that set translates. */
void arch_mmu_activate(const struct arch_mmu_root *r);

#endif
