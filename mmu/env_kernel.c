/*
 * The kernel environment of the MMU layer (mmu/mmu_internal.h, "environment";
 * host/host_env.c is the host's): table pages from the physical frame
 * allocator, physical memory through phys_to_virt(), and the barrier, TLB
 * and activation hooks of the arch (mmu/hooks/arch_mmu.h). Kernel builds
 * only.
 */
#ifndef MMU_HOST
#include "mmu_internal.h"
#include <string.h>
#include "arch.h"
#include "arch_mmu.h"
#include "mmu_kernel.h"
#include "smp.h"

_Static_assert((int)ARCH_TLB_PAGE == (int)MMU_TLB_PAGE && (int)ARCH_TLB_RANGE == (int)MMU_TLB_RANGE &&
               (int)ARCH_TLB_ASID == (int)MMU_TLB_ASID && (int)ARCH_TLB_ALL == (int)MMU_TLB_ALL,
               "arch_tlb_flush's kinds are mmu_env_tlb_flush's: enum mmu_tlb_kind");

paddr_t mmu_env_alloc(unsigned shift)
{
	return frames_alloc(shift);
}

/* The frame allocator always zeroes; nothing to save here. */
paddr_t mmu_env_alloc_uninit(unsigned shift)
{
	return frames_alloc(shift);
}

/* The engine frees only what it allocated, once, with its size: anything
 * else is a broken invariant, and frames_free panics with the address. */
void mmu_env_free(paddr_t pa, unsigned shift)
{
	*frames_owner_word(pa) = 0;
	frames_free(pa, shift);
}

uint32_t *mmu_env_table_word(paddr_t pa)
{
	return frames_owner_word(pa);
}

void *mmu_env_phys_to_virt(paddr_t pa)
{
	return phys_to_virt(pa);
}

void mmu_env_publish_barrier(void)
{
	arch_mmu_publish_barrier();
}

/*
 * Hardware ASIDs, handed out when a set is first loaded on some CPU, with
 * generations, as Linux's arm64 allocator does (arch/arm64/mm/context.c):
 * a set's hw_ctx is generation << 32 | ASID. While the generation is the
 * current one, the ASID is the set's alone. When none is left, the
 * generation moves on: every ASID is free again except the ones CPUs are
 * running (each CPU's active ASID becomes its reserved one, kept by its
 * set in the new generation), and every CPU flushes its whole TLB before
 * it loads a set of the new generation (flush_pending). So no TLB ever
 * holds two sets' entries under one ASID, whatever the number of sets.
 * ASID 0 is never handed out: a set that was never loaded flushes it,
 * which holds nothing.
 */
#define ASID_GEN_SHIFT 32
#define ASID_MASK      ((1ull << ASID_GEN_SHIFT) - 1)
#define ASID_MAX_BITS  16

static struct {
	volatile uint32_t lock;
	uint64_t generation;                     /* in hw_ctx's high bits */
	unsigned count;                          /* ASIDs in use: 1 .. count - 1 */
	unsigned limit;                          /* tests: fewer (smp_asid_limit) */
	unsigned next;                           /* where the search goes on */
	uint64_t rollovers;
	uint8_t  used[(1u << ASID_MAX_BITS) / 8];
	uint64_t active[SMP_MAX_CPUS];           /* hw_ctx each CPU runs, 0 during a roll-over */
	uint64_t reserved[SMP_MAX_CPUS];         /* hw_ctx each CPU ran at the last roll-over */
	bool     flush_pending[SMP_MAX_CPUS];
} asids = { .generation = 1ull << ASID_GEN_SHIFT };

static bool asid_used(unsigned a)
{
	return asids.used[a / 8] & (1u << (a % 8));
}

static void asid_take(unsigned a)
{
	asids.used[a / 8] |= (uint8_t)(1u << (a % 8));
}

/* The generation moves on (under the lock). */
static void asid_rollover(void)
{
	asids.generation += 1ull << ASID_GEN_SHIFT;
	asids.rollovers++;
	memset(asids.used, 0, sizeof(asids.used));
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
		uint64_t a = __atomic_exchange_n(&asids.active[i], 0, __ATOMIC_ACQ_REL);

		/* 0: that CPU has rolled over before and loaded nothing since:
		 * what it runs is still its reserved one. */
		if (!a)
			a = asids.reserved[i];
		if (a)
			asid_take((unsigned)(a & ASID_MASK));
		asids.reserved[i] = a;
		asids.flush_pending[i] = true;
	}
}

/* A context of the current generation for t (under the lock). */
static uint64_t asid_new_context(mmu_translation_set_t *t)
{
	uint64_t old = t->hw_ctx, gen = asids.generation;
	unsigned a = (unsigned)(old & ASID_MASK);

	if (old) {
		/* Running somewhere at the roll-over: it keeps its ASID. */
		bool kept = false;
		for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
			if (asids.reserved[i] == old) {
				asids.reserved[i] = gen | a;
				kept = true;
			}
		if (kept)
			return gen | a;
		if (a < asids.count && !asid_used(a)) {
			asid_take(a);
			return gen | a;
		}
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned n = 1; n < asids.count; n++) {
			a = 1 + (asids.next - 1 + n) % (asids.count - 1);
			if (!asid_used(a)) {
				asid_take(a);
				asids.next = a;
				return asids.generation | a;
			}
		}
		asid_rollover();
	}
	panic_mmu("ASIDs: none free right after a roll-over (%u CPUs, %u ASIDs)",
	          SMP_MAX_CPUS, asids.count);
}

static void asid_lock(void)
{
	while (__atomic_exchange_n(&asids.lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void asid_unlock(void)
{
	__atomic_store_n(&asids.lock, 0, __ATOMIC_RELEASE);
}

/* The hardware ASID t runs under on this CPU, which is about to load it;
 * flushes this CPU's TLB first if a roll-over asked it to. */
static unsigned asid_activate(mmu_translation_set_t *t)
{
	unsigned cpu = this_cpu()->index;
	uint64_t ctx = __atomic_load_n(&t->hw_ctx, __ATOMIC_RELAXED);
	uint64_t cur = __atomic_load_n(&asids.active[cpu], __ATOMIC_RELAXED);

	if (!asids.count) {
		unsigned bits = arch_asid_bits();
		bits = bits > ASID_MAX_BITS ? ASID_MAX_BITS : bits;
		asids.count = 1u << bits;
		if (asids.limit && asids.limit < asids.count)
			asids.count = asids.limit;
	}
	if (asids.count < 2)
		return 0;   /* no tags: the arch flushes on every switch */
	/* The fast path: a context of this generation, and no roll-over
	 * between the check and the store (it zeroes active first). */
	if (cur && (ctx & ~ASID_MASK) == __atomic_load_n(&asids.generation, __ATOMIC_ACQUIRE) &&
	    __atomic_compare_exchange_n(&asids.active[cpu], &cur, ctx, false, __ATOMIC_ACQ_REL,
	                                __ATOMIC_RELAXED))
		return (unsigned)(ctx & ASID_MASK);
	asid_lock();
	ctx = t->hw_ctx;
	if ((ctx & ~ASID_MASK) != asids.generation) {
		ctx = asid_new_context(t);
		__atomic_store_n(&t->hw_ctx, ctx, __ATOMIC_RELEASE);
	}
	if (asids.flush_pending[cpu]) {
		arch_tlb_flush(0, 0, 0, 0, true);   /* everything, this CPU */
		asids.flush_pending[cpu] = false;
	}
	__atomic_store_n(&asids.active[cpu], ctx, __ATOMIC_RELEASE);
	asid_unlock();
	return (unsigned)(ctx & ASID_MASK);
}

void smp_asid_limit(unsigned count)
{
	asid_lock();
	asids.limit = count;
	asids.count = 0;          /* recomputed at the next activation */
	asid_rollover();          /* the ASIDs above the limit go */
	asid_unlock();
}

uint64_t smp_asid_rollovers(void)
{
	return __atomic_load_n(&asids.rollovers, __ATOMIC_RELAXED);
}

/* A set's TLB entries are under its current ASID (0, which holds
 * nothing, if it was never loaded). */
static unsigned hw_asid(const mmu_translation_set_t *t)
{
	return (unsigned)(__atomic_load_n(&t->hw_ctx, __ATOMIC_ACQUIRE) & ASID_MASK);
}

unsigned smp_set_asid(const struct mmu_translation_set *t)
{
	return asids.count < 2 ? 0 : hw_asid(t);
}

unsigned smp_cpu_asid(void)
{
	return arch_mmu_current_asid();
}

bool smp_adds_need_shootdown(void)
{
	return arch_tlb_caches_invalid;
}

bool smp_asid_tags(void)
{
	return arch_asid_bits() > 0;
}

/* ---- TLB shootdowns ---- */

/* Per CPU, each on its own cache lines: every commit counts its flush
 * here, and commits on different CPUs must not write one line (mmu/lock.h:
 * a leaf-only commit writes nothing of the set outside its lock lines).
 * 128 bytes, not 64 (the 56-byte counts fit one line): Intel's L2 spatial
 * prefetcher fetches lines in 128-byte pairs (mmu_types.h, LK_ALIGN), and
 * CPUs 0 and 1 would share one. Summed by smp_get_tlb_stats. Atomic adds:
 * an interrupted commit and one in the handler may count on one CPU. */
static struct {
	struct smp_tlb_stats s;
} __attribute__((aligned(128))) tlb_stats_cpu[SMP_MAX_CPUS];

static struct smp_tlb_stats *my_tlb_stats(void)
{
	return &tlb_stats_cpu[smp_cpu_index()].s;   /* 0 before smp_init */
}

/* After this CPU's flush op of f's range of t (hardware ASID asid), the
 * same on every other CPU that may cache it (smp_cpus_using), returning
 * when none can use the old translations any more. A commit that only
 * added entries needs none where TLBs hold no invalid entries. */
static void tlb_shootdown(mmu_translation_set_t *t, unsigned asid, const struct mmu_flush *f,
                          enum arch_tlb_op op)
{
	uint64_t others = smp_cpus_using(t, f->global) & ~(1ull << this_cpu()->index);
	struct smp_tlb_stats *st = my_tlb_stats();
	enum smp_shootdown_kind how;

	__atomic_fetch_add(&st->flushes, 1, __ATOMIC_RELAXED);
	if (!others)
		return;
	if (f->adds_only && !arch_tlb_caches_invalid) {
		__atomic_fetch_add(&st->adds_skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	how = arch_tlb_shootdown(others, asid, f->start, f->end, f->global, op);
	/* again: the shootdown's wait may have let this task move */
	st = my_tlb_stats();
	__atomic_fetch_add(&st->shootdowns[how], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->targets, (uint64_t)__builtin_popcountll(others), __ATOMIC_RELAXED);
}

void smp_get_tlb_stats(struct smp_tlb_stats *out)
{
	*out = (struct smp_tlb_stats){ 0 };
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		const struct smp_tlb_stats *st = &tlb_stats_cpu[c].s;
		for (unsigned k = 0; k < SMP_SHOOTDOWN_KINDS; k++)
			out->shootdowns[k] += __atomic_load_n(&st->shootdowns[k], __ATOMIC_RELAXED);
		out->flushes += __atomic_load_n(&st->flushes, __ATOMIC_RELAXED);
		out->adds_skipped += __atomic_load_n(&st->adds_skipped, __ATOMIC_RELAXED);
		out->targets += __atomic_load_n(&st->targets, __ATOMIC_RELAXED);
	}
}

unsigned mmu_env_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f)
{
	unsigned asid = hw_asid(t);
	struct mmu_flush whole;

	if (f->tables_freed && arch_tlb_range_keeps_walks && f->end > f->start) {
		whole = *f;
		whole.start = whole.end = 0;   /* the whole ASID (everything if global) */
		f = &whole;
	}
	enum arch_tlb_op op = arch_tlb_flush(asid, f->start, f->end, f->pages, f->global);

	tlb_shootdown(t, asid, f, op);
	return op;
}

void mmu_env_activate(mmu_translation_set_t *t)
{
	const struct mmu_mode *m = t->mode;
	struct arch_mmu_root r = {
		.root = t->root, .kernel_root = m->kernel_root,
		.va_bits = m->geo.va_bits, .levels = m->geo.levels, .page_shift = m->geo.page_shift,
	};

	smp_note_active(t);
	r.asid = asid_activate(t);
	arch_mmu_activate(&r);
}

paddr_t mmu_kernel_root_pa(const mmu_translation_set_t *t)
{
	return t->root;
}

unsigned mmu_kernel_asid(const mmu_translation_set_t *t)
{
	return t->asid;
}

void mmu_kernel_describe_mode(char *buf, size_t len)
{
	const struct mmu_geometry *g = mmu_geometry();
	size_t used;

	if (!g) {
		ksnprintf(buf, len, "none");
		return;
	}
	used = (size_t)ksnprintf(buf, len, "%s (%u-bit VA, %u levels, pages", mmu_current_mode(),
	                         g->va_bits, g->levels);
	for (unsigned k = 0; k < 64 && g->page_shift + k < 64 && used < len; k++) {
		char size[16];
		if (!(g->native_orders & (1ull << k)))
			continue;
		ksize_name(size, sizeof(size), 1ull << (g->page_shift + k));
		used += (size_t)ksnprintf(buf + used, len - used, " %s", size);
	}
	if (used < len)
		ksnprintf(buf + used, len - used, ")");
}
#endif
