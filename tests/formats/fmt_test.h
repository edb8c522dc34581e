/* Shared by the per-mode format tests (shim/pt_engine.h) and main.c. */
#ifndef ORIGAMI_FMT_TEST_H
#define ORIGAMI_FMT_TEST_H

#include <stdbool.h>
#include <stdint.h>

/* Counts a check; prints the first failures with what was checked. */
void fmt_check(bool ok, const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What one mode's test reports back: the native orders its format gives. */
struct fmt_result {
	uint64_t native_orders;
};

#endif
