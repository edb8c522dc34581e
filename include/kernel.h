/*
 * Services the arch-neutral kernel (core/) gives every arch and test.
 */
#ifndef ORIGAMI_KERNEL_H
#define ORIGAMI_KERNEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

/* ---- what the boot code found, handed to kmain() ---- */
#define BOOT_MAX_RANGES 32
struct mem_range { uint64_t base, size; };
enum uart_kind { UART_NONE, UART_NS16550_MMIO, UART_NS16550_PIO, UART_PL011, UART_SIFIVE };
struct uart_desc {
	enum uart_kind kind;
	uint64_t base;          /* MMIO address or I/O port */
	unsigned reg_shift;     /* DTB reg-shift */
	unsigned reg_io_width;  /* DTB reg-io-width: 1 or 4 */
};
struct boot_info {
	const char *board;                       /* BOARD the image was built for */
	const void *dtb;                         /* NULL on x86_64 */
	const char *cmdline;                     /* DTB /chosen/bootargs or Multiboot */
	struct mem_range ram[BOOT_MAX_RANGES];   /* usable RAM, reserved parts removed */
	unsigned nram;
	struct mem_range reserved[BOOT_MAX_RANGES]; /* firmware, DTB, kernel image */
	unsigned nreserved;
	uint64_t kernel_start, kernel_end;       /* physical extent of the image */
	uint64_t boot_cpu_id;                    /* boot CPU: RISC-V hart id, arm64 MPIDR_EL1 affinity */
	struct uart_desc uart;
};

/* core/main.c: the arch-neutral boot flow. */
__attribute__((noreturn)) void kmain(struct boot_info *bi);
/* Print the machine-readable "ORIGAMI-EXIT: <status>" line the QEMU runner
 * reads, then arch_poweroff(status). The only way the kernel ends. */
__attribute__((noreturn)) void kernel_exit(int status);

/* The boot_info kmain() was given (NULL before). */
const struct boot_info *current_boot_info(void);

/* core/boot_fdt.c: kmain() calls it when the arch set bi->dtb, so a DTB
 * arch only fills dtb, boot_cpu_id and kernel_start/end. Fills memory, reserved
 * ranges (the DTB's own included), bootargs and the console (stdout-path,
 * else board_early_uart). Returns 0 or the fdt_* error. */
int boot_info_from_fdt(struct boot_info *bi, const void *dtb);
/* core/memmap.c: kmain() removes bi->reserved and the kernel image from
 * bi->ram, so an arch may report raw firmware RAM ranges. */
void memmap_remove_reserved(struct boot_info *bi);

/* board/<board>/: the console before the DTB is read, and when it names
 * none; also what kmain() uses if the arch left bi->uart empty. */
extern const struct uart_desc board_early_uart;

/* ---- console (core/console.c) ---- */
void console_init(const struct uart_desc *u);
void console_putc(char c);
void console_write(const char *s, size_t n);
int  kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int  ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "4K", "2M", "512G": a size of at least 1 KiB in the largest unit that
 * divides it, written to buf; returns buf. */
const char *ksize_name(char *buf, size_t len, uint64_t bytes);

/* ---- spinlocks ---- */
/*
 * A test-and-test-and-set lock for short critical sections shared by CPUs
 * (frames, an address space). A CPU waiting for one keeps answering the
 * work other CPUs leave it outside the mailbox (arch_smp_poll: x86 TLB
 * shootdown requests): the holder may be in a commit whose shootdown
 * waits for this CPU, which may be spinning with interrupts off (a fault
 * handler). arch_smp_poll is a weak reference: the host builds of
 * core/frames.c and core/vm.c have no other CPU and no such hook.
 */
struct spinlock { volatile uint32_t held; };
void arch_smp_poll(void) __attribute__((weak));
static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			if (arch_smp_poll)
				arch_smp_poll();
}
static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* ---- panics: broken invariants only (core/panic.c) ---- */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Frame-pointer backtrace from fp, one line per frame. */
void backtrace_from(uint64_t fp);

/* ---- boot arguments (core/cmdline.c) ---- */
/* Value of key=value in the command line, copied to buf; false if absent. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
/* A decimal or 0x-prefixed hexadecimal number that fits in 64 bits. */
bool parse_u64(const char *s, uint64_t *out);

/* ---- traps (core/trap.c) ---- */
struct trap_info;
/* Every trap ends here: an expected fault resumes, anything else prints a
 * report (cause, address, pc, registers, backtrace) and powers off with
 * status 3. */
void trap_handle(struct trap_info *ti);
/* User mode (core/task.c, core/syscall.c), called by the arch's trap
 * code: a system call from user mode (the pc already past the call
 * instruction), and, last thing before returning, the frame to resume:
 * f, or another task's when the scheduler switched. */
struct trap_frame;
void syscall_handle(struct trap_frame *f);
struct trap_frame *task_resume_frame(struct trap_frame *f);
/* Tests: the next fault at addr (any address: ~0ull) through an
 * arch_probe_*() is expected; it makes the probe return -EFAULT. */
void trap_expect_fault(uint64_t addr);
/* What the last expected fault was (cause, address, access); false if none
 * happened since trap_expect_fault(). Disarms. */
bool trap_take_expected(struct trap_info *out);
/* One access that may fault anywhere, through the arch's probes: MMU_READ
 * loads 8 bytes into *val, MMU_WRITE stores *val, MMU_EXEC calls va. 0, or
 * -EFAULT with the trap in *ti (cause NULL and no fault address if none;
 * val and ti may be NULL). */
int  trap_probe(unsigned access, uint64_t va, uint64_t *val, struct trap_info *ti);

/* ---- flattened device tree (core/fdt.c), usable on the host too ---- */
/* All return 0 or a negative errno (-EINVAL: not a valid DTB, with the
 * reason in fdt_error()). */
int  fdt_check(const void *dtb, size_t max_size);
/* Bytes of a DTB fdt_check() accepted (its header's totalsize). */
size_t fdt_size(const void *dtb);
const char *fdt_error(void);
int  fdt_memory(const void *dtb, struct mem_range *out, unsigned max, unsigned *n);
int  fdt_reserved(const void *dtb, struct mem_range *out, unsigned max, unsigned *n);
int  fdt_bootargs(const void *dtb, const char **out);
int  fdt_stdout_uart(const void *dtb, struct uart_desc *out);
/* The CPUs of /cpus (device_type "cpu", not disabled): id from reg
 * (RISC-V hart id, MPIDR affinity), enable-method ("psci",
 * "spin-table", ...; empty if none), cpu-release-addr (spin-table) and
 * whether it has an mmu-type (RISC-V: harts without one cannot run us).
 * 0, -ENOENT (no /cpus or no CPU), -ENOSPC (more than max). */
struct fdt_cpu {
	uint64_t id;
	char     enable_method[16];
	uint64_t release_addr;
	bool     has_mmu;
};
int  fdt_cpus(const void *dtb, struct fdt_cpu *out, unsigned max, unsigned *n);
/* The reg ranges of the first enabled node compatible with compat (e.g.
 * "arm,cortex-a15-gic": distributor, CPU interface). 0, -ENOENT, -ENOSPC. */
int  fdt_compatible_reg(const void *dtb, const char *compat, struct mem_range *out,
                        unsigned max, unsigned *n);
/* Generic lookups. fdt_find_node: offset of the node at an absolute path
 * ("/cpus/cpu@0"; a component without "@" also matches "name@unit"), or
 * -ENOENT. fdt_prop: the value of a property of that node and its length,
 * or NULL. */
int  fdt_find_node(const void *dtb, const char *path);
const void *fdt_prop(const void *dtb, int node, const char *name, size_t *len);

/* ---- physical memory (core/frames.c, core/physmap.c) ---- */
/*
 * The physical frame allocator: a binary buddy allocator over the usable
 * RAM of boot_info (reserved ranges and the kernel image taken out again,
 * whatever the arch reported), limited to what the kernel can touch now.
 * Blocks are 2^shift bytes, FRAME_MIN_SHIFT <= shift <= FRAME_MAX_SHIFT,
 * naturally aligned (pa is a multiple of 2^shift) and zeroed. Physical
 * address 0 is never handed out: 0 means "no memory". Every call may
 * come from any CPU: one lock (a spinlock) covers the lists, states and
 * reference counts; the zeroing of a block happens outside it.
 */
#define FRAME_MIN_SHIFT 12      /* 4 KiB */
#define FRAME_MAX_SHIFT 30      /* 1 GiB */
struct frames_stats {
	uint64_t total_bytes;   /* managed by the allocator (metadata excluded) */
	uint64_t free_bytes;
	uint64_t meta_bytes;    /* taken from RAM for the per-frame state */
	uint64_t in_use[FRAME_MAX_SHIFT - FRAME_MIN_SHIFT + 1];  /* allocated blocks per shift */
	uint64_t free_blocks[FRAME_MAX_SHIFT - FRAME_MIN_SHIFT + 1]; /* free blocks per shift */
	uint64_t mapped_frames; /* 4 KiB frames of frames_alloc_pages still referenced */
	unsigned zones;         /* contiguous ranges managed */
};
/* (Re)build the allocator from bi's RAM below phys_limit (exclusive; the
 * arch's arch_phys_window_end()), in whole naturally aligned granules of
 * 2^granule_shift bytes (the largest base page a mode may map RAM with:
 * every frame must lie in a page of the direct map). Returns 0, -EINVAL
 * for a granule outside [FRAME_MIN_SHIFT, FRAME_MAX_SHIFT], or -ENOMEM
 * when no usable frame is left. Every earlier allocation is forgotten. */
int      frames_init(const struct boot_info *bi, uint64_t phys_limit, unsigned granule_shift);
/* Add bi's usable RAM at and above from (once the kernel's set maps all
 * RAM, mmu_boot adds what the boot map's window left out), keeping what is
 * allocated. Returns 0, -EINVAL (granule), -ENOENT (no RAM there). */
int      frames_add_above(const struct boot_info *bi, uint64_t from, unsigned granule_shift);
/* A zeroed block of 2^shift bytes: its physical address, or 0 (no block
 * that large is free, or shift out of range). */
uint64_t frames_alloc(unsigned shift);
/* Give back a block frames_alloc(shift) handed out. Anything else
 * (misaligned, not managed memory, double free, wrong size, a frame of
 * frames_alloc_pages) is a broken invariant: panic with the address. */
void     frames_free(uint64_t pa, unsigned shift);
/* A word the owner of a frames_alloc block keeps beside it (the MMU
 * layer's per-table counts): 0 when allocated, and it must be 0 again when
 * the block is freed (frames_free panics otherwise). Panics on an address
 * that does not head an allocated block. */
uint32_t *frames_owner_word(uint64_t pa);
/* Frames for address spaces: a zeroed block of 2^shift bytes like
 * frames_alloc, but owned 4 KiB frame by 4 KiB frame, each with a reference
 * count of 1 (copy-on-write shares frames; part of a large page can go back
 * alone). frames_get adds a reference, frames_put drops one and frees the
 * frame at 0, returning what is left; frames_refcount reads it. All three
 * panic on an address that is not a live frame of frames_alloc_pages. */
uint64_t frames_alloc_pages(unsigned shift);
void     frames_get(uint64_t pa);
uint32_t frames_put(uint64_t pa);
uint32_t frames_refcount(uint64_t pa);
/* Tests: n >= 0: every allocation after the next n fails; -1: none fails. */
void     frames_fail_alloc_after(long n);
void     frames_get_stats(struct frames_stats *out);
/* core/physmap.c: the kernel's view of physical memory, the one place that
 * knows how to reach a physical address (the direct map). virt_to_phys()
 * takes an address in the image or in the direct map; anything else is a
 * broken invariant (panic). */
void    *phys_to_virt(uint64_t pa);
uint64_t virt_to_phys(const void *p);

/* core/mmu_boot.c: pick the paging mode (the deepest the CPU has, or
 * mmu.mode=NAME), build the kernel's address space, print and check it,
 * and switch the MMU to it (the boot map is gone after that). */
void     mmu_boot(const struct boot_info *bi);
/* The kernel's translation set once mmu_boot() switched to it; NULL when
 * the CPU has no paging mode. */
struct mmu_translation_set;
struct mmu_translation_set *mmu_kernel_set(void);

/* ---- in-kernel tests (core/ktest.c) ---- */
struct ktest {
	const char *suite;      /* prefix of every result line */
	unsigned passed, failed;
};
/* Counts ok and prints "PASS <suite>: <what>" or "FAIL <suite>: <what>";
 * returns ok. */
bool ktest_check(struct ktest *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The MMU suite on the live MMU, run by kmain() after mmu_boot() (boot
 * argument test.mmu=off skips it); each part adds to t. */
/* tests/kernel/mmu_hwtest.c: what only the hardware can show (accesses through
 * new mappings, expected faults, TLB and ASID maintenance, live splits). */
void mmu_hw_tests(struct ktest *t);
/* tests/mmu/: the host conformance suite's cases, on the kernel's mode. */
void mmu_conformance_tests(struct ktest *t);
/* tests/vm/kernel.c: demand paging, refused faults and copy-on-write on the
 * live MMU through the trap path (boot argument test.vm=off skips it). */
void vm_kernel_tests(struct ktest *t);

/* ---- exit statuses (arch_poweroff) ---- */
#define EXIT_OK        0
#define EXIT_TEST_FAIL 1
#define EXIT_PANIC     2
#define EXIT_TRAP      3

#endif
