/*
 * Host tests of the arch-neutral core code that needs no hardware:
 *   - core/libc (x86_64's C library): vsnprintf against the host's glibc on
 *     every conversion, flag, width, precision and length the kernel may
 *     use, and the string functions against glibc's;
 *   - cmdline_get (core/cmdline.c);
 *   - memmap_remove_reserved (core/memmap.c) against a brute-force model.
 * core/libc is compiled with its names prefixed origami_ (tests/suites.d/
 * core.sh) so that both libraries live in this one program.
 * Prints one "PASS name" / "FAIL name" line per group, the first
 * mismatches indented; exits non-zero on any failure.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"

int origami_snprintf(char *buf, size_t n, const char *fmt, ...);
void *origami_memmove(void *dst, const void *src, size_t n);
void *origami_memset(void *dst, int c, size_t n);
int origami_memcmp(const void *a, const void *b, size_t n);
void *origami_memchr(const void *s, int c, size_t n);
size_t origami_strlen(const char *s);
int origami_strcmp(const char *a, const char *b);
int origami_strncmp(const char *a, const char *b, size_t n);
char *origami_strchr(const char *s, int c);
size_t origami_strspn(const char *s, const char *accept);
size_t origami_strcspn(const char *s, const char *reject);

static unsigned failures, checks;

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	/* The first few mismatches say enough; the group line counts them. */
	if (failures++ >= 20)
		return;
	printf("  mismatch: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void group(const char *name, unsigned before_failures, unsigned before_checks)
{
	printf("%s %s (%u checks)\n", failures == before_failures ? "PASS" : "FAIL", name,
	       checks - before_checks);
}

/* kprintf for memmap.c: the test only needs it to exist. */
int kprintf(const char *fmt, ...)
{
	return 0;
}

/* ---- vsnprintf ---- */

/* Both libraries format the same arguments; results and return values must
 * match byte for byte, for every buffer size up to the full length. */
#define SAME(fmt, ...) do {                                                          \
	char want[256], got[256];                                                    \
	int wn = snprintf(want, sizeof(want), fmt, __VA_ARGS__);                     \
	int gn = origami_snprintf(got, sizeof(got), fmt, __VA_ARGS__);               \
	result(wn == gn && !strcmp(want, got), "snprintf(\"%s\"): glibc %d \"%s\", core/libc %d \"%s\"", \
	       fmt, wn, want, gn, got);                                              \
	for (size_t size = 0; size <= (size_t)wn; size++) {                          \
		char small[256];                                                     \
		memset(small, 'X', sizeof(small));                                   \
		gn = origami_snprintf(size ? small : NULL, size, fmt, __VA_ARGS__);  \
		result(gn == wn && (size == 0 || (strlen(small) == size - 1 &&       \
			!strncmp(small, want, size - 1))) && small[size] == 'X',     \
		       "snprintf(\"%s\") into %zu bytes", fmt, size);                \
	}                                                                            \
} while (0)

static void test_vsnprintf(void)
{
	unsigned f = failures, c = checks;
	static const long long ints[] = { 0, 1, -1, 7, 42, -42, 255, 4096, INT32_MAX, INT32_MIN,
					  INT64_MAX, INT64_MIN, 0x123456789abcdefll };
	static const char *const int_formats[] = {
		"%lld", "%lli", "%5lld", "%-5lld|", "%05lld", "%+lld", "% lld", "%.3lld", "%8.3lld",
		"%-8.3lld|", "%.0lld", "%+08lld", "%llx", "%llX", "%#llx", "%#llX", "%016llx",
		"%#018llx", "%llo", "%#llo", "%.0llx", "%#.0llo", "%llu", "%20llu", "%-20llu|",
	};
	size_t i, j;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		for (j = 0; j < sizeof(int_formats) / sizeof(int_formats[0]); j++)
			SAME(int_formats[j], ints[i]);
	SAME("%d %i %u %x", -5, 17, 3000000000u, 0xbeefu);
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%ld %lu %lx", -1234567890123l, 1234567890123ul, 0xfedcba9876ul);
	SAME("%zu %zx %td %jd %ju", (size_t)12345, (size_t)0xabc, (ptrdiff_t)-77,
	     (intmax_t)-88, (uintmax_t)99);
	SAME("%p %p", (void *)0x80200000, (void *)&failures);
	SAME("%*d|%-*d|%.*d", 6, 42, 6, 42, 4, 7);
	SAME("%*d|", -6, 42);
	SAME("%s|%10s|%-10s|%.3s|%10.2s|", "hello", "hi", "hi", "truncate", "ab");
	SAME("%.*s|", 2, "abcdef");
	SAME("%c%c%c %5c|%-5c|", 'a', 'b', 'c', 'x', 'y');
	SAME("100%% %s", "done");
	SAME("%s", "");
	SAME("no conversions%s", "");
	group("core/libc vsnprintf matches glibc", f, c);
}

/* ---- string functions ---- */

static void test_strings(void)
{
	unsigned f = failures, c = checks;
	static const char *const s[] = { "", "a", "abc", "abd", "ab", "hello world", "\xff\x01" };
	size_t n = sizeof(s) / sizeof(s[0]), i, j, k;
	char a[64], b[64];

#define SIGN(x) ((x) > 0 ? 1 : (x) < 0 ? -1 : 0)
	for (i = 0; i < n; i++) {
		result(origami_strlen(s[i]) == strlen(s[i]), "strlen(\"%s\")", s[i]);
		result(origami_strchr(s[i], 'b') == strchr(s[i], 'b'), "strchr(\"%s\", 'b')", s[i]);
		result(origami_strchr(s[i], 0) == strchr(s[i], 0), "strchr(\"%s\", 0)", s[i]);
		result(origami_strspn(s[i], "abc") == strspn(s[i], "abc"), "strspn(\"%s\")", s[i]);
		result(origami_strcspn(s[i], " d") == strcspn(s[i], " d"), "strcspn(\"%s\")", s[i]);
		result(origami_memchr(s[i], 'c', strlen(s[i])) == memchr(s[i], 'c', strlen(s[i])),
		       "memchr(\"%s\")", s[i]);
		for (j = 0; j < n; j++) {
			result(SIGN(origami_strcmp(s[i], s[j])) == SIGN(strcmp(s[i], s[j])),
			       "strcmp(\"%s\", \"%s\")", s[i], s[j]);
			for (k = 0; k < 4; k++)
				result(SIGN(origami_strncmp(s[i], s[j], k)) == SIGN(strncmp(s[i], s[j], k)),
				       "strncmp(\"%s\", \"%s\", %zu)", s[i], s[j], k);
			result(SIGN(origami_memcmp(s[i], s[j], 1)) == SIGN(memcmp(s[i], s[j], 1)),
			       "memcmp(\"%s\", \"%s\", 1)", s[i], s[j]);
		}
	}
	/* memmove in both directions, every overlap. */
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++) {
			for (k = 0; k < sizeof(a); k++)
				a[k] = b[k] = (char)k;
			origami_memmove(a + i, a + j, 20);
			memmove(b + i, b + j, 20);
			result(!memcmp(a, b, sizeof(a)), "memmove(+%zu, +%zu, 20)", i, j);
		}
	memset(b, 0, sizeof(b));
	memset(b + 3, 0x5a, 7);
	memset(a, 0, sizeof(a));
	result(origami_memset(a + 3, 0x5a, 7) == a + 3 && !memcmp(a, b, sizeof(a)), "memset");
	group("core/libc string functions match glibc", f, c);
}

/* ---- cmdline_get ---- */

static void expect_arg(const char *line, const char *key, size_t len, const char *want)
{
	char buf[32] = "untouched";
	bool found = cmdline_get(line, key, buf, len);

	result(want ? found && !strcmp(buf, want) : !found,
	       "cmdline_get(\"%s\", \"%s\", %zu): %s \"%s\", want %s", line, key, len,
	       found ? "found" : "absent", buf, want ? want : "absent");
}

static void test_cmdline(void)
{
	unsigned f = failures, c = checks;

	expect_arg("test.fault=load", "test.fault", 32, "load");
	expect_arg("a=1 test.fault=store b=2", "test.fault", 32, "store");
	expect_arg("a=1\ttest.hang  b", "test.hang", 32, "");
	expect_arg("test.faults=x", "test.fault", 32, NULL);
	expect_arg("xtest.fault=x", "test.fault", 32, NULL);
	expect_arg("test.fault", "test.fault", 32, "");
	expect_arg("test.fault=", "test.fault", 32, "");
	expect_arg("mmu.mode=sv48 mmu.mode=sv39", "mmu.mode", 32, "sv48");
	expect_arg("", "a", 32, NULL);
	expect_arg("k=12345", "k", 6, "12345");
	expect_arg("k=123456", "k", 6, NULL);      /* would not fit: absent */
	result(!cmdline_get(NULL, "k", (char[8]){ 0 }, 8), "cmdline_get(NULL, ...)");
	group("cmdline_get", f, c);
}

/* ---- memmap_remove_reserved ---- */

/* The model: one bit per 4 KiB page of a small window. */
#define MODEL_PAGES 256
#define MODEL_BASE 0x80000000ull

static void model_set(bool *pages, uint64_t base, uint64_t size, bool v)
{
	for (uint64_t p = 0; p < MODEL_PAGES; p++) {
		uint64_t at = MODEL_BASE + p * 4096;

		if (at >= base && at < base + size)
			pages[p] = v;
	}
}

static uint32_t rng = 12345;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static struct mem_range random_range(void)
{
	uint64_t first = next_random() % MODEL_PAGES, pages = 1 + next_random() % 64;

	return (struct mem_range){ MODEL_BASE + first * 4096, pages * 4096 };
}

static void test_memmap(void)
{
	unsigned f = failures, c = checks;

	for (unsigned round = 0; round < 2000; round++) {
		struct boot_info bi;
		bool want[MODEL_PAGES] = { false }, got[MODEL_PAGES] = { false };
		unsigned i;
		uint64_t prev_end = 0;
		bool sorted = true;

		memset(&bi, 0, sizeof(bi));
		/* RAM ranges do not overlap each other: cut the window in pieces. */
		for (uint64_t p = 0; p < MODEL_PAGES && bi.nram < 6;) {
			uint64_t len = 1 + next_random() % 80, gap = next_random() % 8;

			if (p + gap + len > MODEL_PAGES)
				break;
			bi.ram[bi.nram++] = (struct mem_range){ MODEL_BASE + (p + gap) * 4096, len * 4096 };
			p += gap + len;
		}
		for (i = 0; i < bi.nram; i++)
			model_set(want, bi.ram[i].base, bi.ram[i].size, true);
		bi.nreserved = next_random() % 6;
		for (i = 0; i < bi.nreserved; i++) {
			bi.reserved[i] = random_range();
			model_set(want, bi.reserved[i].base, bi.reserved[i].size, false);
		}
		{
			struct mem_range k = random_range();

			bi.kernel_start = k.base;
			bi.kernel_end = k.base + k.size;
			model_set(want, k.base, k.size, false);
		}
		memmap_remove_reserved(&bi);
		for (i = 0; i < bi.nram; i++) {
			model_set(got, bi.ram[i].base, bi.ram[i].size, true);
			sorted &= bi.ram[i].size && bi.ram[i].base >= prev_end;
			prev_end = bi.ram[i].base + bi.ram[i].size;
		}
		result(!memcmp(want, got, sizeof(want)), "memmap round %u: usable pages differ", round);
		result(sorted, "memmap round %u: ranges not sorted, disjoint and non-empty", round);
	}
	group("memmap_remove_reserved matches a page model", f, c);
}

int main(void)
{
	test_vsnprintf();
	test_strings();
	test_cmdline();
	test_memmap();
	printf("%u checks, %u failed\n", checks, failures);
	return failures != 0;
}
