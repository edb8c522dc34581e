/*
 * What entry.S's failure path reads of the C world before the MMU is on:
 * the board's early UART (board_early_uart, a struct uart_desc of
 * include/kernel.h; setup.c checks these offsets and values against the
 * C definitions) and, if it is a PL011, the two registers it needs (Arm
 * PrimeCell UART (PL011) TRM, 3.2: UARTDR 0x000, UARTFR 0x018, TXFF bit 5,
 * as core/uart_pl011.c). C-free, for the assembler.
 */
#ifndef ORIGAMI_ARM64_EARLY_UART_H
#define ORIGAMI_ARM64_EARLY_UART_H

#define EARLY_UART_KIND_OFFSET	0	/* struct uart_desc .kind (enum, 32 bits) */
#define EARLY_UART_BASE_OFFSET	8	/* struct uart_desc .base (64 bits) */
#define EARLY_UART_KIND_PL011	3	/* enum uart_kind UART_PL011 */
#define EARLY_PL011_DR		0x000
#define EARLY_PL011_FR		0x018
#define EARLY_PL011_FR_TXFF_BIT	5

#endif
