/*
 * arm64 user entry: the kernel starts a task here with x0, x1 its
 * arguments and SP_EL0 the top of its stack (core/task.c). TPIDR_EL0 gets
 * the program's TLS block (picolibc's errno, _set_tls; user.ld), then
 * main, then exit. origami_syscall: svc #0 with x8 = number, x0-x5.
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	mov	x19, x0
	mov	x20, x1
	mov	x29, xzr		/* the end of the frame-record chain */
	mov	x30, xzr
	adrp	x0, __tls_base
	add	x0, x0, :lo12:__tls_base
	bl	_set_tls
	mov	x0, x19
	mov	x1, x20
	bl	task_main
	bl	sys_exit

	.text
	.globl	origami_syscall
origami_syscall:
	mov	x8, x0
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	mov	x4, x5
	mov	x5, x6
	svc	#0
	ret
