/* QEMU virt (hw/riscv/virt.c): an ns16550a at 0x10000000, byte registers. */
#include "kernel.h"

const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_MMIO,
	.base = 0x10000000,
	.reg_shift = 0,
	.reg_io_width = 1,
};
