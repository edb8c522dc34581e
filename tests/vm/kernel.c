/*
 * The core's memory code on the live MMU (every arch, in the boot's test
 * run; test.vm=off skips it, vm.ptdump=1 prints both spaces at the end): demand paging through the real trap path
 * (a kernel access through arch_probe_* faults, the arch's trap handler
 * calls fault_handle, vm_fault maps, the access is retried), page sizes,
 * refused faults, copy-on-write across a set switch, accessed/dirty as
 * mmu_find reports them, and every frame back at the end. The host runs
 * the same logic against a model (tests/vm/vm_test.c); this shows the
 * hardware agrees.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "kernel.h"
#include "vm.h"
#include "ad.h"

#define MIB (1ull << 20)

/* Where the test's areas live: 2 MiB aligned, not 4 MiB aligned, so only
 * pages up to 2 MiB fit whatever larger sizes the mode has. */
#define TEST_BASE ((1ull << 30) + 2 * MIB)

static uint64_t page(void)
{
	return 1ull << mmu_geometry()->page_shift;
}

/* The largest native size <= limit that frames can back. */
static unsigned best_order(uint64_t limit)
{
	const struct mmu_geometry *g = mmu_geometry();
	unsigned best = 0;

	for (unsigned o = 0; o < 64 && g->page_shift + o <= FRAME_MAX_SHIFT; o++)
		if ((g->native_orders >> o & 1) && (page() << o) <= limit)
			best = o;
	return best;
}

static void run_in(struct vm_space *vs)
{
	mmu_activate(vs ? &vs->set : mmu_kernel_set());
	vm_set_current(vs);
}

static void test_demand(struct ktest *t, struct vm_space *vs)
{
	const uint64_t len = 4 * MIB;
	unsigned o = best_order(2 * MIB);
	uint64_t size = page() << o, val;
	vaddr_t at;
	bool ok = true;

	ktest_check(t, !vm_mmap(vs, TEST_BASE, len, MMU_READ | MMU_WRITE, VM_FIXED, &at),
		    "mmap a 4M anonymous area at %#llx", (unsigned long long)TEST_BASE);
	for (vaddr_t va = at; va < at + len && ok; va += page()) {
		val = va ^ 0x5a5a;
		ok = !trap_probe(MMU_WRITE, va, &val, NULL);
	}
	ktest_check(t, ok, "a write to every page succeeds through the trap path");
	ktest_check(t, vs->counts.faults == len / size && vs->counts.mapped[o] == len / size,
		    "%llu faults mapped %llu pages of %llu KiB (expected %llu)",
		    (unsigned long long)vs->counts.faults, (unsigned long long)vs->counts.mapped[o],
		    (unsigned long long)(size >> 10), (unsigned long long)(len / size));
	for (vaddr_t va = at; va < at + len && ok; va += page())
		ok = !trap_probe(MMU_READ, va, &val, NULL) && val == (va ^ 0x5a5a);
	ktest_check(t, ok, "every page reads back what was written, no further fault (%llu)",
		    (unsigned long long)vs->counts.faults);

	/*
	 * Accessed and dirty as mmu_find reports them: made old and clean,
	 * the page becomes accessed on a read and dirty on a write, by the
	 * hardware (x86; RISC-V where the CPU updates A/D; arm64 with
	 * FEAT_HAFDBS) or by the layer from the fault (the rest).
	 */
	bool acc, dirty;
	ktest_check(t, find_ad(vs, at, &acc, &dirty) && acc && dirty, "the written page is accessed and dirty");
	ktest_check(t, !mmu_scan(&vs->set, at, at + size, age_fn, NULL) && find_ad(vs, at, &acc, &dirty) &&
		    !acc && !dirty, "mmu_mkold/mmu_mkclean: old and clean");
	uint64_t ad0 = vs->counts.ad_faults;
	ok = !trap_probe(MMU_READ, at + 8, &val, NULL) && find_ad(vs, at, &acc, &dirty);
	ktest_check(t, ok && acc && !dirty, "a read: accessed, still clean (accessed %d dirty %d)", acc, dirty);
	val = 7;
	ok = !trap_probe(MMU_WRITE, at + 8, &val, NULL) && find_ad(vs, at, &acc, &dirty);
	ktest_check(t, ok && acc && dirty, "a write: dirty (accessed %d dirty %d)", acc, dirty);
	kprintf("vm: accessed/dirty on this CPU: %s (%llu emulation faults)\n",
		vs->counts.ad_faults == ad0 ? "hardware-managed" : "emulated by the MMU layer",
		(unsigned long long)(vs->counts.ad_faults - ad0));

	/* Refused faults map nothing and reach the trap report path (here:
	 * the probe's expected fault). */
	struct trap_info ti;
	int err = trap_probe(MMU_READ, at + len + 8 * MIB, &val, &ti);
	ktest_check(t, err == -EFAULT && vs->counts.segv == 1, "a read outside any area faults (%d)", err);
	vaddr_t ro;
	ktest_check(t, !vm_mmap(vs, 0, page(), MMU_READ, 0, &ro), "mmap read-only");
	val = 1;
	err = trap_probe(MMU_WRITE, ro, &val, &ti);
	ktest_check(t, err == -EFAULT && vs->counts.segv == 2, "a write to a read-only area faults (%d)", err);
	ktest_check(t, !trap_probe(MMU_READ, ro, &val, NULL) && val == 0, "its read gets a zero page");
}

static void test_cow(struct ktest *t, struct vm_space *parent, struct vm_space *child)
{
	uint64_t val = 0x1111;
	vaddr_t a = TEST_BASE;

	ktest_check(t, !trap_probe(MMU_WRITE, a, &val, NULL), "parent writes");
	ktest_check(t, !vm_fork(child, parent), "fork");
	run_in(child);
	ktest_check(t, !trap_probe(MMU_READ, a, &val, NULL) && val == 0x1111, "child reads the parent's data");
	val = 0x2222;
	bool ok = !trap_probe(MMU_WRITE, a, &val, NULL);
	ktest_check(t, ok && child->counts.cow_copies == 1,
		    "child's write copies the frame (%llu copies)", (unsigned long long)child->counts.cow_copies);
	run_in(parent);
	ktest_check(t, !trap_probe(MMU_READ, a, &val, NULL) && val == 0x1111, "parent still sees its data");
	val = 0x3333;
	ktest_check(t, !trap_probe(MMU_WRITE, a, &val, NULL) && parent->counts.cow_reuses == 1,
		    "parent's write takes its frame back");
	run_in(child);
	ktest_check(t, !trap_probe(MMU_READ, a, &val, NULL) && val == 0x2222, "child still sees its data");
	run_in(parent);
}

void vm_kernel_tests(struct ktest *t)
{
	struct frames_stats before, after;
	struct vm_space parent, child;

	frames_get_stats(&before);
	if (!ktest_check(t, !vm_space_init(&parent), "vm_space_init"))
		return;
	arch_user_access(true);     /* the probes reach user pages as copy helpers do */
	run_in(&parent);
	test_demand(t, &parent);
	test_cow(t, &parent, &child);
	char arg[8];
	if (cmdline_get(current_boot_info()->cmdline, "vm.ptdump", arg, sizeof(arg))) {
		vm_dump(&parent);   /* boot argument vm.ptdump=1: both spaces' user halves */
		vm_dump(&child);
	}
	run_in(NULL);
	arch_user_access(false);
	vm_space_destroy(&child);
	vm_space_destroy(&parent);
	frames_get_stats(&after);
	ktest_check(t, after.free_bytes == before.free_bytes && after.mapped_frames == 0,
		    "every frame and table page back (free %llu of %llu bytes)",
		    (unsigned long long)after.free_bytes, (unsigned long long)before.free_bytes);
}
