/*
 * The system-call interface between user tasks and the kernel: the one
 * table of numbers (core/syscall.c dispatches on it, user/lib calls it)
 * and the values its arguments take. Nothing else of the kernel is
 * visible to user code (user/ builds with -Iinclude/uapi only).
 *
 * Registers per arch (include/arch.h, "user mode"): riscv64 ecall with
 * a7 = number, a0-a5 arguments, a0 result; arm64 svc #0 with x8, x0-x5,
 * x0; x86-64 int $0x80 with rax, rdi rsi rdx r10 r8 r9, rax. A result in
 * [-4095, -1] is a negative errno (the kernel's errno.h values).
 */
#ifndef ORIGAMI_UAPI_SYSCALL_H
#define ORIGAMI_UAPI_SYSCALL_H

#define SYS_write     1   /* (fd 1 or 2, buf, len) -> bytes written */
#define SYS_mmap      2   /* (addr, len, prot, flags) -> address */
#define SYS_munmap    3   /* (addr, len) */
#define SYS_mprotect  4   /* (addr, len, prot) */
#define SYS_mremap    5   /* (old_addr, old_len, new_len, flags) -> address */
#define SYS_fork      6   /* () -> child pid in the parent, 0 in the child */
#define SYS_wait      7   /* (int *status or 0) -> pid of a child that ended; blocks */
#define SYS_exit      8   /* (status 0..255): does not return */
#define SYS_getpid    9   /* () -> pid */
#define SYS_yield     10  /* () -> 0: let the next task run */
#define SYS_COUNT     11

/* Error numbers of system calls (negated in the result). */
#define ERR_PERM     1
#define ERR_NOENT    2
#define ERR_NOEXEC   8
#define ERR_BADF     9
#define ERR_CHILD   10
#define ERR_AGAIN   11
#define ERR_NOMEM   12
#define ERR_ACCES   13
#define ERR_FAULT   14
#define ERR_BUSY    16
#define ERR_EXIST   17
#define ERR_INVAL   22
#define ERR_NOSPC   28
#define ERR_RANGE   34
#define ERR_NOSYS   38
#define ERR_NOTSUP  95
#define ERR_OTHER   ERR_INVAL   /* a kernel error with no number here */

/* mmap/mprotect prot */
#define PROT_NONE  0
#define PROT_READ  (1 << 0)
#define PROT_WRITE (1 << 1)
#define PROT_EXEC  (1 << 2)
/* mmap flags: private anonymous memory is the only kind */
#define MAP_PRIVATE   (1 << 1)
#define MAP_FIXED     (1 << 4)
#define MAP_ANONYMOUS (1 << 5)
/* mremap flags */
#define MREMAP_MAYMOVE (1 << 0)

/* wait status: exited with code c: c << 8; killed by a fault: WSIG_FAULT */
#define WSIG_FAULT        11
#define W_EXITCODE(c)     (((c) & 0xff) << 8)
#define WIFEXITED(s)      (((s) & 0x7f) == 0)
#define WEXITSTATUS(s)    (((s) >> 8) & 0xff)
#define WTERMSIG(s)       ((s) & 0x7f)

#endif
