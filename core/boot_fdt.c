/*
 * struct boot_info from a device tree: what the riscv64 and arm64 boot
 * code hand over is just the DTB pointer (RISC-V SBI boot protocol: a1;
 * Linux arm64 booting.rst: x0), which the arch turns into a pointer into
 * the direct map.
 */
#include <errno.h>
#include "kernel.h"

int boot_info_from_fdt(struct boot_info *bi, const void *dtb)
{
	const char *bootargs;
	int err;

	if ((err = fdt_check(dtb, ~(size_t)0)))
		return err;
	if ((err = fdt_memory(dtb, bi->ram, BOOT_MAX_RANGES, &bi->nram)))
		return err;
	if ((err = fdt_reserved(dtb, bi->reserved, BOOT_MAX_RANGES, &bi->nreserved)))
		return err;
	/* The DTB itself must survive: the kernel keeps reading it. */
	if (bi->nreserved == BOOT_MAX_RANGES)
		return -ENOSPC;
	bi->reserved[bi->nreserved].base = virt_to_phys(dtb);
	bi->reserved[bi->nreserved].size = fdt_size(dtb);
	bi->nreserved++;

	err = fdt_bootargs(dtb, &bootargs);
	if (err && err != -ENOENT)
		return err;
	bi->cmdline = err ? "" : bootargs;

	err = fdt_stdout_uart(dtb, &bi->uart);
	if (err && err != -ENOENT && err != -ENODEV)
		return err;
	if (err)
		bi->uart = board_early_uart;
	bi->dtb = dtb;
	return 0;
}
