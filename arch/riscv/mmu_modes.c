/*
 * The paging modes a kernel of this arch offers, in the order
 * mmu_mode_name() lists them (the first of equally deep modes wins at
 * boot): Sv39, Sv48 and Sv57 (satp.MODE 8, 9, 10). Whether this CPU
 * runs one is the mode's own probe (pt_mode_init). The host's list is
 * mmu/modes_host.c.
 */
#ifndef MMU_HOST
#include "mmu_internal.h"

#define MODES(X) X(sv39) X(sv48) X(sv57)
MMU_MODE_TABLE(MODES)
#endif
