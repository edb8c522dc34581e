/*
 * Raspberry Pi 3 Model B (BCM2837). Everything else (console, RAM, the
 * firmware's reserved memory) comes from the DTB.
 */
#include "kernel.h"

/* The console before the DTB is read: the mini UART, where a Pi 3's
 * serial console is by default (GPIO 14/15; BCM2835 ARM Peripherals
 * 2.2.2: AUX_MU_IO_REG at 0x7e215040, registers 4 bytes apart; the ARM
 * sees bus address 0x7e... at 0x3f...). */
const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_MMIO,
	.base = 0x3f215040,
	.reg_shift = 2,
	.reg_io_width = 4,
};
