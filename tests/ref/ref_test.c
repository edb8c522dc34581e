/*
 * Unit tests of the host environment (host/host_env.c) and of the reference
 * hardware walkers (host/ref_*.c), without the engine: tables are built by
 * hand in simulated physical memory, descriptor by descriptor, from the
 * manuals' bit layouts, and each walker is asked what the hardware would do.
 *
 * Prints one line per failed check and ends with "N passed, N failed".
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmu_internal.h"
#include "ref.h"

/* ---- checks --------------------------------------------------------- */

static unsigned passed, failed;
static char context[128];

static void __attribute__((format(printf, 3, 4)))
check_at(int line, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL line %d [%s]: ", line, context);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
#define CHECK(ok, ...) check_at(__LINE__, (ok), __VA_ARGS__)

static void __attribute__((format(printf, 1, 2))) set_context(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
}

#define R MMU_READ
#define W MMU_WRITE
#define X MMU_EXEC
#define U MMU_USER

static const char *access_name(unsigned access)
{
	static const char *const names[] = {
		[R] = "S-read", [W] = "S-write", [X] = "S-exec",
		[U | R] = "U-read", [U | W] = "U-write", [U | X] = "U-exec",
	};
	return access < 16 && names[access] ? names[access] : "bad-access";
}

#define EXPECT_PA(hw, va, access, want) expect_pa(__LINE__, hw, va, access, want)
#define EXPECT_FAULT(hw, va, access)    expect_fault(__LINE__, hw, va, access)

static void expect_pa(int line, const struct mmu_host_hwstate *hw, vaddr_t va,
                      unsigned access, paddr_t want)
{
	paddr_t pa = 0;
	int r = ref_translate(hw, va, access, &pa);

	check_at(line, r == 0 && pa == want, "va %#llx %s: got %d pa %#llx, want pa %#llx",
	         (unsigned long long)va, access_name(access), r,
	         (unsigned long long)pa, (unsigned long long)want);
}

static void expect_fault(int line, const struct mmu_host_hwstate *hw, vaddr_t va, unsigned access)
{
	paddr_t pa = 0;
	int r = ref_translate(hw, va, access, &pa);

	check_at(line, r == -EFAULT, "va %#llx %s: got %d pa %#llx, want -EFAULT",
	         (unsigned long long)va, access_name(access), r, (unsigned long long)pa);
}

/* Translation of the first, a middle and the last byte of a leaf. */
static void expect_span(int line, const struct mmu_host_hwstate *hw, vaddr_t va,
                        paddr_t pa, unsigned shift, unsigned access)
{
	const uint64_t size = 1ull << shift;
	const uint64_t offsets[] = { 0, size / 2 + 8 * 3 + 5, size - 1 };

	for (unsigned i = 0; i < 3; i++)
		expect_pa(line, hw, va + offsets[i], access, pa + offsets[i]);
}
#define EXPECT_SPAN(hw, va, pa, shift, access) expect_span(__LINE__, hw, va, pa, shift, access)

/* ---- hand-built tables ---------------------------------------------- */

static void reset_memory(void)
{
	if (mmu_host_init(64ull << 20) != 0) {
		fprintf(stderr, "mmu_host_init failed\n");
		exit(2);
	}
}

static paddr_t new_table(unsigned shift)
{
	paddr_t pa = mmu_env_alloc(shift);

	if (!pa) {
		fprintf(stderr, "out of simulated memory\n");
		exit(2);
	}
	return pa;
}

static uint64_t rd(paddr_t slot) { return *(uint64_t *)mmu_host_phys(slot); }
static void wr(paddr_t slot, uint64_t d) { *(uint64_t *)mmu_host_phys(slot) = d; }

/* The shape of a radix format as the tests need it: depth 0 is the root. */
struct layout {
	unsigned depths;
	unsigned shift[8];                 /* VA bit where each depth's index starts */
	unsigned bits[8];                  /* index bits at each depth */
	unsigned table_shift;              /* size of a table page */
	uint64_t (*table_desc)(paddr_t next, unsigned depth);
	paddr_t (*table_addr)(uint64_t d);
};

/* Physical address of the slot translating va at this depth, creating
 * tables on the way down. */
static paddr_t slot_at(const struct layout *l, paddr_t root, vaddr_t va, unsigned depth)
{
	paddr_t table = root;

	for (unsigned d = 0;; d++) {
		const paddr_t slot = table + ((va >> l->shift[d]) & ((1ull << l->bits[d]) - 1)) * 8;
		if (d == depth)
			return slot;
		uint64_t e = rd(slot);
		if (!e) {
			e = l->table_desc(new_table(l->table_shift), d);
			wr(slot, e);
		}
		table = l->table_addr(e);
	}
}

/* The table holding va's slot at this depth (for contiguous groups). */
static paddr_t table_of(const struct layout *l, paddr_t root, vaddr_t va, unsigned depth)
{
	return slot_at(l, root, va, depth) & ~((8ull << l->bits[depth]) - 1);
}

/* ---- host environment ----------------------------------------------- */

/* Run fn in a child; true if it died of SIGABRT. */
static bool aborts(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static paddr_t victim;
static void free_twice(void) { mmu_env_free(victim, 12); mmu_env_free(victim, 12); }
static void free_never_allocated(void) { mmu_env_free(victim + (1ull << 20), 12); }
static void free_misaligned(void) { mmu_env_free(victim + 8, 12); }
static void free_wrong_size_larger(void) { mmu_env_free(victim, 14); }
static void free_inside_larger(void) { mmu_env_free(mmu_env_alloc(16) + 0x1000, 12); }
static void free_wrong_size_smaller(void) { mmu_env_free(mmu_env_alloc(16), 14); }
static void free_outside(void) { mmu_env_free(mmu_host_phys_base() - 0x1000, 12); }
static void free_zero(void) { mmu_env_free(0, 12); }
static void virt_outside(void) { mmu_env_phys_to_virt(mmu_host_phys_base() + (64ull << 20)); }
static void free_ok(void) { mmu_env_free(victim, 12); }

static void test_env(void)
{
	set_context("host_env auto-init");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {   /* a fresh process that never called mmu_host_init */
		paddr_t pa = mmu_env_alloc(12);
		_exit(pa >= mmu_host_phys_base() && mmu_host_phys(pa + (255ull << 20)) ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "first mmu_env_alloc did not auto-initialise 256 MiB");

	set_context("host_env init");
	CHECK(mmu_host_init(0) == -EINVAL, "init(0) accepted");
	CHECK(mmu_host_init(4096) == -EINVAL, "init(4096) accepted");
	CHECK(mmu_host_init(1ull << 20) == 0, "init(1 MiB) failed");
	CHECK(mmu_host_phys_base() == 0x80000000ull, "base %#llx",
	      (unsigned long long)mmu_host_phys_base());
	CHECK(mmu_host_phys(mmu_host_phys_base()) != NULL, "base not mapped");
	CHECK(mmu_host_phys(mmu_host_phys_base() - 1) == NULL, "below base mapped");
	CHECK(mmu_host_phys((1ull << 20) + mmu_host_phys_base()) == NULL, "past end mapped");
	CHECK(mmu_host_phys(0) == NULL, "pa 0 mapped");

	set_context("host_env alloc");
	unsigned n4 = 0;
	paddr_t pages[512];
	while ((pages[n4] = mmu_env_alloc(12)) != 0)
		n4++;
	CHECK(n4 == 256, "1 MiB gave %u 4K pages, want 256", n4);
	CHECK(mmu_host_tables_in_use() == 256, "in use %zu, want 256", mmu_host_tables_in_use());
	bool distinct = true;
	for (unsigned i = 0; i < n4; i++) {
		memset(mmu_env_phys_to_virt(pages[i]), 0xa5, 4096);
		distinct &= pages[i] >= mmu_host_phys_base() && !(pages[i] & 0xfff);
	}
	CHECK(distinct, "a 4K page outside memory or misaligned");
	for (unsigned i = 0; i < n4; i++)
		mmu_env_free(pages[i], 12);
	CHECK(mmu_host_tables_in_use() == 0, "in use %zu after freeing all", mmu_host_tables_in_use());
	/* Freed 4K pages merge back: sixteen 64K pages fit again. */
	unsigned n64 = 0;
	while ((pages[n64] = mmu_env_alloc(16)) != 0)
		n64++;
	CHECK(n64 == 16, "after 4K churn, %u 64K pages, want 16", n64);
	bool zeroed = true, aligned = true;
	for (unsigned i = 0; i < n64; i++) {
		const uint8_t *p = mmu_env_phys_to_virt(pages[i]);
		for (unsigned b = 0; b < 65536; b++)
			zeroed &= p[b] == 0;
		aligned &= !(pages[i] & 0xffff);
	}
	CHECK(zeroed, "a reused page was not zeroed");
	CHECK(aligned, "a 64K page is not 64K-aligned");
	for (unsigned i = 0; i < n64; i++)
		mmu_env_free(pages[i], 16);

	set_context("host_env mixed sizes");
	/* Random churn of 4K/16K/64K pages: no overlap, natural alignment,
	 * and everything merges back when all is freed. */
	static uint8_t owner[256];
	struct { paddr_t pa; unsigned shift; } live[256];
	unsigned nlive = 0, overlaps = 0, misaligned = 0;
	memset(owner, 0, sizeof(owner));
	srand(5);
	for (unsigned step = 0; step < 20000; step++) {
		if (nlive && (rand() % 2 || nlive == 256)) {
			unsigned k = (unsigned)rand() % nlive;
			unsigned f = (unsigned)((live[k].pa - mmu_host_phys_base()) >> 12);
			for (unsigned i = 0; i < (1u << (live[k].shift - 12)); i++)
				owner[f + i] = 0;
			mmu_env_free(live[k].pa, live[k].shift);
			live[k] = live[--nlive];
			continue;
		}
		const unsigned shift = 12 + 2 * ((unsigned)rand() % 3);
		const paddr_t pa = mmu_env_alloc(shift);
		if (!pa)
			continue;
		misaligned += (pa & ((1ull << shift) - 1)) != 0;
		unsigned f = (unsigned)((pa - mmu_host_phys_base()) >> 12);
		for (unsigned i = 0; i < (1u << (shift - 12)); i++)
			overlaps += owner[f + i]++ != 0;
		live[nlive].pa = pa;
		live[nlive++].shift = shift;
	}
	CHECK(overlaps == 0, "%u frames handed out twice", overlaps);
	CHECK(misaligned == 0, "%u pages misaligned", misaligned);
	CHECK(mmu_host_tables_in_use() == nlive, "in use %zu, live %u", mmu_host_tables_in_use(), nlive);
	while (nlive) {
		nlive--;
		mmu_env_free(live[nlive].pa, live[nlive].shift);
	}
	n64 = 0;
	while (mmu_env_alloc(16))
		n64++;
	CHECK(n64 == 16, "after mixed churn, %u 64K pages, want 16", n64);

	set_context("host_env fail_alloc_after");
	mmu_host_init(1ull << 20);
	mmu_host_fail_alloc_after(3);
	bool ok3 = mmu_env_alloc(12) && mmu_env_alloc(16) && mmu_env_alloc(14);
	CHECK(ok3, "one of the first 3 allocations failed");
	CHECK(mmu_env_alloc(12) == 0, "4th allocation succeeded");
	CHECK(mmu_env_alloc(12) == 0, "5th allocation succeeded");
	CHECK(mmu_host_tables_in_use() == 3, "in use %zu, want 3", mmu_host_tables_in_use());
	mmu_host_fail_alloc_after(0);
	CHECK(mmu_env_alloc(12) == 0, "allocation after fail_alloc_after(0) succeeded");
	mmu_host_fail_alloc_after(-1);
	CHECK(mmu_env_alloc(12) != 0, "allocation after reset to -1 failed");
	CHECK(mmu_host_tables_in_use() == 4, "in use %zu, want 4", mmu_host_tables_in_use());
	mmu_host_fail_alloc_after(1);
	CHECK(mmu_host_init(1ull << 20) == 0 && mmu_host_tables_in_use() == 0,
	      "re-init did not free everything");
	CHECK(mmu_env_alloc(12) && mmu_env_alloc(12), "re-init did not reset fail_alloc_after");

	set_context("host_env broken invariants");
	mmu_host_init(4ull << 20);
	victim = mmu_env_alloc(12);
	CHECK(!aborts(free_ok), "a correct free aborted");
	CHECK(aborts(free_twice), "double free not caught");
	CHECK(aborts(free_never_allocated), "free of a never-allocated page not caught");
	CHECK(aborts(free_misaligned), "misaligned free not caught");
	CHECK(aborts(free_wrong_size_larger), "4K page freed as 16K not caught");
	CHECK(aborts(free_wrong_size_smaller), "64K page freed as 16K not caught");
	CHECK(aborts(free_inside_larger), "free inside a 64K page not caught");
	CHECK(aborts(free_outside), "free below memory not caught");
	CHECK(aborts(free_zero), "free of pa 0 not caught");
	CHECK(aborts(virt_outside), "phys_to_virt past memory not caught");

	set_context("host_env tlb policy");
	mmu_translation_set_t t;
	memset(&t, 0, sizeof(t));
	const struct mmu_flush one = { 0x1000, 0x2000, 1, false, false, false };
	const struct mmu_flush many = { 0x1000, 0x9000, 8, false, false, false };
	const struct mmu_flush global_one = { 0x1000, 0x2000, 1, true, false, false };
	unsigned k1 = mmu_env_tlb_flush(&t, &one), k2 = mmu_env_tlb_flush(&t, &many),
	         k3 = mmu_env_tlb_flush(&t, &global_one);
	CHECK(k1 == MMU_TLB_PAGE && k2 == MMU_TLB_ASID && k3 == MMU_TLB_ALL,
	      "kinds issued: one page %u, 8 pages %u, global page %u", k1, k2, k3);
	mmu_env_publish_barrier();
}

/* ---- RISC-V --------------------------------------------------------- */

/* Privileged spec 4.4.1 (Sv39 PTE; Sv48/Sv57 extend the PPN). */
#define RV_V (1ull << 0)
#define RV_R (1ull << 1)
#define RV_W (1ull << 2)
#define RV_X (1ull << 3)
#define RV_U (1ull << 4)
#define RV_G (1ull << 5)
#define RV_A (1ull << 6)
#define RV_D (1ull << 7)
#define RV_PBMT(v) ((uint64_t)(v) << 61)
#define RV_N (1ull << 63)

static uint64_t rv_table_desc(paddr_t next, unsigned depth) { return (next >> 12) << 10 | RV_V; }
static paddr_t rv_table_addr(uint64_t d) { return ((d >> 10) & ((1ull << 44) - 1)) << 12; }
static uint64_t rv_leaf(paddr_t pa, uint64_t bits) { return (pa >> 12) << 10 | RV_V | RV_A | RV_D | bits; }

static struct layout rv_layout(unsigned levels)
{
	struct layout l = { .depths = levels, .table_shift = 12,
	                    .table_desc = rv_table_desc, .table_addr = rv_table_addr };
	for (unsigned d = 0; d < levels; d++) {
		l.shift[d] = 12 + 9 * (levels - 1 - d);
		l.bits[d] = 9;
	}
	return l;
}

static void test_riscv_mode(unsigned va_bits)
{
	const unsigned levels = (va_bits - 12) / 9;
	const struct layout l = rv_layout(levels);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_RISCV, .va_bits = va_bits,
	                               .page_shift = 12, .levels = levels,
	                               .svnapot = true, .svpbmt = true };

	reset_memory();
	/* Every leaf level, user and kernel half. */
	for (unsigned i = 0; i < levels; i++) {
		const unsigned shift = 12 + 9 * i, depth = levels - 1 - i;
		const vaddr_t uva = 3ull << shift, kva = -(2ull << shift);
		const paddr_t upa = 5ull << shift, kpa = 6ull << shift;
		set_context("sv%u leaf level %u", va_bits, i);
		hw.root = new_table(12);
		wr(slot_at(&l, hw.root, uva, depth), rv_leaf(upa, RV_R | RV_W | RV_X | RV_U));
		wr(slot_at(&l, hw.root, kva, depth), rv_leaf(kpa, RV_R | RV_W | RV_X | RV_G));
		EXPECT_SPAN(&hw, uva, upa, shift, U | R);
		EXPECT_SPAN(&hw, uva, upa, shift, U | W);
		EXPECT_SPAN(&hw, kva, kpa, shift, R);
		EXPECT_SPAN(&hw, kva, kpa, shift, X);
		EXPECT_FAULT(&hw, uva + (1ull << shift), U | R);     /* next slot empty */
		EXPECT_FAULT(&hw, kva - 1, R);
		if (i > 0) {   /* a superpage whose PPN is not aligned (4.3.2 step 6) */
			wr(slot_at(&l, hw.root, uva, depth), rv_leaf(upa + 0x1000, RV_R | RV_U));
			EXPECT_FAULT(&hw, uva, U | R);
			wr(slot_at(&l, hw.root, uva, depth), rv_leaf(upa + (1ull << (shift - 1)), RV_R | RV_U));
			EXPECT_FAULT(&hw, uva, U | R);
		}
	}

	set_context("sv%u canonical", va_bits);
	hw.root = new_table(12);
	const vaddr_t half = 1ull << (va_bits - 1);
	wr(slot_at(&l, hw.root, 0, 0), rv_leaf(0, RV_R | RV_W | RV_X | RV_U));   /* a root-level leaf */
	EXPECT_PA(&hw, 0x1234, U | R, 0x1234);
	EXPECT_FAULT(&hw, 0x1234 | (1ull << 63), U | R);
	EXPECT_FAULT(&hw, half, R);                          /* bit va_bits-1 set, rest 0 */
	EXPECT_FAULT(&hw, ~0ull >> 1, R);
	EXPECT_FAULT(&hw, 1ull << va_bits, U | R);
}

/* Privileged-mode and permission rules on a 4 KiB leaf. */
static void test_riscv_permissions(void)
{
	const struct layout l = rv_layout(3);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_RISCV, .va_bits = 39, .page_shift = 12,
	                               .levels = 3, .svnapot = true, .svpbmt = true };
	static const struct { uint64_t bits; unsigned allowed[6]; } cases[] = {
		/* allowed accesses, 0-terminated */
		{ RV_R,                 { R } },
		{ RV_R | RV_W,          { R, W } },
		{ RV_X,                 { X } },                  /* MXR=0: not readable */
		{ RV_R | RV_X,          { R, X } },
		{ RV_R | RV_W | RV_X,   { R, W, X } },
		{ RV_R | RV_U,          { U | R } },              /* SUM=0: S cannot read */
		{ RV_R | RV_W | RV_U,   { U | R, U | W } },
		{ RV_X | RV_U,          { U | X } },              /* S never executes U pages */
		{ RV_R | RV_W | RV_X | RV_U, { U | R, U | W, U | X } },
	};
	static const unsigned accesses[] = { R, W, X, U | R, U | W, U | X };
	const vaddr_t va = 0x40201000;
	const paddr_t pa = 0x123456000;

	reset_memory();
	hw.root = new_table(12);
	const paddr_t leaf = slot_at(&l, hw.root, va, 2);
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		set_context("riscv permissions case %u (pte bits %#llx)", c, (unsigned long long)cases[c].bits);
		wr(leaf, rv_leaf(pa, cases[c].bits));
		for (unsigned a = 0; a < 6; a++) {
			bool allowed = false;
			for (unsigned k = 0; k < 6 && cases[c].allowed[k]; k++)
				allowed |= cases[c].allowed[k] == accesses[a];
			if (allowed)
				EXPECT_PA(&hw, va + 0x10, accesses[a], pa + 0x10);
			else
				EXPECT_FAULT(&hw, va + 0x10, accesses[a]);
		}
	}

	set_context("riscv A/D clear");
	wr(leaf, rv_leaf(pa, RV_R | RV_W) & ~(RV_A | RV_D));
	EXPECT_PA(&hw, va, W, pa);     /* as if hardware set A and D */
	CHECK(!(rd(leaf) & (RV_A | RV_D)), "walker wrote A/D into the PTE");

	set_context("riscv reserved encodings");
	wr(leaf, rv_leaf(pa, RV_R) & ~RV_V);
	EXPECT_FAULT(&hw, va, R);
	wr(leaf, rv_leaf(pa, RV_W));
	EXPECT_FAULT(&hw, va, W);                       /* W without R */
	wr(leaf, rv_leaf(pa, RV_W | RV_X));
	EXPECT_FAULT(&hw, va, X);
	for (unsigned bit = 54; bit <= 60; bit++) {
		wr(leaf, rv_leaf(pa, RV_R) | 1ull << bit);
		EXPECT_FAULT(&hw, va, R);
	}
	wr(leaf, rv_leaf(pa, RV_R | RV_G));
	EXPECT_PA(&hw, va, R, pa);

	/* Non-leaf PTEs: D, A, U, PBMT and N reserved; G allowed. */
	const paddr_t mid = slot_at(&l, hw.root, va, 1);
	const uint64_t mid_ok = rd(mid);
	static const uint64_t nonleaf_reserved[] = { RV_D, RV_A, RV_U, RV_PBMT(1), RV_N };
	for (unsigned k = 0; k < 5; k++) {
		wr(mid, mid_ok | nonleaf_reserved[k]);
		EXPECT_FAULT(&hw, va, R);
	}
	wr(mid, mid_ok | RV_G);
	EXPECT_PA(&hw, va, R, pa);
	wr(mid, mid_ok);
	/* A pointer at level 0 has nowhere to go. */
	wr(leaf, rv_table_desc(hw.root, 0));
	EXPECT_FAULT(&hw, va, R);

	set_context("riscv Svpbmt");
	for (unsigned v = 0; v < 4; v++) {
		wr(leaf, rv_leaf(pa, RV_R) | RV_PBMT(v));
		if (v == 3)
			EXPECT_FAULT(&hw, va, R);
		else
			EXPECT_PA(&hw, va, R, pa);
	}
	hw.svpbmt = false;
	wr(leaf, rv_leaf(pa, RV_R) | RV_PBMT(1));
	EXPECT_FAULT(&hw, va, R);
	wr(leaf, rv_leaf(pa, RV_R));
	EXPECT_PA(&hw, va, R, pa);
	hw.svpbmt = true;

	set_context("riscv Svnapot");
	/* A 64 KiB NAPOT leaf: ppn[0][3:0] = 1000, pa bits 15:12 from the VA. */
	const vaddr_t nva = 0x40230000;                 /* vpn[0] = 0x30: 64K aligned */
	const paddr_t npa = 0x987650000;
	for (unsigned k = 0; k < 16; k++)
		wr(slot_at(&l, hw.root, nva + k * 0x1000, 2), rv_leaf(npa | 0x8000, RV_R | RV_N));
	EXPECT_PA(&hw, nva, R, npa);
	EXPECT_PA(&hw, nva + 0x5abc, R, npa + 0x5abc);
	EXPECT_PA(&hw, nva + 0xffff, R, npa + 0xffff);
	for (unsigned low = 0; low < 16; low++) {   /* every other encoding is reserved */
		if (low == 8)
			continue;
		wr(slot_at(&l, hw.root, nva, 2), rv_leaf(npa | (uint64_t)low << 12, RV_R | RV_N));
		EXPECT_FAULT(&hw, nva, R);
	}
	wr(slot_at(&l, hw.root, nva, 2), rv_leaf(npa | 0x8000, RV_R | RV_N));
	hw.svnapot = false;
	EXPECT_FAULT(&hw, nva, R);
	hw.svnapot = true;
	/* N on a superpage leaf is reserved. */
	const vaddr_t sva = 0x80000000;
	wr(slot_at(&l, hw.root, sva, 1), rv_leaf(0x200000, RV_R));
	EXPECT_PA(&hw, sva + 0x1234, R, 0x201234);
	wr(slot_at(&l, hw.root, sva, 1), rv_leaf(0x200000, RV_R | RV_N));
	EXPECT_FAULT(&hw, sva + 0x1234, R);

	set_context("riscv bad config");
	wr(leaf, rv_leaf(pa, RV_R));
	EXPECT_PA(&hw, va, R, pa);
	hw.va_bits = 40;
	EXPECT_FAULT(&hw, va, R);
	hw.va_bits = 39;
	/* satp holds a PPN: the root is page-aligned. (The next slot holds
	 * the same entry, so only the alignment check can fault.) */
	wr(slot_at(&l, hw.root, va, 0) + 8, rd(slot_at(&l, hw.root, va, 0)));
	hw.root += 8;
	EXPECT_FAULT(&hw, va, R);
	hw.root -= 8;
	CHECK(ref_translate(&hw, va, R | W, &(paddr_t){0}) == -EINVAL, "R|W access accepted");
	CHECK(ref_translate(&hw, va, 0, &(paddr_t){0}) == -EINVAL, "empty access accepted");
}

/* ---- AArch64 -------------------------------------------------------- */

/* Arm ARM D8.3 descriptor bits. */
#define A_VALID  (1ull << 0)
#define A_TABLE  (1ull << 1)
#define A_PAGE   (A_VALID | A_TABLE)
#define A_BLOCK  A_VALID
#define A_AP_EL0 (1ull << 6)
#define A_AP_RO  (1ull << 7)
#define A_AF     (1ull << 10)
#define A_NG     (1ull << 11)
#define A_NT     (1ull << 16)
#define A_DBM    (1ull << 51)
#define A_CONT   (1ull << 52)
#define A_SW     (1ull << 56)   /* reserved for software use */
#define A_PXN    (1ull << 53)
#define A_UXN    (1ull << 54)
#define A_PXNT   (1ull << 59)
#define A_UXNT   (1ull << 60)
#define A_APT0   (1ull << 61)
#define A_APT1   (1ull << 62)

struct arm_config {
	const char *name;
	unsigned granule, va_bits;
	bool lpa2;
	int start_level;
	int block_levels[3];      /* levels holding blocks, terminated by 9 */
	unsigned contig_lg2[5];   /* by level 0..3 (index level + 1 for -1) */
};

static const struct arm_config arm_configs[] = {
	{ "arm64-4k-48",  12, 48, false,  0, { 1, 2, 9 },  { 0, 0, 4, 4, 4 } },
	{ "arm64-16k-48", 14, 48, false,  0, { 2, 9 },     { 0, 0, 0, 5, 7 } },
	{ "arm64-64k-48", 16, 48, false,  1, { 2, 9 },     { 0, 0, 0, 5, 5 } },
	{ "arm64-4k-52",  12, 52, true,  -1, { 0, 1, 2 },  { 0, 0, 4, 4, 4 } },
	{ "arm64-64k-52", 16, 52, false,  1, { 1, 2, 9 },  { 0, 0, 0, 5, 5 } },
	/* Not modes of the engine, but configurations the walker accepts:
	 * FEAT_LPA2 with the 16K granule. */
	{ "16k-48-ds",    14, 48, true,   0, { 1, 2, 9 },  { 0, 0, 0, 5, 7 } },
	{ "16k-52-ds",    14, 52, true,   0, { 1, 2, 9 },  { 0, 0, 0, 5, 7 } },
};

static const struct arm_config *arm_cfg;

static unsigned arm_shift(const struct arm_config *c, int level)
{
	return c->granule + (c->granule - 3) * (unsigned)(3 - level);
}

static bool arm_oa52(const struct arm_config *c) { return c->lpa2 || (c->granule == 16 && c->va_bits == 52); }

/* The output address field (D8.3): 4K/16K with DS=1 put OA[51:50] in
 * bits 9:8; 64K with a 52-bit OA puts OA[51:48] in bits 15:12. */
static uint64_t arm_oa_field(paddr_t pa)
{
	const struct arm_config *c = arm_cfg;

	if (c->lpa2)
		return ref_bits(pa, 49, c->granule) | ref_bits(pa, 51, 50) >> 42;
	if (c->granule == 16 && arm_oa52(c))
		return ref_bits(pa, 47, 16) | ref_bits(pa, 51, 48) >> 36;
	return ref_bits(pa, 47, c->granule);
}

static uint64_t arm_table_desc(paddr_t next, unsigned depth) { return arm_oa_field(next) | A_VALID | A_TABLE; }
static paddr_t arm_table_addr(uint64_t d) { return ref_bits(d, 47, arm_cfg->granule); }

static uint64_t arm_leaf(paddr_t pa, int level, uint64_t attrs)
{
	return arm_oa_field(pa) | (level == 3 ? A_PAGE : A_BLOCK) | A_AF | attrs;
}

static struct layout arm_layout(const struct arm_config *c)
{
	struct layout l = { .depths = (unsigned)(4 - c->start_level), .table_shift = c->granule,
	                    .table_desc = arm_table_desc, .table_addr = arm_table_addr };
	for (unsigned d = 0; d < l.depths; d++) {
		const int level = c->start_level + (int)d;
		l.shift[d] = arm_shift(c, level);
		l.bits[d] = d == 0 ? c->va_bits - l.shift[0] : c->granule - 3;
	}
	return l;
}

static bool arm_block_level(const struct arm_config *c, int level)
{
	for (unsigned k = 0; k < 3 && c->block_levels[k] != 9; k++)
		if (c->block_levels[k] == level)
			return true;
	return false;
}

static void test_arm_config(const struct arm_config *c)
{
	arm_cfg = c;
	const struct layout l = arm_layout(c);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_ARM64, .va_bits = c->va_bits,
	                               .page_shift = c->granule, .levels = l.depths, .lpa2 = c->lpa2 };
	const uint64_t user_rw = A_AP_EL0 | A_UXN | A_PXN | A_NG, kern_rwx = A_UXN;

	reset_memory();
	for (int level = c->start_level; level <= 3; level++) {
		const unsigned shift = arm_shift(c, level), depth = (unsigned)(level - c->start_level);
		const vaddr_t va_mask = (1ull << c->va_bits) - 1;
		const vaddr_t uva = (3ull << shift) & va_mask ? (3ull << shift) & va_mask : 1ull << shift;
		const vaddr_t kva = -(2ull << shift);
		const paddr_t upa = 5ull << shift, kpa = 6ull << shift;
		set_context("%s leaf level %d", c->name, level);
		hw.root = new_table(c->granule);
		hw.kernel_root = new_table(c->granule);
		wr(slot_at(&l, hw.root, uva, depth), arm_leaf(upa, level, user_rw));
		wr(slot_at(&l, hw.kernel_root, kva, depth), arm_leaf(kpa, level, kern_rwx));
		if (level != 3 && !arm_block_level(c, level)) {   /* no blocks here */
			EXPECT_FAULT(&hw, uva, U | R);
			EXPECT_FAULT(&hw, kva, R);
			continue;
		}
		EXPECT_SPAN(&hw, uva, upa, shift, U | R);
		EXPECT_SPAN(&hw, uva, upa, shift, U | W);
		EXPECT_SPAN(&hw, kva, kpa, shift, R);
		EXPECT_SPAN(&hw, kva, kpa, shift, X);
		EXPECT_FAULT(&hw, uva + (1ull << shift), U | R);
		/* The halves have separate roots: the same index in the other
		 * root is empty. */
		EXPECT_FAULT(&hw, kva & va_mask, R);
		if (!c->contig_lg2[level + 1]) {  /* no contiguous groups at this level */
			wr(slot_at(&l, hw.root, uva, depth), arm_leaf(upa, level, user_rw | A_CONT));
			EXPECT_FAULT(&hw, uva, U | R);
		}
		if (level != 3) {
			/* Misaligned block OA. */
			wr(slot_at(&l, hw.root, uva, depth), arm_leaf(upa + (2ull << c->granule), level, user_rw));
			EXPECT_FAULT(&hw, uva, U | R);
			/* nT (FEAT_BBM, bit 16) is a hint, not an address bit. */
			wr(slot_at(&l, hw.root, uva, depth), arm_leaf(upa, level, user_rw) | A_NT);
			EXPECT_PA(&hw, uva + 0x40, U | R, upa + 0x40);
		} else {
			/* Bit 1 clear at level 3 is reserved. */
			wr(slot_at(&l, hw.root, uva, depth), arm_leaf(upa, level, user_rw) & ~A_TABLE);
			EXPECT_FAULT(&hw, uva, U | R);
		}
	}

	set_context("%s canonical", c->name);
	hw.root = new_table(c->granule);
	hw.kernel_root = new_table(c->granule);
	wr(slot_at(&l, hw.root, 0, l.depths - 1), arm_leaf(0x1000000, 3, user_rw));
	wr(slot_at(&l, hw.kernel_root, ~0ull, l.depths - 1), arm_leaf(0x2000000, 3, kern_rwx));
	EXPECT_PA(&hw, 0x10, U | R, 0x1000010);
	EXPECT_PA(&hw, ~0ull, R, 0x2000000 + (1ull << c->granule) - 1);
	EXPECT_FAULT(&hw, 0x10 | 1ull << c->va_bits, U | R);      /* top bits mixed */
	EXPECT_FAULT(&hw, 0x10 | 1ull << 63, U | R);
	EXPECT_FAULT(&hw, ~0ull ^ 1ull << 62, R);

	set_context("%s RES0 address bits", c->name);
	const paddr_t page = slot_at(&l, hw.root, 0, l.depths - 1);
	if (!c->lpa2) {
		wr(page, arm_leaf(0x1000000, 3, user_rw) | 1ull << 48);
		EXPECT_FAULT(&hw, 0x10, U | R);
	}
	if (c->granule == 14) {
		wr(page, arm_leaf(0x1000000, 3, user_rw) | 1ull << 13);
		EXPECT_FAULT(&hw, 0x10, U | R);
	}
	if (c->granule == 16 && !arm_oa52(c)) {
		wr(page, arm_leaf(0x1000000, 3, user_rw) | 1ull << 12);
		EXPECT_FAULT(&hw, 0x10, U | R);
	}
	wr(page, arm_leaf(0x1000000, 3, user_rw) & ~A_AF);   /* AF=0: as if hardware set it */
	EXPECT_PA(&hw, 0x10, U | R, 0x1000010);
	wr(page, arm_leaf(0x1000000, 3, user_rw) & ~A_VALID);
	EXPECT_FAULT(&hw, 0x10, U | R);

	if (arm_oa52(c)) {
		/* Output addresses above 2^48, page and every block level. */
		set_context("%s 52-bit OA", c->name);
		hw.root = new_table(c->granule);
		const paddr_t high = 0xf123456780000ull & ~((1ull << c->granule) - 1);
		wr(slot_at(&l, hw.root, 0x7000000, l.depths - 1), arm_leaf(high, 3, user_rw));
		EXPECT_PA(&hw, 0x7000000 + 0x321, U | R, high + 0x321);
		for (int level = c->start_level; level < 3; level++) {
			if (!arm_block_level(c, level))
				continue;
			const unsigned shift = arm_shift(c, level);
			const paddr_t bpa = ((1ull << 52) - 1) & ~((1ull << shift) - 1) & ~(1ull << 48);
			const vaddr_t bva = 1ull << shift;
			wr(slot_at(&l, hw.root, bva, (unsigned)(level - c->start_level)), arm_leaf(bpa, level, user_rw));
			EXPECT_SPAN(&hw, bva, bpa, shift, U | R);
		}
		/* Table descriptors carry the high bits too: a table above 2^48
		 * is outside simulated memory, so the walk faults. */
		const paddr_t top = slot_at(&l, hw.root, 0x7000000, 0);
		const uint64_t top_ok = rd(top);
		wr(top, top_ok | (c->lpa2 ? 1ull << 8 : 1ull << 12));
		EXPECT_FAULT(&hw, 0x7000000, U | R);
		wr(top, top_ok);
		EXPECT_PA(&hw, 0x7000000, U | R, high);
	}
}

static void test_arm_permissions(void)
{
	arm_cfg = &arm_configs[0];
	const struct layout l = arm_layout(arm_cfg);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_ARM64, .va_bits = 48, .page_shift = 12, .levels = 4 };
	static const struct { const char *what; uint64_t bits; unsigned allowed[6]; } cases[] = {
		{ "EL1 RW",                  A_UXN,                     { R, W, X } },
		{ "EL1 RW, PXN",             A_UXN | A_PXN,             { R, W } },
		{ "EL1 RO",                  A_AP_RO | A_UXN,           { R, X } },
		{ "EL0 RW (PAN, EL0-writable is PXN)", A_AP_EL0 | A_UXN, { U | R, U | W } },
		{ "EL0 RW, PXN",             A_AP_EL0 | A_UXN | A_PXN,  { U | R, U | W } },
		{ "EL0 RO, UXN=0, PXN",      A_AP_EL0 | A_AP_RO | A_PXN, { U | R, U | X } },
		/* Hardware lets EL1 execute EL0 read-only memory with PXN=0. */
		{ "EL0 RO, UXN=0, PXN=0",    A_AP_EL0 | A_AP_RO,         { U | R, U | X, X } },
		/* EL0 execute-only: EPAN makes EL1 data access fault too. */
		{ "EL0 X-only, PXN",         A_PXN,                      { U | X } },
		{ "EL1 RO, UXN=0 (EL0 can execute)", A_AP_RO | A_PXN,    { U | X } },
	};
	static const unsigned accesses[] = { R, W, X, U | R, U | W, U | X };
	const vaddr_t va = 0x40201000;
	const paddr_t pa = 0x87654000;

	reset_memory();
	hw.root = new_table(12);
	const paddr_t leaf = slot_at(&l, hw.root, va, 3);
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		set_context("arm64 permissions: %s", cases[c].what);
		wr(leaf, arm_leaf(pa, 3, cases[c].bits));
		for (unsigned a = 0; a < 6; a++) {
			bool allowed = false;
			for (unsigned k = 0; k < 6 && cases[c].allowed[k]; k++)
				allowed |= cases[c].allowed[k] == accesses[a];
			if (allowed)
				EXPECT_PA(&hw, va + 0x18, accesses[a], pa + 0x18);
			else
				EXPECT_FAULT(&hw, va + 0x18, accesses[a]);
		}
	}

	/* Hierarchical controls in table descriptors (APTable, UXNTable,
	 * PXNTable) limit everything below, whatever the leaf says. */
	set_context("arm64 hierarchical permissions");
	const paddr_t l1 = slot_at(&l, hw.root, va, 1);
	const uint64_t l1_ok = rd(l1);
	wr(leaf, arm_leaf(pa, 3, A_AP_EL0 | A_PXN));           /* EL0 RW + X */
	EXPECT_PA(&hw, va, U | W, pa);
	EXPECT_PA(&hw, va, U | X, pa);
	wr(l1, l1_ok | A_APT0);
	EXPECT_FAULT(&hw, va, U | R);
	EXPECT_FAULT(&hw, va, U | W);
	wr(l1, l1_ok | A_APT1);
	EXPECT_PA(&hw, va, U | R, pa);
	EXPECT_FAULT(&hw, va, U | W);
	wr(l1, l1_ok | A_UXNT);
	EXPECT_FAULT(&hw, va, U | X);
	EXPECT_PA(&hw, va, U | R, pa);
	wr(leaf, arm_leaf(pa, 3, A_UXN));                      /* EL1 RWX */
	wr(l1, l1_ok | A_PXNT);
	EXPECT_FAULT(&hw, va, X);
	EXPECT_PA(&hw, va, W, pa);
	wr(l1, l1_ok | A_APT1);
	EXPECT_FAULT(&hw, va, W);
	EXPECT_PA(&hw, va, X, pa);
	wr(l1, l1_ok);

	set_context("arm64 bad config");
	EXPECT_PA(&hw, va, W, pa);
	/* TTBR0_EL1.BADDR is aligned to the table (the next slot holds the
	 * same entry, so only the alignment check can fault). */
	wr(slot_at(&l, hw.root, va, 0) + 8, rd(slot_at(&l, hw.root, va, 0)));
	hw.root += 8;
	EXPECT_FAULT(&hw, va, W);
	hw.root -= 8;
	hw.page_shift = 13;
	EXPECT_FAULT(&hw, va, R);
	hw.page_shift = 16;
	hw.lpa2 = true;                 /* DS does not apply to the 64K granule */
	EXPECT_FAULT(&hw, va, R);
	hw.page_shift = 12;
	hw.lpa2 = false;
	hw.va_bits = 52;                /* 52-bit VA with 4K needs DS */
	EXPECT_FAULT(&hw, va, R);
}

/* One contiguous group at this level: valid, then each way to break it. */
static void test_arm_contig(const struct arm_config *c, int level)
{
	arm_cfg = c;
	const struct layout l = arm_layout(c);
	const unsigned n_lg2 = c->contig_lg2[level + 1], shift = arm_shift(c, level);
	const unsigned depth = (unsigned)(level - c->start_level);
	const uint64_t n = 1ull << n_lg2, size = 1ull << shift;
	const vaddr_t va = (n * size) * 3;
	const paddr_t pa = (n * size) * 2;
	const uint64_t attrs = A_UXN | A_CONT;
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_ARM64, .va_bits = c->va_bits,
	                               .page_shift = c->granule, .levels = l.depths, .lpa2 = c->lpa2 };

	set_context("%s contiguous level %d (%llu entries)", c->name, level, (unsigned long long)n);
	reset_memory();
	hw.root = new_table(c->granule);
	const paddr_t table = table_of(&l, hw.root, va, depth);
	const uint64_t first = (va >> shift) & ((1ull << l.bits[depth]) - 1);
	for (int variant = 0; variant <= 8; variant++) {
		for (uint64_t j = 0; j < n; j++)
			wr(table + (first + j) * 8, arm_leaf(pa + j * size, level, attrs));
		const uint64_t k = n - 1 - (uint64_t)variant % 3;   /* the entry spoilt */
		const paddr_t spoilt = table + (first + k) * 8;
		switch (variant) {
		case 0: break;                                       /* valid */
		case 1: wr(spoilt, rd(spoilt) & ~A_CONT); break;
		case 2: wr(spoilt, rd(spoilt) | A_AP_RO); break;     /* attributes differ */
		case 3: wr(spoilt, arm_leaf(pa + (k + 1) * size, level, attrs)); break;
		case 4: wr(spoilt, 0); break;
		case 5: for (uint64_t j = 0; j < n; j++)             /* group OA misaligned */
				wr(table + (first + j) * 8, arm_leaf(pa + (j + 1) * size, level, attrs));
			break;
		case 6: wr(spoilt, rd(spoilt) & ~A_AF); break;       /* AF may differ */
		case 7: for (uint64_t j = 0; j < n; j++)             /* DBM: dirty state may differ */
				wr(table + (first + j) * 8, arm_leaf(pa + j * size, level, attrs | A_DBM));
			wr(spoilt, rd(spoilt) | A_AP_RO);
			break;
		case 8: wr(spoilt, rd(spoilt) | A_SW); break;        /* software bits are ignored */
		}
		if (variant == 0 || variant >= 6) {
			EXPECT_PA(&hw, va + 0x123, R, pa + 0x123);
			EXPECT_PA(&hw, va + 5 * size + 0x40, R, pa + 5 * size + 0x40);
			EXPECT_PA(&hw, va + n * size - 1, R, pa + n * size - 1);
		} else {
			EXPECT_FAULT(&hw, va + 0x123, R);
		}
	}
	for (uint64_t j = 0; j < n; j++)
		wr(table + (first + j) * 8, 0);
}

/* ---- x86-64 --------------------------------------------------------- */

/* Intel SDM vol. 3, 4.5, tables 4-14 to 4-20. */
#define X_P  (1ull << 0)
#define X_RW (1ull << 1)
#define X_US (1ull << 2)
#define X_PS (1ull << 7)
#define X_G  (1ull << 8)
#define X_XD (1ull << 63)

static uint64_t x86_table_desc(paddr_t next, unsigned depth) { return next | X_P | X_RW | X_US; }
static paddr_t x86_table_addr(uint64_t d) { return ref_bits(d, 51, 12); }
static uint64_t x86_leaf(paddr_t pa, unsigned level, uint64_t bits)
{
	return pa | X_P | bits | (level ? X_PS : 0);
}

static struct layout x86_layout(unsigned levels)
{
	struct layout l = { .depths = levels, .table_shift = 12,
	                    .table_desc = x86_table_desc, .table_addr = x86_table_addr };
	for (unsigned d = 0; d < levels; d++) {
		l.shift[d] = 12 + 9 * (levels - 1 - d);
		l.bits[d] = 9;
	}
	return l;
}

static void test_x86_mode(unsigned va_bits)
{
	const unsigned levels = va_bits == 57 ? 5 : 4;
	const struct layout l = x86_layout(levels);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_X86_64, .va_bits = va_bits,
	                               .page_shift = 12, .levels = levels };

	reset_memory();
	for (unsigned level = 0; level <= 2; level++) {
		const unsigned shift = 12 + 9 * level, depth = levels - 1 - level;
		const vaddr_t uva = 3ull << shift, kva = -(2ull << shift);
		const paddr_t upa = 5ull << shift, kpa = 6ull << shift;
		set_context("x86-64 %u-level, leaf level %u", levels, level);
		hw.root = new_table(12);
		wr(slot_at(&l, hw.root, uva, depth), x86_leaf(upa, level, X_RW | X_US));
		wr(slot_at(&l, hw.root, kva, depth), x86_leaf(kpa, level, X_RW | X_G));
		EXPECT_SPAN(&hw, uva, upa, shift, U | R);
		EXPECT_SPAN(&hw, uva, upa, shift, U | W);
		EXPECT_SPAN(&hw, uva, upa, shift, U | X);
		EXPECT_SPAN(&hw, kva, kpa, shift, R);
		EXPECT_SPAN(&hw, kva, kpa, shift, W);
		EXPECT_SPAN(&hw, kva, kpa, shift, X);
		EXPECT_FAULT(&hw, uva + (1ull << shift), U | R);
		if (level > 0) {
			/* Bit 12 is PAT; bits shift-1:13 are reserved. */
			wr(slot_at(&l, hw.root, uva, depth), x86_leaf(upa, level, X_US) | 1ull << 12);
			EXPECT_PA(&hw, uva + 0x1234, U | R, upa + 0x1234);
			wr(slot_at(&l, hw.root, uva, depth), x86_leaf(upa, level, X_US) | 1ull << 13);
			EXPECT_FAULT(&hw, uva, U | R);
			wr(slot_at(&l, hw.root, uva, depth), x86_leaf(upa, level, X_US) | 1ull << (shift - 1));
			EXPECT_FAULT(&hw, uva, U | R);
		}
	}

	set_context("x86-64 %u-level PS in PML4E/PML5E", levels);
	hw.root = new_table(12);
	for (unsigned depth = 0; depth + 3 < levels; depth++) {
		const paddr_t s = slot_at(&l, hw.root, 0x1000, depth);
		wr(slot_at(&l, hw.root, 0x1000, levels - 1), x86_leaf(0x5000, 0, X_US));
		EXPECT_PA(&hw, 0x1000, U | R, 0x5000);
		wr(s, rd(s) | X_PS);
		EXPECT_FAULT(&hw, 0x1000, U | R);
		wr(s, rd(s) & ~X_PS);
	}

	set_context("x86-64 %u-level canonical", levels);
	wr(slot_at(&l, hw.root, 0, levels - 1), x86_leaf(0x7000, 0, X_US));
	EXPECT_PA(&hw, 0x42, U | R, 0x7042);
	EXPECT_FAULT(&hw, 0x42 | 1ull << (va_bits - 1), U | R);
	EXPECT_FAULT(&hw, 0x42 | 1ull << 63, U | R);
	if (va_bits == 57) {   /* bit 47 is an ordinary address bit with 5 levels */
		wr(slot_at(&l, hw.root, 1ull << 47, levels - 1), x86_leaf(0x8000, 0, X_US));
		EXPECT_PA(&hw, 1ull << 47, U | R, 0x8000);
	}
}

static void test_x86_permissions(void)
{
	const struct layout l = x86_layout(4);
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_X86_64, .va_bits = 48, .page_shift = 12, .levels = 4 };
	const vaddr_t va = 0x40201000;
	const paddr_t pa = 0x12345000;

	reset_memory();
	hw.root = new_table(12);
	const paddr_t pte = slot_at(&l, hw.root, va, 3), pde = slot_at(&l, hw.root, va, 2);
	const paddr_t pml4e = slot_at(&l, hw.root, va, 0);
	const uint64_t pde_ok = rd(pde), pml4e_ok = rd(pml4e);

	set_context("x86-64 supervisor page");
	wr(pte, x86_leaf(pa, 0, 0));                  /* S, read-only, executable */
	EXPECT_PA(&hw, va, R, pa);
	EXPECT_PA(&hw, va, X, pa);
	EXPECT_FAULT(&hw, va, W);                     /* CR0.WP = 1 */
	EXPECT_FAULT(&hw, va, U | R);
	EXPECT_FAULT(&hw, va, U | X);
	wr(pte, x86_leaf(pa, 0, X_RW | X_XD));
	EXPECT_PA(&hw, va, W, pa);
	EXPECT_FAULT(&hw, va, X);                     /* NXE = 1 */

	set_context("x86-64 user page");
	wr(pte, x86_leaf(pa, 0, X_US));
	EXPECT_PA(&hw, va, U | R, pa);
	EXPECT_PA(&hw, va, U | X, pa);
	EXPECT_FAULT(&hw, va, U | W);
	EXPECT_FAULT(&hw, va, R);                     /* SMAP */
	EXPECT_FAULT(&hw, va, X);                     /* SMEP */
	wr(pte, x86_leaf(pa, 0, X_US | X_RW));
	EXPECT_PA(&hw, va, U | W, pa);
	EXPECT_FAULT(&hw, va, W);                     /* SMAP */

	/* 4.6: U/S, R/W and XD combine across every level. */
	set_context("x86-64 hierarchical U/S");
	wr(pml4e, pml4e_ok & ~X_US);
	EXPECT_FAULT(&hw, va, U | R);
	EXPECT_PA(&hw, va, R, pa);                    /* a supervisor address now */
	EXPECT_PA(&hw, va, W, pa);
	wr(pml4e, pml4e_ok);
	set_context("x86-64 hierarchical R/W");
	wr(pde, pde_ok & ~X_RW);
	EXPECT_FAULT(&hw, va, U | W);
	EXPECT_PA(&hw, va, U | R, pa);
	wr(pde, pde_ok);
	set_context("x86-64 hierarchical XD");
	wr(pde, pde_ok | X_XD);
	EXPECT_FAULT(&hw, va, U | X);
	EXPECT_PA(&hw, va, U | R, pa);
	wr(pte, x86_leaf(pa, 0, 0));
	EXPECT_FAULT(&hw, va, X);
	wr(pde, pde_ok);
	EXPECT_PA(&hw, va, X, pa);
	set_context("x86-64 not present");
	wr(pde, pde_ok & ~X_P);
	EXPECT_FAULT(&hw, va, R);
	wr(pde, pde_ok);
	wr(pte, x86_leaf(pa, 0, 0) & ~X_P);
	EXPECT_FAULT(&hw, va, R);
	/* Accessed/dirty clear never fault; the walker writes nothing. */
	wr(pte, x86_leaf(pa, 0, X_RW));
	EXPECT_PA(&hw, va, W, pa);
	CHECK(rd(pte) == x86_leaf(pa, 0, X_RW), "walker changed the PTE");
}

/* ---- radix6 --------------------------------------------------------- */

#define R6_V    (1ull << 0)
#define R6_LEAF (1ull << 1)
#define R6_R    (1ull << 5)
#define R6_W    (1ull << 6)
#define R6_X    (1ull << 7)
#define R6_U    (1ull << 8)
#define R6_G    (1ull << 9)
#define R6_SW   (1ull << 58)

static uint64_t r6_table_desc(paddr_t next, unsigned depth) { return next | R6_V | (uint64_t)(5 - depth) << 2; }
static paddr_t r6_table_addr(uint64_t d) { return ref_bits(d, 55, 12); }
static uint64_t r6_leaf(paddr_t pa, unsigned level, uint64_t bits)
{
	return pa | R6_V | R6_LEAF | (uint64_t)level << 2 | bits;
}

static void test_radix6(void)
{
	struct layout l = { .depths = 6, .table_shift = 12,
	                    .table_desc = r6_table_desc, .table_addr = r6_table_addr };
	for (unsigned d = 0; d < 6; d++) {
		l.shift[d] = 12 + 8 * (5 - d);
		l.bits[d] = 8;
	}
	struct mmu_host_hwstate hw = { .arch = MMU_HOST_RADIX6, .va_bits = 60, .page_shift = 12, .levels = 6 };

	reset_memory();
	for (unsigned level = 0; level <= 5; level++) {
		const unsigned shift = 12 + 8 * level, depth = 5 - level;
		const vaddr_t uva = 3ull << shift, kva = -(2ull << shift);
		const paddr_t upa = 5ull << shift, kpa = 6ull << shift;
		set_context("radix6 leaf level %u", level);
		hw.root = new_table(12);
		wr(slot_at(&l, hw.root, uva, depth), r6_leaf(upa & ref_bits(~0ull, 55, 12), level, R6_R | R6_W | R6_X | R6_U));
		wr(slot_at(&l, hw.root, kva, depth), r6_leaf(kpa & ref_bits(~0ull, 55, 12), level, R6_R | R6_W | R6_X | R6_G));
		if (level == 5) {    /* no leaves in the root */
			EXPECT_FAULT(&hw, uva, U | R);
			EXPECT_FAULT(&hw, kva, R);
			continue;
		}
		EXPECT_SPAN(&hw, uva, upa, shift, U | R);
		EXPECT_SPAN(&hw, uva, upa, shift, U | X);
		EXPECT_SPAN(&hw, kva, kpa, shift, W);
		EXPECT_SPAN(&hw, kva, kpa, shift, X);
		EXPECT_FAULT(&hw, uva + (1ull << shift), U | R);
		/* Tagged for another level: misprogramming. */
		wr(slot_at(&l, hw.root, uva, depth), r6_leaf(upa, level, R6_R | R6_U) ^ 1ull << 2);
		EXPECT_FAULT(&hw, uva, U | R);
		if (level > 0) {
			wr(slot_at(&l, hw.root, uva, depth), r6_leaf(upa + 0x1000, level, R6_R | R6_U));
			EXPECT_FAULT(&hw, uva, U | R);
		}
		wr(slot_at(&l, hw.root, uva, depth), r6_leaf(upa, level, R6_R | R6_U));
		EXPECT_PA(&hw, uva, U | R, upa);
	}

	set_context("radix6 encodings");
	const vaddr_t va = 0x123456789000ull;
	const paddr_t pa = 0xabcdef000ull;
	hw.root = new_table(12);
	const paddr_t leaf = slot_at(&l, hw.root, va, 5);
	wr(leaf, r6_leaf(pa, 0, R6_R | R6_SW | 3ull << 56));     /* software bit, memtype */
	EXPECT_PA(&hw, va, R, pa);
	for (unsigned bit = 59; bit <= 63; bit++) {
		wr(leaf, r6_leaf(pa, 0, R6_R) | 1ull << bit);
		EXPECT_FAULT(&hw, va, R);
	}
	wr(leaf, r6_leaf(pa, 0, R6_W));                           /* W without R */
	EXPECT_FAULT(&hw, va, W);
	wr(leaf, r6_table_desc(hw.root, 5) & ~(7ull << 2));       /* a table at level 0 */
	EXPECT_FAULT(&hw, va, R);
	const paddr_t mid = slot_at(&l, hw.root, va, 3);
	const uint64_t mid_ok = rd(mid);
	wr(mid, mid_ok ^ 1ull << 2);                              /* table tagged 3, found at 2 */
	EXPECT_FAULT(&hw, va, R);
	wr(mid, mid_ok & ~R6_V);
	EXPECT_FAULT(&hw, va, R);
	wr(mid, mid_ok);

	set_context("radix6 permissions");
	static const struct { uint64_t bits; unsigned allowed[6]; } cases[] = {
		{ R6_R,                  { R } },
		{ R6_R | R6_W,           { R, W } },
		{ R6_X,                  { X } },
		{ R6_R | R6_U,           { U | R } },
		{ R6_R | R6_W | R6_X | R6_U, { U | R, U | W, U | X } },
	};
	static const unsigned accesses[] = { R, W, X, U | R, U | W, U | X };
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		wr(leaf, r6_leaf(pa, 0, cases[c].bits));
		for (unsigned a = 0; a < 6; a++) {
			bool allowed = false;
			for (unsigned k = 0; k < 6 && cases[c].allowed[k]; k++)
				allowed |= cases[c].allowed[k] == accesses[a];
			if (allowed)
				EXPECT_PA(&hw, va + 0x7, accesses[a], pa + 0x7);
			else
				EXPECT_FAULT(&hw, va + 0x7, accesses[a]);
		}
	}

	set_context("radix6 canonical");
	wr(leaf, r6_leaf(pa, 0, R6_R));
	EXPECT_FAULT(&hw, va | 1ull << 60, R);
	EXPECT_FAULT(&hw, va | 1ull << 59, R);
	EXPECT_FAULT(&hw, va | 1ull << 63, R);
	EXPECT_PA(&hw, va, R, pa);
	wr(slot_at(&l, hw.root, va, 0) + 8, rd(slot_at(&l, hw.root, va, 0)));
	hw.root += 8;                   /* the root is a table page */
	EXPECT_FAULT(&hw, va, R);
}

/* ---- the dispatcher ------------------------------------------------- */

/* host_env.c's mmu_host_init asks the front end to forget its mode; there
 * is no front end here, so nothing to forget. */
int mmu_host_forget(void)
{
	return 0;
}

static struct mmu_host_hwstate stub_hw;

/* The engine's, in the library; the tests hand the dispatcher registers. */
int mmu_host_hwstate(mmu_translation_set_t *t, struct mmu_host_hwstate *out)
{
	*out = stub_hw;
	return 0;
}

static void test_dispatch(void)
{
	const struct layout l = x86_layout(4);
	mmu_translation_set_t t;
	paddr_t pa = 0;

	set_context("mmu_host_hw_translate");
	reset_memory();
	memset(&t, 0, sizeof(t));
	stub_hw = (struct mmu_host_hwstate){ .arch = MMU_HOST_X86_64, .va_bits = 48,
	                                     .page_shift = 12, .levels = 4, .root = new_table(12) };
	wr(slot_at(&l, stub_hw.root, 0x5000, 3), x86_leaf(0x9000, 0, X_US));
	CHECK(mmu_host_hw_translate(&t, 0x5123, U | R, &pa) == 0 && pa == 0x9123,
	      "x86 through the dispatcher: pa %#llx", (unsigned long long)pa);
	CHECK(mmu_host_hw_translate(&t, 0x6000, U | R, &pa) == -EFAULT, "unmapped va translated");
	stub_hw.arch = MMU_HOST_RISCV;   /* the same bytes read as Sv48 PTEs: not valid leaves */
	CHECK(mmu_host_hw_translate(&t, 0x5123, U | R, &pa) == -EFAULT, "x86 tables walked as RISC-V");
	stub_hw.arch = (enum mmu_host_arch)42;
	CHECK(mmu_host_hw_translate(&t, 0x5123, U | R, &pa) == -EFAULT, "unknown arch translated");
}

/*
 * The software TLB (host/tlb.c) drops what each flush asks for and no
 * more: two sets (ASIDs 1 and 2) on the same tables, a user page each has
 * cached and a kernel-half (global) page both have, then the tables change
 * under them and only the right flushes make mmu_host_tlb_check clean.
 */
static void test_tlb_model(void)
{
	const struct layout l = x86_layout(4);
	const vaddr_t uva = 0x5000, kva = 0xffff800000005000ull;
	mmu_translation_set_t a, b;
	paddr_t pa = 0;

	set_context("host software TLB");
	reset_memory();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.asid = 1, b.asid = 2;
	stub_hw = (struct mmu_host_hwstate){ .arch = MMU_HOST_X86_64, .va_bits = 48,
	                                     .page_shift = 12, .levels = 4, .root = new_table(12) };
	const paddr_t upte = slot_at(&l, stub_hw.root, uva, 3), kpte = slot_at(&l, stub_hw.root, kva, 3);
	wr(upte, x86_leaf(0x9000, 0, X_US));
	wr(kpte, x86_leaf(0xa000, 0, X_G));
	CHECK(mmu_host_hw_translate(&a, uva, U | R, &pa) == 0 && mmu_host_hw_translate(&b, uva, U | R, &pa) == 0 &&
	      mmu_host_hw_translate(&a, kva, R, &pa) == 0 && mmu_host_hw_translate(&b, kva, R, &pa) == 0,
	      "the walks that fill the TLB");
	CHECK(mmu_host_tlb_check(&a) == 0 && mmu_host_tlb_check(&b) == 0, "stale entries before any change");

	/* The kernel page moves: a non-global flush, even of its page, keeps
	 * the global entry (RISC-V 4.2.1, x86 INVPCID type 0). */
	wr(kpte, x86_leaf(0xb000, 0, X_G));
	CHECK(mmu_host_hw_translate(&a, kva, R, &pa) == 0 && pa == 0xb000, "the walk sees the new pa");
	CHECK(mmu_host_tlb_check(&a) == 1 && mmu_host_tlb_check(&b) == 1,
	      "a changed global page is stale through both ASIDs");
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ kva, kva + 0x1000, 1, false, false, false });
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ 0, 0, 0, false, false, false });
	/* Counted twice: kept stale by the flush of its own range, and stale now. */
	CHECK(mmu_host_tlb_check(&b) == 2, "a non-global flush of a changed global page: dropped, or not reported");
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ kva + 0x1000, kva + 0x3000, 2, true, false, false });
	CHECK(mmu_host_tlb_check(&b) == 1, "a global flush of other pages dropped the entry");
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ kva, kva + 0x1000, 1, true, false, false });
	CHECK(mmu_host_tlb_check(&a) == 0 && mmu_host_tlb_check(&b) == 0,
	      "a global flush of the page left it stale");

	/* The user page moves: each ASID's entry goes with its own flush. */
	CHECK(mmu_host_hw_translate(&a, uva, U | R, &pa) == 0 && mmu_host_hw_translate(&b, uva, U | R, &pa) == 0,
	      "refill the user page");
	wr(upte, x86_leaf(0xc000, 0, X_US));
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ uva + 0x1000, uva + 0x2000, 1, false, false, false });
	CHECK(mmu_host_tlb_check(&a) == 1 && mmu_host_tlb_check(&b) == 1, "a flush of the next page dropped it");
	mmu_env_tlb_flush(&a, &(struct mmu_flush){ uva, uva + 0x1000, 1, false, false, false });
	CHECK(mmu_host_tlb_check(&a) == 0 && mmu_host_tlb_check(&b) == 1,
	      "a flush of ASID 1 dropped ASID 2's entry, or not its own");
	mmu_env_tlb_flush(&b, &(struct mmu_flush){ 0, 0, 0, false, false, false });
	CHECK(mmu_host_tlb_check(&b) == 0, "a whole-ASID flush left an entry");

	/* A stale entry stays stale: walking again does not refresh it. */
	CHECK(mmu_host_hw_translate(&a, uva, U | R, &pa) == 0, "refill");
	wr(upte, x86_leaf(0xd000, 0, X_US));
	CHECK(mmu_host_hw_translate(&a, uva, U | R, &pa) == 0 && pa == 0xd000 && mmu_host_tlb_check(&a) == 1,
	      "a second walk replaced the stale entry");
	reset_memory();
	CHECK(mmu_host_tlb_check(&a) == 0, "mmu_host_init kept cached entries");
}

/*
 * The paging-structure caches of the host TLB: a walk, allowed or not,
 * caches the table descriptors it went through (Intel SDM vol. 3A
 * 4.10.3.1: even when the walk then faults), and freeing a table one of
 * them leads to before a flush dropped it is reported by the next check.
 */
static void test_walk_caches(void)
{
	const struct layout l = x86_layout(4);
	const vaddr_t uva = 0x5000, hole = 0x7000, far = 0x40000000;   /* far: another PDPT slot */
	mmu_translation_set_t a;
	paddr_t pa = 0;

	set_context("host walk caches");
	reset_memory();
	memset(&a, 0, sizeof(a));
	a.asid = 1;
	stub_hw = (struct mmu_host_hwstate){ .arch = MMU_HOST_X86_64, .va_bits = 48,
	                                     .page_shift = 12, .levels = 4, .root = new_table(12) };
	const paddr_t upte = slot_at(&l, stub_hw.root, uva, 3);
	const paddr_t pt = upte & ~0xfffull, pde = slot_at(&l, stub_hw.root, uva, 2);
	wr(upte, x86_leaf(0x9000, 0, X_US));

	/* A faulting walk through the page table, then the table unlinked
	 * and freed with no flush at all. */
	CHECK(mmu_host_hw_translate(&a, hole, U | R, &pa) == -EFAULT, "the hole translated");
	CHECK(mmu_host_tlb_check(&a) == 0, "a faulting walk cached a translation");
	wr(pde, 0);
	mmu_env_free(pt, 12);
	CHECK(mmu_host_tlb_check(&a) == 1, "a table freed under a cached walk (of a faulting access): not reported");
	CHECK(mmu_host_tlb_check(&a) == 0, "reported twice");

	/* A fresh empty table under the PDE, walked through by set a, then
	 * unlinked, one flush by set `by`, and freed: a flush of a page
	 * outside the table's 2 MiB span keeps the PDE-cache entry, one
	 * inside drops it (Arm TLBI VAE1; x86 INVLPG drops more), and so does
	 * a whole-ASID flush of a's ASID, not of another. */
	mmu_translation_set_t b;
	memset(&b, 0, sizeof(b));
	b.asid = 2;
	const struct {
		mmu_translation_set_t *by;
		struct mmu_flush f;
		int reported;
		const char *what;
	} flushes[] = {
		{ &a, { far, far + 0x1000, 1, false, false, false }, 1, "a flush outside the table's span dropped the walk entry" },
		{ &a, { uva, uva + 0x1000, 1, false, false, false }, 0, "a flush of a page in the table's span left the walk entry" },
		{ &a, { 0, 0, 0, false, false, false }, 0, "a whole-ASID flush left a walk entry" },
		{ &b, { 0, 0, 0, false, false, false }, 1, "a flush of ASID 2 dropped ASID 1's walk entry" },
	};
	for (size_t i = 0; i < sizeof(flushes) / sizeof(flushes[0]); i++) {
		const paddr_t fresh = new_table(12);
		wr(pde, l.table_desc(fresh, 2));
		CHECK(mmu_host_hw_translate(&a, hole, U | R, &pa) == -EFAULT, "the walk through the empty table");
		wr(pde, 0);
		mmu_env_tlb_flush(flushes[i].by, &flushes[i].f);
		mmu_env_free(fresh, 12);
		CHECK(mmu_host_tlb_check(&a) == flushes[i].reported, "%s", flushes[i].what);
	}
	reset_memory();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_env();
	test_riscv_mode(39);
	test_riscv_mode(48);
	test_riscv_mode(57);
	test_riscv_permissions();
	for (unsigned c = 0; c < sizeof(arm_configs) / sizeof(arm_configs[0]); c++) {
		test_arm_config(&arm_configs[c]);
		for (int level = arm_configs[c].start_level; level <= 3; level++)
			if (arm_configs[c].contig_lg2[level + 1])
				test_arm_contig(&arm_configs[c], level);
	}
	test_arm_permissions();
	test_x86_mode(48);
	test_x86_mode(57);
	test_x86_permissions();
	test_radix6();
	test_dispatch();
	test_tlb_model();
	test_walk_caches();
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
