/*
 * The kernel console: one UART, chosen by the boot code (DTB stdout-path or
 * the board's default), written to by polling so that it works from any
 * context, trap handlers included.
 */
#include "kernel.h"
#include "uart.h"

static struct uart_desc console_uart;

void console_init(const struct uart_desc *u)
{
	console_uart = *u;
	switch (u->kind) {
	case UART_NS16550_MMIO:
	case UART_NS16550_PIO:
		ns16550_init(u);
		break;
	case UART_PL011:
		pl011_init(u);
		break;
	case UART_SIFIVE:
		sifive_uart_init(u);
		break;
	case UART_NONE:
		break;
	}
}

static void uart_putc(char c)
{
	switch (console_uart.kind) {
	case UART_NS16550_MMIO:
	case UART_NS16550_PIO:
		ns16550_putc(&console_uart, c);
		break;
	case UART_PL011:
		pl011_putc(&console_uart, c);
		break;
	case UART_SIFIVE:
		sifive_uart_putc(&console_uart, c);
		break;
	case UART_NONE:
		break;
	}
}

void console_putc(char c)
{
	/* Serial terminals want CR LF. */
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}
