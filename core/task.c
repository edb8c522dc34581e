/*
 * User tasks and their scheduler (include/task.h; docs/tasks.md).
 *
 * A task is a slot of a fixed table: its address space (struct vm_space),
 * a kernel stack whose top holds the trap frame of its user registers, a
 * pid, a parent. Every trap from user mode runs on the kernel stack of the
 * task that took it and ends in task_resume_frame(), which returns the
 * frame the arch resumes: the same task's, or, when the scheduler was
 * asked to (every system call, a blocking wait, an exit, a kill), the
 * next runnable task's in round-robin order. So there is no kernel-side
 * context switch: a task is always either in user mode or in the one trap
 * the kernel is handling for it right now, and a switch is a change of
 * the frame the trap returns to (plus the address space and the kernel
 * stack the next trap from user mode starts on).
 *
 * The kernel's own thread (kmain) enters this world with tasks_run(),
 * which saves its context and resumes the first task; when no task is
 * left, the last trap handler goes back to that context
 * (arch_tasks_leave). A task's kernel stack is given back only when
 * nothing runs on it any more: at the next system call of another task,
 * when its parent collects it, or when tasks_run() returns.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "task.h"
#include "vm.h"
#include "uapi/origami_syscall.h"

/* 16 KiB of kernel stack per task: the deepest path is a system call
 * whose copy faults (fault handler, vm_fault, an mmu transaction), with
 * the trap frame of the user registers on top. */
#define TASK_KSTACK_SHIFT 14
/* The lowest word of every kernel stack: a task whose kernel path ran
 * past its stack would have overwritten the frame below it in memory
 * (stacks have no guard page: they are direct-map blocks). Checked on
 * every return to user mode; a mismatch is a broken invariant. */
#define KSTACK_CANARY 0x6f72696761d1c0deull
/* User stack: an anonymous area, demand paged, placed by vm_mmap. */
#define USER_STACK_SIZE (256u << 10)

static struct task tasks[TASK_MAX];
static struct task *current;
static int next_pid = 1;
static bool resched;                    /* switch at the end of this trap */
static struct arch_kernel_context kernel_ctx;
static task_end_fn end_fn;
static void *end_priv;

struct task *task_current(void)
{
	return current;
}

void tasks_on_end(task_end_fn fn, void *priv)
{
	end_fn = fn;
	end_priv = priv;
}

static uint64_t kstack_top(const struct task *t)
{
	return (uint64_t)(uintptr_t)phys_to_virt(t->kstack_pa) + (1ull << TASK_KSTACK_SHIFT);
}

/* The address space and the kernel stack of t from now on. */
static void switch_to(struct task *t)
{
	current = t;
	vm_set_current(&t->vs);
	mmu_activate(&t->vs.set);
	arch_set_kernel_stack(kstack_top(t));
}

/* Back to the kernel's own set (the running task's set is about to go,
 * or no task runs). */
static void switch_to_kernel(void)
{
	vm_set_current(NULL);
	mmu_activate(mmu_kernel_set());
}

/* Give back the kernel stacks nothing runs on any more, and the slots of
 * ended tasks no parent will collect. */
static void reap(void)
{
	for (struct task *t = tasks; t < tasks + TASK_MAX; t++) {
		if (t->state != TASK_ZOMBIE || t == current)
			continue;
		if (t->kstack_pa) {
			frames_free(t->kstack_pa, TASK_KSTACK_SHIFT);
			t->kstack_pa = 0;
		}
		if (!t->parent)
			t->state = TASK_FREE;
	}
}

static struct task *task_alloc(const char *name)
{
	for (struct task *t = tasks; t < tasks + TASK_MAX; t++) {
		if (t->state != TASK_FREE)
			continue;
		memset(t, 0, sizeof(*t));
		t->kstack_pa = frames_alloc(TASK_KSTACK_SHIFT);
		if (!t->kstack_pa)
			return NULL;
		t->pid = next_pid++;
		*(uint64_t *)phys_to_virt(t->kstack_pa) = KSTACK_CANARY;
		ksnprintf(t->name, sizeof(t->name), "%s", name);
		t->frame = (struct trap_frame *)(uintptr_t)(kstack_top(t) - arch_trap_frame_size);
		return t;
	}
	return NULL;
}

static void task_free_unstarted(struct task *t)
{
	frames_free(t->kstack_pa, TASK_KSTACK_SHIFT);
	t->kstack_pa = 0;
	t->state = TASK_FREE;
}

int task_spawn(const char *name, const void *elf, size_t len, uint64_t arg0, uint64_t arg1)
{
	struct vm_space *prev = vm_current();
	struct task *t;
	uint64_t entry;
	vaddr_t stack;
	int err;

	if (current)
		panic("task_spawn from task %d: only the kernel's thread spawns", current->pid);
	if (!(t = task_alloc(name)))
		return -EAGAIN;
	if ((err = vm_space_init(&t->vs))) {
		task_free_unstarted(t);
		return err;
	}
	/* The loader writes the program through the task's own mappings,
	 * demand faults and all, so its set is the active one meanwhile. */
	vm_set_current(&t->vs);
	mmu_activate(&t->vs.set);
	err = elf_load(&t->vs, elf, len, &entry);
	if (!err)
		err = vm_mmap(&t->vs, 0, USER_STACK_SIZE, MMU_READ | MMU_WRITE,
			      VM_PRIVATE | VM_ANON, &stack);
	vm_set_current(prev);
	mmu_activate(prev ? &prev->set : mmu_kernel_set());
	if (err) {
		vm_space_destroy(&t->vs);
		task_free_unstarted(t);
		return err;
	}
	arch_user_frame_init(t->frame, entry, stack + USER_STACK_SIZE, arg0, arg1);
	t->state = TASK_RUNNABLE;
	return t->pid;
}

/* The next task to run after the current one, round robin over the
 * table; NULL if none is runnable. */
static struct task *pick_next(void)
{
	size_t start = current ? (size_t)(current - tasks) + 1 : 0;

	for (size_t i = 0; i < TASK_MAX; i++) {
		struct task *t = &tasks[(start + i) % TASK_MAX];

		if (t->state == TASK_RUNNABLE)
			return t;
	}
	return NULL;
}

struct trap_frame *task_resume_frame(struct trap_frame *f)
{
	struct task *next;

	/* Only the trap that came from the current task's user mode switches:
	 * a nested trap (a copy helper's fault) returns where it was. */
	if (!current || f != current->frame)
		return f;
	if (*(uint64_t *)phys_to_virt(current->kstack_pa) != KSTACK_CANARY)
		panic("task %d (%s): kernel stack overflow (the word at 0x%llx is gone)",
		      current->pid, current->name, (unsigned long long)current->kstack_pa);
	if (!resched)
		return f;
	resched = false;
	next = pick_next();
	if (!next) {
		for (struct task *t = tasks; t < tasks + TASK_MAX; t++)
			if (t->state == TASK_WAITING)
				panic("task %d waits and nothing can run: a child must exist", t->pid);
		current = NULL;
		switch_to_kernel();
		arch_tasks_leave(&kernel_ctx);
	}
	if (next != current)
		switch_to(next);
	return next->frame;
}

int tasks_run(void)
{
	struct task *first;

	if (current)
		panic("tasks_run from task %d", current->pid);
	current = NULL;
	first = pick_next();
	if (first) {
		switch_to(first);
		arch_tasks_enter(&kernel_ctx, first->frame);
	}
	/* Back on the kernel's stack: every task has ended. */
	current = NULL;
	reap();
	return 0;
}

static const char *access_name(unsigned access)
{
	return access & MMU_EXEC ? "exec" : access & MMU_WRITE ? "write" :
	       access & MMU_READ ? "read" : "-";
}

void task_kill_on_trap(const struct trap_info *ti)
{
	struct task *t = current;

	if (!t)
		panic("a trap from user mode with no task running: %s at pc 0x%llx", ti->cause,
		      (unsigned long long)ti->pc);
	if (ti->has_fault_addr) {
		struct vm_area *a = vm_find_area(&t->vs, ti->fault_addr);

		if (a)
			kprintf("task %d (%s): killed: %s, %s of 0x%llx at pc 0x%llx, "
				"area [0x%llx, 0x%llx) %c%c%c\n", t->pid, t->name, ti->cause,
				access_name(ti->access), (unsigned long long)ti->fault_addr,
				(unsigned long long)ti->pc, (unsigned long long)a->start,
				(unsigned long long)a->end, a->prot & MMU_READ ? 'r' : '-',
				a->prot & MMU_WRITE ? 'w' : '-', a->prot & MMU_EXEC ? 'x' : '-');
		else
			kprintf("task %d (%s): killed: %s, %s of 0x%llx at pc 0x%llx, no area\n",
				t->pid, t->name, ti->cause, access_name(ti->access),
				(unsigned long long)ti->fault_addr, (unsigned long long)ti->pc);
	} else {
		kprintf("task %d (%s): killed: %s at pc 0x%llx\n", t->pid, t->name, ti->cause,
			(unsigned long long)ti->pc);
	}
	task_exit(t, WSIG_FAULT);
}

void task_exit(struct task *t, int status)
{
	if (t == current)
		switch_to_kernel();
	t->status = status;
	if (end_fn)
		end_fn(t, end_priv);
	vm_space_destroy(&t->vs);
	for (struct task *c = tasks; c < tasks + TASK_MAX; c++)
		if (c->state != TASK_FREE && c->parent == t)
			c->parent = NULL;       /* orphans: nobody collects them */
	t->state = TASK_ZOMBIE;
	if (t->parent && t->parent->state == TASK_WAITING)
		t->parent->state = TASK_RUNNABLE;   /* its wait runs again */
	resched = true;
}

void task_yield(void)
{
	resched = true;
}

long task_fork(void)
{
	struct task *p = current, *c = task_alloc(p->name);
	int err;

	if (!c)
		return -EAGAIN;
	if ((err = vm_fork(&c->vs, &p->vs))) {
		task_free_unstarted(c);
		return err;
	}
	/* The child resumes from the same system call, returning 0. */
	memcpy(c->frame, p->frame, arch_trap_frame_size);
	arch_syscall_set_return(c->frame, 0);
	c->parent = p;
	c->state = TASK_RUNNABLE;
	return c->pid;
}

long task_wait(uint64_t status_uptr)
{
	struct task *p = current;
	bool children = false;

	for (struct task *c = tasks; c < tasks + TASK_MAX; c++) {
		if (c->state == TASK_FREE || c->parent != p)
			continue;
		children = true;
		if (c->state != TASK_ZOMBIE)
			continue;
		if (status_uptr && copy_to_user(status_uptr, &c->status, sizeof(c->status)))
			return -EFAULT;         /* not collected: a later wait may */
		int pid = c->pid;
		c->parent = NULL;
		reap();                 /* its stack and slot */
		return pid;
	}
	if (!children)
		return -ECHILD;
	/* Block: the call runs again when a child has ended (syscall_handle
	 * leaves the registers alone: the arguments must stay). */
	p->state = TASK_WAITING;
	arch_syscall_restart(p->frame);
	resched = true;
	return 0;
}

void task_syscall_enter(void)
{
	reap();
	current->syscalls++;
	resched = true;         /* every system call is a switch point */
}

/* One line of the run's report: how t ended, its system calls, faults and
 * the page sizes its demand faults mapped, its copy-on-write work. */
void task_report(const struct task *t)
{
	const struct vm_counts *c = &t->vs.counts;
	unsigned shift = mmu_geometry()->page_shift;
	char line[160], size[16];
	int n = 0;

	for (unsigned o = 0; o < sizeof(c->mapped) / sizeof(c->mapped[0]); o++)
		if (c->mapped[o])
			n += ksnprintf(line + n, sizeof(line) - n, " %s x %llu",
				       ksize_name(size, sizeof(size), 1ull << (shift + o)),
				       (unsigned long long)c->mapped[o]);
	if (!n)
		ksnprintf(line, sizeof(line), " none");
	if (WIFEXITED(t->status))
		kprintf("task %d (%s): exit %d", t->pid, t->name, WEXITSTATUS(t->status));
	else
		kprintf("task %d (%s): killed by a fault", t->pid, t->name);
	kprintf(", %llu system calls, %llu faults, pages%s, cow %llu copied %llu reused\n",
		(unsigned long long)t->syscalls, (unsigned long long)c->faults, line,
		(unsigned long long)c->cow_copies, (unsigned long long)c->cow_reuses);
}
