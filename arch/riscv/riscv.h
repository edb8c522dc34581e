/* riscv64 internals shared by the files of arch/riscv/ (not by core/). */
#ifndef ORIGAMI_RISCV_H
#define ORIGAMI_RISCV_H

#include <stdbool.h>
#include <stdint.h>

/* What entry.S saves on every trap: x0 (slot unused) to x31, then CSRs. */
struct trap_frame {
	uint64_t x[32];
	uint64_t sepc, sstatus, scause, stval;
};

/* RISC-V SBI spec v2.0, ch. 3 "Binary Encoding": a0 error, a1 value. */
struct sbiret {
	long error;
	long value;
};
struct sbiret sbi_call(uint32_t ext, uint32_t fid, unsigned long a0, unsigned long a1);
struct sbiret sbi_call5(uint32_t ext, uint32_t fid, unsigned long a0, unsigned long a1,
                        unsigned long a2, unsigned long a3, unsigned long a4);
void riscv_smp_early(uint64_t hartid);   /* smp.c: the boot hart's id */

#define SBI_EXT_BASE 0x10
#define SBI_BASE_GET_SPEC_VERSION  0
#define SBI_BASE_GET_IMPL_ID       1
#define SBI_BASE_GET_IMPL_VERSION  2
#define SBI_BASE_PROBE_EXTENSION   3
#define SBI_BASE_GET_MVENDORID     4
#define SBI_BASE_GET_MARCHID       5
#define SBI_BASE_GET_MIMPID        6

uint64_t riscv_satp_try(uint64_t satp);   /* entry.S */
/* cpu.c: what the boot hart offers, for the banner and the MMU layer. */
bool riscv_satp_mode_ok(unsigned levels);   /* Sv39/48/57 by level count */
bool riscv_has_ext(const char *ext);        /* from the DTB, e.g. "svnapot" */

/* board/<board>/: the deepest mode the SoC has, in the DTB's mmu-type words
 * ("riscv,sv39"), where the firmware's DTB may state it wrongly; it wins
 * over the DTB. A board that trusts its DTB does not define it (weak). */
extern const char board_mmu_type[] __attribute__((weak));

#endif
