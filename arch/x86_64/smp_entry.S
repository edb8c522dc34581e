/*
 * x86-64: where the other CPUs start (smp.c). A STARTUP IPI starts a CPU
 * in real mode at CS:IP = vector << 8 : 0 (SDM vol. 3, 10.4.4.1 and
 * 9.1.4), so the first instructions are a copy of x86_ap_trampoline at
 * AP_TRAMPOLINE_PA, in the low memory the kernel never hands out
 * (setup.c reserves [0, 1 MiB)). smp.c copies it there while the boot
 * map is on and fills in its data words.
 *
 * The trampoline goes from real mode straight to 64-bit mode: PAE (and
 * LA57 where boot.S chose 5 levels) in CR4, CR3 = boot.S's boot map (its
 * identity map holds the trampoline, its kernel half the image), EFER.LME
 * (and NXE: the boot map has XD bits), then CR0.PE and CR0.PG together
 * (SDM vol. 3, 10.8.5: IA-32e mode is entered by enabling paging with
 * LME set; PE and PG may be set by one MOV to CR0), and a far jump to the
 * GDT's 64-bit code segment. From there it jumps to the image's link
 * address, takes the stack of its struct cpu and calls x86_ap_setup.
 */
#include "x86.h"
#include "smp.h"

#define AP_OFFSET(sym)	((sym) - x86_ap_trampoline)
#define AP_ADDR(sym)	(AP_TRAMPOLINE_PA + AP_OFFSET(sym))

	.section .rodata
	.code16
	.balign	16
	.globl	x86_ap_trampoline
x86_ap_trampoline:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	AP_OFFSET(ap_gdt_descriptor)
	movl	AP_OFFSET(x86_ap_cr4), %eax
	mov	%eax, %cr4
	movl	AP_OFFSET(x86_ap_cr3), %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	movl	AP_OFFSET(x86_ap_efer), %eax
	xor	%edx, %edx
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PE | CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0
	ljmpl	$GDT_KERNEL_CODE, $AP_ADDR(ap_long)

	.code64
ap_long:
	movabs	$x86_ap_high, %rax
	jmp	*%rax

	.balign	8
ap_gdt_descriptor:			/* LGDT in real mode: 6 bytes, physical base */
	.word	GDT_ENTRIES * 8 - 1
	.long	gdt - KERNEL_VMA_OFFSET
	.balign	4
	.globl	x86_ap_cr3, x86_ap_cr4, x86_ap_efer
x86_ap_cr3:	.long	0		/* smp.c fills these three in */
x86_ap_cr4:	.long	0
x86_ap_efer:	.long	0
	.globl	x86_ap_trampoline_end
x86_ap_trampoline_end:

/*
 * At the link address, through the boot map: the GDT by its linear
 * address, the stack of this CPU's struct cpu, the segment registers
 * (load_kernel_segments, x86.h), then C. The struct comes from this CPU's own start
 * word (include/smp.h, smp_starts): the entry whose hwid is its APIC ID
 * (CPUID leaf 0xB EDX, the x2APIC ID, where the leaf exists; else leaf 1
 * EBX[31:24], SDM vol. 3, 10.4.6 and 10.12.8), claimed by XCHG with 0.
 * None there (smp_boot gave up on it): park, touching nothing.
 */
	.text
x86_ap_high:
	lgdt	ap_gdt_descriptor64(%rip)
	xor	%eax, %eax
	cpuid
	cmp	$0xb, %eax
	jb	2f
	mov	$0xb, %eax
	xor	%ecx, %ecx
	cpuid
	test	%ebx, %ebx		/* no logical processors: leaf 0xB not valid */
	jz	2f
	mov	%edx, %r8d
	jmp	3f
2:	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%ebx, %r8d
3:	lea	smp_starts(%rip), %rsi
	mov	$SMP_MAX_CPUS, %ecx
4:	cmp	SMP_START_HWID_OFFSET(%rsi), %r8
	jne	5f
	xor	%edi, %edi
	xchg	%rdi, SMP_START_CPU_OFFSET(%rsi)
	test	%rdi, %rdi
	jnz	6f
5:	add	$SMP_START_SIZE, %rsi
	loop	4b
ap_park:
	cli
	hlt
	jmp	ap_park
6:	mov	SMP_CPU_STACK_OFFSET(%rdi), %rsp
	load_kernel_segments
	xor	%ebp, %ebp		/* ends the frame-pointer chain */
	call	x86_ap_setup		/* (rdi: struct cpu) does not return */
	ud2

	.data
	.balign	8
ap_gdt_descriptor64:
	.word	GDT_ENTRIES * 8 - 1
	.quad	gdt

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
