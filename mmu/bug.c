/* Broken invariants inside the MMU layer: say which, then stop. */
#include <stdarg.h>
#include "mmu_internal.h"

#ifdef MMU_HOST
#include <stdio.h>
#include <stdlib.h>

void panic_mmu(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmu: broken invariant: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
#else
#include "kernel.h"

void panic_mmu(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	panic("mmu: broken invariant: %s", buf);
}
#endif
