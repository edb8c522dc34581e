/* The checks of user/utest.c, shared with the kernel's driver
 * (core/tasks_test.c). */
#ifndef ORIGAMI_USER_UTEST_H
#define ORIGAMI_USER_UTEST_H

enum utest {
	UTEST_OK = 0,           /* exits 0 after a few turns */
	UTEST_FORK_COW,         /* fork: each side sees only its own writes */
	UTEST_READ,             /* reads arg1: killed when it may not */
	UTEST_WRITE,            /* writes arg1 */
	UTEST_EXEC,             /* calls arg1 */
	UTEST_WRITE_TEXT,       /* writes its own code: against the area's protection */
	UTEST_BAD_POINTERS,     /* system calls with kernel and unmapped pointers: -EFAULT */
	UTEST_MEMORY,           /* mmap, mprotect, mremap, munmap, malloc */
	UTEST_REGISTERS,        /* per-task registers (TLS pointer, SIMD) kept across switches */
	UTEST_UNDEF,            /* an illegal instruction: killed */
	UTEST_WILD_SP,          /* exit(0) with the stack pointer at arg1: exits 0 */
	UTEST_SPIN,             /* maps a word at arg1, writes 2 there, spins in user mode
	                         * until the kernel writes 1 (exits 0) or UTEST_SPIN_MAX
	                         * rounds (2) */
};

/* Rounds UTEST_SPIN gives up after, only reached when the kernel never
 * wrote the word (tests/kernel/smp_test.c, user_spin_test). 4*10^8 took
 * seconds under QEMU, and on a loaded 2-core machine the other CPU's
 * vCPU thread was once starved that long (a pass read as a failure):
 * ten times that, as the bound matters only when the test fails. */
#define UTEST_SPIN_MAX 4000000000l

#endif
