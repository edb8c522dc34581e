/*
 * The radix engine's shortcuts for the one-entry calls (included by
 * mmu/pt_engine.h, once per paging mode): mmu_add, mmu_find and mmu_remove
 * of one plain leaf, the page-fault path's calls. They use the same walker
 * (descend: the cursor's table when it covers the address, else a walk
 * from the root) and the same deferred stores, and take only the cases
 * that need no allocation, no side-table record and no reclaim: anything
 * else returns MMU_FAST_MISS having changed nothing, and the general path
 * (eng_change, eng_lookup, eng_reclaim) does the call. The front end
 * (mmu/mmu.c, "fast paths") keeps the statistics and the flush range.
 */

/* The output address field of a leaf: the fast paths cache the rest of
 * the descriptor (pt_format.h, pt_leaf_oa). Formats that do not say it
 * get it from pt_mk_leaf, which folds to the same with constant
 * attributes. */
static inline pt_entry_t leaf_oa(paddr_t pa, unsigned l)
{
#ifdef pt_leaf_oa
	return pt_leaf_oa(pa, l);
#else
	static const struct pt_attr a0 = { .prot = MMU_READ };
	return pt_mk_leaf(&a0, pa, l, false) ^ pt_mk_leaf(&a0, 0, l, false);
#endif
}

/* The level of a native order without a contiguous group; PT_LEVELS if
 * the order is not one. */
static inline unsigned plain_level(unsigned order)
{
	unsigned l = order / PT_INDEX_BITS;
	return l < PT_LEVELS && order == l * PT_INDEX_BITS && pt_leaf_ok(l) ? l : PT_LEVELS;
}

static uint64_t eng_leaf_bits(const struct pt_attr *a, unsigned order)
{
	unsigned l = plain_level(order);
	return l == PT_LEVELS ? 0 : pt_mk_leaf(a, 0, l, false);
}

/* Slot i of t as the transaction sees it. A private table holds no
 * deferred store (stores are deferred only into live tables, and they
 * move into copies before any live table becomes private: txn_own), so
 * its contents are the answer. */
static inline pt_entry_t slot_read(const mmu_transaction_t *ta, const struct table *t, size_t i)
{
	return t->pg ? t->view[i] : rd(ta, t->view, i);
}

/* Store v into slot i of t without allocating and without a journal entry:
 * the call cannot fail after it (the front end checked everything that
 * could), so nothing needs undoing. A private table takes it directly; a
 * live one defers it (txn_defer). false: neither is possible. */
static inline void store_private(struct txn_page *pg, size_t i, pt_entry_t v)
{
	((pt_entry_t *)pg->ptr)[i] = v;
	pg->whole_count = 0;
	if (i < pg->stored_lo)
		pg->stored_lo = (uint32_t)i;
	if (i > pg->stored_hi)
		pg->stored_hi = (uint32_t)i;
}

static bool store_one(mmu_transaction_t *ta, struct table *t, size_t i, pt_entry_t v)
{
	if (t->pg) {
		store_private(t->pg, i, v);
		return true;
	}
	struct txn_def d = { (uint64_t *)&t->view[i], v, t->pa, t->va, (uint16_t)i,
	                     (uint8_t)t->level, t->kernel };
	return txn_defer(ta, &d);
}

/* Whether the cursor's table is at level l and holds va's slot: the
 * common case of sequential calls, taken without a walk. */
static inline bool at_cursor(const mmu_transaction_t *ta, vaddr_t va, unsigned l)
{
	return ta->walk.view && ta->walk.level == l && l != PT_TOP && va >= ta->walk.first &&
	       va <= ta->walk.last && txn_gen_ok(ta, ta->walk.gen, ta->walk.sgen, ta->walk.kgen);
}

/* Slot i of the cursor's table (at_cursor), read as slot_read does. */
static inline pt_entry_t cursor_read(const mmu_transaction_t *ta, size_t i)
{
	const pt_entry_t *view = ta->walk.view;
	return ta->walk.pg ? view[i] : rd(ta, view, i);
}

static void cursor_table(mmu_transaction_t *ta, vaddr_t va, struct table *t)
{
	*t = (struct table){ .pa = ta->walk.pa, .pg = ta->walk.pg, .view = ta->walk.view,
	                     .va = ta->walk.first, .gen = ta->gen, .level = ta->walk.level,
	                     .kernel = in_kernel_half(va), .cursor = true };
}

/* The table that holds va's slot at level l, or false. */
static bool table_for(mmu_transaction_t *ta, vaddr_t va, unsigned l, struct table *t)
{
	if (at_cursor(ta, va, l)) {
		cursor_table(ta, va, t);
		return true;
	}
	if (l == 0 && set_cursor(ta, va, t))
		return true;
	descend(ta, va, l, t);
	return t->level == l;
}

static void keep_cursor(mmu_transaction_t *ta, const struct table *t, vaddr_t va)
{
	if (!t->cursor)
		remember(ta, t, va);
}

static int eng_add_one(mmu_transaction_t *ta, vaddr_t va, paddr_t pa, uint64_t bits,
                       unsigned order)
{
	unsigned l = plain_level(order);
	size_t i = lvl_index(va, l);
	if (ta->walk.pg && at_cursor(ta, va, l)) {   /* a private table: store in place */
		if (pt_kind(((const pt_entry_t *)ta->walk.view)[i], l) != PT_ABSENT)
			return MMU_FAST_MISS;
		store_private(ta->walk.pg, i, bits | leaf_oa(pa, l));
		return 0;
	}
	struct table t;
	if (!table_for(ta, va, l, &t))
		return MMU_FAST_MISS;   /* a table to create: the general path */
	if (pt_kind(slot_read(ta, &t, i), l) != PT_ABSENT)
		return MMU_FAST_MISS;   /* -EEXIST, or empty tables to replace */
	if (!store_one(ta, &t, i, bits | leaf_oa(pa, l)))
		return MMU_FAST_MISS;
	keep_cursor(ta, &t, va);
	return 0;
}

static int eng_find_one(mmu_transaction_t *ta, vaddr_t va, mmu_entry_t *out, vaddr_t *base)
{
	struct table t = { .cursor = true };
	unsigned l = ta->walk.level;
	pt_entry_t e = 0;
	enum pt_kind k = PT_TABLE;
	if (at_cursor(ta, va, l))
		k = pt_kind(e = cursor_read(ta, lvl_index(va, l)), l);
	if (k == PT_TABLE) {   /* no cursor, or va's leaf is further down */
		if (!set_cursor(ta, va, &t))
			descend(ta, va, 0, &t);
		l = t.level;
		k = pt_kind(e = slot_read(ta, &t, lvl_index(va, l)), l);
	}
	if (k == PT_ABSENT)
		return -ENOENT;
	if (k != PT_LEAF || pt_leaf_contig(e, l))
		return MMU_FAST_MISS;   /* eng_lookup says what is wrong, or reads the group */
	paddr_t pa = pt_leaf_pa(e, l, va);
	/* The same descriptor bits as the last leaf read (a run of pages
	 * mapped alike): the same entry fields, without decoding them. */
	uint64_t key = e ^ leaf_oa(pa, l);
	struct txn_fast *f = &ta->fast;
	if (key != f->find_key || l != f->find_level || !f->find_word) {
		struct pt_attr a;
		pt_leaf_attr(e, l, &a);
		if (a.annotated)
			return MMU_FAST_MISS;   /* the side table holds the entry */
		f->find_word = mmu_entry_key_of_leaf(&a, l * PT_INDEX_BITS);
		f->find_key = key;
		f->find_level = l;
	}
	*out = mmu_entry_with_key(pa, f->find_word);
	*base = va & ~(lvl_bytes(l) - 1);
	keep_cursor(ta, &t, va);
	return 0;
}

/* only_slot of a private table, read straight: the last removal of a run
 * in the call window reads it whole. Out of line: the one-page path
 * (a live table, its next slot full) does not pay for it. */
static __attribute__((noinline)) bool only_slot_private(const pt_entry_t *v, size_t n, size_t i,
                                                        unsigned l)
{
	for (size_t k = 1; k < n; k++)
		if (pt_kind(v[(i + k) & (n - 1)], l) != PT_ABSENT)
			return false;
	return true;
}

/* Whether slot i is the only one of t that holds anything. Looks right
 * past i first: removing pages in order, the next one is there. */
static bool only_slot(mmu_transaction_t *ta, struct table *t, size_t i)
{
	size_t n = lvl_entries(t->level);
	if (pt_kind(slot_read(ta, t, (i + 1) & (n - 1)), t->level) != PT_ABSENT)
		return false;
	if (t->pg)
		return only_slot_private(t->view, n, i, t->level);
	for (size_t k = 2; k < n; k++)
		if (pt_kind(slot_read(ta, t, (i + k) & (n - 1)), t->level) != PT_ABSENT)
			return false;
	return true;
}

static int eng_remove_one(mmu_transaction_t *ta, vaddr_t va, unsigned order)
{
	unsigned l = plain_level(order);
	struct table t;
	if (l == PT_LEVELS || l == PT_TOP || !table_for(ta, va, l, &t))
		return MMU_FAST_MISS;
	size_t i = lvl_index(va, l);
	pt_entry_t e = slot_read(ta, &t, i);
	struct pt_attr a;
	if (pt_kind(e, l) != PT_LEAF || pt_leaf_contig(e, l))
		return MMU_FAST_MISS;
	pt_leaf_attr(e, l, &a);
	/* A table left empty is reclaimed (eng_reclaim): the general path. */
	if (a.annotated || only_slot(ta, &t, i) || !store_one(ta, &t, i, 0))
		return MMU_FAST_MISS;
	keep_cursor(ta, &t, va);
	return 0;
}

/* The call window over the cursor's table (mmu/mmu.c, "the call window"):
 * a leaf table of base pages in the user half whose stripe ta holds, read
 * without deferred stores. */
static bool eng_window(mmu_transaction_t *ta, struct mmu_window_ *w, struct txn_page **pg)
{
	if (THIS_MODE.win_oa_shift < 0 || !ta->walk.view || ta->walk.level != 0 ||
	    in_kernel_half(ta->walk.first) || (!ta->walk.pg && ta->def.n) ||
	    !txn_gen_ok(ta, ta->walk.gen, ta->walk.sgen, ta->walk.kgen) ||
	    !lock_holds(ta, ta->walk.first, ta->walk.last))
		return false;
	w->slots = ta->walk.view;
	w->base = ta->walk.first;
	w->find_off = ~(ta->walk.last - ta->walk.first);
	w->add_off = w->find_off | (lvl_bytes(0) - 1);
	w->attr_mask = ~THIS_MODE.win_oa_mask;
	w->page_mask = ~(lvl_bytes(0) - 1);
	w->oa_shift = (uint8_t)THIS_MODE.win_oa_shift;
	*pg = ta->walk.pg;
	return true;
}
