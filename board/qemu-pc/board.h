/*
 * QEMU's PC (i440FX), facts the kernel needs before anything else is
 * known, for C and for boot.S: the console port and the exit device.
 */
#ifndef ORIGAMI_BOARD_H
#define ORIGAMI_BOARD_H

/* The PC's first serial port (COM1), the console from the first byte on. */
#define BOARD_EARLY_UART_PORT	0x3f8

/* isa-debug-exit (board.mk puts the device at this port): a write of s
 * ends QEMU with exit code (s << 1) | 1 (QEMU hw/misc/debugexit.c). */
#define BOARD_EXIT_PORT		0xf4

#endif
