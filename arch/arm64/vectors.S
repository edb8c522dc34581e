/*
 * The EL1 exception vector table (Arm ARM D1.3.1 "Exception vectors"):
 * 16 entries of 0x80 bytes, 2 KiB aligned, in four groups of
 * {synchronous, IRQ, FIQ, SError}: current EL with SP_EL0, current EL with
 * SP_ELx, lower EL in AArch64, lower EL in AArch32.
 *
 * Every entry saves a struct trap_frame (trap_frame.h) and calls
 * arm64_trap(frame) (trap.c). If that returns (a fault a probe expected),
 * the frame, possibly redirected, is restored and execution resumes.
 */
#include "trap_frame.h"

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

	/* A frame record linking to the interrupted code, for backtraces. */
	stp	x29, x3, [sp, #FRAME_RECORD]	/* x3: elr, stored above */
	add	x29, sp, #FRAME_RECORD
	mov	x0, sp
	bl	arm64_trap

	ldp	x2, x3, [sp, #FRAME_ELR]	/* elr, spsr */
	msr	elr_el1, x2
	msr	spsr_el1, x3
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
