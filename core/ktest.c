/*
 * In-kernel test results: one "PASS <what>" or "FAIL <what>" line each,
 * counted, so that the QEMU runners read the kernel's suites the way
 * tests/run reads the host's.
 */
#include <stdarg.h>
#include "kernel.h"

static void verdict(struct ktest *t, bool ok, const char *fmt, va_list ap)
{
	char what[200];

	kvsnprintf(what, sizeof(what), fmt, ap);
	kprintf("%s %s: %s\n", ok ? "PASS" : "FAIL", t->suite, what);
	if (ok)
		t->passed++;
	else
		t->failed++;
}

bool ktest_check(struct ktest *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict(t, ok, fmt, ap);
	va_end(ap);
	return ok;
}
