/*
 * arm64 entry: the Linux Image header, the drop from EL2 to EL1, then C.
 *
 * Boot protocol (Linux Documentation/arch/arm64/booting.rst, which QEMU
 * -kernel and U-Boot booti follow): MMU and D-cache off, x0 = physical
 * address of the DTB, entered at EL2 or EL1.
 */
#include "sysreg.h"

	.section .text.head, "ax"
	.globl	_start
_start:
	/* The 64-byte Image header (booting.rst, section 4). */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	__text_offset		/* load offset from the 2 MiB aligned DRAM base */
	.quad	__image_size		/* effective size, .bss and stack included */
	/*
	 * flags: little endian (bit 0 = 0), page size unspecified (bits 2:1)
	 * and bit 3 = 0: the image goes at DRAM base + text_offset, which is
	 * the address it is linked at; both loaders place it there.
	 */
	.quad	0
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: no PE/COFF header */

primary_entry:
	mov	x19, x0			/* DTB, kept across the setup below */
	mrs	x20, CurrentEL
	cmp	x20, #CURRENTEL_EL2
	b.eq	el2_to_el1
	cmp	x20, #CURRENTEL_EL1
	b.eq	el1_entry
	b	early_failure		/* EL3: not a boot protocol we accept */

/*
 * Leave EL2 for EL1 with nothing of EL2 in the way: AArch64 EL1 (HCR_EL2.RW),
 * no stage 2 (HCR_EL2.VM = 0, VTTBR_EL2 = 0), no traps of the counter, of
 * FP/SIMD/SVE/SME or of AArch32 system registers, and the GICv3 CPU
 * interface usable from EL1. EL2 keeps no vector table, so nothing may
 * trap to it afterwards.
 */
el2_to_el1:
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_EL1_GIC_SHIFT, #4
	cbz	x0, 1f
	mrs	x0, ICC_SRE_EL2
	mov	x1, #ICC_SRE_EL2_SRE_ENABLE
	orr	x0, x0, x1
	msr	ICC_SRE_EL2, x0
1:
	mov	x0, #HCR_EL2_RW
	msr	hcr_el2, x0
	isb
	/*
	 * Without FEAT_E2H0, HCR_EL2.E2H is RES1 and stays set: CNTHCTL_EL2
	 * and CPTR_EL2 then have their E2H=1 layouts.
	 */
	mrs	x0, hcr_el2
	tbnz	x0, #HCR_EL2_E2H_BIT, 2f
	mov	x0, #CNTHCTL_EL2_EL1_ACCESS
	mov	x1, #CPTR_EL2_NO_TRAPS
	b	3f
2:	mov	x0, #CNTHCTL_EL2_E2H_EL1_ACCESS
	mov	x1, #CPTR_EL2_E2H_NO_FP_TRAPS
3:	msr	cnthctl_el2, x0
	msr	cptr_el2, x1
	msr	cntvoff_el2, xzr
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	adr	x0, el1_entry
	msr	elr_el2, x0
	isb
	eret

el1_entry:
	/* The outermost frame: debuggers stop unwinding here (no x30 to follow). */
	.cfi_sections .debug_frame
	.cfi_startproc
	.cfi_undefined x30
	ldr	x0, =SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x0
	mov	x0, #CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adrp	x0, arm64_vectors
	add	x0, x0, :lo12:arm64_vectors
	msr	vbar_el1, x0
	isb

	/*
	 * The kernel runs on SP_EL0 (SPSel = 0); exceptions switch to SP_EL1,
	 * a stack of their own, so that a trap on a broken kernel SP
	 * (misaligned, overflowed, wild) is still reported.
	 */
	adrp	x0, __exception_stack_top
	add	sp, x0, :lo12:__exception_stack_top
	adrp	x0, __stack_top
	add	x0, x0, :lo12:__stack_top
	msr	sp_el0, x0
	msr	spsel, #0

	/* .bss (the stacks with it) is 16-byte aligned and sized by kernel.ld. */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	/*
	 * Absolute addresses in data (string tables, function pointers) are
	 * only right where the image is linked: refuse to run elsewhere.
	 */
	adr	x0, _start
	ldr	x1, =_start
	cmp	x0, x1
	b.ne	early_failure

	msr	daifclr, #4		/* SError on: asynchronous aborts get reported */
	mov	x29, xzr		/* the end of the frame-record chain */
	mov	x0, x19
	lsr	x1, x20, #2		/* the EL we were entered at */
	bl	arch_setup
	b	early_failure
	.cfi_endproc

/*
 * No console and maybe no .bss yet: say EXIT_PANIC through semihosting if a
 * host listens (the QEMU runner does), else stop here.
 */
early_failure:
	adrp	x0, __stack_top
	add	sp, x0, :lo12:__stack_top
	mov	x0, #2			/* EXIT_PANIC */
	bl	arm64_semihost_exit
1:	wfe
	b	1b
