/*
 * The paging modes a kernel of this arch offers, in the order
 * mmu_mode_name() lists them (the first of equally deep modes wins at
 * boot): 4-level and 5-level paging. Whether this CPU runs one is the
 * mode's own probe (pt_mode_init). The host's list is mmu/modes_host.c.
 */
#ifndef MMU_HOST
#include "mmu_internal.h"

#define MODES(X) X(x86_4level) X(x86_5level)
MMU_MODE_TABLE(MODES)
#endif
