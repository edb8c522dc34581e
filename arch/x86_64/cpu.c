/*
 * x86-64: what the CPU is and offers (CPUID), leaving, port I/O, and the
 * deliberate faults of `test.fault=`.
 */
#include <string.h>

#include "arch.h"
#include "x86.h"
#include "board.h"	/* BOARD_EXIT_PORT */
#include "cpu_features.h"

const char *arch_name(void)
{
	return "x86_64";
}

/* push rbp; mov rsp, rbp: rbp points at {caller's rbp, return address}. */
const long arch_frame_record_offset = 0;

static uint32_t cpuid_max_extended(void)
{
	return cpuid(0x80000000, 0).eax;
}

/* CPUID 80000001h:EDX: long mode, NX, 1 GiB pages. */
static uint32_t cpuid_extended_features(void)
{
	return cpuid_max_extended() >= 0x80000001 ? cpuid(0x80000001, 0).edx : 0;
}


/* "<vendor>, <brand string>" (SDM vol. 2A, CPUID leaves 0 and 80000002h-80000004h). */
void arch_describe_cpu(char *buf, size_t len)
{
	struct cpuid r = cpuid(0, 0);
	uint32_t vendor[4] = { r.ebx, r.edx, r.ecx, 0 };
	uint32_t brand[13] = { 0 };	/* 48 bytes and a NUL */
	const char *b = "(no brand string)";

	if (cpuid_max_extended() >= 0x80000004) {
		for (unsigned i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			memcpy(&brand[i * 4], &r, sizeof(r));
		}
		for (b = (const char *)brand; *b == ' '; b++)
			;	/* Intel right-aligns it */
	}
	ksnprintf(buf, len, "%s, %s", (const char *)vendor, b);
}

/* From the CPUID bits the MMU layer's probe reads (x86_read_cpu). */
void arch_describe_paging(char *buf, size_t len)
{
	struct x86_cpu c;

	x86_read_cpu(&c);
	ksnprintf(buf, len, "x86-64-4level%s%s%s",
		  c.la57 ? " x86-64-5level" : "",
		  c.page1gb ? " +1g" : "",
		  c.nx ? " +nx" : "");
}

uint8_t arch_pio_read8(uint16_t port)
{
	return inb(port);
}

void arch_pio_write8(uint16_t port, uint8_t val)
{
	outb(port, val);
}

/*
 * The board's exit port (board.h; on QEMU's PC isa-debug-exit, which ends
 * QEMU with exit code (status << 1) | 1). Without it there is nothing to
 * do but stop.
 */
void arch_poweroff(int status)
{
	outl(BOARD_EXIT_PORT, (uint32_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* In .data, hence mapped not executable by the kernel's set if the CPU has NX. */
static uint8_t nx_ret_insn[] = { 0xc3 };

void arch_trigger_fault(const char *kind)
{
	if (strcmp(kind, "load") == 0)		/* the kernel's set maps no lower half */
		__asm__ volatile("mov (%0), %%rax" : : "r"(0ul) : "rax", "memory");
	else if (strcmp(kind, "store") == 0)	/* .text is read-only */
		__asm__ volatile("movb $0, (%0)" : : "r"(arch_ret_insn) : "memory");
	else if (strcmp(kind, "exec") == 0)	/* without NX, the null page */
		__asm__ volatile("call *%0" : : "r"(cpuid_extended_features() & CPUID_80000001_EDX_NX ?
						   nx_ret_insn : NULL) : "memory");
	else if (strcmp(kind, "undef") == 0)
		__asm__ volatile("ud2");
	/*
	 * Run off the bottom of the boot stack into the read-only .rodata
	 * page under it (kernel.ld). The #PF cannot push its frame there
	 * either and becomes a #DF, which must still report from its IST
	 * stack.
	 */
	else if (strcmp(kind, "stack") == 0)
		__asm__ volatile("1: push %%rax; jmp 1b" : : : "memory");
}
