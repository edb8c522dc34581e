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

/* The level of a native order that is a contiguous group (Arm ARM D8.6.1,
 * "The Contiguous bit"), its log2 of slots in *lg2; PT_LEVELS if none. */
static inline unsigned group_level(unsigned order, unsigned *lg2)
{
	for (unsigned l = 0; l < PT_LEVELS; l++) {
		*lg2 = pt_contig_lg2(l);
		if (*lg2 && order == l * PT_INDEX_BITS + *lg2)
			return l;
	}
	return PT_LEVELS;
}

static uint64_t eng_leaf_bits(const struct pt_attr *a, unsigned order)
{
	unsigned l = plain_level(order), lg2;
	if (l != PT_LEVELS)
		return pt_mk_leaf(a, 0, l, false);
	l = group_level(order, &lg2);
	return l == PT_LEVELS ? 0 : pt_mk_leaf(a, 0, l, true);
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
	run_stored(pg, i, i);
}

static PT_HOT bool store_one(mmu_transaction_t *ta, struct table *t, size_t i, pt_entry_t v)
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
static PT_HOT bool table_for(mmu_transaction_t *ta, vaddr_t va, unsigned l, struct table *t)
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

/*
 * A contiguous group (2M of 16K or 64K pages, 64K of 4K pages...) into a
 * private table: its 2^lg2 slots checked empty and written as one run,
 * each member its own output address (Arm ARM D8.6.1: the descriptor
 * built once and advanced by the group's page size) or all alike
 * (Svnapot, pt_contig_same). A live table takes a group only
 * whole at commit (table_store, eng_publish): the general path copies it.
 */
static int eng_add_group(mmu_transaction_t *ta, vaddr_t va, paddr_t pa, uint64_t bits,
                         unsigned l, unsigned lg2)
{
	size_t n = (size_t)1 << lg2, i = lvl_index(va, l);
	struct table t;
	_Static_assert(PT_INDEX_BITS >= 2, "a group is a multiple of four slots");
	if (n < 4)
		return MMU_FAST_MISS;
	if (!table_for(ta, va, l, &t) || !t.pg)
		return MMU_FAST_MISS;   /* a table to create or copy: the general path */
	pt_entry_t *w = (pt_entry_t *)t.view + i;
	if (mmu_next_nonzero(w, 0, n) < n)   /* empty slots are 0 */
		return MMU_FAST_MISS;   /* -EEXIST, or empty tables to replace */
	uint64_t step = lvl_bytes(l);
	pt_entry_t d = bits | leaf_oa(pa, l), inc = (bits | leaf_oa(pa + step, l)) - d;
	if (pt_contig_same())
		inc = 0;   /* every member the first (pt_format.h) */
	if (pt_contig_same() || (bits | leaf_oa(pa + (n - 1) * step, l)) == d + (n - 1) * inc)
		for (size_t k = 0; k < n; k += 4, d += 4 * inc) {
			w[k] = d, w[k + 1] = d + inc;
			w[k + 2] = d + 2 * inc, w[k + 3] = d + 3 * inc;
		}
	else   /* an address field that is not linear (64K pages, 52-bit OA) */
		for (size_t k = 0; k < n; k++)
			w[k] = bits | leaf_oa(pa + k * step, l);
	uint32_t was = t.pg->whole_count;
	run_stored(t.pg, i, i + n - 1);
	/* Group members into empty slots; no journal to undo them (the call
	 * cannot fail after its stores), so a count kept stays exact. */
	cnt_filled(t.pg, was, n, true);
	keep_cursor(ta, &t, va);
	return 0;
}

static int eng_add_one(mmu_transaction_t *ta, vaddr_t va, paddr_t pa, uint64_t bits,
                       unsigned order)
{
	unsigned l = plain_level(order), lg2;
	if (l == PT_LEVELS && (l = group_level(order, &lg2)) != PT_LEVELS)
		return eng_add_group(ta, va, pa, bits, l, lg2);
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

/* The entry fields of a plain leaf whose descriptor without its output
 * address is key, at level l, as the last transaction of the mode that
 * decoded one found them (mmu_mode.found): a one-page transaction finds a
 * page mapped like the last one without decoding it. A pure function of
 * the bits, so any transaction's answer is right for every other; read
 * lockless under a sequence count, written by a caller that wins it, as
 * mmu_add's entry checks are (mmu.c, "entry checks"). */
static bool found_get(struct txn_fast *f, uint64_t key, unsigned l)
{
	uint64_t s = seqc_read_begin(&THIS_MODE.found.seq);
	uint64_t k = __atomic_load_n(&THIS_MODE.found.key, __ATOMIC_RELAXED);
	uint64_t w = __atomic_load_n(&THIS_MODE.found.word, __ATOMIC_RELAXED);
	uint64_t fl = __atomic_load_n(&THIS_MODE.found.level, __ATOMIC_RELAXED);
	if (k != key || fl != l || !w || !seqc_read_ok(&THIS_MODE.found.seq, s))
		return false;
	f->find_key = key;
	f->find_word = w;
	f->find_level = l;
	return true;
}

static void found_put(const struct txn_fast *f)
{
	uint64_t s;
	if (!seqc_write_begin(&THIS_MODE.found.seq, &s))
		return;
	__atomic_store_n(&THIS_MODE.found.key, f->find_key, __ATOMIC_RELAXED);
	__atomic_store_n(&THIS_MODE.found.word, f->find_word, __ATOMIC_RELAXED);
	__atomic_store_n(&THIS_MODE.found.level, f->find_level, __ATOMIC_RELAXED);
	seqc_write_end(&THIS_MODE.found.seq, s);
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
	if ((key != f->find_key || l != f->find_level || !f->find_word) && !found_get(f, key, l)) {
		struct pt_attr a;
		pt_leaf_attr(e, l, &a);
		if (a.annotated)
			return MMU_FAST_MISS;   /* the side table holds the entry */
		f->find_word = mmu_entry_key_of_leaf(&a, l * PT_INDEX_BITS);
		f->find_key = key;
		f->find_level = l;
		found_put(f);
	}
	*out = mmu_entry_with_key(pa, f->find_word);
	*base = va & ~(lvl_bytes(l) - 1);
	keep_cursor(ta, &t, va);
	return 0;
}

/* Whether slot i is the only one of t that holds anything. Looks right
 * past i first: removing pages in order, the next one is there. A table
 * read directly (direct_reads) is tested eight words at a time: an empty
 * slot is a zero word (mmu_next_nonzero), and the last removal of a run
 * reads the whole table. */
static bool only_slot(mmu_transaction_t *ta, struct table *t, size_t i)
{
	size_t n = lvl_entries(t->level);
	/* direct_reads, inline: t is fresh (table_for), and a one-page
	 * transaction has no deferred store yet. */
	if (t->pg || !ta->def.n || !txn_def_in_page(ta, t->pa))
		return mmu_next_nonzero(t->view, i + 1, n) == n && mmu_next_nonzero(t->view, 0, i) == i;
	for (size_t k = 1; k < n; k++)
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

/* A table born in the transaction keeps its count known through the
 * window's adds (txn_page.whole_count: commit need not scan it,
 * count_born): the unit one inline add of a base-page leaf with
 * descriptor bits `bits` adds to it, after making pg's count known if it is not yet and
 * the words stored so far are few (the window opens after the first
 * store into a new table: one word). 0: unknown, the window's stores
 * clear it (win_fold). The adds are never undone alone (nothing inline
 * fails after its store, and forget drops the page), as eng_add_group's. */
#define WIN_RECOUNT_MAX 8

static uint32_t win_count(struct txn_page *pg, uint64_t bits)
{
	if (!pg || pg->live || pg->raw || !bits)
		return 0;
	if (!(pg->whole_count & CNT_KNOWN)) {
		if (pg->stored_lo <= pg->stored_hi && pg->stored_hi - pg->stored_lo >= WIN_RECOUNT_MAX)
			return 0;
		cnt_set(pg, 0, false);
		if (pg->stored_lo <= pg->stored_hi)
			pg->whole_count |= cnt_scan(pg->ptr, 0, pg->stored_lo, pg->stored_hi);
	}
	/* A plain leaf: mmu_add builds descriptor bits only for an entry
	 * that is not annotated (mmu.c add_cache), and a base page alone is
	 * no contiguous group member (cnt_of, not called here: a second
	 * caller stops its inlining into commit's eng_publish_def). */
	return CNT_PLAIN;
}

/* The call window over the cursor's table (mmu/mmu.c, "the call window"):
 * a leaf table of base pages in the user half whose stripe ta holds, read
 * without deferred stores. */
static bool eng_window(mmu_transaction_t *ta, struct mmu_window_ *w, struct txn_page **pg,
                       uint64_t add_bits)
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
	ta->win_cnt = win_count(ta->walk.pg, add_bits);
	return true;
}
