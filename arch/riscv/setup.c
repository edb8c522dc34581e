/*
 * From entry.S to kmain(): the DTB arch hands over the DTB and leaves the
 * rest of struct boot_info to the core (boot_info_from_fdt).
 */
#include "arch.h"
#include "riscv.h"
#include "smp.h"

__attribute__((noreturn)) void arch_setup(uint64_t hartid, uint64_t dtb_pa);
extern char trap_stack_top[];   /* entry.S: the boot hart's trap stack */

/* entry.S has translation on: the DTB through the direct map. */
void arch_setup(uint64_t hartid, uint64_t dtb_pa)
{
	static struct boot_info bi;
	struct arch_image_layout img;

	riscv_smp_early(hartid);
	arch_cpu_set_self(&cpus[0]);   /* tp: this hart's TLS block in cpus[0] */
	cpus[0].trap_stack_top = (uint64_t)(uintptr_t)trap_stack_top;   /* entry.S's */
	arch_image_layout(&img);
	bi.boot_cpu_id = hartid;
	bi.dtb = phys_to_virt(dtb_pa);
	bi.kernel_start = img.text;
	bi.kernel_end = img.end;
	kmain(&bi);
}
