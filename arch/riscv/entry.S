/*
 * riscv64 entry, in S-mode from OpenSBI or U-Boot (RISC-V SBI spec,
 * "Boot protocol"): a0 = hart id, a1 = physical address of the DTB,
 * satp = 0 (MMU off), interrupts off.
 */
#define BOOT_STACK_SIZE 16384
#define TRAP_STACK_SIZE 16384
#define SSTATUS_SIE (1 << 1)

	.section .text.head, "ax"
	.globl _start
_start:
	/* Linux RISC-V Image header, so that U-Boot's booti can load us
	 * (Documentation/arch/riscv/boot-image-header.rst, version 0.2). */
	.option push
	.option norvc
	j	riscv_entry		/* code0 */
	.word	0			/* code1 */
	.option pop
	.dword	0x200000		/* text_offset from the start of RAM */
	.dword	__image_end - _start	/* image_size, BSS included */
	.dword	0			/* flags: little endian */
	.word	2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3: no PE/COFF header */

riscv_entry:
	csrci	sstatus, SSTATUS_SIE
	csrw	sie, zero
	.option push
	.option norelax			/* gp is not set up: no gp-relative code */
	la	sp, boot_stack_top
	la	tp, __tls_base
	.option pop
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, riscv_trap_vector
	csrw	stvec, t0
	la	t0, trap_stack_top
	csrw	sscratch, t0
	/* fp = ra = 0 ends every backtrace here. */
	li	s0, 0
	li	ra, 0
	call	riscv_setup		/* (a0 hart id, a1 dtb): does not return */
3:	wfi
	j	3b

/*
 * Every trap: save all integer registers and the trap CSRs as a struct
 * trap_frame (trap.c), call riscv_trap(frame), and return to frame->sepc,
 * which a probe fixup may have changed. The kernel uses no FP, so there is
 * no FP state to save.
 *
 * Traps run on their own stack, so that a wild or overflowed sp is still
 * reported. sscratch holds the top of that stack, or 0 while a trap is
 * being handled: a trap inside the handler stays on the stack it is on
 * (the scheme of Linux's riscv entry.S, where sscratch = 0 means "kernel").
 */
#define FRAME_SIZE (36 * 8)
#define SAVE(n) sd x##n, (n * 8)(sp)
#define LOAD(n) ld x##n, (n * 8)(sp)

	.text
	.balign 4			/* stvec direct mode: 4-byte aligned */
	.globl riscv_trap_vector
riscv_trap_vector:
	csrrw	sp, sscratch, sp	/* sp = trap stack top; sscratch = old sp */
	bnez	sp, 1f
	csrr	sp, sscratch		/* nested: sscratch was 0, stay where we are */
1:	addi	sp, sp, -FRAME_SIZE
	SAVE(1);  SAVE(3);  SAVE(4);  SAVE(5);  SAVE(6);  SAVE(7);  SAVE(8)
	SAVE(9);  SAVE(10); SAVE(11); SAVE(12); SAVE(13); SAVE(14); SAVE(15)
	SAVE(16); SAVE(17); SAVE(18); SAVE(19); SAVE(20); SAVE(21); SAVE(22)
	SAVE(23); SAVE(24); SAVE(25); SAVE(26); SAVE(27); SAVE(28); SAVE(29)
	SAVE(30); SAVE(31)
	csrrw	t0, sscratch, zero	/* sp before the trap; 0: in a trap now */
	sd	t0, (2 * 8)(sp)
	csrr	t0, sepc
	sd	t0, (32 * 8)(sp)
	csrr	t0, sstatus
	sd	t0, (33 * 8)(sp)
	csrr	t0, scause
	sd	t0, (34 * 8)(sp)
	csrr	t0, stval
	sd	t0, (35 * 8)(sp)
	mv	a0, sp
	call	riscv_trap
	ld	t0, (32 * 8)(sp)
	csrw	sepc, t0
	ld	t0, (33 * 8)(sp)
	csrw	sstatus, t0
	/* Leaving the outermost trap: the next one starts at the top again. */
	addi	t0, sp, FRAME_SIZE
	la	t1, trap_stack_top
	bne	t0, t1, 2f
	csrw	sscratch, t1
2:	LOAD(1);  LOAD(3);  LOAD(4);  LOAD(5);  LOAD(6);  LOAD(7);  LOAD(8)
	LOAD(9);  LOAD(10); LOAD(11); LOAD(12); LOAD(13); LOAD(14); LOAD(15)
	LOAD(16); LOAD(17); LOAD(18); LOAD(19); LOAD(20); LOAD(21); LOAD(22)
	LOAD(23); LOAD(24); LOAD(25); LOAD(26); LOAD(27); LOAD(28); LOAD(29)
	LOAD(30); LOAD(31)
	LOAD(2)				/* last: sp before the trap */
	sret

/*
 * Try a satp value with the MMU off: returns what satp reads back. An
 * unsupported MODE leaves satp unchanged (privileged spec 4.1.11, WARL);
 * a supported one turns translation on at once, so the caller's table
 * must map this code 1:1. Interrupts are off, nothing else runs.
 */
	.globl riscv_satp_try
riscv_satp_try:
	sfence.vma
	csrw	satp, a0
	sfence.vma
	csrr	a0, satp
	csrw	satp, zero
	sfence.vma
	ret

	.section .bss
	.balign 16
boot_stack:
	.skip	BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
	.balign 16
trap_stack:
	.skip	TRAP_STACK_SIZE
trap_stack_top:
