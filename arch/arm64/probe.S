/*
 * Accesses that may fault, and the table that says where each one resumes
 * when it does (Linux's exception table, in miniature). arch_fixup_probe()
 * (trap.c) looks the faulting instruction up in .probe_fixups, makes the
 * probe return -EFAULT and resumes at the entry's resume label.
 */
#include "probe.h"

	.text

/* int arch_probe_read(uint64_t va, uint64_t *val) */
	.globl	arch_probe_read
	.type	arch_probe_read, %function
arch_probe_read:
1:	ldr	x2, [x0]
	str	x2, [x1]
	mov	x0, #0
2:	ret
	probe_fixup 1b, 2b, PROBE_MATCH_PC
	.size	arch_probe_read, . - arch_probe_read

/* int arch_probe_write(uint64_t va, uint64_t val) */
	.globl	arch_probe_write
	.type	arch_probe_write, %function
arch_probe_write:
1:	str	x1, [x0]
	mov	x0, #0
2:	ret
	probe_fixup 1b, 2b, PROBE_MATCH_PC
	.size	arch_probe_write, . - arch_probe_write

/*
 * int arch_probe_exec(uint64_t va): call va, which must hold arch_ret_insn.
 * A fault is taken at va itself, outside this function: the entry matches
 * on the return address (x30) the call left instead.
 */
	.globl	arch_probe_exec
	.type	arch_probe_exec, %function
arch_probe_exec:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	/*
	 * The caller may just have written the code at va through the data
	 * side: invalidate the instruction cache and resynchronise the fetch
	 * stream before calling it (Arm ARM, "Concurrent modification and
	 * execution of instructions"). Cleaning the written line to the point
	 * of unification is the writer's part (by address, through the alias
	 * it wrote): here a maintenance operation by va could itself fault.
	 */
	dsb	ish
	ic	iallu
	dsb	ish
	isb
	blr	x0
1:	mov	x0, #0
2:	ldp	x29, x30, [sp], #16
	ret
	probe_fixup 1b, 2b, PROBE_MATCH_LR
	.size	arch_probe_exec, . - arch_probe_exec

/* In .text: the kernel's set maps only text executable (W^X), and
 * test.probe executes it in place. */
	.globl	arch_ret_insn
	.balign	4
arch_ret_insn:
	ret

	.section .rodata
	.globl	arch_ret_insn_len
	.balign	8
arch_ret_insn_len:
	.quad	4
