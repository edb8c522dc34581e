/*
 * The MMU checks only the hardware can make (issue 6), run by kmain() on
 * the live MMU once mmu_boot() switched to the kernel's set. Arch-neutral:
 * mmu.h, kernel.h and arch.h only; every address it reads back is checked
 * through the direct map (phys_to_virt), the translation the test does
 * not touch.
 *
 *  1. access: after each commit, reads and writes through a new mapping
 *     reach its frame, and an instruction fetch runs the return copied
 *     into it, at the first, middle and last bytes, for every page size
 *     the mode encodes natively (and two composed ones), in the kernel
 *     half (global, the kernel's set) and in the user half (non-global,
 *     supervisor-only, in a set of the test's own);
 *  2. faults: unmapped, read-only, non-executable and user-only
 *     (MMU_USER: the supervisor must not touch it, SUM=0/PAN/SMAP/SMEP,
 *     as far as arch_user_guard() says the CPU can refuse it) accesses
 *     fault, and the trap handler reports that access at that address;
 *  3. stale TLB: a live mapping read through (so the TLB holds it), then
 *     moved to another frame, protected (rw -> r), made executable or
 *     removed in a committed transaction, must behave as the new one at
 *     once, in both halves and at every size: QEMU keeps a TLB entry until
 *     it is told to drop it;
 *  4. ASIDs: two sets mapping one user-half address to two frames, each
 *     read right after switching to its set, round after round, a
 *     change to one set made while the other is active, and the same
 *     with a set made 2^16 sets later, which shares the first one's
 *     hardware ASID on every arch. (QEMU's TLB is
 *     not tagged: it drops everything when satp, TTBR0's ASID or CR3
 *     changes and ignores the ASID operand of SFENCE.VMA and TLBI VAE1IS,
 *     so under QEMU this catches a switch to the wrong root or a missing
 *     flush, not an invalidation aimed at the wrong ASID or PCID);
 *  5. split and merge of a live huge page the test keeps using (its own
 *     state lives in it): after each commit every word still reads its
 *     pattern (arm64: break-before-make must end with the page mapped).
 *
 * Everything happens in a scratch window of the kernel half that the
 * kernel does not use (below the image, above the direct map) and at one
 * user-half address; both are empty before and after, every frame and set
 * is freed, and the frame allocator's counts must be what they were.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "mmu_kernel.h"

/* Page sizes with a frame block of their own: what frames_alloc gives. */
#define BLOCK_MAX_BYTES (1ull << FRAME_MAX_SHIFT)
/* The scratch window: this many of the largest blocks (choose_window). */
#define WINDOW_BLOCKS 4
/* Huge pages split and merged: read word by word after every commit, so
 * only those up to this size (the smallest huge page of every mode is
 * 64K or 2M). */
#define SPLIT_MAX_BYTES (32ull << 20)
/* ASID rounds: set 1, set 2, the kernel's set, again. */
#define ASID_ROUNDS 4
#define MAX_ORDERS 64
#define WORD sizeof(uint64_t)

/* Distinct values per frame, offset and purpose (a golden-ratio hash). */
#define TAG_MULT  0x9e3779b97f4a7c15ull
#define SALT_READ 0x5eed0000000000a1ull
#define SALT_WRITE 0x5eed0000000000b2ull
#define SALT_SPLIT 0x5eed0000000000c3ull
#define LIVE_MAGIC 0x4c49564550414745ull      /* "LIVEPAGE" */

struct size_case {
	unsigned order;
	bool native;
	paddr_t a, b;           /* two frame blocks of the size; 0: RAM had none */
};

/* Where a size case is mapped: a set, an address, globality. */
struct place {
	const char *name;
	mmu_translation_set_t *set;
	vaddr_t va;
	bool global;
};

static struct {
	struct ktest *t;
	const struct mmu_geometry *g;
	mmu_translation_set_t *kset;
	mmu_translation_set_t uset, uset2;
	vaddr_t win;            /* the kernel-half scratch window */
	vaddr_t uva;            /* the user-half test address */
	bool nx;                /* non-executable pages refuse fetches (arch_nx_enforced) */
	struct size_case sizes[MAX_ORDERS];
	unsigned nsizes;
} hw;

/* ---- small helpers ---- */

static uint64_t order_bytes(unsigned order)
{
	return 1ull << (hw.g->page_shift + order);
}

static uint64_t page_bytes(void)
{
	return order_bytes(0);
}

static uint64_t tag(paddr_t pa, uint64_t salt)
{
	return (pa + 1) * TAG_MULT ^ salt;
}

/* A check that could not run: said, not counted. */
static void __attribute__((format(printf, 1, 2))) skip(const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kprintf("SKIP %s: %s\n", hw.t->suite, what);
}

static mmu_entry_t entry(const struct place *pl, paddr_t pa, unsigned order, unsigned prot)
{
	mmu_entry_t e = mmu_mksize(mmu_mkentry(pa, prot), order);

	return pl->global ? mmu_mkglobal(e) : e;
}

/* A counted check; on failure, why it failed on a line of its own (the
 * check's text stays within ktest's line). */
static bool __attribute__((format(printf, 3, 4))) verdict(bool ok, const char *why,
							  const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ktest_check(hw.t, ok, "%s", what);
	if (!ok && why[0])
		kprintf("  because: %s\n", why);
	return ok;
}

/* ---- one-call transactions; each returns 0 or the MMU layer's error ---- */

static int map(const struct place *pl, vaddr_t va, mmu_entry_t e)
{
	mmu_transaction_t ta;
	int err;

	mmu_transaction(&ta, pl->set);
	if ((err = mmu_add(&ta, e, va))) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

/* The entry covering va becomes e (same order: in place). */
static int remap(const struct place *pl, vaddr_t va, mmu_entry_t e)
{
	mmu_transaction_t ta;
	int err;

	mmu_transaction(&ta, pl->set);
	if ((err = mmu_find(&ta, va, NULL)) || (err = mmu_update(&ta, e))) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

static int unmap(const struct place *pl, vaddr_t va)
{
	mmu_transaction_t ta;
	int err;

	mmu_transaction(&ta, pl->set);
	if ((err = mmu_find(&ta, va, NULL)) || (err = mmu_remove(&ta))) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

/* ---- accesses ---- */

/* Probes that should succeed are armed anyway: a wrong mapping then makes
 * a FAIL line, not a trap report. */
static int safe_read(vaddr_t va, uint64_t *val)
{
	return trap_probe(MMU_READ, va, val, NULL);
}

static int safe_write(vaddr_t va, uint64_t val)
{
	return trap_probe(MMU_WRITE, va, &val, NULL);
}

static int safe_exec(vaddr_t va)
{
	return trap_probe(MMU_EXEC, va, NULL, NULL);
}

/* A bare return at pa, where a fetch can run it (and where a fetch that
 * should fault but does not returns instead of running zeros). */
static void put_ret(paddr_t pa)
{
	void *p = phys_to_virt(pa);

	memcpy(p, arch_ret_insn, arch_ret_insn_len);
	arch_sync_icache(p, arch_ret_insn_len);
}

/*
 * A fetch runs whatever va reaches: if a wrong or stale translation sent
 * it to another frame, that would run stray bytes (a trap report, or
 * worse). So it is tried only where a read through va faults or sees the
 * return put there (the aligned word around it, so as not to cross the
 * page's end); otherwise why says what the read saw.
 */
static bool fetch_safe(vaddr_t va, char *why, size_t len)
{
	vaddr_t word = va & ~(vaddr_t)(WORD - 1);
	uint8_t bytes[WORD];
	uint64_t val;

	if (safe_read(word, &val))
		return true;
	memcpy(bytes, &val, sizeof(bytes));
	if (va - word + arch_ret_insn_len <= WORD &&
	    !memcmp(bytes + (va - word), arch_ret_insn, arch_ret_insn_len))
		return true;
	ksnprintf(why, len, "a read at %#llx sees %#llx, not the return put in the frame: "
		  "fetch not tried", (unsigned long long)word, (unsigned long long)val);
	return false;
}

static const char *access_str(unsigned access)
{
	return access == MMU_READ ? "read" : access == MMU_WRITE ? "write" : "fetch";
}

/* An access of that kind at va must fault, reported with that access at
 * that address. On failure, says what happened in why. */
static bool faults(vaddr_t va, unsigned access, char *why, size_t len)
{
	struct trap_info ti;
	uint64_t val = 0;       /* what a write stores */
	bool taken;
	int rc;

	if (access == MMU_EXEC && !fetch_safe(va, why, len))
		return false;
	rc = trap_probe(access, va, &val, &ti);
	taken = rc == -EFAULT;
	if (rc == -EFAULT && taken && ti.fault_addr == va && ti.access == access)
		return true;
	if (!taken)
		ksnprintf(why, len, "%s at %#llx did not fault", access_str(access),
			  (unsigned long long)va);
	else
		ksnprintf(why, len, "%s at %#llx: trap \"%s\" reports access %#x at %#llx",
			  access_str(access), (unsigned long long)va, ti.cause, ti.access,
			  (unsigned long long)ti.fault_addr);
	return false;
}

/* Offsets of the first, middle and last 8-byte words of a page. */
static void word_offsets(uint64_t bytes, uint64_t off[3])
{
	off[0] = 0;
	off[1] = bytes / 2;
	off[2] = bytes - WORD;
}

/* Where a return can sit at the first, middle and last bytes. */
static void insn_offsets(uint64_t bytes, uint64_t off[3])
{
	off[0] = 0;
	off[1] = bytes / 2;
	off[2] = bytes - arch_ret_insn_len;
}

static const char *const where3[3] = { "first", "middle", "last" };

/* Reads through va at the three words see what the direct map wrote into
 * frame pa. */
static bool reads_reach(vaddr_t va, paddr_t pa, uint64_t bytes, char *why, size_t len)
{
	uint64_t off[3];

	word_offsets(bytes, off);
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *d = phys_to_virt(pa + off[i]);
		uint64_t want = tag(pa + off[i], SALT_READ), got = 0;
		int rc;

		*d = want;
		rc = safe_read(va + off[i], &got);
		if (rc || got != want) {
			ksnprintf(why, len, "read at %#llx (%s word): rc %d, %#llx, frame has %#llx",
				  (unsigned long long)(va + off[i]), where3[i], rc,
				  (unsigned long long)got, (unsigned long long)want);
			return false;
		}
	}
	return true;
}

/* Writes through va at the three words land in frame pa. */
static bool writes_reach(vaddr_t va, paddr_t pa, uint64_t bytes, char *why, size_t len)
{
	uint64_t off[3];

	word_offsets(bytes, off);
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *d = phys_to_virt(pa + off[i]);
		uint64_t want = tag(pa + off[i], SALT_WRITE);
		int rc = safe_write(va + off[i], want);

		if (rc || *d != want) {
			ksnprintf(why, len, "write at %#llx (%s word): rc %d, frame has %#llx, not %#llx",
				  (unsigned long long)(va + off[i]), where3[i], rc,
				  (unsigned long long)*d, (unsigned long long)want);
			return false;
		}
	}
	return true;
}

/* Fetches through va at the three places run the returns put into frame
 * pa (fetch_safe first: a translation that does not reach pa is reported,
 * not run). */
static bool fetches_reach(vaddr_t va, paddr_t pa, uint64_t bytes, char *why, size_t len)
{
	uint64_t off[3];

	insn_offsets(bytes, off);
	for (unsigned i = 0; i < 3; i++)
		put_ret(pa + off[i]);
	for (unsigned i = 0; i < 3; i++) {
		int rc;

		if (!fetch_safe(va + off[i], why, len))
			return false;
		rc = safe_exec(va + off[i]);
		if (rc) {
			ksnprintf(why, len, "fetch at %#llx (%s bytes): rc %d",
				  (unsigned long long)(va + off[i]), where3[i], rc);
			return false;
		}
	}
	return true;
}

/* Each access in the mask faults at the three words (fetches: where a
 * return sits, so that one that wrongly runs comes back). */
static bool all_fault(vaddr_t va, paddr_t pa, uint64_t bytes, unsigned mask, char *why,
		      size_t len)
{
	uint64_t woff[3], ioff[3];

	word_offsets(bytes, woff);
	insn_offsets(bytes, ioff);
	for (unsigned i = 0; i < 3; i++) {
		if ((mask & MMU_READ) && !faults(va + woff[i], MMU_READ, why, len))
			return false;
		if ((mask & MMU_WRITE) && !faults(va + woff[i], MMU_WRITE, why, len))
			return false;
		if (mask & MMU_EXEC) {
			if (pa)
				put_ret(pa + ioff[i]);
			if (!faults(va + ioff[i], MMU_EXEC, why, len))
				return false;
		}
	}
	return true;
}

/* "reads, writes and fetches" of the accesses in mask. */
static const char *accesses_str(char *buf, size_t len, unsigned mask)
{
	ksnprintf(buf, len, "%s%s%s%s%s", mask & MMU_READ ? "reads" : "",
		  (mask & MMU_READ) && (mask & MMU_WRITE) ? (mask & MMU_EXEC ? ", " : " and ") : "",
		  mask & MMU_WRITE ? "writes" : "",
		  (mask & MMU_EXEC) && (mask & (MMU_READ | MMU_WRITE)) ? " and " : "",
		  mask & MMU_EXEC ? "fetches" : "");
	return buf;
}

/* ---- 1-3: every size, in one place ---- */

/*
 * The life of one mapping, each step one committed transaction followed by
 * what the hardware must do at once: add rw (reads and writes reach frame
 * a, a fetch faults); protect to r (reads still reach it, writes and
 * fetches fault); make it r-x (fetches run it, writes fault); move it to
 * frame b, rw, after reading a through it (reads see b, writes reach b);
 * remove it (every access faults).
 */
static void exercise(const struct place *pl, const struct size_case *sc)
{
	uint64_t bytes = order_bytes(sc->order);
	vaddr_t va = pl->va;
	paddr_t a = sc->a, b = sc->b;
	unsigned noexec = hw.nx ? MMU_EXEC : 0;   /* what a mapped non-executable page refuses */
	char sz[16], what[40], why[200] = "";
	const char *kind = sc->native ? "" : " (composed)";
	int err;
	bool ok;

	ksize_name(sz, sizeof(sz), bytes);
	err = map(pl, va, entry(pl, a, sc->order, MMU_READ | MMU_WRITE));
	ok = !err && reads_reach(va, a, bytes, why, sizeof(why)) &&
	     writes_reach(va, a, bytes, why, sizeof(why));
	if (err)
		ksnprintf(why, sizeof(why), "mmu_add + commit: error %d", err);
	if (!verdict(ok, why, "%s %s%s rw at %#llx -> %#llx: reads and writes reach the frame "
		     "at its first, middle and last words", pl->name, sz, kind,
		     (unsigned long long)va, (unsigned long long)a) && err)
		return;
	if (hw.nx) {
		ok = all_fault(va, a, bytes, MMU_EXEC, why, sizeof(why));
		verdict(ok, why, "%s %s%s rw: a fetch faults (not executable)", pl->name, sz, kind);
	}

	err = remap(pl, va, entry(pl, a, sc->order, MMU_READ));
	ok = !err && reads_reach(va, a, bytes, why, sizeof(why)) &&
	     all_fault(va, a, bytes, MMU_WRITE | noexec, why, sizeof(why));
	if (err)
		ksnprintf(why, sizeof(why), "mmu_update + commit: error %d", err);
	verdict(ok, why, "%s %s%s protect rw -> r (live): reads reach the frame, %s fault",
		pl->name, sz, kind, accesses_str(what, sizeof(what), MMU_WRITE | noexec));

	err = remap(pl, va, entry(pl, a, sc->order, MMU_READ | MMU_EXEC));
	ok = !err && fetches_reach(va, a, bytes, why, sizeof(why)) &&
	     all_fault(va, a, bytes, MMU_WRITE, why, sizeof(why));
	if (err)
		ksnprintf(why, sizeof(why), "mmu_update + commit: error %d", err);
	verdict(ok, why, "%s %s%s r -> r-x (live): fetches at the first, middle and last bytes "
		"run the frame's returns, writes fault", pl->name, sz, kind);

	if (b) {
		/* Read a through it right before the move: the TLB holds it. */
		ok = reads_reach(va, a, bytes, why, sizeof(why));
		err = ok ? remap(pl, va, entry(pl, b, sc->order, MMU_READ | MMU_WRITE)) : 0;
		ok = ok && !err && reads_reach(va, b, bytes, why, sizeof(why)) &&
		     writes_reach(va, b, bytes, why, sizeof(why));
		if (err)
			ksnprintf(why, sizeof(why), "mmu_update + commit: error %d", err);
		verdict(ok, why, "%s %s%s moved (live) from %#llx to %#llx, rw: reads and writes "
			"reach the new frame (no stale TLB entry)", pl->name, sz, kind,
			(unsigned long long)a, (unsigned long long)b);
	} else {
		skip("%s %s%s: no second frame block of this size: the move to another frame "
		     "(stale TLB) not tried", pl->name, sz, kind);
	}

	err = unmap(pl, va);
	ok = !err && all_fault(va, 0, bytes, MMU_READ | MMU_WRITE | MMU_EXEC, why, sizeof(why));
	if (err)
		ksnprintf(why, sizeof(why), "mmu_remove + commit: error %d", err);
	verdict(ok, why, "%s %s%s removed (live): reads, writes and fetches at the first, "
		"middle and last bytes fault", pl->name, sz, kind);
}

/* ---- sizes and frames ---- */

static bool is_native(unsigned order)
{
	return hw.g->native_orders & (1ull << order);
}

/* Every native order, the smallest composed one, and the smallest composed
 * one above the smallest huge native order (made of huge leaves). */
static void choose_sizes(void)
{
	unsigned max = hw.g->max_order < MAX_ORDERS - 1 ? (unsigned)hw.g->max_order : MAX_ORDERS - 1;
	unsigned composed = 0, huge = 0, composed_huge = 0;

	for (unsigned k = 1; k <= max; k++) {
		if (!composed && !is_native(k))
			composed = k;
		if (!huge && is_native(k))
			huge = k;
		else if (huge && !composed_huge && !is_native(k))
			composed_huge = k;
	}
	hw.nsizes = 0;
	for (unsigned k = 0; k <= max; k++)
		if (is_native(k) || k == composed || k == composed_huge)
			hw.sizes[hw.nsizes++] = (struct size_case){ .order = k, .native = is_native(k) };
}

/* Two blocks per size, the largest sizes first (the allocator splits
 * big blocks for small requests). Sizes no block can back say so. */
static void alloc_frames(void)
{
	char sz[16], big[16];

	for (unsigned shift = FRAME_MAX_SHIFT + 1; shift-- > FRAME_MIN_SHIFT;)
		for (unsigned i = 0; i < hw.nsizes; i++) {
			struct size_case *sc = &hw.sizes[i];
			if (hw.g->page_shift + sc->order != shift)
				continue;
			sc->a = frames_alloc(shift);
			sc->b = sc->a ? frames_alloc(shift) : 0;
		}
	for (unsigned i = 0; i < hw.nsizes; i++) {
		struct size_case *sc = &hw.sizes[i];
		ksize_name(sz, sizeof(sz), order_bytes(sc->order));
		if (hw.g->page_shift + sc->order > FRAME_MAX_SHIFT)
			skip("%s pages: larger than the largest frame block (%s): not tested", sz,
			     ksize_name(big, sizeof(big), BLOCK_MAX_BYTES));
		else if (!sc->a)
			skip("%s pages: no free frame block of this size (boot with more RAM, e.g. "
			     "-m 3G): not tested", sz);
	}
}

static void free_frames(void)
{
	for (unsigned i = 0; i < hw.nsizes; i++) {
		struct size_case *sc = &hw.sizes[i];
		unsigned shift = hw.g->page_shift + sc->order;
		if (sc->a)
			frames_free(sc->a, shift);
		if (sc->b)
			frames_free(sc->b, shift);
		sc->a = sc->b = 0;
	}
}

/* The largest size with frames, other than the base page; NULL if none. */
static const struct size_case *largest_backed(void)
{
	for (unsigned i = hw.nsizes; i-- > 1;)
		if (hw.sizes[i].a)
			return &hw.sizes[i];
	return NULL;
}

static void every_size(const struct place *pl)
{
	for (unsigned i = 0; i < hw.nsizes; i++)
		if (hw.sizes[i].a)
			exercise(pl, &hw.sizes[i]);
}

/* ---- 2: a user-only page ---- */


/*
 * A base page of the user half of the test's set, active, first rwxu then
 * (changed live) r-xu: the supervisor's reads, writes and fetches must
 * fault, as far as the CPU refuses them (arch_user_guard: a CPU without
 * PAN or SMAP/SMEP lets the supervisor in, and that is said, not
 * counted). r-xu because some CPUs refuse the supervisor's fetches only
 * from user pages it can write (arm64 without PXN).
 */
static void user_only(const struct place *pl, paddr_t frame)
{
	static const unsigned prots[] = { MMU_READ | MMU_WRITE | MMU_EXEC, MMU_READ | MMU_EXEC };
	const unsigned all = MMU_READ | MMU_WRITE | MMU_EXEC;
	unsigned guard = arch_user_guard() & all;
	char why[200] = "", what[40];
	vaddr_t va = pl->va;
	bool mapped = false;
	int err = 0;

	if (guard != all)
		skip("user-only page: this CPU lets the supervisor's %s reach user pages (no "
		     "PAN / SMAP / SMEP, or SUM set): not expected to fault",
		     accesses_str(what, sizeof(what), all & ~guard));
	if (!guard)
		return;
	for (unsigned i = 0; i < sizeof(prots) / sizeof(prots[0]) && !err; i++) {
		mmu_entry_t e = entry(pl, frame, 0, prots[i] | MMU_USER);
		bool ok;

		err = i ? remap(pl, va, e) : map(pl, va, e);
		mapped |= !err;
		ok = !err && all_fault(va, frame, page_bytes(), guard, why, sizeof(why));
		if (err)
			ksnprintf(why, sizeof(why), "%s + commit: error %d", i ? "mmu_update" : "mmu_add",
				  err);
		verdict(ok, why, "user-only page %s at %#llx: the supervisor's %s fault (SUM=0 / PAN "
			"/ SMAP+SMEP)", i ? "r-xu (live change)" : "rwxu", (unsigned long long)va,
			accesses_str(what, sizeof(what), guard));
	}
	if (mapped && (err = unmap(pl, va)))
		ktest_check(hw.t, false, "user-only page: mmu_remove + commit: error %d", err);
}

/* ---- 4: ASIDs ---- */

/*
 * The MMU layer numbers sets 1, 2, 3...: a set made 2^16 sets after
 * another has a number equal to it modulo every ASID width (8 or 16 bits,
 * PCID 12). Both live, mapping one VA to two frames: each must read its
 * own after every switch. (Hardware ASIDs are handed out per generation
 * when a set is loaded, mmu/env_kernel.c, so the two do not share one;
 * the SMP suite forces roll-overs, tests/kernel/smp_test.c.)
 */
#define ASID_WRAP (1u << 16)

static void asid_wrap(paddr_t f1, paddr_t f2)
{
	static mmu_translation_set_t wrapped;
	struct place p1 = { "user", &hw.uset, hw.uva, false };
	struct place pw = { "wrapped", &wrapped, hw.uva, false };
	char why[200] = "";
	bool ok = true, made = false;
	int err = 0;

	do {
		if (made)
			mmu_remove_translation_set(&wrapped);
		made = !(err = mmu_new_translation_set(&wrapped));
	} while (!err && (mmu_kernel_asid(&wrapped) - mmu_kernel_asid(&hw.uset)) % ASID_WRAP);
	if (!err && (err = map(&p1, hw.uva, entry(&p1, f1, 0, MMU_READ | MMU_WRITE))) == 0 &&
	    (err = map(&pw, hw.uva, entry(&pw, f2, 0, MMU_READ | MMU_WRITE))))
		unmap(&p1, hw.uva);
	if (!ktest_check(hw.t, !err, "ASID wrap: sets %u and %u (one hardware ASID) map %#llx "
			 "to %#llx and %#llx", mmu_kernel_asid(&hw.uset), mmu_kernel_asid(&wrapped),
			 (unsigned long long)hw.uva, (unsigned long long)f1, (unsigned long long)f2)) {
		mmu_remove_translation_set(&wrapped);
		return;
	}
	for (unsigned r = 1; r <= ASID_ROUNDS && ok; r++) {
		mmu_activate(&hw.uset);
		ok = reads_reach(hw.uva, f1, page_bytes(), why, sizeof(why));
		mmu_activate(&wrapped);
		ok = ok && reads_reach(hw.uva, f2, page_bytes(), why, sizeof(why));
	}
	verdict(ok, why, "ASID wrap: switching between sets %u and %u reads %#llx and %#llx "
		"each time", mmu_kernel_asid(&hw.uset), mmu_kernel_asid(&wrapped), (unsigned long long)f1,
		(unsigned long long)f2);
	mmu_activate(hw.kset);
	unmap(&p1, hw.uva);
	unmap(&pw, hw.uva);
	mmu_remove_translation_set(&wrapped);
}

static void asids(paddr_t f1, paddr_t f2)
{
	struct place p1 = { "user", &hw.uset, hw.uva, false };
	struct place p2 = { "user2", &hw.uset2, hw.uva, false };
	char why[200] = "";
	bool ok;
	int err;

	if ((err = mmu_new_translation_set(&hw.uset2))) {
		ktest_check(hw.t, false, "ASID: a second translation set: error %d", err);
		return;
	}
	err = map(&p1, hw.uva, entry(&p1, f1, 0, MMU_READ | MMU_WRITE));
	if (!err && (err = map(&p2, hw.uva, entry(&p2, f2, 0, MMU_READ | MMU_WRITE))))
		unmap(&p1, hw.uva);
	if (!ktest_check(hw.t, !err, "ASID: two sets (asids %u, %u) map %#llx to %#llx and %#llx",
			 mmu_kernel_asid(&hw.uset), mmu_kernel_asid(&hw.uset2), (unsigned long long)hw.uva,
			 (unsigned long long)f1, (unsigned long long)f2)) {
		mmu_remove_translation_set(&hw.uset2);
		return;
	}
	for (unsigned r = 1; r <= ASID_ROUNDS; r++) {
		mmu_activate(&hw.uset);
		ok = reads_reach(hw.uva, f1, page_bytes(), why, sizeof(why)) &&
		     writes_reach(hw.uva, f1, page_bytes(), why, sizeof(why));
		if (ok) {
			mmu_activate(&hw.uset2);
			ok = reads_reach(hw.uva, f2, page_bytes(), why, sizeof(why)) &&
			     writes_reach(hw.uva, f2, page_bytes(), why, sizeof(why));
		}
		if (ok) {
			mmu_activate(hw.kset);
			ok = all_fault(hw.uva, 0, page_bytes(), MMU_READ, why, sizeof(why));
		}
		verdict(ok, why, "ASID round %u: set 1 reaches %#llx, set 2 reaches %#llx, the "
			"kernel's set faults at %#llx", r, (unsigned long long)f1,
			(unsigned long long)f2, (unsigned long long)hw.uva);
	}
	/* Set 1 changed while set 2 is active: set 1's entries cached under
	 * its ASID/PCID must be gone when it is active again. */
	mmu_activate(&hw.uset);
	ok = reads_reach(hw.uva, f1, page_bytes(), why, sizeof(why));
	mmu_activate(&hw.uset2);
	err = ok ? remap(&p1, hw.uva, entry(&p1, f2, 0, MMU_READ | MMU_WRITE)) : 0;
	mmu_activate(&hw.uset);
	ok = ok && !err && reads_reach(hw.uva, f2, page_bytes(), why, sizeof(why));
	if (err)
		ksnprintf(why, sizeof(why), "mmu_update + commit: error %d", err);
	verdict(ok, why, "ASID: set 1 moved to %#llx while set 2 was active: set 1 reaches it once "
		"active again", (unsigned long long)f2);
	mmu_activate(hw.kset);
	unmap(&p1, hw.uva);
	unmap(&p2, hw.uva);
	mmu_remove_translation_set(&hw.uset2);
	asid_wrap(f1, f2);
}

/* ---- 5: split and merge of a live huge page ---- */

/* The test's own state, kept inside the huge page it splits and merges:
 * used between every two calls, checked after every commit. */
struct live {
	uint64_t magic;
	struct live *self;
	uint64_t steps;         /* bumped between MMU calls */
	uint64_t words, bad;    /* the last check's counts */
	uint64_t first_bad;
};

struct split {
	const struct place *pl;
	unsigned order;
	paddr_t frame;
	uint64_t bytes, npages;
	uint64_t live_page, cut_page;   /* where the state lives; the page split out */
	volatile struct live *st;
};

static uint64_t pattern(vaddr_t va)
{
	return tag(va, SALT_SPLIT);
}

static bool in_live(const struct split *s, vaddr_t va)
{
	vaddr_t st = (vaddr_t)(uintptr_t)s->st;

	return va >= st && va < st + sizeof(struct live);
}

/*
 * Every word of the huge page except the hole (a page removed, or none:
 * ~0) reads its pattern, and the state is intact. A probe of each page's
 * first word comes first, so that an unmapped page is a FAIL line rather
 * than a trap report; the words are then read as plain memory.
 */
static bool split_intact(struct split *s, uint64_t hole, uint64_t steps, char *why, size_t len)
{
	vaddr_t base = s->pl->va;
	uint64_t val;

	for (uint64_t p = 0; p < s->npages; p++) {
		vaddr_t va = base + p * page_bytes();
		if (p != hole && safe_read(va, &val)) {
			ksnprintf(why, len, "page %#llx is not readable", (unsigned long long)va);
			return false;
		}
	}
	if (s->st->magic != LIVE_MAGIC || s->st->self != s->st || s->st->steps != steps) {
		ksnprintf(why, len, "the state in the page reads magic %#llx self %p steps %llu, "
			  "expected steps %llu", (unsigned long long)s->st->magic,
			  (void *)s->st->self, (unsigned long long)s->st->steps,
			  (unsigned long long)steps);
		return false;
	}
	s->st->words = s->st->bad = 0;
	for (uint64_t p = 0; p < s->npages; p++) {
		const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)(base + p * page_bytes());
		if (p == hole)
			continue;
		for (uint64_t i = 0; i < page_bytes() / WORD; i++) {
			vaddr_t va = (vaddr_t)(uintptr_t)&w[i];
			if (in_live(s, va))
				continue;
			s->st->words++;
			if (w[i] != pattern(va) && !s->st->bad++)
				s->st->first_bad = va;
		}
	}
	if (s->st->bad) {
		ksnprintf(why, len, "%llu of %llu words wrong, first at %#llx",
			  (unsigned long long)s->st->bad, (unsigned long long)s->st->words,
			  (unsigned long long)s->st->first_bad);
		return false;
	}
	return true;
}

/* The test's use of its state between the calls: the step count bumped
 * through probes, so that a page the engine left unmapped after a commit
 * (break without make) is a FAIL line from split_intact, not a trap. */
static void bump(struct split *s)
{
	vaddr_t at = (vaddr_t)(uintptr_t)&s->st->steps;
	uint64_t val;

	if (!safe_read(at, &val))
		safe_write(at, val + 1);
}

/* Removes every base-page piece of the split huge page but keep (~0:
 * none) and hole; the state is used between the calls. */
static int remove_pieces(struct split *s, mmu_transaction_t *ta, uint64_t keep, uint64_t hole)
{
	int err = 0;

	for (uint64_t p = 0; p < s->npages && !err; p++) {
		if (p == keep || p == hole)
			continue;
		err = mmu_find(ta, s->pl->va + p * page_bytes(), NULL);
		if (!err)
			err = mmu_remove(ta);
	}
	bump(s);
	return err;
}

/* One transaction ending in a commit; the state is used after it at once. */
static int finish(struct split *s, mmu_transaction_t *ta, int err)
{
	if (err) {
		mmu_forget(ta);
		return err;
	}
	err = mmu_commit(ta);
	bump(s);
	return err;
}

static void split_report(struct split *s, const char *what, int err, bool ok, char *why,
			 size_t len)
{
	char sz[16];

	if (err)
		ksnprintf(why, len, "MMU error %d", err);
	verdict(ok && !err, why, "split/merge %s at %#llx (the test's state inside, at %p): %s",
		ksize_name(sz, sizeof(sz), s->bytes), (unsigned long long)s->pl->va, (void *)s->st,
		what);
}

static void split_merge(const struct place *pl, const struct size_case *sc)
{
	struct split s = { .pl = pl, .order = sc->order, .frame = sc->a,
			   .bytes = order_bytes(sc->order) };
	uint64_t steps = 0, cut_off;
	vaddr_t va = pl->va;
	mmu_transaction_t ta;
	char why[200] = "";
	int err;
	bool ok;

	s.npages = s.bytes / page_bytes();
	if (s.npages < 4) {
		skip("split/merge %s: fewer than 4 base pages", ksize_name(why, sizeof(why), s.bytes));
		return;
	}
	s.live_page = s.npages / 2 - 1;
	s.cut_page = s.npages / 2 + 1;
	cut_off = s.cut_page * page_bytes();
	s.st = (volatile struct live *)(uintptr_t)(va + s.live_page * page_bytes() + page_bytes() / 2);

	if ((err = map(pl, va, entry(pl, s.frame, s.order, MMU_READ | MMU_WRITE)))) {
		ktest_check(hw.t, false, "split/merge: mapping the huge page: error %d", err);
		return;
	}
	/* Each page takes a probe's store before the plain ones. */
	for (uint64_t p = 0; p < s.npages; p++)
		if (safe_write(va + p * page_bytes(), 0)) {
			ktest_check(hw.t, false, "split/merge %s at %#llx: page %#llx not writable once "
				    "mapped", ksize_name(why, sizeof(why), s.bytes),
				    (unsigned long long)va, (unsigned long long)(va + p * page_bytes()));
			unmap(pl, va);
			return;
		}
	for (uint64_t i = 0; i < s.bytes / WORD; i++)
		((volatile uint64_t *)(uintptr_t)va)[i] = pattern(va + i * WORD);
	*s.st = (struct live){ .magic = LIVE_MAGIC, .self = (struct live *)s.st };

	/* Split: one base page inside it becomes read-only (same frame). */
	mmu_transaction(&ta, pl->set);
	err = mmu_find(&ta, va + cut_off, NULL);
	bump(&s);
	if (!err)
		err = mmu_update(&ta, entry(pl, s.frame + cut_off, 0, MMU_READ));
	bump(&s);
	err = finish(&s, &ta, err);
	steps += 3;
	ok = !err && split_intact(&s, ~0ull, steps, why, sizeof(why)) &&
	     all_fault(va + cut_off, 0, page_bytes(), MMU_WRITE, why, sizeof(why));
	split_report(&s, "split, one base page made read-only: every word reads its pattern, "
		     "that page refuses writes", err, ok, why, sizeof(why));

	/* Merge: the other pieces removed, the one left updated to the huge
	 * order, in one transaction. */
	mmu_transaction(&ta, pl->set);
	err = remove_pieces(&s, &ta, 0, ~0ull);
	if (!err && !(err = mmu_find(&ta, va, NULL)))
		err = mmu_update(&ta, entry(pl, s.frame, s.order, MMU_READ | MMU_WRITE));
	err = finish(&s, &ta, err);
	steps += 2;
	ok = !err && split_intact(&s, ~0ull, steps, why, sizeof(why));
	if (ok && safe_write(va + cut_off, pattern(va + cut_off))) {
		ksnprintf(why, sizeof(why), "the formerly read-only page still refuses writes");
		ok = false;
	}
	split_report(&s, "merged by mmu_update to the huge order: every word reads its "
		     "pattern, writable again", err, ok, why, sizeof(why));

	/* Split by removing one base page: a hole. */
	mmu_transaction(&ta, pl->set);
	err = mmu_find(&ta, va + cut_off, NULL);
	bump(&s);
	if (!err)
		err = mmu_update(&ta, entry(pl, s.frame + cut_off, 0, MMU_READ | MMU_WRITE));
	if (!err)
		err = mmu_remove(&ta);
	err = finish(&s, &ta, err);
	steps += 2;
	ok = !err && split_intact(&s, s.cut_page, steps, why, sizeof(why)) &&
	     all_fault(va + cut_off, 0, page_bytes(), MMU_READ, why, sizeof(why));
	split_report(&s, "split, one base page removed: every other word reads its "
		     "pattern, the hole faults", err, ok, why,
		     sizeof(why));

	/* Merge: every piece removed and the huge page added again. */
	mmu_transaction(&ta, pl->set);
	err = remove_pieces(&s, &ta, ~0ull, s.cut_page);
	if (!err)
		err = mmu_add(&ta, entry(pl, s.frame, s.order, MMU_READ | MMU_WRITE), va);
	err = finish(&s, &ta, err);
	steps += 2;
	ok = !err && split_intact(&s, ~0ull, steps, why, sizeof(why));
	split_report(&s, "merged by mmu_add of the huge page: every word reads its pattern", err, ok, why,
		     sizeof(why));

	if ((err = unmap(pl, va)) && (err = mmu_clear_range(pl->set, va, va + s.bytes)))
		ktest_check(hw.t, false, "split/merge: unmapping the huge page: error %d", err);
}

/* Every native huge order up to SPLIT_MAX_BYTES that frames back. */
static void every_split(const struct place *pl)
{
	char sz[16];

	for (unsigned i = 0; i < hw.nsizes; i++) {
		const struct size_case *sc = &hw.sizes[i];
		uint64_t bytes = order_bytes(sc->order);
		if (!sc->native || !sc->order || !sc->a)
			continue;
		if (bytes > SPLIT_MAX_BYTES) {
			kprintf("%s: %s huge pages not split (the check reads every word; up to %lluM)\n",
				hw.t->suite, ksize_name(sz, sizeof(sz), bytes),
				(unsigned long long)(SPLIT_MAX_BYTES >> 20));
			continue;
		}
		split_merge(pl, sc);
	}
}

/* ---- the window ---- */

static mmu_entry_t count_entry(mmu_entry_t e, vaddr_t va, void *priv)
{
	(void)va;
	++*(unsigned *)priv;
	return e;
}

/* Entries of set s in [start, end); ~0u if the scan fails. */
static unsigned entries_in(mmu_translation_set_t *s, vaddr_t start, vaddr_t end)
{
	unsigned n = 0;

	return mmu_scan(s, start, end, count_entry, &n) ? ~0u : n;
}

/*
 * The window: in the middle of the larger gap of the kernel half the
 * kernel does not use, below the direct map (from the top 2^(va_bits-1)
 * bytes, kernel half in every mode, mmu-api.md) or between the end of the
 * direct map of RAM and the image's block; aligned to the largest block.
 * Far from both, it sits in a top-level slot of its own where the top
 * level is not too coarse (sv39, sv48, sv57, x86 4- and 5-level), so its
 * tables come and go with the checks and the kernel's slots must be
 * copied into every set's root (riscv, x86).
 */
static bool choose_window(void)
{
	const struct boot_info *bi = current_boot_info();
	uint64_t ram_end = 0;
	vaddr_t image = arch_kernel_image_va() & ~(BLOCK_MAX_BYTES - 1), dmap_end;
	vaddr_t dmap = arch_direct_map_va(), low = ~0ull << (hw.g->va_bits - 1);
	uint64_t span = WINDOW_BLOCKS * BLOCK_MAX_BYTES;
	mmu_transaction_t ta;
	int err;

	for (unsigned i = 0; bi && i < bi->nram; i++)
		if (bi->ram[i].base + bi->ram[i].size > ram_end)
			ram_end = bi->ram[i].base + bi->ram[i].size;
	dmap_end = dmap + ram_end;
	if (dmap > low && dmap - low > image - dmap_end)
		hw.win = low + (dmap - low) / 2;
	else
		hw.win = dmap_end + (image - dmap_end) / 2;
	hw.win &= ~(BLOCK_MAX_BYTES - 1);
	/* The user-half address: one block up from 0, aligned to every size. */
	hw.uva = BLOCK_MAX_BYTES;
	if (!ktest_check(hw.t, dmap_end < image && hw.win + span <= image &&
			 (hw.win >= dmap_end || hw.win + span <= dmap) &&
			 !entries_in(hw.kset, hw.win, hw.win + span),
			 "scratch window [%#llx, %#llx): empty, clear of the image and the direct "
			 "map [%#llx, %#llx)", (unsigned long long)hw.win,
			 (unsigned long long)(hw.win + span), (unsigned long long)dmap,
			 (unsigned long long)dmap_end))
		return false;
	mmu_transaction(&ta, hw.kset);
	err = mmu_find(&ta, hw.uva, NULL);
	mmu_forget(&ta);
	return ktest_check(hw.t, err == -ENOENT, "user-half address %#llx: unmapped in the "
			   "kernel's set (mmu_find %d)", (unsigned long long)hw.uva, err);
}

/* ---- the suite ---- */

static bool same_stats(const struct frames_stats *a, const struct frames_stats *b)
{
	if (a->free_bytes != b->free_bytes)
		return false;
	for (unsigned i = 0; i <= FRAME_MAX_SHIFT - FRAME_MIN_SHIFT; i++)
		if (a->in_use[i] != b->in_use[i])
			return false;
	return true;
}

/* A base-page frame block of the sizes list (every mode has order 0). */
static paddr_t base_frame(unsigned which)
{
	return which ? hw.sizes[0].b : hw.sizes[0].a;
}

void mmu_hw_tests(struct ktest *t)
{
	struct place kernel = { "kernel", NULL, 0, true }, user = { "user", &hw.uset, 0, false };
	struct frames_stats before, after;
	char why[200] = "";
	vaddr_t hole;
	bool ok;
	int err;

	hw.t = t;
	hw.g = mmu_geometry();
	hw.kset = mmu_kernel_set();
	if (!hw.g || !hw.kset) {
		skip("no paging mode: no hardware MMU checks");
		return;
	}
	hw.nx = arch_nx_enforced();
	if (!hw.nx)
		skip("this CPU does not refuse fetches from non-executable pages (no NX): only "
		     "unmapped pages are expected to fault on a fetch");
	frames_get_stats(&before);
	if (!choose_window())
		return;
	kernel.set = hw.kset;
	kernel.va = hw.win;
	hole = hw.win + (WINDOW_BLOCKS - 1) * BLOCK_MAX_BYTES;
	user.va = hw.uva;
	choose_sizes();
	alloc_frames();
	if (!hw.sizes[0].a || !hw.sizes[0].b) {
		ktest_check(t, false, "two base-page frames for the checks");
		free_frames();
		return;
	}

	/* 1-3 in the kernel half, then the unmapped part of the window. */
	every_size(&kernel);
	ok = all_fault(hole, 0, page_bytes(), MMU_READ | MMU_WRITE | MMU_EXEC, why, sizeof(why));
	verdict(ok, why, "kernel: never-mapped %#llx: reads, writes and fetches fault",
		(unsigned long long)hole);

	/* 1-3 in the user half of a set of the test's own, then a user page. */
	if ((err = mmu_new_translation_set(&hw.uset))) {
		ktest_check(t, false, "a translation set for the user half: error %d", err);
	} else {
		mmu_activate(&hw.uset);
		every_size(&user);
		user_only(&user, base_frame(0));
		/* The kernel half changed while another set is active: the
		 * change must reach that set too (one root per set on riscv
		 * and x86: the kernel's slots are copied into every set). */
		kernel.name = "kernel (other set active)";
		exercise(&kernel, &hw.sizes[0]);
		if (largest_backed())
			exercise(&kernel, largest_backed());
		kernel.name = "kernel";
		mmu_activate(hw.kset);
		/* 4 */
		asids(base_frame(0), base_frame(1));
		mmu_activate(hw.kset);
		mmu_remove_translation_set(&hw.uset);
	}

	/* 5 */
	every_split(&kernel);

	free_frames();
	ktest_check(t, !entries_in(hw.kset, hw.win, hw.win + WINDOW_BLOCKS * BLOCK_MAX_BYTES),
		    "scratch window empty again");
	frames_get_stats(&after);
	ktest_check(t, same_stats(&before, &after), "no frame leaked: %llu KiB free before, %llu "
		    "KiB after, every size's count the same", (unsigned long long)(before.free_bytes >> 10),
		    (unsigned long long)(after.free_bytes >> 10));
}
