/* QEMU virt (hw/riscv/virt.c): an ns16550a at 0x10000000, byte registers. */
#include "kernel.h"

const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_MMIO,
	.base = 0x10000000,
	.reg_shift = 0,
	.reg_io_width = 1,
};

/* QEMU's rv64 CPU takes Sv57 in satp, but QEMU 7.2's virt DTB says
 * mmu-type "riscv,sv48" for every rv64 CPU (hw/riscv/virt.c writes it
 * unconditionally): the board states the CPU model's real ceiling, and
 * the probe finds what a given -cpu has. */
const char board_mmu_type[] = "riscv,sv57";
