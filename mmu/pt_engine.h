/*
 * The generic radix page-table engine, compiled once per paging mode.
 *
 * A mode file (arch/<arch>/pt_mode_*.c) defines the geometry macros listed
 * in mmu/pt_format.h, includes its format header (the descriptor
 * functions), then this file. Everything here is level-parameterised: one
 * walk over "a table page at level l", never a function per level, so a
 * format with more levels (sv57, x86-64 5-level, radix-6level) needs
 * nothing new.
 *
 * Every change goes through the transaction (txn.h): a table is made
 * private (txn_own) before a store, new tables are private from birth
 * (txn_new), and unlinked tables are freed only after commit's TLB
 * invalidation (txn_free).
 */
#include <string.h>
#include "txn.h"
#include "lock.h"
#include "pt_geometry.h"

#define PT_CAT_(a, b) a##b
#define PT_CAT(a, b) PT_CAT_(a, b)
#define THIS_MODE PT_CAT(mmu_mode_, PT_MODE)
/* The walker's small steps, inlined into every walk (a call per level was
 * much of a one-page transaction's time). */
#define PT_HOT inline __attribute__((always_inline))

_Static_assert(PT_TOP_BITS >= 1 && PT_TOP_BITS <= PT_PAGE_SHIFT - 3,
               "the root must index at least two and at most a page of entries");

struct mmu_mode THIS_MODE;

/* ---- geometry, all derived from the format's constants ---- */

static inline unsigned lvl_shift(unsigned l) { return PT_PAGE_SHIFT + l * PT_INDEX_BITS; }
static inline uint64_t lvl_bytes(unsigned l) { return 1ull << lvl_shift(l); }
static inline size_t lvl_entries(unsigned l)
{
	return (size_t)1 << (l == PT_TOP ? PT_TOP_BITS : PT_INDEX_BITS);
}
static inline size_t lvl_index(vaddr_t va, unsigned l)
{
	return (size_t)(va >> lvl_shift(l)) & (lvl_entries(l) - 1);
}

/* A VA the root's index bits produce, made canonical: with one root the
 * upper half of its slots is the kernel half (sign extension). */
static inline vaddr_t canon(vaddr_t va)
{
#if PT_SPLIT_ROOTS
	return va;
#else
	unsigned unused = 64 - PT_VA_BITS;
	return (vaddr_t)((int64_t)(va << unused) >> unused);
#endif
}

static inline vaddr_t slot_va(vaddr_t table_va, unsigned l, size_t i)
{
	return canon(table_va + (vaddr_t)i * lvl_bytes(l));
}

static inline bool in_kernel_half(vaddr_t va) { return va >= THIS_MODE.kernel_base; }

static inline paddr_t root_pa(mmu_translation_set_t *t, bool kernel)
{
	return kernel ? THIS_MODE.kernel_root : t->root;
}

/* First VA the root translates in that half. */
static inline vaddr_t root_va(bool kernel)
{
	return kernel && PT_SPLIT_ROOTS ? THIS_MODE.kernel_base : 0;
}

/* The level and contiguity that encode a native order. */
static void native_level(unsigned order, unsigned *level, bool *contig)
{
	for (unsigned l = 0; l < PT_LEVELS; l++) {
		unsigned block = l * PT_INDEX_BITS, group = block + pt_contig_lg2(l);
		if ((pt_leaf_ok(l) && order == block) || (pt_contig_lg2(l) && order == group)) {
			*level = l, *contig = order != block;
			return;
		}
	}
	panic_mmu("%s: order %u is not native", PT_MODE_NAME, order);
}

/* ---- reading ---- */

/* Entry i of a table as the transaction sees it: the table's contents
 * (live or private) under the transaction's deferred stores. */
static PT_HOT pt_entry_t rd(const mmu_transaction_t *ta, const void *tbl, size_t i)
{
	return txn_read(ta, (const uint64_t *)tbl + i);
}

/* A table as a walk sees it: owned (made private) by a change only when a
 * store into it cannot be deferred, so a walk that merely passes through
 * copies nothing. Looked up again when the transaction moved pages (gen). */
struct table {
	paddr_t pa;
	struct txn_page *pg;         /* NULL while only live */
	pt_entry_t *view;
	vaddr_t va;
	uint64_t gen;
	unsigned level;
	bool kernel;
	bool cursor;                 /* still the cursor's table (ta->walk), unmoved */
};

static PT_HOT void table_at(mmu_transaction_t *ta, struct table *t, paddr_t pa, unsigned l,
                     vaddr_t va, bool kernel)
{
	*t = (struct table){ .pa = pa, .pg = txn_lookup(ta, pa), .va = va, .gen = ta->gen,
	                     .level = l, .kernel = kernel };
	t->view = t->pg ? t->pg->ptr : mmu_env_phys_to_virt(pa);
}

static PT_HOT pt_entry_t tget(mmu_transaction_t *ta, struct table *t, size_t i)
{
	if (t->gen != ta->gen)
		table_at(ta, t, t->pa, t->level, t->va, t->kernel);
	return rd(ta, t->view, i);
}

static void leaf_of(pt_entry_t e, unsigned l, vaddr_t va, struct mmu_leaf *out)
{
	bool contig = pt_leaf_contig(e, l);
	unsigned order = l * PT_INDEX_BITS + (contig ? pt_contig_lg2(l) : 0);
	vaddr_t slot = va & ~(lvl_bytes(l) - 1);
	out->order = order;
	out->va = va & ~((lvl_bytes(0) << order) - 1);
	out->pa = pt_leaf_pa(e, l, va) - (slot - out->va);
	pt_leaf_attr(e, l, &out->attr);
}

/* The set cursor (mmu_translation_set.leaf): leaf table pa, live, holds
 * va's slot. Kept by a holder of va's region (rule 1 of the locking)
 * that has freed nothing (no state): a table it unlinked is still live
 * until its commit, which clears the cursor. */
static struct mmu_set_cursor *set_cursor_slot(mmu_transaction_t *ta, vaddr_t va, uint64_t *r)
{
	*r = va >> THIS_MODE.lock_shift;
	return &ta->set->leaf[*r % MMU_SET_CURSORS];
}

static void set_cursor_keep(mmu_transaction_t *ta, paddr_t pa, void *view, vaddr_t va)
{
	uint64_t r;
	struct mmu_set_cursor *c = set_cursor_slot(ta, va, &r);
	if (__atomic_load_n(&c->region, __ATOMIC_RELAXED) == r + 1 &&
	    __atomic_load_n(&c->table, __ATOMIC_RELAXED) == pa)
		return;
	/* Written once per transaction: a random walk would rewrite a slot
	 * per call (a compare-and-swap and three stores) for tables no later
	 * transaction is likelier to need than the first. */
	if (ta->setcur & TXN_SETCUR_KEPT)
		return;
	ta->setcur |= TXN_SETCUR_KEPT;
	uint64_t s;
	if (!lock_holds(ta, va, va) || !seqc_write_begin(&c->seq, &s))
		return;   /* another writer has it: the next walk keeps it */
	__atomic_store_n(&c->region, r + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->table, pa, __ATOMIC_RELAXED);
	__atomic_store_n(&c->view, view, __ATOMIC_RELAXED);
	seqc_write_end(&c->seq, s);
}

/* set_cursor past its first checks. */
static bool set_cursor_look(mmu_transaction_t *ta, vaddr_t va, struct table *t)
{
	uint64_t r;
	struct mmu_set_cursor *c = set_cursor_slot(ta, va, &r);
	uint64_t s = seqc_read_begin(&c->seq);
	uint64_t reg = __atomic_load_n(&c->region, __ATOMIC_RELAXED);
	paddr_t pa = __atomic_load_n(&c->table, __ATOMIC_RELAXED);
	pt_entry_t *view = __atomic_load_n(&c->view, __ATOMIC_RELAXED);
	/* Held: every caller took va's region just before (lock_span noted it
	 * in lk_lo..lk_hi), so the inline half of lock_holds answers, and
	 * this function calls nothing. (s & 1) ahead of seqc_read_ok, which
	 * tests it too (the compiler folds the two): in that order a miss
	 * costs what it did before the helper (callgrind, pp-map). */
	if ((s & 1) || reg != r + 1 || !seqc_read_ok(&c->seq, s) ||
	    va < ta->lk_lo || va > ta->lk_hi) {
		/* Missed: likely random addresses, where one slot per MMU_SET_CURSORS
		 * regions rarely holds the one wanted (see TXN_SETCUR_MISSED). */
		ta->setcur |= TXN_SETCUR_MISSED;
		return false;
	}
	/* It becomes the cursor (ta->walk) at once, as remember() would note
	 * it after the call, less keeping it in the set, which holds it: t is
	 * the cursor's table (t->cursor), so the call remembers nothing. No
	 * state: no private copy of it (txn_lookup). */
	vaddr_t first = va & ~(lvl_bytes(1) - 1);
	ta->walk.pa = pa;
	ta->walk.gen = ta->gen;
	ta->walk.sgen = __atomic_load_n(&ta->set->gen, __ATOMIC_ACQUIRE);
	ta->walk.kgen = __atomic_load_n(&THIS_MODE.kernel_gen, __ATOMIC_ACQUIRE);
	ta->walk.level = 0;
	ta->walk.first = first;
	ta->walk.last = first + (lvl_bytes(1) - 1);
	ta->walk.view = view;
	ta->walk.pg = NULL;
	*t = (struct table){ .pa = pa, .view = view, .va = first, .gen = ta->gen, .level = 0,
	                     .cursor = true };
	return true;
}

/* The set cursor's table for va (level 0), when ta holds va's region.
 * Inline: a transaction of random addresses stops looking after one miss. */
static PT_HOT bool set_cursor(mmu_transaction_t *ta, vaddr_t va, struct table *t)
{
	if (ta->st || in_kernel_half(va) || (ta->setcur & TXN_SETCUR_MISSED))
		return false;
	return set_cursor_look(ta, va, t);
}

/* Remember table t, which translates va, as the one the next call will
 * most likely need (a cursor, so sequential work does not walk from the
 * root each time). A root is remembered for its half only: with one root
 * per set, the kernel half's slots live in the mode's master root. */
static void remember(mmu_transaction_t *ta, const struct table *t, vaddr_t va)
{
	unsigned l = t->level;
	ta->walk.pa = t->pa;
	ta->walk.gen = ta->gen;
	ta->walk.sgen = __atomic_load_n(&ta->set->gen, __ATOMIC_ACQUIRE);
	ta->walk.kgen = __atomic_load_n(&THIS_MODE.kernel_gen, __ATOMIC_ACQUIRE);
	ta->walk.level = l;
	if (l == PT_TOP) {
		ta->walk.first = t->kernel ? THIS_MODE.kernel_base : 0;
		ta->walk.last = t->kernel ? ~(vaddr_t)0 : THIS_MODE.user_top - 1;
	} else {
		ta->walk.first = va & ~(lvl_bytes(l + 1) - 1);
		ta->walk.last = ta->walk.first + (lvl_bytes(l + 1) - 1);
	}
	ta->walk.view = t->view;
	ta->walk.pg = t->pg;
	if (l == 0 && !ta->st && !t->kernel)   /* no state: no table born or freed */
		set_cursor_keep(ta, t->pa, t->view, va);
}

static PT_HOT bool remembered(mmu_transaction_t *ta, vaddr_t va, vaddr_t last)
{
	return ta->walk.view && txn_gen_ok(ta, ta->walk.gen, ta->walk.sgen, ta->walk.kgen) &&
	       va >= ta->walk.first && last <= ta->walk.last;
}

/* Where a walk for [va, last] down to level `to` starts: the cursor's
 * table when it covers the range at or above that level, else the root of
 * va's half. */
static PT_HOT void walk_start(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, unsigned to,
                       struct table *t)
{
	bool kernel = in_kernel_half(va);
	unsigned l = ta->walk.level;
	if (remembered(ta, va, last) && l >= to)
		*t = (struct table){ .pa = ta->walk.pa, .pg = ta->walk.pg, .view = ta->walk.view,
		                     .va = l == PT_TOP ? root_va(kernel) : ta->walk.first,
		                     .gen = ta->gen, .level = l, .kernel = kernel, .cursor = true };
	else
		table_at(ta, t, root_pa(ta->set, kernel), PT_TOP, root_va(kernel), kernel);
}

/* Walk from there towards level `to`, stopping early at an entry that is
 * not a table: t ends at the table whose slot for va holds it (t->level >
 * to when the walk stopped early). */
static void descend(mmu_transaction_t *ta, vaddr_t va, unsigned to, struct table *out)
{
	struct table t;   /* a local the compiler keeps in registers: *out is written once */
	walk_start(ta, va, va, to, &t);
	for (unsigned l = t.level; l > to; l--) {
		size_t i = lvl_index(va, l);
		/* A walk moves no page: t.gen holds. Acquire: the table it leads
		 * to was filled before the release store that linked it
		 * (eng_publish), and a lockless reader (mmu/lock.h) must see it
		 * filled (a plain load on x86; Arm LDAR, RISC-V a fence). */
		pt_entry_t e = txn_read_acquire(ta, (const uint64_t *)t.view + i);
		if (pt_kind(e, l) != PT_TABLE)
			break;
		table_at(ta, &t, pt_table_pa(e, l), l - 1, slot_va(t.va, l, i), t.kernel);
	}
	*out = t;
}

static int eng_lookup(mmu_transaction_t *ta, vaddr_t va, struct mmu_leaf *out)
{
	struct table t;
	descend(ta, va, 0, &t);
	pt_entry_t e = tget(ta, &t, lvl_index(va, t.level));
	enum pt_kind k = pt_kind(e, t.level);
	if (k == PT_TABLE)   /* descend goes on at a table above level 0 */
		panic_mmu("%s: table descriptor at level 0 for %#llx", PT_MODE_NAME,
		          (unsigned long long)va);
	if (k == PT_ABSENT)
		return -ENOENT;
	remember(ta, &t, va);
	leaf_of(e, t.level, va, out);
	return 0;
}

/* First leaf overlapping [va, last] under the level-l table tbl, which
 * translates from table_va. */
static int next_in(mmu_transaction_t *ta, const pt_entry_t *tbl, unsigned l, vaddr_t table_va,
                   vaddr_t va, vaddr_t last, struct mmu_leaf *out)
{
	for (size_t i = lvl_index(va, l), end = lvl_index(last, l); i <= end; i++) {
		pt_entry_t e = rd(ta, tbl, i);
		vaddr_t sva = slot_va(table_va, l, i);
		enum pt_kind k = pt_kind(e, l);
		if (k == PT_LEAF) {
			leaf_of(e, l, va > sva ? va : sva, out);
			return 0;
		}
		if (k == PT_TABLE) {
			vaddr_t slast = sva + (lvl_bytes(l) - 1);
			if (!next_in(ta, txn_view(ta, pt_table_pa(e, l)), l - 1, sva,
			             va > sva ? va : sva, last < slast ? last : slast, out))
				return 0;
		}
	}
	return -ENOENT;
}

static int eng_next(mmu_transaction_t *ta, vaddr_t va, vaddr_t last, struct mmu_leaf *out)
{
	/* Sequential scans (clear, copy, scan) mostly continue in the table
	 * that held the previous leaf: look there first, and walk from the
	 * root only past its end. */
	if (remembered(ta, va, va)) {
		unsigned l = ta->walk.level;
		vaddr_t base = l == PT_TOP ? root_va(in_kernel_half(va)) : ta->walk.first;
		vaddr_t end = last < ta->walk.last ? last : ta->walk.last;
		if (!next_in(ta, ta->walk.view, l, base, va, end, out))
			return 0;
		if (end == last)
			return -ENOENT;
		va = end + 1;
	}
	vaddr_t user_last = THIS_MODE.user_top - 1;
	if (va <= user_last &&
	    !next_in(ta, txn_view(ta, root_pa(ta->set, false)), PT_TOP, root_va(false), va,
	             last < user_last ? last : user_last, out))
		return 0;
	if (last < THIS_MODE.kernel_base)
		return -ENOENT;
	vaddr_t kva = va > THIS_MODE.kernel_base ? va : THIS_MODE.kernel_base;
	return next_in(ta, txn_view(ta, root_pa(ta->set, true)), PT_TOP, root_va(true), kva, last,
	               out);
}

/* ---- changing ---- */

static bool contig_leaf(pt_entry_t e, unsigned l)
{
	return pt_contig_lg2(l) && pt_kind(e, l) == PT_LEAF && pt_leaf_contig(e, l);
}

/* A store into a slot of a live user table needs the regions the slot
 * spans (every region, above level 1), and a private copy of a live table
 * above the leaves needs the set as a whole (mmu/lock.h). Tables born in
 * the transaction are its own; the kernel half is claimed whole. */
static int store_lock(mmu_transaction_t *ta, const struct table *t, size_t i)
{
	if (t->kernel || (t->pg && !t->pg->live))
		return 0;
	vaddr_t sva = slot_va(t->va, t->level, i);
	return lock_span(ta, sva, sva + (lvl_bytes(t->level) - 1));
}

/* Make table t private (a copy of the live page), for stores that cannot
 * be deferred. Returns 0, -ENOMEM or -EBUSY (a table above the leaves
 * holds other regions' slots: its copy takes the set whole, mmu/lock.h). */
static int own_table(mmu_transaction_t *ta, struct table *t)
{
	int err = 0;
	if (t->level && !t->kernel && (err = lock_whole(ta)))
		return err;
	if (!(t->pg = txn_own(ta, t->pa, &err)))
		return err;
	t->pg->level = (uint8_t)t->level;
	t->pg->va = t->va;
	t->pg->kernel = t->kernel;
	t->view = t->pg->ptr;
	t->gen = ta->gen;
	return 0;
}

static int table_store(mmu_transaction_t *ta, struct table *t, size_t i, pt_entry_t v)
{
	pt_entry_t old = tget(ta, t, i);
	int err = store_lock(ta, t, i);
	if (err)
		return err;
	if (!t->pg) {
		/* A contiguous group changes whole, with break-before-make
		 * over the group (eng_publish): never deferred. */
		struct txn_def d = { (uint64_t *)&t->view[i], v, t->pa, t->va, (uint16_t)i,
		                     (uint8_t)t->level, t->kernel };
		if (!contig_leaf(old, t->level) && !contig_leaf(v, t->level) && txn_defer(ta, &d))
			return 0;
		if ((err = own_table(ta, t)))
			return err;
	}
	return txn_store(ta, t->pg, i, v);
}

static void cnt_set(struct txn_page *pg, size_t n, bool other);   /* pt_engine_range.h */

/* A new table for slot i of parent, linked in: built privately, linked
 * with one store. whole: the caller writes every slot of it at once (not
 * zeroed). */
static int new_table(mmu_transaction_t *ta, struct table *parent, size_t i, vaddr_t sva,
                     struct table *child, bool whole)
{
	int err = 0;
	struct txn_page *pg = whole ? txn_new_whole(ta, parent->kernel, &err) :
	                              txn_new(ta, parent->kernel, &err);
	if (!pg)
		return err;
	if (!whole)
		cnt_set(pg, 0, false);   /* zeroed: count known, 0 (pt_engine_range.h) */
	pg->level = (uint8_t)(parent->level - 1);
	pg->va = sva;
	err = table_store(ta, parent, i, pt_mk_table(pg->pa, parent->level, !parent->kernel));
	table_at(ta, child, pg->pa, parent->level - 1, sva, parent->kernel);
	return err;
}

/* Whether a subtree maps nothing (tables left empty count as nothing). */
static bool subtree_empty(mmu_transaction_t *ta, paddr_t tpa, unsigned l)
{
	const pt_entry_t *tbl = txn_view(ta, tpa);
	for (size_t i = 0; i < lvl_entries(l); i++) {
		pt_entry_t e = rd(ta, tbl, i);
		enum pt_kind k = pt_kind(e, l);
		if (k == PT_LEAF || (k == PT_TABLE && !subtree_empty(ta, pt_table_pa(e, l), l - 1)))
			return false;
	}
	return true;
}

static int free_subtree(mmu_transaction_t *ta, paddr_t tpa, unsigned l, bool kernel)
{
	for (size_t i = 0; l > 0 && i < lvl_entries(l); i++) {
		pt_entry_t e = rd(ta, txn_view(ta, tpa), i);
		if (pt_kind(e, l) == PT_TABLE) {
			int err = free_subtree(ta, pt_table_pa(e, l), l - 1, kernel);
			if (err)
				return err;
		}
	}
	return txn_free(ta, tpa, kernel);
}

struct leaf_change {
	enum mmu_leaf_op op;
	unsigned level;
	bool contig, kernel;
	vaddr_t va0;             /* first va of the change */
	paddr_t pa0;             /* its output address */
	struct pt_attr attr;
};

static int change_slot(mmu_transaction_t *ta, struct table *t, size_t i, vaddr_t sva,
                       const struct leaf_change *c)
{
	pt_entry_t e = tget(ta, t, i);
	enum pt_kind k = pt_kind(e, c->level);
	if (c->op == MMU_LEAF_MAP) {
		if (k == PT_LEAF)
			return -EEXIST;
		if (k == PT_TABLE) {
			/* Tables left empty by earlier calls are nothing: replace them. */
			if (!subtree_empty(ta, pt_table_pa(e, c->level), c->level - 1))
				return -EEXIST;
			int err = free_subtree(ta, pt_table_pa(e, c->level), c->level - 1, c->kernel);
			if (err)
				return err;
		}
	} else if (k != PT_LEAF) {
		panic_mmu("%s: no leaf at %#llx level %u to %s", PT_MODE_NAME,
		          (unsigned long long)sva, c->level,
		          c->op == MMU_LEAF_UNMAP ? "unmap" : "rewrite");
	}
	pt_entry_t v = 0;
	if (c->op != MMU_LEAF_UNMAP)
		v = pt_mk_leaf(&c->attr, c->pa0 + (sva - c->va0), c->level, c->contig);
	return table_store(ta, t, i, v);
}

static int fill_leaves(mmu_transaction_t *ta, struct table *t, size_t i, size_t end,
                       const struct leaf_change *c);   /* pt_engine_range.h */
static int fill_whole(mmu_transaction_t *ta, struct table *t, const struct leaf_change *c,
                      const struct table *ahead);

/* Slot i of t gets a new leaf table filled whole: if slot i + 1 (up to
 * end) is empty and the map covers it whole too, its table is born and
 * linked now (*ahead, *next = i + 1), so that filling slot i's reads its
 * page ahead (fill_whole). Not filled yet: the caller fills it next, and a
 * failure in between drops the call whole (a page born in it, a store
 * into its parent undone). Returns 0 or -ENOMEM. */
static int whole_ahead(mmu_transaction_t *ta, struct table *t, size_t i, size_t end, vaddr_t last,
                       const struct leaf_change *c, struct table *ahead, size_t *next)
{
	unsigned l = t->level;
	if (i >= end)
		return 0;
	vaddr_t sva = slot_va(t->va, l, i + 1);
	if (last - sva < lvl_bytes(l) - 1 || pt_kind(tget(ta, t, i + 1), l) != PT_ABSENT)
		return 0;
	int err = new_table(ta, t, i + 1, sva, ahead, true);
	if (!err)
		*next = i + 1;
	return err;
}

/* Apply c to every slot of level c->level in [va, last] under t, creating
 * tables on the way for a map. */
static int change_range(mmu_transaction_t *ta, struct table *t, vaddr_t va, vaddr_t last,
                        const struct leaf_change *c)
{
	unsigned l = t->level;
	size_t i = lvl_index(va, l), end = lvl_index(last, l);
	struct table ahead;          /* slot `next`'s table, born and linked, not yet filled */
	size_t next = SIZE_MAX;
	if (l == c->level && c->op == MMU_LEAF_MAP) {
		/* A run of leaves: one tight loop while the slots are empty. */
		int n = fill_leaves(ta, t, i, end, c);
		if (n < 0)
			return n;
		i += (size_t)n;
	}
	for (; i <= end; i++) {
		vaddr_t sva = slot_va(t->va, l, i);
		int err = 0;
		if (l == c->level) {
			if ((err = change_slot(ta, t, i, sva, c)))
				return err;
			continue;
		}
		struct table child;
		if (i == next) {   /* born one slot ago, for the fill before to read ahead */
			child = ahead;
			next = SIZE_MAX;
			if ((err = whole_ahead(ta, t, i, end, last, c, &ahead, &next)) ||
			    (err = fill_whole(ta, &child, c, next == SIZE_MAX ? NULL : &ahead)))
				return err;
			continue;
		}
		pt_entry_t e = tget(ta, t, i);
		switch (pt_kind(e, l)) {
		case PT_TABLE:
			table_at(ta, &child, pt_table_pa(e, l), l - 1, sva, c->kernel);
			break;
		case PT_ABSENT:
			if (c->op != MMU_LEAF_MAP)
				panic_mmu("%s: no table above %#llx at level %u", PT_MODE_NAME,
				          (unsigned long long)sva, l);
			/* A leaf table the map covers whole: filled at once. */
			if (l - 1 == c->level && va <= sva && last - sva >= lvl_bytes(l) - 1) {
				if ((err = new_table(ta, t, i, sva, &child, true)) ||
				    (err = whole_ahead(ta, t, i, end, last, c, &ahead, &next)) ||
				    (err = fill_whole(ta, &child, c, next == SIZE_MAX ? NULL : &ahead)))
					return err;
				continue;
			}
			err = new_table(ta, t, i, sva, &child, false);
			break;
		case PT_LEAF:
			if (c->op == MMU_LEAF_MAP)
				return -EEXIST;
			panic_mmu("%s: leaf at level %u above %#llx, expected level %u",
			          PT_MODE_NAME, l, (unsigned long long)sva, c->level);
		}
		if (err)
			return err;
		vaddr_t slast = sva + (lvl_bytes(l) - 1);
		err = change_range(ta, &child, va > sva ? va : sva, last < slast ? last : slast, c);
		if (err)
			return err;
	}
	if (l == c->level)
		remember(ta, t, va);
	return 0;
}

static int eng_change(mmu_transaction_t *ta, enum mmu_leaf_op op, vaddr_t va, unsigned order,
                      uint64_t count, paddr_t pa, const struct pt_attr *a)
{
	struct leaf_change c = { .op = op, .va0 = va, .pa0 = pa, .kernel = in_kernel_half(va) };
	native_level(order, &c.level, &c.contig);
	if (a)
		c.attr = *a;
	vaddr_t last = va + ((count << lvl_shift(0) << order) - 1);
	struct table t;
	walk_start(ta, va, last, c.level, &t);
	return change_range(ta, &t, va, last, &c);
}

/* The range loops: fill, unmap and protect runs, reclaim. */
#include "pt_engine_range.h"

/* ---- commit ---- */

/*
 * Commit in two passes where the format needs break-before-make (Arm ARM
 * D8.16.1): eng_publish and eng_publish_def store every change that needs
 * none and break (invalidate) every descriptor that does, noting what those
 * translated; eng_after_publish then flushes that once for all of them and
 * makes them. A contiguous group breaks whole (D8.6: the TLB may hold it as
 * one entry), so no walker mixes old and new members. A split or merge of
 * many live blocks costs one invalidation, not one per block.
 */
static __attribute__((noinline)) void break_slots(mmu_transaction_t *ta, pt_entry_t *live,
                                                  size_t n, vaddr_t sva, unsigned l,
                                                  bool kernel)
{
	struct txn_flush *f = &ta->bbm;
	vaddr_t last = sva + (n * lvl_bytes(l) - 1);
	for (size_t j = 0; j < n; j++)
		__atomic_store_n(&live[j], 0, __ATOMIC_RELEASE);
	if (!f->changed)   /* the first break: mmu_transaction set only changed */
		*f = (struct txn_flush){ .start = sva, .end = last };
	if (sva < f->start)
		f->start = sva;
	if (last > f->end)
		f->end = last;   /* inclusive here */
	f->pages += (n * lvl_bytes(l)) >> lvl_shift(0);
	f->global |= kernel;
	f->changed = true;
}

static void eng_publish(mmu_transaction_t *ta, struct txn_page *pg)
{
	pt_entry_t *live = mmu_env_phys_to_virt(pg->live);
	const pt_entry_t *priv = pg->ptr;
	unsigned l = pg->level;
	struct cnt_cache co = { 0, 0, 0 }, cn = { 0, 0, 0 };
	uint32_t delta = 0;   /* to the table's count (pt_engine_range.h) */
	for (size_t i = pg->stored_lo; i <= pg->stored_hi; i++) {
		if (live[i] == priv[i])
			continue;
		if (pt_kind(live[i], l) == PT_ABSENT || !pt_needs_bbm(live[i], priv[i], l)) {
			delta += cnt_class(&cn, priv[i], l) - cnt_class(&co, live[i], l);
			__atomic_store_n(&live[i], priv[i], __ATOMIC_RELEASE);
			continue;
		}
		size_t first = i, n = 1;
		if (pt_contig_lg2(l) && (pt_leaf_contig(live[i], l) || pt_leaf_contig(priv[i], l))) {
			n = (size_t)1 << pt_contig_lg2(l);
			first = i & ~(n - 1);
		}
		for (size_t j = first; j < first + n; j++)   /* made after the flush */
			delta += cnt_class(&cn, priv[j], l) - cnt_class(&co, live[j], l);
		break_slots(ta, &live[first], n, slot_va(pg->va, l, first), l, pg->kernel);
		i = first + n - 1;
	}
	cnt_add(pg->live, l, delta);
}

/* The deferred stores, each with one atomic store, under the same
 * break-before-make rule (they never touch a contiguous group:
 * table_store copies the page for those). */
static void eng_publish_def(mmu_transaction_t *ta)
{
	for (unsigned i = 0; i < ta->def.n; i++) {
		const struct txn_def *d = &ta->def.e[i];
		pt_entry_t *live = (pt_entry_t *)d->word, old = *live;
		if (old == d->val || (i + 1 < ta->def.n && txn_def_superseded(ta, i)))
			continue;
		cnt_change(d->page, d->level, old, d->val);
		if (pt_kind(old, d->level) != PT_ABSENT && pt_needs_bbm(old, d->val, d->level))
			break_slots(ta, live, 1, slot_va(d->table_va, d->level, d->idx), d->level,
			            d->kernel);
		else
			__atomic_store_n(live, d->val, __ATOMIC_RELEASE);
	}
}

static void mirror_kernel_half(mmu_transaction_t *ta);   /* pt_engine_mode.h */
static bool mirror_needed(mmu_transaction_t *ta);

/*
 * The one TLB operation of a commit that broke descriptors: the commit's
 * own flush (ta->flush: every change so far published, as txn_commit
 * would flush it after this hook) widened to the broken ones, so that
 * breaking, flushing and making cost one operation, not two. Arm ARM
 * D8.16.1 (break-before-make): invalid, DSB, TLBI, DSB, then the new
 * entry; nothing after the make needs invalidating, as a walk that gives
 * a Translation fault is never cached (D8.16; Arm's programmer's guide
 * DEN0024A 12.1). The
 * commit's other stores are published by now (eng_publish and
 * eng_publish_def run first), so this flush covers them too; and it drops
 * walks through tables the commit unlinked (tables_freed) before
 * txn_commit frees them. Kept apart only when the kernel half is mirrored
 * into other roots afterwards (one root per set): those stores follow.
 */
static void bbm_flush(mmu_transaction_t *ta)
{
	struct txn_flush *f = &ta->bbm, *c = &ta->flush;
	struct mmu_flush fl = { f->start, f->end + 1, f->pages, f->global, false, false };
	if (c->changed && !mirror_needed(ta)) {
		if (c->start < fl.start)
			fl.start = c->start;
		if (c->end > fl.end)
			fl.end = c->end;
		/* Broken pages are changed pages: within c's count when c spans them. */
		fl.pages = c->start <= f->start && c->end > f->end && c->pages >= f->pages ?
		           c->pages : c->pages + f->pages;
		fl.global |= c->global;
		fl.tables_freed = ta->st && ta->st->live_frees;
		c->changed = false;   /* done: commit_flush issues nothing more */
	}
	txn_tlb_flush(ta, &fl);
}

static void eng_after_publish(mmu_transaction_t *ta)
{
	struct txn_flush *f = &ta->bbm;
	count_born(ta);
	if (f->changed) {   /* the broken descriptors: one flush, then make */
		mmu_env_publish_barrier();
		bbm_flush(ta);
		for (struct txn_page *pg = txn_pages(ta); pg; pg = pg->all) {
			pt_entry_t *live = pg->live && !pg->raw ? mmu_env_phys_to_virt(pg->live) : NULL;
			const pt_entry_t *priv = pg->ptr;
			for (size_t i = pg->stored_lo; live && i <= pg->stored_hi; i++)
				if (live[i] != priv[i])
					__atomic_store_n(&live[i], priv[i], __ATOMIC_RELEASE);
		}
		for (unsigned i = 0; i < ta->def.n; i++)
			if (*ta->def.e[i].word != ta->def.e[i].val && !txn_def_superseded(ta, i))
				__atomic_store_n(ta->def.e[i].word, ta->def.e[i].val, __ATOMIC_RELEASE);
		f->changed = false;
	}
	mirror_kernel_half(ta);
}

/* The one-entry calls' shortcuts; the sets, the shared kernel half, host
 * introspection and the mode itself: the engine's instantiation as a
 * paging mode. */
#include "pt_engine_one.h"
#include "pt_engine_mode.h"
