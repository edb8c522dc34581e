/*
 * Usable RAM = RAM - reserved ranges - the kernel image, computed once for
 * every arch, whatever the firmware reported (DTB or Multiboot).
 */
#include "kernel.h"

static void remove_range(struct boot_info *bi, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;
	unsigned i;

	if (!size)
		return;
	for (i = 0; i < bi->nram; i++) {
		struct mem_range *r = &bi->ram[i];
		uint64_t r_end = r->base + r->size;

		if (end <= r->base || base >= r_end)
			continue;
		if (base > r->base && end < r_end) {
			/* A hole in the middle: the range splits in two. */
			if (bi->nram == BOOT_MAX_RANGES) {
				kprintf("memmap: more than %d RAM ranges, dropping [0x%llx, 0x%llx)\n",
					BOOT_MAX_RANGES, (unsigned long long)end,
					(unsigned long long)r_end);
			} else {
				bi->ram[bi->nram].base = end;
				bi->ram[bi->nram].size = r_end - end;
				bi->nram++;
			}
			r->size = base - r->base;
		} else if (base > r->base) {
			r->size = base - r->base;
		} else if (end < r_end) {
			r->size = r_end - end;
			r->base = end;
		} else {
			r->size = 0;
		}
	}
}

static void sort_and_compact(struct boot_info *bi)
{
	unsigned i, j, n = 0;

	for (i = 0; i < bi->nram; i++)
		if (bi->ram[i].size)
			bi->ram[n++] = bi->ram[i];
	bi->nram = n;
	for (i = 1; i < n; i++) {
		struct mem_range r = bi->ram[i];

		for (j = i; j > 0 && bi->ram[j - 1].base > r.base; j--)
			bi->ram[j] = bi->ram[j - 1];
		bi->ram[j] = r;
	}
}

void memmap_remove_reserved(struct boot_info *bi)
{
	unsigned i;

	for (i = 0; i < bi->nreserved; i++)
		remove_range(bi, bi->reserved[i].base, bi->reserved[i].size);
	remove_range(bi, bi->kernel_start, bi->kernel_end - bi->kernel_start);
	sort_and_compact(bi);
}
