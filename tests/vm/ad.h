/*
 * Accessed/dirty helpers shared by the host test (vm_test.c) and the
 * kernel suite (kernel.c): read an entry's state through mmu_find, and an
 * mmu_scan callback that makes entries old and clean.
 */
#ifndef ORIGAMI_TESTS_VM_AD_H
#define ORIGAMI_TESTS_VM_AD_H

#include "vm.h"

/* false if va is unmapped */
static inline bool find_ad(struct vm_space *vs, vaddr_t va, bool *accessed, bool *dirty)
{
	mmu_transaction_t ta;
	mmu_entry_t e;

	mmu_transaction(&ta, &vs->set);
	int err = mmu_find(&ta, va, &e);
	mmu_forget(&ta);
	*accessed = !err && mmu_entry_accessed(e);
	*dirty = !err && mmu_entry_dirty(e);
	return !err;
}

static inline mmu_entry_t age_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	(void)va, (void)priv;
	return mmu_mkold(mmu_mkclean(e));
}

#endif
