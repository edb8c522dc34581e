/*
 * Reference walker: x86-64 4-level and 5-level paging (Intel SDM vol. 3,
 * 4.5 "4-level paging and 5-level paging"; access rights 4.6).
 *
 * Levels: 0 = page table (PTE), 1 = page directory (PDE), 2 = PDPT (PDPTE),
 * 3 = PML4, 4 = PML5. CR3 = hw->root. The configuration modelled:
 * MAXPHYADDR = 52, CR0.WP = 1, EFER.NXE = 1, CR4.SMEP = CR4.SMAP = 1 with
 * EFLAGS.AC = 0, CR4.PKE = 0 (bits 62:59 ignored), 1-GByte pages supported.
 */
#include "ref.h"

/* Paging-structure entry bits: SDM vol. 3, 4.5, tables 4-15 to 4-20. */
#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_US   (1ull << 2)
#define PTE_PS   (1ull << 7)   /* PDPTE, PDE: maps a page; PML4E, PML5E: reserved */
#define PTE_XD   (1ull << 63)
#define MAXPHYADDR 52

enum { LEVEL_PT, LEVEL_PD, LEVEL_PDPT, LEVEL_PML4, LEVEL_PML5 };

/*
 * SDM vol. 3, 4.6.1: an address is a user-mode address if U/S = 1 in every
 * paging-structure entry that maps it, writable if R/W = 1 in all of them,
 * executable if XD = 0 in all of them. Supervisor accesses: SMAP (AC = 0)
 * forbids data accesses to user-mode addresses, SMEP instruction fetches
 * from them, WP = 1 makes writes obey R/W.
 */
static bool permits(bool user_addr, bool writable, bool no_exec, unsigned access)
{
	if (access & MMU_USER) {
		if (!user_addr)
			return false;
	} else if (user_addr) {
		return false;   /* SMAP for reads and writes, SMEP for fetches */
	}
	switch (access & ~MMU_USER) {
	case MMU_READ:  return true;
	case MMU_WRITE: return writable;
	default:        return !no_exec;
	}
}

int ref_x86_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	if (!ref_access_valid(access))
		return -EINVAL;
	if (hw->va_bits != 48 && hw->va_bits != 57)
		return -EFAULT;
	/* 4.5: a linear address must be canonical (bits 63:47, or 63:56
	 * with 5-level paging, all equal), else #GP. */
	if (!ref_canonical(va, hw->va_bits))
		return -EFAULT;

	bool user_addr = true, writable = true, no_exec = false;
	paddr_t table = ref_bits(hw->root, MAXPHYADDR - 1, 12);

	for (int level = hw->va_bits == 57 ? LEVEL_PML5 : LEVEL_PML4; level >= LEVEL_PT; level--) {
		const unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t e;

		if (!ref_load(table, (va >> shift) & 511, &e))
			return -EFAULT;
		if (!(e & PTE_P))
			return -EFAULT;
		user_addr &= !!(e & PTE_US);
		writable &= !!(e & PTE_RW);
		no_exec |= !!(e & PTE_XD);

		const bool maps_page = level == LEVEL_PT ||
		                       ((level == LEVEL_PD || level == LEVEL_PDPT) && (e & PTE_PS));
		if (!maps_page) {
			/* Table 4-14/4-15: PS is reserved (must be 0) in PML5Es and PML4Es. */
			if (level >= LEVEL_PML4 && (e & PTE_PS))
				return -EFAULT;
			table = ref_bits(e, MAXPHYADDR - 1, 12);
			ref_descend(table, shift);
			continue;
		}

		/* A 1-GByte or 2-MByte page: bit 12 is PAT, bits shift-1:13
		 * are reserved (tables 4-17, 4-19), so the frame is aligned. */
		if (level > LEVEL_PT && ref_bits(e, shift - 1, 13))
			return -EFAULT;
		if (!permits(user_addr, writable, no_exec, access))
			return -EFAULT;
		*pa = ref_bits(e, MAXPHYADDR - 1, shift) | (va & ((1ull << shift) - 1));
		return 0;
	}
	return -EFAULT;   /* not reached: the PT level always maps a page */
}

/* Census (host/ref.h): P set; a PTE, or PS in a PDE or PDPTE, maps a page. */
static enum ref_kind x86_kind(const void *arch, uint64_t e, int level, paddr_t *next, unsigned *shift)
{
	if (!(e & PTE_P))
		return REF_INVALID;
	*shift = 12 + 9 * (unsigned)level;
	*next = ref_bits(e, MAXPHYADDR - 1, 12);
	return level == LEVEL_PT || ((level == LEVEL_PD || level == LEVEL_PDPT) && (e & PTE_PS)) ?
	       REF_LEAF : REF_TABLE;
}

int ref_x86_census(const struct mmu_host_hwstate *hw, struct ref_census *c)
{
	const struct ref_radix r = { NULL, x86_kind, 512, -1 };
	ref_census_tables(c, &r, ref_bits(hw->root, MAXPHYADDR - 1, 12),
	                  hw->va_bits == 57 ? LEVEL_PML5 : LEVEL_PML4, 512);
	return 0;
}
