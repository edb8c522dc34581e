/*
 * What a user program of Origami sees of the kernel: the system calls of
 * include/uapi/origami_syscall.h as C functions (user/lib/origami.c), and
 * printf/malloc (picolibc on riscv64 and arm64, user/lib/minilibc.c on
 * x86-64) on top of write and mmap.
 */
#ifndef ORIGAMI_USER_H
#define ORIGAMI_USER_H

#include <stddef.h>
#include <stdint.h>
#include "origami_syscall.h"

/* user/arch/<dir>/start.S: the trap into the kernel; a negative errno in
 * [-4095, -1] on failure. */
long origami_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

long  sys_write(int fd, const void *buf, size_t len);
void *sys_mmap(void *addr, size_t len, int prot, int flags);   /* or (void *)-errno */
long  sys_munmap(void *addr, size_t len);
long  sys_mprotect(void *addr, size_t len, int prot);
void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags);
long  sys_fork(void);
long  sys_wait(int *status);
__attribute__((noreturn)) void sys_exit(int status);
long  sys_getpid(void);
long  sys_yield(void);
/* A result of sys_mmap/sys_mremap that is an error. */
#define SYS_ERR(p) ((unsigned long)(p) >= (unsigned long)-4095)

/* The program: arg0 and arg1 are what the kernel passed (task_spawn). Its
 * return value is the exit status. */
int task_main(long arg0, long arg1);

/* printf, puts, malloc, free: picolibc's, or minilibc's on x86-64. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *malloc(size_t n);
void free(void *p);
/* Line-buffered stdout: what is pending goes out (also at exit). */
void user_flush(void);

#endif
