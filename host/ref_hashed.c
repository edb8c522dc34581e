/*
 * Reference walker: hashed, the host-only paging mode with no levels (spec:
 * the header comment of mmu/hashed.c; this file shares no code or header
 * with it). What a hashed-table MMU does on a TLB miss, in the manner of
 * ia64's VHPT walker or POWER's HPT search: hash the virtual page number
 * for each page size, search that bucket and its overflow chain for an
 * exact tag, and fault on no match or on more than one.
 *
 * Summary of the format as read here:
 *   48-bit VAs sign-extended from bit 47; 4 KiB pages; page sizes 4 KiB <<
 *   {0, 4, 9, 18, 27}. Table = directory page (word 0: D bucket pages,
 *   words 1..D: their addresses); N = 31 * D buckets. Bucket h: page h / 31,
 *   bucket h % 31 = words 16 + 16 * (h % 31) .. + 15 (8 entries of tag,
 *   translation), then word 0 of the page links the next overflow page.
 *   Tag: V bit 0, order bits 6:1, VA bits 63:12. Translation: R W X U G A D
 *   in bits 0..6, software bit 7, memtype 9:8, bits 11:10 and 63:56
 *   reserved, output address 55:12.
 *   A bucket page address of 0 means the page is absent: its buckets are
 *   empty.
 *   hash: key = b >> (12 + k); x = ((key / 31) ^ (k << 56)) *
 *         0x9E3779B97F4A7C15; x ^= x >> 31; h = 31 * (x % D) + key % 31.
 */
#include "ref.h"

#define HX_VA_BITS       48
#define HX_PAGE_SHIFT    12
#define HX_DIR_MAX       480
#define HX_BUCKETS_PAGE  31
#define HX_BUCKET_WORDS  16       /* 8 entries of 2 words */
#define HX_FIRST_BUCKET  16       /* word of bucket 0 in a page */
#define HX_CHAIN_MAX     (1u << 20)
#define HX_RETRIES       16

#define HX_V             (1ull << 0)
#define HX_R             (1ull << 0)
#define HX_W             (1ull << 1)
#define HX_X             (1ull << 2)
#define HX_U             (1ull << 3)

static const unsigned hx_orders[] = { 0, 4, 9, 18, 27 };

/* Bucket number h in [0, 31 * npages). */
static uint64_t hx_hash(vaddr_t base, unsigned k, uint64_t npages)
{
	const uint64_t key = base >> (HX_PAGE_SHIFT + k);
	uint64_t x = ((key / HX_BUCKETS_PAGE) ^ ((uint64_t)k << 56)) * 0x9E3779B97F4A7C15ull;

	x ^= x >> 31;
	return HX_BUCKETS_PAGE * (x % npages) + key % HX_BUCKETS_PAGE;
}

static bool hx_permits(uint64_t tr, unsigned access)
{
	const bool user_page = tr & HX_U;

	if ((access & MMU_USER) ? !user_page : user_page)
		return false;
	switch (access & ~MMU_USER) {
	case MMU_READ:  return tr & HX_R;
	case MMU_WRITE: return tr & HX_W;
	default:        return tr & HX_X;
	}
}

/*
 * Search one bucket chain for tag. Returns the number of matches (0, 1, or
 * 2 meaning "more than one"), the translation of the last, or -1 when the
 * walk itself faults (outside memory, a chain that does not end).
 */
static int hx_search(paddr_t page, uint64_t bucket, uint64_t tag, uint64_t *tr)
{
	int hits = 0;

	for (unsigned n = 0; page; n++) {
		if (n == HX_CHAIN_MAX)
			return -1;
		for (unsigned e = 0; e < 8; e++) {
			const uint64_t w = HX_FIRST_BUCKET + bucket * HX_BUCKET_WORDS + 2 * e;
			uint64_t t1, t2, x;
			unsigned tries = 0;

			do {
				if (tries++ == HX_RETRIES)
					return -1;
				if (!ref_load(page, w, &t1) || !ref_load(page, w + 1, &x) ||
				    !ref_load(page, w, &t2))
					return -1;
			} while (t1 != t2);
			if (t1 == tag) {
				*tr = x;
				if (++hits > 1)
					return 2;
			}
		}
		if (!ref_load(page, 0, &page))
			return -1;
	}
	return hits;
}

int ref_hashed_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	if (!ref_access_valid(access))
		return -EINVAL;
	if (hw->va_bits != HX_VA_BITS || hw->page_shift != HX_PAGE_SHIFT)
		return -EFAULT;
	if (!ref_canonical(va, HX_VA_BITS))
		return -EFAULT;

	const bool kernel = va >> (HX_VA_BITS - 1) & 1;
	const paddr_t dir = kernel ? hw->kernel_root : hw->root;
	uint64_t npages;

	if (!dir || !ref_load(dir, 0, &npages) || npages == 0 || npages > HX_DIR_MAX)
		return -EFAULT;
	const uint64_t nbuckets = npages * HX_BUCKETS_PAGE;
	if (!kernel && hw->aux != nbuckets)
		return -EFAULT;         /* the registers disagree with the table */

	int found = 0;
	uint64_t tr = 0;
	unsigned order = 0;

	for (unsigned i = 0; i < sizeof(hx_orders) / sizeof(hx_orders[0]); i++) {
		const unsigned k = hx_orders[i];
		const vaddr_t base = va & ~((1ull << (HX_PAGE_SHIFT + k)) - 1);
		const uint64_t tag = ref_bits(base, 63, HX_PAGE_SHIFT) | (uint64_t)k << 1 | HX_V;
		const uint64_t h = hx_hash(base, k, npages);
		paddr_t page;
		uint64_t x;

		if (!ref_load(dir, 1 + h / HX_BUCKETS_PAGE, &page))
			return -EFAULT;
		const int hits = hx_search(page, h % HX_BUCKETS_PAGE, tag, &x);
		if (hits < 0)
			return -EFAULT;
		if (hits) {
			found += hits;
			tr = x;
			order = k;
		}
	}
	if (found != 1)
		return -EFAULT;         /* miss, or a multiple hit */

	const uint64_t size_mask = (1ull << (HX_PAGE_SHIFT + order)) - 1;
	const paddr_t out = ref_bits(tr, 55, HX_PAGE_SHIFT);

	if (ref_bits(tr, 63, 56) || ref_bits(tr, 11, 10))
		return -EFAULT;         /* reserved bits */
	if (ref_bits(tr, 9, 8) == 3ull << 8)
		return -EFAULT;         /* reserved memory type */
	if ((tr & HX_W) && !(tr & HX_R))
		return -EFAULT;         /* W without R is reserved */
	if (out & size_mask)
		return -EFAULT;         /* misaligned output address */
	if (!hx_permits(tr, access))
		return -EFAULT;
	*pa = out | (va & size_mask);
	return 0;
}
