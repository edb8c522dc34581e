/*
 * x86-64 user mode (include/arch.h, "user mode"): ring-3 frames for
 * iretq, the system-call registers of `int 0x80` (the Linux x86-64
 * convention: rax the number, rdi rsi rdx r10 r8 r9 the arguments, rax the
 * result). TSS.rsp0 (trap.c) is the running task's kernel stack.
 */
#include <string.h>
#include "arch.h"
#include "trap_frame.h"
#include "x86.h"

_Static_assert(sizeof(struct trap_frame) % 8 == 0, "frame of whole words");
const size_t arch_trap_frame_size = sizeof(struct trap_frame);
const uint16_t arch_elf_machine = 62;   /* EM_X86_64 (System V gABI, e_machine) */

void arch_user_frame_init(struct trap_frame *f, uint64_t pc, uint64_t sp,
                          uint64_t arg0, uint64_t arg1)
{
	memset(f, 0, sizeof(*f));
	/* iretq to ring 3 (SDM vol. 3, 6.14.3): the user selectors with RPL 3,
	 * AC off, interrupts on: a CPU running a task answers a TLB shootdown
	 * IPI at once (the interrupt gate takes it from ring 3 onto the task's
	 * kernel stack, TSS.rsp0), not only when the task next traps. With
	 * IOPL 0 the task cannot turn them off (POPF leaves IF, SDM vol. 1,
	 * 3.4.3.1). */
	f->cs = GDT_USER_CODE | SEL_RPL3;
	f->ss = GDT_USER_DATA | SEL_RPL3;
	f->rflags = RFLAGS_RESERVED1 | RFLAGS_IF;
	f->rip = pc;
	f->rsp = sp;
	f->rdi = arg0;
	f->rsi = arg1;
}

uint64_t arch_syscall_nr(const struct trap_frame *f)
{
	return f->rax;
}

uint64_t arch_syscall_arg(const struct trap_frame *f, unsigned i)
{
	switch (i) {
	case 0: return f->rdi;
	case 1: return f->rsi;
	case 2: return f->rdx;
	case 3: return f->r10;
	case 4: return f->r8;
	case 5: return f->r9;
	default: return 0;
	}
}

void arch_syscall_set_return(struct trap_frame *f, int64_t val)
{
	f->rax = (uint64_t)val;
}

#define INT_IMM8_LEN 2          /* CD ib */

void arch_syscall_restart(struct trap_frame *f)
{
	f->rip -= INT_IMM8_LEN;
}
