/*
 * StarFive VisionFive 2 (JH7110). The console, RAM and the paging ceiling
 * come from the DTB its U-Boot passes: the JH7110's cpus say mmu-type
 * "riscv,sv39" (Linux jh7110.dtsi), which the kernel honours, so the
 * board states no ceiling of its own.
 */
#include "kernel.h"

/* The console before the DTB is read: UART0, a Synopsys DesignWare 8250
 * at 0x10000000 with 32-bit registers 4 bytes apart (JH7110 TRM, system
 * memory map; DTB "snps,dw-apb-uart", reg-shift 2, reg-io-width 4). */
const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_MMIO,
	.base = 0x10000000,
	.reg_shift = 2,
	.reg_io_width = 4,
};
