/*
 * How the kernel reaches physical memory. The one place to change when
 * translation is switched on: then a physical address is reached through
 * the direct map (arch_direct_map_va() + pa), no longer as itself.
 */
#include "kernel.h"

void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)pa;   /* identity: translation is off */
}
