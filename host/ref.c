/*
 * mmu_host_hw_translate: read the set's registers and hand the walk to the
 * reference walker of its architecture (host/ref_<arch>.c).
 */
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
