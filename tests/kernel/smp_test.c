/*
 * The in-kernel SMP suite (include/smp.h, smp_tests), run by kmain() (core/main.c) when
 * more than one CPU is online:
 *  1. every online CPU answers a cross-call, on its own stack, and finds
 *     its own struct cpu through the per-CPU register;
 *  2. the TLB shootdown: CPU A remaps a page that CPU B keeps reading;
 *     once A's mmu_commit returned (A then publishes the round), B must
 *     never read the old frame through it. Round r maps frame r mod
 *     REMAP_FRAMES, which holds r: B, having seen round r published,
 *     must read r or more. Without the shootdown B's TLB keeps the old
 *     translation and this fails (docs/smp.md, "Tests");
 *  3. ASID roll-over under many sets (asid_test);
 *  4. concurrent transactions: every CPU maps and unmaps pages of its own
 *     range of one set at once, with no lock around the transactions (the
 *     MMU layer's region locks, docs/transactions.md "Locking"); the set
 *     then equals the union of the CPUs' models, its table pages equal
 *     those of the same entries added by one CPU, and removing it gives
 *     every frame back (conc_test).
 *  5. demand faults on one page from every CPU at once (fault_race_test):
 *     the page is mapped once, every CPU sees every other's writes;
 *  6. the boot CPU answers a shootdown while it spins in a loop that
 *     never polls (spin_test: x86 must take the IPI as an interrupt);
 *  7. ... and while it runs a user task that spins (user_spin_test: x86
 *     user tasks run with interrupts on).
 * Everything is freed again; the frame allocator's counts must agree.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "smp.h"
#include "task.h"
#include "vm.h"
#include "uapi/origami_syscall.h"
#include "../../user/utest.h"

/* Remap rounds, and reads B makes of a round before it acknowledges it. */
#define REMAP_ROUNDS     16
#define READS_PER_ROUND  64
/* How long a CPU waits for the other before calling the test failed, in
 * polls: generous for QEMU's vCPUs on a loaded host. */
#define WAIT_POLLS       200000000ull
/* The user-half page the remap test uses, in a set of its own. */
#define REMAP_VA         0x40000000ull
/* Frames the rounds rotate through: a frame is rewritten for a new round
 * only when B acknowledged the round after the one that unmapped it. */
#define REMAP_FRAMES     4

/* ---- 1. cross-calls and per-CPU data ---- */

static struct {
	volatile uint64_t ran;                 /* mask of CPUs that ran who_am_i */
	volatile uint64_t bad_self;            /* ...and found another CPU's struct */
	volatile uint64_t sp[SMP_MAX_CPUS];
} who;

static void who_am_i(void *arg)
{
	struct cpu *c = this_cpu();
	unsigned i = (unsigned)(c - cpus);
	uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);

	(void)arg;
	/* Its own struct: the index, and the id the CPU itself reports (a
	 * CPU that started on another's start word would not match). */
	if (i >= smp_cpu_count || c->index != i || c->hwid != arch_cpu_hwid())
		__atomic_fetch_or(&who.bad_self, 1ull << (i < 64 ? i : 63), __ATOMIC_RELAXED);
	else
		who.sp[i] = sp;
	__atomic_fetch_or(&who.ran, 1ull << c->index, __ATOMIC_RELEASE);
}

/* Run on CPU 1: a call of its own to the CPU *arg. */
static void relay(void *arg)
{
	const unsigned *target = arg;

	smp_call(1ull << *target, who_am_i, NULL);
}

static void cross_calls(struct ktest *t)
{
	uint64_t online = smp_online_mask();
	bool stacks_ok = true;

	memset((void *)&who, 0, sizeof(who));
	smp_call(online, who_am_i, NULL);
	ktest_check(t, who.ran == online && !who.bad_self,
		    "cross-call: every online CPU (mask %#llx) ran it and found its own struct cpu "
		    "(ran %#llx, wrong %#llx)", (unsigned long long)online,
		    (unsigned long long)who.ran, (unsigned long long)who.bad_self);
	for (unsigned i = 1; i < smp_cpu_count; i++) {
		uint64_t top = cpus[i].stack_top, sp = who.sp[i];

		if ((online & (1ull << i)) && !(sp < top && sp >= top - (1ull << CPU_STACK_SHIFT)))
			stacks_ok = false;
	}
	ktest_check(t, stacks_ok, "cross-call: each secondary CPU ran it on its own stack");
	/* Calls from a secondary CPU to another: both ends of the mailbox
	 * work on every CPU, not only from the boot CPU. */
	if (smp_cpu_count > 2 && (online & 6) == 6) {
		who.ran = 0;
		unsigned target = 2;

		smp_call(1ull << 1, relay, &target);
		ktest_check(t, who.ran == (1ull << 2), "cross-call: CPU 1 calls CPU 2 (ran %#llx)",
			    (unsigned long long)who.ran);
	}
}

/* ---- 2. the TLB shootdown ---- */

static struct {
	mmu_translation_set_t set;
	volatile uint64_t round;        /* A: the last round whose commit returned */
	volatile uint64_t acked;        /* B: the last round it read READS_PER_ROUND times */
	volatile bool stop, started;
	volatile uint64_t stale;        /* B: reads of the old frame after the commit */
	volatile uint64_t first_stale;  /* the round of the first (REMAP_ROUNDS + 1: none) */
	volatile uint64_t reads;
	volatile uint64_t faults;       /* B: reads that faulted (arm64 break-before-make) */
	volatile uint64_t asid_checks, asid_wrong;   /* B: its registers' ASID against the set's */
} rm;

/* CPU B: read REMAP_VA through rm.set until told to stop. */
static void remap_reader(void *arg)
{
	uint64_t seen = ~0ull, count = 0;

	(void)arg;
	mmu_activate(&rm.set);
	__atomic_store_n(&rm.started, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rm.stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = __atomic_load_n(&rm.round, __ATOMIC_ACQUIRE);
		uint64_t v;

		/* A remap that changes the frame of a live page may go
		 * through an invalid entry (Arm ARM D8.16.1, break-before-
		 * make): a read in that window faults, and is tried again. */
		if (trap_probe(MMU_READ, REMAP_VA, &v, NULL)) {
			rm.faults++;
			continue;
		}
		rm.reads++;
		/* The ASID this CPU runs the set under must stay the set's:
		 * shootdowns name the set's. */
		if (!(rm.reads % READS_PER_ROUND)) {
			rm.asid_checks++;
			if (smp_cpu_asid() != smp_set_asid(&rm.set))
				rm.asid_wrong++;
		}
		if (v < r) {
			if (!rm.stale)
				rm.first_stale = r;
			rm.stale++;
		}
		if (r != seen) {
			seen = r;
			count = 0;
		} else if (++count == READS_PER_ROUND) {
			__atomic_store_n(&rm.acked, r, __ATOMIC_RELEASE);
		}
	}
	mmu_activate(mmu_kernel_set());
}

static bool wait_for(volatile uint64_t *what, uint64_t value)
{
	for (uint64_t polls = 0; polls < WAIT_POLLS; polls++)
		if (__atomic_load_n(what, __ATOMIC_ACQUIRE) == value)
			return true;
	return false;
}

/* set maps REMAP_VA to pa (a new entry, or in place of the one there). */
static int map_page(mmu_translation_set_t *set, paddr_t pa, bool replace)
{
	mmu_transaction_t ta;
	mmu_entry_t e = mmu_mkentry(pa, MMU_READ | MMU_WRITE);
	int err;

	mmu_transaction(&ta, set);
	err = replace ? mmu_find(&ta, REMAP_VA, NULL) : 0;
	if (!err)
		err = replace ? mmu_update(&ta, e) : mmu_add(&ta, e, REMAP_VA);
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}

/* Before each round's remap, churn (if any) may do what else the test
 * wants to happen between the reader's reads (the ASID test: roll-overs);
 * returns 0 or an error that ends the test. */
static void remap_test(struct ktest *t, const char *name, unsigned reader, int (*churn)(uint64_t))
{
	const struct mmu_geometry *g = mmu_geometry();
	struct smp_tlb_stats before, after;
	paddr_t frame[REMAP_FRAMES];
	uint64_t r;
	bool timely = true;
	int err;

	memset((void *)&rm, 0, sizeof(rm));
	bool have = true;
	for (unsigned i = 0; i < REMAP_FRAMES; i++)
		have &= (frame[i] = frames_alloc(g->page_shift)) != 0;
	if (!have || (err = mmu_new_translation_set(&rm.set))) {
		ktest_check(t, false, "%s: %u frames and a translation set", name, REMAP_FRAMES);
		goto free_frames;
	}
	*(volatile uint64_t *)phys_to_virt(frame[0]) = 0;
	if ((err = map_page(&rm.set, frame[0], false))) {
		ktest_check(t, false, "%s: map %#llx (error %d)", name, (unsigned long long)REMAP_VA, err);
		goto free_set;
	}
	rm.acked = ~0ull;   /* round 0 is acknowledged only once B has read it */
	smp_get_tlb_stats(&before);
	smp_call_async(reader, remap_reader, NULL);
	for (r = 0; r < REMAP_ROUNDS; r++) {
		if (!wait_for(&rm.acked, r)) {
			timely = false;
			break;
		}
		*(volatile uint64_t *)phys_to_virt(frame[(r + 1) % REMAP_FRAMES]) = r + 1;
		if ((churn && (err = churn(r))) ||
		    (err = map_page(&rm.set, frame[(r + 1) % REMAP_FRAMES], true)))
			break;
		__atomic_store_n(&rm.round, r + 1, __ATOMIC_RELEASE);
	}
	if (timely && !err)
		timely = wait_for(&rm.acked, REMAP_ROUNDS);
	/* A commit that only adds an entry, while the reader runs the set:
	 * no shootdown where TLBs cache no invalid entries. */
	struct smp_tlb_stats mid, post;
	int add_err = -EINVAL;
	paddr_t spare = frame[(r + 2) % REMAP_FRAMES];
	if (timely && !err) {
		mmu_transaction_t ta;

		smp_get_tlb_stats(&mid);
		mmu_transaction(&ta, &rm.set);
		add_err = mmu_add(&ta, mmu_mkentry(spare, MMU_READ), REMAP_VA + (1ull << g->page_shift));
		if (add_err)
			mmu_forget(&ta);
		else
			add_err = mmu_commit(&ta);
		smp_get_tlb_stats(&post);
	}
	__atomic_store_n(&rm.stop, true, __ATOMIC_RELEASE);
	smp_call_wait(reader);
	smp_get_tlb_stats(&after);

	ktest_check(t, !err && timely, "%s: %u rounds of remapping %#llx on CPU %u while CPU %u "
		    "reads it (error %d, %s)", name, REMAP_ROUNDS, (unsigned long long)REMAP_VA,
		    this_cpu()->index, reader, err, timely ? "in time" : "the reader stopped answering");
	ktest_check(t, !rm.stale, "%s: after each commit returned, CPU %u never read the old "
		    "frame (%llu stale reads of %llu, first in round %llu; %llu reads faulted)",
		    name, reader, (unsigned long long)rm.stale, (unsigned long long)rm.reads,
		    (unsigned long long)rm.first_stale, (unsigned long long)rm.faults);
	ktest_check(t, !rm.asid_wrong, "%s: CPU %u's registers held the set's hardware ASID "
		    "(%llu checks, %llu wrong)", name, reader, (unsigned long long)rm.asid_checks,
		    (unsigned long long)rm.asid_wrong);
	if (!add_err) {
		uint64_t shot_add = 0;
		for (unsigned k = SMP_SHOOTDOWN_NONE + 1; k < SMP_SHOOTDOWN_KINDS; k++)
			shot_add += post.shootdowns[k] - mid.shootdowns[k];
		bool need = smp_adds_need_shootdown();
		ktest_check(t, need ? shot_add >= 1 : shot_add == 0 && post.adds_skipped > mid.adds_skipped,
			    "%s: a commit that only adds a page while CPU %u runs the set: %llu "
			    "shootdowns (%s)", name, reader, (unsigned long long)shot_add,
			    need ? "needed: harts may cache invalid entries" :
			    "none needed: no TLB holds invalid entries");
	} else if (timely && !err) {
		ktest_check(t, false, "%s: add a page next to %#llx (error %d)", name,
			    (unsigned long long)REMAP_VA, add_err);
	}
	uint64_t shot = 0;   /* shootdowns that did something */
	for (unsigned k = SMP_SHOOTDOWN_NONE + 1; k < SMP_SHOOTDOWN_KINDS; k++)
		shot += after.shootdowns[k] - before.shootdowns[k];
	kprintf("smp: %s: %llu commits, %llu flushes, %llu shootdowns "
		"(none %llu, broadcast %llu, firmware %llu, IPI %llu) reaching %llu CPUs\n",
		name, (unsigned long long)r, (unsigned long long)(after.flushes - before.flushes),
		(unsigned long long)shot,
		(unsigned long long)(after.shootdowns[SMP_SHOOTDOWN_NONE] - before.shootdowns[SMP_SHOOTDOWN_NONE]),
		(unsigned long long)(after.shootdowns[SMP_SHOOTDOWN_BROADCAST] - before.shootdowns[SMP_SHOOTDOWN_BROADCAST]),
		(unsigned long long)(after.shootdowns[SMP_SHOOTDOWN_FIRMWARE] - before.shootdowns[SMP_SHOOTDOWN_FIRMWARE]),
		(unsigned long long)(after.shootdowns[SMP_SHOOTDOWN_IPI] - before.shootdowns[SMP_SHOOTDOWN_IPI]),
		(unsigned long long)(after.targets - before.targets));
	ktest_check(t, shot >= r, "%s: each of the %llu commits reached the reader's CPU "
		    "(%llu shootdowns)", name, (unsigned long long)r, (unsigned long long)shot);
free_set:
	mmu_remove_translation_set(&rm.set);
free_frames:
	for (unsigned i = 0; i < REMAP_FRAMES; i++)
		if (frame[i])
			frames_free(frame[i], g->page_shift);
}

/* ---- 3. ASID roll-over under many sets ---- */

/*
 * With ASIDs cut to a few more than the CPUs (smp_asid_limit), many sets
 * take turns on the CPUs; each must read its own frame every time (no
 * two sets' entries under one ASID in any TLB). Then the remap test again
 * while the other sets roll the ASIDs over before every round and a third
 * CPU loads the reader's set in between (a new context for it, unless the
 * roll-over kept the ASID the reader runs under, as it must: else the
 * shootdown of the next commit names an ASID the reader's TLB does not
 * hold its entries under).
 */
#define ASID_SETS_PER_CPU 3
#define ASID_STEPS        48

static struct {
	mmu_translation_set_t sets[SMP_MAX_CPUS * ASID_SETS_PER_CPU];
	paddr_t frames[SMP_MAX_CPUS * ASID_SETS_PER_CPU];
	bool live[SMP_MAX_CPUS * ASID_SETS_PER_CPU];
	unsigned nsets;
	volatile uint64_t wrong, checks;
	unsigned helper;
} as;

/* On some CPU: load set k (arg), read its page, leave it loaded. */
static void asid_visit(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	uint64_t v = ~0ull;

	mmu_activate(&as.sets[k]);
	if (trap_probe(MMU_READ, REMAP_VA, &v, NULL) || v != k ||
	    smp_cpu_asid() != smp_set_asid(&as.sets[k]))
		__atomic_fetch_add(&as.wrong, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&as.checks, 1, __ATOMIC_RELAXED);
}

static void back_to_kernel_set(void *arg)
{
	(void)arg;
	mmu_activate(mmu_kernel_set());
}

/* On the helper CPU: load the reader's set, then the kernel's again. */
static void load_reader_set(void *arg)
{
	(void)arg;
	mmu_activate(&rm.set);
	mmu_activate(mmu_kernel_set());
}

/* Between two remap rounds: every other set on this CPU (more than the
 * ASIDs: at least one roll-over), the reader's set on the helper. */
static int asid_churn(uint64_t round)
{
	for (unsigned k = 0; k < as.nsets; k++)
		asid_visit((void *)(uintptr_t)((k + round) % as.nsets));
	mmu_activate(mmu_kernel_set());
	if (as.helper)
		smp_call(1ull << as.helper, load_reader_set, NULL);
	return 0;
}

static void asid_test(struct ktest *t, uint64_t online, unsigned reader)
{
	const struct mmu_geometry *g = mmu_geometry();
	unsigned ncpu = (unsigned)__builtin_popcountll(online), limit = smp_cpu_count + 2;
	uint64_t before = smp_asid_rollovers();
	int err = 0;

	memset(&as, 0, sizeof(as));
	as.nsets = smp_cpu_count * ASID_SETS_PER_CPU;
	for (unsigned k = 0; k < as.nsets && !err; k++) {
		if (!(as.frames[k] = frames_alloc(g->page_shift))) {
			err = -ENOMEM;
			break;
		}
		*(volatile uint64_t *)phys_to_virt(as.frames[k]) = k;
		if ((err = mmu_new_translation_set(&as.sets[k])))
			break;
		as.live[k] = true;
		err = map_page(&as.sets[k], as.frames[k], false);
	}
	if (!ktest_check(t, !err, "ASID: %u sets, each mapping %#llx to a frame of its own "
			 "(error %d)", as.nsets, (unsigned long long)REMAP_VA, err))
		goto out;
	smp_asid_limit(limit);
	for (unsigned step = 0; step < ASID_STEPS; step++) {
		unsigned cpu = step % smp_cpu_count, k = (step * 7 + step / as.nsets) % as.nsets;

		if (online & (1ull << cpu))
			smp_call(1ull << cpu, asid_visit, (void *)(uintptr_t)k);
	}
	smp_call(online, back_to_kernel_set, NULL);
	bool tags = smp_asid_tags();   /* else every switch flushes: no roll-over */
	if (!tags)
		kprintf("SKIP smp: ASID roll-overs: this CPU has no ASIDs (PCIDs): the sets are "
			"checked, the roll-over counts are not\n");
	ktest_check(t, !as.wrong && (!tags || smp_asid_rollovers() - before >= 2),
		    "ASID: %u sets on %u CPUs with %u hardware ASIDs: %llu loads, each read its own "
		    "frame under its own ASID (%llu wrong), %llu roll-overs", as.nsets, ncpu, tags ? limit - 1 : 0,
		    (unsigned long long)as.checks, (unsigned long long)as.wrong,
		    (unsigned long long)(smp_asid_rollovers() - before));
	for (unsigned i = 1; i < smp_cpu_count && !as.helper; i++)
		if (i != reader && (online & (1ull << i)))
			as.helper = i;
	before = smp_asid_rollovers();
	remap_test(t, "ASID roll-over remap", reader, asid_churn);
	ktest_check(t, !as.wrong && (!tags || smp_asid_rollovers() - before >= REMAP_ROUNDS),
		    "ASID roll-over remap: %llu roll-overs during it, every set read its own frame "
		    "(%llu wrong)", (unsigned long long)(smp_asid_rollovers() - before),
		    (unsigned long long)as.wrong);
	smp_asid_limit(0);
out:
	for (unsigned k = 0; k < as.nsets; k++) {
		if (as.live[k])
			mmu_remove_translation_set(&as.sets[k]);
		if (as.frames[k])
			frames_free(as.frames[k], g->page_shift);
	}
}

/* ---- 4. concurrent transactions on one set ---- */

#define CONC_PAGES   8        /* per CPU at most, in a leaf-table region of its own */
#define CONC_TXNS    401      /* committed transactions per CPU (odd: the last maps) */
#define CONC_VA      0x40000000ull

static struct {
	mmu_translation_set_t set;
	uint64_t region;                             /* what one leaf table translates */
	volatile unsigned ready;
	unsigned ncpu;
	unsigned pages, ops;                         /* per CPU; changes per transaction, at most */
	int err[SMP_MAX_CPUS];
	uint64_t busy[SMP_MAX_CPUS], commits[SMP_MAX_CPUS];
	uint64_t lost[SMP_MAX_CPUS];                 /* own pages found otherwise than committed */
	uint16_t model[SMP_MAX_CPUS][CONC_PAGES];   /* 0: unmapped; else 1 + its pa's serial */
} cc;

static vaddr_t conc_va(unsigned cpu, unsigned k)
{
	return CONC_VA + cpu * cc.region + ((vaddr_t)k << mmu_geometry()->page_shift);
}

static paddr_t conc_pa(unsigned cpu, unsigned serial)
{
	/* Never accessed (the set is never loaded): any aligned address. */
	return ((paddr_t)(cpu + 1) << 32) + ((paddr_t)serial << mmu_geometry()->page_shift);
}

/* On every CPU at once: CONC_TXNS transactions of one to three changes to
 * its own pages, each applied to its model only once committed; -EBUSY (a
 * table above the leaves changing for another CPU) forgets and retries. */
static void conc_worker(void *arg)
{
	unsigned cpu = this_cpu()->index;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (cpu + 1);
	uint16_t scratch[CONC_PAGES];
	unsigned serial = 0, refused = 0;

	(void)arg;
	__atomic_fetch_add(&cc.ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&cc.ready, __ATOMIC_ACQUIRE) < cc.ncpu)
		;
	for (unsigned done = 0; done < CONC_TXNS && !cc.err[cpu];) {
		mmu_transaction_t ta;
		int err = 0;

		memcpy(scratch, cc.model[cpu], sizeof(scratch));
		mmu_transaction(&ta, &cc.set);
		for (unsigned n = 1 + done % cc.ops, j = 0; j < n && !err; j++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			unsigned k = (unsigned)(seed % cc.pages);
			if (scratch[k]) {
				err = mmu_find(&ta, conc_va(cpu, k), NULL);
				if (!err)
					err = mmu_remove(&ta);
				if (!err)
					scratch[k] = 0;
			} else {
				serial++;
				err = mmu_add(&ta, mmu_mkentry(conc_pa(cpu, serial), MMU_READ | MMU_WRITE),
				              conc_va(cpu, k));
				if (!err)
					scratch[k] = (uint16_t)serial;
			}
		}
		if (err) {
			mmu_forget(&ta);
			if (err != -EBUSY) {
				cc.err[cpu] = err;
				continue;
			}
			/* The layer never waits: a refused transaction backs off
			 * for a random while, growing with each refusal in a row,
			 * so that CPUs that each hold their own region while
			 * asking for the whole set do not refuse each other for
			 * ever (docs/transactions.md, "Locking"). */
			cc.busy[cpu]++;
			refused += refused < 12;
			for (uint64_t spin = seed % (16ull << refused); spin; spin--)
				__asm__ volatile("" ::: "memory");
			continue;
		}
		refused = 0;
		if ((err = mmu_commit(&ta))) {
			cc.err[cpu] = err;
			break;
		}
		memcpy(cc.model[cpu], scratch, sizeof(scratch));
		cc.commits[cpu]++;
		done++;
		/* Its own pages as committed, at once: a table another CPU
		 * unlinked (or a link another commit overwrote) shows here. */
		for (unsigned k = 0; k < cc.pages; k++) {
			mmu_entry_t e;
			mmu_transaction(&ta, &cc.set);
			int rc = mmu_find(&ta, conc_va(cpu, k), &e);
			mmu_forget(&ta);
			if (cc.model[cpu][k] ? rc || mmu_entry_pa(e) != conc_pa(cpu, cc.model[cpu][k])
			                     : rc != -ENOENT)
				cc.lost[cpu]++;
		}
	}
}

/* pages per CPU, ops changes per transaction at most: with one page and
 * one change, every transaction links or unlinks its CPU's leaf table, and
 * the upper table all of them hang from empties whenever every CPU's page
 * is unmapped at once (then only one transaction may unlink it). */
static void conc_test(struct ktest *t, uint64_t online, const char *name, unsigned pages,
                      unsigned ops)
{
	const struct mmu_geometry *g = mmu_geometry();
	struct frames_stats before, after;
	uint64_t cpus_mask = online & ~(1ull << this_cpu()->index);
	mmu_translation_set_t ref;
	mmu_transaction_t ta;
	uint64_t busy = 0, commits = 0, wrong = 0, npages = 0, lost = 0;
	int err = 0;

	frames_get_stats(&before);
	memset(&cc, 0, sizeof(cc));
	cc.pages = pages;
	cc.ops = ops;
	cc.region = 1ull << (2 * g->page_shift - 3);
	cc.ncpu = (unsigned)__builtin_popcountll(online);
	if (cc.ncpu > SMP_MAX_CPUS || (err = mmu_new_translation_set(&cc.set))) {
		ktest_check(t, false, "concurrent %s: a translation set (error %d)", name, err);
		return;
	}
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (cpus_mask & (1ull << i))
			smp_call_async(i, conc_worker, NULL);
	conc_worker(NULL);
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (cpus_mask & (1ull << i))
			smp_call_wait(i);
	for (unsigned i = 0; i < smp_cpu_count; i++) {
		busy += cc.busy[i], commits += cc.commits[i], lost += cc.lost[i];
		if (cc.err[i] && !err)
			err = cc.err[i];
	}
	ktest_check(t, !err && !lost, "concurrent %s: %u CPUs, %llu commits on disjoint ranges "
		    "of one set, no lock around them; own pages found as committed (%llu not); "
		    "%llu -EBUSY retried; error %d", name, cc.ncpu, (unsigned long long)commits,
		    (unsigned long long)lost, (unsigned long long)busy, err);

	/* The set against the union of the models, and the same entries
	 * added by one CPU into a fresh set: as many table pages. */
	bool ref_made = !mmu_new_translation_set(&ref), have_ref = ref_made;
	mmu_transaction(&ta, &ref);
	for (unsigned i = 0; i < smp_cpu_count; i++)
		for (unsigned k = 0; (online & (1ull << i)) && k < cc.pages; k++) {
			mmu_transaction_t rd;
			mmu_entry_t e;
			mmu_transaction(&rd, &cc.set);
			int rc = mmu_find(&rd, conc_va(i, k), &e);
			mmu_forget(&rd);
			if (!cc.model[i][k]) {
				wrong += rc != -ENOENT;
				continue;
			}
			npages++;
			wrong += rc || mmu_entry_pa(e) != conc_pa(i, cc.model[i][k]);
			if (have_ref && mmu_add(&ta, mmu_mkentry(conc_pa(i, cc.model[i][k]),
			                                          MMU_READ | MMU_WRITE), conc_va(i, k)))
				have_ref = false;
		}
	if (mmu_commit(&ta))
		have_ref = false;
	struct mmu_stats st, rs;
	mmu_stats(&cc.set, &st);
	mmu_stats(&ref, &rs);
	/* Statistics count the shared kernel half too: compare with ref's. */
	ktest_check(t, !wrong && have_ref && st.entries[0] == rs.entries[0] &&
		    st.mapped_bytes == rs.mapped_bytes,
		    "concurrent %s: the set equals the union of the CPUs' models (%llu pages, %llu "
		    "wrong; statistics: %llu base-page entries, %llu for the same added by one CPU)",
		    name, (unsigned long long)npages, (unsigned long long)wrong,
		    (unsigned long long)st.entries[0], (unsigned long long)rs.entries[0]);
	ktest_check(t, have_ref && st.table_pages == rs.table_pages,
		    "concurrent %s: %llu table pages, as for the same entries added by one CPU (%llu)",
		    name, (unsigned long long)st.table_pages, (unsigned long long)rs.table_pages);
	if (ref_made)
		mmu_remove_translation_set(&ref);
	mmu_remove_translation_set(&cc.set);
	frames_get_stats(&after);
	ktest_check(t, after.free_bytes == before.free_bytes,
		    "concurrent %s: no table page leaked (%llu KiB free before, %llu KiB after)",
		    name, (unsigned long long)(before.free_bytes >> 10),
		    (unsigned long long)(after.free_bytes >> 10));
}

/* ---- 5. demand faults on one page from several CPUs at once ---- */

/*
 * Every online CPU runs one address space and, at the same moment (a
 * barrier before each round), writes its own word of a page nothing has
 * mapped yet: each takes the demand fault, and all but one find the page
 * mapped once they get vm_fault's lock. Each round's page lies 1 GiB from
 * the last, beyond the reach of any leaf table in every mode (4 KiB pages:
 * 2 MiB; 64 KiB: 512 MiB), so the racing faults also race to add tables. Then every CPU reads every
 * word: one frame per page, or a CPU's write went to a frame the page
 * no longer maps. Without the space's lock two CPUs allocate a frame and
 * run transactions on the set at once (docs/memory.md, "More CPUs").
 */
#define FAULT_ROUNDS 64
#define FAULT_STRIDE (1ull << 30)

static struct {
	struct vm_space vs;
	vaddr_t base;
	uint64_t stride;
	unsigned ncpu;                  /* CPUs taking part */
	volatile uint64_t arrived;      /* barrier: arrivals so far */
	volatile uint64_t failed;       /* writes whose fault was not resolved */
	volatile uint64_t wrong;        /* reads of another CPU's word that missed its write */
} fr;

/* Wait until all CPUs reached barrier number k (counted from 1). */
static bool fault_barrier(uint64_t k)
{
	uint64_t want = k * fr.ncpu;

	__atomic_fetch_add(&fr.arrived, 1, __ATOMIC_ACQ_REL);
	for (uint64_t polls = 0; polls < WAIT_POLLS; polls++)
		if (__atomic_load_n(&fr.arrived, __ATOMIC_ACQUIRE) >= want)
			return true;
	return false;
}

static uint64_t fault_word(unsigned round, unsigned slot)
{
	return (uint64_t)round << 8 | (slot + 1);
}

/* On each CPU; arg: its slot (0 .. ncpu - 1). */
static void fault_racer(void *arg)
{
	unsigned slot = (unsigned)(uintptr_t)arg;

	mmu_activate(&fr.vs.set);
	vm_set_current(&fr.vs);
	arch_user_access(true);
	for (unsigned r = 0; r < FAULT_ROUNDS; r++) {
		vaddr_t page = fr.base + r * fr.stride;
		uint64_t v = fault_word(r, slot);

		if (!fault_barrier(2 * r + 1)) {
			__atomic_fetch_add(&fr.failed, 1, __ATOMIC_RELAXED);
			break;
		}
		if (trap_probe(MMU_WRITE, page + slot * sizeof(uint64_t), &v, NULL))
			__atomic_fetch_add(&fr.failed, 1, __ATOMIC_RELAXED);
		if (!fault_barrier(2 * r + 2)) {
			__atomic_fetch_add(&fr.failed, 1, __ATOMIC_RELAXED);
			break;
		}
		for (unsigned j = 0; j < fr.ncpu; j++)
			if (trap_probe(MMU_READ, page + j * sizeof(uint64_t), &v, NULL) ||
			    v != fault_word(r, j))
				__atomic_fetch_add(&fr.wrong, 1, __ATOMIC_RELAXED);
	}
	arch_user_access(false);
	vm_set_current(NULL);
	mmu_activate(mmu_kernel_set());
}

struct fault_scan { uint64_t entries, bad_order; paddr_t pa[FAULT_ROUNDS]; };

static mmu_entry_t fault_scan_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct fault_scan *fs = priv;
	uint64_t r = (va - fr.base) / fr.stride;

	if (mmu_entry_order(e) || r >= FAULT_ROUNDS)
		fs->bad_order++;
	else
		fs->pa[r] = mmu_entry_pa(e);
	fs->entries++;
	return e;
}

static void fault_race_test(struct ktest *t, uint64_t online)
{
	unsigned slots[SMP_MAX_CPUS], self = this_cpu()->index;
	struct frames_stats before, mapped;

	memset((void *)&fr, 0, sizeof(fr));
	fr.stride = FAULT_STRIDE;
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (online & (1ull << i))
			slots[i] = fr.ncpu++;
	frames_get_stats(&before);
	int err = vm_space_init(&fr.vs);
	if (!err) {
		fr.vs.max_order = 0;   /* base pages only, countable */
		err = vm_mmap(&fr.vs, 0, FAULT_ROUNDS * fr.stride, MMU_READ | MMU_WRITE, 0, &fr.base);
	}
	if (!ktest_check(t, !err, "fault race: a space with a %llu MiB area (error %d)",
			 (unsigned long long)(FAULT_ROUNDS * fr.stride >> 20), err))
		goto out;
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if ((online & (1ull << i)) && i != self)
			smp_call_async(i, fault_racer, (void *)(uintptr_t)slots[i]);
	fault_racer((void *)(uintptr_t)slots[self]);
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if ((online & (1ull << i)) && i != self)
			smp_call_wait(i);

	struct fault_scan fs;
	memset(&fs, 0, sizeof(fs));
	err = mmu_scan(&fr.vs.set, 0, fr.base + FAULT_ROUNDS * fr.stride, fault_scan_fn, &fs);
	bool distinct = true, single = true;
	for (unsigned r = 0; r < FAULT_ROUNDS; r++) {
		for (unsigned q = 0; q < r; q++)
			distinct &= fs.pa[r] != fs.pa[q];
		single &= fs.pa[r] && frames_refcount(fs.pa[r]) == 1;
	}
	frames_get_stats(&mapped);
	const struct vm_counts *c = &fr.vs.counts;
	/* A base page is 2^(page_shift - FRAME_MIN_SHIFT) frames (16 with 64K granules). */
	uint64_t page_frames = 1ull << (mmu_geometry()->page_shift - FRAME_MIN_SHIFT);
	ktest_check(t, !fr.failed && !fr.wrong,
		    "fault race: %u CPUs wrote a word each of %u unmapped pages at once, then read "
		    "all of them (%llu writes failed, %llu reads missed a write)", fr.ncpu,
		    FAULT_ROUNDS, (unsigned long long)fr.failed, (unsigned long long)fr.wrong);
	ktest_check(t, !err && fs.entries == FAULT_ROUNDS && !fs.bad_order && distinct && single &&
		    c->mapped[0] == FAULT_ROUNDS &&
		    mapped.mapped_frames - before.mapped_frames == FAULT_ROUNDS * page_frames,
		    "fault race: each page mapped once: %llu entries, %llu demand maps, %llu frames "
		    "in use for %u pages of %llu frames (%llu faults, %llu found the page mapped by "
		    "another CPU)",
		    (unsigned long long)fs.entries, (unsigned long long)c->mapped[0],
		    (unsigned long long)(mapped.mapped_frames - before.mapped_frames), FAULT_ROUNDS,
		    (unsigned long long)page_frames, (unsigned long long)c->faults, (unsigned long long)c->spurious);
	vm_space_destroy(&fr.vs);
	frames_get_stats(&mapped);
	ktest_check(t, mapped.free_bytes == before.free_bytes,
		    "fault race: every frame and table page back (%llu KiB free before, %llu after)",
		    (unsigned long long)(before.free_bytes >> 10),
		    (unsigned long long)(mapped.free_bytes >> 10));
	return;
out:
	vm_space_destroy(&fr.vs);
}

/* ---- 6. a shootdown reaches a CPU that spins without polling ---- */

static struct {
	mmu_translation_set_t set;
	volatile bool done;
	volatile int err;
} sp;

/* On the other CPU: remap the page the boot CPU's set holds. */
static void spin_remapper(void *arg)
{
	paddr_t pa = *(const paddr_t *)arg;

	sp.err = map_page(&sp.set, pa, true);
	__atomic_store_n(&sp.done, true, __ATOMIC_RELEASE);
}

/*
 * This CPU runs a set, another CPU changes a page of it (its commit must
 * shoot this CPU's TLB down before it returns), and this CPU meanwhile
 * spins on a flag without answering anything (no smp_call_wait, no
 * arch_smp_poll): the commit returns only if this CPU answers at any
 * time (x86: the IPI taken as an interrupt). Then this CPU must read the
 * new frame.
 */
static void spin_test(struct ktest *t, unsigned other)
{
	const struct mmu_geometry *g = mmu_geometry();
	paddr_t f[2] = { frames_alloc(g->page_shift), frames_alloc(g->page_shift) };
	struct cpu *self = this_cpu();
	uint64_t received = self->shootdowns_received, v = 0, polls;
	int err = -ENOMEM;

	memset((void *)&sp, 0, sizeof(sp));
	if (f[0] && f[1] && !(err = mmu_new_translation_set(&sp.set))) {
		*(volatile uint64_t *)phys_to_virt(f[0]) = 1;
		*(volatile uint64_t *)phys_to_virt(f[1]) = 2;
		if ((err = map_page(&sp.set, f[0], false)))
			mmu_remove_translation_set(&sp.set);
	}
	if (!ktest_check(t, !err, "spin: a set mapping %#llx (error %d)",
			 (unsigned long long)REMAP_VA, err))
		goto free_frames;
	mmu_activate(&sp.set);
	if (trap_probe(MMU_READ, REMAP_VA, &v, NULL) || v != 1)
		v = ~0ull;   /* the old translation, now in this CPU's TLB */
	smp_call_async(other, spin_remapper, &f[1]);
	for (polls = 0; polls < WAIT_POLLS && !__atomic_load_n(&sp.done, __ATOMIC_ACQUIRE); polls++)
		;
	bool answered = sp.done;
	smp_call_wait(other);   /* this one polls: the remap ends either way */
	uint64_t now = 0;
	bool read_ok = v == 1 && !trap_probe(MMU_READ, REMAP_VA, &now, NULL) && now == 2;
	mmu_activate(mmu_kernel_set());
	ktest_check(t, answered && !sp.err && read_ok,
		    "spin: CPU %u's commit on a set CPU %u runs returned while CPU %u spun without "
		    "polling (%s after %llu spins, error %d; CPU %u then read %llu, want 2; "
		    "%llu shootdown IPIs served)", other, self->index, self->index,
		    answered ? "returned" : "still waiting", (unsigned long long)polls, sp.err,
		    self->index, (unsigned long long)now,
		    (unsigned long long)(self->shootdowns_received - received));
	mmu_remove_translation_set(&sp.set);
free_frames:
	for (unsigned i = 0; i < 2; i++)
		if (f[i])
			frames_free(f[i], g->page_shift);
}

/* ---- 7. a shootdown reaches a CPU running a user task ---- */

/* The user task's word (UTEST_SPIN maps it), and where the other CPU
 * adds and removes a page of the task's set: user-half addresses no
 * program here uses (they load at 4 MiB; mmap hands out the lowest). */
#define SPIN_WORD_VA   0x40000000ull
#define SPIN_CHANGE_VA 0x80000000ull

static struct {
	volatile bool running;          /* cleared when the task ends (user_spin_end) */
	volatile bool answered;         /* the removal's commit returned while it ran */
	volatile bool told;             /* the word was written: the task may stop */
	volatile int err;
	int status;                     /* the task's wait status */
	uint64_t waits;                 /* polls before the task's word was mapped */
} us;

static void user_spin_end(const struct task *t, void *priv)
{
	(void)priv;
	us.status = t->status;
	__atomic_store_n(&us.running, false, __ATOMIC_RELEASE);
}

/* One transaction on set: add pa at va (add) or remove va. The caller
 * holds the task's vm_space lock, as every vm_* call does (a region held
 * here would turn the task's own demand fault into -EBUSY and a kill). */
static int user_spin_change(mmu_translation_set_t *set, vaddr_t va, paddr_t pa, bool add)
{
	int err = -EBUSY;

	for (unsigned tries = 0; err == -EBUSY && tries < 1000; tries++) {
		mmu_transaction_t ta;

		mmu_transaction(&ta, set);
		err = add ? mmu_add(&ta, mmu_mkentry(pa, MMU_READ | MMU_USER), va)
		          : mmu_find(&ta, va, NULL);
		if (!err && !add)
			err = mmu_remove(&ta);
		if (err)
			mmu_forget(&ta);
		else
			err = mmu_commit(&ta);
	}
	return err;
}

/*
 * On the other CPU, while the boot CPU runs the task: once the task's
 * word is mapped (it is spinning in user mode then), add a page to the
 * task's set (adds only: x86 and arm64 need no shootdown) and remove it
 * again: that commit returns only when the boot CPU's TLB dropped the
 * page, with the boot CPU in user code all along. Then write 1 into the
 * task's word (through the direct map) so that it ends.
 */
static void user_spin_remover(void *arg)
{
	paddr_t pa = *(const paddr_t *)arg;
	mmu_translation_set_t *set = NULL, *kset = mmu_kernel_set();
	struct vm_space *vs = NULL;
	mmu_entry_t word;
	int err = -ENOENT;   /* the word never mapped */

	for (us.waits = 0; us.waits < WAIT_POLLS && us.running; us.waits++) {
		set = __atomic_load_n(&cpus[0].active_set, __ATOMIC_ACQUIRE);
		if (!set || set == kset)
			continue;
		mmu_transaction_t ta;

		/* The task's set is its vm_space's (core/task.c). */
		vs = (struct vm_space *)(void *)((char *)set - offsetof(struct vm_space, set));
		spin_lock(&vs->lock);
		mmu_transaction(&ta, set);
		err = mmu_find(&ta, SPIN_WORD_VA, &word);
		mmu_forget(&ta);
		if (!err)
			break;   /* still holding the lock */
		spin_unlock(&vs->lock);
		err = -ENOENT;
	}
	if (err)
		goto out;
	/* Spinning once it wrote 2 (UTEST_SPIN): a 1 written before that
	 * store would be lost under it. */
	volatile uint64_t *w = phys_to_virt(mmu_entry_pa(word) +
	                                    (SPIN_WORD_VA & ((1ull << mmu_geometry()->page_shift) - 1)));
	for (uint64_t polls = 0; *w != 2 && polls < WAIT_POLLS && us.running; polls++)
		;
	err = *w == 2 ? user_spin_change(set, SPIN_CHANGE_VA, pa, true) : -EAGAIN;
	if (!err)
		err = user_spin_change(set, SPIN_CHANGE_VA, pa, false);
	us.answered = !err && __atomic_load_n(&us.running, __ATOMIC_ACQUIRE);
	if (us.answered) {
		*w = 1;
		us.told = true;
	}
	spin_unlock(&vs->lock);
out:
	us.err = err;
}

/*
 * This CPU runs a user task that spins (UTEST_SPIN) while another CPU
 * changes the task's set: the change's commit must return while the task
 * still runs, i.e. this CPU answered its shootdown from user mode (x86:
 * the IPI taken in ring 3). Without that, the commit waits until the task
 * gives up after UTEST_SPIN_MAX rounds and exits (status 2).
 */
static void user_spin_test(struct ktest *t, unsigned other)
{
	const struct mmu_geometry *g = mmu_geometry();
	paddr_t pa = frames_alloc(g->page_shift);
	struct user_program p;
	int pid = -ENOMEM;

	memset((void *)&us, 0, sizeof(us));
	if (pa && !user_program("utest", &p))
		pid = task_spawn("spin", p.elf, p.len, UTEST_SPIN, SPIN_WORD_VA);
	if (!ktest_check(t, pid > 0, "user spin: a task (pid %d)", pid))
		goto out;
	us.running = true;
	tasks_on_end(user_spin_end, NULL);
	smp_call_async(other, user_spin_remover, &pa);
	tasks_run();
	tasks_on_end(NULL, NULL);
	smp_call_wait(other);
	ktest_check(t, us.answered && us.told && !us.err && WIFEXITED(us.status) &&
		    WEXITSTATUS(us.status) == 0,
		    "user spin: CPU %u's commit on the set of a task CPU %u runs returned while the "
		    "task spun in user mode (%s, error %d, after %llu polls for its word; task "
		    "status %#x, want exit 0)", other, this_cpu()->index,
		    us.answered ? "returned" : "returned only after it ended", us.err,
		    (unsigned long long)us.waits, (unsigned)us.status);
out:
	if (pa)
		frames_free(pa, g->page_shift);
}

void smp_tests(struct ktest *t)
{
	struct frames_stats before, after;
	uint64_t online = smp_online_mask();
	unsigned reader = 0;

	frames_get_stats(&before);
	cross_calls(t);
	for (unsigned i = 1; i < smp_cpu_count && !reader; i++)
		if (online & (1ull << i))
			reader = i;
	if (reader) {
		remap_test(t, "remap", reader, NULL);
		asid_test(t, online, reader);
		conc_test(t, online, "(8 pages a CPU)", 8, 3);
		conc_test(t, online, "(1 page a CPU, links and unlinks)", 1, 1);
		fault_race_test(t, online);
		spin_test(t, reader);
		user_spin_test(t, reader);
	}
	frames_get_stats(&after);
	ktest_check(t, after.free_bytes == before.free_bytes,
		    "no frame leaked: %llu KiB free before, %llu KiB after",
		    (unsigned long long)(before.free_bytes >> 10),
		    (unsigned long long)(after.free_bytes >> 10));
}
