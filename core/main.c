/*
 * The arch-neutral boot flow: console, memory map, banner, boot-argument
 * tests, exit. Every arch gets here from its entry code with a struct
 * boot_info (include/arch.h, "Boot flow").
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "smp.h"
#include "task.h"

#define ORIGAMI_VERSION "0.1"

static struct boot_info *boot;

const struct boot_info *current_boot_info(void)
{
	return boot;
}

void kernel_exit(int status)
{
	kprintf("ORIGAMI-EXIT: %d\n", status);
	arch_poweroff(status);
}

static void print_range(const char *label, const struct mem_range *r)
{
	if (!r->size)
		return;
	kprintf("%s 0x%016llx-0x%016llx (%llu KiB)\n", label,
		(unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1),
		(unsigned long long)(r->size >> 10));
}

static void print_banner(const struct boot_info *bi)
{
	char buf[256];
	unsigned i;

	/* Firmware may leave its last line unfinished (SeaBIOS does). */
	kprintf("\nOrigami %s\n", ORIGAMI_VERSION);
	kprintf("arch: %s\n", arch_name());
	kprintf("board: %s\n", bi->board);
	arch_describe_cpu(buf, sizeof(buf));
	kprintf("cpu: %s\n", buf);
	kprintf("cpus: %u (ids", smp_cpu_count);
	for (i = 0; i < smp_cpu_count; i++)
		kprintf(" %#llx", (unsigned long long)cpus[i].hwid);
	kprintf(", boot CPU first)\n");
	arch_describe_paging(buf, sizeof(buf));
	kprintf("paging: %s\n", buf[0] ? buf : "none");
	kprintf("kernel: 0x%016llx-0x%016llx\n", (unsigned long long)bi->kernel_start,
		(unsigned long long)bi->kernel_end - 1);
	for (i = 0; i < bi->nreserved; i++)
		print_range("reserved:", &bi->reserved[i]);
	for (i = 0; i < bi->nram; i++)
		print_range("ram:", &bi->ram[i]);
	kprintf("cmdline: %s\n", bi->cmdline ? bi->cmdline : "");
}

/* One probe that must fault at addr with the given access. */
static bool probe_faults(const char *what, uint64_t addr, unsigned access, int rc)
{
	struct trap_info ti;
	bool taken = trap_take_expected(&ti);
	bool ok = rc == -EFAULT && taken && ti.fault_addr == addr && ti.access == access;

	kprintf("test.probe: %s 0x%llx: rc %d, %s%s%s\n", what, (unsigned long long)addr, rc,
		taken ? "trapped: " : "no trap", taken ? ti.cause : "", ok ? "" : "  <-- FAIL");
	return ok;
}

/*
 * test.probe=ADDR: the expected-fault hook, end to end. ADDR must fault on
 * access (the arch.mk's BAD_PA, an address the kernel's set leaves
 * unmapped); a probe of memory the kernel owns must not.
 */
static int test_probe(uint64_t addr)
{
	static volatile uint64_t canary = 0x0123456789abcdefull;
	uint64_t val = 0;
	bool ok = true;
	int rc;

	rc = arch_probe_read((uint64_t)(uintptr_t)&canary, &val);
	ok &= rc == 0 && val == canary;
	rc = arch_probe_write((uint64_t)(uintptr_t)&canary, ~val);
	ok &= rc == 0 && canary == ~val;
	rc = arch_probe_exec((uint64_t)(uintptr_t)arch_ret_insn);
	ok &= rc == 0;
	kprintf("test.probe: kernel memory: %s\n", ok ? "read, write, exec ok" : "FAIL");

	trap_expect_fault(addr);
	ok &= probe_faults("read", addr, MMU_READ, arch_probe_read(addr, &val));
	trap_expect_fault(addr);
	ok &= probe_faults("write", addr, MMU_WRITE, arch_probe_write(addr, 0));
	trap_expect_fault(addr);
	ok &= probe_faults("exec", addr, MMU_EXEC, arch_probe_exec(addr));
	kprintf("test.probe: %s\n", ok ? "passed" : "FAILED");
	return ok ? EXIT_OK : EXIT_TEST_FAIL;
}

/*
 * The MMU suite on the live MMU: the hardware checks, then the host
 * conformance cases; one PASS/FAIL line each and the total the QEMU
 * runners read. test.mmu=off skips it (boots that test something else).
 */
static int run_mmu_suite(const struct boot_info *bi)
{
	struct ktest t = { .suite = "mmu" };
	char arg[8];

	if (cmdline_get(bi->cmdline, "test.mmu", arg, sizeof(arg)) && !strcmp(arg, "off")) {
		kprintf("mmu-suite: skipped (test.mmu=off)\n");
		return EXIT_OK;
	}
	if (!mmu_kernel_set()) {
		kprintf("mmu-suite: no paging mode to test\n");
		return EXIT_OK;
	}
#if KERNEL_TESTS
	mmu_hw_tests(&t);
	mmu_conformance_tests(&t);
	kprintf("mmu-suite: %s: %u passed, %u failed\n", mmu_current_mode(), t.passed, t.failed);
	/* The vm suite (tests/vm/kernel.c): test.vm=off skips it. */
	if (!(cmdline_get(bi->cmdline, "test.vm", arg, sizeof(arg)) && !strcmp(arg, "off"))) {
		struct ktest v = { .suite = "vm" };
		vm_kernel_tests(&v);
		kprintf("vm-suite: %s: %u passed, %u failed\n", mmu_current_mode(), v.passed, v.failed);
		t.failed += v.failed;
	}
#else
	kprintf("mmu-suite: not in this image (built with KERNEL_TESTS=n)\n");
#endif
	return t.failed ? EXIT_TEST_FAIL : EXIT_OK;
}

/* The SMP suite (tests/kernel/smp_test.c) once more than one CPU is
 * online; test.smp=off skips it. */
static int run_smp_suite(const struct boot_info *bi)
{
	struct ktest t = { .suite = "smp" };
	char arg[8];

	if (cmdline_get(bi->cmdline, "test.smp", arg, sizeof(arg)) && !strcmp(arg, "off"))
		return EXIT_OK;
	if (__builtin_popcountll(smp_online_mask()) < 2 || !mmu_kernel_set())
		return EXIT_OK;
#if KERNEL_TESTS
	smp_tests(&t);
#else
	kprintf("smp-suite: not in this image (built with KERNEL_TESTS=n)\n");
	return EXIT_OK;
#endif
	kprintf("smp-suite: %u CPUs: %u passed, %u failed\n",
		(unsigned)__builtin_popcountll(smp_online_mask()), t.passed, t.failed);
	return t.failed ? EXIT_TEST_FAIL : EXIT_OK;
}

/*
 * User tasks: the demo (two tasks, a fork, the report; tasks.demo=off
 * skips it), or with test.tasks the user-mode suite instead.
 */
static int run_tasks(const struct boot_info *bi)
{
	struct ktest t = { .suite = "tasks" };
	char arg[8];

	if (cmdline_get(bi->cmdline, "test.tasks", arg, sizeof(arg))) {
		if (!mmu_kernel_set()) {
			kprintf("tasks-suite: no paging mode, no user mode\n");
			return EXIT_TEST_FAIL;
		}
#if KERNEL_TESTS
		tasks_tests(&t);
#else
		kprintf("tasks-suite: not in this image (built with KERNEL_TESTS=n)\n");
		return EXIT_TEST_FAIL;
#endif
		kprintf("tasks-suite: %s: %u passed, %u failed\n", mmu_current_mode(), t.passed,
			t.failed);
		return t.failed ? EXIT_TEST_FAIL : EXIT_OK;
	}
	if (cmdline_get(bi->cmdline, "tasks.demo", arg, sizeof(arg)) && !strcmp(arg, "off"))
		return EXIT_OK;
	return tasks_demo();
}

static int run_boot_tests(const struct boot_info *bi)
{
	char arg[64];

	if (cmdline_get(bi->cmdline, "test.probe", arg, sizeof(arg))) {
		uint64_t addr;

		if (!parse_u64(arg, &addr)) {
			kprintf("test.probe=%s: not a number\n", arg);
			return EXIT_TEST_FAIL;
		}
		return test_probe(addr);
	}
	if (cmdline_get(bi->cmdline, "test.fault", arg, sizeof(arg))) {
		kprintf("test.fault=%s: faulting on purpose\n", arg);
		arch_trigger_fault(arg);
		kprintf("test.fault=%s: unknown kind (load, store, exec, undef, stack)\n", arg);
		return EXIT_TEST_FAIL;
	}
	/* The runner's timeout is the only way out: it must report the hang. */
	if (cmdline_get(bi->cmdline, "test.hang", arg, sizeof(arg))) {
		kprintf("test.hang: hanging on purpose\n");
		for (;;)
			;
	}
	return EXIT_OK;
}

void kmain(struct boot_info *bi)
{
	int err;

	boot = bi;
	if (bi->uart.kind == UART_NONE)
		bi->uart = board_early_uart;
	console_init(&bi->uart);
	if (!bi->board)
		bi->board = ORIGAMI_BOARD;
	if (bi->dtb) {
		if ((err = boot_info_from_fdt(bi, bi->dtb)))
			panic("DTB at %p unusable (%d): %s", bi->dtb, err, fdt_error());
		console_init(&bi->uart);
	}
	memmap_remove_reserved(bi);
	if (!bi->nram)
		panic("no usable RAM");
	/* The kernel's own copy: firmware memory is not in its address space
	 * once mmu_boot() switched to it. */
	static char cmdline[1024];
	if (bi->cmdline && strlen(bi->cmdline) >= sizeof(cmdline))
		kprintf("cmdline: longer than %zu bytes, cut\n", sizeof(cmdline) - 1);
	ksnprintf(cmdline, sizeof(cmdline), "%s", bi->cmdline ? bi->cmdline : "");
	bi->cmdline = cmdline;
	smp_init(bi);
	print_banner(bi);
	mmu_boot(bi);
	if (mmu_kernel_set())
		smp_boot();
	if ((err = run_mmu_suite(bi)))
		kernel_exit(err);
	if ((err = run_smp_suite(bi)))
		kernel_exit(err);
	if ((err = run_tasks(bi)))
		kernel_exit(err);
	kernel_exit(run_boot_tests(bi));
}
