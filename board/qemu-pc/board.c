/* QEMU's PC: the console is COM1, by port I/O. */
#include "kernel.h"
#include "board.h"

const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_PIO,
	.base = BOARD_EARLY_UART_PORT,
	.reg_shift = 0,
	.reg_io_width = 1,
};
