/*
 * Accesses that may fault (include/arch.h). Every instruction here that may
 * fault is listed in probe_fixups with where to resume instead, the
 * exception table of Linux in miniature: arch_fixup_probe() looks the
 * trapping rip up. No frame is set up, so a fixup only has to change rip
 * (and drop the return address of arch_probe_exec's call, see below).
 */
#include <errno.h>

	.text
	.globl	arch_probe_read
arch_probe_read:			/* (va %rdi, *val %rsi) */
probe_read_access:
	mov	(%rdi), %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
	ret

	.globl	arch_probe_write
arch_probe_write:			/* (va %rdi, val %rsi) */
probe_write_access:
	mov	%rsi, (%rdi)
	xor	%eax, %eax
	ret

/*
 * A fetch fault in the callee happens at the callee's address, with our
 * return address pushed: arch_fixup_probe() recognises it by that return
 * address (probe_exec_return) and pops it. A CPU that checks the target
 * before the call (a non-canonical one, SDM vol. 2A, CALL) faults on the
 * call itself, which the table covers.
 */
	.globl	arch_probe_exec, probe_exec_return
arch_probe_exec:			/* (va %rdi) */
probe_exec_call:
	call	*%rdi
probe_exec_return:
	xor	%eax, %eax
	ret

	.globl	probe_failed
probe_failed:
	mov	$-EFAULT, %eax
	ret

/* In .text, the only memory the boot map lets execute. */
	.globl	arch_ret_insn
arch_ret_insn:
	ret
.Larch_ret_insn_end:

	.section .rodata
	.balign	8
	.globl	arch_ret_insn_len
arch_ret_insn_len:
	.quad	.Larch_ret_insn_end - arch_ret_insn

	.globl	probe_fixups, probe_fixups_end
probe_fixups:				/* { faulting instruction, resume at } */
	.quad	probe_read_access, probe_failed
	.quad	probe_write_access, probe_failed
	.quad	probe_exec_call, probe_failed
probe_fixups_end:

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
