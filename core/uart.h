/*
 * The UART drivers behind core/console.c. Each takes the descriptor found
 * in the DTB (or the board's default) and polls: the console must work in
 * a trap handler with interrupts off.
 */
#ifndef ORIGAMI_CORE_UART_H
#define ORIGAMI_CORE_UART_H

#include "kernel.h"

void ns16550_init(const struct uart_desc *u);
void ns16550_putc(const struct uart_desc *u, char c);
void pl011_init(const struct uart_desc *u);
void pl011_putc(const struct uart_desc *u, char c);
void sifive_uart_init(const struct uart_desc *u);
void sifive_uart_putc(const struct uart_desc *u, char c);

#endif
