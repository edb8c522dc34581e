/*
 * Reference walker: AArch64 stage 1 translation of the EL1&0 regime (Arm
 * ARM, chapter D8 "The AArch64 Virtual Memory System Architecture"), for the
 * 4, 16 and 64 KiB granules, 48- and 52-bit VAs, FEAT_LPA2 (TCR_EL1.DS = 1)
 * and FEAT_LPA (52-bit OA with the 64 KiB granule).
 *
 * Levels follow the Arm ARM's numbering: 3 is the page level, the walk
 * starts at level 1, 0 or -1. The configuration modelled: T0SZ = T1SZ =
 * 64 - va_bits, TBI = 0, HPD = 0 (hierarchical permissions on), WXN = 0,
 * PAN = 1 with SCTLR_EL1.EPAN = 1 (FEAT_PAN3), IPS = the largest OA the
 * granule and features give. TTBR0_EL1 = hw->root, TTBR1_EL1 = hw->kernel_root.
 */
#include "ref.h"

/* Descriptor bits: Arm ARM D8.3 (translation table descriptor formats). */
#define DESC_VALID       (1ull << 0)
#define DESC_TABLE       (1ull << 1)  /* levels < 3: table (1) or block (0); level 3: page (1) */
#define DESC_AP_EL0      (1ull << 6)  /* AP[1]: EL0 has data access */
#define DESC_AP_RO       (1ull << 7)  /* AP[2]: read-only at every EL */
#define DESC_AF          (1ull << 10)
#define DESC_NT          (1ull << 16) /* FEAT_BBM: nT, block descriptors only */
#define DESC_DBM         (1ull << 51)
#define DESC_CONTIG      (1ull << 52)
#define DESC_PXN         (1ull << 53)
#define DESC_UXN         (1ull << 54)
#define DESC_IGNORED     ref_bits(~0ull, 63, 55) /* software use (58:55), PBHA, ignored */
#define TABLE_PXN        (1ull << 59) /* PXNTable */
#define TABLE_UXN        (1ull << 60) /* UXNTable */
#define TABLE_AP_NO_EL0  (1ull << 61) /* APTable[0]: no EL0 access below */
#define TABLE_AP_RO      (1ull << 62) /* APTable[1]: no write access below */

struct arm_regime {
	unsigned granule;      /* log2 of the translation granule: 12, 14, 16 */
	unsigned stride;       /* index bits of a full level: granule - 3 */
	unsigned va_bits;      /* 64 - TnSZ */
	unsigned oa_bits;      /* 48, or 52 with FEAT_LPA2 / FEAT_LPA */
	bool     ds;           /* TCR_EL1.DS: FEAT_LPA2 descriptor layout */
	int      start_level;
};

/* D8.2 (translation process): the initial lookup level for the granule and
 * TnSZ, each level resolving granule - 3 bits and the first one the rest.
 * Returns false for a combination the architecture does not offer. */
static bool regime_init(const struct mmu_host_hwstate *hw, struct arm_regime *r)
{
	const unsigned g = hw->page_shift;

	if (g != 12 && g != 14 && g != 16)
		return false;
	if (hw->lpa2 && g == 16)          /* TCR_EL1.DS applies to 4K and 16K only */
		return false;
	if (hw->va_bits == 52) {          /* FEAT_LVA (64K) or FEAT_LPA2 (4K, 16K) */
		if (g != 16 && !hw->lpa2)
			return false;
	} else if (hw->va_bits != 48) {
		return false;
	}
	r->granule = g;
	r->stride = g - 3;
	r->va_bits = hw->va_bits;
	r->ds = hw->lpa2;
	r->oa_bits = (hw->lpa2 || (g == 16 && hw->va_bits == 52)) ? 52 : 48;
	const unsigned levels = (r->va_bits - g + r->stride - 1) / r->stride;
	r->start_level = 4 - (int)levels;
	return true;
}

static unsigned level_shift(const struct arm_regime *r, int level)
{
	return r->granule + r->stride * (unsigned)(3 - level);
}

/* Bits of a descriptor that hold the output or next-level table address
 * (D8.3): OA[47:granule] in the same bits; with DS = 1, OA[49:granule] in
 * the same bits and OA[51:50] in bits 9:8; with the 64K granule and a
 * 52-bit OA, OA[51:48] in bits 15:12. */
static paddr_t desc_address(const struct arm_regime *r, uint64_t d)
{
	if (r->ds)
		return ref_bits(d, 49, r->granule) | ref_bits(d, 9, 8) << 42;
	if (r->granule == 16 && r->oa_bits == 52)
		return ref_bits(d, 47, 16) | ref_bits(d, 15, 12) << 36;
	return ref_bits(d, 47, r->granule);
}

static uint64_t address_field(const struct arm_regime *r)
{
	if (r->ds)
		return ref_bits(~0ull, 49, r->granule) | ref_bits(~0ull, 9, 8);
	if (r->granule == 16 && r->oa_bits == 52)
		return ref_bits(~0ull, 47, 12);
	return ref_bits(~0ull, 47, r->granule);
}

/* Address bits the configuration leaves RES0: bits 49:48 without DS, the
 * bits between 12 and the granule unless they hold OA[51:48]. Set, they
 * are misprogramming (an Address size fault, or CONSTRAINED UNPREDICTABLE). */
static bool address_res0_clear(const struct arm_regime *r, uint64_t d)
{
	uint64_t res0 = r->ds ? 0 : ref_bits(~0ull, 49, 48);

	if (r->granule > 12 && !(r->granule == 16 && r->oa_bits == 52))
		res0 |= ref_bits(~0ull, r->granule - 1, 12);
	return !(d & res0);
}

/* D8.3: which levels may hold a block descriptor. */
static bool block_allowed(const struct arm_regime *r, int level)
{
	switch (r->granule) {
	case 12: return level == 1 || level == 2 || (level == 0 && r->ds);
	case 14: return level == 2 || (level == 1 && r->ds);
	default: return level == 2 || (level == 1 && r->oa_bits == 52);
	}
}

/* The Contiguous bit (D8, "The Contiguous bit"): log2 of the entries in a
 * group per granule and level; 0 where the bit is not defined, which we
 * treat as misprogramming. */
static unsigned contig_lg2(const struct arm_regime *r, int level)
{
	switch (r->granule) {
	case 12: return (level >= 1 && level <= 3) ? 4 : 0;  /* 16 entries */
	case 14: return level == 3 ? 7 : level == 2 ? 5 : 0;  /* 128, 32 */
	default: return (level == 2 || level == 3) ? 5 : 0;   /* 32, 32 */
	}
}

/*
 * A leaf with the Contiguous bit set is only correct if every entry of its
 * aligned group is a valid leaf of the same kind with the bit set,
 * identical attributes and consecutive output addresses from a base aligned
 * to the group's size; otherwise hardware may translate the group with any
 * entry's attributes, or raise a TLB conflict abort. AF may differ, and so
 * may AP[2] where DBM is set (hardware dirty state, D8 "Hardware management
 * of the dirty state"), and the bits the walk ignores (software use, PBHA).
 */
static bool contig_group_ok(const struct arm_regime *r, paddr_t table, uint64_t index,
                            unsigned index_bits, int level, uint64_t d)
{
	const unsigned n_lg2 = contig_lg2(r, level);
	const unsigned shift = level_shift(r, level);

	if (n_lg2 == 0 || n_lg2 > index_bits)
		return false;
	const uint64_t first = index & ~((1ull << n_lg2) - 1);
	const paddr_t mine = desc_address(r, d) & ~((1ull << shift) - 1);
	const paddr_t base = mine - ((index - first) << shift);
	if (base & ((1ull << (shift + n_lg2)) - 1))
		return false;

	const uint64_t attrs = ~(address_field(r) | DESC_AF | DESC_IGNORED);
	for (uint64_t j = 0; j < (1ull << n_lg2); j++) {
		uint64_t e;
		if (!ref_load(table, first + j, &e))
			return false;
		uint64_t mask = attrs;
		if (e & d & DESC_DBM)
			mask &= ~DESC_AP_RO;
		if ((e & mask) != (d & mask))
			return false;
		const uint64_t nt = level < 3 ? DESC_NT : 0;
		if ((desc_address(r, e & ~nt)) != base + (j << shift) || !address_res0_clear(r, e))
			return false;
	}
	return true;
}

/* Permissions accumulated from table descriptors: hierarchical controls. */
struct table_limits {
	bool no_el0, read_only, uxn, pxn;
};

/*
 * Stage 1 permissions (D8, "Memory access control"): AP[2:1] with APTable,
 * UXN/PXN with UXNTable/PXNTable; memory writable at EL0 is execute-never
 * at EL1; PAN makes EL1 data accesses to memory that EL0 can read, write
 * or (EPAN) execute fault.
 */
static bool leaf_permits(uint64_t d, const struct table_limits *tl, unsigned access)
{
	const bool el0_data = (d & DESC_AP_EL0) && !tl->no_el0;
	/* DBM: hardware dirty state (TCR_EL1.HD) makes a clean page writable */
	const bool writable = (!(d & DESC_AP_RO) || (d & DESC_DBM)) && !tl->read_only;
	const bool el0_exec = !(d & DESC_UXN) && !tl->uxn;
	const bool el1_exec = !(d & DESC_PXN) && !tl->pxn && !(el0_data && writable);
	const bool pan = el0_data || el0_exec;

	if (access & MMU_USER) {
		switch (access & ~MMU_USER) {
		case MMU_READ:  return el0_data;
		case MMU_WRITE: return el0_data && writable;
		default:        return el0_exec;
		}
	}
	switch (access) {
	case MMU_READ:  return !pan;
	case MMU_WRITE: return !pan && writable;
	default:        return el1_exec;
	}
}

int ref_arm64_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	struct arm_regime r;

	if (!ref_access_valid(access))
		return -EINVAL;
	if (!regime_init(hw, &r))
		return -EFAULT;

	/* D8.2: VA[63:va_bits] all 0 selects TTBR0, all 1 TTBR1, anything
	 * else is a Translation fault at level 0 (TBI = 0). */
	const uint64_t top = va >> r.va_bits;
	paddr_t table;
	if (top == 0)
		table = hw->root;
	else if (top == ~0ull >> r.va_bits)
		table = hw->kernel_root;
	else
		return -EFAULT;
	/* TTBRn_EL1.BADDR: the initial table is aligned to its size, and to
	 * at least 64 bytes. */
	const unsigned root_lg2 = r.va_bits - level_shift(&r, r.start_level) + 3;
	if (table & ((1ull << (root_lg2 > 6 ? root_lg2 : 6)) - 1))
		return -EFAULT;

	struct table_limits tl = { false, false, false, false };
	for (int level = r.start_level; level <= 3; level++) {
		const unsigned shift = level_shift(&r, level);
		const unsigned index_bits = level == r.start_level ? r.va_bits - shift : r.stride;
		const uint64_t index = (va >> shift) & ((1ull << index_bits) - 1);
		uint64_t d;

		if (!ref_load(table, index, &d))
			return -EFAULT;
		if (!(d & DESC_VALID) || !address_res0_clear(&r, d))
			return -EFAULT;

		if (level < 3 && (d & DESC_TABLE)) {
			tl.pxn |= d & TABLE_PXN;
			tl.uxn |= d & TABLE_UXN;
			tl.no_el0 |= d & TABLE_AP_NO_EL0;
			tl.read_only |= d & TABLE_AP_RO;
			table = desc_address(&r, d);
			ref_descend(table, shift);
			continue;
		}
		/* Level 3 with bit 1 clear is reserved (D8.3); a block only at
		 * the levels that have one. */
		if (level == 3 ? !(d & DESC_TABLE) : !block_allowed(&r, level))
			return -EFAULT;

		const uint64_t size_mask = (1ull << shift) - 1;
		const paddr_t oa = desc_address(&r, level < 3 ? d & ~DESC_NT : d);
		if (oa & size_mask)
			return -EFAULT;         /* block OA not aligned to the block */
		if ((d & DESC_CONTIG) && !contig_group_ok(&r, table, index, index_bits, level, d))
			return -EFAULT;
		if (!leaf_permits(d, &tl, access))
			return -EFAULT;
		*pa = oa | (va & size_mask);
		return 0;
	}
	return -EFAULT;   /* not reached: level 3 is always a leaf or a fault */
}

/* Census (host/ref.h): valid descriptors; below level 3 the table bit
 * leads to the next level, else a block; at level 3 a page (D8.3). */
static enum ref_kind arm_kind(const void *arch, uint64_t d, int level, paddr_t *next, unsigned *shift)
{
	const struct arm_regime *r = arch;
	if (!(d & DESC_VALID))
		return REF_INVALID;
	*shift = level_shift(r, level);
	*next = desc_address(r, d);
	return level < 3 && (d & DESC_TABLE) ? REF_TABLE : REF_LEAF;
}

int ref_arm64_census(const struct mmu_host_hwstate *hw, struct ref_census *c)
{
	struct arm_regime r;

	if (!regime_init(hw, &r))
		return -EINVAL;
	const struct ref_radix rx = { &r, arm_kind, 1ull << r.stride, +1 };
	const uint64_t entries = 1ull << (r.va_bits - level_shift(&r, r.start_level));
	ref_census_tables(c, &rx, hw->root, r.start_level, entries);
	if (hw->kernel_root)
		ref_census_tables(c, &rx, hw->kernel_root, r.start_level, entries);
	return 0;
}
