/*
 * printf and malloc for x86-64 user programs, which have no picolibc
 * (Debian ships none for x86-64): printf formats with the kernel's small
 * libc (core/libc vsnprintf) into user_putc; malloc is a bump allocator
 * on sbrk (free keeps the memory: the programs are small and short).
 */
#include <stdarg.h>
#include <stdio.h>
#include "origami.h"

void user_putc(char c);
void *sbrk(ptrdiff_t incr);

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		user_putc(buf[i]);
	return n;
}

#define MALLOC_ALIGN 16

void *malloc(size_t n)
{
	void *p = sbrk((ptrdiff_t)((n + MALLOC_ALIGN - 1) & ~(size_t)(MALLOC_ALIGN - 1)));

	return p == (void *)-1 ? NULL : p;
}

void free(void *p)
{
	(void)p;
}
