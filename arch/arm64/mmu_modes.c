/*
 * The paging modes a kernel of this arch offers, in the order
 * mmu_mode_name() lists them (the first of equally deep modes wins at
 * boot): the six VMSAv8-64 granule/VA-size combinations. Whether this
 * CPU runs one is the mode's own probe (pt_mode_init). The host's list is
 * mmu/modes_host.c.
 */
#ifndef MMU_HOST
#include "mmu_internal.h"

#define MODES(X) X(arm64_4k_48) X(arm64_16k_48) X(arm64_64k_48) X(arm64_4k_52) X(arm64_16k_52) \
	X(arm64_64k_52)
MMU_MODE_TABLE(MODES)
#endif
