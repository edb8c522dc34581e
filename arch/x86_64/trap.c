/*
 * x86-64 traps: the IDT, the TSS that gives #DF a stack of its own, the
 * decoding of a trap into struct trap_info for trap_handle() (core/trap.c),
 * and the fixups of the probes in probe.S.
 */
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "smp.h"
#include "trap_frame.h"
#include "x86.h"
#include "vm.h"

_Static_assert(sizeof(struct trap_frame) == 23 * 8, "trap_entry.S pushes 23 registers");

/* Interrupt gate (SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t offset_0_15;
	uint16_t selector;
	uint8_t  ist;
	uint8_t  type_attr;
	uint16_t offset_16_31;
	uint32_t offset_32_63;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT	0x8e	/* P, DPL 0, 64-bit interrupt gate: IF cleared */
#define GATE_DPL3	0x60	/* the gate may be used by `int n` from ring 3 (6.12.1.1) */
#define IST_DOUBLE_FAULT 1

/* 64-bit TSS (SDM vol. 3, 7.7): rsp[0] is the stack a trap from ring 3
 * starts on (6.14.2, the running task's kernel stack), ist[] the #DF
 * stack (6.14.5). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define TSS_AVAILABLE_64 0x89	/* P, DPL 0, type 9 (SDM vol. 3, 3.5, table 3-2) */

extern const char trap_stubs[];
extern uint64_t gdt[GDT_ENTRIES];

static struct idt_gate idt[VEC_COUNT] __attribute__((aligned(16)));
static struct tss tss;
static uint8_t double_fault_stack[8192] __attribute__((aligned(16)));

/* The other CPUs' GDTs and TSSs (x86_traps_init_cpu); index 0 is the
 * boot CPU's, boot.S's gdt and tss above. */
static uint64_t cpu_gdt[SMP_MAX_CPUS][GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss cpu_tss[SMP_MAX_CPUS];

/* TSS t with #DF on df_top, described in gdt_of and loaded (SDM vol. 3,
 * 7.2.3: the 16-byte TSS descriptor). */
static void load_tss(uint64_t *gdt_of, struct tss *t, uint64_t df_top)
{
	uint64_t base = (uint64_t)t;

	t->ist[IST_DOUBLE_FAULT - 1] = df_top;
	t->iomap_base = sizeof(*t);	/* no I/O permission bitmap */
	gdt_of[GDT_TSS / 8] = (sizeof(*t) - 1) | (base & 0xffffff) << 16 |
			      (uint64_t)TSS_AVAILABLE_64 << 40 | (base >> 24 & 0xff) << 56;
	gdt_of[GDT_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
}

static void load_idt(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
		sizeof(idt) - 1, (uint64_t)idt,
	};
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void x86_traps_init_cpu(unsigned index, uint64_t df_stack_top)
{
	uint64_t *g = cpu_gdt[index];
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = {
		sizeof(cpu_gdt[0]) - 1, (uint64_t)g,
	};

	memcpy(g, gdt, sizeof(cpu_gdt[0]));
	__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
	load_tss(g, &cpu_tss[index], df_stack_top);
	load_idt();
}

void x86_traps_init(void)
{
	load_tss(gdt, &tss, (uint64_t)double_fault_stack + sizeof(double_fault_stack));
	for (unsigned v = 0; v < VEC_COUNT; v++) {
		uint64_t stub = (uint64_t)trap_stubs + v * TRAP_STUB_SIZE;
		idt[v] = (struct idt_gate){
			.offset_0_15 = stub & 0xffff,
			.selector = GDT_KERNEL_CODE,
			.ist = v == VEC_DF ? IST_DOUBLE_FAULT : 0,
			.type_attr = GATE_INTERRUPT | (v == VEC_SYSCALL ? GATE_DPL3 : 0),
			.offset_16_31 = stub >> 16 & 0xffff,
			.offset_32_63 = stub >> 32,
		};
	}
	load_idt();
}

/* This CPU's TSS: the boot CPU's own, or the one x86_traps_init_cpu gave. */
void arch_set_kernel_stack(uint64_t top)
{
	unsigned i = this_cpu()->index;

	(i ? &cpu_tss[i] : &tss)->rsp[0] = top;
}

/* SDM vol. 3, table 6-1. */
static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug exception",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range exceeded",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack-segment fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating-point error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating-point exception",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection exception",
	[28] = "#HV hypervisor injection exception",
	[29] = "#VC VMM communication exception",
	[30] = "#SX security exception",
};

/* The access that took a #PF, as MMU_* bits (SDM vol. 3, 4.7). */
static unsigned page_fault_access(const struct trap_frame *f)
{
	uint64_t err = f->error_code;
	/*
	 * Without EFER.NXE or CR4.SMEP the CPU never sets I/D; a fault at
	 * rip itself is a fetch all the same.
	 */
	unsigned access = err & PF_ID || f->cr2 == f->rip ? MMU_EXEC :
			  err & PF_W ? MMU_WRITE : MMU_READ;

	return err & PF_U ? access | MMU_USER : access;
}

/* The #PF error code in words. */
static void describe_page_fault(char *buf, size_t len, uint64_t err, unsigned access)
{
	ksnprintf(buf, len, "#PF page fault (%s, %s, %s%s%s%s)",
		  access & MMU_EXEC ? "exec" : access & MMU_WRITE ? "write" : "read",
		  err & PF_U ? "user" : "kernel",
		  err & PF_P ? "present: protection" : "not present",
		  err & PF_RSVD ? ", reserved bit set" : "",
		  err & PF_PK ? ", protection key" : "",
		  err & PF_SS ? ", shadow stack" : "");
}

static struct trap_frame *x86_trap_handle(struct trap_frame *f);

/*
 * Called by trap_entry.S for every vector; returns the frame to resume
 * (include/arch.h, "user mode"). Every gate is an interrupt gate (IF
 * cleared on entry): the IPI is handled with them off; a fault or a system
 * call with them as the code it interrupted had them (Linux's
 * cond_local_irq_enable), which is on in user tasks and in the kernel, so
 * a CPU in a long handler still answers shootdowns. CR2 is in the frame
 * already (trap_entry.S), so a nested fault cannot lose it. Off again
 * before the frame is resumed: iretq then restores the frame's RFLAGS.
 * #DF, NMI and #MC stay with them off: nothing comes back from those.
 */
struct trap_frame *x86_trap(struct trap_frame *f);
struct trap_frame *x86_trap(struct trap_frame *f)
{
	if (f->vector == VEC_IPI || f->vector == VEC_SPURIOUS) {
		x86_ipi_interrupt((unsigned)f->vector);
		return f;
	}
	bool irqs = (f->rflags & RFLAGS_IF) && f->vector != VEC_DF && f->vector != VEC_NMI &&
	            f->vector != VEC_MC;

	if (irqs)
		__asm__ volatile("sti" ::: "memory");
	f = x86_trap_handle(f);
	__asm__ volatile("cli" ::: "memory");
	return f;
}

static struct trap_frame *x86_trap_handle(struct trap_frame *f)
{
	static char cause[SMP_MAX_CPUS][96];	/* a trap in here ends the kernel */
	struct trap_info ti = {
		.cause_code = f->vector,
		.pc = f->rip,
		.fp = f->rbp,
		.user = (f->cs & SEL_RPL3) == SEL_RPL3,
		.frame = f,
	};

	/* Every PIC line is masked: a spurious IRQ 7 or 15 (8259A datasheet,
	 * "interrupt sequence"), which takes no EOI. */
	if (f->vector >= VEC_PIC_BASE && f->vector < VEC_PIC_BASE + VEC_PIC_COUNT)
		return f;
	ti.cause = cause[this_cpu()->index];
	if (ti.user && f->vector == VEC_SYSCALL) {
		syscall_handle(f);      /* rip is past the int already */
		return task_resume_frame(f);
	}
	if (f->vector == VEC_PF) {
		ti.access = page_fault_access(f);
		ti.fault_addr = f->cr2;
		ti.has_fault_addr = true;
		/* the core's fault path may resolve it (demand paging, COW) */
		if (fault_handle(f->cr2, ti.access & ~MMU_USER, f->error_code & PF_U) == 0)
			return f;       /* resolved: the access runs again */
		describe_page_fault(cause[this_cpu()->index], sizeof(cause[0]), f->error_code, ti.access);
	} else if (f->vector < 32 && exception_names[f->vector]) {
		ti.cause = exception_names[f->vector];
	} else if (f->vector < 32) {
		ti.cause = "reserved exception vector";
	} else {
		ti.cause = "unexpected interrupt";
	}
	trap_handle(&ti);
	return task_resume_frame(f);
}

void arch_dump_frame(const struct trap_frame *f)
{
	kprintf("  vector %lu  error code %#lx\n", f->vector, f->error_code);
	kprintf("  rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx, f->rcx);
	kprintf("  rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi, f->rdi);
	kprintf("  rbp %016lx  rsp %016lx  r8  %016lx\n", f->rbp, f->rsp, f->r8);
	kprintf("  r9  %016lx  r10 %016lx  r11 %016lx\n", f->r9, f->r10, f->r11);
	kprintf("  r12 %016lx  r13 %016lx  r14 %016lx\n", f->r12, f->r13, f->r14);
	kprintf("  r15 %016lx  rip %016lx  rflags %08lx\n", f->r15, f->rip, f->rflags);
	kprintf("  cs %04lx  ss %04lx\n", f->cs, f->ss);
	kprintf("  cr0 %016lx  cr2 %016lx  cr3 %016lx\n", read_cr0(), f->cr2, read_cr3());
	kprintf("  cr4 %016lx  efer %016lx\n", read_cr4(), rdmsr(MSR_EFER));
}

extern const struct probe_fixup { uint64_t insn, resume; } probe_fixups[], probe_fixups_end[];
extern const char probe_exec_return[], probe_failed[];

bool arch_fixup_probe(struct trap_info *ti)
{
	struct trap_frame *f = ti->frame;

	for (const struct probe_fixup *p = probe_fixups; p < probe_fixups_end; p++) {
		if (f->rip == p->insn) {
			f->rip = p->resume;
			return true;
		}
	}
	/*
	 * Fetching the callee of arch_probe_exec faulted: nothing of it ran
	 * (rip is still its address, held in rdi) and our return address is
	 * on top of the stack. Drop it and fail as the other probes do.
	 */
	if (f->rip == f->rdi && *(const uint64_t *)f->rsp == (uint64_t)probe_exec_return) {
		f->rsp += 8;
		f->rip = (uint64_t)probe_failed;
		return true;
	}
	return false;
}
