/*
 * riscv64 traps: decode scause/stval (privileged spec 4.1.8, table 4.2)
 * into a struct trap_info for core/trap.c, print the frame, and the probe
 * fixups that let an expected fault resume.
 */
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "riscv.h"
#include "sv_bits.h"
#include "vm.h"

#define SCAUSE_INTERRUPT (1ull << 63)
/* Page faults (table 4.2): the translation refused the access; the core's
 * fault path may resolve them (demand paging, copy-on-write). */
#define SCAUSE_IS_PAGE_FAULT(c) ((c) == 12 || (c) == 13 || (c) == 15)

const long arch_frame_record_offset = -16;

static const char *const exception_names[] = {
	[0] = "instruction address misaligned",
	[1] = "instruction access fault",
	[2] = "illegal instruction",
	[3] = "breakpoint",
	[4] = "load address misaligned",
	[5] = "load access fault",
	[6] = "store/AMO address misaligned",
	[7] = "store/AMO access fault",
	[8] = "environment call from U-mode",
	[9] = "environment call from S-mode",
	[12] = "instruction page fault",
	[13] = "load page fault",
	[15] = "store/AMO page fault",
};

static const char *const interrupt_names[] = {
	[1] = "supervisor software interrupt",
	[5] = "supervisor timer interrupt",
	[9] = "supervisor external interrupt",
};

/* Which exceptions are memory accesses, and of what kind: stval then
 * holds the faulting address (privileged spec 4.1.9). */
static unsigned exception_access(uint64_t code)
{
	switch (code) {
	case 0: case 1: case 12: return MMU_EXEC;
	case 4: case 5: case 13: return MMU_READ;
	case 6: case 7: case 15: return MMU_WRITE;
	default: return 0;
	}
}

static const char *cause_name(uint64_t scause)
{
	uint64_t code = scause & ~SCAUSE_INTERRUPT;
	const char *const *names = exception_names;
	size_t n = sizeof(exception_names) / sizeof(exception_names[0]);

	if (scause & SCAUSE_INTERRUPT) {
		names = interrupt_names;
		n = sizeof(interrupt_names) / sizeof(interrupt_names[0]);
	}
	if (code < n && names[code])
		return names[code];
	return scause & SCAUSE_INTERRUPT ? "unknown interrupt" : "unknown exception";
}

#define SCAUSE_ECALL_U 8       /* table 4.2: environment call from U-mode */

struct trap_frame *riscv_trap(struct trap_frame *f);

/* entry.S: the frame to resume is the return value (include/arch.h). */
struct trap_frame *riscv_trap(struct trap_frame *f)
{
	bool interrupt = f->scause & SCAUSE_INTERRUPT;
	unsigned access = interrupt ? 0 : exception_access(f->scause);
	bool user = !(f->sstatus & SSTATUS_SPP);

	if (user && f->scause == SCAUSE_ECALL_U) {
		f->sepc += 4;           /* ecall has no compressed form */
		syscall_handle(f);
		return task_resume_frame(f);
	}
	struct trap_info ti = {
		.cause = cause_name(f->scause),
		.cause_code = f->scause,
		.fault_addr = access ? f->stval : 0,
		.has_fault_addr = access != 0,
		.pc = f->sepc,
		.fp = f->x[8],
		.access = access,
		.user = user,
		.frame = f,
	};

	if (!interrupt && SCAUSE_IS_PAGE_FAULT(f->scause) &&
	    fault_handle(f->stval, access, user) == 0)
		return f;               /* resolved: the access runs again */
	trap_handle(&ti);
	return task_resume_frame(f);
}

void arch_dump_frame(const struct trap_frame *f)
{
	static const char *const abi[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
		"a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
		"s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};
	unsigned i;

	for (i = 1; i < 32; i++)
		kprintf("  %-4s %016llx%s", abi[i], (unsigned long long)f->x[i],
			i % 4 == 3 || i == 31 ? "\n" : "");
	kprintf("  sepc %016llx  sstatus %016llx  scause %016llx  stval %016llx\n",
		(unsigned long long)f->sepc, (unsigned long long)f->sstatus,
		(unsigned long long)f->scause, (unsigned long long)f->stval);
}

/* The exception table: where a faulting probe instruction resumes. */
extern const char riscv_probe_read_insn[], riscv_probe_read_fixup[];
extern const char riscv_probe_write_insn[], riscv_probe_write_fixup[];
extern const char riscv_probe_exec_return[], riscv_probe_exec_fixup[];

bool arch_fixup_probe(struct trap_info *ti)
{
	struct trap_frame *f = ti->frame;

	if (ti->access == MMU_READ && f->sepc == (uintptr_t)riscv_probe_read_insn)
		f->sepc = (uintptr_t)riscv_probe_read_fixup;
	else if (ti->access == MMU_WRITE && f->sepc == (uintptr_t)riscv_probe_write_insn)
		f->sepc = (uintptr_t)riscv_probe_write_fixup;
	else if (ti->access == MMU_EXEC && f->x[1] == (uintptr_t)riscv_probe_exec_return)
		f->sepc = (uintptr_t)riscv_probe_exec_fixup;
	else
		return false;
	return true;
}

/* test.fault=KIND: a real fault outside any probe, so it gets the report. */
void arch_trigger_fault(const char *kind)
{
	uint64_t bad = BAD_PA, val;

	if (!strcmp(kind, "load"))
		__asm__ volatile("ld %0, (%1)" : "=r"(val) : "r"(bad) : "memory");
	else if (!strcmp(kind, "store"))
		__asm__ volatile("sd zero, (%0)" : : "r"(bad) : "memory");
	else if (!strcmp(kind, "exec"))
		__asm__ volatile("jalr %0" : : "r"(bad) : "ra", "memory");
	else if (!strcmp(kind, "undef"))
		__asm__ volatile("unimp");
	else if (!strcmp(kind, "stack"))        /* a push on a wild sp */
		__asm__ volatile("mv sp, %0\n\taddi sp, sp, -16\n\tsd ra, 8(sp)"
				 : : "r"(bad + 4096) : "memory");
}
