/*
 * Host test of the physical frame allocator (core/frames.c) on a simulated
 * RAM: alignment, zeroing, exhaustion, merging back, the ranges it must
 * never hand out (reserved, kernel image, physical 0, above the limit),
 * every kind of bad free, and a random alloc/free run against a page model.
 * Prints one "PASS name" / "FAIL name" line per check group; the suite
 * (tests/suites.d/frames.sh) counts them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"

/* The simulated RAM: [SIM_BASE, SIM_BASE + SIM_BYTES). Zone 0 tests also
 * use a low window starting at physical 0 (LOW_BYTES). */
#define SIM_BASE  0x80000000ull
#define SIM_BYTES (64ull << 20)
#define LOW_BYTES (1ull << 20)
#define PAGE      4096ull

static uint8_t *sim, *low;
static unsigned failures, checks;

void *phys_to_virt(uint64_t pa)
{
	if (pa >= SIM_BASE && pa < SIM_BASE + SIM_BYTES)
		return sim + (pa - SIM_BASE);
	if (pa < LOW_BYTES)
		return low + pa;
	fprintf(stderr, "phys_to_virt(%#llx): outside the simulated RAM\n", (unsigned long long)pa);
	abort();
}

int kprintf(const char *fmt, ...)
{
	return 0;
}

/* A panic is what a bad free must do: caught here while a test expects one
 * (the message kept, to check it names the address), fatal otherwise. */
static jmp_buf panic_jmp;
static bool panic_armed;
static char panic_msg[256];

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	if (panic_armed)
		longjmp(panic_jmp, 1);
	fprintf(stderr, "panic: %s\n", panic_msg);
	abort();
}

/* frames_free that reports a panic: 0, or -1 with the message in panic_msg. */
static int try_free(uint64_t pa, unsigned shift)
{
	panic_msg[0] = 0;
	panic_armed = true;
	if (setjmp(panic_jmp)) {
		panic_armed = false;
		return -1;
	}
	frames_free(pa, shift);
	panic_armed = false;
	return 0;
}

/* frames_put panics, naming pa. */
static bool put_panics_naming(uint64_t pa)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)pa);
	panic_msg[0] = 0;
	panic_armed = true;
	if (setjmp(panic_jmp)) {
		panic_armed = false;
		return strstr(panic_msg, hex) != NULL;
	}
	frames_put(pa);
	panic_armed = false;
	return false;
}

/* A bad free panics and its message names the address. */
static bool panics_naming(uint64_t pa, unsigned shift)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)pa);
	return try_free(pa, shift) == -1 && strstr(panic_msg, hex);
}

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok || failures++ >= 20)
		return;
	printf("  mismatch: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void group(const char *name, unsigned f0, unsigned c0)
{
	printf("%s %s (%u checks)\n", failures == f0 ? "PASS" : "FAIL", name, checks - c0);
}

#define GROUP(name) for (unsigned f0 = failures, c0 = checks, once = 1; once; \
                         once = 0, group(name, f0, c0))

static struct boot_info bi_one(uint64_t base, uint64_t size)
{
	struct boot_info bi = { .nram = 1 };
	bi.ram[0] = (struct mem_range){ base, size };
	return bi;
}

static bool all_zero(uint64_t pa, uint64_t bytes)
{
	const uint8_t *p = phys_to_virt(pa);
	for (uint64_t i = 0; i < bytes; i++)
		if (p[i])
			return false;
	return true;
}

/* Allocate 2^shift blocks until none is left; returns how many. */
static uint64_t drain(unsigned shift, uint64_t *out, uint64_t max)
{
	uint64_t n = 0, pa;
	while ((pa = frames_alloc(shift)) != 0) {
		if (n < max)
			out[n] = pa;
		n++;
	}
	return n;
}

static uint64_t pas[SIM_BYTES / PAGE];

static void test_basic(void)
{
	GROUP("alloc: aligned, zeroed, counted, for 4K 16K 64K 2M 1M") {
		memset(sim, 0xa5, SIM_BYTES);
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		result(frames_init(&bi, ~0ull, FRAME_MIN_SHIFT) == 0, "init");
		struct frames_stats st;
		frames_get_stats(&st);
		result(st.total_bytes + st.meta_bytes == SIM_BYTES && st.free_bytes == st.total_bytes,
		       "total %llu + meta %llu, free %llu", (unsigned long long)st.total_bytes,
		       (unsigned long long)st.meta_bytes, (unsigned long long)st.free_bytes);
		static const unsigned shifts[] = { 12, 14, 16, 21, 20, 12, 16 };
		uint64_t got[7];
		for (unsigned i = 0; i < 7; i++) {
			unsigned s = shifts[i];
			got[i] = frames_alloc(s);
			result(got[i] && !(got[i] & ((1ull << s) - 1)), "shift %u: %#llx not aligned", s,
			       (unsigned long long)got[i]);
			result(got[i] && all_zero(got[i], 1ull << s), "shift %u: not zeroed", s);
			memset(phys_to_virt(got[i]), 0xff, (size_t)1 << s);   /* dirty for the next round */
		}
		frames_get_stats(&st);
		result(st.in_use[0] == 2 && st.in_use[2] == 1 && st.in_use[4] == 2 &&
		       st.in_use[9] == 1 && st.in_use[8] == 1, "in_use counts");
		for (unsigned i = 0; i < 7; i++)
			result(try_free(got[i], shifts[i]) == 0, "free %#llx", (unsigned long long)got[i]);
		frames_get_stats(&st);
		result(st.free_bytes == st.total_bytes, "everything free again");
		uint64_t pa = frames_alloc(12);
		result(pa && all_zero(pa, PAGE), "a reused dirty page comes back zeroed");
		frames_free(pa, 12);
	}
}

static void test_exhaust(void)
{
	GROUP("exhaustion: every 4K frame once, then 0; all freed merge back") {
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
		struct frames_stats st;
		frames_get_stats(&st);
		uint64_t big_before = 0, n;
		for (unsigned s = FRAME_MAX_SHIFT; s >= FRAME_MIN_SHIFT && !big_before; s--) {
			uint64_t pa = frames_alloc(s);
			if (pa) {
				big_before = s;
				frames_free(pa, s);
			}
		}
		n = drain(12, pas, sizeof(pas) / sizeof(pas[0]));
		result(n * PAGE == st.total_bytes, "%llu frames for %llu bytes", (unsigned long long)n,
		       (unsigned long long)st.total_bytes);
		result(frames_alloc(12) == 0 && frames_alloc(16) == 0, "no memory: 0");
		/* Distinct and inside the RAM. */
		static uint8_t seen[SIM_BYTES / PAGE];
		memset(seen, 0, sizeof(seen));
		bool ok = true;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t f = (pas[i] - SIM_BASE) / PAGE;
			ok &= pas[i] >= SIM_BASE && f < SIM_BYTES / PAGE && !seen[f];
			seen[f] = 1;
		}
		result(ok, "frames distinct and inside the RAM");
		for (uint64_t i = 0; i < n; i++)   /* free in a scattered order */
			result(try_free(pas[(i * 7919) % n], 12) == 0, "free");
		frames_get_stats(&st);
		result(st.free_bytes == st.total_bytes && st.in_use[0] == 0, "all free");
		uint64_t sum = 0;
		for (unsigned i = 0; i < sizeof(st.free_blocks) / sizeof(st.free_blocks[0]); i++)
			sum += st.free_blocks[i] << (FRAME_MIN_SHIFT + i);
		result(sum == st.free_bytes, "free blocks per order add up to the free bytes");
		uint64_t pa = frames_alloc((unsigned)big_before);
		result(pa != 0, "the largest block (shift %llu) exists again: buddies merged",
		       (unsigned long long)big_before);
		frames_free(pa, (unsigned)big_before);
	}
}

static bool overlaps(uint64_t pa, uint64_t bytes, uint64_t base, uint64_t size)
{
	return pa < base + size && base < pa + bytes;
}

static void test_exclusions(void)
{
	GROUP("never hands out reserved ranges, the kernel, physical 0, memory above the limit") {
		struct boot_info bi = { .nram = 2 };
		bi.ram[0] = (struct mem_range){ 0, LOW_BYTES };
		bi.ram[1] = (struct mem_range){ SIM_BASE + 0x1234, SIM_BYTES - 0x1234 - 0x777 };
		bi.reserved[0] = (struct mem_range){ SIM_BASE + (8 << 20), 3 << 20 };
		bi.reserved[1] = (struct mem_range){ 0x3000, 0x2000 };
		bi.nreserved = 2;
		bi.kernel_start = SIM_BASE + (20 << 20) + 0x800;
		bi.kernel_end = SIM_BASE + (21 << 20);
		uint64_t limit = SIM_BASE + SIM_BYTES - (4 << 20);
		result(frames_init(&bi, limit, FRAME_MIN_SHIFT) == 0, "init");
		uint64_t n = drain(12, pas, sizeof(pas) / sizeof(pas[0]));
		bool ok = true;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pa = pas[i];
			bool in_low = pa + PAGE <= LOW_BYTES;
			bool in_high = pa >= SIM_BASE + 0x2000 &&
			               pa + PAGE <= bi.ram[1].base + bi.ram[1].size;
			bool bad = pa == 0 || !(in_low || in_high) || pa + PAGE > limit ||
			           overlaps(pa, PAGE, 0x3000, 0x2000) ||
			           overlaps(pa, PAGE, SIM_BASE + (8 << 20), 3 << 20) ||
			           overlaps(pa, PAGE, bi.kernel_start, bi.kernel_end - bi.kernel_start);
			if (bad && ok)
				result(false, "handed out %#llx", (unsigned long long)pa);
			ok &= !bad;
		}
		result(ok, "every frame is usable RAM");
		struct frames_stats st;
		frames_get_stats(&st);
		result(n * PAGE == st.total_bytes && st.zones >= 3, "%llu frames, %u zones",
		       (unsigned long long)n, st.zones);
		struct boot_info none = bi_one(SIM_BASE, 0x800);
		result(frames_init(&none, ~0ull, FRAME_MIN_SHIFT) == -ENOMEM && frames_alloc(12) == 0,
		       "no usable frame: -ENOMEM, alloc gives 0");
		/* 64 KiB granules: the partial granules at the ends of a range
		 * and around a reservation are not handed out. */
		const uint64_t g = 1ull << 16;
		result(frames_init(&bi, limit, 16) == 0, "init, 64 KiB granules");
		n = drain(12, pas, sizeof(pas) / sizeof(pas[0]));
		ok = true;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t granule = pas[i] & ~(g - 1);
			bool bad = !(granule + g <= LOW_BYTES ||
			             (granule >= bi.ram[1].base && granule + g <= bi.ram[1].base + bi.ram[1].size)) ||
			           overlaps(granule, g, 0x3000, 0x2000) ||
			           overlaps(granule, g, SIM_BASE + (8 << 20), 3 << 20) ||
			           overlaps(granule, g, bi.kernel_start, bi.kernel_end - bi.kernel_start);
			if (bad && ok)
				result(false, "handed out %#llx, in a partial granule", (unsigned long long)pas[i]);
			ok &= !bad;
		}
		result(ok && n > 0, "every frame lies in a whole usable granule (%llu frames)",
		       (unsigned long long)n);
		result(frames_init(&bi, limit, 11) == -EINVAL && frames_init(&bi, limit, 31) == -EINVAL,
		       "granules below a frame or above a block: -EINVAL");
	}
}

static void test_bad_frees(void)
{
	GROUP("bad frees panic naming the address and change nothing; bad shifts give 0") {
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
		uint64_t a = frames_alloc(16), b = frames_alloc(12);
		struct frames_stats before, after;
		frames_get_stats(&before);
		result(panics_naming(a + PAGE, 12), "inside a larger block");
		result(panics_naming(a, 12), "wrong (smaller) shift");
		result(panics_naming(a, 17), "wrong (larger) shift");
		result(panics_naming(a + 1, 16), "misaligned");
		result(panics_naming(0x1000, 12), "not managed memory");
		result(panics_naming(SIM_BASE + SIM_BYTES, 12), "past the end");
		result(panics_naming(b, 11) && panics_naming(b, 31), "shift out of range");
		frames_get_stats(&after);
		result(!memcmp(&before, &after, sizeof(before)), "nothing changed");
		result(try_free(b, 12) == 0, "the right free");
		result(panics_naming(b, 12), "double free");
		result(try_free(a, 16) == 0 && panics_naming(a, 16), "double free, 64K");
		result(frames_alloc(11) == 0 && frames_alloc(FRAME_MAX_SHIFT + 1) == 0 &&
		       frames_alloc(64) == 0, "alloc with a bad shift: 0");
	}
}

/* RAM beyond the boot window joins later, keeping what is allocated. */
static void test_add_above(void)
{
	GROUP("RAM above the window added later; earlier allocations kept") {
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		uint64_t limit = SIM_BASE + SIM_BYTES / 2;
		struct frames_stats a, b;
		frames_init(&bi, limit, FRAME_MIN_SHIFT);
		uint64_t x = frames_alloc(12);
		frames_get_stats(&a);
		result(a.total_bytes + a.meta_bytes == SIM_BYTES / 2, "first half only");
		result(frames_add_above(&bi, limit, FRAME_MIN_SHIFT) == 0, "add the rest");
		frames_get_stats(&b);
		result(b.total_bytes + b.meta_bytes == SIM_BYTES && b.zones == 2 &&
		       b.free_bytes > a.free_bytes && b.in_use[0] == 1, "both halves, the allocation kept");
		result(frames_add_above(&bi, SIM_BASE + SIM_BYTES, FRAME_MIN_SHIFT) == -ENOENT,
		       "nothing above the RAM: -ENOENT");
		bool high = false;
		uint64_t pa;
		while ((pa = frames_alloc(20)))
			high |= pa >= limit;
		result(high, "blocks come from the added half");
		result(try_free(x, 12) == 0, "the earlier frame still frees");
	}
}

/* frames_alloc_pages: per-4K references, partial give-back, merging. */
static void test_pages(void)
{
	GROUP("mapped frames: counted per 4K frame, freed at the last put, merged back") {
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
		struct frames_stats st0, st;
		frames_get_stats(&st0);
		uint64_t pa = frames_alloc_pages(21);
		result(pa && !(pa & ((1ull << 21) - 1)) && all_zero(pa, 1ull << 21), "2M block, aligned, zeroed");
		frames_get_stats(&st);
		result(st.in_use[0] == 512 && st.mapped_frames == 512, "counted as 512 4K frames");
		result(frames_refcount(pa) == 1 && frames_refcount(pa + (511ull << 12)) == 1, "each at 1");
		frames_get(pa + PAGE);
		result(frames_refcount(pa + PAGE) == 2, "get: 2");
		result(frames_put(pa + PAGE) == 1 && frames_refcount(pa + PAGE) == 1, "put: 1");
		result(panics_naming(pa, 12), "frames_free of a mapped frame panics");
		for (uint64_t i = 0; i < 512; i += 2)    /* every other frame back */
			frames_put(pa + i * PAGE);
		frames_get_stats(&st);
		result(st.free_bytes == st0.free_bytes - 256 * PAGE && st.mapped_frames == 256,
		       "half given back frame by frame");
		for (uint64_t i = 1; i < 512; i += 2)
			frames_put(pa + i * PAGE);
		frames_get_stats(&st);
		result(st.free_bytes == st0.free_bytes && st.mapped_frames == 0 && st.in_use[0] == 0,
		       "all back");
		result(put_panics_naming(pa), "a double put panics naming the address");
		uint64_t big = frames_alloc(21);
		result(big == pa, "the 2M block merged back (%#llx)", (unsigned long long)big);
		try_free(big, 21);
		frames_fail_alloc_after(1);
		uint64_t x = frames_alloc(12), y = frames_alloc(12);
		frames_fail_alloc_after(-1);
		result(x && !y, "failure injection: the second allocation fails");
		try_free(x, 12);
	}
}

/* Random allocs and frees of 4K..2M against a model of page ownership. */
static void test_random(void)
{
	GROUP("random alloc/free of 4K-2M against a page model") {
		struct boot_info bi = bi_one(SIM_BASE + 0x5000, SIM_BYTES - 0x5000);
		frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
		struct frames_stats st0;
		frames_get_stats(&st0);
		static int32_t owner[SIM_BYTES / PAGE];   /* block index + 1, 0 free */
		static struct { uint64_t pa; unsigned shift; } live[4096];
		unsigned nlive = 0;
		memset(owner, 0, sizeof(owner));
		srand(12345);
		for (unsigned step = 0; step < 200000; step++) {
			if (nlive < 4096 && (nlive == 0 || rand() % 3)) {
				unsigned s = 12 + (unsigned)(rand() % 10);
				uint64_t pa = frames_alloc(s);
				if (!pa)
					continue;
				result(!(pa & ((1ull << s) - 1)), "aligned");
				uint64_t f = (pa - SIM_BASE) / PAGE, nf = (1ull << s) / PAGE;
				bool clash = false;
				for (uint64_t i = 0; i < nf; i++) {
					clash |= owner[f + i] != 0;
					owner[f + i] = (int32_t)nlive + 1;
				}
				result(!clash, "%#llx (shift %u) overlaps a live block",
				       (unsigned long long)pa, s);
				if (step % 97 == 0)
					result(all_zero(pa, 1ull << s), "zeroed");
				memset(phys_to_virt(pa), 0x5a, 64);
				live[nlive].pa = pa;
				live[nlive++].shift = s;
			} else {
				unsigned i = (unsigned)rand() % nlive;
				uint64_t f = (live[i].pa - SIM_BASE) / PAGE, nf = (1ull << live[i].shift) / PAGE;
				for (uint64_t k = 0; k < nf; k++)
					owner[f + k] = 0;
				result(try_free(live[i].pa, live[i].shift) == 0, "free");
				live[i] = live[--nlive];
			}
		}
		while (nlive) {
			nlive--;
			result(try_free(live[nlive].pa, live[nlive].shift) == 0, "final free");
		}
		struct frames_stats st;
		frames_get_stats(&st);
		result(st.free_bytes == st0.free_bytes, "free bytes back to the start");
		uint64_t ok = 1;
		for (unsigned i = 0; i < sizeof(st.in_use) / sizeof(st.in_use[0]); i++)
			ok &= st.in_use[i] == 0;
		result(ok, "nothing in use");
	}
}

/* The MMU layer's per-table counts (frames_owner_word) of page tables
 * allocated one after the other: written by every commit into the table,
 * so two neighbours' words must not share a 128-byte pair of cache lines
 * (core/frames.c, ref_slot), or two CPUs committing into two tables trade
 * the line. Reference counts of neighbouring mapped frames likewise. */
static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

static void test_owner_lines(void)
{
	GROUP("owner words and reference counts of neighbouring frames 128 bytes apart") {
		struct boot_info bi = bi_one(SIM_BASE, SIM_BYTES);
		frames_init(&bi, ~0ull, FRAME_MIN_SHIFT);
		static uint64_t got[2048];
		unsigned n = 0, pairs = 0;
		while (n < 2048 && (got[n] = frames_alloc(12)) != 0)
			n++;
		for (unsigned i = 0; i < n; i++)
			for (unsigned k = 0; k < n; k++) {
				if (got[k] != got[i] + PAGE)
					continue;
				uintptr_t a = (uintptr_t)frames_owner_word(got[i]);
				uintptr_t b = (uintptr_t)frames_owner_word(got[k]);
				pairs++;
				result(a / 128 != b / 128, "frames %#llx and %#llx: owner words %#lx and %#lx",
				       (unsigned long long)got[i], (unsigned long long)got[k],
				       (unsigned long)a, (unsigned long)b);
				break;
			}
		result(pairs >= 1000, "only %u neighbouring pairs among %u frames", pairs, n);
		static uintptr_t words[2048];   /* and a slot each */
		for (unsigned i = 0; i < n; i++)
			words[i] = (uintptr_t)frames_owner_word(got[i]);
		qsort(words, n, sizeof(words[0]), cmp_uptr);
		for (unsigned i = 1; i < n; i++)
			result(words[i] != words[i - 1], "two frames share the word %#lx", (unsigned long)words[i]);
		while (n)
			try_free(got[--n], 12);
		uint64_t pa = frames_alloc_pages(16);
		result(pa != 0, "16 mapped frames");
		for (unsigned i = 0; pa && i + 1 < 16; i++) {
			frames_get(pa + i * PAGE);   /* 2: tells the slot apart */
			result(frames_refcount(pa + i * PAGE) == 2 && frames_refcount(pa + (i + 1) * PAGE) == 1,
			       "frame %u's count alone moved", i);
			frames_put(pa + i * PAGE);
		}
		for (unsigned i = 0; pa && i < 16; i++)
			frames_put(pa + i * PAGE);
	}
}

int main(void)
{
	sim = aligned_alloc(1 << 21, SIM_BYTES);
	low = aligned_alloc(4096, LOW_BYTES);
	if (!sim || !low)
		return 2;
	test_basic();
	test_exhaust();
	test_exclusions();
	test_bad_frees();
	test_pages();
	test_add_above();
	test_random();
	test_owner_lines();
	free(sim);
	free(low);
	return failures ? 1 : 0;
}
