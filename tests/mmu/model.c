/*
 * The model and the state machine behind diff.c and fuzz.c (see model.h).
 *
 * The model is a sorted list of translations per set (its own, user half)
 * plus one list of global entries (kernel half, shared by every set). An
 * open transaction works on copies of both (pend, gpend); mmu_commit
 * publishes the copies, mmu_forget drops them. After every step the state
 * machine checks:
 *   - through mmu_find, the view of every live set: the open transaction's
 *     own changes for its set, committed state for the others (a read-only
 *     transaction), at the first, middle and last base page of every entry
 *     and at both ends of every hole in the windows;
 *   - through mmu_host_hw_translate, committed state only, at the first,
 *     middle and last byte of every entry, for all six accesses
 *     (read/write/exec x supervisor/user), and at the holes;
 *   - mmu_stats of every set no transaction holds: entries per order,
 *     mapped_bytes, counters, tlb_flushes.
 */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether mmu_stats(t) counts the global entries t sees (kernel half) in
 * entries[], mapped_bytes and counters[], or only the set's own entries.
 * The contract says table_pages excludes the shared kernel half and is
 * silent on the rest; the MMU engineer fixed it: global entries appear in
 * every set, so every set's stats count them (what t translates). */
static const bool stats_count_globals = true;

#define R MMU_READ
#define W MMU_WRITE
#define X MMU_EXEC
#define U MMU_USER

/* ---- paging-mode configurations ---------------------------------------- */

int mode_enter(const struct mode_cfg *cfg, struct mode_env *env)
{
	memset(env, 0, sizeof(*env));
	env->cfg = *cfg;
	mmu_host_set_riscv_ext(cfg->svnapot, !cfg->nopbmt);
	mmu_host_set_hashed_pages(cfg->hashed_pages);
	int rc = mmu_select_mode(cfg->name);
	if (rc) {
		fprintf(stderr, "FAIL mode=%s: mmu_select_mode: expected 0, got %d\n",
		        cfg->label, rc);
		return rc;
	}
	const char *cur = mmu_current_mode();
	if (!cur || strcmp(cur, cfg->name) != 0) {
		fprintf(stderr, "FAIL mode=%s: mmu_current_mode: expected \"%s\", got \"%s\"\n",
		        cfg->label, cfg->name, cur ? cur : "(null)");
		return -EINVAL;
	}
	env->geo = *mmu_geometry();
	env->baseline = mmu_host_tables_in_use();

	mmu_translation_set_t t;
	rc = mmu_new_translation_set(&t);
	if (rc) {
		fprintf(stderr, "FAIL mode=%s: mmu_new_translation_set: expected 0, got %d\n",
		        cfg->label, rc);
		return rc;
	}
	struct mmu_host_hwstate hw;
	rc = mmu_host_hwstate(&t, &hw);
	mmu_remove_translation_set(&t);
	if (rc) {
		fprintf(stderr, "FAIL mode=%s: mmu_host_hwstate: expected 0, got %d\n",
		        cfg->label, rc);
		return rc;
	}
	if (mmu_host_tables_in_use() != env->baseline) {
		fprintf(stderr, "FAIL mode=%s: new + remove set: tables in use expected %zu, got %zu\n",
		        cfg->label, env->baseline, mmu_host_tables_in_use());
		return -EINVAL;
	}
	env->arch = hw.arch;
	unsigned half = env->arch == MMU_HOST_ARM64 ? env->geo.va_bits : env->geo.va_bits - 1;
	if (half >= 63 || env->geo.page_shift < 12 || env->geo.max_order >= 64) {
		fprintf(stderr, "FAIL mode=%s: implausible geometry va_bits %u page_shift %u max_order %" PRIu64 "\n",
		        cfg->label, env->geo.va_bits, env->geo.page_shift, env->geo.max_order);
		return -EINVAL;
	}
	env->user_top = (vaddr_t)1 << half;
	env->kernel_base = 0 - env->user_top;
	return 0;
}

size_t mode_configs(struct mode_cfg *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < mmu_mode_count() && n < max; i++) {
		struct mode_cfg c = { .name = mmu_mode_name(i), .svnapot = true };
		snprintf(c.label, sizeof(c.label), "%s", c.name);
		struct mode_env env;
		bool ok = mode_enter(&c, &env) == 0;
		out[n++] = c;
		if (ok && env.arch == MMU_HOST_RISCV && n < max) {
			c.svnapot = false;
			snprintf(c.label, sizeof(c.label), "%s-nonapot", c.name);
			out[n++] = c;
		}
		/* Few buckets: full buckets and overflow chains under random work. */
		if (ok && env.arch == MMU_HOST_HASHED && n < max) {
			c.hashed_pages = 1;
			snprintf(c.label, sizeof(c.label), "%s-tiny", c.name);
			out[n++] = c;
		}
	}
	mmu_host_set_riscv_ext(true, true);
	mmu_host_set_hashed_pages(0);
	return n;
}

size_t host_start(struct mode_cfg *out, size_t max)
{
	int rc = mmu_host_init(MODEL_HOST_BYTES);
	if (rc) {
		printf("FAIL: mmu_host_init(512 MiB): expected 0, got %d\n", rc);
		return 0;
	}
	size_t n = mode_configs(out, max);
	if (!n)
		printf("FAIL: no paging mode: mmu_mode_count() is %zu\n", mmu_mode_count());
	return n;
}

/* ---- where the choices come from ----------------------------------------- */

void src_seed(struct model_src *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->state = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	if (!s->state)
		s->state = 1;
}

void src_bytes(struct model_src *s, const uint8_t *data, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->len = len;
}

uint64_t src_below(struct model_src *s, uint64_t n)
{
	uint64_t r;
	if (s->data) {
		r = 0;
		for (int i = 0; i < 4; i++) {
			if (s->pos >= s->len) {
				s->exhausted = true;
				break;
			}
			r = r << 8 | s->data[s->pos++];
			if (n <= ((uint64_t)1 << (8 * (i + 1))))
				break;
		}
	} else {
		s->state ^= s->state >> 12;
		s->state ^= s->state << 25;
		s->state ^= s->state >> 27;
		r = (s->state * 0x2545f4914f6cdd1dull) >> 11;
	}
	return r % n;
}

/* ---- reporting ------------------------------------------------------------- */

static void tracef(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tracef(struct model *m, const char *fmt, ...)
{
	char *line = m->trace[m->ntrace++ % 32];
	int k = snprintf(line, sizeof(m->trace[0]), "step %u: ", m->step);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + k, sizeof(m->trace[0]) - (size_t)k, fmt, ap);
	va_end(ap);
	if (m->verbose)
		fprintf(stderr, "  %s\n", line);
}

static void failf(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void failf(struct model *m, const char *fmt, ...)
{
	fprintf(stderr, "FAIL mode=%s %s step %u: ", m->env.cfg.label, m->label, m->step);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (m->fails++ == 0 && !m->verbose) {
		unsigned first = m->ntrace > 32 ? m->ntrace - 32 : 0;
		fprintf(stderr, "  last operations:\n");
		for (unsigned i = first; i < m->ntrace; i++)
			fprintf(stderr, "    %s\n", m->trace[i % 32]);
	}
	if (m->abort_on_fail)
		abort();
}

/* ---- views --------------------------------------------------------------------- */

static uint64_t pg(const struct model *m, unsigned order)
{
	return page_bytes(&m->env, order);
}

static bool overlaps(const struct mentry *e, vaddr_t va, uint64_t size)
{
	return e->va < va + size && va < e->va + e->size;
}

static struct mentry *view_at(struct mview *v, vaddr_t va)
{
	for (size_t i = 0; i < v->n; i++)
		if (overlaps(&v->e[i], va, 1))
			return &v->e[i];
	return NULL;
}

static bool view_overlaps(const struct mview *v, vaddr_t va, uint64_t size)
{
	for (size_t i = 0; i < v->n; i++)
		if (overlaps(&v->e[i], va, size))
			return true;
	return false;
}

static bool view_has_room(const struct mview *v, size_t more)
{
	return v->n + more <= MODEL_MAX;
}

/* *d = *s for the entries in use: a whole struct mview is 384 entries,
 * and copying them all at every begin and commit was 1% of a fuzzing run. */
static void view_copy(struct mview *d, const struct mview *s)
{
	d->n = s->n;
	memcpy(d->e, s->e, s->n * sizeof(s->e[0]));
}

static void view_insert(struct mview *v, const struct mentry *e)
{
	size_t i = v->n;
	while (i > 0 && v->e[i - 1].va > e->va) {
		v->e[i] = v->e[i - 1];
		i--;
	}
	v->e[i] = *e;
	v->n++;
}

static void view_delete(struct mview *v, const struct mentry *e)
{
	size_t i = (size_t)(e - v->e);
	memmove(&v->e[i], &v->e[i + 1], (v->n - i - 1) * sizeof(v->e[0]));
	v->n--;
}

/* The part [va, va + size) of e, as an extent of unknown pieces. */
static struct mentry extent_of(const struct mentry *e, vaddr_t va, uint64_t size)
{
	struct mentry r = *e;
	r.pa = e->pa + (va - e->va);
	r.va = va;
	r.size = size;
	r.order = -1;
	return r;
}

/* Unmaps [start, end) in v as mmu_clear_range does: entries that straddle
 * an end keep the rest of their translation. Returns whether anything
 * straddled. Needs room for two more entries. */
static bool view_cut(struct mview *v, vaddr_t start, vaddr_t end)
{
	bool straddle = false;
	struct mentry keep[2];
	size_t nkeep = 0;
	for (size_t i = 0; i < v->n;) {
		struct mentry *e = &v->e[i];
		if (!overlaps(e, start, end - start)) {
			i++;
			continue;
		}
		if (e->va < start) {
			keep[nkeep++] = extent_of(e, e->va, start - e->va);
			straddle = true;
		}
		if (e->va + e->size > end) {
			keep[nkeep++] = extent_of(e, end, e->va + e->size - end);
			straddle = true;
		}
		view_delete(v, e);
	}
	for (size_t i = 0; i < nkeep; i++)
		view_insert(v, &keep[i]);
	return straddle;
}

/* A maximal stretch of entries contiguous in va and pa with the same
 * attributes: two views translate alike iff their runs are equal. */
static bool next_run(const struct mview *v, size_t *i, struct mentry *run)
{
	if (*i >= v->n)
		return false;
	*run = v->e[(*i)++];
	while (*i < v->n) {
		const struct mentry *e = &v->e[*i];
		if (e->va != run->va + run->size || e->pa != run->pa + run->size ||
		    e->prot != run->prot || e->memtype != run->memtype ||
		    e->global != run->global || e->counter != run->counter)
			break;
		run->size += e->size;
		(*i)++;
	}
	return true;
}

static bool same_translation(const struct mview *a, const struct mview *b)
{
	size_t i = 0, j = 0;
	struct mentry ra, rb;
	for (;;) {
		bool ha = next_run(a, &i, &ra), hb = next_run(b, &j, &rb);
		if (!ha || !hb)
			return ha == hb;
		if (ra.va != rb.va || ra.size != rb.size || ra.pa != rb.pa ||
		    ra.prot != rb.prot || ra.memtype != rb.memtype || ra.counter != rb.counter)
			return false;
	}
}

static mmu_entry_t mk(const struct mentry *e)
{
	mmu_entry_t x = mmu_mkentry(e->pa, e->prot);
	x = mmu_mkmemtype(x, (enum mmu_memtype)e->memtype);
	x = mmu_mksize(x, (unsigned)e->order);
	if (e->global)
		x = mmu_mkglobal(x);
	if (e->counter >= 0)
		x = mmu_mkcount(x, (unsigned)e->counter);
	return x;
}

static bool in_kernel(const struct model *m, vaddr_t va)
{
	return va >= m->env.kernel_base;
}

/* The open transaction's view of va's half. */
static struct mview *pend_view(struct model *m, vaddr_t va)
{
	return in_kernel(m, va) ? &m->gpend : &m->pend;
}

/* ---- checks ---------------------------------------------------------------------- */

/* mmu_find at va must report e (or, for an extent, an aligned piece of it).
 * Returns the order found, or -1 after a failure. */
static int check_find(struct model *m, mmu_transaction_t *ta, const struct mentry *e,
                      vaddr_t va, const char *what)
{
	mmu_entry_t got;
	int rc = mmu_find(ta, va, &got);
	if (rc) {
		failf(m, "%s: mmu_find(%#" PRIx64 ") in entry %#" PRIx64 "+%#" PRIx64
		      ": expected 0, got %d", what, va, e->va, e->size, rc);
		return -1;
	}
	vaddr_t base = mmu_current_va(ta);
	unsigned order = mmu_entry_order(got);
	paddr_t pa = mmu_entry_pa(got);
	if (e->order >= 0) {
		if (order != (unsigned)e->order || base != e->va || pa != e->pa) {
			failf(m, "%s: mmu_find(%#" PRIx64 "): expected va %#" PRIx64 " order %d pa %#" PRIx64
			      ", got va %#" PRIx64 " order %u pa %#" PRIx64,
			      what, va, e->va, e->order, e->pa, base, order, pa);
			return -1;
		}
	} else {
		uint64_t size = order <= m->env.geo.max_order ? pg(m, order) : 0;
		if (!size || base & (size - 1) || va < base || va - base >= size ||
		    base < e->va || base + size > e->va + e->size ||
		    pa != e->pa + (base - e->va)) {
			failf(m, "%s: mmu_find(%#" PRIx64 "): expected an aligned piece of %#" PRIx64 "+%#" PRIx64
			      " -> pa %#" PRIx64 ", got va %#" PRIx64 " order %u pa %#" PRIx64,
			      what, va, e->va, e->size, e->pa, base, order, pa);
			return -1;
		}
	}
	unsigned prot = mmu_entry_prot(got);
	unsigned memtype = mmu_entry_memtype(got);
	bool global = mmu_entry_global(got);
	if (prot != e->prot || memtype != e->memtype || global != e->global) {
		failf(m, "%s: mmu_find(%#" PRIx64 "): expected prot %#x memtype %u global %d"
		      ", got prot %#x memtype %u global %d",
		      what, va, e->prot, e->memtype, e->global, prot, memtype, global);
		return -1;
	}
	return (int)order;
}

static void check_hole(struct model *m, mmu_transaction_t *ta, vaddr_t va, const char *what)
{
	mmu_entry_t got;
	int rc = mmu_find(ta, va, &got);
	if (rc != -ENOENT)
		failf(m, "%s: mmu_find(%#" PRIx64 ") in a hole: expected %d, got %d (va %#" PRIx64 " order %u)",
		      what, va, -ENOENT, rc, rc ? 0 : mmu_current_va(ta), rc ? 0 : mmu_entry_order(got));
}

/* The part of the window [win, win + 2^win_order pages) inside sp. */
static struct span in_window(const struct model *m, vaddr_t win, struct span sp)
{
	vaddr_t end = win + pg(m, m->win_order);
	struct span r = { sp.lo > win ? sp.lo : win, sp.hi < end ? sp.hi : end };
	return r;
}

/* The part of the hole [lo, hi) inside w, in *h; false if none. */
static bool hole_in(vaddr_t lo, vaddr_t hi, struct span w, struct span *h)
{
	h->lo = lo > w.lo ? lo : w.lo;
	h->hi = hi < w.hi ? hi : w.hi;
	return h->lo < h->hi;
}

/* Every entry of v that meets sp at its first, middle and last base page;
 * both ends of every hole of the window, cut to sp. */
static void check_view(struct model *m, mmu_transaction_t *ta, const struct mview *v,
                       vaddr_t win, struct span sp, const char *what)
{
	struct span w = in_window(m, win, sp), h;
	if (w.lo >= w.hi)
		return;
	vaddr_t hole = win;
	for (size_t i = 0; i < v->n && !m->fails && hole < w.hi; i++) {
		const struct mentry *e = &v->e[i];
		if (e->va + e->size > w.lo && e->va < w.hi) {
			uint64_t pages = e->size >> m->env.geo.page_shift;
			vaddr_t at[3] = { e->va, e->va + pages / 2 * pg(m, 0), e->va + e->size - pg(m, 0) };
			for (int k = 0; k < 3 && !m->fails; k++)
				check_find(m, ta, e, at[k], what);
		}
		if (hole_in(hole, e->va, w, &h)) {
			check_hole(m, ta, h.lo, what);
			check_hole(m, ta, h.hi - pg(m, 0), what);
		}
		hole = e->va + e->size;
	}
	if (!m->fails && hole_in(hole, win + pg(m, m->win_order), w, &h)) {
		check_hole(m, ta, h.lo, what);
		check_hole(m, ta, h.hi - pg(m, 0), what);
	}
}

static const unsigned accesses[] = { R, W, X, R | U, W | U, X | U };
#define WALK_ENDS 4

/* The walker through set s at the first, middle and last byte of every
 * entry of v that meets sp, and at the first and last byte of every hole
 * of the window, cut to sp: for all six accesses at each point if
 * thorough, else each access at one of the points (which one turns with
 * the step), so that every access and every point is still walked. */
static void check_walk(struct model *m, int s, const struct mview *v, vaddr_t win, struct span sp,
                       bool thorough)
{
	mmu_translation_set_t *t = &m->sets[s];
	struct span w = in_window(m, win, sp), h;
	if (w.lo >= w.hi)
		return;
	/* Not thorough: at most WALK_ENDS entries at each end of the span
	 * (where a range call's bugs sit); the full checks walk the rest. */
	size_t first = v->n, last = 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->e[i].va + v->e[i].size > w.lo && v->e[i].va < w.hi)
			first = i < first ? i : first, last = i;
	for (size_t i = first; i <= last && i < v->n && !m->fails; i++) {
		const struct mentry *e = &v->e[i];
		if (!thorough && i >= first + WALK_ENDS && i + WALK_ENDS <= last)
			continue;
		uint64_t off[3] = { 0, e->size / 2 + 8, e->size - 1 };
		for (int k = 0; k < 3; k++) {
			for (size_t a = 0; a < sizeof(accesses) / sizeof(accesses[0]); a++) {
				if (!thorough && (a + (size_t)k + m->step + i) % 3)
					continue;
				paddr_t pa = 0;
				int rc = mmu_host_hw_translate(t, e->va + off[k], accesses[a], &pa);
				bool ok = access_allowed(e->prot, accesses[a]);
				if (ok ? rc != 0 || pa != e->pa + off[k] : rc != -EFAULT) {
					failf(m, "walker set %d va %#" PRIx64 " access %#x on prot %#x: expected %s %#" PRIx64
					      ", got rc %d pa %#" PRIx64, s, e->va + off[k], accesses[a], e->prot,
					      ok ? "pa" : "-EFAULT at", e->pa + off[k], rc, pa);
					return;
				}
			}
		}
	}
	/* Holes: first and last byte of each gap in the window. */
	vaddr_t hole = win;
	for (size_t i = 0; i <= v->n && !m->fails && hole < w.hi; i++) {
		vaddr_t end = i < v->n ? v->e[i].va : win + pg(m, m->win_order);
		if (hole_in(hole, end, w, &h)) {
			vaddr_t at[2] = { h.lo, h.hi - 1 };
			for (int k = 0; k < 2; k++) {
				for (size_t a = 0; a < sizeof(accesses) / sizeof(accesses[0]); a++) {
					if (!thorough && (a + (size_t)k + m->step + i) % 2)
						continue;
					paddr_t pa = 0;
					int rc = mmu_host_hw_translate(t, at[k], accesses[a], &pa);
					if (rc != -EFAULT) {
						failf(m, "walker set %d va %#" PRIx64 " (hole) access %#x: expected -EFAULT, got rc %d pa %#" PRIx64,
						      s, at[k], accesses[a], rc, pa);
						return;
					}
				}
			}
		}
		if (i < v->n)
			hole = v->e[i].va + v->e[i].size;
	}
}

static void add_counts(const struct model *m, const struct mview *v, struct mmu_stats *st, bool *exact)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct mentry *e = &v->e[i];
		if (e->order >= 0)
			st->entries[e->order]++;
		else
			*exact = false;
		st->mapped_bytes += e->size;
		if (e->counter >= 0)
			st->counters[e->counter] += e->size >> m->env.geo.page_shift;
	}
}

static void check_stats(struct model *m, int s)
{
	struct mmu_stats want, got;
	bool exact = true;
	memset(&want, 0, sizeof(want));
	add_counts(m, &m->own[s], &want, &exact);
	if (stats_count_globals)
		add_counts(m, &m->globals, &want, &exact);
	mmu_stats(&m->sets[s], &got);
	if (got.mapped_bytes != want.mapped_bytes)
		failf(m, "stats set %d: mapped_bytes expected %#" PRIx64 ", got %#" PRIx64,
		      s, want.mapped_bytes, got.mapped_bytes);
	for (int c = 0; c < 8; c++)
		if (got.counters[c] != want.counters[c])
			failf(m, "stats set %d: counters[%d] expected %" PRIu64 ", got %" PRIu64,
			      s, c, want.counters[c], got.counters[c]);
	for (int k = 0; exact && k < 64; k++)
		if (got.entries[k] != want.entries[k])
			failf(m, "stats set %d: entries[%d] expected %" PRIu64 ", got %" PRIu64,
			      s, k, want.entries[k], got.entries[k]);
	if (got.tlb_flushes != m->flushes[s])
		failf(m, "stats set %d: tlb_flushes expected %" PRIu64 ", got %" PRIu64,
		      s, m->flushes[s], got.tlb_flushes);
}

/* The reference rules' census of set s's tables (both halves) maps what
 * the model says it translates (a leaf left outside the windows the walks
 * look at shows here), and every table's per-table count adds up to its
 * valid entries. */
static void check_census(struct model *m, int s)
{
	struct mmu_host_census got;
	if (mmu_host_census(&m->sets[s], &got) == -ENOTSUP)
		return;
	struct mmu_stats want;
	bool exact = true;
	memset(&want, 0, sizeof(want));
	add_counts(m, &m->own[s], &want, &exact);
	add_counts(m, &m->globals, &want, &exact);
	if (got.mapped_bytes != want.mapped_bytes)
		failf(m, "census of set %d's tables: mapped bytes expected %#" PRIx64 ", the leaf descriptors map %#" PRIx64,
		      s, want.mapped_bytes, got.mapped_bytes);
	int wrong = mmu_host_check_counts(&m->sets[s]);
	if (wrong)
		failf(m, "per-table counts of set %d: %d tables' counts differ from their valid entries"
		      " (the first is on stderr)", s, -wrong);
}

static void restore_current(struct model *m)
{
	mmu_entry_t got;
	if (m->cur == CUR_SET && mmu_find(&m->ta, m->find_va, &got) != 0)
		failf(m, "re-finding the current entry at %#" PRIx64 " failed", m->find_va);
	else if (m->cur == CUR_SET && mmu_current_va(&m->ta) != m->cur_va)
		failf(m, "current entry at %#" PRIx64 ": expected base %#" PRIx64 ", got %#" PRIx64,
		      m->find_va, m->cur_va, mmu_current_va(&m->ta));
}

static const struct span everything = { 0, ~(vaddr_t)0 };
static const struct span nothing = { 2, 1 };   /* lo > hi - 1 too */

/* Set s's user half and the kernel half, where they meet us (user half
 * of sset only) and uk (every set), through mmu_find and the walker; the
 * statistics of every set no transaction holds. */
static void check_spans(struct model *m, bool check_open, int sset, struct span us, struct span uk,
                        bool thorough)
{
	/* The current entry as the model tracks it, before any check moves
	 * it: a wrong one after a split or a range call shows here. */
	if (m->open && m->cur == CUR_SET && mmu_current_va(&m->ta) != m->cur_va)
		failf(m, "current entry: expected base %#" PRIx64 ", got %#" PRIx64, m->cur_va,
		      mmu_current_va(&m->ta));
	for (int s = 0; s < MODEL_SETS && !m->fails; s++) {
		if (!m->live[s])
			continue;
		struct span u = sset < 0 || s == sset ? us : nothing;
		bool some = u.lo < u.hi || uk.lo < uk.hi;
		if (m->open && s == m->tset && !check_open) {
			/* Left alone, so the next update or remove works on
			 * the current entry the transaction itself kept. */
		} else if (m->open && s == m->tset) {
			/* Checking moves the current entry; with none current
			 * (after mmu_remove) the next update must still see none. */
			if (m->cur != CUR_NONE && some) {
				check_view(m, &m->ta, &m->pend, m->uwin, u, "open transaction");
				check_view(m, &m->ta, &m->gpend, m->kwin, uk, "open transaction");
				restore_current(m);
			}
		} else {
			if (some) {
				size_t before = mmu_host_tables_in_use();
				mmu_transaction_t ro;
				mmu_transaction(&ro, &m->sets[s]);
				check_view(m, &ro, &m->own[s], m->uwin, u, "committed");
				check_view(m, &ro, &m->globals, m->kwin, uk, "committed");
				mmu_forget(&ro);
				if (mmu_host_tables_in_use() != before)
					failf(m, "read-only transaction on set %d: tables in use expected %zu, got %zu",
					      s, before, mmu_host_tables_in_use());
			}
			check_stats(m, s);
		}
		/* The census reads every table: after every step when every
		 * check runs, else at the end of a run (a quarter of a
		 * fuzzing run's time when it ran at every full check). */
		if (thorough && (m->full_every <= 1 || m->finishing) && !m->fails)
			check_census(m, s);
		check_walk(m, s, &m->own[s], m->uwin, u, thorough);
		check_walk(m, s, &m->globals, m->kwin, uk, thorough);
	}
}

/* Every view, walk and statistic of every set. */
static void check_all(struct model *m, bool check_open)
{
	check_spans(m, check_open, -1, everything, everything, true);
}

/* What the current step touched (m->su of set m->sset, m->sk). */
static void check_step(struct model *m, bool check_open)
{
	check_spans(m, check_open, m->sset, m->su, m->sk, false);
}

/* sp grows to cover [lo, hi). */
static void widen(struct span *sp, vaddr_t lo, vaddr_t hi)
{
	if (sp->lo >= sp->hi) {
		sp->lo = lo, sp->hi = hi;
		return;
	}
	sp->lo = lo < sp->lo ? lo : sp->lo;
	sp->hi = hi > sp->hi ? hi : sp->hi;
}

/* An operation touches [va, va + size): the next check looks at the base
 * pages there (and, inside a transaction, the check after its commit or
 * forget). */
static void touch(struct model *m, vaddr_t va, uint64_t size)
{
	uint64_t page = pg(m, 0);
	vaddr_t end = va + size < va ? ~(vaddr_t)0 : va + size;
	vaddr_t lo = va & ~(page - 1);
	vaddr_t hi = end + page - 1 < end ? ~(vaddr_t)0 : (end + page - 1) & ~(page - 1);
	bool kernel = in_kernel(m, lo);
	widen(kernel ? &m->sk : &m->su, lo, hi);
	if (m->open)
		widen(kernel ? &m->tk : &m->tu, lo, hi);
}

/* ---- choices ---------------------------------------------------------------------- */

static unsigned pick_order(struct model *m, struct model_src *src)
{
	uint64_t a = src_below(src, m->norders), b = src_below(src, m->norders);
	return m->orders[a < b ? a : b];    /* small orders more often */
}

static paddr_t pick_pa(struct model *m, struct model_src *src, unsigned order)
{
	unsigned shift = m->env.geo.page_shift + order;
	return src_below(src, (uint64_t)1 << (shift < 36 ? 40 - shift : 4)) << shift;
}

static unsigned pick_prot(struct model *m, struct model_src *src, bool user_ok)
{
	static const unsigned prots[] = { R, R | W, R | X, R | W | X, X };
	unsigned p = prots[src_below(src, 5)];
	if (p == X && !m->exec_only_ok)
		p = R | X;
	if (user_ok && src_below(src, 2))
		p |= U;
	return p;
}

static const unsigned bad_prots[] = { 0, W, W | X, U, W | U, W | X | U };

static vaddr_t window_of(struct model *m, bool kernel)
{
	return kernel ? m->kwin : m->uwin;
}

/* A new entry of the given order somewhere in a window. */
static struct mentry pick_entry(struct model *m, struct model_src *src, unsigned order, bool kernel)
{
	struct mentry e = {
		.order = (int)order,
		.size = pg(m, order),
		.global = kernel,
		.memtype = (unsigned)src_below(src, 3),
		.counter = src_below(src, 3) ? -1 : (int)src_below(src, 8),
	};
	e.va = window_of(m, kernel) + src_below(src, (uint64_t)1 << (m->win_order - order)) * e.size;
	e.pa = pick_pa(m, src, order);
	e.prot = pick_prot(m, src, !kernel);
	return e;
}

/* ---- operations inside a transaction ------------------------------------------ */

/* A step may run with table allocations failing (mmu_host_fail_alloc_after):
 * an operation may then answer -ENOMEM, and must have changed nothing,
 * which the checks after the step prove against the unchanged model. */
static void check_restored(struct model *m, int s, const char *what);

/* Set s's snapshot into *buf, grown to fit and kept for the next one: one
 * walk of the tables when it fits, as it mostly does (sizing first walked
 * twice, and a fresh buffer per snapshot cost page faults under ASan). */
static size_t snap_into(struct model *m, int s, uint8_t **buf, size_t *cap)
{
	size_t need = mmu_host_snapshot(&m->sets[s], *buf, *cap);
	if (need > *cap) {
		*buf = realloc(*buf, need);
		*cap = need;
		need = mmu_host_snapshot(&m->sets[s], *buf, *cap);
	}
	return need;
}

static bool out_of_memory(struct model *m, int rc, const char *what)
{
	if (!m->oom || rc != -ENOMEM)
		return false;
	tracef(m, "%s: -ENOMEM (allocation failure injected)", what);
	return true;
}

/* One of the live sets (there is always one). */
static int pick_live(struct model *m, struct model_src *src)
{
	int live = 0;
	for (int s = 0; s < MODEL_SETS; s++)
		live += m->live[s];
	int k = (int)src_below(src, (uint64_t)live);
	for (int s = 0; s < MODEL_SETS; s++)
		if (m->live[s] && k-- == 0)
			return s;
	return 0;
}

static void op_begin(struct model *m, struct model_src *src)
{
	int s = pick_live(m, src);
	mmu_transaction(&m->ta, &m->sets[s]);
	m->open = true;
	m->tset = s;
	view_copy(&m->pend, &m->own[s]);
	view_copy(&m->gpend, &m->globals);
	m->changes = 0;
	m->bbm = false;
	m->cur = CUR_NONE;
	m->tu = m->tk = nothing;
	m->tables_at_begin = mmu_host_tables_in_use();
	/* Between full checks (fuzzing) one transaction in four keeps the
	 * image of its set for the bit-for-bit check of forget; the others
	 * are checked through the model and the table count. */
	m->audit = m->full_every <= 1 || src_below(src, 4) == 0;
	if (m->audit)
		m->snap_len = snap_into(m, s, &m->snap, &m->snap_cap);
	tracef(m, "begin on set %d%s", s, m->audit ? "" : " (no image kept)");
}

static void op_add(struct model *m, struct model_src *src)
{
	bool kernel = src_below(src, 4) == 0;
	unsigned order = pick_order(m, src);
	struct mentry e = pick_entry(m, src, order, kernel);
	struct mview *v = pend_view(m, e.va);
	if (!view_has_room(v, 1))
		return;
	vaddr_t va = e.va;
	mmu_entry_t x = mk(&e);
	int fault = src_below(src, 10) == 0 ? 1 + (int)src_below(src, 8) : 0;
	int want = view_overlaps(v, e.va, e.size) ? -EEXIST : 0;
	const char *why = "";
	switch (fault) {
	case 1:
		if (order == 0)
			break;
		va += pg(m, 0), want = -EINVAL, why = "misaligned va";
		break;
	case 2:
		if (order == 0)
			break;
		e.pa += pg(m, 0);
		x = mk(&e), want = -EINVAL, why = "misaligned pa";
		break;
	case 3:
		x = mmu_mkprot(x, bad_prots[src_below(src, 6)]), want = -EINVAL, why = "bad prot";
		break;
	case 4:
		e.global = !e.global;
		x = mk(&e), want = -EINVAL, why = kernel ? "non-global in kernel half" : "global in user half";
		break;
	case 5:
		if (!kernel)
			break;
		x = mmu_mkprot(x, e.prot | U), want = -EINVAL, why = "MMU_USER in kernel half";
		break;
	case 6:
		x = mmu_mksize(x, (unsigned)m->env.geo.max_order + 1), want = -EINVAL, why = "order > max_order";
		break;
	case 7:
		va = kernel ? m->env.kernel_base - e.size : m->env.user_top + src_below(src, 4) * e.size;
		want = -ERANGE, why = "va outside both halves";
		break;
	case 8:
		x = mmu_mkmemtype(x, (enum mmu_memtype)3), want = -EINVAL, why = "bad memtype";
		break;
	}
	touch(m, va, e.size);
	int rc = mmu_add(&m->ta, x, va);
	tracef(m, "add va %#" PRIx64 " order %u pa %#" PRIx64 " prot %#x mt %u g %d cnt %d %s -> %d",
	       va, order, mmu_entry_pa(x), mmu_entry_prot(x), e.memtype, e.global, e.counter, why, rc);
	if (out_of_memory(m, rc, "add"))
		return;
	bool also_eexist = want != 0 && want != -EEXIST && view_overlaps(v, e.va - e.size, 3 * e.size);
	if (rc != want && !(also_eexist && rc == -EEXIST)) {
		failf(m, "mmu_add va %#" PRIx64 " order %u %s: expected %d, got %d", va, order,
		      why, want, rc);
		return;
	}
	if (rc == 0) {
		/* An empty table the engine kept may sit where a block goes:
		 * table -> block is break-before-make on ARM64 (D8.16.1). */
		if (m->env.arch == MMU_HOST_ARM64 && order > 0)
			m->bbm = true;
		view_insert(v, &e);
		m->changes++;
		m->cur = CUR_SET;
		m->cur_va = m->find_va = va;
	}
}

/* Replaces the extent at e (in v) by the piece mmu_find reported and the
 * extents left on either side. */
static void learn_piece(struct mview *v, struct mentry *e, vaddr_t base, unsigned order, uint64_t size)
{
	struct mentry ext = *e, piece = extent_of(e, base, size);
	piece.order = (int)order;
	view_delete(v, e);
	view_insert(v, &piece);
	if (base > ext.va) {
		struct mentry left = extent_of(&ext, ext.va, base - ext.va);
		view_insert(v, &left);
	}
	if (base + size < ext.va + ext.size) {
		struct mentry right = extent_of(&ext, base + size, ext.va + ext.size - base - size);
		view_insert(v, &right);
	}
}

static void op_find(struct model *m, struct model_src *src)
{
	bool kernel = src_below(src, 4) == 0;
	struct mview *v = kernel ? &m->gpend : &m->pend;
	vaddr_t va;
	if (v->n && src_below(src, 4)) {
		const struct mentry *e = &v->e[src_below(src, v->n)];
		va = e->va + src_below(src, e->size >> m->env.geo.page_shift) * pg(m, 0);
	} else {
		va = window_of(m, kernel) + src_below(src, (uint64_t)1 << m->win_order) * pg(m, 0);
	}
	struct mentry *e = view_at(v, va);
	tracef(m, "find %#" PRIx64 " (model: %s)", va, e ? "mapped" : "hole");
	if (!e) {
		check_hole(m, &m->ta, va, "find");
		m->cur = CUR_UNKNOWN;      /* the contract does not say */
		return;
	}
	int order = check_find(m, &m->ta, e, va, "find");
	if (order < 0)
		return;
	vaddr_t base = mmu_current_va(&m->ta);
	if (e->order < 0) {
		if (!view_has_room(v, 2)) {
			m->cur = CUR_UNKNOWN;
			return;
		}
		learn_piece(v, e, base, (unsigned)order, pg(m, (unsigned)order));
	}
	m->cur = CUR_SET;
	m->cur_va = base;
	m->find_va = va;
}

/* The current entry, which the model always knows exactly. */
static struct mentry *current(struct model *m)
{
	struct mview *v = pend_view(m, m->cur_va);
	struct mentry *c = view_at(v, m->cur_va);
	if (!c || c->va != m->cur_va || c->order < 0) {
		failf(m, "model: current entry %#" PRIx64 " lost", m->cur_va);
		return NULL;
	}
	return c;
}

static void op_update(struct model *m, struct model_src *src)
{
	if (m->cur == CUR_UNKNOWN || (m->cur == CUR_NONE && src_below(src, 4))) {
		op_find(m, src);
		return;
	}
	if (m->cur == CUR_NONE) {
		mmu_entry_t x = mmu_mkentry(0, R);
		int rc = mmu_update(&m->ta, x);
		tracef(m, "update with no current entry -> %d", rc);
		if (rc != -ENOENT && !out_of_memory(m, rc, "update"))
			failf(m, "mmu_update with no current entry: expected %d, got %d", -ENOENT, rc);
		return;
	}
	struct mentry *c = current(m);
	if (!c)
		return;
	struct mview *v = pend_view(m, c->va);
	struct mentry old = *c, n = *c;
	bool kernel = c->global;
	unsigned kind = (unsigned)src_below(src, 8);
	int want = 0;
	const char *what = "attributes";

	/* Another order: a split (at most 32 pieces) or a merge, when one
	 * of the orders in use fits. */
	unsigned smaller[16], bigger[16], ns = 0, nb = 0, order = 0;
	for (unsigned i = 0; i < m->norders; i++) {
		unsigned k = m->orders[i];
		if (k < (unsigned)c->order && (unsigned)c->order - k <= 5 &&
		    view_has_room(v, (size_t)1 << ((unsigned)c->order - k)))
			smaller[ns++] = k;
		else if (k > (unsigned)c->order)
			bigger[nb++] = k;
	}
	if ((kind == 3 || kind == 4) && ns)
		order = smaller[src_below(src, ns)];
	else if (kind == 5 && nb)
		order = bigger[src_below(src, nb)];
	else if (kind >= 3 && kind <= 5)
		kind = 0;

	switch (kind) {
	case 3: case 4: {     /* split: the piece holding find_va becomes n */
		what = "split";
		n.order = (int)order;
		n.size = pg(m, order);
		n.va = c->va + (m->find_va - c->va) / n.size * n.size;
		n.pa = src_below(src, 2) ? c->pa + (n.va - c->va) : pick_pa(m, src, order);
		n.prot = pick_prot(m, src, !kernel);
		break;
	}
	case 5:               /* merge into a bigger aligned range */
		what = "merge";
		n.order = (int)order;
		n.size = pg(m, order);
		n.va = c->va & ~(n.size - 1);
		n.pa = pick_pa(m, src, order);
		for (size_t i = 0; i < v->n; i++)
			if (v->e[i].va != c->va && overlaps(&v->e[i], n.va, n.size))
				want = -EEXIST;
		break;
	case 6:               /* bad input */
		break;
	default:              /* prot, memtype, pa, counter */
		n.prot = pick_prot(m, src, !kernel);
		n.memtype = (unsigned)src_below(src, 3);
		if (src_below(src, 2))
			n.pa = pick_pa(m, src, (unsigned)c->order);
		n.counter = src_below(src, 2) ? -1 : (int)src_below(src, 8);
		break;
	}
	mmu_entry_t x = mk(&n);
	if (kind == 6) {
		switch (src_below(src, 5)) {
		case 0:
			x = mmu_mkprot(x, bad_prots[src_below(src, 6)]), what = "bad prot";
			break;
		case 1:
			x = mmu_mksize(x, (unsigned)m->env.geo.max_order + 1), what = "order > max_order";
			break;
		case 2:
			x = mmu_mkmemtype(x, (enum mmu_memtype)3), what = "bad memtype";
			break;
		case 3:
			n.global = !n.global;
			x = mk(&n), what = kernel ? "non-global in kernel half" : "global in user half";
			break;
		default:
			if (c->order == 0)
				return;
			n.pa += pg(m, 0);
			x = mk(&n), what = "misaligned pa";
			break;
		}
		want = -EINVAL;
	}
	touch(m, old.va, old.size);
	touch(m, n.va, n.size);
	int rc = mmu_update(&m->ta, x);
	tracef(m, "update %s of %#" PRIx64 " order %d -> va %#" PRIx64 " order %d pa %#" PRIx64
	       " prot %#x mt %u cnt %d -> %d", what, old.va, old.order, n.va, n.order,
	       mmu_entry_pa(x), n.prot, n.memtype, n.counter, rc);
	if (out_of_memory(m, rc, "update"))
		return;
	if (rc != want) {
		failf(m, "mmu_update (%s) of %#" PRIx64 " order %d to order %d: expected %d, got %d",
		      what, old.va, old.order, n.order, want, rc);
		return;
	}
	if (rc)
		return;
	m->changes++;
	/* Arm ARM D8.16.1: a live block split or merged, or its output
	 * address or memory type changed, goes through break-before-make. */
	if (m->env.arch == MMU_HOST_ARM64)
		m->bbm = true;
	view_delete(v, c);
	if (n.order < old.order) {
		for (vaddr_t va = old.va; va < old.va + old.size; va += n.size) {
			if (va == n.va)
				continue;
			struct mentry piece = extent_of(&old, va, n.size);
			piece.order = n.order;
			view_insert(v, &piece);
		}
	}
	view_insert(v, &n);
	m->cur_va = n.va;
}

static void op_remove(struct model *m, struct model_src *src)
{
	if (m->cur == CUR_UNKNOWN || (m->cur == CUR_NONE && src_below(src, 3))) {
		op_find(m, src);
		return;
	}
	if (m->cur == CUR_SET) {
		const struct mentry *c = view_at(pend_view(m, m->cur_va), m->cur_va);
		if (c)
			touch(m, c->va, c->size);
	}
	int rc = mmu_remove(&m->ta);
	tracef(m, "remove current %#" PRIx64 " -> %d", m->cur == CUR_SET ? m->cur_va : 0, rc);
	if (out_of_memory(m, rc, "remove"))
		return;
	if (m->cur == CUR_NONE) {
		if (rc != -ENOENT)
			failf(m, "mmu_remove with no current entry: expected %d, got %d", -ENOENT, rc);
		return;
	}
	if (rc) {
		failf(m, "mmu_remove of %#" PRIx64 ": expected 0, got %d", m->cur_va, rc);
		return;
	}
	struct mentry *c = current(m);
	if (!c)
		return;
	view_delete(pend_view(m, c->va), c);
	m->changes++;
	m->cur = CUR_NONE;
	/* A page added later where a live block was goes in a table that
	 * replaces the block: break-before-make on ARM64. */
	if (m->env.arch == MMU_HOST_ARM64)
		m->bbm = true;
}

/* A base-page range in a window whose ends are aligned to random orders. */
static void pick_range(struct model *m, struct model_src *src, vaddr_t win,
                       vaddr_t *start, vaddr_t *end)
{
	uint64_t wsize = pg(m, m->win_order);
	uint64_t a = pg(m, pick_order(m, src)), b = pg(m, pick_order(m, src));
	*start = win + src_below(src, wsize / a) * a;
	uint64_t room = win + wsize - *start;
	uint64_t len = (1 + src_below(src, room / b > 1 ? room / b : 1)) * b;
	*end = *start + (len < room ? len : room);
}

/* mmu_add_range: a run of 1..4 entries like a random one. */
static void op_add_range(struct model *m, struct model_src *src)
{
	bool kernel = src_below(src, 4) == 0;
	unsigned order = pick_order(m, src);
	uint64_t n = 1 + src_below(src, 4);
	struct mentry e = pick_entry(m, src, order, kernel);
	struct mview *v = pend_view(m, e.va);
	vaddr_t wend = window_of(m, kernel) + pg(m, m->win_order);
	while (n > 1 && e.va + n * e.size > wend)
		n--;
	if (!view_has_room(v, n))
		return;
	uint64_t len = n * e.size;
	mmu_entry_t x = mk(&e);
	int want = view_overlaps(v, e.va, len) ? -EEXIST : 0;
	const char *why = "";
	switch (src_below(src, 12)) {
	case 0:
		len = 0, want = -EINVAL, why = "length 0";
		break;
	case 1:
		if (order)
			len += pg(m, 0), want = -EINVAL, why = "length not a multiple of the entry";
		break;
	case 2:
		x = mmu_mkprot(x, bad_prots[src_below(src, 6)]), want = -EINVAL, why = "bad prot";
		break;
	}
	touch(m, e.va, len);
	int rc = mmu_add_range(&m->ta, x, e.va, len);
	tracef(m, "add_range va %#" PRIx64 " %" PRIu64 " x order %u pa %#" PRIx64 " prot %#x mt %u g %d cnt %d %s -> %d",
	       e.va, n, order, e.pa, mmu_entry_prot(x), e.memtype, e.global, e.counter, why, rc);
	if (out_of_memory(m, rc, "add_range"))
		return;
	if (rc != want) {
		failf(m, "mmu_add_range va %#" PRIx64 " len %#" PRIx64 " order %u %s: expected %d, got %d",
		      e.va, len, order, why, want, rc);
		return;
	}
	if (rc)
		return;
	for (uint64_t i = 0; i < n; i++) {
		struct mentry one = e;
		one.va = e.va + i * e.size;
		one.pa = e.pa + i * e.size;
		view_insert(v, &one);
	}
	if (m->env.arch == MMU_HOST_ARM64 && order > 0)
		m->bbm = true;
	m->changes++;
	m->cur = CUR_SET;
	m->cur_va = m->find_va = e.va + len - e.size;
}

/* A range of a window for mmu_remove_range or mmu_protect_range, with an
 * occasional bad one. Returns the error the call must give. */
static int pick_bad_range(struct model *m, struct model_src *src, bool kernel,
                          vaddr_t *start, vaddr_t *end, const char **why)
{
	pick_range(m, src, window_of(m, kernel), start, end);
	*why = "";
	switch (src_below(src, 16)) {
	case 0:
		*end = *start, *why = "empty";
		return -EINVAL;
	case 1:
		*start += pg(m, 0) / 2, *why = "misaligned start";
		return -EINVAL;
	case 2:
		*start = m->env.user_top - pg(m, 0), *end = *start + 2 * pg(m, 0);
		*why = "across the top of the user half";
		return -ERANGE;
	}
	return 0;
}

static void op_remove_range(struct model *m, struct model_src *src)
{
	bool kernel = src_below(src, 4) == 0;
	struct mview *v = kernel ? &m->gpend : &m->pend;
	if (!view_has_room(v, 2))
		return;
	vaddr_t start, end;
	const char *why;
	int want = pick_bad_range(m, src, kernel, &start, &end, &why);
	touch(m, start, end - start);
	int rc = mmu_remove_range(&m->ta, start, end);
	tracef(m, "remove_range [%#" PRIx64 ", %#" PRIx64 ") %s -> %d", start, end, why, rc);
	if (out_of_memory(m, rc, "remove_range"))
		return;
	if (rc != want) {
		failf(m, "mmu_remove_range [%#" PRIx64 ", %#" PRIx64 ") %s: expected %d, got %d",
		      start, end, why, want, rc);
		return;
	}
	if (rc)
		return;
	view_cut(v, start, end);
	m->changes++;
	m->cur = CUR_NONE;
	/* Straddled blocks split, tables left for later blocks:
	 * break-before-make on ARM64 (Arm ARM D8.16.1). */
	if (m->env.arch == MMU_HOST_ARM64)
		m->bbm = true;
}

static void op_protect_range(struct model *m, struct model_src *src)
{
	bool kernel = src_below(src, 4) == 0;
	struct mview *v = kernel ? &m->gpend : &m->pend;
	if (!view_has_room(v, 4))
		return;
	vaddr_t start, end;
	const char *why;
	int want = pick_bad_range(m, src, kernel, &start, &end, &why);
	unsigned prot = pick_prot(m, src, !kernel);
	if (!want && src_below(src, 12) == 0)
		prot = bad_prots[src_below(src, 6)], want = -EINVAL, why = "bad prot";
	touch(m, start, end - start);
	int rc = mmu_protect_range(&m->ta, start, end, prot);
	tracef(m, "protect_range [%#" PRIx64 ", %#" PRIx64 ") prot %#x %s -> %d", start, end, prot,
	       why, rc);
	if (out_of_memory(m, rc, "protect_range"))
		return;
	if (rc != want) {
		failf(m, "mmu_protect_range [%#" PRIx64 ", %#" PRIx64 ") prot %#x %s: expected %d, got %d",
		      start, end, prot, why, want, rc);
		return;
	}
	if (rc)
		return;
	/* Entries inside keep their size; straddling ones become extents:
	 * the parts outside with the old protection, the part inside with
	 * the new. */
	struct mentry add[4];
	size_t nadd = 0;
	for (size_t i = 0; i < v->n;) {
		struct mentry *e = &v->e[i];
		if (!overlaps(e, start, end - start) || e->prot == prot) {
			i++;
			continue;
		}
		if (e->va >= start && e->va + e->size <= end) {
			e->prot = prot;
			i++;
			continue;
		}
		vaddr_t lo = e->va > start ? e->va : start;
		vaddr_t hi = e->va + e->size < end ? e->va + e->size : end;
		if (e->va < start)
			add[nadd++] = extent_of(e, e->va, start - e->va);
		if (e->va + e->size > end)
			add[nadd++] = extent_of(e, end, e->va + e->size - end);
		add[nadd] = extent_of(e, lo, hi - lo);
		add[nadd++].prot = prot;
		view_delete(v, e);
		if (m->env.arch == MMU_HOST_ARM64)
			m->bbm = true;
	}
	for (size_t i = 0; i < nadd; i++)
		view_insert(v, &add[i]);
	m->changes++;
	m->cur = CUR_NONE;
}

static uint64_t flushes_of(struct model *m, int s)
{
	struct mmu_stats st;
	mmu_stats(&m->sets[s], &st);
	return st.tlb_flushes;
}

/* How many TLB flushes a change of `changed` translations (with `calls`
 * changing calls behind it) must have cost: exactly one, or none; on
 * ARM64 break-before-make included (breaking, flushing and making share
 * the commit's one flush, mmu/pt_engine.h bbm_flush). Reports a mismatch. */
static void check_flushes(struct model *m, int s, bool changed, unsigned calls, bool bbm,
                          const char *what)
{
	uint64_t got = flushes_of(m, s) - m->flushes[s];
	bool ok;
	if (!calls)
		ok = got == 0;
	else if (changed)
		ok = got == 1;
	else
		ok = got <= 1;     /* undone changes: a flush is allowed */
	if (!ok)
		failf(m, "%s on set %d: tlb_flushes expected %s%s, got +%" PRIu64, what, s,
		      !calls ? "+0" : changed ? "+1" : "+0 or +1",
		      bbm ? " (break-before-make included)" : "", got);
	m->flushes[s] += got;
}

static void op_commit(struct model *m)
{
	int s = m->tset;
	bool own_changed = !same_translation(&m->pend, &m->own[s]);
	bool glob_changed = !same_translation(&m->gpend, &m->globals);
	int rc = mmu_commit(&m->ta);
	tracef(m, "commit set %d (%u changes) -> %d", s, m->changes, rc);
	m->open = false;
	m->su = m->tu, m->sk = m->tk;
	if (out_of_memory(m, rc, "commit")) {
		/* The transaction is over and the set as it was. */
		check_restored(m, s, "mmu_commit failing with -ENOMEM");
		return;
	}
	if (rc) {
		failf(m, "mmu_commit: expected 0, got %d", rc);
		return;
	}
	check_flushes(m, s, own_changed || glob_changed, m->changes, m->bbm, "commit");
	view_copy(&m->own[s], &m->pend);
	view_copy(&m->globals, &m->gpend);
	if (glob_changed) {
		/* The contract counts flushes "for this set"; whether a global
		 * change also counts in the others is not fixed. */
		for (int o = 0; o < MODEL_SETS; o++)
			if (m->live[o] && o != s)
				m->flushes[o] = flushes_of(m, o);
	}
}

/* Set s and the table pages in use are as at mmu_transaction. */
static void check_restored(struct model *m, int s, const char *what)
{
	size_t tables = mmu_host_tables_in_use();
	if (tables != m->tables_at_begin)
		failf(m, "%s: tables in use expected %zu, got %zu", what, m->tables_at_begin, tables);
	if (!m->audit)
		return;
	size_t need = snap_into(m, s, &m->now, &m->now_cap);
	if (need != m->snap_len || memcmp(m->now, m->snap, need) != 0)
		failf(m, "%s: snapshot of set %d differs from the one at mmu_transaction (%zu vs %zu bytes)",
		      what, s, m->snap_len, need);
}

static void op_forget(struct model *m)
{
	int s = m->tset;
	mmu_forget(&m->ta);
	m->open = false;
	m->su = m->tu, m->sk = m->tk;
	tracef(m, "forget set %d (%u changes)", s, m->changes);
	check_restored(m, s, "mmu_forget");
}

/* A second transaction on the set while the first has changed it: it sees
 * committed state; a change where the first holds the regions is refused
 * with -EBUSY, one elsewhere may go through (mmu/lock.h), and forgetting
 * it leaves no trace (the next step checks the set against the model). */
static void op_busy(struct model *m, struct model_src *src)
{
	if (!m->changes)
		return;
	int s = m->tset;
	mmu_transaction_t other;
	mmu_transaction(&other, &m->sets[s]);
	struct mview *v = &m->own[s];
	if (v->n) {
		const struct mentry *e = &v->e[src_below(src, v->n)];
		check_find(m, &other, e, e->va, "second transaction");
	}
	struct mentry e = pick_entry(m, src, 0, false);
	int rc = mmu_add(&other, mk(&e), e.va);
	tracef(m, "second transaction on set %d: add %#" PRIx64 " -> %d", s, e.va, rc);
	if (rc != -EBUSY && rc != 0 && rc != -EEXIST && !out_of_memory(m, rc, "second transaction's add"))
		failf(m, "mmu_add from a second transaction on set %d: expected %d or 0, got %d", s, -EBUSY, rc);
	mmu_forget(&other);
	restore_current(m);
}

/* ---- operations without a transaction -------------------------------------------- */


static int pick_free(struct model *m)
{
	for (int s = 0; s < MODEL_SETS; s++)
		if (!m->live[s])
			return s;
	return -1;
}

static bool snapshot_same(struct model *m, int s, const uint8_t *before, size_t len)
{
	size_t need = snap_into(m, s, &m->now, &m->now_cap);
	return need == len && memcmp(m->now, before, len) == 0;
}

/* The snapshot before an operation, in m->before (valid until the next). */
static uint8_t *snapshot_of(struct model *m, int s, size_t *len)
{
	*len = snap_into(m, s, &m->before, &m->before_cap);
	return m->before;
}

static void op_clear(struct model *m, struct model_src *src)
{
	int s = pick_live(m, src);
	bool kernel = src_below(src, 5) == 0;
	struct mview *v = kernel ? &m->globals : &m->own[s];
	if (!view_has_room(v, 2))
		return;
	vaddr_t start, end;
	pick_range(m, src, window_of(m, kernel), &start, &end);
	int fault = src_below(src, 10) == 0 ? 1 + (int)src_below(src, 2) : 0;
	int want = 0;
	if (fault == 1)
		start += 1, want = -EINVAL;
	else if (fault == 2)
		start = m->env.user_top, end = start + pg(m, 0), want = -ERANGE;
	m->sset = s;
	touch(m, start, end - start);
	/* The image before, for a call that must fail and change nothing. */
	size_t len = 0;
	uint8_t *before = want || m->oom ? snapshot_of(m, s, &len) : NULL;
	int rc = mmu_clear_range(&m->sets[s], start, end);
	tracef(m, "clear_range set %d [%#" PRIx64 ", %#" PRIx64 ") -> %d", s, start, end, rc);
	if (out_of_memory(m, rc, "clear_range")) {
		if (before && !snapshot_same(m, s, before, len))
			failf(m, "mmu_clear_range failing with -ENOMEM changed the tables of set %d", s);
	} else if (rc != want) {
		failf(m, "mmu_clear_range set %d [%#" PRIx64 ", %#" PRIx64 "): expected %d, got %d",
		      s, start, end, want, rc);
	} else if (rc) {
		if (before && !snapshot_same(m, s, before, len))
			failf(m, "mmu_clear_range failing with %d changed the tables of set %d", rc, s);
	} else {
		static struct mview old;
		view_copy(&old, v);
		bool straddle = view_cut(v, start, end);
		bool changed = !same_translation(&old, v);
		check_flushes(m, s, changed, changed, straddle && m->env.arch == MMU_HOST_ARM64,
		              "clear_range");
		if (kernel && changed)
			for (int o = 0; o < MODEL_SETS; o++)
				if (m->live[o] && o != s)
					m->flushes[o] = flushes_of(m, o);
	}
}

static void op_copy(struct model *m, struct model_src *src)
{
	int d = pick_live(m, src), s = pick_live(m, src);
	if (d == s)
		return;
	struct mview *dv = &m->own[d], *sv = &m->own[s];
	if (!view_has_room(dv, sv->n))
		return;
	vaddr_t ss, se, ds, de;
	pick_range(m, src, m->uwin, &ss, &se);
	pick_range(m, src, m->uwin, &ds, &de);
	uint64_t len = se - ss < de - ds ? se - ss : de - ds;
	/* An entry copied to an offset its size does not divide goes in
	 * pieces no bigger than that offset's alignment: keep it to 512. */
	uint64_t delta = ds > ss ? ds - ss : ss - ds, align = delta & (0 - delta);
	for (size_t i = 0; delta && i < sv->n; i++)
		if (overlaps(&sv->e[i], ss, len) && sv->e[i].size / align > 512)
			return;
	int want = view_overlaps(dv, ds, len) ? -EEXIST : 0;
	const char *why = "";
	switch (src_below(src, 12)) {
	case 0:
		len += 1, want = -EINVAL, why = "misaligned length";
		break;
	case 1:
		ds = m->env.user_top, want = -ERANGE, why = "destination outside both halves";
		break;
	}
	m->sset = d;
	touch(m, ds, len);
	size_t blen = 0;
	uint8_t *before = want || m->oom ? snapshot_of(m, d, &blen) : NULL;
	int rc = mmu_copy_range(&m->sets[d], &m->sets[s], ds, ss, len);
	tracef(m, "copy_range set %d %#" PRIx64 " <- set %d %#" PRIx64 " len %#" PRIx64 " %s -> %d",
	       d, ds, s, ss, (uint64_t)len, why, rc);
	if (out_of_memory(m, rc, "copy_range")) {
		if (before && !snapshot_same(m, d, before, blen))
			failf(m, "mmu_copy_range failing with -ENOMEM changed the tables of set %d", d);
	} else if (rc != want && !(want != 0 && rc == -EEXIST && view_overlaps(dv, ds, len))) {
		failf(m, "mmu_copy_range set %d %#" PRIx64 " <- set %d %#" PRIx64 " len %#" PRIx64
		      " %s: expected %d, got %d", d, ds, s, ss, (uint64_t)len, why, want, rc);
	} else if (rc) {
		if (before && !snapshot_same(m, d, before, blen))
			failf(m, "mmu_copy_range failing with %d changed the tables of set %d", rc, d);
	} else {
		bool copied = false;
		for (size_t i = 0; i < sv->n; i++) {
			const struct mentry *e = &sv->e[i];
			if (!overlaps(e, ss, len))
				continue;
			vaddr_t lo = e->va > ss ? e->va : ss;
			vaddr_t hi = e->va + e->size < ss + len ? e->va + e->size : ss + len;
			struct mentry c = extent_of(e, lo, hi - lo);
			c.va = lo - ss + ds;
			/* A whole entry that stays aligned is copied as it is. */
			if (lo == e->va && hi == e->va + e->size && e->order >= 0 &&
			    (c.va & (e->size - 1)) == 0)
				c.order = e->order;
			view_insert(dv, &c);
			copied = true;
		}
		check_flushes(m, d, copied, copied, m->env.arch == MMU_HOST_ARM64, "copy_range");
	}
}

static void op_dup(struct model *m, struct model_src *src)
{
	int d = pick_free(m), s = pick_live(m, src);
	if (d < 0)
		return;
	size_t tables = mmu_host_tables_in_use();
	int rc = mmu_dup_translation_set(&m->sets[d], &m->sets[s]);
	tracef(m, "dup set %d -> set %d -> %d", s, d, rc);
	if (out_of_memory(m, rc, "dup")) {
		if (mmu_host_tables_in_use() != tables)
			failf(m, "mmu_dup_translation_set failing with -ENOMEM: tables in use expected %zu, got %zu",
			      tables, mmu_host_tables_in_use());
		return;
	}
	if (rc) {
		failf(m, "mmu_dup_translation_set: expected 0, got %d", rc);
		return;
	}
	m->live[d] = true;
	view_copy(&m->own[d], &m->own[s]);
	m->flushes[d] = flushes_of(m, d);
	m->full_due = true;
}

static void op_new(struct model *m)
{
	int d = pick_free(m);
	if (d < 0)
		return;
	size_t tables = mmu_host_tables_in_use();
	int rc = mmu_new_translation_set(&m->sets[d]);
	tracef(m, "new set %d -> %d", d, rc);
	if (out_of_memory(m, rc, "new set")) {
		if (mmu_host_tables_in_use() != tables)
			failf(m, "mmu_new_translation_set failing with -ENOMEM: tables in use expected %zu, got %zu",
			      tables, mmu_host_tables_in_use());
		return;
	}
	if (rc) {
		failf(m, "mmu_new_translation_set: expected 0, got %d", rc);
		return;
	}
	m->live[d] = true;
	m->own[d].n = 0;
	m->flushes[d] = 0;
	m->full_due = true;
}

static void op_drop(struct model *m, struct model_src *src)
{
	int s = pick_live(m, src), live = 0;
	for (int o = 0; o < MODEL_SETS; o++)
		live += m->live[o];
	if (live < 2)
		return;     /* keep one set: it holds the global entries */
	mmu_remove_translation_set(&m->sets[s]);
	m->live[s] = false;
	tracef(m, "remove set %d", s);
}

/* ---- the machine ------------------------------------------------------------------ */

/* Outside a transaction every translation the walker cached (check_walk
 * fills the host's software TLB) must still be what the tables say: a
 * commit that flushed too narrow a scope (a kernel-half change flushed for
 * one ASID, a range missing a changed page) leaves a stale one, and one
 * that freed a table before its flush leaves a freed table under a cached
 * walk. Between full checks only the step's spans are re-walked. */
static void check_tlb(struct model *m, bool full)
{
	for (int s = 0; s < MODEL_SETS && !m->fails; s++) {
		if (!m->live[s])
			continue;
		mmu_translation_set_t *t = &m->sets[s];
		int stale;
		if (full) {
			stale = mmu_host_tlb_check(t);
		} else {
			/* An empty range still reports the tables freed under
			 * a cached walk. */
			struct span u = s == m->sset && m->su.lo < m->su.hi ? m->su : nothing;
			stale = mmu_host_tlb_check_range(t, u.lo, u.hi - 1);
			if (m->sk.lo < m->sk.hi)
				stale += mmu_host_tlb_check_range(t, m->sk.lo, m->sk.hi - 1);
		}
		if (stale)
			failf(m, "TLB of set %d (ASID and globals): %d cached translations differ from a walk,"
			      " or tables were freed under a cached walk (the first is on stderr)", s, stale);
	}
}

void model_step(struct model *m, struct model_src *src)
{
	if (m->fails)
		return;
	m->step++;
	m->sset = m->open ? m->tset : 0;
	/* Now and then, table allocations fail after the next few. */
	m->oom = src_below(src, 10) == 0;
	if (m->oom)
		mmu_host_fail_alloc_after((long)src_below(src, 8));
	if (m->open) {
		unsigned r = (unsigned)src_below(src, 24);
		if (r < 6)
			op_add(m, src);
		else if (r < 9)
			op_find(m, src);
		else if (r < 13)
			op_update(m, src);
		else if (r < 15)
			op_remove(m, src);
		else if (r < 18)
			op_commit(m);
		else if (r < 19)
			op_forget(m);
		else if (r < 20)
			op_busy(m, src);
		else if (r < 22)
			op_add_range(m, src);
		else if (r < 23)
			op_remove_range(m, src);
		else
			op_protect_range(m, src);
	} else {
		unsigned r = (unsigned)src_below(src, 12);
		if (r < 6)
			op_begin(m, src);
		else if (r < 8)
			op_clear(m, src);
		else if (r < 10)
			op_copy(m, src);
		else if (r < 11)
			src_below(src, 2) ? op_dup(m, src) : op_new(m);
		else
			op_drop(m, src);
	}
	mmu_host_fail_alloc_after(-1);
	m->oom = false;
	bool full = m->full_due || m->full_every <= 1 || m->step % m->full_every == 0;
	if (!m->fails && !m->open)
		check_tlb(m, full);
	bool check_open = src_below(src, 2);
	if (!m->fails && full)
		check_all(m, check_open);
	else if (!m->fails)
		check_step(m, check_open);
	m->full_due = false;
	m->su = m->sk = nothing;
	m->sset = m->open ? m->tset : 0;
}

int model_init(struct model *m, const struct mode_env *env, const char *label)
{
	/* The snapshot buffers outlive a run. */
	uint8_t *snap = m->snap, *now = m->now, *before = m->before;
	unsigned full_every = m->full_every;   /* the caller's choice, kept */
	size_t cap = m->snap_cap, now_cap = m->now_cap, before_cap = m->before_cap;
	memset(m, 0, sizeof(*m));
	m->snap = snap, m->snap_cap = cap;
	m->now = now, m->now_cap = now_cap;
	m->before = before, m->before_cap = before_cap;
	m->env = *env;
	m->label = label;
	m->full_every = full_every;
	m->su = m->sk = m->tu = m->tk = nothing;

	/* Every native order up to 2 GiB, the smallest composed one, and the
	 * composed one just above the largest native picked. */
	const struct mmu_geometry *g = &env->geo;
	unsigned top = 0;
	for (unsigned k = 0; k <= g->max_order && g->page_shift + k <= 31 && m->norders < 12; k++)
		if (g->native_orders >> k & 1)
			m->orders[m->norders++] = top = k;
	for (unsigned k = 1; k <= g->max_order && k < top; k++) {
		if (!(g->native_orders >> k & 1)) {
			m->orders[m->norders++] = k;
			break;
		}
	}
	if (top + 1 <= g->max_order && !(g->native_orders >> (top + 1) & 1))
		m->orders[m->norders++] = top + 1;
	for (unsigned i = 0; i < m->norders; i++)
		if (m->orders[i] > top)
			top = m->orders[i];
	m->win_order = top + 2 < g->max_order ? top + 2 : (unsigned)g->max_order - 1;
	for (unsigned i = 0; i < m->norders; i++)
		if (m->orders[i] > m->win_order)
			m->orders[i] = 0;
	m->uwin = pg(m, m->win_order);
	m->kwin = env->kernel_base;

	int rc = mmu_new_translation_set(&m->sets[0]);
	if (rc) {
		failf(m, "mmu_new_translation_set: expected 0, got %d", rc);
		return -1;
	}
	m->live[0] = true;

	/* Execute-only is the mode's choice: 0 or -EINVAL, nothing else. */
	mmu_transaction(&m->ta, &m->sets[0]);
	rc = mmu_add(&m->ta, mmu_mkentry(0, X), m->uwin);
	mmu_forget(&m->ta);
	if (rc != 0 && rc != -EINVAL) {
		failf(m, "mmu_add execute-only: expected 0 or %d, got %d", -EINVAL, rc);
		return -1;
	}
	m->exec_only_ok = rc == 0;
	check_all(m, true);
	return m->fails ? -1 : 0;
}

void model_fini(struct model *m)
{
	m->finishing = true;
	if (!m->fails && m->full_every > 1) {
		if (!m->open)
			check_tlb(m, true);
		if (!m->fails)
			check_all(m, true);
	}
	bool failed = m->fails != 0;
	if (m->open)
		op_forget(m);
	int s = 0;
	while (s < MODEL_SETS && !m->live[s])
		s++;
	if (s < MODEL_SETS && m->globals.n) {
		mmu_transaction(&m->ta, &m->sets[s]);
		for (size_t i = 0; i < m->globals.n; i++) {
			const struct mentry *e = &m->globals.e[i];
			vaddr_t va = e->va;
			mmu_entry_t got;
			while (va < e->va + e->size && mmu_find(&m->ta, va, &got) == 0) {
				va = mmu_current_va(&m->ta) + page_bytes(&m->env, mmu_entry_order(got));
				if (mmu_remove(&m->ta) != 0)
					break;
			}
		}
		int rc = mmu_commit(&m->ta);
		if (rc && !failed)
			failf(m, "removing the global entries: mmu_commit expected 0, got %d", rc);
	}
	for (s = 0; s < MODEL_SETS; s++)
		if (m->live[s])
			mmu_remove_translation_set(&m->sets[s]);
	memset(m->live, 0, sizeof(m->live));
	size_t tables = mmu_host_tables_in_use();
	if (tables != m->env.baseline && !failed)
		failf(m, "every set removed: tables in use expected the baseline %zu, got %zu",
		      m->env.baseline, tables);
}
