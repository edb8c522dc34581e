/*
 * hashed: a host-only paging mode with no levels at all, in the style of
 * ia64's long-format VHPT and POWER's hashed page table: every translation
 * is one 16-byte entry in a fixed-size hash bucket, found by hashing its
 * virtual page number. Behind the same struct mmu_backend as the radix
 * engine, it proves that the front end (mmu/mmu.c) depends on no
 * hierarchy. The reference walker (host/ref_hashed.c) is written from this
 * comment alone.
 *
 * ---- Format specification ------------------------------------------------
 *
 * Geometry. 4 KiB base pages and 4 KiB table pages. 48-bit virtual
 * addresses, sign-extended from bit 47 as on x86-64: the user half is
 * [0, 2^47), the kernel half [2^64 - 2^47, 2^64); anything else faults.
 * Native orders (log2 of the size in base pages) 0, 4, 9, 18, 27: 4 KiB,
 * 64 KiB, 2 MiB, 1 GiB, 512 GiB. Output addresses have 56 bits.
 *
 * Tables. Each half has its own table: the user half the set's (hwstate
 * root), the kernel half one table shared by every set (hwstate
 * kernel_root), which holds the global entries. A table is a directory
 * page and up to D bucket pages, D fixed when the table is made
 * (1 <= D <= 480); a bucket page is allocated when the first entry hashes
 * to it and freed when its chain is empty again:
 *
 *   directory page: word 0 = D; word 1 + i = physical address of bucket
 *                   page i (0 <= i < D), 0 if that page is absent (its
 *                   buckets are empty); words 496..500: live entries of
 *                   each native order, ascending (software); word 501:
 *                   bucket and overflow pages of the table (software);
 *                   other words 0.
 *   bucket page and overflow page (same layout, 512 words):
 *     words 0..15   header
 *       word 0      physical address of the next overflow page of this
 *                   chain, 0 at the end                      (hardware)
 *       word 1      index i of the bucket page heading the chain (software)
 *       word 2      bit 0: this is an overflow page            (software)
 *       words 4..7  bit s set iff slot s holds a valid entry   (software)
 *       others      0
 *     words 16..511 31 buckets of 8 slots; slot s (0..247) = words
 *                   16 + 2s (tag) and 17 + 2s (translation); bucket b is
 *                   slots 8b..8b+7.
 *   The table has N = 31 * D buckets (hwstate aux, for the user table).
 *   Bucket h (0 <= h < N) is bucket h % 31 of bucket page h / 31, then the
 *   same bucket of every overflow page along that page's chain.
 *
 * Entry (16 bytes, two little-endian words):
 *   tag         bit 0      valid
 *               bits 6:1   order k (one of the native orders)
 *               bits 11:7  0
 *               bits 63:12 bits 63:12 of the leaf's base VA (sign-extended)
 *               A tag of 0 is a free slot.
 *   translation bit 0 R, 1 W, 2 X, 3 U, 4 G, 5 A, 6 D
 *               bit 7      software (the side table holds more: mmu/meta.c)
 *               bits 9:8   memory type (0 normal, 1 device, 2 uncached,
 *                          3 reserved)
 *               bits 11:10 0
 *               bits 55:12 output address of the leaf's base, aligned to
 *                          its size
 *               bits 63:56 0
 *
 * Hash. For a leaf of order k with base VA b (aligned to 4 KiB << k), 31
 * consecutive leaves of one order share a bucket page, one per bucket:
 *   key = b >> (12 + k)                       (logical shift)
 *   x   = ((key / 31) ^ (k << 56)) * 0x9E3779B97F4A7C15   (mod 2^64)
 *   x   = x ^ (x >> 31)
 *   bucket page i = x % D, bucket key % 31 of it: h = 31 * i + key % 31
 *
 * Lookup of va. Pick the table by half. For each native order k: b = va
 * with bits 11 + k..0 cleared; walk bucket hash(b, k) through its whole
 * chain for a slot whose tag is exactly b | k << 1 | 1. Read tag,
 * translation, tag again; a tag that changed in between is a concurrent
 * update: read again. No match at any order: fault. More than one match:
 * fault (a multiple hit, as POWER calls it). A translation with reserved
 * bits set, memory type 3, a misaligned output address, or W without R:
 * fault.
 * Permissions as RISC-V: a user access needs U, a supervisor access to a
 * U page faults, a read needs R, a write W, a fetch X. The physical
 * address is the output address plus va's offset in the leaf.
 *
 * Updates (publish). A commit never lets a walker see two valid entries
 * that overlap, nor a torn entry: first every slot whose valid entry is
 * removed or replaced by another leaf gets tag 0 (break), then, after a
 * barrier, each new entry is written translation first and tag last with
 * release semantics (make); a slot whose tag stays and whose translation
 * changes is one atomic store. Overflow pages are linked after their
 * entries are written and freed only after the commit's TLB invalidation.
 * So a leaf replaced by a different one (split, merge, moved slot) is
 * briefly absent: the format requires break-before-make there, as Arm
 * does; the commit's one TLB invalidation follows the make.
 *
 * ---- Implementation notes -------------------------------------------------
 *
 * Every store goes through the transaction (txn.h), the directory's
 * included. Bucket and overflow pages are allocated with txn_new when an
 * entry needs them, so a map fails only with -EEXIST or -ENOMEM; an unmap
 * that empties a page unlinks and frees it at once (the bucket page only
 * once its whole chain is empty), so reclaim has nothing left to do. A
 * new set costs one directory page. The per-order counts let a lookup
 * skip the sizes a table does not use. next() probes page by page over
 * short gaps and falls back to one pass over the occupancy bitmaps, so
 * one call costs O(min(gap, table)).
 */
#include <string.h>
#include "txn.h"

struct mmu_mode mmu_mode_hashed;

#define H_PAGE_SHIFT   12
#define H_PAGE_BYTES   (1ull << H_PAGE_SHIFT)
#define H_VA_BITS      48
#define H_PA_BITS      56
#define H_NATIVE       ((1ull << 0) | (1ull << 4) | (1ull << 9) | (1ull << 18) | (1ull << 27))
#define H_MAX_ORDER    (H_VA_BITS - 1 - H_PAGE_SHIFT)

#define H_SLOTS        8          /* slots per bucket */
#define H_BUCKETS      31         /* buckets per page */
#define H_PAGE_SLOTS   (H_BUCKETS * H_SLOTS)
#define H_HDR_WORDS    16
#define H_DIR_PAGES    480        /* bucket pages a table may have (D) */

/* directory words */
#define DIR_D          0
#define DIR_PAGE0      1
#define DIR_COUNT0     496        /* live entries of native order i */
#define DIR_PAGES      501        /* bucket and overflow pages */

/* bucket and overflow page header words */
#define HDR_NEXT       0
#define HDR_HOME       1
#define HDR_FLAGS      2
#define HDR_MAP        4
#define HF_OVERFLOW    1ull

#define TAG_V          1ull
#define TAG_ORDER_SHIFT 1
#define TAG_VA         (~0xfffull)

#define TR_R           (1ull << 0)
#define TR_W           (1ull << 1)
#define TR_X           (1ull << 2)
#define TR_U           (1ull << 3)
#define TR_G           (1ull << 4)
#define TR_A           (1ull << 5)
#define TR_D           (1ull << 6)
#define TR_SW          (1ull << 7)
#define TR_MT_SHIFT    8
#define TR_PA          0x00fffffffffff000ull

/* Native orders, ascending; the sizes nest (each divides the next). */
static const unsigned native[] = { 0, 4, 9, 18, 27 };
#define NNATIVE (sizeof(native) / sizeof(native[0]))

_Static_assert(H_HDR_WORDS + 2 * H_PAGE_SLOTS == H_PAGE_BYTES / 8,
               "header and buckets fill a table page exactly");
_Static_assert(DIR_PAGE0 + H_DIR_PAGES <= DIR_COUNT0 && DIR_PAGES < H_PAGE_BYTES / 8,
               "the directory holds the page addresses and the counts");

static inline uint64_t order_bytes(unsigned k) { return H_PAGE_BYTES << k; }
static inline unsigned tag_word(unsigned slot) { return H_HDR_WORDS + 2 * slot; }
static inline bool in_kernel_half(vaddr_t va) { return va >= mmu_mode_hashed.kernel_base; }

static inline uint64_t mk_tag(vaddr_t base, unsigned k)
{
	return (base & TAG_VA) | (uint64_t)k << TAG_ORDER_SHIFT | TAG_V;
}

static inline paddr_t dir_of(mmu_transaction_t *ta, bool kernel)
{
	return kernel ? mmu_mode_hashed.kernel_root : ta->set->root;
}

static unsigned native_index(unsigned order)
{
	for (unsigned i = 0; i < NNATIVE; i++)
		if (native[i] == order)
			return i;
	panic_mmu("hashed: order %u is not native", order);
}

/* txn_view, remembered: a lookup in the transaction's page hash per read
 * was most of the time of a bulk map. An entry holds while the
 * transaction's, the set's and the kernel half's generations are
 * unchanged (txn_gen_ok: they move whenever a page becomes private, is
 * freed or unwound, and at commit and forget), for the transaction that
 * made it.
 * The hashed mode is host-only, so a static cache serves: one per thread,
 * as transactions on several threads (tests/mmu/conc.c) would otherwise
 * write each other's entries. An entry of a live page is only the page's
 * address, right for any transaction; one of a private copy carries its
 * transaction's generation, which is its own (txn_fresh_gen). */
#define VCACHE 64
static _Thread_local struct vcache {
	mmu_transaction_t *ta;
	uint64_t gen, sgen, kgen;
	paddr_t  pa;
	void    *ptr;
} vcache[VCACHE];

static void *view(mmu_transaction_t *ta, paddr_t pa)
{
	struct vcache *c = &vcache[(pa >> H_PAGE_SHIFT) % VCACHE];
	if (c->pa != pa || c->ta != ta || !txn_gen_ok(ta, c->gen, c->sgen, c->kgen))
		*c = (struct vcache){ ta, ta->gen, __atomic_load_n(&ta->set->gen, __ATOMIC_ACQUIRE),
		                     __atomic_load_n(&ta->set->mode->kernel_gen, __ATOMIC_ACQUIRE), pa,
		                      txn_view(ta, pa) };
	return c->ptr;
}

/* ---- geometry of one table ---- */

struct chain {
	paddr_t  head;       /* bucket page, 0 if absent */
	unsigned home;       /* its index in the directory */
	unsigned bucket;     /* bucket within every page of the chain */
};

/* Sequential leaves of one order fill one bucket page, a bucket each, so
 * a run of them touches few pages (cache lines, private copies). */
static struct chain chain_of(const uint64_t *dir, vaddr_t base, unsigned k)
{
	uint64_t key = base >> (H_PAGE_SHIFT + k);
	uint64_t x = ((key / H_BUCKETS) ^ ((uint64_t)k << 56)) * 0x9E3779B97F4A7C15ull;
	x ^= x >> 31;
	uint64_t page = x % mmu_load_word(&dir[DIR_D]);
	return (struct chain){ .head = mmu_load_word(&dir[DIR_PAGE0 + page]),
	                       .home = (unsigned)page, .bucket = (unsigned)(key % H_BUCKETS) };
}

/* ---- entries ---- */

/* A translation word's permission bits for MMU_READ.. MMU_USER. */
static uint64_t tr_prot(unsigned prot)
{
	return (prot & MMU_READ ? TR_R : 0) | (prot & MMU_WRITE ? TR_W : 0) |
	       (prot & MMU_EXEC ? TR_X : 0) | (prot & MMU_USER ? TR_U : 0);
}

static uint64_t mk_translation(paddr_t pa, const struct pt_attr *a)
{
	return (pa & TR_PA) | tr_prot(a->prot) |
	       (a->global ? TR_G : 0) | (a->accessed ? TR_A : 0) | (a->dirty ? TR_D : 0) |
	       (a->annotated ? TR_SW : 0) | (uint64_t)(a->memtype & 3) << TR_MT_SHIFT;
}

static void leaf_of(uint64_t tag, uint64_t tr, struct mmu_leaf *out)
{
	out->va = tag & TAG_VA;
	out->order = (unsigned)(tag >> TAG_ORDER_SHIFT) & 0x3f;
	out->pa = tr & TR_PA;
	out->attr = (struct pt_attr){
		.prot = (uint8_t)((tr & TR_R ? MMU_READ : 0) | (tr & TR_W ? MMU_WRITE : 0) |
		                  (tr & TR_X ? MMU_EXEC : 0) | (tr & TR_U ? MMU_USER : 0)),
		.memtype = (uint8_t)((tr >> TR_MT_SHIFT) & 3),
		.global = tr & TR_G, .accessed = tr & TR_A, .dirty = tr & TR_D,
		.annotated = tr & TR_SW,
	};
}

/* Where the leaf of order k based at base sits: page and slot. */
static bool probe(mmu_transaction_t *ta, const uint64_t *dir, vaddr_t base, unsigned k,
                  paddr_t *page, unsigned *slot)
{
	struct chain c = chain_of(dir, base, k);
	uint64_t want = mk_tag(base, k);
	for (paddr_t pa = c.head; pa;) {
		const uint64_t *w = view(ta, pa);
		for (unsigned s = c.bucket * H_SLOTS; s < (c.bucket + 1) * H_SLOTS; s++)
			if (mmu_load_word(&w[tag_word(s)]) == want) {
				*page = pa;
				*slot = s;
				return true;
			}
		pa = mmu_load_word(&w[HDR_NEXT]);
	}
	return false;
}

static bool probe_leaf(mmu_transaction_t *ta, const uint64_t *dir, vaddr_t base, unsigned k,
                       struct mmu_leaf *out)
{
	paddr_t page;
	unsigned slot;
	if (!probe(ta, dir, base, k, &page, &slot))
		return false;
	const uint64_t *w = view(ta, page);
	leaf_of(mmu_load_word(&w[tag_word(slot)]), mmu_load_word(&w[tag_word(slot) + 1]), out);
	return true;
}

/* ---- reading ---- */

static int hs_lookup(mmu_transaction_t *ta, vaddr_t va, struct mmu_leaf *out)
{
	const uint64_t *dir = view(ta, dir_of(ta, in_kernel_half(va)));
	for (unsigned i = 0; i < NNATIVE; i++)
		if (mmu_load_word(&dir[DIR_COUNT0 + i]) &&
		    probe_leaf(ta, dir, va & ~(order_bytes(native[i]) - 1), native[i], out))
			return 0;
	return -ENOENT;
}

/* The first occupied slot of page w at or after slot from (its occupancy
 * bitmap), H_PAGE_SLOTS if none. */
static unsigned occupied(const uint64_t *w, unsigned from)
{
	for (unsigned m = from / 64; m < 4; m++) {
		uint64_t bits = w[HDR_MAP + m] & (m == from / 64 ? ~0ull << (from % 64) : ~0ull);
		if (bits)
			return m * 64 + (unsigned)__builtin_ctzll(bits);
	}
	return H_PAGE_SLOTS;
}

/* The leaf with the lowest base in [from, last] of the whole table, by one
 * pass over every page's occupancy bitmap. */
static int scan_lowest(mmu_transaction_t *ta, const uint64_t *dir, vaddr_t from, vaddr_t last,
                       struct mmu_leaf *out)
{
	uint64_t best_tag = 0, best_tr = 0;
	for (uint64_t i = 0; i < dir[DIR_D]; i++)
		for (paddr_t pa = dir[DIR_PAGE0 + i]; pa;) {
			const uint64_t *w = view(ta, pa);
			for (unsigned s = occupied(w, 0); s < H_PAGE_SLOTS; s = occupied(w, s + 1)) {
				uint64_t tag = w[tag_word(s)];
				vaddr_t base = tag & TAG_VA;
				if (base >= from && base <= last && (!best_tag || base < (best_tag & TAG_VA))) {
					best_tag = tag;
					best_tr = w[tag_word(s) + 1];
				}
			}
			pa = w[HDR_NEXT];
		}
	if (!best_tag)
		return -ENOENT;
	leaf_of(best_tag, best_tr, out);
	return 0;
}

/* First leaf of one table overlapping [va, last]: at va's page, the
 * leaves of every size that would cover it; then only at multiples of
 * the smallest size the table holds (no leaf starts anywhere else), until
 * the probes would cost more than one pass over the table. */
static int next_in(mmu_transaction_t *ta, paddr_t dpa, vaddr_t va, vaddr_t last,
                   struct mmu_leaf *out)
{
	const uint64_t *dir = view(ta, dpa);
	uint64_t leaves = 0, probes = 0, step = 0;
	for (unsigned i = NNATIVE; i-- > 0;)
		if (dir[DIR_COUNT0 + i]) {
			leaves += dir[DIR_COUNT0 + i];
			step = order_bytes(native[i]);
		}
	if (!leaves)
		return -ENOENT;
	/* A probe reads a page or two; the pass reads every page and tests
	 * every entry, which is far cheaper per entry. */
	uint64_t budget = dir[DIR_PAGES] + leaves / 16 + 8;
	vaddr_t p = va & ~(H_PAGE_BYTES - 1);
	for (bool first = true;; first = false) {
		for (unsigned i = 0; i < NNATIVE; i++) {
			uint64_t mask = order_bytes(native[i]) - 1;
			if (!first && (p & mask))
				break;
			if (!dir[DIR_COUNT0 + i])
				continue;
			probes++;
			if (probe_leaf(ta, dir, p & ~mask, native[i], out))
				return 0;
		}
		vaddr_t next = (p | (step - 1)) + 1;
		if (!next || next > last)
			return -ENOENT;
		p = next;
		if (probes >= budget)
			return scan_lowest(ta, dir, p, last, out);
	}
}

static int hs_next(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, struct mmu_leaf *out)
{
	vaddr_t user_last = mmu_mode_hashed.user_top - 1, kbase = mmu_mode_hashed.kernel_base;
	if (va > last)
		return -ENOENT;
	if (va <= user_last &&
	    !next_in(ta, dir_of(ta, false), va, last < user_last ? last : user_last, out))
		return 0;
	if (last < kbase)
		return -ENOENT;
	return next_in(ta, dir_of(ta, true), va > kbase ? va : kbase, last, out);
}

/* ---- changing ---- */

static struct txn_page *own(mmu_transaction_t *ta, paddr_t pa, bool kernel, int *err)
{
	struct txn_page *pg = txn_own(ta, pa, err);
	if (pg)
		pg->kernel = kernel;
	return pg;
}

/* Add delta to a software counter of the directory. */
static int dir_add(mmu_transaction_t *ta, bool kernel, unsigned word, int64_t delta)
{
	int err = 0;
	struct txn_page *d = own(ta, dir_of(ta, kernel), kernel, &err);
	if (!d)
		return err;
	return txn_store(ta, d, word, ((const uint64_t *)d->ptr)[word] + (uint64_t)delta);
}

/* Write slot s of a private page (tag 0: free it) and its occupancy bit. */
static int put_slot(mmu_transaction_t *ta, struct txn_page *pg, unsigned s, uint64_t tag,
                    uint64_t tr)
{
	const uint64_t *w = pg->ptr;
	uint64_t bit = 1ull << (s % 64);
	uint64_t map = tag ? w[HDR_MAP + s / 64] | bit : w[HDR_MAP + s / 64] & ~bit;
	int err = txn_store(ta, pg, tag_word(s) + 1, tr);
	if (!err)
		err = txn_store(ta, pg, tag_word(s), tag);
	if (!err)
		err = txn_store(ta, pg, HDR_MAP + s / 64, map);
	return err;
}

/* A new bucket page (tail == 0) or overflow page after tail, holding one
 * entry in slot s. Returns 0 or -ENOMEM. */
static int grow_chain(mmu_transaction_t *ta, bool kernel, const struct chain *c, paddr_t tail,
                      uint64_t tag, uint64_t tr)
{
	int err = 0;
	struct txn_page *fresh = txn_new(ta, kernel, &err);
	if (!fresh)
		return err;
	if ((err = txn_store(ta, fresh, HDR_HOME, c->home)) ||
	    (err = txn_store(ta, fresh, HDR_FLAGS, tail ? HF_OVERFLOW : 0)) ||
	    (err = put_slot(ta, fresh, c->bucket * H_SLOTS, tag, tr)) ||
	    (err = dir_add(ta, kernel, DIR_PAGES, +1)))
		return err;
	struct txn_page *link = own(ta, tail ? tail : dir_of(ta, kernel), kernel, &err);
	if (!link)
		return err;
	return txn_store(ta, link, tail ? HDR_NEXT : DIR_PAGE0 + c->home, fresh->pa);
}

/* Slot s of private page pg, made private during this call (so nothing to
 * journal: a failed call drops the page whole, txn.h), gets a new entry;
 * txn_stored_run does the stored-range bookkeeping (born in this call: it
 * journals nothing and cannot fail). */
static void put_fresh(mmu_transaction_t *ta, struct txn_page *pg, unsigned s, uint64_t tag,
                      uint64_t tr)
{
	uint64_t *w = pg->ptr;
	unsigned lo = HDR_MAP + s / 64, hi = tag_word(s) + 1;
	w[hi] = tr;
	w[hi - 1] = tag;
	w[lo] |= 1ull << (s % 64);
	(void)txn_stored_run(ta, pg, lo, hi);
}

/* Whether private page pg is the one the chain links as at (a live page's
 * copy, or a page born in the transaction). */
static inline bool is_page(const struct txn_page *pg, paddr_t at)
{
	return pg && (pg->live ? pg->live : pg->pa) == at;
}

/*
 * count new leaves of order k from va whose keys share one bucket page
 * (H_BUCKETS consecutive keys, chain_of): the chain is hashed once, a free
 * slot is found from the occupancy bitmap (a bucket's 8 slots are 8 bits
 * of one word) instead of reading tags, and the page last made private is
 * reused. Returns 0 or -ENOMEM.
 */
static int insert_group(mmu_transaction_t *ta, bool kernel, vaddr_t va, unsigned k, uint64_t count,
                        paddr_t pa, const struct pt_attr *a)
{
	uint64_t bytes = order_bytes(k), key = va >> (H_PAGE_SHIFT + k);
	struct chain c = chain_of(view(ta, dir_of(ta, kernel)), va, k);
	struct txn_page *pg = NULL;
	int err = 0;
	for (uint64_t i = 0; i < count; i++) {
		unsigned b = (unsigned)((key + i) % H_BUCKETS), sh = b * H_SLOTS % 64;
		uint64_t tag = mk_tag(va + i * bytes, k), tr = mk_translation(pa + i * bytes, a);
		paddr_t tail = 0, at = c.head;
		unsigned s = 0;
		for (; at; tail = at, at = ((const uint64_t *)view(ta, at))[HDR_NEXT]) {
			const uint64_t *w = is_page(pg, at) ? pg->ptr : view(ta, at);
			uint64_t used = w[HDR_MAP + b * H_SLOTS / 64] >> sh & 0xff;
			if (used != 0xff) {
				s = b * H_SLOTS + (unsigned)__builtin_ctzll(~used);
				break;
			}
		}
		if (!at) {   /* every slot of the bucket taken: a new page */
			struct chain cb = c;
			cb.bucket = b;
			if ((err = grow_chain(ta, kernel, &cb, tail, tag, tr)))
				return err;
			if (!c.head)
				c = chain_of(view(ta, dir_of(ta, kernel)), va, k);
			continue;
		}
		if (!is_page(pg, at) && !(pg = own(ta, at, kernel, &err)))
			return err;
		if (pg->born_op == ta->op_seq)
			put_fresh(ta, pg, s, tag, tr);
		else if ((err = put_slot(ta, pg, s, tag, tr)))
			return err;
	}
	return 0;
}

/* Returns 0, -EEXIST (something in the range is mapped) or -ENOMEM. */
static int hs_map(mmu_transaction_t *ta, vaddr_t va, unsigned order, uint64_t count,
                  paddr_t pa, const struct pt_attr *a)
{
	unsigned idx = native_index(order);
	bool kernel = in_kernel_half(va);
	uint64_t bytes = order_bytes(order);
	struct mmu_leaf l;
	if (!next_in(ta, dir_of(ta, kernel), va, va + (count * bytes - 1), &l))
		return -EEXIST;
	for (uint64_t i = 0; i < count;) {
		uint64_t key = (va >> (H_PAGE_SHIFT + order)) + i;
		uint64_t n = H_BUCKETS - key % H_BUCKETS;   /* to the end of the key group */
		if (n > count - i)
			n = count - i;
		int err = insert_group(ta, kernel, va + i * bytes, order, n, pa + i * bytes, a);
		if (err)
			return err;
		i += n;
	}
	return dir_add(ta, kernel, DIR_COUNT0 + idx, (int64_t)count);
}

static bool page_empty(const uint64_t *w)
{
	return !(w[HDR_MAP] | w[HDR_MAP + 1] | w[HDR_MAP + 2] | w[HDR_MAP + 3]);
}

/* Unlink and free the empty pages of the chain of bucket page home: empty
 * overflow pages, then the bucket page itself if the chain is empty. */
static int reclaim_chain(mmu_transaction_t *ta, bool kernel, uint64_t home)
{
	paddr_t dpa = dir_of(ta, kernel);
	paddr_t head = ((const uint64_t *)view(ta, dpa))[DIR_PAGE0 + home], prev = head;
	int err = 0;
	if (!head)
		return 0;
	for (paddr_t pa = ((const uint64_t *)view(ta, head))[HDR_NEXT]; pa;) {
		const uint64_t *w = view(ta, pa);
		paddr_t next = w[HDR_NEXT];
		if (!page_empty(w)) {
			prev = pa;
		} else {
			struct txn_page *pg = own(ta, prev, kernel, &err);
			if (!pg || (err = txn_store(ta, pg, HDR_NEXT, next)) ||
			    (err = txn_free(ta, pa, kernel)) || (err = dir_add(ta, kernel, DIR_PAGES, -1)))
				return err;
		}
		pa = next;
	}
	const uint64_t *h = view(ta, head);
	if (h[HDR_NEXT] || !page_empty(h))
		return 0;
	struct txn_page *d = own(ta, dpa, kernel, &err);
	if (!d || (err = txn_store(ta, d, DIR_PAGE0 + home, 0)) || (err = txn_free(ta, head, kernel)))
		return err;
	return dir_add(ta, kernel, DIR_PAGES, -1);
}

/* Rewrite (a != NULL) or remove (a == NULL) count existing leaves. */
static int change(mmu_transaction_t *ta, vaddr_t va, unsigned order, uint64_t count,
                  paddr_t pa, const struct pt_attr *a)
{
	unsigned idx = native_index(order);
	bool kernel = in_kernel_half(va);
	uint64_t bytes = order_bytes(order);
	for (uint64_t i = 0; i < count; i++) {
		vaddr_t base = va + i * bytes;
		paddr_t page;
		unsigned s;
		int err = 0;
		if (!probe(ta, view(ta, dir_of(ta, kernel)), base, order, &page, &s))
			panic_mmu("hashed: no leaf of order %u at %#llx to %s", order,
			          (unsigned long long)base, a ? "rewrite" : "unmap");
		struct txn_page *pg = own(ta, page, kernel, &err);
		if (!pg)
			return err;
		if (a)
			err = txn_store(ta, pg, tag_word(s) + 1, mk_translation(pa + i * bytes, a));
		else if (!(err = put_slot(ta, pg, s, 0, 0)) && page_empty(pg->ptr))
			err = reclaim_chain(ta, kernel, ((const uint64_t *)pg->ptr)[HDR_HOME]);
		if (err)
			return err;
	}
	return a ? 0 : dir_add(ta, kernel, DIR_COUNT0 + idx, -(int64_t)count);
}

static int hs_change(mmu_transaction_t *ta, enum mmu_leaf_op op, vaddr_t va, unsigned order,
                     uint64_t count, paddr_t pa, const struct pt_attr *a)
{
	if (op == MMU_LEAF_MAP)
		return hs_map(ta, va, order, count, pa, a);
	return change(ta, va, order, count, pa, op == MMU_LEAF_REWRITE ? a : NULL);
}

/*
 * A run (mmu_backend.unmap_run, protect_run): the leaves of one order from
 * va that one bucket page's group holds (H_BUCKETS consecutive keys share
 * a chain, chain_of), each present, inside [va, last] and not annotated
 * (its side-table record is the front end's). Any protection goes with any
 * memory type here (hs_attr_ok), so a protected run need not stop at one.
 * Each is removed (prot NULL: its page freed once empty, the count of its
 * order changed once for the run) or given prot, every other bit kept.
 * Without runs a range call took every entry through the front end: its
 * next, find, side-table check and count per entry (figures:
 * docs/benchmarks.md). Returns how many; *next past them; *err on failure
 * (the front end unwinds the call).
 */
static uint64_t run(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, unsigned order,
                    const unsigned *prot, vaddr_t *next, int *err)
{
	bool kernel = in_kernel_half(va);
	unsigned shift = H_PAGE_SHIFT + order;
	uint64_t key = va >> shift, end = (key / H_BUCKETS + 1) * H_BUCKETS, n = 0;
	for (uint64_t k = key; k < end; k++, n++) {
		vaddr_t base = k << shift;
		paddr_t page;
		unsigned s;
		if (base < va || base + (order_bytes(order) - 1) > last ||
		    !probe(ta, view(ta, dir_of(ta, kernel)), base, order, &page, &s))
			break;
		uint64_t tr = ((const uint64_t *)view(ta, page))[tag_word(s) + 1];
		if (tr & TR_SW)
			break;
		struct txn_page *pg = own(ta, page, kernel, err);
		if (!pg)
			return n + 1;
		if (prot) {
			*err = txn_store(ta, pg, tag_word(s) + 1,
			                 (tr & ~(TR_R | TR_W | TR_X | TR_U)) | tr_prot(*prot));
		} else if (!(*err = put_slot(ta, pg, s, 0, 0)) && page_empty(pg->ptr)) {
			*err = reclaim_chain(ta, kernel, ((const uint64_t *)pg->ptr)[HDR_HOME]);
		}
		if (*err)
			return n + 1;
	}
	if (n && !prot)
		*err = dir_add(ta, kernel, DIR_COUNT0 + native_index(order), -(int64_t)n);
	*next = va + n * order_bytes(order);
	return n;
}

/* Whether the leaf in slot s of page w lies in [va, last]. */
static inline bool slot_in(const uint64_t *w, unsigned s, vaddr_t va, vaddr_t last)
{
	vaddr_t base = w[tag_word(s)] & TAG_VA;
	return base >= va && base <= last;
}

/* The occupied slots of page w in [va, last]: their bitmap in map[4];
 * whether they are every occupied slot of the page. */
static bool slots_in(const uint64_t *w, vaddr_t va, vaddr_t last, uint64_t map[4])
{
	bool all = true;
	map[0] = map[1] = map[2] = map[3] = 0;
	for (unsigned s = occupied(w, 0); s < H_PAGE_SLOTS; s = occupied(w, s + 1))
		if (slot_in(w, s, va, last))
			map[s / 64] |= 1ull << (s % 64);
		else
			all = false;
	return all;
}

/*
 * A range removal that covers a large part of the table: one sweep over
 * its pages instead of a probe per leaf. Only when the leaves based in
 * [va, last] are exactly the run of plain order-k leaves from va to last
 * (counted by a first pass: no hole, no other size, no side-table
 * record), so the front end's accounting of a run holds; va must be the
 * range's first leaf (first), so a refused sweep is not tried again for
 * every later run. A chain the range empties is unlinked from the
 * directory with one store and its pages freed after the commit's TLB
 * operation without a store into them; an emptied overflow page is
 * unlinked from its chain; other pages lose their slots one by one. A
 * hashed table has no subtree per VA range: this is the nearest it comes
 * to a radix table's "unlink a whole table". Returns the leaves removed,
 * 0 if it declined (nothing changed).
 */
static uint64_t sweep(mmu_transaction_t *ta, vaddr_t first, vaddr_t va, vaddr_t last,
                      unsigned order, vaddr_t *next, int *err)
{
	bool kernel = in_kernel_half(va);
	paddr_t dpa = dir_of(ta, kernel);
	const uint64_t *dir = view(ta, dpa);
	unsigned idx = native_index(order);
	uint64_t want = ((last - va) >> (H_PAGE_SHIFT + order)) + 1, total = 0, n = 0;
	for (unsigned i = 0; i < NNATIVE; i++)
		total += dir[DIR_COUNT0 + i];
	/* The sweep reads every page: worth it when the run is a quarter of
	 * the table or more, possible only if the table has that many. */
	if (va != first || dir[DIR_COUNT0 + idx] < want || want < total / 4 || want < H_PAGE_SLOTS)
		return 0;
	uint64_t want_tag = (uint64_t)order << TAG_ORDER_SHIFT | TAG_V;
	for (uint64_t i = 0; i < dir[DIR_D]; i++)
		for (paddr_t pa = dir[DIR_PAGE0 + i]; pa;) {
			const uint64_t *w = view(ta, pa);
			for (unsigned s = occupied(w, 0); s < H_PAGE_SLOTS; s = occupied(w, s + 1)) {
				if (!slot_in(w, s, va, last))
					continue;
				if ((w[tag_word(s)] & ~TAG_VA) != want_tag || (w[tag_word(s) + 1] & TR_SW))
					return 0;   /* another size, or a side-table record */
				n++;
			}
			pa = w[HDR_NEXT];
		}
	if (n != want)
		return 0;   /* a hole */
	for (uint64_t i = 0; i < dir[DIR_D] && !*err; i++) {
		paddr_t head = ((const uint64_t *)view(ta, dpa))[DIR_PAGE0 + i];
		uint64_t map[4];
		bool chain_empties = true;
		for (paddr_t pa = head; pa && chain_empties;) {
			const uint64_t *w = view(ta, pa);
			chain_empties = slots_in(w, va, last, map);
			pa = w[HDR_NEXT];
		}
		if (!head)
			continue;
		if (chain_empties) {   /* one store in the directory */
			struct txn_page *d = own(ta, dpa, kernel, err);
			int64_t pages = 0;
			if (!d || (*err = txn_store(ta, d, DIR_PAGE0 + i, 0)))
				break;
			for (paddr_t pa = head, nx; pa && !*err; pa = nx, pages++) {
				nx = ((const uint64_t *)view(ta, pa))[HDR_NEXT];
				*err = txn_free(ta, pa, kernel);
			}
			if (!*err)
				*err = dir_add(ta, kernel, DIR_PAGES, -pages);
			continue;
		}
		for (paddr_t prev = 0, pa = head, nx; pa && !*err; pa = nx) {
			const uint64_t *w = view(ta, pa);
			nx = w[HDR_NEXT];
			bool empties = slots_in(w, va, last, map);
			if (empties && prev) {   /* an overflow page: unlinked, freed */
				struct txn_page *pg = own(ta, prev, kernel, err);
				if (pg && !(*err = txn_store(ta, pg, HDR_NEXT, nx)) &&
				    !(*err = txn_free(ta, pa, kernel)))
					*err = dir_add(ta, kernel, DIR_PAGES, -1);
				continue;
			}
			struct txn_page *pg = (map[0] | map[1] | map[2] | map[3]) ? own(ta, pa, kernel, err) : NULL;
			for (unsigned m = 0; pg && m < 4 && !*err; m++)
				for (uint64_t bits = map[m]; bits && !*err; bits &= bits - 1)
					*err = put_slot(ta, pg, m * 64 + (unsigned)__builtin_ctzll(bits), 0, 0);
			prev = pa;
		}
	}
	if (!*err)
		*err = dir_add(ta, kernel, DIR_COUNT0 + idx, -(int64_t)n);
	*next = last + 1;
	return n;
}

static uint64_t hs_unmap_run(mmu_transaction_t *ta, vaddr_t first, vaddr_t va, vaddr_t last,
                             unsigned order, vaddr_t *next, int *err)
{
	uint64_t n = sweep(ta, first, va, last, order, next, err);
	return n ? n : run(ta, va, last, order, NULL, next, err);
}

static uint64_t hs_protect_run(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, unsigned order,
                               unsigned prot, vaddr_t *next, int *err)
{
	return run(ta, va, last, order, &prot, next, err);
}

/* Nothing is left to do: change() frees a page as soon as it is emptied,
 * so no table holds an empty page but the bucket page heading a chain
 * whose overflow pages still hold entries. */
static int hs_reclaim(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	return 0;
}

/* ---- commit ---- */

static bool is_dir(mmu_transaction_t *ta, paddr_t live)
{
	return live == mmu_mode_hashed.kernel_root || live == ta->set->root;
}

/* The slots [*lo, *hi] a private page's stores can have changed (txn
 * tracks the words stored into); false if none. */
static bool stored_slots(const struct txn_page *pg, unsigned *lo, unsigned *hi)
{
	if (pg->stored_lo > pg->stored_hi || pg->stored_hi < H_HDR_WORDS)
		return false;
	*lo = pg->stored_lo < H_HDR_WORDS ? 0 : (pg->stored_lo - H_HDR_WORDS) / 2;
	*hi = (pg->stored_hi - H_HDR_WORDS) / 2;
	return true;
}

/* Break: every live slot whose valid entry goes away or becomes another
 * leaf is invalidated before anything new appears (hs_after_publish). */
static void hs_publish(mmu_transaction_t *ta, struct txn_page *pg)
{
	uint64_t *live = mmu_env_phys_to_virt(pg->live);
	const uint64_t *priv = pg->ptr;
	unsigned lo, hi;
	if (is_dir(ta, pg->live) || !stored_slots(pg, &lo, &hi))
		return;
	for (unsigned s = lo; s <= hi; s++) {
		uint64_t old = live[tag_word(s)];
		if (old && old != priv[tag_word(s)])
			__atomic_store_n(&live[tag_word(s)], 0, __ATOMIC_RELEASE);
	}
}

/* Make: new translations, then their tags, then header words and links;
 * directories last. */
static void hs_after_publish(mmu_transaction_t *ta)
{
	mmu_env_publish_barrier();
	for (int dirs = 0; dirs < 2; dirs++)
		for (struct txn_page *pg = txn_pages(ta); pg; pg = pg->all) {
			if (!pg->live || pg->raw || is_dir(ta, pg->live) != dirs ||
			    pg->stored_lo > pg->stored_hi)
				continue;
			uint64_t *live = mmu_env_phys_to_virt(pg->live);
			const uint64_t *priv = pg->ptr;
			unsigned lo, hi;
			if (!dirs && stored_slots(pg, &lo, &hi))
				for (unsigned s = lo; s <= hi; s++) {
					unsigned t = tag_word(s);
					if (live[t + 1] != priv[t + 1])
						__atomic_store_n(&live[t + 1], priv[t + 1], __ATOMIC_RELEASE);
					if (live[t] != priv[t])
						__atomic_store_n(&live[t], priv[t], __ATOMIC_RELEASE);
				}
			/* Header (links last: word 0) or directory words. */
			unsigned end = dirs ? H_PAGE_BYTES / 8 : H_HDR_WORDS;
			if (end > pg->stored_hi + 1)
				end = pg->stored_hi + 1;
			for (unsigned i = end; i-- > pg->stored_lo;)
				if (live[i] != priv[i])
					__atomic_store_n(&live[i], priv[i], __ATOMIC_RELEASE);
		}
}

/* ---- tables ---- */

static void free_table(paddr_t dpa)
{
	if (!dpa)
		return;
	const uint64_t *dir = mmu_env_phys_to_virt(dpa);
	for (uint64_t i = 0; i < dir[DIR_D]; i++)
		for (paddr_t pa = dir[DIR_PAGE0 + i], next; pa; pa = next) {
			next = ((const uint64_t *)mmu_env_phys_to_virt(pa))[HDR_NEXT];
			mmu_env_free(pa, H_PAGE_SHIFT);
		}
	mmu_env_free(dpa, H_PAGE_SHIFT);
}

/* An empty table: its directory. Returns 0 or -ENOMEM. */
/* Bucket pages of the tables made from now on (D): tests shrink it to
 * one, 31 buckets, so that random work fills buckets and builds overflow
 * chains. */
static unsigned dir_pages = H_DIR_PAGES;

void mmu_host_set_hashed_pages(unsigned d)
{
	dir_pages = d >= 1 && d <= H_DIR_PAGES ? d : H_DIR_PAGES;
}

static int make_table(paddr_t *out)
{
	paddr_t dpa = mmu_env_alloc(H_PAGE_SHIFT);
	if (!dpa)
		return -ENOMEM;
	((uint64_t *)mmu_env_phys_to_virt(dpa))[DIR_D] = dir_pages;
	*out = dpa;
	return 0;
}

static int hs_kernel_init(void)
{
	return make_table(&mmu_mode_hashed.kernel_root);
}

static void hs_kernel_fini(void)
{
	free_table(mmu_mode_hashed.kernel_root);
	mmu_mode_hashed.kernel_root = 0;
}

static int hs_set_init(mmu_translation_set_t *t)
{
	int err = make_table(&t->root);
	if (!err)
		t->table_pages = 1;
	return err;
}

static void hs_set_fini(mmu_translation_set_t *t)
{
	free_table(t->root);
	t->root = 0;
}

/* ---- host introspection ---- */

static void hs_hwstate(mmu_translation_set_t *t, struct mmu_host_hwstate *out)
{
	out->arch = MMU_HOST_HASHED;
	out->va_bits = H_VA_BITS;
	out->page_shift = H_PAGE_SHIFT;
	out->levels = 1;
	out->root = t->root;
	out->kernel_root = mmu_mode_hashed.kernel_root;
	out->aux = ((const uint64_t *)mmu_env_phys_to_virt(t->root))[DIR_D] * H_BUCKETS;
}

/* Directory, then each present chain in directory order. */
static size_t snap_table(paddr_t dpa, char *buf, size_t max, size_t at)
{
	const uint64_t *dir = mmu_env_phys_to_virt(dpa);
	for (uint64_t i = 0; i <= dir[DIR_D]; i++)
		for (paddr_t pa = i ? dir[i] : dpa; pa;) {
			if (at + H_PAGE_BYTES <= max)
				memcpy(buf + at, mmu_env_phys_to_virt(pa), H_PAGE_BYTES);
			at += H_PAGE_BYTES;
			pa = i ? ((const uint64_t *)mmu_env_phys_to_virt(pa))[HDR_NEXT] : 0;
		}
	return at;
}

static size_t hs_snapshot(mmu_translation_set_t *t, void *buf, size_t max)
{
	size_t at = snap_table(t->root, buf, max, 0);
	return snap_table(mmu_mode_hashed.kernel_root, buf, max, at);
}

/* ---- the mode ---- */

static int hs_init(struct mmu_mode *m)
{
	m->geo = (struct mmu_geometry){
		.va_bits = H_VA_BITS, .page_shift = H_PAGE_SHIFT, .levels = 1,
		.native_orders = H_NATIVE, .max_order = H_MAX_ORDER,
	};
	m->user_top = 1ull << (H_VA_BITS - 1);
	m->kernel_base = -m->user_top;
	m->pa_bits = H_PA_BITS;
	return 0;
}

/* Every protection the front end accepts and every memory type. */
static bool hs_attr_ok(unsigned prot, unsigned memtype)
{
	return memtype <= MMU_MEM_UNCACHED;
}

static const struct mmu_backend backend_hashed = {
	.kernel_init = hs_kernel_init, .kernel_fini = hs_kernel_fini,
	.set_init = hs_set_init, .set_fini = hs_set_fini,
	.lookup = hs_lookup, .next = hs_next,
	.change = hs_change, .reclaim = hs_reclaim,
	.unmap_run = hs_unmap_run, .protect_run = hs_protect_run,
	.publish = hs_publish, .after_publish = hs_after_publish,
	.hwstate = hs_hwstate, .snapshot = hs_snapshot,
};

struct mmu_mode mmu_mode_hashed = {
	.name = "hashed",
	.host_arch = MMU_HOST_HASHED,
	.init = hs_init,
	.attr_ok = hs_attr_ok,
	.be = &backend_hashed,
};
