/* QEMU virt (hw/arm/virt.c): a PL011 at 0x09000000. */
#include "kernel.h"

const struct uart_desc board_early_uart = {
	.kind = UART_PL011,
	.base = 0x09000000,
	.reg_shift = 0,
	.reg_io_width = 4,
};
