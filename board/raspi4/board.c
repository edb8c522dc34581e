/*
 * Raspberry Pi 4 Model B (BCM2711). Everything else (console, RAM, the
 * firmware's reserved memory) comes from the DTB.
 */
#include "kernel.h"

/* The console before the DTB is read: the mini UART on GPIO 14/15
 * (BCM2711 ARM Peripherals 2.2: AUX_MU_IO_REG at bus 0x7e215040,
 * registers 4 bytes apart; in the "low peripheral" mode the firmware
 * sets by default the ARM sees bus 0x7e... at 0xfe...). */
const struct uart_desc board_early_uart = {
	.kind = UART_NS16550_MMIO,
	.base = 0xfe215040,
	.reg_shift = 2,
	.reg_io_width = 4,
};
