/*
 * More than one CPU: the per-CPU data, bring-up and the cross-call the
 * arch-neutral kernel (core/smp.c) gives every arch and test, and the
 * hooks each arch gives it (arch/<dir>/smp.c). docs/smp.md has the model.
 *
 * Every CPU has a struct cpu. The boot CPU is cpus[0]; the others are
 * numbered in the order the firmware lists them (DTB /cpus, ACPI MADT).
 * A CPU finds its own through the arch's per-CPU register (RISC-V tp,
 * AArch64 TPIDR_EL1, x86-64 GS base): this_cpu().
 */
#ifndef ORIGAMI_SMP_H
#define ORIGAMI_SMP_H

/* struct cpu's first fields, for the arch's secondary entry code. */
#define SMP_CPU_STACK_OFFSET      0
#define SMP_CPU_TRAP_STACK_OFFSET 8
#define SMP_CPU_TLS_OFFSET        16
#define SMP_CPU_ARCH_BOOT_OFFSET  24
#define SMP_CPU_TLS_BLOCK_OFFSET  64
/* struct smp_start, for the same code. */
#define SMP_START_HWID_OFFSET     0
#define SMP_START_CPU_OFFSET      8
#define SMP_START_SIZE            16
#define SMP_MAX_CPUS     8

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stdbool.h>
#include "kernel.h"

#define CPU_STACK_SHIFT  14     /* 16 KiB kernel stack per CPU, and as much for traps */
#define CPU_TLS_BYTES    256    /* the TLS block (picolibc's errno) of each CPU */

struct mmu_translation_set;

/* What one CPU asks another to run (smp_call). */
typedef void (*smp_fn)(void *arg);

struct cpu {
	/* Read by the arch's secondary entry code (asm) at these offsets
	 * (SMP_CPU_*_OFFSET below): keep them first and in this order. */
	uint64_t stack_top;          /* kernel stack, direct-map VA */
	uint64_t trap_stack_top;     /* exception stack, direct-map VA */
	uint64_t tls;                /* this CPU's thread pointer (TLS block), or 0 */
	uint64_t arch_boot;          /* arch-private (x86: this struct's address, %gs-relative;
	                              * riscv: the hart id its start gave it;
	                              * arm64: the kernel's TPIDR_EL0 on this CPU) */
	/* The TLS block (riscv: tp points here, so the trap vector finds the
	 * rest at negative offsets). */
	_Alignas(64) uint8_t tls_block[CPU_TLS_BYTES];

	unsigned index;              /* position in cpus[]: 0 is the boot CPU */
	uint64_t hwid;               /* RISC-V hart id, MPIDR affinity, APIC id */
	volatile bool online;        /* running the kernel's set, taking calls */
	/* The translation set this CPU's registers hold (mmu_activate),
	 * NULL before the kernel's set: who a TLB shootdown must reach. */
	struct mmu_translation_set *volatile active_set;

	/* The cross-call mailbox: the caller writes fn, arg, then bumps
	 * call_req; the CPU takes it (call_taken = call_req: a call it makes
	 * from inside fn must not run fn again), runs fn(arg) and sets
	 * call_done = call_req. */
	volatile smp_fn call_fn;
	void *volatile call_arg;
	volatile uint64_t call_req, call_taken, call_done;

	/* Counters (docs/smp.md "What is counted"). */
	volatile uint64_t ipis_sent, ipis_received, shootdowns_received;
};

extern struct cpu cpus[SMP_MAX_CPUS];

/*
 * The start words, one per CPU being started (smp_starts[i] for cpus[i]):
 * smp_boot writes hwid, then cpu, before arch_cpu_start. The arch's entry
 * code of a started CPU (x86 smp_entry.S, arm64 and riscv entry.S) finds
 * the entry with its own id and claims cpu by swapping in 0; a CPU that
 * finds none parks for good. (riscv does not trust SBI HSM's opaque
 * argument: OpenSBI 1.1 may start a hart with a stale one, docs/smp.md.) smp_boot swaps cpu to 0 when it gives up on a CPU: one that
 * starts after that never takes the next CPU's stacks.
 */
struct smp_start {
	uint64_t hwid;                  /* the id arch_cpu_hwid() gives on that CPU */
	struct cpu *volatile cpu;       /* to claim; 0: claimed, or given up */
};
extern struct smp_start smp_starts[SMP_MAX_CPUS];
/* CPUs the firmware reported (cpus[0 .. smp_cpu_count)), started or not. */
extern unsigned smp_cpu_count;

/* This CPU's struct cpu (the arch's per-CPU register). */
struct cpu *this_cpu(void);
/* This CPU's index in cpus[], also before smp_init set the per-CPU
 * register (then 0: only the boot CPU runs). For per-CPU slots of code
 * that may run that early (trap and fault paths). */
unsigned smp_cpu_index(void);
/* Mask of online CPUs (bit = cpus[] index). */
uint64_t smp_online_mask(void);

/* core/smp.c: the boot CPU's struct cpu from the firmware's list, before
 * the banner prints the cpus: line. */
void smp_init(const struct boot_info *bi);
/* After mmu_boot(): start every other CPU on the kernel's set; each then
 * idles waiting for calls. Prints one "smp:" line. */
void smp_boot(void);
/* Run fn(arg) on every online CPU in mask (this one included, if in it,
 * run here directly) and return when all of them have finished. */
void smp_call(uint64_t mask, smp_fn fn, void *arg);
/* Like smp_call on one other CPU, without waiting; smp_call_wait waits. */
void smp_call_async(unsigned cpu, smp_fn fn, void *arg);
void smp_call_wait(unsigned cpu);
/* How many polls a CPU waits for another to answer (a call, a mailbox, an
 * arch's shootdown acknowledgement) before it panics naming that CPU and
 * what it was asked (core/smp.c; boot argument smp.answer_polls). */
uint64_t smp_answer_polls(void);
/* CPUs (mask of cpus[] indexes) whose registers hold set t; with
 * kernel_half, every online CPU (the kernel half is in every set). */
uint64_t smp_cpus_using(const struct mmu_translation_set *t, bool kernel_half);
/* The TLB side of more CPUs, called by the MMU layer's kernel environment
 * (mmu/env_kernel.c), which does the shootdowns after its local flushes
 * (docs/smp.md): smp_note_active: this CPU is about to load set t (before
 * its registers change). */
void smp_note_active(struct mmu_translation_set *t);
/* How the other CPUs were made to drop a translation (arch_tlb_shootdown). */
enum smp_shootdown_kind { SMP_SHOOTDOWN_NONE, SMP_SHOOTDOWN_BROADCAST, SMP_SHOOTDOWN_FIRMWARE,
                          SMP_SHOOTDOWN_IPI, SMP_SHOOTDOWN_KINDS };
/* What the shootdowns cost, since boot (docs/smp.md "What is counted");
 * mmu/env_kernel.c. */
struct smp_tlb_stats {
	uint64_t flushes;                          /* local flushes of a commit or set */
	uint64_t shootdowns[SMP_SHOOTDOWN_KINDS];  /* remote ones, by how */
	uint64_t targets;                          /* CPUs they reached */
	uint64_t adds_skipped;                     /* none needed: the commit only added */
};
void smp_get_tlb_stats(struct smp_tlb_stats *out);
/* Whether a commit that only added entries still needs a shootdown (RISC-V:
 * harts may cache invalid entries; Arm and x86 do not). */
bool smp_adds_need_shootdown(void);
/* Hardware ASIDs (mmu/env_kernel.c, docs/smp.md "ASIDs"). Tests: hand out
 * at most count - 1 of them (0: as many as the CPU has), which forces
 * roll-overs with few sets; the number of roll-overs since boot. */
void     smp_asid_limit(unsigned count);
uint64_t smp_asid_rollovers(void);
/* The hardware ASID set t's TLB entries are under (0: no tags, or never
 * loaded): what a CPU running t must hold in its registers. */
unsigned smp_set_asid(const struct mmu_translation_set *t);
/* The hardware ASID this CPU's registers hold now; whether the CPU has
 * ASIDs at all (else every switch flushes and nothing rolls over). */
unsigned smp_cpu_asid(void);
bool     smp_asid_tags(void);
/* The in-kernel SMP suite (tests/kernel/smp_test.c). */
void smp_tests(struct ktest *t);

/* For the arch's interrupt controller: [pa, pa + len) as device memory
 * in the kernel's set, at its direct-map address (phys_to_virt), in base
 * pages of the mode. 0 or the MMU layer's error. */
int smp_map_device(uint64_t pa, uint64_t len);

/* c's TLS block (c->tls_block, c->tls): a copy of the image's template
 * [tdata, tdata_end), zeroes up to tls_end (the linker script's .tdata
 * and .tbss). */
void smp_tls_prepare(struct cpu *c, const char *tdata, const char *tdata_end, const char *tls_end);

/* ---- what each arch gives (arch/<dir>/smp.c) ---- */
/* The CPUs the firmware reports, boot CPU included, as hardware ids into
 * ids[0 .. return value) (at most max; smp_init puts the boot CPU first). */
unsigned arch_cpu_enumerate(const struct boot_info *bi, uint64_t *ids, unsigned max);
/* The boot CPU's hardware id (asked once, by smp_init on the boot CPU). */
uint64_t arch_cpu_hwid(void);
/* Point this CPU's per-CPU register (and thread pointer) at c. */
void arch_cpu_set_self(struct cpu *c);
struct cpu *arch_cpu_self(void);
/* Start CPU c: it enters the arch's secondary entry with translation on
 * through the boot map, on c->stack_top, with arch_cpu_set_self(c) done,
 * and calls smp_secondary_main(c). One CPU at a time: smp_boot waits for
 * each (a CPU that comes later than that wait reads the next one's
 * start-up word on arm64 and x86: a known hole). Returns 0 or a negative
 * errno (the firmware refused, no enable-method). */
int  arch_cpu_start(struct cpu *c);
/* Set up this CPU's interrupt/IPI reception (secondary and boot CPU). */
void arch_ipi_init(void);
/* Wake CPU c from arch_cpu_idle (an IPI). */
void arch_ipi_send(struct cpu *c);
/* Sleep until an IPI may have arrived (wfi/hlt); returns after one did,
 * or spuriously. Interrupts stay masked for the kernel's code. */
void arch_cpu_idle(void);
/* Work other CPUs left for this one outside the mailbox, done whenever it
 * waits (x86: a TLB shootdown request while interrupts are off). */
void arch_smp_poll(void);
/* core/smp.c: where arch_cpu_start's CPU lands. */
__attribute__((noreturn)) void smp_secondary_main(struct cpu *c);

#endif /* !__ASSEMBLY__ */
#endif
