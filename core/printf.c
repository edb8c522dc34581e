/*
 * kprintf and friends: formatting is the C library's vsnprintf (picolibc,
 * or core/libc on x86_64), output goes straight to the console.
 */
#include <stdio.h>
#include "kernel.h"

/* Longer lines are cut and marked; nothing the kernel prints comes close. */
#define KPRINTF_LINE_MAX 512

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	return vsnprintf(buf, n, fmt, ap);
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}

int kprintf(const char *fmt, ...)
{
	static const char cut[] = "[...]\n";
	char buf[KPRINTF_LINE_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return len;
	if ((size_t)len < sizeof(buf)) {
		console_write(buf, (size_t)len);
	} else {
		console_write(buf, sizeof(buf) - 1);
		console_write(cut, sizeof(cut) - 1);
	}
	return len;
}

const char *ksize_name(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	bytes >>= 10;
	while (bytes >= 1024 && !(bytes & 1023) && units[u + 1]) {
		bytes >>= 10;
		u++;
	}
	ksnprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
	return buf;
}
