/*
 * SiFive UART (DTB compatible "sifive,uart0"), polled transmit only: FU540-C000
 * manual ch. 13 (txdata at 0x00, bit 31 "full"; txctrl at 0x08, bit 0
 * "txen"). The firmware (OpenSBI) has set the divisor for its input clock;
 * the kernel only makes sure the transmitter is on.
 */
#include "uart.h"

#define SIFIVE_TXDATA      0x00
#define SIFIVE_TXDATA_FULL (1u << 31)
#define SIFIVE_TXCTRL      0x08
#define SIFIVE_TXCTRL_TXEN (1u << 0)

static volatile uint32_t *reg(const struct uart_desc *u, unsigned off)
{
	return phys_to_virt(u->base + off);   /* the direct map: see core/mmu_boot.c */
}

void sifive_uart_init(const struct uart_desc *u)
{
	*reg(u, SIFIVE_TXCTRL) |= SIFIVE_TXCTRL_TXEN;
}

void sifive_uart_putc(const struct uart_desc *u, char c)
{
	/* Ch. 13.7: a write while "full" is set is ignored, so wait for room. */
	while (*reg(u, SIFIVE_TXDATA) & SIFIVE_TXDATA_FULL)
		;
	*reg(u, SIFIVE_TXDATA) = (uint8_t)c;
}
