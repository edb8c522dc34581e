/*
 * One entry stub per IDT vector, all TRAP_STUB_SIZE bytes apart so that
 * x86_traps_init() finds vector v's at trap_stubs + v * TRAP_STUB_SIZE.
 * Each pushes a 0 where the CPU pushes no error code, then its vector, so
 * that every trap reaches trap_common with the same struct trap_frame.
 */
#include "x86.h"

	.text
	.balign	TRAP_STUB_SIZE
	.globl	trap_stubs
trap_stubs:
	vector = 0
	.rept	VEC_COUNT
0:	.if	vector >= 32
	pushq	$0
	.elseif	((VEC_ERROR_CODE_MASK >> vector) & 1) == 0
	pushq	$0
	.endif
	pushq	$vector
	jmp	trap_common
	.org	0b + TRAP_STUB_SIZE, 0xcc	/* fails if the stub outgrew it */
	vector = vector + 1
	.endr

/*
 * Save the rest of struct trap_frame (trap_frame.h), call x86_trap(frame)
 * and resume where the frame's rip and rsp say: the fault is handled only
 * when a probe expected it and its fixup rewrote them.
 */
trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%cr2, %rax
	push	%rax
	cld				/* the ABI's direction flag, whatever was interrupted */
	mov	%rsp, %rdi
	mov	%rsp, %rbx		/* callee-saved: the frame, across the call */
	and	$-16, %rsp		/* the ABI's stack alignment at a call */
	call	x86_trap
	mov	%rbx, %rsp
	add	$8, %rsp		/* cr2 */
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector, error code */
	iretq

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
