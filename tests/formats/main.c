/*
 * Round-trip tests of the paging formats (arch/<arch>/pt_*.h), one run per
 * mode (shim/pt_engine.h), and each mode's native orders against the sizes
 * its manual gives. Ends with "N passed, N failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include "mmu.h"
#include "fmt_test.h"

/* Mode symbol, name, native orders (bit k: page << k) from the manuals:
 * RISC-V priv. spec 4.3-4.5 + Svnapot (64K); Arm ARM D8.3 blocks and D8.6
 * contiguous groups; Intel SDM vol. 3, 4.5 (2M, 1G). */
#define FMT_MODES(X)                                                                   \
	X(sv39, "sv39", 1ull << 0 | 1ull << 4 | 1ull << 9 | 1ull << 18)                     \
	X(sv48, "sv48", 1ull << 0 | 1ull << 4 | 1ull << 9 | 1ull << 18 | 1ull << 27)        \
	X(sv57, "sv57", 1ull << 0 | 1ull << 4 | 1ull << 9 | 1ull << 18 | 1ull << 27 | 1ull << 36) \
	/* 4K, 64K (contig), 2M, 32M (contig), 1G, 16G (contig) */                       \
	X(arm64_4k_48, "arm64-4k-48", 1ull << 0 | 1ull << 4 | 1ull << 9 | 1ull << 13 |     \
	                              1ull << 18 | 1ull << 22)                             \
	/* 16K, 2M (contig), 32M, 1G (contig) */                                          \
	X(arm64_16k_48, "arm64-16k-48", 1ull << 0 | 1ull << 7 | 1ull << 11 | 1ull << 16)   \
	/* 64K, 2M (contig), 512M, 16G (contig) */                                        \
	X(arm64_64k_48, "arm64-64k-48", 1ull << 0 | 1ull << 5 | 1ull << 13 | 1ull << 18)   \
	/* as 4K-48, and 512G blocks at Arm level 0 (DS = 1) */                           \
	X(arm64_4k_52, "arm64-4k-52", 1ull << 0 | 1ull << 4 | 1ull << 9 | 1ull << 13 |     \
	                              1ull << 18 | 1ull << 22 | 1ull << 27)                \
	/* as 16K-48, and 64G blocks at Arm level 1 (DS = 1) */                           \
	X(arm64_16k_52, "arm64-16k-52", 1ull << 0 | 1ull << 7 | 1ull << 11 | 1ull << 16 |  \
	                                1ull << 22)                                        \
	/* as 64K-48, and 4T blocks at Arm level 1 (52-bit OA) */                         \
	X(arm64_64k_52, "arm64-64k-52", 1ull << 0 | 1ull << 5 | 1ull << 13 | 1ull << 18 |  \
	                                1ull << 26)                                        \
	X(x86_4level, "x86-64-4level", 1ull << 0 | 1ull << 9 | 1ull << 18)                 \
	X(x86_5level, "x86-64-5level", 1ull << 0 | 1ull << 9 | 1ull << 18)                 \
	/* radix-6level: leaves at levels 0-4 of 8 index bits */                          \
	X(radix6, "radix-6level", 1ull << 0 | 1ull << 8 | 1ull << 16 | 1ull << 24 | 1ull << 32)

#define DECLARE(sym, name, native) int fmt_test_##sym(struct fmt_result *r);
FMT_MODES(DECLARE)

static unsigned passed, failed;

void fmt_check(bool ok, const char *mode, const char *fmt, ...)
{
	if (ok) {
		passed++;
		return;
	}
	if (failed++ < 40) {
		va_list ap;
		va_start(ap, fmt);
		printf("FAIL %s: ", mode);
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
	}
}

int main(void)
{
	struct fmt_result r;
#define RUN(sym, name, native)                                                           \
	do {                                                                                 \
		unsigned f0 = failed;                                                            \
		if (!fmt_test_##sym(&r))                                                         \
			fmt_check(r.native_orders == (native), name,                                 \
			          "native orders %#llx, the manual gives %#llx",                     \
			          (unsigned long long)r.native_orders, (unsigned long long)(native)); \
		printf("%s %s\n", failed == f0 ? "PASS" : "FAIL", name);                         \
	} while (0);
	FMT_MODES(RUN)
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
