/*
 * The side table (meta.h): base va -> record, as a radix tree of
 * table-sized pages indexed by va >> page_shift, like a page table with
 * page_shift - 3 index bits per level. Lookups and inserts cost one walk
 * however many records there are (splitting a counted 1 GiB entry into
 * 262,144 pieces stays linear). The root indexes fewer bits than a page
 * holds; its last word counts live records, and when that falls to zero
 * the whole tree is freed, so a set without annotated entries holds no
 * side pages. The first records go inline (struct mmu_meta) before the
 * tree is grown: mapping a range with the largest pages that fit leaves a
 * composed entry or two at most per range, and on a 64 KiB granule each
 * tree page is 64 KiB, four of them for one record (a key of 64 bits at 13
 * bits a level). A record lives in one place only: inline or in the tree.
 */
#include <string.h>
#include "meta.h"
#include "lock.h"

static unsigned index_bits(void) { return txn_page_shift() - 3; }

/* Levels below the root; the root takes the remaining high bits of the
 * key, always fewer than a page's worth, which leaves room for the count. */
static unsigned meta_depth(void)
{
	return (64 - txn_page_shift()) / index_bits();
}

static size_t count_slot(void) { return ((size_t)1 << index_bits()) - 1; }

static size_t slot_of(vaddr_t va, unsigned level)
{
	uint64_t key = va >> txn_page_shift();
	uint64_t idx = key >> (level * index_bits());
	return (size_t)(level == meta_depth() ? idx : idx & (((uint64_t)1 << index_bits()) - 1));
}

static struct mmu_meta *committed(mmu_transaction_t *ta, int half)
{
	return half ? &mmu_cur->kernel_meta : &ta->set->meta;
}

/* The half's side table as this transaction sees it. */
static const struct mmu_meta *view(mmu_transaction_t *ta, int half)
{
	struct mmu_txn_state *st = ta->st;
	if (st && st->meta_valid[half])
		return &st->meta[half];
	return committed(ta, half);
}

/* The committed words are read by lockless mmu_find while a commit
 * publishes new ones (meta_publish): mmu_load_word. */
static paddr_t root_of(mmu_transaction_t *ta, int half)
{
	return mmu_load_word(&view(ta, half)->root);
}

void meta_publish(struct mmu_meta *live, const struct mmu_meta *pending)
{
	__atomic_store_n(&live->root, pending->root, __ATOMIC_RELAXED);
	for (int i = 0; i < MMU_META_INLINE; i++) {
		__atomic_store_n(&live->va[i], pending->va[i], __ATOMIC_RELAXED);
		__atomic_store_n(&live->val[i], pending->val[i], __ATOMIC_RELAXED);
	}
}

/* The pending copy, published at commit (mmu_commit); its words change
 * through txn_store_word so a failed call's changes are undone. The copy
 * itself needs no journal: while meta_valid is unset nothing reads it. */
static struct mmu_meta *pending(mmu_transaction_t *ta, int half, int *err)
{
	if ((*err = txn_need_state(ta)))
		return NULL;
	struct mmu_txn_state *st = ta->st;
	if (!st->meta_valid[half]) {
		st->meta[half] = *committed(ta, half);
		if ((*err = txn_store_word(ta, &st->meta_valid[half], 1)))
			return NULL;
	}
	return &st->meta[half];
}

/* Inline slot holding va's record, -1 if none. */
static int inline_slot(const struct mmu_meta *m, vaddr_t va)
{
	for (int i = 0; i < MMU_META_INLINE; i++)
		if (mmu_load_word(&m->val[i]) && mmu_load_word(&m->va[i]) == va)
			return i;
	return -1;
}

static int free_inline_slot(const struct mmu_meta *m)
{
	for (int i = 0; i < MMU_META_INLINE; i++)
		if (!m->val[i])
			return i;
	return -1;
}

/* Store an inline slot's record (0 frees the slot, its va cleared too so
 * an emptied table reads as a fresh one, bit for bit). */
static int store_inline(mmu_transaction_t *ta, int half, int i, vaddr_t va, uint64_t val)
{
	int err;
	struct mmu_meta *m = pending(ta, half, &err);
	if (!m || (err = txn_store_word(ta, &m->va[i], val ? va : 0)))
		return err;
	return txn_store_word(ta, &m->val[i], val);
}

static uint64_t tree_get(mmu_transaction_t *ta, int half, vaddr_t va)
{
	paddr_t pa = root_of(ta, half);
	for (unsigned l = meta_depth(); pa; l--) {
		uint64_t w = mmu_load_word(&((const uint64_t *)txn_view(ta, pa))[slot_of(va, l)]);
		if (l == 0)
			return w;
		pa = w;
	}
	return 0;
}

uint64_t meta_get(mmu_transaction_t *ta, int half, vaddr_t va)
{
	const struct mmu_meta *m = view(ta, half);
	int i = inline_slot(m, va);
	return i >= 0 ? mmu_load_word(&m->val[i]) : tree_get(ta, half, va);
}

static struct txn_page *own(mmu_transaction_t *ta, paddr_t pa, int *err)
{
	struct txn_page *pg = txn_own(ta, pa, err);
	if (pg)
		pg->raw = true;
	return pg;
}

static struct txn_page *new_page(mmu_transaction_t *ta, int half, int *err)
{
	struct txn_page *pg = txn_new(ta, half, err);
	if (pg)
		pg->raw = true;
	return pg;
}

static int set_root(mmu_transaction_t *ta, int half, paddr_t root)
{
	int err;
	struct mmu_meta *m = pending(ta, half, &err);
	return m ? txn_store_word(ta, &m->root, root) : err;
}

static int add_count(mmu_transaction_t *ta, int half, int64_t delta, uint64_t *now)
{
	int err = 0;
	struct txn_page *r = own(ta, root_of(ta, half), &err);
	if (!r)
		return err;
	*now = ((uint64_t *)r->ptr)[count_slot()] + (uint64_t)delta;
	return txn_store(ta, r, count_slot(), *now);
}

/* The leaf page holding va's slot, made private; tables created on the
 * way when create is set. NULL with *err = 0 when absent and !create. */
static struct txn_page *leaf_page(mmu_transaction_t *ta, int half, vaddr_t va, bool create,
                                  int *err)
{
	paddr_t pa = root_of(ta, half);
	if (!pa) {
		if (!create)
			return NULL;
		struct txn_page *r = new_page(ta, half, err);
		if (!r || (*err = set_root(ta, half, r->pa)))
			return NULL;
		pa = r->pa;
	}
	for (unsigned l = meta_depth(); l > 0; l--) {
		size_t i = slot_of(va, l);
		paddr_t child = ((const uint64_t *)txn_view(ta, pa))[i];
		if (!child) {
			if (!create)
				return NULL;
			struct txn_page *pg = own(ta, pa, err), *fresh;
			if (!pg || !(fresh = new_page(ta, half, err)) ||
			    (*err = txn_store(ta, pg, i, fresh->pa)))
				return NULL;
			child = fresh->pa;
		}
		pa = child;
	}
	return own(ta, pa, err);
}

/* The side table's pages hold records of every region: changing them takes
 * the set as a whole (mmu/lock.h); the kernel half is claimed whole anyway. */
static int lock_side_table(mmu_transaction_t *ta, int half)
{
	return half ? 0 : lock_whole(ta);
}

int meta_set(mmu_transaction_t *ta, int half, vaddr_t va, uint64_t val)
{
	int err = lock_side_table(ta, half);
	uint64_t n;
	if (err)
		return err;
	const struct mmu_meta *m = view(ta, half);
	int slot = inline_slot(m, va);
	if (slot < 0 && !tree_get(ta, half, va))
		slot = free_inline_slot(m);
	if (slot >= 0)
		return store_inline(ta, half, slot, va, val);
	struct txn_page *pg = leaf_page(ta, half, va, true, &err);
	if (!pg)
		return err;
	size_t i = slot_of(va, 0);
	bool fresh = !((uint64_t *)pg->ptr)[i];
	if ((err = txn_store(ta, pg, i, val)))
		return err;
	return fresh ? add_count(ta, half, +1, &n) : 0;
}

/* Free a subtree through the transaction. */
static int free_tree(mmu_transaction_t *ta, int half, paddr_t pa, unsigned l)
{
	const uint64_t *w = txn_view(ta, pa);
	size_t n = l == meta_depth() ? count_slot() : (size_t)1 << index_bits();
	for (size_t i = l ? mmu_next_nonzero(w, 0, n) : n; i < n; i = mmu_next_nonzero(w, i + 1, n)) {
		int err = free_tree(ta, half, w[i], l - 1);
		if (err)
			return err;
	}
	return txn_free(ta, pa, half);
}

int meta_del(mmu_transaction_t *ta, int half, vaddr_t va)
{
	int err = lock_side_table(ta, half);
	uint64_t left;
	if (err)
		return err;
	int slot = inline_slot(view(ta, half), va);
	if (slot >= 0)
		return store_inline(ta, half, slot, va, 0);
	struct txn_page *pg = leaf_page(ta, half, va, false, &err);
	size_t i = slot_of(va, 0);
	if (!pg && !err)
		panic_mmu("side table: no record for the entry at %#llx", (unsigned long long)va);
	if (!pg)
		return err;
	if (!((uint64_t *)pg->ptr)[i])
		panic_mmu("side table: no record for the entry at %#llx", (unsigned long long)va);
	if ((err = txn_store(ta, pg, i, 0)) || (err = add_count(ta, half, -1, &left)))
		return err;
	if (left)
		return 0;
	err = free_tree(ta, half, root_of(ta, half), meta_depth());
	return err ? err : set_root(ta, half, 0);
}

/* ---- committed tables, no transaction ---- */

static size_t walk_committed(paddr_t pa, unsigned l, bool free_it, void *buf, size_t max,
                             size_t at)
{
	size_t bytes = (size_t)1 << txn_page_shift();
	const uint64_t *w = mmu_env_phys_to_virt(pa);
	if (!free_it && at + bytes <= max)
		memcpy((char *)buf + at, w, bytes);
	at += bytes;
	size_t n = l == meta_depth() ? count_slot() : (size_t)1 << index_bits();
	for (size_t i = l ? mmu_next_nonzero(w, 0, n) : n; i < n; i = mmu_next_nonzero(w, i + 1, n))
		at = walk_committed(w[i], l - 1, free_it, buf, max, at);
	if (free_it)
		mmu_env_free(pa, txn_page_shift());
	return at;
}

size_t meta_snapshot(const struct mmu_meta *m, void *buf, size_t max, size_t at)
{
	size_t inl = sizeof(m->va) + sizeof(m->val);
	if (at + inl <= max) {
		memcpy((char *)buf + at, m->va, sizeof(m->va));
		memcpy((char *)buf + at + sizeof(m->va), m->val, sizeof(m->val));
	}
	at += inl;
	return m->root ? walk_committed(m->root, meta_depth(), false, buf, max, at) : at;
}

void meta_fini(struct mmu_meta *m)
{
	if (m->root)
		walk_committed(m->root, meta_depth(), true, NULL, 0, 0);
	memset(m, 0, sizeof(*m));
}
