/*
 * The EL1 exception vector table (Arm ARM D1.3.1 "Exception vectors"):
 * 16 entries of 0x80 bytes, 2 KiB aligned, in four groups of
 * {synchronous, IRQ, FIQ, SError}: current EL with SP_EL0, current EL with
 * SP_ELx, lower EL in AArch64, lower EL in AArch32.
 *
 * Every entry saves a struct trap_frame (trap_frame.h) and calls
 * arm64_trap(frame) (trap.c), which returns the frame to resume: the same
 * one (a fault a probe expected, possibly redirected; a system call), or
 * another task's after a task switch (include/arch.h, "user mode").
 *
 * From EL0 the exception switches to SP_EL1, which is the top of the
 * running task's kernel stack (where its frame goes); from EL1 the kernel
 * runs on SP_EL0 and SP_EL1 is the exception stack (entry.S).
 */
#include "smp.h"		/* SMP_CPU_ARCH_BOOT_OFFSET */
#include "trap_frame.h"

.macro	fpsimd op		/* q0-q31 at [x2] on, by pairs (stp or ldp) */
	\op	q0, q1, [x2], #32
	\op	q2, q3, [x2], #32
	\op	q4, q5, [x2], #32
	\op	q6, q7, [x2], #32
	\op	q8, q9, [x2], #32
	\op	q10, q11, [x2], #32
	\op	q12, q13, [x2], #32
	\op	q14, q15, [x2], #32
	\op	q16, q17, [x2], #32
	\op	q18, q19, [x2], #32
	\op	q20, q21, [x2], #32
	\op	q22, q23, [x2], #32
	\op	q24, q25, [x2], #32
	\op	q26, q27, [x2], #32
	\op	q28, q29, [x2], #32
	\op	q30, q31, [x2], #32
.endm

.macro	vector_entry index
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x0, #\index
	b	trap_save
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.globl	arm64_vectors
arm64_vectors:
	.irp	index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector_entry \index
	.endr

/* x0: vector index; x0 and x1 of the interrupted code are saved already. */
trap_save:
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	str	x30, [sp, #FRAME_X(30)]

	/*
	 * The interrupted SP: ours before the frame for the "current EL with
	 * SP_ELx" group (entries 4-7: a trap in a trap handler), SP_EL0 for
	 * every other group (the kernel runs on SP_EL0: entry.S).
	 */
	add	x2, sp, #FRAME_SIZE
	mrs	x3, sp_el0
	sub	x4, x0, #4
	cmp	x4, #4
	csel	x2, x2, x3, lo
	mrs	x3, elr_el1
	stp	x2, x3, [sp, #FRAME_SP]
	mrs	x2, spsr_el1
	mrs	x4, esr_el1
	stp	x2, x4, [sp, #FRAME_SPSR]
	mrs	x2, far_el1
	stp	x2, x0, [sp, #FRAME_FAR]
	mrs	x2, tpidr_el0
	str	x2, [sp, #FRAME_TPIDR]
	mrs	x2, fpsr
	mrs	x3, fpcr
	stp	x2, x3, [sp, #FRAME_FPSR]
	add	x2, sp, #FRAME_Q(0)
	fpsimd	stp
	/* From EL0 (vectors 8-15): TPIDR_EL0 is the task's; the kernel's TLS
	 * (picolibc's errno) is this CPU's, whose TPIDR_EL0 value its struct
	 * cpu keeps (TPIDR_EL1, arch_boot: smp.c). */
	cmp	x0, #8
	b.lo	1f
	mrs	x2, tpidr_el1
	ldr	x2, [x2, #SMP_CPU_ARCH_BOOT_OFFSET]
	msr	tpidr_el0, x2
1:

	/* A frame record linking to the interrupted code, for backtraces. */
	stp	x29, x3, [sp, #FRAME_RECORD]	/* x3: elr, stored above */
	add	x29, sp, #FRAME_RECORD
	mov	x0, sp
	bl	arm64_trap

	/* x0: the frame to resume (arch_tasks_enter comes here too). */
arm64_trap_resume:
	mov	sp, x0
	ldp	x2, x3, [sp, #FRAME_ELR]	/* elr, spsr */
	msr	elr_el1, x2
	msr	spsr_el1, x3
	/* Back to EL0 (SPSR.M = EL0t, 0): its stack pointer is SP_EL0. */
	tst	x3, #0xf
	b.ne	1f
	ldr	x2, [sp, #FRAME_SP]
	msr	sp_el0, x2
1:	ldr	x2, [sp, #FRAME_TPIDR]
	msr	tpidr_el0, x2
	ldp	x2, x3, [sp, #FRAME_FPSR]
	msr	fpsr, x2
	msr	fpcr, x3
	add	x2, sp, #FRAME_Q(0)
	fpsimd	ldp
	ldp	x0, x1, [sp, #FRAME_X(0)]
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldp	x18, x19, [sp, #FRAME_X(18)]
	ldp	x20, x21, [sp, #FRAME_X(20)]
	ldp	x22, x23, [sp, #FRAME_X(22)]
	ldp	x24, x25, [sp, #FRAME_X(24)]
	ldp	x26, x27, [sp, #FRAME_X(26)]
	ldp	x28, x29, [sp, #FRAME_X(28)]
	ldr	x30, [sp, #FRAME_X(30)]
	add	sp, sp, #FRAME_SIZE
	eret

/*
 * arch_tasks_enter(ctx, first): the kernel's callee-saved registers and
 * its stack pointer (SP_EL0) into ctx, then resume the user frame first
 * from SP_EL1 (the frame's end is the task's kernel stack top).
 * arch_tasks_leave(ctx), called by a trap handler on SP_EL1, returns from
 * it with SP_EL1 the exception stack again.
 */
	.text
	.globl	arch_tasks_enter
arch_tasks_enter:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x2, sp
	str	x2, [x0, #96]
	msr	spsel, #1
	mov	x0, x1
	b	arm64_trap_resume

	.globl	arch_tasks_leave
arch_tasks_leave:
	ldr	x1, =__exception_stack_top
	mov	sp, x1
	msr	spsel, #0
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x2, [x0, #96]
	mov	sp, x2
	ret
