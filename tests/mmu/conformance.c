/*
 * Conformance suite of the MMU layer: the cases, written against
 * include/mmu.h and tests/mmu/harness.h alone, the way generic_pt's kunit
 * tests run once per format. They run in two harnesses:
 *
 *   - on the host (host_harness.c, `conformance [--mode LABEL] [--case
 *     NAME]`): for every mode the library lists (RISC-V modes with and
 *     without Svnapot), each case on a freshly selected mode, the
 *     reference walkers as the hardware;
 *   - in the kernel (kernel_harness.c, mmu_conformance_tests()): on the
 *     mode the kernel runs, next to its live address space, the MMU
 *     itself as the hardware.
 *
 * Each case must leave the table pages at the baseline once its sets are
 * removed. A failure says mode, case, what was checked, expected and got.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>              /* snprintf, vsnprintf: no output */
#include <string.h>

#include "harness.h"

#define R MMU_READ
#define W MMU_WRITE
#define X MMU_EXEC
#define U MMU_USER

#define NSETS 6

struct ctx {
	struct hx_mode env;
	const char *name;            /* the case */
	unsigned fails;
	const char *skipped;         /* the case cannot run in this harness: why */
	size_t baseline;             /* hx_tables_in_use() before the case */
	vaddr_t kwin;                /* where the case puts global entries */
	struct mmu_stats st;         /* stats()' result */
	mmu_translation_set_t sets[NSETS];
	bool live[NSETS];
	unsigned orders[40];         /* every native order, then composed ones */
	unsigned norders;
	unsigned big;                /* largest native order up to 1 GiB */
};

static void failf(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hx_fail(c->env.label, c->name, msg);
	c->fails++;
}

/* Return code check: says what, expected and got. */
#define EXPECT_RC(c, got, want, ...) expect_rc(c, got, want, __VA_ARGS__)
static bool expect_rc(struct ctx *c, int got, int want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool expect_rc(struct ctx *c, int got, int want, const char *fmt, ...)
{
	if (got == want)
		return true;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	failf(c, "%s: expected %d, got %d", what, want, got);
	return false;
}

static uint64_t sz(const struct ctx *c, unsigned order)
{
	return (uint64_t)1 << (c->env.geo.page_shift + order);
}

static bool native(const struct ctx *c, unsigned order)
{
	return order < 64 && (c->env.geo.native_orders >> order & 1);
}

/* A user-half va for an entry of this order: slot k of its size, above
 * the first slot so that va 0 stays unused, unless the order is so big
 * that only slot 0 fits. */
static vaddr_t uva(const struct ctx *c, unsigned order, unsigned k)
{
	uint64_t size = sz(c, order);
	if (size > c->env.user_top / 4)
		return (vaddr_t)k * size;
	return (vaddr_t)(k + 1) * size;
}

/* A kernel-half va for a global entry of this order, in the case's
 * window (the start of the kernel half on the host). */
static vaddr_t kva(const struct ctx *c, unsigned order, unsigned k)
{
	return c->kwin + (vaddr_t)(k + 1) * sz(c, order);
}

/* A physical address aligned to the order, different for each k. */
static paddr_t pa_for(const struct ctx *c, unsigned order, unsigned k)
{
	return hx_pa(&c->env, order, k);
}

/* A memory type the cases use: as asked where the CPU encodes memory
 * types, normal memory where it has none (RISC-V without Svpbmt). */
static enum mmu_memtype mtype(const struct ctx *c, enum mmu_memtype want)
{
	return c->env.memtypes ? want : MMU_MEM_NORMAL;
}

static mmu_entry_t ent(paddr_t pa, unsigned prot, unsigned order)
{
	return mmu_mksize(mmu_mkentry(pa, prot), order);
}

/* A free slot in c->sets, or -1 after a failure. */
static int free_slot(struct ctx *c)
{
	for (int i = 0; i < NSETS; i++)
		if (!c->live[i])
			return i;
	failf(c, "test bug: more than %d sets", NSETS);
	return -1;
}

static mmu_translation_set_t *new_set(struct ctx *c)
{
	int i = free_slot(c);
	if (i < 0 || !EXPECT_RC(c, mmu_new_translation_set(&c->sets[i]), 0, "mmu_new_translation_set"))
		return NULL;
	c->live[i] = true;
	return &c->sets[i];
}

static mmu_translation_set_t *dup_set(struct ctx *c, mmu_translation_set_t *src)
{
	int i = free_slot(c);
	if (i < 0 || !EXPECT_RC(c, mmu_dup_translation_set(&c->sets[i], src), 0, "mmu_dup_translation_set"))
		return NULL;
	c->live[i] = true;
	return &c->sets[i];
}

static void drop_set(struct ctx *c, mmu_translation_set_t *t)
{
	int i = (int)(t - c->sets);
	hx_set_gone(t);
	mmu_remove_translation_set(t);
	c->live[i] = false;
}

/* t's statistics, less what an empty set translates before the case
 * (hx_mode.empty: the kernel's own global entries), so that the cases
 * count only their own entries. In the context, not returned by value:
 * each by-value temporary would cost a kernel stack its own copy. Valid
 * until the next call. */
static const struct mmu_stats *stats(struct ctx *c, mmu_translation_set_t *t)
{
	struct mmu_stats *st = &c->st;
	mmu_stats(t, st);
	for (int k = 0; k < 64; k++)
		st->entries[k] -= c->env.empty.entries[k];
	for (int k = 0; k < 8; k++)
		st->counters[k] -= c->env.empty.counters[k];
	st->mapped_bytes -= c->env.empty.mapped_bytes;
	return st;
}

static struct hx_snap take(mmu_translation_set_t *t)
{
	struct hx_snap s;
	hx_snap_take(t, &s);
	return s;
}

/* The set's tables and the table pages in use are as in s. */
static void expect_same(struct ctx *c, mmu_translation_set_t *t, struct hx_snap *s, const char *what)
{
	struct hx_snap now = take(t);
	if (!hx_snap_same(&now, s))
		failf(c, "%s: %s differ from before (size %zu before, %zu now)", what, hx_snap_what,
		      s->len, now.len);
	if (now.tables != s->tables)
		failf(c, "%s: table pages in use expected %zu, got %zu", what, s->tables, now.tables);
	hx_snap_drop(&now);
}

static void drop_snap(struct hx_snap *s)
{
	hx_snap_drop(s);
}

/* What an entry must look like. */
struct want {
	vaddr_t va;
	paddr_t pa;
	unsigned order, prot, memtype;
	bool global;
};

static struct want want_of(vaddr_t va, paddr_t pa, unsigned order, unsigned prot)
{
	return (struct want){ .va = va, .pa = pa, .order = order, .prot = prot };
}

/* mmu_find at va reports w, and w becomes current. */
static bool expect_find_at(struct ctx *c, mmu_transaction_t *ta, const struct want *w,
                           vaddr_t va, const char *what)
{
	mmu_entry_t got;
	int rc = mmu_find(ta, va, &got);
	if (!EXPECT_RC(c, rc, 0, "%s: mmu_find(%#" PRIx64 ")", what, va))
		return false;
	vaddr_t base = mmu_current_va(ta);
	if (base != w->va || mmu_entry_order(got) != w->order || mmu_entry_pa(got) != w->pa ||
	    mmu_entry_prot(got) != w->prot || mmu_entry_memtype(got) != w->memtype ||
	    mmu_entry_global(got) != w->global) {
		failf(c, "%s: mmu_find(%#" PRIx64 "): expected va %#" PRIx64 " order %u pa %#" PRIx64
		      " prot %#x memtype %u global %d, got va %#" PRIx64 " order %u pa %#" PRIx64
		      " prot %#x memtype %u global %d", what, va,
		      w->va, w->order, w->pa, w->prot, w->memtype, w->global,
		      base, mmu_entry_order(got), mmu_entry_pa(got), mmu_entry_prot(got),
		      mmu_entry_memtype(got), mmu_entry_global(got));
		return false;
	}
	return true;
}

/* The hardware at one byte of committed state: pa where prot allows the
 * access, a fault everywhere else. */
static bool expect_walk_at(struct ctx *c, mmu_translation_set_t *t, vaddr_t va, paddr_t pa,
                           unsigned prot, const char *what)
{
	char why[256];
	if (hx_hw_check(t, va, true, pa, prot, why, sizeof(why)))
		return true;
	failf(c, "%s: %s", what, why);
	return false;
}

static bool expect_walk_fault(struct ctx *c, mmu_translation_set_t *t, vaddr_t va, const char *what)
{
	char why[256];
	if (hx_hw_check(t, va, false, 0, 0, why, sizeof(why)))
		return true;
	failf(c, "%s: %s", what, why);
	return false;
}

/* w through a transaction: mmu_find at its first, middle and last base
 * page reports it; mmu_current_va is its base. */
static bool expect_entry_ta(struct ctx *c, mmu_transaction_t *ta, const struct want *w, const char *what)
{
	uint64_t size = sz(c, w->order), page = sz(c, 0);
	vaddr_t at[3] = { w->va, w->va + size / page / 2 * page, w->va + size - page };
	for (int k = 0; k < 3; k++)
		if (!expect_find_at(c, ta, w, at[k], what))
			return false;
	return true;
}

/* w committed in t: as above through a read-only transaction, and the
 * walker at its first, middle and last byte. */
static bool expect_entry(struct ctx *c, mmu_translation_set_t *t, const struct want *w, const char *what)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	bool ok = expect_entry_ta(c, &ta, w, what);
	mmu_forget(&ta);
	uint64_t size = sz(c, w->order);
	uint64_t off[3] = { 0, size / 2 + 0x28, size - 1 };
	for (int k = 0; ok && k < 3; k++)
		ok = expect_walk_at(c, t, w->va + off[k], w->pa + off[k], w->prot, what);
	return ok;
}

/* Nothing at va: mmu_find says -ENOENT (through ta, or a read-only
 * transaction when ta is NULL, which also asks the walker). */
static bool expect_unmapped(struct ctx *c, mmu_translation_set_t *t, mmu_transaction_t *ta,
                            vaddr_t va, const char *what)
{
	mmu_transaction_t ro;
	if (!ta) {
		mmu_transaction(&ro, t);
	}
	mmu_entry_t got;
	int rc = mmu_find(ta ? ta : &ro, va, &got);
	if (!ta)
		mmu_forget(&ro);
	if (!EXPECT_RC(c, rc, -ENOENT, "%s: mmu_find(%#" PRIx64 ") of an unmapped va", what, va))
		return false;
	return ta || expect_walk_fault(c, t, va, what);
}

static int add_commit(mmu_translation_set_t *t, mmu_entry_t e, vaddr_t va)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	int rc = mmu_add(&ta, e, va);
	if (rc) {
		mmu_forget(&ta);
		return rc;
	}
	return mmu_commit(&ta);
}

static int remove_commit(mmu_translation_set_t *t, vaddr_t va)
{
	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	int rc = mmu_find(&ta, va, &got);
	if (!rc)
		rc = mmu_remove(&ta);
	if (rc) {
		mmu_forget(&ta);
		return rc;
	}
	return mmu_commit(&ta);
}

/* Every native order, then composed ones: the smallest non-native ones, one
 * above each native up to 1 GiB, one just below the largest native up to
 * 1 GiB, and one above the largest native of all. */
static void pick_orders(struct ctx *c)
{
	const struct mmu_geometry *g = &c->env.geo;
	unsigned top = 0;
	c->norders = 0;
	c->big = 0;
	for (unsigned k = 0; k <= g->max_order && k < 64; k++) {
		if (!native(c, k))
			continue;
		c->orders[c->norders++] = top = k;
		if (g->page_shift + k <= 30)
			c->big = k;
	}
	unsigned composed[16], n = 0;
	for (unsigned k = 1; k <= 3 && k <= g->max_order; k++)
		composed[n++] = k;
	for (unsigned i = 0; i < c->norders && n < 12; i++) {
		unsigned k = c->orders[i] + 1;
		if (g->page_shift + k <= 31 && k <= g->max_order)
			composed[n++] = k;
	}
	if (c->big >= 2)
		composed[n++] = c->big - 1;
	if (top + 1 <= g->max_order)
		composed[n++] = top + 1;
	for (unsigned i = 0; i < n; i++) {
		bool seen = native(c, composed[i]);
		for (unsigned j = c->norders; j < c->norders && !seen; j++)
			seen = c->orders[j] == composed[i];
		for (unsigned j = 0; j < c->norders && !seen; j++)
			seen = c->orders[j] == composed[i];
		if (!seen)
			c->orders[c->norders++] = composed[i];
	}
}

/* ======================================================================== */
/* Cases                                                                    */
/* ======================================================================== */

/* label runs the page sizes of configuration cfg: it is cfg, or cfg
 * without memory types (-nopbmt), which changes no size. */
static bool same_sizes(const char *label, const char *cfg)
{
	size_t n = strlen(cfg);
	return !strncmp(label, cfg, n) && (!label[n] || !strcmp(label + n, "-nopbmt"));
}

/* Mode list, selection rules and the geometry of the mode. */
static void case_geometry(struct ctx *c)
{
	static const char *const hw[] = {
		"sv39", "sv48", "sv57", "arm64-4k-48", "arm64-16k-48", "arm64-64k-48",
		"arm64-4k-52", "arm64-16k-52", "arm64-64k-52", "x86-64-4level", "x86-64-5level",
		"radix-6level", "hashed",
	};
	size_t n = mmu_mode_count(), nhw = sizeof(hw) / sizeof(hw[0]);
	if (c->env.every_mode) {
		if (n < nhw)
			failf(c, "mmu_mode_count: expected at least %zu, got %zu", nhw, n);
		for (size_t i = 0; i < nhw && i < n; i++)
			if (!mmu_mode_name(i) || strcmp(mmu_mode_name(i), hw[i]) != 0)
				failf(c, "mmu_mode_name(%zu): expected \"%s\", got \"%s\"", i, hw[i],
				      mmu_mode_name(i) ? mmu_mode_name(i) : "(null)");
	} else {
		/* One arch's modes (the kernel's): known names, in the order
		 * of the full list, the current one among them. */
		size_t at = 0;
		bool current = false;
		if (n < 1)
			failf(c, "mmu_mode_count: expected at least 1, got %zu", n);
		for (size_t i = 0; i < n; i++) {
			const char *name = mmu_mode_name(i);
			while (name && at < nhw && strcmp(name, hw[at]) != 0)
				at++;
			if (!name || at == nhw)
				failf(c, "mmu_mode_name(%zu): expected a mode of the list, after the previous one, got \"%s\"",
				      i, name ? name : "(null)");
			else
				current |= !strcmp(name, mmu_current_mode());
		}
		if (!current)
			failf(c, "mmu_current_mode \"%s\" is not among the modes mmu_mode_name lists", mmu_current_mode());
	}

	const struct mmu_geometry *g = &c->env.geo;
	if (g->max_order != g->va_bits - 1 - g->page_shift)
		failf(c, "max_order: expected va_bits - 1 - page_shift = %u, got %" PRIu64,
		      g->va_bits - 1 - g->page_shift, g->max_order);
	if (!(g->native_orders & 1))
		failf(c, "native_orders %#" PRIx64 ": the base page (order 0) must be native", g->native_orders);
	if (g->max_order < 63 && g->native_orders >> (g->max_order + 1))
		failf(c, "native_orders %#" PRIx64 ": orders above max_order %" PRIu64,
		      g->native_orders, g->max_order);

	/* The formats whose native sizes the issue spells out. */
	static const struct { const char *label; uint64_t orders; } natives[] = {
		{ "sv39", 1u << 0 | 1u << 4 | 1u << 9 | 1u << 18 },
		{ "sv39-nonapot", 1u << 0 | 1u << 9 | 1u << 18 },
		{ "sv48", 1u << 0 | 1u << 4 | 1u << 9 | 1u << 18 | 1u << 27 },
		{ "sv48-nonapot", 1u << 0 | 1u << 9 | 1u << 18 | 1u << 27 },
		{ "sv57", 1u << 0 | 1u << 4 | 1u << 9 | 1u << 18 | 1u << 27 | (uint64_t)1 << 36 },
		{ "sv57-nonapot", 1u << 0 | 1u << 9 | 1u << 18 | 1u << 27 | (uint64_t)1 << 36 },
		{ "arm64-4k-48", 1u << 0 | 1u << 4 | 1u << 9 | 1u << 13 | 1u << 18 | 1u << 22 },
		{ "arm64-16k-48", 1u << 0 | 1u << 7 | 1u << 11 | 1u << 16 },
		{ "arm64-64k-48", 1u << 0 | 1u << 5 | 1u << 13 | 1u << 18 },
		{ "x86-64-4level", 1u << 0 | 1u << 9 | 1u << 18 },
		{ "x86-64-5level", 1u << 0 | 1u << 9 | 1u << 18 },
		/* The kernel on a CPU without 1-GByte pages (qemu64). */
		{ "x86-64-4level-no1g", 1u << 0 | 1u << 9 },
		{ "x86-64-5level-no1g", 1u << 0 | 1u << 9 },
	};
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (same_sizes(c->env.label, natives[i].label) && g->native_orders != natives[i].orders)
			failf(c, "native_orders: expected %#" PRIx64 ", got %#" PRIx64,
			      natives[i].orders, g->native_orders);

	EXPECT_RC(c, mmu_select_mode("no-such-mode"), -ENOTSUP, "mmu_select_mode(\"no-such-mode\")");
	if (strcmp(mmu_current_mode(), c->env.name) != 0)
		failf(c, "a refused mmu_select_mode changed the mode: expected %s, got %s",
		      c->env.name, mmu_current_mode());
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	EXPECT_RC(c, mmu_select_mode(c->env.name), -EBUSY, "mmu_select_mode with a set alive");
	EXPECT_RC(c, mmu_select_mode(mmu_mode_name(0)), -EBUSY, "mmu_select_mode(other) with a set alive");
	struct mmu_stats st = *stats(c, t);
	for (int k = 0; k < 64; k++)
		if (st.entries[k])
			failf(c, "a new set: entries[%d] expected 0, got %" PRIu64, k, st.entries[k]);
	if (st.mapped_bytes || st.tlb_flushes)
		failf(c, "a new set: mapped_bytes/tlb_flushes expected 0/0, got %" PRIu64 "/%" PRIu64,
		      st.mapped_bytes, st.tlb_flushes);
	if (st.table_pages != hx_tables_in_use() - c->baseline)
		failf(c, "a new set: table_pages expected the pages it added (%zu), got %" PRIu64,
		      hx_tables_in_use() - c->baseline, st.table_pages);
}

/* Every order: mapped, found, translated, updated, removed. */
static void case_orders(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	for (unsigned i = 0; i < c->norders; i++) {
		unsigned o = c->orders[i];
		char what[64];
		snprintf(what, sizeof(what), "order %u%s", o, native(c, o) ? "" : " (composed)");
		struct want w = want_of(uva(c, o, 1), pa_for(c, o, 0), o, R | W);
		mmu_transaction_t ta;
		mmu_transaction(&ta, t);
		int rc = mmu_add(&ta, ent(w.pa, w.prot, o), w.va);
		if (!EXPECT_RC(c, rc, 0, "%s: mmu_add at %#" PRIx64, what, w.va)) {
			mmu_forget(&ta);
			continue;
		}
		if (mmu_current_va(&ta) != w.va)
			failf(c, "%s: mmu_current_va after mmu_add: expected %#" PRIx64 ", got %#" PRIx64,
			      what, w.va, mmu_current_va(&ta));
		expect_entry_ta(c, &ta, &w, what);
		/* Not visible to the walker before the commit. */
		expect_walk_fault(c, t, w.va, what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: mmu_commit", what);
		expect_entry(c, t, &w, what);
		struct mmu_stats st = *stats(c, t);
		if (st.entries[o] != 1 || st.mapped_bytes != sz(c, o))
			failf(c, "%s: stats entries[%u]/mapped_bytes expected 1/%#" PRIx64 ", got %" PRIu64 "/%#" PRIx64,
			      what, o, sz(c, o), st.entries[o], st.mapped_bytes);
		/* The neighbours stay unmapped. */
		if (w.va >= sz(c, 0))
			expect_unmapped(c, t, NULL, w.va - sz(c, 0), what);
		expect_unmapped(c, t, NULL, w.va + sz(c, o), what);

		/* Update prot, memtype and pa in place. */
		mmu_entry_t got;
		mmu_transaction(&ta, t);
		struct want u = w;
		u.prot = R | X | U;
		u.memtype = mtype(c, MMU_MEM_UNCACHED);
		u.pa = pa_for(c, o, 1);
		rc = mmu_find(&ta, w.va + sz(c, o) - 1, &got);
		if (EXPECT_RC(c, rc, 0, "%s: mmu_find of the last byte", what)) {
			rc = mmu_update(&ta, mmu_mkmemtype(ent(u.pa, u.prot, o), u.memtype));
			EXPECT_RC(c, rc, 0, "%s: mmu_update prot/memtype/pa", what);
		}
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: mmu_commit of the update", what);
		expect_entry(c, t, &u, what);

		/* Remove. */
		EXPECT_RC(c, remove_commit(t, w.va + sz(c, o) / 2), 0, "%s: remove", what);
		expect_unmapped(c, t, NULL, w.va, what);
		expect_unmapped(c, t, NULL, w.va + sz(c, o) - sz(c, 0), what);
		st = *stats(c, t);
		if (st.entries[o] != 0 || st.mapped_bytes != 0)
			failf(c, "%s: stats after remove: entries/mapped_bytes expected 0/0, got %" PRIu64 "/%#" PRIx64,
			      what, st.entries[o], st.mapped_bytes);
	}
}

/* Split with mmu_update at a smaller order, then merge back. */
static void split_one(struct ctx *c, mmu_translation_set_t *t, unsigned from, unsigned to)
{
	char what[64];
	snprintf(what, sizeof(what), "split order %u -> %u", from, to);
	uint64_t big = sz(c, from), small = sz(c, to);
	struct want w = want_of(uva(c, from, 1), pa_for(c, from, 0), from, R | W | U);
	w.memtype = mtype(c, MMU_MEM_DEVICE);
	if (!EXPECT_RC(c, add_commit(t, mmu_mkmemtype(ent(w.pa, w.prot, from), w.memtype), w.va), 0,
	               "%s: add", what))
		return;
	/* The piece holding the address last given to mmu_find becomes the
	 * new entry: pick one in the second half, not at a piece boundary. */
	uint64_t pieces = big / small;
	uint64_t idx = pieces * 3 / 4;
	vaddr_t probe = w.va + idx * small + small / 2;
	struct want n = want_of(w.va + idx * small, pa_for(c, to, 7), to, R);
	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	int rc = mmu_find(&ta, probe, &got);
	if (EXPECT_RC(c, rc, 0, "%s: mmu_find", what))
		rc = mmu_update(&ta, ent(n.pa, n.prot, to));
	if (!EXPECT_RC(c, rc, 0, "%s: mmu_update to the smaller order", what)) {
		mmu_forget(&ta);
		remove_commit(t, w.va);
		return;
	}
	if (mmu_current_va(&ta) != n.va)
		failf(c, "%s: the current entry after the split: expected %#" PRIx64 ", got %#" PRIx64,
		      what, n.va, mmu_current_va(&ta));
	EXPECT_RC(c, mmu_commit(&ta), 0, "%s: mmu_commit", what);
	expect_entry(c, t, &n, what);
	/* Every other piece keeps its translation, as an entry of order `to`. */
	for (uint64_t i = 0; i < pieces && !c->fails; i++) {
		if (i == idx)
			continue;
		struct want p = w;
		p.va = w.va + i * small;
		p.pa = w.pa + i * small;
		p.order = to;
		expect_entry(c, t, &p, what);
	}
	struct mmu_stats st = *stats(c, t);
	if (st.entries[to] != pieces || st.entries[from] != 0 || st.mapped_bytes != big)
		failf(c, "%s: stats entries[%u]/entries[%u]/mapped_bytes expected %" PRIu64 "/0/%#" PRIx64
		      ", got %" PRIu64 "/%" PRIu64 "/%#" PRIx64, what, to, from, pieces, big,
		      st.entries[to], st.entries[from], st.mapped_bytes);

	/* Merge back: refused while the rest of the range is mapped... */
	mmu_transaction(&ta, t);
	rc = mmu_find(&ta, n.va, &got);
	if (EXPECT_RC(c, rc, 0, "%s: mmu_find of the new piece", what))
		EXPECT_RC(c, mmu_update(&ta, mmu_mkmemtype(ent(w.pa, w.prot, from), w.memtype)),
		          -EEXIST, "%s: merge back over the other pieces", what);
	/* ...and allowed once they are gone. */
	for (uint64_t i = 0; i < pieces; i++) {
		if (i == idx)
			continue;
		rc = mmu_find(&ta, w.va + i * small, &got);
		if (rc == 0)
			rc = mmu_remove(&ta);
		if (!EXPECT_RC(c, rc, 0, "%s: removing piece %" PRIu64, what, i))
			break;
	}
	rc = mmu_find(&ta, n.va + small - 1, &got);
	if (EXPECT_RC(c, rc, 0, "%s: mmu_find of the last piece", what))
		EXPECT_RC(c, mmu_update(&ta, mmu_mkmemtype(ent(w.pa, w.prot, from), w.memtype)), 0,
		          "%s: merge back into order %u", what, from);
	if (mmu_current_va(&ta) != w.va)
		failf(c, "%s: the current entry after the merge: expected %#" PRIx64 ", got %#" PRIx64,
		      what, w.va, mmu_current_va(&ta));
	EXPECT_RC(c, mmu_commit(&ta), 0, "%s: mmu_commit of the merge", what);
	expect_entry(c, t, &w, what);
	st = *stats(c, t);
	if (st.entries[to] != 0 || st.entries[from] != 1 || st.mapped_bytes != big)
		failf(c, "%s: stats after the merge entries[%u]/entries[%u]/mapped_bytes expected 0/1/%#" PRIx64
		      ", got %" PRIu64 "/%" PRIu64 "/%#" PRIx64, what, to, from, big,
		      st.entries[to], st.entries[from], st.mapped_bytes);
	EXPECT_RC(c, remove_commit(t, w.va), 0, "%s: remove", what);
}

static void case_split(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	/* Every order up to 1 GiB into a few smaller ones, at most 512
	 * pieces each: the next smaller order, the base page, and a native
	 * one below. */
	for (unsigned i = 0; i < c->norders && !c->fails; i++) {
		unsigned from = c->orders[i];
		if (from == 0 || c->env.geo.page_shift + from > 31)
			continue;
		unsigned to[3] = { from - 1, 0, 0 };
		for (unsigned k = from - 1; k > 0; k--)
			if (native(c, k)) {
				to[2] = k;
				break;
			}
		for (int j = 0; j < 3; j++) {
			if (from - to[j] > 9 || (j > 0 && (to[j] == to[0] || (j == 2 && to[2] == to[1]))))
				continue;
			split_one(c, t, from, to[j]);
		}
	}
}

/* Permissions against the walker, and memory types. */
static void case_permissions(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	static const unsigned good[] = { R, R | W, R | X, R | W | X };
	unsigned orders[2] = { 0, c->big };
	for (int oi = 0; oi < 2; oi++) {
		unsigned o = orders[oi];
		for (size_t p = 0; p < 2 * sizeof(good) / sizeof(good[0]); p++) {
			unsigned prot = good[p / 2] | (p % 2 ? U : 0);
			struct want w = want_of(uva(c, o, (unsigned)p), pa_for(c, o, (unsigned)p), o, prot);
			if (!EXPECT_RC(c, add_commit(t, ent(w.pa, prot, o), w.va), 0,
			               "mmu_add order %u prot %#x", o, prot))
				continue;
			expect_entry(c, t, &w, "permissions");
			remove_commit(t, w.va);
		}
	}
	/* Execute-only: the mode may refuse it; if it takes it, the walker
	 * must agree (exec allowed, read faults). */
	for (unsigned user = 0; user <= U; user += U) {
		struct want w = want_of(uva(c, 0, 1), pa_for(c, 0, 1), 0, X | user);
		int rc = add_commit(t, ent(w.pa, w.prot, 0), w.va);
		if (rc == 0) {
			expect_entry(c, t, &w, "execute-only");
			remove_commit(t, w.va);
		} else if (rc != -EINVAL) {
			failf(c, "mmu_add execute-only prot %#x: expected 0 or %d, got %d", w.prot, -EINVAL, rc);
		}
	}
	/* Protections no hardware expresses. */
	static const unsigned bad[] = { 0, W, W | X, U, W | U, W | X | U };
	for (size_t p = 0; p < sizeof(bad) / sizeof(bad[0]); p++)
		EXPECT_RC(c, add_commit(t, ent(pa_for(c, 0, 0), bad[p], 0), uva(c, 0, 1)), -EINVAL,
		          "mmu_add prot %#x", bad[p]);

	/* Memory types read back, are encoded (the raw tables differ), and
	 * do not change the translation; a CPU without memory types refuses
	 * all but normal memory, and nothing changes. */
	struct hx_snap s[3];
	struct want w = want_of(uva(c, 0, 1), pa_for(c, 0, 0), 0, R | W);
	for (unsigned mt = MMU_MEM_NORMAL; mt <= MMU_MEM_UNCACHED; mt++) {
		w.memtype = mt;
		mmu_entry_t e = mmu_mkmemtype(ent(w.pa, w.prot, 0), (enum mmu_memtype)mt);
		if (mt != mtype(c, (enum mmu_memtype)mt)) {
			s[mt] = take(t);
			EXPECT_RC(c, add_commit(t, e, w.va), -EINVAL, "mmu_add memtype %u without memory types", mt);
			expect_same(c, t, &s[mt], "a refused memory type");
			expect_unmapped(c, t, NULL, w.va, "a refused memory type");
			continue;
		}
		EXPECT_RC(c, add_commit(t, e, w.va), 0, "mmu_add memtype %u", mt);
		expect_entry(c, t, &w, "memtype");
		s[mt] = take(t);
		remove_commit(t, w.va);
	}
	for (unsigned a = 0; a < 3 && c->env.memtypes; a++)
		for (unsigned b = a + 1; b < 3; b++)
			if (hx_snap_same(&s[a], &s[b]))
				failf(c, "memtypes %u and %u: expected different %s, got identical ones", a, b, hx_snap_what);
	for (unsigned mt = 0; mt < 3; mt++)
		drop_snap(&s[mt]);
	EXPECT_RC(c, add_commit(t, mmu_mkmemtype(ent(w.pa, R, 0), (enum mmu_memtype)3), w.va), -EINVAL,
	          "mmu_add memtype 3");
}

struct scan_log {
	struct ctx *c;
	unsigned n;
	vaddr_t va[16];
	unsigned order[16];
	paddr_t pa[16];
	bool make_ro;
};

static mmu_entry_t scan_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct scan_log *log = priv;
	if (log->n < 16) {
		log->va[log->n] = va;
		log->order[log->n] = mmu_entry_order(e);
		log->pa[log->n] = mmu_entry_pa(e);
	}
	log->n++;
	return log->make_ro ? mmu_mkprot(e, mmu_entry_prot(e) & ~W) : e;
}

/* No translation of these sets that the walker saw is still cached
 * differently from the tables (hx_tlb_stale). */
static void expect_tlb_fresh(struct ctx *c, mmu_translation_set_t **sets, const char *const *names,
                             int n, const char *after)
{
	for (int s = 0; s < n; s++) {
		int stale = hx_tlb_stale(sets[s]);
		if (stale)
			failf(c, "%s, after %s: %d stale TLB entries (the first is on stderr)", names[s],
			      after, stale);
	}
}

/* A global entry added through A is in B (created before) and C (after),
 * in tables none of them copies; removing it removes it everywhere. */
static void case_globals(struct ctx *c)
{
	mmu_translation_set_t *a = new_set(c), *b = new_set(c);
	if (!a || !b)
		return;
	uint64_t b_pages = stats(c, b)->table_pages;
	unsigned orders[3] = { 0, c->big, c->orders[c->norders - 1] };
	struct want w[3];
	for (int i = 0; i < 3; i++) {
		unsigned o = orders[i];
		if (sz(c, o) > c->env.user_top / 8)
			o = c->big;
		w[i] = want_of(kva(c, o, (unsigned)(4 * i + 1)), pa_for(c, o, (unsigned)i), o, i == 1 ? R | X : R | W);
		w[i].global = true;
		/* keep the three apart */
		if (i && w[i].va < w[i - 1].va + sz(c, w[i - 1].order))
			w[i].va = (w[i - 1].va + sz(c, w[i - 1].order) + sz(c, o)) & ~(sz(c, o) - 1);
		EXPECT_RC(c, add_commit(a, mmu_mkglobal(ent(w[i].pa, w[i].prot, o)), w[i].va), 0,
		          "global order %u: mmu_add at %#" PRIx64, o, w[i].va);
	}
	mmu_translation_set_t *cc = new_set(c);
	if (!cc)
		return;
	mmu_translation_set_t *all[3] = { a, b, cc };
	const char *names[3] = { "global in A", "global in B (older)", "global in C (newer)" };
	/* Each set's view of the globals was walked (and cached in the host's
	 * TLB): a kernel-half change through one set must drop them for all. */
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < 3; i++)
			expect_entry(c, all[s], &w[i], names[s]);
	/* Every set counts the global entries it translates (the MMU
	 * engineer's reading of the contract), in entries and bytes. */
	uint64_t gbytes = 0, gentries[64] = { 0 };
	for (int i = 0; i < 3; i++)
		gbytes += sz(c, w[i].order), gentries[w[i].order]++;
	for (int s = 0; s < 3; s++) {
		struct mmu_stats st = *stats(c, all[s]);
		if (st.mapped_bytes != gbytes || memcmp(st.entries, gentries, sizeof(gentries)) != 0)
			failf(c, "%s: stats mapped_bytes expected %#" PRIx64 " (the globals), got %#" PRIx64
			      " (or entries[] differ)", names[s], gbytes, st.mapped_bytes);
	}
	if (stats(c, b)->table_pages != b_pages)
		failf(c, "global entries copied into B: table_pages expected %" PRIu64 ", got %" PRIu64,
		      b_pages, stats(c, b)->table_pages);
	if (stats(c, cc)->table_pages != b_pages)
		failf(c, "global entries copied into C: table_pages expected %" PRIu64 " (an empty set's), got %" PRIu64,
		      b_pages, stats(c, cc)->table_pages);
	/* Bad halves. */
	EXPECT_RC(c, add_commit(a, mmu_mkglobal(ent(pa_for(c, 0, 0), R, 0)), uva(c, 0, 1)), -EINVAL,
	          "mmu_add global in the user half");
	EXPECT_RC(c, add_commit(a, ent(pa_for(c, 0, 0), R, 0), kva(c, 0, 0)), -EINVAL,
	          "mmu_add non-global in the kernel half");
	EXPECT_RC(c, add_commit(a, mmu_mkglobal(ent(pa_for(c, 0, 0), R | U, 0)), kva(c, 0, 0)), -EINVAL,
	          "mmu_add global MMU_USER in the kernel half");
	/* mmu_scan of the kernel half from B reports each global once, and
	 * what it changes there is changed in every set (shared, not copied). */
	struct scan_log log = { .c = c, .make_ro = true };
	vaddr_t kend = w[2].va + sz(c, w[2].order);
	EXPECT_RC(c, mmu_scan(b, c->kwin, kend, scan_fn, &log), 0, "mmu_scan of the globals from B");
	if (log.n != 3)
		failf(c, "mmu_scan of the globals from B: expected 3 calls, got %u", log.n);
	expect_tlb_fresh(c, all, names, 3, "mmu_scan through B removed write");
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < 3; i++) {
			struct want ro = w[i];
			ro.prot &= ~W;
			expect_entry(c, all[s], &ro, "global after mmu_scan through B removed write");
		}
	if (stats(c, b)->table_pages != b_pages)
		failf(c, "mmu_scan of the globals from B: table_pages of B expected %" PRIu64 ", got %" PRIu64,
		      b_pages, stats(c, b)->table_pages);

	/* Removing through the newest set removes it everywhere. */
	for (int i = 0; i < 3; i++)
		EXPECT_RC(c, remove_commit(cc, w[i].va), 0, "remove global %d through C", i);
	expect_tlb_fresh(c, all, names, 3, "removing the globals through C");
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < 3; i++)
			expect_unmapped(c, all[s], NULL, w[i].va, names[s]);
}

/* A few entries of several orders, some counted, in t. */
static unsigned populate(struct ctx *c, mmu_translation_set_t *t, struct want *w, unsigned max)
{
	unsigned n = 0;
	unsigned list[4] = { 0, c->big, c->orders[c->norders - 2], 3 };
	vaddr_t va = uva(c, c->big, 2);
	for (unsigned i = 0; i < 4 && n < max; i++) {
		unsigned o = list[i];
		if (o > c->big + 1)
			o = c->big + 1 <= c->env.geo.max_order ? c->big + 1 : c->big;
		va = (va + sz(c, o) - 1) & ~(sz(c, o) - 1);
		w[n] = want_of(va, pa_for(c, o, i), o, i % 2 ? R | W | U : R | X);
		w[n].memtype = mtype(c, (enum mmu_memtype)(i % 3));
		mmu_entry_t e = mmu_mkmemtype(ent(w[n].pa, w[n].prot, o), (enum mmu_memtype)w[n].memtype);
		if (!EXPECT_RC(c, add_commit(t, mmu_mkcount(e, i), va), 0, "populate: order %u at %#" PRIx64, o, va))
			continue;
		va += sz(c, o) + sz(c, o);     /* leave a hole */
		n++;
	}
	return n;
}

static void case_dup(struct ctx *c)
{
	mmu_translation_set_t *a = new_set(c);
	if (!a)
		return;
	struct want w[4];
	unsigned n = populate(c, a, w, 4);
	mmu_translation_set_t *d = dup_set(c, a);
	if (!d)
		return;
	for (unsigned i = 0; i < n; i++)
		expect_entry(c, d, &w[i], "dup");
	struct mmu_stats sa = *stats(c, a), sd = *stats(c, d);
	if (memcmp(sa.entries, sd.entries, sizeof(sa.entries)) || sa.mapped_bytes != sd.mapped_bytes ||
	    memcmp(sa.counters, sd.counters, sizeof(sa.counters)) || sa.table_pages != sd.table_pages)
		failf(c, "dup: stats differ from the source (mapped_bytes %#" PRIx64 " vs %#" PRIx64
		      ", table_pages %" PRIu64 " vs %" PRIu64 ")", sa.mapped_bytes, sd.mapped_bytes,
		      sa.table_pages, sd.table_pages);
	/* Independent: a change to one does not show in the other. */
	EXPECT_RC(c, remove_commit(a, w[0].va), 0, "remove from the source");
	expect_entry(c, d, &w[0], "dup after a remove in the source");
	struct want extra = want_of(uva(c, 0, 0), pa_for(c, 0, 5), 0, R);
	EXPECT_RC(c, add_commit(d, ent(extra.pa, extra.prot, 0), extra.va), 0, "add to the copy");
	expect_unmapped(c, a, NULL, extra.va, "source after an add to the copy");
	drop_set(c, a);
	for (unsigned i = 0; i < n; i++)
		expect_entry(c, d, &w[i], "dup after removing the source");
}

/* Every byte of [va, va + len) in t translates to pa + offset with prot,
 * walked at each base page's first and last byte (at most 1024 pages,
 * sampled beyond), and mmu_find reports aligned pieces inside
 * [lo, hi) translating alike. */
static void expect_range(struct ctx *c, mmu_translation_set_t *t, vaddr_t va, paddr_t pa, uint64_t len,
                         unsigned prot, unsigned memtype, const char *what)
{
	uint64_t page = sz(c, 0), pages = len / page;
	uint64_t step = pages > 1024 ? pages / 1024 : 1;
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	for (uint64_t i = 0; i < pages && !c->fails; i += step) {
		vaddr_t v = va + i * page;
		if (!expect_walk_at(c, t, v, pa + i * page, prot, what) ||
		    !expect_walk_at(c, t, v + page - 1, pa + i * page + page - 1, prot, what))
			break;
		mmu_entry_t got;
		int rc = mmu_find(&ta, v, &got);
		if (!EXPECT_RC(c, rc, 0, "%s: mmu_find(%#" PRIx64 ")", what, v))
			break;
		vaddr_t base = mmu_current_va(&ta);
		unsigned o = mmu_entry_order(got);
		uint64_t size = o <= c->env.geo.max_order ? sz(c, o) : 0;
		if (!size || base & (size - 1) || base < va || base + size > va + len ||
		    mmu_entry_pa(got) != pa + (base - va) || mmu_entry_prot(got) != prot ||
		    mmu_entry_memtype(got) != memtype) {
			failf(c, "%s: mmu_find(%#" PRIx64 "): expected an aligned piece of [%#" PRIx64 ", %#" PRIx64
			      ") -> %#" PRIx64 " prot %#x memtype %u, got va %#" PRIx64 " order %u pa %#" PRIx64
			      " prot %#x memtype %u", what, v, va, va + len, pa, prot, memtype, base, o,
			      mmu_entry_pa(got), mmu_entry_prot(got), mmu_entry_memtype(got));
			break;
		}
	}
	mmu_forget(&ta);
}

static void case_copy_range(struct ctx *c)
{
	mmu_translation_set_t *a = new_set(c), *b = new_set(c);
	if (!a || !b)
		return;
	struct want w[4];
	unsigned n = populate(c, a, w, 4);
	if (n < 4)
		return;
	uint64_t page = sz(c, 0);
	/* Same offsets: each entry copied as it is, counters included. */
	for (unsigned i = 0; i < n; i++) {
		struct mmu_stats before = *stats(c, b);
		int rc = mmu_copy_range(b, a, w[i].va, w[i].va, sz(c, w[i].order));
		if (!EXPECT_RC(c, rc, 0, "mmu_copy_range of entry %u (order %u)", i, w[i].order))
			continue;
		expect_entry(c, b, &w[i], "copy_range, same offset");
		struct mmu_stats after = *stats(c, b);
		uint64_t pages = sz(c, w[i].order) / page;
		if (after.counters[i] - before.counters[i] != pages)
			failf(c, "copy_range: counters[%u] expected +%" PRIu64 ", got +%" PRIu64,
			      i, pages, after.counters[i] - before.counters[i]);
		if (after.tlb_flushes - before.tlb_flushes != 1)
			failf(c, "copy_range: tlb_flushes expected +1, got +%" PRIu64,
			      after.tlb_flushes - before.tlb_flushes);
	}
	/* Into a mapped range: refused, nothing changed. */
	struct hx_snap s = take(b);
	EXPECT_RC(c, mmu_copy_range(b, a, w[1].va, w[1].va, sz(c, w[1].order)), -EEXIST,
	          "mmu_copy_range over mapped entries");
	expect_same(c, b, &s, "a refused mmu_copy_range");
	drop_snap(&s);

	/* Shifted so that the pieces must be smaller than the entry (one
	 * base page for small entries; 2^9 times smaller for big ones, to
	 * keep it at 512 pieces): every byte translates alike. */
	vaddr_t dst = uva(c, c->big, 2) + (vaddr_t)64 * sz(c, c->big);
	for (unsigned i = 1; i < n; i++) {
		uint64_t len = sz(c, w[i].order);
		uint64_t shift = w[i].order > 10 ? sz(c, w[i].order - 9) : page;
		dst = ((dst + 2 * len - 1) & ~(2 * len - 1)) + shift;
		int rc = mmu_copy_range(b, a, dst, w[i].va, len);
		if (!EXPECT_RC(c, rc, 0, "mmu_copy_range of entry %u to %#" PRIx64 " (shifted by %#" PRIx64 ")",
		               i, dst, shift))
			continue;
		expect_range(c, b, dst, w[i].pa, len, w[i].prot, w[i].memtype, "copy_range shifted");
		expect_unmapped(c, b, NULL, dst - page, "before a shifted copy");
		expect_unmapped(c, b, NULL, dst + len, "after a shifted copy");
		dst += len;
	}
	/* Part of an entry: only that part. */
	uint64_t part = sz(c, w[1].order) / 2;
	{
		vaddr_t pdst = dst + sz(c, c->big);
		pdst = (pdst + sz(c, w[1].order) - 1) & ~(sz(c, w[1].order) - 1);
		int rc = mmu_copy_range(b, a, pdst, w[1].va + part / 2 - part / 2 % page, part);
		if (EXPECT_RC(c, rc, 0, "mmu_copy_range of part of an entry"))
			expect_range(c, b, pdst, w[1].pa + (part / 2 - part / 2 % page), part, w[1].prot,
			             w[1].memtype, "copy_range of part of an entry");
	}
	/* Bad arguments. */
	EXPECT_RC(c, mmu_copy_range(b, a, uva(c, 0, 0), w[0].va, page + 1), -EINVAL,
	          "mmu_copy_range with a misaligned length");
	EXPECT_RC(c, mmu_copy_range(b, a, c->env.user_top, w[0].va, page), -ERANGE,
	          "mmu_copy_range to outside both halves");
}

/* Clearing ranges, including ones that straddle huge and composed
 * entries: what is left keeps its translation. */
static void case_clear_range(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	struct want w[4];
	unsigned n = populate(c, t, w, 4);
	if (n < 4)
		return;
	uint64_t page = sz(c, 0);
	/* w[0]: base page, w[1]: the big native, w[2]: composed or big,
	 * w[3]: composed order 3. */
	struct { unsigned e; uint64_t from, to; const char *what; } cuts[] = {
		{ 1, 0, 1, "the first page of the big entry" },
		{ 1, 5, 9, "pages in the middle of the big entry" },
		{ 2, 3, 0, "the tail of entry 2 and beyond" },
		{ 3, 0, 2, "the head of the composed order-3 entry" },
	};
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		/* Each cut on a fresh copy of the four entries. */
		if (k > 0) {
			EXPECT_RC(c, mmu_clear_range(t, 0, c->env.user_top), 0, "mmu_clear_range of the user half");
			if (populate(c, t, w, 4) < 4)
				return;
		}
		uint64_t mapped = stats(c, t)->mapped_bytes;
		const struct want *e = &w[cuts[k].e];
		uint64_t size = sz(c, e->order), pages = size / page;
		vaddr_t start = e->va + cuts[k].from * page;
		vaddr_t end = cuts[k].to ? e->va + cuts[k].to * page : e->va + size + page;
		if (cuts[k].to > pages || cuts[k].from >= pages)
			continue;
		uint64_t before_flushes = stats(c, t)->tlb_flushes;
		int rc = mmu_clear_range(t, start, end);
		if (!EXPECT_RC(c, rc, 0, "mmu_clear_range(%s)", cuts[k].what))
			continue;
		uint64_t cleared_end = end < e->va + size ? end : e->va + size;
		mapped -= cleared_end - start;
		/* What was cleared faults... */
		for (vaddr_t v = start; v < cleared_end; v += (cleared_end - start) / 4 > page ? (cleared_end - start) / 4 : page)
			expect_unmapped(c, t, NULL, v, cuts[k].what);
		expect_unmapped(c, t, NULL, cleared_end - page, cuts[k].what);
		/* ...the rest translates as before. */
		if (start > e->va)
			expect_range(c, t, e->va, e->pa, start - e->va, e->prot, e->memtype, cuts[k].what);
		if (cleared_end < e->va + size)
			expect_range(c, t, cleared_end, e->pa + (cleared_end - e->va), e->va + size - cleared_end,
			             e->prot, e->memtype, cuts[k].what);
		struct mmu_stats st = *stats(c, t);
		if (st.mapped_bytes != mapped)
			failf(c, "mmu_clear_range(%s): mapped_bytes expected %#" PRIx64 ", got %#" PRIx64,
			      cuts[k].what, mapped, st.mapped_bytes);
		uint64_t counted = 0;
		for (int i = 0; i < 8; i++)
			counted += st.counters[i];
		if (counted * page != mapped)
			failf(c, "mmu_clear_range(%s): counters total expected %" PRIu64 " pages, got %" PRIu64,
			      cuts[k].what, mapped / page, counted);
		if (st.tlb_flushes - before_flushes != 1)
			failf(c, "mmu_clear_range(%s): tlb_flushes expected +1, got +%" PRIu64,
			      cuts[k].what, st.tlb_flushes - before_flushes);
		/* Re-clearing a hole changes nothing and flushes nothing. */
		before_flushes = st.tlb_flushes;
		EXPECT_RC(c, mmu_clear_range(t, start, cleared_end), 0, "mmu_clear_range of a hole");
		if (stats(c, t)->tlb_flushes != before_flushes)
			failf(c, "mmu_clear_range of a hole: tlb_flushes expected +0, got +%" PRIu64,
			      stats(c, t)->tlb_flushes - before_flushes);
	}
	/* An empty range: a no-op or -EINVAL (the contract does not say;
	 * munmap says -EINVAL), but nothing changes and nothing is flushed. */
	uint64_t f0 = stats(c, t)->tlb_flushes;
	struct hx_snap s0 = take(t);
	int rc0 = mmu_clear_range(t, w[1].va, w[1].va);
	if (rc0 != 0 && rc0 != -EINVAL)
		failf(c, "mmu_clear_range of an empty range: expected 0 or %d, got %d", -EINVAL, rc0);
	expect_same(c, t, &s0, "mmu_clear_range of an empty range");
	drop_snap(&s0);
	if (stats(c, t)->tlb_flushes != f0)
		failf(c, "mmu_clear_range of an empty range: tlb_flushes expected +0, got +%" PRIu64,
		      stats(c, t)->tlb_flushes - f0);
	/* Everything, in one go. */
	EXPECT_RC(c, mmu_clear_range(t, 0, c->env.user_top), 0, "mmu_clear_range of the whole user half");
	struct mmu_stats st = *stats(c, t);
	if (st.mapped_bytes)
		failf(c, "mmu_clear_range of everything: mapped_bytes expected 0, got %#" PRIx64, st.mapped_bytes);
	for (unsigned i = 0; i < n; i++)
		expect_unmapped(c, t, NULL, w[i].va, "after clearing everything");
	/* Bad arguments change nothing. */
	populate(c, t, w, 4);
	struct hx_snap s = take(t);
	EXPECT_RC(c, mmu_clear_range(t, w[1].va + 1, w[1].va + page), -EINVAL, "mmu_clear_range misaligned start");
	EXPECT_RC(c, mmu_clear_range(t, w[1].va, w[1].va + page + 1), -EINVAL, "mmu_clear_range misaligned end");
	EXPECT_RC(c, mmu_clear_range(t, c->env.user_top, c->env.user_top + page), -ERANGE,
	          "mmu_clear_range outside both halves");
	expect_same(c, t, &s, "refused mmu_clear_range");
	drop_snap(&s);
}

static void case_scan(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	struct want w[4];
	unsigned n = populate(c, t, w, 4);
	struct hx_snap s = take(t);
	struct scan_log log = { .c = c };
	vaddr_t start = w[0].va, end = w[n - 1].va + sz(c, w[n - 1].order);
	EXPECT_RC(c, mmu_scan(t, start, end, scan_fn, &log), 0, "mmu_scan");
	if (log.n != n)
		failf(c, "mmu_scan: expected %u calls (one per entry), got %u", n, log.n);
	for (unsigned i = 0; i < n && i < log.n; i++)
		if (log.va[i] != w[i].va || log.order[i] != w[i].order || log.pa[i] != w[i].pa)
			failf(c, "mmu_scan call %u: expected va %#" PRIx64 " order %u pa %#" PRIx64
			      ", got va %#" PRIx64 " order %u pa %#" PRIx64, i, w[i].va, w[i].order, w[i].pa,
			      log.va[i], log.order[i], log.pa[i]);
	expect_same(c, t, &s, "mmu_scan returning every entry unchanged");
	drop_snap(&s);

	/* Changing prot through the return value. */
	log = (struct scan_log){ .c = c, .make_ro = true };
	EXPECT_RC(c, mmu_scan(t, start, end, scan_fn, &log), 0, "mmu_scan removing write");
	for (unsigned i = 0; i < n; i++) {
		struct want ro = w[i];
		ro.prot &= ~W;
		expect_entry(c, t, &ro, "after mmu_scan removed write");
	}
}

/* Table pages a fresh set holds after: 8 base pages added (counted: each
 * with a side-table record, more than the set keeps inline, so the last
 * ones go to the side table's pages), the first removed, the last one's
 * counter changed (counted: its record may move to the freed inline slot,
 * and must not stay behind in the pages too), then the rest removed. */
static uint64_t churn_pages(struct ctx *c, bool counted)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return 0;
	uint64_t before = stats(c, t)->table_pages;
	vaddr_t va = uva(c, c->big, 1);
	for (unsigned k = 0; k < 8; k++) {
		mmu_entry_t e = ent(pa_for(c, 0, k), R, 0);
		EXPECT_RC(c, add_commit(t, counted ? mmu_mkcount(e, 1) : e, va + k * sz(c, 0)), 0,
		          "churn: add page %u", k);
	}
	EXPECT_RC(c, remove_commit(t, va), 0, "churn: remove page 0");
	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	int rc = mmu_find(&ta, va + 7 * sz(c, 0), &got);
	if (!rc)
		rc = mmu_update(&ta, counted ? mmu_mkcount(ent(pa_for(c, 0, 7), R, 0), 2)
		                             : ent(pa_for(c, 0, 7), R | W, 0));
	if (!rc)
		rc = mmu_commit(&ta);
	else
		mmu_forget(&ta);
	EXPECT_RC(c, rc, 0, "churn: update page 7");
	for (unsigned k = 1; k < 8; k++)
		EXPECT_RC(c, remove_commit(t, va + k * sz(c, 0)), 0, "churn: remove page %u", k);
	uint64_t pages = stats(c, t)->table_pages - before;
	for (int k = 0; k < 8; k++)
		if (stats(c, t)->counters[k])
			failf(c, "churn: counters[%d] %" PRIu64 " with nothing mapped", k, stats(c, t)->counters[k]);
	drop_set(c, t);
	return pages;
}

/* Tables used stay at the minimum (issue 12): an entry composed of native
 * leaves, or one with a counter, costs the set the tables of the same span
 * mapped as plain leaves of the largest native order it is built of (on a
 * radix mode, the tables of one such leaf), and no more: its side-table
 * record (order, counter) takes no page while the set holds a few such
 * entries (mmu/meta.c keeps them inline). Measured as table_pages, which
 * counts side-table pages too. */
static void case_tables_min(struct ctx *c)
{
	for (unsigned i = 0; i < c->norders; i++) {
		unsigned o = c->orders[i], n = o;
		if (c->env.geo.page_shift + o > 30)
			continue;
		while (n > 0 && !native(c, n))
			n--;
		vaddr_t va = uva(c, o, 1);
		for (int counted = !native(c, o) ? 0 : 1; counted < 2; counted++) {
			uint64_t pages[2] = { 0, 0 };
			for (int k = 0; k < 2; k++) {
				/* k = 0: the minimum, plain order-n leaves over the
				 * span in one transaction; k = 1: the entry itself. */
				mmu_translation_set_t *t = new_set(c);
				if (!t)
					return;
				uint64_t before = stats(c, t)->table_pages;
				mmu_transaction_t ta;
				mmu_transaction(&ta, t);
				int rc = 0;
				if (k) {
					mmu_entry_t e = ent(pa_for(c, o, 1), R, o);
					rc = mmu_add(&ta, counted ? mmu_mkcount(e, 3) : e, va);
				}
				for (uint64_t off = 0; !k && !rc && off < sz(c, o); off += sz(c, n))
					rc = mmu_add(&ta, ent(pa_for(c, o, 1) + off, R, n), va + off);
				if (!rc)
					rc = mmu_commit(&ta);
				else
					mmu_forget(&ta);
				EXPECT_RC(c, rc, 0, "tables_min: order %u%s", k ? o : n,
				          k && counted ? " counted" : "");
				pages[k] = stats(c, t)->table_pages - before;
				drop_set(c, t);
			}
			if (pages[1] != pages[0])
				failf(c, "order %u%s, built of order-%u leaves: %" PRIu64 " table pages, "
				      "the minimum (plain order-%u leaves) is %" PRIu64, o,
				      counted ? " counted" : "", n, pages[1], n, pages[0]);
		}
	}
	uint64_t plain = churn_pages(c, false), counted = churn_pages(c, true);
	if (counted != plain)
		failf(c, "8 counted pages added and removed: %" PRIu64 " table pages left, "
		      "plain pages leave %" PRIu64, counted, plain);
}

/* Exact statistics: entries, mapped bytes, table pages, counters, flushes. */
static void case_stats(struct ctx *c)
{
	size_t t0 = hx_tables_in_use();
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	struct mmu_stats st = *stats(c, t);
	if (st.table_pages != hx_tables_in_use() - t0)
		failf(c, "new set: table_pages expected %zu, got %" PRIu64, hx_tables_in_use() - t0, st.table_pages);
	if (st.table_bytes != st.table_pages << c->env.geo.page_shift)
		failf(c, "table_bytes expected table_pages x page = %#" PRIx64 ", got %#" PRIx64,
		      st.table_pages << c->env.geo.page_shift, st.table_bytes);

	/* Entries per order, counters, and table pages tracking the pool. */
	uint64_t expect_entries[64] = { 0 }, mapped = 0, counter[8] = { 0 };
	unsigned slot = 1;
	for (unsigned i = 0; i < c->norders; i++) {
		unsigned o = c->orders[i];
		if (c->env.geo.page_shift + o > 31)
			continue;
		size_t before_tables = hx_tables_in_use();
		uint64_t before_pages = stats(c, t)->table_pages, before_flushes = stats(c, t)->tlb_flushes;
		vaddr_t va = uva(c, c->big + 2, 1) + (vaddr_t)slot++ * sz(c, c->big + 1);
		va = (va + sz(c, o) - 1) & ~(sz(c, o) - 1);
		int rc = add_commit(t, mmu_mkcount(ent(pa_for(c, o, i), R, o), i % 8), va);
		if (!EXPECT_RC(c, rc, 0, "stats: add order %u", o))
			continue;
		expect_entries[o]++;
		mapped += sz(c, o);
		counter[i % 8] += sz(c, o) / sz(c, 0);
		st = *stats(c, t);
		if (st.table_pages - before_pages != hx_tables_in_use() - before_tables)
			failf(c, "add order %u: table_pages grew by %" PRIu64 " but the pool by %zu",
			      o, st.table_pages - before_pages, hx_tables_in_use() - before_tables);
		if (st.tlb_flushes - before_flushes != 1)
			failf(c, "add order %u: tlb_flushes expected +1, got +%" PRIu64, o, st.tlb_flushes - before_flushes);
	}
	st = *stats(c, t);
	for (int k = 0; k < 64; k++)
		if (st.entries[k] != expect_entries[k])
			failf(c, "entries[%d]: expected %" PRIu64 ", got %" PRIu64, k, expect_entries[k], st.entries[k]);
	if (st.mapped_bytes != mapped)
		failf(c, "mapped_bytes: expected %#" PRIx64 ", got %#" PRIx64, mapped, st.mapped_bytes);
	for (int k = 0; k < 8; k++)
		if (st.counters[k] != counter[k])
			failf(c, "counters[%d]: expected %" PRIu64 ", got %" PRIu64, k, counter[k], st.counters[k]);

	/* No flush for a commit that changed nothing, nor for a forget. */
	uint64_t f = st.tlb_flushes;
	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_commit(&ta), 0, "empty commit");
	mmu_transaction(&ta, t);
	mmu_find(&ta, uva(c, 0, 0), &got);
	EXPECT_RC(c, mmu_commit(&ta), 0, "commit after a find only");
	mmu_transaction(&ta, t);
	mmu_add(&ta, ent(pa_for(c, 0, 0), R, 0), uva(c, 0, 0));
	mmu_forget(&ta);
	if (stats(c, t)->tlb_flushes != f)
		failf(c, "empty commit, find-only commit, forget: tlb_flushes expected +0, got +%" PRIu64,
		      stats(c, t)->tlb_flushes - f);

	/* Many changes, one commit: one flush. */
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < 8; k++)
		EXPECT_RC(c, mmu_add(&ta, mmu_mkcount(ent(pa_for(c, 0, k), R | W, 0), 7), uva(c, 0, 0) + k * sz(c, 0)),
		          0, "batched add %u", k);
	EXPECT_RC(c, mmu_commit(&ta), 0, "batched commit");
	counter[7] += 8;
	if (stats(c, t)->tlb_flushes != f + 1)
		failf(c, "8 adds in one commit: tlb_flushes expected +1, got +%" PRIu64, stats(c, t)->tlb_flushes - f);

	/* A split keeps the counter total; a remove takes its pages off. */
	unsigned o = c->big;
	vaddr_t va = uva(c, o, 1);
	EXPECT_RC(c, add_commit(t, mmu_mkcount(ent(pa_for(c, o, 1), R, o), 5), va), 0, "add counted big entry");
	counter[5] += sz(c, o) / sz(c, 0);
	mmu_transaction(&ta, t);
	int rc = mmu_find(&ta, va, &got);
	if (!rc && o > 0)
		rc = mmu_update(&ta, mmu_mkcount(ent(pa_for(c, o, 1), R, o - 1), 5));
	EXPECT_RC(c, rc, 0, "split counted entry");
	f = stats(c, t)->tlb_flushes;
	EXPECT_RC(c, mmu_commit(&ta), 0, "commit split");
	/* One flush, on ARM64 too, where the split block goes through
	 * break-before-make: break, flush and make share it. */
	uint64_t split_flushes = stats(c, t)->tlb_flushes - f;
	if (split_flushes != 1)
		failf(c, "commit of a split: tlb_flushes expected +1, got +%" PRIu64, split_flushes);
	if (stats(c, t)->counters[5] != counter[5])
		failf(c, "after a split: counters[5] expected %" PRIu64 ", got %" PRIu64, counter[5], stats(c, t)->counters[5]);
	EXPECT_RC(c, remove_commit(t, va), 0, "remove a piece");
	counter[5] -= o > 0 ? sz(c, o - 1) / sz(c, 0) : 1;
	if (stats(c, t)->counters[5] != counter[5])
		failf(c, "after removing a piece: counters[5] expected %" PRIu64 ", got %" PRIu64,
		      counter[5], stats(c, t)->counters[5]);
	if (stats(c, t)->counters[7] != counter[7])
		failf(c, "counters[7] expected %" PRIu64 ", got %" PRIu64, counter[7], stats(c, t)->counters[7]);

	/* Removing the set gives back exactly its table pages. */
	uint64_t pages = stats(c, t)->table_pages;
	size_t in_use = hx_tables_in_use();
	drop_set(c, t);
	if (in_use - hx_tables_in_use() != pages)
		failf(c, "removing the set freed %zu table pages, its table_pages said %" PRIu64,
		      in_use - hx_tables_in_use(), pages);
}

/* Every error path: the right code, the transaction as before the call and
 * still open (its current entry too), nothing published. */
static void case_errors(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	unsigned o = c->big;
	uint64_t size = sz(c, o), page = sz(c, 0);
	struct want big = want_of(uva(c, o, 1), pa_for(c, o, 0), o, R | W);
	EXPECT_RC(c, add_commit(t, ent(big.pa, big.prot, o), big.va), 0, "add the big entry");
	struct hx_snap s = take(t);
	uint64_t flushes = stats(c, t)->tlb_flushes;

	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_update(&ta, ent(0, R, 0)), -ENOENT, "mmu_update with no current entry");
	EXPECT_RC(c, mmu_remove(&ta), -ENOENT, "mmu_remove with no current entry");
	EXPECT_RC(c, mmu_find(&ta, uva(c, 0, 0), &got), -ENOENT, "mmu_find of an unmapped va");
	EXPECT_RC(c, mmu_find(&ta, big.va + page, &got), 0, "mmu_find of the big entry");

	struct { mmu_entry_t e; vaddr_t va; int want; const char *what; } adds[] = {
		{ ent(pa_for(c, 1, 0), R, 1), uva(c, 1, 0) + page, -EINVAL, "misaligned va" },
		{ ent(pa_for(c, 1, 0) + page, R, 1), uva(c, 1, 0), -EINVAL, "misaligned pa" },
		{ ent(0, R, (unsigned)c->env.geo.max_order + 1), 0, -EINVAL, "order above max_order" },
		{ ent(pa_for(c, 0, 0), W, 0), uva(c, 0, 0), -EINVAL, "write without read" },
		{ ent(pa_for(c, 0, 0), 0, 0), uva(c, 0, 0), -EINVAL, "no access at all" },
		{ mmu_mkmemtype(ent(pa_for(c, 0, 0), R, 0), (enum mmu_memtype)7), uva(c, 0, 0), -EINVAL, "bad memtype" },
		{ ent(pa_for(c, 0, 0), R, 0), big.va + size / 2, -EEXIST, "inside a mapped entry" },
		{ ent(pa_for(c, o + 1, 0), R, o + 1), big.va & ~(sz(c, o + 1) - 1), -EEXIST, "over a mapped entry" },
		{ ent(pa_for(c, 0, 0), R, 0), c->env.user_top, -ERANGE, "the first va above the user half" },
		{ ent(pa_for(c, 0, 0), R, 0), c->env.kernel_base - page, -ERANGE, "the last va below the kernel half" },
		{ ent(pa_for(c, 0, 0), R, 0), c->env.user_top + (c->env.kernel_base - c->env.user_top) / 2, -ERANGE,
		  "the middle of the hole between the halves" },
		{ mmu_mkglobal(ent(pa_for(c, 0, 0), R, 0)), uva(c, 0, 0), -EINVAL, "global in the user half" },
		{ ent(pa_for(c, 0, 0), R, 0), kva(c, 0, 0), -EINVAL, "non-global in the kernel half" },
		{ mmu_mkglobal(ent(pa_for(c, 0, 0), R | U, 0)), kva(c, 0, 0), -EINVAL, "MMU_USER in the kernel half" },
	};
	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		if (o + 1 > c->env.geo.max_order && adds[i].want == -EEXIST && i == 7)
			continue;
		EXPECT_RC(c, mmu_add(&ta, adds[i].e, adds[i].va), adds[i].want, "mmu_add (%s)", adds[i].what);
		/* The current entry survived the failed call. */
		if (mmu_current_va(&ta) != big.va)
			failf(c, "after a failed mmu_add (%s): current va expected %#" PRIx64 ", got %#" PRIx64,
			      adds[i].what, big.va, mmu_current_va(&ta));
	}
	/* Updates of the current (big) entry. */
	struct { mmu_entry_t e; int want; const char *what; } upd[] = {
		{ ent(big.pa + page, R, o), -EINVAL, "misaligned pa" },
		{ ent(big.pa, W, o), -EINVAL, "write without read" },
		{ ent(big.pa, R, (unsigned)c->env.geo.max_order + 1), -EINVAL, "order above max_order" },
		{ mmu_mkmemtype(ent(big.pa, R, o), (enum mmu_memtype)3), -EINVAL, "bad memtype" },
		{ mmu_mkglobal(ent(big.pa, R, o)), -EINVAL, "global in the user half" },
	};
	for (size_t i = 0; i < sizeof(upd) / sizeof(upd[0]); i++) {
		EXPECT_RC(c, mmu_update(&ta, upd[i].e), upd[i].want, "mmu_update (%s)", upd[i].what);
		expect_find_at(c, &ta, &big, big.va + size - page, "after a failed mmu_update");
	}
	/* A bigger order over a mapped neighbour. */
	if (o + 1 <= c->env.geo.max_order) {
		vaddr_t nb = big.va ^ size;    /* the other half of the order o+1 range */
		EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 3), R, 0), nb), 0, "add a neighbour");
		EXPECT_RC(c, mmu_find(&ta, big.va, &got), 0, "find the big entry again");
		EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, o + 1, 0), R, o + 1)), -EEXIST,
		          "mmu_update to a bigger order over a mapped neighbour");
		expect_find_at(c, &ta, &big, big.va, "after the refused merge");
		EXPECT_RC(c, mmu_find(&ta, nb, &got), 0, "find the neighbour");
		EXPECT_RC(c, mmu_remove(&ta), 0, "remove the neighbour");
		EXPECT_RC(c, mmu_remove(&ta), -ENOENT, "mmu_remove twice");
		EXPECT_RC(c, mmu_update(&ta, ent(0, R, 0)), -ENOENT, "mmu_update after mmu_remove");
	}
	/* The transaction is still open and usable, and published nothing
	 * but what it did successfully (here: an add undone). */
	EXPECT_RC(c, mmu_commit(&ta), 0, "commit after the failed calls");
	struct hx_snap after = take(t);
	if (o + 1 > c->env.geo.max_order) {
		expect_same(c, t, &s, "failed calls only");
		if (stats(c, t)->tlb_flushes != flushes)
			failf(c, "failed calls only: tlb_flushes expected +0, got +%" PRIu64, stats(c, t)->tlb_flushes - flushes);
	}
	drop_snap(&after);
	expect_entry(c, t, &big, "after the failed calls");
	drop_snap(&s);

	/* A failed call alone changes nothing, bit for bit. */
	s = take(t);
	flushes = stats(c, t)->tlb_flushes;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 0), R, 0), big.va), -EEXIST, "mmu_add over the big entry");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 0), W, 0), uva(c, 0, 0)), -EINVAL, "mmu_add write-only");
	EXPECT_RC(c, mmu_commit(&ta), 0, "commit after failed calls only");
	expect_same(c, t, &s, "commit after failed calls only");
	if (stats(c, t)->tlb_flushes != flushes)
		failf(c, "commit after failed calls only: tlb_flushes expected +0, got +%" PRIu64, stats(c, t)->tlb_flushes - flushes);
	drop_snap(&s);

	/* A refused merge alone changes nothing either. */
	if (o + 1 <= c->env.geo.max_order) {
		vaddr_t nb = big.va ^ size;
		EXPECT_RC(c, add_commit(t, ent(pa_for(c, 0, 3), R, 0), nb), 0, "add a committed neighbour");
		s = take(t);
		flushes = stats(c, t)->tlb_flushes;
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_find(&ta, big.va, &got), 0, "find the big entry");
		EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, o + 1, 0), R, o + 1)), -EEXIST,
		          "mmu_update to a bigger order over a committed neighbour");
		EXPECT_RC(c, mmu_commit(&ta), 0, "commit after a refused merge only");
		expect_same(c, t, &s, "commit after a refused merge only");
		if (stats(c, t)->tlb_flushes != flushes)
			failf(c, "commit after a refused merge only: tlb_flushes expected +0, got +%" PRIu64,
			      stats(c, t)->tlb_flushes - flushes);
		drop_snap(&s);
		EXPECT_RC(c, remove_commit(t, nb), 0, "remove the neighbour");
	}

	/* Two transactions: the second cannot change a set the first has. */
	mmu_transaction_t other;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 0), R, 0), uva(c, 0, 0)), 0, "first transaction's add");
	mmu_transaction(&other, t);
	EXPECT_RC(c, mmu_find(&other, uva(c, 0, 0), &got), -ENOENT, "second transaction sees the first's add");
	EXPECT_RC(c, mmu_add(&other, ent(pa_for(c, 0, 1), R, 0), uva(c, 0, 1)), -EBUSY, "second transaction's add");
	if (mmu_find(&other, big.va, &got) == 0)
		EXPECT_RC(c, mmu_remove(&other), -EBUSY, "second transaction's remove");
	mmu_forget(&other);
	EXPECT_RC(c, mmu_commit(&ta), 0, "first transaction's commit");
	expect_entry(c, t, &(struct want){ .va = uva(c, 0, 0), .pa = pa_for(c, 0, 0), .prot = R }, "first transaction's add");
}

/* Forget after every kind of change restores the raw tables bit for bit
 * and the table pages in use exactly. */
static void case_forget(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c), *other = new_set(c);
	if (!t || !other)
		return;
	struct want w[4];
	unsigned n = populate(c, t, w, 4);
	struct want g = want_of(kva(c, c->big, 1), pa_for(c, c->big, 2), c->big, R | W);
	g.global = true;
	EXPECT_RC(c, add_commit(t, mmu_mkglobal(ent(g.pa, g.prot, g.order)), g.va), 0, "add a global");
	static const char *const kinds[] = {
		"add base page", "add composed order", "add big native", "update attributes",
		"split", "merge", "remove", "add global", "remove global", "everything at once",
	};
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct hx_snap s = take(t), so = take(other);
		mmu_transaction_t ta;
		mmu_entry_t got;
		int rc = 0;
		mmu_transaction(&ta, t);
		bool all = k == 9;
		if (k == 0 || all)
			rc |= mmu_add(&ta, ent(pa_for(c, 0, 9), R, 0), uva(c, 0, 0));
		/* Far above what populate() mapped. */
		vaddr_t far = uva(c, c->big + 5, 0);
		if (k == 1 || all)
			rc |= mmu_add(&ta, ent(pa_for(c, 5, 1), R, 5), far + sz(c, 5));
		if (k == 2 || all)
			rc |= mmu_add(&ta, ent(pa_for(c, c->big, 9), R, c->big), far + sz(c, c->big + 1));
		if (k == 3 || all) {
			rc |= mmu_find(&ta, w[1].va, &got);
			rc |= mmu_update(&ta, mmu_mkprot(got, R));
		}
		if ((k == 4 || all) && w[1].order > 0) {
			rc |= mmu_find(&ta, w[1].va + sz(c, w[1].order) - 1, &got);
			rc |= mmu_update(&ta, mmu_mksize(mmu_mkentry(w[1].pa + sz(c, w[1].order) / 2, w[1].prot),
			                                 w[1].order - 1));
		}
		if (k == 5 || all) {
			rc |= mmu_find(&ta, w[0].va, &got);
			rc |= mmu_update(&ta, mmu_mksize(mmu_mkentry(pa_for(c, 1, 0), R), 1));
		}
		if (k == 6 || all) {
			rc |= mmu_find(&ta, w[3].va, &got);
			rc |= mmu_remove(&ta);
		}
		if (k == 7 || all)
			rc |= mmu_add(&ta, mmu_mkglobal(ent(pa_for(c, 0, 3), R, 0)), kva(c, 0, 0));
		if (k == 8 || all) {
			rc |= mmu_find(&ta, g.va, &got);
			rc |= mmu_remove(&ta);
		}
		if (rc)
			failf(c, "forget (%s): a change failed (or-ed codes %d)", kinds[k], rc);
		mmu_forget(&ta);
		expect_same(c, t, &s, kinds[k]);
		expect_same(c, other, &so, kinds[k]);
		drop_snap(&s);
		drop_snap(&so);
		for (unsigned i = 0; i < n; i++)
			expect_entry(c, t, &w[i], kinds[k]);
		expect_entry(c, other, &g, kinds[k]);
	}
	EXPECT_RC(c, remove_commit(t, g.va), 0, "remove the global");
}

/* The one-entry calls' caches (mmu/mmu.c "fast paths", mmu/pt_engine_one.h):
 * the cursor (the last leaf table a call used) must not outlive a table the
 * transaction freed, split or dropped, and the per-transaction caches of
 * an entry's checked descriptor bits (mmu_add) and of a descriptor's
 * decoding (mmu_find) must be keyed by every field. */
static void case_cursor(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned big = 0;   /* a block one level up where there is one */
	for (unsigned k = c->env.geo.page_shift - 3; k < 40 && !big; k++)
		if (native(c, k))
			big = k;
	for (unsigned k = 1; k < 40 && !big; k++)
		if (native(c, k))
			big = k;
	vaddr_t base = uva(c, big, 2);
	mmu_transaction_t ta;
	mmu_entry_t got;

	/* Consecutive pages, one field changed at a time, then back. */
	enum { OLD = 1, CLEAN = 2, GLOBAL = 4 };
	static const struct { unsigned prot; enum mmu_memtype mt; unsigned flags; } v[] = {
		{ R | W, MMU_MEM_NORMAL, 0 }, { R | W, MMU_MEM_NORMAL, 0 }, { R, MMU_MEM_NORMAL, 0 },
		{ R | X, MMU_MEM_NORMAL, 0 }, { R | W, MMU_MEM_DEVICE, 0 }, { R | W, MMU_MEM_UNCACHED, 0 },
		{ R | W, MMU_MEM_NORMAL, OLD }, { R | W, MMU_MEM_NORMAL, CLEAN },
		{ R | W | U, MMU_MEM_NORMAL, 0 }, { R | W, MMU_MEM_NORMAL, GLOBAL },
		{ R | W, MMU_MEM_NORMAL, 0 },
	};
	enum { NV = sizeof(v) / sizeof(v[0]) };
	struct want w[NV];
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < NV; k++) {
		mmu_entry_t e = mmu_mkmemtype(ent(pa_for(c, 0, k + 1), v[k].prot, 0), mtype(c, v[k].mt));
		bool global = v[k].flags & GLOBAL;
		e = v[k].flags & OLD ? mmu_mkold(e) : e;
		e = v[k].flags & CLEAN ? mmu_mkclean(e) : e;
		e = global ? mmu_mkglobal(e) : e;
		w[k] = want_of(global ? kva(c, 0, k) : base + k * page, pa_for(c, 0, k + 1), 0, v[k].prot);
		w[k].memtype = mtype(c, v[k].mt);
		w[k].global = global;
		EXPECT_RC(c, mmu_add(&ta, e, w[k].va), 0, "cache: mmu_add of variant %u", k);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < NV; k++) {
			char what[64];
			snprintf(what, sizeof(what), "cache: variant %u, %s", k, pass ? "committed" : "in the transaction");
			if (!expect_find_at(c, &ta, &w[k], w[k].va, what))
				continue;
			mmu_find(&ta, w[k].va, &got);
			bool dirty = !(v[k].flags & CLEAN) && (v[k].prot & W), old = v[k].flags & OLD;
			if (mmu_entry_accessed(got) == old || mmu_entry_dirty(got) != dirty)
				failf(c, "%s: accessed %d dirty %d, expected %d %d", what, mmu_entry_accessed(got),
				      mmu_entry_dirty(got), !old, dirty);
			/* An old or clean entry may fault on first use where the
			 * hardware does not set A/D itself (Arm ARM D8.5: without
			 * FEAT_HAFDBS the access flag fault is the kernel's to take),
			 * so only the other variants are walked by the hardware. */
			if (pass && !(v[k].flags & (OLD | CLEAN)))
				expect_walk_at(c, t, w[k].va, w[k].pa, w[k].prot, what);
		}
		if (!pass) {
			EXPECT_RC(c, mmu_commit(&ta), 0, "cache: commit");
			mmu_transaction(&ta, t);
		}
	}
	mmu_forget(&ta);
	EXPECT_RC(c, remove_commit(t, w[NV - 2].va), 0, "cache: remove the global");
	EXPECT_RC(c, mmu_clear_range(t, base, base + sz(c, big)), 0, "cache: clear");

	/* A merge frees the cursor's table: a find in the block after it. */
	struct want blk = want_of(base, pa_for(c, big, 1), big, R | W);
	EXPECT_RC(c, add_commit(t, ent(pa_for(c, 0, 1), R | W, 0), base), 0, "merge: one page");
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_find(&ta, base, &got), 0, "merge: find the page");
	EXPECT_RC(c, mmu_update(&ta, ent(blk.pa, blk.prot, big)), 0, "merge: update to the block");
	expect_find_at(c, &ta, &blk, base + page, "merge: find after the merge freed the cursor's table");
	EXPECT_RC(c, mmu_commit(&ta), 0, "merge: commit");
	expect_entry(c, t, &blk, "merge: committed");

	/* A split: the block's pieces and a removed one, found again. */
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "split: find in the block");
	struct want p3 = want_of(base + 3 * page, pa_for(c, 0, 7), 0, R);
	EXPECT_RC(c, mmu_update(&ta, ent(p3.pa, R, 0)), 0, "split: update one page");
	struct want p5 = want_of(base + 5 * page, blk.pa + 5 * page, 0, R | W);
	expect_find_at(c, &ta, &p5, p5.va, "split: a piece after the split");
	expect_find_at(c, &ta, &p3, p3.va, "split: the page updated");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "split: find a piece");
	EXPECT_RC(c, mmu_remove(&ta), 0, "split: remove a piece");
	expect_unmapped(c, t, &ta, base + 4 * page, "split: the removed piece");
	EXPECT_RC(c, mmu_commit(&ta), 0, "split: commit");
	expect_entry(c, t, &p3, "split: committed");
	expect_entry(c, t, &p5, "split: committed piece");
	expect_unmapped(c, t, NULL, base + 4 * page, "split: committed hole");
	EXPECT_RC(c, mmu_clear_range(t, base, base + sz(c, big)), 0, "split: clear");

	/* A remove that empties (and so frees) the cursor's table, then a
	 * page next to it, in the same transaction. */
	struct want q = want_of(base + page, pa_for(c, 0, 3), 0, R | W);
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 2), R | W, 0), base), 0, "reclaim: add");
	EXPECT_RC(c, mmu_find(&ta, base, &got), 0, "reclaim: find");
	EXPECT_RC(c, mmu_remove(&ta), 0, "reclaim: remove the only page");
	EXPECT_RC(c, mmu_add(&ta, ent(q.pa, q.prot, 0), q.va), 0, "reclaim: add next to it");
	expect_find_at(c, &ta, &q, q.va, "reclaim: find it");
	expect_unmapped(c, t, &ta, base, "reclaim: the removed page");
	EXPECT_RC(c, mmu_commit(&ta), 0, "reclaim: commit");
	expect_entry(c, t, &q, "reclaim: committed");
	expect_unmapped(c, t, NULL, base, "reclaim: committed hole");

	/* Forget, then the same transaction object again. */
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 4), R, 0), base + 2 * page), 0, "forget: add");
	EXPECT_RC(c, mmu_find(&ta, base + 2 * page, &got), 0, "forget: find");
	mmu_forget(&ta);
	mmu_transaction(&ta, t);
	expect_unmapped(c, t, &ta, base + 2 * page, "forget: the forgotten page, same object");
	expect_find_at(c, &ta, &q, q.va, "forget: the page kept");
	mmu_forget(&ta);
	EXPECT_RC(c, mmu_clear_range(t, base, base + sz(c, big)), 0, "clear");
}

/* The order of what one leaf table of base pages spans (radix modes), or
 * the case's big order where that is too large for the user half. */
static unsigned leaf_table_order(const struct ctx *c)
{
	unsigned tbl = c->env.geo.page_shift - 3;
	return sz(c, tbl) > c->env.user_top / 8 ? c->big : tbl;
}

/* The call window (include/mmu.h, mmu/mmu.c "the call window"): runs of
 * mmu_add and mmu_find in one leaf table go inline once the window opens
 * (the second call in a row in the table). Each thing the window must
 * refuse is asked inside an open window: an occupied slot, an unaligned
 * va or pa, another entry value, an entry word last checked for the
 * kernel half, a slot a later call removed; and what it did must reach
 * the statistics, the current entry, commit and forget exactly. */
static void case_window(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned tbl = leaf_table_order(c);
	uint64_t span = sz(c, tbl);
	vaddr_t base = uva(c, tbl, 2);
	enum { N = 20 };
	mmu_transaction_t ta;
	mmu_entry_t got;
	const struct mmu_stats *st;

	/* A run into a fresh table, the last two pages in the next one. */
	struct want w[N + 1];
	for (unsigned k = 0; k < N; k++)
		w[k] = want_of(k < N - 2 ? base + k * page : base + span + (k - N + 2) * page,
		               pa_for(c, 0, k + 1), 0, R | W);
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < N; k++) {
		EXPECT_RC(c, mmu_add(&ta, ent(w[k].pa, R | W, 0), w[k].va), 0, "window: add %u", k);
		if (mmu_current_va(&ta) != w[k].va)
			failf(c, "window: add %u: current va %#" PRIx64 ", expected %#" PRIx64, k,
			      mmu_current_va(&ta), w[k].va);
	}
	/* Two finds in the first table: the window opens there again. */
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "window: find again");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40), R | W, 0), base + 3 * page), -EEXIST,
	          "window: an occupied slot");
	/* A call the window refuses closes it: open it again each time. */
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "window: find again");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40) + 8, R | W, 0), base + 30 * page), -EINVAL,
	          "window: an unaligned pa");
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "window: find again");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40), R | W, 0), base + 30 * page + 8), -EINVAL,
	          "window: an unaligned va");
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "window: find again");
	/* A pa above 2^48: beyond the PA size (-EINVAL) or, with a 52-bit
	 * PA, encoded where Arm puts the high bits (not the window's field). */
	paddr_t hi = ((paddr_t)1 << 48) + pa_for(c, 0, 45);
	int rc = mmu_add(&ta, ent(hi, R | W, 0), base + 45 * page);
	if (rc && rc != -EINVAL)
		failf(c, "window: a pa above 2^48: %d", rc);
	struct want whi = want_of(base + 45 * page, hi, 0, R | W);
	if (!rc)
		expect_find_at(c, &ta, &whi, whi.va, "window: a pa above 2^48");
	EXPECT_RC(c, mmu_find(&ta, base + 3 * page, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, base + 4 * page, &got), 0, "window: find again");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40), R, 0), base + 30 * page), 0,
	          "window: another entry value");
	w[N] = want_of(base + 30 * page, pa_for(c, 0, 40), 0, R);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 41), R, 0), base + 31 * page), 0,
	          "window: that value again");
	for (unsigned k = 0; k <= N; k++)
		expect_find_at(c, &ta, &w[k], w[k].va + (k & 1) * 8, "window: in the transaction");
	expect_unmapped(c, t, &ta, base + 29 * page, "window: a hole");
	mmu_forget(&ta);
	st = stats(c, t);
	if (st->entries[0] || st->mapped_bytes)
		failf(c, "window: forgotten, %" PRIu64 " entries %" PRIu64 " bytes", st->entries[0],
		      st->mapped_bytes);
	expect_unmapped(c, t, NULL, base, "window: forgotten");

	/* Again, committed: statistics exact, every page walkable. A call
	 * that fails after the inline ones leaves them in place. */
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < N; k++)
		EXPECT_RC(c, mmu_add(&ta, ent(w[k].pa, R | W, 0), w[k].va), 0, "window: add %u", k);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40), R, 0), w[N].va), 0, "window: add R");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 40), R, 0), base), -EEXIST,
	          "window: a failing add after the run");
	EXPECT_RC(c, mmu_commit(&ta), 0, "window: commit");
	st = stats(c, t);
	if (st->entries[0] != N + 1 || st->mapped_bytes != (N + 1) * page)
		failf(c, "window: committed %d pages, stats say %" PRIu64 " entries %" PRIu64 " bytes",
		      N + 1, st->entries[0], st->mapped_bytes);
	for (unsigned k = 0; k <= N; k++)
		expect_entry(c, t, &w[k], "window: committed");

	/* A run into the committed table: the first stores are deferred,
	 * then they spill into a private copy of the live table, and the
	 * window stores into the copy, which commit publishes. */
	enum { M = 20 };
	struct want m[M];
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < M; k++) {
		m[k] = want_of(base + (60 + k) * page, pa_for(c, 0, 60 + k), 0, R | W);
		EXPECT_RC(c, mmu_add(&ta, ent(m[k].pa, R | W, 0), m[k].va), 0, "window: copy: add %u", k);
	}
	EXPECT_RC(c, mmu_commit(&ta), 0, "window: copy: commit");
	for (unsigned k = 0; k < M; k++)
		expect_entry(c, t, &m[k], "window: copy: committed");
	st = stats(c, t);
	if (st->entries[0] != N + 1 + M)
		failf(c, "window: copy: %d pages, stats say %" PRIu64, N + 1 + M, st->entries[0]);

	/* An entry word checked for the kernel half, then a window opened by
	 * finds: the same word at a user va is still -EINVAL. */
	mmu_transaction(&ta, t);
	vaddr_t gva = kva(c, 0, 3), fresh = base + 4 * span;   /* a table born in ta */
	mmu_entry_t g = mmu_mkglobal(ent(pa_for(c, 0, 50), R | W, 0));
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 51), R | W, 0), fresh), 0, "window: a new table");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 52), R | W, 0), fresh + page), 0,
	          "window: a second page there");
	EXPECT_RC(c, mmu_add(&ta, g, gva), 0, "window: a global");
	EXPECT_RC(c, mmu_find(&ta, fresh, &got), 0, "window: find");
	EXPECT_RC(c, mmu_find(&ta, fresh + page, &got), 0, "window: find again");
	EXPECT_RC(c, mmu_add(&ta, g, fresh + 2 * page), -EINVAL, "window: a global at a user va");
	expect_unmapped(c, t, &ta, fresh + 2 * page, "window: no global at a user va");
	mmu_forget(&ta);

	/* Removes and updates close the window: what they changed is seen. */
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_find(&ta, base + page, &got), 0, "window: find 1");
	EXPECT_RC(c, mmu_find(&ta, base + 2 * page, &got), 0, "window: find 2");
	EXPECT_RC(c, mmu_remove(&ta), 0, "window: remove 2");
	expect_find_at(c, &ta, &w[3], w[3].va, "window: find 3 after the remove");
	expect_unmapped(c, t, &ta, base + 2 * page, "window: the removed page");
	expect_find_at(c, &ta, &w[4], w[4].va, "window: find 4");
	EXPECT_RC(c, mmu_update(&ta, ent(w[4].pa, R, 0)), 0, "window: update 4");
	struct want w4 = w[4];
	w4.prot = R;
	expect_find_at(c, &ta, &w[5], w[5].va, "window: find 5 after the update");
	expect_find_at(c, &ta, &w4, w4.va, "window: the updated page");
	EXPECT_RC(c, mmu_commit(&ta), 0, "window: commit the remove and update");
	expect_entry(c, t, &w4, "window: committed update");
	expect_unmapped(c, t, NULL, base + 2 * page, "window: committed remove");
	/* The current entry of an inline add (its pa and find address are
	 * written only when the window closes) for the layer's update and
	 * remove: the update's entry word is not the window's (no update yet
	 * in this transaction), so the layer takes it. A fresh table, so that
	 * it is private (stores into a live one are deferred, not inline). */
	vaddr_t fb = base + 3 * span;
	struct want wa[3];
	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < 3; k++) {
		wa[k] = want_of(fb + k * page, pa_for(c, 0, 40 + k), 0, R | W);
		EXPECT_RC(c, mmu_add(&ta, ent(wa[k].pa, R | W, 0), wa[k].va), 0, "window: fresh add %u", k);
	}
	EXPECT_RC(c, mmu_update(&ta, ent(wa[2].pa, R, 0)), 0, "window: update the last add");
	wa[2].prot = R;
	if (mmu_current_va(&ta) != wa[2].va)
		failf(c, "window: updated add: current va %#" PRIx64 ", expected %#" PRIx64,
		      mmu_current_va(&ta), wa[2].va);
	expect_find_at(c, &ta, &wa[2], wa[2].va, "window: the updated add");
	expect_find_at(c, &ta, &wa[1], wa[1].va, "window: the add before it");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 43), R | W, 0), fb + 3 * page), 0, "window: fresh add 3");
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 44), R | W, 0), fb + 4 * page), 0, "window: fresh add 4");
	EXPECT_RC(c, mmu_remove(&ta), 0, "window: remove the last add");
	expect_unmapped(c, t, &ta, fb + 4 * page, "window: the removed add");
	EXPECT_RC(c, mmu_commit(&ta), 0, "window: commit the adds");
	expect_entry(c, t, &wa[2], "window: committed updated add");
	expect_entry(c, t, &wa[0], "window: committed add");
	expect_unmapped(c, t, NULL, fb + 4 * page, "window: committed removed add");
	EXPECT_RC(c, mmu_clear_range(t, base, base + 4 * span), 0, "window: clear");
	st = stats(c, t);
	if (st->entries[0] || st->mapped_bytes)
		failf(c, "window: cleared, %" PRIu64 " entries %" PRIu64 " bytes", st->entries[0],
		      st->mapped_bytes);
}

/* mmu_remove and mmu_update inside the call window (include/mmu.h): runs
 * of find/remove and find/update pairs go inline once the window opens over
 * a private copy of the leaf table. Asked across a table boundary, with a
 * refused update in the middle (an unaligned pa, another entry word), on a
 * counted entry (never inline: its counter must drop), then forgotten
 * (the tables bit for bit) and committed (statistics, the walker exact);
 * then every page removed in reverse order, so each table is emptied and
 * reclaimed by its last removal; then the same in the pieces of a split
 * block, whose table is born in the transaction. */
/*
 * A transaction holding two regions of one lock line (leaf-table regions
 * 16 apart, mmu/lock.h) commits leaf-only: the commit's seqlock must end
 * in the slot it began in. Begun in ta's first slot of the line and ended
 * in the one taken last, both stayed odd and the next mmu_stats spun for
 * ever (found by the fuzz target on arm64-4k-48): here a hang, which the
 * suite's timeout reports. Removes, then updates, then adds.
 */
static void case_two_slots(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	unsigned tbl = leaf_table_order(c);
	vaddr_t va[2] = { uva(c, tbl, 2), uva(c, tbl, 2 + 16) };
	mmu_transaction_t ta;
	struct mmu_stats st;
	mmu_stats(t, &st);
	uint64_t base = st.entries[0];   /* the kernel harness's set starts with pages */
	for (int round = 0; round < 3; round++) {
		/* 0: map both (tables born), remove both; 1: map, update both;
		 * 2: map both again into the tables left. */
		mmu_transaction(&ta, t);
		for (unsigned k = 0; k < 2; k++)
			EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, k + 1), R | W, 0), va[k]), 0,
			          "two slots %d: add %u", round, k);
		EXPECT_RC(c, mmu_commit(&ta), 0, "two slots %d: commit the adds", round);
		if (round == 2)
			break;
		mmu_transaction(&ta, t);
		for (unsigned k = 0; k < 2; k++) {
			EXPECT_RC(c, mmu_find(&ta, va[k], NULL), 0, "two slots %d: find %u", round, k);
			EXPECT_RC(c, round ? mmu_update(&ta, ent(pa_for(c, 0, k + 1), R, 0)) : mmu_remove(&ta),
			          0, "two slots %d: change %u", round, k);
		}
		EXPECT_RC(c, mmu_commit(&ta), 0, "two slots %d: commit the changes", round);
		mmu_stats(t, &st);
		if (st.entries[0] - base != (round ? 2u : 0u))
			failf(c, "two slots %d: %" PRIu64 " pages counted, %" PRIu64 " before", round,
			      st.entries[0], base);
		if (round == 1) {
			mmu_transaction(&ta, t);
			for (unsigned k = 0; k < 2; k++)
				EXPECT_RC(c, mmu_find(&ta, va[k], NULL) || mmu_remove(&ta), 0,
				          "two slots: remove %u", k);
			EXPECT_RC(c, mmu_commit(&ta), 0, "two slots: commit the removes");
		}
	}
	mmu_stats(t, &st);
	if (st.entries[0] - base != 2)
		failf(c, "two slots: %" PRIu64 " pages counted at the end, %" PRIu64 " before",
		      st.entries[0], base);
	drop_set(c, t);
}

static void case_window_change(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned tbl = leaf_table_order(c);
	uint64_t span = sz(c, tbl);
	enum { N = 40, CTR = 3 };
	vaddr_t b = uva(c, tbl, 3), v0 = b - N * page;   /* 2N pages across a table boundary */
	vaddr_t cva = v0 + 2 * N * page;                  /* and a counted page after them */
	mmu_transaction_t ta;
	mmu_entry_t got;
	const struct mmu_stats *st;
	struct hx_snap empty = take(t);

	mmu_transaction(&ta, t);
	for (unsigned k = 0; k < 2 * N; k++)
		EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, k + 1), R | W, 0), v0 + k * page), 0,
		          "window change: add %u", k);
	EXPECT_RC(c, mmu_add(&ta, mmu_mkcount(ent(pa_for(c, 0, 3 * N), R | W, 0), CTR), cva), 0,
	          "window change: add the counted page");
	EXPECT_RC(c, mmu_commit(&ta), 0, "window change: commit the pages");
	struct hx_snap mapped = take(t);

	/* Every fourth page updated (read-only, another pa), the rest removed. */
	for (int pass = 0; pass < 2; pass++) {
		mmu_transaction(&ta, t);
		for (unsigned k = 0; k < 2 * N; k++) {
			vaddr_t va = v0 + k * page;
			if (!EXPECT_RC(c, mmu_find(&ta, va, &got), 0, "window change: find %u", k))
				continue;
			if (k == N / 2) {   /* refused inside the open window, nothing changed */
				EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, 200) + 8, R, 0)), -EINVAL,
				          "window change: update to an unaligned pa");
				EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, 200), R | X, 0)), 0,
				          "window change: update to another entry word");
				struct want x = want_of(va, pa_for(c, 0, 200), 0, R | X);
				expect_find_at(c, &ta, &x, va, "window change: the other word");
				EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, k + 1), R | W, 0)), 0,
				          "window change: update back");
			}
			if (k % 4 == 3)
				EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, 100 + k), R, 0)), 0,
				          "window change: update %u", k);
			else
				EXPECT_RC(c, mmu_remove(&ta), 0, "window change: remove %u", k);
			if (k % 4 != 3 && mmu_remove(&ta) != -ENOENT)
				failf(c, "window change: remove %u twice: no current entry expected", k);
		}
		EXPECT_RC(c, mmu_find(&ta, cva, &got), 0, "window change: find the counted page");
		EXPECT_RC(c, mmu_remove(&ta), 0, "window change: remove the counted page");
		for (unsigned k = 0; k < 2 * N; k++) {
			struct want w = want_of(v0 + k * page, pa_for(c, 0, 100 + k), 0, R);
			if (k % 4 == 3)
				expect_find_at(c, &ta, &w, w.va, "window change: updated, in the transaction");
			else
				expect_unmapped(c, t, &ta, w.va, "window change: removed, in the transaction");
		}
		expect_unmapped(c, t, &ta, cva, "window change: the counted page");
		if (pass == 0) {
			mmu_forget(&ta);
			expect_same(c, t, &mapped, "window change: forgotten");
			st = stats(c, t);
			if (st->entries[0] != 2 * N + 1 || st->counters[CTR] != 1)
				failf(c, "window change: forgotten, %" PRIu64 " entries, counter %" PRIu64,
				      st->entries[0], st->counters[CTR]);
			continue;
		}
		EXPECT_RC(c, mmu_commit(&ta), 0, "window change: commit");
		st = stats(c, t);
		if (st->entries[0] != N / 2 || st->mapped_bytes != N / 2 * page || st->counters[CTR])
			failf(c, "window change: committed, %" PRIu64 " entries %" PRIu64 " bytes counter %"
			      PRIu64 ", expected %d entries", st->entries[0], st->mapped_bytes,
			      st->counters[CTR], N / 2);
		for (unsigned k = 0; k < 2 * N; k++) {
			struct want w = want_of(v0 + k * page, pa_for(c, 0, 100 + k), 0, R);
			if (k % 4 == 3)
				expect_entry(c, t, &w, "window change: updated, committed");
			else
				expect_unmapped(c, t, NULL, w.va, "window change: removed, committed");
		}
	}
	drop_snap(&mapped);

	/* The rest, last first: the lower neighbour holds the next one. */
	mmu_transaction(&ta, t);
	for (unsigned k = 2 * N; k-- > 0;)
		if (k % 4 == 3 && EXPECT_RC(c, mmu_find(&ta, v0 + k * page, &got), 0, "window change: find %u", k))
			EXPECT_RC(c, mmu_remove(&ta), 0, "window change: remove %u", k);
	EXPECT_RC(c, mmu_commit(&ta), 0, "window change: commit the removal");
	st = stats(c, t);
	if (st->entries[0] || st->mapped_bytes)
		failf(c, "window change: all removed, %" PRIu64 " entries %" PRIu64 " bytes",
		      st->entries[0], st->mapped_bytes);
	expect_same(c, t, &empty, "window change: all removed (tables reclaimed)");

	/* The pieces of a split block: a table born in the transaction. */
	if (native(c, tbl)) {
		vaddr_t a = uva(c, tbl, 2);
		EXPECT_RC(c, add_commit(t, ent(pa_for(c, tbl, 1), R | W, tbl), a), 0, "window split: block");
		struct hx_snap blk = take(t);
		for (int pass = 0; pass < 2; pass++) {
			mmu_transaction(&ta, t);
			EXPECT_RC(c, mmu_find(&ta, a, &got), 0, "window split: find");
			EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, tbl, 1), R | W, 0)), 0, "window split: split");
			for (unsigned k = 0; k < 2 * N; k++) {
				if (!EXPECT_RC(c, mmu_find(&ta, a + k * page, &got), 0, "window split: find %u", k))
					continue;
				if (k % 2)
					EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, 300 + k), R, 0)), 0,
					          "window split: update %u", k);
				else
					EXPECT_RC(c, mmu_remove(&ta), 0, "window split: remove %u", k);
			}
			for (unsigned k = 0; k < 2 * N + 2; k++) {
				struct want w = want_of(a + k * page, k < 2 * N ? pa_for(c, 0, 300 + k) :
				                        pa_for(c, tbl, 1) + k * page, 0, k < 2 * N ? R : R | W);
				if (k % 2 || k >= 2 * N)
					expect_find_at(c, &ta, &w, w.va, "window split: in the transaction");
				else
					expect_unmapped(c, t, &ta, w.va, "window split: removed, in the transaction");
			}
			if (pass == 0) {
				mmu_forget(&ta);
				expect_same(c, t, &blk, "window split: forgotten");
				continue;
			}
			EXPECT_RC(c, mmu_commit(&ta), 0, "window split: commit");
			st = stats(c, t);
			uint64_t left = span / page - N;
			if (st->entries[0] != left || st->entries[tbl] || st->mapped_bytes != left * page)
				failf(c, "window split: %" PRIu64 " pages %" PRIu64 " blocks %" PRIu64
				      " bytes, expected %" PRIu64 " pages", st->entries[0], st->entries[tbl],
				      st->mapped_bytes, left);
			struct want w = want_of(a + 3 * page, pa_for(c, 0, 303), 0, R);
			expect_entry(c, t, &w, "window split: committed update");
			expect_unmapped(c, t, NULL, a + 2 * page, "window split: committed remove");
		}
		drop_snap(&blk);
		/* The table's count, trusted by a whole-table removal. */
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_remove_range(&ta, a, a + span), 0, "window split: remove the table");
		EXPECT_RC(c, mmu_commit(&ta), 0, "window split: commit the removal");
		st = stats(c, t);
		if (st->entries[0] || st->mapped_bytes)
			failf(c, "window split: removed, %" PRIu64 " entries %" PRIu64 " bytes left",
			      st->entries[0], st->mapped_bytes);
		expect_same(c, t, &empty, "window split: removed");
	}
	drop_snap(&empty);
}

/* The leaf table at base (span bytes) removed by one mmu_remove_range,
 * which unlinks it whole by its count: nothing may be left. */
static void remove_table(struct ctx *c, mmu_translation_set_t *t, vaddr_t base, uint64_t span,
                         const char *what, int how)
{
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_remove_range(&ta, base, base + span), 0, "%s %d: remove the table", what, how);
	EXPECT_RC(c, mmu_commit(&ta), 0, "%s %d: commit the removal", what, how);
	const struct mmu_stats *st = stats(c, t);
	if (st->entries[0] || st->mapped_bytes)
		failf(c, "%s %d: removed, %" PRIu64 " entries %" PRIu64 " bytes left", what, how,
		      st->entries[0], st->mapped_bytes);
}

/* A leaf table a range fill wrote whole has its per-table count known at
 * commit without reading it back (pt_engine_range.h, fill_whole); any
 * later store into it in the same transaction (a range removal, a remove,
 * an update) must make commit count it again, or a later whole-table
 * removal, which trusts the count, gets the statistics wrong. */
static void case_whole_count(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned tbl = leaf_table_order(c);
	uint64_t span = sz(c, tbl);
	vaddr_t base = uva(c, tbl, 2);
	mmu_transaction_t ta;
	mmu_entry_t got;
	const struct mmu_stats *st;
	for (int how = 0; how < 3; how++) {
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_add_range(&ta, ent(pa_for(c, tbl, 1), R | W, 0), base, span), 0,
		          "whole count %d: fill a table", how);
		if (how == 0)
			EXPECT_RC(c, mmu_remove_range(&ta, base + 2 * page, base + 5 * page), 0,
			          "whole count: remove a range in it");
		if (how == 1 && EXPECT_RC(c, mmu_find(&ta, base + 7 * page, &got), 0, "whole count: find"))
			EXPECT_RC(c, mmu_remove(&ta), 0, "whole count: remove a page in it");
		if (how == 2 && EXPECT_RC(c, mmu_find(&ta, base + 7 * page, &got), 0, "whole count: find"))
			EXPECT_RC(c, mmu_update(&ta, mmu_mkmemtype(ent(pa_for(c, 0, 9), R, 0),
			                                           MMU_MEM_NORMAL)), 0,
			          "whole count: update a page in it");
		EXPECT_RC(c, mmu_commit(&ta), 0, "whole count %d: commit", how);
		uint64_t want = span / page - (how == 0 ? 3 : how == 1 ? 1 : 0);
		st = stats(c, t);
		if (st->entries[0] != want)
			failf(c, "whole count %d: %" PRIu64 " entries, expected %" PRIu64, how,
			      st->entries[0], want);
		remove_table(c, t, base, span, "whole count", how);
	}
	/* A table born in an earlier call of the transaction, then a range
	 * that fills two of its slots and fails on the third (-EEXIST): the
	 * undo empties them, and the table's count must say so (a count kept
	 * through the failed fill would let the removal below unlink it as
	 * three leaves). */
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 3), R, 0), base + 2 * page), 0, "whole count: a page");
	EXPECT_RC(c, mmu_add_range(&ta, ent(pa_for(c, tbl, 1), R | W, 0), base, 4 * page), -EEXIST,
	          "whole count: a range over it");
	EXPECT_RC(c, mmu_commit(&ta), 0, "whole count: commit after a failed range");
	remove_table(c, t, base, span, "whole count after a failed range", 0);

	/* Runs of mmu_add into a leaf table born in the transaction go inline
	 * (the call window, include/mmu.h), which records a run of adds into
	 * consecutive slots by its ends and keeps the table's count (commit does
	 * not scan it, mmu/pt_engine_one.h win_count): in order, in reverse, with
	 * gaps filled later, broken by finds, with an inline remove or update
	 * among them (the count is then taken at commit). After an add the
	 * current entry is the page just added; a remove of it takes that page.
	 * The statistics must be exact and a whole-table removal, which trusts
	 * the count, must leave nothing. */
	enum { K = 48 };
	for (int how = 0; how < 5; how++) {
		uint64_t want = 0;
		mmu_transaction(&ta, t);
		for (unsigned j = 0; j < K; j++) {
			/* how 1: in reverse; how 3: the even slots, then the odd ones */
			unsigned k = how == 1 ? K - 1 - j : how == 3 ? (j < K / 2 ? 2 * j : 2 * (j - K / 2) + 1) : j;
			vaddr_t va = base + k * page;
			if (!EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, k + 1), R | W, 0), va), 0,
			               "window count %d: add %u", how, k))
				continue;
			want++;
			/* (mmu_current_va writes out the run's current entry:
			 * asked after the add that follows an inline find, and
			 * at the end, not after every add of a run) */
			bool ask = how == 1 || how == 3 || (how == 2 && j == K / 2 + 2);
			if (ask && mmu_current_va(&ta) != va)
				failf(c, "window count %d: add %u: current va %#" PRIx64 ", expected %#" PRIx64,
				      how, k, mmu_current_va(&ta), va);
			/* A find breaks the run: through the layer (which closes
			 * the window and opens it again), then inline, between
			 * two adds into consecutive words. */
			if (how == 2 && (j == K / 2 || j == K / 2 + 1)) {
				vaddr_t f = base + (j - K / 2 + 3) * page;
				EXPECT_RC(c, mmu_find(&ta, f, &got), 0, "window count: find");
				if (mmu_current_va(&ta) != f)
					failf(c, "window count: current va %#" PRIx64 " after a find, expected %#"
					      PRIx64, mmu_current_va(&ta), f);
			}
		}
		if (how == 0) {   /* a call that fails and closes the window: the last add is current */
			EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 1), R | W, 0), base), -EEXIST,
			          "window count: an occupied page");
			if (mmu_current_va(&ta) != base + (K - 1) * page)
				failf(c, "window count: current va %#" PRIx64 " after a failed add, expected %#"
				      PRIx64, mmu_current_va(&ta), base + (K - 1) * page);
		}
		if (how == 2) {   /* the last add removed; a find and remove of another */
			EXPECT_RC(c, mmu_remove(&ta), 0, "window count: remove the last add");
			expect_unmapped(c, t, &ta, base + (K - 1) * page, "window count: the last add");
			EXPECT_RC(c, mmu_find(&ta, base + 5 * page, &got), 0, "window count: find 5");
			EXPECT_RC(c, mmu_remove(&ta), 0, "window count: remove 5");
			want -= 2;
		}
		if (how == 4) {   /* the last add updated, then a page found and updated */
			EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, K), R, 0)), 0,
			          "window count: update the last add");
			struct want u = want_of(base + (K - 1) * page, pa_for(c, 0, K), 0, R);
			expect_find_at(c, &ta, &u, u.va, "window count: the updated add");
			EXPECT_RC(c, mmu_find(&ta, base + 6 * page, &got), 0, "window count: find 6");
			EXPECT_RC(c, mmu_update(&ta, ent(pa_for(c, 0, 7), R, 0)), 0, "window count: update 6");
		}
		EXPECT_RC(c, mmu_commit(&ta), 0, "window count %d: commit", how);
		st = stats(c, t);
		if (st->entries[0] != want || st->mapped_bytes != want * page)
			failf(c, "window count %d: %" PRIu64 " entries %" PRIu64 " bytes, expected %" PRIu64
			      " entries", how, st->entries[0], st->mapped_bytes, want);
		for (unsigned k = 0; k < K; k++) {
			struct want w = want_of(base + k * page, pa_for(c, 0, k + 1), 0,
			                        how == 4 && (k == 6 || k == K - 1) ? R : R | W);
			if (how == 4 && k == K - 1)
				w.pa = pa_for(c, 0, K);
			if (how == 2 && (k == 5 || k == K - 1))
				expect_unmapped(c, t, NULL, w.va, "window count: removed, committed");
			else
				expect_entry(c, t, &w, "window count: committed");
		}
		remove_table(c, t, base, span, "window count", how);
	}
}

/* Reclaim sees the transaction's deferred stores: a page added to a live
 * leaf table (a deferred store, the table left live), then the table's
 * only committed page removed through the general path (counted: no
 * shortcut), which asks whether the table is empty now (table_used). It
 * is not: the new page is only in the deferred store, in a slot whose
 * live word is 0, which a scan of the live words alone never sees. The
 * table must stay, with the new page in it, and no table may leak. */
static void case_reclaim_deferred(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	vaddr_t base = uva(c, leaf_table_order(c), 2);
	uint64_t pages0 = stats(c, t)->table_pages;
	mmu_transaction_t ta;
	mmu_entry_t got;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, mmu_mkcount(ent(pa_for(c, 0, 1), R, 0), 3), base), 0,
	          "reclaim deferred: a counted page");
	EXPECT_RC(c, mmu_commit(&ta), 0, "reclaim deferred: commit it");
	uint64_t pages1 = stats(c, t)->table_pages;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 2), R, 0), base + 5 * page), 0,
	          "reclaim deferred: a page beside it");
	if (EXPECT_RC(c, mmu_find(&ta, base, &got), 0, "reclaim deferred: find the counted page"))
		EXPECT_RC(c, mmu_remove(&ta), 0, "reclaim deferred: remove it");
	EXPECT_RC(c, mmu_find(&ta, base + 5 * page, &got), 0,
	          "reclaim deferred: the page beside, in the transaction");
	EXPECT_RC(c, mmu_commit(&ta), 0, "reclaim deferred: commit");
	mmu_transaction(&ta, t);
	if (EXPECT_RC(c, mmu_find(&ta, base + 5 * page, &got), 0,
	              "reclaim deferred: the page beside, committed") &&
	    mmu_entry_pa(got) != pa_for(c, 0, 2))
		failf(c, "reclaim deferred: pa %#" PRIx64 ", expected %#" PRIx64, mmu_entry_pa(got),
		      pa_for(c, 0, 2));
	EXPECT_RC(c, mmu_find(&ta, base, &got), -ENOENT, "reclaim deferred: the counted page, removed");
	mmu_forget(&ta);
	if (stats(c, t)->table_pages != pages1)
		failf(c, "reclaim deferred: %" PRIu64 " table pages, expected %" PRIu64,
		      stats(c, t)->table_pages, pages1);
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_remove_range(&ta, base, base + page * 6), 0, "reclaim deferred: remove it all");
	EXPECT_RC(c, mmu_commit(&ta), 0, "reclaim deferred: commit the removal");
	if (stats(c, t)->table_pages != pages0)
		failf(c, "reclaim deferred: %" PRIu64 " table pages left, expected %" PRIu64,
		      stats(c, t)->table_pages, pages0);
	drop_set(c, t);
}

/* Contiguous groups added one mmu_add each into a leaf table born in the
 * transaction (the one-entry shortcut writes them as a run, and keeps the
 * table's count without a scan at commit, mmu/pt_engine_one.h): the
 * table's first group's span as base pages (mmu_add_range), every other
 * group by mmu_add. The statistics count each group once, and a
 * mmu_remove_range of the table, which unlinks a table of plain leaves
 * whole by its count, must see the groups: a group counted as plain
 * leaves would be removed as base pages. */
struct group_scan {
	vaddr_t va;
	paddr_t pa;
	uint64_t page, n[2], bad;   /* n: base pages, groups */
	unsigned og;
};

/* Entries in address order, each following the last in va and pa. */
static mmu_entry_t group_scan_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct group_scan *s = priv;
	unsigned o = mmu_entry_order(e);
	s->bad += va != s->va || mmu_entry_pa(e) != s->pa || mmu_entry_prot(e) != (R | W) ||
	          (o && o != s->og);
	s->n[o != 0]++;
	s->va = va + (s->page << o);
	s->pa = mmu_entry_pa(e) + (s->page << o);
	return e;
}

static void case_group_count(struct ctx *c)
{
	unsigned tbl = c->env.geo.page_shift - 3, og = 0;   /* a leaf table's span */
	for (unsigned o = 1; o < tbl && !og; o++)
		og = native(c, o) ? o : 0;
	if (!og || !native(c, tbl) || sz(c, tbl) > c->env.user_top / 8)
		return;   /* no group below a leaf table's span (radix-6level: not 2^9 a table) */
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0), gsize = sz(c, og), span = sz(c, tbl), groups = span / gsize - 1;
	vaddr_t va = uva(c, tbl, 2);
	paddr_t pa = pa_for(c, tbl, 1);
	struct mmu_stats st0 = *stats(c, t);
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add_range(&ta, ent(pa, R | W, 0), va, gsize), 0, "group count: base pages");
	for (uint64_t k = 1; k <= groups; k++)
		if (!EXPECT_RC(c, mmu_add(&ta, ent(pa + k * gsize, R | W, og), va + k * gsize), 0,
		               "group count: group %" PRIu64 " of order %u", k, og))
			break;
	EXPECT_RC(c, mmu_add(&ta, ent(pa, R, og), va + gsize), -EEXIST, "group count: a group again");
	EXPECT_RC(c, mmu_commit(&ta), 0, "group count: commit");
	struct group_scan gs = { .va = va, .pa = pa, .page = page, .og = og };
	EXPECT_RC(c, mmu_scan(t, va, va + span, group_scan_fn, &gs), 0, "group count: mmu_scan");
	if (gs.bad || gs.n[0] != gsize / page || gs.n[1] != groups)
		failf(c, "group count: mmu_scan saw %" PRIu64 " base pages and %" PRIu64 " groups of "
		      "order %u (expected %" PRIu64 ", %" PRIu64 "), %" PRIu64 " wrong", gs.n[0],
		      gs.n[1], og, gsize / page, groups, gs.bad);
	expect_range(c, t, va, pa, span, R | W, MMU_MEM_NORMAL, "group count");   /* walked */
	struct mmu_stats st = *stats(c, t);
	if (st.entries[0] != st0.entries[0] + gsize / page || st.entries[og] != st0.entries[og] + groups)
		failf(c, "group count: entries[0] +%" PRIu64 " (expected +%" PRIu64 "), entries[%u] +%"
		      PRIu64 " (expected +%" PRIu64 ")", st.entries[0] - st0.entries[0], gsize / page,
		      og, st.entries[og] - st0.entries[og], groups);
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_remove_range(&ta, va, va + span), 0, "group count: remove the table");
	EXPECT_RC(c, mmu_commit(&ta), 0, "group count: commit the removal");
	expect_unmapped(c, t, NULL, va + span - page, "group count: removed");
	st = *stats(c, t);
	if (memcmp(st.entries, st0.entries, sizeof(st.entries)) || st.mapped_bytes != st0.mapped_bytes ||
	    st.table_pages != st0.table_pages)
		failf(c, "group count: removed, entries[0] +%" PRIu64 ", entries[%u] +%" PRIu64
		      ", mapped_bytes +%#" PRIx64 ", table_pages %" PRIu64 " (expected %" PRIu64 ")",
		      st.entries[0] - st0.entries[0], og, st.entries[og] - st0.entries[og],
		      st.mapped_bytes - st0.mapped_bytes, st.table_pages, st0.table_pages);
}

/* The set cursor (mmu_translation_set.leaf, mmu/pt_engine.h): a
 * transaction starts at the leaf table the last one walked in that lock
 * region, which must never be a table since freed (a remove emptied it, a
 * merge replaced it), one born in a transaction that was forgotten, or one
 * the transaction itself has unlinked. */
static void case_set_cursor(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned tbl = leaf_table_order(c);
	bool merge = native(c, tbl);
	uint64_t span = sz(c, tbl);
	vaddr_t base = uva(c, tbl, 2);
	mmu_transaction_t ta;
	mmu_entry_t got;
	struct want p[4];
	for (unsigned k = 0; k < 4; k++)
		p[k] = want_of(base + k * page, pa_for(c, 0, k + 1), 0, R | W);

	/* Emptied and freed between two one-page transactions. */
	for (int round = 0; round < 2; round++) {
		EXPECT_RC(c, add_commit(t, ent(p[0].pa, R | W, 0), p[0].va), 0, "set cursor: add 0");
		EXPECT_RC(c, add_commit(t, ent(p[1].pa, R | W, 0), p[1].va), 0, "set cursor: add 1");
		EXPECT_RC(c, remove_commit(t, p[0].va), 0, "set cursor: remove 0");
		EXPECT_RC(c, remove_commit(t, p[1].va), 0, "set cursor: remove 1 (frees the table)");
	}
	EXPECT_RC(c, add_commit(t, ent(p[2].pa, R | W, 0), p[2].va), 0, "set cursor: add after the free");
	expect_entry(c, t, &p[2], "set cursor: after the free");
	expect_unmapped(c, t, NULL, p[0].va, "set cursor: the removed page");

	/* Unlinked by the transaction itself, then a page next to it. */
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_find(&ta, p[2].va, &got), 0, "set cursor: find 2");
	EXPECT_RC(c, mmu_remove(&ta), 0, "set cursor: remove 2 (unlinks the table)");
	EXPECT_RC(c, mmu_add(&ta, ent(p[3].pa, R | W, 0), p[3].va), 0, "set cursor: add 3");
	EXPECT_RC(c, mmu_commit(&ta), 0, "set cursor: commit");
	expect_entry(c, t, &p[3], "set cursor: added after its table was unlinked");

	/* A table born in a forgotten transaction. */
	vaddr_t other = base + 2 * span;
	struct want q = want_of(other + page, pa_for(c, 0, 9), 0, R | W);
	mmu_transaction(&ta, t);
	EXPECT_RC(c, mmu_add(&ta, ent(pa_for(c, 0, 8), R | W, 0), other), 0, "set cursor: born");
	EXPECT_RC(c, mmu_find(&ta, other, &got), 0, "set cursor: find in it");
	mmu_forget(&ta);
	EXPECT_RC(c, add_commit(t, ent(q.pa, R | W, 0), q.va), 0, "set cursor: add after the forget");
	expect_entry(c, t, &q, "set cursor: after the forget");

	/* Replaced by a block (a merge frees it). */
	if (merge) {
		struct want blk = want_of(base, pa_for(c, tbl, 1), tbl, R | W);
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_find(&ta, p[3].va, &got), 0, "set cursor: find before the merge");
		EXPECT_RC(c, mmu_update(&ta, ent(blk.pa, R | W, tbl)), 0, "set cursor: merge");
		EXPECT_RC(c, mmu_commit(&ta), 0, "set cursor: commit the merge");
		mmu_transaction(&ta, t);
		expect_find_at(c, &ta, &blk, base + 5 * page, "set cursor: find after the merge");
		mmu_forget(&ta);
		EXPECT_RC(c, remove_commit(t, base), 0, "set cursor: remove the block");
		EXPECT_RC(c, add_commit(t, ent(p[1].pa, R | W, 0), p[1].va), 0, "set cursor: add after it");
		expect_entry(c, t, &p[1], "set cursor: after the block");
	}
	EXPECT_RC(c, mmu_clear_range(t, base, base + 3 * span), 0, "set cursor: clear");
}

/* Allocation failure at every allocation point of a workload: the failing
 * step changes nothing (raw tables, table pages), and once everything is
 * removed no table page is left. */
static int workload_step(struct ctx *c, int step, mmu_translation_set_t *t, mmu_translation_set_t **t2,
                         const struct want *w)
{
	mmu_transaction_t ta;
	mmu_entry_t got;
	int rc = 0, i;
	switch (step) {
	case 0:
		if ((i = free_slot(c)) < 0)
			return -ENOSPC;
		rc = mmu_new_translation_set(&c->sets[i]);
		if (!rc) {
			c->live[i] = true;
			*t2 = &c->sets[i];
		}
		return rc;
	case 1:
		mmu_transaction(&ta, t);
		rc = mmu_add(&ta, ent(pa_for(c, 0, 1), R, 0), uva(c, 0, 0));
		if (!rc)
			rc = mmu_add(&ta, ent(pa_for(c, 3, 1), R | W, 3), uva(c, c->big + 2, 1) + sz(c, 3));
		if (!rc)
			rc = mmu_add(&ta, ent(pa_for(c, c->big, 4), R | X, c->big), uva(c, c->big + 2, 1) + sz(c, c->big));
		if (!rc)
			rc = mmu_add(&ta, mmu_mkglobal(ent(pa_for(c, 0, 2), R | W, 0)), kva(c, 0, 3));
		if (!rc && w[1].order > 0)
			rc = mmu_find(&ta, w[1].va + sz(c, w[1].order) / 2, &got);
		if (!rc && w[1].order > 0)
			rc = mmu_update(&ta, ent(w[1].pa + sz(c, w[1].order) / 2, R, w[1].order - 1));
		if (rc) {
			if (rc == -ENOMEM) {
				/* The failed call left the transaction usable. */
				mmu_entry_t probe;
				int f = mmu_find(&ta, w[0].va, &probe);
				if (f != 0)
					failf(c, "after -ENOMEM inside a transaction: mmu_find of an old entry: expected 0, got %d", f);
			}
			mmu_forget(&ta);
			return rc;
		}
		return mmu_commit(&ta);
	case 2:
		return mmu_clear_range(t, w[1].va + sz(c, 0), w[1].va + 2 * sz(c, 0));
	case 3:
		return mmu_copy_range(*t2, t, w[3].va + sz(c, 0), w[3].va, sz(c, w[3].order));
	case 4:
		if ((i = free_slot(c)) < 0)
			return -ENOSPC;
		rc = mmu_dup_translation_set(&c->sets[i], t);
		if (!rc) {
			c->live[i] = true;
			drop_set(c, &c->sets[i]);
		}
		return rc;
	case 5:
		return remove_commit(t, kva(c, 0, 3));
	}
	return 1;    /* no such step: the workload is over */
}

static void case_alloc_fail(struct ctx *c)
{
	long n;
	if (!hx_fail_alloc_after(-1)) {
		c->skipped = "no allocation-failure injection here";
		return;
	}
	for (n = 0; n < 20000 && !c->fails; n++) {
		mmu_translation_set_t *t = new_set(c), *t2 = NULL;
		if (!t)
			return;
		struct want w[4];
		if (populate(c, t, w, 4) < 4)
			return;
		hx_fail_alloc_after(n);
		int step, rc = 0;
		bool enomem = false;
		for (step = 0; !c->fails; step++) {
			struct hx_snap s = take(t), s2 = { 0 };
			if (t2)
				s2 = take(t2);
			rc = workload_step(c, step, t, &t2, w);
			if (rc == -ENOMEM) {
				hx_fail_alloc_after(-1);
				char what[80];
				snprintf(what, sizeof(what), "allocation %ld failing in workload step %d", n, step);
				expect_same(c, t, &s, what);
				if (t2 && s2.buf)
					expect_same(c, t2, &s2, what);
				enomem = true;
			} else if (rc != 0 && rc != 1) {
				failf(c, "allocation failure after %ld in step %d: expected 0 or %d, got %d",
				      n, step, -ENOMEM, rc);
			}
			drop_snap(&s);
			drop_snap(&s2);
			if (rc)
				break;
		}
		hx_fail_alloc_after(-1);
		/* Tear down and count the pages: nothing may be left. */
		mmu_transaction_t ta;
		mmu_entry_t got;
		mmu_transaction(&ta, t);
		if (mmu_find(&ta, kva(c, 0, 3), &got) == 0)
			mmu_remove(&ta);
		mmu_commit(&ta);
		for (int i = 0; i < NSETS; i++)
			if (c->live[i])
				drop_set(c, &c->sets[i]);
		if (hx_tables_in_use() != c->baseline)
			failf(c, "allocation %ld failing: after removing every set, tables in use expected %zu, got %zu",
			      n, c->baseline, hx_tables_in_use());
		if (!enomem)
			break;     /* the whole workload ran: every point was tried */
	}
	if (n < 3 && !c->fails)
		failf(c, "the workload needed only %ld table allocations: expected a real workload", n);
}

/* The range calls: a run of entries of several orders (plain, composed,
 * counted) added in one call, protected and removed across entry
 * boundaries, the straddled entries keeping the rest of their
 * translation; statistics and table pages exact; bad input refused with
 * nothing changed. */
static void case_ranges(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned list[3] = { 0, 3, c->big };
	for (unsigned i = 0; i < 3 && !c->fails; i++) {
		unsigned o = list[i];
		if (o + 2 > c->env.geo.max_order)
			continue;
		uint64_t size = sz(c, o), len = 4 * size;
		vaddr_t va = uva(c, o + 2, 1);
		paddr_t pa = pa_for(c, o + 2, i);
		mmu_entry_t e = ent(pa, R | W, o);
		if (i == 1)
			e = mmu_mkcount(e, 5);
		struct mmu_stats st0 = *stats(c, t);
		char what[96];
		snprintf(what, sizeof(what), "mmu_add_range of 4 entries of order %u", o);

		mmu_transaction_t ta;
		mmu_transaction(&ta, t);
		if (!EXPECT_RC(c, mmu_add_range(&ta, e, va, len), 0, "%s", what)) {
			mmu_forget(&ta);
			continue;
		}
		if (mmu_current_va(&ta) != va + len - size)
			failf(c, "%s: current entry expected at %#" PRIx64 ", got %#" PRIx64, what,
			      va + len - size, mmu_current_va(&ta));
		for (unsigned k = 0; k < 4; k++) {
			struct want w = want_of(va + k * size, pa + k * size, o, R | W);
			expect_entry_ta(c, &ta, &w, what);
		}
		/* Overlapping, or bad: refused, and the transaction unchanged. */
		EXPECT_RC(c, mmu_add_range(&ta, ent(pa, R, o), va + len - size, 2 * size), -EEXIST,
		          "%s: a range overlapping the last entry", what);
		expect_unmapped(c, t, &ta, va + len, "after an overlapping mmu_add_range");
		EXPECT_RC(c, mmu_add_range(&ta, e, va + len, 0), -EINVAL, "%s: length 0", what);
		EXPECT_RC(c, mmu_add_range(&ta, e, va + len, size - page / 2), -EINVAL,
		          "%s: length not a multiple of the entry", what);
		EXPECT_RC(c, mmu_add_range(&ta, ent(pa, R, o), c->env.user_top - size, 2 * size), -ERANGE,
		          "%s: across the top of the user half", what);
		expect_unmapped(c, t, &ta, va + len, "after refused mmu_add_range calls");
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		for (unsigned k = 0; k < 4; k++) {
			struct want w = want_of(va + k * size, pa + k * size, o, R | W);
			expect_entry(c, t, &w, what);
		}
		struct mmu_stats st = *stats(c, t);
		if (st.entries[o] != st0.entries[o] + 4 || st.mapped_bytes != st0.mapped_bytes + len ||
		    st.counters[5] != st0.counters[5] + (i == 1 ? len / page : 0))
			failf(c, "%s: entries[%u] expected +4, got +%" PRIu64 "; mapped_bytes +%#" PRIx64
			      ", got +%#" PRIx64 "; counters[5] +%" PRIu64 ", got +%" PRIu64, what, o,
			      st.entries[o] - st0.entries[o], len, st.mapped_bytes - st0.mapped_bytes,
			      i == 1 ? len / page : 0, st.counters[5] - st0.counters[5]);

		/* Protect: entry 0 and 2 straddle the ends (whole ones for
		 * base pages), entry 1 lies inside and keeps its size. */
		vaddr_t start = o ? va + size / 2 : va + size, end = o ? va + 2 * size + size / 2 : va + 3 * size;
		snprintf(what, sizeof(what), "mmu_protect_range across entries of order %u", o);
		uint64_t f0 = st.tlb_flushes;
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_protect_range(&ta, start, end, W), -EINVAL, "%s: write without read", what);
		EXPECT_RC(c, mmu_protect_range(&ta, start, end + page / 2, R), -EINVAL, "%s: misaligned end", what);
		EXPECT_RC(c, mmu_protect_range(&ta, start, end, R), 0, "%s", what);
		EXPECT_RC(c, mmu_update(&ta, e), -ENOENT, "%s: no entry current afterwards", what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		expect_range(c, t, va, pa, start - va, R | W, MMU_MEM_NORMAL, what);
		expect_range(c, t, start, pa + (start - va), end - start, R, MMU_MEM_NORMAL, what);
		expect_range(c, t, end, pa + (end - va), va + len - end, R | W, MMU_MEM_NORMAL, what);
		struct want w1 = want_of(va + size, pa + size, o, R);
		expect_entry(c, t, &w1, "an entry wholly inside a protected range keeps its size");
		st = *stats(c, t);
		if (st.mapped_bytes != st0.mapped_bytes + len ||
		    st.counters[5] != st0.counters[5] + (i == 1 ? len / page : 0))
			failf(c, "%s: mapped_bytes or counters changed", what);
		if (st.tlb_flushes != f0 + 1)
			failf(c, "%s: tlb_flushes expected +1, got +%" PRIu64, what, st.tlb_flushes - f0);

		/* Remove all but the first and last base page, then the rest. */
		snprintf(what, sizeof(what), "mmu_remove_range inside entries of order %u", o);
		f0 = st.tlb_flushes;
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_remove_range(&ta, va + page, va + len - page / 2), -EINVAL,
		          "%s: misaligned end", what);
		EXPECT_RC(c, mmu_remove_range(&ta, va + page, va + page), -EINVAL, "%s: empty", what);
		EXPECT_RC(c, mmu_remove_range(&ta, c->env.user_top - page, c->env.user_top + page), -ERANGE,
		          "%s: across the top of the user half", what);
		EXPECT_RC(c, mmu_remove_range(&ta, va + page, va + len - page), 0, "%s", what);
		expect_unmapped(c, t, &ta, va + page, what);
		expect_unmapped(c, t, &ta, va + len - 2 * page, what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		expect_range(c, t, va, pa, page, R | W, MMU_MEM_NORMAL, what);
		expect_range(c, t, va + len - page, pa + len - page, page, R | W, MMU_MEM_NORMAL, what);
		for (vaddr_t v = va + page; v < va + len - page; v += (len - 2 * page) / 8 > page ? (len - 2 * page) / 8 : page)
			expect_unmapped(c, t, NULL, v, what);
		st = *stats(c, t);
		if (st.mapped_bytes != st0.mapped_bytes + 2 * page)
			failf(c, "%s: mapped_bytes expected +%#" PRIx64 ", got +%#" PRIx64, what,
			      2 * page, st.mapped_bytes - st0.mapped_bytes);
		if (st.tlb_flushes != f0 + 1)
			failf(c, "%s: tlb_flushes expected +1, got +%" PRIu64, what, st.tlb_flushes - f0);
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_remove_range(&ta, va, va + len), 0, "%s: the rest", what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		st = *stats(c, t);
		if (st.mapped_bytes != st0.mapped_bytes || st.table_pages != st0.table_pages ||
		    memcmp(st.counters, st0.counters, sizeof(st.counters)))
			failf(c, "%s: everything removed: mapped_bytes +%#" PRIx64 ", table_pages %" PRIu64
			      " (expected %" PRIu64 ")", what, st.mapped_bytes - st0.mapped_bytes,
			      st.table_pages, st0.table_pages);
	}
}

/* What case_ranges_whole's scan saw against what it expected: base pages
 * from va -> pa, consecutive, of one protection. */
struct whole_scan {
	vaddr_t va;
	paddr_t pa;
	uint64_t page, n, bad;
	unsigned prot;
	vaddr_t first_bad;
};

static mmu_entry_t whole_scan_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct whole_scan *s = priv;
	if ((va != s->va || mmu_entry_pa(e) != s->pa || mmu_entry_prot(e) != s->prot ||
	     mmu_entry_order(e) != 0) && !s->bad++)
		s->first_bad = va;
	s->n++;
	s->va = va + s->page;
	s->pa = mmu_entry_pa(e) + s->page;
	return e;
}

/* [va, va + len) maps pa onwards with prot in base pages, and nothing else
 * is mapped within margin of it (a leaf table's span: the tables a range
 * call writes around it hold nothing more). */
static void expect_whole(struct ctx *c, mmu_translation_set_t *t, vaddr_t va, paddr_t pa,
                         uint64_t len, uint64_t margin, unsigned prot, const char *what)
{
	uint64_t page = sz(c, 0);
	struct whole_scan s = { .va = va, .pa = pa, .page = page, .prot = prot };
	EXPECT_RC(c, mmu_scan(t, va - margin, va + len + margin, whole_scan_fn, &s), 0,
	          "%s: mmu_scan", what);
	if (s.n != len / page || s.bad)
		failf(c, "%s: mmu_scan saw %" PRIu64 " base pages (expected %" PRIu64 " and none "
		      "within %#" PRIx64 " around), %" PRIu64 " wrong, the first at %#" PRIx64, what,
		      s.n, len / page, margin, s.bad, s.first_bad);
	expect_range(c, t, va, pa, len, prot, MMU_MEM_NORMAL, what);   /* walked, sampled */
}

/*
 * The range calls over whole leaf tables and the partial ones around them:
 * the per-table loops (a new table the map covers filled whole without
 * being zeroed, three in a row so that one is born while the one before
 * is filled (whole_ahead), and nothing mapped past either end of the
 * range, a run rewritten in one pass, a committed table unlinked
 * whole by its count, a table of this transaction removed by one read
 * pass). Every base page is checked by mmu_scan, up to 1024 of them by the
 * hardware walk.
 */
static void case_ranges_whole(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned o = c->env.geo.page_shift - 3;   /* a leaf table's span (or more) */
	if (o + 3 > c->env.geo.max_order)
		return;
	uint64_t span = sz(c, o), len = 3 * span + 5 * page;   /* 3 whole tables: one read ahead twice */
	vaddr_t va = uva(c, o + 2, 1) + span - 3 * page;
	paddr_t pa = pa_for(c, o + 2, 0) + span - 3 * page;
	struct mmu_stats st0 = *stats(c, t);
	for (unsigned round = 0; round < 2 && !c->fails; round++) {
		const char *what = round ? "mmu_add_range then mmu_remove_range in one transaction" :
		                           "mmu_add_range over whole leaf tables";
		mmu_transaction_t ta;
		mmu_transaction(&ta, t);
		if (!EXPECT_RC(c, mmu_add_range(&ta, ent(pa, R | W, 0), va, len), 0, "%s", what)) {
			mmu_forget(&ta);
			return;
		}
		if (round) {
			EXPECT_RC(c, mmu_remove_range(&ta, va, va + len), 0, "%s: remove", what);
			EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
			expect_unmapped(c, t, NULL, va + span, what);
			break;
		}
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		expect_whole(c, t, va, pa, len, span, R | W, what);
		struct mmu_stats st = *stats(c, t);
		if (st.entries[0] != st0.entries[0] + len / page ||
		    st.mapped_bytes != st0.mapped_bytes + len)
			failf(c, "%s: entries[0] +%" PRIu64 " (expected +%" PRIu64 "), mapped_bytes +%#"
			      PRIx64, what, st.entries[0] - st0.entries[0], len / page,
			      st.mapped_bytes - st0.mapped_bytes);

		what = "mmu_protect_range over whole leaf tables";
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_protect_range(&ta, va, va + len, R), 0, "%s", what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		expect_whole(c, t, va, pa, len, span, R, what);

		what = "mmu_remove_range over whole leaf tables";
		mmu_transaction(&ta, t);
		EXPECT_RC(c, mmu_remove_range(&ta, va, va + len), 0, "%s", what);
		EXPECT_RC(c, mmu_commit(&ta), 0, "%s: commit", what);
		expect_unmapped(c, t, NULL, va + span, what);
		st = *stats(c, t);
		if (memcmp(st.entries, st0.entries, sizeof(st.entries)) ||
		    st.mapped_bytes != st0.mapped_bytes || st.table_pages != st0.table_pages)
			failf(c, "%s: entries[0] +%" PRIu64 ", mapped_bytes +%#" PRIx64 ", table_pages %"
			      PRIu64 " (expected %" PRIu64 ")", what, st.entries[0] - st0.entries[0],
			      st.mapped_bytes - st0.mapped_bytes, st.table_pages, st0.table_pages);
	}
	struct mmu_stats st = *stats(c, t);
	if (st.mapped_bytes != st0.mapped_bytes || st.table_pages != st0.table_pages)
		failf(c, "ranges over whole tables: at the end mapped_bytes +%#" PRIx64
		      ", table_pages %" PRIu64 " (expected %" PRIu64 ")",
		      st.mapped_bytes - st0.mapped_bytes, st.table_pages, st0.table_pages);
}

/*
 * mmu_scan over the shapes its loops tell apart (include/mmu.h,
 * mmu_scan_next_): physically contiguous stretches of 8 or more base pages
 * (the caller's inline loop), shorter ones and a stretch whose output
 * addresses run backwards (the layer's own loop), holes, and a leaf-table
 * boundary inside a stretch. The callback sees every entry once, in
 * order, with its address; the entries it changes (every third one, also
 * in the middle of a contiguous stretch) are changed and no other.
 */
#define SCAN_SHAPE_N 80
struct scan_shape {
	vaddr_t va0;
	paddr_t pa0;
	uint64_t page;
	unsigned n, bad, make_ro;
	vaddr_t first_bad;
};

static bool scan_shape_hole(unsigned i) { return i == 5 || i == 50; }

static paddr_t scan_shape_pa(paddr_t pa0, uint64_t page, unsigned i)
{
	return pa0 + (i >= 20 && i < 32 ? 51 - i : i) * page;   /* 20..31 backwards */
}

static mmu_entry_t scan_shape_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct scan_shape *s = priv;
	/* the i-th entry the scan reports should be the i-th mapped one */
	unsigned i = 0, k = 0;
	for (; i < SCAN_SHAPE_N; i++)
		if (!scan_shape_hole(i) && k++ == s->n)
			break;
	unsigned prot = s->make_ro == 2 && i % 3 == 1 ? R : R | W;
	if ((i == SCAN_SHAPE_N || va != s->va0 + i * s->page ||
	     mmu_entry_pa(e) != scan_shape_pa(s->pa0, s->page, i) || mmu_entry_order(e) != 0 ||
	     mmu_entry_prot(e) != prot) && !s->bad++)
		s->first_bad = va;
	s->n++;
	return s->make_ro == 1 && i % 3 == 1 ? mmu_mkprot(e, R) : e;
}

static void case_scan_shapes(struct ctx *c)
{
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t page = sz(c, 0);
	unsigned o = c->env.geo.page_shift - 3;   /* a leaf table's span */
	if (o + 2 > c->env.geo.max_order)
		return;
	vaddr_t va0 = uva(c, o + 1, 1) + sz(c, o) - 40 * page;   /* a table boundary at 40 */
	paddr_t pa0 = pa_for(c, o + 1, 0);
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	for (unsigned i = 0; i < SCAN_SHAPE_N; i++)
		if (!scan_shape_hole(i) &&
		    !EXPECT_RC(c, mmu_add(&ta, ent(scan_shape_pa(pa0, page, i), R | W, 0), va0 + i * page),
		               0, "scan shapes: mmu_add of page %u", i)) {
			mmu_forget(&ta);
			return;
		}
	EXPECT_RC(c, mmu_commit(&ta), 0, "scan shapes: commit");
	static const char *const what[3] = { "returning every entry", "changing every third",
	                                     "after the change" };
	for (unsigned round = 0; round < 3; round++) {
		struct scan_shape s = { .va0 = va0, .pa0 = pa0, .page = page, .make_ro = round };
		EXPECT_RC(c, mmu_scan(t, va0, va0 + SCAN_SHAPE_N * page, scan_shape_fn, &s), 0,
		          "scan shapes: mmu_scan %s", what[round]);
		if (s.n != SCAN_SHAPE_N - 2 || s.bad)
			failf(c, "scan shapes: mmu_scan %s: %u calls (expected %u), %u wrong, the first at %#"
			      PRIx64, what[round], s.n, SCAN_SHAPE_N - 2, s.bad, s.first_bad);
	}
}

/* case_scan_split's callback: every entry once, in order, of the block
 * order; the one at split_va comes back as base pages. */
struct scan_split {
	vaddr_t va, split_va;
	paddr_t pa;
	uint64_t size;
	unsigned order, n, bad;
};

static mmu_entry_t scan_split_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct scan_split *s = priv;
	if (va != s->va || mmu_entry_pa(e) != s->pa || mmu_entry_order(e) != s->order)
		s->bad++;
	s->n++;
	s->va = va + s->size;
	s->pa = mmu_entry_pa(e) + s->size;
	return va == s->split_va ? mmu_mksize(e, 0) : e;
}

/*
 * A callback splitting an entry in the middle of a contiguous run of
 * blocks (the caller's inline loop hands it over, mmu_scan_keep_ splits
 * it and stops the run): the blocks after it are each reported once, the
 * split one reads back as base pages of the same translation, the others
 * as blocks.
 */
static void case_scan_split(struct ctx *c)
{
	unsigned o = c->env.geo.page_shift - 3;   /* a leaf table's span: the first block */
	if (!native(c, o) || o + 5 > c->env.geo.max_order)
		return;
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	uint64_t size = sz(c, o), n = 12, len = n * size;
	vaddr_t va = uva(c, o + 4, 1);
	paddr_t pa = pa_for(c, o + 4, 0);
	mmu_transaction_t ta;
	mmu_transaction(&ta, t);
	if (!EXPECT_RC(c, mmu_add_range(&ta, ent(pa, R | W, o), va, len), 0, "scan split: map blocks")) {
		mmu_forget(&ta);
		return;
	}
	EXPECT_RC(c, mmu_commit(&ta), 0, "scan split: commit");
	struct scan_split s = { .va = va, .split_va = va + 4 * size, .pa = pa, .size = size,
	                        .order = o };
	EXPECT_RC(c, mmu_scan(t, va, va + len, scan_split_fn, &s), 0, "scan split: mmu_scan");
	if (s.n != n || s.bad)
		failf(c, "scan split: mmu_scan made %u calls (expected %" PRIu64 "), %u wrong", s.n, n, s.bad);
	expect_range(c, t, va, pa, len, R | W, MMU_MEM_NORMAL, "scan split: after");
	mmu_transaction(&ta, t);
	mmu_entry_t got;
	for (uint64_t k = 3; k <= 5; k++)
		if (EXPECT_RC(c, mmu_find(&ta, va + k * size + size / 2, &got), 0, "scan split: mmu_find") &&
		    mmu_entry_order(got) != (k == 4 ? 0 : o))
			failf(c, "scan split: block %" PRIu64 " reads back as order %u (expected %u)", k,
			      mmu_entry_order(got), k == 4 ? 0 : o);
	mmu_forget(&ta);
}

/* -ENOMEM at every allocation inside each range call leaves the
 * transaction as it was: committed right after, the set's tables are bit
 * for bit as before and the statistics unchanged. Also over whole leaf
 * tables, where a table is born before the one ahead of it is filled. */
static void case_ranges_enomem(struct ctx *c)
{
	if (!hx_fail_alloc_after(-1)) {
		c->skipped = "no allocation-failure injection here";
		return;
	}
	mmu_translation_set_t *t = new_set(c);
	if (!t)
		return;
	unsigned o = c->big;
	uint64_t size = sz(c, o), page = sz(c, 0);
	vaddr_t va = uva(c, o + 2, 1);
	paddr_t pa = pa_for(c, o + 2, 0);
	if (!EXPECT_RC(c, add_commit(t, ent(pa, R | W, o), va), 0, "the first entry"))
		return;
	/* Eight pages alone in their leaf table: removing them all empties
	 * it, so the removal's last step (unlinking and freeing the table)
	 * has allocations of its own to fail. Half way up the user half,
	 * far from the first change below and from va: no table above
	 * theirs but the root is one the transaction already holds. (Next
	 * to va, at uva(o + 2, 2), on arm64 16K and 64K the parent table,
	 * spanning 64 GiB or 4 TiB, was the first change's too: the unlink
	 * allocated nothing, and a removal planted to keep its work when the
	 * unlink fails passed there.) */
	mmu_transaction_t ta;
	vaddr_t lone = c->env.user_top / 2;
	mmu_transaction(&ta, t);
	int rc0 = mmu_add_range(&ta, ent(pa_for(c, 0, 9), R | W, 0), lone, 8 * page);
	if (!EXPECT_RC(c, rc0 ? rc0 : mmu_commit(&ta), 0, "eight pages alone in a table")) {
		if (rc0)
			mmu_forget(&ta);
		return;
	}
	/* Whole leaf tables (kind 5): three, born one ahead of the fill
	 * (whole_ahead), between two partly covered ones, under a committed
	 * table: one page at the start of the block keeps it. */
	unsigned ot = c->env.geo.page_shift - 3;
	uint64_t span = sz(c, ot);
	vaddr_t wva = uva(c, ot + 2, 2);
	bool whole = ot + 3 <= c->env.geo.max_order;
	if (whole && !EXPECT_RC(c, add_commit(t, ent(pa_for(c, 0, 11), R, 0), wva), 0,
	                        "a page before the whole tables"))
		return;
	long injected = 0;
	for (int kind = 0; kind < 6 && !c->fails; kind++) {
		static const char *const names[] = { "mmu_add_range", "mmu_add_range (counted)",
		                                     "mmu_protect_range", "mmu_remove_range",
		                                     "mmu_remove_range (emptying a table)",
		                                     "mmu_add_range over whole leaf tables" };
		if (kind == 5 && !whole)
			break;
		long n;
		int rc = -ENOMEM;
		for (n = 0; rc == -ENOMEM && n < 20000 && !c->fails; n++) {
			struct hx_snap s = take(t);
			struct mmu_stats st0 = *stats(c, t);
			mmu_transaction(&ta, t);
			/* Something already changed in the transaction, so the
			 * failing call must unwind to it, not to nothing. For
			 * the emptying removal, in the kernel half: on hashed
			 * modes every user-half page the removal writes (with
			 * one bucket page, all of them) was the first change's
			 * already, so it allocated nothing that could fail. */
			vaddr_t first = kind == 4 ? kva(c, 0, 0) : uva(c, 0, 0);
			mmu_entry_t fe = ent(pa_for(c, 0, 7), R, 0);
			EXPECT_RC(c, mmu_add(&ta, kind == 4 ? mmu_mkglobal(fe) : fe, first), 0, "a first change");
			hx_fail_alloc_after(n);
			switch (kind) {
			case 0:
				rc = mmu_add_range(&ta, ent(pa + 4 * size, R, 0), va + size + size / 2, 8 * page);
				break;
			case 1:
				rc = mmu_add_range(&ta, mmu_mkcount(ent(pa + 4 * size, R, 0), 1),
				                   va + size + size / 2, 8 * page);
				break;
			case 2:
				rc = mmu_protect_range(&ta, va + page, va + size - page, R);
				break;
			case 3:
				rc = mmu_remove_range(&ta, va + 2 * page, va + size - 3 * page);
				break;
			case 4:
				rc = mmu_remove_range(&ta, lone, lone + 8 * page);
				break;
			default:
				rc = mmu_add_range(&ta, ent(pa_for(c, ot + 2, 1) + span - 3 * page, R | W, 0),
				                   wva + span - 3 * page, 3 * span + 5 * page);
				break;
			}
			hx_fail_alloc_after(-1);
			if (rc == -ENOMEM) {
				char what[96];
				snprintf(what, sizeof(what), "%s failing at allocation %ld, then commit", names[kind], n);
				mmu_entry_t got;
				EXPECT_RC(c, mmu_find(&ta, first, &got), 0, "%s: the first change", what);
				EXPECT_RC(c, mmu_find(&ta, first, &got), 0, "%s: the first change", what);
				EXPECT_RC(c, mmu_remove(&ta), 0, "%s: undoing the first change", what);
				EXPECT_RC(c, mmu_commit(&ta), 0, "%s", what);
				expect_same(c, t, &s, what);
				struct mmu_stats st = *stats(c, t);
				if (st.mapped_bytes != st0.mapped_bytes || st.table_pages != st0.table_pages ||
				    memcmp(st.entries, st0.entries, sizeof(st.entries)) ||
				    memcmp(st.counters, st0.counters, sizeof(st.counters)))
					failf(c, "%s: statistics changed (mapped_bytes +%#" PRIx64 ", table_pages %"
					      PRIu64 " -> %" PRIu64 ")", what, st.mapped_bytes - st0.mapped_bytes,
					      st0.table_pages, st.table_pages);
			} else {
				EXPECT_RC(c, rc, 0, "%s with no allocation failing", names[kind]);
				mmu_forget(&ta);
			}
			drop_snap(&s);
		}
		injected += n - 1;
	}
	if (injected < 3 && !c->fails)
		failf(c, "the range calls failed at only %ld allocations: expected the test to inject more",
		      injected);
}

/* ======================================================================== */

struct test_case {
	const char *name;
	void (*fn)(struct ctx *c);
};

static const struct test_case cases[] = {
	{ "geometry", case_geometry },
	{ "orders", case_orders },
	{ "split", case_split },
	{ "permissions", case_permissions },
	{ "globals", case_globals },
	{ "dup", case_dup },
	{ "copy_range", case_copy_range },
	{ "clear_range", case_clear_range },
	{ "scan", case_scan },
	{ "stats", case_stats },
	{ "tables_min", case_tables_min },
	{ "errors", case_errors },
	{ "forget", case_forget },
	{ "alloc_fail", case_alloc_fail },
	{ "ranges", case_ranges },
	{ "ranges_enomem", case_ranges_enomem },
	{ "ranges_whole", case_ranges_whole },
	{ "scan_shapes", case_scan_shapes },
	{ "scan_split", case_scan_split },
	{ "cursor", case_cursor },
	{ "window", case_window },
	{ "window_change", case_window_change },
	{ "two_slots", case_two_slots },
	{ "whole_count", case_whole_count },
	{ "group_count", case_group_count },
	{ "reclaim_deferred", case_reclaim_deferred },
	{ "set_cursor", case_set_cursor },
};

size_t conformance_ncases(void)
{
	return sizeof(cases) / sizeof(cases[0]);
}

const char *conformance_case_name(size_t k)
{
	return k < conformance_ncases() ? cases[k].name : NULL;
}

/* The globals the cases add go at kva(order, k <= 9) for orders up to the
 * last one pick_orders() lists (or c->big where that is too large for the
 * halves, as case_globals does): ask for sixteen of the largest. */
static bool pick_kernel_window(struct ctx *c)
{
	unsigned o = c->orders[c->norders - 1];
	if (sz(c, o) > c->env.user_top / 8 || o < c->big)
		o = c->big;
	c->kwin = hx_kernel_window(&c->env, sz(c, o), 16 * sz(c, o));
	if (!c->kwin)
		failf(c, "no window of %#" PRIx64 " bytes aligned to %#" PRIx64 " free in the kernel half",
		      16 * sz(c, o), sz(c, o));
	return c->kwin != 0;
}

/* One case; the context is static: it holds six sets, too big for a
 * kernel stack. One case at a time. */
struct conformance_result conformance_run(size_t k, const struct hx_mode *m, size_t baseline)
{
	static struct ctx ctx;
	struct ctx *c = &ctx;

	memset(c, 0, sizeof(*c));
	c->name = cases[k].name;
	c->env = *m;
	c->baseline = baseline;
	pick_orders(c);
	if (pick_kernel_window(c))
		cases[k].fn(c);
	hx_fail_alloc_after(-1);
	for (int i = 0; i < NSETS; i++)
		if (c->live[i])
			drop_set(c, &c->sets[i]);
	if (hx_tables_in_use() != c->baseline)
		failf(c, "every set removed: tables in use expected the baseline %zu, got %zu",
		      c->baseline, hx_tables_in_use());
	return (struct conformance_result){ .fails = c->fails, .skipped = c->skipped };
}
