/*
 * The host's software TLB (host/tlb.c): filled by mmu_host_hw_translate,
 * flushed by mmu_env_tlb_flush, told of frees by mmu_env_free, reset by
 * mmu_host_init and mmu_select_mode, checked by mmu_host_tlb_check
 * (include/mmu_host.h).
 */
#ifndef ORIGAMI_HOST_TLB_H
#define ORIGAMI_HOST_TLB_H

#include "mmu_host.h"

struct mmu_flush;
struct ref_walk_rec;

/* (declared in mmu/mmu_internal.h too, for mmu_select_mode) */
void host_tlb_reset(void);
/* The walker allowed access at va of t: cache it unless cached already. */
void host_tlb_fill(mmu_translation_set_t *t, const struct mmu_host_hwstate *hw, vaddr_t va,
                   unsigned access, paddr_t pa);
/* The table descriptors the walk of va went through (host/ref.h): cache
 * them in the paging-structure caches unless cached already. */
void host_tlb_fill_walk(mmu_translation_set_t *t, vaddr_t va, const struct ref_walk_rec *r);
/* The environment frees [pa, pa + bytes): a walk entry still pointing
 * there is an error, reported by the next mmu_host_tlb_check. */
void host_tlb_table_freed(paddr_t pa, uint64_t bytes);
/* Drop what the flush f of t invalidates, and nothing else. */
void host_tlb_flush(mmu_translation_set_t *t, const struct mmu_flush *f);

#endif
