/*
 * From entry.S to kmain(): the DTB arch hands over the DTB and leaves the
 * rest of struct boot_info to the core (boot_info_from_fdt).
 */
#include "arch.h"

__attribute__((noreturn)) void arch_setup(uint64_t hartid, uint64_t dtb_pa);

/* entry.S has translation on: the DTB through the direct map. */
void arch_setup(uint64_t hartid, uint64_t dtb_pa)
{
	static struct boot_info bi;
	struct arch_image_layout img;

	arch_image_layout(&img);
	bi.boot_cpu_id = hartid;
	bi.dtb = phys_to_virt(dtb_pa);
	bi.kernel_start = img.text;
	bi.kernel_end = img.end;
	kmain(&bi);
}
