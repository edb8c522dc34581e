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
enum uart_kind { UART_NONE, UART_NS16550_MMIO, UART_NS16550_PIO, UART_PL011 };
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
	uint64_t hartid;                         /* boot CPU id (RISC-V hart) */
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
 * arch only fills dtb, hartid and kernel_start/end. Fills memory, reserved
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

/* ---- panics: broken invariants only (core/panic.c) ---- */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Frame-pointer backtrace from fp, one line per frame. */
void backtrace_from(uint64_t fp);

/* ---- boot arguments (core/cmdline.c) ---- */
/* Value of key=value in the command line, copied to buf; false if absent. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);

/* ---- traps (core/trap.c) ---- */
struct trap_info;
/* Every trap ends here: an expected fault resumes, anything else prints a
 * report (cause, address, pc, registers, backtrace) and powers off with
 * status 3. */
void trap_handle(struct trap_info *ti);
/* Tests: the next fault at addr (any address: ~0ull) through an
 * arch_probe_*() is expected; it makes the probe return -EFAULT. */
void trap_expect_fault(uint64_t addr);
/* What the last expected fault was (cause, address, access); false if none
 * happened since trap_expect_fault(). Disarms. */
bool trap_take_expected(struct trap_info *out);

/* ---- flattened device tree (core/fdt.c), usable on the host too ---- */
/* All return 0 or a negative errno (-EINVAL: not a valid DTB, with the
 * reason in fdt_error()). */
int  fdt_check(const void *dtb, size_t max_size);
const char *fdt_error(void);
int  fdt_memory(const void *dtb, struct mem_range *out, unsigned max, unsigned *n);
int  fdt_reserved(const void *dtb, struct mem_range *out, unsigned max, unsigned *n);
int  fdt_bootargs(const void *dtb, const char **out);
int  fdt_stdout_uart(const void *dtb, struct uart_desc *out);
/* Generic lookups. fdt_find_node: offset of the node at an absolute path
 * ("/cpus/cpu@0"; a component without "@" also matches "name@unit"), or
 * -ENOENT. fdt_prop: the value of a property of that node and its length,
 * or NULL. */
int  fdt_find_node(const void *dtb, const char *path);
const void *fdt_prop(const void *dtb, int node, const char *name, size_t *len);

/* ---- exit statuses (arch_poweroff) ---- */
#define EXIT_OK        0
#define EXIT_TEST_FAIL 1
#define EXIT_PANIC     2
#define EXIT_TRAP      3

#endif
