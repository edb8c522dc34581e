/*
 * User tasks (core/task.c): each one a program in user mode with its own
 * address space (struct vm_space, include/vm.h), its own kernel stack
 * with its user registers (the trap frame) at the top, a pid and a parent.
 * One CPU, no timer: a round-robin scheduler switches at system calls
 * (every one of them is a switch point), when a task blocks in wait and
 * when one ends. docs/tasks.md describes the model.
 */
#ifndef ORIGAMI_TASK_H
#define ORIGAMI_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vm.h"

#define TASK_MAX        16
#define TASK_NAME_LEN   16

enum task_state {
	TASK_FREE = 0,
	TASK_RUNNABLE,          /* ready, or running (task_current()) */
	TASK_WAITING,           /* in wait(), until a child ends */
	TASK_ZOMBIE,            /* ended; its parent has not collected it yet */
};

struct trap_frame;
struct task {
	enum task_state state;
	int pid;
	char name[TASK_NAME_LEN];
	struct task *parent;
	struct vm_space vs;
	uint64_t kstack_pa;             /* kernel stack block (0: given back) */
	struct trap_frame *frame;       /* user registers: the top of the kernel stack */
	int status;                     /* wait status once ended (uapi WIFEXITED...) */
	uint64_t syscalls;
};

/* The running task (NULL in the kernel outside any task). Per CPU later:
 * only through this accessor. */
struct task *task_current(void);

/* A new task running the ELF program elf[0, len) from its entry with
 * arg0, arg1 in its first argument registers, child of nobody. Returns
 * its pid, or -ENOEXEC (not a program for this machine), -ENOMEM, -EAGAIN
 * (no free task slot). It runs at the next tasks_run(). */
int  task_spawn(const char *name, const void *elf, size_t len, uint64_t arg0, uint64_t arg1);
/* Run every task until none is left; the kernel's own code continues
 * after. Returns 0. (Every task waiting with nothing to run cannot
 * happen: a wait blocks only while a child lives; it would panic.) */
int  tasks_run(void);
/* How a task ended, for the kernel's tests: called for every task when it
 * ends (before it becomes a zombie), with its final counts. NULL: none. */
typedef void (*task_end_fn)(const struct task *t, void *priv);
void tasks_on_end(task_end_fn fn, void *priv);

/* One line: how t ended, its system calls, faults, page sizes mapped and
 * copy-on-write counts (call it from a tasks_on_end function). */
void task_report(const struct task *t);

/* The system-call side (core/syscall.c). task_syscall_enter: first thing
 * of every system call (bookkeeping, and the call is a switch point). */
void task_syscall_enter(void);
long task_fork(void);
long task_wait(uint64_t status_uptr);
void task_exit(struct task *t, int status);   /* status: wait status */
void task_yield(void);
/* A fault in user mode that the fault path did not resolve: report it
 * (task, pc, cause) and end the task. */
struct trap_info;
void task_kill_on_trap(const struct trap_info *ti);

/* Kernel access to the running task's memory (core/uaccess.c): only
 * through these, with the CPU's guard (SUM, PAN, SMAP) lifted just for the
 * access. A range outside the task's user half, or one that faults (no
 * area, or against its protection), gives -EFAULT and copies nothing
 * further; 0 when all n bytes were copied. */
int  copy_from_user(void *dst, uint64_t usrc, size_t n);
int  copy_to_user(uint64_t udst, const void *src, size_t n);

/* The built-in user programs (user/, embedded by the Makefile): 0 with
 * *out filled, or -ENOENT. */
struct user_program { const char *name; const void *elf; size_t len; };
int  user_program(const char *name, struct user_program *out);
/* core/elf_load.c: the PT_LOAD segments of an ELF executable of this
 * machine as areas of vs, which must be the active space. Returns 0 with
 * *entry set, -ENOEXEC, -ENOMEM, or what vm_mmap returned. */
int  elf_load(struct vm_space *vs, const void *elf, size_t len, uint64_t *entry);

/* Boot argument test.tasks: the user-mode suite (tests/tasks/). */
struct ktest;
void tasks_tests(struct ktest *t);
/* The demo every boot runs after the MMU suite: two tasks, a fork, the
 * report. Returns an exit status. */
int  tasks_demo(void);

#endif
