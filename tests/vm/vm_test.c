/*
 * Host test of the core's memory code (core/vm.c, core/frames.c) on the
 * host MMU library (build/host-san/libmmu.a) under ASan/UBSan, in every
 * paging mode:
 *   - directed cases: demand-paging counts and page sizes, the fallback when
 *     large frames run out, refused accesses (no area, protection) that map
 *     nothing, copy-on-write isolation and frame sharing, mremap moving
 *     translations without copying, everything given back at the end;
 *   - a differential run: seeded random mmap/munmap/mprotect/mremap/fork/
 *     destroy/touch sequences against a page model, with table and frame
 *     allocation failures injected (a failed operation must change nothing),
 *     the area tree's invariants checked after every step.
 * The "hardware" is mmu_host_hw_translate: a touch that it refuses goes to
 * vm_fault exactly as a trap would, then must succeed.
 *
 * Prints "PASS/FAIL <group>" lines; tests/suites.d/vm.sh counts them.
 * Arguments: [seeds [steps]] for the differential run (default 3 x 400, or
 * the environment's VM_SEEDS and VM_STEPS).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "mmu_host.h"
#include "vm.h"
#include "ad.h"
#include "host_ram.h"

/* Data frames: a simulated RAM far from the library's table memory. */
#define SIM_BYTES (160ull << 20)
#define TABLE_MEM (64ull << 20)
#define MAX_SPACES 4

static unsigned failures, checks;
static struct boot_info ram;

static bool result(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok || failures++ >= 20)
		return ok;
	printf("  mismatch (%s): ", mmu_current_mode());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return ok;
}

static void group(const char *name, unsigned f0, unsigned c0)
{
	printf("%s %s (%u checks)\n", failures == f0 ? "PASS" : "FAIL", name, checks - c0);
	fflush(stdout);
}

#define GROUP(name) for (unsigned f0 = failures, c0 = checks, once = 1; once; \
                         once = 0, group(name, f0, c0))

static uint64_t page;     /* the mode's base page */

static void start_mode(size_t m)
{
	if (mmu_select_mode(mmu_mode_name(m)) ||
	    frames_init(&ram, ~0ull, FRAME_MIN_SHIFT))
		panic("set-up of mode %s failed", mmu_mode_name(m));
	page = 1ull << mmu_geometry()->page_shift;
}

/* One access as a CPU would make it: the hardware walk, and on a fault
 * vm_fault (the trap) and the walk again. Returns 0 and the frame's byte
 * pointer, or vm_fault's error. */
static int touch(struct vm_space *vs, vaddr_t va, unsigned access, uint8_t **byte)
{
	paddr_t pa;
	int err;

	if (mmu_host_hw_translate(&vs->set, va, access | MMU_USER, &pa)) {
		if ((err = vm_fault(vs, va, access, true)))
			return err;
		if (mmu_host_hw_translate(&vs->set, va, access | MMU_USER, &pa)) {
			result(false, "%#llx: vm_fault said resolved, the walk still faults",
			       (unsigned long long)va);
			return -EIO;
		}
	}
	*byte = phys_to_virt(pa);
	return 0;
}

/* The frame behind va for a user read, or a kernel read (PROT_NONE pages
 * stay mapped for the kernel only); 0 if unmapped. */
static paddr_t pa_of(struct vm_space *vs, vaddr_t va)
{
	paddr_t pa = 0;
	if (mmu_host_hw_translate(&vs->set, va, MMU_READ | MMU_USER, &pa))
		mmu_host_hw_translate(&vs->set, va, MMU_READ, &pa);
	return pa;
}

struct baseline { struct frames_stats fs; size_t tables; };

static struct baseline take_baseline(void)
{
	struct baseline b;
	frames_get_stats(&b.fs);
	b.tables = mmu_host_tables_in_use();
	return b;
}

static bool back_to(const struct baseline *b)
{
	struct baseline now = take_baseline();
	return result(!memcmp(&now.fs, &b->fs, sizeof(now.fs)) && now.tables == b->tables,
		      "allocator stats back to the start: free %llu/%llu, mapped frames %llu, tables %zu/%zu",
		      (unsigned long long)now.fs.free_bytes, (unsigned long long)b->fs.free_bytes,
		      (unsigned long long)now.fs.mapped_frames, now.tables, b->tables);
}

/* The largest native size <= limit with a frame block of its own. */
static unsigned best_order(uint64_t limit)
{
	const struct mmu_geometry *g = mmu_geometry();
	unsigned best = 0;
	for (unsigned o = 0; o < 64 && g->page_shift + o <= FRAME_MAX_SHIFT; o++)
		if ((g->native_orders >> o & 1) && (page << o) <= limit)
			best = o;
	return best;
}

/* ---- directed cases ------------------------------------------------------ */

static void test_demand(void)
{
	const uint64_t M2 = 2ull << 20, M4 = 4ull << 20;
	struct baseline b0 = take_baseline();
	struct vm_space vs;
	vaddr_t at;

	result(!vm_space_init(&vs), "vm_space_init");
	/* 2M-aligned, not 4M-aligned: only 2M pages fit whatever larger exist */
	vaddr_t base = (1ull << 30) + M2;
	result(!vm_mmap(&vs, base, M4, MMU_READ | MMU_WRITE, VM_FIXED, &at) && at == base, "mmap fixed 4M");
	unsigned o = best_order(M2);
	uint64_t size = page << o;
	bool ok = true;
	for (vaddr_t va = base; va < base + M4; va += page) {
		uint8_t *p;
		ok &= !touch(&vs, va, MMU_WRITE, &p);
		if (ok)
			*p = (uint8_t)(va >> 12);
	}
	result(ok, "every page writable after its fault");
	result(vs.counts.faults == M4 / size && vs.counts.mapped[o] == M4 / size,
	       "%llu faults, %llu of order %u: expected %llu (pages of %llu bytes)",
	       (unsigned long long)vs.counts.faults, (unsigned long long)vs.counts.mapped[o], o,
	       (unsigned long long)(M4 / size), (unsigned long long)size);
	struct mmu_stats st;
	mmu_stats(&vs.set, &st);
	result(st.entries[o] == M4 / size, "mmu_stats: %llu entries of order %u",
	       (unsigned long long)st.entries[o], o);
	/* a read of another page in an already mapped large page: no fault */
	uint8_t *p;
	uint64_t f = vs.counts.faults;
	result(!touch(&vs, base + page, MMU_READ, &p) && *p == (uint8_t)((base + page) >> 12) &&
	       vs.counts.faults == f, "data kept, no further fault");

	/* Refused: outside any area, and against protection; nothing mapped. */
	vaddr_t ro;
	result(!vm_mmap(&vs, 0, 3 * page, MMU_READ, 0, &ro), "mmap read-only");
	result(touch(&vs, base + M4 + M2, MMU_READ, &p) == -EFAULT, "no area: -EFAULT");
	result(touch(&vs, ro, MMU_WRITE, &p) == -EACCES, "write to read-only: -EACCES");
	result(touch(&vs, ro, MMU_EXEC, &p) == -EACCES, "exec of non-exec: -EACCES");
	result(pa_of(&vs, ro) == 0 && pa_of(&vs, base + M4 + M2) == 0, "refused faults mapped nothing");
	result(!touch(&vs, ro + page, MMU_READ, &p) && *p == 0, "read of read-only: zero page");
	paddr_t w;
	result(mmu_host_hw_translate(&vs.set, ro + page, MMU_WRITE | MMU_USER, &w) == -EFAULT,
	       "the read-only page refuses a write in the walk");
	vm_space_destroy(&vs);
	back_to(&b0);

	/* Fallback: no free block of the large size left: smaller pages. */
	if (o) {
		static uint64_t held[4096];
		size_t n = 0;
		uint64_t pa;
		while (n < 4096 && (pa = frames_alloc(mmu_geometry()->page_shift + o)))
			held[n++] = pa;
		result(!vm_space_init(&vs), "vm_space_init");
		result(!vm_mmap(&vs, base, M4, MMU_READ | MMU_WRITE, VM_FIXED, &at), "mmap");
		result(!touch(&vs, base, MMU_WRITE, &p), "fault with no large frame free");
		mmu_stats(&vs.set, &st);
		result(st.entries[o] == 0 && vs.counts.fallbacks == 1 && pa_of(&vs, base) &&
		       pa_of(&vs, base + size - page) == 0,
		       "fell back to a smaller page (entries[%u] %llu, fallbacks %llu)", o,
		       (unsigned long long)st.entries[o], (unsigned long long)vs.counts.fallbacks);
		while (n)
			frames_free(held[--n], mmu_geometry()->page_shift + o);
		result(!touch(&vs, base + size, MMU_WRITE, &p), "large frames free again");
		mmu_stats(&vs.set, &st);
		result(st.entries[o] == 1, "the next large page is large again");
		vm_space_destroy(&vs);
		back_to(&b0);
	}
}

static void test_cow(void)
{
	struct baseline b0 = take_baseline();
	struct vm_space p, c;
	vaddr_t a;
	uint8_t *x, *y;

	vm_space_init(&p);
	result(!vm_mmap(&p, 0, 8 * page, MMU_READ | MMU_WRITE, 0, &a), "mmap");
	result(!touch(&p, a, MMU_WRITE, &x), "parent writes");
	*x = 11;
	result(!vm_fork(&c, &p), "fork");
	paddr_t pp = pa_of(&p, a), cp = pa_of(&c, a);
	result(pp && pp == cp && frames_refcount(pp) == 2, "one frame shared, 2 references");
	paddr_t w;
	result(mmu_host_hw_translate(&p.set, a, MMU_WRITE | MMU_USER, &w) == -EFAULT &&
	       mmu_host_hw_translate(&c.set, a, MMU_WRITE | MMU_USER, &w) == -EFAULT,
	       "read-only in both sets");
	result(!touch(&c, a, MMU_READ, &y) && *y == 11, "child reads the parent's data");
	/* mprotect cannot make a shared frame writable */
	result(!vm_mprotect(&c, a, 8 * page, MMU_READ) && !vm_mprotect(&c, a, 8 * page, MMU_READ | MMU_WRITE),
	       "child mprotects its copy read-only and back");
	result(mmu_host_hw_translate(&c.set, a, MMU_WRITE | MMU_USER, &w) == -EFAULT,
	       "the shared frame is still read-only in the child");
	result(!touch(&c, a, MMU_WRITE, &y), "child writes");
	*y = 22;
	result(c.counts.cow_copies == 1 && pa_of(&c, a) != pp && frames_refcount(pp) == 1,
	       "the child got a copy; the parent's frame has one reference left");
	result(!touch(&p, a, MMU_READ, &x) && *x == 11, "parent still sees its own data");
	result(!touch(&p, a, MMU_WRITE, &x) && p.counts.cow_reuses == 1 && pa_of(&p, a) == pp,
	       "parent's write takes its frame back without a copy");
	*x = 33;
	result(!touch(&c, a, MMU_READ, &y) && *y == 22, "child still sees its own data");
	/* the child's untouched pages: fresh zero pages of its own */
	result(!touch(&c, a + page, MMU_WRITE, &y) && *y == 0, "unfaulted pages demand-fault in the child");
	vm_space_destroy(&p);
	result(!touch(&c, a, MMU_READ, &y) && *y == 22, "child intact after the parent is gone");
	vm_space_destroy(&c);
	back_to(&b0);

	/* mremap moves translations: same frames, data intact */
	vm_space_init(&p);
	result(!vm_mmap(&p, 0, 4 * page, MMU_READ | MMU_WRITE, 0, &a), "mmap");
	for (unsigned i = 0; i < 4; i++) {
		touch(&p, a + i * page, MMU_WRITE, &x);
		*x = (uint8_t)(100 + i);
	}
	paddr_t before = pa_of(&p, a + 2 * page);
	vaddr_t blocker, moved;
	result(!vm_mmap(&p, a + 4 * page, page, MMU_READ, VM_FIXED, &blocker), "blocker after it");
	result(vm_mremap(&p, a, 4 * page, 64 * page, 0, &moved) == -ENOMEM, "no room, no VM_MAYMOVE: -ENOMEM");
	result(!vm_mremap(&p, a, 4 * page, 64 * page, VM_MAYMOVE, &moved) && moved != a, "moved");
	result(pa_of(&p, moved + 2 * page) == before && pa_of(&p, a) == 0, "same frame at the new place, old gone");
	result(!touch(&p, moved + 3 * page, MMU_READ, &x) && *x == 103, "data moved");
	vm_space_destroy(&p);
	back_to(&b0);
}

/* Accessed/dirty: how faults map pages, mmu_mkold/mmu_mkclean, and the
 * emulation the fault path asks the MMU layer for first. (The host's
 * reference walkers never fault for A/D, as hardware managing them would
 * not; the kernel suite shows the live MMU's side.) */
static void test_accessed_dirty(void)
{
	struct baseline b0 = take_baseline();
	struct vm_space vs;
	vaddr_t a;
	uint8_t *p;
	bool acc, dirty;

	vm_space_init(&vs);
	result(!vm_mmap(&vs, 0, 4 * page, MMU_READ | MMU_WRITE, 0, &a), "mmap");
	result(!touch(&vs, a, MMU_READ, &p) && find_ad(&vs, a, &acc, &dirty) && acc && !dirty,
	       "a read fault maps the page accessed and clean");
	result(!touch(&vs, a + page, MMU_WRITE, &p) && find_ad(&vs, a + page, &acc, &dirty) && acc && dirty,
	       "a write fault maps it accessed and dirty");
	result(mmu_fault_accessed(&vs.set, a, MMU_WRITE | MMU_USER) && find_ad(&vs, a, &acc, &dirty) &&
	       acc && dirty, "a write to the clean page: the layer marks it dirty");
	result(!mmu_fault_accessed(&vs.set, a, MMU_WRITE | MMU_USER), "nothing left to fix: false");
	result(!mmu_scan(&vs.set, a, a + 4 * page, age_fn, NULL) && find_ad(&vs, a, &acc, &dirty) &&
	       !acc && !dirty, "mmu_mkold/mmu_mkclean through mmu_scan: old and clean");
	result(mmu_fault_accessed(&vs.set, a, MMU_READ | MMU_USER) && find_ad(&vs, a, &acc, &dirty) &&
	       acc && !dirty, "a read of the old page: accessed, still clean");
	result(mmu_fault_accessed(&vs.set, a, MMU_WRITE | MMU_USER) && find_ad(&vs, a, &acc, &dirty) &&
	       acc && dirty, "then a write: dirty");
	result(!vm_mprotect(&vs, a, 4 * page, MMU_READ) && !mmu_scan(&vs.set, a, a + 4 * page, age_fn, NULL) &&
	       !mmu_fault_accessed(&vs.set, a, MMU_WRITE | MMU_USER) && find_ad(&vs, a, &acc, &dirty) &&
	       !acc && !dirty, "a write to a read-only page is not the layer's to fix");
	result(!mmu_fault_accessed(&vs.set, a + 2 * page, MMU_READ | MMU_USER), "nor an unmapped page");
	vm_space_destroy(&vs);
	back_to(&b0);
}

/* ---- the differential run ------------------------------------------------ */

#define NP 1024                     /* model pages per space */
#define NO_AREA 0xff

struct model {
	bool live;
	uint8_t prot[NP];           /* NO_AREA or MMU_READ/WRITE/EXEC bits */
	uint8_t data[NP];           /* first byte of every page */
	struct vm_space vs;
};

static struct model ms[MAX_SPACES];
static vaddr_t win;                 /* window base */

static unsigned rnd(unsigned n)
{
	return (unsigned)(rand() % (int)n);
}

static const uint8_t prots[] = { MMU_READ, MMU_READ | MMU_WRITE, MMU_READ | MMU_EXEC, 0,
                                 MMU_READ | MMU_WRITE };

static bool allowed(uint8_t prot, unsigned access)
{
	if (prot == NO_AREA)
		return false;
	if (access == MMU_EXEC)
		return prot & MMU_EXEC;
	if (access == MMU_WRITE)
		return prot & MMU_WRITE;
	return prot & (MMU_READ | MMU_WRITE);
}

/* Areas must be exactly the model's runs of equal prot. */
static bool same_areas(struct model *m)
{
	unsigned i = 0;
	size_t n = 0;

	if (vm_check(&m->vs))
		return false;
	while (i < NP) {
		if (m->prot[i] == NO_AREA) {
			if (vm_find_area(&m->vs, win + i * page))
				return false;
			i++;
			continue;
		}
		unsigned j = i;
		while (j < NP && m->prot[j] == m->prot[i])
			j++;
		struct vm_area *a = vm_find_area(&m->vs, win + i * page);
		if (!a || a->start != win + i * page || a->end != win + j * page || a->prot != m->prot[i])
			return false;
		n++;
		i = j;
	}
	return n == m->vs.nareas;
}

/* Every page: the walk never allows what the model forbids, and mapped
 * pages hold the model's data. */
static bool same_pages(struct model *m)
{
	for (unsigned i = 0; i < NP; i++) {
		static const unsigned acc[] = { MMU_READ, MMU_WRITE, MMU_EXEC };
		paddr_t pa;
		for (unsigned k = 0; k < 3; k++)
			if (!mmu_host_hw_translate(&m->vs.set, win + i * page, acc[k] | MMU_USER, &pa) &&
			    !allowed(m->prot[i], acc[k]))
				return result(false, "page %u (prot %#x) allows access %u", i, m->prot[i], acc[k]);
		if ((pa = pa_of(&m->vs, win + i * page)) && *(uint8_t *)phys_to_virt(pa) != m->data[i])
			return result(false, "page %u holds %u, model %u", i, *(uint8_t *)phys_to_virt(pa),
				      m->data[i]);
		if (m->prot[i] == NO_AREA && pa_of(&m->vs, win + i * page))
			return result(false, "page %u outside every area is mapped", i);
	}
	return true;
}

static void clear_pages(struct model *m, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		m->prot[i] = NO_AREA;
		m->data[i] = 0;
	}
}

static bool inject(void)
{
	if (rnd(6))
		return false;
	long n = rnd(4);
	if (rnd(2))
		mmu_host_fail_alloc_after(n);
	else
		frames_fail_alloc_after(n);
	return true;
}

static void uninject(void)
{
	mmu_host_fail_alloc_after(-1);
	frames_fail_alloc_after(-1);
}

/* A random page, inside some area most of the time when there is one. */
static unsigned pick(struct model *m)
{
	unsigned a = rnd(NP);
	for (unsigned tries = 0; tries < 32 && rnd(5) && m->prot[a] == NO_AREA; tries++)
		a = rnd(NP);
	return a;
}

static void step(unsigned *ops)
{
	unsigned s = rnd(MAX_SPACES);
	struct model *m = &ms[s];
	struct model saved;
	unsigned op = rnd(100), a = pick(m), len = 1 + rnd(op % 5 ? 16 : 300);
	vaddr_t out;
	uint8_t *p;
	int err;

	if (!m->live)
		return;
	if (a + len > NP)
		len = NP - a;
	saved = *m;
	bool injected = op >= 50 && inject();
	if (op < 50) {                                   /* touch */
		static const unsigned acc[] = { MMU_READ, MMU_WRITE, MMU_WRITE, MMU_EXEC };
		unsigned k = acc[rnd(4)];
		injected = inject();
		err = touch(&m->vs, win + a * page, k, &p);
		uninject();
		if (injected && err == -ENOMEM)
			return;
		int want = m->prot[a] == NO_AREA ? -EFAULT : allowed(m->prot[a], k) ? 0 : -EACCES;
		if (!result(err == want, "touch page %u access %u prot %#x: %d, expected %d", a, k,
			    m->prot[a], err, want))
			return;
		if (!err && k != MMU_EXEC) {
			result(*p == m->data[a], "page %u reads %u, model %u", a, *p, m->data[a]);
			if (k == MMU_WRITE)
				*p = m->data[a] = (uint8_t)(1 + rnd(255));
		}
		ops[0]++;
	} else if (op < 62) {                            /* mmap */
		uint8_t prot = prots[rnd(sizeof(prots))];
		bool fixed = rnd(2);
		err = vm_mmap(&m->vs, win + a * page, len * page, prot, fixed ? VM_FIXED : 0, &out);
		uninject();
		if (err) {
			bool room = fixed;
			if (!fixed)   /* a free run of len pages somewhere */
				for (unsigned i = 0, run = 0; i < NP && !room; i++)
					room = (run = m->prot[i] == NO_AREA ? run + 1 : 0) >= len;
			result((injected && err == -ENOMEM) || (!room && err == -ENOMEM),
			       "mmap %u pages: %d", len, err);
			goto unchanged;
		}
		unsigned at = (unsigned)((out - win) / page);
		if (!result(out >= win && at + len <= NP && (!fixed || at == a), "mmap placed at %#llx",
			    (unsigned long long)out))
			return;
		if (!fixed)
			for (unsigned i = at; i < at + len; i++)
				result(m->prot[i] == NO_AREA, "mmap over page %u in use", i);
		uint64_t align = page << best_order(len * page);
		bool aligned_room = false;   /* an aligned free run of len pages */
		for (unsigned i = 0; i + len <= NP && !aligned_room; i++) {
			if ((win + i * page) & (align - 1))
				continue;
			aligned_room = true;
			for (unsigned k = i; k < i + len && aligned_room; k++)
				aligned_room = m->prot[k] == NO_AREA;
		}
		result(fixed || !aligned_room || !(out & (align - 1)), "mmap at %#llx not aligned to %#llx",
		       (unsigned long long)out, (unsigned long long)align);
		clear_pages(m, at, at + len);
		memset(m->prot + at, prot, len);
		ops[1]++;
	} else if (op < 72) {                            /* munmap */
		err = vm_munmap(&m->vs, win + a * page, len * page);
		uninject();
		if (err) {
			result(injected && err == -ENOMEM, "munmap: %d", err);
			goto unchanged;
		}
		clear_pages(m, a, a + len);
		ops[2]++;
	} else if (op < 82) {                            /* mprotect */
		uint8_t prot = prots[rnd(sizeof(prots))];
		while (a > 0 && m->prot[a - 1] != NO_AREA && rnd(4))   /* from inside areas */
			a--, len = len > 1 ? len - 1 : 1;
		bool cov = true;
		for (unsigned i = a; i < a + len; i++)
			cov &= m->prot[i] != NO_AREA;
		err = vm_mprotect(&m->vs, win + a * page, len * page, prot);
		uninject();
		if (err) {
			result(err == -ENOMEM && (injected || !cov), "mprotect: %d (covered %d)", err, cov);
			goto unchanged;
		}
		result(cov, "mprotect of a range with holes succeeded");
		memset(m->prot + a, prot, len);
		ops[3]++;
	} else if (op < 92) {                            /* mremap */
		if (m->prot[a] == NO_AREA) {
			uninject();
			return;
		}
		unsigned end = a;
		while (end < NP && m->prot[end] == m->prot[a])
			end++;
		unsigned ol = 1 + rnd(end - a), nl = 1 + rnd(2 * ol + 8);
		bool may = rnd(2);
		bool in_place = nl <= ol;
		if (!in_place && a + ol == end) {
			in_place = a + nl <= NP;
			for (unsigned i = end; in_place && i < a + nl; i++)
				in_place = m->prot[i] == NO_AREA;
		}
		err = vm_mremap(&m->vs, win + a * page, ol * page, nl * page, may ? VM_MAYMOVE : 0, &out);
		uninject();
		if (err) {
			result(err == -ENOMEM && (injected || !in_place),
			       "mremap %u -> %u pages: %d", ol, nl, err);
			goto unchanged;
		}
		unsigned to = (unsigned)((out - win) / page);
		if (!result(out >= win && to + nl <= NP && (in_place ? to == a : may),
			    "mremap result %#llx", (unsigned long long)out))
			return;
		uint8_t prot = m->prot[a], data[NP];
		memcpy(data, m->data + a, ol);
		if (nl < ol)
			clear_pages(m, a + nl, a + ol);
		else if (in_place)
			memset(m->prot + a + ol, prot, nl - ol);
		else {
			for (unsigned i = to; i < to + nl; i++)
				result(m->prot[i] == NO_AREA, "mremap moved over page %u in use", i);
			clear_pages(m, a, a + ol);
			memset(m->prot + to, prot, nl);
			memcpy(m->data + to, data, ol);
		}
		ops[4]++;
	} else if (op < 96) {                            /* fork */
		unsigned c = 0;
		while (c < MAX_SPACES && ms[c].live)
			c++;
		if (c == MAX_SPACES) {
			uninject();
			return;
		}
		err = vm_fork(&ms[c].vs, &m->vs);
		uninject();
		if (err) {
			result(injected && err == -ENOMEM, "fork: %d", err);
			goto unchanged;
		}
		memcpy(ms[c].prot, m->prot, NP);
		memcpy(ms[c].data, m->data, NP);
		ms[c].live = true;
		ops[5]++;
	} else {                                         /* exit */
		uninject();
		unsigned live = 0;
		for (unsigned i = 0; i < MAX_SPACES; i++)
			live += ms[i].live;
		if (live > 1) {
			vm_space_destroy(&m->vs);
			m->live = false;
			ops[6]++;
		}
		return;
	}
	result(same_areas(m), "areas differ from the model after op %u", op);
	return;
unchanged:
	result(!memcmp(saved.prot, m->prot, NP) && same_areas(m), "a failed op %u changed the areas", op);
}

static void test_random(unsigned seeds, unsigned steps)
{
	for (unsigned seed = 1; seed <= seeds; seed++) {
		char name[96];
		unsigned ops[7] = { 0 };
		struct baseline b0 = take_baseline();
		snprintf(name, sizeof(name), "random (seed %u, %u steps)", seed, steps);
		GROUP(name) {
			srand(seed);
			win = 1ull << 30;
			memset(ms, 0, sizeof(ms));
			vm_space_init(&ms[0].vs);
			ms[0].vs.lo = win;
			ms[0].vs.hi = win + NP * page;
			ms[0].live = true;
			memset(ms[0].prot, NO_AREA, NP);
			for (unsigned i = 0; i < steps && failures < 20; i++) {
				step(ops);
				if (i % 64 == 63)
					for (unsigned s = 0; s < MAX_SPACES; s++)
						if (ms[s].live)
							result(same_pages(&ms[s]), "space %u pages after step %u", s, i);
			}
			for (unsigned s = 0; s < MAX_SPACES; s++)
				if (ms[s].live) {
					result(same_pages(&ms[s]), "space %u pages at the end", s);
					vm_space_destroy(&ms[s].vs);
				}
			back_to(&b0);
			printf("  ops: %u touches, %u mmap, %u munmap, %u mprotect, %u mremap, %u fork, %u exit\n",
			       ops[0], ops[1], ops[2], ops[3], ops[4], ops[5], ops[6]);
		}
	}
}

int main(int argc, char **argv)
{
	const char *es = getenv("VM_SEEDS"), *et = getenv("VM_STEPS");
	unsigned seeds = argc > 1 ? (unsigned)atoi(argv[1]) : es ? (unsigned)atoi(es) : 3;
	unsigned steps = argc > 2 ? (unsigned)atoi(argv[2]) : et ? (unsigned)atoi(et) : 400;

	if (host_ram_init(SIM_BYTES, &ram) || mmu_host_init(TABLE_MEM))
		return 2;
	for (size_t m = 0; m < mmu_mode_count(); m++) {
		start_mode(m);
		char name[96];
		snprintf(name, sizeof(name), "%s: demand paging, page sizes, fallback, refused faults",
			 mmu_mode_name(m));
		GROUP(name)
			test_demand();
		snprintf(name, sizeof(name), "%s: copy-on-write fork, mremap moves translations",
			 mmu_mode_name(m));
		GROUP(name)
			test_cow();
		snprintf(name, sizeof(name), "%s: accessed and dirty", mmu_mode_name(m));
		GROUP(name)
			test_accessed_dirty();
		printf("mode %s:\n", mmu_mode_name(m));
		test_random(seeds, steps);
	}
	return failures ? 1 : 0;
}
