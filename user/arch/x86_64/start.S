/*
 * x86-64 user entry: the kernel starts a task here with rdi, rsi its
 * arguments and rsp the top of its stack (core/task.c); main, then exit.
 * origami_syscall: int $0x80 with rax = number, rdi rsi rdx r10 r8 r9
 * (include/uapi), from the SysV C convention (number in rdi, the six
 * arguments in rsi rdx rcx r8 r9 and on the stack).
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	xor	%ebp, %ebp		/* the end of every backtrace */
	and	$-16, %rsp
	call	task_main
	mov	%eax, %edi
	call	sys_exit

	.text
	.globl	origami_syscall
origami_syscall:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
	int	$0x80
	ret

	.section .note.GNU-stack, "", @progbits
