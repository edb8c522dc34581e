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
 * and resume the frame it returns: the same one (a fault a probe expected,
 * its rip and rsp rewritten by the fixup; a system call), or another
 * task's after a task switch (include/arch.h, "user mode"). A trap from
 * ring 3 starts on TSS.rsp0, the top of the task's kernel stack, so its
 * frame is the topmost thing there.
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
	/* RFLAGS.AC off: user code can set it (popf), and with SMAP it would
	 * open user pages to the kernel (SDM vol. 3, 4.6.1). */
	pushfq
	andq	$~RFLAGS_AC, (%rsp)
	popfq
	mov	%rsp, %rdi
	and	$-16, %rsp		/* the ABI's stack alignment at a call */
	call	x86_trap
	/* rax: the frame to resume (arch_tasks_enter comes here too). */
x86_trap_resume:
	mov	%rax, %rsp
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

/*
 * arch_tasks_enter(ctx, first): the kernel's callee-saved registers, rsp,
 * RFLAGS and return address into ctx, then resume the user frame first.
 * arch_tasks_leave(ctx), from a trap handler, returns from it with the
 * RFLAGS of the call (interrupts on again: the handler ran with them off).
 */
	.globl	arch_tasks_enter
arch_tasks_enter:
	pushfq
	pop	%rax
	mov	%rax, 64(%rdi)
	mov	(%rsp), %rax		/* return address */
	mov	%rax, 0(%rdi)
	lea	8(%rsp), %rax		/* rsp after the return */
	mov	%rax, 8(%rdi)
	mov	%rbx, 16(%rdi)
	mov	%rbp, 24(%rdi)
	mov	%r12, 32(%rdi)
	mov	%r13, 40(%rdi)
	mov	%r14, 48(%rdi)
	mov	%r15, 56(%rdi)
	mov	%rsi, %rax
	jmp	x86_trap_resume

	.globl	arch_tasks_leave
arch_tasks_leave:
	mov	8(%rdi), %rsp
	mov	16(%rdi), %rbx
	mov	24(%rdi), %rbp
	mov	32(%rdi), %r12
	mov	40(%rdi), %r13
	mov	48(%rdi), %r14
	mov	56(%rdi), %r15
	pushq	64(%rdi)
	popfq
	jmp	*0(%rdi)

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
