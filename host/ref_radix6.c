/*
 * Reference walker: radix6, the synthetic host-only format (spec in the
 * issue; the engine implements the same spec independently). 4 KiB pages,
 * six levels of 256 eight-byte entries (level 5 = root, level 0 = 4 KiB
 * leaves, 8 VA bits each), 60-bit VAs sign-extended from bit 59; the root
 * holds both halves (slots 0..127 user, 128..255 kernel).
 *
 * Descriptor: bit 0 valid; bit 1 leaf (1) / table (0); bits 4:2 the level
 * it sits at; bits 5..11 R W X U G A D; bits 55:12 the output or table
 * address; bits 57:56 memtype; bit 58 software; bits 63:59 must be 0.
 * Permissions as RISC-V: user needs U, supervisor never touches U pages,
 * W without R is reserved. Permission bits of table descriptors are ignored.
 */
#include "ref.h"

#define R6_VALID   (1ull << 0)
#define R6_LEAF    (1ull << 1)
#define R6_LEVEL_SHIFT 2
#define R6_R       (1ull << 5)
#define R6_W       (1ull << 6)
#define R6_X       (1ull << 7)
#define R6_U       (1ull << 8)
#define R6_VA_BITS   60
#define R6_LEVELS    6
#define R6_PAGE_SHIFT 12
#define R6_INDEX_BITS 8

static bool leaf_permits(uint64_t d, unsigned access)
{
	const bool user_page = d & R6_U;

	if ((access & MMU_USER) ? !user_page : user_page)
		return false;
	switch (access & ~MMU_USER) {
	case MMU_READ:  return d & R6_R;
	case MMU_WRITE: return d & R6_W;
	default:        return d & R6_X;
	}
}

int ref_radix6_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	if (!ref_access_valid(access))
		return -EINVAL;
	if (hw->va_bits != R6_VA_BITS || hw->page_shift != R6_PAGE_SHIFT)
		return -EFAULT;
	if (!ref_canonical(va, R6_VA_BITS))
		return -EFAULT;

	if (hw->root & ((1u << R6_PAGE_SHIFT) - 1))
		return -EFAULT;         /* the root is a table page */

	paddr_t table = hw->root;
	for (int level = R6_LEVELS - 1; level >= 0; level--) {
		const unsigned shift = R6_PAGE_SHIFT + R6_INDEX_BITS * (unsigned)level;
		uint64_t d;

		if (!ref_load(table, (va >> shift) & ((1u << R6_INDEX_BITS) - 1), &d))
			return -EFAULT;
		if (!(d & R6_VALID) || ref_bits(d, 63, 59))
			return -EFAULT;
		if (((d >> R6_LEVEL_SHIFT) & 7) != (unsigned)level)
			return -EFAULT;         /* tagged for another level */

		const paddr_t addr = ref_bits(d, 55, R6_PAGE_SHIFT);
		if (!(d & R6_LEAF)) {
			if (level == 0)
				return -EFAULT;
			table = addr;
			ref_descend(table, shift);
			continue;
		}
		if (level == R6_LEVELS - 1)
			return -EFAULT;         /* no leaves in the root */
		if ((d & R6_W) && !(d & R6_R))
			return -EFAULT;         /* W without R is reserved */
		const uint64_t size_mask = (1ull << shift) - 1;
		if (addr & size_mask)
			return -EFAULT;         /* misaligned large leaf */
		if (!leaf_permits(d, access))
			return -EFAULT;
		*pa = addr | (va & size_mask);
		return 0;
	}
	return -EFAULT;   /* not reached: level 0 is always a leaf or a fault */
}

/* Census (host/ref.h): valid descriptors; the leaf bit makes a leaf. */
static enum ref_kind r6_kind(const void *arch, uint64_t d, int level, paddr_t *next, unsigned *shift)
{
	if (!(d & R6_VALID))
		return REF_INVALID;
	*shift = R6_PAGE_SHIFT + R6_INDEX_BITS * (unsigned)level;
	*next = ref_bits(d, 55, R6_PAGE_SHIFT);
	return (d & R6_LEAF) || level == 0 ? REF_LEAF : REF_TABLE;
}

int ref_radix6_census(const struct mmu_host_hwstate *hw, struct ref_census *c)
{
	const struct ref_radix r = { NULL, r6_kind, 1u << R6_INDEX_BITS, -1 };
	ref_census_tables(c, &r, hw->root, R6_LEVELS - 1, 1u << R6_INDEX_BITS);
	return 0;
}
