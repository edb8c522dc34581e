/*
 * mmu_host_hw_translate: read the set's registers and hand the walk to the
 * reference walker of its architecture (host/ref_<arch>.c).
 */
#include <stdio.h>

#include "mmu_internal.h"
#include "ref.h"
#include "tlb.h"

int ref_translate(const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access, paddr_t *pa)
{
	switch (hw->arch) {
	case MMU_HOST_RISCV:  return ref_riscv_translate(hw, va, access, pa);
	case MMU_HOST_ARM64:  return ref_arm64_translate(hw, va, access, pa);
	case MMU_HOST_X86_64: return ref_x86_translate(hw, va, access, pa);
	case MMU_HOST_RADIX6: return ref_radix6_translate(hw, va, access, pa);
	case MMU_HOST_HASHED: return ref_hashed_translate(hw, va, access, pa);
	}
	return -EFAULT;
}

void ref_census_tables(struct ref_census *c, const struct ref_radix *r, paddr_t table, int level,
                       uint64_t entries)
{
	unsigned valid = 0;
	/* The table lies in simulated memory as a whole (else each load says
	 * whether its descriptor does). */
	uint64_t off = table - REF_PHYS_BASE;
	const uint64_t *w = !(table & 7) && off < host_phys_span.bytes &&
	                    host_phys_span.bytes - off >= entries * 8 ?
	                    (const uint64_t *)(host_phys_span.mem + off) : NULL;
	for (uint64_t k = 0; k < entries; k++) {
		uint64_t d;
		paddr_t next = 0;
		unsigned shift = 0;
		/* A zero descriptor is invalid in every format (its valid or
		 * present bit is clear): most of a sparse table, skipped eight
		 * at a time without the walker's call (arm64 64K tables hold
		 * 8192; one ref_load and kind per slot, the census was 8% of a
		 * fuzzing run there, perf). */
		if (w && !(k % 8) && k + 8 <= entries && !ref_any8(w + k)) {
			k += 7;
			continue;
		}
		if (!ref_load(table, k, &d) || !d)
			continue;
		switch (r->kind(r->arch, d, level, &next, &shift)) {
		case REF_INVALID:
			continue;
		case REF_LEAF:
			c->mapped += 1ull << shift;
			c->leaves++;
			break;
		case REF_TABLE:
			c->tables++;
			ref_census_tables(c, r, next, level + r->step, r->entries);
			break;
		}
		valid++;
	}
	if (c->table)
		c->table(c->ctx, table, level, valid);
}

int ref_census(const struct mmu_host_hwstate *hw, struct ref_census *c)
{
	switch (hw->arch) {
	case MMU_HOST_RISCV:  return ref_riscv_census(hw, c);
	case MMU_HOST_ARM64:  return ref_arm64_census(hw, c);
	case MMU_HOST_X86_64: return ref_x86_census(hw, c);
	case MMU_HOST_RADIX6: return ref_radix6_census(hw, c);
	case MMU_HOST_HASHED: return -ENOTSUP;
	}
	return -ENOTSUP;
}

int mmu_host_census(mmu_translation_set_t *t, struct mmu_host_census *out)
{
	struct mmu_host_hwstate hw;
	struct ref_census c = { 0 };

	if (mmu_host_hwstate(t, &hw) != 0)
		return -EINVAL;
	int rc = ref_census(&hw, &c);
	*out = (struct mmu_host_census){ c.mapped, c.leaves, c.tables };
	return rc;
}

/* mmu_host_check_counts: the roots hold no count. */
struct count_check {
	struct mmu_host_hwstate hw;
	int wrong;
};

static void check_table_count(void *ctx, paddr_t table, int level, unsigned valid)
{
	struct count_check *cc = ctx;
	if (table == cc->hw.root || table == cc->hw.kernel_root)
		return;
	/* CNT_PLAIN = 1 and CNT_OTHER = 1 << 16 (mmu/pt_engine_range.h). */
	uint32_t w = *mmu_env_table_word(table);
	unsigned counted = (w & 0xffff) + (w >> 16);
	if (counted != valid && !cc->wrong++)
		fprintf(stderr, "origami host: table %#llx (level %d) holds %u valid entries, its count says"
		        " %u plain + %u other\n", (unsigned long long)table, level, valid, w & 0xffff,
		        w >> 16);
}

int mmu_host_check_counts(mmu_translation_set_t *t)
{
	struct count_check cc = { .wrong = 0 };
	struct ref_census c = { .table = check_table_count, .ctx = &cc };

	if (mmu_host_hwstate(t, &cc.hw) != 0)
		return -EINVAL;
	if (ref_census(&cc.hw, &c) == -ENOTSUP)
		return 0;
	return -cc.wrong;
}

_Thread_local struct ref_walk_rec *ref_walk_rec;

/* The walk fills the host's TLB (host/tlb.c): the translation if allowed,
 * the table descriptors it went through in any case. */
int mmu_host_hw_translate(mmu_translation_set_t *t, vaddr_t va, unsigned access, paddr_t *pa)
{
	struct mmu_host_hwstate hw;
	struct ref_walk_rec rec = { .n = 0 };

	if (mmu_host_hwstate(t, &hw) != 0)
		return -EFAULT;
	ref_walk_rec = &rec;
	int rc = ref_translate(&hw, va, access, pa);
	ref_walk_rec = NULL;
	if (rec.n)
		host_tlb_fill_walk(t, va, &rec);
	if (rc == 0)
		host_tlb_fill(t, &hw, va, access, *pa);
	return rc;
}
