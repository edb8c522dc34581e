/*
 * ns16550/8250 UART, polled transmit only: memory-mapped with the DTB's
 * reg-shift and reg-io-width, or port I/O (x86 COM1). The firmware has set
 * the line up (baud, 8N1); the kernel does not know the input clock, so it
 * leaves the divisor alone.
 */
#include "arch.h"
#include "uart.h"

#define UART_THR 0              /* transmit holding register */
#define UART_IER 1              /* interrupt enable */
#define UART_LSR 5              /* line status */
#define UART_LSR_THRE 0x20      /* transmit holding register empty */

static uint8_t reg_read(const struct uart_desc *u, unsigned reg)
{
	uint64_t addr = u->base + ((uint64_t)reg << u->reg_shift);

#if ARCH_HAS_PIO
	if (u->kind == UART_NS16550_PIO)
		return arch_pio_read8((uint16_t)addr);
#endif
	if (u->reg_io_width == 4)
		return (uint8_t)*(volatile uint32_t *)phys_to_virt(addr);
	return *(volatile uint8_t *)phys_to_virt(addr);
}

static void reg_write(const struct uart_desc *u, unsigned reg, uint8_t val)
{
	uint64_t addr = u->base + ((uint64_t)reg << u->reg_shift);

#if ARCH_HAS_PIO
	if (u->kind == UART_NS16550_PIO) {
		arch_pio_write8((uint16_t)addr, val);
		return;
	}
#endif
	if (u->reg_io_width == 4)
		*(volatile uint32_t *)phys_to_virt(addr) = val;
	else
		*(volatile uint8_t *)phys_to_virt(addr) = val;
}

void ns16550_init(const struct uart_desc *u)
{
	/* Polled: no interrupts. */
	reg_write(u, UART_IER, 0);
}

void ns16550_putc(const struct uart_desc *u, char c)
{
	while (!(reg_read(u, UART_LSR) & UART_LSR_THRE))
		;
	reg_write(u, UART_THR, (uint8_t)c);
}
