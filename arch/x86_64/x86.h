/*
 * x86-64 architectural constants and instruction wrappers, shared by the
 * boot trampoline (boot.S), the trap entry and the C side of the port.
 */
#ifndef ORIGAMI_X86_H
#define ORIGAMI_X86_H

/* GDT selectors (boot.S lays the table out; Intel SDM vol. 3, 3.4.2). */
#define GDT_KERNEL_CODE	0x08
#define GDT_KERNEL_DATA	0x10
#define GDT_TSS		0x18	/* a 16-byte system descriptor: slots 3 and 4 */
#define GDT_USER_DATA	0x28	/* DPL 3: user tasks (ring 3) */
#define GDT_USER_CODE	0x30
#define GDT_ENTRIES	7
#define SEL_RPL3	3	/* a selector's requested privilege level 3 (3.4.2) */
/* The system-call vector: an interrupt gate user code may use (DPL 3). */
#define VEC_SYSCALL	0x80
#define RFLAGS_IF	(1 << 9)
#define RFLAGS_AC	(1 << 18)	/* with SMAP: supervisor access to user pages allowed */
#define RFLAGS_RESERVED1 (1 << 1)	/* always 1 (SDM vol. 1, 3.4.3) */

/*
 * The kernel's virtual layout (include/arch.h, "The boot map"). The image
 * is linked at KERNEL_VMA_OFFSET + its physical address (the top 2 GiB, as
 * Linux's __START_KERNEL_map: -mcmodel=kernel code, every link address a
 * sign-extended 32-bit value); the direct map puts physical 0 at the start
 * of the 4-level kernel half, which 5-level paging also has (canonical in
 * both, Intel SDM vol. 3, 4.5). No suffixes: shared with the assembler.
 */
#define KERNEL_VMA_OFFSET	0xffffffff80000000
#define DIRECT_MAP_VA		0xffff800000000000
/* What boot.S's direct map covers, and so the frame allocator's window. */
#define BOOT_DIRECT_MAP_END	0x100000000	/* 4 GiB */

/* Where the other CPUs start (smp_entry.S): a page of the low memory the
 * kernel never hands out (setup.c), addressed by the STARTUP IPI's vector
 * (address >> 12, SDM vol. 3, 10.4.4.1). */
#define AP_TRAMPOLINE_PA	0x8000
/* Interrupt vectors of the kernel's own (smp.c): the IPI that wakes a CPU
 * and carries TLB shootdowns, and the local APIC's spurious vector. */
#define VEC_IPI		0xf0
#define VEC_SPURIOUS	0xff
/* The legacy PICs' 16 lines, moved off the exception vectors and masked
 * (smp.c): only their spurious IRQ 7 / 15 can still arrive there. */
#define VEC_PIC_BASE	0x20
#define VEC_PIC_COUNT	16

/* Control registers (SDM vol. 3, 2.5). */
#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		0x80000000
#define CR3_PCID_MASK	0xfff		/* CR4.PCIDE = 1: CR3[11:0] is the PCID (4.10.1) */
#define CR4_PAE		(1 << 5)
#define CR4_PGE		(1 << 7)
#define CR4_LA57	(1 << 12)
#define CR4_PCIDE	(1 << 17)
#define CR4_SMEP	(1 << 20)
#define CR4_SMAP	(1 << 21)

/* IA32_EFER (SDM vol. 3, 2.2.1). */
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_LMA	(1 << 10)
#define EFER_NXE	(1 << 11)

/* CPUID feature bits (SDM vol. 2A, CPUID). */
#define CPUID_1_ECX_PCID		(1 << 17)
#define CPUID_7_0_EBX_SMEP		(1 << 7)
#define CPUID_7_0_EBX_INVPCID		(1 << 10)
#define CPUID_7_0_EBX_SMAP		(1 << 20)
#define CPUID_7_0_ECX_LA57		(1 << 16)
#define CPUID_80000001_EDX_NX		(1 << 20)
#define CPUID_80000001_EDX_PAGE1GB	(1 << 26)
#define CPUID_80000001_EDX_LM		(1 << 29)


/* #PF error code (SDM vol. 3, 4.7). */
#define PF_P		(1 << 0)
#define PF_W		(1 << 1)
#define PF_U		(1 << 2)
#define PF_RSVD		(1 << 3)
#define PF_ID		(1 << 4)
#define PF_PK		(1 << 5)
#define PF_SS		(1 << 6)

/* Exception vectors (SDM vol. 3, table 6-1). */
#define VEC_NMI		2	/* SDM vol. 3, 6.15: the exceptions by vector */
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define VEC_MC		18
#define VEC_COUNT	256
/* Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
#define VEC_ERROR_CODE_MASK	0x60227d00

/* Each trap entry stub is this long, so the IDT can be filled by index. */
#define TRAP_STUB_SIZE	16

/* Multiboot 1 (Multiboot spec 3.1.2, 3.2). */
#define MULTIBOOT_HEADER_MAGIC	0x1badb002
#define MULTIBOOT_BOOT_MAGIC	0x2badb002	/* in eax at entry */
#define MULTIBOOT_WANT_MEMINFO	(1 << 1)
#define MULTIBOOT_AOUT_KLUDGE	(1 << 16)
#define MULTIBOOT_INFO_CMDLINE	(1 << 2)	/* flags bit: cmdline valid (3.3) */
#define MULTIBOOT_INFO_CMDLINE_OFF 16		/* offset of the cmdline field */

/* The console before anything is known is the board's (board.h,
 * BOARD_EARLY_UART_PORT): an ns16550 by port I/O. */
#define UART_LSR	5		/* ns16550 line status register */
#define UART_LSR_THRE	(1 << 5)	/* transmit holding register empty */

#ifdef __ASSEMBLER__
/*
 * After an LGDT the segment registers still hold descriptors of the old
 * table (SDM vol. 3, 3.4.3): reload every data segment register with the
 * kernel's data selector, and CS by a far return. For boot.S and
 * smp_entry.S, once the stack is usable; clobbers rax.
 */
.macro load_kernel_segments
	mov	$GDT_KERNEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	pushq	$GDT_KERNEL_CODE
	lea	1001f(%rip), %rax
	push	%rax
	lretq
1001:
.endm
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>

/* trap.c: the TSS (for the #DF stack) and the IDT, before anything can trap. */
void x86_traps_init(void);
/* trap.c: the same on another CPU: a GDT and TSS of its own (a TSS is busy
 * once loaded), #DF on df_stack_top, the shared IDT. */
void x86_traps_init_cpu(unsigned index, uint64_t df_stack_top);
/* smp.c: an interrupt on VEC_IPI or VEC_SPURIOUS (trap.c dispatches it). */
void x86_ipi_interrupt(unsigned vector);

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;
	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline void outl(uint16_t port, uint32_t val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

/* An image address (a link address) as physical, for the loader's and the
 * MMU's view of the image: kernel.ld loads it at link address - offset. */
static inline uint64_t x86_image_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p - KERNEL_VMA_OFFSET;
}

struct cpuid { uint32_t eax, ebx, ecx, edx; };

#ifdef X86_CPU_MODEL
/*
 * The host test of the TLB code (tlb_test.c) compiles mmu_arch.c against
 * a model of the CPU that follows SDM vol. 3A 4.10: these are its.
 */
void wrmsr(uint32_t msr, uint64_t val);
uint64_t rdmsr(uint32_t msr);
struct cpuid cpuid(uint32_t leaf, uint32_t subleaf);
uint64_t read_cr3(void);
uint64_t read_cr4(void);
void write_cr3(uint64_t v);
void write_cr4(uint64_t v);
void invlpg(uint64_t va);
void invpcid(unsigned long type, unsigned pcid, uint64_t va);
#else
static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline struct cpuid cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

#define READ_CR(n)							\
	static inline uint64_t read_cr##n(void)				\
	{								\
		uint64_t v;						\
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));	\
		return v;						\
	}
READ_CR(0)
READ_CR(2)
READ_CR(3)
READ_CR(4)
#undef READ_CR

/* The memory clobbers keep the compiler from moving table stores or
 * accesses across a TLB operation. */
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* SDM vol. 2A, INVPCID: the descriptor is {PCID in bits 11:0, linear address}. */
static inline void invpcid(unsigned long type, unsigned pcid, uint64_t va)
{
	struct { uint64_t pcid, va; } desc = { pcid, va };

	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}
#endif /* !X86_CPU_MODEL */

#endif /* !__ASSEMBLER__ */
#endif
