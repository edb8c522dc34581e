/*
 * The system calls as C functions (user/include/origami.h), the heap that
 * malloc grows (sbrk, on one mmap'd area that mremap grows in place), and
 * stdout line-buffered onto write, so that a line leaves in one system
 * call (every system call is a switch point: unbuffered output of two
 * tasks would mix character by character).
 */
#include <stdarg.h>
#include <string.h>
#include "origami.h"

long sys_write(int fd, const void *buf, size_t len)
{
	return origami_syscall(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

void *sys_mmap(void *addr, size_t len, int prot, int flags)
{
	return (void *)origami_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, 0, 0);
}

long sys_munmap(void *addr, size_t len)
{
	return origami_syscall(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

long sys_mprotect(void *addr, size_t len, int prot)
{
	return origami_syscall(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags)
{
	return (void *)origami_syscall(SYS_mremap, (long)old, (long)old_len, (long)new_len,
				       flags, 0, 0);
}

long sys_fork(void)
{
	return origami_syscall(SYS_fork, 0, 0, 0, 0, 0, 0);
}

long sys_wait(int *status)
{
	return origami_syscall(SYS_wait, (long)status, 0, 0, 0, 0, 0);
}

void sys_exit(int status)
{
	user_flush();
	origami_syscall(SYS_exit, status, 0, 0, 0, 0, 0);
	for (;;)
		;
}

long sys_getpid(void)
{
	return origami_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

long sys_yield(void)
{
	return origami_syscall(SYS_yield, 0, 0, 0, 0, 0, 0);
}

/* ---- stdout ---- */
static char outbuf[256];
static size_t outlen;

void user_flush(void)
{
	if (outlen)
		sys_write(1, outbuf, outlen);
	outlen = 0;
}

void user_putc(char c);
void user_putc(char c)
{
	outbuf[outlen++] = c;
	if (c == '\n' || outlen == sizeof(outbuf))
		user_flush();
}

/* ---- the heap: sbrk on one area, reserved at the first call ---- */
#define HEAP_INITIAL (64u << 10)
static char *heap_start, *heap_brk;
static size_t heap_len;

void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	char *old;

	if (!heap_start) {
		void *p = sys_mmap(0, HEAP_INITIAL, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS);

		if (SYS_ERR(p))
			return (void *)-1;
		heap_start = heap_brk = p;
		heap_len = HEAP_INITIAL;
	}
	if (incr < 0 ? (size_t)-incr > (size_t)(heap_brk - heap_start) : 0)
		return (void *)-1;
	if (incr > 0 && (size_t)(heap_brk - heap_start) + (size_t)incr > heap_len) {
		/* Grow the area where it is (malloc's pointers stay valid). */
		size_t want = heap_len;

		while (want < (size_t)(heap_brk - heap_start) + (size_t)incr)
			want *= 2;
		if (SYS_ERR(sys_mremap(heap_start, heap_len, want, 0)))
			return (void *)-1;
		heap_len = want;
	}
	old = heap_brk;
	heap_brk += incr;
	return old;
}
