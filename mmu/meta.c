/*
 * The side table (meta.h): a hash of base va -> record in table-sized
 * pages. Root page: word 0 counts live records, words 1..META_BUCKETS
 * hold the buckets' first pages. Bucket page: word 0 chains to the next page of the bucket, then
 * (key, record) pairs; a record is never 0 (META_USED), so 0 marks a free
 * pair. Emptied, the whole table is freed, so a set that no longer has
 * annotated entries holds no side pages.
 */
#include <string.h>
#include "meta.h"

static size_t words(void)
{
	return ((size_t)1 << txn_page_shift()) / sizeof(uint64_t);
}

static paddr_t root_of(mmu_transaction_t *ta, int half)
{
	struct mmu_txn_state *st = ta->st;
	if (st && st->meta_valid[half])
		return st->meta_root[half];
	return half ? mmu_cur->kernel_meta : ta->set->meta;
}

/* Few buckets, each a chain of pages of (key, record) pairs: a page per
 * bucket holds hundreds of records, and annotated entries are few, so a
 * table costs a couple of pages, not one per record. */
#define META_BUCKETS 8

static size_t bucket_of(vaddr_t va)
{
	return 1 + (size_t)((va >> 12) * 0x9E3779B97F4A7C15ull >> 40) % META_BUCKETS;
}

/* Where va's record is: page and word index; false if absent. */
static bool locate(mmu_transaction_t *ta, int half, vaddr_t va, paddr_t *page, size_t *slot)
{
	paddr_t root = root_of(ta, half);
	if (!root)
		return false;
	for (paddr_t pa = ((uint64_t *)txn_view(ta, root))[bucket_of(va)]; pa;) {
		const uint64_t *w = txn_view(ta, pa);
		for (size_t i = 1; i + 1 < words(); i += 2)
			if (w[i + 1] && w[i] == va) {
				*page = pa;
				*slot = i;
				return true;
			}
		pa = w[0];
	}
	return false;
}

uint64_t meta_get(mmu_transaction_t *ta, int half, vaddr_t va)
{
	paddr_t page;
	size_t slot;
	if (!locate(ta, half, va, &page, &slot))
		return 0;
	return ((uint64_t *)txn_view(ta, page))[slot + 1];
}

static struct txn_page *new_page(mmu_transaction_t *ta, int half, int *err)
{
	struct txn_page *pg = txn_new(ta, half, err);
	if (pg)
		pg->raw = true;
	return pg;
}

static struct txn_page *own(mmu_transaction_t *ta, paddr_t pa, int *err)
{
	struct txn_page *pg = txn_own(ta, pa, err);
	if (pg)
		pg->raw = true;
	return pg;
}

static int set_root(mmu_transaction_t *ta, int half, paddr_t root)
{
	struct mmu_txn_state *st = ta->st;
	int err = txn_store_word(ta, &st->meta_root[half], root);
	return err ? err : txn_store_word(ta, &st->meta_valid[half], 1);
}

static int add_count(mmu_transaction_t *ta, int half, int64_t delta, uint64_t *now)
{
	int err = 0;
	struct txn_page *r = own(ta, root_of(ta, half), &err);
	if (!r)
		return err;
	*now = ((uint64_t *)r->ptr)[0] + (uint64_t)delta;
	return txn_store(ta, r, 0, *now);
}

int meta_set(mmu_transaction_t *ta, int half, vaddr_t va, uint64_t val)
{
	int err = 0;
	paddr_t page;
	size_t slot;
	if (locate(ta, half, va, &page, &slot)) {
		struct txn_page *pg = own(ta, page, &err);
		return pg ? txn_store(ta, pg, slot + 1, val) : err;
	}
	if (!root_of(ta, half)) {
		struct txn_page *r = new_page(ta, half, &err);
		if (!r || (err = set_root(ta, half, r->pa)))
			return err;
	}
	/* First free pair along the bucket's chain, else a new page at its end. */
	struct txn_page *pg = own(ta, root_of(ta, half), &err);
	size_t link = bucket_of(va);
	while (pg) {
		paddr_t pa = ((uint64_t *)pg->ptr)[link];
		if (!pa) {
			struct txn_page *fresh = new_page(ta, half, &err);
			if (!fresh || (err = txn_store(ta, pg, link, fresh->pa)))
				return err;
			pg = fresh;
		} else {
			pg = own(ta, pa, &err);
			if (!pg)
				return err;
		}
		const uint64_t *w = pg->ptr;
		for (size_t i = 1; i + 1 < words(); i += 2)
			if (!w[i + 1]) {
				uint64_t n;
				if ((err = txn_store(ta, pg, i, va)) ||
				    (err = txn_store(ta, pg, i + 1, val)))
					return err;
				return add_count(ta, half, +1, &n);
			}
		link = 0;
	}
	return err;
}

/* Free every page of a table (through the transaction). */
static int free_all(mmu_transaction_t *ta, int half, paddr_t root)
{
	const uint64_t *r = txn_view(ta, root);
	int err = 0;
	for (size_t b = 1; !err && b <= META_BUCKETS; b++)
		for (paddr_t pa = r[b]; !err && pa; pa = ((uint64_t *)txn_view(ta, pa))[0])
			err = txn_free(ta, pa, half);
	if (!err)
		err = txn_free(ta, root, half);
	return err ? err : set_root(ta, half, 0);
}

int meta_del(mmu_transaction_t *ta, int half, vaddr_t va)
{
	int err = 0;
	paddr_t page;
	size_t slot;
	uint64_t left;
	if (!locate(ta, half, va, &page, &slot))
		panic_mmu("side table: no record for the entry at %#llx", (unsigned long long)va);
	struct txn_page *pg = own(ta, page, &err);
	if (!pg || (err = txn_store(ta, pg, slot, 0)) || (err = txn_store(ta, pg, slot + 1, 0)))
		return err;
	if ((err = add_count(ta, half, -1, &left)))
		return err;
	return left ? 0 : free_all(ta, half, root_of(ta, half));
}

void meta_fini(paddr_t *root)
{
	if (!*root)
		return;
	const uint64_t *r = mmu_env_phys_to_virt(*root);
	for (size_t b = 1; b <= META_BUCKETS; b++)
		for (paddr_t pa = r[b], next; pa; pa = next) {
			next = ((uint64_t *)mmu_env_phys_to_virt(pa))[0];
			mmu_env_free(pa, txn_page_shift());
		}
	mmu_env_free(*root, txn_page_shift());
	*root = 0;
}

/* Append every page of a committed side table to buf (host snapshots). */
size_t meta_snapshot(paddr_t root, void *buf, size_t max, size_t at)
{
	size_t bytes = (size_t)1 << txn_page_shift();
	if (!root)
		return at;
	const uint64_t *r = mmu_env_phys_to_virt(root);
	if (at + bytes <= max)
		memcpy((char *)buf + at, r, bytes);
	at += bytes;
	for (size_t b = 1; b <= META_BUCKETS; b++)
		for (paddr_t pa = r[b]; pa; pa = ((uint64_t *)mmu_env_phys_to_virt(pa))[0]) {
			if (at + bytes <= max)
				memcpy((char *)buf + at, mmu_env_phys_to_virt(pa), bytes);
			at += bytes;
		}
	return at;
}
