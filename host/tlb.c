/*
 * A software TLB for the host build: what a CPU may still use after the
 * MMU layer's TLB maintenance, so that a flush of the wrong scope (a
 * kernel-half change flushed for one ASID only, a range that misses a
 * changed page) shows up as a cached translation that differs from a
 * fresh walk of the tables.
 *
 * Filled by mmu_host_hw_translate: every access the reference walker
 * allows caches (tag, va page, access) -> pa page, where the tag is the
 * set's ASID, or "global" for the kernel half (the layer marks every
 * kernel-half entry global: RISC-V G, Arm nG = 0, x86 G). A fill never
 * replaces an entry with the same key, as a CPU keeps using what it
 * cached; it may replace another key that hashes to the same slot, as a
 * CPU may evict at any time.
 *
 * mmu_env_tlb_flush (host_env.c) drops what struct mmu_flush asks for and
 * no more, with the scope every architecture guarantees:
 *   - end > start: entries of a page in [start, end); all tags if global,
 *     else the set's ASID and not the global entries (RISC-V privileged
 *     spec 4.2.1: SFENCE.VMA with rs2 != x0 does not order global
 *     mappings; x86 INVPCID type 0 keeps global translations, SDM vol. 3A
 *     4.10.4.1. Arm's TLBI VAE1 would drop them, the others do not).
 *   - end <= start: the whole ASID (non-global entries only: RISC-V
 *     SFENCE.VMA x0, asid; Arm TLBI ASIDE1; x86 INVPCID type 1), or
 *     everything if global.
 * The arches widen a long range to a whole-ASID flush (arch/<arch>/
 * mmu_arch.c, TLB_PAGE_STEPS_MAX); the model does not, so that a range
 * which misses a changed page is caught however long it is.
 *
 * mmu_host_tlb_check(t) re-walks every entry of t's ASID and every global
 * one and counts those a walk now answers differently, plus those a flush
 * left in its own range stale at the time (a break-before-make flush is
 * followed by the make, so a wrong one is only visible then).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "mmu_internal.h"
#include "ref.h"
#include "tlb.h"

#define TLB_SLOTS 8192u               /* power of two */

struct tlb_entry {
	bool        valid, global;
	unsigned    asid;                 /* meaningless when global */
	unsigned    access;               /* as passed to the walker */
	vaddr_t     va;                   /* page base */
	paddr_t     pa;                   /* page base */
	const void *mode;                 /* the mode whose tables filled it */
};

static struct {
	unsigned         page_shift;
	struct tlb_entry e[TLB_SLOTS];
	bool             filled;          /* an entry was cached since the reset */
	unsigned         missed;          /* stale entries flushes kept, unreported */
	char             first[256];      /* the first stale entry, described */
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

void host_tlb_reset(void)
{
	lock();
	memset(&tlb, 0, sizeof(tlb));
	unlock();
}

/* The kernel half, whose entries the layer always makes global. */
static bool kernel_half(vaddr_t va)
{
	return (int64_t)va < 0;
}

static size_t slot_of(bool global, unsigned asid, vaddr_t va, unsigned access)
{
	uint64_t h = (va >> 12) * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)(global ? ~0u : asid) << 8 | access) * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h >> 40) & (TLB_SLOTS - 1);
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
	struct tlb_entry *e = &tlb.e[slot_of(global, want.asid, want.va, access)];
	if (e->valid && e->mode != t->mode) {
		/* Another mode's tables: mmu_select_mode rebuilt the kernel
		 * half, which a kernel would follow with a full flush. */
		memset(tlb.e, 0, sizeof(tlb.e));
	}
	if (!(e->valid && e->global == global && e->asid == want.asid && e->va == want.va &&
	      e->access == access)) {
		*e = want;
		tlb.page_shift = hw->page_shift;
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
	if (!(*stale)++)
		snprintf(tlb.first, sizeof(tlb.first), "stale TLB entry %s(%s%u) va %#" PRIx64
		         " access %#x caches pa %#" PRIx64 ", a walk now gives rc %d pa %#" PRIx64, when,
		         e->global ? "global, checked through ASID " : "ASID ", t->asid, e->va,
		         e->access, e->pa, rc, pa);
	return false;
}

void host_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f)
{
	/* Programs that never translate through the reference walker (the
	 * benchmarks) cache nothing: their flushes must not pay a scan. */
	if (!__atomic_load_n(&tlb.filled, __ATOMIC_ACQUIRE))
		return;   /* and no lock taken: concurrent commits share nothing here */
	uint64_t page = 1ull << tlb.page_shift;
	struct mmu_host_hwstate hw;
	bool walkable = f->end > f->start && mmu_host_hwstate(t, &hw) == 0;

	lock();
	for (size_t i = 0; i < TLB_SLOTS; i++) {
		struct tlb_entry *e = &tlb.e[i];
		if (!e->valid || e->mode != t->mode)
			continue;
		if (f->end > f->start && (e->va >= f->end || e->va + page <= f->start))
			continue;
		if (f->global || (!e->global && e->asid == t->asid)) {
			e->valid = false;
			continue;
		}
		/* Left in the flushed range: the range covers every change
		 * already published (struct mmu_flush), so a global entry
		 * there a non-global flush kept must still be right. Break-
		 * before-make's flush is checked here, between break and make. */
		if (walkable && e->global)
			fresh(t, &hw, e, &tlb.missed, "kept by the flush of its range ");
	}
	unlock();
}

int mmu_host_tlb_check(mmu_translation_set_t *t)
{
	struct mmu_host_hwstate hw;
	unsigned stale;

	lock();
	stale = tlb.missed;
	tlb.missed = 0;
	if (mmu_host_hwstate(t, &hw) == 0)
		for (size_t i = 0; i < TLB_SLOTS; i++) {
			const struct tlb_entry *e = &tlb.e[i];
			if (e->valid && e->mode == t->mode && (e->global || e->asid == t->asid))
				fresh(t, &hw, e, &stale, "");
		}
	if (stale)
		fprintf(stderr, "origami host: %s\n", tlb.first);
	unlock();
	return (int)stale;
}
