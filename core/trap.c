/*
 * Every trap of every arch other than a system call or a page fault the
 * fault path resolved (core/fault.c: demand paging, copy on write) ends in
 * trap_handle(): anything from user mode ends the task (core/task.c); in
 * the kernel, either a test armed trap_expect_fault() and the fault came
 * from an arch_probe_*() (the arch moves the PC to the probe's failure
 * exit, the probe returns -EFAULT), or the kernel prints everything needed
 * to debug it and powers off.
 */
#include "arch.h"
#include "mmu.h"
#include "task.h"

static struct {
	bool armed;
	uint64_t addr;              /* ~0: any address */
	bool taken;
	struct trap_info info;
} expected;

void trap_expect_fault(uint64_t addr)
{
	expected.armed = true;
	expected.addr = addr;
	expected.taken = false;
}

bool trap_take_expected(struct trap_info *out)
{
	bool taken = expected.taken;

	if (taken && out)
		*out = expected.info;
	expected.armed = false;
	expected.taken = false;
	return taken;
}

int trap_probe(unsigned access, uint64_t va, uint64_t *val, struct trap_info *ti)
{
	uint64_t scratch = 0;
	int rc;

	if (!val)
		val = &scratch;
	trap_expect_fault(~0ull);
	rc = access == MMU_WRITE ? arch_probe_write(va, *val) :
	     access == MMU_EXEC ? arch_probe_exec(va) : arch_probe_read(va, val);
	if (!trap_take_expected(ti) && ti) {
		ti->cause = NULL;
		ti->has_fault_addr = false;
	}
	return rc;
}

static bool is_expected(const struct trap_info *ti)
{
	return expected.armed && ti->has_fault_addr &&
	       (expected.addr == ~0ull || expected.addr == ti->fault_addr);
}

static const char *access_name(unsigned access)
{
	switch (access) {
	case MMU_READ: return "read";
	case MMU_WRITE: return "write";
	case MMU_EXEC: return "exec";
	default: return "-";
	}
}

void trap_handle(struct trap_info *ti)
{
	static bool reporting;

	/* Anything user code did that the fault path (core/fault.c, called
	 * by the arch first) did not resolve ends the task, not the kernel. */
	if (ti->user) {
		task_kill_on_trap(ti);
		return;
	}
	if (is_expected(ti) && arch_fixup_probe(ti)) {
		expected.info = *ti;
		expected.info.frame = NULL;     /* gone once the handler returns */
		expected.armed = false;
		expected.taken = true;
		return;
	}
	if (reporting) {
		kprintf("TRAP while reporting a trap: %s at pc 0x%llx\n", ti->cause,
			(unsigned long long)ti->pc);
		kernel_exit(EXIT_TRAP);
	}
	reporting = true;
	kprintf("TRAP: %s (cause 0x%llx)\n", ti->cause, (unsigned long long)ti->cause_code);
	kprintf("  pc:     0x%016llx\n", (unsigned long long)ti->pc);
	if (ti->has_fault_addr)
		kprintf("  addr:   0x%016llx\n", (unsigned long long)ti->fault_addr);
	else
		kprintf("  addr:   none\n");
	kprintf("  access: %s\n", access_name(ti->access));
	if (expected.armed)
		kprintf("  (a test expected a fault at 0x%llx through a probe)\n",
			(unsigned long long)expected.addr);
	kprintf("registers:\n");
	arch_dump_frame(ti->frame);
	backtrace_from(ti->fp);
	kernel_exit(EXIT_TRAP);
}
