/*
 * SiFive HiFive Unleashed (FU540-C000). The console comes from the DTB
 * ("sifive,uart0", core/uart_sifive.c); what the DTB cannot be trusted
 * with is here.
 */
#include "kernel.h"

/* FU540-C000 manual, memory map (ch. 5): UART0 at 0x10010000, the console
 * before the DTB is read. */
const struct uart_desc board_early_uart = {
	.kind = UART_SIFIVE,
	.base = 0x10010000,
	.reg_shift = 0,
	.reg_io_width = 4,
};

/* The U54 cores are Sv39 only (FU540-C000 manual 4.1.1, "Sv39 virtual
 * memory"), and Linux's fu540-c000.dtsi says mmu-type = "riscv,sv39".
 * QEMU 7.2's sifive_u DTB says "riscv,sv48" and its model accepts Sv57 in
 * satp, so the firmware's DTB overstates the SoC: the kernel probes no
 * deeper than this. */
const char board_mmu_type[] = "riscv,sv39";
