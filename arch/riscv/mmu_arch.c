/*
 * riscv64: the MMU hooks of include/arch.h (barrier, TLB, satp) and the
 * kernel's address-space constants. RISC-V privileged spec: 4.1.11 (satp),
 * 4.2.1 (SFENCE.VMA), 4.3-4.5 (Sv39/48/57).
 */
#include "arch.h"
#include "smp.h"   /* smp_cpu_count */
#include "arch_mmu.h"
#include "sv_bits.h"
#include "boot_map.h"

/* Per-address SFENCE.VMA for up to this many 4 KiB steps, else the ASID. */
#define TLB_PAGE_STEPS_MAX 32
#define PAGE_SHIFT SV_PAGE_SHIFT

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];
/* Where the loader put the image: entry.S, before translation. */
uint64_t riscv_image_pa;

/* Stores to the tables before later stores (the walker reads memory;
 * SFENCE.VMA orders them against the walks themselves, 4.2.1). */
void arch_mmu_publish_barrier(void)
{
	__asm__ volatile("fence w, w" ::: "memory");
}

/* SFENCE.VMA rs1 = address (x0: all), rs2 = ASID (x0: every ASID, global
 * mappings included). Harmless in Bare mode. */
enum arch_tlb_op arch_tlb_flush(unsigned asid, uint64_t start, uint64_t end,
                                uint64_t pages, bool global)
{
	uint64_t a = asid & SATP_ASID_MASK;
	uint64_t steps = (end - start + (1ull << PAGE_SHIFT) - 1) >> PAGE_SHIFT;

	if (end > start && steps <= TLB_PAGE_STEPS_MAX) {
		for (uint64_t va = start; va < end; va += 1ull << PAGE_SHIFT) {
			if (global)
				__asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
			else
				__asm__ volatile("sfence.vma %0, %1" : : "r"(va), "r"(a) : "memory");
		}
		return steps == 1 ? ARCH_TLB_PAGE : ARCH_TLB_RANGE;
	}
	if (global) {
		__asm__ volatile("sfence.vma zero, zero" ::: "memory");
		return ARCH_TLB_ALL;
	}
	__asm__ volatile("sfence.vma zero, %0" : : "r"(a) : "memory");
	return ARCH_TLB_ASID;
}

/*
 * ASIDLEN (privileged spec 4.1.11): write ones to satp.ASID and read back
 * how many stuck; 0 means the hart has no ASIDs. Only kernel code runs
 * meanwhile, through global mappings, which match every ASID (4.3.1).
 */
static unsigned asid_len(uint64_t satp)
{
	static int bits = -1;

	if (bits < 0) {
		uint64_t probe = satp | (uint64_t)SATP_ASID_MASK << SATP_ASID_SHIFT, got;

		__asm__ volatile("csrr %0, satp; csrw satp, %1; csrr %1, satp; csrw satp, %0"
				 : "=&r"(got), "+r"(probe) : : "memory");
		bits = __builtin_popcountll((probe >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
	}
	return (unsigned)bits;
}

/*
 * Which root last ran under each hardware ASID (a small cache indexed by
 * its low bits; a miss only costs a flush), as on arm64: the MMU layer's
 * ASIDs are cut to ASIDLEN bits, so two live sets can share one, and the
 * TLB may hold the other's entries under it. The ASID is flushed when a
 * different root takes it over.
 */
#define ASID_ROOT_CACHE 256
static uint64_t asid_roots[ASID_ROOT_CACHE];

static bool asid_held_by(uint64_t satp)
{
	uint64_t *slot = &asid_roots[((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK) % ASID_ROOT_CACHE];
	bool same = *slot == satp;

	*slot = satp;
	return same;
}

/* satp = MODE (Sv39 8, Sv48 9, Sv57 10) | ASID | root PPN: translation is
 * on from the next instruction. One root: the kernel half is mirrored
 * into it, global. Entries are tagged by ASID (4.2.1), so a switch to a
 * set whose ASID nobody else used since needs no SFENCE.VMA at all; one
 * that another root held gets its ASID flushed (SFENCE.VMA x0, asid: not
 * the global entries); without ASIDs, everything non-global goes. */
void arch_mmu_activate(const struct arch_mmu_root *r)
{
	uint64_t satp = (uint64_t)(SATP_MODE_SV39 + r->levels - 3) << SATP_MODE_SHIFT |
	                r->root >> PAGE_SHIFT;
	unsigned bits = asid_len(satp);
	uint64_t asid = r->asid & (((uint64_t)1 << bits) - 1);

	satp |= asid << SATP_ASID_SHIFT;
	__asm__ volatile("csrw satp, %0" : : "r"(satp) : "memory");
	if (!bits)
		__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	else if (!asid_held_by(satp) || smp_cpu_count > 1)
		/* With more CPUs, a set this hart left was out of its
		 * shootdowns (RFENCE goes to the harts running the set,
		 * docs/smp.md): what the ASID holds here may be stale. */
		__asm__ volatile("sfence.vma zero, %0" : : "r"(asid) : "memory");
}

/* mmu/hooks/arch_mmu.h: A hart may cache an invalid entry (privileged spec 4.2.1). */
const bool arch_tlb_caches_invalid = true;
/* mmu/hooks/arch_mmu.h: SFENCE.VMA by address drops leaves only (4.2.1). */
const bool arch_tlb_range_keeps_walks = true;

/* ASIDLEN: the ASID bits satp keeps when all are written as ones
 * (privileged spec 4.1.11), probed once on the boot hart with the current
 * root (only global kernel mappings are used meanwhile); every hart of a
 * platform is taken to have the same. */
unsigned arch_asid_bits(void)
{
	static unsigned bits = ~0u;
	uint64_t satp, probe;

	if (bits != ~0u)
		return bits;
	__asm__ volatile("csrr %0, satp" : "=r"(satp));
	probe = satp | (uint64_t)SATP_ASID_MASK << SATP_ASID_SHIFT;
	__asm__ volatile("csrw satp, %1; csrr %0, satp; csrw satp, %2; sfence.vma zero, zero"
			 : "=&r"(probe) : "r"(probe), "r"(satp) : "memory");
	bits = (unsigned)__builtin_popcountll((probe >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
	return bits;
}

unsigned arch_mmu_current_asid(void)
{
	uint64_t satp;

	__asm__ volatile("csrr %0, satp" : "=r"(satp));
	return (unsigned)((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
}

/* What entry.S's boot map reaches through the direct map. */
uint64_t arch_phys_window_end(void)
{
	return (uint64_t)BOOT_DMAP_GIB << SV_GIGA_SHIFT;
}

uint64_t arch_direct_map_va(void)
{
	return DIRECT_MAP_VA;
}

uint64_t arch_kernel_image_va(void)
{
	return (uint64_t)(uintptr_t)__image_start;   /* the link address */
}

/* Every Sv mode has 4 KiB base pages. */
unsigned arch_largest_base_page_shift(void)
{
	return SV_PAGE_SHIFT;
}

/* kernel.ld puts each boundary on a 4 KiB page; the image is contiguous
 * in physical memory from where the loader put it. */
void arch_image_layout(struct arch_image_layout *out)
{
	uint64_t to_pa = riscv_image_pa - (uint64_t)(uintptr_t)__image_start;

	out->text = riscv_image_pa;
	out->rodata = (uint64_t)(uintptr_t)__text_end + to_pa;
	out->data = (uint64_t)(uintptr_t)__rodata_end + to_pa;
	out->end = (uint64_t)(uintptr_t)__image_end + to_pa;
}
