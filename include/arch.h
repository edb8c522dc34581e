/*
 * What every architecture gives the arch-neutral kernel (core/). The core
 * includes this and mmu.h; it never includes anything under arch/.
 *
 * Boot flow (every arch):
 *   arch entry (asm): stack, BSS, traps, the boot map
 *     -> arch_setup() (arch/<dir>/setup.c; its arguments are what the
 *        entry hands over, so each arch declares its own): CPU state,
 *        fills struct boot_info (DTB or Multiboot) -> kmain(&bi) (core/main.c)
 *     -> core: console, memory map, banner, tests -> arch_poweroff(status)
 */
#ifndef ORIGAMI_ARCH_H
#define ORIGAMI_ARCH_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "kernel.h"

/* ---- identity and features, for the banner ---- */
const char *arch_name(void);                 /* "riscv64", "arm64", "x86_64" */
/* One line describing the CPU (vendor/model/ISA string, as far as known). */
void arch_describe_cpu(char *buf, size_t len);
/* Paging modes the CPU offers, as mmu mode names separated by spaces, plus
 * huge-page features (e.g. "sv39 sv48 sv57 +svnapot"). */
void arch_describe_paging(char *buf, size_t len);

/* ---- leaving ---- */
/* Power off with an exit status that the QEMU runner turns into its own
 * exit code (0 = success). Never returns. */
__attribute__((noreturn)) void arch_poweroff(int status);

/* ---- unwinding ---- */
/* Every ABI we support keeps a frame record {caller's fp, return address}
 * at fp + arch_frame_record_offset: 0 on AArch64 (AAPCS64 6.4.6) and x86-64
 * (push rbp; mov rsp, rbp), -16 on RISC-V (psABI: s0 points past ra, fp). */
extern const long arch_frame_record_offset;

/* ---- port I/O: only where the Makefile defines ARCH_HAS_PIO=1 (x86) ---- */
uint8_t arch_pio_read8(uint16_t port);
void    arch_pio_write8(uint16_t port, uint8_t val);

/* ---- traps ---- */
/* Registers at the trap, in the arch's own layout; printed by the arch. */
struct trap_frame;
/* Called by the arch's trap vector for every exception and interrupt. The
 * arch decodes its cause registers into a struct trap_info and hands it to
 * trap_handle() (core/trap.c), which resumes if a test expected it. */
struct trap_info {
	const char *cause;          /* human-readable cause, e.g. "load page fault" */
	uint64_t    cause_code;     /* raw cause (scause / ESR / vector) */
	uint64_t    fault_addr;     /* stval / FAR / CR2; 0 if none */
	bool        has_fault_addr;
	uint64_t    pc;             /* faulting instruction */
	uint64_t    fp;             /* frame pointer at the trap, for the backtrace */
	unsigned    access;         /* MMU_READ / MMU_WRITE / MMU_EXEC if a memory fault, else 0 */
	bool        user;           /* taken from user mode (a task's fault: it dies, not the kernel) */
	struct trap_frame *frame;
};
void arch_dump_frame(const struct trap_frame *f);      /* every register, printed */
/* If ti->pc is inside one of the arch's probe functions (below), point the
 * frame at that probe's failure exit (it then returns -EFAULT) and return
 * true; otherwise false. The exception-table idea of Linux, in miniature. */
bool arch_fixup_probe(struct trap_info *ti);
/* Accesses that may fault: 0, or -EFAULT when they trapped and a test had
 * armed trap_expect_fault() for that address. */
int  arch_probe_read(uint64_t va, uint64_t *val);     /* 8-byte load */
int  arch_probe_write(uint64_t va, uint64_t val);     /* 8-byte store */
int  arch_probe_exec(uint64_t va);                    /* call va; it must hold arch_ret_insn */
extern const uint8_t arch_ret_insn[];                 /* bytes of a bare "return" */
extern const size_t  arch_ret_insn_len;
/* Make instructions written as data at [va, va + len) (through any alias:
 * the direct map) visible to this CPU's instruction fetches: riscv fence.i,
 * arm64 DC CVAU + IC IVAU + DSB/ISB, x86 nothing (coherent; SDM vol. 3,
 * 11.6). arch/<dir>/cache.c. */
void arch_sync_icache(const void *va, size_t len);
/* Which supervisor accesses to a user page (MMU_USER) this CPU can
 * refuse, as MMU_READ | MMU_WRITE | MMU_EXEC, from its feature registers:
 * riscv all (sstatus.SUM = 0; fetches always); arm64 fetches (PXN), reads
 * and writes with FEAT_PAN; x86 reads and writes with SMAP, fetches with
 * SMEP. The kernel turns every one of them on, so a test expects exactly
 * these to fault: a CPU that has one the kernel left off fails it.
 * arch/<dir>/user_guard.c. */
unsigned arch_user_guard(void);
/* Lift (open) or restore the guard on reads and writes of user pages
 * (riscv sstatus.SUM, arm64 PSTATE.PAN, x86 STAC/CLAC), for a test that
 * must reach a user page from the kernel; a no-op where the CPU has none. */
void arch_user_access(bool open);
/* Whether pages without MMU_EXEC refuse fetches: always on riscv and
 * arm64; on x86 only with NX (a CPU without it cannot express it). */
bool arch_nx_enforced(void);
/* A deliberate fault for the test boot argument `test.fault=KIND`, KIND one
 * of "load", "store", "exec", "undef", "stack" (a push on a wild stack
 * pointer). Does not return; returns only for an unknown KIND. */
void arch_trigger_fault(const char *kind);

/* ---- user mode (arch/<dir>/user.c and the trap entry) ----
 *
 * Every task has a kernel stack; the trap frame of its user state sits at
 * the very top of it (top - arch_trap_frame_size). A trap from user mode
 * lands there (riscv: sscratch holds the top while user code runs; arm64:
 * SP_EL1; x86: TSS.rsp0), the handler runs on that stack, and returns
 * the frame to resume: the one it was given, or another task's (the
 * scheduler switched, core/task.c task_resume_frame()). The arch restores
 * that frame and returns to the mode it describes.
 */
extern const size_t arch_trap_frame_size;
/* ELF e_machine of this arch's user programs (the loader checks it). */
extern const uint16_t arch_elf_machine;
/* A fresh user-mode frame (every register 0): resume at pc with the
 * stack pointer sp and arg0, arg1 in the first two argument registers. */
void     arch_user_frame_init(struct trap_frame *f, uint64_t pc, uint64_t sp,
                              uint64_t arg0, uint64_t arg1);
/* System calls. Number and arguments in the arch's registers (riscv a7,
 * a0-a5; arm64 x8, x0-x5; x86 rax, rdi rsi rdx r10 r8 r9); the arch's
 * trap code calls syscall_handle() (core/syscall.c) with the pc already
 * past the call instruction. */
uint64_t arch_syscall_nr(const struct trap_frame *f);
uint64_t arch_syscall_arg(const struct trap_frame *f, unsigned i);
void     arch_syscall_set_return(struct trap_frame *f, int64_t val);
/* Back to the system-call instruction, so that it runs again when the task
 * resumes (a wait that blocked). */
void     arch_syscall_restart(struct trap_frame *f);
/* The stack a trap from user mode starts on, from now on (x86 TSS.rsp0;
 * riscv and arm64 take it from the frame they return to). */
void     arch_set_kernel_stack(uint64_t top);
/* Run user tasks: save the kernel's own context in *ctx and resume first
 * (a user frame). Returns when a trap handler calls arch_tasks_leave(ctx):
 * no task left to run. */
struct arch_kernel_context { uint64_t regs[16]; };
void     arch_tasks_enter(struct arch_kernel_context *ctx, struct trap_frame *first);
__attribute__((noreturn)) void arch_tasks_leave(struct arch_kernel_context *ctx);

/* ---- the kernel's address space (arch constants, for core/) ----
 *
 * The boot map. Before any C code runs, the arch's entry turns translation
 * on with a small map of its own (a few static tables, the largest pages
 * the boot format has) that holds:
 *   - the image at its link address, arch_kernel_image_va() (the kernel is
 *     linked there; the entry code before the switch is PC-relative);
 *   - the direct map: physical [0, arch_phys_window_end()) at
 *     arch_direct_map_va() + pa, through which phys_to_virt() reaches
 *     the DTB, the UART, the frame allocator and every table page;
 *   - whatever identity mapping the switch itself needs.
 * core/mmu_boot.c then builds the kernel's own translation set with mmu_*
 * (the image W^X at the same VA, the direct map of RAM at the same base,
 * the UART as device memory) and hands it to arch_mmu_activate(), which
 * drops the boot map. Every pointer the C code holds stays valid across
 * the switch: nothing is remapped, only re-described.
 */
/* Physical memory the boot map's direct map reaches (exclusive end): the
 * frame allocator stays below it. */
uint64_t arch_phys_window_end(void);
/* Kernel-half VA of physical address 0 in the direct map (pa -> base + pa),
 * the same in every paging mode of the arch, so that the boot map and the
 * kernel's set agree. */
uint64_t arch_direct_map_va(void);
/* The image's link address: the VA of its first byte (boot_info
 * kernel_start), the same in the boot map and in the kernel's set. */
uint64_t arch_kernel_image_va(void);
/* The image's sections, physical, each aligned to the largest base page of
 * the arch (the linker script): text [text, rodata), rodata [rodata, data),
 * data and bss [data, end). */
struct arch_image_layout { uint64_t text, rodata, data, end; };
void arch_image_layout(struct arch_image_layout *out);
/* The largest base page of the arch's modes, log2 (arm64: 64 KiB). The
 * direct map covers RAM in whole pages of the chosen mode, so the frame
 * allocator hands out only frames inside whole pages of this size. */
unsigned arch_largest_base_page_shift(void);

#endif
