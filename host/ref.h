/*
 * The reference hardware walkers: what each architecture's MMU does with a
 * set of raw translation tables, written from the architecture manuals and
 * sharing no code with the engine (mmu/) or the formats (arch/). They are
 * the oracle of the conformance suite, so they are strict: anything the
 * manual calls a fault, a reserved encoding or misprogramming is -EFAULT.
 *
 * Each walker takes the registers the kernel would load (struct
 * mmu_host_hwstate), walks simulated physical memory read-only (it never
 * sets Accessed/Dirty/AF bits and never faults for them, as if the hardware
 * managed them) and answers for one access.
 *
 * The CPU configuration modelled, identical on every architecture:
 *   - supervisor writes obey write permission   (x86 CR0.WP = 1)
 *   - no-execute is enabled                     (x86 EFER.NXE = 1)
 *   - supervisor data access to user pages faults
 *       (RISC-V SUM = 0; Arm PSTATE.PAN = 1 with SCTLR_EL1.EPAN = 1;
 *        x86 CR4.SMAP = 1 with EFLAGS.AC = 0)
 *   - supervisor execution of user pages faults
 *       (RISC-V always; Arm only as the descriptors say: PXN, or memory
 *        writable at EL0; x86 CR4.SMEP = 1)
 *   - execute-only pages are not readable       (RISC-V MXR = 0)
 *
 * access is exactly one of MMU_READ, MMU_WRITE, MMU_EXEC, optionally
 * | MMU_USER for a user-mode (U-mode, EL0, CPL 3) access.
 * Returns: 0 and *pa; -EFAULT if the access faults; -EINVAL if access is
 * not of that form.
 */
#ifndef ORIGAMI_HOST_REF_H
#define ORIGAMI_HOST_REF_H

#include <errno.h>
#include "mmu_host.h"

int ref_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);

int ref_riscv_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);
int ref_arm64_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);
int ref_x86_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);
int ref_radix6_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);
/* The hashed mode (host/ref_hashed.c, written with host/hashed.c). */
int ref_hashed_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa);

/*
 * The census of a set's tables by the same rules: every table page the
 * walker could reach from the roots in hw (both halves), each reported to
 * c->table (if set) with its level and number of valid descriptors, and
 * the bytes mapped by valid leaf descriptors (each as big as its level
 * maps; a member of a contiguous or NAPOT group counts its own part). The
 * radix walkers only: the hashed mode is -ENOTSUP. Returns 0.
 */
struct ref_census {
	uint64_t mapped;          /* bytes mapped by valid leaf descriptors */
	uint64_t leaves;          /* valid leaf descriptors */
	uint64_t tables;          /* table pages below the roots */
	void   (*table)(void *ctx, paddr_t table, int level, unsigned valid);
	void    *ctx;
};
int ref_census(const struct mmu_host_hwstate *hw, struct ref_census *c);
int ref_riscv_census(const struct mmu_host_hwstate *hw, struct ref_census *c);
int ref_arm64_census(const struct mmu_host_hwstate *hw, struct ref_census *c);
int ref_x86_census(const struct mmu_host_hwstate *hw, struct ref_census *c);
int ref_radix6_census(const struct mmu_host_hwstate *hw, struct ref_census *c);

/* How a radix walker reads one descriptor at a level for the census:
 * REF_LEAF mapping 2^*shift bytes, or REF_TABLE leading to *next. */
enum ref_kind { REF_INVALID, REF_LEAF, REF_TABLE };
struct ref_radix {
	const void *arch;         /* the walker's own configuration, for kind */
	enum ref_kind (*kind)(const void *arch, uint64_t d, int level, paddr_t *next,
	                      unsigned *shift);
	uint64_t entries;         /* of a table below the roots */
	int step;                 /* the level below level is level + step */
};
/* The census of the table at `table` (level, entries) and those below. */
void ref_census_tables(struct ref_census *c, const struct ref_radix *r, paddr_t table, int level,
                       uint64_t entries);

/* ---- helpers shared by the walkers ---------------------------------- */

static inline bool ref_access_valid(unsigned access)
{
	unsigned kind = access & ~MMU_USER;

	return kind == MMU_READ || kind == MMU_WRITE || kind == MMU_EXEC;
}

/* Bits hi..lo of x, in place. */
static inline uint64_t ref_bits(uint64_t x, unsigned hi, unsigned lo)
{
	return x & (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* Whether va is bits - 1 sign-extended to 64 bits. */
static inline bool ref_canonical(vaddr_t va, unsigned bits)
{
	return (vaddr_t)((int64_t)(va << (64 - bits)) >> (64 - bits)) == va;
}

/*
 * Descriptor index of a table at table_pa, as the walker's memory read
 * sees it (atomically: the engine may publish concurrently). Returns false
 * if the descriptor is outside simulated physical memory, which the
 * hardware would report as a fault on the walk.
 */
/* The simulated memory (host/host_env.c keeps it current): where physical
 * address REF_PHYS_BASE lives in this process, and how many bytes follow. */
#define REF_PHYS_BASE 0x80000000ull
struct host_phys_span {
	uint8_t *mem;
	uint64_t bytes;
};
extern struct host_phys_span host_phys_span;

static inline bool ref_load(paddr_t table_pa, uint64_t index, uint64_t *desc)
{
	paddr_t pa = table_pa + index * 8;
	uint64_t off = pa - REF_PHYS_BASE;   /* wraps to huge below the base */

	if (pa & 7 || off >= host_phys_span.bytes || host_phys_span.bytes - off < 8)
		return false;
	*desc = __atomic_load_n((const uint64_t *)(host_phys_span.mem + off), __ATOMIC_ACQUIRE);
	return true;
}
/* Whether any of the eight descriptors at w is non-zero. */
static inline bool ref_any8(const uint64_t *w)
{
	uint64_t any = 0;
	for (int i = 0; i < 8; i++)
		any |= __atomic_load_n(&w[i], __ATOMIC_RELAXED);
	return any != 0;
}

/*
 * The table descriptors a walk goes through, for the host's paging-
 * structure caches (host/tlb.c): while ref_walk_rec points somewhere, each
 * radix walker calls ref_descend(table, shift) when a table descriptor
 * whose entry maps 2^shift bytes leads it to the table at `table` (the
 * entries a CPU may cache: Intel SDM vol. 3A 4.10.3, Arm ARM D8.16, RISC-V
 * privileged spec 4.3.2). mmu_host_hw_translate sets it; the TLB's own
 * re-walks leave it NULL.
 */
#define REF_WALK_MAX 8
struct ref_walk_rec {
	unsigned n;
	paddr_t  table[REF_WALK_MAX];
	unsigned shift[REF_WALK_MAX];
};
extern _Thread_local struct ref_walk_rec *ref_walk_rec;

static inline void ref_descend(paddr_t table, unsigned shift)
{
	struct ref_walk_rec *r = ref_walk_rec;

	if (r && r->n < REF_WALK_MAX) {
		r->table[r->n] = table;
		r->shift[r->n++] = shift;
	}
}

#endif
