/*
 * The conformance cases (conformance.c) in the kernel, on the live MMU:
 * mmu_conformance_tests(), run by kmain() after mmu_boot().
 *
 * What differs from the host (tests/mmu/harness.h):
 *   - one mode, the one the kernel runs: it cannot select another while
 *     its own set is alive, so every case runs next to the kernel's live
 *     address space, whose global entries are in every set the cases make;
 *   - the hardware is the CPU. A case's physical addresses are real frames
 *     (frames_alloc, zeroed) for the orders RAM allows, and a check at a
 *     byte activates the case's set, tags the frame through the direct map
 *     and reads the tag back through the case's mapping (arch_probe_read),
 *     then writes through it (a new tag where the entry allows writes, the
 *     same value where it must fault). An access the entry must refuse
 *     (unmapped, execute-only) must fault at that address; a user page
 *     must fault while SUM=0/PAN/SMAP bar the supervisor, then with the
 *     bar lifted it is checked as above (a CPU without PAN or SMAP, such
 *     as cortex-a57 or qemu64, has no bar: as above at once). Orders
 *     larger than the frames RAM allows get
 *     made-up physical addresses that are never touched: only the
 *     accesses that must fault are tried there, the rest is checked
 *     through mmu_find, and the result line says how many. Instruction
 *     fetch is tests/kernel/mmu_hwtest.c's (it needs instruction-cache care);
 *   - global entries go to a window of the kernel half the kernel does not
 *     use (hx_kernel_window), which each case must leave empty;
 *   - table pages are counted by the frame allocator, less the frames
 *     backing the cases; snapshots are a digest of what mmu_scan reports
 *     (the raw tables are not visible outside mmu/ in the kernel);
 *   - no allocation-failure injection: case alloc_fail is host only.
 * After each case the kernel's set is active again, every frame is back
 * (frames_get_stats as before), the kernel's own set is unchanged and the
 * window empty: anything else fails the case.
 */
#include <errno.h>
#include <string.h>

#include "arch.h"
#include "kernel.h"
#include "harness.h"

/* Frames backing one case: each (order, k) it asked for. */
#define MAX_BLOCKS   96
/* A case may take blocks up to this fraction of the free RAM each (with
 * QEMU's 256 MiB: 32 MiB, the contiguous 2M groups of ARM64's 4K and 16K
 * granules), as long as a quarter of what was free stays free for table
 * pages. */
#define BACKING_FRACTION 8
#define RESERVE_FRACTION 4
/* Failure lines printed per case; the count is always exact. */
#define MAX_FAIL_LINES 12

static struct {
	mmu_translation_set_t *kset;        /* the kernel's own */
	mmu_translation_set_t *active;      /* what the CPU translates with */
	struct block { unsigned order, k, shift; paddr_t pa; bool backed; } blocks[MAX_BLOCKS];
	unsigned nblocks, nbacked;
	uint64_t back_max;                  /* largest block a case may take */
	uint64_t reserve;                   /* free bytes the blocks must leave */
	vaddr_t user_top;                   /* the mode's user half: [0, user_top) */
	vaddr_t kwin;                       /* the case's window of the kernel half */
	uint64_t kspan;
	uint64_t tag;                       /* changes with every tag written */
	unsigned long reads, writes, faults, unbacked;
	unsigned fail_lines;
	bool user_barred;                   /* the supervisor cannot touch user pages */
} K;

/* ---- the CPU ------------------------------------------------------------ */

static void run_on(mmu_translation_set_t *t)
{
	if (K.active != t) {
		mmu_activate(t);
		K.active = t;
	}
}

void hx_set_gone(mmu_translation_set_t *t)
{
	if (K.active == t)
		run_on(K.kset);
}

/* A CPU's TLB cannot be read back; the kernel's own cases fault on what
 * a flush should have dropped. */
int hx_tlb_stale(mmu_translation_set_t *t)
{
	return 0;
}

/* ---- memory ------------------------------------------------------------- */

size_t hx_tables_in_use(void)
{
	struct frames_stats st;
	size_t blocks = 0;

	frames_get_stats(&st);
	for (unsigned s = 0; s <= FRAME_MAX_SHIFT - FRAME_MIN_SHIFT; s++)
		blocks += (size_t)st.in_use[s];
	return blocks - K.nbacked;
}

paddr_t hx_pa(const struct hx_mode *m, unsigned order, unsigned k)
{
	unsigned shift = m->geo.page_shift + order;
	uint64_t size = shift < 64 ? (uint64_t)1 << shift : 0;
	struct block *b;

	for (unsigned i = 0; i < K.nblocks; i++)
		if (K.blocks[i].order == order && K.blocks[i].k == k)
			return K.blocks[i].pa;
	if (K.nblocks == MAX_BLOCKS)
		return hx_made_up_pa(size, k);  /* still deterministic: unbacked */
	b = &K.blocks[K.nblocks++];
	*b = (struct block){ .order = order, .k = k, .shift = shift };
	if (shift <= FRAME_MAX_SHIFT && size <= K.back_max) {
		struct frames_stats st;
		frames_get_stats(&st);
		if (st.free_bytes >= size + K.reserve)
			b->pa = frames_alloc(shift);
	}
	b->backed = b->pa != 0;
	if (b->backed)
		K.nbacked++;
	else
		b->pa = hx_made_up_pa(size, k);
	return b->pa;
}

/* The 8 bytes at pa are in a frame of the case's. */
static bool backed(paddr_t pa)
{
	for (unsigned i = 0; i < K.nblocks; i++) {
		const struct block *b = &K.blocks[i];
		if (b->backed && pa >= b->pa && pa + 8 <= b->pa + ((uint64_t)1 << b->shift))
			return true;
	}
	return false;
}

static void free_blocks(void)
{
	for (unsigned i = 0; i < K.nblocks; i++)
		if (K.blocks[i].backed)
			frames_free(K.blocks[i].pa, K.blocks[i].shift);
	K.nblocks = K.nbacked = 0;
}

/* ---- the kernel half ---------------------------------------------------- */

/* What the kernel uses in its half: the extents of its set's entries
 * (merged when adjacent), the direct map of RAM and the image up to the
 * top, whatever is mapped there now. */
#define MAX_USED 48
struct used {
	unsigned n;
	vaddr_t lo[MAX_USED], last[MAX_USED];     /* inclusive ends: the top is 2^64 - 1 */
};

static void use(struct used *u, vaddr_t lo, vaddr_t last)
{
	if (u->n && lo == u->last[u->n - 1] + 1) {
		u->last[u->n - 1] = last;
	} else if (u->n < MAX_USED) {
		u->lo[u->n] = lo;
		u->last[u->n++] = last;
	} else {                 /* out of slots: one extent over both */
		u->last[u->n - 1] = last > u->last[u->n - 1] ? last : u->last[u->n - 1];
	}
}

static mmu_entry_t use_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	use(priv, va, va + (((uint64_t)1 << (mmu_geometry()->page_shift + mmu_entry_order(e))) - 1));
	return e;
}

static bool overlaps(const struct used *u, vaddr_t lo, vaddr_t last)
{
	for (unsigned i = 0; i < u->n; i++)
		if (lo <= u->last[i] && u->lo[i] <= last)
			return true;
	return false;
}

vaddr_t hx_kernel_window(const struct hx_mode *m, uint64_t align, uint64_t span)
{
	static struct used u;
	const struct boot_info *bi = current_boot_info();
	uint64_t ram_end = 0;
	vaddr_t best = 0;

	memset(&u, 0, sizeof(u));
	if (mmu_scan(K.kset, m->kernel_base, ~0ull, use_entry, &u))
		return 0;
	for (unsigned i = 0; bi && i < bi->nram; i++)
		if (bi->ram[i].base + bi->ram[i].size > ram_end)
			ram_end = bi->ram[i].base + bi->ram[i].size;
	if (ram_end)
		use(&u, arch_direct_map_va(), arch_direct_map_va() + ram_end - 1);
	use(&u, arch_kernel_image_va(), ~0ull);
	/* The lowest aligned start at the kernel half's base or just above
	 * something used, whose span is free. */
	for (unsigned i = 0; i <= u.n; i++) {
		vaddr_t from = i < u.n ? u.last[i] + 1 : m->kernel_base;
		vaddr_t lo = (from + align - 1) & ~(align - 1);
		if (!from || lo < from || lo < m->kernel_base || lo + span - 1 < lo)
			continue;
		if (!overlaps(&u, lo, lo + span - 1) && (!best || lo < best))
			best = lo;
	}
	K.kwin = best;
	K.kspan = best ? span : 0;
	return best;
}

/* ---- the hardware's view ------------------------------------------------- */

static uint64_t next_tag(paddr_t pa)
{
	return 0x4f52494741000000ull ^ (++K.tag << 32) ^ pa;
}

static const char *access_name(unsigned access)
{
	return access == MMU_WRITE ? "write" : "read";
}

/* An access that must fault: did, at va, reported as that access. */
static bool expect_fault(unsigned access, vaddr_t va, uint64_t val, const char *why_fault,
                         char *why, size_t len)
{
	struct trap_info ti = { 0 };
	int rc = trap_probe(access, va, &val, &ti);

	K.faults++;
	if (rc == -EFAULT && ti.has_fault_addr && ti.fault_addr == va && ti.access == access)
		return true;
	if (rc == -EFAULT)
		ksnprintf(why, len, "%s at %#" PRIx64 " (%s) faulted as %s access %u at %#" PRIx64
		         ", expected a %s fault at %#" PRIx64, access_name(access), va, why_fault,
		         ti.cause ? ti.cause : "?", ti.access, ti.fault_addr, access_name(access), va);
	else
		ksnprintf(why, len, "%s at %#" PRIx64 " (%s): expected a fault, got rc %d value %#" PRIx64,
		         access_name(access), va, why_fault, rc, val);
	return false;
}

/* What the supervisor may do at v8 (8 aligned bytes, pa p8) in a page it
 * sees as sprot, through the active set: read the frame's tag, write a new
 * one (or fault with the same value where the page is read-only), or
 * fault. how: the page, for messages. */
static bool check_access(vaddr_t v8, paddr_t p8, unsigned sprot, unsigned prot, const char *how,
                         char *why, size_t len)
{
	volatile uint64_t *frame;
	uint64_t tag, got = 0;
	struct trap_info ti = { 0 };
	int rc;

	if (!access_allowed(sprot, MMU_READ))
		return expect_fault(MMU_READ, v8, 0, how, why, len);
	if (!backed(p8)) {
		K.unbacked++;            /* nothing may touch a made-up frame */
		return true;
	}
	frame = phys_to_virt(p8);
	tag = next_tag(p8);
	*frame = tag;
	rc = trap_probe(MMU_READ, v8, &got, &ti);
	K.reads++;
	if (rc || got != tag) {
		ksnprintf(why, len, "read at %#" PRIx64 " (%s, prot %#x): expected %#" PRIx64 " from pa %#" PRIx64
		          ", got rc %d value %#" PRIx64 "%s%s", v8, how, prot, tag, p8, rc, got,
		          rc ? ", fault: " : "", rc ? (ti.cause ? ti.cause : "?") : "");
		return false;
	}
	if (!access_allowed(sprot, MMU_WRITE))   /* the same value: harmless if it gets through */
		return expect_fault(MMU_WRITE, v8, tag, how, why, len);
	tag = next_tag(p8);
	rc = trap_probe(MMU_WRITE, v8, &tag, &ti);
	K.writes++;
	if (rc || *frame != tag) {
		ksnprintf(why, len, "write at %#" PRIx64 " (%s, prot %#x): expected %#" PRIx64 " in pa %#" PRIx64
		          ", got rc %d value %#" PRIx64 "%s%s", v8, how, prot, tag, p8, rc, *frame,
		          rc ? ", fault: " : "", rc ? (ti.cause ? ti.cause : "?") : "");
		return false;
	}
	return true;
}

bool hx_hw_check(mmu_translation_set_t *t, vaddr_t va, bool mapped, paddr_t pa,
                 unsigned prot, char *why, size_t len)
{
	vaddr_t v8 = va & ~(vaddr_t)7;          /* the probes move 8 aligned bytes */
	paddr_t p8 = pa - (va - v8);
	bool ok;

	run_on(t);
	if (!mapped)
		return expect_fault(MMU_READ, v8, 0, "unmapped", why, len);
	if (!(prot & MMU_USER))
		return check_access(v8, p8, prot, prot, "a supervisor page", why, len);
	if (!K.user_barred)     /* nothing bars the supervisor: as its own */
		return check_access(v8, p8, prot & ~MMU_USER, prot, "a user page, no PAN/SMAP", why, len);
	/* Barred, then let through: the translation of user pages too. */
	if (!expect_fault(MMU_READ, v8, 0, "a user page", why, len))
		return false;
	arch_user_access(true);
	ok = check_access(v8, p8, prot & ~MMU_USER, prot, "a user page, SUM/PAN/SMAP lifted", why, len);
	arch_user_access(false);
	return ok;
}

bool hx_fail_alloc_after(long n)
{
	return false;
}

/* ---- snapshots: a digest of every entry in the case's part ---------------- */

const char hx_snap_what[] = "the entries mmu_scan reports";

struct digest { uint64_t h; size_t n; };

static void mix(struct digest *d, uint64_t v)
{
	for (int i = 0; i < 8; i++) {        /* FNV-1a, byte by byte */
		d->h ^= (v >> (8 * i)) & 0xff;
		d->h *= 0x100000001b3ull;
	}
}

/* Accessed and dirty are left out: the CPU sets them as the checks run. */
static mmu_entry_t digest_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct digest *d = priv;

	mix(d, va);
	mix(d, mmu_entry_pa(e));
	mix(d, (uint64_t)mmu_entry_order(e) << 32 | mmu_entry_prot(e) << 8 |
	       (uint64_t)mmu_entry_memtype(e) << 4 | mmu_entry_global(e));
	d->n++;
	return e;
}

void hx_snap_take(mmu_translation_set_t *t, struct hx_snap *s)
{
	struct digest d = { .h = 0xcbf29ce484222325ull };
	int rc = mmu_scan(t, 0, K.user_top, digest_entry, &d);

	if (!rc && K.kspan)
		rc = mmu_scan(t, K.kwin, K.kwin + K.kspan, digest_entry, &d);
	mix(&d, (uint64_t)(int64_t)rc);
	memset(s, 0, sizeof(*s));
	s->digest = d.h;
	s->len = d.n;
	s->tables = hx_tables_in_use();
}

bool hx_snap_same(const struct hx_snap *a, const struct hx_snap *b)
{
	return a->len == b->len && a->digest == b->digest;
}

void hx_snap_drop(struct hx_snap *s)
{
}

/* ---- results -------------------------------------------------------------- */

void hx_fail(const char *label, const char *case_name, const char *msg)
{
	if (K.fail_lines++ < MAX_FAIL_LINES)
		kprintf("  mmu-conformance: %s: %s: %s\n", label, case_name, msg);
	else if (K.fail_lines == MAX_FAIL_LINES + 1)
		kprintf("  mmu-conformance: %s: %s: more failures, not shown\n", label, case_name);
}

/* words holds word, as one of its space-separated words. */
static bool has_word(const char *words, const char *word)
{
	size_t n = strlen(word);

	for (const char *w = words; *w; w += strcspn(w, " ")) {
		w += strspn(w, " ");
		if (!strncmp(w, word, n) && (w[n] == ' ' || !w[n]))
			return true;
	}
	return false;
}

/* The mode as the cases see it. */
static void mode_of(struct hx_mode *m)
{
	const struct mmu_geometry *g = mmu_geometry();
	char paging[160];
	unsigned half;
	bool riscv;

	memset(m, 0, sizeof(*m));
	m->name = mmu_current_mode();
	m->geo = *g;
	m->arm64 = !strcmp(arch_name(), "arm64");
	/* A RISC-V CPU without Svnapot or Svpbmt runs the "-nonapot" or
	 * "-nopbmt" configuration of the host suite, an x86 CPU without 1-GByte
	 * pages "-no1g" (arch_describe_paging, not the MMU layer, says which:
	 * the DTB's ISA string, CPUID). */
	arch_describe_paging(paging, sizeof(paging));
	riscv = !strcmp(arch_name(), "riscv64");
	m->memtypes = !riscv || has_word(paging, "+svpbmt");
	ksnprintf(m->label, sizeof(m->label), "%s%s%s%s", m->name,
	          riscv && !has_word(paging, "+svnapot") ? "-nonapot" : "",
	          m->memtypes ? "" : "-nopbmt",
	          !strcmp(arch_name(), "x86_64") && !has_word(paging, "+1g") ? "-no1g" : "");
	/* The halves: ARM64 gives each a full va_bits (TTBR0/TTBR1); the
	 * others split va_bits by sign extension. */
	half = m->arm64 ? g->va_bits : g->va_bits - 1;
	m->user_top = K.user_top = (vaddr_t)1 << half;
	m->kernel_base = 0 - m->user_top;
	mmu_stats(K.kset, &m->empty);
}

static bool same_counts(const struct mmu_stats *a, const struct mmu_stats *b)
{
	return !memcmp(a->entries, b->entries, sizeof(a->entries)) && a->mapped_bytes == b->mapped_bytes &&
	       !memcmp(a->counters, b->counters, sizeof(a->counters)) && a->table_pages == b->table_pages;
}

static mmu_entry_t count_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	++*(unsigned *)priv;
	return e;
}

/* What a case must leave as it found it; a failure line for each that
 * differs. Returns how many. */
static unsigned check_left(const struct hx_mode *m, const char *name, const struct frames_stats *f0,
                           const struct mmu_stats *k0)
{
	static struct frames_stats f1;
	static struct mmu_stats k1;
	unsigned fails = 0, in_window = 0;
	char msg[160];

	frames_get_stats(&f1);
	if (f1.free_bytes != f0->free_bytes || memcmp(f1.in_use, f0->in_use, sizeof(f1.in_use))) {
		ksnprintf(msg, sizeof(msg), "frames: %" PRIu64 " bytes free before the case, %" PRIu64 " after",
		         f0->free_bytes, f1.free_bytes);
		hx_fail(m->label, name, msg);
		fails++;
	}
	mmu_stats(K.kset, &k1);
	if (!same_counts(&k1, k0)) {
		ksnprintf(msg, sizeof(msg), "the kernel's set changed: mapped %#" PRIx64 " bytes in %" PRIu64
		         " table pages before, %#" PRIx64 " in %" PRIu64 " after", k0->mapped_bytes,
		         k0->table_pages, k1.mapped_bytes, k1.table_pages);
		hx_fail(m->label, name, msg);
		fails++;
	}
	if (K.kspan && (mmu_scan(K.kset, K.kwin, K.kwin + K.kspan, count_entry, &in_window) || in_window)) {
		ksnprintf(msg, sizeof(msg), "the kernel window [%#" PRIx64 ", +%#" PRIx64 ") not left empty: %u entries",
		         K.kwin, K.kspan, in_window);
		hx_fail(m->label, name, msg);
		fails++;
	}
	return fails;
}

void mmu_conformance_tests(struct ktest *t)
{
	K.kset = mmu_kernel_set();
	if (!K.kset) {
		kprintf("mmu-conformance: no paging mode: nothing to run\n");
		return;
	}
	K.active = K.kset;     /* mmu_boot() switched to it */
	/* What the CPU can bar (arch_user_guard: its feature registers, not
	 * what the arch turned on), so a CPU that has PAN/SMAP but runs
	 * without it fails the cases. */
	K.user_barred = (arch_user_guard() & (MMU_READ | MMU_WRITE)) == (MMU_READ | MMU_WRITE);
	if (!K.user_barred)
		kprintf("mmu-conformance: this CPU lets the supervisor access user pages (no PAN/SMAP): "
		        "checked as its own\n");
	for (size_t k = 0; k < conformance_ncases(); k++) {
		const char *name = conformance_case_name(k);
		/* Static: the three hold ~1.6 KiB, the cases run deep on a
		 * 16 KiB boot stack. */
		static struct frames_stats f0;
		static struct mmu_stats k0;
		static struct hx_mode m;
		struct conformance_result r;
		char note[120];

		run_on(K.kset);
		frames_get_stats(&f0);
		mmu_stats(K.kset, &k0);
		mode_of(&m);
		K.back_max = f0.free_bytes / BACKING_FRACTION;
		K.reserve = f0.free_bytes / RESERVE_FRACTION;
		K.kwin = K.kspan = 0;
		K.reads = K.writes = K.faults = K.unbacked = 0;
		K.fail_lines = 0;
		r = conformance_run(k, &m, hx_tables_in_use());
		run_on(K.kset);
		free_blocks();
		r.fails += check_left(&m, name, &f0, &k0);
		if (r.skipped && !r.fails) {
			kprintf("mmu-conformance: %s: %s: host only (%s)\n", m.label, name, r.skipped);
			continue;
		}
		ksnprintf(note, sizeof(note), "%lu reads, %lu writes, %lu faults", K.reads, K.writes, K.faults);
		if (K.unbacked)
			ksnprintf(note + strlen(note), sizeof(note) - strlen(note),
			         "; %lu accesses above RAM through mmu_find only", K.unbacked);
		ktest_check(t, !r.fails, "conformance: %s: %s (%s)%s", m.label, name, note,
		            r.fails ? ": see the lines above" : "");
	}
}
