/*
 * x86-64 entry: Multiboot 1 hands us 32-bit protected mode; this trampoline
 * builds the boot identity map, enters long mode and calls arch_setup().
 *
 * Machine state at entry (Multiboot spec 3.2): eax = 0x2BADB002, ebx =
 * physical address of the Multiboot information, flat 32-bit CS/DS, paging
 * off, interrupts off; ESP and the GDTR are not to be trusted.
 *
 * The identity map covers the first 4 GiB (the Multiboot loader puts the
 * image, the information structure and the memory map there): 2 MiB pages,
 * except the first 2 MiB which holds the image and gets 4 KiB pages so that
 *   - the null page is not mapped,
 *   - .text is read-only and the only executable memory (with NX),
 *   - .rodata is read-only,
 *   - the page under the boot stack is not mapped (a stack overflow faults).
 * These tables are temporary: the MMU layer replaces them.
 */
#include "x86.h"

#define MULTIBOOT_FLAGS	(MULTIBOOT_WANT_MEMINFO | MULTIBOOT_AOUT_KLUDGE)
#define EXIT_PANIC	2	/* include/kernel.h */
#define PAGE_SIZE	4096
#define LARGE_PAGE_SIZE	0x200000
#define BOOT_PD_PAGES	4	/* 4 x 512 x 2 MiB = 4 GiB */

/*
 * Multiboot spec 3.1.1: 4-byte aligned in the first 8 KiB of the file. The
 * address fields (3.1.3) make the loader copy the file as a flat image: QEMU
 * loads an ELF only if it is ELF32, and this one is ELF64. The linker script
 * keeps the file a linear copy of [__image_start, __load_end).
 */
	.section .multiboot, "a"
	.balign	4
multiboot_header:
	.long	MULTIBOOT_HEADER_MAGIC
	.long	MULTIBOOT_FLAGS
	.long	-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_FLAGS)
	.long	multiboot_header	/* header_addr */
	.long	__image_start		/* load_addr */
	.long	__load_end		/* load_end_addr */
	.long	__bss_end		/* bss_end_addr */
	.long	_start32		/* entry_addr */

	.section .text.boot, "ax"
	.code32
	.globl	_start32
_start32:
	cld
	mov	$__boot_stack_top, %esp
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
	xor	%ebp, %ebp		/* high dword of every data mapping: NX if the CPU has it */
	test	$CPUID_80000001_EDX_NX, %edx
	jz	1f
	mov	$PTE_NX_HIGH, %ebp
1:
	/* The page tables live in .bss: clear it whatever the loader did. */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	/* The first 4 GiB in 2 MiB pages, read-write, not executable. */
	mov	$boot_pd, %edi
	mov	$(PTE_P | PTE_RW | PTE_PS), %eax
	mov	$(BOOT_PD_PAGES * 512), %ecx
1:	mov	%eax, (%edi)
	mov	%ebp, 4(%edi)
	add	$LARGE_PAGE_SIZE, %eax
	add	$8, %edi
	loop	1b
	/*
	 * The first 2 MiB through boot_pt. Its directory entry must allow
	 * execution: NX anywhere on the walk forbids it (SDM vol. 3, 4.6).
	 */
	movl	$(boot_pt + PTE_P + PTE_RW), boot_pd
	movl	$0, boot_pd + 4

	mov	$PAGE_SIZE, %eax	/* page 0 stays unmapped */
	mov	$LARGE_PAGE_SIZE, %edx
	mov	$(PTE_P | PTE_RW), %ebx
	mov	%ebp, %ecx
	call	map_4k
	mov	$__text_start, %eax
	mov	$__text_end, %edx
	mov	$PTE_P, %ebx
	xor	%ecx, %ecx
	call	map_4k
	mov	$__rodata_start, %eax
	mov	$__rodata_end, %edx
	mov	$PTE_P, %ebx
	mov	%ebp, %ecx
	call	map_4k
	mov	$__stack_guard, %eax
	lea	PAGE_SIZE(%eax), %edx
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	call	map_4k

	mov	$boot_pdpt, %edi
	mov	$(boot_pd + PTE_P + PTE_RW), %eax
	mov	$BOOT_PD_PAGES, %ecx
1:	mov	%eax, (%edi)
	add	$PAGE_SIZE, %eax
	add	$8, %edi
	loop	1b
	movl	$(boot_pdpt + PTE_P + PTE_RW), boot_pml4

	/*
	 * 4-level or 5-level paging: CR4.LA57 can only be set while paging is
	 * off (SDM vol. 3, 4.1.2), so the choice is made here, from
	 * boot_la57; it falls back to 4-level if CPUID.(EAX=7,ECX=0):ECX[16]
	 * is clear, and then says so by clearing boot_la57.
	 */
	mov	$boot_pml4, %edi
	cmpb	$0, boot_la57
	je	2f
	xor	%eax, %eax
	cpuid
	cmp	$7, %eax
	jb	1f
	mov	$7, %eax
	xor	%ecx, %ecx
	cpuid
	test	$CPUID_7_0_ECX_LA57, %ecx
	jz	1f
	movl	$(boot_pml4 + PTE_P + PTE_RW), boot_pml5
	mov	$boot_pml5, %edi
	mov	%cr4, %eax
	or	$CR4_LA57, %eax
	mov	%eax, %cr4
	jmp	2f
1:	movb	$0, boot_la57
2:
	/* Enter IA-32e mode in the order of SDM vol. 3, 9.8.5. */
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	%edi, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	test	%ebp, %ebp
	jz	1f
	or	$EFER_NXE, %eax		/* before any NX bit is used: else reserved (4.5) */
1:	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP), %eax	/* WP: read-only holds for the kernel too */
	mov	%eax, %cr0
	lgdt	gdt_descriptor
	ljmp	$GDT_KERNEL_CODE, $long_mode_entry

/*
 * Point the boot_pt entries for [%eax, %edx) (page aligned, below 2 MiB) at
 * themselves, low dword flags %ebx, high dword %ecx. %ebx = 0 leaves them
 * not present, and the CPU then ignores the other bits (SDM vol. 3, 4.5).
 * Clobbers %eax and %edi.
 */
map_4k:
	mov	%eax, %edi
	shr	$(12 - 3), %edi		/* 8-byte entry per 4 KiB page */
	add	$boot_pt, %edi
1:	cmp	%edx, %eax
	jae	2f
	mov	%eax, (%edi)
	or	%ebx, (%edi)
	mov	%ecx, 4(%edi)
	add	$PAGE_SIZE, %eax
	add	$8, %edi
	jmp	1b
2:	ret

not_multiboot:
	mov	$msg_not_multiboot, %esi
	jmp	early_failure
no_long_mode:
	mov	$msg_no_long_mode, %esi
/*
 * Nothing is set up yet: say why on COM1 and end as kernel_exit() would,
 * with its ORIGAMI-EXIT line for the runner.
 */
early_failure:
	call	early_puts
	mov	$msg_exit_panic, %esi
	call	early_puts
	mov	$EXIT_PANIC, %eax
	outl	%eax, $DEBUG_EXIT_PORT
1:	hlt
	jmp	1b

/* Write the string at %esi to COM1, polling. Clobbers %eax, %edx, %esi. */
early_puts:
	mov	$(PC_COM1_PORT + UART_LSR), %dx
1:	inb	%dx, %al
	test	$UART_LSR_THRE, %al
	jz	1b
	lodsb
	test	%al, %al
	jz	2f
	mov	$PC_COM1_PORT, %dx
	outb	%al, %dx
	jmp	early_puts
2:	ret

	.code64
long_mode_entry:
	mov	$GDT_KERNEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	/* The upper halves of the registers are undefined after the switch. */
	mov	$__boot_stack_top, %rsp
	xor	%ebp, %ebp		/* ends the frame-pointer chain */
	mov	%esi, %edi		/* zero-extends: the Multiboot information */
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
gdt_end:
	.balign	8
	.globl	gdt_descriptor
gdt_descriptor:
	.word	gdt_end - gdt - 1
	.quad	gdt

/* Nonzero: the trampoline is to use 5-level paging (see above). */
	.globl	boot_la57
boot_la57:
	.byte	0

	.section .bss.page_tables, "aw", @nobits
	.balign	PAGE_SIZE
boot_pml5:	.skip	PAGE_SIZE
boot_pml4:	.skip	PAGE_SIZE
boot_pdpt:	.skip	PAGE_SIZE
boot_pd:	.skip	BOOT_PD_PAGES * PAGE_SIZE
boot_pt:	.skip	PAGE_SIZE

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
