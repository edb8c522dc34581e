/*
 * What every architecture gives the arch-neutral kernel (core/). The core
 * includes this and mmu.h; it never includes anything under arch/.
 *
 * Boot flow (every arch):
 *   arch entry (asm) -> arch_setup(): stack, BSS, traps, CPU state
 *     -> fills struct boot_info (DTB or Multiboot) -> kmain(&bi) (core/main.c)
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
