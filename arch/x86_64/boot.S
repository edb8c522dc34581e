/*
 * x86-64 entry: Multiboot 1 hands us 32-bit protected mode with paging off;
 * this trampoline picks the paging depth, builds the boot map, enters long
 * mode, moves to the image's link address (its high VA) and calls
 * arch_setup().
 *
 * Machine state at entry (Multiboot spec 3.2): eax = 0x2BADB002, ebx =
 * physical address of the Multiboot information, flat 32-bit CS/DS, paging
 * off, interrupts off; ESP and the GDTR are not to be trusted.
 *
 * The image is linked at KERNEL_VMA_OFFSET + its physical address
 * (kernel.ld): until the jump to the high VA, every absolute reference is
 * PA(sym), the physical address the loader put sym at.
 *
 * The boot map (include/arch.h, "The boot map"), static tables in .bss,
 * 2 MiB pages only (a CPU without 1 GiB pages boots too):
 *   - the identity map of [0, 4 GiB): the code that turns paging on runs
 *     there until the jump (and the loader put the Multiboot information
 *     there); executable;
 *   - the direct map: [0, 4 GiB) at DIRECT_MAP_VA, not executable;
 *   - the image: KERNEL_VMA_OFFSET + pa -> pa for the first 1 GiB,
 *     executable (the same page directories as the identity map).
 * Everything read-write: the kernel's own set (core/mmu_boot.c) replaces
 * it, with W^X, before any test runs. Not global, so the first CR3 write
 * of arch_mmu_activate() drops it from the TLB.
 *
 * 4-level or 5-level paging: CR4.LA57 can only change while paging is off
 * (SDM vol. 3, 4.1.2), so the choice is made here and holds until power
 * off: `mmu.mode=x86-64-4level` on the Multiboot command line asks for
 * 4 levels; otherwise 5 if CPUID.(EAX=7,ECX=0):ECX.LA57[16] says the CPU
 * has them. The MMU layer then offers only the mode that runs (pt_x86.c).
 */
#include "x86.h"
#include "x86_bits.h"
#include "board.h"	/* BOARD_EARLY_UART_PORT, BOARD_EXIT_PORT */

#define PA(sym)		((sym) - KERNEL_VMA_OFFSET)

#define MULTIBOOT_FLAGS	(MULTIBOOT_WANT_MEMINFO | MULTIBOOT_AOUT_KLUDGE)
#define EXIT_PANIC	2	/* include/kernel.h */
#define PAGE_SIZE	4096
#define ENTRY_SIZE	8
#define ENTRIES		512
#define LARGE_PAGE_SIZE	0x200000
#define BOOT_PD_PAGES	4	/* 4 x 512 x 2 MiB = 4 GiB */
#define PTE_TABLE	(X86_P | X86_RW)
#define PTE_NX_HIGH	(1 << (X86_XD_BIT - 32))	/* XD as seen in the entry's high dword */
/* A VA's index at the PML5, PML4 and PDPT levels (SDM vol. 3, 4.5). */
#define INDEX(va, shift) (((va) >> (shift)) & (ENTRIES - 1))
#define PML5_INDEX(va)	INDEX(va, 48)
#define PML4_INDEX(va)	INDEX(va, 39)
#define PDPT_INDEX(va)	INDEX(va, 30)

/* kernel.ld checks its KERNEL_VMA_OFFSET against this one. */
	.globl	x86_kernel_vma_offset
	.set	x86_kernel_vma_offset, KERNEL_VMA_OFFSET

/*
 * Multiboot spec 3.1.1: 4-byte aligned in the first 8 KiB of the file. The
 * address fields (3.1.3, physical) make the loader copy the file as a flat
 * image: QEMU loads an ELF only if it is ELF32, and this one is ELF64. The
 * linker script keeps the file a linear copy of [__image_start, __load_end).
 */
	.section .multiboot, "a"
	.balign	4
multiboot_header:
	.long	MULTIBOOT_HEADER_MAGIC
	.long	MULTIBOOT_FLAGS
	.long	-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_FLAGS)
	.long	PA(multiboot_header)	/* header_addr */
	.long	PA(__image_start)	/* load_addr */
	.long	PA(__load_end)		/* load_end_addr */
	.long	PA(__bss_end)		/* bss_end_addr */
	.long	PA(_start32)		/* entry_addr */

	.section .text.boot, "ax"
	.code32
	.globl	_start32
_start32:
	cld
	mov	$PA(__boot_stack_top), %esp
	cmp	$MULTIBOOT_BOOT_MAGIC, %eax
	jne	not_multiboot
	mov	%ebx, %esi		/* Multiboot information, until arch_setup */

	/* Long mode and NX: CPUID 80000001h:EDX[29] and [20]. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$CPUID_80000001_EDX_LM, %edx
	jz	no_long_mode
	xor	%ebp, %ebp		/* high dword of a non-executable entry: NX if the CPU has it */
	test	$CPUID_80000001_EDX_NX, %edx
	jz	1f
	mov	$PTE_NX_HIGH, %ebp
1:
	/* The page tables live in .bss: clear it whatever the loader did. */
	mov	$PA(__bss_start), %edi
	mov	$PA(__bss_end), %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	/* boot_pd: [0, 4 GiB) in 2 MiB pages, read-write. */
	mov	$PA(boot_pd), %edi
	mov	$(X86_P | X86_RW | X86_PS), %eax
	mov	$(BOOT_PD_PAGES * ENTRIES), %ecx
1:	mov	%eax, (%edi)
	add	$LARGE_PAGE_SIZE, %eax
	add	$ENTRY_SIZE, %edi
	loop	1b

	/*
	 * Two directory-pointer tables over those directories: the identity
	 * map's, and the direct map's with XD, which forbids execution of
	 * everything below it (SDM vol. 3, 4.6.1).
	 */
	mov	$(PA(boot_pd) + PTE_TABLE), %eax
	xor	%ecx, %ecx
1:	mov	%eax, PA(boot_pdpt_identity)(, %ecx, ENTRY_SIZE)
	mov	%eax, PA(boot_pdpt_direct)(, %ecx, ENTRY_SIZE)
	mov	%ebp, PA(boot_pdpt_direct) + 4(, %ecx, ENTRY_SIZE)
	add	$PAGE_SIZE, %eax
	inc	%ecx
	cmp	$BOOT_PD_PAGES, %ecx
	jb	1b
	/* The image: KERNEL_VMA_OFFSET is 1 GiB aligned, so the first
	 * directory (physical [0, 1 GiB)) maps it at its link addresses. */
	movl	$(PA(boot_pd) + PTE_TABLE), \
		PA(boot_pdpt_image) + ENTRY_SIZE * PDPT_INDEX(KERNEL_VMA_OFFSET)

	movl	$(PA(boot_pdpt_identity) + PTE_TABLE), PA(boot_pml4)
	movl	$(PA(boot_pdpt_direct) + PTE_TABLE), \
		PA(boot_pml4) + ENTRY_SIZE * PML4_INDEX(DIRECT_MAP_VA)
	movl	$(PA(boot_pdpt_image) + PTE_TABLE), \
		PA(boot_pml4) + ENTRY_SIZE * PML4_INDEX(KERNEL_VMA_OFFSET)

	/*
	 * The depth. With 5 levels a PML5 goes on top: its entry 0 (the
	 * identity map) and its kernel-half entry (the direct map and the
	 * image, both in the last 256 TiB) point at the same PML4; the
	 * aliases that makes elsewhere are never used.
	 */
	mov	$PA(boot_pml4), %edi	/* the root, for CR3 */
	call	cmdline_wants_4level
	test	%eax, %eax
	jnz	2f
	xor	%eax, %eax
	cpuid
	cmp	$7, %eax
	jb	2f
	mov	$7, %eax
	xor	%ecx, %ecx
	cpuid
	test	$CPUID_7_0_ECX_LA57, %ecx
	jz	2f
	movl	$(PA(boot_pml4) + PTE_TABLE), PA(boot_pml5) + ENTRY_SIZE * PML5_INDEX(0)
	movl	$(PA(boot_pml4) + PTE_TABLE), \
		PA(boot_pml5) + ENTRY_SIZE * PML5_INDEX(DIRECT_MAP_VA)
	mov	$PA(boot_pml5), %edi
	mov	%cr4, %eax
	or	$CR4_LA57, %eax
	mov	%eax, %cr4
2:
	/* Enter IA-32e mode in the order of SDM vol. 3, 10.8.5 (9.8.5 in
	 * older editions): PAE, CR3, EFER.LME, then CR0.PG. */
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	%edi, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	test	%ebp, %ebp
	jz	1f
	or	$EFER_NXE, %eax		/* before any XD bit is used: else reserved (4.5) */
1:	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP), %eax	/* WP: read-only holds for the kernel too */
	mov	%eax, %cr0
	/* Compatibility mode, at the identity map: the GDT by its physical
	 * address until the jump to 64-bit code. */
	lgdt	PA(gdt_descriptor_boot)
	ljmp	$GDT_KERNEL_CODE, $PA(long_mode_identity)

/*
 * %eax = 1 if the Multiboot command line (information at %esi) says
 * mmu.mode=x86-64-4level, else 0. Read as the kernel reads it later:
 * setup.c drops the first word (the image's path, up to a space), then
 * cmdline_get() takes the first word that is "mmu.mode" or starts with
 * "mmu.mode=" (words split at spaces and tabs). Clobbers %ecx, %edx.
 */
cmdline_wants_4level:
	push	%ebx
	push	%esi
	push	%edi
	xor	%edx, %edx		/* the answer */
	testl	$MULTIBOOT_INFO_CMDLINE, (%esi)
	jz	9f
	mov	MULTIBOOT_INFO_CMDLINE_OFF(%esi), %esi
1:	lodsb				/* argv[0] */
	test	%al, %al
	jz	9f
	cmp	$' ', %al
	jne	1b
next_word:
	lodsb
	cmp	$' ', %al
	je	next_word
	cmp	$'\t', %al
	je	next_word
	test	%al, %al
	jz	9f
	dec	%esi			/* at the word */
	mov	%esi, %ebx
	mov	$PA(key_mmu_mode), %edi
	mov	$(key_mmu_mode_end - key_mmu_mode), %ecx
	repe cmpsb
	jne	skip_word
	movb	(%esi), %al
	call	is_word_end
	je	9f			/* bare "mmu.mode": the value "" */
	cmp	$'=', %al
	jne	skip_word
	inc	%esi
	mov	$PA(mode_4level), %edi
	mov	$(mode_4level_end - mode_4level), %ecx
	repe cmpsb
	jne	9f			/* the first mmu.mode= decides */
	movb	(%esi), %al
	call	is_word_end
	jne	9f
	inc	%edx
	jmp	9f
skip_word:
	mov	%ebx, %esi		/* back to the word's start */
1:	lodsb
	call	is_word_end
	jne	1b
	test	%al, %al
	jnz	next_word
9:	mov	%edx, %eax
	pop	%edi
	pop	%esi
	pop	%ebx
	ret

/* ZF set if %al ends a word: NUL, space or tab. */
is_word_end:
	test	%al, %al
	jz	1f
	cmp	$' ', %al
	je	1f
	cmp	$'\t', %al
1:	ret

not_multiboot:
	mov	$PA(msg_not_multiboot), %esi
	jmp	early_failure
no_long_mode:
	mov	$PA(msg_no_long_mode), %esi
/*
 * Nothing is set up yet: say why on the board's early UART and end as kernel_exit() would,
 * with its ORIGAMI-EXIT line for the runner.
 */
early_failure:
	call	early_puts
	mov	$PA(msg_exit_panic), %esi
	call	early_puts
	mov	$EXIT_PANIC, %eax
	outl	%eax, $BOARD_EXIT_PORT
1:	hlt
	jmp	1b

/* Write the string at %esi to the early UART, polling. Clobbers %eax, %edx, %esi. */
early_puts:
	mov	$(BOARD_EARLY_UART_PORT + UART_LSR), %dx
1:	inb	%dx, %al
	test	$UART_LSR_THRE, %al
	jz	1b
	lodsb
	test	%al, %al
	jz	2f
	mov	$BOARD_EARLY_UART_PORT, %dx
	outb	%al, %dx
	jmp	early_puts
2:	ret

	.code64
/* 64-bit mode, still at the identity map: jump to the link address. */
long_mode_identity:
	movabs	$long_mode, %rax
	jmp	*%rax

long_mode:
	/*
	 * From here on only link addresses: the identity map goes with the
	 * boot map. The GDTR holds a linear address (SDM vol. 3, 3.5.1):
	 * reload it with the GDT's, then every segment register from it (CS
	 * by a far return).
	 */
	lgdt	gdt_descriptor(%rip)
	mov	$__boot_stack_top, %rsp	/* upper halves are undefined after the switch */
	load_kernel_segments
	xor	%ebp, %ebp		/* ends the frame-pointer chain */
	mov	%esi, %edi		/* zero-extends: the Multiboot information, physical */
	call	arch_setup
	ud2				/* arch_setup does not return */

	.section .rodata
msg_not_multiboot:
	.asciz	"origami: not started by a Multiboot loader\r\n"
msg_no_long_mode:
	.asciz	"origami: this CPU has no long mode\r\n"
msg_exit_panic:
	.ascii	"ORIGAMI-EXIT: "
	.byte	'0' + EXIT_PANIC
	.asciz	"\r\n"
key_mmu_mode:
	.ascii	"mmu.mode"
key_mmu_mode_end:
mode_4level:
	.ascii	"x86-64-4level"
mode_4level_end:

/*
 * The GDT (SDM vol. 3, 3.4.5 and 7.2.3): flat 64-bit code and data, and the
 * TSS descriptor that x86_traps_init() fills in. Accessed bits preset so the
 * CPU never writes to it for them.
 */
	.data
	.balign	16
	.globl	gdt
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* GDT_KERNEL_CODE: P, DPL 0, code, L */
	.quad	0x00cf93000000ffff	/* GDT_KERNEL_DATA: P, DPL 0, data, writable */
	.quad	0, 0			/* GDT_TSS */
	.quad	0x00cff3000000ffff	/* GDT_USER_DATA: P, DPL 3, data, writable */
	.quad	0x00affb000000ffff	/* GDT_USER_CODE: P, DPL 3, code, L */
gdt_end:
	.balign	8
/* For LGDT in 64-bit mode: a 10-byte operand, base = the GDT's link address. */
gdt_descriptor:
	.word	gdt_end - gdt - 1
	.quad	gdt
/* For LGDT before paging: a 6-byte operand, base = the GDT's physical address. */
gdt_descriptor_boot:
	.word	gdt_end - gdt - 1
	.long	PA(gdt)

	.section .bss.page_tables, "aw", @nobits
	.balign	PAGE_SIZE
boot_pml5:		.skip	PAGE_SIZE
boot_pml4:		.skip	PAGE_SIZE
boot_pdpt_identity:	.skip	PAGE_SIZE
boot_pdpt_direct:	.skip	PAGE_SIZE
boot_pdpt_image:	.skip	PAGE_SIZE
boot_pd:		.skip	BOOT_PD_PAGES * PAGE_SIZE

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
