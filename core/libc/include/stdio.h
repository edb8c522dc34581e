/* Formatting only: the kernel prints through kprintf (core/printf.c). */
#ifndef ORIGAMI_LIBC_STDIO_H
#define ORIGAMI_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap);
int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
