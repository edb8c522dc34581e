/*
 * The kernel environment of the MMU layer (mmu/mmu_internal.h, "environment";
 * host/host_env.c is the host's): table pages from the physical frame
 * allocator, physical memory through phys_to_virt(), and the barrier, TLB
 * and activation hooks of the arch (mmu/hooks/arch_mmu.h). Kernel builds
 * only.
 */
#ifndef MMU_HOST
#include "mmu_internal.h"
#include "arch.h"
#include "arch_mmu.h"
#include "mmu_kernel.h"

_Static_assert((int)ARCH_TLB_PAGE == (int)MMU_TLB_PAGE && (int)ARCH_TLB_RANGE == (int)MMU_TLB_RANGE &&
               (int)ARCH_TLB_ASID == (int)MMU_TLB_ASID && (int)ARCH_TLB_ALL == (int)MMU_TLB_ALL,
               "arch_tlb_flush's kinds index t->tlb_ops[] like enum mmu_tlb_kind");

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
	frames_free(pa, shift);
}

void *mmu_env_phys_to_virt(paddr_t pa)
{
	return phys_to_virt(pa);
}

void mmu_env_publish_barrier(void)
{
	arch_mmu_publish_barrier();
}

void mmu_env_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f)
{
	enum arch_tlb_op op = arch_tlb_flush(t->asid, f->start, f->end, f->pages, f->global);

	t->tlb_ops[op]++;
	t->tlb_flushes++;
}

void mmu_env_activate(mmu_translation_set_t *t)
{
	const struct mmu_mode *m = t->mode;
	struct arch_mmu_root r = {
		.root = t->root, .kernel_root = m->kernel_root, .asid = t->asid,
		.va_bits = m->geo.va_bits, .levels = m->geo.levels, .page_shift = m->geo.page_shift,
	};

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
