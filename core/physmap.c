/*
 * How the kernel reaches physical memory: through the direct map, the same
 * base in the arch's boot map and in the kernel's own set (include/arch.h,
 * "The boot map"), so a pointer made here never goes stale.
 */
#include "arch.h"

void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(arch_direct_map_va() + pa);
}

/* The image (at its link address) and the direct map below it are the
 * only kernel memory with a physical address to give. */
uint64_t virt_to_phys(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;
	uint64_t image = arch_kernel_image_va(), dmap = arch_direct_map_va();
	struct arch_image_layout img;

	arch_image_layout(&img);
	if (va >= image && va - image < img.end - img.text)
		return img.text + (va - image);
	if (va >= dmap && va < image)
		return va - dmap;
	panic("virt_to_phys: %p is neither in the image nor in the direct map", p);
}
