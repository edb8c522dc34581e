/*
 * riscv64 user entry: the kernel starts a task here with a0, a1 its
 * arguments and sp the top of its stack (core/task.c). tp points at the
 * program's TLS block (picolibc's errno; user.ld), then main, then exit.
 * origami_syscall: ecall with a7 = number, a0-a5 (include/uapi).
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	.option push
	.option norelax
	lla	tp, __tls_base
	.option pop
	li	ra, 0			/* the end of every backtrace */
	li	s0, 0
	call	task_main
	call	sys_exit

	.text
	.globl	origami_syscall
origami_syscall:
	mv	a7, a0
	mv	a0, a1
	mv	a1, a2
	mv	a2, a3
	mv	a3, a4
	mv	a4, a5
	mv	a5, a6
	ecall
	ret
