/*
 * System calls: the one dispatch table of include/uapi/origami_syscall.h.
 * The arch's trap code finds the call (ecall, svc, int $0x80) and hands
 * the frame over with its pc past the instruction; the arguments and the
 * result travel in the arch's registers (arch_syscall_*).
 */
#include <errno.h>
#include "arch.h"
#include "mmu.h"
#include "task.h"
#include "vm.h"
#include "uapi/origami_syscall.h"

/* Console output goes out in pieces of this many bytes, each copied in. */
#define WRITE_CHUNK 256
#define FD_STDOUT 1
#define FD_STDERR 2

static long sys_write(const uint64_t *a)
{
	uint64_t fd = a[0], buf = a[1], len = a[2], done = 0;
	char chunk[WRITE_CHUNK];

	if (fd != FD_STDOUT && fd != FD_STDERR)
		return -EBADF;
	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		if (copy_from_user(chunk, buf + done, n))
			return done ? (long)done : -EFAULT;
		console_write(chunk, n);
		done += n;
	}
	return (long)done;
}

/* uapi PROT_* to MMU_* (no other bit is accepted). */
static int prot_from_user(uint64_t prot, unsigned *out)
{
	if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	*out = (prot & PROT_READ ? MMU_READ : 0) | (prot & PROT_WRITE ? MMU_WRITE : 0) |
	       (prot & PROT_EXEC ? MMU_EXEC : 0);
	return 0;
}

static long sys_mmap(const uint64_t *a)
{
	uint64_t flags = a[3];
	unsigned prot, vflags = VM_PRIVATE | VM_ANON;
	vaddr_t out;
	int err;

	if ((err = prot_from_user(a[2], &prot)))
		return err;
	/* Private anonymous memory is all there is (no files, no sharing). */
	if ((flags & ~(uint64_t)(MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)) ||
	    !(flags & MAP_ANONYMOUS))
		return -EINVAL;
	if (flags & MAP_FIXED)
		vflags |= VM_FIXED;
	if ((err = vm_mmap(&task_current()->vs, a[0], a[1], prot, vflags, &out)))
		return err;
	return (long)out;
}

static long sys_munmap(const uint64_t *a)
{
	return vm_munmap(&task_current()->vs, a[0], a[1]);
}

static long sys_mprotect(const uint64_t *a)
{
	unsigned prot;
	int err = prot_from_user(a[2], &prot);

	return err ? err : vm_mprotect(&task_current()->vs, a[0], a[1], prot);
}

static long sys_mremap(const uint64_t *a)
{
	vaddr_t out;
	int err;

	if (a[3] & ~(uint64_t)MREMAP_MAYMOVE)
		return -EINVAL;
	err = vm_mremap(&task_current()->vs, a[0], a[1], a[2],
			a[3] & MREMAP_MAYMOVE ? VM_MAYMOVE : 0, &out);
	return err ? err : (long)out;
}

static long sys_fork(const uint64_t *a)
{
	(void)a;
	return task_fork();
}

static long sys_wait(const uint64_t *a)
{
	return task_wait(a[0]);
}

static long sys_exit(const uint64_t *a)
{
	task_exit(task_current(), (int)W_EXITCODE(a[0]));
	return 0;
}

static long sys_getpid(const uint64_t *a)
{
	(void)a;
	return task_current()->pid;
}

static long sys_yield(const uint64_t *a)
{
	(void)a;
	task_yield();
	return 0;
}

/* The kernel's errno values (its C library's numbering: picolibc's on
 * riscv64 and arm64, core/libc's on x86-64) as the ABI's ERR_*. */
static long errno_to_user(long r)
{
	static const struct { int kernel, user; } map[] = {
		{ EPERM, ERR_PERM }, { ENOENT, ERR_NOENT }, { ENOEXEC, ERR_NOEXEC },
		{ EBADF, ERR_BADF }, { ECHILD, ERR_CHILD }, { EAGAIN, ERR_AGAIN },
		{ ENOMEM, ERR_NOMEM }, { EACCES, ERR_ACCES }, { EFAULT, ERR_FAULT },
		{ EBUSY, ERR_BUSY }, { EEXIST, ERR_EXIST }, { EINVAL, ERR_INVAL },
		{ ENOSPC, ERR_NOSPC }, { ERANGE, ERR_RANGE }, { ENOSYS, ERR_NOSYS },
		{ ENOTSUP, ERR_NOTSUP },
	};

	if (r >= 0)
		return r;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (-r == map[i].kernel)
			return -map[i].user;
	return -ERR_OTHER;
}

static long (*const syscalls[SYS_COUNT])(const uint64_t *a) = {
	[SYS_write] = sys_write,
	[SYS_mmap] = sys_mmap,
	[SYS_munmap] = sys_munmap,
	[SYS_mprotect] = sys_mprotect,
	[SYS_mremap] = sys_mremap,
	[SYS_fork] = sys_fork,
	[SYS_wait] = sys_wait,
	[SYS_exit] = sys_exit,
	[SYS_getpid] = sys_getpid,
	[SYS_yield] = sys_yield,
};

void syscall_handle(struct trap_frame *f)
{
	struct task *t = task_current();
	uint64_t nr = arch_syscall_nr(f), a[6];
	long r;

	if (!t || f != t->frame)
		panic("system call %llu from user mode with no task on this stack",
		      (unsigned long long)nr);
	task_syscall_enter();
	for (unsigned i = 0; i < 6; i++)
		a[i] = arch_syscall_arg(f, i);
	r = nr < SYS_COUNT && syscalls[nr] ? syscalls[nr](a) : -ENOSYS;
	/* A task that ended has no registers to return to; one that blocked
	 * keeps its arguments for the call's rerun. */
	if (t->state == TASK_RUNNABLE)
		arch_syscall_set_return(f, errno_to_user(r));
}
