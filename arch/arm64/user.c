/*
 * arm64 user mode (include/arch.h, "user mode"): EL0 frames, the
 * system-call registers (the Linux AArch64 convention: x8 the number,
 * x0-x5 the arguments, x0 the result). vectors.S takes the kernel stack
 * from the frame it returns to (SP_EL1 ends at its top).
 */
#include <string.h>
#include "arch.h"
#include "trap_frame.h"

const size_t arch_trap_frame_size = sizeof(struct trap_frame);
const uint16_t arch_elf_machine = 183;   /* EM_AARCH64 (System V gABI, e_machine) */

void arch_user_frame_init(struct trap_frame *f, uint64_t pc, uint64_t sp,
                          uint64_t arg0, uint64_t arg1)
{
	memset(f, 0, sizeof(*f));
	/* SPSR_EL1.M = EL0t (0) and DAIF clear (Arm ARM C5.2.19): ERET goes
	 * to EL0 on SP_EL0. */
	f->spsr = 0;
	f->elr = pc;
	f->sp = sp;
	f->x[0] = arg0;
	f->x[1] = arg1;
}

uint64_t arch_syscall_nr(const struct trap_frame *f)
{
	return f->x[8];
}

uint64_t arch_syscall_arg(const struct trap_frame *f, unsigned i)
{
	return i < 6 ? f->x[i] : 0;
}

void arch_syscall_set_return(struct trap_frame *f, int64_t val)
{
	f->x[0] = (uint64_t)val;
}

void arch_syscall_restart(struct trap_frame *f)
{
	f->elr -= 4;            /* SVC is one A64 instruction */
}

void arch_set_kernel_stack(uint64_t top)
{
	(void)top;
}
