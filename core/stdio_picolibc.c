/*
 * picolibc's stdout and stderr are the kernel console (picolibc
 * README "Standard I/O": the application defines the FILE objects).
 * Linked only where the arch uses picolibc.
 */
#include <stdio.h>
#include "kernel.h"

static int console_stdio_put(char c, FILE *f)
{
	console_putc(c);
	return (unsigned char)c;
}

static FILE console_stdio = FDEV_SETUP_STREAM(console_stdio_put, NULL, NULL, _FDEV_SETUP_WRITE);

FILE *const stdout = &console_stdio;
FILE *const stderr = &console_stdio;
FILE *const stdin = NULL;
