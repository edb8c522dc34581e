/*
 * The user-mode suite (boot argument test.tasks): each check runs
 * user/utest.c in one or more tasks and looks at how they ended and what
 * the kernel counted. A task the kernel must stop has to end killed by a
 * fault while a task beside it runs on and exits 0; every frame and table
 * page must be back once every task has ended.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "task.h"
#include "uapi/origami_syscall.h"
#include "../../user/utest.h"

#define MAX_ENDED TASK_MAX

struct ended {
	unsigned n;
	struct {
		int pid, status;
		uint64_t cow_copies, cow_reuses;
		/* a forked child, as it ends: its pages that are the same
		 * frame in its parent's set, and those that are not */
		unsigned shared, distinct;
	} t[MAX_ENDED];
};

struct share_count {
	mmu_translation_set_t *other;
	unsigned shared, distinct;
};

/* mmu_scan of the child's set: is the frame at va also the parent's? */
static mmu_entry_t share_fn(mmu_entry_t e, vaddr_t va, void *priv)
{
	struct share_count *c = priv;
	mmu_transaction_t ta;
	mmu_entry_t o;

	mmu_transaction(&ta, c->other);
	if (!mmu_find(&ta, va, &o)) {
		if (mmu_entry_pa(o) + (va - mmu_current_va(&ta)) == mmu_entry_pa(e))
			c->shared++;
		else
			c->distinct++;
	}
	mmu_forget(&ta);
	return e;
}

static void record_end(const struct task *t, void *priv)
{
	struct ended *e = priv;

	task_report(t);
	if (e->n < MAX_ENDED) {
		e->t[e->n].pid = t->pid;
		e->t[e->n].status = t->status;
		e->t[e->n].cow_copies = t->vs.counts.cow_copies;
		e->t[e->n].cow_reuses = t->vs.counts.cow_reuses;
		if (t->parent) {
			struct share_count c = { &t->parent->vs.set, 0, 0 };

			mmu_scan((mmu_translation_set_t *)&t->vs.set, 0, t->vs.hi, share_fn, &c);
			e->t[e->n].shared = c.shared;
			e->t[e->n].distinct = c.distinct;
		}
		e->n++;
	}
}

static struct user_program utest(void)
{
	struct user_program p;

	if (user_program("utest", &p))
		panic("tasks suite: no utest program embedded");
	return p;
}

/* Run the checks which[0..n) with addr, one task each, to their end. */
static bool run(struct ended *e, const enum utest *which, unsigned n, uint64_t addr, int *pids)
{
	struct user_program p = utest();

	memset(e, 0, sizeof(*e));
	for (unsigned i = 0; i < n; i++) {
		pids[i] = task_spawn("utest", p.elf, p.len, which[i], addr);
		if (pids[i] < 0) {
			kprintf("tasks suite: spawn failed: %d\n", pids[i]);
			return false;
		}
	}
	tasks_on_end(record_end, e);
	tasks_run();
	tasks_on_end(NULL, NULL);
	return true;
}

static int status_of(const struct ended *e, int pid)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->t[i].pid == pid)
			return e->t[i].status;
	return -1;
}

/* A check that must end in exit 0. */
static void expect_exit0(struct ktest *t, enum utest which, uint64_t addr, const char *what)
{
	struct ended e;
	int pid, st;

	run(&e, &which, 1, addr, &pid);
	st = status_of(&e, pid);
	ktest_check(t, st == W_EXITCODE(0), "%s (wait status %#x)", what, st);
}

/* A task that must be killed, beside one that must finish. */
static void expect_killed(struct ktest *t, enum utest which, uint64_t addr, const char *what)
{
	enum utest two[2] = { which, UTEST_OK };
	struct ended e;
	int pids[2];

	run(&e, two, 2, addr, pids);
	ktest_check(t, status_of(&e, pids[0]) == WSIG_FAULT && status_of(&e, pids[1]) == W_EXITCODE(0),
		    "%s: the task is killed (status %#x), its neighbour exits 0 (%#x)", what,
		    status_of(&e, pids[0]), status_of(&e, pids[1]));
}

static volatile uint64_t kernel_word = 0x5eed;

void tasks_tests(struct ktest *t)
{
	struct frames_stats before, after;
	uint64_t kdata = (uint64_t)(uintptr_t)&kernel_word;
	uint64_t ktext = (uint64_t)(uintptr_t)tasks_tests;
	struct ended e;
	enum utest fork_cow = UTEST_FORK_COW;
	int pid;

	frames_get_stats(&before);

	/* fork + copy on write: the user side checks the values, the kernel
	 * that the child's first write copied the shared frame. */
	run(&e, &fork_cow, 1, 0, &pid);
	ktest_check(t, status_of(&e, pid) == W_EXITCODE(0) && e.n == 2,
		    "fork: parent and child each see only their own writes (status %#x, %u tasks)",
		    status_of(&e, pid), e.n);
	ktest_check(t, e.n == 2 && e.t[0].pid != pid && e.t[0].cow_copies >= 1,
		    "fork: the child's first writes copied shared frames (%llu copies)",
		    e.n ? (unsigned long long)e.t[0].cow_copies : 0ull);
	/* As the child ends (its parent waiting): the pages neither side
	 * wrote are still one frame in both sets; those the child or the
	 * parent wrote since the fork are two. */
	ktest_check(t, e.n == 2 && e.t[0].shared >= 1 &&
		       e.t[0].distinct >= e.t[0].cow_copies,
		    "fork: a frame stays shared until written (%u pages shared, %u apart)",
		    e.n ? e.t[0].shared : 0, e.n ? e.t[0].distinct : 0);

	expect_killed(t, UTEST_READ, 8, "segfault: a read outside every area");
	expect_killed(t, UTEST_WRITE_TEXT, 0, "segfault: a write against the area's protection");
	expect_killed(t, UTEST_READ, kdata, "kernel memory: a user read");
	expect_killed(t, UTEST_WRITE, kdata, "kernel memory: a user write");
	expect_killed(t, UTEST_EXEC, ktext, "kernel memory: a user fetch");
	ktest_check(t, kernel_word == 0x5eed, "kernel memory: the word a task wrote is unchanged");
	expect_killed(t, UTEST_UNDEF, 0, "an illegal instruction");
	expect_exit0(t, UTEST_WILD_SP, kdata,
		     "a system call with the user stack pointer on kernel memory");

	expect_exit0(t, UTEST_BAD_POINTERS, kdata,
		     "system calls with kernel or unmapped pointers get -EFAULT, unknown ones -ENOSYS");
	expect_exit0(t, UTEST_MEMORY, 0, "mmap, mprotect, mremap, munmap, malloc from user mode");

	enum utest regs[2] = { UTEST_REGISTERS, UTEST_REGISTERS };
	int pids[2];
	run(&e, regs, 2, 0, pids);
	ktest_check(t, status_of(&e, pids[0]) == W_EXITCODE(0) &&
		       status_of(&e, pids[1]) == W_EXITCODE(0),
		    "two tasks taking turns each keep their thread pointer and SIMD registers "
		    "(status %#x, %#x)", status_of(&e, pids[0]), status_of(&e, pids[1]));

	frames_get_stats(&after);
	ktest_check(t, after.free_bytes == before.free_bytes &&
		       !memcmp(after.in_use, before.in_use, sizeof(after.in_use)),
		    "every frame and table page back once every task ended (free %llu KiB, was %llu)",
		    (unsigned long long)(after.free_bytes >> 10),
		    (unsigned long long)(before.free_bytes >> 10));
}
