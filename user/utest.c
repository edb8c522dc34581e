/*
 * The user half of the task suite (tests/tasks: boot argument test.tasks,
 * core/tasks_test.c): one check per run, chosen by arg0 (enum in
 * utest.h). A check that the kernel must stop ends with a fault that kills
 * the task (its wait status says so); the others exit 0 when everything
 * they saw was right, else the number of the first thing that was wrong.
 */
#include <string.h>
#include "origami.h"
#include "utest.h"

static volatile long data_word = 100;

/* fork + copy on write: parent and child each see only their own writes,
 * in .data and on the heap. */
static int fork_cow(void)
{
	volatile long *heap = malloc(sizeof(long) * 512);
	int status = -1;
	long pid;

	if (!heap)
		return 1;
	heap[0] = 5;
	pid = sys_fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (data_word != 100 || heap[0] != 5)
			return 3;               /* the child starts with the parent's values */
		data_word = 200;
		heap[0] = 6;
		sys_yield();            /* the parent writes meanwhile */
		if (data_word != 200 || heap[0] != 6)
			return 4;
		return 0;
	}
	sys_yield();                    /* the child has written now */
	if (data_word != 100 || heap[0] != 5)
		return 5;
	data_word = 300;
	heap[0] = 7;
	if (sys_wait(&status) != pid || !WIFEXITED(status))
		return 6;
	if (WEXITSTATUS(status))
		return 10 + WEXITSTATUS(status);
	if (data_word != 300 || heap[0] != 7)
		return 7;
	return 0;
}

/* System calls handed pointers the task may not use: -EFAULT, no harm. */
static int bad_pointers(long kernel_addr)
{
	char *page = sys_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	long r;

	if (SYS_ERR(page))
		return 1;
	if ((r = sys_write(1, (const void *)kernel_addr, 16)) != -ERR_FAULT)
		return 2;
	if ((r = sys_wait((int *)kernel_addr)) != -ERR_CHILD)
		return 3;                       /* no child: nothing to write */
	if (sys_munmap(page, 4096))
		return 4;
	if ((r = sys_write(1, page, 16)) != -ERR_FAULT)
		return 5;                       /* unmapped now */
	if ((r = sys_write(1, (const void *)-4096L, 16)) != -ERR_FAULT)
		return 6;                       /* the very top: the kernel half */
	if (sys_fork() == 0)
		sys_exit(0);
	if ((r = sys_wait((int *)kernel_addr)) != -ERR_FAULT)
		return 7;                       /* a child to report, nowhere to put it */
	if (sys_wait(0) <= 0)
		return 8;                       /* still there: collected now */
	if (origami_syscall(SYS_COUNT, 0, 0, 0, 0, 0, 0) != -ERR_NOSYS ||
	    origami_syscall(-1L, 0, 0, 0, 0, 0, 0) != -ERR_NOSYS)
		return 9;                       /* no such call */
	return 0;
}

/* mmap, mprotect, mremap (grow, moving), munmap from user mode. */
static int memory_calls(void)
{
	const size_t len = 64 << 10;
	char *p = sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	char *q;

	if (SYS_ERR(p))
		return 1;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12);
	if (sys_mprotect(p, len, PROT_READ))
		return 2;
	q = sys_mremap(p, len, 4 * len, MREMAP_MAYMOVE);
	if (SYS_ERR(q))
		return 3;
	for (size_t i = 0; i < len; i += 4096)
		if (q[i] != (char)(i >> 12))
			return 4;               /* the data moved with the area */
	if (sys_mprotect(q, 4 * len, PROT_READ | PROT_WRITE))
		return 5;
	q[4 * len - 1] = 1;                 /* the grown part is there */
	if (sys_munmap(q, 4 * len))
		return 6;
	for (int i = 0; i < 64; i++) {      /* malloc on mmap */
		char *m = malloc(1000);

		if (!m)
			return 7;
		memset(m, i, 1000);
	}
	return 0;
}

/*
 * The registers the kernel must keep per task across a switch, with the
 * other tasks using the same ones meanwhile (the suite runs two of these):
 * riscv tp (the kernel has its own), arm64 TPIDR_EL0 and a SIMD register
 * (the kernel's and picolibc's code use them too), x86 r11 (int $0x80
 * keeps every register). The value is set, yield runs the others, and the
 * value must be back, all in one asm statement so the compiler keeps
 * nothing of it elsewhere.
 */
static int registers_kept(void)
{
	unsigned long seed = 0x5eed0000ul + (unsigned long)sys_getpid(), got = 0;

	for (int round = 0; round < 3; round++) {
#if defined(__riscv)
		__asm__ volatile("mv t0, tp\n\tmv tp, %1\n\tli a7, %2\n\tecall\n\t"
				 "mv %0, tp\n\tmv tp, t0"
				 : "=r"(got) : "r"(seed), "i"(SYS_yield)
				 : "t0", "a0", "a7", "memory");
#elif defined(__aarch64__)
		unsigned long simd = 0;

		__asm__ volatile("mrs x9, tpidr_el0\n\tmsr tpidr_el0, %2\n\t"
				 "dup v7.2d, %2\n\tmov x8, %3\n\tsvc #0\n\t"
				 "mrs %0, tpidr_el0\n\tmsr tpidr_el0, x9\n\tumov %1, v7.d[1]"
				 : "=&r"(got), "=&r"(simd) : "r"(seed), "i"(SYS_yield)
				 : "x0", "x8", "x9", "v7", "memory");
		if (simd != seed)
			return 2;
#elif defined(__x86_64__)
		__asm__ volatile("mov %1, %%r11\n\tint $0x80\n\tmov %%r11, %0"
				 : "=r"(got) : "r"(seed), "a"((long)SYS_yield)
				 : "r11", "memory");
#endif
		if (got != seed)
			return 1;
	}
	return 0;
}

/* exit(0) with the stack pointer at addr (a kernel address in the suite):
 * the kernel's trap entry must not use it (its own stack comes from
 * sscratch, SP_EL1, TSS.rsp0). */
static void exit_on_wild_sp(long addr)
{
#if defined(__riscv)
	__asm__ volatile("mv sp, %0\n\tli a0, 0\n\tli a7, %1\n\tecall"
			 : : "r"(addr), "i"(SYS_exit) : "memory");
#elif defined(__aarch64__)
	__asm__ volatile("mov sp, %0\n\tmov x0, #0\n\tmov x8, %1\n\tsvc #0"
			 : : "r"(addr), "i"(SYS_exit) : "memory");
#elif defined(__x86_64__)
	__asm__ volatile("mov %0, %%rsp\n\txor %%edi, %%edi\n\tint $0x80"
			 : : "r"(addr), "a"((long)SYS_exit) : "memory");
#endif
}

/* A word of its own at addr, then user code only (no system call, no
 * fault) until the kernel writes 1 there: meanwhile another CPU's commit
 * must reach this CPU's TLB. */
static int spin(long addr)
{
	volatile long *word = sys_mmap((void *)addr, sizeof(long), PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);

	if (SYS_ERR(word))
		return 1;
	/* Its own frame now; 2 says "spinning": the kernel writes 1 only after
	 * it reads 2, so this store can never overwrite the kernel's 1 (a CPU
	 * of a loaded host may run this store long after the fault mapped the
	 * word and the kernel found it). */
	*word = 2;
	for (long n = 0; n < UTEST_SPIN_MAX; n++)
		if (*word == 1)
			return 0;
	return 2;
}

static int checked_read(long addr)
{
	return (int)*(volatile long *)addr;
}

int task_main(long which, long addr)
{
	switch (which) {
	case UTEST_OK:
		for (int i = 0; i < 3; i++)
			sys_yield();
		return 0;
	case UTEST_FORK_COW:
		return fork_cow();
	case UTEST_READ:                        /* must be killed */
		checked_read(addr);
		return 1;
	case UTEST_WRITE:
		*(volatile long *)addr = 1;
		return 1;
	case UTEST_EXEC:
		((void (*)(void))addr)();
		return 1;
	case UTEST_WRITE_TEXT:
		*(volatile long *)(void *)task_main = 1;
		return 1;
	case UTEST_BAD_POINTERS:
		return bad_pointers(addr);
	case UTEST_MEMORY:
		return memory_calls();
	case UTEST_REGISTERS:
		return registers_kept();
	case UTEST_UNDEF:
		__builtin_trap();
	case UTEST_WILD_SP:
		exit_on_wild_sp(addr);
		return 1;
	case UTEST_SPIN:
		return spin(addr);
	}
	return 99;
}
