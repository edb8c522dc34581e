/*
 * riscv64 entry, in S-mode from OpenSBI or U-Boot (RISC-V SBI spec,
 * "Boot protocol"): a0 = hart id, a1 = physical address of the DTB,
 * satp = 0 (MMU off), interrupts off, the image at a 2 MiB aligned
 * physical address (Linux boot-image-header.rst: RV64 text_offset).
 *
 * The kernel is linked at its high VA (kernel.ld). Until the jump below
 * the code runs at its load address and uses nothing but PC-relative
 * addressing (lla); it builds the boot map (include/arch.h, "The boot
 * map") in one Sv39 root and one level-1 table:
 *   - the GiB holding the image, identity (one gigapage), for the jump;
 *   - the direct map: physical [0, BOOT_DMAP_GIB GiB) at DIRECT_MAP_VA;
 *   - the image at its link address, in 2 MiB megapages.
 * Then satp, the jump to the link address, and C with everything at its
 * link address (stack, TLS, trap vector).
 */
#include "sv_bits.h"
#include "boot_map.h"
#include "smp.h"		/* struct cpu's offsets, for the secondary entry */

#define BOOT_STACK_SIZE 16384
#define TRAP_STACK_SIZE 16384
#define LEAF_RWX (SV_V | SV_R | SV_W | SV_X | SV_A | SV_D)
#define BOOT_CLAIMED   1	/* boot_claimed's bits */
#define BOOT_MAP_WHOLE 2

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

/* t = PPN field of the physical address in t (any register). */
.macro ppn_field reg
	srli	\reg, \reg, SV_PAGE_SHIFT
	slli	\reg, \reg, SV_PPN_SHIFT
.endm

riscv_entry:
	csrci	sstatus, SSTATUS_SIE
	csrw	sie, zero
	li	t0, SSTATUS_SUM		/* the supervisor never reads user pages */
	csrc	sstatus, t0
	mv	s1, a0			/* hart id */
	mv	s2, a1			/* DTB, physical */
	.option push
	.option norelax			/* gp is not set up: no gp-relative code */
	/* Only the first hart here boots. Another one is a hart the
	 * firmware started at its default next address instead of ours:
	 * OpenSBI 1.1's HSM hart_start (lib/sbi/sbi_hsm.c) makes the hart
	 * START_PENDING before it stores the start address and argument, so
	 * a hart that checks its state in between jumps to the boot entry
	 * (this one) with the DTB in a1 (docs/smp.md, "The boot CPU is not
	 * special"). Zeroing .bss now would wipe the running kernel: it
	 * goes the way of every other hart instead, by its hart id. */
	lla	t0, boot_claimed
	li	t1, BOOT_CLAIMED
	amoor.w.aqrl t1, t1, (t0)
	andi	t1, t1, BOOT_CLAIMED
	bnez	t1, late_hart
	lla	s3, _start		/* where we were loaded */
	li	t0, (1 << SV_MEGA_SHIFT) - 1
	and	t0, s3, t0
	bnez	t0, misplaced
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
2:	lla	s4, boot_map_root

	/* The identity gigapage of the image's GiB. */
	srli	t0, s3, SV_GIGA_SHIFT
	andi	t1, t0, (1 << SV_LEVEL_BITS) - 1
	slli	t0, t0, SV_GIGA_SHIFT
	ppn_field t0
	ori	t0, t0, LEAF_RWX
	slli	t1, t1, 3
	add	t1, s4, t1
	sd	t0, (t1)

	/* The direct map: root entries from DIRECT_MAP_VA's on, one GiB each. */
	li	t0, LEAF_RWX
	li	t1, 1 << (SV_GIGA_SHIFT - SV_PAGE_SHIFT + SV_PPN_SHIFT)   /* one GiB of PPN */
	li	t2, ((DIRECT_MAP_VA >> SV_GIGA_SHIFT) & ((1 << SV_LEVEL_BITS) - 1)) * 8
	add	t2, s4, t2
	li	t3, BOOT_DMAP_GIB
3:	sd	t0, (t2)
	add	t0, t0, t1
	addi	t2, t2, 8
	addi	t3, t3, -1
	bnez	t3, 3b

	/* The image: root -> level-1 table -> megapages at the link address. */
	lla	t0, boot_map_image
	mv	t1, t0
	ppn_field t1
	ori	t1, t1, SV_V
	li	t2, ((KERNEL_LINK_VA >> SV_GIGA_SHIFT) & ((1 << SV_LEVEL_BITS) - 1)) * 8
	add	t2, s4, t2
	sd	t1, (t2)
	li	t2, ((KERNEL_LINK_VA >> SV_MEGA_SHIFT) & ((1 << SV_LEVEL_BITS) - 1)) * 8
	add	t2, t0, t2		/* first megapage entry */
	lla	t3, __image_end		/* physical end: how many megapages */
	mv	t0, s3
	ppn_field t0
	ori	t0, t0, LEAF_RWX
	li	t1, 1 << (SV_MEGA_SHIFT - SV_PAGE_SHIFT + SV_PPN_SHIFT)   /* 2 MiB of PPN */
	li	t4, 1 << SV_MEGA_SHIFT
	mv	t5, s3
4:	sd	t0, (t2)
	add	t0, t0, t1
	addi	t2, t2, 8
	add	t5, t5, t4
	bltu	t5, t3, 4b

	/* The boot map is whole: a hart that came in late may use it. */
	lla	t0, boot_claimed
	li	t1, BOOT_MAP_WHOLE
	amoor.w.aqrl zero, t1, (t0)

	/* Translation on. satp.MODE is WARL (privileged spec 4.1.11): a CPU
	 * without Sv39 keeps Bare, and this kernel cannot run there. */
	srli	t0, s4, SV_PAGE_SHIFT
	li	t1, SATP_MODE_SV39
	slli	t1, t1, SATP_MODE_SHIFT
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	csrr	t1, satp
	bne	t0, t1, no_sv39
	sfence.vma
	lla	t0, link_address_of_high
	ld	t0, (t0)
	jr	t0

high:	/* From here on every address is the link address. */
	la	sp, boot_stack_top
	la	tp, __tls_base
	.option pop
	la	t0, riscv_image_pa
	sd	s3, (t0)
	la	t0, riscv_trap_vector
	csrw	stvec, t0
	la	t0, trap_stack_top
	csrw	sscratch, t0
	/* fp = ra = 0 ends every backtrace here. */
	li	s0, 0
	li	ra, 0
	mv	a0, s1
	mv	a1, s2
	call	arch_setup		/* (a0 hart id, a1 dtb physical): does not return */
5:	wfi
	j	5b

/* A hart that lost the boot to another: once that one has built the boot
 * map, the secondary way. a0 is still its hart id. */
late_hart:
	lla	t0, boot_claimed
1:	lw	t1, (t0)
	andi	t1, t1, BOOT_MAP_WHOLE
	beqz	t1, 1b
	fence	rw, rw
	j	riscv_secondary_entry

/*
 * Every other hart, started by SBI HSM hart_start (SBI spec v2.0, 9.1) at
 * the physical address of this label, or come in through riscv_entry
 * (above): a0 = hart id, S-mode, satp = 0. Only a0 is trusted: HSM's
 * opaque argument (a1) may be the firmware's stale one, like the start
 * address (OpenSBI 1.1's race, above). The boot map is still intact
 * (.bss, never freed): turn it on as the boot hart did, jump high, and
 * find this hart's struct cpu in its own start word (include/smp.h,
 * smp_starts): the entry whose hwid is this hart id, claimed by swapping
 * in 0 (AMOSWAP, RISC-V unprivileged spec ch. 8.4). None there (smp_boot
 * gave up on it, or nobody started it): park, touching nothing. Then the
 * stacks and the thread pointer smp_boot prepared, and C, which switches
 * to the kernel's set (smp_secondary_main).
 */
	.globl	riscv_secondary_entry
riscv_secondary_entry:
	csrci	sstatus, SSTATUS_SIE
	csrw	sie, zero
	li	t0, SSTATUS_SUM
	csrc	sstatus, t0
	mv	s2, a0			/* the hart id SBI HSM started (SBI spec 9.1) */
	.option push
	.option norelax
	lla	t0, boot_map_root
	srli	t0, t0, SV_PAGE_SHIFT
	li	t1, SATP_MODE_SV39
	slli	t1, t1, SATP_MODE_SHIFT
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma
	lla	t0, link_address_of_secondary_high
	ld	t0, (t0)
	jr	t0
secondary_high:
	la	t0, smp_starts
	li	t1, SMP_MAX_CPUS
1:	ld	t2, SMP_START_HWID_OFFSET(t0)
	bne	t2, s2, 2f
	addi	t3, t0, SMP_START_CPU_OFFSET
	amoswap.d.aqrl s1, zero, (t3)
	bnez	s1, 3f
2:	addi	t0, t0, SMP_START_SIZE
	addi	t1, t1, -1
	bnez	t1, 1b
4:	wfi				/* no start word of its own: park */
	j	4b
3:	sd	s2, SMP_CPU_ARCH_BOOT_OFFSET(s1)	/* arch_cpu_hwid reads it */
	ld	sp, SMP_CPU_STACK_OFFSET(s1)
	ld	tp, SMP_CPU_TLS_OFFSET(s1)
	.option pop
	la	t0, riscv_trap_vector
	csrw	stvec, t0
	ld	t0, SMP_CPU_TRAP_STACK_OFFSET(s1)
	csrw	sscratch, t0
	li	s0, 0
	li	ra, 0
	mv	a0, s1
	call	smp_secondary_main	/* does not return */
5:	wfi
	j	5b

/*
 * Nothing to run on: say why on the SBI console (legacy console_putchar,
 * SBI spec 5.2, which OpenSBI keeps) and power off (SRST), with the exit
 * line the QEMU runner reads. Translation is off; PC-relative only.
 */
misplaced:
	lla	s5, msg_misplaced
	j	early_failure
no_sv39:
	csrw	satp, zero
	sfence.vma
	lla	s5, msg_no_sv39
early_failure:
1:	lbu	a0, (s5)
	beqz	a0, 2f
	li	a7, SBI_LEGACY_CONSOLE_PUTCHAR
	ecall
	addi	s5, s5, 1
	j	1b
2:	li	a7, SBI_EXT_SRST
	li	a6, SBI_SRST_RESET
	li	a0, SBI_SRST_SHUTDOWN
	li	a1, SBI_SRST_SYSTEM_FAILURE
	ecall
3:	wfi
	j	3b

	.section .rodata
msg_misplaced:
	.asciz	"panic: riscv64: image not loaded at a 2 MiB aligned address\nORIGAMI-EXIT: 2\n"
msg_no_sv39:
	.asciz	"panic: riscv64: satp does not take Sv39: this kernel needs an MMU\nORIGAMI-EXIT: 2\n"
	.balign	8
link_address_of_high:
	.dword	high
link_address_of_secondary_high:
	.dword	secondary_high

/*
 * Every trap: save all integer registers and the trap CSRs as a struct
 * trap_frame (riscv.h), call riscv_trap(frame), and resume the frame it
 * returns: the same one (maybe with sepc changed by a probe fixup), or
 * another task's after a task switch (include/arch.h, "user mode"). The
 * kernel uses no FP, and user code is built without it (user/), so there
 * is no FP state to save.
 *
 * sscratch says where a trap starts (the scheme of Linux's riscv
 * entry.S): while a user task runs, the top of its kernel stack; in the
 * kernel outside any trap, the top of the trap stack, so that a wild or
 * overflowed kernel sp is still reported; 0 while a trap is being handled:
 * a nested trap stays on the stack it is on.
 */
#define FRAME_SIZE (36 * 8)
/* This CPU's trap stack top, from the kernel's tp (its struct cpu's TLS
 * block, include/smp.h). */
#define TRAP_STACK_TOP_FROM_TP (SMP_CPU_TRAP_STACK_OFFSET - SMP_CPU_TLS_BLOCK_OFFSET)
#define SAVE(n) sd x##n, (n * 8)(sp)
#define LOAD(n) ld x##n, (n * 8)(sp)

	.text
	.balign 4			/* stvec direct mode: 4-byte aligned */
	.globl riscv_trap_vector
riscv_trap_vector:
	csrrw	sp, sscratch, sp	/* sp = where traps start; sscratch = old sp */
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
	csrr	t1, scause
	sd	t1, (34 * 8)(sp)
	csrr	t1, stval
	sd	t1, (35 * 8)(sp)
	/* From U-mode (sstatus.SPP = 0, privileged spec 4.1.1.2): tp is the
	 * task's; the kernel's (this CPU's TLS block, in its struct cpu:
	 * smp.c) is in x0's slot, where the return to U-mode left it. */
	andi	t0, t0, SSTATUS_SPP
	bnez	t0, 3f
	ld	tp, (0 * 8)(sp)
3:	mv	a0, sp
	call	riscv_trap
	/* a0: the frame to resume (riscv_tasks_enter comes here too). */
riscv_trap_resume:
	mv	sp, a0
	ld	t0, (32 * 8)(sp)
	csrw	sepc, t0
	ld	t0, (33 * 8)(sp)
	csrw	sstatus, t0
	andi	t0, t0, SSTATUS_SPP
	addi	t1, sp, FRAME_SIZE
	bnez	t0, 4f
	/* To U-mode: the next trap starts at the top of this task's kernel
	 * stack, where its frame is, and finds this CPU's tp in x0's slot. */
	sd	tp, (0 * 8)(sp)
	csrw	sscratch, t1
	j	2f
	/* Leaving the outermost kernel trap: the next one starts at the top
	 * of this CPU's trap stack again (each CPU has its own: smp.c). */
4:	ld	t0, TRAP_STACK_TOP_FROM_TP(tp)
	bne	t0, t1, 2f
	csrw	sscratch, t0
2:	LOAD(1);  LOAD(3);  LOAD(4);  LOAD(5);  LOAD(6);  LOAD(7);  LOAD(8)
	LOAD(9);  LOAD(10); LOAD(11); LOAD(12); LOAD(13); LOAD(14); LOAD(15)
	LOAD(16); LOAD(17); LOAD(18); LOAD(19); LOAD(20); LOAD(21); LOAD(22)
	LOAD(23); LOAD(24); LOAD(25); LOAD(26); LOAD(27); LOAD(28); LOAD(29)
	LOAD(30); LOAD(31)
	LOAD(2)				/* last: sp before the trap */
	sret

/*
 * arch_tasks_enter(ctx, first): the kernel's callee-saved registers, sp
 * and ra into ctx, then resume the user frame first. arch_tasks_leave(ctx)
 * (from a trap handler, on some task's kernel stack) returns from it.
 */
	.globl arch_tasks_enter
arch_tasks_enter:
	sd	ra, (0 * 8)(a0)
	sd	sp, (1 * 8)(a0)
	sd	s0, (2 * 8)(a0)
	sd	s1, (3 * 8)(a0)
	sd	s2, (4 * 8)(a0)
	sd	s3, (5 * 8)(a0)
	sd	s4, (6 * 8)(a0)
	sd	s5, (7 * 8)(a0)
	sd	s6, (8 * 8)(a0)
	sd	s7, (9 * 8)(a0)
	sd	s8, (10 * 8)(a0)
	sd	s9, (11 * 8)(a0)
	sd	s10, (12 * 8)(a0)
	sd	s11, (13 * 8)(a0)
	mv	a0, a1
	j	riscv_trap_resume

	.globl arch_tasks_leave
arch_tasks_leave:
	ld	t0, TRAP_STACK_TOP_FROM_TP(tp)	/* out of every trap: traps start there */
	csrw	sscratch, t0
	ld	ra, (0 * 8)(a0)
	ld	sp, (1 * 8)(a0)
	ld	s0, (2 * 8)(a0)
	ld	s1, (3 * 8)(a0)
	ld	s2, (4 * 8)(a0)
	ld	s3, (5 * 8)(a0)
	ld	s4, (6 * 8)(a0)
	ld	s5, (7 * 8)(a0)
	ld	s6, (8 * 8)(a0)
	ld	s7, (9 * 8)(a0)
	ld	s8, (10 * 8)(a0)
	ld	s9, (11 * 8)(a0)
	ld	s10, (12 * 8)(a0)
	ld	s11, (13 * 8)(a0)
	ret

/*
 * Try a satp value: returns what satp reads back, with the satp of the
 * caller put back. An unsupported MODE leaves satp unchanged (privileged
 * spec 4.1.11, WARL); a supported one translates at once, so the table
 * must map this code, the stack and the caller where they are (cpu.c).
 */
	.globl riscv_satp_try
riscv_satp_try:
	csrr	t0, satp
	sfence.vma
	csrw	satp, a0
	sfence.vma
	csrr	a0, satp
	csrw	satp, t0
	sfence.vma
	ret

	/* BOOT_CLAIMED once a hart took the boot, BOOT_MAP_WHOLE once its
	 * boot map is built; set by AMOOR only, so no hart's bit is lost.
	 * Not .bss: it is read before .bss is zeroed (riscv_entry). */
	.section .data
	.balign 4
boot_claimed:
	.word	0

	.section .bss
	.balign 1 << SV_PAGE_SHIFT
	.globl boot_map_root
boot_map_root:
	.skip	1 << SV_PAGE_SHIFT
boot_map_image:
	.skip	1 << SV_PAGE_SHIFT
	.balign 16
boot_stack:
	.skip	BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
	.balign 16
trap_stack:
	.skip	TRAP_STACK_SIZE
	.globl trap_stack_top
trap_stack_top:
