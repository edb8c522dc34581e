/*
 * A software TLB for the host build: what a CPU may still use after the
 * MMU layer's TLB maintenance, so that a flush of the wrong scope (a
 * kernel-half change flushed for one ASID only, a range that misses a
 * changed page) shows up as a cached translation that differs from a
 * fresh walk of the tables, and a table page freed while a cached walk
 * still points into it shows up at the free.
 *
 * Two caches, both filled by mmu_host_hw_translate:
 *
 *   - translations: every access the reference walker allows caches (tag,
 *     va page, access) -> pa page, where the tag is the set's ASID, or
 *     "global" for the kernel half (the layer marks every kernel-half
 *     entry global: RISC-V G, Arm nG = 0, x86 G);
 *   - paging-structure (walk) caches: every table descriptor a walk went
 *     through, allowed or not, caches (tag, the VA span the descriptor
 *     maps, its level) -> the next table's address. Intel SDM vol. 3A
 *     4.10.3 (PML4/PDPTE/PDE caches; 4.10.3.1: entries may be created even
 *     when the walk then faults), Arm ARM D8.16 (walk caches), RISC-V
 *     privileged spec 4.3.2 (an implementation may cache non-leaf PTEs).
 *     The hashed mode's walker descends through no table descriptor and
 *     fills none.
 *
 * A fill never replaces an entry with the same key, as a CPU keeps using
 * what it cached; it may replace another key that hashes to the same slot,
 * as a CPU may evict at any time.
 *
 * mmu_env_tlb_flush (host_env.c) drops what struct mmu_flush asks for and
 * no more, with the scope every architecture guarantees:
 *   - end > start: translations of a page in [start, end), and walk
 *     entries whose span meets [start, end) (Arm TLBI VAE1 drops the walk
 *     entries used to translate the address; x86 INVLPG drops every
 *     paging-structure entry of the PCID, SDM 4.10.4.1); all tags if
 *     global, else the set's ASID and not the global entries (RISC-V
 *     privileged spec 4.2.1: SFENCE.VMA with rs2 != x0 does not order
 *     global mappings; x86 INVPCID type 0 keeps global translations, SDM
 *     vol. 3A 4.10.4.1. Arm's TLBI VAE1 would drop them, the others do not).
 *     RISC-V is narrower still: SFENCE.VMA with rs1 != x0 need only drop
 *     leaf entries (4.2.1), which this model does not follow (docs/
 *     transactions.md, "Not done yet").
 *   - end <= start: the whole ASID (non-global entries only: RISC-V
 *     SFENCE.VMA x0, asid; Arm TLBI ASIDE1; x86 INVPCID type 1), or
 *     everything if global.
 * The arches widen a long range to a whole-ASID flush (arch/<arch>/
 * mmu_arch.c, TLB_PAGE_STEPS_MAX); the model does not, so that a range
 * which misses a changed page is caught however long it is.
 *
 * mmu_host_tlb_check(t) re-walks every translation of t's ASID and every
 * global one and counts those a walk now answers differently, plus those
 * a flush left in its own range stale at the time (a break-before-make
 * flush is followed by the make, so a wrong one is only visible then),
 * plus the table pages freed while a walk entry still pointed at them
 * (mmu_env_free -> host_tlb_table_freed: the layer must free unlinked
 * tables only after the TLB operation that drops the walks through them).
 * mmu_host_tlb_check_range looks at the translations of one range only.
 *
 * Each cache keeps a dense list of its occupied slots, so that a flush or
 * a check costs what is cached, not the size of the cache.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "mmu_internal.h"
#include "ref.h"
#include "tlb.h"

#define TLB_SLOTS  8192u              /* translations; power of two */
#define WALK_SLOTS 4096u              /* walk entries; power of two */

struct tlb_entry {
	bool        valid, global;
	unsigned    asid;                 /* meaningless when global */
	unsigned    access;               /* as passed to the walker */
	unsigned    pos;                  /* index in tlb.used */
	vaddr_t     va;                   /* page base */
	paddr_t     pa;                   /* page base */
	const void *mode;                 /* the mode whose tables filled it */
};

/* A table descriptor a walk went through: the span [base, base + 2^shift)
 * it maps leads to the table at `table`. */
struct walk_entry {
	bool        valid, global;
	unsigned    asid;
	unsigned    shift;
	unsigned    pos;                  /* index in tlb.wused */
	vaddr_t     base;
	paddr_t     table;
	const void *mode;
};

static struct {
	unsigned          page_shift;
	struct tlb_entry  e[TLB_SLOTS];
	uint32_t          used[TLB_SLOTS];    /* occupied slots of e[] */
	size_t            nused;
	struct walk_entry w[WALK_SLOTS];
	uint32_t          wused[WALK_SLOTS];
	size_t            nwused;
	bool              filled;             /* anything cached since the last reset */
	const void       *mode;               /* whose tables filled what is cached */
	unsigned          missed;             /* stale entries flushes kept, unreported */
	unsigned          freed;              /* tables freed under a walk entry, unreported */
	char              first[256];         /* the first of those, described */
} tlb;

static atomic_flag tlb_busy = ATOMIC_FLAG_INIT;

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&tlb_busy, memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&tlb_busy, memory_order_release);
}

/* Empties both caches; costs what they hold. */
static void clear_locked(void)
{
	for (size_t i = 0; i < tlb.nused; i++)
		tlb.e[tlb.used[i]].valid = false;
	for (size_t i = 0; i < tlb.nwused; i++)
		tlb.w[tlb.wused[i]].valid = false;
	tlb.nused = tlb.nwused = 0;
	__atomic_store_n(&tlb.filled, false, __ATOMIC_RELEASE);
	tlb.mode = NULL;
}

void host_tlb_reset(void)
{
	lock();
	clear_locked();
	tlb.missed = tlb.freed = 0;
	tlb.first[0] = 0;
	unlock();
}

/* Drop slot i of e[] / w[] from its dense list (swap with the last). */
static void drop_entry(struct tlb_entry *e)
{
	uint32_t last = tlb.used[--tlb.nused];
	tlb.used[e->pos] = last;
	tlb.e[last].pos = e->pos;
	e->valid = false;
}

static void drop_walk(struct walk_entry *w)
{
	uint32_t last = tlb.wused[--tlb.nwused];
	tlb.wused[w->pos] = last;
	tlb.w[last].pos = w->pos;
	w->valid = false;
}

/* The kernel half, whose entries the layer always makes global. */
static bool kernel_half(vaddr_t va)
{
	return (int64_t)va < 0;
}

static uint64_t mix(bool global, unsigned asid, vaddr_t key, unsigned extra)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)(global ? ~0u : asid) << 8 | extra) * 0xc2b2ae3d27d4eb4full;
	return h >> 40;
}

/* What was cached came from another mode's tables: mmu_select_mode
 * rebuilt the kernel half, which a kernel would follow with a full flush. */
static void same_mode_locked(const void *mode)
{
	if (tlb.mode != mode) {
		clear_locked();
		tlb.mode = mode;
	}
}

void host_tlb_fill(mmu_translation_set_t *t, const struct mmu_host_hwstate *hw, vaddr_t va,
                   unsigned access, paddr_t pa)
{
	uint64_t page = 1ull << hw->page_shift;
	bool global = kernel_half(va);
	struct tlb_entry want = {
		.valid = true, .global = global, .asid = global ? 0 : t->asid, .access = access,
		.va = va & ~(page - 1), .pa = pa & ~(page - 1), .mode = t->mode,
	};

	lock();
	same_mode_locked(t->mode);
	struct tlb_entry *e = &tlb.e[mix(global, want.asid, want.va >> 12, access) & (TLB_SLOTS - 1)];
	if (!(e->valid && e->global == global && e->asid == want.asid && e->va == want.va &&
	      e->access == access)) {
		if (e->valid)
			drop_entry(e);           /* evicted */
		want.pos = (unsigned)tlb.nused;
		*e = want;
		tlb.used[tlb.nused++] = (uint32_t)(e - tlb.e);
		__atomic_store_n(&tlb.filled, true, __ATOMIC_RELEASE);
		tlb.page_shift = hw->page_shift;
	}
	unlock();
}

void host_tlb_fill_walk(mmu_translation_set_t *t, vaddr_t va, const struct ref_walk_rec *r)
{
	bool global = kernel_half(va);
	unsigned asid = global ? 0 : t->asid;

	lock();
	same_mode_locked(t->mode);
	for (unsigned k = 0; k < r->n; k++) {
		unsigned shift = r->shift[k];
		vaddr_t base = shift < 64 ? va & ~((1ull << shift) - 1) : 0;
		struct walk_entry *w = &tlb.w[mix(global, asid, base >> 12, shift) & (WALK_SLOTS - 1)];
		if (w->valid && w->global == global && w->asid == asid && w->base == base &&
		    w->shift == shift)
			continue;                /* cached already: kept as it was */
		if (w->valid)
			drop_walk(w);
		*w = (struct walk_entry){ .valid = true, .global = global, .asid = asid, .shift = shift,
		                          .pos = (unsigned)tlb.nwused, .base = base,
		                          .table = r->table[k], .mode = t->mode };
		tlb.wused[tlb.nwused++] = (uint32_t)(w - tlb.w);
		__atomic_store_n(&tlb.filled, true, __ATOMIC_RELEASE);
	}
	unlock();
}

/* Whether e, cached for t's ASID or global, still says what a walk says;
 * if not, counts it in *stale and describes the first in tlb.first. */
static bool fresh(mmu_translation_set_t *t, const struct mmu_host_hwstate *hw,
                  const struct tlb_entry *e, unsigned *stale, const char *when)
{
	paddr_t pa = 0;
	int rc = ref_translate(hw, e->va, e->access, &pa);

	if (rc == 0 && pa == e->pa)
		return true;
	(*stale)++;
	if (!tlb.first[0])
		snprintf(tlb.first, sizeof(tlb.first), "stale TLB entry %s(%s%u) va %#" PRIx64
		         " access %#x caches pa %#" PRIx64 ", a walk now gives rc %d pa %#" PRIx64, when,
		         e->global ? "global, checked through ASID " : "ASID ", t->asid, e->va,
		         e->access, e->pa, rc, pa);
	return false;
}

/* Whether f (a flush of t) drops an entry of this tag covering
 * [base, base + size). */
static bool flush_drops(mmu_translation_set_t *t, const struct mmu_flush *f, bool global,
                        unsigned asid, vaddr_t base, uint64_t size)
{
	if (f->end > f->start && (base >= f->end || base + size - 1 < f->start))
		return false;
	return f->global || (!global && asid == t->asid);
}

void host_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f)
{
	/* Programs that never translate through the reference walker (the
	 * benchmarks) cache nothing: their flushes must not pay anything,
	 * not even the lock (a one-page commit's flush). */
	if (!__atomic_load_n(&tlb.filled, __ATOMIC_ACQUIRE))
		return;
	uint64_t page = 1ull << tlb.page_shift;
	struct mmu_host_hwstate hw;
	bool walkable = f->end > f->start && mmu_host_hwstate(t, &hw) == 0;

	lock();
	for (size_t i = tlb.nused; i-- > 0;) {
		struct tlb_entry *e = &tlb.e[tlb.used[i]];
		if (e->mode != t->mode)
			continue;
		if (f->end > f->start && (e->va >= f->end || e->va + page - 1 < f->start))
			continue;
		if (flush_drops(t, f, e->global, e->asid, e->va, page)) {
			drop_entry(e);
			continue;
		}
		/* Left in the flushed range: the range covers every change
		 * already published (struct mmu_flush), so a global entry
		 * there a non-global flush kept must still be right. Break-
		 * before-make's flush is checked here, between break and make. */
		if (walkable && e->global)
			fresh(t, &hw, e, &tlb.missed, "kept by the flush of its range ");
	}
	/* RISC-V: SFENCE.VMA by address drops leaf entries only (privileged
	 * spec 4.2.1); the kernel's environment flushes the whole ASID instead
	 * when the commit unlinked a table (mmu_flush.tables_freed), and so
	 * does this model. */
	bool leaves_only = walkable && hw.arch == MMU_HOST_RISCV;
	struct mmu_flush wf = *f;
	if (leaves_only && f->tables_freed)
		wf.start = wf.end = 0;
	for (size_t i = tlb.nwused; i-- > 0 && !(leaves_only && !f->tables_freed);) {
		struct walk_entry *w = &tlb.w[tlb.wused[i]];
		if (w->mode == t->mode &&
		    flush_drops(t, &wf, w->global, w->asid, w->base, w->shift < 64 ? 1ull << w->shift : 0))
			drop_walk(w);
	}
	unlock();
}

void host_tlb_table_freed(paddr_t pa, uint64_t bytes)
{
	lock();
	for (size_t i = tlb.nwused; i-- > 0;) {
		struct walk_entry *w = &tlb.w[tlb.wused[i]];
		if (w->table < pa || w->table - pa >= bytes)
			continue;
		tlb.freed++;
		if (!tlb.first[0])
			snprintf(tlb.first, sizeof(tlb.first), "table page %#" PRIx64 " freed while a walk"
			         " entry (%s%u, va %#" PRIx64 "+2^%u) still points at it: freed before the"
			         " TLB operation that drops it", pa, w->global ? "global, ASID " : "ASID ",
			         w->asid, w->base, w->shift);
		drop_walk(w);   /* reported once */
	}
	unlock();
}

int mmu_host_tlb_check_range(mmu_translation_set_t *t, vaddr_t first, vaddr_t last)
{
	struct mmu_host_hwstate hw;
	unsigned stale;

	lock();
	stale = tlb.missed + tlb.freed;
	if (first <= last && mmu_host_hwstate(t, &hw) == 0)
		for (size_t i = 0; i < tlb.nused; i++) {
			const struct tlb_entry *e = &tlb.e[tlb.used[i]];
			if (e->mode == t->mode && (e->global || e->asid == t->asid) &&
			    e->va >= (first & ~((1ull << tlb.page_shift) - 1)) && e->va <= last)
				fresh(t, &hw, e, &stale, "");
		}
	if (stale)
		fprintf(stderr, "origami host: %s\n", tlb.first);
	tlb.missed = tlb.freed = 0;
	tlb.first[0] = 0;
	unlock();
	return (int)stale;
}

int mmu_host_tlb_check(mmu_translation_set_t *t)
{
	return mmu_host_tlb_check_range(t, 0, ~(vaddr_t)0);
}
