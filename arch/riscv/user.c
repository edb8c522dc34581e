/*
 * riscv64 user mode (include/arch.h, "user mode"): U-mode frames, the
 * system-call registers (the Linux RISC-V convention: a7 the number,
 * a0-a5 the arguments, a0 the result) and the kernel stack, which entry.S
 * takes from the frame it returns to (sscratch).
 */
#include <string.h>
#include "arch.h"
#include "riscv.h"
#include "sv_bits.h"

#define REG_SP 2
#define REG_A0 10
#define REG_A7 17

const size_t arch_trap_frame_size = sizeof(struct trap_frame);
const uint16_t arch_elf_machine = 243;   /* EM_RISCV (System V gABI, e_machine) */

void arch_user_frame_init(struct trap_frame *f, uint64_t pc, uint64_t sp,
                          uint64_t arg0, uint64_t arg1)
{
	uint64_t sstatus;

	__asm__ volatile("csrr %0, sstatus" : "=r"(sstatus));
	memset(f, 0, sizeof(*f));
	/* sret to U-mode (SPP = 0) with interrupts as the kernel has them
	 * (SPIE = 0), no supervisor access to user pages (SUM = 0: only the
	 * copy helpers open it) and FP off (FS = 0: user code has none),
	 * privileged spec 4.1.1. */
	f->sstatus = sstatus & ~(uint64_t)(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SUM | SSTATUS_FS);
	f->sepc = pc;
	f->x[REG_SP] = sp;
	f->x[REG_A0] = arg0;
	f->x[REG_A0 + 1] = arg1;
}

uint64_t arch_syscall_nr(const struct trap_frame *f)
{
	return f->x[REG_A7];
}

uint64_t arch_syscall_arg(const struct trap_frame *f, unsigned i)
{
	return i < 6 ? f->x[REG_A0 + i] : 0;
}

void arch_syscall_set_return(struct trap_frame *f, int64_t val)
{
	f->x[REG_A0] = (uint64_t)val;
}

void arch_syscall_restart(struct trap_frame *f)
{
	f->sepc -= 4;
}

/* entry.S loads sscratch from the frame it resumes: nothing to keep. */
void arch_set_kernel_stack(uint64_t top)
{
	(void)top;
}
