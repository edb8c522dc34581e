/*
 * Arm PrimeCell PL011 UART, polled transmit only (PL011 TRM, 3.3: UARTDR
 * at 0x000, UARTFR at 0x018). The firmware or QEMU has enabled it; the
 * kernel does not know UARTCLK, so it keeps the baud rate it finds.
 */
#include "uart.h"

#define PL011_DR   0x000
#define PL011_FR   0x018
#define PL011_FR_TXFF (1u << 5)  /* transmit FIFO full */

static volatile uint32_t *reg(const struct uart_desc *u, unsigned off)
{
	return phys_to_virt(u->base + off);   /* the direct map: see core/mmu_boot.c */
}

void pl011_init(const struct uart_desc *u)
{
}

void pl011_putc(const struct uart_desc *u, char c)
{
	while (*reg(u, PL011_FR) & PL011_FR_TXFF)
		;
	*reg(u, PL011_DR) = (uint8_t)c;
}
