/*
 * Accesses that may fault (include/arch.h): each has a fixup label where
 * riscv_fixup_probe() (trap.c) sends a trapped access, so that it returns
 * -EFAULT instead of the trap report.
 */
#define EFAULT 14

	.text
	.globl arch_probe_read, riscv_probe_read_insn, riscv_probe_read_fixup
arch_probe_read:			/* (va, *val) */
riscv_probe_read_insn:
	ld	t0, (a0)
	sd	t0, (a1)
	li	a0, 0
	ret
riscv_probe_read_fixup:
	li	a0, -EFAULT
	ret

	.globl arch_probe_write, riscv_probe_write_insn, riscv_probe_write_fixup
arch_probe_write:			/* (va, val) */
riscv_probe_write_insn:
	sd	a1, (a0)
	li	a0, 0
	ret
riscv_probe_write_fixup:
	li	a0, -EFAULT
	ret

	/* The fault is taken at va itself, with ra = riscv_probe_exec_return:
	 * that return address is how the fixup knows the call came from here. */
	.globl arch_probe_exec, riscv_probe_exec_return, riscv_probe_exec_fixup
arch_probe_exec:			/* (va) */
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	addi	s0, sp, 16
	jalr	a0
riscv_probe_exec_return:
	li	a0, 0
1:	ld	ra, 8(sp)
	ld	s0, 0(sp)
	addi	sp, sp, 16
	ret
riscv_probe_exec_fixup:
	li	a0, -EFAULT
	j	1b

	/* In .text: it is called, so it must stay executable once the MMU
	 * enforces W^X. */
	.globl arch_ret_insn
	.balign 4
arch_ret_insn:
	.word	0x00008067		/* jalr x0, 0(ra), uncompressed */

	.section .rodata
	.globl arch_ret_insn_len
	.balign 8
arch_ret_insn_len:
	.dword	4
