/*
 * What the MMU layer offers the kernel beyond the contract (include/mmu.h),
 * as include/mmu_host.h does for the host build: values of a set for the
 * boot banner and the hardware tests, read through functions because the
 * set's fields are the MMU layer's (mmu.h, "storage"). Defined in
 * mmu/env_kernel.c; kernel builds only.
 */
#ifndef ORIGAMI_MMU_KERNEL_H
#define ORIGAMI_MMU_KERNEL_H

#include <stddef.h>
#include "mmu.h"

/* The selected paging mode for the boot banner, as
 * "<mode> (<va bits>-bit VA, <n> levels, pages <native sizes>)". */
void     mmu_kernel_describe_mode(char *buf, size_t len);
/* Physical address of the root table the hardware is given for t (its user
 * half's root where the kernel half has its own). */
paddr_t  mmu_kernel_root_pa(const mmu_translation_set_t *t);
/* The set's number in the MMU layer. Not its hardware ASID: that is handed
 * out when a CPU first loads the set, per generation (mmu/env_kernel.c,
 * smp_set_asid in include/smp.h). */
unsigned mmu_kernel_asid(const mmu_translation_set_t *t);

#endif
