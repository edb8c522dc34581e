/*
 * arm64 entry: the Linux Image header, the drop from EL2 to EL1, the boot
 * map and the MMU on, then C at the image's link address.
 *
 * Boot protocol (Linux Documentation/arch/arm64/booting.rst, which QEMU
 * -kernel and U-Boot booti follow): MMU and D-cache off, x0 = physical
 * address of the DTB, entered at EL2 or EL1, at the physical address
 * where the loader put the image. The image is linked at its high VA
 * (kernel.ld), so everything before the jump to el1_high is
 * PC-relative (adr, adrp, literal loads of constants).
 *
 * The boot map (include/arch.h, "The boot map"; vmsa_bits.h): 4 KiB
 * granule, 48-bit VAs, six static tables in .bss:
 *   TTBR1: physical [0, 64 GiB) at ARM64_DIRECT_MAP_VA in 1 GiB blocks
 *          (Device-nGnRE below the GiB holding the image, where QEMU virt
 *          and most boards keep their devices; Normal from it), and the
 *          image at its link VA in 2 MiB blocks (RWX: the kernel's own set
 *          is the one with W^X);
 *   TTBR0: an identity map of the GiB holding the image, for the
 *          instructions that turn the MMU on and for the trampoline that
 *          changes the kernel half later (mmu_arch.c).
 * Registers kept for arch_setup: x19 DTB (physical), x20 CurrentEL, x21
 * the image's physical address.
 */
#include "sysreg.h"
#include "early_uart.h"
#include "smp.h"		/* struct cpu's offsets, for the secondary entry */

/* Semihosting for AArch32 and AArch64, SYS_WRITE0: print the
 * NUL-terminated string at x1 on the host's console. */
#define SEMIHOST_SYS_WRITE0	0x04
/* include/kernel.h */
#define EXIT_PANIC		2
#define EXIT_TRAP		3

/* EL1 with the MMU off, FP/SIMD usable, and the early vectors: until the
 * MMU is on, an exception reports through early_failure. Uses x0. */
.macro el1_early_state
	ldr	x0, =SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x0
	mov	x0, #CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adrp	x0, early_vectors
	add	x0, x0, :lo12:early_vectors
	msr	vbar_el1, x0
	isb
.endm

/* The drop from EL2 to EL1 that el2_to_el1 (below) describes, for the
 * boot CPU and for the others (arm64_secondary_entry). Uses x0, x1. */
.macro el2_to_el1 el1_label
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_EL1_GIC_SHIFT, #4
	cbz	x0, 1001f
	mrs	x0, ICC_SRE_EL2
	mov	x1, #ICC_SRE_EL2_SRE_ENABLE
	orr	x0, x0, x1
	msr	ICC_SRE_EL2, x0
1001:
	mov	x0, #HCR_EL2_RW
	msr	hcr_el2, x0
	isb
	/*
	 * Without FEAT_E2H0, HCR_EL2.E2H is RES1 and stays set: CNTHCTL_EL2
	 * and CPTR_EL2 then have their E2H=1 layouts.
	 */
	mrs	x0, hcr_el2
	tbnz	x0, #HCR_EL2_E2H_BIT, 1002f
	mov	x0, #CNTHCTL_EL2_EL1_ACCESS
	mov	x1, #CPTR_EL2_NO_TRAPS
	b	1003f
1002:	mov	x0, #CNTHCTL_EL2_E2H_EL1_ACCESS
	mov	x1, #CPTR_EL2_E2H_NO_FP_TRAPS
1003:	msr	cnthctl_el2, x0
	msr	cptr_el2, x1
	msr	cntvoff_el2, xzr
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	adr	x0, \el1_label
	msr	elr_el2, x0
	isb
	eret
.endm


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
	mov	x23, xzr		/* not on the failure path (early_failure) */
	mrs	x20, CurrentEL
	cmp	x20, #CURRENTEL_EL2
	b.eq	el2_to_el1
	cmp	x20, #CURRENTEL_EL1
	b.eq	el1_entry
	adrp	x1, msg_el3
	add	x1, x1, :lo12:msg_el3
	b	early_failure		/* EL3: not a boot protocol we accept */

/*
 * Leave EL2 for EL1 with nothing of EL2 in the way: AArch64 EL1 (HCR_EL2.RW),
 * no stage 2 (HCR_EL2.VM = 0, VTTBR_EL2 = 0), no traps of the counter, of
 * FP/SIMD/SVE/SME or of AArch32 system registers, and the GICv3 CPU
 * interface usable from EL1. EL2 keeps no vector table, so nothing may
 * trap to it afterwards.
 */
el2_to_el1:
	el2_to_el1 el1_entry

el1_entry:
	el1_early_state

	/*
	 * The boot map maps the image with 2 MiB blocks: where the loader put
	 * it must agree with the link address modulo 2 MiB (it does for any
	 * 2 MiB aligned DRAM base + text_offset, booting.rst).
	 */
	adr	x21, _start
	ldr	x22, =_start
	eor	x0, x21, x22
	tst	x0, #((1 << BOOT_L2_SHIFT) - 1)
	b.ne	misplaced
	mrs	x0, id_aa64mmfr0_el1
	ubfx	x0, x0, #ID_MMFR0_TGRAN4_SHIFT, #4
	cmp	x0, #ID_MMFR0_TGRAN4_NONE
	b.eq	no_4k_granule

	/* .bss (the stacks and the boot map's tables with it) is 16-byte
	 * aligned and sized by kernel.ld. */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	bl	boot_map_build
	bl	boot_map_invalidate
	bl	boot_mmu_on
	ldr	x0, =el1_high
	br	x0

/* From here on at the link address, through TTBR1. */
el1_high:
	/* The outermost frame: debuggers stop unwinding here (no x30 to follow). */
	.cfi_sections .debug_frame
	.cfi_startproc
	.cfi_undefined x30
	ldr	x0, =arm64_vectors
	msr	vbar_el1, x0
	isb

	/*
	 * The kernel runs on SP_EL0 (SPSel = 0); exceptions switch to SP_EL1,
	 * a stack of their own, so that a trap on a broken kernel SP
	 * (misaligned, overflowed, wild) is still reported.
	 */
	ldr	x0, =__exception_stack_top
	mov	sp, x0
	ldr	x0, =__stack_top
	msr	sp_el0, x0
	msr	spsel, #0

	msr	daifclr, #4		/* SError on: asynchronous aborts get reported */
	mov	x29, xzr		/* the end of the frame-record chain */
	mov	x0, x19
	lsr	x1, x20, #2		/* the EL we were entered at */
	mov	x2, x21
	bl	arch_setup
	adrp	x1, msg_returned
	add	x1, x1, :lo12:msg_returned
	b	early_failure
	.cfi_endproc

/*
 * Every other CPU, started by PSCI CPU_ON or released from its spin
 * table (smp.c) at the physical address of this label, MMU off, at EL2 or
 * EL1. It leaves EL2 as the boot CPU did, turns the boot map on (its
 * tables are intact in .bss; the boot CPU wrote them with the MMU off, so
 * no cache holds stale lines of them, and this CPU must not invalidate
 * .bss: the boot CPU's dirty lines are in it now), jumps high, takes the
 * stacks of its struct cpu and goes to C (arm64_secondary_setup). The
 * struct comes from its own start word (include/smp.h, smp_starts): the
 * entry whose hwid is its MPIDR_EL1 affinity (Aff3, Aff2..Aff0, Arm ARM
 * D19.2), claimed by swapping in 0 (LDAXR/STLXR: no FEAT_LSE needed).
 * None there (smp_boot gave up on it): park, touching nothing.
 */
	.globl	arm64_secondary_entry
arm64_secondary_entry:
	mov	x23, xzr
	mrs	x20, CurrentEL
	cmp	x20, #CURRENTEL_EL2
	b.ne	secondary_el1
	el2_to_el1 secondary_el1
secondary_el1:
	el1_early_state
	bl	boot_mmu_on
	ldr	x0, =secondary_high
	br	x0
secondary_high:
	.cfi_startproc
	.cfi_undefined x30
	ldr	x0, =arm64_vectors
	msr	vbar_el1, x0
	isb
	mrs	x1, mpidr_el1
	ldr	x2, =MPIDR_AFF_MASK
	and	x1, x1, x2
	ldr	x2, =smp_starts
	mov	x3, #SMP_MAX_CPUS
1:	ldr	x4, [x2, #SMP_START_HWID_OFFSET]
	cmp	x4, x1
	b.ne	3f
	add	x5, x2, #SMP_START_CPU_OFFSET
2:	ldaxr	x19, [x5]
	stlxr	w6, xzr, [x5]
	cbnz	w6, 2b
	cbnz	x19, 4f
3:	add	x2, x2, #SMP_START_SIZE
	subs	x3, x3, #1
	b.ne	1b
	b	early_hang		/* no start word of its own: park */
4:	ldr	x0, [x19, #SMP_CPU_TRAP_STACK_OFFSET]
	mov	sp, x0
	ldr	x0, [x19, #SMP_CPU_STACK_OFFSET]
	msr	sp_el0, x0
	msr	spsel, #0
	msr	daifclr, #4
	mov	x29, xzr
	mov	x0, x19
	bl	arm64_secondary_setup	/* does not return */
	b	early_hang
	.cfi_endproc

/*
 * The boot map's tables (.bss, zeroed above), filled with the MMU off.
 * In: x21 the image's physical address, x22 its link address. Uses
 * x0-x13, no stack.
 */
boot_map_build:
	adrp	x0, boot_l0_high
	adrp	x1, boot_l1_dmap
	adrp	x2, boot_l1_image
	adrp	x3, boot_l2_image
	adrp	x4, arm64_boot_idmap
	adrp	x5, boot_l1_idmap

	/* TTBR1 level 0: the direct map's level-1 table and the image's. */
	ldr	x6, =ARM64_DIRECT_MAP_VA
	ubfx	x7, x6, #BOOT_L0_SHIFT, #BOOT_INDEX_BITS
	orr	x8, x1, #BOOT_TABLE
	str	x8, [x0, x7, lsl #3]
	ubfx	x7, x22, #BOOT_L0_SHIFT, #BOOT_INDEX_BITS
	orr	x8, x2, #BOOT_TABLE
	str	x8, [x0, x7, lsl #3]
	ubfx	x7, x22, #BOOT_L1_SHIFT, #BOOT_INDEX_BITS
	orr	x8, x3, #BOOT_TABLE
	str	x8, [x2, x7, lsl #3]

	/* The image: 2 MiB blocks from the one holding _start to _end, all
	 * in one level-2 table (the image does not cross a 1 GiB VA line). */
	ubfx	x7, x22, #BOOT_L2_SHIFT, #BOOT_INDEX_BITS
	ldr	x9, =_end
	sub	x9, x9, x22
	add	x9, x9, x21		/* physical end */
	and	x10, x21, #~((1 << BOOT_L2_SHIFT) - 1)
	ldr	x11, =BOOT_BLOCK_CODE
1:	cmp	x7, #(1 << BOOT_INDEX_BITS)
	b.hs	misplaced
	orr	x12, x10, x11
	str	x12, [x3, x7, lsl #3]
	add	x7, x7, #1
	add	x10, x10, #(1 << BOOT_L2_SHIFT)
	cmp	x10, x9
	b.lo	1b

	/* The direct map: BOOT_DMAP_BLOCKS 1 GiB blocks; Device below the
	 * GiB holding the image, Normal from it on. */
	ubfx	x7, x6, #BOOT_L1_SHIFT, #BOOT_INDEX_BITS
	lsr	x9, x21, #BOOT_L1_SHIFT
	mov	x10, xzr
	ldr	x11, =BOOT_BLOCK_DEVICE
	ldr	x12, =BOOT_BLOCK_RAM
2:	cmp	x10, x9
	csel	x8, x11, x12, lo
	orr	x8, x8, x10, lsl #BOOT_L1_SHIFT
	add	x13, x7, x10
	str	x8, [x1, x13, lsl #3]
	add	x10, x10, #1
	cmp	x10, #BOOT_DMAP_BLOCKS
	b.lo	2b

	/* TTBR0: the identity map of the GiB holding _start (boot_mmu_on and
	 * the trampoline are in the image's first 2 MiB). */
	ubfx	x7, x21, #BOOT_L0_SHIFT, #BOOT_INDEX_BITS
	orr	x8, x5, #BOOT_TABLE
	str	x8, [x4, x7, lsl #3]
	ubfx	x7, x21, #BOOT_L1_SHIFT, #BOOT_INDEX_BITS
	and	x8, x21, #~((1 << BOOT_L1_SHIFT) - 1)
	ldr	x11, =BOOT_BLOCK_CODE
	orr	x8, x8, x11
	str	x8, [x5, x7, lsl #3]
	ret

/*
 * The tables and .bss were written with the data cache off: drop any line
 * of them a cache may still hold from before (the loader's), so that the
 * walker and the cached accesses after the MMU is on see memory (Linux
 * does the same for its initial tables). Uses x0-x3.
 */
boot_map_invalidate:
	mrs	x0, ctr_el0
	ubfx	x0, x0, #CTR_EL0_DMINLINE_SHIFT, #4
	mov	x1, #4
	lsl	x1, x1, x0		/* the smallest D-cache line, bytes */
	sub	x3, x1, #1
	adrp	x2, __bss_start
	add	x2, x2, :lo12:__bss_start
	bic	x2, x2, x3
	adrp	x3, __bss_end
	add	x3, x3, :lo12:__bss_end
1:	dc	ivac, x2
	add	x2, x2, x1
	cmp	x2, x3
	b.lo	1b
	dsb	sy
	ret

/*
 * MAIR_EL1 (vmsa_bits.h), TCR_EL1 (the boot map's 4 KiB granule and
 * 48-bit halves, IPS = the CPU's PA size up to 48 bits, 16-bit ASIDs if
 * the CPU has them), both TTBRs, then the MMU on. Runs through the
 * identity map as the MMU comes on. Uses x0-x3.
 */
boot_mmu_on:
	ldr	x0, =VMSA_MAIR_EL1
	msr	mair_el1, x0
	ldr	x0, =TCR_BOOT
	mrs	x1, id_aa64mmfr0_el1
	ubfx	x2, x1, #ID_MMFR0_PARANGE_SHIFT, #4
	mov	x3, #TCR_IPS_48
	cmp	x2, x3
	csel	x2, x2, x3, lo
	orr	x0, x0, x2, lsl #TCR_IPS_SHIFT
	ubfx	x2, x1, #ID_MMFR0_ASIDBITS_SHIFT, #4
	cmp	x2, #ID_MMFR0_ASIDBITS_16
	b.ne	1f
	orr	x0, x0, #TCR_AS
1:	msr	tcr_el1, x0
	adrp	x0, arm64_boot_idmap
	msr	ttbr0_el1, x0
	adrp	x0, boot_l0_high
	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1			/* nothing the loader left may translate */
	dsb	nsh
	isb
	ldr	x0, =SCTLR_EL1_MMU_ON
	msr	sctlr_el1, x0
	isb
	ic	iallu			/* nor any instruction fetched before */
	dsb	nsh
	isb
	ret

/*
 * No console yet, maybe no .bss, maybe no MMU: say what failed on the
 * board's early UART if it is a PL011, else through semihosting if a host
 * listens (the QEMU runner does; it logs QEMU's output), then leave with
 * the status through semihosting, else stop here. x1: the message; x2:
 * the exit status, for early_exit. PC-relative throughout, so it runs at
 * the physical address before the MMU is on and at the link address after.
 */
early_failure:
	mov	x2, #EXIT_PANIC
early_exit:
	mov	x23, #1			/* the failure path: a trap here stops */
	mov	x24, x2
	adrp	x0, __stack_top
	add	sp, x0, :lo12:__stack_top
	bl	early_uart_puts
	cbnz	x0, 1f
	mov	x0, #SEMIHOST_SYS_WRITE0
	bl	arm64_semihost
1:	mov	x0, x24
	bl	arm64_semihost_exit
early_hang:
	wfe
	b	early_hang

/*
 * Print the NUL-terminated string at x1 on board_early_uart if it is a
 * PL011 (through the boot map's direct map once the MMU is on). Returns
 * x0 = 1 if it printed, 0 if the UART is of another kind. Uses x0, x3-x6.
 */
early_uart_puts:
	adrp	x3, board_early_uart
	add	x3, x3, :lo12:board_early_uart
	ldr	w4, [x3, #EARLY_UART_KIND_OFFSET]
	mov	x0, xzr
	cmp	w4, #EARLY_UART_KIND_PL011
	b.ne	3f
	ldr	x4, [x3, #EARLY_UART_BASE_OFFSET]
	mrs	x5, sctlr_el1
	tbz	x5, #0, 1f		/* SCTLR_EL1.M */
	ldr	x5, =ARM64_DIRECT_MAP_VA
	add	x4, x4, x5
1:	mov	x3, x1
	mov	x0, #1
2:	ldrb	w5, [x3], #1
	cbz	w5, 3f
4:	ldr	w6, [x4, #EARLY_PL011_FR]
	tbnz	w6, #EARLY_PL011_FR_TXFF_BIT, 4b
	str	w5, [x4, #EARLY_PL011_DR]
	b	2b
3:	ret

misplaced:
	adrp	x1, msg_misplaced
	add	x1, x1, :lo12:msg_misplaced
	b	early_failure
no_4k_granule:
	adrp	x1, msg_no_4k
	add	x1, x1, :lo12:msg_no_4k
	b	early_failure

/*
 * The vectors until the MMU is on (arm64_vectors needs the link address).
 * A trap on the failure path itself (semihosting without a host: an
 * undefined instruction) stops there.
 */
	.section .text.vectors, "ax"
	.balign	0x800
early_vectors:
	.rept	16
	.balign	0x80
	b	early_exception
	.endr
early_exception:
	cbnz	x23, early_hang
	adrp	x1, msg_exception
	add	x1, x1, :lo12:msg_exception
	mov	x2, #EXIT_TRAP
	b	early_exit

/*
 * void arm64_ttbr1_switch(uint64_t ttbr1, uint64_t tcr)
 * The trampoline of arch_mmu_activate (mmu_arch.c), called at its
 * PHYSICAL address through the boot map's identity map (TTBR0, with a TCR
 * whose TTBR0 half is the boot map's), with interrupts masked: loads the
 * kernel half's root and the mode's TCR_EL1 while nothing is fetched or
 * accessed through TTBR1, then drops every TLB entry of the old kernel
 * half before returning to the caller's link address through the new one.
 * No stack, no memory access. Arm ARM D8.16 (TLB maintenance), D19.2
 * (TTBR1_EL1, TCR_EL1).
 */
	.text
	.globl	arm64_ttbr1_switch
	.type	arm64_ttbr1_switch, %function
arm64_ttbr1_switch:
	msr	ttbr1_el1, x0
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	ish
	isb
	ret
	.size	arm64_ttbr1_switch, . - arm64_ttbr1_switch

/* The boot map's tables: one page each, page-aligned. */
	.section .bss.boot_map, "aw", %nobits
	.balign	BOOT_TABLE_BYTES
boot_l0_high:	.skip	BOOT_TABLE_BYTES	/* TTBR1 */
boot_l1_dmap:	.skip	BOOT_TABLE_BYTES
boot_l1_image:	.skip	BOOT_TABLE_BYTES
boot_l2_image:	.skip	BOOT_TABLE_BYTES
	.globl	arm64_boot_idmap
arm64_boot_idmap:				/* TTBR0, for mmu_arch.c too */
		.skip	BOOT_TABLE_BYTES
boot_l1_idmap:	.skip	BOOT_TABLE_BYTES

	.section .rodata.entry, "a"
msg_el3:
	.asciz	"origami: arm64 entry: entered at EL3, which the boot protocol does not allow\nORIGAMI-EXIT: 2\n"
msg_misplaced:
	.asciz	"origami: arm64 entry: loaded at a physical address that differs from the link address modulo 2 MiB, or too large an image: no boot map\nORIGAMI-EXIT: 2\n"
msg_no_4k:
	.asciz	"origami: arm64 entry: this CPU has no 4 KiB translation granule (ID_AA64MMFR0_EL1.TGran4 = 0b1111), which the boot map needs\nORIGAMI-EXIT: 2\n"
msg_exception:
	.asciz	"origami: arm64 entry: exception before the MMU was on\nORIGAMI-EXIT: 3\n"
msg_returned:
	.asciz	"origami: arm64 entry: arch_setup returned\nORIGAMI-EXIT: 2\n"
