/*
 * The range loops of the radix engine (included by mmu/pt_engine.h, once
 * per paging mode): what mmu_add_range, mmu_remove_range and
 * mmu_protect_range do per table rather than per entry. They descend
 * through the same walker (descend, table_at, table_store) as every other
 * call; only the loop over one table's slots is theirs:
 *
 *  - fill_leaves: a run of new leaves in one table, the descriptor built
 *    once and advanced by the page size;
 *  - eng_unmap_run: a table wholly inside the range and holding only plain
 *    leaves is unlinked with one store and freed after commit's TLB
 *    operation, its leaves known from its count (below) without reading
 *    them; otherwise a run of leaves in one pass;
 *  - eng_protect_run: a run of leaves rewritten in one pass.
 *
 * Stores go straight into a private page: nothing to journal if it became
 * private during this call (a failed call drops it whole, txn.h), one
 * journal entry for a run of new entries into an older one
 * (txn_stored_run); anything else goes through table_store.
 */

/* Runs at least this long make a live table private up front: their
 * stores would not fit in the deferred ones (txn.h) and would spill. */
#define RUN_OWN_MIN TXN_DEFER

/* The per-table counts, below. */
static void cnt_filled(struct txn_page *pg, uint32_t was, size_t n, bool other);

/* The descriptor bits holding a level-l leaf's output address. Every
 * format builds a leaf as (address bits) | (attribute bits), so two leaves
 * with the same bits outside this mask have the same attributes, and a
 * leaf's new value under new attributes is its address bits | theirs. */
static pt_entry_t addr_mask(const struct pt_attr *a, unsigned l)
{
	paddr_t top = THIS_MODE.pa_bits >= 64 ? ~(paddr_t)0 : ((paddr_t)1 << THIS_MODE.pa_bits) - 1;
	top &= ~(lvl_bytes(l) - 1);
	return pt_mk_leaf(a, top, l, false) ^ pt_mk_leaf(a, 0, l, false);
}

/* Whether slots of t can be read without the deferred stores: a private
 * page has none, nor a live page none of them targets. */
static bool direct_reads(mmu_transaction_t *ta, struct table *t)
{
	if (t->gen != ta->gen)
		table_at(ta, t, t->pa, t->level, t->va, t->kernel);
	return t->pg || !txn_def_in_page(ta, t->pa);
}

/* A run of n stores into t is coming: make t private now if the run is
 * long. Returns 0 or -ENOMEM. */
static int run_begin(mmu_transaction_t *ta, struct table *t, size_t n)
{
	if (t->gen != ta->gen)
		table_at(ta, t, t->pa, t->level, t->va, t->kernel);
	return !t->pg && n >= RUN_OWN_MIN ? own_table(ta, t) : 0;
}

/* Whether t's page was made private during this call: stores into it need
 * no journal. */
static bool run_fresh(mmu_transaction_t *ta, const struct table *t)
{
	return t->pg && t->gen == ta->gen && t->pg->born_op == ta->op_seq;
}

/* The last slot of the table holding va that lies wholly inside
 * [va, last] (va's own does). */
static size_t run_end(vaddr_t va, vaddr_t last, unsigned l)
{
	size_t i = lvl_index(va, l), end = lvl_entries(l) - 1;
	uint64_t span = last - va, whole = (span >> lvl_shift(l)) +
	                                    ((~span & (lvl_bytes(l) - 1)) == 0);
	return whole - 1 < end - i ? i + (size_t)(whole - 1) : end;
}

/* Write c's leaves into slots i.. end of w, table t's private page, while
 * they are empty (check) or all of them: the first slot not written. An
 * unchecked fill reads ahead (not NULL: the page it fills next) a cache
 * line per line it writes, see fill_whole. */
static size_t fill_slots(pt_entry_t *w, size_t i, size_t end, const struct table *t,
                         const struct leaf_change *c, bool check, const pt_entry_t *ahead)
{
	unsigned l = t->level;
	uint64_t step = lvl_bytes(l);
	paddr_t pa = c->pa0 + (slot_va(t->va, l, i) - c->va0);
	size_t n = end - i + 1, k = i;
	bool g = c->contig;
	pt_entry_t d = pt_mk_leaf(&c->attr, pa, l, g);
	pt_entry_t inc = pt_mk_leaf(&c->attr, pa + step, l, g) - d;
	if (pt_mk_leaf(&c->attr, pa + (n - 1) * step, l, g) != d + (n - 1) * inc)
		for (; k <= end && (!check || !w[k]); k++)   /* not linear: one by one */
			w[k] = pt_mk_leaf(&c->attr, pa + (k - i) * step, l, g);
	else if (check)
		for (; k <= end && !w[k]; k++, d += inc)
			w[k] = d;
	else {
		/* Eight stores (a 64-byte line of a page-aligned table) a round
		 * from two values, d and e = d + inc, each advanced once a
		 * round: written as d, d + inc, d + 2 * inc... the compiler
		 * chains every slot's add to the last one, one store per add's
		 * latency. The empty asm hides that e is d + inc, so the two
		 * chains stay apart. */
		pt_entry_t e = d + inc, c2 = 2 * inc, c4 = 4 * inc, c6 = 6 * inc, c8 = 8 * inc;
		const pt_entry_t *pf = ahead ? ahead : w;
		__asm__("" : "+r"(e));
		for (; k + 7 <= end; k += 8, d += c8, e += c8) {
			__builtin_prefetch(pf + k, 1, 3);
			w[k] = d;
			w[k + 1] = e;
			w[k + 2] = d + c2;
			w[k + 3] = e + c2;
			w[k + 4] = d + c4;
			w[k + 5] = e + c4;
			w[k + 6] = d + c6;
			w[k + 7] = e + c6;
		}
		for (; k <= end; k++, d += inc)
			w[k] = d;
	}
	return k;
}

/*
 * Table t, born in this call and not zeroed, lies wholly inside c: every
 * slot gets c's leaf, none is checked. Returns 0.
 *
 * ahead: the page of the next table filled whole, or NULL. A fresh table
 * page is often not in this CPU's cache (whatever ran since it was last
 * used pushed it out), and a store to a line not in the cache waits for
 * the line to be read first; the hardware prefetchers follow a stream only
 * within one 4 KiB page, and the pages come from anywhere. So while one
 * table is written, the next one's lines are fetched, a line per line
 * written: a GiB of 4K pages whose table pages were out of the cache went
 * from about 1.3 to 0.66 ns per page on x86-64, with them in the cache
 * nothing changed (docs/benchmarks.md, "map-range and table pages out of
 * the cache").
 */
static int fill_whole(mmu_transaction_t *ta, struct table *t, const struct leaf_change *c,
                      const struct table *ahead)
{
	size_t end = lvl_entries(t->level) - 1;
	fill_slots(t->pg->ptr, 0, end, t, c, false, ahead ? ahead->pg->ptr : NULL);
	remember(ta, t, t->va);
	int err = txn_stored_run(ta, t->pg, 0, end);   /* born here: no journal, no failure */
	/* Its count is known: commit need not read it back (count_born). */
	if (!err)
		cnt_set(t->pg, lvl_entries(t->level), c->contig || c->attr.annotated);
	return err;
}

/*
 * Slots i.. end of t get c's leaves (or whole contiguous groups) for as
 * long as they are empty: the descriptor is built once and advanced by
 * the page size (checked linear over the run: a format whose address
 * field is split, as Arm's 52-bit PA with 64K pages, builds each one). Returns how many slots it filled
 * (0: the caller goes slot by slot) or -ENOMEM.
 */
static int fill_leaves(mmu_transaction_t *ta, struct table *t, size_t i, size_t end,
                       const struct leaf_change *c)
{
	unsigned l = t->level;
	size_t n = end - i + 1;
	int err = run_begin(ta, t, n);
	if (err)
		return err;
	if (!t->pg || t->gen != ta->gen)
		return 0;   /* a short run into a live table: deferred stores */
	bool g = c->contig;
	if (g && (i | (end + 1)) & (((size_t)1 << pt_contig_lg2(l)) - 1))
		return 0;   /* a contiguous group is made whole or not at all */
	pt_entry_t *w = t->pg->ptr;
	size_t k = fill_slots(w, i, end, t, c, true, NULL);
	if (g && (k & (((size_t)1 << pt_contig_lg2(l)) - 1))) {
		/* stopped inside a group: undo its members, slot by slot from it */
		size_t from = k & ~(((size_t)1 << pt_contig_lg2(l)) - 1);
		for (size_t j = from; j < k; j++)
			w[j] = 0;
		k = from;
	}
	/* A count kept stays exact: empty slots filled (checked). Only in a
	 * page made private in this call, which a failure drops whole: a
	 * journaled run is undone by zeroing it, and the count with it would
	 * not be (txn_stored_run). */
	uint32_t was = t->pg->born_op == ta->op_seq ? t->pg->whole_count : 0;
	if (k > i && (err = txn_stored_run(ta, t->pg, i, k - 1)))
		return err;
	if (k > i)
		cnt_filled(t->pg, was, k - i, g || c->attr.annotated);
	return (int)(k - i);
}

/*
 * Per-table counts, kept beside every table below the root
 * (mmu_env_table_word, never in the table): how many of its entries are
 * plain leaves of its level (CNT_PLAIN units) and how many are anything
 * else that is valid: a table, a member of a contiguous group, a leaf with
 * a side-table record (CNT_OTHER units). They describe committed tables:
 * commit adds what each published store changed (cnt_change, from
 * eng_publish and eng_publish_def) and counts the tables born in the
 * transaction (count_born). So a table the transaction has not touched (no
 * private copy, no deferred store into it) has an exact count, and
 * eng_unmap_run removes such a table whole, its leaves counted for the
 * statistics, without reading one of its entries. Nothing to undo on
 * failure or forget: nothing is counted before commit.
 */
#define CNT_PLAIN 1u
#define CNT_OTHER (1u << 16)   /* a page holds at most 8192 entries */
/* In txn_page.whole_count of a table born in the transaction: the rest is
 * its count, kept up by the fills that write only empty slots and are
 * never undone alone (fill_leaves into a page made private in the same
 * call, eng_add_group), so commit need not scan it (count_born). Any other
 * store clears whole_count: counted at commit. */
#define CNT_KNOWN (1u << 31)

/* The count of a table born in the transaction: n slots hold leaves,
 * each a plain one or (other) a group member or annotated. */
static void cnt_set(struct txn_page *pg, size_t n, bool other)
{
	pg->whole_count = CNT_KNOWN | (uint32_t)n * (other ? CNT_OTHER : CNT_PLAIN);
}

/* n empty slots of pg were just filled with such leaves: its count grows
 * by them if it was known (was: whole_count before the fill's
 * txn_stored_run, which clears it). A table born zeroed has count 0
 * (new_table). */
static void cnt_filled(struct txn_page *pg, uint32_t was, size_t n, bool other)
{
	pg->whole_count = was & CNT_KNOWN ? was + (uint32_t)n * (other ? CNT_OTHER : CNT_PLAIN) : 0;
}

static uint32_t cnt_of(pt_entry_t e, unsigned l)
{
	enum pt_kind k = pt_kind(e, l);
	struct pt_attr a;
	if (k == PT_ABSENT)
		return 0;
	if (k == PT_TABLE || contig_leaf(e, l))
		return CNT_OTHER;
	pt_leaf_attr(e, l, &a);
	return a.annotated ? CNT_OTHER : CNT_PLAIN;
}

/* Leaves with the attribute bits of the last leaf classified (cnt_of)
 * are of its class: known without decoding them again. */
struct cnt_cache {
	pt_entry_t mask, attr;
	uint32_t cls;
};

static inline uint32_t cnt_class(struct cnt_cache *cc, pt_entry_t e, unsigned l)
{
	if (cc->mask && (e & ~cc->mask) == cc->attr)
		return cc->cls;
	uint32_t k = cnt_of(e, l);
	if (k && pt_kind(e, l) == PT_LEAF) {
		struct pt_attr a;
		pt_leaf_attr(e, l, &a);
		cc->mask = addr_mask(&a, l);
		cc->attr = e & ~cc->mask;
		cc->cls = k;
	}
	return k;
}

/* Commit: add delta (a sum of cnt_of differences, modulo 2^32) to the
 * count of the live table at level l. */
static void cnt_add(paddr_t table, unsigned l, uint32_t delta)
{
	if (l != PT_TOP && delta)   /* a root is never unlinked: no count */
		*mmu_env_table_word(table) += delta;
}

/* Commit: entry old of the live table at level l becomes new. */
static void cnt_change(paddr_t table, unsigned l, pt_entry_t old, pt_entry_t new)
{
	cnt_add(table, l, cnt_of(new, l) - cnt_of(old, l));
}

/* The count of slots [lo, hi] of a level-l table. */
static uint32_t cnt_scan(const pt_entry_t *tbl, unsigned l, size_t lo, size_t hi)
{
	struct cnt_cache cc = { 0, 0, 0 };
	uint32_t c = 0;
	for (size_t i = lo; i <= hi; i++) {
		pt_entry_t na = ~cc.mask, at = cc.attr;
		size_t j = i;
		if (cc.mask) {   /* leaves like the last one: four at a time, then one */
			while (j + 3 <= hi && !(((tbl[j] & na) ^ at) | ((tbl[j + 1] & na) ^ at) |
			                        ((tbl[j + 2] & na) ^ at) | ((tbl[j + 3] & na) ^ at)))
				j += 4;
			while (j <= hi && (tbl[j] & na) == at)
				j++;
		}
		c += (uint32_t)(j - i) * cc.cls;
		if ((i = j) <= hi)
			c += cnt_class(&cc, tbl[i], l);
	}
	return c;
}

/* Commit: the count of every table born in the transaction. */
static void count_born(mmu_transaction_t *ta)
{
	for (struct txn_page *pg = txn_pages(ta); pg; pg = pg->all)
		if (!pg->live && !pg->raw && pg->level != PT_TOP)
			*mmu_env_table_word(pg->pa) = pg->whole_count ? pg->whole_count & ~CNT_KNOWN :
				pg->stored_lo > pg->stored_hi ? 0 :
				cnt_scan(pg->ptr, pg->level, pg->stored_lo, pg->stored_hi);
}

/* How many plain leaves table t holds by its count, UINT64_MAX when it
 * holds anything else or the transaction touched it (then the count is
 * not its contents as this transaction sees them). */
static uint64_t counted_leaves(mmu_transaction_t *ta, struct table *t)
{
	if (t->gen != ta->gen)
		table_at(ta, t, t->pa, t->level, t->va, t->kernel);
	if (t->pg || txn_def_in_page(ta, t->pa))
		return UINT64_MAX;
	uint32_t w = *mmu_env_table_word(t->pa);
	return w >= CNT_OTHER ? UINT64_MAX : w;
}

/* Unlink table t (which translates va) from its parent with one store and
 * free it after commit's TLB operation. Returns 0 or -ENOMEM. */
static int unlink_table(mmu_transaction_t *ta, vaddr_t va, const struct table *t)
{
	struct table parent;
	descend(ta, va, t->level + 1, &parent);
	if (parent.level != t->level + 1)
		panic_mmu("%s: no table above %#llx at level %u", PT_MODE_NAME,
		          (unsigned long long)va, t->level + 1);
	int err = table_store(ta, &parent, lvl_index(va, parent.level), 0);
	return err ? err : txn_free(ta, t->pa, t->kernel);
}

/* How many leaves t holds when every slot is empty or a plain leaf of its
 * level (no table, contiguous group or side-table record): one read per
 * slot, and leaves whose attribute bits match the last decoded one are
 * not decoded again. UINT64_MAX when some slot is anything else. */
static uint64_t plain_leaves(mmu_transaction_t *ta, struct table *t)
{
	unsigned l = t->level;
	bool direct = direct_reads(ta, t);
	const pt_entry_t *w = t->view;
	pt_entry_t mask = 0, attr = 0;
	uint64_t n = 0;
	for (size_t i = 0; i < lvl_entries(l); i++) {
		pt_entry_t e = direct ? w[i] : rd(ta, w, i);
		if (mask && (e & ~mask) == attr) {
			n++;
			continue;
		}
		enum pt_kind k = pt_kind(e, l);
		if (k == PT_ABSENT)
			continue;
		struct pt_attr a;
		if (k != PT_LEAF || contig_leaf(e, l))
			return UINT64_MAX;
		pt_leaf_attr(e, l, &a);
		if (a.annotated)
			return UINT64_MAX;
		mask = addr_mask(&a, l);
		attr = e & ~mask;
		n++;
	}
	return n;
}

/*
 * The table a run of leaves of one native order from va lives in: true
 * with *t at that level, false (the caller goes entry by entry) when the
 * order is a contiguous one or the walk stops above its level.
 */
static bool run_table(mmu_transaction_t *ta, vaddr_t va, unsigned order, struct table *t)
{
	unsigned level;
	bool contig;
	native_level(order, &level, &contig);
	if (contig)
		return false;
	descend(ta, va, level, t);
	return t->level == level;
}

/*
 * Remove the leaves of one native order from va, inside [va, last], in
 * the table holding va. If that table lies wholly inside [first, last]
 * (first: the range's start; nothing before va in it is mapped any more)
 * and holds only plain leaves, it is unlinked whole. Otherwise the run of
 * leaves from va goes in one pass, stopping at anything else (a hole,
 * another size, an annotated leaf, the table's end). Returns how many
 * leaves went and sets *next past what was handled; 0 when the order is
 * a contiguous one or va holds no leaf of it (the caller goes entry by
 * entry). On error the call is unwound by the caller.
 */
static uint64_t eng_unmap_run(mmu_transaction_t *ta, vaddr_t first, vaddr_t va, vaddr_t last,
                              unsigned order, vaddr_t *next, int *err)
{
	struct table t;
	if (!run_table(ta, va, order, &t))
		return 0;
	unsigned level = t.level;
	uint64_t n = 0;
	if (level < PT_TOP) {
		vaddr_t tlast = t.va + (lvl_bytes(level + 1) - 1);
		if (t.va >= first && tlast <= last &&
		    ((n = counted_leaves(ta, &t)) != UINT64_MAX ||
		     (n = plain_leaves(ta, &t)) != UINT64_MAX) && n) {
			*err = unlink_table(ta, va, &t);
			*next = tlast + 1;
			return n;
		}
	}
	size_t i = lvl_index(va, level), i0 = i, end = run_end(va, last, level);
	if ((*err = run_begin(ta, &t, end - i + 1)))
		return 0;
	for (n = 0; i <= end; i++, n++) {
		pt_entry_t e = tget(ta, &t, i);
		struct pt_attr a;
		if (pt_kind(e, level) != PT_LEAF || contig_leaf(e, level))
			break;
		pt_leaf_attr(e, level, &a);
		if (a.annotated)
			break;
		if (run_fresh(ta, &t))
			t.view[i] = 0;
		else if ((*err = table_store(ta, &t, i, 0)))
			break;
	}
	if (run_fresh(ta, &t) && i > i0)
		run_stored(t.pg, i0, i - 1);
	if (n) {
		remember(ta, &t, va);
		*next = va + n * lvl_bytes(level);
	}
	return n;
}

/*
 * Give the run of leaves of one native order from va, inside [va, last],
 * in the table holding va, the protection prot: one pass, each leaf keeping
 * its address and every other attribute, stopping at anything else (a
 * hole, another size, an annotated leaf, another memory type than the
 * first, the table's end). Returns how many leaves it covered and sets
 * *next past them; 0 as eng_unmap_run.
 */
static uint64_t eng_protect_run(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, unsigned order,
                                unsigned prot, vaddr_t *next, int *err)
{
	struct table t;
	if (!run_table(ta, va, order, &t))
		return 0;
	unsigned level = t.level;
	size_t i = lvl_index(va, level), i0 = i, end = run_end(va, last, level);
	if ((*err = run_begin(ta, &t, end - i + 1)))
		return 0;
	bool direct = direct_reads(ta, &t), fresh = run_fresh(ta, &t);
	pt_entry_t mask = 0, old_attr = 0, new_attr = 0;
	unsigned memtype = 0;
	uint64_t n = 0;
	for (; i <= end; i++, n++) {
		pt_entry_t e = direct ? t.view[i] : rd(ta, t.view, i);
		if (!mask || (e & ~mask) != old_attr) {
			struct pt_attr a;
			if (pt_kind(e, level) != PT_LEAF || contig_leaf(e, level))
				break;
			pt_leaf_attr(e, level, &a);
			if (a.annotated || (mask && a.memtype != memtype))
				break;
			memtype = a.memtype;
			mask = addr_mask(&a, level);
			old_attr = e & ~mask;
			a.prot = prot;
			new_attr = pt_mk_leaf(&a, 0, level, false) & ~mask;
		}
		pt_entry_t v = (e & mask) | new_attr;
		if (v == e)
			continue;
		if (fresh)
			t.view[i] = v;
		else if ((*err = table_store(ta, &t, i, v)))
			break;
	}
	if (fresh && i > i0)
		run_stored(t.pg, i0, i - 1);
	if (n) {
		remember(ta, &t, va);
		*next = va + n * lvl_bytes(level);
	}
	return n;
}

/* How many slots of w from i, before end, hold d, d + inc, d + 2 * inc...:
 * one load and compare a slot, no decoding. Eight a round, each slot k
 * taking k * inc off and compared with d, so the rounds' only chain is
 * d += 8 * inc (adding inc slot by slot would chain every slot). */
static size_t linear_slots(const pt_entry_t *w, size_t i, size_t end, pt_entry_t d,
                           pt_entry_t inc)
{
	const pt_entry_t c1 = inc, c2 = 2 * inc, c3 = 3 * inc, c4 = 4 * inc;
	size_t i0 = i;
	for (; i + 8 <= end; i += 8, d += 2 * c4) {
		const pt_entry_t *p = w + i;
		pt_entry_t d4 = d + c4;
		if (((p[0] ^ d) | ((p[1] - c1) ^ d) | ((p[2] - c2) ^ d) | ((p[3] - c3) ^ d) |
		     (p[4] ^ d4) | ((p[5] - c1) ^ d4) | ((p[6] - c2) ^ d4) | ((p[7] - c3) ^ d4)))
			break;
	}
	for (; i < end && w[i] == d; i++, d += inc)
		;
	return i - i0;
}

/*
 * The read cursor of mmu_scan: the leaf holding va and the plain leaves
 * after it in the same table (see mmu_backend.leaves), one read each;
 * leaves with the attribute bits of the first are not decoded again
 * (addr_mask). A physically contiguous run is recognised from the second
 * slot (the first's attribute bits, the next output address): then each
 * slot is compared with the first descriptor plus k times that increment,
 * and the last one decoded (a carry out of the address field would have
 * changed its attribute bits: every later value is larger). The table is
 * remembered, so the next call starts there.
 */
static unsigned eng_leaves(mmu_transaction_t *ta, vaddr_t va, vaddr_t last,
                           struct mmu_leaf *first, paddr_t *pa, unsigned max, bool *linear)
{
	struct table t;
	descend(ta, va, 0, &t);
	unsigned l = t.level;
	size_t i = lvl_index(va, l), end = lvl_entries(l);
	bool direct = direct_reads(ta, &t);
	pt_entry_t e = direct ? t.view[i] : rd(ta, t.view, i);
	vaddr_t sva = slot_va(t.va, l, i);
	*linear = false;
	if (pt_kind(e, l) != PT_LEAF || contig_leaf(e, l))
		return 0;
	leaf_of(e, l, sva, first);
	if (first->attr.annotated)
		return 0;
	/* Slots up to last (the last one may end the address space). */
	if ((last - sva) >> lvl_shift(l) < end - i - 1)
		end = i + ((last - sva) >> lvl_shift(l)) + 1;
	pt_entry_t mask = addr_mask(&first->attr, l), attr = e & ~mask;
	uint64_t step = lvl_bytes(l);
	remember(ta, &t, va);
	if (end - i >= 2) {
		pt_entry_t e1 = direct ? t.view[i + 1] : rd(ta, t.view, i + 1), inc = e1 - e;
		if ((e1 & ~mask) == attr && pt_leaf_pa(e1, l, sva + step) == first->pa + step) {
			size_t k = 0;
			if (direct)
				k = linear_slots(t.view, i, end, e, inc);
			else
				for (pt_entry_t d = e; i + k < end && rd(ta, t.view, i + k) == d; k++, d += inc)
					;
			pt_entry_t el = e + (k - 1) * inc;
			if ((el & ~mask) == attr &&
			    pt_leaf_pa(el, l, sva + (k - 1) * step) == first->pa + (k - 1) * step) {
				*linear = true;
				return (unsigned)k;
			}
		}
	}
	/* One load and one compare a leaf. */
	if (end - i > max)
		end = i + max;
	unsigned n = 0;
	for (; i < end; i++, n++) {
		e = direct ? t.view[i] : rd(ta, t.view, i);
		if ((e & ~mask) != attr)
			break;
		pa[n] = pt_leaf_pa(e, l, sva);
	}
	return n;
}

/* Whether the level-l table tpa (translating from table_va) holds
 * something, and (settled) whether that cannot change before commit: a slot
 * found in a region the transaction holds, or could take (mmu/lock.h). The
 * scan starts right past `last`: removing pages in order, the next one is
 * there, and it stops at once. */
static bool table_used(mmu_transaction_t *ta, paddr_t tpa, unsigned l, vaddr_t table_va,
                       vaddr_t last, bool stable, bool *settled)
{
	const pt_entry_t *tbl = txn_view(ta, tpa);
	size_t n = lvl_entries(l), j = lvl_index(last, l);
	bool used = false;
	*settled = stable;   /* nothing found: empty, settled only if stable */
	for (size_t k = 1; k <= n; k++) {
		size_t i = (j + k) & (n - 1);
		if (pt_kind(rd(ta, tbl, i), l) == PT_ABSENT)
			continue;
		vaddr_t s0 = slot_va(table_va, l, i), s1 = s0 + (lvl_bytes(l) - 1);
		/* A slot of a leaf-table region another transaction may be
		 * emptying settles it when held, or when nobody holds its region
		 * and it is still there read again after looking (lock_idle): it
		 * stays until this commit, for whoever empties it next sees this
		 * transaction's own leaf table still linked, in a region held, so
		 * cannot settle on it and needs every region, which it gets only
		 * after this commit. Not taken: taking it (held to commit) refused
		 * that region's own next transaction, a window disjoint from
		 * this one (docs/transactions.md, "Locking", rule 4). */
		if (stable || lock_holds(ta, s0, s1) ||
		    (l == 1 && lock_idle(ta, s0) && pt_kind(rd(ta, tbl, i), l) != PT_ABSENT)) {
			*settled = true;
			return true;
		}
		used = true;   /* for now; look on for a slot that settles it */
	}
	return used;
}

/* Unlink and free the tables under tpa left empty in [va, last]. Only
 * private tables can have changed, so only they are checked. */
static int reclaim_in(mmu_transaction_t *ta, paddr_t tpa, unsigned l, vaddr_t table_va,
                      vaddr_t va, vaddr_t last, bool kernel)
{
	for (size_t i = lvl_index(va, l), end = lvl_index(last, l); l > 0 && i <= end; i++) {
		pt_entry_t e = rd(ta, txn_view(ta, tpa), i);
		if (pt_kind(e, l) != PT_TABLE)
			continue;
		vaddr_t sva = slot_va(table_va, l, i), slast = sva + (lvl_bytes(l) - 1);
		paddr_t child = pt_table_pa(e, l);
		int err = reclaim_in(ta, child, l - 1, sva, va > sva ? va : sva,
		                     last < slast ? last : slast, kernel);
		if (err)
			return err;
		if (!txn_lookup(ta, child) && !txn_def_in_page(ta, child))
			continue;   /* unchanged, so not empty: committed tables never are */
		/* Whether a table above level 1 is empty depends on slots other
		 * transactions may fill or empty: settled by a slot that says
		 * "not empty" in a region held, else only under every region the
		 * table spans. (A level-1 table's slots are the leaf tables.) */
		vaddr_t clast = last < slast ? last : slast;
		bool settled, used = table_used(ta, child, l - 1, sva, clast, kernel || l < 2, &settled);
		if (!settled) {
			if ((err = lock_span(ta, sva, slast)))
				return err;
			used = table_used(ta, child, l - 1, sva, clast, true, &settled);
		}
		if (used)
			continue;
		struct table parent;
		table_at(ta, &parent, tpa, l, table_va, kernel);
		if ((err = table_store(ta, &parent, i, 0)) || (err = txn_free(ta, child, kernel)))
			return err;
	}
	return 0;
}

static int eng_reclaim(mmu_transaction_t *ta, vaddr_t first, vaddr_t last)
{
	bool kernel = in_kernel_half(first);
	return reclaim_in(ta, root_pa(ta->set, kernel), PT_TOP, root_va(kernel), first, last, kernel);
}

