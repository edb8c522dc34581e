/*
 * From entry.S to kmain(): the DTB arch hands over the DTB and leaves the
 * rest of struct boot_info to the core (boot_info_from_fdt).
 */
#include "arch.h"

extern char __image_start[], __image_end[];

__attribute__((noreturn)) void riscv_setup(uint64_t hartid, const void *dtb);

void riscv_setup(uint64_t hartid, const void *dtb)
{
	static struct boot_info bi;

	bi.hartid = hartid;
	bi.dtb = dtb;
	bi.kernel_start = (uint64_t)(uintptr_t)__image_start;
	bi.kernel_end = (uint64_t)(uintptr_t)__image_end;
	kmain(&bi);
}
