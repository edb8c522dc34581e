/*
 * picolibc's stdout for user programs (picolibc README "Standard I/O":
 * the application defines the FILE objects): user_putc, line-buffered
 * onto the write system call.
 */
#include <stdio.h>
#include "origami.h"

void user_putc(char c);

static int stdio_put(char c, FILE *f)
{
	(void)f;
	user_putc(c);
	return (unsigned char)c;
}

static int stdio_flush(FILE *f)
{
	(void)f;
	user_flush();
	return 0;
}

static FILE user_stdio = FDEV_SETUP_STREAM(stdio_put, NULL, stdio_flush, _FDEV_SETUP_WRITE);

FILE *const stdout = &user_stdio;
FILE *const stderr = &user_stdio;
FILE *const stdin = NULL;

/* picolibc's exit() ends here. */
void _exit(int status)
{
	sys_exit(status);
}
