/*
 * Reference walker: RISC-V Sv39, Sv48 and Sv57 (privileged spec, "Supervisor-
 * Level ISA", 4.3-4.5), with the Svnapot and Svpbmt extensions (their
 * chapters of the privileged spec).
 *
 * Levels follow the spec's numbering: i = LEVELS - 1 is the root, i = 0
 * maps 4 KiB pages. satp.PPN << 12 is hw->root.
 */
#include "ref.h"

/* PTE bits: privileged spec 4.3.1 (Sv32, same low bits), 4.4.1 (Sv39). */
#define PTE_V      (1ull << 0)
#define PTE_R      (1ull << 1)
#define PTE_W      (1ull << 2)
#define PTE_X      (1ull << 3)
#define PTE_U      (1ull << 4)
#define PTE_A      (1ull << 6)
#define PTE_D      (1ull << 7)
#define PTE_PPN_SHIFT 10             /* PPN: bits 53:10, 4.4.1 */
#define PTE_RESERVED  ref_bits(~0ull, 60, 54)  /* "reserved for future standard use", 4.4.1 */
#define PTE_PBMT_SHIFT 61            /* Svpbmt: bits 62:61 */
#define PTE_N      (1ull << 63)      /* Svnapot */

#define PBMT_RESERVED  3             /* Svpbmt: encoding 3 is reserved */
#define NAPOT_64K_PPN  0x8           /* Svnapot: ppn[0][3:0] = 1000 -> 64 KiB */
#define NAPOT_64K_BITS 4

/* Permission check of a leaf: privileged spec 4.3.2 step 5 (4.4/4.5 use
 * the same algorithm), with SUM = 0 and MXR = 0 (3.1.6.3). */
static bool leaf_permits(uint64_t pte, unsigned access)
{
	bool user_page = pte & PTE_U;

	/* U-mode may touch only U=1 pages; S-mode never U=1 pages (SUM=0 for
	 * data, and S-mode never executes from U=1 pages whatever SUM). */
	if ((access & MMU_USER) ? !user_page : user_page)
		return false;
	switch (access & ~MMU_USER) {
	case MMU_READ:  return pte & PTE_R;   /* MXR=0: X does not make readable */
	case MMU_WRITE: return pte & PTE_W;
	default:        return pte & PTE_X;
	}
}

int ref_riscv_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	if (!ref_access_valid(access))
		return -EINVAL;
	if (hw->va_bits != 39 && hw->va_bits != 48 && hw->va_bits != 57)
		return -EFAULT;
	/* 4.4.1: bits 63:va_bits must all equal bit va_bits - 1. */
	if (!ref_canonical(va, hw->va_bits))
		return -EFAULT;

	if (hw->root & 0xfff)
		return -EFAULT;         /* not satp.PPN << 12 */

	const int levels = (int)(hw->va_bits - 12) / 9;
	paddr_t table = hw->root;

	for (int i = levels - 1; i >= 0; i--) {
		const unsigned shift = 12 + 9 * (unsigned)i;
		uint64_t pte;

		if (!ref_load(table, (va >> shift) & 511, &pte))
			return -EFAULT;
		/* 4.3.2 step 3: invalid, W without R, or reserved bits set. */
		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)))
			return -EFAULT;
		if (pte & PTE_RESERVED)
			return -EFAULT;

		const uint64_t ppn = ref_bits(pte, 53, PTE_PPN_SHIFT) >> PTE_PPN_SHIFT;
		const unsigned pbmt = (pte >> PTE_PBMT_SHIFT) & 3;

		if (!(pte & (PTE_R | PTE_X))) {
			/* Step 4: a pointer to the next level. For non-leaf PTEs
			 * D, A and U are reserved (4.3.1, "For non-leaf PTEs, the
			 * D, A, and U bits are reserved"), and so are PBMT (Svpbmt)
			 * and N (Svnapot). */
			if (pte & (PTE_D | PTE_A | PTE_U | PTE_N) || pbmt)
				return -EFAULT;
			if (i == 0)
				return -EFAULT;
			table = ppn << 12;
			ref_descend(table, shift);
			continue;
		}

		/* A leaf. Svpbmt: without the extension bits 62:61 are
		 * reserved; with it, encoding 3 is. */
		if (pbmt && (!hw->svpbmt || pbmt == PBMT_RESERVED))
			return -EFAULT;
		/* Svnapot: N only on a level-0 leaf, with ppn[0][3:0] = 1000
		 * (64 KiB); every other N encoding is reserved. */
		if ((pte & PTE_N) &&
		    (!hw->svnapot || i != 0 || (ppn & 0xf) != NAPOT_64K_PPN))
			return -EFAULT;
		/* Step 6: misaligned superpage. */
		if (ppn & ((1ull << (9 * i)) - 1))
			return -EFAULT;
		if (!leaf_permits(pte, access))
			return -EFAULT;

		/* Step 8: pa.ppn[i-1:0] = va.vpn[i-1:0]; for a NAPOT PTE
		 * pa.ppn[0][3:0] = va.vpn[0][3:0] (Svnapot). */
		const unsigned va_bits_kept = (pte & PTE_N) ? 12 + NAPOT_64K_BITS : shift;
		const uint64_t va_mask = (1ull << va_bits_kept) - 1;
		*pa = ((ppn << 12) & ~va_mask) | (va & va_mask);
		return 0;
	}
	return -EFAULT;   /* not reached: level 0 either faults or is a leaf */
}

/* Census (host/ref.h): V set; R or X makes a leaf, else a pointer to the
 * next level (4.3.2 steps 3-4). */
static enum ref_kind rv_kind(const void *arch, uint64_t pte, int i, paddr_t *next, unsigned *shift)
{
	if (!(pte & PTE_V))
		return REF_INVALID;
	*shift = 12 + 9 * (unsigned)i;
	*next = (ref_bits(pte, 53, PTE_PPN_SHIFT) >> PTE_PPN_SHIFT) << 12;
	return (pte & (PTE_R | PTE_X)) || i == 0 ? REF_LEAF : REF_TABLE;
}

int ref_riscv_census(const struct mmu_host_hwstate *hw, struct ref_census *c)
{
	const struct ref_radix r = { NULL, rv_kind, 512, -1 };
	ref_census_tables(c, &r, hw->root, (int)(hw->va_bits - 12) / 9 - 1, 512);
	return 0;
}
